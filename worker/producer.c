#include "newsflow/producer.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "newsflow/alloc.h"
#include "newsflow/kafka.h"
#include "newsflow/log.h"
#include "newsflow/metrics.h"

struct nf_producer {
    rd_kafka_t *rk;
    nf_id_list_t acked;
    size_t failed;
    size_t in_flight;
    char *output_topic;
    nf_metric_t *m_published, *m_dlq, *m_failed;
};

nf_err_t nf_id_list_push(nf_id_list_t *l, int64_t id)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        int64_t *ids = nf_realloc(l->ids, cap * sizeof(int64_t));
        if (!ids)
            return NF_ERR_NOMEM;
        l->ids = ids;
        l->cap = cap;
    }
    l->ids[l->count++] = id;
    return NF_OK;
}

void nf_id_list_free(nf_id_list_t *l)
{
    nf_free(l->ids);
    memset(l, 0, sizeof(*l));
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    nf_producer_t *p = opaque;
    int64_t id = (int64_t)(intptr_t)m->_private;
    if (p->in_flight)
        p->in_flight--;
    if (m->err) {
        p->failed++;
        nf_counter_add(p->m_failed, 1);
        nf_log(NF_LOG_WARN, "delivery failed; the row stays in the outbox", "error",
               rd_kafka_err2str(m->err), "topic", rd_kafka_topic_name(m->rkt), NULL);
        return;
    }
    nf_counter_add(
        strcmp(rd_kafka_topic_name(m->rkt), p->output_topic) == 0 ? p->m_published : p->m_dlq, 1);
    if (nf_id_list_push(&p->acked, id) != NF_OK) {
        /* The row stays in the outbox and is produced again later: at-least-once holds. */
        p->failed++;
    }
}

nf_producer_t *nf_producer_new(const nf_config_t *cfg, char *errstr, size_t errstr_size)
{
    nf_producer_t *p = nf_calloc(1, sizeof(*p));
    if (!p || !(p->output_topic = nf_strdup(cfg->output_topic))) {
        snprintf(errstr, errstr_size, "out of memory");
        nf_free(p);
        return NULL;
    }
    p->m_published =
        nf_counter("newsflow_articles_published_total",
                   "Enriched records acknowledged by the broker on the output topic", NULL, NULL);
    p->m_dlq =
        nf_counter("newsflow_dlq_published_total",
                   "Rejected messages acknowledged by the broker on the DLQ topic", NULL, NULL);
    p->m_failed = nf_counter("newsflow_produce_failures_total",
                             "Deliveries that failed (the row stays in the outbox and is replayed)",
                             NULL, NULL);
    const char *defaults[] = {"client.id",        "newsflow", "linger.ms", "5",
                              "compression.type", "lz4",      NULL};
    const char *forced[] = {"enable.idempotence", "true", NULL};
    rd_kafka_conf_t *conf = nf_kafka_conf_new(cfg, defaults, forced, errstr, errstr_size);
    if (!conf) {
        nf_free(p->output_topic);
        nf_free(p);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    rd_kafka_conf_set_opaque(conf, p);
    char err[512];
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!p->rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(errstr, errstr_size, "kafka producer: %s", err);
        nf_free(p->output_topic);
        nf_free(p);
        return NULL;
    }
    return p;
}

/* Headers come from the outbox row as a JSON object of strings. */
static rd_kafka_headers_t *make_headers(const char *headers_json)
{
    if (!headers_json)
        return NULL;
    json_t *obj = json_loads(headers_json, 0, NULL);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return NULL;
    }
    rd_kafka_headers_t *h = rd_kafka_headers_new(json_object_size(obj));
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        if (json_is_string(val))
            rd_kafka_header_add(h, key, -1, json_string_value(val),
                                (ssize_t)json_string_length(val));
    }
    json_decref(obj);
    return h;
}

nf_err_t nf_producer_send(nf_producer_t *p, const nf_outbox_row_t *row, int timeout_ms)
{
    rd_kafka_headers_t *headers = make_headers(row->headers_json);
    int waited = 0;
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            p->rk, RD_KAFKA_V_TOPIC(row->topic),
            RD_KAFKA_V_KEY((void *)row->key, row->key ? row->key_len : 0),
            RD_KAFKA_V_VALUE((void *)row->payload, row->payload_len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE((void *)(intptr_t)row->id),
            RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
        if (!err) {
            p->in_flight++;
            return NF_OK; /* librdkafka now owns the headers */
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || waited >= timeout_ms) {
            if (headers)
                rd_kafka_headers_destroy(headers);
            nf_log(NF_LOG_WARN, "produce failed; the row stays in the outbox", "error",
                   rd_kafka_err2str(err), "topic", row->topic, NULL);
            return err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? NF_ERR_TIMEOUT : NF_ERR_KAFKA;
        }
        rd_kafka_poll(p->rk, 50);
        waited += 50;
    }
}

void nf_producer_poll(nf_producer_t *p, int timeout_ms)
{
    rd_kafka_poll(p->rk, timeout_ms);
}

nf_err_t nf_producer_take_acked(nf_producer_t *p, nf_id_list_t *acked)
{
    for (size_t i = 0; i < p->acked.count; i++)
        if (nf_id_list_push(acked, p->acked.ids[i]) != NF_OK) { /* the rest stay, once each */
            memmove(p->acked.ids, p->acked.ids + i, (p->acked.count - i) * sizeof(int64_t));
            p->acked.count -= i;
            return NF_ERR_NOMEM;
        }
    p->acked.count = 0;
    return NF_OK;
}

size_t nf_producer_take_failed(nf_producer_t *p)
{
    size_t f = p->failed;
    p->failed = 0;
    return f;
}

size_t nf_producer_in_flight(const nf_producer_t *p)
{
    return p->in_flight;
}

int nf_producer_fatal(nf_producer_t *p, char *errstr, size_t errstr_size)
{
    return rd_kafka_fatal_error(p->rk, errstr, errstr_size) != RD_KAFKA_RESP_ERR_NO_ERROR;
}

nf_err_t nf_producer_flush(nf_producer_t *p, int timeout_ms)
{
    rd_kafka_resp_err_t err = rd_kafka_flush(p->rk, timeout_ms);
    return err == RD_KAFKA_RESP_ERR_NO_ERROR ? NF_OK : NF_ERR_TIMEOUT;
}

void nf_producer_destroy(nf_producer_t *p)
{
    if (!p)
        return;
    if (p->rk)
        rd_kafka_destroy(p->rk);
    nf_id_list_free(&p->acked);
    nf_free(p->output_topic);
    nf_free(p);
}
