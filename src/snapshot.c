/*
 * snapshot.c - build a snapshot from the policy's users and groups.
 *
 * snapshot_adopt() is the gate for bytes from disk: the shared reader
 * (common/snapfile.c) checks every offset, count, order and the checksum
 * before any lookup may trust them.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "keysort.h"
#include "policy.h"
#include "ptrmap.h"
#include "snapshot.h"
#include "strmap.h"
#include "xmalloc.h"

#define ALIGN4(n) (((n) + 3u) & ~(size_t)3u)

/* --- building --------------------------------------------------------- */

struct builder {
	unsigned char *buf;
	size_t str_at; /* next free byte of the string area */
};

static uint32_t
put_str(struct builder *b, const char *s)
{
	size_t n = strlen(s) + 1, at = b->str_at;

	memcpy(b->buf + at, s, n);
	b->str_at += n;
	return (uint32_t)at;
}

/* Indexes into the snapshot's tables, in the order of their ids. */
static void
build_index(uint32_t *out, struct id_key *tmp, size_t n)
{
	size_t i;

	id_keys_sort(tmp, n);
	for (i = 0; i < n; i++)
		out[i] = tmp[i].at;
}

static size_t
opt_len(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

/* An optional string: offset 0 when it is not set. */
static uint32_t
put_opt_str(struct builder *b, const char *s)
{
	return s != NULL ? put_str(b, s) : 0;
}

/*
 * Who is who, by name: each member and each group named like a user is
 * that user (its place among the sorted users), or NONE.  One hash
 * lookup a membership: sorting three million memberships by name took
 * most of a build, and the name itself need not be stored twice.
 */
#define NONE UINT32_MAX

struct names {
	uint32_t *member;  /* per member, groups in their sorted order */
	uint32_t *group;   /* per sorted group */
	uint32_t *name_at; /* per sorted user: its name's string offset */
	size_t n_members;
};

/*
 * Users by name: by the address of the name first, as a tailnet group's
 * members are its users' own strings (a hit costs a multiplication, not
 * a pass over the name: three million of them at 100k users in 30
 * groups), then by the string itself for the rest.
 */
struct users_by_name {
	struct ptrmap *ptr;
	struct strmap *str;
};

static uint32_t
user_of(const struct users_by_name *by, const char *name)
{
	uint32_t u = ptrmap_get(by->ptr, name);
	size_t v;

	if (u != PTRMAP_NONE)
		return u;
	v = strmap_get(by->str, name);
	return v == STRMAP_NONE ? NONE : (uint32_t)v;
}

static void
names_find(struct names *nm, struct policy_user **users, size_t n_users,
    struct policy_group **groups, size_t n_groups)
{
	struct users_by_name by = {ptrmap_new(n_users), strmap_new(n_users)};
	size_t i, j, k = 0;
	int added;

	for (i = 0; i < n_users; i++) {
		size_t *v = strmap_put(by.str, users[i]->name, &added);

		if (added) /* two users of one name: the first, as before */
			*v = i;
		ptrmap_put(by.ptr, users[i]->name, (uint32_t)*v);
	}
	nm->n_members = 0;
	for (i = 0; i < n_groups; i++)
		nm->n_members += groups[i]->n_members;
	nm->member = xcalloc(nm->n_members + 1, sizeof *nm->member);
	nm->group = xcalloc(n_groups + 1, sizeof *nm->group);
	nm->name_at = xcalloc(n_users + 1, sizeof *nm->name_at);
	for (i = 0; i < n_groups; i++) {
		nm->group[i] = user_of(&by, groups[i]->name);
		for (j = 0; j < groups[i]->n_members; j++)
			nm->member[k++] = user_of(&by, groups[i]->members[j]);
	}
	ptrmap_free(by.ptr);
	strmap_free(by.str);
}

static void
names_free(struct names *nm)
{
	free(nm->member);
	free(nm->group);
	free(nm->name_at);
}

static size_t
strings_size(const struct policy_result *r, struct policy_group **groups,
    const struct names *nm)
{
	size_t i, j, k = 0, n = 0;

	for (i = 0; i < r->n_users; i++) {
		const struct policy_user *u = &r->users[i];

		n += strlen(u->name) + strlen(u->login) + strlen(u->gecos) +
		     strlen(u->home) + strlen(u->shell) + 5;
	}
	for (i = 0; i < r->n_groups; i++) {
		if (nm->group[i] == NONE)
			n += strlen(groups[i]->name) + 1;
		for (j = 0; j < groups[i]->n_members; j++, k++)
			if (nm->member[k] == NONE)
				n += strlen(groups[i]->members[j]) + 1;
	}
	for (i = 0; i < r->n_variants; i++)
		n += strlen(r->variants[i].name) +
		     opt_len(r->variants[i].home) +
		     opt_len(r->variants[i].shell) + 1;
	for (i = 0; i < r->n_programs; i++)
		n += strlen(r->programs[i].path) +
		     opt_len(r->programs[i].home) +
		     opt_len(r->programs[i].shell) + 1;
	return n;
}

/*
 * Each user's supplementary gids, in gid order, into the user_gids table:
 * counted first, then placed walking the groups by gid (fill_groups()
 * made that index), so each user's come sorted: a qsort per user of
 * thirty gids cost a third of the build.
 */
static void
fill_user_gids(struct builder *b, struct tsnss_snap_header *h,
    struct policy_user **users, const struct names *nm)
{
	struct tsnss_snap_user *su =
	    (struct tsnss_snap_user *)(b->buf + h->users);
	const struct tsnss_snap_group *sg =
	    (const struct tsnss_snap_group *)(b->buf + h->groups);
	const uint32_t *by_gid = (const uint32_t *)(b->buf + h->gid_index);
	uint32_t *gids = (uint32_t *)(b->buf + h->user_gids);
	uint32_t *next = xcalloc(h->n_users + 1, sizeof *next), u;
	size_t i, j, k = 0, g = 0;

	for (i = 0; i < h->n_groups; i++)
		for (j = 0; j < sg[i].n_members; j++)
			if ((u = nm->member[k++]) != NONE &&
			    sg[i].gid != users[u]->gid)
				su[u].n_gids++;
	for (i = 0; i < h->n_users; i++) {
		su[i].gids_first = next[i] = (uint32_t)g;
		g += su[i].n_gids;
	}
	for (i = 0; i < h->n_groups; i++) {
		const struct tsnss_snap_group *t = &sg[by_gid[i]];

		for (j = 0, k = t->members_first; j < t->n_members; j++, k++)
			if ((u = nm->member[k]) != NONE &&
			    t->gid != users[u]->gid)
				gids[next[u]++] = t->gid;
	}
	h->n_user_gids = (uint32_t)g;
	free(next);
}

static void
fill_users(struct builder *b, struct tsnss_snap_header *h,
    struct policy_user **users, struct names *nm)
{
	struct tsnss_snap_user *su =
	    (struct tsnss_snap_user *)(b->buf + h->users);
	struct id_key *tmp = xcalloc(h->n_users, sizeof *tmp);
	size_t i;

	for (i = 0; i < h->n_users; i++) {
		const struct policy_user *u = users[i];

		su[i].uid = u->uid;
		su[i].gid = u->gid;
		su[i].name = nm->name_at[i] = put_str(b, u->name);
		su[i].login = put_str(b, u->login);
		su[i].gecos = put_str(b, u->gecos);
		su[i].home = put_str(b, u->home);
		su[i].shell = put_str(b, u->shell);
		tmp[i].id = u->uid;
		tmp[i].at = (uint32_t)i;
	}
	build_index((uint32_t *)(b->buf + h->uid_index), tmp, h->n_users);
	free(tmp);
}

/* A name that is a user's is that user's string. */
static uint32_t
put_name(
    struct builder *b, const struct names *nm, uint32_t user, const char *s)
{
	return user != NONE ? nm->name_at[user] : put_str(b, s);
}

static void
fill_groups(struct builder *b, struct tsnss_snap_header *h,
    struct policy_group **groups, const struct names *nm)
{
	struct tsnss_snap_group *sg =
	    (struct tsnss_snap_group *)(b->buf + h->groups);
	uint32_t *members = (uint32_t *)(b->buf + h->members);
	struct id_key *tmp = xcalloc(h->n_groups, sizeof *tmp);
	size_t i, j, k = 0;

	for (i = 0; i < h->n_groups; i++) {
		const struct policy_group *g = groups[i];

		sg[i].gid = g->gid;
		sg[i].name = put_name(b, nm, nm->group[i], g->name);
		sg[i].members_first = (uint32_t)k;
		sg[i].n_members = (uint32_t)g->n_members;
		for (j = 0; j < g->n_members; j++, k++)
			members[k] =
			    put_name(b, nm, nm->member[k], g->members[j]);
		tmp[i].id = g->gid;
		tmp[i].at = (uint32_t)i;
	}
	build_index((uint32_t *)(b->buf + h->gid_index), tmp, h->n_groups);
	free(tmp);
}

/*
 * Variants (sorted by name already) point at users by their place in the
 * sorted users table: users_at maps r's index to it.
 */
static void
fill_extras(struct builder *b, const struct tsnss_snap_header *h,
    const struct policy_result *r, const uint32_t *users_at)
{
	struct tsnss_snap_variant *sv =
	    (struct tsnss_snap_variant *)(b->buf + h->variants);
	struct tsnss_snap_program *sp =
	    (struct tsnss_snap_program *)(b->buf + h->programs);
	size_t i;

	for (i = 0; i < r->n_variants; i++) {
		const struct policy_variant *v = &r->variants[i];

		sv[i].name = put_str(b, v->name);
		sv[i].user = users_at[v->user];
		sv[i].home = put_opt_str(b, v->home);
		sv[i].shell = put_opt_str(b, v->shell);
	}
	for (i = 0; i < r->n_programs; i++) {
		const struct policy_program *p = &r->programs[i];

		sp[i].path = put_str(b, p->path);
		sp[i].home = put_opt_str(b, p->home);
		sp[i].shell = put_opt_str(b, p->shell);
	}
}

static size_t
subid_strings_size(const struct policy_result *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->n_subids; i++)
		n += strlen(r->subids[i].name) + 1;
	return n;
}

/* Subordinate ranges, already sorted by name (subid_assign). */
static void
fill_subids(struct builder *b, struct tsnss_snap_header *h,
    const struct policy_result *r)
{
	struct tsnss_snap_subid *ss =
	    (struct tsnss_snap_subid *)(b->buf + h->subids);
	size_t i;

	for (i = 0; i < r->n_subids; i++) {
		ss[i].name = put_str(b, r->subids[i].name);
		ss[i].uid = r->subids[i].uid;
		ss[i].start = r->subids[i].start;
		ss[i].count = r->subids[i].count;
	}
}

/*
 * Pointers to the n records of base, each of size bytes, in the order of
 * the name each holds at offset name_off (ties: their order in base).
 */
static void *
sorted_ptrs(const void *base, size_t n, size_t size, size_t name_off)
{
	struct name_key *k = xcalloc(n + 1, sizeof *k);
	const char **p = xcalloc(n + 1, sizeof *p);
	const char *rec;
	size_t i;

	for (i = 0; i < n; i++) {
		rec = (const char *)base + i * size;
		name_key_set(k + i, *(const char *const *)(rec + name_off), i);
	}
	name_keys_sort(k, n);
	for (i = 0; i < n; i++)
		p[i] = (const char *)base + k[i].at * size;
	free(k);
	return p;
}

struct snapshot *
snapshot_build(const struct policy_result *r, const struct snap_meta *meta)
{
	struct builder b;
	struct tsnss_snap_header *h;
	struct names nm;
	struct policy_user **users;
	struct policy_group **groups;
	size_t n_members, at, size, nstr, i;
	uint32_t *users_at;
	char err[128];

	users = sorted_ptrs(r->users, r->n_users, sizeof *r->users,
	    offsetof(struct policy_user, name));
	groups = sorted_ptrs(r->groups, r->n_groups, sizeof *r->groups,
	    offsetof(struct policy_group, name));
	names_find(&nm, users, r->n_users, groups, r->n_groups);
	n_members = nm.n_members;
	nstr = strings_size(r, groups, &nm);
	at = sizeof *h;
	h = &(struct tsnss_snap_header){0};
	h->users = (uint32_t)at;
	at += r->n_users * sizeof(struct tsnss_snap_user);
	h->uid_index = (uint32_t)at;
	at += r->n_users * sizeof(uint32_t);
	h->groups = (uint32_t)at;
	at += r->n_groups * sizeof(struct tsnss_snap_group);
	h->gid_index = (uint32_t)at;
	at += r->n_groups * sizeof(uint32_t);
	h->members = (uint32_t)at;
	at += n_members * sizeof(uint32_t);
	h->user_gids = (uint32_t)at;
	at += n_members * sizeof(uint32_t); /* at most one per membership */
	h->variants = (uint32_t)at;
	at += r->n_variants * sizeof(struct tsnss_snap_variant);
	h->programs = (uint32_t)at;
	at += r->n_programs * sizeof(struct tsnss_snap_program);
	if (r->n_subids > 0) {
		h->subids = (uint32_t)at;
		at += r->n_subids * sizeof(struct tsnss_snap_subid);
		nstr += subid_strings_size(r);
	}
	h->strings = (uint32_t)at;
	size = ALIGN4(at + nstr + 1); /* + 1: the area ends in NUL */

	b.buf = xcalloc(1, size);
	b.str_at = h->strings;
	memcpy(b.buf, h, sizeof *h);
	h = (struct tsnss_snap_header *)b.buf;
	h->magic = TSNSS_SNAP_MAGIC;
	h->version = TSNSS_SNAP_VERSION;
	h->size = size;
	h->generation = meta->generation;
	h->created = meta->created;
	h->serve_until = meta->serve_until;
	h->flags = meta->flags;
	h->local_hash = meta->local_hash;
	h->policy = meta->policy;
	h->n_users = (uint32_t)r->n_users;
	h->n_groups = (uint32_t)r->n_groups;
	h->n_members = (uint32_t)n_members;
	h->n_variants = (uint32_t)r->n_variants;
	h->n_programs = (uint32_t)r->n_programs;
	h->n_subids = (uint32_t)r->n_subids;

	fill_users(&b, h, users, &nm);
	fill_groups(&b, h, groups, &nm); /* first: its gid index */
	fill_user_gids(&b, h, users, &nm);
	users_at = xcalloc(r->n_users + 1, sizeof *users_at);
	for (i = 0; i < r->n_users; i++)
		users_at[users[i] - r->users] = (uint32_t)i;
	fill_extras(&b, h, r, users_at);
	free(users_at);
	fill_subids(&b, h, r);
	names_free(&nm);
	free(users);
	free(groups);
	h->checksum = tsnss_snap_checksum(b.buf, size);
	return snapshot_adopt(b.buf, size, err, sizeof err);
}

/* --- taking bytes ------------------------------------------------------ */

struct snapshot *
snapshot_adopt(unsigned char *buf, size_t len, char *err, size_t errlen)
{
	struct snapshot *s = xcalloc(1, sizeof *s);

	s->buf = buf;
	s->len = len;
	if (tsnss_snap_open(&s->v, buf, len, err, errlen) != 0 ||
	    tsnss_snap_verify(&s->v, err, errlen) != 0) {
		snapshot_free(s);
		return NULL;
	}
	s->h = (const struct tsnss_snap_header *)buf;
	return s;
}

/*
 * The bytes of fd, mapped rather than read: a persisted snapshot of 100k
 * users is ~20 MB, and copying it into fresh heap pages (each one faulted
 * in) took as long as checking it.  Checked whole all the same, on the
 * mapping itself.  The checked bytes stay the bytes served: the file is
 * ours or root's and writable by no one else (cache_load checks), and we
 * replace it only by rename, never write it in place; whoever could write
 * or cut it short under us (a cut makes us fault) could as well kill us
 * or rewrite the published map.
 */
struct snapshot *
snapshot_map(int fd, size_t len, char *err, size_t errlen)
{
	struct snapshot *s;
	void *map;

	map = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "cannot map it: %s", strerror(errno));
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->buf = map;
	s->len = len;
	s->mapped = 1;
	if (tsnss_snap_open(&s->v, map, len, err, errlen) != 0 ||
	    tsnss_snap_verify(&s->v, err, errlen) != 0) {
		snapshot_free(s);
		return NULL;
	}
	s->h = map;
	return s;
}

void
snapshot_free(struct snapshot *s)
{
	if (s == NULL)
		return;
	if (s->mapped)
		munmap(s->buf, s->len);
	else
		free(s->buf);
	free(s->built);
	free(s);
}

void
snapshot_use_file(struct snapshot *s, int fd)
{
	struct tsnss_snap v;
	void *map;

	if (fd < 0)
		return;
	map = mmap(NULL, s->len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return;
	/* no comparison with buf: it would bring every page in */
	if (tsnss_snap_open(&v, map, s->len, NULL, 0) != 0) {
		munmap(map, s->len);
		return;
	}
	if (s->mapped)
		munmap(s->buf, s->len);
	else if (s->keep_built && s->built == NULL)
		s->built = s->buf;
	else
		free(s->buf);
	s->buf = map;
	s->h = map;
	s->v = v;
	s->mapped = 1;
}
