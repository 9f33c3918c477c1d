/*
 * test-groups.c - tailnet groups (UserProfile.Groups) as UNIX groups:
 * names, the gid rule, SCIM names, the prefix, and every refusal.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "localdb.h"
#include "policy.h"
#include "tailnet-groups.h"
#include "tap.h"

static char *domains[] = {"example.com"};
static struct static_group wheel = {.name = "wheel", .gid = 4000};
static struct policy_source src = {
    .name = "tailscale",
    .domains = domains,
    .n_domains = 1,
    .uid_base = 100000,
    .uid_max = 2147483646,
    .shell = "/bin/bash",
    .home = "/home/%u",
};
static struct policy_config pc = {
    .sources = &src,
    .n_sources = 1,
    .domains = domains,
    .n_domains = 1,
    .groups = &wheel,
    .n_groups = 1,
};

static const struct policy_group *
group(const struct policy_result *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_groups; i++)
		if (strcmp(r->groups[i].name, name) == 0)
			return &r->groups[i];
	return NULL;
}

static int
refused(const struct policy_result *r, const char *label)
{
	size_t i;

	for (i = 0; i < r->n_decisions; i++)
		if (strcmp(r->decisions[i].login, label) == 0 &&
		    !r->decisions[i].accepted)
			return 1;
	return 0;
}

static void
test_names(void)
{
	char out[64];
	const char *why = NULL;

	is_str(tailnet_group_name(&pc, "group:eng", out, sizeof out, &why),
	    "eng", "group:eng is eng");
	is_str(
	    tailnet_group_name(&pc, "Eng@Example.com", out, sizeof out, &why),
	    "eng", "a SCIM group: local part, lower-cased");
	is_str(tailnet_group_name(
		   &pc, "group:sales@example.com", out, sizeof out, &why),
	    "sales", "group:NAME@domain as policies write SCIM groups");
	ok(tailnet_group_name(&pc, "eng@evil.example", out, sizeof out, &why) ==
		    NULL &&
		why != NULL,
	    "a SCIM group of an unlisted domain is refused");
	ok(tailnet_group_name(&pc, "autogroup:admin", out, sizeof out, &why) ==
		NULL,
	    "other forms are refused");
}

static void
test_apply(void)
{
	static const char *const alice_g[] = {"group:eng", "group:ops",
	    "group:root", "group:wheel", "group:Bad", "x@evil.example",
	    "eng@example.com"};
	static const char *const bob_g[] = {"group:eng", "group:carol"};
	struct tsnss_identity ids[] = {
	    {1, "alice@example.com", "Alice", alice_g, 7, NULL, 0},
	    {2, "bob@example.com", "Bob", bob_g, 2, NULL, 0},
	    {3, "mallory@evil.example", "M", bob_g, 2, NULL, 0},
	    {4, "carol@example.com", "Carol", NULL, 0, NULL, 0},
	};
	struct localdb *local = localdb_load("/etc/passwd", "/etc/group");
	struct policy_result *r = policy_apply(&pc, local, ids, 4);
	const struct policy_group *g;

	g = group(r, "eng");
	if (ok(g != NULL, "group:eng is a group")) {
		is_int(
		    g->gid, 1804101763, "its gid follows the documented rule");
		is_int(
		    g->n_members, 2, "alice and bob, once each (SCIM eng too)");
		is_str(g->members[0], "alice", "members sorted");
		is_str(g->members[1], "bob", "by name");
	}
	g = group(r, "ops");
	ok(g != NULL && g->n_members == 1, "group:ops has alice alone");
	ok(group(r, "root") == NULL && refused(r, "tailnet group root"),
	    "a local group's name is refused, and recorded");
	g = group(r, "wheel");
	ok(g != NULL && g->gid == 4000 && g->n_members == 0 &&
		refused(r, "tailnet group wheel"),
	    "a [group] section's name is refused; the section stays as it is");
	g = group(r, "carol");
	ok(g != NULL && g->gid != policy_uid(&pc, "carol@example.com") &&
		g->owner != NULL && strcmp(g->owner, "group:carol") == 0 &&
		policy_find_user(r, "carol@example.com") == NULL &&
		refused(r, "carol@example.com"),
	    "a tailnet group wins a name nobody owns yet over a user");
	ok(refused(r, "tailnet group Bad"), "an invalid name is refused");
	ok(refused(r, "tailnet group x@evil.example"),
	    "an unlisted SCIM domain is refused");
	policy_result_free(r);

	pc.group_prefix = "ts-";
	r = policy_apply(&pc, local, ids, 4);
	g = group(r, "ts-eng");
	ok(g != NULL && g->gid == 1804101763,
	    "group_prefix names the group, the gid stays the same");
	ok(group(r, "ts-carol") != NULL &&
		policy_find_user(r, "carol@example.com") != NULL,
	    "ts-carol no longer clashes with carol");
	policy_result_free(r);
	pc.group_prefix = NULL;
	localdb_free(local);
}

static struct policy_result *
apply(struct claims *cl, struct tsnss_identity *ids, size_t n)
{
	struct policy_input in[POLICY_MAX_SOURCES] = {{ids, n}};
	struct localdb *local = localdb_empty();
	struct policy_result *r = policy_apply_claimed(&pc, local, cl, in);

	claims_take(cl, r);
	localdb_free(local);
	return r;
}

/* Groups and users share the names and ids; the first to hold one keeps it. */
static void
test_claims(void)
{
	static const char *const g[] = {"group:carol", "group:eng"};
	struct tsnss_identity ids[] = {
	    {4, "carol@example.com", "Carol", NULL, 0, NULL, 0},
	    {1, "alice@example.com", "Alice", g, 2, NULL, 0},
	    {5, "eng@example.com", "E", NULL, 0, NULL, 0},
	};
	struct claims *cl = claims_new();
	struct policy_result *r = apply(cl, ids, 1);
	const struct policy_group *eng;

	policy_result_free(r);
	r = apply(cl, ids, 2);
	ok(policy_find_user(r, "carol@example.com") != NULL &&
		group(r, "carol")->owner == NULL &&
		refused(r, "tailnet group carol"),
	    "a user that came first keeps its name; the later group is "
	    "refused");
	eng = group(r, "eng");
	ok(eng != NULL && claims_name_owner(cl, "eng") != NULL &&
		strcmp(claims_name_owner(cl, "eng"), "group:eng") == 0 &&
		claims_uid_owner(cl, eng->gid) != NULL &&
		strcmp(claims_uid_owner(cl, eng->gid), "group:eng") == 0,
	    "a tailnet group claims its name and its gid");
	policy_result_free(r);
	r = apply(cl, ids + 2, 1);
	ok(policy_find_user(r, "eng@example.com") == NULL &&
		refused(r, "eng@example.com"),
	    "the group's claim outlives it in the tailnet: eng@ gets no name");
	policy_result_free(r);
	is_int(
	    claims_forget(cl, "group:eng"), 2, "forget group:eng drops both");
	r = apply(cl, ids + 2, 1);
	ok(policy_find_user(r, "eng@example.com") != NULL,
	    "and then the name is free");
	policy_result_free(r);
	claims_free(cl);

	pc.uid_key = (unsigned char *)"a key";
	pc.uid_key_len = 5;
	cl = claims_new();
	r = apply(cl, ids + 1, 1);
	eng = group(r, "eng");
	ok(eng != NULL && eng->gid != 1804101763 && eng->gid >= 100000,
	    "with uid_key_file, a group's gid is keyed too");
	policy_result_free(r);
	claims_free(cl);
	pc.uid_key = NULL;
	pc.uid_key_len = 0;
}

int
main(void)
{
	test_names();
	test_apply();
	test_claims();
	return done_testing();
}
