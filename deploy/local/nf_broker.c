/* nf-broker: an embedded Kafka broker for the demo and the tests, on librdkafka's mock cluster
 * (real Kafka protocol on loopback ports). Creates the topics (the mock has no CreateTopics
 * API), prints `bootstrap=<address list>`, runs until SIGTERM/SIGINT.
 * Limits of the mock: each partition keeps only its newest ~5 MiB / 100,000 messages.
 *
 * Fault injection (`--control FIFO`): write one command per line to the FIFO:
 *   down BROKER_ID | up BROKER_ID        take a broker off the network and back
 *   rtt BROKER_ID MS                     add round-trip delay to a broker
 *   coordinator GROUP BROKER_ID          make that broker the coordinator of a group
 *   errors API_KEY COUNT ERROR_CODE      the next COUNT requests of that API fail with the
 *                                        error (e.g. `errors 0 5 7`: 5 Produce requests fail
 *                                        with REQUEST_TIMED_OUT; API keys: Produce 0, Fetch 1,
 *                                        OffsetCommit 8, JoinGroup 11, Heartbeat 12) */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
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

/* Applies one control command; prints what it did (or why not) on stderr. */
static void control(rd_kafka_mock_cluster_t *mcluster, char *line)
{
    int a = 0, b = 0, c = 0;
    char group[256];
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (sscanf(line, "down %d", &a) == 1)
        err = rd_kafka_mock_broker_set_down(mcluster, a);
    else if (sscanf(line, "up %d", &a) == 1)
        err = rd_kafka_mock_broker_set_up(mcluster, a);
    else if (sscanf(line, "rtt %d %d", &a, &b) == 2)
        err = rd_kafka_mock_broker_set_rtt(mcluster, a, b);
    else if (sscanf(line, "coordinator %255s %d", group, &a) == 2)
        err = rd_kafka_mock_coordinator_set(mcluster, "group", group, a);
    else if (sscanf(line, "errors %d %d %d", &a, &b, &c) == 3 && b > 0 && b <= 1000) {
        rd_kafka_resp_err_t errs[1000];
        for (int i = 0; i < b; i++)
            errs[i] = (rd_kafka_resp_err_t)c;
        rd_kafka_mock_push_request_errors_array(mcluster, (int16_t)a, (size_t)b, errs);
    } else {
        fprintf(stderr, "nf-broker: unknown control command '%s'\n", line);
        return;
    }
    fprintf(stderr, "nf-broker: %s: %s\n", line, err ? rd_kafka_err2str(err) : "done");
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: nf-broker [--brokers N] [--topic NAME:PARTITIONS]... "
                 "[--bootstrap-file PATH] [--control FIFO] [--help]\n"
                 "Default: 3 brokers; topics articles.raw:12 articles.enriched:12 "
                 "articles.dlq:3\n");
}

/* Parses a whole decimal integer in [min, max]; -1 if it is not one. */
static int parse_int(const char *text, int min, int max)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0' || v < min || v > max)
        return -1;
    return (int)v;
}

static int write_file_atomically(const char *path, const char *text)
{
    char tmp[4096];
    int len = snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
    if (len < 0 || (size_t)len >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int ok = fputs(text, f) >= 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int brokers = 3;
    const char *bootstrap_file = NULL;
    const char *control_path = NULL;
    const char *topics[MAX_TOPICS];
    int partitions[MAX_TOPICS];
    char names[MAX_TOPICS][256];
    int n_topics = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if ((!strcmp(argv[i], "--brokers") || !strcmp(argv[i], "--topic") ||
                    !strcmp(argv[i], "--bootstrap-file") || !strcmp(argv[i], "--control")) &&
                   i + 1 >= argc) {
            fprintf(stderr, "nf-broker: %s needs a value\n", argv[i]);
            usage(stderr);
            return 1;
        } else if (!strcmp(argv[i], "--brokers")) {
            brokers = parse_int(argv[++i], 1, 16);
            if (brokers < 1) {
                fprintf(stderr, "nf-broker: --brokers must be 1..16\n");
                return 1;
            }
        } else if (!strcmp(argv[i], "--control")) {
            control_path = argv[++i];
        } else if (!strcmp(argv[i], "--bootstrap-file")) {
            bootstrap_file = argv[++i];
        } else if (!strcmp(argv[i], "--topic")) {
            const char *spec = argv[++i];
            if (n_topics == MAX_TOPICS) {
                fprintf(stderr, "nf-broker: at most %d --topic options\n", MAX_TOPICS);
                return 1;
            }
            const char *colon = strrchr(spec, ':');
            int parts = colon ? parse_int(colon + 1, 1, 100000) : 0;
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

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

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
    int status = 0;

    int control_fd = -1;
    if (control_path) {
        struct stat st;
        if (mkfifo(control_path, 0600) != 0 && errno != EEXIST) {
            fprintf(stderr, "nf-broker: mkfifo %s: %s\n", control_path, strerror(errno));
            status = 1;
        } else if (stat(control_path, &st) != 0 || !S_ISFIFO(st.st_mode)) {
            fprintf(stderr, "nf-broker: %s exists and is not a FIFO\n", control_path);
            status = 1;
        } else {
            /* O_RDWR: the FIFO never reports end-of-file when a writer goes away. */
            control_fd = open(control_path, O_RDWR | O_NONBLOCK);
            if (control_fd < 0) {
                fprintf(stderr, "nf-broker: open %s: %s\n", control_path, strerror(errno));
                status = 1;
            }
        }
    }
    /* The file first: whoever sees the bootstrap line (or the file) can connect at once. */
    if (status == 0 && bootstrap_file && write_file_atomically(bootstrap_file, bootstraps) != 0) {
        fprintf(stderr, "nf-broker: cannot write %s: %s\n", bootstrap_file, strerror(errno));
        status = 1;
    }
    if (status == 0) {
        printf("bootstrap=%s\n", bootstraps);
        fflush(stdout);
    } else {
        stop = 1;
    }
    char pending[1024];
    size_t used = 0;
    while (!stop) {
        struct pollfd pfd = {control_fd, POLLIN, 0};
        if (control_fd < 0 || poll(&pfd, 1, 200) <= 0) {
            if (control_fd < 0) {
                struct timespec tick = {0, 200 * 1000 * 1000};
                nanosleep(&tick, NULL);
            }
            continue;
        }
        ssize_t n = read(control_fd, pending + used, sizeof(pending) - 1 - used);
        if (n <= 0)
            continue;
        used += (size_t)n;
        pending[used] = '\0';
        char *nl;
        while ((nl = strchr(pending, '\n')) != NULL) {
            *nl = '\0';
            if (nl > pending)
                control(mcluster, pending);
            used -= (size_t)(nl + 1 - pending);
            memmove(pending, nl + 1, used + 1);
        }
        if (used == sizeof(pending) - 1)
            used = 0; /* an over-long line: drop it */
    }
    if (control_fd >= 0)
        close(control_fd);
    rd_kafka_mock_cluster_destroy(mcluster);
    rd_kafka_destroy(rk);
    return status;
}
