#include "newsflow/alloc.h"

#include <stdlib.h>
#include <string.h>

static long fail_countdown = -1;

static int injected_failure(void)
{
    if (fail_countdown < 0)
        return 0;
    if (fail_countdown == 0) {
        fail_countdown = -1;
        return 1;
    }
    fail_countdown--;
    return 0;
}

void nf_alloc_fail_after(long countdown)
{
    fail_countdown = countdown;
}

void *nf_malloc(size_t size)
{
    return injected_failure() ? NULL : malloc(size ? size : 1);
}

void *nf_calloc(size_t count, size_t size)
{
    return injected_failure() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void *nf_realloc(void *ptr, size_t size)
{
    return injected_failure() ? NULL : realloc(ptr, size ? size : 1);
}

char *nf_strndup(const char *s, size_t len)
{
    if (!s)
        return NULL;
    char *copy = nf_malloc(len + 1);
    if (!copy)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *nf_strdup(const char *s)
{
    return s ? nf_strndup(s, strlen(s)) : NULL;
}

void nf_free(void *ptr)
{
    free(ptr);
}
