/* localgroups.c - see localgroups.h. */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "localdb.h"
#include "localgroups.h"
#include "policy.h"
#include "strmap.h"

/*
 * Groups whose members can become root or read what only root should:
 * -t marks them so that an admin sees what an extension hands out.
 */
static const struct {
	const char *name, *why;
} privileged[] = {
    {"sudo", "sudo to root"},
    {"wheel", "sudo or su to root"},
    {"admin", "sudo to root"},
    {"adm", "reads system logs"},
    {"systemd-journal", "reads every journal"},
    {"shadow", "reads password hashes"},
    {"disk", "raw access to disks"},
    {"docker", "root through the docker socket"},
    {"lxd", "root through lxd"},
    {"libvirt", "root through libvirt"},
    {"kmem", "reads kernel memory"},
    {NULL, NULL},
};

const char *
localgroups_privileged(const char *name)
{
	size_t i;

	for (i = 0; privileged[i].name != NULL; i++)
		if (strcmp(privileged[i].name, name) == 0)
			return privileged[i].why;
	return NULL;
}

const char *
localgroups_gid(
    const struct static_group *sg, const struct localdb *local, uint32_t *gid)
{
	*gid = 0;
	if (strcmp(sg->name, "root") == 0)
		return "the root group is never extended";
	if (!localdb_group_gid(local, sg->name, gid))
		return "extend = yes, but /etc/group has no such group";
	if (*gid == 0)
		return "its gid in /etc/group is 0, which is never extended";
	return NULL;
}

/* By a hash of the users' names: members = * at 100k users is 100k. */
void
localgroups_keep_users(struct policy_group *g, const struct policy_result *r)
{
	struct strmap *users = strmap_new(r->n_users);
	size_t i, n = 0;
	int added;

	for (i = 0; i < r->n_users; i++)
		*strmap_put(users, r->users[i].name, &added) = i;
	for (i = 0; i < g->n_members; i++) {
		if (strmap_get(users, g->members[i]) != STRMAP_NONE)
			g->members[n++] = g->members[i];
		else
			free(g->members[i]);
	}
	g->n_members = n;
	strmap_free(users);
}

int
localgroups_check(const struct policy_config *pc, const struct localdb *local,
    char *err, size_t errlen)
{
	const char *why;
	uint32_t gid;
	size_t i;

	for (i = 0; i < pc->n_groups; i++) {
		if (!pc->groups[i].extend)
			continue;
		why = localgroups_gid(&pc->groups[i], local, &gid);
		if (why != NULL) {
			snprintf(err, errlen, "[group %s] (line %u): %s",
			    pc->groups[i].name, pc->groups[i].line, why);
			return -1;
		}
	}
	return 0;
}

static void
describe_members(const struct static_group *sg, FILE *out)
{
	size_t i;

	if (sg->all_users)
		fprintf(out, " *");
	for (i = 0; i < sg->n_members; i++)
		fprintf(out, " %s", sg->members[i]);
	if (!sg->all_users && sg->n_members == 0)
		fprintf(out, " (nobody)");
}

void
localgroups_describe(
    const struct policy_config *pc, const struct localdb *local, FILE *out)
{
	const char *priv;
	uint32_t gid;
	size_t i;

	for (i = 0; i < pc->n_groups; i++) {
		const struct static_group *sg = &pc->groups[i];

		if (!sg->extend || localgroups_gid(sg, local, &gid) != NULL)
			continue;
		priv = localgroups_privileged(sg->name);
		fprintf(out,
		    "tsnssd: extended local group %s (gid %" PRIu32 ")",
		    sg->name, gid);
		if (priv != NULL)
			fprintf(out, " PRIVILEGED (%s)", priv);
		fprintf(out, ", members:");
		describe_members(sg, out);
		fprintf(out, "\n");
	}
}
