/*
 * fuzz-api.c - the tailscale-api backend's answer readers take any bytes
 * without harm, and whatever they accept keeps the promises of users.h
 * and oauth.h.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_users *u;
	char err[256], *tok;
	long exp;

	err[0] = '\0';
	if (api_users_parse((const char *)data, size, &u, err, sizeof err) ==
	    0) {
		check(u);
		api_users_free(u);
	} else if (u != NULL || err[0] == '\0') {
		abort(); /* a refusal always says why */
	}
	if (oauth_parse(
		(const char *)data, size, &tok, &exp, err, sizeof err) == 0) {
		if (tok == NULL || !clean(tok, OAUTH_TOKEN_MAX) ||
		    strchr(tok, ' ') != NULL || exp < 1)
			abort();
		secret_free(tok);
	}
	return 0;
}
