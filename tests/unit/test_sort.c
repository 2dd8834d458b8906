/* nf_radix_sort_i64 against qsort: the same order, stability, signed keys, composite orders. */
#include "nf_test.h"

#include <stdint.h>
#include <stdlib.h>

#include "newsflow/sort.h"

typedef struct rec {
    int64_t key, t;
    uint32_t seq; /* the input position: checks stability */
} rec_t;

static uint64_t rng_state = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int cmp_key_seq(const void *a, const void *b)
{
    const rec_t *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static int cmp_key_t_seq(const void *a, const void *b)
{
    const rec_t *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* keys of a few shapes: the decision's index keys (a tag in bits 32-39, a 32-bit hash), times
 * near one another, few distinct values (long runs of equal keys), negatives and extremes */
static int64_t key_of_shape(int shape)
{
    switch (shape) {
    case 0:
        return (int64_t)((rnd() % 3 + 1) << 32 | (rnd() & 0xffffffffu));
    case 1:
        return 1800000000 + (int64_t)(rnd() % 200000);
    case 2:
        return (int64_t)(rnd() % 5);
    default: {
        static const int64_t edge[] = {INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX, -300};
        return rnd() % 4 ? (int64_t)rnd() : edge[rnd() % 7];
    }
    }
}

static void test_same_order_as_qsort(void **state)
{
    (void)state;
    size_t sizes[] = {0, 1, 2, 3, 17, 256, 257, 5000, 40000};
    for (int shape = 0; shape < 4; shape++)
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            size_t n = sizes[s];
            rec_t *a = malloc((n + 1) * sizeof(rec_t)), *b = malloc((n + 1) * sizeof(rec_t));
            rec_t *tmp = malloc((n + 1) * sizeof(rec_t));
            assert_non_null(a);
            assert_non_null(b);
            assert_non_null(tmp);
            for (size_t i = 0; i < n; i++)
                a[i] = b[i] = (rec_t){key_of_shape(shape), key_of_shape(1), (uint32_t)i};
            nf_radix_sort_i64(a, n, sizeof(rec_t), offsetof(rec_t, key), tmp);
            qsort(b, n, sizeof(rec_t), cmp_key_seq); /* stable by construction: ties by seq */
            for (size_t i = 0; i < n; i++) {
                assert_int_equal(a[i].key, b[i].key);
                assert_int_equal(a[i].seq, b[i].seq);
            }
            free(a);
            free(b);
            free(tmp);
        }
}

/* (key, t) by two stable passes, minor field first, as the decision sorts its key rows */
static void test_composite_order(void **state)
{
    (void)state;
    size_t n = 30000;
    rec_t *a = malloc(n * sizeof(rec_t)), *b = malloc(n * sizeof(rec_t));
    rec_t *tmp = malloc(n * sizeof(rec_t));
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(tmp);
    for (size_t i = 0; i < n; i++)
        a[i] = b[i] = (rec_t){key_of_shape(2), key_of_shape(i % 2 ? 1 : 3), (uint32_t)i};
    nf_radix_sort_i64(a, n, sizeof(rec_t), offsetof(rec_t, t), tmp);
    nf_radix_sort_i64(a, n, sizeof(rec_t), offsetof(rec_t, key), tmp);
    qsort(b, n, sizeof(rec_t), cmp_key_t_seq);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(a[i].key, b[i].key);
        assert_int_equal(a[i].t, b[i].t);
        assert_int_equal(a[i].seq, b[i].seq);
    }
    free(a);
    free(b);
    free(tmp);
}

/* bare int64 arrays (the lock keys), already sorted and reversed inputs */
static void test_plain_int64(void **state)
{
    (void)state;
    int64_t v[1000], tmp[1000];
    for (int i = 0; i < 1000; i++)
        v[i] = 1000 - i - 500;
    nf_radix_sort_i64(v, 1000, sizeof(int64_t), 0, tmp);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(v[i], i - 499);
    nf_radix_sort_i64(v, 1000, sizeof(int64_t), 0, tmp);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(v[i], i - 499);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_order_as_qsort),
        cmocka_unit_test(test_composite_order),
        cmocka_unit_test(test_plain_int64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
