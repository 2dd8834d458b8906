/**
 * @file chain.h
 * @brief The fixed chain of stages every article goes through, shared by `run` and `enrich`:
 *        decode+validate -> normalize -> langid -> entities -> fingerprint, then (after the
 *        caller's dedup decision) the enriched record rendered as JSON ("The records" in
 *        ARCHITECTURE.md; schemas/enriched.schema.json). Knows nothing of Kafka or SQL.
 */
#ifndef NEWSFLOW_CHAIN_H
#define NEWSFLOW_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "newsflow/article.h"
#include "newsflow/buf.h"
#include "newsflow/config.h"
#include "newsflow/dedup.h"
#include "newsflow/entities.h"
#include "newsflow/fingerprint.h"
#include "newsflow/langid.h"
#include "newsflow/normalize.h"

#define NF_STORY_ID_MAX 64

/** One article on its way through the chain. Zero-initialise before first use. */
typedef struct nf_enriched {
    nf_article_t article; /**< decoded input (owns the JSON document) */
    nf_buf_t title;       /**< normalized title (junk lines kept: a title is never junk) */
    nf_buf_t body;        /**< normalized body, junk lines dropped: the analysed text */
    unsigned junk_lines;  /**< lines dropped from the body */
    nf_lang_t lang;
    nf_entity_list_t entities;
    uint8_t sha256[NF_SHA256_LEN]; /**< of the normalized body (content_sha256) */
    char sha256_hex[2 * NF_SHA256_LEN + 1];
    nf_fingerprint_t fp;     /**< exact key (folded text), MinHash, story signature */
    nf_dedup_result_t dedup; /**< set by the caller (enrich: memory; run: PostgreSQL) */
    char story_id[NF_STORY_ID_MAX];
} nf_enriched_t;

typedef struct nf_chain nf_chain_t;

/** @brief Build every stage. NULL with errstr on failure. */
nf_chain_t *nf_chain_new(const nf_config_t *cfg, char *errstr, size_t errstr_size);

/**
 * @brief Run the stages on one raw message. On NF_OK *out holds the enrichment, with
 *        out->dedup set to unique; on NF_ERR_REJECTED *rej says why: bad input, or a stage
 *        that failed on this text (invalid_value, the error in the detail). NF_ERR_NOMEM is
 *        the only other result. Release *out with nf_enriched_clear() either way (it can then
 *        be reused).
 */
nf_err_t nf_chain_process(nf_chain_t *c, const void *data, size_t len, nf_enriched_t *out,
                          nf_reject_t *rej);

/** @brief Set the story id an article has before any decision: a story of its own, named after
 *         its id (story.h: nf_story_id_of). The caller's decision (enrich: story.h in memory;
 *         run: PostgreSQL) replaces it. */
void nf_chain_assign_story(nf_enriched_t *e);

/** @brief Append the enriched record as one line of JSON (no newline) to out. */
nf_err_t nf_chain_render(const nf_enriched_t *e, nf_buf_t *out);

/** @brief Append the `enrich` error object of a rejected line (no newline) to out. */
void nf_chain_render_error(unsigned long line, const nf_reject_t *rej, nf_buf_t *out);

/** The stages timed by the chain, in order. */
#define NF_CHAIN_STAGES(X)                                                                         \
    X(DECODE, "decode")                                                                            \
    X(NORMALIZE, "normalize")                                                                      \
    X(LANGID, "langid")                                                                            \
    X(ENTITIES, "entities")                                                                        \
    X(FINGERPRINT, "fingerprint")

typedef enum nf_chain_stage {
#define NF_STAGE_ENUM(name, text) NF_STAGE_##name,
    NF_CHAIN_STAGES(NF_STAGE_ENUM)
#undef NF_STAGE_ENUM
        NF_STAGE_COUNT
} nf_chain_stage_t;

/** @brief The `stage` label of a chain stage ("normalize"). */
const char *nf_chain_stage_name(nf_chain_stage_t stage);

/** @brief Nanoseconds spent in each stage since the last call; resets them. */
void nf_chain_take_stage_ns(nf_chain_t *c, uint64_t out[NF_STAGE_COUNT]);

/** @brief Junk lines dropped by the chain since it was built (for counters). */
uint64_t nf_chain_junk_lines(const nf_chain_t *c);

/** @brief Release what an nf_enriched_t holds, keeping its buffers for reuse. */
void nf_enriched_clear(nf_enriched_t *e);
/** @brief Release everything, buffers included. */
void nf_enriched_free(nf_enriched_t *e);

/** @brief Free the chain and its stages. NULL is fine. */
void nf_chain_destroy(nf_chain_t *c);

#endif
