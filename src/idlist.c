#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "hashmap.h"
#include "idlist.h"
#include "snapfile.h"
#include "xmalloc.h"

/*
 * All strings live in one buffer, all group pointers and attributes in
 * one array each: on a 100k tailnet, 200k small allocations would cost
 * megabytes of malloc overhead for as long as the answer is kept.
 */
struct arena {
	char *text;
	size_t used;
};

static const char *
put(struct arena *a, const char *s)
{
	char *p = a->text + a->used;
	size_t n = strlen(s ? s : "") + 1;

	memcpy(p, s ? s : "", n);
	a->used += n;
	return p;
}

/*
 * Group names, each copied once: 100k users in 30 groups each name a few
 * thousand groups three million times, 60 MB of copies for as long as the
 * answer is kept.  Keyed by the plugin's strings while the copy is made;
 * sizes() notes which group each reference is, so the copy looks none up
 * again (the hashing was most of the copy).
 */
struct gname {
	const char *name; /* the plugin's, or NULL: a free slot */
	uint32_t num;	  /* groups in the order first seen */
};

/*
 * A power of two.  The IPN bus hands every user the same copy of a
 * group's name: by its address, most references need no hashing.
 */
#define GSET_RECENT 4096

struct gset {
	struct gname *slot;
	size_t cap, n;
	uint32_t *of_ref; /* per group reference, in order: its num */
	size_t n_refs;
	const char **kept;    /* per num: its copy in the text, once made */
	struct gname *recent; /* GSET_RECENT of those found, by address */
};

static size_t
gset_at(const struct gset *g, const char *s)
{
	size_t j = tsnss_fnv1a64(0xcbf29ce484222325ull, s, strlen(s));

	for (j &= g->cap - 1; g->slot[j].name != NULL;
	     j = (j + 1) & (g->cap - 1))
		if (strcmp(g->slot[j].name, s) == 0)
			break;
	return j;
}

static struct gname *
gset_recent(const struct gset *g, const char *s)
{
	return &g->recent[hashmap_addr(s) >> 52]; /* 12 bits: GSET_RECENT */
}

/* Whether s is new to g (then added); the reference noted either way. */
static int
gset_add(struct gset *g, const char *s)
{
	struct gname *r = gset_recent(g, s);
	struct gset big;
	size_t i, j;
	int added;

	if (r->name == s) {
		g->of_ref[g->n_refs++] = r->num;
		return 0;
	}
	if (2 * (g->n + 1) > g->cap) {
		big = *g;
		big.cap = g->cap ? g->cap * 2 : 256;
		big.slot = xcalloc(big.cap, sizeof *big.slot);
		for (i = 0; i < g->cap; i++)
			if (g->slot[i].name != NULL)
				big.slot[gset_at(&big, g->slot[i].name)] =
				    g->slot[i];
		free(g->slot);
		*g = big;
	}
	j = gset_at(g, s);
	added = g->slot[j].name == NULL;
	if (added)
		g->slot[j] = (struct gname){s, (uint32_t)g->n++};
	g->of_ref[g->n_refs++] = g->slot[j].num;
	*r = (struct gname){s, g->slot[j].num};
	return added;
}

static size_t
text_size(const struct tsnss_identity *t, struct gset *g)
{
	size_t n = strlen(t->login ? t->login : "") + 1, i;

	n += strlen(t->display_name ? t->display_name : "") + 1;
	for (i = 0; t->groups && i < t->n_groups; i++)
		if (gset_add(g, t->groups[i] ? t->groups[i] : ""))
			n += strlen(t->groups[i] ? t->groups[i] : "") + 1;
	for (i = 0; t->attrs && i < t->n_attrs; i++)
		n += strlen(t->attrs[i].key ? t->attrs[i].key : "") + 1 +
		     strlen(t->attrs[i].value ? t->attrs[i].value : "") + 1;
	return n;
}

static void
sizes(const struct tsnss_fetch_result *res, struct gset *g, size_t *text,
    size_t *groups, size_t *attrs)
{
	struct tsnss_identity tmp;
	size_t i;

	*text = *groups = *attrs = 0;
	for (i = 0; i < res->n_ids; i++) {
		backend_identity(res, i, &tmp);
		*text += text_size(&tmp, g);
		*groups += tmp.groups ? tmp.n_groups : 0;
		*attrs += tmp.attrs ? tmp.n_attrs : 0;
	}
}

/* How many group references res holds: sizes() notes each. */
static size_t
group_refs(const struct tsnss_fetch_result *res)
{
	struct tsnss_identity tmp;
	size_t i, n = 0;

	for (i = 0; i < res->n_ids; i++) {
		backend_identity(res, i, &tmp);
		n += tmp.groups ? tmp.n_groups : 0;
	}
	return n;
}

/* The copy of the group of reference ref, made at its first use. */
static const char *
put_group(struct arena *a, struct gset *gs, size_t ref, const char *s)
{
	const char **kept = &gs->kept[gs->of_ref[ref]];

	if (*kept == NULL)
		*kept = put(a, s);
	return *kept;
}

static void
copy_one(struct idlist *l, struct arena *a, struct gset *gs,
    const struct tsnss_identity *in, size_t *g, size_t *at)
{
	struct tsnss_identity *o = &l->ids[l->n++];
	size_t i;

	o->id = in->id;
	o->login = put(a, in->login);
	o->display_name = put(a, in->display_name);
	o->groups = in->groups && in->n_groups ? l->groups + *g : NULL;
	for (i = 0; o->groups != NULL && i < in->n_groups; i++)
		l->groups[*g] = put_group(a, gs, *g, in->groups[i]), (*g)++;
	o->n_groups = o->groups ? in->n_groups : 0;
	o->attrs = in->attrs && in->n_attrs ? l->attrs + *at : NULL;
	for (i = 0; o->attrs != NULL && i < in->n_attrs; i++) {
		l->attrs[*at].key = put(a, in->attrs[i].key);
		l->attrs[(*at)++].value = put(a, in->attrs[i].value);
	}
	o->n_attrs = o->attrs ? in->n_attrs : 0;
}

struct idlist *
idlist_from_result(const struct tsnss_fetch_result *res)
{
	struct idlist *l = xcalloc(1, sizeof *l);
	struct tsnss_identity tmp;
	struct arena a = {NULL, 0};
	struct gset gs = {.slot = NULL};
	size_t i, text, groups, attrs, g = 0, at = 0;

	gs.of_ref = xcalloc(group_refs(res) + 1, sizeof *gs.of_ref);
	gs.recent = xcalloc(GSET_RECENT, sizeof *gs.recent);
	sizes(res, &gs, &text, &groups, &attrs);
	gs.kept = xcalloc(gs.n + 1, sizeof *gs.kept);
	l->ids = xcalloc(res->n_ids ? res->n_ids : 1, sizeof *l->ids);
	l->text = a.text = xmalloc(text ? text : 1);
	l->groups = xcalloc(groups ? groups : 1, sizeof *l->groups);
	l->attrs = xcalloc(attrs ? attrs : 1, sizeof *l->attrs);
	for (i = 0; i < res->n_ids; i++)
		copy_one(l, &a, &gs, backend_identity(res, i, &tmp), &g, &at);
	free(gs.slot);
	free(gs.of_ref);
	free(gs.kept);
	free(gs.recent);
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
	if (l == NULL)
		return;
	free(l->ids);
	free(l->text);
	free(l->groups);
	free(l->attrs);
	free(l);
}
