/*
 * lookup.c - what getpwnam/getgrnam and friends have in common: answer
 * from the mapped snapshot when there is a usable one, else ask tsnssd
 * over its socket; unpack into the caller's buffer; walk the enumeration.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <stdlib.h>

#include "nss-tailscale.h"

/* From the map: the status, or -1 when there is no usable map. */
static int
from_map(struct tsnss_db *db, uint32_t how, const char *name, uint32_t id,
    void *ent, char *buf, size_t buflen, enum nss_status *st, int *errnop)
{
	const struct tsnss_snap *v;
	int rc;

	if ((v = tsnss_snap_acquire()) == NULL)
		return -1;
	rc = db->from_snap(v, how, name, id, ent, buf, buflen);
	tsnss_snap_release();
	if (rc == ENOENT) {
		*errnop = ENOENT;
		*st = NSS_STATUS_NOTFOUND;
	} else {
		*st = tsnss_fill_status(rc, errnop);
	}
	return 0;
}

static enum nss_status
from_socket(struct tsnss_db *db, uint32_t action, const void *key,
    size_t keylen, void *ent, char *buf, size_t buflen, int *errnop)
{
	struct tsnss_reply r;
	enum nss_status st;
	int rc;

	st = tsnss_ask(action, key, keylen, &r, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	rc = db->from_reply(r.payload, r.len, ent, buf, buflen);
	free(r.payload);
	return tsnss_fill_status(rc, errnop);
}

enum nss_status
tsnss_db_by_name(struct tsnss_db *db, const char *name, void *ent, char *buf,
    size_t buflen, int *errnop)
{
	enum nss_status st;
	size_t n;

	if (tsnss_bad_name(name, &n)) {
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	}
	if (from_map(db, db->by_name, name, 0, ent, buf, buflen, &st, errnop) !=
	    0)
		return from_socket(
		    db, db->by_name, name, n, ent, buf, buflen, errnop);
	if (st == NSS_STATUS_NOTFOUND && db->hint_misses)
		tsnss_hint_miss(name, n);
	return st;
}

enum nss_status
tsnss_db_by_id(struct tsnss_db *db, uint32_t id, void *ent, char *buf,
    size_t buflen, int *errnop)
{
	enum nss_status st;

	if (from_map(db, db->by_id, NULL, id, ent, buf, buflen, &st, errnop) !=
	    0)
		st = from_socket(
		    db, db->by_id, &id, sizeof id, ent, buf, buflen, errnop);
	return st;
}

enum nss_status
tsnss_db_rewind(struct tsnss_db *db)
{
	pthread_mutex_lock(&db->lock);
	db->index = 0;
	pthread_mutex_unlock(&db->lock);
	return NSS_STATUS_SUCCESS;
}

enum nss_status
tsnss_db_next(
    struct tsnss_db *db, void *ent, char *buf, size_t buflen, int *errnop)
{
	enum nss_status st;
	uint32_t i;

	pthread_mutex_lock(&db->lock);
	i = db->index;
	if (from_map(
		db, db->by_index, NULL, i, ent, buf, buflen, &st, errnop) != 0)
		st = from_socket(
		    db, db->by_index, &i, sizeof i, ent, buf, buflen, errnop);
	/* not on TRYAGAIN: glibc asks for the same entry again, bigger */
	if (st == NSS_STATUS_SUCCESS)
		db->index++;
	pthread_mutex_unlock(&db->lock);
	return st;
}
