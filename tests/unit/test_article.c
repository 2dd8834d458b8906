#include "nf_test.h"

#include "newsflow/article.h"

static nf_validator_t *validator;

static int setup(void **state)
{
    (void)state;
    char err[256];
    validator = nf_validator_new(4096 * 1024, err, sizeof(err));
    return validator ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    nf_validator_destroy(validator);
    return 0;
}

static nf_reject_reason_t reason_of(const char *input, size_t len, nf_reject_t *rej)
{
    nf_article_t a;
    nf_err_t err = nf_article_decode(validator, input, len, &a, rej);
    if (err == NF_OK) {
        nf_article_clear(&a);
        return NF_REJECT_COUNT; /* accepted */
    }
    assert_int_equal(err, NF_ERR_REJECTED);
    assert_true(rej->detail[0] != '\0');
    return rej->reason;
}

#define REASON(lit, rej) reason_of(lit, sizeof(lit) - 1, rej)

static void test_reject_reasons(void **state)
{
    (void)state;
    nf_reject_t rej;
    assert_int_equal(REASON("{\"id\": \"a\", \"body\": ", &rej), NF_REJECT_INVALID_JSON);
    assert_int_equal(REASON("", &rej), NF_REJECT_INVALID_JSON);
    assert_int_equal(REASON("[1, 2]", &rej), NF_REJECT_NOT_OBJECT);
    assert_int_equal(REASON("\"text\"", &rej), NF_REJECT_NOT_OBJECT);
    assert_int_equal(REASON("{\"body\": \"x\"}", &rej), NF_REJECT_MISSING_FIELD);
    assert_non_null(strstr(rej.detail, "'id'"));
    assert_int_equal(REASON("{\"id\": \"a-1\"}", &rej), NF_REJECT_MISSING_FIELD);
    assert_string_equal(rej.id, "a-1");
    assert_int_equal(REASON("{\"id\": 7, \"body\": \"x\"}", &rej), NF_REJECT_WRONG_TYPE);
    assert_int_equal(REASON("{\"id\": \"a\", \"body\": \"x\", \"title\": 7}", &rej),
                     NF_REJECT_WRONG_TYPE);
    assert_non_null(strstr(rej.detail, "title"));
    assert_int_equal(REASON("{\"id\": \"a\", \"body\": \"caf\xc3\x28\"}", &rej),
                     NF_REJECT_INVALID_UTF8);
    assert_int_equal(REASON("{\"id\": \"\", \"body\": \"x\"}", &rej), NF_REJECT_INVALID_VALUE);
    assert_int_equal(REASON("{\"id\": \"a\", \"body\": \"\"}", &rej), NF_REJECT_INVALID_VALUE);
    assert_int_equal(
        REASON("{\"id\": \"a\", \"body\": \"x\", \"published_at\": \"yesterday\"}", &rej),
        NF_REJECT_INVALID_VALUE);
    assert_string_equal(nf_reject_reason_name(NF_REJECT_INVALID_VALUE), "invalid_value");
}

static void test_too_large(void **state)
{
    (void)state;
    nf_reject_t rej;
    /* body over the schema's 500,000 code points (2-byte characters: 1,000,002 bytes) */
    size_t n = 500001;
    char *doc = malloc(2 * n + 64);
    int pos = sprintf(doc, "{\"id\":\"big\",\"body\":\"");
    for (size_t i = 0; i < n; i++) {
        doc[pos++] = (char)0xd0; /* Ж */
        doc[pos++] = (char)0x96;
    }
    pos += sprintf(doc + pos, "\"}");
    assert_int_equal(reason_of(doc, (size_t)pos, &rej), NF_REJECT_TOO_LARGE);
    assert_string_equal(rej.id, "big");
    /* exactly the limit is fine */
    pos = sprintf(doc, "{\"id\":\"ok\",\"body\":\"");
    for (size_t i = 0; i < n - 1; i++) {
        doc[pos++] = (char)0xd0;
        doc[pos++] = (char)0x96;
    }
    pos += sprintf(doc + pos, "\"}");
    assert_int_equal(reason_of(doc, (size_t)pos, &rej), NF_REJECT_COUNT);
    free(doc);

    char err[128];
    nf_validator_t *small = nf_validator_new(16, err, sizeof(err));
    nf_article_t a;
    const char in[] = "{\"id\":\"a\",\"body\":\"more than sixteen bytes\"}";
    assert_int_equal(nf_article_decode(small, in, sizeof(in) - 1, &a, &rej), NF_ERR_REJECTED);
    assert_int_equal(rej.reason, NF_REJECT_TOO_LARGE);
    nf_validator_destroy(small);
}

static void test_valid_article(void **state)
{
    (void)state;
    const char in[] = "{\"id\":\"s-1\",\"source\":null,\"title\":\"Mirograd\",\"body\":\"Text\","
                      "\"published_at\":\"2026-03-14T10:30:00.5+01:00\",\"extra\":{\"k\":[1]}}";
    nf_article_t a;
    nf_reject_t rej;
    assert_int_equal(nf_article_decode(validator, in, sizeof(in) - 1, &a, &rej), NF_OK);
    assert_string_equal(a.id, "s-1");
    assert_null(a.source);
    assert_null(a.url);
    assert_string_equal(a.title, "Mirograd");
    assert_int_equal(a.title_len, 8);
    assert_string_equal(a.body, "Text");
    assert_string_equal(a.published_at, "2026-03-14T10:30:00.5+01:00");
    assert_non_null(json_object_get(a.doc, "extra"));
    nf_article_clear(&a);
    assert_null(a.doc);
}

static void test_rfc3339(void **state)
{
    (void)state;
    assert_true(nf_is_rfc3339("2026-03-14T09:30:00Z"));
    assert_true(nf_is_rfc3339("2026-03-14t09:30:00.123456z"));
    assert_true(nf_is_rfc3339("2026-03-14T10:30:00-05:30"));
    assert_true(nf_is_rfc3339("2024-02-29T00:00:00Z"));
    assert_false(nf_is_rfc3339("2026-02-29T00:00:00Z"));
    assert_false(nf_is_rfc3339("2100-02-29T00:00:00Z"));
    assert_true(nf_is_rfc3339("2000-02-29T00:00:00Z"));
    assert_false(nf_is_rfc3339("2026-02-30T00:00:00Z"));
    assert_false(nf_is_rfc3339("2026-13-01T00:00:00Z"));
    assert_false(nf_is_rfc3339("2026-03-14"));
    assert_false(nf_is_rfc3339("2026-03-14T25:00:00Z"));
    assert_false(nf_is_rfc3339("2026-03-14T09:30:00"));
    assert_false(nf_is_rfc3339("2026-03-14T09:30:00+1:00"));
    assert_false(nf_is_rfc3339("yesterday"));
    assert_false(nf_is_rfc3339("0000-01-01T00:00:00Z"));
}

static void test_schema_compiler(void **state)
{
    (void)state;
    char err[256];
    nf_validator_t *v = nf_validator_new_from_schema(
        "{\"type\":\"object\",\"required\":[\"id\",\"body\"],"
        "\"properties\":{\"id\":{\"type\":\"string\",\"pattern\":\"^a\"}}}",
        1024, err, sizeof(err));
    assert_null(v);
    assert_non_null(strstr(err, "pattern"));
    v = nf_validator_new_from_schema("{\"type\":\"object\",\"minProperties\":1}", 1024, err,
                                     sizeof(err));
    assert_null(v);
    v = nf_validator_new_from_schema("{\"type\":\"array\"}", 1024, err, sizeof(err));
    assert_null(v);
    v = nf_validator_new_from_schema("{\"type\":\"object\",\"required\":[\"id\",\"body\"],"
                                     "\"additionalProperties\":false,"
                                     "\"properties\":{\"id\":{\"type\":\"string\"},"
                                     "\"body\":{\"type\":\"string\"}}}",
                                     1024, err, sizeof(err));
    assert_non_null(v);
    nf_article_t a;
    nf_reject_t rej;
    const char extra[] = "{\"id\":\"a\",\"body\":\"b\",\"x\":1}";
    assert_int_equal(nf_article_decode(v, extra, sizeof(extra) - 1, &a, &rej), NF_ERR_REJECTED);
    assert_int_equal(rej.reason, NF_REJECT_INVALID_VALUE);
    const char ok[] = "{\"id\":\"a\",\"body\":\"b\"}";
    assert_int_equal(nf_article_decode(v, ok, sizeof(ok) - 1, &a, &rej), NF_OK);
    nf_article_clear(&a);
    nf_validator_destroy(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reject_reasons),  cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_valid_article),   cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_schema_compiler),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
