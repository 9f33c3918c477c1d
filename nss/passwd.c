/*
 * passwd.c - the passwd entry points.
 *
 * Enumeration keeps nothing but an index: tsnssd answers "the i-th user"
 * without any per-client state, and NOTFOUND ends the list.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nss-tailscale.h"

static pthread_mutex_t pwent_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t pwent_index;

static enum nss_status
pw_lookup(uint32_t action, const void *key, size_t keylen, struct passwd *pw,
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

static enum nss_status
pw_lookup_id(uint32_t action, uint32_t id, struct passwd *pw, char *buf,
    size_t buflen, int *errnop)
{
	return pw_lookup(action, &id, sizeof id, pw, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_getpwnam_r(
    const char *name, struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	size_t n;

	if (tsnss_bad_name(name, &n)) {
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	}
	return pw_lookup(TSNSS_PW_BYNAME, name, n, pw, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_getpwuid_r(
    uid_t uid, struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	return pw_lookup_id(TSNSS_PW_BYUID, uid, pw, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_setpwent(int stayopen)
{
	(void)stayopen; /* one connection per request: nothing to keep */
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

	pthread_mutex_lock(&pwent_lock);
	st = pw_lookup_id(
	    TSNSS_PW_BYINDEX, pwent_index, pw, buf, buflen, errnop);
	/* not on TRYAGAIN: glibc asks for the same entry again, bigger */
	if (st == NSS_STATUS_SUCCESS)
		pwent_index++;
	pthread_mutex_unlock(&pwent_lock);
	return st;
}

enum nss_status
_nss_tailscale_endpwent(void)
{
	return _nss_tailscale_setpwent(0);
}
