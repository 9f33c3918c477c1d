#include "autoconfig.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "localdb.h"
#include "reserved.h"
#include "snapfile.h"
#include "xmalloc.h"

struct idset {
	uint32_t *ids;
	size_t n;
};

struct nameset {
	char **names;
	size_t n;
};

/* A local group's name and gid together, for extended groups. */
struct named_gid {
	char *name;
	uint32_t gid;
};

#define MAYBE_BITS 8192 /* a power of two; a host has a few hundred names */

struct localdb {
	struct nameset users, groups;
	struct idset uids, gids;
	struct reserved *reserved;    /* NULL: only the built-in names */
	struct named_gid *group_gids; /* sorted by name */
	size_t n_group_gids;
	/*
	 * Two bits set for each user, group and reserved name (built-in
	 * too): a name with either bit clear is none of them, without
	 * three binary searches.
	 */
	uint64_t maybe[MAYBE_BITS / 64];
};

/* The two bits of name in maybe[]. */
static void
maybe_bits(const char *name, size_t bit[2])
{
	uint64_t h = tsnss_fnv1a64(TSNSS_FNV64_BASIS, name, strlen(name));

	bit[0] = (size_t)h & (MAYBE_BITS - 1);
	bit[1] = (size_t)(h >> 32) & (MAYBE_BITS - 1);
}

static void
maybe_add(struct localdb *db, const char *name)
{
	size_t bit[2], i;

	maybe_bits(name, bit);
	for (i = 0; i < 2; i++)
		db->maybe[bit[i] / 64] |= (uint64_t)1 << (bit[i] % 64);
}

int
localdb_may_hold_name(const struct localdb *db, const char *name)
{
	size_t bit[2];

	maybe_bits(name, bit);
	return (db->maybe[bit[0] / 64] >> (bit[0] % 64) & 1) &&
	       (db->maybe[bit[1] / 64] >> (bit[1] % 64) & 1);
}

static int
cmp_id(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
add(struct nameset *ns, struct idset *is, const char *name, uint32_t id)
{
	ns->names = xreallocarray(ns->names, ns->n + 1, sizeof *ns->names);
	ns->names[ns->n++] = xstrdup(name);
	is->ids = xreallocarray(is->ids, is->n + 1, sizeof *is->ids);
	is->ids[is->n++] = id;
}

/* qsort of NULL is undefined even for none: an empty file has no sets. */
static void
sort_sets(struct nameset *ns, struct idset *is)
{
	if (ns->n == 0)
		return;
	qsort(ns->names, ns->n, sizeof *ns->names, cmp_name);
	qsort(is->ids, is->n, sizeof *is->ids, cmp_id);
}

/* The first line for a name wins, as for getgrnam() from files. */
static void
add_named_gid(struct localdb *db, const char *name, uint32_t gid)
{
	size_t i;

	for (i = 0; i < db->n_group_gids; i++)
		if (strcmp(db->group_gids[i].name, name) == 0)
			return;
	db->group_gids = xreallocarray(
	    db->group_gids, db->n_group_gids + 1, sizeof *db->group_gids);
	db->group_gids[db->n_group_gids].name = xstrdup(name);
	db->group_gids[db->n_group_gids++].gid = gid;
}

/* A missing file is an empty one: a minimal container may lack /etc/group. */
struct localdb *
localdb_load(const char *passwd_path, const char *group_path)
{
	struct localdb *db = localdb_empty();
	struct passwd *pw;
	struct group *gr;
	FILE *f;

	size_t i;

	if ((f = fopen(passwd_path, "re")) != NULL) {
		while ((pw = fgetpwent(f)) != NULL) {
			add(&db->users, &db->uids, pw->pw_name, pw->pw_uid);
			maybe_add(db, pw->pw_name);
		}
		fclose(f);
	}
	if ((f = fopen(group_path, "re")) != NULL) {
		while ((gr = fgetgrent(f)) != NULL) {
			add(&db->groups, &db->gids, gr->gr_name, gr->gr_gid);
			add_named_gid(db, gr->gr_name, gr->gr_gid);
			maybe_add(db, gr->gr_name);
		}
		fclose(f);
	}
	sort_sets(&db->users, &db->uids);
	sort_sets(&db->groups, &db->gids);
	db->reserved = reserved_load();
	for (i = 0; reserved_file_name(db->reserved, i) != NULL; i++)
		maybe_add(db, reserved_file_name(db->reserved, i));
	if (db->n_group_gids > 0)
		qsort(db->group_gids, db->n_group_gids, sizeof *db->group_gids,
		    cmp_name);
	return db;
}

/* Without files, the built-in reserved names still count. */
struct localdb *
localdb_empty(void)
{
	struct localdb *db = xcalloc(1, sizeof(struct localdb));
	const char *const *b = reserved_builtin();
	size_t i;

	for (i = 0; b[i] != NULL; i++)
		maybe_add(db, b[i]);
	return db;
}

static void
free_names(struct nameset *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		free(ns->names[i]);
	free(ns->names);
}

void
localdb_free(struct localdb *db)
{
	if (db == NULL)
		return;
	free_names(&db->users);
	free_names(&db->groups);
	free(db->uids.ids);
	free(db->gids.ids);
	reserved_free(db->reserved);
	for (size_t i = 0; i < db->n_group_gids; i++)
		free(db->group_gids[i].name);
	free(db->group_gids);
	free(db);
}

static int
has_name(const struct nameset *ns, const char *name)
{
	if (ns->n == 0)
		return 0;
	return bsearch(&name, ns->names, ns->n, sizeof *ns->names, cmp_name) !=
	       NULL;
}

static int
has_id(const struct idset *is, uint32_t id)
{
	if (is->n == 0)
		return 0;
	return bsearch(&id, is->ids, is->n, sizeof *is->ids, cmp_id) != NULL;
}

int
localdb_has_user(const struct localdb *db, const char *name)
{
	return has_name(&db->users, name);
}

int
localdb_has_uid(const struct localdb *db, uint32_t uid)
{
	return has_id(&db->uids, uid);
}

int
localdb_has_group(const struct localdb *db, const char *name)
{
	return has_name(&db->groups, name);
}

int
localdb_has_gid(const struct localdb *db, uint32_t gid)
{
	return has_id(&db->gids, gid);
}

const char *
localdb_reserved_name(const struct localdb *db, const char *name)
{
	return reserved_name(db->reserved, name);
}

const char *
localdb_reserved_id(const struct localdb *db, uint32_t id)
{
	return reserved_id(db->reserved, id);
}

size_t
localdb_skipped(const struct localdb *db)
{
	return reserved_skipped(db->reserved);
}

/* Whether a sorted set holds an id in [first, last]. */
static int
any_in(const struct idset *is, uint32_t first, uint32_t last)
{
	size_t lo = 0, hi = is->n, mid;

	while (lo < hi) { /* the first id >= first */
		mid = lo + (hi - lo) / 2;
		if (is->ids[mid] < first)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < is->n && is->ids[lo] <= last;
}

int
localdb_any_id_in(const struct localdb *db, uint32_t first, uint32_t last)
{
	return any_in(&db->uids, first, last) || any_in(&db->gids, first, last);
}

int
localdb_group_gid(const struct localdb *db, const char *name, uint32_t *gid)
{
	const struct named_gid *g;

	if (db->n_group_gids == 0)
		return 0;
	/* struct named_gid starts with its name, as cmp_name expects */
	g = bsearch(&name, db->group_gids, db->n_group_gids,
	    sizeof *db->group_gids, cmp_name);
	if (g == NULL)
		return 0;
	*gid = g->gid;
	return 1;
}

/* FNV-1a 64 over a file's bytes, on from h; 0 if it cannot be read. */
static uint64_t
hash_file(uint64_t h, const char *path)
{
	unsigned char buf[8192];
	size_t n;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return 0;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		h = tsnss_fnv1a64(h, buf, n);
	if (ferror(f))
		h = 0;
	fclose(f);
	return h;
}

uint64_t
localdb_files_hash(const char *passwd_path, const char *group_path)
{
	uint64_t h = hash_file(TSNSS_FNV64_BASIS, passwd_path);
	const char *subid[] = {RESERVED_SUBUID, RESERVED_SUBGID};
	size_t i;

	h = h != 0 ? hash_file(h, group_path) : 0;
	/* the ranges too (reserved.h); either may be missing */
	for (i = 0; h != 0 && i < 2; i++)
		h = access(subid[i], F_OK) == 0
			? hash_file(h, subid[i])
			: tsnss_fnv1a64(h, (const unsigned char *)"-", 1);
	return h;
}
