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
	/*
	 * Sorted, each once: the users' names as the caller gave them,
	 * borrowed, not copied (three million copies at 30 groups a user).
	 */
	const char **members;
	size_t n_members, cap;
	size_t last_rank; /* of the member added last */
	int unsorted;	  /* a member came before one added earlier */
};

/* A group refused, for the decisions: "tailnet group NAME", why. */
struct tailnet_refusal {
	char *label;
	char *why;
};

struct strmap;
struct tailnet_recent;

struct tailnet_groups {
	struct tailnet_group *groups; /* sorted by name */
	size_t n_groups;
	struct tailnet_refusal *refused;
	size_t n_refused;
	/*
	 * Every name reported, once (100k users in 30 groups each report
	 * a thousand names three million times): its number in the map,
	 * and by number the name and, once judged, its group's index.
	 */
	struct strmap *seen;
	const char **names;
	size_t *n_reports; /* how often each was reported: members at most */
	size_t *group_of;  /* STRMAP_NONE: no group */
	size_t n_names, cap_names;
	/*
	 * The last numbers given, by the string's address: the IPN bus
	 * hands every user the same copy of a group's name, and a pointer
	 * compare is cheaper than hashing the name (a miss costs one).
	 */
	struct tailnet_recent *recent;
};

struct tailnet_groups *tailnet_groups_new(void);
/*
 * A group reported by a login of a listed domain: its number, the same
 * for every report of the same name.  The string is borrowed: it must
 * outlive tg, unchanged.
 */
uint32_t tailnet_groups_report(struct tailnet_groups *tg, const char *reported);
/*
 * Judge every group reported and take the accepted ones' names and gids
 * in s; s is sealed after.
 */
void tailnet_groups_judge(struct tailnet_groups *tg, struct idspace *s);
/*
 * user (a UNIX name, borrowed: it must outlive the group's members) is
 * reported in the n groups numbered no[] by tailnet_groups_report().
 * rank is the user's place in the order of the users' names: added by
 * rank, the members need no sorting, and the same rank again is the
 * same user.
 */
void tailnet_groups_add_member(struct tailnet_groups *tg, const uint32_t *no,
    size_t n, const char *user, size_t rank);
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
