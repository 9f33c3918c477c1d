/*
 * group.c - the group entry points, and initgroups_dyn, which gives glibc
 * a user's supplementary groups in one request instead of a walk over
 * every group.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nss-tailscale.h"

static pthread_mutex_t grent_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t grent_index;

static enum nss_status
gr_lookup(uint32_t action, const void *key, size_t keylen, struct group *gr,
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

static enum nss_status
gr_lookup_id(uint32_t action, uint32_t id, struct group *gr, char *buf,
    size_t buflen, int *errnop)
{
	return gr_lookup(action, &id, sizeof id, gr, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_getgrnam_r(
    const char *name, struct group *gr, char *buf, size_t buflen, int *errnop)
{
	size_t n;

	if (tsnss_bad_name(name, &n)) {
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	}
	return gr_lookup(TSNSS_GR_BYNAME, name, n, gr, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_getgrgid_r(
    gid_t gid, struct group *gr, char *buf, size_t buflen, int *errnop)
{
	return gr_lookup_id(TSNSS_GR_BYGID, gid, gr, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_setgrent(int stayopen)
{
	(void)stayopen; /* one connection per request: nothing to keep */
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

	pthread_mutex_lock(&grent_lock);
	st = gr_lookup_id(
	    TSNSS_GR_BYINDEX, grent_index, gr, buf, buflen, errnop);
	/* not on TRYAGAIN: glibc asks for the same entry again, bigger */
	if (st == NSS_STATUS_SUCCESS)
		grent_index++;
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

/*
 * Append gid unless it is the primary group or already there, growing
 * the array as glibc's own modules do: doubling, capped at limit when
 * limit > 0.  At the cap the gid is dropped and the answer still stands.
 */
static enum nss_status
add_gid(gid_t gid, gid_t group, long int *start, long int *size,
    gid_t **groupsp, long int limit, int *errnop)
{
	long int want;
	gid_t *g;

	if (gid == group || has_gid(*groupsp, *start, gid))
		return NSS_STATUS_SUCCESS;
	if (*start >= *size) {
		if (limit > 0 && *size >= limit)
			return NSS_STATUS_SUCCESS;
		want = *size > 0 ? 2 * *size : 16;
		if (limit > 0 && want > limit)
			want = limit;
		g = realloc(*groupsp, (size_t)want * sizeof **groupsp);
		if (g == NULL) {
			*errnop = ENOMEM;
			return NSS_STATUS_TRYAGAIN;
		}
		*groupsp = g;
		*size = want;
	}
	(*groupsp)[(*start)++] = gid;
	return NSS_STATUS_SUCCESS;
}

enum nss_status
_nss_tailscale_initgroups_dyn(const char *user, gid_t group, long int *start,
    long int *size, gid_t **groupsp, long int limit, int *errnop)
{
	struct tsnss_reply r;
	enum nss_status st;
	uint32_t count = 0, i;
	size_t n;

	if (tsnss_bad_name(user, &n)) {
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	}
	st = tsnss_ask(TSNSS_INITGROUPS, user, n, &r, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	if (tsnss_unpack_gids(r.payload, r.len, &count) != 0)
		st = tsnss_unpack_status(EINVAL, errnop);
	for (i = 0; st == NSS_STATUS_SUCCESS && i < count; i++)
		st = add_gid(tsnss_gid_at(r.payload, i), group, start, size,
		    groupsp, limit, errnop);
	free(r.payload);
	return st;
}
