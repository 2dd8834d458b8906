/**
 * @file alloc.h
 * @brief Allocation wrappers. Every allocation of newsflow's own code goes through these so
 *        that tests can make the N-th allocation fail (SQLite-style fault injection).
 */
#ifndef NEWSFLOW_ALLOC_H
#define NEWSFLOW_ALLOC_H

#include <stddef.h>

/** @brief malloc(); NULL on failure (or on an injected failure). */
void *nf_malloc(size_t size);
/** @brief calloc(); NULL on failure (or on an injected failure). */
void *nf_calloc(size_t count, size_t size);
/** @brief realloc(); NULL on failure, the old block is then left untouched. */
void *nf_realloc(void *ptr, size_t size);
/** @brief strdup(); NULL when s is NULL or on failure. */
char *nf_strdup(const char *s);
/** @brief Copy of the first len bytes of s, NUL-terminated; NULL on failure. */
char *nf_strndup(const char *s, size_t len);
/** @brief free(); NULL is fine. */
void nf_free(void *ptr);

/**
 * @brief Test hook: the allocation after `countdown` more successful ones fails (0 = the next
 *        one). A negative value disables injection (the default). Not thread-safe: tests only.
 */
void nf_alloc_fail_after(long countdown);

#endif
