-- newsflow schema, version 1. Applied by `newsflow migrate` (and by `newsflow run` at start-up)
-- inside one transaction, under an advisory lock, and recorded in nf_schema_migrations.
-- Every statement is idempotent so a partially hand-applied file can be re-run.

-- One row per distinct article id. Columns mirror the enriched record ("The records" in
-- ARCHITECTURE.md); `enriched` holds the whole record and `raw` the input document as received.
CREATE TABLE IF NOT EXISTS articles (
    id               text PRIMARY KEY,
    source           text,
    url              text,
    title            text,
    published_at     timestamptz,
    lang_code        text NOT NULL,
    lang_script      text NOT NULL,
    lang_confidence  real NOT NULL,
    entities         jsonb NOT NULL DEFAULT '[]',
    dedup_status     text NOT NULL
                     CHECK (dedup_status IN ('unique', 'exact_duplicate', 'near_duplicate')),
    duplicate_of     text,
    dedup_similarity real NOT NULL DEFAULT 0,
    story_id         text NOT NULL,
    content_sha256   text NOT NULL,
    raw              jsonb NOT NULL,
    enriched         jsonb NOT NULL,
    kafka_topic      text NOT NULL,
    kafka_partition  integer NOT NULL,
    kafka_offset     bigint NOT NULL,
    kafka_timestamp  timestamptz,
    ingested_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS articles_content_sha256_idx ON articles (content_sha256);
CREATE INDEX IF NOT EXISTS articles_story_id_idx ON articles (story_id);
CREATE INDEX IF NOT EXISTS articles_published_at_idx ON articles (published_at);
CREATE INDEX IF NOT EXISTS articles_lang_code_idx ON articles (lang_code);

-- The authority for exact dedup: the first article stored with each normalized-text hash.
CREATE TABLE IF NOT EXISTS content_hashes (
    content_sha256 text PRIMARY KEY,
    article_id     text NOT NULL,
    first_seen     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS entities (
    id         text PRIMARY KEY,          -- canonical, language-independent: 'person:zelenskyy'
    type       text NOT NULL CHECK (type IN ('PERSON', 'ORG', 'LOC')),
    name       text NOT NULL,             -- display name
    first_seen timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS mentions (
    article_id text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    entity_id  text NOT NULL REFERENCES entities (id),
    field      text NOT NULL,             -- 'title' or 'body'
    start_cp   integer NOT NULL,          -- code-point offsets, end exclusive
    end_cp     integer NOT NULL,
    text       text NOT NULL,
    PRIMARY KEY (article_id, entity_id, field, start_cp)
);
CREATE INDEX IF NOT EXISTS mentions_entity_id_idx ON mentions (entity_id);

-- Authoritative consumer positions: the next offset to read, written in each batch transaction.
CREATE TABLE IF NOT EXISTS consumer_offsets (
    group_id    text NOT NULL,
    topic       text NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, topic, partition)
);

-- Messages to produce (enriched records and DLQ entries), written in the batch transaction and
-- deleted once the broker acknowledged them.
CREATE TABLE IF NOT EXISTS outbox (
    id            bigserial PRIMARY KEY,
    topic         text NOT NULL,
    msg_key       bytea,
    payload       bytea NOT NULL,
    headers       jsonb,
    src_topic     text NOT NULL,
    src_partition integer NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS outbox_src_idx ON outbox (src_topic, src_partition, id);

-- Every rejected message, once per source position; the DLQ message carries the same reason.
CREATE TABLE IF NOT EXISTS ingest_rejects (
    id              bigserial PRIMARY KEY,
    topic           text NOT NULL,
    partition       integer NOT NULL,
    kafka_offset    bigint NOT NULL,
    reason          text NOT NULL,
    detail          text NOT NULL,
    article_id      text,
    msg_key         bytea,
    raw             bytea NOT NULL,
    kafka_timestamp timestamptz,
    rejected_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (topic, partition, kafka_offset)
);
CREATE INDEX IF NOT EXISTS ingest_rejects_reason_idx ON ingest_rejects (reason);
