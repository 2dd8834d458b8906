/* nf-langid-train: builds worker/langid_model.c from lang<TAB>text lines (prepare_udhr.py).
 *
 *   nf-langid-train TRAIN.tsv OUT.c [--alpha A] [--min-count N]
 *
 * Naive Bayes with additive smoothing: a language's weight for a feature it has seen c times is
 * log((c + alpha) / (N + alpha V)), and log(alpha / (N + alpha V)) (its floor) for any other,
 * where N is the language's feature count and V the distinct features of that order. Only the
 * difference to the floor, log(1 + c / alpha), is stored per (feature, language), quantised to
 * 9 bits; floors are stored per language and order. Scripts that only one language of the
 * training set is written in (Greek, Thai, ...) get no features: the script answers alone.
 * Uses the detector's own feature walk (nf_langid_features), so training and detection see
 * exactly the same features. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../langid_model.h"
#include "newsflow/langid.h"

#define MAX_SCRIPTS 64
#define WEIGHT_SCALE 32 /* units per nat: 9 bits hold up to 16 nats */
#define DENSE_MIN 12    /* features seen in this many languages get a dense row */

typedef struct para {
    unsigned lang;
    char *text;
    size_t len;
    int script; /* index into script_names */
} para_t;

typedef struct entry {
    uint64_t id; /* key << 8 | lang, 0 = empty */
    uint32_t count;
    uint8_t order;
} entry_t;

static char langs[NF_LID_MAX_LANGS][8];
static unsigned n_langs;
static char script_names[MAX_SCRIPTS][8];
static unsigned n_scripts;
static entry_t *table;
static size_t table_mask;
static size_t table_used;
static unsigned current_lang;

static void die(const char *what)
{
    fprintf(stderr, "nf-langid-train: %s\n", what);
    exit(1);
}

static unsigned lang_index(const char *code)
{
    for (unsigned i = 0; i < n_langs; i++)
        if (!strcmp(langs[i], code))
            return i;
    if (n_langs == NF_LID_MAX_LANGS || strlen(code) >= sizeof(langs[0]))
        die("too many languages or a code longer than 7 bytes");
    snprintf(langs[n_langs], sizeof(langs[0]), "%s", code);
    return n_langs++;
}

static int script_index(const char *name)
{
    for (unsigned i = 0; i < n_scripts; i++)
        if (!strcmp(script_names[i], name))
            return (int)i;
    if (n_scripts == MAX_SCRIPTS)
        die("too many scripts");
    snprintf(script_names[n_scripts], sizeof(script_names[0]), "%s", name);
    return (int)n_scripts++;
}

static uint64_t hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static void count_feature(void *ctx, uint32_t key, unsigned order)
{
    (void)ctx;
    uint64_t id = (uint64_t)key << 8 | current_lang;
    for (size_t slot = hash64(id) & table_mask;; slot = (slot + 1) & table_mask) {
        if (table[slot].id == id) {
            table[slot].count++;
            return;
        }
        if (!table[slot].id) {
            if (++table_used > table_mask / 2)
                die("feature table full");
            table[slot].id = id;
            table[slot].count = 1;
            table[slot].order = (uint8_t)order;
            return;
        }
    }
}

static int by_id(const void *a, const void *b)
{
    const entry_t *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: nf-langid-train TRAIN.tsv OUT.c [--alpha A] [--min-count N]\n");
        return 2;
    }
    double alpha = 0.5;
    unsigned min_count = 3;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--alpha"))
            alpha = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--min-count"))
            min_count = (unsigned)atoi(argv[i + 1]);
        else
            die("unknown option");
    }
    FILE *in = fopen(argv[1], "r");
    if (!in)
        die(strerror(errno));
    para_t *paras = NULL;
    size_t n_paras = 0, cap = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t got;
    while ((got = getline(&line, &line_cap, in)) > 0) {
        char *tab = memchr(line, '\t', (size_t)got);
        if (!tab)
            continue;
        *tab = '\0';
        if (n_paras == cap) {
            cap = cap ? cap * 2 : 1024;
            paras = realloc(paras, cap * sizeof(*paras));
            if (!paras)
                die("out of memory");
        }
        para_t *p = &paras[n_paras++];
        p->lang = lang_index(line);
        p->len = (size_t)got - (size_t)(tab + 1 - line);
        p->text = strndup(tab + 1, p->len);
        if (!p->text)
            die("out of memory");
    }
    free(line);
    fclose(in);

    /* Pass A: which scripts each language is written in (dominant in >= 10% of its text). */
    static unsigned per_script[NF_LID_MAX_LANGS][MAX_SCRIPTS], per_lang[NF_LID_MAX_LANGS];
    for (size_t i = 0; i < n_paras; i++) {
        char script[8];
        size_t letters = nf_langid_features(paras[i].text, paras[i].len, NULL, NULL, script);
        paras[i].script = letters ? script_index(script) : -1;
        if (paras[i].script >= 0) {
            per_script[paras[i].lang][paras[i].script]++;
            per_lang[paras[i].lang]++;
        }
    }
    static int writes[NF_LID_MAX_LANGS][MAX_SCRIPTS];
    unsigned script_langs[MAX_SCRIPTS] = {0};
    for (unsigned l = 0; l < n_langs; l++)
        for (unsigned s = 0; s < n_scripts; s++)
            if (per_script[l][s] * 10 >= per_lang[l] && per_script[l][s] >= 2) {
                writes[l][s] = 1;
                script_langs[s]++;
            }

    /* Pass B: feature counts, for scripts shared by several languages. */
    table_mask = (1u << 23) - 1;
    table = calloc(table_mask + 1, sizeof(*table));
    if (!table)
        die("out of memory");
    for (size_t i = 0; i < n_paras; i++) {
        int s = paras[i].script;
        if (s < 0 || !writes[paras[i].lang][s] || script_langs[s] < 2)
            continue;
        current_lang = paras[i].lang;
        char script[8];
        nf_langid_features(paras[i].text, paras[i].len, count_feature, NULL, script);
    }

    /* Totals per language and order, distinct features per order. */
    static double totals[NF_LID_MAX_LANGS][NF_LANGID_ORDERS];
    double distinct[NF_LANGID_ORDERS] = {0};
    size_t n_entries = 0;
    for (size_t slot = 0; slot <= table_mask; slot++) {
        if (!table[slot].id)
            continue;
        totals[table[slot].id & 0xff][table[slot].order] += table[slot].count;
        table[n_entries++] = table[slot];
    }
    qsort(table, n_entries, sizeof(*table), by_id);
    for (size_t i = 0; i < n_entries; i++)
        if (i == 0 || table[i].id >> 8 != table[i - 1].id >> 8)
            distinct[table[i].order]++;

    /* Kept postings, grouped by key (the entries are sorted by key, then language). */
    size_t n_keys = 0, n_postings = 0;
    for (size_t i = 0; i < n_entries; i++) {
        if (table[i].count < min_count)
            continue;
        if (n_postings == 0 || table[i].id >> 8 != table[n_postings - 1].id >> 8)
            n_keys++;
        table[n_postings++] = table[i];
    }
    unsigned bits = 10;
    while ((1u << bits) * 3 / 4 < n_keys)
        bits++;
    uint32_t *keys = calloc(1u << bits, sizeof(uint32_t));
    uint32_t *post = calloc(1u << bits, sizeof(uint32_t));
    uint16_t *postings = calloc(n_postings + 1, sizeof(uint16_t));
    uint8_t *dense = calloc(n_keys + 1, n_langs);
    size_t n_dense = 0, n_sparse = 0;
    if (!keys || !post || !postings || !dense)
        die("out of memory");
    for (size_t i = 0; i < n_postings;) {
        uint32_t key = (uint32_t)(table[i].id >> 8);
        size_t first = i;
        for (; i < n_postings && (uint32_t)(table[i].id >> 8) == key; i++) {
            double delta = log(1.0 + table[i].count / alpha) * WEIGHT_SCALE + 0.5;
            unsigned w = delta > NF_LID_WEIGHT_MAX ? NF_LID_WEIGHT_MAX : (unsigned)delta;
            postings[i] = (uint16_t)((table[i].id & 0xff) << NF_LID_WEIGHT_BITS | w);
        }
        uint32_t mask = (1u << bits) - 1, slot = key & mask;
        while (keys[slot])
            slot = (slot + 1) & mask;
        keys[slot] = key;
        if (i - first >= DENSE_MIN) { /* a row of weights, capped at 8 bits */
            uint8_t *row = dense + n_dense * n_langs;
            for (size_t k = first; k < i; k++) {
                unsigned w = postings[k] & NF_LID_WEIGHT_MAX;
                row[postings[k] >> NF_LID_WEIGHT_BITS] = (uint8_t)(w > 255 ? 255 : w);
            }
            post[slot] = (uint32_t)n_dense++ << 8;
        } else {
            memmove(postings + n_sparse, postings + first, (i - first) * sizeof(uint16_t));
            post[slot] = (uint32_t)n_sparse << 8 | (uint32_t)(i - first);
            n_sparse += i - first;
        }
    }

    FILE *out = fopen(argv[2], "w");
    if (!out)
        die(strerror(errno));
    fprintf(out,
            "/* Generated by nf-langid-train from the UDHR (worker/tools/langid/README.md): do "
            "not edit.\n * %u languages, %zu features, %zu sparse postings, alpha %.2f, min count "
            "%u. */\n#include \"../langid_model.h\"\n\n",
            n_langs, n_keys, n_sparse, alpha, min_count);
    fprintf(out, "static const char codes[][8] = {");
    for (unsigned l = 0; l < n_langs; l++)
        fprintf(out, "%s\"%s\",", l % 12 ? " " : "\n    ", langs[l]);
    fprintf(out, "\n};\n\nstatic const char scripts[][32] = {\n");
    for (unsigned l = 0; l < n_langs; l++) {
        char list[32] = "";
        for (unsigned s = 0; s < n_scripts; s++)
            if (writes[l][s] && strlen(list) + 6 < sizeof(list)) {
                if (list[0])
                    strcat(list, " ");
                strcat(list, script_names[s]);
            }
        fprintf(out, "    \"%s\", /* %s */\n", list, langs[l]);
    }
    fprintf(out, "};\n\nstatic const int32_t floors[][NF_LANGID_ORDERS] = {\n");
    for (unsigned l = 0; l < n_langs; l++) {
        fprintf(out, "    {");
        for (unsigned o = 0; o < NF_LANGID_ORDERS; o++) {
            double f = distinct[o] > 0 /* an order the walk does not emit has no floor */
                           ? log(alpha / (totals[l][o] + alpha * distinct[o])) * WEIGHT_SCALE
                           : 0.0;
            fprintf(out, "%s%ld", o ? ", " : "", lround(f));
        }
        fprintf(out, "},\n");
    }
    fprintf(out, "};\n\nstatic const uint32_t table[] = {");
    for (size_t i = 0; i < (1u << bits); i++)
        fprintf(out, "%s0x%x,0x%x,", i % 5 ? "" : "\n", keys[i], post[i]);
    fprintf(out, "\n};\n\nstatic const uint16_t postings[] = {");
    for (size_t i = 0; i < n_sparse; i++)
        fprintf(out, "%s%u,", i % 16 ? "" : "\n", postings[i]);
    fprintf(out, "\n};\n\nstatic const uint8_t dense[] = {");
    for (size_t i = 0; i < n_dense * n_langs; i++)
        fprintf(out, "%s%u,", i % 24 ? "" : "\n", dense[i]);
    fprintf(out,
            "\n};\n\nconst nf_lid_model_t nf_lid_model = {\n"
            "    .n_langs = %u,\n    .codes = codes,\n    .scripts = scripts,\n"
            "    .floors = floors,\n    .weight_scale = %d,\n    .table_bits = %u,\n"
            "    .table = table,\n    .postings = postings,\n"
            "    .n_postings = %zu,\n    .dense = dense,\n    .n_dense = %zu,\n};\n",
            n_langs, WEIGHT_SCALE, bits, n_sparse, n_dense);
    if (fclose(out) != 0)
        die("write failed");
    fprintf(stderr,
            "nf-langid-train: %u languages, %zu features (%zu dense rows), %zu sparse postings, "
            "table 2^%u\n",
            n_langs, n_keys, n_dense, n_sparse, bits);
    return 0;
}
