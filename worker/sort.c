/* A stable LSD radix sort by an int64 field (see sort.h). It replaced glibc's qsort for the
 * decision's ~40,000 index keys per batch: qsort is a merge sort calling its comparison through
 * a pointer, and mallocs its temporary array (mapped anew above the mmap threshold, faulted in
 * page by page), which made it ~15% of the pipeline thread's CPU in a perf profile of (b). */
#include "newsflow/sort.h"

#include <stdint.h>
#include <string.h>

static inline uint64_t key_at(const unsigned char *p)
{
    int64_t v;
    memcpy(&v, p, sizeof(v));
    return (uint64_t)v ^ (UINT64_C(1) << 63); /* signed order as unsigned order */
}

void nf_radix_sort_i64(void *base, size_t n, size_t size, size_t off, void *tmp)
{
    if (n < 2)
        return;
    size_t count[8][256];
    memset(count, 0, sizeof(count));
    unsigned char *src = base, *dst = tmp;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = key_at(src + i * size + off);
        for (int d = 0; d < 8; d++)
            count[d][k >> (8 * d) & 0xff]++;
    }
    uint64_t first = key_at(src + off);
    for (int d = 0; d < 8; d++) {
        if (count[d][first >> (8 * d) & 0xff] == n)
            continue; /* one value of this byte: the pass would move nothing */
        size_t pos = 0;
        for (int v = 0; v < 256; v++) {
            size_t c = count[d][v];
            count[d][v] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++) {
            const unsigned char *r = src + i * size;
            memcpy(dst + count[d][key_at(r + off) >> (8 * d) & 0xff]++ * size, r, size);
        }
        unsigned char *t = src;
        src = dst;
        dst = t;
    }
    if (src != (unsigned char *)base)
        memcpy(base, src, n * size);
}
