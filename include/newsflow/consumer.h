/**
 * @file consumer.h
 * @brief The Kafka consumer-group member: cooperative-sticky assignment, offsets never
 *        auto-committed nor auto-stored; each newly assigned partition starts at the offset the
 *        on_assign hook returns (the one stored in PostgreSQL). Only consumer.c and producer.c
 *        include librdkafka. Not thread-safe: poll from one thread.
 */
#ifndef NEWSFLOW_CONSUMER_H
#define NEWSFLOW_CONSUMER_H

#include <stddef.h>
#include <stdint.h>

#include "newsflow/config.h"
#include "newsflow/error.h"
#include "newsflow/types.h"

/** A consumed message; pointers valid until nf_message_release(). */
typedef struct nf_message {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /**< -1 when the broker gave none */
    const void *key;      /**< NULL when the message has no key */
    size_t key_len;
    const void *payload; /**< may be NULL for an empty value */
    size_t len;
    void *handle; /**< owned librdkafka message */
} nf_message_t;

typedef struct nf_consumer_hooks {
    void *opaque;
    /** Newly assigned partitions: set parts[i].offset to the next offset to read (-1: none
     *  stored). An error makes the consumer fall back to the offsets committed to Kafka,
     *  which never run ahead of PostgreSQL's. Called from inside nf_consumer_poll(). */
    nf_err_t (*on_assign)(void *opaque, const char *topic, nf_partition_offset_t *parts, size_t n);
    /** Partitions taken away (lost = 1 when taken without a clean revoke). Messages of these
     *  partitions that are not committed yet must be dropped. Called from nf_consumer_poll(). */
    void (*on_revoke)(void *opaque, const char *topic, const int32_t *parts, size_t n, int lost);
} nf_consumer_hooks_t;

typedef struct nf_consumer nf_consumer_t;

/** @brief Create the consumer and subscribe to cfg->input_topic. NULL with errstr on failure. */
nf_consumer_t *nf_consumer_new(const nf_config_t *cfg, const nf_consumer_hooks_t *hooks,
                               char *errstr, size_t errstr_size);

/**
 * @brief Wait up to timeout_ms for one message.
 * @return NF_OK with *out filled (release it), NF_ERR_TIMEOUT when none came, NF_ERR_EOF when a
 *         partition reached its end (nothing to release), NF_ERR_KAFKA for a consumer error
 *         (already logged; keep polling).
 */
nf_err_t nf_consumer_poll(nf_consumer_t *c, int timeout_ms, nf_message_t *out);

/** @brief Give a message back to librdkafka. */
void nf_message_release(nf_message_t *m);

/** @brief Commit these next offsets to Kafka, asynchronously (advisory: for lag tools). */
nf_err_t nf_consumer_commit(nf_consumer_t *c, const nf_partition_offset_t *parts, size_t n);

/** @brief Pause (1) or resume (0) fetching of every assigned partition; membership is kept. */
void nf_consumer_pause_all(nf_consumer_t *c, int pause);

/** @brief Copy up to cap assigned partitions of the input topic; returns how many there are. */
size_t nf_consumer_assigned(const nf_consumer_t *c, int32_t *out, size_t cap);

/** @brief Whether partitions are assigned and every one of them is read to its end. */
int nf_consumer_all_at_end(const nf_consumer_t *c);

/** @brief Number of rebalances (assign + revoke callbacks) so far. */
uint64_t nf_consumer_rebalances(const nf_consumer_t *c);

/** @brief The librdkafka handle (rd_kafka_t *), for tests that inject faults into it; never
 *  consume from it. */
void *nf_consumer_handle(nf_consumer_t *c);

/** @brief Leave the group cleanly (revokes are delivered through the hooks). */
void nf_consumer_close(nf_consumer_t *c);

/** @brief Free (closes first if needed). NULL is fine. */
void nf_consumer_destroy(nf_consumer_t *c);

#endif
