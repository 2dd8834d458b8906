/* libFuzzer target: the entity tagger on arbitrary (normalized-looking) text. Invariants:
 * never crash; mentions lie inside their field; every entity has an id, a type and a name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "newsflow/entities.h"

static size_t code_points(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static nf_entities_t *t;
    if (!t) {
        char err[256];
        t = nf_entities_new(err, sizeof(err));
        if (!t)
            abort();
    }
    /* first line = title, the rest = body */
    const char *text = (const char *)data;
    const char *nl = memchr(text, '\n', size);
    size_t title_len = nl ? (size_t)(nl - text) : 0;
    const char *body = nl ? nl + 1 : text;
    size_t body_len = nl ? size - title_len - 1 : size;
    /* The script (and so the cue words) varies with the input. */
    static const nf_lang_t langs[] = {
        {"und", "Latn", 0.0}, {"und", "Cyrl", 0.0}, {"und", "Arab", 0.0}, {"fr", "Latn", 0.9},
        {"ru", "Cyrl", 0.9},  {"fa", "Arab", 0.9},  {"und", "Zyyy", 0.0}, {"de", "Latn", 0.9}};
    nf_lang_t lang = langs[size % (sizeof(langs) / sizeof(langs[0]))];
    nf_entity_list_t list = {NULL, 0};
    if (nf_entities_tag(t, text, title_len, body, body_len, &lang, &list) == NF_OK) {
        for (size_t i = 0; i < list.count; i++) {
            const nf_entity_t *e = &list.items[i];
            if (!e->id || !e->name || !*e->id)
                abort();
            for (size_t m = 0; m < e->n_mentions; m++) {
                const nf_mention_t *men = &e->mentions[m];
                size_t limit = strcmp(men->field, "title") == 0 ? code_points(text, title_len)
                                                                : code_points(body, body_len);
                if (men->start >= men->end || men->end > limit || !men->text || !*men->text)
                    abort();
            }
        }
    }
    nf_entity_list_clear(&list);
    return 0;
}
