/*
 * idspace.h - the one name space and the one id space of a host, and the
 * one place that judges whether a name or an id is free for a login or a
 * tailnet group.  Users and tailnet groups share both: a user's private
 * group has its name and its uid as gid, so a user named like a group, or
 * a uid equal to a group's gid, would be that group.
 *
 * In order, a name or id is held by: the host (local accounts, names and
 * ranges it reserves: localdb.h, reserved.h), the config ([group]
 * sections), a claim of another owner (claims.h), or a tailnet group this
 * run has already given it to.  An owner is a login (alice@example.com)
 * or a tailnet group's key (group:admins, see tailnet-groups.h); a login
 * always holds an '@' and a group key never does.
 */
#ifndef TSNSS_IDSPACE_H
#define TSNSS_IDSPACE_H

#include <stddef.h>
#include <stdint.h>

struct claims;
struct localdb;
struct policy_config;

/* Who holds it, from the most final to the least. */
enum idspace_holder {
	IDSPACE_FREE = 0,
	IDSPACE_HOST,	  /* a local account or group, or id 0 / 65535 */
	IDSPACE_RESERVED, /* kept for the host's own software */
	IDSPACE_CONFIG,	  /* a [group] section */
	IDSPACE_CLAIMED,  /* another owner's, sticky */
	IDSPACE_GROUP,	  /* a tailnet group of this run */
};

struct idspace_taken;

struct idspace {
	const struct policy_config *pc;
	const struct localdb *local;
	const struct claims *cl; /* NULL: none */
	struct idspace_taken *names, *ids;
	size_t n_names, n_ids;
};

void idspace_init(struct idspace *s, const struct policy_config *pc,
    const struct localdb *local, const struct claims *cl);
void idspace_clear(struct idspace *s);

/*
 * Who holds name (resp. id, as uid and gid alike; what is the word for
 * it in why: "uid", "gid") against owner, with why set to a sentence for
 * logs and --explain (the caller frees it) unless IDSPACE_FREE.  Whether
 * name is a valid one is the caller's to judge.
 */
enum idspace_holder idspace_name(
    const struct idspace *s, const char *name, const char *owner, char **why);
enum idspace_holder idspace_id(const struct idspace *s, uint32_t id,
    const char *owner, const char *what, char **why);

/* name and id are owner's from now on in this run (tailnet groups). */
void idspace_take(
    struct idspace *s, const char *name, uint32_t id, const char *owner);
/* Done taking: sorts, so the lookups above are O(log n). */
void idspace_seal(struct idspace *s);

/* FNV-1a 32, the unkeyed id rule. */
uint32_t idspace_fnv1a32(const char *s, size_t len);
/* The id key names in the first backend section's range: keyed with
 * uid_key_file if set, else FNV-1a.  Logins and "group:NAME" alike. */
uint32_t idspace_hash_id(const struct policy_config *pc, uint32_t base,
    uint32_t max, const char *key);

#endif
