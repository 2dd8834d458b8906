#include "newsflow/kafka.h"

#include <stdio.h>
#include <string.h>

#include "newsflow/log.h"

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    nf_log_level_t lvl = level <= 3   ? NF_LOG_ERROR
                         : level == 4 ? NF_LOG_WARN
                         : level <= 6 ? NF_LOG_INFO
                                      : NF_LOG_DEBUG;
    nf_log(lvl, "librdkafka", "client", rd_kafka_name(rk), "facility", fac, "detail", buf, NULL);
}

static int set_pairs(rd_kafka_conf_t *conf, const char *const *pairs, char *errstr,
                     size_t errstr_size)
{
    for (size_t i = 0; pairs && pairs[i]; i += 2) {
        if (rd_kafka_conf_set(conf, pairs[i], pairs[i + 1], errstr, errstr_size) !=
            RD_KAFKA_CONF_OK)
            return -1;
    }
    return 0;
}

rd_kafka_conf_t *nf_kafka_conf_new(const nf_config_t *cfg, const char *const *defaults,
                                   const char *const *forced, char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[512];
    if (rd_kafka_conf_set(conf, "bootstrap.servers", cfg->brokers, err, sizeof(err)) !=
            RD_KAFKA_CONF_OK ||
        set_pairs(conf, defaults, err, sizeof(err)))
        goto fail;
    for (size_t i = 0; i < cfg->kafka_count; i++) {
        if (rd_kafka_conf_set(conf, cfg->kafka_keys[i], cfg->kafka_values[i], err, sizeof(err)) !=
            RD_KAFKA_CONF_OK) {
            /* The error names the property, never its (possibly secret) value. */
            snprintf(errstr, errstr_size, "kafka property %s: %s", cfg->kafka_keys[i], err);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    if (set_pairs(conf, forced, err, sizeof(err)))
        goto fail;
    rd_kafka_conf_set_log_cb(conf, log_cb);
    return conf;
fail:
    snprintf(errstr, errstr_size, "kafka configuration: %s", err);
    rd_kafka_conf_destroy(conf);
    return NULL;
}
