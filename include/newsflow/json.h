/**
 * @file json.h
 * @brief Strict JSON (RFC 8259) decoding of one raw article: the whole input is validated
 *        (grammar, UTF-8, escapes, number ranges, duplicate keys at every depth), and of the
 *        top-level object only what the validator needs is kept: each member's key, type and,
 *        for strings, the decoded value. Nothing else is built, so a 3 KB article costs two
 *        allocations instead of a tree of them (README "Performance").
 *
 * Acceptance is the same as jansson's `json_loadb(JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)`,
 * and so is the reject class (invalid UTF-8 or not); tests/fuzz/fuzz_json.c checks both on every
 * input the fuzzer finds. One deliberate difference: jansson skips a NUL byte right after a
 * number or a literal (`[1\0]` passes); we refuse it, as RFC 8259 does.
 */
#ifndef NEWSFLOW_JSON_H
#define NEWSFLOW_JSON_H

#include <stddef.h>

/** The most nested arrays and objects accepted (jansson's limit). */
#define NF_JSON_MAX_DEPTH 2048

typedef enum nf_json_type {
    NF_JSON_NULL,
    NF_JSON_BOOLEAN,
    NF_JSON_INTEGER, /**< a number without fraction or exponent, within int64 */
    NF_JSON_REAL,
    NF_JSON_STRING,
    NF_JSON_OBJECT,
    NF_JSON_ARRAY
} nf_json_type_t;

typedef enum nf_json_status {
    NF_JSON_OK,
    NF_JSON_INVALID,      /**< not JSON: grammar, escapes, ranges, duplicate keys, depth */
    NF_JSON_INVALID_UTF8, /**< a byte sequence that is not UTF-8 */
    NF_JSON_NOMEM
} nf_json_status_t;

/** One member of the top-level object. Pointers are borrowed from the document's text. */
typedef struct nf_json_member {
    const char *key; /**< decoded, NUL-terminated (a key with U+0000 is refused) */
    size_t key_len;
    nf_json_type_t type;
    const char *string; /**< the decoded value when `type` is NF_JSON_STRING, else NULL */
    size_t string_len;
} nf_json_member_t;

typedef struct nf_json_doc {
    nf_json_type_t type;       /**< of the top-level value */
    nf_json_member_t *members; /**< owned: when an object, its members in input order */
    size_t n_members;
    char *text; /**< owned: the decoded keys and string values the members point into */
} nf_json_doc_t;

/**
 * @brief Decodes `len` bytes (borrowed; need not be NUL-terminated) into `doc`, which is
 *        overwritten. On failure `doc` holds nothing to release, `errstr` says what is wrong
 *        and `*err_offset` is the byte offset where it was found.
 */
nf_json_status_t nf_json_parse(const char *data, size_t len, nf_json_doc_t *doc, char *errstr,
                               size_t errstr_size, size_t *err_offset);

/** @brief The member named `key` (NUL-terminated), or NULL. */
const nf_json_member_t *nf_json_get(const nf_json_doc_t *doc, const char *key);

/** @brief The JSON Schema name of a type: "string", "null", "integer", "number", ... */
const char *nf_json_type_name(nf_json_type_t type);

/** @brief Releases what a successful parse allocated; idempotent. */
void nf_json_doc_clear(nf_json_doc_t *doc);

#endif
