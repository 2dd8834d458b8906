/* newsflow: command line entry point. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "newsflow/config.h"
#include "newsflow/enrich.h"
#include "newsflow/gazetteer.h"
#include "newsflow/log.h"
#include "newsflow/pipeline.h"
#include "newsflow/store.h"

extern char **environ;

static volatile sig_atomic_t stop_requested = 0;
static volatile sig_atomic_t shutdown_seconds = 25;

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "{\"level\":\"error\",\"msg\":\"shutdown bound exceeded: exiting; "
                              "uncommitted messages will be read again\"}\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)ignored;
    _exit(0);
}

static void on_stop(int sig)
{
    (void)sig;
    if (stop_requested)
        _exit(130); /* second signal: the operator insists */
    stop_requested = 1;
    alarm((unsigned)shutdown_seconds); /* hard bound, whatever blocks */
}

static void on_hup(int sig)
{
    (void)sig;
    nf_gazetteer_user_request_reload(); /* the pipeline reloads between batches */
}

/* The user gazetteer is loaded before any stage runs; a bad file at start is a config error. */
static int load_user_gazetteer(const nf_config_t *cfg, const char *cmd)
{
    if (!cfg->entities_gazetteer || !cfg->entities_gazetteer[0])
        return 0;
    char err[512];
    if (nf_gazetteer_user_load(cfg->entities_gazetteer, err, sizeof(err)) != NF_OK) {
        fprintf(stderr, "newsflow %s: entities_gazetteer: %s\n", cmd, err);
        return 1;
    }
    return 0;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "newsflow %s: streaming ingestion worker for news articles\n"
        "\n"
        "Usage: newsflow <command> [options]\n"
        "\n"
        "Commands:\n"
        "  run           consume the input topic, enrich, store in PostgreSQL, publish\n"
        "  enrich        the same stages offline: JSONL on stdin (or --input), records on stdout\n"
        "  migrate       apply the SQL migrations to PostgreSQL\n"
        "  check-config  print the effective configuration (secrets redacted)\n"
        "  version       print the version\n"
        "\n"
        "`newsflow <command> --help` lists the options of a command. Every option also reads\n"
        "from a NEWSFLOW_* environment variable and from a --config file.\n",
        NF_VERSION);
}

static int parse_or_exit(nf_config_t *cfg, unsigned cmd, const char *name, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("Usage: newsflow %s [options]\n\n", name);
            nf_config_usage(cmd, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("newsflow %s\n", NF_VERSION);
            return 0;
        }
    }
    char err[512];
    if (nf_config_load(cfg, cmd, argc, argv, environ, err, sizeof(err)) != NF_OK) {
        fprintf(stderr, "newsflow %s: %s\n", name, err);
        return 2;
    }
    int level = nf_log_level_parse(cfg->log_level);
    if (level < 0) {
        fprintf(stderr, "newsflow %s: log_level: unknown level '%s'\n", name, cfg->log_level);
        return 2;
    }
    nf_log_set_level((nf_log_level_t)level);
    return -1;
}

static int cmd_enrich(nf_config_t *cfg)
{
    FILE *in = stdin;
    if (strcmp(cfg->input, "-") != 0 && !(in = fopen(cfg->input, "rb"))) {
        perror(cfg->input);
        return 1;
    }
    nf_enrich_counts_t counts;
    char err[512] = "";
    nf_err_t rc = nf_enrich_stream(cfg, in, stdout, &counts, err, sizeof(err));
    if (in != stdin)
        fclose(in);
    nf_enrich_print_counts(&counts, stderr);
    if (rc != NF_OK) {
        fprintf(stderr, "newsflow enrich: %s\n", err[0] ? err : nf_err_str(rc));
        return 1;
    }
    return 0;
}

static int cmd_migrate(nf_config_t *cfg)
{
    char err[512];
    nf_store_t *store = nf_store_new(cfg, err, sizeof(err));
    if (!store) {
        fprintf(stderr, "newsflow migrate: %s\n", err);
        return 1;
    }
    int applied = 0;
    nf_err_t rc = nf_store_migrate(store, &applied, err, sizeof(err));
    nf_store_destroy(store);
    if (rc != NF_OK) {
        fprintf(stderr, "newsflow migrate: %s\n", err);
        return 1;
    }
    printf("migrations applied: %d (schema is up to date)\n", applied);
    return 0;
}

static int cmd_run(nf_config_t *cfg)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    sa.sa_handler = on_hup;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    shutdown_seconds = (sig_atomic_t)((cfg->shutdown_timeout_ms + 999) / 1000);

    char err[512];
    nf_pipeline_t *p = nf_pipeline_new(cfg, &stop_requested, err, sizeof(err));
    if (!p) {
        if (stop_requested)
            return 0;
        nf_log(NF_LOG_ERROR, "worker could not start", "error", err, NULL);
        return 1;
    }
    nf_err_t rc = nf_pipeline_run(p);
    nf_pipeline_destroy(p);
    return rc == NF_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("newsflow %s (librdkafka %s)\n", NF_VERSION, rd_kafka_version_str());
        return 0;
    }
    struct {
        const char *name;
        unsigned mask;
    } cmds[] = {{"run", NF_CMD_RUN},
                {"enrich", NF_CMD_ENRICH},
                {"migrate", NF_CMD_MIGRATE},
                {"check-config", NF_CMD_RUN}};
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(cmd, cmds[i].name) != 0)
            continue;
        nf_config_t *cfg = nf_config_new();
        if (!cfg) {
            fprintf(stderr, "newsflow: out of memory\n");
            return 1;
        }
        int rc = parse_or_exit(cfg, cmds[i].mask, cmd, argc - 1, argv + 1);
        if (rc < 0) {
            if (!strcmp(cmd, "run"))
                rc = load_user_gazetteer(cfg, cmd) ? 1 : cmd_run(cfg);
            else if (!strcmp(cmd, "enrich"))
                rc = load_user_gazetteer(cfg, cmd) ? 1 : cmd_enrich(cfg);
            else if (!strcmp(cmd, "migrate"))
                rc = cmd_migrate(cfg);
            else {
                nf_config_print(cfg, NF_CMD_ALL, stdout);
                rc = 0;
            }
        }
        nf_config_destroy(cfg);
        return rc;
    }
    fprintf(stderr, "newsflow: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
