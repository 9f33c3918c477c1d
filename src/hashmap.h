/*
 * hashmap.h - what the build's open-addressing maps (strmap.h for
 * names, u32map.h for ids) share: their size and their seed.
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

#endif
