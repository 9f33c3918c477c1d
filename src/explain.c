#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "backend.h"
#include "claims.h"
#include "config.h"
#include "explain.h"
#include "idlist.h"
#include "localdb.h"
#include "localgroups.h"
#include "policy.h"
#include "subid.h"
#include "tsnssd.h"
#include "variants.h"
#include "xmalloc.h"

struct explain {
	struct tsnssd *d;
	const char *login; /* lower-cased */
	FILE *out;
	int rc;
	size_t pending; /* fetches not yet answered */
	struct idlist *answer[POLICY_MAX_SOURCES]; /* NULL: none */
};

/* What one backend's fetch calls back with. */
struct explain_fetch {
	struct explain *e;
	size_t idx;
};

static void
print_groups(
    const struct policy_result *r, const struct policy_user *u, FILE *out)
{
	size_t i, j;

	fprintf(out, "groups: ");
	for (i = 0; i < r->n_groups; i++) {
		const struct policy_group *g = &r->groups[i];
		int in = g->gid == u->gid;

		for (j = 0; j < g->n_members && !in; j++)
			in = strcmp(g->members[j], u->name) == 0;
		if (in)
			fprintf(out, " %s(%" PRIu32 ")", g->name, g->gid);
	}
	fprintf(out, "\n");
}

/* The variants r gives u: other names that reach the same UID. */
static void
print_variants(const struct policy_config *pc, const struct policy_result *r,
    const struct policy_user *u, FILE *out)
{
	size_t i;

	for (i = 0; i < r->n_variants; i++)
		if (&r->users[r->variants[i].user] == u)
			fprintf(out, "variant: %s ([variant %s])\n",
			    r->variants[i].name,
			    pc->variants[r->variants[i].rule].suffix);
}

/*
 * A name that is a variant, or was refused as one: whose, from which
 * section, as what entry, or why not.  Its user's login, or NULL.
 */
static const char *
explain_variant(const struct policy_config *pc, const struct policy_result *r,
    const char *name, FILE *out)
{
	const struct policy_variant *v = variants_find(r, name);
	const struct policy_user *u;
	size_t i;

	for (i = 0; i < r->n_decisions; i++)
		if (r->decisions[i].id == 0 &&
		    strcmp(r->decisions[i].login, name) == 0)
			fprintf(out, "result:  %s\n", r->decisions[i].why);
	if (v == NULL)
		return NULL;
	u = &r->users[v->user];
	fprintf(out,
	    "variant: %s is another name for %s (%s), from [variant %s]; "
	    "getpwuid and enumeration show %s\n",
	    name, u->name, u->login, pc->variants[v->rule].suffix, u->name);
	fprintf(out, "passwd:  %s:*:%" PRIu32 ":%" PRIu32 ":%s:%s:%s\n", name,
	    u->uid, u->gid, u->gecos, v->home ? v->home : u->home,
	    v->shell ? v->shell : u->shell);
	return u->login;
}

/* The local groups (extend = yes) the user joins, and which give power. */
static void
print_extended(const struct policy_config *pc, const struct policy_result *r,
    const struct policy_user *u, FILE *out)
{
	const char *priv;
	size_t i, j, k;

	fprintf(out, "extended local groups:");
	for (i = 0; i < pc->n_groups; i++) {
		if (!pc->groups[i].extend)
			continue;
		for (j = 0; j < r->n_groups; j++) {
			const struct policy_group *g = &r->groups[j];

			if (strcmp(g->name, pc->groups[i].name) != 0)
				continue;
			for (k = 0; k < g->n_members; k++)
				if (strcmp(g->members[k], u->name) == 0)
					break;
			if (k == g->n_members)
				continue;
			priv = localgroups_privileged(g->name);
			fprintf(out, " %s(%" PRIu32 ")%s", g->name, g->gid,
			    priv ? "[privileged]" : "");
		}
	}
	fprintf(out, "\n");
}

/* The login's sticky subordinate range, if it holds one here. */
static void
describe_subids(struct explain *e, const char *login)
{
	char err[512];
	struct subid_claims *sc =
	    subid_claims_load(
		e->d->cf->cache_dir, e->d->cf->max_state_bytes, err, sizeof err);

	subid_claims_describe(sc, login, e->out);
	subid_claims_free(sc);
}

static void
judge(struct explain *e, const struct policy_input *in)
{
	struct localdb *local = localdb_load("/etc/passwd", "/etc/group");
	char err[512];
	struct claims *cl = claims_load(
	    e->d->cf->cache_dir, e->d->cf->max_state_bytes, err, sizeof err);
	struct policy_result *r =
	    policy_apply_claimed(&e->d->cf->policy, local, cl, in);
	const struct policy_user *u = policy_find_user(r, e->login);
	size_t i;

	fprintf(e->out, "login:   %s\n", e->login);
	if (err[0] != '\0')
		fprintf(e->out, "note:    %s\n", err);
	claims_describe(cl, e->login, e->out);
	describe_subids(e, e->login);
	for (i = 0; i < r->n_decisions; i++)
		if (strcmp(r->decisions[i].login, e->login) == 0)
			fprintf(e->out, "result:  %s: %s\n",
			    r->decisions[i].accepted ? "accepted" : "refused",
			    r->decisions[i].why);
	if (u != NULL) {
		fprintf(e->out, "decided: by [%s]\n",
		    e->d->cf->backends[u->source].name);
		fprintf(e->out,
		    "passwd:  %s:*:%" PRIu32 ":%" PRIu32 ":%s:%s:%s\n", u->name,
		    u->uid, u->gid, u->gecos, u->home, u->shell);
		print_groups(r, u, e->out);
		print_variants(&e->d->cf->policy, r, u, e->out);
		print_extended(&e->d->cf->policy, r, u, e->out);
	}
	e->rc = u != NULL ? 0 : 1;
	policy_result_free(r);
	claims_free(cl);
	localdb_free(local);
}

/*
 * A tailnet group's key (group:NAME): what it owns here and what it is.
 * Users are judged as the backends report them; nobody is made up.
 */
static void
judge_group(struct explain *e, const struct policy_input *in)
{
	struct localdb *local = localdb_load("/etc/passwd", "/etc/group");
	char err[512], *label;
	struct claims *cl = claims_load(
	    e->d->cf->cache_dir, e->d->cf->max_state_bytes, err, sizeof err);
	struct policy_result *r =
	    policy_apply_claimed(&e->d->cf->policy, local, cl, in);
	const char *prefix = e->d->cf->policy.group_prefix;
	size_t i, j;

	xasprintf(
	    &label, "tailnet group %s%s", prefix ? prefix : "", e->login + 6);
	fprintf(e->out, "group:   %s\n", e->login);
	if (err[0] != '\0')
		fprintf(e->out, "note:    %s\n", err);
	claims_describe(cl, e->login, e->out);
	e->rc = 1;
	for (i = 0; i < r->n_groups; i++) {
		const struct policy_group *g = &r->groups[i];

		if (g->owner == NULL || strcmp(g->owner, e->login) != 0)
			continue;
		fprintf(e->out,
		    "result:  accepted: group %s, gid %" PRIu32 "\n", g->name,
		    g->gid);
		fprintf(e->out, "members:");
		for (j = 0; j < g->n_members; j++)
			fprintf(e->out, " %s", g->members[j]);
		fprintf(e->out, "\n");
		e->rc = 0;
	}
	for (i = 0, j = 0; i < r->n_decisions; i++)
		if (strcmp(r->decisions[i].login, label) == 0 && ++j)
			fprintf(e->out, "result:  refused: %s\n",
			    r->decisions[i].why);
	if (e->rc != 0 && j == 0)
		fprintf(e->out,
		    "result:  no login in a listed domain reports it\n");
	free(label);
	policy_result_free(r);
	claims_free(cl);
	localdb_free(local);
}

/* Whether, and as what, backend idx reported the login. */
static int
reported(struct explain *e, size_t idx)
{
	const struct idlist *l = e->answer[idx];
	const char *name = e->d->cf->backends[idx].name;
	size_t i;

	for (i = 0; l != NULL && i < l->n; i++)
		if (strcasecmp(l->ids[i].login, e->login) == 0) {
			fprintf(e->out,
			    "backend: [%s] reports it (id %" PRId64 ")\n", name,
			    l->ids[i].id);
			return 1;
		}
	if (l != NULL)
		fprintf(e->out, "backend: [%s] does not report it\n", name);
	return 0;
}

/*
 * Every backend has answered: the tailnet as they see it now, plus the
 * login as if it joined, if none reports it.
 */
static void
judge_all(struct explain *e)
{
	const struct policy_config *pc = &e->d->cf->policy;
	struct policy_input in[POLICY_MAX_SOURCES] = {{NULL, 0}};
	struct tsnss_identity *ids[POLICY_MAX_SOURCES] = {NULL};
	const char *at = strrchr(e->login, '@');
	const struct policy_source *home =
	    policy_source_of(pc, at ? at + 1 : "");
	size_t i, k, present = 0;
	/* a tailnet group's claims key, as tsnssctl forget takes it */
	int group = strncmp(e->login, "group:", 6) == 0 && at == NULL;

	for (i = 0; i < pc->n_sources; i++) {
		present += !group && reported(e, i);
		k = e->answer[i] ? e->answer[i]->n : 0;
		ids[i] = xcalloc(k + 1, sizeof **ids);
		if (k > 0)
			memcpy(ids[i], e->answer[i]->ids, k * sizeof **ids);
		in[i] = (struct policy_input){ids[i], k};
	}
	if (!group && present == 0 && at != NULL) {
		i = (size_t)(home - pc->sources);
		ids[i][in[i].n++] = (struct tsnss_identity){
		    .id = INT64_MAX, .login = e->login, .display_name = ""};
		fprintf(e->out,
		    "note:    no backend reports it now; judged "
		    "as if it joined [%s]\n",
		    home->name);
	}
	if (group)
		judge_group(e, in);
	else
		judge(e, in);
	for (i = 0; i < pc->n_sources; i++)
		free(ids[i]);
}

static void
fetched(const struct tsnss_fetch_result *res, void *arg)
{
	struct explain_fetch *f = arg;
	struct explain *e = f->e;
	const char *name = e->d->cf->backends[f->idx].name;

	if (res->status == TSNSS_FETCH_OK && backend_result_usable(res))
		e->answer[f->idx] = idlist_from_result(res);
	else
		fprintf(e->out,
		    "backend: [%s]: %s; its users are left out, so clashes "
		    "with them cannot show\n",
		    name, res->detail ? res->detail : "no answer");
	if (--e->pending == 0)
		event_base_loopexit(e->d->base, NULL);
}

/*
 * The login a local name (no '@') stands for: the one holding its claim
 * on this host, else the one the policy names so from what the backends
 * report now.  NULL, with the reason printed, if none does.
 */
static char *
login_of_name(struct explain *e, const char *name)
{
	struct policy_input in[POLICY_MAX_SOURCES] = {{NULL, 0}};
	struct localdb *local = localdb_load("/etc/passwd", "/etc/group");
	char err[512], *login = NULL;
	struct claims *cl = claims_load(
	    e->d->cf->cache_dir, e->d->cf->max_state_bytes, err, sizeof err);
	const char *owner = claims_name_owner(cl, name), *variant_of;
	struct policy_result *r;
	size_t i;

	for (i = 0; i < e->d->cf->policy.n_sources; i++)
		if (e->answer[i] != NULL)
			in[i] = (struct policy_input){
			    e->answer[i]->ids, e->answer[i]->n};
	r = policy_apply_claimed(&e->d->cf->policy, local, cl, in);
	if ((variant_of = explain_variant(
		 &e->d->cf->policy, r, name, e->out)) != NULL)
		owner = variant_of;
	for (i = 0; owner == NULL && i < r->n_users; i++)
		if (strcmp(r->users[i].name, name) == 0)
			owner = r->users[i].login;
	for (i = 0; owner == NULL && i < r->n_groups; i++)
		if (r->groups[i].owner && strcmp(r->groups[i].name, name) == 0)
			owner = r->groups[i].owner; /* a tailnet group's key */
	if (owner != NULL) {
		fprintf(e->out, "name:    %s is %s's\n", name, owner);
		login = xstrdup(owner);
	} else if (localdb_has_user(local, name))
		fprintf(e->out,
		    "name:    %s is a local account (/etc/passwd), not a "
		    "tailnet user's\n",
		    name);
	else
		fprintf(e->out,
		    "name:    no login has the name %s, or would have it "
		    "now\n",
		    name);
	policy_result_free(r);
	claims_free(cl);
	localdb_free(local);
	return login;
}

/* Every backend has answered: a local name to its login, then judge. */
static void
judge_named(struct explain *e)
{
	char *login;

	if (strchr(e->login, '@') != NULL ||
	    strncmp(e->login, "group:", 6) == 0) {
		judge_all(e);
		return;
	}
	if ((login = login_of_name(e, e->login)) == NULL)
		return; /* e->rc stays 1 */
	e->login = login;
	judge_all(e);
	free(login);
}

int
explain_login(struct tsnssd *d, const char *login, FILE *out)
{
	char *lower = xstrdup(login);
	struct explain e = {d, lower, out, 1, 0, {NULL}};
	struct explain_fetch f[POLICY_MAX_SOURCES];
	size_t i;

	for (char *c = lower; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	for (i = 0; i < d->cf->n_backends; i++) {
		f[i] = (struct explain_fetch){&e, i};
		if (backend_fetch(d->backends[i], fetched, &f[i]) != 0)
			fprintf(out, "backend: [%s]: cannot start a fetch\n",
			    d->cf->backends[i].name);
		else
			e.pending++;
	}
	if (e.pending > 0)
		event_base_dispatch(d->base);
	judge_named(&e);
	for (i = 0; i < d->cf->n_backends; i++)
		idlist_free(e.answer[i]);
	free(lower);
	return e.rc;
}
