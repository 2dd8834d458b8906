/* Fingerprint helpers, and fingerprints pinned to the values of the build before the
 * fingerprint stage was made faster (a faster stage must give the same keys: stored rows and
 * other replicas compare with them). */
#include "nf_test.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include "newsflow/dedup.h"
#include "newsflow/fingerprint.h"

#ifndef NF_PIN_PRINT
static uint64_t fnv1a_bytes(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void test_fnv1a_utf16_matches_bytes(void **state)
{
    (void)state;
    const uint64_t basis = 0xcbf29ce484222325ULL;
    uint16_t units[64];
    uint64_t seed = 42;
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(round % 64);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned r = (unsigned)(seed >> 33);
            /* ASCII, Latin-1, Cyrillic/Arabic, anything (surrogates included) */
            units[i] = (uint16_t)(round % 4 == 0   ? r % 0x80
                                  : round % 4 == 1 ? r % 0x100
                                  : round % 4 == 2 ? 0x400 + r % 0x300
                                                   : r % 0x10000);
        }
        assert_true(nf_fnv1a_utf16(basis, units, n) ==
                    fnv1a_bytes(basis, units, n * sizeof(uint16_t)));
        assert_true(nf_fnv1a_utf16(seed, units, n) ==
                    fnv1a_bytes(seed, units, n * sizeof(uint16_t)));
    }
    assert_true(nf_fnv1a_utf16(basis, units, 0) == basis);
}

static void test_minhash_mins_matches_scalar(void **state)
{
    (void)state;
    uint64_t mul[NF_MINHASH_K], add[NF_MINHASH_K], hashes[300];
    uint64_t seed = 7;
    for (int k = 0; k < NF_MINHASH_K; k++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        mul[k] = seed | 1;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        add[k] = seed;
    }
    for (size_t n = 0; n <= 300; n += 23) {
        for (size_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            hashes[i] = seed ^ (seed >> 29);
        }
        uint32_t want[NF_MINHASH_K], got[NF_MINHASH_K];
        for (int k = 0; k < NF_MINHASH_K; k++) {
            want[k] = UINT32_MAX;
            for (size_t i = 0; i < n; i++) {
                uint32_t v = (uint32_t)((hashes[i] * mul[k] + add[k]) >> 32);
                if (v < want[k])
                    want[k] = v;
            }
        }
        nf_minhash_mins(hashes, n, mul, add, got);
        assert_memory_equal(got, want, sizeof(want));
    }
}

static int token_char_icu(UChar32 c)
{
    if (c < 128)
        return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    return u_isalnum(c) || (U_GET_GC_MASK(c) & U_GC_M_MASK);
}

static void test_token_char_matches_icu(void **state)
{
    (void)state;
    for (UChar32 c = 0; c <= 0x10FFFF; c++)
        if ((nf_fingerprint_token_char(c) != 0) != (token_char_icu(c) != 0))
            fail_msg("U+%04X differs", (unsigned)c);
    assert_true(nf_fingerprint_token_char('a'));
    assert_true(nf_fingerprint_token_char(0x0301)); /* a combining mark is part of a word */
    assert_false(nf_fingerprint_token_char(' '));
    assert_false(nf_fingerprint_token_char('-'));
}

/* The exact key as the stage defined it before its folding went by pieces: sha256 of ICU's
 * NFKC_Casefold of the whole text, as UTF-8, white space runs as one space, none at the ends. */
static void exact_by_icu(const UChar *u16, int32_t n, uint8_t out[NF_SHA256_LEN])
{
    static UChar folded[4096];
    static char u8[3 * 4096], spaced[3 * 4096];
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *nfkc_cf = unorm2_getNFKCCasefoldInstance(&st);
    int32_t flen = unorm2_normalize(nfkc_cf, u16, n, folded, 4096, &st);
    int32_t blen = 0;
    u_strToUTF8(u8, (int32_t)sizeof(u8), &blen, folded, flen, &st);
    assert_true(U_SUCCESS(st));
    size_t o = 0;
    int space = 1;
    for (int32_t i = 0; i < blen;) {
        UChar32 c;
        int32_t at = i;
        U8_NEXT(u8, i, blen, c);
        if (c < 128 ? c == ' ' || (c >= 0x09 && c <= 0x0d) : u_isUWhiteSpace(c)) {
            if (!space)
                spaced[o++] = ' ';
            space = 1;
            continue;
        }
        space = 0;
        while (at < i)
            spaced[o++] = u8[at++];
    }
    if (o > 0 && spaced[o - 1] == ' ')
        o--;
    nf_content_sha256(spaced, o, out);
}

/* Units whose folding depends on their neighbours or is not one unit: combining marks after
 * letters they compose with (e + U+0301, Cyrillic и + breve, Arabic harakat), Hangul jamo that
 * compose into syllables, compatibility forms (ligatures, fullwidth, U+FDFA, which folds to 18
 * units), default ignorables that fold to nothing (soft hyphen, ZWJ), final sigma, dotted I,
 * supplementary letters (math bold), white space of several kinds, and plain letters. */
static const UChar32 fold_pool[] = {
    'a',     'E',     'e',    'i',    'I',    ' ',    ' ',    '\n',   '\t',   0x00A0, 0x2003,
    0x3000,  0x0301,  0x0300, 0x0308, 0x0327, 0x0306, 0x0438, 0x0418, 0x0439, 0x0435, 0x0627,
    0x064E,  0x0651,  0x0653, 0x0654, 0x06CC, 0x1100, 0x1161, 0x11A8, 0xAC00, 0xFB01, 0xFF21,
    0xFF41,  0xFDFA,  0x00AD, 0x200D, 0x03A3, 0x03C2, 0x0130, 0x00DF, 0x1E9E, 0x00C5, 0x212B,
    0x1D400, 0x1F600, 0x0F73, 0x0F71, 0x0F72, 0x3099, 0x304B, 0x2126, 0x00BD, 0x0345, 0x1FB3};

/* Fingerprints u16 with f (a new fingerprinter when f is NULL) and checks its exact key. */
static void check_exact_key(nf_fingerprinter_t *f, const UChar *u16, int32_t n)
{
    char err[128];
    nf_fingerprinter_t *own = f ? NULL : nf_fingerprinter_new(err, sizeof(err));
    if (!f) {
        assert_non_null(own);
        f = own;
    }
    const nf_lang_t lang = {"und", "Zyyy", 0.0};
    const nf_entity_list_t none = {NULL, 0};
    char u8[4096];
    int32_t blen = 0;
    UErrorCode st = U_ZERO_ERROR;
    u_strToUTF8(u8, (int32_t)sizeof(u8), &blen, u16, n, &st);
    assert_true(U_SUCCESS(st));
    nf_fingerprint_t fp;
    assert_int_equal(
        nf_fingerprint_compute(f, u8, (size_t)blen, "2024-05-04T10:00:00Z", &lang, &none, &fp),
        NF_OK);
    uint8_t want[NF_SHA256_LEN];
    exact_by_icu(u16, n, want);
    if (memcmp(fp.exact, want, NF_SHA256_LEN) != 0) {
        char hex[5 * 1024 + 1];
        for (int32_t k = 0; k < n; k++)
            snprintf(hex + 5 * k, 6, "%04X ", (unsigned)u16[k]);
        fail_msg("exact key differs from ICU's folding for units %s", hex);
    }
    nf_fingerprinter_destroy(own);
}

static void test_exact_key_folds_like_icu(void **state)
{
    (void)state;
    char err[128];
    nf_fingerprinter_t *f = nf_fingerprinter_new(err, sizeof(err));
    assert_non_null(f);
    const size_t pool = sizeof(fold_pool) / sizeof(fold_pool[0]);
    uint64_t seed = 2024;
    UChar u16[1024];
    for (int round = 0; round < 20000; round++) {
        int32_t n = 0;
        /* every other text of ASCII letters and white space alone (fold_pool's first nine),
         * whose words and single spaces go to the key eight units at a time */
        size_t from = round % 2 ? 9 : pool;
        for (int32_t k = 0; k < round % 97; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            U16_APPEND_UNSAFE(u16, n, fold_pool[(seed >> 33) % from]);
        }
        check_exact_key(f, u16, n);
    }
    nf_fingerprinter_destroy(f);

    /* Text that folds to more than the buffer a new fingerprinter starts with (1,024 units):
     * 60 x U+FDFA, each a piece of 18 units (the 57th finds no room), the same after a letter
     * and with marks; 62 x U+FDFA before 938 letters that fold a unit to a unit (the buffer of
     * 2,048 units holds the pieces, not the letters after them: room is made after the last
     * piece); one piece of a letter and 600 marks of two units each (U+0F73). */
    for (int text = 0; text < 5; text++) {
        int32_t n = 0;
        if (text == 1 || text == 3)
            U16_APPEND_UNSAFE(u16, n, (UChar32)'a');
        for (int32_t k = 0; k < (text == 3 ? 600 : text == 4 ? 62 : 60); k++) {
            UChar32 c = text == 3 ? 0x0F73 : 0xFDFA;
            U16_APPEND_UNSAFE(u16, n, c);
            if (text == 2)
                U16_APPEND_UNSAFE(u16, n, (UChar32)0x0301);
        }
        for (int32_t k = 0; text == 4 && k < 938; k++)
            U16_APPEND_UNSAFE(u16, n, (UChar32)'x');
        check_exact_key(NULL, u16, n);
    }
}
#endif

typedef struct pinned {
    const char *code, *script, *body, *published_at;
    const char *hex; /* nf_fingerprint_encode of the build before the speed-up */
} pinned_t;

static const pinned_t pinned[] = {
    {"en", "Latn",
     "The Varna river burst its banks near Mirograd on Saturday, cutting the town off, mayor "
     "Lidia Korvanenko said.\nEmergency services evacuated 12,480 residents overnight and opened "
     "three shelters. The Orvane Water Authority said the level reached 6.4 metres on 3 May.",
     "2024-05-04T10:00:00Z",
     "03200736660000000022fd8e1fdb9ca87e0fede09cd28672186c1b7b3266be0db67e6cee760a7a4d3a7586dcb3291"
     "8a8ed6ffed8ad9a195789d8d38abca6485ac96f871a999077330a1922871056d9b649711a0e6cc88f68cceec6e549"
     "2dd02f3708faff03af6c38db2cb6e7600402e6066220fe74ab3faecd808e562310cf6bac160886c9620a"},
    {"fr", "Latn",
     "Le Président Émile Dubreuil a rencontré à Genève son homologue Ana Ferreira-Lopes, "
     "jeudi 14 mars. « Nous avons signé un accord de 250 000 euros », a déclaré M. Dubreuil.\n"
     "Ｌａ ＦＵＬＬＷＩＤＴＨ ｆｏｒｍ, ﬁ ligature, ÉCOLE École école.",
     "2024-03-14T08:30:00Z",
     "0388b5f265000000000f48ff33dd7d70118e8e58a34d27996b48d38b71205e207af9c475483db128c9f03e6e6a880"
     "aae5183ff4cee0409d11c8d8ade89b53480a8decf3752a1fffe6f66543b3d526e4ead9a3b489c7906f0ba1c1c38b7"
     "17c201039eb88d6b736523db4a6b46a0040222c22286aec07da91e85f9ae828feae15a009273293effa0"},
    {"ru", "Cyrl",
     "Мэр города Мироград Лидия Корваненко заявила в субботу, что 12 480 жителей были "
     "эвакуированы. Река Варна вышла из берегов 3 мая; уровень воды достиг 6,4 метра.",
     "2024-05-04T11:00:00Z",
     "033015366600000000247b6ebcb44f91b12ac1cb527a736dbe582605c228ae57ed8315e73705b3df6d28ab11d2f71"
     "2955d24efb0e34798d3898f70baced4efa4835583cbb99dd1353b4cc9dcaa0906af70d92a10519e033bf19627744f"
     "b37f20d19821766b23d83d60447011970302e6066220aecd808e562310cf6bac160886c9620a"},
    {"ar", "Arab",
     "قال وزير الخارجية كمال الدين بن سالم إن الاتفاق الذي وقع في القاهرة يوم الخميس يشمل "
     "12500 طن من القمح. وأضاف والمسؤول عن الملف أن المحادثات مستمرة منذ 14 مارس.",
     "2024-03-15T09:00:00Z",
     "03100ef46500000000b95107bdc2d48db5aff6270c44213ef5ede3e1c6ab8eb4b9d3f56cf7d45fea524047b07ef66"
     "35f943bde6ef7562abf98d7c961d295d0bf6e640f98e3b53d2aa97d22e19b895710eb5b4c3edaf5800799858b81d1"
     "4cc929d3d7ae4529f0167269e88dbb110902c3160101ed4b270c45585e18311aa4216fa222306f271667933e9c6db"
     "3d3beb8f3ea13f3293effa0c4416fe4"},
    {"de", "Latn",
     "Bürgermeisterin Lidia Korvanenko sagte am Samstag in Mirograd, dass 12.480 Einwohner "
     "evakuiert wurden. Die Lagerhalle am Ufer der Varna brannte nieder.",
     "2024-05-04T12:00:00Z",
     "034023366600000000e9099357af5c9111505ba37b08c413394607558593e4000c9329f7e3516bcb43617cafcb899"
     "ccfc39161e904c5c9af9a0698988549f84979e3bc64daf4184c01eea3fdba31fc9ec1abce7184e28dbadfac770862"
     "94606a30e0977e25bf0f0faec11ec1f20401e7066220afcd808e1f0147a4572310cf86c9620a"},
    {"und", "Zyyy", "12 345 678 !!! ??? 2024-05-04", NULL,
     "0300000000000000003701eca6795f127d031e2c938605e32779bf039b6b2be7049c1a87358eff3169ac973ddf02d"
     "000e22365e2841ee82068194f5167d85802334c835f823e52b61fa960eab5ef410f80b92b67b46e144e29357cbf90"
     "05877818d317ce97d1e91d5c645a5c2f0002e5b57945045dfefe"},
    {"zh", "Hani", "北京市长王小明周六表示，已有一万两千名居民撤离。𠀀𠀁 supplementary.",
     "2024-05-04T13:00:00Z",
     "035031366600000000d8113b6524a7c52556cd4c8ebdb9b408942123bb91f2629aa9f7063931179c903b0932cd24a"
     "8a0e087a88baa3315e03f416cbb04e06474582a61f5a62d51508f74ab4225da156922e804c39e350e20d55ace0504"
     "6362fecc93a97e909488cdf950e1c4360200c385dd404ff68089"},
};

/* Fingerprint of pinned[i] with its language, no entities (what both the printer and the test
 * compute). */
static const nf_entity_list_t no_entities = {NULL, 0};

static nf_err_t pinned_compute(nf_fingerprinter_t *f, size_t i, nf_lang_t *lang,
                               nf_fingerprint_t *fp)
{
    memset(lang, 0, sizeof(*lang));
    snprintf(lang->code, sizeof(lang->code), "%s", pinned[i].code);
    snprintf(lang->script, sizeof(lang->script), "%s", pinned[i].script);
    return nf_fingerprint_compute(f, pinned[i].body, strlen(pinned[i].body), pinned[i].published_at,
                                  lang, &no_entities, fp);
}

#ifdef NF_PIN_PRINT
int main(void)
{
    char err[128];
    nf_fingerprinter_t *f = nf_fingerprinter_new(err, sizeof(err));
    for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
        nf_lang_t lang;
        nf_fingerprint_t fp;
        if (pinned_compute(f, i, &lang, &fp) != NF_OK)
            return 1;
        uint8_t wire[NF_FINGERPRINT_WIRE_MAX];
        size_t n = nf_fingerprint_encode(&fp, wire);
        printf("     \"");
        for (size_t k = 0; k < n; k++)
            printf("%02x", wire[k]);
        printf("\",\n");
    }
    nf_fingerprinter_destroy(f);
    return 0;
}
#endif
#ifndef NF_PIN_PRINT
static void test_pinned_fingerprints(void **state)
{
    (void)state;
    char err[128];
    nf_fingerprinter_t *f = nf_fingerprinter_new(err, sizeof(err));
    assert_non_null(f);
    for (int pass = 0; pass < 2; pass++) /* the second pass reads the name cache */
        for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
            nf_lang_t lang;
            nf_fingerprint_t fp;
            assert_int_equal(pinned_compute(f, i, &lang, &fp), NF_OK);
            uint8_t wire[NF_FINGERPRINT_WIRE_MAX];
            size_t n = nf_fingerprint_encode(&fp, wire);
            char hex[2 * NF_FINGERPRINT_WIRE_MAX + 1];
            for (size_t k = 0; k < n; k++)
                snprintf(hex + 2 * k, 3, "%02x", wire[k]);
            assert_string_equal(hex, pinned[i].hex);
            /* the same from the body's UTF-16 */
            UChar u16[1024];
            int32_t ulen = 0;
            UErrorCode st = U_ZERO_ERROR;
            u_strFromUTF8(u16, 1024, &ulen, pinned[i].body, -1, &st);
            assert_true(U_SUCCESS(st));
            nf_fingerprint_t fp16;
            assert_int_equal(nf_fingerprint_compute_utf16(
                                 f, pinned[i].body, strlen(pinned[i].body), (const uint16_t *)u16,
                                 (size_t)ulen, pinned[i].published_at, &lang, &no_entities, &fp16),
                             NF_OK);
            assert_memory_equal(&fp16, &fp, sizeof(fp));
        }
    nf_fingerprinter_destroy(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv1a_utf16_matches_bytes),
        cmocka_unit_test(test_token_char_matches_icu),
        cmocka_unit_test(test_minhash_mins_matches_scalar),
        cmocka_unit_test(test_pinned_fingerprints),
        cmocka_unit_test(test_exact_key_folds_like_icu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
