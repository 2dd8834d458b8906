/* Normalizer: NFC, white space, line breaks, junk lines in several languages. */
#include "nf_test.h"

#include <unicode/ustring.h>

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
    unsigned junk = 12345;
    assert_int_equal(nf_normalize(norm, in, strlen(in), drop_junk, &out, &junk), NF_OK);
    const char *got = out.data ? out.data : "";
    if (strcmp(got, want) != 0)
        fail_msg("normalize('%s') = '%s', want '%s'", in, got, want);
    assert_int_equal(out.len, strlen(want));
    nf_buf_free(&out);
    return junk;
}

static void test_nfc(void **state)
{
    (void)state;
    check("e\xcc\x81", 0, "\xc3\xa9");                               /* e + U+0301 -> é */
    check("Cafe\xcc\x81 in Mirograd", 0, "Caf\xc3\xa9 in Mirograd"); /* inside a sentence */
    check("Caf\xc3\xa9", 0, "Caf\xc3\xa9");                          /* already NFC */
    /* Cyrillic й written as и + U+0306 */
    check("\xd0\xb8\xcc\x86", 0, "\xd0\xb9");
    /* Å as A + U+030A, and the Angstrom sign U+212B (NFC maps it to U+00C5) */
    check("A\xcc\x8a \xe2\x84\xab", 0, "\xc3\x85 \xc3\x85");
    /* NFC, not NFKC: the fi ligature and full-width digits stay */
    check("\xef\xac\x81 \xef\xbc\x91", 0, "\xef\xac\x81 \xef\xbc\x91");
}

static void test_whitespace_and_lines(void **state)
{
    (void)state;
    check("  a \t\t b\xc2\xa0\xc2\xa0 c  ", 0, "a b c"); /* tabs, NBSP, trimming */
    check("Port   Varnel", 0, "Port Varnel");
    check("\xe2\x80\x83wide\xe3\x80\x80space\xe2\x80\x89", 0, "wide space"); /* em, ideographic */
    check("zero\xe2\x80\x8bwidth", 0, "zero width");                         /* U+200B */
    check("one\r\ntwo\rthree\xe2\x80\xa8"
          "four\n\n\n  \nfive",
          0, "one\ntwo\nthree\nfour\nfive");        /* CRLF, CR, U+2028, empty and blank lines */
    check("para\xe2\x80\xa9next", 0, "para\nnext"); /* U+2029 */
    check("\n\n  lead and trail  \n\n", 0, "lead and trail");
    check("a\r\n\r\nb\r\n", 0, "a\nb");
    check("", 1, "");
    check(" \t\n\r\n\xc2\xa0", 1, "");
    /* Persian: ZWNJ (U+200C) belongs to the spelling and stays */
    const char persian[] = "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x87\xd9\x85";
    check(persian, 0, persian);
    check(persian, 1, persian);
    /* Greek, Chinese and an emoji pass through */
    check("\xce\x92\xce\xac\xcf\x81\xce\xbd\xce\xb1 \xe6\xb2\xb3 \xf0\x9f\x8c\x8a", 0,
          "\xce\x92\xce\xac\xcf\x81\xce\xbd\xce\xb1 \xe6\xb2\xb3 \xf0\x9f\x8c\x8a");
}

/* The result is appended: what `out` already holds stays in front. */
static void test_appends(void **state)
{
    (void)state;
    nf_buf_t out = NF_BUF_INIT;
    nf_buf_puts(&out, "prefix|");
    assert_int_equal(nf_normalize(norm, " x  y ", 6, 1, &out, NULL), NF_OK);
    assert_string_equal(out.data, "prefix|x y");
    /* input is read up to len only */
    assert_int_equal(nf_normalize(norm, "|abcdef", 4, 1, &out, NULL), NF_OK);
    assert_string_equal(out.data, "prefix|x y|abc");
    nf_buf_free(&out);
}

static const char *const junk_lines[] = {
    "Read More",
    "Read more \xc2\xbb",
    "READ MORE...",
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
    "Please complete the captcha to continue",
    "Please complete the captcha to continue reading this page",
    "* * *",
    "\xc2\xbb\xc2\xbb\xc2\xbb",
    "ADVERTISEMENT",
};
#define N_JUNK_LINES (sizeof(junk_lines) / sizeof(junk_lines[0]))

static void test_junk_dropped(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_JUNK_LINES; i++) {
        char in[256];
        snprintf(in, sizeof(in), "The Varna rose 6.4 metres.\n%s\nShelters opened.", junk_lines[i]);
        assert_int_equal(check(in, 1, "The Varna rose 6.4 metres.\nShelters opened."), 1);
        /* kept, white space folded, when junk is not dropped */
        assert_int_equal(check(junk_lines[i], 0, junk_lines[i]), 0);
        if (!nf_normalize_is_junk(norm, junk_lines[i], strlen(junk_lines[i])))
            fail_msg("'%s' should be junk", junk_lines[i]);
    }
    /* several junk lines, indented, at both ends and in the middle: each one counted */
    assert_int_equal(check("  Read More  \n"
                           "Flood waters reached Kessel overnight.\n"
                           "\tShare this article\n"
                           "Lire la suite\n"
                           "The dam held.\n"
                           "Comments (3)\n"
                           "Weiterlesen",
                           1, "Flood waters reached Kessel overnight.\nThe dam held."),
                     5);
    /* every line junk: nothing left */
    assert_int_equal(check("Read More\nShare this article", 1, ""), 2);
    /* drop_junk = 0 keeps every junk line and counts none */
    assert_int_equal(
        check("Read More\nText\nShare this article", 0, "Read More\nText\nShare this article"), 0);
    /* the count pointer may be NULL */
    nf_buf_t out = NF_BUF_INIT;
    assert_int_equal(nf_normalize(norm, "Read More\nx", 11, 1, &out, NULL), NF_OK);
    assert_string_equal(out.data, "x");
    nf_buf_free(&out);
}

static void test_real_sentences_kept(void **state)
{
    (void)state;
    const char *keep[] = {
        "Share prices fell 3% on Monday after the announcement in Port Varnel.",
        "Subscribers of the Orvane water utility will pay 12,480 dinars more this year.",
        "Comments by the mayor of Stellin angered the council.",
        "Read more slowly, the teacher in Dunmere told her pupils during the festival.",
        "Lire la suite du rapport prendra des semaines, selon la mairie de Mirograd.",
        "Weiterlesen konnte der Richter in Kessel nicht, weil das Licht ausfiel.",
        "The captcha company from Stellin hired forty engineers last year and plans to hire "
        "another sixty before the end of the coming autumn season, its owner Ilse Marrow said "
        "on Tuesday at the opening of the new office by the harbour.",
        "2026",
        "Advertisement revenue at the Dunmere Courier rose 4%.",
    };
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        assert_int_equal(check(keep[i], 1, keep[i]), 0);
        if (nf_normalize_is_junk(norm, keep[i], strlen(keep[i])))
            fail_msg("'%s' should not be junk", keep[i]);
    }
}

static void test_is_junk(void **state)
{
    (void)state;
    assert_true(nf_normalize_is_junk(norm, "Read More", 9));
    assert_true(nf_normalize_is_junk(norm, "read   more", 11));
    assert_true(nf_normalize_is_junk(norm, "Comments 12", 11));
    assert_true(nf_normalize_is_junk(norm, "---", 3));
    assert_false(nf_normalize_is_junk(norm, "Read", 4));
    assert_false(nf_normalize_is_junk(norm, "Reading rooms reopen in Dunmere", 31));
    assert_false(nf_normalize_is_junk(norm, "Comments on the budget", 22));
    /* only `len` bytes count: "Read More" followed by more text */
    const char longer[] = "Read More about the Kessel dam and its history";
    assert_true(nf_normalize_is_junk(norm, longer, 9));
    assert_false(nf_normalize_is_junk(norm, longer, strlen(longer)));
    /* invalid UTF-8 is never junk (and never crashes) */
    assert_false(nf_normalize_is_junk(norm, "Read \xff More", 11));
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    const char *bad[] = {"caf\xc3\x28", "\xff", "ok \xed\xa0\x80 surrogate", "\xc0\xaf",
                         "cut \xd0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        nf_buf_t out = NF_BUF_INIT;
        unsigned junk = 99;
        assert_int_equal(nf_normalize(norm, bad[i], strlen(bad[i]), 1, &out, &junk),
                         NF_ERR_INVALID_ARG);
        assert_int_equal(out.len, 0);
        nf_buf_free(&out);
    }
    /* the normalizer's own UTF-8 decoding accepts exactly what ICU's u_strFromUTF8 accepts:
     * every lead byte from 0x80 with second, third and fourth bytes at the edges of the
     * ranges of Unicode table 3-7 */
    static const unsigned char seconds[] = {0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0};
    static const unsigned char others[] = {0x80, 0xbf, 0x41};
    for (unsigned lead = 0x80; lead <= 0xff; lead++)
        for (size_t a = 0; a < sizeof(seconds); a++)
            for (size_t b = 0; b < sizeof(others); b++)
                for (size_t c = 0; c < sizeof(others); c++) {
                    char text[8] = {
                        'x', (char)lead, (char)seconds[a], (char)others[b], (char)others[c],
                        'y', 0};
                    UChar u16[16];
                    int32_t ulen = 0;
                    UErrorCode st = U_ZERO_ERROR;
                    u_strFromUTF8(u16, 16, &ulen, text, 6, &st);
                    nf_buf_t out = NF_BUF_INIT;
                    nf_err_t rc = nf_normalize(norm, text, 6, 0, &out, NULL);
                    if ((rc == NF_OK) != (U_SUCCESS(st) != 0))
                        fail_msg("bytes %02x %02x %02x %02x: normalize %s, ICU %s", lead,
                                 seconds[a], others[b], others[c], nf_err_name(rc),
                                 u_errorName(st));
                    nf_buf_free(&out);
                }
    /* the normalizer still works afterwards */
    assert_int_equal(check("still \xc3\xa9 fine", 1, "still \xc3\xa9 fine"), 0);
}

/* One normalizer reused for a large text and then a small one (scratch buffers regrow). */
static void test_large_then_small(void **state)
{
    (void)state;
    nf_buf_t in = NF_BUF_INIT;
    for (int i = 0; i < 5000; i++)
        nf_buf_printf(&in, "Line %d of the Orvane report.\nRead More\n", i);
    nf_buf_t out = NF_BUF_INIT;
    unsigned junk = 0;
    assert_int_equal(nf_normalize(norm, in.data, in.len, 1, &out, &junk), NF_OK);
    assert_int_equal(junk, 5000);
    unsigned lines = 0;
    for (size_t i = 0; i < out.len; i++)
        lines += out.data[i] == '\n';
    assert_int_equal(lines, 4999);
    assert_memory_equal(out.data, "Line 0 of the Orvane report.\nLine 1 ", 36);
    nf_buf_free(&out);
    nf_buf_free(&in);
    assert_int_equal(check("small", 1, "small"), 0);
}

/* The UTF-16 the normalizer hands on is the UTF-16 of what it appended. */
static void test_last_utf16(void **state)
{
    (void)state;
    const char *inputs[] = {
        "Plain  text\n\nRead more\nsecond   line ",
        "Cafe\xcc\x81 \xe2\x80\x8b zero-width, NFC: \xe1\x84\x80\xe1\x85\xa1 Hangul jamo",
        "\xd0\x9c\xd1\x8d\xd1\x80 \xd8\xa8\xd9\x8e \xf0\x9d\x90\x81 supplementary",
        " \n \t ",
    };
    nf_buf_t out = NF_BUF_INIT;
    nf_buf_puts(&out, "prefix: ");
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        size_t before = out.len;
        assert_int_equal(nf_normalize(norm, inputs[i], strlen(inputs[i]), 1, &out, NULL), NF_OK);
        UChar want[512];
        int32_t want_len = 0;
        UErrorCode st = U_ZERO_ERROR;
        u_strFromUTF8(want, 512, &want_len, out.data + before, (int32_t)(out.len - before), &st);
        assert_true(U_SUCCESS(st));
        size_t len = 99;
        const uint16_t *got = nf_normalize_last_utf16(norm, &len);
        assert_int_equal(len, (size_t)want_len);
        if (len)
            assert_memory_equal(got, want, len * sizeof(UChar));
    }
    assert_int_equal(nf_normalize(norm, "bad \xff", 5, 1, &out, NULL), NF_ERR_INVALID_ARG);
    size_t len = 99;
    nf_normalize_last_utf16(norm, &len);
    assert_int_equal(len, 0);
    nf_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nfc),
        cmocka_unit_test(test_whitespace_and_lines),
        cmocka_unit_test(test_appends),
        cmocka_unit_test(test_junk_dropped),
        cmocka_unit_test(test_real_sentences_kept),
        cmocka_unit_test(test_is_junk),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_large_then_small),
        cmocka_unit_test(test_last_utf16),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
