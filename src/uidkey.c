/*
 * uidkey.c - the keyed UID hash.  OpenSSL's libcrypto is already on every
 * host that has libcurl's TLS, and its HMAC is the well-kept one.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "credential.h"
#include "uidkey.h"
#include "xmalloc.h"

uint32_t
uidkey_hash(const unsigned char *key, size_t keylen, const char *s)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)s,
		strlen(s), md, &mdlen) == NULL ||
	    mdlen < 4)
		abort(); /* only on out-of-memory inside libcrypto */
	return (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
	       (uint32_t)md[2] << 8 | md[3];
}

/* Who may hold the key: anyone who can read it can aim at a UID. */
static int
check_key_file(
    const char *path, const struct stat *st, char *err, size_t errlen)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(
		    err, errlen, "uid_key_file %s: not a regular file", path);
		return -1;
	}
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(err, errlen,
		    "uid_key_file %s: owned by uid %u; must be owned by root "
		    "or by tsnssd's user",
		    path, (unsigned)st->st_uid);
		return -1;
	}
	if (st->st_mode & 077) { /* as api_key_file: its group may not */
		snprintf(err, errlen,
		    "uid_key_file %s: mode %03o, readable by others or open "
		    "to its group; run: chmod 600 %s",
		    path, (unsigned)(st->st_mode & 0777), path);
		return -1;
	}
	return 0;
}

static int
read_key(int fd, const char *path, unsigned char *buf, size_t *len, char *err,
    size_t errlen)
{
	ssize_t n;

	*len = 0;
	while ((n = read(fd, buf + *len, UIDKEY_MAX_BYTES + 1 - *len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "uid_key_file %s: %s", path,
			    strerror(errno));
			return -1;
		}
		*len += (size_t)n;
		if (*len > UIDKEY_MAX_BYTES) {
			snprintf(err, errlen,
			    "uid_key_file %s: longer than %d bytes", path,
			    UIDKEY_MAX_BYTES);
			return -1;
		}
	}
	while (*len > 0 && (buf[*len - 1] == '\n' || buf[*len - 1] == ' ' ||
			       buf[*len - 1] == '\r' || buf[*len - 1] == '\t'))
		(*len)--;
	if (*len < UIDKEY_MIN_BYTES) {
		snprintf(err, errlen,
		    "uid_key_file %s: shorter than %d bytes; make one with: "
		    "head -c 32 /dev/urandom | base64 >%s",
		    path, UIDKEY_MIN_BYTES, path);
		return -1;
	}
	return 0;
}

static int
load_file(const char *path, unsigned char **key, size_t *len, char *err,
    size_t errlen)
{
	unsigned char *buf;
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(
		    err, errlen, "uid_key_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || check_key_file(path, &st, err, errlen)) {
		if (*err == '\0')
			snprintf(err, errlen, "uid_key_file %s: %s", path,
			    strerror(errno));
		close(fd);
		return -1;
	}
	buf = xmalloc(UIDKEY_MAX_BYTES + 1);
	rc = read_key(fd, path, buf, len, err, errlen);
	close(fd);
	if (rc != 0) {
		explicit_bzero(buf, UIDKEY_MAX_BYTES + 1);
		free(buf);
		return -1;
	}
	*key = buf;
	return 0;
}

int
uidkey_load(const char *value, unsigned char **key, size_t *len, char *err,
    size_t errlen)
{
	char *path;
	int rc;

	if (tsnss_credential_path("uid_key_file", value, &path, err, errlen))
		return -1;
	rc = load_file(path, key, len, err, errlen);
	free(path);
	return rc;
}
