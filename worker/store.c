/* PostgreSQL access. Every statement is parameterised or COPY; no SQL is built from data.
 * Result rows that carry message bytes are fetched in binary format so payloads come back
 * byte-exact without hex decoding. */
#include "newsflow/store.h"

#include <endian.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsflow/alloc.h"
#include "newsflow/buf.h"
#include "newsflow/log.h"

extern const struct {
    const char *name;
    const char *sql;
} nf_migrations[];
extern const size_t nf_migrations_count;

/* Advisory lock keys (two-int form): (28262, first 31 bits of a content hash) for dedup,
 * (28263, 0) for migrations. 28262 = 0x6e66, "nf". Written into the SQL as literals so that no
 * statement is ever built with a format string. */
#define COPY_CHUNK (256 * 1024)

struct nf_store {
    PGconn *conn;
    char *conninfo;
    const char *output_topic;
    const char *dlq_topic;
    const char *group_id;
    char errmsg[512];
    nf_buf_t copybuf;
    nf_buf_t arr1, arr2;
};

static const char *stage_ddl =
    "CREATE TEMP TABLE IF NOT EXISTS nf_stage_articles ("
    " seq integer NOT NULL, id text NOT NULL, enriched text NOT NULL, raw text NOT NULL,"
    " partition integer NOT NULL, kafka_offset bigint NOT NULL, kafka_ts_ms bigint NOT NULL)"
    " ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS nf_stage_rejects ("
    " partition integer NOT NULL, kafka_offset bigint NOT NULL, reason text NOT NULL,"
    " detail text NOT NULL, article_id text, msg_key bytea, raw bytea NOT NULL,"
    " kafka_ts_ms bigint NOT NULL, original_bytes bigint) ON COMMIT DELETE ROWS";

/* One statement writes the articles and everything that hangs off them: a replayed id inserts
 * nothing (ON CONFLICT), and only rows actually inserted reach content_hashes, entities,
 * mentions and the outbox. The outbox payload is the enriched text as rendered (jsonb would
 * reorder its keys). */
static const char *insert_articles_sql =
    "WITH pick AS ("
    "  SELECT DISTINCT ON (id) * FROM nf_stage_articles ORDER BY id, seq"
    "), ins AS ("
    "  INSERT INTO articles (id, source, url, title, published_at, lang_code, lang_script,"
    "    lang_confidence, entities, dedup_status, duplicate_of, dedup_similarity, story_id,"
    "    content_sha256, raw, enriched, kafka_topic, kafka_partition, kafka_offset,"
    "    kafka_timestamp)"
    "  SELECT p.id, e->>'source', e->>'url', e->>'title', (e->>'published_at')::timestamptz,"
    "    e->'lang'->>'code', e->'lang'->>'script', (e->'lang'->>'confidence')::real,"
    "    e->'entities', e->'dedup'->>'status', e->'dedup'->>'duplicate_of',"
    "    (e->'dedup'->>'similarity')::real, e->>'story_id', e->>'content_sha256',"
    "    p.raw::jsonb, e, $1, p.partition, p.kafka_offset,"
    "    CASE WHEN p.kafka_ts_ms >= 0 THEN to_timestamp(p.kafka_ts_ms / 1000.0) END"
    "  FROM pick p CROSS JOIN LATERAL (SELECT p.enriched::jsonb AS e) x"
    "  ORDER BY p.id"
    "  ON CONFLICT (id) DO NOTHING"
    "  RETURNING id, content_sha256, dedup_status, entities, kafka_partition"
    "), hashes AS ("
    "  INSERT INTO content_hashes (content_sha256, article_id)"
    "  SELECT content_sha256, id FROM ins WHERE dedup_status = 'unique'"
    "  ON CONFLICT (content_sha256) DO NOTHING RETURNING 1"
    "), ents AS ("
    "  INSERT INTO entities (id, type, name)"
    "  SELECT DISTINCT ON (x->>'id') x->>'id', x->>'type', x->>'name'"
    "  FROM ins, jsonb_array_elements(ins.entities) x ORDER BY x->>'id'"
    "  ON CONFLICT (id) DO NOTHING RETURNING 1"
    "), mens AS ("
    "  INSERT INTO mentions (article_id, entity_id, field, start_cp, end_cp, text)"
    "  SELECT ins.id, x->>'id', m->>'field', (m->>'start')::int, (m->>'end')::int, m->>'text'"
    "  FROM ins, jsonb_array_elements(ins.entities) x, jsonb_array_elements(x->'mentions') m"
    "  ON CONFLICT DO NOTHING"
    ")"
    " INSERT INTO outbox (topic, msg_key, payload, src_topic, src_partition)"
    " SELECT $2, convert_to(i.id, 'UTF8'), convert_to(p.enriched, 'UTF8'), $1, i.kafka_partition"
    " FROM ins i JOIN pick p ON p.id = i.id"
    " ORDER BY i.kafka_partition, p.kafka_offset"
    " RETURNING id, topic, msg_key, payload, headers::text, src_partition,"
    "   (SELECT count(*) FROM ents), (SELECT count(*) FROM hashes)";

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
    const char *keys[] = {"dbname", "fallback_application_name", "connect_timeout", NULL};
    const char *values[] = {s->conninfo, "newsflow", "10", NULL};
    s->conn = PQconnectdbParams(keys, values, 1);
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
        set_error(s, "connect", NULL);
        return NF_ERR_DB_TRANSIENT;
    }
    PQsetNoticeProcessor(s->conn, notice_processor, NULL);
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
    s->dlq_topic = cfg->dlq_topic;
    s->group_id = cfg->group_id;
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
    nf_free(s->conninfo);
    nf_buf_free(&s->copybuf);
    nf_buf_free(&s->arr1);
    nf_buf_free(&s->arr2);
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
        nf_buf_printf(b, i ? ",%lld" : "%lld", (long long)v[i]);
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
    nf_err_t err = nf_store_ensure_connected(s);
    return err != NF_OK ? err : exec_simple(s, "BEGIN", "begin");
}

nf_err_t nf_store_commit(nf_store_t *s)
{
    return exec_simple(s, "COMMIT", "commit");
}

void nf_store_rollback(nf_store_t *s)
{
    if (s->conn && PQstatus(s->conn) == CONNECTION_OK)
        PQclear(PQexec(s->conn, "ROLLBACK"));
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

nf_err_t nf_store_lookup_hashes(nf_store_t *s, const char *const *sha_hex, size_t n,
                                char **first_ids)
{
    for (size_t i = 0; i < n; i++)
        first_ids[i] = NULL;
    if (n == 0)
        return NF_OK;
    /* Lock keys: the first 31 bits of each hash, sorted and unique: a fixed global order. */
    int64_t *keys = nf_malloc(n * sizeof(int64_t));
    if (!keys)
        return NF_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        char head[9];
        memcpy(head, sha_hex[i], 8);
        head[8] = '\0';
        keys[i] = (int64_t)(strtoul(head, NULL, 16) & 0x7fffffff);
    }
    qsort(keys, n, sizeof(int64_t), cmp_i64);
    size_t uniq = 0;
    for (size_t i = 0; i < n; i++)
        if (uniq == 0 || keys[uniq - 1] != keys[i])
            keys[uniq++] = keys[i];
    int_array_literal(&s->arr1, keys, uniq);
    nf_free(keys);

    nf_buf_reset(&s->arr2);
    nf_buf_putc(&s->arr2, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            nf_buf_putc(&s->arr2, ',');
        nf_buf_puts(&s->arr2, sha_hex[i]);
    }
    nf_buf_putc(&s->arr2, '}');
    if (s->arr1.failed || s->arr2.failed)
        return NF_ERR_NOMEM;

    /* unnest() yields the array in order and count() consumes it in order: the locks are taken
     * in ascending key order. */
    const char *lock_sql =
        "SELECT count(pg_advisory_xact_lock(28262, k::int)) FROM unnest($1::bigint[]) AS k";
    const char *p1[1] = {s->arr1.data};
    PGresult *res = PQexecParams(s->conn, lock_sql, 1, NULL, p1, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return classify(s, "dedup locks", res);
    PQclear(res);
    const char *p2[1] = {s->arr2.data};
    res = PQexecParams(s->conn,
                       "SELECT content_sha256, article_id FROM content_hashes"
                       " WHERE content_sha256 = ANY($1::text[])",
                       1, NULL, p2, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return classify(s, "dedup lookup", res);
    nf_err_t err = NF_OK;
    for (int r = 0; r < PQntuples(res) && err == NF_OK; r++) {
        const char *sha = PQgetvalue(res, r, 0);
        for (size_t i = 0; i < n; i++) {
            if (!first_ids[i] && strcmp(sha_hex[i], sha) == 0) {
                if (!(first_ids[i] = nf_strdup(PQgetvalue(res, r, 1)))) {
                    err = NF_ERR_NOMEM;
                    break;
                }
            }
        }
    }
    PQclear(res);
    if (err != NF_OK)
        for (size_t i = 0; i < n; i++) {
            nf_free(first_ids[i]);
            first_ids[i] = NULL;
        }
    return err;
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
    if (out->n_results == sizeof(out->results) / sizeof(out->results[0])) {
        PQclear(res);
        return NF_ERR_NOMEM;
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
        row->payload = PQgetvalue(res, r, 3);
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
    PGresult *res = PQexecParams(s->conn, sql, 2, NULL, params, NULL, NULL, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return classify(s, what, res);
    return outbox_collect(s, res, out);
}

nf_err_t nf_store_write_batch(nf_store_t *s, const nf_store_batch_t *b, nf_outbox_rows_t *out,
                              nf_store_counts_t *counts)
{
    nf_err_t err;
    memset(counts, 0, sizeof(*counts));
    nf_buf_t *cb = &s->copybuf;
    if (b->n_articles) {
        if ((err = copy_begin(s, "COPY nf_stage_articles FROM STDIN")) != NF_OK)
            return err;
        for (size_t i = 0; i < b->n_articles && err == NF_OK; i++) {
            const nf_store_article_t *a = &b->articles[i];
            nf_buf_printf(cb, "%zu\t", i);
            nf_buf_copy_text(cb, a->id, strlen(a->id));
            nf_buf_putc(cb, '\t');
            nf_buf_copy_text(cb, a->enriched, a->enriched_len);
            nf_buf_putc(cb, '\t');
            nf_buf_copy_text(cb, a->raw, a->raw_len);
            nf_buf_printf(cb, "\t%d\t%lld\t%lld\n", a->partition, (long long)a->offset,
                          (long long)a->timestamp_ms);
            err = copy_flush(s, 0);
        }
        if ((err = copy_end(s, err)) != NF_OK)
            return err;
        size_t first_row = out->count;
        err = exec_outbox_insert(s, insert_articles_sql, b->topic, s->output_topic,
                                 "insert articles", out);
        if (err != NF_OK)
            return err;
        counts->articles_inserted = out->count - first_row;
        if (counts->articles_inserted) {
            PGresult *res = out->results[out->n_results - 1];
            uint64_t ents, hashes;
            memcpy(&ents, PQgetvalue(res, 0, 6), 8);
            memcpy(&hashes, PQgetvalue(res, 0, 7), 8);
            counts->entities_created = (size_t)be64toh(ents);
            counts->hashes_created = (size_t)be64toh(hashes);
        }
    }
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
        PGresult *res = PQexecParams(s->conn, upsert_offsets_sql, 4, NULL, params, NULL, NULL, 0);
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
    PGresult *res =
        PQexecParams(s->conn,
                     "SELECT id, topic, msg_key, payload, headers::text, src_partition"
                     " FROM outbox WHERE src_topic = $1 AND src_partition = ANY($2::int[])"
                     " AND id > $3 AND id < $5 ORDER BY id LIMIT $4",
                     5, NULL, params, NULL, NULL, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return classify(s, "outbox fetch", res);
    return outbox_collect(s, res, out);
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
    PGresult *res = PQexecParams(s->conn, "DELETE FROM outbox WHERE id = ANY($1::bigint[])", 1,
                                 NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return classify(s, "outbox delete", res);
    PQclear(res);
    return NF_OK;
}
