/*
 * ptrmap.h - a map from a string's address to a number, for strings
 * handed around by pointer: a tailnet group's members are its users' own
 * name strings (policy.h), and an answer's group names are each copied
 * once (idlist.c), so the same pointer comes back millions of times on a
 * large tailnet.  Hashing the address costs a multiplication where
 * hashing the string (strmap.h) cost a pass over it and a strcmp: a hit
 * here saves that, a miss falls back to the string.
 */
#ifndef TSNSS_PTRMAP_H
#define TSNSS_PTRMAP_H

#include <stddef.h>
#include <stdint.h>

#define PTRMAP_NONE UINT32_MAX

struct ptrmap;

/* Room for about n without growing (it grows as needed). */
struct ptrmap *ptrmap_new(size_t n);
void ptrmap_free(struct ptrmap *m);
/* Set p's number (not PTRMAP_NONE), replacing any. */
void ptrmap_put(struct ptrmap *m, const void *p, uint32_t v);
/* p's number, or PTRMAP_NONE. */
uint32_t ptrmap_get(const struct ptrmap *m, const void *p);

#endif
