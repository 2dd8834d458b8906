/* Foundation language stage: script by letter majority (ICU uscript), language "und". */
#include "newsflow/langid.h"

#include <stdio.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include "newsflow/alloc.h"

struct nf_langid {
    int unused;
};

nf_langid_t *nf_langid_new(char *errstr, size_t errstr_size)
{
    nf_langid_t *l = nf_calloc(1, sizeof(*l));
    if (!l)
        snprintf(errstr, errstr_size, "out of memory");
    return l;
}

void nf_langid_destroy(nf_langid_t *l)
{
    nf_free(l);
}

void nf_langid_detect(const nf_langid_t *l, const char *utf8, size_t len, nf_lang_t *out)
{
    (void)l;
    unsigned counts[USCRIPT_CODE_LIMIT];
    memset(counts, 0, sizeof(counts));
    const uint8_t *s = (const uint8_t *)utf8;
    int32_t n = len > INT32_MAX ? INT32_MAX : (int32_t)len;
    for (int32_t i = 0; i < n;) {
        UChar32 c;
        U8_NEXT(s, i, n, c);
        if (c < 0 || !u_isalpha(c))
            continue;
        UErrorCode st = U_ZERO_ERROR;
        UScriptCode sc = uscript_getScript(c, &st);
        if (U_FAILURE(st) || sc == USCRIPT_COMMON || sc == USCRIPT_INHERITED || sc < 0 ||
            sc >= USCRIPT_CODE_LIMIT)
            continue;
        counts[sc]++;
    }
    int best = -1;
    for (int sc = 0; sc < USCRIPT_CODE_LIMIT; sc++)
        if (counts[sc] && (best < 0 || counts[sc] > counts[best]))
            best = sc;
    const char *name = best >= 0 ? uscript_getShortName((UScriptCode)best) : "Zyyy";
    snprintf(out->script, sizeof(out->script), "%s", name ? name : "Zzzz");
    snprintf(out->code, sizeof(out->code), "und");
    out->confidence = 0.0;
}
