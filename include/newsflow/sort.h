/**
 * @file sort.h
 * @brief A stable radix sort of fixed-size records by a 64-bit signed integer field.
 */
#ifndef NEWSFLOW_SORT_H
#define NEWSFLOW_SORT_H

#include <stddef.h>

/**
 * @brief Sort n records of `size` bytes at `base` by the int64_t at byte offset `off` of each,
 *        ascending and stable (records with equal keys keep their order), through `tmp`, a
 *        caller's buffer of n * size bytes (its contents are overwritten).
 *
 * An LSD radix sort: all eight byte counts come from one read of the keys, and a byte that
 * every key shares costs no pass. For a composite order, sort by the minor field first, then
 * by the major one.
 */
void nf_radix_sort_i64(void *base, size_t n, size_t size, size_t off, void *tmp);

#endif
