/* libFuzzer target: the whole stage chain (decode, normalize, langid, entities, fingerprint)
 * and the record rendering. Oracle: the rendered record and error object are always valid JSON
 * (jansson parses them back) with the contract's fields. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "newsflow/chain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static nf_config_t *cfg;
    static nf_chain_t *chain;
    if (!chain) {
        char err[256];
        cfg = nf_config_new();
        chain = cfg ? nf_chain_new(cfg, err, sizeof(err)) : NULL;
        if (!chain)
            abort();
    }
    nf_enriched_t e;
    memset(&e, 0, sizeof(e));
    nf_reject_t rej;
    nf_buf_t out = NF_BUF_INIT;
    nf_err_t err = nf_chain_process(chain, data, size, &e, &rej);
    if (err == NF_OK)
        err = nf_chain_render(&e, &out);
    else if (err == NF_ERR_REJECTED)
        nf_chain_render_error(1, &rej, &out);
    if (out.len) {
        json_error_t jerr;
        json_t *parsed = json_loadb(out.data, out.len, 0, &jerr);
        if (!parsed)
            abort();
        if (err == NF_OK && (!json_is_string(json_object_get(parsed, "content_sha256")) ||
                             !json_is_object(json_object_get(parsed, "dedup"))))
            abort();
        if (err == NF_ERR_REJECTED && !json_is_object(json_object_get(parsed, "error")))
            abort();
        json_decref(parsed);
    }
    nf_buf_free(&out);
    nf_enriched_free(&e);
    return 0;
}
