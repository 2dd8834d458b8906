/* `newsflow enrich` on in-memory streams: one output line per input line, in order. */
#include "nf_test.h"

#include <jansson.h>

#include "newsflow/buf.h"
#include "newsflow/enrich.h"

/* Runs nf_enrich_stream over the stream `in` (closed here); returns the output (caller frees). */
static char *run_enrich_stream(FILE *in, long long max_bytes, nf_enrich_counts_t *counts)
{
    nf_config_t *cfg = nf_config_new();
    assert_non_null(cfg);
    cfg->max_message_bytes = max_bytes;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    char err[256] = "";
    nf_err_t rc = nf_enrich_stream(cfg, in, out, counts, err, sizeof(err));
    if (rc != NF_OK)
        fail_msg("nf_enrich_stream: %s (%s)", nf_err_name(rc), err);
    fclose(in);
    fclose(out);
    nf_config_destroy(cfg);
    return text;
}

/* Runs nf_enrich_stream over `len` bytes of memory (a stream without a descriptor). */
static char *run_enrich(const char *input, size_t len, long long max_bytes,
                        nf_enrich_counts_t *counts)
{
    /* fmemopen refuses a zero-length buffer on some libcs: read from an empty file instead */
    FILE *in = len ? fmemopen((void *)input, len, "r") : fopen("/dev/null", "r");
    assert_non_null(in);
    return run_enrich_stream(in, max_bytes, counts);
}

/* Splits text into its lines (each must end with '\n') and parses each as JSON. */
static size_t parse_lines(char *text, json_t **objs, size_t max)
{
    size_t n = 0;
    char *p = text;
    while (*p) {
        char *nl = strchr(p, '\n');
        assert_non_null(nl); /* every output line is terminated */
        assert_true(n < max);
        json_error_t jerr;
        objs[n] = json_loadb(p, (size_t)(nl - p), JSON_REJECT_DUPLICATES, &jerr);
        if (!objs[n])
            fail_msg("output line %zu is not JSON (%s): %.*s", n + 1, jerr.text, (int)(nl - p), p);
        n++;
        p = nl + 1;
    }
    return n;
}

static void expect_record(json_t *obj, const char *id, const char *status, const char *dup_of)
{
    assert_null(json_object_get(obj, "error"));
    assert_string_equal(json_string_value(json_object_get(obj, "id")), id);
    json_t *dedup = json_object_get(obj, "dedup");
    assert_string_equal(json_string_value(json_object_get(dedup, "status")), status);
    if (dup_of)
        assert_string_equal(json_string_value(json_object_get(dedup, "duplicate_of")), dup_of);
    else
        assert_true(json_is_null(json_object_get(dedup, "duplicate_of")));
}

static void expect_error(json_t *obj, long long line, const char *id, const char *reason)
{
    assert_int_equal(json_integer_value(json_object_get(obj, "line")), line);
    if (id)
        assert_string_equal(json_string_value(json_object_get(obj, "id")), id);
    else
        assert_null(json_object_get(obj, "id"));
    json_t *error = json_object_get(obj, "error");
    assert_non_null(error);
    assert_string_equal(json_string_value(json_object_get(error, "reason")), reason);
    assert_true(strlen(json_string_value(json_object_get(error, "detail"))) > 0);
}

static void test_one_line_per_input_line(void **state)
{
    (void)state;
    /* a 5000-byte line, valid JSON with a readable id: too_large before any parsing */
    char big[5001];
    int head = snprintf(big, sizeof(big), "{\"id\":\"big\",\"body\":\"");
    memset(big + head, 'x', 5000 - (size_t)head - 2);
    memcpy(big + 4998, "\"}", 2);
    big[5000] = '\0';
    assert_int_equal(strlen(big), 5000);

    nf_buf_t in = NF_BUF_INIT;
    nf_buf_puts(&in, "{\"id\":\"a\",\"title\":\"Flood\",\"body\":\"The Varna rose.\"}\r\n"); /* 1 */
    nf_buf_puts(&in, "not json\n");                                                          /* 2 */
    nf_buf_puts(&in, "{\"id\":\"b\",\"body\":\"Read More\\nThe Varna   rose.\"}\n");         /* 3 */
    nf_buf_puts(&in, big);                                                                   /* 4 */
    nf_buf_puts(&in, "\n[1]\n");                                                             /* 5 */
    nf_buf_puts(&in, "\n");                                                                  /* 6 */
    nf_buf_puts(&in, "{\"id\":\"m\"}\r\n");                                                  /* 7 */
    nf_buf_puts(&in, "{\"id\":\"w\",\"body\":42}\n");                                        /* 8 */
    nf_buf_puts(&in, "{\"id\":\"u\",\"body\":\"Kessel \xff\"}\n");                           /* 9 */
    nf_buf_puts(&in, "{\"id\":\"v\",\"body\":\"x\",\"published_at\":\"2026-02-30T00:00:00Z\"}\n");
    nf_buf_puts(&in, "{\"id\":\"j\",\"body\":\"Share this article\\nRead More\"}\n"); /* 11 */
    nf_buf_puts(&in, "{\"id\":\"a\",\"body\":\"The Varna rose.\"}\n");         /* 12: redelivery */
    nf_buf_puts(&in, "{\"id\":\"c\",\"body\":\"Dunmere library reopened.\"}"); /* 13, no \n */

    nf_enrich_counts_t c;
    memset(&c, 0xff, sizeof(c));
    char *text = run_enrich(in.data, in.len, 2048, &c);
    nf_buf_free(&in);

    json_t *objs[32];
    size_t n = parse_lines(text, objs, 32);
    assert_int_equal(n, 13);
    expect_record(objs[0], "a", "unique", NULL);
    expect_error(objs[1], 2, NULL, "invalid_json");
    expect_record(objs[2], "b", "exact_duplicate", "a");
    expect_error(objs[3], 4, NULL, "too_large");
    expect_error(objs[4], 5, NULL, "not_object");
    expect_error(objs[5], 6, NULL, "invalid_json");
    expect_error(objs[6], 7, "m", "missing_field");
    expect_error(objs[7], 8, "w", "wrong_type");
    expect_error(objs[8], 9, NULL, "invalid_utf8");
    expect_error(objs[9], 10, "v", "invalid_value");
    expect_error(objs[10], 11, "j", "invalid_value");
    expect_record(objs[11], "a", "unique", NULL); /* the same id again is not its own duplicate */
    expect_record(objs[12], "c", "unique", NULL);
    /* a and b share the story, c has its own */
    assert_string_equal(json_string_value(json_object_get(objs[0], "story_id")),
                        json_string_value(json_object_get(objs[2], "story_id")));
    assert_string_not_equal(json_string_value(json_object_get(objs[0], "story_id")),
                            json_string_value(json_object_get(objs[12], "story_id")));
    for (size_t i = 0; i < n; i++)
        json_decref(objs[i]);
    free(text);

    assert_int_equal(c.lines, 13);
    assert_int_equal(c.accepted, 4);
    assert_int_equal(c.rejected, 9);
    assert_int_equal(c.accepted + c.rejected, c.lines);
    assert_int_equal(c.duplicates, 1);
    assert_int_equal(c.stories, 2);
    assert_int_equal(c.junk_lines, 1 + 2); /* b's "Read More"; j's two lines */
    assert_int_equal(c.rejected_by_reason[NF_REJECT_INVALID_JSON], 2);
    assert_int_equal(c.rejected_by_reason[NF_REJECT_NOT_OBJECT], 1);
    assert_int_equal(c.rejected_by_reason[NF_REJECT_TOO_LARGE], 1);
    assert_int_equal(c.rejected_by_reason[NF_REJECT_MISSING_FIELD], 1);
    assert_int_equal(c.rejected_by_reason[NF_REJECT_WRONG_TYPE], 1);
    assert_int_equal(c.rejected_by_reason[NF_REJECT_INVALID_UTF8], 1);
    assert_int_equal(c.rejected_by_reason[NF_REJECT_INVALID_VALUE], 2);
    assert_int_equal(c.rejected_by_reason[NF_REJECT_DB_REJECTED], 0);
}

/* CRLF and LF input give the same output. */
static void test_crlf(void **state)
{
    (void)state;
    const char lf[] = "{\"id\":\"p1\",\"body\":\"Stellin port reopened.\"}\n"
                      "{\"id\":\"p2\",\"body\":\"Stellin port reopened.\"}\n"
                      "{oops\n";
    const char crlf[] = "{\"id\":\"p1\",\"body\":\"Stellin port reopened.\"}\r\n"
                        "{\"id\":\"p2\",\"body\":\"Stellin port reopened.\"}\r\n"
                        "{oops\r\n";
    nf_enrich_counts_t c1, c2;
    char *out_lf = run_enrich(lf, sizeof(lf) - 1, 4096, &c1);
    char *out_crlf = run_enrich(crlf, sizeof(crlf) - 1, 4096, &c2);
    assert_string_equal(out_lf, out_crlf);
    assert_null(strchr(out_crlf, '\r'));
    assert_int_equal(c2.lines, 3);
    assert_int_equal(c2.accepted, 2);
    assert_int_equal(c2.duplicates, 1);
    assert_int_equal(c2.rejected_by_reason[NF_REJECT_INVALID_JSON], 1);
    free(out_lf);
    free(out_crlf);
}

/* A line of exactly max_message_bytes is accepted, with LF or CRLF; one byte more is not. */
static void test_line_length_limit(void **state)
{
    (void)state;
    enum { MAX = 2048 };
    char line[MAX + 2];
    int head = snprintf(line, sizeof(line), "{\"id\":\"edge\",\"body\":\"");
    memset(line + head, 'y', MAX - (size_t)head - 2);
    memcpy(line + MAX - 2, "\"}", 3);
    assert_int_equal(strlen(line), MAX);

    const char *endings[] = {"\n", "\r\n", ""};
    for (int i = 0; i < 3; i++) {
        char in[MAX + 8];
        int len = snprintf(in, sizeof(in), "%s%s", line, endings[i]);
        nf_enrich_counts_t c;
        char *text = run_enrich(in, (size_t)len, MAX, &c);
        if (c.accepted != 1)
            fail_msg("line of exactly %d bytes + '%s' not accepted", MAX,
                     i == 0   ? "\\n"
                     : i == 1 ? "\\r\\n"
                              : "EOF");
        assert_int_equal(c.lines, 1);
        free(text);
    }
    /* one byte over, with either ending */
    char over[MAX + 8];
    int len = snprintf(over, sizeof(over), "{\"id\":\"over\",\"body\":\"z%s", line + head);
    assert_int_equal(len, MAX + 1);
    for (int i = 0; i < 2; i++) {
        char in[MAX + 8];
        int n = snprintf(in, sizeof(in), "%s%s", over, endings[i]);
        nf_enrich_counts_t c;
        char *text = run_enrich(in, (size_t)n, MAX, &c);
        assert_int_equal(c.lines, 1);
        assert_int_equal(c.rejected_by_reason[NF_REJECT_TOO_LARGE], 1);
        free(text);
    }
    /* a line of '\r' only is an empty (invalid) line, not a crash */
    nf_enrich_counts_t c;
    char *text = run_enrich("\r\n", 2, MAX, &c);
    assert_int_equal(c.lines, 1);
    assert_int_equal(c.rejected_by_reason[NF_REJECT_INVALID_JSON], 1);
    free(text);
}

/* Lines longer than the reader's 64 KiB block, too long and not, each ending across a block
 * boundary, read from a stream without a descriptor (fmemopen: fread) and from a file (read(2)):
 * the same lines, the same answers. */
static void test_lines_across_blocks(void **state)
{
    (void)state;
    enum { MAX = 100000 };
    nf_buf_t in = NF_BUF_INIT;
    const size_t bodies[] = {150000, 60000, 70000, 99000};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        nf_buf_printf(&in, "{\"id\":\"long-%zu\",\"body\":\"", i);
        for (size_t k = 0; k < bodies[i] / 6; k++)
            nf_buf_puts(&in, "Varna ");
        nf_buf_puts(&in, i % 2 ? "\"}\r\n" : "\"}\n");
    }
    nf_buf_puts(&in, "{\"id\":\"last\",\"body\":\"The Varna rose.\"}"); /* no ending */
    assert_false(in.failed);

    nf_enrich_counts_t c;
    char *from_memory = run_enrich(in.data, in.len, MAX, &c);
    assert_int_equal(c.lines, 5);
    assert_int_equal(c.rejected_by_reason[NF_REJECT_TOO_LARGE], 1); /* the 150,000-byte one */
    assert_int_equal(c.accepted, 4);

    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(fwrite(in.data, 1, in.len, f), in.len);
    rewind(f);
    assert_true(fileno(f) >= 0);
    nf_enrich_counts_t d;
    char *text = run_enrich_stream(f, MAX, &d);
    assert_int_equal(d.lines, 5);
    assert_int_equal(d.accepted, 4);
    assert_string_equal(text, from_memory);
    free(text);
    free(from_memory);
    nf_buf_free(&in);
}

static void test_empty_input(void **state)
{
    (void)state;
    nf_enrich_counts_t c;
    memset(&c, 0xff, sizeof(c));
    char *text = run_enrich("", 0, 4096, &c);
    assert_string_equal(text, "");
    assert_int_equal(c.lines, 0);
    assert_int_equal(c.accepted, 0);
    assert_int_equal(c.rejected, 0);
    assert_int_equal(c.stories, 0);
    free(text);
}

static void test_write_error(void **state)
{
    (void)state;
    FILE *out = fopen("/dev/full", "w");
    if (!out)
        skip();
    nf_config_t *cfg = nf_config_new();
    const char input[] = "{\"id\":\"a\",\"body\":\"Mirograd.\"}\n";
    FILE *in = fmemopen((void *)input, sizeof(input) - 1, "r");
    nf_enrich_counts_t c;
    char err[256] = "";
    assert_int_equal(nf_enrich_stream(cfg, in, out, &c, err, sizeof(err)), NF_ERR_IO);
    assert_non_null(strstr(err, "write"));
    fclose(in);
    fclose(out);
    nf_config_destroy(cfg);
}

static void test_counts_json(void **state)
{
    (void)state;
    nf_enrich_counts_t c;
    memset(&c, 0, sizeof(c));
    c.lines = 3;
    c.accepted = 2;
    c.rejected = 1;
    c.duplicates = 1;
    c.stories = 1;
    c.junk_lines = 5;
    c.rejected_by_reason[NF_REJECT_WRONG_TYPE] = 1;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    nf_enrich_print_counts(&c, out);
    fclose(out);
    assert_int_equal(text[size - 1], '\n');
    json_t *obj = json_loads(text, 0, NULL);
    assert_non_null(obj);
    assert_int_equal(json_integer_value(json_object_get(obj, "lines")), 3);
    assert_int_equal(json_integer_value(json_object_get(obj, "accepted")), 2);
    assert_int_equal(json_integer_value(json_object_get(obj, "rejected")), 1);
    assert_int_equal(json_integer_value(json_object_get(obj, "duplicates")), 1);
    assert_int_equal(json_integer_value(json_object_get(obj, "stories")), 1);
    assert_int_equal(json_integer_value(json_object_get(obj, "junk_lines_dropped")), 5);
    json_t *by = json_object_get(obj, "rejected_by_reason");
    assert_int_equal(json_object_size(by), 1); /* only reasons that occurred */
    assert_int_equal(json_integer_value(json_object_get(by, "wrong_type")), 1);
    json_decref(obj);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_line_per_input_line),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_line_length_limit),
        cmocka_unit_test(test_lines_across_blocks),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_counts_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
