/*
 * build.c - the worker that builds, persists and publishes a snapshot.
 *
 * Building a 100k-user snapshot (policy, sort, copy) and writing it twice
 * takes far longer than a lookup may wait, so it runs in a thread of its
 * own and the event loop only ever swaps a finished snapshot in.  The
 * thread touches nothing but its input (borrowed, frozen until done), the
 * files, and the log.  A self-pipe brings the result back to the loop as
 * soon as it is published; the thread then writes the copies kept for
 * restarts (its tail, see store()), which the next worker waits for.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "build.h"
#include "cache.h"
#include "claims.h"
#include "idstore.h"
#include "localdb.h"
#include "log.h"
#include "policy.h"
#include "publish.h"
#include "republish.h"
#include "subid.h"
#include "xmalloc.h"

/*
 * What the worker still does once the snapshot is published and handed
 * over: the copies it keeps for restarts, and freeing what it built
 * from.  Its own copies of everything, since the next build's input
 * replaces the last one's as soon as the loop has the snapshot.
 */
struct tail {
	char *cache_dir; /* NULL: nothing to write */
	size_t max_state;
	unsigned char *snap; /* the snapshot's bytes; NULL: already written */
	size_t snap_len;
	struct idstore_out *answers[POLICY_MAX_SOURCES];
	struct policy_result *pr;
	struct localdb *local;
};

struct builder {
	build_done_fn *done;
	void *arg;
	int pipe[2];	  /* the worker writes one byte when it hands over */
	struct event *ev; /* on pipe[0] */
	pthread_t thread; /* the last worker, maybe still in its tail */
	int joinable;	  /* thread is to be joined */
	pthread_t prev;	  /* the worker before, which thread joins first */
	int join_prev;
	int busy; /* a build runs, or its snapshot waits to be handed over */
	struct build_input in;
	pthread_mutex_t lock;
	pthread_cond_t handed;
	int ready;	      /* under lock: out is the worker's result */
	struct snapshot *out; /* under lock */
};

static void
log_decisions(const struct policy_result *pr)
{
	size_t i;

	for (i = 0; i < pr->n_decisions; i++) {
		const struct policy_decision *dc = &pr->decisions[i];

		if (dc->id == 0 && !dc->accepted) /* a group, not a login */
			log_warn("%s: refused: %s", dc->login, dc->why);
		else if (log_debug_enabled())
			log_debug("%s (id %" PRId64 "): %s: %s", dc->login,
			    dc->id, dc->accepted ? "accepted" : "refused",
			    dc->why);
	}
}

/*
 * What this build hands out is owned from now on (claims.h).  -1 if the
 * claims would be over max_state_bytes: owned in hand but not on disk,
 * they would be lost at the next start, so the build is refused and the
 * claims held closed (refresh.c) until root raises the bound or resets.
 */
static int
keep_claims(const struct build_input *in, const struct policy_result *pr)
{
	char err[512];

	if (in->claims == NULL || claims_take(in->claims, pr) == 0 ||
	    in->cache_dir == NULL ||
	    claims_save(
		in->claims, in->cache_dir, in->max_state, err, sizeof err) == 0)
		return 0;
	log_err("cannot record who owns which name and uid: %s", err);
	if (strstr(err, "over max_state_bytes") == NULL)
		return 0;
	claims_distrust(in->claims);
	log_err("refusing this build: raise max_state_bytes and send SIGHUP, "
		"or reset the claims with tsnssctl forget --all");
	return -1;
}

/*
 * The answers themselves, for the policy to be applied at start: encoded
 * now, written in the tail.  One that would be over max_state_bytes could
 * not be read back: -1, and the build is refused rather than served only
 * until the next restart.
 */
static int
encode_answers(const struct build_input *in, struct tail *t)
{
	char err[512];
	size_t i;
	int rc = 0;

	for (i = 0; in->cache_dir != NULL && i < in->pc->n_sources; i++) {
		if (in->at[i] == 0)
			continue;
		t->answers[i] = idstore_encode(in->pc->sources[i].name,
		    in->in[i].ids, in->in[i].n, in->at[i]);
		if (idstore_check(t->answers[i], in->cache_dir, in->max_state,
			err, sizeof err) == 0)
			continue;
		log_err("cannot persist the answer of [%s]: %s",
		    in->pc->sources[i].name, err);
		/* not for the tail to try, and say so, again */
		idstore_out_free(t->answers[i]);
		t->answers[i] = NULL;
		rc = -1;
	}
	return rc;
}

/*
 * -1: the build is too large to persist, so it is not served either (it
 * would be gone at the next start), and nothing it hands out is owned.
 */
static int
store_first(
    const struct build_input *in, const struct snapshot *s, struct tail *t)
{
	if (in->cache_dir != NULL && s->len > in->max_state) {
		log_err("the snapshot would be %zu bytes, over max_state_bytes "
			"(%zu); refused, keeping the last good one",
		    s->len, in->max_state);
		return -1;
	}
	if (encode_answers(in, t) != 0) {
		log_err("an answer is too large to persist (max_state_bytes); "
			"refused, keeping the last good snapshot");
		return -1;
	}
	return 0;
}

/* Subordinate ranges for the members, sticky from now on (subid.h). */
static void
keep_subids(const struct build_input *in, const struct localdb *local,
    struct policy_result *pr)
{
	struct subid_spans *etc;
	size_t added, full;
	char err[512];

	if (in->subids == NULL || !POLICY_SUBIDS_ON(in->pc))
		return;
	etc = subid_spans_load(in->subuid, in->subgid);
	full = subid_assign(in->pc, local, etc, in->subids, pr, &added);
	subid_spans_free(etc);
	if (added > 0 && in->cache_dir != NULL &&
	    subid_claims_save(
		in->subids, in->cache_dir, in->max_state, err, sizeof err) != 0)
		log_err(
		    "cannot record who owns which subordinate ids: %s", err);
	if (full > 0 && in->subid_full_logged != NULL &&
	    !*in->subid_full_logged) {
		log_warn("subid_range %" PRIu32 "-%" PRIu32
			 " is full: %zu members get no subordinate ids",
		    in->pc->subid_range[0], in->pc->subid_range[1], full);
		*in->subid_full_logged = 1;
	}
}

static struct snapshot *
build(const struct build_input *in, struct tail *t)
{
	/* hashed first: files changing meanwhile make it stale, not wrong */
	struct snap_meta meta = in->meta;
	struct policy_result *pr;
	struct snapshot *s;
	size_t i, n = 0;

	for (i = 0; i < in->pc->n_sources; i++)
		n += in->in[i].n;
	meta.local_hash = localdb_files_hash(in->passwd, in->group);
	t->local = localdb_load(in->passwd, in->group);
	t->pr = pr = policy_apply_claimed(in->pc, t->local, in->claims, in->in);
	log_decisions(pr);
	keep_subids(in, t->local, pr);
	s = snapshot_build(pr, &meta);
	if (s != NULL &&
	    (store_first(in, s, t) != 0 || keep_claims(in, pr) != 0)) {
		snapshot_free(s);
		s = NULL;
	}
	log_debug("snapshot %" PRIu64 ": %zu users, %zu groups from %zu "
		  "identities",
	    in->meta.generation, pr->n_users, pr->n_groups, n);
	return s;
}

/*
 * Publish s for the NSS module, keeping its bytes for the copy in
 * cache_dir, which the tail writes.
 *
 * Why the copy and the answers may wait until after the publish: the
 * claims, what keeps a name or uid with its owner, are on disk already
 * (keep_claims), and both files were checked against max_state_bytes
 * (store_first), so nothing served is lost or unreadable at the next
 * start.  A crash before the tail is done leaves the previous snapshot
 * and answers on disk, each whole (fileio_replace): a restart serves the
 * older snapshot, whose names and uids are claimed, and applies the
 * policy to the older answer with the claims in force, until the
 * backends answer again: stale, never another owner's.
 */
static void
store(const struct build_input *in, struct snapshot *s, struct tail *t)
{
	char err[512];

	if (in->cache_dir != NULL) {
		t->cache_dir = xstrdup(in->cache_dir);
		t->max_state = in->max_state;
	}
	s->keep_built = 1;
	if (in->pub != NULL)
		(void)publish_logged(in->pub, s); /* the loop retries */
	s->keep_built = 0;
	t->snap = s->built;
	t->snap_len = s->len;
	s->built = NULL;
	/* still s's own bytes (no publish, or it failed): write them now */
	if (t->snap == NULL && in->cache_dir != NULL &&
	    cache_save(in->cache_dir, s, in->max_state, err, sizeof err) != 0)
		log_warn("cannot persist the snapshot: %s", err);
}

/* After the hand-over: see store() for why this may wait. */
static void
finish_tail(struct tail *t)
{
	char err[512];
	size_t i;

	if (t->cache_dir != NULL && t->snap != NULL &&
	    cache_save_bytes(t->cache_dir, t->snap, t->snap_len, t->max_state,
		err, sizeof err) != 0)
		log_warn("cannot persist the snapshot: %s", err);
	for (i = 0; i < POLICY_MAX_SOURCES; i++) {
		if (t->answers[i] != NULL && t->cache_dir != NULL &&
		    idstore_write(t->answers[i], t->cache_dir, t->max_state,
			err, sizeof err) != 0)
			log_err("cannot persist an answer: %s", err);
		idstore_out_free(t->answers[i]);
	}
	free(t->snap);
	free(t->cache_dir);
	policy_result_free(t->pr);
	localdb_free(t->local);
}

static void *
work(void *arg)
{
	struct builder *b = arg;
	struct tail t = {0};
	struct snapshot *s;
	ssize_t n;

	/* the last worker's tail writes the same files: after it, in order */
	if (b->join_prev)
		pthread_join(b->prev, NULL);
	s = build(&b->in, &t);
	if (s != NULL)
		store(&b->in, s, &t);
	pthread_mutex_lock(&b->lock);
	b->out = s;
	b->ready = 1;
	pthread_cond_signal(&b->handed);
	pthread_mutex_unlock(&b->lock);
	do
		n = write(b->pipe[1], "", 1);
	while (n < 0 && errno == EINTR);
	/* nothing of b but this thread's own state from here on */
	finish_tail(&t);
#ifdef HAVE_MALLOC_TRIM
	/*
	 * The policy result of a large tailnet was just freed; glibc keeps
	 * such memory unless asked to give it back.  Asked here, off the
	 * loop: a trim of a big heap takes milliseconds.
	 */
	malloc_trim(0);
#endif
	return NULL;
}

/* Take the worker's result (its tail may still run) and hand it over. */
static void
finish(struct builder *b)
{
	struct snapshot *s;
	char c;

	pthread_mutex_lock(&b->lock);
	while (!b->ready)
		pthread_cond_wait(&b->handed, &b->lock);
	s = b->out;
	b->out = NULL;
	b->ready = 0;
	pthread_mutex_unlock(&b->lock);
	while (read(b->pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	b->busy = 0;
	b->done(s, b->arg);
}

static void
on_pipe(evutil_socket_t fd, short what, void *arg)
{
	struct builder *b = arg;
	int ready;

	if (!b->busy)
		return;
	/* a byte builder_wait() took already: never block the loop */
	pthread_mutex_lock(&b->lock);
	ready = b->ready;
	pthread_mutex_unlock(&b->lock);
	if (ready)
		finish(b);
}

struct builder *
builder_new(struct event_base *base, build_done_fn *done, void *arg)
{
	struct builder *b = xcalloc(1, sizeof *b);

	if (pipe2(b->pipe, O_CLOEXEC) != 0) {
		log_err("cannot create the build pipe: %s", strerror(errno));
		free(b);
		return NULL;
	}
	b->done = done;
	b->arg = arg;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->handed, NULL);
	b->ev = event_new(base, b->pipe[0], EV_READ | EV_PERSIST, on_pipe, b);
	event_add(b->ev, NULL);
	return b;
}

int
builder_start(struct builder *b, const struct build_input *in)
{
	pthread_t t;
	int rc;

	if (b->busy)
		return -1;
	b->in = *in;
	b->prev = b->thread;
	b->join_prev = b->joinable;
	rc = pthread_create(&t, NULL, work, b);
	if (rc != 0) {
		log_err("cannot start a build thread: %s", strerror(rc));
		return -1;
	}
	b->thread = t;
	b->joinable = 1;
	b->busy = 1;
	return 0;
}

int
builder_busy(const struct builder *b)
{
	return b->busy;
}

void
builder_wait(struct builder *b)
{
	if (b->busy)
		finish(b);
}

void
builder_free(struct builder *b)
{
	if (b == NULL)
		return;
	if (b->joinable) /* its tail too: the files are written whole */
		pthread_join(b->thread, NULL);
	if (b->busy)
		snapshot_free(b->out);
	event_free(b->ev);
	close(b->pipe[0]);
	close(b->pipe[1]);
	pthread_cond_destroy(&b->handed);
	pthread_mutex_destroy(&b->lock);
	free(b);
}
