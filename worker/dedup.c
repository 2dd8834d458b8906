/* Exact-duplicate index: a ring of (sha256, first id) entries, oldest evicted first, found
 * through an open-addressing table (linear probing, backward-shift deletion). */
#include "newsflow/dedup.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsflow/alloc.h"

typedef struct entry {
    uint8_t sha[NF_SHA256_LEN];
    char *id; /* owned; NULL = free slot */
} entry_t;

struct nf_dedup {
    size_t capacity;
    entry_t *ring;
    size_t next; /* ring slot to fill (and evict) next */
    size_t count;
    uint64_t evictions;
    int32_t *table; /* ring index, -1 = empty */
    size_t mask;
};

/* EVP_Digest allocates a context and, in OpenSSL 3, looks the algorithm up in the provider
 * store on every call: about 11k instructions each, three calls per article. The algorithm is
 * fetched once, and each thread keeps one context (freed when the thread ends). */
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static pthread_key_t sha256_ctx_key;
static int sha256_ready;

static void free_ctx(void *ctx)
{
    EVP_MD_CTX_free(ctx);
}

static void sha256_init(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    sha256_ready = sha256_md && pthread_key_create(&sha256_ctx_key, free_ctx) == 0;
}
#endif

void nf_content_sha256(const void *data, size_t len, uint8_t out[NF_SHA256_LEN])
{
    unsigned int out_len = NF_SHA256_LEN;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    pthread_once(&sha256_once, sha256_init);
    if (sha256_ready) {
        EVP_MD_CTX *ctx = pthread_getspecific(sha256_ctx_key);
        if (!ctx && (ctx = EVP_MD_CTX_new()) != NULL &&
            pthread_setspecific(sha256_ctx_key, ctx) != 0) {
            EVP_MD_CTX_free(ctx);
            ctx = NULL;
        }
        if (ctx && EVP_DigestInit_ex2(ctx, sha256_md, NULL) && EVP_DigestUpdate(ctx, data, len) &&
            EVP_DigestFinal_ex(ctx, out, &out_len))
            return;
    }
#endif
    EVP_Digest(data, len, out, &out_len, EVP_sha256(), NULL);
}

double nf_dedup_similarity_shown(double similarity)
{
    char tmp[32];
    snprintf(tmp, sizeof(tmp), NF_RECORD_NUMBER_FORMAT, similarity);
    return strtod(tmp, NULL);
}

const char *nf_dedup_status_name(nf_dedup_status_t status)
{
    switch (status) {
    case NF_DEDUP_UNIQUE:
        return "unique";
    case NF_DEDUP_EXACT:
        return "exact_duplicate";
    case NF_DEDUP_NEAR:
        return "near_duplicate";
    }
    return "unique";
}

nf_dedup_t *nf_dedup_new(size_t capacity, char *errstr, size_t errstr_size)
{
    nf_dedup_t *d = nf_calloc(1, sizeof(*d));
    if (!d)
        goto fail;
    d->capacity = capacity;
    if (capacity == 0)
        return d;
    if (capacity > (size_t)INT32_MAX / 2) {
        snprintf(errstr, errstr_size, "dedup capacity %zu too large", capacity);
        nf_free(d);
        return NULL;
    }
    size_t slots = 16;
    while (slots < capacity * 2)
        slots *= 2;
    d->mask = slots - 1;
    d->ring = nf_calloc(capacity, sizeof(entry_t));
    d->table = nf_malloc(slots * sizeof(int32_t));
    if (!d->ring || !d->table)
        goto fail;
    memset(d->table, 0xff, slots * sizeof(int32_t));
    return d;
fail:
    snprintf(errstr, errstr_size, "out of memory (dedup index of %zu entries)", capacity);
    nf_dedup_destroy(d);
    return NULL;
}

void nf_dedup_destroy(nf_dedup_t *d)
{
    if (!d)
        return;
    if (d->ring)
        for (size_t i = 0; i < d->capacity; i++)
            nf_free(d->ring[i].id);
    nf_free(d->ring);
    nf_free(d->table);
    nf_free(d);
}

static size_t home_slot(const nf_dedup_t *d, const uint8_t sha[NF_SHA256_LEN])
{
    uint64_t h;
    memcpy(&h, sha, sizeof(h));
    return (size_t)h & d->mask;
}

static size_t find_slot(const nf_dedup_t *d, const uint8_t sha[NF_SHA256_LEN])
{
    size_t i = home_slot(d, sha);
    while (d->table[i] >= 0 && memcmp(d->ring[d->table[i]].sha, sha, NF_SHA256_LEN) != 0)
        i = (i + 1) & d->mask;
    return i;
}

const char *nf_dedup_lookup(const nf_dedup_t *d, const uint8_t sha[NF_SHA256_LEN])
{
    if (d->capacity == 0)
        return NULL;
    size_t slot = find_slot(d, sha);
    return d->table[slot] >= 0 ? d->ring[d->table[slot]].id : NULL;
}

/* Removes the table slot of a key and closes the gap (Knuth's algorithm R). */
static void table_remove(nf_dedup_t *d, size_t slot)
{
    size_t hole = slot;
    size_t i = slot;
    for (;;) {
        i = (i + 1) & d->mask;
        if (d->table[i] < 0)
            break;
        size_t home = home_slot(d, d->ring[d->table[i]].sha);
        /* Move entry i into the hole unless its home lies cyclically in (hole, i]. */
        int in_range = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!in_range) {
            d->table[hole] = d->table[i];
            hole = i;
        }
    }
    d->table[hole] = -1;
}

nf_err_t nf_dedup_insert(nf_dedup_t *d, const uint8_t sha[NF_SHA256_LEN], const char *id)
{
    if (d->capacity == 0)
        return NF_OK;
    size_t slot = find_slot(d, sha);
    if (d->table[slot] >= 0)
        return NF_OK;
    char *copy = nf_strdup(id);
    if (!copy)
        return NF_ERR_NOMEM;
    entry_t *e = &d->ring[d->next];
    if (e->id) {
        table_remove(d, find_slot(d, e->sha));
        nf_free(e->id);
        d->evictions++;
        d->count--;
        slot = find_slot(d, sha); /* the removal may have moved slots */
    }
    memcpy(e->sha, sha, NF_SHA256_LEN);
    e->id = copy;
    d->table[slot] = (int32_t)d->next;
    d->next = (d->next + 1) % d->capacity;
    d->count++;
    return NF_OK;
}

nf_err_t nf_dedup_check(nf_dedup_t *d, const uint8_t sha[NF_SHA256_LEN], const char *id,
                        nf_dedup_result_t *out)
{
    const char *first = nf_dedup_lookup(d, sha);
    if (first && strcmp(first, id) != 0) {
        out->status = NF_DEDUP_EXACT;
        snprintf(out->duplicate_of, sizeof(out->duplicate_of), "%s", first);
        out->similarity = 1.0;
        return NF_OK;
    }
    out->status = NF_DEDUP_UNIQUE;
    out->duplicate_of[0] = '\0';
    out->similarity = 0.0;
    return first ? NF_OK : nf_dedup_insert(d, sha, id);
}

void nf_dedup_clear(nf_dedup_t *d)
{
    if (d->capacity == 0)
        return;
    for (size_t i = 0; i < d->capacity; i++) {
        nf_free(d->ring[i].id);
        d->ring[i].id = NULL;
    }
    memset(d->table, 0xff, (d->mask + 1) * sizeof(int32_t));
    d->next = 0;
    d->count = 0;
}

size_t nf_dedup_size(const nf_dedup_t *d)
{
    return d->count;
}

uint64_t nf_dedup_evictions(const nf_dedup_t *d)
{
    return d->evictions;
}
