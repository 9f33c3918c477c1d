/*
 * keysort.c - see keysort.h.  A merge sort for the names (stable, and no
 * worst case), a radix sort for the ids.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "keysort.h"
#include "xmalloc.h"

/* Up to 8 bytes of s as a big-endian number; *n: how many there were. */
static uint64_t
head_of(const char *s, int *n)
{
	uint64_t h = 0;
	int i;

	/* byte by byte: reading 8 at once could run past a short name */
	for (i = 0; i < 8 && s[i] != '\0'; i++)
		h |= (uint64_t)(unsigned char)s[i] << (56 - 8 * i);
	*n = i;
	return h;
}

void
name_key_set(struct name_key *k, const char *name, size_t at)
{
	int n;

	k->head[0] = head_of(name, &n);
	k->head[1] = n == 8 ? head_of(name + 8, &n) : 0;
	k->name = name;
	k->at = at;
}

/* Inlined in the sorts below: a call per comparison was half their cost. */
static inline int
cmp(const struct name_key *a, const struct name_key *b)
{
	int c;

	if (a->head[0] != b->head[0])
		return a->head[0] < b->head[0] ? -1 : 1;
	if (a->head[1] != b->head[1])
		return a->head[1] < b->head[1] ? -1 : 1;
	/* the same 16 bytes, none NUL: both names go on */
	if ((a->head[1] & 0xff) != 0 &&
	    (c = strcmp(a->name + 16, b->name + 16)) != 0)
		return c;
	return a->at < b->at ? -1 : a->at > b->at;
}

int
name_key_cmp(const struct name_key *a, const struct name_key *b)
{
	return cmp(a, b);
}

#define RUN 16 /* sorted by insertion before merging */

static void
insertion(struct name_key *k, size_t n)
{
	size_t i, j;
	struct name_key t;

	for (i = 1; i < n; i++) {
		t = k[i];
		for (j = i; j > 0 && cmp(&t, &k[j - 1]) < 0; j--)
			k[j] = k[j - 1];
		k[j] = t;
	}
}

/* The sorted runs [a, a + n) and [a + n, a + 2n) of from, merged. */
static void
merge(const struct name_key *from, struct name_key *to, size_t a, size_t n,
    size_t end)
{
	size_t i = a, mid = a + n < end ? a + n : end, j = mid,
	       hi = mid + n < end ? mid + n : end, o = a;

	/* in order already (input sorted, or nearly): one comparison */
	if (mid < hi && cmp(&from[mid - 1], &from[mid]) <= 0) {
		memcpy(&to[a], &from[a], (hi - a) * sizeof *to);
		return;
	}
	while (i < mid && j < hi)
		to[o++] = cmp(&from[j], &from[i]) < 0 ? from[j++] : from[i++];
	memcpy(&to[o], &from[i], (mid - i) * sizeof *to);
	o += mid - i;
	memcpy(&to[o], &from[j], (hi - j) * sizeof *to);
}

void
name_keys_sort(struct name_key *k, size_t n)
{
	struct name_key *tmp, *from = k, *to, *t;
	size_t a, w;

	for (a = 0; a < n; a += RUN)
		insertion(k + a, n - a < RUN ? n - a : RUN);
	if (n <= RUN)
		return;
	tmp = xcalloc(n, sizeof *tmp);
	to = tmp;
	for (w = RUN; w < n; w *= 2) {
		for (a = 0; a < n; a += 2 * w)
			merge(from, to, a, w, n);
		t = from;
		from = to;
		to = t;
	}
	if (from != k)
		memcpy(k, from, n * sizeof *k);
	free(tmp);
}

void
id_keys_sort(struct id_key *k, size_t n)
{
	struct id_key *tmp, *from = k, *to, *t;
	size_t count[256], i, sum, shift;

	if (n < 2)
		return;
	tmp = xcalloc(n, sizeof *tmp);
	to = tmp;
	/* least significant byte first: each pass keeps the last's order */
	for (shift = 0; shift < 32; shift += 8) {
		memset(count, 0, sizeof count);
		for (i = 0; i < n; i++)
			count[from[i].id >> shift & 0xff]++;
		if (count[from[0].id >> shift & 0xff] == n)
			continue; /* all alike in this byte */
		for (i = 0, sum = 0; i < 256; i++) {
			size_t c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[count[from[i].id >> shift & 0xff]++] = from[i];
		t = from;
		from = to;
		to = t;
	}
	if (from != k)
		memcpy(k, from, n * sizeof *k);
	free(tmp);
}
