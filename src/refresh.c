/*
 * refresh.c - keep the snapshot fresh: one snapshot from the last good
 * answer of every source (source.c), rebuilt whenever one of them, the
 * policy, or the local accounts change.
 *
 * A build runs in the worker in build.c.  While it builds, the answers
 * it reads stay pinned; a newer one is built as soon as it is done.
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
#include "subid.h"
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
#include "source.h"
#include "swap.h"
#include "tsnssd.h"
#include "xmalloc.h"

#define ASK_UIDS 8 /* tsnssctl refresh callers remembered */

struct refresh {
	struct tsnssd *d;
	struct builder *builder;
	void (*first_done)(struct tsnssd *d);
	struct source **src; /* one per backend section, in file order */
	size_t n_src;
	int again;	 /* build again once the build under way is done */
	int held_logged; /* held_by_claims() said so */
	/* who owns which name and UID here; the worker adds to it */
	struct claims *claims;
	struct subid_claims *subids; /* subordinate ranges (subid.h) */
	int subid_full_logged;
	struct localwatch *watch; /* /etc/passwd and /etc/group */
	struct {
		uid_t uid;
		time_t at;
	} asked[ASK_UIDS]; /* tsnssctl refresh, per caller */
};

static int
any_answer(const struct refresh *r)
{
	time_t at;
	size_t i;

	for (i = 0; i < r->n_src; i++)
		if (source_answer(r->src[i], &at) != NULL)
			return 1;
	return 0;
}

/*
 * An answer to apply the policy to, and claims to apply it with: else the
 * snapshot in hand is all there is, and goes when it no longer holds.
 */
static int
can_build(const struct refresh *r)
{
	return any_answer(r) && !claims_untrusted(r->claims);
}

/* The earliest moment past which one of the answers must not be served. */
static time_t
serve_until(const struct refresh *r)
{
	time_t t, min = 0;
	size_t i;

	for (i = 0; i < r->n_src; i++) {
		t = source_serve_until(r->src[i]);
		if (t != 0 && (min == 0 || t < min))
			min = t;
	}
	return min;
}

/*
 * The claims could not be trusted: a build could hand a name or UID to
 * whoever asks for it first.  The snapshot in hand is kept, and nothing
 * new is made until root repairs the claims or resets them.
 */
static void
held_by_claims(struct refresh *r)
{
	r->d->stats.builds_held++;
	if (r->held_logged)
		return;
	r->held_logged = 1;
	log_err("the claims are untrusted: serving the last trusted snapshot "
		"and handing out no new name or uid; repair %s/%s and send "
		"SIGHUP, or reset it with tsnssctl forget --all",
	    r->d->cf->cache_dir, CLAIMS_FILE);
}

/* Build every source's answer, through the policy in force, off the loop. */
static void
build_all(struct refresh *r)
{
	struct tsnssd *d = r->d;
	struct build_input in = {
	    .pc = &d->cf->policy,
	    .meta = {.created = (int64_t)time(NULL),
		.serve_until = (int64_t)serve_until(r),
		.generation = d->generation + 1,
		.policy = policy_fingerprint(&d->cf->policy),
		.flags = d->cf->enumerate ? 0 : TSNSS_SNAP_NOENUM},
	    .cache_dir = d->cf->cache_dir,
	    .max_state = d->cf->max_state_bytes,
	    .claims = r->claims,
	    .pub = d->pub,
	    .passwd = "/etc/passwd",
	    .group = "/etc/group",
	    .subids = r->subids,
	    .subuid = "/etc/subuid",
	    .subgid = "/etc/subgid",
	    .subid_full_logged = &r->subid_full_logged,
	};
	const struct idlist *l;
	size_t i;

	if (claims_untrusted(r->claims)) {
		held_by_claims(r);
		return;
	}
	for (i = 0; i < r->n_src; i++) {
		l = source_pin(r->src[i]);
		(void)source_answer(r->src[i], &in.at[i]);
		if (l != NULL && (time_t)in.meta.created > in.at[i])
			in.meta.created = (int64_t)in.at[i]; /* the oldest */
		in.in[i] =
		    (struct policy_input){l ? l->ids : NULL, l ? l->n : 0};
	}
	if (builder_start(r->builder, &in) != 0) {
		for (i = 0; i < r->n_src; i++)
			source_unpin(r->src[i]);
		log_warn("snapshot build not started; the next refresh "
			 "tries again");
	}
}

/*
 * The answers changed: build them, or, with none left, stop serving the
 * users they made.
 */
static void
rebuild(struct refresh *r)
{
	if (builder_busy(r->builder)) {
		r->again = 1;
		return;
	}
	if (any_answer(r)) {
		build_all(r);
		return;
	}
	if (r->d->snap != NULL) {
		log_warn("no backend answer is left to serve users from; "
			 "dropping the snapshot");
		swap_snapshot(r->d, NULL);
	}
}

/* Every source has been asked once, and nothing is being built. */
static void
maybe_first_done(struct refresh *r)
{
	void (*cb)(struct tsnssd *) = r->first_done;
	size_t i;

	for (i = 0; i < r->n_src; i++)
		if (!source_tried(r->src[i]))
			return;
	if (cb == NULL || builder_busy(r->builder))
		return;
	r->first_done = NULL;
	cb(r->d);
}

static void
build_done(struct snapshot *s, void *arg)
{
	struct refresh *r = arg;
	void (*cb)(struct tsnssd *) = r->first_done;
	size_t i;

	for (i = 0; i < r->n_src; i++)
		source_unpin(r->src[i]);
	if (s != NULL) {
		r->d->stats.builds++;
		swap_snapshot(r->d, s);
	}
	notify_status(
	    "serving %u users", r->d->snap ? r->d->snap->h->n_users : 0);
	if (r->again) {
		r->again = 0;
		rebuild(r);
		return;
	}
	if (s != NULL && cb != NULL) { /* something to serve: start */
		r->first_done = NULL;
		cb(r->d);
	}
	maybe_first_done(r);
}

/*
 * Served from a persisted snapshot with no answer in hand (or untrusted
 * claims, so nothing is built): past its serve-until it goes, as the
 * answers it was built from would have.
 */
static void
check_snapshot_age(struct refresh *r)
{
	struct snapshot *s = r->d->snap;

	if (s == NULL || can_build(r) || s->h->serve_until == 0 ||
	    time(NULL) <= (time_t)s->h->serve_until)
		return;
	log_err("the snapshot is past its serve-until time and no backend "
		"answers; dropping it");
	builder_wait(r->builder);
	swap_snapshot(r->d, NULL);
}

static void
on_source(struct source *s, enum source_event e, void *arg)
{
	struct refresh *r = arg;

	switch (e) {
	case SOURCE_CHANGED:
		rebuild(r);
		break;
	case SOURCE_FAILED:
		check_snapshot_age(r);
		notify_status("serving %u users; [%s] failing",
		    r->d->snap ? r->d->snap->h->n_users : 0, source_name(s));
		break;
	case SOURCE_SAME:
		break;
	}
	maybe_first_done(r);
}

/*
 * The config changed (SIGHUP): the users the old policy made may not be
 * the new one's.  Rebuild from the answers in hand now, without waiting
 * for the backends; with none, drop a snapshot built under another
 * policy rather than serve it.  The caller has waited for any build
 * under way (refresh_quiesce).
 */
static void
reapply(struct refresh *r)
{
	struct snapshot *s = r->d->snap;

	if (can_build(r)) {
		rebuild(r);
		return;
	}
	if (s != NULL &&
	    s->h->policy != policy_fingerprint(&r->d->cf->policy)) {
		log_warn("the identity policy changed and there is no backend "
			 "answer to rebuild from (or the claims are "
			 "untrusted); dropping the snapshot");
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
 * with the backends down too.  Without an answer to apply the policy to,
 * the snapshot in hand might hand the new account's name a tailnet
 * user's groups: drop it.
 */
static void
on_local_change(void *arg)
{
	struct refresh *r = arg;

	if (can_build(r)) {
		rebuild(r);
		return;
	}
	if (r->d->snap != NULL) {
		log_warn("local accounts changed and there is no backend "
			 "answer to apply the policy to (or the claims are "
			 "untrusted); dropping the snapshot");
		builder_wait(r->builder);
		swap_snapshot(r->d, NULL);
	}
}

int
refresh_restore(struct refresh *r, int wait)
{
	char err[512];
	size_t i;
	int n = 0;

	for (i = 0; i < r->n_src; i++) {
		if (source_restore(r->src[i], err, sizeof err) == 0)
			n++;
		else if (err[0] != '\0')
			log_warn("%s", err);
	}
	if (n == 0)
		return -1;
	log_info("applying the policy to the persisted answers");
	build_all(r);
	if (!wait)
		return 0;
	builder_wait(r->builder); /* before anything is served */
	return r->d->snap != NULL ? 0 : -1;
}

void
refresh_now(struct refresh *r)
{
	size_t i;

	for (i = 0; i < r->n_src; i++)
		source_fetch(r->src[i]);
}

/*
 * A lookup missed a name that could be a tailnet user: someone may have
 * just joined.  A local name is nobody new in the tailnet.
 */
void
refresh_on_miss(struct refresh *r, const char *name)
{
	const struct localdb *local = localwatch_db(r->watch);
	size_t i;

	if (name != NULL &&
	    (localdb_has_user(local, name) || localdb_has_group(local, name)))
		return;
	for (i = 0; i < r->n_src; i++)
		source_on_miss(r->src[i]);
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

/* A forgotten login's subordinate range goes too (subid.h). */
static size_t
forget_subids(struct refresh *r, const char *login)
{
	char err[512];

	if (subid_claims_forget(r->subids, login) == 0)
		return 0;
	if (subid_claims_save(r->subids, r->d->cf->cache_dir,
		r->d->cf->max_state_bytes, err, sizeof err))
		log_err(
		    "cannot record who owns which subordinate ids: %s", err);
	log_info("released the subordinate ids of %s", login);
	r->subid_full_logged = 0;
	return 1;
}

size_t
refresh_forget(struct refresh *r, const char *login)
{
	char err[512];
	size_t n;

	builder_wait(r->builder); /* the worker adds to the claims */
	if (forget_subids(r, login) + (n = claims_forget(r->claims, login)) ==
	    0)
		return 0;
	if (n > 0 &&
	    claims_save(r->claims, r->d->cf->cache_dir,
		r->d->cf->max_state_bytes, err, sizeof err) != 0)
		log_err("cannot record who owns which name and uid: %s", err);
	log_info("released the %zu claims of %s", n, login);
	if (any_answer(r))
		rebuild(r);
	return n;
}

int
refresh_forget_all(struct refresh *r)
{
	char err[512];

	builder_wait(r->builder); /* the worker adds to the claims */
	if (claims_reset(r->claims, r->d->cf->cache_dir,
		r->d->cf->max_state_bytes, err, sizeof err) != 0) {
		log_err("cannot reset the claims: %s", err);
		return -1;
	}
	if (subid_claims_reset(r->subids, r->d->cf->cache_dir,
		r->d->cf->max_state_bytes, err, sizeof err) != 0)
		log_err("cannot reset the subordinate id claims: %s", err);
	r->subid_full_logged = 0;
	r->held_logged = 0;
	log_info("released every claim on this host (tsnssctl forget --all)");
	if (any_answer(r))
		rebuild(r);
	return 0;
}

/* Root may have repaired an untrusted claims file: read it again. */
static void
reload_untrusted_claims(struct refresh *r)
{
	char err[512];

	if (!claims_untrusted(r->claims))
		return;
	claims_free(r->claims);
	r->claims = claims_load(
	    r->d->cf->cache_dir, r->d->cf->max_state_bytes, err, sizeof err);
	if (err[0] != '\0')
		log_err("%s", err);
	r->held_logged = claims_untrusted(r->claims);
}

static void
make_sources(struct refresh *r)
{
	size_t i;

	r->n_src = r->d->cf->n_backends;
	r->src = xcalloc(r->n_src, sizeof *r->src);
	for (i = 0; i < r->n_src; i++)
		r->src[i] = source_new(r->d, i, on_source, r);
}

static void
free_sources(struct source **src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		source_free(src[i]);
	free(src);
}

/*
 * SIGHUP replaced the config and the backends (whatever was in flight is
 * gone): a section kept keeps its answer, a new one starts with none, a
 * removed one's users go.
 */
void
refresh_reconfigure(struct refresh *r)
{
	struct source **old = r->src;
	size_t n_old = r->n_src, i, j;

	make_sources(r);
	for (i = 0; i < r->n_src; i++)
		for (j = 0; j < n_old; j++)
			if (strcmp(source_name(r->src[i]),
				source_name(old[j])) == 0)
				source_inherit(r->src[i], old[j]);
	free_sources(old, n_old);
	reload_untrusted_claims(r);
	reapply(r);
	refresh_now(r);
}

void
refresh_describe(const struct refresh *r, struct evbuffer *b)
{
	size_t i;

	if (claims_untrusted(r->claims))
		evbuffer_add_printf(b,
		    "claims:           untrusted: no new name or uid until "
		    "repaired or reset (tsnssctl forget --all)\n");
	for (i = 0; i < r->n_src; i++)
		source_describe(r->src[i], b);
}

struct refresh *
refresh_new(struct tsnssd *d, void (*first_done)(struct tsnssd *d))
{
	struct refresh *r = xcalloc(1, sizeof *r);
	char err[512];

	r->d = d;
	r->first_done = first_done;
	if ((r->builder = builder_new(d->base, build_done, r)) == NULL) {
		refresh_free(r);
		return NULL;
	}
	make_sources(r);
	r->claims = claims_load(
	    d->cf->cache_dir, d->cf->max_state_bytes, err, sizeof err);
	if (err[0] != '\0')
		log_err("%s", err);
	r->subids = subid_claims_load(
	    d->cf->cache_dir, d->cf->max_state_bytes, err, sizeof err);
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
	free_sources(r->src, r->n_src);
	localwatch_free(r->watch);
	claims_free(r->claims);
	subid_claims_free(r->subids);
	free(r);
}
