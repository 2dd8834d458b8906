/**
 * @file fpcache.h
 * @brief The worker's cache of stored fingerprints, by article id (README "Dedup and stories").
 *
 * A stored article's fingerprint never changes (fingerprints rows are inserted once, ON CONFLICT
 * DO NOTHING, and never updated): a story decision takes the fingerprints of its candidates from
 * here and reads from PostgreSQL only those it lacks. What does change (an article's original,
 * its story) is always read. Entries are evicted oldest first; the capacity bounds the memory
 * (about 250 bytes an entry with a short id). Put only fingerprints of committed rows.
 */
#ifndef NEWSFLOW_FPCACHE_H
#define NEWSFLOW_FPCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "newsflow/error.h"
#include "newsflow/fingerprint.h"

typedef struct nf_fp_cache nf_fp_cache_t;

/** @brief A cache of at most `capacity` fingerprints (0: one that keeps none). NULL: no memory. */
nf_fp_cache_t *nf_fp_cache_new(size_t capacity);

void nf_fp_cache_destroy(nf_fp_cache_t *c);

/** @brief The fingerprint of `id`, or NULL. Valid until the next nf_fp_cache_put. */
const nf_fingerprint_t *nf_fp_cache_get(nf_fp_cache_t *c, const char *id);

/** @brief Keeps `fp` as the fingerprint of `id` (replacing one kept), evicting the oldest entry
 * when full. NF_ERR_NOMEM leaves the cache as it was. */
nf_err_t nf_fp_cache_put(nf_fp_cache_t *c, const char *id, const nf_fingerprint_t *fp);

/** @brief Entries kept. */
size_t nf_fp_cache_size(const nf_fp_cache_t *c);

/** @brief Lookups that found / did not find their id, since creation. */
uint64_t nf_fp_cache_hits(const nf_fp_cache_t *c);
uint64_t nf_fp_cache_misses(const nf_fp_cache_t *c);

#endif
