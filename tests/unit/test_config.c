/* Config: defaults, flags/env/file precedence, errors that name the setting, redaction. */
#include "nf_test.h"

#include "newsflow/alloc.h"
#include "newsflow/config.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

static nf_err_t load_cmd(nf_config_t **out, unsigned cmd, int argc, char **argv, char **envp,
                         char *errstr, size_t errstr_size)
{
    nf_config_t *cfg = nf_config_new();
    assert_non_null(cfg);
    errstr[0] = '\0';
    nf_err_t err = nf_config_load(cfg, cmd, argc, argv, envp, errstr, errstr_size);
    *out = cfg;
    return err;
}

static nf_err_t load(nf_config_t **out, int argc, char **argv, char **envp, char *errstr)
{
    return load_cmd(out, NF_CMD_RUN, argc, argv, envp, errstr, 256);
}

/* Writes `text` to a new temporary file; path receives its name. */
static void write_temp(char *path, const char *text)
{
    strcpy(path, "/tmp/nf-test-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *kafka_value(const nf_config_t *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->kafka_count; i++)
        if (strcmp(cfg->kafka_keys[i], key) == 0)
            return cfg->kafka_values[i];
    return NULL;
}

static char *print_config(const nf_config_t *cfg, unsigned cmd)
{
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    assert_non_null(mem);
    nf_config_print(cfg, cmd, mem);
    fclose(mem);
    return text;
}

static void test_defaults(void **state)
{
    (void)state;
    nf_config_t *cfg = nf_config_new();
    assert_non_null(cfg);
    assert_string_equal(cfg->brokers, "localhost:9092");
    assert_string_equal(cfg->group_id, "newsflow");
    assert_string_equal(cfg->input_topic, "articles.raw");
    assert_string_equal(cfg->output_topic, "articles.enriched");
    assert_string_equal(cfg->dlq_topic, "articles.dlq");
    assert_string_equal(cfg->pg_url, "postgresql:///newsflow");
    assert_int_equal(cfg->batch_max_messages, 4500);
    assert_int_equal(cfg->batch_max_bytes, 16777216);
    assert_int_equal(cfg->write_chunk_bytes, 4194304);
    assert_int_equal(cfg->batch_max_wait_ms, 500);
    assert_int_equal(cfg->max_message_bytes, 1048576);
    assert_int_equal(cfg->dlq_max_payload_bytes, 900000);
    assert_int_equal(cfg->dedup_cache_entries, 500000);
    assert_int_equal(cfg->backoff_initial_ms, 200);
    assert_int_equal(cfg->backoff_max_ms, 30000);
    assert_int_equal(cfg->shutdown_timeout_ms, 25000);
    assert_int_equal(cfg->stop_at_end, 0);
    assert_int_equal(cfg->http_port, 9464);
    assert_string_equal(cfg->http_bind, "0.0.0.0");
    assert_string_equal(cfg->input, "-");
    assert_string_equal(cfg->log_level, "info");
    assert_string_equal(cfg->config_file, "");
    assert_int_equal(cfg->kafka_count, 0);

    /* loading nothing changes nothing */
    char *argv[] = {"run", NULL};
    char errstr[256];
    assert_int_equal(nf_config_load(cfg, NF_CMD_RUN, 1, argv, NULL, errstr, sizeof(errstr)), NF_OK);
    assert_int_equal(cfg->batch_max_messages, 4500);
    assert_string_equal(cfg->group_id, "newsflow");
    nf_config_destroy(cfg);
    nf_config_destroy(NULL);
}

static void test_precedence(void **state)
{
    (void)state;
    char path[64];
    write_temp(path, "# a comment\n"
                     "\n"
                     "   batch_max_messages   =   100   \n"
                     "group_id = from-file\n"
                     "input_topic = file-topic\n"
                     "output_topic = file-out\n"
                     "kafka.socket.timeout.ms = 1234\n"
                     "kafka.client.id=stellin-worker\n");
    char config_flag[80];
    snprintf(config_flag, sizeof(config_flag), "--config=%s", path);
    char *argv[] = {"run", config_flag, "--group-id", "from-flag", "--stop-at-end", NULL};
    char *envp[] = {"NEWSFLOW_GROUP_ID=from-env",
                    "NEWSFLOW_INPUT_TOPIC=env-topic",
                    "NEWSFLOW_KAFKA_SECURITY_PROTOCOL=SASL_SSL",
                    "UNRELATED=1",
                    "NEWSFLOW_NOT_A_SETTING=7",
                    NULL};
    char errstr[256];
    nf_config_t *cfg;
    assert_int_equal(load(&cfg, ARGC(argv), argv, envp, errstr), NF_OK);
    assert_string_equal(cfg->group_id, "from-flag");     /* flag > env > file */
    assert_string_equal(cfg->input_topic, "env-topic");  /* env > file */
    assert_string_equal(cfg->output_topic, "file-out");  /* file > default */
    assert_int_equal(cfg->batch_max_messages, 100);      /* file, values trimmed */
    assert_string_equal(cfg->dlq_topic, "articles.dlq"); /* default */
    assert_int_equal(cfg->stop_at_end, 1);               /* bool flag without a value */
    assert_string_equal(cfg->config_file, path);
    assert_string_equal(kafka_value(cfg, "security.protocol"), "SASL_SSL");
    assert_string_equal(kafka_value(cfg, "socket.timeout.ms"), "1234");
    assert_string_equal(kafka_value(cfg, "client.id"), "stellin-worker");
    assert_int_equal(cfg->kafka_count, 3);
    nf_config_destroy(cfg);

    /* the same kafka property from file, env and flag: the flag wins, one entry */
    char *argv2[] = {"run", config_flag, "--kafka", "client.id=from-flag", NULL};
    char *envp2[] = {"NEWSFLOW_KAFKA_CLIENT_ID=from-env", NULL};
    assert_int_equal(load(&cfg, ARGC(argv2), argv2, envp2, errstr), NF_OK);
    assert_string_equal(kafka_value(cfg, "client.id"), "from-flag");
    size_t seen = 0;
    for (size_t i = 0; i < cfg->kafka_count; i++)
        seen += strcmp(cfg->kafka_keys[i], "client.id") == 0;
    assert_int_equal(seen, 1);
    nf_config_destroy(cfg);

    /* the file named by NEWSFLOW_CONFIG; env still beats it */
    char env_config[96];
    snprintf(env_config, sizeof(env_config), "NEWSFLOW_CONFIG=%s", path);
    char *argv3[] = {"run", NULL};
    char *envp3[] = {env_config, "NEWSFLOW_BATCH_MAX_MESSAGES=250", NULL};
    assert_int_equal(load(&cfg, ARGC(argv3), argv3, envp3, errstr), NF_OK);
    assert_string_equal(cfg->group_id, "from-file");
    assert_int_equal(cfg->batch_max_messages, 250);
    nf_config_destroy(cfg);
    unlink(path);
}

static void test_flag_forms(void **state)
{
    (void)state;
    char errstr[256];
    nf_config_t *cfg;
    char *argv[] = {"run",
                    "--brokers=kessel-1:9092,kessel-2:9092",
                    "--input-topic",
                    "wires.raw",
                    "--batch_max_messages=42", /* '_' works as well as '-' */
                    "--batch-max-wait-ms",
                    "750",
                    "--kafka=acks=all",
                    "--kafka",
                    "linger.ms=5",
                    "--stop-at-end=false",
                    "--http-port=0",
                    NULL};
    assert_int_equal(load(&cfg, ARGC(argv), argv, NULL, errstr), NF_OK);
    assert_string_equal(cfg->brokers, "kessel-1:9092,kessel-2:9092");
    assert_string_equal(cfg->input_topic, "wires.raw");
    assert_int_equal(cfg->batch_max_messages, 42);
    assert_int_equal(cfg->batch_max_wait_ms, 750);
    assert_string_equal(kafka_value(cfg, "acks"), "all");
    assert_string_equal(kafka_value(cfg, "linger.ms"), "5");
    assert_int_equal(cfg->stop_at_end, 0);
    assert_int_equal(cfg->http_port, 0);
    nf_config_destroy(cfg);

    /* a bool flag without a value is true and does not eat the next flag */
    char *argv2[] = {"run", "--stop-at-end", "--group-id", "g2", NULL};
    assert_int_equal(load(&cfg, ARGC(argv2), argv2, NULL, errstr), NF_OK);
    assert_int_equal(cfg->stop_at_end, 1);
    assert_string_equal(cfg->group_id, "g2");
    nf_config_destroy(cfg);

    /* bool spellings, from the environment */
    const char *truthy[] = {"true", "1", "yes", "on"};
    for (size_t i = 0; i < 4; i++) {
        char entry[64];
        snprintf(entry, sizeof(entry), "NEWSFLOW_STOP_AT_END=%s", truthy[i]);
        char *envp[] = {entry, NULL};
        char *a[] = {"run", NULL};
        assert_int_equal(load(&cfg, 1, a, envp, errstr), NF_OK);
        assert_int_equal(cfg->stop_at_end, 1);
        nf_config_destroy(cfg);
    }

    /* bounds are inclusive */
    char *argv3[] = {"run", "--batch-max-messages=1", "--http-port", "65535", NULL};
    assert_int_equal(load(&cfg, ARGC(argv3), argv3, NULL, errstr), NF_OK);
    assert_int_equal(cfg->batch_max_messages, 1);
    assert_int_equal(cfg->http_port, 65535);
    nf_config_destroy(cfg);

    /* an enrich option under enrich; env meant for run only is ignored there */
    char *argv4[] = {"enrich", "--input", "/tmp/mirograd.jsonl", "--max-message-bytes=2048", NULL};
    char *envp4[] = {"NEWSFLOW_BATCH_MAX_MESSAGES=0", NULL};
    assert_int_equal(load_cmd(&cfg, NF_CMD_ENRICH, ARGC(argv4), argv4, envp4, errstr, 256), NF_OK);
    assert_string_equal(cfg->input, "/tmp/mirograd.jsonl");
    assert_int_equal(cfg->max_message_bytes, 2048);
    assert_int_equal(cfg->batch_max_messages, 4500);
    nf_config_destroy(cfg);
}

/* Loads argv/envp for run, expects NF_ERR_CONFIG and every `needles` in the message. */
static void expect_error(int argc, char **argv, char **envp, const char *needle1,
                         const char *needle2)
{
    char errstr[256];
    nf_config_t *cfg;
    assert_int_equal(load(&cfg, argc, argv, envp, errstr), NF_ERR_CONFIG);
    if (!strstr(errstr, needle1) || (needle2 && !strstr(errstr, needle2)))
        fail_msg("error '%s' lacks '%s' / '%s'", errstr, needle1, needle2 ? needle2 : "");
    nf_config_destroy(cfg);
}

static void test_errors(void **state)
{
    (void)state;
    char *a1[] = {"run", "--batch-max-messages=0", NULL};
    expect_error(ARGC(a1), a1, NULL, "batch_max_messages", "outside [1, 20000]");
    char *a1b[] = {"run", "--batch-max-messages", "20001", NULL};
    expect_error(ARGC(a1b), a1b, NULL, "batch_max_messages", "20001");
    char *a1c[] = {"run", "--http-port=-1", NULL};
    expect_error(ARGC(a1c), a1c, NULL, "http_port", "outside");

    char *a2[] = {"run", "--batch-max-wait-ms", "soon", NULL};
    expect_error(ARGC(a2), a2, NULL, "batch_max_wait_ms", "not an integer");
    char *a2b[] = {"run", "--batch-max-wait-ms=12ms", NULL};
    expect_error(ARGC(a2b), a2b, NULL, "batch_max_wait_ms", "not an integer");
    char *a2c[] = {"run", "--batch-max-wait-ms=", NULL};
    expect_error(ARGC(a2c), a2c, NULL, "batch_max_wait_ms", "not an integer");
    char *a2d[] = {"run", "--batch-max-bytes=99999999999999999999999", NULL};
    expect_error(ARGC(a2d), a2d, NULL, "batch_max_bytes", "not an integer");

    char *a3[] = {"run", "--no-such-thing", NULL};
    expect_error(ARGC(a3), a3, NULL, "unknown option", "--no-such-thing");
    char *a3b[] = {"run", "--no-such-thing=5", NULL};
    expect_error(ARGC(a3b), a3b, NULL, "unknown option", "--no-such-thing");
    char *a3c[] = {"run", "stray", NULL};
    expect_error(ARGC(a3c), a3c, NULL, "unexpected argument", "stray");

    char *a4[] = {"run", "--input", "x.jsonl", NULL}; /* an enrich option */
    expect_error(ARGC(a4), a4, NULL, "unknown option", "--input");

    char *a5[] = {"run", "--group-id", NULL}; /* a value is missing */
    expect_error(ARGC(a5), a5, NULL, "group-id", "needs a value");
    char *a5b[] = {"run", "--kafka", NULL};
    expect_error(ARGC(a5b), a5b, NULL, "--kafka", NULL);
    char *a5c[] = {"run", "--kafka", "no-equals-sign", NULL};
    expect_error(ARGC(a5c), a5c, NULL, "kafka", "no-equals-sign");

    char *a6[] = {"run", "--stop-at-end=perhaps", NULL};
    expect_error(ARGC(a6), a6, NULL, "stop_at_end", "not a boolean");

    char *envp[] = {"NEWSFLOW_STOP_AT_END=maybe", NULL};
    char *a7[] = {"run", NULL};
    expect_error(ARGC(a7), a7, envp, "NEWSFLOW_STOP_AT_END", "maybe");
    char *envp2[] = {"NEWSFLOW_BATCH_MAX_MESSAGES=lots", NULL};
    expect_error(ARGC(a7), a7, envp2, "batch_max_messages", "NEWSFLOW_BATCH_MAX_MESSAGES");

    char *a8[] = {"run", "--config", "/nonexistent/newsflow.conf", NULL};
    expect_error(ARGC(a8), a8, NULL, "/nonexistent/newsflow.conf", NULL);

    char *a9[] = {"run", "--backoff-initial-ms=5000", "--backoff-max-ms=1000", NULL};
    expect_error(ARGC(a9), a9, NULL, "backoff_initial_ms", "backoff_max_ms");

    /* errors in the config file name the line and the setting */
    char path[64];
    char flag[96];
    write_temp(path, "group_id = g\n\nbatch_max_bytes = 12\n");
    snprintf(flag, sizeof(flag), "--config=%s", path);
    char *a10[] = {"run", flag, NULL};
    expect_error(ARGC(a10), a10, NULL, "batch_max_bytes", "line 3");
    unlink(path);
    write_temp(path, "colour = blue\n");
    snprintf(flag, sizeof(flag), "--config=%s", path);
    expect_error(ARGC(a10), a10, NULL, "unknown setting", "colour");
    unlink(path);
    write_temp(path, "just some words\n");
    snprintf(flag, sizeof(flag), "--config=%s", path);
    expect_error(ARGC(a10), a10, NULL, "line 1", "name = value");
    unlink(path);
}

static void expect_redacted(const char *in, const char *want)
{
    char *out = nf_config_redact_conninfo(in);
    assert_non_null(out);
    if (strcmp(out, want) != 0)
        fail_msg("redact(%s) = '%s', want '%s'", in, out, want);
    nf_free(out);
}

static void test_redaction(void **state)
{
    (void)state;
    expect_redacted("postgresql://u:pw@h/db", "postgresql://u:***@h/db");
    expect_redacted("postgresql://app:s3cret@db:5432/news", "postgresql://app:***@db:5432/news");
    expect_redacted("postgres://app:s3cret@db", "postgres://app:***@db");
    expect_redacted("host=x password=secret user=y", "host=x password=*** user=y");
    expect_redacted("password=secret", "password=***");
    expect_redacted("host=x password='se cret' user=y", "host=x password=*** user=y");
    expect_redacted("host=x password='it\\'s secret' user=y", "host=x password=*** user=y");
    expect_redacted("postgresql://db/news?user=app&password=s3cret&sslmode=require",
                    "postgresql://db/news?user=app&password=***&sslmode=require");
    expect_redacted("postgresql://db/news?password=s3cret", "postgresql://db/news?password=***");
    /* both forms in one string (found by the fuzzer) */
    expect_redacted("host=h password=s3cret url=postgresql://u:pw@h/db",
                    "host=h password=*** url=postgresql://u:***@h/db");
    /* libpq syntax that reads a password too (each checked against PQconninfoParse) */
    expect_redacted("host=x password = secret user=y", "host=x password = *** user=y");
    expect_redacted("host=x password= secret", "host=x password= ***");
    expect_redacted("host=x\npassword=secret", "host=x\npassword=***");
    expect_redacted("host=x password=se\\ cret user=y", "host=x password=*** user=y");
    expect_redacted("postgresql://u:pa?ss@h/db", "postgresql://u:***@h/db");
    expect_redacted("postgresql://u:pa#ss@h/db", "postgresql://u:***@h/db");

    /* nothing to hide: unchanged */
    const char *plain[] = {"postgresql:///newsflow",
                           "postgresql://app@db:5432/news?sslmode=require",
                           "postgresql://db:5432/news",
                           "host=db user=app dbname=news",
                           "host=db passfile=/etc/pgpass",
                           "",
                           "dbname=news application_name=password_rotation"};
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        expect_redacted(plain[i], plain[i]);
    char *out = nf_config_redact_conninfo(NULL);
    assert_non_null(out);
    assert_string_equal(out, "");
    nf_free(out);
}

static void test_secret_keys(void **state)
{
    (void)state;
    assert_true(nf_config_kafka_key_is_secret("sasl.password"));
    assert_true(nf_config_kafka_key_is_secret("ssl.key.password"));
    assert_true(nf_config_kafka_key_is_secret("sasl.oauthbearer.client.secret"));
    assert_true(nf_config_kafka_key_is_secret("sasl.jaas.config"));
    assert_true(nf_config_kafka_key_is_secret("ssl.key.pem"));
    assert_false(nf_config_kafka_key_is_secret("bootstrap.servers"));
    assert_false(nf_config_kafka_key_is_secret("sasl.username"));
    assert_false(nf_config_kafka_key_is_secret("security.protocol"));
}

static void test_print_hides_secrets(void **state)
{
    (void)state;
    char *argv[] = {"run",
                    "--pg-url",
                    "postgresql://app:hunter2@db/news",
                    "--kafka",
                    "sasl.password=hunter3",
                    "--kafka",
                    "sasl.username=orvane",
                    NULL};
    char *envp[] = {"NEWSFLOW_KAFKA_SSL_KEY_PASSWORD=hunter4", NULL};
    char errstr[256];
    nf_config_t *cfg;
    assert_int_equal(load(&cfg, ARGC(argv), argv, envp, errstr), NF_OK);
    assert_string_equal(cfg->pg_url, "postgresql://app:hunter2@db/news"); /* kept for use */
    char *text = print_config(cfg, NF_CMD_ALL);
    assert_null(strstr(text, "hunter"));
    assert_non_null(strstr(text, "pg_url = postgresql://app:***@db/news\n"));
    assert_non_null(strstr(text, "kafka.sasl.password = ***\n"));
    assert_non_null(strstr(text, "kafka.ssl.key.password = ***\n"));
    assert_non_null(strstr(text, "kafka.sasl.username = orvane\n"));
    assert_non_null(strstr(text, "batch_max_messages = 4500\n"));
    assert_non_null(strstr(text, "stop_at_end = false\n"));
    free(text);
    nf_config_destroy(cfg);

    /* keyword form, including the spaced-out spelling libpq accepts */
    char *argv2[] = {"run", "--pg-url", "host=db password = hunter5 user=app", NULL};
    assert_int_equal(load(&cfg, ARGC(argv2), argv2, NULL, errstr), NF_OK);
    text = print_config(cfg, NF_CMD_RUN);
    assert_null(strstr(text, "hunter"));
    assert_non_null(strstr(text, "pg_url = host=db password = *** user=app\n"));
    free(text);

    /* enrich shows only its own settings */
    text = print_config(cfg, NF_CMD_ENRICH);
    assert_null(strstr(text, "pg_url"));
    assert_null(strstr(text, "kafka."));
    assert_non_null(strstr(text, "input = -\n"));
    assert_non_null(strstr(text, "max_message_bytes = 1048576\n"));
    free(text);
    nf_config_destroy(cfg);
}

static void test_usage(void **state)
{
    (void)state;
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    nf_config_usage(NF_CMD_RUN, mem);
    fclose(mem);
    assert_non_null(strstr(text, "--batch-max-messages"));
    assert_non_null(strstr(text, "NEWSFLOW_BATCH_MAX_MESSAGES"));
    assert_non_null(strstr(text, "range [1, 20000]"));
    assert_non_null(strstr(text, "--kafka"));
    assert_null(strstr(text, "--input ")); /* enrich only */
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_flag_forms),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_redaction),
        cmocka_unit_test(test_secret_keys),
        cmocka_unit_test(test_print_hides_secrets),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
