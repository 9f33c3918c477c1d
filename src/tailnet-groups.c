#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"
#include "tailnet-groups.h"
#include "xmalloc.h"

/* One (group, member) pair; sorted, they become the groups. */
struct pair {
	char *group;	  /* the UNIX name, prefixed */
	const char *base; /* the name the gid is hashed from */
	const char *why;  /* NULL, or why the reported name is refused */
	const char *member;
};

const char *
tailnet_group_name(const struct policy_config *pc, const char *reported,
    char *out, size_t outlen, const char **why)
{
	const char *at = strrchr(reported, '@');
	size_t i, len;

	if (strncmp(reported, "group:", 6) == 0 && at == NULL) {
		snprintf(out, outlen, "%s", reported + 6);
		return out;
	}
	if (at == NULL || at == reported) {
		*why = "neither group:NAME nor NAME@domain";
		return NULL;
	}
	for (i = 0; i < pc->n_domains; i++)
		if (strcasecmp(pc->domains[i], at + 1) == 0)
			break;
	if (i == pc->n_domains) {
		*why = "its domain is not listed in 'domain'";
		return NULL;
	}
	if (strncmp(reported, "group:", 6) == 0)
		reported += 6; /* group:eng@example.com, as policies write it */
	len = (size_t)(strrchr(reported, '@') - reported);
	if (len + 1 > outlen) {
		*why = "too long";
		return NULL;
	}
	for (i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)reported[i]);
	out[len] = '\0';
	return out;
}

static void refuse(struct policy_result *r, const char *group, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
refuse(struct policy_result *r, const char *group, const char *fmt, ...)
{
	struct policy_decision *d;
	va_list ap;

	r->decisions = xreallocarray(
	    r->decisions, r->n_decisions + 1, sizeof *r->decisions);
	d = &r->decisions[r->n_decisions++];
	d->id = 0;
	xasprintf(&d->login, "tailnet group %s", group);
	d->accepted = 0;
	va_start(ap, fmt);
	if (vasprintf(&d->why, fmt, ap) < 0)
		d->why = xstrdup("refused");
	va_end(ap);
}

static int
by_group(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = (x->why != NULL) - (y->why != NULL);

	if (c == 0)
		c = strcmp(x->group, y->group);
	return c ? c : strcmp(x->member, y->member);
}

/* The (group, member) pairs of every accepted user. */
static struct pair *
collect(const struct policy_config *pc, const struct tailnet_member *m,
    size_t n, size_t *np)
{
	struct pair *p = NULL;
	const char *why, *prefix = pc->group_prefix ? pc->group_prefix : "";
	char name[POLICY_MAX_NAME * 4];
	size_t i, j, k = 0, cap = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < m[i].n_groups; j++) {
			if (k == cap) {
				cap = cap ? cap * 2 : 64;
				p = xreallocarray(p, cap, sizeof *p);
			}
			why = NULL;
			if (tailnet_group_name(pc, m[i].groups[j], name,
				sizeof name, &why) == NULL)
				p[k].group = xstrdup(m[i].groups[j]);
			else
				xasprintf(&p[k].group, "%s%s", prefix, name);
			p[k].why = why;
			p[k].base = p[k].group + strlen(prefix);
			p[k++].member = m[i].name;
		}
	}
	if (k > 0) /* qsort of NULL is undefined even for none */
		qsort(p, k, sizeof *p, by_group);
	*np = k;
	return p;
}

static uint32_t
group_gid(const struct policy_config *pc, const char *base)
{
	char *key;
	uint32_t h;

	xasprintf(&key, "group:%s", base);
	h = policy_fnv1a32(key, strlen(key));
	free(key);
	return pc->sources[0].uid_base +
	       h % (pc->sources[0].uid_max + 1 - pc->sources[0].uid_base);
}

/* Why a tailnet group cannot be this one, or NULL. */
static const char *
clash(const struct policy_config *pc, const struct localdb *local,
    const struct policy_result *r, const char *name, uint32_t gid)
{
	size_t i;

	if (!policy_valid_name(name))
		return "is not a valid group name";
	if (localdb_has_group(local, name) || localdb_has_gid(local, gid) ||
	    localdb_has_uid(local, gid))
		return "its name or gid is local, in /etc/group or /etc/passwd";
	for (i = 0; i < pc->n_groups; i++)
		if (strcmp(pc->groups[i].name, name) == 0 ||
		    pc->groups[i].gid == gid)
			return "its name or gid is a [group] section's";
	for (i = 0; i < r->n_groups; i++)
		if (strcmp(r->groups[i].name, name) == 0 ||
		    r->groups[i].gid == gid)
			return "its name or gid is a tsnssd user's group";
	for (i = 0; i < r->n_users; i++)
		if (r->users[i].uid == gid ||
		    strcmp(r->users[i].name, name) == 0)
			return "its name or gid is a tsnssd user's";
	return NULL;
}

static void
add_group(struct policy_result *r, const struct pair *p, size_t n, uint32_t gid)
{
	struct policy_group *g;
	size_t i;

	r->groups =
	    xreallocarray(r->groups, r->n_groups + 1, sizeof *r->groups);
	g = &r->groups[r->n_groups++];
	g->name = xstrdup(p[0].group);
	g->gid = gid;
	g->members = xcalloc(n, sizeof *g->members);
	g->n_members = 0;
	for (i = 0; i < n; i++) /* sorted: duplicates are neighbours */
		if (g->n_members == 0 ||
		    strcmp(g->members[g->n_members - 1], p[i].member) != 0)
			g->members[g->n_members++] = xstrdup(p[i].member);
}

/* Two tailnet groups, one gid: neither gets it, on every host alike. */
static void
refuse_gid_clashes(struct policy_result *r, size_t first)
{
	size_t i, j;

	for (i = first; i < r->n_groups; i++)
		for (j = i + 1; j < r->n_groups; j++) {
			if (r->groups[i].gid != r->groups[j].gid)
				continue;
			refuse(r, r->groups[i].name,
			    "gid %" PRIu32 " is also wanted by %s",
			    r->groups[i].gid, r->groups[j].name);
			refuse(r, r->groups[j].name,
			    "gid %" PRIu32 " is also wanted by %s",
			    r->groups[j].gid, r->groups[i].name);
			r->groups[i].name[0] = r->groups[j].name[0] = '\0';
		}
	for (i = j = first; i < r->n_groups; i++) {
		if (r->groups[i].name[0] != '\0') {
			r->groups[j++] = r->groups[i];
			continue;
		}
		free(r->groups[i].name);
		for (size_t m = 0; m < r->groups[i].n_members; m++)
			free(r->groups[i].members[m]);
		free(r->groups[i].members);
	}
	r->n_groups = j;
}

void
tailnet_groups_add(const struct policy_config *pc, const struct localdb *local,
    const struct tailnet_member *m, size_t n, struct policy_result *r)
{
	size_t np, i, j, first = r->n_groups;
	struct pair *p = collect(pc, m, n, &np);
	const char *why;
	uint32_t gid;

	for (i = 0; i < np; i = j) {
		for (j = i + 1; j < np && !p[j].why == !p[i].why &&
				strcmp(p[i].group, p[j].group) == 0;
		     j++)
			;
		if (p[i].why != NULL) {
			refuse(r, p[i].group, "%s", p[i].why);
			continue;
		}
		gid = group_gid(pc, p[i].base);
		if ((why = clash(pc, local, r, p[i].group, gid)) != NULL)
			refuse(r, p[i].group, "gid %" PRIu32 ": %s", gid, why);
		else
			add_group(r, p + i, j - i, gid);
	}
	refuse_gid_clashes(r, first);
	for (i = 0; i < np; i++)
		free(p[i].group);
	free(p);
}
