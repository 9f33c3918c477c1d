/*
 * hashmap.h - what the build's open-addressing maps (strmap.h for
 * names, u32map.h for ids, ptrmap.h for addresses) and its caches by
 * address share: their size, their seed, and the hash of an address.
 */
#ifndef TSNSS_HASHMAP_H
#define TSNSS_HASHMAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/random.h>

/* A power of two, at least twice hint: at most half full. */
static inline size_t
hashmap_cap(size_t hint)
{
	size_t cap = 16;

	while (cap < 2 * hint)
		cap *= 2;
	return cap;
}

/*
 * Random, so that keys a tailnet or a config chooses cannot be made to
 * pile up in one probe chain; salt (the map's address) only if the
 * kernel has no randomness to give yet.
 */
static inline uint64_t
hashmap_seed(const void *salt)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) !=
	    (ssize_t)sizeof seed)
		seed = 0x9e3779b97f4a7c15ull ^ (uintptr_t)salt;
	return seed;
}

/*
 * An address, mixed (Fibonacci hashing): its high bits are well spread,
 * so a table of 2^k takes the top k.  The strings looked up by address
 * are the same few copies handed around millions of times on a large
 * tailnet; a multiplication is all a hit costs.
 */
static inline uint64_t
hashmap_addr(const void *p)
{
	return (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull;
}

#endif
