/**
 * @file buf.h
 * @brief A growable byte buffer (always NUL-terminated) with the escapers newsflow needs:
 *        JSON string contents and PostgreSQL COPY text fields.
 */
#ifndef NEWSFLOW_BUF_H
#define NEWSFLOW_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "newsflow/error.h"

typedef struct nf_buf {
    char *data; /**< owned; NUL-terminated when len > 0 or after any append */
    size_t len;
    size_t cap;
    int failed; /**< set when an allocation failed; further appends are ignored */
} nf_buf_t;

#define NF_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

/** @brief Make room for `extra` more bytes (+ NUL). NF_ERR_NOMEM sets b->failed. */
nf_err_t nf_buf_reserve(nf_buf_t *b, size_t extra);
/** @brief Same, growing to exactly what is needed (no doubling): for a buffer filled once, kept
 *         for reuse in a slot of a batch (a batch holds thousands of them). */
nf_err_t nf_buf_reserve_exact(nf_buf_t *b, size_t extra);
/** @brief Append bytes. */
void nf_buf_append(nf_buf_t *b, const void *data, size_t len);
/** @brief Append a NUL-terminated string. */
void nf_buf_puts(nf_buf_t *b, const char *s);
/** @brief Append one byte. */
void nf_buf_putc(nf_buf_t *b, char c);
/** @brief printf-style append. */
void nf_buf_printf(nf_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** @brief Append an integer in decimal (as "%lld", without printf's parsing of a format: the
 *  decision's array parameters write ~100,000 of them per batch). */
void nf_buf_put_i64(nf_buf_t *b, int64_t v);
/** @brief Append `s` escaped as the inside of a JSON string (no quotes added). */
void nf_buf_json_escape(nf_buf_t *b, const char *s, size_t len);
/** @brief Append `"s"` as a JSON string, or `null` when s is NULL. */
void nf_buf_json_string(nf_buf_t *b, const char *s);
/** @brief Append `s` escaped for a PostgreSQL COPY text-format field; NULL appends `\N`. */
void nf_buf_copy_text(nf_buf_t *b, const char *s, size_t len);
/** @brief Append bytes as a COPY text-format bytea field (`\\x` + hex). */
void nf_buf_copy_bytea(nf_buf_t *b, const void *data, size_t len);
/** @brief Forget the contents, keep the memory. */
void nf_buf_reset(nf_buf_t *b);
/** @brief Free the memory. */
void nf_buf_free(nf_buf_t *b);

/** @brief Lower-case hex of `len` bytes into out (2*len+1 bytes). */
void nf_hex(const uint8_t *bytes, size_t len, char *out);

/** @brief UTF-16 (`n` units) as UTF-8 into out (at least 3*n bytes, not NUL-terminated): the
 * bytes ICU's u_strToUTF8 writes. Returns the length, or SIZE_MAX at an unpaired surrogate
 * (where u_strToUTF8 fails). */
size_t nf_utf16_to_utf8(const uint16_t *u16, size_t n, char *out);

#endif
