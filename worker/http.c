#include "newsflow/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "newsflow/alloc.h"
#include "newsflow/buf.h"
#include "newsflow/clock.h"
#include "newsflow/metrics.h"

struct nf_http {
    struct MHD_Daemon *daemon;
    nf_health_t *health;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
                             const char *body, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    nf_http_t *h = cls;
    const char *json = "application/json";
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, json, "{\"error\":\"GET only\"}\n", 20);
    char body[256];
    if (strcmp(url, "/metrics") == 0) {
        nf_buf_t out = NF_BUF_INIT;
        nf_metrics_render(&out);
        enum MHD_Result r =
            out.failed ? reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, json, "{}\n", 3)
                       : reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                               out.data ? out.data : "", out.len);
        nf_buf_free(&out);
        return r;
    }
    if (strcmp(url, "/healthz") == 0) {
        int64_t age = nf_monotonic_ms() - atomic_load(&h->health->heartbeat_ms);
        int ok = age <= h->health->stall_ms;
        int n = snprintf(body, sizeof(body), "{\"alive\":%s,\"loop_age_ms\":%lld}\n",
                         ok ? "true" : "false", (long long)age);
        return reply(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, json, body, (size_t)n);
    }
    if (strcmp(url, "/readyz") == 0) {
        int assigned = atomic_load(&h->health->assigned);
        int pg_ok = atomic_load(&h->health->pg_ok);
        int backoff = atomic_load(&h->health->backoff);
        int ready = assigned > 0 && pg_ok && !backoff;
        int n = snprintf(body, sizeof(body),
                         "{\"ready\":%s,\"assigned_partitions\":%d,\"postgres\":%s,"
                         "\"backoff\":%s}\n",
                         ready ? "true" : "false", assigned, pg_ok ? "true" : "false",
                         backoff ? "true" : "false");
        return reply(conn, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, json, body,
                     (size_t)n);
    }
    return reply(conn, MHD_HTTP_NOT_FOUND, json,
                 "{\"error\":\"not found; try /metrics, /healthz, /readyz\"}\n", 55);
}

nf_http_t *nf_http_start(const char *bind_address, int port, nf_health_t *health, char *errstr,
                         size_t errstr_size)
{
    errstr[0] = '\0';
    if (port == 0)
        return NULL;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, bind_address, &addr.sin_addr) != 1) {
        snprintf(errstr, errstr_size, "http_bind: '%s' is not an IPv4 address", bind_address);
        return NULL;
    }
    nf_http_t *h = nf_calloc(1, sizeof(*h));
    if (!h) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    h->health = health;
    h->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL,
                                 handle, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64, MHD_OPTION_END);
    if (!h->daemon) {
        snprintf(errstr, errstr_size, "http: cannot listen on %s:%d (port in use?)", bind_address,
                 port);
        nf_free(h);
        return NULL;
    }
    return h;
}

void nf_http_stop(nf_http_t *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->daemon);
    nf_free(h);
}
