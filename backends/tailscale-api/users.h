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
	char *login; /* one allocation with the texts below: freed as one */
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
 * The list read in pieces as they arrive: fed with jdoc_feed(), freed
 * with jdoc_free().  Memory grows with the users kept, never with the
 * answer.  At its end, finish: 0 and *out (the caller's), or -1 with a
 * short reason in err.
 */
struct jdoc;
struct jdoc *api_users_parser_new(void);
int api_users_parser_finish(
    struct jdoc *d, struct api_users **out, char *err, size_t errlen);
/* A list held whole (tests, fuzzers): the parser above, fed once. */
int api_users_parse(const char *buf, size_t len, struct api_users **out,
    char *err, size_t errlen);
void api_users_free(struct api_users *u);

/* A positive decimal id given as a JSON string ("123456"); -1 if not. */
int api_parse_id(const char *s, size_t len, int64_t *out);

#pragma GCC visibility pop

#endif
