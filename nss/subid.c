/*
 * subid.c - libsubid_tailscale.so: shadow's subordinate-id "NSS" module
 * (`subid: tailscale` in nsswitch.conf), answering getsubids, newuidmap
 * and newgidmap from the snapshot tsnssd publishes, as the NSS module
 * does for passwd and group.
 *
 * Once a module is configured, shadow asks only it: /etc/subuid and
 * /etc/subgid are no longer read by shadow itself.  So this module reads
 * them too, with shadow's files semantics, and a local user keeps the
 * ranges listed there; tsnssd's ranges come on top for its own users.
 *
 * Loaded into setuid newuidmap: libc only, no output, never aborts,
 * every file opened close-on-exec and read with a bound.  The ABI is
 * shadow's (lib/prototypes.h, struct subid_nss_ops; the types of
 * subid.h, checked against libsubid-dev's header where it is installed).
 */
#include "autoconfig.h"

#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "nss-tailscale.h"

#if defined(__has_include) && __has_include(<shadow/subid.h>)
#include <shadow/subid.h>
#else
struct subid_range {
	unsigned long start;
	unsigned long count;
};
enum subid_type { ID_TYPE_UID = 1, ID_TYPE_GID = 2 };
enum subid_status {
	SUBID_STATUS_SUCCESS = 0,
	SUBID_STATUS_UNKNOWN_USER = 1,
	SUBID_STATUS_ERROR_CONN = 2,
	SUBID_STATUS_ERROR = 3,
};
#endif

#define EXPORT __attribute__((visibility("default")))
#define MAX_LINES 100000 /* of /etc/subuid taken, at most */
#define MAX_RANGES 4096	 /* one owner's, at most */
#define MAX_LINE 512

enum subid_status shadow_subid_has_range(const char *owner, unsigned long start,
    unsigned long count, enum subid_type t, bool *result) EXPORT;
enum subid_status shadow_subid_list_owner_ranges(const char *owner,
    enum subid_type t, struct subid_range **ranges, int *count) EXPORT;
enum subid_status shadow_subid_find_subid_owners(
    unsigned long id, enum subid_type t, uid_t **uids, int *count) EXPORT;
void shadow_subid_free(void *ptr) EXPORT;

/* A growing list of ranges or uids, bounded. */
struct list {
	void *v;
	size_t n, cap, size;
};

static int
push(struct list *l, const void *item)
{
	void *nv;

	if (l->n == MAX_RANGES)
		return -1;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		if ((nv = realloc(l->v, l->cap * l->size)) == NULL)
			return -1;
		l->v = nv;
	}
	memcpy((char *)l->v + l->n * l->size, item, l->size);
	l->n++;
	return 0;
}

/* One line of /etc/subuid: OWNER:START:COUNT; 0 if it is not one. */
static int
parse_line(char *line, char **owner, unsigned long *start, unsigned long *n)
{
	char *a, *b, *end;

	if ((a = strchr(line, ':')) == NULL || (b = strchr(a + 1, ':')) == NULL)
		return 0;
	*a = *b = '\0';
	errno = 0;
	*start = strtoul(a + 1, &end, 10);
	if (end == a + 1 || *end != '\0' || errno != 0)
		return 0;
	*n = strtoul(b + 1, &end, 10);
	if (end == b + 1 || (*end != '\n' && *end != '\0') || errno != 0 ||
	    *n == 0)
		return 0;
	*owner = line;
	return 1;
}

/*
 * Whether a line's owner is this user: its name, or (as shadow allows)
 * its uid in decimal.
 */
static int
owner_is(const char *field, const char *name, const char *uidstr)
{
	return strcmp(field, name) == 0 ||
	       (uidstr[0] != '\0' && strcmp(field, uidstr) == 0);
}

/*
 * The next line of f into line; one longer than the buffer is skipped
 * whole (a piece of it must not pass for a line of its own).  0 at EOF.
 */
static int
next_line(FILE *f, char *line, size_t len)
{
	int c;

	while (fgets(line, (int)len, f) != NULL) {
		if (strchr(line, '\n') != NULL || feof(f))
			return 1;
		while ((c = getc(f)) != EOF && c != '\n')
			;
	}
	return 0;
}

static FILE *
open_db(enum subid_type t)
{
	return fopen(t == ID_TYPE_GID ? "/etc/subgid" : "/etc/subuid", "re");
}

/* The owner's uid in decimal, or "" if it has no passwd entry. */
static void
uid_string(const char *name, char *out, size_t outlen)
{
	struct passwd pw, *res = NULL;
	char buf[2048];

	out[0] = '\0';
	if (getpwnam_r(name, &pw, buf, sizeof buf, &res) == 0 && res != NULL)
		snprintf(out, outlen, "%lu", (unsigned long)res->pw_uid);
}

/* The files' ranges of owner, into l. */
static int
file_ranges(const char *owner, enum subid_type t, struct list *l)
{
	char line[MAX_LINE], uidstr[24], *who;
	struct subid_range r;
	size_t lines = 0;
	FILE *f = open_db(t);
	int rc = 0;

	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	uid_string(owner, uidstr, sizeof uidstr);
	while (
	    rc == 0 && lines++ < MAX_LINES && next_line(f, line, sizeof line))
		if (parse_line(line, &who, &r.start, &r.count) &&
		    owner_is(who, owner, uidstr))
			rc = push(l, &r);
	fclose(f);
	return rc;
}

/* tsnssd's range for a user of its own, into l. */
static int
snap_range(const char *owner, struct list *l)
{
	const struct tsnss_snap *v = tsnss_snap_acquire();
	struct tsnss_snap_subid s;
	struct subid_range r;
	int rc = 0;

	if (v == NULL)
		return 0;
	if (tsnss_snap_subid_by_name(v, owner, &s) == TSNSS_SNAP_FOUND) {
		r.start = s.start;
		r.count = s.count;
		rc = push(l, &r);
	}
	tsnss_snap_release();
	return rc;
}

static int
all_ranges(const char *owner, enum subid_type t, struct list *l)
{
	l->size = sizeof(struct subid_range);
	if (owner == NULL || (t != ID_TYPE_UID && t != ID_TYPE_GID))
		return -1;
	if (file_ranges(owner, t, l) != 0 || snap_range(owner, l) != 0) {
		free(l->v);
		return -1;
	}
	return 0;
}

enum subid_status
shadow_subid_list_owner_ranges(const char *owner, enum subid_type t,
    struct subid_range **ranges, int *count)
{
	struct list l = {0};

	if (ranges == NULL || count == NULL || all_ranges(owner, t, &l) != 0)
		return SUBID_STATUS_ERROR;
	*ranges = l.v;
	*count = (int)l.n;
	return SUBID_STATUS_SUCCESS;
}

/*
 * Whether [start, start + count) is covered by the owner's ranges,
 * adjacent ones joined, as shadow's files backend answers.
 */
static bool
covered(const struct subid_range *r, size_t n, unsigned long start,
    unsigned long count)
{
	unsigned long long at = start, end = (unsigned long long)start + count;
	size_t i;
	int moved = 1;

	while (at < end && moved) {
		moved = 0;
		for (i = 0; i < n; i++)
			if (r[i].start <= at &&
			    at < (unsigned long long)r[i].start + r[i].count) {
				at =
				    (unsigned long long)r[i].start + r[i].count;
				moved = 1;
			}
	}
	return at >= end;
}

enum subid_status
shadow_subid_has_range(const char *owner, unsigned long start,
    unsigned long count, enum subid_type t, bool *result)
{
	struct list l = {0};

	if (result == NULL || all_ranges(owner, t, &l) != 0)
		return SUBID_STATUS_ERROR;
	*result = count == 0 || covered(l.v, l.n, start, count);
	free(l.v);
	return SUBID_STATUS_SUCCESS;
}

/* The files' owners of id, into l (uids). */
static int
file_owners(unsigned long id, enum subid_type t, struct list *l)
{
	char line[MAX_LINE], *who, *end, buf[2048];
	struct passwd pw, *res;
	unsigned long start, n;
	size_t lines = 0;
	uid_t uid;
	FILE *f = open_db(t);
	int rc = 0;

	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	while (
	    rc == 0 && lines++ < MAX_LINES && next_line(f, line, sizeof line)) {
		if (!parse_line(line, &who, &start, &n) || id < start ||
		    id - start >= n)
			continue;
		uid = (uid_t)strtoul(who, &end, 10);
		if (*end != '\0' || end == who) {
			res = NULL;
			if (getpwnam_r(who, &pw, buf, sizeof buf, &res) != 0 ||
			    res == NULL)
				continue;
			uid = res->pw_uid;
		}
		rc = push(l, &uid);
	}
	fclose(f);
	return rc;
}

/* tsnssd's users whose range holds id, into l. */
static int
snap_owners(unsigned long id, struct list *l)
{
	const struct tsnss_snap *v = tsnss_snap_acquire();
	struct tsnss_snap_subid s;
	uint32_t i;
	uid_t uid;
	int rc = 0;

	if (v == NULL)
		return 0;
	for (i = 0;
	     rc == 0 && tsnss_snap_subid_at(v, i, &s) == TSNSS_SNAP_FOUND; i++)
		if (id >= s.start && id - s.start < s.count) {
			uid = s.uid;
			rc = push(l, &uid);
		}
	tsnss_snap_release();
	return rc;
}

enum subid_status
shadow_subid_find_subid_owners(
    unsigned long id, enum subid_type t, uid_t **uids, int *count)
{
	struct list l = {.size = sizeof(uid_t)};

	if (uids == NULL || count == NULL ||
	    (t != ID_TYPE_UID && t != ID_TYPE_GID))
		return SUBID_STATUS_ERROR;
	if (file_owners(id, t, &l) != 0 || snap_owners(id, &l) != 0) {
		free(l.v);
		return SUBID_STATUS_ERROR;
	}
	*uids = l.v;
	*count = (int)l.n;
	return SUBID_STATUS_SUCCESS;
}

/* shadow 4.16 on frees what the module allocated through the module. */
void
shadow_subid_free(void *ptr)
{
	free(ptr);
}
