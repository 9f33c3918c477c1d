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

#include "policy.h"
#include "snapshot.h"
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

/* One "this user is a member of that gid" fact, for initgroups. */
struct membership {
	const char *name;
	uint32_t gid;
};

static int
cmp_membership(const void *a, const void *b)
{
	const struct membership *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->gid < y->gid ? -1 : x->gid > y->gid;
}

static int
cmp_user_ptr(const void *a, const void *b)
{
	const struct policy_user *x = *(struct policy_user *const *)a;
	const struct policy_user *y = *(struct policy_user *const *)b;

	return strcmp(x->name, y->name);
}

static int
cmp_group_ptr(const void *a, const void *b)
{
	const struct policy_group *x = *(struct policy_group *const *)a;
	const struct policy_group *y = *(struct policy_group *const *)b;

	return strcmp(x->name, y->name);
}

/* The sort routines below need the buffer; qsort gives no context. */
struct id_sort {
	uint32_t id;
	uint32_t index;
};

static int
cmp_id_sort(const void *a, const void *b)
{
	const struct id_sort *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void
build_index(uint32_t *out, struct id_sort *tmp, size_t n)
{
	size_t i;

	qsort(tmp, n, sizeof *tmp, cmp_id_sort);
	for (i = 0; i < n; i++)
		out[i] = tmp[i].index;
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

static size_t
strings_size(const struct policy_result *r, size_t *n_members)
{
	size_t i, j, n = 0;

	*n_members = 0;
	for (i = 0; i < r->n_users; i++) {
		const struct policy_user *u = &r->users[i];

		n += strlen(u->name) + strlen(u->login) + strlen(u->gecos) +
		     strlen(u->home) + strlen(u->shell) + 5;
	}
	for (i = 0; i < r->n_groups; i++) {
		n += strlen(r->groups[i].name) + 1;
		for (j = 0; j < r->groups[i].n_members; j++)
			n += strlen(r->groups[i].members[j]) + 1;
		*n_members += r->groups[i].n_members;
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

static struct membership *
collect_memberships(const struct policy_result *r, size_t n_members)
{
	struct membership *m = xcalloc(n_members, sizeof *m);
	size_t i, j, k = 0;

	for (i = 0; i < r->n_groups; i++)
		for (j = 0; j < r->groups[i].n_members; j++) {
			m[k].name = r->groups[i].members[j];
			m[k++].gid = r->groups[i].gid;
		}
	qsort(m, n_members, sizeof *m, cmp_membership);
	return m;
}

static void
fill_users(struct builder *b, struct tsnss_snap_header *h,
    struct policy_user **users, const struct membership *m, size_t n_m)
{
	struct tsnss_snap_user *su =
	    (struct tsnss_snap_user *)(b->buf + h->users);
	uint32_t *gids = (uint32_t *)(b->buf + h->user_gids);
	struct id_sort *tmp = xcalloc(h->n_users, sizeof *tmp);
	size_t i, k = 0, g = 0;

	for (i = 0; i < h->n_users; i++) {
		const struct policy_user *u = users[i];

		su[i].uid = u->uid;
		su[i].gid = u->gid;
		su[i].name = put_str(b, u->name);
		su[i].login = put_str(b, u->login);
		su[i].gecos = put_str(b, u->gecos);
		su[i].home = put_str(b, u->home);
		su[i].shell = put_str(b, u->shell);
		/* memberships are sorted by name, as are the users */
		while (k < n_m && strcmp(m[k].name, u->name) < 0)
			k++;
		su[i].gids_first = (uint32_t)g;
		for (; k < n_m && strcmp(m[k].name, u->name) == 0; k++)
			if (m[k].gid != u->gid)
				gids[g++] = m[k].gid;
		su[i].n_gids = (uint32_t)g - su[i].gids_first;
		tmp[i].id = u->uid;
		tmp[i].index = (uint32_t)i;
	}
	h->n_user_gids = (uint32_t)g;
	build_index((uint32_t *)(b->buf + h->uid_index), tmp, h->n_users);
	free(tmp);
}

static void
fill_groups(struct builder *b, struct tsnss_snap_header *h,
    struct policy_group **groups)
{
	struct tsnss_snap_group *sg =
	    (struct tsnss_snap_group *)(b->buf + h->groups);
	uint32_t *members = (uint32_t *)(b->buf + h->members);
	struct id_sort *tmp = xcalloc(h->n_groups, sizeof *tmp);
	size_t i, j, k = 0;

	for (i = 0; i < h->n_groups; i++) {
		const struct policy_group *g = groups[i];

		sg[i].gid = g->gid;
		sg[i].name = put_str(b, g->name);
		sg[i].members_first = (uint32_t)k;
		sg[i].n_members = (uint32_t)g->n_members;
		for (j = 0; j < g->n_members; j++)
			members[k++] = put_str(b, g->members[j]);
		tmp[i].id = g->gid;
		tmp[i].index = (uint32_t)i;
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

static void *
sorted_ptrs(const void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *))
{
	const char **p = xcalloc(n, sizeof *p);
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (const char *)base + i * size;
	qsort(p, n, sizeof *p, cmp);
	return p;
}

struct snapshot *
snapshot_build(const struct policy_result *r, const struct snap_meta *meta)
{
	struct builder b;
	struct tsnss_snap_header *h;
	struct membership *m;
	struct policy_user **users;
	struct policy_group **groups;
	size_t n_members, at, size, nstr, i;
	uint32_t *users_at;
	char err[128];

	nstr = strings_size(r, &n_members);
	m = collect_memberships(r, n_members);
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

	users =
	    sorted_ptrs(r->users, r->n_users, sizeof *r->users, cmp_user_ptr);
	groups = sorted_ptrs(
	    r->groups, r->n_groups, sizeof *r->groups, cmp_group_ptr);
	fill_users(&b, h, users, m, n_members);
	fill_groups(&b, h, groups);
	users_at = xcalloc(r->n_users + 1, sizeof *users_at);
	for (i = 0; i < r->n_users; i++)
		users_at[users[i] - r->users] = (uint32_t)i;
	fill_extras(&b, h, r, users_at);
	free(users_at);
	fill_subids(&b, h, r);
	free(users);
	free(groups);
	free(m);
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
	else
		free(s->buf);
	s->buf = map;
	s->h = map;
	s->v = v;
	s->mapped = 1;
}
