/* Foundation entity stage: the interface, ownership and record shape are final; the tagger
 * finds nothing yet (the gazetteer and pattern tagger arrive with issue 8). */
#include "newsflow/entities.h"

#include <stdio.h>
#include <string.h>

#include "newsflow/alloc.h"

struct nf_entities {
    int unused;
};

nf_entities_t *nf_entities_new(char *errstr, size_t errstr_size)
{
    nf_entities_t *e = nf_calloc(1, sizeof(*e));
    if (!e)
        snprintf(errstr, errstr_size, "out of memory");
    return e;
}

nf_err_t nf_entities_tag(nf_entities_t *e, const char *title, size_t title_len, const char *body,
                         size_t body_len, const nf_lang_t *lang, nf_entity_list_t *out)
{
    (void)e;
    (void)title;
    (void)title_len;
    (void)body;
    (void)body_len;
    (void)lang;
    out->items = NULL;
    out->count = 0;
    return NF_OK;
}

const char *nf_entity_type_name(nf_entity_type_t type)
{
    switch (type) {
    case NF_ENTITY_PERSON:
        return "PERSON";
    case NF_ENTITY_ORG:
        return "ORG";
    case NF_ENTITY_LOC:
        return "LOC";
    }
    return "UNKNOWN";
}

void nf_entity_list_clear(nf_entity_list_t *list)
{
    for (size_t i = 0; i < list->count; i++) {
        nf_entity_t *ent = &list->items[i];
        for (size_t m = 0; m < ent->n_mentions; m++)
            nf_free(ent->mentions[m].text);
        nf_free(ent->mentions);
        nf_free(ent->id);
        nf_free(ent->name);
    }
    nf_free(list->items);
    list->items = NULL;
    list->count = 0;
}

void nf_entities_destroy(nf_entities_t *e)
{
    nf_free(e);
}
