/* idspace.c - see idspace.h. */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "idspace.h"
#include "localdb.h"
#include "policy-config.h"
#include "uidkey.h"
#include "xmalloc.h"

/* A name or an id this run gave away (to a tailnet group). */
struct idspace_taken {
	char *name; /* NULL in the id list */
	uint32_t id;
	char *owner;
};

uint32_t
idspace_fnv1a32(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

uint32_t
idspace_hash_id(const struct policy_config *pc, uint32_t base, uint32_t max,
    const char *key)
{
	uint32_t span = max - base + 1;

	if (pc->uid_key != NULL)
		return base +
		       uidkey_hash(pc->uid_key, pc->uid_key_len, key) % span;
	return base + idspace_fnv1a32(key, strlen(key)) % span;
}

void
idspace_init(struct idspace *s, const struct policy_config *pc,
    const struct localdb *local, const struct claims *cl)
{
	memset(s, 0, sizeof *s);
	s->pc = pc;
	s->local = local;
	s->cl = cl;
}

static void
free_taken(struct idspace_taken *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(t[i].name);
		free(t[i].owner);
	}
	free(t);
}

void
idspace_clear(struct idspace *s)
{
	free_taken(s->names, s->n_names);
	free_taken(s->ids, s->n_ids);
	s->names = s->ids = NULL;
	s->n_names = s->n_ids = 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct idspace_taken *)a)->name,
	    ((const struct idspace_taken *)b)->name);
}

static int
by_id(const void *a, const void *b)
{
	uint32_t x = ((const struct idspace_taken *)a)->id;
	uint32_t y = ((const struct idspace_taken *)b)->id;

	return x < y ? -1 : x > y;
}

void
idspace_take(
    struct idspace *s, const char *name, uint32_t id, const char *owner)
{
	s->names = xreallocarray(s->names, s->n_names + 1, sizeof *s->names);
	s->names[s->n_names++] =
	    (struct idspace_taken){xstrdup(name), id, xstrdup(owner)};
	s->ids = xreallocarray(s->ids, s->n_ids + 1, sizeof *s->ids);
	s->ids[s->n_ids++] = (struct idspace_taken){NULL, id, xstrdup(owner)};
}

void
idspace_seal(struct idspace *s)
{
	if (s->n_names > 0)
		qsort(s->names, s->n_names, sizeof *s->names, by_name);
	if (s->n_ids > 0)
		qsort(s->ids, s->n_ids, sizeof *s->ids, by_id);
}

static const struct idspace_taken *
taken_name(const struct idspace *s, const char *name)
{
	struct idspace_taken key = {(char *)name, 0, NULL};

	if (s->n_names == 0)
		return NULL;
	return bsearch(&key, s->names, s->n_names, sizeof key, by_name);
}

static const struct idspace_taken *
taken_id(const struct idspace *s, uint32_t id)
{
	struct idspace_taken key = {NULL, id, NULL};

	if (s->n_ids == 0)
		return NULL;
	return bsearch(&key, s->ids, s->n_ids, sizeof key, by_id);
}

static int
config_group(const struct policy_config *pc, const char *name, uint32_t gid)
{
	size_t i;

	for (i = 0; i < pc->n_groups; i++)
		if ((name && strcmp(pc->groups[i].name, name) == 0) ||
		    (!name && pc->groups[i].gid == gid))
			return 1;
	return 0;
}

static const char *
other(const char *holder, const char *owner)
{
	return holder != NULL && strcmp(holder, owner) != 0 ? holder : NULL;
}

enum idspace_holder
idspace_name(
    const struct idspace *s, const char *name, const char *owner, char **why)
{
	const struct idspace_taken *t = taken_name(s, name);
	const char *by, *res;
	int host = localdb_may_hold_name(s->local, name); /* 0: certainly not */

	*why = NULL;
	if (host && localdb_has_user(s->local, name))
		xasprintf(why, "'%s' is a local account in /etc/passwd", name);
	else if (host && localdb_has_group(s->local, name))
		xasprintf(why, "'%s' is a local group in /etc/group", name);
	else if (host &&
		 (res = localdb_reserved_name(s->local, name)) != NULL) {
		xasprintf(why, "'%s' is reserved by the host: %s", name, res);
		return IDSPACE_RESERVED;
	} else if (config_group(s->pc, name, 0)) {
		xasprintf(why, "'%s' is a [group] in the config", name);
		return IDSPACE_CONFIG;
	} else if ((by = other(claims_name_owner(s->cl, name), owner))) {
		xasprintf(why,
		    "name '%s' belongs to %s on this host (ownership is "
		    "sticky; tsnssctl forget releases it)",
		    name, by);
		return IDSPACE_CLAIMED;
	} else if (t != NULL && (by = other(t->owner, owner))) {
		xasprintf(why,
		    "name '%s' is tailnet group %s's (a tailnet group wins a "
		    "name nobody owns yet)",
		    name, by);
		return IDSPACE_GROUP;
	}
	return *why != NULL ? IDSPACE_HOST : IDSPACE_FREE;
}

enum idspace_holder
idspace_id(const struct idspace *s, uint32_t id, const char *owner,
    const char *what, char **why)
{
	const struct idspace_taken *t = taken_id(s, id);
	const char *by, *res;

	*why = NULL;
	if (id == 0 || id == 65535 || localdb_has_uid(s->local, id))
		xasprintf(why,
		    "%s %" PRIu32 " belongs to a local account; give this "
		    "login a uid in a [user] section",
		    what, id);
	else if (localdb_has_gid(s->local, id))
		xasprintf(why, "gid %" PRIu32 " belongs to a local group", id);
	else if ((res = localdb_reserved_id(s->local, id)) != NULL) {
		xasprintf(why, "%s %" PRIu32 " is reserved by the host: %s",
		    what, id, res);
		return IDSPACE_RESERVED;
	} else if (config_group(s->pc, NULL, id)) {
		xasprintf(
		    why, "gid %" PRIu32 " is a [group] in the config", id);
		return IDSPACE_CONFIG;
	} else if ((by = other(claims_uid_owner(s->cl, id), owner))) {
		xasprintf(why,
		    "%s %" PRIu32 " belongs to %s on this host (ownership "
		    "is sticky; tsnssctl forget releases it)",
		    what, id, by);
		return IDSPACE_CLAIMED;
	} else if (t != NULL && (by = other(t->owner, owner))) {
		xasprintf(why, "%s %" PRIu32 " is the gid of tailnet group %s",
		    what, id, by);
		return IDSPACE_GROUP;
	}
	return *why != NULL ? IDSPACE_HOST : IDSPACE_FREE;
}
