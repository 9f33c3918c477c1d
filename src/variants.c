/*
 * variants.c - see variants.h.
 *
 * Users and groups are settled first; a variant may take only a name that
 * is still free after them, so it never takes a name from a login, a
 * local account, a group or another login's claim.  Two variants that
 * want one name both go without: which of them is meant is not clear.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "template.h"
#include "variants.h"
#include "xmalloc.h"

/* Names already given in r, sorted, for bsearch. */
struct taken {
	const char **names;
	size_t n;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
taken_init(struct taken *t, const struct policy_result *r)
{
	size_t i;

	t->names = xcalloc(r->n_users + r->n_groups + 1, sizeof *t->names);
	t->n = 0;
	for (i = 0; i < r->n_users; i++)
		t->names[t->n++] = r->users[i].name;
	for (i = 0; i < r->n_groups; i++)
		t->names[t->n++] = r->groups[i].name;
	qsort(t->names, t->n, sizeof *t->names, cmp_str);
}

static int
taken_has(const struct taken *t, const char *name)
{
	return t->n > 0 &&
	       bsearch(&name, t->names, t->n, sizeof *t->names, cmp_str);
}

/* r's users by name, for finding the members a section names. */
struct named {
	const char *name;
	size_t user;
};

static int
cmp_named(const void *a, const void *b)
{
	return strcmp(
	    ((const struct named *)a)->name, ((const struct named *)b)->name);
}

static struct named *
users_by_name(const struct policy_result *r)
{
	struct named *n = xcalloc(r->n_users + 1, sizeof *n);
	size_t i;

	for (i = 0; i < r->n_users; i++)
		n[i] = (struct named){r->users[i].name, i};
	qsort(n, r->n_users, sizeof *n, cmp_named);
	return n;
}

/* Why name cannot be a variant of u; NULL if it can. */
static char *
judge(const struct policy_config *pc, const struct localdb *local,
    const struct claims *cl, const struct taken *t, const char *name,
    const struct policy_user *u)
{
	const char *owner = claims_name_owner(cl, name), *reserved;
	char *why = NULL;
	size_t i;

	if (!policy_valid_name(name))
		xasprintf(&why, "'%s' is not a valid user name", name);
	else if (localdb_has_user(local, name))
		xasprintf(&why, "'%s' is a local account in /etc/passwd", name);
	else if (localdb_has_group(local, name))
		xasprintf(&why, "'%s' is a local group in /etc/group", name);
	else if ((reserved = localdb_reserved_name(local, name)) != NULL)
		xasprintf(&why, "'%s' is reserved on this host: %s", name,
		    reserved);
	else if (taken_has(t, name))
		xasprintf(
		    &why, "'%s' is a tailnet user's or group's name", name);
	else if (owner != NULL && strcmp(owner, u->login) != 0)
		xasprintf(&why,
		    "name '%s' belongs to %s on this host (ownership is "
		    "sticky; tsnssctl forget releases it)",
		    name, owner);
	for (i = 0; why == NULL && i < pc->n_groups; i++)
		if (strcmp(pc->groups[i].name, name) == 0)
			xasprintf(
			    &why, "'%s' is a [group] in the config", name);
	return why;
}

/* The section's template for u, or NULL for the user's own value. */
static char *
expand(const char *tmpl, const struct policy_user *u, int *bad)
{
	const char *at = strrchr(u->login, '@');
	struct tsnss_template_args a = {
	    u->name, u->login, at ? at + 1 : "", u->uid};
	char out[1024];

	if (tmpl == NULL)
		return NULL;
	if (tsnss_template_expand(tmpl, &a, out, sizeof out) != 0) {
		*bad = 1;
		return NULL;
	}
	return xstrdup(out);
}

static void
refuse(struct policy_result *r, const struct variant_rule *rule,
    const struct policy_user *u, const char *name, char *why)
{
	char *label, *all;

	xasprintf(&label, "%s", name);
	xasprintf(&all, "variant of %s ([variant %s]) refused: %s", u->login,
	    rule->suffix, why);
	policy_note(r, label, all);
	free(label);
	free(why);
}

/* One variant wanted: name for user, by rule. */
static void
want(const struct policy_config *pc, const struct localdb *local,
    const struct claims *cl, const struct taken *t, size_t rule, size_t user,
    struct policy_result *r)
{
	const struct variant_rule *vr = &pc->variants[rule];
	const struct policy_user *u = &r->users[user];
	struct policy_variant *v;
	char *name, *why;
	int bad = 0;

	xasprintf(&name, "%s%s", u->name, vr->suffix);
	if ((why = judge(pc, local, cl, t, name, u)) != NULL) {
		refuse(r, vr, u, name, why);
		free(name);
		return;
	}
	v = &r->variants[r->n_variants++];
	v->name = name;
	v->user = user;
	v->rule = rule;
	v->home = expand(vr->home, u, &bad);
	v->shell = expand(vr->shell, u, &bad);
	if (bad) {
		free(v->home);
		free(v->shell);
		r->n_variants--;
		refuse(r, vr, u, name,
		    xstrdup("home or shell template gives an unusable value"));
		free(name);
	}
}

static int
cmp_variant(const void *a, const void *b)
{
	return strcmp(((const struct policy_variant *)a)->name,
	    ((const struct policy_variant *)b)->name);
}

/* A name two variants want is neither's. */
static void
drop_duplicates(const struct policy_config *pc, struct policy_result *r)
{
	struct policy_variant *v = r->variants;
	size_t i, j, o = 0;

	qsort(v, r->n_variants, sizeof *v, cmp_variant);
	for (i = 0; i < r->n_variants; i = j) {
		for (j = i + 1;
		     j < r->n_variants && strcmp(v[i].name, v[j].name) == 0;
		     j++)
			;
		if (j - i == 1) {
			v[o++] = v[i];
			continue;
		}
		for (size_t k = i; k < j; k++) {
			refuse(r, &pc->variants[v[k].rule],
			    &r->users[v[k].user], v[k].name,
			    xstrdup("another variant gives the same name"));
			free(v[k].name);
			free(v[k].home);
			free(v[k].shell);
		}
	}
	r->n_variants = o;
}

void
variants_add(const struct policy_config *pc, const struct localdb *local,
    const struct claims *cl, const struct policy_group *who,
    struct policy_result *r)
{
	struct named *by_name = users_by_name(r), key, *u;
	size_t i, j, cap = 0;
	struct taken t;

	for (i = 0; i < pc->n_variants; i++)
		cap += who[i].n_members;
	r->variants = xcalloc(cap + 1, sizeof *r->variants);
	taken_init(&t, r);
	for (i = 0; i < pc->n_variants; i++)
		for (j = 0; j < who[i].n_members; j++) {
			key.name = who[i].members[j];
			u = r->n_users == 0 ? NULL
					    : bsearch(&key, by_name, r->n_users,
						  sizeof key, cmp_named);
			if (u != NULL)
				want(pc, local, cl, &t, i, u->user, r);
		}
	drop_duplicates(pc, r);
	free(t.names);
	free(by_name);
}

const struct policy_variant *
variants_find(const struct policy_result *r, const char *name)
{
	struct policy_variant key = {(char *)name, 0, 0, NULL, NULL};

	if (r->n_variants == 0)
		return NULL;
	return bsearch(
	    &key, r->variants, r->n_variants, sizeof key, cmp_variant);
}
