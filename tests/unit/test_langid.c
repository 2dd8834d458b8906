/* Language stage: script by letter majority, then the n-gram model (langid.h). */
#include "nf_test.h"

#include <pthread.h>

#include "newsflow/langid.h"

static nf_langid_t *langid;

static int setup(void **state)
{
    (void)state;
    char err[128];
    langid = nf_langid_new(NULL, err, sizeof(err));
    return langid ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    nf_langid_destroy(langid);
    return 0;
}

static void expect_script_n(const char *text, size_t len, const char *script)
{
    nf_lang_t out;
    memset(&out, 0x5a, sizeof(out)); /* garbage in: every field must be written */
    nf_langid_detect(langid, text, len, &out);
    if (strcmp(out.script, script) != 0)
        fail_msg("script of '%.*s' is %s, want %s", (int)len, text, out.script, script);
    assert_true(out.confidence >= 0.0 && out.confidence <= 1.0);
    assert_non_null(memchr(out.code, '\0', sizeof(out.code)));
}

/* Detects from a heap copy of exactly len bytes (no NUL): AddressSanitizer catches a read past
 * the end. */
static nf_lang_t detect_exact(const char *text, size_t len)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    nf_lang_t out;
    nf_langid_detect(langid, copy, len, &out);
    free(copy);
    return out;
}

static void expect_lang(const char *text, const char *code, const char *script)
{
    nf_lang_t out = detect_exact(text, strlen(text));
    if (strcmp(out.code, code) != 0 || strcmp(out.script, script) != 0)
        fail_msg("'%.60s' is %s/%s (%.2f), want %s/%s", text, out.code, out.script, out.confidence,
                 code, script);
}

static void expect_und(const char *text, const char *script)
{
    nf_lang_t out = detect_exact(text, strlen(text));
    if (strcmp(out.code, "und") != 0 || strcmp(out.script, script) != 0)
        fail_msg("'%.60s' is %s/%s, want und/%s", text, out.code, out.script, script);
}

static void expect_script(const char *text, const char *script)
{
    expect_script_n(text, strlen(text), script);
}

static void test_single_scripts(void **state)
{
    (void)state;
    expect_script("The Varna river rose 6.4 metres near Port Varnel.", "Latn");
    expect_script("La crue de la Varna a touch\xc3\xa9 Mirograd samedi.", "Latn");
    /* Река Варна вышла из берегов. */
    expect_script("\xd0\xa0\xd0\xb5\xd0\xba\xd0\xb0 \xd0\x92\xd0\xb0\xd1\x80\xd0\xbd\xd0\xb0 "
                  "\xd0\xb2\xd1\x8b\xd1\x88\xd0\xbb\xd0\xb0 \xd0\xb8\xd0\xb7 "
                  "\xd0\xb1\xd0\xb5\xd1\x80\xd0\xb5\xd0\xb3\xd0\xbe\xd0\xb2.",
                  "Cyrl");
    /* فاض نهر فارنا يوم السبت. */
    expect_script("\xd9\x81\xd8\xa7\xd8\xb6 \xd9\x86\xd9\x87\xd8\xb1 \xd9\x81\xd8\xa7\xd8\xb1"
                  "\xd9\x86\xd8\xa7 \xd9\x8a\xd9\x88\xd9\x85 \xd8\xa7\xd9\x84\xd8\xb3\xd8\xa8"
                  "\xd8\xaa.",
                  "Arab");
    /* Ο ποταμός Βάρνα πλημμύρισε. */
    expect_script("\xce\x9f \xcf\x80\xce\xbf\xcf\x84\xce\xb1\xce\xbc\xcf\x8c\xcf\x82 "
                  "\xce\x92\xce\xac\xcf\x81\xce\xbd\xce\xb1 \xcf\x80\xce\xbb\xce\xb7\xce\xbc"
                  "\xce\xbc\xcf\x8d\xcf\x81\xce\xb9\xcf\x83\xce\xb5.",
                  "Grek");
    /* 瓦尔纳河水位上涨。 */
    expect_script("\xe7\x93\xa6\xe5\xb0\x94\xe7\xba\xb3\xe6\xb2\xb3\xe6\xb0\xb4\xe4\xbd\x8d"
                  "\xe4\xb8\x8a\xe6\xb6\xa8\xe3\x80\x82",
                  "Hani");
}

static void test_mixed_majority(void **state)
{
    (void)state;
    /* "Orvane Rail: 740 поездов отменены в долине Кессель 2026!!!": 10 Latin letters against
     * 29 Cyrillic; digits and punctuation do not vote */
    expect_script("Orvane Rail: 740 \xd0\xbf\xd0\xbe\xd0\xb5\xd0\xb7\xd0\xb4\xd0\xbe\xd0\xb2 "
                  "\xd0\xbe\xd1\x82\xd0\xbc\xd0\xb5\xd0\xbd\xd0\xb5\xd0\xbd\xd1\x8b \xd0\xb2 "
                  "\xd0\xb4\xd0\xbe\xd0\xbb\xd0\xb8\xd0\xbd\xd0\xb5 "
                  "\xd0\x9a\xd0\xb5\xd1\x81\xd1\x81\xd0\xb5\xd0\xbb\xd1\x8c 2026!!!",
                  "Cyrl");
    /* A Latin sentence quoting one Greek word: Latin wins */
    expect_script("The Stellin council called the plan \xce\xbb\xce\xbf\xce\xb3\xce\xb9\xce\xba"
                  "\xcf\x8c in its statement.",
                  "Latn");
    /* Arabic with a Latin brand name */
    expect_script("\xd8\xa3\xd8\xb9\xd9\x84\xd9\x86\xd8\xaa \xd8\xb4\xd8\xb1\xd9\x83\xd8\xa9 "
                  "Orvane \xd8\xb9\xd9\x86 \xd8\xa5\xd8\xb6\xd8\xb1\xd8\xa7\xd8\xa8 "
                  "\xd8\xac\xd8\xaf\xd9\x8a\xd8\xaf \xd9\x81\xd9\x8a \xd9\x85\xd9\x8a\xd8\xb1"
                  "\xd9\x88\xd8\xba\xd8\xb1\xd8\xa7\xd8\xaf",
                  "Arab");
    /* one letter more decides */
    expect_script("abc \xd0\xb0\xd0\xb1", "Latn");
    expect_script("ab \xd0\xb0\xd0\xb1\xd0\xb2", "Cyrl");
}

static void test_no_letters(void **state)
{
    (void)state;
    expect_script("12,480 / 6.4 -- 1931", "Zyyy");
    expect_script("!!! ??? ... 2026-03-14 \xe2\x82\xac 5", "Zyyy");
    expect_script("", "Zyyy");
    expect_script_n("", 0, "Zyyy");
    expect_script("\xf0\x9f\x8c\x8a\xf0\x9f\x8c\x8a", "Zyyy"); /* emoji only */
    /* combining marks alone (Inherited) do not count either */
    expect_script("\xcc\x81\xcc\x81", "Zyyy");
}

static void test_robustness(void **state)
{
    (void)state;
    /* invalid bytes are skipped, not fatal */
    expect_script("Mirograd \xff\xfe flood", "Latn");
    expect_script("\xc3\x28\xd0\xb0\xd0\xb1", "Cyrl");
    /* only len bytes are read */
    const char text[] = "Kessel \xd0\xb0\xd0\xb1\xd0\xb2\xd0\xb3\xd0\xb4\xd0\xb5\xd0\xb6";
    expect_script_n(text, 6, "Latn");
    expect_script_n(text, strlen(text), "Cyrl");
    /* a character cut at the end of len is skipped */
    expect_script_n("\xd0\xb0\xd0", 3, "Cyrl");
    nf_langid_destroy(NULL);
}

/* Our own news sentences (tests/fixtures/langid/news_sentences.tsv), never training text: every
 * one must get its language, including the close pairs ar/fa/ur, ru/uk/bg/sr, es/pt/it and
 * id/ms. */
static void test_news_sentences(void **state)
{
    (void)state;
    const char *dir = getenv("NF_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/fixtures/langid/news_sentences.tsv",
             dir ? dir : NF_SOURCE_DIR);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    char line[4096], langs[64][8];
    unsigned n = 0, n_langs = 0, wrong = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (line[0] == '#' || !tab)
            continue;
        *tab = '\0';
        nf_lang_t out = detect_exact(tab + 1, strlen(tab + 1));
        n++;
        if (strcmp(out.code, line) != 0 || out.confidence < 0.5) {
            print_message("wrong: %s detected as %s (%.2f): %s\n", line, out.code, out.confidence,
                          tab + 1);
            wrong++;
        }
        unsigned k = 0;
        while (k < n_langs && strcmp(langs[k], line) != 0)
            k++;
        if (k == n_langs && n_langs < 64)
            snprintf(langs[n_langs++], sizeof(langs[0]), "%.7s", line);
    }
    fclose(f);
    assert_true(n >= 40);
    assert_true(n_langs >= 15);
    assert_int_equal(wrong, 0);
}

static void test_script_languages(void **state)
{
    (void)state;
    /* scripts of one language answer from the letters alone */
    expect_lang("\xce\x9f \xcf\x80\xce\xbf\xcf\x84\xce\xb1\xce\xbc\xcf\x8c\xcf\x82 \xce\x92\xce\xac"
                "\xcf\x81\xce\xbd\xce\xb1 \xcf\x80\xce\xbb\xce\xb7\xce\xbc\xce\xbc\xcf\x8d\xcf\x81"
                "\xce\xb9\xcf\x83\xce\xb5.",
                "el", "Grek");
    /* ミログラードで洪水が起きた。 (kana present: Japanese) */
    expect_lang("\xe3\x83\x9f\xe3\x83\xad\xe3\x82\xb0\xe3\x83\xa9\xe3\x83\xbc\xe3\x83\x89\xe3\x81"
                "\xa7\xe6\xb4\xaa\xe6\xb0\xb4\xe3\x81\x8c\xe8\xb5\xb7\xe3\x81\x8d\xe3\x81\x9f\xe3"
                "\x80\x82",
                "ja", "Jpan");
    /* 미로그라드에서 홍수가 났다 (Hangul: Korean) */
    expect_lang("\xeb\xaf\xb8\xeb\xa1\x9c\xea\xb7\xb8\xeb\x9d\xbc\xeb\x93\x9c\xec\x97\x90\xec\x84"
                "\x9c \xed\x99\x8d\xec\x88\x98\xea\xb0\x80 \xeb\x82\xac\xeb\x8b\xa4",
                "ko", "Kore");
    /* 瓦尔纳河水位上涨了很多 (Han alone: Chinese) */
    expect_lang("\xe7\x93\xa6\xe5\xb0\x94\xe7\xba\xb3\xe6\xb2\xb3\xe6\xb0\xb4\xe4\xbd\x8d\xe4\xb8"
                "\x8a\xe6\xb6\xa8\xe4\xba\x86\xe5\xbe\x88\xe5\xa4\x9a",
                "zh", "Hani");
    /* მიროგრადის საბჭომ ბიუჯეტი დაამტკიცა */
    expect_lang("\xe1\x83\x9b\xe1\x83\x98\xe1\x83\xa0\xe1\x83\x9d\xe1\x83\x92\xe1\x83\xa0\xe1\x83"
                "\x90\xe1\x83\x93\xe1\x83\x98\xe1\x83\xa1 \xe1\x83\xa1\xe1\x83\x90\xe1\x83\x91\xe1"
                "\x83\xad\xe1\x83\x9d\xe1\x83\x9b",
                "ka", "Geor");
}

static void test_too_little_evidence(void **state)
{
    (void)state;
    expect_und("Oui.", "Latn"); /* 3 letters: under langid_min_letters */
    expect_und("12,480 / 6.4 / 1931", "Zyyy");
    expect_und("", "Zyyy");
    /* markup, URLs and e-mail addresses do not vote: what is left is 7 letters */
    expect_und("<div class=\"share-buttons\"><a href=\"https://orvane-rail.example/news/strike\">"
               "contact: press@orvane-rail.example</a></div>",
               "Latn");
    expect_und("<br/><img src=\"flood.jpg\" alt=\"\"/>&nbsp;&amp;&#8217;", "Zyyy");
}

static void test_markup_does_not_vote(void **state)
{
    (void)state;
    /* English class names, URL words and entities around a French sentence */
    expect_lang("<p class=\"story-body headline share\">Le conseil r\xc3\xa9gional a adopt\xc3\xa9 "
                "mardi un nouveau budget pour la protection contre les crues.&nbsp;</p> "
                "<a href=\"https://news.example/the-council-approved-the-new-flood-budget-today\">"
                "https://news.example/the-weather-report</a> editor@news.example",
                "fr", "Latn");
}

static void test_majority_of_letters(void **state)
{
    (void)state;
    /* three English sentences and one short French quote: English */
    expect_lang("The regional council approved the new budget for flood defences on Tuesday. "
                "Rail workers said the strike would continue until the company raised wages. "
                "The river is expected to fall slowly over the coming week. "
                "\"Nous continuerons\", a dit un cheminot.",
                "en", "Latn");
    /* and the other way round */
    expect_lang("Le conseil r\xc3\xa9gional a adopt\xc3\xa9 mardi un nouveau budget pour la "
                "protection contre les crues. Les cheminots ont annonc\xc3\xa9 que la gr\xc3\xa8ve "
                "continuerait jusqu'\xc3\xa0 ce que l'entreprise augmente les salaires. "
                "\"We will continue\", said one worker.",
                "fr", "Latn");
}

/* Long texts are scored chunk by chunk and may stop early (langid.c): the stop must not let the
 * first part decide for the rest. */
static void test_long_text_majority(void **state)
{
    (void)state;
    static const char fr[] =
        "Le conseil de la vall\xc3\xa9"
        "e a vot\xc3\xa9 jeudi soir un plan pour reconstruire les "
        "ponts emport\xc3\xa9s par la crue du mois dernier. Les habitants des villages du nord "
        "attendent depuis trois semaines le retour de l'eau potable et de "
        "l'\xc3\xa9lectricit\xc3\xa9. "
        "Selon la pr\xc3\xa9"
        "fecture, les travaux dureront au moins six mois et co\xc3\xbbteront "
        "plus que pr\xc3\xa9vu, car il faudra aussi renforcer les digues le long de la "
        "rivi\xc3\xa8re. "
        "Les syndicats agricoles demandent une aide imm\xc3\xa9"
        "diate pour les fermes dont les "
        "champs sont encore sous l'eau, et le maire a promis une r\xc3\xa9union publique lundi. ";
    static const char en[] =
        "The valley council voted on Thursday evening for a plan to rebuild the bridges that the "
        "flood carried away last month. People in the northern villages have waited three weeks "
        "for drinking water and electricity to come back. According to the regional office, the "
        "work will take at least six months and cost more than expected, because the dikes along "
        "the river must be strengthened as well. Farmers' unions are asking for immediate help for "
        "the farms whose fields are still under water, and the mayor promised a public meeting. ";
    struct {
        const char *first, *rest, *want;
    } cases[] = {{fr, en, "en"}, {en, fr, "fr"}, {en, en, "en"}, {fr, fr, "fr"}};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        char text[8192];
        size_t len = 0, n = strlen(cases[c].first);
        for (int k = 0; k < 2; k++, len += n) /* 2 of 6 paragraphs: more than one chunk */
            memcpy(text + len, cases[c].first, n);
        n = strlen(cases[c].rest);
        for (int k = 0; k < 4; k++, len += n)
            memcpy(text + len, cases[c].rest, n);
        nf_lang_t out;
        nf_langid_detect(langid, text, len, &out);
        assert_string_equal(out.code, cases[c].want);
        assert_true(out.confidence > 0.99);
    }
}

static void test_invalid_utf8_and_huge(void **state)
{
    (void)state;
    /* garbage bytes everywhere: an answer, no crash, no read past len (detect_exact) */
    char junk[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof(junk); i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (char)(x >> 16);
    }
    for (size_t len = 0; len < sizeof(junk); len += 97)
        (void)detect_exact(junk, len);
    /* a 5 MB Russian body: sampled, so bounded work; still Russian */
    const char *ru = "\xd0\x96\xd0\xb5\xd0\xbb\xd0\xb5\xd0\xb7\xd0\xbd\xd0\xbe\xd0\xb4\xd0\xbe"
                     "\xd1\x80\xd0\xbe\xd0\xb6\xd0\xbd\xd0\xb8\xd0\xba\xd0\xb8 \xd0\xb7\xd0\xb0"
                     "\xd1\x8f\xd0\xb2\xd0\xb8\xd0\xbb\xd0\xb8, \xd1\x87\xd1\x82\xd0\xbe "
                     "\xd0\xb7\xd0\xb0\xd0\xb1\xd0\xb0\xd1\x81\xd1\x82\xd0\xbe\xd0\xb2\xd0\xba"
                     "\xd0\xb0 \xd0\xbf\xd1\x80\xd0\xbe\xd0\xb4\xd0\xbe\xd0\xbb\xd0\xb6\xd0\xb8"
                     "\xd1\x82\xd1\x81\xd1\x8f. ";
    size_t unit = strlen(ru), size = 5u << 20;
    char *big = malloc(size);
    assert_non_null(big);
    for (size_t off = 0; off < size; off += unit)
        memcpy(big + off, ru, off + unit <= size ? unit : size - off);
    nf_lang_t out;
    nf_langid_detect(langid, big, size, &out);
    assert_string_equal(out.code, "ru");
    assert_string_equal(out.script, "Cyrl");
    free(big);
}

typedef struct thread_job {
    unsigned wrong;
} thread_job_t;

static void *detect_many(void *arg)
{
    thread_job_t *job = arg;
    static const char *const texts[][2] = {
        {"en", "Rail workers said the strike would continue until the company raised wages."},
        {"fr", "Les cheminots ont annonc\xc3\xa9 que la gr\xc3\xa8ve continuerait."},
        {"de", "Die Bahnarbeiter erkl\xc3\xa4rten, der Streik werde fortgesetzt."},
    };
    for (int round = 0; round < 2000; round++) {
        const char *const *t = texts[round % 3];
        nf_lang_t out;
        nf_langid_detect(langid, t[1], strlen(t[1]), &out);
        job->wrong += strcmp(out.code, t[0]) != 0;
    }
    return NULL;
}

static void test_threads_share_a_detector(void **state)
{
    (void)state;
    pthread_t threads[3];
    thread_job_t jobs[3] = {{0}};
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, detect_many, &jobs[i]), 0);
    for (int i = 0; i < 3; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(jobs[i].wrong, 0);
    }
}

static void test_options_and_languages(void **state)
{
    (void)state;
    char err[128];
    nf_langid_options_t strict = {.min_confidence = 1.0, .min_letters = 8};
    nf_langid_t *l = nf_langid_new(&strict, err, sizeof(err));
    assert_non_null(l);
    nf_lang_t out;
    const char *en = "Rail workers said the strike would continue until the company raised wages.";
    nf_langid_detect(l, en, strlen(en), &out);
    assert_string_equal(out.code, "und"); /* the evidence is never certain */
    assert_true(out.confidence > 0.5);    /* but the confidence is still reported */
    nf_langid_destroy(l);
    nf_langid_options_t long_only = {.min_confidence = 0.0, .min_letters = 1000};
    l = nf_langid_new(&long_only, err, sizeof(err));
    nf_langid_detect(l, en, strlen(en), &out);
    assert_string_equal(out.code, "und");
    nf_langid_destroy(l);

    assert_true(nf_langid_language_count() >= 60);
    assert_null(nf_langid_language_code(nf_langid_language_count()));
    static const char *const required[] = {
        "en", "fr", "de", "es", "it", "pt", "nl", "sv", "da", "no", "fi", "pl", "cs",
        "sk", "hu", "ro", "hr", "sr", "bg", "ru", "uk", "el", "tr", "ar", "fa", "ur",
        "ps", "he", "hi", "bn", "ta", "zh", "ja", "ko", "vi", "id", "ms", "th", "sw"};
    for (size_t r = 0; r < sizeof(required) / sizeof(required[0]); r++) {
        size_t i = 0;
        while (i < nf_langid_language_count() && strcmp(nf_langid_language_code(i), required[r]))
            i++;
        if (i == nf_langid_language_count())
            fail_msg("language %s missing", required[r]);
    }
}

/* The script pass (letters per script, what decides the script that votes) and the features
 * walk on text with markup, addresses, character references, invalid bytes and mixed scripts:
 * the letters of the winning script and the features emitted, pinned to what the build before
 * the specialised walks (count_span; the walk body walk_span and walk_span_scored share;
 * address_token) gave. */
static const char *const script_cases[] = {
    "Plain English text, with punctuation: 12 apples & 3 pears!",
    "<p class=\"x y\">Texte en <b>français</b> avec des accents: été, où, naïve.</p>",
    "Visit www.example.com or http://example.org/path?q=1 or mail me@example.net now",
    "&amp; &#8217; &nbsp;&eacute; &bogus text &; && &#12345678901; fin",
    "Мэр города заявила в субботу, что 12 480 жителей были эвакуированы <a href=x>ссылка</a>",
    "قال وزير الخارجية إن الاتفاق الذي وقع في القاهرة يوم الخميس يشمل 12500 طن من القمح",
    "Mixed: Москва and London, Αθήνα και Paris; 東京とソウル 서울",
    "日本語のテキストです。漢字とひらがなとカタカナ。",
    "中文文本，没有假名。北京上海广州。",
    "한국어 텍스트입니다. 서울에서.",
    "< not a tag, a<b, 3 < 4 > 2, <!-- comment --> <unclosed tag and then text",
    "tab\there\vvertical\fform\rreturn\nnewline ﬁ ligature ǅ titlecase ª º ordinals",
    ("combining: e\xcc\x81 a\xcc\x88 \xd9\x8e\xd9\x90 harakat on Arabic "
     "\xd8\xa8\xd9\x8e\xd8\xa7\xd8\xa8"),
    "invalid \xff\xfe bytes \xc3 truncated \xe2\x82 and \xed\xa0\x80 surrogate",
    "𝐁𝐨𝐥𝐝 𝔉𝔯𝔞𝔨𝔱𝔲𝔯 supplementary letters 𠀀𠀁",
    "WWW.Shout.example text http:/ half ab:/ /cd x:// y :// @ at@ @end mail@ ends http:",
    "word ww.not.address wwwx.also.text a:b/c d:/e f://g tail://",
    "trailing colon slash at the very end :/",
    "trailing address at the very end http://x",
    "",
    "12345 67890 !!! ??? ---",
};

static const struct {
    size_t letters;
    const char *script;
    unsigned long features;  /* calls of the feature function */
    unsigned long long hash; /* of the (key, order) sequence */
} script_expected[] = {
    {42, "Latn", 84, 0xb8b4fff50dc494bbULL},  {39, "Latn", 78, 0x70524805d62aa710ULL},
    {16, "Latn", 32, 0xaa4ad058de85f8efULL},  {12, "Latn", 24, 0x1c278dbff0c9e189ULL},
    {56, "Cyrl", 112, 0xdc51fed9d03ea89eULL}, {62, "Arab", 124, 0xf2693f9e815aa4bbULL},
    {19, "Latn", 38, 0x1f1685e27ac8e2bdULL},  {22, "Jpan", 0, 0x0000000000000000ULL},
    {14, "Hani", 28, 0x1fa5fc25d0b4dc0fULL},  {13, "Kore", 0, 0x0000000000000000ULL},
    {30, "Latn", 60, 0x05719d33fc5a14b5ULL},  {61, "Latn", 122, 0x2f852a34735da786ULL},
    {26, "Latn", 58, 0x629c6318fbfce3c3ULL},  {33, "Latn", 66, 0x1e3458a9b5a9b44aULL},
    {20, "Latn", 62, 0xd220243a0a007eb1ULL},  {25, "Latn", 50, 0x3e5c9c18a6d30ebbULL},
    {33, "Latn", 66, 0x7846ab14eeac02e3ULL},  {30, "Latn", 60, 0xeaa545ff8a635b5bULL},
    {27, "Latn", 54, 0xae4c9e340d28c427ULL},  {0, "Zyyy", 0, 0x0000000000000000ULL},
    {0, "Zyyy", 0, 0x0000000000000000ULL},
};

static void no_feature(void *ctx, uint32_t key, unsigned order)
{
    (void)ctx;
    (void)key;
    (void)order;
}

typedef struct digest {
    unsigned long n;
    unsigned long long hash;
} digest_t;

static void digest_feature(void *ctx, uint32_t key, unsigned order)
{
    digest_t *d = ctx;
    d->n++;
    d->hash = d->hash * 1099511628211ULL + key * 4 + order;
}

static void test_script_pass_pinned(void **state)
{
    (void)state;
    assert_int_equal(sizeof(script_cases) / sizeof(script_cases[0]),
                     sizeof(script_expected) / sizeof(script_expected[0]));
    for (size_t i = 0; i < sizeof(script_cases) / sizeof(script_cases[0]); i++) {
        char script[8];
        digest_t d = {0, 0};
        size_t letters = nf_langid_features(script_cases[i], strlen(script_cases[i]),
                                            digest_feature, &d, script);
        assert_int_equal(letters, script_expected[i].letters);
        assert_string_equal(script, script_expected[i].script);
        assert_int_equal(d.n, script_expected[i].features);
        assert_true(d.hash == script_expected[i].hash);
    }
    /* over 16 KiB: the sampled windows */
    size_t len = 40000;
    char *big = malloc(len + 1);
    assert_non_null(big);
    const char *pat = "Слово word <i>x</i> www.a.b слово ";
    size_t pl = strlen(pat);
    for (size_t i = 0; i < len; i++)
        big[i] = pat[i % pl];
    big[len] = '\0';
    char script[8];
    assert_int_equal(nf_langid_features(big, len, no_feature, NULL, script), 3700);
    assert_string_equal(script, "Cyrl");
    free(big);
}

/* The script pass counts the letters of text with nothing to skip eight bytes at a time: every
 * ASCII letter, and none of the bytes next to them ('@' '[' '`' '{' and the like), at every
 * offset and length, with two-byte letters (é) and Cyrillic ones among them. */
static void test_latin_letters_counted(void **state)
{
    (void)state;
    static const char *const pieces[] = {"a", "z",    "A",  "Z",        "m",       "Q", " ",
                                         "[", "`",    "{",  "^",        "9",       "0", ",",
                                         ".", "\x7f", "\t", "\xc3\xa9", "\xd0\xb6"};
    const size_t n_pieces = sizeof(pieces) / sizeof(pieces[0]);
    uint64_t seed = 99;
    char text[512];
    for (int round = 0; round < 5000; round++) {
        size_t len = 0, want = 0, cyrillic = 0;
        size_t target = (size_t)(round % 300);
        while (len < target) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            const char *p = pieces[(seed >> 33) % n_pieces];
            /* Cyrillic stays a minority, so that Latin is the script whose letters come back */
            if (p[0] == '\xd0' && 4 * (cyrillic + 1) > want)
                continue;
            size_t pl = strlen(p);
            memcpy(text + len, p, pl);
            len += pl;
            if (p[0] == '\xd0')
                cyrillic++;
            else if (((unsigned char)p[0] | 0x20) >= 'a' && ((unsigned char)p[0] | 0x20) <= 'z')
                want++;
            else if (p[0] == '\xc3')
                want++;
        }
        text[len] = '\0';
        char script[8];
        size_t letters = nf_langid_features(text, len, NULL, NULL, script);
        if (letters != want)
            fail_msg("%zu Latin letters counted, %zu in \"%s\"", letters, want, text);
        if (want)
            assert_string_equal(script, "Latn");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_scripts),
        cmocka_unit_test(test_mixed_majority),
        cmocka_unit_test(test_no_letters),
        cmocka_unit_test(test_robustness),
        cmocka_unit_test(test_news_sentences),
        cmocka_unit_test(test_script_languages),
        cmocka_unit_test(test_too_little_evidence),
        cmocka_unit_test(test_markup_does_not_vote),
        cmocka_unit_test(test_majority_of_letters),
        cmocka_unit_test(test_long_text_majority),
        cmocka_unit_test(test_invalid_utf8_and_huge),
        cmocka_unit_test(test_threads_share_a_detector),
        cmocka_unit_test(test_options_and_languages),
        cmocka_unit_test(test_script_pass_pinned),
        cmocka_unit_test(test_latin_letters_counted),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
