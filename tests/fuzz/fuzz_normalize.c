/* libFuzzer target: the ICU normalizer on arbitrary bytes. Invariants: valid UTF-8 in gives
 * valid UTF-8 out with no empty line and no leading/trailing space on a line; normalizing the
 * output again changes nothing (idempotence). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "newsflow/normalize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static nf_normalizer_t *n;
    if (!n) {
        char err[256];
        n = nf_normalizer_new(err, sizeof(err));
        if (!n)
            abort();
    }
    for (int drop = 0; drop <= 1; drop++) {
        nf_buf_t out = NF_BUF_INIT, again = NF_BUF_INIT;
        nf_err_t err = nf_normalize(n, (const char *)data, size, drop, &out, NULL);
        if (err == NF_OK && out.len) {
            if (out.data[0] == ' ' || out.data[out.len - 1] == ' ' || strstr(out.data, "\n\n") ||
                strstr(out.data, " \n") || strstr(out.data, "\n "))
                abort();
            if (nf_normalize(n, out.data, out.len, drop, &again, NULL) != NF_OK)
                abort(); /* our own output must be valid UTF-8 */
            /* Without junk removal, normalization is idempotent. (With it, a line that was
             * only junk-adjacent can become junk-like once spaces are folded.) */
            if (!drop && (again.len != out.len || memcmp(again.data, out.data, out.len) != 0))
                abort();
        }
        nf_buf_free(&out);
        nf_buf_free(&again);
    }
    return 0;
}
