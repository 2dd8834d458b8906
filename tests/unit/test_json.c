/* The article JSON decoder (json.h): what it accepts, what it keeps, how it refuses. */
#include "nf_test.h"

#include "newsflow/alloc.h"
#include "newsflow/json.h"

/* Parses an exact-length heap copy (no NUL after the input), so a read past the end is an
 * ASan error in the sanitizer build. */
static nf_json_status_t parse_n(const char *in, size_t len, nf_json_doc_t *doc, size_t *at)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, in, len);
    char err[160];
    nf_json_status_t st = nf_json_parse(copy, len, doc, err, sizeof(err), at);
    if (st != NF_JSON_OK) {
        assert_true(err[0] != '\0');
        assert_null(doc->text);
        assert_null(doc->members);
        assert_true(*at <= len);
    }
    free(copy);
    return st;
}

static nf_json_status_t status_of(const char *in)
{
    nf_json_doc_t doc;
    size_t at;
    nf_json_status_t st = parse_n(in, strlen(in), &doc, &at);
    nf_json_doc_clear(&doc);
    return st;
}

static void test_members_and_types(void **state)
{
    (void)state;
    const char in[] =
        " {\"id\":\"a-1\", \"n\":-12, \"r\":1.5e3, \"t\":true, \"f\":false, \"z\":null,"
        " \"o\":{\"k\":[1,{\"x\":\"y\"}]}, \"a\":[], \"s\":\"\"}\r\n";
    nf_json_doc_t doc;
    size_t at;
    assert_int_equal(parse_n(in, sizeof(in) - 1, &doc, &at), NF_JSON_OK);
    assert_int_equal(doc.type, NF_JSON_OBJECT);
    assert_int_equal(doc.n_members, 9);
    static const struct {
        const char *key;
        nf_json_type_t type;
    } want[] = {{"id", NF_JSON_STRING}, {"n", NF_JSON_INTEGER}, {"r", NF_JSON_REAL},
                {"t", NF_JSON_BOOLEAN}, {"f", NF_JSON_BOOLEAN}, {"z", NF_JSON_NULL},
                {"o", NF_JSON_OBJECT},  {"a", NF_JSON_ARRAY},   {"s", NF_JSON_STRING}};
    for (size_t i = 0; i < 9; i++) {
        assert_string_equal(doc.members[i].key, want[i].key); /* input order */
        assert_int_equal(doc.members[i].type, want[i].type);
        assert_ptr_equal(nf_json_get(&doc, want[i].key), &doc.members[i]);
    }
    assert_string_equal(nf_json_get(&doc, "id")->string, "a-1");
    assert_int_equal(nf_json_get(&doc, "s")->string_len, 0);
    assert_null(nf_json_get(&doc, "n")->string);
    assert_null(nf_json_get(&doc, "k")); /* nested keys are not members */
    assert_null(nf_json_get(&doc, "missing"));
    nf_json_doc_clear(&doc);
    nf_json_doc_clear(&doc); /* twice is fine */

    /* scalars and arrays at the top level are values too (the caller refuses them) */
    static const struct {
        const char *in;
        nf_json_type_t type;
    } top[] = {{"\"x\"", NF_JSON_STRING}, {"[1,2]", NF_JSON_ARRAY}, {" 7 ", NF_JSON_INTEGER},
               {"-0.0", NF_JSON_REAL},    {"null", NF_JSON_NULL},   {"false", NF_JSON_BOOLEAN}};
    for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
        assert_int_equal(parse_n(top[i].in, strlen(top[i].in), &doc, &at), NF_JSON_OK);
        assert_int_equal(doc.type, top[i].type);
        assert_int_equal(doc.n_members, 0);
        nf_json_doc_clear(&doc);
    }
}

static void test_escapes_decode(void **state)
{
    (void)state;
    /* \u00e9 -> 2 bytes, \u20ac -> 3, a surrogate pair -> 4, the short escapes, raw UTF-8 */
    const char in[] =
        "{\"b\":\"caf\\u00e9 \\u20AC \\ud83d\\ude00 \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t "
        "\xd0\x96\xe2\x82\xac\xf0\x9f\x98\x80\",\"k\\u00e9y\":1}";
    nf_json_doc_t doc;
    size_t at;
    assert_int_equal(parse_n(in, sizeof(in) - 1, &doc, &at), NF_JSON_OK);
    const char want[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \"q\" \\ / \b\f\n\r\t "
                        "\xd0\x96\xe2\x82\xac\xf0\x9f\x98\x80";
    const nf_json_member_t *b = nf_json_get(&doc, "b");
    assert_non_null(b);
    assert_int_equal(b->string_len, sizeof(want) - 1);
    assert_memory_equal(b->string, want, sizeof(want));
    assert_non_null(nf_json_get(&doc, "k\xc3\xa9y")); /* keys are decoded too */
    nf_json_doc_clear(&doc);
}

static void test_refusals(void **state)
{
    (void)state;
    static const char *const invalid[] = {"",
                                          "   ",
                                          "{",
                                          "{\"a\"",
                                          "{\"a\":}",
                                          "{\"a\":1,}",
                                          "[1,]",
                                          "[1 2]",
                                          "{\"a\" 1}",
                                          "{a:1}",
                                          "{'a':1}",
                                          "01",
                                          "-",
                                          "+1",
                                          ".5",
                                          "1.",
                                          "1e",
                                          "1e+",
                                          "--1",
                                          "tru",
                                          "nul",
                                          "truex",
                                          "[true false]",
                                          "\"abc",
                                          "\"a\\x\"",
                                          "\"\\u12\"",
                                          "\"\\u12G4\"",
                                          "\"\\u0000\"",
                                          "{\"a\\u0000\":1}",
                                          "\"\\ud800\"",
                                          "\"\\udc00\"",
                                          "\"\\ud800\\u0041\"",
                                          "\"tab\there\"",
                                          "\"nl\nhere\"",
                                          "{} {}",
                                          "{}x",
                                          "1 2",
                                          "\xef\xbb\xbf{}",
                                          "9223372036854775808",
                                          "-9223372036854775809",
                                          "123456789012345678901234567890",
                                          "1e999",
                                          "-1e999",
                                          "{\"a\":1,\"a\":2}",
                                          "{\"o\":{\"k\":1,\"k\":2}}",
                                          "[{\"k\":1,\"k\":1}]",
                                          "\xc3\xa9",
                                          "{\"\xc3\xa9\":1}x"};
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
        if (status_of(invalid[i]) != NF_JSON_INVALID)
            fail_msg("accepted or misclassified: %s", invalid[i]);
    static const char *const valid[] = {
        "9223372036854775807",
        "-9223372036854775808",
        "1e-999",
        "0",
        "-0",
        "0e0",
        "1E+2",
        "{\"a\":1,\"A\":2}",
        "{\"a\":{\"a\":{\"a\":1}}}",
        "[[],[[]],{}]",
        "{\"k\":1,\"o\":{\"k\":1}}" /* the same key at two depths is no duplicate */};
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
        if (status_of(valid[i]) != NF_JSON_OK)
            fail_msg("refused: %s", valid[i]);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    static const char *const bad[] = {"\"\xff\"",
                                      "\"\xc0\x80\"",
                                      "\"\xc1\xbf\"",
                                      "\"\xe0\x80\x80\"",
                                      "\"\xed\xa0\x80\"",
                                      "\"\xf0\x80\x80\x80\"",
                                      "\"\xf4\x90\x80\x80\"",
                                      "\"\xf5\x80\x80\x80\"",
                                      "\"\xc3\"",
                                      "\"caf\xc3",
                                      "\"\x80\"",
                                      "{\"a\":1}\xff",
                                      "{\"a\":tru\xff}",
                                      "[1,\xfe]",
                                      "{\"\xe2\x82\":1}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (status_of(bad[i]) != NF_JSON_INVALID_UTF8)
            fail_msg("not reported as invalid UTF-8: case %zu", i);
    /* the class of a bad input is what a lexer meets first while reading the offending token
     * whole (a string, a word of letters, a number and the byte after it): jansson's rule */
    assert_int_equal(status_of("{\"a\" \"x\xff\"}"), NF_JSON_INVALID_UTF8);
    assert_int_equal(status_of("{\"a\" 12\xff}"), NF_JSON_INVALID_UTF8);
    assert_int_equal(status_of("[Knn\xff]"), NF_JSON_INVALID_UTF8);
    assert_int_equal(status_of("[tru1\xff]"), NF_JSON_INVALID);
    assert_int_equal(status_of("[-a\xff]"), NF_JSON_INVALID);
    assert_int_equal(status_of("\"\\ud800 \xff\""), NF_JSON_INVALID_UTF8);
    assert_int_equal(status_of("\"\\ud800 \""), NF_JSON_INVALID);
    /* a NUL byte after a number or a literal: refused (jansson skips it) */
    nf_json_doc_t nul;
    size_t nul_at;
    assert_int_equal(parse_n("[1\0]", 4, &nul, &nul_at), NF_JSON_INVALID);
    assert_int_equal(parse_n("{\"a\":true\0}", 11, &nul, &nul_at), NF_JSON_INVALID);
    assert_int_equal(nul_at, 9);
    /* the edges of the valid ranges */
    assert_int_equal(status_of("\"\xc2\x80 \xdf\xbf \xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 "
                               "\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf\""),
                     NF_JSON_OK);
    /* where the error is */
    nf_json_doc_t doc;
    size_t at;
    const char in[] = "{\"body\":\"caf\xc3(\"}";
    assert_int_equal(parse_n(in, sizeof(in) - 1, &doc, &at), NF_JSON_INVALID_UTF8);
    assert_int_equal(at, 12);
}

static void test_many_keys_and_depth(void **state)
{
    (void)state;
    /* more keys than the linear duplicate check covers: the sorted check takes over */
    char in[4096];
    size_t n = 0;
    in[n++] = '{';
    for (int k = 0; k < 200; k++)
        n += (size_t)snprintf(in + n, sizeof(in) - n, "%s\"key%d\":%d", k ? "," : "", k, k);
    in[n++] = '}';
    nf_json_doc_t doc;
    size_t at;
    assert_int_equal(parse_n(in, n, &doc, &at), NF_JSON_OK);
    assert_int_equal(doc.n_members, 200);
    assert_string_equal(doc.members[199].key, "key199");
    nf_json_doc_clear(&doc);
    memcpy(in + n - 1, ",\"key137\":0}", 12); /* a late duplicate of an early key */
    assert_int_equal(parse_n(in, n + 11, &doc, &at), NF_JSON_INVALID);
    /* the same at depth 2 */
    char nested[4200];
    size_t m = (size_t)snprintf(nested, sizeof(nested), "{\"o\":%.*s}", (int)(n + 11), in);
    assert_int_equal(parse_n(nested, m, &doc, &at), NF_JSON_INVALID);

    /* jansson's depth rule, every value counts: 2047 arrays around a scalar pass, 2048 do not;
     * 2048 empty arrays pass */
    size_t cap = 2 * NF_JSON_MAX_DEPTH + 8;
    char *deep = malloc(cap);
    assert_non_null(deep);
    for (int arrays = NF_JSON_MAX_DEPTH - 1; arrays <= NF_JSON_MAX_DEPTH; arrays++) {
        size_t d = 0;
        for (int i = 0; i < arrays; i++)
            deep[d++] = '[';
        deep[d++] = '1';
        for (int i = 0; i < arrays; i++)
            deep[d++] = ']';
        assert_int_equal(parse_n(deep, d, &doc, &at),
                         arrays < NF_JSON_MAX_DEPTH ? NF_JSON_OK : NF_JSON_INVALID);
        nf_json_doc_clear(&doc);
    }
    size_t d = 0;
    for (int i = 0; i < NF_JSON_MAX_DEPTH; i++)
        deep[d++] = '[';
    for (int i = 0; i < NF_JSON_MAX_DEPTH; i++)
        deep[d++] = ']';
    assert_int_equal(parse_n(deep, d, &doc, &at), NF_JSON_OK);
    nf_json_doc_clear(&doc);
    free(deep);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    char in[2048];
    size_t n = 0;
    in[n++] = '{';
    for (int k = 0; k < 100; k++) /* members beyond the first array, keys beyond the inline set */
        n += (size_t)snprintf(in + n, sizeof(in) - n, "%s\"k%d\":{\"a\":1}", k ? "," : "", k);
    in[n++] = '}';
    int saw_nomem = 0;
    for (long fail_at = 0; fail_at < 12; fail_at++) {
        nf_json_doc_t doc;
        char err[160];
        size_t at;
        nf_alloc_fail_after(fail_at);
        nf_json_status_t st = nf_json_parse(in, n, &doc, err, sizeof(err), &at);
        nf_alloc_fail_after(-1);
        if (st == NF_JSON_NOMEM) {
            saw_nomem = 1;
            assert_null(doc.text);
        } else {
            assert_int_equal(st, NF_JSON_OK);
            assert_int_equal(doc.n_members, 100);
        }
        nf_json_doc_clear(&doc);
    }
    assert_true(saw_nomem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_members_and_types),
        cmocka_unit_test(test_escapes_decode),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_many_keys_and_depth),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
