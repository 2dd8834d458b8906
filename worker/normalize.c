/* Normalization: UTF-8 -> UTF-16 (strict) -> NFC -> per-line whitespace folding and junk
 * filtering -> UTF-8. Works on UTF-16 because that is ICU's native form. */
#include "newsflow/normalize.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include "ascii_run.h"
#include "newsflow/alloc.h"
#include "newsflow/buf.h"

/* Site junk: whole lines a site wraps around the article. Matched on a key made of the line's
 * case-folded letters and digits, words separated by one space (so "Read more »" matches
 * "read more" and diacritics/tashkeel do not matter). Multi-word phrases also match as a prefix
 * of a line at most 3 words longer ("Subscribe to our newsletter for daily updates"); one-word
 * phrases only alone or followed by a count ("Comments 12"). */
static const char *const junk_phrases[] = {
    /* en */
    "read more",
    "read the full story",
    "read full article",
    "continue reading",
    "share this",
    "share this article",
    "share this story",
    "share on facebook",
    "share on twitter",
    "share on x",
    "share on whatsapp",
    "share on linkedin",
    "share",
    "tweet",
    "subscribe",
    "subscribe now",
    "subscribe to our newsletter",
    "sign up for our newsletter",
    "sign up to our newsletter",
    "leave a comment",
    "leave a reply",
    "post a comment",
    "comments",
    "add a comment",
    "advertisement",
    "sponsored content",
    "related articles",
    "also read",
    "see also",
    "click here",
    "follow us",
    "you may also like",
    "most read",
    "log in to comment",
    "please enable javascript",
    "accept cookies",
    "we use cookies",
    "back to top",
    "print this article",
    "email this article",
    "skip to content",
    /* fr */
    "lire la suite",
    "lire aussi",
    "à lire aussi",
    "partager",
    "partager cet article",
    "partager sur facebook",
    "abonnez vous",
    "s abonner",
    "abonnez vous à notre newsletter",
    "laisser un commentaire",
    "commentaires",
    "publicité",
    "voir aussi",
    "suivez nous",
    /* de */
    "weiterlesen",
    "mehr lesen",
    "teilen",
    "artikel teilen",
    "jetzt abonnieren",
    "abonnieren",
    "newsletter abonnieren",
    "kommentar schreiben",
    "kommentare",
    "anzeige",
    "auch interessant",
    "lesen sie auch",
    "mehr zum thema",
    /* es */
    "leer más",
    "seguir leyendo",
    "compartir",
    "compartir en facebook",
    "suscríbete",
    "suscribirse",
    "deja un comentario",
    "comentarios",
    "publicidad",
    "lee también",
    "te puede interesar",
    "más información",
    /* it, pt, nl, pl, tr */
    "leggi anche",
    "continua a leggere",
    "condividi",
    "iscriviti",
    "lascia un commento",
    "pubblicità",
    "leia mais",
    "leia também",
    "compartilhe",
    "compartilhar",
    "assine",
    "deixe um comentário",
    "lees meer",
    "delen",
    "abonneer",
    "czytaj więcej",
    "udostępnij",
    "subskrybuj",
    "devamını oku",
    "paylaş",
    "abone ol",
    "yorum yap",
    /* ru, uk, bg, sr */
    "читать далее",
    "читать также",
    "читайте также",
    "подробнее",
    "поделиться",
    "подписаться",
    "подпишитесь",
    "оставить комментарий",
    "комментарии",
    "реклама",
    "читати далі",
    "читайте також",
    "поділитися",
    "підписатися",
    "коментарі",
    "прочетете още",
    "сподели",
    "прочитајте још",
    "подели",
    /* ar, fa, ur */
    "اقرأ المزيد",
    "اقرأ أيضا",
    "اقرأ ايضا",
    "شارك",
    "شارك المقال",
    "شارك على فيسبوك",
    "اشترك",
    "اشترك الآن",
    "اشترك في النشرة",
    "اترك تعليقا",
    "تعليقات",
    "إعلان",
    "بیشتر بخوانید",
    "ادامه مطلب",
    "اشتراک گذاری",
    "به اشتراک بگذارید",
    "عضویت",
    "نظرات",
    "نظر بدهید",
    "مزید پڑھیں",
    "شیئر کریں",
};
#define N_JUNK (sizeof(junk_phrases) / sizeof(junk_phrases[0]))

/* Words that make a short line junk wherever they appear (captcha and bot-check notices). */
static const char *const junk_words[] = {"captcha", "recaptcha", "капча", "кaптча"};
#define N_JUNK_WORDS (sizeof(junk_words) / sizeof(junk_words[0]))
#define JUNK_WORD_MAX_WORDS 30
#define JUNK_CHECK_MAX_WORDS 40

#define FIRST_BUCKETS 64
_Static_assert(N_JUNK < 0xff, "phrase indexes are bytes");

typedef struct key {
    UChar *text;
    int32_t len;
    int words;
} junk_key_t;

struct nf_normalizer {
    const UNormalizer2 *nfc;
    UChar *u16; /* input as UTF-16 */
    int32_t u16_cap;
    UChar *nfc_text; /* input after NFC */
    int32_t nfc_cap;
    UChar *line; /* one output line */
    int32_t line_cap;
    UChar *keybuf; /* junk key of one line */
    int32_t key_cap;
    UChar *outu; /* whole output as UTF-16 */
    int32_t outu_cap;
    int32_t outu_len; /* of the last successful call's output; 0 after a failed one */
    nf_buf_t u8;      /* the output as UTF-8, before it is copied to the caller's buffer */
    junk_key_t phrases[N_JUNK];
    junk_key_t words[N_JUNK_WORDS];
    /* phrases by the low bits of their first unit, in table order: a line is compared with
     * the few phrases that can match its first letter, not with all of them */
    uint8_t by_first[FIRST_BUCKETS][N_JUNK + 1]; /* indexes, 0xff-terminated */
};

static int grow(UChar **buf, int32_t *cap, int32_t need)
{
    if (need <= *cap)
        return 0;
    int32_t cap2 = *cap ? *cap : 1024;
    while (cap2 < need) {
        if (cap2 > INT32_MAX / 2)
            return -1;
        cap2 *= 2;
    }
    UChar *p = nf_realloc(*buf, (size_t)cap2 * sizeof(UChar));
    if (!p)
        return -1;
    *buf = p;
    *cap = cap2;
    return 0;
}

static int is_space_like_icu(UChar32 c)
{
    if (c < 0x80) /* ASCII white space and controls */
        return c <= 0x20 || c == 0x7F;
    /* ZWJ/ZWNJ (U+200C/D) stay: Persian and Indic spelling needs them. */
    if (c == 0x200B || c == 0xFEFF || c == 0x2060 || c == 0x00AD)
        return 1;
    return u_isUWhiteSpace(c) || (u_iscntrl(c) && c != 0x200C && c != 0x200D);
}

/* In a junk key, marks and format characters neither separate words nor count as letters. */
static int is_silent(UChar32 c)
{
    return u_getCombiningClass(c) != 0 || u_charType(c) == U_NON_SPACING_MARK ||
           u_charType(c) == U_FORMAT_CHAR;
}

/* The same answers for the BMP from bitmaps built once: the ICU property lookups per letter
 * were a third of the stage on non-Latin text. */
static uint8_t bmp_space[0x10000 / 8], bmp_alnum[0x10000 / 8], bmp_silent[0x10000 / 8];
/* A code point that is in NFC in any text: NFC_Quick_Check Yes and canonical combining class 0
 * (so it neither combines with a neighbour nor needs reordering); all of them below U+0300. */
static uint8_t bmp_nfc_yes[0x10000 / 8];
/* u_foldCase of a BMP letter or digit, 0 where the answer is not in the BMP (ICU answers) */
static uint16_t fold_bmp[0x10000];
/* An ASCII letter or digit as it goes into a junk key (lower case), 0 for anything else. */
static uint8_t ascii_key[0x80];
/* By UTF-16 unit, for the line scan: a line break, white space (is_space_like), a surrogate
 * (decoded and asked), or anything else. */
enum { UNIT_PLAIN, UNIT_SPACE, UNIT_BREAK, UNIT_SURROGATE };
static uint8_t line_unit[0x10000];
static pthread_once_t bmp_space_once = PTHREAD_ONCE_INIT;

static int is_line_break(UChar32 c);

static void bmp_space_build(void)
{
    for (UChar32 c = 0; c < 0x10000; c++) {
        uint8_t bit = (uint8_t)(1u << (c & 7));
        if (is_space_like_icu(c))
            bmp_space[c >> 3] |= bit;
        if (u_isalnum(c))
            bmp_alnum[c >> 3] |= bit;
        if (is_silent(c))
            bmp_silent[c >> 3] |= bit;
        if (!U16_IS_SURROGATE(c) && u_getCombiningClass(c) == 0 &&
            u_getIntPropertyValue(c, UCHAR_NFC_QUICK_CHECK) == UNORM_YES)
            bmp_nfc_yes[c >> 3] |= bit;
        UChar32 f = u_isalnum(c) ? u_foldCase(c, U_FOLD_CASE_DEFAULT) : 0;
        fold_bmp[c] = (uint16_t)(f > 0 && f < 0x10000 ? f : 0);
        line_unit[c] = U16_IS_SURROGATE(c)    ? UNIT_SURROGATE
                       : is_line_break(c)     ? UNIT_BREAK
                       : is_space_like_icu(c) ? UNIT_SPACE
                                              : UNIT_PLAIN;
    }
    for (int c = 0; c < 0x80; c++) {
        int digit = c >= '0' && c <= '9', letter = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
        ascii_key[c] = (uint8_t)(letter ? (c | 0x20) : digit ? c : 0);
    }
}

static int is_space_like(UChar32 c)
{
    if (c < 0x10000)
        return bmp_space[c >> 3] >> (c & 7) & 1;
    return is_space_like_icu(c);
}

static int is_line_break(UChar32 c)
{
    return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x85 || c == 0x2028 ||
           c == 0x2029;
}

/* The junk key of a line, built one code point at a time: letters and digits case-folded,
 * every run of anything else one space, marks and format characters nothing. Building stops at
 * the start of word max_words + 1 (then words is max_words + 1): a line that long is never
 * junk, and paragraphs are most of the text. */
typedef struct key_builder {
    UChar *key; /* holds 2 units per code point fed */
    int32_t len;
    int words, max_words;
    int pending_space;
} key_builder_t;

static inline void key_begin(key_builder_t *kb, UChar *key, int max_words)
{
    kb->key = key;
    kb->len = 0;
    kb->words = 0;
    kb->max_words = max_words;
    kb->pending_space = 0;
}

/* What a letter or digit does before it is appended: it may start a word (and go past the
 * words the key keeps: then 0, nothing is appended) and first put the space before it. */
static inline __attribute__((always_inline)) int key_letter(key_builder_t *kb)
{
    if ((kb->len == 0 || kb->pending_space) && ++kb->words > kb->max_words)
        return 0;
    if (kb->pending_space && kb->len > 0)
        kb->key[kb->len++] = ' ';
    kb->pending_space = 0;
    return 1;
}

/* Called for every code point of a body up to each line's JUNK_CHECK_MAX_WORDS words (most of
 * a news body): GCC, left to itself, made it a call (callgrind, `enrich` of 2,000 bench
 * articles: 131 million instructions in it; inlined, 1.9% fewer for the whole run). */
static inline __attribute__((always_inline)) void key_feed(key_builder_t *kb, UChar32 c)
{
    if (kb->words > kb->max_words)
        return;
    if (c < 0x80) { /* fast path, same answer as below for ASCII */
        UChar folded = ascii_key[c];
        if (!folded) {
            kb->pending_space = 1;
            return;
        }
        if (key_letter(kb))
            kb->key[kb->len++] = folded;
        return;
    }
    int alnum = c < 0x10000 ? bmp_alnum[c >> 3] >> (c & 7) & 1 : u_isalnum(c);
    if (alnum) {
        if (!key_letter(kb))
            return;
        UChar32 f = c < 0x10000 && fold_bmp[c] ? fold_bmp[c] : u_foldCase(c, U_FOLD_CASE_DEFAULT);
        U16_APPEND_UNSAFE(kb->key, kb->len, f);
    } else if (!(c < 0x10000 ? bmp_silent[c >> 3] >> (c & 7) & 1 : is_silent(c))) {
        kb->pending_space = 1;
    }
}

/* Builds the junk key of text[0..len) into key (which must hold 2 * len units); see
 * key_builder_t. */
static int32_t make_key(const UChar *text, int32_t len, UChar *key, int *words, int max_words)
{
    key_builder_t kb;
    key_begin(&kb, key, max_words);
    for (int32_t i = 0; i < len && kb.words <= max_words;) {
        UChar32 c;
        U16_NEXT(text, i, len, c);
        key_feed(&kb, c);
    }
    *words = kb.words;
    return kb.len;
}

static int prepare_keys(const char *const *src, size_t n, junk_key_t *out)
{
    for (size_t i = 0; i < n; i++) {
        UErrorCode st = U_ZERO_ERROR;
        UChar tmp[128];
        int32_t len = 0;
        u_strFromUTF8(tmp, 128, &len, src[i], -1, &st);
        if (U_FAILURE(st) || len >= 128)
            return -1;
        out[i].text = nf_calloc((size_t)len * 2 + 2, sizeof(UChar));
        if (!out[i].text)
            return -1;
        out[i].len = make_key(tmp, len, out[i].text, &out[i].words, INT_MAX);
    }
    return 0;
}

nf_normalizer_t *nf_normalizer_new(char *errstr, size_t errstr_size)
{
    pthread_once(&bmp_space_once, bmp_space_build);
    nf_normalizer_t *n = nf_calloc(1, sizeof(*n));
    if (!n) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    UErrorCode st = U_ZERO_ERROR;
    n->nfc = unorm2_getNFCInstance(&st);
    if (U_FAILURE(st)) {
        snprintf(errstr, errstr_size, "ICU NFC normalizer: %s", u_errorName(st));
        nf_normalizer_destroy(n);
        return NULL;
    }
    if (prepare_keys(junk_phrases, N_JUNK, n->phrases) ||
        prepare_keys(junk_words, N_JUNK_WORDS, n->words)) {
        snprintf(errstr, errstr_size, "junk phrase table: out of memory");
        nf_normalizer_destroy(n);
        return NULL;
    }
    for (size_t b = 0; b < FIRST_BUCKETS; b++) {
        size_t k = 0;
        for (size_t i = 0; i < N_JUNK; i++)
            if (n->phrases[i].len > 0 && n->phrases[i].text[0] % FIRST_BUCKETS == b)
                n->by_first[b][k++] = (uint8_t)i;
        n->by_first[b][k] = 0xff;
    }
    return n;
}

void nf_normalizer_destroy(nf_normalizer_t *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < N_JUNK; i++)
        nf_free(n->phrases[i].text);
    for (size_t i = 0; i < N_JUNK_WORDS; i++)
        nf_free(n->words[i].text);
    nf_free(n->u16);
    nf_free(n->nfc_text);
    nf_free(n->line);
    nf_free(n->keybuf);
    nf_free(n->outu);
    nf_buf_free(&n->u8);
    nf_free(n);
}

/* Whether the junk word w is the whole word of key that starts at `at`. */
static int word_at(const UChar *key, int32_t klen, int32_t at, const junk_key_t *w)
{
    return at + w->len <= klen && key[at] == w->text[0] &&
           memcmp(key + at, w->text, (size_t)w->len * 2) == 0 &&
           (at + w->len == klen || key[at + w->len] == ' ');
}

static int only_digits(const UChar *s, int32_t len)
{
    for (int32_t i = 0; i < len; i++)
        if (s[i] != ' ' && !(s[i] >= '0' && s[i] <= '9'))
            return 0;
    return 1;
}

/* Whether a line whose junk key (make_key with JUNK_CHECK_MAX_WORDS) is key[0..klen), of
 * `words` words, is junk. */
static int key_is_junk(const nf_normalizer_t *n, const UChar *key, int32_t klen, int words)
{
    if (klen == 0)
        return 1; /* nothing but punctuation and symbols: separators, "»»»", "* * *" */
    if (words > JUNK_CHECK_MAX_WORDS)
        return 0;
    for (const uint8_t *i = n->by_first[key[0] % FIRST_BUCKETS]; *i != 0xff; i++) {
        const junk_key_t *p = &n->phrases[*i];
        if (klen < p->len || key[0] != p->text[0] || memcmp(key, p->text, (size_t)p->len * 2) != 0)
            continue;
        if (klen == p->len)
            return 1;
        if (key[p->len] != ' ')
            continue;
        if (p->words >= 2 && words <= p->words + 3)
            return 1;
        if (only_digits(key + p->len, klen - p->len))
            return 1;
    }
    if (words <= JUNK_WORD_MAX_WORDS)
        for (int32_t at = 0; at < klen; at++) { /* each word start once, against each word */
            if (at > 0 && key[at - 1] != ' ')
                continue;
            for (size_t i = 0; i < N_JUNK_WORDS; i++)
                if (word_at(key, klen, at, &n->words[i]))
                    return 1;
        }
    return 0;
}

static int line_is_junk(nf_normalizer_t *n, const UChar *line, int32_t len)
{
    if (grow(&n->keybuf, &n->key_cap, len * 2 + 2))
        return 0;
    int words;
    int32_t klen = make_key(line, len, n->keybuf, &words, JUNK_CHECK_MAX_WORDS);
    return key_is_junk(n, n->keybuf, klen, words);
}

int nf_normalize_is_junk(nf_normalizer_t *n, const char *line, size_t len)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t ulen = 0;
    if (len > INT32_MAX / 2 || grow(&n->u16, &n->u16_cap, (int32_t)len + 1))
        return 0;
    u_strFromUTF8(n->u16, n->u16_cap, &ulen, line, (int32_t)len, &st);
    return U_SUCCESS(st) && line_is_junk(n, n->u16, ulen);
}

/* The space a line owes before its next code point (a run of white space after text), into
 * the line and the key. */
static inline __attribute__((always_inline)) void
put_pending_space(UChar *line, int32_t *llen, key_builder_t *kb, int drop_junk, int *pending)
{
    if (*pending) {
        line[(*llen)++] = ' ';
        if (drop_junk)
            key_feed(kb, ' ');
    }
    *pending = 0;
}

/* Units a line and a junk key have room for beyond what they can hold (copy_alnum_run). */
#define RUN_SLACK 8

/* Copies the run of ASCII letters and digits at text[i] (one at least) to line[*llen..] and,
 * with a key, case-folded to key[*klen..] (as ascii_key); returns the index after the run.
 * With SSE2, eight units a step (ascii_run.h): all eight are stored (the buffers hold RUN_SLACK
 * units more than the text) and the run's part of them kept. */
static inline int32_t copy_alnum_run(const UChar *text, int32_t i, int32_t n, UChar *line,
                                     int32_t *llen, UChar *key, int32_t *klen)
{
    int32_t l = *llen, k = *klen;
#ifdef NF_HAVE_ALNUM8
    while (i + 8 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(text + i)), letter;
        int32_t run = nf_lanes_run8(nf_alnum8(v, &letter));
        _mm_storeu_si128((__m128i *)(void *)(line + l), v);
        if (key)
            _mm_storeu_si128((__m128i *)(void *)(key + k),
                             _mm_or_si128(v, _mm_and_si128(letter, _mm_set1_epi16(0x20))));
        l += run;
        k += key ? run : 0;
        i += run;
        if (run < 8) {
            *llen = l;
            *klen = k;
            return i;
        }
    }
#endif
    UChar u;
    while (i < n && (u = text[i]) < 0x80 && ascii_key[u]) {
        line[l++] = u;
        if (key)
            key[k++] = ascii_key[u];
        i++;
    }
    *llen = l;
    *klen = k;
    return i;
}

/* UTF-8 to UTF-16 (out holds n units), eight ASCII bytes at a time, and whether the text is in
 * NFC by its code points alone (*nfc: each in bmp_nfc_yes). Returns the length, or -1 for
 * ill-formed UTF-8 (U8_NEXT's strict rules: the well-formed sequences of Unicode table 3-7, as
 * u_strFromUTF8's). */
static int32_t utf8_to_utf16(const uint8_t *s, int32_t n, UChar *out, int *nfc)
{
    int32_t i = 0, o = 0;
    int yes = 1;
    while (i < n) {
        uint64_t eight;
        if (i + 8 <= n && (memcpy(&eight, s + i, 8), !(eight & 0x8080808080808080ull))) {
            for (int k = 0; k < 8; k++)
                out[o + k] = s[i + k];
            o += 8;
            i += 8;
            continue;
        }
        if (s[i] < 0x80) {
            out[o++] = s[i++];
            continue;
        }
        UChar32 c;
        U8_NEXT(s, i, n, c);
        if (c < 0)
            return -1;
        if (c > 0xffff) {
            out[o++] = U16_LEAD(c);
            out[o++] = U16_TRAIL(c);
            yes = 0;
        } else {
            out[o++] = (UChar)c;
            yes &= bmp_nfc_yes[c >> 3] >> (c & 7) & 1;
        }
    }
    *nfc = yes;
    return o;
}

nf_err_t nf_normalize(nf_normalizer_t *n, const char *in, size_t len, int drop_junk, nf_buf_t *out,
                      unsigned *junk_dropped)
{
    if (junk_dropped)
        *junk_dropped = 0;
    n->outu_len = 0;
    if (len > (size_t)INT32_MAX / 4)
        return NF_ERR_INVALID_ARG;
    UErrorCode st = U_ZERO_ERROR;
    int32_t ulen = 0;
    if (grow(&n->u16, &n->u16_cap, (int32_t)len + 1))
        return NF_ERR_NOMEM;
    int nfc = 0;
    ulen = utf8_to_utf16((const uint8_t *)in, (int32_t)len, n->u16, &nfc);
    if (ulen < 0) { /* ill-formed: ICU says how, as it always did */
        u_strFromUTF8(n->u16, n->u16_cap, &ulen, in, (int32_t)len, &st);
        if (st == U_INVALID_CHAR_FOUND || st == U_ILLEGAL_CHAR_FOUND)
            return NF_ERR_INVALID_ARG;
        if (U_FAILURE(st))
            return NF_ERR_ICU;
        nfc = 0;
    }

    /* Most text arrives in NFC already: the quick check (no copy) skips the normalizer. A text
     * of code points that are each NFC whatever surrounds them is one (bmp_nfc_yes); only
     * others are asked, as ICU's quick check of a whole Cyrillic or Arabic text was ~1% of
     * `enrich`. */
    const UChar *text = n->u16;
    int32_t nlen = nfc ? ulen : unorm2_spanQuickCheckYes(n->nfc, n->u16, ulen, &st);
    if (U_FAILURE(st))
        return NF_ERR_ICU;
    if (nlen < ulen) {
        /* NFC can grow text (up to 3x in the worst case for UTF-16). */
        if (grow(&n->nfc_text, &n->nfc_cap, ulen * 3 + 1))
            return NF_ERR_NOMEM;
        nlen = unorm2_normalize(n->nfc, n->u16, ulen, n->nfc_text, n->nfc_cap, &st);
        if (U_FAILURE(st))
            return NF_ERR_ICU;
        text = n->nfc_text;
    }

    if (grow(&n->line, &n->line_cap, nlen + 1 + RUN_SLACK) ||
        grow(&n->outu, &n->outu_cap, nlen + 1) ||
        (drop_junk && grow(&n->keybuf, &n->key_cap, 2 * nlen + 2 + RUN_SLACK)))
        return NF_ERR_NOMEM;
    int32_t olen = 0;
    int32_t i = 0;
    while (i < nlen) {
        /* One line: fold white space runs to one space, trim both ends. The junk key of the
         * line is built on the way, from the same code points in the same order (a second
         * pass over each line was a third of the stage). */
        int32_t llen = 0;
        int pending_space = 0;
        key_builder_t kb;
        key_begin(&kb, n->keybuf, JUNK_CHECK_MAX_WORDS);
        while (i < nlen) {
            UChar u = text[i];
            if (u < 0x80 && ascii_key[u]) {
                /* A run of ASCII letters and digits (most of a Latin-script text), copied as it
                 * is and, in the key, one word or the middle of one, case-folded: what the unit
                 * at a time path below does, with the tests of each unit's kind and of the
                 * key's state made once a run. */
                put_pending_space(n->line, &llen, &kb, drop_junk, &pending_space);
                int keyed = drop_junk && kb.words <= kb.max_words && key_letter(&kb);
                i = copy_alnum_run(text, i, nlen, n->line, &llen, keyed ? kb.key : NULL, &kb.len);
                continue;
            }
            uint8_t kind = line_unit[u];
            if (kind == UNIT_PLAIN) { /* no break, no space, one unit, one code point */
                put_pending_space(n->line, &llen, &kb, drop_junk, &pending_space);
                n->line[llen++] = u;
                if (drop_junk)
                    key_feed(&kb, u);
                i++;
                continue;
            }
            if (kind == UNIT_SPACE) {
                pending_space = llen > 0;
                i++;
                continue;
            }
            if (kind == UNIT_BREAK) {
                i++;
                break;
            }
            UChar32 c; /* a surrogate: the general case */
            int32_t start = i;
            U16_NEXT(text, i, nlen, c);
            if (is_line_break(c))
                break;
            if (is_space_like(c)) {
                pending_space = llen > 0;
                continue;
            }
            put_pending_space(n->line, &llen, &kb, drop_junk, &pending_space);
            if (drop_junk)
                key_feed(&kb, c);
            while (start < i)
                n->line[llen++] = text[start++];
        }
        if (llen == 0)
            continue;
        if (drop_junk && key_is_junk(n, n->keybuf, kb.len, kb.words)) {
            if (junk_dropped)
                (*junk_dropped)++;
            continue;
        }
        if (olen > 0)
            n->outu[olen++] = '\n';
        memcpy(n->outu + olen, n->line, (size_t)llen * sizeof(UChar));
        olen += llen;
    }

    /* one pass into the normalizer's own buffer (a UTF-16 unit becomes at most 3 UTF-8 bytes),
     * then the caller's grows to the exact size: its buffer lives in a batch slot, and with room
     * for three bytes a unit a batch's bodies took ~3x their size */
    nf_buf_reset(&n->u8);
    if ((size_t)olen * 3 > (size_t)INT32_MAX - 1 ||
        nf_buf_reserve(&n->u8, (size_t)olen * 3) != NF_OK)
        return NF_ERR_NOMEM;
    size_t u8len = nf_utf16_to_utf8(n->outu, (size_t)olen, n->u8.data);
    if (u8len == SIZE_MAX)
        return NF_ERR_ICU;
    if (nf_buf_reserve_exact(out, u8len) != NF_OK)
        return NF_ERR_NOMEM;
    memcpy(out->data + out->len, n->u8.data, u8len);
    out->len += u8len;
    out->data[out->len] = '\0';
    n->outu_len = olen;
    return NF_OK;
}

const uint16_t *nf_normalize_last_utf16(const nf_normalizer_t *n, size_t *len)
{
    *len = (size_t)n->outu_len;
    return (const uint16_t *)n->outu;
}
