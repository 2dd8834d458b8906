#include "newsflow/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "newsflow/alloc.h"
#include "newsflow/buf.h"

typedef enum { T_STRING, T_INT, T_BOOL } setting_type_t;

typedef struct setting {
    const char *name; /* flag is --name with '_' written as '-' */
    const char *env;
    setting_type_t type;
    size_t offset;
    const char *def;
    long long min, max;
    int secret;
    unsigned cmds;
    const char *help;
} setting_t;

#define S(field) offsetof(nf_config_t, field)
#define KB 1024LL
#define MB (1024LL * 1024LL)

/* The one table (Redis standardConfig style). Keep README's configuration table in sync:
 * `newsflow run --help` prints it. */
static const setting_t settings[] = {
    {"brokers", "NEWSFLOW_BROKERS", T_STRING, S(brokers), "localhost:9092", 0, 0, 0, NF_CMD_RUN,
     "Kafka bootstrap servers (comma-separated host:port)"},
    {"group_id", "NEWSFLOW_GROUP_ID", T_STRING, S(group_id), "newsflow", 0, 0, 0, NF_CMD_RUN,
     "Kafka consumer group; every replica uses the same one"},
    {"input_topic", "NEWSFLOW_INPUT_TOPIC", T_STRING, S(input_topic), "articles.raw", 0, 0, 0,
     NF_CMD_RUN, "topic of raw articles"},
    {"output_topic", "NEWSFLOW_OUTPUT_TOPIC", T_STRING, S(output_topic), "articles.enriched", 0, 0,
     0, NF_CMD_RUN, "downstream topic of enriched records (key = article id)"},
    {"dlq_topic", "NEWSFLOW_DLQ_TOPIC", T_STRING, S(dlq_topic), "articles.dlq", 0, 0, 0, NF_CMD_RUN,
     "dead-letter topic: rejected messages, original bytes + reason headers"},
    {"pg_url", "NEWSFLOW_PG_URL", T_STRING, S(pg_url), "postgresql:///newsflow", 0, 0, 1,
     NF_CMD_RUN | NF_CMD_MIGRATE, "PostgreSQL connection (libpq URI or conninfo; TLS as libpq)"},
    {"batch_max_messages", "NEWSFLOW_BATCH_MAX_MESSAGES", T_INT, S(batch_max_messages), "4500", 1,
     20000, 0, NF_CMD_RUN, "a batch closes at this many messages"},
    {"batch_max_bytes", "NEWSFLOW_BATCH_MAX_BYTES", T_INT, S(batch_max_bytes), "16777216", 64 * KB,
     1024 * MB, 0, NF_CMD_RUN, "... or at this many message bytes"},
    {"batch_max_wait_ms", "NEWSFLOW_BATCH_MAX_WAIT_MS", T_INT, S(batch_max_wait_ms), "500", 1,
     60000, 0, NF_CMD_RUN, "... or this long after its first message"},
    {"batch_linger_ms", "NEWSFLOW_BATCH_LINGER_MS", T_INT, S(batch_linger_ms), "20", 0, 60000, 0,
     NF_CMD_RUN,
     "... or once no message came for this long (0: wait for batch_max_wait_ms); while a batch "
     "is being written the next one takes only messages already fetched"},
    {"consumer_align_ms", "NEWSFLOW_CONSUMER_ALIGN_MS", T_INT, S(consumer_align_ms), "250", 0,
     3600000, 0, NF_CMD_RUN,
     "while partitions have a backlog, hand them over in Kafka timestamp order, no message more "
     "than this many ms of timestamp ahead of a partition still catching up (fewer revisions "
     "when a backlog is read; 0: in fetch order)"},
    {"consumer_hold_bytes", "NEWSFLOW_CONSUMER_HOLD_BYTES", T_INT, S(consumer_hold_bytes),
     "8388608", 0, 1024 * MB, 0, NF_CMD_RUN,
     "fetched messages held for that order, at most (beyond: handed over in fetch order; on "
     "top of librdkafka's own prefetch queue)"},
    {"write_chunk_bytes", "NEWSFLOW_WRITE_CHUNK_BYTES", T_INT, S(write_chunk_bytes), "4194304", 1,
     1024 * MB, 0, NF_CMD_RUN,
     "the batch write sends its articles in statements of about this much text (raw + enriched; "
     "at least one article each): bounds the memory of the write's parameters"},
    {"enrich_threads", "NEWSFLOW_ENRICH_THREADS", T_INT, S(enrich_threads), "0", 0, 256, 0,
     NF_CMD_RUN,
     "threads running the enrichment stages, each with its own copy of the stages "
     "(0 = one per CPU core this process may use, at most 8)"},
    {"max_message_bytes", "NEWSFLOW_MAX_MESSAGE_BYTES", T_INT, S(max_message_bytes), "1048576",
     1 * KB, 256 * MB, 0, NF_CMD_RUN | NF_CMD_ENRICH,
     "larger messages/lines are rejected as too_large without being parsed"},
    {"dlq_max_payload_bytes", "NEWSFLOW_DLQ_MAX_PAYLOAD_BYTES", T_INT, S(dlq_max_payload_bytes),
     "900000", 1024, 100 * MB, 0, NF_CMD_RUN,
     "a rejected message larger than this keeps only its first bytes in the DLQ and "
     "ingest_rejects (header original_bytes gives the size); keep it under the producer's "
     "message.max.bytes"},
    {"dedup_cache_entries", "NEWSFLOW_DEDUP_CACHE_ENTRIES", T_INT, S(dedup_cache_entries), "500000",
     0, 100000000, 0, NF_CMD_RUN | NF_CMD_ENRICH,
     "articles in the in-memory dedup/story index of enrich (oldest evicted; run decides in "
     "PostgreSQL)"},
    {"langid_min_confidence_pct", "NEWSFLOW_LANGID_MIN_CONFIDENCE_PCT", T_INT,
     S(langid_min_confidence_pct), "50", 0, 100, 0, NF_CMD_RUN | NF_CMD_ENRICH,
     "language confidence (percent) below which lang.code is \"und\""},
    {"langid_min_letters", "NEWSFLOW_LANGID_MIN_LETTERS", T_INT, S(langid_min_letters), "8", 0,
     100000, 0, NF_CMD_RUN | NF_CMD_ENRICH,
     "fewer letters (of the text's main script) than this give lang.code \"und\""},
    {"dedup_window_hours", "NEWSFLOW_DEDUP_WINDOW_HOURS", T_INT, S(dedup_window_hours), "72", 1,
     8760, 0, NF_CMD_RUN | NF_CMD_ENRICH,
     "near copies and stories join only articles whose published_at differ by at most this"},
    {"dedup_near_threshold_pct", "NEWSFLOW_DEDUP_NEAR_THRESHOLD_PCT", T_INT,
     S(dedup_near_threshold_pct), "55", 1, 100, 0, NF_CMD_RUN | NF_CMD_ENRICH,
     "estimated Jaccard similarity (percent, word 2-shingles) at or above which a text in the "
     "same language is a near_duplicate"},
    {"dedup_max_candidates", "NEWSFLOW_DEDUP_MAX_CANDIDATES", T_INT, S(dedup_max_candidates),
     "100000", 0, 100000000, 0, NF_CMD_RUN,
     "stored articles sharing a key with a batch (candidates, ~100 bytes of memory each) one "
     "story decision reads at most: "
     "a batch sharing keys with more is decided in parts, in the same transaction (a single "
     "article is not split); 0: no bound"},
    {"dedup_fingerprint_cache", "NEWSFLOW_DEDUP_FINGERPRINT_CACHE", T_INT,
     S(dedup_fingerprint_cache), "100000", 0, 100000000, 0, NF_CMD_RUN,
     "stored fingerprints (~250 bytes each) the worker keeps so that a story decision reads "
     "only the others from PostgreSQL, oldest evicted first; 0: none"},
    {"dedup_keys_vacuum_batches", "NEWSFLOW_DEDUP_KEYS_VACUUM_BATCHES", T_INT,
     S(dedup_keys_vacuum_batches), "2", 0, 1000000, 0, NF_CMD_RUN,
     "the writer runs VACUUM (SKIP_LOCKED) fingerprint_keys after every this many batches it "
     "wrote, so that the story decisions' candidate read skips the heap (the pages written since "
     "are marked all-visible); 0: leave it to autovacuum"},
    {"backoff_initial_ms", "NEWSFLOW_BACKOFF_INITIAL_MS", T_INT, S(backoff_initial_ms), "200", 1,
     60000, 0, NF_CMD_RUN, "first retry delay after a transient PostgreSQL error"},
    {"backoff_max_ms", "NEWSFLOW_BACKOFF_MAX_MS", T_INT, S(backoff_max_ms), "30000", 1, 600000, 0,
     NF_CMD_RUN, "retry delay cap (exponential backoff)"},
    {"shutdown_timeout_ms", "NEWSFLOW_SHUTDOWN_TIMEOUT_MS", T_INT, S(shutdown_timeout_ms), "25000",
     1000, 600000, 0, NF_CMD_RUN,
     "on SIGTERM/SIGINT: finish, commit, leave the group and exit within this bound"},
    {"stop_at_end", "NEWSFLOW_STOP_AT_END", T_BOOL, S(stop_at_end), "false", 0, 1, 0, NF_CMD_RUN,
     "exit 0 once every assigned partition is consumed to its end and the outbox is drained"},
    {"http_port", "NEWSFLOW_HTTP_PORT", T_INT, S(http_port), "9464", 0, 65535, 0, NF_CMD_RUN,
     "port of /metrics, /healthz and /readyz (0 disables the HTTP server)"},
    {"http_bind", "NEWSFLOW_HTTP_BIND", T_STRING, S(http_bind), "0.0.0.0", 0, 0, 0, NF_CMD_RUN,
     "IPv4 address the HTTP server listens on"},
    {"input", "NEWSFLOW_INPUT", T_STRING, S(input), "-", 0, 0, 0, NF_CMD_ENRICH,
     "JSONL input file (- = stdin)"},
    {"entities_gazetteer", "NEWSFLOW_ENTITIES_GAZETTEER", T_STRING, S(entities_gazetteer), "", 0, 0,
     0, NF_CMD_RUN | NF_CMD_ENRICH,
     "user gazetteer file (TSV: id, type, flags, names; see data/gazetteer/README.md), loaded at "
     "start and reloaded on SIGHUP by run"},
    {"log_level", "NEWSFLOW_LOG_LEVEL", T_STRING, S(log_level), "info", 0, 0, 0, NF_CMD_ALL,
     "debug, info, warn, error or off"},
    {"config", "NEWSFLOW_CONFIG", T_STRING, S(config_file), "", 0, 0, 0, NF_CMD_ALL,
     "config file of `name = value` lines (kafka.<property> = value passes to librdkafka)"},
};
#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))

static char **str_field(nf_config_t *cfg, const setting_t *s)
{
    return (char **)((char *)cfg + s->offset);
}

static long long *int_field(nf_config_t *cfg, const setting_t *s)
{
    return (long long *)((char *)cfg + s->offset);
}

static int *bool_field(nf_config_t *cfg, const setting_t *s)
{
    return (int *)((char *)cfg + s->offset);
}

static nf_err_t set_value(nf_config_t *cfg, const setting_t *s, const char *value,
                          const char *origin, char *errstr, size_t errstr_size)
{
    switch (s->type) {
    case T_STRING: {
        char *copy = nf_strdup(value);
        if (!copy) {
            snprintf(errstr, errstr_size, "out of memory");
            return NF_ERR_NOMEM;
        }
        nf_free(*str_field(cfg, s));
        *str_field(cfg, s) = copy;
        return NF_OK;
    }
    case T_INT: {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (errno || end == value || *end != '\0') {
            snprintf(errstr, errstr_size, "%s (%s): '%s' is not an integer", s->name, origin,
                     value);
            return NF_ERR_CONFIG;
        }
        if (v < s->min || v > s->max) {
            snprintf(errstr, errstr_size, "%s (%s): %lld is outside [%lld, %lld]", s->name, origin,
                     v, s->min, s->max);
            return NF_ERR_CONFIG;
        }
        *int_field(cfg, s) = v;
        return NF_OK;
    }
    case T_BOOL:
        if (!strcmp(value, "true") || !strcmp(value, "1") || !strcmp(value, "yes") ||
            !strcmp(value, "on")) {
            *bool_field(cfg, s) = 1;
            return NF_OK;
        }
        if (!strcmp(value, "false") || !strcmp(value, "0") || !strcmp(value, "no") ||
            !strcmp(value, "off")) {
            *bool_field(cfg, s) = 0;
            return NF_OK;
        }
        snprintf(errstr, errstr_size, "%s (%s): '%s' is not a boolean (true/false)", s->name,
                 origin, value);
        return NF_ERR_CONFIG;
    }
    return NF_ERR_CONFIG;
}

nf_config_t *nf_config_new(void)
{
    nf_config_t *cfg = nf_calloc(1, sizeof(*cfg));
    if (!cfg)
        return NULL;
    char err[128];
    for (size_t i = 0; i < N_SETTINGS; i++) {
        if (set_value(cfg, &settings[i], settings[i].def, "default", err, sizeof(err)) != NF_OK) {
            nf_config_destroy(cfg);
            return NULL;
        }
    }
    return cfg;
}

nf_err_t nf_config_set_kafka(nf_config_t *cfg, const char *key, const char *value)
{
    for (size_t i = 0; i < cfg->kafka_count; i++) {
        if (strcmp(cfg->kafka_keys[i], key) == 0) {
            char *copy = nf_strdup(value);
            if (!copy)
                return NF_ERR_NOMEM;
            nf_free(cfg->kafka_values[i]);
            cfg->kafka_values[i] = copy;
            return NF_OK;
        }
    }
    char **keys = nf_realloc(cfg->kafka_keys, (cfg->kafka_count + 1) * sizeof(char *));
    if (!keys)
        return NF_ERR_NOMEM;
    cfg->kafka_keys = keys;
    char **values = nf_realloc(cfg->kafka_values, (cfg->kafka_count + 1) * sizeof(char *));
    if (!values)
        return NF_ERR_NOMEM;
    cfg->kafka_values = values;
    char *k = nf_strdup(key), *v = nf_strdup(value);
    if (!k || !v) {
        nf_free(k);
        nf_free(v);
        return NF_ERR_NOMEM;
    }
    keys[cfg->kafka_count] = k;
    values[cfg->kafka_count] = v;
    cfg->kafka_count++;
    return NF_OK;
}

static const setting_t *find_by_name(const char *name, size_t len)
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const char *n = settings[i].name;
        if (strlen(n) != len)
            continue;
        size_t j = 0;
        for (; j < len; j++) {
            char c = name[j] == '-' ? '_' : name[j];
            if (c != n[j])
                break;
        }
        if (j == len)
            return &settings[i];
    }
    return NULL;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

static nf_err_t apply_kafka_pair(nf_config_t *cfg, const char *pair, const char *origin,
                                 char *errstr, size_t errstr_size)
{
    const char *eq = strchr(pair, '=');
    if (!eq || eq == pair) {
        snprintf(errstr, errstr_size, "kafka (%s): expected property=value, got '%s'", origin,
                 pair);
        return NF_ERR_CONFIG;
    }
    char *key = nf_strndup(pair, (size_t)(eq - pair));
    if (!key)
        return NF_ERR_NOMEM;
    nf_err_t err = nf_config_set_kafka(cfg, trim(key), eq + 1);
    nf_free(key);
    if (err != NF_OK)
        snprintf(errstr, errstr_size, "out of memory");
    return err;
}

static nf_err_t load_file(nf_config_t *cfg, unsigned cmd, const char *path, char *errstr,
                          size_t errstr_size)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(errstr, errstr_size, "config file %s: %s", path, strerror(errno));
        return NF_ERR_CONFIG;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned lineno = 0;
    nf_err_t err = NF_OK;
    char origin[64];
    while (err == NF_OK && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        snprintf(origin, sizeof(origin), "config file line %u", lineno);
        if (!eq) {
            snprintf(errstr, errstr_size, "%s: expected name = value", origin);
            err = NF_ERR_CONFIG;
            break;
        }
        *eq = '\0';
        char *name = trim(s), *value = trim(eq + 1);
        if (strncmp(name, "kafka.", 6) == 0) {
            err = nf_config_set_kafka(cfg, name + 6, value);
            if (err != NF_OK)
                snprintf(errstr, errstr_size, "out of memory");
            continue;
        }
        const setting_t *st = find_by_name(name, strlen(name));
        if (!st || st->offset == S(config_file)) {
            snprintf(errstr, errstr_size, "%s: unknown setting '%s'", origin, name);
            err = NF_ERR_CONFIG;
            break;
        }
        (void)cmd; /* a shared file may hold settings of every command */
        err = set_value(cfg, st, value, origin, errstr, errstr_size);
    }
    free(line);
    fclose(f);
    return err;
}

/* NEWSFLOW_KAFKA_SASL_MECHANISM -> sasl.mechanism */
static nf_err_t apply_env(nf_config_t *cfg, unsigned cmd, char **envp, char *errstr,
                          size_t errstr_size)
{
    for (char **e = envp; e && *e; e++) {
        const char *entry = *e;
        if (strncmp(entry, "NEWSFLOW_", 9) != 0)
            continue;
        const char *eq = strchr(entry, '=');
        if (!eq)
            continue;
        size_t name_len = (size_t)(eq - entry);
        const char *value = eq + 1;
        if (strncmp(entry, "NEWSFLOW_KAFKA_", 15) == 0 && name_len > 15) {
            char prop[256];
            size_t plen = name_len - 15;
            if (plen >= sizeof(prop))
                continue;
            for (size_t i = 0; i < plen; i++) {
                char c = entry[15 + i];
                prop[i] = c == '_' ? '.' : (char)tolower((unsigned char)c);
            }
            prop[plen] = '\0';
            if (nf_config_set_kafka(cfg, prop, value) != NF_OK) {
                snprintf(errstr, errstr_size, "out of memory");
                return NF_ERR_NOMEM;
            }
            continue;
        }
        for (size_t i = 0; i < N_SETTINGS; i++) {
            const setting_t *st = &settings[i];
            if (strlen(st->env) == name_len && strncmp(st->env, entry, name_len) == 0) {
                if (!(st->cmds & cmd))
                    break; /* meant for another command: ignore */
                nf_err_t err = set_value(cfg, st, value, st->env, errstr, errstr_size);
                if (err != NF_OK)
                    return err;
                break;
            }
        }
    }
    return NF_OK;
}

/* Finds "--config X" / "--config=X" in argv before anything else is applied. */
static const char *config_path_from_argv(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            return argv[i + 1];
        if (strncmp(argv[i], "--config=", 9) == 0)
            return argv[i] + 9;
    }
    return NULL;
}

static const char *env_lookup(char **envp, const char *name)
{
    size_t len = strlen(name);
    for (char **e = envp; e && *e; e++)
        if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
            return *e + len + 1;
    return NULL;
}

nf_err_t nf_config_load(nf_config_t *cfg, unsigned cmd, int argc, char **argv, char **envp,
                        char *errstr, size_t errstr_size)
{
    const char *path = config_path_from_argv(argc, argv);
    if (!path)
        path = env_lookup(envp, "NEWSFLOW_CONFIG");
    if (path && *path) {
        nf_err_t err = load_file(cfg, cmd, path, errstr, errstr_size);
        if (err != NF_OK)
            return err;
    }
    nf_err_t err = apply_env(cfg, cmd, envp, errstr, errstr_size);
    if (err != NF_OK)
        return err;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) {
            snprintf(errstr, errstr_size, "unexpected argument '%s' (see --help)", arg);
            return NF_ERR_CONFIG;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        const char *value = eq ? eq + 1 : NULL;
        if (name_len == 5 && strncmp(name, "kafka", 5) == 0) {
            if (!value && i + 1 < argc)
                value = argv[++i];
            if (!value) {
                snprintf(errstr, errstr_size, "--kafka needs property=value");
                return NF_ERR_CONFIG;
            }
            err = apply_kafka_pair(cfg, value, "--kafka", errstr, errstr_size);
            if (err != NF_OK)
                return err;
            continue;
        }
        const setting_t *st = find_by_name(name, name_len);
        if (!st || !(st->cmds & cmd)) {
            snprintf(errstr, errstr_size, "unknown option '--%.*s' (see --help)", (int)name_len,
                     name);
            return NF_ERR_CONFIG;
        }
        if (!value) {
            if (st->type == T_BOOL)
                value = "true";
            else if (i + 1 < argc)
                value = argv[++i];
            else {
                snprintf(errstr, errstr_size, "option '--%.*s' needs a value", (int)name_len, name);
                return NF_ERR_CONFIG;
            }
        }
        char origin[80];
        snprintf(origin, sizeof(origin), "--%.*s", (int)name_len, name);
        err = set_value(cfg, st, value, origin, errstr, errstr_size);
        if (err != NF_OK)
            return err;
    }
    if (cfg->backoff_initial_ms > cfg->backoff_max_ms) {
        snprintf(errstr, errstr_size, "backoff_initial_ms (%lld) exceeds backoff_max_ms (%lld)",
                 cfg->backoff_initial_ms, cfg->backoff_max_ms);
        return NF_ERR_CONFIG;
    }
    return NF_OK;
}

/* Appends conninfo to b with the value of every "password=" keyword or URI parameter and every
 * URI userinfo password replaced by "***". One pass, so mixed and repeated forms are all
 * caught (found by tests/fuzz/fuzz_config.c). Follows libpq's parser (fe-connect.c): blanks may
 * surround '=', a backslash escapes the next character of a value, and a URI's userinfo runs to
 * the first '@' before any '/' whatever it contains ('?', '#', blanks). */
static void redact_into(nf_buf_t *b, const char *s)
{
    /* libpq reads a string as a URI only when it starts with the scheme; elsewhere a "://"
     * inside a keyword value ends at a blank. */
    int is_uri = strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0;
    const char *p = s;
    while (*p) {
        if (strncmp(p, "://", 3) == 0) {
            nf_buf_append(b, p, 3);
            p += 3;
            const char *end = p + strcspn(p, is_uri ? "@/" : "@/ \t\n\r\f\v");
            const char *colon = *end == '@' ? memchr(p, ':', (size_t)(end - p)) : NULL;
            if (colon) {
                nf_buf_append(b, p, (size_t)(colon + 1 - p));
                nf_buf_puts(b, "***");
                p = end;
            }
            continue;
        }
        int uri_param = p != s && (p[-1] == '?' || p[-1] == '&');
        if (strncmp(p, "password", 8) == 0 &&
            (p == s || uri_param || isspace((unsigned char)p[-1]))) {
            const char *q = p + 8;
            while (!uri_param && isspace((unsigned char)*q))
                q++;
            if (*q == '=') {
                q++;
                while (!uri_param && isspace((unsigned char)*q))
                    q++;
                nf_buf_append(b, p, (size_t)(q - p));
                p = q;
                if (uri_param) {
                    while (*p && *p != '&' && (is_uri || !isspace((unsigned char)*p)))
                        p++;
                } else if (*p == '\'') {
                    p++;
                    while (*p && *p != '\'')
                        p += (*p == '\\' && p[1]) ? 2 : 1;
                    if (*p)
                        p++;
                } else {
                    while (*p && !isspace((unsigned char)*p))
                        p += (*p == '\\' && p[1]) ? 2 : 1;
                }
                nf_buf_puts(b, "***");
                continue;
            }
        }
        nf_buf_putc(b, *p++);
    }
}

char *nf_config_redact_conninfo(const char *conninfo)
{
    nf_buf_t b = NF_BUF_INIT;
    redact_into(&b, conninfo ? conninfo : "");
    if (b.failed) {
        nf_buf_free(&b);
        return NULL;
    }
    if (!b.data)
        return nf_strdup("");
    return b.data;
}

int nf_config_kafka_key_is_secret(const char *key)
{
    static const char *markers[] = {"password", "secret", "token", "jaas", "private", "key.pem"};
    for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
        if (strstr(key, markers[i]))
            return 1;
    return 0;
}

void nf_config_print(const nf_config_t *cfg, unsigned cmd, FILE *out)
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const setting_t *st = &settings[i];
        if (!(st->cmds & cmd))
            continue;
        nf_config_t *c = (nf_config_t *)cfg;
        switch (st->type) {
        case T_STRING: {
            const char *v = *str_field(c, st);
            if (st->secret) {
                char *red = nf_config_redact_conninfo(v);
                fprintf(out, "%s = %s\n", st->name, red ? red : "***");
                nf_free(red);
            } else {
                fprintf(out, "%s = %s\n", st->name, v ? v : "");
            }
            break;
        }
        case T_INT:
            fprintf(out, "%s = %lld\n", st->name, *int_field(c, st));
            break;
        case T_BOOL:
            fprintf(out, "%s = %s\n", st->name, *bool_field(c, st) ? "true" : "false");
            break;
        }
    }
    if (cmd & NF_CMD_RUN)
        for (size_t i = 0; i < cfg->kafka_count; i++)
            fprintf(out, "kafka.%s = %s\n", cfg->kafka_keys[i],
                    nf_config_kafka_key_is_secret(cfg->kafka_keys[i]) ? "***"
                                                                      : cfg->kafka_values[i]);
}

void nf_config_usage(unsigned cmd, FILE *out)
{
    fprintf(out, "Options (flag / environment variable, default):\n");
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const setting_t *st = &settings[i];
        if (!(st->cmds & cmd))
            continue;
        char flag[64];
        size_t j = 0;
        for (; st->name[j] && j < sizeof(flag) - 1; j++)
            flag[j] = st->name[j] == '_' ? '-' : st->name[j];
        flag[j] = '\0';
        fprintf(out, "  --%-22s %-30s default %s", flag, st->env, *st->def ? st->def : "(none)");
        if (st->type == T_INT)
            fprintf(out, ", range [%lld, %lld]", st->min, st->max);
        fprintf(out, "\n      %s\n", st->help);
    }
    if (cmd & NF_CMD_RUN)
        fprintf(out, "  --kafka PROP=VALUE        NEWSFLOW_KAFKA_<PROP>          (repeatable)\n"
                     "      any librdkafka property, e.g. --kafka security.protocol=SASL_SSL\n");
}

void nf_config_destroy(nf_config_t *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (settings[i].type == T_STRING)
            nf_free(*str_field(cfg, &settings[i]));
    for (size_t i = 0; i < cfg->kafka_count; i++) {
        nf_free(cfg->kafka_keys[i]);
        nf_free(cfg->kafka_values[i]);
    }
    nf_free(cfg->kafka_keys);
    nf_free(cfg->kafka_values);
    nf_free(cfg);
}
