/* The entity stage: gazetteer matches (user gazetteer, then the built-in one), then discovery
 * of names in no gazetteer (cue words, capitalised spans, organisation patterns), then ids
 * from the cross-script key (entkey.c) and mentions grouped by id. README.md ("Entities"). */
#include "newsflow/entities.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "newsflow/alloc.h"
#include "newsflow/entkey.h"
#include "newsflow/gazetteer.h"

/* ---- lexicon ------------------------------------------------------------------------- */

#include "lexicon.inc"

enum {
    K_TITLE,
    K_ABBREV,
    K_ORG_HEAD,
    K_ORG_WORD,
    K_PREP,
    K_STOP,
    K_PARTICLE,
    K_PLACE,
    K_ADJ,
    K_COMPANY,
    K_GIVEN,
    K_VERB,
    K_COUNT
};

/* Bit i of a language mask is lex_langs[i]. */
static const char *const lex_langs[] = {"en", "fr", "de", "es", "it", "pt", "nl", "pl", "tr",
                                        "ru", "uk", "ar", "fa", "sv", "da", "nb", "fi", "cs",
                                        "sk", "ro", "hu", "hr", "id", "bg", "sr", "el", "he"};
#define N_LEX_LANGS (sizeof(lex_langs) / sizeof(lex_langs[0]))
#define LATN_LANGS 0x7FE01FFu /* en..tr, sv..id */
#define CYRL_LANGS 0x1800600u /* ru uk bg sr */
#define ARAB_LANGS 0x1800u    /* ar fa */
#define GREK_LANGS 0x2000000u /* el */
#define HEBR_LANGS 0x4000000u /* he */
#define ALL_LANGS 0x7FFFFFFu

typedef struct lex_slot {
    uint64_t hash;
    uint32_t masks[K_COUNT]; /* per kind: the languages that have the word */
} lex_slot_t;

static lex_slot_t *lex_table; /* built once under lex_lock (retried after a failure) */
static size_t lex_mask, lex_used;
/* 2 bits per lexicon word in 8 KiB: most words of a text are in no list, and this answers so
 * without touching the 900 KiB table. */
#define LEX_FILTER_BITS (1u << 16)
static uint64_t lex_filter[LEX_FILTER_BITS / 64];

static inline void lex_filter_bits(uint64_t hash, uint32_t *b1, uint32_t *b2)
{
    uint64_t h = hash * 0xC2B2AE3D27D4EB4Full;
    *b1 = (uint32_t)(h >> 48) & (LEX_FILTER_BITS - 1);
    *b2 = (uint32_t)(h >> 30) & (LEX_FILTER_BITS - 1);
}
static pthread_mutex_t lex_lock = PTHREAD_MUTEX_INITIALIZER;

static lex_slot_t *lex_slot(uint64_t hash, int create)
{
    uint32_t b1, b2;
    lex_filter_bits(hash, &b1, &b2);
    if (create) {
        lex_filter[b1 >> 6] |= 1ull << (b1 & 63);
        lex_filter[b2 >> 6] |= 1ull << (b2 & 63);
    } else if (!(lex_filter[b1 >> 6] >> (b1 & 63) & 1) || !(lex_filter[b2 >> 6] >> (b2 & 63) & 1)) {
        return NULL;
    }
    size_t idx = (size_t)(hash ^ (hash >> 31)) & lex_mask;
    while (lex_table[idx].hash) {
        if (lex_table[idx].hash == hash)
            return &lex_table[idx];
        idx = (idx + 1) & lex_mask;
    }
    if (!create)
        return NULL;
    if (++lex_used * 4 > (lex_mask + 1) * 3)
        abort(); /* the table is sized for the compiled-in lists: a build-time mistake */
    lex_table[idx].hash = hash;
    return &lex_table[idx];
}

static int kind_index(char k)
{
    switch (k) {
    case 'T':
        return K_TITLE;
    case 'A':
        return K_ABBREV;
    case 'H':
        return K_ORG_HEAD;
    case 'O':
        return K_ORG_WORD;
    case 'P':
        return K_PREP;
    case 'S':
        return K_STOP;
    case 'L':
        return K_PLACE;
    case 'J':
        return K_ADJ;
    case 'C':
        return K_COMPANY;
    case 'G':
        return K_GIVEN;
    case 'V':
        return K_VERB;
    default:
        return K_PARTICLE;
    }
}

/* German function words: a field full of them capitalises its nouns, so capitalisation is no
 * evidence of a name there. */
/* "des" (French too) and "den" (Scandinavian too) are left out: two of them made a French
 * field German. */
static const char *const german_words[] = {"der",   "die", "das",  "und", "dem",  "nicht",
                                           "ist",   "mit", "sich", "auf", "eine", "einen",
                                           "einer", "zur", "zum",  "vom", "wird", "hat"};
#define N_GERMAN_WORDS (sizeof(german_words) / sizeof(german_words[0]))
static uint64_t german_hashes[N_GERMAN_WORDS];
static uint64_t german_bits; /* bit (hash >> 58) of each: a quick "not one of them" */

static const char *const conjunctions[] = {"and", "und",  "et", "y", "e",  "or",
                                           "ou",  "oder", "и",  "і", "та", "o"};
#define N_CONJUNCTIONS (sizeof(conjunctions) / sizeof(conjunctions[0]))
static uint64_t conjunction_hashes[N_CONJUNCTIONS];

/* Words that join the parts of an organisation's name ("Bank of England", "Committee on
 * Foreign Relations", "Ministère de la Défense"). */
static const char *const connectors[] = {
    "of", "the", "for", "on",  "and",   "fur", "und", "et", "y",   "e",   "de",  "des", "du", "la",
    "le", "l",   "d",   "del", "della", "di",  "da",  "do", "dos", "das", "der", "die", "i"};
#define N_CONNECTORS (sizeof(connectors) / sizeof(connectors[0]))
static uint64_t connector_hashes[N_CONNECTORS];

static int is_connector(uint64_t hash)
{
    for (size_t c = 0; c < N_CONNECTORS; c++)
        if (connector_hashes[c] == hash)
            return 1;
    return 0;
}

static int is_conjunction(uint64_t hash)
{
    for (size_t c = 0; c < N_CONJUNCTIONS; c++)
        if (conjunction_hashes[c] == hash)
            return 1;
    return 0;
}

/* data/gazetteer/demonyms.tsv, embedded by gazetteer_data.c: "id TAB LOC TAB adj TAB
 * lang=word...". Each word is an adjective (K_ADJ) of its language. */
extern const char nf_demonym_data[], nf_demonym_data_end[];

static void add_demonyms(void)
{
    const char *p = nf_demonym_data, *end = nf_demonym_data_end;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        int field = 0;
        for (const char *f = p; *p != '#' && f < eol; field++) {
            const char *tab = memchr(f, '\t', (size_t)(eol - f));
            const char *fend = tab ? tab : eol;
            const char *eq = memchr(f, '=', (size_t)(fend - f));
            if (field >= 3 && eq) {
                unsigned lang = 0;
                while (lang < N_LEX_LANGS && (strlen(lex_langs[lang]) != (size_t)(eq - f) ||
                                              memcmp(lex_langs[lang], f, (size_t)(eq - f)) != 0))
                    lang++;
                nf_token_t toks[2];
                if (lang < N_LEX_LANGS &&
                    nf_tokenize(eq + 1, (size_t)(fend - eq - 1), toks, 2) == 1)
                    lex_slot(toks[0].hash, 1)->masks[K_ADJ] |= 1u << lang;
            }
            f = tab ? tab + 1 : eol;
        }
        p = eol + 1;
    }
}

static int build_lexicon(void)
{
    pthread_mutex_lock(&lex_lock);
    if (lex_table) {
        pthread_mutex_unlock(&lex_lock);
        return 1;
    }
    lex_mask = 16383; /* ~7,000 words: the lists and the demonyms */
    lex_slot_t *table = nf_calloc(lex_mask + 1, sizeof(*table));
    if (!table) {
        pthread_mutex_unlock(&lex_lock);
        return 0;
    }
    lex_table = table;
    for (size_t c = 0; c < N_CONNECTORS; c++)
        connector_hashes[c] = nf_token_hash(connectors[c], strlen(connectors[c]));
    for (size_t c = 0; c < N_CONJUNCTIONS; c++)
        conjunction_hashes[c] = nf_token_hash(conjunctions[c], strlen(conjunctions[c]));
    for (size_t g = 0; g < N_GERMAN_WORDS; g++) {
        german_hashes[g] = nf_token_hash(german_words[g], strlen(german_words[g]));
        german_bits |= 1ull << (german_hashes[g] >> 58);
    }
    for (size_t s = 0; s < sizeof(lexicon_source) / sizeof(lexicon_source[0]); s++) {
        const struct lex_source *src = &lexicon_source[s];
        unsigned lang = 0;
        while (lang < N_LEX_LANGS && strcmp(lex_langs[lang], src->lang) != 0)
            lang++;
        int kind = kind_index(src->kind);
        const char *w = src->words;
        while (*w) {
            const char *sp = strchr(w, ' ');
            size_t len = sp ? (size_t)(sp - w) : strlen(w);
            nf_token_t toks[4];
            size_t n = nf_tokenize(w, len, toks, 4);
            if (n > 0 && n <= 4) { /* "porte-parole": the last word is the cue */
                lex_slot_t *slot = lex_slot(toks[n - 1].hash, 1);
                slot->masks[kind] |= 1u << lang;
            }
            w += len;
            while (*w == ' ')
                w++;
        }
    }
    add_demonyms();
    pthread_mutex_unlock(&lex_lock);
    return 1;
}

/* ---- the tagger ---------------------------------------------------------------------- */

typedef struct cand {
    uint8_t field; /* 0 title, 1 body */
    nf_entity_type_t type;
    uint32_t tok_start, tok_end; /* token range in the field */
    uint32_t byte_start, byte_end, cp_start, cp_end;
    const nf_gaz_entry_t *gaz;
    uint64_t last_hash; /* PERSON: folded hash of the last word (surname linking) */
    int32_t group;      /* entity index once grouped */
    char id[NF_ENTKEY_MAX + 16];
} cand_t;

typedef struct gaz_memo {
    const nf_gaz_entry_t *entry;
    uint8_t known, len, flags, trim_bytes, trim_cps;
    uint8_t var_known, n_var; /* Arabic clitic readings of the word */
    uint16_t kinds;           /* lex_kinds + 1 (0: not yet) */
    uint8_t var_trim_bytes[3], var_trim_cps[3];
    uint64_t var_hash[3];
} gaz_memo_t;

typedef struct field {
    const char *text;
    size_t len;
    nf_token_t *toks;
    gaz_memo_t *memo;
    size_t n, cap;
    int title_case; /* capitalised spans are not evidence here (headline case, German nouns) */
    int all_caps;
} field_t;

typedef struct user_key {
    char key[NF_ENTKEY_MAX];
    const nf_gaz_entry_t *entry;
} user_key_t;

/* Keys cost an ICU transliteration; names recur (the same people every day), so each tagger
 * keeps the last keys it computed in a direct-mapped cache. */
#define KEY_CACHE_SLOTS 4096
typedef struct key_slot {
    uint64_t hash; /* of type + name bytes; 0 empty */
    char key[56];  /* one cache line a slot; a longer key is not cached */
} key_slot_t;

struct nf_entities {
    const nf_gazetteer_t *builtin;
    nf_entkey_t *keys;
    field_t fields[2];
    cand_t *cands;
    size_t n_cands, cap_cands;
    unsigned active;      /* language bits for this article */
    nf_gazetteer_t *user; /* held for one call */
    uint64_t keyed;       /* generation of the user gazetteer user_keys were computed for */
    user_key_t *user_keys;
    size_t n_user_keys;
    key_slot_t *key_cache;
    uint32_t *link_idx; /* link_surnames' scratch: 2 * cap_link */
    size_t cap_link;
    cand_t **order; /* build_output's scratch: cap_order */
    size_t cap_order;
    const user_key_t *place_keys; /* built-in LOC and ORG entries by key, sorted (shared) */
    size_t n_place_keys;
};

static int cmp_user_key(const void *a, const void *b)
{
    const user_key_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    /* the first entry of the data keeps a shared key (countries before cities) */
    return c ? c : (x->entry < y->entry ? -1 : x->entry > y->entry);
}

/* Keys of the built-in places and organisations (display names), so that a discovered name
 * written in another script links to them: روتردام -> loc:nl:rotterdam. Built once per process
 * like the built-in gazetteer they come from (~4,000 keys: a few ms that a new tagger need not
 * pay again), never freed. */
static const user_key_t *shared_place_keys;
static size_t shared_n_place_keys;
static pthread_mutex_t place_lock = PTHREAD_MUTEX_INITIALIZER;

static nf_err_t build_place_keys(nf_entities_t *e)
{
    pthread_mutex_lock(&place_lock);
    if (!shared_place_keys) {
        size_t n = nf_gazetteer_entries(e->builtin), count = 0;
        user_key_t *keys = nf_malloc((n ? n : 1) * sizeof(user_key_t));
        if (!keys) {
            pthread_mutex_unlock(&place_lock);
            return NF_ERR_NOMEM;
        }
        for (size_t i = 0; i < n; i++) {
            const nf_gaz_entry_t *ent = nf_gazetteer_entry_at(e->builtin, i);
            if (ent->type == NF_ENTITY_PERSON)
                continue;
            user_key_t *k = &keys[count];
            nf_err_t err = nf_entkey_name(e->keys, ent->type, ent->name, strlen(ent->name), k->key,
                                          sizeof(k->key));
            if (err != NF_OK) {
                nf_free(keys);
                pthread_mutex_unlock(&place_lock);
                return err;
            }
            if (strlen(k->key) < 3)
                continue; /* too short to vouch for a link */
            k->entry = ent;
            count++;
        }
        qsort(keys, count, sizeof(user_key_t), cmp_user_key);
        shared_n_place_keys = count;
        shared_place_keys = keys;
    }
    e->place_keys = shared_place_keys;
    e->n_place_keys = shared_n_place_keys;
    pthread_mutex_unlock(&place_lock);
    return NF_OK;
}

static const nf_gaz_entry_t *place_by_key(const nf_entities_t *e, nf_entity_type_t type,
                                          const char *key)
{
    size_t lo = 0, hi = e->n_place_keys;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(e->place_keys[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < e->n_place_keys && strcmp(e->place_keys[lo].key, key) == 0; lo++)
        if (e->place_keys[lo].entry->type == type)
            return e->place_keys[lo].entry;
    return NULL;
}

nf_entities_t *nf_entities_new(char *errstr, size_t errstr_size)
{
    nf_entities_t *e = nf_calloc(1, sizeof(*e));
    if (!e) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    if (nf_tokenizer_init() != NF_OK || !build_lexicon()) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    if (!(e->builtin = nf_gazetteer_builtin(NULL, errstr, errstr_size)))
        goto fail;
    if (!(e->keys = nf_entkey_new(errstr, errstr_size)))
        goto fail;
    if (!(e->key_cache = nf_calloc(KEY_CACHE_SLOTS, sizeof(key_slot_t)))) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    if (build_place_keys(e) != NF_OK) {
        snprintf(errstr, errstr_size, "out of memory or ICU error while keying the gazetteer");
        goto fail;
    }
    return e;
fail:
    nf_entities_destroy(e);
    return NULL;
}

void nf_entities_destroy(nf_entities_t *e)
{
    if (!e)
        return;
    nf_entkey_destroy(e->keys);
    for (int f = 0; f < 2; f++) {
        nf_free(e->fields[f].toks);
        nf_free(e->fields[f].memo);
    }
    nf_free(e->cands);
    nf_free(e->user_keys);
    nf_free(e->key_cache);
    nf_free(e->link_idx);
    nf_free(e->order);
    nf_free(e);
}

const char *nf_entity_type_name(nf_entity_type_t type)
{
    switch (type) {
    case NF_ENTITY_PERSON:
        return "PERSON";
    case NF_ENTITY_ORG:
        return "ORG";
    case NF_ENTITY_LOC:
        return "LOC";
    }
    return "UNKNOWN";
}

void nf_entity_list_clear(nf_entity_list_t *list)
{
    nf_free(list->items); /* the entities, their mentions and strings: one block */
    list->items = NULL;
    list->count = 0;
}

/* The cue words of the article's language (or of every language of its script while the
 * language is unknown), plus every language of the other scripts: a Latin name inside a
 * Cyrillic article ("Orvane Rail") still needs the Latin cue words, and words of different
 * scripts can never be confused. */
static unsigned active_languages(const nf_lang_t *lang)
{
    if (!lang)
        return ALL_LANGS;
    unsigned group = 0, mine = 0;
    for (unsigned i = 0; i < N_LEX_LANGS; i++)
        if (lang->code[0] == lex_langs[i][0] && strcmp(lang->code, lex_langs[i]) == 0)
            mine = 1u << i;
    static const struct {
        const char *script;
        unsigned langs;
    } groups[] = {{"Latn", LATN_LANGS},
                  {"Cyrl", CYRL_LANGS},
                  {"Arab", ARAB_LANGS},
                  {"Grek", GREK_LANGS},
                  {"Hebr", HEBR_LANGS}};
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
        if (strcmp(lang->script, groups[g].script) == 0 || (mine & groups[g].langs))
            group = groups[g].langs;
    if (!group)
        return ALL_LANGS;
    return (ALL_LANGS & ~group) | (mine ? mine : group);
}

/* Kinds of a word in the article's languages, as a bit set of K_*. */
static unsigned lex_kinds(const nf_entities_t *e, uint64_t hash)
{
    const lex_slot_t *slot = lex_slot(hash, 0);
    if (!slot)
        return 0;
    unsigned kinds = 0;
    for (int k = 0; k < K_COUNT; k++)
        if (slot->masks[k] & e->active)
            kinds |= 1u << k;
    return kinds;
}

/* lex_kinds of token k of a field, memoised per token for the call (the rules ask about the
 * same words many times). */
static unsigned tok_kinds(const nf_entities_t *e, const field_t *f, size_t k)
{
    gaz_memo_t *m = &f->memo[k];
    if (!m->kinds)
        m->kinds = (uint16_t)(lex_kinds(e, f->toks[k].hash) + 1);
    return m->kinds - 1u;
}

#define HAS(kinds, k) (((kinds) >> (k)) & 1u)
#define ROMANCE_LANGS 0x8003Au /* fr es it pt ro */
#define GERMAN_LANG 0x4u

/* A Romance head word ("ministère", "parlement"): written in lower case in running text. */
static int romance_head(const nf_entities_t *e, uint64_t hash)
{
    const lex_slot_t *slot = lex_slot(hash, 0);
    return slot && (slot->masks[K_ORG_HEAD] & e->active & ROMANCE_LANGS);
}

/* German compounds ending in a title: Energieministerin, Regierungssprecher. */
static int german_title(const nf_entities_t *e, const char *text, const nf_token_t *t)
{
    static const char *const suffixes[] = {"minister",
                                           "ministerin",
                                           "sprecher",
                                           "sprecherin",
                                           "kanzler",
                                           "kanzlerin",
                                           "kommissar",
                                           "kommissarin",
                                           "pr\xC3\xA4sident",
                                           "pr\xC3\xA4sidentin",
                                           "chef",
                                           "chefin",
                                           "botschafter",
                                           "botschafterin",
                                           "b\xC3\xBCrgermeister",
                                           "b\xC3\xBCrgermeisterin",
                                           NULL};
    if (!(e->active & GERMAN_LANG) || !(t->flags & NF_TOK_UPPER))
        return 0;
    size_t len = t->byte_end - t->byte_start;
    const char *w = text + t->byte_start;
    /* every suffix ends in r, n, t or f, and the shortest is "chef" */
    char last = len ? w[len - 1] : 0;
    if (len < 7 || (last != 'r' && last != 'n' && last != 't' && last != 'f'))
        return 0;
    for (const char *const *suf = suffixes; *suf; suf++) {
        size_t sl = strlen(*suf);
        if (len > sl + 2 && memcmp(w + len - sl, *suf, sl) == 0)
            return 1;
    }
    return 0;
}

/* Arabic-script clitics written attached to the next word: و ف (and), ب (in/with), ل (to),
 * ك (like), and ل + the article (لل). Fills up to 3 variants of the token without them. */
static size_t arabic_variants(const field_t *f, const nf_token_t *tok, nf_token_t *out)
{
    const char *s = f->text + tok->byte_start;
    size_t len = tok->byte_end - tok->byte_start;
    size_t n = 0;
    /* Each Arabic letter here is 2 bytes in UTF-8. */
    if (len < 6 || ((uint8_t)s[0] != 0xD9 && (uint8_t)s[0] != 0xD8))
        return 0;
    uint8_t c0 = (uint8_t)s[1];
    int is_waw = (uint8_t)s[0] == 0xD9 && c0 == 0x88; /* و U+0648 */
    int is_fa = (uint8_t)s[0] == 0xD9 && c0 == 0x81;  /* ف U+0641 */
    int is_ba = (uint8_t)s[0] == 0xD8 && c0 == 0xA8;  /* ب U+0628 */
    int is_lam = (uint8_t)s[0] == 0xD9 && c0 == 0x84; /* ل U+0644 */
    int is_kaf = (uint8_t)s[0] == 0xD9 && c0 == 0x83; /* ك U+0643 */
    size_t skip = 0;
    if (is_waw || is_fa) {
        nf_token_t t = *tok;
        t.byte_start += 2;
        t.cp_start += 1;
        t.hash = nf_token_hash(s + 2, len - 2);
        out[n++] = t;
        skip = 2;
        if (len - skip >= 6) {
            is_ba = (uint8_t)s[2] == 0xD8 && (uint8_t)s[3] == 0xA8;
            is_lam = (uint8_t)s[2] == 0xD9 && (uint8_t)s[3] == 0x84;
            is_kaf = (uint8_t)s[2] == 0xD9 && (uint8_t)s[3] == 0x83;
        } else {
            return n;
        }
    }
    if (is_ba || is_lam || is_kaf) {
        nf_token_t t = *tok;
        t.byte_start += (uint32_t)skip + 2;
        t.cp_start += (uint32_t)skip / 2 + 1;
        t.hash = nf_token_hash(s + skip + 2, len - skip - 2);
        out[n++] = t;
        /* لل + word = ل + ال + word: the article came back. */
        if (is_lam && (uint8_t)s[skip + 2] == 0xD9 && (uint8_t)s[skip + 3] == 0x84) {
            char buf[256];
            size_t rest = len - skip - 2;
            if (rest + 2 < sizeof(buf)) {
                buf[0] = (char)0xD8, buf[1] = (char)0xA7; /* ا */
                memcpy(buf + 2, s + skip + 2, rest);
                nf_token_t a = t;
                a.hash = nf_token_hash(buf, rest + 2);
                out[n++] = a;
            }
        }
    }
    return n;
}

/* arabic_variants of token i, computed once per token. */
static size_t token_variants(const field_t *f, size_t i, nf_token_t *out)
{
    gaz_memo_t *m = &f->memo[i];
    const nf_token_t *t = &f->toks[i];
    if (!(t->flags & NF_TOK_ARABIC))
        return 0;
    if (!m->var_known) {
        nf_token_t v[4];
        size_t n = arabic_variants(f, t, v);
        m->var_known = 1;
        m->n_var = (uint8_t)(n > 3 ? 3 : n);
        for (size_t k = 0; k < m->n_var; k++) {
            m->var_hash[k] = v[k].hash;
            m->var_trim_bytes[k] = (uint8_t)(v[k].byte_start - t->byte_start);
            m->var_trim_cps[k] = (uint8_t)(v[k].cp_start - t->cp_start);
        }
    }
    for (size_t k = 0; k < m->n_var; k++) {
        out[k] = *t;
        out[k].hash = m->var_hash[k];
        out[k].byte_start += m->var_trim_bytes[k];
        out[k].cp_start += m->var_trim_cps[k];
    }
    return m->n_var;
}

static int is_cyrillic(const field_t *f, const nf_token_t *t)
{
    uint8_t b = (uint8_t)f->text[t->byte_start];
    return b == 0xD0 || b == 0xD1;
}

/* Russian/Ukrainian case endings on place names (Париже, России, Украины, Москву, Киеве):
 * the nominative candidates, tried when the word as written is in no gazetteer. */
static size_t cyrillic_variants(const field_t *f, const nf_token_t *tok, nf_token_t *out)
{
    const char *s = f->text + tok->byte_start;
    size_t len = tok->byte_end - tok->byte_start;
    if (len < 8 || len > 120 || !is_cyrillic(f, tok))
        return 0;
    char buf[128];
    size_t n = 0;
    size_t stem = len - 2; /* every Cyrillic letter is 2 bytes */
    static const char *const tails[] = {"", "\xD0\xB0" /* а */, "\xD1\x8F" /* я */,
                                        "\xD1\x8C" /* ь */};
    size_t stems[2] = {stem, 0};
    /* Only a vowel ending (а е и ы у ю я і ї є ь) goes: Карим stays Карим. */
    uint8_t b0 = (uint8_t)s[len - 2], b1 = (uint8_t)s[len - 1];
    int vowel = (b0 == 0xD0 && (b1 == 0xB0 || b1 == 0xB5 || b1 == 0xB8)) ||
                (b0 == 0xD1 && (b1 == 0x8B || b1 == 0x83 || b1 == 0x8E || b1 == 0x8F ||
                                b1 == 0x96 || b1 == 0x97 || b1 == 0x94 || b1 == 0x8C));
    if (!vowel)
        stems[0] = 0;
    /* -ой/-ей/-ом/-ем/-ью: two letters to replace */
    const char *two = s + len - 4;
    if (memcmp(two, "\xD0\xBE\xD0\xB9", 4) == 0 || memcmp(two, "\xD0\xB5\xD0\xB9", 4) == 0 ||
        memcmp(two, "\xD0\xBE\xD0\xBC", 4) == 0 || memcmp(two, "\xD0\xB5\xD0\xBC", 4) == 0 ||
        memcmp(two, "\xD0\xB5\xD1\x8E", 4) == 0 || memcmp(two, "\xD1\x94\xD1\x8E", 4) == 0 ||
        memcmp(two, "\xD0\xBE\xD1\x8E", 4) == 0) /* -ей -ой -ом -ем -ею -єю -ою */
        stems[1] = len - 4;
    if (stems[0] && stem >= 6) {
        /* The fleeting e: Египта -> Египет, Кремля -> Кремль is covered by ь below. */
        memcpy(buf, s, stem - 2);
        memcpy(buf + stem - 2, "\xD0\xB5", 2);
        memcpy(buf + stem, s + stem - 2, 2);
        nf_token_t v = *tok;
        v.hash = nf_token_hash(buf, stem + 2);
        out[n++] = v;
    }
    for (int st = 0; st < 2; st++) {
        if (!stems[st])
            continue;
        for (int t = 0; t < 4; t++) {
            size_t tl = strlen(tails[t]);
            memcpy(buf, s, stems[st]);
            memcpy(buf + stems[st], tails[t], tl);
            nf_token_t v = *tok;
            v.hash = nf_token_hash(buf, stems[st] + tl);
            out[n++] = v;
        }
    }
    return n;
}

static int is_cased(const nf_token_t *t)
{
    return (t->flags & NF_TOK_CASED) != 0;
}

static int is_upper(const nf_token_t *t)
{
    return (t->flags & (NF_TOK_UPPER | NF_TOK_ALL_UPPER)) != 0;
}

/* Starts with the Arabic article ال (U+0627 U+0644). */
static int arabic_definite(const field_t *f, const nf_token_t *t)
{
    const uint8_t *s = (const uint8_t *)f->text + t->byte_start;
    return t->byte_end - t->byte_start >= 6 && s[0] == 0xD8 && s[1] == 0xA7 && s[2] == 0xD9 &&
           s[3] == 0x84;
}

static int roman_numeral(const field_t *f, const nf_token_t *t)
{
    for (uint32_t b = t->byte_start; b < t->byte_end; b++)
        if (!strchr("IVXLCDM", f->text[b]))
            return 0;
    return 1;
}

static nf_err_t push(nf_entities_t *e, int field, nf_entity_type_t type, size_t from, size_t to,
                     const nf_gaz_entry_t *gaz)
{
    if (e->n_cands == e->cap_cands) {
        size_t cap = e->cap_cands ? e->cap_cands * 2 : 64;
        cand_t *c = nf_realloc(e->cands, cap * sizeof(*c));
        if (!c)
            return NF_ERR_NOMEM;
        e->cands = c;
        e->cap_cands = cap;
    }
    const field_t *f = &e->fields[field];
    cand_t *c = &e->cands[e->n_cands++];
    c->field = (uint8_t)field;
    c->type = type;
    c->tok_start = (uint32_t)from;
    c->tok_end = (uint32_t)to;
    c->byte_start = f->toks[from].byte_start;
    c->cp_start = f->toks[from].cp_start;
    c->byte_end = f->toks[to - 1].byte_end;
    c->cp_end = f->toks[to - 1].cp_end;
    c->gaz = gaz;
    c->last_hash = f->toks[to - 1].hash;
    c->group = -1;
    c->id[0] = '\0';
    return NF_OK;
}

/* Gazetteer match at token i that the context accepts; 0 if none. */
/* Longest gazetteer name at token i as written, else read without a clitic or case ending;
 * memoised per token (the discovery rules ask about the same words several times). */
static size_t gazetteer_raw(nf_entities_t *e, const field_t *f, size_t i,
                            const nf_gaz_entry_t **entry, unsigned *flags, uint32_t *trim_bytes,
                            uint32_t *trim_cps)
{
    gaz_memo_t *m = &f->memo[i];
    if (!m->known) {
        const nf_token_t *t = &f->toks[i];
        size_t avail = f->n - i < NF_GAZ_MAX_WORDS ? f->n - i : NF_GAZ_MAX_WORDS;
        const nf_gazetteer_t *gs[2] = {e->user, e->builtin};
        nf_token_t variants[16];
        size_t n_var = 1;
        variants[0] = *t;
        m->known = 1;
        m->len = 0;
        m->entry = NULL;
        m->flags = 0;
        m->trim_bytes = 0;
        m->trim_cps = 0;
        for (size_t v = 0; v < n_var; v++) {
            for (int g = 0; g < 2; g++) {
                const nf_gaz_entry_t *ent = NULL;
                unsigned fl = 0;
                size_t n = gs[g] ? nf_gazetteer_match_as(gs[g], variants[v].hash, f->toks + i,
                                                         avail, &ent, &fl)
                                 : 0;
                if (n > m->len) {
                    m->len = (uint8_t)n;
                    m->entry = ent;
                    m->flags = (uint8_t)fl;
                    m->trim_bytes = (uint8_t)(variants[v].byte_start - t->byte_start);
                    m->trim_cps = (uint8_t)(variants[v].cp_start - t->cp_start);
                }
            }
            if (m->len)
                break; /* the word as written beats a clitic reading */
            if (v == 0 && !(t->flags & NF_TOK_DIGIT)) {
                if (t->flags & NF_TOK_ARABIC)
                    n_var += token_variants(f, i, variants + 1);
                else if (is_upper(t))
                    n_var += cyrillic_variants(f, t, variants + 1);
            }
        }
    }
    *entry = m->entry;
    *flags = m->flags;
    *trim_bytes = m->trim_bytes;
    *trim_cps = m->trim_cps;
    return m->len;
}

/* Gazetteer match at token i that the context accepts; 0 if none. */
static size_t gazetteer_at(nf_entities_t *e, const field_t *f, size_t i,
                           const nf_gaz_entry_t **entry, uint32_t *trim_bytes, uint32_t *trim_cps)
{
    const nf_token_t *t = &f->toks[i];
    const nf_gaz_entry_t *best_entry = NULL;
    unsigned best_flags = 0;
    /* "turkey", "nice": a place name is capitalised where the script has case (checked before
     * the look-up: most words of a cased text end here) */
    if (is_cased(t) && !is_upper(t))
        return 0;
    size_t best = gazetteer_raw(e, f, i, &best_entry, &best_flags, trim_bytes, trim_cps);
    if (!best)
        return 0;
    if ((best_flags & NF_GAZ_ACRONYM) && !(t->flags & NF_TOK_ALL_UPPER))
        return 0; /* "UN" is not "un" nor "Un" */
    /* A one-word region or city named with a cue word (Papua New Guinea's "Gulf", "Golfo",
     * "Central") is as ambiguous as the entries flagged so. */
    if (best == 1 && strchr(best_entry->id + 4, ':') &&
        (tok_kinds(e, f, i) & (1u << K_PLACE | 1u << K_ORG_WORD | 1u << K_ORG_HEAD | 1u << K_TITLE |
                               1u << K_ADJ | 1u << K_COMPANY)))
        best_flags |= NF_GAZ_AMBIGUOUS;
    if (best_flags & NF_GAZ_AMBIGUOUS) {
        if (i == 0 || (t->flags & NF_TOK_BREAK) || !HAS(tok_kinds(e, f, i - 1), K_PREP))
            return 0;
    }
    *entry = best_entry;
    return best;
}

static size_t capitalised_run(nf_entities_t *e, const field_t *f, size_t i, int *has_org,
                              int *has_place);

/* A name after a title or role: returns the token range [*from, *to) or 0. */
static int name_after_cue(nf_entities_t *e, const field_t *f, size_t i, int abbrev, size_t *from,
                          size_t *to, size_t *place_from, size_t *place_to,
                          const nf_gaz_entry_t **place)
{
    *place = NULL;
    size_t j = i + 1;
    if (j >= f->n)
        return 0;
    const nf_token_t *t = &f->toks[j];
    if ((t->flags & NF_TOK_PUNCT) || ((t->flags & NF_TOK_DOT) && !abbrev))
        return 0;
    if (is_cased(&f->toks[i]) || is_cased(t)) {
        /* More titles ("Prime Minister", "Vice President") and nothing else before the name. */
        while (j < f->n && !(f->toks[j].flags & NF_TOK_PUNCT) && (HAS(tok_kinds(e, f, j), K_TITLE)))
            j++;
        const nf_gaz_entry_t *ent;
        uint32_t tb, tc;
        size_t g = j < f->n ? gazetteer_at(e, f, j, &ent, &tb, &tc) : 0;
        if (g) {
            int has_org, has_place;
            /* "Президент Украины Владимир Зеленский", "Мэр Мадрида Рамон Гутьеррес": the place
             * first; "organizadora Marta Quiroga": a name that starts like a place. */
            if (!strchr(ent->id + 4, ':') ||
                capitalised_run(e, f, j, &has_org, &has_place) < g + 1 ||
                capitalised_run(e, f, j, &has_org, &has_place) >= g + 2)
                return 0;
        }
        size_t start = j, k = j;
        size_t words = 0;
        while (k < f->n && words < 4) {
            const nf_token_t *w = &f->toks[k];
            if (k > start && (w->flags & NF_TOK_BREAK))
                break;
            if (k == start && (w->flags & NF_TOK_PUNCT))
                break;
            unsigned kinds = tok_kinds(e, f, k);
            if (!is_cased(w) || (w->flags & NF_TOK_DIGIT))
                break;
            if (HAS(kinds, K_PARTICLE) && k > start && k + 1 < f->n && is_upper(&f->toks[k + 1]) &&
                !(f->toks[k + 1].flags & NF_TOK_BREAK)) {
                k++;
                continue;
            }
            if (!is_upper(w) || HAS(kinds, K_STOP) || HAS(kinds, K_TITLE))
                break;
            k++;
            words++;
        }
        if (words == 0)
            return 0;
        *from = start;
        *to = k;
        return 1;
    }
    /* No case (Arabic, Persian): skip adjectives with the article and places, then take the
     * words up to a function word, another title or the next article-bearing word. */
    size_t skipped = 0;
    while (j < f->n && skipped < 4) {
        const nf_token_t *w = &f->toks[j];
        if (j > i + 1 && (w->flags & NF_TOK_BREAK))
            return 0;
        unsigned kinds = tok_kinds(e, f, j);
        const nf_gaz_entry_t *ent;
        uint32_t tb, tc;
        size_t g = gazetteer_at(e, f, j, &ent, &tb, &tc);
        if (g) {
            if (!*place) {
                *place = ent;
                *place_from = j;
                *place_to = j + g;
            }
            j += g;
            skipped++;
            continue;
        }
        if (HAS(kinds, K_PREP))
            return 0; /* "سفیر در مادرید منصوب": a preposition, then no name */
        if ((arabic_definite(f, w) && !HAS(kinds, K_PARTICLE)) || HAS(kinds, K_TITLE) ||
            HAS(kinds, K_STOP)) {
            j++;
            skipped++;
            continue;
        }
        break;
    }
    size_t start = j, k = j, words = 0;
    while (k < f->n && words < 2) {
        const nf_token_t *w = &f->toks[k];
        if (k > start && (w->flags & NF_TOK_BREAK))
            break;
        if (is_cased(w) || (w->flags & (NF_TOK_DIGIT | NF_TOK_SOLO)))
            break;
        unsigned kinds = tok_kinds(e, f, k);
        nf_token_t var[4];
        size_t nv = token_variants(f, k, var);
        for (size_t v = 0; v < nv; v++)
            kinds |= lex_kinds(e, var[v].hash) & (1u << K_TITLE | 1u << K_STOP);
        if (!HAS(kinds, K_PARTICLE))
            words++;
        if (HAS(kinds, K_STOP) || HAS(kinds, K_TITLE) || HAS(kinds, K_ORG_HEAD) ||
            HAS(kinds, K_PREP))
            break;
        int after_particle = k > start && HAS(tok_kinds(e, f, k - 1), K_PARTICLE);
        if (arabic_definite(f, w) && !after_particle) {
            /* سامي الحداد: one article-bearing word may close a name as its family name. */
            const nf_gaz_entry_t *ent;
            uint32_t tb, tc;
            if (k == start + 1 && !gazetteer_at(e, f, k, &ent, &tb, &tc))
                k++;
            break;
        }
        const nf_gaz_entry_t *ent;
        uint32_t tb, tc;
        if (gazetteer_at(e, f, k, &ent, &tb, &tc))
            break;
        k++;
    }
    /* A particle cannot end a name. */
    while (k > start && HAS(tok_kinds(e, f, k - 1), K_PARTICLE))
        k--;
    if (k == start)
        return 0;
    *from = start;
    *to = k;
    return 1;
}

/* A Romance adjective by its ending (étrangères, sociales, pública, nucleares): what may end
 * an organisation's name in lower case after its capitalised part, where a verb (pidió,
 * inspecciona, fined) may not. */
static int romance_adjective(const field_t *f, const nf_token_t *t)
{
    static const char *const endings[] = {
        "\xC3\xA8res", "\xC3\xA8re", "ale",   "ales", "aux",  "al",    "ique",  "iques", "ico",
        "ica",         "icos",       "icas",  "ario", "aria", "arios", "arias", "ivo",   "iva",
        "ivos",        "ivas",       "ieure", "ieur", "elle", "el",    "ares",  "ar",    NULL};
    const char *w = f->text + t->byte_start;
    size_t len = t->byte_end - t->byte_start;
    for (const char *const *end = endings; *end; end++) {
        size_t el = strlen(*end);
        if (len > el + 2 && memcmp(w + len - el, *end, el) == 0)
            return 1;
    }
    return 0;
}

/* Persian writes an organisation's name as a chain of words joined by the unwritten ezafe
 * (سازمان انرژی اتمی ایران), with no article to mark where it ends: a head that only Persian
 * has takes the words up to a break, a short function word or verb, a preposition or a title. */
#define FA_LANG 0x1000u
#define AR_LANG 0x800u

static int persian_head(const nf_entities_t *e, uint64_t hash)
{
    const lex_slot_t *slot = lex_slot(hash, 0);
    return slot && (slot->masks[K_ORG_HEAD] & e->active & FA_LANG) &&
           !(slot->masks[K_ORG_HEAD] & e->active & AR_LANG);
}

/* "Ministry of Foreign Affairs", "Ministère des Affaires étrangères", "Министерство обороны
 * России", "وزارة الخارجية": the head word and what completes it. 0 if nothing does. */
static int ends_with(const field_t *f, const nf_token_t *t, const char *const *endings);

/* A Russian or Ukrainian verb form right after an organisation's head ("Компания заявила",
 * "Министерство сообщило", "Міністерство повідомило"): past tense -л/-ла/-ло/-ли (Ukrainian -в
 * after и), reflexive -ся/-сь, present -ет/-ит/-ют/-ят. The head's genitive ("обороны",
 * "здравоохранения", "финансов") has none of these endings. */
static int cyrillic_verb_form(const field_t *f, const nf_token_t *w)
{
    static const char *const endings[] = {"\xD0\xBB",         /* л */
                                          "\xD0\xBB\xD0\xB0", /* ла */
                                          "\xD0\xBB\xD0\xBE", /* ло */
                                          "\xD0\xBB\xD0\xB8", /* ли */
                                          "\xD0\xB8\xD0\xB2", /* ив */
                                          "\xD1\x81\xD1\x8F", /* ся */
                                          "\xD1\x81\xD1\x8C", /* сь */
                                          "\xD0\xB5\xD1\x82", /* ет */
                                          "\xD0\xB8\xD1\x82", /* ит */
                                          "\xD1\x8E\xD1\x82", /* ют */
                                          "\xD1\x8F\xD1\x82", /* ят */
                                          NULL};
    return w->cp_end - w->cp_start >= 5 && ends_with(f, w, endings);
}

static size_t org_after_head(nf_entities_t *e, const field_t *f, size_t i, int romance)
{
    size_t k = i + 1, last_good = 0;
    unsigned lower_run = 0;
    int cased = is_cased(&f->toks[i]);
    if (!cased && persian_head(e, f->toks[i].hash)) {
        for (; k < f->n && k - i <= 4; k++) {
            const nf_token_t *w = &f->toks[k];
            unsigned kinds = tok_kinds(e, f, k);
            if ((w->flags & NF_TOK_BREAK) || (kinds & (1u << K_TITLE | 1u << K_PREP)) ||
                (HAS(kinds, K_STOP) && !HAS(kinds, K_ORG_WORD)))
                break;
            last_good = k + 1;
        }
        return last_good ? last_good - i : 0;
    }
    int adj_after_head = 0; /* "Conseil régional": may go on with "des Hauts-de-France" */
    while (k < f->n && k - i < 8) {
        const nf_token_t *w = &f->toks[k];
        if (w->flags & NF_TOK_BREAK)
            break;
        unsigned kinds = tok_kinds(e, f, k);
        if (cased) {
            if (is_upper(w) && !HAS(kinds, K_STOP) && !HAS(kinds, K_TITLE)) {
                if (adj_after_head && lower_run == 0)
                    break; /* "Agence nationale | Monday" */
                last_good = k + 1;
                lower_run = 0;
            } else if (HAS(kinds, K_PARTICLE) || HAS(kinds, K_STOP)) {
                /* of, de, des, l', für: may join, never end */
                if (lower_run++ > 2)
                    break;
            } else if (romance && k == i + 1 && !HAS(kinds, K_TITLE) &&
                       w->cp_end - w->cp_start > 4 && is_cased(w) && !is_cyrillic(f, w)) {
                /* "Parlement européen", "Conseil régional (des Hauts-de-France)" */
                last_good = k + 1;
                adj_after_head = 1;
            } else if (last_good && last_good == k && lower_run == 0 && !adj_after_head &&
                       (e->active & ROMANCE_LANGS) && !HAS(kinds, K_TITLE) && !HAS(kinds, K_ADJ) &&
                       w->cp_end - w->cp_start > 4 && is_cased(w) && !is_cyrillic(f, w) &&
                       romance_adjective(f, w)) {
                /* Romance languages write the adjective in lower case: Affaires étrangères. */
                last_good = k + 1;
                break;
            } else if (romance && is_upper(&f->toks[i]) && lower_run > 0 &&
                       (!last_good || (adj_after_head && last_good == i + 2)) && is_cased(w) &&
                       !is_cyrillic(f, w) && !HAS(kinds, K_TITLE) && w->cp_end - w->cp_start > 4) {
                /* French and Spanish names in lower case after the head's "de": "Autorité de
                 * régulation", "Agence nationale de régulation pharmaceutique" */
                last_good = k + 1;
                if (k + 1 < f->n && !(f->toks[k + 1].flags & NF_TOK_BREAK) &&
                    is_cased(&f->toks[k + 1]) && !is_upper(&f->toks[k + 1]) &&
                    romance_adjective(f, &f->toks[k + 1]))
                    last_good = k + 2;
                break;
            } else if (is_cyrillic(f, w) &&
                       ((k == i + 1 && !last_good) || (k == i + 2 && last_good == i + 2)) &&
                       w->cp_end - w->cp_start >= 3 && !(k == i + 1 && cyrillic_verb_form(f, w))) {
                /* Russian/Ukrainian: Министерство (иностранных дел | обороны) России. */
                last_good = k + 1;
                lower_run = 0;
            } else {
                break;
            }
        } else {
            if (HAS(kinds, K_STOP) && !arabic_definite(f, w))
                break;
            if (HAS(kinds, K_TITLE) || HAS(kinds, K_PREP))
                break;
            if (!arabic_definite(f, w) && arabic_definite(f, &f->toks[i]) && k == i + 1)
                break; /* "البنك مستعد" is a sentence: a definite head takes definite words */
            if (!arabic_definite(f, w) && k > i + 1) {
                /* "البنك الإسلامي للتنمية": a last word with لل (for the ...) belongs to it */
                const uint8_t *b = (const uint8_t *)f->text + w->byte_start;
                if (w->byte_end - w->byte_start >= 8 && b[0] == 0xD9 && b[1] == 0x84 &&
                    b[2] == 0xD9 && b[3] == 0x84 && !HAS(kinds, K_STOP))
                    last_good = k + 1;
                break; /* وزارة الخارجية الروسية ends at the first word without ال */
            }
            last_good = k + 1;
            if (!arabic_definite(f, w))
                break; /* وزارة خارجية: one word without the article, right after the head */
        }
        k++;
    }
    return last_good ? last_good - i : 0;
}

/* A run of capitalised words (with name particles inside) starting at i; returns its length
 * and whether an organisation word is in it. */
static size_t capitalised_run(nf_entities_t *e, const field_t *f, size_t i, int *has_org,
                              int *has_place)
{
    size_t k = i, end = i;
    *has_org = 0;
    *has_place = 0;
    while (k < f->n && k - i < 6) {
        const nf_token_t *w = &f->toks[k];
        if (k > i && (w->flags & NF_TOK_BREAK))
            break;
        if (!is_cased(w) || (w->flags & NF_TOK_DIGIT))
            break;
        if (is_cyrillic(f, w) != is_cyrillic(f, &f->toks[i]))
            break; /* Машинисты | Orvane Rail */
        unsigned kinds = tok_kinds(e, f, k);
        if (k > i && HAS(kinds, K_TITLE))
            break; /* German Chancellor | Olaf Scholz */
        if (k > i && (w->flags & NF_TOK_ALL_UPPER) && (end < k || (!*has_org && !*has_place)))
            break; /* Vertreter der | IAEA; Orvane Port Authority and the | KVR */
        if (is_upper(w) && !(k > i && HAS(kinds, K_STOP) && !HAS(kinds, K_PARTICLE))) {
            if (HAS(kinds, K_ORG_WORD) || HAS(kinds, K_ORG_HEAD))
                *has_org = 1;
            if (HAS(kinds, K_PLACE))
                *has_place = 1;
            k++;
            end = k;
            continue;
        }
        if (k > i && (HAS(kinds, K_PARTICLE) || (*has_org && is_connector(w->hash)))) {
            /* may continue: "von der Leyen", "Bank of England"; a conjunction only straight
             * into a capitalised word ("Trade and Industry", not "Authority and the") */
            if (is_conjunction(w->hash) &&
                (k + 1 >= f->n || !is_upper(&f->toks[k + 1]) ||
                 (f->toks[k + 1].flags & (NF_TOK_BREAK | NF_TOK_ALL_UPPER))))
                break;
            k++;
            continue;
        }
        break;
    }
    return end - i;
}

/* Words that can be part of a name in a script without case: not a function word, title,
 * preposition, cue or organisation head, nor a word starting with a clitic و or ل. */
static int uncased_name_word(nf_entities_t *e, const field_t *f, size_t k, int allow_gaz)
{
    const nf_token_t *w = &f->toks[k];
    if (is_cased(w) || (w->flags & NF_TOK_DIGIT))
        return 0;
    const nf_gaz_entry_t *ent;
    uint32_t tb, tc;
    if (!allow_gaz && gazetteer_at(e, f, k, &ent, &tb, &tc))
        return 0; /* a known place or body */
    unsigned kinds = tok_kinds(e, f, k);
    if (kinds & (1u << K_STOP | 1u << K_TITLE | 1u << K_PREP | 1u << K_VERB | 1u << K_COMPANY |
                 1u << K_ORG_HEAD | 1u << K_PLACE))
        return 0;
    const uint8_t *s = (const uint8_t *)f->text + w->byte_start;
    if (s[0] == 0xD9 && (s[1] == 0x88 || s[1] == 0x84) && !arabic_definite(f, w))
        return 0; /* و (and), ل (to) written on the word */
    return 1;
}

static int persian_letters(const field_t *f, size_t from, size_t to)
{
    const uint8_t *s = (const uint8_t *)f->text + f->toks[from].byte_start;
    const uint8_t *end = (const uint8_t *)f->text + f->toks[to - 1].byte_end;
    for (; s + 1 < end; s++) {
        unsigned cp = s[0] == 0xD9   ? 0x640u + (s[1] & 0x3Fu)
                      : s[0] == 0xDA ? 0x680u + (s[1] & 0x3Fu)
                      : s[0] == 0xDB ? 0x6C0u + (s[1] & 0x3Fu)
                                     : 0;
        if (cp == 0x67E || cp == 0x686 || cp == 0x698 || cp == 0x6AF || cp == 0x6A9 || cp == 0x6CC)
            return 1;
    }
    return 0;
}

/* The name that a cue word announces, starting at token k: a run of capitalised words in a
 * cased script (particles inside), else up to `max` name words. 0 if none. */
static size_t name_after_word(nf_entities_t *e, const field_t *f, size_t k, size_t max)
{
    if (k >= f->n || (f->toks[k].flags & NF_TOK_BREAK))
        return 0;
    const nf_token_t *w = &f->toks[k];
    if (is_cased(w)) {
        unsigned kinds = tok_kinds(e, f, k);
        if (!is_upper(w) || f->title_case || (kinds & (1u << K_STOP | 1u << K_TITLE)))
            return 0;
        int has_org, has_place;
        size_t run = capitalised_run(e, f, k, &has_org, &has_place);
        return run <= max ? run : 0;
    }
    if (arabic_definite(f, w))
        return 0; /* شركة الكهرباء: a description, not a name */
    size_t n = 0;
    while (n < max && k + n < f->n && !(n && (f->toks[k + n].flags & NF_TOK_BREAK)) &&
           uncased_name_word(e, f, k + n, n == 0))
        n++;
    return n;
}

/* A person's two-word name at i in a script without case (Arabic, Persian): a common given
 * name and a second name word, or two name words at a sentence's start right before a role
 * ("محمد رضایی، سخنگوی ...", "علی نادری مدیرعامل ..."). */
static int person_here(nf_entities_t *e, const field_t *f, size_t i)
{
    if (i + 2 > f->n || (f->toks[i + 1].flags & NF_TOK_BREAK) || !uncased_name_word(e, f, i, 0) ||
        !uncased_name_word(e, f, i + 1, 0))
        return 0;
    if (HAS(tok_kinds(e, f, i), K_GIVEN))
        return 1;
    if (i + 2 >= f->n || !(f->toks[i].flags & (NF_TOK_SENT_START | NF_TOK_BREAK)))
        return 0;
    const nf_token_t *role = &f->toks[i + 2];
    /* Arabic starts sentences with the verb: there only an apposition after a comma counts;
     * Persian (its own letters: ی پ چ ژ گ ک) puts the role right after the name. */
    if (!(role->flags & NF_TOK_PUNCT) && !persian_letters(f, i, i + 3))
        return 0;
    unsigned kinds = lex_kinds(e, role->hash);
    if (!HAS(kinds, K_TITLE) && (role->flags & NF_TOK_ARABIC)) {
        nf_token_t var[4];
        size_t nv = token_variants(f, i + 2, var);
        for (size_t v = 0; v < nv; v++)
            kinds |= lex_kinds(e, var[v].hash);
    }
    return HAS(kinds, K_TITLE);
}

static int ends_with(const field_t *f, const nf_token_t *t, const char *const *endings)
{
    const char *w = f->text + t->byte_start;
    size_t len = t->byte_end - t->byte_start;
    char last = len ? w[len - 1] : 0;
    for (; *endings; endings++) {
        size_t el = strlen(*endings);
        if (len > el && (*endings)[el - 1] == last && memcmp(w + len - el, *endings, el) == 0)
            return 1;
    }
    return 0;
}

/* Russian and Ukrainian write an organisation as capitalised adjective + lower-case
 * adjectives + head noun + a genitive or a place: "Федеральная антимонопольная служба",
 * "Центральный банк России", "Всемирная организация здравоохранения". Its length or 0. */
static size_t cyrillic_org(nf_entities_t *e, const field_t *f, size_t i)
{
    static const char *const adjective[] = {"\xD1\x8B\xD0\xB9", "\xD0\xB8\xD0\xB9",
                                            "\xD0\xBE\xD0\xB9", "\xD0\xB0\xD1\x8F",
                                            "\xD1\x8F\xD1\x8F", "\xD0\xBE\xD0\xB5",
                                            "\xD0\xB5\xD0\xB5", NULL}; /* ый ий ой ая яя ое ее */
    static const char *const genitive[] = {"\xD0\xB8\xD1\x8F", "\xD0\xB8\xD0\xB8",
                                           "\xD0\xBE\xD0\xB2", "\xD0\xB5\xD0\xB9",
                                           "\xD1\x8B\xD1\x85", NULL}; /* ия ии ов ей ых */
    const nf_token_t *t = &f->toks[i];
    if (!is_cyrillic(f, t) || !is_upper(t) || (t->flags & NF_TOK_ALL_UPPER))
        return 0;
    uint8_t last = (uint8_t)f->text[t->byte_end - 1]; /* й я е: the adjective endings' last */
    if ((last != 0xB9 && last != 0x8F && last != 0xB5) || !ends_with(f, t, adjective))
        return 0;
    size_t k = i + 1;
    while (k < f->n && k < i + 3) {
        const nf_token_t *w = &f->toks[k];
        if ((w->flags & NF_TOK_BREAK) || is_upper(w) || !is_cyrillic(f, w))
            return 0;
        unsigned kinds = tok_kinds(e, f, k);
        if (kinds & (1u << K_ORG_WORD | 1u << K_ORG_HEAD))
            break;
        if (!ends_with(f, w, adjective))
            return 0;
        k++;
    }
    if (k >= f->n || k >= i + 3)
        return 0;
    k++; /* the head */
    if (k < f->n && !(f->toks[k].flags & NF_TOK_BREAK) && is_cyrillic(f, &f->toks[k])) {
        const nf_token_t *w = &f->toks[k];
        const nf_gaz_entry_t *ent;
        uint32_t tb, tc;
        if (is_upper(w) ? gazetteer_at(e, f, k, &ent, &tb, &tc) == 1
                        : (!HAS(tok_kinds(e, f, k), K_STOP) && w->cp_end - w->cp_start >= 5 &&
                           ends_with(f, w, genitive)))
            k++;
    }
    return k - i;
}

/* German compounds that name a body (Bundesgesundheitsministerium, Raumfahrtagentur,
 * Paul-Ehrlich-Institut), with a capitalised adjective before them (Deutsche, Europäische). */
static size_t german_org(nf_entities_t *e, const field_t *f, size_t i)
{
    static const char *const suffixes[] = {
        "ministerium", "agentur", "institut",     "beh\xC3\xB6rde", "organisation",
        "kommission",  "verband", "gesellschaft", "bundesamt",      NULL};
    if (!(e->active & GERMAN_LANG))
        return 0;
    size_t k = i;
    /* a hyphenated name: Paul-Ehrlich-Institut */
    while (k + 1 < f->n && is_upper(&f->toks[k + 1]) &&
           f->toks[k + 1].byte_start == f->toks[k].byte_end + 1 &&
           f->text[f->toks[k].byte_end] == '-')
        k++;
    const nf_token_t *last = &f->toks[k];
    if (!is_upper(last) || (last->flags & NF_TOK_ALL_UPPER))
        return 0;
    const char *w = f->text + last->byte_start;
    size_t len = last->byte_end - last->byte_start;
    if (len < 7 || !strchr("mrtendMRTEND", w[len - 1]))
        return 0; /* no suffix ends otherwise */
    int found = 0;
    for (const char *const *suf = suffixes; *suf && !found; suf++) {
        size_t sl = strlen(*suf);
        /* a compound, or the plain word at the end of a hyphenated name */
        found = (len > sl + 2 || (k > i && len == sl)) && strncasecmp(w + len - sl, *suf, sl) == 0;
    }
    if (!found)
        return 0;
    return k + 1 - i;
}

/* Endings of abstract nouns and adjectives that no name has (Transición, Ecológica,
 * Regierung, Sécurité); -ica/-ico only on a last word of 7 letters or more (Monica, Federico are
 * given names). */
static int noun_ending(const field_t *f, const nf_token_t *t, int last)
{
    static const char *const always[] = {
        "ci\xC3\xB3n", "si\xC3\xB3n", "idad", "edad",   "ismo",  "isme",
        "tion",        "heit",        "keit", "schaft", "zione", "\xC3\xA7\xC3\xA3o",
        "it\xC3\xA9",  NULL}; /* not -ung (Hartung), -dad (Haddad) */
    static const char *const at_end[] = {"ica", "ico", "ique", NULL};
    if (t->cp_end - t->cp_start < 5)
        return 0;
    return ends_with(f, t, always) ||
           (last && t->cp_end - t->cp_start >= 7 && ends_with(f, t, at_end));
}

static nf_err_t discover_field(nf_entities_t *e, int field)
{
    field_t *f = &e->fields[field];
    nf_err_t err;
    for (size_t i = 0; i < f->n;) {
        const nf_token_t *t = &f->toks[i];
        unsigned kinds = tok_kinds(e, f, i);
        const nf_gaz_entry_t *entry = NULL;
        uint32_t trim_b, trim_c;
        size_t g = gazetteer_at(e, f, i, &entry, &trim_b, &trim_c);
        int has_org = 0, has_place = 0;
        size_t run = 0;
        if (is_cased(t) && is_upper(t) && !HAS(kinds, K_TITLE) && !f->title_case)
            run = capitalised_run(e, f, i, &has_org, &has_place);
        /* A longer capitalised name wins over a place it starts with ("Marta Quiroga", "Orvane
         * Rail"), except a country ("France Télévisions" keeps France). */
        int country = g && strchr(entry->id + 4, ':') == NULL;
        if (g && !(run > g && (has_org || !country))) {
            if ((err = push(e, field, entry->type, i, i + g, entry)) != NF_OK)
                return err;
            e->cands[e->n_cands - 1].byte_start += trim_b;
            e->cands[e->n_cands - 1].cp_start += trim_c;
            i += g;
            continue;
        }
        /* Titles: the name after them is a person. */
        unsigned cue_kinds = kinds;
        nf_token_t var[4];
        if (!HAS(kinds, K_TITLE) && (t->flags & NF_TOK_ARABIC)) {
            size_t nv = token_variants(f, i, var);
            for (size_t v = 0; v < nv; v++)
                cue_kinds |= lex_kinds(e, var[v].hash);
        }
        if (german_title(e, f->text, t))
            cue_kinds |= 1u << K_TITLE;
        size_t n_org = cyrillic_org(e, f, i);
        if (!n_org && is_upper(t)) {
            /* Deutsche | Raumfahrtagentur */
            size_t adj = i + 1 < f->n && !(f->toks[i + 1].flags & NF_TOK_BREAK) &&
                                 t->byte_end - t->byte_start >= 6 &&
                                 f->text[t->byte_end - 1] == 'e' && (e->active & GERMAN_LANG)
                             ? 1
                             : 0;
            size_t g2 = adj ? german_org(e, f, i + 1) : 0;
            n_org = g2 ? g2 + 1 : german_org(e, f, i);
        }
        if (n_org) {
            if ((err = push(e, field, NF_ENTITY_ORG, i, i + n_org, NULL)) != NF_OK)
                return err;
            i += n_org;
            continue;
        }
        size_t n_named = 0;
        nf_entity_type_t named_type = NF_ENTITY_ORG;
        size_t named_from = i + 1;
        if (HAS(cue_kinds, K_COMPANY)) {
            named_type = NF_ENTITY_ORG; /* "the company X", "la empresa X", "شركة X" */
            n_named = name_after_word(e, f, i + 1, is_cased(t) ? 4 : 2);
        } else if (HAS(cue_kinds, K_VERB) && !is_cased(t)) {
            named_type = NF_ENTITY_PERSON; /* "وقال X Y،" */
            n_named = name_after_word(e, f, i + 1, 3);
            if (n_named < 2)
                n_named = 0;
        } else if (!is_cased(t) && !HAS(kinds, K_STOP) && !HAS(kinds, K_TITLE) &&
                   !arabic_definite(f, t) && person_here(e, f, i)) {
            named_type = NF_ENTITY_PERSON; /* a given name, or a name before its role */
            named_from = i;
            n_named = 2;
        }
        if (n_named) {
            if ((err = push(e, field, named_type, named_from, named_from + n_named, NULL)) != NF_OK)
                return err;
            i = named_from + n_named;
            continue;
        }
        if (HAS(cue_kinds, K_TITLE) || HAS(cue_kinds, K_ABBREV)) {
            size_t from, to, place_from = 0, place_to = 0;
            const nf_gaz_entry_t *place;
            if (name_after_cue(e, f, i, HAS(cue_kinds, K_ABBREV), &from, &to, &place_from,
                               &place_to, &place)) {
                if (place) {
                    if ((err = push(e, field, place->type, place_from, place_to, place)) != NF_OK)
                        return err;
                }
                int org = 0;
                for (size_t k = from; k < to; k++)
                    if (HAS(tok_kinds(e, f, k), K_ORG_WORD))
                        org = 1;
                if ((err = push(e, field, org ? NF_ENTITY_ORG : NF_ENTITY_PERSON, from, to,
                                NULL)) != NF_OK)
                    return err;
                i = to;
                continue;
            }
        }
        if (HAS(cue_kinds, K_PLACE) && !is_cased(t)) {
            /* نهر فارنا, دریاچه ...: the name after a place word is a place. */
            size_t from, to, place_from = 0, place_to = 0;
            const nf_gaz_entry_t *place;
            if (name_after_cue(e, f, i, 0, &from, &to, &place_from, &place_to, &place) && !place &&
                from == i + 1) {
                to = from + 1; /* مدينة ميروغراد | وقطع: the one word */
                if ((err = push(e, field, NF_ENTITY_LOC, from, to, NULL)) != NF_OK)
                    return err;
                i = to;
                continue;
            }
        }
        int romance = romance_head(e, t->hash);
        if (HAS(cue_kinds, K_ORG_HEAD) && (!is_cased(t) || is_upper(t) || romance)) {
            size_t n = org_after_head(e, f, i, romance);
            if (n && is_cased(t) && !is_upper(t) && !HAS(tok_kinds(e, f, i + 1), K_PARTICLE))
                n = 0; /* "ministère de ...", not "union RMTU" */
            if (n && is_cased(t) && !is_upper(t)) {
                /* "ministère de l'Économie": a lower-case head needs a capitalised word. */
                size_t k;
                for (k = i + 1; k < i + n && !is_upper(&f->toks[k]); k++)
                    ;
                if (k == i + n)
                    n = 0;
            }
            if (n) {
                if ((err = push(e, field, NF_ENTITY_ORG, i, i + n, NULL)) != NF_OK)
                    return err;
                i += n;
                continue;
            }
        }
        if (run) {
            size_t start = i;
            /* A function word that starts a sentence is not part of the name; a particle
             * starts one only inside a sentence (de Gaulle); a nationality adjective only a
             * place or an organisation (Persian Gulf, Russian Foreign Ministry). */
            if ((HAS(kinds, K_STOP) &&
                 ((t->flags & NF_TOK_SENT_START) || !HAS(kinds, K_PARTICLE))) ||
                (HAS(kinds, K_ADJ) && !has_org && !has_place)) {
                i++;
                continue;
            }
            /* "Devant le Parlement", "Lokführer von Orvane Rail": a sentence's first word
             * followed by a particle is an ordinary word before an organisation's name. */
            if ((t->flags & NF_TOK_SENT_START) && has_org && run > 2 &&
                !(kinds & (1u << K_ORG_WORD | 1u << K_ORG_HEAD)) &&
                HAS(tok_kinds(e, f, i + 1), K_PARTICLE)) {
                i++;
                continue;
            }
            /* "(ministros de) Energía del Consejo de Cooperación": the name starts at the
             * head word after a particle */
            size_t head = 0;
            for (size_t k = start + 2; has_org && !head && k < start + run; k++)
                if (HAS(tok_kinds(e, f, k), K_ORG_HEAD) && is_upper(&f->toks[k]) &&
                    HAS(tok_kinds(e, f, k - 1), K_PARTICLE))
                    head = k;
            if (head) {
                i = head;
                continue;
            }
            size_t words = 0;
            for (size_t k = start; k < start + run; k++)
                if (!HAS(tok_kinds(e, f, k), K_PARTICLE))
                    words++;
            if (has_place && !has_org && words >= 2) {
                if ((err = push(e, field, NF_ENTITY_LOC, start, start + run, NULL)) != NF_OK)
                    return err;
                i = start + run;
                continue;
            }
            if (has_org && words >= 2) {
                if ((err = push(e, field, NF_ENTITY_ORG, start, start + run, NULL)) != NF_OK)
                    return err;
                i = start + run;
                continue;
            }
            /* "Slovak Economy Minister": a run right before a title qualifies the title. */
            int before_title = start + run < f->n && !(f->toks[start + run].flags & NF_TOK_BREAK) &&
                               (HAS(tok_kinds(e, f, start + run), K_TITLE) ||
                                german_title(e, f->text, &f->toks[start + run]));
            int noun = 0; /* a word with a noun's ending: Transición Ecológica is no person */
            for (size_t k = start; !has_org && words >= 2 && words <= 4 && k < start + run; k++)
                noun |= noun_ending(f, &f->toks[k], k == start + run - 1);
            if (!has_org && words >= 2 && words <= 4 && !HAS(kinds, K_PARTICLE) && !before_title &&
                !noun) {
                if ((err = push(e, field, NF_ENTITY_PERSON, start, start + run, NULL)) != NF_OK)
                    return err;
                i = start + run;
                continue;
            }
            if (run == 1 && (t->flags & NF_TOK_ALL_UPPER) && !f->all_caps &&
                t->cp_end - t->cp_start <= 6 && !roman_numeral(f, t)) {
                if ((err = push(e, field, NF_ENTITY_ORG, i, i + 1, NULL)) != NF_OK)
                    return err;
                i++;
                continue;
            }
            if (run == 1 && i > 0 && !(t->flags & (NF_TOK_BREAK | NF_TOK_SENT_START)) &&
                (tok_kinds(e, f, i - 1) & (1u << K_PREP | 1u << K_PLACE)) && !HAS(kinds, K_STOP) &&
                !(t->flags & NF_TOK_ALL_UPPER) && t->cp_end - t->cp_start > 3) {
                /* "in Velmora": a capitalised word after a locative preposition. */
                if ((err = push(e, field, NF_ENTITY_LOC, i, i + 1, NULL)) != NF_OK)
                    return err;
                i++;
                continue;
            }
        }
        i++;
    }
    return NF_OK;
}

/* Headline case and German nouns make capitalisation worthless as evidence for names. */
static void judge_case(const nf_entities_t *e, field_t *f)
{
    size_t cased = 0, upper = 0, all_upper = 0, german = 0, lower = 0;
    for (size_t i = 0; i < f->n; i++) {
        const nf_token_t *t = &f->toks[i];
        if (!is_cased(t))
            continue;
        if ((e->active & GERMAN_LANG) && t->cp_end - t->cp_start <= 5 &&
            (german_bits >> (t->hash >> 58) & 1))
            for (size_t g = 0; g < N_GERMAN_WORDS; g++)
                if (t->hash == german_hashes[g])
                    german++;
        if (t->cp_end - t->cp_start < 4)
            continue;
        cased++;
        if (t->flags & NF_TOK_ALL_UPPER)
            all_upper++;
        if (is_upper(t) && !(t->flags & NF_TOK_SENT_START))
            upper++;
        if (!is_upper(t))
            lower++;
    }
    f->all_caps = cased >= 3 && all_upper * 2 > cased;
    /* Headline Case, or German: every noun capitalised. */
    f->title_case =
        (cased >= 3 && lower == 0 && upper >= 2) || (german >= 2 && german * 25 >= f->n);
}

static nf_err_t tokenize_field(const nf_entities_t *e, field_t *f, const char *text, size_t len)
{
    f->text = text ? text : "";
    f->len = text ? len : 0;
    for (;;) {
        size_t n = nf_tokenize(f->text, f->len, f->toks, f->cap);
        if (n <= f->cap) {
            f->n = n;
            break;
        }
        size_t cap = n + n / 4 + 16;
        nf_token_t *t = nf_realloc(f->toks, cap * sizeof(*t));
        if (!t)
            return NF_ERR_NOMEM;
        f->toks = t;
        gaz_memo_t *m = nf_realloc(f->memo, cap * sizeof(*m));
        if (!m)
            return NF_ERR_NOMEM;
        f->memo = m;
        f->cap = cap;
    }
    for (size_t i = 0; i < f->n; i++) { /* "not yet" for each memo; the rest is set with it */
        f->memo[i].known = 0;
        f->memo[i].var_known = 0;
        f->memo[i].kinds = 0;
    }
    judge_case(e, f);
    return NF_OK;
}

static const char *type_prefix(nf_entity_type_t type)
{
    return type == NF_ENTITY_PERSON ? "person:" : type == NF_ENTITY_ORG ? "org:" : "loc:";
}

static nf_err_t refresh_user_keys(nf_entities_t *e)
{
    uint64_t gen = e->user ? nf_gazetteer_generation(e->user) : 0;
    if (e->keyed == gen)
        return NF_OK;
    e->n_user_keys = 0;
    e->keyed = 0;
    if (!e->user)
        return NF_OK;
    size_t n = nf_gazetteer_entries(e->user);
    user_key_t *keys = nf_realloc(e->user_keys, (n ? n : 1) * sizeof(*keys));
    if (!keys)
        return NF_ERR_NOMEM;
    e->user_keys = keys;
    for (size_t i = 0; i < n; i++) {
        const nf_gaz_entry_t *ent = nf_gazetteer_entry_at(e->user, i);
        if (ent->type != NF_ENTITY_PERSON)
            continue;
        user_key_t *k = &keys[e->n_user_keys];
        if (nf_entkey_name(e->keys, ent->type, ent->name, strlen(ent->name), k->key,
                           sizeof(k->key)) != NF_OK ||
            !k->key[0])
            continue;
        k->entry = ent;
        e->n_user_keys++;
    }
    e->keyed = gen;
    return NF_OK;
}

/* The key of a name through the tagger's cache. */
static nf_err_t cached_key(nf_entities_t *e, nf_entity_type_t type, const char *name,
                           size_t name_len, char key[NF_ENTKEY_MAX])
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)type;
    for (size_t b = 0; b < name_len; b++)
        h = (h ^ (uint8_t)name[b]) * 1099511628211ull;
    h |= 1; /* never 0 */
    key_slot_t *slot = &e->key_cache[(h >> 20) & (KEY_CACHE_SLOTS - 1)];
    if (slot->hash == h) {
        memcpy(key, slot->key, strlen(slot->key) + 1);
        return NF_OK;
    }
    nf_err_t err = nf_entkey_name(e->keys, type, name, name_len, key, NF_ENTKEY_MAX);
    if (err != NF_OK)
        return err;
    size_t kl = strlen(key);
    if (kl < sizeof(slot->key)) {
        slot->hash = h;
        memcpy(slot->key, key, kl + 1);
    }
    return NF_OK;
}

/* prefix + rest into id, cut to size (what snprintf("%s%s") did, without its cost) */
static void set_id(char *id, size_t size, const char *prefix, const char *rest)
{
    size_t pl = strlen(prefix), rl = strlen(rest);
    if (pl > size - 1)
        pl = size - 1;
    if (rl > size - 1 - pl)
        rl = size - 1 - pl;
    memcpy(id, prefix, pl);
    memcpy(id + pl, rest, rl);
    id[pl + rl] = '\0';
}

static nf_err_t assign_ids(nf_entities_t *e)
{
    for (size_t c = 0; c < e->n_cands; c++) {
        cand_t *cand = &e->cands[c];
        if (cand->gaz) {
            set_id(cand->id, sizeof(cand->id), "", cand->gaz->id);
            continue;
        }
        const field_t *f = &e->fields[cand->field];
        char key[NF_ENTKEY_MAX];
        nf_err_t err = cached_key(e, cand->type, f->text + cand->byte_start,
                                  cand->byte_end - cand->byte_start, key);
        if (err != NF_OK)
            return err;
        /* A discovered place or organisation links to a built-in one with the same key. */
        if (cand->type != NF_ENTITY_PERSON && strlen(key) >= 3)
            cand->gaz = place_by_key(e, cand->type, key);
        /* A discovered name links to a user gazetteer person with the same key. */
        for (size_t k = 0; cand->type == NF_ENTITY_PERSON && k < e->n_user_keys; k++)
            if (strcmp(e->user_keys[k].key, key) == 0) {
                cand->gaz = e->user_keys[k].entry;
                break;
            }
        if (cand->gaz)
            set_id(cand->id, sizeof(cand->id), "", cand->gaz->id);
        else
            set_id(cand->id, sizeof(cand->id), type_prefix(cand->type), key);
    }
    return NF_OK;
}

/* The country a candidate's neighbours name: a country found just before it ("Kenya's Ministry
 * of Health", "Kenya Ministry of Health") or just after it, possibly after one connector
 * ("ministerio de Salud de Chile"), or a nationality adjective right after it ("le ministère de
 * la Santé sénégalais"). Writes the country's id without "loc:" and returns 1, else 0. */
static int country_near(const nf_entities_t *e, const cand_t *c, char *place, size_t size)
{
    const field_t *f = &e->fields[c->field];
    for (size_t o = 0; o < e->n_cands; o++) {
        const cand_t *l = &e->cands[o];
        if (l->type != NF_ENTITY_LOC || l->field != c->field || strncmp(l->id, "loc:", 4) != 0 ||
            strchr(l->id + 4, ':'))
            continue; /* countries only: a city's body is not the country's */
        int before = l->tok_end == c->tok_start ||
                     (l->tok_end + 1 == c->tok_start && l->tok_end < f->n &&
                      f->toks[l->tok_end].byte_end - f->toks[l->tok_end].byte_start == 1 &&
                      (f->text[f->toks[l->tok_end].byte_start] | 0x20) == 's' &&
                      !(f->toks[l->tok_end].flags & NF_TOK_BREAK)); /* Kenya's */
        int after = l->tok_start == c->tok_end ||
                    (l->tok_start == c->tok_end + 1 && is_connector(f->toks[c->tok_end].hash) &&
                     !(f->toks[c->tok_end].flags & NF_TOK_BREAK));
        if ((before && !(f->toks[c->tok_start].flags & NF_TOK_BREAK)) ||
            (after && !(f->toks[l->tok_start].flags & NF_TOK_BREAK) &&
             !(f->toks[c->tok_end].flags & NF_TOK_BREAK))) {
            snprintf(place, size, "%s", l->id + 4);
            return 1;
        }
    }
    if (c->tok_end < f->n && !(f->toks[c->tok_end].flags & NF_TOK_BREAK)) {
        const nf_token_t *t = &f->toks[c->tok_end];
        return nf_entkey_demonym(f->text + t->byte_start, t->byte_end - t->byte_start, place, size);
    }
    return 0;
}

/* A generic body (a key of concepts only: org:health-ministry) takes the country its
 * neighbours name, and its other mentions in the article without a country of their own take
 * it too, unless the article names two for it: Kenya's Ministry of Health is
 * org:health-ministry-ke, Senegal's "ministère de la Santé sénégalais" org:health-ministry-sn. */
#define MAX_GENERIC 8
static nf_err_t generic_org_countries(nf_entities_t *e)
{
    struct {
        char id[sizeof(e->cands[0].id)];
        char place[16];
        int conflict;
    } seen[MAX_GENERIC];
    int n_seen = 0;
    for (size_t c = 0; c < e->n_cands; c++) {
        cand_t *cand = &e->cands[c];
        if (cand->type != NF_ENTITY_ORG || cand->gaz || strncmp(cand->id, "org:", 4) != 0 ||
            !nf_entkey_org_generic(cand->id + 4))
            continue;
        char place[16];
        if (!country_near(e, cand, place, sizeof(place)))
            continue;
        int s;
        for (s = 0; s < n_seen && strcmp(seen[s].id, cand->id) != 0; s++)
            ;
        if (s == n_seen && n_seen < MAX_GENERIC) {
            snprintf(seen[s].id, sizeof(seen[s].id), "%s", cand->id);
            snprintf(seen[s].place, sizeof(seen[s].place), "%s", place);
            seen[s].conflict = 0;
            n_seen++;
        } else if (s < n_seen && strcmp(seen[s].place, place) != 0) {
            seen[s].conflict = 1;
        }
        char key[NF_ENTKEY_MAX];
        nf_entkey_org_with_place(cand->id + 4, place, key, sizeof(key));
        set_id(cand->id, sizeof(cand->id), "org:", key);
    }
    for (size_t c = 0; c < e->n_cands && n_seen; c++) {
        cand_t *cand = &e->cands[c];
        if (cand->type != NF_ENTITY_ORG || cand->gaz)
            continue;
        for (int s = 0; s < n_seen; s++)
            if (!seen[s].conflict && strcmp(seen[s].id, cand->id) == 0) {
                char key[NF_ENTKEY_MAX];
                nf_entkey_org_with_place(cand->id + 4, seen[s].place, key, sizeof(key));
                set_id(cand->id, sizeof(cand->id), "org:", key);
                break;
            }
    }
    return NF_OK;
}

/* The first code point of UTF-8 text, folded as the tokenizer folds it; *len its bytes. */
static uint32_t first_folded(const char *s, size_t avail, size_t *len)
{
    const uint8_t *u = (const uint8_t *)s;
    uint32_t c = u[0];
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (n > avail) {
        *len = avail ? avail : 1;
        return 0;
    }
    if (n > 1) {
        c &= 0x3Fu >> (n - 1);
        for (size_t k = 1; k < n; k++)
            c = c << 6 | (u[k] & 0x3Fu);
    }
    *len = n;
    return nf_fold_cp((int32_t)c);
}

/* An acronym defined in parentheses right after an organisation's name ("European Space
 * Agency (ESA)", "Федеральная антимонопольная служба (ФАС)") is that organisation in the whole
 * article: its mentions take the name's id, which links across languages where acronyms differ.
 * The acronym's letters must be the initials of the name's words, function words left out. */
static nf_err_t defined_acronyms(nf_entities_t *e)
{
    for (size_t a = 0; a < e->n_cands; a++) {
        cand_t *acr = &e->cands[a];
        const field_t *f = &e->fields[acr->field];
        if (acr->type != NF_ENTITY_ORG || acr->gaz || acr->tok_end != acr->tok_start + 1 ||
            !(f->toks[acr->tok_start].flags & NF_TOK_ALL_UPPER) || acr->tok_start == 0)
            continue;
        /* "Name (ACR)": only blanks and the bracket between, the closing one after */
        size_t b = acr->byte_start;
        if (b == 0 || f->text[b - 1] != '(' || acr->byte_end >= f->len ||
            f->text[acr->byte_end] != ')')
            continue;
        b--;
        while (b > 0 && f->text[b - 1] == ' ')
            b--;
        const cand_t *name = NULL;
        for (size_t o = 0; o < e->n_cands && !name; o++)
            if (e->cands[o].field == acr->field && e->cands[o].type == NF_ENTITY_ORG &&
                e->cands[o].byte_end == b && e->cands[o].tok_end == acr->tok_start &&
                strcmp(e->cands[o].id, acr->id) != 0)
                name = &e->cands[o];
        if (!name)
            continue;
        /* the initials of the name's words against the acronym's letters */
        const char *letters = f->text + acr->byte_start;
        size_t left = acr->byte_end - acr->byte_start, match = 1;
        for (size_t k = name->tok_start; k < name->tok_end && match; k++) {
            const nf_token_t *t = &f->toks[k];
            if (is_connector(t->hash) && k > name->tok_start)
                continue;
            size_t la = 0, lw = 0;
            uint32_t ca = left ? first_folded(letters, left, &la) : 0;
            uint32_t cw = first_folded(f->text + t->byte_start, t->byte_end - t->byte_start, &lw);
            match = left && ca && ca == cw;
            letters += left ? la : 0;
            left -= left ? la : 0;
        }
        if (!match || left)
            continue;
        char old_id[sizeof(acr->id)], new_id[sizeof(acr->id)];
        memcpy(old_id, acr->id, sizeof(old_id));
        memcpy(new_id, name->id, sizeof(new_id));
        for (size_t o = 0; o < e->n_cands; o++)
            if (!e->cands[o].gaz && strcmp(e->cands[o].id, old_id) == 0)
                memcpy(e->cands[o].id, new_id, sizeof(new_id));
    }
    return NF_OK;
}

/* A surname alone (or any later word equal to the last word of a person found in this
 * article) is that person. */
static nf_err_t link_surnames(nf_entities_t *e)
{
    size_t strong = e->n_cands;
    if (!strong)
        return NF_OK;
    /* The persons to link to, in candidate order: all of them by last word, the discovered
     * ones by key. */
    if (e->cap_link < strong) {
        uint32_t *idx = nf_realloc(e->link_idx, 2 * strong * sizeof(*idx));
        if (!idx)
            return NF_ERR_NOMEM;
        e->link_idx = idx;
        e->cap_link = strong;
    }
    uint32_t *pers = e->link_idx, *disc = e->link_idx + strong;
    size_t n_pers = 0, n_disc = 0;
    for (size_t c = 0; c < strong; c++) {
        const cand_t *p = &e->cands[c];
        if (p->type != NF_ENTITY_PERSON)
            continue;
        if (p->id[0])
            pers[n_pers++] = (uint32_t)c;
        if (!p->gaz && strncmp(p->id, "person:", 7) == 0)
            disc[n_disc++] = (uint32_t)c;
    }
    if (!n_pers)
        return NF_OK; /* nobody to link to */
    for (int field = 0; field < 2; field++) {
        const field_t *f = &e->fields[field];
        size_t next = 0; /* strong candidates of this field in token order */
        for (size_t i = 0; i < f->n; i++) {
            const nf_token_t *t = &f->toks[i];
            int covered = 0;
            for (; next < strong; next++) {
                const cand_t *c = &e->cands[next];
                if (c->field < field || (c->field == field && c->tok_end <= i))
                    continue;
                covered = c->field == field && c->tok_start <= i;
                break;
            }
            if (covered || (is_cased(t) && !is_upper(t)))
                continue;
            nf_token_t var[4];
            size_t nv = 0;
            var[nv++] = *t;
            nv += token_variants(f, i, var + 1);
            size_t c = strong, v = 0;
            for (size_t k = 0; k < n_pers; k++) {
                const cand_t *p = &e->cands[pers[k]];
                for (v = 0; v < nv && var[v].hash != p->last_hash; v++)
                    ;
                if (v < nv) {
                    c = pers[k];
                    break;
                }
            }
            if (c == strong && n_disc && is_cased(t) && !(t->flags & NF_TOK_ALL_UPPER) &&
                t->cp_end - t->cp_start >= 4 &&
                !(tok_kinds(e, f, i) & (1u << K_STOP | 1u << K_TITLE | 1u << K_PARTICLE |
                                        1u << K_ADJ | 1u << K_ORG_WORD | 1u << K_PLACE))) {
                /* Another spelling or case form of a surname found in this article
                 * (Zelensky / Zelenskyy, Зеленский / Зеленского): same key. */
                char key[NF_ENTKEY_MAX] = "";
                nf_err_t err = cached_key(e, NF_ENTITY_PERSON, f->text + t->byte_start,
                                          t->byte_end - t->byte_start, key);
                if (err != NF_OK)
                    return err;
                for (size_t k = 0; strlen(key) >= 3 && k < n_disc; k++) /* else too short */
                    if (strcmp(e->cands[disc[k]].id + 7, key) == 0) {
                        c = disc[k];
                        break;
                    }
                v = 0;
            }
            if (c < strong) {
                const cand_t *p = &e->cands[c];
                const nf_gaz_entry_t *gaz = p->gaz;
                char id[sizeof(p->id)];
                memcpy(id, p->id, sizeof(id)); /* push may move the array */
                nf_err_t err = push(e, field, NF_ENTITY_PERSON, i, i + 1, gaz);
                if (err != NF_OK)
                    return err;
                cand_t *n = &e->cands[e->n_cands - 1];
                n->byte_start = var[v].byte_start;
                n->cp_start = var[v].cp_start;
                memcpy(n->id, id, sizeof(id));
                /* Take the words before it that repeat the person's name (Iryna | Kovalyk) or
                 * a name particle (Al-Attar). */
                const cand_t *pc = &e->cands[c];
                const field_t *pf = &e->fields[pc->field];
                size_t ft = i, pt = pc->tok_end - 1;
                while (ft > 0 && pt > pc->tok_start && !(f->toks[ft].flags & NF_TOK_BREAK) &&
                       f->toks[ft - 1].hash == pf->toks[pt - 1].hash) {
                    ft--;
                    pt--;
                }
                if (ft == i && i > 0 && !(f->toks[i].flags & NF_TOK_BREAK) && nv == 1 &&
                    HAS(tok_kinds(e, f, i - 1), K_PARTICLE) &&
                    (!is_cased(&f->toks[i - 1]) || is_upper(&f->toks[i - 1])))
                    ft = i - 1;
                if (ft < i) {
                    int clash = 0; /* never into a word another candidate holds */
                    for (size_t o = 0; o < strong; o++)
                        if (e->cands[o].field == field && e->cands[o].tok_end > ft &&
                            e->cands[o].tok_start < i)
                            clash = 1;
                    if (!clash) {
                        n->tok_start = (uint32_t)ft;
                        n->byte_start = f->toks[ft].byte_start;
                        n->cp_start = f->toks[ft].cp_start;
                    }
                }
            }
        }
    }
    return NF_OK;
}

static int same_words(const nf_entities_t *e, const cand_t *a, int field, size_t from)
{
    const field_t *fa = &e->fields[a->field], *fb = &e->fields[field];
    size_t len = a->tok_end - a->tok_start;
    if (from + len > fb->n)
        return 0;
    for (size_t k = 0; k < len; k++)
        if (fa->toks[a->tok_start + k].hash != fb->toks[from + k].hash ||
            (k && (fb->toks[from + k].flags & NF_TOK_BREAK)))
            return 0;
    return 1;
}

static int cmp_cand_pos(const void *a, const void *b)
{
    const cand_t *x = a, *y = b;
    if (x->field != y->field)
        return x->field < y->field ? -1 : 1;
    return x->tok_start < y->tok_start ? -1 : x->tok_start > y->tok_start;
}

/* An organisation discovered somewhere in the article (after a cue, with an organisation
 * word) is one wherever its words recur: a capitalised run read as a person elsewhere turns
 * into it, and its words in a headline or in Arabic script, where nothing else marks them, are
 * found. Candidates stay in field and token order. */
static nf_err_t repeat_orgs(nf_entities_t *e)
{
    size_t strong = e->n_cands;
    for (size_t c = 0; c < strong; c++) {
        if (e->cands[c].type != NF_ENTITY_ORG || e->cands[c].gaz)
            continue;
        for (size_t d = 0; d < strong; d++) {
            cand_t *o = &e->cands[d];
            if (o->type == NF_ENTITY_PERSON && !o->gaz &&
                o->tok_end - o->tok_start == e->cands[c].tok_end - e->cands[c].tok_start &&
                same_words(e, &e->cands[c], o->field, o->tok_start))
                o->type = NF_ENTITY_ORG;
        }
    }
    for (size_t c = 0; c < strong; c++) {
        if (e->cands[c].type != NF_ENTITY_ORG || e->cands[c].gaz)
            continue;
        size_t len = e->cands[c].tok_end - e->cands[c].tok_start, seen;
        for (seen = 0; seen < c; seen++) /* an earlier one with the same words did it */
            if (e->cands[seen].type == NF_ENTITY_ORG && !e->cands[seen].gaz &&
                e->cands[seen].tok_end - e->cands[seen].tok_start == len &&
                same_words(e, &e->cands[c], e->cands[seen].field, e->cands[seen].tok_start))
                break;
        if (seen < c)
            continue;
        for (int field = 0; field < 2; field++) {
            const field_t *f = &e->fields[field];
            for (size_t i = 0; i + len <= f->n; i++) {
                if (f->toks[i].hash !=
                        e->fields[e->cands[c].field].toks[e->cands[c].tok_start].hash ||
                    !same_words(e, &e->cands[c], field, i))
                    continue;
                int covered = 0;
                for (size_t o = 0; o < e->n_cands && !covered; o++)
                    covered = e->cands[o].field == field && e->cands[o].tok_start < i + len &&
                              e->cands[o].tok_end > i;
                if (covered)
                    continue;
                nf_err_t err = push(e, field, NF_ENTITY_ORG, i, i + len, NULL);
                if (err != NF_OK)
                    return err;
            }
        }
    }
    if (e->n_cands > strong)
        qsort(e->cands, e->n_cands, sizeof(cand_t), cmp_cand_pos);
    return NF_OK;
}

/* Candidates by id, then field and position (glibc's qsort is a merge sort: stable, so equal
 * keys keep the candidates' order). Sorted through pointers: a candidate is ~190 bytes. */
static int cmp_cand_id(const void *a, const void *b)
{
    const cand_t *x = *(const cand_t *const *)a, *y = *(const cand_t *const *)b;
    int c = strcmp(x->id, y->id);
    if (c)
        return c;
    if (x->field != y->field)
        return x->field < y->field ? -1 : 1;
    return x->cp_start < y->cp_start ? -1 : x->cp_start > y->cp_start;
}

static int cmp_entity_first(const void *a, const void *b)
{
    const nf_entity_t *x = a, *y = b;
    const nf_mention_t *mx = &x->mentions[0], *my = &y->mentions[0];
    int fx = mx->field[0] == 't' ? 0 : 1, fy = my->field[0] == 't' ? 0 : 1; /* title, body */
    if (fx != fy)
        return fx - fy;
    if (mx->start != my->start)
        return mx->start < my->start ? -1 : 1;
    return strcmp(x->id, y->id);
}

static char *put_string(char **chars, const char *s, size_t len)
{
    char *at = *chars;
    memcpy(at, s, len);
    at[len] = '\0';
    *chars += len + 1;
    return at;
}

/* The list in one allocation (entities, then every mention array, then the strings): one
 * malloc and one free per article instead of three per entity and one per mention. */
static nf_err_t build_output(nf_entities_t *e, nf_entity_list_t *out)
{
    /* Drop candidates without an id, then group by id. */
    size_t n = 0;
    for (size_t c = 0; c < e->n_cands; c++)
        if (e->cands[c].id[0])
            e->cands[n++] = e->cands[c];
    e->n_cands = n;
    if (!n)
        return NF_OK;
    if (e->cap_order < n) {
        cand_t **order = nf_realloc(e->order, n * sizeof(*order));
        if (!order)
            return NF_ERR_NOMEM;
        e->order = order;
        e->cap_order = n;
    }
    cand_t **order = e->order;
    for (size_t c = 0; c < n; c++)
        order[c] = &e->cands[c];
    qsort(order, n, sizeof(*order), cmp_cand_id);
    /* Sizes: per group its id, its display name (the longest mention's) and mention texts. */
    size_t groups = 0, chars = 0;
    for (size_t c = 0; c < n;) {
        size_t end = c + 1;
        while (end < n && strcmp(order[end]->id, order[c]->id) == 0)
            end++;
        const cand_t *longest = order[c];
        for (size_t m = c; m < end; m++) {
            chars += order[m]->byte_end - order[m]->byte_start + 1;
            if (order[m]->byte_end - order[m]->byte_start > longest->byte_end - longest->byte_start)
                longest = order[m];
        }
        chars += strlen(order[c]->id) + 1;
        chars += (longest->gaz ? strlen(longest->gaz->name)
                               : (size_t)(longest->byte_end - longest->byte_start)) +
                 1;
        groups++;
        c = end;
    }
    char *block = nf_malloc(groups * sizeof(nf_entity_t) + n * sizeof(nf_mention_t) + chars);
    if (!block)
        return NF_ERR_NOMEM;
    out->items = (nf_entity_t *)block;
    nf_mention_t *mentions = (nf_mention_t *)(block + groups * sizeof(nf_entity_t));
    char *text = (char *)(mentions + n);
    size_t c = 0;
    while (c < n) {
        size_t end = c + 1;
        while (end < n && strcmp(order[end]->id, order[c]->id) == 0)
            end++;
        nf_entity_t *ent = &out->items[out->count++];
        ent->type = order[c]->type;
        ent->id = put_string(&text, order[c]->id, strlen(order[c]->id));
        ent->mentions = mentions;
        ent->n_mentions = 0;
        mentions += end - c;
        const cand_t *longest = order[c];
        for (size_t m = c; m < end; m++) {
            const cand_t *cand = order[m];
            const field_t *f = &e->fields[cand->field];
            nf_mention_t *men = &ent->mentions[ent->n_mentions++];
            men->field = cand->field ? "body" : "title";
            men->start = cand->cp_start;
            men->end = cand->cp_end;
            men->text =
                put_string(&text, f->text + cand->byte_start, cand->byte_end - cand->byte_start);
            if (cand->byte_end - cand->byte_start > longest->byte_end - longest->byte_start)
                longest = cand;
        }
        if (longest->gaz) {
            ent->name = put_string(&text, longest->gaz->name, strlen(longest->gaz->name));
            ent->type = longest->gaz->type;
        } else {
            const field_t *f = &e->fields[longest->field];
            ent->name = put_string(&text, f->text + longest->byte_start,
                                   longest->byte_end - longest->byte_start);
        }
        c = end;
    }
    qsort(out->items, out->count, sizeof(nf_entity_t), cmp_entity_first);
    return NF_OK;
}

nf_err_t nf_entities_tag(nf_entities_t *e, const char *title, size_t title_len, const char *body,
                         size_t body_len, const nf_lang_t *lang, nf_entity_list_t *out)
{
    out->items = NULL;
    out->count = 0;
    e->n_cands = 0;
    e->active = active_languages(lang);
    e->user = nf_gazetteer_user_acquire();
    nf_err_t err;
    if ((err = refresh_user_keys(e)) != NF_OK ||
        (err = tokenize_field(e, &e->fields[0], title, title_len)) != NF_OK ||
        (err = tokenize_field(e, &e->fields[1], body, body_len)) != NF_OK ||
        (err = discover_field(e, 0)) != NF_OK || (err = discover_field(e, 1)) != NF_OK ||
        (err = repeat_orgs(e)) != NF_OK || (err = assign_ids(e)) != NF_OK ||
        (err = generic_org_countries(e)) != NF_OK || (err = defined_acronyms(e)) != NF_OK ||
        (err = link_surnames(e)) != NF_OK || (err = build_output(e, out)) != NF_OK) {
        nf_entity_list_clear(out);
    }
    nf_gazetteer_user_release(e->user);
    e->user = NULL;
    return err;
}
