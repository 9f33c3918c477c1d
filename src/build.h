/*
 * build.h - turn identities into a snapshot off the event loop.
 *
 * One worker thread at a time applies the identity policy, builds the
 * snapshot, persists it and publishes it for the stub, while the loop
 * goes on answering from the snapshot in hand.  When the worker is done
 * a pipe wakes the loop, which joins it and hands the snapshot to `done`.
 */
#ifndef TSNSS_BUILD_H
#define TSNSS_BUILD_H

#include <stddef.h>

#include "plugin.h"
#include "policy.h"
#include "snapshot.h"

struct claims;
struct subid_claims;
struct event_base;
struct policy_config;
struct publisher;
struct builder;

/*
 * Everything a build reads.  All of it is borrowed, and must stay as it
 * is until `done` has run (or builder_wait() has returned).
 */
struct build_input {
	const struct policy_config *pc;
	/* each source's answer, pc->n_sources of them, and when given
	 * (0: none; then it is not persisted) */
	struct policy_input in[POLICY_MAX_SOURCES];
	time_t at[POLICY_MAX_SOURCES];
	struct snap_meta meta;
	const char *cache_dir; /* persist here; NULL: don't */
	size_t max_state; /* max_state_bytes: no file under cache_dir is more */
	/*
	 * Who owns which name and UID on this host (claims.h): consulted by
	 * the policy, and what the build hands out is added to it and saved
	 * in cache_dir.  NULL: no claims (tests).
	 */
	struct claims *claims;
	struct publisher *pub;	    /* publish here; NULL: don't */
	const char *passwd, *group; /* the local account files */
	/*
	 * Subordinate ids (subid.h): their sticky claims, added to and saved
	 * like the others (NULL: no ranges); the shadow files; and whether
	 * "subid_range is full" was logged (so it is, once).
	 */
	struct subid_claims *subids;
	const char *subuid, *subgid;
	int *subid_full_logged;
};

/* Runs on the loop; takes ownership of s. */
typedef void build_done_fn(struct snapshot *s, void *arg);

/* NULL (logged) if the pipe cannot be made. */
struct builder *builder_new(
    struct event_base *base, build_done_fn *done, void *arg);
/* Start a build: 0, or -1 if one is under way or no thread could start. */
int builder_start(struct builder *b, const struct build_input *in);
int builder_busy(const struct builder *b);
/* If a build is under way: wait for it, and run `done` now. */
void builder_wait(struct builder *b);
/* Waits for a build under way; `done` is not called. */
void builder_free(struct builder *b);

#endif
