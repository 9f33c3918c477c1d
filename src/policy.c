/*
 * policy.c - turn a backend's identities into users and groups.
 *
 * The result depends only on the identities, the config and the host's own
 * accounts, never on the order the backend listed them in: candidates are
 * sorted before any rule that picks a winner.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <strings.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "idspace.h"
#include "localgroups.h"
#include "policy.h"
#include "strmap.h"
#include "tailnet-groups.h"
#include "template.h"
#include "u32map.h"
#include "uidkey.h"
#include "variants.h"
#include "xmalloc.h"

/* One identity as one source reported it. */
struct report {
	const struct tsnss_identity *t;
	char *login; /* lower-cased; the candidate's once merged */
	size_t src;  /* index into pc->sources */
	int listed;  /* the source lists its domain */
	/* listed: its groups' numbers in the tailnet groups, in order */
	const uint32_t *gno;
};

/* One login, as all sources that report it together make it. */
struct candidate {
	const struct user_override *ov; /* [user LOGIN], or NULL */
	const struct report *rep;	/* every report of it, by source */
	size_t n_rep;
	size_t src;  /* the first source that lists its domain: it decides */
	int64_t id;  /* that source's id for it */
	int made;    /* became a user: */
	size_t user; /* its index in the result's users */
	char *login; /* lower-cased */
	const char *domain; /* points into login */
	size_t rank;	    /* of the domain in 'domain': 0 first */
	int renamed;	    /* by its domain's clash_names template */
	char *name;
	const char *display;
	uint32_t uid;
	char *why; /* NULL while accepted */
};

uint32_t
policy_fnv1a32(const char *s, size_t len)
{
	return idspace_fnv1a32(s, len);
}

static uint32_t
mix(uint32_t h, const char *s)
{
	s = s ? s : "";
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return (h ^ 0xff) *
	       16777619u; /* a separator, so "ab","c" != "a","bc" */
}

static uint32_t
mix_u32(uint32_t h, uint32_t v)
{
	char num[16];

	snprintf(num, sizeof num, "%u", v);
	return mix(h, num);
}

static uint32_t
mix_source(uint32_t h, const struct policy_source *s)
{
	size_t i;

	for (i = 0; i < s->n_domains; i++)
		h = mix(h, s->domains[i]);
	h = mix_u32(mix_u32(h, s->uid_base), s->uid_max);
	return mix(mix(h, s->shell), s->home);
}

uint32_t
policy_fingerprint(const struct policy_config *pc)
{
	uint32_t h = 2166136261u;
	size_t i, j;

	/* the first source as one was before there could be more */
	h = mix(mix_source(h, &pc->sources[0]), pc->primary_group);
	if (pc->group_prefix != NULL) /* unset: fingerprints as before */
		h = mix(h, pc->group_prefix);
	for (i = 1; i < pc->n_sources; i++)
		h = mix_source(mix(h, pc->sources[i].name), &pc->sources[i]);
	for (i = 0; i < pc->n_overrides; i++) {
		const struct user_override *o = &pc->overrides[i];

		h = mix(mix(mix(mix(h, o->login), o->name), o->shell), o->home);
		h = mix_u32(h, o->uid);
	}
	for (i = 0; i < pc->n_groups; i++) {
		const struct static_group *g = &pc->groups[i];

		h = mix_u32(mix_u32(mix(h, g->name), g->gid), g->all_users);
		if (g->extend) /* unset: fingerprints as before */
			h = mix(h, "extend");
		for (j = 0; j < g->n_members; j++)
			h = mix(h, g->members[j]);
	}
	for (i = 0; i < pc->n_clash_names; i++)
		h = mix(
		    mix(h, pc->clash_names[i].domain), pc->clash_names[i].tmpl);
	for (i = 0; i < pc->n_programs; i++) /* none: fingerprints as before */
		h = mix(mix(mix(h, pc->programs[i].path), pc->programs[i].home),
		    pc->programs[i].shell);
	for (i = 0; i < pc->n_variants; i++) {
		const struct variant_rule *v = &pc->variants[i];

		h = mix(mix(mix(h, v->suffix), v->home), v->shell);
		for (j = 0; j < v->who.n_members; j++)
			h = mix(h, v->who.members[j]);
	}
	if (POLICY_SUBIDS_ON(pc)) { /* unset: fingerprints as before */
		h = mix_u32(
		    mix_u32(mix_u32(h, pc->subid_count), pc->subid_range[0]),
		    pc->subid_range[1]);
		h = mix_u32(h, pc->subid.all_users);
		for (j = 0; j < pc->subid.n_members; j++)
			h = mix(h, pc->subid.members[j]);
	}
	/* a new key is new UIDs; the key itself is not recoverable from h */
	if (pc->uid_key != NULL)
		h = mix_u32(h, uidkey_hash(pc->uid_key, pc->uid_key_len,
				   "tsnssd policy fingerprint"));
	/*
	 * Rules of issue 17 (tailnet groups first and claimed, keyed group
	 * gids, reserved names and ids): a snapshot built by older rules
	 * may hold users these refuse, so it is not served as theirs.
	 */
	return mix(h, "rules 17");
}

uint32_t
policy_uid(const struct policy_config *pc, const char *login)
{
	const char *at = strrchr(login, '@');
	const struct policy_source *s = policy_source_of(pc, at ? at + 1 : "");

	return idspace_hash_id(pc, s->uid_base, s->uid_max, login);
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t
utf8_len(const unsigned char *s, size_t left)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * The display name as a passwd gecos field: ':' would split the line,
 * ',' would split gecos into sub-fields, control characters and invalid
 * UTF-8 confuse terminals; runs of white space fold into one space.
 */
void
policy_gecos(const char *display, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)display;
	size_t left = strlen(display), o = 0, n;
	int space = 1;

	while (left > 0) {
		n = utf8_len(s, left);
		if (n == 0 || *s < 0x20 || *s == 0x7f || *s == ':' ||
		    *s == ',' || *s == ' ') {
			if (!space && o + 1 < outlen)
				out[o++] = ' ';
			space = 1;
			n = n ? n : 1;
		} else {
			if (o + n >= outlen)
				break;
			memcpy(out + o, s, n);
			o += n;
			space = 0;
		}
		s += n;
		left -= n;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	if (outlen > 0)
		out[o] = '\0';
}

/* A home or shell template for u; -1 if it won't fit or is unusable. */
int
policy_expand(const char *tmpl, const struct policy_user *u, const char *domain,
    char *out, size_t outlen)
{
	struct tsnss_template_args a = {u->name, u->login, domain, u->uid};

	return tsnss_template_expand(tmpl, &a, out, outlen);
}

static void __attribute__((format(printf, 2, 3)))
refuse(struct candidate *c, const char *fmt, ...)
{
	va_list ap;

	if (c->why != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&c->why, fmt, ap) < 0)
		c->why = xstrdup("refused");
	va_end(ap);
}

/* The domain's place in 'domain' (0 first), or -1 if not listed. */
static long
domain_rank(const struct policy_config *pc, const char *domain)
{
	size_t i;

	for (i = 0; i < pc->n_domains; i++)
		if (strcmp(pc->domains[i], domain) == 0)
			return (long)i;
	return -1;
}

static const struct user_override *
find_override(const struct policy_config *pc, const char *login)
{
	size_t i;

	for (i = 0; i < pc->n_overrides; i++)
		if (strcmp(pc->overrides[i].login, login) == 0)
			return &pc->overrides[i];
	return NULL;
}

static const struct static_group *
find_static_group(
    const struct policy_config *pc, const char *name, uint32_t gid)
{
	size_t i;

	for (i = 0; i < pc->n_groups; i++)
		if ((name && strcmp(pc->groups[i].name, name) == 0) ||
		    (!name && pc->groups[i].gid == gid))
			return &pc->groups[i];
	return NULL;
}

int
policy_primary_refused(
    const struct policy_config *pc, const struct localdb *local)
{
	const struct static_group *sg;

	if (pc->primary_group == NULL)
		return 0;
	sg = find_static_group(pc, pc->primary_group, 0);
	return sg == NULL || localdb_has_group(local, sg->name) ||
	       localdb_has_gid(local, sg->gid);
}

/*
 * A login that lost a name to another login gets its domain's
 * clash_names template instead, once.  0 if c was renamed.
 */
static int
rename_by_template(const struct policy_config *pc, struct candidate *c)
{
	char out[POLICY_MAX_NAME + 1];
	const char *t = NULL, *at = strrchr(c->login, '@');
	size_t i, o = 0, n;

	for (i = 0; i < pc->n_clash_names; i++)
		if (strcmp(pc->clash_names[i].domain, c->domain) == 0)
			t = pc->clash_names[i].tmpl;
	if (t == NULL || c->renamed || (c->ov != NULL && c->ov->name != NULL))
		return -1;
	for (; *t != '\0'; t++) {
		const char *add = t;

		n = 1;
		if (*t == '%' && *++t == 'n')
			add = c->login, n = (size_t)(at - c->login);
		if (o + n > POLICY_MAX_NAME)
			return -1;
		memcpy(out + o, add, n);
		o += n;
	}
	out[o] = '\0';
	free(c->name);
	c->name = xstrdup(out);
	c->renamed = 1;
	return 0;
}

/* The name rules: valid, and nobody else's on this host (idspace.h). */
static void
judge_name(const struct policy_config *pc, const struct idspace *s,
    struct candidate *c)
{
	enum idspace_holder h;
	char *why;

	if (!policy_valid_name(c->name)) {
		refuse(c,
		    "'%s' is not a valid user name (lower-case letters, "
		    "digits, '_', '-', '.', at most %d bytes, starting "
		    "with a letter or '_')",
		    c->name, POLICY_MAX_NAME);
		return;
	}
	h = idspace_name(s, c->name, c->login, &why);
	/* another login's or a tailnet group's: a template may help */
	if ((h == IDSPACE_CLAIMED || h == IDSPACE_GROUP) &&
	    rename_by_template(pc, c) == 0)
		judge_name(pc, s, c);
	else if (h != IDSPACE_FREE)
		refuse(c, "%s", why);
	free(why);
}

static void
judge_uid(const struct idspace *s, struct candidate *c)
{
	char *why;

	if (idspace_id(s, c->uid, c->login, "uid", &why) != IDSPACE_FREE)
		refuse(c, "%s", why);
	free(why);
}

/* The rules that look at one identity alone. */
static void
judge_alone(const struct idspace *s, struct candidate *c)
{
	const struct policy_config *pc = s->pc;
	char *at = strrchr(c->login, '@');
	long rank;

	if (c->why != NULL) /* refused when the sources were merged */
		return;
	if (at == NULL || at == c->login) {
		refuse(c, "login is not of the form name@domain");
		return;
	}
	c->ov = find_override(pc, c->login);
	c->domain = at + 1;
	if (c->ov != NULL && c->ov->name != NULL)
		c->name = xstrdup(c->ov->name);
	else
		c->name = xstrndup(c->login, (size_t)(at - c->login));
	if ((rank = domain_rank(pc, c->domain)) < 0) {
		refuse(c, "domain '%s' is not listed in 'domain'", c->domain);
		return;
	}
	c->rank = (size_t)rank;
	if (policy_primary_refused(pc, s->local)) {
		refuse(c,
		    "primary_group '%s' is refused: its name or gid is a "
		    "local group in /etc/group",
		    pc->primary_group);
		return;
	}
	judge_name(pc, s, c);
	if (c->why != NULL)
		return;
	if (c->ov != NULL && c->ov->uid != 0)
		c->uid = c->ov->uid;
	else
		c->uid = policy_uid(pc, c->login);
	judge_uid(s, c);
}

/* An explicit uid from the config is never taken away by a hashed one. */
static int
explicit_uid(const struct candidate *c)
{
	return c->ov != NULL && c->ov->uid != 0;
}

static int
by_name(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	if (x->why != NULL || y->why != NULL)
		return (x->why != NULL) - (y->why != NULL);
	return strcmp(x->name, y->name);
}

static int
by_uid(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	if (x->why != NULL || y->why != NULL)
		return (x->why != NULL) - (y->why != NULL);
	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return strcmp(x->login, y->login);
}

/*
 * Which of two logins keeps a UID both want: an explicit [user] uid, else
 * the smaller id in the first source that reports both (ids of different
 * sources say nothing about each other), else the one an earlier section
 * reports.  Every host with the same sections agrees.
 */
static int
keeps_uid(const struct candidate *x, const struct candidate *y)
{
	size_t i = 0, j = 0;

	if (explicit_uid(x) != explicit_uid(y))
		return explicit_uid(x);
	while (i < x->n_rep && j < y->n_rep) {
		if (x->rep[i].src < y->rep[j].src)
			i++;
		else if (x->rep[i].src > y->rep[j].src)
			j++;
		else if (x->rep[i].t->id != y->rep[j].t->id)
			return x->rep[i].t->id < y->rep[j].t->id;
		else
			i++, j++;
	}
	if (x->src != y->src)
		return x->src < y->src;
	return x->id < y->id;
}

static int
by_id(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return strcmp(x->login, y->login);
}

/*
 * Logins that want one name and hold no claim to it: the one of the
 * domain listed first gets it, whatever the ids.  The others get their
 * domain's clash_names template (first pass only) or nothing; so do all
 * of them if the best rank is shared.  The same on every host.
 */
static void
lose_name(const struct idspace *s, struct candidate *c,
    const struct candidate *winner, size_t wanted, int last_pass)
{
	const char *name = c->name;

	if (!last_pass && rename_by_template(s->pc, c) == 0) {
		judge_name(s->pc, s, c);
		return;
	}
	if (winner != NULL)
		refuse(c,
		    "local name '%s' is %s's: domain %s is listed earlier "
		    "in 'domain'",
		    name, winner->login, winner->domain);
	else
		refuse(c,
		    "local name '%s' is wanted by %zu logins of domains "
		    "ranked alike; none of them gets it",
		    name, wanted);
}

static int
by_name_ptr(const void *a, const void *b)
{
	return by_name(
	    *(struct candidate *const *)a, *(struct candidate *const *)b);
}

/*
 * The accepted candidates that want a name another one wants too, sorted
 * by name: few, most often none.  A hash finds them; sorting all the
 * candidates by name to find them cost more than the rest of this.
 */
static struct candidate **
shared_names(struct candidate *c, size_t n, size_t *np)
{
	struct strmap *m = strmap_new(n);
	struct candidate **v;
	unsigned char *shared = xcalloc(n + 1, 1);
	size_t i, k = 0, *first;
	int added;

	/* one pass: a key seen before marks both its holders */
	for (i = 0; i < n; i++)
		if (c[i].why == NULL) {
			first = strmap_put(m, c[i].name, &added);
			if (added)
				*first = i;
			else
				shared[*first] = shared[i] = 1;
		}
	v = xcalloc(n + 1, sizeof *v);
	for (i = 0; i < n; i++)
		if (shared[i])
			v[k++] = &c[i];
	strmap_free(m);
	free(shared);
	if (k > 0)
		qsort(v, k, sizeof *v, by_name_ptr);
	*np = k;
	return v;
}

/* How many names were wanted by more than one login: 0, nothing changed. */
static size_t
resolve_name_clashes(
    const struct idspace *s, struct candidate *c, size_t n, int last_pass)
{
	size_t i, j, k, best, n_best, clashes = 0;
	const struct candidate *winner;
	struct candidate **v = shared_names(c, n, &n);

	for (i = 0; i < n; i = j) {
		best = v[i]->rank;
		n_best = 0;
		for (j = i; j < n && strcmp(v[i]->name, v[j]->name) == 0; j++)
			best = v[j]->rank < best ? v[j]->rank : best;
		clashes++;
		for (k = i, winner = NULL; k < j; k++)
			if (v[k]->rank == best && n_best++ == 0)
				winner = v[k];
		winner = n_best == 1 ? winner : NULL;
		for (k = i; k < j; k++)
			if (v[k] != winner)
				lose_name(s, v[k], winner, j - i, last_pass);
	}
	free(v);
	return clashes;
}

static int
by_uid_ptr(const void *a, const void *b)
{
	return by_uid(
	    *(struct candidate *const *)a, *(struct candidate *const *)b);
}

/* The accepted candidates that want a uid another one wants, by uid. */
static struct candidate **
shared_uids(struct candidate *c, size_t n, size_t *np)
{
	struct u32map *m = u32map_new(n);
	struct candidate **v;
	unsigned char *shared = xcalloc(n + 1, 1);
	size_t i, k = 0, *first;
	int added;

	/* one pass: a key seen before marks both its holders */
	for (i = 0; i < n; i++)
		if (c[i].why == NULL) {
			first = u32map_put(m, c[i].uid, &added);
			if (added)
				*first = i;
			else
				shared[*first] = shared[i] = 1;
		}
	v = xcalloc(n + 1, sizeof *v);
	for (i = 0; i < n; i++)
		if (shared[i])
			v[k++] = &c[i];
	u32map_free(m);
	free(shared);
	if (k > 0)
		qsort(v, k, sizeof *v, by_uid_ptr);
	*np = k;
	return v;
}

/* Two logins with one UID: keeps_uid() says which keeps it. */
static void
refuse_uid_clashes(
    const struct policy_config *pc, struct candidate *c, size_t n)
{
	size_t i, j, k, keeper;
	struct candidate **v = shared_uids(c, n, &n);

	for (i = 0; i < n; i = j) {
		keeper = i;
		for (j = i + 1; j < n && v[j]->uid == v[i]->uid; j++)
			if (keeps_uid(v[j], v[keeper]))
				keeper = j;
		for (k = i; k < j; k++)
			if (k != keeper)
				refuse(v[k],
				    "uid %" PRIu32 " is already %s's (smaller "
				    "user id in [%s], or an earlier section)",
				    v[k]->uid, v[keeper]->login,
				    pc->sources[v[keeper]->src].name);
	}
	free(v);
}

static int
safe_field(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == ':' || *s == 0x7f)
			return 0;
	return 1;
}

/* login, name, gecos, home and shell (f[], in that order) into one block. */
static void
pack_user(struct policy_user *u, const char *const f[5])
{
	char **to[5] = {&u->login, &u->name, &u->gecos, &u->home, &u->shell};
	size_t len[5], total = 0, i;
	char *p;

	for (i = 0; i < 5; i++)
		total += (len[i] = strlen(f[i])) + 1;
	p = xmalloc(total);
	for (i = 0; i < 5; i++) {
		*to[i] = memcpy(p, f[i], len[i] + 1);
		p += len[i] + 1;
	}
	u->packed = 1;
}

/* A home or shell template, and what it gave the last user. */
struct expanded {
	const char *tmpl; /* NULL: expand again (it holds escapes) */
	int ok;
	char out[1024];
};

/*
 * A template without an escape gives every user the same value (the
 * shell, most often): expanded once, not once a user.  NULL if it
 * won't fit or is unusable.
 */
static const char *
expand(struct expanded *e, const char *tmpl, const struct policy_user *u,
    const char *domain)
{
	if (tmpl != NULL && e->tmpl == tmpl)
		return e->ok ? e->out : NULL;
	e->tmpl = strchr(tmpl, '%') == NULL ? tmpl : NULL;
	e->ok = policy_expand(tmpl, u, domain, e->out, sizeof e->out) == 0;
	return e->ok ? e->out : NULL;
}

/* e: the home's and the shell's expansions, from user to user. */
static int
make_user(const struct policy_config *pc, struct candidate *c,
    struct policy_user *u, struct expanded e[2])
{
	char gecos[POLICY_MAX_GECOS + 1];
	const char *home_t, *shell_t, *home, *shell;

	const struct policy_source *src = &pc->sources[c->src];

	memset(u, 0, sizeof *u);
	u->source = c->src;
	u->id = c->id;
	u->login = c->login;
	u->name = c->name;
	u->uid = u->gid = c->uid;
	home_t = src->home;
	shell_t = src->shell;
	if (pc->primary_group != NULL)
		u->gid = find_static_group(pc, pc->primary_group, 0)->gid;
	if (c->ov != NULL && c->ov->home != NULL)
		home_t = c->ov->home;
	if (c->ov != NULL && c->ov->shell != NULL)
		shell_t = c->ov->shell;
	if ((home = expand(&e[0], home_t, u, c->domain)) == NULL ||
	    (shell = expand(&e[1], shell_t, u, c->domain)) == NULL ||
	    !safe_field(home) || !safe_field(shell)) {
		refuse(c, "home or shell template gives an unusable value");
		return -1;
	}
	policy_gecos(c->display, gecos, sizeof gecos);
	pack_user(u, (const char *[]){c->login, c->name, gecos, home, shell});
	return 0;
}

static void
add_private_group(struct policy_result *r, const struct policy_user *u)
{
	struct policy_group *g = &r->groups[r->n_groups++];

	memset(g, 0, sizeof *g);
	g->name = u->name; /* no copy: 100k mallocs and frees at 100k users */
	g->name_borrowed = 1;
	g->gid = u->gid;
}

/*
 * "local user NAME, uid UID" and, from a [user] section, why; by hand,
 * as vasprintf was a third of making a user.
 */
static char *
accepted_why(const struct candidate *c)
{
	static const char head[] = "local user ", mid[] = ", uid ",
			  ov[] = " (from its [user] section)";
	char num[10], *why, *p;
	size_t n = strlen(c->name), k = 0;
	uint32_t v = c->uid;

	do
		num[sizeof num - ++k] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	p = why = xmalloc(sizeof head + n + sizeof mid + k + sizeof ov);
	p = (char *)memcpy(p, head, sizeof head - 1) + sizeof head - 1;
	p = (char *)memcpy(p, c->name, n) + n;
	p = (char *)memcpy(p, mid, sizeof mid - 1) + sizeof mid - 1;
	p = (char *)memcpy(p, num + sizeof num - k, k) + k;
	if (c->ov != NULL)
		p = (char *)memcpy(p, ov, sizeof ov - 1) + sizeof ov - 1;
	*p = '\0';
	return why;
}

static void
record(struct policy_result *r, struct candidate *c)
{
	struct policy_decision *d = &r->decisions[r->n_decisions++];

	d->id = c->id;
	d->login = c->login;
	c->login = NULL;
	d->accepted = c->why == NULL;
	if (d->accepted)
		d->why = accepted_why(c);
	else
		d->why = c->why;
	c->why = NULL;
	free(c->name);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

const struct policy_user *
policy_find_user(const struct policy_result *r, const char *login)
{
	size_t i;

	for (i = 0; i < r->n_users; i++)
		if (strcmp(r->users[i].login, login) == 0)
			return &r->users[i];
	return NULL;
}

/*
 * The value of an attribute (role) as the first source that reports the
 * login and lists its domain gives it, or NULL.
 */
static const char *
attr_of(const struct candidate *c, const char *key, size_t keylen)
{
	const struct tsnss_identity *t;
	size_t i, j;

	for (i = 0; i < c->n_rep; i++) {
		t = c->rep[i].t;
		for (j = 0; c->rep[i].listed && t->attrs && j < t->n_attrs; j++)
			if (strncasecmp(t->attrs[j].key, key, keylen) == 0 &&
			    t->attrs[j].key[keylen] == '\0')
				return t->attrs[j].value;
	}
	return NULL;
}

/*
 * members = group:NAME: whether a source listing the login reports it in
 * the tailnet group NAME (group:NAME, or NAME@domain for SCIM groups).
 */
static int
in_tailnet_group(
    const struct policy_config *pc, const struct candidate *c, const char *name)
{
	const struct tsnss_identity *t;
	const char *why;
	char base[POLICY_MAX_NAME * 4];
	size_t i, j;

	for (i = 0; i < c->n_rep; i++) {
		t = c->rep[i].t;
		for (j = 0; c->rep[i].listed && j < t->n_groups; j++)
			if (tailnet_group_name(pc, t->groups[j], base,
				sizeof base, &why) != NULL &&
			    strcmp(base, name) == 0)
				return 1;
	}
	return 0;
}

/*
 * members = KEY:VALUE: every user whose attribute KEY is VALUE; the key
 * group names a tailnet group.
 */
static size_t
add_by_attr(const struct policy_config *pc, const char *member,
    const struct candidate *c, size_t n, const struct policy_result *r,
    char **out)
{
	const char *colon = strchr(member, ':'), *v;
	size_t i, k = 0;
	int in;

	for (i = 0; i < n; i++) {
		if (!c[i].made)
			continue;
		if (strncmp(member, "group:", 6) == 0)
			in = in_tailnet_group(pc, &c[i], colon + 1);
		else
			in = (v = attr_of(&c[i], member,
				  (size_t)(colon - member))) != NULL &&
			     strcasecmp(v, colon + 1) == 0;
		if (in)
			out[k++] = xstrdup(r->users[c[i].user].name);
	}
	return k;
}

/*
 * Members named by login become local names, and KEY:VALUE the users with
 * that attribute; unknown logins drop out.
 */
static void
resolve_members(const struct policy_config *pc, const struct static_group *sg,
    const struct candidate *c, size_t nc, const struct policy_result *r,
    struct policy_group *g)
{
	struct strmap *logins = NULL;
	size_t i, u, n = 0, cap = sg->n_members, n_attr = 0;
	int added;

	for (i = 0; i < sg->n_members; i++)
		n_attr += strchr(sg->members[i], ':') != NULL;
	/* logins named one by one: by a hash, not a scan of every user each */
	for (i = 0; logins == NULL && i < sg->n_members; i++)
		if (strchr(sg->members[i], ':') == NULL &&
		    strchr(sg->members[i], '@') != NULL)
			logins = strmap_new(r->n_users);
	for (i = 0; logins != NULL && i < r->n_users; i++)
		*strmap_put(logins, r->users[i].login, &added) = i;
	cap += (sg->all_users || n_attr ? r->n_users : 0) * (n_attr + 1);
	g->members = xcalloc(cap ? cap : 1, sizeof *g->members);
	for (i = 0; i < sg->n_members; i++) {
		if (strchr(sg->members[i], ':') != NULL)
			n += add_by_attr(
			    pc, sg->members[i], c, nc, r, g->members + n);
		else if (strchr(sg->members[i], '@') == NULL)
			g->members[n++] = xstrdup(sg->members[i]);
		else if ((u = strmap_get(logins, sg->members[i])) !=
			 STRMAP_NONE)
			g->members[n++] = xstrdup(r->users[u].name);
	}
	strmap_free(logins);
	for (i = 0; sg->all_users && i < r->n_users; i++)
		g->members[n++] = xstrdup(r->users[i].name);
	if (n > 0)
		qsort(g->members, n, sizeof *g->members, cmp_str);
	g->n_members = 0;
	for (i = 0; i < n; i++) {
		if (g->n_members > 0 &&
		    strcmp(g->members[g->n_members - 1], g->members[i]) == 0)
			free(g->members[i]);
		else
			g->members[g->n_members++] = g->members[i];
	}
}

void
policy_note(struct policy_result *r, const char *what, char *why)
{
	struct policy_decision *d;

	r->decisions = xreallocarray(
	    r->decisions, r->n_decisions + 1, sizeof *r->decisions);
	d = &r->decisions[r->n_decisions++];
	d->id = 0;
	d->login = xstrdup(what);
	d->accepted = 0;
	d->why = why;
}

/*
 * [group NAME] extend = yes: NAME with its /etc/group gid and tsnssd's
 * users among the members (localgroups.h); refused, a decision says why.
 */
static void
add_extended_group(const struct policy_config *pc, const struct localdb *local,
    const struct static_group *sg, const struct candidate *c, size_t nc,
    struct policy_result *r)
{
	struct policy_group *g;
	const char *refused;
	char *label;
	uint32_t gid;

	if ((refused = localgroups_gid(sg, local, &gid)) != NULL) {
		xasprintf(&label, "[group %s]", sg->name);
		policy_note(r, label, xstrdup(refused));
		free(label);
		return;
	}
	g = &r->groups[r->n_groups++];
	g->name = xstrdup(sg->name);
	g->gid = gid;
	resolve_members(pc, sg, c, nc, r, g);
	localgroups_keep_users(g, r);
}

/* [group] sections; one that a local group already holds is left out. */
static void
add_static_groups(const struct policy_config *pc, const struct localdb *local,
    const struct candidate *c, size_t nc, struct policy_result *r)
{
	size_t i;
	char *why, *label;

	for (i = 0; i < pc->n_groups; i++) {
		const struct static_group *sg = &pc->groups[i];

		if (sg->extend) {
			add_extended_group(pc, local, sg, c, nc, r);
			continue;
		}
		if (localdb_has_group(local, sg->name) ||
		    localdb_has_gid(local, sg->gid)) {
			xasprintf(&label, "[group %s]", sg->name);
			xasprintf(&why,
			    "name or gid %u is a local group in "
			    "/etc/group",
			    sg->gid);
			policy_note(r, label, why);
			free(label);
			continue;
		}
		r->groups[r->n_groups].name = xstrdup(sg->name);
		r->groups[r->n_groups].gid = sg->gid;
		resolve_members(pc, sg, c, nc, r, &r->groups[r->n_groups++]);
	}
}

struct policy_result *
policy_apply(const struct policy_config *pc, const struct localdb *local,
    const struct tsnss_identity *ids, size_t n)
{
	struct policy_input in[POLICY_MAX_SOURCES] = {{ids, n}};

	return policy_apply_claimed(pc, local, NULL, in);
}

/* One login's reports: by source, then by id. */
static int
by_source_id(const void *a, const void *b)
{
	const struct report *x = a, *y = b;

	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return x->t->id < y->t->id ? -1 : x->t->id > y->t->id;
}

/* A few reports by source and id; insertion sort, stable as qsort was. */
static void
sort_one_login(struct report *r, size_t n)
{
	struct report x;
	size_t i, j;

	if (n > 8) { /* many accounts with one login: a backend's doing */
		qsort(r, n, sizeof *r, by_source_id);
		return;
	}
	for (i = 1; i < n; i++) {
		x = r[i];
		for (j = i; j > 0 && by_source_id(&r[j - 1], &x) > 0; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
}

/*
 * The reports of one login made neighbours, in the order logins were
 * first reported, by a hash: a qsort of all reports by login cost a
 * strcmp each step, and nothing before make_users() (which sorts the
 * candidates by id) depends on the order of the logins.
 */
static struct report *
group_by_login(struct report *in, size_t n)
{
	struct strmap *m = strmap_new(n);
	size_t *login_of = xcalloc(n + 1, sizeof *login_of);
	size_t *end = xcalloc(n + 1, sizeof *end), i, k = 0, *v;
	struct report *out = xcalloc(n ? n : 1, sizeof *out);
	int added;

	for (i = 0; i < n; i++) {
		v = strmap_put(m, in[i].login, &added);
		if (added)
			*v = k++;
		login_of[i] = *v;
		end[*v + 1]++;
	}
	for (i = 0; i < k; i++)
		end[i + 1] += end[i]; /* end[j]: where login j starts */
	for (i = 0; i < n; i++) /* in order: each login's stay as reported */
		out[end[login_of[i]]++] = in[i];
	for (i = 0; i < k; i++) /* end[j]: where login j ends, now */
		sort_one_login(
		    out + (i ? end[i - 1] : 0), end[i] - (i ? end[i - 1] : 0));
	strmap_free(m);
	free(login_of);
	free(end);
	free(in);
	return out;
}

/* Every source's identities, grouped so that one login's are neighbours. */
static struct report *
collect_reports(
    const struct policy_config *pc, const struct policy_input *in, size_t *np)
{
	struct report *rep;
	const char *at;
	size_t s, i, n = 0;

	for (s = 0; s < pc->n_sources; s++)
		n += in[s].n;
	rep = xcalloc(n ? n : 1, sizeof *rep);
	for (n = 0, s = 0; s < pc->n_sources; s++)
		for (i = 0; i < in[s].n; i++, n++) {
			rep[n].t = &in[s].ids[i];
			rep[n].src = s;
			rep[n].login = xstrdup(in[s].ids[i].login);
			for (char *p = rep[n].login; *p != '\0'; p++)
				*p = (char)tolower((unsigned char)*p);
			at = strrchr(rep[n].login, '@');
			rep[n].listed =
			    at != NULL &&
			    policy_source_lists(&pc->sources[s], at + 1);
		}
	*np = n;
	return group_by_login(rep, n);
}

/*
 * One login's reports become one candidate.  The first source that lists
 * its domain decides its id and display name; one source reporting the
 * login twice (two accounts whose logins differ in case) leaves it
 * ambiguous, and nobody gets it.
 */
static void
merge(const struct policy_config *pc, const struct report *rep, size_t n,
    struct candidate *c)
{
	const struct report *d = NULL;
	size_t i;

	c->rep = rep;
	c->n_rep = n;
	c->login = rep[0].login; /* merge_all() hands it over */
	for (i = 0; i < n && d == NULL; i++)
		d = rep[i].listed ? &rep[i] : NULL;
	c->src = d ? d->src : rep[0].src;
	c->id = d ? d->t->id : rep[0].t->id;
	c->display = d && d->t->display_name ? d->t->display_name : "";
	for (i = 1; i < n; i++)
		if (rep[i].src == rep[i - 1].src)
			refuse(c,
			    "[%s] reports two accounts with this login "
			    "(ids %" PRId64 " and %" PRId64 ")",
			    pc->sources[rep[i].src].name, rep[i - 1].t->id,
			    rep[i].t->id);
	if (d == NULL && strrchr(c->login, '@') != NULL)
		refuse(c, "domain '%s' is not listed in 'domain' of [%s]",
		    strrchr(c->login, '@') + 1, pc->sources[rep[0].src].name);
}

static struct candidate *
merge_all(
    const struct policy_config *pc, struct report *rep, size_t nrep, size_t *nc)
{
	struct candidate *c = xcalloc(nrep ? nrep : 1, sizeof *c);
	size_t i, j, n = 0;

	for (i = 0; i < nrep; i = j) {
		for (j = i + 1;
		     j < nrep && strcmp(rep[i].login, rep[j].login) == 0; j++)
			;
		merge(pc, rep + i, j - i, &c[n++]);
		/* the candidate owns the first copy of the login now */
		for (size_t k = i; k < j; k++) {
			if (k > i)
				free(rep[k].login);
			rep[k].login = NULL;
		}
	}
	*nc = n;
	return c;
}

/*
 * The tailnet groups, judged before any user: they win unowned names.
 * Every group reported for a login by a source that lists its domain;
 * each report keeps its groups' numbers (in *gno, to free), so that
 * adding the members looks no name up again.
 */
static struct tailnet_groups *
judge_groups(struct idspace *s, struct report *rep, size_t nrep, uint32_t **gno)
{
	struct tailnet_groups *tg = tailnet_groups_new();
	size_t i, k, n = 0;
	uint32_t *no;

	for (i = 0; i < nrep; i++)
		n += rep[i].listed ? rep[i].t->n_groups : 0;
	*gno = no = xcalloc(n ? n : 1, sizeof *no);
	for (i = 0; i < nrep; i++) {
		rep[i].gno = no;
		for (k = 0; rep[i].listed && k < rep[i].t->n_groups; k++)
			*no++ = tailnet_groups_report(tg, rep[i].t->groups[k]);
	}
	tailnet_groups_judge(tg, s);
	return tg;
}

/*
 * A candidate that became a user, sorted by the user's name, with the
 * numbers of its groups (judge_groups() gave them, its reports' one
 * after the other): at 100k users, following each candidate to its
 * reports and identities in name order missed the cache three times.
 */
struct made {
	uint64_t head; /* the name's first 8 bytes, big-endian: by_made_name */
	const char *name;
	const uint32_t *gno;
	size_t n_gno;
};

/* strcmp's order: most names differ in their first 8 bytes. */
static int
by_made_name(const void *a, const void *b)
{
	const struct made *x = a, *y = b;

	if (x->head != y->head)
		return x->head < y->head ? -1 : 1;
	return strcmp(x->name, y->name);
}

static struct made
made_of(const char *name, const struct candidate *c)
{
	struct made m = {0, name, c->rep[0].gno, 0};
	const struct report *last = &c->rep[c->n_rep - 1];
	size_t i;

	for (i = 0; i < 8 && name[i] != '\0'; i++)
		m.head |= (uint64_t)(unsigned char)name[i] << (56 - 8 * i);
	m.n_gno = (size_t)(last->gno - m.gno) +
		  (last->listed ? last->t->n_groups : 0);
	return m;
}

/*
 * Each accepted user into the tailnet groups every source listing it
 * reports, in the order of their names, so that each group's members
 * come sorted; then the groups, and their refusals, into r.
 */
static void
add_tailnet_groups(struct tailnet_groups *tg, const struct candidate *c,
    size_t n, struct policy_result *r)
{
	struct made *made;
	size_t i, m = 0;

	made = xcalloc(r->n_users + 1, sizeof *made);
	for (i = 0; i < n && tg->n_groups > 0; i++)
		if (c[i].made)
			made[m++] = made_of(r->users[c[i].user].name, &c[i]);
	if (m > 0)
		qsort(made, m, sizeof *made, by_made_name);
	for (i = 0; i < m; i++)
		tailnet_groups_add_member(
		    tg, made[i].gno, made[i].n_gno, made[i].name, i);
	free(made);
	tailnet_groups_finish(tg);
	r->groups = xreallocarray(
	    r->groups, r->n_groups + tg->n_groups + 1, sizeof *r->groups);
	for (i = 0; i < tg->n_groups; i++) {
		struct tailnet_group *t = &tg->groups[i];

		/* the members are r's users' names: borrowed, never changed */
		r->groups[r->n_groups++] = (struct policy_group){t->name,
		    t->gid, (char **)t->members, t->n_members, t->key, 1, 0};
		memset(t, 0, sizeof *t); /* r owns it now */
	}
	for (i = 0; i < tg->n_refused; i++) {
		policy_note(r, tg->refused[i].label, tg->refused[i].why);
		tg->refused[i].why = NULL;
	}
	tg->n_groups = 0;
}

/*
 * The candidates' strings were made in the order the backend listed
 * them, and are read here in the order of ids: at 100k users each was a
 * cache miss, most of make_users().  Asked for a few users ahead, they
 * arrive while the users before are made.  A hint: NULL is harmless.
 */
#define PREFETCH_AHEAD 8

static void
prefetch_strings(const struct candidate *c)
{
	__builtin_prefetch(c->login);
	__builtin_prefetch(c->name);
	__builtin_prefetch(c->display);
}

/* Users from the accepted candidates, and a decision for each. */
static void
make_users(const struct policy_config *pc, struct candidate *c, size_t n,
    struct policy_result *r)
{
	struct expanded *e = xcalloc(2, sizeof *e);
	size_t i;

	r->users = xcalloc(n ? n : 1, sizeof *r->users);
	r->groups = xcalloc(n + pc->n_groups + 1, sizeof *r->groups);
	r->decisions = xcalloc(n ? n : 1, sizeof *r->decisions);
	if (n > 0)
		qsort(c, n, sizeof *c, by_id);
	for (i = 0; i < n; i++) {
		if (i + PREFETCH_AHEAD < n)
			prefetch_strings(&c[i + PREFETCH_AHEAD]);
		if (c[i].why == NULL &&
		    make_user(pc, &c[i], &r->users[r->n_users], e) == 0) {
			if (pc->primary_group == NULL)
				add_private_group(r, &r->users[r->n_users]);
			c[i].made = 1;
			c[i].user = r->n_users++;
		}
		record(r, &c[i]);
	}
	free(e);
}

/* [variant] sections: whom each is for, then variants.c judges names. */
static void
add_variants(const struct policy_config *pc, const struct localdb *local,
    const struct claims *cl, const struct candidate *c, size_t n,
    struct policy_result *r)
{
	struct policy_group *who;
	struct static_group sg;
	size_t i;

	if (pc->n_variants == 0)
		return;
	who = xcalloc(pc->n_variants, sizeof *who);
	for (i = 0; i < pc->n_variants; i++) {
		sg = pc->variants[i].who;
		sg.all_users = sg.all_users || sg.n_members == 0;
		resolve_members(pc, &sg, c, n, r, &who[i]);
	}
	variants_add(pc, local, cl, who, r);
	for (i = 0; i < pc->n_variants; i++) {
		for (size_t j = 0; j < who[i].n_members; j++)
			free(who[i].members[j]);
		free(who[i].members);
	}
	free(who);
}

static char *
strdup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
add_programs(const struct policy_config *pc, struct policy_result *r)
{
	size_t i;

	r->programs = xcalloc(pc->n_programs + 1, sizeof *r->programs);
	for (i = 0; i < pc->n_programs; i++) {
		r->programs[i].path = xstrdup(pc->programs[i].path);
		r->programs[i].home = strdup_or_null(pc->programs[i].home);
		r->programs[i].shell = strdup_or_null(pc->programs[i].shell);
	}
	r->n_programs = pc->n_programs;
}

struct policy_result *
policy_apply_claimed(const struct policy_config *pc,
    const struct localdb *local, const struct claims *cl,
    const struct policy_input *in)
{
	struct policy_result *r = xcalloc(1, sizeof *r);
	size_t nrep, n, i;
	struct report *rep = collect_reports(pc, in, &nrep);
	struct candidate *c = merge_all(pc, rep, nrep, &n);
	struct tailnet_groups *tg;
	struct idspace s;
	uint32_t *gno;

	idspace_init(&s, pc, local, cl);
	tg = judge_groups(&s, rep, nrep, &gno);
	for (i = 0; i < n; i++)
		judge_alone(&s, &c[i]);
	/* a second pass for the names clash_names gave; none, no renames */
	if (resolve_name_clashes(&s, c, n, 0) > 0)
		resolve_name_clashes(&s, c, n, 1);
	refuse_uid_clashes(pc, c, n);
	make_users(pc, c, n, r);
	add_static_groups(pc, local, c, n, r);
	if (POLICY_SUBIDS_ON(pc)) { /* ranged later: subid_assign() */
		resolve_members(pc, &pc->subid, c, n, r, &r->subid_members);
		localgroups_keep_users(&r->subid_members, r);
	}
	add_tailnet_groups(tg, c, n, r);
	tailnet_groups_free(tg);
	free(gno);
	idspace_clear(&s);
	add_variants(pc, local, cl, c, n, r);
	add_programs(pc, r);
	free(c);
	free(rep);
	return r;
}

void
policy_result_free(struct policy_result *r)
{
	size_t i, j;

	if (r == NULL)
		return;
	for (i = 0; i < r->n_users; i++) {
		free(r->users[i].login); /* packed: all of them */
		if (r->users[i].packed)
			continue;
		free(r->users[i].name);
		free(r->users[i].gecos);
		free(r->users[i].home);
		free(r->users[i].shell);
	}
	for (i = 0; i < r->n_groups; i++) {
		if (!r->groups[i].name_borrowed)
			free(r->groups[i].name);
		for (j = 0; !r->groups[i].members_borrowed &&
			    j < r->groups[i].n_members;
		     j++)
			free(r->groups[i].members[j]);
		free(r->groups[i].members);
		free(r->groups[i].owner);
	}
	for (i = 0; i < r->n_decisions; i++) {
		free(r->decisions[i].login);
		free(r->decisions[i].why);
	}
	for (i = 0; i < r->n_variants; i++) {
		free(r->variants[i].name);
		free(r->variants[i].home);
		free(r->variants[i].shell);
	}
	for (i = 0; i < r->n_programs; i++) {
		free(r->programs[i].path);
		free(r->programs[i].home);
		free(r->programs[i].shell);
	}
	for (i = 0; i < r->subid_members.n_members; i++)
		free(r->subid_members.members[i]);
	free(r->subid_members.members);
	for (i = 0; i < r->n_subids; i++) {
		free(r->subids[i].name);
		free(r->subids[i].login);
	}
	free(r->subids);
	free(r->users);
	free(r->groups);
	free(r->decisions);
	free(r->variants);
	free(r->programs);
	free(r);
}
