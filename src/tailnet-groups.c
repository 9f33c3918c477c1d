#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hashmap.h"
#include "idspace.h"
#include "policy-config.h"
#include "strmap.h"
#include "tailnet-groups.h"
#include "xmalloc.h"

/* One reported group, as a UNIX name; sorted, neighbours are one group. */
struct wanted {
	char *group;	  /* the UNIX name, prefixed */
	const char *base; /* the name the gid is hashed from */
	const char *why;  /* NULL, or why the reported name is refused */
	size_t no;	  /* the reported name's number */
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

static void refuse(struct tailnet_groups *tg, const char *group,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
refuse(struct tailnet_groups *tg, const char *group, const char *fmt, ...)
{
	struct tailnet_refusal *d;
	va_list ap;

	tg->refused =
	    xreallocarray(tg->refused, tg->n_refused + 1, sizeof *tg->refused);
	d = &tg->refused[tg->n_refused++];
	xasprintf(&d->label, "tailnet group %s", group);
	va_start(ap, fmt);
	if (vasprintf(&d->why, fmt, ap) < 0)
		d->why = xstrdup("refused");
	va_end(ap);
}

static int
by_wanted(const void *a, const void *b)
{
	const struct wanted *x = a, *y = b;
	int c = (x->why != NULL) - (y->why != NULL);

	return c ? c : strcmp(x->group, y->group);
}

/* Each name reported as the UNIX name it asks for, sorted. */
static struct wanted *
collect(const struct policy_config *pc, const char *const *reported, size_t n)
{
	struct wanted *w = xcalloc(n ? n : 1, sizeof *w);
	const char *prefix = pc->group_prefix ? pc->group_prefix : "";
	char name[POLICY_MAX_NAME * 4];
	size_t i;

	for (i = 0; i < n; i++) {
		if (tailnet_group_name(
			pc, reported[i], name, sizeof name, &w[i].why) == NULL)
			w[i].group = xstrdup(reported[i]);
		else
			xasprintf(&w[i].group, "%s%s", prefix, name);
		w[i].base = w[i].group + (w[i].why ? 0 : strlen(prefix));
		w[i].no = i;
	}
	if (n > 0) /* qsort of NULL is undefined even for none */
		qsort(w, n, sizeof *w, by_wanted);
	return w;
}

static uint32_t
group_gid(const struct policy_config *pc, const char *base)
{
	char *key;
	uint32_t gid;

	xasprintf(&key, "group:%s", base);
	gid = idspace_hash_id(
	    pc, pc->sources[0].uid_base, pc->sources[0].uid_max, key);
	free(key);
	return gid;
}

/* Why a tailnet group cannot be this one (to free), or NULL. */
static char *
clash(const struct idspace *s, const char *name, const char *key, uint32_t gid)
{
	enum idspace_holder h;
	char *why, *out;

	if (!policy_valid_name(name))
		return xstrdup("is not a valid group name");
	if ((h = idspace_name(s, name, key, &why)) == IDSPACE_FREE)
		h = idspace_id(s, gid, key, "gid", &why);
	if (h == IDSPACE_FREE)
		return NULL;
	if (h == IDSPACE_HOST) { /* as it always said */
		free(why);
		return xstrdup("its name or gid is local, in /etc/group or "
			       "/etc/passwd");
	}
	if (h == IDSPACE_CLAIMED || h == IDSPACE_GROUP) {
		xasprintf(&out,
		    "%s (a group that comes after a user does not "
		    "take what the user holds)",
		    why);
		free(why);
		return out;
	}
	return why;
}

static void
add_group(
    struct tailnet_groups *tg, const char *name, const char *key, uint32_t gid)
{
	struct tailnet_group *g;

	tg->groups =
	    xreallocarray(tg->groups, tg->n_groups + 1, sizeof *tg->groups);
	g = &tg->groups[tg->n_groups++];
	memset(g, 0, sizeof *g);
	g->name = xstrdup(name);
	g->key = xstrdup(key);
	g->gid = gid;
}

static void
group_clear(struct tailnet_group *g)
{
	free(g->name);
	free(g->key);
	free(g->members);
}

/* Two tailnet groups, one gid: neither gets it, on every host alike. */
static void
refuse_gid_clashes(struct tailnet_groups *tg)
{
	struct tailnet_group *g = tg->groups;
	size_t i, j;

	for (i = 0; i < tg->n_groups; i++)
		for (j = i + 1; j < tg->n_groups; j++) {
			if (g[i].gid != g[j].gid)
				continue;
			refuse(tg, g[i].name,
			    "gid %" PRIu32 " is also wanted by %s", g[i].gid,
			    g[j].name);
			refuse(tg, g[j].name,
			    "gid %" PRIu32 " is also wanted by %s", g[j].gid,
			    g[i].name);
			g[i].name[0] = g[j].name[0] = '\0';
		}
	for (i = j = 0; i < tg->n_groups; i++) {
		if (g[i].name[0] != '\0')
			g[j++] = g[i];
		else
			group_clear(&g[i]);
	}
	tg->n_groups = j;
}

/* One wanted name: a group, or a refusal. */
static void
judge_one(
    struct tailnet_groups *tg, const struct idspace *s, const struct wanted *w)
{
	char *key, *why;
	uint32_t gid;

	if (w->why != NULL) {
		refuse(tg, w->group, "%s", w->why);
		return;
	}
	gid = group_gid(s->pc, w->base);
	xasprintf(&key, "group:%s", w->base);
	if ((why = clash(s, w->group, key, gid)) != NULL)
		refuse(tg, w->group, "gid %" PRIu32 ": %s", gid, why);
	else
		add_group(tg, w->group, key, gid);
	free(why);
	free(key);
}

/* A power of two; a few thousand names are a large tailnet's. */
#define TG_RECENT 4096

struct tailnet_recent {
	const char *reported; /* NULL: empty */
	uint32_t no;
};

struct tailnet_groups *
tailnet_groups_new(void)
{
	struct tailnet_groups *tg = xcalloc(1, sizeof *tg);

	tg->seen = strmap_new(0);
	tg->recent = xcalloc(TG_RECENT, sizeof *tg->recent);
	return tg;
}

static struct tailnet_recent *
recent_of(const struct tailnet_groups *tg, const char *reported)
{
	return &tg->recent[hashmap_addr(reported) >>
			   52]; /* 12 bits: TG_RECENT */
}

/* A name not seen at this address: by its text. */
static uint32_t
report_text(struct tailnet_groups *tg, const char *reported)
{
	size_t *no;
	int added;

	no = strmap_put(tg->seen, reported, &added);
	if (!added)
		return (uint32_t)*no;
	if (tg->n_names == UINT32_MAX)
		abort(); /* 32 GB of names first: unreachable */
	if (tg->n_names == tg->cap_names) {
		tg->cap_names = tg->cap_names ? 2 * tg->cap_names : 64;
		tg->names =
		    xreallocarray(tg->names, tg->cap_names, sizeof *tg->names);
		tg->n_reports = xreallocarray(
		    tg->n_reports, tg->cap_names, sizeof *tg->n_reports);
	}
	*no = tg->n_names;
	tg->n_reports[tg->n_names] = 0;
	tg->names[tg->n_names++] = reported;
	return (uint32_t)*no;
}

uint32_t
tailnet_groups_report(struct tailnet_groups *tg, const char *reported)
{
	struct tailnet_recent *r = recent_of(tg, reported);

	if (r->reported != reported || reported == NULL)
		*r = (struct tailnet_recent){
		    reported, report_text(tg, reported)};
	tg->n_reports[r->no]++;
	return r->no;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct tailnet_group *)a)->name,
	    ((const struct tailnet_group *)b)->name);
}

/* Which group each name reported became, if any. */
static void
map_names(struct tailnet_groups *tg, const struct wanted *w)
{
	struct tailnet_group key, *g;
	size_t i;

	tg->group_of = xcalloc(tg->n_names + 1, sizeof *tg->group_of);
	for (i = 0; i < tg->n_names; i++) {
		tg->group_of[w[i].no] = STRMAP_NONE;
		if (w[i].why != NULL || tg->n_groups == 0)
			continue;
		key.name = w[i].group;
		g = bsearch(
		    &key, tg->groups, tg->n_groups, sizeof key, by_name);
		if (g != NULL) {
			tg->group_of[w[i].no] = (size_t)(g - tg->groups);
			g->cap += tg->n_reports[w[i].no];
		}
	}
	/* room for every report: adding members never grows an array */
	for (i = 0; i < tg->n_groups; i++)
		if (tg->groups[i].cap > 0)
			tg->groups[i].members = xcalloc(
			    tg->groups[i].cap, sizeof *tg->groups[i].members);
}

void
tailnet_groups_judge(struct tailnet_groups *tg, struct idspace *s)
{
	size_t i, j, n = tg->n_names;
	struct wanted *w = collect(s->pc, tg->names, n);

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && !w[j].why == !w[i].why &&
				strcmp(w[i].group, w[j].group) == 0;
		     j++)
			;
		judge_one(tg, s, &w[i]);
	}
	refuse_gid_clashes(tg);
	for (i = 0; i < tg->n_groups; i++)
		idspace_take(s, tg->groups[i].name, tg->groups[i].gid,
		    tg->groups[i].key);
	idspace_seal(s);
	map_names(tg, w);
	for (i = 0; i < n; i++)
		free(w[i].group);
	free(w);
}

static void
add_one(struct tailnet_group *g, const char *user, size_t rank)
{
	if (g->n_members > 0 && rank == g->last_rank)
		return; /* reported twice, or by two names of one group */
	g->unsorted |= g->n_members > 0 && rank < g->last_rank;
	g->last_rank = rank;
	if (g->n_members == g->cap) { /* more than reported: never */
		g->cap = g->cap ? 2 * g->cap : 8;
		g->members =
		    xreallocarray(g->members, g->cap, sizeof *g->members);
	}
	g->members[g->n_members++] = user;
}

void
tailnet_groups_add_member(struct tailnet_groups *tg, const uint32_t *no,
    size_t n, const char *user, size_t rank)
{
	size_t i;

	for (i = 0; tg->group_of != NULL && i < n; i++)
		if (no[i] < tg->n_names && tg->group_of[no[i]] != STRMAP_NONE)
			add_one(&tg->groups[tg->group_of[no[i]]], user, rank);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
tailnet_groups_finish(struct tailnet_groups *tg)
{
	struct tailnet_group *g;
	size_t i, j, o;

	for (i = 0; i < tg->n_groups; i++) {
		g = &tg->groups[i];
		/* added by rank: sorted, and each once already */
		if (g->n_members == 0 || !g->unsorted)
			continue;
		qsort(g->members, g->n_members, sizeof *g->members, cmp_str);
		for (j = 1, o = 1; j < g->n_members; j++) {
			if (strcmp(g->members[o - 1], g->members[j]) != 0)
				g->members[o++] = g->members[j];
		}
		g->n_members = o;
	}
}

void
tailnet_groups_free(struct tailnet_groups *tg)
{
	size_t i;

	if (tg == NULL)
		return;
	for (i = 0; i < tg->n_groups; i++)
		group_clear(&tg->groups[i]);
	for (i = 0; i < tg->n_refused; i++) {
		free(tg->refused[i].label);
		free(tg->refused[i].why);
	}
	free(tg->groups);
	free(tg->refused);
	strmap_free(tg->seen);
	free(tg->names);
	free(tg->n_reports);
	free(tg->group_of);
	free(tg->recent);
	free(tg);
}
