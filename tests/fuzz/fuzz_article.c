/* libFuzzer target: decode + validate arbitrary bytes. Invariants: never crash; an accepted
 * article has a non-empty id and body; a reject has a known reason and a detail. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "newsflow/article.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static nf_validator_t *v;
    if (!v) {
        char err[256];
        v = nf_validator_new(1 << 20, err, sizeof(err));
        if (!v)
            abort();
    }
    nf_article_t a;
    nf_reject_t rej;
    nf_err_t err = nf_article_decode(v, data, size, &a, &rej);
    if (err == NF_OK) {
        if (!a.id || !a.body || !*a.id || !*a.body)
            abort();
        nf_article_clear(&a);
    } else if (err == NF_ERR_REJECTED) {
        if (rej.reason >= NF_REJECT_COUNT || !rej.detail[0])
            abort();
    }
    return 0;
}
