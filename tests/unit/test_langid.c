#include "nf_test.h"

#include "newsflow/langid.h"

static void expect_script(const nf_langid_t *l, const char *text, const char *script)
{
    nf_lang_t out;
    nf_langid_detect(l, text, strlen(text), &out);
    assert_string_equal(out.script, script);
    assert_string_equal(out.code, "und");
    assert_true(out.confidence == 0.0);
}

static void test_scripts(void **state)
{
    (void)state;
    char err[128];
    nf_langid_t *l = nf_langid_new(err, sizeof(err));
    assert_non_null(l);
    expect_script(l, "The Varna river rose 6.4 metres.", "Latn");
    expect_script(l, "Река Варна вышла из берегов.", "Cyrl");
    expect_script(l, "فاض نهر فارنا يوم السبت.", "Arab");
    expect_script(l, "Ο ποταμός Βάρνα πλημμύρισε.", "Grek");
    expect_script(l, "瓦尔纳河水位上涨。", "Hani");
    /* mixed: the majority of letters decides; digits and punctuation do not vote */
    expect_script(l, "Orvane Rail: 740 поездов отменены в долине Кессель 2026!!!", "Cyrl");
    expect_script(l, "12,480 / 6.4 -- 1931", "Zyyy");
    /* invalid bytes are skipped, not fatal */
    expect_script(l, "Mirograd \xff\xfe flood", "Latn");
    nf_langid_destroy(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_scripts)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
