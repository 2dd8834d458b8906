/* The fingerprint cache: a ring of entries (oldest evicted first) and an open-addressing table
 * of ring slots keyed by a 64-bit hash of the id (linear probing, backward-shift deletion), the
 * table at most half full. */
#include "newsflow/fpcache.h"

#include <string.h>

#include "newsflow/alloc.h"

typedef struct entry {
    uint64_t h;
    char *id; /* owned; NULL: a free slot */
    nf_fingerprint_t fp;
} entry_t;

struct nf_fp_cache {
    size_t capacity, count, next;
    entry_t *ring;
    uint32_t *table; /* 0: empty, else ring slot + 1 */
    size_t mask;
    uint64_t hits, misses;
};

static uint64_t hash_id(const char *s)
{
    uint64_t h = nf_fnv1a(NF_FNV1A_BASIS, s, strlen(s)); /* then a mix for the low bits */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

nf_fp_cache_t *nf_fp_cache_new(size_t capacity)
{
    if (capacity > UINT32_MAX / 4)
        capacity = UINT32_MAX / 4;
    nf_fp_cache_t *c = nf_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->capacity = capacity;
    if (capacity == 0)
        return c;
    size_t slots = 16;
    while (slots < 2 * capacity)
        slots *= 2;
    c->mask = slots - 1;
    c->ring = nf_calloc(capacity, sizeof(entry_t)); /* untouched pages cost no RSS */
    c->table = nf_calloc(slots, sizeof(uint32_t));
    if (!c->ring || !c->table) {
        nf_fp_cache_destroy(c);
        return NULL;
    }
    return c;
}

void nf_fp_cache_destroy(nf_fp_cache_t *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->ring && i < c->capacity; i++)
        nf_free(c->ring[i].id);
    nf_free(c->ring);
    nf_free(c->table);
    nf_free(c);
}

/* The table slot holding `id` (hash h), or the empty slot ending its probe. */
static size_t find_slot(const nf_fp_cache_t *c, uint64_t h, const char *id)
{
    size_t i = (size_t)h & c->mask;
    for (;;) {
        uint32_t v = c->table[i];
        if (v == 0)
            return i;
        const entry_t *e = &c->ring[v - 1];
        if (e->h == h && strcmp(e->id, id) == 0)
            return i;
        i = (i + 1) & c->mask;
    }
}

const nf_fingerprint_t *nf_fp_cache_get(nf_fp_cache_t *c, const char *id)
{
    if (c->capacity == 0) {
        c->misses++;
        return NULL;
    }
    uint32_t v = c->table[find_slot(c, hash_id(id), id)];
    if (v == 0) {
        c->misses++;
        return NULL;
    }
    c->hits++;
    return &c->ring[v - 1].fp;
}

/* Empties table slot i, moving later entries of its cluster back (no tombstones). */
static void table_delete(nf_fp_cache_t *c, size_t i)
{
    size_t j = i;
    for (;;) {
        j = (j + 1) & c->mask;
        uint32_t v = c->table[j];
        if (v == 0)
            break;
        size_t home = (size_t)c->ring[v - 1].h & c->mask;
        /* the entry at j may move to i unless its home lies cyclically in (i, j] */
        int stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            c->table[i] = v;
            i = j;
        }
    }
    c->table[i] = 0;
}

nf_err_t nf_fp_cache_put(nf_fp_cache_t *c, const char *id, const nf_fingerprint_t *fp)
{
    if (c->capacity == 0)
        return NF_OK;
    uint64_t h = hash_id(id);
    size_t i = find_slot(c, h, id);
    if (c->table[i]) {
        c->ring[c->table[i] - 1].fp = *fp;
        return NF_OK;
    }
    char *copy = nf_strdup(id);
    if (!copy)
        return NF_ERR_NOMEM;
    entry_t *e = &c->ring[c->next];
    if (e->id) { /* the oldest entry leaves */
        table_delete(c, find_slot(c, e->h, e->id));
        nf_free(e->id);
        c->count--;
        i = find_slot(c, h, id); /* the deletion may have moved the probe's end */
    }
    e->h = h;
    e->id = copy;
    e->fp = *fp;
    c->table[i] = (uint32_t)(c->next + 1);
    c->next = (c->next + 1) % c->capacity;
    c->count++;
    return NF_OK;
}

size_t nf_fp_cache_size(const nf_fp_cache_t *c)
{
    return c->count;
}

uint64_t nf_fp_cache_hits(const nf_fp_cache_t *c)
{
    return c->hits;
}

uint64_t nf_fp_cache_misses(const nf_fp_cache_t *c)
{
    return c->misses;
}
