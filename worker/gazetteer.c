/* Gazetteers: a word trie over folded words, the tokenizer the tagger shares, the compiled-in
 * data and the reloadable user gazetteer. Why words and not bytes: names only start and end
 * at word boundaries, so matching by word needs no boundary checks, no failure links and
 * touches one hash slot per word of running text (most words leave the root at once). */
#include "newsflow/gazetteer.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include "newsflow/alloc.h"
#include "newsflow/clock.h"

/* ---- folding table ------------------------------------------------------------------- */

enum {
    C_WORD = 1 << 0,  /* part of a word */
    C_SKIP = 1 << 1,  /* in a word, not hashed: combining marks, ZWNJ/ZWJ, tatweel */
    C_UPPER = 1 << 2, /* upper or title case letter */
    C_CASED = 1 << 3, /* letter of a cased script */
    C_DIGIT = 1 << 4,
    C_SOLO = 1 << 5, /* a word by itself (Han, kana, Thai...) */
    C_ARABIC = 1 << 6,
    C_LETTER = 1 << 7,
};

/* BMP: folded code point << 8 | class. Built on first use; a failed build (out of memory) is
 * retried by the next caller, and until then lookups compute the class the slow way. */
static _Atomic(uint32_t *) fold_table;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

static uint32_t classify(UChar32 c)
{
    static const UNormalizer2 *nfd;
    UErrorCode st = U_ZERO_ERROR;
    if (!nfd)
        nfd = unorm2_getNFDInstance(&st);
    uint32_t cls = 0;
    if (c == 0x200C || c == 0x200D || c == 0x0640)
        return (uint32_t)c << 8 | C_WORD | C_SKIP;
    if (U_GET_GC_MASK(c) & U_GC_M_MASK)
        return (uint32_t)c << 8 | C_WORD | C_SKIP;
    if (u_isdigit(c))
        return (uint32_t)c << 8 | C_WORD | C_DIGIT;
    if (!u_isalpha(c))
        return (uint32_t)c << 8;
    cls = C_WORD | C_LETTER;
    if (u_isupper(c) || u_istitle(c))
        cls |= C_UPPER;
    if (u_hasBinaryProperty(c, UCHAR_CASED))
        cls |= C_CASED;
    st = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript(c, &st);
    switch (sc) {
    case USCRIPT_ARABIC:
        cls |= C_ARABIC;
        break;
    case USCRIPT_HAN:
    case USCRIPT_HIRAGANA:
    case USCRIPT_KATAKANA:
    case USCRIPT_THAI:
    case USCRIPT_LAO:
    case USCRIPT_KHMER:
    case USCRIPT_MYANMAR:
    case USCRIPT_TIBETAN:
        cls |= C_SOLO;
        break;
    default:
        break;
    }
    UChar32 f = u_foldCase(c, U_FOLD_CASE_DEFAULT);
    UChar dec[16];
    st = U_ZERO_ERROR;
    int32_t n = nfd ? unorm2_getDecomposition(nfd, f, dec, 16, &st) : 0;
    if (U_SUCCESS(st) && n > 0) {
        UChar32 base;
        U16_GET(dec, 0, 0, n, base);
        f = u_foldCase(base, U_FOLD_CASE_DEFAULT);
    }
    switch (f) { /* Arabic/Persian letter variants that spellings swap */
    case 0x0649:
    case 0x06CC:
        f = 0x064A;
        break;
    case 0x06A9:
        f = 0x0643;
        break;
    case 0x0629:
        f = 0x0647;
        break;
    case 0x0671:
        f = 0x0627;
        break;
    default:
        break;
    }
    return (uint32_t)f << 8 | cls;
}

static const uint32_t *get_fold_table(void)
{
    uint32_t *table = atomic_load_explicit(&fold_table, memory_order_acquire);
    if (table)
        return table;
    pthread_mutex_lock(&init_lock);
    table = atomic_load_explicit(&fold_table, memory_order_acquire);
    if (!table && (table = nf_malloc(65536 * sizeof(uint32_t)))) {
        for (UChar32 c = 0; c < 65536; c++)
            table[c] = (c >= 0xD800 && c <= 0xDFFF) ? 0 : classify(c);
        atomic_store_explicit(&fold_table, table, memory_order_release);
    }
    pthread_mutex_unlock(&init_lock);
    return table;
}

static inline uint32_t lookup(const uint32_t *table, UChar32 c)
{
    if (c < 0)
        return 0;
    if (c < 65536 && table)
        return table[c];
    return classify(c);
}

nf_err_t nf_tokenizer_init(void)
{
    return get_fold_table() ? NF_OK : NF_ERR_NOMEM;
}

uint32_t nf_fold_cp(int32_t c)
{
    return lookup(get_fold_table(), c) >> 8;
}

/* ---- tokenizer ----------------------------------------------------------------------- */

#define FNV_OFFSET 1469598103934665603ull
#define FNV_PRIME 1099511628211ull

static inline uint64_t hash_cp(uint64_t h, uint32_t cp)
{
    h ^= cp;
    return h * FNV_PRIME;
}

size_t nf_tokenize(const char *text, size_t len, nf_token_t *tokens, size_t max)
{
    const uint32_t *table = get_fold_table();
    const uint8_t *s = (const uint8_t *)text;
    int32_t n = len > INT32_MAX ? INT32_MAX : (int32_t)len;
    size_t count = 0;
    uint32_t cp_index = 0;
    uint32_t gap_flags = NF_TOK_SENT_START;
    int32_t i = 0;
    while (i < n) {
        if (s[i] == ' ') { /* the most frequent separator: no flag, one code point */
            i++;
            cp_index++;
            continue;
        }
        int32_t start = i;
        UChar32 c;
        uint32_t v;
        if (s[i] < 0x80) {
            c = s[i++];
            v = table ? table[c] : classify(c);
        } else {
            U8_NEXT(s, i, n, c);
            v = lookup(table, c);
        }
        if (!(v & C_WORD) || (v & C_SKIP)) {
            /* Separator (a mark or joiner outside a word is one too). */
            if (c == '.')
                gap_flags |= NF_TOK_SENT_START | NF_TOK_BREAK | NF_TOK_DOT;
            else if (c == '\n' || c == '!' || c == '?' || c == 0x2026 || c == 0x061F ||
                     c == 0x3002 || c == 0x0964)
                gap_flags |= NF_TOK_SENT_START | NF_TOK_BREAK | NF_TOK_PUNCT;
            else if (!(c == ' ' || c == '\t' || c == '\r' || c == 0xA0 || c == '-' || c == '\'' ||
                       c == 0x2019 || c == 0x2010 || c == 0x2011 || (v & C_SKIP)))
                gap_flags |= NF_TOK_BREAK | NF_TOK_PUNCT;
            if (c >= 0) {
                cp_index++;
            } else {
                /* Invalid bytes (the chain never passes any): one per lead byte. */
                for (int32_t b = start; b < i; b++)
                    cp_index += (s[b] & 0xC0) != 0x80;
            }
            continue;
        }
        /* A word: letters, digits and marks; a solo letter is a word by itself. */
        nf_token_t tok;
        tok.byte_start = (uint32_t)start;
        tok.cp_start = cp_index;
        tok.flags = gap_flags;
        gap_flags = 0;
        uint64_t h = FNV_OFFSET;
        unsigned letters = 0, uppers = 0;
        if (v & C_UPPER)
            tok.flags |= NF_TOK_UPPER;
        if (v & C_CASED)
            tok.flags |= NF_TOK_CASED;
        if (v & C_DIGIT)
            tok.flags |= NF_TOK_DIGIT;
        if (v & C_ARABIC)
            tok.flags |= NF_TOK_ARABIC;
        int solo = (v & C_SOLO) != 0;
        if (solo)
            tok.flags |= NF_TOK_SOLO;
        /* The word goes on while the next code point is a word one and, after a solo letter, a
         * mark (a solo letter takes its marks along but no other letter), else not a solo
         * letter (no letter joins one): one masked compare. */
        uint32_t go_mask = solo ? C_WORD | C_SKIP : C_WORD | C_SOLO;
        uint32_t go_value = solo ? C_WORD | C_SKIP : C_WORD;
        for (;;) {
            if (!(v & C_SKIP))
                h = hash_cp(h, v >> 8);
            letters += (v & C_LETTER) != 0;
            uppers += (v & (C_LETTER | C_UPPER)) == (C_LETTER | C_UPPER);
            cp_index++;
            if (i >= n)
                break;
            int32_t j = i;
            UChar32 d;
            uint32_t w;
            if (s[j] < 0x80) {
                d = s[j++];
                w = table ? table[d] : classify(d);
            } else {
                U8_NEXT(s, j, n, d);
                w = lookup(table, d);
            }
            if ((w & go_mask) != go_value)
                break;
            v = w;
            i = j;
        }
        if (letters >= 2 && uppers == letters)
            tok.flags |= NF_TOK_ALL_UPPER;
        tok.byte_end = (uint32_t)i;
        tok.cp_end = cp_index;
        tok.hash = h;
        if (count < max)
            tokens[count] = tok;
        count++;
    }
    return count;
}

uint64_t nf_token_hash(const char *word, size_t len)
{
    /* The first word's hash, as nf_tokenize computes it, without scanning the rest. */
    const uint32_t *table = get_fold_table();
    const uint8_t *s = (const uint8_t *)word;
    int32_t n = len > INT32_MAX ? INT32_MAX : (int32_t)len, i = 0;
    uint64_t h = FNV_OFFSET;
    int in_word = 0, solo = 0;
    while (i < n) {
        UChar32 c;
        U8_NEXT(s, i, n, c);
        uint32_t v = lookup(table, c);
        if (!in_word) {
            if (!(v & C_WORD) || (v & C_SKIP))
                continue;
            in_word = 1;
            solo = (v & C_SOLO) != 0;
        } else if (!(v & C_WORD) || (solo && !(v & C_SKIP)) || (!solo && (v & C_SOLO))) {
            break;
        }
        if (!(v & C_SKIP))
            h = hash_cp(h, v >> 8);
    }
    return in_word ? h : 0;
}

/* ---- the trie ------------------------------------------------------------------------ */

#define MAX_NAME_TOKENS NF_GAZ_MAX_WORDS

typedef struct edge {
    uint64_t token;
    uint32_t parent;
    uint32_t child; /* 0: empty slot (the root is never a child) */
} edge_t;

struct nf_gazetteer {
    nf_gaz_entry_t *entries;
    size_t n_entries, cap_entries;
    int32_t *node_entry; /* per node: entry index or -1 */
    uint8_t *node_flags; /* per node: NF_GAZ_* flags of the name ending there */
    size_t n_nodes, cap_nodes;
    edge_t *edges;
    size_t n_edges, edge_mask;
    uint64_t *first_words; /* bit filter of the hashes of names' first words (ROOT_FILTER_BITS) */
    uint32_t *id_slots;    /* id hash table: entry index + 1, 0 empty */
    size_t id_mask;
    size_t n_names;
    int refs; /* user gazetteer references (guarded by user_lock) */
    uint64_t generation;
    char *arena; /* ids and display names, one block (few allocations to fail) */
    size_t arena_used, arena_size;
};

static uint64_t generations; /* guarded by gen_lock */
static pthread_mutex_t gen_lock = PTHREAD_MUTEX_INITIALIZER;

static inline uint64_t mix(uint64_t token, uint32_t parent)
{
    uint64_t h = token ^ ((uint64_t)parent * 0x9E3779B97F4A7C15ull);
    h ^= h >> 29;
    return h;
}

/* Most words of a text start no name. The edge table is megabytes (a cache miss per probe);
 * this filter of 64 KiB answers "no" for ~97% of those words with one cache line: a blocked
 * Bloom filter, 2 bits per first word inside one 64-bit word. */
#define ROOT_FILTER_BITS (1u << 19)

static inline void root_filter_bits(uint64_t token, uint32_t *word, uint64_t *mask)
{
    uint64_t h = token * 0x9E3779B97F4A7C15ull;
    *word = (uint32_t)(h >> 51) & (ROOT_FILTER_BITS / 64 - 1);
    *mask = (1ull << ((h >> 20) & 63)) | (1ull << ((h >> 26) & 63));
}

static inline int maybe_first_word(const nf_gazetteer_t *g, uint64_t token)
{
    uint32_t word;
    uint64_t mask;
    root_filter_bits(token, &word, &mask);
    return (g->first_words[word] & mask) == mask;
}

static uint32_t child_of(const nf_gazetteer_t *g, uint32_t parent, uint64_t token)
{
    size_t idx = mix(token, parent) & g->edge_mask;
    for (;;) {
        const edge_t *e = &g->edges[idx];
        if (!e->child)
            return 0;
        if (e->token == token && e->parent == parent)
            return e->child;
        idx = (idx + 1) & g->edge_mask;
    }
}

static nf_err_t grow_edges(nf_gazetteer_t *g)
{
    size_t cap = g->edge_mask ? (g->edge_mask + 1) * 2 : 1024;
    edge_t *edges = nf_calloc(cap, sizeof(*edges));
    if (!edges)
        return NF_ERR_NOMEM;
    for (size_t i = 0; g->edge_mask && i <= g->edge_mask; i++) {
        const edge_t *e = &g->edges[i];
        if (!e->child)
            continue;
        size_t idx = mix(e->token, e->parent) & (cap - 1);
        while (edges[idx].child)
            idx = (idx + 1) & (cap - 1);
        edges[idx] = *e;
    }
    nf_free(g->edges);
    g->edges = edges;
    g->edge_mask = cap - 1;
    return NF_OK;
}

static nf_err_t add_node(nf_gazetteer_t *g, uint32_t *out)
{
    if (g->n_nodes == g->cap_nodes) {
        size_t cap = g->cap_nodes ? g->cap_nodes * 2 : 1024;
        int32_t *nodes = nf_realloc(g->node_entry, cap * sizeof(*nodes));
        if (!nodes)
            return NF_ERR_NOMEM;
        g->node_entry = nodes;
        uint8_t *flags = nf_realloc(g->node_flags, cap);
        if (!flags)
            return NF_ERR_NOMEM;
        g->node_flags = flags;
        g->cap_nodes = cap;
    }
    g->node_entry[g->n_nodes] = -1;
    g->node_flags[g->n_nodes] = 0;
    *out = (uint32_t)g->n_nodes++;
    return NF_OK;
}

static nf_err_t insert_name(nf_gazetteer_t *g, const nf_token_t *toks, size_t n, int32_t entry,
                            unsigned flags)
{
    uint32_t node = 0;
    if (n > 0) {
        uint32_t word;
        uint64_t mask;
        root_filter_bits(toks[0].hash, &word, &mask);
        g->first_words[word] |= mask;
    }
    for (size_t t = 0; t < n; t++) {
        uint32_t child = child_of(g, node, toks[t].hash);
        if (!child) {
            if ((g->n_edges + 1) * 4 > (g->edge_mask + 1) * 3 && grow_edges(g) != NF_OK)
                return NF_ERR_NOMEM;
            if (add_node(g, &child) != NF_OK)
                return NF_ERR_NOMEM;
            size_t idx = mix(toks[t].hash, node) & g->edge_mask;
            while (g->edges[idx].child)
                idx = (idx + 1) & g->edge_mask;
            g->edges[idx] = (edge_t){toks[t].hash, node, child};
            g->n_edges++;
        }
        node = child;
    }
    if (g->node_entry[node] < 0) /* the first entry to claim a name keeps it */
        g->node_entry[node] = entry;
    if (n == 1 && (toks[0].flags & NF_TOK_ALL_UPPER))
        flags |= NF_GAZ_ACRONYM;
    if (g->node_entry[node] == entry)
        g->node_flags[node] |= (uint8_t)flags;
    g->n_names++;
    return NF_OK;
}

static uint64_t str_hash(const char *s, size_t len)
{
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < len; i++)
        h = hash_cp(h, (uint8_t)s[i]);
    return h;
}

static nf_err_t grow_ids(nf_gazetteer_t *g)
{
    size_t cap = g->id_mask ? (g->id_mask + 1) * 2 : 256;
    uint32_t *slots = nf_calloc(cap, sizeof(*slots));
    if (!slots)
        return NF_ERR_NOMEM;
    for (size_t e = 0; e < g->n_entries; e++) {
        size_t idx = str_hash(g->entries[e].id, strlen(g->entries[e].id)) & (cap - 1);
        while (slots[idx])
            idx = (idx + 1) & (cap - 1);
        slots[idx] = (uint32_t)e + 1;
    }
    nf_free(g->id_slots);
    g->id_slots = slots;
    g->id_mask = cap - 1;
    return NF_OK;
}

static int32_t find_id(const nf_gazetteer_t *g, const char *id, size_t len)
{
    if (!g->id_slots)
        return -1;
    size_t idx = str_hash(id, len) & g->id_mask;
    while (g->id_slots[idx]) {
        const char *cand = g->entries[g->id_slots[idx] - 1].id;
        if (strncmp(cand, id, len) == 0 && cand[len] == '\0')
            return (int32_t)g->id_slots[idx] - 1;
        idx = (idx + 1) & g->id_mask;
    }
    return -1;
}

const nf_gaz_entry_t *nf_gazetteer_find_id(const nf_gazetteer_t *g, const char *id)
{
    int32_t e = find_id(g, id, strlen(id));
    return e < 0 ? NULL : &g->entries[e];
}

size_t nf_gazetteer_match(const nf_gazetteer_t *g, const nf_token_t *tokens, size_t n,
                          const nf_gaz_entry_t **entry, unsigned *name_flags)
{
    return n ? nf_gazetteer_match_as(g, tokens[0].hash, tokens, n, entry, name_flags) : 0;
}

size_t nf_gazetteer_match_as(const nf_gazetteer_t *g, uint64_t first_hash, const nf_token_t *tokens,
                             size_t n, const nf_gaz_entry_t **entry, unsigned *name_flags)
{
    uint32_t node = 0;
    size_t best = 0;
    if (n == 0 || !maybe_first_word(g, first_hash))
        return 0;
    for (size_t t = 0; t < n && t < MAX_NAME_TOKENS; t++) {
        if (t > 0 && (tokens[t].flags & NF_TOK_BREAK))
            break;
        node = child_of(g, node, t ? tokens[t].hash : first_hash);
        if (!node)
            break;
        if (g->node_entry[node] >= 0) {
            best = t + 1;
            *entry = &g->entries[g->node_entry[node]];
            if (name_flags)
                *name_flags = g->node_flags[node];
        }
    }
    return best;
}

const nf_gaz_entry_t *nf_gazetteer_entry_at(const nf_gazetteer_t *g, size_t index)
{
    return index < g->n_entries ? &g->entries[index] : NULL;
}

uint64_t nf_gazetteer_generation(const nf_gazetteer_t *g)
{
    return g->generation;
}

size_t nf_gazetteer_entries(const nf_gazetteer_t *g)
{
    return g->n_entries;
}

size_t nf_gazetteer_names(const nf_gazetteer_t *g)
{
    return g->n_names;
}

void nf_gazetteer_destroy(nf_gazetteer_t *g)
{
    if (!g)
        return;
    nf_free(g->arena);
    nf_free(g->entries);
    nf_free(g->node_entry);
    nf_free(g->node_flags);
    nf_free(g->edges);
    nf_free(g->first_words);
    nf_free(g->id_slots);
    nf_free(g);
}

/* ---- parsing ------------------------------------------------------------------------- */

static int valid_utf8(const char *s, size_t len)
{
    int32_t n = (int32_t)len;
    for (int32_t i = 0; i < n;) {
        UChar32 c;
        U8_NEXT((const uint8_t *)s, i, n, c);
        if (c < 0 || c == 0)
            return 0;
    }
    return 1;
}

static int is_lang_tag(const char *s, size_t len)
{
    /* xx, xxx, or either with _Scrp (az_Cyrl) */
    size_t i = 0;
    while (i < len && s[i] >= 'a' && s[i] <= 'z')
        i++;
    if (i < 2 || i > 3)
        return 0;
    if (i == len)
        return 1;
    return len == i + 5 && s[i] == '_';
}

static nf_err_t parse_into(nf_gazetteer_t *g, const char *text, size_t len, const char *source,
                           char *errstr, size_t errstr_size)
{
    size_t line_no = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        line_no++;
        const char *line = p;
        size_t line_len = (size_t)(eol - p);
        p = eol + 1;
        if (line_len && line[line_len - 1] == '\r')
            line_len--;
        if (line_len == 0 || line[0] == '#')
            continue;
#define BAD(...)                                                                                   \
    do {                                                                                           \
        int o_ = snprintf(errstr, errstr_size, "%s:%zu: ", source, line_no);                       \
        if (o_ > 0 && (size_t)o_ < errstr_size)                                                    \
            snprintf(errstr + o_, errstr_size - (size_t)o_, __VA_ARGS__);                          \
        return NF_ERR_CONFIG;                                                                      \
    } while (0)
        if (!valid_utf8(line, line_len))
            BAD("not valid UTF-8");
        const char *fields[4];
        size_t flen[4];
        const char *f = line, *lend = line + line_len;
        for (int k = 0; k < 3; k++) {
            const char *tab = memchr(f, '\t', (size_t)(lend - f));
            if (!tab)
                BAD("expected id<TAB>type<TAB>flags<TAB>name..., found %d field(s)", k + 1);
            fields[k] = f;
            flen[k] = (size_t)(tab - f);
            f = tab + 1;
        }
        fields[3] = f;
        flen[3] = (size_t)(lend - f);
        if (flen[0] == 0 || flen[0] > 200 || memchr(fields[0], ' ', flen[0]))
            BAD("the id must be 1-200 bytes without spaces");
        nf_entity_type_t type;
        if (flen[1] == 6 && memcmp(fields[1], "PERSON", 6) == 0)
            type = NF_ENTITY_PERSON;
        else if (flen[1] == 3 && memcmp(fields[1], "ORG", 3) == 0)
            type = NF_ENTITY_ORG;
        else if (flen[1] == 3 && memcmp(fields[1], "LOC", 3) == 0)
            type = NF_ENTITY_LOC;
        else
            BAD("type '%.*s' is not PERSON, ORG or LOC", (int)(flen[1] > 20 ? 20 : flen[1]),
                fields[1]);
        unsigned flags = 0;
        if (!(flen[2] == 1 && fields[2][0] == '-')) {
            const char *fl = fields[2], *fend = fields[2] + flen[2];
            while (fl < fend) {
                const char *comma = memchr(fl, ',', (size_t)(fend - fl));
                size_t wl = (size_t)((comma ? comma : fend) - fl);
                if (wl == 3 && memcmp(fl, "amb", 3) == 0)
                    flags |= NF_GAZ_AMBIGUOUS;
                else
                    BAD("unknown flag '%.*s' (known: amb; none: -)", (int)(wl > 20 ? 20 : wl), fl);
                fl += wl + (comma ? 1 : 0);
            }
        }
        int32_t entry = find_id(g, fields[0], flen[0]);
        int new_entry = entry < 0;
        if (!new_entry && g->entries[entry].type != type)
            BAD("id '%.*s' already has another type", (int)flen[0], fields[0]);
        size_t names_here = 0;
        const char *nm = fields[3], *nend = lend;
        while (nm <= nend) {
            const char *tab = memchr(nm, '\t', (size_t)(nend - nm));
            const char *stop = tab ? tab : nend;
            const char *name = nm;
            size_t nlen = (size_t)(stop - nm);
            const char *eq = memchr(name, '=', nlen);
            if (eq && is_lang_tag(name, (size_t)(eq - name))) {
                nlen -= (size_t)(eq + 1 - name);
                name = eq + 1;
            }
            nm = stop + 1;
            if (nlen == 0)
                BAD("empty name");
            nf_token_t toks[MAX_NAME_TOKENS + 1];
            size_t nt = nf_tokenize(name, nlen, toks, MAX_NAME_TOKENS + 1);
            if (nt == 0)
                BAD("name '%.*s' has no letters or digits", (int)(nlen > 40 ? 40 : nlen), name);
            if (nt > MAX_NAME_TOKENS)
                BAD("name has more than %d words", MAX_NAME_TOKENS);
            if (new_entry) {
                if (g->n_entries == g->cap_entries) {
                    size_t cap = g->cap_entries ? g->cap_entries * 2 : 256;
                    nf_gaz_entry_t *es = nf_realloc(g->entries, cap * sizeof(*es));
                    if (!es)
                        return NF_ERR_NOMEM;
                    g->entries = es;
                    g->cap_entries = cap;
                }
                nf_gaz_entry_t *e = &g->entries[g->n_entries];
                if (g->arena_used + flen[0] + nlen + 2 > g->arena_size)
                    return NF_ERR_NOMEM; /* cannot happen: the arena is as large as the text */
                char *id = g->arena + g->arena_used;
                memcpy(id, fields[0], flen[0]);
                id[flen[0]] = '\0';
                char *display = id + flen[0] + 1;
                memcpy(display, name, nlen);
                display[nlen] = '\0';
                g->arena_used += flen[0] + nlen + 2;
                e->id = id;
                e->name = display;
                e->type = type;
                e->flags = flags;
                entry = (int32_t)g->n_entries++;
                if ((g->n_entries * 2 > g->id_mask + 1 || !g->id_slots) && grow_ids(g) != NF_OK)
                    return NF_ERR_NOMEM;
                else if (g->id_slots) {
                    size_t idx = str_hash(e->id, flen[0]) & g->id_mask;
                    while (g->id_slots[idx] && g->id_slots[idx] != (uint32_t)entry + 1)
                        idx = (idx + 1) & g->id_mask;
                    g->id_slots[idx] = (uint32_t)entry + 1;
                }
                new_entry = 0;
            }
            if (insert_name(g, toks, nt, entry, flags) != NF_OK)
                return NF_ERR_NOMEM;
            names_here++;
            if (!tab)
                break;
        }
        if (!names_here)
            BAD("no name");
#undef BAD
    }
    return NF_OK;
}

static nf_gazetteer_t *gazetteer_alloc(void)
{
    nf_gazetteer_t *g = nf_calloc(1, sizeof(*g));
    uint32_t root;
    if (!g || !(g->first_words = nf_calloc(ROOT_FILTER_BITS / 64, sizeof(uint64_t))) ||
        grow_edges(g) != NF_OK || add_node(g, &root) != NF_OK) {
        nf_gazetteer_destroy(g);
        return NULL;
    }
    pthread_mutex_lock(&gen_lock);
    g->generation = ++generations;
    pthread_mutex_unlock(&gen_lock);
    return g;
}

nf_gazetteer_t *nf_gazetteer_parse(const char *text, size_t len, const char *source_name,
                                   char *errstr, size_t errstr_size)
{
    nf_gazetteer_t *g = get_fold_table() ? gazetteer_alloc() : NULL;
    if (g) {
        /* Each line holds its id and first name once, with a tab or newline after each. */
        g->arena_size = len + 2;
        if (!(g->arena = nf_malloc(g->arena_size))) {
            nf_gazetteer_destroy(g);
            g = NULL;
        }
    }
    if (!g) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    nf_err_t err = parse_into(g, text, len, source_name, errstr, errstr_size);
    if (err != NF_OK) {
        if (err == NF_ERR_NOMEM)
            snprintf(errstr, errstr_size, "out of memory");
        nf_gazetteer_destroy(g);
        return NULL;
    }
    return g;
}

#define MAX_USER_FILE (256u << 20)

nf_gazetteer_t *nf_gazetteer_load_file(const char *path, char *errstr, size_t errstr_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_USER_FILE) {
        snprintf(errstr, errstr_size, "%s: not a regular file of at most %u MiB", path,
                 MAX_USER_FILE >> 20);
        fclose(f);
        return NULL;
    }
    size_t size = (size_t)st.st_size;
    char *text = nf_malloc(size + 1);
    if (!text) {
        fclose(f);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    size_t got = fread(text, 1, size, f);
    fclose(f);
    if (got != size) {
        nf_free(text);
        snprintf(errstr, errstr_size, "%s: short read", path);
        return NULL;
    }
    nf_gazetteer_t *g = nf_gazetteer_parse(text, size, path, errstr, errstr_size);
    nf_free(text);
    return g;
}

/* ---- built-in data ------------------------------------------------------------------- */

extern const char nf_gazetteer_data[];
extern const char nf_gazetteer_data_end[];

static nf_gazetteer_t *builtin; /* guarded by init_lock until set, then immutable */
static uint64_t builtin_ns;

const nf_gazetteer_t *nf_gazetteer_builtin(uint64_t *load_ns, char *errstr, size_t errstr_size)
{
    get_fold_table();
    pthread_mutex_lock(&init_lock);
    if (!builtin) {
        /* Built once; a failure (out of memory) is retried by the next caller. */
        uint64_t t0 = nf_monotonic_ns();
        builtin = nf_gazetteer_parse(nf_gazetteer_data,
                                     (size_t)(nf_gazetteer_data_end - nf_gazetteer_data),
                                     "built-in gazetteer", errstr, errstr_size);
        builtin_ns = nf_monotonic_ns() - t0;
    }
    const nf_gazetteer_t *g = builtin;
    if (load_ns)
        *load_ns = builtin_ns;
    pthread_mutex_unlock(&init_lock);
    return g;
}

/* ---- the user gazetteer -------------------------------------------------------------- */

static pthread_mutex_t user_lock = PTHREAD_MUTEX_INITIALIZER;
static nf_gazetteer_t *user_current;
static char user_path[4096];
static volatile sig_atomic_t user_reload_flag;

static void user_unref_locked(nf_gazetteer_t *g)
{
    if (g && --g->refs == 0)
        nf_gazetteer_destroy(g);
}

nf_err_t nf_gazetteer_user_load(const char *path, char *errstr, size_t errstr_size)
{
    nf_gazetteer_t *g = NULL;
    if (path && *path) {
        if (strlen(path) >= sizeof(user_path)) {
            snprintf(errstr, errstr_size, "gazetteer path too long");
            return NF_ERR_CONFIG;
        }
        g = nf_gazetteer_load_file(path, errstr, errstr_size);
        if (!g)
            return NF_ERR_CONFIG;
        g->refs = 1;
    }
    pthread_mutex_lock(&user_lock);
    user_unref_locked(user_current);
    user_current = g;
    snprintf(user_path, sizeof(user_path), "%s", path ? path : "");
    pthread_mutex_unlock(&user_lock);
    return NF_OK;
}

nf_err_t nf_gazetteer_user_reload(char *errstr, size_t errstr_size)
{
    char path[sizeof(user_path)];
    pthread_mutex_lock(&user_lock);
    snprintf(path, sizeof(path), "%s", user_path);
    pthread_mutex_unlock(&user_lock);
    if (!path[0])
        return NF_OK;
    return nf_gazetteer_user_load(path, errstr, errstr_size);
}

nf_gazetteer_t *nf_gazetteer_user_acquire(void)
{
    pthread_mutex_lock(&user_lock);
    nf_gazetteer_t *g = user_current;
    if (g)
        g->refs++;
    pthread_mutex_unlock(&user_lock);
    return g;
}

void nf_gazetteer_user_release(nf_gazetteer_t *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&user_lock);
    user_unref_locked(g);
    pthread_mutex_unlock(&user_lock);
}

void nf_gazetteer_user_request_reload(void)
{
    user_reload_flag = 1;
}

int nf_gazetteer_user_reload_requested(void)
{
    if (!user_reload_flag)
        return 0;
    user_reload_flag = 0;
    return 1;
}

const char *nf_gazetteer_user_path(void)
{
    return user_path;
}
