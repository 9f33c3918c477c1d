/*
 * bus.h - what tailscaled's IPN bus says, applied: the peers this node
 * sees, the user profiles, the backend state, and from them the users.
 *
 * Pure: bytes of the stream in, the current user set out; no I/O, so the
 * delta logic is unit-tested on its own (tests/unit/test-bus.c).
 *
 * The rules (see the fixtures' watch-ipn-bus.md):
 *  - The first message (InitialStatus, or NetMap on daemons before 1.100)
 *    and any message carrying SelfChange or a NetMap is a full rebuild: the
 *    peers it lists replace all others, since no PeersRemoved comes for
 *    peers that vanished in a rebuild.  It takes effect at the end of its
 *    line, so a stream cut mid-line changes nothing.
 *  - PeersChanged adds or replaces peers, PeersRemoved drops them by NodeID.
 *  - Profiles (UserProfiles, InitialStatus.User, NetMap.UserProfiles) are a
 *    lookup table kept for the session: nothing ever says "user removed".
 *  - The users are the owners of visible, untagged peers, and of this node
 *    if it is untagged; never the tagged-devices pseudo-user.
 *  - State follows InitialStatus.BackendState and State numbers.
 */
#ifndef TSNSS_TS_BUS_H
#define TSNSS_TS_BUS_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"

#pragma GCC visibility push(hidden)

/* one captured value (a peer, a profile, SelfChange) at most */
#define BUS_MAX_VALUE (4u << 20)

struct bus;

struct bus_counts {
	uint64_t messages; /* lines applied this session */
	uint64_t rebuilds; /* of which full rebuilds */
	uint64_t peers, profiles;
	uint64_t skipped; /* peers or profiles left out as unusable */
};

/* Where "alice@example.com joined" and the like go; may be NULL. */
typedef void bus_note_fn(void *arg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct bus *bus_new(bus_note_fn *note, void *note_arg);
void bus_free(struct bus *b);
/* A new connection: forget everything the last one said. */
void bus_reset(struct bus *b);
/* 0, or -1 with a sentence in err: drop the stream and reconnect. */
int bus_feed(
    struct bus *b, const char *data, size_t len, char *err, size_t errlen);
int bus_mid_message(const struct bus *b);
/* A full picture arrived (the first message) this session. */
int bus_ready(const struct bus *b);
/* "Running", "NeedsLogin", ...; "" before the daemon said. */
const char *bus_state(const struct bus *b);
/* tailscaled said it is closing the stream because we fell behind. */
int bus_fell_behind(const struct bus *b);
const char *bus_version(const struct bus *b);
void bus_counts(const struct bus *b, struct bus_counts *c);

/*
 * The users now, sorted by id, valid until the next call into b.
 * *changed: whether they differ from what the last call returned (each
 * join, departure and change is noted then).
 */
const struct tsnss_identity *bus_users(struct bus *b, size_t *n, int *changed);
/* Done with what bus_users() returned: its memory goes (until the next). */
void bus_users_release(struct bus *b);
/* Whether a message changed things since the last bus_users(). */
int bus_dirty(const struct bus *b);

#pragma GCC visibility pop

#endif
