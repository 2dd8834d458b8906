/**
 * @file error.h
 * @brief The one error type of newsflow (X-macro generated, like libuv's UV_ERRNO_MAP).
 */
#ifndef NEWSFLOW_ERROR_H
#define NEWSFLOW_ERROR_H

#define NF_ERRORS(X)                                                                               \
    X(OK, "success")                                                                               \
    X(NOMEM, "out of memory")                                                                      \
    X(INVALID_ARG, "invalid argument")                                                             \
    X(CONFIG, "invalid configuration")                                                             \
    X(IO, "input/output error")                                                                    \
    X(TIMEOUT, "timed out")                                                                        \
    X(EOF, "end of input")                                                                         \
    X(REJECTED, "input rejected")                                                                  \
    X(KAFKA, "kafka error")                                                                        \
    X(DB, "database error (permanent)")                                                            \
    X(DB_TRANSIENT, "database error (transient, retry)")                                           \
    X(DB_DATA, "database rejected the data")                                                       \
    X(ICU, "unicode (ICU) error")

typedef enum nf_err {
#define NF_ERR_ENUM(name, text) NF_ERR_##name,
    NF_ERRORS(NF_ERR_ENUM)
#undef NF_ERR_ENUM
} nf_err_t;

#define NF_OK NF_ERR_OK

/** @brief Name of an error code ("NF_ERR_DB"); static string, never NULL. */
const char *nf_err_name(nf_err_t err);
/** @brief Human readable description of an error code; static string, never NULL. */
const char *nf_err_str(nf_err_t err);

#endif
