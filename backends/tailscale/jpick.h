/*
 * jpick.h - read a few members of one JSON object without a json-c tree.
 *
 * The bus's first message carries every peer of the tailnet, and of each
 * the bus wants two integers and whether it has tags.  Building a json-c
 * tree per peer (an object, a hash table and a dozen strings, freed at
 * once) was a third of tsnssd's CPU at 200k peers.  jpick checks the whole
 * object strictly (the grammar of RFC 8259, nesting bounded) and keeps only
 * the members it is asked for.
 */
#ifndef TSNSS_TS_JPICK_H
#define TSNSS_TS_JPICK_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

enum jpick_kind {
	JPICK_ID,	/* an integer from 1 to INT64_MAX - 1, as ts_json_id */
	JPICK_NONEMPTY, /* an array with at least one element */
};

struct jpick {
	const char *key;
	enum jpick_kind kind;
	int found;  /* set: the member is there and is what kind asks */
	int64_t id; /* JPICK_ID */
};

/*
 * buf[0..len) is one JSON value.  0: it is an object, and each pick says
 * what it found (the last of duplicate members wins, as with json-c);
 * 1: valid JSON but not an object; -1: not valid JSON.
 */
int jpick_object(const char *buf, size_t len, struct jpick *picks, size_t n);

#pragma GCC visibility pop

#endif
