/*
 * strmap.h - a map from strings to numbers, for the build's joins: which
 * tailnet group a reported name is, which user a member name is.  Three
 * million memberships looked up by a sorted array cost a qsort with
 * strcmp each; a hash costs one pass over each string.
 *
 * Keys are borrowed, not copied: they must outlive the map, unchanged.
 * A lookup notes where it found a key by the key's address, even
 * strmap_get(): a map is never for two threads at once.
 */
#ifndef TSNSS_STRMAP_H
#define TSNSS_STRMAP_H

#include <stddef.h>

#define STRMAP_NONE ((size_t)-1)

struct strmap;

/* hint: how many keys are expected (0: unknown). */
struct strmap *strmap_new(size_t hint);
void strmap_free(struct strmap *m);
/*
 * The value slot of key, added (with the value STRMAP_NONE) if key was
 * not there, which *added tells.  Valid until the next strmap_put().
 */
size_t *strmap_put(struct strmap *m, const char *key, int *added);
/* key's value, or STRMAP_NONE. */
size_t strmap_get(const struct strmap *m, const char *key);
size_t strmap_count(const struct strmap *m);

#endif
