/* The entity stage: ids across scripts, offsets, longest match, ambiguity rules, discovery,
 * surname linking, the user gazetteer, stable ids. */
#include "nf_test.h"

#include "newsflow/entities.h"
#include "newsflow/gazetteer.h"

#include <jansson.h>
#include <stdlib.h>

static nf_entities_t *tagger;

static int setup(void **state)
{
    (void)state;
    char err[256];
    tagger = nf_entities_new(err, sizeof(err));
    if (!tagger)
        fprintf(stderr, "%s\n", err);
    return tagger ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    nf_entities_destroy(tagger);
    return 0;
}

static nf_entity_list_t tag_lang(const char *title, const char *body, const char *code,
                                 const char *script)
{
    nf_lang_t lang;
    snprintf(lang.code, sizeof(lang.code), "%s", code);
    snprintf(lang.script, sizeof(lang.script), "%s", script);
    lang.confidence = 0;
    nf_entity_list_t out;
    assert_int_equal(
        nf_entities_tag(tagger, title, title ? strlen(title) : 0, body, strlen(body), &lang, &out),
        NF_OK);
    return out;
}

static nf_entity_list_t tag(const char *body, const char *script)
{
    return tag_lang(NULL, body, "und", script);
}

static const nf_entity_t *find(const nf_entity_list_t *l, const char *id)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i].id, id) == 0)
            return &l->items[i];
    return NULL;
}

static const nf_entity_t *find_text(const nf_entity_list_t *l, const char *text)
{
    for (size_t i = 0; i < l->count; i++)
        for (size_t m = 0; m < l->items[i].n_mentions; m++)
            if (strcmp(l->items[i].mentions[m].text, text) == 0)
                return &l->items[i];
    return NULL;
}

static void expect_entity(const nf_entity_list_t *l, const char *text, nf_entity_type_t type,
                          const char *id)
{
    const nf_entity_t *e = find_text(l, text);
    if (!e)
        fail_msg("no mention '%s'", text);
    if (e->type != type || (id && strcmp(e->id, id) != 0))
        fail_msg("'%s' is %s %s, want %s %s", text, nf_entity_type_name(e->type), e->id,
                 nf_entity_type_name(type), id ? id : "(any id)");
}

static void test_cross_script_ids(void **state)
{
    (void)state;
    nf_entity_list_t en =
        tag("Ukrainian President Volodymyr Zelenskyy met officials in Kyiv.", "Latn");
    nf_entity_list_t de =
        tag("Der ukrainische Präsident Wolodymyr Selenskyj traf in Kiew ein.", "Latn");
    nf_entity_list_t ru = tag("Президент Украины Владимир Зеленский прибыл в Киев.", "Cyrl");
    nf_entity_list_t ar = tag("وصل الرئيس الأوكراني فولوديمير زيلينسكي إلى كييف.", "Arab");
    const nf_entity_t *p = find_text(&en, "Volodymyr Zelenskyy");
    assert_non_null(p);
    assert_int_equal(p->type, NF_ENTITY_PERSON);
    expect_entity(&de, "Wolodymyr Selenskyj", NF_ENTITY_PERSON, p->id);
    expect_entity(&ru, "Владимир Зеленский", NF_ENTITY_PERSON, p->id);
    expect_entity(&ar, "فولوديمير زيلينسكي", NF_ENTITY_PERSON, p->id);
    expect_entity(&en, "Kyiv", NF_ENTITY_LOC, "loc:ua:kyiv");
    expect_entity(&de, "Kiew", NF_ENTITY_LOC, "loc:ua:kyiv");
    expect_entity(&ru, "Киев", NF_ENTITY_LOC, "loc:ua:kyiv");
    expect_entity(&ar, "كييف", NF_ENTITY_LOC, "loc:ua:kyiv");
    expect_entity(&ru, "Украины", NF_ENTITY_LOC, "loc:ua"); /* a declined country name */
    nf_entity_list_clear(&en);
    nf_entity_list_clear(&de);
    nf_entity_list_clear(&ru);
    nf_entity_list_clear(&ar);
}

static void test_offsets_with_marks_and_astral(void **state)
{
    (void)state;
    /* 😀 (astral, 1 code point) and a combining acute (1 code point) before the names. */
    const char *body = "\xf0\x9f\x98\x80 Ne\xcc\x81ws: Mayor Anna Petrova visited Paris.";
    nf_entity_list_t l = tag_lang("Paris \xf0\x9f\x98\x80 Petrova", body, "en", "Latn");
    const nf_entity_t *paris = find(&l, "loc:fr:paris");
    assert_non_null(paris);
    assert_int_equal(paris->n_mentions, 2);
    assert_string_equal(paris->mentions[0].field, "title");
    assert_int_equal(paris->mentions[0].start, 0);
    assert_int_equal(paris->mentions[0].end, 5);
    assert_string_equal(paris->mentions[1].field, "body");
    assert_int_equal(paris->mentions[1].start, 36);
    assert_int_equal(paris->mentions[1].end, 41);
    assert_string_equal(paris->mentions[1].text, "Paris");
    const nf_entity_t *anna = find_text(&l, "Anna Petrova");
    assert_non_null(anna);
    assert_string_equal(anna->name, "Anna Petrova");
    /* title mention by surname (hash link), then the body mention */
    assert_int_equal(anna->n_mentions, 2);
    assert_int_equal(anna->mentions[0].start, 8);
    assert_int_equal(anna->mentions[0].end, 15);
    assert_int_equal(anna->mentions[1].start, 15);
    assert_int_equal(anna->mentions[1].end, 27);
    nf_entity_list_clear(&l);
}

static void test_longest_and_nested(void **state)
{
    (void)state;
    nf_entity_list_t l = tag("Reporters from the New York Times met the UN Security Council "
                             "in New York.",
                             "Latn");
    expect_entity(&l, "New York Times", NF_ENTITY_ORG, NULL); /* not New York + Times */
    expect_entity(&l, "UN Security Council", NF_ENTITY_ORG, "org:un-security-council");
    expect_entity(&l, "New York", NF_ENTITY_LOC, "loc:us:new-york");
    assert_null(find_text(&l, "UN"));
    nf_entity_list_clear(&l);
}

static void test_ambiguity_rules(void **state)
{
    (void)state;
    nf_entity_list_t l = tag("Jordan Peterson spoke. Talks were held in Jordan, Chad and "
                             "Turkey. Un homme a vu la turkey.",
                             "Latn");
    const nf_entity_t *jordan = find(&l, "loc:jo");
    assert_non_null(jordan);
    assert_int_equal(jordan->n_mentions, 1); /* "in Jordan" only */
    assert_int_equal(jordan->mentions[0].start, 42);
    expect_entity(&l, "Jordan Peterson", NF_ENTITY_PERSON, NULL);
    assert_null(find(&l, "loc:td")); /* "Chad" without a locative cue right before it */
    assert_non_null(find(&l, "loc:tr"));
    assert_int_equal(find(&l, "loc:tr")->n_mentions, 1); /* lower-case "turkey" is no place */
    assert_null(find(&l, "org:un"));                     /* "Un" is not the UN */
    nf_entity_list_clear(&l);
}

static void test_discovery_patterns(void **state)
{
    (void)state;
    nf_entity_list_t l =
        tag("The Ministry of Water Affairs said on Monday that the Orvane Port Authority and "
            "the KVR would reopen the canal near Velmora. Spokeswoman Ilse Marmaduke said the "
            "Velmora Harbour Council agreed. Marmaduke added nothing.",
            "Latn");
    expect_entity(&l, "Ministry of Water Affairs", NF_ENTITY_ORG, NULL);
    expect_entity(&l, "Orvane Port Authority", NF_ENTITY_ORG, NULL);
    expect_entity(&l, "KVR", NF_ENTITY_ORG, NULL);
    expect_entity(&l, "Velmora", NF_ENTITY_LOC, NULL);
    expect_entity(&l, "Ilse Marmaduke", NF_ENTITY_PERSON, NULL);
    expect_entity(&l, "Velmora Harbour Council", NF_ENTITY_ORG, NULL);
    const nf_entity_t *p = find_text(&l, "Ilse Marmaduke");
    assert_int_equal(p->n_mentions, 2); /* the surname alone links to the full name */
    assert_string_equal(p->mentions[1].text, "Marmaduke");
    assert_null(find_text(&l, "Monday"));
    assert_null(find_text(&l, "The Ministry of Water Affairs"));
    nf_entity_list_clear(&l);

    nf_entity_list_t ar = tag("قال وزير الخارجية كريم العطار إن وزارة الطاقة ستعمل مع الأمم "
                              "المتحدة. وأكد العطار ذلك.",
                              "Arab");
    const nf_entity_t *attar = find_text(&ar, "كريم العطار");
    assert_non_null(attar);
    assert_int_equal(attar->type, NF_ENTITY_PERSON);
    assert_int_equal(attar->n_mentions, 2);
    expect_entity(&ar, "وزارة الطاقة", NF_ENTITY_ORG, NULL);
    expect_entity(&ar, "الأمم المتحدة", NF_ENTITY_ORG, "org:un");
    nf_entity_list_clear(&ar);
}

/* Session-3 rules: company cues, Arabic/Persian names without a title, organisations that
 * recur, Russian adjective + head names, German compounds, demonyms from demonyms.tsv. */
static void test_names_without_titles(void **state)
{
    (void)state;
    /* Arabic: a name after a reporting verb, a given name, a company cue (the cue is not
     * part of the name) */
    nf_entity_list_t ar = tag_lang("تورد فالمير تك أجهزة", /* headline: nothing marks it */
                                   "وقّعت شركة فالمير تك عقدا جديدا. وقال نبيل الحداري، المتحدث "
                                   "باسم الشركة، إن العمل يبدأ قريبا. وأضافت رانيا سلوم أن فالمير "
                                   "تك ستوظف مئة عامل.",
                                   "und", "Arab");
    const nf_entity_t *co = find_text(&ar, "فالمير تك");
    assert_non_null(co);
    assert_int_equal(co->type, NF_ENTITY_ORG);
    assert_int_equal(co->n_mentions, 3); /* body twice, and the headline */
    assert_null(find_text(&ar, "شركة فالمير"));
    expect_entity(&ar, "نبيل الحداري", NF_ENTITY_PERSON, NULL);
    expect_entity(&ar, "رانيا سلوم", NF_ENTITY_PERSON, NULL);
    nf_entity_list_clear(&ar);

    /* Persian: a name before its role, an ezafe-chain organisation */
    nf_entity_list_t fa = tag("کار ادامه دارد. بهرام کیانفر، سخنگوی سازمان آب استان گفت کار "
                              "ادامه دارد.",
                              "Arab");
    expect_entity(&fa, "بهرام کیانفر", NF_ENTITY_PERSON, NULL);
    expect_entity(&fa, "سازمان آب استان", NF_ENTITY_ORG, NULL);
    nf_entity_list_clear(&fa);

    /* Latin: company cue; the organisation recurs in a run that alone reads as a person */
    nf_entity_list_t en = tag_lang("Quillmark Freightways wins port deal",
                                   "The operator Quillmark Freightways signed on Monday. "
                                   "Regulators said Quillmark Freightways had waited a year. "
                                   "The Office of Harbour Safety fined it in May.",
                                   "und", "Latn");
    const nf_entity_t *qf = find_text(&en, "Quillmark Freightways");
    assert_non_null(qf);
    assert_int_equal(qf->type, NF_ENTITY_ORG);
    assert_int_equal(qf->n_mentions, 3);
    /* an organisation's name ends before a lower-case verb */
    expect_entity(&en, "Office of Harbour Safety", NF_ENTITY_ORG, NULL);
    nf_entity_list_clear(&en);

    /* Russian adjective + head; German compounds */
    nf_entity_list_t ru = tag("Вчера Северный торговый банк и Федеральная таможенная служба "
                              "подписали соглашение.",
                              "Cyrl");
    expect_entity(&ru, "Северный торговый банк", NF_ENTITY_ORG, NULL);
    expect_entity(&ru, "Федеральная таможенная служба", NF_ENTITY_ORG, NULL);
    nf_entity_list_clear(&ru);
    nf_entity_list_t de = tag_lang(NULL,
                                   "Das Bundesverkehrsministerium und die Deutsche "
                                   "Wetteragentur prüfen den Plan, sagte die Sprecherin.",
                                   "de", "Latn");
    expect_entity(&de, "Bundesverkehrsministerium", NF_ENTITY_ORG, NULL);
    expect_entity(&de, "Deutsche Wetteragentur", NF_ENTITY_ORG, NULL);
    nf_entity_list_clear(&de);

    /* a demonym of demonyms.tsv (in no hand-written list) never starts a person's name */
    nf_entity_list_t dem = tag("Talks ended early. Angolan Oskar Vendt said nothing more.", "Latn");
    expect_entity(&dem, "Oskar Vendt", NF_ENTITY_PERSON, NULL);
    assert_null(find_text(&dem, "Angolan Oskar Vendt"));
    nf_entity_list_clear(&dem);
}

static void test_user_gazetteer_links(void **state)
{
    (void)state;
    char path[] = "/tmp/nf_ent_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *tsv = "person:q42\tPERSON\t-\ten=Ilse Marmaduke\n"
                      "org:varna-rail\tORG\t-\ten=Varna Rail\tru=Варненская железная дорога\n";
    assert_int_equal(write(fd, tsv, strlen(tsv)), (ssize_t)strlen(tsv));
    close(fd);
    char err[256];
    assert_int_equal(nf_gazetteer_user_load(path, err, sizeof(err)), NF_OK);
    nf_entity_list_t l = tag("Minister Ilse Marmaduke praised Varna Rail.", "Latn");
    expect_entity(&l, "Ilse Marmaduke", NF_ENTITY_PERSON, "person:q42");
    expect_entity(&l, "Varna Rail", NF_ENTITY_ORG, "org:varna-rail");
    nf_entity_list_clear(&l);
    /* A discovered name with the same key links to the user entry, in another script. */
    l = tag("Министр Ильзе Мармадуке похвалила Варненская железная дорога.", "Cyrl");
    expect_entity(&l, "Ильзе Мармадуке", NF_ENTITY_PERSON, "person:q42");
    expect_entity(&l, "Варненская железная дорога", NF_ENTITY_ORG, "org:varna-rail");
    nf_entity_list_clear(&l);
    assert_int_equal(nf_gazetteer_user_load(NULL, err, sizeof(err)), NF_OK);
    unlink(path);
}

static void test_stable_ids_and_empty(void **state)
{
    (void)state;
    char err[256];
    nf_entities_t *other = nf_entities_new(err, sizeof(err));
    assert_non_null(other);
    const char *body = "Spokesman Tarek Benhaddou met Mayor Ilona Vasquez in Lisbon.";
    nf_lang_t lang = {"und", "Latn", 0};
    nf_entity_list_t a, b;
    assert_int_equal(nf_entities_tag(tagger, NULL, 0, body, strlen(body), &lang, &a), NF_OK);
    assert_int_equal(nf_entities_tag(other, NULL, 0, body, strlen(body), &lang, &b), NF_OK);
    assert_int_equal(a.count, b.count);
    assert_true(a.count >= 3);
    for (size_t i = 0; i < a.count; i++)
        assert_string_equal(a.items[i].id, b.items[i].id);
    nf_entity_list_clear(&a);
    nf_entity_list_clear(&b);
    nf_entities_destroy(other);
    /* nothing to find, no language */
    assert_int_equal(nf_entities_tag(tagger, "", 0, "", 0, NULL, &a), NF_OK);
    assert_int_equal(a.count, 0);
    nf_entity_list_clear(&a);
}

/* Translated organisation names get one id through the concept key, and a name whose concept
 * key is a built-in entry's takes that entry's id (the WHO in Russian, the IAEA in French). */
static void test_translated_org_ids(void **state)
{
    (void)state;
    nf_entity_list_t es = tag("Los ministros se reunieron en el Consejo de Cooperación del Golfo "
                              "el martes.",
                              "Latn");
    nf_entity_list_t ar = tag("اجتمع الوزراء في مجلس التعاون الخليجي يوم الثلاثاء.", "Arab");
    nf_entity_list_t ru = tag("Всемирная организация здравоохранения одобрила вакцину, сообщило "
                              "Министерство здравоохранения.",
                              "Cyrl");
    nf_entity_list_t fr = tag("Des inspecteurs de l'Agence internationale de l'énergie atomique "
                              "sont attendus à Ispahan.",
                              "Latn");
    expect_entity(&es, "Consejo de Cooperación del Golfo", NF_ENTITY_ORG,
                  "org:cooperation-council-gulf");
    expect_entity(&ar, "مجلس التعاون الخليجي", NF_ENTITY_ORG, "org:cooperation-council-gulf");
    expect_entity(&ru, "Всемирная организация здравоохранения", NF_ENTITY_ORG, "org:who");
    expect_entity(&ru, "Министерство здравоохранения", NF_ENTITY_ORG, "org:health-ministry");
    expect_entity(&fr, "Agence internationale de l'énergie atomique", NF_ENTITY_ORG, "org:iaea");
    nf_entity_list_clear(&es);
    nf_entity_list_clear(&ar);
    nf_entity_list_clear(&ru);
    nf_entity_list_clear(&fr);
}

/* A generic body (concepts only) takes the country named next to it, in the whole article; two
 * countries for one body leave its bare mentions generic. */
static void test_generic_org_country(void **state)
{
    (void)state;
    nf_entity_list_t en = tag("Kenya's Ministry of Health signed the contract. Later the Ministry "
                              "of Health said it was pleased.",
                              "Latn");
    nf_entity_list_t fr =
        tag("Le ministère de la Santé sénégalais a signé jeudi un contrat.", "Latn");
    nf_entity_list_t bare = tag("The Ministry of Health signed a contract on Monday.", "Latn");
    nf_entity_list_t two = tag("Kenya's Ministry of Health met the donors. Uganda's Ministry of "
                               "Health was absent. Later the Ministry of Health said nothing.",
                               "Latn");
    const nf_entity_t *ke = find(&en, "org:health-ke-ministry");
    assert_non_null(ke);
    assert_int_equal(ke->n_mentions, 2);
    expect_entity(&fr, "ministère de la Santé", NF_ENTITY_ORG, "org:health-ministry-sn");
    expect_entity(&bare, "Ministry of Health", NF_ENTITY_ORG, "org:health-ministry");
    assert_non_null(find(&two, "org:health-ke-ministry"));
    assert_non_null(find(&two, "org:health-ministry-ug"));
    assert_non_null(find(&two, "org:health-ministry"));
    nf_entity_list_clear(&en);
    nf_entity_list_clear(&fr);
    nf_entity_list_clear(&bare);
    nf_entity_list_clear(&two);
}

/* An acronym defined in parentheses after a name whose initials it spells takes the name's id
 * in the whole article; one that does not spell them keeps its own. */
static void test_defined_acronyms(void **state)
{
    (void)state;
    nf_entity_list_t en = tag("The European Space Agency (ESA) will track the flight. Later ESA "
                              "confirmed the orbit.",
                              "Latn");
    nf_entity_list_t ru =
        tag("Федеральная антимонопольная служба (ФАС) начала свою проверку.", "Cyrl");
    nf_entity_list_t other = tag("The Orvane Water Authority (OWB) raised prices.", "Latn");
    const nf_entity_t *esa = find(&en, "org:agency-europe-space");
    assert_non_null(esa);
    assert_int_equal(esa->n_mentions, 3);
    expect_entity(&ru, "ФАС", NF_ENTITY_ORG, "org:competition-federal-service");
    const nf_entity_t *owb = find_text(&other, "OWB");
    assert_non_null(owb);
    assert_string_not_equal(owb->id, "org:arvn-authority-water");
    nf_entity_list_clear(&en);
    nf_entity_list_clear(&ru);
    nf_entity_list_clear(&other);
}

/* "X Transit", "X Freight", "X Cargo" are companies in every language (they were people keyed
 * by the suffix: person:trnst for every transit company); a Russian or Ukrainian organisation
 * head followed by a verb is a sentence ("Компания заявила"), not a name, while the head's
 * genitive still is one. */
static void test_company_suffixes_and_verbs(void **state)
{
    (void)state;
    nf_entity_list_t en =
        tag_lang(NULL, "Workers at Lofulek Transit walked out on Monday.", "en", "Latn");
    expect_entity(&en, "Lofulek Transit", NF_ENTITY_ORG, NULL);
    nf_entity_list_t fr =
        tag_lang(NULL, "Les salariés de Tubok Freight ont cessé le travail.", "fr", "Latn");
    expect_entity(&fr, "Tubok Freight", NF_ENTITY_ORG, NULL);
    nf_entity_list_t ru = tag_lang(
        NULL, "Компания заявила, что требование невыполнимо. Министерство сообщило о потерях.",
        "ru", "Cyrl");
    assert_int_equal(ru.count, 0);
    nf_entity_list_t ru2 =
        tag_lang(NULL, "Министерство обороны России сообщило о потерях.", "ru", "Cyrl");
    expect_entity(&ru2, "Министерство обороны России", NF_ENTITY_ORG, NULL);
    nf_entity_list_t uk = tag_lang(NULL, "Міністерство повідомило про це вчора.", "uk", "Cyrl");
    assert_int_equal(uk.count, 0);
    nf_entity_list_clear(&en);
    nf_entity_list_clear(&fr);
    nf_entity_list_clear(&ru);
    nf_entity_list_clear(&ru2);
    nf_entity_list_clear(&uk);
}

/* What store.c relies on to insert mentions without ON CONFLICT: in every list, an entity id
 * appears once, and an entity's mentions come in (title before body, start) order with no two at
 * one place. Checked on every fixture article (entities and samples), in its language and in
 * none. */
static const char *script_of(const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == 0xd8 || *c == 0xd9 || *c == 0xda || *c == 0xdb)
            return "Arab";
        if (*c == 0xd0 || *c == 0xd1)
            return "Cyrl";
    }
    return "Latn";
}

static void check_list_invariants(const nf_entity_list_t *l, const char *where)
{
    for (size_t i = 0; i < l->count; i++) {
        const nf_entity_t *e = &l->items[i];
        for (size_t j = i + 1; j < l->count; j++)
            if (strcmp(e->id, l->items[j].id) == 0)
                fail_msg("%s: entity %s listed twice", where, e->id);
        for (size_t m = 1; m < e->n_mentions; m++) {
            const nf_mention_t *a = &e->mentions[m - 1], *b = &e->mentions[m];
            int fa = strcmp(a->field, "title") == 0 ? 0 : 1,
                fb = strcmp(b->field, "title") == 0 ? 0 : 1;
            if (fa > fb || (fa == fb && a->start >= b->start))
                fail_msg("%s: %s mentions out of order or repeated at %s %zu", where, e->id,
                         b->field, b->start);
        }
    }
}

static void test_mention_order_invariants(void **state)
{
    (void)state;
    const char *dir = getenv("NF_SOURCE_DIR");
    if (!dir)
        dir = NF_SOURCE_DIR; /* the build's source tree, when run by hand */
    static const char *files[] = {
        "tests/fixtures/samples.jsonl",           "tests/fixtures/entities/annotated.jsonl",
        "tests/fixtures/entities/heldout.jsonl",  "tests/fixtures/entities/heldout2.jsonl",
        "tests/fixtures/entities/heldout3.jsonl", "tests/fixtures/entities/heldout4.jsonl"};
    size_t articles = 0, mentions = 0;
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, files[f]);
        FILE *in = fopen(path, "r");
        assert_non_null(in);
        char line[65536];
        while (fgets(line, sizeof(line), in)) {
            json_t *doc = json_loads(line, 0, NULL);
            const char *body = doc ? json_string_value(json_object_get(doc, "body")) : NULL;
            if (!body) {
                json_decref(doc);
                continue; /* a broken sample or a header line */
            }
            const char *title = json_string_value(json_object_get(doc, "title"));
            const char *code = json_string_value(json_object_get(doc, "lang"));
            const char *codes[2] = {code ? code : "und", "und"};
            for (int k = 0; k < 2; k++) {
                nf_entity_list_t out = tag_lang(title, body, codes[k], script_of(body));
                check_list_invariants(&out, path);
                for (size_t i = 0; i < out.count; i++)
                    mentions += out.items[i].n_mentions;
                nf_entity_list_clear(&out);
            }
            articles++;
            json_decref(doc);
        }
        fclose(in);
    }
    assert_true(articles >= 140); /* 148 readable articles, 1,721 mentions when written */
    assert_true(mentions > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cross_script_ids),
        cmocka_unit_test(test_mention_order_invariants),
        cmocka_unit_test(test_offsets_with_marks_and_astral),
        cmocka_unit_test(test_longest_and_nested),
        cmocka_unit_test(test_ambiguity_rules),
        cmocka_unit_test(test_discovery_patterns),
        cmocka_unit_test(test_names_without_titles),
        cmocka_unit_test(test_user_gazetteer_links),
        cmocka_unit_test(test_stable_ids_and_empty),
        cmocka_unit_test(test_translated_org_ids),
        cmocka_unit_test(test_generic_org_country),
        cmocka_unit_test(test_defined_acronyms),
        cmocka_unit_test(test_company_suffixes_and_verbs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
