/*
 * watch.h - follow tailscaled's IPN bus (GET /localapi/v0/watch-ipn-bus):
 * one long-lived stream on the daemon's loop, fed to a struct bus.
 *
 * Each connection: ask GET /localapi/v0/status?peers=false for the
 * version, choose the mask from it, subscribe, and rebuild everything from
 * the first message.  The stream is bounded without a whole-request
 * timeout: the connection by connect_ms, the first message by first_ms,
 * a line that stops arriving half-way by stall_ms, and a silent stream
 * (tailscaled sends nothing while nothing changes) by a cheap status probe
 * every idle_s.  It ends on EOF (tailscaled restarted), on the "fell
 * behind" message, on bad data, or on any of those bounds; each time the
 * watcher reconnects with a growing delay (1 s to 30 s).
 *
 * A daemon without the bus (404, or older than 1.34) or one that refuses
 * the subscription makes the watcher give up: the plugin polls /status
 * as before, and the watcher tries the bus again after retry_s.
 */
#ifndef TSNSS_TS_WATCH_H
#define TSNSS_TS_WATCH_H

#include <stddef.h>

#include "plugin.h"

#pragma GCC visibility push(hidden)

struct event_base;
struct bus;
struct watch;

struct watch_settings {
	const char *socket;
	long connect_ms; /* connection, and the status probes as a whole */
	long first_ms;	 /* subscription to the end of the first message */
	long stall_ms;	 /* a message that stops arriving half-way */
	long idle_s;	 /* a silent stream is probed this often */
	long retry_s;	 /* after falling back to polling, try the bus again */
};

struct watch_ops {
	/* the bus has news (state or users may have changed) */
	void (*changed)(void *arg);
	/* the watcher cannot give answers now; fallback: it fell back */
	void (*down)(void *arg, const char *why, int fallback);
};

struct watch *watch_new(const struct tsnss_host *host,
    const struct watch_settings *ws, const struct watch_ops *ops, void *arg);
void watch_start(struct watch *w);
/* A full picture from a stream that is still up. */
int watch_live(const struct watch *w);
/* Fell back to polling (no bus here). */
int watch_fallback(const struct watch *w);
struct bus *watch_bus(struct watch *w);
/* Lines for tsnssctl status. */
void watch_describe(const struct watch *w, char *buf, size_t len);
void watch_free(struct watch *w);

#pragma GCC visibility pop

#endif
