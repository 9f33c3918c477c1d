/* test-policy.c - the identity rules: UIDs, names, gecos, clashes. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "localdb.h"
#include "claims.h"
#include "policy.h"
#include "uidkey.h"
#include "tap.h"

static struct policy_config pc = {
    .uid_base = 100000,
    .uid_max = 2147483646,
    .shell = "/bin/bash",
    .home = "/home/%u",
};

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
	struct policy_config p = pc;
	struct localdb *local;
	struct policy_result *r;

	p.domains = domains;
	p.n_domains = 2;
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
	struct policy_config p = pc;
	struct localdb *local = localdb_empty();
	struct claims *cl = claims_new();
	struct policy_result *r;

	p.domains = domains;
	p.n_domains = 2;
	r = policy_apply_claimed(&p, local, cl, first, 1);
	is_int(claims_take(cl, r), 2, "a user claims a name and a uid");
	policy_result_free(r);
	ok(claims_name_owner(cl, "alice") != NULL &&
		strcmp(claims_name_owner(cl, "alice"), "alice@example.com") ==
		    0,
	    "alice is alice@example.com's");
	r = policy_apply_claimed(&p, local, cl, later, 2);
	ok(refused(r, "alice@github", "belongs to alice@example.com"),
	    "the claimed name is refused to another login, owner absent");
	policy_result_free(r);
	p.clash_names = &cn;
	p.n_clash_names = 1;
	r = policy_apply_claimed(&p, local, cl, later, 2);
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
	struct policy_config p = pc;
	struct localdb *local = localdb_empty();
	struct policy_result *a, *b;
	size_t i;

	p.domains = domains;
	p.n_domains = 1;
	p.uid_base = 500000;
	p.uid_max = 500001;
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

static void
test_fingerprint(void)
{
	char *d1[] = {"example.com"}, *d2[] = {"example.org"};
	struct policy_config a = pc, b = pc;

	a.domains = d1;
	a.n_domains = 1;
	b.domains = d1;
	b.n_domains = 1;
	is_int(policy_fingerprint(&a), policy_fingerprint(&b),
	    "same policy, same fingerprint");
	b.domains = d2;
	ok(policy_fingerprint(&a) != policy_fingerprint(&b),
	    "another domain, another fingerprint");
	b = a;
	b.uid_base = 100001;
	ok(policy_fingerprint(&a) != policy_fingerprint(&b),
	    "another uid_base, another fingerprint");
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
	return done_testing();
}
