/*
 * tailnet-groups.h - the groups a backend reports for its identities
 * (tailscaled's UserProfile.Groups) become UNIX groups:
 *   "group:NAME"        -> NAME
 *   "NAME@domain"       -> NAME, for a listed domain only (SCIM groups
 *                          follow the rule logins follow)
 * each prefixed with group_prefix, with gid
 *   uid_base + fnv1a32("group:" NAME) mod (uid_max + 1 - uid_base)
 * (NAME before the prefix; the UID range of the first backend section),
 * so every host agrees.  A group whose name or
 * gid is a local group's, a [group] section's, or a tsnssd user's, or
 * whose gid another tailnet group wants, is refused, and the refusal is
 * recorded as a decision.
 */
#ifndef TSNSS_TAILNET_GROUPS_H
#define TSNSS_TAILNET_GROUPS_H

#include <stddef.h>

#include "localdb.h"
#include "plugin.h"

struct policy_config;
struct policy_result;

/* A user and the groups one source reports it in. */
struct tailnet_member {
	const char *name; /* the UNIX user name */
	const char *const *groups;
	size_t n_groups;
};

/*
 * Add them to r, whose users and other groups are already decided.  A
 * user may come more than once (once per source).
 */
void tailnet_groups_add(const struct policy_config *pc,
    const struct localdb *local, const struct tailnet_member *m, size_t n,
    struct policy_result *r);

/*
 * The UNIX name (without the prefix) for a reported group into out, or
 * NULL with why set.
 */
const char *tailnet_group_name(const struct policy_config *pc,
    const char *reported, char *out, size_t outlen, const char **why);

#endif
