/**
 * @file entities.h
 * @brief Named entities (PERSON, ORG, LOC) with cross-language canonical ids and code-point
 *        mention offsets: gazetteer matches (gazetteer.h), discovery by cue words,
 *        capitalisation and organisation patterns, ids from the cross-script key (entkey.h).
 *        README.md ("Entities") describes the rules.
 */
#ifndef NEWSFLOW_ENTITIES_H
#define NEWSFLOW_ENTITIES_H

#include <stddef.h>

#include "newsflow/error.h"
#include "newsflow/langid.h"

typedef enum nf_entity_type { NF_ENTITY_PERSON, NF_ENTITY_ORG, NF_ENTITY_LOC } nf_entity_type_t;

typedef struct nf_mention {
    const char *field; /**< "title" or "body" (static string) */
    size_t start, end; /**< code-point offsets into the field, end exclusive */
    char *text;        /**< in the list's block (see nf_entity_list_t) */
} nf_mention_t;

typedef struct nf_entity {
    char *id; /**< canonical, e.g. "person:zelenskyy"; in the list's block */
    nf_entity_type_t type;
    char *name;             /**< display name; in the list's block */
    nf_mention_t *mentions; /**< array in the list's block */
    size_t n_mentions;
} nf_entity_t;

typedef struct nf_entity_list {
    nf_entity_t *items; /**< owned: one allocation that also holds every mention array and
                             string of the list; only nf_entity_list_clear frees it */
    size_t count;
} nf_entity_list_t;

typedef struct nf_entities nf_entities_t;

/** @brief The tagger (builds the shared built-in gazetteer on first use). NULL with errstr on
 *         failure. One tagger per thread: a tagger is not thread-safe, the gazetteers are. */
nf_entities_t *nf_entities_new(char *errstr, size_t errstr_size);

/**
 * @brief Tag the (normalized) title and body (borrowed; title may be NULL). `lang` (may be
 *        NULL) chooses the cue words: its code when known, else every language of its script.
 *        Fills *out (release with nf_entity_list_clear); entities are ordered by first mention.
 *        Uses the current user gazetteer, if any, for the whole call.
 * @return NF_OK, NF_ERR_NOMEM or NF_ERR_ICU.
 */
nf_err_t nf_entities_tag(nf_entities_t *e, const char *title, size_t title_len, const char *body,
                         size_t body_len, const nf_lang_t *lang, nf_entity_list_t *out);

/** @brief "PERSON", "ORG" or "LOC". */
const char *nf_entity_type_name(nf_entity_type_t type);

/** @brief Free what a list holds; the list can be reused. */
void nf_entity_list_clear(nf_entity_list_t *list);

/** @brief Free the tagger. NULL is fine. */
void nf_entities_destroy(nf_entities_t *e);

#endif
