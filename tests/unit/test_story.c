/* Fingerprints (exact key, MinHash, story signature), the match predicates at their edges, and
 * the in-memory story index (originals, merges, window, capacity). */
#include "nf_test.h"

#include "newsflow/article.h"

#include "newsflow/fingerprint.h"
#include "newsflow/story.h"

static nf_fingerprinter_t *fpr;

static int setup(void **state)
{
    (void)state;
    char err[128];
    fpr = nf_fingerprinter_new(err, sizeof(err));
    return fpr ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    nf_fingerprinter_destroy(fpr);
    return 0;
}

static void fp_of(const char *body, const char *when, const char *script, nf_fingerprint_t *out)
{
    nf_lang_t lang = {"und", "", 0};
    snprintf(lang.script, sizeof(lang.script), "%s", script);
    nf_entity_list_t none = {NULL, 0};
    assert_int_equal(nf_fingerprint_compute(fpr, body, strlen(body), when, &lang, &none, out),
                     NF_OK);
}

static const char *flood_en =
    "The Varna river burst its banks near Mirograd on Saturday, cutting the town off from the "
    "regional road network, mayor Lidia Korvanenko said.\nEmergency services evacuated 12,480 "
    "residents overnight and opened three shelters in the sports halls of the northern district.\n"
    "The Orvane Water Authority said the level at the Stellin gauge reached 6.4 metres, the "
    "highest since records began in 1931.";

static void test_exact_key_folds(void **state)
{
    (void)state;
    nf_fingerprint_t a, b, c;
    fp_of("Floods in MIROGRAD,  12 480 evacuated", NULL, "Latn", &a);
    fp_of("floods in mirograd, 12 480 evacuated", NULL, "Latn", &b);
    fp_of("ＦＬＯＯＤＳ in Mirograd,\n12 480 evacuated", NULL, "Latn", &c); /* NFKC */
    assert_true(nf_exact_match(&a, &b));
    assert_true(nf_exact_match(&a, &c));
    fp_of("floods in mirograd, 12 481 evacuated", NULL, "Latn", &c);
    assert_false(nf_exact_match(&a, &c));
    /* identical folded text: identical MinHash */
    assert_memory_equal(a.minhash, b.minhash, NF_MINHASH_K);
    assert_memory_equal(a.bands, b.bands, sizeof(a.bands));
}

static void test_near_similarity(void **state)
{
    (void)state;
    nf_match_params_t p = nf_match_params_default();
    nf_fingerprint_t a, b, c, d;
    fp_of(flood_en, "2026-03-14T08:00:00Z", "Latn", &a);
    char edited[2048];
    snprintf(edited, sizeof(edited), "%s\nReporting by Dana Omberg.", flood_en);
    fp_of(edited, "2026-03-14T09:00:00Z", "Latn", &b);
    double sim;
    assert_true(nf_near_match(&a, &b, &p, &sim));
    assert_true(sim > 0.7 && sim < 1.0);
    assert_true(nf_near_match(&b, &a, &p, &sim)); /* symmetric */
    /* another text */
    fp_of("The Orvane Rail drivers walked out on Thursday over pay, the union said; 214 trains "
          "were cancelled across the region and commuters queued for buses.",
          "2026-03-14T09:00:00Z", "Latn", &c);
    assert_false(nf_near_match(&a, &c, &p, &sim));
    assert_true(nf_near_similarity(&a, &c) < 0.2);
    /* same text, other language key: never a near copy */
    fp_of(edited, "2026-03-14T09:00:00Z", "Cyrl", &d);
    assert_false(nf_near_match(&a, &d, &p, &sim));
}

static void test_threshold_edges(void **state)
{
    (void)state;
    nf_fingerprint_t a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    for (int k = 0; k < NF_MINHASH_K; k++) {
        a.minhash[k] = (uint8_t)k;
        b.minhash[k] = k < 24 ? (uint8_t)k : (uint8_t)(k + 100); /* 24 of 32 agree */
    }
    for (int i = 0; i < NF_NEAR_BANDS; i++) {
        a.bands[i] = (uint32_t)i;
        b.bands[i] = (uint32_t)(i + 1000);
    }
    a.bands[3] = b.bands[3] = 77; /* one shared band */
    double est = nf_near_similarity(&a, &b);
    double expect = (24.0 / 32 - 1.0 / 256) / (1 - 1.0 / 256);
    assert_true(est > expect - 1e-12 && est < expect + 1e-12);
    nf_match_params_t p = nf_match_params_default();
    double sim;
    p.near_threshold = expect; /* at the threshold: a near copy */
    assert_true(nf_near_match(&a, &b, &p, &sim));
    p.near_threshold = expect + 1e-9; /* just above: not */
    assert_false(nf_near_match(&a, &b, &p, &sim));
    p.near_threshold = expect;
    /* no shared band: not a candidate, whatever the similarity */
    b.bands[3] = 78;
    assert_false(nf_near_match(&a, &b, &p, &sim));
    b.bands[3] = 77;
    /* the window, to the second */
    b.t = a.t + p.window_s;
    assert_true(nf_near_match(&a, &b, &p, &sim));
    b.t = a.t + p.window_s + 1;
    assert_false(nf_near_match(&a, &b, &p, &sim));

    /* story rule (defaults): 3 shared names and a shared fact */
    nf_fingerprint_t s1, s2;
    memset(&s1, 0, sizeof(s1));
    memset(&s2, 0, sizeof(s2));
    s1.n_names = s2.n_names = 4;
    for (int i = 0; i < 4; i++)
        s1.names[i] = (uint32_t)(40 + 4 * i); /* 40 44 48 52 */
    s2.names[0] = 40;
    s2.names[1] = 44;
    s2.names[2] = 48 | NF_NAME_POSTED; /* flags do not change the name */
    s2.names[3] = 200;
    s1.n_facts = s2.n_facts = 1;
    s1.facts[0] = 5;
    s2.facts[0] = 6;
    assert_false(nf_story_match(&s1, &s2, &p)); /* 3 names, no fact */
    s2.facts[0] = 5;
    assert_true(nf_story_match(&s1, &s2, &p)); /* 3 names + 1 fact */
    s2.names[1] = 100;
    assert_false(nf_story_match(&s1, &s2, &p)); /* 2 names + 1 fact */
    s2.names[1] = 44;
    /* two weak keys (scripts without capitals) are no evidence; weak against strong is */
    s1.names[0] |= NF_NAME_WEAK;
    assert_true(nf_story_match(&s1, &s2, &p));
    s2.names[0] |= NF_NAME_WEAK;
    assert_false(nf_story_match(&s1, &s2, &p));
    s1.names[0] = s2.names[0] = 40;
    memcpy(s2.names, s1.names, sizeof(s1.names));
    s2.facts[0] = 6;
    assert_false(nf_story_match(&s1, &s2, &p)); /* 4 names, no fact: not without a fact */
    s2.facts[0] = 5;
    s2.t = s1.t + p.window_s;
    assert_true(nf_story_match(&s1, &s2, &p));
    s2.t = s1.t + p.window_s + 1;
    assert_false(nf_story_match(&s1, &s2, &p)); /* outside the window */
}

static int shares_name(const nf_fingerprint_t *a, const nf_fingerprint_t *b);

/* A near copy keeps the counts: a shared date alone (everything that happened that day has it)
 * does not make two texts agree when both carry counts and share none. */
static void test_near_date_alone_is_weak(void **state)
{
    (void)state;
    nf_match_params_t p = nf_match_params_default();
    nf_fingerprint_t a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    for (int k = 0; k < NF_MINHASH_K; k++)
        a.minhash[k] = b.minhash[k] = (uint8_t)k; /* the same words */
    a.bands[0] = b.bands[0] = 7;
    a.n_names = b.n_names = 1;
    a.names[0] = b.names[0] = 0x40; /* one shared name */
    a.n_facts = b.n_facts = 2;
    a.facts[0] = b.facts[0] = 0x101; /* the same date (NF_FACT_DATE) */
    a.facts[1] = 0x200;              /* other counts */
    b.facts[1] = 0x300;
    double sim;
    assert_true(nf_near_similarity(&a, &b) > 0.99);
    assert_false(nf_facts_agree(&a, &b));
    assert_false(nf_near_match(&a, &b, &p, &sim));
    assert_false(nf_near_match(&b, &a, &p, &sim)); /* symmetric */
    /* the same count as well: a copy */
    b.facts[1] = 0x200;
    assert_true(nf_facts_agree(&a, &b));
    assert_true(nf_near_match(&a, &b, &p, &sim));
    /* a copy that lost its counts (the sentence cut) still agrees on the date */
    b.n_facts = 1;
    assert_true(nf_near_match(&a, &b, &p, &sim));
    /* two dates and no count: the date is all there is to agree on */
    a.n_facts = 1;
    assert_true(nf_near_match(&a, &b, &p, &sim));
    b.facts[0] = 0x103; /* another date */
    assert_false(nf_near_match(&a, &b, &p, &sim));
    /* a shared count is enough whatever the dates */
    a.n_facts = b.n_facts = 2;
    a.facts[1] = b.facts[1] = 0x500;
    assert_true(nf_near_match(&a, &b, &p, &sim));
    /* no facts on one side: no evidence either way */
    b.n_facts = 0;
    assert_true(nf_facts_agree(&a, &b));
    assert_true(nf_near_match(&a, &b, &p, &sim));
}

/* The same, from text: one template, two floods on the same day. The texts are near copies word
 * for word and share a date and generic capitalised words, but not the count. */
static const char *flood_a =
    "Emergency crews evacuated 8,412 people from Halvoren on 9 October after the Tessa river "
    "flooded the lower town, mayor Ivo Brannick said.\nThree shelters were opened in the school "
    "halls of the northern district, the Regional Water Board said.\nVolunteers filled sandbags "
    "along the embankment until dawn, and the Regional Water Board warned of more rain.";
static const char *flood_b =
    "Emergency crews evacuated 21,730 people from Quillmar on 9 October after the Ostra river "
    "flooded the lower town, mayor Dana Pelkov said.\nThree shelters were opened in the school "
    "halls of the northern district, the Regional Water Board said.\nVolunteers filled sandbags "
    "along the embankment until dawn, and the Regional Water Board warned of more rain.";

static void test_near_same_day_template(void **state)
{
    (void)state;
    nf_match_params_t p = nf_match_params_default();
    nf_fingerprint_t a, b, c;
    fp_of(flood_a, "2026-10-09T08:00:00Z", "Latn", &a);
    fp_of(flood_b, "2026-10-09T10:00:00Z", "Latn", &b);
    /* the date is marked as one, the count is not */
    int dates = 0, counts = 0;
    for (int i = 0; i < a.n_facts; i++) {
        dates += (a.facts[i] & NF_FACT_DATE) != 0;
        counts += !(a.facts[i] & NF_FACT_DATE);
    }
    assert_int_equal(dates, 1);
    assert_int_equal(counts, 1);
    /* what made the old rule take them for copies: alike, a shared band, a name, a fact */
    assert_true(nf_near_similarity(&a, &b) >= p.near_threshold);
    int band = 0;
    for (int i = 0; i < NF_NEAR_BANDS; i++)
        band |= a.bands[i] == b.bands[i];
    assert_true(band);
    assert_true(shares_name(&a, &b) >= 1);
    double sim;
    assert_false(nf_near_match(&a, &b, &p, &sim));
    assert_int_equal(nf_fingerprint_link(&a, &b, &p, &sim), NF_LINK_NONE);
    /* a light edit of the first (a byline) is still its near copy */
    char edited[1024];
    snprintf(edited, sizeof(edited), "%s\nReporting by Cato Wendel.", flood_a);
    fp_of(edited, "2026-10-09T11:00:00Z", "Latn", &c);
    assert_true(nf_near_match(&a, &c, &p, &sim));
}

/* German capitalises every noun: outside the entity stage's mentions its capitalised tokens are
 * weak keys (they count against English, never against German). */
static void fp_of_lang(const char *body, const char *when, const char *code,
                       const nf_entity_list_t *entities, nf_fingerprint_t *out)
{
    nf_lang_t lang = {"", "Latn", 0};
    snprintf(lang.code, sizeof(lang.code), "%s", code);
    assert_int_equal(nf_fingerprint_compute(fpr, body, strlen(body), when, &lang, entities, out),
                     NF_OK);
}

/* code points of `body` before `needle` */
static size_t cp_offset(const char *body, const char *needle)
{
    const char *at = strstr(body, needle);
    assert_non_null(at);
    size_t n = 0;
    for (const char *c = body; c < at; c++)
        n += ((unsigned char)*c & 0xc0) != 0x80;
    return n;
}

static const char *fire_de_1 =
    "Ein Feuer hat am 3. August eine Lagerhalle von Orlen Depot in Varsk zerstört; nach Angaben "
    "von Feuerwehrchef Tamsin Marlow kämpften 120 Einsatzkräfte die ganze Nacht gegen die "
    "Flammen.\n"
    "Die Brandursache sei noch unklar, sagte Marlow.\nAnwohner sollten wegen des Rauchs die "
    "Fenster geschlossen halten.";
static const char *fire_de_2 =
    "Ein Feuer hat am 3. August eine Lagerhalle von Kelbo Transit in Varsk zerstört; nach Angaben "
    "von Feuerwehrchef Per Anskar kämpften 85 Einsatzkräfte die ganze Nacht gegen die Flammen.\n"
    "Die Brandursache sei noch unklar, sagte Anskar.\nAnwohner sollten wegen des Rauchs die "
    "Fenster geschlossen halten.";
static const char *fire_de_1b = /* the first fire, another outlet's wording */
    "In Varsk ist am 3. August ein Lager von Orlen Depot abgebrannt. Feuerwehrchef Tamsin Marlow "
    "sprach von 120 Helfern im Einsatz.";
static const char *fire_en_1 = "A fire destroyed a warehouse of Orlen Depot in Varsk on 3 August; "
                               "fire chief Tamsin Marlow said "
                               "120 firefighters fought the blaze through the night.";

static void test_german_nouns_weak(void **state)
{
    (void)state;
    nf_match_params_t p = nf_match_params_default();
    nf_fingerprint_t de1, de2, de1b, en1, und1, und2;
    fp_of_lang(fire_de_1, "2027-08-03T08:00:00Z", "de", NULL, &de1);
    fp_of_lang(fire_de_2, "2027-08-03T09:00:00Z", "de", NULL, &de2);
    fp_of_lang(fire_en_1, "2027-08-03T10:00:00Z", "en", NULL, &en1);
    /* two fires of one day in one town, told by one template: the town, the date and the
     * template's nouns (Lagerhalle, Feuerwehrchef, Einsatzkräfte, Flammen, ...) */
    assert_true(shares_name(&de1, &de2) >= 5);
    assert_false(nf_story_match(&de1, &de2, &p));
    /* the same texts without a language code are read as before (capitalised = a name) */
    fp_of_lang(fire_de_1, "2027-08-03T08:00:00Z", "und", NULL, &und1);
    fp_of_lang(fire_de_2, "2027-08-03T09:00:00Z", "und", NULL, &und2);
    assert_true(nf_story_match(&und1, &und2, &p));
    /* across languages a German token still counts against an English name */
    assert_true(nf_story_match(&de1, &en1, &p));
    /* inside a mention of the entity stage a German token is a name: another German version of
     * the first fire links through the person the entity stage found in both */
    nf_mention_t m1 = {"body", cp_offset(fire_de_1, "Tamsin Marlow"), 0, NULL};
    m1.end = m1.start + strlen("Tamsin Marlow");
    nf_mention_t m1b = {"body", cp_offset(fire_de_1b, "Tamsin Marlow"), 0, NULL};
    m1b.end = m1b.start + strlen("Tamsin Marlow");
    nf_mention_t m1t = {"title", m1b.start, m1b.end, NULL}; /* a title's offsets: not the body */
    nf_mention_t o1 = {"body", cp_offset(fire_de_1, "Orlen Depot"), 0, NULL};
    o1.end = o1.start + strlen("Orlen Depot");
    nf_mention_t o1b = {"body", cp_offset(fire_de_1b, "Orlen Depot"), 0, NULL};
    o1b.end = o1b.start + strlen("Orlen Depot");
    nf_entity_t e1[2] = {{"person:dmrl", NF_ENTITY_PERSON, "Tamsin Marlow", &m1, 1},
                         {"org:arln-dpt", NF_ENTITY_ORG, "Orlen Depot", &o1, 1}};
    nf_entity_t e1b[2] = {{"person:dmrl", NF_ENTITY_PERSON, "Tamsin Marlow", &m1b, 1},
                          {"org:arln-dpt", NF_ENTITY_ORG, "Orlen Depot", &o1b, 1}};
    nf_entity_t e1t = {"person:dmrl", NF_ENTITY_PERSON, "Tamsin Marlow", &m1t, 1};
    nf_entity_list_t l1 = {e1, 2}, l1b = {e1b, 2}, l1t = {&e1t, 1};
    fp_of_lang(fire_de_1b, "2027-08-03T11:00:00Z", "de", NULL, &de1b);
    assert_false(nf_story_match(&de1, &de1b, &p)); /* no mentions: all weak */
    fp_of_lang(fire_de_1, "2027-08-03T08:00:00Z", "de", &l1, &de1);
    fp_of_lang(fire_de_1b, "2027-08-03T11:00:00Z", "de", &l1b, &de1b);
    /* the two ids, "Marlow", "Orlen", "Depot" ("Tamsin" is a given name: no key) */
    assert_true(nf_story_match(&de1, &de1b, &p));
    fp_of_lang(fire_de_1b, "2027-08-03T11:00:00Z", "de", &l1t, &de1b);
    int strong = 0;
    for (int i = 0; i < de1b.n_names; i++)
        strong += !(de1b.names[i] & NF_NAME_WEAK);
    assert_int_equal(strong, 1); /* only the entity id: the title mention covers no body token */
}

static int shares_name(const nf_fingerprint_t *a, const nf_fingerprint_t *b);

/* A given name (a person mention's word before its last) is no name key: two people called
 * Tamsin in two stories share nothing; without the entity stage's mention the word counts. */
static void test_given_names_not_keys(void **state)
{
    (void)state;
    static const char *a = "Fire chief Tamsin Marlow said the warehouse burned down.";
    static const char *b = "Mayor Tamsin Berevo opened the new bridge over the river.";
    nf_mention_t ma = {"body", cp_offset(a, "Tamsin Marlow"), 0, NULL};
    ma.end = ma.start + strlen("Tamsin Marlow");
    nf_mention_t mb = {"body", cp_offset(b, "Tamsin Berevo"), 0, NULL};
    mb.end = mb.start + strlen("Tamsin Berevo");
    nf_entity_t ea = {"person:mrl", NF_ENTITY_PERSON, "Tamsin Marlow", &ma, 1};
    nf_entity_t eb = {"person:brv", NF_ENTITY_PERSON, "Tamsin Berevo", &mb, 1};
    nf_entity_list_t la = {&ea, 1}, lb = {&eb, 1};
    nf_fingerprint_t fa, fb;
    fp_of_lang(a, "2027-08-03T08:00:00Z", "en", NULL, &fa);
    fp_of_lang(b, "2027-08-03T09:00:00Z", "en", NULL, &fb);
    assert_int_equal(shares_name(&fa, &fb), 1); /* "Tamsin" */
    fp_of_lang(a, "2027-08-03T08:00:00Z", "en", &la, &fa);
    fp_of_lang(b, "2027-08-03T09:00:00Z", "en", &lb, &fb);
    assert_int_equal(shares_name(&fa, &fb), 0);
}

static int shares_name(const nf_fingerprint_t *a, const nf_fingerprint_t *b)
{
    int n = 0;
    for (int i = 0; i < a->n_names; i++)
        for (int j = 0; j < b->n_names; j++)
            n += NF_NAME_ID(a->names[i]) == NF_NAME_ID(b->names[j]);
    return n;
}

static void test_signature_across_scripts(void **state)
{
    (void)state;
    nf_fingerprint_t en, ru, ar, other;
    fp_of("Talks in Port Varnel: foreign minister Marek Dolani met Irina Vostrel on 12 May; "
          "they signed a deal worth 340 million dinars.",
          "2026-05-12T10:00:00Z", "Latn", &en);
    fp_of("Переговоры: министр иностранных дел Марек Долани встретился с Ириной Востребовой? "
          "Нет: с Ирина Вострел 12 мая; подписано соглашение на 340 миллионов динаров.",
          "2026-05-12T11:00:00Z", "Cyrl", &ru);
    fp_of("التقى وزير الخارجية ماريك دولاني مع إيرينا فوستريل في 12 مايو ووقعا اتفاقا بقيمة 340 "
          "مليون دينار.",
          "2026-05-12T12:00:00Z", "Arab", &ar);
    assert_true(shares_name(&en, &ru) >= 2);
    assert_true(shares_name(&en, &ar) >= 2);
    nf_match_params_t p = nf_match_params_default();
    assert_true(nf_story_match(&en, &ru, &p));
    assert_true(nf_story_match(&en, &ar, &p));
    assert_true(nf_story_match(&ru, &ar, &p));
    /* same people, other event: another day and other numbers */
    fp_of("In Kessel, Marek Dolani and Irina Vostrel opened a bridge on 9 June; it cost 58 "
          "million dinars.",
          "2026-05-13T10:00:00Z", "Latn", &other);
    assert_false(nf_story_match(&en, &other, &p));
    /* skeletons */
    char sk[32];
    nf_fingerprint_skeleton("Dolani", 6, sk, sizeof(sk));
    assert_string_equal(sk, "dln");
    nf_fingerprint_skeleton("dwlany", 6, sk, sizeof(sk));
    assert_string_equal(sk, "dln");
    nf_fingerprint_skeleton("Vostrel", 7, sk, sizeof(sk));
    assert_string_equal(sk, "fstrl");
    assert_int_equal(nf_rfc3339_seconds("2026-03-14T12:40:00+01:00"),
                     nf_rfc3339_seconds("2026-03-14T11:40:00Z"));
    assert_int_equal(nf_rfc3339_seconds("1970-01-02T00:00:00.5Z"), 86400);
    assert_int_equal(nf_rfc3339_seconds(NULL), 0);
}

/* The name-key cache (a fingerprinter remembers token -> key) must never change a key: two
 * fingerprinters that see the same texts in opposite orders, with far more distinct tokens than
 * cache slots (so slots are reused and hashes collide), give identical signatures. */
static void test_name_cache_consistent(void **state)
{
    (void)state;
    enum { N = 3000 };
    static const char *const first[] = {"Marek", "Zoë", "Ødegård", "Łukasz", "Марек", "Şahin"};
    static const char *const cyr[] = {"Долани", "Вострел", "Корваненко"};
    char err[128];
    nf_fingerprinter_t *other = nf_fingerprinter_new(err, sizeof(err));
    assert_non_null(other);
    nf_lang_t lang = {"und", "Latn", 0};
    nf_entity_list_t none = {NULL, 0};
    nf_fingerprint_t *a = calloc(N, sizeof(*a));
    assert_non_null(a);
    char body[512];
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < N; k++) {
            int i = pass == 0 ? k : N - 1 - k;
            snprintf(body, sizeof(body),
                     "Talks: %s Dolan%dki met Vostr%del of Port Kar%dn and %s, said Rodri%dguez "
                     "in %s; Monday.",
                     first[i % 6], i, i * 7, i % 97, cyr[i % 3], i % 13,
                     i % 2 ? "Mirograd" : "Ålesund");
            nf_fingerprint_t fp;
            nf_fingerprinter_t *f = pass == 0 ? fpr : other;
            assert_int_equal(nf_fingerprint_compute(f, body, strlen(body), NULL, &lang, &none, &fp),
                             NF_OK);
            if (pass == 0) {
                assert_true(fp.n_names >= 5);
                a[i] = fp;
            } else {
                assert_int_equal(fp.n_names, a[i].n_names);
                assert_memory_equal(fp.names, a[i].names, fp.n_names * sizeof(uint32_t));
            }
        }
    free(a);
    nf_fingerprinter_destroy(other);
}

static nf_story_index_t *new_index(size_t cap)
{
    char err[128];
    nf_match_params_t p = nf_match_params_default();
    nf_story_index_t *x = nf_story_index_new(cap, &p, err, sizeof(err));
    assert_non_null(x);
    return x;
}

static void test_index_originals(void **state)
{
    (void)state;
    nf_story_index_t *x = new_index(100);
    nf_fingerprint_t a, b, c;
    fp_of(flood_en, "2026-03-14T08:00:00Z", "Latn", &a);
    fp_of(flood_en, "2026-03-14T09:00:00Z", "Latn", &b);
    char edited[2048];
    snprintf(edited, sizeof(edited), "%s\nReporting by Dana Omberg.", flood_en);
    fp_of(edited, "2026-03-14T10:00:00Z", "Latn", &c);
    nf_story_decision_t d;
    assert_int_equal(nf_story_index_add(x, "a", &a, &d), NF_OK);
    assert_int_equal(d.dedup.status, NF_DEDUP_UNIQUE);
    assert_true(d.new_story);
    char sid_a[NF_STORY_ID_LEN];
    nf_story_id_of("a", sid_a);
    assert_string_equal(d.story_id, sid_a);
    assert_int_equal(nf_story_index_add(x, "b", &b, &d), NF_OK);
    assert_int_equal(d.dedup.status, NF_DEDUP_EXACT);
    assert_string_equal(d.dedup.duplicate_of, "a");
    assert_string_equal(d.story_id, sid_a);
    assert_int_equal(nf_story_index_add(x, "c", &c, &d), NF_OK);
    assert_int_equal(d.dedup.status, NF_DEDUP_NEAR);
    assert_string_equal(d.dedup.duplicate_of, "a"); /* the earliest, not the closest */
    assert_true(d.dedup.similarity < 1.0);
    /* the same id again: not its own duplicate, not stored twice */
    assert_int_equal(nf_story_index_add(x, "a", &a, &d), NF_OK);
    assert_int_equal(d.dedup.status, NF_DEDUP_UNIQUE);
    assert_int_equal(nf_story_index_size(x), 3);
    /* an earlier copy arriving late is not a duplicate of later ones */
    nf_fingerprint_t early = a;
    early.t -= 3600;
    assert_int_equal(nf_story_index_add(x, "z", &early, &d), NF_OK);
    assert_int_equal(d.dedup.status, NF_DEDUP_UNIQUE);
    /* ... but its story is now named after it */
    char sid_z[NF_STORY_ID_LEN];
    nf_story_id_of("z", sid_z);
    assert_string_equal(d.story_id, sid_z);
    nf_story_index_destroy(x);
}

static void test_index_merges_and_window(void **state)
{
    (void)state;
    nf_story_index_t *x = new_index(100);
    nf_match_params_t p = nf_match_params_default();
    /* A and C do not match each other; B matches both: one story after B */
    nf_fingerprint_t a, b, c, late;
    memset(&a, 0, sizeof(a));
    a.t = 1000000;
    for (int i = 0; i < NF_NEAR_BANDS; i++)
        a.bands[i] = (uint32_t)(100 + i);
    b = c = a;
    for (int i = 0; i < NF_NEAR_BANDS; i++) {
        b.bands[i] += 1000;
        c.bands[i] += 2000;
    }
    memset(a.minhash, 1, NF_MINHASH_K);
    memset(b.minhash, 2, NF_MINHASH_K);
    memset(c.minhash, 3, NF_MINHASH_K);
    a.exact[0] = 1, b.exact[0] = 2, c.exact[0] = 3;
    a.n_names = 3, a.names[0] = 4, a.names[1] = 8, a.names[2] = 12;
    b.n_names = 6, b.names[0] = 4, b.names[1] = 8, b.names[2] = 12, b.names[3] = 16;
    b.names[4] = 20, b.names[5] = 24;
    c.n_names = 3, c.names[0] = 16, c.names[1] = 20, c.names[2] = 24;
    for (int i = 0; i < 6; i++)
        b.names[i] |= NF_NAME_POSTED;
    a.names[0] |= NF_NAME_POSTED, c.names[0] |= NF_NAME_POSTED;
    a.n_facts = b.n_facts = c.n_facts = 1;
    a.facts[0] = b.facts[0] = c.facts[0] = 9;
    c.t = a.t + 10;
    b.t = a.t + 20;
    nf_story_decision_t da, db, dc;
    assert_int_equal(nf_story_index_add(x, "a", &a, &da), NF_OK);
    assert_int_equal(nf_story_index_add(x, "c", &c, &dc), NF_OK);
    assert_string_not_equal(da.story_id, dc.story_id);
    assert_true(dc.new_story);
    assert_int_equal(nf_story_index_add(x, "b", &b, &db), NF_OK);
    assert_false(db.new_story);
    assert_string_equal(db.story_id, da.story_id); /* named after a, the earliest */
    char now[NF_STORY_ID_LEN];
    assert_true(nf_story_index_current(x, dc.handle, now));
    assert_string_equal(now, da.story_id); /* c was merged */
    /* the window: same signature one second too late is another story */
    late = a;
    late.exact[0] = 4;
    memset(late.minhash, 4, NF_MINHASH_K);
    late.t = b.t + p.window_s + 1; /* a is even further */
    nf_story_decision_t dl;
    assert_int_equal(nf_story_index_add(x, "late", &late, &dl), NF_OK);
    assert_true(dl.new_story);
    nf_story_index_destroy(x);
}

/* Heavy churn through a small, crowded key table (postings keep only their distance from home
 * and are shifted back on deletion): every pair of copies must still find each other, and an
 * evicted article must not be found. */
/* A name filed under MAX_PER_KEY (64) articles long ago does not hide the articles that carry
 * it today: a full key gives the posting of its oldest article outside the window to the new
 * one. */
static void test_index_full_key_recent(void **state)
{
    (void)state;
    nf_story_index_t *x = new_index(1000);
    nf_fingerprint_t fp;
    nf_story_decision_t d, first;
    char id[32];
    for (int i = 0; i < 80 + 2; i++) {
        memset(&fp, 0, sizeof(fp));
        int today = i >= 80;
        /* 80 articles over the first days, then two of one event 30 days later */
        fp.t = today ? 1000000 + 30 * 86400 + i : 1000000 + i * 600;
        for (int b = 0; b < NF_NEAR_BANDS; b++)
            fp.bands[b] = (uint32_t)(1000 * i + b + 1); /* no shared band */
        fp.exact[0] = (uint8_t)i, fp.exact[1] = 1;
        memset(fp.minhash, i, NF_MINHASH_K);
        fp.n_names = 3; /* the same three posted names in all of them */
        fp.names[0] = 40 | NF_NAME_POSTED, fp.names[1] = 44 | NF_NAME_POSTED;
        fp.names[2] = 48 | NF_NAME_POSTED;
        fp.n_facts = 1;
        fp.facts[0] = today ? 0x700 : (uint32_t)(0x1000 + 2 * i); /* one fact each, but today */
        snprintf(id, sizeof(id), "a%02d", i);
        assert_int_equal(nf_story_index_add(x, id, &fp, i == 80 ? &first : &d), NF_OK);
    }
    assert_true(first.new_story);
    assert_false(d.new_story); /* found the other article of today through the full keys */
    assert_string_equal(d.story_id, first.story_id);
    nf_story_index_destroy(x);
}

static void test_index_churn(void **state)
{
    (void)state;
    nf_story_index_t *x = new_index(64);
    for (uint32_t i = 0; i < 20000; i++) {
        uint32_t pair = i / 2;
        nf_fingerprint_t f;
        memset(&f, 0, sizeof(f));
        f.t = 1700000000 + (int64_t)i;
        f.lang_key = 1;
        for (int k = 0; k < 8; k++)
            f.exact[k] = (uint8_t)((pair * 2654435761u) >> (k * 4));
        memcpy(f.exact + 8, &pair, sizeof(pair));
        for (int k = 0; k < NF_MINHASH_K; k++)
            f.minhash[k] = (uint8_t)(pair * 31 + (uint32_t)k);
        for (int b = 0; b < NF_NEAR_BANDS; b++)
            f.bands[b] = pair * 8 + (uint32_t)b; /* neighbouring keys: crowded runs */
        f.n_names = 2;
        f.names[0] = (7u << 2) | NF_NAME_POSTED; /* one key in every article (full at 64) */
        f.names[1] = ((pair + 100) << 2) | NF_NAME_POSTED;
        char id[16];
        snprintf(id, sizeof(id), "c%u", i);
        nf_story_decision_t d;
        assert_int_equal(nf_story_index_add(x, id, &f, &d), NF_OK);
        if (i % 2) {
            char want[16];
            snprintf(want, sizeof(want), "c%u", i - 1);
            assert_int_equal(d.dedup.status, NF_DEDUP_EXACT);
            assert_string_equal(d.dedup.duplicate_of, want);
        } else {
            assert_int_equal(d.dedup.status, NF_DEDUP_UNIQUE);
            assert_true(d.new_story);
        }
    }
    assert_int_equal(nf_story_index_size(x), 64);
    nf_story_index_destroy(x);
}

static void test_index_capacity(void **state)
{
    (void)state;
    nf_story_index_t *x = new_index(3);
    nf_fingerprint_t f[5];
    nf_story_decision_t d[5];
    char id[16];
    for (int i = 0; i < 5; i++) {
        fp_of(flood_en, "2026-03-14T08:00:00Z", "Latn", &f[i]);
        f[i].t += i;
        snprintf(id, sizeof(id), "n%d", i);
        assert_int_equal(nf_story_index_add(x, id, &f[i], &d[i]), NF_OK);
    }
    assert_int_equal(nf_story_index_size(x), 3);
    assert_int_equal(nf_story_index_evictions(x), 2);
    /* n0 was evicted when n3 came; n3's original is the earliest still held */
    assert_string_equal(d[3].dedup.duplicate_of, "n1");
    char now[NF_STORY_ID_LEN];
    assert_false(nf_story_index_current(x, d[0].handle, now));
    assert_true(nf_story_index_current(x, d[4].handle, now));
    nf_story_index_destroy(x);
    /* capacity 0 remembers nothing */
    x = new_index(0);
    assert_int_equal(nf_story_index_add(x, "a", &f[0], &d[0]), NF_OK);
    assert_int_equal(nf_story_index_add(x, "b", &f[0], &d[1]), NF_OK);
    assert_int_equal(d[1].dedup.status, NF_DEDUP_UNIQUE);
    nf_story_index_destroy(x);
}

/* ---- nf_story_resolve: the same final state whatever the order and the batch split ---- */

typedef struct sim_article {
    char id[16];
    nf_fingerprint_t fp;
    /* stored state */
    int stored;
    nf_dedup_status_t status;
    char dup_of[NF_ID_MAX + 1];
    int64_t dup_t;
    char story[NF_STORY_ID_LEN];
    int64_t first_t;
    char first_id[NF_ID_MAX + 1];
} sim_article_t;

#define SIM_N 18

static void sim_corpus(sim_article_t *a)
{
    static const char *bodies[] = {
        /* event 1 in three languages, a copy, a light edit */
        "Foreign minister Marek Dolani met Irina Vostrel in Kessel on 12 May and signed a deal "
        "worth 340 million dinars on water sharing.",
        "La ministre Marek Dolani a rencontré Irina Vostrel à Kessel le 12 mai et signé un accord "
        "de 340 millions de dinars.",
        "Министр Марек Долани встретился с Ирина Вострел в Кессел 12 мая; подписано соглашение на "
        "340 миллионов динаров.",
        "Foreign minister Marek Dolani met Irina Vostrel in Kessel on 12 May and signed a deal "
        "worth 340 million dinars on water sharing.",
        "Foreign minister Marek Dolani met Irina Vostrel in Kessel on 12 May and signed a deal "
        "worth 340 million dinars on water sharing. Reporting by Lena Kovrin.",
        /* event 2: a flood */
        "The Dorna river flooded Travik on 3 June and mayor Boris Selnik said 12,480 residents "
        "were evacuated by Oskar Marovin's teams.",
        "Le fleuve Dorna a inondé Travik le 3 juin et le maire Boris Selnik a évacué 12 480 "
        "habitants avec Oskar Marovin.",
        "The Dorna river flooded Travik on 3 June and mayor Boris Selnik said 12,480 residents "
        "were evacuated by Oskar Marovin's teams.",
        /* event 3: same people as event 1, another event a day later */
        "Marek Dolani and Irina Vostrel opened a bridge in Lirdal on 13 May; it cost 58 million "
        "dinars.",
        "Marek Dolani und Irina Vostrel eröffneten am 13. Mai in Lirdal eine Brücke für 58 "
        "Millionen Dinar.",
        /* a bridge article between event 2's versions (links both) */
        "Mayor Boris Selnik and Oskar Marovin in Travik: 12,480 residents evacuated on 3 June "
        "after the Dorna flood.",
        /* unrelated */
        "Selma Toravek won the chess final in Fenmark on 20 July with 14 points.",
        "Selma Toravek a gagné la finale d'échecs à Fenmark le 20 juillet avec 14 points.",
        "Selma Toravek won the chess final in Fenmark on 20 July with 14 points.",
        "Nadia Bramlin sold 4,200 tonnes of grain to Kalmor on 2 August, Radek Lundor said.",
        "Nadia Bramlin a vendu 4 200 tonnes de blé à Kalmor le 2 août, selon Radek Lundor.",
        "Nadia Bramlin sold 4,200 tonnes of grain to Kalmor on 2 August, Radek Lundor said.",
        "Nadia Bramlin sold 4,200 tonnes of grain to Kalmor on 2 August, Radek Lundor said.",
    };
    static const int hours[SIM_N] = {0, 1, 2, 3, 4, 0, 1, 1, 20, 21, 2, 0, 1, 2, 0, 1, 1, 3};
    static const int day[SIM_N] = {0, 0, 0, 0, 0, 20, 20, 20, 0, 0, 20, 40, 40, 40, 60, 60, 60, 60};
    for (int i = 0; i < SIM_N; i++) {
        memset(&a[i], 0, sizeof(a[i]));
        snprintf(a[i].id, sizeof(a[i].id), "a%02d", i);
        fp_of(bodies[i], NULL, i == 2 ? "Cyrl" : "Latn", &a[i].fp);
        a[i].fp.t = 1780000000 + day[i] * 86400 + hours[i] * 3600;
    }
}

/* Feeds the articles in `order`, `batch` at a time, through nf_story_resolve with every stored
 * article as a candidate (what PostgreSQL returns is a subset that holds every link), or with
 * `relevant_only` only those nf_story_relevant keeps (as store.c decides). Returns how many
 * stored articles were left out. */
static int sim_run(sim_article_t *a, const int *order, int batch, int relevant_only)
{
    nf_match_params_t p = nf_match_params_default();
    nf_story_node_t nodes[SIM_N];
    int left_out = 0;
    for (int start = 0; start < SIM_N; start += batch) {
        int nn = 0, idx[SIM_N];
        unsigned char keep[SIM_N];
        memset(keep, 1, sizeof(keep));
        if (relevant_only) {
            const nf_fingerprint_t *cand[SIM_N], *fresh[SIM_N];
            int n_fresh = 0;
            for (int k = start; k < start + batch && k < SIM_N; k++)
                fresh[n_fresh++] = &a[order[k]].fp;
            for (int i = 0; i < SIM_N; i++)
                cand[i] = a[i].stored ? &a[i].fp : NULL;
            assert_int_equal(nf_story_relevant(cand, SIM_N, fresh, (size_t)n_fresh, &p, keep),
                             NF_OK);
            for (int i = 0; i < SIM_N; i++)
                left_out += a[i].stored && !keep[i];
        }
        for (int i = 0; i < SIM_N; i++)
            if (a[i].stored && keep[i]) {
                nf_story_node_t *x = &nodes[nn];
                memset(x, 0, sizeof(*x));
                x->id = a[i].id;
                x->fp = a[i].fp;
                x->stored = 1;
                x->status = a[i].status;
                x->dup_of = a[i].dup_of;
                x->dup_t = a[i].dup_t;
                memcpy(x->story, a[i].story, NF_STORY_ID_LEN);
                x->story_first_t = a[i].first_t;
                x->story_first_id = a[i].first_id;
                idx[nn++] = i;
            }
        for (int k = start; k < start + batch && k < SIM_N; k++) {
            nf_story_node_t *x = &nodes[nn];
            memset(x, 0, sizeof(*x));
            x->id = a[order[k]].id;
            x->fp = a[order[k]].fp;
            idx[nn++] = order[k];
        }
        assert_int_equal(nf_story_resolve(nodes, (size_t)nn, &p), NF_OK);
        /* apply: PostgreSQL keeps the earliest original and relabels merged stories (every
         * member of a story a node left, as merge_stories_sql does) */
        static char first_ids[SIM_N][NF_ID_MAX + 1];
        char old_story[SIM_N][NF_STORY_ID_LEN];
        for (int k = 0; k < nn; k++) {
            snprintf(first_ids[k], sizeof(first_ids[k]), "%s", nodes[k].winner_first_id);
            memcpy(old_story[k], a[idx[k]].story, NF_STORY_ID_LEN);
        }
        for (int k = 0; k < nn; k++) {
            sim_article_t *t = &a[idx[k]];
            const nf_story_node_t *x = &nodes[k];
            t->stored = 1;
            t->status = x->status;
            if (x->dup_of != t->dup_of) /* a stored node borrows its own article's */
                snprintf(t->dup_of, sizeof(t->dup_of), "%s", x->dup_of);
            t->dup_t = x->dup_t;
            memcpy(t->story, x->story, NF_STORY_ID_LEN);
            t->first_t = x->story_first_t;
            snprintf(t->first_id, sizeof(t->first_id), "%.*s", NF_ID_MAX, first_ids[k]);
        }
        for (int k = 0; k < nn; k++) {
            if (!nodes[k].story_changed)
                continue;
            for (int i = 0; i < SIM_N; i++)
                if (a[i].stored && strcmp(a[i].story, old_story[k]) == 0) {
                    memcpy(a[i].story, nodes[k].story, NF_STORY_ID_LEN);
                    a[i].first_t = nodes[k].story_first_t;
                    snprintf(a[i].first_id, sizeof(a[i].first_id), "%.*s", NF_ID_MAX, first_ids[k]);
                }
        }
    }
    return left_out;
}

static void test_resolve_order_independent(void **state)
{
    (void)state;
    static sim_article_t ref[SIM_N], other[SIM_N];
    int fwd[SIM_N], rev[SIM_N], mix[SIM_N];
    for (int i = 0; i < SIM_N; i++) {
        fwd[i] = i;
        rev[i] = SIM_N - 1 - i;
        mix[i] = (i * 7) % SIM_N; /* 7 is prime to 18 */
    }
    sim_corpus(ref);
    sim_run(ref, fwd, SIM_N, 0); /* one batch */
    /* what the rules say */
    assert_int_equal(ref[3].status, NF_DEDUP_EXACT);
    assert_string_equal(ref[3].dup_of, "a00");
    assert_int_equal(ref[4].status, NF_DEDUP_NEAR);
    assert_string_equal(ref[4].dup_of, "a00");
    assert_int_equal(ref[0].status, NF_DEDUP_UNIQUE);
    assert_string_equal(ref[1].story, ref[0].story);
    assert_string_equal(ref[2].story, ref[0].story);     /* Cyrillic */
    assert_string_not_equal(ref[8].story, ref[0].story); /* same people, other event */
    assert_string_equal(ref[9].story, ref[8].story);
    assert_string_equal(ref[6].story, ref[5].story);
    assert_string_not_equal(ref[11].story, ref[5].story);
    assert_string_equal(ref[17].dup_of, "a14");
    const int *orders[] = {fwd, rev, mix, rev, mix, fwd};
    const int batches[] = {1, 1, 1, 4, 5, 7};
    int left_out = 0;
    for (int o = 0; o < 12; o++) { /* all candidates, then only the relevant ones */
        sim_corpus(other);
        left_out += sim_run(other, orders[o % 6], batches[o % 6], o >= 6);
        for (int i = 0; i < SIM_N; i++) {
            print_message("order %d article %d\n", o, i);
            assert_int_equal(other[i].status, ref[i].status);
            assert_string_equal(other[i].dup_of, ref[i].dup_of);
            assert_string_equal(other[i].story, ref[i].story);
        }
    }
    assert_true(left_out > 0); /* the filter did leave candidates out */
}

static void test_wire_roundtrip(void **state)
{
    (void)state;
    nf_fingerprint_t a, b;
    nf_match_params_t p0 = nf_match_params_default();
    double sim0;
    fp_of(flood_en, "2026-03-14T08:00:00Z", "Latn", &a);
    uint8_t wire[NF_FINGERPRINT_WIRE_MAX];
    size_t n = nf_fingerprint_encode(&a, wire);
    assert_true(n <= sizeof(wire));
    assert_int_equal(nf_fingerprint_decode(wire, n, &b), 0);
    assert_memory_equal(&a, &b, sizeof(a));
    assert_int_equal(nf_fingerprint_decode(wire, n - 1, &b), -1); /* truncated */
    wire[0] = 4;
    assert_int_equal(nf_fingerprint_decode(wire, n, &b), -1); /* another layout */
    /* a v2 row (an older worker's: its facts do not tell dates from counts) reads its facts as
     * counts, so a date shared with it counts as it did for that worker */
    nf_fingerprint_t fa, fa2, other;
    fp_of(flood_a, "2026-10-09T08:00:00Z", "Latn", &fa);
    fp_of(flood_b, "2026-10-09T10:00:00Z", "Latn", &other); /* the same date, another count */
    assert_false(nf_facts_agree(&fa, &other));              /* both v3: the date alone is weak */
    uint8_t wire2[NF_FINGERPRINT_WIRE_MAX];
    size_t n2 = nf_fingerprint_encode(&fa, wire2);
    assert_int_equal(wire2[0], 3);
    wire2[0] = 2;
    assert_int_equal(nf_fingerprint_decode(wire2, n2, &fa2), 0);
    assert_int_equal(fa2.n_facts, fa.n_facts);
    for (int i = 0; i < fa.n_facts; i++)
        assert_int_equal(fa2.facts[i], NF_FACT_ID(fa.facts[i]));
    assert_int_equal(nf_fingerprint_link(&fa, &fa2, &p0, &sim0), NF_LINK_EXACT);
    assert_true(nf_facts_agree(&fa2, &other)); /* against v2: as before */
    assert_true(nf_facts_agree(&other, &fa2));
    /* an older worker's row (v1: another MinHash function) still links as an exact copy and a
     * story, never as a near copy */
    wire[0] = 1;
    assert_int_equal(nf_fingerprint_decode(wire, n, &b), 0);
    nf_match_params_t p = nf_match_params_default();
    double sim;
    assert_int_equal(nf_fingerprint_link(&a, &b, &p, &sim), NF_LINK_EXACT);
    assert_false(nf_near_match(&a, &b, &p, &sim));
    assert_true(nf_story_match(&a, &b, &p));
    assert_memory_equal(a.names, b.names, sizeof(a.names));
    wire[0] = 3;
    /* negative times survive */
    a.t = -86400;
    n = nf_fingerprint_encode(&a, wire);
    assert_int_equal(nf_fingerprint_decode(wire, n, &b), 0);
    assert_int_equal(b.t, -86400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_key_folds),
        cmocka_unit_test(test_near_similarity),
        cmocka_unit_test(test_threshold_edges),
        cmocka_unit_test(test_near_date_alone_is_weak),
        cmocka_unit_test(test_near_same_day_template),
        cmocka_unit_test(test_signature_across_scripts),
        cmocka_unit_test(test_german_nouns_weak),
        cmocka_unit_test(test_given_names_not_keys),
        cmocka_unit_test(test_name_cache_consistent),
        cmocka_unit_test(test_index_originals),
        cmocka_unit_test(test_index_merges_and_window),
        cmocka_unit_test(test_index_capacity),
        cmocka_unit_test(test_index_churn),
        cmocka_unit_test(test_index_full_key_recent),
        cmocka_unit_test(test_resolve_order_independent),
        cmocka_unit_test(test_wire_roundtrip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
