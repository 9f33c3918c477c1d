/*
 * tsnssd.h - the daemon's one context.  Everything mutable the daemon owns
 * hangs off struct tsnssd; there is one, made in main().
 *
 * The two paths through the code:
 *   request: listener.c (socket, connection states) -> request.c (parse,
 *            answer from the snapshot) -> common/snapfile.c (search)
 *   refresh: source.c (a timer per backend) -> backend.c (plugin fetch)
 *            -> refresh.c (every source's answer) -> build.c
 *            (worker thread: policy.c, snapshot.c, cache.c, publish.c)
 *            -> swap.c (the snapshot in hand changes, on the loop)
 * The NSS stub mostly skips the request path: it maps what publish.c
 * wrote (common/snapfile.h) and reads it in place.
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
struct publisher;
struct republisher;

/*
 * Counters an operator can read (SIGUSR1, tsnssctl status); every limit
 * has one.  Listed once: X(field, what it counts).
 */
#define TSNSSD_STATS(X)                                                        \
	X(requests, "requests")                                                \
	X(bad_requests, "bad requests")                                        \
	X(hints, "miss hints from the NSS module")                             \
	X(clients_evicted, "idle clients evicted at max_clients")              \
	X(clients_refused, "clients refused, all busy")                        \
	X(client_timeouts, "client timeouts")                                  \
	X(writers_evicted, "writers evicted, not reading their replies")       \
	X(miss_refresh_limited, "early refreshes held back")                   \
	X(miss_backoff_held, "misses held back by a back-off")                 \
	X(builds_held, "builds held back: the claims are untrusted")           \
	X(refresh_ok, "refreshes that worked")                                 \
	X(refresh_failed, "refreshes that failed")                             \
	X(builds, "snapshots built")

struct stats {
#define TSNSSD_STAT_FIELD(name, what) uint64_t name;
	TSNSSD_STATS(TSNSSD_STAT_FIELD)
#undef TSNSSD_STAT_FIELD
};

struct tsnssd {
	struct event_base *base;
	struct config *cf;
	struct backend **backends; /* one per backend section of cf */
	struct snapshot *snap; /* the snapshot in hand, NULL until the first */
	uint64_t generation;   /* of the newest snapshot built or loaded */
	struct publisher *pub; /* the file the NSS module maps */
	struct republisher *republish; /* retries a failed publish of it */
	struct refresh *refresh;
	struct listener *listener;
	struct stats stats;
	uint64_t loop_max_us; /* the most CPU one loop turn took, lately */
	/* main.c's: called whenever a snapshot is put in hand */
	void (*on_serving)(struct tsnssd *d);
	int ready_fd; /* daemonize pipe, until ready */
	int ready;    /* told systemd and the parent */
};

#endif
