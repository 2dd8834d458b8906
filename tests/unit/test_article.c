/* Decoder and validator of raw articles (the compiled-in schema), RFC 3339, schema compiler. */
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

/* Decodes with `v`; returns the reject reason, or NF_REJECT_COUNT when accepted. */
static nf_reject_reason_t reason_with(const nf_validator_t *v, const char *input, size_t len,
                                      nf_reject_t *rej)
{
    nf_article_t a;
    nf_err_t err = nf_article_decode(v, input, len, &a, rej);
    if (err == NF_OK) {
        assert_non_null(a.doc.text);
        nf_article_clear(&a);
        return NF_REJECT_COUNT; /* accepted */
    }
    assert_int_equal(err, NF_ERR_REJECTED);
    assert_null(a.doc.text); /* nothing to release on a reject */
    assert_null(a.doc.members);
    assert_true(rej->detail[0] != '\0');
    assert_non_null(memchr(rej->detail, '\0', sizeof(rej->detail)));
    return rej->reason;
}

static nf_reject_reason_t reason_of(const char *input, size_t len, nf_reject_t *rej)
{
    return reason_with(validator, input, len, rej);
}

#define REASON(lit, rej) reason_of(lit, sizeof(lit) - 1, rej)

static void test_invalid_json(void **state)
{
    (void)state;
    nf_reject_t rej;
    assert_int_equal(REASON("{\"id\": \"a\", \"body\": ", &rej), NF_REJECT_INVALID_JSON);
    assert_string_equal(rej.id, "");
    assert_non_null(strstr(rej.detail, "at byte"));
    assert_int_equal(REASON("", &rej), NF_REJECT_INVALID_JSON);
    assert_int_equal(REASON("not json at all", &rej), NF_REJECT_INVALID_JSON);
    assert_int_equal(REASON("{\"id\":\"a\",\"body\":\"b\"} trailing", &rej),
                     NF_REJECT_INVALID_JSON);
    assert_int_equal(REASON("{\"id\":\"a\",\"id\":\"b\",\"body\":\"x\"}", &rej),
                     NF_REJECT_INVALID_JSON); /* duplicate key */
    assert_int_equal(REASON("{\"id\":\"a\",\"body\":\"x\\u0000y\"}", &rej),
                     NF_REJECT_INVALID_JSON); /* NUL inside a string */
    assert_int_equal(REASON("{'id':'a','body':'x'}", &rej), NF_REJECT_INVALID_JSON);
    assert_string_equal(nf_reject_reason_name(NF_REJECT_INVALID_JSON), "invalid_json");
}

static void test_not_object(void **state)
{
    (void)state;
    nf_reject_t rej;
    assert_int_equal(REASON("[1, 2]", &rej), NF_REJECT_NOT_OBJECT);
    assert_non_null(strstr(rej.detail, "array"));
    assert_int_equal(REASON("\"text\"", &rej), NF_REJECT_NOT_OBJECT);
    assert_non_null(strstr(rej.detail, "string"));
    assert_int_equal(REASON("42", &rej), NF_REJECT_NOT_OBJECT);
    assert_non_null(strstr(rej.detail, "an integer"));
    assert_int_equal(REASON("null", &rej), NF_REJECT_NOT_OBJECT);
    assert_int_equal(REASON("true", &rej), NF_REJECT_NOT_OBJECT);
    assert_string_equal(nf_reject_reason_name(NF_REJECT_NOT_OBJECT), "not_object");
}

static void test_missing_and_wrong_type(void **state)
{
    (void)state;
    nf_reject_t rej;
    assert_int_equal(REASON("{\"body\": \"x\"}", &rej), NF_REJECT_MISSING_FIELD);
    assert_non_null(strstr(rej.detail, "'id'"));
    assert_string_equal(rej.id, "");
    assert_int_equal(REASON("{\"id\": \"a-1\"}", &rej), NF_REJECT_MISSING_FIELD);
    assert_non_null(strstr(rej.detail, "'body'"));
    assert_string_equal(rej.id, "a-1"); /* filled: the id could be read */
    assert_int_equal(REASON("{}", &rej), NF_REJECT_MISSING_FIELD);

    assert_int_equal(REASON("{\"id\": 7, \"body\": \"x\"}", &rej), NF_REJECT_WRONG_TYPE);
    assert_non_null(strstr(rej.detail, "'id'"));
    assert_non_null(strstr(rej.detail, "integer"));
    assert_string_equal(rej.id, ""); /* not a string: not readable */
    assert_int_equal(REASON("{\"id\": null, \"body\": \"x\"}", &rej), NF_REJECT_WRONG_TYPE);
    assert_int_equal(REASON("{\"id\": \"w-2\", \"body\": [\"x\"]}", &rej), NF_REJECT_WRONG_TYPE);
    assert_non_null(strstr(rej.detail, "'body'"));
    assert_non_null(strstr(rej.detail, "array"));
    assert_string_equal(rej.id, "w-2");
    assert_int_equal(REASON("{\"id\": \"w-3\", \"body\": null}", &rej), NF_REJECT_WRONG_TYPE);
    assert_int_equal(REASON("{\"id\": \"a\", \"body\": \"x\", \"title\": 7}", &rej),
                     NF_REJECT_WRONG_TYPE);
    assert_non_null(strstr(rej.detail, "title"));
    assert_non_null(strstr(rej.detail, "string or null"));
    assert_int_equal(REASON("{\"id\": \"a\", \"body\": \"x\", \"published_at\": 1773480600}", &rej),
                     NF_REJECT_WRONG_TYPE);
    assert_int_equal(REASON("{\"id\": \"a\", \"body\": \"x\", \"url\": {\"href\": \"u\"}}", &rej),
                     NF_REJECT_WRONG_TYPE);
    assert_int_equal(REASON("{\"id\": \"a\", \"body\": \"x\", \"source\": false}", &rej),
                     NF_REJECT_WRONG_TYPE);
    assert_string_equal(nf_reject_reason_name(NF_REJECT_MISSING_FIELD), "missing_field");
    assert_string_equal(nf_reject_reason_name(NF_REJECT_WRONG_TYPE), "wrong_type");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    nf_reject_t rej;
    /* raw invalid bytes inside a string value, in a key, and an encoded surrogate */
    assert_int_equal(REASON("{\"id\": \"a\", \"body\": \"caf\xc3\x28\"}", &rej),
                     NF_REJECT_INVALID_UTF8);
    assert_int_equal(REASON("{\"id\": \"a\", \"body\": \"Kessel \xff\xfe flood\"}", &rej),
                     NF_REJECT_INVALID_UTF8);
    assert_int_equal(REASON("{\"id\": \"a\", \"b\xe9ody\": \"x\"}", &rej), NF_REJECT_INVALID_UTF8);
    assert_int_equal(REASON("{\"id\": \"a\", \"body\": \"\xed\xa0\x80\"}", &rej),
                     NF_REJECT_INVALID_UTF8);
    assert_int_equal(REASON("{\"id\": \"a\", \"body\": \"\xc0\xaf\"}", &rej),
                     NF_REJECT_INVALID_UTF8); /* overlong */
    assert_string_equal(nf_reject_reason_name(NF_REJECT_INVALID_UTF8), "invalid_utf8");
}

/* Builds {"id":"<id>","body":"<n copies of the UTF-8 character ch>"}; caller frees. */
static char *doc_with_body(const char *id, const char *ch, size_t n, size_t *len)
{
    size_t chl = strlen(ch);
    char *doc = malloc(n * chl + strlen(id) + 64);
    assert_non_null(doc);
    int pos = sprintf(doc, "{\"id\":\"%s\",\"body\":\"", id);
    for (size_t i = 0; i < n; i++) {
        memcpy(doc + pos, ch, chl);
        pos += (int)chl;
    }
    pos += sprintf(doc + pos, "\"}");
    *len = (size_t)pos;
    return doc;
}

static void test_too_large(void **state)
{
    (void)state;
    nf_reject_t rej;
    size_t len;
    /* body over the schema's 500,000 code points (2-byte characters: 1,000,002 bytes), which
     * the 4 MiB message limit allows: the schema's maxLength counts code points, not bytes */
    char *doc = doc_with_body("big", "\xd0\x96", 500001, &len);
    assert_int_equal(reason_of(doc, len, &rej), NF_REJECT_TOO_LARGE);
    assert_string_equal(rej.id, "big");
    assert_non_null(strstr(rej.detail, "500001"));
    assert_non_null(strstr(rej.detail, "500000"));
    free(doc);
    /* exactly the limit is fine, with 1-, 2- and 4-byte characters */
    doc = doc_with_body("ok", "\xd0\x96", 500000, &len);
    assert_int_equal(reason_of(doc, len, &rej), NF_REJECT_COUNT);
    free(doc);
    doc = doc_with_body("ok", "x", 500000, &len);
    assert_int_equal(reason_of(doc, len, &rej), NF_REJECT_COUNT);
    free(doc);
    doc = doc_with_body("ok", "\xf0\x9f\x8c\x8a", 500000, &len); /* 2,000,000 bytes */
    assert_int_equal(reason_of(doc, len, &rej), NF_REJECT_COUNT);
    free(doc);
    doc = doc_with_body("big", "x", 500001, &len);
    assert_int_equal(reason_of(doc, len, &rej), NF_REJECT_TOO_LARGE);
    free(doc);

    /* id over its 256 code points */
    char id[300];
    memset(id, 'k', 257);
    id[257] = '\0';
    char in[400];
    int n = snprintf(in, sizeof(in), "{\"id\":\"%s\",\"body\":\"x\"}", id);
    assert_int_equal(reason_of(in, (size_t)n, &rej), NF_REJECT_TOO_LARGE);
    id[256] = '\0';
    n = snprintf(in, sizeof(in), "{\"id\":\"%s\",\"body\":\"x\"}", id);
    assert_int_equal(reason_of(in, (size_t)n, &rej), NF_REJECT_COUNT);

    /* by max_message_bytes: checked on the raw bytes before any parsing */
    char err[128];
    nf_validator_t *small = nf_validator_new(40, err, sizeof(err));
    assert_non_null(small);
    const char fits[] = "{\"id\":\"a\",\"body\":\"Dunmere\"}";               /* 27 bytes */
    const char over[] = "{\"id\":\"a\",\"body\":\"Dunmere floods again!\"}"; /* 41 */
    assert_int_equal(reason_with(small, fits, sizeof(fits) - 1, &rej), NF_REJECT_COUNT);
    assert_int_equal(reason_with(small, over, sizeof(over) - 1, &rej), NF_REJECT_TOO_LARGE);
    assert_non_null(strstr(rej.detail, "41"));
    assert_non_null(strstr(rej.detail, "max_message_bytes"));
    assert_string_equal(rej.id, ""); /* not parsed, so not known */
    /* even garbage is too_large first, not invalid_json */
    char junk[64];
    memset(junk, '{', sizeof(junk));
    assert_int_equal(reason_with(small, junk, sizeof(junk), &rej), NF_REJECT_TOO_LARGE);
    /* exactly the limit passes */
    char exact[41];
    n = snprintf(exact, sizeof(exact), "{\"id\":\"a\",\"body\":\"%s\"}", "Dunmere floods again");
    assert_int_equal(n, 40);
    assert_int_equal(reason_with(small, exact, 40, &rej), NF_REJECT_COUNT);
    nf_validator_destroy(small);
    assert_string_equal(nf_reject_reason_name(NF_REJECT_TOO_LARGE), "too_large");
}

static void test_invalid_value(void **state)
{
    (void)state;
    nf_reject_t rej;
    assert_int_equal(REASON("{\"id\": \"\", \"body\": \"x\"}", &rej), NF_REJECT_INVALID_VALUE);
    assert_non_null(strstr(rej.detail, "'id'"));
    assert_int_equal(REASON("{\"id\": \"e-1\", \"body\": \"\"}", &rej), NF_REJECT_INVALID_VALUE);
    assert_non_null(strstr(rej.detail, "'body'"));
    assert_string_equal(rej.id, "e-1");
    const char *bad_dates[] = {"yesterday",        "2026-02-30T00:00:00Z",
                               "2026-03-14",       "2026-13-01T00:00:00Z",
                               "14/03/2026 09:30", ""};
    for (size_t i = 0; i < sizeof(bad_dates) / sizeof(bad_dates[0]); i++) {
        char in[160];
        int n =
            snprintf(in, sizeof(in), "{\"id\":\"d-%zu\",\"body\":\"x\",\"published_at\":\"%s\"}", i,
                     bad_dates[i]);
        assert_int_equal(reason_of(in, (size_t)n, &rej), NF_REJECT_INVALID_VALUE);
        assert_non_null(strstr(rej.detail, "published_at"));
        char want_id[16];
        snprintf(want_id, sizeof(want_id), "d-%zu", i);
        assert_string_equal(rej.id, want_id);
    }
    assert_string_equal(nf_reject_reason_name(NF_REJECT_INVALID_VALUE), "invalid_value");
    assert_string_equal(nf_reject_reason_name(NF_REJECT_DB_REJECTED), "db_rejected");
    assert_string_equal(nf_reject_reason_name(NF_REJECT_COUNT), "unknown");
}

static void test_valid_article(void **state)
{
    (void)state;
    const char in[] = "{\"id\":\"s-1\",\"source\":null,\"url\":null,\"title\":\"Mirograd\","
                      "\"body\":\"Text of the Stellin report\","
                      "\"published_at\":\"2026-03-14T10:30:00.5+01:00\",\"extra\":{\"k\":[1]},"
                      "\"lang_hint\":\"xx\",\"score\":3.5}";
    nf_article_t a;
    nf_reject_t rej;
    assert_int_equal(nf_article_decode(validator, in, sizeof(in) - 1, &a, &rej), NF_OK);
    assert_string_equal(a.id, "s-1");
    assert_null(a.source); /* null optional fields read as absent */
    assert_null(a.url);
    assert_string_equal(a.title, "Mirograd");
    assert_int_equal(a.title_len, 8);
    assert_string_equal(a.body, "Text of the Stellin report");
    assert_int_equal(a.body_len, 26);
    assert_string_equal(a.published_at, "2026-03-14T10:30:00.5+01:00");
    /* unknown fields are kept in the document */
    assert_non_null(nf_json_get(&a.doc, "extra"));
    assert_int_equal(nf_json_get(&a.doc, "extra")->type, NF_JSON_OBJECT);
    assert_string_equal(nf_json_get(&a.doc, "lang_hint")->string, "xx");
    assert_int_equal(nf_json_get(&a.doc, "score")->type, NF_JSON_REAL);
    assert_int_equal(a.doc.n_members, 9);
    /* the field pointers are borrowed from the document, not copies */
    assert_ptr_equal(a.id, nf_json_get(&a.doc, "id")->string);
    assert_ptr_equal(a.body, nf_json_get(&a.doc, "body")->string);
    assert_ptr_equal(a.title, nf_json_get(&a.doc, "title")->string);
    assert_ptr_equal(a.published_at, nf_json_get(&a.doc, "published_at")->string);
    nf_article_clear(&a);
    assert_null(a.doc.text);
    assert_null(a.id);
    assert_null(a.body);
    nf_article_clear(&a); /* twice is fine */

    /* the minimum: id and body only; absent optionals are NULL */
    const char min[] = "{\"body\":\"\\u0416 \\\"quoted\\\"\\nline\",\"id\":\"m\"}";
    assert_int_equal(nf_article_decode(validator, min, sizeof(min) - 1, &a, &rej), NF_OK);
    assert_string_equal(a.id, "m");
    assert_string_equal(a.body, "\xd0\x96 \"quoted\"\nline");
    assert_int_equal(a.body_len, strlen("\xd0\x96 \"quoted\"\nline"));
    assert_null(a.title);
    assert_int_equal(a.title_len, 0);
    assert_null(a.published_at);
    assert_null(a.source);
    assert_null(a.url);
    nf_article_clear(&a);

    /* null published_at is fine; title of multi-byte text has its length in bytes */
    const char nulls[] = "{\"id\":\"n\",\"body\":\"b\",\"title\":\"\xd0\x92\xd0\xb0\","
                         "\"published_at\":null}";
    assert_int_equal(nf_article_decode(validator, nulls, sizeof(nulls) - 1, &a, &rej), NF_OK);
    assert_null(a.published_at);
    assert_int_equal(a.title_len, 4);
    nf_article_clear(&a);

    /* the decoder reads exactly len bytes: no NUL terminator needed */
    char unterminated[64];
    const char src[] = "{\"id\":\"u\",\"body\":\"b\"}";
    memcpy(unterminated, src, sizeof(src) - 1);
    memset(unterminated + sizeof(src) - 1, 'Z', sizeof(unterminated) - (sizeof(src) - 1));
    assert_int_equal(nf_article_decode(validator, unterminated, sizeof(src) - 1, &a, &rej), NF_OK);
    assert_string_equal(a.id, "u");
    nf_article_clear(&a);
}

/* What the worker keeps of an article once the stages are done: the record's five short fields,
 * equal to the decoded ones, in an allocation of their own (the input buffer and the document
 * are gone), and no body; clearing it afterwards frees everything (ASan/LSan in CI). */
static void test_compact(void **state)
{
    (void)state;
    char input[] =
        "{\"x-extra\": [1, {\"y\": \"z\"}], \"id\": \"c-1\", \"url\": null,"
        " \"title\": \"Kr\\u00e4ne am \\\"Hafen\\\"\", \"body\": \"Line one.\\nLine two.\","
        " \"source\": \"Nordblick\", \"published_at\": \"2026-11-20T08:15:00Z\"}";
    nf_article_t a;
    nf_reject_t rej;
    assert_int_equal(nf_article_decode(validator, input, strlen(input), &a, &rej), NF_OK);
    assert_non_null(a.body);
    size_t title_len = a.title_len;
    assert_int_equal(nf_article_compact(&a), NF_OK);
    memset(input, 'X', sizeof(input) - 1); /* nothing may point into the input */
    assert_string_equal(a.id, "c-1");
    assert_string_equal(a.source, "Nordblick");
    assert_null(a.url);
    assert_string_equal(a.title, "Kr\xc3\xa4ne am \"Hafen\"");
    assert_int_equal(a.title_len, title_len);
    assert_string_equal(a.published_at, "2026-11-20T08:15:00Z");
    assert_null(a.body);
    assert_int_equal(a.body_len, 0);
    assert_null(a.doc.members);
    assert_int_equal(a.doc.n_members, 0);
    /* the strings live in doc.text, which the clear frees */
    assert_ptr_equal(a.id, a.doc.text);
    nf_article_clear(&a);
    assert_null(a.doc.text);
}

static void test_rej_id(void **state)
{
    (void)state;
    nf_reject_t rej;
    /* readable on every reject after parsing, truncated to 1024 bytes */
    char in[2200];
    char id[1101];
    memset(id, 'q', 1100);
    id[1100] = '\0';
    int n = snprintf(in, sizeof(in), "{\"id\":\"%s\",\"body\":\"\"}", id);
    assert_int_equal(reason_of(in, (size_t)n, &rej), NF_REJECT_TOO_LARGE); /* id > 256 */
    assert_int_equal(strlen(rej.id), 1024);
    assert_memory_equal(rej.id, id, 1024);
    assert_int_equal(REASON("{\"id\":\"r-\\u00e9\",\"body\":\"x\",\"title\":[]}", &rej),
                     NF_REJECT_WRONG_TYPE);
    assert_string_equal(rej.id, "r-\xc3\xa9");
    /* a reject after an accept does not keep a stale id */
    assert_int_equal(REASON("[]", &rej), NF_REJECT_NOT_OBJECT);
    assert_string_equal(rej.id, "");
}

static void test_rfc3339(void **state)
{
    (void)state;
    const char *good[] = {"2026-03-14T09:30:00Z",        "2026-03-14T10:30:00.123+01:00",
                          "2026-03-14t09:30:00.123456z", "2026-03-14T10:30:00-05:30",
                          "2026-12-31T23:59:59Z",        "2026-06-30T23:59:60Z", /* leap second */
                          "2024-02-29T00:00:00Z", /* divisible by 4 */
                          "2000-02-29T00:00:00Z", /* divisible by 400 */
                          "1999-01-31T00:00:00+00:00"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!nf_is_rfc3339(good[i]))
            fail_msg("'%s' should be RFC 3339", good[i]);
    const char *bad[] = {"2026-02-30T00:00:00Z",
                         "2026-02-29T00:00:00Z", /* not a leap year */
                         "2100-02-29T00:00:00Z", /* century, not divisible by 400 */
                         "2026-04-31T00:00:00Z",
                         "2026-13-01T00:00:00Z",
                         "2026-00-10T00:00:00Z",
                         "2026-03-00T00:00:00Z",
                         "2026-03-14",
                         "yesterday",
                         "",
                         "2026-03-14T25:00:00Z",
                         "2026-03-14T09:60:00Z",
                         "2026-03-14T09:30:61Z",
                         "2026-03-14T09:30:00",
                         "2026-03-14T09:30:00+1:00",
                         "2026-03-14T09:30:00+01:00junk",
                         "2026-03-14T09:30:00ZZ",
                         "2026-03-14T09:30:00.Z",
                         "2026-03-14T09:30:00+24:00",
                         "2026-03-14X09:30:00Z",
                         "2026/03/14T09:30:00Z",
                         "0000-01-01T00:00:00Z",
                         "26-03-14T09:30:00Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (nf_is_rfc3339(bad[i]))
            fail_msg("'%s' should not be RFC 3339", bad[i]);
}

static void test_schema_compiler(void **state)
{
    (void)state;
    char err[256];
    /* keywords the validator cannot enforce are refused, naming the keyword */
    nf_validator_t *v = nf_validator_new_from_schema(
        "{\"type\":\"object\",\"required\":[\"id\",\"body\"],"
        "\"properties\":{\"id\":{\"type\":\"string\",\"pattern\":\"^a\"}}}",
        1024, err, sizeof(err));
    assert_null(v);
    assert_non_null(strstr(err, "pattern"));
    v = nf_validator_new_from_schema("{\"type\":\"object\",\"minProperties\":1}", 1024, err,
                                     sizeof(err));
    assert_null(v);
    assert_non_null(strstr(err, "minProperties"));
    v = nf_validator_new_from_schema(
        "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":0}}}", 1024,
        err, sizeof(err));
    assert_null(v);
    assert_non_null(strstr(err, "minimum"));
    v = nf_validator_new_from_schema(
        "{\"type\":\"object\",\"properties\":{\"d\":{\"type\":\"string\",\"format\":\"email\"}}}",
        1024, err, sizeof(err));
    assert_null(v);
    assert_non_null(strstr(err, "format"));
    v = nf_validator_new_from_schema("{\"type\":\"array\"}", 1024, err, sizeof(err));
    assert_null(v);
    v = nf_validator_new_from_schema("{\"type\":\"object\",", 1024, err, sizeof(err));
    assert_null(v);
    assert_non_null(strstr(err, "invalid JSON"));
    v = nf_validator_new_from_schema("{\"type\":\"object\",\"required\":[1]}", 1024, err,
                                     sizeof(err));
    assert_null(v);

    /* a minimal schema: required fields without properties */
    v = nf_validator_new_from_schema("{\"type\":\"object\",\"required\":[\"id\",\"body\"]}", 1024,
                                     err, sizeof(err));
    assert_non_null(v);
    nf_article_t a;
    nf_reject_t rej;
    const char any[] = "{\"id\":\"a\",\"body\":\"b\",\"x\":1}";
    assert_int_equal(nf_article_decode(v, any, sizeof(any) - 1, &a, &rej), NF_OK);
    nf_article_clear(&a);
    const char no_body[] = "{\"id\":\"a\"}";
    assert_int_equal(nf_article_decode(v, no_body, sizeof(no_body) - 1, &a, &rej), NF_ERR_REJECTED);
    assert_int_equal(rej.reason, NF_REJECT_MISSING_FIELD);
    nf_validator_destroy(v);

    /* additionalProperties false is enforced */
    v = nf_validator_new_from_schema("{\"type\":\"object\",\"required\":[\"id\",\"body\"],"
                                     "\"additionalProperties\":false,"
                                     "\"properties\":{\"id\":{\"type\":\"string\"},"
                                     "\"body\":{\"type\":\"string\",\"minLength\":3}}}",
                                     1024, err, sizeof(err));
    assert_non_null(v);
    const char extra[] = "{\"id\":\"a\",\"body\":\"bbb\",\"x\":1}";
    assert_int_equal(nf_article_decode(v, extra, sizeof(extra) - 1, &a, &rej), NF_ERR_REJECTED);
    assert_int_equal(rej.reason, NF_REJECT_INVALID_VALUE);
    assert_non_null(strstr(rej.detail, "'x'"));
    const char short_body[] = "{\"id\":\"a\",\"body\":\"bb\"}";
    assert_int_equal(nf_article_decode(v, short_body, sizeof(short_body) - 1, &a, &rej),
                     NF_ERR_REJECTED);
    assert_int_equal(rej.reason, NF_REJECT_INVALID_VALUE);
    const char ok[] = "{\"id\":\"a\",\"body\":\"bbb\"}";
    assert_int_equal(nf_article_decode(v, ok, sizeof(ok) - 1, &a, &rej), NF_OK);
    nf_article_clear(&a);
    nf_validator_destroy(v);
    nf_validator_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_json),
        cmocka_unit_test(test_not_object),
        cmocka_unit_test(test_missing_and_wrong_type),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_invalid_value),
        cmocka_unit_test(test_valid_article),
        cmocka_unit_test(test_compact),
        cmocka_unit_test(test_rej_id),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_schema_compiler),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
