/*
 * passwd.c - the passwd entry points, on the shared map code in map.c.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include "nss-tailscale.h"

static int
unpack(const unsigned char *p, size_t len, void *ent, char *buf, size_t buflen)
{
	return tsnss_unpack_passwd(p, len, ent, buf, buflen);
}

static struct tsnss_map passwd_map = {TSNSS_PW_BYNAME, TSNSS_PW_BYUID,
    TSNSS_PW_BYINDEX, unpack, PTHREAD_MUTEX_INITIALIZER, 0};

enum nss_status
_nss_tailscale_getpwnam_r(
    const char *name, struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	return tsnss_map_by_name(&passwd_map, name, pw, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_getpwuid_r(
    uid_t uid, struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	return tsnss_map_by_id(&passwd_map, uid, pw, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_setpwent(int stayopen)
{
	(void)stayopen; /* one connection per request: nothing to keep */
	return tsnss_map_rewind(&passwd_map);
}

enum nss_status
_nss_tailscale_getpwent_r(
    struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	return tsnss_map_next(&passwd_map, pw, buf, buflen, errnop);
}

enum nss_status
_nss_tailscale_endpwent(void)
{
	return tsnss_map_rewind(&passwd_map);
}
