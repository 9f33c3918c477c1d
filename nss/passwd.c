/*
 * passwd.c - the passwd entry points.  Enumeration keeps only an index:
 * tsnssd answers "the i-th user" without any per-client state.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nss-tailscale.h"

enum nss_status _nss_tailscale_getpwnam_r(
    const char *, struct passwd *, char *, size_t, int *);
enum nss_status _nss_tailscale_getpwuid_r(
    uid_t, struct passwd *, char *, size_t, int *);
enum nss_status _nss_tailscale_setpwent(int);
enum nss_status _nss_tailscale_getpwent_r(
    struct passwd *, char *, size_t, int *);
enum nss_status _nss_tailscale_endpwent(void);

static pthread_mutex_t pwent_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t pwent_index;

static enum nss_status
lookup(uint32_t action, const void *key, size_t keylen, struct passwd *pw,
    char *buf, size_t buflen, int *errnop)
{
	struct tsnss_reply r;
	enum nss_status st;
	int rc;

	st = tsnss_ask(action, key, keylen, &r, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	rc = tsnss_unpack_passwd(r.payload, r.len, pw, buf, buflen);
	free(r.payload);
	return tsnss_unpack_status(rc, errnop);
}

enum nss_status
_nss_tailscale_getpwnam_r(
    const char *name, struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	size_t n = strlen(name);

	if (n == 0 || n > TSNSS_MAX_KEY) {
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	}
	return lookup(TSNSS_PW_BYNAME, name, n, pw, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_getpwuid_r(
    uid_t uid, struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	uint32_t key = uid;

	return lookup(
	    TSNSS_PW_BYUID, &key, sizeof key, pw, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_setpwent(int stayopen)
{
	pthread_mutex_lock(&pwent_lock);
	pwent_index = 0;
	pthread_mutex_unlock(&pwent_lock);
	return NSS_STATUS_SUCCESS;
}

enum nss_status
_nss_tailscale_getpwent_r(
    struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	enum nss_status st;
	uint32_t key;

	pthread_mutex_lock(&pwent_lock);
	key = pwent_index;
	st =
	    lookup(TSNSS_PW_BYINDEX, &key, sizeof key, pw, buf, buflen, errnop);
	if (st == NSS_STATUS_SUCCESS)
		pwent_index++; /* not on ERANGE: glibc asks again, bigger */
	pthread_mutex_unlock(&pwent_lock);
	return st;
}

enum nss_status
_nss_tailscale_endpwent(void)
{
	return _nss_tailscale_setpwent(0);
}
