/**
 * @file dedup.h
 * @brief Content fingerprints and the in-memory dedup index. Foundation version: exact
 *        duplicates only (sha256 of the normalized body). The index is bounded (oldest entry
 *        evicted first); in `run` it is a cache of decisions PostgreSQL already confirmed.
 */
#ifndef NEWSFLOW_DEDUP_H
#define NEWSFLOW_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "newsflow/error.h"

#define NF_SHA256_LEN 32
#define NF_ID_MAX 1024 /* bytes: 256 code points (the schema's maxLength) of up to 4 bytes */

typedef enum nf_dedup_status { NF_DEDUP_UNIQUE, NF_DEDUP_EXACT, NF_DEDUP_NEAR } nf_dedup_status_t;

typedef struct nf_dedup_result {
    nf_dedup_status_t status;
    char duplicate_of[NF_ID_MAX + 1]; /**< "" when unique */
    double similarity;                /**< 1.0 for exact duplicates, 0.0 when unique */
} nf_dedup_result_t;

typedef struct nf_dedup nf_dedup_t;

/** @brief sha256 of `len` bytes (the normalized text). */
void nf_content_sha256(const void *data, size_t len, uint8_t out[NF_SHA256_LEN]);

/** How the enriched record writes its numbers (chain.c: the language's confidence, the
 *  similarity): 3 significant digits. nf_dedup_similarity_shown rounds with the same format. */
#define NF_RECORD_NUMBER_FORMAT "%.3g"

/**
 * @brief A similarity as the enriched record shows it (NF_RECORD_NUMBER_FORMAT). What PostgreSQL
 *        stores as an article's decision is this value,
 *        so that the record's number and the stored one are the same real: a decision stored
 *        with more digits than its record differed from it, and every near duplicate was
 *        rewritten as a revision nothing had changed.
 */
double nf_dedup_similarity_shown(double similarity);

/** @brief "unique", "exact_duplicate" or "near_duplicate". */
const char *nf_dedup_status_name(nf_dedup_status_t status);

/** @brief An index holding at most `capacity` hashes (0 = remember nothing). */
nf_dedup_t *nf_dedup_new(size_t capacity, char *errstr, size_t errstr_size);

/** @brief The id first seen with this hash, or NULL. Borrowed until the next insert. */
const char *nf_dedup_lookup(const nf_dedup_t *d, const uint8_t sha[NF_SHA256_LEN]);

/** @brief Remember hash -> id unless the hash is known (the first id stays). */
nf_err_t nf_dedup_insert(nf_dedup_t *d, const uint8_t sha[NF_SHA256_LEN], const char *id);

/**
 * @brief Offline decision (enrich): duplicate of the first id seen with this hash, else unique
 *        and remembered. The same id seen again with the same text is not its own duplicate.
 */
nf_err_t nf_dedup_check(nf_dedup_t *d, const uint8_t sha[NF_SHA256_LEN], const char *id,
                        nf_dedup_result_t *out);

/** @brief Forget every hash (the memory is kept). */
void nf_dedup_clear(nf_dedup_t *d);

/** @brief Number of hashes held. */
size_t nf_dedup_size(const nf_dedup_t *d);
/** @brief Number of hashes evicted so far to stay within capacity. */
uint64_t nf_dedup_evictions(const nf_dedup_t *d);

/** @brief Free the index. NULL is fine. */
void nf_dedup_destroy(nf_dedup_t *d);

#endif
