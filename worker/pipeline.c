/* The worker loop. Read it top to bottom in nf_pipeline_run():
 *   collect a batch (count/bytes/time bounded) -> run the stage chain on each message ->
 *   decide dedup and stories (one PostgreSQL transaction on the pipeline thread's connection:
 *   fingerprints, keys, stories, stored articles rewritten) -> write the batch (one transaction
 *   on the writer's connection: articles, rejects, outbox rows, offsets) -> produce the outbox
 *   rows -> delete acknowledged rows -> advisory offset commit to Kafka.
 * Transient PostgreSQL errors: the batch in hand is kept, fetching is paused, and the decision
 * or the write is retried with capped exponential backoff while the group membership is kept.
 * Three batches are in hand at a time: while batch k is written (the writer thread), batch k+1
 * is decided (this thread) and batch k+2 runs through the stages on the enrichment pool
 * (enrich_threads threads, a chain each). Decisions are sequential, and so are writes; a write
 * starts after its batch's decision committed and the previous write ended, and its rows are
 * produced before the next decision's rewrites. Exactly-once: a batch's rows and offsets commit
 * in its write; a decision committed without its write is found and taken again by the replay
 * (nf_store_decide), and the write re-reads its decisions under a row lock at its end
 * (store.c sync_written_sql) in case a later decision moved one meanwhile. */
#define _GNU_SOURCE /* sched_getaffinity */
#include "newsflow/pipeline.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "newsflow/alloc.h"
#include "newsflow/chain.h"
#include "newsflow/clock.h"
#include "newsflow/consumer.h"
#include "newsflow/gazetteer.h"
#include "newsflow/http.h"
#include "newsflow/log.h"
#include "newsflow/metrics.h"
#include "newsflow/producer.h"
#include "newsflow/store.h"

#define REPLAY_CHUNK 500
#define PRODUCE_QUEUE_WAIT_MS 30000
#define WRITER_POLL_MS 5

typedef struct slot {
    nf_message_t msg;
    int accepted; /* 1: enriched, 0: rejected */
    nf_enriched_t e;
    /* Why the message was rejected (when !accepted): allocated by the slot's first reject and
     * kept for the next ones. Inline it was 1.3 KB of each of the three batches' slots, written
     * by every decode, for the ~1% of messages that are rejects. */
    nf_reject_t *rej;
    nf_buf_t json;
    nf_buf_t ents; /* entity ids as a JSON array (for the story tables) */
} slot_t;

typedef struct msg_list {
    nf_message_t *items;
    size_t count, cap;
} msg_list_t;

/* The enrichment pool: enrich_threads threads, each with its own chain (stages are not
 * thread-safe), run the chain over a batch's slots while the pipeline thread writes the previous
 * batch to PostgreSQL. Slots are claimed one at a time from an atomic counter, so a thread the
 * scheduler delays does not hold up the batch. Only the pipeline thread starts and waits jobs. */
typedef struct enrich_pool {
    size_t n_threads;
    pthread_t *threads;
    nf_chain_t **chains;
    size_t n_started;
    pthread_mutex_t lock;
    pthread_cond_t work; /* a job started, or shutdown */
    pthread_cond_t done; /* every thread finished the job */
    uint64_t generation; /* bumped per job */
    int shutdown;
    int busy;          /* a job is running (pipeline thread only) */
    slot_t *job_slots; /* the job: slots[0..job_n) */
    size_t job_n;
    atomic_size_t next;  /* next slot to claim */
    size_t threads_done; /* threads finished with this job */
    nf_err_t job_err;    /* first non-reject error of the job */
} enrich_pool_t;

/* The writer: a thread with a PostgreSQL connection of its own writes a decided batch (its
 * articles, rejects and offsets: one transaction) while the pipeline thread decides the next
 * batch on its connection. Only its first attempt runs there; a failed one is retried on the
 * pipeline thread (finish_write) while the thread is idle. */
enum { W_IDLE, W_QUEUED, W_RUNNING, W_DONE };
typedef struct writer {
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int state; /* W_*: W_DONE until finish_write takes the result */
    int shutdown;
    nf_err_t err; /* the job's result */
    int64_t took_ms;
    uint64_t jobs;     /* written */
    int64_t busy_ms;   /* time in jobs, vacuum_keys included (logged when the worker stops) */
    int64_t vacuum_ms; /* time in vacuum_keys */
    int64_t trim_ms;   /* time in return_free_memory, after the jobs */
} writer_t;

struct nf_pipeline {
    const nf_config_t *cfg;
    volatile sig_atomic_t *stop;
    enrich_pool_t pool;
    nf_store_t *store;  /* decisions, outbox replay and deletes (pipeline thread) */
    nf_store_t *wstore; /* writes (the writer, or the pipeline thread while it is idle) */
    nf_config_t wcfg;   /* cfg without a fingerprint cache: the writer decides nothing */
    writer_t w;
    int64_t wstarted_ms;           /* when the writer's batch started its decision */
    int64_t decide_ms, wdecide_ms; /* the last decision's time; the writer's batch's */
    nf_consumer_t *consumer;
    nf_producer_t *producer;

    /* Three batches in hand: `wslots`, decided, is written by the writer; `slots`, enriched,
     * is decided meanwhile; `coll`, the next one, is collected and then enriched by the pool. */
    slot_t *wslots;
    size_t n_wslots;
    size_t wbytes;
    slot_t *slots;
    size_t n_slots;
    size_t batch_bytes;
    nf_err_t slots_err; /* enrichment result of `slots` (NF_ERR_NOMEM: run it again) */
    slot_t *coll;
    size_t n_coll;
    size_t coll_bytes;
    nf_err_t coll_err;
    msg_list_t carry; /* messages that arrived while a batch was being retried */

    /* scratch for one write (write_once: the writer's job) */
    nf_outbox_rows_t woutbox;
    nf_store_article_t *arts;
    nf_store_reject_t *rejs;
    nf_partition_offset_t *offs;
    size_t n_offs;
    nf_store_counts_t counts;
    size_t *dd_slot;              /* dd[k] is the article of slot dd_slot[k] */
    nf_store_dedup_article_t *dd; /* the batch's accepted articles, for nf_store_decide */
    nf_match_params_t match;
    nf_outbox_rows_t outbox; /* a decision's rewritten stored articles; the outbox replay */
    size_t d_new_stories, d_corrected;
    nf_id_list_t acked;  /* delivered outbox ids, to delete */
    nf_id_list_t wacked; /* those the writer's job deletes in its transaction (write_once) */

    int32_t *replay_parts; /* partitions whose outbox must be replayed */
    size_t n_replay, cap_replay;
    int replay_all;
    int64_t replay_backoff_ms; /* grows while rows keep failing, so a row that can never be
                                  produced does not spin the loop */
    int64_t replay_not_before_ms;
    int64_t replay_before_id; /* rows from here on were produced by this process after the
                                 replay was scheduled: replaying them would double them */

    int64_t stop_deadline_ms;
    nf_run_stats_t stats;
    int64_t last_progress_ms;
    /* where the pipeline thread's time went, in ms (logged when the worker stops) */
    struct {
        int64_t collect, wait_enrich, dedup, store, produce, outbox;
    } ms;

    nf_health_t health;
    nf_http_t *http;
    int64_t last_check_ms; /* idle PostgreSQL ping + outbox gauge */
    uint64_t last_junk_lines;
    struct {
        nf_metric_t *consumed, *stored, *rejected[NF_REJECT_COUNT], *dup_exact, *dup_near;
        nf_metric_t *batch_size, *batch_duration, *e2e;
        nf_metric_t *stage[NF_STAGE_COUNT], *stage_dedup, *stage_store, *stage_produce;
        nf_metric_t *pg_transient, *pg_data, *pg_retries, *backoff;
        nf_metric_t *outbox_rows, *in_flight, *replayed, *assigned;
        nf_metric_t *entities_created, *stories_created, *junk;
        nf_metric_t *revised;
        nf_metric_t *ready;
        nf_metric_t *cache_hit, *cache_miss, *cache_entries;
        uint64_t cache_hits_seen, cache_misses_seen;
    } m;
};

static void register_metrics(nf_pipeline_t *p)
{
    const char *rej = "Messages rejected (DLQ + ingest_rejects), by reason";
    for (int r = 0; r < NF_REJECT_COUNT; r++)
        p->m.rejected[r] = nf_counter("newsflow_articles_rejected_total", rej, "reason",
                                      nf_reject_reason_name((nf_reject_reason_t)r));
    p->m.consumed = nf_counter("newsflow_articles_consumed_total",
                               "Messages read from the input topic", NULL, NULL);
    p->m.stored =
        nf_counter("newsflow_articles_stored_total",
                   "Article rows inserted into PostgreSQL (replays not counted)", NULL, NULL);
    const char *dup = "Articles stored as duplicates, by kind";
    p->m.dup_exact = nf_counter("newsflow_articles_duplicates_total", dup, "kind", "exact");
    p->m.dup_near = nf_counter("newsflow_articles_duplicates_total", dup, "kind", "near");
    static const double sizes[] = {1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 20000};
    p->m.batch_size = nf_histogram("newsflow_batch_size_messages", "Messages per batch", NULL, NULL,
                                   sizes, sizeof(sizes) / sizeof(sizes[0]));
    p->m.batch_duration = nf_histogram("newsflow_batch_duration_seconds",
                                       "From a full batch to its COMMIT (stages included)", NULL,
                                       NULL, nf_seconds_buckets, nf_seconds_buckets_count);
    p->m.e2e = nf_histogram("newsflow_end_to_end_latency_seconds",
                            "From the Kafka message timestamp to the PostgreSQL commit", NULL, NULL,
                            nf_seconds_buckets, nf_seconds_buckets_count);
    const char *stage = "Time spent per batch in each stage";
    for (int st = 0; st < NF_STAGE_COUNT; st++)
        p->m.stage[st] = nf_histogram("newsflow_stage_duration_seconds", stage, "stage",
                                      nf_chain_stage_name((nf_chain_stage_t)st), nf_seconds_buckets,
                                      nf_seconds_buckets_count);
    p->m.stage_dedup = nf_histogram("newsflow_stage_duration_seconds", stage, "stage", "dedup",
                                    nf_seconds_buckets, nf_seconds_buckets_count);
    p->m.stage_store = nf_histogram("newsflow_stage_duration_seconds", stage, "stage", "store",
                                    nf_seconds_buckets, nf_seconds_buckets_count);
    p->m.stage_produce = nf_histogram("newsflow_stage_duration_seconds", stage, "stage", "produce",
                                      nf_seconds_buckets, nf_seconds_buckets_count);
    const char *pgerr = "PostgreSQL errors, by kind (transient: retried; data: row refused)";
    p->m.pg_transient = nf_counter("newsflow_postgres_errors_total", pgerr, "kind", "transient");
    p->m.pg_data = nf_counter("newsflow_postgres_errors_total", pgerr, "kind", "data");
    p->m.pg_retries = nf_counter("newsflow_postgres_retries_total",
                                 "Batch writes retried after a backoff", NULL, NULL);
    p->m.backoff = nf_gauge("newsflow_backoff_active",
                            "1 while a batch is being retried (fetching paused)", NULL, NULL);
    p->m.outbox_rows =
        nf_gauge("newsflow_outbox_rows",
                 "Outbox rows of the assigned partitions not yet acknowledged", NULL, NULL);
    p->m.in_flight =
        nf_gauge("newsflow_producer_in_flight_messages",
                 "Messages handed to the producer and not yet acknowledged", NULL, NULL);
    p->m.replayed =
        nf_counter("newsflow_outbox_replayed_total",
                   "Outbox rows produced again (restart, rebalance, failed delivery)", NULL, NULL);
    p->m.assigned = nf_gauge("newsflow_assigned_partitions",
                             "Input partitions assigned to this replica", NULL, NULL);
    p->m.revised = nf_counter("newsflow_records_revised_total",
                              "Stored records rewritten and republished because a later-processed "
                              "article moved their dedup or story decision",
                              NULL, NULL);
    const char *cache = "Candidates of story decisions whose fingerprint was found in the worker's "
                        "cache (hit) or read from PostgreSQL (miss)";
    p->m.cache_hit =
        nf_counter("newsflow_dedup_fingerprint_cache_lookups_total", cache, "result", "hit");
    p->m.cache_miss =
        nf_counter("newsflow_dedup_fingerprint_cache_lookups_total", cache, "result", "miss");
    p->m.cache_entries =
        nf_gauge("newsflow_dedup_fingerprint_cache_entries",
                 "Stored fingerprints the worker keeps (dedup_fingerprint_cache)", NULL, NULL);
    p->m.entities_created =
        nf_counter("newsflow_entities_created_total",
                   "Canonical entities first stored by this replica", NULL, NULL);
    p->m.stories_created = nf_counter(
        "newsflow_stories_created_total",
        "Stories opened by this replica (an article that matched no stored story)", NULL, NULL);
    p->m.ready = nf_gauge("newsflow_ready",
                          "1 when /readyz answers ready (assigned, PostgreSQL reachable, no "
                          "backoff)",
                          NULL, NULL);
    p->m.junk = nf_counter("newsflow_junk_lines_dropped_total",
                           "Site-junk lines removed from analysed text", NULL, NULL);
    nf_gauge_set(nf_gauge("newsflow_build_info", "Build information (value is always 1)", "version",
                          NF_VERSION),
                 1);
}

static double ns_to_s(uint64_t ns)
{
    return (double)ns / 1e9;
}

static int64_t realtime_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void heartbeat(nf_pipeline_t *p)
{
    atomic_store(&p->health.heartbeat_ms, nf_monotonic_ms());
}

static void sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int stopping(nf_pipeline_t *p)
{
    if (*p->stop && p->stop_deadline_ms == 0) {
        p->stop_deadline_ms = nf_monotonic_ms() + p->cfg->shutdown_timeout_ms;
        nf_log(NF_LOG_INFO, "stop requested: finishing the batch in hand", NULL);
    }
    return *p->stop != 0;
}

static int64_t remaining_shutdown_ms(nf_pipeline_t *p)
{
    /* Keep 2 s of the bound for leaving the group and closing the clients. */
    return p->stop_deadline_ms ? p->stop_deadline_ms - 2000 - nf_monotonic_ms() : INT64_MAX;
}

static void fmt_u64(char *buf, size_t size, uint64_t v)
{
    snprintf(buf, size, "%llu", (unsigned long long)v);
}

/* ---- enrichment pool -------------------------------------------------------------------- */

/* The slot's reject, allocated on its first use. NULL when out of memory. */
static nf_reject_t *slot_reject(slot_t *s)
{
    if (!s->rej)
        s->rej = nf_malloc(sizeof(*s->rej));
    return s->rej;
}

static nf_err_t enrich_slot(nf_chain_t *chain, slot_t *s)
{
    const void *data = s->msg.payload ? s->msg.payload : "";
    nf_reject_t rej;
    nf_err_t err = nf_chain_process(chain, data, s->msg.len, &s->e, &rej);
    s->accepted = err == NF_OK;
    /* The analysed body (the normalized text) is read only by the stages: nothing after them
     * (the decision, the record, the write) needs it, and three batches are in hand. Freed
     * here, the bodies of one batch at most are held (2.7 KB per article of the bench corpus;
     * 24 MB of the heap's peak at batches of 3,000, heaptrack). The decoded input goes the same
     * way: the record needs five short fields of it, not its body (a failed compaction keeps
     * the whole document, which is still correct). */
    nf_buf_free(&s->e.body);
    if (err == NF_OK)
        (void)nf_article_compact(&s->e.article);
    if (err == NF_ERR_REJECTED) {
        nf_reject_t *r = slot_reject(s);
        if (!r)
            return NF_ERR_NOMEM;
        *r = rej;
        return NF_OK;
    }
    return err;
}

typedef struct pool_thread_arg {
    enrich_pool_t *pool;
    size_t index;
} pool_thread_arg_t;

/* Threads carry their role in their name (top -H, perf, /proc/PID/task/TID/comm), as
 * librdkafka's do ("rdk:..."): nf-enrich-N for the pool, nf-writer for the writer; the pipeline
 * thread is the main thread and keeps the process name. A name is a convenience: its failure is
 * ignored. */
static void name_thread(const char *name)
{
    (void)pthread_setname_np(pthread_self(), name);
}

static void *pool_main(void *opaque)
{
    enrich_pool_t *pool = ((pool_thread_arg_t *)opaque)->pool;
    size_t index = ((pool_thread_arg_t *)opaque)->index;
    nf_free(opaque);
    char name[16]; /* 15 bytes at most */
    snprintf(name, sizeof(name), "nf-enrich-%u", (unsigned)(index % 10000));
    name_thread(name);
    nf_chain_t *chain = pool->chains[index];
    uint64_t seen = 0;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->shutdown && pool->generation == seen)
            pthread_cond_wait(&pool->work, &pool->lock);
        if (pool->shutdown)
            break;
        seen = pool->generation;
        slot_t *slots = pool->job_slots;
        size_t n = pool->job_n;
        pthread_mutex_unlock(&pool->lock);
        nf_err_t err = NF_OK;
        size_t i;
        while ((i = atomic_fetch_add(&pool->next, 1)) < n) {
            nf_err_t e = enrich_slot(chain, &slots[i]);
            if (e != NF_OK)
                err = e;
        }
        pthread_mutex_lock(&pool->lock);
        if (err != NF_OK && pool->job_err == NF_OK)
            pool->job_err = err;
        if (++pool->threads_done == pool->n_threads)
            pthread_cond_signal(&pool->done);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

/* One thread per CPU this process may run on (the affinity mask: cpusets of containers), at most
 * MAX_DEFAULT_THREADS: each thread holds its own copy of the stages (models, gazetteers), and a
 * large host would otherwise multiply that memory. */
#define MAX_DEFAULT_THREADS 8
static size_t default_threads(void)
{
    cpu_set_t set;
    long cores = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
                                                              : sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    return cores > MAX_DEFAULT_THREADS ? MAX_DEFAULT_THREADS : (size_t)cores;
}

static nf_err_t pool_init(enrich_pool_t *pool, const nf_config_t *cfg, char *errstr,
                          size_t errstr_size)
{
    size_t n = cfg->enrich_threads > 0 ? (size_t)cfg->enrich_threads : default_threads();
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->work, NULL);
    pthread_cond_init(&pool->done, NULL);
    atomic_init(&pool->next, 0);
    pool->n_threads = n;
    pool->threads = nf_calloc(n, sizeof(pthread_t));
    pool->chains = nf_calloc(n, sizeof(nf_chain_t *));
    if (!pool->threads || !pool->chains) {
        snprintf(errstr, errstr_size, "out of memory (enrichment pool)");
        return NF_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        if (!(pool->chains[i] = nf_chain_new(cfg, errstr, errstr_size)))
            return NF_ERR_CONFIG;
    for (size_t i = 0; i < n; i++) {
        pool_thread_arg_t *arg = nf_malloc(sizeof(*arg));
        if (!arg) {
            snprintf(errstr, errstr_size, "out of memory (enrichment pool)");
            return NF_ERR_NOMEM;
        }
        *arg = (pool_thread_arg_t){pool, i};
        if (pthread_create(&pool->threads[i], NULL, pool_main, arg) != 0) {
            nf_free(arg);
            snprintf(errstr, errstr_size, "cannot start enrichment thread %zu", i);
            return NF_ERR_NOMEM;
        }
        pool->n_started++;
    }
    return NF_OK;
}

/* Starts enriching slots[0..n) on the pool; nf_err of the job comes from pool_wait(). */
static void pool_start(enrich_pool_t *pool, slot_t *slots, size_t n)
{
    pthread_mutex_lock(&pool->lock);
    pool->job_slots = slots;
    pool->job_n = n;
    atomic_store(&pool->next, 0);
    pool->threads_done = 0;
    pool->job_err = NF_OK;
    pool->generation++;
    pool->busy = 1;
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->lock);
}

/* Waits for the running job (if any); returns its error (NF_OK, or e.g. NF_ERR_NOMEM). */
static nf_err_t pool_wait(enrich_pool_t *pool)
{
    if (!pool->busy)
        return NF_OK;
    pthread_mutex_lock(&pool->lock);
    while (pool->threads_done < pool->n_threads)
        pthread_cond_wait(&pool->done, &pool->lock);
    nf_err_t err = pool->job_err;
    pool->busy = 0;
    pthread_mutex_unlock(&pool->lock);
    return err;
}

static void pool_destroy(enrich_pool_t *pool)
{
    if (pool->threads) {
        pthread_mutex_lock(&pool->lock);
        pool->shutdown = 1;
        pthread_cond_broadcast(&pool->work);
        pthread_mutex_unlock(&pool->lock);
        for (size_t i = 0; i < pool->n_started; i++)
            pthread_join(pool->threads[i], NULL);
    }
    for (size_t i = 0; pool->chains && i < pool->n_threads; i++)
        nf_chain_destroy(pool->chains[i]);
    nf_free(pool->threads);
    nf_free(pool->chains);
    pthread_cond_destroy(&pool->work);
    pthread_cond_destroy(&pool->done);
    pthread_mutex_destroy(&pool->lock);
}

/* Stage time and junk lines summed over the pool's chains (call with no job running). */
static void pool_take_stage_ns(enrich_pool_t *pool, uint64_t out[NF_STAGE_COUNT])
{
    memset(out, 0, sizeof(uint64_t) * NF_STAGE_COUNT);
    for (size_t i = 0; i < pool->n_threads; i++) {
        uint64_t ns[NF_STAGE_COUNT];
        nf_chain_take_stage_ns(pool->chains[i], ns);
        for (int st = 0; st < NF_STAGE_COUNT; st++)
            out[st] += ns[st];
    }
}

static uint64_t pool_junk_lines(enrich_pool_t *pool)
{
    uint64_t junk = 0;
    for (size_t i = 0; i < pool->n_threads; i++)
        junk += nf_chain_junk_lines(pool->chains[i]);
    return junk;
}

/* ---- consumer hooks --------------------------------------------------------------------- */

static int writer_state(nf_pipeline_t *p);
static void *writer_main(void *opaque);
static void writer_wait(nf_pipeline_t *p);
static void finish_write(nf_pipeline_t *p, int block);

static void replay_add(nf_pipeline_t *p, int32_t partition)
{
    for (size_t i = 0; i < p->n_replay; i++)
        if (p->replay_parts[i] == partition)
            return;
    if (p->n_replay == p->cap_replay) {
        size_t cap = p->cap_replay ? p->cap_replay * 2 : 32;
        int32_t *r = nf_realloc(p->replay_parts, cap * sizeof(int32_t));
        if (!r) {
            p->replay_all = 1;
            return;
        }
        p->replay_parts = r;
        p->cap_replay = cap;
    }
    p->replay_parts[p->n_replay++] = partition;
}

static nf_err_t on_assign(void *opaque, const char *topic, nf_partition_offset_t *parts, size_t n)
{
    nf_pipeline_t *p = opaque;
    nf_err_t err = NF_ERR_DB_TRANSIENT;
    for (int attempt = 0; attempt < 3 && err != NF_OK; attempt++) {
        if (attempt)
            sleep_ms(500);
        err = nf_store_ensure_connected(p->store);
        if (err == NF_OK)
            err = nf_store_load_offsets(p->store, p->cfg->group_id, topic, parts, n);
    }
    if (err != NF_OK)
        nf_log(NF_LOG_WARN, "could not read stored offsets", "error", nf_store_last_error(p->store),
               NULL);
    for (size_t i = 0; i < n; i++) {
        replay_add(p, parts[i].partition);
        if (err == NF_OK) {
            char part[16], off[32];
            snprintf(part, sizeof(part), "%d", parts[i].partition);
            snprintf(off, sizeof(off), "%lld", (long long)parts[i].offset);
            nf_log(NF_LOG_DEBUG, "partition starts at stored offset", "partition", part, "offset",
                   parts[i].offset >= 0 ? off : "none (auto.offset.reset)", NULL);
        }
    }
    return err;
}

static int in_list(const int32_t *parts, size_t n, int32_t partition)
{
    for (size_t i = 0; i < n; i++)
        if (parts[i] == partition)
            return 1;
    return 0;
}

/* Drops the slots of these partitions from slots[0..*n), keeping the order of the rest (their
 * buffers move to the end for reuse). */
static void drop_partitions(slot_t *slots, size_t *n, size_t *bytes, const int32_t *parts,
                            size_t n_parts)
{
    size_t keep = 0;
    for (size_t i = 0; i < *n; i++) {
        if (in_list(parts, n_parts, slots[i].msg.partition)) {
            *bytes -= slots[i].msg.len;
            nf_message_release(&slots[i].msg);
            continue;
        }
        if (keep != i) {
            slot_t tmp = slots[keep];
            slots[keep] = slots[i];
            slots[i] = tmp;
        }
        keep++;
    }
    *n = keep;
}

/* Waits for the pool's job on `coll`, if one runs, and keeps its result. */
static void coll_wait(nf_pipeline_t *p)
{
    if (p->pool.busy)
        p->coll_err = pool_wait(&p->pool);
}

/* Messages of revoked partitions that are not committed are dropped: the new owner starts from
 * the offset stored in PostgreSQL, so they are read again there. */
static void on_revoke(void *opaque, const char *topic, const int32_t *parts, size_t n, int lost)
{
    (void)topic;
    (void)lost;
    nf_pipeline_t *p = opaque;
    coll_wait(p); /* the pool may be enriching `coll` (a revoke during a backoff) */
    /* The writer's batch: a job that ran to its COMMIT is produced (finish_write); one that
     * failed, or waits for its retry, loses the revoked partitions' messages. */
    writer_wait(p);
    if (!(writer_state(p) == W_DONE && p->w.err == NF_OK))
        drop_partitions(p->wslots, &p->n_wslots, &p->wbytes, parts, n);
    drop_partitions(p->slots, &p->n_slots, &p->batch_bytes, parts, n);
    drop_partitions(p->coll, &p->n_coll, &p->coll_bytes, parts, n);
    size_t keep = 0;
    for (size_t i = 0; i < p->carry.count; i++) {
        if (in_list(parts, n, p->carry.items[i].partition))
            nf_message_release(&p->carry.items[i]);
        else
            p->carry.items[keep++] = p->carry.items[i];
    }
    p->carry.count = keep;
    size_t r = 0;
    for (size_t i = 0; i < p->n_replay; i++)
        if (!in_list(parts, n, p->replay_parts[i]))
            p->replay_parts[r++] = p->replay_parts[i];
    p->n_replay = r;
}

/* ---- memory ---------------------------------------------------------------------------- */

/* A batch's story decision and write hold megabytes for a moment on the pipeline thread: the
 * candidate rows (libpq results in 2 KB blocks), the decision's nodes, the array parameters and
 * libpq's send buffer. glibc raises its mmap threshold to the size of the largest mmapped block
 * freed (up to 32 MiB on 64 bits) and its trim threshold to twice that, so after the first
 * batches such blocks come from the heaps, whose free pages stay resident: 90 s into a run of
 * the bench's (b) at N = 100,000, malloc_stats() said 160 MB taken from the system for 87 MB in
 * use (the main arena 66 MB for 24 MB). A fixed threshold keeps large blocks mmapped (given
 * back at free), and a trim after each batch's write gives back the free pages inside the heaps
 * (every arena: the enrichment threads' too). The writer thread trims, after its job: its cost
 * is `malloc_trim` in the writer's time line at exit. */
#define MMAP_THRESHOLD_BYTES (128 * 1024)

static void malloc_setup(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES);
#endif
}

static void return_free_memory(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

/* ---- construction ----------------------------------------------------------------------- */

nf_pipeline_t *nf_pipeline_new(const nf_config_t *cfg, volatile sig_atomic_t *stop, char *errstr,
                               size_t errstr_size)
{
    nf_pipeline_t *p = nf_calloc(1, sizeof(*p));
    if (!p) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    p->cfg = cfg;
    p->stop = stop;
    malloc_setup();
    p->replay_before_id = INT64_MAX;
    register_metrics(p);
    p->health.stall_ms = 60000;
    heartbeat(p);
    /* Probes answer from the start: alive while waiting for PostgreSQL, not ready yet. */
    p->http = nf_http_start(cfg->http_bind, (int)cfg->http_port, &p->health, errstr, errstr_size);
    if (!p->http && errstr[0])
        goto fail;
    if (p->http) {
        char port[16];
        snprintf(port, sizeof(port), "%lld", cfg->http_port);
        nf_log(NF_LOG_INFO, "http server listening", "address", cfg->http_bind, "port", port, NULL);
    }
    size_t max = (size_t)cfg->batch_max_messages;
    p->slots = nf_calloc(max, sizeof(slot_t));
    p->coll = nf_calloc(max, sizeof(slot_t));
    p->wslots = nf_calloc(max, sizeof(slot_t));
    p->arts = nf_calloc(max, sizeof(nf_store_article_t));
    p->rejs = nf_calloc(max, sizeof(nf_store_reject_t));
    p->offs = nf_calloc(max, sizeof(nf_partition_offset_t));
    p->dd_slot = nf_calloc(max, sizeof(size_t));
    p->dd = nf_calloc(max, sizeof(nf_store_dedup_article_t));
    p->match = nf_match_params_from_config(cfg);
    if (!p->slots || !p->coll || !p->wslots || !p->arts || !p->rejs || !p->offs || !p->dd_slot ||
        !p->dd) {
        snprintf(errstr, errstr_size, "out of memory (batch of %zu)", max);
        goto fail;
    }
    if (pool_init(&p->pool, cfg, errstr, errstr_size) != NF_OK)
        goto fail;

    /* PostgreSQL may come up after the worker (compose, Kubernetes): retry with backoff. */
    int64_t backoff = cfg->backoff_initial_ms;
    while (!(p->store = nf_store_new(cfg, errstr, errstr_size))) {
        if (*stop)
            goto fail;
        nf_log(NF_LOG_WARN, "PostgreSQL unreachable, retrying", "error", errstr, NULL);
        nf_counter_add(p->m.pg_transient, 1);
        heartbeat(p);
        sleep_ms(backoff);
        backoff = backoff * 2 > cfg->backoff_max_ms ? cfg->backoff_max_ms : backoff * 2;
    }
    int applied = 0;
    if (nf_store_migrate(p->store, &applied, errstr, errstr_size) != NF_OK)
        goto fail;
    p->wcfg = *cfg;
    p->wcfg.dedup_fingerprint_cache = 0;
    if (!(p->wstore = nf_store_new(&p->wcfg, errstr, errstr_size)))
        goto fail;
    if (pthread_mutex_init(&p->w.lock, NULL) != 0 || pthread_cond_init(&p->w.cond, NULL) != 0 ||
        pthread_create(&p->w.thread, NULL, writer_main, p) != 0) {
        snprintf(errstr, errstr_size, "cannot start the writer thread");
        goto fail;
    }
    p->w.started = 1;
    atomic_store(&p->health.pg_ok, 1);

    nf_consumer_hooks_t hooks = {p, on_assign, on_revoke};
    if (!(p->producer = nf_producer_new(cfg, errstr, errstr_size)) ||
        !(p->consumer = nf_consumer_new(cfg, &hooks, errstr, errstr_size)))
        goto fail;
    return p;
fail:
    nf_pipeline_destroy(p);
    return NULL;
}

void nf_pipeline_destroy(nf_pipeline_t *p)
{
    if (!p)
        return;
    if (p->consumer)
        nf_consumer_destroy(p->consumer); /* may call on_revoke: slots must still exist */
    nf_http_stop(p->http);
    pool_wait(&p->pool);
    pool_destroy(&p->pool);
    if (p->w.started) {
        pthread_mutex_lock(&p->w.lock);
        p->w.shutdown = 1;
        pthread_cond_broadcast(&p->w.cond);
        pthread_mutex_unlock(&p->w.lock);
        pthread_join(p->w.thread, NULL);
        pthread_mutex_destroy(&p->w.lock);
        pthread_cond_destroy(&p->w.cond);
    }
    for (int b = 0; b < 3; b++) {
        slot_t *arr = b == 2 ? p->wslots : b ? p->coll : p->slots;
        for (size_t i = 0; i < (arr ? (size_t)p->cfg->batch_max_messages : 0); i++) {
            nf_message_release(&arr[i].msg);
            nf_enriched_free(&arr[i].e);
            nf_free(arr[i].rej);
            nf_buf_free(&arr[i].json);
            nf_buf_free(&arr[i].ents);
        }
    }
    for (size_t i = 0; i < p->carry.count; i++)
        nf_message_release(&p->carry.items[i]);
    nf_free(p->carry.items);
    nf_producer_destroy(p->producer);
    nf_outbox_rows_clear(&p->outbox);
    nf_free(p->outbox.rows);
    nf_free(p->outbox.results);
    nf_outbox_rows_clear(&p->woutbox);
    nf_free(p->woutbox.rows);
    nf_free(p->woutbox.results);
    nf_store_destroy(p->store);
    nf_store_destroy(p->wstore);
    nf_id_list_free(&p->acked);
    nf_id_list_free(&p->wacked);
    nf_free(p->replay_parts);
    nf_free(p->slots);
    nf_free(p->coll);
    nf_free(p->wslots);
    nf_free(p->arts);
    nf_free(p->rejs);
    nf_free(p->offs);
    nf_free(p->dd_slot);
    nf_free(p->dd);
    nf_free(p);
}

const nf_run_stats_t *nf_pipeline_stats(const nf_pipeline_t *p)
{
    return &p->stats;
}

/* ---- collect ---------------------------------------------------------------------------- */

static nf_err_t carry_push(nf_pipeline_t *p, const nf_message_t *m)
{
    if (p->carry.count == p->carry.cap) {
        size_t cap = p->carry.cap ? p->carry.cap * 2 : 64;
        nf_message_t *items = nf_realloc(p->carry.items, cap * sizeof(*items));
        if (!items)
            return NF_ERR_NOMEM;
        p->carry.items = items;
        p->carry.cap = cap;
    }
    p->carry.items[p->carry.count++] = *m;
    return NF_OK;
}

static void add_to_batch(nf_pipeline_t *p, const nf_message_t *m)
{
    p->coll[p->n_coll++].msg = *m;
    p->coll_bytes += m->len;
    p->stats.consumed++;
    nf_counter_add(p->m.consumed, 1);
}

/* Fills `coll` until it holds batch_max_messages or batch_max_bytes, or batch_max_wait_ms
 * passed since its first message, or no message came for batch_linger_ms. While an enriched
 * batch waits to be written, it takes only the messages already fetched, so that batch is not
 * held back (under load the fetched queue is never empty and batches stay full; at low rates
 * batches shrink and latency stays low). Returns with an empty batch after ~100 ms without
 * messages so the caller can do housekeeping. */
static void collect_batch(nf_pipeline_t *p)
{
    const nf_config_t *cfg = p->cfg;
    int64_t first_at = 0;
    while (p->n_coll < (size_t)cfg->batch_max_messages &&
           p->coll_bytes < (size_t)cfg->batch_max_bytes) {
        if (p->carry.count) {
            add_to_batch(p, &p->carry.items[0]);
            memmove(p->carry.items, p->carry.items + 1,
                    (p->carry.count - 1) * sizeof(nf_message_t));
            p->carry.count--;
            if (!first_at)
                first_at = nf_monotonic_ms();
            continue;
        }
        if (stopping(p))
            break;
        finish_write(p, 0); /* the writer's batch, as soon as it committed */
        int64_t wait = 100;
        int idle_closes = 0; /* a timeout now closes the batch */
        if (p->n_coll) {
            wait = first_at + cfg->batch_max_wait_ms - nf_monotonic_ms();
            if (wait <= 0)
                break;
            if (cfg->batch_linger_ms > 0 && wait > cfg->batch_linger_ms) {
                wait = cfg->batch_linger_ms;
                idle_closes = 1;
            }
        }
        if (p->n_slots) {
            wait = 0;
            idle_closes = 1;
        }
        if (wait > WRITER_POLL_MS && writer_state(p) != W_IDLE)
            wait = WRITER_POLL_MS; /* notice the writer's commit soon: latency */
        nf_message_t m;
        nf_err_t err = nf_consumer_poll(p->consumer, (int)wait, &m);
        if (err == NF_OK) {
            add_to_batch(p, &m);
            if (!first_at)
                first_at = nf_monotonic_ms();
        } else if (p->n_coll == 0) {
            return; /* timeout, EOF or error: back to the loop for housekeeping */
        } else if (err == NF_ERR_TIMEOUT && idle_closes) {
            break;
        }
    }
}

/* ---- process and write ------------------------------------------------------------------ */

/* Enriches slots[0..n) on the pool and waits (the retry after an out-of-memory error). */
static nf_err_t run_stages(nf_pipeline_t *p, slot_t *slots, size_t n)
{
    coll_wait(p);
    pool_start(&p->pool, slots, n);
    return pool_wait(&p->pool);
}

/* The decisions of slots[0..n) (dedup and stories, nf_store_decide), committed in a transaction
 * of their own on the pipeline thread's connection; the slots take them. p->outbox receives the
 * stored articles rewritten (produced by after_decide, after the previous batch's rows). A
 * replay of a batch whose decisions committed but whose write did not finds them stored and
 * takes them again. */
static nf_err_t decide_once(nf_pipeline_t *p, slot_t *slots, size_t n)
{
    p->d_new_stories = 0;
    p->d_corrected = 0;
    size_t n_dd = 0, corrected = 0;
    for (size_t i = 0; i < n; i++) {
        slot_t *s = &slots[i];
        if (!s->accepted)
            continue;
        nf_buf_reset(&s->ents);
        nf_buf_putc(&s->ents, '[');
        for (size_t k = 0; k < s->e.entities.count; k++) {
            if (k)
                nf_buf_putc(&s->ents, ',');
            nf_buf_json_string(&s->ents, s->e.entities.items[k].id);
        }
        nf_buf_putc(&s->ents, ']');
        if (s->ents.failed)
            return NF_ERR_NOMEM;
        const char *lang = strcmp(s->e.lang.code, "und") != 0 && s->e.lang.code[0]
                               ? s->e.lang.code
                               : s->e.lang.script;
        nf_store_dedup_article_t *d = &p->dd[n_dd];
        memset(d, 0, sizeof(*d));
        d->id = s->e.article.id;
        d->fp = &s->e.fp;
        d->lang = lang;
        d->entity_ids_json = s->ents.data;
        d->entities = &s->e.entities;
        p->dd_slot[n_dd++] = i;
    }
    if (n_dd == 0)
        return NF_OK; /* rejects only */
    int64_t t0 = nf_monotonic_ms();
    nf_err_t err = nf_store_begin(p->store);
    if (err == NF_OK)
        err = nf_store_decide(p->store, p->dd, n_dd, &p->match, &p->outbox, &corrected);
    if (err == NF_OK)
        err = nf_store_commit(p->store);
    if (err != NF_OK)
        return err;
    for (size_t k = 0; k < n_dd; k++) {
        slot_t *s = &slots[p->dd_slot[k]];
        s->e.dedup = p->dd[k].dedup;
        snprintf(s->e.story_id, sizeof(s->e.story_id), "%s", p->dd[k].story_id);
        p->d_new_stories += (size_t)p->dd[k].new_story;
    }
    p->d_corrected = corrected;
    int64_t took = nf_monotonic_ms() - t0;
    nf_histogram_observe(p->m.stage_dedup, (double)took / 1000.0);
    p->ms.dedup += took;
    p->decide_ms = took;
    return NF_OK;
}

/* One attempt at writing slots[0..n) (decided) in one transaction on `st`: the articles, the
 * rejects, and every partition's next offset (an article whose decision moved since is rewritten
 * at the end: nf_store_write_batch), and the delete of the delivered outbox rows of `acked` if
 * given (emptied once the transaction commits): one commit for both, and the delete off the
 * pipeline thread's loop. Runs on the writer thread, or on the pipeline thread while the writer
 * is idle. */
static nf_err_t write_once(nf_pipeline_t *p, nf_store_t *st, slot_t *slots, size_t n,
                           nf_id_list_t *acked)
{
    nf_err_t err = nf_store_begin(st);
    if (err != NF_OK)
        return err;
    size_t na = 0, nr = 0, no = 0;
    for (size_t i = 0; i < n; i++) {
        slot_t *s = &slots[i];
        if (s->accepted) {
            nf_buf_reset(&s->json);
            if ((err = nf_chain_render(&s->e, &s->json)) != NF_OK)
                return err;
            p->arts[na++] = (nf_store_article_t){
                s->e.article.id,  s->json.data,  s->json.len,         s->msg.payload, s->msg.len,
                s->msg.partition, s->msg.offset, s->msg.timestamp_ms, &s->e.entities};
        } else {
            /* The DLQ producer has a size limit too: keep the head of a huge message. */
            size_t keep = s->msg.len;
            int64_t original = -1;
            if (keep > (size_t)p->cfg->dlq_max_payload_bytes) {
                keep = (size_t)p->cfg->dlq_max_payload_bytes;
                original = (int64_t)s->msg.len;
            }
            p->rejs[nr++] = (nf_store_reject_t){nf_reject_reason_name(s->rej->reason),
                                                s->rej->detail,
                                                s->rej->id[0] ? s->rej->id : NULL,
                                                s->msg.key,
                                                s->msg.key_len,
                                                s->msg.payload ? s->msg.payload : "",
                                                keep,
                                                original,
                                                s->msg.partition,
                                                s->msg.offset,
                                                s->msg.timestamp_ms};
        }
        size_t j = 0;
        while (j < no && p->offs[j].partition != s->msg.partition)
            j++;
        if (j == no)
            p->offs[no++] = (nf_partition_offset_t){s->msg.partition, s->msg.offset + 1};
        else if (p->offs[j].offset < s->msg.offset + 1)
            p->offs[j].offset = s->msg.offset + 1;
    }
    p->n_offs = no; /* after_write() hands the same offsets to Kafka */
    nf_store_batch_t batch = {p->cfg->input_topic, p->arts, na, p->rejs, nr, p->offs, no};
    if ((err = nf_store_write_batch(st, &batch, &p->woutbox, &p->counts)) != NF_OK)
        return err;
    if (acked && (err = nf_store_outbox_delete(st, acked->ids, acked->count)) != NF_OK)
        return err;
    if ((err = nf_store_commit(st)) == NF_OK && acked)
        acked->count = 0;
    return err;
}

static void produce_rows(nf_pipeline_t *p, nf_outbox_rows_t *rows)
{
    for (size_t r = 0; r < rows->count; r++) {
        if (p->n_replay && rows->rows[r].id < p->replay_before_id)
            p->replay_before_id = rows->rows[r].id;
        if (nf_producer_send(p->producer, &rows->rows[r], PRODUCE_QUEUE_WAIT_MS) != NF_OK)
            p->replay_all = 1;
    }
    nf_outbox_rows_clear(rows);
}

/* After a decision's COMMIT: count, and produce the rewritten stored articles. */
static void after_decide(nf_pipeline_t *p)
{
    uint64_t hits, misses; /* the commit cached the batch's fingerprints */
    size_t entries;
    nf_store_cache_stats(p->store, &hits, &misses, &entries);
    nf_counter_add(p->m.cache_hit, hits - p->m.cache_hits_seen);
    nf_counter_add(p->m.cache_miss, misses - p->m.cache_misses_seen);
    nf_gauge_set(p->m.cache_entries, (double)entries);
    p->m.cache_hits_seen = hits;
    p->m.cache_misses_seen = misses;
    nf_counter_add(p->m.stories_created, p->d_new_stories);
    nf_counter_add(p->m.revised, p->d_corrected);
    p->d_new_stories = 0;
    p->d_corrected = 0;
    int64_t t0 = nf_monotonic_ms();
    produce_rows(p, &p->outbox);
    p->ms.produce += nf_monotonic_ms() - t0;
}

/* After a write's COMMIT: count, produce, advise Kafka. */
static void after_write(nf_pipeline_t *p, slot_t *slots, size_t n)
{
    int64_t committed_ms = realtime_ms();
    for (size_t i = 0; i < n; i++) {
        slot_t *s = &slots[i];
        if (s->msg.timestamp_ms >= 0)
            nf_histogram_observe(p->m.e2e, (double)(committed_ms - s->msg.timestamp_ms) / 1000.0);
        if (s->accepted) {
            if (s->e.dedup.status != NF_DEDUP_UNIQUE) {
                p->stats.duplicates++;
                nf_counter_add(s->e.dedup.status == NF_DEDUP_NEAR ? p->m.dup_near : p->m.dup_exact,
                               1);
            }
        } else {
            p->stats.rejected++;
            p->stats.rejected_by_reason[s->rej->reason]++;
            nf_counter_add(p->m.rejected[s->rej->reason], 1);
        }
    }
    p->stats.stored += p->counts.articles_inserted;
    nf_counter_add(p->m.stored, p->counts.articles_inserted);
    nf_counter_add(p->m.entities_created, p->counts.entities_created);
    nf_counter_add(p->m.revised, p->counts.records_revised);

    int64_t t0 = nf_monotonic_ms();
    produce_rows(p, &p->woutbox);
    nf_consumer_commit(p->consumer, p->offs, p->n_offs);
    nf_histogram_observe(p->m.stage_produce, (double)(nf_monotonic_ms() - t0) / 1000.0);
    p->ms.produce += nf_monotonic_ms() - t0;
    p->stats.batches++;
    atomic_store(&p->health.pg_ok, 1);
}

/* Done with slots[0..n): their messages go back to librdkafka and their records are freed, not
 * kept for the slot's next article. The record is rendered by the write and read until the
 * batch is produced; kept, each slot of the three arrays held one (~1.2 KB, in a buffer of 2 KB)
 * while only the batch being written needs them. */
static void release_slots(slot_t *slots, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        nf_message_release(&slots[i].msg);
        nf_enriched_clear(&slots[i].e);
        nf_buf_free(&slots[i].json);
    }
}

/* ---- the writer ------------------------------------------------------------------------- */

/* VACUUM fingerprint_keys (dedup_keys_vacuum_batches) on the writer's connection, between its
 * jobs. A failure is logged and the writes go on; a role that does not own the table gets only
 * PostgreSQL's warning (logged at debug) and the table is left to autovacuum. */
static void vacuum_keys(nf_pipeline_t *p)
{
    int64_t t0 = nf_monotonic_ms();
    nf_err_t err = nf_store_vacuum_keys(p->wstore);
    p->w.vacuum_ms += nf_monotonic_ms() - t0;
    if (err != NF_OK)
        nf_log(NF_LOG_WARN, "VACUUM fingerprint_keys failed", "error",
               nf_store_last_error(p->wstore), NULL);
}

static void *writer_main(void *opaque)
{
    nf_pipeline_t *p = opaque;
    name_thread("nf-writer");
    pthread_mutex_lock(&p->w.lock);
    for (;;) {
        while (!p->w.shutdown && p->w.state != W_QUEUED)
            pthread_cond_wait(&p->w.cond, &p->w.lock);
        if (p->w.shutdown)
            break;
        p->w.state = W_RUNNING;
        pthread_mutex_unlock(&p->w.lock);
        int64_t t0 = nf_monotonic_ms();
        nf_err_t err = write_once(p, p->wstore, p->wslots, p->n_wslots, &p->wacked);
        if (err != NF_OK) {
            nf_store_rollback(p->wstore);
            nf_outbox_rows_clear(&p->woutbox);
        } else if (p->cfg->dedup_keys_vacuum_batches > 0 &&
                   ++p->w.jobs % (uint64_t)p->cfg->dedup_keys_vacuum_batches == 0) {
            vacuum_keys(p);
        }
        pthread_mutex_lock(&p->w.lock);
        p->w.err = err;
        p->w.took_ms = nf_monotonic_ms() - t0;
        p->w.busy_ms += p->w.took_ms;
        p->w.state = W_DONE;
        pthread_cond_broadcast(&p->w.cond);
        /* After the job, not on the pipeline thread: that thread's loop (deciding batch after
         * batch) is what bounds throughput, and the writer waits for it anyway. */
        pthread_mutex_unlock(&p->w.lock);
        t0 = nf_monotonic_ms();
        return_free_memory();
        int64_t trim_ms = nf_monotonic_ms() - t0;
        pthread_mutex_lock(&p->w.lock);
        p->w.trim_ms += trim_ms;
    }
    pthread_mutex_unlock(&p->w.lock);
    return NULL;
}

static int writer_state(nf_pipeline_t *p)
{
    pthread_mutex_lock(&p->w.lock);
    int state = p->w.state;
    pthread_mutex_unlock(&p->w.lock);
    return state;
}

/* Waits until the writer's job, if any, has ended. */
static void writer_wait(nf_pipeline_t *p)
{
    pthread_mutex_lock(&p->w.lock);
    while (p->w.state == W_QUEUED || p->w.state == W_RUNNING)
        pthread_cond_wait(&p->w.cond, &p->w.lock);
    pthread_mutex_unlock(&p->w.lock);
}

/* Appends `from` to `to`; what does not fit (out of memory) stays in `from`. */
static void id_list_move(nf_id_list_t *to, nf_id_list_t *from)
{
    if (from->count == 0)
        return; /* (its ids may be NULL) */
    if (to->count == 0) {
        nf_id_list_t t = *to;
        *to = *from;
        *from = t;
        return;
    }
    size_t i = 0;
    while (i < from->count && nf_id_list_push(to, from->ids[i]) == NF_OK)
        i++;
    if (i < from->count)
        memmove(from->ids, from->ids + i, (from->count - i) * sizeof(int64_t));
    from->count -= i;
}

/* Moves the producer's delivered outbox ids to p->acked. */
static void take_acked(nf_pipeline_t *p)
{
    size_t before = p->acked.count;
    (void)nf_producer_take_acked(p->producer, &p->acked); /* out of memory: some stay there */
    p->stats.published += p->acked.count - before;
}

/* The decided `slots` become the writer's job (its written buffers are reused), with the
 * delivered outbox rows to delete. */
static void writer_start(nf_pipeline_t *p)
{
    take_acked(p);
    id_list_move(&p->wacked, &p->acked);
    slot_t *tmp = p->wslots;
    p->wslots = p->slots;
    p->n_wslots = p->n_slots;
    p->wbytes = p->batch_bytes;
    p->slots = tmp;
    p->n_slots = 0;
    p->batch_bytes = 0;
    pthread_mutex_lock(&p->w.lock);
    p->w.state = W_QUEUED;
    pthread_cond_signal(&p->w.cond);
    pthread_mutex_unlock(&p->w.lock);
}

/* Waits out a backoff delay while keeping the group membership (rebalance callbacks are served
 * by polling; messages that still arrive are kept, in order, for the next batch). */
static void backoff_wait(nf_pipeline_t *p, int64_t delay_ms)
{
    int64_t until = nf_monotonic_ms() + delay_ms;
    while (!(stopping(p) && remaining_shutdown_ms(p) <= 0)) {
        int64_t left = until - nf_monotonic_ms();
        if (left <= 0)
            break;
        nf_message_t m;
        if (nf_consumer_poll(p->consumer, (int)(left > 100 ? 100 : left), &m) == NF_OK &&
            carry_push(p, &m) != NF_OK) {
            /* Dropping it is safe only if nothing after it commits: it came after the batch in
             * hand, so write that batch if we can, then stop and let the group re-read it. */
            nf_log(NF_LOG_ERROR, "out of memory holding a message during backoff: stopping", NULL);
            nf_message_release(&m);
            *p->stop = 1;
        }
        nf_producer_poll(p->producer, 0);
        heartbeat(p);
    }
}

/* A data error (class 22/23) means some row cannot be stored as it is: the slot becomes a
 * db_rejected reject (DLQ) so its partition moves on. NF_ERR_NOMEM (the slot unchanged) when
 * its reject cannot be allocated. */
static nf_err_t refuse(nf_pipeline_t *p, slot_t *s, nf_store_t *st)
{
    nf_reject_t *r = slot_reject(s);
    if (!r)
        return NF_ERR_NOMEM;
    nf_counter_add(p->m.pg_data, 1);
    nf_log(NF_LOG_WARN, "PostgreSQL refused an article: sent to the DLQ", "id", s->e.article.id,
           "error", nf_store_last_error(st), NULL);
    memset(r, 0, sizeof(*r));
    r->reason = NF_REJECT_DB_REJECTED;
    snprintf(r->id, sizeof(r->id), "%s", s->e.article.id);
    snprintf(r->detail, sizeof(r->detail), "%s", nf_store_last_error(st));
    s->accepted = 0;
    return NF_OK;
}

/* After a data error: decide (when `decide`) and write slots[0..*n) message by message, each
 * write committed and produced before the next. On another error the slots not written stay, in
 * order, at the front (a slot whose decision committed is found decided when it is retried). The
 * writer must be idle. An article refused after its decision committed keeps its fingerprints
 * row (see README "Dedup and stories"). */
static nf_err_t one_by_one(nf_pipeline_t *p, slot_t *slots, size_t *n, size_t *bytes, int decide)
{
    for (size_t i = 0; i < *n; i++) {
        slot_t *s = &slots[i];
        nf_err_t err = NF_OK;
        if (decide && s->accepted) {
            err = decide_once(p, s, 1);
            if (err == NF_ERR_DB_DATA) {
                nf_store_rollback(p->store);
                nf_outbox_rows_clear(&p->outbox);
                err = refuse(p, s, p->store);
            } else if (err == NF_OK) {
                after_decide(p);
            }
        }
        if (err == NF_OK) {
            err = write_once(p, p->wstore, s, 1, NULL);
            if (err == NF_ERR_DB_DATA && s->accepted) {
                nf_store_rollback(p->wstore);
                nf_outbox_rows_clear(&p->woutbox);
                if ((err = refuse(p, s, p->wstore)) == NF_OK)
                    err = write_once(p, p->wstore, s, 1, NULL);
            }
        }
        if (err != NF_OK) {
            nf_store_rollback(p->store);
            nf_store_rollback(p->wstore);
            nf_outbox_rows_clear(&p->outbox);
            nf_outbox_rows_clear(&p->woutbox);
            if (i > 0) { /* slots before i are written and released: keep the rest, in order */
                for (size_t k = i; k < *n; k++) {
                    slot_t tmp = slots[k - i];
                    slots[k - i] = slots[k];
                    slots[k] = tmp;
                }
                *n -= i;
            }
            return err;
        }
        *bytes -= s->msg.len;
        after_write(p, s, 1);
        release_slots(s, 1);
    }
    *n = 0;
    *bytes = 0;
    return NF_OK;
}

/* One step of the retry loops after a failed attempt: count, log, pause fetching, wait out the
 * backoff (membership kept). Returns 0 when the shutdown bound ran out. */
static int retry_pause(nf_pipeline_t *p, nf_err_t err, const char *what, nf_store_t *st,
                       int64_t *backoff, int *paused)
{
    p->stats.db_retries++;
    nf_counter_add(p->m.pg_retries, 1);
    if (err == NF_ERR_DB_DATA)
        nf_counter_add(p->m.pg_data, 1);
    else if (err != NF_ERR_NOMEM) {
        nf_counter_add(p->m.pg_transient, 1);
        atomic_store(&p->health.pg_ok, 0);
    }
    atomic_store(&p->health.backoff, 1);
    nf_gauge_set(p->m.backoff, 1);
    char delay[32];
    snprintf(delay, sizeof(delay), "%lld", (long long)*backoff);
    nf_log(NF_LOG_WARN, what, "error",
           err == NF_ERR_NOMEM ? "out of memory" : nf_store_last_error(st), "backoff_ms", delay,
           NULL);
    if (!*paused) {
        nf_consumer_pause_all(p->consumer, 1);
        *paused = 1;
    }
    backoff_wait(p, *backoff);
    if (stopping(p) && remaining_shutdown_ms(p) <= 0) {
        nf_log(NF_LOG_WARN, "shutdown bound reached: the unwritten batch will be read again", NULL);
        return 0;
    }
    *backoff = *backoff * 2 > p->cfg->backoff_max_ms ? p->cfg->backoff_max_ms : *backoff * 2;
    *backoff += rand() % (*backoff / 10 + 1); /* jitter: replicas do not retry in lockstep */
    return 1;
}

static void retry_end(nf_pipeline_t *p, int paused)
{
    if (paused)
        nf_consumer_pause_all(p->consumer, 0);
    atomic_store(&p->health.backoff, 0);
    nf_gauge_set(p->m.backoff, 0);
}

/* Ends the writer's batch: waits for its first attempt (unless `block` is 0 and it still runs),
 * retries it here with capped exponential backoff if it failed (until it is written, revoked
 * away, or the shutdown bound runs out), then counts, produces and advises Kafka. */
static void finish_write(nf_pipeline_t *p, int block)
{
    int state = writer_state(p);
    if (state == W_IDLE || (!block && state != W_DONE))
        return;
    int64_t t0 = nf_monotonic_ms();
    writer_wait(p);
    nf_err_t err = p->w.err;
    nf_histogram_observe(p->m.stage_store, (double)p->w.took_ms / 1000.0);
    pthread_mutex_lock(&p->w.lock);
    p->w.state = W_IDLE;
    pthread_mutex_unlock(&p->w.lock);
    int64_t backoff = p->cfg->backoff_initial_ms;
    int paused = 0;
    while (err != NF_OK && p->n_wslots > 0) {
        if (err == NF_ERR_DB_DATA &&
            (err = one_by_one(p, p->wslots, &p->n_wslots, &p->wbytes, 0)) == NF_OK)
            break;
        if (!retry_pause(p, err, "batch not written, retrying", p->wstore, &backoff, &paused)) {
            release_slots(p->wslots, p->n_wslots);
            p->n_wslots = 0;
            break;
        }
        if (p->n_wslots == 0)
            break; /* revoked away */
        if ((err = write_once(p, p->wstore, p->wslots, p->n_wslots, &p->wacked)) != NF_OK) {
            nf_store_rollback(p->wstore);
            nf_outbox_rows_clear(&p->woutbox);
        }
    }
    retry_end(p, paused);
    /* delivered rows the job did not delete (written one by one, or given up) are deleted by
     * the pipeline thread, or ride with the next job */
    id_list_move(&p->acked, &p->wacked);
    if (err == NF_OK && p->n_wslots > 0) {
        after_write(p, p->wslots, p->n_wslots);
        int64_t now = nf_monotonic_ms();
        nf_histogram_observe(p->m.batch_duration, (double)(now - p->wstarted_ms) / 1000.0);
        if (nf_log_enabled(NF_LOG_DEBUG)) {
            char v[4][24];
            fmt_u64(v[0], sizeof(v[0]), p->n_wslots);
            fmt_u64(v[1], sizeof(v[1]), (uint64_t)p->wdecide_ms);
            fmt_u64(v[2], sizeof(v[2]), (uint64_t)p->w.took_ms);
            fmt_u64(v[3], sizeof(v[3]), (uint64_t)(now - p->wstarted_ms));
            nf_log(NF_LOG_DEBUG, "batch written", "messages", v[0], "decide_ms", v[1], "write_ms",
                   v[2], "since_decide_ms", v[3], NULL);
        }
    }
    release_slots(p->wslots, p->n_wslots);
    p->n_wslots = 0;
    p->wbytes = 0;
    p->ms.store += nf_monotonic_ms() - t0;
}

/* Decides the batch in hand, retrying transient errors with capped exponential backoff until it
 * is decided, the batch is revoked away, or the shutdown bound runs out; then ends the previous
 * write (its rows are produced before this decision's rewrites) and hands the batch to the
 * writer. */
static void process_batch(nf_pipeline_t *p)
{
    int64_t backoff = p->cfg->backoff_initial_ms;
    int paused = 0, decided = 0;
    int64_t started = nf_monotonic_ms();
    nf_histogram_observe(p->m.batch_size, (double)p->n_slots);
    nf_err_t err = p->slots_err;
    while (p->n_slots > 0) {
        if (err == NF_OK) {
            if ((err = decide_once(p, p->slots, p->n_slots)) == NF_OK) {
                decided = 1;
                break;
            }
            nf_store_rollback(p->store);
            nf_outbox_rows_clear(&p->outbox);
            if (err == NF_ERR_DB_DATA) {
                finish_write(p, 1); /* one_by_one writes on the writer's connection */
                if ((err = one_by_one(p, p->slots, &p->n_slots, &p->batch_bytes, 1)) == NF_OK)
                    break;
            }
        }
        if (!retry_pause(p, err, "batch not decided, retrying", p->store, &backoff, &paused)) {
            release_slots(p->slots, p->n_slots);
            p->n_slots = 0;
            p->batch_bytes = 0;
            break;
        }
        if (err == NF_ERR_NOMEM)
            err = run_stages(p, p->slots, p->n_slots);
        else
            err = NF_OK;
    }
    retry_end(p, paused);
    if (!decided)
        return;
    finish_write(p, 1);
    after_decide(p);
    if (p->n_slots > 0) { /* a revoke during finish_write's retries may have taken them */
        p->wstarted_ms = started;
        p->wdecide_ms = p->decide_ms;
        writer_start(p);
    }
}

/* ---- outbox ----------------------------------------------------------------------------- */

/* Delivered rows are deleted from the outbox in the next write's transaction (on the writer's
 * connection, off this thread's loop), or here if no batch is in hand. */
static void delete_acked(nf_pipeline_t *p)
{
    take_acked(p);
    if (p->acked.count == 0)
        return;
    int64_t t0 = nf_monotonic_ms();
    nf_err_t err = nf_store_outbox_delete(p->store, p->acked.ids, p->acked.count);
    p->ms.outbox += nf_monotonic_ms() - t0;
    if (err == NF_OK)
        p->acked.count = 0;
    else
        nf_log(NF_LOG_WARN, "outbox delete failed; will retry", "error",
               nf_store_last_error(p->store), NULL);
}

static void replay_outbox(nf_pipeline_t *p)
{
    if (nf_producer_take_failed(p->producer))
        p->replay_all = 1;
    if (!p->replay_all && p->n_replay == 0)
        return;
    if (p->replay_all && nf_monotonic_ms() < p->replay_not_before_ms)
        return;
    /* A full replay waits until nothing is in flight, or it would produce those rows twice. */
    if (p->replay_all && nf_producer_in_flight(p->producer) > 0)
        return;
    int32_t parts_buf[1024];
    const int32_t *parts = p->replay_parts;
    size_t n = p->n_replay;
    if (p->replay_all) {
        n = nf_consumer_assigned(p->consumer, parts_buf, 1024);
        if (n > 1024)
            n = 1024;
        parts = parts_buf;
    }
    int64_t after = 0;
    size_t send_failures = 0, orphans = 0;
    for (;;) {
        /* A full replay runs with nothing in flight: every row left is owed. An assignment
         * replay must skip the rows this process produced since the assignment. */
        int64_t before = p->replay_all ? INT64_MAX : p->replay_before_id;
        nf_err_t err = nf_store_outbox_fetch(p->store, p->cfg->input_topic, parts, n, after, before,
                                             REPLAY_CHUNK, &p->outbox);
        if (err != NF_OK) {
            nf_log(NF_LOG_WARN, "outbox replay failed; will retry", "error",
                   nf_store_last_error(p->store), NULL);
            nf_outbox_rows_clear(&p->outbox);
            return;
        }
        size_t got = p->outbox.count;
        for (size_t r = 0; r < got; r++) {
            if (!p->outbox.rows[r].payload) { /* its article is gone; the fetch deleted it */
                orphans++;
            } else if (nf_producer_send(p->producer, &p->outbox.rows[r], PRODUCE_QUEUE_WAIT_MS) ==
                       NF_OK) {
                p->stats.replayed++;
                nf_counter_add(p->m.replayed, 1);
            } else {
                send_failures++;
            }
            after = p->outbox.rows[r].id;
        }
        nf_outbox_rows_clear(&p->outbox);
        if (got < REPLAY_CHUNK)
            break;
    }
    if (orphans) {
        char count[32];
        fmt_u64(count, sizeof(count), orphans);
        nf_log(NF_LOG_WARN, "outbox rows of deleted articles dropped, nothing to publish", "rows",
               count, NULL);
    }
    if (p->stats.replayed) {
        char count[32];
        fmt_u64(count, sizeof(count), p->stats.replayed);
        nf_log(NF_LOG_INFO, "outbox replayed", "rows_total", count, NULL);
    }
    p->n_replay = 0;
    p->replay_before_id = INT64_MAX;
    p->replay_all = send_failures > 0;
    if (send_failures) {
        p->replay_backoff_ms = p->replay_backoff_ms ? p->replay_backoff_ms * 2 : 1000;
        if (p->replay_backoff_ms > 60000)
            p->replay_backoff_ms = 60000;
        p->replay_not_before_ms = nf_monotonic_ms() + p->replay_backoff_ms;
    } else {
        p->replay_backoff_ms = 0;
    }
}

static void log_stats(nf_pipeline_t *p, const char *msg)
{
    char c[9][32];
    fmt_u64(c[0], 32, p->stats.consumed);
    fmt_u64(c[1], 32, p->stats.stored);
    fmt_u64(c[2], 32, p->stats.duplicates);
    fmt_u64(c[3], 32, p->stats.rejected);
    fmt_u64(c[4], 32, p->stats.batches);
    fmt_u64(c[5], 32, p->stats.db_retries);
    fmt_u64(c[6], 32, p->stats.replayed);
    fmt_u64(c[7], 32, nf_consumer_rebalances(p->consumer));
    nf_log(NF_LOG_INFO, msg, "consumed", c[0], "stored", c[1], "duplicates", c[2], "rejected", c[3],
           "batches", c[4], "db_retries", c[5], "outbox_replayed", c[6], "rebalances", c[7], NULL);
}

/* The idempotent producer can hit fatal errors (e.g. a fenced producer id): librdkafka then
 * refuses all further messages, so the producer is rebuilt and the outbox replayed. */
static nf_err_t check_producer(nf_pipeline_t *p)
{
    char reason[256];
    if (!nf_producer_fatal(p->producer, reason, sizeof(reason)))
        return NF_OK;
    nf_log(NF_LOG_ERROR, "producer fatal error: recreating it and replaying the outbox", "error",
           reason, NULL);
    nf_producer_destroy(p->producer);
    char err[512];
    p->producer = nf_producer_new(p->cfg, err, sizeof(err));
    if (!p->producer) {
        nf_log(NF_LOG_ERROR, "producer could not be recreated", "error", err, NULL);
        return NF_ERR_KAFKA;
    }
    p->replay_all = 1;
    return NF_OK;
}

/* Gauges and probes that need a look around rather than an event: every loop turn is cheap;
 * the PostgreSQL ping and the outbox count run every 5 s. */
static void housekeeping(nf_pipeline_t *p)
{
    heartbeat(p);
    int32_t parts[1024];
    size_t n = nf_consumer_assigned(p->consumer, parts, 1024);
    atomic_store(&p->health.assigned, (int)n);
    nf_gauge_set(p->m.assigned, (double)n);
    nf_gauge_set(p->m.in_flight, (double)nf_producer_in_flight(p->producer));
    uint64_t junk = pool_junk_lines(&p->pool);
    nf_counter_add(p->m.junk, junk - p->last_junk_lines);
    p->last_junk_lines = junk;
    if (nf_monotonic_ms() - p->last_check_ms < 5000)
        return;
    p->last_check_ms = nf_monotonic_ms();
    int64_t rows = 0;
    nf_err_t err = nf_store_ping(p->store);
    if (err == NF_OK)
        err =
            nf_store_outbox_count(p->store, p->cfg->input_topic, parts, n > 1024 ? 1024 : n, &rows);
    atomic_store(&p->health.pg_ok, err == NF_OK);
    nf_gauge_set(p->m.ready, n > 0 && err == NF_OK && !atomic_load(&p->health.backoff));
    if (err == NF_OK)
        nf_gauge_set(p->m.outbox_rows, (double)rows);
    else
        nf_log(NF_LOG_WARN, "PostgreSQL unreachable", "error", nf_store_last_error(p->store), NULL);
}

/* SIGHUP (main.c) asks for a reload of the user gazetteer; it happens here, between batches,
 * so no message is dropped or tagged twice. A bad file keeps the old one. */
static void reload_gazetteer(void)
{
    if (!nf_gazetteer_user_reload_requested())
        return;
    char err[512] = "";
    nf_err_t rc = nf_gazetteer_user_reload(err, sizeof(err));
    const char *help = "User gazetteer reloads (SIGHUP), by result";
    nf_counter_add(nf_counter("newsflow_gazetteer_reloads_total", help, "result",
                              rc == NF_OK ? "ok" : "error"),
                   1);
    if (rc == NF_OK)
        nf_log(NF_LOG_INFO, "user gazetteer reloaded", "path", nf_gazetteer_user_path(), NULL);
    else
        nf_log(NF_LOG_ERROR, "user gazetteer not reloaded: keeping the previous one", "path",
               nf_gazetteer_user_path(), "error", err, NULL);
}

/* `coll` (enriched) becomes the batch to decide; the buffers in `slots` (a written batch's,
 * since writer_start) are reused. */
static void swap_batches(nf_pipeline_t *p)
{
    slot_t *tmp = p->slots;
    p->slots = p->coll;
    p->n_slots = p->n_coll;
    p->batch_bytes = p->coll_bytes;
    p->slots_err = p->coll_err;
    p->coll = tmp;
    p->n_coll = 0;
    p->coll_bytes = 0;
    p->coll_err = NF_OK;
}

/* ---- the loop --------------------------------------------------------------------------- */

nf_err_t nf_pipeline_run(nf_pipeline_t *p)
{
    nf_log(NF_LOG_INFO, "worker started", "group", p->cfg->group_id, "topic", p->cfg->input_topic,
           NULL);
    p->last_progress_ms = nf_monotonic_ms();
    for (;;) {
        /* Batch k+2 is collected, then enriched by the pool while batch k+1 is decided (and
         * batch k written by the writer). */
        int64_t t0 = nf_monotonic_ms();
        collect_batch(p);
        p->ms.collect += nf_monotonic_ms() - t0;
        if (p->n_coll) {
            p->coll_err = NF_OK;
            pool_start(&p->pool, p->coll, p->n_coll);
        }
        if (p->n_slots)
            process_batch(p);
        t0 = nf_monotonic_ms();
        coll_wait(p);
        p->ms.wait_enrich += nf_monotonic_ms() - t0;
        if (p->n_coll) {
            swap_batches(p);
            uint64_t stage_ns[NF_STAGE_COUNT];
            pool_take_stage_ns(&p->pool, stage_ns);
            for (int st = 0; st < NF_STAGE_COUNT; st++)
                nf_histogram_observe(p->m.stage[st], ns_to_s(stage_ns[st]));
        }
        nf_producer_poll(p->producer, 0);
        if (p->n_slots == 0)
            delete_acked(p);
        else
            take_acked(p); /* for the writer's next job */
        if (check_producer(p) != NF_OK) {
            nf_consumer_close(p->consumer);
            return NF_ERR_KAFKA;
        }
        replay_outbox(p);
        housekeeping(p);
        reload_gazetteer();

        if (nf_monotonic_ms() - p->last_progress_ms >= 30000) {
            log_stats(p, "progress");
            p->last_progress_ms = nf_monotonic_ms();
        }
        if (p->n_slots == 0 && (stopping(p) || p->cfg->stop_at_end))
            finish_write(p, stopping(p)); /* nothing left to decide: end the write */
        if (stopping(p) && p->n_slots == 0 && p->n_wslots == 0)
            break;
        if (p->cfg->stop_at_end && p->n_slots == 0 && p->n_wslots == 0 && p->n_coll == 0 &&
            p->carry.count == 0 && nf_consumer_all_at_end(p->consumer) &&
            nf_producer_in_flight(p->producer) == 0 && p->acked.count == 0 &&
            p->wacked.count == 0 && p->n_replay == 0 && !p->replay_all) {
            nf_log(NF_LOG_INFO, "every assigned partition consumed and the outbox drained", NULL);
            break;
        }
    }

    /* Shutdown: flush what is produced, delete what is acknowledged, leave the group. */
    int64_t left = remaining_shutdown_ms(p);
    int flush_ms = left == INT64_MAX ? 10000 : (int)(left > 0 ? left : 0);
    if (nf_producer_flush(p->producer, flush_ms) != NF_OK)
        nf_log(NF_LOG_WARN, "producer not flushed in time: undelivered rows stay in the outbox",
               NULL);
    delete_acked(p);
    nf_consumer_close(p->consumer);
    log_stats(p, "worker stopped");
    char t[6][32];
    snprintf(t[0], 32, "%.3f", (double)p->ms.collect / 1000.0);
    snprintf(t[1], 32, "%.3f", (double)p->ms.wait_enrich / 1000.0);
    snprintf(t[2], 32, "%.3f", (double)p->ms.dedup / 1000.0);
    snprintf(t[3], 32, "%.3f", (double)p->ms.store / 1000.0);
    snprintf(t[4], 32, "%.3f", (double)p->ms.produce / 1000.0);
    snprintf(t[5], 32, "%.3f", (double)p->ms.outbox / 1000.0);
    nf_log(NF_LOG_INFO, "pipeline thread time split (seconds)", "collect", t[0], "wait_enrich",
           t[1], "dedup_lookup", t[2], "store_commit", t[3], "produce", t[4], "outbox_delete", t[5],
           NULL);
    pthread_mutex_lock(&p->w.lock); /* the writer may still be trimming after its last job */
    snprintf(t[0], 32, "%.3f", (double)p->w.busy_ms / 1000.0);
    snprintf(t[1], 32, "%.3f", (double)p->w.vacuum_ms / 1000.0);
    snprintf(t[2], 32, "%.3f", (double)p->w.trim_ms / 1000.0);
    pthread_mutex_unlock(&p->w.lock);
    nf_log(NF_LOG_INFO, "writer thread time (seconds)", "writes", t[0], "of_which_vacuum", t[1],
           "malloc_trim", t[2], NULL);
    return NF_OK;
}
