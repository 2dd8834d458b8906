-- An article's current story lives on its fingerprints row (README "Dedup and stories",
-- "Performance"). Every batch reads the fingerprints of ~10 stored candidates per article and
-- their stories; with the story in a table of its own that was one more index probe per
-- candidate (a third of the decision's read), and one more row and two more index entries to
-- write per article. `article_stories` stays readable, as a view with the same columns.
--
-- Replicas are upgraded together (an older worker writes article_stories, which is now a view).
ALTER TABLE fingerprints ADD COLUMN IF NOT EXISTS story_id text;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relname = 'article_stories' AND c.relkind = 'r'
               AND n.nspname = current_schema()) THEN
        UPDATE fingerprints f SET story_id = l.story_id
        FROM article_stories l WHERE l.article_id = f.article_id AND f.story_id IS NULL;
        DROP TABLE article_stories;
    END IF;
END
$$;

-- The worker writes both in one statement. The column stays nullable: a row of an older write
-- without a link (there should be none) had no story and was never a candidate; it still is not.
CREATE INDEX IF NOT EXISTS fingerprints_story_idx ON fingerprints (story_id);

-- article -> current story, as before.
CREATE OR REPLACE VIEW article_stories AS SELECT article_id, story_id FROM fingerprints;
