/**
 * @file langid.h
 * @brief Language identification: script first, then a character n-gram model.
 *
 *        ICU gives the script of every letter; the script with most letters wins (Han, kana and
 *        Hangul are judged together: kana present -> Japanese, Hangul -> Korean, Han alone ->
 *        Chinese). A script that belongs to one language answers directly (Greek, Thai,
 *        Georgian, ...). A shared script (Latin, Cyrillic, Arabic, Devanagari, Hebrew, Ethiopic)
 *        goes to a naive Bayes model over 3- and 4-character n-grams and whole words of that
 *        script's letters, trained from the UDHR (worker/tools/langid/README.md) and compiled
 *        into the binary (worker/langid_model.c). Markup, URLs, e-mail addresses, digits and
 *        letters of other scripts do not vote.
 */
#ifndef NEWSFLOW_LANGID_H
#define NEWSFLOW_LANGID_H

#include <stddef.h>
#include <stdint.h>

#include "newsflow/error.h"

typedef struct nf_lang {
    char code[8];      /**< ISO 639-1 (639-3 where none), or "und" */
    char script[8];    /**< ISO 15924, e.g. "Latn", "Jpan"; "Zyyy" when there are no letters */
    double confidence; /**< 0..1: the model's (tempered) posterior of the answer */
} nf_lang_t;

typedef struct nf_langid nf_langid_t;

typedef struct nf_langid_options {
    double min_confidence; /**< below it the code is "und" (default 0.5) */
    unsigned min_letters;  /**< fewer letters of the winning script -> "und" (default 8) */
} nf_langid_options_t;

#define NF_LANGID_DEFAULT_MIN_CONFIDENCE 0.5
#define NF_LANGID_DEFAULT_MIN_LETTERS 8

/**
 * @brief A detector (immutable once built; the model is static data, so this is cheap).
 * @param opts borrowed; NULL means the defaults.
 * @return NULL with errstr on failure.
 */
nf_langid_t *nf_langid_new(const nf_langid_options_t *opts, char *errstr, size_t errstr_size);

/**
 * @brief Detect the language of `len` bytes of UTF-8. Invalid sequences are skipped (never read
 *        past `len`). Texts over 16 KiB are sampled (eight 2 KiB windows spread over the text),
 *        so the time per call is bounded. Allocates nothing; safe to call from several threads
 *        on one detector.
 */
void nf_langid_detect(const nf_langid_t *l, const char *utf8, size_t len, nf_lang_t *out);

/** @brief Number of languages the detector can answer, and the code of the i-th. */
size_t nf_langid_language_count(void);
const char *nf_langid_language_code(size_t i);

/** Feature orders: character n-grams of 1..4 code points (the detector scores 3 and 4), and
 *  whole words. */
enum { NF_LANGID_ORDERS = 5, NF_LANGID_ORDER_WORD = 4 };

/** A feature of the model: hashed key (never 0) and its order. */
typedef void (*nf_langid_feature_fn)(void *ctx, uint32_t key, unsigned order);

/**
 * @brief The features the detector scores, for the trainer (worker/tools/langid/train.c): finds
 *        the dominant script of `utf8` and calls `fn` for every feature of that script's words.
 *        Writes the script's ISO 15924 code to `script` (8 bytes). Returns the letters counted.
 */
size_t nf_langid_features(const char *utf8, size_t len, nf_langid_feature_fn fn, void *ctx,
                          char script[8]);

/** @brief Free the detector. NULL is fine. */
void nf_langid_destroy(nf_langid_t *l);

#endif
