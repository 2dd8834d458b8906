/* Entity tagging bench: precision/recall/F1 per type and language on the annotated set,
 * cross-script linking (mentions of one real entity that must share an id, pairs that must
 * not), tagging throughput against the tokenizer alone in the same run, gazetteer load time.
 *
 *   build/tests/bench_entities tests/fixtures/entities/annotated.jsonl [seconds] [-v]
 *   build/tests/bench_entities tests/fixtures/entities/heldout.jsonl 1
 *   build/tests/bench_entities --corpus /tmp/corpus.jsonl 3   (time per article on news-like text)
 * -v lists every false positive, false negative, split and false merge.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "newsflow/entities.h"
#include "newsflow/gazetteer.h"

#define MAX_DOCS 1024
#define MAX_LANGS 16

typedef struct gold {
    const char *field, *type, *group, *text;
    size_t start, end;
    int article;
    char *pred_id; /* id of the predicted mention with this exact span, or NULL */
} gold_t;

typedef struct counts {
    unsigned tp, fp, fn;
} counts_t;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this thread: rates stay meaningful when other processes share the cores. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int type_index(const char *t)
{
    return strcmp(t, "PERSON") == 0 ? 0 : strcmp(t, "ORG") == 0 ? 1 : 2;
}

static void print_prf(const char *label, counts_t c)
{
    double p = c.tp + c.fp ? (double)c.tp / (c.tp + c.fp) : 0;
    double r = c.tp + c.fn ? (double)c.tp / (c.tp + c.fn) : 0;
    double f = p + r > 0 ? 2 * p * r / (p + r) : 0;
    printf(" %-8s %5.2f %5.2f %5.2f (%3u/%3u/%3u) |", label, p, r, f, c.tp, c.fp, c.fn);
}

/* Runs the set with the language known (code from the fixture) or not ("und": the script alone,
 * what the language stage gave before issue 4). Returns 0 or 1 (error). */
static double cold_seconds;
static size_t cold_bytes;

/* The language as the stage receives it: the script, and the code only when `know_language`
 * (the bench stays independent of the language stage's own accuracy). */
static void fixture_lang(const char *code, int know_language, nf_lang_t *lang)
{
    const char *script = "Latn";
    if (!strcmp(code, "ru") || !strcmp(code, "uk"))
        script = "Cyrl";
    else if (!strcmp(code, "ar") || !strcmp(code, "fa"))
        script = "Arab";
    snprintf(lang->code, sizeof(lang->code), "%s", know_language ? code : "und");
    snprintf(lang->script, sizeof(lang->script), "%s", script);
    lang->confidence = know_language ? 1.0 : 0.0;
}

static int evaluate(nf_entities_t *tagger, json_t **docs, size_t n_docs, json_t *must_not,
                    int know_language, int verbose)
{
    const char *types[3] = {"PERSON", "ORG", "LOC"};
    const char *langs[MAX_LANGS];
    size_t n_langs = 0;
    counts_t per[MAX_LANGS][3];
    memset(per, 0, sizeof(per));
    gold_t *golds = calloc(4096, sizeof(gold_t));
    size_t n_gold = 0;
    for (size_t d = 0; d < n_docs; d++) {
        json_t *doc = docs[d];
        const char *lang_code = json_string_value(json_object_get(doc, "lang"));
        size_t li;
        for (li = 0; li < n_langs && strcmp(langs[li], lang_code) != 0; li++)
            ;
        if (li == n_langs)
            langs[n_langs++] = lang_code;
        const char *title = json_string_value(json_object_get(doc, "title"));
        const char *body = json_string_value(json_object_get(doc, "body"));
        nf_lang_t lang;
        fixture_lang(lang_code, know_language, &lang);
        nf_entity_list_t out = {0};
        double t0 = cpu_now();
        if (nf_entities_tag(tagger, title, strlen(title), body, strlen(body), &lang, &out) != NF_OK)
            return 1;
        if (!know_language) { /* the first pass: every name is new to the tagger's key cache */
            cold_seconds += cpu_now() - t0;
            cold_bytes += strlen(title) + strlen(body);
        }
        json_t *gold = json_object_get(doc, "gold");
        size_t first_gold = n_gold;
        size_t gi;
        json_t *g;
        json_array_foreach(gold, gi, g)
        {
            gold_t *x = &golds[n_gold++];
            x->field = json_string_value(json_object_get(g, "field"));
            x->type = json_string_value(json_object_get(g, "type"));
            x->group = json_string_value(json_object_get(g, "group"));
            x->text = json_string_value(json_object_get(g, "text"));
            x->start = (size_t)json_integer_value(json_object_get(g, "start"));
            x->end = (size_t)json_integer_value(json_object_get(g, "end"));
            x->article = (int)d;
            x->pred_id = NULL;
        }
        for (size_t e = 0; e < out.count; e++) {
            const nf_entity_t *ent = &out.items[e];
            for (size_t m = 0; m < ent->n_mentions; m++) {
                const nf_mention_t *men = &ent->mentions[m];
                int hit = 0;
                for (size_t k = first_gold; k < n_gold; k++) {
                    gold_t *x = &golds[k];
                    if (x->start == men->start && x->end == men->end &&
                        strcmp(x->field, men->field) == 0) {
                        x->pred_id = strdup(ent->id);
                        if (strcmp(x->type, nf_entity_type_name(ent->type)) == 0) {
                            per[li][type_index(x->type)].tp++;
                            hit = 1;
                        }
                    }
                }
                if (!hit) {
                    per[li][ent->type == NF_ENTITY_PERSON ? 0
                            : ent->type == NF_ENTITY_ORG  ? 1
                                                          : 2]
                        .fp++;
                    if (verbose)
                        printf("  FP %s %s %s '%s' (%s)\n",
                               json_string_value(json_object_get(doc, "id")), men->field,
                               nf_entity_type_name(ent->type), men->text, ent->id);
                }
            }
        }
        for (size_t k = first_gold; k < n_gold; k++) {
            gold_t *x = &golds[k];
            int found = 0;
            for (size_t e = 0; e < out.count && !found; e++)
                for (size_t m = 0; m < out.items[e].n_mentions; m++) {
                    const nf_mention_t *men = &out.items[e].mentions[m];
                    if (men->start == x->start && men->end == x->end &&
                        strcmp(men->field, x->field) == 0 &&
                        strcmp(nf_entity_type_name(out.items[e].type), x->type) == 0)
                        found = 1;
                }
            if (!found) {
                per[li][type_index(x->type)].fn++;
                if (verbose)
                    printf("  FN %s %s %s '%s'\n", json_string_value(json_object_get(doc, "id")),
                           x->field, x->type, x->text);
            }
        }
        nf_entity_list_clear(&out);
    }

    printf("\nlanguage %s (lang.code %s)\n", know_language ? "known" : "unknown",
           know_language ? "from the fixture" : "\"und\", script only");
    printf("%-5s|", "lang");
    for (int t = 0; t < 3; t++)
        printf(" %-8s %5s %5s %5s (%3s/%3s/%3s) |", types[t], "P", "R", "F1", "tp", "fp", "fn");
    printf("\n");
    counts_t total[3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
    for (size_t l = 0; l < n_langs; l++) {
        printf("%-5s|", langs[l]);
        for (int t = 0; t < 3; t++) {
            print_prf(types[t], per[l][t]);
            total[t].tp += per[l][t].tp;
            total[t].fp += per[l][t].fp;
            total[t].fn += per[l][t].fn;
        }
        printf("\n");
    }
    printf("%-5s|", "all");
    for (int t = 0; t < 3; t++)
        print_prf(types[t], total[t]);
    printf("\n");

    /* Linking: every pair of gold mentions of one group in different articles. */
    unsigned pairs = 0, both_found = 0, same = 0;
    for (size_t a = 0; a < n_gold; a++)
        for (size_t b = a + 1; b < n_gold; b++) {
            if (golds[a].article == golds[b].article || strcmp(golds[a].group, golds[b].group))
                continue;
            pairs++;
            if (!golds[a].pred_id || !golds[b].pred_id)
                continue;
            both_found++;
            if (strcmp(golds[a].pred_id, golds[b].pred_id) == 0)
                same++;
            else if (verbose)
                printf("  SPLIT %s: '%s' -> %s vs '%s' -> %s\n", golds[a].group, golds[a].text,
                       golds[a].pred_id, golds[b].text, golds[b].pred_id);
        }
    unsigned must_not_pairs = 0, false_merges = 0;
    size_t mi;
    json_t *pair;
    json_array_foreach(must_not, mi, pair)
    {
        const char *ga = json_string_value(json_array_get(pair, 0));
        const char *gb = json_string_value(json_array_get(pair, 1));
        for (size_t a = 0; a < n_gold; a++)
            for (size_t b = 0; b < n_gold; b++) {
                if (strcmp(golds[a].group, ga) || strcmp(golds[b].group, gb) || !golds[a].pred_id ||
                    !golds[b].pred_id)
                    continue;
                must_not_pairs++;
                if (strcmp(golds[a].pred_id, golds[b].pred_id) == 0) {
                    false_merges++;
                    if (verbose)
                        printf("  MERGE '%s' and '%s' -> %s\n", golds[a].text, golds[b].text,
                               golds[a].pred_id);
                }
            }
    }
    printf("linking: %u/%u must-share pairs (both mentions found) share an id = %.3f "
           "(%u pairs in the set); must-not pairs: %u checked, %u false merges\n",
           same, both_found, both_found ? (double)same / both_found : 0.0, pairs, must_not_pairs,
           false_merges);
    for (size_t k = 0; k < n_gold; k++)
        free(golds[k].pred_id);
    free(golds);
    return 0;
}

/* The script of a text from its first letters beyond ASCII (Cyrillic, Arabic, else Latin):
 * what the language stage would give; the corpus has no language field. */
static const char *script_of(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == 0xD0 || c == 0xD1)
            return "Cyrl";
        if (c >= 0xD8 && c <= 0xDB)
            return "Arab";
    }
    return "Latn";
}

/* --corpus FILE [rounds]: tagging time per article over news-like JSONL without gold (e.g.
 * tests/bench/e2e/gen_bench_corpus.py's output), one long-lived tagger as in the worker, and the
 * tokenizer alone over the same bytes in the same round; the median of the rounds. */
static int corpus_mode(const char *path, int rounds)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 1;
    }
    size_t cap = 1024, n = 0, bytes = 0;
    json_t **docs = malloc(cap * sizeof(*docs));
    char *line = malloc(1 << 22);
    while (fgets(line, 1 << 22, f)) {
        json_t *d = json_loads(line, 0, NULL);
        if (!d || !json_is_string(json_object_get(d, "title")) ||
            !json_is_string(json_object_get(d, "body"))) {
            json_decref(d);
            continue;
        }
        if (n == cap)
            docs = realloc(docs, (cap *= 2) * sizeof(*docs));
        docs[n++] = d;
        bytes += strlen(json_string_value(json_object_get(d, "title"))) +
                 strlen(json_string_value(json_object_get(d, "body")));
    }
    fclose(f);
    free(line);
    char err[512];
    nf_entities_t *tagger = nf_entities_new(err, sizeof(err));
    if (!tagger || !n) {
        fprintf(stderr, "%s\n", tagger ? "no articles" : err);
        return 1;
    }
    nf_token_t *toks = malloc(65536 * sizeof(nf_token_t));
    double tag_us[64], tok_us[64];
    size_t sink = 0;
    if (rounds > 64)
        rounds = 64;
    for (int r = 0; r < rounds; r++) {
        double t0 = cpu_now();
        for (size_t d = 0; d < n; d++) {
            const char *title = json_string_value(json_object_get(docs[d], "title"));
            const char *body = json_string_value(json_object_get(docs[d], "body"));
            sink += nf_tokenize(title, strlen(title), toks, 65536) +
                    nf_tokenize(body, strlen(body), toks, 65536);
        }
        double t1 = cpu_now();
        for (size_t d = 0; d < n; d++) {
            const char *title = json_string_value(json_object_get(docs[d], "title"));
            const char *body = json_string_value(json_object_get(docs[d], "body"));
            nf_lang_t lang = {.confidence = 0};
            snprintf(lang.code, sizeof(lang.code), "und");
            snprintf(lang.script, sizeof(lang.script), "%s", script_of(body));
            nf_entity_list_t out = {0};
            nf_entities_tag(tagger, title, strlen(title), body, strlen(body), &lang, &out);
            sink += out.count;
            nf_entity_list_clear(&out);
        }
        double t2 = cpu_now();
        tok_us[r] = (t1 - t0) / n * 1e6;
        tag_us[r] = (t2 - t1) / n * 1e6;
    }
    qsort(tag_us, (size_t)rounds, sizeof(double), cmp_double);
    qsort(tok_us, (size_t)rounds, sizeof(double), cmp_double);
    double tag = tag_us[rounds / 2], tok = tok_us[rounds / 2];
    printf("corpus %s: %zu articles, %.0f bytes/article (sink %zu)\n", path, n, (double)bytes / n,
           sink);
    printf("tagging (thread CPU, median of %d rounds, round 1 meets every name new): %.1f "
           "us/article = %.1f MB/s; tokenizer alone %.1f us/article = %.1f MB/s; "
           "tagging/tokenizer time = %.1f\n",
           rounds, tag, (double)bytes / n / tag, tok, (double)bytes / n / tok, tag / tok);
    free(toks);
    for (size_t d = 0; d < n; d++)
        json_decref(docs[d]);
    free(docs);
    nf_entities_destroy(tagger);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--corpus") == 0)
        return corpus_mode(argv[2], argc > 3 ? atoi(argv[3]) : 3);
    if (argc < 2) {
        fprintf(
            stderr,
            "usage: %s annotated.jsonl [seconds] [-v]\n       %s --corpus FILE.jsonl [rounds]\n",
            argv[0], argv[0]);
        return 2;
    }
    double seconds = argc > 2 ? atof(argv[2]) : 3.0;
    int verbose = argc > 3 && strcmp(argv[3], "-v") == 0;
    char err[512];
    uint64_t load_ns = 0;
    double t0 = now(), c0 = cpu_now();
    const nf_gazetteer_t *g = nf_gazetteer_builtin(&load_ns, err, sizeof(err));
    double c1 = cpu_now();
    if (!g) {
        fprintf(stderr, "gazetteer: %s\n", err);
        return 1;
    }
    nf_entities_t *tagger = nf_entities_new(err, sizeof(err));
    double t1 = now();
    if (!tagger) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    printf("built-in gazetteer: %zu entries, %zu names, built in %.1f ms wall / %.1f ms CPU "
           "(tagger ready after %.1f ms wall)\n",
           nf_gazetteer_entries(g), nf_gazetteer_names(g), load_ns / 1e6, (c1 - c0) * 1e3,
           (t1 - t0) * 1e3);

    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    json_t *docs[MAX_DOCS];
    size_t n_docs = 0;
    json_t *must_not = NULL;
    char line[1 << 16];
    while (fgets(line, sizeof(line), f) && n_docs < MAX_DOCS) {
        json_error_t jerr;
        json_t *doc = json_loads(line, 0, &jerr);
        if (!doc) {
            fprintf(stderr, "%s: %s\n", argv[1], jerr.text);
            return 1;
        }
        if (json_object_get(doc, "must_not")) {
            must_not = json_incref(json_object_get(doc, "must_not"));
            json_decref(doc);
            continue;
        }
        docs[n_docs++] = doc;
    }
    fclose(f);
    size_t mentions = 0;
    for (size_t d = 0; d < n_docs; d++)
        mentions += json_array_size(json_object_get(docs[d], "gold"));
    printf("annotated set: %zu articles, %zu gold mentions\n", n_docs, mentions);

    if (evaluate(tagger, docs, n_docs, must_not, 0, verbose) ||
        evaluate(tagger, docs, n_docs, must_not, 1, 0))
        return 1;

    /* Throughput: the whole set again and again; baseline: the tokenizer alone over the same
     * bytes (the floor any tagger built on it pays). */
    size_t bytes_per_pass = 0;
    for (size_t d = 0; d < n_docs; d++)
        bytes_per_pass += strlen(json_string_value(json_object_get(docs[d], "title"))) +
                          strlen(json_string_value(json_object_get(docs[d], "body")));
    nf_token_t *toks = malloc(8192 * sizeof(nf_token_t));
    /* Rounds alternate the three loops and keep each one's best rate, so a neighbour's load
     * on a shared machine skews the ratio less. */
    double rates[2] = {0, 0}; /* tokenizer, tagging (the script found beforehand) */
    nf_lang_t *langs = calloc(n_docs, sizeof(nf_lang_t));
    for (size_t d = 0; d < n_docs; d++) {
        fixture_lang(json_string_value(json_object_get(docs[d], "lang")), 0, &langs[d]);
    }
    size_t sink = 0;
    for (int round = 0; round < 6; round++) {
        for (int mode = 0; mode < 2; mode++) {
            size_t bytes = 0;
            double start = cpu_now(), elapsed;
            do {
                for (size_t d = 0; d < n_docs; d++) {
                    const char *title = json_string_value(json_object_get(docs[d], "title"));
                    const char *body = json_string_value(json_object_get(docs[d], "body"));
                    size_t tl = strlen(title), bl = strlen(body);
                    if (mode == 0) {
                        sink +=
                            nf_tokenize(title, tl, toks, 8192) + nf_tokenize(body, bl, toks, 8192);
                    } else {
                        nf_entity_list_t out = {0};
                        nf_entities_tag(tagger, title, tl, body, bl, &langs[d], &out);
                        sink += out.count;
                        nf_entity_list_clear(&out);
                    }
                    bytes += tl + bl;
                }
                elapsed = cpu_now() - start;
            } while (elapsed < seconds / 12);
            double rate = bytes / elapsed / 1e6;
            if (rate > rates[mode])
                rates[mode] = rate;
        }
    }
    if (sink == 0)
        printf("(nothing found)\n");
    printf("\nthroughput (single thread, thread CPU time, best of 6 rounds, %zu-byte passes over "
           "the set, title + "
           "body bytes): warm tagging %.1f MB/s, tokenizer alone %.1f MB/s; tagging/tokenizer = "
           "%.2f\n",
           bytes_per_pass, rates[1], rates[0], rates[1] / rates[0]);
    /* A fresh tagger after all that: its key cache is empty but ICU's own lazy set-up is done,
     * which is what a long-running worker meeting new names sees. One pass per tagger; the
     * median of at least 15 taggers (a pass is ~1 ms: the best one would flatter). */
    double fresh_rates[256];
    int n_fresh = 0;
    double fresh_budget = cpu_now() + seconds / 4;
    while (n_fresh < 256 && (n_fresh < 15 || cpu_now() < fresh_budget)) {
        nf_entities_t *fresh = nf_entities_new(err, sizeof(err));
        if (!fresh)
            break;
        /* A new tagger opens ICU transliterators, which evicts the shared gazetteer and
         * lexicon from the CPU caches; a worker's tagger meets new names with them warm. One
         * untimed pass of the warm tagger restores that; the fresh tagger's own key cache
         * stays empty. */
        for (size_t d = 0; d < n_docs; d++) {
            const char *title = json_string_value(json_object_get(docs[d], "title"));
            const char *body = json_string_value(json_object_get(docs[d], "body"));
            nf_entity_list_t out = {0};
            nf_entities_tag(tagger, title, strlen(title), body, strlen(body), &langs[d], &out);
            nf_entity_list_clear(&out);
        }
        double fresh_start = cpu_now();
        size_t fresh_bytes = 0;
        for (size_t d = 0; d < n_docs; d++) {
            const char *title = json_string_value(json_object_get(docs[d], "title"));
            const char *body = json_string_value(json_object_get(docs[d], "body"));
            nf_entity_list_t out = {0};
            nf_entities_tag(fresh, title, strlen(title), body, strlen(body), &langs[d], &out);
            nf_entity_list_clear(&out);
            fresh_bytes += strlen(title) + strlen(body);
        }
        fresh_rates[n_fresh++] = fresh_bytes / (cpu_now() - fresh_start) / 1e6;
        nf_entities_destroy(fresh);
    }
    qsort(fresh_rates, (size_t)n_fresh, sizeof(double), cmp_double);
    double fresh_rate = n_fresh ? fresh_rates[n_fresh / 2] : 0;
    free(langs);
    printf("cold (every name new to the key cache, a fresh tagger per pass, median of %d): "
           "%.1f MB/s; cold/tokenizer = %.2f; cold/warm = %.2f\n",
           n_fresh, fresh_rate, fresh_rate / rates[0], fresh_rate / rates[1]);
    printf("the process's first pass (ICU's own lazy set-up included): %.1f MB/s\n",
           cold_bytes / cold_seconds / 1e6);
    free(toks);
    for (size_t d = 0; d < n_docs; d++)
        json_decref(docs[d]);
    json_decref(must_not);
    nf_entities_destroy(tagger);
    return 0;
}
