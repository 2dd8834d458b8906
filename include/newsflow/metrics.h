/**
 * @file metrics.h
 * @brief A small process-wide Prometheus registry: counters, gauges and histograms, each a
 *        family (name, help, type) with at most one label, rendered in the text exposition
 *        format 0.0.4. Series are registered at start-up (or rarely, under a lock); updates
 *        are lock-free atomics, so the pipeline thread updates while the HTTP thread renders.
 *        Collectors add dynamic series (e.g. lag per assigned partition) at render time.
 */
#ifndef NEWSFLOW_METRICS_H
#define NEWSFLOW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "newsflow/buf.h"

typedef struct nf_metric nf_metric_t;

/**
 * @brief Find or create a series. Same name + label value returns the same series.
 *        label_name/label_value may be NULL for an unlabeled series. Strings are copied.
 *        NULL only on out-of-memory (updates to a NULL series are ignored).
 */
nf_metric_t *nf_counter(const char *name, const char *help, const char *label_name,
                        const char *label_value);
nf_metric_t *nf_gauge(const char *name, const char *help, const char *label_name,
                      const char *label_value);
/** @brief bounds: ascending upper bounds (the +Inf bucket is implicit); copied. */
nf_metric_t *nf_histogram(const char *name, const char *help, const char *label_name,
                          const char *label_value, const double *bounds, size_t n_bounds);

/** @brief Add to a counter. Thread-safe. */
void nf_counter_add(nf_metric_t *m, uint64_t delta);
/** @brief Set a gauge. Thread-safe. */
void nf_gauge_set(nf_metric_t *m, double value);
/** @brief Record one observation. Thread-safe. */
void nf_histogram_observe(nf_metric_t *m, double value);

/** @brief The current value of a counter or gauge (tests). */
double nf_metric_value(const nf_metric_t *m);
/** @brief Observation count of a histogram (tests). */
uint64_t nf_histogram_count(const nf_metric_t *m);

/** A collector appends complete exposition lines (HELP/TYPE included) at render time. */
typedef void (*nf_metrics_collector_fn)(nf_buf_t *out, void *opaque);
/** @brief Register a collector (called under the registry lock, from the HTTP thread). */
void nf_metrics_add_collector(nf_metrics_collector_fn fn, void *opaque);
/** @brief Remove a collector (before its opaque is freed). */
void nf_metrics_remove_collector(nf_metrics_collector_fn fn, void *opaque);

/** @brief Render every family in the Prometheus text format. Thread-safe. */
void nf_metrics_render(nf_buf_t *out);

/** @brief Common bucket sets. */
extern const double nf_seconds_buckets[];
extern const size_t nf_seconds_buckets_count;

/** @brief Drop every series and collector (tests; not thread-safe with updates). */
void nf_metrics_reset(void);

#endif
