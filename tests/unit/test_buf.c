/* nf_buf: growth, printf, the JSON and COPY escapers, bytea hex, nf_hex. */
#include "nf_test.h"

#include <jansson.h>
#include <stdlib.h>
#include <unicode/ustring.h>

#include "newsflow/alloc.h"
#include "newsflow/buf.h"

/* Escapes `len` bytes as a JSON string and returns what jansson reads back (caller frees). */
static char *json_roundtrip(const char *s, size_t len)
{
    nf_buf_t b = NF_BUF_INIT;
    nf_buf_putc(&b, '"');
    nf_buf_json_escape(&b, s, len);
    nf_buf_putc(&b, '"');
    assert_false(b.failed);
    json_error_t jerr;
    json_t *v = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    assert_non_null(v);
    assert_true(json_is_string(v));
    char *copy = strdup(json_string_value(v));
    json_decref(v);
    nf_buf_free(&b);
    return copy;
}

static void test_append_growth(void **state)
{
    (void)state;
    nf_buf_t b = NF_BUF_INIT;
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    /* an empty append still gives a NUL-terminated buffer */
    nf_buf_append(&b, "", 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    size_t first_cap = b.cap;
    assert_true(first_cap >= 1);

    /* 100,000 bytes appended one at a time and in chunks: every byte lands, capacity grows */
    for (int i = 0; i < 50000; i++)
        nf_buf_putc(&b, (char)('a' + i % 26));
    char chunk[1000];
    for (size_t i = 0; i < sizeof(chunk); i++)
        chunk[i] = (char)('0' + i % 10);
    for (int i = 0; i < 50; i++)
        nf_buf_append(&b, chunk, sizeof(chunk));
    assert_false(b.failed);
    assert_int_equal(b.len, 100000);
    assert_true(b.cap > b.len); /* room for the NUL */
    assert_true(b.cap > first_cap);
    assert_int_equal(strlen(b.data), 100000);
    assert_int_equal(b.data[0], 'a');
    assert_int_equal(b.data[49999], (char)('a' + 49999 % 26));
    assert_int_equal(b.data[50000], '0');
    assert_int_equal(b.data[99999], '9');

    /* reset keeps the memory, forgets the contents */
    size_t cap = b.cap;
    char *data = b.data;
    nf_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, cap);
    assert_ptr_equal(b.data, data);
    assert_string_equal(b.data, "");
    nf_buf_puts(&b, "Port Varnel");
    nf_buf_putc(&b, '!');
    assert_string_equal(b.data, "Port Varnel!");
    assert_int_equal(b.len, 12);

    /* reserve: enough room afterwards, no change of length */
    assert_int_equal(nf_buf_reserve(&b, 5000), NF_OK);
    assert_true(b.cap >= b.len + 5000 + 1);
    assert_int_equal(b.len, 12);

    /* reserve_exact: exactly the room asked for when it grows (no doubling), kept otherwise */
    nf_buf_t e = NF_BUF_INIT;
    nf_buf_puts(&e, "Ostrava");
    assert_int_equal(nf_buf_reserve_exact(&e, 3000), NF_OK);
    assert_int_equal(e.cap, 7 + 3000 + 1);
    assert_string_equal(e.data, "Ostrava");
    assert_int_equal(nf_buf_reserve_exact(&e, 10), NF_OK);
    assert_int_equal(e.cap, 7 + 3000 + 1);
    nf_buf_free(&e);

    nf_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
}

static void test_printf(void **state)
{
    (void)state;
    nf_buf_t b = NF_BUF_INIT;
    for (int i = 0; i < 1000; i++)
        nf_buf_printf(&b, "%d,", i);
    assert_false(b.failed);
    assert_int_equal(b.len, strlen(b.data));
    assert_memory_equal(b.data, "0,1,2,", 6);
    assert_string_equal(b.data + b.len - 4, "999,");
    /* 10 one-digit + 90 two-digit + 900 three-digit numbers, each with a comma */
    assert_int_equal(b.len, 10 * 2 + 90 * 3 + 900 * 4);

    /* longer than printf's 256-byte fast path, appended after existing text */
    char big[600];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    nf_buf_reset(&b);
    nf_buf_puts(&b, "Dunmere:");
    nf_buf_printf(&b, "[%s]%d", big, 42);
    assert_int_equal(b.len, 8 + 1 + 599 + 1 + 2);
    assert_memory_equal(b.data, "Dunmere:[x", 10);
    assert_string_equal(b.data + b.len - 4, "x]42");
    assert_int_equal(b.data[b.len], '\0');

    /* exactly at the fast-path boundary (255 and 256 characters) */
    for (int n = 254; n <= 258; n++) {
        nf_buf_reset(&b);
        nf_buf_printf(&b, "%.*s", n, big);
        assert_int_equal(b.len, (size_t)n);
        assert_int_equal(strlen(b.data), (size_t)n);
    }
    nf_buf_free(&b);
}

/* nf_buf_put_i64 writes what "%lld" writes, at the extremes and around powers of ten. */
static void test_put_i64(void **state)
{
    (void)state;
    nf_buf_t a = NF_BUF_INIT, b = NF_BUF_INIT;
    int64_t edge[] = {0,
                      1,
                      -1,
                      9,
                      10,
                      -10,
                      99,
                      100,
                      INT64_MAX,
                      INT64_MIN,
                      INT64_MIN + 1,
                      4294967296LL,
                      (int64_t)1 << 35 | 12345,
                      -1000000000000LL};
    for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
        nf_buf_reset(&a);
        nf_buf_reset(&b);
        nf_buf_puts(&a, "{");
        nf_buf_puts(&b, "{");
        nf_buf_put_i64(&a, edge[i]);
        nf_buf_printf(&b, "%lld", (long long)edge[i]);
        assert_false(a.failed);
        assert_string_equal(a.data, b.data);
        assert_int_equal(a.len, b.len);
    }
    uint64_t x = 0x9e3779b97f4a7c15ull; /* a spread of magnitudes and signs */
    for (int i = 0; i < 10000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t v = (int64_t)(x >> (x % 64));
        if (x & 1)
            v = -v;
        nf_buf_reset(&a);
        nf_buf_reset(&b);
        nf_buf_put_i64(&a, v);
        nf_buf_printf(&b, "%lld", (long long)v);
        assert_string_equal(a.data, b.data);
    }
    nf_buf_free(&a);
    nf_buf_free(&b);
}

static void test_json_escape(void **state)
{
    (void)state;
    nf_buf_t b = NF_BUF_INIT;
    const char in[] = "a\"b\\c\nd\te\x01 é Ж";
    nf_buf_json_escape(&b, in, strlen(in));
    assert_string_equal(b.data, "a\\\"b\\\\c\\nd\\te\\u0001 é Ж");

    /* every control character: \n \r \t short forms, the others as \u00XX (lower-case hex) */
    static const char *const want[32] = {
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\u0008", "\\t",     "\\n",     "\\u000b", "\\u000c", "\\r",     "\\u000e", "\\u000f",
        "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
        "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f"};
    for (int c = 0; c < 32; c++) {
        char one = (char)c;
        nf_buf_reset(&b);
        nf_buf_json_escape(&b, &one, 1);
        assert_string_equal(b.data, want[c]);
    }
    /* printable ASCII including DEL passes through untouched */
    nf_buf_reset(&b);
    nf_buf_json_escape(&b, " ~/\x7f", 4);
    assert_string_equal(b.data, " ~/\x7f");

    /* valid multi-byte UTF-8 of every length is kept byte for byte */
    const char multi[] = "caf\xc3\xa9 \xd0\x96 \xe2\x82\xac \xf0\x9f\x8c\x8a \xe6\xb2\xb3";
    nf_buf_reset(&b);
    nf_buf_json_escape(&b, multi, strlen(multi));
    assert_string_equal(b.data, multi);

    /* invalid UTF-8 becomes \ufffd, one per bad byte; the good bytes around it stay */
    const char bad[] = "ok\xc3\x28 and \xff!";
    nf_buf_reset(&b);
    nf_buf_json_escape(&b, bad, strlen(bad));
    assert_string_equal(b.data, "ok\\ufffd( and \\ufffd!");
    nf_buf_reset(&b);
    nf_buf_json_escape(&b, "\xc0\xaf", 2); /* overlong '/' */
    assert_string_equal(b.data, "\\ufffd\\ufffd");
    nf_buf_reset(&b);
    nf_buf_json_escape(&b, "\xed\xa0\x80", 3); /* UTF-8 encoded surrogate U+D800 */
    assert_string_equal(b.data, "\\ufffd\\ufffd\\ufffd");
    nf_buf_reset(&b);
    nf_buf_json_escape(&b, "\xf4\x90\x80\x80", 4); /* above U+10FFFF */
    assert_string_equal(b.data, "\\ufffd\\ufffd\\ufffd\\ufffd");
    nf_buf_reset(&b);
    nf_buf_json_escape(&b, "\x80x", 2); /* lone continuation byte */
    assert_string_equal(b.data, "\\ufffdx");
    const char cut[] = "Мир"; /* cut inside the last character */
    nf_buf_reset(&b);
    nf_buf_json_escape(&b, cut, strlen(cut) - 1);
    assert_string_equal(b.data, "Ми\\ufffd");

    /* only `len` bytes are read, even past an embedded NUL */
    nf_buf_reset(&b);
    nf_buf_json_escape(&b, "ab\0cd", 5);
    assert_int_equal(b.len, 2 + 6 + 2);
    assert_memory_equal(b.data, "ab\\u0000cd", 10);

    nf_buf_reset(&b);
    nf_buf_json_string(&b, NULL);
    nf_buf_json_string(&b, "x");
    nf_buf_json_string(&b, "");
    assert_string_equal(b.data, "null\"x\"\"\"");
    nf_buf_free(&b);

    /* what jansson reads back is the input, with U+FFFD where the input was not UTF-8 */
    const char mixed[] = "Mirograd \"quote\" back\\slash\ttab\x02 \xd0\x96\xff end";
    char *back = json_roundtrip(mixed, strlen(mixed));
    assert_string_equal(back, "Mirograd \"quote\" back\\slash\ttab\x02 \xd0\x96\xef\xbf\xbd end");
    free(back);
}

static void test_copy_escapes(void **state)
{
    (void)state;
    nf_buf_t b = NF_BUF_INIT;
    const char in[] = "a\\b\nc\rd\te";
    nf_buf_copy_text(&b, in, strlen(in));
    assert_string_equal(b.data, "a\\\\b\\nc\\rd\\te");
    nf_buf_reset(&b);
    nf_buf_copy_text(&b, "\\\\\n\n", 4); /* runs of specials */
    assert_string_equal(b.data, "\\\\\\\\\\n\\n");
    nf_buf_reset(&b);
    nf_buf_copy_text(&b, "Stellin \xd0\x96 \"q\"", 14); /* nothing else is escaped */
    assert_string_equal(b.data, "Stellin \xd0\x96 \"q\"");
    nf_buf_reset(&b);
    nf_buf_copy_text(&b, "abcdef", 3); /* only len bytes */
    assert_string_equal(b.data, "abc");
    nf_buf_reset(&b);
    nf_buf_copy_text(&b, NULL, 0);
    assert_string_equal(b.data, "\\N");
    nf_buf_reset(&b);
    nf_buf_copy_text(&b, "", 0); /* empty string is not NULL */
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    /* a row: fields separated by tabs */
    nf_buf_reset(&b);
    nf_buf_copy_text(&b, "a\tb", 3);
    nf_buf_putc(&b, '\t');
    nf_buf_copy_text(&b, NULL, 0);
    assert_string_equal(b.data, "a\\tb\t\\N");

    nf_buf_reset(&b);
    const unsigned char bytes[] = {0x00, 0xff, 0x10, 0xab, 0x7f};
    nf_buf_copy_bytea(&b, bytes, sizeof(bytes));
    assert_string_equal(b.data, "\\\\x00ff10ab7f");
    assert_int_equal(b.len, 3 + 10);
    nf_buf_reset(&b);
    nf_buf_copy_bytea(&b, bytes, 0);
    assert_string_equal(b.data, "\\\\x");
    nf_buf_free(&b);
}

static void test_hex(void **state)
{
    (void)state;
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    char hex[513];
    memset(hex, '?', sizeof(hex));
    nf_hex(all, 256, hex);
    assert_int_equal(strlen(hex), 512);
    assert_memory_equal(hex, "000102", 6);
    assert_memory_equal(hex + 2 * 0x9a, "9a", 2);
    assert_memory_equal(hex + 2 * 0xc5, "c5", 2);
    assert_string_equal(hex + 508, "feff");
    char empty[1] = {'?'};
    nf_hex(all, 0, empty);
    assert_string_equal(empty, "");
    const uint8_t dead[] = {0xde, 0xad, 0xbe, 0xef};
    char four[9];
    nf_hex(dead, 4, four);
    assert_string_equal(four, "deadbeef");
}

/* nf_utf16_to_utf8 writes what u_strToUTF8 writes, and fails where it fails (an unpaired
 * surrogate): every unit class at the edges, then random strings biased to the edges. */
static void check_utf16(const uint16_t *u, size_t n)
{
    char mine[3 * 64 + 1], icu[3 * 64 + 1];
    UErrorCode st = U_ZERO_ERROR;
    int32_t icu_len = 0;
    u_strToUTF8(icu, (int32_t)sizeof(icu), &icu_len, (const UChar *)u, (int32_t)n, &st);
    size_t len = nf_utf16_to_utf8(u, n, mine);
    if (U_FAILURE(st)) {
        assert_true(len == SIZE_MAX);
        return;
    }
    assert_true(len == (size_t)icu_len);
    assert_memory_equal(mine, icu, len);
}

static void test_utf16_to_utf8(void **state)
{
    (void)state;
    static const uint16_t edges[] = {0x0,    0x41,   0x7f,   0x80,   0x7ff,  0x800,  0xd7ff,
                                     0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xfffd, 0xffff};
    size_t n_edges = sizeof(edges) / sizeof(edges[0]);
    for (size_t i = 0; i < n_edges; i++)
        for (size_t j = 0; j < n_edges; j++) {
            uint16_t u[2] = {edges[i], edges[j]};
            check_utf16(u, 1);
            check_utf16(u, 2);
            check_utf16(u + 1, 1);
        }
    check_utf16(edges, 0);
    srand(7);
    for (int round = 0; round < 20000; round++) {
        uint16_t u[64];
        size_t n = (size_t)(rand() % 64);
        /* every other string mostly ASCII, in runs long enough for the eight-unit step */
        for (size_t i = 0; i < n; i++)
            u[i] = round % 2 && rand() % 16 ? (uint16_t)(rand() & 0x7f)
                   : rand() % 4             ? edges[rand() % (int)n_edges]
                                            : (uint16_t)(rand() & 0xffff);
        check_utf16(u, n);
    }
}

/* An allocation failure marks the buffer failed; later appends are ignored, reset clears it. */
static void test_allocation_failure(void **state)
{
    (void)state;
    nf_buf_t b = NF_BUF_INIT;
    nf_buf_puts(&b, "kept");
    char big[1000];
    memset(big, 'y', sizeof(big));
    nf_alloc_fail_after(0);
    nf_buf_append(&b, big, sizeof(big));
    nf_alloc_fail_after(-1);
    assert_true(b.failed);
    assert_string_equal(b.data, "kept"); /* the old contents survive */
    nf_buf_puts(&b, "more");             /* ignored */
    assert_int_equal(b.len, 4);
    assert_int_equal(nf_buf_reserve(&b, 1), NF_ERR_NOMEM);
    nf_buf_reset(&b);
    assert_false(b.failed);
    nf_buf_append(&b, big, sizeof(big));
    assert_false(b.failed);
    assert_int_equal(b.len, sizeof(big));
    nf_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_growth),
        cmocka_unit_test(test_printf),
        cmocka_unit_test(test_put_i64),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_copy_escapes),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_allocation_failure),
        cmocka_unit_test(test_utf16_to_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
