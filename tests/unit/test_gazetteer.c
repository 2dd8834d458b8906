/* Gazetteers: the tokenizer (offsets with combining marks and astral characters), each
 * built-in source, longest match, flags, the user file format and its errors, reloads. */
#include "nf_test.h"

#include "newsflow/gazetteer.h"

static const nf_gazetteer_t *builtin;

static int setup(void **state)
{
    (void)state;
    char err[256];
    builtin = nf_gazetteer_builtin(NULL, err, sizeof(err));
    if (!builtin)
        fprintf(stderr, "%s\n", err);
    return builtin ? 0 : -1;
}

static const nf_gaz_entry_t *match_text(const nf_gazetteer_t *g, const char *text, size_t *words)
{
    nf_token_t toks[64];
    size_t n = nf_tokenize(text, strlen(text), toks, 64);
    const nf_gaz_entry_t *entry = NULL;
    *words = nf_gazetteer_match(g, toks, n, &entry, NULL);
    return *words ? entry : NULL;
}

static void expect_id(const nf_gazetteer_t *g, const char *text, const char *id)
{
    size_t words;
    const nf_gaz_entry_t *e = match_text(g, text, &words);
    if (!e || strcmp(e->id, id) != 0)
        fail_msg("'%s' -> %s, want %s", text, e ? e->id : "nothing", id);
}

static void test_tokenizer_offsets(void **state)
{
    (void)state;
    /* "Ама́лия" has a combining acute (U+0301) inside the word; 😀 is astral (one code point,
     * four bytes); "e\u0301" after it is a decomposed é. */
    const char *text = "Ама\xcc\x81лия \xf0\x9f\x98\x80 Jose\xcc\x81 al-Assad";
    nf_token_t toks[8];
    size_t n = nf_tokenize(text, strlen(text), toks, 8);
    assert_int_equal(n, 4);
    assert_int_equal(toks[0].cp_start, 0);
    assert_int_equal(toks[0].cp_end, 7);    /* 6 letters + the combining mark */
    assert_int_equal(toks[1].cp_start, 10); /* after the space, the emoji, the space */
    assert_int_equal(toks[1].cp_end, 15);
    assert_int_equal(toks[2].cp_start, 16);
    assert_int_equal(toks[3].cp_end, 24);
    assert_true(toks[0].flags & NF_TOK_UPPER);
    assert_true(toks[0].flags & NF_TOK_SENT_START);
    assert_false(toks[3].flags & NF_TOK_BREAK); /* a hyphen joins */
    /* Case, accents and the combining mark do not change the hash. */
    assert_true(toks[1].hash == nf_token_hash("jose", 4));
    assert_true(nf_token_hash("Amalia", 6) == nf_token_hash("AMÁLIA", strlen("AMÁLIA")));
    /* More tokens than room: the count says how many to make room for. */
    assert_int_equal(nf_tokenize(text, strlen(text), toks, 1), 4);
    /* Punctuation breaks, a full stop starts a sentence. */
    n = nf_tokenize("Paris, Rome. Oslo", 17, toks, 8);
    assert_int_equal(n, 3);
    assert_true(toks[1].flags & NF_TOK_BREAK);
    assert_true(toks[2].flags & NF_TOK_SENT_START);
    assert_true(toks[2].flags & NF_TOK_DOT);
    /* Han characters are words by themselves. */
    assert_int_equal(nf_tokenize("北京市", strlen("北京市"), toks, 8), 3);
    /* Invalid UTF-8 separates. */
    assert_int_equal(nf_tokenize("ab\xff"
                                 "cd",
                                 5, toks, 8),
                     2);
}

static void test_builtin_sources(void **state)
{
    (void)state;
    assert_true(nf_gazetteer_entries(builtin) > 2000);
    /* ICU/CLDR countries, every script */
    expect_id(builtin, "Russia", "loc:ru");
    expect_id(builtin, "Russie", "loc:ru");
    expect_id(builtin, "Россия", "loc:ru");
    expect_id(builtin, "روسيا", "loc:ru");
    expect_id(builtin, "俄罗斯", "loc:ru");
    expect_id(builtin, "Côte d’Ivoire", "loc:ci");
    /* ICU/CLDR exemplar cities */
    expect_id(builtin, "Moscou", "loc:ru:moscow");
    expect_id(builtin, "Москва", "loc:ru:moscow");
    expect_id(builtin, "موسكو", "loc:ru:moscow");
    /* iso-codes ISO 3166-2 regions with translations */
    expect_id(builtin, "Californie", "loc:us:ca");
    /* hand-written aliases and organisations */
    expect_id(builtin, "Beijing", "loc:cn:beijing");
    expect_id(builtin, "OTAN", "org:nato");
    expect_id(builtin, "الأمم المتحدة", "org:un");
    const nf_gaz_entry_t *e = nf_gazetteer_find_id(builtin, "loc:fr");
    assert_non_null(e);
    assert_string_equal(e->name, "France");
    assert_int_equal(e->type, NF_ENTITY_LOC);
    assert_null(nf_gazetteer_find_id(builtin, "loc:nowhere"));
}

static void test_longest_match_and_flags(void **state)
{
    (void)state;
    const char *tsv = "# test\n"
                      "loc:a\tLOC\t-\ten=New Varna\n"
                      "loc:b\tLOC\t-\tVarna\n"
                      "loc:c\tLOC\t-\tNew Varna Bay\tfr=Baie de New Varna\n"
                      "org:d\tORG\t-\tVRB\n"
                      "loc:e\tLOC\tamb\tDawn\n";
    char err[256];
    nf_gazetteer_t *g = nf_gazetteer_parse(tsv, strlen(tsv), "test", err, sizeof(err));
    assert_non_null(g);
    assert_int_equal(nf_gazetteer_entries(g), 5);
    assert_int_equal(nf_gazetteer_names(g), 6);
    size_t words;
    /* nested names: the longest wins, whatever comes after */
    assert_string_equal(match_text(g, "New Varna Bay is wide", &words)->id, "loc:c");
    assert_int_equal(words, 3);
    assert_string_equal(match_text(g, "New Varna harbour", &words)->id, "loc:a");
    assert_int_equal(words, 2);
    assert_string_equal(match_text(g, "varna", &words)->id, "loc:b");
    assert_null(match_text(g, "New", &words));
    /* a break inside a name stops it */
    assert_string_equal(match_text(g, "New Varna, Bay", &words)->id, "loc:a");
    /* flags: acronym computed, amb from the file */
    nf_token_t toks[4];
    size_t n = nf_tokenize("VRB", 3, toks, 4);
    const nf_gaz_entry_t *e;
    unsigned flags = 0;
    assert_int_equal(nf_gazetteer_match(g, toks, n, &e, &flags), 1);
    assert_true(flags & NF_GAZ_ACRONYM);
    n = nf_tokenize("Dawn", 4, toks, 4);
    assert_int_equal(nf_gazetteer_match(g, toks, n, &e, &flags), 1);
    assert_true(flags & NF_GAZ_AMBIGUOUS);
    assert_false(flags & NF_GAZ_ACRONYM);
    nf_gazetteer_destroy(g);
}

static void expect_bad(const char *tsv, const char *why)
{
    char err[256] = "";
    nf_gazetteer_t *g = nf_gazetteer_parse(tsv, strlen(tsv), "user.tsv", err, sizeof(err));
    if (g)
        fail_msg("accepted: %s", tsv);
    if (!strstr(err, why))
        fail_msg("error '%s' does not mention '%s'", err, why);
}

static void test_malformed_user_gazetteer(void **state)
{
    (void)state;
    expect_bad("person:x\tPERSON\t-\n", "user.tsv:1: expected");
    expect_bad("\n\nperson:x\tHUMAN\t-\tX\n", "user.tsv:3: type 'HUMAN'");
    expect_bad("a b\tLOC\t-\tX\n", "without spaces");
    expect_bad("loc:x\tLOC\tweird\tX\n", "unknown flag 'weird'");
    expect_bad("loc:x\tLOC\t-\t\n", "empty name");
    expect_bad("loc:x\tLOC\t-\t--\n", "no letters");
    expect_bad("loc:x\tLOC\t-\tX\nloc:x\tORG\t-\tY\n", "another type");
    expect_bad("loc:x\tLOC\t-\t\xff\n", "UTF-8");
    /* CRLF, comments, blank lines and a missing final newline are fine */
    const char *ok =
        "# c\r\n\r\nperson:x\tPERSON\t-\ten=Anna Petrova\tru=Анна Петрова\r\nloc:y\tLOC\t-\tY";
    char err[256];
    nf_gazetteer_t *g = nf_gazetteer_parse(ok, strlen(ok), "ok", err, sizeof(err));
    assert_non_null(g);
    assert_string_equal(nf_gazetteer_find_id(g, "person:x")->name, "Anna Petrova");
    nf_gazetteer_destroy(g);
}

static void test_user_slot_and_reload(void **state)
{
    (void)state;
    char path[] = "/tmp/nf_gaz_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *v1 = "loc:v\tLOC\t-\tVelmora\n";
    assert_int_equal(write(fd, v1, strlen(v1)), (ssize_t)strlen(v1));
    close(fd);
    char err[256];
    assert_null(nf_gazetteer_user_acquire());
    assert_int_equal(nf_gazetteer_user_load(path, err, sizeof(err)), NF_OK);
    assert_string_equal(nf_gazetteer_user_path(), path);
    nf_gazetteer_t *held = nf_gazetteer_user_acquire();
    assert_non_null(held);
    assert_non_null(nf_gazetteer_find_id(held, "loc:v"));

    /* A reload request is a flag read once. */
    assert_false(nf_gazetteer_user_reload_requested());
    nf_gazetteer_user_request_reload();
    assert_true(nf_gazetteer_user_reload_requested());
    assert_false(nf_gazetteer_user_reload_requested());

    /* A bad file keeps the old gazetteer and says why. */
    FILE *f = fopen(path, "w");
    fputs("loc:w\tPLACE\t-\tDunmere\n", f);
    fclose(f);
    assert_int_equal(nf_gazetteer_user_reload(err, sizeof(err)), NF_ERR_CONFIG);
    assert_non_null(strstr(err, ":1: type 'PLACE'"));
    nf_gazetteer_t *still = nf_gazetteer_user_acquire();
    assert_ptr_equal(still, held);
    nf_gazetteer_user_release(still);

    /* A good file replaces it; the reference held stays valid until released. */
    f = fopen(path, "w");
    fputs("loc:w\tLOC\t-\tDunmere\n", f);
    fclose(f);
    assert_int_equal(nf_gazetteer_user_reload(err, sizeof(err)), NF_OK);
    nf_gazetteer_t *now = nf_gazetteer_user_acquire();
    assert_ptr_not_equal(now, held);
    assert_non_null(nf_gazetteer_find_id(now, "loc:w"));
    assert_non_null(nf_gazetteer_find_id(held, "loc:v"));
    assert_true(nf_gazetteer_generation(now) != nf_gazetteer_generation(held));
    nf_gazetteer_user_release(now);
    nf_gazetteer_user_release(held);

    /* A missing file at load: error, old kept; "" clears. */
    assert_int_equal(nf_gazetteer_user_load("/nonexistent/g.tsv", err, sizeof(err)), NF_ERR_CONFIG);
    assert_non_null(strstr(err, "/nonexistent/g.tsv"));
    assert_int_equal(nf_gazetteer_user_load("", err, sizeof(err)), NF_OK);
    assert_null(nf_gazetteer_user_acquire());
    assert_int_equal(nf_gazetteer_user_reload(err, sizeof(err)), NF_OK);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenizer_offsets),
        cmocka_unit_test(test_builtin_sources),
        cmocka_unit_test(test_longest_match_and_flags),
        cmocka_unit_test(test_malformed_user_gazetteer),
        cmocka_unit_test(test_user_slot_and_reload),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
