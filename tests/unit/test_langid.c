/* Language stage (foundation): dominant script by letter majority, language "und". */
#include "nf_test.h"

#include "newsflow/langid.h"

static nf_langid_t *langid;

static int setup(void **state)
{
    (void)state;
    char err[128];
    langid = nf_langid_new(err, sizeof(err));
    return langid ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    nf_langid_destroy(langid);
    return 0;
}

static void expect_script_n(const char *text, size_t len, const char *script)
{
    nf_lang_t out;
    memset(&out, 0x5a, sizeof(out)); /* garbage in: every field must be written */
    nf_langid_detect(langid, text, len, &out);
    if (strcmp(out.script, script) != 0)
        fail_msg("script of '%.*s' is %s, want %s", (int)len, text, out.script, script);
    assert_string_equal(out.code, "und");
    assert_true(out.confidence == 0.0);
}

static void expect_script(const char *text, const char *script)
{
    expect_script_n(text, strlen(text), script);
}

static void test_single_scripts(void **state)
{
    (void)state;
    expect_script("The Varna river rose 6.4 metres near Port Varnel.", "Latn");
    expect_script("La crue de la Varna a touch\xc3\xa9 Mirograd samedi.", "Latn");
    /* Река Варна вышла из берегов. */
    expect_script("\xd0\xa0\xd0\xb5\xd0\xba\xd0\xb0 \xd0\x92\xd0\xb0\xd1\x80\xd0\xbd\xd0\xb0 "
                  "\xd0\xb2\xd1\x8b\xd1\x88\xd0\xbb\xd0\xb0 \xd0\xb8\xd0\xb7 "
                  "\xd0\xb1\xd0\xb5\xd1\x80\xd0\xb5\xd0\xb3\xd0\xbe\xd0\xb2.",
                  "Cyrl");
    /* فاض نهر فارنا يوم السبت. */
    expect_script("\xd9\x81\xd8\xa7\xd8\xb6 \xd9\x86\xd9\x87\xd8\xb1 \xd9\x81\xd8\xa7\xd8\xb1"
                  "\xd9\x86\xd8\xa7 \xd9\x8a\xd9\x88\xd9\x85 \xd8\xa7\xd9\x84\xd8\xb3\xd8\xa8"
                  "\xd8\xaa.",
                  "Arab");
    /* Ο ποταμός Βάρνα πλημμύρισε. */
    expect_script("\xce\x9f \xcf\x80\xce\xbf\xcf\x84\xce\xb1\xce\xbc\xcf\x8c\xcf\x82 "
                  "\xce\x92\xce\xac\xcf\x81\xce\xbd\xce\xb1 \xcf\x80\xce\xbb\xce\xb7\xce\xbc"
                  "\xce\xbc\xcf\x8d\xcf\x81\xce\xb9\xcf\x83\xce\xb5.",
                  "Grek");
    /* 瓦尔纳河水位上涨。 */
    expect_script("\xe7\x93\xa6\xe5\xb0\x94\xe7\xba\xb3\xe6\xb2\xb3\xe6\xb0\xb4\xe4\xbd\x8d"
                  "\xe4\xb8\x8a\xe6\xb6\xa8\xe3\x80\x82",
                  "Hani");
}

static void test_mixed_majority(void **state)
{
    (void)state;
    /* "Orvane Rail: 740 поездов отменены в долине Кессель 2026!!!": 10 Latin letters against
     * 29 Cyrillic; digits and punctuation do not vote */
    expect_script("Orvane Rail: 740 \xd0\xbf\xd0\xbe\xd0\xb5\xd0\xb7\xd0\xb4\xd0\xbe\xd0\xb2 "
                  "\xd0\xbe\xd1\x82\xd0\xbc\xd0\xb5\xd0\xbd\xd0\xb5\xd0\xbd\xd1\x8b \xd0\xb2 "
                  "\xd0\xb4\xd0\xbe\xd0\xbb\xd0\xb8\xd0\xbd\xd0\xb5 "
                  "\xd0\x9a\xd0\xb5\xd1\x81\xd1\x81\xd0\xb5\xd0\xbb\xd1\x8c 2026!!!",
                  "Cyrl");
    /* A Latin sentence quoting one Greek word: Latin wins */
    expect_script("The Stellin council called the plan \xce\xbb\xce\xbf\xce\xb3\xce\xb9\xce\xba"
                  "\xcf\x8c in its statement.",
                  "Latn");
    /* Arabic with a Latin brand name */
    expect_script("\xd8\xa3\xd8\xb9\xd9\x84\xd9\x86\xd8\xaa \xd8\xb4\xd8\xb1\xd9\x83\xd8\xa9 "
                  "Orvane \xd8\xb9\xd9\x86 \xd8\xa5\xd8\xb6\xd8\xb1\xd8\xa7\xd8\xa8 "
                  "\xd8\xac\xd8\xaf\xd9\x8a\xd8\xaf \xd9\x81\xd9\x8a \xd9\x85\xd9\x8a\xd8\xb1"
                  "\xd9\x88\xd8\xba\xd8\xb1\xd8\xa7\xd8\xaf",
                  "Arab");
    /* one letter more decides */
    expect_script("abc \xd0\xb0\xd0\xb1", "Latn");
    expect_script("ab \xd0\xb0\xd0\xb1\xd0\xb2", "Cyrl");
}

static void test_no_letters(void **state)
{
    (void)state;
    expect_script("12,480 / 6.4 -- 1931", "Zyyy");
    expect_script("!!! ??? ... 2026-03-14 \xe2\x82\xac 5", "Zyyy");
    expect_script("", "Zyyy");
    expect_script_n("", 0, "Zyyy");
    expect_script("\xf0\x9f\x8c\x8a\xf0\x9f\x8c\x8a", "Zyyy"); /* emoji only */
    /* combining marks alone (Inherited) do not count either */
    expect_script("\xcc\x81\xcc\x81", "Zyyy");
}

static void test_robustness(void **state)
{
    (void)state;
    /* invalid bytes are skipped, not fatal */
    expect_script("Mirograd \xff\xfe flood", "Latn");
    expect_script("\xc3\x28\xd0\xb0\xd0\xb1", "Cyrl");
    /* only len bytes are read */
    const char text[] = "Kessel \xd0\xb0\xd0\xb1\xd0\xb2\xd0\xb3\xd0\xb4\xd0\xb5\xd0\xb6";
    expect_script_n(text, 6, "Latn");
    expect_script_n(text, strlen(text), "Cyrl");
    /* a character cut at the end of len is skipped */
    expect_script_n("\xd0\xb0\xd0", 3, "Cyrl");
    nf_langid_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_scripts),
        cmocka_unit_test(test_mixed_majority),
        cmocka_unit_test(test_no_letters),
        cmocka_unit_test(test_robustness),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
