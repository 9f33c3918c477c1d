/*
 * plugin.c - the tailscale backend: the users of the tailnet, as
 * tailscaled's LocalAPI reports them: pushed by its IPN bus (watch.c),
 * or, where there is no bus, polled from GET /localapi/v0/status.
 *
 * [tailscale] settings of its own (the daemon keeps the rest):
 *   socket            tailscaled's LocalAPI socket
 *   timeout_ms        bound on one whole status request, 10..600000
 *   max_answer_bytes  bound on the status answer, 4096..4294967296
 *   ipn_bus           follow the IPN bus (yes) or only poll (no)
 *   bus_first_ms      subscription to the end of the first message
 *   bus_stall_ms      a bus message that stops arriving half-way
 *   bus_idle_s        a silent bus is checked this often
 *   bus_retry_s       after falling back to polling, try the bus again
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <syslog.h>

#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif

#include <curl/curl.h>
#include <event2/event.h>

#include "bus.h"
#include "fetch.h"
#include "jdoc.h"
#include "localapi.h"
#include "plugin.h"
#include "setting.h"
#include "status.h"
#include "watch.h"

#define DEFAULT_SOCKET "/var/run/tailscale/tailscaled.sock"
/*
 * A 100k-user status is about 150 MB and takes tailscaled seconds to
 * write: the defaults must not be what breaks a large tailnet.
 */
#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_MAX_BYTES (512L * 1024 * 1024)
#define DEFAULT_CONNECT_MS 2000 /* a unix socket connects at once or never */
/* sizeof sockaddr_un.sun_path, which has no name of its own */
#define UNIX_PATH_MAX ((long)sizeof(((struct sockaddr_un *)0)->sun_path))
#define STATUS_PATH "/localapi/v0/status"
/* The owner of every tagged device: never a person. */
#define TAGGED_DEVICES "tagged-devices"

struct ts_plugin {
	struct tsnss_host host;
	char *socket;
	long timeout_ms;
	size_t max_bytes;
	int use_bus;
	struct watch_settings ws;
	struct watch *watch; /* made at the first fetch: init does no I/O */
	int bus_answered;    /* the bus gave an answer this process */
	int waiting;	     /* a fetch waits for the bus's first answer */
	int bus_down;	     /* the bus failed once: fetches poll meanwhile */
	uint64_t trimmed_at; /* full rebuilds seen at the last malloc_trim */
	struct event *trim_ev;
	int pushed_status; /* the last answer pushed: -1 none yet */
	/*
	 * News from the bus is handled in two turns of the loop, each a few
	 * milliseconds at 100k users, rather than one twice as long: `derive`
	 * works out the users, `deliver` hands them to the daemon.
	 */
	struct event *derive, *deliver;
	int answering; /* the users go to a fetch, not a push */
	enum tsnss_fetch_status derived;
	char derived_why[128];
	struct event *answer; /* answers a fetch from the bus, from the loop */
	struct localapi *api; /* made at the first fetch: init does no I/O */
	struct fetch fetch;   /* the one under way */
	/* the status answer of the poll under way, read as it arrives */
	struct jdoc *parser;
	size_t got;	   /* bytes of it so far */
	int too_big;	   /* past max_answer_bytes */
	char bad[256];	   /* why the parser refused it, or "" */
	size_t n_skipped;  /* odd profiles at the last fetch, */
	char *skip_reason; /* and why the first was left out */
};

/* --- settings ------------------------------------------------------------ */

/* Its own keys, and the transfer's: where each value goes in p. */
static int
apply_settings(struct ts_plugin *p, const struct tsnss_setting *settings,
    size_t n, char *err, size_t errlen)
{
	const struct setting_key keys[] = {
	    {"socket", SETTING_PATH, &p->socket, 0, UNIX_PATH_MAX, NULL},
	    SETTING_TRANSFER_KEYS(&p->timeout_ms, &p->max_bytes),
	    {"ipn_bus", SETTING_BOOL, &p->use_bus, 0, 0, NULL},
	    {"bus_first_ms", SETTING_LONG, &p->ws.first_ms, 100, 600000, NULL},
	    {"bus_stall_ms", SETTING_LONG, &p->ws.stall_ms, 100, 600000, NULL},
	    {"bus_idle_s", SETTING_LONG, &p->ws.idle_s, 1, 86400, NULL},
	    {"bus_retry_s", SETTING_LONG, &p->ws.retry_s, 1, 86400, NULL},
	};

	return settings_apply(keys, sizeof keys / sizeof keys[0], "tailscale",
	    settings, n, err, errlen);
}

/* Checked here so that `tsnssd -t` catches it, not the first fetch. */
static int
check_libcurl(char *err, size_t errlen)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	if (v->features & CURL_VERSION_UNIX_SOCKETS)
		return 0;
	snprintf(err, errlen, "libcurl %s cannot talk over unix sockets",
	    v->version);
	return -1;
}

static void ts_free(void *state);

static void
set_defaults(struct ts_plugin *p)
{
	p->timeout_ms = DEFAULT_TIMEOUT_MS;
	p->max_bytes = DEFAULT_MAX_BYTES;
	p->use_bus = 1;
	p->pushed_status = -1;
	p->ws.connect_ms = DEFAULT_CONNECT_MS;
	p->ws.first_ms = 120000; /* tailscaled writes 100k peers in seconds */
	p->ws.stall_ms = 15000;
	p->ws.idle_s = 60;
	p->ws.retry_s = 600;
}

static void *
ts_init(const struct tsnss_host *host, const struct tsnss_setting *settings,
    size_t n_settings, char *err, size_t errlen)
{
	struct ts_plugin *p = calloc(1, sizeof *p);

	if (p == NULL || (p->socket = strdup(DEFAULT_SOCKET)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(p);
		return NULL;
	}
	fetch_host(&p->host, host);
	set_defaults(p);
	if (apply_settings(p, settings, n_settings, err, errlen) < 0 ||
	    check_libcurl(err, errlen) < 0)
		goto fail;
	return p;
fail:
	ts_free(p);
	return NULL;
}

/* --- results ------------------------------------------------------------- */

/* Wire text in a log line or detail: short and printable. */
static const char *
printable(const char *s, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < outlen; i++)
		out[i] =
		    (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	out[i] = '\0';
	return out;
}

static void
report_users(struct ts_plugin *p, const struct ts_status *st)
{
	struct tsnss_identity *ids = calloc(st->n_users + 1, sizeof *ids);
	size_t i, n = 0;

	if (ids == NULL) {
		fetch_end(
		    &p->fetch, TSNSS_FETCH_ERROR, "out of memory", NULL, 0);
		return;
	}
	for (i = 0; i < st->n_users; i++) {
		const struct ts_user *u = &st->users[i];

		if (strcmp(u->login, TAGGED_DEVICES) == 0) {
			p->host.log(LOG_DEBUG,
			    "tailscale: leaving out the %s pseudo-user "
			    "(id %" PRId64 ")",
			    TAGGED_DEVICES, u->id);
			continue;
		}
		ids[n].id = u->id;
		ids[n].login = u->login;
		ids[n].display_name = u->display_name;
		ids[n].groups = (const char *const *)u->groups;
		ids[n].n_groups = u->n_groups;
		n++;
	}
	fetch_end(&p->fetch, TSNSS_FETCH_OK, NULL, ids, n);
	free(ids);
}

/* Warn when the set of odd profiles changes, not at every refresh. */
static void
note_skipped(struct ts_plugin *p, const struct ts_status *st)
{
	const char *why = st->skip_reason ? st->skip_reason : "";
	int changed = st->n_skipped != p->n_skipped ||
		      strcmp(why, p->skip_reason ? p->skip_reason : "") != 0;

	if (st->n_skipped > 0)
		p->host.log(changed ? LOG_WARNING : LOG_DEBUG,
		    "tailscale: left out %zu user profile(s) that tailscaled "
		    "reported; the first %s",
		    st->n_skipped, why);
	if (!changed)
		return;
	free(p->skip_reason);
	p->skip_reason = st->skip_reason ? strdup(st->skip_reason) : NULL;
	p->n_skipped = st->n_skipped;
}

static void
report_status(struct ts_plugin *p, const struct ts_status *st)
{
	char state[64], detail[128];

	printable(st->backend_state, state, sizeof state);
	note_skipped(p, st);
	if (strcmp(st->backend_state, "Running") != 0) {
		snprintf(detail, sizeof detail, "tailscaled BackendState is %s",
		    state);
		fetch_end(&p->fetch, TSNSS_FETCH_NOT_READY, detail, NULL, 0);
		return;
	}
	report_users(p, st);
}

/*
 * The status answer as it arrives (from inside libcurl, bounded there
 * by max_answer_bytes): parsed at once, so it is never held whole.
 */
static int
on_status_data(const char *data, size_t len, void *arg)
{
	struct ts_plugin *p = arg;

	return jdoc_feed(p->parser, data, len, p->bad, sizeof p->bad);
}

/* The parsed answer, or NULL with why not in detail. */
static struct ts_status *
poll_result(struct ts_plugin *p, const struct httpreq_reply *reply,
    char *detail, size_t len)
{
	struct ts_status *st = NULL;

	if (p->bad[0] == '\0' && reply->error == NULL)
		ts_status_parser_finish(p->parser, &st, p->bad, sizeof p->bad);
	jdoc_free(p->parser);
	p->parser = NULL;
	if (p->bad[0] != '\0')
		snprintf(detail, len, "malformed status JSON: %s", p->bad);
	else if (st == NULL)
		snprintf(detail, len, "%s", reply->error);
	return st;
}

static void
log_fetched(struct ts_plugin *p, size_t bytes, const struct ts_status *st)
{
	char state[64], tailnet[128];

	p->host.log(LOG_DEBUG,
	    "tailscale: fetched %zu bytes from %s: BackendState %s, "
	    "%zu user profiles, tailnet %s",
	    bytes, p->socket, printable(st->backend_state, state, sizeof state),
	    st->n_users,
	    st->tailnet ? printable(st->tailnet, tailnet, sizeof tailnet)
			: "(none)");
}

static void
on_reply(const struct httpreq_reply *reply, void *arg)
{
	struct ts_plugin *p = arg;
	struct ts_status *st;
	char detail[600];

	if ((st = poll_result(p, reply, detail, sizeof detail)) == NULL) {
		fetch_fail(&p->fetch, detail);
		return;
	}
	log_fetched(p, reply->received, st);
	report_status(p, st);
	ts_status_free(st);
	fetch_trim(); /* p may be gone: touched no more */
}

/* --- fetching ------------------------------------------------------------ */

static int
start(struct ts_plugin *p)
{
	if (p->api == NULL)
		p->api = localapi_new(p->host.base, p->socket, p->timeout_ms,
		    p->ws.connect_ms, p->max_bytes);
	if (p->api == NULL) {
		snprintf(p->fetch.why, sizeof p->fetch.why,
		    "cannot set up libcurl to reach tailscaled at %s",
		    p->socket);
		return -1;
	}
	jdoc_free(p->parser);
	p->bad[0] = '\0';
	if ((p->parser = ts_status_parser_new()) == NULL ||
	    localapi_get_sunk(
		p->api, STATUS_PATH, on_status_data, on_reply, p) < 0) {
		snprintf(p->fetch.why, sizeof p->fetch.why,
		    "cannot start a request to tailscaled at %s "
		    "(out of memory?)",
		    p->socket);
		return -1;
	}
	return 0;
}

/* --- the IPN bus ------------------------------------------------------------
 */

/* What the bus says now: the users while Running, else not ready. */
static enum tsnss_fetch_status
bus_answer(struct ts_plugin *p, const struct tsnss_identity **ids, size_t *n,
    int *changed, char *detail, size_t len)
{
	struct bus *b = watch_bus(p->watch);
	const char *state = bus_state(b);

	*ids = bus_users(b, n, changed);
	if (*ids == NULL) {
		snprintf(detail, len, "out of memory");
		return TSNSS_FETCH_ERROR;
	}
	if (strcmp(state, "Running") != 0) {
		snprintf(detail, len, "tailscaled BackendState is %s",
		    state[0] ? state : "unknown");
		*n = 0;
		return TSNSS_FETCH_NOT_READY;
	}
	return TSNSS_FETCH_OK;
}

static void
push(struct ts_plugin *p, enum tsnss_fetch_status status, const char *detail,
    const struct tsnss_identity *ids, size_t n)
{
	struct tsnss_fetch_result res = fetch_result(status, detail, ids, n);

	if (TSNSS_HAS(&p->host, struct tsnss_host, push_arg) &&
	    p->host.push != NULL)
		p->host.push(&res, p->host.push_arg);
}

/*
 * A full rebuild of a large tailnet leaves glibc holding the memory its
 * parse (and the daemon's rebuild, inside push) used: hand it back.
 */
static void
trim(struct ts_plugin *p)
{
	struct bus_counts c;

	bus_counts(watch_bus(p->watch), &c);
	if (c.rebuilds == p->trimmed_at)
		return;
	p->trimmed_at = c.rebuilds;
#ifdef HAVE_MALLOC_TRIM
	malloc_trim(0);
#endif
}

/* After a fetch was answered from the bus (fetch_end() may free p). */
static void
on_trim(evutil_socket_t fd, short events, void *arg)
{
	struct ts_plugin *p = arg;

	(void)fd;
	(void)events;
	bus_users_release(watch_bus(p->watch));
	trim(p);
}

/*
 * The fetch under way, answered from the bus over the next two turns of
 * the loop (see `derive` and `deliver`).
 */
static void
answer_fetch(struct ts_plugin *p)
{
	struct timeval now = {0, 0};

	p->waiting = 0;
	p->answering = 1;
	evtimer_add(p->derive, &now);
}

/* A fetch waiting for the bus, or the daemon unasked, hears the news. */
static void
on_bus_changed(void *arg)
{
	struct ts_plugin *p = arg;
	struct timeval now = {0, 0};

	p->bus_answered = 1;
	if (p->waiting) {
		answer_fetch(p);
		return; /* p may be gone */
	}
	evtimer_add(p->derive, &now);
}

/* The users the news makes; on to `deliver` if they changed. */
static void
on_derive(evutil_socket_t fd, short events, void *arg)
{
	struct ts_plugin *p = arg;
	const struct tsnss_identity *ids;
	struct timeval now = {0, 0};
	size_t n;
	int changed;

	(void)fd;
	(void)events;
	p->derived = bus_answer(
	    p, &ids, &n, &changed, p->derived_why, sizeof p->derived_why);
	if (!p->answering && (int)p->derived == p->pushed_status &&
	    (p->derived != TSNSS_FETCH_OK || !changed))
		return;
	p->pushed_status = (int)p->derived;
	evtimer_add(p->deliver, &now);
}

/*
 * Hand what `derive` found to the daemon: the answer to a fetch, or a
 * push.  Newer news first goes back through `derive`.
 */
static void
on_deliver(evutil_socket_t fd, short events, void *arg)
{
	struct ts_plugin *p = arg;
	struct bus *b = watch_bus(p->watch);
	const struct tsnss_identity *ids;
	struct timeval now = {0, 0};
	enum tsnss_fetch_status st = p->derived;
	size_t n;
	int changed;

	(void)fd;
	(void)events;
	if (bus_dirty(b)) {
		evtimer_add(p->derive, &now);
		return;
	}
	if ((ids = bus_users(b, &n, &changed)) == NULL)
		st = TSNSS_FETCH_ERROR;
	if (st != TSNSS_FETCH_OK)
		n = 0;
	if (p->answering) {
		p->answering = 0;
		/* the daemon takes its copy in fetch_end(): free ours after */
		evtimer_add(p->trim_ev, &now);
		fetch_end(&p->fetch, st, p->derived_why, ids, n);
		return; /* p may be gone */
	}
	push(p, st, p->derived_why, ids, n);
	bus_users_release(b);
	trim(p);
}

/*
 * The bus cannot answer now.  A fetch that waited for it is answered by
 * polling, as without a bus; the users the bus gave stay in the daemon.
 */
static void
on_bus_down(void *arg, const char *why, int fallback)
{
	struct ts_plugin *p = arg;

	(void)why;
	(void)fallback;
	p->bus_down = 1;
	p->pushed_status = -1; /* after a poll, the next picture is news */
	if (!p->waiting)
		return;
	p->waiting = 0;
	if (start(p) < 0 && fetch_fail_soon(&p->fetch) < 0)
		fetch_end(&p->fetch, TSNSS_FETCH_ERROR, p->fetch.why, NULL, 0);
}

/* A fetch while the bus is live: answered from what it said, at once. */
static void
on_answer(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	answer_fetch(arg);
}

static int
start_bus(struct ts_plugin *p)
{
	static const struct watch_ops ops = {on_bus_changed, on_bus_down};

	p->ws.socket = p->socket;
	p->watch = watch_new(&p->host, &p->ws, &ops, p);
	p->answer = evtimer_new(p->host.base, on_answer, p);
	p->trim_ev = evtimer_new(p->host.base, on_trim, p);
	p->derive = evtimer_new(p->host.base, on_derive, p);
	p->deliver = evtimer_new(p->host.base, on_deliver, p);
	if (p->watch == NULL || p->answer == NULL || p->trim_ev == NULL ||
	    p->derive == NULL || p->deliver == NULL)
		return -1;
	watch_start(p->watch);
	return 0;
}

/* 1 if the bus answers this fetch (now or at its first message). */
static int
fetch_from_bus(struct ts_plugin *p)
{
	struct timeval now = {0, 0};

	if (!p->use_bus || (p->watch == NULL && start_bus(p) < 0))
		return 0;
	if (watch_live(p->watch))
		return evtimer_add(p->answer, &now) == 0;
	if (!p->bus_answered && !p->bus_down) {
		p->waiting = 1;
		return 1;
	}
	return 0;
}

static int
ts_fetch(void *state, tsnss_fetch_done_fn *done, void *arg)
{
	struct ts_plugin *p = state;

	if (fetch_begin(&p->fetch, p->host.base, done, arg) < 0)
		return -1;
	if (!fetch_from_bus(p) && start(p) < 0 &&
	    fetch_fail_soon(&p->fetch) < 0)
		return -1;
	return 0;
}

static void
ts_describe(void *state, char *buf, size_t len)
{
	struct ts_plugin *p = state;

	if (p->watch != NULL)
		watch_describe(p->watch, buf, len);
	else
		snprintf(buf, len, "ipn bus:          %s\n",
		    p->use_bus ? "not yet started" : "off (ipn_bus = no)");
}

static void
ts_free(void *state)
{
	struct ts_plugin *p = state;

	if (p == NULL)
		return;
	localapi_free(p->api);
	watch_free(p->watch);
	if (p->answer != NULL)
		event_free(p->answer);
	if (p->trim_ev != NULL)
		event_free(p->trim_ev);
	if (p->derive != NULL)
		event_free(p->derive);
	if (p->deliver != NULL)
		event_free(p->deliver);
	fetch_clear(&p->fetch);
	jdoc_free(p->parser);
	free(p->skip_reason);
	free(p->socket);
	free(p);
}

FETCH_PLUGIN("tailscale", ts, 0);
