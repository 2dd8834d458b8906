/**
 * @file langid.h
 * @brief Language identification. Foundation version: finds the dominant ICU script of the
 *        letters (ISO 15924 code, e.g. "Latn", "Arab", "Cyrl") and answers "und" for the
 *        language with confidence 0. The n-gram model replaces the language part (issue 4).
 */
#ifndef NEWSFLOW_LANGID_H
#define NEWSFLOW_LANGID_H

#include <stddef.h>

#include "newsflow/error.h"

typedef struct nf_lang {
    char code[8];      /**< ISO 639-1 (639-3 where none), or "und" */
    char script[8];    /**< ISO 15924, e.g. "Latn"; "Zyyy" when there are no letters */
    double confidence; /**< 0..1 */
} nf_lang_t;

typedef struct nf_langid nf_langid_t;

/** @brief A detector (immutable once built). NULL with errstr on failure. */
nf_langid_t *nf_langid_new(char *errstr, size_t errstr_size);

/**
 * @brief Detect the language of `len` bytes of UTF-8 (invalid sequences are skipped).
 *        Allocates nothing; safe to call from several threads on one detector.
 */
void nf_langid_detect(const nf_langid_t *l, const char *utf8, size_t len, nf_lang_t *out);

/** @brief Free the detector. NULL is fine. */
void nf_langid_destroy(nf_langid_t *l);

#endif
