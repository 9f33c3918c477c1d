/*
 * refresh.c - keep the snapshot fresh.
 *
 * A good answer is refreshed again at 3/4 of ttl, ahead of expiry.  A bad
 * one (tailscaled absent, slow, malformed, not Running) never replaces the
 * snapshot in hand; it is retried with a growing delay, and logged once
 * per change of error rather than once per try.  Past max_stale the old
 * snapshot is dropped, and lookups fall through to the next NSS source.
 *
 * A good answer is built into a snapshot by the worker in build.c.  While
 * it builds, the answer it reads stays frozen: a newer one waits in
 * `next` and is built as soon as the worker is done.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "backend.h"
#include "build.h"
#include "claims.h"
#include "config.h"
#include "idlist.h"
#include "idstore.h"
#include "localdb.h"
#include "localwatch.h"
#include "log.h"
#include "notify.h"
#include "policy.h"
#include "refresh.h"
#include "snapshot.h"
#include "swap.h"
#include "tsnssd.h"
#include "xmalloc.h"

#define RETRY_FIRST 1 /* seconds */
#define ASK_UIDS 8    /* tsnssctl refresh callers remembered */

/* One backend answer, owned (a deep copy: the plugin's is short-lived). */
struct answer {
	struct idlist *list;
	time_t at;
	int valid;
};

struct refresh {
	struct tsnssd *d;
	struct event *timer;
	struct builder *builder;
	void (*first_done)(struct tsnssd *d);
	int in_flight;
	time_t last_miss; /* when a lookup miss last asked for a refresh */
	time_t last_ok, last_failed;
	unsigned retry;	  /* seconds until the next try after a failure */
	char *last_error; /* NULL while healthy */
	/*
	 * The last good answer, so a new policy (SIGHUP) applies at once;
	 * frozen while the worker builds from it.  `next` is a newer one
	 * that came meanwhile, or a rebuild asked for (valid, no ids).
	 */
	struct answer last, next;
	uint64_t n_pushed;    /* answers the backend pushed unasked */
	uint64_t n_unchanged; /* answers that changed nothing */
	/* who owns which name and UID here; the worker adds to it */
	struct claims *claims;
	struct localwatch *watch; /* /etc/passwd and /etc/group */
	struct {
		uid_t uid;
		time_t at;
	} asked[ASK_UIDS]; /* tsnssctl refresh, per caller */
};

static void schedule(struct refresh *r, unsigned seconds);

static void
answer_clear(struct answer *a)
{
	idlist_free(a->list);
	memset(a, 0, sizeof *a);
}

static void
answer_keep(struct answer *a, struct idlist *list)
{
	answer_clear(a);
	a->list = list;
	a->at = time(NULL);
	a->valid = 1;
}

static void
answer_move(struct answer *to, struct answer *from)
{
	answer_clear(to);
	*to = *from;
	memset(from, 0, sizeof *from);
}

/* Build the last good answer, through the policy in force, off the loop. */
static void
build_last(struct refresh *r)
{
	struct tsnssd *d = r->d;
	struct build_input in = {
	    .pc = &d->cf->policy,
	    .ids = r->last.list->ids,
	    .n_ids = r->last.list->n,
	    .meta = {.created = (int64_t)r->last.at,
		.serve_until = d->cf->max_stale
				   ? (int64_t)r->last.at + d->cf->max_stale
				   : 0,
		.generation = d->generation + 1,
		.policy = policy_fingerprint(&d->cf->policy),
		.flags = d->cf->enumerate ? 0 : TSNSS_SNAP_NOENUM},
	    .cache_dir = d->cf->cache_dir,
	    .claims = r->claims,
	    .pub = d->pub,
	    .passwd = "/etc/passwd",
	    .group = "/etc/group",
	};

	if (builder_start(r->builder, &in) != 0)
		log_warn("snapshot build not started; the next refresh "
			 "tries again");
}

/* A new good answer (list, now owned) or a rebuild of the last (NULL). */
static void
rebuild(struct refresh *r, struct idlist *list)
{
	if (builder_busy(r->builder)) {
		if (list != NULL)
			answer_keep(&r->next, list);
		else
			r->next.valid = 1;
		return;
	}
	if (list != NULL)
		answer_keep(&r->last, list);
	build_last(r);
}

/* The newest answer kept: one waiting to be built, else the last built. */
static const struct idlist *
newest(const struct refresh *r)
{
	return r->next.valid && r->next.list ? r->next.list : r->last.list;
}

static void
call_first_done(struct refresh *r)
{
	void (*cb)(struct tsnssd *) = r->first_done;

	if (cb == NULL)
		return;
	r->first_done = NULL;
	cb(r->d);
}

static void
build_done(struct snapshot *s, void *arg)
{
	struct refresh *r = arg;

	if (s != NULL) {
		r->d->stats.builds++;
		swap_snapshot(r->d, s);
	}
	notify_status("serving %u users; last refresh %s",
	    r->d->snap ? r->d->snap->h->n_users : 0,
	    r->last_error ? "failed" : "worked");
	if (r->next.valid) {
		if (r->next.list != NULL)
			answer_move(&r->last, &r->next);
		else
			r->next.valid = 0;
		build_last(r);
		return;
	}
	call_first_done(r);
}

/*
 * The config changed (SIGHUP): the users the old policy made may not be
 * the new one's.  Rebuild from the last good answer now, without waiting
 * for the backend; with no answer in memory, drop a snapshot built under
 * another policy rather than serve it.  The caller has waited for any
 * build under way (builder_wait via refresh_quiesce).
 */
void
refresh_reapply(struct refresh *r)
{
	struct snapshot *s = r->d->snap;

	if (r->last.valid) {
		rebuild(r, NULL);
		return;
	}
	if (s != NULL &&
	    s->h->policy != policy_fingerprint(&r->d->cf->policy)) {
		log_warn("the identity policy changed and there is no backend "
			 "answer to rebuild from; dropping the snapshot");
		swap_snapshot(r->d, NULL);
	}
}

/* Let any build under way finish, so its borrowed input may change. */
void
refresh_quiesce(struct refresh *r)
{
	builder_wait(r->builder);
}

/*
 * A local account appeared or went: it wins over a tailnet user at once,
 * with the backend down too.  Without an answer to apply the policy to,
 * the snapshot in hand might hand the new account's name a tailnet
 * user's groups: drop it.
 */
static void
on_local_change(void *arg)
{
	struct refresh *r = arg;

	if (r->last.valid) {
		rebuild(r, NULL);
		return;
	}
	if (r->d->snap != NULL) {
		log_warn(
		    "local accounts changed and there is no backend "
		    "answer to apply the policy to; dropping the snapshot");
		builder_wait(r->builder);
		swap_snapshot(r->d, NULL);
	}
}

int
refresh_restore(struct refresh *r, int wait)
{
	char err[512];
	struct idlist *list;
	time_t at;
	unsigned stale = r->d->cf->max_stale;

	list = idstore_load(r->d->cf->cache_dir, &at, err, sizeof err);
	if (list == NULL) {
		if (err[0] != '\0')
			log_warn("%s", err);
		return -1;
	}
	if (stale != 0 && time(NULL) - at > (time_t)stale) {
		log_info("the persisted backend answer is older than "
			 "max_stale; not using it");
		idlist_free(list);
		return -1;
	}
	answer_keep(&r->last, list);
	r->last.at = at;
	log_info("applying the policy to %zu persisted identities", list->n);
	build_last(r);
	if (!wait)
		return 0;
	builder_wait(r->builder); /* before anything is served */
	return r->d->snap != NULL ? 0 : -1;
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
	/* an unchanged answer confirms the snapshot without rebuilding it */
	age = (int64_t)time(NULL) - (r->last_ok > (time_t)d->snap->h->created
					    ? (int64_t)r->last_ok
					    : d->snap->h->created);
	if (age > (int64_t)d->cf->max_stale) {
		log_err("snapshot is %" PRId64 " s old, past max_stale (%u s); "
			"dropping it",
		    age, d->cf->max_stale);
		builder_wait(r->builder);
		swap_snapshot(d, NULL);
	}
}

static int
answer_good(const struct refresh *r, const struct tsnss_fetch_result *res)
{
	return (res->status == TSNSS_FETCH_OK && backend_result_usable(res)) ||
	       (res->status == TSNSS_FETCH_UNCHANGED && r->last.valid);
}

/*
 * The snapshot (and the map the stub reads) may be served until max_stale
 * after the answer it was built from: an unchanged answer rebuilds it once
 * half of that has passed, not more often.
 */
static int
due_for_renewal(const struct refresh *r)
{
	unsigned ms = r->d->cf->max_stale;

	return ms != 0 && r->last.valid &&
	       time(NULL) - r->last.at > (time_t)(ms / 2);
}

/*
 * A good answer, fetched or pushed: built only if it says something new
 * (or there is no snapshot, after max_stale dropped it).  Returns 1 if a
 * build follows.
 */
static int
took_answer(struct refresh *r, const struct tsnss_fetch_result *res)
{
	struct idlist *l = NULL;

	r->d->stats.refresh_ok++;
	r->last_ok = time(NULL);
	if (r->last_error != NULL)
		log_info("refresh works again");
	free(r->last_error);
	r->last_error = NULL;
	r->retry = RETRY_FIRST;
	if (res->status == TSNSS_FETCH_OK)
		l = idlist_from_result(res);
	if ((l == NULL || idlist_equal(l, newest(r))) && r->d->snap != NULL &&
	    !due_for_renewal(r)) {
		idlist_free(l);
		r->n_unchanged++;
		log_debug("backend answer unchanged: snapshot kept");
		return 0;
	}
	if (l == NULL) /* renewed: the same answer, confirmed */
		r->last.at = time(NULL);
	rebuild(r, l);
	return 1;
}

static void
took_failure(struct refresh *r, const struct tsnss_fetch_result *res)
{
	r->d->stats.refresh_failed++;
	r->last_failed = time(NULL);
	note_failure(r, res->status == TSNSS_FETCH_OK
			    ? "the plugin's answer lacks fields"
			: res->detail ? res->detail
				      : "unknown error");
	notify_status("serving %u users; last refresh failed: %s",
	    r->d->snap ? r->d->snap->h->n_users : 0, r->last_error);
}

/* The backend pushed a new answer unasked (tailscaled's IPN bus). */
static void
pushed(const struct tsnss_fetch_result *res, void *arg)
{
	struct refresh *r = arg;

	r->n_pushed++;
	if (answer_good(r, res))
		took_answer(r, res);
	else
		took_failure(r, res);
}

static void
fetch_done(const struct tsnss_fetch_result *res, void *arg)
{
	struct refresh *r = arg;
	unsigned ttl = r->d->cf->ttl;

	r->in_flight = 0;
	if (answer_good(r, res)) {
		schedule(r, ttl * 3 / 4 ? ttl * 3 / 4 : 1);
		if (took_answer(r, res))
			return; /* first_done runs once the snapshot is built */
	} else {
		took_failure(r, res);
		schedule(r, r->retry);
		r->retry = r->retry * 2 > ttl ? ttl : r->retry * 2;
	}
	call_first_done(r);
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
refresh_on_miss(struct refresh *r, const char *name)
{
	const struct localdb *local = localwatch_db(r->watch);
	time_t now = time(NULL);
	unsigned every = r->d->cf->refresh_on_miss;

	/* root, daemon, adm...: a local name is nobody new in the tailnet */
	if (name != NULL &&
	    (localdb_has_user(local, name) || localdb_has_group(local, name)))
		return;
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

int
refresh_asked(struct refresh *r, uid_t uid)
{
	time_t now = time(NULL);
	size_t i, slot = 0;

	for (i = 0; i < ASK_UIDS; i++) {
		if (r->asked[i].at != 0 && r->asked[i].uid == uid) {
			slot = i;
			break;
		}
		if (r->asked[i].at < r->asked[slot].at)
			slot = i; /* the oldest, if uid is new */
	}
	if (r->asked[slot].uid == uid && r->asked[slot].at != 0 &&
	    now - r->asked[slot].at < REFRESH_ASK_EVERY) {
		r->d->stats.miss_refresh_limited++;
		return -1;
	}
	r->asked[slot].uid = uid;
	r->asked[slot].at = now;
	refresh_now(r);
	return 0;
}

size_t
refresh_forget(struct refresh *r, const char *login)
{
	char err[512];
	size_t n;

	builder_wait(r->builder); /* the worker adds to the claims */
	if ((n = claims_forget(r->claims, login)) == 0)
		return 0;
	if (claims_save(r->claims, r->d->cf->cache_dir, err, sizeof err) != 0)
		log_err("cannot record who owns which name and uid: %s", err);
	log_info("released the %zu claims of %s", n, login);
	if (r->last.valid)
		rebuild(r, NULL);
	return n;
}

/* The backend was replaced (SIGHUP): whatever was in flight is gone. */
void
refresh_reset(struct refresh *r)
{
	r->in_flight = 0;
	backend_on_push(r->d->backend, pushed, r);
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
	char plugin[2048];

	evbuffer_add_printf(b, "state:            %s%s\n",
	    r->last_error ? "failing: " : "ok",
	    r->last_error ? r->last_error : "");
	describe_time(b, "last good fetch:", r->last_ok);
	describe_time(b, "last failure:", r->last_failed);
	evbuffer_add_printf(
	    b, "fetch in flight:  %s\n", r->in_flight ? "yes" : "no");
	evbuffer_add_printf(b,
	    "answers pushed:   %" PRIu64 "\nanswers unchanged: %" PRIu64 "\n",
	    r->n_pushed, r->n_unchanged);
	backend_describe(r->d->backend, plugin, sizeof plugin);
	evbuffer_add(b, plugin, strlen(plugin));
}

struct refresh *
refresh_new(struct tsnssd *d, void (*first_done)(struct tsnssd *d))
{
	struct refresh *r = xcalloc(1, sizeof *r);
	char err[512];

	r->d = d;
	r->first_done = first_done;
	r->retry = RETRY_FIRST;
	r->timer = evtimer_new(d->base, on_timer, r);
	if ((r->builder = builder_new(d->base, build_done, r)) == NULL) {
		refresh_free(r);
		return NULL;
	}
	backend_on_push(d->backend, pushed, r);
	r->claims = claims_load(d->cf->cache_dir, err, sizeof err);
	if (err[0] != '\0')
		log_err("%s", err);
	r->watch = localwatch_new(
	    d->base, "/etc/passwd", "/etc/group", on_local_change, r);
	return r;
}

void
refresh_free(struct refresh *r)
{
	if (r == NULL)
		return;
	builder_free(r->builder);
	localwatch_free(r->watch);
	claims_free(r->claims);
	event_free(r->timer);
	answer_clear(&r->last);
	answer_clear(&r->next);
	free(r->last_error);
	free(r);
}
