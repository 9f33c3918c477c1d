/*
 * test-snapfile.c - the shared snapshot reader (common/snapfile.c), the
 * one the NSS stub runs on every lookup, against hostile files: every
 * truncation, every flipped byte, and offsets that point outside the file
 * or into its header.  Each copy is malloc'd at exactly its length, so
 * under ASan any read past it is caught.
 */
#include "autoconfig.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "localdb.h"
#include "policy.h"
#include "snapfile.h"
#include "snapshot.h"
#include "tap.h"
#include "xmalloc.h"

static const char *const names[] = {"alice", "bob", "carol", "dave", "", "zz"};

/* alice and carol hold subordinate ranges, as subid_assign() would. */
static void
add_subids(struct policy_result *r)
{
	static const char *const who[] = {"alice", "carol"};
	size_t i;

	r->subids = xcalloc(2, sizeof *r->subids);
	for (i = 0; i < 2; i++) {
		const struct policy_user *u = NULL;

		for (size_t j = 0; j < r->n_users; j++)
			if (strcmp(r->users[j].name, who[i]) == 0)
				u = &r->users[j];
		r->subids[i].name = xstrdup(who[i]);
		r->subids[i].login = xstrdup(u->login);
		r->subids[i].uid = u->uid;
		r->subids[i].start = 1879048192u + 65536u * (uint32_t)i;
		r->subids[i].count = 65536;
	}
	r->n_subids = 2;
}

static struct snapshot *
sample(void)
{
	static char *domains[] = {"example.com"};
	static struct static_group groups[] = {
	    {.name = "staff-ts", .gid = 90000, .all_users = 1, .line = 1}};
	static struct policy_source src = {.name = "tailscale",
	    .domains = domains,
	    .n_domains = 1,
	    .uid_base = 100000,
	    .uid_max = 2147483646,
	    .shell = "/bin/sh",
	    .home = "/home/%u"};
	static struct variant_rule variants[] = {
	    {.suffix = "-host", .shell = "/bin/bash", .line = 2}};
	static struct program_rule programs[] = {
	    {.path = "/usr/sbin/sshd", .shell = "/bin/ctr-%u", .line = 3}};
	static struct policy_config pc = {.sources = &src,
	    .n_sources = 1,
	    .domains = domains,
	    .n_domains = 1,
	    .groups = groups,
	    .n_groups = 1,
	    .variants = variants,
	    .n_variants = 1,
	    .programs = programs,
	    .n_programs = 1};
	struct tsnss_identity ids[] = {
	    {3, "carol@example.com", "Carol", NULL, 0, NULL, 0},
	    {1, "alice@example.com", "Alice", NULL, 0, NULL, 0},
	    {2, "bob@example.com", "Bob", NULL, 0, NULL, 0},
	};
	struct localdb *local = localdb_empty();
	struct policy_result *r = policy_apply(&pc, local, ids, 3);
	struct snap_meta meta = {1700000000, 0, 1, 7, 0, 0};
	struct snapshot *s;

	add_subids(r);
	s = snapshot_build(r, &meta);

	localdb_free(local);
	policy_result_free(r);
	return s;
}

/* Every lookup the stub can make; the count of answers found. */
static unsigned
exercise(const struct tsnss_snap *v)
{
	struct tsnss_pw u;
	struct tsnss_gr g;
	struct tsnss_str m;
	struct tsnss_prog p;
	struct tsnss_snap_subid r;
	unsigned found = 0, i, j, id;

	found += tsnss_snap_login_by_name(v, "alice-host", &u) == 0;
	found += tsnss_snap_program(v, "/usr/sbin/sshd", &p) == 0;

	for (i = 0; i < sizeof names / sizeof *names; i++) {
		found += tsnss_snap_user_by_name(v, names[i], &u) == 0;
		found += tsnss_snap_group_by_name(v, names[i], &g) == 0;
		found += tsnss_snap_subid_by_name(v, names[i], &r) == 0;
	}
	for (i = 0; i < 3; i++)
		found += tsnss_snap_subid_at(v, i, &r) == 0;
	for (i = 0; i < 6; i++) {
		if (tsnss_snap_user_at(v, i, &u) == 0) {
			found++;
			id = u.uid;
			found += tsnss_snap_user_by_uid(v, id, &u) == 0;
			for (j = 0; j < u.n_gids; j++)
				found += tsnss_snap_user_gid(v, &u, j) != 0;
		}
		if (tsnss_snap_group_at(v, i, &g) == 0) {
			found++;
			found += tsnss_snap_group_by_gid(v, g.gid, &g) == 0;
			for (j = 0; j < g.n_members; j++)
				found += tsnss_snap_member(v, &g, j, &m) == 0 &&
					 strlen(m.s) == m.len;
		}
	}
	return found;
}

/* A malloc'd copy of exactly len bytes, so ASan guards its end. */
static unsigned char *
copy_of(const struct snapshot *s, size_t len)
{
	unsigned char *p = malloc(len ? len : 1);

	memcpy(p, s->buf, len < s->len ? len : s->len);
	return p;
}

static void
test_truncations(const struct snapshot *s)
{
	struct tsnss_snap v;
	size_t len, refused = 0;
	unsigned char *p;

	for (len = 0; len < s->len; len++) {
		p = copy_of(s, len);
		refused += tsnss_snap_open(&v, p, len, NULL, 0) != 0;
		free(p);
	}
	is_int(refused, s->len, "every truncation is refused at open");
}

/* A file of another layout version is refused at open, by name. */
static void
test_version(const struct snapshot *s)
{
	struct tsnss_snap v;
	unsigned char *p = copy_of(s, s->len);
	char err[128] = "";

	((struct tsnss_snap_header *)p)->version = TSNSS_SNAP_VERSION - 1;
	ok(tsnss_snap_open(&v, p, s->len, err, sizeof err) != 0 &&
		strstr(err, "snapshot version 3, want 4") != NULL,
	    "a version 3 file (the layout before subids and variants) is "
	    "refused: %s",
	    err);
	free(p);
}

static void
test_flips(const struct snapshot *s)
{
	struct tsnss_snap v;
	size_t i, opened = 0, verified = 0;
	unsigned char *p;

	for (i = 0; i < s->len; i++) {
		p = copy_of(s, s->len);
		p[i] ^= 0xa5;
		if (tsnss_snap_open(&v, p, s->len, NULL, 0) == 0) {
			opened++;
			(void)exercise(&v); /* ASan: never outside p */
			verified += tsnss_snap_verify(&v, NULL, 0) == 0;
		}
		free(p);
	}
	ok(opened > 0, "flipped files that pass the O(1) check: %zu", opened);
	is_int(verified, 0, "the whole-file check refuses every flipped byte");
}

/* Put v at byte `at` of a copy; how open, lookups and verify take it. */
static void
poke(const struct snapshot *s, size_t at, uint32_t v, int open_ok,
    const char *what)
{
	unsigned char *p = copy_of(s, s->len);
	struct tsnss_snap view;
	int rc;

	memcpy(p + at, &v, sizeof v);
	rc = tsnss_snap_open(&view, p, s->len, NULL, 0);
	if (!open_ok) {
		ok(rc != 0, "refused at open: %s", what);
	} else {
		ok(rc == 0, "opens: %s", what);
		if (rc == 0) {
			(void)exercise(&view);
			ok(tsnss_snap_verify(&view, NULL, 0) != 0,
			    "lookups stay inside, verify refuses: %s", what);
		}
	}
	free(p);
}

static void
test_offsets(const struct snapshot *s)
{
	const struct tsnss_snap_header *h = s->h;
	static const size_t tables[] = {
	    offsetof(struct tsnss_snap_header, users),
	    offsetof(struct tsnss_snap_header, uid_index),
	    offsetof(struct tsnss_snap_header, groups),
	    offsetof(struct tsnss_snap_header, gid_index),
	    offsetof(struct tsnss_snap_header, members),
	    offsetof(struct tsnss_snap_header, user_gids),
	    offsetof(struct tsnss_snap_header, variants),
	    offsetof(struct tsnss_snap_header, programs),
	    offsetof(struct tsnss_snap_header, strings)};
	const uint32_t bad[] = {
	    0, 8, (uint32_t)s->len, (uint32_t)s->len + 4, 0xfffffffcu};
	size_t i, j, u0 = h->users, g0 = h->groups;
	char what[96];

	for (i = 0; i < sizeof tables / sizeof *tables; i++)
		for (j = 0; j < sizeof bad / sizeof *bad; j++) {
			snprintf(what, sizeof what, "table %zu at %u", i,
			    (unsigned)bad[j]);
			poke(s, tables[i], bad[j], 0, what);
		}
	poke(s, u0 + offsetof(struct tsnss_snap_user, name), 0, 1,
	    "a user's name in the header");
	poke(s, u0 + offsetof(struct tsnss_snap_user, home), (uint32_t)s->len,
	    1, "a user's home past the end");
	poke(s, u0 + offsetof(struct tsnss_snap_user, shell), 0xffffffffu, 1,
	    "a user's shell at 4 GiB");
	poke(s, u0 + offsetof(struct tsnss_snap_user, gids_first), 0xfffffff0u,
	    1, "a user's groups past the table");
	poke(s, u0 + offsetof(struct tsnss_snap_user, uid), 0, 1,
	    "a user with uid 0");
	poke(s, u0 + offsetof(struct tsnss_snap_user, gid), 0, 1,
	    "a user with gid 0");
	poke(s, h->uid_index, h->n_users, 1, "a uid index past the users");
	poke(s, g0 + offsetof(struct tsnss_snap_group, n_members), 0x7fffffffu,
	    1, "a group with 2^31 members");
	poke(s, g0 + offsetof(struct tsnss_snap_group, gid), 0, 1,
	    "a group with gid 0");
	poke(s, h->members, 4, 1, "a member name in the header");
	poke(s, h->gid_index, 0xffffffffu, 1, "a gid index at 2^32");
	poke(s, s->len - 4, 0x41414141u, 0, "no final NUL");
	poke(s, h->variants + offsetof(struct tsnss_snap_variant, user),
	    h->n_users, 1, "a variant of a user past the table");
	poke(s, h->variants + offsetof(struct tsnss_snap_variant, name), 0, 1,
	    "a variant with no name");
	poke(s, h->programs + offsetof(struct tsnss_snap_program, path),
	    (uint32_t)s->len, 1, "a program's path past the end");
	poke(s, offsetof(struct tsnss_snap_header, n_programs),
	    TSNSS_SNAP_MAX_PROGRAMS + 1, 0,
	    "more [program]s than a stub scans");
}

static void
test_rules(const struct snapshot *s)
{
	struct tsnss_pw u, g_variant;
	struct tsnss_gr g;

	struct tsnss_snap_subid r;

	is_int(exercise(&s->v), 32, "the good file: every lookup answers");
	ok(tsnss_snap_subid_by_name(&s->v, "carol", &r) == 0 &&
		r.start == 1879048192u + 65536u && r.count == 65536,
	    "carol's subordinate range");
	ok(tsnss_snap_subid_by_name(&s->v, "bob", &r) == TSNSS_SNAP_NONE,
	    "bob has none");
	ok(tsnss_snap_user_by_uid(&s->v, 0, &u) == TSNSS_SNAP_NONE, "no uid 0");
	ok(tsnss_snap_group_by_gid(&s->v, 0, &g) == TSNSS_SNAP_NONE,
	    "no gid 0");
	ok(tsnss_snap_group_by_name(&s->v, "staff-ts", &g) == 0 &&
		g.n_members == 3,
	    "members = * lists every user");
	ok(tsnss_snap_login_by_name(&s->v, "bob-host", &u) == 0 &&
		strcmp(u.name.s, "bob-host") == 0 && u.variant &&
		strcmp(u.shell.s, "/bin/bash") == 0 &&
		strcmp(u.home.s, "/home/bob") == 0,
	    "bob-host: bob's home, the variant's shell, its own name");
	ok(tsnss_snap_login_by_name(&s->v, "bob", &u) == 0 &&
		tsnss_snap_login_by_name(&s->v, "bob-host", &g_variant) == 0 &&
		u.uid == g_variant.uid && u.gid == g_variant.gid &&
		u.n_gids == g_variant.n_gids && !u.variant,
	    "bob-host has bob's uid, gid and groups, no more");
	ok(tsnss_snap_user_by_uid(&s->v, u.uid, &u) == 0 &&
		strcmp(u.name.s, "bob") == 0,
	    "by uid, bob is bob");
	ok(tsnss_snap_user_by_name(&s->v, "bob-host", &u) == TSNSS_SNAP_NONE,
	    "a variant is no user of its own (not enumerated)");
	ok(tsnss_snap_login_by_name(&s->v, "bob-hos", &u) == TSNSS_SNAP_NONE,
	    "a prefix of a variant is nobody");
}

int
main(void)
{
	struct snapshot *s = sample();

	ok(s != NULL, "a sample snapshot");
	if (s != NULL) {
		test_rules(s);
		test_truncations(s);
		test_version(s);
		test_flips(s);
		test_offsets(s);
	}
	snapshot_free(s);
	return done_testing();
}
