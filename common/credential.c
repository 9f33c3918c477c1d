/*
 * credential.c - "credential:NAME" settings to $CREDENTIALS_DIRECTORY/NAME.
 * See credential.h.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credential.h"

#define PREFIX_LEN (sizeof TSNSS_CREDENTIAL_PREFIX - 1)
#define NAME_MAX_LEN 255 /* systemd's limit on a credential name */

int
tsnss_is_credential(const char *value)
{
	return strncmp(value, TSNSS_CREDENTIAL_PREFIX, PREFIX_LEN) == 0;
}

int
tsnss_credential_name_ok(const char *value)
{
	const char *name = value + PREFIX_LEN;
	size_t n;

	if (!tsnss_is_credential(value))
		return 0;
	n = strlen(name);
	return n > 0 && n <= NAME_MAX_LEN && strchr(name, '/') == NULL &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static char *
join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + 1 + strlen(name) + 1;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

int
tsnss_credential_path(
    const char *key, const char *value, char **path, char *err, size_t errlen)
{
	const char *dir;

	*path = NULL;
	if (!tsnss_is_credential(value))
		*path = strdup(value);
	else if (!tsnss_credential_name_ok(value)) {
		snprintf(err, errlen,
		    "%s %s: a credential name must be 1 to %d bytes, "
		    "without '/'",
		    key, value, NAME_MAX_LEN);
		return -1;
	} else if ((dir = getenv("CREDENTIALS_DIRECTORY")) == NULL ||
		   dir[0] != '/') {
		snprintf(err, errlen,
		    "%s %s: $CREDENTIALS_DIRECTORY is not set: a credential "
		    "is passed by systemd; add LoadCredential=%s:FILE to the "
		    "unit (see tailscale-nss.conf(5)) or give the file's path",
		    key, value, value + PREFIX_LEN);
		return -1;
	} else
		*path = join(dir, value + PREFIX_LEN);
	if (*path == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}
