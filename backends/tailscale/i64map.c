/*
 * i64map.c - see i64map.h.  Linear probing, a table at most 80 % full
 * counting deleted slots, doubled (or just cleaned of them) when it would
 * be more: with a mixing hash the probes stay short, and 100k peers fit
 * 131072 slots rather than twice that.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "i64map.h"

#define EMPTY INT64_MIN
#define GONE (INT64_MIN + 1)

struct i64map {
	size_t value_size, slot_size;
	size_t cap; /* a power of two */
	size_t used, gone;
	unsigned char *slots; /* int64 key, then the value */
};

static int64_t *
key_at(const struct i64map *m, size_t i)
{
	return (int64_t *)(void *)(m->slots + i * m->slot_size);
}

static size_t
hash(int64_t key)
{
	uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15ull;

	return (size_t)(h ^ (h >> 29));
}

struct i64map *
i64map_new(size_t value_size)
{
	struct i64map *m = calloc(1, sizeof *m);

	if (m == NULL)
		return NULL;
	m->value_size = value_size;
	m->slot_size = (sizeof(int64_t) + value_size + 7) & ~(size_t)7;
	return m;
}

void
i64map_free(struct i64map *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	free(m);
}

static size_t
find(const struct i64map *m, int64_t key)
{
	size_t i = hash(key) & (m->cap - 1);

	while (*key_at(m, i) != EMPTY && *key_at(m, i) != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

void *
i64map_get(const struct i64map *m, int64_t key)
{
	size_t i;

	if (m->cap == 0 || key == EMPTY || key == GONE)
		return NULL;
	i = find(m, key);
	return *key_at(m, i) == key ? key_at(m, i) + 1 : NULL;
}

static int
resize(struct i64map *m, size_t cap)
{
	struct i64map old = *m;
	size_t i;

	m->slots = malloc(cap * m->slot_size);
	if (m->slots == NULL) {
		m->slots = old.slots;
		return -1;
	}
	m->cap = cap;
	m->used = m->gone = 0;
	for (i = 0; i < cap; i++)
		*key_at(m, i) = EMPTY;
	for (i = 0; i < old.cap; i++) {
		int64_t k = *key_at(&old, i);
		size_t j;

		if (k == EMPTY || k == GONE)
			continue;
		j = find(m, k);
		memcpy(key_at(m, j), key_at(&old, i), m->slot_size);
		m->used++;
	}
	free(old.slots);
	return 0;
}

void *
i64map_put(struct i64map *m, int64_t key, int *added)
{
	size_t i, cap = m->cap ? m->cap : 64;

	*added = 0;
	if (key == EMPTY || key == GONE)
		return NULL;
	if (m->cap != 0 && (i = find(m, key), *key_at(m, i) == key))
		return key_at(m, i) + 1;
	if ((m->used + m->gone + 1) * 10 > cap * 8 || m->cap == 0) {
		while ((m->used + 1) * 10 > cap * 6)
			cap *= 2;
		if (resize(m, cap) < 0)
			return NULL;
	}
	i = find(m, key);
	*key_at(m, i) = key;
	memset(key_at(m, i) + 1, 0, m->value_size);
	m->used++;
	*added = 1;
	return key_at(m, i) + 1;
}

/*
 * A deleted slot keeps probing chains whole; it is reused only when the
 * table is rebuilt.
 */
int
i64map_del(struct i64map *m, int64_t key)
{
	size_t i;

	if (m->cap == 0 || key == EMPTY || key == GONE)
		return 0;
	i = find(m, key);
	if (*key_at(m, i) != key)
		return 0;
	*key_at(m, i) = GONE;
	m->used--;
	m->gone++;
	return 1;
}

size_t
i64map_count(const struct i64map *m)
{
	return m->used;
}

void *
i64map_next(const struct i64map *m, size_t *pos, int64_t *key)
{
	while (*pos < m->cap) {
		int64_t k = *key_at(m, (*pos)++);

		if (k != EMPTY && k != GONE) {
			*key = k;
			return key_at(m, *pos - 1) + 1;
		}
	}
	return NULL;
}
