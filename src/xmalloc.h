/*
 * xmalloc.h - one out-of-memory policy for the daemon: log and exit, so
 * that the supervisor restarts it and the persisted snapshot carries the
 * users across.  Never used in the NSS stub.
 */
#ifndef TSNSS_XMALLOC_H
#define TSNSS_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
int xasprintf(char **ret, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
