/*
 * keysort.h - sorting names and ids through small keys kept side by side,
 * not through pointers to the records that hold them.
 *
 * qsort with strcmp behind two pointers was a seventh of the CPU a large
 * tailnet's first build took: a call per comparison, and two cache
 * misses before the first byte is compared.  A name's first eight bytes,
 * kept in its key as one number, order most pairs alone; the next eight
 * most others (alice.smith1 and alice.smith2 share eight); only names
 * that share sixteen are compared further, with strcmp.
 *
 * The order is strcmp's, then the caller's index (at): the same as the
 * stable qsort it replaces, whatever the input's order.
 */
#ifndef TSNSS_KEYSORT_H
#define TSNSS_KEYSORT_H

#include <stddef.h>
#include <stdint.h>

struct name_key {
	/* the first 16 bytes, as two big-endian numbers, NUL-padded */
	uint64_t head[2];
	const char *name; /* borrowed */
	size_t at;
};

struct id_key {
	uint32_t id;
	uint32_t at;
};

/* The key of name, found at index at of the caller's array. */
void name_key_set(struct name_key *k, const char *name, size_t at);
/* <0, 0, >0 as strcmp(a->name, b->name), then a->at against b->at. */
int name_key_cmp(const struct name_key *a, const struct name_key *b);
void name_keys_sort(struct name_key *k, size_t n);
/* By id, stable (ids alike keep their order); in linear time. */
void id_keys_sort(struct id_key *k, size_t n);

#endif
