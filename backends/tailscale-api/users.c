/*
 * users.c - the control-plane API's user list, read as it arrives:
 * jdoc (shared with the tailscale backend) cuts it into entries, json-c
 * reads each entry.  100k users are tens of MB of JSON, never held whole.
 *
 * Every bound is explicit: the body is capped by the plugin as it
 * arrives (max_answer_bytes), the nesting depth and an entry's size are
 * capped here, and a field
 * of the wrong type or with an embedded NUL makes its entry odd, never
 * the whole answer wrong: one strange user must not hide everyone else.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jdoc.h"
#include "users.h"

/* {"users":[{...}]} needs 3 levels; leave room for unknown members. */
#define MAX_DEPTH 16
#define PSEUDO_USER "tagged-devices"
#define LOGIN_MAX 256 /* bytes, as the tailscale backend's */
#define WORD_MAX 64   /* role, status, type */
/* one entry of users, at most: a user is a few hundred bytes */
#define ENTRY_MAX (64u * 1024)

int
api_parse_id(const char *s, size_t len, int64_t *out)
{
	char buf[24], *end;
	long long v;
	size_t i;

	if (len == 0 || len > 19)
		return -1;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/*
 * The spec says a string of digits; a number is taken too, but only an
 * exact positive integer: json-c saturates a larger one at INT64_MAX,
 * which is therefore refused rather than trusted.
 */
static int
read_id(struct json_object *o, int64_t *out)
{
	int64_t v;

	switch (json_object_get_type(o)) {
	case json_type_string:
		return api_parse_id(json_object_get_string(o),
		    (size_t)json_object_get_string_len(o), out);
	case json_type_int:
		errno = 0;
		v = json_object_get_int64(o);
		if (errno != 0 || v < 1 || v == INT64_MAX)
			return -1;
		*out = v;
		return 0;
	default:
		return -1;
	}
}

/* Text that goes into logs and names: bounded, no control bytes. */
static int
clean(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * A string member: NULL with *bad unset when absent or null, NULL with
 * *bad set when of another type or holding a NUL.
 */
static const char *
member_str(struct json_object *o, const char *key, int *bad)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		*bad = 1;
		return NULL;
	}
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v)) {
		*bad = 1;
		return NULL;
	}
	return s;
}

static void
note_odd(struct api_users *u, const char *why)
{
	u->n_odd++;
	if (u->odd_reason == NULL)
		u->odd_reason = strdup(why);
}

enum verdict { KEEP, INACTIVE, PSEUDO, ODD };

static enum verdict
judge_status(const char *status)
{
	static const char *const gone[] = {
	    "suspended", "needs-approval", "over-billing-limit"};
	size_t i;

	if (strcmp(status, "active") == 0 || strcmp(status, "idle") == 0)
		return KEEP;
	for (i = 0; i < sizeof gone / sizeof gone[0]; i++)
		if (strcmp(status, gone[i]) == 0)
			return INACTIVE;
	return ODD;
}

struct fields {
	int64_t id;
	const char *login, *display, *role, *status, *type;
};

static enum verdict
read_fields(struct json_object *o, struct fields *f, const char **why)
{
	struct json_object *id;
	int bad = 0;

	if (!json_object_is_type(o, json_type_object))
		return *why = "an entry of users is not an object", ODD;
	f->login = member_str(o, "loginName", &bad);
	f->display = member_str(o, "displayName", &bad);
	f->role = member_str(o, "role", &bad);
	f->status = member_str(o, "status", &bad);
	f->type = member_str(o, "type", &bad);
	if (bad)
		return *why = "a user has a member of the wrong type", ODD;
	if (f->login == NULL || f->login[0] == '\0')
		return *why = "a user has no loginName", ODD;
	if (!clean(f->login, LOGIN_MAX))
		return *why = "a loginName is too long or has control "
			      "characters",
		       ODD;
	if ((f->role && !clean(f->role, WORD_MAX)) ||
	    (f->status && !clean(f->status, WORD_MAX)) ||
	    (f->type && !clean(f->type, WORD_MAX)))
		return *why = "a role, status or type is too long or has "
			      "control characters",
		       ODD;
	if (strcmp(f->login, PSEUDO_USER) == 0)
		return PSEUDO;
	if (!json_object_object_get_ex(o, "id", &id) || read_id(id, &f->id))
		return *why = "a user's id is not a decimal int64", ODD;
	if (f->status == NULL)
		return *why = "a user has no status", ODD;
	if (judge_status(f->status) == ODD)
		return *why = "a user has an unknown status", ODD;
	return judge_status(f->status);
}

static int
keep(struct api_users *u, const struct fields *f)
{
	struct api_user *a = &u->users[u->n];

	a->id = f->id;
	a->login = strdup(f->login);
	a->display_name = strdup(f->display ? f->display : "");
	a->status = strdup(f->status);
	a->role = f->role ? strdup(f->role) : NULL;
	a->type = f->type ? strdup(f->type) : NULL;
	u->n++;
	if (a->login == NULL || a->display_name == NULL || a->status == NULL ||
	    (f->role && a->role == NULL) || (f->type && a->type == NULL))
		return -1;
	return 0;
}

static int
add_entry(struct api_users *u, struct json_object *o)
{
	struct fields f = {0};
	const char *why = NULL;

	switch (read_fields(o, &f, &why)) {
	case KEEP:
		return keep(u, &f);
	case INACTIVE:
		u->n_inactive++;
		return 0;
	case PSEUDO:
		u->n_pseudo++;
		return 0;
	case ODD:
		note_odd(u, why);
		return 0;
	}
	return 0;
}

static int
by_id(const void *a, const void *b)
{
	const struct api_user *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void
user_clear(struct api_user *a)
{
	free(a->login);
	free(a->display_name);
	free(a->role);
	free(a->status);
	free(a->type);
}

/* Two users with one id: neither can be trusted to be the right one. */
static void
drop_duplicates(struct api_users *u)
{
	size_t i = 0, o = 0, j;

	if (u->n > 0)
		qsort(u->users, u->n, sizeof *u->users, by_id);
	while (i < u->n) {
		for (j = i + 1; j < u->n && u->users[j].id == u->users[i].id;)
			j++;
		if (j - i == 1) {
			u->users[o++] = u->users[i];
		} else {
			for (; i < j; i++) {
				note_odd(u, "two users have the same id");
				user_clear(&u->users[i]);
			}
		}
		i = j;
	}
	u->n = o;
}

/*
 * The parser of one answer, a jdoc's state: jscan follows the document,
 * each entry of users is captured (bounded by ENTRY_MAX) and read with
 * json-c on its own, so the list is never held whole.  Errors found in a
 * callback wait in the jdoc's err until jdoc_feed() returns.
 */
struct users_read {
	struct api_users *result;
	size_t cap; /* result.users allocated */
	int lists;  /* "users" arrays met */
};

static int
on_value(const struct jscan_path *path, const char *buf, size_t len, void *arg)
{
	struct jdoc *d = arg;
	struct users_read *p = d->state;
	struct json_object *o;
	int rc;

	(void)path;
	o = jdoc_value(d, buf, len, "an entry of users");
	if (o == NULL && d->err[0] != '\0')
		return -1;
	if ((rc = jdoc_room(&p->result->users, &p->cap, p->result->n,
		 sizeof *p->result->users)) == 0)
		rc = add_entry(p->result, o);
	if (rc < 0)
		snprintf(d->err, sizeof d->err, "out of memory");
	json_object_put(o);
	return rc;
}

static enum jscan_want
on_select(const struct jscan_path *path, char first, void *arg)
{
	struct jdoc *d = arg;
	struct users_read *p = d->state;

	if (path->depth == 2)
		return JSCAN_CAPTURE;
	if (path->depth != 1 || strcmp(path->key[0], "users") != 0)
		return JSCAN_SKIP;
	if (first != '[')
		return JSCAN_SKIP;
	if (++p->lists > 1)
		snprintf(d->err, sizeof d->err, "two \"users\" arrays");
	return JSCAN_DESCEND;
}

/* a JSON value that is not an object: a well-formed answer of no users */
JDOC_PARSER(api_users_parser, struct users_read, struct api_users,
    api_users_free, ENTRY_MAX, MAX_DEPTH, .tok_flags = JSON_TOKENER_STRICT,
    .not_object = "no \"users\" array in the answer")

int
api_users_parser_finish(
    struct jdoc *d, struct api_users **out, char *err, size_t errlen)
{
	struct users_read *p = d->state;

	*out = NULL;
	if (!jdoc_ended(d, err, errlen))
		return -1;
	if (p->lists == 0) {
		snprintf(err, errlen, "no \"users\" array in the answer");
		return -1;
	}
	drop_duplicates(p->result);
	*out = jdoc_take(d);
	return 0;
}

int
api_users_parse(const char *buf, size_t len, struct api_users **out, char *err,
    size_t errlen)
{
	struct jdoc *d = api_users_parser_new();
	int rc = -1;

	*out = NULL;
	if (d == NULL)
		snprintf(err, errlen, "out of memory");
	else if (jdoc_feed(d, buf, len, err, errlen) == 0)
		rc = api_users_parser_finish(d, out, err, errlen);
	jdoc_free(d);
	return rc;
}

void
api_users_free(struct api_users *u)
{
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < u->n; i++)
		user_clear(&u->users[i]);
	free(u->users);
	free(u->odd_reason);
	free(u);
}
