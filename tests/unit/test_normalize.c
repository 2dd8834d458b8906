#include "nf_test.h"

#include "newsflow/normalize.h"

static nf_normalizer_t *norm;

static int setup(void **state)
{
    (void)state;
    char err[128];
    norm = nf_normalizer_new(err, sizeof(err));
    return norm ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    nf_normalizer_destroy(norm);
    return 0;
}

/* Normalizes `in` and compares with `want`; returns the junk lines dropped. */
static unsigned check(const char *in, int drop_junk, const char *want)
{
    nf_buf_t out = NF_BUF_INIT;
    unsigned junk = 0;
    assert_int_equal(nf_normalize(norm, in, strlen(in), drop_junk, &out, &junk), NF_OK);
    assert_string_equal(out.data ? out.data : "", want);
    nf_buf_free(&out);
    return junk;
}

static void test_nfc_and_whitespace(void **state)
{
    (void)state;
    check("Cafe\xcc\x81 in Mirograd", 0, "Caf\xc3\xa9 in Mirograd"); /* e + U+0301 -> é */
    check("  a \t\t b\xc2\xa0\xc2\xa0 c  ", 0, "a b c");             /* tabs, NBSP */
    check("one\r\ntwo\rthree\xe2\x80\xa8"
          "four\n\n\n  \nfive",
          0, "one\ntwo\nthree\nfour\nfive");
    check("zero\xe2\x80\x8bwidth", 0, "zero width");
    /* Persian: ZWNJ (U+200C) belongs to the spelling and stays */
    check("\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x87\xd9\x85", 0,
          "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x87\xd9\x85");
    check("", 1, "");
}

static void test_junk_dropped(void **state)
{
    (void)state;
    const char *junk[] = {
        "Read More",
        "Read more \xc2\xbb",
        "Share this article",
        "Subscribe to our newsletter for daily updates",
        "Comments (12)",
        "Lire la suite",
        "Abonnez-vous",
        "Weiterlesen",
        "Leer m\xc3\xa1s",
        "\xd0\xa7\xd0\xb8\xd1\x82\xd0\xb0\xd1\x82\xd1\x8c \xd0\xb4\xd0\xb0\xd0\xbb"
        "\xd0\xb5\xd0\xb5", /* Читать далее */
        "\xd8\xa7\xd9\x82\xd8\xb1\xd8\xa3 \xd8\xa7\xd9\x84\xd9\x85\xd8\xb2\xd9\x8a"
        "\xd8\xaf", /* اقرأ المزيد */
        "Please complete the captcha to continue reading this page",
        "* * *",
        "ADVERTISEMENT"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        char in[256];
        snprintf(in, sizeof(in), "The Varna rose 6.4 metres.\n%s\nShelters opened.", junk[i]);
        assert_int_equal(check(in, 1, "The Varna rose 6.4 metres.\nShelters opened."), 1);
        assert_true(nf_normalize_is_junk(norm, junk[i], strlen(junk[i])));
    }
}

static void test_real_sentences_kept(void **state)
{
    (void)state;
    const char *keep[] = {
        "Share prices fell 3% on Monday after the announcement in Port Varnel.",
        "Subscribers of the Orvane water utility will pay 12,480 dinars more this year.",
        "Comments by the mayor angered the council.",
        "Read more slowly, the teacher in Dunmere told her pupils during the festival.",
        "2026",
    };
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        assert_int_equal(check(keep[i], 1, keep[i]), 0);
        assert_false(nf_normalize_is_junk(norm, keep[i], strlen(keep[i])));
    }
    /* drop_junk = 0 keeps junk lines */
    assert_int_equal(check("Read More\nText", 0, "Read More\nText"), 0);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    nf_buf_t out = NF_BUF_INIT;
    const char bad[] = "caf\xc3\x28";
    assert_int_equal(nf_normalize(norm, bad, sizeof(bad) - 1, 1, &out, NULL), NF_ERR_INVALID_ARG);
    nf_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nfc_and_whitespace),
        cmocka_unit_test(test_junk_dropped),
        cmocka_unit_test(test_real_sentences_kept),
        cmocka_unit_test(test_invalid_utf8),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
