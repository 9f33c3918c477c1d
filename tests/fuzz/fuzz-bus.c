/*
 * fuzz-bus.c - the IPN bus reader takes any bytes, in any chunks,
 * without harm, and the users it derives keep the promises of bus.h.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(struct bus *b)
{
	const struct tsnss_identity *ids;
	size_t n, i;
	int changed;

	ids = bus_users(b, &n, &changed);
	for (i = 0; ids != NULL && i < n; i++) {
		if (i > 0 && ids[i].id <= ids[i - 1].id)
			abort(); /* sorted, unique */
		if (ids[i].login == NULL ||
		    strcmp(ids[i].login, "tagged-devices") == 0)
			abort();
	}
}

/* The first byte says where to cut the rest into two chunks. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bus *b = bus_new(NULL, NULL);
	char err[256];
	size_t cut;

	if (b == NULL || size == 0) {
		bus_free(b);
		return 0;
	}
	cut = data[0] % size;
	data++, size--;
	if (cut > size)
		cut = size;
	if (bus_feed(b, (const char *)data, cut, err, sizeof err) == 0 &&
	    bus_feed(b, (const char *)data + cut, size - cut, err,
		sizeof err) == 0 &&
	    !bus_mid_message(b))
		check(b);
	bus_free(b);
	return 0;
}
