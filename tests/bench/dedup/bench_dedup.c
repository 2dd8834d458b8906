/* Dedup and story benchmark.
 *
 *   bench_dedup quality FIXTURE.jsonl TRUTH.tsv   near-duplicate P/R per threshold, story
 *                                                 B-cubed P/R/F1, hard-negative merges
 *   bench_dedup scale N                           N articles in the window: adds/s, index
 *                                                 lookups/s, RSS (run each N in its own process)
 *   bench_dedup explain FIXTURE TRUTH A B         the links between articles of events A and B:
 *                                                 the shared name keys (with the entity ids and
 *                                                 tokens that made them) and the shared facts
 *
 * tests/bench/dedup/run.sh runs both and prints the README table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "newsflow/alloc.h"
#include "newsflow/chain.h"
#include "newsflow/config.h"
#include "newsflow/numbers.h"
#include "newsflow/story.h"

typedef struct art {
    char id[64];
    nf_fingerprint_t fp;
    int event, hard_of;
    char group[64];
    char kind[16];
    nf_story_decision_t d;
    char story[NF_STORY_ID_LEN];
    char *body; /* the analysed text (explain) */
    nf_lang_t lang;
    char **ent_ids; /* entity ids (explain) */
    size_t n_ents;
} art_t;

static art_t *arts;
static size_t n_arts;

static art_t *find(const char *id)
{
    for (size_t i = 0; i < n_arts; i++)
        if (strcmp(arts[i].id, id) == 0)
            return &arts[i];
    return NULL;
}

static int load(const char *fixture, const char *truth)
{
    char err[256];
    nf_config_t *cfg = nf_config_new();
    nf_chain_t *chain = nf_chain_new(cfg, err, sizeof(err));
    if (!chain) {
        fprintf(stderr, "chain: %s\n", err);
        return -1;
    }
    FILE *f = fopen(fixture, "r");
    FILE *t = fopen(truth, "r");
    if (!f || !t) {
        perror("open");
        return -1;
    }
    size_t cap = 1024;
    arts = calloc(cap, sizeof(art_t));
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    nf_enriched_t e;
    memset(&e, 0, sizeof(e));
    while ((len = getline(&line, &lcap, f)) > 0) {
        nf_reject_t rej;
        if (nf_chain_process(chain, line, (size_t)len, &e, &rej) != NF_OK)
            continue;
        if (n_arts == cap) {
            cap *= 2;
            arts = realloc(arts, cap * sizeof(art_t));
        }
        art_t *a = &arts[n_arts++];
        memset(a, 0, sizeof(*a));
        snprintf(a->id, sizeof(a->id), "%s", e.article.id);
        a->fp = e.fp;
        a->hard_of = -1;
        a->body = strndup(e.body.data, e.body.len);
        a->lang = e.lang;
        a->n_ents = e.entities.count;
        a->ent_ids = calloc(a->n_ents + 1, sizeof(char *));
        for (size_t k = 0; k < a->n_ents; k++)
            a->ent_ids[k] = strdup(e.entities.items[k].id);
    }
    nf_enriched_free(&e);
    char row[512];
    if (!fgets(row, sizeof(row), t)) /* header */
        return -1;
    while (fgets(row, sizeof(row), t)) {
        char id[64], group[64], kind[16], hard[16] = "";
        int event;
        row[strcspn(row, "\n")] = '\0';
        char *fields[5] = {0};
        char *p = row;
        for (int i = 0; i < 5; i++) {
            fields[i] = p;
            char *tab = p ? strchr(p, '\t') : NULL;
            if (tab)
                *tab = '\0';
            p = tab ? tab + 1 : NULL;
        }
        if (!fields[3])
            continue;
        snprintf(id, sizeof(id), "%.63s", fields[0]);
        event = atoi(fields[1]);
        snprintf(group, sizeof(group), "%.63s", fields[2]);
        snprintf(kind, sizeof(kind), "%.15s", fields[3]);
        if (fields[4])
            snprintf(hard, sizeof(hard), "%.15s", fields[4]);
        art_t *a = find(id);
        if (!a)
            continue;
        a->event = event;
        snprintf(a->group, sizeof(a->group), "%s", group);
        snprintf(a->kind, sizeof(a->kind), "%s", kind);
        a->hard_of = hard[0] ? atoi(hard) : -1;
    }
    free(line);
    fclose(f);
    fclose(t);
    nf_chain_destroy(chain);
    nf_config_destroy(cfg);
    return 0;
}

static void free_arts(void)
{
    for (size_t i = 0; i < n_arts; i++) {
        free(arts[i].body);
        for (size_t k = 0; k < arts[i].n_ents; k++)
            free(arts[i].ent_ids[k]);
        free(arts[i].ent_ids);
    }
    free(arts);
    arts = NULL;
    n_arts = 0;
}

typedef struct result {
    double near_p, near_r, exact_p, exact_r, all_p, all_r;
    double b3_p, b3_r, b3_f1;
    int hard_pairs, hard_merged;
    size_t stories;
} result_t;

static result_t evaluate(const nf_match_params_t *params)
{
    char err[128];
    nf_story_index_t *x = nf_story_index_new(100000, params, err, sizeof(err));
    for (size_t i = 0; i < n_arts; i++)
        nf_story_index_add(x, arts[i].id, &arts[i].fp, &arts[i].d);
    for (size_t i = 0; i < n_arts; i++)
        nf_story_index_current(x, arts[i].d.handle, arts[i].story);
    nf_story_index_destroy(x);

    result_t r;
    memset(&r, 0, sizeof(r));
    int pred[3] = {0}, truth[3] = {0}, ok[3] = {0}; /* 0 exact, 1 near, 2 any */
    for (size_t i = 0; i < n_arts; i++) {
        const art_t *a = &arts[i];
        int t_exact = strcmp(a->kind, "exact_copy") == 0,
            t_near = strcmp(a->kind, "light_edit") == 0;
        int p_exact = a->d.dedup.status == NF_DEDUP_EXACT,
            p_near = a->d.dedup.status == NF_DEDUP_NEAR;
        const art_t *orig = p_exact || p_near ? find(a->d.dedup.duplicate_of) : NULL;
        int right = orig && strcmp(orig->group, a->group) == 0;
        truth[0] += t_exact, truth[1] += t_near, truth[2] += t_exact || t_near;
        pred[0] += p_exact, pred[1] += p_near, pred[2] += p_exact || p_near;
        ok[0] += p_exact && right && t_exact;
        ok[1] += p_near && right && t_near;
        ok[2] += (p_exact || p_near) && right && (t_exact || t_near);
    }
#define RATIO(a, b) ((b) ? (double)(a) / (double)(b) : 1.0)
    r.exact_p = RATIO(ok[0], pred[0]), r.exact_r = RATIO(ok[0], truth[0]);
    r.near_p = RATIO(ok[1], pred[1]), r.near_r = RATIO(ok[1], truth[1]);
    r.all_p = RATIO(ok[2], pred[2]), r.all_r = RATIO(ok[2], truth[2]);
    double sp = 0, sr = 0;
    for (size_t i = 0; i < n_arts; i++) {
        int c = 0, t = 0, both = 0;
        for (size_t j = 0; j < n_arts; j++) {
            int same_c = strcmp(arts[i].story, arts[j].story) == 0;
            int same_t = arts[i].event == arts[j].event;
            c += same_c, t += same_t, both += same_c && same_t;
        }
        sp += (double)both / c;
        sr += (double)both / t;
    }
    r.b3_p = sp / (double)n_arts;
    r.b3_r = sr / (double)n_arts;
    r.b3_f1 = 2 * r.b3_p * r.b3_r / (r.b3_p + r.b3_r);
    /* hard negatives: an event that must stay apart from the event it imitates */
    int seen[4096] = {0};
    for (size_t i = 0; i < n_arts; i++) {
        const art_t *a = &arts[i];
        if (a->hard_of < 0 || a->event >= 4096 || seen[a->event])
            continue;
        seen[a->event] = 1;
        r.hard_pairs++;
        int merged = 0;
        for (size_t j = 0; j < n_arts && !merged; j++)
            if (arts[j].event == a->hard_of)
                for (size_t k = 0; k < n_arts && !merged; k++)
                    merged = arts[k].event == a->event && strcmp(arts[k].story, arts[j].story) == 0;
        r.hard_merged += merged;
    }
    for (size_t i = 0; i < n_arts; i++) {
        int first = 1;
        for (size_t j = 0; j < i && first; j++)
            first = strcmp(arts[i].story, arts[j].story) != 0;
        r.stories += first;
    }
    return r;
}

static int quality(const char *fixture, const char *truth)
{
    if (load(fixture, truth) != 0)
        return 1;
    int events = 0;
    for (size_t i = 0; i < n_arts; i++)
        if (arts[i].event + 1 > events)
            events = arts[i].event + 1;
    printf("fixture: %zu articles, %d events\n\n", n_arts, events);
    nf_match_params_t p = nf_match_params_default();
    printf("near-duplicate threshold curve (estimated Jaccard of word 2-shingles):\n");
    printf("| threshold | near P | near R | exact P | exact R | all copies P | all copies R |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (int t = 30; t <= 95; t += 5) {
        nf_match_params_t q = p;
        q.near_threshold = t / 100.0;
        result_t r = evaluate(&q);
        printf("| %.2f%s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", q.near_threshold,
               t == (int)(p.near_threshold * 100 + 0.5) ? " (default)" : "", r.near_p, r.near_r,
               r.exact_p, r.exact_r, r.all_p, r.all_r);
    }
    printf("\nstory clustering (B-cubed over events) by story rule:\n");
    printf("| names needed with a shared fact | names needed without one (99: never) | window h | "
           "B3 P | B3 R | "
           "B3 F1 | stories | hard negatives merged |\n");
    printf("|---|---|---|---|---|---|---|---|\n");
    int rules[][2] = {{1, 99}, {2, 99}, {3, 99}, {2, 4}, {3, 5}};
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        nf_match_params_t q = p;
        q.story_min_names = rules[i][0];
        q.story_names_no_fact = rules[i][1];
        result_t r = evaluate(&q);
        int is_default = q.story_min_names == p.story_min_names &&
                         q.story_names_no_fact == p.story_names_no_fact;
        printf("| %d%s | %d | %lld | %.3f | %.3f | %.3f | %zu | %d of %d |\n", q.story_min_names,
               is_default ? " (default)" : "", q.story_names_no_fact,
               (long long)(q.window_s / 3600), r.b3_p, r.b3_r, r.b3_f1, r.stories, r.hard_merged,
               r.hard_pairs);
    }
    if (getenv("BENCH_VERBOSE")) {
        result_t r = evaluate(&p);
        (void)r;
        for (size_t i = 0; i < n_arts; i++)
            printf("%s\t%d\t%s\t%s\t%s\t%.2f\t%s\n", arts[i].id, arts[i].event, arts[i].kind,
                   nf_dedup_status_name(arts[i].d.dedup.status), arts[i].d.dedup.duplicate_of,
                   arts[i].d.dedup.similarity, arts[i].story);
    }
    free_arts();
    return 0;
}

/* ---- scale ---- */

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static long rss_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t fl = strlen(field);
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, field, fl) == 0)
            v = strtol(line + fl + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Synthetic stream: stories of 8 articles (two exact copies, a near copy, five other
 * languages/wordings) within hours of each other; 5 name keys per story from a pool that grows
 * with the stream, plus one of 100 "everyday" names in every article. */
static void synth(size_t i, nf_fingerprint_t *fp, char *id, size_t id_cap)
{
    size_t story = i / 8, member = i % 8;
    memset(fp, 0, sizeof(*fp));
    fp->t = 1700000000 + (int64_t)(i / 4); /* 4 articles per second: 1e6 in ~72 h */
    fp->lang_key = (uint32_t)(member < 3 ? 1 : member);
    uint64_t base = story * 0x9E3779B97F4A7C15ULL;
    for (int k = 0; k < NF_MINHASH_K; k++)
        fp->minhash[k] = (uint8_t)((base >> (k % 56)) ^ (member >= 3 ? rnd() : 0));
    for (int b = 0; b < NF_NEAR_BANDS; b++)
        fp->bands[b] = member < 3 ? (uint32_t)(base >> 20) + (uint32_t)b : (uint32_t)rnd();
    if (member == 2)
        fp->bands[0] ^= 1;
    memcpy(fp->exact, &base, sizeof(base));
    if (member == 2 || member >= 3)
        fp->exact[9] = (uint8_t)member;
    fp->n_names = 6;
    for (int n = 0; n < 5; n++)
        fp->names[n] = (uint32_t)(story * 5 + (size_t)n) * 2654435761u;
    fp->names[5] = (uint32_t)(rnd() % 100) + 7;
    fp->n_facts = 2;
    fp->facts[0] = (uint32_t)story * 7919u;
    fp->facts[1] = (uint32_t)story * 104729u;
    snprintf(id, id_cap, "a-%zu", i);
}

static int scale(size_t n)
{
    long rss0 = rss_kib("VmRSS:");
    char err[128];
    nf_match_params_t p = nf_match_params_default();
    nf_story_index_t *x = nf_story_index_new(n, &p, err, sizeof(err));
    if (!x) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    nf_fingerprint_t fp;
    nf_story_decision_t d;
    char id[32];
    /* fill the window, then time 100,000 more articles (the window stays full: the oldest go) */
    for (size_t i = 0; i < n; i++) {
        synth(i, &fp, id, sizeof(id));
        nf_story_index_add(x, id, &fp, &d);
    }
    size_t timed = 100000;
    uint64_t l0 = nf_story_index_lookups(x);
    double t0 = now_s();
    size_t dups = 0;
    for (size_t i = n; i < n + timed; i++) {
        synth(i, &fp, id, sizeof(id));
        nf_story_index_add(x, id, &fp, &d);
        dups += d.dedup.status != NF_DEDUP_UNIQUE;
    }
    double dt = now_s() - t0;
    uint64_t lookups = nf_story_index_lookups(x) - l0;
    long hwm = rss_kib("VmHWM:");
    printf("%zu\t%.0f\t%.0f\t%.2f\t%.1f\t%.1f\t%zu\n", n, timed / dt, lookups / dt,
           dt / timed * 1e6, hwm / 1024.0, (hwm - rss0) / 1024.0, nf_story_index_size(x));
    (void)dups;
    nf_story_index_destroy(x);
    return 0;
}

/* ---- explain: why articles of two events link ---- */

typedef struct labelled {
    uint32_t key; /* NF_NAME_ID of a name key */
    char label[96];
} labelled_t;

/* The name keys of an article with what made them: an entity id, or a token of the text (each
 * token fingerprinted alone after a sentence-initial stop word, so its casing rule applies). */
static size_t name_labels(nf_fingerprinter_t *f, const art_t *a, labelled_t *out, size_t cap)
{
    size_t n = 0;
    nf_fingerprint_t fp;
    for (size_t k = 0; k < a->n_ents && n < cap; k++) {
        nf_entity_t ent;
        memset(&ent, 0, sizeof(ent));
        ent.id = a->ent_ids[k];
        nf_entity_list_t one = {&ent, 1};
        if (nf_fingerprint_compute(f, "", 0, NULL, &a->lang, &one, &fp) == NF_OK && fp.n_names) {
            out[n].key = NF_NAME_ID(fp.names[0]);
            snprintf(out[n++].label, sizeof(out[0].label), "entity %.80s", ent.id);
        }
    }
    const char *s = a->body;
    while (*s && n < cap) {
        const char *e = s;
        while (*e && ((unsigned char)*e >= 0x80 || (*e >= '0' && *e <= '9') ||
                      ((*e | 0x20) >= 'a' && (*e | 0x20) <= 'z') || *e == '-'))
            e++;
        if (e > s && e - s < 80) {
            char text[96];
            snprintf(text, sizeof(text), "The %.*s", (int)(e - s), s);
            if (nf_fingerprint_compute(f, text, strlen(text), NULL, &a->lang, NULL, &fp) == NF_OK &&
                fp.n_names) {
                int dup = 0;
                for (size_t k = 0; k < n; k++)
                    dup |= out[k].key == NF_NAME_ID(fp.names[0]);
                if (!dup) {
                    out[n].key = NF_NAME_ID(fp.names[0]);
                    snprintf(out[n++].label, sizeof(out[0].label), "'%.*s'%s", (int)(e - s), s,
                             fp.names[0] & NF_NAME_WEAK ? " (weak)" : "");
                }
            }
        }
        s = *e ? e + 1 : e;
    }
    return n;
}

static const char *label_of(const labelled_t *l, size_t n, uint32_t key)
{
    for (size_t i = 0; i < n; i++)
        if (l[i].key == key)
            return l[i].label;
    return "?";
}

static size_t facts_of(const art_t *a, nf_number_t *out, size_t cap)
{
    nf_number_t all[64];
    size_t n = nf_numbers_extract(a->body, strlen(a->body), all, 64), m = 0;
    for (size_t i = 0; i < n && i < 64 && m < cap; i++)
        if (all[i].kind != NF_NUMBER_YEAR &&
            !(all[i].kind == NF_NUMBER_VALUE && all[i].value < 10000))
            out[m++] = all[i];
    return m;
}

static int explain(const char *fixture, const char *truth, int ev_a, int ev_b)
{
    if (load(fixture, truth) != 0)
        return 1;
    char err[128];
    nf_fingerprinter_t *f = nf_fingerprinter_new(err, sizeof(err));
    if (!f)
        return 1;
    nf_match_params_t p = nf_match_params_default();
    static const char *kinds[] = {"none", "exact", "near", "story"};
    for (size_t i = 0; i < n_arts; i++) {
        if (arts[i].event != ev_a)
            continue;
        for (size_t j = 0; j < n_arts; j++) {
            if (arts[j].event != ev_b)
                continue;
            const art_t *a = &arts[i], *b = &arts[j];
            double sim;
            nf_link_t link = nf_fingerprint_link(&a->fp, &b->fp, &p, &sim);
            labelled_t la[128], lb[128];
            size_t na = name_labels(f, a, la, 128), nb = name_labels(f, b, lb, 128);
            int shared_n = 0;
            char line[2048] = "";
            size_t used = 0;
            for (int x = 0; x < a->fp.n_names; x++)
                for (int y = 0; y < b->fp.n_names; y++) {
                    uint32_t ka = a->fp.names[x], kb = b->fp.names[y];
                    if (NF_NAME_ID(ka) != NF_NAME_ID(kb))
                        continue;
                    int counts = !(ka & kb & NF_NAME_WEAK);
                    shared_n += counts;
                    if (used < sizeof(line))
                        used += (size_t)snprintf(
                            line + used, sizeof(line) - used, "\n    name %08x%s%s: %s | %s",
                            NF_NAME_ID(ka), counts ? "" : " (weak pair: not counted)",
                            (ka & NF_NAME_POSTED) && (kb & NF_NAME_POSTED) ? " posted" : "",
                            label_of(la, na, NF_NAME_ID(ka)), label_of(lb, nb, NF_NAME_ID(kb)));
                }
            nf_number_t fa[16], fb[16];
            size_t nfa = facts_of(a, fa, 16), nfb = facts_of(b, fb, 16);
            int shared_f = 0;
            for (size_t x = 0; x < nfa; x++)
                for (size_t y = 0; y < nfb; y++)
                    if (fa[x].kind == fb[y].kind && fa[x].value == fb[y].value) {
                        shared_f++;
                        if (used < sizeof(line))
                            used += (size_t)snprintf(
                                line + used, sizeof(line) - used, "\n    fact %s %lld",
                                fa[x].kind == NF_NUMBER_DATE ? "date" : "value",
                                (long long)fa[x].value);
                    }
            if (link != NF_LINK_NONE || getenv("EXPLAIN_ALL"))
                printf("%s ~ %s: link %s, %d shared names, %d shared facts%s\n", a->id, b->id,
                       kinds[link], shared_n, shared_f, line);
        }
    }
    nf_fingerprinter_destroy(f);
    free_arts();
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "explain") == 0)
        return explain(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
    if (argc == 4 && strcmp(argv[1], "quality") == 0)
        return quality(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "scale") == 0)
        return scale((size_t)strtoull(argv[2], NULL, 10));
    fprintf(stderr, "usage: bench_dedup quality FIXTURE TRUTH | bench_dedup scale N | "
                    "bench_dedup explain FIXTURE TRUTH EVENT_A EVENT_B\n");
    return 2;
}
