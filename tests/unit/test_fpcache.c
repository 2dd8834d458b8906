/* nf_fp_cache: lookups against a reference model under random puts (eviction oldest first,
 * replacement, deletions that move probe clusters), capacity 0, allocation failure. */
#include "nf_test.h"

#include "newsflow/alloc.h"
#include "newsflow/fpcache.h"

static nf_fingerprint_t fp_of(uint32_t v)
{
    nf_fingerprint_t fp;
    memset(&fp, 0, sizeof(fp));
    fp.t = v;
    fp.bands[0] = v * 2654435761u;
    fp.n_names = (uint8_t)(v % NF_SIG_NAMES);
    return fp;
}

static void id_of(uint32_t v, char *out, size_t size)
{
    snprintf(out, size, "a-%u-%0*u", v, (int)(v % 40), 7u); /* ids of many lengths */
}

/* The model: the last `cap` distinct ids put (a put of a kept id replaces, not refreshes). */
static void test_against_model(void **state)
{
    (void)state;
    enum { CAP = 1000, UNIVERSE = 3000, OPS = 60000 };
    nf_fp_cache_t *c = nf_fp_cache_new(CAP);
    assert_non_null(c);
    static uint32_t order[UNIVERSE * 40]; /* ids in insertion order (evictions from the front) */
    static int64_t value[UNIVERSE];       /* id -> its value, -1: not kept */
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < UNIVERSE; i++)
        value[i] = -1;
    uint32_t rng = 12345;
    for (size_t op = 0; op < OPS; op++) {
        rng = rng * 1103515245u + 12345u;
        uint32_t id = (rng >> 8) % UNIVERSE;
        char buf[64];
        id_of(id, buf, sizeof(buf));
        if ((rng >> 4) % 3) { /* put */
            uint32_t v = (uint32_t)op;
            nf_fingerprint_t fp = fp_of(v);
            assert_int_equal(nf_fp_cache_put(c, buf, &fp), NF_OK);
            if (value[id] < 0) {
                if (tail - head == CAP) {
                    value[order[head]] = -1;
                    head++;
                }
                order[tail++] = id;
            }
            value[id] = v;
        } else { /* get */
            const nf_fingerprint_t *fp = nf_fp_cache_get(c, buf);
            if (value[id] < 0) {
                assert_null(fp);
            } else {
                assert_non_null(fp);
                nf_fingerprint_t want = fp_of((uint32_t)value[id]);
                assert_memory_equal(fp, &want, sizeof(want));
            }
        }
        assert_int_equal(nf_fp_cache_size(c), tail - head);
    }
    /* every id: kept exactly when the model keeps it */
    for (uint32_t id = 0; id < UNIVERSE; id++) {
        char buf[64];
        id_of(id, buf, sizeof(buf));
        assert_true((nf_fp_cache_get(c, buf) != NULL) == (value[id] >= 0));
    }
    assert_true(nf_fp_cache_hits(c) > 0);
    assert_true(nf_fp_cache_misses(c) > 0);
    nf_fp_cache_destroy(c);
}

static void test_capacity_zero(void **state)
{
    (void)state;
    nf_fp_cache_t *c = nf_fp_cache_new(0);
    assert_non_null(c);
    nf_fingerprint_t fp = fp_of(7);
    assert_int_equal(nf_fp_cache_put(c, "x", &fp), NF_OK);
    assert_null(nf_fp_cache_get(c, "x"));
    assert_int_equal(nf_fp_cache_size(c), 0);
    assert_int_equal(nf_fp_cache_misses(c), 1);
    nf_fp_cache_destroy(c);
    nf_fp_cache_destroy(NULL);
}

static void test_allocation_failure(void **state)
{
    (void)state;
    nf_fp_cache_t *c = nf_fp_cache_new(2);
    assert_non_null(c);
    nf_fingerprint_t a = fp_of(1), b = fp_of(2);
    assert_int_equal(nf_fp_cache_put(c, "a", &a), NF_OK);
    nf_alloc_fail_after(0);
    assert_int_equal(nf_fp_cache_put(c, "b", &b), NF_ERR_NOMEM);
    nf_alloc_fail_after(-1);
    assert_null(nf_fp_cache_get(c, "b"));
    assert_non_null(nf_fp_cache_get(c, "a"));
    assert_int_equal(nf_fp_cache_size(c), 1);
    /* a kept id is replaced without allocating */
    nf_alloc_fail_after(0);
    assert_int_equal(nf_fp_cache_put(c, "a", &b), NF_OK);
    nf_alloc_fail_after(-1);
    assert_int_equal(nf_fp_cache_get(c, "a")->t, 2);
    for (int i = 0; i < 3; i++) {
        nf_alloc_fail_after(i);
        nf_fp_cache_t *d = nf_fp_cache_new(100);
        nf_alloc_fail_after(-1);
        nf_fp_cache_destroy(d); /* NULL or whole */
    }
    nf_fp_cache_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_model),
        cmocka_unit_test(test_capacity_zero),
        cmocka_unit_test(test_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
