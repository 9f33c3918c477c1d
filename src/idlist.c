#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "idlist.h"
#include "xmalloc.h"

static const char *const *
copy_groups(const struct tsnss_identity *in)
{
	char **g;
	size_t i;

	if (in->n_groups == 0 || in->groups == NULL)
		return NULL;
	g = xcalloc(in->n_groups, sizeof *g);
	for (i = 0; i < in->n_groups; i++)
		g[i] = xstrdup(in->groups[i] ? in->groups[i] : "");
	return (const char *const *)g;
}

static const struct tsnss_attr *
copy_attrs(const struct tsnss_identity *in)
{
	struct tsnss_attr *a;
	size_t i;

	if (in->n_attrs == 0 || in->attrs == NULL)
		return NULL;
	a = xcalloc(in->n_attrs, sizeof *a);
	for (i = 0; i < in->n_attrs; i++) {
		a[i].key = xstrdup(in->attrs[i].key ? in->attrs[i].key : "");
		a[i].value =
		    xstrdup(in->attrs[i].value ? in->attrs[i].value : "");
	}
	return a;
}

struct idlist *
idlist_from_result(const struct tsnss_fetch_result *res)
{
	struct idlist *l = xcalloc(1, sizeof *l);
	struct tsnss_identity tmp, *o;
	size_t i;

	l->ids = xcalloc(res->n_ids ? res->n_ids : 1, sizeof *l->ids);
	for (i = 0; i < res->n_ids; i++) {
		backend_identity(res, i, &tmp);
		o = &l->ids[l->n++];
		o->id = tmp.id;
		o->login = xstrdup(tmp.login ? tmp.login : "");
		o->display_name =
		    xstrdup(tmp.display_name ? tmp.display_name : "");
		o->groups = copy_groups(&tmp);
		o->n_groups = o->groups ? tmp.n_groups : 0;
		o->attrs = copy_attrs(&tmp);
		o->n_attrs = o->attrs ? tmp.n_attrs : 0;
	}
	return l;
}

static int
one_equal(const struct tsnss_identity *x, const struct tsnss_identity *y)
{
	size_t i;

	if (x->id != y->id || strcmp(x->login, y->login) != 0 ||
	    strcmp(x->display_name, y->display_name) != 0 ||
	    x->n_groups != y->n_groups || x->n_attrs != y->n_attrs)
		return 0;
	for (i = 0; i < x->n_groups; i++)
		if (strcmp(x->groups[i], y->groups[i]) != 0)
			return 0;
	for (i = 0; i < x->n_attrs; i++)
		if (strcmp(x->attrs[i].key, y->attrs[i].key) != 0 ||
		    strcmp(x->attrs[i].value, y->attrs[i].value) != 0)
			return 0;
	return 1;
}

int
idlist_equal(const struct idlist *a, const struct idlist *b)
{
	size_t i;

	if (a == NULL || b == NULL || a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (!one_equal(&a->ids[i], &b->ids[i]))
			return 0;
	return 1;
}

void
idlist_free(struct idlist *l)
{
	size_t i, j;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		struct tsnss_identity *t = &l->ids[i];

		free((char *)t->login);
		free((char *)t->display_name);
		for (j = 0; j < t->n_groups; j++)
			free((char *)t->groups[j]);
		free((char **)t->groups);
		for (j = 0; j < t->n_attrs; j++) {
			free((char *)t->attrs[j].key);
			free((char *)t->attrs[j].value);
		}
		free((struct tsnss_attr *)t->attrs);
	}
	free(l->ids);
	free(l);
}
