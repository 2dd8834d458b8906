#include "newsflow/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "newsflow/alloc.h"

/* Room for `extra` more bytes (+ NUL): grown by doubling, or to exactly what is needed. */
static nf_err_t reserve(nf_buf_t *b, size_t extra, int exact)
{
    if (b->failed)
        return NF_ERR_NOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return NF_OK;
    size_t cap = need;
    if (!exact) {
        cap = b->cap ? b->cap : 256;
        while (cap < need)
            cap *= 2;
    }
    char *data = nf_realloc(b->data, cap);
    if (!data) {
        b->failed = 1;
        return NF_ERR_NOMEM;
    }
    b->data = data;
    b->cap = cap;
    return NF_OK;
}

nf_err_t nf_buf_reserve(nf_buf_t *b, size_t extra)
{
    return reserve(b, extra, 0);
}

nf_err_t nf_buf_reserve_exact(nf_buf_t *b, size_t extra)
{
    return reserve(b, extra, 1);
}

void nf_buf_append(nf_buf_t *b, const void *data, size_t len)
{
    if (nf_buf_reserve(b, len) != NF_OK)
        return;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void nf_buf_puts(nf_buf_t *b, const char *s)
{
    nf_buf_append(b, s, strlen(s));
}

void nf_buf_putc(nf_buf_t *b, char c)
{
    nf_buf_append(b, &c, 1);
}

void nf_buf_put_i64(nf_buf_t *b, int64_t v)
{
    char tmp[24]; /* 20 digits and a sign at most */
    char *e = tmp + sizeof(tmp), *p = e;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v; /* INT64_MIN too */
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    nf_buf_append(b, p, (size_t)(e - p));
}

void nf_buf_printf(nf_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        nf_buf_append(b, small, (size_t)n);
        return;
    }
    if (nf_buf_reserve(b, (size_t)n) != NF_OK)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates, <= U+10FFFF),
 * or 0 when the bytes there are not one. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

void nf_buf_json_escape(nf_buf_t *b, const char *s, size_t len)
{
    static const char hexd[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0; /* start of the pending run of bytes that need no escape */
    for (size_t i = 0; i < len;) {
        unsigned char c = u[i];
        if (c >= 0x80) {
            size_t n = utf8_seq_len(u + i, len - i);
            if (n) {
                i += n;
                continue;
            }
            /* Never emit invalid UTF-8 (e.g. a detail cut inside a character). */
            nf_buf_append(b, s + run, i - run);
            nf_buf_append(b, "\\ufffd", 6);
            run = ++i;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        nf_buf_append(b, s + run, i - run);
        run = ++i;
        switch (c) {
        case '"':
            nf_buf_append(b, "\\\"", 2);
            break;
        case '\\':
            nf_buf_append(b, "\\\\", 2);
            break;
        case '\n':
            nf_buf_append(b, "\\n", 2);
            break;
        case '\r':
            nf_buf_append(b, "\\r", 2);
            break;
        case '\t':
            nf_buf_append(b, "\\t", 2);
            break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15]};
            nf_buf_append(b, esc, 6);
        }
        }
    }
    nf_buf_append(b, s + run, len - run);
}

void nf_buf_json_string(nf_buf_t *b, const char *s)
{
    if (!s) {
        nf_buf_append(b, "null", 4);
        return;
    }
    nf_buf_putc(b, '"');
    nf_buf_json_escape(b, s, strlen(s));
    nf_buf_putc(b, '"');
}

void nf_buf_copy_text(nf_buf_t *b, const char *s, size_t len)
{
    if (!s) {
        nf_buf_append(b, "\\N", 2);
        return;
    }
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        const char *esc = NULL;
        switch (c) {
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            continue;
        }
        nf_buf_append(b, s + run, i - run);
        nf_buf_append(b, esc, 2);
        run = i + 1;
    }
    nf_buf_append(b, s + run, len - run);
}

void nf_buf_copy_bytea(nf_buf_t *b, const void *data, size_t len)
{
    if (nf_buf_reserve(b, 3 + 2 * len) != NF_OK)
        return;
    /* COPY text format unescapes "\\x" to "\x", which bytea_in reads as hex. */
    memcpy(b->data + b->len, "\\\\x", 3);
    b->len += 3;
    nf_hex(data, len, b->data + b->len);
    b->len += 2 * len;
    b->data[b->len] = '\0';
}

void nf_buf_reset(nf_buf_t *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->data)
        b->data[0] = '\0';
}

void nf_buf_free(nf_buf_t *b)
{
    nf_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

void nf_hex(const uint8_t *bytes, size_t len, char *out)
{
    static const char hexd[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hexd[bytes[i] >> 4];
        out[2 * i + 1] = hexd[bytes[i] & 15];
    }
    out[2 * len] = '\0';
}

/* A hand-written loop, not u_strToUTF8: runs of ASCII go four units at a time (on 2,000 bench
 * articles, normalize's and fingerprint's conversions took 93M instructions this way against
 * ICU's 122M). */
size_t nf_utf16_to_utf8(const uint16_t *u16, size_t n, char *out)
{
    uint8_t *o = (uint8_t *)out;
    for (size_t i = 0; i < n;) {
        uint64_t four;
        if (i + 4 <= n && (memcpy(&four, u16 + i, 8), !(four & 0xff80ff80ff80ff80ull))) {
            /* four ASCII units: each unit's low byte, in order whatever the byte order */
            o[0] = (uint8_t)u16[i];
            o[1] = (uint8_t)u16[i + 1];
            o[2] = (uint8_t)u16[i + 2];
            o[3] = (uint8_t)u16[i + 3];
            o += 4;
            i += 4;
            continue;
        }
        uint32_t c = u16[i++];
        if (c < 0x80) {
            *o++ = (uint8_t)c;
        } else if (c < 0x800) {
            *o++ = (uint8_t)(0xc0 | c >> 6);
            *o++ = (uint8_t)(0x80 | (c & 0x3f));
        } else if (c < 0xd800 || c > 0xdfff) {
            *o++ = (uint8_t)(0xe0 | c >> 12);
            *o++ = (uint8_t)(0x80 | (c >> 6 & 0x3f));
            *o++ = (uint8_t)(0x80 | (c & 0x3f));
        } else {
            if (c > 0xdbff || i == n || u16[i] < 0xdc00 || u16[i] > 0xdfff)
                return SIZE_MAX; /* a trail without its lead, or a lead without its trail */
            c = 0x10000 + ((c - 0xd800) << 10) + (u16[i++] - 0xdc00u);
            *o++ = (uint8_t)(0xf0 | c >> 18);
            *o++ = (uint8_t)(0x80 | (c >> 12 & 0x3f));
            *o++ = (uint8_t)(0x80 | (c >> 6 & 0x3f));
            *o++ = (uint8_t)(0x80 | (c & 0x3f));
        }
    }
    return (size_t)(o - (uint8_t *)out);
}
