/**
 * @file enrich.h
 * @brief `newsflow enrich`: the stage chain offline. JSONL in, one output line per input line in
 *        order (the enriched record, or an error object for a rejected line), in-memory dedup.
 */
#ifndef NEWSFLOW_ENRICH_H
#define NEWSFLOW_ENRICH_H

#include <stdint.h>
#include <stdio.h>

#include "newsflow/article.h"
#include "newsflow/chain.h"
#include "newsflow/config.h"
#include "newsflow/error.h"

/** The stages timed by `enrich`: the chain's, then its own two. */
#define NF_ENRICH_STAGE_DEDUP NF_STAGE_COUNT
#define NF_ENRICH_STAGE_ENCODE (NF_STAGE_COUNT + 1)
#define NF_ENRICH_STAGE_COUNT (NF_STAGE_COUNT + 2)

typedef struct nf_enrich_counts {
    uint64_t lines;
    uint64_t accepted;
    uint64_t rejected;
    uint64_t rejected_by_reason[NF_REJECT_COUNT];
    uint64_t duplicates;
    uint64_t stories;
    uint64_t junk_lines;
    /** Nanoseconds per stage: the chain's (NF_CHAIN_STAGES order), then dedup (+ story) and
     *  encode (rendering the output line). Printed by nf_enrich_print_counts(). */
    uint64_t stage_ns[NF_ENRICH_STAGE_COUNT];
} nf_enrich_counts_t;

/**
 * @brief Read all of `in` (borrowed), write to `out` (borrowed).
 * @return NF_OK when all input was read and written; NF_ERR_IO on a read/write error;
 *         NF_ERR_NOMEM; NF_ERR_CONFIG when a stage cannot be built (errstr says why).
 */
nf_err_t nf_enrich_stream(const nf_config_t *cfg, FILE *in, FILE *out, nf_enrich_counts_t *counts,
                          char *errstr, size_t errstr_size);

/** @brief Print the counts as one JSON line (to stderr in the CLI). */
void nf_enrich_print_counts(const nf_enrich_counts_t *counts, FILE *f);

#endif
