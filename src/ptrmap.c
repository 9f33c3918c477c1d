/*
 * ptrmap.c - see ptrmap.h.  Open addressing, linear probing, kept at
 * most half full.
 */
#include "autoconfig.h"

#include <stdlib.h>

#include "hashmap.h"
#include "ptrmap.h"
#include "xmalloc.h"

struct slot {
	const void *p; /* NULL: empty */
	uint32_t v;
};

struct ptrmap {
	struct slot *s;
	size_t mask, n;
	int shift; /* 64 - log2(slots) */
};

static size_t
place(const struct ptrmap *m, const void *p)
{
	return (size_t)(hashmap_addr(p) >> m->shift);
}

static void
init(struct ptrmap *m, size_t want)
{
	size_t size = hashmap_cap(want);

	m->s = xcalloc(size, sizeof *m->s);
	m->mask = size - 1;
	m->shift = 64 - __builtin_ctzll(size);
	m->n = 0;
}

struct ptrmap *
ptrmap_new(size_t n)
{
	struct ptrmap *m = xcalloc(1, sizeof *m);

	init(m, n);
	return m;
}

void
ptrmap_free(struct ptrmap *m)
{
	if (m == NULL)
		return;
	free(m->s);
	free(m);
}

static void
grow(struct ptrmap *m)
{
	struct slot *old = m->s;
	size_t i, size = m->mask + 1;

	init(m, size); /* twice the slots */
	for (i = 0; i < size; i++)
		if (old[i].p != NULL)
			ptrmap_put(m, old[i].p, old[i].v);
	free(old);
}

void
ptrmap_put(struct ptrmap *m, const void *p, uint32_t v)
{
	size_t i;

	if (2 * (m->n + 1) > m->mask + 1)
		grow(m);
	for (i = place(m, p); m->s[i].p != NULL && m->s[i].p != p;
	     i = (i + 1) & m->mask)
		;
	if (m->s[i].p == NULL)
		m->n++;
	m->s[i].p = p;
	m->s[i].v = v;
}

uint32_t
ptrmap_get(const struct ptrmap *m, const void *p)
{
	size_t i;

	for (i = place(m, p); m->s[i].p != NULL; i = (i + 1) & m->mask)
		if (m->s[i].p == p)
			return m->s[i].v;
	return PTRMAP_NONE;
}
