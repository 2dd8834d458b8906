#include "newsflow/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "newsflow/buf.h"

static nf_log_level_t min_level = NF_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* Rate limiting of repeated warnings/errors, keyed by message text. */
#define RL_SLOTS 32
#define RL_WINDOW_S 10
#define RL_BURST 10
static struct {
    char msg[64];
    time_t window_start;
    unsigned emitted;
    unsigned suppressed;
} rl[RL_SLOTS];

static const char *level_names[] = {"debug", "info", "warn", "error", "off"};

void nf_log_set_level(nf_log_level_t level)
{
    min_level = level;
}

int nf_log_level_parse(const char *name)
{
    for (int i = 0; i <= NF_LOG_OFF; i++)
        if (name && strcmp(name, level_names[i]) == 0)
            return i;
    if (name && strcmp(name, "warning") == 0)
        return NF_LOG_WARN;
    return -1;
}

int nf_log_enabled(nf_log_level_t level)
{
    return level >= min_level && level < NF_LOG_OFF;
}

/* Returns 0 to drop the line; else the number of lines suppressed before it (+1). */
static unsigned rate_limit(const char *msg, time_t now)
{
    unsigned h = 5381;
    for (const char *p = msg; *p; p++)
        h = h * 33 + (unsigned char)*p;
    unsigned slot = h % RL_SLOTS;
    if (strncmp(rl[slot].msg, msg, sizeof(rl[slot].msg) - 1) != 0 ||
        now - rl[slot].window_start >= RL_WINDOW_S) {
        unsigned suppressed =
            strncmp(rl[slot].msg, msg, sizeof(rl[slot].msg) - 1) == 0 ? rl[slot].suppressed : 0;
        snprintf(rl[slot].msg, sizeof(rl[slot].msg), "%s", msg);
        rl[slot].window_start = now;
        rl[slot].emitted = 1;
        rl[slot].suppressed = 0;
        return suppressed + 1;
    }
    if (rl[slot].emitted < RL_BURST) {
        rl[slot].emitted++;
        return 1;
    }
    rl[slot].suppressed++;
    return 0;
}

void nf_log(nf_log_level_t level, const char *msg, ...)
{
    if (!nf_log_enabled(level))
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);

    pthread_mutex_lock(&log_lock);
    unsigned suppressed = 1;
    if (level >= NF_LOG_WARN && (suppressed = rate_limit(msg, ts.tv_sec)) == 0) {
        pthread_mutex_unlock(&log_lock);
        return;
    }
    char stamp[96];
    snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (ts.tv_nsec / 1000000) % 1000);
    nf_buf_t line = NF_BUF_INIT;
    nf_buf_printf(&line, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", stamp, level_names[level]);
    nf_buf_json_string(&line, msg);
    va_list ap;
    va_start(ap, msg);
    const char *key;
    while ((key = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        nf_buf_putc(&line, ',');
        nf_buf_json_string(&line, key);
        nf_buf_putc(&line, ':');
        nf_buf_json_string(&line, value);
    }
    va_end(ap);
    if (suppressed > 1)
        nf_buf_printf(&line, ",\"suppressed\":\"%u\"", suppressed - 1);
    nf_buf_puts(&line, "}\n");
    if (!line.failed)
        fwrite(line.data, 1, line.len, stderr);
    else
        fprintf(stderr, "{\"level\":\"error\",\"msg\":\"log line lost: out of memory\"}\n");
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
    nf_buf_free(&line);
}
