-- An enriched record's outbox row names its article instead of carrying a copy of the record
-- (README "Performance"). The batch write stored every record three times: in articles.raw
-- (its input), in articles.enriched, and once more, lz4-compressed, as the outbox payload that
-- only a replay ever reads (the worker produces from the record it holds in memory). That copy
-- was ~1.3 KB of heap and WAL per article, and its compression, for a row deleted moments later.
--
-- Now a row with `article_id` set and `payload` NULL stands for "the record of that article as
-- stored": a replay reads articles.enriched. The record replayed is the article's latest
-- revision, which downstream consumers keep anyway (they keep, per id, the highest revision);
-- a rewrite's row and a DLQ row keep their payload. A row whose article is gone (deleted by a
-- retention job before its delivery) has nothing to publish: the replay deletes it.
--
-- Catalog changes only (a nullable column without a default, a NOT NULL dropped, a CHECK that
-- existing rows satisfy, validated by one scan of the outbox, which is small). Replicas are
-- upgraded together: an older worker would replay such a row with an empty payload.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS article_id text COLLATE "C";
ALTER TABLE outbox ALTER COLUMN payload DROP NOT NULL;
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_payload_or_article;
ALTER TABLE outbox ADD CONSTRAINT outbox_payload_or_article
    CHECK (payload IS NOT NULL OR article_id IS NOT NULL);
