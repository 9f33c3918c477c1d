/* strmap.c - see strmap.h.  Open addressing, linear probing, half full. */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "hashmap.h"
#include "xmalloc.h"

struct slot {
	const char *key; /* NULL: free */
	size_t value;
	size_t hash;
};

/*
 * Where a key was found, by the key's address: callers hand in the same
 * copy of a name again and again (the bus's interned group names, the
 * users' own names as members), and a pointer compare is cheaper than
 * hashing the name.  Only a slot whose key is that very address is
 * noted: a borrowed key does not change while in the map, so the
 * address alone stands for the text.
 */
struct recent {
	const char *key;
	size_t slot;
};

#define STRMAP_RECENT_MAX 4096 /* a power of two */

struct strmap {
	struct slot *slot;
	size_t cap, n; /* cap a power of two */
	uint64_t seed; /* random: names the tailnet chooses should not be
			  able to pile up in one chain */
	struct recent *recent;
	size_t n_recent; /* a power of two, at most cap */
};

/*
 * The last 0 to 7 bytes as a word, by fixed-size loads that may overlap
 * rather than a memcpy of a variable length (a call, a third of the
 * hash): for one length, other bytes give another word.
 */
static uint64_t
tail(const char *s, size_t r)
{
	uint32_t a, b;

	if (r >= 4) {
		memcpy(&a, s, 4);
		memcpy(&b, s + r - 4, 4);
		return a | (uint64_t)b << 32;
	}
	if (r > 0)
		return (unsigned char)s[0] |
		       (unsigned)(unsigned char)s[r / 2] << 8 |
		       (unsigned)(unsigned char)s[r - 1] << 16;
	return 0;
}

/*
 * Eight bytes a step, not FNV's one: names are short, and the build
 * hashes millions of them.  A collision costs a probe, never a wrong
 * answer; the seed keeps logins and group names from being chosen to
 * collide.
 */
static size_t
hash(const struct strmap *m, const char *s)
{
	uint64_t h = m->seed, w;
	size_t n = strlen(s), i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	/* every bit into the low ones, which pick the slot */
	h ^= tail(s + i, n - i) ^ n;
	h = (h ^ (h >> 33)) * 0xff51afd7ed558ccdull;
	h = (h ^ (h >> 33)) * 0xc4ceb9fe1a85ec53ull;
	return (size_t)(h ^ (h >> 33));
}

static size_t
find(const struct strmap *m, const char *key, size_t h)
{
	size_t j;

	for (j = h & (m->cap - 1); m->slot[j].key != NULL;
	     j = (j + 1) & (m->cap - 1))
		if (m->slot[j].hash == h &&
		    (m->slot[j].key == key || strcmp(m->slot[j].key, key) == 0))
			break;
	return j;
}

/* The slots move when the map grows: what was noted is forgotten. */
static void
recent_reset(struct strmap *m)
{
	free(m->recent);
	m->n_recent = m->cap < STRMAP_RECENT_MAX ? m->cap : STRMAP_RECENT_MAX;
	m->recent = xcalloc(m->n_recent, sizeof *m->recent);
}

static struct recent *
recent_of(const struct strmap *m, const char *key)
{
	return &m->recent[(hashmap_addr(key) >> 32) & (m->n_recent - 1)];
}

/* key's slot if its address was noted there, else SIZE_MAX. */
static size_t
recent_slot(const struct strmap *m, const char *key)
{
	const struct recent *r = recent_of(m, key);

	if (r->key == key && key != NULL && m->slot[r->slot].key == key)
		return r->slot;
	return SIZE_MAX;
}

/* j holds key itself (the same address): noted. */
static void
recent_note(const struct strmap *m, const char *key, size_t j)
{
	if (m->slot[j].key == key)
		*recent_of(m, key) = (struct recent){key, j};
}

static void
grow(struct strmap *m, size_t cap)
{
	struct strmap big = {
	    xcalloc(cap, sizeof *big.slot), cap, m->n, m->seed, m->recent, 0};
	size_t i;

	for (i = 0; i < m->cap; i++)
		if (m->slot[i].key != NULL)
			big.slot[find(&big, m->slot[i].key, m->slot[i].hash)] =
			    m->slot[i];
	free(m->slot);
	*m = big;
	recent_reset(m);
}

struct strmap *
strmap_new(size_t hint)
{
	struct strmap *m = xcalloc(1, sizeof *m);

	m->cap = hashmap_cap(hint);
	m->slot = xcalloc(m->cap, sizeof *m->slot);
	m->seed = hashmap_seed(m);
	recent_reset(m);
	return m;
}

void
strmap_free(struct strmap *m)
{
	if (m == NULL)
		return;
	free(m->slot);
	free(m->recent);
	free(m);
}

size_t *
strmap_put(struct strmap *m, const char *key, int *added)
{
	size_t h, j = recent_slot(m, key);

	*added = 0;
	if (j != SIZE_MAX)
		return &m->slot[j].value;
	h = hash(m, key);
	if (2 * (m->n + 1) > m->cap)
		grow(m, m->cap * 2);
	j = find(m, key, h);
	*added = m->slot[j].key == NULL;
	if (*added) {
		m->slot[j] = (struct slot){key, STRMAP_NONE, h};
		m->n++;
	}
	recent_note(m, key, j);
	return &m->slot[j].value;
}

size_t
strmap_get(const struct strmap *m, const char *key)
{
	size_t j = recent_slot(m, key);
	const struct slot *sl;

	if (j == SIZE_MAX) {
		j = find(m, key, hash(m, key));
		if (m->slot[j].key != NULL)
			recent_note(m, key, j);
	}
	sl = &m->slot[j];
	return sl->key != NULL ? sl->value : STRMAP_NONE;
}

size_t
strmap_count(const struct strmap *m)
{
	return m->n;
}
