/**
 * @file store.h
 * @brief Everything newsflow says to PostgreSQL (the only module that speaks SQL): migrations,
 *        authoritative consumer offsets, a batch's decision transaction (the dedup and story
 *        authority, nf_store_decide, under advisory locks), its write transaction (articles
 *        with their entities, mentions and outbox rows in one INSERT ... ON CONFLICT DO NOTHING
 *        fed with array parameters; rejects by COPY into a staging table; the offsets) and the
 *        outbox. Not thread-safe: one store (one connection) per thread; the worker has two, the
 *        pipeline thread's (decisions) and the writer's (writes).
 */
#ifndef NEWSFLOW_STORE_H
#define NEWSFLOW_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "newsflow/config.h"
#include "newsflow/entities.h"
#include "newsflow/error.h"
#include "newsflow/fingerprint.h"
#include "newsflow/story.h"
#include "newsflow/types.h"

typedef struct nf_store nf_store_t;

/** An accepted article of a batch. All pointers borrowed; the outbox rows nf_store_write_batch
 *  creates for it point to its id and enriched text, so these must outlive those rows. */
typedef struct nf_store_article {
    const char *id;
    const char *enriched; /**< the enriched record (JSON text), produced from here (its outbox
                           *   row names the article: a replay reads articles.enriched) */
    size_t enriched_len;
    const char *raw; /**< the input bytes (valid UTF-8 JSON) */
    size_t raw_len;
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms;             /**< Kafka message timestamp, -1 when unknown */
    const nf_entity_list_t *entities; /**< the record's entities (rows of entities, mentions) */
} nf_store_article_t;

/** A rejected message of a batch. All pointers borrowed. */
typedef struct nf_store_reject {
    const char *reason;
    const char *detail;
    const char *article_id; /**< NULL when it could not be read */
    const void *key;        /**< original Kafka key, NULL when none */
    size_t key_len;
    const void *raw; /**< original bytes, any encoding (possibly only the first raw_len) */
    size_t raw_len;
    int64_t original_len; /**< the message's full size when raw was truncated, else -1 */
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms;
} nf_store_reject_t;

typedef struct nf_store_batch {
    const char *topic; /**< source topic */
    const nf_store_article_t *articles;
    size_t n_articles;
    const nf_store_reject_t *rejects;
    size_t n_rejects;
    const nf_partition_offset_t *offsets; /**< next offset of every partition in the batch */
    size_t n_offsets;
} nf_store_batch_t;

/** One message to produce. Pointers borrowed from the nf_outbox_rows_t that holds it. */
typedef struct nf_outbox_row {
    int64_t id;
    const char *topic;
    const void *key;
    size_t key_len;
    const void *payload; /**< NULL: a replayed row whose article is gone, nothing to produce */
    size_t payload_len;
    const char *headers_json; /**< JSON object of string values, or NULL */
    int32_t src_partition;
} nf_outbox_row_t;

typedef struct nf_outbox_rows {
    nf_outbox_row_t *rows; /**< owned */
    size_t count;
    size_t cap;
    void **results; /**< owned: the PGresults the rows point into (owned too; a story decision
                     *   in parts adds up to two per part) */
    size_t n_results;
    size_t cap_results;
} nf_outbox_rows_t;

/** @brief Release rows and their results; the struct can be reused. */
void nf_outbox_rows_clear(nf_outbox_rows_t *rows);

/** @brief Connect (libpq URI/conninfo from cfg->pg_url). NULL with errstr on failure; the
 *  error text never contains the password. */
nf_store_t *nf_store_new(const nf_config_t *cfg, char *errstr, size_t errstr_size);

/** @brief Whether the connection is up; reconnects when it is not. NF_ERR_DB_TRANSIENT if down. */
nf_err_t nf_store_ensure_connected(nf_store_t *s);

/**
 * @brief Apply the compiled-in migrations (schemas/sql/NNN_*.sql) that are not yet recorded,
 *        in order, each in its own transaction, under an advisory lock so that replicas starting
 *        together apply each exactly once. *applied receives how many were applied now.
 */
nf_err_t nf_store_migrate(nf_store_t *s, int *applied, char *errstr, size_t errstr_size);

/**
 * @brief The stored next offset of each partition (-1 where none is stored).
 */
nf_err_t nf_store_load_offsets(nf_store_t *s, const char *group, const char *topic,
                               nf_partition_offset_t *parts, size_t n);

/** @brief BEGIN a transaction (a batch's decision, or its write). */
nf_err_t nf_store_begin(nf_store_t *s);

/** An accepted article of a batch, for the dedup and story decisions. */
typedef struct nf_store_dedup_article {
    const char *id;                   /**< borrowed */
    const nf_fingerprint_t *fp;       /**< borrowed */
    const char *lang;                 /**< lang.code, or the script while it is "und" */
    const char *entity_ids_json;      /**< JSON array of the entity ids (borrowed) */
    const nf_entity_list_t *entities; /**< the same entities, for the story's list (borrowed;
                                           NULL: none) */
    nf_dedup_result_t dedup;          /**< out */
    char story_id[NF_STORY_ID_LEN];   /**< out */
    int new_story;                    /**< out: the article opened a story */
} nf_store_dedup_article_t;

/**
 * @brief Inside a transaction of its own (committed before the batch is written): decide
 *        duplicates and stories (story.h rules) with
 *        PostgreSQL as the authority. Takes advisory locks on the batch's index keys (LSH bands,
 *        posted names, exact keys) in ascending order, reads the ids of the stored articles
 *        sharing them within each article's window, takes their fingerprints from the cache
 *        (reading the others; cached at COMMIT), reads the decisions and stories of those that
 *        may link (nf_story_relevant), locks their stories (ascending), decides
 *        (nf_story_resolve), writes fingerprints, keys and stories, and rewrites stored
 *        articles whose decision moved (their new record,
 *        with "revision" + 1, goes to the outbox: appended to *out). An id already decided gets
 *        its stored decision. *corrected receives the number of stored articles rewritten.
 *        Memory: with dedup_max_candidates, a batch whose candidates pass it is decided in
 *        consecutive parts of fewer articles (same transaction, same result as one decision).
 */
nf_err_t nf_store_decide(nf_store_t *s, nf_store_dedup_article_t *arts, size_t n,
                         const nf_match_params_t *params, nf_outbox_rows_t *out, size_t *corrected);

/** What a batch write created (rows that already existed are not counted). */
typedef struct nf_store_counts {
    size_t articles_inserted;
    size_t rejects_inserted;
    size_t entities_created;
    size_t hashes_created;  /**< new normalized texts */
    size_t records_revised; /**< written articles whose decision moved since (rewritten) */
} nf_store_counts_t;

/**
 * @brief Inside the write transaction, after the batch's decision committed: write the batch.
 *        Articles whose id is already stored are skipped (a replay never doubles a row), as are
 *        rejects of an already rejected position. Appends to *out the outbox rows created (to
 *        be produced after COMMIT); the rows of articles borrow the article's id and enriched
 *        text (no copy comes back). Last, it locks the articles' fingerprints rows (FOR SHARE,
 *        until COMMIT) and rewrites, as a revision, an article whose decision a later decision
 *        moved since it was rendered (counts->records_revised; its new record is appended to
 *        *out too).
 */
nf_err_t nf_store_write_batch(nf_store_t *s, const nf_store_batch_t *batch, nf_outbox_rows_t *out,
                              nf_store_counts_t *counts);

/** @brief COMMIT. On failure the transaction is gone and nothing of it was written. */
nf_err_t nf_store_commit(nf_store_t *s);

/** @brief The fingerprint cache (dedup_fingerprint_cache): candidates found in it and read from
 *         PostgreSQL since the store was created, and its entries now. */
void nf_store_cache_stats(const nf_store_t *s, uint64_t *hits, uint64_t *misses, size_t *entries);

/** @brief ROLLBACK (safe when no transaction is open or the connection is down). */
void nf_store_rollback(nf_store_t *s);

/**
 * @brief Outbox rows of these source partitions with after_id < id < before_id, oldest first,
 *        at most `limit`, appended to *out (the replay after a restart, a rebalance or a failed
 *        delivery; before_id excludes rows this process produced itself).
 */
nf_err_t nf_store_outbox_fetch(nf_store_t *s, const char *src_topic, const int32_t *partitions,
                               size_t n, int64_t after_id, int64_t before_id, size_t limit,
                               nf_outbox_rows_t *out);

/**
 * @brief VACUUM fingerprint_keys (outside any transaction; skipped when another session holds
 *        it). The table only grows, so this only marks the pages written since the last run
 *        all-visible, which lets the candidate read (an index-only scan) skip the heap.
 */
nf_err_t nf_store_vacuum_keys(nf_store_t *s);

/** @brief A round trip (reconnecting if needed): is PostgreSQL reachable? */
nf_err_t nf_store_ping(nf_store_t *s);

/** @brief Outbox rows waiting for these source partitions. */
nf_err_t nf_store_outbox_count(nf_store_t *s, const char *src_topic, const int32_t *partitions,
                               size_t n, int64_t *count);

/** @brief Delete delivered outbox rows. */
nf_err_t nf_store_outbox_delete(nf_store_t *s, const int64_t *ids, size_t n);

/** @brief The last error message of the store (no secrets). */
const char *nf_store_last_error(const nf_store_t *s);

/** @brief Close the connection and free. NULL is fine. */
void nf_store_destroy(nf_store_t *s);

#endif
