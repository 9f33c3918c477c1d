/*
 * fetch.h - what every backend's side of the plugin ABI (common/plugin.h)
 * has in common: its descriptor, the host it was given, and one fetch of
 * its users at a time: never two at once, its end always reported from
 * the loop and exactly once, even when it could not start.
 */
#ifndef TSNSS_FETCH_H
#define TSNSS_FETCH_H

#include <stddef.h>

#include "plugin.h"

#pragma GCC visibility push(hidden)

struct event;
struct event_base;

struct fetch {
	struct event_base *base;
	tsnss_fetch_done_fn *done;
	void *done_arg;
	int busy;
	struct event *defer; /* reports a fetch that could not start */
	char why[300];	     /* why it could not; the plugin writes it */
};

/*
 * The descriptor, the one symbol a backend exports: PREFIX_init,
 * PREFIX_fetch, PREFIX_free and PREFIX_describe are its functions, ttl
 * its default ttl in seconds (0: the daemon's).
 */
#define FETCH_PLUGIN(name_, prefix, ttl)                                       \
	__attribute__((visibility("default")))                                 \
	const struct tsnss_plugin tsnss_plugin = {                             \
	    .abi_version = TSNSS_PLUGIN_ABI_VERSION,                           \
	    .name = (name_),                                                   \
	    .init = prefix##_init,                                             \
	    .fetch = prefix##_fetch,                                           \
	    .free = prefix##_free,                                             \
	    .size = sizeof(struct tsnss_plugin),                               \
	    .describe = prefix##_describe,                                     \
	    .default_ttl = (ttl)}

/* The host's functions as given, with a log that says nothing if none. */
void fetch_host(struct tsnss_host *to, const struct tsnss_host *from);

/* A fetch begins: 0, or -1 when one is under way or there is no loop. */
int fetch_begin(struct fetch *f, struct event_base *base,
    tsnss_fetch_done_fn *done, void *arg);

/*
 * The fetch could not start, for f->why: reported from the loop, never
 * from inside fetch().  0, or -1 when even that fails: then the fetch is
 * over and fetch() fails.
 */
int fetch_fail_soon(struct fetch *f);

/* The ABI's result, for fetch_end() or a push. */
struct tsnss_fetch_result fetch_result(enum tsnss_fetch_status status,
    const char *detail, const struct tsnss_identity *ids, size_t n);

/*
 * The fetch is over: the last thing a plugin does with it, as done may
 * start the next fetch or free the plugin (and f with it).
 */
void fetch_end(struct fetch *f, enum tsnss_fetch_status status,
    const char *detail, const struct tsnss_identity *ids, size_t n);

/* fetch_end() with TSNSS_FETCH_ERROR and why, then fetch_trim(). */
void fetch_fail(struct fetch *f, const char *why);

/*
 * After a large answer was parsed and handed over (or refused): give the
 * memory its parsing freed back to the system, which glibc keeps else,
 * at every poll when nothing new is built (the daemon trims after a build).
 */
void fetch_trim(void);

/* Free what f holds (not f): a pending failure is not reported. */
void fetch_clear(struct fetch *f);

#pragma GCC visibility pop

#endif
