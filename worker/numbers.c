/* Numbers and dates across languages and scripts. The text is decoded to code points once; a
 * number is a run of decimal digits of any script (ICU u_charDigitValue), extended by thousands
 * groups ("12,480", "12 480", "12.480", "12'480", Arabic "٬"), a decimal part, a multiplier word
 * ("million", "тысяч", "مليون", ...) and an added remainder ("12 mille 480"). A separator followed
 * by exactly three digits is a thousands separator whatever the language (so "12.480" is 12480
 * in English too: the rare three-decimal measure is the price of reading every locale the same
 * way). */
#include "newsflow/numbers.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "newsflow/alloc.h"

typedef struct word_entry {
    const char *stem; /* lower case UTF-8 */
    int exact;        /* 1: the word must equal stem; 0: start with it */
    int value;
} word_entry_t;

/* Month names and their inflected stems. Short stems that would catch other words are exact. */
static const word_entry_t months[] = {
    /* en */
    {"january", 0, 1},
    {"february", 0, 2},
    {"march", 1, 3},
    {"april", 1, 4},
    {"may", 1, 5},
    {"june", 1, 6},
    {"july", 1, 7},
    {"august", 1, 8},
    {"september", 0, 9},
    {"october", 0, 10},
    {"november", 0, 11},
    {"december", 0, 12},
    {"jan", 1, 1},
    {"feb", 1, 2},
    {"mar", 1, 3},
    {"apr", 1, 4},
    {"jun", 1, 6},
    {"jul", 1, 7},
    {"aug", 1, 8},
    {"sep", 1, 9},
    {"sept", 1, 9},
    {"oct", 1, 10},
    {"nov", 1, 11},
    {"dec", 1, 12},
    /* fr */
    {"janvier", 1, 1},
    {"février", 1, 2},
    {"fevrier", 1, 2},
    {"mars", 1, 3},
    {"avril", 1, 4},
    {"mai", 1, 5},
    {"juin", 1, 6},
    {"juillet", 1, 7},
    {"août", 1, 8},
    {"aout", 1, 8},
    {"septembre", 1, 9},
    {"octobre", 1, 10},
    {"novembre", 1, 11},
    {"décembre", 1, 12},
    /* de, nl */
    {"januar", 0, 1},
    {"februar", 0, 2},
    {"märz", 1, 3},
    {"maart", 1, 3},
    {"juni", 1, 6},
    {"juli", 1, 7},
    {"augustus", 1, 8},
    {"oktober", 1, 10},
    {"dezember", 1, 12},
    {"mei", 1, 5},
    /* es, it, pt */
    {"enero", 1, 1},
    {"febrero", 1, 2},
    {"marzo", 1, 3},
    {"abril", 1, 4},
    {"mayo", 1, 5},
    {"junio", 1, 6},
    {"julio", 1, 7},
    {"agosto", 1, 8},
    {"septiembre", 1, 9},
    {"setiembre", 1, 9},
    {"octubre", 1, 10},
    {"noviembre", 1, 11},
    {"diciembre", 1, 12},
    {"gennaio", 1, 1},
    {"febbraio", 1, 2},
    {"aprile", 1, 4},
    {"maggio", 1, 5},
    {"giugno", 1, 6},
    {"luglio", 1, 7},
    {"settembre", 1, 9},
    {"ottobre", 1, 10},
    {"dicembre", 1, 12},
    {"janeiro", 1, 1},
    {"fevereiro", 1, 2},
    {"março", 1, 3},
    {"maio", 1, 5},
    {"junho", 1, 6},
    {"julho", 1, 7},
    {"setembro", 1, 9},
    {"outubro", 1, 10},
    {"dezembro", 1, 12},
    /* ru (stems cover the nominative and the genitive "марта") */
    {"январ", 0, 1},
    {"феврал", 0, 2},
    {"март", 0, 3},
    {"апрел", 0, 4},
    {"май", 1, 5},
    {"мая", 1, 5},
    {"июн", 0, 6},
    {"июл", 0, 7},
    {"август", 0, 8},
    {"сентябр", 0, 9},
    {"октябр", 0, 10},
    {"ноябр", 0, 11},
    {"декабр", 0, 12},
    /* uk */
    {"січ", 0, 1},
    {"лют", 0, 2},
    {"берез", 0, 3},
    {"квіт", 0, 4},
    {"травн", 0, 5},
    {"травен", 0, 5},
    {"черв", 0, 6},
    {"лип", 0, 7},
    {"серп", 0, 8},
    {"верес", 0, 9},
    {"жовт", 0, 10},
    {"листопад", 0, 11},
    {"груд", 0, 12},
    /* ar (the Gregorian month names of Egypt and the Gulf) */
    {"يناير", 1, 1},
    {"فبراير", 1, 2},
    {"مارس", 1, 3},
    {"أبريل", 1, 4},
    {"ابريل", 1, 4},
    {"مايو", 1, 5},
    {"يونيو", 1, 6},
    {"يوليو", 1, 7},
    {"أغسطس", 1, 8},
    {"اغسطس", 1, 8},
    {"سبتمبر", 1, 9},
    {"أكتوبر", 1, 10},
    {"اكتوبر", 1, 10},
    {"نوفمبر", 1, 11},
    {"ديسمبر", 1, 12},
};

/* Multiplier words (value = power of ten). */
static const word_entry_t multipliers[] = {
    {"thousand", 0, 3}, {"mille", 1, 3},     {"mila", 1, 3},     {"mil", 1, 3},
    {"tausend", 1, 3},  {"duizend", 1, 3},   {"тысяч", 0, 3},    {"тыс", 1, 3},
    {"тисяч", 0, 3},    {"ألف", 1, 3},       {"آلاف", 1, 3},     {"الف", 1, 3},
    {"million", 0, 6},  {"millionen", 1, 6}, {"millón", 1, 6},   {"millones", 1, 6},
    {"milione", 1, 6},  {"milioni", 1, 6},   {"milhão", 1, 6},   {"milhões", 1, 6},
    {"miljoen", 0, 6},  {"миллион", 0, 6},   {"мільйон", 0, 6},  {"млн", 1, 6},
    {"مليون", 1, 6},    {"ملايين", 1, 6},    {"billion", 0, 9},  {"milliard", 0, 9},
    {"miliardo", 1, 9}, {"miliardi", 1, 9},  {"миллиард", 0, 9}, {"мільярд", 0, 9},
    {"млрд", 1, 9},     {"مليار", 0, 9},
};

static int is_digit_icu(UChar32 c)
{
    return u_charDigitValue(c) >= 0 && u_charType(c) == U_DECIMAL_DIGIT_NUMBER;
}

static int is_letter_icu(UChar32 c)
{
    return u_isalpha(c) || (U_GET_GC_MASK(c) & U_GC_M_MASK);
}

/* is_letter_icu and is_digit_icu for the BMP from bitmaps built once (8 KiB each): the scan asks
 * them of every code point of a text, and ICU's property lookups were most of this file's cost
 * in a Cyrillic or Arabic one. No code point is both (letters and marks are not Nd). */
static uint8_t letter_bmp[0x10000 / 8];
static uint8_t digit_bmp[0x10000 / 8];
static pthread_once_t bmp_once = PTHREAD_ONCE_INIT;

/* ASCII is answered before either bitmap is read (is_letter, is_digit). */
static void bmp_build(void)
{
    for (UChar32 c = 128; c < 0x10000; c++) {
        if (is_letter_icu(c))
            letter_bmp[c >> 3] |= (uint8_t)(1u << (c & 7));
        if (is_digit_icu(c))
            digit_bmp[c >> 3] |= (uint8_t)(1u << (c & 7));
    }
}

/* U+0660 (ARABIC-INDIC DIGIT ZERO) is the first decimal digit after ASCII's. */
#define FIRST_NON_ASCII_DIGIT 0x660

static inline int is_digit(UChar32 c)
{
    if ((uint32_t)(c - '0') < 10u)
        return 1;
    if (c < FIRST_NON_ASCII_DIGIT)
        return 0;
    if (c < 0x10000)
        return digit_bmp[c >> 3] >> (c & 7) & 1;
    return is_digit_icu(c);
}

/* The first index from i on that holds a digit (n if none), eight code points a test while
 * none may (most of a text has no digit): GCC's and clang's vector extensions, SSE2 compares on
 * x86-64, since GCC does not vectorise an early-exit loop by itself. */
typedef uint32_t u32x4 __attribute__((vector_size(16)));

static inline size_t skip_to_digit(const UChar32 *cp, size_t i, size_t n)
{
    const u32x4 zero = {'0', '0', '0', '0'}, ten = {10, 10, 10, 10};
    const u32x4 first = {FIRST_NON_ASCII_DIGIT - 1, FIRST_NON_ASCII_DIGIT - 1,
                         FIRST_NON_ASCII_DIGIT - 1, FIRST_NON_ASCII_DIGIT - 1};
    for (; i + 8 <= n; i += 8) {
        u32x4 a, b;
        memcpy(&a, cp + i, sizeof(a));
        memcpy(&b, cp + i + 4, sizeof(b));
        u32x4 hit = (a - zero < ten) | (a > first) | (b - zero < ten) | (b > first);
        uint64_t h[2];
        memcpy(h, &hit, sizeof(h));
        if (h[0] | h[1])
            break;
    }
    while (i < n && !is_digit(cp[i]))
        i++;
    return i;
}

static inline int is_letter(UChar32 c)
{
    if (c < 128)
        return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
    if (c < 0x10000)
        return letter_bmp[c >> 3] >> (c & 7) & 1;
    return is_letter_icu(c);
}

static int is_group_sep(UChar32 c)
{
    return c == ',' || c == '.' || c == ' ' || c == 0x00A0 || c == 0x202F || c == 0x2009 ||
           c == '\'' || c == 0x2019 || c == 0x066C;
}

static int is_decimal_sep(UChar32 c)
{
    return c == '.' || c == ',' || c == 0x066B;
}

static int is_space(UChar32 c)
{
    return c == ' ' || c == 0x00A0 || c == 0x202F || c == 0x2009;
}

/* Lower-cases the letters cp[start..end) into buf as UTF-8. */
static size_t lower_word(const UChar32 *cp, size_t start, size_t end, char *buf, size_t cap)
{
    size_t n = 0;
    for (size_t i = start; i < end; i++) {
        UChar32 c = u_tolower(cp[i]);
        if (n + U8_LENGTH(c) >= cap)
            break;
        U8_APPEND_UNSAFE(buf, n, c);
    }
    buf[n] = '\0';
    return n;
}

static int lookup(const word_entry_t *table, size_t n, const char *word, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (table[i].stem[0] != word[0]) /* every stem is non-empty: a cheap first filter */
            continue;
        size_t sl = strlen(table[i].stem);
        if (table[i].exact ? (sl == len && memcmp(word, table[i].stem, sl) == 0)
                           : (len >= sl && memcmp(word, table[i].stem, sl) == 0))
            return table[i].value;
    }
    return 0;
}

int nf_numbers_month(const char *utf8, size_t len)
{
    char buf[64];
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        UChar32 c;
        U8_NEXT(utf8, i, len, c);
        if (c < 0)
            continue;
        c = u_tolower(c);
        if (n + U8_LENGTH(c) >= sizeof(buf))
            return 0;
        U8_APPEND_UNSAFE(buf, n, c);
    }
    buf[n] = '\0';
    return lookup(months, sizeof(months) / sizeof(months[0]), buf, n);
}

/* The word starting at or after `i` (skipping spaces and a dot: "14. März"), as
 * [*ws, *we). Returns 0 when the next thing is not a word. */
static int next_word(const UChar32 *cp, size_t n, size_t i, size_t *ws, size_t *we)
{
    while (i < n && (is_space(cp[i]) || cp[i] == '.'))
        i++;
    if (i >= n || !is_letter(cp[i]))
        return 0;
    *ws = i;
    while (i < n && is_letter(cp[i]))
        i++;
    *we = i;
    return 1;
}

static int word_value(const UChar32 *cp, size_t ws, size_t we, const word_entry_t *t, size_t tn)
{
    char buf[64];
    size_t len = lower_word(cp, ws, we, buf, sizeof(buf));
    return lookup(t, tn, buf, len);
}

#define VALUE_CAP 1000000000000000LL /* 1e15 */
#define N_MONTHS (sizeof(months) / sizeof(months[0]))
#define N_MULT (sizeof(multipliers) / sizeof(multipliers[0]))

/* Reads the digit run at i: value, digit count; returns the index after it. */
static size_t digit_run(const UChar32 *cp, size_t n, size_t i, int64_t *value, int *digits)
{
    *value = 0;
    *digits = 0;
    while (i < n && is_digit(cp[i])) {
        if (*value < VALUE_CAP) /* longer runs saturate: no overflow below */
            *value = *value * 10 + u_charDigitValue(cp[i]);
        (*digits)++;
        i++;
    }
    return i;
}

typedef struct emitter {
    nf_number_t *out;
    size_t max, count;
} emitter_t;

static void emit(emitter_t *e, nf_number_kind_t kind, int64_t value)
{
    if (e->count < e->max)
        e->out[e->count] = (nf_number_t){kind, value};
    e->count++;
}

static int valid_day_month(int64_t d, int64_t m)
{
    return d >= 1 && d <= 31 && m >= 1 && m <= 12;
}

/* Parses the number starting at cp[i] (a digit); returns the index after it. */
static size_t parse_number(const UChar32 *cp, size_t n, size_t i, emitter_t *e)
{
    int64_t first;
    int first_digits;
    size_t j = digit_run(cp, n, i, &first, &first_digits);

    /* Dates written with digits: 2026-03-14, 14.03.2026, 14/03/2026. */
    if (first_digits == 4 && j + 5 < n && cp[j] == '-' && is_digit(cp[j + 1])) {
        int64_t m, d;
        int md, dd;
        size_t k = digit_run(cp, n, j + 1, &m, &md);
        if (md == 2 && k + 2 < n && cp[k] == '-') {
            size_t k2 = digit_run(cp, n, k + 1, &d, &dd);
            if (dd == 2 && valid_day_month(d, m)) {
                emit(e, NF_NUMBER_YEAR, first);
                emit(e, NF_NUMBER_DATE, m * 100 + d);
                return k2;
            }
        }
    }
    if (first_digits <= 2 && j + 1 < n && (cp[j] == '.' || cp[j] == '/') && is_digit(cp[j + 1])) {
        int64_t m, y;
        int md, yd;
        size_t k = digit_run(cp, n, j + 1, &m, &md);
        if (md <= 2 && k + 1 < n && cp[k] == cp[j] && is_digit(cp[k + 1])) {
            size_t k2 = digit_run(cp, n, k + 1, &y, &yd);
            if (yd == 4 && valid_day_month(first, m)) {
                emit(e, NF_NUMBER_DATE, m * 100 + first);
                emit(e, NF_NUMBER_YEAR, y);
                return k2;
            }
        }
    }

    /* Day + month name ("14 March", "14. März", "14 de marzo", "14 марта", "14 مارس"). */
    if (first_digits <= 2 && first >= 1 && first <= 31) {
        size_t k = j, ws, we;
        if (k < n && cp[k] == '.')
            k++;
        if (next_word(cp, n, k, &ws, &we)) {
            int month = word_value(cp, ws, we, months, N_MONTHS);
            if (!month && we - ws == 2 && (cp[ws] == 'd' || cp[ws] == 'D') && (cp[ws + 1] == 'e') &&
                next_word(cp, n, we, &ws, &we))
                month = word_value(cp, ws, we, months, N_MONTHS);
            if (month) {
                emit(e, NF_NUMBER_DATE, month * 100 + first);
                return we;
            }
        }
    }

    /* Thousands groups. */
    int64_t value = first;
    int grouped = 0;
    if (first_digits <= 3) {
        while (j + 3 < n && is_group_sep(cp[j]) && is_digit(cp[j + 1])) {
            int64_t g;
            int gd;
            size_t k = digit_run(cp, n, j + 1, &g, &gd);
            if (gd != 3 || value >= VALUE_CAP)
                break;
            /* "12,480.5": the decimal part follows; "3, 480" (a list) is no group, since the
             * digit must follow the separator directly. */
            value = value * 1000 + g;
            grouped = 1;
            j = k;
        }
    }
    /* Decimal part (stored in thousandths). Runs and groups saturate near VALUE_CAP, so clamp
     * before scaling: a 16-digit run times 1000 would not fit in 64 bits (fuzz_chain). */
    if (value > VALUE_CAP)
        value = VALUE_CAP;
    int64_t milli = value * 1000;
    if (j + 1 < n && is_decimal_sep(cp[j]) && is_digit(cp[j + 1])) {
        int64_t frac;
        int fd;
        size_t k = digit_run(cp, n, j + 1, &frac, &fd);
        if (fd != 3 || grouped) {
            /* the first three fractional digits, read from the text (a long run saturates
             * `frac`, and dividing it down needed a power of ten past int64: fuzz_chain) */
            int64_t f = 0;
            for (int d = 0; d < 3; d++)
                f = f * 10 + (d < fd ? u_charDigitValue(cp[j + 1 + (size_t)d]) : 0);
            milli += f;
            j = k;
        }
    }
    /* Multiplier word and an added remainder: "40 million", "12 mille 480", "2 тысячи". */
    size_t ws, we;
    if (next_word(cp, n, j, &ws, &we)) {
        int power = word_value(cp, ws, we, multipliers, N_MULT);
        int64_t mult = 1;
        for (int p = 0; p < power; p++)
            mult *= 10;
        if (power && milli <= INT64_MAX / mult) {
            milli *= mult;
            j = we;
            size_t k = j;
            while (k < n && is_space(cp[k]))
                k++;
            if (k < n && is_digit(cp[k]) && k > j) {
                int64_t rest;
                int rd;
                size_t k2 = digit_run(cp, n, k, &rest, &rd);
                if (rest < mult && milli <= INT64_MAX - rest * 1000) {
                    milli += rest * 1000;
                    j = k2;
                }
            }
            emit(e, NF_NUMBER_VALUE, milli);
            return j;
        }
        /* "March 14" handled by the caller (month word before the number). */
    }
    if (!grouped && milli == value * 1000 && first_digits == 4 && value >= 1900 && value <= 2100)
        emit(e, NF_NUMBER_YEAR, value);
    else
        emit(e, NF_NUMBER_VALUE, milli);
    return j;
}

/* The numbers of cp[0..n). */
static size_t extract_code_points(const UChar32 *cp, size_t n, nf_number_t *out, size_t max);

size_t nf_numbers_extract(const char *utf8, size_t len, nf_number_t *out, size_t max)
{
    UChar32 *cp = nf_malloc((len + 1) * sizeof(UChar32));
    if (!cp)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        uint64_t eight;
        if (i + 8 <= len && (memcpy(&eight, utf8 + i, 8), !(eight & 0x8080808080808080ull))) {
            /* eight ASCII bytes, eight code points: most of a Latin-script text */
            for (size_t k = 0; k < 8; k++)
                cp[n + k] = (UChar32)(uint8_t)utf8[i + k];
            n += 8;
            i += 8;
            continue;
        }
        UChar32 c;
        U8_NEXT(utf8, i, len, c);
        if (c >= 0)
            cp[n++] = c;
    }
    size_t found = extract_code_points(cp, n, out, max);
    nf_free(cp);
    return found;
}

/* A scratch buffer larger than this (code points) is freed after use, not kept. */
#define SCRATCH_KEEP_MAX (256u * 1024u)

size_t nf_numbers_extract_utf16_scratch(const uint16_t *u16, size_t len, nf_number_t *out,
                                        size_t max, nf_numbers_scratch_t *scratch)
{
    if (len + 1 > scratch->cap) {
        nf_free(scratch->cp);
        scratch->cap = 0;
        if (!(scratch->cp = nf_malloc((len + 1) * sizeof(UChar32))))
            return 0;
        scratch->cap = len + 1;
    }
    UChar32 *cp = scratch->cp;
    size_t n = 0;
    int surrogates = 0; /* none in most text: each unit is then its code point */
    for (size_t i = 0; i < len; i++)
        surrogates |= (u16[i] & 0xf800) == 0xd800;
    if (!surrogates) {
        for (size_t i = 0; i < len; i++)
            cp[i] = (UChar32)u16[i];
        n = len;
    } else {
        for (size_t i = 0; i < len;) {
            uint32_t u = u16[i++];
            if (u < 0xd800 || u > 0xdfff) {
                cp[n++] = (UChar32)u;
            } else if (u <= 0xdbff && i < len && u16[i] >= 0xdc00 && u16[i] <= 0xdfff) {
                cp[n++] = (UChar32)(0x10000 + ((u - 0xd800) << 10) + (u16[i++] - 0xdc00u));
            } /* an unpaired surrogate: skipped, as an invalid UTF-8 sequence is */
        }
    }
    size_t found = extract_code_points(cp, n, out, max);
    if (scratch->cap > SCRATCH_KEEP_MAX)
        nf_numbers_scratch_free(scratch);
    return found;
}

size_t nf_numbers_extract_utf16(const uint16_t *u16, size_t len, nf_number_t *out, size_t max)
{
    nf_numbers_scratch_t scratch = {NULL, 0};
    size_t found = nf_numbers_extract_utf16_scratch(u16, len, out, max, &scratch);
    nf_numbers_scratch_free(&scratch);
    return found;
}

void nf_numbers_scratch_free(nf_numbers_scratch_t *scratch)
{
    nf_free(scratch->cp);
    scratch->cp = NULL;
    scratch->cap = 0;
}

static size_t extract_code_points(const UChar32 *cp, size_t n, nf_number_t *out, size_t max)
{
    pthread_once(&bmp_once, bmp_build);
    emitter_t e = {out, max, 0};
    size_t i = 0;
    while (i < n) {
        /* Nothing happens between digits but the skipping of words, so the scan goes straight
         * to the next digit (skip_to_digit) and then settles what walking there a code point or
         * a word at a time would have done: a word that reaches the digit ("A4", "COVID19")
         * takes it and the rest of its letters and digits along. */
        size_t p = skip_to_digit(cp, i, n);
        if (p == n)
            break;
        if (p > i && is_letter(cp[p - 1])) {
            i = p + 1;
            while (i < n && (is_letter(cp[i]) || is_digit(cp[i])))
                i++;
            continue;
        }
        i = p;
        if (i == 0 || !is_letter(cp[i - 1])) {
            /* "March 14": a month word right before a day number. */
            size_t k = i;
            while (k > 0 && is_space(cp[k - 1]))
                k--;
            size_t we = k, ws = k;
            while (ws > 0 && is_letter(cp[ws - 1]))
                ws--;
            if (ws < we && k < i) {
                int month = word_value(cp, ws, we, months, N_MONTHS);
                int64_t d;
                int dd;
                size_t j = digit_run(cp, n, i, &d, &dd);
                if (month && dd <= 2 && d >= 1 && d <= 31 && (j >= n || !is_digit(cp[j])) &&
                    !(j < n && is_group_sep(cp[j]) && j + 1 < n && is_digit(cp[j + 1]))) {
                    emit(&e, NF_NUMBER_DATE, month * 100 + d);
                    i = j;
                    continue;
                }
            }
            i = parse_number(cp, n, i, &e);
        } else {
            i++; /* a number ended on a letter right before this digit: it starts none */
        }
    }
    return e.count;
}
