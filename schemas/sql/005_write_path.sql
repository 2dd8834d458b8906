-- The batch write, made cheaper (README "Performance"). Catalog changes only: no table is
-- rewritten, so this applies in moments on a database of any size.

-- The foreign keys of `mentions` ran two row-level triggers per mention (~20 mentions per
-- article: 40 lookups and row locks per article, ~240 us of PostgreSQL CPU per article, more
-- than the rest of the article's write). The only writer inserts an article, its entities and
-- its mentions in one statement of one transaction, from the same record, so the references
-- hold by construction. What the article key also did, delete an article's mentions with it,
-- is kept by one statement-level trigger: one DELETE per deleting statement, not a check per
-- inserted row (retention jobs that delete old articles need no change).
ALTER TABLE mentions DROP CONSTRAINT IF EXISTS mentions_article_id_fkey;
ALTER TABLE mentions DROP CONSTRAINT IF EXISTS mentions_entity_id_fkey;

CREATE OR REPLACE FUNCTION nf_delete_mentions_of_deleted_articles() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM mentions m USING deleted_articles d WHERE m.article_id = d.id;
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS articles_delete_mentions ON articles;
CREATE TRIGGER articles_delete_mentions AFTER DELETE ON articles
    REFERENCING OLD TABLE AS deleted_articles
    FOR EACH STATEMENT EXECUTE FUNCTION nf_delete_mentions_of_deleted_articles();

-- Large values (the raw document, the enriched record, the outbox payload: 2-4 KB each) are
-- compressed with lz4 instead of pglz when the server has it (PostgreSQL 14+ built with lz4, as
-- Debian's and the official images are): several times cheaper to compress, about the same size.
-- Rows already stored keep their pglz values (both are read transparently).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression'
               AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE articles ALTER COLUMN raw SET COMPRESSION lz4,
                             ALTER COLUMN enriched SET COMPRESSION lz4,
                             ALTER COLUMN entities SET COMPRESSION lz4;
        ALTER TABLE outbox ALTER COLUMN payload SET COMPRESSION lz4;
    END IF;
END
$$;
