/**
 * @file gazetteer.h
 * @brief Name lists matched over normalized text, and the word tokenizer they share with the
 *        entity tagger. A gazetteer is a trie whose alphabet is case-folded, accent-folded
 *        words (a word-level Aho-Corasick without failure links: a name can only start at a
 *        word start, so the tagger walks the trie from each word). Built-in data (ICU/CLDR
 *        countries and cities, ISO 3166-2 regions, hand-written organisations) is compiled
 *        into the binary; a user gazetteer file in the same format can be loaded and
 *        reloaded (SIGHUP). File format: data/gazetteer/README.md.
 */
#ifndef NEWSFLOW_GAZETTEER_H
#define NEWSFLOW_GAZETTEER_H

#include <stddef.h>
#include <stdint.h>

#include "newsflow/entities.h"
#include "newsflow/error.h"

/** Token flags. */
enum {
    NF_TOK_UPPER = 1 << 0,      /**< first letter is upper or title case */
    NF_TOK_ALL_UPPER = 1 << 1,  /**< two or more letters, all upper case (acronym) */
    NF_TOK_CASED = 1 << 2,      /**< written in a script with case (Latin, Cyrillic, Greek...) */
    NF_TOK_DIGIT = 1 << 3,      /**< starts with a digit */
    NF_TOK_SOLO = 1 << 4,       /**< one ideograph/kana/Thai letter: scripts without spaces */
    NF_TOK_ARABIC = 1 << 5,     /**< Arabic script */
    NF_TOK_SENT_START = 1 << 6, /**< first word of the field, of a line or after . ! ? */
    NF_TOK_BREAK = 1 << 7,      /**< punctuation other than - ' between it and the previous */
    NF_TOK_DOT = 1 << 8,        /**< a full stop between it and the previous word */
    NF_TOK_PUNCT = 1 << 9,      /**< other punctuation or a line break before it */
};

/** One word of a text: offsets in bytes and in code points, end exclusive. */
typedef struct nf_token {
    uint32_t byte_start, byte_end;
    uint32_t cp_start, cp_end;
    uint64_t hash; /**< of the folded form (case, accents, Arabic letter variants, marks) */
    uint32_t flags;
} nf_token_t;

/** @brief Build the shared folding table now (nf_tokenize otherwise builds it on first use and,
 *         out of memory, works without it, slowly). NF_OK or NF_ERR_NOMEM. */
nf_err_t nf_tokenizer_init(void);

/**
 * @brief Split UTF-8 text into words. Writes at most `max` tokens and returns how many it
 *        found (which may exceed max: call again with more room). Invalid UTF-8 bytes are
 *        separators. Thread-safe; allocates nothing after the first call (which builds the
 *        shared folding table).
 */
size_t nf_tokenize(const char *text, size_t len, nf_token_t *tokens, size_t max);

/** @brief The folded form of one code point as the tokenizer hashes it (lower case, accents
 *         removed, Arabic letter variants merged). */
uint32_t nf_fold_cp(int32_t c);

/** @brief Folded form hash of a UTF-8 word, as nf_tokenize computes it (0 for no letters). */
uint64_t nf_token_hash(const char *word, size_t len);

/** Longest name, in words (a solo letter is a word). */
#define NF_GAZ_MAX_WORDS 48

/** Entry flags (column 3 of the file: "-" or a comma list of names). */
enum {
    NF_GAZ_AMBIGUOUS = 1 << 0, /**< "amb": also a common word; needs a locative cue before it */
    NF_GAZ_ACRONYM = 1 << 1,   /**< (computed) one all-capitals word: matches written so only */
};

typedef struct nf_gaz_entry {
    const char *id;
    const char *name; /**< display name: the first name of the line */
    nf_entity_type_t type;
    unsigned flags; /**< flags of the line that created the entry (names carry their own) */
} nf_gaz_entry_t;

typedef struct nf_gazetteer nf_gazetteer_t;

/**
 * @brief Parse gazetteer text (the TSV format) of `len` bytes (borrowed). On a malformed line
 *        returns NULL and errstr names the source and the line.
 */
nf_gazetteer_t *nf_gazetteer_parse(const char *text, size_t len, const char *source_name,
                                   char *errstr, size_t errstr_size);

/** @brief Parse a gazetteer file. NULL with errstr (file, line, why) on failure. */
nf_gazetteer_t *nf_gazetteer_load_file(const char *path, char *errstr, size_t errstr_size);

/**
 * @brief The compiled-in gazetteer (built once per process on first use, shared, immutable,
 *        never freed). NULL with errstr only if memory ran out. *load_ns (optional) receives the
 *        time the first build took.
 */
const nf_gazetteer_t *nf_gazetteer_builtin(uint64_t *load_ns, char *errstr, size_t errstr_size);

/**
 * @brief Longest name starting at tokens[0]. Returns the number of tokens matched (0 when
 *        none) and sets *entry and *name_flags (NF_GAZ_* of that name; may be NULL). Tokens joined
 * by a break (NF_TOK_BREAK) never match as one name.
 */
size_t nf_gazetteer_match(const nf_gazetteer_t *g, const nf_token_t *tokens, size_t n,
                          const nf_gaz_entry_t **entry, unsigned *name_flags);

/** @brief nf_gazetteer_match with the first word's hash replaced (a word read without its
 *         clitic or case ending). */
size_t nf_gazetteer_match_as(const nf_gazetteer_t *g, uint64_t first_hash, const nf_token_t *tokens,
                             size_t n, const nf_gaz_entry_t **entry, unsigned *name_flags);

/** @brief Entry with this id, or NULL. */
const nf_gaz_entry_t *nf_gazetteer_find_id(const nf_gazetteer_t *g, const char *id);

/** @brief The index-th entry (0 <= index < nf_gazetteer_entries), or NULL. */
const nf_gaz_entry_t *nf_gazetteer_entry_at(const nf_gazetteer_t *g, size_t index);

/** @brief A number unique to this gazetteer within the process (never reused). */
uint64_t nf_gazetteer_generation(const nf_gazetteer_t *g);

/** @brief Number of entries and of names. */
size_t nf_gazetteer_entries(const nf_gazetteer_t *g);
size_t nf_gazetteer_names(const nf_gazetteer_t *g);

/** @brief Free a gazetteer from parse/load_file. NULL is fine. */
void nf_gazetteer_destroy(nf_gazetteer_t *g);

/* The user gazetteer: one per process, swapped atomically under a lock; taggers hold a
 * reference for the length of one article, so a reload never changes a record half-way. */

/**
 * @brief Load `path` as the user gazetteer (remembering the path for reloads); NULL or ""
 *        clears it. On failure the previous one stays and errstr says why.
 */
nf_err_t nf_gazetteer_user_load(const char *path, char *errstr, size_t errstr_size);

/** @brief Reload the remembered path (nothing to do: NF_OK). Keeps the old one on failure. */
nf_err_t nf_gazetteer_user_reload(char *errstr, size_t errstr_size);

/** @brief The current user gazetteer with a reference taken (NULL if none). */
nf_gazetteer_t *nf_gazetteer_user_acquire(void);

/** @brief Drop a reference taken by nf_gazetteer_user_acquire. NULL is fine. */
void nf_gazetteer_user_release(nf_gazetteer_t *g);

/** @brief Ask for a reload (async-signal-safe: call it from a SIGHUP handler). */
void nf_gazetteer_user_request_reload(void);

/** @brief 1 once if a reload was requested since the last call (clears the request). */
int nf_gazetteer_user_reload_requested(void);

/** @brief Path of the user gazetteer ("" if none), number of successful (re)loads. */
const char *nf_gazetteer_user_path(void);

#endif
