/* The in-memory near-duplicate and story index: a ring of articles (oldest evicted first), an
 * open-addressing multimap from index keys (LSH bands, name keys) to ring slots (linear probing,
 * backward-shift deletion), and a union-find forest of stories with reference counts (a story
 * lives while an article or a merged child story points at it). */
#include "newsflow/story.h"

#include <stdio.h>
#include <string.h>

#include "newsflow/alloc.h"
#include "newsflow/buf.h"

#define NONE UINT32_MAX
#define KEYS_PER_ENTRY (NF_NEAR_BANDS + NF_POSTED_NAMES)
/* A key shared by very many articles (a name in every story of the day) would make a lookup's
 * cost grow with the window: at most this many articles are taken per key, so the cost per
 * article is bounded whatever the window holds. */
#define MAX_PER_KEY 64

typedef struct entry {
    nf_fingerprint_t fp;
    char *id; /* owned; NULL = free slot */
    uint32_t story;
    uint32_t gen;
    uint32_t mark;
} entry_t;

typedef struct story {
    uint32_t parent; /* itself for a root, NONE for a free story */
    uint32_t refs;
    int64_t first_t;
    char *first_id; /* owned */
    char sid[NF_STORY_ID_LEN];
} story_t;

typedef struct posting {
    uint32_t key;
    uint32_t idx; /* NONE = empty */
} posting_t;

struct nf_story_index {
    nf_match_params_t p;
    size_t capacity, count, next;
    entry_t *ring;
    posting_t *table;
    size_t mask, n_postings, max_postings;
    story_t *stories;
    uint32_t n_stories, cap_stories, free_story;
    uint32_t mark;
    uint64_t evictions, lookups;
    uint32_t *cand;
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
    size_t slots = 16;
    while (slots < capacity * KEYS_PER_ENTRY)
        slots *= 2;
    x->mask = slots - 1;
    x->max_postings = slots / 10 * 9;
    x->ring = nf_calloc(capacity, sizeof(entry_t));
    x->table = nf_malloc(slots * sizeof(posting_t));
    x->cand = nf_malloc(capacity * sizeof(uint32_t) < 4096 * sizeof(uint32_t)
                            ? capacity * sizeof(uint32_t)
                            : 4096 * sizeof(uint32_t));
    if (!x->ring || !x->table || !x->cand)
        goto fail;
    for (size_t i = 0; i < slots; i++)
        x->table[i].idx = NONE;
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
            nf_free(x->ring[i].id);
    for (uint32_t i = 0; i < x->n_stories; i++)
        if (x->stories[i].parent != NONE)
            nf_free(x->stories[i].first_id);
    nf_free(x->stories);
    nf_free(x->ring);
    nf_free(x->table);
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

/* ---- the key multimap ---- */

static size_t home(const nf_story_index_t *x, uint32_t key)
{
    return (size_t)((key * 0x9E3779B1u) ^ (key >> 16)) & x->mask;
}

/* Files idx under key, unless MAX_PER_KEY articles already are (a key in every story of the
 * day tells nothing and would make every probe through its run long) or the table is full. */
static void post(nf_story_index_t *x, uint32_t key, uint32_t idx)
{
    if (x->n_postings >= x->max_postings)
        return;
    size_t i = home(x, key), same = 0;
    while (x->table[i].idx != NONE) {
        if (x->table[i].key == key && ++same >= MAX_PER_KEY)
            return;
        i = (i + 1) & x->mask;
    }
    x->table[i] = (posting_t){key, idx};
    x->n_postings++;
}

static void unpost(nf_story_index_t *x, uint32_t key, uint32_t idx)
{
    size_t i = home(x, key);
    while (x->table[i].idx != NONE && !(x->table[i].key == key && x->table[i].idx == idx))
        i = (i + 1) & x->mask;
    if (x->table[i].idx == NONE)
        return;
    size_t hole = i;
    for (;;) {
        i = (i + 1) & x->mask;
        if (x->table[i].idx == NONE)
            break;
        size_t h = home(x, x->table[i].key);
        int in_range = hole <= i ? (h > hole && h <= i) : (h > hole || h <= i);
        if (!in_range) {
            x->table[hole] = x->table[i];
            hole = i;
        }
    }
    x->table[hole].idx = NONE;
    x->n_postings--;
}

/* Keys of an article: its bands and its names, each once. */
static size_t keys_of(const nf_fingerprint_t *fp, uint32_t *keys)
{
    size_t n = 0;
    for (int b = 0; b < NF_NEAR_BANDS; b++)
        keys[n++] = fp->bands[b];
    for (int i = 0; i < fp->n_names; i++)
        if (fp->names[i] & NF_NAME_POSTED)
            keys[n++] = NF_NAME_ID(fp->names[i]) ^ 0x5bd1e995u;
    return n;
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
    size_t n = keys_of(&e->fp, keys);
    for (size_t k = 0; k < n; k++)
        unpost(x, keys[k], (uint32_t)i);
    nf_free(e->id);
    e->id = NULL;
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
    size_t nk = keys_of(fp, keys);
    size_t n_cand = 0, cand_cap = x->capacity < 4096 ? x->capacity : 4096;
    x->mark++;
    for (size_t k = 0; k < nk; k++) {
        x->lookups++;
        for (size_t i = home(x, keys[k]); x->table[i].idx != NONE; i = (i + 1) & x->mask) {
            if (x->table[i].key != keys[k])
                continue;
            entry_t *e = &x->ring[x->table[i].idx];
            if (e->mark == x->mark || n_cand == cand_cap)
                continue;
            e->mark = x->mark;
            x->cand[n_cand++] = x->table[i].idx;
        }
    }

    const entry_t *orig = NULL, *same = NULL;
    double orig_sim = 0;
    int orig_exact = 0;
    uint32_t matched[64];
    size_t n_matched = 0;
    for (size_t c = 0; c < n_cand; c++) {
        const entry_t *e = &x->ring[x->cand[c]];
        if (strcmp(e->id, id) == 0) {
            same = e;
            continue;
        }
        double sim = 0;
        int exact = nf_exact_match(fp, &e->fp);
        int near = !exact && nf_near_match(fp, &e->fp, &x->p, &sim);
        int linked = exact || near || nf_story_match(fp, &e->fp, &x->p);
        if ((exact || near) && nf_article_order(e->fp.t, e->id, fp->t, id) < 0 &&
            (!orig || nf_article_order(e->fp.t, e->id, orig->fp.t, orig->id) < 0)) {
            orig = e;
            orig_sim = exact ? 1.0 : sim;
            orig_exact = exact;
        }
        if (linked && n_matched < sizeof(matched) / sizeof(matched[0]))
            matched[n_matched++] = e->story;
    }
    if (orig) {
        out->dedup.status = orig_exact ? NF_DEDUP_EXACT : NF_DEDUP_NEAR;
        snprintf(out->dedup.duplicate_of, sizeof(out->dedup.duplicate_of), "%s", orig->id);
        out->dedup.similarity = orig_sim;
    }
    out->new_story = n_matched == 0 && !same;

    uint32_t s;
    if (same) {
        s = same->story;
        out->handle = (uint64_t)(same - x->ring) | ((uint64_t)same->gen << 32);
    } else {
        s = story_new(x, fp->t, id);
        if (s == NONE)
            return NF_ERR_NOMEM;
        char *copy = nf_strdup(id);
        if (!copy) {
            x->stories[s].refs = 1;
            story_decref(x, s);
            return NF_ERR_NOMEM;
        }
        entry_t *e = &x->ring[x->next];
        e->fp = *fp;
        e->id = copy;
        e->story = s;
        e->gen++;
        x->stories[s].refs++;
        for (size_t k = 0; k < nk; k++)
            post(x, keys[k], (uint32_t)x->next);
        out->handle = (uint64_t)x->next | ((uint64_t)e->gen << 32);
        x->next = (x->next + 1) % x->capacity;
        x->count++;
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
    if (!e->id || e->gen != (uint32_t)(handle >> 32))
        return 0;
    memcpy(out, x->stories[story_find(x, e->story)].sid, NF_STORY_ID_LEN);
    return 1;
}
