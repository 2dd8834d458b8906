-- Near duplicates and stories (README "Dedup and stories"). The decisions are made in the batch
-- transaction under advisory locks on the index keys (ascending order), then on the story ids
-- (ascending order); these tables are the authority, the worker's memory holds nothing that
-- decides.

-- One row per article: its fingerprints and its dedup decision (kept current: an earlier
-- article stored later moves duplicate_of to itself).
CREATE TABLE IF NOT EXISTS fingerprints (
    article_id     text PRIMARY KEY,
    t              bigint NOT NULL,            -- published_at, seconds since the epoch (0 = absent)
    lang           text NOT NULL,              -- lang.code, or the script while the code is 'und'
    exact_key      text NOT NULL,              -- sha256 (hex) of the case-folded analysed text
    fp             bytea NOT NULL,             -- MinHash, LSH bands, name and fact keys (worker layout v1)
    entity_ids     jsonb NOT NULL DEFAULT '[]',
    dup_status     text NOT NULL
                   CHECK (dup_status IN ('unique', 'exact_duplicate', 'near_duplicate')),
    dup_of         text,
    dup_t          bigint,
    dup_similarity real NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS fingerprints_exact_idx ON fingerprints (exact_key);

-- The index keys an article is filed under: its LSH bands (near copies) and its most important
-- name keys (stories). key = tag << 32 | 32-bit key (tag 1 band, 2 name).
CREATE TABLE IF NOT EXISTS fingerprint_keys (
    key        bigint NOT NULL,
    article_id text NOT NULL,
    t          bigint NOT NULL,
    PRIMARY KEY (key, article_id)
);
CREATE INDEX IF NOT EXISTS fingerprint_keys_key_t_idx ON fingerprint_keys (key, t);

-- Stories: the id is derived from the earliest article ("story:" + 16 hex of sha256(its id)).
-- A story merged into another keeps its row with merged_into set.
CREATE TABLE IF NOT EXISTS stories (
    id            text PRIMARY KEY,
    first_article text NOT NULL,
    first_t       bigint NOT NULL,
    first_seen    timestamptz NOT NULL DEFAULT now(),
    merged_into   text,
    languages     text[] NOT NULL DEFAULT '{}',
    entity_ids    text[] NOT NULL DEFAULT '{}',
    articles      integer NOT NULL DEFAULT 0,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- article -> story (current).
CREATE TABLE IF NOT EXISTS article_stories (
    article_id text PRIMARY KEY,
    story_id   text NOT NULL
);
CREATE INDEX IF NOT EXISTS article_stories_story_idx ON article_stories (story_id);
