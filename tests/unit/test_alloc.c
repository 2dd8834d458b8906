/* Allocation-failure injection, and constructors that fail cleanly at every allocation point
 * (the sanitize build proves nothing leaks). */
#include "nf_test.h"

#include "newsflow/alloc.h"
#include "newsflow/article.h"
#include "newsflow/chain.h"
#include "newsflow/config.h"
#include "newsflow/dedup.h"
#include "newsflow/normalize.h"

#define FAIL_POINTS 50

static int teardown(void **state)
{
    (void)state;
    nf_alloc_fail_after(-1); /* never leave injection armed for the next test */
    return 0;
}

static void test_countdown(void **state)
{
    (void)state;
    nf_alloc_fail_after(2);
    void *a = nf_malloc(8), *b = nf_malloc(8), *c = nf_malloc(8), *d = nf_malloc(8);
    assert_non_null(a);
    assert_non_null(b);
    assert_null(c);
    assert_non_null(d); /* one failure, then back to normal */
    nf_free(a);
    nf_free(b);
    nf_free(d);

    /* 0 = the very next allocation; every allocator counts */
    nf_alloc_fail_after(0);
    assert_null(nf_calloc(4, 4));
    nf_alloc_fail_after(0);
    assert_null(nf_strdup("Kessel"));
    nf_alloc_fail_after(0);
    assert_null(nf_strndup("Kessel", 3));
    nf_alloc_fail_after(1);
    char *s = nf_strdup("Stellin");
    assert_non_null(s);
    assert_null(nf_malloc(1));
    assert_string_equal(s, "Stellin");

    /* a failed realloc leaves the old block alone */
    nf_alloc_fail_after(0);
    assert_null(nf_realloc(s, 1 << 20));
    assert_string_equal(s, "Stellin");
    nf_free(s);

    /* -1 disables injection */
    nf_alloc_fail_after(-1);
    for (int i = 0; i < 100; i++) {
        void *p = nf_malloc(16);
        assert_non_null(p);
        nf_free(p);
    }
}

static void test_wrappers(void **state)
{
    (void)state;
    assert_null(nf_strdup(NULL));
    assert_null(nf_strndup(NULL, 3));
    char *s = nf_strndup("Mirograd", 4);
    assert_string_equal(s, "Miro");
    nf_free(s);
    s = nf_strndup("ab", 0);
    assert_string_equal(s, "");
    nf_free(s);
    /* size 0 still gives a pointer that can be freed */
    void *p = nf_malloc(0);
    assert_non_null(p);
    nf_free(p);
    int *zeros = nf_calloc(8, sizeof(int));
    for (int i = 0; i < 8; i++)
        assert_int_equal(zeros[i], 0);
    zeros = nf_realloc(zeros, 64 * sizeof(int));
    assert_non_null(zeros);
    assert_int_equal(zeros[7], 0); /* contents kept */
    nf_free(zeros);
    nf_free(NULL);
}

/* Calls a constructor with the k-th allocation failing, for k = 0, 1, 2, ...: it must return NULL
 * (not crash, not leak) while k is below the number of allocations it makes, then succeed for
 * every larger k. Returns that number (its allocation points). */
typedef void *(*ctor_fn)(char *errstr, size_t errstr_size);
typedef void (*dtor_fn)(void *obj);

static long check_fail_points(const char *name, ctor_fn ctor, dtor_fn dtor, int uses_errstr)
{
    long points = -1;
    for (long k = 0; k < 2000; k++) {
        char err[256] = "";
        nf_alloc_fail_after(k);
        void *obj = ctor(err, sizeof(err));
        nf_alloc_fail_after(-1);
        if (obj) {
            points = k;
            dtor(obj);
            break;
        }
        if (uses_errstr && err[0] == '\0')
            fail_msg("%s failed at allocation %ld without saying why", name, k);
    }
    if (points <= 0)
        fail_msg("%s: %ld allocation points", name, points);
    /* the injected failure would come after the constructor's last allocation: success */
    for (long k = points; k < points + 5; k++) {
        char err[256];
        nf_alloc_fail_after(k);
        void *obj = ctor(err, sizeof(err));
        nf_alloc_fail_after(-1);
        if (!obj)
            fail_msg("%s failed with the injected failure at %ld (after its %ld allocations)", name,
                     k, points);
        dtor(obj);
    }
    print_message("%s: %ld allocation points, each failing cleanly\n", name, points);
    return points;
}

static void *make_dedup(char *err, size_t size)
{
    return nf_dedup_new(1000, err, size);
}
static void free_dedup(void *d)
{
    nf_dedup_destroy(d);
}
static void *make_normalizer(char *err, size_t size)
{
    return nf_normalizer_new(err, size);
}
static void free_normalizer(void *n)
{
    nf_normalizer_destroy(n);
}
static void *make_validator(char *err, size_t size)
{
    return nf_validator_new(1 << 20, err, size);
}
static void free_validator(void *v)
{
    nf_validator_destroy(v);
}
static void *make_config(char *err, size_t size)
{
    (void)err;
    (void)size;
    return nf_config_new();
}
static void free_config(void *cfg)
{
    nf_config_destroy(cfg);
}
static nf_config_t *chain_cfg;
static void *make_chain(char *err, size_t size)
{
    return nf_chain_new(chain_cfg, err, size);
}
static void free_chain(void *c)
{
    nf_chain_destroy(c);
}

static void test_constructors_fail_cleanly(void **state)
{
    (void)state;
    long dedup = check_fail_points("nf_dedup_new", make_dedup, free_dedup, 1);
    long norm = check_fail_points("nf_normalizer_new", make_normalizer, free_normalizer, 1);
    long valid = check_fail_points("nf_validator_new", make_validator, free_validator, 1);
    long config = check_fail_points("nf_config_new", make_config, free_config, 0);
    chain_cfg = nf_config_new();
    assert_non_null(chain_cfg);
    long chain = check_fail_points("nf_chain_new", make_chain, free_chain, 1);
    nf_config_destroy(chain_cfg);
    chain_cfg = NULL;
    /* the index, its ring and its table */
    assert_int_equal(dedup, 3);
    /* the struct and one key per junk phrase: more than the first FAIL_POINTS */
    assert_true(norm > FAIL_POINTS);
    /* the struct, the rules and one name per schema property (6) */
    assert_int_equal(valid, 8);
    /* the struct and one copy per string setting */
    assert_true(config >= 2);
    /* the chain holds a validator and a normalizer */
    assert_true(chain > valid + norm);

    /* capacity 0 allocates only the handle */
    char err[128];
    nf_alloc_fail_after(0);
    assert_null(nf_dedup_new(0, err, sizeof(err)));
    nf_alloc_fail_after(1);
    nf_dedup_t *d = nf_dedup_new(0, err, sizeof(err));
    nf_alloc_fail_after(-1);
    assert_non_null(d);
    nf_dedup_destroy(d);
}

/* Loading flags, env and kafka properties with allocations failing: NF_OK or NF_ERR_NOMEM,
 * and the config can always be destroyed. */
static void test_config_load_under_failure(void **state)
{
    (void)state;
    char *argv[] = {"run",
                    "--group-id",
                    "dunmere",
                    "--kafka",
                    "acks=all",
                    "--kafka",
                    "client.id=stellin-1",
                    "--brokers=kessel:9092",
                    NULL};
    char *envp[] = {"NEWSFLOW_INPUT_TOPIC=wires", "NEWSFLOW_KAFKA_LINGER_MS=5", NULL};
    int ok = 0;
    for (long k = 0; k < FAIL_POINTS; k++) {
        nf_config_t *cfg = nf_config_new();
        assert_non_null(cfg);
        char err[256];
        nf_alloc_fail_after(k);
        nf_err_t rc = nf_config_load(cfg, NF_CMD_RUN, 8, argv, envp, err, sizeof(err));
        nf_alloc_fail_after(-1);
        assert_true(rc == NF_OK || rc == NF_ERR_NOMEM);
        if (rc == NF_OK) {
            ok++;
            assert_string_equal(cfg->group_id, "dunmere");
            assert_int_equal(cfg->kafka_count, 3);
        }
        /* whatever was set so far is consistent */
        for (size_t i = 0; i < cfg->kafka_count; i++) {
            assert_non_null(cfg->kafka_keys[i]);
            assert_non_null(cfg->kafka_values[i]);
        }
        nf_config_destroy(cfg);
    }
    assert_true(ok > 0);
}

/* Processing and rendering with allocations failing: NF_OK or NF_ERR_NOMEM, never a crash. */
static void test_process_under_failure(void **state)
{
    (void)state;
    char err[256];
    nf_config_t *cfg = nf_config_new();
    nf_chain_t *chain = nf_chain_new(cfg, err, sizeof(err));
    assert_non_null(chain);
    const char in[] = "{\"id\":\"a\",\"title\":\"Flood\",\"body\":\"Read More\\nThe Varna rose.\"}";
    int ok = 0, nomem = 0;
    for (long k = 0; k < FAIL_POINTS; k++) {
        nf_enriched_t e;
        memset(&e, 0, sizeof(e));
        nf_reject_t rej;
        nf_alloc_fail_after(k);
        nf_err_t rc = nf_chain_process(chain, in, sizeof(in) - 1, &e, &rej);
        nf_buf_t out = NF_BUF_INIT;
        if (rc == NF_OK)
            rc = nf_chain_render(&e, &out);
        nf_alloc_fail_after(-1);
        assert_true(rc == NF_OK || rc == NF_ERR_NOMEM);
        ok += rc == NF_OK;
        nomem += rc == NF_ERR_NOMEM;
        nf_buf_free(&out);
        nf_enriched_free(&e);
    }
    assert_true(ok > 0);
    assert_true(nomem > 0);
    /* the chain still works afterwards */
    nf_enriched_t e;
    memset(&e, 0, sizeof(e));
    nf_reject_t rej;
    assert_int_equal(nf_chain_process(chain, in, sizeof(in) - 1, &e, &rej), NF_OK);
    assert_string_equal(e.body.data, "The Varna rose.");
    nf_enriched_free(&e);
    nf_chain_destroy(chain);
    nf_config_destroy(cfg);
}

/* The dedup index under failure: a failed insert changes nothing. */
static void test_dedup_insert_under_failure(void **state)
{
    (void)state;
    char err[128];
    nf_dedup_t *d = nf_dedup_new(2, err, sizeof(err));
    uint8_t a[NF_SHA256_LEN], b[NF_SHA256_LEN], c[NF_SHA256_LEN];
    nf_content_sha256("a", 1, a);
    nf_content_sha256("b", 1, b);
    nf_content_sha256("c", 1, c);
    assert_int_equal(nf_dedup_insert(d, a, "a"), NF_OK);
    assert_int_equal(nf_dedup_insert(d, b, "b"), NF_OK);
    nf_alloc_fail_after(0);
    assert_int_equal(nf_dedup_insert(d, c, "c"), NF_ERR_NOMEM);
    nf_alloc_fail_after(-1);
    assert_null(nf_dedup_lookup(d, c));
    assert_string_equal(nf_dedup_lookup(d, a), "a"); /* nothing evicted for the failed insert */
    assert_int_equal(nf_dedup_size(d), 2);
    assert_int_equal(nf_dedup_evictions(d), 0);
    nf_dedup_result_t r;
    nf_alloc_fail_after(0);
    assert_int_equal(nf_dedup_check(d, c, "c", &r), NF_ERR_NOMEM);
    nf_alloc_fail_after(-1);
    nf_dedup_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_countdown, teardown),
        cmocka_unit_test_teardown(test_wrappers, teardown),
        cmocka_unit_test_teardown(test_constructors_fail_cleanly, teardown),
        cmocka_unit_test_teardown(test_config_load_under_failure, teardown),
        cmocka_unit_test_teardown(test_process_under_failure, teardown),
        cmocka_unit_test_teardown(test_dedup_insert_under_failure, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
