/**
 * @file pipeline.h
 * @brief `newsflow run`: poll -> decode -> stages -> store (one transaction per batch) ->
 *        produce the outbox -> commit offsets to Kafka. Owns the consumer, producer, store and
 *        stages. Call it from one thread; the stages of the next batch run on its own pool of
 *        enrich_threads threads while the current batch is written.
 */
#ifndef NEWSFLOW_PIPELINE_H
#define NEWSFLOW_PIPELINE_H

#include <signal.h>
#include <stdint.h>

#include "newsflow/article.h"
#include "newsflow/config.h"
#include "newsflow/error.h"

typedef struct nf_run_stats {
    uint64_t consumed;
    uint64_t stored;     /**< article rows inserted */
    uint64_t duplicates; /**< of which exact/near duplicates */
    uint64_t rejected;
    uint64_t rejected_by_reason[NF_REJECT_COUNT];
    uint64_t published; /**< outbox rows (enriched records and DLQ entries) acknowledged */
    uint64_t batches;
    uint64_t db_retries;
    uint64_t replayed; /**< outbox rows produced again after a restart/rebalance/failure */
} nf_run_stats_t;

typedef struct nf_pipeline nf_pipeline_t;

/** @brief Build the stages and the store connection (retried with backoff until `stop`).
 *  NULL with errstr on a permanent failure. cfg is borrowed and must outlive the pipeline. */
nf_pipeline_t *nf_pipeline_new(const nf_config_t *cfg, volatile sig_atomic_t *stop, char *errstr,
                               size_t errstr_size);

/**
 * @brief Run until *stop becomes non-zero (then finish the batch in hand, commit, flush the
 *        producer and leave the group within cfg->shutdown_timeout_ms), or, with
 *        cfg->stop_at_end, until every assigned partition is consumed and the outbox drained.
 * @return NF_OK on a clean stop.
 */
nf_err_t nf_pipeline_run(nf_pipeline_t *p);

/** @brief Counters so far. */
const nf_run_stats_t *nf_pipeline_stats(const nf_pipeline_t *p);

/** @brief Free everything. NULL is fine. */
void nf_pipeline_destroy(nf_pipeline_t *p);

#endif
