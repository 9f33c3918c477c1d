/*
 * snapshot.c - build, check and search a snapshot.
 *
 * snapshot_adopt() is the gate for bytes from disk: it checks every offset,
 * count, order and the checksum before any lookup may trust them.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"
#include "xmalloc.h"

#define ALIGN4(n) (((n) + 3u) & ~(size_t)3u)

#define FNV64_BASIS 14695981039346656037ull

static uint64_t
fnv1a64(uint64_t h, const unsigned char *p, size_t n)
{
	while (n-- > 0) {
		h ^= *p++;
		h *= 1099511628211ull;
	}
	return h;
}

/* Everything but the checksum field itself, header included. */
static uint64_t
checksum(const unsigned char *buf, size_t len)
{
	size_t head = offsetof(struct snap_header, checksum);
	uint64_t h = fnv1a64(FNV64_BASIS, buf, head);

	return fnv1a64(h, buf + sizeof(struct snap_header),
	    len - sizeof(struct snap_header));
}

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
fill_users(struct builder *b, struct snap_header *h, struct policy_user **users,
    const struct membership *m, size_t n_m)
{
	struct snap_user *su = (struct snap_user *)(b->buf + h->users);
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
fill_groups(
    struct builder *b, struct snap_header *h, struct policy_group **groups)
{
	struct snap_group *sg = (struct snap_group *)(b->buf + h->groups);
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
snapshot_build(const struct policy_result *r, int64_t created, uint32_t policy)
{
	struct builder b;
	struct snap_header *h;
	struct membership *m;
	struct policy_user **users;
	struct policy_group **groups;
	size_t n_members, at, size, nstr;
	char err[128];

	nstr = strings_size(r, &n_members);
	m = collect_memberships(r, n_members);
	at = sizeof *h;
	h = &(struct snap_header){0};
	h->users = (uint32_t)at;
	at += r->n_users * sizeof(struct snap_user);
	h->uid_index = (uint32_t)at;
	at += r->n_users * sizeof(uint32_t);
	h->groups = (uint32_t)at;
	at += r->n_groups * sizeof(struct snap_group);
	h->gid_index = (uint32_t)at;
	at += r->n_groups * sizeof(uint32_t);
	h->members = (uint32_t)at;
	at += n_members * sizeof(uint32_t);
	h->user_gids = (uint32_t)at;
	at += n_members * sizeof(uint32_t); /* at most one per membership */
	h->strings = (uint32_t)at;
	size = ALIGN4(at + nstr + 1); /* + 1: the area ends in NUL */

	b.buf = xcalloc(1, size);
	b.str_at = h->strings;
	memcpy(b.buf, h, sizeof *h);
	h = (struct snap_header *)b.buf;
	h->magic = SNAP_MAGIC;
	h->version = SNAP_VERSION;
	h->size = size;
	h->created = created;
	h->policy = policy;
	h->n_users = (uint32_t)r->n_users;
	h->n_groups = (uint32_t)r->n_groups;
	h->n_members = (uint32_t)n_members;

	users =
	    sorted_ptrs(r->users, r->n_users, sizeof *r->users, cmp_user_ptr);
	groups = sorted_ptrs(
	    r->groups, r->n_groups, sizeof *r->groups, cmp_group_ptr);
	fill_users(&b, h, users, m, n_members);
	fill_groups(&b, h, groups);
	free(users);
	free(groups);
	free(m);
	h->checksum = checksum(b.buf, size);
	return snapshot_adopt(b.buf, size, err, sizeof err);
}

/* --- checking --------------------------------------------------------- */

static int __attribute__((format(printf, 3, 4)))
bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Does [off, off + n * size) lie inside [sizeof header, limit)? */
static int
region_ok(uint32_t off, uint64_t n, size_t size, uint64_t limit)
{
	return off >= sizeof(struct snap_header) && off % 4 == 0 &&
	       n <= UINT32_MAX && (uint64_t)off + n * size <= limit;
}

static int
str_ok(const struct snapshot *s, uint32_t off)
{
	return off >= s->h->strings && off < s->len;
}

static int
check_regions(const struct snap_header *h, size_t len, char *err, size_t errlen)
{
	uint64_t end = h->strings;

	if (h->magic != SNAP_MAGIC)
		return bad(err, errlen, "not a tsnssd snapshot (bad magic)");
	if (h->version != SNAP_VERSION)
		return bad(err, errlen, "snapshot version %u, want %u",
		    h->version, SNAP_VERSION);
	if (h->size != len)
		return bad(err, errlen, "size field %llu, file has %zu bytes",
		    (unsigned long long)h->size, len);
	if (h->strings < sizeof *h || h->strings >= len || len % 4 != 0)
		return bad(err, errlen, "string area out of bounds");
	if (!region_ok(h->users, h->n_users, sizeof(struct snap_user), end) ||
	    !region_ok(h->uid_index, h->n_users, 4, end) ||
	    !region_ok(
		h->groups, h->n_groups, sizeof(struct snap_group), end) ||
	    !region_ok(h->gid_index, h->n_groups, 4, end) ||
	    !region_ok(h->members, h->n_members, 4, end) ||
	    !region_ok(h->user_gids, h->n_user_gids, 4, end))
		return bad(err, errlen, "a table lies outside the snapshot");
	return 0;
}

static int
check_users(const struct snapshot *s, char *err, size_t errlen)
{
	const struct snap_header *h = s->h;
	uint32_t i, prev_uid = 0;

	for (i = 0; i < h->n_users; i++) {
		const struct snap_user *u = &s->users[i];

		if (!str_ok(s, u->name) || !str_ok(s, u->login) ||
		    !str_ok(s, u->gecos) || !str_ok(s, u->home) ||
		    !str_ok(s, u->shell))
			return bad(err, errlen, "user %u: bad string", i);
		if (u->uid == 0 || u->gid == 0)
			return bad(err, errlen, "user %u: uid or gid 0", i);
		if (i > 0 && strcmp(snapshot_str(s, s->users[i - 1].name),
				 snapshot_str(s, u->name)) >= 0)
			return bad(err, errlen, "users out of order at %u", i);
		if ((uint64_t)u->gids_first + u->n_gids > h->n_user_gids)
			return bad(err, errlen, "user %u: bad group list", i);
		if (s->uid_index[i] >= h->n_users ||
		    (i > 0 && s->users[s->uid_index[i]].uid <= prev_uid))
			return bad(
			    err, errlen, "uid index out of order at %u", i);
		prev_uid = s->users[s->uid_index[i]].uid;
	}
	return 0;
}

static int
check_groups(const struct snapshot *s, char *err, size_t errlen)
{
	const struct snap_header *h = s->h;
	uint32_t i, prev_gid = 0;

	for (i = 0; i < h->n_members; i++)
		if (!str_ok(s, s->members[i]))
			return bad(err, errlen, "member %u: bad string", i);
	for (i = 0; i < h->n_groups; i++) {
		const struct snap_group *g = &s->groups[i];

		if (!str_ok(s, g->name) || g->gid == 0)
			return bad(err, errlen, "group %u: bad name or gid", i);
		if (i > 0 && strcmp(snapshot_str(s, s->groups[i - 1].name),
				 snapshot_str(s, g->name)) >= 0)
			return bad(err, errlen, "groups out of order at %u", i);
		if ((uint64_t)g->members_first + g->n_members > h->n_members)
			return bad(err, errlen, "group %u: bad members", i);
		if (s->gid_index[i] >= h->n_groups ||
		    (i > 0 && s->groups[s->gid_index[i]].gid <= prev_gid))
			return bad(
			    err, errlen, "gid index out of order at %u", i);
		prev_gid = s->groups[s->gid_index[i]].gid;
	}
	return 0;
}

struct snapshot *
snapshot_adopt(unsigned char *buf, size_t len, char *err, size_t errlen)
{
	struct snapshot *s = xcalloc(1, sizeof *s);
	const struct snap_header *h = (const struct snap_header *)buf;

	s->buf = buf;
	s->len = len;
	s->h = h;
	if (len < sizeof *h || (uintptr_t)buf % 8 != 0) {
		bad(err, errlen, "too short for a snapshot");
		goto fail;
	}
	if (check_regions(h, len, err, errlen) != 0)
		goto fail;
	if (h->strings >= len || buf[len - 1] != '\0') {
		bad(err, errlen, "unterminated string area");
		goto fail;
	}
	if (checksum(buf, len) != h->checksum) {
		bad(err, errlen, "checksum mismatch");
		goto fail;
	}
	s->users = (const struct snap_user *)(buf + h->users);
	s->uid_index = (const uint32_t *)(buf + h->uid_index);
	s->groups = (const struct snap_group *)(buf + h->groups);
	s->gid_index = (const uint32_t *)(buf + h->gid_index);
	s->members = (const uint32_t *)(buf + h->members);
	s->user_gids = (const uint32_t *)(buf + h->user_gids);
	if (check_users(s, err, errlen) != 0 ||
	    check_groups(s, err, errlen) != 0)
		goto fail;
	return s;
fail:
	snapshot_free(s);
	return NULL;
}

void
snapshot_free(struct snapshot *s)
{
	if (s == NULL)
		return;
	free(s->buf);
	free(s);
}

/* --- searching -------------------------------------------------------- */

const struct snap_user *
snapshot_user_by_name(const struct snapshot *s, const char *name)
{
	size_t lo = 0, hi = s->h->n_users;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, snapshot_str(s, s->users[mid].name));

		if (c == 0)
			return &s->users[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct snap_user *
snapshot_user_by_uid(const struct snapshot *s, uint32_t uid)
{
	size_t lo = 0, hi = s->h->n_users;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct snap_user *u = &s->users[s->uid_index[mid]];

		if (u->uid == uid)
			return u;
		if (uid < u->uid)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct snap_user *
snapshot_user_at(const struct snapshot *s, uint32_t index)
{
	return index < s->h->n_users ? &s->users[index] : NULL;
}

const struct snap_group *
snapshot_group_by_name(const struct snapshot *s, const char *name)
{
	size_t lo = 0, hi = s->h->n_groups;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, snapshot_str(s, s->groups[mid].name));

		if (c == 0)
			return &s->groups[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct snap_group *
snapshot_group_by_gid(const struct snapshot *s, uint32_t gid)
{
	size_t lo = 0, hi = s->h->n_groups;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct snap_group *g = &s->groups[s->gid_index[mid]];

		if (g->gid == gid)
			return g;
		if (gid < g->gid)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct snap_group *
snapshot_group_at(const struct snapshot *s, uint32_t index)
{
	return index < s->h->n_groups ? &s->groups[index] : NULL;
}
