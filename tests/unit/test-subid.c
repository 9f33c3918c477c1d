/*
 * test-subid.c - subordinate ranges (src/subid.c): the walk past local
 * ids, /etc/subuid spans and other logins' claims; running out; claims
 * that stay after a login leaves and go with forget; the claims file and
 * /etc/subuid as hostile input.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "localdb.h"
#include "policy.h"
#include "subid.h"
#include "tap.h"
#include "xmalloc.h"

#define FIRST 1000000u
static char dir[] = "/tmp/test-subid.XXXXXX";
static char path[4][256]; /* passwd, group, subuid, subgid */

static void
write_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		exit(99);
}

/* Room for 5 ranges of 100: the third holds a local uid, the fourth a
 * span of /etc/subuid. */
static struct policy_config pc = {
    .subid = {.all_users = 1},
    .subid_count = 100,
    .subid_range = {FIRST, FIRST + 499},
};

/* A result with users named as given, all of them members. */
static struct policy_result *
result(const char *const *names, size_t n)
{
	struct policy_result *r = xcalloc(1, sizeof *r);
	size_t i;

	r->users = xcalloc(n + 1, sizeof *r->users);
	r->subid_members.members = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		r->users[i].name = xstrdup(names[i]);
		xasprintf(&r->users[i].login, "%s@example.com", names[i]);
		r->users[i].uid = 200000 + (uint32_t)i;
		r->users[i].gecos = xstrdup("");
		r->users[i].home = xstrdup("/");
		r->users[i].shell = xstrdup("/bin/sh");
		r->subid_members.members[i] = xstrdup(names[i]);
	}
	r->n_users = r->subid_members.n_members = n;
	return r;
}

static long
start_of(const struct policy_result *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_subids; i++)
		if (strcmp(r->subids[i].name, name) == 0)
			return r->subids[i].start;
	return -1;
}

static void
test_assign(void)
{
	static const char *const first[] = {"ann", "bob", "cat", "dan"};
	static const char *const later[] = {"ann", "cat", "dan", "eve"};
	struct localdb *local = localdb_load(path[0], path[1]);
	struct subid_spans *etc = subid_spans_load(path[2], path[3]);
	struct subid_claims *c = subid_claims_new();
	struct policy_result *r = result(first, 4);
	size_t added, full;
	char err[256] = "";

	full = subid_assign(&pc, local, etc, c, r, &added);
	is_int(start_of(r, "ann"), FIRST, "the first member: the first range");
	is_int(start_of(r, "bob"), FIRST + 100, "the next, the next");
	is_int(start_of(r, "cat"), FIRST + 400,
	    "past a range holding a local uid and one of /etc/subuid");
	is_int(start_of(r, "dan"), -1, "the range is full: none for dan");
	is_int(full, 1, "one member without a range");
	is_int(added, 3, "three claims taken");
	ok(r->n_subids == 3 && strcmp(r->subids[0].name, "ann") == 0 &&
		strcmp(r->subids[2].name, "cat") == 0,
	    "ranges sorted by name, for the snapshot");
	is_int(r->subids[0].uid, 200000, "each range carries its user's uid");
	policy_result_free(r);

	/* bob leaves, eve comes: bob's range stays his */
	r = result(later, 4);
	full = subid_assign(&pc, local, etc, c, r, &added);
	is_int(start_of(r, "cat"), FIRST + 400, "cat keeps hers");
	is_int(start_of(r, "eve"), -1, "bob's range is not given to eve");
	is_int(added, 0, "no new claim");
	ok(subid_claims_save(c, dir, 1u << 20, err, sizeof err) == 0, "claims saved: %s",
	    err);
	policy_result_free(r);
	subid_claims_free(c);

	/* a restart: from the file; then forget bob */
	c = subid_claims_load(dir, 1u << 20, err, sizeof err);
	is_str(err, "", "claims load back");
	is_int(subid_claims_forget(c, "bob@example.com"), 1, "forget bob");
	r = result(later, 4);
	subid_assign(&pc, local, etc, c, r, &added);
	is_int(start_of(r, "ann"), FIRST, "after a restart ann's is hers");
	is_int(start_of(r, "dan"), FIRST + 100,
	    "bob forgotten: his range goes to the first waiting, dan");
	is_int(start_of(r, "eve"), -1, "and eve still waits");
	policy_result_free(r);

	/* a claim that no longer fits is not served, nor given away */
	pc.subid_count = 50;
	r = result(later, 4);
	subid_assign(&pc, local, etc, c, r, &added);
	is_int(start_of(r, "ann"), -1, "a claim of another size is not served");
	pc.subid_count = 100;
	policy_result_free(r);
	subid_claims_free(c);
	subid_spans_free(etc);
	localdb_free(local);
}

static void
hostile_claims(const char *body, const char *what)
{
	char p[300], err[256];
	struct subid_claims *c;
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", dir, SUBID_CLAIMS_FILE);
	f = fopen(p, "w");
	if (f == NULL)
		exit(99);
	fputs(body, f);
	fclose(f);
	c = subid_claims_load(dir, 1u << 20, err, sizeof err);
	ok(err[0] != '\0', "claims file refused: %s (%s)", what, err);
	ok(subid_claims_save(c, dir, 1u << 20, err, sizeof err) != 0,
	    "and, failing closed, never saved over: %s", what);
	subid_claims_free(c);
}

static void
test_hostile(void)
{
	struct subid_spans *s;
	char line[64], big[700];

	hostile_claims("garbage\n", "no header");
	hostile_claims("tsnssd-subids-1 999 0\nx 1 1\n", "a bad checksum");
	write_file(path[2], "a:1:2:3\n:::\nb:-5:10\nc:10:0\n"
			    "d:99999999999999999999:1\ne:5\nf:abc:def\n");
	/* a long line whose tail alone would pass for a good one */
	memset(big, 'x', 600);
	snprintf(big + 600, sizeof big - 600, "a:1000:10\n");
	write_file(path[3], big);
	s = subid_spans_load(path[2], path[3]);
	ok(!subid_spans_overlap(s, 0, 4294967295u, line, sizeof line),
	    "malformed /etc/subuid lines and an over-long line give no span");
	subid_spans_free(s);
	s = subid_spans_load("/nonexistent/a", "/nonexistent/b");
	ok(!subid_spans_overlap(s, 0, 4294967295u, line, sizeof line),
	    "missing files: no span");
	subid_spans_free(s);
}

int
main(void)
{
	char text[256];

	if (mkdtemp(dir) == NULL)
		return 99;
	snprintf(path[0], sizeof path[0], "%s/passwd", dir);
	snprintf(path[1], sizeof path[1], "%s/group", dir);
	snprintf(path[2], sizeof path[2], "%s/subuid", dir);
	snprintf(path[3], sizeof path[3], "%s/subgid", dir);
	snprintf(text, sizeof text, "svc:x:%u:%u::/:/bin/false\n", FIRST + 250,
	    FIRST + 250);
	write_file(path[0], text);
	write_file(path[1], "");
	snprintf(text, sizeof text, "other:%u:50\n", FIRST + 320);
	write_file(path[2], text);
	write_file(path[3], "");
	test_assign();
	test_hostile();
	for (int i = 0; i < 4; i++)
		unlink(path[i]);
	snprintf(text, sizeof text, "%s/%s", dir, SUBID_CLAIMS_FILE);
	unlink(text);
	rmdir(dir);
	return done_testing();
}
