#include "newsflow/chain.h"

#include <stdio.h>
#include <string.h>

#include "newsflow/alloc.h"
#include "newsflow/clock.h"
#include "newsflow/story.h"

struct nf_chain {
    nf_validator_t *validator;
    nf_normalizer_t *normalizer;
    nf_langid_t *langid;
    nf_entities_t *entities;
    nf_fingerprinter_t *fingerprinter;
    uint64_t junk_lines;
    uint64_t stage_ns[NF_STAGE_COUNT];
    uint64_t mark_ns;
    nf_buf_t lang_text; /* title + body for langid (the chain's, not the article's) */
};

/* Charges the time since the previous mark to `stage`. */
static void lap(nf_chain_t *c, nf_chain_stage_t stage)
{
    uint64_t now = nf_monotonic_ns();
    c->stage_ns[stage] += now - c->mark_ns;
    c->mark_ns = now;
}

const char *nf_chain_stage_name(nf_chain_stage_t stage)
{
    static const char *names[] = {
#define NF_STAGE_NAME(name, text) text,
        NF_CHAIN_STAGES(NF_STAGE_NAME)
#undef NF_STAGE_NAME
    };
    return stage < NF_STAGE_COUNT ? names[stage] : "unknown";
}

void nf_chain_take_stage_ns(nf_chain_t *c, uint64_t out[NF_STAGE_COUNT])
{
    memcpy(out, c->stage_ns, sizeof(c->stage_ns));
    memset(c->stage_ns, 0, sizeof(c->stage_ns));
}

nf_chain_t *nf_chain_new(const nf_config_t *cfg, char *errstr, size_t errstr_size)
{
    nf_chain_t *c = nf_calloc(1, sizeof(*c));
    if (!c) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    nf_langid_options_t lang_opts = {.min_confidence =
                                         (double)cfg->langid_min_confidence_pct / 100.0,
                                     .min_letters = (unsigned)cfg->langid_min_letters};
    if (!(c->validator = nf_validator_new((size_t)cfg->max_message_bytes, errstr, errstr_size)) ||
        !(c->normalizer = nf_normalizer_new(errstr, errstr_size)) ||
        !(c->langid = nf_langid_new(&lang_opts, errstr, errstr_size)) ||
        !(c->entities = nf_entities_new(errstr, errstr_size)) ||
        !(c->fingerprinter = nf_fingerprinter_new(errstr, errstr_size))) {
        nf_chain_destroy(c);
        return NULL;
    }
    return c;
}

void nf_chain_destroy(nf_chain_t *c)
{
    if (!c)
        return;
    nf_validator_destroy(c->validator);
    nf_normalizer_destroy(c->normalizer);
    nf_langid_destroy(c->langid);
    nf_entities_destroy(c->entities);
    nf_fingerprinter_destroy(c->fingerprinter);
    nf_buf_free(&c->lang_text);
    nf_free(c);
}

uint64_t nf_chain_junk_lines(const nf_chain_t *c)
{
    return c->junk_lines;
}

void nf_enriched_clear(nf_enriched_t *e)
{
    nf_article_clear(&e->article);
    nf_buf_reset(&e->title);
    nf_buf_reset(&e->body);
    nf_entity_list_clear(&e->entities);
    e->junk_lines = 0;
    memset(&e->lang, 0, sizeof(e->lang));
    memset(&e->dedup, 0, sizeof(e->dedup));
    memset(&e->fp, 0, sizeof(e->fp));
    e->story_id[0] = '\0';
}

void nf_enriched_free(nf_enriched_t *e)
{
    nf_enriched_clear(e);
    nf_buf_free(&e->title);
    nf_buf_free(&e->body);
}

nf_err_t nf_chain_process(nf_chain_t *c, const void *data, size_t len, nf_enriched_t *out,
                          nf_reject_t *rej)
{
    nf_enriched_clear(out);
    c->mark_ns = nf_monotonic_ns();
    nf_err_t err = nf_article_decode(c->validator, data, len, &out->article, rej);
    lap(c, NF_STAGE_DECODE);
    if (err == NF_ERR_REJECTED) {
        /* Details may quote input (e.g. a JSON token): keep them on one line for headers. */
        for (char *ch = rej->detail; *ch; ch++)
            if ((unsigned char)*ch < 0x20)
                *ch = ' ';
    }
    if (err != NF_OK)
        return err;
    const nf_article_t *a = &out->article;
    if (a->title) {
        err = nf_normalize(c->normalizer, a->title, a->title_len, 0, &out->title, NULL);
        if (err != NF_OK)
            goto stage_failed;
    }
    err = nf_normalize(c->normalizer, a->body, a->body_len, 1, &out->body, &out->junk_lines);
    if (err != NF_OK)
        goto stage_failed;
    /* the normalizer built the body in UTF-16: the fingerprint reads that instead of converting
     * the UTF-8 back (nothing calls the normalizer again before it) */
    size_t body_u16_len;
    const uint16_t *body_u16 = nf_normalize_last_utf16(c->normalizer, &body_u16_len);
    c->junk_lines += out->junk_lines;
    lap(c, NF_STAGE_NORMALIZE);
    if (out->body.len == 0) {
        snprintf(rej->id, sizeof(rej->id), "%s", a->id);
        rej->reason = NF_REJECT_INVALID_VALUE;
        snprintf(rej->detail, sizeof(rej->detail),
                 "field 'body' has no text once site junk and white space are removed");
        return NF_ERR_REJECTED;
    }

    /* Language from title + body: the body carries the evidence, the title helps short texts. */
    nf_buf_t *lang_text = &c->lang_text;
    nf_buf_reset(lang_text);
    if (out->title.len) {
        nf_buf_append(lang_text, out->title.data, out->title.len);
        nf_buf_putc(lang_text, '\n');
    }
    nf_buf_append(lang_text, out->body.data, out->body.len);
    if (lang_text->failed)
        return NF_ERR_NOMEM;
    nf_langid_detect(c->langid, lang_text->data, lang_text->len, &out->lang);
    lap(c, NF_STAGE_LANGID);

    err = nf_entities_tag(c->entities, out->title.data, out->title.len, out->body.data,
                          out->body.len, &out->lang, &out->entities);
    lap(c, NF_STAGE_ENTITIES);
    if (err != NF_OK)
        goto stage_failed;

    nf_content_sha256(out->body.data, out->body.len, out->sha256);
    nf_hex(out->sha256, NF_SHA256_LEN, out->sha256_hex);
    err = nf_fingerprint_compute_utf16(c->fingerprinter, out->body.data, out->body.len, body_u16,
                                       body_u16_len, a->published_at, &out->lang, &out->entities,
                                       &out->fp);
    if (err != NF_OK)
        goto stage_failed;
    out->dedup.status = NF_DEDUP_UNIQUE;
    nf_chain_assign_story(out);
    lap(c, NF_STAGE_FINGERPRINT);
    return NF_OK;

stage_failed:
    /* A stage that fails on one article is that article's fault: it is rejected with the
     * reason, and the batch (or `enrich`'s input) goes on. Memory is not: the caller retries
     * (run) or stops (enrich). */
    if (err == NF_ERR_NOMEM)
        return err;
    snprintf(rej->id, sizeof(rej->id), "%s", a->id);
    if (err == NF_ERR_INVALID_ARG) {
        /* jansson already checks UTF-8, so this is defence in depth. */
        rej->reason = NF_REJECT_INVALID_UTF8;
        snprintf(rej->detail, sizeof(rej->detail), "text is not valid UTF-8");
    } else {
        rej->reason = NF_REJECT_INVALID_VALUE;
        snprintf(rej->detail, sizeof(rej->detail), "the text could not be analysed: %s",
                 nf_err_str(err));
    }
    return NF_ERR_REJECTED;
}

void nf_chain_assign_story(nf_enriched_t *e)
{
    char sid[NF_STORY_ID_LEN];
    nf_story_id_of(e->article.id, sid);
    snprintf(e->story_id, sizeof(e->story_id), "%s", sid);
}

/* %zu without vsnprintf (two per mention: a tenth of the encode stage's instructions). */
static void render_size(nf_buf_t *out, size_t v)
{
    char tmp[24];
    size_t n = sizeof(tmp);
    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    nf_buf_append(out, tmp + n, sizeof(tmp) - n);
}

/* NF_RECORD_NUMBER_FORMAT (a similarity stored in PostgreSQL is rounded the same way:
 * nf_dedup_similarity_shown) */
static void render_number(nf_buf_t *out, double v)
{
    char tmp[32];
    snprintf(tmp, sizeof(tmp), NF_RECORD_NUMBER_FORMAT, v);
    nf_buf_puts(out, tmp);
}

nf_err_t nf_chain_render(const nf_enriched_t *e, nf_buf_t *out)
{
    const nf_article_t *a = &e->article;
    nf_buf_puts(out, "{\"id\":");
    nf_buf_json_string(out, a->id);
    nf_buf_puts(out, ",\"source\":");
    nf_buf_json_string(out, a->source);
    nf_buf_puts(out, ",\"url\":");
    nf_buf_json_string(out, a->url);
    nf_buf_puts(out, ",\"title\":");
    nf_buf_json_string(out, a->title);
    nf_buf_puts(out, ",\"published_at\":");
    nf_buf_json_string(out, a->published_at);
    nf_buf_puts(out, ",\"lang\":{\"code\":");
    nf_buf_json_string(out, e->lang.code);
    nf_buf_puts(out, ",\"script\":");
    nf_buf_json_string(out, e->lang.script);
    nf_buf_puts(out, ",\"confidence\":");
    render_number(out, e->lang.confidence);
    nf_buf_puts(out, "},\"entities\":[");
    for (size_t i = 0; i < e->entities.count; i++) {
        const nf_entity_t *ent = &e->entities.items[i];
        nf_buf_puts(out, i ? ",{\"id\":" : "{\"id\":");
        nf_buf_json_string(out, ent->id);
        nf_buf_puts(out, ",\"type\":");
        nf_buf_json_string(out, nf_entity_type_name(ent->type));
        nf_buf_puts(out, ",\"name\":");
        nf_buf_json_string(out, ent->name);
        nf_buf_puts(out, ",\"mentions\":[");
        for (size_t m = 0; m < ent->n_mentions; m++) {
            const nf_mention_t *men = &ent->mentions[m];
            nf_buf_puts(out, m ? ",{\"field\":" : "{\"field\":");
            nf_buf_json_string(out, men->field);
            nf_buf_puts(out, ",\"start\":");
            render_size(out, men->start);
            nf_buf_puts(out, ",\"end\":");
            render_size(out, men->end);
            nf_buf_puts(out, ",\"text\":");
            nf_buf_json_string(out, men->text);
            nf_buf_putc(out, '}');
        }
        nf_buf_puts(out, "]}");
    }
    nf_buf_puts(out, "],\"dedup\":{\"status\":");
    nf_buf_json_string(out, nf_dedup_status_name(e->dedup.status));
    nf_buf_puts(out, ",\"duplicate_of\":");
    nf_buf_json_string(out, e->dedup.duplicate_of[0] ? e->dedup.duplicate_of : NULL);
    nf_buf_puts(out, ",\"similarity\":");
    render_number(out, e->dedup.similarity);
    nf_buf_puts(out, "},\"story_id\":");
    nf_buf_json_string(out, e->story_id);
    nf_buf_puts(out, ",\"content_sha256\":");
    nf_buf_json_string(out, e->sha256_hex);
    nf_buf_putc(out, '}');
    return out->failed ? NF_ERR_NOMEM : NF_OK;
}

void nf_chain_render_error(unsigned long line, const nf_reject_t *rej, nf_buf_t *out)
{
    nf_buf_printf(out, "{\"line\":%lu,", line);
    if (rej->id[0]) {
        nf_buf_puts(out, "\"id\":");
        nf_buf_json_string(out, rej->id);
        nf_buf_putc(out, ',');
    }
    nf_buf_puts(out, "\"error\":{\"reason\":");
    nf_buf_json_string(out, nf_reject_reason_name(rej->reason));
    nf_buf_puts(out, ",\"detail\":");
    nf_buf_json_string(out, rej->detail);
    nf_buf_puts(out, "}}");
}
