// Generates data/gazetteer/countries.tsv and data/gazetteer/cities.tsv from the CLDR data that
// ships inside ICU: the display name of every ISO 3166 country/territory in every ICU locale,
// and the exemplar city of every canonical time zone in every ICU locale (CLDR's localized
// city names: Moscow, Moscou, Москва, موسكو...). Output format: data/gazetteer/README.md.
//
//   c++ -O2 -o gen_places worker/tools/gazetteer/gen_places.cpp $(pkg-config --cflags --libs
//   icu-i18n icu-uc)
//   ./gen_places data/gazetteer
#include <unicode/locid.h>
#include <unicode/uchar.h>
#include <unicode/timezone.h>
#include <unicode/tznames.h>
#include <unicode/uloc.h>
#include <unicode/unistr.h>
#include <unicode/uversion.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

using namespace icu;

struct Entry {
    std::string display;
    std::vector<std::pair<std::string, std::string>> names; // (lang, name), first lang wins
    std::set<std::string> folded;
};

static std::string utf8(const UnicodeString &s)
{
    std::string out;
    s.toUTF8String(out);
    return out;
}

static std::string fold(const UnicodeString &s)
{
    UnicodeString f(s);
    f.foldCase();
    return utf8(f);
}

static void add_one(Entry &e, const std::string &lang, UnicodeString name);

// "Myanmar (Burma)" gives "Myanmar (Burma)", "Myanmar" and "Burma"; "A / B" gives A and B.
static void add(Entry &e, const std::string &lang, const UnicodeString &name)
{
    int32_t open = name.indexOf((UChar)'(');
    int32_t close = name.indexOf((UChar)')');
    if (open > 0 && close > open) {
        add_one(e, lang, name);
        add_one(e, lang, UnicodeString(name, 0, open));
        add_one(e, lang, UnicodeString(name, open + 1, close - open - 1));
        return;
    }
    int32_t slash = name.indexOf((UChar)'/');
    if (slash >= 0) {
        add_one(e, lang, UnicodeString(name, 0, slash));
        add(e, lang, UnicodeString(name, slash + 1));
        return;
    }
    add_one(e, lang, name);
}

static void add_one(Entry &e, const std::string &lang, UnicodeString name)
{
    name.trim();
    // Very short names in cased scripts are mostly common words somewhere (CJK names are short
    // by nature and stay).
    int32_t letters = 0, cased = 0;
    for (int32_t i = 0; i < name.length(); i = name.moveIndex32(i, 1)) {
        UChar32 c = name.char32At(i);
        if (u_isalpha(c))
            letters++;
        if (u_hasBinaryProperty(c, UCHAR_CASED))
            cased++;
    }
    if (letters == 0 || (cased > 0 && letters < 4) || name.length() < 2)
        return;
    std::string n = utf8(name);
    if (n.find('\t') != std::string::npos || n.find('\n') != std::string::npos)
        return;
    if (e.folded.insert(fold(name)).second)
        e.names.emplace_back(lang, n);
}

static std::vector<std::string> languages()
{
    // One pass per language (not per regional variant) keeps the output stable and small; the
    // regional variants (en_GB, fr_CA) rarely add a name.
    std::set<std::string> seen;
    std::vector<std::string> out;
    int32_t n = uloc_countAvailable();
    for (int32_t i = 0; i < n; i++) {
        const char *loc = uloc_getAvailable(i);
        char lang[16];
        UErrorCode st = U_ZERO_ERROR;
        uloc_getLanguage(loc, lang, sizeof(lang), &st);
        if (U_FAILURE(st))
            continue;
        std::string l(lang);
        // Scripts inside a language (sr_Latn, uz_Cyrl) are kept as separate locales.
        char script[8] = "";
        uloc_getScript(loc, script, sizeof(script), &st);
        std::string key = script[0] ? l + "_" + script : l;
        if (seen.insert(key).second)
            out.push_back(key);
    }
    std::sort(out.begin(), out.end());
    // English first, so the display name (first name) is the English one.
    out.erase(std::find(out.begin(), out.end(), "en"));
    out.insert(out.begin(), "en");
    return out;
}

static void write(const char *path, const char *type, const char *header,
                  const std::map<std::string, Entry> &entries)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fprintf(f, "%s", header);
    for (const auto &kv : entries) {
        fprintf(f, "%s\t%s\t-", kv.first.c_str(), type);
        for (const auto &ln : kv.second.names)
            fprintf(f, "\t%s=%s", ln.first.c_str(), ln.second.c_str());
        fputc('\n', f);
    }
    fclose(f);
}

static std::string lower_ascii_id(const std::string &s)
{
    std::string out;
    for (char c : s) {
        if (c >= 'A' && c <= 'Z')
            out += (char)(c - 'A' + 'a');
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            out += c;
        else if (!out.empty() && out.back() != '-')
            out += '-';
    }
    while (!out.empty() && out.back() == '-')
        out.pop_back();
    return out;
}

// Names come from the languages with a large news output, plus the country's own main
// language (CLDR likely subtags): in the other ~200 CLDR languages, country and city names
// collide with given names and common words far more often than they help (one of them calls
// Ireland "Iryna", another Malta "Marta"; Pashto توماس for Tomsk is also Thomas).
static std::string own_language(const std::string &region)
{
    char max[64];
    UErrorCode st = U_ZERO_ERROR;
    uloc_addLikelySubtags(("und_" + region).c_str(), max, sizeof(max), &st);
    char lang[16] = "";
    uloc_getLanguage(max, lang, sizeof(lang), &st);
    return U_SUCCESS(st) ? std::string(lang) : std::string();
}

static bool news_language(const std::string &l)
{
    static const std::set<std::string> keep = {
        "en", "fr", "de", "es", "it", "pt", "nl", "pl", "ru", "uk", "ar", "fa",
        "tr", "zh", "ja", "ko", "he", "el", "hi", "sv", "da", "nb", "fi", "cs",
        "sk", "hu", "ro", "bg", "sr", "hr", "sl", "lt", "lv", "et", "ka", "hy",
        "az", "kk", "uz", "id", "ms", "vi", "th", "bn", "ur", "be", "ca"};
    return keep.count(l) > 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    std::string dir = argv[1];
    std::vector<std::string> langs = languages();
    char header[512];
    snprintf(
        header, sizeof(header),
        "# generated by worker/tools/gazetteer/gen_places.cpp from ICU %s (CLDR %s): do not edit\n"
        "# id\ttype\tflags\tlang=name...\n",
        U_ICU_VERSION, "data of that ICU");

    // Countries and territories: ISO 3166-1 alpha-2 codes ICU knows.
    std::map<std::string, Entry> countries;
    for (const char *const *c = uloc_getISOCountries(); *c; c++) {
        std::string code(*c);
        // Deprecated/transitional codes (e.g. "AN", "CS") and the EU-style pseudo codes are
        // included by ICU; skip those with no English display name of their own.
        std::string probe = "und_" + code;
        UChar buf[256];
        UErrorCode st = U_ZERO_ERROR;
        int32_t len = uloc_getDisplayCountry(probe.c_str(), "en", buf, 256, &st);
        if (U_FAILURE(st) || st == U_USING_DEFAULT_WARNING || len == 0)
            continue;
        UnicodeString en(buf, len);
        if (en == UnicodeString(code.c_str()))
            continue;
        std::string id = "loc:";
        for (char ch : code)
            id += (char)(ch - 'A' + 'a');
        Entry &e = countries[id];
        std::string own = own_language(code);
        for (const auto &l : langs) {
            if (!news_language(l) && l != own)
                continue;
            st = U_ZERO_ERROR;
            len = uloc_getDisplayCountry(probe.c_str(), l.c_str(), buf, 256, &st);
            if (U_FAILURE(st) || st == U_USING_DEFAULT_WARNING || st == U_USING_FALLBACK_WARNING)
                if (l != "en")
                    continue;
            UnicodeString name(buf, len);
            if (name == UnicodeString(code.c_str()))
                continue;
            add(e, l, name);
        }
    }
    write((dir + "/countries.tsv").c_str(), "LOC", header, countries);

    // Cities: CLDR exemplar cities of the canonical time zones.
    std::map<std::string, Entry> cities;
    UErrorCode st = U_ZERO_ERROR;
    std::unique_ptr<StringEnumeration> zones(
        TimeZone::createTimeZoneIDEnumeration(UCAL_ZONE_TYPE_CANONICAL_LOCATION, NULL, NULL, st));
    std::vector<UnicodeString> zone_ids;
    const UnicodeString *z;
    while (U_SUCCESS(st) && (z = zones->snext(st)) != NULL)
        zone_ids.push_back(*z);
    std::map<std::string, std::unique_ptr<TimeZoneNames>> names_by_lang;
    for (const auto &l : langs) {
        UErrorCode s2 = U_ZERO_ERROR;
        names_by_lang[l].reset(TimeZoneNames::createInstance(Locale(l.c_str()), s2));
        if (U_FAILURE(s2))
            names_by_lang.erase(l);
    }
    for (const auto &zid : zone_ids) {
        char region[8];
        UErrorCode s2 = U_ZERO_ERROR;
        TimeZone::getRegion(zid, region, sizeof(region), s2);
        if (U_FAILURE(s2) || strcmp(region, "001") == 0)
            continue;
        UnicodeString en;
        names_by_lang["en"]->getExemplarLocationName(zid, en);
        if (en.isEmpty())
            continue;
        std::string id = "loc:";
        for (const char *r = region; *r; r++)
            id += (char)(*r >= 'A' && *r <= 'Z' ? *r - 'A' + 'a' : *r);
        id += ":" + lower_ascii_id(utf8(en));
        Entry &e = cities[id];
        std::string own = own_language(region);
        for (const auto &l : langs) {
            if (!news_language(l) && l != own)
                continue;
            auto it = names_by_lang.find(l);
            if (it == names_by_lang.end())
                continue;
            UnicodeString name;
            it->second->getExemplarLocationName(zid, name);
            if (!name.isEmpty())
                add(e, l, name);
        }
    }
    write((dir + "/cities.tsv").c_str(), "LOC", header, cities);
    fprintf(stderr, "%zu countries, %zu cities, %zu languages\n", countries.size(), cities.size(),
            langs.size());
    return 0;
}
