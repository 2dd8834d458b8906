/* libFuzzer target: language/script detection on arbitrary bytes (invalid UTF-8 included).
 * Invariants: never crash; the code and script are short printable strings; 0 <= confidence <= 1.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "newsflow/langid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static nf_langid_t *l;
    if (!l) {
        char err[256];
        l = nf_langid_new(NULL, err, sizeof(err));
        if (!l)
            abort();
    }
    nf_lang_t out;
    nf_langid_detect(l, (const char *)data, size, &out);
    if (!out.code[0] || strlen(out.script) != 4 || out.confidence < 0 || out.confidence > 1)
        abort();
    return 0;
}
