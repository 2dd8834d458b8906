#include "nf_test.h"

#include <jansson.h>

#include "newsflow/enrich.h"

static char *run_enrich(const char *input, size_t len, long long max_bytes,
                        nf_enrich_counts_t *counts)
{
    nf_config_t *cfg = nf_config_new();
    cfg->max_message_bytes = max_bytes;
    FILE *in = fmemopen((void *)input, len, "r");
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    char err[256];
    assert_int_equal(nf_enrich_stream(cfg, in, out, counts, err, sizeof(err)), NF_OK);
    fclose(in);
    fclose(out);
    nf_config_destroy(cfg);
    return text;
}

static void test_one_line_per_input_line(void **state)
{
    (void)state;
    char big[5000];
    memset(big, 'x', sizeof(big));
    memcpy(big, "{\"id\":\"big\",\"body\":\"", 20);
    big[sizeof(big) - 1] = '\0';
    char input[8192];
    int len = snprintf(input, sizeof(input),
                       "{\"id\":\"a\",\"body\":\"The Varna rose.\"}\r\n"
                       "not json\n"
                       "{\"id\":\"b\",\"body\":\"Read More\\nThe Varna rose.\"}\n"
                       "%s\n"
                       "[1]\n"
                       "{\"id\":\"c\",\"body\":\"Dunmere library reopened.\"}", /* no final \n */
                       big);
    nf_enrich_counts_t c;
    char *text = run_enrich(input, (size_t)len, 2048, &c);
    assert_int_equal(c.lines, 6);
    assert_int_equal(c.accepted, 3);
    assert_int_equal(c.rejected, 3);
    assert_int_equal(c.duplicates, 1);
    assert_int_equal(c.stories, 2);
    assert_int_equal(c.rejected_by_reason[NF_REJECT_TOO_LARGE], 1);
    assert_int_equal(c.rejected_by_reason[NF_REJECT_INVALID_JSON], 1);
    assert_int_equal(c.rejected_by_reason[NF_REJECT_NOT_OBJECT], 1);

    const char *expect[] = {"a", "line:2", "b", "line:4", "line:5", "c"};
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    for (size_t i = 0; i < 6; i++) {
        assert_non_null(line);
        json_t *obj = json_loads(line, 0, NULL);
        assert_non_null(obj);
        if (strncmp(expect[i], "line:", 5) == 0) {
            assert_int_equal(json_integer_value(json_object_get(obj, "line")), atoi(expect[i] + 5));
            assert_non_null(json_object_get(obj, "error"));
        } else {
            assert_string_equal(json_string_value(json_object_get(obj, "id")), expect[i]);
        }
        if (i == 2) {
            json_t *dedup = json_object_get(obj, "dedup");
            assert_string_equal(json_string_value(json_object_get(dedup, "status")),
                                "exact_duplicate");
            assert_string_equal(json_string_value(json_object_get(dedup, "duplicate_of")), "a");
        }
        json_decref(obj);
        line = strtok_r(NULL, "\n", &save);
    }
    assert_null(line);
    free(text);
}

static void test_counts_json(void **state)
{
    (void)state;
    nf_enrich_counts_t c;
    memset(&c, 0, sizeof(c));
    c.lines = 3;
    c.accepted = 2;
    c.rejected = 1;
    c.rejected_by_reason[NF_REJECT_WRONG_TYPE] = 1;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    nf_enrich_print_counts(&c, out);
    fclose(out);
    json_t *obj = json_loads(text, 0, NULL);
    assert_non_null(obj);
    assert_int_equal(json_integer_value(json_object_get(obj, "accepted")), 2);
    json_t *by = json_object_get(obj, "rejected_by_reason");
    assert_int_equal(json_integer_value(json_object_get(by, "wrong_type")), 1);
    json_decref(obj);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_line_per_input_line),
        cmocka_unit_test(test_counts_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
