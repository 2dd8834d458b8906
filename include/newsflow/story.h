/**
 * @file story.h
 * @brief Near-duplicate and story decisions over a bounded in-memory index (the `enrich` mode,
 *        the benchmark, and the rules `run` applies in PostgreSQL).
 *
 * The rules depend only on the articles, never on the order they arrive in:
 * - an article's original is the earliest article (published_at, then id) that is an exact copy
 *   of it (same folded text) or a near copy (fingerprint.h: same language key, shared LSH band,
 *   estimated Jaccard >= threshold, within the window); it is then `exact_duplicate` (identical
 *   folded text) or `near_duplicate` of that original; with no earlier match it is `unique`;
 * - a story is a connected component of the graph whose edges join copies (exact or near) and
 *   articles whose signatures match (nf_story_match) through a shared index key (an LSH band or
 *   a name key); its id is derived from its earliest article: "story:" + the first 16 hex
 *   digits of sha256(that article's id).
 * The index sees articles in arrival order: when they arrive in published_at order its answers
 * are final; otherwise an earlier article arriving late does not rewrite what was already
 * answered (`run` does rewrite, in PostgreSQL; see README "Dedup and stories").
 * Not thread-safe.
 */
#ifndef NEWSFLOW_STORY_H
#define NEWSFLOW_STORY_H

#include <stddef.h>
#include <stdint.h>

#include "newsflow/config.h"
#include "newsflow/dedup.h"
#include "newsflow/error.h"
#include "newsflow/fingerprint.h"

#define NF_STORY_ID_LEN 23 /**< "story:" + 16 hex digits + NUL */

/** @brief The story id named after its earliest article. */
void nf_story_id_of(const char *first_article_id, char out[NF_STORY_ID_LEN]);

/** @brief (t, id) order of articles: <0, 0, >0. */
int nf_article_order(int64_t ta, const char *ida, int64_t tb, const char *idb);

/** @brief The defaults with dedup_window_hours and dedup_near_threshold_pct applied. */
nf_match_params_t nf_match_params_from_config(const nf_config_t *cfg);

typedef struct nf_story_index nf_story_index_t;

typedef struct nf_story_decision {
    nf_dedup_result_t dedup;
    char story_id[NF_STORY_ID_LEN];
    int new_story;   /**< 1 when the article matched nothing (a story of its own, so far) */
    uint64_t handle; /**< for nf_story_index_current() */
} nf_story_decision_t;

/**
 * @brief An index of at most `capacity` articles (the oldest inserted is evicted first; the
 *        window bounds what matches, the capacity what is held).
 */
nf_story_index_t *nf_story_index_new(size_t capacity, const nf_match_params_t *params, char *errstr,
                                     size_t errstr_size);

/**
 * @brief Decide for one article and remember it. `id` is copied. The same id seen again is
 *        answered against the others and not stored twice.
 * @return NF_OK or NF_ERR_NOMEM.
 */
nf_err_t nf_story_index_add(nf_story_index_t *x, const char *id, const nf_fingerprint_t *fp,
                            nf_story_decision_t *out);

/** @brief The current story id of an article still held (merges since its decision included).
 *  Returns 0 when it was evicted. */
int nf_story_index_current(nf_story_index_t *x, uint64_t handle, char out[NF_STORY_ID_LEN]);

/** @brief Articles held / evicted so far (capacity or window) / candidate lookups so far. */
size_t nf_story_index_size(const nf_story_index_t *x);
uint64_t nf_story_index_evictions(const nf_story_index_t *x);
uint64_t nf_story_index_lookups(const nf_story_index_t *x);

/** @brief Free the index. NULL is fine. */
void nf_story_index_destroy(nf_story_index_t *x);

/** One article in a batch decision (nf_story_resolve). */
typedef struct nf_story_node {
    const char *id; /**< borrowed */
    nf_fingerprint_t fp;
    int stored; /**< 1: decided before (its state below is the stored one) */
    /* dedup: in for stored articles, out for all */
    nf_dedup_status_t status;
    const char *dup_of; /**< borrowed: "" when unique; out: another node's id (a pointer, not a
                         * copy: a batch decision holds thousands of nodes) */
    int64_t dup_t;      /**< published_at of dup_of */
    double similarity;
    /* story: in (stored: the current story and its earliest article), out (the final story) */
    char story[NF_STORY_ID_LEN];
    int64_t story_first_t;
    const char *story_first_id; /**< borrowed (stored only) */
    /* out */
    const char *winner_first_id;      /**< the earliest article of the final story (borrowed) */
    int dedup_changed, story_changed; /**< a stored article's decision moved */
    int new_story;                    /**< a new article that names its story */
} nf_story_node_t;

/**
 * @brief Decide a batch against the stored articles it may link to (its candidates): new
 *        articles get their original (the earliest copy before them) and their story; stored
 *        articles get an earlier original or a merged story when a new article brings one.
 *        Stories are the connected components of the links, named after their earliest
 *        article. The result does not depend on the order of the nodes.
 */
nf_err_t nf_story_resolve(nf_story_node_t *nodes, size_t n, const nf_match_params_t *p);

/**
 * @brief Marks (relevant[i] = 1, else 0) the candidates cand[0..n_cand) that may link with one of
 *        the new articles fresh[0..n_new): those sharing an index key with one (a band, the
 *        exact key, a posted name) for which nf_fingerprint_link or nf_story_match holds. A NULL
 *        candidate is not relevant.
 *
 * nf_story_resolve links a new article only with such a candidate; a stored article no new
 * article links keeps its decision, and its story is brought by any member that is linked. So
 * the decision of nf_story_resolve over the new articles and the relevant candidates is the one
 * over all candidates (tests/unit/test_story checks it on random batches).
 */
nf_err_t nf_story_relevant(const nf_fingerprint_t *const *cand, size_t n_cand,
                           const nf_fingerprint_t *const *fresh, size_t n_new,
                           const nf_match_params_t *p, unsigned char *relevant);

#endif
