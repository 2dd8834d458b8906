/**
 * @file producer.h
 * @brief The idempotent producer that empties the outbox: each message carries its outbox id,
 *        and delivery reports sort ids into acknowledged (delete the row) and failed (replay
 *        later). Not thread-safe: call from the pipeline thread only.
 */
#ifndef NEWSFLOW_PRODUCER_H
#define NEWSFLOW_PRODUCER_H

#include <stddef.h>
#include <stdint.h>

#include "newsflow/config.h"
#include "newsflow/error.h"
#include "newsflow/store.h"

typedef struct nf_producer nf_producer_t;

/** A growable list of outbox ids. */
typedef struct nf_id_list {
    int64_t *ids;
    size_t count;
    size_t cap;
} nf_id_list_t;

/** @brief Append an id (NF_ERR_NOMEM on failure). */
nf_err_t nf_id_list_push(nf_id_list_t *l, int64_t id);
/** @brief Free the list's memory. */
void nf_id_list_free(nf_id_list_t *l);

/** @brief Create the idempotent producer. NULL with errstr on failure. */
nf_producer_t *nf_producer_new(const nf_config_t *cfg, char *errstr, size_t errstr_size);

/**
 * @brief Queue one outbox row (copied). Waits (serving delivery reports) while the local queue
 *        is full, up to timeout_ms. NF_ERR_TIMEOUT or NF_ERR_KAFKA when it could not be queued.
 */
nf_err_t nf_producer_send(nf_producer_t *p, const nf_outbox_row_t *row, int timeout_ms);

/** @brief Serve delivery reports for up to timeout_ms. */
void nf_producer_poll(nf_producer_t *p, int timeout_ms);

/** @brief Move the acknowledged ids into *acked (appended). */
nf_err_t nf_producer_take_acked(nf_producer_t *p, nf_id_list_t *acked);

/** @brief Number of failed deliveries since the last call (the rows stay in the outbox). */
size_t nf_producer_take_failed(nf_producer_t *p);

/** @brief Messages queued and not yet reported. */
size_t nf_producer_in_flight(const nf_producer_t *p);

/** @brief Whether the idempotent producer hit a fatal error (it must be recreated). */
int nf_producer_fatal(nf_producer_t *p, char *errstr, size_t errstr_size);

/** @brief Wait up to timeout_ms for every queued message to be reported. */
nf_err_t nf_producer_flush(nf_producer_t *p, int timeout_ms);

/** @brief Free (unreported messages are dropped; their rows stay in the outbox). */
void nf_producer_destroy(nf_producer_t *p);

#endif
