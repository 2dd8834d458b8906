-- Identifiers and keys compare as bytes (COLLATE "C"), whatever the database's collation
-- (README "Performance"). Article, entity and story ids, hashes and topic names are opaque
-- strings: nobody sorts them alphabetically, but every batch compares thousands of them in
-- indexes (primary keys, the candidate read, mentions, fingerprint keys). Under a libc collation
-- (en_US.UTF-8, or even C.UTF-8 on PostgreSQL 15) each comparison copies both strings and calls
-- strcoll; under "C" it is a memcmp. Text meant for people (titles, names, mention texts) keeps
-- the database's collation.
--
-- Only the indexes on these columns are rebuilt (the column type does not change): on a large
-- database this migration holds its tables' locks while they are, once.
DROP VIEW IF EXISTS article_stories;

ALTER TABLE articles
    ALTER COLUMN id TYPE text COLLATE "C",
    ALTER COLUMN duplicate_of TYPE text COLLATE "C",
    ALTER COLUMN story_id TYPE text COLLATE "C",
    ALTER COLUMN content_sha256 TYPE text COLLATE "C",
    ALTER COLUMN lang_code TYPE text COLLATE "C",
    ALTER COLUMN lang_script TYPE text COLLATE "C",
    ALTER COLUMN kafka_topic TYPE text COLLATE "C";
ALTER TABLE content_hashes
    ALTER COLUMN content_sha256 TYPE text COLLATE "C",
    ALTER COLUMN article_id TYPE text COLLATE "C";
ALTER TABLE entities ALTER COLUMN id TYPE text COLLATE "C";
ALTER TABLE mentions
    ALTER COLUMN article_id TYPE text COLLATE "C",
    ALTER COLUMN entity_id TYPE text COLLATE "C",
    ALTER COLUMN field TYPE text COLLATE "C";
ALTER TABLE outbox
    ALTER COLUMN topic TYPE text COLLATE "C",
    ALTER COLUMN src_topic TYPE text COLLATE "C";
ALTER TABLE fingerprints
    ALTER COLUMN article_id TYPE text COLLATE "C",
    ALTER COLUMN lang TYPE text COLLATE "C",
    ALTER COLUMN exact_key TYPE text COLLATE "C",
    ALTER COLUMN dup_of TYPE text COLLATE "C",
    ALTER COLUMN story_id TYPE text COLLATE "C";
ALTER TABLE fingerprint_keys ALTER COLUMN article_id TYPE text COLLATE "C";
ALTER TABLE stories
    ALTER COLUMN id TYPE text COLLATE "C",
    ALTER COLUMN first_article TYPE text COLLATE "C",
    ALTER COLUMN merged_into TYPE text COLLATE "C",
    ALTER COLUMN languages TYPE text[] COLLATE "C",
    ALTER COLUMN entity_ids TYPE text[] COLLATE "C";

CREATE VIEW article_stories AS SELECT article_id, story_id FROM fingerprints;
