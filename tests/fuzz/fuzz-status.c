/*
 * fuzz-status.c - the LocalAPI status parser takes any bytes without
 * harm, and whatever it accepts keeps the promises of status.h.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct ts_status *st)
{
	size_t i, j, len;

	if (st->backend_state == NULL)
		abort();
	for (i = 0; i < st->n_users; i++) {
		const struct ts_user *u = &st->users[i];

		if (u->id < 1 || (i > 0 && u->id <= st->users[i - 1].id))
			abort(); /* positive, sorted, unique */
		len = strlen(u->login);
		if (len == 0 || len > TS_LOGIN_MAX || u->display_name == NULL)
			abort();
		for (j = 0; j < len; j++)
			if ((unsigned char)u->login[j] < 0x20 ||
			    u->login[j] == 0x7f)
				abort();
	}
	if ((st->n_skipped > 0) != (st->skip_reason != NULL))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_status *st;
	char err[256];

	if (ts_status_parse((const char *)data, size, &st, err, sizeof err) ==
	    0) {
		check(st);
		ts_status_free(st);
	} else if (st != NULL || err[0] == '\0') {
		abort(); /* a refusal always says why */
	}
	return 0;
}
