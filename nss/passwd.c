/*
 * passwd.c - the passwd entry points, on the shared lookup code in
 * lookup.c.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>

#include "nss-tailscale.h"

static int
from_snap(const struct tsnss_snap *v, uint32_t how, const char *name,
    uint32_t id, void *ent, char *buf, size_t buflen)
{
	struct tsnss_program_space sp;
	struct tsnss_pw u;
	int rc;

	if (how == TSNSS_PW_BYNAME)
		rc = tsnss_snap_login_by_name(v, name, &u);
	else if (how == TSNSS_PW_BYUID)
		rc = tsnss_snap_user_by_uid(v, id, &u);
	else if (v->h.flags & TSNSS_SNAP_NOENUM)
		rc = TSNSS_SNAP_NONE;
	else
		rc = tsnss_snap_user_at(v, id, &u);
	if (rc == TSNSS_SNAP_NONE)
		return ENOENT;
	if (rc != TSNSS_SNAP_FOUND)
		return EINVAL;
	tsnss_program_apply(v, &u, &sp);
	return tsnss_fill_pw(&u, ent, buf, buflen);
}

static int
from_reply(
    const unsigned char *p, size_t len, void *ent, char *buf, size_t buflen)
{
	return tsnss_unpack_passwd(p, len, ent, buf, buflen);
}

static struct tsnss_db passwd_db = {TSNSS_PW_BYNAME, TSNSS_PW_BYUID,
    TSNSS_PW_BYINDEX, from_snap, from_reply, 1, PTHREAD_MUTEX_INITIALIZER, 0};

enum nss_status
_nss_tailscale_getpwnam_r(
    const char *name, struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	return tsnss_db_by_name(&passwd_db, name, pw, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_getpwuid_r(
    uid_t uid, struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	return tsnss_db_by_id(&passwd_db, uid, pw, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_setpwent(int stayopen)
{
	(void)stayopen; /* nothing is kept open between lookups */
	return tsnss_db_rewind(&passwd_db);
}

enum nss_status
_nss_tailscale_getpwent_r(
    struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	return tsnss_db_next(&passwd_db, pw, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_endpwent(void)
{
	return tsnss_db_rewind(&passwd_db);
}
