/*
 * fuzz-api.c - the tailscale-api backend's answer readers take any bytes
 * without harm, whatever they accept keeps the promises of users.h and
 * oauth.h, and the users answer cut in three pieces (as it arrives from
 * a socket) gives the same users.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jdoc.h"
#include "oauth.h"
#include "secret.h"
#include "users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
clean(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static void
check(const struct api_users *u)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		const struct api_user *a = &u->users[i];

		if (a->id < 1 || (i > 0 && a->id <= u->users[i - 1].id))
			abort(); /* positive, sorted, unique */
		if (a->login[0] == '\0' || !clean(a->login, 256) ||
		    a->display_name == NULL || !clean(a->status, 64) ||
		    strcmp(a->login, "tagged-devices") == 0)
			abort();
		if (strcmp(a->status, "active") != 0 &&
		    strcmp(a->status, "idle") != 0)
			abort(); /* only these count */
	}
	if ((u->n_odd > 0) != (u->odd_reason != NULL))
		abort();
}

/* The same bytes in three pieces, cut where the first two bytes say. */
static struct api_users *
in_pieces(const uint8_t *data, size_t size)
{
	struct jdoc *p = api_users_parser_new();
	size_t a = size ? data[0] % (size + 1) : 0;
	size_t b = size > 1 ? a + data[1] % (size - a + 1) : a;
	struct api_users *u = NULL;
	char err[256];

	if (p == NULL)
		abort();
	if (jdoc_feed(p, (const char *)data, a, err, sizeof err) == 0 &&
	    jdoc_feed(p, (const char *)data + a, b - a, err, sizeof err) == 0 &&
	    jdoc_feed(p, (const char *)data + b, size - b, err, sizeof err) ==
		0)
		api_users_parser_finish(p, &u, err, sizeof err);
	jdoc_free(p);
	return u;
}

static void
same(const struct api_users *a, const struct api_users *b)
{
	size_t i;

	if ((a == NULL) != (b == NULL))
		abort();
	if (a == NULL)
		return;
	if (a->n != b->n || a->n_odd != b->n_odd ||
	    a->n_inactive != b->n_inactive || a->n_pseudo != b->n_pseudo)
		abort();
	for (i = 0; i < a->n; i++)
		if (a->users[i].id != b->users[i].id ||
		    strcmp(a->users[i].login, b->users[i].login) != 0)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_users *u, *again;
	char err[256], *tok;
	long exp;

	err[0] = '\0';
	if (api_users_parse((const char *)data, size, &u, err, sizeof err) == 0)
		check(u);
	else if (u != NULL || err[0] == '\0')
		abort(); /* a refusal always says why */
	again = in_pieces(data, size);
	same(u, again);
	api_users_free(u);
	api_users_free(again);
	if (oauth_parse(
		(const char *)data, size, &tok, &exp, err, sizeof err) == 0) {
		if (tok == NULL || !clean(tok, OAUTH_TOKEN_MAX) ||
		    strchr(tok, ' ') != NULL || exp < 1)
			abort();
		secret_free(tok);
	}
	return 0;
}
