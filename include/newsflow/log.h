/**
 * @file log.h
 * @brief JSON-lines logging on stderr: {"ts":..., "level":..., "msg":..., "key":"value", ...}.
 *        Thread-safe (librdkafka logs from its own threads). Never pass a secret or an article
 *        body as a field.
 */
#ifndef NEWSFLOW_LOG_H
#define NEWSFLOW_LOG_H

typedef enum nf_log_level {
    NF_LOG_DEBUG = 0,
    NF_LOG_INFO = 1,
    NF_LOG_WARN = 2,
    NF_LOG_ERROR = 3,
    NF_LOG_OFF = 4
} nf_log_level_t;

/** @brief Set the minimum level written. */
void nf_log_set_level(nf_log_level_t level);
/** @brief Parse "debug|info|warn|error|off"; returns -1 when unknown. */
int nf_log_level_parse(const char *name);
/** @brief Whether a message at this level would be written. */
int nf_log_enabled(nf_log_level_t level);

/**
 * @brief Write one log line. The varargs are pairs of `const char *key, const char *value`,
 *        terminated by a NULL key. A NULL value is written as JSON null. Warnings and errors
 *        with the same `msg` are rate-limited (at most 10 per 10 s; the next line after a quiet
 *        period reports how many were suppressed).
 */
void nf_log(nf_log_level_t level, const char *msg, ...);

#endif
