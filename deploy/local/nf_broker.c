/* nf-broker: an embedded Kafka broker for the demo and the tests, on librdkafka's mock cluster
 * (real Kafka protocol on loopback ports). Creates the topics (the mock has no CreateTopics
 * API), prints `bootstrap=<address list>`, runs until SIGTERM/SIGINT.
 * Limits of the mock: each partition keeps only its newest ~5 MiB / 100,000 messages. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_TOPICS 64

static volatile sig_atomic_t stop = 0;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: nf-broker [--brokers N] [--topic NAME:PARTITIONS]... "
                 "[--bootstrap-file PATH]\n"
                 "Default topics: articles.raw:12 articles.enriched:12 articles.dlq:3\n");
}

static int write_file_atomically(const char *path, const char *text)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int ok = fputs(text, f) >= 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int brokers = 3;
    const char *bootstrap_file = NULL;
    const char *topics[MAX_TOPICS];
    int partitions[MAX_TOPICS];
    char names[MAX_TOPICS][256];
    int n_topics = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--brokers") && i + 1 < argc) {
            brokers = atoi(argv[++i]);
            if (brokers < 1 || brokers > 16) {
                fprintf(stderr, "nf-broker: --brokers must be 1..16\n");
                return 1;
            }
        } else if (!strcmp(argv[i], "--bootstrap-file") && i + 1 < argc) {
            bootstrap_file = argv[++i];
        } else if (!strcmp(argv[i], "--topic") && i + 1 < argc && n_topics < MAX_TOPICS) {
            const char *spec = argv[++i];
            const char *colon = strrchr(spec, ':');
            int parts = colon ? atoi(colon + 1) : 0;
            size_t len = colon ? (size_t)(colon - spec) : 0;
            if (!colon || parts < 1 || len == 0 || len >= sizeof(names[0])) {
                fprintf(stderr, "nf-broker: --topic expects NAME:PARTITIONS, got '%s'\n", spec);
                return 1;
            }
            memcpy(names[n_topics], spec, len);
            names[n_topics][len] = '\0';
            topics[n_topics] = names[n_topics];
            partitions[n_topics++] = parts;
        } else {
            fprintf(stderr, "nf-broker: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 1;
        }
    }
    if (n_topics == 0) {
        static const char *defaults[] = {"articles.raw", "articles.enriched", "articles.dlq"};
        static const int default_parts[] = {12, 12, 3};
        for (int i = 0; i < 3; i++) {
            topics[i] = defaults[i];
            partitions[i] = default_parts[i];
        }
        n_topics = 3;
    }

    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "nf-broker: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *mcluster = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mcluster) {
        fprintf(stderr, "nf-broker: could not create the mock cluster\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    for (int i = 0; i < n_topics; i++) {
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mcluster, topics[i], partitions[i],
                                                             brokers < 3 ? brokers : 3);
        if (err) {
            fprintf(stderr, "nf-broker: topic %s: %s\n", topics[i], rd_kafka_err2str(err));
            rd_kafka_mock_cluster_destroy(mcluster);
            rd_kafka_destroy(rk);
            return 1;
        }
    }
    const char *bootstraps = rd_kafka_mock_cluster_bootstraps(mcluster);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    printf("bootstrap=%s\n", bootstraps);
    fflush(stdout);
    if (bootstrap_file && write_file_atomically(bootstrap_file, bootstraps) != 0) {
        fprintf(stderr, "nf-broker: cannot write %s: %s\n", bootstrap_file, strerror(errno));
        stop = 1;
    }
    while (!stop) {
        struct timespec tick = {0, 200 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    rd_kafka_mock_cluster_destroy(mcluster);
    rd_kafka_destroy(rk);
    return 0;
}
