/*
 * group.c - the group entry points and initgroups_dyn, which tells
 * glibc the supplementary groups of a user in one request.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nss-tailscale.h"

enum nss_status _nss_tailscale_getgrnam_r(
    const char *, struct group *, char *, size_t, int *);
enum nss_status _nss_tailscale_getgrgid_r(
    gid_t, struct group *, char *, size_t, int *);
enum nss_status _nss_tailscale_setgrent(int);
enum nss_status _nss_tailscale_getgrent_r(
    struct group *, char *, size_t, int *);
enum nss_status _nss_tailscale_endgrent(void);
enum nss_status _nss_tailscale_initgroups_dyn(
    const char *, gid_t, long int *, long int *, gid_t **, long int, int *);

static pthread_mutex_t grent_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t grent_index;

static enum nss_status
lookup(uint32_t action, const void *key, size_t keylen, struct group *gr,
    char *buf, size_t buflen, int *errnop)
{
	struct tsnss_reply r;
	enum nss_status st;
	int rc;

	st = tsnss_ask(action, key, keylen, &r, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	rc = tsnss_unpack_group(r.payload, r.len, gr, buf, buflen);
	free(r.payload);
	return tsnss_unpack_status(rc, errnop);
}

enum nss_status
_nss_tailscale_getgrnam_r(
    const char *name, struct group *gr, char *buf, size_t buflen, int *errnop)
{
	size_t n = strlen(name);

	if (n == 0 || n > TSNSS_MAX_KEY) {
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	}
	return lookup(TSNSS_GR_BYNAME, name, n, gr, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_getgrgid_r(
    gid_t gid, struct group *gr, char *buf, size_t buflen, int *errnop)
{
	uint32_t key = gid;

	return lookup(
	    TSNSS_GR_BYGID, &key, sizeof key, gr, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_setgrent(int stayopen)
{
	pthread_mutex_lock(&grent_lock);
	grent_index = 0;
	pthread_mutex_unlock(&grent_lock);
	return NSS_STATUS_SUCCESS;
}

enum nss_status
_nss_tailscale_getgrent_r(
    struct group *gr, char *buf, size_t buflen, int *errnop)
{
	enum nss_status st;
	uint32_t key;

	pthread_mutex_lock(&grent_lock);
	key = grent_index;
	st =
	    lookup(TSNSS_GR_BYINDEX, &key, sizeof key, gr, buf, buflen, errnop);
	if (st == NSS_STATUS_SUCCESS)
		grent_index++; /* not on ERANGE: glibc asks again, bigger */
	pthread_mutex_unlock(&grent_lock);
	return st;
}

enum nss_status
_nss_tailscale_endgrent(void)
{
	return _nss_tailscale_setgrent(0);
}

static int
has_gid(const gid_t *groups, long int n, gid_t gid)
{
	long int i;

	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

/* Room for one more gid, growing as glibc's own modules do. */
static int
make_room(long int *start, long int *size, gid_t **groupsp, long int limit)
{
	long int want;
	gid_t *g;

	if (*start < *size)
		return 0;
	if (limit > 0 && *size >= limit)
		return -1;
	want = *size > 0 ? 2 * *size : 16;
	if (limit > 0 && want > limit)
		want = limit;
	g = realloc(*groupsp, (size_t)want * sizeof **groupsp);
	if (g == NULL)
		return -1;
	*groupsp = g;
	*size = want;
	return 0;
}

enum nss_status
_nss_tailscale_initgroups_dyn(const char *user, gid_t group, long int *start,
    long int *size, gid_t **groupsp, long int limit, int *errnop)
{
	struct tsnss_reply r;
	enum nss_status st;
	uint32_t n, i;
	gid_t gid;

	if (strlen(user) == 0 || strlen(user) > TSNSS_MAX_KEY) {
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	}
	st = tsnss_ask(TSNSS_INITGROUPS, user, strlen(user), &r, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	if (tsnss_unpack_gids(r.payload, r.len, &n) != 0) {
		free(r.payload);
		return tsnss_unpack_status(EINVAL, errnop);
	}
	for (i = 0; i < n; i++) {
		gid = tsnss_gid_at(r.payload, i);
		if (gid == group || has_gid(*groupsp, *start, gid))
			continue;
		if (make_room(start, size, groupsp, limit) != 0)
			break; /* at the limit: what fits is the answer */
		(*groupsp)[(*start)++] = gid;
	}
	free(r.payload);
	return NSS_STATUS_SUCCESS;
}
