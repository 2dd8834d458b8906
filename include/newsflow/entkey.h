/**
 * @file entkey.h
 * @brief The cross-script canonical key of an entity name: ICU transliteration to lowercase
 *        ASCII (Cyrillic through Russian-Latin/BGN, every other script through Any-Latin), then
 *        a consonant skeleton that survives spelling variants (case, hyphens, diacritics, vowel
 *        letters, doubled letters, y/i/j, w/v, c/k/q, x/ks, s/z initial, kh/gh/ph/th/sh/ch/zh
 *        digraphs, the Arabic article and ta marbuta). README.md ("Entities") lists the rules
 *        and the known false merges.
 */
#ifndef NEWSFLOW_ENTKEY_H
#define NEWSFLOW_ENTKEY_H

#include <stddef.h>

#include "newsflow/entities.h"
#include "newsflow/error.h"

/** Keys and ASCII forms are cut at this many bytes (NUL included). */
#define NF_ENTKEY_MAX 96

typedef struct nf_entkey nf_entkey_t;

/** @brief A key builder (owns two ICU transliterators). Not thread-safe: one per tagger.
 *         NULL with errstr on failure. */
nf_entkey_t *nf_entkey_new(char *errstr, size_t errstr_size);

/**
 * @brief Lowercase ASCII transliteration of a UTF-8 name: letters a-z, one space between the
 *        name's words (hyphens, apostrophes and dots separate words), the Arabic-script article
 *        removed. Writes at most out_size bytes, NUL-terminated.
 * @return NF_OK, NF_ERR_NOMEM or NF_ERR_ICU.
 */
nf_err_t nf_entkey_ascii(nf_entkey_t *k, const char *utf8, size_t len, char *out, size_t out_size);

/**
 * @brief The canonical key of a name of the given type. PERSON: the skeleton of the surname
 *        (the last word, with the European particles before it: "von der Leyen"; Arabic
 *        particles such as bin/abu/al- dropped; suffixes Jr/Sr/II dropped), so that a name
 *        with or without its given name and title shares the key. ORG and LOC: the skeletons
 *        of every word except function words, joined by '-'. Empty key (out[0] == 0) when
 *        the name has no letters.
 */
nf_err_t nf_entkey_name(nf_entkey_t *k, nf_entity_type_t type, const char *utf8, size_t len,
                        char *out, size_t out_size);

/**
 * @brief The concept key of an organisation's name (worker/orgconcepts.inc): the sorted,
 *        distinct ids of its words' meanings ("ministry", "health", "gulf"...), of the places
 *        in it (countries of nationality adjectives too) and of at most one proper name (its
 *        skeleton), joined by '-'; the same in every language ("Ministry of Health" =
 *        "ministère de la Santé" = "Министерство здравоохранения" = "وزارة الصحة" =
 *        health-ministry). Function words and "affairs" do not count. Empty (out[0] == 0)
 *        unless the name has a kind of body (ministry, council, bank...), two elements at
 *        least, and a proper name only beside two concepts. nf_entkey_name uses it first for
 *        ORG. Thread-safe tables (built once); the key builder is not.
 * @return NF_OK or NF_ERR_ICU.
 */
nf_err_t nf_entkey_org(nf_entkey_t *k, const char *utf8, size_t len, char *out, size_t out_size);

/** @brief 1 when an organisation key (without "org:") is made of concepts only, no place and no
 *         proper name: a generic body ("health-ministry") whose country only the text around
 *         it can tell. */
int nf_entkey_org_generic(const char *key);

/** @brief The country (its id without "loc:") of a nationality adjective of demonyms.tsv
 *         (sénégalais, kenyan, ägyptische): 1 and out filled, else 0. Thread-safe. */
int nf_entkey_demonym(const char *utf8, size_t len, char *out, size_t out_size);

/** @brief An organisation key with one more place element, in bag order ("health-ministry" +
 *         "ke" = "health-ministry-ke"); the key unchanged when the result would not fit. */
void nf_entkey_org_with_place(const char *key, const char *place, char *out, size_t out_size);

/**
 * @brief The skeleton of one lowercase ASCII word (a-z only). `from_arabic` treats w and y as
 *        the vowel letters they mostly are in Arabic-script spellings of foreign names.
 *        Pure function; exposed for the tests.
 */
void nf_entkey_skeleton(const char *word, int from_arabic, char *out, size_t out_size);

/** @brief Table transliteration for Latin, Russian/Ukrainian Cyrillic and Arabic-script words
 *         (on by default; off = ICU for every word, which the tests compare against). */
void nf_entkey_set_fast_paths(nf_entkey_t *k, int on);

/** @brief Free the key builder. NULL is fine. */
void nf_entkey_destroy(nf_entkey_t *k);

#endif
