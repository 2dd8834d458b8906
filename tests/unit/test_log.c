#include "nf_test.h"

#include <jansson.h>

#include "newsflow/error.h"
#include "newsflow/log.h"

/* Runs fn with stderr captured; returns what was written (caller frees). */
static char *capture(void (*fn)(void))
{
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *tmp = tmpfile();
    dup2(fileno(tmp), STDERR_FILENO);
    fn();
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    long size = ftell(tmp);
    rewind(tmp);
    char *text = calloc(1, (size_t)size + 1);
    assert_int_equal(fread(text, 1, (size_t)size, tmp), (size_t)size);
    fclose(tmp);
    return text;
}

static void log_some(void)
{
    nf_log_set_level(NF_LOG_INFO);
    nf_log(NF_LOG_DEBUG, "hidden", NULL);
    nf_log(NF_LOG_INFO, "batch \"committed\"", "partition", "3", "detail", "line\nbreak", "none",
           NULL, NULL);
}

static void test_json_lines(void **state)
{
    (void)state;
    char *text = capture(log_some);
    assert_null(strstr(text, "hidden"));
    char *nl = strchr(text, '\n');
    assert_non_null(nl);
    assert_string_equal(nl + 1, ""); /* exactly one line */
    *nl = '\0';
    json_t *rec = json_loads(text, 0, NULL);
    assert_non_null(rec);
    assert_string_equal(json_string_value(json_object_get(rec, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(rec, "msg")), "batch \"committed\"");
    assert_string_equal(json_string_value(json_object_get(rec, "partition")), "3");
    assert_string_equal(json_string_value(json_object_get(rec, "detail")), "line\nbreak");
    assert_true(json_is_null(json_object_get(rec, "none")));
    const char *ts = json_string_value(json_object_get(rec, "ts"));
    assert_non_null(ts);
    assert_int_equal(strlen(ts), 24); /* 2026-11-24T09:00:00.123Z */
    json_decref(rec);
    free(text);
}

static void log_flood(void)
{
    for (int i = 0; i < 100; i++)
        nf_log(NF_LOG_WARN, "PostgreSQL unreachable", NULL);
}

static void test_rate_limit(void **state)
{
    (void)state;
    char *text = capture(log_flood);
    int lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 10); /* the burst, then silence within the window */
    free(text);
}

static void test_levels_and_errors(void **state)
{
    (void)state;
    assert_int_equal(nf_log_level_parse("debug"), NF_LOG_DEBUG);
    assert_int_equal(nf_log_level_parse("warning"), NF_LOG_WARN);
    assert_int_equal(nf_log_level_parse("off"), NF_LOG_OFF);
    assert_int_equal(nf_log_level_parse("loud"), -1);
    assert_string_equal(nf_err_name(NF_ERR_DB_TRANSIENT), "NF_ERR_DB_TRANSIENT");
    assert_string_equal(nf_err_name(NF_OK), "NF_ERR_OK");
    assert_string_equal(nf_err_str(NF_ERR_NOMEM), "out of memory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_lines),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_levels_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
