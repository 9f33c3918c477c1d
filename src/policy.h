/*
 * policy.h - the identity policy: which backend identities become UNIX
 * users, under what name and UID.  The rules are a compatibility promise
 * (UIDs end up in file ownership on disk) and are spelled out in
 * tailscale-nss.conf(5); every host applies them identically.
 */
#ifndef TSNSS_POLICY_H
#define TSNSS_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "localdb.h"
#include "plugin.h"
#include "policy-config.h"

#define POLICY_MAX_GECOS 256

/*
 * One backend's answer, for pc->sources[i]: a policy reads one of these
 * per source, in section order.  A login reported by several is one user.
 */
struct policy_input {
	const struct tsnss_identity *ids;
	size_t n;
};

struct policy_user {
	size_t source; /* the section that decided this user */
	int64_t id;    /* that section's id for it */
	char *login;   /* lower-cased */
	char *name;
	uint32_t uid, gid;
	char *gecos, *home, *shell;
	/*
	 * The policy's users: login, name, gecos, home and shell are one
	 * allocation, login's (five mallocs a user were a tenth of the
	 * build).  0: each field its own.
	 */
	int packed;
};

struct policy_group {
	char *name;
	uint32_t gid;
	char **members;
	size_t n_members;
	char *owner; /* a tailnet group's claims key ("group:eng"); else NULL */
	/*
	 * The members are the users' own names in the same result, not
	 * copies (a tailnet group's): freed with the users, not here.
	 */
	int members_borrowed;
	/* The name is its user's (a private group's): freed with the user. */
	int name_borrowed;
};

/* alice-host: another name for users[user], from [variant -host]. */
struct policy_variant {
	char *name;
	size_t user;
	size_t rule;	    /* index into pc->variants */
	char *home, *shell; /* expanded; NULL: the user's own */
};

/* What one [program] section says, expanded by the stub per user. */
struct policy_program {
	char *path, *home, *shell; /* templates; NULL: left alone */
};

/* What was decided for one identity, for logs and explanations. */
struct policy_decision {
	int64_t id;
	char *login;
	int accepted;
	char *why; /* "alice uid 123456" or the rule that refused it */
};

/* A user's subordinate ids (subid.h): [start, start + count). */
struct policy_subid {
	char *name, *login;
	uint32_t uid;
	uint32_t start, count;
};

struct policy_result {
	struct policy_user *users;
	size_t n_users;
	struct policy_group *groups;
	size_t n_groups;
	struct policy_decision *decisions;
	size_t n_decisions;
	struct policy_variant *variants; /* sorted by name */
	size_t n_variants;
	struct policy_program *programs;
	size_t n_programs;
	/* the users subid_members names (names); subid_assign() ranges them */
	struct policy_group subid_members;
	struct policy_subid *subids;
	size_t n_subids;
};

struct claims;

/* The answers of all of pc's sources (in[pc->n_sources]), where claims
 * (claims.h; NULL: none) own names and UIDs first. */
struct policy_result *policy_apply_claimed(const struct policy_config *pc,
    const struct localdb *local, const struct claims *cl,
    const struct policy_input *in);
/* One answer, of the first source, without claims (tests, tools). */
struct policy_result *policy_apply(const struct policy_config *pc,
    const struct localdb *local, const struct tsnss_identity *ids, size_t n);
/* primary_group's [group] is held by a local group: nobody may get it. */
int policy_primary_refused(
    const struct policy_config *pc, const struct localdb *local);
void policy_result_free(struct policy_result *r);
/* A refusal that is no login's (a group, a variant), for logs and -x. */
void policy_note(struct policy_result *r, const char *what, char *why);
/* The user a (lower-cased) login became, or NULL. */
const struct policy_user *policy_find_user(
    const struct policy_result *r, const char *login);

uint32_t policy_fnv1a32(const char *s, size_t len);
/* Changes whenever a setting that shapes users or groups changes. */
uint32_t policy_fingerprint(const struct policy_config *pc);
/* The UID a login's domain rule gives it (no [user], no clashes). */
uint32_t policy_uid(const struct policy_config *pc, const char *login);
void policy_gecos(const char *display, char *out, size_t outlen);
int policy_expand(const char *tmpl, const struct policy_user *u,
    const char *domain, char *out, size_t outlen);

#endif
