/* The in-memory near-duplicate and story index: a ring of articles (oldest evicted first), an
 * open-addressing multimap from index keys (LSH bands, name keys) to ring slots, and a
 * union-find forest of stories with reference counts (a story lives while an article or a merged
 * child story points at it).
 *
 * Memory per article is what bounds the window (README "Dedup and stories"): a ring entry keeps
 * only what the link predicates read, packed (the MinHash, the bands, the language key, the
 * story) plus one allocation holding the name keys, fact keys and id; what a lookup reads of
 * every article a key names is apart, in a dense array (hot_t: 64 bits of the exact key,
 * published_at, a 32-bit hash of the id, the lookup's mark).
 * A posting in the key table is 32 bits: the ring slot in the low bits and the posting's
 * distance from its key's home slot above (linear probing, backward-shift deletion). Beside each
 * slot, 16 bits of the key: the home is the top bits of key * 0x9E3779B1 (odd, so a bijection of
 * 32-bit keys), the tag the low 16 bits of that product, and a table of at least 2^16 slots has
 * at least 16 home bits, so home and tag together name exactly one key. A lookup thus takes a
 * key's postings from the table alone; it used to confirm each posting at the right distance
 * against its article's keys, which on the 100,000-article benchmark read two or three lines of
 * an entry, and often its names, for each of a few hundred postings per article. With 10^6
 * articles the distance has 12 bits (at most 4,095 slots from home: further postings are not
 * made, as when a key is full); at the largest capacities fewer. */
#include "newsflow/story.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsflow/alloc.h"
#include "newsflow/buf.h"

#define NONE UINT32_MAX
#define KEYS_PER_ENTRY (NF_NEAR_BANDS + NF_POSTED_NAMES)
/* A key shared by very many articles (a name in every story of the day) would make a lookup's
 * cost grow with the window: at most this many articles are taken per key, so the cost per
 * article is bounded whatever the window holds. */
#define MAX_PER_KEY 64
#define EMPTY 0u
#define PENDING_MAX 512

typedef struct entry {
    uint32_t lang_key;
    uint32_t story;
    uint32_t gen;
    uint8_t n_names, n_facts;
    uint32_t bands[NF_NEAR_BANDS];
    uint8_t minhash[NF_MINHASH_K];
    uint8_t *var; /* owned: n_names name keys, n_facts fact keys (uint32), the id + NUL;
                   * NULL = free slot */
} entry_t;

/* What a lookup reads of each article its keys name, beside the entry (same ring index): whether
 * this lookup took it already, then (for the candidates) the window test that rules most of them
 * out and the id's hash. 24 bytes, a line for two or three articles. */
typedef struct hot {
    uint64_t exact; /* the first 64 bits of the exact key (sha256) */
    int64_t t;
    uint32_t mark;
    uint32_t id_hash; /* of the id: most candidates are told from the article without its id */
} hot_t;
_Static_assert(sizeof(void *) != 8 || sizeof(entry_t) + sizeof(hot_t) == 112,
               "an article's entry and hot_t: 112 bytes, as the README counts");

/* What a lookup learns of a key's run for post_known: the run from home to its first empty slot
 * (end), the article's postings in it (up to MAX_PER_KEY, as post counts them) and the slot of
 * the oldest of those outside the new article's window. */
typedef struct key_run {
    uint32_t key;
    uint32_t same;
    size_t home, end, stale;
    int64_t stale_t;
} key_run_t;

typedef struct story {
    uint32_t parent; /* itself for a root, NONE for a free story */
    uint32_t refs;
    int64_t first_t;
    char *first_id; /* owned */
    char sid[NF_STORY_ID_LEN];
} story_t;

struct nf_story_index {
    nf_match_params_t p;
    size_t capacity, count, next;
    entry_t *ring;
    hot_t *hot;
    uint32_t *table; /* EMPTY, or distance from home << slot_bits | (ring index + 1); calloc'ed
                      * = empty without being touched (no RSS until used) */
    uint16_t *tags;  /* beside each posting: the low 16 bits of its key * 0x9E3779B1 */
    size_t mask, n_postings, max_fill, max_dist;
    unsigned slot_bits, home_shift;
    uint32_t slot_mask;
    story_t *stories;
    uint32_t n_stories, cap_stories, free_story;
    uint32_t mark;
    uint64_t evictions, lookups;
    uint32_t *cand;
    /* a lookup's postings to confirm: ring index, table slot, index of the key in runs */
    uint32_t pending[PENDING_MAX], pending_slot[PENDING_MAX];
    uint8_t pending_k[PENDING_MAX];
    key_run_t runs[KEYS_PER_ENTRY];
};

void nf_story_id_of(const char *first_article_id, char out[NF_STORY_ID_LEN])
{
    uint8_t sha[NF_SHA256_LEN];
    char hex[2 * NF_SHA256_LEN + 1];
    nf_content_sha256(first_article_id, strlen(first_article_id), sha);
    nf_hex(sha, NF_SHA256_LEN, hex);
    snprintf(out, NF_STORY_ID_LEN, "story:%.16s", hex);
}

nf_match_params_t nf_match_params_from_config(const nf_config_t *cfg)
{
    nf_match_params_t p = nf_match_params_default();
    p.window_s = (int64_t)cfg->dedup_window_hours * 3600;
    p.near_threshold = (double)cfg->dedup_near_threshold_pct / 100.0;
    return p;
}

int nf_article_order(int64_t ta, const char *ida, int64_t tb, const char *idb)
{
    if (ta != tb)
        return ta < tb ? -1 : 1;
    int c = strcmp(ida, idb);
    return (c > 0) - (c < 0);
}

nf_story_index_t *nf_story_index_new(size_t capacity, const nf_match_params_t *params, char *errstr,
                                     size_t errstr_size)
{
    nf_story_index_t *x = nf_calloc(1, sizeof(*x));
    if (!x)
        goto fail;
    x->p = *params;
    x->capacity = capacity;
    x->free_story = NONE;
    if (capacity == 0)
        return x;
    if (capacity > (size_t)UINT32_MAX / (4 * KEYS_PER_ENTRY)) {
        snprintf(errstr, errstr_size, "index capacity %zu too large", capacity);
        nf_free(x);
        return NULL;
    }
    size_t slots = (size_t)1 << 16; /* at least 16 home bits: see the top of the file */
    x->home_shift = 16;
    while (slots < capacity * KEYS_PER_ENTRY) {
        slots *= 2;
        x->home_shift--;
    }
    x->mask = slots - 1;
    x->max_fill = slots / 10 * 9;
    while (x->slot_bits < 31 && ((size_t)1 << x->slot_bits) <= capacity)
        x->slot_bits++; /* capacity < 2^slot_bits: a slot field is never all ones */
    x->slot_mask = (uint32_t)(((uint64_t)1 << x->slot_bits) - 1);
    x->max_dist = x->slot_bits >= 32 ? 0 : (((size_t)1 << (32 - x->slot_bits)) - 1);
    x->ring = nf_calloc(capacity, sizeof(entry_t));
    x->hot = nf_calloc(capacity, sizeof(hot_t));
    x->table = nf_calloc(slots, sizeof(uint32_t));
    x->tags = nf_calloc(slots, sizeof(uint16_t));
    x->cand = nf_malloc(capacity * sizeof(uint32_t) < 4096 * sizeof(uint32_t)
                            ? capacity * sizeof(uint32_t)
                            : 4096 * sizeof(uint32_t));
    if (!x->ring || !x->hot || !x->table || !x->tags || !x->cand)
        goto fail;
    return x;
fail:
    snprintf(errstr, errstr_size, "out of memory (story index of %zu articles)", capacity);
    nf_story_index_destroy(x);
    return NULL;
}

void nf_story_index_destroy(nf_story_index_t *x)
{
    if (!x)
        return;
    if (x->ring)
        for (size_t i = 0; i < x->capacity; i++)
            nf_free(x->ring[i].var);
    for (uint32_t i = 0; i < x->n_stories; i++)
        if (x->stories[i].parent != NONE)
            nf_free(x->stories[i].first_id);
    nf_free(x->stories);
    nf_free(x->ring);
    nf_free(x->hot);
    nf_free(x->table);
    nf_free(x->tags);
    nf_free(x->cand);
    nf_free(x);
}

size_t nf_story_index_size(const nf_story_index_t *x)
{
    return x->count;
}

uint64_t nf_story_index_evictions(const nf_story_index_t *x)
{
    return x->evictions;
}

uint64_t nf_story_index_lookups(const nf_story_index_t *x)
{
    return x->lookups;
}

/* ---- entries ---- */

static uint64_t exact64(const uint8_t exact[32])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | exact[i];
    return v;
}

static const uint32_t *entry_names(const entry_t *e)
{
    return (const uint32_t *)(const void *)e->var;
}

static const uint32_t *entry_facts(const entry_t *e)
{
    return (const uint32_t *)(const void *)e->var + e->n_names;
}

static const char *entry_id(const entry_t *e)
{
    return (const char *)e->var + 4 * ((size_t)e->n_names + e->n_facts);
}

/* FNV-1a of an id, to tell two ids apart without reading the var part (a cache miss). */
static uint32_t id_hash_of(const char *id)
{
    return (uint32_t)nf_fnv1a(NF_FNV1A_BASIS, id, strlen(id));
}

/* Fills ring slot i from a fingerprint (its var part allocated here). Returns 0 when out of
 * memory. */
static int entry_set(nf_story_index_t *x, size_t i, const nf_fingerprint_t *fp, const char *id,
                     uint32_t id_hash)
{
    entry_t *e = &x->ring[i];
    hot_t *h = &x->hot[i];
    size_t nw = (size_t)fp->n_names + fp->n_facts, idl = strlen(id);
    uint8_t *var = nf_malloc(4 * nw + idl + 1);
    if (!var)
        return 0;
    memcpy(var, fp->names, 4 * (size_t)fp->n_names);
    memcpy(var + 4 * (size_t)fp->n_names, fp->facts, 4 * (size_t)fp->n_facts);
    memcpy(var + 4 * nw, id, idl + 1);
    e->var = var;
    h->exact = exact64(fp->exact);
    h->t = fp->t;
    h->id_hash = id_hash;
    e->lang_key = fp->lang_key;
    memcpy(e->bands, fp->bands, sizeof(e->bands));
    memcpy(e->minhash, fp->minhash, sizeof(e->minhash));
    e->n_names = fp->n_names;
    e->n_facts = fp->n_facts;
    return 1;
}

/* The fingerprint of an entry, as the predicates read it. Only 64 bits of its exact key are
 * kept: it gets the query's full key when those agree (a false exact match needs a 64-bit
 * collision of sha256), else its own 64 bits and zeros. */
static void entry_fp(const entry_t *e, const hot_t *h, const nf_fingerprint_t *query,
                     nf_fingerprint_t *out)
{
    if (h->exact == exact64(query->exact)) {
        memcpy(out->exact, query->exact, sizeof(out->exact));
    } else {
        memset(out->exact, 0, sizeof(out->exact));
        for (int i = 0; i < 8; i++)
            out->exact[i] = (uint8_t)(h->exact >> (56 - 8 * i));
    }
    out->t = h->t;
    out->lang_key = e->lang_key;
    memcpy(out->minhash, e->minhash, sizeof(out->minhash));
    memcpy(out->bands, e->bands, sizeof(out->bands));
    out->n_names = e->n_names;
    out->n_facts = e->n_facts;
    memcpy(out->names, entry_names(e), 4 * (size_t)e->n_names);
    memcpy(out->facts, entry_facts(e), 4 * (size_t)e->n_facts);
}

/* ---- the key multimap ---- */

static size_t home(const nf_story_index_t *x, uint32_t key)
{
    return (size_t)((key * 0x9E3779B1u) >> x->home_shift);
}

static uint16_t key_tag(uint32_t key)
{
    return (uint16_t)(key * 0x9E3779B1u);
}

/* A posting: the ring index + 1 in the low slot_bits, its distance from its key's home above.
 * With the distance, a deletion can shift the postings after it back (no tombstones); with the
 * tag beside it, the posting names its key. */
static uint32_t posting(const nf_story_index_t *x, size_t dist, uint32_t idx)
{
    return (uint32_t)dist << x->slot_bits | (idx + 1);
}

static size_t posting_dist(const nf_story_index_t *x, uint32_t p)
{
    return x->slot_bits >= 32 ? 0 : p >> x->slot_bits;
}

static uint32_t posting_idx(const nf_story_index_t *x, uint32_t p)
{
    return (p & x->slot_mask) - 1;
}

/* Whether slot i, `dist` slots after the home of the key whose tag is `tag`, is that key's. */
static int key_at(const nf_story_index_t *x, size_t i, size_t dist, uint16_t tag)
{
    return posting_dist(x, x->table[i]) == dist && x->tags[i] == tag;
}

static void put_posting(nf_story_index_t *x, size_t i, size_t dist, uint16_t tag, uint32_t idx)
{
    x->table[i] = posting(x, dist, idx);
    x->tags[i] = tag;
}

/* Keys of an article: its bands and its filed names (a name key is salted so that it cannot
 * meet a band key). */
static size_t keys_of(const uint32_t *bands, const uint32_t *names, size_t n_names, uint32_t *keys)
{
    size_t n = 0;
    for (int b = 0; b < NF_NEAR_BANDS; b++)
        keys[n++] = bands[b];
    for (size_t i = 0; i < n_names; i++)
        if (names[i] & NF_NAME_POSTED)
            keys[n++] = NF_NAME_ID(names[i]) ^ 0x5bd1e995u;
    return n;
}

/* An entry spans two or three cache lines, and a candidate that passes the window test reads
 * all of them (the counts, the bands, the MinHash, the var pointer at its end). */
static inline void prefetch_entry(const entry_t *e)
{
    /* bytes 0, 64 and the last: one in each line the entry touches */
    const char *b = (const char *)e;
    __builtin_prefetch(b);
    __builtin_prefetch(b + 64);
    __builtin_prefetch(b + sizeof(*e) - 1);
}

/* Files idx under key, unless MAX_PER_KEY articles already are (a key in every story of the
 * day tells nothing and would make every probe through its run long), the table is full, or
 * the free slot is further than max_dist from home. When the key is full, the posting
 * of its oldest article outside idx's window is given to idx instead: otherwise a name that
 * recurs for weeks (a town, a minister) stays filed under its first 64 articles until capacity
 * evicts them, and no later article is found through it. The article that loses the posting
 * can no longer be found through this key, only by articles outside its window (if the stream
 * is in published_at order), and its eviction finds nothing to unpost here. */
static size_t post(nf_story_index_t *x, uint32_t key, uint32_t idx)
{
    if (x->n_postings >= x->max_fill)
        return SIZE_MAX;
    size_t i = home(x, key), dist = 0, same = 0, stale = SIZE_MAX, stale_dist = 0;
    uint16_t tag = key_tag(key);
    int64_t t = x->hot[idx].t, stale_t = 0;
    for (; x->table[i] != EMPTY; i = (i + 1) & x->mask, dist++) {
        if (!key_at(x, i, dist, tag))
            continue; /* another key's */
        int64_t at = x->hot[posting_idx(x, x->table[i])].t;
        if ((at < t - x->p.window_s || at > t + x->p.window_s) &&
            (stale == SIZE_MAX || at < stale_t)) {
            stale = i;
            stale_dist = dist;
            stale_t = at;
        }
        if (++same >= MAX_PER_KEY) {
            if (stale != SIZE_MAX)
                x->table[stale] = posting(x, stale_dist, idx);
            return stale;
        }
    }
    if (dist > x->max_dist)
        return SIZE_MAX;
    put_posting(x, i, dist, tag, idx);
    x->n_postings++;
    return i;
}

/* post() from what the lookup saw of the key's run (r), without walking it again; unless a
 * slot written by an earlier post of this article lies in the run, which post() then walks.
 * Returns the slot written or SIZE_MAX. */
static size_t post_known(nf_story_index_t *x, const key_run_t *r, uint32_t idx,
                         const size_t *written, size_t n_written)
{
    if (x->n_postings >= x->max_fill)
        return SIZE_MAX;
    size_t len = (r->end - r->home) & x->mask;
    for (size_t w = 0; w < n_written; w++)
        if (written[w] != SIZE_MAX && ((written[w] - r->home) & x->mask) <= len)
            return post(x, r->key, idx);
    if (r->same >= MAX_PER_KEY) {
        if (r->stale != SIZE_MAX)
            x->table[r->stale] = posting(x, (r->stale - r->home) & x->mask, idx);
        return r->stale;
    }
    if (len > x->max_dist)
        return SIZE_MAX;
    put_posting(x, r->end, len, key_tag(r->key), idx);
    x->n_postings++;
    return r->end;
}

static void unpost(nf_story_index_t *x, uint32_t key, uint32_t idx)
{
    size_t i = home(x, key), dist = 0;
    uint16_t tag = key_tag(key);
    while (x->table[i] != EMPTY && (x->table[i] != posting(x, dist, idx) || x->tags[i] != tag)) {
        i = (i + 1) & x->mask;
        dist++;
    }
    if (x->table[i] == EMPTY)
        return;
    /* backward shift: a posting after the hole moves into it unless its home lies after it */
    size_t hole = i;
    for (;;) {
        i = (i + 1) & x->mask;
        uint32_t p = x->table[i];
        if (p == EMPTY)
            break;
        size_t d = posting_dist(x, p), h = (i - d) & x->mask;
        int in_range = hole <= i ? (h > hole && h <= i) : (h > hole || h <= i);
        if (!in_range) {
            put_posting(x, hole, (hole - h) & x->mask, x->tags[i], posting_idx(x, p));
            hole = i;
        }
    }
    x->table[hole] = EMPTY;
    x->n_postings--;
}

/* ---- stories ---- */

static uint32_t story_new(nf_story_index_t *x, int64_t t, const char *id)
{
    char *copy = nf_strdup(id);
    if (!copy)
        return NONE;
    uint32_t s = x->free_story;
    if (s != NONE) {
        x->free_story = x->stories[s].refs; /* free list threaded through refs */
    } else {
        if (x->n_stories == x->cap_stories) {
            uint32_t cap = x->cap_stories ? x->cap_stories * 2 : 1024;
            story_t *p = nf_realloc(x->stories, cap * sizeof(story_t));
            if (!p) {
                nf_free(copy);
                return NONE;
            }
            x->stories = p;
            x->cap_stories = cap;
        }
        s = x->n_stories++;
    }
    story_t *st = &x->stories[s];
    st->parent = s;
    st->refs = 0;
    st->first_t = t;
    st->first_id = copy;
    nf_story_id_of(id, st->sid);
    return s;
}

static void story_decref(nf_story_index_t *x, uint32_t s)
{
    while (s != NONE && --x->stories[s].refs == 0) {
        story_t *st = &x->stories[s];
        uint32_t parent = st->parent == s ? NONE : st->parent;
        nf_free(st->first_id);
        st->first_id = NULL;
        st->parent = NONE;
        st->refs = x->free_story;
        x->free_story = s;
        s = parent;
    }
}

static uint32_t story_find(nf_story_index_t *x, uint32_t s)
{
    while (x->stories[s].parent != s) {
        uint32_t p = x->stories[s].parent, gp = x->stories[p].parent;
        if (gp != p) { /* path halving, keeping the reference counts */
            x->stories[s].parent = gp;
            x->stories[gp].refs++;
            story_decref(x, p);
        }
        s = gp;
    }
    return s;
}

static uint32_t story_union(nf_story_index_t *x, uint32_t a, uint32_t b)
{
    a = story_find(x, a);
    b = story_find(x, b);
    if (a == b)
        return a;
    const story_t *sa = &x->stories[a], *sb = &x->stories[b];
    uint32_t win =
        nf_article_order(sa->first_t, sa->first_id, sb->first_t, sb->first_id) <= 0 ? a : b;
    uint32_t lose = win == a ? b : a;
    x->stories[lose].parent = win;
    x->stories[win].refs++;
    return win;
}

/* ---- eviction ---- */

static void evict(nf_story_index_t *x, size_t i)
{
    entry_t *e = &x->ring[i];
    uint32_t keys[KEYS_PER_ENTRY];
    size_t n = keys_of(e->bands, entry_names(e), e->n_names, keys);
    for (size_t k = 0; k < n; k++)
        unpost(x, keys[k], (uint32_t)i);
    nf_free(e->var);
    e->var = NULL;
    story_decref(x, e->story);
    e->story = NONE;
    x->count--;
    x->evictions++;
}

static void evict_old(nf_story_index_t *x)
{
    /* Only capacity evicts: a stream is never quite in published_at order (a copy of a March
     * article can arrive in May), and the window already bounds what can match. */
    if (x->count == x->capacity)
        evict(x, x->next);
}

/* An entry's var part: its names and facts (read by the link predicates) and its id, which is
 * on the next cache line when there are many keys. */
static inline void prefetch_var(const entry_t *e)
{
    if (e->var) { /* NULL: a free slot */
        __builtin_prefetch(e->var);
        __builtin_prefetch(entry_id(e));
    }
}

/* The second pass of a lookup: the pending postings (ring index and key, in table order; their
 * hot_t prefetched by the table walk) become candidates, each article once, at most cand_cap. */
static void take_pending(nf_story_index_t *x, size_t n_pending, size_t *n_cand, size_t cand_cap,
                         int64_t t)
{
    for (size_t j = 0; j < n_pending; j++) {
        uint32_t idx = x->pending[j];
        hot_t *h = &x->hot[idx];
        key_run_t *r = &x->runs[x->pending_k[j]];
        if (r->same < MAX_PER_KEY) { /* post_known needs the key's first postings, */
            int64_t at = h->t;       /* judged as post() judges the postings it walks */
            if ((at < t - x->p.window_s || at > t + x->p.window_s) &&
                (r->stale == SIZE_MAX || at < r->stale_t)) {
                r->stale = x->pending_slot[j];
                r->stale_t = at;
            }
            r->same++;
        }
        if (h->mark == x->mark || *n_cand == cand_cap)
            continue; /* taken already: it shares several keys */
        h->mark = x->mark;
        x->cand[(*n_cand)++] = idx;
    }
}

/* ---- decisions ---- */

nf_err_t nf_story_index_add(nf_story_index_t *x, const char *id, const nf_fingerprint_t *fp,
                            nf_story_decision_t *out)
{
    memset(out, 0, sizeof(*out));
    out->dedup.status = NF_DEDUP_UNIQUE;
    out->handle = UINT64_MAX;
    if (x->capacity == 0) {
        nf_story_id_of(id, out->story_id);
        out->new_story = 1;
        return NF_OK;
    }
    evict_old(x);

    /* candidates: every live article sharing an index key */
    uint32_t keys[KEYS_PER_ENTRY];
    size_t nk = keys_of(fp->bands, fp->names, fp->n_names, keys);
    size_t n_cand = 0, cand_cap = x->capacity < 4096 ? x->capacity : 4096;
    x->mark++;
    /* Two passes over the postings, in their order: the table's runs first, keeping the
     * postings of the key and prefetching their hot_t; then each is taken. */
    size_t n_pending = 0, homes[KEYS_PER_ENTRY];
    for (size_t k = 0; k < nk; k++) { /* the keys' runs are far apart: fetch all at once */
        homes[k] = home(x, keys[k]);
        __builtin_prefetch(&x->table[homes[k]]);
        __builtin_prefetch(&x->tags[homes[k]]);
    }
    for (size_t k = 0; k < nk; k++) {
        x->lookups++;
        key_run_t *r = &x->runs[k];
        r->key = keys[k];
        r->same = 0;
        r->home = homes[k];
        r->stale = SIZE_MAX;
        r->stale_t = 0;
        size_t i = homes[k], dist = 0;
        uint16_t tag = key_tag(keys[k]);
        for (; x->table[i] != EMPTY; i = (i + 1) & x->mask, dist++) {
            if (!key_at(x, i, dist, tag))
                continue; /* another key's */
            uint32_t idx = posting_idx(x, x->table[i]);
            __builtin_prefetch(&x->hot[idx]);
            x->pending[n_pending] = idx;
            x->pending_slot[n_pending] = (uint32_t)i;
            x->pending_k[n_pending++] = (uint8_t)k;
            if (n_pending == PENDING_MAX) {
                take_pending(x, n_pending, &n_cand, cand_cap, fp->t);
                n_pending = 0;
            }
        }
        r->end = i;
    }
    take_pending(x, n_pending, &n_cand, cand_cap, fp->t);

    /* Every link but an exact one needs the two inside the window: most candidates are told
     * apart here, from hot_t alone. The others stay in x->cand, in order, their entries and var
     * parts asked for before the first is read. */
    uint32_t same = NONE, qid_hash = id_hash_of(id);
    uint64_t qexact = exact64(fp->exact);
    size_t n_near = 0;
    for (size_t c = 0; c < n_cand; c++) {
        uint32_t idx = x->cand[c];
        const hot_t *h = &x->hot[idx];
        if (h->id_hash == qid_hash && strcmp(entry_id(&x->ring[idx]), id) == 0) {
            same = idx;
            continue;
        }
        int64_t dt = h->t - fp->t;
        if (h->exact != qexact && (dt < 0 ? -dt : dt) > x->p.window_s)
            continue;
        prefetch_entry(&x->ring[idx]);
        x->cand[n_near++] = idx;
    }
    for (size_t c = 0; c < n_near; c++)
        prefetch_var(&x->ring[x->cand[c]]);

    uint32_t orig = NONE;
    double orig_sim = 0;
    int orig_exact = 0;
    uint32_t matched[64];
    size_t n_matched = 0;
    nf_fingerprint_t efp;
    memset(&efp, 0, sizeof(efp));
    for (size_t c = 0; c < n_near; c++) {
        uint32_t idx = x->cand[c];
        const entry_t *e = &x->ring[idx];
        const hot_t *h = &x->hot[idx];
        const char *eid = entry_id(e);
        double sim = 0;
        entry_fp(e, h, fp, &efp);
        nf_link_t link = nf_fingerprint_link(fp, &efp, &x->p, &sim);
        int exact = link == NF_LINK_EXACT, near = link == NF_LINK_NEAR;
        int linked = link != NF_LINK_NONE;
        if ((exact || near) && nf_article_order(h->t, eid, fp->t, id) < 0 &&
            (orig == NONE ||
             nf_article_order(h->t, eid, x->hot[orig].t, entry_id(&x->ring[orig])) < 0)) {
            orig = idx;
            orig_sim = exact ? 1.0 : sim;
            orig_exact = exact;
        }
        if (linked && n_matched < sizeof(matched) / sizeof(matched[0]))
            matched[n_matched++] = e->story;
    }
    if (orig != NONE) {
        out->dedup.status = orig_exact ? NF_DEDUP_EXACT : NF_DEDUP_NEAR;
        snprintf(out->dedup.duplicate_of, sizeof(out->dedup.duplicate_of), "%s",
                 entry_id(&x->ring[orig]));
        out->dedup.similarity = orig_sim;
    }
    out->new_story = n_matched == 0 && same == NONE;

    uint32_t s;
    if (same != NONE) {
        s = x->ring[same].story;
        out->handle = (uint64_t)same | ((uint64_t)x->ring[same].gen << 32);
    } else {
        entry_t *e = &x->ring[x->next];
        if (!entry_set(x, x->next, fp, id, qid_hash))
            return NF_ERR_NOMEM;
        /* An article that joins a story points at it: a story of its own per article would cost
         * a story (and a copy of the id) per article held. It names the story when it is the
         * earliest (what a union with a story of its own would have decided). */
        s = n_matched ? story_find(x, matched[0]) : story_new(x, fp->t, id);
        char *first = NULL;
        if (s != NONE && n_matched &&
            nf_article_order(fp->t, id, x->stories[s].first_t, x->stories[s].first_id) < 0 &&
            !(first = nf_strdup(id)))
            s = NONE;
        if (s == NONE) {
            nf_free(e->var);
            e->var = NULL;
            return NF_ERR_NOMEM;
        }
        if (first) {
            story_t *st = &x->stories[s];
            nf_free(st->first_id);
            st->first_id = first;
            st->first_t = fp->t;
            nf_story_id_of(id, st->sid);
        }
        e->story = s;
        e->gen++;
        x->stories[s].refs++;
        size_t written[KEYS_PER_ENTRY];
        for (size_t k = 0; k < nk; k++)
            written[k] = post_known(x, &x->runs[k], (uint32_t)x->next, written, k);
        x->count++;
        out->handle = (uint64_t)x->next | ((uint64_t)e->gen << 32);
        x->next = (x->next + 1) % x->capacity;
    }
    for (size_t m = 0; m < n_matched; m++)
        story_union(x, s, matched[m]);
    memcpy(out->story_id, x->stories[story_find(x, s)].sid, NF_STORY_ID_LEN);
    return NF_OK;
}

int nf_story_index_current(nf_story_index_t *x, uint64_t handle, char out[NF_STORY_ID_LEN])
{
    size_t i = (size_t)(handle & 0xffffffffu);
    if (handle == UINT64_MAX || i >= x->capacity)
        return 0;
    entry_t *e = &x->ring[i];
    if (!e->var || e->gen != (uint32_t)(handle >> 32))
        return 0;
    memcpy(out, x->stories[story_find(x, e->story)].sid, NF_STORY_ID_LEN);
    return 1;
}

/* ---- batch resolution (the PostgreSQL decisions) ---- */

static size_t uf_find(size_t *parent, size_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

typedef struct post {
    uint64_t key;
    size_t node;
} post_t;

/* What a sort of nodes compares, copied beside the node's index so the comparators need no
 * state outside their arguments. */
typedef struct node_sort {
    int64_t t;
    const char *text; /* the stored story, or the id */
    int stored;
    size_t node;
} node_sort_t;

/* stored first, then by story id */
static int cmp_node_story(const void *a, const void *b)
{
    const node_sort_t *x = a, *y = b;
    if (x->stored != y->stored)
        return x->stored ? -1 : 1;
    return strcmp(x->text, y->text);
}

/* (published_at, id) */
static int cmp_node_order(const void *a, const void *b)
{
    const node_sort_t *x = a, *y = b;
    return nf_article_order(x->t, x->text, y->t, y->text);
}

/* Posts by (key, node): an LSD radix sort on the key's low 40 bits (tag << 32 | 32-bit key),
 * stable, so posts made in node order keep it within a key. qsort with a comparator was a
 * tenth of the worker's CPU at ~70,000 posts a batch. tmp holds n posts. */
static void sort_posts(post_t *posts, post_t *tmp, size_t n)
{
    post_t *src = posts, *dst = tmp;
    for (unsigned shift = 0; shift < 40; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((src[i].key >> shift) & 0xff) + 1]++;
        if (count[((src[0].key >> shift) & 0xff) + 1] == n)
            continue; /* one digit value: the pass would not move anything */
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i].key >> shift) & 0xff]++] = src[i];
        post_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != posts)
        memcpy(posts, src, n * sizeof(post_t));
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static uint32_t exact32(const nf_fingerprint_t *f)
{
    return (uint32_t)f->exact[0] << 24 | (uint32_t)f->exact[1] << 16 | (uint32_t)f->exact[2] << 8 |
           f->exact[3];
}

/* The keys under which nf_story_resolve finds an article's possible links: its bands and the
 * first 32 bits of its exact key (the copy keys, first; *n_copy of them), then its posted names. */
static size_t link_keys(const nf_fingerprint_t *f, uint64_t keys[NF_NEAR_BANDS + 1 + NF_SIG_NAMES],
                        size_t *n_copy)
{
    size_t nk = 0;
    for (int b = 0; b < NF_NEAR_BANDS; b++)
        keys[nk++] = (uint64_t)1 << 32 | f->bands[b];
    keys[nk++] = (uint64_t)3 << 32 | exact32(f);
    *n_copy = nk;
    for (int k = 0; k < f->n_names; k++)
        if (f->names[k] & NF_NAME_POSTED)
            keys[nk++] = (uint64_t)2 << 32 | NF_NAME_ID(f->names[k]);
    return nk;
}

/* The first of posts[0..n) with this key, or n. */
static size_t first_post(const post_t *posts, size_t n, uint64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (posts[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

nf_err_t nf_story_relevant(const nf_fingerprint_t *const *cand, size_t n_cand,
                           const nf_fingerprint_t *const *fresh, size_t n_new,
                           const nf_match_params_t *p, unsigned char *relevant)
{
    size_t cap = (n_new ? n_new : 1) * (NF_NEAR_BANDS + 1 + NF_SIG_NAMES);
    post_t *posts = nf_malloc(2 * cap * sizeof(post_t));
    if (!posts)
        return NF_ERR_NOMEM;
    size_t n_posts = 0, n_copy;
    for (size_t i = 0; i < n_new; i++) {
        uint64_t keys[NF_NEAR_BANDS + 1 + NF_SIG_NAMES];
        size_t nk = link_keys(fresh[i], keys, &n_copy);
        for (size_t k = 0; k < nk; k++)
            posts[n_posts++] = (post_t){keys[k], i};
    }
    if (n_posts)
        sort_posts(posts, posts + cap, n_posts);
    for (size_t c = 0; c < n_cand; c++) {
        const nf_fingerprint_t *y = cand[c];
        relevant[c] = 0;
        if (!y)
            continue;
        uint64_t keys[NF_NEAR_BANDS + 1 + NF_SIG_NAMES];
        size_t nk = link_keys(y, keys, &n_copy);
        for (size_t k = 0; k < nk && !relevant[c]; k++) {
            for (size_t q = first_post(posts, n_posts, keys[k]);
                 q < n_posts && posts[q].key == keys[k] && !relevant[c]; q++) {
                const nf_fingerprint_t *x = fresh[posts[q].node];
                double sim;
                relevant[c] =
                    nf_fingerprint_link(x, y, p, &sim) != NF_LINK_NONE || nf_story_match(x, y, p);
            }
        }
    }
    nf_free(posts);
    return NF_OK;
}

nf_err_t nf_story_resolve(nf_story_node_t *nodes, size_t n, const nf_match_params_t *p)
{
    size_t *parent = nf_malloc((n ? n : 1) * sizeof(size_t));
    size_t *first = nf_malloc((n ? n : 1) * sizeof(size_t)); /* per root: node naming it */
    size_t m = n ? n : 1;
    size_t *order = nf_malloc(m * sizeof(size_t)), *rank = nf_malloc(m * sizeof(size_t));
    size_t *stamp = nf_malloc(m * sizeof(size_t)), *near_list = nf_malloc(m * sizeof(size_t));
    size_t *other_list = nf_malloc(m * sizeof(size_t));
    post_t *posts = nf_malloc(2 * m * (NF_NEAR_BANDS + 1 + NF_SIG_NAMES) * sizeof(post_t));
    node_sort_t *sorted = nf_malloc(m * sizeof(node_sort_t));
    char(*sids)[NF_STORY_ID_LEN] = nf_malloc(m * NF_STORY_ID_LEN);
    nf_err_t err = NF_ERR_NOMEM;
    if (!parent || !first || !order || !rank || !stamp || !near_list || !other_list || !posts ||
        !sorted || !sids)
        goto done;
    for (size_t i = 0; i < n; i++) {
        parent[i] = i;
        order[i] = i;
        nf_story_node_t *x = &nodes[i];
        x->dedup_changed = x->story_changed = 0;
        if (!x->stored) {
            x->status = NF_DEDUP_UNIQUE;
            x->dup_of = "";
            x->dup_t = 0;
            x->similarity = 0;
        }
    }
    /* stored articles of one stored story start together */
    for (size_t i = 0; i < n; i++)
        sorted[i] = (node_sort_t){0, nodes[i].story, nodes[i].stored, i};
    qsort(sorted, n, sizeof(node_sort_t), cmp_node_story);
    for (size_t o = 0; o < n; o++)
        order[o] = sorted[o].node;
    for (size_t o = 1; o < n; o++) {
        const nf_story_node_t *a = &nodes[order[o - 1]], *b = &nodes[order[o]];
        if (a->stored && b->stored && strcmp(a->story, b->story) == 0)
            parent[uf_find(parent, order[o])] = uf_find(parent, order[o - 1]);
    }
    /* Each new article meets only the articles sharing one of its keys (bands and exact key:
     * possible copies; posted names: possible story links). Its original is the first copy before
     * it in (published_at, id) order; a story link is checked only against another component;
     * stored articles after it may get it as an earlier original. Same result as every pair. */
    for (size_t i = 0; i < n; i++)
        sorted[i] = (node_sort_t){nodes[i].fp.t, nodes[i].id, 0, i};
    qsort(sorted, n, sizeof(node_sort_t), cmp_node_order);
    for (size_t o = 0; o < n; o++) {
        order[o] = sorted[o].node;
        rank[order[o]] = o;
    }
    size_t n_posts = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t keys[NF_NEAR_BANDS + 1 + NF_SIG_NAMES];
        size_t n_copy, nk = link_keys(&nodes[i].fp, keys, &n_copy);
        for (size_t k = 0; k < nk; k++)
            posts[n_posts++] = (post_t){keys[k], i};
    }
    if (n_posts)
        sort_posts(posts, posts + m * (NF_NEAR_BANDS + 1 + NF_SIG_NAMES), n_posts);
    for (size_t i = 0; i < n; i++)
        stamp[i] = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        nf_story_node_t *x = &nodes[i];
        if (x->stored)
            continue;
        uint64_t keys[NF_NEAR_BANDS + 1 + NF_SIG_NAMES];
        size_t copy_keys, n_copy = 0, n_other = 0;
        size_t nk = link_keys(&x->fp, keys, &copy_keys);
        for (size_t k = 0; k < nk; k++) {
            for (size_t q = first_post(posts, n_posts, keys[k]);
                 q < n_posts && posts[q].key == keys[k]; q++) {
                size_t j = posts[q].node;
                if (j == i || stamp[j] == i)
                    continue;
                stamp[j] = i;
                if (k < copy_keys)
                    near_list[n_copy++] = rank[j]; /* mapped back to nodes once sorted */
                else
                    other_list[n_other++] = j;
            }
        }
        qsort(near_list, n_copy, sizeof(size_t), cmp_size);
        for (size_t c = 0; c < n_copy; c++) {
            size_t j = order[near_list[c]];
            nf_story_node_t *y = &nodes[j];
            int before = rank[j] < rank[i];
            size_t rx = uf_find(parent, i), ry = uf_find(parent, j);
            int want_copy = before ? x->status == NF_DEDUP_UNIQUE : y->stored;
            if (!want_copy && rx == ry)
                continue;
            double sim = 0;
            nf_link_t link;
            if (nf_exact_match(&x->fp, &y->fp)) {
                link = NF_LINK_EXACT;
                sim = 1;
            } else if (nf_near_match(&x->fp, &y->fp, p, &sim)) {
                link = NF_LINK_NEAR;
            } else if (rx != ry) {
                link = nf_fingerprint_link(&x->fp, &y->fp, p, &sim); /* a story link? */
            } else {
                continue;
            }
            if (link == NF_LINK_NONE)
                continue;
            if (rx != ry)
                parent[ry] = rx;
            if (link == NF_LINK_STORY || !want_copy)
                continue;
            nf_story_node_t *late = before ? x : y;
            const nf_story_node_t *early = before ? y : x;
            int better = late->status == NF_DEDUP_UNIQUE ||
                         nf_article_order(early->fp.t, early->id, late->dup_t, late->dup_of) < 0;
            if (better) {
                late->status = link == NF_LINK_EXACT ? NF_DEDUP_EXACT : NF_DEDUP_NEAR;
                late->dup_of = early->id;
                late->dup_t = early->fp.t;
                late->similarity = link == NF_LINK_EXACT ? 1.0 : sim;
                late->dedup_changed = late->stored;
            }
        }
        /* these share a filed name with x and no band or exact key: not copies, so the link
         * (nf_fingerprint_link) is the signature match alone */
        for (size_t c = 0; c < n_other; c++) {
            size_t j = other_list[c];
            size_t rx = uf_find(parent, i), ry = uf_find(parent, j);
            if (rx != ry && nf_story_match(&x->fp, &nodes[j].fp, p))
                parent[ry] = rx;
        }
    }
    /* each component is named after its earliest article (stored stories bring their first) */
    for (size_t i = 0; i < n; i++)
        first[i] = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t r = uf_find(parent, i);
        const nf_story_node_t *x = &nodes[i];
        int64_t t = x->stored ? x->story_first_t : x->fp.t;
        const char *id = x->stored ? x->story_first_id : x->id;
        const nf_story_node_t *cur = first[r] == SIZE_MAX ? NULL : &nodes[first[r]];
        int64_t ct = cur ? (cur->stored ? cur->story_first_t : cur->fp.t) : 0;
        const char *cid = cur ? (cur->stored ? cur->story_first_id : cur->id) : NULL;
        if (!cur || nf_article_order(t, id, ct, cid) < 0)
            first[r] = i;
    }
    /* the story id once per component (a sha256 each): stamp[root] is its slot in sids */
    for (size_t i = 0; i < n; i++)
        stamp[i] = SIZE_MAX;
    size_t n_sids = 0;
    for (size_t i = 0; i < n; i++) {
        nf_story_node_t *x = &nodes[i];
        size_t r = uf_find(parent, i);
        const nf_story_node_t *f = &nodes[first[r]];
        if (stamp[r] == SIZE_MAX) {
            stamp[r] = n_sids++;
            nf_story_id_of(f->stored ? f->story_first_id : f->id, sids[stamp[r]]);
        }
        const char *sid = sids[stamp[r]];
        x->story_first_t = f->stored ? f->story_first_t : f->fp.t;
        x->winner_first_id = f->stored ? f->story_first_id : f->id;
        if (x->stored && strcmp(sid, x->story) != 0)
            x->story_changed = 1;
        x->new_story = !x->stored && f == x;
        memcpy(x->story, sid, NF_STORY_ID_LEN);
    }
    err = NF_OK;
done:
    nf_free(parent);
    nf_free(first);
    nf_free(order);
    nf_free(rank);
    nf_free(stamp);
    nf_free(near_list);
    nf_free(other_list);
    nf_free(posts);
    nf_free(sorted);
    nf_free(sids);
    return err;
}
