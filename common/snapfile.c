/*
 * snapfile.c - read a snapshot file: check it, search it.
 *
 * Linked into the NSS stub, so libc only, no allocation, no state, no
 * output.  Every offset is checked where it is followed; see snapfile.h
 * for the two levels of checking.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "snapfile.h"

#define FNV64_PRIME 1099511628211ull

typedef struct tsnss_snap_header snap_header;

/* tests/e2e-map-crash.sh reads the flag of a file at this offset */
_Static_assert(offsetof(snap_header, superseded) == 136,
    "the superseded flag moved: update tests/e2e-map-crash.sh");

int
tsnss_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * FNV-1a over 64-bit words, then over the bytes left: a corruption check
 * eight times faster than bytewise FNV, which matters when a restart
 * checks a 20 MB snapshot before serving it.
 */
uint64_t
tsnss_fnv1a64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0) {
		h ^= *b++;
		h *= FNV64_PRIME;
	}
	return h;
}

static uint64_t
fnv1a64_words(uint64_t h, const unsigned char *p, size_t n)
{
	uint64_t w;

	for (; n >= sizeof w; p += sizeof w, n -= sizeof w) {
		memcpy(&w, p, sizeof w);
		h ^= w;
		h *= FNV64_PRIME;
	}
	return tsnss_fnv1a64(h, p, n);
}

uint64_t
tsnss_snap_checksum(const unsigned char *base, size_t len)
{
	size_t head = offsetof(snap_header, checksum);
	uint64_t h = fnv1a64_words(TSNSS_FNV64_BASIS, base, head);

	return fnv1a64_words(
	    h, base + sizeof(snap_header), len - sizeof(snap_header));
}

/* Does [off, off + n * size) lie inside [sizeof header, limit)? */
static int
region_ok(uint32_t off, uint64_t n, size_t size, uint64_t limit)
{
	return off >= sizeof(snap_header) && off % 4 == 0 &&
	       (uint64_t)off + n * size <= limit;
}

static int
check_header(const snap_header *h, size_t len, char *err, size_t errlen)
{
	uint64_t end = h->strings;

	if (h->magic != TSNSS_SNAP_MAGIC)
		return tsnss_errf(
		    err, errlen, "not a tsnssd snapshot (bad magic)");
	if (h->version != TSNSS_SNAP_VERSION)
		return tsnss_errf(err, errlen, "snapshot version %u, want %u",
		    (unsigned)h->version, TSNSS_SNAP_VERSION);
	if (h->size != len)
		return tsnss_errf(err, errlen,
		    "size field %llu, file has %zu bytes",
		    (unsigned long long)h->size, len);
	if (h->strings < sizeof *h || h->strings >= len || len % 4 != 0)
		return tsnss_errf(err, errlen, "string area out of bounds");
	if (!region_ok(
		h->users, h->n_users, sizeof(struct tsnss_snap_user), end) ||
	    !region_ok(h->uid_index, h->n_users, 4, end) ||
	    !region_ok(
		h->groups, h->n_groups, sizeof(struct tsnss_snap_group), end) ||
	    !region_ok(h->gid_index, h->n_groups, 4, end) ||
	    !region_ok(h->members, h->n_members, 4, end) ||
	    !region_ok(h->user_gids, h->n_user_gids, 4, end) ||
	    !region_ok(h->variants, h->n_variants,
		sizeof(struct tsnss_snap_variant), end) ||
	    !region_ok(h->programs, h->n_programs,
		sizeof(struct tsnss_snap_program), end) ||
	    (h->n_subids > 0 && !region_ok(h->subids, h->n_subids,
				    sizeof(struct tsnss_snap_subid), end)))
		return tsnss_errf(
		    err, errlen, "a table lies outside the snapshot");
	if (h->n_programs > TSNSS_SNAP_MAX_PROGRAMS)
		return tsnss_errf(err, errlen, "%u [program] sections",
		    (unsigned)h->n_programs);
	return 0;
}

int
tsnss_snap_open(struct tsnss_snap *v, const void *base, size_t len, char *err,
    size_t errlen)
{
	const unsigned char *p = base;

	if (len < sizeof v->h || (uintptr_t)p % 8 != 0)
		return tsnss_errf(err, errlen, "too short for a snapshot");
	memcpy(&v->h, p, sizeof v->h);
	if (check_header(&v->h, len, err, errlen) != 0)
		return -1;
	/* so that every string that starts inside the area ends inside it */
	if (p[len - 1] != '\0')
		return tsnss_errf(err, errlen, "unterminated string area");
	v->base = p;
	v->len = len;
	return 0;
}

/* --- following offsets -------------------------------------------------- */

static int
get_str(const struct tsnss_snap *v, uint32_t off, struct tsnss_str *out)
{
	const char *s, *nul;

	if (off < v->h.strings || off >= v->len)
		return -1;
	s = (const char *)v->base + off;
	if ((nul = memchr(s, '\0', v->len - off)) == NULL)
		return -1;
	out->s = s;
	out->len = (size_t)(nul - s);
	return 0;
}

static uint32_t
u32_at(const struct tsnss_snap *v, uint32_t table, uint32_t i)
{
	uint32_t x;

	memcpy(&x, v->base + table + (size_t)i * 4, sizeof x);
	return x;
}

static int
get_user(const struct tsnss_snap *v, uint32_t i, struct tsnss_pw *out)
{
	struct tsnss_snap_user u;

	if (i >= v->h.n_users)
		return TSNSS_SNAP_BAD;
	memcpy(&u, v->base + v->h.users + (size_t)i * sizeof u, sizeof u);
	if (u.uid == 0 || u.gid == 0 ||
	    (uint64_t)u.gids_first + u.n_gids > v->h.n_user_gids ||
	    get_str(v, u.name, &out->name) != 0 ||
	    get_str(v, u.login, &out->login) != 0 ||
	    get_str(v, u.gecos, &out->gecos) != 0 ||
	    get_str(v, u.home, &out->home) != 0 ||
	    get_str(v, u.shell, &out->shell) != 0)
		return TSNSS_SNAP_BAD;
	out->uid = u.uid;
	out->gid = u.gid;
	out->gids_first = u.gids_first;
	out->variant = 0;
	out->n_gids = u.n_gids;
	return TSNSS_SNAP_FOUND;
}

static int
get_group(const struct tsnss_snap *v, uint32_t i, struct tsnss_gr *out)
{
	struct tsnss_snap_group g;

	if (i >= v->h.n_groups)
		return TSNSS_SNAP_BAD;
	memcpy(&g, v->base + v->h.groups + (size_t)i * sizeof g, sizeof g);
	if (g.gid == 0 ||
	    (uint64_t)g.members_first + g.n_members > v->h.n_members ||
	    get_str(v, g.name, &out->name) != 0)
		return TSNSS_SNAP_BAD;
	out->gid = g.gid;
	out->members_first = g.members_first;
	out->n_members = g.n_members;
	return TSNSS_SNAP_FOUND;
}

/* A table sorted by name: where it is, and where a record keeps its name. */
struct by_name {
	uint32_t table, n;
	size_t recsize, name_field;
};

/* The name of record i; NULL if bad. */
static const char *
name_at(const struct tsnss_snap *v, const struct by_name *t, uint32_t i,
    size_t *max)
{
	uint32_t off;

	memcpy(&off,
	    v->base + t->table + (size_t)i * t->recsize + t->name_field,
	    sizeof off);
	if (off < v->h.strings || off >= v->len)
		return NULL;
	*max = v->len - off;
	return (const char *)v->base + off;
}

/*
 * Binary search of a table sorted by name: its index, or -1 for none,
 * -2 for a bad file.
 */
static int64_t
search_name(
    const struct tsnss_snap *v, const struct by_name *t, const char *name)
{
	size_t lo = 0, hi = t->n, mid, max;
	const char *s;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((s = name_at(v, t, (uint32_t)mid, &max)) == NULL)
			return -2;
		c = strncmp(name, s, max);
		if (c == 0)
			return (int64_t)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* The id (first field) of the record that index entry i points at. */
static int64_t
id_at(const struct tsnss_snap *v, uint32_t index, uint32_t table,
    size_t recsize, uint32_t n, uint32_t i, uint32_t *rec)
{
	uint32_t id;

	*rec = u32_at(v, index, i);
	if (*rec >= n)
		return -1;
	memcpy(&id, v->base + table + (size_t)*rec * recsize, sizeof id);
	return id;
}

/* Binary search of an id index: the record number, -1 none, -2 bad. */
static int64_t
search_id(const struct tsnss_snap *v, uint32_t index, uint32_t table,
    size_t recsize, uint32_t n, uint32_t want)
{
	size_t lo = 0, hi = n, mid;
	uint32_t rec;
	int64_t id;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((id = id_at(
			 v, index, table, recsize, n, (uint32_t)mid, &rec)) < 0)
			return -2;
		if (id == want)
			return rec;
		if (want < id)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static int
found_user(const struct tsnss_snap *v, int64_t i, struct tsnss_pw *out)
{
	if (i == -1)
		return TSNSS_SNAP_NONE;
	if (i < 0)
		return TSNSS_SNAP_BAD;
	return get_user(v, (uint32_t)i, out);
}

static int
found_group(const struct tsnss_snap *v, int64_t i, struct tsnss_gr *out)
{
	if (i == -1)
		return TSNSS_SNAP_NONE;
	if (i < 0)
		return TSNSS_SNAP_BAD;
	return get_group(v, (uint32_t)i, out);
}

/* A string offset that may be 0 (not set): len 0 then. */
static int
get_opt_str(const struct tsnss_snap *v, uint32_t off, struct tsnss_str *out)
{
	if (off == 0) {
		out->s = "";
		out->len = 0;
		return 0;
	}
	return get_str(v, off, out);
}

static int
get_variant(const struct tsnss_snap *v, uint32_t i, struct tsnss_pw *out)
{
	struct tsnss_snap_variant r;
	struct tsnss_str name, home, shell;

	if (i >= v->h.n_variants)
		return TSNSS_SNAP_BAD;
	memcpy(&r, v->base + v->h.variants + (size_t)i * sizeof r, sizeof r);
	if (get_str(v, r.name, &name) != 0 || name.len == 0 ||
	    get_opt_str(v, r.home, &home) != 0 ||
	    get_opt_str(v, r.shell, &shell) != 0 ||
	    get_user(v, r.user, out) != TSNSS_SNAP_FOUND)
		return TSNSS_SNAP_BAD;
	out->name = name;
	if (home.len > 0)
		out->home = home;
	if (shell.len > 0)
		out->shell = shell;
	out->variant = 1;
	return TSNSS_SNAP_FOUND;
}

int
tsnss_snap_login_by_name(
    const struct tsnss_snap *v, const char *name, struct tsnss_pw *out)
{
	struct by_name t = {v->h.variants, v->h.n_variants,
	    sizeof(struct tsnss_snap_variant),
	    offsetof(struct tsnss_snap_variant, name)};
	int64_t i;
	int rc = tsnss_snap_user_by_name(v, name, out);

	if (rc != TSNSS_SNAP_NONE || v->h.n_variants == 0)
		return rc;
	if ((i = search_name(v, &t, name)) == -1)
		return TSNSS_SNAP_NONE;
	if (i < 0)
		return TSNSS_SNAP_BAD;
	return get_variant(v, (uint32_t)i, out);
}

static int
get_program(const struct tsnss_snap *v, uint32_t i, struct tsnss_prog *out)
{
	struct tsnss_snap_program r;

	if (i >= v->h.n_programs)
		return TSNSS_SNAP_BAD;
	memcpy(&r, v->base + v->h.programs + (size_t)i * sizeof r, sizeof r);
	if (get_str(v, r.path, &out->path) != 0 || out->path.len == 0 ||
	    get_opt_str(v, r.home, &out->home) != 0 ||
	    get_opt_str(v, r.shell, &out->shell) != 0)
		return TSNSS_SNAP_BAD;
	return TSNSS_SNAP_FOUND;
}

int
tsnss_snap_program(
    const struct tsnss_snap *v, const char *path, struct tsnss_prog *out)
{
	uint32_t i;
	int rc;

	for (i = 0; i < v->h.n_programs && i < TSNSS_SNAP_MAX_PROGRAMS; i++) {
		if ((rc = get_program(v, i, out)) != TSNSS_SNAP_FOUND)
			return rc;
		if (strcmp(out->path.s, path) == 0)
			return TSNSS_SNAP_FOUND;
	}
	return TSNSS_SNAP_NONE;
}

int
tsnss_snap_user_by_name(
    const struct tsnss_snap *v, const char *name, struct tsnss_pw *out)
{
	struct by_name t = {v->h.users, v->h.n_users,
	    sizeof(struct tsnss_snap_user),
	    offsetof(struct tsnss_snap_user, name)};

	return found_user(v, search_name(v, &t, name), out);
}

int
tsnss_snap_user_by_uid(
    const struct tsnss_snap *v, uint32_t uid, struct tsnss_pw *out)
{
	return found_user(v,
	    search_id(v, v->h.uid_index, v->h.users,
		sizeof(struct tsnss_snap_user), v->h.n_users, uid),
	    out);
}

int
tsnss_snap_user_at(
    const struct tsnss_snap *v, uint32_t index, struct tsnss_pw *out)
{
	return found_user(v, index < v->h.n_users ? (int64_t)index : -1, out);
}

int
tsnss_snap_group_by_name(
    const struct tsnss_snap *v, const char *name, struct tsnss_gr *out)
{
	struct by_name t = {v->h.groups, v->h.n_groups,
	    sizeof(struct tsnss_snap_group),
	    offsetof(struct tsnss_snap_group, name)};

	return found_group(v, search_name(v, &t, name), out);
}

int
tsnss_snap_group_by_gid(
    const struct tsnss_snap *v, uint32_t gid, struct tsnss_gr *out)
{
	return found_group(v,
	    search_id(v, v->h.gid_index, v->h.groups,
		sizeof(struct tsnss_snap_group), v->h.n_groups, gid),
	    out);
}

int
tsnss_snap_group_at(
    const struct tsnss_snap *v, uint32_t index, struct tsnss_gr *out)
{
	return found_group(v, index < v->h.n_groups ? (int64_t)index : -1, out);
}

int
tsnss_snap_member(const struct tsnss_snap *v, const struct tsnss_gr *g,
    uint32_t i, struct tsnss_str *out)
{
	if (i >= g->n_members ||
	    (uint64_t)g->members_first + i >= v->h.n_members)
		return -1;
	return get_str(v, u32_at(v, v->h.members, g->members_first + i), out);
}

uint32_t
tsnss_snap_user_gid(
    const struct tsnss_snap *v, const struct tsnss_pw *u, uint32_t i)
{
	if (i >= u->n_gids || (uint64_t)u->gids_first + i >= v->h.n_user_gids)
		return 0;
	return u32_at(v, v->h.user_gids, u->gids_first + i);
}

/* A range is checked whole before anyone sees it: no 0, nothing past 2^31. */
static int
get_subid(const struct tsnss_snap *v, uint32_t i, struct tsnss_snap_subid *out)
{
	struct tsnss_snap_subid r;
	struct tsnss_str name;

	if (i >= v->h.n_subids)
		return TSNSS_SNAP_BAD;
	memcpy(&r, v->base + v->h.subids + (size_t)i * sizeof r, sizeof r);
	if (r.uid == 0 || r.start == 0 || r.count == 0 ||
	    (uint64_t)r.start + r.count > 2147483648u ||
	    get_str(v, r.name, &name) != 0)
		return TSNSS_SNAP_BAD;
	*out = r;
	return TSNSS_SNAP_FOUND;
}

int
tsnss_snap_subid_by_name(
    const struct tsnss_snap *v, const char *name, struct tsnss_snap_subid *out)
{
	struct by_name t = {v->h.subids, v->h.n_subids,
	    sizeof(struct tsnss_snap_subid),
	    offsetof(struct tsnss_snap_subid, name)};
	int64_t i = v->h.n_subids ? search_name(v, &t, name) : -1;

	if (i == -1)
		return TSNSS_SNAP_NONE;
	if (i < 0)
		return TSNSS_SNAP_BAD;
	return get_subid(v, (uint32_t)i, out);
}

int
tsnss_snap_subid_at(
    const struct tsnss_snap *v, uint32_t index, struct tsnss_snap_subid *out)
{
	if (index >= v->h.n_subids)
		return TSNSS_SNAP_NONE;
	return get_subid(v, index, out);
}

/* --- the whole-file check ------------------------------------------------ */

/* Users: every record readable, names strictly ascending, uids too. */
static int
verify_users(const struct tsnss_snap *v, char *err, size_t errlen)
{
	struct tsnss_pw u, prev = {0};
	uint32_t i, rec;
	int64_t id, last = -1;

	for (i = 0; i < v->h.n_users; i++) {
		if (get_user(v, i, &u) != TSNSS_SNAP_FOUND)
			return tsnss_errf(
			    err, errlen, "user %u: bad record", i);
		if (i > 0 && strcmp(prev.name.s, u.name.s) >= 0)
			return tsnss_errf(
			    err, errlen, "users out of order at %u", i);
		prev = u;
		id = id_at(v, v->h.uid_index, v->h.users,
		    sizeof(struct tsnss_snap_user), v->h.n_users, i, &rec);
		if (id <= last)
			return tsnss_errf(
			    err, errlen, "uid index out of order at %u", i);
		last = id;
	}
	return 0;
}

static int
verify_groups(const struct tsnss_snap *v, char *err, size_t errlen)
{
	struct tsnss_gr g, prev = {0};
	struct tsnss_str m;
	uint32_t i, rec;
	int64_t id, last = -1;

	for (i = 0; i < v->h.n_members; i++)
		if (get_str(v, u32_at(v, v->h.members, i), &m) != 0)
			return tsnss_errf(
			    err, errlen, "member %u: bad string", i);
	for (i = 0; i < v->h.n_groups; i++) {
		if (get_group(v, i, &g) != TSNSS_SNAP_FOUND)
			return tsnss_errf(
			    err, errlen, "group %u: bad record", i);
		if (i > 0 && strcmp(prev.name.s, g.name.s) >= 0)
			return tsnss_errf(
			    err, errlen, "groups out of order at %u", i);
		prev = g;
		id = id_at(v, v->h.gid_index, v->h.groups,
		    sizeof(struct tsnss_snap_group), v->h.n_groups, i, &rec);
		if (id <= last)
			return tsnss_errf(
			    err, errlen, "gid index out of order at %u", i);
		last = id;
	}
	return 0;
}

/* Variants: readable, names strictly ascending; programs readable. */
static int
verify_extras(const struct tsnss_snap *v, char *err, size_t errlen)
{
	struct tsnss_pw u, prev = {0};
	struct tsnss_prog p;
	struct tsnss_snap_program r;
	uint32_t i;

	for (i = 0; i < v->h.n_variants; i++) {
		if (get_variant(v, i, &u) != TSNSS_SNAP_FOUND)
			return tsnss_errf(
			    err, errlen, "variant %u: bad record", i);
		if (i > 0 && strcmp(prev.name.s, u.name.s) >= 0)
			return tsnss_errf(
			    err, errlen, "variants out of order at %u", i);
		prev = u;
	}
	for (i = 0; i < v->h.n_programs; i++) {
		memcpy(&r, v->base + v->h.programs + (size_t)i * sizeof r,
		    sizeof r);
		if (get_program(v, i, &p) != TSNSS_SNAP_FOUND ||
		    r.reserved != 0)
			return tsnss_errf(
			    err, errlen, "program %u: bad record", i);
	}
	return 0;
}

/* Ranges: every record readable, names strictly ascending. */
static int
verify_subids(const struct tsnss_snap *v, char *err, size_t errlen)
{
	struct tsnss_snap_subid r;
	const char *prev = NULL, *name;
	uint32_t i;

	for (i = 0; i < v->h.n_subids; i++) {
		if (get_subid(v, i, &r) != TSNSS_SNAP_FOUND)
			return tsnss_errf(
			    err, errlen, "subid range %u: bad record", i);
		name = (const char *)v->base + r.name;
		if (prev != NULL && strcmp(prev, name) >= 0)
			return tsnss_errf(
			    err, errlen, "subid ranges out of order at %u", i);
		prev = name;
	}
	return 0;
}

int
tsnss_snap_verify(const struct tsnss_snap *v, char *err, size_t errlen)
{
	if (v->h.reserved != 0 || v->h.superseded != 0 || v->h.reserved2 != 0)
		return tsnss_errf(
		    err, errlen, "reserved header fields are not 0");
	if (tsnss_snap_checksum(v->base, v->len) != v->h.checksum)
		return tsnss_errf(err, errlen, "checksum mismatch");
	if (verify_users(v, err, errlen) != 0 ||
	    verify_groups(v, err, errlen) != 0 ||
	    verify_extras(v, err, errlen) != 0 ||
	    verify_subids(v, err, errlen) != 0)
		return -1;
	return 0;
}
