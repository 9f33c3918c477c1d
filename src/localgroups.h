/*
 * localgroups.h - [group NAME] with extend = yes: tsnssd users become
 * members of a group that /etc/group already has (docker, sudo, wheel).
 *
 * The gid is the local group's, read from /etc/group at every build, so
 * it follows the file.  Only tsnssd's own users are ever added: a member
 * naming a local account is dropped, since the admin adds those to
 * /etc/group.  gid 0, the root group and a name /etc/group lacks are
 * refused.  With `group: files [SUCCESS=merge] tailscale`, glibc lists
 * the local and the tailnet members together.
 */
#ifndef TSNSS_LOCALGROUPS_H
#define TSNSS_LOCALGROUPS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct localdb;
struct policy_config;
struct policy_group;
struct policy_result;
struct static_group;

/* NULL with *gid set to the local gid sg extends, or why it is refused. */
const char *localgroups_gid(
    const struct static_group *sg, const struct localdb *local, uint32_t *gid);
/* Drop every member of g that is not one of r's users. */
void localgroups_keep_users(
    struct policy_group *g, const struct policy_result *r);
/* Why membership of a local group is as good as root, or NULL. */
const char *localgroups_privileged(const char *name);
/*
 * tsnssd -t: -1 with err set for the first extended group refused on
 * this host (gid 0, root, not in /etc/group), else 0.
 */
int localgroups_check(const struct policy_config *pc,
    const struct localdb *local, char *err, size_t errlen);
/* tsnssd -t: every extended group, who may join it, privileged marked. */
void localgroups_describe(
    const struct policy_config *pc, const struct localdb *local, FILE *out);

#endif
