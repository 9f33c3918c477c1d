/*
 * refresh.h - the refresh path: a timer asks the backend, the policy turns
 * the answer into a snapshot, and the snapshot is swapped in.  Answers to
 * clients never wait for any of it.
 */
#ifndef TSNSS_REFRESH_H
#define TSNSS_REFRESH_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

struct evbuffer;
struct tsnssd;
struct refresh;

/*
 * first_done runs once: after the first snapshot is built, or once
 * every backend's first fetch has ended without one.  NULL (logged) if the
 * build worker cannot be set up.
 */
struct refresh *refresh_new(
    struct tsnssd *d, void (*first_done)(struct tsnssd *d));
void refresh_now(struct refresh *r);
/*
 * A lookup of name (NULL: of an id) missed: maybe someone just joined.
 * A name in /etc/passwd or /etc/group never counts.
 */
void refresh_on_miss(struct refresh *r, const char *name);
#define REFRESH_ASK_EVERY 5 /* seconds between refreshes one uid may ask */

/* tsnssctl refresh from uid: -1 if that uid asked too recently. */
int refresh_asked(struct refresh *r, uid_t uid);
/* tsnssctl forget: release login's claims; how many there were. */
size_t refresh_forget(struct refresh *r, const char *login);
/* tsnssctl forget --all: every claim released, untrusted ones too. */
int refresh_forget_all(struct refresh *r);
/*
 * SIGHUP put a new config and new backends in d: keep the answers of the
 * sections kept, apply the new policy at once, and ask every backend.
 */
void refresh_reconfigure(struct refresh *r);
/*
 * At start: apply the policy and the local accounts as they are now to
 * the last good answer on disk; with wait, before returning (before
 * anything is served), else in the background.  -1 if there is none (or
 * it is past max_stale); then the persisted snapshot is the fallback.
 */
int refresh_restore(struct refresh *r, int wait);
/* Wait for a snapshot build under way: its input may change after. */
void refresh_quiesce(struct refresh *r);
/* For tsnssctl status: a block per backend section. */
void refresh_describe(const struct refresh *r, struct evbuffer *b);
void refresh_free(struct refresh *r);

#endif
