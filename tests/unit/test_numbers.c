/* Numbers and dates normalised across languages and scripts. */
#include "nf_test.h"

#include "newsflow/numbers.h"

/* The only VALUE found in text, in thousandths. */
static int64_t value_of(const char *text)
{
    nf_number_t n[8];
    size_t count = nf_numbers_extract(text, strlen(text), n, 8);
    int64_t v = -1;
    for (size_t i = 0; i < count && i < 8; i++)
        if (n[i].kind == NF_NUMBER_VALUE) {
            assert_int_equal(v, -1); /* exactly one */
            v = n[i].value;
        }
    return v;
}

static int64_t date_of(const char *text)
{
    nf_number_t n[8];
    size_t count = nf_numbers_extract(text, strlen(text), n, 8);
    for (size_t i = 0; i < count && i < 8; i++)
        if (n[i].kind == NF_NUMBER_DATE)
            return n[i].value;
    return -1;
}

static void test_grouping_every_locale(void **state)
{
    (void)state;
    const char *same[] = {
        "12480 residents",                   /* plain */
        "evacuated 12,480 residents",        /* en */
        "ont évacué 12 480 habitants",       /* fr: space */
        "ont évacué 12\u202f480 habitants",  /* fr: narrow no-break space */
        "12\u00a0480 Einwohner",             /* no-break space */
        "evakuierten 12.480 Einwohner",      /* de */
        "12'480 Einwohner",                  /* ch */
        "evacuaron a 12.480 vecinos",        /* es */
        "12 mille 480 abitanti",             /* it: words */
        "12 mila 480 abitanti",              /* it */
        "12 mil 480 vecinos",                /* es, pt */
        "эвакуировали 12 480 жителей",       /* ru */
        "12 тысяч 480 жителей",              /* ru: words */
        "евакуювали 12 тисяч 480 мешканців", /* uk */
        "إجلاء ١٢٬٤٨٠ من السكان",            /* ar: Arabic-Indic digits + Arabic separator */
        "إجلاء ١٢٤٨٠ من السكان",             /* ar: no separator */
        "إجلاء 12 ألف 480 من السكان",        /* ar: words */
        "تخلیه ۱۲٬۴۸۰ نفر",                  /* fa: Extended Arabic-Indic digits */
        "१२४८० निवासी",                      /* hi: Devanagari digits */
    };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        print_message("%s\n", same[i]);
        assert_int_equal(value_of(same[i]), 12480000);
    }
}

static void test_decimals_and_multipliers(void **state)
{
    (void)state;
    assert_int_equal(value_of("reached 6.4 metres"), 6400);
    assert_int_equal(value_of("atteint 6,4 mètres"), 6400);
    assert_int_equal(value_of("بلغ ٦٫٤ متر"), 6400);
    assert_int_equal(value_of("40 million dinars"), 40000000000LL);
    assert_int_equal(value_of("40 millions de dinars"), 40000000000LL);
    assert_int_equal(value_of("40 Millionen Dinar"), 40000000000LL);
    assert_int_equal(value_of("40 millones de dinares"), 40000000000LL);
    assert_int_equal(value_of("40 миллионов динаров"), 40000000000LL);
    assert_int_equal(value_of("40 мільйонів динарів"), 40000000000LL);
    assert_int_equal(value_of("40 مليون دينار"), 40000000000LL);
    assert_int_equal(value_of("1.5 million"), 1500000000LL);
    assert_int_equal(value_of("1,5 Millionen"), 1500000000LL);
    assert_int_equal(value_of("2 billion"), 2000000000000LL);
    assert_int_equal(value_of("1,234.5 tonnes"), 1234500);
    assert_int_equal(value_of("1.234,5 Tonnen"), 1234500);
    /* a list is not a grouped number */
    nf_number_t n[8];
    assert_int_equal(nf_numbers_extract("3, 480", 6, n, 8), 2);
    /* letters glued to digits are codes, not numbers */
    assert_int_equal(nf_numbers_extract("route A480 and B12", 18, n, 8), 0);
}

static void test_years(void **state)
{
    (void)state;
    nf_number_t n[8];
    size_t c = nf_numbers_extract("since 1931", 10, n, 8);
    assert_int_equal(c, 1);
    assert_int_equal(n[0].kind, NF_NUMBER_YEAR);
    assert_int_equal(n[0].value, 1931);
    c = nf_numbers_extract("1,931 people", 12, n, 8);
    assert_int_equal(c, 1);
    assert_int_equal(n[0].kind, NF_NUMBER_VALUE);
}

static void test_dates_every_language(void **state)
{
    (void)state;
    const char *march14[] = {
        "on 14 March 2026",   "on March 14, 2026", "le 14 mars",     "am 14. März",
        "el 14 de marzo",     "il 14 marzo",       "em 14 de março", "op 14 maart",
        "14 марта 2026 года", "14 березня",        "في 14 مارس",     "2026-03-14",
        "14.03.2026",         "14/03/2026",        "في ١٤ مارس",     "Mar 14",
    };
    for (size_t i = 0; i < sizeof(march14) / sizeof(march14[0]); i++) {
        print_message("%s\n", march14[i]);
        assert_int_equal(date_of(march14[i]), 314);
    }
    assert_int_equal(date_of("2 мая"), 502);
    assert_int_equal(date_of("2 травня"), 502);
    assert_int_equal(date_of("25 November"), 1125);
    assert_int_equal(date_of("25 ноября"), 1125);
    assert_int_equal(date_of("25 نوفمبر"), 1125);
    /* not dates */
    assert_int_equal(date_of("45 March"), -1);
    assert_int_equal(date_of("2026-13-01"), -1);
    assert_int_equal(date_of("may rise by 14 metres"), -1);
}

static void test_month_names(void **state)
{
    (void)state;
    assert_int_equal(nf_numbers_month("Dezember", 8), 12);
    assert_int_equal(nf_numbers_month("ДЕКАБРЯ", strlen("ДЕКАБРЯ")), 12);
    assert_int_equal(nf_numbers_month("Mayor", 5), 0);
    assert_int_equal(nf_numbers_month("Marseille", 9), 0);
}

static void test_bounds(void **state)
{
    (void)state;
    nf_number_t n[2];
    const char *many = "10 20 30 40 50";
    assert_int_equal(nf_numbers_extract(many, strlen(many), n, 2), 5); /* counted, 2 written */
    assert_int_equal(n[1].value, 20000);
    assert_int_equal(nf_numbers_extract("", 0, n, 2), 0);
    const char bad[] = {'1', '2', (char)0xff, '3', 0};
    assert_true(nf_numbers_extract(bad, 4, n, 2) >= 1);
    /* a digit run too long for int64 does not overflow */
    const char *huge = "123456789012345678901234567890";
    assert_int_equal(nf_numbers_extract(huge, strlen(huge), n, 2), 1);
    /* nor does scaling a saturated run or a long chain of groups to thousandths (UBSan) */
    const char *nines = "9999999999999999 x 999,999,999,999,999,999,999.5";
    assert_true(nf_numbers_extract(nines, strlen(nines), n, 2) >= 2);
    assert_true(n[0].value > 0 && n[1].value > 0);
    /* a fractional run longer than int64's digits keeps its first three (fuzz_chain, UBSan) */
    const char *frac = "6/6666,66666666666666666666666666666666";
    assert_int_equal(nf_numbers_extract(frac, strlen(frac), n, 2), 2);
    assert_int_equal(n[1].value, 6666666);
    const char *plain = "0,25 and 3.14159";
    assert_int_equal(nf_numbers_extract(plain, strlen(plain), n, 2), 2);
    assert_int_equal(n[0].value, 250);
    assert_int_equal(n[1].value, 3141);
}

/* The scan skips to the next digit eight code points at a time: a digit at every offset from a
 * block's start, after a word that takes it along ("aaaa4") or after a space, in ASCII and in
 * other scripts, is read as a walk a code point at a time would read it. */
static void test_digits_at_every_offset(void **state)
{
    (void)state;
    char text[512];
    for (size_t k = 0; k < 40; k++) {
        size_t n = 0;
        for (size_t i = 0; i < k; i++)
            text[n++] = 'a';
        n += (size_t)snprintf(text + n, sizeof(text) - n, "4 then 12");
        print_message("%s\n", text);
        /* "a...a4" is a word with a digit, not a number (none at all when k = 0: "4" is) */
        nf_number_t v[4];
        size_t count = nf_numbers_extract(text, n, v, 4);
        assert_int_equal(count, k == 0 ? 2 : 1);
        assert_int_equal(v[count - 1].value, 12000);

        n = 0;
        for (size_t i = 0; i < k; i++)
            n += (size_t)snprintf(text + n, sizeof(text) - n, "ж");
        n += (size_t)snprintf(text + n, sizeof(text) - n, " ١٢٬٤٨٠ ж%s", k % 2 ? "" : " 7");
        count = nf_numbers_extract(text, n, v, 4);
        assert_int_equal(count, k % 2 ? 1 : 2);
        assert_int_equal(v[0].value, 12480000);
        if (count == 2)
            assert_int_equal(v[1].value, 7000);
    }
    /* a number at the very end of a long text; words with digits among numbers */
    char long_text[2100];
    memset(long_text, 'x', 2000);
    memcpy(long_text + 2000, " 99", 4);
    assert_int_equal(value_of(long_text), 99000);
    const char *words = "COVID19 A4 12 mille and 3";
    nf_number_t w[8];
    size_t count = nf_numbers_extract(words, strlen(words), w, 8);
    assert_int_equal(count, 2); /* two words with digits, 12 mille = 12,000, and 3 */
    assert_int_equal(w[0].value, 12000000);
    assert_int_equal(w[1].value, 3000);
}

/* The UTF-16 entry point finds what the UTF-8 one finds in the same text (the fingerprint
 * calls it with the normalizer's UTF-16). */
static void test_utf16_same_answers(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "12,480 people on 14 March 2026, 3.5 million euros",
        "le 14 mars, 12 480 personnes et 2,5 milliards",
        "14. März: 12.480 Menschen, 40 Millionen Euro",
        "14 марта 12 480 человек и 2 тысячи",
        "في 14 مارس ١٢٬٤٨٠ شخصا و 3 مليون دولار",
        "2026-03-14, 14/03/2026 and route A480, COVID19",
        "𝟏𝟐 and 7 (a supplementary letter: 𐐀 12)",
        "",
    };
    nf_numbers_scratch_t scratch = {NULL, 0}; /* one buffer for every text, as a thread keeps */
    for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
        const char *text = texts[t];
        uint16_t u16[256];
        size_t n16 = 0;
        for (size_t i = 0; text[i];) { /* a small UTF-8 to UTF-16 decoder for the test */
            unsigned char b = (unsigned char)text[i];
            uint32_t c;
            int extra = b < 0x80 ? 0 : b < 0xe0 ? 1 : b < 0xf0 ? 2 : 3;
            c = extra == 0 ? b : extra == 1 ? b & 0x1fu : extra == 2 ? b & 0x0fu : b & 0x07u;
            for (int k = 1; k <= extra; k++)
                c = c << 6 | ((unsigned char)text[i + (size_t)k] & 0x3fu);
            i += (size_t)extra + 1;
            if (c >= 0x10000) {
                u16[n16++] = (uint16_t)(0xd800 + ((c - 0x10000) >> 10));
                u16[n16++] = (uint16_t)(0xdc00 + ((c - 0x10000) & 0x3ff));
            } else {
                u16[n16++] = (uint16_t)c;
            }
        }
        nf_number_t a[16], b[16], c[16];
        size_t na = nf_numbers_extract(text, strlen(text), a, 16);
        size_t nb = nf_numbers_extract_utf16(u16, n16, b, 16);
        size_t nc = nf_numbers_extract_utf16_scratch(u16, n16, c, 16, &scratch);
        assert_int_equal(na, nb);
        assert_int_equal(na, nc);
        for (size_t i = 0; i < na && i < 16; i++) {
            assert_int_equal(a[i].kind, b[i].kind);
            assert_int_equal(a[i].value, b[i].value);
            assert_int_equal(a[i].kind, c[i].kind);
            assert_int_equal(a[i].value, c[i].value);
        }
    }
    assert_non_null(scratch.cp); /* kept for the next text */
    /* a huge text's buffer is not kept; its numbers are found all the same */
    size_t big = 300000;
    uint16_t *huge = malloc(big * sizeof(uint16_t));
    assert_non_null(huge);
    for (size_t i = 0; i < big; i++)
        huge[i] = ' ';
    memcpy(huge + big - 8, (const uint16_t[]){'1', '2', ' ', 'x', ' ', '4', '8', '0'},
           8 * sizeof(uint16_t));
    nf_number_t h[4];
    assert_int_equal(nf_numbers_extract_utf16_scratch(huge, big, h, 4, &scratch), 2);
    assert_int_equal(h[0].value, 12000);
    assert_int_equal(h[1].value, 480000);
    assert_null(scratch.cp);
    assert_int_equal(scratch.cap, 0);
    free(huge);
    nf_numbers_scratch_free(&scratch);
    /* an unpaired surrogate is skipped, like an invalid UTF-8 sequence */
    static const uint16_t lone[] = {'1', '2', 0xd800, '3', ' ', '4', '5'};
    nf_number_t n[4];
    size_t c = nf_numbers_extract_utf16(lone, sizeof(lone) / sizeof(lone[0]), n, 4);
    size_t d = nf_numbers_extract("123 45", 6, n, 4);
    assert_int_equal(c, d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grouping_every_locale),
        cmocka_unit_test(test_decimals_and_multipliers),
        cmocka_unit_test(test_years),
        cmocka_unit_test(test_dates_every_language),
        cmocka_unit_test(test_month_names),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_digits_at_every_offset),
        cmocka_unit_test(test_utf16_same_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
