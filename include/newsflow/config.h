/**
 * @file config.h
 * @brief Every setting of newsflow, described once in a table (name, environment variable,
 *        type, default, bounds, help) from which the flags, the environment, the config file,
 *        `--help` and `check-config` are all derived. Precedence: flags > environment
 *        (NEWSFLOW_*) > config file > defaults. Any librdkafka property passes through:
 *        `--kafka security.protocol=SASL_SSL`, NEWSFLOW_KAFKA_SECURITY_PROTOCOL, or
 *        `kafka.security.protocol = SASL_SSL` in the file.
 */
#ifndef NEWSFLOW_CONFIG_H
#define NEWSFLOW_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "newsflow/error.h"

/** Which commands a setting applies to (bit mask). */
enum { NF_CMD_RUN = 1, NF_CMD_ENRICH = 2, NF_CMD_MIGRATE = 4, NF_CMD_ALL = 7 };

typedef struct nf_config {
    /* Kafka */
    char *brokers;
    char *group_id;
    char *input_topic;
    char *output_topic;
    char *dlq_topic;
    /* PostgreSQL */
    char *pg_url;
    /* batching and limits */
    long long batch_max_messages;
    long long batch_max_bytes;
    long long batch_max_wait_ms;
    long long batch_linger_ms;
    long long consumer_align_ms;
    long long consumer_hold_bytes;
    long long write_chunk_bytes;
    long long enrich_threads;
    long long max_message_bytes;
    long long dlq_max_payload_bytes;
    long long dedup_cache_entries;
    long long langid_min_confidence_pct;
    long long langid_min_letters;
    long long dedup_window_hours;
    long long dedup_near_threshold_pct;
    long long dedup_max_candidates;
    long long dedup_fingerprint_cache;
    long long dedup_keys_vacuum_batches;
    long long backoff_initial_ms;
    long long backoff_max_ms;
    long long shutdown_timeout_ms;
    int stop_at_end;
    /* HTTP: metrics and probes */
    long long http_port;
    char *http_bind;
    /* enrich */
    char *input;
    /* entities: user gazetteer file (TSV, data/gazetteer/README.md); "" = none */
    char *entities_gazetteer;
    /* general */
    char *log_level;
    char *config_file;
    /* librdkafka pass-through properties (owned arrays of owned strings) */
    size_t kafka_count;
    char **kafka_keys;
    char **kafka_values;
} nf_config_t;

/** @brief A config holding every default. NULL on out-of-memory. */
nf_config_t *nf_config_new(void);

/**
 * @brief Apply the config file, the environment and the flags in argv (argv[0] is skipped).
 * @param cmd  the NF_CMD_* of the command: flags of other commands are refused.
 * @param envp environment (borrowed; NULL-terminated "KEY=VALUE" strings).
 * @return NF_OK, or NF_ERR_CONFIG with errstr saying which setting and why.
 */
nf_err_t nf_config_load(nf_config_t *cfg, unsigned cmd, int argc, char **argv, char **envp,
                        char *errstr, size_t errstr_size);

/** @brief Set one librdkafka pass-through property (copies both strings). */
nf_err_t nf_config_set_kafka(nf_config_t *cfg, const char *key, const char *value);

/** @brief Print the effective config as `name = value` lines, secrets redacted. */
void nf_config_print(const nf_config_t *cfg, unsigned cmd, FILE *out);

/** @brief Print the option list (flag, env var, default, bounds, help) of a command. */
void nf_config_usage(unsigned cmd, FILE *out);

/**
 * @brief Copy of a libpq conninfo string or URI with any password replaced by "***".
 *        Caller frees with nf_free(). NULL on out-of-memory.
 */
char *nf_config_redact_conninfo(const char *conninfo);

/** @brief Whether a librdkafka property holds a secret (its value is never printed). */
int nf_config_kafka_key_is_secret(const char *key);

/** @brief Free the config and every string in it. NULL is fine. */
void nf_config_destroy(nf_config_t *cfg);

#endif
