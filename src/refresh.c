/*
 * refresh.c - keep the snapshot fresh.
 *
 * A good answer is refreshed again at 3/4 of ttl, ahead of expiry.  A bad
 * one (tailscaled absent, slow, malformed, not Running) never replaces the
 * snapshot in hand; it is retried with a growing delay, and logged once
 * per change of error rather than once per try.  Past max_stale the old
 * snapshot is dropped, and lookups fall through to the next NSS source.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "backend.h"
#include "config.h"
#include "localdb.h"
#include "log.h"
#include "notify.h"
#include "policy.h"
#include "refresh.h"
#include "snapshot.h"
#include "tsnssd.h"
#include "xmalloc.h"

#define RETRY_FIRST 1 /* seconds */

struct refresh {
	struct tsnssd *d;
	struct event *timer;
	void (*first_done)(struct tsnssd *d);
	int in_flight;
	time_t last_miss; /* when a lookup miss last asked for a refresh */
	time_t last_ok, last_failed;
	unsigned retry;	  /* seconds until the next try after a failure */
	char *last_error; /* NULL while healthy */
	/* the last good answer, so a new policy (SIGHUP) applies at once */
	struct tsnss_identity *ids;
	size_t n_ids;
	time_t ids_at;
};

static void schedule(struct refresh *r, unsigned seconds);

static void
log_decisions(const struct policy_result *pr)
{
	size_t i;

	for (i = 0; i < pr->n_decisions; i++) {
		const struct policy_decision *dc = &pr->decisions[i];

		log_debug("%s (id %" PRId64 "): %s: %s", dc->login, dc->id,
		    dc->accepted ? "accepted" : "refused", dc->why);
	}
}

static void
forget_ids(struct refresh *r)
{
	size_t i;

	for (i = 0; i < r->n_ids; i++) {
		free((char *)r->ids[i].login);
		free((char *)r->ids[i].display_name);
	}
	free(r->ids);
	r->ids = NULL;
	r->n_ids = 0;
}

static void
keep_ids(struct refresh *r, const struct tsnss_identity *ids, size_t n)
{
	size_t i;

	forget_ids(r);
	r->ids = xcalloc(n, sizeof *r->ids);
	for (i = 0; i < n; i++) {
		r->ids[i].id = ids[i].id;
		r->ids[i].login = xstrdup(ids[i].login);
		r->ids[i].display_name =
		    xstrdup(ids[i].display_name ? ids[i].display_name : "");
	}
	r->n_ids = n;
	r->ids_at = time(NULL);
}

/* The identities the backend gave at `when`, through the policy in force. */
static void
apply(struct refresh *r, time_t when)
{
	struct tsnssd *d = r->d;
	struct localdb *local;
	struct policy_result *pr;
	struct snapshot *s;

	local = localdb_load("/etc/passwd", "/etc/group");
	pr = policy_apply(&d->cf->policy, local, r->ids, r->n_ids);
	log_decisions(pr);
	s = snapshot_build(pr, (int64_t)when,
	    policy_fingerprint(&d->cf->policy));
	log_debug("snapshot: %zu users, %zu groups from %zu identities",
	    pr->n_users, pr->n_groups, r->n_ids);
	policy_result_free(pr);
	localdb_free(local);
	tsnssd_swap_snapshot(d, s, 1);
}

/*
 * The config changed (SIGHUP): the users the old policy made may not be
 * the new one's.  Rebuild from the last good answer now, without waiting
 * for the backend; with no answer in memory, drop a snapshot built under
 * another policy rather than serve it.
 */
void
refresh_reapply(struct refresh *r)
{
	struct snapshot *s = r->d->snap;

	if (r->ids != NULL) {
		apply(r, r->ids_at);
		return;
	}
	if (s != NULL && s->h->policy != policy_fingerprint(&r->d->cf->policy)) {
		log_warn("the identity policy changed and there is no backend "
			 "answer to rebuild from; dropping the snapshot");
		tsnssd_swap_snapshot(r->d, NULL, 0);
	}
}

static void
note_failure(struct refresh *r, const char *why)
{
	struct tsnssd *d = r->d;
	int64_t age;

	if (r->last_error == NULL || strcmp(r->last_error, why) != 0) {
		log_warn("refresh failed: %s; %s", why,
		    d->snap ? "serving the last good snapshot"
			    : "no users to serve yet");
		free(r->last_error);
		r->last_error = xstrdup(why);
	} else {
		log_debug("refresh failed again: %s", why);
	}
	if (d->snap == NULL || d->cf->max_stale == 0)
		return;
	age = (int64_t)time(NULL) - d->snap->h->created;
	if (age > (int64_t)d->cf->max_stale) {
		log_err("snapshot is %" PRId64 " s old, past max_stale (%u s); "
			"dropping it",
		    age, d->cf->max_stale);
		tsnssd_swap_snapshot(d, NULL, 0);
	}
}

static void
fetch_done(const struct tsnss_fetch_result *res, void *arg)
{
	struct refresh *r = arg;
	unsigned ttl = r->d->cf->ttl;

	r->in_flight = 0;
	if (res->status == TSNSS_FETCH_OK) {
		r->d->stats.refresh_ok++;
		r->last_ok = time(NULL);
		if (r->last_error != NULL)
			log_info("refresh works again");
		free(r->last_error);
		r->last_error = NULL;
		r->retry = RETRY_FIRST;
		keep_ids(r, res->ids, res->n_ids);
		apply(r, time(NULL));
		notify_status("serving %u users; last refresh worked",
		    r->d->snap ? r->d->snap->h->n_users : 0);
		schedule(r, ttl * 3 / 4 ? ttl * 3 / 4 : 1);
	} else {
		r->d->stats.refresh_failed++;
		r->last_failed = time(NULL);
		note_failure(r, res->detail ? res->detail : "unknown error");
		notify_status("serving %u users; last refresh failed: %s",
		    r->d->snap ? r->d->snap->h->n_users : 0, r->last_error);
		schedule(r, r->retry);
		r->retry = r->retry * 2 > ttl ? ttl : r->retry * 2;
	}
	if (r->first_done != NULL) {
		void (*cb)(struct tsnssd *) = r->first_done;

		r->first_done = NULL;
		cb(r->d);
	}
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	refresh_now(arg);
}

static void
schedule(struct refresh *r, unsigned seconds)
{
	struct timeval tv = {seconds, 0};

	evtimer_add(r->timer, &tv);
}

void
refresh_now(struct refresh *r)
{
	if (r->in_flight)
		return;
	evtimer_del(r->timer);
	if (backend_fetch(r->d->backend, fetch_done, r) != 0) {
		log_warn("backend refused to start a fetch");
		schedule(r, r->retry);
		return;
	}
	r->in_flight = 1;
}

/*
 * A lookup missed a name that could be a tailnet user: someone may have
 * just joined.  Refresh early, but at most once per refresh_on_miss
 * seconds, so a flood of bogus names costs the backend one request.
 */
void
refresh_on_miss(struct refresh *r)
{
	time_t now = time(NULL);
	unsigned every = r->d->cf->refresh_on_miss;

	if (every == 0 || r->in_flight)
		return;
	if (r->last_miss != 0 && now - r->last_miss < (time_t)every) {
		r->d->stats.miss_refresh_limited++;
		return;
	}
	r->last_miss = now;
	log_debug("refreshing early: a lookup missed");
	refresh_now(r);
}

/* The backend was replaced (SIGHUP): whatever was in flight is gone. */
void
refresh_reset(struct refresh *r)
{
	r->in_flight = 0;
	r->retry = RETRY_FIRST;
	refresh_now(r);
}

static void
describe_time(struct evbuffer *b, const char *what, time_t t)
{
	if (t == 0)
		evbuffer_add_printf(b, "%-17s never\n", what);
	else
		evbuffer_add_printf(
		    b, "%-17s %lld s ago\n", what, (long long)(time(NULL) - t));
}

void
refresh_describe(const struct refresh *r, struct evbuffer *b)
{
	evbuffer_add_printf(b, "state:            %s%s\n",
	    r->last_error ? "failing: " : "ok",
	    r->last_error ? r->last_error : "");
	describe_time(b, "last good fetch:", r->last_ok);
	describe_time(b, "last failure:", r->last_failed);
	evbuffer_add_printf(
	    b, "fetch in flight:  %s\n", r->in_flight ? "yes" : "no");
}

struct refresh *
refresh_new(struct tsnssd *d, void (*first_done)(struct tsnssd *d))
{
	struct refresh *r = xcalloc(1, sizeof *r);

	r->d = d;
	r->first_done = first_done;
	r->retry = RETRY_FIRST;
	r->timer = evtimer_new(d->base, on_timer, r);
	return r;
}

void
refresh_free(struct refresh *r)
{
	if (r == NULL)
		return;
	event_free(r->timer);
	forget_ids(r);
	free(r->last_error);
	free(r);
}
