/*
 * users.h - the control-plane API's user list,
 * GET /api/v2/tailnet/{tailnet}/users, parsed into the users that count.
 *
 * A user counts when its status is "active" or "idle" and it is not the
 * "tagged-devices" pseudo-user.  Suspended, needs-approval and
 * over-billing-limit users are left out and counted; an entry that cannot
 * be read (no loginName, an id that is not a positive decimal int64, a
 * duplicate id, an unknown status, a login over 256 bytes or text with
 * control characters) is left out, counted, and the first one's reason
 * kept.  A document that is not a whole {"users":[...]} object is refused.
 */
#ifndef TSNSS_API_USERS_H
#define TSNSS_API_USERS_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

struct api_user {
	int64_t id;
	char *login;
	char *display_name; /* "" when absent */
	char *role;	    /* NULL when absent */
	char *status;
	char *type; /* NULL when absent */
};

struct api_users {
	struct api_user *users;
	size_t n;
	size_t n_inactive; /* suspended, needs-approval, over-billing-limit */
	size_t n_pseudo;   /* tagged-devices */
	size_t n_odd;	   /* entries that could not be read */
	char *odd_reason;  /* why the first odd one was left out */
};

/*
 * Parse len bytes of body (need not be NUL-terminated).  Returns 0 and
 * *out, or -1 with a short reason in err.
 */
int api_users_parse(const char *body, size_t len, struct api_users **out,
    char *err, size_t errlen);
void api_users_free(struct api_users *u);

/*
 * The same, in pieces as they arrive: new, feed..., finish, free.  Memory
 * grows with the users kept, never with the answer.
 */
struct api_users_parser;
struct api_users_parser *api_users_parser_new(void);
/* 0, or -1 with a short reason in err: the answer is refused. */
int api_users_parser_feed(struct api_users_parser *p, const char *data,
    size_t len, char *err, size_t errlen);
/* The end of the answer: as api_users_parse(); *out is the caller's. */
int api_users_parser_finish(struct api_users_parser *p, struct api_users **out,
    char *err, size_t errlen);
void api_users_parser_free(struct api_users_parser *p);

/* A positive decimal id given as a JSON string ("123456"); -1 if not. */
int api_parse_id(const char *s, size_t len, int64_t *out);

#pragma GCC visibility pop

#endif
