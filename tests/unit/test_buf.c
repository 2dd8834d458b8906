#include "nf_test.h"

#include "newsflow/buf.h"

static void test_append_and_printf(void **state)
{
    (void)state;
    nf_buf_t b = NF_BUF_INIT;
    for (int i = 0; i < 1000; i++)
        nf_buf_printf(&b, "%d,", i);
    assert_false(b.failed);
    assert_int_equal(b.len, strlen(b.data));
    assert_memory_equal(b.data, "0,1,2,", 6);
    assert_string_equal(b.data + b.len - 4, "999,");
    char big[600];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    nf_buf_reset(&b);
    nf_buf_printf(&b, "[%s]", big); /* longer than the printf fast path */
    assert_int_equal(b.len, 601);
    assert_int_equal(b.data[600], ']');
    nf_buf_free(&b);
}

static void test_json_escape(void **state)
{
    (void)state;
    nf_buf_t b = NF_BUF_INIT;
    const char in[] = "a\"b\\c\nd\te\x01 é Ж";
    nf_buf_json_escape(&b, in, strlen(in));
    assert_string_equal(b.data, "a\\\"b\\\\c\\nd\\te\\u0001 é Ж");
    nf_buf_reset(&b);
    const char bad[] = "ok\xc3\x28 and \xff!";
    nf_buf_json_escape(&b, bad, strlen(bad));
    assert_string_equal(b.data, "ok\\ufffd( and \\ufffd!");
    nf_buf_reset(&b);
    const char cut[] = "Мир"; /* cut inside the last character */
    nf_buf_json_escape(&b, cut, strlen(cut) - 1);
    assert_string_equal(b.data, "Ми\\ufffd");
    nf_buf_reset(&b);
    nf_buf_json_string(&b, NULL);
    nf_buf_json_string(&b, "x");
    assert_string_equal(b.data, "null\"x\"");
    nf_buf_free(&b);
}

static void test_copy_escapes(void **state)
{
    (void)state;
    nf_buf_t b = NF_BUF_INIT;
    const char in[] = "a\\b\nc\rd\te";
    nf_buf_copy_text(&b, in, strlen(in));
    assert_string_equal(b.data, "a\\\\b\\nc\\rd\\te");
    nf_buf_reset(&b);
    nf_buf_copy_text(&b, NULL, 0);
    assert_string_equal(b.data, "\\N");
    nf_buf_reset(&b);
    const unsigned char bytes[] = {0x00, 0xff, 0x10};
    nf_buf_copy_bytea(&b, bytes, sizeof(bytes));
    assert_string_equal(b.data, "\\\\x00ff10");
    char hex[7];
    nf_hex(bytes, 3, hex);
    assert_string_equal(hex, "00ff10");
    nf_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_printf),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_copy_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
