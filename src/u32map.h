/*
 * u32map.h - a map from 32-bit numbers to numbers, for the build's
 * joins on ids: which candidates want one uid.  The strmap.h of ids.
 */
#ifndef TSNSS_U32MAP_H
#define TSNSS_U32MAP_H

#include <stddef.h>
#include <stdint.h>

#define U32MAP_NONE ((size_t)-1)

struct u32map;

/* hint: how many keys are expected (0: unknown). */
struct u32map *u32map_new(size_t hint);
void u32map_free(struct u32map *m);
/*
 * The value slot of key, added (with the value U32MAP_NONE) if key was
 * not there, which *added tells.  Valid until the next u32map_put().
 */
size_t *u32map_put(struct u32map *m, uint32_t key, int *added);
/* key's value, or U32MAP_NONE. */
size_t u32map_get(const struct u32map *m, uint32_t key);

#endif
