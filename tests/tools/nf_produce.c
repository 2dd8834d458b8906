/* nf-produce: a test producer for what kcat cannot send: empty and NULL values, whole files as
 * one message (NUL bytes, newlines), optional key and headers.
 *   nf-produce BROKERS TOPIC PARTITION [--key K] [--header name=value]... [--null] FILE...
 * Each FILE becomes one message (an empty file an empty value; --null sends NULL values).
 * Exits non-zero if any delivery fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

static int failures;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err) {
        fprintf(stderr, "nf-produce: delivery failed: %s\n", rd_kafka_err2str(m->err));
        failures++;
    }
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    char *data = malloc((size_t)size + 1);
    if (data && fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *len = (size_t)size;
    return data;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: nf-produce BROKERS TOPIC PARTITION [--key K] "
                        "[--header n=v]... [--null] FILE...\n");
        return 2;
    }
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "message.max.bytes", "100000000", err, sizeof(err))) {
        fprintf(stderr, "nf-produce: %s\n", err);
        return 2;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "nf-produce: %s\n", err);
        return 2;
    }
    const char *topic = argv[2];
    int32_t partition = atoi(argv[3]);
    const char *key = NULL;
    const char *headers[32];
    int n_headers = 0, null_values = 0;
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--key") && i + 1 < argc) {
            key = argv[++i];
        } else if (!strcmp(argv[i], "--header") && i + 1 < argc && n_headers < 32) {
            headers[n_headers++] = argv[++i];
        } else if (!strcmp(argv[i], "--null")) {
            null_values = 1;
        } else {
            size_t len = 0;
            char *data = slurp(argv[i], &len);
            if (!data) {
                fprintf(stderr, "nf-produce: cannot read %s\n", argv[i]);
                failures++;
                continue;
            }
            rd_kafka_headers_t *hdrs = n_headers ? rd_kafka_headers_new((size_t)n_headers) : NULL;
            for (int h = 0; h < n_headers; h++) {
                const char *eq = strchr(headers[h], '=');
                rd_kafka_header_add(hdrs, headers[h], eq ? eq - headers[h] : -1, eq ? eq + 1 : NULL,
                                    eq ? -1 : 0);
            }
            void *value = null_values ? NULL : data;
            size_t value_len = null_values ? 0 : len;
            rd_kafka_resp_err_t e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                RD_KAFKA_V_KEY((void *)key, key ? strlen(key) : 0),
                RD_KAFKA_V_VALUE(value, value_len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
            if (e) {
                fprintf(stderr, "nf-produce: %s: %s\n", argv[i], rd_kafka_err2str(e));
                if (hdrs)
                    rd_kafka_headers_destroy(hdrs);
                failures++;
            }
            free(data);
            rd_kafka_poll(rk, 0);
        }
    }
    if (rd_kafka_flush(rk, 30000)) {
        fprintf(stderr, "nf-produce: flush timed out\n");
        failures++;
    }
    rd_kafka_destroy(rk);
    return failures ? 1 : 0;
}
