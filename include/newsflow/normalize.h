/**
 * @file normalize.h
 * @brief Text normalization with ICU: strict UTF-8 check, NFC, whitespace collapsed per line,
 *        empty lines dropped and site-junk lines ("Read More", "Share this", newsletter,
 *        comment-form and captcha notices, in many languages) removed from the analysed text.
 *        The stored raw document is never changed.
 */
#ifndef NEWSFLOW_NORMALIZE_H
#define NEWSFLOW_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "newsflow/buf.h"
#include "newsflow/error.h"

typedef struct nf_normalizer nf_normalizer_t;

/** @brief A normalizer with its scratch buffers. NULL with errstr on failure.
 *  One per thread: the scratch buffers make a normalizer not thread-safe. */
nf_normalizer_t *nf_normalizer_new(char *errstr, size_t errstr_size);

/**
 * @brief Normalize `len` bytes of UTF-8 and append the result to `out`: lines joined by "\n",
 *        each NFC, with runs of white space (and control/zero-width characters) made one
 *        space and trimmed; empty lines dropped; junk lines dropped when `drop_junk`.
 * @param junk_dropped if not NULL, receives the number of junk lines dropped.
 * @return NF_OK, NF_ERR_INVALID_ARG when the input is not valid UTF-8, NF_ERR_NOMEM, NF_ERR_ICU.
 */
nf_err_t nf_normalize(nf_normalizer_t *n, const char *in, size_t len, int drop_junk, nf_buf_t *out,
                      unsigned *junk_dropped);

/**
 * @brief What the last nf_normalize() call on n appended to its `out`, as UTF-16: the form the
 *        text was built in, the same units u_strFromUTF8 would give for the appended UTF-8
 *        (length 0 after a failed call). Borrowed: valid until the next call on n.
 */
const uint16_t *nf_normalize_last_utf16(const nf_normalizer_t *n, size_t *len);

/** @brief Whether one line (UTF-8) is site junk by the same rules nf_normalize() uses. */
int nf_normalize_is_junk(nf_normalizer_t *n, const char *line, size_t len);

/** @brief Free the normalizer. NULL is fine. */
void nf_normalizer_destroy(nf_normalizer_t *n);

#endif
