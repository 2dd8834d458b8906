// The one C++ file of newsflow: a C entry point into CLD2 for the language-id benchmark.
#include <cstdio> // compact_lang_det.h uses FILE without including it
#include <cstring>

#include <cld2/public/compact_lang_det.h>

namespace CLD2 {
const char *LanguageCode(Language lang);
}

extern "C" void nf_bench_cld2(const char *text, int len, char code[8])
{
    bool reliable = false;
    CLD2::Language lang = CLD2::DetectLanguage(text, len, true, &reliable);
    const char *c = CLD2::LanguageCode(lang);
    std::snprintf(code, 8, "%s", c ? c : "un");
}
