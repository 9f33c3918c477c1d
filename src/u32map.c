/* u32map.c - see u32map.h.  Open addressing, linear probing, half full. */
#include "autoconfig.h"

#include <stdlib.h>

#include "u32map.h"
#include "hashmap.h"
#include "xmalloc.h"

struct slot {
	uint32_t key;
	int used;
	size_t value;
};

struct u32map {
	struct slot *slot;
	size_t cap, n; /* cap a power of two */
	uint64_t seed; /* random: uids a [user] section or a tailnet can pick
			  should not be able to pile up in one chain */
};

static size_t
find(const struct u32map *m, uint32_t key)
{
	uint64_t h = ((uint64_t)key ^ m->seed) * 0xff51afd7ed558ccdull;
	size_t j;

	for (j = (size_t)(h ^ (h >> 32)) & (m->cap - 1);
	     m->slot[j].used && m->slot[j].key != key;
	     j = (j + 1) & (m->cap - 1))
		;
	return j;
}

static void
grow(struct u32map *m, size_t cap)
{
	struct u32map big = {
	    xcalloc(cap, sizeof *big.slot), cap, m->n, m->seed};
	size_t i;

	for (i = 0; i < m->cap; i++)
		if (m->slot[i].used)
			big.slot[find(&big, m->slot[i].key)] = m->slot[i];
	free(m->slot);
	*m = big;
}

struct u32map *
u32map_new(size_t hint)
{
	struct u32map *m = xcalloc(1, sizeof *m);

	m->cap = hashmap_cap(hint);
	m->slot = xcalloc(m->cap, sizeof *m->slot);
	m->seed = hashmap_seed(m);
	return m;
}

void
u32map_free(struct u32map *m)
{
	if (m == NULL)
		return;
	free(m->slot);
	free(m);
}

size_t *
u32map_put(struct u32map *m, uint32_t key, int *added)
{
	size_t j;

	if (2 * (m->n + 1) > m->cap)
		grow(m, m->cap * 2);
	j = find(m, key);
	*added = !m->slot[j].used;
	if (*added) {
		m->slot[j] = (struct slot){key, 1, U32MAP_NONE};
		m->n++;
	}
	return &m->slot[j].value;
}

size_t
u32map_get(const struct u32map *m, uint32_t key)
{
	const struct slot *sl = &m->slot[find(m, key)];

	return sl->used ? sl->value : U32MAP_NONE;
}
