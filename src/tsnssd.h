/*
 * tsnssd.h - the daemon's one context.  Everything mutable the daemon owns
 * hangs off struct tsnssd; there is one, made in main().
 *
 * The two paths through the code:
 *   request: listener.c (socket, connection states) -> request.c (parse,
 *            answer from the snapshot) -> snapshot.c (search)
 *   refresh: refresh.c (timer) -> backend.c (plugin fetch) -> policy.c
 *            (identities to users) -> snapshot.c (build) -> swap, cache.c
 */
#ifndef TSNSSD_H
#define TSNSSD_H

#include <stdint.h>
#include <time.h>

struct event_base;
struct config;
struct backend;
struct snapshot;
struct refresh;
struct listener;

/* Counters an operator can read; every limit has one. */
struct stats {
	uint64_t requests;
	uint64_t bad_requests;
	uint64_t clients_evicted; /* idle, closed to make room */
	uint64_t clients_refused; /* max_clients reached, all busy */
	uint64_t client_timeouts;
	uint64_t miss_refresh_limited; /* early refreshes held back */
	uint64_t refresh_ok;
	uint64_t refresh_failed;
};

struct tsnssd {
	struct event_base *base;
	struct config *cf;
	struct backend *backend;
	struct snapshot *snap; /* the snapshot in hand, NULL until the first */
	struct refresh *refresh;
	struct listener *listener;
	struct stats stats;
	int ready_fd; /* daemonize pipe, until ready */
	int ready;    /* told systemd and the parent */
};

/* Put a new snapshot in hand (NULL drops the old one), then persist it. */
void tsnssd_swap_snapshot(struct tsnssd *d, struct snapshot *s, int persist);

#endif
