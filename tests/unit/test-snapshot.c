/* test-snapshot.c - build, search, persist and refuse corrupt snapshots. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "localdb.h"
#include "policy.h"
#include "snapshot.h"
#include "tap.h"

static struct policy_result *
sample(void)
{
	static char *domains[] = {"example.com"};
	static struct policy_source src = {.name = "tailscale",
	    .domains = domains,
	    .n_domains = 1,
	    .uid_base = 100000,
	    .uid_max = 2147483646,
	    .shell = "/bin/sh",
	    .home = "/home/%u"};
	static struct policy_config pc = {.sources = &src,
	    .n_sources = 1,
	    .domains = domains,
	    .n_domains = 1};
	struct tsnss_identity ids[] = {
	    {3, "carol@example.com", "Carol", NULL, 0, NULL, 0},
	    {1, "alice@example.com", "Alice", NULL, 0, NULL, 0},
	    {2, "bob@example.com", "Bob", NULL, 0, NULL, 0},
	};
	struct localdb *local = localdb_empty();
	struct policy_result *r = policy_apply(&pc, local, ids, 3);
	struct policy_group *g;

	localdb_free(local);
	/* one shared group, to exercise members and initgroups */
	r->groups = realloc(r->groups, (r->n_groups + 1) * sizeof *r->groups);
	g = &r->groups[r->n_groups++];
	g->name = strdup("staff-ts");
	g->gid = 90000;
	g->n_members = 2;
	g->members = calloc(2, sizeof *g->members);
	g->members[0] = strdup("bob");
	g->members[1] = strdup("alice");
	return r;
}

static void
test_lookups(struct snapshot *s)
{
	const struct tsnss_snap *v = &s->v;
	struct tsnss_pw u, w;
	struct tsnss_gr g, k;
	struct tsnss_str m;

	is_int(s->h->n_users, 3, "three users");
	is_int(s->h->n_groups, 4, "three private groups and one shared");
	is_int(s->h->generation, 42, "generation kept");
	is_int(s->h->serve_until, 1700000000 + 3600, "serve-until kept");
	ok(tsnss_snap_user_by_name(v, "bob", &u) == TSNSS_SNAP_FOUND,
	    "bob by name");
	is_str(u.home.s, "/home/bob", "bob's home");
	is_int(u.home.len, 9, "bob's home's length");
	ok(tsnss_snap_user_by_uid(v, u.uid, &w) == TSNSS_SNAP_FOUND &&
		w.name.s == u.name.s,
	    "bob by uid");
	ok(tsnss_snap_user_by_name(v, "dave", &w) == TSNSS_SNAP_NONE,
	    "no dave");
	ok(tsnss_snap_user_by_name(v, "", &w) == TSNSS_SNAP_NONE,
	    "no empty name");
	ok(tsnss_snap_user_by_uid(v, 0, &w) == TSNSS_SNAP_NONE, "no uid 0");
	ok(tsnss_snap_user_at(v, 0, &w) == TSNSS_SNAP_FOUND &&
		strcmp(w.name.s, "alice") == 0,
	    "enumeration in name order");
	ok(tsnss_snap_user_at(v, 3, &w) == TSNSS_SNAP_NONE, "enumeration ends");
	ok(tsnss_snap_group_by_name(v, "staff-ts", &g) == TSNSS_SNAP_FOUND &&
		g.gid == 90000 && g.n_members == 2,
	    "shared group");
	ok(tsnss_snap_group_by_gid(v, 90000, &k) == TSNSS_SNAP_FOUND &&
		k.name.s == g.name.s,
	    "shared group by gid");
	ok(tsnss_snap_member(v, &g, 1, &m) == 0 && strcmp(m.s, "alice") == 0,
	    "its second member");
	ok(tsnss_snap_member(v, &g, 2, &m) != 0, "no third member");
	ok(tsnss_snap_user_by_name(v, "alice", &u) == TSNSS_SNAP_FOUND &&
		u.n_gids == 1 && tsnss_snap_user_gid(v, &u, 0) == 90000,
	    "alice's supplementary group");
	ok(tsnss_snap_user_by_name(v, "carol", &u) == TSNSS_SNAP_FOUND &&
		u.n_gids == 0,
	    "carol has none");
}

static void
test_corruption(struct snapshot *s)
{
	unsigned char *copy;
	char err[256];
	size_t i, rejected = 0, len = s->len;
	struct snapshot *t;

	for (i = 0; i < len; i++) {
		copy = malloc(len);
		memcpy(copy, s->buf, len);
		copy[i] ^= 0x5a;
		t = snapshot_adopt(copy, len, err, sizeof err);
		rejected += t == NULL;
		snapshot_free(t);
	}
	is_int(rejected, len, "every flipped byte is rejected");
	for (i = 0, rejected = 0; i < len; i++) {
		copy = malloc(i + 1);
		memcpy(copy, s->buf, i);
		t = snapshot_adopt(copy, i, err, sizeof err);
		rejected += t == NULL;
		snapshot_free(t);
	}
	is_int(rejected, len, "every truncation is rejected");
}

/*
 * A persisted snapshot is read through a mapping of its file, then of
 * the file published from it: the switch must happen, and let go of the
 * first mapping.
 */
static void
test_use_file(struct snapshot *t, const char *dir)
{
	char path[300];
	unsigned char *before = t->buf;
	struct tsnss_pw u;
	FILE *f;

	snprintf(path, sizeof path, "%s/published", dir);
	f = fopen(path, "w+");
	if (f == NULL || fwrite(t->buf, 1, t->len, f) != t->len ||
	    fflush(f) != 0) {
		ok(0, "published copy written");
		if (f != NULL)
			fclose(f);
		return;
	}
	ok(t->mapped, "a persisted snapshot is mapped, not copied");
	snapshot_use_file(t, fileno(f));
	ok(t->mapped && t->buf != before,
	    "it is read through the published file from then on");
	ok(tsnss_snap_user_by_name(&t->v, "bob", &u) == TSNSS_SNAP_FOUND,
	    "and still finds bob");
	fclose(f);
	unlink(path);
}

static void
test_cache(struct snapshot *s)
{
	char dir[] = "/tmp/tsnss-test-XXXXXX", err[256], path[300];
	struct snapshot *t;
	FILE *f;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	t = cache_load(dir, 7, 1u << 20, err, sizeof err);
	ok(t == NULL && err[0] == '\0', "no cache file: quietly nothing");
	ok(cache_save(dir, s, 1u << 20, err, sizeof err) == 0, "cache saved");
	t = cache_load(dir, 7, 1u << 20, err, sizeof err);
	ok(t != NULL && t->len == s->len && !memcmp(t->buf, s->buf, s->len),
	    "cache loads back identical");
	if (t != NULL)
		test_use_file(t, dir);
	snapshot_free(t);
	t = cache_load(dir, 8, 1u << 20, err, sizeof err);
	ok(t == NULL && strstr(err, "another identity policy"),
	    "a cache built under another policy is rejected");
	snprintf(path, sizeof path, "%s/snapshot", dir);
	f = fopen(path, "r+");
	fseek(f, 100, SEEK_SET);
	fputc('X', f);
	fclose(f);
	t = cache_load(dir, 7, 1u << 20, err, sizeof err);
	ok(t == NULL && strstr(err, "rejected") != NULL,
	    "corrupt cache rejected");
	f = fopen(path, "w");
	fputs("#!/bin/sh\necho foreign file\n", f);
	fclose(f);
	t = cache_load(dir, 7, 1u << 20, err, sizeof err);
	ok(t == NULL && err[0] != '\0', "foreign file rejected");
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	struct policy_result *r = sample();
	struct snap_meta meta = {1700000000, 1700000000 + 3600, 42, 7, 0, 0};
	struct snapshot *s = snapshot_build(r, &meta);

	ok(s != NULL, "snapshot built and valid");
	policy_result_free(r);
	if (s != NULL) {
		test_lookups(s);
		test_corruption(s);
		test_cache(s);
	}
	snapshot_free(s);
	return done_testing();
}
