/* identcheck.c - see identcheck.h. */
#include "autoconfig.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "identcheck.h"
#include "localdb.h"
#include "localgroups.h"
#include "policy.h"

/*
 * Domains where anyone may sign up and so choose a login: under FNV-1a a
 * chosen login can aim at someone's UID.
 */
static const char *const open_signup[] = {
    "github", "passkey", "gmail.com", "googlemail.com", NULL};

static int
is_open(const struct policy_config *pc, const char *domain)
{
	size_t i;

	for (i = 0; open_signup[i] != NULL; i++)
		if (strcmp(open_signup[i], domain) == 0)
			return 1;
	for (i = 0; i < pc->n_open_domains; i++)
		if (strcmp(pc->open_domains[i], domain) == 0)
			return 1;
	return 0;
}

static void
warn_domains(const struct policy_config *pc,
    void (*warn)(const char *msg, void *arg), void *arg)
{
	char msg[1024];
	size_t i;

	for (i = 0; pc->uid_key == NULL && i < pc->n_domains; i++) {
		if (!is_open(pc, pc->domains[i]))
			continue;
		snprintf(msg, sizeof msg,
		    "domain %s: anyone can sign up there and choose a login "
		    "whose UID collides with another's; set uid_key_file",
		    pc->domains[i]);
		warn(msg, arg);
	}
	if (pc->n_domains > 1) {
		snprintf(msg, sizeof msg,
		    "several domains hand out bare names (%s, %s%s): a name "
		    "wanted by logins of two goes to the domain listed first; "
		    "see clash_names",
		    pc->domains[0], pc->domains[1],
		    pc->n_domains > 2 ? ", ..." : "");
		warn(msg, arg);
	}
}

/*
 * What the reserved names and ids (reserved.h) mean for this config: a
 * [user] name the host reserves is refused, and files left out reserve
 * nothing.
 */
static void
warn_reserved(const struct config *cf, const struct localdb *local,
    void (*warn)(const char *msg, void *arg), void *arg)
{
	const struct policy_config *pc = &cf->policy;
	const char *why;
	char msg[768];
	size_t i;

	for (i = 0; i < pc->n_overrides; i++) {
		const struct user_override *o = &pc->overrides[i];

		if (o->name == NULL ||
		    (why = localdb_reserved_name(local, o->name)) == NULL)
			continue;
		snprintf(msg, sizeof msg,
		    "%s:%u: [user %s]: name '%s' is reserved by the host (%s); "
		    "that login will be refused",
		    cf->path, o->line, o->login, o->name, why);
		warn(msg, arg);
	}
	if (localdb_skipped(local) > 0) {
		snprintf(msg, sizeof msg,
		    "%zu unit, sysusers.d or subuid/subgid files or lines were "
		    "left out (over a bound, or malformed): the names and ids "
		    "they hold are not reserved",
		    localdb_skipped(local));
		warn(msg, arg);
	}
}

int
identcheck(const struct config *cf, const struct localdb *local,
    void (*warn)(const char *msg, void *arg), void *arg, char *err,
    size_t errlen)
{
	const struct policy_config *pc = &cf->policy;
	size_t i;

	warn_domains(pc, warn, arg);
	warn_reserved(cf, local, warn, arg);
	if (localgroups_check(pc, local, err, errlen) != 0)
		return -1;
	if (!policy_primary_refused(pc, local))
		return 0;
	for (i = 0; i < pc->n_groups; i++)
		if (strcmp(pc->groups[i].name, pc->primary_group) == 0)
			snprintf(err, errlen,
			    "%s: primary_group '%s': [group %s] (gid %u) is "
			    "refused, its name or gid being a local group in "
			    "/etc/group; no tailnet user could get it",
			    cf->path, pc->primary_group, pc->groups[i].name,
			    pc->groups[i].gid);
	return -1;
}

int
identcheck_shared_uid(
    uid_t uid, const char *passwd_path, char *name, size_t namelen)
{
	struct passwd *pw;
	FILE *f;
	int shared = uid == 65534;

	snprintf(name, namelen, "%s", uid == 65534 ? "nobody" : "no name");
	if ((f = fopen(passwd_path, "re")) == NULL)
		return shared;
	while ((pw = fgetpwent(f)) != NULL) {
		if (pw->pw_uid != uid)
			continue;
		snprintf(name, namelen, "%s", pw->pw_name);
		if (strcmp(pw->pw_name, "nobody") == 0 ||
		    strcmp(pw->pw_name, "nfsnobody") == 0)
			shared = 1;
		break;
	}
	fclose(f);
	return shared;
}
