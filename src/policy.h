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

#include "config.h"
#include "localdb.h"
#include "plugin.h"

#define POLICY_MAX_NAME 32
#define POLICY_MAX_GECOS 256

struct policy_user {
	int64_t id;
	char *login; /* lower-cased */
	char *name;
	uint32_t uid, gid;
	char *gecos, *home, *shell;
};

struct policy_group {
	char *name;
	uint32_t gid;
	char **members;
	size_t n_members;
};

/* What was decided for one identity, for logs and explanations. */
struct policy_decision {
	int64_t id;
	char *login;
	int accepted;
	char *why; /* "alice uid 123456" or the rule that refused it */
};

struct policy_result {
	struct policy_user *users;
	size_t n_users;
	struct policy_group *groups;
	size_t n_groups;
	struct policy_decision *decisions;
	size_t n_decisions;
};

struct claims;

struct policy_result *policy_apply(const struct policy_config *pc,
    const struct localdb *local, const struct tsnss_identity *ids, size_t n);
/* The same, where claims (claims.h) own names and UIDs first. */
struct policy_result *policy_apply_claimed(const struct policy_config *pc,
    const struct localdb *local, const struct claims *cl,
    const struct tsnss_identity *ids, size_t n);
/* primary_group's [group] is held by a local group: nobody may get it. */
int policy_primary_refused(
    const struct policy_config *pc, const struct localdb *local);
void policy_result_free(struct policy_result *r);
/* The user a (lower-cased) login became, or NULL. */
const struct policy_user *policy_find_user(const struct policy_result *r,
    const char *login);

uint32_t policy_fnv1a32(const char *s, size_t len);
/* Changes whenever a setting that shapes users or groups changes. */
uint32_t policy_fingerprint(const struct policy_config *pc);
uint32_t policy_uid(const struct policy_config *pc, const char *login);
int policy_valid_name(const char *name);
void policy_gecos(const char *display, char *out, size_t outlen);
int policy_expand(const char *tmpl, const struct policy_user *u,
    const char *domain, char *out, size_t outlen);

#endif
