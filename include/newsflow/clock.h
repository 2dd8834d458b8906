/**
 * @file clock.h
 * @brief The monotonic clock, for durations and deadlines (never for timestamps that leave the
 *        process: those are CLOCK_REALTIME).
 */
#ifndef NEWSFLOW_CLOCK_H
#define NEWSFLOW_CLOCK_H

#include <stdint.h>

/** @brief CLOCK_MONOTONIC in nanoseconds. Thread-safe. */
uint64_t nf_monotonic_ns(void);

/** @brief CLOCK_MONOTONIC in milliseconds. Thread-safe. */
int64_t nf_monotonic_ms(void);

#endif
