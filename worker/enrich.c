#include "newsflow/enrich.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "newsflow/alloc.h"
#include "newsflow/chain.h"
#include "newsflow/clock.h"
#include "newsflow/dedup.h"
#include "newsflow/story.h"

/* The input, read in blocks: a line is found with memchr and copied with memcpy (getc_unlocked a
 * byte at a time was ~3% of `enrich`'s instructions). The reader owns the stream. A stream with
 * a descriptor (a file, a pipe, stdin) is read with read(2), which returns what a pipe holds, so
 * that a line is enriched as soon as it arrives (fread would wait for a whole block); one
 * without (fmemopen) with fread. */
#define READ_BLOCK (64u * 1024u)
typedef struct line_reader {
    FILE *in;
    int fd;
    size_t pos, end;
    char block[READ_BLOCK];
} line_reader_t;

/* Refills the block: the bytes read, 0 at EOF, -1 on a read error. */
static ssize_t fill_block(line_reader_t *r)
{
    if (r->fd >= 0) {
        ssize_t got;
        do
            got = read(r->fd, r->block, sizeof(r->block));
        while (got < 0 && errno == EINTR);
        return got;
    }
    size_t got = fread(r->block, 1, sizeof(r->block), r->in);
    return ferror(r->in) ? -1 : (ssize_t)got;
}

/* Reads one line into buf (cap + 1 bytes: at most cap bytes of line, plus the '\r' of a CRLF
 * ending). Returns 1 for a line, 0 at EOF, -1 on a read error. *overlong is set when the line had
 * more than cap bytes (the rest is skipped, so memory stays bounded by max_message_bytes
 * whatever the input). */
static int read_line(line_reader_t *r, char *buf, size_t cap, size_t *len, int *overlong)
{
    size_t n = 0;
    int any = 0;
    *overlong = 0;
    for (;;) {
        if (r->pos == r->end) {
            ssize_t got = fill_block(r);
            if (got < 0)
                return -1;
            if (got == 0)
                break;
            r->pos = 0;
            r->end = (size_t)got;
        }
        any = 1;
        const char *start = r->block + r->pos;
        size_t avail = r->end - r->pos;
        const char *nl = memchr(start, '\n', avail);
        size_t take = nl ? (size_t)(nl - start) : avail;
        size_t room = n <= cap ? cap + 1 - n : 0;
        size_t k = take < room ? take : room;
        memcpy(buf + n, start, k);
        n += k;
        if (take > k)
            *overlong = 1;
        r->pos += take + (nl != NULL);
        if (nl)
            break;
    }
    if (!any)
        return 0;
    if (n > 0 && buf[n - 1] == '\r' && !*overlong)
        n--;
    if (n > cap)
        *overlong = 1;
    *len = n;
    return 1;
}

nf_err_t nf_enrich_stream(const nf_config_t *cfg, FILE *in, FILE *out, nf_enrich_counts_t *counts,
                          char *errstr, size_t errstr_size)
{
    memset(counts, 0, sizeof(*counts));
    nf_err_t err = NF_OK;
    size_t cap = (size_t)cfg->max_message_bytes;
    char *line = nf_malloc(cap + 1);
    line_reader_t *reader = nf_malloc(sizeof(*reader));
    nf_chain_t *chain = nf_chain_new(cfg, errstr, errstr_size);
    nf_match_params_t params = nf_match_params_from_config(cfg);
    nf_story_index_t *index =
        chain ? nf_story_index_new((size_t)cfg->dedup_cache_entries, &params, errstr, errstr_size)
              : NULL;
    nf_enriched_t e;
    memset(&e, 0, sizeof(e));
    nf_buf_t rendered = NF_BUF_INIT;
    if (!line || !reader || !chain || !index) {
        err = line && reader ? NF_ERR_CONFIG : NF_ERR_NOMEM;
        goto done;
    }
    reader->in = in;
    reader->fd = fileno(in);
    reader->pos = reader->end = 0;
    size_t len;
    int overlong, r;
    while ((r = read_line(reader, line, cap, &len, &overlong)) == 1) {
        counts->lines++;
        nf_reject_t rej;
        nf_buf_reset(&rendered);
        if (overlong) {
            memset(&rej, 0, sizeof(rej));
            rej.reason = NF_REJECT_TOO_LARGE;
            snprintf(rej.detail, sizeof(rej.detail),
                     "line longer than max_message_bytes (%lld bytes)", cfg->max_message_bytes);
            err = NF_ERR_REJECTED;
        } else {
            err = nf_chain_process(chain, line, len, &e, &rej);
        }
        if (err == NF_ERR_REJECTED) {
            counts->rejected++;
            counts->rejected_by_reason[rej.reason]++;
            nf_chain_render_error((unsigned long)counts->lines, &rej, &rendered);
        } else if (err == NF_OK) {
            counts->accepted++;
            uint64_t t0 = nf_monotonic_ns();
            nf_story_decision_t d;
            if ((err = nf_story_index_add(index, e.article.id, &e.fp, &d)) != NF_OK)
                goto done;
            e.dedup = d.dedup;
            snprintf(e.story_id, sizeof(e.story_id), "%s", d.story_id);
            if (e.dedup.status != NF_DEDUP_UNIQUE)
                counts->duplicates++;
            if (d.new_story)
                counts->stories++;
            uint64_t t1 = nf_monotonic_ns();
            counts->stage_ns[NF_ENRICH_STAGE_DEDUP] += t1 - t0;
            if ((err = nf_chain_render(&e, &rendered)) != NF_OK)
                goto done;
            counts->stage_ns[NF_ENRICH_STAGE_ENCODE] += nf_monotonic_ns() - t1;
        } else {
            snprintf(errstr, errstr_size, "line %llu: %s", (unsigned long long)counts->lines,
                     nf_err_str(err));
            goto done;
        }
        nf_buf_putc(&rendered, '\n');
        if (rendered.failed) {
            err = NF_ERR_NOMEM;
            goto done;
        }
        if (fwrite(rendered.data, 1, rendered.len, out) != rendered.len) {
            snprintf(errstr, errstr_size, "write: %s", strerror(errno));
            err = NF_ERR_IO;
            goto done;
        }
    }
    err = NF_OK;
    if (r < 0) {
        snprintf(errstr, errstr_size, "read: %s", strerror(errno));
        err = NF_ERR_IO;
    } else if (fflush(out) != 0) {
        snprintf(errstr, errstr_size, "write: %s", strerror(errno));
        err = NF_ERR_IO;
    }
done:
    if (chain) {
        counts->junk_lines = nf_chain_junk_lines(chain);
        nf_chain_take_stage_ns(chain, counts->stage_ns);
    }
    if (err == NF_ERR_NOMEM)
        snprintf(errstr, errstr_size, "out of memory");
    nf_enriched_free(&e);
    nf_buf_free(&rendered);
    nf_story_index_destroy(index);
    nf_chain_destroy(chain);
    nf_free(line);
    nf_free(reader);
    return err;
}

void nf_enrich_print_counts(const nf_enrich_counts_t *c, FILE *f)
{
    fprintf(f,
            "{\"msg\":\"enrich summary\",\"lines\":%llu,\"accepted\":%llu,\"rejected\":%llu,"
            "\"duplicates\":%llu,\"stories\":%llu,\"junk_lines_dropped\":%llu,"
            "\"rejected_by_reason\":{",
            (unsigned long long)c->lines, (unsigned long long)c->accepted,
            (unsigned long long)c->rejected, (unsigned long long)c->duplicates,
            (unsigned long long)c->stories, (unsigned long long)c->junk_lines);
    int first = 1;
    for (int r = 0; r < NF_REJECT_COUNT; r++) {
        if (!c->rejected_by_reason[r])
            continue;
        fprintf(f, "%s\"%s\":%llu", first ? "" : ",", nf_reject_reason_name((nf_reject_reason_t)r),
                (unsigned long long)c->rejected_by_reason[r]);
        first = 0;
    }
    fprintf(f, "},\"stage_seconds\":{");
    for (int st = 0; st < NF_ENRICH_STAGE_COUNT; st++)
        fprintf(f, "%s\"%s\":%.6f", st ? "," : "",
                st == NF_ENRICH_STAGE_DEDUP    ? "dedup"
                : st == NF_ENRICH_STAGE_ENCODE ? "encode"
                                               : nf_chain_stage_name((nf_chain_stage_t)st),
                (double)c->stage_ns[st] / 1e9);
    fprintf(f, "}}\n");
}
