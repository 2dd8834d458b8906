-- The batch write, made cheaper (README "Performance"). Catalog changes only: no table is
-- rewritten, so this applies in moments on a database of any size.

-- The foreign keys of `mentions` ran two row-level triggers per mention (~20 mentions per
-- article: 40 lookups and row locks per article, ~240 us of PostgreSQL CPU per article, more
-- than the rest of the article's write). The only writer inserts an article, its entities and
-- its mentions in one statement of one transaction, from the same record, so the references
-- hold by construction. What goes: ON DELETE CASCADE from articles (delete an article's mentions
-- together with it: DELETE FROM mentions WHERE article_id = ...).
ALTER TABLE mentions DROP CONSTRAINT IF EXISTS mentions_article_id_fkey;
ALTER TABLE mentions DROP CONSTRAINT IF EXISTS mentions_entity_id_fkey;

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
