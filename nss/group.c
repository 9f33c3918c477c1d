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

/* The members of a group in the map, by number. */
struct snap_members {
	const struct tsnss_snap *v;
	const struct tsnss_gr *g;
};

static int
snap_member(void *ctx, uint32_t i, struct tsnss_str *out)
{
	const struct snap_members *sm = ctx;

	return tsnss_snap_member(sm->v, sm->g, i, out);
}

static int
from_snap(const struct tsnss_snap *v, uint32_t how, const char *name,
    uint32_t id, void *ent, char *buf, size_t buflen)
{
	struct tsnss_gr g;
	struct snap_members sm = {v, &g};
	int rc;

	if (how == TSNSS_GR_BYNAME)
		rc = tsnss_snap_group_by_name(v, name, &g);
	else if (how == TSNSS_GR_BYGID)
		rc = tsnss_snap_group_by_gid(v, id, &g);
	else if (v->h.flags & TSNSS_SNAP_NOENUM)
		rc = TSNSS_SNAP_NONE;
	else
		rc = tsnss_snap_group_at(v, id, &g);
	if (rc == TSNSS_SNAP_NONE)
		return ENOENT;
	if (rc != TSNSS_SNAP_FOUND)
		return EINVAL;
	return tsnss_fill_gr(&g, snap_member, &sm, ent, buf, buflen);
}

static int
from_reply(
    const unsigned char *p, size_t len, void *ent, char *buf, size_t buflen)
{
	return tsnss_unpack_group(p, len, ent, buf, buflen);
}

static struct tsnss_db group_db = {TSNSS_GR_BYNAME, TSNSS_GR_BYGID,
    TSNSS_GR_BYINDEX, from_snap, from_reply, 0, PTHREAD_MUTEX_INITIALIZER, 0};

enum nss_status
_nss_tailscale_getgrnam_r(
    const char *name, struct group *gr, char *buf, size_t buflen, int *errnop)
{
	return tsnss_db_by_name(&group_db, name, gr, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_getgrgid_r(
    gid_t gid, struct group *gr, char *buf, size_t buflen, int *errnop)
{
	return tsnss_db_by_id(&group_db, gid, gr, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_setgrent(int stayopen)
{
	(void)stayopen; /* nothing is kept open between lookups */
	return tsnss_db_rewind(&group_db);
}

enum nss_status
_nss_tailscale_getgrent_r(
    struct group *gr, char *buf, size_t buflen, int *errnop)
{
	return tsnss_db_next(&group_db, gr, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_endgrent(void)
{
	return tsnss_db_rewind(&group_db);
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

/* glibc's arguments to initgroups_dyn, passed along whole. */
struct gids_out {
	gid_t group;
	long int *start, *size, limit;
	gid_t **groupsp;
};

/* gid 0 is never handed out, whatever the source says. */
static enum nss_status
add(const struct gids_out *o, uint32_t gid, int *errnop)
{
	if (gid == 0)
		return NSS_STATUS_SUCCESS;
	return add_gid(
	    gid, o->group, o->start, o->size, o->groupsp, o->limit, errnop);
}

/* From the map: the status, or -1 when there is no usable map. */
static int
gids_from_map(const char *user, const struct gids_out *o, enum nss_status *st,
    int *errnop)
{
	const struct tsnss_snap *v;
	struct tsnss_pw u;
	uint32_t i;
	int rc;

	if ((v = tsnss_snap_acquire()) == NULL)
		return -1;
	rc = tsnss_snap_login_by_name(v, user, &u);
	*st = rc == TSNSS_SNAP_FOUND  ? NSS_STATUS_SUCCESS
	      : rc == TSNSS_SNAP_NONE ? NSS_STATUS_NOTFOUND
				      : NSS_STATUS_UNAVAIL;
	for (i = 0; *st == NSS_STATUS_SUCCESS && i < u.n_gids; i++)
		*st = add(o, tsnss_snap_user_gid(v, &u, i), errnop);
	tsnss_snap_release();
	if (*st == NSS_STATUS_NOTFOUND || *st == NSS_STATUS_UNAVAIL)
		*errnop = ENOENT;
	return 0;
}

static enum nss_status
gids_from_socket(
    const char *user, size_t n, const struct gids_out *o, int *errnop)
{
	struct tsnss_reply r;
	enum nss_status st;
	uint32_t count = 0, i;

	st = tsnss_ask(TSNSS_INITGROUPS, user, n, &r, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	if (tsnss_wire_get_gids(r.payload, r.len, &count) != 0)
		st = tsnss_fill_status(EINVAL, errnop);
	for (i = 0; st == NSS_STATUS_SUCCESS && i < count; i++)
		st = add(o, tsnss_wire_gid_at(r.payload, i), errnop);
	free(r.payload);
	return st;
}

enum nss_status
_nss_tailscale_initgroups_dyn(const char *user, gid_t group, long int *start,
    long int *size, gid_t **groupsp, long int limit, int *errnop)
{
	struct gids_out o = {group, start, size, limit, groupsp};
	enum nss_status st;
	size_t n;

	if (tsnss_bad_name(user, &n)) {
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	}
	if (gids_from_map(user, &o, &st, errnop) == 0)
		return st;
	return gids_from_socket(user, n, &o, errnop);
}
