/* libFuzzer target: our JSON decoder (json.c) against jansson, which it replaced in
 * nf_article_decode. On every input both must accept or both reject, a reject must name the
 * same class (invalid UTF-8 or not), and an accepted document must have the same top-level
 * type, members, member types and decoded string values. One known difference: jansson drops a
 * NUL byte that directly follows a number or a literal ("[1\0]" passes), which RFC 8259 does
 * not allow and we refuse; with a NUL in the input we only check that we accept nothing that
 * jansson refuses. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "newsflow/json.h"

static nf_json_type_t jansson_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return NF_JSON_OBJECT;
    case JSON_ARRAY:
        return NF_JSON_ARRAY;
    case JSON_STRING:
        return NF_JSON_STRING;
    case JSON_INTEGER:
        return NF_JSON_INTEGER;
    case JSON_REAL:
        return NF_JSON_REAL;
    case JSON_TRUE:
    case JSON_FALSE:
        return NF_JSON_BOOLEAN;
    case JSON_NULL:
        break;
    }
    return NF_JSON_NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *ref =
        json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    nf_json_doc_t doc;
    char err[160];
    size_t at;
    nf_json_status_t st = nf_json_parse((const char *)data, size, &doc, err, sizeof(err), &at);
    if (st == NF_JSON_NOMEM)
        abort();
    if (memchr(data, '\0', size)) {
        if (!ref && st == NF_JSON_OK)
            abort();
        json_decref(ref);
        nf_json_doc_clear(&doc);
        return 0;
    }
    if (!ref) {
        if (json_error_code(&jerr) == json_error_out_of_memory)
            abort();
        if (st == NF_JSON_OK)
            abort(); /* we accept what jansson refuses */
        if ((st == NF_JSON_INVALID_UTF8) != (json_error_code(&jerr) == json_error_invalid_utf8))
            abort(); /* another reject reason */
        if (!err[0] || at > size)
            abort();
        return 0;
    }
    if (st != NF_JSON_OK)
        abort(); /* we refuse what jansson accepts */
    if (doc.type != jansson_type(ref))
        abort();
    if (json_is_object(ref)) {
        if (doc.n_members != json_object_size(ref))
            abort();
        for (size_t i = 0; i < doc.n_members; i++) {
            const nf_json_member_t *m = &doc.members[i];
            json_t *v = json_object_getn(ref, m->key, m->key_len);
            if (!v || jansson_type(v) != m->type || nf_json_get(&doc, m->key) != m)
                abort();
            if (m->type == NF_JSON_STRING &&
                (json_string_length(v) != m->string_len ||
                 memcmp(json_string_value(v), m->string, m->string_len) != 0 ||
                 m->string[m->string_len] != '\0'))
                abort();
        }
    }
    json_decref(ref);
    nf_json_doc_clear(&doc);
    return 0;
}
