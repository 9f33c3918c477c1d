/*
 * refresh.h - the refresh path: a timer asks the backend, the policy turns
 * the answer into a snapshot, and the snapshot is swapped in.  Answers to
 * clients never wait for any of it.
 */
#ifndef TSNSS_REFRESH_H
#define TSNSS_REFRESH_H

#include <time.h>

struct evbuffer;
struct tsnssd;
struct refresh;

/*
 * first_done runs once, after the first fetch ends badly or its snapshot
 * is built.  NULL (logged) if the build worker cannot be set up.
 */
struct refresh *refresh_new(
    struct tsnssd *d, void (*first_done)(struct tsnssd *d));
void refresh_now(struct refresh *r);
void refresh_on_miss(struct refresh *r);
void refresh_reset(struct refresh *r);
/* Apply a new policy to the last good backend answer at once. */
void refresh_reapply(struct refresh *r);
/* Wait for a snapshot build under way: its input may change after. */
void refresh_quiesce(struct refresh *r);
/* For tsnssctl status: state, last good fetch, last failure. */
void refresh_describe(const struct refresh *r, struct evbuffer *b);
void refresh_free(struct refresh *r);

#endif
