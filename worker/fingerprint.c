/* Fingerprints: exact key, b-bit MinHash + LSH bands, story signature. See fingerprint.h.
 * MinHash: Broder 1997; b-bit estimator: Li & König, "b-Bit Minwise Hashing" (WWW 2010). */
#include "newsflow/fingerprint.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

#include "ascii_run.h"
#include "newsflow/alloc.h"
#include "newsflow/article.h"
#include "newsflow/buf.h"
#include "newsflow/dedup.h"
#include "newsflow/numbers.h"

#define MAX_CANDIDATES 96
#define MAX_NUMBERS 64
#define MAX_MENTIONS 128 /* entity mentions in the body looked at (given names, nouns_cased) */
#define SHINGLE_WORDS 2
/* Name tokens repeat (the same people and places all day long): the key of a token is a pure
 * function of its text, so a direct-mapped cache keyed by the token's hash saves the stop-list
 * lookup and ICU's transliteration (the bulk of the stage's cost) for every repeat. */
#define NAME_CACHE_SLOTS 8192 /* power of two; about 600 KiB per fingerprinter */
#define NAME_CACHE_TOKEN 32   /* UTF-16 units; longer tokens are not cached */
#define STOP_SLOTS 1024       /* power of two, > 2 x the stop list */

typedef struct name_cache_entry {
    uint32_t hash;
    uint32_t key; /* the name key, 0 = not a name */
    uint16_t len; /* 0 = empty slot */
    UChar tok[NAME_CACHE_TOKEN];
} name_cache_entry_t;

struct nf_fingerprinter {
    const UNormalizer2 *nfkc_cf;
    UTransliterator *to_latin; /* not thread-safe: one per fingerprinter */
    UChar *u16, *folded;
    int32_t u16_cap, folded_cap;
    uint64_t *shingles;
    size_t shingles_cap;
    nf_number_t numbers[MAX_NUMBERS];
    nf_numbers_scratch_t numbers_scratch;
    char *u8; /* the folded text as UTF-8, for its sha256 */
    size_t u8_cap;
    name_cache_entry_t *name_cache;
    uint64_t mh_mul[NF_MINHASH_K], mh_add[NF_MINHASH_K]; /* the K hash functions */
    const char *stop[STOP_SLOTS]; /* the stop list as an open-addressing set */
};

nf_match_params_t nf_match_params_default(void)
{
    nf_match_params_t p = {0.55, 72 * 3600, 3, 99};
    return p;
}

static uint64_t mix64(uint64_t x)
{
    /* splitmix64 finalizer */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

#define FNV_PRIME 0x100000001b3ULL

uint64_t nf_fnv1a(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= FNV_PRIME;
    }
    return h;
}

#define FNV_BASIS NF_FNV1A_BASIS

uint64_t nf_fnv1a_utf16(uint64_t h, const uint16_t *units, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* A unit's bytes in memory are its low byte, then its high byte. Below U+0100 (ASCII and
     * Latin-1: most of a Latin-script text) the high byte is 0, whose step (xor 0, multiply)
     * is a multiply only: the unit's two steps are one multiply by the prime squared. */
    const uint64_t prime2 = FNV_PRIME * FNV_PRIME;
    for (size_t i = 0; i < n; i++) {
        uint16_t u = units[i];
        h ^= (uint8_t)u;
        if (u < 0x100) {
            h *= prime2;
        } else {
            h *= FNV_PRIME;
            h ^= (uint8_t)(u >> 8);
            h *= FNV_PRIME;
        }
    }
    return h;
#else
    return nf_fnv1a(h, units, n * sizeof(uint16_t));
#endif
}

static uint32_t key32(const char *tag, const void *data, size_t len)
{
    uint64_t h = nf_fnv1a(FNV_BASIS, tag, strlen(tag));
    return (uint32_t)(mix64(nf_fnv1a(h, data, len)) >> 32);
}

static int is_token_char_icu(UChar32 c)
{
    if (c < 128)
        return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    return u_isalnum(c) || (U_GET_GC_MASK(c) & U_GC_M_MASK);
}

/* The same answers for the BMP from a bitmap built once (8 KiB): two ICU property lookups per
 * code point, for every code point of the text twice (shingles, names), were a tenth of the
 * stage's instructions. */
static uint8_t token_bmp[0x10000 / 8];
static pthread_once_t token_bmp_once = PTHREAD_ONCE_INIT;

/* White space of the exact key's text, by UTF-16 unit (a surrogate is none), from the same
 * one-time pass: u_isUWhiteSpace for every non-ASCII unit of the folded text was a call each. */
static uint8_t space_bmp[0x10000 / 8];

/* The token scans read UTF-16 units: by unit, a BMP token character, none, or a surrogate
 * (whose pair is decoded and asked). One load per unit where a unit took U16_NEXT's tests and a
 * bitmap's shift and mask (64 KiB; a text touches a few lines of it). */
enum { TOKEN_NO, TOKEN_YES, TOKEN_SURROGATE };
static uint8_t token_unit[0x10000];

/* NFKC_Casefold by UTF-16 unit, for the exact key's folding: a unit that always has a
 * normalization boundary before it (FOLD_BOUNDARY) starts a piece of text that folds on its own
 * (ICU's unorm2_hasBoundaryBefore), so a unit between two boundaries folds to what it folds to
 * alone: one unit (FOLD_ONE, fold_unit) or none (FOLD_EMPTY: default ignorables). Everything
 * else (marks, Hangul jamo, surrogates, a unit folding to several) goes to ICU a piece at a time,
 * from boundary to boundary. Built with the token tables. */
enum { FOLD_BOUNDARY = 1, FOLD_ONE = 2, FOLD_EMPTY = 4 };
static uint8_t fold_kind[0x10000];
static UChar fold_unit[0x10000];

static void fold_build(void)
{
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *nfkc_cf = unorm2_getNFKCCasefoldInstance(&st);
    if (U_FAILURE(st))
        return; /* no boundary anywhere: the whole text goes to ICU as one piece */
    for (UChar32 c = 0; c < 0x10000; c++) {
        if (U16_IS_SURROGATE(c))
            continue;
        uint8_t kind = unorm2_hasBoundaryBefore(nfkc_cf, c) ? FOLD_BOUNDARY : 0;
        UChar in = (UChar)c, out[8];
        st = U_ZERO_ERROR;
        int32_t n = unorm2_normalize(nfkc_cf, &in, 1, out, 8, &st);
        if (U_SUCCESS(st) && n == 0) {
            kind |= FOLD_EMPTY;
        } else if (U_SUCCESS(st) && n == 1 && !U16_IS_SURROGATE(out[0])) {
            kind |= FOLD_ONE;
            fold_unit[c] = out[0];
        }
        fold_kind[c] = kind;
    }
}

static void token_bmp_build(void)
{
    fold_build();
    for (UChar32 c = 0; c < 0x10000; c++) {
        token_unit[c] = U16_IS_SURROGATE(c)    ? TOKEN_SURROGATE
                        : is_token_char_icu(c) ? TOKEN_YES
                                               : TOKEN_NO;
        if (is_token_char_icu(c))
            token_bmp[c >> 3] |= (uint8_t)(1u << (c & 7));
        if (c < 128 ? c == ' ' || (c >= 0x09 && c <= 0x0d) : u_isUWhiteSpace(c))
            space_bmp[c >> 3] |= (uint8_t)(1u << (c & 7));
    }
}

static inline int is_token_char(UChar32 c)
{
    if (c < 0x10000)
        return token_bmp[c >> 3] >> (c & 7) & 1;
    return is_token_char_icu(c);
}

/* The end of the run of token characters (and of '-' with `hyphen`) that starts at t[e]. */
static inline int32_t token_run_end(const UChar *t, int32_t e, int32_t len, int hyphen)
{
    for (;;) {
        while (e < len && (token_unit[t[e]] == TOKEN_YES || (hyphen && t[e] == '-')))
            e++;
        if (e < len && token_unit[t[e]] == TOKEN_SURROGATE) {
            int32_t k = e;
            UChar32 c;
            U16_NEXT(t, k, len, c);
            if (is_token_char(c)) {
                e = k;
                continue;
            }
        }
        return e;
    }
}

int nf_fingerprint_token_char(int32_t c)
{
    pthread_once(&token_bmp_once, token_bmp_build);
    return is_token_char(c);
}

static void stop_build(nf_fingerprinter_t *f);

nf_fingerprinter_t *nf_fingerprinter_new(char *errstr, size_t errstr_size)
{
    pthread_once(&token_bmp_once, token_bmp_build);
    nf_fingerprinter_t *f = nf_calloc(1, sizeof(*f));
    if (!f) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    UErrorCode st = U_ZERO_ERROR;
    f->nfkc_cf = unorm2_getNFKCCasefoldInstance(&st);
    if (U_FAILURE(st)) {
        snprintf(errstr, errstr_size, "ICU NFKC_Casefold: %s", u_errorName(st));
        goto fail;
    }
    static const UChar id[] = u"Any-Latin; Latin-ASCII";
    f->to_latin = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, NULL, &st);
    if (U_FAILURE(st)) {
        snprintf(errstr, errstr_size, "ICU transliterator Any-Latin: %s", u_errorName(st));
        goto fail;
    }
    f->name_cache = nf_calloc(NAME_CACHE_SLOTS, sizeof(name_cache_entry_t));
    if (!f->name_cache) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    stop_build(f);
    /* h -> (a h + b) >> 32 with a odd: multiply-add-shift (Dietzfelbinger 1996), on a shingle
     * hash that is already well mixed; one multiply per value instead of a full mix64 */
    for (int k = 0; k < NF_MINHASH_K; k++) {
        f->mh_mul[k] = mix64(0x9e3779b97f4a7c15ULL * (uint64_t)(k + 1)) | 1;
        f->mh_add[k] = mix64(0xd1b54a32d192ed03ULL * (uint64_t)(k + 1));
    }
    return f;
fail:
    nf_fingerprinter_destroy(f);
    return NULL;
}

void nf_fingerprinter_destroy(nf_fingerprinter_t *f)
{
    if (!f)
        return;
    if (f->to_latin)
        utrans_close(f->to_latin);
    nf_free(f->u16);
    nf_free(f->folded);
    nf_free(f->shingles);
    nf_free(f->name_cache);
    nf_free(f->u8);
    nf_numbers_scratch_free(&f->numbers_scratch);
    nf_free(f);
}

static int grow_u16(UChar **buf, int32_t *cap, int32_t need)
{
    if (need <= *cap)
        return 1;
    int32_t n = *cap ? *cap : 1024;
    while (n < need)
        n *= 2;
    UChar *p = nf_realloc(*buf, (size_t)n * sizeof(UChar));
    if (!p)
        return 0;
    *buf = p;
    *cap = n;
    return 1;
}

size_t nf_fingerprint_skeleton(const char *ascii, size_t len, char *out, size_t cap)
{
    /* Vowels, semivowels and h vanish (Arabic and Cyrillic spellings of a Latin name keep the
     * consonants); letters that scripts merge are merged (c/q/g -> k, z -> s, v/w -> f,
     * p -> b); repeats collapse. */
    size_t n = 0;
    char last = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        char c = ascii[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c < 'a' || c > 'z')
            continue;
        switch (c) {
        case 'a':
        case 'e':
        case 'i':
        case 'o':
        case 'u':
        case 'y':
        case 'h':
        case 'j':
        case 'w':
            continue;
        case 'c':
        case 'q':
        case 'g':
            c = 'k';
            break;
        case 'z':
            c = 's';
            break;
        case 'v':
            c = 'f';
            break;
        case 'p':
            c = 'b';
            break;
        case 'x':
            c = 'k';
            break;
        default:
            break;
        }
        if (c == last)
            continue;
        out[n++] = c;
        last = c;
    }
    if (cap)
        out[n] = '\0';
    return n;
}

/* Capitalised words that are not names, and frequent words of uncased scripts (whose every word
 * is a name candidate). Lower case. Generic news vocabulary: titles, institutions, weekdays. */
/* clang-format off */
static const char *const not_names[] = {
    "the", "a", "an", "in", "on", "at", "mr", "mrs", "ms", "dr", "minister", "ministers",
    "president", "prime", "foreign", "interior", "finance", "government", "parliament",
    "police", "mayor", "city", "council", "ministry", "national", "state", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday", "authority", "company", "union",
    "court", "news", "le", "la", "les", "un", "une", "des", "du", "de", "m", "mme", "ministre",
    "président", "présidente", "gouvernement", "ville", "maire", "lundi", "mardi", "mercredi",
    "jeudi", "vendredi", "samedi", "dimanche", "der", "die", "das", "ein", "eine", "den", "dem",
    "des", "herr", "frau", "ministerin", "präsident", "präsidentin", "regierung", "stadt",
    "bürgermeister", "bürgermeisterin", "polizei", "behörde", "behörden", "einwohner",
    "menschen", "treffen", "gespräche", "abkommen", "vertrag", "außenminister",
    "außenministerin", "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag",
    "sonntag", "millionen", "prozent", "euro", "jahr", "jahren", "tag", "tage", "tagen", "uhr",
    "wochen", "woche", "angaben", "zeit", "land", "el", "los", "las", "una", "del", "al", "sr",
    "sra", "presidente", "gobierno", "ciudad", "alcalde", "alcaldesa", "lunes", "martes",
    "miércoles", "jueves", "viernes", "sábado", "domingo", "il", "lo", "gli", "governo",
    "sindaco", "città", "o", "os", "as", "governo", "prefeito", "в", "на", "и", "министр",
    "президент", "правительство", "мэр", "город", "глава", "понедельник", "вторник", "среда",
    "четверг", "пятница", "суббота", "воскресенье", "міністр", "уряд", "місто", "في", "من",
    "على", "إلى", "الى", "أن", "ان", "عن", "مع", "التي", "الذي", "هذا", "هذه", "بعد", "قبل",
    "وقال", "قال", "وقالت", "قالت", "كما", "وزير", "وزيرة", "الوزير", "الوزيرة", "رئيس",
    "الرئيس", "رئيسة", "الحكومة", "المدينة", "مدينة", "عمدة", "يوم", "اليوم", "الاثنين",
    "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد", "خلال", "حيث", "وقد", "لقد",
    "كان", "كانت", "إن", "او", "أو", "ثم", "بين", "لدى", "منذ", "حتى", "عند", "ذلك", "تلك",
    "وفي", "وهو", "وهي", "هو", "هي", "الخارجية", "الداخلية", "المالية", "الشرطة", "السلطات",
    "سكان", "السكان", "مليون", "ملايين", "ألف", "آلاف", "شخص", "أشخاص", "دولار", "نحو", "أكثر",
    "أمس", "اجتماع", "اجتماعا", "محادثات", "اتفاق", "اتفاقا", "وزارة", "المتحدث", "باسم",
    "مسؤول", "مسؤولون", "عام", "العام", "بالمئة", "المئة", "متر", "أمتار", "كيلومتر", "ساعة",
    "ساعات", "dinar", "jahre", "gewerkschaftschef", "gewerkschaft", "lohn", "beschäftigten",
    "arbeit", "züge", "zügen", "zug", "pendler", "ersatzbusse", "chef", "chefin", "forderung",
    "unternehmen", "einmalzahlungen", "geld", "amtskollege", "amtskollegin", "umfang",
    "delegationen", "delegation", "nacht", "ufer", "sicherheit", "mitarbeitern", "mitarbeiter",
    "stunden", "soforthilfe", "hilfe", "leiter", "leiterin", "wasserbehörde", "regen", "pegel",
    "meter", "schritt", "morgen", "sandsäcke", "deich", "schulen", "schule", "norden", "süden",
    "osten", "westen", "notunterkünfte", "saal", "demonstranten", "streik", "ausfall",
    "grenzübergänge", "wert", "studentenaustausch", "wasserverteilung", "unterstadt",
    "fangquoten", "bahnverbindung", "energielieferungen", "rettungskräfte", "freiwillige",
    "hochwasser", "wasser", "fluss", "brücke", "straße", "straßen", "dorf", "dörfer",
    "krankenhaus", "feuerwehr", "schaden", "schäden", "bericht", "sprecher", "sprecherin",
    "erklärung", "mitteilung", "zeitung", "agentur", "gericht", "wahl", "partei", "firma",
    "konzern", "bahn", "preis", "preise", "kosten", "dollar", "opfer", "verletzte", "tote",
    "lage", "frage", "ende", "anfang", "mitte", "monat", "monate", "plan", "pläne", "vorschlag",
    "gesetz", "entscheidung", "verhandlungen", "affaires", "exteriores", "rail", "lines",
    "transit", "group", "airlines", "bank", "بحسب", "شركة", "الشركة", "بزيادة", "دينار",
    "بقيمة", "بأنه", "بأنها", "إنه", "إنها", "غير", "لكن", "أمام", "مدى", "أخرى", "أولى",
    "ثلاثة", "نهر", "قرب", "بنسبة", "المزيد", "مزيد",
};
/* clang-format on */

static size_t stop_home(const char *w, size_t len)
{
    return (size_t)(mix64(nf_fnv1a(FNV_BASIS, w, len)) & (STOP_SLOTS - 1));
}

static void stop_build(nf_fingerprinter_t *f)
{
    for (size_t i = 0; i < sizeof(not_names) / sizeof(not_names[0]); i++) {
        size_t h = stop_home(not_names[i], strlen(not_names[i]));
        while (f->stop[h] && strcmp(f->stop[h], not_names[i]) != 0)
            h = (h + 1) & (STOP_SLOTS - 1);
        f->stop[h] = not_names[i];
    }
}

static int is_not_name(const nf_fingerprinter_t *f, const char *lower, size_t len)
{
    if (nf_numbers_month(lower, len))
        return 1;
    for (size_t h = stop_home(lower, len); f->stop[h]; h = (h + 1) & (STOP_SLOTS - 1))
        if (strcmp(f->stop[h], lower) == 0)
            return 1;
    return 0;
}

typedef struct candidate {
    uint32_t key;
    uint32_t count;
    uint32_t first; /* position of the first occurrence */
} candidate_t;

static void add_candidate(candidate_t *c, size_t *n, uint32_t key, uint32_t weight, uint32_t pos)
{
    for (size_t i = 0; i < *n; i++)
        if (c[i].key >> 2 == key >> 2) {
            c[i].count += weight;
            c[i].key &= key | ~NF_NAME_WEAK; /* strong wins */
            return;
        }
    if (*n < MAX_CANDIDATES)
        c[(*n)++] = (candidate_t){key, weight, pos};
}

/* The most frequent first; among equals the earliest (the lead says who and where). */
static int cmp_candidate(const void *a, const void *b)
{
    const candidate_t *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return (x->key > y->key) - (x->key < y->key);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The key of a token that passed name_key's shape checks: stop list, Arabic clitics, ICU
 * "Any-Latin; Latin-ASCII" (skipped for ASCII tokens, which it leaves as they are), skeleton. */
static uint32_t name_key_slow(nf_fingerprinter_t *f, const UChar *tok, int32_t len, int cased)
{
    UChar buf[128];
    char lower[256];
    int32_t lower_len = 0;
    int ascii_only = 1;
    for (int32_t k = 0; k < len && ascii_only; k++)
        ascii_only = tok[k] < 128;
    if (ascii_only) {
        for (int32_t k = 0; k < len; k++)
            lower[k] = (char)(tok[k] >= 'A' && tok[k] <= 'Z' ? tok[k] - 'A' + 'a' : tok[k]);
        lower[len] = '\0';
        if (is_not_name(f, lower, (size_t)len))
            return 0;
        char skel[64];
        size_t sl = nf_fingerprint_skeleton(lower, (size_t)len, skel, sizeof(skel));
        if (sl < 3)
            return 0;
        uint32_t k = NF_NAME_ID(key32("n:", skel, sl));
        return cased ? k : k | NF_NAME_WEAK;
    }
    /* the lower-case form for the stop list */
    UErrorCode st = U_ZERO_ERROR;
    int32_t ll = u_strToLower(buf, 64, tok, len, "", &st);
    if (U_FAILURE(st) || ll >= 64)
        return 0;
    st = U_ZERO_ERROR;
    u_strToUTF8(lower, sizeof(lower), &lower_len, buf, ll, &st);
    if (U_FAILURE(st) || is_not_name(f, lower, (size_t)lower_len))
        return 0;
    /* Arabic: the article al- and the conjunction wa- glue onto names; a name written with and
     * without them should give the same key, so strip them before transliterating. */
    int32_t start = 0;
    if (!cased && len > 4 && tok[0] == 0x0648) /* و */
        start = 1;
    if (!cased && len - start > 4 && tok[start] == 0x0627 && tok[start + 1] == 0x0644) /* ال */
        start += 2;
    memcpy(buf, tok + start, (size_t)(len - start) * sizeof(UChar));
    int32_t tlen = len - start, limit = tlen;
    st = U_ZERO_ERROR;
    utrans_transUChars(f->to_latin, buf, &tlen, (int32_t)(sizeof(buf) / sizeof(buf[0])), 0, &limit,
                       &st);
    if (U_FAILURE(st))
        return 0;
    char ascii[128];
    size_t an = 0;
    for (int32_t k = 0; k < tlen && an + 1 < sizeof(ascii); k++)
        if (buf[k] < 128)
            ascii[an++] = (char)buf[k];
    char skel[64];
    size_t sl = nf_fingerprint_skeleton(ascii, an, skel, sizeof(skel));
    if (sl < 3)
        return 0;
    /* In a script without capitals every word is a candidate: such keys are weak (they count
     * only against a strong key, i.e. across scripts). */
    uint32_t k = NF_NAME_ID(key32("n:", skel, sl));
    return cased ? k : k | NF_NAME_WEAK;
}

/* A name-like token of the original text -> its name key (0 when it is not one). */
static uint32_t name_key(nf_fingerprinter_t *f, const UChar *tok, int32_t len, int initial)
{
    UChar32 first;
    int32_t i = 0;
    U16_NEXT(tok, i, len, first);
    int cased;
    if (first < 128) { /* the ASCII answers of the three ICU properties below */
        if (first < 'A' || first > 'Z' || initial)
            return 0;
        cased = 1;
    } else {
        if (!u_isalpha(first))
            return 0;
        cased = u_hasBinaryProperty(first, UCHAR_CASED);
        if (cased && (!u_isupper(first) || initial))
            return 0;
    }
    if (!cased && u_countChar32(tok, len) < 3)
        return 0;
    if (len >= 64)
        return 0;
    if (len > NAME_CACHE_TOKEN)
        return name_key_slow(f, tok, len, cased);
    /* the rest depends on the token's text alone (cased follows from its first letter) */
    uint32_t h = (uint32_t)(mix64(nf_fnv1a_utf16(FNV_BASIS, tok, (size_t)len)) >> 32);
    name_cache_entry_t *e = &f->name_cache[h & (NAME_CACHE_SLOTS - 1)];
    if (e->len == (uint16_t)len && e->hash == h &&
        memcmp(e->tok, tok, (size_t)len * sizeof(UChar)) == 0) {
        return e->key;
    }
    uint32_t key = name_key_slow(f, tok, len, cased);
    e->hash = h;
    e->key = key;
    e->len = (uint16_t)len;
    memcpy(e->tok, tok, (size_t)len * sizeof(UChar));
    return key;
}

/* GCC vectorises the loop over the K functions; its 64-bit multiplies are emulated with
 * 32-bit ones two lanes at a time in the x86-64 baseline (SSE2). Clones for AVX2 and AVX-512
 * (picked at load time from the CPU) do four and eight lanes: the same integers, less time. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
__attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#endif
void nf_minhash_mins(const uint64_t *hashes, size_t n, const uint64_t mul[NF_MINHASH_K],
                     const uint64_t add[NF_MINHASH_K], uint32_t mins[NF_MINHASH_K])
{
    uint32_t m[NF_MINHASH_K];
    for (int k = 0; k < NF_MINHASH_K; k++)
        m[k] = UINT32_MAX;
    for (size_t s = 0; s < n; s++) {
        uint64_t h = hashes[s];
        for (int k = 0; k < NF_MINHASH_K; k++) {
            uint32_t v = (uint32_t)((h * mul[k] + add[k]) >> 32);
            m[k] = v < m[k] ? v : m[k];
        }
    }
    memcpy(mins, m, sizeof(m));
}

static nf_err_t minhash_of(nf_fingerprinter_t *f, const UChar *text, int32_t len,
                           nf_fingerprint_t *out, uint32_t *mins32)
{
    /* tokens -> hashes, in place into the shingle array */
    size_t n_tok = 0;
    for (int32_t i = 0; i < len;) {
        int32_t s = i;
        uint8_t kind = token_unit[text[i]];
        if (kind == TOKEN_NO) {
            i++;
            continue;
        }
        if (kind == TOKEN_SURROGATE) {
            UChar32 c;
            U16_NEXT(text, i, len, c);
            if (!is_token_char(c))
                continue;
        } else {
            i++;
        }
        int32_t e = token_run_end(text, i, len, 0);
        if (n_tok == f->shingles_cap) {
            size_t cap = f->shingles_cap ? f->shingles_cap * 2 : 1024;
            uint64_t *p = nf_realloc(f->shingles, cap * sizeof(uint64_t));
            if (!p)
                return NF_ERR_NOMEM;
            f->shingles = p;
            f->shingles_cap = cap;
        }
        f->shingles[n_tok++] = nf_fnv1a_utf16(FNV_BASIS, text + s, (size_t)(e - s));
        i = e;
    }
    size_t n_sh = n_tok >= SHINGLE_WORDS ? n_tok - SHINGLE_WORDS + 1 : (n_tok ? 1 : 0);
    for (size_t s = 0; s < n_sh; s++) { /* in place: shingle s reads tokens s.. only */
        uint64_t h = f->shingles[s];
        for (size_t w = 1; w < SHINGLE_WORDS && s + w < n_tok; w++)
            h = mix64(h * 31 + f->shingles[s + w]);
        f->shingles[s] = h;
    }
    nf_minhash_mins(f->shingles, n_sh, f->mh_mul, f->mh_add, mins32);
    for (int k = 0; k < NF_MINHASH_K; k++)
        out->minhash[k] = (uint8_t)(mins32[k] & 0xff);
    for (int b = 0; b < NF_NEAR_BANDS; b++) {
        uint64_t h = mix64(((uint64_t)out->lang_key << 8) | (uint64_t)b);
        for (int r = 0; r < NF_NEAR_ROWS; r++)
            h = mix64(h ^ mins32[b * NF_NEAR_ROWS + r]);
        out->bands[b] = (uint32_t)(h >> 32);
    }
    return NF_OK;
}

/* The folded text as UTF-8 with every run of white space as one space, none at either end
 * (the exact key's text), in one pass: collapsing in place first and converting after wrote and
 * read the text once more. Returns the length, or SIZE_MAX for an unpaired surrogate (as
 * nf_utf16_to_utf8; a surrogate is never white space, so a collapsed run cannot pair one). */
static size_t spaced_utf16_to_utf8(const UChar *u16, int32_t n, char *out)
{
    uint8_t *o = (uint8_t *)out;
    int space = 1; /* at the start, or after a space: white space writes nothing */
    for (int32_t i = 0; i < n;) {
#ifdef NF_HAVE_ALNUM8
        /* Eight ASCII units whose UTF-8 is their low bytes as they are: no white space but
         * single spaces, none of them after a space (the first unit after `space`, any unit
         * after the one before it). One step for the words and single spaces of most text. */
        if (i + 8 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(u16 + i));
            __m128i sp = _mm_cmpeq_epi16(v, _mm_set1_epi16(' '));
            /* not ASCII: 0x80..0x7fff compare greater, units from 0x8000 (negative as signed
             * 16-bit lanes) less; less also takes tab..CR and the other controls below them */
            __m128i bad = _mm_or_si128(_mm_cmpgt_epi16(v, _mm_set1_epi16(0x7f)),
                                       _mm_cmplt_epi16(v, _mm_set1_epi16(0x0e)));
            bad = _mm_or_si128(bad, _mm_and_si128(sp, _mm_slli_si128(sp, 2)));
            if (!_mm_movemask_epi8(bad) && !(space && u16[i] == ' ')) {
                _mm_storel_epi64((__m128i *)(void *)o, _mm_packus_epi16(v, v));
                o += 8;
                i += 8;
                space = u16[i - 1] == ' ';
                continue;
            }
        }
#endif
        uint32_t c = u16[i++];
        if (c < 0x80) {
            if (c == ' ' || c - 0x09u <= 0x0du - 0x09u) {
                if (!space)
                    *o++ = ' ';
                space = 1;
            } else {
                *o++ = (uint8_t)c;
                space = 0;
            }
            continue;
        }
        if (space_bmp[c >> 3] >> (c & 7) & 1) {
            if (!space)
                *o++ = ' ';
            space = 1;
            continue;
        }
        space = 0;
        if (c < 0x800) {
            *o++ = (uint8_t)(0xc0 | c >> 6);
            *o++ = (uint8_t)(0x80 | (c & 0x3f));
        } else if (c < 0xd800 || c > 0xdfff) {
            *o++ = (uint8_t)(0xe0 | c >> 12);
            *o++ = (uint8_t)(0x80 | (c >> 6 & 0x3f));
            *o++ = (uint8_t)(0x80 | (c & 0x3f));
        } else {
            if (c > 0xdbff || i == n || u16[i] < 0xdc00 || u16[i] > 0xdfff)
                return SIZE_MAX; /* a trail without its lead, or a lead without its trail */
            c = 0x10000 + ((c - 0xd800) << 10) + (u16[i++] - 0xdc00u);
            *o++ = (uint8_t)(0xf0 | c >> 18);
            *o++ = (uint8_t)(0x80 | (c >> 12 & 0x3f));
            *o++ = (uint8_t)(0x80 | (c >> 6 & 0x3f));
            *o++ = (uint8_t)(0x80 | (c & 0x3f));
        }
    }
    if (o > (uint8_t *)out && o[-1] == ' ')
        o--;
    return (size_t)(o - (uint8_t *)out);
}

/* Room in f->folded for `more` units after the first `used`. */
static int fold_room(nf_fingerprinter_t *f, int32_t used, int32_t more)
{
    int64_t need = (int64_t)used + more + 16;
    return need <= INT32_MAX / 4 && grow_u16(&f->folded, &f->folded_cap, (int32_t)need);
}

/* NFKC_Casefold of u16 into f->folded (fold_kind): a unit between two boundaries from the
 * tables, a piece from boundary to boundary by ICU, the same text as ICU's for the whole (its
 * pieces fold independently). ICU's normalizer had been ~3% of `enrich` on the bench corpus,
 * whose non-English articles all took it. Returns the length, -1 out of memory, -2 on an ICU
 * error. */
static int32_t fold_text(nf_fingerprinter_t *f, const UChar *u16, int32_t ulen)
{
    int32_t o = 0;
    for (int32_t i = 0; i < ulen;) {
        UChar c = u16[i];
        uint8_t kind = fold_kind[c];
        if ((kind & (FOLD_ONE | FOLD_EMPTY)) &&
            (i + 1 == ulen || (fold_kind[u16[i + 1]] & FOLD_BOUNDARY))) {
            if (kind & FOLD_ONE)
                f->folded[o++] = fold_unit[c];
            i++;
            continue;
        }
        int32_t j = i + 1;
        while (j < ulen && !(fold_kind[u16[j]] & FOLD_BOUNDARY))
            j++;
        UErrorCode st = U_ZERO_ERROR;
        int32_t n =
            unorm2_normalize(f->nfkc_cf, u16 + i, j - i, f->folded + o, f->folded_cap - o, &st);
        if (st == U_BUFFER_OVERFLOW_ERROR) { /* rare: a piece folds to many more units */
            if (!fold_room(f, o, n))
                return -1;
            st = U_ZERO_ERROR;
            n = unorm2_normalize(f->nfkc_cf, u16 + i, j - i, f->folded + o, f->folded_cap - o, &st);
        }
        if (U_FAILURE(st))
            return -2;
        o += n;
        i = j;
        /* the rest may still fold a unit to a unit (the buffer starts at 2 * ulen + 16) */
        if (f->folded_cap - o < ulen - i && !fold_room(f, o, ulen - i))
            return -1;
    }
    return o;
}

nf_err_t nf_fingerprint_compute(nf_fingerprinter_t *f, const char *body, size_t body_len,
                                const char *published_at, const nf_lang_t *lang,
                                const nf_entity_list_t *entities, nf_fingerprint_t *out)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t ulen = 0;
    if (body_len > INT32_MAX / 4)
        return NF_ERR_INVALID_ARG;
    if (!grow_u16(&f->u16, &f->u16_cap, (int32_t)body_len + 1))
        return NF_ERR_NOMEM;
    u_strFromUTF8(f->u16, f->u16_cap, &ulen, body, (int32_t)body_len, &st);
    if (U_FAILURE(st)) {
        memset(out, 0, sizeof(*out));
        return NF_ERR_ICU;
    }
    return nf_fingerprint_compute_utf16(f, body, body_len, f->u16, (size_t)ulen, published_at, lang,
                                        entities, out);
}

nf_err_t nf_fingerprint_compute_utf16(nf_fingerprinter_t *f, const char *body, size_t body_len,
                                      const uint16_t *body_u16, size_t body_u16_len,
                                      const char *published_at, const nf_lang_t *lang,
                                      const nf_entity_list_t *entities, nf_fingerprint_t *out)
{
    (void)body; /* every part reads the UTF-16 form (the numbers too: no second decoding) */
    memset(out, 0, sizeof(*out));
    out->t = nf_rfc3339_seconds(published_at);
    const char *lk = strcmp(lang->code, "und") != 0 && lang->code[0] ? lang->code : lang->script;
    out->lang_key = key32("l:", lk, strlen(lk));
    if (body_len > INT32_MAX / 4 || body_u16_len > body_len)
        return NF_ERR_INVALID_ARG;
    const UChar *u16 = (const UChar *)body_u16;
    int32_t ulen = (int32_t)body_u16_len;

    /* exact: NFKC_Casefold, white space runs -> one space. ASCII text folds to its lower case,
     * which is cheaper to write than to ask ICU for; other text mostly folds from tables
     * (fold_text). */
    int ascii = 1;
    for (int32_t i = 0; i < ulen && ascii; i++)
        ascii = u16[i] < 128;
    if (!grow_u16(&f->folded, &f->folded_cap, 2 * ulen + 16))
        return NF_ERR_NOMEM;
    int32_t flen = ulen;
    if (ascii) {
        for (int32_t i = 0; i < ulen; i++) {
            UChar c = u16[i];
            f->folded[i] = c >= 'A' && c <= 'Z' ? (UChar)(c - 'A' + 'a') : c;
        }
    } else {
        flen = fold_text(f, u16, ulen);
        if (flen < 0)
            return flen == -1 ? NF_ERR_NOMEM : NF_ERR_ICU;
    }
    /* hash the UTF-8 form, so the key is the sha256 of a text anyone can reproduce (one UTF-16
     * unit is at most 3 bytes of UTF-8); white space runs become one space on the way */
    {
        size_t u8cap = 3 * (size_t)flen + 1;
        if (u8cap > f->u8_cap) {
            char *p = nf_realloc(f->u8, u8cap);
            if (!p)
                return NF_ERR_NOMEM;
            f->u8 = p;
            f->u8_cap = u8cap;
        }
        size_t u8len = spaced_utf16_to_utf8(f->folded, flen, f->u8);
        if (u8len == SIZE_MAX)
            return NF_ERR_ICU;
        nf_content_sha256(f->u8, u8len, out->exact);
    }

    /* near: the tokens are runs of token characters, which white space is not, so the folded
     * text before its white space is collapsed has the same tokens */
    uint32_t mins32[NF_MINHASH_K];
    nf_err_t err = minhash_of(f, f->folded, flen, out, mins32);
    if (err != NF_OK)
        return err;

    /* story: names */
    candidate_t cand[MAX_CANDIDATES];
    size_t n_cand = 0;
    for (size_t i = 0; entities && i < entities->count; i++) {
        const char *id = entities->items[i].id;
        add_candidate(cand, &n_cand, NF_NAME_ID(key32("e:", id, strlen(id))), 1000, 0);
    }
    /* German capitalises every noun: there a capitalised token is a name only inside a mention
     * of the entity stage; outside one it is a weak key, like a word of a script without
     * capitals (it counts against a strong key, i.e. across languages, never between two German
     * texts, which would otherwise share "Lagerhalle", "Einsatzkräfte", ... of one template). */
    int nouns_cased = strcmp(lang->code, "de") == 0 || strcmp(lang->code, "lb") == 0;
    /* Given names: a token of a person mention before its last word (Boris of "Boris Drevas")
     * is no name key: the person's id and surname already are, and a first name is shared by
     * people of every story of the week (a hot key that made a batch read most of the window,
     * and half of the "one shared first name" links of hard negatives). */
    size_t mention_start[MAX_MENTIONS], mention_end[MAX_MENTIONS], n_mentions = 0;
    unsigned char mention_person[MAX_MENTIONS];
    size_t n_person = 0;
    for (size_t i = 0; entities && i < entities->count; i++) {
        int person = entities->items[i].type == NF_ENTITY_PERSON;
        if (!nouns_cased && !person)
            continue;
        for (size_t m = 0; m < entities->items[i].n_mentions && n_mentions < MAX_MENTIONS; m++) {
            const nf_mention_t *x = &entities->items[i].mentions[m];
            if (x->field && strcmp(x->field, "body") == 0) {
                mention_start[n_mentions] = x->start;
                mention_person[n_mentions] = (unsigned char)person;
                n_person += (size_t)person;
                mention_end[n_mentions++] = x->end;
            }
        }
    }
    size_t cp = 0; /* code points before u16[cp_at] (mention offsets count code points) */
    int32_t cp_at = 0;
    int initial = 1;
    for (int32_t i = 0; i < ulen;) {
        UChar32 c = u16[i];
        int32_t s = i;
        uint8_t kind = token_unit[c];
        if (kind == TOKEN_SURROGATE) {
            U16_NEXT(u16, i, ulen, c);
            kind = is_token_char(c) ? TOKEN_YES : TOKEN_NO;
        } else {
            i++;
        }
        if (kind == TOKEN_NO) {
            if (c == '.' || c == '!' || c == '?' || c == '\n' || c == ':' || c == 0x061F ||
                c == 0x06D4 || c == 0x3002)
                initial = 1;
            continue;
        }
        int32_t e = token_run_end(u16, i, ulen, 1);
        while (e > s && u16[e - 1] == '-')
            e--;
        uint32_t key = name_key(f, u16 + s, e - s, initial);
        if (key && (n_person || (nouns_cased && !(key & NF_NAME_WEAK)))) {
            cp += (size_t)u_countChar32(u16 + cp_at, s - cp_at);
            cp_at = s;
            size_t cp_end = cp + (size_t)u_countChar32(u16 + s, e - s);
            int in_mention = 0, given = 0;
            for (size_t m = 0; m < n_mentions; m++)
                if (mention_start[m] < cp_end && cp < mention_end[m]) {
                    in_mention = 1;
                    given |= mention_person[m] && cp_end < mention_end[m];
                }
            if (given)
                key = 0;
            else if (nouns_cased && !in_mention)
                key |= NF_NAME_WEAK;
        }
        if (key)
            add_candidate(cand, &n_cand, key, 1, (uint32_t)s);
        initial = 0;
        i = e;
    }
    qsort(cand, n_cand, sizeof(cand[0]), cmp_candidate);
    out->n_names = (uint8_t)(n_cand < NF_SIG_NAMES ? n_cand : NF_SIG_NAMES);
    for (size_t i = 0; i < n_cand && i < NF_POSTED_NAMES; i++)
        cand[i].key |= NF_NAME_POSTED;
    for (size_t i = 0; i < out->n_names; i++)
        out->names[i] = cand[i].key;
    qsort(out->names, out->n_names, sizeof(uint32_t), cmp_u32);

    /* story: facts (numbers >= 10 and dates; years are too common to tell events apart) */
    size_t nn = nf_numbers_extract_utf16_scratch(body_u16, body_u16_len, f->numbers, MAX_NUMBERS,
                                                 &f->numbers_scratch);
    if (nn > MAX_NUMBERS)
        nn = MAX_NUMBERS;
    uint32_t facts[MAX_NUMBERS];
    size_t nf = 0;
    for (size_t i = 0; i < nn; i++) {
        const nf_number_t *x = &f->numbers[i];
        if (x->kind == NF_NUMBER_YEAR || (x->kind == NF_NUMBER_VALUE && x->value < 10000))
            continue;
        int date = x->kind == NF_NUMBER_DATE;
        uint32_t k = NF_FACT_ID(key32(date ? "d:" : "v:", &x->value, sizeof(x->value))) |
                     (date ? NF_FACT_DATE : 0);
        int dup = 0;
        for (size_t j = 0; j < nf; j++)
            dup |= facts[j] == k;
        if (!dup)
            facts[nf++] = k;
    }
    out->n_facts = (uint8_t)(nf < NF_SIG_FACTS ? nf : NF_SIG_FACTS);
    memcpy(out->facts, facts, out->n_facts * sizeof(uint32_t));
    qsort(out->facts, out->n_facts, sizeof(uint32_t), cmp_u32);
    return NF_OK;
}

double nf_near_similarity(const nf_fingerprint_t *a, const nf_fingerprint_t *b)
{
    int same = 0;
    for (int k = 0; k < NF_MINHASH_K; k++)
        same += a->minhash[k] == b->minhash[k];
    /* b-bit estimator with b = 8: P(equal) = J + (1 - J) / 256 */
    double p = (double)same / NF_MINHASH_K, c = 1.0 / 256;
    double j = (p - c) / (1 - c);
    return j < 0 ? 0 : j;
}

int nf_exact_match(const nf_fingerprint_t *a, const nf_fingerprint_t *b)
{
    return memcmp(a->exact, b->exact, sizeof(a->exact)) == 0;
}

static int64_t abs64(int64_t x)
{
    return x < 0 ? -x : x;
}

enum key_kind { KEYS_RAW, KEYS_NAMES, KEYS_FACTS, KEYS_COUNTS };

/* Keys present in both sorted lists. KEYS_RAW: keys compare whole, flags included. KEYS_NAMES:
 * keys compare without their flags and a pair of weak keys does not count. KEYS_FACTS: keys
 * compare without their date bit. KEYS_COUNTS: the same, and a pair of dates does not count. */
static int shared_keys(const uint32_t *x, size_t nx, const uint32_t *y, size_t ny,
                       enum key_kind kind)
{
    size_t i = 0, j = 0;
    int n = 0;
    uint32_t mask = kind == KEYS_RAW ? ~0u : kind == KEYS_NAMES ? NF_NAME_ID(~0u) : NF_FACT_ID(~0u);
    uint32_t skip = kind == KEYS_NAMES ? NF_NAME_WEAK : kind == KEYS_COUNTS ? NF_FACT_DATE : 0;
    while (i < nx && j < ny) {
        uint32_t a = x[i] & mask, b = y[j] & mask;
        if (a == b) {
            n += !(x[i] & y[j] & skip);
            i++;
            j++;
        } else if (a < b) {
            i++;
        } else {
            j++;
        }
    }
    return n;
}

static int shared_facts(const nf_fingerprint_t *a, const nf_fingerprint_t *b)
{
    return shared_keys(a->facts, a->n_facts, b->facts, b->n_facts, KEYS_FACTS);
}

static int shared_names(const nf_fingerprint_t *a, const nf_fingerprint_t *b)
{
    return shared_keys(a->names, a->n_names, b->names, b->n_names, KEYS_NAMES);
}

static int has_count(const nf_fingerprint_t *a)
{
    for (int i = 0; i < a->n_facts; i++)
        if (!(a->facts[i] & NF_FACT_DATE))
            return 1;
    return 0;
}

int nf_facts_agree(const nf_fingerprint_t *a, const nf_fingerprint_t *b)
{
    if (!a->n_facts || !b->n_facts)
        return 1;
    if (has_count(a) && has_count(b))
        return shared_keys(a->facts, a->n_facts, b->facts, b->n_facts, KEYS_COUNTS) > 0;
    return shared_facts(a, b) > 0;
}

int nf_near_match(const nf_fingerprint_t *a, const nf_fingerprint_t *b, const nf_match_params_t *p,
                  double *similarity)
{
    *similarity = 0;
    if (a->lang_key != b->lang_key || abs64(a->t - b->t) > p->window_s)
        return 0;
    int band = 0;
    for (int i = 0; i < NF_NEAR_BANDS && !band; i++)
        band = a->bands[i] == b->bands[i];
    if (!band)
        return 0;
    *similarity = nf_near_similarity(a, b);
    if (*similarity < p->near_threshold)
        return 0;
    /* A copy keeps the facts and the names: two texts from one template about two events
     * (another flood the same day) are alike word for word but disagree on them; the date they
     * share is no evidence when their counts differ. */
    if (!nf_facts_agree(a, b))
        return 0;
    if (a->n_names && b->n_names &&
        !shared_keys(a->names, a->n_names, b->names, b->n_names, KEYS_RAW))
        return 0;
    return 1;
}

int nf_story_match(const nf_fingerprint_t *a, const nf_fingerprint_t *b, const nf_match_params_t *p)
{
    if (abs64(a->t - b->t) > p->window_s)
        return 0;
    int names = shared_names(a, b);
    if (names < p->story_min_names)
        return 0;
    return shared_facts(a, b) >= 1 || names >= p->story_names_no_fact;
}

nf_link_t nf_fingerprint_link(const nf_fingerprint_t *a, const nf_fingerprint_t *b,
                              const nf_match_params_t *p, double *similarity)
{
    *similarity = 0;
    if (nf_exact_match(a, b)) {
        *similarity = 1;
        return NF_LINK_EXACT;
    }
    if (nf_near_match(a, b, p, similarity))
        return NF_LINK_NEAR;
    *similarity = 0;
    int key = 0;
    for (int i = 0; i < NF_NEAR_BANDS && !key; i++)
        key = a->bands[i] == b->bands[i];
    for (int i = 0; i < a->n_names && !key; i++)
        if (a->names[i] & NF_NAME_POSTED)
            for (int j = 0; j < b->n_names && !key; j++)
                key = (b->names[j] & NF_NAME_POSTED) &&
                      NF_NAME_ID(a->names[i]) == NF_NAME_ID(b->names[j]);
    return key && nf_story_match(a, b, p) ? NF_LINK_STORY : NF_LINK_NONE;
}

static void put32(uint8_t **p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        *(*p)++ = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t **p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)(*(*p)++) << (8 * i);
    return v;
}

size_t nf_fingerprint_encode(const nf_fingerprint_t *fp, uint8_t out[NF_FINGERPRINT_WIRE_MAX])
{
    uint8_t *p = out;
    /* layout version: 3 = bit 0 of a fact key says it is a date; 2 = MinHash by
     * multiply-add-shift; 1 = MinHash by mix64 */
    *p++ = 3;
    put32(&p, (uint32_t)((uint64_t)fp->t & 0xffffffffu));
    put32(&p, (uint32_t)((uint64_t)fp->t >> 32));
    put32(&p, fp->lang_key);
    memcpy(p, fp->exact, 32);
    p += 32;
    memcpy(p, fp->minhash, NF_MINHASH_K);
    p += NF_MINHASH_K;
    for (int i = 0; i < NF_NEAR_BANDS; i++)
        put32(&p, fp->bands[i]);
    *p++ = fp->n_names;
    *p++ = fp->n_facts;
    for (int i = 0; i < fp->n_names; i++)
        put32(&p, fp->names[i]);
    for (int i = 0; i < fp->n_facts; i++)
        put32(&p, fp->facts[i]);
    return (size_t)(p - out);
}

int nf_fingerprint_decode(const uint8_t *data, size_t len, nf_fingerprint_t *out)
{
    memset(out, 0, sizeof(*out));
    size_t fixed = 1 + 8 + 4 + 32 + NF_MINHASH_K + 4 * NF_NEAR_BANDS + 2;
    if (len < fixed || data[0] < 1 || data[0] > 3)
        return -1;
    const uint8_t *p = data + 1;
    uint64_t lo = get32(&p), hi = get32(&p);
    out->t = (int64_t)(lo | hi << 32);
    out->lang_key = get32(&p);
    memcpy(out->exact, p, 32);
    p += 32;
    memcpy(out->minhash, p, NF_MINHASH_K);
    p += NF_MINHASH_K;
    for (int i = 0; i < NF_NEAR_BANDS; i++)
        out->bands[i] = get32(&p);
    out->n_names = *p++;
    out->n_facts = *p++;
    if (out->n_names > NF_SIG_NAMES || out->n_facts > NF_SIG_FACTS ||
        len != fixed + 4 * (size_t)(out->n_names + out->n_facts))
        return -1;
    for (int i = 0; i < out->n_names; i++)
        out->names[i] = get32(&p);
    for (int i = 0; i < out->n_facts; i++)
        out->facts[i] = get32(&p);
    if (data[0] < 3) {
        /* v1 and v2 facts do not tell dates from counts: read them as counts, so a shared date
         * still counts against them (what those workers decided) */
        for (int i = 0; i < out->n_facts; i++)
            out->facts[i] = NF_FACT_ID(out->facts[i]);
    }
    if (data[0] == 1) {
        /* A v1 MinHash is another function of the text: such an article can still be an exact
         * copy or share a story, never a near copy of a v2 one (lang_key 0 is no language). */
        out->lang_key = 0;
        memset(out->minhash, 0, sizeof(out->minhash));
    }
    return 0;
}
