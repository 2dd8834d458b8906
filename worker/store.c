/* PostgreSQL access. Every statement is parameterised or COPY; no SQL is built from data.
 * Result rows that carry message bytes are fetched in binary format so payloads come back
 * byte-exact without hex decoding. */
#include "newsflow/store.h"

#include <endian.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsflow/alloc.h"
#include "newsflow/buf.h"
#include "newsflow/fpcache.h"
#include "newsflow/log.h"
#include "newsflow/sort.h"

extern const struct {
    const char *name;
    const char *sql;
} nf_migrations[];
extern const size_t nf_migrations_count;

/* Advisory lock key (two-int form) of migrations: (28263, 0). Written into the SQL as a literal
 * so that no statement is ever built with a format string. */
#define COPY_CHUNK (256 * 1024)

/* A one-dimensional PostgreSQL array in binary format (array_recv): ndim, has-nulls flag,
 * element type OID, then (length, lower bound) and each element as a 4-byte length (-1: NULL)
 * followed by its bytes. The length field is patched when the array is complete. */
typedef struct pg_array {
    nf_buf_t b;
    uint32_t n;
} pg_array_t;

#define OID_INT4 23u
#define OID_INT8 20u
#define OID_TEXT 25u
#define OID_BYTEA 17u
#define OID_FLOAT4 700u

/* The parameters of insert_articles_sql: $1 source topic, $2 output topic (text), then binary
 * arrays: the articles' id, enriched, raw, partition, offset, timestamp; their entities (article
 * id, entity id, type, name); their mentions (article id, entity id, field, start, end, text). */
enum {
    A_ID,
    A_ENRICHED,
    A_RAW,
    A_PART,
    A_OFF,
    A_TS,
    E_ARTICLE,
    E_ID,
    E_TYPE,
    E_NAME,
    M_ARTICLE,
    M_ENTITY,
    M_FIELD,
    M_START,
    M_END,
    M_TEXT,
    ART_PARAMS
};

static void be32_put(nf_buf_t *b, uint32_t v)
{
    uint32_t be = htobe32(v);
    nf_buf_append(b, &be, 4);
}

static void pga_begin(pg_array_t *a, uint32_t elem_oid)
{
    nf_buf_reset(&a->b);
    a->n = 0;
    be32_put(&a->b, 1); /* ndim */
    be32_put(&a->b, 0); /* has nulls (patched) */
    be32_put(&a->b, elem_oid);
    be32_put(&a->b, 0); /* length (patched) */
    be32_put(&a->b, 1); /* lower bound */
}

static void pga_text(pg_array_t *a, const char *s, size_t len)
{
    a->n++;
    if (!s) {
        be32_put(&a->b, 0xffffffffu);
        if (!a->b.failed) {
            uint32_t one = htobe32(1);
            memcpy(a->b.data + 4, &one, 4);
        }
        return;
    }
    be32_put(&a->b, (uint32_t)len);
    nf_buf_append(&a->b, s, len);
}

static void pga_int4(pg_array_t *a, int32_t v)
{
    a->n++;
    be32_put(&a->b, 4);
    be32_put(&a->b, (uint32_t)v);
}

static void pga_int8(pg_array_t *a, int64_t v)
{
    a->n++;
    be32_put(&a->b, 8);
    uint64_t be = htobe64((uint64_t)v);
    nf_buf_append(&a->b, &be, 8);
}

static void pga_null(pg_array_t *a)
{
    pga_text(a, NULL, 0);
}

static void pga_float4(pg_array_t *a, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, 4);
    a->n++;
    be32_put(&a->b, 4);
    be32_put(&a->b, bits);
}

static void pga_end(pg_array_t *a)
{
    if (!a->b.failed) {
        uint32_t n = htobe32(a->n);
        memcpy(a->b.data + 12, &n, 4);
    }
}

typedef struct article_ref {
    const char *id;
    size_t idx; /* into batch->articles */
} article_ref_t;

/* ---- a decision's memory, kept between batches ----
 * A decision allocates a dozen arrays per batch (ids, keys, candidates, story nodes: ~10 MB at
 * batches of 3,000), each over glibc's mmap threshold (pipeline.c): mapped anew, its pages
 * faulted in one by one and unmapped at free, batch after batch. In a perf profile of (b) that
 * was a sixth of the pipeline thread's CPU, and that thread's loop bounds throughput. So the
 * arrays come from a bump allocator whose block is kept (grown to the largest decision seen,
 * given back above SCRATCH_KEEP), and the text and binary array parameters keep their buffers
 * between batches (up to the same bound each). */
#define DECIDE_PARAMS 11
#define SCRATCH_KEEP (16u * 1024u * 1024u)

typedef struct scratch {
    char *block;
    size_t cap, used;
    void **extra; /* blocks allocated when `block` ran out, until the next reset */
    size_t n_extra, cap_extra, extra_bytes;
} scratch_t;

typedef struct decide_bufs {
    nf_buf_t b[DECIDE_PARAMS], read[4], rel_ids, moved, lit;
    pg_array_t bin[DECIDE_PARAMS];
} decide_bufs_t;

/* Statements run as prepared statements of the session (exec_stmt): at most this many. */
#define STMT_MAX 40

struct nf_store {
    PGconn *conn;
    /* The statements prepared on `conn` (their text's address; the name is "nf" + the index),
     * emptied with every new connection. */
    const char *prepared[STMT_MAX];
    size_t n_prepared;
    char *conninfo;
    const char *output_topic;
    size_t write_chunk_bytes; /* text (raw + enriched) per statement of the batch write */
    const char *dlq_topic;
    const char *group_id;
    char errmsg[512];
    nf_buf_t copybuf;
    nf_buf_t arr1, arr2;
    pg_array_t arrays[ART_PARAMS]; /* a write chunk's columns, binary int4[]/int8[]/text[] */
    pg_array_t written_ids;        /* the ids of the batch's articles, in id order */
    article_ref_t *order;          /* articles sent, in id order */
    size_t order_cap;
    size_t max_candidates; /* dedup_max_candidates (0: no bound) */
    size_t part_articles;  /* articles per part of a decision, learnt from the last reads */
    nf_fp_cache_t *fp_cache;
    /* fingerprints this transaction wrote or read, cached when it commits */
    struct pending_fp {
        char *id;
        nf_fingerprint_t fp;
    } * pending;
    size_t n_pending, cap_pending;
    scratch_t scratch;  /* a decision's arrays */
    decide_bufs_t keep; /* a decision's parameter buffers, between decisions */
};

static void *scratch_alloc(scratch_t *a, size_t n)
{
    n = n ? (n + 15) & ~(size_t)15 : 16; /* every array 16-byte aligned */
    if (n <= a->cap - a->used) {
        void *p = a->block + a->used;
        a->used += n;
        return p;
    }
    if (a->n_extra == a->cap_extra) {
        size_t cap = a->cap_extra ? 2 * a->cap_extra : 16;
        void **e = nf_realloc(a->extra, cap * sizeof(void *));
        if (!e)
            return NULL;
        a->extra = e;
        a->cap_extra = cap;
    }
    void *p = nf_malloc(n);
    if (p) {
        a->extra[a->n_extra++] = p;
        a->extra_bytes += n;
    }
    return p;
}

static void *scratch_calloc(scratch_t *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = scratch_alloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

/* Ends a decision's use of its arrays: the next one gets one block as large as this one
 * needed in all, kept unless it passes SCRATCH_KEEP. */
static void scratch_reset(scratch_t *a)
{
    size_t need = a->used + a->extra_bytes;
    for (size_t i = 0; i < a->n_extra; i++)
        nf_free(a->extra[i]);
    a->n_extra = 0;
    a->extra_bytes = 0;
    a->used = 0;
    if (need > a->cap || a->cap > SCRATCH_KEEP) {
        nf_free(a->block);
        a->block = NULL;
        a->cap = 0;
        size_t cap = need + need / 4;
        if (need <= SCRATCH_KEEP && (a->block = nf_malloc(cap)) != NULL)
            a->cap = cap;
    }
}

static void scratch_free(scratch_t *a)
{
    scratch_reset(a);
    nf_free(a->block);
    nf_free(a->extra);
    memset(a, 0, sizeof(*a));
}

static void keep_buf(nf_buf_t *kept, nf_buf_t *b)
{
    if (b->cap > SCRATCH_KEEP)
        nf_buf_free(b);
    nf_buf_reset(b);
    *kept = *b;
    memset(b, 0, sizeof(*b));
}

static void decide_bufs_free(decide_bufs_t *k)
{
    for (int i = 0; i < DECIDE_PARAMS; i++) {
        nf_buf_free(&k->b[i]);
        nf_buf_free(&k->bin[i].b);
    }
    for (int i = 0; i < 4; i++)
        nf_buf_free(&k->read[i]);
    nf_buf_free(&k->rel_ids);
    nf_buf_free(&k->moved);
    nf_buf_free(&k->lit);
}

static nf_err_t pending_add(nf_store_t *s, const char *id, const nf_fingerprint_t *fp)
{
    if (s->n_pending == s->cap_pending) {
        size_t cap = s->cap_pending ? 2 * s->cap_pending : 1024;
        struct pending_fp *p = nf_realloc(s->pending, cap * sizeof(*p));
        if (!p)
            return NF_ERR_NOMEM;
        s->pending = p;
        s->cap_pending = cap;
    }
    char *copy = nf_strdup(id);
    if (!copy)
        return NF_ERR_NOMEM;
    s->pending[s->n_pending++] = (struct pending_fp){copy, *fp};
    return NF_OK;
}

/* Drops the pending fingerprints, or (commit) caches them first. A failed put only leaves an
 * entry out of the cache. */
static void pending_end(nf_store_t *s, int commit)
{
    for (size_t i = 0; i < s->n_pending; i++) {
        if (commit)
            (void)nf_fp_cache_put(s->fp_cache, s->pending[i].id, &s->pending[i].fp);
        nf_free(s->pending[i].id);
    }
    s->n_pending = 0;
}

static const char *stage_ddl =
    "CREATE TEMP TABLE IF NOT EXISTS nf_stage_rejects ("
    " partition integer NOT NULL, kafka_offset bigint NOT NULL, reason text NOT NULL,"
    " detail text NOT NULL, article_id text, msg_key bytea, raw bytea NOT NULL,"
    " kafka_ts_ms bigint NOT NULL, original_bytes bigint) ON COMMIT DELETE ROWS";

/* One statement writes the articles and everything that hangs off them, from binary array
 * parameters built by the worker (no staging table, no COPY, no TOAST of staged copies): a
 * replayed id inserts nothing (ON CONFLICT), and only rows actually inserted reach
 * content_hashes, entities, mentions and the outbox. Each enriched record is parsed as jsonb
 * once (OFFSET 0 keeps the planner from inlining the cast into every ->> below); entities and
 * mentions come as rows, not from jsonb_array_elements. The articles arrive sorted by id (the
 * worker sorts them, so concurrent replicas insert common ids in one order) and with distinct
 * ids (the first of a batch wins). An article's outbox row names it (article_id) and carries no
 * payload: the worker produces the record it rendered, and a replay reads articles.enriched
 * (migration 008). The result is (outbox id, 1-based index of the article in $3) in outbox id
 * order, plus the entities and hashes created. Mentions are inserted
 * without ON CONFLICT (its check before every row cost more than the insert): they belong to
 * articles this statement inserted, an entity's id is unique in its article and its mentions
 * come ordered by field and position (entities.c build_output), and write_chunk drops a
 * mention equal to the one before it, so no two rows share (article, entity, field, start). */
static const char *insert_articles_sql =
    "WITH ins AS ("
    "  INSERT INTO articles (id, source, url, title, published_at, lang_code, lang_script,"
    "    lang_confidence, entities, dedup_status, duplicate_of, dedup_similarity, story_id,"
    "    content_sha256, raw, enriched, kafka_topic, kafka_partition, kafka_offset,"
    "    kafka_timestamp)"
    "  SELECT a.id, e->>'source', e->>'url', e->>'title', (e->>'published_at')::timestamptz,"
    "    e->'lang'->>'code', e->'lang'->>'script', (e->'lang'->>'confidence')::real,"
    "    e->'entities', e->'dedup'->>'status', e->'dedup'->>'duplicate_of',"
    "    (e->'dedup'->>'similarity')::real, e->>'story_id', e->>'content_sha256',"
    "    a.raw::jsonb, e, $1, a.part, a.off,"
    "    CASE WHEN a.ts >= 0 THEN to_timestamp(a.ts / 1000.0) END"
    "  FROM unnest($3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::bigint[])"
    "    AS a(id, enriched, raw, part, off, ts)"
    "    CROSS JOIN LATERAL (SELECT a.enriched::jsonb AS e OFFSET 0) x"
    "  ON CONFLICT (id) DO NOTHING"
    "  RETURNING id, content_sha256, dedup_status"
    "), hashes AS ("
    "  INSERT INTO content_hashes (content_sha256, article_id)"
    "  SELECT content_sha256, id FROM ins WHERE dedup_status = 'unique'"
    "  ON CONFLICT (content_sha256) DO NOTHING RETURNING 1"
    "), ents AS ("
    "  INSERT INTO entities (id, type, name)"
    "  SELECT DISTINCT ON (t.id) t.id, t.type, t.name"
    "  FROM unnest($9::text[], $10::text[], $11::text[], $12::text[])"
    "    AS t(article_id, id, type, name)"
    "  JOIN ins ON ins.id = t.article_id ORDER BY t.id, t.article_id"
    "  ON CONFLICT (id) DO NOTHING RETURNING 1"
    "), mens AS ("
    "  INSERT INTO mentions (article_id, entity_id, field, start_cp, end_cp, text)"
    "  SELECT m.article_id, m.entity_id, m.field, m.start_cp, m.end_cp, m.text"
    "  FROM unnest($13::text[], $14::text[], $15::text[], $16::int[], $17::int[], $18::text[])"
    "    AS m(article_id, entity_id, field, start_cp, end_cp, text)"
    "  JOIN ins ON ins.id = m.article_id" /* no ON CONFLICT: see above */
    "), ob AS ("
    "  INSERT INTO outbox (topic, msg_key, article_id, src_topic, src_partition)"
    "  SELECT $2, convert_to(a.id, 'UTF8'), a.id, $1, a.part"
    "  FROM unnest($3::text[], $6::int[], $7::bigint[]) AS a(id, part, off)"
    "  JOIN ins ON ins.id = a.id"
    "  ORDER BY a.part, a.off"
    "  RETURNING id, article_id"
    ")"
    " SELECT ob.id, a.seq, (SELECT count(*) FROM ents), (SELECT count(*) FROM hashes)"
    " FROM ob JOIN unnest($3::text[]) WITH ORDINALITY AS a(id, seq) ON ob.article_id = a.id"
    " ORDER BY ob.id";

/* An articles row takes the decision its fingerprints row `f` holds (with a new revision), and
 * the new record goes to the outbox; for sync_articles_sql and sync_written_sql, whose CTE `a`
 * joins `f` on the articles of $1 whose row differs. */
#define REWRITE_SET                                                                                \
    "  UPDATE articles a SET dedup_status = f.dup_status, duplicate_of = f.dup_of,"                \
    "    dedup_similarity = f.dup_similarity, story_id = f.story_id,"                              \
    "    enriched = jsonb_set(jsonb_set(jsonb_set(a.enriched, '{dedup}', jsonb_build_object("      \
    "      'status', f.dup_status, 'duplicate_of', f.dup_of, 'similarity', f.dup_similarity)),"    \
    "      '{story_id}', to_jsonb(f.story_id)),"                                                   \
    "      '{revision}', to_jsonb(coalesce((a.enriched->>'revision')::int, 0) + 1))"
#define REWRITE_WHERE                                                                              \
    "    AND (a.dedup_status, a.duplicate_of, a.dedup_similarity, a.story_id)"                     \
    "      IS DISTINCT FROM (f.dup_status, f.dup_of, f.dup_similarity, f.story_id)"                \
    "  RETURNING a.id, a.enriched, a.kafka_topic, a.kafka_partition"                               \
    ")"                                                                                            \
    " INSERT INTO outbox (topic, msg_key, payload, src_topic, src_partition)"                      \
    " SELECT $2, convert_to(a.id, 'UTF8'), convert_to(a.enriched::text, 'UTF8'), a.kafka_topic,"   \
    "   a.kafka_partition FROM a ORDER BY a.id"                                                    \
    " RETURNING id, topic, msg_key, payload, headers::text, src_partition"

/* The stored articles whose decision moved (corrections and merges above) take it from their
 * fingerprints rows, are rewritten with a new revision and republished. This is a statement of
 * its own, after those updates, so that it sees every articles row committed while they waited:
 * a batch's articles are written in a transaction of their own (nf_store_write_batch, on
 * another connection) after its decisions commit, and that transaction ends by locking its
 * articles' fingerprints rows (sync_written_sql). Either the updates above waited for that lock,
 * and then this statement sees those articles rows, or that lock waited for this transaction
 * and the write then rewrites its rows itself. A row equal to its fingerprints row is left
 * alone (one revision for an article both corrected and merged). */
static const char *sync_articles_sql =
    "WITH a AS (" REWRITE_SET "  FROM fingerprints f WHERE a.id = ANY($1::text[])"
    "    AND f.article_id = ANY($1::text[]) AND f.article_id = a.id" REWRITE_WHERE;

/* The end of a batch's write (nf_store_write_batch): its articles' fingerprints rows are locked
 * (FOR SHARE, in id order, until COMMIT) and read as they stand, and an article whose decision
 * moved since the batch was decided (a later batch's decision, committed in between) is rewritten
 * as a revision, like sync_articles_sql. With that statement this orders every pair: a decision
 * that moves one of these articles either committed before this lock (its values are read
 * here) or waits for this transaction at its fingerprints update and then sees the articles
 * rows. The lock is taken last, so a decision waits at most for this statement and the COMMIT. */
static const char *sync_written_sql =
    "WITH f AS MATERIALIZED ("
    "  SELECT article_id, dup_status, dup_of, dup_similarity, story_id FROM fingerprints"
    "  WHERE article_id = ANY($1::text[]) ORDER BY article_id FOR SHARE"
    "), a AS (" REWRITE_SET
    "  FROM f WHERE a.id = ANY($1::text[]) AND f.article_id = a.id" REWRITE_WHERE;

static const char *insert_rejects_sql =
    "WITH ins AS ("
    "  INSERT INTO ingest_rejects (topic, partition, kafka_offset, reason, detail, article_id,"
    "    msg_key, raw, kafka_timestamp, original_bytes)"
    "  SELECT $1, partition, kafka_offset, reason, detail, article_id, msg_key, raw,"
    "    CASE WHEN kafka_ts_ms >= 0 THEN to_timestamp(kafka_ts_ms / 1000.0) END, original_bytes"
    "  FROM nf_stage_rejects ORDER BY partition, kafka_offset"
    "  ON CONFLICT (topic, partition, kafka_offset) DO NOTHING"
    "  RETURNING partition, kafka_offset, reason, detail, article_id, msg_key, raw,"
    "    original_bytes"
    ")"
    " INSERT INTO outbox (topic, msg_key, payload, headers, src_topic, src_partition)"
    " SELECT $2, msg_key, raw,"
    "   jsonb_strip_nulls(jsonb_build_object('reason', reason, 'detail', detail,"
    "     'source_topic', $1::text, 'source_partition', partition::text,"
    "     'source_offset', kafka_offset::text, 'id', article_id,"
    "     'original_bytes', original_bytes::text)),"
    "   $1, partition"
    " FROM ins ORDER BY partition, kafka_offset"
    " RETURNING id, topic, msg_key, payload, headers::text, src_partition";

static const char *upsert_offsets_sql =
    "INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, updated_at)"
    " SELECT $1, $2, p, o, now() FROM unnest($3::int[], $4::bigint[]) AS t(p, o)"
    " ON CONFLICT (group_id, topic, partition) DO UPDATE"
    " SET next_offset = GREATEST(consumer_offsets.next_offset, EXCLUDED.next_offset),"
    "     updated_at = now()";

/* Only the SQLSTATE and the primary message are kept: PostgreSQL's DETAIL can quote row values
 * (article text), which must never reach a log line or a DLQ header. */
static void set_error(nf_store_t *s, const char *what, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!primary || !*primary)
        primary = s->conn ? PQerrorMessage(s->conn) : "no connection";
    if (state)
        snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s (SQLSTATE %s)", what, primary, state);
    else
        snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", what, primary);
    for (char *c = s->errmsg; *c; c++)
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
    size_t n = strlen(s->errmsg);
    while (n > 0 && s->errmsg[n - 1] == ' ')
        s->errmsg[--n] = '\0';
}

/* Data errors (class 22 data exception, 23 integrity violation) will fail again on retry;
 * everything else (connection loss, deadlock, serialization, admin shutdown, ...) is worth
 * retrying with backoff. */
static nf_err_t classify(nf_store_t *s, const char *what, PGresult *res)
{
    set_error(s, what, res);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    int data_error = state && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0);
    if (res)
        PQclear(res);
    return data_error ? NF_ERR_DB_DATA : NF_ERR_DB_TRANSIENT;
}

/* Runs one of this file's fixed statements (`sql` is a string constant: its address names it)
 * with PQexecParams' arguments, as a prepared statement of the session, prepared at its first
 * use on this connection. A batch runs about a dozen statements, whose parsing and analysis
 * took ~0.1-0.45 ms each (PREPARE timings on this machine), and planning ~2.2 ms per batch
 * (pg_stat_statements): the larger part of a small batch's fixed cost. They are still planned
 * for every execution (plan_cache_mode, connect_db). The session is ours (the staging table is a
 * temp table already: no transaction-pooling proxy in between). PQprepare's error, if any, is
 * returned as the statement's: the caller classifies it the same way. */
static PGresult *exec_stmt(nf_store_t *s, const char *sql, int n, const char *const *values,
                           const int *lengths, const int *formats, int result_format)
{
    size_t i = 0;
    while (i < s->n_prepared && s->prepared[i] != sql)
        i++;
    if (i == STMT_MAX) /* more statements than foreseen: unprepared, still correct */
        return PQexecParams(s->conn, sql, n, NULL, values, lengths, formats, result_format);
    char name[16];
    snprintf(name, sizeof(name), "nf%zu", i);
    if (i == s->n_prepared) {
        PGresult *res = PQprepare(s->conn, name, sql, n, NULL);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            return res;
        PQclear(res);
        s->prepared[s->n_prepared++] = sql;
    }
    return PQexecPrepared(s->conn, name, n, values, lengths, formats, result_format);
}

static nf_err_t exec_simple(nf_store_t *s, const char *sql, const char *what)
{
    PGresult *res = PQexec(s->conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        return classify(s, what, res);
    PQclear(res);
    return NF_OK;
}

static void notice_processor(void *arg, const char *message)
{
    (void)arg;
    nf_log(NF_LOG_DEBUG, "postgresql notice", "detail", message, NULL);
}

static nf_err_t connect_db(nf_store_t *s)
{
    if (s->conn)
        PQfinish(s->conn);
    s->n_prepared = 0; /* a new session has none of them */
    const char *keys[] = {"dbname", "fallback_application_name", "connect_timeout", NULL};
    const char *values[] = {s->conninfo, "newsflow", "10", NULL};
    s->conn = PQconnectdbParams(keys, values, 1);
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
        set_error(s, "connect", NULL);
        return NF_ERR_DB_TRANSIENT;
    }
    PQsetNoticeProcessor(s->conn, notice_processor, NULL);
    /* No JIT: every statement here is short, and PostgreSQL's cost-based JIT (on by default)
     * compiles a statement whose estimated cost is high, ~150 ms each time: seen on the
     * candidate read of every batch once an estimate went wrong. */
    /* Custom plans only: the statements are prepared (exec_stmt) to skip their parsing, but a
     * generic plan, which PostgreSQL may switch to after five executions, cannot know the sizes
     * of the array parameters that the plans depend on (one candidate or thousands): with the
     * generic plans the batch statements took 2 to 3 times the backend's CPU and latency at
     * 1,000 articles/s went from ~0.1 s to seconds (README "Performance", session 14). */
    nf_err_t err = exec_simple(s, "SET jit = off; SET plan_cache_mode = force_custom_plan",
                               "session settings");
    if (err != NF_OK)
        return err;
    return exec_simple(s, stage_ddl, "create staging tables");
}

nf_store_t *nf_store_new(const nf_config_t *cfg, char *errstr, size_t errstr_size)
{
    nf_store_t *s = nf_calloc(1, sizeof(*s));
    if (!s || !(s->conninfo = nf_strdup(cfg->pg_url))) {
        snprintf(errstr, errstr_size, "out of memory");
        nf_free(s);
        return NULL;
    }
    s->output_topic = cfg->output_topic;
    s->write_chunk_bytes = cfg->write_chunk_bytes > 0 ? (size_t)cfg->write_chunk_bytes : 1;
    s->dlq_topic = cfg->dlq_topic;
    s->group_id = cfg->group_id;
    s->max_candidates = cfg->dedup_max_candidates > 0 ? (size_t)cfg->dedup_max_candidates : 0;
    s->fp_cache = nf_fp_cache_new((size_t)cfg->dedup_fingerprint_cache);
    if (!s->fp_cache) {
        snprintf(errstr, errstr_size, "out of memory (dedup_fingerprint_cache %lld)",
                 cfg->dedup_fingerprint_cache);
        nf_store_destroy(s);
        return NULL;
    }
    if (connect_db(s) != NF_OK) {
        snprintf(errstr, errstr_size, "%s", s->errmsg);
        nf_store_destroy(s);
        return NULL;
    }
    return s;
}

void nf_store_destroy(nf_store_t *s)
{
    if (!s)
        return;
    if (s->conn)
        PQfinish(s->conn);
    pending_end(s, 0);
    nf_free(s->pending);
    nf_fp_cache_destroy(s->fp_cache);
    nf_free(s->conninfo);
    nf_buf_free(&s->copybuf);
    nf_buf_free(&s->arr1);
    nf_buf_free(&s->arr2);
    for (int i = 0; i < ART_PARAMS; i++)
        nf_buf_free(&s->arrays[i].b);
    nf_buf_free(&s->written_ids.b);
    nf_free(s->order);
    scratch_free(&s->scratch);
    decide_bufs_free(&s->keep);
    nf_free(s);
}

const char *nf_store_last_error(const nf_store_t *s)
{
    return s->errmsg;
}

nf_err_t nf_store_ensure_connected(nf_store_t *s)
{
    if (s->conn && PQstatus(s->conn) == CONNECTION_OK)
        return NF_OK;
    return connect_db(s);
}

nf_err_t nf_store_migrate(nf_store_t *s, int *applied, char *errstr, size_t errstr_size)
{
    *applied = 0;
    nf_err_t err = exec_simple(s, "SELECT pg_advisory_lock(28263, 0)", "migration lock");
    if (err != NF_OK)
        goto done;
    err = exec_simple(s,
                      "CREATE TABLE IF NOT EXISTS nf_schema_migrations ("
                      " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                      "create nf_schema_migrations");
    for (size_t i = 0; err == NF_OK && i < nf_migrations_count; i++) {
        const char *params[1] = {nf_migrations[i].name};
        PGresult *res = PQexecParams(s->conn, "SELECT 1 FROM nf_schema_migrations WHERE name = $1",
                                     1, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            err = classify(s, "read nf_schema_migrations", res);
            break;
        }
        int done_already = PQntuples(res) > 0;
        PQclear(res);
        if (done_already)
            continue;
        if ((err = exec_simple(s, "BEGIN", "begin migration")) != NF_OK)
            break;
        if ((err = exec_simple(s, nf_migrations[i].sql, nf_migrations[i].name)) == NF_OK) {
            res = PQexecParams(s->conn, "INSERT INTO nf_schema_migrations (name) VALUES ($1)", 1,
                               NULL, params, NULL, NULL, 0);
            if (PQresultStatus(res) != PGRES_COMMAND_OK)
                err = classify(s, "record migration", res);
            else
                PQclear(res);
        }
        if (err == NF_OK)
            err = exec_simple(s, "COMMIT", "commit migration");
        if (err != NF_OK) {
            PQclear(PQexec(s->conn, "ROLLBACK"));
            break;
        }
        (*applied)++;
        nf_log(NF_LOG_INFO, "migration applied", "name", nf_migrations[i].name, NULL);
    }
    if (PQstatus(s->conn) == CONNECTION_OK)
        PQclear(PQexec(s->conn, "SELECT pg_advisory_unlock(28263, 0)"));
done:
    if (err != NF_OK)
        snprintf(errstr, errstr_size, "%s", s->errmsg);
    return err;
}

static void int_array_literal(nf_buf_t *b, const int64_t *v, size_t n)
{
    nf_buf_reset(b);
    nf_buf_putc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            nf_buf_putc(b, ',');
        nf_buf_put_i64(b, v[i]);
    }
    nf_buf_putc(b, '}');
}

static void part_array_literal(nf_buf_t *b, const nf_partition_offset_t *parts, size_t n,
                               int offsets)
{
    nf_buf_reset(b);
    nf_buf_putc(b, '{');
    for (size_t i = 0; i < n; i++)
        nf_buf_printf(b, i ? ",%lld" : "%lld",
                      offsets ? (long long)parts[i].offset : (long long)parts[i].partition);
    nf_buf_putc(b, '}');
}

nf_err_t nf_store_load_offsets(nf_store_t *s, const char *group, const char *topic,
                               nf_partition_offset_t *parts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        parts[i].offset = -1;
    if (n == 0)
        return NF_OK;
    part_array_literal(&s->arr1, parts, n, 0);
    if (s->arr1.failed)
        return NF_ERR_NOMEM;
    const char *params[3] = {group, topic, s->arr1.data};
    PGresult *res =
        PQexecParams(s->conn,
                     "SELECT partition, next_offset FROM consumer_offsets"
                     " WHERE group_id = $1 AND topic = $2 AND partition = ANY($3::int[])",
                     3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return classify(s, "load offsets", res);
    for (int r = 0; r < PQntuples(res); r++) {
        int32_t p = (int32_t)strtol(PQgetvalue(res, r, 0), NULL, 10);
        int64_t o = strtoll(PQgetvalue(res, r, 1), NULL, 10);
        for (size_t i = 0; i < n; i++)
            if (parts[i].partition == p)
                parts[i].offset = o;
    }
    PQclear(res);
    return NF_OK;
}

nf_err_t nf_store_begin(nf_store_t *s)
{
    pending_end(s, 0); /* a transaction that ended without commit or rollback */
    nf_err_t err = nf_store_ensure_connected(s);
    return err != NF_OK ? err : exec_simple(s, "BEGIN", "begin");
}

nf_err_t nf_store_commit(nf_store_t *s)
{
    nf_err_t err = exec_simple(s, "COMMIT", "commit");
    pending_end(s, err == NF_OK); /* a failed COMMIT may have committed: not cached either way */
    return err;
}

void nf_store_cache_stats(const nf_store_t *s, uint64_t *hits, uint64_t *misses, size_t *entries)
{
    *hits = nf_fp_cache_hits(s->fp_cache);
    *misses = nf_fp_cache_misses(s->fp_cache);
    *entries = nf_fp_cache_size(s->fp_cache);
}

void nf_store_rollback(nf_store_t *s)
{
    pending_end(s, 0);
    if (s->conn && PQstatus(s->conn) == CONNECTION_OK)
        PQclear(PQexec(s->conn, "ROLLBACK"));
}

/* Streams the COPY buffer when it is large enough (or at the end). */
static nf_err_t copy_flush(nf_store_t *s, int final)
{
    if (s->copybuf.failed)
        return NF_ERR_NOMEM;
    if (s->copybuf.len && (final || s->copybuf.len >= COPY_CHUNK)) {
        if (PQputCopyData(s->conn, s->copybuf.data, (int)s->copybuf.len) != 1) {
            set_error(s, "copy data", NULL);
            return NF_ERR_DB_TRANSIENT;
        }
        nf_buf_reset(&s->copybuf);
    }
    return NF_OK;
}

static nf_err_t copy_begin(nf_store_t *s, const char *sql)
{
    PGresult *res = PQexec(s->conn, sql);
    if (PQresultStatus(res) != PGRES_COPY_IN)
        return classify(s, "copy", res);
    PQclear(res);
    nf_buf_reset(&s->copybuf);
    return NF_OK;
}

static nf_err_t copy_end(nf_store_t *s, nf_err_t err)
{
    if (err == NF_OK)
        err = copy_flush(s, 1);
    if (PQputCopyEnd(s->conn, err == NF_OK ? NULL : "aborted by newsflow") != 1) {
        set_error(s, "copy end", NULL);
        return NF_ERR_DB_TRANSIENT;
    }
    PGresult *res;
    nf_err_t result = err;
    while ((res = PQgetResult(s->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && result == NF_OK)
            result = classify(s, "copy", res);
        else
            PQclear(res);
    }
    return result;
}

static nf_err_t outbox_collect(nf_store_t *s, PGresult *res, nf_outbox_rows_t *out)
{
    int n = PQntuples(res);
    if (out->n_results == out->cap_results) {
        size_t cap = out->cap_results ? out->cap_results * 2 : 8;
        void **results = nf_realloc(out->results, cap * sizeof(*results));
        if (!results) {
            PQclear(res);
            return NF_ERR_NOMEM;
        }
        out->results = results;
        out->cap_results = cap;
    }
    if (out->count + (size_t)n > out->cap) {
        size_t cap = out->cap ? out->cap : 64;
        while (cap < out->count + (size_t)n)
            cap *= 2;
        nf_outbox_row_t *rows = nf_realloc(out->rows, cap * sizeof(*rows));
        if (!rows) {
            PQclear(res);
            return NF_ERR_NOMEM;
        }
        out->rows = rows;
        out->cap = cap;
    }
    out->results[out->n_results++] = res;
    (void)s;
    for (int r = 0; r < n; r++) {
        nf_outbox_row_t *row = &out->rows[out->count++];
        uint64_t id_be;
        uint32_t part_be;
        memcpy(&id_be, PQgetvalue(res, r, 0), 8);
        memcpy(&part_be, PQgetvalue(res, r, 5), 4);
        row->id = (int64_t)be64toh(id_be);
        row->src_partition = (int32_t)be32toh(part_be);
        row->topic = PQgetvalue(res, r, 1);
        row->key = PQgetisnull(res, r, 2) ? NULL : PQgetvalue(res, r, 2);
        row->key_len = (size_t)PQgetlength(res, r, 2);
        row->payload = PQgetisnull(res, r, 3) ? NULL : PQgetvalue(res, r, 3);
        row->payload_len = (size_t)PQgetlength(res, r, 3);
        row->headers_json = PQgetisnull(res, r, 4) ? NULL : PQgetvalue(res, r, 4);
    }
    return NF_OK;
}

void nf_outbox_rows_clear(nf_outbox_rows_t *rows)
{
    for (size_t i = 0; i < rows->n_results; i++)
        PQclear(rows->results[i]);
    rows->n_results = 0;
    rows->count = 0;
}

static nf_err_t exec_outbox_insert(nf_store_t *s, const char *sql, const char *topic,
                                   const char *out_topic, const char *what, nf_outbox_rows_t *out)
{
    const char *params[2] = {topic, out_topic};
    PGresult *res = exec_stmt(s, sql, 2, params, NULL, NULL, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return classify(s, what, res);
    return outbox_collect(s, res, out);
}

/* The batch's articles by id, then by position (the first of an id wins). */
static int cmp_article(const void *x, const void *y)
{
    const article_ref_t *a = x, *b = y;
    int c = strcmp(a->id, b->id);
    return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

static nf_err_t outbox_reserve(nf_outbox_rows_t *out, size_t n)
{
    if (out->count + n <= out->cap)
        return NF_OK;
    size_t cap = out->cap ? out->cap : 64;
    while (cap < out->count + n)
        cap *= 2;
    nf_outbox_row_t *rows = nf_realloc(out->rows, cap * sizeof(*rows));
    if (!rows)
        return NF_ERR_NOMEM;
    out->rows = rows;
    out->cap = cap;
    return NF_OK;
}

static uint64_t get_be64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return be64toh(v);
}

/* The articles s->order[from, to), their entities and mentions, content hashes and outbox rows
 * in one insert_articles_sql: their columns as binary arrays, then the outbox rows the
 * statement created, pointing at the articles' own text. */
static nf_err_t write_chunk(nf_store_t *s, const nf_store_batch_t *b, size_t from, size_t to,
                            nf_outbox_rows_t *out, nf_store_counts_t *counts)
{
    pg_array_t *v = s->arrays;
    static const uint32_t types[ART_PARAMS] = {
        [A_ID] = OID_TEXT,      [A_ENRICHED] = OID_TEXT, [A_RAW] = OID_TEXT,
        [A_PART] = OID_INT4,    [A_OFF] = OID_INT8,      [A_TS] = OID_INT8,
        [E_ARTICLE] = OID_TEXT, [E_ID] = OID_TEXT,       [E_TYPE] = OID_TEXT,
        [E_NAME] = OID_TEXT,    [M_ARTICLE] = OID_TEXT,  [M_ENTITY] = OID_TEXT,
        [M_FIELD] = OID_TEXT,   [M_START] = OID_INT4,    [M_END] = OID_INT4,
        [M_TEXT] = OID_TEXT};
    for (int c = 0; c < ART_PARAMS; c++)
        pga_begin(&v[c], types[c]);
    for (size_t k = from; k < to; k++) {
        const nf_store_article_t *a = &b->articles[s->order[k].idx];
        size_t id_len = strlen(a->id);
        pga_text(&v[A_ID], a->id, id_len);
        pga_text(&v[A_ENRICHED], a->enriched, a->enriched_len);
        pga_text(&v[A_RAW], a->raw, a->raw_len);
        pga_int4(&v[A_PART], a->partition);
        pga_int8(&v[A_OFF], a->offset);
        pga_int8(&v[A_TS], a->timestamp_ms);
        for (size_t e = 0; a->entities && e < a->entities->count; e++) {
            const nf_entity_t *ent = &a->entities->items[e];
            const char *type = nf_entity_type_name(ent->type);
            size_t ent_len = strlen(ent->id);
            pga_text(&v[E_ARTICLE], a->id, id_len);
            pga_text(&v[E_ID], ent->id, ent_len);
            pga_text(&v[E_TYPE], type, strlen(type));
            pga_text(&v[E_NAME], ent->name, strlen(ent->name));
            for (size_t m = 0; m < ent->n_mentions; m++) {
                const nf_mention_t *men = &ent->mentions[m];
                if (m > 0 && men->start == ent->mentions[m - 1].start &&
                    strcmp(men->field, ent->mentions[m - 1].field) == 0)
                    continue; /* the same mention twice (see mens in insert_articles_sql) */
                pga_text(&v[M_ARTICLE], a->id, id_len);
                pga_text(&v[M_ENTITY], ent->id, ent_len);
                pga_text(&v[M_FIELD], men->field, strlen(men->field));
                pga_int4(&v[M_START], (int32_t)men->start);
                pga_int4(&v[M_END], (int32_t)men->end);
                pga_text(&v[M_TEXT], men->text, strlen(men->text));
            }
        }
    }
    const char *values[2 + ART_PARAMS] = {b->topic, s->output_topic};
    int lengths[2 + ART_PARAMS] = {0, 0};
    int formats[2 + ART_PARAMS] = {0, 0};
    for (int c = 0; c < ART_PARAMS; c++) {
        pga_end(&v[c]);
        if (v[c].b.failed || v[c].b.len > INT32_MAX)
            return NF_ERR_NOMEM;
        values[2 + c] = v[c].b.data;
        lengths[2 + c] = (int)v[c].b.len;
        formats[2 + c] = 1;
    }
    PGresult *res = exec_stmt(s, insert_articles_sql, 2 + ART_PARAMS, values, lengths, formats, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return classify(s, "insert articles", res);
    size_t rows = (size_t)PQntuples(res);
    if (outbox_reserve(out, rows) != NF_OK) {
        PQclear(res);
        return NF_ERR_NOMEM;
    }
    for (size_t r = 0; r < rows; r++) {
        int64_t id = (int64_t)get_be64(PQgetvalue(res, (int)r, 0));
        uint64_t seq = get_be64(PQgetvalue(res, (int)r, 1));
        if (seq < 1 || seq > to - from) {
            PQclear(res);
            snprintf(s->errmsg, sizeof(s->errmsg), "insert articles: unexpected article index");
            return NF_ERR_DB_TRANSIENT;
        }
        const nf_store_article_t *a = &b->articles[s->order[from + seq - 1].idx];
        out->rows[out->count++] =
            (nf_outbox_row_t){id,          s->output_topic, a->id, strlen(a->id),
                              a->enriched, a->enriched_len, NULL,  a->partition};
    }
    counts->articles_inserted += rows;
    if (rows) {
        counts->entities_created += (size_t)get_be64(PQgetvalue(res, 0, 2));
        counts->hashes_created += (size_t)get_be64(PQgetvalue(res, 0, 3));
    }
    PQclear(res);
    return NF_OK;
}

/* The batch's articles in id order (the first of a batch's duplicate ids wins), written in
 * chunks of about `write_chunk_bytes` of text (raw + enriched), one statement each, in id order:
 * the array parameters and libpq's copy of them in its send buffer then hold a chunk, not the
 * batch (at batches of 4,000 they had been 49 + 34 MB of a 321 MB heap peak, heaptrack in
 * session 10), and a statement's arrays stay under the default work_mem. Then the end of the
 * write (sync_written_sql) over all of them. */
static nf_err_t write_articles(nf_store_t *s, const nf_store_batch_t *b, nf_outbox_rows_t *out,
                               nf_store_counts_t *counts)
{
    if (b->n_articles > s->order_cap) {
        article_ref_t *order = nf_realloc(s->order, b->n_articles * sizeof(*order));
        if (!order)
            return NF_ERR_NOMEM;
        s->order = order;
        s->order_cap = b->n_articles;
    }
    for (size_t i = 0; i < b->n_articles; i++)
        s->order[i] = (article_ref_t){b->articles[i].id, i};
    qsort(s->order, b->n_articles, sizeof(*s->order), cmp_article);
    size_t n = 0;
    for (size_t k = 0; k < b->n_articles; k++)
        if (n == 0 || strcmp(s->order[n - 1].id, s->order[k].id) != 0)
            s->order[n++] = s->order[k];

    pg_array_t *ids = &s->written_ids;
    pga_begin(ids, OID_TEXT);
    for (size_t k = 0; k < n; k++)
        pga_text(ids, s->order[k].id, strlen(s->order[k].id));
    pga_end(ids);
    if (ids->b.failed || ids->b.len > INT32_MAX)
        return NF_ERR_NOMEM;
    for (size_t from = 0; from < n;) {
        size_t to = from, bytes = 0;
        while (to < n && (to == from || bytes < s->write_chunk_bytes)) {
            const nf_store_article_t *a = &b->articles[s->order[to++].idx];
            bytes += a->raw_len + a->enriched_len;
        }
        nf_err_t err = write_chunk(s, b, from, to, out, counts);
        if (err != NF_OK)
            return err;
        from = to;
    }

    const char *sv[2] = {ids->b.data, s->output_topic};
    int sl[2] = {(int)ids->b.len, 0}, sf[2] = {1, 0};
    PGresult *res = exec_stmt(s, sync_written_sql, 2, sv, sl, sf, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return classify(s, "lock written decisions", res);
    size_t before = out->count;
    nf_err_t err = outbox_collect(s, res, out);
    counts->records_revised = out->count - before;
    return err;
}

nf_err_t nf_store_write_batch(nf_store_t *s, const nf_store_batch_t *b, nf_outbox_rows_t *out,
                              nf_store_counts_t *counts)
{
    nf_err_t err;
    memset(counts, 0, sizeof(*counts));
    nf_buf_t *cb = &s->copybuf;
    if (b->n_articles && (err = write_articles(s, b, out, counts)) != NF_OK)
        return err;
    if (b->n_rejects) {
        if ((err = copy_begin(s, "COPY nf_stage_rejects FROM STDIN")) != NF_OK)
            return err;
        for (size_t i = 0; i < b->n_rejects && err == NF_OK; i++) {
            const nf_store_reject_t *r = &b->rejects[i];
            nf_buf_printf(cb, "%d\t%lld\t", r->partition, (long long)r->offset);
            nf_buf_copy_text(cb, r->reason, strlen(r->reason));
            nf_buf_putc(cb, '\t');
            nf_buf_copy_text(cb, r->detail, strlen(r->detail));
            nf_buf_putc(cb, '\t');
            nf_buf_copy_text(cb, r->article_id, r->article_id ? strlen(r->article_id) : 0);
            nf_buf_putc(cb, '\t');
            if (r->key)
                nf_buf_copy_bytea(cb, r->key, r->key_len);
            else
                nf_buf_puts(cb, "\\N");
            nf_buf_putc(cb, '\t');
            nf_buf_copy_bytea(cb, r->raw, r->raw_len);
            nf_buf_printf(cb, "\t%lld\t", (long long)r->timestamp_ms);
            if (r->original_len >= 0)
                nf_buf_printf(cb, "%lld\n", (long long)r->original_len);
            else
                nf_buf_puts(cb, "\\N\n");
            err = copy_flush(s, 0);
        }
        if ((err = copy_end(s, err)) != NF_OK)
            return err;
        size_t first_row = out->count;
        err = exec_outbox_insert(s, insert_rejects_sql, b->topic, s->dlq_topic, "insert rejects",
                                 out);
        if (err != NF_OK)
            return err;
        counts->rejects_inserted = out->count - first_row;
    }
    if (b->n_offsets) {
        part_array_literal(&s->arr1, b->offsets, b->n_offsets, 0);
        part_array_literal(&s->arr2, b->offsets, b->n_offsets, 1);
        if (s->arr1.failed || s->arr2.failed)
            return NF_ERR_NOMEM;
        const char *params[4] = {s->group_id, b->topic, s->arr1.data, s->arr2.data};
        PGresult *res = exec_stmt(s, upsert_offsets_sql, 4, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            return classify(s, "store offsets", res);
        PQclear(res);
    }
    return NF_OK;
}

/* '{3,7,11}': a partition list as a PostgreSQL array literal (bound as a parameter). */
static nf_err_t partition_list_literal(nf_buf_t *b, const int32_t *partitions, size_t n)
{
    nf_buf_reset(b);
    nf_buf_putc(b, '{');
    for (size_t i = 0; i < n; i++)
        nf_buf_printf(b, i ? ",%d" : "%d", partitions[i]);
    nf_buf_putc(b, '}');
    return b->failed ? NF_ERR_NOMEM : NF_OK;
}

/* A replay's rows in id order: a row without a payload (an article's record, migration 008)
 * takes its article's stored record, the latest revision. A row whose article is gone (a
 * retention job deleted it before delivery) has nothing to publish: it is deleted here and
 * comes back with a NULL payload, which the replay skips (it still counts for the chunk). */
static const char *replay_fetch_sql =
    "WITH o AS MATERIALIZED ("
    "  SELECT id, topic, msg_key, payload, headers, src_partition, article_id FROM outbox"
    "  WHERE src_topic = $1 AND src_partition = ANY($2::int[]) AND id > $3 AND id < $5"
    "  ORDER BY id LIMIT $4"
    "), r AS ("
    "  SELECT o.*, a.enriched FROM o LEFT JOIN articles a"
    "    ON o.payload IS NULL AND a.id = o.article_id"
    "), gone AS ("
    "  DELETE FROM outbox x USING r WHERE x.id = r.id AND r.payload IS NULL AND r.enriched IS NULL"
    ")"
    " SELECT id, topic, msg_key, coalesce(payload, convert_to(enriched::text, 'UTF8')),"
    "   headers::text, src_partition"
    " FROM r ORDER BY id";

nf_err_t nf_store_outbox_fetch(nf_store_t *s, const char *src_topic, const int32_t *partitions,
                               size_t n, int64_t after_id, int64_t before_id, size_t limit,
                               nf_outbox_rows_t *out)
{
    if (n == 0)
        return NF_OK;
    nf_err_t err = nf_store_ensure_connected(s);
    if (err != NF_OK)
        return err;
    if (partition_list_literal(&s->arr1, partitions, n) != NF_OK)
        return NF_ERR_NOMEM;
    char after[32], before[32], lim[32];
    snprintf(after, sizeof(after), "%lld", (long long)after_id);
    snprintf(before, sizeof(before), "%lld", (long long)before_id);
    snprintf(lim, sizeof(lim), "%zu", limit);
    const char *params[5] = {src_topic, s->arr1.data, after, lim, before};
    PGresult *res = PQexecParams(s->conn, replay_fetch_sql, 5, NULL, params, NULL, NULL, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return classify(s, "outbox fetch", res);
    return outbox_collect(s, res, out);
}

nf_err_t nf_store_vacuum_keys(nf_store_t *s)
{
    nf_err_t err = nf_store_ensure_connected(s);
    return err != NF_OK
               ? err
               : exec_simple(s, "VACUUM (SKIP_LOCKED) fingerprint_keys", "vacuum fingerprint_keys");
}

nf_err_t nf_store_ping(nf_store_t *s)
{
    nf_err_t err = nf_store_ensure_connected(s);
    return err != NF_OK ? err : exec_simple(s, "SELECT 1", "ping");
}

nf_err_t nf_store_outbox_count(nf_store_t *s, const char *src_topic, const int32_t *partitions,
                               size_t n, int64_t *count)
{
    *count = 0;
    if (n == 0)
        return NF_OK;
    nf_err_t err = nf_store_ensure_connected(s);
    if (err != NF_OK)
        return err;
    if (partition_list_literal(&s->arr1, partitions, n) != NF_OK)
        return NF_ERR_NOMEM;
    const char *params[2] = {src_topic, s->arr1.data};
    PGresult *res = PQexecParams(s->conn,
                                 "SELECT count(*) FROM outbox"
                                 " WHERE src_topic = $1 AND src_partition = ANY($2::int[])",
                                 2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return classify(s, "outbox count", res);
    *count = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return NF_OK;
}

static const char *outbox_delete_sql = "DELETE FROM outbox WHERE id = ANY($1::bigint[])";

nf_err_t nf_store_outbox_delete(nf_store_t *s, const int64_t *ids, size_t n)
{
    if (n == 0)
        return NF_OK;
    nf_err_t err = nf_store_ensure_connected(s);
    if (err != NF_OK)
        return err;
    int_array_literal(&s->arr1, ids, n);
    if (s->arr1.failed)
        return NF_ERR_NOMEM;
    const char *params[1] = {s->arr1.data};
    PGresult *res = exec_stmt(s, outbox_delete_sql, 1, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return classify(s, "outbox delete", res);
    PQclear(res);
    return NF_OK;
}

/* ---- dedup and stories ------------------------------------------------------------------ */

/* Advisory lock keys (one-bigint form): 0x6e66 ("nf") << 40 | tag << 32 | bucket, tags
 * 1 band, 2 name, 3 exact key, 4 story id. Every transaction takes its key locks in ascending
 * order, then its story locks in ascending order. A lock covers a bucket of keys, not one key:
 * a 500-article batch has ~15,000 distinct keys, and PostgreSQL keeps every lock a transaction
 * holds in one shared table (max_locks_per_transaction x max_connections = 6,400 slots by
 * default); past that the batch failed with "out of shared memory" on every retry (seen at
 * ~80,000 articles of hot stories). Buckets bound a transaction to 4 x LOCK_BUCKETS locks; two
 * transactions touching one key still meet on its bucket, so the guarantees are the same. */
#define LOCK_BUCKET_BITS 8
#define LOCK_BUCKETS (1u << LOCK_BUCKET_BITS)
#define LOCK_BASE ((int64_t)0x6e66 << 40)
#define TAG_BAND 1
#define TAG_NAME 2
#define TAG_EXACT 3
#define TAG_STORY 4
static int64_t lock_key(int tag, uint32_t v)
{
    uint32_t bucket = (v * 2654435761u) >> (32 - LOCK_BUCKET_BITS); /* Fibonacci hashing */
    return LOCK_BASE | ((int64_t)tag << 32) | (int64_t)bucket;
}

static int64_t index_key(int tag, uint32_t v)
{
    return ((int64_t)tag << 32) | (int64_t)v;
}

/* An article's index keys (its LSH bands and posted names), ascending and each once: two equal
 * bands (a very short text) would otherwise be filed twice. Returns how many. */
static size_t index_keys_of(const nf_fingerprint_t *fp, int64_t out[NF_NEAR_BANDS + NF_SIG_NAMES])
{
    size_t n = 0;
    for (int b = 0; b < NF_NEAR_BANDS + fp->n_names; b++) {
        int64_t k;
        if (b < NF_NEAR_BANDS)
            k = index_key(TAG_BAND, fp->bands[b]);
        else if (fp->names[b - NF_NEAR_BANDS] & NF_NAME_POSTED)
            k = index_key(TAG_NAME, NF_NAME_ID(fp->names[b - NF_NEAR_BANDS]));
        else
            continue;
        size_t i = n;
        while (i > 0 && out[i - 1] > k)
            i--;
        if (i > 0 && out[i - 1] == k)
            continue;
        memmove(out + i + 1, out + i, (n - i) * sizeof(int64_t));
        out[i] = k;
        n++;
    }
    return n;
}

static uint32_t text_key32(const char *s)
{
    uint8_t sha[NF_SHA256_LEN];
    nf_content_sha256(s, strlen(s), sha);
    return (uint32_t)sha[0] << 24 | (uint32_t)sha[1] << 16 | (uint32_t)sha[2] << 8 | sha[3];
}

/* PostgreSQL array literals, bound as parameters (never spliced into SQL). */
static void arr_sep(nf_buf_t *b)
{
    if (b->len == 0)
        nf_buf_putc(b, '{');
    else
        nf_buf_putc(b, ',');
}

static void arr_text(nf_buf_t *b, const char *v)
{
    arr_sep(b);
    if (!v) {
        nf_buf_puts(b, "NULL");
        return;
    }
    nf_buf_putc(b, '"');
    for (;;) { /* runs without a quote or backslash in one append */
        size_t k = strcspn(v, "\"\\");
        nf_buf_append(b, v, k);
        if (!v[k])
            break;
        nf_buf_putc(b, '\\');
        nf_buf_putc(b, v[k]);
        v += k + 1;
    }
    nf_buf_putc(b, '"');
}

static void arr_int(nf_buf_t *b, int64_t v)
{
    arr_sep(b);
    nf_buf_put_i64(b, v);
}

static void arr_real(nf_buf_t *b, double v)
{
    arr_sep(b);
    nf_buf_printf(b, "%.6g", v);
}

static const char *arr_end(nf_buf_t *b)
{
    if (b->len == 0)
        nf_buf_putc(b, '{');
    nf_buf_putc(b, '}');
    return b->data;
}

static int cmp_i64_asc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts v[0..n) ascending and drops repeats; returns how many are left. */
static size_t sort_unique(scratch_t *sc, int64_t *v, size_t n)
{
    void *tmp = n > 64 ? scratch_alloc(sc, n * sizeof(int64_t)) : NULL;
    if (tmp)
        nf_radix_sort_i64(v, n, sizeof(int64_t), 0, tmp);
    else
        qsort(v, n, sizeof(int64_t), cmp_i64_asc);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || v[u - 1] != v[i])
            v[u++] = v[i];
    return u;
}

static const char *take_locks_sql =
    "SELECT count(pg_advisory_xact_lock(k)) FROM unnest($1::bigint[]) AS k";

static nf_err_t take_locks(nf_store_t *s, int64_t *keys, size_t n, const char *what)
{
    n = sort_unique(&s->scratch, keys, n);
    if (n == 0)
        return NF_OK;
    int_array_literal(&s->arr1, keys, n);
    if (s->arr1.failed)
        return NF_ERR_NOMEM;
    /* unnest() yields the array in order and count() consumes it in order */
    const char *params[1] = {s->arr1.data};
    PGresult *res = exec_stmt(s, take_locks_sql, 1, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return classify(s, what, res);
    PQclear(res);
    return NF_OK;
}

/* A hex digit's value + 1 (0: not a hex digit), for decode_fp: ~1.3 MB of hex a batch. */
static const uint8_t hex_plus1[256] = {
    ['0'] = 1, ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16};

/* bytea in text output ("\x0a1b...") -> fingerprint */
static int decode_fp(const char *text, nf_fingerprint_t *fp)
{
    uint8_t buf[NF_FINGERPRINT_WIRE_MAX];
    if (text[0] != '\\' || text[1] != 'x')
        return -1;
    size_t n = 0;
    const uint8_t *c = (const uint8_t *)text + 2;
    for (; c[0] && c[1]; c += 2) {
        unsigned hi = hex_plus1[c[0]], lo = hex_plus1[c[1]];
        if (!hi || !lo || n == sizeof(buf))
            return -1;
        buf[n++] = (uint8_t)((hi - 1) << 4 | (lo - 1));
    }
    if (c[0])
        return -1; /* an odd digit */
    return nf_fingerprint_decode(buf, n, fp);
}

static nf_dedup_status_t status_of(const char *name)
{
    if (strcmp(name, "exact_duplicate") == 0)
        return NF_DEDUP_EXACT;
    if (strcmp(name, "near_duplicate") == 0)
        return NF_DEDUP_NEAR;
    return NF_DEDUP_UNIQUE;
}

/* The stored articles sharing an index key with a new article within that article's window
 * ($1, $3, $4: one row per key and time range, the ranges of the articles sharing the key
 * merged), and exact copies at any time: their ids only. Each key is probed on its own ranges (a
 * LATERAL subquery kept apart by OFFSET 0, so an index-only scan per row): one range for the
 * whole batch read every article of a popular name published between the batch's earliest and
 * latest, about four times the rows, none of which can link (story.c checks the window). The
 * exact keys are probed one by one too: as `exact_key = ANY(...)` the planner scanned all of
 * fingerprints whenever its statistics were behind the table (26 ms of a 120 ms read at 99,000
 * stored articles, growing with the table; 4 ms as probes). */
static const char *candidate_ids_sql =
    "SELECT x.article_id FROM unnest($1::bigint[], $3::bigint[], $4::bigint[]) AS k(key, lo, hi),"
    " LATERAL (SELECT article_id FROM fingerprint_keys fk"
    "   WHERE fk.key = k.key AND fk.t BETWEEN k.lo AND k.hi OFFSET 0) x"
    " UNION SELECT e.article_id FROM unnest($2::text[]) AS ek(key),"
    " LATERAL (SELECT article_id FROM fingerprints WHERE exact_key = ek.key OFFSET 0) e";

/* The fingerprints of candidates the cache lacks (a row's fp never changes). */
static const char *candidate_fps_sql =
    "SELECT article_id, fp FROM fingerprints WHERE article_id = ANY($1::text[])";

/* The decisions and stories of the candidates that may link (by primary key, = ANY of the ids),
 * then each distinct story once (a candidate's story is on its fingerprints row since migration
 * 006). The ids and story ids go through arrays so that the planner probes the indexes: as plain
 * joins it hashed whole tables for every batch, and the time grew with the tables instead of
 * with the candidates. */
static const char *candidate_state_sql =
    "WITH f AS MATERIALIZED ("
    "  SELECT f.article_id, f.dup_status, f.dup_of, f.dup_t, f.dup_similarity, f.story_id"
    "  FROM fingerprints f WHERE f.article_id = ANY($1::text[])"
    "), s AS MATERIALIZED ("
    "  SELECT st.id, st.first_article, st.first_t, st.xmin::text AS version FROM stories st"
    "  WHERE st.id = ANY(ARRAY(SELECT DISTINCT story_id FROM f))"
    ")"
    " SELECT f.article_id, f.dup_status, f.dup_of, f.dup_t, f.dup_similarity, f.story_id,"
    "  s.first_article, s.first_t, s.version FROM f JOIN s ON s.id = f.story_id";
enum {
    COL_ID,
    COL_STATUS,
    COL_DUP_OF,
    COL_DUP_T,
    COL_SIM,
    COL_STORY,
    COL_FIRST_ID,
    COL_FIRST_T,
    COL_VERSION
};

/* The row versions of stories locked after the candidates were read. Every change to a stored
 * article's decision or story (corrections, merges) rewrites its story's row in the same
 * transaction, under that story's lock: a story whose row version (xmin) is the one the read
 * saw kept its members as read. Only when one moved are the candidates read again. */
static const char *story_versions_sql =
    "SELECT count(*) FROM unnest($1::text[], $2::text[]) AS v(id, seen)"
    " JOIN stories s ON s.id = v.id WHERE s.xmin::text <> v.seen";

/* The new articles' fingerprints rows, in id order (the primary key's), from binary arrays. */
static const char *insert_fp_sql =
    "INSERT INTO fingerprints (article_id, t, lang, exact_key, fp, entity_ids, dup_status, dup_of,"
    "  dup_t, dup_similarity, story_id)"
    " SELECT id, t, lang, ek, fp, ents::jsonb, st, dof, dt, sim, story"
    " FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bytea[], $6::text[],"
    "   $7::text[], $8::text[], $9::bigint[], $10::real[], $11::text[])"
    "   AS x(id, t, lang, ek, fp, ents, st, dof, dt, sim, story)"
    " ON CONFLICT (article_id) DO NOTHING";

/* No ON CONFLICT: its check before every row was most of the cost of this insert, and a row
 * cannot conflict. The keys are those of new articles, each once (index_keys_of), written under
 * the locks of those keys after the read that found these ids not stored: another writer of the
 * same (key, article) would hold the same lock and have been seen. */
static const char *insert_keys_sql =
    "INSERT INTO fingerprint_keys (key, article_id, t)"
    " SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[])";

/* The stories the batch's new articles open, with those articles' count, languages and entity
 * ids (aggregated by the worker: story_rows). A story can only exist already if another writer
 * opened it, which the key locks rule out; should it, the counts are added, not lost. */
static const char *insert_stories_sql =
    "INSERT INTO stories (id, first_article, first_t, articles, languages, entity_ids)"
    " SELECT id, fa, ft, n, l::text[], e::text[]"
    " FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[], $5::text[], $6::text[])"
    "   AS x(id, fa, ft, n, l, e)"
    " ON CONFLICT (id) DO UPDATE SET articles = stories.articles + excluded.articles,"
    "  updated_at = now(),"
    "  languages = ARRAY(SELECT DISTINCT v FROM unnest(stories.languages || excluded.languages) v"
    "    ORDER BY v),"
    "  entity_ids = ARRAY(SELECT DISTINCT v FROM unnest(stories.entity_ids || excluded.entity_ids)"
    "    v ORDER BY v)";

/* The fingerprints rows a decision is about to move (corrections: $1, members of merged
 * stories: $2), locked in id order in one statement before any is updated. A batch's write
 * locks its own articles' rows FOR SHARE in id order (sync_written_sql): with both in one order
 * neither can wait for the other in a cycle (PostgreSQL would abort one after
 * deadlock_timeout). */
static const char *lock_moving_sql =
    "SELECT article_id FROM fingerprints WHERE article_id = ANY(ARRAY("
    "  SELECT article_id FROM fingerprints WHERE article_id = ANY($1::text[])"
    "  UNION SELECT article_id FROM fingerprints WHERE story_id = ANY($2::text[])))"
    " ORDER BY article_id FOR NO KEY UPDATE";

/* A stored article gets an earlier original: only if it is still earlier than the stored one
 * (re-checked on the row's latest version, so concurrent corrections keep the earliest). Only
 * fingerprints and stories change here; the articles rows follow in sync_articles_sql. */
static const char *correct_dedup_sql =
    "WITH c AS ("
    "  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::real[])"
    "    AS c(id, dup_of, dup_t, status, sim)"
    "), f AS ("
    "  UPDATE fingerprints f SET dup_of = c.dup_of, dup_t = c.dup_t, dup_status = c.status,"
    "    dup_similarity = c.sim"
    "  FROM c WHERE f.article_id = c.id AND f.article_id = ANY($1::text[])"
    "    AND (f.dup_of IS NULL OR f.dup_t > c.dup_t"
    "    OR (f.dup_t = c.dup_t AND f.dup_of COLLATE \"C\" > c.dup_of COLLATE \"C\"))"
    "  RETURNING f.article_id, f.story_id"
    "), s AS (" /* the story row of a corrected article moves (story_versions_sql) */
    "  UPDATE stories s SET updated_at = now() WHERE s.id IN (SELECT story_id FROM f)"
    ")"
    " SELECT article_id FROM f";

/* Stories merged into another: every article of a losing story moves to the winner (in
 * fingerprints; the articles rows follow in sync_articles_sql). The rows are found through
 * = ANY(array) conditions, which the planner serves by index: as plain joins with a CTE it
 * scanned all of fingerprints and articles for every merge (41 ms of a 78 ms merge at 30,000
 * stored articles, growing with the tables). */
static const char *merge_stories_sql =
    "WITH m AS ("
    "  SELECT * FROM unnest($1::text[], $2::text[]) AS m(loser, winner)"
    "), st AS ("
    "  UPDATE stories s SET merged_into = m.winner, updated_at = now() FROM m"
    "  WHERE s.id = m.loser" /* a data-modifying CTE always runs to completion */
    "), l AS ("
    "  UPDATE fingerprints l SET story_id = m.winner FROM m WHERE l.story_id = m.loser"
    "  AND l.story_id = ANY($1::text[])" /* by index (see below) */
    "  RETURNING l.article_id"
    ")"
    " SELECT article_id FROM l";

/* The new articles of a batch that joined stored stories, added to those stories' counts,
 * languages and entity ids (one row per story, aggregated by the worker: story_rows). */
static const char *story_add_sql =
    "UPDATE stories s SET articles = s.articles + x.n, updated_at = now(),"
    "  languages = ARRAY(SELECT DISTINCT v FROM unnest(s.languages || x.l::text[]) v ORDER BY v),"
    "  entity_ids = ARRAY(SELECT DISTINCT v FROM unnest(s.entity_ids || x.e::text[]) v"
    "    ORDER BY v)"
    " FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) AS x(id, n, l, e)"
    " WHERE s.id = x.id AND s.id = ANY($1::text[])"; /* by index, not a scan of all stories */

/* A merge adds the losing stories' counts, languages and entities to the winner's (every
 * member of a loser moves to its winner; each row holds its members' aggregates), instead of
 * recounting the winner's members: a hot story's merge no longer reads the whole story. One
 * row per winner (its count and its losers), and each winner's lists merged with its own
 * losers' (read by primary key): with the languages and the entities aggregated in two more
 * subqueries joined to it, the planner expected one winner and ran the second subquery again
 * for every winner, quadratic in the batch's merges (126 ms for 400 merges at 100,000 stored
 * articles; 7 ms this way). */
static const char *story_stats_sql =
    "WITH m AS ("
    "  SELECT DISTINCT * FROM unnest($1::text[], $2::text[]) AS m(loser, winner)"
    "), agg AS MATERIALIZED ("
    "  SELECT m.winner, sum(s.articles)::int AS n, array_agg(s.id) AS losers"
    "  FROM m JOIN stories s ON s.id = m.loser GROUP BY m.winner"
    ")"
    " UPDATE stories w SET articles = w.articles + agg.n, updated_at = now(),"
    "  languages = ARRAY(SELECT DISTINCT v FROM (SELECT unnest(w.languages) UNION ALL"
    "    SELECT unnest(l.languages) FROM stories l WHERE l.id = ANY(agg.losers)) x(v)"
    "    ORDER BY v),"
    "  entity_ids = ARRAY(SELECT DISTINCT v FROM (SELECT unnest(w.entity_ids) UNION ALL"
    "    SELECT unnest(l.entity_ids) FROM stories l WHERE l.id = ANY(agg.losers)) x(v)"
    "    ORDER BY v)"
    " FROM agg WHERE w.id = agg.winner"
    "  AND w.id = ANY(ARRAY(SELECT winner FROM agg))"; /* by index, not a scan of all stories */

/* A story as a candidate row read it: its id and its row version. */
typedef struct story_ref {
    const char *id, *version; /* borrowed from the candidates' result */
} story_ref_t;

static int cmp_story_ref(const void *a, const void *b)
{
    return strcmp(((const story_ref_t *)a)->id, ((const story_ref_t *)b)->id);
}

/* A fingerprint_keys row of a new article. */
typedef struct key_row {
    int64_t key, t;
    const char *id; /* borrowed from the batch */
} key_row_t;

/* The index's order, (key, t, article_id) with ids in "C" collation: rows inserted in that order
 * walk the index's leaves in order instead of landing on a random leaf each (about a third less
 * time for a batch's ~28,000 rows). */
static int cmp_key_row(const void *a, const void *b)
{
    const key_row_t *x = a, *y = b;
    if (x->key != y->key)
        return (x->key > y->key) - (x->key < y->key);
    if (x->t != y->t)
        return (x->t > y->t) - (x->t < y->t);
    return strcmp(x->id, y->id);
}

/* rows[0..n) in cmp_key_row's order: radix sorts by t, then (stable) by key, then each run of
 * one (key, t), rare and short (copies published the same second), by id. */
static void sort_key_rows(key_row_t *rows, size_t n, key_row_t *tmp)
{
    nf_radix_sort_i64(rows, n, sizeof(key_row_t), offsetof(key_row_t, t), tmp);
    nf_radix_sort_i64(rows, n, sizeof(key_row_t), offsetof(key_row_t, key), tmp);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && rows[j].key == rows[i].key && rows[j].t == rows[i].t)
            j++;
        if (j - i > 1)
            qsort(rows + i, j - i, sizeof(key_row_t), cmp_key_row);
        i = j;
    }
}

/* A candidate's id (borrowed from the ids read) and its row there, for lookups by id. */
typedef struct id_row {
    const char *id;
    size_t row;
} id_row_t;

static int cmp_id_row(const void *a, const void *b)
{
    return strcmp(((const id_row_t *)a)->id, ((const id_row_t *)b)->id);
}

/* By id, then by row: the first of equal ids first. */
static int cmp_id_row_pos(const void *a, const void *b)
{
    const id_row_t *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->row > y->row) - (x->row < y->row);
}

typedef struct decide_ctx {
    nf_buf_t b[DECIDE_PARAMS];
    nf_buf_t read[4]; /* the candidate read's parameters: keys, exact keys, range starts, ends */
    nf_buf_t rel_ids; /* the candidates that may link */
    nf_buf_t moved;   /* stored articles whose decision moved (array literal) */
    pg_array_t bin[DECIDE_PARAMS]; /* binary array parameters */
    key_row_t *krows;              /* the new articles' fingerprint_keys rows */
    id_row_t *order;               /* the new articles by id, then by story (story_rows) */
    const char **strs;             /* a story's languages or entity ids (story_rows) */
    size_t cap_strs;
    nf_buf_t lit; /* an array literal */
    PGresult *stored, *ids, *fps, *cands;
    const nf_fingerprint_t **cfp;   /* per candidate id: its fingerprint (NULL: none) */
    nf_fingerprint_t *fetched;      /* those read (fps' rows) */
    const nf_fingerprint_t **fresh; /* the new articles' */
    unsigned char *relevant;        /* per candidate id */
    id_row_t *miss;                 /* the candidates the cache lacks */
    id_row_t *by_id;                /* the relevant candidates, by id */
    id_row_t *part_ids;             /* the part's articles, by id then position */
    unsigned char *repeat;          /* per article of the part: an earlier one has its id */
    nf_story_node_t *nodes;
    size_t *uniq; /* batch index of each unique new article */
    int *rows;    /* candidate row of each stored node */
    /* story locks: held (ascending), wanted by the latest read, and the stories to check */
    int64_t *locked, *want;
    story_ref_t *check;
    size_t n_locked, cap_locked, cap_want;
    scratch_t *sc; /* the store's: the arrays above not grown by realloc come from it */
} decide_ctx_t;

static void buf_to_ctx(nf_buf_t *kept, nf_buf_t *used)
{
    keep_buf(used, kept);
}

static void buf_to_keep(nf_buf_t *kept, nf_buf_t *used)
{
    keep_buf(kept, used);
}

/* fn(kept, used) for each parameter buffer: the store's copy in k, the decision's in c. */
static void decide_bufs_each(decide_bufs_t *k, decide_ctx_t *c,
                             void (*fn)(nf_buf_t *kept, nf_buf_t *used))
{
    for (int i = 0; i < DECIDE_PARAMS; i++) {
        fn(&k->b[i], &c->b[i]);
        fn(&k->bin[i].b, &c->bin[i].b);
    }
    for (int i = 0; i < 4; i++)
        fn(&k->read[i], &c->read[i]);
    fn(&k->rel_ids, &c->rel_ids);
    fn(&k->moved, &c->moved);
    fn(&k->lit, &c->lit);
}

/* A decision's context, with the parameter buffers the store kept from the last one. */
static void decide_ctx_init(nf_store_t *s, decide_ctx_t *c)
{
    memset(c, 0, sizeof(*c));
    decide_bufs_each(&s->keep, c, buf_to_ctx);
    c->sc = &s->scratch;
}

/* Ends a decision: the parameter buffers go back to the store, the arrays' scratch is reset. */
static void decide_ctx_free(nf_store_t *s, decide_ctx_t *c)
{
    decide_bufs_each(&s->keep, c, buf_to_keep);
    nf_free(c->strs);
    if (c->ids)
        PQclear(c->ids);
    if (c->fps)
        PQclear(c->fps);
    if (c->stored)
        PQclear(c->stored);
    if (c->cands)
        PQclear(c->cands);
    nf_free(c->locked);
    nf_free(c->want);
    nf_free(c->check);
    scratch_reset(&s->scratch);
}

/* Room for n more story locks and n stories to check. */
static nf_err_t decide_reserve(decide_ctx_t *c, size_t n)
{
    if (c->n_locked + n > c->cap_locked) {
        int64_t *l = nf_realloc(c->locked, (c->n_locked + n) * sizeof(int64_t));
        if (!l)
            return NF_ERR_NOMEM;
        c->locked = l;
        c->cap_locked = c->n_locked + n;
    }
    if (n > c->cap_want) {
        int64_t *w = nf_realloc(c->want, n * sizeof(int64_t));
        if (!w)
            return NF_ERR_NOMEM;
        c->want = w;
        story_ref_t *k = nf_realloc(c->check, n * sizeof(story_ref_t));
        if (!k)
            return NF_ERR_NOMEM;
        c->check = k;
        c->cap_want = n;
    }
    return NF_OK;
}

static void bufs_reset(decide_ctx_t *c)
{
    for (int i = 0; i < DECIDE_PARAMS; i++)
        nf_buf_reset(&c->b[i]);
}

static int bufs_failed(const decide_ctx_t *c)
{
    for (int i = 0; i < DECIDE_PARAMS; i++)
        if (c->b[i].failed)
            return 1;
    return 0;
}

static nf_err_t exec_params(nf_store_t *s, const char *sql, int n, const char *const *params,
                            const char *what, nf_outbox_rows_t *out)
{
    PGresult *res = exec_stmt(s, sql, n, params, NULL, NULL, out ? 1 : 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        return classify(s, what, res);
    if (out)
        return outbox_collect(s, res, out);
    PQclear(res);
    return NF_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Room for n strings in c->strs. */
static nf_err_t strs_reserve(decide_ctx_t *c, size_t n)
{
    if (n <= c->cap_strs)
        return NF_OK;
    size_t cap = c->cap_strs ? c->cap_strs : 64;
    while (cap < n)
        cap *= 2;
    const char **v = nf_realloc(c->strs, cap * sizeof(*v));
    if (!v)
        return NF_ERR_NOMEM;
    c->strs = v;
    c->cap_strs = cap;
    return NF_OK;
}

/* c->strs[0..n) sorted, each once, as a text[] literal appended to the binary array `to`. */
static void put_set(decide_ctx_t *c, size_t n, pg_array_t *to)
{
    qsort(c->strs, n, sizeof(*c->strs), cmp_str);
    nf_buf_reset(&c->lit);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(c->strs[i], c->strs[i - 1]) != 0)
            arr_text(&c->lit, c->strs[i]);
    arr_end(&c->lit);
    if (c->lit.failed)
        to->b.failed = 1;
    else
        pga_text(to, c->lit.data, c->lit.len);
}

/* The stories of the new articles fresh[0..n_new) (arts[c->uniq[u]] each), one row each: its
 * number of new articles, their languages and entity ids, each list sorted ("C" order, that of
 * the stories' columns) and distinct. A story one of them opened goes to c->bin[0..5] (id, first
 * article, its t, count, languages, entity ids: insert_stories_sql), a stored one to
 * c->bin[6..9] (id, count, languages, entity ids: story_add_sql). Aggregating here spares
 * PostgreSQL the parse of every article's entity JSON and a sort per story, and a new story is
 * written once, with its counts, instead of inserted and then updated. */
static nf_err_t story_rows(decide_ctx_t *c, const nf_story_node_t *fresh,
                           const nf_store_dedup_article_t *arts, size_t n_new, size_t *n_opened,
                           size_t *n_joined)
{
    static const uint32_t types[10] = {OID_TEXT, OID_TEXT, OID_INT8, OID_INT4, OID_TEXT,
                                       OID_TEXT, OID_TEXT, OID_INT4, OID_TEXT, OID_TEXT};
    for (int i = 0; i < 10; i++)
        pga_begin(&c->bin[i], types[i]);
    *n_opened = *n_joined = 0;
    for (size_t u = 0; u < n_new; u++)
        c->order[u] = (id_row_t){fresh[u].story, u};
    qsort(c->order, n_new, sizeof(id_row_t), cmp_id_row_pos);
    for (size_t g0 = 0, g1; g0 < n_new; g0 = g1) {
        const nf_story_node_t *opener = NULL;
        size_t n_ents = 0;
        for (g1 = g0; g1 < n_new && strcmp(c->order[g1].id, c->order[g0].id) == 0; g1++) {
            const nf_story_node_t *x = &fresh[c->order[g1].row];
            const nf_entity_list_t *el = arts[c->uniq[c->order[g1].row]].entities;
            if (x->new_story && !opener)
                opener = x;
            n_ents += el ? el->count : 0;
        }
        const char *story = c->order[g0].id;
        int32_t n = (int32_t)(g1 - g0);
        pg_array_t *v = opener ? c->bin : c->bin + 6;
        if (strs_reserve(c, (g1 - g0) + n_ents) != NF_OK)
            return NF_ERR_NOMEM;
        pga_text(&v[0], story, strlen(story));
        if (opener) {
            pga_text(&v[1], opener->id, strlen(opener->id));
            pga_int8(&v[2], opener->fp.t);
            v += 2;
            (*n_opened)++;
        } else {
            (*n_joined)++;
        }
        pga_int4(&v[1], n);
        size_t k = 0;
        for (size_t g = g0; g < g1; g++)
            c->strs[k++] = arts[c->uniq[c->order[g].row]].lang;
        put_set(c, k, &v[2]);
        k = 0;
        for (size_t g = g0; g < g1; g++) {
            const nf_entity_list_t *el = arts[c->uniq[c->order[g].row]].entities;
            for (size_t e = 0; el && e < el->count; e++)
                c->strs[k++] = el->items[e].id;
        }
        put_set(c, k, &v[3]);
    }
    for (int i = 0; i < 10; i++)
        if (c->bin[i].b.failed)
            return NF_ERR_NOMEM;
    return NF_OK;
}

/* Runs a statement whose parameters are the binary arrays arrs[0..n) (pga_begin ... each
 * ended here), its result discarded. */
static nf_err_t exec_binary(nf_store_t *s, const char *sql, int n, pg_array_t *arrs,
                            const char *what)
{
    const char *values[DECIDE_PARAMS];
    int lengths[DECIDE_PARAMS], formats[DECIDE_PARAMS];
    if (n > DECIDE_PARAMS) {
        snprintf(s->errmsg, sizeof(s->errmsg), "%s: %d parameters (at most %d)", what, n,
                 DECIDE_PARAMS);
        return NF_ERR_INVALID_ARG;
    }
    for (int i = 0; i < n; i++) {
        pga_end(&arrs[i]);
        if (arrs[i].b.failed || arrs[i].b.len > INT32_MAX)
            return NF_ERR_NOMEM;
        values[i] = arrs[i].b.data;
        lengths[i] = (int)arrs[i].b.len;
        formats[i] = 1;
    }
    PGresult *res = exec_stmt(s, sql, n, values, lengths, formats, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        return classify(s, what, res);
    PQclear(res);
    return NF_OK;
}

/* Runs a statement whose rows are article ids and appends them to the array literal `ids`
 * (arr_text; the caller ends it), counting them in *count. */
static nf_err_t collect_ids(nf_store_t *s, const char *sql, int n, const char *const *params,
                            const char *what, nf_buf_t *ids, size_t *count)
{
    PGresult *res = exec_stmt(s, sql, n, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return classify(s, what, res);
    for (int r = 0; r < PQntuples(res); r++)
        arr_text(ids, PQgetvalue(res, r, 0));
    *count += (size_t)PQntuples(res);
    PQclear(res);
    return NF_OK;
}

static const char *stored_sql = "SELECT f.article_id, f.dup_status, coalesce(f.dup_of, ''),"
                                " f.dup_similarity, f.story_id FROM fingerprints f"
                                " WHERE f.article_id = ANY($1::text[]) AND f.story_id IS NOT NULL"
                                " ORDER BY f.article_id COLLATE \"C\"";

/* The row of id in a result of stored_sql (ordered by id, "C" collation: strcmp's order), or -1. */
static int stored_row(const PGresult *res, const char *id)
{
    int lo = 0, hi = PQntuples(res);
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(PQgetvalue(res, mid, 0), id);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static void copy_stored(nf_store_dedup_article_t *a, PGresult *res, int r)
{
    a->dedup.status = status_of(PQgetvalue(res, r, 1));
    snprintf(a->dedup.duplicate_of, sizeof(a->dedup.duplicate_of), "%s", PQgetvalue(res, r, 2));
    a->dedup.similarity = strtod(PQgetvalue(res, r, 3), NULL);
    snprintf(a->story_id, sizeof(a->story_id), "%s", PQgetvalue(res, r, 4));
    a->new_story = 0;
}

typedef struct key_time {
    int64_t key, t;
} key_time_t;

/* The candidate read's parameters for the new articles arts[uniq[0..n_new)]: every index key
 * with [t - window, t + window] of each article filing it, the ranges of one key merged where
 * they overlap or touch (c->read[0], [2], [3]), and the exact keys (c->read[1]). */
static nf_err_t read_params(decide_ctx_t *c, const nf_store_dedup_article_t *arts, size_t n_new,
                            int64_t window)
{
    key_time_t *kt =
        scratch_alloc(c->sc, n_new * (NF_NEAR_BANDS + NF_SIG_NAMES) * sizeof(key_time_t));
    if (!kt)
        return NF_ERR_NOMEM;
    size_t n = 0;
    for (size_t u = 0; u < n_new; u++) {
        const nf_fingerprint_t *fp = arts[c->uniq[u]].fp;
        int64_t keys[NF_NEAR_BANDS + NF_SIG_NAMES];
        size_t n_keys = index_keys_of(fp, keys);
        for (size_t j = 0; j < n_keys; j++)
            kt[n++] = (key_time_t){keys[j], fp->t};
        char hex[2 * NF_SHA256_LEN + 1];
        nf_hex(fp->exact, NF_SHA256_LEN, hex);
        arr_text(&c->read[1], hex);
    }
    key_time_t *tmp = scratch_alloc(c->sc, n * sizeof(key_time_t));
    if (!tmp)
        return NF_ERR_NOMEM;
    nf_radix_sort_i64(kt, n, sizeof(key_time_t), offsetof(key_time_t, t), tmp);   /* by (key, t): */
    nf_radix_sort_i64(kt, n, sizeof(key_time_t), offsetof(key_time_t, key), tmp); /* stable */
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && kt[j + 1].key == kt[i].key && kt[j + 1].t - kt[j].t <= 2 * window)
            j++;
        arr_int(&c->read[0], kt[i].key);
        arr_int(&c->read[2], kt[i].t - window);
        arr_int(&c->read[3], kt[j].t + window);
        i = j + 1;
    }
    for (int i = 0; i < 4; i++)
        arr_end(&c->read[i]);
    for (int i = 0; i < 4; i++)
        if (c->read[i].failed)
            return NF_ERR_NOMEM;
    return NF_OK;
}

/* The fingerprints of the n candidates of c->ids (c->cfp): from the cache, the others read from
 * PostgreSQL and kept to be cached once the transaction commits. A row whose fp this version
 * cannot read has none (not a candidate). */
static nf_err_t candidate_fps(nf_store_t *s, decide_ctx_t *c, size_t n)
{
    c->cfp = scratch_alloc(c->sc, n * sizeof(*c->cfp));
    c->miss = scratch_alloc(c->sc, n * sizeof(id_row_t));
    if (!c->cfp || !c->miss)
        return NF_ERR_NOMEM;
    nf_buf_t *ids = &c->b[0];
    nf_buf_reset(ids);
    size_t n_miss = 0;
    for (size_t r = 0; r < n; r++) {
        const char *id = PQgetvalue(c->ids, (int)r, 0);
        c->cfp[r] = nf_fp_cache_get(s->fp_cache, id);
        if (!c->cfp[r]) {
            arr_text(ids, id);
            c->miss[n_miss++] = (id_row_t){id, r};
        }
    }
    if (n_miss == 0)
        return NF_OK;
    const char *p1[1] = {arr_end(ids)};
    if (ids->failed)
        return NF_ERR_NOMEM;
    c->fps = exec_stmt(s, candidate_fps_sql, 1, p1, NULL, NULL, 0);
    if (PQresultStatus(c->fps) != PGRES_TUPLES_OK) {
        nf_err_t err = classify(s, "dedup candidate fingerprints", c->fps);
        c->fps = NULL;
        return err;
    }
    size_t nf = (size_t)PQntuples(c->fps);
    c->fetched = scratch_alloc(c->sc, nf * sizeof(nf_fingerprint_t));
    if (!c->fetched)
        return NF_ERR_NOMEM;
    qsort(c->miss, n_miss, sizeof(id_row_t), cmp_id_row);
    for (size_t r = 0; r < nf; r++) {
        id_row_t key = {PQgetvalue(c->fps, (int)r, 0), 0};
        const id_row_t *m = bsearch(&key, c->miss, n_miss, sizeof(id_row_t), cmp_id_row);
        if (!m || decode_fp(PQgetvalue(c->fps, (int)r, 1), &c->fetched[r]) != 0)
            continue;
        c->cfp[m->row] = &c->fetched[r];
        nf_err_t err = pending_add(s, key.id, &c->fetched[r]);
        if (err != NF_OK)
            return err;
    }
    return NF_OK;
}

/* Steps 3-9 of a decision for arts[0..n) (the caller holds the batch's key locks). With
 * `limit` set, a first candidate read of more than `limit` rows for more than one new article
 * decides nothing and sets *over (the caller decides the articles in smaller parts). *read
 * receives the candidate rows read. */
static nf_err_t decide_part(nf_store_t *s, nf_store_dedup_article_t *arts, size_t n,
                            const nf_match_params_t *params, nf_outbox_rows_t *out,
                            size_t *corrected, size_t limit, int *over, size_t *read)
{
    decide_ctx_t c;
    decide_ctx_init(s, &c);
    nf_err_t err = NF_ERR_NOMEM;
    *over = 0;
    *read = 0;
    c.uniq = scratch_alloc(c.sc, n * sizeof(size_t));
    if (!c.uniq)
        goto done;

    /* 1. the part's distinct ids, already decided or not (2, the index key locks, is taken once
     * for the whole batch by nf_store_decide) */
    nf_buf_t *ids = &c.b[0];
    for (size_t i = 0; i < n; i++)
        arr_text(ids, arts[i].id);
    const char *p_ids[1] = {arr_end(ids)};
    if (ids->failed)
        goto done;

    /* 3. ids already decided keep their stored decision */
    c.stored = exec_stmt(s, stored_sql, 1, p_ids, NULL, NULL, 0);
    if (PQresultStatus(c.stored) != PGRES_TUPLES_OK) {
        err = classify(s, "dedup stored", c.stored);
        c.stored = NULL;
        goto done;
    }
    /* a repeat of an id earlier in the part is not new: the part's ids sorted (ties by
     * position) mark every later copy */
    c.part_ids = scratch_alloc(c.sc, n * sizeof(id_row_t));
    c.repeat = scratch_calloc(c.sc, n, 1);
    if (!c.part_ids || !c.repeat)
        goto done;
    for (size_t i = 0; i < n; i++)
        c.part_ids[i] = (id_row_t){arts[i].id, i};
    qsort(c.part_ids, n, sizeof(id_row_t), cmp_id_row_pos);
    for (size_t i = 1; i < n; i++)
        if (strcmp(c.part_ids[i].id, c.part_ids[i - 1].id) == 0)
            c.repeat[c.part_ids[i].row] = 1;
    size_t n_new = 0;
    for (size_t i = 0; i < n; i++) {
        int r = stored_row(c.stored, arts[i].id);
        if (r >= 0)
            copy_stored(&arts[i], c.stored, r);
        else if (!c.repeat[i])
            c.uniq[n_new++] = i;
    }

    /* 4. the candidates: the stored articles sharing a key with a new one (the key locks held
     * keep this set), their fingerprints (from the cache, the others read), and those of them
     * that may link with a new article (nf_story_relevant: the decision is the same without the
     * others) */
    if ((err = read_params(&c, arts, n_new, params->window_s)) != NF_OK)
        goto done;
    const char *p4[4] = {c.read[0].data, c.read[1].data, c.read[2].data, c.read[3].data};
    c.ids = exec_stmt(s, candidate_ids_sql, 4, p4, NULL, NULL, 0);
    if (PQresultStatus(c.ids) != PGRES_TUPLES_OK) {
        err = classify(s, "dedup candidates", c.ids);
        c.ids = NULL;
        goto done;
    }
    size_t n_ids = (size_t)PQntuples(c.ids);
    *read = n_ids;
    if (limit && n_new > 1 && n_ids > limit) {
        *over = 1; /* nothing written yet: the caller splits the part */
        err = NF_OK;
        goto done;
    }
    if ((err = candidate_fps(s, &c, n_ids)) != NF_OK)
        goto done;
    c.fresh = scratch_alloc(c.sc, n_new * sizeof(*c.fresh));
    c.relevant = scratch_alloc(c.sc, n_ids);
    c.by_id = scratch_alloc(c.sc, n_ids * sizeof(id_row_t));
    if (!c.fresh || !c.relevant || !c.by_id) {
        err = NF_ERR_NOMEM;
        goto done;
    }
    for (size_t u = 0; u < n_new; u++)
        c.fresh[u] = arts[c.uniq[u]].fp;
    if ((err = nf_story_relevant(c.cfp, n_ids, c.fresh, n_new, params, c.relevant)) != NF_OK)
        goto done;
    size_t n_rel = 0;
    for (size_t r = 0; r < n_ids; r++)
        if (c.relevant[r]) {
            arr_text(&c.rel_ids, PQgetvalue(c.ids, (int)r, 0));
            c.by_id[n_rel++] = (id_row_t){PQgetvalue(c.ids, (int)r, 0), r};
        }
    arr_end(&c.rel_ids);
    if (c.rel_ids.failed) {
        err = NF_ERR_NOMEM;
        goto done;
    }
    qsort(c.by_id, n_rel, sizeof(id_row_t), cmp_id_row);

    /* 5. their decisions and stories, then the stories locked. A story locked after the read is
     * checked for a newer row version (story_versions_sql); only if one moved are they read
     * again, and the stories new in that read locked and checked in turn. */
    for (int round = 0;; round++) {
        if (round == 5) {
            snprintf(s->errmsg, sizeof(s->errmsg), "dedup: stories kept moving; retrying");
            err = NF_ERR_DB_TRANSIENT;
            goto done;
        }
        if (c.cands)
            PQclear(c.cands);
        const char *p1[1] = {c.rel_ids.data};
        c.cands = exec_stmt(s, candidate_state_sql, 1, p1, NULL, NULL, 0);
        if (PQresultStatus(c.cands) != PGRES_TUPLES_OK) {
            err = classify(s, "dedup candidates", c.cands);
            c.cands = NULL;
            goto done;
        }
        size_t nc = (size_t)PQntuples(c.cands), n_want = 0;
        if ((err = decide_reserve(&c, nc + 1)) != NF_OK)
            goto done;
        /* the stories read (each once) whose lock was not held when they were read */
        for (size_t r = 0; r < nc; r++)
            c.check[r] = (story_ref_t){PQgetvalue(c.cands, (int)r, COL_STORY),
                                       PQgetvalue(c.cands, (int)r, COL_VERSION)};
        qsort(c.check, nc, sizeof(story_ref_t), cmp_story_ref);
        for (size_t r = 0; r < nc; r++) {
            if (r && strcmp(c.check[r].id, c.check[r - 1].id) == 0)
                continue;
            int64_t k = lock_key(TAG_STORY, text_key32(c.check[r].id));
            if (!bsearch(&k, c.locked, c.n_locked, sizeof(int64_t), cmp_i64_asc)) {
                c.check[n_want] = c.check[r];
                c.want[n_want++] = k;
            }
        }
        if (n_want == 0)
            break;
        memcpy(c.locked + c.n_locked, c.want, n_want * sizeof(int64_t));
        c.n_locked = sort_unique(c.sc, c.locked, c.n_locked + n_want);
        if ((err = take_locks(s, c.want, n_want, "story locks")) != NF_OK)
            goto done;
        /* their row versions now */
        bufs_reset(&c);
        for (size_t i = 0; i < n_want; i++) {
            arr_text(&c.b[0], c.check[i].id);
            arr_text(&c.b[1], c.check[i].version);
        }
        const char *pv[2] = {arr_end(&c.b[0]), arr_end(&c.b[1])};
        if (bufs_failed(&c)) {
            err = NF_ERR_NOMEM;
            goto done;
        }
        PGresult *vres = exec_stmt(s, story_versions_sql, 2, pv, NULL, NULL, 0);
        if (PQresultStatus(vres) != PGRES_TUPLES_OK) {
            err = classify(s, "dedup story versions", vres);
            goto done;
        }
        int moved = strcmp(PQgetvalue(vres, 0, 0), "0") != 0;
        PQclear(vres);
        if (!moved)
            break;
    }

    /* 6. decide */
    size_t nc = (size_t)PQntuples(c.cands), nn = nc + n_new;
    c.nodes = scratch_calloc(c.sc, nn, sizeof(nf_story_node_t));
    c.rows = scratch_calloc(c.sc, nc, sizeof(int));
    if (!c.nodes || !c.rows) {
        err = NF_ERR_NOMEM;
        goto done;
    }
    size_t k = 0;
    for (size_t r = 0; r < nc; r++) {
        nf_story_node_t *x = &c.nodes[k];
        int row = (int)r;
        id_row_t key = {PQgetvalue(c.cands, row, COL_ID), 0};
        const id_row_t *ref = bsearch(&key, c.by_id, n_rel, sizeof(id_row_t), cmp_id_row);
        if (!ref)
            continue; /* cannot happen: the rows read are those asked for */
        x->fp = *c.cfp[ref->row];
        x->id = key.id;
        x->stored = 1;
        x->status = status_of(PQgetvalue(c.cands, row, COL_STATUS));
        x->dup_of = PQgetvalue(c.cands, row, COL_DUP_OF);
        x->dup_t = strtoll(PQgetvalue(c.cands, row, COL_DUP_T), NULL, 10);
        x->similarity = strtod(PQgetvalue(c.cands, row, COL_SIM), NULL);
        snprintf(x->story, sizeof(x->story), "%s", PQgetvalue(c.cands, row, COL_STORY));
        x->story_first_id = PQgetvalue(c.cands, row, COL_FIRST_ID);
        x->story_first_t = strtoll(PQgetvalue(c.cands, row, COL_FIRST_T), NULL, 10);
        c.rows[k] = row;
        k++;
    }
    nc = k;
    for (size_t u = 0; u < n_new; u++) {
        nf_story_node_t *x = &c.nodes[k++];
        x->id = arts[c.uniq[u]].id;
        x->fp = *arts[c.uniq[u]].fp;
    }
    nn = k;
    if ((err = nf_story_resolve(c.nodes, nn, params)) != NF_OK)
        goto done;
    for (size_t i = 0; i < nn; i++) /* stored as the records show it */
        c.nodes[i].similarity = nf_dedup_similarity_shown(c.nodes[i].similarity);

    /* 7. write: new fingerprints (with their stories), keys, stories */
    c.order = scratch_alloc(c.sc, n_new * sizeof(id_row_t));
    if (!c.order) {
        err = NF_ERR_NOMEM;
        goto done;
    }
    for (size_t u = 0; u < n_new; u++)
        c.order[u] = (id_row_t){c.nodes[nc + u].id, u};
    qsort(c.order, n_new, sizeof(id_row_t), cmp_id_row); /* the primary key's order */
    static const uint32_t fp_types[DECIDE_PARAMS] = {OID_TEXT,  OID_INT8,   OID_TEXT, OID_TEXT,
                                                     OID_BYTEA, OID_TEXT,   OID_TEXT, OID_TEXT,
                                                     OID_INT8,  OID_FLOAT4, OID_TEXT};
    for (int i = 0; i < DECIDE_PARAMS; i++)
        pga_begin(&c.bin[i], fp_types[i]);
    for (size_t o = 0; o < n_new; o++) {
        size_t u = c.order[o].row;
        const nf_story_node_t *x = &c.nodes[nc + u];
        nf_store_dedup_article_t *a = &arts[c.uniq[u]];
        uint8_t wire[NF_FINGERPRINT_WIRE_MAX];
        char ek[2 * NF_SHA256_LEN + 1];
        size_t wl = nf_fingerprint_encode(&x->fp, wire);
        nf_hex(x->fp.exact, NF_SHA256_LEN, ek);
        const char *ents = a->entity_ids_json ? a->entity_ids_json : "[]";
        const char *status = nf_dedup_status_name(x->status);
        pga_text(&c.bin[0], x->id, strlen(x->id));
        pga_int8(&c.bin[1], x->fp.t);
        pga_text(&c.bin[2], a->lang, strlen(a->lang));
        pga_text(&c.bin[3], ek, strlen(ek));
        pga_text(&c.bin[4], (const char *)wire, wl);
        pga_text(&c.bin[5], ents, strlen(ents));
        pga_text(&c.bin[6], status, strlen(status));
        if (x->status == NF_DEDUP_UNIQUE) {
            pga_null(&c.bin[7]);
            pga_null(&c.bin[8]);
        } else {
            pga_text(&c.bin[7], x->dup_of, strlen(x->dup_of));
            pga_int8(&c.bin[8], x->dup_t);
        }
        pga_float4(&c.bin[9], (float)x->similarity);
        pga_text(&c.bin[10], x->story, strlen(x->story));
        if ((err = pending_add(s, x->id, &x->fp)) != NF_OK)
            goto done;
        /* the decision, for the record */
        a->dedup.status = x->status;
        snprintf(a->dedup.duplicate_of, sizeof(a->dedup.duplicate_of), "%s",
                 x->status == NF_DEDUP_UNIQUE ? "" : x->dup_of);
        a->dedup.similarity = x->similarity;
        memcpy(a->story_id, x->story, NF_STORY_ID_LEN);
        a->new_story = x->new_story;
    }
    size_t n_joined = 0; /* stored stories the new articles joined (their rows in bin[6..9]) */
    if (n_new) {
        if ((err = exec_binary(s, insert_fp_sql, DECIDE_PARAMS, c.bin, "insert fingerprints")) !=
            NF_OK)
            goto done;
        size_t n_krows = 0;
        c.krows = scratch_alloc(c.sc, n_new * (NF_NEAR_BANDS + NF_SIG_NAMES) * sizeof(key_row_t));
        if (!c.krows) {
            err = NF_ERR_NOMEM;
            goto done;
        }
        for (size_t u = 0; u < n_new; u++) {
            const nf_story_node_t *x = &c.nodes[nc + u];
            int64_t keys[NF_NEAR_BANDS + NF_SIG_NAMES];
            size_t n_keys = index_keys_of(&x->fp, keys);
            for (size_t j = 0; j < n_keys; j++)
                c.krows[n_krows++] = (key_row_t){keys[j], x->fp.t, x->id};
        }
        key_row_t *tmp = scratch_alloc(c.sc, n_krows * sizeof(key_row_t));
        if (!tmp) {
            err = NF_ERR_NOMEM;
            goto done;
        }
        sort_key_rows(c.krows, n_krows, tmp);
        pga_begin(&c.bin[0], OID_INT8);
        pga_begin(&c.bin[1], OID_TEXT);
        pga_begin(&c.bin[2], OID_INT8);
        for (size_t r = 0; r < n_krows; r++) {
            pga_int8(&c.bin[0], c.krows[r].key);
            pga_text(&c.bin[1], c.krows[r].id, strlen(c.krows[r].id));
            pga_int8(&c.bin[2], c.krows[r].t);
        }
        if ((err = exec_binary(s, insert_keys_sql, 3, c.bin, "insert fingerprint keys")) != NF_OK)
            goto done;
        size_t n_opened = 0;
        if ((err = story_rows(&c, c.nodes + nc, arts, n_new, &n_opened, &n_joined)) != NF_OK)
            goto done;
        if (n_opened &&
            (err = exec_binary(s, insert_stories_sql, 6, c.bin, "insert stories")) != NF_OK)
            goto done;
    }

    /* 8. stored articles whose original or story moved */
    bufs_reset(&c);
    size_t n_dedup_fix = 0;
    for (size_t i = 0; i < nc; i++) {
        const nf_story_node_t *x = &c.nodes[i];
        if (!x->dedup_changed)
            continue;
        arr_text(&c.b[0], x->id);
        arr_text(&c.b[1], x->dup_of);
        arr_int(&c.b[2], x->dup_t);
        arr_text(&c.b[3], nf_dedup_status_name(x->status));
        arr_real(&c.b[4], x->similarity);
        n_dedup_fix++;
    }
    size_t n_merge = 0; /* losers in b[5], winners in b[6] */
    for (size_t i = 0; i < nc; i++) {
        const nf_story_node_t *x = &c.nodes[i];
        if (!x->story_changed)
            continue;
        /* the stored story this article had (read before resolve overwrote it) */
        const char *old = PQgetvalue(c.cands, c.rows[i], COL_STORY);
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = c.nodes[j].story_changed &&
                   strcmp(PQgetvalue(c.cands, c.rows[j], COL_STORY), old) == 0;
        if (seen)
            continue;
        arr_text(&c.b[5], old);
        arr_text(&c.b[6], x->story);
        n_merge++;
    }
    const char *pd[5] = {arr_end(&c.b[0]), arr_end(&c.b[1]), arr_end(&c.b[2]), arr_end(&c.b[3]),
                         arr_end(&c.b[4])};
    const char *pm[2] = {arr_end(&c.b[5]), arr_end(&c.b[6])};
    if (bufs_failed(&c)) {
        err = NF_ERR_NOMEM;
        goto done;
    }
    nf_buf_reset(&c.moved);
    size_t n_moved = 0;
    if (n_dedup_fix || n_merge) {
        const char *pl[2] = {pd[0], pm[0]};
        if ((err = exec_params(s, lock_moving_sql, 2, pl, "lock moving articles", NULL)) != NF_OK)
            goto done;
    }
    if (n_dedup_fix && (err = collect_ids(s, correct_dedup_sql, 5, pd, "correct dedup", &c.moved,
                                          &n_moved)) != NF_OK)
        goto done;
    if (n_merge && (err = collect_ids(s, merge_stories_sql, 2, pm, "merge stories", &c.moved,
                                      &n_moved)) != NF_OK)
        goto done;
    if (n_moved) {
        size_t before = out->count;
        const char *pa[2] = {arr_end(&c.moved), s->output_topic};
        if (c.moved.failed) {
            err = NF_ERR_NOMEM;
            goto done;
        }
        if ((err = exec_params(s, sync_articles_sql, 2, pa, "rewrite moved articles", out)) !=
            NF_OK)
            goto done;
        *corrected += out->count - before;
    }

    /* 9. counts of merged stories (the losers' added to their winners'), then the new articles'
     * contribution */
    if (n_merge) {
        const char *pw[2] = {c.b[5].data, c.b[6].data}; /* losers, winners */
        if ((err = exec_params(s, story_stats_sql, 2, pw, "story counts", NULL)) != NF_OK)
            goto done;
    }
    if (n_joined)
        err = exec_binary(s, story_add_sql, 4, c.bin + 6, "story counts");

done:
    if (err == NF_ERR_NOMEM)
        snprintf(s->errmsg, sizeof(s->errmsg), "dedup: out of memory");
    decide_ctx_free(s, &c);
    return err;
}

/* The stored decisions of arts[0..n) (all decided in this transaction), new_story kept. */
static nf_err_t refresh_decisions(nf_store_t *s, nf_store_dedup_article_t *arts, size_t n)
{
    nf_buf_t ids;
    memset(&ids, 0, sizeof(ids));
    for (size_t i = 0; i < n; i++)
        arr_text(&ids, arts[i].id);
    const char *p_ids[1] = {arr_end(&ids)};
    if (ids.failed) {
        nf_buf_free(&ids);
        snprintf(s->errmsg, sizeof(s->errmsg), "dedup: out of memory");
        return NF_ERR_NOMEM;
    }
    PGresult *res = exec_stmt(s, stored_sql, 1, p_ids, NULL, NULL, 0);
    nf_buf_free(&ids);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return classify(s, "dedup refresh", res);
    for (size_t i = 0; i < n; i++) {
        int r = stored_row(res, arts[i].id);
        if (r >= 0) {
            int new_story = arts[i].new_story;
            copy_stored(&arts[i], res, r);
            arts[i].new_story = new_story;
        }
    }
    PQclear(res);
    return NF_OK;
}

nf_err_t nf_store_decide(nf_store_t *s, nf_store_dedup_article_t *arts, size_t n,
                         const nf_match_params_t *params, nf_outbox_rows_t *out, size_t *corrected)
{
    *corrected = 0;
    if (n == 0)
        return NF_OK;

    /* the index keys of the whole batch, locked once in ascending order (parts of the batch
     * taking their own keys would lock out of order: a deadlock between replicas) */
    size_t max_keys = n * (NF_NEAR_BANDS + NF_SIG_NAMES + 1) + 64, nk = 0;
    int64_t *keys = scratch_alloc(&s->scratch, max_keys * sizeof(int64_t));
    if (!keys) {
        snprintf(s->errmsg, sizeof(s->errmsg), "dedup: out of memory");
        return NF_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const nf_fingerprint_t *fp = arts[i].fp;
        for (int b = 0; b < NF_NEAR_BANDS; b++)
            keys[nk++] = lock_key(TAG_BAND, fp->bands[b]);
        for (int k = 0; k < fp->n_names; k++)
            if (fp->names[k] & NF_NAME_POSTED)
                keys[nk++] = lock_key(TAG_NAME, NF_NAME_ID(fp->names[k]));
        keys[nk++] =
            lock_key(TAG_EXACT, (uint32_t)fp->exact[0] << 24 | (uint32_t)fp->exact[1] << 16 |
                                    (uint32_t)fp->exact[2] << 8 | fp->exact[3]);
    }
    nf_err_t err = take_locks(s, keys, nk, "dedup key locks");
    scratch_reset(&s->scratch);
    if (err != NF_OK)
        return err;

    /* The candidates (every stored article sharing a key with the batch in the window) are what
     * a decision holds in memory, ~2 KB each with their fingerprints: their number follows the
     * input (~20,000 for a 500-article batch of the bench's news stream once its window is
     * full), so with dedup_max_candidates the batch is decided in consecutive parts, each
     * reading at most that many (unless a single article does), in the same transaction. Parts
     * decide as consecutive batches would: nf_story_resolve's result does not depend on the
     * split. The part size is learnt from the reads, so few reads are wasted. */
    size_t done = 0, parts = 0;
    while (done < n) {
        size_t part = n - done;
        if (s->max_candidates && s->part_articles && part > s->part_articles)
            part = s->part_articles;
        int over = 0;
        size_t read = 0;
        err = decide_part(s, arts + done, part, params, out, corrected, s->max_candidates, &over,
                          &read);
        if (err != NF_OK)
            return err;
        if (!s->max_candidates)
            break; /* one part: the whole batch */
        if (over) {
            s->part_articles = part / 2 ? part / 2 : 1;
            continue;
        }
        done += part;
        parts++;
        /* Candidates grow less than linearly with the articles (a batch's articles share keys
         * and stories), so a part size is only halved when its read passes the bound and
         * doubled when it reads less than half of it: scaling it by the last read shrank it at
         * every part (the bench's (b) fell to ~25 articles/s). */
        if (read <= s->max_candidates / 2)
            s->part_articles = part < n / 2 ? part * 2 : 0; /* 0: the whole batch */
        else
            s->part_articles = part;
    }
    /* A later part can move the decision of an article of an earlier part (an earlier original,
     * a merged story) in fingerprints, but its articles row is written
     * after the decision (nf_store_write_batch): it must carry the decision as it stands now. */
    return parts > 1 ? refresh_decisions(s, arts, n) : NF_OK;
}
