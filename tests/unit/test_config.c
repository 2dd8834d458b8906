#include "nf_test.h"

#include "newsflow/alloc.h"
#include "newsflow/config.h"

static nf_config_t *load(int argc, char **argv, char **envp, nf_err_t *err, char *errstr)
{
    nf_config_t *cfg = nf_config_new();
    assert_non_null(cfg);
    *err = nf_config_load(cfg, NF_CMD_RUN, argc, argv, envp, errstr, 256);
    return cfg;
}

static void test_defaults(void **state)
{
    (void)state;
    nf_config_t *cfg = nf_config_new();
    assert_string_equal(cfg->input_topic, "articles.raw");
    assert_string_equal(cfg->output_topic, "articles.enriched");
    assert_string_equal(cfg->dlq_topic, "articles.dlq");
    assert_int_equal(cfg->batch_max_messages, 500);
    assert_int_equal(cfg->shutdown_timeout_ms, 25000);
    assert_int_equal(cfg->stop_at_end, 0);
    nf_config_destroy(cfg);
}

static void test_precedence(void **state)
{
    (void)state;
    char path[] = "/tmp/nf-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# comment\nbatch_max_messages = 100\ngroup_id = from-file\n"
               "input_topic = file-topic\nkafka.socket.timeout.ms = 1234\n");
    fclose(f);
    char config_flag[64];
    snprintf(config_flag, sizeof(config_flag), "--config=%s", path);
    char *argv[] = {"run", config_flag, "--group-id", "from-flag", "--stop-at-end", NULL};
    char *envp[] = {"NEWSFLOW_GROUP_ID=from-env", "NEWSFLOW_INPUT_TOPIC=env-topic",
                    "NEWSFLOW_KAFKA_SECURITY_PROTOCOL=SASL_SSL", "UNRELATED=1", NULL};
    char errstr[256];
    nf_err_t err;
    nf_config_t *cfg = load(5, argv, envp, &err, errstr);
    assert_int_equal(err, NF_OK);
    assert_string_equal(cfg->group_id, "from-flag");    /* flag > env > file */
    assert_string_equal(cfg->input_topic, "env-topic"); /* env > file */
    assert_int_equal(cfg->batch_max_messages, 100);     /* file > default */
    assert_int_equal(cfg->stop_at_end, 1);
    int seen = 0;
    for (size_t i = 0; i < cfg->kafka_count; i++) {
        if (!strcmp(cfg->kafka_keys[i], "security.protocol")) {
            assert_string_equal(cfg->kafka_values[i], "SASL_SSL");
            seen |= 1;
        }
        if (!strcmp(cfg->kafka_keys[i], "socket.timeout.ms")) {
            assert_string_equal(cfg->kafka_values[i], "1234");
            seen |= 2;
        }
    }
    assert_int_equal(seen, 3);
    nf_config_destroy(cfg);
    unlink(path);
}

static void test_errors(void **state)
{
    (void)state;
    char errstr[256];
    nf_err_t err;
    char *a1[] = {"run", "--batch-max-messages=0", NULL};
    nf_config_t *cfg = load(2, a1, NULL, &err, errstr);
    assert_int_equal(err, NF_ERR_CONFIG);
    assert_non_null(strstr(errstr, "batch_max_messages"));
    nf_config_destroy(cfg);

    char *a2[] = {"run", "--batch-max-wait-ms", "soon", NULL};
    cfg = load(3, a2, NULL, &err, errstr);
    assert_int_equal(err, NF_ERR_CONFIG);
    assert_non_null(strstr(errstr, "not an integer"));
    nf_config_destroy(cfg);

    char *a3[] = {"run", "--no-such-thing", NULL};
    cfg = load(2, a3, NULL, &err, errstr);
    assert_int_equal(err, NF_ERR_CONFIG);
    assert_non_null(strstr(errstr, "unknown option"));
    nf_config_destroy(cfg);

    char *a4[] = {"run", "--input", "x.jsonl", NULL}; /* an enrich option */
    cfg = load(3, a4, NULL, &err, errstr);
    assert_int_equal(err, NF_ERR_CONFIG);
    nf_config_destroy(cfg);

    char *envp[] = {"NEWSFLOW_STOP_AT_END=maybe", NULL};
    char *a5[] = {"run", NULL};
    cfg = load(1, a5, envp, &err, errstr);
    assert_int_equal(err, NF_ERR_CONFIG);
    assert_non_null(strstr(errstr, "NEWSFLOW_STOP_AT_END"));
    nf_config_destroy(cfg);

    char *a6[] = {"run", "--config", "/nonexistent/newsflow.conf", NULL};
    cfg = load(3, a6, NULL, &err, errstr);
    assert_int_equal(err, NF_ERR_CONFIG);
    assert_non_null(strstr(errstr, "/nonexistent/newsflow.conf"));
    nf_config_destroy(cfg);
}

static void expect_redacted(const char *in, const char *want)
{
    char *out = nf_config_redact_conninfo(in);
    assert_non_null(out);
    assert_string_equal(out, want);
    nf_free(out);
}

static void test_redaction(void **state)
{
    (void)state;
    expect_redacted("postgresql://app:s3cret@db:5432/news", "postgresql://app:***@db:5432/news");
    expect_redacted("host=db password=s3cret user=app", "host=db password=*** user=app");
    expect_redacted("host=db password='se cret' user=app", "host=db password=*** user=app");
    expect_redacted("postgresql://db/news?user=app&password=s3cret&sslmode=require",
                    "postgresql://db/news?user=app&password=***&sslmode=require");
    expect_redacted("postgresql:///newsflow", "postgresql:///newsflow");
    /* both forms in one string (found by the fuzzer) */
    expect_redacted("host=h password=s3cret url=postgresql://u:pw@h/db",
                    "host=h password=*** url=postgresql://u:***@h/db");
    expect_redacted("host=db user=app", "host=db user=app");
    assert_true(nf_config_kafka_key_is_secret("sasl.password"));
    assert_true(nf_config_kafka_key_is_secret("sasl.oauthbearer.client.secret"));
    assert_false(nf_config_kafka_key_is_secret("bootstrap.servers"));

    nf_config_t *cfg = nf_config_new();
    char *argv[] = {
        "run", "--pg-url", "postgresql://app:hunter2@db/news", "--kafka", "sasl.password=hunter3",
        NULL};
    char errstr[256];
    assert_int_equal(nf_config_load(cfg, NF_CMD_RUN, 5, argv, NULL, errstr, sizeof(errstr)), NF_OK);
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    nf_config_print(cfg, NF_CMD_ALL, mem);
    fclose(mem);
    assert_null(strstr(text, "hunter2"));
    assert_null(strstr(text, "hunter3"));
    assert_non_null(strstr(text, "kafka.sasl.password = ***"));
    free(text);
    nf_config_destroy(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_redaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
