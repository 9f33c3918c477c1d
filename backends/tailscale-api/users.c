/*
 * users.c - the control-plane API's user list, read as it arrives:
 * jdoc (shared with the tailscale backend) follows the document, and the
 * members of each entry that matter are taken as they pass (json-c only
 * decodes the rare string with an escape).  100k users are tens of MB of
 * JSON, never held whole, and no entry becomes a json-c object.
 *
 * Every bound is explicit: the body is capped by the plugin as it
 * arrives (max_answer_bytes), the nesting depth and an entry's size
 * (ENTRY_MAX, members skipped included) are capped here, and a field
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

/* The string members read, in this order; the id is apart. */
enum { F_LOGIN, F_DISPLAY, F_ROLE, F_STATUS, F_TYPE, F_N, F_ID = F_N };

/*
 * The entry under way, read member by member as it passes: 100k users
 * are too many to build a json-c object for.  A string member is NULL
 * when absent or null, and bad when of another type or holding a NUL;
 * the last of duplicates counts, as in a json-c object.
 */
struct entry {
	char *buf;	 /* the texts read, each NUL-terminated; reused */
	size_t len, cap; /* bounded by ENTRY_MAX, as the entry is */
	size_t at[F_N];	 /* where each text is in buf, plus one; 0: none */
	int bad[F_N];
	int64_t id;
	int id_ok;
	int member; /* the member captured: F_* */
};

/* A new entry: its buffer stays, for the next one's texts. */
static void
entry_reset(struct entry *e)
{
	e->len = 0;
	memset(e->at, 0, sizeof e->at);
	memset(e->bad, 0, sizeof e->bad);
	e->id = 0;
	e->id_ok = 0;
}

static void
entry_free(struct entry *e)
{
	free(e->buf);
	memset(e, 0, sizeof *e);
}

/* Member i's text, NULL when absent; valid until the next text is set. */
static const char *
text(const struct entry *e, int i)
{
	return e->at[i] ? e->buf + e->at[i] - 1 : NULL;
}

/* Member i's text is now the n bytes at s: 0, or -1 out of memory. */
static int
set_text(struct entry *e, int i, const char *s, size_t n)
{
	size_t cap = e->cap ? e->cap : 1024;
	char *grown;

	while (cap < e->len + n + 1)
		cap *= 2;
	if (cap != e->cap) {
		if ((grown = realloc(e->buf, cap)) == NULL)
			return -1;
		e->buf = grown;
		e->cap = cap;
	}
	memcpy(e->buf + e->len, s, n);
	e->buf[e->len + n] = '\0';
	e->at[i] = e->len + 1;
	e->len += n + 1;
	return 0;
}

static enum verdict
read_fields(const struct entry *e, const char **why)
{
	const char *f[F_N];
	int i;

	for (i = 0; i < F_N; i++)
		f[i] = text(e, i);

	if (e->bad[F_LOGIN] || e->bad[F_DISPLAY] || e->bad[F_ROLE] ||
	    e->bad[F_STATUS] || e->bad[F_TYPE])
		return *why = "a user has a member of the wrong type", ODD;
	if (f[F_LOGIN] == NULL || f[F_LOGIN][0] == '\0')
		return *why = "a user has no loginName", ODD;
	if (!clean(f[F_LOGIN], LOGIN_MAX))
		return *why = "a loginName is too long or has control "
			      "characters",
		       ODD;
	if ((f[F_ROLE] && !clean(f[F_ROLE], WORD_MAX)) ||
	    (f[F_STATUS] && !clean(f[F_STATUS], WORD_MAX)) ||
	    (f[F_TYPE] && !clean(f[F_TYPE], WORD_MAX)))
		return *why = "a role, status or type is too long or has "
			      "control characters",
		       ODD;
	if (strcmp(f[F_LOGIN], PSEUDO_USER) == 0)
		return PSEUDO;
	if (!e->id_ok)
		return *why = "a user's id is not a decimal int64", ODD;
	if (f[F_STATUS] == NULL)
		return *why = "a user has no status", ODD;
	if (judge_status(f[F_STATUS]) == ODD)
		return *why = "a user has an unknown status", ODD;
	return judge_status(f[F_STATUS]);
}

/*
 * The entry's texts become the user's, in one allocation that login
 * owns: 100k users are not half a million small strings.
 */
static int
keep(struct api_users *u, const struct entry *e)
{
	static const int order[F_N] = {
	    F_LOGIN, F_DISPLAY, F_STATUS, F_ROLE, F_TYPE};
	struct api_user *a = &u->users[u->n];
	char *block, *t[F_N];
	size_t size = 0, n;
	int i;

	for (i = 0; i < F_N; i++)
		size += text(e, i) ? strlen(text(e, i)) + 1 : 1;
	if ((block = malloc(size)) == NULL)
		return -1;
	for (i = 0; i < F_N; i++) {
		n = text(e, order[i]) ? strlen(text(e, order[i])) : 0;
		t[order[i]] = block;
		memcpy(block, n ? text(e, order[i]) : "", n + 1);
		block += n + 1;
	}
	a->id = e->id;
	a->login = t[F_LOGIN];
	a->display_name = t[F_DISPLAY];
	a->status = t[F_STATUS];
	a->role = text(e, F_ROLE) ? t[F_ROLE] : NULL;
	a->type = text(e, F_TYPE) ? t[F_TYPE] : NULL;
	u->n++;
	return 0;
}

static int
add_entry(struct api_users *u, const struct entry *e)
{
	const char *why = NULL;

	switch (read_fields(e, &why)) {
	case KEEP:
		return keep(u, e);
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

/* login owns the user's other texts too (keep()). */
static void
user_clear(struct api_user *a)
{
	free(a->login);
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
 * each entry of users is read member by member as it passes (bounded by
 * ENTRY_MAX as a whole), so the list is never held whole.  Errors found
 * in a callback wait in the jdoc's err until jdoc_feed() returns.
 */
struct users_read {
	struct api_users *result;
	size_t cap; /* result.users allocated */
	int lists;  /* "users" arrays met */
	struct entry e;
};

/* Which member a key names, F_* or -1; most keys differ at once. */
static int
name_of(const char *k)
{
	static const char *const names[] = {
	    "loginName", "displayName", "role", "status", "type", "id"};
	int i;

	for (i = 0; i <= F_ID; i++)
		if (k[0] == names[i][0] && strcmp(k, names[i]) == 0)
			return i;
	return -1;
}

/* The same of a key as jscan kept it: decoded as json-c would if escaped. */
static int
member_of(struct jdoc *d, const char *raw)
{
	char key[JSCAN_KEY_MAX + 1];
	int m = name_of(raw);

	if (m >= 0 || strchr(raw, '\\') == NULL)
		return m;
	jdoc_key(d, raw, key, sizeof key);
	return name_of(key);
}

/*
 * A member of the entry under way: a string (or, for the id, a number)
 * is captured; null is absent; anything else is noted bad at once.
 */
static enum jscan_want
select_member(struct jdoc *d, struct entry *e, const char *k, char first)
{
	if ((e->member = member_of(d, k)) < 0)
		return JSCAN_SKIP;
	if (e->member == F_ID) {
		e->id_ok = 0;
		return first == '"' || (first >= '0' && first <= '9')
			   ? JSCAN_CAPTURE
			   : JSCAN_SKIP;
	}
	e->at[e->member] = 0;
	e->bad[e->member] = first != '"' && first != 'n';
	return first == '"' ? JSCAN_CAPTURE : JSCAN_SKIP;
}

/*
 * An id: a string of digits, or a JSON integer, which json-c would
 * saturate at INT64_MAX past int64: that is refused rather than trusted.
 */
static void
id_member(struct jdoc *d, struct entry *e, const char *buf, size_t len)
{
	struct json_object *o;
	const char *s;
	size_t n;

	if (buf[0] != '"') {
		e->id_ok =
		    api_parse_id(buf, len, &e->id) == 0 && e->id != INT64_MAX;
		return;
	}
	if ((s = jdoc_string(d, buf, len, &n, &o)) != NULL)
		e->id_ok = api_parse_id(s, n, &e->id) == 0;
	json_object_put(o);
}

/* A captured string member: kept decoded, or bad if it holds a NUL. */
static int
text_member(struct jdoc *d, struct entry *e, const char *buf, size_t len)
{
	struct json_object *o;
	const char *s;
	size_t n;
	int rc = 0;

	if ((s = jdoc_string(d, buf, len, &n, &o)) == NULL)
		rc = -1;
	else if (memchr(s, '\0', n) != NULL)
		e->bad[e->member] = 1;
	else
		rc = set_text(e, e->member, s, n);
	json_object_put(o);
	if (rc < 0 && d->err[0] == '\0')
		snprintf(d->err, sizeof d->err, "out of memory");
	return rc;
}

static int
on_value(const struct jscan_path *path, const char *buf, size_t len, void *arg)
{
	struct jdoc *d = arg;
	struct users_read *p = d->state;

	(void)path;
	if (p->e.member == F_ID) {
		id_member(d, &p->e, buf, len);
		return d->err[0] != '\0' ? -1 : 0;
	}
	return text_member(d, &p->e, buf, len);
}

/* The end of an entry: it counts, or it is counted as left out. */
static int
on_close(const struct jscan_path *path, void *arg)
{
	struct jdoc *d = arg;
	struct users_read *p = d->state;
	int rc;

	if (path->depth != 2)
		return 0;
	if ((rc = jdoc_room(&p->result->users, &p->cap, p->result->n,
		 sizeof *p->result->users)) == 0)
		rc = add_entry(p->result, &p->e);
	entry_reset(&p->e);
	if (rc < 0)
		snprintf(d->err, sizeof d->err, "out of memory");
	return rc;
}

/* An entry cut short by the end of the answer is forgotten. */
static void
users_read_clear(void *state)
{
	entry_free(&((struct users_read *)state)->e);
}

static enum jscan_want
on_select(const struct jscan_path *path, char first, void *arg)
{
	struct jdoc *d = arg;
	struct users_read *p = d->state;

	if (path->depth == 3)
		return select_member(d, &p->e, path->key[2], first);
	if (path->depth == 2 && first == '{') {
		entry_reset(&p->e);
		return JSCAN_DESCEND_BOUNDED;
	}
	if (path->depth == 2) {
		note_odd(p->result, "an entry of users is not an object");
		return JSCAN_SKIP;
	}
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
    .state_clear = users_read_clear,
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
