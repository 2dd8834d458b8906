#include "nf_test.h"

#include "newsflow/alloc.h"
#include "newsflow/chain.h"
#include "newsflow/config.h"
#include "newsflow/dedup.h"
#include "newsflow/normalize.h"

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
    nf_alloc_fail_after(-1);
}

/* Every constructor, failing at each of its allocation points, returns NULL cleanly (the
 * sanitizer build proves nothing leaks) and succeeds once allocations succeed again. */
static void test_constructors_fail_cleanly(void **state)
{
    (void)state;
    char err[256];
    int succeeded[4] = {0, 0, 0, 0};
    for (long k = 0; k < 400; k++) {
        nf_alloc_fail_after(k);
        nf_config_t *cfg = nf_config_new();
        nf_alloc_fail_after(-1);
        if (cfg)
            succeeded[0] = 1;
        nf_config_destroy(cfg);

        nf_alloc_fail_after(k);
        nf_dedup_t *d = nf_dedup_new(64, err, sizeof(err));
        nf_alloc_fail_after(-1);
        if (d)
            succeeded[1] = 1;
        nf_dedup_destroy(d);

        nf_alloc_fail_after(k);
        nf_normalizer_t *n = nf_normalizer_new(err, sizeof(err));
        nf_alloc_fail_after(-1);
        if (n)
            succeeded[2] = 1;
        nf_normalizer_destroy(n);

        nf_config_t *base = nf_config_new();
        nf_alloc_fail_after(k);
        nf_chain_t *c = nf_chain_new(base, err, sizeof(err));
        nf_alloc_fail_after(-1);
        if (c)
            succeeded[3] = 1;
        nf_chain_destroy(c);
        nf_config_destroy(base);
    }
    for (int i = 0; i < 4; i++)
        assert_true(succeeded[i]);
}

/* Processing an article with allocations failing returns an error, never crashes. */
static void test_process_under_failure(void **state)
{
    (void)state;
    char err[256];
    nf_config_t *cfg = nf_config_new();
    nf_chain_t *chain = nf_chain_new(cfg, err, sizeof(err));
    const char in[] = "{\"id\":\"a\",\"title\":\"Flood\",\"body\":\"Read More\\nThe Varna rose.\"}";
    int ok = 0;
    for (long k = 0; k < 50; k++) {
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
        nf_buf_free(&out);
        nf_enriched_free(&e);
    }
    assert_true(ok > 0);
    nf_chain_destroy(chain);
    nf_config_destroy(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_countdown),
        cmocka_unit_test(test_constructors_fail_cleanly),
        cmocka_unit_test(test_process_under_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
