/*
 * status.c - parse tailscaled's answer to GET /localapi/v0/status.
 *
 * Only BackendState, CurrentTailnet.Name and the User profiles matter
 * here; every other field is ignored so that new tailscaled versions do
 * not break us.  See status.h for what fails a document and what only
 * drops one profile.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/json_object_iterator.h>

#include "status.h"

/*
 * Strict JSON (no trailing commas, leading zeros...), but trailing bytes
 * are checked by hand so that the error can say what went wrong.
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

static int
is_blank(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return 0;
	return 1;
}

static size_t
parse_end(struct json_tokener *tok)
{
#if JSON_C_VERSION_NUM >= ((0 << 16) | (15 << 8))
	return json_tokener_get_parse_end(tok);
#else
	return (size_t)tok->char_offset;
#endif
}

/* json-c calls a UTF-8 sequence cut by the end of input invalid. */
static int
cut_short(enum json_tokener_error jerr, size_t end, size_t len)
{
	if (jerr == json_tokener_continue)
		return 1;
#ifdef JSON_TOKENER_VALIDATE_UTF8
	if (jerr == json_tokener_error_parse_utf8_string && end >= len)
		return 1;
#endif
	return 0;
}

static struct json_object *
parse_json(const char *buf, size_t len, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *root;
	enum json_tokener_error jerr;
	size_t end;

	if (is_blank(buf, len)) {
		set_err(err, errlen, "empty answer");
		return NULL;
	}
	if (len > INT_MAX) {
		set_err(err, errlen, "answer of %zu bytes is too large", len);
		return NULL;
	}
	tok = json_tokener_new_ex(TS_STATUS_MAX_DEPTH);
	if (tok == NULL) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, TOKENER_FLAGS);
	root = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	end = parse_end(tok);
	json_tokener_free(tok);
	if (root == NULL && cut_short(jerr, end, len)) {
		set_err(err, errlen,
		    "truncated JSON: the document is "
		    "incomplete after %zu bytes",
		    len);
		return NULL;
	}
	if (root == NULL) {
		set_err(err, errlen, "bad JSON at byte %zu: %s", end,
		    json_tokener_error_desc(jerr));
		return NULL;
	}
	if (end > len || !is_blank(buf + end, len - end)) {
		json_object_put(root);
		set_err(err, errlen,
		    "trailing data after the JSON document at byte %zu", end);
		return NULL;
	}
	return root;
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

/* Returns NULL if the login is usable, else why not. */
const char *
ts_bad_login(struct json_object *v)
{
	const char *s;
	size_t len, i;

	if (v == NULL)
		return "has no LoginName";
	if (!json_object_is_type(v, json_type_string))
		return "has a LoginName that is not a string";
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
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

#define TS_GROUPS_MAX 1024 /* groups kept per profile */
#define TS_GROUP_NAME_MAX 256

void
ts_groups_free(char **groups, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(groups[i]);
	free(groups);
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
		if (!json_object_is_type(g, json_type_string) ||
		    json_object_get_string_len(g) == 0 ||
		    json_object_get_string_len(g) > TS_GROUP_NAME_MAX ||
		    strlen(json_object_get_string(g)) !=
			(size_t)json_object_get_string_len(g))
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
add_user(struct ts_status *st, const char *key, struct json_object *profile,
    char *err, size_t errlen)
{
	struct ts_user *u = &st->users[st->n_users];
	struct json_object *login;
	const char *display, *why;
	char k[KEY_SHOWN + 4];

	if (!json_object_is_type(profile, json_type_object)) {
		set_err(err, errlen, "User[\"%s\"] is not an object",
		    show_key(key, k, sizeof k));
		return -1;
	}
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
 * Each key equals its ID and JSON keys are unique, so this cannot fire,
 * unless a key hides a NUL ("1\u0000x") that C strings cut away.
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

/* No User map at all is only believable when there is nobody to own. */
static int
check_no_users(struct json_object *root, const struct ts_status *st, char *err,
    size_t errlen)
{
	struct json_object *peers = field(root, "Peer");

	if (strcmp(st->backend_state, "Running") != 0 || peers == NULL)
		return 0;
	if (!json_object_is_type(peers, json_type_object)) {
		set_err(err, errlen, "User is missing and Peer is a %s",
		    json_type_to_name(json_object_get_type(peers)));
		return -1;
	}
	if (json_object_object_length(peers) != 0) {
		set_err(err, errlen, "User is missing but Peer lists %d nodes",
		    json_object_object_length(peers));
		return -1;
	}
	return 0;
}

static int
parse_users(
    struct json_object *root, struct ts_status *st, char *err, size_t errlen)
{
	struct json_object *users = field(root, "User");
	struct json_object_iterator it, end;
	size_t n;

	if (users == NULL)
		return check_no_users(root, st, err, errlen);
	if (!json_object_is_type(users, json_type_object)) {
		set_err(err, errlen, "User is a %s, not an object",
		    json_type_to_name(json_object_get_type(users)));
		return -1;
	}
	n = (size_t)json_object_object_length(users);
	st->users = calloc(n ? n : 1, sizeof *st->users);
	if (st->users == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	it = json_object_iter_begin(users);
	end = json_object_iter_end(users);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
		if (add_user(st, json_object_iter_peek_name(&it),
			json_object_iter_peek_value(&it), err, errlen) < 0)
			return -1;
	qsort(st->users, st->n_users, sizeof *st->users, by_id);
	return check_unique(st, err, errlen);
}

static int
parse_root(
    struct json_object *root, struct ts_status *st, char *err, size_t errlen)
{
	struct json_object *state, *tailnet;
	const char *name;

	if (!json_object_is_type(root, json_type_object)) {
		set_err(err, errlen, "the document is a %s, not an object",
		    json_type_to_name(json_object_get_type(root)));
		return -1;
	}
	state = field(root, "BackendState");
	if (state == NULL || !json_object_is_type(state, json_type_string)) {
		set_err(err, errlen,
		    state == NULL ? "no BackendState"
				  : "BackendState is not a string");
		return -1;
	}
	st->backend_state = strdup(json_object_get_string(state));
	tailnet = field(root, "CurrentTailnet");
	name = tailnet != NULL && json_object_is_type(tailnet, json_type_object)
		   ? string_field(tailnet, "Name")
		   : NULL;
	st->tailnet = name != NULL ? strdup(name) : NULL;
	name = string_field(root, "Version");
	st->version = name != NULL ? strdup(name) : NULL;
	if (st->backend_state == NULL || (name != NULL && !st->version) ||
	    (tailnet != NULL && string_field(tailnet, "Name") &&
		!st->tailnet)) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	return parse_users(root, st, err, errlen);
}

int
ts_status_parse(const char *buf, size_t len, struct ts_status **out, char *err,
    size_t errlen)
{
	struct json_object *root;
	struct ts_status *st;
	int rc;

	*out = NULL;
	root = parse_json(buf, len, err, errlen);
	if (root == NULL)
		return -1;
	st = calloc(1, sizeof *st);
	if (st == NULL) {
		json_object_put(root);
		set_err(err, errlen, "out of memory");
		return -1;
	}
	rc = parse_root(root, st, err, errlen);
	json_object_put(root);
	if (rc < 0) {
		ts_status_free(st);
		return -1;
	}
	*out = st;
	return 0;
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
