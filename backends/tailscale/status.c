/*
 * status.c - parse tailscaled's answer to GET /localapi/v0/status.
 *
 * Only BackendState, CurrentTailnet.Name and the User profiles matter
 * here; every other field is ignored so that new tailscaled versions do
 * not break us.  The answer is read as it arrives (jscan.c, as the IPN
 * bus is): at 100k users it is ~140 MB, mostly peers, and a json-c tree
 * of it took 900 MB.  See status.h for what fails a document and what
 * only drops one profile.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jdoc.h"
#include "status.h"

/*
 * A captured value in strict JSON (no leading zeros, valid UTF-8...); it
 * is followed by its NUL, which ends a bare number.
 */
#ifdef JSON_TOKENER_VALIDATE_UTF8
#define TOKENER_FLAGS                                                          \
	(JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |             \
	    JSON_TOKENER_VALIDATE_UTF8)
#define CHECK_UTF8 1 /* and a profile's strings, read here, as json-c would */
#else
#define TOKENER_FLAGS (JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS)
#define CHECK_UTF8 0
#endif

#define KEY_SHOWN 24 /* bytes of a bad key quoted in an error */

#define STR_(x) #x
#define STR(x) STR_(x)

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A JSON null counts as absent: Go writes nil maps and pointers so. */
static struct json_object *
field(struct json_object *obj, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, name, &v))
		return NULL;
	return v;
}

/* Keys come from the wire: quote a short, printable prefix of them. */
static const char *
show_key(const char *key, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; key[i] != '\0' && i < KEY_SHOWN && i + 4 < outlen; i++)
		out[i] = key[i] >= 0x20 && key[i] < 0x7f && key[i] != '"'
			     ? key[i]
			     : '?';
	out[i] = '\0';
	if (key[i] != '\0')
		strcpy(out + i, "...");
	return out;
}

/*
 * json-c clamps integers beyond int64 to INT64_MIN/INT64_MAX without
 * telling, so the extremes cannot be told from an overflow.
 */
int
ts_json_id(struct json_object *v, int64_t *id)
{
	*id = 0;
	if (v == NULL || !json_object_is_type(v, json_type_int))
		return -1;
	errno = 0;
	*id = json_object_get_int64(v);
	if (errno != 0 || *id == INT64_MAX || *id == INT64_MIN || *id < 1)
		return -1;
	return 0;
}

const char *
ts_bad_login_bytes(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return "has an empty LoginName";
	if (len > TS_LOGIN_MAX)
		return "has a LoginName longer than " STR(
		    TS_LOGIN_MAX) " bytes";
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "has control characters in its LoginName";
	return NULL;
}

/* Returns NULL if the login is usable, else why not. */
const char *
ts_bad_login(struct json_object *v)
{
	if (v == NULL)
		return "has no LoginName";
	if (!json_object_is_type(v, json_type_string))
		return "has a LoginName that is not a string";
	return ts_bad_login_bytes(
	    json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

void
ts_groups_free(char **groups, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(groups[i]);
	free(groups);
}

int
ts_group_name_ok(const char *s, size_t len)
{
	return len > 0 && len <= TS_GROUP_NAME_MAX &&
	       memchr(s, '\0', len) == NULL;
}

int
ts_group_ok(struct json_object *g)
{
	return json_object_is_type(g, json_type_string) &&
	       ts_group_name_ok(json_object_get_string(g),
		   (size_t)json_object_get_string_len(g));
}

int
ts_groups(struct json_object *profile, char ***groups, size_t *n)
{
	struct json_object *a = field(profile, "Groups"), *g;
	size_t i, len;

	*groups = NULL;
	*n = 0;
	if (a == NULL || !json_object_is_type(a, json_type_array))
		return 0;
	len = json_object_array_length(a);
	if (len > TS_GROUPS_MAX)
		len = TS_GROUPS_MAX;
	if (len == 0 || (*groups = calloc(len, sizeof **groups)) == NULL)
		return len == 0 ? 0 : -1;
	for (i = 0; i < len; i++) {
		g = json_object_array_get_idx(a, i);
		if (!ts_group_ok(g))
			continue;
		if (((*groups)[*n] = strdup(json_object_get_string(g))) ==
		    NULL) {
			ts_groups_free(*groups, *n);
			*groups = NULL;
			*n = 0;
			return -1;
		}
		(*n)++;
	}
	return 0;
}

/*
 * A User profile, read member by member as it passes: 100k profiles are
 * too many to build a json-c object for.  The last of duplicate members
 * counts, as in a json-c object.
 */
enum { P_OTHER, P_ID, P_LOGIN, P_DISPLAY, P_GROUPS };

struct prof {
	int member;	       /* the member captured: P_* */
	char id_type;	       /* first byte of a non-number ID, 'n' absent */
	int id_double;	       /* a number with a fraction or an exponent */
	int64_t id;	       /* clamped to int64, as json-c does */
	int login_type;	       /* '"', or the first byte of a non-string */
	const char *login_bad; /* why LoginName is unusable, or NULL */
	char *login, *display;
	char **groups;		      /* names; the list is reused */
	size_t n_groups, cap, looked; /* looked: elements of Groups seen */
};

static void
prof_groups_drop(struct prof *r)
{
	while (r->n_groups > 0)
		free(r->groups[--r->n_groups]);
}

/* A new profile: what the last one read is forgotten, its list reused. */
static void
prof_clear(struct prof *r)
{
	char **groups = r->groups;
	size_t cap = r->cap;

	free(r->login);
	free(r->display);
	prof_groups_drop(r);
	memset(r, 0, sizeof *r);
	r->groups = groups;
	r->cap = cap;
	r->id_type = 'n';
	r->login_type = 'n';
}

static void
prof_free(struct prof *r)
{
	prof_clear(r);
	free(r->groups);
	r->groups = NULL;
	r->cap = 0;
}

/*
 * The parser of one answer, a jdoc's state.  jscan follows the document's
 * structure; BackendState, Version and CurrentTailnet are captured and
 * read with json-c, each User profile is read member by member (struct
 * prof), bounded by TS_STATUS_MAX_VALUE as a whole.  Peers are skipped
 * one by one and only counted.  Errors found in a
 * callback wait in the jdoc's err until jdoc_feed() returns.
 */
struct status_read {
	struct ts_status *result;
	size_t cap;	 /* result.users allocated */
	int state_bad;	 /* BackendState is there but not a string */
	int users_seen;	 /* a User map began */
	char users_type; /* first byte of a User that is no map, or 0 */
	int peers_seen;	 /* a Peer map began */
	char peers_type; /* first byte of a Peer that is no map, or 0 */
	size_t n_peers;
	struct prof prof; /* the User profile under way */
};

static int
skip_user(struct ts_status *st, const char *key, const char *why)
{
	char k[KEY_SHOWN + 4], msg[128];

	st->n_skipped++;
	if (st->skip_reason != NULL)
		return 0;
	snprintf(msg, sizeof msg, "User[\"%s\"] %s", show_key(key, k, sizeof k),
	    why);
	st->skip_reason = strdup(msg);
	return st->skip_reason != NULL ? 0 : -1;
}

static int
by_id(const void *a, const void *b)
{
	const struct ts_user *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/*
 * Each key equals its ID, so this cannot fire unless a key hides a NUL
 * ("1\u0000x") that C strings cut away, or the document has two User maps.
 */
static int
check_unique(const struct ts_status *st, char *err, size_t errlen)
{
	size_t i;

	for (i = 1; i < st->n_users; i++)
		if (st->users[i].id == st->users[i - 1].id) {
			set_err(err, errlen,
			    "two User profiles have ID %" PRId64,
			    st->users[i].id);
			return -1;
		}
	return 0;
}

/* What json-c would call a value that begins with this byte. */
static const char *
type_name(char first)
{
	switch (first) {
	case '{':
		return "object";
	case '[':
		return "array";
	case '"':
		return "string";
	case 't':
	case 'f':
		return "boolean";
	default:
		return "number";
	}
}

/* No User map at all is only believable when there is nobody to own. */
static int
check_no_users(const struct status_read *sp, char *err, size_t errlen)
{
	if (strcmp(sp->result->backend_state, "Running") != 0)
		return 0;
	if (sp->peers_type != 0) {
		set_err(err, errlen, "User is missing and Peer is a %s",
		    type_name(sp->peers_type));
		return -1;
	}
	if (sp->n_peers != 0) {
		set_err(err, errlen, "User is missing but Peer lists %zu nodes",
		    sp->n_peers);
		return -1;
	}
	return 0;
}

/* A JSON key as jscan kept it (escapes and all), decoded as json-c would. */
static void
decode_key(struct json_tokener *tok, const char *raw, char *out, size_t len)
{
	char quoted[JSCAN_KEY_MAX + 4];
	struct json_object *o;

	size_t n = strnlen(raw, len - 1);

	memcpy(out, raw, n); /* once per profile and member: no snprintf */
	out[n] = '\0';
	if (memchr(raw, '\\', n) == NULL)
		return;
	snprintf(quoted, sizeof quoted, "\"%s\"", raw);
	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, quoted, (int)strlen(quoted) + 1);
	if (o != NULL && json_object_is_type(o, json_type_string))
		snprintf(out, len, "%s", json_object_get_string(o));
	json_object_put(o);
}

/* A string at the top level: NULL (absent), a copy, or -1 out of memory. */
static int
top_string(struct json_object *o, char **out)
{
	char *copy = NULL;

	if (o != NULL && json_object_is_type(o, json_type_string) &&
	    (copy = strdup(json_object_get_string(o))) == NULL)
		return -1;
	free(*out);
	*out = copy;
	return 0;
}

/* BackendState, Version or CurrentTailnet; the last one given counts. */
static int
top_value(struct status_read *sp, const char *k, struct json_object *o)
{
	struct ts_status *st = sp->result;
	struct json_object *name = NULL;

	if (strcmp(k, "BackendState") == 0) {
		sp->state_bad =
		    o != NULL && !json_object_is_type(o, json_type_string);
		return top_string(o, &st->backend_state);
	}
	if (strcmp(k, "Version") == 0)
		return top_string(o, &st->version);
	if (o != NULL && json_object_is_type(o, json_type_object))
		name = field(o, "Name");
	return top_string(name, &st->tailnet);
}

/* User and Peer are maps, or null; anything else is noted. */
static enum jscan_want
select_map(int *seen, char *type, char first, char *err, size_t errlen)
{
	if (first == 'n')
		return JSCAN_SKIP;
	if (*seen || *type != 0) {
		set_err(err, errlen, "the document has User or Peer twice");
		return JSCAN_SKIP;
	}
	if (first != '{') {
		*type = first;
		return JSCAN_SKIP;
	}
	*seen = 1;
	return JSCAN_DESCEND;
}

/* The profile's ID: an integer from 1 to INT64_MAX - 1 equal to its key. */
static int
user_id(const char *key, const struct prof *r, int64_t *id, char *err,
    size_t errlen)
{
	char k[KEY_SHOWN + 4], want[32];

	*id = r->id;
	if (r->id_type == '0' && !r->id_double && *id >= 1 && *id < INT64_MAX &&
	    jdoc_key_is_id(key, *id))
		return 0; /* nearly always: the words below are for the rest */
	show_key(key, k, sizeof k);
	if (r->id_type == 'n') {
		set_err(err, errlen, "User[\"%s\"] has no ID", k);
		return -1;
	}
	if (r->id_type != '0' || r->id_double) {
		set_err(err, errlen, "User[\"%s\"].ID is a %s, not an integer",
		    k, r->id_double ? "double" : type_name(r->id_type));
		return -1;
	}
	if (*id == INT64_MAX || *id == INT64_MIN) {
		set_err(err, errlen, "User[\"%s\"].ID is out of range", k);
		return -1;
	}
	if (*id < 1) {
		set_err(err, errlen,
		    "User[\"%s\"].ID %" PRId64 " is not positive", k, *id);
		return -1;
	}
	snprintf(want, sizeof want, "%" PRId64, *id);
	if (strcmp(key, want) != 0) {
		set_err(err, errlen, "User[\"%s\"] holds the profile of ID %s",
		    k, want);
		return -1;
	}
	return 0;
}

/*
 * An ID literal as json-c reads it: a fraction or an exponent makes a
 * double, and an integer past int64 is clamped to INT64_MIN or INT64_MAX.
 */
static void
id_number(struct prof *r, const char *buf)
{
	int neg = *buf == '-';
	uint64_t v = 0, lim = (uint64_t)INT64_MAX + (uint64_t)neg, d;
	const char *c;

	r->id_type = '0';
	r->id_double = strpbrk(buf, ".eE") != NULL;
	for (c = buf + neg; *c >= '0' && *c <= '9'; c++) {
		d = (uint64_t)(*c - '0');
		v = v > (lim - d) / 10 ? lim : v * 10 + d;
	}
	if (!neg)
		r->id = (int64_t)v;
	else
		r->id = v == lim ? INT64_MIN : -(int64_t)v;
}

/* Why LoginName is unusable, or NULL. */
static const char *
login_why(const struct prof *r)
{
	if (r->login_type == 'n')
		return "has no LoginName";
	if (r->login_type != '"')
		return "has a LoginName that is not a string";
	return r->login_bad;
}

/* The profile read, under key: a user, skipped, or the document refused. */
static int
profile_done(struct status_read *sp, const char *key, char *err, size_t errlen)
{
	struct ts_status *st = sp->result;
	struct prof *r = &sp->prof;
	struct ts_user *u;
	const char *why;
	char **groups = NULL;
	int64_t id;

	if (user_id(key, r, &id, err, errlen) < 0)
		return -1;
	if ((why = login_why(r)) != NULL) {
		if (skip_user(st, key, why) == 0)
			return 0;
		set_err(err, errlen, "out of memory");
		return -1;
	}
	if (jdoc_room(&st->users, &sp->cap, st->n_users, sizeof *st->users) <
		0 ||
	    (r->display == NULL && (r->display = strdup("")) == NULL) ||
	    (r->n_groups > 0 &&
		(groups = malloc(r->n_groups * sizeof *groups)) == NULL)) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	u = &st->users[st->n_users++];
	u->id = id;
	u->login = r->login;
	u->display_name = r->display;
	if (groups != NULL) /* the names move, the list is the profile's own */
		memcpy(groups, r->groups, r->n_groups * sizeof *groups);
	u->groups = groups;
	u->n_groups = r->n_groups;
	r->login = r->display = NULL;
	r->n_groups = 0;
	return 0;
}

/*
 * Whether s holds well-formed UTF-8, as json-c checks a captured value:
 * a profile's strings are read here, not by json-c.
 */
static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, more;
	uint32_t c;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		more = s[i] >= 0xf0   ? 3
		       : s[i] >= 0xe0 ? 2
		       : s[i] >= 0xc0 ? 1
				      : 0;
		if (more == 0 || s[i] > 0xf4 || n - i <= more)
			return 0;
		c = s[i] & (0x3f >> more);
		for (k = 1; k <= more; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if (c < (more == 1	? 0x80u
			    : more == 2 ? 0x800u
					: 0x10000u) ||
		    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
			return 0;
		i += more + 1;
	}
	return 1;
}

/* A captured string of the profile, decoded; NULL with d->err set. */
static const char *
prof_string(struct jdoc *d, const char *key, const char *buf, size_t len,
    size_t *n, struct json_object **o)
{
	const char *s = jdoc_string(d, buf, len, n, o);
	char k[KEY_SHOWN + 4], decoded[JSCAN_KEY_MAX + 1];

	if (s == NULL || (*o == NULL && CHECK_UTF8 &&
			     !utf8_ok((const unsigned char *)s, *n))) {
		decode_key(d->tok, key, decoded, sizeof decoded);
		set_err(d->err, sizeof d->err,
		    "bad JSON in User[\"%s\"]: invalid UTF-8 or escape",
		    show_key(decoded, k, sizeof k));
		return NULL;
	}
	return s;
}

/* A name of Groups, if it is one, kept. */
static int
prof_group(struct prof *r, const char *s, size_t n)
{
	if (!ts_group_name_ok(s, n))
		return 0;
	if (jdoc_room(&r->groups, &r->cap, r->n_groups, sizeof *r->groups) <
		0 ||
	    (r->groups[r->n_groups] = strndup(s, n)) == NULL)
		return -1;
	r->n_groups++;
	return 0;
}

/* A member select_prof_member() captured, or an element of Groups. */
static int
prof_value(
    struct jdoc *d, const char *key, int in_groups, const char *buf, size_t len)
{
	struct prof *r = &((struct status_read *)d->state)->prof;
	struct json_object *o = NULL;
	const char *s;
	size_t n;
	int rc = 0;

	if (!in_groups && r->member == P_ID) {
		id_number(r, buf);
		return 0;
	}
	if ((s = prof_string(d, key, buf, len, &n, &o)) == NULL) {
		json_object_put(o);
		return -1;
	}
	if (in_groups)
		rc = prof_group(r, s, n);
	else if (r->member == P_DISPLAY)
		rc = (r->display = strndup(s, n)) != NULL ? 0 : -1;
	else if ((r->login_bad = ts_bad_login_bytes(s, n)) == NULL)
		rc = (r->login = strndup(s, n)) != NULL ? 0 : -1;
	json_object_put(o);
	if (rc < 0)
		set_err(d->err, sizeof d->err, "out of memory");
	return rc;
}

static int
on_value(const struct jscan_path *p, const char *buf, size_t len, void *arg)
{
	struct jdoc *d = arg;
	struct status_read *sp = d->state;
	char what[KEY_SHOWN + 32], *err = d->err;
	struct json_object *o;
	int rc;

	if (p->depth >= 3) /* the key is decoded for an error only */
		return prof_value(d, p->key[1], p->depth == 4, buf, len);
	snprintf(what, sizeof what, "bad JSON in %s", p->key[0]);
	o = jdoc_value(d, buf, len, what);
	if (o == NULL && err[0] != '\0')
		return -1;
	if ((rc = top_value(sp, p->key[0], o)) < 0)
		set_err(err, sizeof d->err, "out of memory");
	json_object_put(o);
	return rc;
}

/* The end of a profile's object: it is read whole. */
static int
on_close(const struct jscan_path *p, void *arg)
{
	struct jdoc *d = arg;
	struct status_read *sp = d->state;
	char key[JSCAN_KEY_MAX + 1];
	int rc;

	if (p->depth != 2 || strcmp(p->key[0], "User") != 0)
		return 0;
	decode_key(d->tok, p->key[1], key, sizeof key);
	rc = profile_done(sp, key, d->err, sizeof d->err);
	prof_clear(&sp->prof);
	return rc;
}

/* Which member of a profile a key names, P_*; most keys differ at once. */
static int
prof_name_of(const char *k)
{
	static const char *const names[] = {
	    "", "ID", "LoginName", "DisplayName", "Groups"};
	int i;

	for (i = P_ID; i <= P_GROUPS; i++)
		if (k[0] == names[i][0] && strcmp(k, names[i]) == 0)
			return i;
	return P_OTHER;
}

/* The same of a key as jscan kept it: decoded as json-c would if escaped. */
static int
prof_member_of(struct jdoc *d, const char *raw)
{
	char key[JSCAN_KEY_MAX + 1];
	int m = prof_name_of(raw);

	if (m != P_OTHER || strchr(raw, '\\') == NULL)
		return m;
	jdoc_key(d, raw, key, sizeof key);
	return prof_name_of(key);
}

/*
 * A member of the profile under way: what it is noted at once if it is
 * not captured (null is absent), as a json-c object would have said.
 */
static enum jscan_want
select_prof_member(struct jdoc *d, struct prof *r, const char *k, char first)
{
	switch ((r->member = prof_member_of(d, k))) {
	case P_ID:
		r->id_type = first;
		r->id_double = 0;
		return first == '-' || (first >= '0' && first <= '9')
			   ? JSCAN_CAPTURE
			   : JSCAN_SKIP;
	case P_LOGIN:
		free(r->login);
		r->login = NULL;
		r->login_type = first;
		return first == '"' ? JSCAN_CAPTURE : JSCAN_SKIP;
	case P_DISPLAY:
		free(r->display);
		r->display = NULL;
		return first == '"' ? JSCAN_CAPTURE : JSCAN_SKIP;
	case P_GROUPS:
		prof_groups_drop(r); /* the last Groups counts */
		r->looked = 0;
		return first == '[' ? JSCAN_DESCEND : JSCAN_SKIP;
	}
	return JSCAN_SKIP;
}

/* An element of Groups: the first TS_GROUPS_MAX are looked at. */
static enum jscan_want
select_group(struct prof *r, char first)
{
	if (r->looked >= TS_GROUPS_MAX)
		return JSCAN_SKIP;
	r->looked++;
	return first == '"' ? JSCAN_CAPTURE : JSCAN_SKIP;
}

/* A value of the User map: a profile, read member by member, or wrong. */
static enum jscan_want
select_profile(struct jdoc *d, const char *raw_key, char first)
{
	struct status_read *sp = d->state;
	char key[JSCAN_KEY_MAX + 1], k[KEY_SHOWN + 4];

	if (first == '{') {
		prof_clear(&sp->prof);
		return JSCAN_DESCEND_BOUNDED;
	}
	decode_key(d->tok, raw_key, key, sizeof key);
	set_err(d->err, sizeof d->err, "User[\"%s\"] is not an object",
	    show_key(key, k, sizeof k));
	return JSCAN_SKIP;
}

static enum jscan_want
on_select(const struct jscan_path *p, char first, void *arg)
{
	struct jdoc *d = arg;
	struct status_read *sp = d->state;
	const char *k = p->key[0];
	char *err = d->err;

	if (p->depth == 2 && strcmp(k, "Peer") == 0) {
		sp->n_peers++;
		return JSCAN_SKIP;
	}
	if (p->depth == 2) /* a User profile */
		return select_profile(d, p->key[1], first);
	if (p->depth == 3) /* only profiles are descended at depth 2 */
		return select_prof_member(d, &sp->prof, p->key[2], first);
	if (p->depth == 4) /* ... and Groups in them */
		return select_group(&sp->prof, first);
	if (p->depth != 1)
		return JSCAN_SKIP;
	if (strcmp(k, "User") == 0)
		return select_map(&sp->users_seen, &sp->users_type, first, err,
		    sizeof d->err);
	if (strcmp(k, "Peer") == 0)
		return select_map(&sp->peers_seen, &sp->peers_type, first, err,
		    sizeof d->err);
	if (strcmp(k, "BackendState") == 0 || strcmp(k, "Version") == 0 ||
	    strcmp(k, "CurrentTailnet") == 0)
		return JSCAN_CAPTURE;
	return JSCAN_SKIP;
}

/* A profile cut short by the end of the answer is forgotten. */
static void
status_read_clear(void *state)
{
	prof_free(&((struct status_read *)state)->prof);
}

JDOC_PARSER(ts_status_parser, struct status_read, struct ts_status,
    ts_status_free, TS_STATUS_MAX_VALUE, TS_STATUS_MAX_DEPTH,
    .tok_flags = TOKENER_FLAGS, .state_clear = status_read_clear,
    .prefix = "bad JSON: ")

static int
check_state(const struct jdoc *d, const struct status_read *sp, char *err,
    size_t errlen)
{
	if (!jdoc_ended(d, err, errlen))
		return -1;
	if (sp->result->backend_state == NULL) {
		set_err(err, errlen,
		    sp->state_bad ? "BackendState is not a string"
				  : "no BackendState");
		return -1;
	}
	return 0;
}

int
ts_status_parser_finish(
    struct jdoc *d, struct ts_status **out, char *err, size_t errlen)
{
	struct status_read *sp = d->state;
	struct ts_status *st = sp->result;

	*out = NULL;
	if (check_state(d, sp, err, errlen) < 0)
		return -1;
	if (sp->users_type != 0) {
		set_err(err, errlen, "User is a %s, not an object",
		    type_name(sp->users_type));
		return -1;
	}
	if (!sp->users_seen && check_no_users(sp, err, errlen) < 0)
		return -1;
	if (st->n_users > 0)
		qsort(st->users, st->n_users, sizeof *st->users, by_id);
	if (check_unique(st, err, errlen) < 0)
		return -1;
	*out = jdoc_take(d);
	return 0;
}

int
ts_status_parse(const char *buf, size_t len, struct ts_status **out, char *err,
    size_t errlen)
{
	struct jdoc *d = ts_status_parser_new();
	int rc = -1;

	*out = NULL;
	if (d == NULL)
		set_err(err, errlen, "out of memory");
	else if (jdoc_feed(d, buf, len, err, errlen) == 0)
		rc = ts_status_parser_finish(d, out, err, errlen);
	jdoc_free(d);
	return rc;
}

void
ts_status_free(struct ts_status *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n_users; i++) {
		free(st->users[i].login);
		free(st->users[i].display_name);
		ts_groups_free(st->users[i].groups, st->users[i].n_groups);
	}
	free(st->users);
	free(st->backend_state);
	free(st->tailnet);
	free(st->version);
	free(st->skip_reason);
	free(st);
}
