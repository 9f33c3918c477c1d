/*
 * status.h - parse tailscaled's answer to GET /localapi/v0/status.
 *
 * Pure parsing, no I/O, so it can be unit-tested and fuzzed on its own.
 * The answer is parsed as it arrives (ts_status_parser_feed()), never held
 * whole: memory grows with the users kept, not with the document, and
 * one value (a profile) is bounded by TS_STATUS_MAX_VALUE.  Fields that
 * are not read (Peer, Self, a profile's other members...) are checked
 * for structure only (JSON grammar, not UTF-8).
 *
 * What fails the whole document, and what only drops one user:
 *  - Anything that says the document is not what we think it is fails it:
 *    bad JSON, a missing BackendState, a User that is not an object, a
 *    profile whose ID is not an integer from 1 to INT64_MAX - 1 (json-c
 *    clamps bigger numbers to INT64_MAX silently) or does not match its key.
 *    Guessing there could hand one person's id to another.
 *  - A profile with an unusable LoginName (missing, not a string, empty,
 *    longer than TS_LOGIN_MAX, or holding control characters or NUL) is
 *    skipped and counted in n_skipped: one odd profile must not lock
 *    everyone else out.
 */
#ifndef TSNSS_TS_STATUS_H
#define TSNSS_TS_STATUS_H

#include <stddef.h>
#include <stdint.h>

/* Internal to the plugin: only tsnss_plugin leaves the module. */
#pragma GCC visibility push(hidden)

#define TS_LOGIN_MAX 256 /* bytes */
/* JSON nesting: a real answer needs ~6, plus what CapMap values carry */
#define TS_STATUS_MAX_DEPTH 64
/* one BackendState, CurrentTailnet or User profile, at most */
#define TS_STATUS_MAX_VALUE (4u << 20)

struct ts_user {
	int64_t id;	    /* 1 .. INT64_MAX - 1 */
	char *login;	    /* as the identity provider spelled it */
	char *display_name; /* "" when absent; cut at an embedded NUL */
	char **groups;	    /* UserProfile.Groups, as spelled there */
	size_t n_groups;
};

struct ts_status {
	char *backend_state;   /* "Running", "NeedsLogin", ... */
	struct ts_user *users; /* sorted by id, ids unique */
	size_t n_users;
	char *tailnet;	   /* CurrentTailnet.Name, may be NULL */
	char *version;	   /* tailscaled's Version, may be NULL */
	size_t n_skipped;  /* profiles dropped for a bad LoginName */
	char *skip_reason; /* why the first one was, NULL if none */
};

/*
 * Parse exactly len bytes of buf (no NUL needed).  Returns 0 and *out,
 * or -1 with a sentence in err and *out NULL.  Trailing whitespace is
 * fine, anything else after the document is not.
 */
struct json_object;
/* An id from the wire: 0 and *id, or -1 if not an integer 1..INT64_MAX-1. */
int ts_json_id(struct json_object *v, int64_t *id);
/* NULL if v is a usable LoginName, else why not ("has no LoginName"). */
const char *ts_bad_login(struct json_object *v);
/* The same of a string's len bytes, decoded (a string read as it passes). */
const char *ts_bad_login_bytes(const char *s, size_t len);
/*
 * Copy a profile's Groups (absent, null or an array of strings; other
 * entries are dropped): 0, or -1 when out of memory.
 */
int ts_groups(struct json_object *profile, char ***groups, size_t *n);
#define TS_GROUPS_MAX 1024    /* entries of Groups looked at per profile */
#define TS_GROUP_NAME_MAX 256 /* bytes of a group name */
/* Whether an entry of Groups is a name: a string, 1 to 256 bytes, no NUL. */
int ts_group_ok(struct json_object *g);
/* The same of a string's len bytes, decoded. */
int ts_group_name_ok(const char *s, size_t len);
void ts_groups_free(char **groups, size_t n);

int ts_status_parse(const char *buf, size_t len, struct ts_status **out,
    char *err, size_t errlen);

/*
 * The same, in pieces as they arrive: fed with jdoc_feed(), freed with
 * jdoc_free(); at the end of the answer, finish as ts_status_parse().
 */
struct jdoc;
struct jdoc *ts_status_parser_new(void);
int ts_status_parser_finish(
    struct jdoc *d, struct ts_status **out, char *err, size_t errlen);
void ts_status_free(struct ts_status *st);

#pragma GCC visibility pop

#endif
