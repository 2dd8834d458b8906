/* Content fingerprints and the bounded exact-duplicate index. */
#include "nf_test.h"

#include "newsflow/buf.h"
#include "newsflow/dedup.h"

static void hash_of_int(unsigned i, uint8_t sha[NF_SHA256_LEN])
{
    char text[32];
    snprintf(text, sizeof(text), "article %u", i);
    nf_content_sha256(text, strlen(text), sha);
}

static void sha_hex(const void *data, size_t len, char hex[2 * NF_SHA256_LEN + 1])
{
    uint8_t sha[NF_SHA256_LEN];
    nf_content_sha256(data, len, sha);
    nf_hex(sha, NF_SHA256_LEN, hex);
}

static nf_dedup_t *new_index(size_t capacity)
{
    char err[128];
    nf_dedup_t *d = nf_dedup_new(capacity, err, sizeof(err));
    assert_non_null(d);
    return d;
}

static void test_sha256_vectors(void **state)
{
    (void)state;
    char hex[2 * NF_SHA256_LEN + 1];
    sha_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha_hex(two_blocks, strlen(two_blocks), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* only len bytes are hashed */
    sha_hex("abcdef", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_string_equal(nf_dedup_status_name(NF_DEDUP_UNIQUE), "unique");
    assert_string_equal(nf_dedup_status_name(NF_DEDUP_EXACT), "exact_duplicate");
    assert_string_equal(nf_dedup_status_name(NF_DEDUP_NEAR), "near_duplicate");
}

static void test_insert_lookup(void **state)
{
    (void)state;
    nf_dedup_t *d = new_index(16);
    uint8_t a[NF_SHA256_LEN], b[NF_SHA256_LEN];
    hash_of_int(1, a);
    hash_of_int(2, b);
    assert_int_equal(nf_dedup_size(d), 0);
    assert_null(nf_dedup_lookup(d, a));
    assert_int_equal(nf_dedup_insert(d, a, "x-1"), NF_OK);
    assert_string_equal(nf_dedup_lookup(d, a), "x-1");
    assert_null(nf_dedup_lookup(d, b));
    /* first id wins */
    assert_int_equal(nf_dedup_insert(d, a, "x-2"), NF_OK);
    assert_string_equal(nf_dedup_lookup(d, a), "x-1");
    assert_int_equal(nf_dedup_size(d), 1);
    assert_int_equal(nf_dedup_insert(d, b, "y-1"), NF_OK);
    assert_string_equal(nf_dedup_lookup(d, b), "y-1");
    assert_int_equal(nf_dedup_size(d), 2);
    assert_int_equal(nf_dedup_evictions(d), 0);

    /* the id is copied: the caller's buffer may change */
    uint8_t c[NF_SHA256_LEN];
    hash_of_int(3, c);
    char id[16] = "z-1";
    assert_int_equal(nf_dedup_insert(d, c, id), NF_OK);
    strcpy(id, "changed");
    assert_string_equal(nf_dedup_lookup(d, c), "z-1");

    /* hashes differing in one bit (also in the bytes past the table index) are distinct */
    uint8_t near[NF_SHA256_LEN];
    memcpy(near, a, sizeof(near));
    near[NF_SHA256_LEN - 1] ^= 1;
    assert_null(nf_dedup_lookup(d, near));
    assert_int_equal(nf_dedup_insert(d, near, "x-near"), NF_OK);
    assert_string_equal(nf_dedup_lookup(d, near), "x-near");
    assert_string_equal(nf_dedup_lookup(d, a), "x-1");

    /* a long id (the maximum an article id can take) survives */
    char long_id[NF_ID_MAX + 1];
    memset(long_id, 'L', NF_ID_MAX);
    long_id[NF_ID_MAX] = '\0';
    uint8_t e[NF_SHA256_LEN];
    hash_of_int(4, e);
    assert_int_equal(nf_dedup_insert(d, e, long_id), NF_OK);
    assert_string_equal(nf_dedup_lookup(d, e), long_id);
    nf_dedup_destroy(d);
    nf_dedup_destroy(NULL);
}

static void test_check(void **state)
{
    (void)state;
    nf_dedup_t *d = new_index(16);
    uint8_t a[NF_SHA256_LEN], b[NF_SHA256_LEN];
    hash_of_int(1, a);
    hash_of_int(2, b);
    nf_dedup_result_t r;
    memset(&r, 0x5a, sizeof(r));
    assert_int_equal(nf_dedup_check(d, a, "x-1", &r), NF_OK);
    assert_int_equal(r.status, NF_DEDUP_UNIQUE);
    assert_string_equal(r.duplicate_of, "");
    assert_true(r.similarity == 0.0);
    assert_string_equal(nf_dedup_lookup(d, a), "x-1"); /* remembered */

    /* same hash, different id: exact duplicate of the first */
    assert_int_equal(nf_dedup_check(d, a, "x-9", &r), NF_OK);
    assert_int_equal(r.status, NF_DEDUP_EXACT);
    assert_string_equal(r.duplicate_of, "x-1");
    assert_true(r.similarity == 1.0);
    assert_string_equal(nf_dedup_lookup(d, a), "x-1"); /* the duplicate does not replace it */

    /* same hash, same id (a redelivery of the first): unique, not its own duplicate */
    assert_int_equal(nf_dedup_check(d, a, "x-1", &r), NF_OK);
    assert_int_equal(r.status, NF_DEDUP_UNIQUE);
    assert_string_equal(r.duplicate_of, "");
    assert_true(r.similarity == 0.0);

    /* the duplicate seen again is still a duplicate of the first */
    assert_int_equal(nf_dedup_check(d, a, "x-9", &r), NF_OK);
    assert_int_equal(r.status, NF_DEDUP_EXACT);
    assert_string_equal(r.duplicate_of, "x-1");

    assert_int_equal(nf_dedup_check(d, b, "y-1", &r), NF_OK);
    assert_int_equal(r.status, NF_DEDUP_UNIQUE);
    assert_string_equal(nf_dedup_lookup(d, b), "y-1");
    assert_int_equal(nf_dedup_size(d), 2);

    /* a duplicate_of of the longest id fits */
    char long_id[NF_ID_MAX + 1];
    memset(long_id, 'L', NF_ID_MAX);
    long_id[NF_ID_MAX] = '\0';
    uint8_t c[NF_SHA256_LEN];
    hash_of_int(3, c);
    assert_int_equal(nf_dedup_check(d, c, long_id, &r), NF_OK);
    assert_int_equal(nf_dedup_check(d, c, "other", &r), NF_OK);
    assert_int_equal(r.status, NF_DEDUP_EXACT);
    assert_string_equal(r.duplicate_of, long_id);
    nf_dedup_destroy(d);
}

static void test_eviction(void **state)
{
    (void)state;
    nf_dedup_t *d = new_index(1000);
    uint8_t sha[NF_SHA256_LEN];
    char id[32];
    for (unsigned i = 0; i < 10000; i++) {
        hash_of_int(i, sha);
        snprintf(id, sizeof(id), "id-%u", i);
        assert_int_equal(nf_dedup_insert(d, sha, id), NF_OK);
        assert_int_equal(nf_dedup_size(d), i < 1000 ? i + 1 : 1000);
        assert_int_equal(nf_dedup_evictions(d), i < 1000 ? 0 : i - 999);
    }
    assert_int_equal(nf_dedup_size(d), 1000);
    assert_int_equal(nf_dedup_evictions(d), 9000);
    for (unsigned i = 0; i < 10000; i++) {
        hash_of_int(i, sha);
        const char *found = nf_dedup_lookup(d, sha);
        if (i < 9000) {
            if (found)
                fail_msg("hash %u should have been evicted, found %s", i, found);
        } else {
            snprintf(id, sizeof(id), "id-%u", i);
            if (!found || strcmp(found, id) != 0)
                fail_msg("hash %u: found %s, want %s", i, found ? found : "nothing", id);
        }
    }
    nf_dedup_destroy(d);
}

/* Oldest first means first inserted, not least recently looked up or re-inserted. */
static void test_eviction_order(void **state)
{
    (void)state;
    nf_dedup_t *d = new_index(3);
    uint8_t h[5][NF_SHA256_LEN];
    for (unsigned i = 0; i < 5; i++)
        hash_of_int(100 + i, h[i]);
    assert_int_equal(nf_dedup_insert(d, h[0], "a"), NF_OK);
    assert_int_equal(nf_dedup_insert(d, h[1], "b"), NF_OK);
    assert_int_equal(nf_dedup_insert(d, h[2], "c"), NF_OK);
    assert_string_equal(nf_dedup_lookup(d, h[0]), "a");      /* a lookup does not refresh */
    assert_int_equal(nf_dedup_insert(d, h[0], "a2"), NF_OK); /* known: no-op */
    assert_int_equal(nf_dedup_size(d), 3);
    assert_int_equal(nf_dedup_evictions(d), 0);
    assert_int_equal(nf_dedup_insert(d, h[3], "d"), NF_OK); /* evicts a */
    assert_null(nf_dedup_lookup(d, h[0]));
    assert_string_equal(nf_dedup_lookup(d, h[1]), "b");
    assert_string_equal(nf_dedup_lookup(d, h[2]), "c");
    assert_string_equal(nf_dedup_lookup(d, h[3]), "d");
    assert_int_equal(nf_dedup_insert(d, h[4], "e"), NF_OK); /* evicts b */
    assert_null(nf_dedup_lookup(d, h[1]));
    assert_string_equal(nf_dedup_lookup(d, h[2]), "c");
    assert_int_equal(nf_dedup_evictions(d), 2);
    /* an evicted hash comes back as new, with its new id */
    assert_int_equal(nf_dedup_insert(d, h[0], "a3"), NF_OK); /* evicts c */
    assert_string_equal(nf_dedup_lookup(d, h[0]), "a3");
    assert_null(nf_dedup_lookup(d, h[2]));
    assert_int_equal(nf_dedup_size(d), 3);
    nf_dedup_destroy(d);

    /* capacity 1: always the last one */
    d = new_index(1);
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(nf_dedup_insert(d, h[i], "x"), NF_OK);
        assert_non_null(nf_dedup_lookup(d, h[i]));
        if (i)
            assert_null(nf_dedup_lookup(d, h[i - 1]));
        assert_int_equal(nf_dedup_size(d), 1);
    }
    assert_int_equal(nf_dedup_evictions(d), 4);
    nf_dedup_destroy(d);
}

/* Hashes that share their first 8 bytes (the table position) collide on purpose: long probe
 * chains, then evictions that must close the gaps they leave. Checked against a simple model:
 * a FIFO of the last `capacity` distinct hashes. */
static void crafted(unsigned i, uint8_t sha[NF_SHA256_LEN])
{
    memset(sha, 0, NF_SHA256_LEN);
    sha[0] = (uint8_t)(125 + i % 5); /* 5 home slots only, chains wrap past the end */
    sha[8] = (uint8_t)(i & 0xff);
    sha[9] = (uint8_t)(i >> 8);
    sha[31] = 0xa5;
}

static void test_collisions_against_model(void **state)
{
    (void)state;
    enum { CAP = 37, POOL = 300, STEPS = 6000 };
    nf_dedup_t *d = new_index(CAP);
    int fifo[CAP];
    int head = 0, count = 0;
    char first_id[POOL][16];
    int present[POOL];
    memset(present, 0, sizeof(present));
    uint64_t evictions = 0;
    unsigned seed = 12345;
    for (int step = 0; step < STEPS; step++) {
        seed = seed * 1103515245u + 12345u;
        int k = (int)((seed >> 8) % POOL);
        uint8_t sha[NF_SHA256_LEN];
        crafted((unsigned)k, sha);
        char id[16];
        snprintf(id, sizeof(id), "s%d", step);
        assert_int_equal(nf_dedup_insert(d, sha, id), NF_OK);
        if (!present[k]) {
            if (count == CAP) {
                present[fifo[head]] = 0;
                head = (head + 1) % CAP;
                count--;
                evictions++;
            }
            fifo[(head + count) % CAP] = k;
            count++;
            present[k] = 1;
            snprintf(first_id[k], sizeof(first_id[k]), "%s", id);
        }
        for (int j = 0; j < POOL; j++) { /* after every step: every hash where the model says */
            crafted((unsigned)j, sha);
            const char *found = nf_dedup_lookup(d, sha);
            if (present[j] && (!found || strcmp(found, first_id[j]) != 0))
                fail_msg("step %d: hash %d should map to %s, found %s", step, j, first_id[j],
                         found ? found : "nothing");
            if (!present[j] && found)
                fail_msg("step %d: hash %d should be absent, found %s", step, j, found);
        }
        assert_int_equal(nf_dedup_size(d), (size_t)count);
    }
    assert_int_equal(nf_dedup_evictions(d), evictions);
    assert_true(evictions > 1000);
    nf_dedup_destroy(d);
}

static void test_capacity_zero(void **state)
{
    (void)state;
    nf_dedup_t *d = new_index(0);
    uint8_t sha[NF_SHA256_LEN];
    hash_of_int(1, sha);
    assert_int_equal(nf_dedup_insert(d, sha, "a"), NF_OK);
    assert_null(nf_dedup_lookup(d, sha));
    assert_int_equal(nf_dedup_size(d), 0);
    nf_dedup_result_t r;
    assert_int_equal(nf_dedup_check(d, sha, "a", &r), NF_OK);
    assert_int_equal(r.status, NF_DEDUP_UNIQUE);
    assert_int_equal(nf_dedup_check(d, sha, "b", &r), NF_OK);
    assert_int_equal(r.status, NF_DEDUP_UNIQUE); /* nothing remembered, so never a duplicate */
    assert_string_equal(r.duplicate_of, "");
    assert_int_equal(nf_dedup_evictions(d), 0);
    nf_dedup_clear(d);
    nf_dedup_destroy(d);
}

static void test_clear(void **state)
{
    (void)state;
    nf_dedup_t *d = new_index(8);
    uint8_t sha[NF_SHA256_LEN];
    for (unsigned i = 0; i < 12; i++) {
        hash_of_int(i, sha);
        assert_int_equal(nf_dedup_insert(d, sha, "before"), NF_OK);
    }
    assert_int_equal(nf_dedup_size(d), 8);
    nf_dedup_clear(d);
    assert_int_equal(nf_dedup_size(d), 0);
    for (unsigned i = 0; i < 12; i++) {
        hash_of_int(i, sha);
        assert_null(nf_dedup_lookup(d, sha));
    }
    /* usable again, with the full capacity */
    uint64_t evictions = nf_dedup_evictions(d);
    for (unsigned i = 0; i < 8; i++) {
        hash_of_int(i, sha);
        char id[16];
        snprintf(id, sizeof(id), "after-%u", i);
        assert_int_equal(nf_dedup_insert(d, sha, id), NF_OK);
    }
    assert_int_equal(nf_dedup_size(d), 8);
    assert_int_equal(nf_dedup_evictions(d), evictions); /* nothing evicted after a clear */
    for (unsigned i = 0; i < 8; i++) {
        hash_of_int(i, sha);
        char id[16];
        snprintf(id, sizeof(id), "after-%u", i);
        assert_string_equal(nf_dedup_lookup(d, sha), id);
    }
    nf_dedup_result_t r;
    hash_of_int(3, sha);
    assert_int_equal(nf_dedup_check(d, sha, "late", &r), NF_OK);
    assert_int_equal(r.status, NF_DEDUP_EXACT);
    assert_string_equal(r.duplicate_of, "after-3");
    nf_dedup_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors), cmocka_unit_test(test_insert_lookup),
        cmocka_unit_test(test_check),          cmocka_unit_test(test_eviction),
        cmocka_unit_test(test_eviction_order), cmocka_unit_test(test_collisions_against_model),
        cmocka_unit_test(test_capacity_zero),  cmocka_unit_test(test_clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
