/* nf-bench: the two helpers of the end-to-end benchmark (tests/bench/e2e/run.sh).
 *
 *   nf-bench publish BROKERS TOPIC FILE [RATE]
 *       Produces every line of a JSONL file, keyed by the article id ("line-N" when a line has
 *       none), at most RATE messages/s when RATE > 0 (paced in 10 ms steps, so the Kafka
 *       timestamps of the latency run are spread evenly); without RATE, a bulk load in large
 *       message sets (see publish()). Prints `published N messages in S s`.
 *
 *   nf-bench ceiling BROKERS TOPIC PG_URL
 *       The pipe's ceiling: reads every partition of TOPIC from its start to its end (no group,
 *       no enrichment) and streams the values into bench_ceiling(doc jsonb) with COPY, one
 * transaction per batch of up to 5000 messages / 8 MiB. A value that is not JSON (jansson) is
 * skipped and counted, since one would abort the whole COPY; newsflow pays the same parse in its
 *       decode stage. Prints one line: `ceiling messages=N skipped=K bytes=B seconds=S`. */
#include <jansson.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "newsflow/buf.h"

#define BATCH_MESSAGES 5000
#define BATCH_BYTES (8u << 20)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int failures;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err && failures++ < 5)
        fprintf(stderr, "nf-bench: delivery failed: %s\n", rd_kafka_err2str(m->err));
}

static rd_kafka_t *client(rd_kafka_type_t type, const char *brokers, const char *const *props)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof(err)) != 0)
        goto fail;
    for (size_t i = 0; props[i]; i += 2)
        if (rd_kafka_conf_set(conf, props[i], props[i + 1], err, sizeof(err)) != 0)
            goto fail;
    if (type == RD_KAFKA_PRODUCER)
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));
    if (rk)
        return rk;
fail:
    fprintf(stderr, "nf-bench: %s\n", err);
    return NULL;
}

/* A bulk load (no RATE) lingers up to 100 ms for message sets of up to 256 KiB per partition.
 * The embedded broker (librdkafka's mock cluster) answers a fetch with one message set per
 * partition and finds it by walking the partition's sets from the first: with the 5 ms linger of
 * a paced run, the bench corpus arrived in sets of a few messages, and at N = 100,000 the broker
 * spent ~50 us of CPU per article in that walk during (b), on the cores (b) runs on (README
 * "Performance", session 19). A Kafka broker finds a fetch offset through its index. A paced run
 * keeps the 5 ms linger: its Kafka timestamps are taken at produce time, so a longer linger would
 * add to the latency it measures. */
static int publish(const char *brokers, const char *topic, const char *path, double rate)
{
    int bulk = !(rate > 0);
    /* clang-format off */
    const char *props[] = {"linger.ms", bulk ? "100" : "5",
                           "batch.size", bulk ? "262144" : "1000000", /* librdkafka's default */
                           "message.max.bytes", "2000000", "acks", "all",
                           "queue.buffering.max.kbytes", "262144", NULL};
    /* clang-format on */
    FILE *in = fopen(path, "rb");
    if (!in) {
        perror(path);
        return 1;
    }
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, brokers, props);
    if (!rk)
        return 1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long n = 0;
    double t0 = now_s();
    while ((len = getline(&line, &cap, in)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        n++;
        char key[160];
        json_t *doc = json_loadb(line, (size_t)len, 0, NULL);
        json_t *id = json_object_get(doc, "id");
        if (json_is_string(id) && json_string_length(id) > 0 && json_string_length(id) < 150)
            snprintf(key, sizeof(key), "%s", json_string_value(id));
        else
            snprintf(key, sizeof(key), "line-%lu", n);
        json_decref(doc);
        if (rate > 0) {
            double due = t0 + (double)(n - 1) / rate;
            double wait = due - now_s();
            if (wait > 0.01) {
                struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
                nanosleep(&ts, NULL);
            }
        }
        for (;;) {
            rd_kafka_resp_err_t err =
                rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
                                  RD_KAFKA_V_VALUE(line, (size_t)len),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (!err)
                break;
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                fprintf(stderr, "nf-bench: produce: %s\n", rd_kafka_err2str(err));
                return 1;
            }
            rd_kafka_poll(rk, 10);
        }
        rd_kafka_poll(rk, 0);
    }
    free(line);
    fclose(in);
    rd_kafka_flush(rk, 120000);
    double secs = now_s() - t0;
    rd_kafka_destroy(rk);
    printf("published %lu messages in %.2f s\n", n, secs);
    return failures ? 1 : 0;
}

static int pg_ok(PGconn *conn, PGresult *res, ExecStatusType want, const char *what)
{
    int ok = PQresultStatus(res) == want;
    if (!ok)
        fprintf(stderr, "nf-bench: %s: %s", what, PQerrorMessage(conn));
    PQclear(res);
    return ok;
}

/* Rows stream into an open COPY in 256 KiB chunks, so PostgreSQL parses while we consume;
 * each COPY (one batch) commits on its own (autocommit). */
static int copy_open(PGconn *conn, const char *copy_sql)
{
    return pg_ok(conn, PQexec(conn, copy_sql), PGRES_COPY_IN, "copy");
}

static int copy_put(PGconn *conn, nf_buf_t *rows)
{
    int ok = !rows->len || PQputCopyData(conn, rows->data, (int)rows->len) == 1;
    nf_buf_reset(rows);
    return ok;
}

static int copy_close(PGconn *conn, nf_buf_t *rows)
{
    if (!copy_put(conn, rows) || PQputCopyEnd(conn, NULL) != 1)
        return 0;
    PGresult *res;
    int ok = 1;
    while ((res = PQgetResult(conn)) != NULL)
        ok &= pg_ok(conn, res, PGRES_COMMAND_OK, "copy end");
    return ok;
}

static int ceiling(const char *brokers, const char *topic, const char *pg_url)
{
    static const char *props[] = {"group.id",
                                  "nf-bench-ceiling",
                                  "enable.partition.eof",
                                  "true",
                                  "enable.auto.commit",
                                  "false",
                                  "fetch.message.max.bytes",
                                  "2000000",
                                  "queued.max.messages.kbytes",
                                  "16384",
                                  NULL};
    PGconn *conn = PQconnectdb(pg_url);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "nf-bench: %s", PQerrorMessage(conn));
        return 1;
    }
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, brokers, props);
    if (!rk)
        return 1;
    rd_kafka_poll_set_consumer(rk);
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1 ||
        md->topics[0].partition_cnt == 0) {
        fprintf(stderr, "nf-bench: no metadata for topic %s\n", topic);
        return 1;
    }
    int n_parts = md->topics[0].partition_cnt;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(n_parts);
    for (int i = 0; i < n_parts; i++)
        rd_kafka_topic_partition_list_add(list, topic, md->topics[0].partitions[i].id)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    double t0 = now_s();
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);

    /* COPY text format; each value escaped by nf_buf_copy_text(). */
    static const char copy_sql[] = "COPY bench_ceiling (doc) FROM STDIN";
    nf_buf_t rows = NF_BUF_INIT;
    unsigned long messages = 0, skipped = 0, in_batch = 0;
    size_t batch_bytes = 0;
    unsigned long long bytes = 0;
    int at_end = 0, ok = 1;
    while (ok && at_end < n_parts) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
        if (m && m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
            at_end++;
        else if (m && m->err)
            fprintf(stderr, "nf-bench: consumer: %s\n", rd_kafka_message_errstr(m));
        else if (m) {
            messages++;
            bytes += m->len;
            json_t *doc = m->payload ? json_loadb(m->payload, m->len, JSON_DECODE_ANY, NULL) : NULL;
            if (doc) {
                if (in_batch == 0 && !(ok = copy_open(conn, copy_sql)))
                    break;
                nf_buf_copy_text(&rows, m->payload, m->len);
                nf_buf_putc(&rows, '\n');
                in_batch++;
                batch_bytes += m->len;
                json_decref(doc);
                if (rows.len >= 256 * 1024)
                    ok = copy_put(conn, &rows);
            } else {
                skipped++;
            }
        }
        if (m)
            rd_kafka_message_destroy(m);
        if (in_batch >= BATCH_MESSAGES || batch_bytes >= BATCH_BYTES ||
            (in_batch && (!m || at_end >= n_parts))) {
            ok = ok && copy_close(conn, &rows) && !rows.failed;
            in_batch = 0;
            batch_bytes = 0;
        }
    }
    double secs = now_s() - t0;
    printf("ceiling messages=%lu skipped=%lu bytes=%llu seconds=%.3f\n", messages, skipped, bytes,
           secs);
    nf_buf_free(&rows);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    PQfinish(conn);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && !strcmp(argv[1], "publish"))
        return publish(argv[2], argv[3], argv[4], argc > 5 ? atof(argv[5]) : 0);
    if (argc == 5 && !strcmp(argv[1], "ceiling"))
        return ceiling(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: nf-bench publish BROKERS TOPIC FILE [RATE]\n"
                    "       nf-bench ceiling BROKERS TOPIC PG_URL\n");
    return 2;
}
