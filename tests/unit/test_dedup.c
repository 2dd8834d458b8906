#include "nf_test.h"

#include "newsflow/buf.h"
#include "newsflow/dedup.h"

static void hash_of_int(unsigned i, uint8_t sha[NF_SHA256_LEN])
{
    char text[32];
    snprintf(text, sizeof(text), "article %u", i);
    nf_content_sha256(text, strlen(text), sha);
}

static void test_sha256_vector(void **state)
{
    (void)state;
    uint8_t sha[NF_SHA256_LEN];
    char hex[2 * NF_SHA256_LEN + 1];
    nf_content_sha256("abc", 3, sha);
    nf_hex(sha, NF_SHA256_LEN, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_first_id_wins(void **state)
{
    (void)state;
    char err[128];
    nf_dedup_t *d = nf_dedup_new(16, err, sizeof(err));
    uint8_t a[NF_SHA256_LEN], b[NF_SHA256_LEN];
    hash_of_int(1, a);
    hash_of_int(2, b);
    assert_null(nf_dedup_lookup(d, a));
    assert_int_equal(nf_dedup_insert(d, a, "x-1"), NF_OK);
    assert_int_equal(nf_dedup_insert(d, a, "x-2"), NF_OK);
    assert_string_equal(nf_dedup_lookup(d, a), "x-1");
    assert_null(nf_dedup_lookup(d, b));
    assert_int_equal(nf_dedup_size(d), 1);

    nf_dedup_result_t r;
    assert_int_equal(nf_dedup_check(d, a, "x-9", &r), NF_OK);
    assert_int_equal(r.status, NF_DEDUP_EXACT);
    assert_string_equal(r.duplicate_of, "x-1");
    assert_true(r.similarity == 1.0);
    assert_int_equal(nf_dedup_check(d, a, "x-1", &r), NF_OK); /* a redelivery of the first */
    assert_int_equal(r.status, NF_DEDUP_UNIQUE);
    assert_string_equal(r.duplicate_of, "");
    assert_int_equal(nf_dedup_check(d, b, "y-1", &r), NF_OK);
    assert_int_equal(r.status, NF_DEDUP_UNIQUE);
    assert_string_equal(nf_dedup_lookup(d, b), "y-1");
    assert_string_equal(nf_dedup_status_name(NF_DEDUP_EXACT), "exact_duplicate");

    nf_dedup_clear(d);
    assert_int_equal(nf_dedup_size(d), 0);
    assert_null(nf_dedup_lookup(d, a));
    nf_dedup_destroy(d);
}

static void test_eviction(void **state)
{
    (void)state;
    char err[128];
    nf_dedup_t *d = nf_dedup_new(1000, err, sizeof(err));
    uint8_t sha[NF_SHA256_LEN];
    char id[32];
    for (unsigned i = 0; i < 10000; i++) {
        hash_of_int(i, sha);
        snprintf(id, sizeof(id), "id-%u", i);
        assert_int_equal(nf_dedup_insert(d, sha, id), NF_OK);
        assert_true(nf_dedup_size(d) <= 1000);
    }
    assert_int_equal(nf_dedup_size(d), 1000);
    assert_int_equal(nf_dedup_evictions(d), 9000);
    for (unsigned i = 0; i < 10000; i++) {
        hash_of_int(i, sha);
        const char *found = nf_dedup_lookup(d, sha);
        if (i < 9000) {
            assert_null(found);
        } else {
            snprintf(id, sizeof(id), "id-%u", i);
            assert_non_null(found);
            assert_string_equal(found, id);
        }
    }
    nf_dedup_destroy(d);
}

static void test_capacity_zero(void **state)
{
    (void)state;
    char err[128];
    nf_dedup_t *d = nf_dedup_new(0, err, sizeof(err));
    uint8_t sha[NF_SHA256_LEN];
    hash_of_int(1, sha);
    assert_int_equal(nf_dedup_insert(d, sha, "a"), NF_OK);
    assert_null(nf_dedup_lookup(d, sha));
    nf_dedup_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vector),
        cmocka_unit_test(test_first_id_wins),
        cmocka_unit_test(test_eviction),
        cmocka_unit_test(test_capacity_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
