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

static int
unpack(const unsigned char *p, size_t len, void *ent, char *buf, size_t buflen)
{
	return tsnss_unpack_group(p, len, ent, buf, buflen);
}

static struct tsnss_map group_map = {TSNSS_GR_BYNAME, TSNSS_GR_BYGID,
    TSNSS_GR_BYINDEX, unpack, PTHREAD_MUTEX_INITIALIZER, 0};

enum nss_status
_nss_tailscale_getgrnam_r(
    const char *name, struct group *gr, char *buf, size_t buflen, int *errnop)
{
	return tsnss_map_by_name(&group_map, name, gr, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_getgrgid_r(
    gid_t gid, struct group *gr, char *buf, size_t buflen, int *errnop)
{
	return tsnss_map_by_id(&group_map, gid, gr, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_setgrent(int stayopen)
{
	(void)stayopen; /* one connection per request: nothing to keep */
	return tsnss_map_rewind(&group_map);
}

enum nss_status
_nss_tailscale_getgrent_r(
    struct group *gr, char *buf, size_t buflen, int *errnop)
{
	return tsnss_map_next(&group_map, gr, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_endgrent(void)
{
	return tsnss_map_rewind(&group_map);
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
