/**
 * @file numbers.h
 * @brief Numbers and dates normalised across languages and scripts, for the story signature:
 *        "12,480", "12 480", "12.480", "12'480", "12 mille 480", "12 тысяч 480", "١٢٬٤٨٠" all
 *        give 12480; "6,4" and "6.4" give 6.4; "40 million", "40 Millionen", "40 مليون" give
 *        4e7; "14 March", "14. März", "14 марта", "14 مارس", "March 14", "2026-03-14",
 *        "14.03.2026" give the date 03-14. Digits of every Unicode script (Nd) are read.
 *        Pure functions: no state, thread-safe.
 */
#ifndef NEWSFLOW_NUMBERS_H
#define NEWSFLOW_NUMBERS_H

#include <stddef.h>
#include <stdint.h>

typedef enum nf_number_kind {
    NF_NUMBER_VALUE, /**< a count, amount, measure: value in thousandths (6.4 -> 6400) */
    NF_NUMBER_YEAR,  /**< four plain digits 1900..2100 (value = the year): too common to count */
    NF_NUMBER_DATE   /**< a day of a month: value = month * 100 + day */
} nf_number_kind_t;

typedef struct nf_number {
    nf_number_kind_t kind;
    int64_t value;
} nf_number_t;

/**
 * @brief Find the numbers and dates in `len` bytes of UTF-8 (NFC; invalid bytes are skipped).
 * @return how many were found; at most `max` are written to out (the rest are counted).
 */
size_t nf_numbers_extract(const char *utf8, size_t len, nf_number_t *out, size_t max);

/** @brief nf_numbers_extract for the same text as `len` UTF-16 units (an unpaired surrogate is
 *  skipped): the same answers without decoding UTF-8 again when the caller has the text in
 *  UTF-16 already. */
size_t nf_numbers_extract_utf16(const uint16_t *u16, size_t len, nf_number_t *out, size_t max);

/** A code-point buffer kept between the extractions of one thread (zero-initialise it; free it
 *  with nf_numbers_scratch_free). */
typedef struct nf_numbers_scratch {
    int32_t *cp;
    size_t cap;
} nf_numbers_scratch_t;

/** @brief nf_numbers_extract_utf16 with its code points in `scratch`, which keeps its memory for
 *  the next call (up to a bound: the buffer of a huge text is freed after use). A fresh buffer
 *  per article was faulted in page by page after every trim of the allocator's heaps. */
size_t nf_numbers_extract_utf16_scratch(const uint16_t *u16, size_t len, nf_number_t *out,
                                        size_t max, nf_numbers_scratch_t *scratch);

/** @brief Free a scratch buffer's memory (it can be used again after). */
void nf_numbers_scratch_free(nf_numbers_scratch_t *scratch);

/** @brief Month 1..12 of a (lower-case or not) month name or its inflected form in one of the
 *  supported languages (en fr de es it pt nl ru uk ar), else 0. */
int nf_numbers_month(const char *utf8, size_t len);

#endif
