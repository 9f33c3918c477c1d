/*
 * source.c - see source.h.
 *
 * A good answer is fetched again at 3/4 of ttl, ahead of expiry.  A bad
 * one (the backend absent, slow, malformed, not ready) never replaces the
 * answer in hand; it is retried with a growing delay, and logged once per
 * change of error rather than once per try.  Past max_stale the answer is
 * dropped, and with it this source's users; other sources' stay.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "backend.h"
#include "config.h"
#include "idlist.h"
#include "idstore.h"
#include "log.h"
#include "source.h"
#include "tsnssd.h"
#include "xmalloc.h"

#define RETRY_FIRST 1 /* seconds */

struct source {
	struct tsnssd *d;
	size_t idx; /* into d->cf->backends and d->backends */
	char *name;
	source_event_fn *fn;
	void *arg;
	struct event *timer;
	int in_flight, tried;
	time_t last_miss;     /* when a lookup miss last asked for a fetch */
	time_t backoff_until; /* no early fetch before: the last one failed */
	uint64_t n_miss_held; /* misses that asked during a back-off */
	time_t last_ok, last_failed;
	unsigned retry;	  /* seconds until the next try after a failure */
	char *last_error; /* NULL while healthy */
	struct idlist *answer;
	time_t answer_at;
	struct idlist *pinned;	/* read by a build under way */
	struct idlist *retired; /* the pinned one, replaced meanwhile */
	uint64_t n_pushed;	/* answers the backend pushed unasked */
	uint64_t n_unchanged;	/* answers that changed nothing */
};

static const struct backend_config *
conf(const struct source *s)
{
	return &s->d->cf->backends[s->idx];
}

static struct backend *
backend(const struct source *s)
{
	return s->d->backends[s->idx];
}

static void
schedule(struct source *s, unsigned seconds)
{
	struct timeval tv = {seconds, 0};

	evtimer_add(s->timer, &tv);
}

/* Replace the answer in hand; a pinned one lives on until unpinned. */
static void
set_answer(struct source *s, struct idlist *l, time_t at)
{
	if (s->answer != NULL && s->answer == s->pinned)
		s->retired = s->answer;
	else
		idlist_free(s->answer);
	s->answer = l;
	s->answer_at = l != NULL ? at : 0;
}

const struct idlist *
source_pin(struct source *s)
{
	s->pinned = s->answer;
	return s->answer;
}

void
source_unpin(struct source *s)
{
	idlist_free(s->retired);
	s->retired = NULL;
	s->pinned = NULL;
}

const struct idlist *
source_answer(const struct source *s, time_t *at)
{
	*at = s->answer_at;
	return s->answer;
}

time_t
source_serve_until(const struct source *s)
{
	unsigned ms = conf(s)->max_stale;

	return s->answer != NULL && ms != 0 ? s->answer_at + (time_t)ms : 0;
}

int
source_tried(const struct source *s)
{
	return s->tried;
}

const char *
source_name(const struct source *s)
{
	return s->name;
}

/* Past max_stale the answer goes, and this source's users with it. */
static void
check_age(struct source *s)
{
	unsigned ms = conf(s)->max_stale;
	time_t seen = s->last_ok > s->answer_at ? s->last_ok : s->answer_at;

	if (s->answer == NULL || ms == 0 || time(NULL) - seen <= (time_t)ms)
		return;
	log_err("[%s]: its last good answer is %lld s old, past max_stale "
		"(%u s); dropping its users",
	    s->name, (long long)(time(NULL) - seen), ms);
	set_answer(s, NULL, 0);
	s->fn(s, SOURCE_CHANGED, s->arg);
}

static void
took_failure(struct source *s, const struct tsnss_fetch_result *res)
{
	const char *why = res->status == TSNSS_FETCH_OK
			      ? "the plugin's answer lacks fields"
			  : res->detail ? res->detail
					: "unknown error";

	s->d->stats.refresh_failed++;
	s->last_failed = time(NULL);
	if (s->last_error == NULL || strcmp(s->last_error, why) != 0) {
		log_warn("[%s]: refresh failed: %s; %s", s->name, why,
		    s->answer ? "keeping its last good answer"
			      : "none of its users to serve yet");
		free(s->last_error);
		s->last_error = xstrdup(why);
	} else {
		log_debug("[%s]: refresh failed again: %s", s->name, why);
	}
	s->fn(s, SOURCE_FAILED, s->arg);
	check_age(s);
}

static int
answer_good(const struct source *s, const struct tsnss_fetch_result *res)
{
	return (res->status == TSNSS_FETCH_OK && backend_result_usable(res)) ||
	       (res->status == TSNSS_FETCH_UNCHANGED && s->answer != NULL);
}

/*
 * The snapshot (and the map the stub reads) may be served until max_stale
 * after the answer it was built from: an unchanged answer is renewed once
 * half of that has passed, not more often.
 */
static int
due_for_renewal(const struct source *s)
{
	unsigned ms = conf(s)->max_stale;

	return ms != 0 && s->answer != NULL &&
	       time(NULL) - s->answer_at > (time_t)(ms / 2);
}

static void
took_answer(struct source *s, const struct tsnss_fetch_result *res)
{
	struct idlist *l = NULL;

	s->d->stats.refresh_ok++;
	s->last_ok = time(NULL);
	if (s->last_error != NULL)
		log_info("[%s]: refresh works again", s->name);
	free(s->last_error);
	s->last_error = NULL;
	s->retry = RETRY_FIRST;
	if (res->status == TSNSS_FETCH_OK)
		l = idlist_from_result(res);
	if (s->answer != NULL && (l == NULL || idlist_equal(l, s->answer)) &&
	    !due_for_renewal(s)) {
		idlist_free(l);
		s->n_unchanged++;
		log_debug("[%s]: backend answer unchanged", s->name);
		s->fn(s, SOURCE_SAME, s->arg);
		return;
	}
	if (l == NULL) { /* renewed: the same answer, confirmed */
		s->answer_at = time(NULL);
	} else {
		set_answer(s, l, time(NULL));
	}
	s->fn(s, SOURCE_CHANGED, s->arg);
}

/* The backend pushed a new answer unasked (tailscaled's IPN bus). */
static void
pushed(const struct tsnss_fetch_result *res, void *arg)
{
	struct source *s = arg;

	s->n_pushed++;
	if (answer_good(s, res))
		took_answer(s, res);
	else
		took_failure(s, res);
}

/*
 * The next try after a failure, later each time up to the ttl.  Until
 * then a miss asks in vain: it must not make the backend (a rate-limited
 * API) be asked more often than the back-off allows.
 */
static void
back_off(struct source *s)
{
	unsigned ttl = backend_ttl(backend(s));

	schedule(s, s->retry);
	s->backoff_until = time(NULL) + (time_t)s->retry;
	s->retry = s->retry * 2 > ttl ? ttl : s->retry * 2;
}

static void
fetch_done(const struct tsnss_fetch_result *res, void *arg)
{
	struct source *s = arg;
	unsigned ttl = backend_ttl(backend(s));

	s->in_flight = 0;
	s->tried = 1;
	if (answer_good(s, res)) {
		s->backoff_until = 0;
		schedule(s, ttl * 3 / 4 ? ttl * 3 / 4 : 1);
		took_answer(s, res);
	} else {
		back_off(s);
		took_failure(s, res);
	}
}

void
source_fetch(struct source *s)
{
	if (s->in_flight)
		return;
	evtimer_del(s->timer);
	if (backend_fetch(backend(s), fetch_done, s) != 0) {
		log_warn("[%s]: the backend refused to start a fetch", s->name);
		back_off(s);
		return;
	}
	s->in_flight = 1;
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	source_fetch(arg);
}

/*
 * refresh_on_miss, or by default: for a source costly to ask (its plugin
 * names a default ttl: the control-plane API), its ttl, so that misses
 * cost it no more than the refreshes do; else 5 s.
 */
static unsigned
miss_every(const struct source *s)
{
	unsigned every = conf(s)->refresh_on_miss;

	if (every != CONFIG_UNSET)
		return every;
	return backend_costly(backend(s)) ? backend_ttl(backend(s))
					  : CONFIG_DEFAULT_REFRESH_ON_MISS;
}

/*
 * Someone may have just joined: fetch early, but at most once per
 * refresh_on_miss seconds, so a flood of bogus names costs the backend
 * one request, and never during a back-off.
 */
void
source_on_miss(struct source *s)
{
	unsigned every = miss_every(s);
	time_t now = time(NULL);

	if (every == 0 || s->in_flight)
		return;
	if (now < s->backoff_until) {
		s->n_miss_held++;
		s->d->stats.miss_backoff_held++;
		return;
	}
	if (s->last_miss != 0 && now - s->last_miss < (time_t)every) {
		s->d->stats.miss_refresh_limited++;
		return;
	}
	s->last_miss = now;
	log_debug("[%s]: fetching early: a lookup missed", s->name);
	source_fetch(s);
}

int
source_restore(struct source *s, char *err, size_t errlen)
{
	const char *dir = s->d->cf->cache_dir;
	struct idlist *l;
	time_t at;
	unsigned ms = conf(s)->max_stale;

	l = idstore_load(
	    dir, s->name, s->d->cf->max_state_bytes, &at, err, errlen);
	/* before there could be several backends, the one had no suffix */
	if (l == NULL && err[0] == '\0' && s->d->cf->n_backends == 1)
		l = idstore_load(
		    dir, NULL, s->d->cf->max_state_bytes, &at, err, errlen);
	if (l == NULL)
		return -1;
	if (ms != 0 && time(NULL) - at > (time_t)ms) {
		snprintf(err, errlen,
		    "[%s]: the persisted answer is older than max_stale; "
		    "not using it",
		    s->name);
		idlist_free(l);
		return -1;
	}
	log_info("[%s]: %zu persisted identities, %lld s old", s->name, l->n,
	    (long long)(time(NULL) - at));
	set_answer(s, l, at);
	return 0;
}

void
source_inherit(struct source *s, struct source *from)
{
	set_answer(s, from->answer, from->answer_at);
	from->answer = NULL;
	s->last_ok = from->last_ok;
	s->last_failed = from->last_failed;
	s->last_miss = from->last_miss;
	s->backoff_until = from->backoff_until;
	s->n_miss_held = from->n_miss_held;
	s->last_error = from->last_error;
	from->last_error = NULL;
	s->tried = from->tried;
	s->n_pushed = from->n_pushed;
	s->n_unchanged = from->n_unchanged;
}

static void
describe_time(struct evbuffer *b, const char *what, time_t t)
{
	if (t == 0)
		evbuffer_add_printf(b, "  %-17s never\n", what);
	else
		evbuffer_add_printf(b, "  %-17s %lld s ago\n", what,
		    (long long)(time(NULL) - t));
}

void
source_describe(const struct source *s, struct evbuffer *b)
{
	char plugin[2048], *line, *save = NULL;

	evbuffer_add_printf(b, "[%s]\n  state:            %s%s\n", s->name,
	    s->last_error ? "failing: " : "ok",
	    s->last_error ? s->last_error : "");
	evbuffer_add_printf(b, "  identities:       %zu\n",
	    s->answer ? s->answer->n : (size_t)0);
	evbuffer_add_printf(
	    b, "  ttl:              %u s\n", backend_ttl(backend(s)));
	if (miss_every(s) == 0)
		evbuffer_add_printf(b, "  refresh on miss:  never\n");
	else
		evbuffer_add_printf(b,
		    "  refresh on miss:  at most every %u s\n", miss_every(s));
	evbuffer_add_printf(b,
	    "  misses held back: %" PRIu64 " (backing off)\n", s->n_miss_held);
	describe_time(b, "last good fetch:", s->last_ok);
	describe_time(b, "last failure:", s->last_failed);
	evbuffer_add_printf(
	    b, "  fetch in flight:  %s\n", s->in_flight ? "yes" : "no");
	evbuffer_add_printf(b,
	    "  answers pushed:   %" PRIu64 "\n  answers unchanged: %" PRIu64
	    "\n",
	    s->n_pushed, s->n_unchanged);
	backend_describe(backend(s), plugin, sizeof plugin);
	for (line = strtok_r(plugin, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		evbuffer_add_printf(b, "  %s\n", line);
}

struct source *
source_new(struct tsnssd *d, size_t idx, source_event_fn *fn, void *arg)
{
	struct source *s = xcalloc(1, sizeof *s);

	s->d = d;
	s->idx = idx;
	s->name = xstrdup(d->cf->backends[idx].name);
	s->fn = fn;
	s->arg = arg;
	s->retry = RETRY_FIRST;
	s->timer = evtimer_new(d->base, on_timer, s);
	backend_on_push(d->backends[idx], pushed, s);
	return s;
}

void
source_free(struct source *s)
{
	if (s == NULL)
		return;
	event_free(s->timer);
	set_answer(s, NULL, 0);
	source_unpin(s);
	free(s->last_error);
	free(s->name);
	free(s);
}
