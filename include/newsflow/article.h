/**
 * @file article.h
 * @brief Decode and validate one raw article (a Kafka message value or an `enrich` line)
 *        against schemas/article.schema.json, which is compiled in and interpreted.
 */
#ifndef NEWSFLOW_ARTICLE_H
#define NEWSFLOW_ARTICLE_H

#include <stddef.h>
#include <stdint.h>

#include "newsflow/error.h"
#include "newsflow/json.h"

/* Reject reasons: the `reason` of an enrich error object, of the DLQ header, of ingest_rejects. */
#define NF_REJECT_REASONS(X)                                                                       \
    X(INVALID_JSON, "invalid_json")                                                                \
    X(NOT_OBJECT, "not_object")                                                                    \
    X(MISSING_FIELD, "missing_field")                                                              \
    X(WRONG_TYPE, "wrong_type")                                                                    \
    X(INVALID_UTF8, "invalid_utf8")                                                                \
    X(TOO_LARGE, "too_large")                                                                      \
    X(INVALID_VALUE, "invalid_value")                                                              \
    X(DB_REJECTED, "db_rejected")

typedef enum nf_reject_reason {
#define NF_REJECT_ENUM(name, text) NF_REJECT_##name,
    NF_REJECT_REASONS(NF_REJECT_ENUM)
#undef NF_REJECT_ENUM
        NF_REJECT_COUNT
} nf_reject_reason_t;

/** @brief The wire name of a reason ("missing_field"). */
const char *nf_reject_reason_name(nf_reject_reason_t reason);

typedef struct nf_reject {
    nf_reject_reason_t reason;
    char detail[256]; /**< human readable: which field, which limit, which byte */
    char id[1025]; /**< the article id when it could be read (truncated to 1024 bytes), else "" */
} nf_reject_t;

/** A decoded, valid article. Strings are borrowed from `doc.text`; NULL when absent or null. */
typedef struct nf_article {
    nf_json_doc_t doc; /**< owned: the top-level members (unknown fields included) */
    const char *id;
    const char *source;
    const char *url;
    const char *title;
    const char *body;
    const char *published_at;
    size_t title_len;
    size_t body_len;
} nf_article_t;

typedef struct nf_validator nf_validator_t;

/**
 * @brief Compile the built-in article schema. Refuses schema keywords it cannot enforce.
 * @param max_message_bytes inputs larger than this are too_large before any parsing.
 * @return NULL with errstr set on failure.
 */
nf_validator_t *nf_validator_new(size_t max_message_bytes, char *errstr, size_t errstr_size);

/** @brief Same as nf_validator_new() with a schema text given by the caller (tests). */
nf_validator_t *nf_validator_new_from_schema(const char *schema_json, size_t max_message_bytes,
                                             char *errstr, size_t errstr_size);

/**
 * @brief Decode `len` bytes and validate them. Thread-safe for a shared validator.
 * @return NF_OK with *out filled (release with nf_article_clear), or NF_ERR_REJECTED with *rej
 *         filled, or NF_ERR_NOMEM.
 */
nf_err_t nf_article_decode(const nf_validator_t *v, const void *data, size_t len, nf_article_t *out,
                           nf_reject_t *rej);

/**
 * @brief Keeps only what the record needs once the stages have read the article: the id,
 *        source, url, title and published_at are moved into one allocation of their own and the
 *        decoded document (the body, unknown fields, the member list) is freed; `body` becomes
 *        NULL. The worker holds up to three batches of articles: the body is most of each.
 * @return NF_OK, or NF_ERR_NOMEM with the article unchanged (still whole and usable).
 */
nf_err_t nf_article_compact(nf_article_t *a);

/** @brief Release what nf_article_decode() filled in; the struct can be reused. */
void nf_article_clear(nf_article_t *a);

/** @brief Whether s is an RFC 3339 date-time (with the ranges of its fields checked). */
int nf_is_rfc3339(const char *s);

/** @brief Seconds since the epoch of an RFC 3339 time (as nf_is_rfc3339 accepts), offset
 *         applied, fraction dropped, a leap second counted as :59; 0 for NULL or a malformed
 *         one. */
int64_t nf_rfc3339_seconds(const char *s);

/** @brief Free the validator. NULL is fine. */
void nf_validator_destroy(nf_validator_t *v);

#endif
