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
#else
#define TOKENER_FLAGS (JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS)
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

static const char *
string_field(struct json_object *obj, const char *name)
{
	struct json_object *v = field(obj, name);

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
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

static int
user_id(const char *key, struct json_object *profile, int64_t *id, char *err,
    size_t errlen)
{
	struct json_object *v = field(profile, "ID");
	char k[KEY_SHOWN + 4], want[32];

	show_key(key, k, sizeof k);
	if (v == NULL) {
		set_err(err, errlen, "User[\"%s\"] has no ID", k);
		return -1;
	}
	if (!json_object_is_type(v, json_type_int)) {
		set_err(err, errlen, "User[\"%s\"].ID is a %s, not an integer",
		    k, json_type_to_name(json_object_get_type(v)));
		return -1;
	}
	if (ts_json_id(v, id) < 0 && (*id >= 1 || *id == INT64_MIN)) {
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
 * The parser of one answer, a jdoc's state.  jscan follows the document's
 * structure; only the values kept are captured, each small, and read with
 * json-c: BackendState, Version, CurrentTailnet, and each User profile.
 * Peers are skipped one by one and only counted.  Errors found in a
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
add_user(struct status_read *sp, const char *key, struct json_object *profile,
    char *err, size_t errlen)
{
	struct ts_status *st = sp->result;
	struct ts_user *u;
	struct json_object *login;
	const char *display, *why;
	char k[KEY_SHOWN + 4];

	if (!json_object_is_type(profile, json_type_object)) {
		set_err(err, errlen, "User[\"%s\"] is not an object",
		    show_key(key, k, sizeof k));
		return -1;
	}
	if (jdoc_room(&st->users, &sp->cap, st->n_users, sizeof *st->users) <
	    0) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	u = &st->users[st->n_users];
	memset(u, 0, sizeof *u);
	if (user_id(key, profile, &u->id, err, errlen) < 0)
		return -1;
	login = field(profile, "LoginName");
	display = string_field(profile, "DisplayName");
	why = ts_bad_login(login);
	if (why != NULL) {
		if (skip_user(st, key, why) == 0)
			return 0;
		set_err(err, errlen, "out of memory");
		return -1;
	}
	u->login = strdup(json_object_get_string(login));
	u->display_name = strdup(display != NULL ? display : "");
	st->n_users++; /* now owned by st, freed with it even if NULL */
	if (u->login == NULL || u->display_name == NULL ||
	    ts_groups(profile, &u->groups, &u->n_groups) < 0) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	return 0;
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

	snprintf(out, len, "%s", raw);
	if (strchr(raw, '\\') == NULL)
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

static int
on_value(const struct jscan_path *p, const char *buf, size_t len, void *arg)
{
	struct jdoc *d = arg;
	struct status_read *sp = d->state;
	char key[JSCAN_KEY_MAX + 1], what[KEY_SHOWN + 32], *err = d->err;
	struct json_object *o;
	int rc;

	if (p->depth == 2) {
		decode_key(d->tok, p->key[1], key, sizeof key);
		snprintf(what, sizeof what, "bad JSON in User[\"%s\"]",
		    show_key(key, (char[KEY_SHOWN + 4]){0}, KEY_SHOWN + 4));
	} else {
		snprintf(what, sizeof what, "bad JSON in %s", p->key[0]);
	}
	o = jdoc_value(d, buf, len, what);
	if (o == NULL && err[0] != '\0')
		return -1;
	if (p->depth == 2)
		rc = add_user(sp, key, o, err, sizeof d->err);
	else if ((rc = top_value(sp, p->key[0], o)) < 0)
		set_err(err, sizeof d->err, "out of memory");
	json_object_put(o);
	return rc;
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
	if (p->depth == 2)
		return JSCAN_CAPTURE; /* a User profile */
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

JDOC_PARSER(ts_status_parser, struct status_read, struct ts_status,
    ts_status_free, TS_STATUS_MAX_VALUE, TS_STATUS_MAX_DEPTH,
    .tok_flags = TOKENER_FLAGS, .prefix = "bad JSON: ")

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
