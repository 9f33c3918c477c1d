/*
 * map.c - what getpwnam/getgrnam and friends have in common: ask tsnssd,
 * unpack the answer into the caller's buffer, walk the enumeration.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <stdlib.h>

#include "nss-tailscale.h"

static enum nss_status
lookup(struct tsnss_map *m, uint32_t action, const void *key, size_t keylen,
    void *ent, char *buf, size_t buflen, int *errnop)
{
	struct tsnss_reply r;
	enum nss_status st;
	int rc;

	st = tsnss_ask(action, key, keylen, &r, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	rc = m->unpack(r.payload, r.len, ent, buf, buflen);
	free(r.payload);
	return tsnss_unpack_status(rc, errnop);
}

enum nss_status
tsnss_map_by_name(struct tsnss_map *m, const char *name, void *ent, char *buf,
    size_t buflen, int *errnop)
{
	size_t n;

	if (tsnss_bad_name(name, &n)) {
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	}
	return lookup(m, m->by_name, name, n, ent, buf, buflen, errnop);
}

enum nss_status
tsnss_map_by_id(struct tsnss_map *m, uint32_t id, void *ent, char *buf,
    size_t buflen, int *errnop)
{
	return lookup(m, m->by_id, &id, sizeof id, ent, buf, buflen, errnop);
}

enum nss_status
tsnss_map_rewind(struct tsnss_map *m)
{
	pthread_mutex_lock(&m->lock);
	m->index = 0;
	pthread_mutex_unlock(&m->lock);
	return NSS_STATUS_SUCCESS;
}

enum nss_status
tsnss_map_next(
    struct tsnss_map *m, void *ent, char *buf, size_t buflen, int *errnop)
{
	enum nss_status st;
	uint32_t key;

	pthread_mutex_lock(&m->lock);
	key = m->index;
	st = lookup(m, m->by_index, &key, sizeof key, ent, buf, buflen, errnop);
	/* not on TRYAGAIN: glibc asks for the same entry again, bigger */
	if (st == NSS_STATUS_SUCCESS)
		m->index++;
	pthread_mutex_unlock(&m->lock);
	return st;
}
