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

struct localdb {
	struct nameset users, groups;
	struct idset uids, gids;
	struct reserved *reserved; /* NULL: only the built-in names */
};

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

static void
sort_sets(struct nameset *ns, struct idset *is)
{
	qsort(ns->names, ns->n, sizeof *ns->names, cmp_name);
	qsort(is->ids, is->n, sizeof *is->ids, cmp_id);
}

/* A missing file is an empty one: a minimal container may lack /etc/group. */
struct localdb *
localdb_load(const char *passwd_path, const char *group_path)
{
	struct localdb *db = localdb_empty();
	struct passwd *pw;
	struct group *gr;
	FILE *f;

	if ((f = fopen(passwd_path, "re")) != NULL) {
		while ((pw = fgetpwent(f)) != NULL)
			add(&db->users, &db->uids, pw->pw_name, pw->pw_uid);
		fclose(f);
	}
	if ((f = fopen(group_path, "re")) != NULL) {
		while ((gr = fgetgrent(f)) != NULL)
			add(&db->groups, &db->gids, gr->gr_name, gr->gr_gid);
		fclose(f);
	}
	sort_sets(&db->users, &db->uids);
	sort_sets(&db->groups, &db->gids);
	db->reserved = reserved_load();
	return db;
}

struct localdb *
localdb_empty(void)
{
	return xcalloc(1, sizeof(struct localdb));
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
