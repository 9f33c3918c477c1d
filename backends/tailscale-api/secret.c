/*
 * secret.c - secrets from files, checked the way ssh checks a private
 * key: a secret anyone else can read is no longer a secret, and one
 * anyone else can write could be swapped for theirs.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "credential.h"
#include "secret.h"

void
secret_wipe(void *p, size_t len)
{
	if (p != NULL)
		explicit_bzero(p, len);
}

void
secret_free(char *s)
{
	if (s == NULL)
		return;
	secret_wipe(s, strlen(s));
	free(s);
}

static int
check_owner(const char *key, const char *path, const struct stat *st, char *err,
    size_t errlen)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s %s is not a regular file", key, path);
		return -1;
	}
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(err, errlen,
		    "%s %s is owned by uid %lu, not by root or by tsnssd's "
		    "user (uid %lu): chown root %s",
		    key, path, (unsigned long)st->st_uid,
		    (unsigned long)geteuid(), path);
		return -1;
	}
	if (st->st_mode & 077) {
		snprintf(err, errlen,
		    "%s %s can be read or written by group or others "
		    "(mode %04o): chmod 600 %s",
		    key, path, (unsigned)(st->st_mode & 07777), path);
		return -1;
	}
	return 0;
}

/* One printable token: no spaces, no control bytes, not empty. */
static int
check_token(const char *key, const char *path, char *buf, size_t n, char *err,
    size_t errlen)
{
	size_t i;

	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
			    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "%s %s is empty", key, path);
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)buf[i] <= 0x20 ||
		    (unsigned char)buf[i] >= 0x7f) {
			snprintf(err, errlen,
			    "%s %s must hold one token on one line, "
			    "printable ASCII without spaces",
			    key, path);
			return -1;
		}
	return 0;
}

static int
read_all(int fd, char *buf, size_t cap, size_t *n)
{
	ssize_t r;

	*n = 0;
	while (*n < cap) {
		r = read(fd, buf + *n, cap - *n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		*n += (size_t)r;
	}
	return 0;
}

static int
read_file(
    const char *key, const char *path, char **out, char *err, size_t errlen)
{
	char *buf = malloc(SECRET_MAX + 1);
	struct stat st;
	size_t n;
	int fd = -1;

	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0 ||
	    fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s %s: %s", key, path, strerror(errno));
		goto fail;
	}
	if (check_owner(key, path, &st, err, errlen) < 0)
		goto fail;
	if (read_all(fd, buf, SECRET_MAX + 1, &n) < 0) {
		snprintf(err, errlen, "%s %s: %s", key, path, strerror(errno));
		goto fail;
	}
	if (n > SECRET_MAX) {
		snprintf(err, errlen, "%s %s is longer than %d bytes", key,
		    path, SECRET_MAX);
		goto fail;
	}
	if (check_token(key, path, buf, n, err, errlen) < 0)
		goto fail;
	close(fd);
	*out = buf;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	secret_wipe(buf, SECRET_MAX + 1);
	free(buf);
	return -1;
}

int
secret_read(
    const char *key, const char *value, char **out, char *err, size_t errlen)
{
	char *path;
	int rc;

	*out = NULL;
	if (tsnss_credential_path(key, value, &path, err, errlen) < 0)
		return -1;
	rc = read_file(key, path, out, err, errlen);
	free(path);
	return rc;
}
