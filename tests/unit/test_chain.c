#include "nf_test.h"

#include <jansson.h>

#include "newsflow/chain.h"

static nf_config_t *cfg;
static nf_chain_t *chain;

static int setup(void **state)
{
    (void)state;
    char err[256];
    cfg = nf_config_new();
    chain = cfg ? nf_chain_new(cfg, err, sizeof(err)) : NULL;
    return chain ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    nf_chain_destroy(chain);
    nf_config_destroy(cfg);
    return 0;
}

static void test_record_shape(void **state)
{
    (void)state;
    const char in[] = "{\"id\":\"s-1\",\"source\":\"Mirograd Herald\",\"title\":\"Flood\","
                      "\"body\":\"Read More\\nThe Varna rose.\\nShare this article\","
                      "\"published_at\":\"2026-03-14T08:15:00Z\",\"extra\":1}";
    nf_enriched_t e;
    memset(&e, 0, sizeof(e));
    nf_reject_t rej;
    assert_int_equal(nf_chain_process(chain, in, sizeof(in) - 1, &e, &rej), NF_OK);
    assert_string_equal(e.body.data, "The Varna rose.");
    assert_int_equal(e.junk_lines, 2);
    assert_string_equal(e.lang.script, "Latn");
    nf_buf_t out = NF_BUF_INIT;
    assert_int_equal(nf_chain_render(&e, &out), NF_OK);
    json_error_t jerr;
    json_t *rec = json_loads(out.data, 0, &jerr);
    assert_non_null(rec);
    const char *keys[] = {"id",   "source",   "url",   "title",    "published_at",
                          "lang", "entities", "dedup", "story_id", "content_sha256"};
    assert_int_equal(json_object_size(rec), sizeof(keys) / sizeof(keys[0]));
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        assert_non_null(json_object_get(rec, keys[i]));
    assert_string_equal(json_string_value(json_object_get(rec, "id")), "s-1");
    assert_true(json_is_null(json_object_get(rec, "url")));
    json_t *lang = json_object_get(rec, "lang");
    assert_string_equal(json_string_value(json_object_get(lang, "code")), "und");
    assert_string_equal(json_string_value(json_object_get(lang, "script")), "Latn");
    assert_true(json_is_number(json_object_get(lang, "confidence")));
    assert_true(json_is_array(json_object_get(rec, "entities")));
    json_t *dedup = json_object_get(rec, "dedup");
    assert_string_equal(json_string_value(json_object_get(dedup, "status")), "unique");
    assert_true(json_is_null(json_object_get(dedup, "duplicate_of")));
    assert_int_equal(strlen(json_string_value(json_object_get(rec, "content_sha256"))), 64);
    assert_string_equal(json_string_value(json_object_get(rec, "story_id")), e.story_id);
    json_decref(rec);
    nf_buf_free(&out);
    nf_enriched_free(&e);
}

static void test_same_text_same_hash(void **state)
{
    (void)state;
    const char a[] = "{\"id\":\"a\",\"body\":\"Shelters opened.\\nThe Varna rose 6.4 metres.\"}";
    const char b[] = "{\"id\":\"b\",\"body\":\"Lire la suite\\n  Shelters   opened. \\n\\n"
                     "Subscribe to our newsletter\\nThe Varna rose 6.4 metres.\\t\"}";
    const char c[] = "{\"id\":\"c\",\"body\":\"Shelters opened.\\nThe Varna rose 6.5 metres.\"}";
    nf_enriched_t ea, eb, ec;
    memset(&ea, 0, sizeof(ea));
    memset(&eb, 0, sizeof(eb));
    memset(&ec, 0, sizeof(ec));
    nf_reject_t rej;
    assert_int_equal(nf_chain_process(chain, a, sizeof(a) - 1, &ea, &rej), NF_OK);
    assert_int_equal(nf_chain_process(chain, b, sizeof(b) - 1, &eb, &rej), NF_OK);
    assert_int_equal(nf_chain_process(chain, c, sizeof(c) - 1, &ec, &rej), NF_OK);
    assert_string_equal(ea.sha256_hex, eb.sha256_hex);
    assert_string_not_equal(ea.sha256_hex, ec.sha256_hex);
    assert_string_equal(ea.story_id, eb.story_id);
    nf_enriched_free(&ea);
    nf_enriched_free(&eb);
    nf_enriched_free(&ec);
}

static void test_rejects(void **state)
{
    (void)state;
    nf_enriched_t e;
    memset(&e, 0, sizeof(e));
    nf_reject_t rej;
    const char junk_only[] = "{\"id\":\"j\",\"body\":\"Read More\\nShare this article\"}";
    assert_int_equal(nf_chain_process(chain, junk_only, sizeof(junk_only) - 1, &e, &rej),
                     NF_ERR_REJECTED);
    assert_int_equal(rej.reason, NF_REJECT_INVALID_VALUE);
    assert_string_equal(rej.id, "j");
    nf_buf_t out = NF_BUF_INIT;
    nf_chain_render_error(7, &rej, &out);
    json_t *obj = json_loads(out.data, 0, NULL);
    assert_non_null(obj);
    assert_int_equal(json_integer_value(json_object_get(obj, "line")), 7);
    assert_string_equal(json_string_value(json_object_get(obj, "id")), "j");
    json_t *error = json_object_get(obj, "error");
    assert_string_equal(json_string_value(json_object_get(error, "reason")), "invalid_value");
    assert_non_null(json_string_value(json_object_get(error, "detail")));
    json_decref(obj);

    const char broken[] = "{\"id\": \"x\", \"body\": \"a\n\"}"; /* raw newline in a string */
    assert_int_equal(nf_chain_process(chain, broken, sizeof(broken) - 1, &e, &rej),
                     NF_ERR_REJECTED);
    assert_int_equal(rej.reason, NF_REJECT_INVALID_JSON);
    assert_null(strchr(rej.detail, '\n'));
    nf_buf_reset(&out);
    nf_chain_render_error(8, &rej, &out);
    obj = json_loads(out.data, 0, NULL);
    assert_non_null(obj);
    assert_null(json_object_get(obj, "id"));
    json_decref(obj);
    nf_buf_free(&out);
    nf_enriched_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_shape),
        cmocka_unit_test(test_same_text_same_hash),
        cmocka_unit_test(test_rejects),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
