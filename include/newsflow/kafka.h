/**
 * @file kafka.h
 * @brief librdkafka configuration shared by consumer.c and producer.c (the only includers):
 *        bootstrap servers, the user's pass-through properties, and logs routed to nf_log.
 */
#ifndef NEWSFLOW_KAFKA_H
#define NEWSFLOW_KAFKA_H

#include <librdkafka/rdkafka.h>

#include "newsflow/config.h"

/**
 * @brief A librdkafka conf with `defaults` (NULL-terminated key, value pairs) applied first,
 *        then every pass-through property of cfg, then `forced` pairs (guarantees that a user
 *        property must not break, e.g. enable.auto.commit=false). NULL with errstr on failure.
 */
rd_kafka_conf_t *nf_kafka_conf_new(const nf_config_t *cfg, const char *const *defaults,
                                   const char *const *forced, char *errstr, size_t errstr_size);

#endif
