#include "newsflow/consumer.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "newsflow/alloc.h"
#include "newsflow/clock.h"
#include "newsflow/kafka.h"
#include "newsflow/log.h"
#include "newsflow/metrics.h"

/* Messages taken from librdkafka and not handed over yet, oldest first (a ring). */
typedef struct fifo {
    rd_kafka_message_t **m;
    size_t head, count, cap;
} fifo_t;

typedef struct assigned {
    int32_t partition;
    int eof;          /* librdkafka reported the end since the last message taken */
    int64_t expected; /* next offset we expect to see, -1 when unknown */
    /* The timestamp alignment (consumer_align_ms; see nf_consumer_poll) */
    fifo_t held;
    size_t held_bytes;
    int64_t head_ts;    /* Kafka timestamp of held's oldest message (INT64_MIN: none given) */
    int64_t last_ts;    /* ... of the newest message taken from librdkafka, -1: none yet */
    int no_ts;          /* its messages carry no timestamp: never waited for */
    int64_t active_ms;  /* when it last gave a message, was assigned or resumed */
    int paused;         /* paused by the alignment (not by nf_consumer_pause_all) */
    int64_t refetch_ms; /* when the refetch rule last restarted its fetch (see refresh) */
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
    /* the timestamp alignment */
    int64_t align_ms;   /* 0: hand messages over in fetch order */
    size_t hold_max;    /* bytes held at most */
    size_t held_bytes;  /* over all partitions */
    int paused_all;     /* nf_consumer_pause_all(1) in force */
    int64_t floor_ts;   /* lowest last_ts of a partition catching up with nothing held */
    int32_t floor_part; /* that partition */
    int64_t refreshed_ms;
    int64_t wait_logged_ms;
    int64_t last_msg_ms; /* when librdkafka last gave a message (the refetch rule) */
    nf_metric_t *m_align_pauses, *m_held_bytes, *m_refetches;
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

static int fifo_push(fifo_t *f, rd_kafka_message_t *m)
{
    if (f->count == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        rd_kafka_message_t **a = nf_malloc(cap * sizeof(*a));
        if (!a)
            return -1;
        for (size_t i = 0; i < f->count; i++)
            a[i] = f->m[(f->head + i) % f->cap];
        nf_free(f->m);
        f->m = a;
        f->cap = cap;
        f->head = 0;
    }
    f->m[(f->head + f->count) % f->cap] = m;
    f->count++;
    return 0;
}

static rd_kafka_message_t *fifo_pop(fifo_t *f)
{
    rd_kafka_message_t *m = f->m[f->head];
    f->head = (f->head + 1) % f->cap;
    f->count--;
    return m;
}

/* A held message's order key: its Kafka timestamp, or first of all when it has none. */
static int64_t order_ts(const rd_kafka_message_t *m)
{
    rd_kafka_timestamp_type_t type;
    int64_t ts = rd_kafka_message_timestamp(m, &type);
    return type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? INT64_MIN : ts;
}

static size_t msg_bytes(const rd_kafka_message_t *m)
{
    return m->len + m->key_len;
}

/* Destroys a partition's held messages (revoked: they are read again by whoever gets it). */
static void drop_held(nf_consumer_t *c, assigned_t *a)
{
    while (a->held.count)
        rd_kafka_message_destroy(fifo_pop(&a->held));
    c->held_bytes -= a->held_bytes;
    a->held_bytes = 0;
    nf_free(a->held.m);
    a->held = (fifo_t){0};
}

static void track_assign(nf_consumer_t *c, int32_t partition, int64_t start)
{
    assigned_t *known = find_part(c, partition);
    if (known) {
        drop_held(c, known);
        known->expected = start;
        known->eof = 0;
        known->last_ts = -1;
        known->no_ts = 0;
        known->active_ms = nf_monotonic_ms();
        c->refreshed_ms = 0;
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
    c->refreshed_ms = 0; /* it may hold the oldest messages: a new floor */
    c->parts[c->n_parts++] = (assigned_t){
        .partition = partition, .expected = start, .last_ts = -1, .active_ms = nf_monotonic_ms()};
}

static void track_revoke(nf_consumer_t *c, int32_t partition)
{
    for (size_t i = 0; i < c->n_parts; i++)
        if (c->parts[i].partition == partition) {
            assigned_t *a = &c->parts[i];
            drop_held(c, a);
            if (a->paused) { /* so that a later assignment of it is not left paused */
                rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
                rd_kafka_topic_partition_list_add(l, c->topic, partition);
                rd_kafka_resume_partitions(c->rk, l);
                rd_kafka_topic_partition_list_destroy(l);
            }
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
    c->align_ms = cfg->consumer_align_ms;
    c->hold_max = (size_t)cfg->consumer_hold_bytes;
    if (c->hold_max == 0)
        c->align_ms = 0; /* nothing can be held */
    c->floor_ts = INT64_MAX;
    c->m_align_pauses = nf_counter(
        "newsflow_consumer_align_pauses_total",
        "Partitions paused because they ran more than 2 x consumer_align_ms of Kafka timestamp "
        "ahead of the others (resumed once those caught up)",
        NULL, NULL);
    c->m_refetches = nf_counter(
        "newsflow_consumer_refetches_total",
        "Partitions whose fetch the alignment restarted at the next offset: librdkafka gave no "
        "message at all for 2 s while they had messages on the broker past the ones taken "
        "(not fetched after a pause and resume, or their broker unreachable)",
        NULL, NULL);
    c->m_held_bytes = nf_gauge("newsflow_consumer_held_bytes",
                               "Fetched message bytes held back to hand partitions over in "
                               "Kafka timestamp order (consumer_align_ms)",
                               NULL, NULL);
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

/* Kafka hands a consumer each partition's messages in order, but not the partitions in step:
 * reading a backlog, librdkafka fetches whole message sets from one broker's partitions while
 * the others wait for room in its queue, and some partitions run weeks of news ahead of others
 * (bench: a batch held partitions 30% and 100% through their backlog). A newer article decided
 * before an older copy or an earlier article of its story is revised when that one comes; the
 * decisions' candidate reads also span more time. So with consumer_align_ms > 0, what
 * librdkafka fetched is taken into per-partition queues (up to consumer_hold_bytes) and handed
 * over oldest Kafka timestamp first, as a stream processor merges its inputs by event time:
 *   - a message waits while a partition that is catching up (messages on the broker past the
 *     ones taken, a message given in the last ALIGN_STALL_MS) has nothing held and its last
 *     timestamp is more than consumer_align_ms older: its next messages may be older still;
 *   - a partition holding messages more than 2 x consumer_align_ms ahead of the oldest one is
 *     paused, so that the fetches go to the partitions behind; it resumes once the merge is
 *     within consumer_align_ms of its newest (librdkafka then fetches it from the message after
 *     the last one taken: nothing held is fetched again, nothing is skipped);
 *   - with the hold full, or nothing behind, the oldest held message goes at once.
 *   - while librdkafka gave no message at all for ALIGN_REFETCH_MS, a partition with messages
 *     on the broker past the ones taken and nothing held is resumed and its fetch restarted at
 *     the next offset (a seek): in ~1 of 20 runs of test_align_broker_down, after the pauses
 *     and resumes of the first batch, librdkafka (2.0.2) gave nothing more, and with nothing
 *     held nothing was handed over; its tracker has reports of the kind (a resumed partition
 *     not fetched). Fetch order pauses nothing and never needs this.
 * Each partition's order is kept, so offsets and exactly-once are untouched. A partition that
 * is caught up (the live stream) never waits for anything. */
#define ALIGN_STALL_MS 500
#define ALIGN_FIRST_MS 2000 /* the same for a partition that gave nothing yet since assigned */
#define ALIGN_REFRESH_MS 5
#define ALIGN_REFETCH_MS 2000

static void fill_out(rd_kafka_message_t *m, nf_message_t *out)
{
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
}

/* An error or end-of-partition event from librdkafka: what to report (m destroyed). */
static nf_err_t take_event(nf_consumer_t *c, rd_kafka_message_t *m)
{
    nf_err_t ret = NF_ERR_KAFKA;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        assigned_t *a = find_part(c, m->partition);
        if (a)
            a->eof = 1;
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

/* Book-keeping of a message taken from librdkafka (a partition's messages come in order). */
static assigned_t *take_message(nf_consumer_t *c, const rd_kafka_message_t *m)
{
    assigned_t *a = find_part(c, m->partition);
    if (!a)
        return NULL;
    a->eof = 0;
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
    return a;
}

/* Holds m in its partition's queue. Returns m when it is to be handed over at once instead (a
 * partition not tracked, or nothing held of it and no memory to hold it), else NULL. */
static rd_kafka_message_t *hold(nf_consumer_t *c, rd_kafka_message_t *m, int64_t now)
{
    assigned_t *a = take_message(c, m);
    if (!a)
        return m;
    int64_t ts = order_ts(m);
    a->no_ts = ts == INT64_MIN;
    if (!a->no_ts)
        a->last_ts = ts;
    a->active_ms = now;
    if (fifo_push(&a->held, m) != 0) {
        if (a->held.count == 0)
            return m; /* its order holds: nothing of it is waiting */
        /* Fetch it again later: librdkafka drops what it queued of the partition and reads
         * from this offset once the held ones are out. */
        nf_log(NF_LOG_WARN, "out of memory holding a message: fetching it again", NULL);
        rd_kafka_seek(m->rkt, m->partition, m->offset, 0);
        a->expected = m->offset;
        rd_kafka_message_destroy(m);
        return NULL;
    }
    if (a->held.count == 1)
        a->head_ts = ts;
    a->held_bytes += msg_bytes(m);
    c->held_bytes += msg_bytes(m);
    return NULL;
}

static int catching_up(const nf_consumer_t *c, const assigned_t *a, int64_t now);

static rd_kafka_message_t *unhold(nf_consumer_t *c, assigned_t *a)
{
    rd_kafka_message_t *m = fifo_pop(&a->held);
    a->held_bytes -= msg_bytes(m);
    c->held_bytes -= msg_bytes(m);
    if (a->held.count)
        a->head_ts = order_ts(a->held.m[a->held.head]);
    else if (a->paused || catching_up(c, a, nf_monotonic_ms()))
        c->refreshed_ms = 0; /* nothing held of it and more to come: a new floor (a live
                              * stream's partitions, drained at every message, are not
                              * catching up: one look-up each, not a refresh) */
    return m;
}

/* librdkafka's cached low and high watermarks of a (no request to the broker): 1 when known. */
static int watermarks(const nf_consumer_t *c, const assigned_t *a, int64_t *lo, int64_t *hi)
{
    *lo = *hi = -1;
    return rd_kafka_get_watermark_offsets(c->rk, c->topic, a->partition, lo, hi) ==
               RD_KAFKA_RESP_ERR_NO_ERROR &&
           *hi >= 0;
}

/* Whether a has messages on the broker past the ones taken (librdkafka's cached high
 * watermark) and gave one recently (or was assigned recently): it is catching up and its next
 * messages are coming. A partition not fetched yet may have messages older than any. */
static int catching_up(const nf_consumer_t *c, const assigned_t *a, int64_t now)
{
    if (a->eof || a->no_ts ||
        now - a->active_ms > (a->last_ts < 0 ? ALIGN_FIRST_MS : ALIGN_STALL_MS))
        return 0;
    int64_t lo, hi;
    if (!watermarks(c, a, &lo, &hi))
        return a->last_ts < 0; /* not fetched yet */
    return hi > (a->expected >= 0 ? a->expected : lo);
}

/* The refetch rule (see nf_consumer_poll's comment): while librdkafka gave no message at all
 * for ALIGN_REFETCH_MS, a partition not paused by us, nothing held of it, messages on the broker
 * past the ones taken (librdkafka's cached high watermark) and none received for
 * ALIGN_REFETCH_MS gets a resume and a seek to its next offset, at most once per
 * ALIGN_REFETCH_MS. Both are asynchronous and harmless when it was being fetched after all
 * (the seek restarts the fetch at the offset it was at) or its broker is down. */
static void refetch_stalled(nf_consumer_t *c, int64_t now)
{
    /* Only while librdkafka gives nothing at all: a partition can be silent for seconds while
     * the shared queue brings others' messages (a backlog), or while the hold is full and
     * nothing is taken from librdkafka. */
    if (now - c->last_msg_ms < ALIGN_REFETCH_MS || c->held_bytes >= c->hold_max)
        return;
    rd_kafka_topic_partition_list_t *list = NULL;
    for (size_t i = 0; i < c->n_parts; i++) {
        assigned_t *a = &c->parts[i];
        if (a->paused || a->held.count || a->eof || a->expected < 0 ||
            now - a->active_ms < ALIGN_REFETCH_MS || now - a->refetch_ms < ALIGN_REFETCH_MS)
            continue;
        int64_t lo, hi;
        if (!watermarks(c, a, &lo, &hi) || hi <= a->expected)
            continue;
        if (!list)
            list = rd_kafka_topic_partition_list_new(8);
        rd_kafka_topic_partition_list_add(list, c->topic, a->partition)->offset = a->expected;
        a->refetch_ms = now;
        char part[16], off[32], high[32];
        snprintf(part, sizeof(part), "%d", a->partition);
        snprintf(off, sizeof(off), "%lld", (long long)a->expected);
        snprintf(high, sizeof(high), "%lld", (long long)hi);
        nf_log(NF_LOG_WARN, "partition not fetched for 2 s with messages left: fetching again",
               "partition", part, "offset", off, "high_watermark", high, NULL);
    }
    if (!list)
        return;
    nf_counter_add(c->m_refetches, (uint64_t)list->cnt);
    rd_kafka_resume_partitions(c->rk, list);
    rd_kafka_error_t *e = rd_kafka_seek_partitions(c->rk, list, 0);
    if (e) {
        nf_log(NF_LOG_WARN, "seek failed", "error", rd_kafka_error_string(e), NULL);
        rd_kafka_error_destroy(e);
    }
    rd_kafka_topic_partition_list_destroy(list);
}

/* Every ALIGN_REFRESH_MS: the floor (the oldest last timestamp of a partition catching up with
 * nothing held) and the pauses. */
static void refresh(nf_consumer_t *c, int64_t now)
{
    c->refreshed_ms = now;
    int64_t floor_ts = INT64_MAX, oldest = INT64_MAX;
    for (size_t i = 0; i < c->n_parts; i++) {
        assigned_t *a = &c->parts[i];
        if (a->held.count) {
            if (a->head_ts != INT64_MIN && a->head_ts < oldest) /* (no timestamp: no order) */
                oldest = a->head_ts;
            continue;
        }
        if (a->paused)
            a->active_ms = now; /* nothing held: it is resumed below */
        if (catching_up(c, a, now)) {
            int64_t ts = a->last_ts >= 0 ? a->last_ts : INT64_MIN; /* none seen: any */
            if (ts < floor_ts) {
                floor_ts = ts;
                c->floor_part = a->partition;
            }
        }
    }
    c->floor_ts = floor_ts;
    nf_gauge_set(c->m_held_bytes, (double)c->held_bytes);
    if (c->paused_all)
        return;
    refetch_stalled(c, now);
    if (floor_ts != INT64_MIN && floor_ts < oldest) /* (a partition not seen yet: no pause) */
        oldest = floor_ts;
    rd_kafka_topic_partition_list_t *pause = NULL, *resume = NULL;
    for (size_t i = 0; i < c->n_parts; i++) {
        assigned_t *a = &c->parts[i];
        if (!a->paused && a->held.count && oldest != INT64_MAX &&
            a->last_ts > oldest + 2 * c->align_ms) {
            if (!pause)
                pause = rd_kafka_topic_partition_list_new(8);
            rd_kafka_topic_partition_list_add(pause, c->topic, a->partition);
            a->paused = 1;
        } else if (a->paused &&
                   (!a->held.count || oldest == INT64_MAX || a->last_ts <= oldest + c->align_ms)) {
            if (!resume)
                resume = rd_kafka_topic_partition_list_new(8);
            rd_kafka_topic_partition_list_add(resume, c->topic, a->partition);
            a->paused = 0;
            a->active_ms = now; /* its next fetch is coming: wait for it as for the others */
        }
    }
    if (pause) {
        rd_kafka_pause_partitions(c->rk, pause);
        nf_counter_add(c->m_align_pauses, (uint64_t)pause->cnt);
        rd_kafka_topic_partition_list_destroy(pause);
    }
    if (resume) {
        rd_kafka_resume_partitions(c->rk, resume);
        rd_kafka_topic_partition_list_destroy(resume);
    }
}

/* The partition whose held message goes next, or NULL to wait for one behind. */
static assigned_t *pick(nf_consumer_t *c)
{
    assigned_t *best = NULL;
    for (size_t i = 0; i < c->n_parts; i++) {
        assigned_t *a = &c->parts[i];
        if (a->held.count && (!best || a->head_ts < best->head_ts))
            best = a;
    }
    if (best && !c->paused_all && c->held_bytes < c->hold_max && best->head_ts != INT64_MIN &&
        c->floor_ts != INT64_MAX && best->head_ts - c->align_ms > c->floor_ts)
        return NULL;
    return best;
}

/* At debug level, once a second while held messages wait: for which partition, and why. */
static void log_wait(nf_consumer_t *c, int64_t now)
{
    if (!c->held_bytes || c->floor_ts == INT64_MAX || now - c->wait_logged_ms < 1000 ||
        !nf_log_enabled(NF_LOG_DEBUG))
        return;
    c->wait_logged_ms = now;
    assigned_t *f = find_part(c, c->floor_part);
    if (!f)
        return;
    int64_t lo, hi;
    watermarks(c, f, &lo, &hi);
    char v[7][24];
    snprintf(v[0], sizeof(v[0]), "%d", f->partition);
    snprintf(v[1], sizeof(v[1]), "%lld", (long long)f->last_ts);
    snprintf(v[2], sizeof(v[2]), "%lld", (long long)(now - f->active_ms));
    snprintf(v[3], sizeof(v[3]), "%lld", (long long)f->expected);
    snprintf(v[4], sizeof(v[4]), "%lld", (long long)hi);
    snprintf(v[5], sizeof(v[5]), "%zu", c->held_bytes);
    snprintf(v[6], sizeof(v[6]), "%d", f->paused);
    nf_log(NF_LOG_DEBUG, "held messages wait for a partition behind", "partition", v[0], "last_ts",
           v[1], "since_active_ms", v[2], "next_offset", v[3], "high_watermark", v[4], "held_bytes",
           v[5], "paused", v[6], NULL);
}

/* Takes what librdkafka has ready into the holds, without waiting. Returns 1 with *ret set
 * when something is to be reported at once (*out filled for NF_OK). */
static int take_ready(nf_consumer_t *c, nf_message_t *out, nf_err_t *ret, int timeout_ms)
{
    for (;;) {
        if (c->held_bytes >= c->hold_max)
            return 0;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, timeout_ms);
        if (!m)
            return 0;
        timeout_ms = 0;
        if (m->err) {
            *ret = take_event(c, m);
            return 1;
        }
        int64_t now = nf_monotonic_ms();
        c->last_msg_ms = now;
        rd_kafka_message_t *now_m = hold(c, m, now);
        if (now_m) {
            fill_out(now_m, out);
            *ret = NF_OK;
            return 1;
        }
        if (c->floor_ts != INT64_MAX && m->partition == c->floor_part)
            c->refreshed_ms = 0; /* the floor's partition gave a message: the floor moved */
    }
}

nf_err_t nf_consumer_poll(nf_consumer_t *c, int timeout_ms, nf_message_t *out)
{
    if (c->align_ms <= 0) { /* fetch order: nothing is ever held */
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, timeout_ms);
        if (!m)
            return NF_ERR_TIMEOUT;
        if (m->err)
            return take_event(c, m);
        take_message(c, m);
        fill_out(m, out);
        return NF_OK;
    }
    int64_t deadline = nf_monotonic_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    int wait = 0;
    for (;;) {
        nf_err_t ret;
        if (take_ready(c, out, &ret, wait))
            return ret;
        int64_t now = nf_monotonic_ms();
        if (now - c->refreshed_ms >= ALIGN_REFRESH_MS)
            refresh(c, now);
        assigned_t *a = pick(c);
        if (a) {
            fill_out(unhold(c, a), out);
            return NF_OK;
        }
        int64_t left = deadline - now;
        if (left <= 0) {
            log_wait(c, now);
            return NF_ERR_TIMEOUT;
        }
        wait = (int)(left < ALIGN_REFRESH_MS ? left : ALIGN_REFRESH_MS);
    }
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
    c->paused_all = pause;
    for (size_t i = 0; i < c->n_parts; i++) { /* all of them resume with the others */
        c->parts[i].paused = 0;
        c->parts[i].active_ms = nf_monotonic_ms();
    }
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
        if (!c->parts[i].eof || c->parts[i].held.count)
            return 0;
    return 1;
}

uint64_t nf_consumer_rebalances(const nf_consumer_t *c)
{
    return c->rebalances;
}

void *nf_consumer_handle(nf_consumer_t *c)
{
    return c->rk;
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
        for (size_t i = 0; i < c->n_parts; i++)
            drop_held(c, &c->parts[i]);
        rd_kafka_destroy(c->rk);
    }
    pthread_mutex_destroy(&c->lag_lock);
    nf_free(c->lags);
    nf_free(c->parts);
    nf_free(c->topic);
    nf_free(c);
}
