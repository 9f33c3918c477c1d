/*
 * fuzz-status.c - the LocalAPI status parser takes any bytes without
 * harm, whatever it accepts keeps the promises of status.h, and the bytes
 * cut in three pieces (as they arrive from a socket) give the same answer.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jdoc.h"
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

/* The same bytes in three pieces, cut where the first two bytes say. */
static struct ts_status *
in_pieces(const uint8_t *data, size_t size)
{
	struct jdoc *sp = ts_status_parser_new();
	size_t a = size ? data[0] % (size + 1) : 0;
	size_t b = size > 1 ? a + data[1] % (size - a + 1) : a;
	struct ts_status *st = NULL;
	char err[256];

	if (sp == NULL)
		abort();
	if (jdoc_feed(sp, (const char *)data, a, err, sizeof err) == 0 &&
	    jdoc_feed(sp, (const char *)data + a, b - a, err, sizeof err) ==
		0 &&
	    jdoc_feed(sp, (const char *)data + b, size - b, err, sizeof err) ==
		0)
		ts_status_parser_finish(sp, &st, err, sizeof err);
	jdoc_free(sp);
	return st;
}

static void
same(const struct ts_status *a, const struct ts_status *b)
{
	size_t i;

	if ((a == NULL) != (b == NULL))
		abort();
	if (a == NULL)
		return;
	if (a->n_users != b->n_users || a->n_skipped != b->n_skipped)
		abort();
	for (i = 0; i < a->n_users; i++)
		if (a->users[i].id != b->users[i].id ||
		    strcmp(a->users[i].login, b->users[i].login) != 0)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_status *st, *again;
	char err[256];

	if (ts_status_parse((const char *)data, size, &st, err, sizeof err) ==
	    0)
		check(st);
	else if (st != NULL || err[0] == '\0')
		abort(); /* a refusal always says why */
	again = in_pieces(data, size);
	same(st, again);
	ts_status_free(st);
	ts_status_free(again);
	return 0;
}
