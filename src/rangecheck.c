#include "autoconfig.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "rangecheck.h"
#include "subidfile.h"

struct range {
	unsigned long lo, hi;
	const char *what;
	const char *const
	    *users; /* any of these installed: in use; NULL: always */
};

/*
 * Only nspawn and machined hand out the container range: where neither is
 * installed nothing can collide there, and a warning would only teach the
 * admin to ignore warnings.
 */
static const char *const nspawn_users[] = {"/usr/bin/systemd-nspawn",
    "/usr/lib/systemd/systemd-machined", "/lib/systemd/systemd-machined", NULL};

/* systemd's own ranges (see systemd's UIDS-GIDS.md) */
static const struct range systemd_ranges[] = {
    {60001, 60513, "systemd-homed users", NULL},
    {61184, 65519, "systemd DynamicUser= services", NULL},
    {524288, 1879048191, "systemd-nspawn container UID ranges", nspawn_users},
};

static int
in_use(const struct range *r)
{
	const char *const *p;

	if (r->users == NULL)
		return 1;
	for (p = r->users; *p != NULL; p++)
		if (access(*p, F_OK) == 0)
			return 1;
	return 0;
}

struct checker {
	const struct policy_source *src;
	void (*warn)(const char *msg, void *arg);
	void *arg;
	int found;
};

static void
overlap(
    struct checker *ck, unsigned long lo, unsigned long hi, const char *what)
{
	char msg[512];

	if (hi < ck->src->uid_base || lo > ck->src->uid_max)
		return;
	snprintf(msg, sizeof msg,
	    "[%s]: uid range %u-%u overlaps %s (%lu-%lu); a tailnet user "
	    "could get an id that is already in use there",
	    ck->src->name, ck->src->uid_base, ck->src->uid_max, what, lo, hi);
	ck->warn(msg, ck->arg);
	ck->found++;
}

struct subid_check {
	struct checker *ck;
	const char *path;
};

static int
check_range(const struct subidfile_range *r, void *arg)
{
	const struct subid_check *sc = arg;
	char what[600];

	snprintf(what, sizeof what, "%s's range in %s", r->owner, sc->path);
	overlap(sc->ck, r->start, (unsigned long)r->start + r->count - 1, what);
	return 0;
}

static void
check_subid(struct checker *ck, const char *path)
{
	struct subid_check sc = {ck, path};

	subidfile_each(path, check_range, &sc);
}

static void
check_passwd(struct checker *ck, const char *path)
{
	char what[300];
	struct passwd *pw;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return;
	while ((pw = fgetpwent(f)) != NULL) {
		snprintf(what, sizeof what, "local account %s in %s",
		    pw->pw_name, path);
		overlap(ck, pw->pw_uid, pw->pw_uid, what);
	}
	fclose(f);
}

/* Source j's range is an earlier source's: warned about already. */
static int
same_range(const struct policy_config *pc, size_t j)
{
	size_t i;

	for (i = 0; i < j; i++)
		if (pc->sources[i].uid_base == pc->sources[j].uid_base &&
		    pc->sources[i].uid_max == pc->sources[j].uid_max)
			return 1;
	return 0;
}

int
range_check(const struct policy_config *pc, const char *subuid,
    const char *subgid, const char *passwd,
    void (*warn)(const char *msg, void *arg), void *arg)
{
	struct checker ck = {NULL, warn, arg, 0};
	size_t i, j;

	for (j = 0; j < pc->n_sources; j++) {
		ck.src = &pc->sources[j];
		if (j > 0 && same_range(pc, j))
			continue;
		for (i = 0; i < sizeof systemd_ranges / sizeof *systemd_ranges;
		     i++)
			if (in_use(&systemd_ranges[i]))
				overlap(&ck, systemd_ranges[i].lo,
				    systemd_ranges[i].hi,
				    systemd_ranges[i].what);
		check_subid(&ck, subuid);
		check_subid(&ck, subgid);
		check_passwd(&ck, passwd);
	}
	return ck.found;
}
