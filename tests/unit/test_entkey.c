/* Canonical keys: spelling variants across scripts that must share a key, and near names
 * that must not. */
#include "nf_test.h"

#include "newsflow/entkey.h"

static nf_entkey_t *keys;

static int setup(void **state)
{
    (void)state;
    char err[256];
    keys = nf_entkey_new(err, sizeof(err));
    if (!keys)
        fprintf(stderr, "%s\n", err);
    return keys ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    nf_entkey_destroy(keys);
    return 0;
}

static void key_of(nf_entity_type_t type, const char *name, char *out, size_t size)
{
    assert_int_equal(nf_entkey_name(keys, type, name, strlen(name), out, size), NF_OK);
}

static void expect_same(nf_entity_type_t type, const char *const *names)
{
    char first[NF_ENTKEY_MAX], key[NF_ENTKEY_MAX];
    key_of(type, names[0], first, sizeof(first));
    assert_true(first[0] != '\0');
    for (size_t i = 1; names[i]; i++) {
        key_of(type, names[i], key, sizeof(key));
        if (strcmp(first, key) != 0)
            fail_msg("'%s' -> %s but '%s' -> %s", names[0], first, names[i], key);
    }
}

static void expect_different(nf_entity_type_t type, const char *a, const char *b)
{
    char ka[NF_ENTKEY_MAX], kb[NF_ENTKEY_MAX];
    key_of(type, a, ka, sizeof(ka));
    key_of(type, b, kb, sizeof(kb));
    if (strcmp(ka, kb) == 0)
        fail_msg("'%s' and '%s' both -> %s", a, b, ka);
}

static void test_person_variants(void **state)
{
    (void)state;
    static const char *const zelensky[] = {"Zelenskyy",
                                           "Zelensky",
                                           "Zelenskiy",
                                           "Selenskyj",
                                           "Zelenski",
                                           "Зеленський",
                                           "Зеленский",
                                           "زيلينسكي",
                                           "زلنسکی",
                                           "Volodymyr Zelenskyy",
                                           "Wolodymyr Selenskyj",
                                           "Володимир Зеленський",
                                           "ZELENSKY",
                                           NULL};
    expect_same(NF_ENTITY_PERSON, zelensky);
    static const char *const macron[] = {"Macron", "Emmanuel Macron", "Макрон",
                                         "ماكرون", "ماکرون",          NULL};
    expect_same(NF_ENTITY_PERSON, macron);
    static const char *const khamenei[] = {"Khamenei", "Хаменеи", "خامنئي", NULL};
    expect_same(NF_ENTITY_PERSON, khamenei);
    static const char *const assad[] = {"Bashar al-Assad", "al-Assad",   "Assad",
                                        "Bachar el-Assad", "بشار الأسد", NULL};
    expect_same(NF_ENTITY_PERSON, assad);
    static const char *const leyen[] = {"Ursula von der Leyen", "von der Leyen",
                                        "Ursula von-der-Leyen", NULL};
    expect_same(NF_ENTITY_PERSON, leyen);
    /* Persian reads ض ذ ظ as z, ث as s */
    static const char *const rezaei[] = {"Rezaei", "Mohammad Rezaei", "رضایی", "محمد رضایی", NULL};
    expect_same(NF_ENTITY_PERSON, rezaei);
    static const char *const sanjabi[] = {"Sanjabi", "ثنجابی", NULL}; /* invented */
    expect_same(NF_ENTITY_PERSON, sanjabi);
    /* Arabic keeps its reading: ض is d there */
    expect_different(NF_ENTITY_PERSON, "رضا", "رزا");
    static const char *const attar[] = {"Karim al-Attar", "Karim el-Attar",  "Attar",
                                        "كريم العطار",    "Карим аль-Аттар", NULL};
    expect_same(NF_ENTITY_PERSON, attar);
    static const char *const waldschmidt[] = {"Henrike Waldschmidt", "Вальдшмидт", "فالدشميت",
                                              NULL};
    expect_same(NF_ENTITY_PERSON, waldschmidt);
    static const char *const declined[] = {"Макрон", "Макроном", "Макрона", NULL};
    expect_same(NF_ENTITY_PERSON, declined);
    static const char *const korvanenko[] = {"Lidia Korvanenko", "ليديا كورفانينكو", NULL};
    expect_same(NF_ENTITY_PERSON, korvanenko);
    static const char *const mohammed[] = {"Muhammad", "Mohamed", "Mohammed", "محمد", NULL};
    expect_same(NF_ENTITY_PERSON, mohammed);
    static const char *const fatima[] = {"Fatima Haddad", "Fatimah Haddad", "Haddad", "فاطمة حداد",
                                         NULL};
    expect_same(NF_ENTITY_PERSON, fatima);
}

static void test_person_apart(void **state)
{
    (void)state;
    expect_different(NF_ENTITY_PERSON, "Guterres", "Gutierrez");
    expect_different(NF_ENTITY_PERSON, "António Guterres", "Carlos Gutierrez");
    expect_different(NF_ENTITY_PERSON, "Zelensky", "Zelinsky-Brown");
    expect_different(NF_ENTITY_PERSON, "Merkel", "Markle-Smith");
    expect_different(NF_ENTITY_PERSON, "Petrova", "Petrenko");
}

static void test_org_and_loc(void **state)
{
    (void)state;
    /* ph is the class of f, as ф and ف are */
    static const char *const pharma[] = {"Corvalis Pharma", "Corvalis Farma", "كورفاليس فارما",
                                         "Корвалис Фарма", NULL};
    expect_same(NF_ENTITY_ORG, pharma);
    static const char *const council[] = {"Security Council", "security-council",
                                          "Security  Council", NULL};
    expect_same(NF_ENTITY_ORG, council);
    expect_different(NF_ENTITY_ORG, "Security Council", "Security Service");
    static const char *const kharkiv[] = {"Kharkiv", "Харків", "Kharkov", NULL};
    expect_same(NF_ENTITY_LOC, kharkiv);
}

static void test_ascii_and_skeleton(void **state)
{
    (void)state;
    char out[NF_ENTKEY_MAX];
    assert_int_equal(nf_entkey_ascii(keys, "Jean-Yves Le Drian", 18, out, sizeof(out)), NF_OK);
    assert_string_equal(out, "jean yves le drian");
    assert_int_equal(nf_entkey_ascii(keys, "Щербаков", strlen("Щербаков"), out, sizeof(out)),
                     NF_OK);
    assert_string_equal(out, "shcherbakov");
    nf_entkey_skeleton("zelenskyy", 0, out, sizeof(out));
    assert_string_equal(out, "slnsk");
    nf_entkey_skeleton("erdogan", 0, out, sizeof(out));
    assert_string_equal(out, "ardgn");
    nf_entkey_skeleton("", 0, out, sizeof(out));
    assert_string_equal(out, "");
    /* Truncation keeps a terminated string. */
    char tiny[4];
    nf_entkey_skeleton("shcherbakov", 0, tiny, sizeof(tiny));
    assert_true(strlen(tiny) < sizeof(tiny));
    /* Nothing but punctuation: empty key. */
    assert_int_equal(nf_entkey_name(keys, NF_ENTITY_PERSON, "--", 2, out, sizeof(out)), NF_OK);
    assert_string_equal(out, "");
}

/* The table transliteration must give what ICU gives: every Cyrillic, Arabic-script and
 * accented Latin name of the built-in gazetteer data, both ways. */
static void test_fast_paths_match_icu(void **state)
{
    (void)state;
    const char *src = getenv("NF_SOURCE_DIR");
    if (!src)
        src = NF_SOURCE_DIR;
    const char *files[] = {"countries.tsv", "cities.tsv", "regions.tsv", "aliases.tsv", "orgs.tsv"};
    size_t compared = 0, differ = 0;
    for (size_t fi = 0; fi < sizeof(files) / sizeof(files[0]); fi++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/data/gazetteer/%s", src, files[fi]);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        char line[65536];
        while (fgets(line, sizeof(line), f)) {
            if (line[0] == '#')
                continue;
            char *save = NULL;
            int field = 0;
            for (char *tok = strtok_r(line, "\t\n", &save); tok;
                 tok = strtok_r(NULL, "\t\n", &save)) {
                if (field++ < 3)
                    continue;
                char *name = strchr(tok, '=') ? strchr(tok, '=') + 1 : tok;
                unsigned char b = (unsigned char)name[0];
                int latin_extra = 0; /* a Latin name with letters beyond ASCII */
                for (const unsigned char *c = (const unsigned char *)name; *c; c++)
                    latin_extra |= *c >= 0xC3 && *c <= 0xCD;
                if (b != 0xD0 && b != 0xD1 && b != 0xD8 && b != 0xD9 && b != 0xDA && b != 0xDB &&
                    !(b < 0x80 && latin_extra))
                    continue; /* Cyrillic, Arabic-script or accented Latin names only */
                char fast[NF_ENTKEY_MAX], slow[NF_ENTKEY_MAX];
                nf_entkey_set_fast_paths(keys, 1);
                assert_int_equal(nf_entkey_ascii(keys, name, strlen(name), fast, sizeof(fast)),
                                 NF_OK);
                nf_entkey_set_fast_paths(keys, 0);
                assert_int_equal(nf_entkey_ascii(keys, name, strlen(name), slow, sizeof(slow)),
                                 NF_OK);
                compared++;
                if (strcmp(fast, slow) != 0) {
                    if (differ++ < 10)
                        print_message("'%s': table '%s', ICU '%s'\n", name, fast, slow);
                }
            }
        }
        fclose(f);
    }
    nf_entkey_set_fast_paths(keys, 1);
    print_message("%zu names compared, %zu differ\n", compared, differ);
    assert_true(compared > 3000);
    assert_int_equal(differ, 0);
}

static void org_concept_key(const char *name, char *out, size_t size)
{
    assert_int_equal(nf_entkey_org(keys, name, strlen(name), out, size), NF_OK);
}

/* Translated organisation names share the concept key (invented bodies except the GCC). */
static void test_org_concepts_translated(void **state)
{
    (void)state;
    char key[NF_ENTKEY_MAX];
    static const char *const gcc[] = {"Gulf Cooperation Council",
                                      "Consejo de Cooperación del Golfo", "مجلس التعاون الخليجي",
                                      "Conseil de coopération du Golfe", NULL};
    expect_same(NF_ENTITY_ORG, gcc);
    org_concept_key("Gulf Cooperation Council", key, sizeof(key));
    assert_string_equal(key, "cooperation-council-gulf");
    static const char *const health_ok[] = {"Ministry of Health",           "Health Ministry",
                                            "ministère de la Santé",        "Ministerio de Salud",
                                            "Министерство здравоохранения", "وزارة الصحة",
                                            "Gesundheitsministerium",       NULL};
    expect_same(NF_ENTITY_ORG, health_ok);
    org_concept_key("Ministry of Health", key, sizeof(key));
    assert_string_equal(key, "health-ministry");
    static const char *const foreign[] = {"Ministry of Foreign Affairs",
                                          "Foreign Ministry",
                                          "ministère des Affaires étrangères",
                                          "Ministerio de Asuntos Exteriores",
                                          "Министерство иностранных дел",
                                          "وزارة الخارجية",
                                          "وزارت امور خارجه",
                                          "Außenministerium",
                                          NULL};
    expect_same(NF_ENTITY_ORG, foreign);
    /* places and nationality adjectives are part of the key */
    static const char *const iran[] = {"Atomic Energy Organization of Iran",
                                       "Organisation iranienne de l'énergie atomique",
                                       "سازمان انرژی اتمی ایران", NULL};
    expect_same(NF_ENTITY_ORG, iran);
    static const char *const egypt[] = {
        "Egyptian Ministry of Health", "Министерство здравоохранения Египта", "وزارة الصحة المصرية",
        "ministère égyptien de la Santé", NULL};
    expect_same(NF_ENTITY_ORG, egypt);
    /* German and Russian inflection, a German compound, agency = organisation */
    static const char *const space[] = {"European Space Agency", "Europäische Weltraumorganisation",
                                        "Agence spatiale européenne",
                                        "Европейское космическое агентство", NULL};
    expect_same(NF_ENTITY_ORG, space);
    static const char *const bank[] = {"Islamic Development Bank", "Banco Islámico de Desarrollo",
                                       "البنك الإسلامي للتنمية", NULL};
    expect_same(NF_ENTITY_ORG, bank);
    /* one proper name beside two concepts: its skeleton (Orvania is invented) */
    static const char *const orvania3[] = {"Central Bank of Orvania", "Banque centrale d'Orvanie",
                                           "Центральный банк Орвании", NULL};
    expect_same(NF_ENTITY_ORG, orvania3);
}

static void test_org_concepts_apart(void **state)
{
    (void)state;
    char key[NF_ENTKEY_MAX];
    expect_different(NF_ENTITY_ORG, "Ministry of Health", "Ministry of Finance");
    expect_different(NF_ENTITY_ORG, "Ministry of Health", "Министерство здравоохранения Египта");
    expect_different(NF_ENTITY_ORG, "Central Bank of Orvania", "Central Bank of Marovia");
    expect_different(NF_ENTITY_ORG, "Council of Ministers", "Ministry Council");
    expect_different(NF_ENTITY_ORG, "Gulf Cooperation Council", "Gulf Cooperation Bank");
    /* no kind of body (company names of common words), one element only, two proper names:
     * no concept key, the transliteration key as before */
    org_concept_key("Aguas del Sur", key, sizeof(key));
    assert_string_equal(key, "");
    org_concept_key("Council", key, sizeof(key));
    assert_string_equal(key, "");
    org_concept_key("Kenya Vaccine Storage Agency", key, sizeof(key));
    assert_string_equal(key, "");
    org_concept_key("Orvane Bank", key, sizeof(key));
    assert_string_equal(key, "");
    key_of(NF_ENTITY_ORG, "Aguas del Sur", key, sizeof(key));
    assert_string_equal(key, "ags-sr");
    key_of(NF_ENTITY_ORG, "Orvane Bank", key, sizeof(key));
    assert_string_equal(key, "arvn-bnk");
    /* the pieces the tagger uses to give a generic body its country */
    assert_true(nf_entkey_org_generic("health-ministry"));
    assert_false(nf_entkey_org_generic("arvn-bank-central"));
    assert_false(nf_entkey_org_generic("eg-health-ministry"));
    assert_false(nf_entkey_org_generic(""));
    nf_entkey_org_with_place("health-ministry", "ke", key, sizeof(key));
    assert_string_equal(key, "health-ke-ministry");
    nf_entkey_org_with_place("eg-health-ministry", "eg", key, sizeof(key));
    assert_string_equal(key, "eg-health-ministry");
    assert_true(nf_entkey_demonym("sénégalais", strlen("sénégalais"), key, sizeof(key)));
    assert_string_equal(key, "sn");
    assert_false(nf_entkey_demonym("ministère", strlen("ministère"), key, sizeof(key)));
    /* a word longer than any of the vocabulary is a proper name, whatever it starts with */
    char long_name[200];
    snprintf(long_name, sizeof(long_name), "Ministerium%s Bank",
             "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
    org_concept_key(long_name, key, sizeof(key));
    assert_string_equal(key, "");
    /* a key that does not fit the buffer is no key (a cut bag could equal another's) */
    char small[12];
    org_concept_key("Gulf Cooperation Council", small, sizeof(small));
    assert_string_equal(small, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_person_variants),      cmocka_unit_test(test_person_apart),
        cmocka_unit_test(test_org_and_loc),          cmocka_unit_test(test_ascii_and_skeleton),
        cmocka_unit_test(test_fast_paths_match_icu), cmocka_unit_test(test_org_concepts_translated),
        cmocka_unit_test(test_org_concepts_apart),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
