-- fingerprint_keys: one index instead of two (README "Dedup and stories"). The candidate read
-- (key = ANY(...) AND t BETWEEN ...) wants (key, t) and the article id; uniqueness wants
-- (key, article_id). Since t is a property of the article, (key, t, article_id) is unique
-- exactly when (key, article_id) is, and it serves the read from the index alone: every batch
-- maintains one index of ~14 rows per article instead of two.
CREATE UNIQUE INDEX IF NOT EXISTS fingerprint_keys_key_t_article_idx
    ON fingerprint_keys (key, t, article_id);
ALTER TABLE fingerprint_keys DROP CONSTRAINT IF EXISTS fingerprint_keys_pkey;
DROP INDEX IF EXISTS fingerprint_keys_key_t_idx;
