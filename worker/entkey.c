/* Canonical entity keys. The transliteration gets every script to the same 26 letters; the
 * skeleton then throws away what spellings disagree on (vowels, doubling, digraph choice)
 * and keeps the consonant frame, which is what survives from Зеленський to Selenskyj to
 * زيلينسكي. README.md ("Entities") documents the rules and the false merges they cause. */
#include "newsflow/entkey.h"

#include <stdio.h>
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
        !(k->any = open_trans("Any-Latin; Latin-ASCII; Lower", errstr, errstr_size))) {
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
    for (; *list; list++)
        if (strcmp(w, *list) == 0)
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

nf_err_t nf_entkey_name(nf_entkey_t *k, nf_entity_type_t type, const char *utf8, size_t len,
                        char *out, size_t out_size)
{
    word_t words[MAX_WORDS];
    out[0] = '\0';
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
