/* The stage chain: process, fingerprints, story, the enriched record and the error object. */
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

static nf_err_t process(const char *in, nf_enriched_t *e, nf_reject_t *rej)
{
    return nf_chain_process(chain, in, strlen(in), e, rej);
}

/* Renders e and parses it back (caller decrefs). */
static json_t *render_parsed(const nf_enriched_t *e)
{
    nf_buf_t out = NF_BUF_INIT;
    assert_int_equal(nf_chain_render(e, &out), NF_OK);
    assert_null(memchr(out.data, '\n', out.len)); /* one line */
    json_error_t jerr;
    json_t *rec = json_loadb(out.data, out.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!rec)
        fail_msg("render is not JSON (%s): %s", jerr.text, out.data);
    nf_buf_free(&out);
    return rec;
}

static void assert_exact_keys(const json_t *obj, const char *const *keys, size_t n)
{
    assert_true(json_is_object(obj));
    assert_int_equal(json_object_size(obj), n);
    for (size_t i = 0; i < n; i++)
        if (!json_object_get(obj, keys[i]))
            fail_msg("key '%s' missing", keys[i]);
}

static void test_record_shape(void **state)
{
    (void)state;
    const char in[] = "{\"id\":\"s-1\",\"source\":\"Mirograd Herald\",\"title\":\"  Flood  in "
                      "Mirograd \",\"body\":\"Read More\\nThe Varna rose   6.4 metres.\\n"
                      "Share this article\\nShelters opened in Dunmere.\","
                      "\"published_at\":\"2026-03-14T08:15:00Z\",\"extra\":1,\"url\":null}";
    nf_enriched_t e;
    memset(&e, 0, sizeof(e));
    nf_reject_t rej;
    assert_int_equal(process(in, &e, &rej), NF_OK);
    assert_string_equal(e.body.data, "The Varna rose 6.4 metres.\nShelters opened in Dunmere.");
    assert_string_equal(e.title.data, "Flood in Mirograd");
    assert_int_equal(e.junk_lines, 2);
    assert_string_equal(e.lang.script, "Latn");
    assert_string_equal(e.lang.code, "en");
    assert_true(e.lang.confidence >= 0.5 && e.lang.confidence <= 1.0);
    assert_int_equal(e.dedup.status, NF_DEDUP_UNIQUE);
    assert_string_equal(e.article.id, "s-1");

    /* the fingerprint is the sha256 of the normalized body */
    uint8_t sha[NF_SHA256_LEN];
    char hex[2 * NF_SHA256_LEN + 1];
    nf_content_sha256(e.body.data, e.body.len, sha);
    nf_hex(sha, NF_SHA256_LEN, hex);
    assert_memory_equal(e.sha256, sha, NF_SHA256_LEN);
    assert_string_equal(e.sha256_hex, hex);
    /* before any decision an article is a story of its own, named after its id */
    uint8_t id_sha[NF_SHA256_LEN];
    char id_hex[2 * NF_SHA256_LEN + 1];
    nf_content_sha256("s-1", 3, id_sha);
    nf_hex(id_sha, NF_SHA256_LEN, id_hex);
    assert_int_equal(strlen(e.story_id), strlen("story:") + 16);
    assert_memory_equal(e.story_id, "story:", 6);
    assert_memory_equal(e.story_id + 6, id_hex, 16);

    json_t *rec = render_parsed(&e);
    const char *keys[] = {"id",   "source",   "url",   "title",    "published_at",
                          "lang", "entities", "dedup", "story_id", "content_sha256"};
    assert_exact_keys(rec, keys, sizeof(keys) / sizeof(keys[0]));
    assert_string_equal(json_string_value(json_object_get(rec, "id")), "s-1");
    assert_string_equal(json_string_value(json_object_get(rec, "source")), "Mirograd Herald");
    assert_true(json_is_null(json_object_get(rec, "url")));
    assert_true(json_is_string(json_object_get(rec, "title")));
    assert_string_equal(json_string_value(json_object_get(rec, "published_at")),
                        "2026-03-14T08:15:00Z");
    json_t *lang = json_object_get(rec, "lang");
    const char *lang_keys[] = {"code", "script", "confidence"};
    assert_exact_keys(lang, lang_keys, 3);
    assert_string_equal(json_string_value(json_object_get(lang, "code")), "en");
    assert_string_equal(json_string_value(json_object_get(lang, "script")), "Latn");
    assert_true(json_is_number(json_object_get(lang, "confidence")));
    assert_true(json_number_value(json_object_get(lang, "confidence")) >= 0.5);
    assert_true(json_is_array(json_object_get(rec, "entities")));
    /* "in Mirograd", "Varna" (a city name in the GeoNames data), "in Dunmere": places found by
     * the entity stage (issue 8), in the record's shape: id, type, name, mentions with field
     * and code-point offsets. */
    json_t *ents = json_object_get(rec, "entities");
    assert_int_equal(json_array_size(ents), 3);
    const char *ent_keys[] = {"id", "type", "name", "mentions"};
    const char *men_keys[] = {"field", "start", "end", "text"};
    for (size_t i = 0; i < json_array_size(ents); i++) {
        json_t *ent = json_array_get(ents, i);
        assert_exact_keys(ent, ent_keys, 4);
        assert_string_equal(json_string_value(json_object_get(ent, "type")), "LOC");
        json_t *men = json_array_get(json_object_get(ent, "mentions"), 0);
        assert_exact_keys(men, men_keys, 4);
    }
    json_t *first = json_array_get(json_object_get(json_array_get(ents, 0), "mentions"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "field")), "title");
    assert_int_equal(json_integer_value(json_object_get(first, "start")), 9);
    assert_int_equal(json_integer_value(json_object_get(first, "end")), 17);
    assert_string_equal(json_string_value(json_object_get(first, "text")), "Mirograd");
    json_t *dedup = json_object_get(rec, "dedup");
    const char *dedup_keys[] = {"status", "duplicate_of", "similarity"};
    assert_exact_keys(dedup, dedup_keys, 3);
    assert_string_equal(json_string_value(json_object_get(dedup, "status")), "unique");
    assert_true(json_is_null(json_object_get(dedup, "duplicate_of")));
    assert_true(json_number_value(json_object_get(dedup, "similarity")) == 0.0);
    assert_string_equal(json_string_value(json_object_get(rec, "content_sha256")), hex);
    assert_string_equal(json_string_value(json_object_get(rec, "story_id")), e.story_id);
    json_decref(rec);

    /* the caller's dedup decision shows in the record */
    e.dedup.status = NF_DEDUP_EXACT;
    snprintf(e.dedup.duplicate_of, sizeof(e.dedup.duplicate_of), "s-0");
    e.dedup.similarity = 1.0;
    rec = render_parsed(&e);
    dedup = json_object_get(rec, "dedup");
    assert_string_equal(json_string_value(json_object_get(dedup, "status")), "exact_duplicate");
    assert_string_equal(json_string_value(json_object_get(dedup, "duplicate_of")), "s-0");
    assert_true(json_number_value(json_object_get(dedup, "similarity")) == 1.0);
    json_decref(rec);
    nf_enriched_free(&e);
}

/* Minimal input: absent optional fields render as null; other scripts; quotes survive. */
static void test_record_minimal(void **state)
{
    (void)state;
    nf_enriched_t e;
    memset(&e, 0, sizeof(e));
    nf_reject_t rej;
    /* id with quotes and a backslash; body in Cyrillic */
    const char in[] = "{\"id\":\"q\\\"1\\\\x\",\"body\":\"\xd0\xa0\xd0\xb5\xd0\xba\xd0\xb0 "
                      "\xd0\x92\xd0\xb0\xd1\x80\xd0\xbd\xd0\xb0\"}";
    assert_int_equal(process(in, &e, &rej), NF_OK);
    assert_string_equal(e.lang.script, "Cyrl");
    json_t *rec = render_parsed(&e);
    assert_string_equal(json_string_value(json_object_get(rec, "id")), "q\"1\\x");
    const char *nulls[] = {"source", "url", "title", "published_at"};
    for (size_t i = 0; i < 4; i++)
        if (!json_is_null(json_object_get(rec, nulls[i])))
            fail_msg("'%s' should be null", nulls[i]);
    json_decref(rec);
    nf_enriched_free(&e);
}

static void test_same_text_same_hash(void **state)
{
    (void)state;
    const char a[] = "{\"id\":\"a\",\"body\":\"Shelters opened.\\nThe Varna rose 6.4 metres.\"}";
    const char b[] = "{\"id\":\"b\",\"body\":\"Lire la suite\\r\\n  Shelters   opened. \\n\\n"
                     "Subscribe to our newsletter\\nThe Varna\\u00a0rose 6.4 metres.\\t\\n"
                     "Comments (4)\"}";
    const char c[] = "{\"id\":\"c\",\"body\":\"Shelters opened.\\nThe Varna rose 6.5 metres.\"}";
    nf_enriched_t ea, eb, ec;
    memset(&ea, 0, sizeof(ea));
    memset(&eb, 0, sizeof(eb));
    memset(&ec, 0, sizeof(ec));
    nf_reject_t rej;
    assert_int_equal(process(a, &ea, &rej), NF_OK);
    assert_int_equal(process(b, &eb, &rej), NF_OK);
    assert_int_equal(process(c, &ec, &rej), NF_OK);
    assert_int_equal(ea.junk_lines, 0);
    assert_int_equal(eb.junk_lines, 3);
    assert_string_equal(ea.body.data, eb.body.data);
    assert_string_equal(ea.sha256_hex, eb.sha256_hex);
    assert_string_not_equal(ea.sha256_hex, ec.sha256_hex);
    /* the exact dedup key (case-folded text) agrees; the story is decided later */
    assert_memory_equal(ea.fp.exact, eb.fp.exact, sizeof(ea.fp.exact));
    assert_memory_not_equal(ea.fp.exact, ec.fp.exact, sizeof(ea.fp.exact));
    assert_string_not_equal(ea.story_id, eb.story_id);
    nf_enriched_free(&ea);
    nf_enriched_free(&eb);
    nf_enriched_free(&ec);
}

/* One nf_enriched_t reused across accepted and rejected inputs: nothing stale, no leak. */
static void test_reuse(void **state)
{
    (void)state;
    nf_enriched_t e;
    memset(&e, 0, sizeof(e));
    nf_reject_t rej;
    uint64_t junk_before = nf_chain_junk_lines(chain);
    assert_int_equal(
        process("{\"id\":\"r1\",\"title\":\"Kessel\",\"body\":\"Read More\\nOne.\"}", &e, &rej),
        NF_OK);
    assert_int_equal(process("{\"id\":\"r2\",\"body\":[]}", &e, &rej), NF_ERR_REJECTED);
    assert_int_equal(process("{\"id\":\"r3\",\"body\":\"Two.\"}", &e, &rej), NF_OK);
    assert_string_equal(e.article.id, "r3");
    assert_string_equal(e.body.data, "Two.");
    assert_int_equal(e.title.len, 0); /* no title left over from r1 */
    assert_null(e.article.title);
    assert_int_equal(e.junk_lines, 0);
    assert_int_equal(nf_chain_junk_lines(chain) - junk_before, 1);
    nf_enriched_clear(&e);
    assert_null(e.article.doc.text);
    nf_enriched_free(&e);

    /* stage timings: every stage named, taking them resets them */
    uint64_t ns[NF_STAGE_COUNT];
    nf_chain_take_stage_ns(chain, ns);
    uint64_t total = 0;
    for (int s = 0; s < NF_STAGE_COUNT; s++)
        total += ns[s];
    assert_true(total > 0);
    nf_chain_take_stage_ns(chain, ns);
    for (int s = 0; s < NF_STAGE_COUNT; s++)
        assert_int_equal(ns[s], 0);
    assert_string_equal(nf_chain_stage_name(NF_STAGE_DECODE), "decode");
    assert_string_equal(nf_chain_stage_name(NF_STAGE_NORMALIZE), "normalize");
    assert_string_equal(nf_chain_stage_name(NF_STAGE_FINGERPRINT), "fingerprint");
}

static void test_rejects(void **state)
{
    (void)state;
    nf_enriched_t e;
    memset(&e, 0, sizeof(e));
    nf_reject_t rej;
    /* a body of nothing but junk lines and white space */
    const char junk_only[] = "{\"id\":\"j\",\"body\":\"Read More\\n  \\nShare this article\\n"
                             "\\u00a0\\nLire la suite\"}";
    assert_int_equal(process(junk_only, &e, &rej), NF_ERR_REJECTED);
    assert_int_equal(rej.reason, NF_REJECT_INVALID_VALUE);
    assert_string_equal(rej.id, "j");
    assert_non_null(strstr(rej.detail, "body"));
    nf_buf_t out = NF_BUF_INIT;
    nf_chain_render_error(7, &rej, &out);
    assert_null(memchr(out.data, '\n', out.len));
    json_t *obj = json_loads(out.data, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(obj);
    const char *keys[] = {"line", "id", "error"};
    assert_exact_keys(obj, keys, 3);
    assert_int_equal(json_integer_value(json_object_get(obj, "line")), 7);
    assert_string_equal(json_string_value(json_object_get(obj, "id")), "j");
    json_t *error = json_object_get(obj, "error");
    const char *error_keys[] = {"reason", "detail"};
    assert_exact_keys(error, error_keys, 2);
    assert_string_equal(json_string_value(json_object_get(error, "reason")), "invalid_value");
    assert_string_equal(json_string_value(json_object_get(error, "detail")), rej.detail);
    json_decref(obj);

    /* a JSON error: the detail quotes the input but stays on one line; no id */
    const char broken[] = "{\"id\": \"x\", \"body\": \"a\n\"}"; /* raw newline in a string */
    assert_int_equal(process(broken, &e, &rej), NF_ERR_REJECTED);
    assert_int_equal(rej.reason, NF_REJECT_INVALID_JSON);
    assert_null(strchr(rej.detail, '\n'));
    nf_buf_reset(&out);
    nf_chain_render_error(8, &rej, &out);
    obj = json_loads(out.data, 0, NULL);
    assert_non_null(obj);
    const char *no_id_keys[] = {"line", "error"};
    assert_exact_keys(obj, no_id_keys, 2);
    assert_int_equal(json_integer_value(json_object_get(obj, "line")), 8);
    error = json_object_get(obj, "error");
    assert_string_equal(json_string_value(json_object_get(error, "reason")), "invalid_json");
    assert_true(strlen(json_string_value(json_object_get(error, "detail"))) > 0);
    json_decref(obj);

    /* invalid UTF-8 bytes and an id that needs escaping */
    const char bad_utf8[] = "{\"id\":\"k\\\"1\",\"body\":\"Kessel \xff\"}";
    assert_int_equal(process(bad_utf8, &e, &rej), NF_ERR_REJECTED);
    assert_int_equal(rej.reason, NF_REJECT_INVALID_UTF8);
    nf_buf_reset(&out);
    nf_chain_render_error(9, &rej, &out);
    obj = json_loads(out.data, 0, NULL);
    assert_non_null(obj);
    error = json_object_get(obj, "error");
    assert_string_equal(json_string_value(json_object_get(error, "reason")), "invalid_utf8");
    json_decref(obj);

    /* an id of arbitrary bytes in the error object (e.g. truncated mid-character) stays JSON */
    nf_reject_t fake;
    memset(&fake, 0, sizeof(fake));
    fake.reason = NF_REJECT_MISSING_FIELD;
    snprintf(fake.id, sizeof(fake.id), "cut-\xd0");
    snprintf(fake.detail, sizeof(fake.detail), "tab\there \"quoted\"");
    nf_buf_reset(&out);
    nf_chain_render_error(4294967295UL, &fake, &out);
    obj = json_loads(out.data, 0, NULL);
    assert_non_null(obj);
    assert_true(json_integer_value(json_object_get(obj, "line")) == 4294967295LL);
    assert_string_equal(json_string_value(json_object_get(obj, "id")), "cut-\xef\xbf\xbd");
    error = json_object_get(obj, "error");
    assert_string_equal(json_string_value(json_object_get(error, "reason")), "missing_field");
    assert_string_equal(json_string_value(json_object_get(error, "detail")),
                        "tab\there \"quoted\"");
    json_decref(obj);
    nf_buf_free(&out);
    nf_enriched_free(&e);
}

/* Junk lines are dropped before the language stage: a short French body drowned in English site
 * junk is French. */
static void test_junk_does_not_vote(void **state)
{
    (void)state;
    const char in[] = "{\"id\":\"s-9\",\"body\":\"Read More\\nSubscribe to our newsletter\\n"
                      "Share on Facebook\\nLeave a comment\\nSign up for our daily briefing\\n"
                      "Les cheminots ont annonc\\u00e9 que la gr\\u00e8ve continuerait jusqu'au "
                      "vote du conseil.\\nRead More\\nShare this article\"}";
    nf_enriched_t e;
    memset(&e, 0, sizeof(e));
    nf_reject_t rej;
    assert_int_equal(process(in, &e, &rej), NF_OK);
    assert_true(e.junk_lines >= 5);
    assert_string_equal(e.lang.code, "fr");
    nf_enriched_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_shape),
        cmocka_unit_test(test_record_minimal),
        cmocka_unit_test(test_same_text_same_hash),
        cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_junk_does_not_vote),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
