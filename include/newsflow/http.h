/**
 * @file http.h
 * @brief The worker's HTTP endpoints (libmicrohttpd, its own thread): /metrics (Prometheus text
 *        format), /healthz (the process is alive and its loop turning) and /readyz (partitions
 *        assigned, PostgreSQL reachable, not in backoff).
 */
#ifndef NEWSFLOW_HTTP_H
#define NEWSFLOW_HTTP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/** What the probes report; written by the pipeline thread, read by the HTTP thread. */
typedef struct nf_health {
    _Atomic int64_t heartbeat_ms; /**< CLOCK_MONOTONIC ms of the last loop turn */
    _Atomic int assigned;         /**< partitions assigned */
    _Atomic int pg_ok;            /**< the last PostgreSQL round trip succeeded */
    _Atomic int backoff;          /**< retrying a batch after a transient error */
    int64_t stall_ms;             /**< /healthz fails when the loop has not turned for this long */
} nf_health_t;

typedef struct nf_http nf_http_t;

/**
 * @brief Listen on bind_address:port (port 0 disables: returns NULL with errstr empty).
 * @param health borrowed; must outlive the server.
 * @return NULL with errstr set when the port cannot be bound.
 */
nf_http_t *nf_http_start(const char *bind_address, int port, nf_health_t *health, char *errstr,
                         size_t errstr_size);

/** @brief Stop the server (waits for its thread). NULL is fine. */
void nf_http_stop(nf_http_t *h);

#endif
