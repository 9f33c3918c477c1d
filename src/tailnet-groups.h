/*
 * tailnet-groups.h - the groups a backend reports for its identities
 * (tailscaled's UserProfile.Groups) become UNIX groups:
 *   "group:NAME"        -> NAME
 *   "NAME@domain"       -> NAME, for a listed domain only (SCIM groups
 *                          follow the rule logins follow)
 * each prefixed with group_prefix, with gid
 *   uid_base + fnv1a32("group:" NAME) mod (uid_max + 1 - uid_base)
 * (NAME before the prefix; the UID range of the first backend section;
 * with uid_key_file, the keyed hash of "group:" NAME instead), so every
 * host agrees.
 *
 * Groups are judged before users (idspace.h): a group whose name or gid
 * the host, a [group] section or a claim of another owner holds, or whose
 * gid another tailnet group wants, is refused, and the refusal recorded.
 * The others take their name and gid in the idspace, under the owner key
 * "group:" NAME, for users to be judged against; members come after.
 */
#ifndef TSNSS_TAILNET_GROUPS_H
#define TSNSS_TAILNET_GROUPS_H

#include <stddef.h>
#include <stdint.h>

struct idspace;
struct policy_config;

struct tailnet_group {
	char *name; /* the UNIX name, prefixed */
	char *key;  /* its owner key in claims: "group:" NAME */
	uint32_t gid;
	char **members; /* sorted, each once */
	size_t n_members;
};

/* A group refused, for the decisions: "tailnet group NAME", why. */
struct tailnet_refusal {
	char *label;
	char *why;
};

struct tailnet_groups {
	struct tailnet_group *groups; /* sorted by name */
	size_t n_groups;
	struct tailnet_refusal *refused;
	size_t n_refused;
};

/*
 * Judge every group reported (by logins of listed domains) and take the
 * accepted ones' names and gids in s; s is sealed after.
 */
struct tailnet_groups *tailnet_groups_judge(
    struct idspace *s, const char *const *reported, size_t n);
/* user (a UNIX name) is reported in the group reported. */
void tailnet_groups_add_member(struct tailnet_groups *tg,
    const struct policy_config *pc, const char *reported, const char *user);
/* Sort and deduplicate the members; call once, after the last add. */
void tailnet_groups_finish(struct tailnet_groups *tg);
void tailnet_groups_free(struct tailnet_groups *tg);

/*
 * The UNIX name (without the prefix) for a reported group into out, or
 * NULL with why set.
 */
const char *tailnet_group_name(const struct policy_config *pc,
    const char *reported, char *out, size_t outlen, const char **why);

#endif
