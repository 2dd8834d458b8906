#include "newsflow/consumer.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "newsflow/alloc.h"
#include "newsflow/kafka.h"
#include "newsflow/log.h"
#include "newsflow/metrics.h"

typedef struct assigned {
    int32_t partition;
    int at_end;
    int64_t expected; /* next offset we expect to see, -1 when unknown */
} assigned_t;

struct nf_consumer {
    rd_kafka_t *rk;
    char *topic;
    nf_consumer_hooks_t hooks;
    assigned_t *parts;
    size_t n_parts, cap_parts;
    uint64_t rebalances;
    int closed;
    nf_metric_t *m_rebalances;
    /* consumer lag per assigned partition, from librdkafka statistics; read by /metrics */
    pthread_mutex_t lag_lock;
    nf_partition_offset_t *lags; /* .offset holds the lag */
    size_t n_lags;
};

/* Statistics arrive every statistics.interval.ms (served by the poll call). Only partitions
 * assigned to us with a known lag are kept: unknown lag is absent, never -1. */
static int stats_cb(rd_kafka_t *rk, char *json, size_t json_len, void *opaque)
{
    (void)rk;
    nf_consumer_t *c = opaque;
    json_t *root = json_loadb(json, json_len, 0, NULL);
    json_t *parts =
        json_object_get(json_object_get(json_object_get(root, "topics"), c->topic), "partitions");
    nf_partition_offset_t *lags = nf_calloc(c->n_parts ? c->n_parts : 1, sizeof(*lags));
    size_t n = 0;
    for (size_t i = 0; lags && parts && i < c->n_parts; i++) {
        char key[16];
        snprintf(key, sizeof(key), "%d", c->parts[i].partition);
        json_t *lag = json_object_get(json_object_get(parts, key), "consumer_lag");
        if (json_is_integer(lag) && json_integer_value(lag) >= 0)
            lags[n++] = (nf_partition_offset_t){c->parts[i].partition, json_integer_value(lag)};
    }
    json_decref(root);
    if (lags) {
        pthread_mutex_lock(&c->lag_lock);
        nf_free(c->lags);
        c->lags = lags;
        c->n_lags = n;
        pthread_mutex_unlock(&c->lag_lock);
    }
    return 0; /* librdkafka frees json */
}

static void forget_lag(nf_consumer_t *c, int32_t partition)
{
    pthread_mutex_lock(&c->lag_lock);
    for (size_t i = 0; i < c->n_lags; i++)
        if (c->lags[i].partition == partition) {
            c->lags[i] = c->lags[--c->n_lags];
            break;
        }
    pthread_mutex_unlock(&c->lag_lock);
}

static void lag_collector(nf_buf_t *out, void *opaque)
{
    nf_consumer_t *c = opaque;
    pthread_mutex_lock(&c->lag_lock);
    if (c->n_lags)
        nf_buf_puts(out, "# HELP newsflow_consumer_lag_messages Messages behind the partition's "
                         "high watermark (librdkafka statistics), per assigned partition\n"
                         "# TYPE newsflow_consumer_lag_messages gauge\n");
    for (size_t i = 0; i < c->n_lags; i++)
        nf_buf_printf(out, "newsflow_consumer_lag_messages{partition=\"%d\"} %lld\n",
                      c->lags[i].partition, (long long)c->lags[i].offset);
    pthread_mutex_unlock(&c->lag_lock);
}

static assigned_t *find_part(const nf_consumer_t *c, int32_t partition)
{
    for (size_t i = 0; i < c->n_parts; i++)
        if (c->parts[i].partition == partition)
            return &c->parts[i];
    return NULL;
}

static void track_assign(nf_consumer_t *c, int32_t partition, int64_t start)
{
    assigned_t *known = find_part(c, partition);
    if (known) {
        known->expected = start;
        return;
    }
    if (c->n_parts == c->cap_parts) {
        size_t cap = c->cap_parts ? c->cap_parts * 2 : 32;
        assigned_t *p = nf_realloc(c->parts, cap * sizeof(*p));
        if (!p) {
            nf_log(NF_LOG_ERROR, "out of memory tracking an assigned partition", NULL);
            return;
        }
        c->parts = p;
        c->cap_parts = cap;
    }
    c->parts[c->n_parts++] = (assigned_t){partition, 0, start};
}

static void track_revoke(nf_consumer_t *c, int32_t partition)
{
    for (size_t i = 0; i < c->n_parts; i++)
        if (c->parts[i].partition == partition) {
            c->parts[i] = c->parts[--c->n_parts];
            return;
        }
}

static void log_partitions(const char *msg, const rd_kafka_topic_partition_list_t *parts)
{
    char list[512];
    size_t used = 0;
    list[0] = '\0';
    for (int i = 0; i < parts->cnt && used < sizeof(list) - 16; i++)
        used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%d", i ? "," : "",
                                 parts->elems[i].partition);
    nf_log(NF_LOG_INFO, msg, "partitions", list, NULL);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    nf_consumer_t *c = opaque;
    int cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    c->rebalances++;
    nf_counter_add(c->m_rebalances, 1);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        nf_partition_offset_t *po = nf_calloc((size_t)parts->cnt, sizeof(*po));
        int have_offsets = 0;
        if (po) {
            for (int i = 0; i < parts->cnt; i++)
                po[i].partition = parts->elems[i].partition;
            nf_err_t herr = c->hooks.on_assign ? c->hooks.on_assign(c->hooks.opaque, c->topic, po,
                                                                    (size_t)parts->cnt)
                                               : NF_OK;
            have_offsets = herr == NF_OK;
            if (!have_offsets)
                nf_log(NF_LOG_WARN,
                       "stored offsets unavailable: starting from Kafka's committed offsets",
                       "error", nf_err_name(herr), NULL);
        }
        for (int i = 0; i < parts->cnt; i++) {
            int64_t off = have_offsets ? po[i].offset : -1;
            parts->elems[i].offset = off >= 0 ? off : RD_KAFKA_OFFSET_INVALID;
            track_assign(c, parts->elems[i].partition, off >= 0 ? off : -1);
        }
        nf_free(po);
        log_partitions("partitions assigned", parts);
        rd_kafka_error_t *e = NULL;
        if (cooperative)
            e = rd_kafka_incremental_assign(rk, parts);
        else
            rd_kafka_assign(rk, parts);
        if (e) {
            nf_log(NF_LOG_ERROR, "incremental assign failed", "error", rd_kafka_error_string(e),
                   NULL);
            rd_kafka_error_destroy(e);
        }
        return;
    }
    /* Revoke or lost. */
    int lost = rd_kafka_assignment_lost(rk);
    int32_t *ids = nf_calloc((size_t)parts->cnt, sizeof(int32_t));
    for (int i = 0; i < parts->cnt; i++) {
        if (ids)
            ids[i] = parts->elems[i].partition;
        track_revoke(c, parts->elems[i].partition);
        forget_lag(c, parts->elems[i].partition);
    }
    if (ids && c->hooks.on_revoke)
        c->hooks.on_revoke(c->hooks.opaque, c->topic, ids, (size_t)parts->cnt, lost);
    nf_free(ids);
    log_partitions(lost ? "partitions lost" : "partitions revoked", parts);
    if (cooperative) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
        if (e)
            rd_kafka_error_destroy(e);
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

nf_consumer_t *nf_consumer_new(const nf_config_t *cfg, const nf_consumer_hooks_t *hooks,
                               char *errstr, size_t errstr_size)
{
    nf_consumer_t *c = nf_calloc(1, sizeof(*c));
    if (!c || !(c->topic = nf_strdup(cfg->input_topic))) {
        snprintf(errstr, errstr_size, "out of memory");
        nf_free(c);
        return NULL;
    }
    if (hooks)
        c->hooks = *hooks;
    pthread_mutex_init(&c->lag_lock, NULL);
    c->m_rebalances =
        nf_counter("newsflow_rebalances_total",
                   "Partition assignments and revocations seen by this replica", NULL, NULL);
    const char *defaults[] = {"client.id", "newsflow", "partition.assignment.strategy",
                              "cooperative-sticky", "auto.offset.reset", "earliest",
                              "enable.partition.eof", cfg->stop_at_end ? "true" : "false",
                              "statistics.interval.ms", "5000",
                              /* prefetch bound (librdkafka's default is 64 MiB) */
                              "queued.max.messages.kbytes", "16384",
                              /* A broker answers a fetch when data arrives, but some (the
                               * embedded mock broker) hold it for the full wait: 500 ms by
                               * default, which alone made p99 latency ~0.7 s at 500 msg/s;
                               * 50 ms gave ~0.1 s (tests/bench/e2e). */
                              "fetch.wait.max.ms", "50", NULL};
    /* PostgreSQL holds the authoritative offsets: Kafka only gets them after each commit. */
    const char *forced[] = {
        "group.id", cfg->group_id, "enable.auto.commit", "false", "enable.auto.offset.store",
        "false",    NULL};
    rd_kafka_conf_t *conf = nf_kafka_conf_new(cfg, defaults, forced, errstr, errstr_size);
    if (!conf)
        goto fail;
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_stats_cb(conf, stats_cb);
    rd_kafka_conf_set_opaque(conf, c);
    char err[512];
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!c->rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(errstr, errstr_size, "kafka consumer: %s", err);
        goto fail;
    }
    rd_kafka_poll_set_consumer(c->rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, cfg->input_topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t rerr = rd_kafka_subscribe(c->rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (rerr) {
        snprintf(errstr, errstr_size, "subscribe to %s: %s", cfg->input_topic,
                 rd_kafka_err2str(rerr));
        goto fail;
    }
    nf_metrics_add_collector(lag_collector, c);
    return c;
fail:
    nf_consumer_destroy(c);
    return NULL;
}

nf_err_t nf_consumer_poll(nf_consumer_t *c, int timeout_ms, nf_message_t *out)
{
    rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, timeout_ms);
    if (!m)
        return NF_ERR_TIMEOUT;
    if (m->err) {
        nf_err_t ret = NF_ERR_KAFKA;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            assigned_t *a = find_part(c, m->partition);
            if (a)
                a->at_end = 1;
            ret = NF_ERR_EOF;
        } else {
            char part[16];
            snprintf(part, sizeof(part), "%d", m->partition);
            nf_log(NF_LOG_WARN, "consumer error", "error", rd_kafka_message_errstr(m), "code",
                   rd_kafka_err2name(m->err), "partition", part, NULL);
        }
        rd_kafka_message_destroy(m);
        return ret;
    }
    assigned_t *a = find_part(c, m->partition);
    if (a) {
        a->at_end = 0;
        /* A jump means messages were deleted before we read them (retention, compaction) or
         * were transaction markers: nothing newsflow can recover, but operators must know. */
        if (a->expected >= 0 && m->offset > a->expected) {
            char part[16], from[32], to[32];
            snprintf(part, sizeof(part), "%d", m->partition);
            snprintf(from, sizeof(from), "%lld", (long long)a->expected);
            snprintf(to, sizeof(to), "%lld", (long long)m->offset);
            nf_log(NF_LOG_WARN, "offsets skipped: messages no longer on the broker (retention?)",
                   "partition", part, "expected_offset", from, "offset", to, NULL);
        }
        a->expected = m->offset + 1;
    }
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(m, &tstype);
    out->topic = rd_kafka_topic_name(m->rkt);
    out->partition = m->partition;
    out->offset = m->offset;
    out->timestamp_ms = tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts;
    out->key = m->key;
    out->key_len = m->key_len;
    out->payload = m->payload;
    out->len = m->len;
    out->handle = m;
    return NF_OK;
}

void nf_message_release(nf_message_t *m)
{
    if (m->handle)
        rd_kafka_message_destroy(m->handle);
    memset(m, 0, sizeof(*m));
}

nf_err_t nf_consumer_commit(nf_consumer_t *c, const nf_partition_offset_t *parts, size_t n)
{
    if (n == 0)
        return NF_OK;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(list, c->topic, parts[i].partition)->offset =
            parts[i].offset;
    rd_kafka_resp_err_t err = rd_kafka_commit(c->rk, list, 1);
    rd_kafka_topic_partition_list_destroy(list);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        nf_log(NF_LOG_WARN, "kafka offset commit failed (advisory only)", "error",
               rd_kafka_err2str(err), NULL);
        return NF_ERR_KAFKA;
    }
    return NF_OK;
}

void nf_consumer_pause_all(nf_consumer_t *c, int pause)
{
    rd_kafka_topic_partition_list_t *list = NULL;
    if (rd_kafka_assignment(c->rk, &list) || !list)
        return;
    if (pause)
        rd_kafka_pause_partitions(c->rk, list);
    else
        rd_kafka_resume_partitions(c->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
}

size_t nf_consumer_assigned(const nf_consumer_t *c, int32_t *out, size_t cap)
{
    for (size_t i = 0; i < c->n_parts && i < cap; i++)
        out[i] = c->parts[i].partition;
    return c->n_parts;
}

int nf_consumer_all_at_end(const nf_consumer_t *c)
{
    if (c->n_parts == 0)
        return 0;
    for (size_t i = 0; i < c->n_parts; i++)
        if (!c->parts[i].at_end)
            return 0;
    return 1;
}

uint64_t nf_consumer_rebalances(const nf_consumer_t *c)
{
    return c->rebalances;
}

void nf_consumer_close(nf_consumer_t *c)
{
    if (c->rk && !c->closed) {
        rd_kafka_consumer_close(c->rk);
        c->closed = 1;
    }
}

void nf_consumer_destroy(nf_consumer_t *c)
{
    if (!c)
        return;
    nf_metrics_remove_collector(lag_collector, c);
    if (c->rk) {
        nf_consumer_close(c);
        rd_kafka_destroy(c->rk);
    }
    pthread_mutex_destroy(&c->lag_lock);
    nf_free(c->lags);
    nf_free(c->parts);
    nf_free(c->topic);
    nf_free(c);
}
