/*
 * bus.c - apply tailscaled's IPN bus messages; see bus.h for the rules.
 *
 * The stream is cut into values by jscan, so a 100k-peer InitialStatus
 * never exists in memory as a whole.  Peers and profiles, nearly all of
 * it, are read member by member as they pass (a string with no escape
 * taken as it is); the few other values are parsed with json-c on their
 * own, applied, and freed.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "bus.h"
#include "i64map.h"
#include "jdoc.h"
#include "status.h"

#define TAGGED_DEVICES "tagged-devices"
#define MAX_DEPTH 64 /* nesting of a message */
#define NOTES_MAX 50 /* changes noted one by one per update */

/* A peer: its owner's UserID, or 0 for a tagged one (owned by nobody). */
struct peer {
	int64_t owner;
};

/* The members of the peer under way that matter, as they come. */
struct peer_read {
	size_t depth; /* of the peer's object; 0: no peer under way */
	const char *id_key, *owner_key;
	int64_t id, owner;
	int has_id, has_owner, tagged;
};

/*
 * The members of the profile under way that matter, as they come: 100k
 * profiles of 30 groups each are too many to build a json-c object for.
 */
struct prof_read {
	size_t depth;	       /* of the profile's object; 0: none under way */
	char *login, *display; /* NULL: none (or not a string) */
	int64_t id;
	int has_id, login_ok;
	int member;    /* the member captured: ID, LoginName or DisplayName */
	char **groups; /* the bus's names; reused from profile to profile */
	size_t n_groups, cap, looked; /* looked: elements of Groups seen */
};

struct profile {
	char *login, *display; /* one allocation: login, NUL, display, NUL */
	char **groups;	       /* the array is the profile's, the names the
				  bus's (struct names) */
	uint64_t hash;	       /* of all the above: "changed?" in one compare */
	uint32_t n_groups;
};

/*
 * What the last bus_users() returned, to tell joins and departures: no
 * strings, which on a 100k tailnet would be megabytes kept for a log line.
 */
struct seen {
	int64_t id;
	uint64_t hash;
};

/*
 * Group names, each kept once: 100k users in 30 groups each name the same
 * few thousand groups three million times, 150 MB as separate strings.
 */
struct names {
	struct name **slot; /* open addressing; NULL: free */
	size_t cap, n;
};

/* A kept name and its hash, which a profile's hash takes, not the bytes. */
struct name {
	uint64_t hash;
	char s[];
};

struct bus {
	bus_note_fn *note;
	void *note_arg;
	struct jdoc *doc;
	struct i64map *peers;	 /* NodeID -> struct peer */
	struct i64map *profiles; /* UserID -> struct profile */
	struct i64map *staging;	 /* the peers of a full rebuild under way */
	struct names names;	 /* every group name the profiles hold */
	struct peer_read pr;
	struct prof_read pf;
	int64_t self_owner;
	int self_tagged, self_known;
	char state[32], version[64];
	int ready, fell_behind;
	int touched; /* the message under way changed something */
	int dirty;   /* the users may differ from the last bus_users() */
	struct bus_counts counts;
	struct tsnss_identity *out;
	size_t n_out;
	struct seen *seen;
	size_t n_seen;
	int published; /* bus_users() ran this session */
};

static const char *const state_names[] = {"NoState", "InUseOtherUser",
    "NeedsLogin", "NeedsMachineAuth", "Stopped", "Starting", "Running"};

static void
quiet(void *arg, const char *fmt, ...)
{
	(void)arg;
	(void)fmt;
}

/* Called for every member of 200k peers: most differ at the first byte. */
static inline int
is(const char *key, const char *name)
{
	return key != NULL && key[0] == name[0] && strcmp(key, name) == 0;
}

static uint64_t
fnv64(uint64_t h, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull; /* a separator */
}

/*
 * A hash of n bytes taken eight at a time: a group name is hashed once
 * for every profile naming it, three million times on a large tailnet.
 */
static uint64_t
hash_bytes(uint64_t h, const char *s, size_t n)
{
	uint64_t w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 32;
	}
	w = n; /* the length, so that "a" and "a\0" differ */
	memcpy((char *)&w + 1, s, n);
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ h >> 29;
}

/* --- tables --- */

static void
names_free(struct names *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free(t->slot[i]);
	free(t->slot);
	memset(t, 0, sizeof *t);
}

static int
names_grow(struct names *t)
{
	size_t cap = t->cap ? t->cap * 2 : 256, i, j;
	struct name **slot = calloc(cap, sizeof *slot);

	if (slot == NULL)
		return -1;
	for (i = 0; i < t->cap; i++) {
		if (t->slot[i] == NULL)
			continue;
		j = t->slot[i]->hash & (cap - 1);
		while (slot[j] != NULL)
			j = (j + 1) & (cap - 1);
		slot[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
	return 0;
}

/* The kept copy of the n bytes at s, made if new; NULL: no memory. */
static struct name *
names_get(struct names *t, const char *s, size_t n)
{
	uint64_t h = hash_bytes(0, s, n);
	struct name *e;
	size_t j;

	if (2 * (t->n + 1) > t->cap && names_grow(t) < 0)
		return NULL;
	for (j = h & (t->cap - 1); (e = t->slot[j]) != NULL;
	     j = (j + 1) & (t->cap - 1))
		if (e->hash == h && strncmp(e->s, s, n) == 0 && e->s[n] == '\0')
			return e;
	if ((e = malloc(sizeof *e + n + 1)) == NULL)
		return NULL;
	e->hash = h;
	memcpy(e->s, s, n);
	e->s[n] = '\0';
	t->slot[j] = e;
	t->n++;
	return e;
}

/* The hash names_get() keeps before a name it returned. */
static uint64_t
name_hash(const char *s)
{
	return ((const struct name *)(s - offsetof(struct name, s)))->hash;
}

static void
profile_clear(struct profile *p)
{
	free(p->login);
	free(p->groups); /* the names are the bus's */
	memset(p, 0, sizeof *p);
}

static void
profiles_free(struct i64map *m)
{
	struct profile *p;
	size_t pos = 0;
	int64_t k;

	if (m == NULL)
		return;
	while ((p = i64map_next(m, &pos, &k)) != NULL)
		profile_clear(p);
	i64map_free(m);
}

static void
seen_free(struct bus *b)
{
	free(b->seen);
	b->seen = NULL;
	b->n_seen = 0;
}

static int
peer_put(struct bus *b, int64_t id, int64_t owner, int tagged)
{
	struct i64map *m = b->staging ? b->staging : b->peers;
	struct peer *p;
	int added;

	p = i64map_put(m, id, &added);
	if (p == NULL)
		return -1;
	if (tagged)
		owner = 0;
	if (added || p->owner != owner)
		b->touched = 1;
	p->owner = owner;
	return 0;
}

/* --- values --- */

/*
 * Where peers are, and how their members are named: the depth of a peer
 * on path p (0: p is not at or in one), its id and owner keys.
 */
static size_t
peer_depth(
    const struct jscan_path *p, const char **id_key, const char **owner_key)
{
	const char *k0 = p->key[0], *k1 = p->depth > 1 ? p->key[1] : NULL;

	*id_key = "ID";
	*owner_key = "User";
	if (p->depth >= 2 && is(k0, "PeersChanged"))
		return 2;
	if (p->depth >= 3 && is(k0, "NetMap") && is(k1, "Peers"))
		return 3;
	if (p->depth >= 3 && is(k0, "InitialStatus") && is(k1, "Peer")) {
		*id_key = "NodeID";
		*owner_key = "UserID";
		return 3;
	}
	return 0;
}

/*
 * A peer's members are looked at as they pass, and only its id, owner
 * and tags are kept: there are 200k peers in the first message of a
 * large tailnet, each a kilobyte and more.
 */
static enum jscan_want
select_peer(struct bus *b, size_t d, char first, const char *id_key,
    const char *owner_key)
{
	if (first == '{') {
		memset(&b->pr, 0, sizeof b->pr);
		b->pr.depth = d;
		b->pr.id_key = id_key;
		b->pr.owner_key = owner_key;
		return JSCAN_DESCEND;
	}
	if (first != 'n') /* null is absent */
		b->counts.skipped++;
	return JSCAN_SKIP;
}

/* A member of the peer under way: only these three are looked at. */
static enum jscan_want
select_member(const struct peer_read *r, const char *k)
{
	return is(k, r->id_key) || is(k, r->owner_key) || is(k, "Tags")
		   ? JSCAN_CAPTURE
		   : JSCAN_SKIP;
}

/* An id as a JSON integer from 1 to INT64_MAX - 1 (ts_json_id's range). */
static int
id_literal(const char *s, int64_t *id)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		/* a sign, a fraction, an exponent: no id */
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v >= (uint64_t)INT64_MAX)
			return -1; /* json-c clamps there: not an id */
	}
	if (v < 1)
		return -1;
	*id = (int64_t)v;
	return 0;
}

/* A member select_peer() captured; the last of duplicates counts. */
static void
peer_member(struct peer_read *r, const char *k, const char *buf)
{
	if (is(k, r->id_key))
		r->has_id = id_literal(buf, &r->id) == 0;
	else if (is(k, r->owner_key))
		r->has_owner = id_literal(buf, &r->owner) == 0;
	else /* Tags: an array with an element */
		r->tagged =
		    buf[0] == '[' && buf[1 + strspn(buf + 1, " \t\r\n")] != ']';
}

static int64_t key_id(const char *key);

/* The end of a peer's object: it is one, or it is skipped. */
static int
peer_done(struct bus *b, const struct jscan_path *p)
{
	int64_t fallback_id = 0;

	b->pr.depth = 0;
	if (!b->pr.has_id && p->depth == 3 && is(p->key[0], "InitialStatus"))
		fallback_id = key_id(p->key[2]);
	if (!b->pr.has_owner || (!b->pr.has_id && fallback_id == 0)) {
		b->counts.skipped++;
		return 0;
	}
	b->counts.peers++;
	return peer_put(b, b->pr.has_id ? b->pr.id : fallback_id, b->pr.owner,
	    b->pr.tagged);
}

/*
 * Before 1.100 a PeerStatus had no NodeID; only a full rebuild lists
 * those, so any id unique within it will do: a negative one from the key.
 */
static int64_t
key_id(const char *key)
{
	return -(int64_t)(fnv64(0xcbf29ce484222325ull, key) >> 2) - 2;
}

static int
self_node(struct bus *b, struct json_object *o, const char *owner_key)
{
	struct json_object *tags = NULL;
	int64_t owner = 0;
	int tagged;

	json_object_object_get_ex(o, "Tags", &tags);
	tagged = tags != NULL && json_object_is_type(tags, json_type_array) &&
		 json_object_array_length(tags) > 0;
	ts_json_id(json_object_object_get(o, owner_key), &owner);
	if (!b->self_known || b->self_owner != owner ||
	    b->self_tagged != tagged)
		b->touched = 1;
	b->self_known = owner > 0;
	b->self_owner = owner;
	b->self_tagged = tagged;
	return 0;
}

static uint64_t
profile_hash(const struct profile *p)
{
	uint64_t h = hash_bytes(0, p->login, strlen(p->login));
	size_t i;

	h = hash_bytes(h, p->display, strlen(p->display));
	for (i = 0; i < p->n_groups; i++)
		h = (h ^ name_hash(p->groups[i])) * 0x9e3779b97f4a7c15ull;
	return h ^ h >> 29;
}

/* Login and display name in one allocation: 100k of them add up. */
static int
texts(struct profile *p, const char *login, const char *display)
{
	size_t l = strlen(login) + 1, d = strlen(display) + 1;

	p->login = malloc(l + d);
	if (p->login == NULL)
		return -1;
	memcpy(p->login, login, l);
	p->display = p->login + l;
	memcpy(p->display, display, d);
	return 0;
}

static void
prof_clear(struct prof_read *r)
{
	free(r->login);
	free(r->display);
	free(r->groups);
	memset(r, 0, sizeof *r);
}

/* A new profile at depth d: what the last one read is forgotten. */
static enum jscan_want
select_profile(struct bus *b, size_t d)
{
	struct prof_read *r = &b->pf;

	free(r->login);
	free(r->display);
	r->login = r->display = NULL;
	r->depth = d;
	r->has_id = r->login_ok = 0;
	r->id = 0;
	r->n_groups = r->looked = 0;
	return JSCAN_DESCEND;
}

enum { M_OTHER, M_ID, M_LOGIN, M_DISPLAY, M_GROUPS };

/*
 * Which member key names.  A key with an escape is read as json-c read
 * it, up to a NUL ("ID\u0000x" is ID): it is rare, and hostile.
 */
static int
member_of(struct bus *b, const char *k)
{
	static const char *const names[] = {
	    "", "ID", "LoginName", "DisplayName", "Groups"};
	char quoted[JSCAN_KEY_MAX + 3];
	struct json_object *o = NULL;
	int i, m = M_OTHER;

	if (strchr(k, '\\') != NULL) {
		snprintf(quoted, sizeof quoted, "\"%s\"", k);
		o = jdoc_value(b->doc, quoted, strlen(quoted), "key");
		b->doc->err[0] = '\0'; /* a key cut in an escape: no name */
		k = json_object_is_type(o, json_type_string)
			? json_object_get_string(o)
			: "";
	}
	for (i = M_ID; i <= M_GROUPS; i++)
		if (strcmp(k, names[i]) == 0)
			m = i;
	json_object_put(o);
	return m;
}

/*
 * A member of the profile under way.  A string is captured only if it is
 * one: anything else in LoginName, DisplayName or Groups counts as absent
 * (or bad) at once, as it did when profiles were json-c objects.
 */
static enum jscan_want
select_prof_member(struct bus *b, const char *k, char first)
{
	struct prof_read *r = &b->pf;

	switch ((r->member = member_of(b, k))) {
	case M_ID:
		return JSCAN_CAPTURE;
	case M_LOGIN:
	case M_DISPLAY:
		if (first == '"')
			return JSCAN_CAPTURE;
		if (r->member == M_LOGIN)
			r->login_ok = 0;
		else
			free(r->display), r->display = NULL;
		return JSCAN_SKIP;
	case M_GROUPS:
		r->n_groups = r->looked = 0; /* the last Groups counts */
		return first == '[' ? JSCAN_DESCEND : JSCAN_SKIP;
	}
	return JSCAN_SKIP;
}

/* An element of Groups: the first TS_GROUPS_MAX are looked at. */
static enum jscan_want
select_group(struct prof_read *r, char first)
{
	if (r->looked >= TS_GROUPS_MAX)
		return JSCAN_SKIP;
	r->looked++;
	return first == '"' ? JSCAN_CAPTURE : JSCAN_SKIP;
}

/* A name of Groups, if it is one, as the bus's kept copy. */
static int
profile_group(struct bus *b, const char *s, size_t n)
{
	struct prof_read *r = &b->pf;
	struct name *e;

	if (!ts_group_name_ok(s, n))
		return 0;
	if (jdoc_room(&r->groups, &r->cap, r->n_groups, sizeof *r->groups) <
		0 ||
	    (e = names_get(&b->names, s, n)) == NULL)
		return -1;
	r->groups[r->n_groups++] = e->s;
	return 0;
}

/* A copy of the n bytes at s, as a C string (cut at a NUL, as before). */
static int
set_text(char **to, const char *s, size_t n)
{
	free(*to);
	*to = strndup(s, n);
	return *to == NULL ? -1 : 0;
}

/* A member select_prof_member() captured, or an element of Groups. */
static int
prof_member(struct bus *b, int in_groups, const char *buf, size_t len)
{
	struct prof_read *r = &b->pf;
	struct json_object *o;
	const char *s;
	size_t n;
	int rc = 0;

	if (!in_groups && r->member == M_ID) {
		r->has_id = id_literal(buf, &r->id) == 0;
		return 0;
	}
	if ((s = jdoc_string(b->doc, buf, len, &n, &o)) == NULL) {
		json_object_put(o);
		return b->doc->err[0] != '\0' ? -1 : 0;
	}
	if (in_groups)
		rc = profile_group(b, s, n);
	else if (r->member == M_DISPLAY)
		rc = set_text(&r->display, s, n);
	else if ((r->login_ok = ts_bad_login_bytes(s, n) == NULL))
		rc = set_text(&r->login, s, n);
	json_object_put(o);
	return rc;
}

/* A profile that is refused: one kept under its id is gone. */
static void
profile_refused(struct bus *b, int64_t id)
{
	b->counts.skipped++;
	if (id > 0 && i64map_get(b->profiles, id) != NULL) {
		profile_clear(i64map_get(b->profiles, id));
		i64map_del(b->profiles, id);
		b->touched = 1;
	}
}

/* The profile read: np, made from r, whose groups array is r's. */
static int
profile_make(const struct prof_read *r, struct profile *np)
{
	if (texts(np, r->login, r->display ? r->display : "") < 0)
		return -1;
	if (r->n_groups > 0) {
		np->groups = malloc(r->n_groups * sizeof *np->groups);
		if (np->groups == NULL)
			return -1;
		memcpy(np->groups, r->groups, r->n_groups * sizeof *np->groups);
		np->n_groups = (uint32_t)r->n_groups;
	}
	np->hash = profile_hash(np);
	return 0;
}

/* The end of a profile's object, under key (its UserID, as a string). */
static int
profile_done(struct bus *b, const char *key)
{
	struct prof_read *r = &b->pf;
	struct profile np = {0}, *p;
	int added;

	r->depth = 0;
	if (!r->has_id || !jdoc_key_is_id(key, r->id) || !r->login_ok) {
		profile_refused(b, r->has_id ? r->id : 0);
		return 0;
	}
	if (profile_make(r, &np) < 0 ||
	    (p = i64map_put(b->profiles, r->id, &added)) == NULL) {
		profile_clear(&np);
		return -1;
	}
	b->counts.profiles++;
	if (!added && p->hash == np.hash) {
		profile_clear(&np);
		return 0;
	}
	profile_clear(p);
	*p = np;
	b->touched = 1;
	return 0;
}

/* A profile's value that is no object (null is absent): no profile. */
static int
profile_value(struct bus *b, const char *key, struct json_object *o)
{
	(void)key;
	(void)o;
	b->counts.skipped++;
	return 0;
}

static void
set_state(struct bus *b, const char *name)
{
	if (strcmp(b->state, name) == 0)
		return;
	b->note(b->note_arg, "tailscaled's state: %s", name);
	snprintf(b->state, sizeof b->state, "%s", name);
	b->touched = 1;
}

static void
state_value(struct bus *b, struct json_object *o)
{
	char name[32];
	int64_t n;

	if (!json_object_is_type(o, json_type_int))
		return;
	n = json_object_get_int64(o);
	if (n >= 0 && n < (int64_t)(sizeof state_names / sizeof *state_names))
		set_state(b, state_names[n]);
	else {
		snprintf(name, sizeof name, "State(%" PRId64 ")", n);
		set_state(b, name);
	}
}

static void
printable(char *out, size_t len, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		out[i] =
		    (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	out[i] = '\0';
}

static void
err_value(struct bus *b, struct json_object *o)
{
	char msg[200];

	if (!json_object_is_type(o, json_type_string))
		return;
	printable(msg, sizeof msg, json_object_get_string(o));
	if (strstr(msg, "fell behind") != NULL)
		b->fell_behind = 1;
	b->note(b->note_arg, "tailscaled says: %s", msg);
}

/* --- which values, and what each one is --- */

/* The start of a full rebuild: its peers go to a table of their own. */
static int
begin_full(struct bus *b)
{
	if (b->staging == NULL &&
	    (b->staging = i64map_new(sizeof(struct peer))) == NULL)
		return -1;
	return 0;
}

static enum jscan_want
select_top(struct bus *b, const char *k, char first)
{
	if (is(k, "Version") || is(k, "State") || is(k, "ErrMessage"))
		return JSCAN_CAPTURE;
	if (is(k, "SelfChange") && first == '{')
		return begin_full(b) < 0 ? JSCAN_SKIP : JSCAN_CAPTURE;
	if ((is(k, "InitialStatus") || is(k, "NetMap")) && first == '{')
		return begin_full(b) < 0 ? JSCAN_SKIP : JSCAN_DESCEND;
	if (is(k, "PeersChanged") || is(k, "PeersRemoved") ||
	    is(k, "UserProfiles"))
		return JSCAN_DESCEND;
	return JSCAN_SKIP;
}

static enum jscan_want
on_select(const struct jscan_path *p, char first, void *arg)
{
	const char *k0 = p->key[0], *k1 = p->depth > 1 ? p->key[1] : NULL;
	struct bus *b = ((struct jdoc *)arg)->state;
	const char *id_key, *owner_key;
	size_t d;

	if (b->pr.depth > 0 && p->depth == b->pr.depth + 1)
		return select_member(&b->pr, p->key[b->pr.depth]);
	if (b->pf.depth > 0 && p->depth == b->pf.depth + 1)
		return select_prof_member(b, p->key[b->pf.depth], first);
	if (b->pf.depth > 0 && p->depth == b->pf.depth + 2)
		return select_group(&b->pf, first);
	if ((d = peer_depth(p, &id_key, &owner_key)) == p->depth)
		return select_peer(b, d, first, id_key, owner_key);
	if (p->depth == 1)
		return select_top(b, k0, first);
	if (p->depth == 2 && is(k0, "InitialStatus"))
		return is(k1, "Peer") || is(k1, "User") ? JSCAN_DESCEND
		       : is(k1, "BackendState") || is(k1, "Self")
			   ? JSCAN_CAPTURE
			   : JSCAN_SKIP;
	if (p->depth == 2 && is(k0, "NetMap"))
		return is(k1, "Peers") || is(k1, "UserProfiles") ? JSCAN_DESCEND
		       : is(k1, "SelfNode")			 ? JSCAN_CAPTURE
								 : JSCAN_SKIP;
	if (p->depth == 2 && is(k0, "UserProfiles"))
		return first == '{' ? select_profile(b, 2) : JSCAN_CAPTURE;
	if (p->depth == 2)
		return is(k0, "PeersChanged") || is(k0, "PeersRemoved")
			   ? JSCAN_CAPTURE
			   : JSCAN_SKIP;
	if (p->depth == 3) /* InitialStatus.User, NetMap.UserProfiles */
		return first == '{' ? select_profile(b, 3) : JSCAN_CAPTURE;
	return JSCAN_SKIP;
}

static int
apply_nested(struct bus *b, const struct jscan_path *p, struct json_object *o)
{
	const char *k0 = p->key[0], *k1 = p->key[1];
	const char *k2 = p->depth > 2 ? p->key[2] : NULL;

	if (p->depth == 2 && is(k0, "InitialStatus") &&
	    is(k1, "BackendState")) {
		if (json_object_is_type(o, json_type_string))
			set_state(b, json_object_get_string(o));
		return 0;
	}
	if (p->depth == 2 && is(k0, "InitialStatus"))
		return self_node(b, o, "UserID");
	if (p->depth == 2 && is(k0, "NetMap"))
		return self_node(b, o, "User");
	return profile_value(b, k2, o); /* User or UserProfiles */
}

static int
apply_value(struct bus *b, const struct jscan_path *p, struct json_object *o)
{
	const char *k0 = p->key[0];
	int64_t id;

	if (p->depth == 1 && is(k0, "Version")) {
		if (json_object_is_type(o, json_type_string))
			printable(b->version, sizeof b->version,
			    json_object_get_string(o));
		return 0;
	}
	if (p->depth == 1 && is(k0, "State"))
		return state_value(b, o), 0;
	if (p->depth == 1 && is(k0, "ErrMessage"))
		return err_value(b, o), 0;
	if (p->depth == 1) /* SelfChange */
		return self_node(b, o, "User");
	if (is(k0, "PeersRemoved")) {
		if (ts_json_id(o, &id) == 0 && i64map_del(b->peers, id))
			b->touched = 1;
		return 0;
	}
	if (is(k0, "UserProfiles"))
		return profile_value(b, p->key[1], o);
	return apply_nested(b, p, o);
}

static int
on_value(const struct jscan_path *p, const char *buf, size_t len, void *arg)
{
	struct bus *b = ((struct jdoc *)arg)->state;
	struct json_object *o;
	int rc;

	if (b->pr.depth > 0 && p->depth == b->pr.depth + 1) {
		peer_member(&b->pr, p->key[b->pr.depth], buf);
		return 0;
	}
	if (b->pf.depth > 0 && p->depth > b->pf.depth)
		return prof_member(b, p->depth == b->pf.depth + 2, buf, len);
	o = jdoc_value(b->doc, buf, len, "bad JSON");
	if (o == NULL && b->doc->err[0] != '\0')
		return -1;
	if (o == NULL) /* JSON null: absent */
		return 0;
	rc = apply_value(b, p, o);
	json_object_put(o);
	return rc;
}

static int
on_close(const struct jscan_path *p, void *arg)
{
	struct bus *b = ((struct jdoc *)arg)->state;

	if (b->pf.depth > 0 && p->depth == b->pf.depth)
		return profile_done(b, p->key[p->depth - 1]);
	if (b->pr.depth == 0 || p->depth != b->pr.depth)
		return 0;
	return peer_done(b, p);
}

/* The end of a line: a full rebuild replaces the peers now. */
static int
on_end(void *arg)
{
	struct bus *b = ((struct jdoc *)arg)->state;

	if (b->staging != NULL) {
		i64map_free(b->peers);
		b->peers = b->staging;
		b->staging = NULL;
		b->counts.rebuilds++;
		b->ready = 1;
		b->touched = 1;
	}
	b->counts.messages++;
	if (b->touched)
		b->dirty = 1;
	b->touched = 0;
	return 0;
}

/* --- the users --- */

/*
 * Sort positive ids: a radix sort, 16 bits a pass, so that 100k owners
 * take a millisecond of the event loop, not qsort's ten.  -1: no memory.
 */
static int
sort_ids(int64_t *a, size_t n)
{
	uint64_t *x = (uint64_t *)a, *tmp = malloc((n ? n : 1) * sizeof *tmp);
	size_t count[65537], i;
	unsigned shift;

	if (tmp == NULL)
		return -1;
	for (shift = 0; shift < 64; shift += 16) {
		memset(count, 0, sizeof count);
		for (i = 0; i < n; i++)
			count[((x[i] >> shift) & 0xffff) + 1]++;
		if (count[((x[0] >> shift) & 0xffff) + 1] == n)
			continue; /* one digit for all: nothing to move */
		for (i = 1; i < 65537; i++)
			count[i] += count[i - 1];
		for (i = 0; i < n; i++)
			tmp[count[(x[i] >> shift) & 0xffff]++] = x[i];
		memcpy(x, tmp, n * sizeof *x);
	}
	free(tmp);
	return 0;
}

/* Owners of untagged peers (and of this node, if untagged), sorted, once. */
static int64_t *
owners(const struct bus *b, size_t *n)
{
	size_t cap = i64map_count(b->peers) + 1, pos = 0, i, k = 0;
	int64_t *ids = malloc(cap * sizeof *ids), key;
	struct peer *p;

	*n = 0;
	if (ids == NULL)
		return NULL;
	while ((p = i64map_next(b->peers, &pos, &key)) != NULL)
		if (p->owner != 0)
			ids[k++] = p->owner;
	if (b->self_known && !b->self_tagged)
		ids[k++] = b->self_owner;
	if (k > 0 && sort_ids(ids, k) < 0) {
		free(ids);
		return NULL;
	}
	for (i = 0; i < k; i++)
		if (*n == 0 || ids[*n - 1] != ids[i])
			ids[(*n)++] = ids[i];
	return ids;
}

static const struct profile *
usable(const struct bus *b, int64_t id)
{
	const struct profile *p = i64map_get(b->profiles, id);

	if (p == NULL || strcmp(p->login, TAGGED_DEVICES) == 0)
		return NULL;
	return p;
}

/*
 * The users, in id order, and what remember() needs of each (its hash),
 * found with one profile lookup per owner.
 */
static int
build(struct bus *b, struct seen **seen)
{
	size_t n, i;
	int64_t *ids = owners(b, &n);
	const struct profile *p;
	struct tsnss_identity *out;

	out = calloc(n ? n : 1, sizeof *out);
	*seen = calloc(n ? n : 1, sizeof **seen);
	if (ids == NULL || out == NULL || *seen == NULL) {
		free(ids);
		free(out);
		free(*seen);
		return -1;
	}
	free(b->out);
	b->out = out;
	b->n_out = 0;
	for (i = 0; i < n; i++) {
		if ((p = usable(b, ids[i])) == NULL)
			continue; /* a profile always comes first; if not, later
				   */
		(*seen)[b->n_out].id = ids[i];
		(*seen)[b->n_out].hash = p->hash;
		out[b->n_out].id = ids[i];
		out[b->n_out].login = p->login;
		out[b->n_out].display_name = p->display;
		out[b->n_out].groups = (const char *const *)p->groups;
		out[b->n_out++].n_groups = p->n_groups;
	}
	free(ids);
	return 0;
}

static void
note_diff(struct bus *b, const struct seen *old, size_t n_old, int *changed)
{
	size_t i = 0, j = 0, noted = 0, more = 0;

	while (i < n_old || j < b->n_seen) {
		const struct seen *o = i < n_old ? &old[i] : NULL;
		const struct seen *n = j < b->n_seen ? &b->seen[j] : NULL;
		const struct profile *p;
		const char *what;
		int64_t id;

		if (n == NULL || (o != NULL && o->id < n->id)) {
			what = "left", id = o->id, i++;
		} else if (o == NULL || n->id < o->id) {
			what = "joined", id = n->id, j++;
		} else {
			i++, j++;
			if (o->hash == n->hash)
				continue;
			what = "changed (name, display name or groups)";
			id = n->id;
		}
		*changed = 1;
		if (!b->published)
			continue; /* the first picture is not news */
		if (noted++ >= NOTES_MAX) {
			more++;
			continue;
		}
		p = i64map_get(b->profiles, id); /* kept for the session */
		if (p != NULL)
			b->note(b->note_arg, "tailnet: %s %s", p->login, what);
		else
			b->note(b->note_arg, "tailnet: user id %" PRId64 " %s",
			    id, what);
	}
	if (more > 0)
		b->note(b->note_arg, "tailnet: and %zu more changes", more);
}

/* Take seen (from build) as what was published; note what changed. */
static void
remember(struct bus *b, struct seen *seen, int *changed)
{
	struct seen *old = b->seen;
	size_t n_old = b->n_seen;

	b->seen = seen;
	b->n_seen = b->n_out;
	*changed = !b->published;
	note_diff(b, old, n_old, changed);
	free(old);
	b->published = 1;
}

const struct tsnss_identity *
bus_users(struct bus *b, size_t *n, int *changed)
{
	struct seen *seen;

	*changed = 0;
	if (b->dirty || b->out == NULL) {
		if (build(b, &seen) < 0) {
			*n = 0;
			return NULL;
		}
		remember(b, seen, changed);
		b->dirty = 0;
	}
	*n = b->n_out;
	return b->out;
}

int
bus_dirty(const struct bus *b)
{
	return b->dirty;
}

void
bus_users_release(struct bus *b)
{
	free(b->out);
	b->out = NULL;
	b->n_out = 0;
}

/* --- life --- */

int
bus_feed(struct bus *b, const char *data, size_t len, char *err, size_t errlen)
{
	return jdoc_feed(b->doc, data, len, err, errlen);
}

int
bus_mid_message(const struct bus *b)
{
	return jscan_mid_document(b->doc->scan);
}

int
bus_ready(const struct bus *b)
{
	return b->ready;
}

const char *
bus_state(const struct bus *b)
{
	return b->state;
}

int
bus_fell_behind(const struct bus *b)
{
	return b->fell_behind;
}

const char *
bus_version(const struct bus *b)
{
	return b->version;
}

void
bus_counts(const struct bus *b, struct bus_counts *c)
{
	*c = b->counts;
}

/*
 * What the last session published stays in `seen`, so that a reconnect
 * that finds the same users reports no change and notes no joins.
 */
void
bus_reset(struct bus *b)
{
	jdoc_reset(b->doc);
	i64map_free(b->staging);
	b->staging = NULL;
	i64map_free(b->peers);
	profiles_free(b->profiles);
	names_free(&b->names); /* no profile points there any more */
	b->peers = i64map_new(sizeof(struct peer));
	b->profiles = i64map_new(sizeof(struct profile));
	memset(&b->pr, 0, sizeof b->pr);
	prof_clear(&b->pf);
	b->self_known = b->self_tagged = 0;
	b->self_owner = 0;
	b->state[0] = b->version[0] = '\0';
	b->ready = b->fell_behind = b->touched = 0;
	b->dirty = 1;
	free(b->out); /* it pointed into the profiles */
	b->out = NULL;
	b->n_out = 0;
	memset(&b->counts, 0, sizeof b->counts);
}

static const struct jdoc_spec spec = {
    .ops = {on_select, on_value, on_end, on_close},
    .stream = 1, /* a message a line */
    .max_value = BUS_MAX_VALUE,
    .max_depth = MAX_DEPTH,
    .tok_flags = JSON_TOKENER_STRICT,
};

struct bus *
bus_new(bus_note_fn *note, void *note_arg)
{
	struct bus *b = calloc(1, sizeof *b);

	if (b == NULL)
		return NULL;
	b->note = note ? note : quiet;
	b->note_arg = note_arg;
	if ((b->doc = jdoc_new(&spec, b)) == NULL) {
		free(b);
		return NULL;
	}
	bus_reset(b);
	if (b->peers == NULL || b->profiles == NULL) {
		bus_free(b);
		return NULL;
	}
	return b;
}

void
bus_free(struct bus *b)
{
	if (b == NULL)
		return;
	jdoc_free(b->doc);
	i64map_free(b->staging);
	i64map_free(b->peers);
	profiles_free(b->profiles);
	names_free(&b->names);
	prof_clear(&b->pf);
	seen_free(b);
	free(b->out);
	free(b);
}
