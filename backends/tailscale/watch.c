/*
 * watch.c - one IPN bus subscription at a time, kept up; see watch.h.
 *
 * States: idle -> probing (status?peers=false, for the version) ->
 * streaming (live once the first message is whole) -> waiting (backoff)
 * -> probing ...; or polling, when tailscaled has no bus for us.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <event2/event.h>

#include "bus.h"
#include "localapi.h"
#include "status.h"
#include "watch.h"

#define PROBE_PATH "/localapi/v0/status?peers=false"
#define BACKOFF_MAX 30		  /* seconds between reconnects, at most */
#define ERROR_BODY_MAX (64 << 10) /* of a refused subscription, kept */

/* NotifyWatchOpt bits (watch-ipn-bus.md, section 2) */
#define M_INITIAL_STATE 2u
#define M_INITIAL_NETMAP 8u
#define M_NO_PRIVATE_KEYS 16u
#define M_PEER_CHANGES 4096u
#define M_INITIAL_STATUS 16384u

enum wstate { W_IDLE, W_PROBING, W_STREAMING, W_WAITING, W_POLLING };

struct watch {
	struct tsnss_host host;
	struct watch_settings ws;
	struct watch_ops ops;
	void *arg;
	struct bus *bus;
	struct localapi *probe;	 /* short requests: version, liveness */
	struct localapi *stream; /* the subscription under way */
	struct event *retry_ev, *first_ev, *stall_ev, *idle_ev, *notify_ev;
	enum wstate state;
	int checking; /* the probe under way checks a live stream */
	int live;
	unsigned backoff;
	unsigned long mask;
	char version[64];
	char why[256]; /* why the stream last ended, or why we poll */
	time_t since, retry_at;
	uint64_t connects;
};

static void went_down(struct watch *w, const char *why);
static void connect_bus(struct watch *w);

static struct timeval
tv_ms(long ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	return tv;
}

static void
arm(struct event *ev, long ms)
{
	struct timeval tv = tv_ms(ms);

	evtimer_add(ev, &tv);
}

/* --- the mask, from the version ------------------------------------------- */

/* 0: no bus worth subscribing to (older than 1.34). */
static unsigned long
mask_for(const char *version)
{
	unsigned major, minor;

	if (version == NULL || sscanf(version, "%u.%u", &major, &minor) != 2)
		return M_INITIAL_STATE | M_NO_PRIVATE_KEYS | M_PEER_CHANGES |
		       M_INITIAL_STATUS; /* unknown: assume a new one */
	if (major > 1 || minor >= 100)
		return M_INITIAL_STATE | M_NO_PRIVATE_KEYS | M_PEER_CHANGES |
		       M_INITIAL_STATUS;
	if (minor >= 54)
		return M_INITIAL_STATE | M_INITIAL_NETMAP | M_NO_PRIVATE_KEYS;
	if (minor >= 34)
		return M_INITIAL_STATE | M_INITIAL_NETMAP;
	return 0;
}

/* The version from the header, else from the body. */
static void
reply_version(const struct httpreq_reply *reply, char *out, size_t len)
{
	struct ts_status *st;
	char err[64];

	snprintf(out, len, "%s", reply->header);
	if (out[0] != '\0' ||
	    ts_status_parse(reply->body, reply->len, &st, err, sizeof err) < 0)
		return;
	if (st->version != NULL)
		snprintf(out, len, "%s", st->version);
	ts_status_free(st);
}

/* --- the stream --- */

static void
stop_stream(struct watch *w)
{
	localapi_free(w->stream); /* safe inside its own callback */
	w->stream = NULL;
	evtimer_del(w->first_ev);
	evtimer_del(w->stall_ev);
	evtimer_del(w->idle_ev);
}

static void
became_live(struct watch *w)
{
	w->live = 1;
	w->since = time(NULL);
	w->backoff = 1;
	evtimer_del(w->first_ev);
	w->host.log(LOG_INFO,
	    "tailscale: following tailscaled's IPN bus (version %s, mask %lu)",
	    w->version[0] ? w->version : "unknown", w->mask);
}

/*
 * A message must be whole within stall_ms of its first byte: the timer
 * starts when one does, not again on each chunk of it, or a trickle of a
 * byte at a time would hold a half message forever.
 */
static int
on_bytes(const char *data, size_t len, void *arg)
{
	struct watch *w = arg;
	struct bus_counts before, after;
	int was_mid = bus_mid_message(w->bus);
	char err[200];

	bus_counts(w->bus, &before);
	if (bus_feed(w->bus, data, len, err, sizeof err) < 0) {
		snprintf(w->why, sizeof w->why,
		    "unusable data on the IPN bus: %s", err);
		return -1;
	}
	bus_counts(w->bus, &after);
	if (bus_mid_message(w->bus)) {
		/* a new message began in this chunk */
		if (!was_mid || after.messages != before.messages)
			arm(w->stall_ev, w->ws.stall_ms);
		return 0;
	}
	evtimer_del(w->stall_ev);
	if (!w->live && bus_ready(w->bus))
		became_live(w);
	if (w->live) {
		arm(w->idle_ev, w->ws.idle_s * 1000);
		arm(w->notify_ev, 0); /* once per turn of the loop */
	}
	return 0;
}

/* A refusal that will not go away by reconnecting: poll instead. */
static int
refused_for_good(const struct httpreq_reply *reply, int live)
{
	return reply->status == 404 ||
	       (!live && reply->status >= 400 && reply->status < 500);
}

static void
fall_back(struct watch *w, const char *why)
{
	stop_stream(w);
	w->live = 0;
	w->state = W_POLLING;
	snprintf(w->why, sizeof w->why, "%s", why);
	w->host.log(LOG_INFO,
	    "tailscale: %s; polling /localapi/v0/status instead, trying the "
	    "bus again every %ld s",
	    why, w->ws.retry_s);
	w->retry_at = time(NULL) + w->ws.retry_s;
	arm(w->retry_ev, w->ws.retry_s * 1000);
	w->ops.down(w->arg, why, 1);
}

static void
on_stream_end(const struct httpreq_reply *reply, void *arg)
{
	struct watch *w = arg;
	char why[300];

	if (refused_for_good(reply, w->live)) {
		snprintf(why, sizeof why,
		    "tailscaled has no IPN bus for us (%s)",
		    reply->error ? reply->error : "no answer");
		fall_back(w, why);
		return;
	}
	if (bus_fell_behind(w->bus))
		snprintf(why, sizeof why,
		    "tailscaled closed the IPN bus: this reader fell behind");
	else if (w->why[0] != '\0')
		snprintf(why, sizeof why, "%s", w->why);
	else
		snprintf(why, sizeof why, "%s",
		    reply->error ? reply->error
				 : "tailscaled ended the IPN bus stream");
	went_down(w, why);
}

static void
subscribe(struct watch *w)
{
	char path[80];

	stop_stream(w);
	w->stream = localapi_new(
	    w->host.base, w->ws.socket, 0, w->ws.connect_ms, ERROR_BODY_MAX);
	snprintf(
	    path, sizeof path, "/localapi/v0/watch-ipn-bus?mask=%lu", w->mask);
	bus_reset(w->bus);
	w->why[0] = '\0';
	w->connects++;
	if (w->stream == NULL ||
	    localapi_stream(w->stream, path, on_bytes, on_stream_end, w) < 0) {
		went_down(w, "cannot start the IPN bus request");
		return;
	}
	w->state = W_STREAMING;
	arm(w->first_ev, w->ws.first_ms);
}

/* --- down, and back up --- */

static void
went_down(struct watch *w, const char *why)
{
	int was_live = w->live;
	char copy[sizeof w->why];

	snprintf(copy, sizeof copy, "%s", why);
	stop_stream(w);
	localapi_free(w->probe); /* a probe under way is moot */
	w->probe = NULL;
	w->checking = 0;
	w->live = 0;
	w->state = W_WAITING;
	w->host.log(
	    was_live || strcmp(copy, w->why) != 0 ? LOG_WARNING : LOG_DEBUG,
	    "tailscale: IPN bus down: %s; reconnecting in %u s", copy,
	    w->backoff);
	snprintf(w->why, sizeof w->why, "%s", copy);
	w->retry_at = time(NULL) + w->backoff;
	arm(w->retry_ev, (long)w->backoff * 1000);
	w->backoff =
	    w->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : w->backoff * 2;
	w->ops.down(w->arg, copy, 0);
}

/* A live stream went quiet: is tailscaled still the one we follow? */
static void
checked(struct watch *w, const struct httpreq_reply *reply)
{
	char version[64], why[300];

	w->checking = 0;
	if (reply->error != NULL) {
		snprintf(why, sizeof why, "tailscaled does not answer: %s",
		    reply->error);
		went_down(w, why);
		return;
	}
	reply_version(reply, version, sizeof version);
	if (version[0] != '\0' && strcmp(version, w->version) != 0) {
		snprintf(
		    why, sizeof why, "tailscaled is now version %s", version);
		went_down(w, why);
		return;
	}
	arm(w->idle_ev, w->ws.idle_s * 1000);
}

static void
on_probe(const struct httpreq_reply *reply, void *arg)
{
	struct watch *w = arg;
	char why[300];

	if (w->checking) {
		checked(w, reply);
		return;
	}
	if (reply->error != NULL) {
		went_down(w, reply->error);
		return;
	}
	reply_version(reply, w->version, sizeof w->version);
	w->mask = mask_for(w->version[0] ? w->version : NULL);
	if (w->mask == 0) {
		snprintf(why, sizeof why,
		    "tailscaled %s is older than 1.34, whose IPN bus tsnssd "
		    "can follow",
		    w->version);
		fall_back(w, why);
		return;
	}
	subscribe(w);
}

static int
probe(struct watch *w)
{
	if (w->probe == NULL)
		w->probe = localapi_new(w->host.base, w->ws.socket,
		    w->ws.connect_ms, w->ws.connect_ms, 1u << 20);
	return w->probe != NULL
		   ? localapi_get(w->probe, PROBE_PATH, on_probe, w)
		   : -1;
}

static void
connect_bus(struct watch *w)
{
	w->state = W_PROBING;
	w->checking = 0;
	if (probe(w) < 0)
		went_down(w, "cannot start a request to tailscaled");
}

/* --- timers --- */

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	connect_bus(arg);
}

static void
bound_hit(struct watch *w, const char *what, long ms)
{
	char why[128];

	snprintf(why, sizeof why, "%s %ld ms", what, ms);
	went_down(w, why);
}

static void
on_first(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;

	(void)fd;
	(void)what;
	bound_hit(
	    w, "no whole first message on the IPN bus within", w->ws.first_ms);
}

static void
on_stall(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;

	(void)fd;
	(void)what;
	bound_hit(
	    w, "a message on the IPN bus stalled half-way for", w->ws.stall_ms);
}

static void
on_idle(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;

	(void)fd;
	(void)what;
	w->checking = 1;
	if (probe(w) < 0)
		went_down(w, "cannot start a request to tailscaled");
}

static void
on_notify(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;

	(void)fd;
	(void)what;
	if (w->live)
		w->ops.changed(w->arg);
}

/* --- the interface --- */

/* Each change the bus applies, for --debug. */
static void __attribute__((format(printf, 2, 3)))
note(void *arg, const char *fmt, ...)
{
	struct watch *w = arg;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	w->host.log(LOG_DEBUG, "tailscale: %s", msg);
}

struct watch *
watch_new(const struct tsnss_host *host, const struct watch_settings *ws,
    const struct watch_ops *ops, void *arg)
{
	struct watch *w = calloc(1, sizeof *w);

	if (w == NULL)
		return NULL;
	w->host = *host;
	w->ws = *ws;
	w->ops = *ops;
	w->arg = arg;
	w->backoff = 1;
	w->ws.socket = strdup(ws->socket);
	w->bus = bus_new(note, w);
	w->retry_ev = evtimer_new(host->base, on_retry, w);
	w->first_ev = evtimer_new(host->base, on_first, w);
	w->stall_ev = evtimer_new(host->base, on_stall, w);
	w->idle_ev = evtimer_new(host->base, on_idle, w);
	w->notify_ev = evtimer_new(host->base, on_notify, w);
	if (w->ws.socket == NULL || w->bus == NULL || !w->retry_ev ||
	    !w->first_ev || !w->stall_ev || !w->idle_ev || !w->notify_ev) {
		watch_free(w);
		return NULL;
	}
	return w;
}

void
watch_start(struct watch *w)
{
	if (w->state == W_IDLE)
		connect_bus(w);
}

int
watch_live(const struct watch *w)
{
	return w->live;
}

int
watch_fallback(const struct watch *w)
{
	return w->state == W_POLLING;
}

struct bus *
watch_bus(struct watch *w)
{
	return w->bus;
}

void
watch_describe(const struct watch *w, char *buf, size_t len)
{
	struct bus_counts c;
	char when[32];
	struct tm tm;

	bus_counts(w->bus, &c);
	if (w->live) {
		gmtime_r(&w->since, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
		snprintf(buf, len,
		    "ipn bus:          connected since %s (%lld s), mask %lu\n"
		    "tailscaled:       %s, state %s\n"
		    "bus messages:     %" PRIu64 ", %" PRIu64
		    " full rebuilds; %" PRIu64 " connections made\n",
		    when, (long long)(time(NULL) - w->since), w->mask,
		    w->version[0] ? w->version : "unknown version",
		    bus_state(w->bus)[0] ? bus_state(w->bus) : "unknown",
		    c.messages, c.rebuilds, w->connects);
	} else if (w->state == W_POLLING) {
		snprintf(buf, len,
		    "ipn bus:          not used, polling status: %s; next try "
		    "in %lld s\n",
		    w->why, (long long)(w->retry_at - time(NULL)));
	} else {
		snprintf(buf, len, "ipn bus:          %s%s%s\n",
		    w->state == W_WAITING ? "down, reconnecting: "
					  : "connecting",
		    w->state == W_WAITING ? w->why : "", "");
	}
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	localapi_free(w->stream);
	localapi_free(w->probe);
	if (w->retry_ev)
		event_free(w->retry_ev);
	if (w->first_ev)
		event_free(w->first_ev);
	if (w->stall_ev)
		event_free(w->stall_ev);
	if (w->idle_ev)
		event_free(w->idle_ev);
	if (w->notify_ev)
		event_free(w->notify_ev);
	bus_free(w->bus);
	free((char *)w->ws.socket);
	free(w);
}
