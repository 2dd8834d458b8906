/**
 * @file fingerprint.h
 * @brief The fingerprints of one article, computed by the chain's fingerprint stage:
 *        - exact: sha256 of the analysed text (junk lines already out) after NFKC case folding
 *          (ICU NFKC_Casefold) with every run of white space made one space;
 *        - near: MinHash of the word 2-shingles of the same text (NF_MINHASH_K 8-bit values,
 *          "b-bit MinHash") and NF_NEAR_BANDS LSH band keys of NF_NEAR_ROWS rows, salted with
 *          the language key (lang.code, or the script while the code is "und");
 *        - story: a language-independent signature: name keys (entity ids when the entity stage
 *          found any, and the consonant skeleton of name-like tokens transliterated with ICU
 *          "Any-Latin; Latin-ASCII") and fact keys (numbers >= 10 and dates, normalised across
 *          languages and scripts by numbers.h).
 *        Pure data: the predicates here are what every decision (memory or PostgreSQL) uses.
 */
#ifndef NEWSFLOW_FINGERPRINT_H
#define NEWSFLOW_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "newsflow/entities.h"
#include "newsflow/error.h"
#include "newsflow/langid.h"

#define NF_MINHASH_K 32
#define NF_NEAR_BANDS 8
#define NF_NEAR_ROWS 4
#define NF_SIG_NAMES 12 /**< name keys kept (the most frequent, then the earliest) */
/** Bit 0 of a name key: weak (a word of a script without capitals, where every word is a
 *  candidate); two weak keys never count as a shared name. */
#define NF_NAME_WEAK 1u
/** Bit 1 of a name key: one of the NF_POSTED_NAMES most important names, the ones an index
 *  files the article under (so a lookup's cost does not grow with the signature). */
#define NF_NAME_POSTED 2u
#define NF_POSTED_NAMES 6
#define NF_NAME_ID(k) ((k) & ~(NF_NAME_WEAK | NF_NAME_POSTED))
#define NF_SIG_FACTS 8 /**< fact keys kept (the first in the text) */
/** Bit 0 of a fact key: a date (a day of a month); clear: a count, amount or measure. A date is
 *  shared by everything that happened that day, so it alone does not make two texts agree
 *  (nf_near_match). Stored layout v3; facts of an older row read as counts. */
#define NF_FACT_DATE 1u
#define NF_FACT_ID(k) ((k) & ~NF_FACT_DATE)

typedef struct nf_fingerprint {
    uint8_t exact[32]; /**< sha256 of the case-folded analysed text */
    int64_t t;         /**< published_at in seconds since the epoch; 0 when absent */
    uint32_t lang_key; /**< hash of lang.code, or of the script while the code is "und" */
    uint8_t minhash[NF_MINHASH_K];
    uint32_t bands[NF_NEAR_BANDS]; /**< LSH band keys (the language key is mixed in) */
    uint8_t n_names, n_facts;
    uint32_t names[NF_SIG_NAMES]; /**< sorted ascending */
    uint32_t facts[NF_SIG_FACTS]; /**< sorted ascending */
} nf_fingerprint_t;

/** Thresholds of the decisions (config: dedup_near_threshold_pct, story_window_hours). */
typedef struct nf_match_params {
    double near_threshold;   /**< estimated Jaccard at or above which a text is a near copy */
    int64_t window_s;        /**< near copies and stories: |published_at difference| bound */
    int story_min_names;     /**< shared name keys needed (with >= 1 shared fact) ... */
    int story_names_no_fact; /**< ... or shared name keys needed without a shared fact */
} nf_match_params_t;

/** @brief The defaults (chosen from tests/bench/dedup's curves; see README). */
nf_match_params_t nf_match_params_default(void);

typedef struct nf_fingerprinter nf_fingerprinter_t;

/** @brief The stage (an ICU transliterator and scratch buffers): one per thread. */
nf_fingerprinter_t *nf_fingerprinter_new(char *errstr, size_t errstr_size);

/**
 * @brief Fingerprint an article: `body` is the normalized analysed text (UTF-8), `published_at`
 *        RFC 3339 or NULL, `entities` borrowed (their ids join the names).
 * @return NF_OK, NF_ERR_NOMEM or NF_ERR_ICU.
 */
nf_err_t nf_fingerprint_compute(nf_fingerprinter_t *f, const char *body, size_t body_len,
                                const char *published_at, const nf_lang_t *lang,
                                const nf_entity_list_t *entities, nf_fingerprint_t *out);

/**
 * @brief nf_fingerprint_compute() for a caller that has the body as UTF-16 already (the
 *        normalizer builds it so; nf_normalize_last_utf16): `body_u16` must be the UTF-16 of
 *        `body` (u_strFromUTF8's units), which saves converting it again. Same result.
 *        `body_u16` is borrowed.
 */
nf_err_t nf_fingerprint_compute_utf16(nf_fingerprinter_t *f, const char *body, size_t body_len,
                                      const uint16_t *body_u16, size_t body_u16_len,
                                      const char *published_at, const nf_lang_t *lang,
                                      const nf_entity_list_t *entities, nf_fingerprint_t *out);

/** @brief The consonant skeleton of ASCII text ("Dolani" -> "dln"): what a name key is made of.
 *  Writes at most cap-1 bytes plus NUL; returns the skeleton length. */
size_t nf_fingerprint_skeleton(const char *ascii, size_t len, char *out, size_t cap);

#define NF_FNV1A_BASIS 0xcbf29ce484222325ULL /**< FNV-1a's 64-bit offset basis */

/** @brief FNV-1a (64-bit) continued from h over len bytes. Pure function. */
uint64_t nf_fnv1a(uint64_t h, const void *data, size_t len);

/** @brief FNV-1a (64-bit) continued from h over the bytes of n UTF-16 units as they lie in
 *         memory: the same value as over `(const uint8_t *)units, 2 * n`, fewer multiplies.
 *         Pure function. */
uint64_t nf_fnv1a_utf16(uint64_t h, const uint16_t *units, size_t n);

/** @brief The MinHash minima: mins[k] = min over the n hashes h of (h * mul[k] + add[k]) >> 32
 *         (low 32 bits), UINT32_MAX when n is 0. Pure function; vectorised. */
void nf_minhash_mins(const uint64_t *hashes, size_t n, const uint64_t mul[NF_MINHASH_K],
                     const uint64_t add[NF_MINHASH_K], uint32_t mins[NF_MINHASH_K]);

/** @brief Whether code point c is part of a word for the shingles and the name scan (a letter,
 *         digit or mark). Thread-safe. */
int nf_fingerprint_token_char(int32_t c);

/** @brief Estimated Jaccard similarity of the shingle sets (b-bit MinHash estimator). */
double nf_near_similarity(const nf_fingerprint_t *a, const nf_fingerprint_t *b);

/** @brief Same text after folding (exact copies). */
int nf_exact_match(const nf_fingerprint_t *a, const nf_fingerprint_t *b);

/** @brief Near copies: same language key, a shared LSH band, within the window, similarity at
 *         or above the threshold, and no disagreement on facts and names (nf_facts_agree; a
 *         shared name when both carry names). Symmetric; *similarity receives the estimate. */
int nf_near_match(const nf_fingerprint_t *a, const nf_fingerprint_t *b, const nf_match_params_t *p,
                  double *similarity);

/** @brief The facts of two texts agree: they share a fact key, and when both carry counts
 *         (facts that are not dates) they share a count: two texts from one template about two
 *         events of the same day share the date and nothing else. Also 1 when either carries no
 *         fact (no evidence either way). Symmetric. */
int nf_facts_agree(const nf_fingerprint_t *a, const nf_fingerprint_t *b);

/** @brief Same event: within the window, and enough shared name and fact keys. Symmetric. */
int nf_story_match(const nf_fingerprint_t *a, const nf_fingerprint_t *b,
                   const nf_match_params_t *p);

/** The kind of link between two articles (nf_fingerprint_link). */
typedef enum nf_link { NF_LINK_NONE, NF_LINK_EXACT, NF_LINK_NEAR, NF_LINK_STORY } nf_link_t;

/**
 * @brief How two articles are linked: exact copies; near copies (nf_near_match); or the same
 *        event (nf_story_match) when they share an index key (a band or a posted name). The one
 *        definition of an edge, used by the memory index and by the PostgreSQL decisions.
 */
nf_link_t nf_fingerprint_link(const nf_fingerprint_t *a, const nf_fingerprint_t *b,
                              const nf_match_params_t *p, double *similarity);

#define NF_FINGERPRINT_WIRE_MAX                                                                    \
    (1 + 8 + 4 + 32 + NF_MINHASH_K + 4 * NF_NEAR_BANDS + 2 + 4 * (NF_SIG_NAMES + NF_SIG_FACTS))

/** @brief The stored form (PostgreSQL `fingerprints.fp`, layout v3). Returns its length. */
size_t nf_fingerprint_encode(const nf_fingerprint_t *fp, uint8_t out[NF_FINGERPRINT_WIRE_MAX]);
/** @brief Back from the stored form; 0 on success, -1 when it is not a v1, v2 or v3
 *  fingerprint. A v1 one (an older worker's MinHash) comes back with lang_key 0 and no MinHash:
 *  it still matches exact copies and stories, never near copies. The facts of a v1 or v2 one
 *  (which did not tell dates from counts) come back as counts (NF_FACT_DATE clear), so against
 *  it a shared date counts as before. */
int nf_fingerprint_decode(const uint8_t *data, size_t len, nf_fingerprint_t *out);

/** @brief Free the stage. NULL is fine. */
void nf_fingerprinter_destroy(nf_fingerprinter_t *f);

#endif
