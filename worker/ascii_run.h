/* ASCII letters and digits among eight UTF-16 units at once (SSE2: all of x86-64), for the
 * scans that go a word at a time: a run's length comes from a compare mask, not from a branch
 * per unit, whose misprediction at each word's end was most of those loops' time. Internal to
 * the worker: normalize.c's runs; fingerprint.c and the like take its SSE2 include and guard
 * (NF_HAVE_ALNUM8) for their own eight-unit steps. */
#ifndef NEWSFLOW_ASCII_RUN_H
#define NEWSFLOW_ASCII_RUN_H

#if defined(__SSE2__)
#include <emmintrin.h>

#define NF_HAVE_ALNUM8 1

/* The lanes of v (eight UTF-16 units) that hold an ASCII letter or digit, all ones; *letter gets
 * the letters alone. SSE2 compares 16-bit lanes as signed: x ^ 0x8000 < k ^ 0x8000 is the
 * unsigned x < k. */
static inline __m128i nf_alnum8(__m128i v, __m128i *letter)
{
    const __m128i bias = _mm_set1_epi16((short)0x8000);
    __m128i lower = _mm_or_si128(v, _mm_set1_epi16(0x20));
    *letter = _mm_cmplt_epi16(_mm_xor_si128(_mm_sub_epi16(lower, _mm_set1_epi16('a')), bias),
                              _mm_set1_epi16((short)(0x8000 + 26)));
    __m128i digit = _mm_cmplt_epi16(_mm_xor_si128(_mm_sub_epi16(v, _mm_set1_epi16('0')), bias),
                                    _mm_set1_epi16((short)(0x8000 + 10)));
    return _mm_or_si128(*letter, digit);
}

/* How many of the eight lanes of `yes` (all ones or zero each) are set before the first that
 * is not: 0..8. */
static inline int nf_lanes_run8(__m128i yes)
{
    unsigned mask = (unsigned)_mm_movemask_epi8(yes); /* two bits a lane */
    return __builtin_ctz(~mask) / 2;                  /* ~mask has bit 16 set */
}
#endif

#endif
