/* Prometheus registry. Text format reference: prometheus.io/docs/instrumenting/exposition_formats
 * (HELP/TYPE lines, cumulative `le` buckets ending in +Inf, _sum and _count). */
#include "newsflow/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "newsflow/alloc.h"

enum { T_COUNTER, T_GAUGE, T_HISTOGRAM };

typedef struct family family_t;

struct nf_metric {
    family_t *family;
    char *label_value;
    _Atomic uint64_t value;    /* counter: integer; gauge: double bits */
    _Atomic uint64_t *buckets; /* histogram: per bucket (not cumulative), +Inf last */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_bits; /* double bits */
    nf_metric_t *next;
};

struct family {
    char *name;
    char *help;
    char *label_name;
    int type;
    double *bounds;
    size_t n_bounds;
    nf_metric_t *series;
    family_t *next;
};

typedef struct collector {
    nf_metrics_collector_fn fn;
    void *opaque;
    struct collector *next;
} collector_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static family_t *families, *families_tail;
static collector_t *collectors;

const double nf_seconds_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                     0.25,   0.5,   1,      2.5,   5,    10,    30,   60};
const size_t nf_seconds_buckets_count = sizeof(nf_seconds_buckets) / sizeof(double);

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

static double bitsd(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static nf_metric_t *series(int type, const char *name, const char *help, const char *label_name,
                           const char *label_value, const double *bounds, size_t n_bounds)
{
    pthread_mutex_lock(&lock);
    family_t *f = families;
    while (f && strcmp(f->name, name) != 0)
        f = f->next;
    if (!f) {
        f = nf_calloc(1, sizeof(*f));
        if (!f)
            goto oom;
        f->type = type;
        f->name = nf_strdup(name);
        f->help = nf_strdup(help ? help : "");
        f->label_name = label_name ? nf_strdup(label_name) : NULL;
        if (n_bounds) {
            f->bounds = nf_malloc(n_bounds * sizeof(double));
            if (f->bounds)
                memcpy(f->bounds, bounds, n_bounds * sizeof(double));
            f->n_bounds = n_bounds;
        }
        if (!f->name || !f->help || (label_name && !f->label_name) || (n_bounds && !f->bounds)) {
            nf_free(f->name);
            nf_free(f->help);
            nf_free(f->label_name);
            nf_free(f->bounds);
            nf_free(f);
            goto oom;
        }
        if (families_tail)
            families_tail->next = f;
        else
            families = f;
        families_tail = f;
    }
    nf_metric_t *m = f->series;
    while (m && !same(m->label_value, label_value))
        m = m->next;
    if (!m) {
        m = nf_calloc(1, sizeof(*m));
        if (!m)
            goto oom;
        m->family = f;
        m->label_value = label_value ? nf_strdup(label_value) : NULL;
        if (f->type == T_HISTOGRAM)
            m->buckets = nf_calloc(f->n_bounds + 1, sizeof(*m->buckets));
        if ((label_value && !m->label_value) || (f->type == T_HISTOGRAM && !m->buckets)) {
            nf_free(m->label_value);
            nf_free((void *)m->buckets);
            nf_free(m);
            goto oom;
        }
        /* append: series render in registration order */
        nf_metric_t **tail = &f->series;
        while (*tail)
            tail = &(*tail)->next;
        *tail = m;
    }
    pthread_mutex_unlock(&lock);
    return m;
oom:
    pthread_mutex_unlock(&lock);
    return NULL;
}

nf_metric_t *nf_counter(const char *name, const char *help, const char *label_name,
                        const char *label_value)
{
    return series(T_COUNTER, name, help, label_name, label_value, NULL, 0);
}

nf_metric_t *nf_gauge(const char *name, const char *help, const char *label_name,
                      const char *label_value)
{
    return series(T_GAUGE, name, help, label_name, label_value, NULL, 0);
}

nf_metric_t *nf_histogram(const char *name, const char *help, const char *label_name,
                          const char *label_value, const double *bounds, size_t n_bounds)
{
    return series(T_HISTOGRAM, name, help, label_name, label_value, bounds, n_bounds);
}

void nf_counter_add(nf_metric_t *m, uint64_t delta)
{
    if (m)
        atomic_fetch_add_explicit(&m->value, delta, memory_order_relaxed);
}

void nf_gauge_set(nf_metric_t *m, double value)
{
    if (m)
        atomic_store_explicit(&m->value, dbits(value), memory_order_relaxed);
}

void nf_histogram_observe(nf_metric_t *m, double value)
{
    if (!m || !m->buckets)
        return;
    const family_t *f = m->family;
    size_t i = 0;
    while (i < f->n_bounds && value > f->bounds[i])
        i++;
    atomic_fetch_add_explicit(&m->buckets[i], 1, memory_order_relaxed);
    uint64_t old = atomic_load_explicit(&m->sum_bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&m->sum_bits, &old, dbits(bitsd(old) + value),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
    atomic_fetch_add_explicit(&m->count, 1, memory_order_relaxed);
}

double nf_metric_value(const nf_metric_t *m)
{
    if (!m)
        return 0;
    uint64_t v = atomic_load_explicit(&((nf_metric_t *)m)->value, memory_order_relaxed);
    return m->family->type == T_GAUGE ? bitsd(v) : (double)v;
}

uint64_t nf_histogram_count(const nf_metric_t *m)
{
    return m ? atomic_load_explicit(&((nf_metric_t *)m)->count, memory_order_relaxed) : 0;
}

void nf_metrics_add_collector(nf_metrics_collector_fn fn, void *opaque)
{
    collector_t *c = nf_calloc(1, sizeof(*c));
    if (!c)
        return;
    c->fn = fn;
    c->opaque = opaque;
    pthread_mutex_lock(&lock);
    c->next = collectors;
    collectors = c;
    pthread_mutex_unlock(&lock);
}

void nf_metrics_remove_collector(nf_metrics_collector_fn fn, void *opaque)
{
    pthread_mutex_lock(&lock);
    for (collector_t **c = &collectors; *c; c = &(*c)->next) {
        if ((*c)->fn == fn && (*c)->opaque == opaque) {
            collector_t *gone = *c;
            *c = gone->next;
            nf_free(gone);
            break;
        }
    }
    pthread_mutex_unlock(&lock);
}

static void put_escaped(nf_buf_t *out, const char *s, int label)
{
    for (; *s; s++) {
        if (*s == '\\')
            nf_buf_puts(out, "\\\\");
        else if (*s == '\n')
            nf_buf_puts(out, "\\n");
        else if (*s == '"' && label)
            nf_buf_puts(out, "\\\"");
        else
            nf_buf_putc(out, *s);
    }
}

static void put_number(nf_buf_t *out, double v)
{
    if (isnan(v))
        nf_buf_puts(out, "NaN");
    else if (isinf(v))
        nf_buf_puts(out, v > 0 ? "+Inf" : "-Inf");
    else
        nf_buf_printf(out, "%.10g", v);
}

/* name{label="value",le="x"} */
static void put_series_name(nf_buf_t *out, const family_t *f, const char *suffix,
                            const nf_metric_t *m, const char *le)
{
    nf_buf_puts(out, f->name);
    nf_buf_puts(out, suffix);
    int labels = (f->label_name && m->label_value) || le;
    if (!labels)
        return;
    nf_buf_putc(out, '{');
    if (f->label_name && m->label_value) {
        nf_buf_printf(out, "%s=\"", f->label_name);
        put_escaped(out, m->label_value, 1);
        nf_buf_putc(out, '"');
        if (le)
            nf_buf_putc(out, ',');
    }
    if (le)
        nf_buf_printf(out, "le=\"%s\"", le);
    nf_buf_putc(out, '}');
}

void nf_metrics_render(nf_buf_t *out)
{
    static const char *types[] = {"counter", "gauge", "histogram"};
    pthread_mutex_lock(&lock);
    for (const family_t *f = families; f; f = f->next) {
        if (!f->series)
            continue;
        nf_buf_printf(out, "# HELP %s ", f->name);
        put_escaped(out, f->help, 0);
        nf_buf_printf(out, "\n# TYPE %s %s\n", f->name, types[f->type]);
        for (const nf_metric_t *m = f->series; m; m = m->next) {
            if (f->type != T_HISTOGRAM) {
                put_series_name(out, f, "", m, NULL);
                nf_buf_putc(out, ' ');
                if (f->type == T_COUNTER)
                    nf_buf_printf(out, "%llu",
                                  (unsigned long long)atomic_load(&((nf_metric_t *)m)->value));
                else
                    put_number(out, nf_metric_value(m));
                nf_buf_putc(out, '\n');
                continue;
            }
            uint64_t cumulative = 0;
            char le[32];
            for (size_t i = 0; i <= f->n_bounds; i++) {
                cumulative += atomic_load(&((nf_metric_t *)m)->buckets[i]);
                if (i < f->n_bounds)
                    snprintf(le, sizeof(le), "%.10g", f->bounds[i]);
                else
                    snprintf(le, sizeof(le), "+Inf");
                put_series_name(out, f, "_bucket", m, le);
                nf_buf_printf(out, " %llu\n", (unsigned long long)cumulative);
            }
            put_series_name(out, f, "_sum", m, NULL);
            nf_buf_putc(out, ' ');
            put_number(out, bitsd(atomic_load(&((nf_metric_t *)m)->sum_bits)));
            nf_buf_putc(out, '\n');
            put_series_name(out, f, "_count", m, NULL);
            /* the count is read after the buckets; +Inf is the one consistent total */
            nf_buf_printf(out, " %llu\n", (unsigned long long)cumulative);
        }
    }
    for (const collector_t *c = collectors; c; c = c->next)
        c->fn(out, c->opaque);
    pthread_mutex_unlock(&lock);
}

void nf_metrics_reset(void)
{
    pthread_mutex_lock(&lock);
    while (families) {
        family_t *f = families;
        families = f->next;
        while (f->series) {
            nf_metric_t *m = f->series;
            f->series = m->next;
            nf_free(m->label_value);
            nf_free((void *)m->buckets);
            nf_free(m);
        }
        nf_free(f->name);
        nf_free(f->help);
        nf_free(f->label_name);
        nf_free(f->bounds);
        nf_free(f);
    }
    families_tail = NULL;
    while (collectors) {
        collector_t *c = collectors;
        collectors = c->next;
        nf_free(c);
    }
    pthread_mutex_unlock(&lock);
}
