/* Canonical entity keys. The transliteration gets every script to the same 26 letters; the
 * skeleton then throws away what spellings disagree on (vowels, doubling, digraph choice)
 * and keeps the consonant frame, which is what survives from Зеленський to Selenskyj to
 * زيلينسكي. README.md ("Entities") documents the rules and the false merges they cause. */
#include "newsflow/entkey.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

#include "newsflow/alloc.h"
#include "newsflow/gazetteer.h"

#define MAX_UCHARS 256 /* longer names are cut: a key needs the first few words only */
#define MAX_WORDS 12

struct nf_entkey {
    UTransliterator *cyrillic; /* Russian-Latin/BGN reads like news English (Zelenskiy, Tsoy) */
    UTransliterator *any;
    const nf_gazetteer_t *places; /* the built-in gazetteer: places inside organisation names */
    int fast_paths; /* table transliteration for Latin, Russian/Ukrainian Cyrillic, Arabic */
};

/* Letter tables that give what the ICU transliterators above give, letter for letter, for the
 * Cyrillic of Russian and Ukrainian and the Arabic script of Arabic and Persian (checked
 * against ICU on every such word of the gazetteer and fixtures: tests/unit/test_entkey.c
 * compares both on a sample). ICU is ~10x slower and stays the fallback for anything else. */
static const char *const cyrillic_table[] = {
    /* а..я (U+0430..U+044F) */
    "a", "b", "v", "g", "d", "e",  "zh", "z",  "i",  "y",    "k", "l", "m", "n", "o",  "p",
    "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "",  "y", "",  "e", "yu", "ya"};

static const char *cyrillic_extra(UChar c)
{
    switch (c) {
    case 0x0451: /* ё */
        return "e";
    case 0x0456: /* і */
    case 0x0457: /* ї */
        return "i";
    case 0x0454: /* є */
        return "e";
    case 0x0491: /* ґ */
        return "g";
    case 0x045E: /* ў (Belarusian) */
        return "u";
    default:
        return NULL;
    }
}

static const char *arabic_letter(UChar c)
{
    static const char *const table[] = {
        /* U+0621..U+064A */
        "",   "a",  "a",  "w", "a", "y",  "a", "b", "t", "t", "th", "j",  "h",  "kh",
        "d",  "dh", "r",  "z", "s", "sh", "s", "d", "t", "z", "",   "gh", NULL, NULL,
        NULL, NULL, NULL, "",  "f", "q",  "k", "l", "m", "n", "h",  "w",  "y",  "y"};
    if (c >= 0x0621 && c <= 0x064A)
        return table[c - 0x0621];
    switch (c) {
    case 0x064E: /* fatha */
        return "a";
    case 0x064F: /* damma */
        return "u";
    case 0x0650: /* kasra */
        return "i";
    case 0x067E:
        return "p";
    case 0x0686:
        return "ch";
    case 0x0698:
        return "zh";
    case 0x06A4:
        return "v";
    case 0x06A9:
        return "k";
    case 0x06AF:
        return "g";
    case 0x06CC:
        return "y";
    default:
        /* other marks, tatweel, joiners and the letters ICU leaves untransliterated (Urdu ٹ ڈ
         * ہ ے...) come out as nothing, as from ICU */
        return (c >= 0x064B && c <= 0x065F) || c == 0x0670 || c == 0x0640 || c == 0x200C ||
                       c == 0x200D || (c >= 0x0600 && c <= 0x06FF)
                   ? ""
                   : NULL;
    }
}

/* Latin letters that fold to no ASCII letter: what "Latin-ASCII; Lower" makes of them (Straße,
 * Łódź, Định, Diyarbakır, Norðurland...), and combining marks and modifier letters, which it
 * drops. NULL: ask ICU. */
static const char *latin_extra(UChar c)
{
    if ((c >= 0x0300 && c <= 0x036F) || c == 0x02BB || c == 0x02BC || c == 0x02BF || c == 0x02BE)
        return "";
    switch (c) {
    case 0x00DF: /* ß */
    case 0x1E9E:
        return "ss";
    case 0x0131: /* dotless i */
        return "i";
    case 0x0110: /* Đ đ */
    case 0x0111:
    case 0x00D0: /* Ð ð */
    case 0x00F0:
        return "d";
    case 0x0141: /* Ł ł */
    case 0x0142:
        return "l";
    case 0x00D8: /* Ø ø */
    case 0x00F8:
        return "o";
    case 0x00C6: /* Æ æ */
    case 0x00E6:
        return "ae";
    case 0x0152: /* Œ œ */
    case 0x0153:
        return "oe";
    case 0x00DE: /* Þ þ */
    case 0x00FE:
        return "th";
    case 0x0126: /* Ħ ħ */
    case 0x0127:
        return "h";
    case 0x014A: /* Ŋ ŋ */
    case 0x014B:
        return "n";
    default:
        return NULL;
    }
}

/* 1 and out filled when every code unit is in the tables, else 0 (ICU then). */
static int table_translit(const UChar *word, int32_t wlen, int arabic, char *out, size_t size)
{
    size_t o = 0;
    for (int32_t p = 0; p < wlen; p++) {
        UChar c = word[p];
        const char *t;
        if (arabic) {
            /* an initial ayin is a vowel onset (see split_words) */
            t = p == 0 && c == 0x0639 ? "a" : arabic_letter(c);
        } else {
            UChar l = (UChar)u_tolower(c);
            if (l >= 0x0430 && l <= 0x044F)
                t = cyrillic_table[l - 0x0430];
            else
                t = cyrillic_extra(l);
            /* BGN: е and ё at the start or after а е ё и о у ы э ю я й ъ ь are "ye" */
            if (l == 0x0435 || l == 0x0451) {
                static const UChar after[] = {0x0430, 0x0435, 0x0451, 0x0438, 0x043E,
                                              0x0443, 0x044B, 0x044D, 0x044E, 0x044F,
                                              0x0439, 0x044A, 0x044C, 0};
                UChar prev = p ? (UChar)u_tolower(word[p - 1]) : 0;
                if (p == 0 || u_strchr(after, prev))
                    t = "ye";
            }
        }
        if (!t)
            return 0;
        for (; *t && o + 1 < size; t++)
            out[o++] = *t;
    }
    out[o] = '\0';
    return 1;
}

typedef struct word {
    char ascii[NF_ENTKEY_MAX];
    int from_arabic;
    int from_cyrillic;
} word_t;

static UTransliterator *open_trans(const char *id, char *errstr, size_t errstr_size)
{
    UChar uid[128];
    UErrorCode status = U_ZERO_ERROR;
    u_uastrcpy(uid, id);
    UTransliterator *t = utrans_openU(uid, -1, UTRANS_FORWARD, NULL, 0, NULL, &status);
    if (U_FAILURE(status)) {
        snprintf(errstr, errstr_size, "ICU transliterator '%s': %s", id, u_errorName(status));
        return NULL;
    }
    return t;
}

nf_entkey_t *nf_entkey_new(char *errstr, size_t errstr_size)
{
    nf_entkey_t *k = nf_calloc(1, sizeof(*k));
    if (!k) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    k->fast_paths = 1;
    if (!(k->cyrillic = open_trans("Russian-Latin/BGN; Any-Latin; Latin-ASCII; Lower", errstr,
                                   errstr_size)) ||
        !(k->any = open_trans("Any-Latin; Latin-ASCII; Lower", errstr, errstr_size)) ||
        !(k->places = nf_gazetteer_builtin(NULL, errstr, errstr_size))) {
        nf_entkey_destroy(k);
        return NULL;
    }
    return k;
}

void nf_entkey_set_fast_paths(nf_entkey_t *k, int on)
{
    k->fast_paths = on;
}

void nf_entkey_destroy(nf_entkey_t *k)
{
    if (!k)
        return;
    if (k->cyrillic)
        utrans_close(k->cyrillic);
    if (k->any)
        utrans_close(k->any);
    nf_free(k);
}

static int is_word_char(UChar32 c)
{
    if (c < 0x80) /* what u_isalpha says of ASCII, without the call */
        return (unsigned)((c | 0x20) - 'a') < 26;
    return u_isalpha(c) || (U_GET_GC_MASK(c) & U_GC_M_MASK) || c == 0x200C || c == 0x200D;
}

/* Splits a name into transliterated ASCII words; with last > 0 only the last `last` words are
 * transliterated (a surname key needs no given names, and ICU is the expensive part). Returns
 * the word count or -1 (ICU error). */
static int split_words(nf_entkey_t *k, const char *utf8, size_t len, word_t *words, int max,
                       int last)
{
    UChar text[MAX_UCHARS];
    int32_t n16 = 0;
    UErrorCode status = U_ZERO_ERROR;
    if (len > (size_t)MAX_UCHARS * 3)
        len = (size_t)MAX_UCHARS * 3; /* a cut at a code point boundary is not needed: lenient */
    u_strFromUTF8Lenient(text, MAX_UCHARS, &n16, utf8, (int32_t)len, &status);
    if (status == U_BUFFER_OVERFLOW_ERROR || status == U_STRING_NOT_TERMINATED_WARNING) {
        status = U_ZERO_ERROR;
        n16 = MAX_UCHARS;
    }
    if (U_FAILURE(status))
        return -1;
    int skip = 0;
    if (last > 0) {
        int total = 0, in_word = 0;
        for (int32_t i = 0; i < n16;) {
            UChar32 c;
            U16_NEXT(text, i, n16, c);
            int w = is_word_char(c);
            total += w && !in_word;
            in_word = w;
        }
        skip = total > last ? total - last : 0;
    }
    int count = 0;
    int32_t i = 0;
    while (i < n16 && count < max) {
        UChar32 c;
        int32_t start = i;
        U16_NEXT(text, i, n16, c);
        if (!is_word_char(c))
            continue;
        int32_t end = i;
        while (end < n16) {
            int32_t j = end;
            U16_NEXT(text, j, n16, c);
            if (!is_word_char(c))
                break;
            end = j;
        }
        i = end;
        if (skip > 0) {
            skip--;
            continue;
        }
        UChar word[MAX_UCHARS * 2];
        int32_t wlen = end - start;
        memcpy(word, text + start, (size_t)wlen * sizeof(UChar));
        UChar32 first;
        U16_GET(word, 0, 0, wlen, first);
        UScriptCode script = uscript_getScript(first, &status);
        if (U_FAILURE(status))
            return -1;
        int arabic = script == USCRIPT_ARABIC;
        /* Persian reads ض ذ ظ as z and ث as s (رضایی = Rezaei, not Redaei): a word with a
         * letter only Persian has (ی پ چ ژ گ ک) is read so, before either transliteration. */
        if (arabic) {
            int persian = 0;
            for (int32_t p = 0; p < wlen && !persian; p++)
                persian = word[p] == 0x06CC || word[p] == 0x067E || word[p] == 0x0686 ||
                          word[p] == 0x0698 || word[p] == 0x06AF || word[p] == 0x06A9;
            for (int32_t p = 0; persian && p < wlen; p++) {
                if (word[p] == 0x0636 || word[p] == 0x0630 || word[p] == 0x0638)
                    word[p] = 0x0632; /* ز */
                else if (word[p] == 0x062B)
                    word[p] = 0x0633; /* س */
            }
        }
        /* The Arabic article is written attached: الأسد -> أسد, as "al-Assad" loses "al". */
        if (arabic && wlen > 3 && word[0] == 0x0627 && word[1] == 0x0644) {
            memmove(word, word + 2, (size_t)(wlen - 2) * sizeof(UChar));
            wlen -= 2;
        }
        if (k->fast_paths && (script == USCRIPT_CYRILLIC || arabic)) {
            word_t *w = &words[count];
            if (table_translit(word, wlen, arabic, w->ascii, sizeof(w->ascii))) {
                w->from_arabic = arabic;
                w->from_cyrillic = !arabic;
                if (w->ascii[0])
                    count++;
                continue;
            }
        }
        if (k->fast_paths && script == USCRIPT_LATIN) {
            /* Fast path: a Latin word whose letters fold to ASCII needs no transliterator. */
            word_t *w = &words[count];
            size_t o = 0;
            int32_t p;
            for (p = 0; p < wlen && o + 1 < sizeof(w->ascii); p++) {
                uint32_t ch = nf_fold_cp(word[p]);
                if (U16_IS_SURROGATE(word[p]))
                    break;
                if (ch >= 0x80) {
                    /* letters with no decomposition, and marks: as Latin-ASCII has them */
                    const char *t = latin_extra(word[p]);
                    if (!t)
                        break;
                    for (; *t && o + 1 < sizeof(w->ascii); t++)
                        w->ascii[o++] = *t;
                    continue;
                }
                if (ch >= 'a' && ch <= 'z')
                    w->ascii[o++] = (char)ch;
            }
            if (p == wlen || o + 1 >= sizeof(w->ascii)) {
                w->ascii[o] = '\0';
                w->from_arabic = w->from_cyrillic = 0;
                if (o)
                    count++;
                continue;
            }
        }
        int ayin = arabic && word[0] == 0x0639;
        int32_t limit = wlen;
        utrans_transUChars(script == USCRIPT_CYRILLIC ? k->cyrillic : k->any, word, &wlen,
                           (int32_t)(sizeof(word) / sizeof(word[0])), 0, &limit, &status);
        if (U_FAILURE(status))
            return -1;
        word_t *w = &words[count];
        size_t o = 0;
        /* An initial ayin is a vowel onset to Latin ears (العطار = al-Attar); ICU writes it as a
         * modifier letter that the ASCII step drops. */
        if (ayin)
            w->ascii[o++] = 'a';
        for (int32_t p = 0; p < wlen && o + 1 < sizeof(w->ascii); p++) {
            UChar ch = word[p];
            if (ch >= 'A' && ch <= 'Z')
                ch = (UChar)(ch - 'A' + 'a');
            if (ch >= 'a' && ch <= 'z')
                w->ascii[o++] = (char)ch;
        }
        w->ascii[o] = '\0';
        w->from_arabic = arabic;
        w->from_cyrillic = script == USCRIPT_CYRILLIC;
        if (o)
            count++;
    }
    return count;
}

nf_err_t nf_entkey_ascii(nf_entkey_t *k, const char *utf8, size_t len, char *out, size_t out_size)
{
    word_t words[MAX_WORDS];
    if (out_size)
        out[0] = '\0';
    int n = split_words(k, utf8, len, words, MAX_WORDS, 0);
    if (n < 0)
        return NF_ERR_ICU;
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        int w = snprintf(out + o, out_size - o, "%s%s", i ? " " : "", words[i].ascii);
        if (w < 0 || (size_t)w >= out_size - o)
            break;
        o += (size_t)w;
    }
    return NF_OK;
}

static int is_vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

/* Digraphs first (longest match), each to one class letter; upper case marks the classes
 * spelt with two letters so they stay apart from the single letters. Returns how many letters
 * of `w` were read (0: none applies) and the replacement in *to. */
static size_t rewrite(const char *w, const char **to)
{
    char n1 = w[0] ? w[1] : 0, n2 = n1 ? w[2] : 0, n3 = n2 ? w[3] : 0;
    switch (w[0]) {
    case 's':
        if (n1 == 'h' && n2 == 'c' && n3 == 'h')
            return *to = "S", 4;
        if (n1 == 'c' && n2 == 'h')
            return *to = "S", 3;
        if (n1 == 'h')
            return *to = "S", 2;
        return 0;
    case 't':
        if (n1 == 's' && n2 == 'c' && n3 == 'h')
            return *to = "C", 4;
        if (n1 == 'c' && n2 == 'h')
            return *to = "C", 3;
        if (n1 == 's' || n1 == 'z')
            return *to = "C", 2;
        if (n1 == 'h')
            return *to = "t", 2;
        return 0;
    case 'c':
        if (n1 == 'h' || n1 == 'z')
            return *to = "C", 2;
        if (n1 == 'k')
            return *to = "k", 2;
        return *to = "k", 1;
    case 'z':
        return n1 == 'h' ? (*to = "Z", 2) : 0;
    case 'k':
        return n1 == 'h' ? (*to = "h", 2) : 0;
    case 'g':
        return n1 == 'h' ? (*to = "g", 2) : 0;
    case 'p':
        return n1 == 'h' ? (*to = "v", 2) : 0; /* the class of f (Pharma = فارما = Фарма) */
    case 'd':
        if (n1 == 'h')
            return *to = "d", 2;
        if (n1 == 't')
            return *to = "t", 2;
        return 0;
    case 'x':
        return *to = "ks", 1;
    case 'q':
        return *to = "k", 1;
    case 'w':
    case 'f':
        return *to = "v", 1;
    default:
        return 0;
    }
}

void nf_entkey_skeleton(const char *word, int from_arabic, char *out, size_t out_size)
{
    char phon[NF_ENTKEY_MAX * 2];
    size_t n = 0;
    size_t wlen = strlen(word);
    for (size_t i = 0; i < wlen && n + 3 < sizeof(phon);) {
        char c = word[i];
        if (c == 'c' && word[i + 1] == 'h' && word[i + 2] == '\0' && i > 0) {
            /* Final -ch is German/Slavic [x] (Ebersbach = Эберсбах, Abramovich = Абрамович). */
            phon[n++] = 'h';
            i += 2;
            continue;
        }
        if (from_arabic && i > 0 && c == 'w' && word[i + 1] == 'a') {
            /* و before ا is the consonant: کوالیک = Kovalyk (elsewhere a vowel letter). */
            phon[n++] = 'v';
            i++;
            continue;
        }
        if (from_arabic && i > 0 && (c == 'w' || c == 'y')) {
            /* و and ي write the vowels o/u and e/i of foreign names: ماكرون = Macron. */
            phon[n++] = 'a';
            i++;
            continue;
        }
        if (i == 0 && c == 'y' && word[1] == 'e') {
            /* Russian writes initial Е as Ye: Yelena = Elena, Еберсбах = Ebersbach. */
            phon[n++] = 'a';
            i += 2;
            continue;
        }
        if (c == 'j' || c == 'y') {
            /* Initial j/y is the consonant (Yanukovych, Janukowytsch); elsewhere a vowel
             * letter (-skyj, -skiy, -skyy). */
            phon[n++] = i == 0 ? 'Y' : 'a';
            i++;
            continue;
        }
        const char *to;
        size_t fl = rewrite(word + i, &to);
        if (fl) {
            for (; *to; to++)
                phon[n++] = *to;
            i += fl;
            continue;
        }
        phon[n++] = is_vowel(c) ? 'a' : c;
        i++;
    }
    phon[n] = '\0';

    size_t o = 0;
    char last = 0;
    for (size_t i = 0; i < n && o + 3 < out_size; i++) {
        char c = phon[i];
        if (i == 0) {
            if (c == 'a')
                c = 'a'; /* an initial vowel is kept as one marker */
            else if (c == 'z')
                c = 's'; /* Zelensky / Selenskyj */
        } else if (c == 'a' || c == 'h') {
            continue; /* vowels and h (ta marbuta, Muhammad/Mohamed) */
        }
        if (c == last)
            continue; /* doubled letters, also across a dropped vowel */
        last = c;
        switch (c) {
        case 'S':
            out[o++] = 's', out[o++] = 'h';
            break;
        case 'C':
            out[o++] = 'c', out[o++] = 'h';
            break;
        case 'Z':
            out[o++] = 'z', out[o++] = 'h';
            break;
        case 'X':
            out[o++] = 'k', out[o++] = 'h';
            break;
        case 'Y':
            out[o++] = 'y';
            break;
        default:
            out[o++] = c;
        }
    }
    if (out_size)
        out[o < out_size ? o : out_size - 1] = '\0';
}

static int in_list(const char *w, const char *const *list)
{
    for (; *list; list++) /* the first letter first: most words are in no list */
        if (**list == *w && strcmp(w, *list) == 0)
            return 1;
    return 0;
}

/* Words that are part of a surname's key (von der Leyen, da Silva). */
static const char *const european_particles[] = {"von", "van", "der", "den",   "de",  "da",
                                                 "di",  "du",  "del", "della", "la",  "le",
                                                 "ten", "ter", "dos", "das",   "des", NULL};
/* Words that are not: Arabic particles, generational suffixes. */
static const char *const dropped_person_words[] = {"al",  "el",   "ul", "bin", "ben", "ibn", "bint",
                                                   "abu", "ould", "jr", "sr",  "ii",  "iii", NULL};
/* Function words inside organisation and place names. */
static const char *const function_words[] = {
    "of",  "the", "and", "for", "de",  "del", "des", "du", "la", "le", "les", "el", "al",
    "der", "die", "das", "fur", "und", "et",  "y",   "e",  "di", "da", "of",  "i",  NULL};

/* ---- organisation concepts ------------------------------------------------------------- */

#include "orgconcepts.inc"

#define N_CONCEPTS (sizeof(org_concepts) / sizeof(org_concepts[0]) - 1)
#define CONCEPT_FUNCTION (-1) /* a function word: no part of the key */
#define CONCEPT_PLACE (-2)    /* a nationality adjective: its country is part of the key */
#define CONCEPT_SLOTS 16384   /* ~1,100 forms and ~5,000 nationality adjectives */
#define ORG_MAX_ELEMENTS 12

typedef struct concept_slot {
    uint64_t hash; /* folded form (0: empty slot) */
    int16_t concept;
    uint8_t stem;   /* the form was written with '*' */
    char place[10]; /* CONCEPT_PLACE: the country's id without "loc:" */
} concept_slot_t;

static concept_slot_t *concept_table;
static pthread_once_t concept_once = PTHREAD_ONCE_INIT;

/* data/gazetteer/demonyms.tsv, embedded by gazetteer_data.c */
extern const char nf_demonym_data[], nf_demonym_data_end[];

static concept_slot_t *concept_slot(uint64_t hash, int create)
{
    size_t idx = (size_t)(hash ^ (hash >> 29)) & (CONCEPT_SLOTS - 1);
    while (concept_table[idx].hash) {
        if (concept_table[idx].hash == hash)
            return create ? NULL : &concept_table[idx]; /* the first writer keeps a form */
        idx = (idx + 1) & (CONCEPT_SLOTS - 1);
    }
    if (!create)
        return NULL;
    concept_table[idx].hash = hash;
    return &concept_table[idx];
}

static void add_forms(const char *forms, int16_t concept)
{
    for (const char *w = forms; *w;) {
        size_t len = strcspn(w, " ");
        int stem = len > 1 && w[len - 1] == '*';
        uint64_t h = nf_token_hash(w, len - (size_t)stem);
        concept_slot_t *s = h ? concept_slot(h, 1) : NULL;
        if (s) {
            s->concept = concept;
            s->stem = (uint8_t)stem;
        }
        w += len;
        w += strspn(w, " ");
    }
}

static void build_concepts(void)
{
    concept_slot_t *table = nf_calloc(CONCEPT_SLOTS, sizeof(*table));
    if (!table)
        return; /* organisation names keep their transliteration keys */
    concept_table = table;
    add_forms(org_function_words, CONCEPT_FUNCTION);
    for (size_t c = 0; c < N_CONCEPTS; c++)
        add_forms(org_concepts[c].forms, (int16_t)c);
    /* "id TAB LOC TAB adj TAB lang=word...": iranienne, égyptien, European... */
    for (const char *p = nf_demonym_data, *end = nf_demonym_data_end; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *tab = memchr(p, '\t', (size_t)(eol - p));
        if (*p != '#' && tab && tab - p > 4 && tab - p < 4 + 10 && memcmp(p, "loc:", 4) == 0) {
            int field = 0;
            for (const char *f = p; f < eol; field++) {
                const char *next = memchr(f, '\t', (size_t)(eol - f));
                const char *fend = next ? next : eol;
                const char *eq = memchr(f, '=', (size_t)(fend - f));
                uint64_t h = field >= 3 && eq ? nf_token_hash(eq + 1, (size_t)(fend - eq - 1)) : 0;
                concept_slot_t *s = h ? concept_slot(h, 1) : NULL;
                if (s) {
                    s->concept = CONCEPT_PLACE;
                    memcpy(s->place, p + 4, (size_t)(tab - p - 4));
                    s->place[tab - p - 4] = '\0';
                }
                f = next ? next + 1 : eol;
            }
        }
        p = eol + 1;
    }
}

static const concept_slot_t *find_concept(uint64_t hash)
{
    return hash ? concept_slot(hash, 0) : NULL;
}

/* Byte offsets of the ends of the code points of w; 0 when it has more than max (no word of
 * the vocabulary is that long). */
static int cp_ends(const char *w, size_t wl, size_t *ends, int max)
{
    int n = 0;
    size_t b = 0;
    while (b < wl && n < max) {
        uint8_t c = (uint8_t)w[b];
        b += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        ends[n++] = b > wl ? wl : b;
    }
    return b < wl ? 0 : n;
}

/* The concept of a whole word: a form as written, or a stem and at most five more letters. */
static const concept_slot_t *word_concept(const char *w, size_t wl)
{
    const concept_slot_t *s = find_concept(nf_token_hash(w, wl));
    if (s)
        return s;
    size_t ends[64];
    int n = cp_ends(w, wl, ends, 64);
    for (int k = n - 1; k >= 3 && n - k <= 5; k--) {
        s = find_concept(nf_token_hash(w, ends[k - 1]));
        if (s && s->stem && s->concept >= 0)
            return s;
    }
    return NULL;
}

/* A German compound made of concepts (Bundesgesundheitsministerium, Weltraumorganisation):
 * parts of at least three letters, each a form or a stem as written, joined directly or by a
 * linking s; the last part may be inflected. Fills ids (at most max) and returns how many, or
 * 0 when some part is no concept. */
static int compound_concepts(const char *w, const size_t *ends, int n, int from, int16_t *ids,
                             int max, int depth)
{
    if (max <= 0 || depth > 4)
        return 0;
    size_t start = from ? ends[from - 1] : 0;
    if (from > 0) {
        const concept_slot_t *s = word_concept(w + start, ends[n - 1] - start);
        if (s && s->concept >= 0) {
            ids[0] = s->concept;
            return 1;
        }
    }
    for (int end = n - 1; end >= from + 3; end--) {
        const concept_slot_t *s = find_concept(nf_token_hash(w + start, ends[end - 1] - start));
        if (!s || s->concept < 0)
            continue;
        for (int link = 0; link < 2; link++) {
            int next = end + link;
            if (link && (next >= n || (w[ends[end - 1]] != 's' && w[ends[end - 1]] != 'S')))
                break;
            if (next >= n)
                continue;
            int got = compound_concepts(w, ends, n, next, ids + 1, max - 1, depth + 1);
            if (got) {
                ids[0] = s->concept;
                return got + 1;
            }
        }
    }
    return 0;
}

/* Offsets at which an Arabic-script word may start once its clitics and article are read
 * off: و ف (and), then ال, لل, or ب ل ك with or without ال. Returns how many (the word as
 * written first). */
static int arabic_starts(const char *w, size_t wl, size_t *starts)
{
    int n = 0;
    starts[n++] = 0;
    if (wl < 6 || ((uint8_t)w[0] != 0xD8 && (uint8_t)w[0] != 0xD9))
        return n;
    size_t bases[2] = {0, 0};
    int nb = 1;
    if ((uint8_t)w[0] == 0xD9 && ((uint8_t)w[1] == 0x88 || (uint8_t)w[1] == 0x81)) /* و ف */
        bases[nb++] = 2;
    for (int b = 0; b < nb; b++) {
        const uint8_t *p = (const uint8_t *)w + bases[b];
        size_t rest = wl - bases[b];
        if (b > 0)
            starts[n++] = bases[b];
        if (rest < 8)
            continue;
        int alif_lam = p[0] == 0xD8 && p[1] == 0xA7 && p[2] == 0xD9 && p[3] == 0x84;
        int lam_lam = p[0] == 0xD9 && p[1] == 0x84 && p[2] == 0xD9 && p[3] == 0x84;
        int prep =
            (p[0] == 0xD8 && p[1] == 0xA8) || (p[0] == 0xD9 && (p[1] == 0x84 || p[1] == 0x83));
        if (alif_lam || lam_lam)
            starts[n++] = bases[b] + 4;
        else if (prep && rest >= 10 && p[2] == 0xD8 && p[3] == 0xA7 && p[4] == 0xD9 && p[5] == 0x84)
            starts[n++] = bases[b] + 6;
        else if (prep)
            starts[n++] = bases[b] + 2;
    }
    return n;
}

/* A place inside an organisation's name at toks[i] (the country of a nationality adjective
 * too: iranienne, égyptien, المصرية, ایرانی; Russian case forms: России, Египта). Writes the
 * place's id without "loc:" and returns the words it covers, or 0. */
static size_t org_place(const nf_entkey_t *k, const char *text, const nf_token_t *toks, size_t i,
                        size_t n, char *out, size_t size)
{
    const nf_gaz_entry_t *ent = NULL;
    unsigned fl;
    size_t m = nf_gazetteer_match(k->places, toks + i, n - i, &ent, &fl);
    if (!m || ent->type != NF_ENTITY_LOC) {
        m = 0;
        const char *w = text + toks[i].byte_start;
        size_t wl = toks[i].byte_end - toks[i].byte_start;
        uint64_t hashes[24];
        size_t nh = 0;
        const concept_slot_t *adj = find_concept(toks[i].hash);
        if (adj && adj->concept == CONCEPT_PLACE) {
            snprintf(out, size, "%s", adj->place);
            return 1;
        }
        uint8_t b0 = (uint8_t)w[0];
        if (b0 == 0xD8 || b0 == 0xD9 || b0 == 0xDA || b0 == 0xDB) {
            /* without clitics and article, and without the adjective ending ي ية ی ة */
            size_t starts[6];
            int ns = arabic_starts(w, wl, starts);
            for (int s = 0; s < ns; s++) {
                const char *x = w + starts[s];
                size_t xl = wl - starts[s];
                if (s)
                    hashes[nh++] = nf_token_hash(x, xl);
                static const char *const endings[] = {"\xD9\x8A\xD8\xA9", "\xD9\x8A", "\xDB\x8C",
                                                      "\xD8\xA9"};
                for (size_t e = 0; e < 4; e++) {
                    size_t el = strlen(endings[e]);
                    if (xl >= el + 4 && memcmp(x + xl - el, endings[e], el) == 0)
                        hashes[nh++] = nf_token_hash(x, xl - el);
                }
            }
        } else if ((b0 == 0xD0 || b0 == 0xD1) && wl >= 8) {
            /* a case ending read off: России -> Россия, Египта -> Египет, Франции */
            char buf[128];
            size_t stem = wl - 2;
            uint8_t c0 = (uint8_t)w[wl - 2], c1 = (uint8_t)w[wl - 1];
            int vowel = (c0 == 0xD0 && (c1 == 0xB0 || c1 == 0xB5 || c1 == 0xB8 || c1 == 0xBE)) ||
                        (c0 == 0xD1 && (c1 == 0x8B || c1 == 0x83 || c1 == 0x8E || c1 == 0x8F ||
                                        c1 == 0x96 || c1 == 0x97 || c1 == 0x8C));
            static const char *const tails[] = {"", "\xD0\xB0", "\xD1\x8F", "\xD1\x8C"};
            if (vowel && stem + 4 < sizeof(buf)) {
                for (size_t t = 0; t < 4; t++) {
                    memcpy(buf, w, stem);
                    memcpy(buf + stem, tails[t], strlen(tails[t]));
                    hashes[nh++] = nf_token_hash(buf, stem + strlen(tails[t]));
                }
                if (stem >= 6) { /* the fleeting e */
                    memcpy(buf, w, stem - 2);
                    memcpy(buf + stem - 2, "\xD0\xB5", 2);
                    memcpy(buf + stem, w + stem - 2, 2);
                    hashes[nh++] = nf_token_hash(buf, stem + 2);
                }
            }
        }
        for (size_t h = 0; h < nh && !m; h++) {
            if (!hashes[h])
                continue;
            m = nf_gazetteer_match_as(k->places, hashes[h], toks + i, 1, &ent, &fl);
            if (m && ent->type != NF_ENTITY_LOC)
                m = 0;
            adj = find_concept(hashes[h]);
            if (!m && adj && adj->concept == CONCEPT_PLACE) {
                snprintf(out, size, "%s", adj->place);
                return 1;
            }
        }
        if (!m)
            return 0;
    }
    snprintf(out, size, "%s", ent->id + (strncmp(ent->id, "loc:", 4) == 0 ? 4 : 0));
    for (char *c = out; *c; c++)
        if (*c == ':')
            *c = '.';
    return m;
}

static int cmp_element(const void *a, const void *b)
{
    return strcmp(a, b);
}

nf_err_t nf_entkey_org(nf_entkey_t *k, const char *utf8, size_t len, char *out, size_t out_size)
{
    if (out_size)
        out[0] = '\0';
    pthread_once(&concept_once, build_concepts);
    if (!concept_table || out_size == 0)
        return NF_OK;
    nf_token_t toks[ORG_MAX_ELEMENTS * 2];
    size_t n = nf_tokenize(utf8, len, toks, ORG_MAX_ELEMENTS * 2);
    if (n > ORG_MAX_ELEMENTS * 2)
        return NF_OK;
    char elems[ORG_MAX_ELEMENTS][24];
    int n_elems = 0, concepts = 0, heads = 0, names = 0;
    for (size_t i = 0; i < n; i++) {
        const char *w = utf8 + toks[i].byte_start;
        size_t wl = toks[i].byte_end - toks[i].byte_start;
        int16_t ids[ORG_MAX_ELEMENTS];
        int got = 0;
        const concept_slot_t *s = find_concept(toks[i].hash);
        if (s && s->concept == CONCEPT_FUNCTION)
            continue;
        if (!(toks[i].flags & NF_TOK_DIGIT)) {
            size_t starts[6];
            int ns = arabic_starts(w, wl, starts);
            for (int st = 0; st < ns && !got; st++) {
                s = word_concept(w + starts[st], wl - starts[st]);
                if (s && s->concept >= 0)
                ids[got++] = s->concept;
                else if (s && s->concept == CONCEPT_FUNCTION && st == 0) got =
                    -1; /* a function word (ال-less forms are not tried) */
            }
            if (got < 0)
                continue;
            uint8_t b0 = (uint8_t)w[0];
            if (!got && b0 < 0x80 && wl >= 8) {
                size_t ends[64];
                int ne = cp_ends(w, wl, ends, 64);
                got = compound_concepts(w, ends, ne, 0, ids, ORG_MAX_ELEMENTS, 0);
            }
        }
        if (got) {
            for (int g = 0; g < got && n_elems < ORG_MAX_ELEMENTS; g++) {
                snprintf(elems[n_elems++], sizeof(elems[0]), "%s", org_concepts[ids[g]].id);
                concepts++;
                heads += org_concepts[ids[g]].head;
            }
            continue;
        }
        if (n_elems == ORG_MAX_ELEMENTS)
            return NF_OK;
        size_t m = org_place(k, utf8, toks, i, n, elems[n_elems], sizeof(elems[0]));
        if (m) {
            n_elems++;
            i += m - 1;
            continue;
        }
        /* a proper name: its consonant skeleton */
        if (++names > 1)
            return NF_OK;
        word_t word[1];
        int nw = split_words(k, w, wl, word, 1, 0);
        if (nw < 0)
            return NF_ERR_ICU;
        if (nw == 0)
            return NF_OK;
        nf_entkey_skeleton(word[0].ascii, word[0].from_arabic, elems[n_elems], sizeof(elems[0]));
        if (strlen(elems[n_elems]) < 2)
            return NF_OK;
        n_elems++;
    }
    /* A kind of body, two elements at least (a lone "Council" names none in particular), and
     * at most one proper name beside two concepts. */
    if (!heads || n_elems < 2 || (names && concepts < 2))
        return NF_OK;
    qsort(elems, (size_t)n_elems, sizeof(elems[0]), cmp_element);
    size_t o = 0;
    for (int e = 0; e < n_elems; e++) {
        if (e && strcmp(elems[e], elems[e - 1]) == 0)
            continue; /* a bag of distinct elements */
        size_t el = strlen(elems[e]);
        if (o + (o ? 1 : 0) + el + 1 > out_size) {
            out[0] = '\0'; /* too long to be cut: the transliteration key then */
            return NF_OK;
        }
        if (o)
            out[o++] = '-';
        memcpy(out + o, elems[e], el);
        o += el;
    }
    out[o] = '\0';
    return NF_OK;
}

int nf_entkey_org_generic(const char *key)
{
    pthread_once(&concept_once, build_concepts);
    if (!key[0])
        return 0;
    for (const char *p = key; *p;) {
        size_t len = strcspn(p, "-");
        size_t c;
        for (c = 0; c < N_CONCEPTS; c++)
            if (org_concepts[c].id[0] == p[0] && strlen(org_concepts[c].id) == len &&
                memcmp(org_concepts[c].id, p, len) == 0)
                break;
        if (c == N_CONCEPTS)
            return 0;
        p += len;
        p += *p == '-';
    }
    return 1;
}

int nf_entkey_demonym(const char *utf8, size_t len, char *out, size_t out_size)
{
    pthread_once(&concept_once, build_concepts);
    const concept_slot_t *s = concept_table ? find_concept(nf_token_hash(utf8, len)) : NULL;
    if (!s || s->concept != CONCEPT_PLACE || !out_size)
        return 0;
    snprintf(out, out_size, "%s", s->place);
    return 1;
}

void nf_entkey_org_with_place(const char *key, const char *place, char *out, size_t out_size)
{
    char elems[ORG_MAX_ELEMENTS + 1][24];
    int n = 0;
    for (const char *p = key; *p && n < ORG_MAX_ELEMENTS;) {
        size_t len = strcspn(p, "-");
        snprintf(elems[n++], sizeof(elems[0]), "%.*s", (int)len, p);
        p += len;
        p += *p == '-';
    }
    snprintf(elems[n++], sizeof(elems[0]), "%s", place);
    for (char *c = elems[n - 1]; *c; c++)
        if (*c == ':')
            *c = '.';
    qsort(elems, (size_t)n, sizeof(elems[0]), cmp_element);
    size_t o = 0;
    for (int e = 0; e < n; e++) {
        if (e && strcmp(elems[e], elems[e - 1]) == 0)
            continue;
        size_t el = strlen(elems[e]);
        if (o + (o ? 1 : 0) + el + 1 > out_size) {
            snprintf(out, out_size, "%s", key); /* no room: the key as it was */
            return;
        }
        if (o)
            out[o++] = '-';
        memcpy(out + o, elems[e], el);
        o += el;
    }
    out[o] = '\0';
}

nf_err_t nf_entkey_name(nf_entkey_t *k, nf_entity_type_t type, const char *utf8, size_t len,
                        char *out, size_t out_size)
{
    word_t words[MAX_WORDS];
    out[0] = '\0';
    if (type == NF_ENTITY_ORG) {
        nf_err_t err = nf_entkey_org(k, utf8, len, out, out_size);
        if (err != NF_OK || out[0])
            return err;
    }
    /* A person's key needs the surname and its particles: the last four words at most. */
    int n = split_words(k, utf8, len, words, MAX_WORDS, type == NF_ENTITY_PERSON ? 4 : 0);
    if (n < 0)
        return NF_ERR_ICU;
    int first = 0;
    if (type == NF_ENTITY_PERSON) {
        while (n > 0 && in_list(words[n - 1].ascii, dropped_person_words))
            n--;
        if (n == 0)
            return NF_OK;
        first = n - 1;
        while (first > 1 && in_list(words[first - 1].ascii, european_particles))
            first--;
        if (first == 1 && n > 2 && in_list(words[0].ascii, european_particles))
            first = 0;
        /* Russian and Ukrainian decline surnames; the endings that add a consonant go
         * (Макроном, Зеленского, Путиным: the vowel endings vanish with the vowels anyway). */
        if (words[n - 1].from_cyrillic) {
            static const char *const endings[] = {"ogo", "ego", "omu", "emu", "ymi", "imi", "ykh",
                                                  "ikh", "om",  "em",  "ym",  "im",  NULL};
            char *w = words[n - 1].ascii;
            size_t wl = strlen(w);
            for (const char *const *end = endings; *end && wl >= 7; end++) {
                size_t el = strlen(*end);
                if (strcmp(w + wl - el, *end) == 0) {
                    w[wl - el] = '\0';
                    break;
                }
            }
        }
        /* Surname only, particles glued: "von der Leyen" -> one skeleton. */
        char glued[NF_ENTKEY_MAX] = "";
        size_t g = 0;
        for (int i = first; i < n; i++)
            for (const char *c = words[i].ascii; *c && g + 1 < sizeof(glued); c++)
                glued[g++] = *c;
        glued[g] = '\0';
        nf_entkey_skeleton(glued, words[n - 1].from_arabic, out, out_size);
        return NF_OK;
    }
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        if (n > 1 && in_list(words[i].ascii, function_words))
            continue;
        char sk[NF_ENTKEY_MAX];
        nf_entkey_skeleton(words[i].ascii, words[i].from_arabic, sk, sizeof(sk));
        int w = snprintf(out + o, out_size - o, "%s%s", o ? "-" : "", sk);
        if (w < 0 || (size_t)w >= out_size - o)
            break;
        o += (size_t)w;
    }
    return NF_OK;
}
