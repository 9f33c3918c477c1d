/* test-policy.c - the identity rules: UIDs, names, gecos, clashes. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>

#include "localdb.h"
#include "claims.h"
#include "policy.h"
#include "reserved.h"
#include "uidkey.h"
#include "variants.h"
#include "tap.h"

static struct policy_source src0 = {
    .name = "tailscale",
    .uid_base = 100000,
    .uid_max = 2147483646,
    .shell = "/bin/bash",
    .home = "/home/%u",
};
static struct policy_config pc = {.sources = &src0, .n_sources = 1};

/* pc with one source, s, that lists (and so ranks) domains. */
static struct policy_config
listing(struct policy_source *s, char **domains, size_t n)
{
	struct policy_config p = pc;

	*s = src0;
	s->domains = domains;
	s->n_domains = n;
	p.sources = s;
	p.domains = domains;
	p.n_domains = n;
	return p;
}

static void
test_hash(void)
{
	/* published FNV-1a 32 vectors, and the documented UID formula */
	is_int(policy_fnv1a32("", 0), 0x811c9dc5u, "fnv1a32 of empty");
	is_int(policy_fnv1a32("a", 1), 0xe40c292cu, "fnv1a32 of 'a'");
	is_int(policy_fnv1a32("foobar", 6), 0xbf9cf968u, "fnv1a32 of 'foobar'");
	is_int(policy_uid(&pc, "alice@example.com"), 346538631,
	    "uid of alice@example.com");
	is_int(policy_uid(&pc, "bob@example.com"), 908245498,
	    "uid of bob@example.com");
}

static void
test_names(void)
{
	static const char *good[] = {"alice", "a", "_svc", "bob.smith",
	    "x-y_z9", "abcdefghijklmnopqrstuvwxyz012345"};
	static const char *bad[] = {"", "Alice", "-x", "1abc", "a b", "a:b",
	    "a/b", "a$", "abcdefghijklmnopqrstuvwxyz0123456", ".dot", "é"};
	size_t i;

	for (i = 0; i < sizeof good / sizeof *good; i++)
		ok(policy_valid_name(good[i]), "valid name '%s'", good[i]);
	for (i = 0; i < sizeof bad / sizeof *bad; i++)
		ok(!policy_valid_name(bad[i]), "invalid name '%s'", bad[i]);
}

static void
test_gecos(void)
{
	char out[POLICY_MAX_GECOS + 1];

	policy_gecos("Alice Smith", out, sizeof out);
	is_str(out, "Alice Smith", "plain display name kept");
	policy_gecos("Smith, John:x\nrm -rf\t", out, sizeof out);
	is_str(out, "Smith John x rm -rf", "':' ',' and controls become space");
	policy_gecos("Zoë \xff\xfe Ünal", out, sizeof out);
	is_str(out, "Zoë Ünal", "invalid UTF-8 dropped, valid kept");
	policy_gecos("\xed\xa0\x80surrogate", out, sizeof out);
	is_str(out, "surrogate", "UTF-16 surrogates are not UTF-8");
	char big[1000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	policy_gecos(big, out, sizeof out);
	is_int(strlen(out), POLICY_MAX_GECOS, "gecos capped");
}

static void
test_expand(void)
{
	struct policy_user u = {
	    .name = "alice", .login = "alice@example.com", .uid = 1234};
	char out[64];

	ok(policy_expand("/home/%u", &u, "example.com", out, sizeof out) == 0,
	    "expand %%u");
	is_str(out, "/home/alice", "home from %u");
	policy_expand("/h/%d/%l/%U/%%", &u, "example.com", out, sizeof out);
	is_str(out, "/h/example.com/alice@example.com/1234/%", "all escapes");
	ok(policy_expand("/h/%x", &u, "d", out, sizeof out) != 0,
	    "unknown escape refused");
	ok(policy_expand("/%l/%l/%l/%l", &u, "d", out, 20) != 0,
	    "overflow refused");
}

static const struct policy_decision *
decision(const struct policy_result *r, const char *login)
{
	size_t i;

	for (i = 0; i < r->n_decisions; i++)
		if (strcmp(r->decisions[i].login, login) == 0)
			return &r->decisions[i];
	return NULL;
}

static int
refused(const struct policy_result *r, const char *login, const char *why)
{
	const struct policy_decision *d = decision(r, login);

	return d != NULL && !d->accepted && strstr(d->why, why) != NULL;
}

static void
test_apply(void)
{
	char *domains[] = {"example.com", "example.org"};
	struct tsnss_identity ids[] = {
	    {10, "Alice@Example.COM", "Alice Smith", NULL, 0, NULL, 0},
	    {11, "bob@example.com", "Bob", NULL, 0, NULL, 0},
	    {12, "tagged-devices", "Tagged Devices", NULL, 0, NULL, 0},
	    {13, "mallory@evil.com", "M", NULL, 0, NULL, 0},
	    {14, "root@example.com", "Root", NULL, 0, NULL, 0},
	    {15, "carol@example.com", "", NULL, 0, NULL, 0},
	    {16, "carol@example.org", "", NULL, 0, NULL, 0},
	    {17, "Bad Name@example.com", "", NULL, 0, NULL, 0},
	    {18, "dave@github", "", NULL, 0, NULL, 0},
	};
	struct policy_source s;
	struct policy_config p = listing(&s, domains, 2);
	struct localdb *local;
	struct policy_result *r;

	local = localdb_load("/etc/passwd", "/etc/group"); /* has root */
	r = policy_apply(&p, local, ids, sizeof ids / sizeof *ids);
	is_int(r->n_users, 3, "three users accepted");
	is_int(r->n_groups, 3, "one private group each");
	is_int(r->n_decisions, 9, "a decision per identity");
	is_str(r->users[0].name, "alice", "mixed-case login lower-cased");
	is_int(r->users[0].uid, 346538631, "alice's uid");
	is_int(r->users[0].gid, 346538631, "private group gid = uid");
	is_str(r->users[0].gecos, "Alice Smith", "gecos");
	is_str(r->users[0].home, "/home/alice", "home");
	is_str(r->users[0].shell, "/bin/bash", "shell");
	is_str(r->users[1].name, "bob", "bob accepted");
	ok(refused(r, "tagged-devices", "name@domain"),
	    "tagged-devices refused");
	ok(refused(r, "mallory@evil.com", "not listed"),
	    "foreign domain refused");
	ok(refused(r, "root@example.com", "local account"), "root refused");
	is_str(r->users[2].login, "carol@example.com",
	    "a name clash: the domain listed first keeps the name");
	ok(refused(r, "carol@example.org", "is carol@example.com's"),
	    "and the later domain's login gets none");
	ok(refused(r, "bad name@example.com", "not a valid user name"),
	    "invalid name refused, not mangled");
	ok(refused(r, "dave@github", "not listed"), "@github needs 'github'");
	policy_result_free(r);
	localdb_free(local);
}

/* RFC 4231 test case 2, and the keyed rule on top of it. */
static void
test_uidkey(void)
{
	static unsigned char key[] = "0123456789abcdef";
	struct policy_config p = pc;

	is_int(uidkey_hash((const unsigned char *)"Jefe", 4,
		   "what do ya want for nothing?"),
	    0x5bdcc146u, "HMAC-SHA-256, RFC 4231 case 2");
	p.uid_key = key;
	p.uid_key_len = 16;
	is_int(policy_uid(&p, "alice@example.com"),
	    100000 + uidkey_hash(key, 16, "alice@example.com") %
			 (2147483646u - 100000 + 1),
	    "a keyed uid reduces into the range as FNV does");
	ok(policy_uid(&p, "alice@example.com") != 346538631,
	    "and is not the FNV uid");
	ok(policy_fingerprint(&p) != policy_fingerprint(&pc),
	    "a key changes the fingerprint");
}

/* Claims come first: a UID and a name stay with their first login. */
static void
test_claims(void)
{
	char *domains[] = {"example.com", "github"};
	struct clash_name cn = {"github", "%n_gh"};
	struct tsnss_identity first[] = {
	    {50, "alice@example.com", "", NULL, 0, NULL, 0}};
	struct tsnss_identity later[] = {
	    {1, "alice@github", "", NULL, 0, NULL, 0},
	    {2, "bob@example.com", "", NULL, 0, NULL, 0}};
	struct policy_source s;
	struct policy_config p = listing(&s, domains, 2);
	struct localdb *local = localdb_empty();
	struct claims *cl = claims_new();
	struct policy_input in1[] = {{first, 1}}, in2[] = {{later, 2}};
	struct policy_result *r;

	r = policy_apply_claimed(&p, local, cl, in1);
	is_int(claims_take(cl, r), 2, "a user claims a name and a uid");
	policy_result_free(r);
	ok(claims_name_owner(cl, "alice") != NULL &&
		strcmp(claims_name_owner(cl, "alice"), "alice@example.com") ==
		    0,
	    "alice is alice@example.com's");
	r = policy_apply_claimed(&p, local, cl, in2);
	ok(refused(r, "alice@github", "belongs to alice@example.com"),
	    "the claimed name is refused to another login, owner absent");
	policy_result_free(r);
	p.clash_names = &cn;
	p.n_clash_names = 1;
	r = policy_apply_claimed(&p, local, cl, in2);
	ok(policy_find_user(r, "alice@github") != NULL &&
		strcmp(policy_find_user(r, "alice@github")->name, "alice_gh") ==
		    0,
	    "with clash_names it gets alice_gh");
	policy_result_free(r);
	is_int(claims_forget(cl, "alice@example.com"), 2, "forget drops both");
	ok(claims_uid_owner(cl, 346538631) == NULL, "the uid is free again");
	claims_free(cl);
	localdb_free(local);
}

/* With a range of 2 UIDs, clashes are certain; the smaller id wins. */
static void
test_uid_clash(void)
{
	char *domains[] = {"example.com"};
	struct tsnss_identity fwd[3], rev[3];
	const char *logins[] = {
	    "u1@example.com", "u2@example.com", "u3@example.com"};
	struct policy_source s;
	struct policy_config p = listing(&s, domains, 1);
	struct localdb *local = localdb_empty();
	struct policy_result *a, *b;
	size_t i;

	s.uid_base = 500000;
	s.uid_max = 500001;
	for (i = 0; i < 3; i++) {
		fwd[i] = (struct tsnss_identity){
		    100 + (int64_t)i, logins[i], "", NULL, 0, NULL, 0};
		rev[2 - i] = fwd[i];
	}
	a = policy_apply(&p, local, fwd, 3);
	b = policy_apply(&p, local, rev, 3);
	is_int(a->n_users, 2, "u1 and u3 share a uid: one of them is out");
	is_int(a->n_users, b->n_users, "order does not change the outcome");
	for (i = 0; i < a->n_users && i < b->n_users; i++) {
		is_str(a->users[i].name, b->users[i].name, "same winner");
		is_int(a->users[i].uid, b->users[i].uid, "same uid");
	}
	for (i = 0; i + 1 < a->n_users; i++)
		ok(a->users[i].uid != a->users[i + 1].uid, "uids distinct");
	/* u1 has the smallest id, so it always keeps its uid */
	ok(decision(a, "u1@example.com")->accepted, "smallest id keeps uid");
	ok(refused(a, "u3@example.com", "already u1@example.com's"),
	    "larger id refused, naming the keeper");
	ok(refused(b, "u3@example.com", "already u1@example.com's"),
	    "the same in reverse order");
	policy_result_free(a);
	policy_result_free(b);
	localdb_free(local);
}

static const struct policy_group *
group_of(const struct policy_result *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_groups; i++)
		if (strcmp(r->groups[i].name, name) == 0)
			return &r->groups[i];
	return NULL;
}

/*
 * Two sources: a login both report is one user, the first section decides
 * its attributes, ids of different sources are never compared, and
 * members = role:admin takes the role from whichever source gives it.
 */
static void
test_sources(void)
{
	char *d_ts[] = {"example.com"}, *d_api[] = {"example.com", "corp.test"};
	char *all[] = {"example.com", "corp.test"};
	struct tsnss_attr admin[] = {{"role", "admin"}, {"status", "active"}};
	struct tsnss_attr member[] = {{"role", "member"}};
	struct tsnss_identity ts[] = {
	    {7, "alice@example.com", "Alice (device)", NULL, 0, NULL, 0},
	    {8, "zed@corp.test", "Zed", NULL, 0, admin, 2},
	    {9, "dup@example.com", "", NULL, 0, NULL, 0},
	    {10, "DUP@example.com", "", NULL, 0, NULL, 0},
	};
	struct tsnss_identity api[] = {
	    {900, "Alice@example.com", "Alice Smith", NULL, 0, admin, 2},
	    {901, "bob@corp.test", "Bob", NULL, 0, member, 1},
	    {902, "carol@example.com", "Carol", NULL, 0, admin, 1},
	};
	struct policy_source src[2] = {src0, src0};
	char *admins[] = {"role:admin"};
	struct static_group g = {"admins", 5000, admins, 1, 0, 0, 0};
	struct policy_config p = pc;
	struct policy_input in[2] = {{ts, 4}, {api, 3}};
	struct localdb *local = localdb_empty();
	struct policy_result *r;
	const struct policy_user *u;
	const struct policy_group *gr;

	src[0].domains = d_ts, src[0].n_domains = 1;
	src[1].name = "tailscale-api", src[1].shell = "/bin/zsh";
	src[1].domains = d_api, src[1].n_domains = 2;
	p.sources = src, p.n_sources = 2, p.domains = all, p.n_domains = 2;
	p.groups = &g, p.n_groups = 1;
	r = policy_apply_claimed(&p, local, NULL, in);
	u = policy_find_user(r, "alice@example.com");
	if (ok(u != NULL, "a login both sources report is a user")) {
		is_int(u->uid, 346538631, "with the one documented uid");
		is_str(u->gecos, "Alice (device)",
		    "the first section decides "
		    "the display name");
		is_str(u->shell, "/bin/bash", "and the shell");
		is_int(u->source, 0, "and is recorded as deciding");
	}
	is_int(r->n_decisions, 5, "one decision per login, not per report");
	ok(refused(r, "zed@corp.test", "not listed in 'domain' of [tailscale]"),
	    "a source only speaks for the domains its section lists");
	u = policy_find_user(r, "bob@corp.test");
	ok(u != NULL && strcmp(u->shell, "/bin/zsh") == 0,
	    "a user only the second reports gets that section's shell");
	ok(refused(r, "dup@example.com", "[tailscale] reports two accounts"),
	    "one source reporting a login twice: nobody gets it");
	gr = group_of(r, "admins");
	if (ok(gr != NULL, "[group admins] with members = role:admin")) {
		is_int(gr->n_members, 2,
		    "alice (role from the second source) "
		    "and carol");
		is_str(gr->members[0], "alice", "alice is an admin");
		is_str(gr->members[1], "carol", "carol is an admin");
	}
	policy_result_free(r);
	localdb_free(local);
}

/* One UID wanted by logins of two sources: the ids are not compared. */
static void
test_source_clash(void)
{
	char *d[] = {"example.com"};
	struct tsnss_identity one[] = {{500, "u1@example.com", "", 0, 0, 0, 0}};
	struct tsnss_identity two[] = {{1, "u3@example.com", "", 0, 0, 0, 0}};
	struct tsnss_identity both_a[] = {
	    {500, "u1@example.com", "", 0, 0, 0, 0},
	    {600, "u3@example.com", "", 0, 0, 0, 0}};
	struct tsnss_identity both_b[] = {{9, "u1@example.com", "", 0, 0, 0, 0},
	    {2, "u3@example.com", "", 0, 0, 0, 0}};
	struct policy_source src[2] = {src0, src0};
	struct policy_config p = pc;
	struct policy_input in[2] = {{one, 1}, {two, 1}};
	struct localdb *local = localdb_empty();
	struct policy_result *r;

	src[0].domains = src[1].domains = d;
	src[0].n_domains = src[1].n_domains = 1;
	src[0].uid_base = src[1].uid_base = 500000;
	src[0].uid_max = src[1].uid_max = 500001; /* u1 and u3 clash */
	src[1].name = "tailscale-api";
	p.sources = src, p.n_sources = 2, p.domains = d, p.n_domains = 1;
	r = policy_apply_claimed(&p, local, NULL, in);
	ok(refused(r, "u3@example.com", "already u1@example.com's"),
	    "no source reports both: the earlier section's login keeps it, "
	    "though its id is larger");
	policy_result_free(r);
	in[0] = (struct policy_input){both_a, 2};
	in[1] = (struct policy_input){both_b, 2};
	r = policy_apply_claimed(&p, local, NULL, in);
	ok(refused(r, "u3@example.com", "already u1@example.com's"),
	    "both reported by both: the first section's ids decide");
	policy_result_free(r);
	in[0] = (struct policy_input){NULL, 0};
	r = policy_apply_claimed(&p, local, NULL, in);
	ok(refused(r, "u1@example.com", "already u3@example.com's"),
	    "the first section silent: the second's ids decide");
	policy_result_free(r);
	localdb_free(local);
}

static int
has_variant(const struct policy_result *r, const char *name, const char *of)
{
	const struct policy_variant *v = variants_find(r, name);

	return v != NULL && strcmp(r->users[v->user].name, of) == 0;
}

/* [variant]: alice-host for alice, and every name rule on the way. */
static void
test_variants(void)
{
	char *domains[] = {"example.com"};
	char *eng[] = {"alice@example.com", "bob", "carol", "erin"};
	char *www[] = {"www"};
	struct variant_rule vr[] = {
	    {.suffix = "-host", .shell = "/bin/sh", .home = "/srv/%u"},
	    {.suffix = "-x", .who = {.members = eng, .n_members = 4}},
	    {.suffix = "st-host"}, /* "fro" + "st-host" = "frost-host" */
	    {.suffix = "-data", .who = {.members = www, .n_members = 1}},
	};
	struct tsnss_identity ids[] = {
	    {1, "alice@example.com", "", NULL, 0, NULL, 0},
	    {2, "bob@example.com", "", NULL, 0, NULL, 0},
	    {3, "bob-host@example.com", "", NULL, 0, NULL, 0},
	    {4, "carol@example.com", "", NULL, 0, NULL, 0},
	    {5, "dave@example.com", "", NULL, 0, NULL, 0},
	    {6, "frost@example.com", "", NULL, 0, NULL, 0},
	    {7, "fro@example.com", "", NULL, 0, NULL, 0},
	    {8, "www@example.com", "", NULL, 0, NULL, 0},
	};
	struct policy_source s;
	struct policy_config p = listing(&s, domains, 1);
	struct claims *cl = claims_new();
	struct policy_input in[] = {{ids, sizeof ids / sizeof *ids}};
	struct policy_result *r;
	const struct policy_variant *v;
	char tmp[] = "/tmp/test-policy-passwd.XXXXXX";
	struct localdb *local;
	FILE *f;

	f = fdopen(mkstemp(tmp), "w");
	fputs("carol-host:x:1234:1234::/home/carol-host:/bin/sh\n", f);
	fclose(f);
	local = localdb_load(tmp, "/dev/null");
	p.variants = vr;
	p.n_variants = 4;
	r = policy_apply_claimed(&p, local, cl, in);
	ok(has_variant(r, "alice-host", "alice"), "alice-host is alice's");
	v = variants_find(r, "alice-host");
	ok(v != NULL && strcmp(v->shell, "/bin/sh") == 0 &&
		strcmp(v->home, "/srv/alice") == 0,
	    "with the section's shell and home, expanded for alice");
	ok(variants_find(r, "bob-host") == NULL &&
		refused(r, "bob-host", "tailnet user's"),
	    "bob-host is a login's own name: bob gets no such variant");
	ok(variants_find(r, "carol-host") == NULL &&
		refused(r, "carol-host", "local account"),
	    "carol-host is a local account: refused");
	ok(has_variant(r, "dave-host", "dave"), "no members: everyone");
	ok(has_variant(r, "alice-x", "alice") && has_variant(r, "bob-x", "bob"),
	    "members by login and by local name");
	ok(variants_find(r, "dave-x") == NULL, "dave is not a member of -x");
	ok(variants_find(r, "erin-x") == NULL, "a member who is nobody: none");
	ok(variants_find(r, "frost-host") == NULL &&
		refused(r, "frost-host", "another variant"),
	    "two variants that give one name: neither");
	ok(variants_find(r, "www-data") == NULL &&
		refused(r, "www-data", "reserved on this host"),
	    "www-data is a name the host's software uses: refused");
	is_int(claims_take(cl, r), 8 * 2 + r->n_variants,
	    "each variant claims its name for its user's login");
	policy_result_free(r);
	ok(claims_name_owner(cl, "alice-host") != NULL &&
		strcmp(claims_name_owner(cl, "alice-host"),
		    "alice@example.com") == 0,
	    "alice-host is alice@example.com's");
	p.n_variants = 0;
	ids[0].login = "alice-host@example.com";
	r = policy_apply_claimed(&p, local, cl, in);
	ok(policy_find_user(r, "alice-host@example.com") == NULL &&
		refused(r, "alice-host@example.com", "belongs to alice@"),
	    "a later login cannot take a claimed variant name");
	policy_result_free(r);
	claims_free(cl);
	localdb_free(local);
	unlink(tmp);
}

static void
test_fingerprint(void)
{
	char *d1[] = {"example.com"}, *d2[] = {"example.org"};
	struct policy_source sa, sb, two[2];
	struct policy_config a = listing(&sa, d1, 1), b = listing(&sb, d1, 1);

	is_int(policy_fingerprint(&a), policy_fingerprint(&b),
	    "same policy, same fingerprint");
	/*
	 * Pinned: only a change of the rules themselves may move it (the
	 * rules of issue 17 did, from 0xb8f25c30, so that snapshots built by
	 * the older rules are not served as theirs).
	 */
	is_int(policy_fingerprint(&a), 0xd517d96au,
	    "one source fingerprints as the rules of issue 17 do");
	sb.domains = d2;
	ok(policy_fingerprint(&a) != policy_fingerprint(&b),
	    "another domain, another fingerprint");
	sb = sa;
	sb.uid_base = 100001;
	ok(policy_fingerprint(&a) != policy_fingerprint(&b),
	    "another uid_base, another fingerprint");
	two[0] = two[1] = sa;
	two[1].name = "tailscale-api";
	b = a;
	b.sources = two;
	b.n_sources = 2;
	ok(policy_fingerprint(&a) != policy_fingerprint(&b),
	    "a second source, another fingerprint");
}

/* Names the quick test says are none of the host's, checked the long way. */
static size_t
may_hold_misses(const struct localdb *local, const char *const *names)
{
	size_t i, missed = 0;

	for (i = 0; names[i] != NULL; i++)
		missed += !localdb_may_hold_name(local, names[i]) &&
			  (localdb_has_user(local, names[i]) ||
			      localdb_has_group(local, names[i]) ||
			      localdb_reserved_name(local, names[i]) != NULL);
	return missed;
}

static void
test_may_hold(void)
{
	static const char *const host[] = {
	    "svc1", "zed", "grp9", "root", "www-data", "_apt", NULL};
	char pw[] = "/tmp/test-policy-passwd.XXXXXX";
	char gr[] = "/tmp/test-policy-group.XXXXXX";
	char name[32];
	struct localdb *local = localdb_empty();
	size_t i, free_said = 0, wrong = 0;
	FILE *f;

	ok(may_hold_misses(local, reserved_builtin()) == 0,
	    "no local accounts: the built-in names may still be held");
	localdb_free(local);
	f = fdopen(mkstemp(pw), "w");
	fputs("svc1:x:1201:1201::/:/bin/sh\nzed:x:1202:1202::/:/bin/sh\n", f);
	fclose(f);
	f = fdopen(mkstemp(gr), "w");
	fputs("grp9:x:1301:\n", f);
	fclose(f);
	local = localdb_load(pw, gr);
	ok(may_hold_misses(local, host) == 0 &&
		may_hold_misses(local, reserved_builtin()) == 0,
	    "each local user, group and reserved name may be held");
	for (i = 0; i < 5000; i++) {
		const char *one[] = {name, NULL};

		snprintf(name, sizeof name, "u%zu", i);
		free_said += !localdb_may_hold_name(local, name);
		wrong += may_hold_misses(local, one);
	}
	ok(wrong == 0 && free_said > 4500,
	    "other names are quickly free (%zu of 5000), never wrongly",
	    free_said);
	localdb_free(local);
	unlink(pw);
	unlink(gr);
}

int
main(void)
{
	test_fingerprint();
	test_hash();
	test_names();
	test_gecos();
	test_expand();
	test_apply();
	test_uidkey();
	test_claims();
	test_uid_clash();
	test_sources();
	test_source_clash();
	test_variants();
	test_may_hold();
	return done_testing();
}
