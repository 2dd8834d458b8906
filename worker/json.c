/* Strict JSON decoding for raw articles (json.h): a recursive-descent validator over the bytes
 * that keeps only the top-level members. Grammar: RFC 8259. UTF-8: Unicode 15 table 3-7 (no
 * overlong forms, no surrogates, nothing above U+10FFFF). The choices where RFC 8259 leaves
 * room follow jansson, so that switching decoders changed no accept/reject decision: U+0000
 * (escaped) is refused, integers must fit int64, a real that overflows is refused, duplicate
 * keys are refused at every depth, nesting stops at NF_JSON_MAX_DEPTH. */
#include "newsflow/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsflow/alloc.h"

/* A key seen in the document: which object it belongs to and where its decoded bytes are in
 * the text arena. All keys go into one open-addressing set, so a duplicate is found the moment
 * it is read (where jansson finds it) in O(1), whatever the object's size. */
typedef struct key_ref {
    uint32_t object; /* 0: empty slot */
    uint32_t off, len, hash;
} key_ref_t;

#define INLINE_KEY_SLOTS 64 /* an article's keys fit: no allocation */

typedef struct parser {
    const uint8_t *s;
    size_t len, pos;
    char *text; /* arena: decoded keys and kept strings; never needs more than len + 1 */
    size_t text_len;
    key_ref_t *keys; /* the key set: cap_keys slots, a power of two, at most half full */
    size_t n_keys, cap_keys;
    uint32_t objects; /* objects opened so far: the id of the next one */
    key_ref_t inline_keys[INLINE_KEY_SLOTS];
    nf_json_doc_t *doc;
    size_t cap_members;
    unsigned depth;
    nf_json_status_t status;
    char *errstr;
    size_t errstr_size, err_offset;
} parser_t;

static int fail(parser_t *p, nf_json_status_t status, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(parser_t *p, nf_json_status_t status, size_t offset, const char *fmt, ...)
{
    if (p->status != NF_JSON_OK)
        return -1;
    p->status = status;
    p->err_offset = offset;
    if (p->errstr_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->errstr, p->errstr_size, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int nomem(parser_t *p)
{
    return fail(p, NF_JSON_NOMEM, p->pos, "out of memory");
}

static void skip_ws(parser_t *p)
{
    while (p->pos < p->len) {
        uint8_t c = p->s[p->pos];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
            return;
        p->pos++;
    }
}

/* Length of the UTF-8 sequence at s[0..n), or 0 when it is not one (table 3-7). */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF; /* the allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (n < need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return need;
}

static int bad_utf8_at(const parser_t *p, size_t i)
{
    return i < p->len && p->s[i] >= 0x80 && !utf8_seq(p->s + i, p->len - i);
}

static int is_digit_at(const parser_t *p, size_t i)
{
    return i < p->len && p->s[i] >= '0' && p->s[i] <= '9';
}

static int hex_digit(uint8_t c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static int parse_string(parser_t *p, int keep, size_t *off, size_t *out_len);
static int parse_number(parser_t *p, nf_json_type_t *type);

/* Which error class a bad input gets depends on how far a lexer reads before the parser
 * looks at the token: jansson reads a whole string, a whole word of letters or a whole number
 * plus one byte, and reports invalid UTF-8 met on the way before the syntax error. This
 * replays that read from `pos` (the string and number readers below read exactly as far) and
 * returns where it meets invalid UTF-8, or SIZE_MAX. */
static size_t token_bad_utf8(const parser_t *p, size_t pos)
{
    if (pos >= p->len)
        return SIZE_MAX;
    uint8_t c = p->s[pos];
    if (c == '"' || c == '-' || (c >= '0' && c <= '9')) {
        /* a scratch reader: keeps nothing, reports nothing; a number's range check copies the
         * token past the arena's end, where there is room (the arena holds less than the bytes
         * consumed before pos) */
        parser_t t = {
            .s = p->s, .len = p->len, .pos = pos, .text = p->text, .text_len = p->text_len};
        nf_json_type_t type;
        int rc = c == '"' ? parse_string(&t, 0, NULL, NULL) : parse_number(&t, &type);
        if (t.status == NF_JSON_INVALID_UTF8)
            return t.err_offset;
        return rc == 0 && c != '"' && bad_utf8_at(p, t.pos) ? t.pos : SIZE_MAX;
    }
    size_t i = pos;
    if ((unsigned)((c | 0x20) - 'a') < 26u) {
        while (i < p->len && (unsigned)((p->s[i] | 0x20) - 'a') < 26u)
            i++;
        return bad_utf8_at(p, i) ? i : SIZE_MAX;
    }
    return bad_utf8_at(p, pos) ? pos : SIZE_MAX;
}

static int bad_utf8(parser_t *p, size_t at)
{
    return fail(p, NF_JSON_INVALID_UTF8, at, "invalid UTF-8 byte 0x%02x", p->s[at]);
}

/* The token at p->pos is not what the grammar wants here. */
static int unexpected(parser_t *p, const char *where)
{
    if (p->pos >= p->len)
        return fail(p, NF_JSON_INVALID, p->pos, "premature end of input %s", where);
    size_t bad = token_bad_utf8(p, p->pos);
    if (bad != SIZE_MAX)
        return bad_utf8(p, bad);
    uint8_t c = p->s[p->pos];
    if (c >= 0x21 && c < 0x7F)
        return fail(p, NF_JSON_INVALID, p->pos, "unexpected character '%c' %s", c, where);
    return fail(p, NF_JSON_INVALID, p->pos, "unexpected byte 0x%02x %s", c, where);
}

static int hex4(const uint8_t *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        if (!hex_digit(s[i]))
            return -1;
        v = v << 4 | (uint32_t)(s[i] <= '9' ? s[i] - '0' : (s[i] | 0x20) - 'a' + 10);
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The string at p->pos (its opening quote). With `keep`, its decoded bytes are appended to the
 * arena, NUL-terminated, and *off and *out_len say where. The decoded form is never longer than
 * the quoted one, so the arena (len + 1 bytes) cannot overflow. */
static int parse_string(parser_t *p, int keep, size_t *off, size_t *out_len)
{
    const uint8_t *s = p->s;
    size_t pos = p->pos + 1, len = p->len;
    char *w = keep ? p->text + p->text_len : NULL;
    size_t wn = 0, late_at = 0;
    const char *late_err = NULL;
    /* Bytes that decode to themselves (plain ASCII, valid UTF-8 sequences) are copied in one
     * piece when an escape or the closing quote ends them: copied sequence by sequence, a
     * Cyrillic or Arabic text was a memcpy call per letter. */
    size_t verbatim = pos;
    for (;;) {
        size_t run = pos;
        while (run + 8 <= len) { /* eight plain bytes at a time: ASCII, no control, '"', '\\' */
            uint64_t v;
            memcpy(&v, s + run, 8);
            uint64_t ctl = (v - 0x2020202020202020ull) & ~v;
            uint64_t quote = v ^ 0x2222222222222222ull, slash = v ^ 0x5c5c5c5c5c5c5c5cull;
            quote = (quote - 0x0101010101010101ull) & ~quote;
            slash = (slash - 0x0101010101010101ull) & ~slash;
            if ((v | ctl | quote | slash) & 0x8080808080808080ull)
                break;
            run += 8;
        }
        while (run < len && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
            run++;
        pos = run;
        if (pos >= len) {
            p->pos = pos;
            return fail(p, NF_JSON_INVALID, pos, "premature end of input in a string");
        }
        uint8_t c = s[pos];
        if (c >= 0x80) {
            size_t n = utf8_seq(s + pos, len - pos);
            if (!n)
                return fail(p, NF_JSON_INVALID_UTF8, pos, "invalid UTF-8 byte 0x%02x", c);
            pos += n;
            continue;
        }
        if (keep && pos > verbatim) {
            memcpy(w + wn, s + verbatim, pos - verbatim);
            wn += pos - verbatim;
        }
        if (c == '"') {
            pos++;
            break;
        }
        if (c < 0x20)
            return fail(p, NF_JSON_INVALID, pos, "control character 0x%02x in a string", c);
        /* a backslash: whatever it is, the verbatim bytes start again after it */
        if (pos + 1 >= len)
            return fail(p, NF_JSON_INVALID, pos, "premature end of input in a string");
        uint8_t e = s[pos + 1];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            if (keep)
                w[wn++] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
            pos += 2;
            goto escaped;
        }
        uint32_t cp = 0, low = 0;
        if (e != 'u' || len - pos < 6 || hex4(s + pos + 2, &cp) < 0) {
            /* a lexer reads the escape's letter, then hex digits up to the first other byte */
            size_t k = pos + 1;
            if (e == 'u')
                for (k = pos + 2; k < pos + 6 && k < len && hex_digit(s[k]);)
                    k++;
            if (bad_utf8_at(p, k))
                return bad_utf8(p, k);
            return fail(p, NF_JSON_INVALID, pos, "invalid escape in a string");
        }
        size_t esc = pos;
        pos += 6;
        /* Surrogate pairing and U+0000 are judged once the whole string has been read, as
         * jansson does: invalid UTF-8 later in the same string is the error reported. */
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
            if (!late_err)
                late_err = "lone low surrogate escape", late_at = esc;
            goto escaped;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (len - pos < 6 || s[pos] != '\\' || s[pos + 1] != 'u' ||
                hex4(s + pos + 2, &low) < 0 || low < 0xDC00 || low > 0xDFFF) {
                if (!late_err)
                    late_err = "high surrogate escape without a low one", late_at = esc;
                goto escaped;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            pos += 6;
        }
        if (cp == 0) {
            if (!late_err)
                late_err = "\\u0000 is not allowed in a string", late_at = esc;
            goto escaped;
        }
        if (keep)
            wn += put_utf8(w + wn, cp);
    escaped:
        verbatim = pos;
    }
    if (late_err) {
        p->pos = pos;
        return fail(p, NF_JSON_INVALID, late_at, "%s", late_err);
    }
    p->pos = pos;
    if (keep) {
        w[wn] = '\0';
        *off = p->text_len;
        *out_len = wn;
        p->text_len += wn + 1;
    }
    return 0;
}

/* Refuses a number token: `last` is the last byte read of it (every byte before it was an
 * ASCII digit, sign, point or e), reported if it is invalid UTF-8, else the error `what` at
 * `at`. */
static int bad_number(parser_t *p, size_t last, size_t at, const char *what)
{
    if (bad_utf8_at(p, last))
        return bad_utf8(p, last);
    p->pos = at;
    return fail(p, NF_JSON_INVALID, at, "%s", what);
}

static int parse_number(parser_t *p, nf_json_type_t *type)
{
    const uint8_t *s = p->s;
    size_t start = p->pos, pos = start, len = p->len;
    int real = 0;
    if (pos < len && s[pos] == '-')
        pos++;
    if (!is_digit_at(p, pos))
        return bad_number(p, pos, pos, "a minus sign without digits");
    if (s[pos] == '0') {
        pos++;
        if (is_digit_at(p, pos))
            return bad_number(p, pos, pos, "leading zero in a number");
    } else {
        while (is_digit_at(p, pos))
            pos++;
    }
    if (pos < len && s[pos] == '.') {
        real = 1;
        pos++;
        if (!is_digit_at(p, pos))
            return bad_number(p, pos, pos, "no digit after a decimal point");
        while (is_digit_at(p, pos))
            pos++;
    }
    if (pos < len && (s[pos] | 0x20) == 'e') {
        real = 1;
        pos++;
        if (pos < len && (s[pos] == '+' || s[pos] == '-'))
            pos++;
        if (!is_digit_at(p, pos))
            return bad_number(p, pos, pos, "no digit in an exponent");
        while (is_digit_at(p, pos))
            pos++;
    }
    *type = real ? NF_JSON_REAL : NF_JSON_INTEGER;
    /* The range checks need a NUL-terminated copy; the arena has room for it (it holds less
     * than the bytes consumed so far), and it is not kept. */
    size_t n = pos - start;
    char *tmp = p->text + p->text_len;
    memcpy(tmp, s + start, n);
    tmp[n] = '\0';
    errno = 0;
    if (real) {
        if (isinf(strtod(tmp, NULL)))
            return bad_number(p, pos, start, "real number out of range");
    } else {
        (void)strtoll(tmp, NULL, 10);
        if (errno == ERANGE)
            return bad_number(p, pos, start, "integer out of the 64-bit range");
    }
    p->pos = pos;
    return 0;
}

static int parse_value(parser_t *p, nf_json_type_t *type, int keep, size_t *off, size_t *n);
static int value_at(parser_t *p, nf_json_type_t *type, int keep, size_t *off, size_t *n);

static uint32_t key_hash(uint32_t object, const char *k, size_t n)
{
    uint32_t h = 2166136261u ^ object * 0x9e3779b9u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)k[i]) * 16777619u;
    return h ? h : 1;
}

static void key_insert(key_ref_t *slots, size_t cap, key_ref_t k)
{
    size_t i = k.hash & (cap - 1);
    while (slots[i].object)
        i = (i + 1) & (cap - 1);
    slots[i] = k;
}

/* Adds the key at text[off, off+n) of `object`; refuses a duplicate. */
static int add_key(parser_t *p, uint32_t object, size_t off, size_t n, size_t at)
{
    if (2 * (p->n_keys + 1) > p->cap_keys) {
        size_t cap = p->cap_keys * 2;
        key_ref_t *slots = nf_calloc(cap, sizeof(*slots));
        if (!slots)
            return nomem(p);
        for (size_t i = 0; i < p->cap_keys; i++)
            if (p->keys[i].object)
                key_insert(slots, cap, p->keys[i]);
        if (p->keys != p->inline_keys)
            nf_free(p->keys);
        p->keys = slots;
        p->cap_keys = cap;
    }
    key_ref_t k = {object, (uint32_t)off, (uint32_t)n, key_hash(object, p->text + off, n)};
    for (size_t i = k.hash & (p->cap_keys - 1); p->keys[i].object;
         i = (i + 1) & (p->cap_keys - 1)) {
        const key_ref_t *o = &p->keys[i];
        if (o->hash == k.hash && o->object == object && o->len == k.len &&
            memcmp(p->text + o->off, p->text + off, n) == 0)
            return fail(p, NF_JSON_INVALID, at, "duplicate object key '%.64s'", p->text + off);
    }
    key_insert(p->keys, p->cap_keys, k);
    p->n_keys++;
    return 0;
}

static int add_member(parser_t *p, size_t key_off, size_t key_len, nf_json_type_t type,
                      size_t str_off, size_t str_len)
{
    nf_json_doc_t *d = p->doc;
    if (d->n_members == p->cap_members) {
        size_t cap = p->cap_members ? p->cap_members * 2 : 16;
        nf_json_member_t *m = nf_realloc(d->members, cap * sizeof(*m));
        if (!m)
            return nomem(p);
        d->members = m;
        p->cap_members = cap;
    }
    /* offsets for now: the arena is final only when parsing ends */
    nf_json_member_t *m = &d->members[d->n_members++];
    m->key = (const char *)(uintptr_t)key_off;
    m->key_len = key_len;
    m->type = type;
    m->string = type == NF_JSON_STRING ? (const char *)(uintptr_t)str_off : NULL;
    m->string_len = type == NF_JSON_STRING ? str_len : 0;
    return 0;
}

/* After an element of an object or array: 1 when another follows (its ',' is consumed), 0 at
 * `close` (consumed), -1 on anything else. */
static int next_element(parser_t *p, uint8_t close, const char *where)
{
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ',') {
        p->pos++;
        skip_ws(p);
        return 1;
    }
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return 0;
    }
    return unexpected(p, where);
}

static int parse_object(parser_t *p, int top)
{
    uint32_t object = ++p->objects;
    p->pos++; /* '{' */
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
        return 0;
    }
    for (;;) {
        if (p->pos >= p->len || p->s[p->pos] != '"')
            return unexpected(p, "where an object key was expected");
        size_t at = p->pos, key_off, key_len;
        if (parse_string(p, 1, &key_off, &key_len) < 0 ||
            add_key(p, object, key_off, key_len, at) < 0)
            return -1;
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':')
            return unexpected(p, "where ':' was expected");
        p->pos++;
        skip_ws(p);
        nf_json_type_t type;
        size_t str_off = 0, str_len = 0;
        if (parse_value(p, &type, top, &str_off, &str_len) < 0)
            return -1;
        if (top && add_member(p, key_off, key_len, type, str_off, str_len) < 0)
            return -1;
        int more = next_element(p, '}', "where ',' or '}' was expected");
        if (more <= 0)
            return more;
    }
}

static int parse_array(parser_t *p)
{
    p->pos++; /* '[' */
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
        return 0;
    }
    for (;;) {
        nf_json_type_t type;
        if (parse_value(p, &type, 0, NULL, NULL) < 0)
            return -1;
        int more = next_element(p, ']', "where ',' or ']' was expected");
        if (more <= 0)
            return more;
    }
}

static int literal(parser_t *p, const char *word)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) {
        size_t bad = token_bad_utf8(p, p->pos);
        if (bad != SIZE_MAX)
            return bad_utf8(p, bad);
        size_t i = 0; /* report the first byte that differs */
        while (p->pos + i < p->len && i < n && p->s[p->pos + i] == (uint8_t)word[i])
            i++;
        p->pos += i;
        if (p->pos >= p->len)
            return fail(p, NF_JSON_INVALID, p->pos, "premature end of input in '%s'", word);
        return fail(p, NF_JSON_INVALID, p->pos, "not a JSON value (expected '%s')", word);
    }
    p->pos += n;
    return 0;
}

/* `keep`: a string value is decoded into the arena (top-level members only). */
static int parse_value(parser_t *p, nf_json_type_t *type, int keep, size_t *off, size_t *n)
{
    if (p->pos >= p->len)
        return unexpected(p, "where a value was expected");
    /* every value counts, scalars too: jansson's depth rule, so the limits agree exactly */
    if (p->depth + 1 > NF_JSON_MAX_DEPTH) {
        size_t bad = token_bad_utf8(p, p->pos);
        if (bad != SIZE_MAX)
            return bad_utf8(p, bad);
        return fail(p, NF_JSON_INVALID, p->pos, "nested deeper than %d levels", NF_JSON_MAX_DEPTH);
    }
    p->depth++;
    int rc = value_at(p, type, keep, off, n);
    p->depth--;
    return rc;
}

static int value_at(parser_t *p, nf_json_type_t *type, int keep, size_t *off, size_t *n)
{
    switch (p->s[p->pos]) {
    case '{':
    case '[':
        *type = p->s[p->pos] == '{' ? NF_JSON_OBJECT : NF_JSON_ARRAY;
        return *type == NF_JSON_OBJECT ? parse_object(p, 0) : parse_array(p);
    case '"':
        *type = NF_JSON_STRING;
        if (keep)
            return parse_string(p, 1, off, n);
        return parse_string(p, 0, NULL, NULL);
    case 't':
        *type = NF_JSON_BOOLEAN;
        return literal(p, "true");
    case 'f':
        *type = NF_JSON_BOOLEAN;
        return literal(p, "false");
    case 'n':
        *type = NF_JSON_NULL;
        return literal(p, "null");
    default:
        if (p->s[p->pos] == '-' || (p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
            return parse_number(p, type);
        return unexpected(p, "where a value was expected");
    }
}

nf_json_status_t nf_json_parse(const char *data, size_t len, nf_json_doc_t *doc, char *errstr,
                               size_t errstr_size, size_t *err_offset)
{
    memset(doc, 0, sizeof(*doc));
    if (errstr_size)
        errstr[0] = '\0';
    parser_t p = {.s = (const uint8_t *)(data ? data : ""),
                  .len = data ? len : 0,
                  .doc = doc,
                  .errstr = errstr,
                  .errstr_size = errstr_size};
    p.keys = p.inline_keys;
    p.cap_keys = INLINE_KEY_SLOTS;
    if (len > UINT32_MAX - 1) /* key refs are 32-bit */
        fail(&p, NF_JSON_INVALID, 0, "document larger than 4 GiB");
    else if (!(p.text = nf_malloc(p.len + 1)))
        nomem(&p);
    if (p.status == NF_JSON_OK) {
        skip_ws(&p);
        if (p.pos < p.len && p.s[p.pos] == '{') {
            doc->type = NF_JSON_OBJECT;
            p.depth = 1;
            parse_object(&p, 1);
        } else if (p.pos < p.len) {
            parse_value(&p, &doc->type, 0, NULL, NULL);
        } else {
            unexpected(&p, "where a value was expected");
        }
    }
    if (p.status == NF_JSON_OK) {
        skip_ws(&p);
        if (p.pos < p.len)
            unexpected(&p, "after the top-level value");
    }
    if (p.keys != p.inline_keys)
        nf_free(p.keys);
    if (err_offset)
        *err_offset = p.status == NF_JSON_OK ? 0 : p.err_offset;
    if (p.status != NF_JSON_OK) {
        nf_free(p.text);
        nf_free(doc->members);
        memset(doc, 0, sizeof(*doc));
        return p.status;
    }
    doc->text = p.text;
    for (size_t i = 0; i < doc->n_members; i++) {
        nf_json_member_t *m = &doc->members[i];
        m->key = p.text + (uintptr_t)m->key;
        if (m->type == NF_JSON_STRING)
            m->string = p.text + (uintptr_t)m->string;
    }
    return NF_JSON_OK;
}

const nf_json_member_t *nf_json_get(const nf_json_doc_t *doc, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; i < doc->n_members; i++)
        if (doc->members[i].key_len == n && memcmp(doc->members[i].key, key, n) == 0)
            return &doc->members[i];
    return NULL;
}

const char *nf_json_type_name(nf_json_type_t type)
{
    static const char *const names[] = {"null",   "boolean", "integer", "number",
                                        "string", "object",  "array"};
    return (unsigned)type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

void nf_json_doc_clear(nf_json_doc_t *doc)
{
    nf_free(doc->members);
    nf_free(doc->text);
    memset(doc, 0, sizeof(*doc));
}
