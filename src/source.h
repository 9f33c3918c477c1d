/*
 * source.h - one backend section's answers: its timer, its fetches and
 * pushes, its retries, its last good answer and how old that may grow.
 * refresh.c builds one snapshot from every source's last good answer, so
 * one failing backend never drops another's users.
 */
#ifndef TSNSS_SOURCE_H
#define TSNSS_SOURCE_H

#include <stddef.h>
#include <time.h>

struct evbuffer;
struct idlist;
struct tsnssd;
struct source;

enum source_event {
	SOURCE_CHANGED, /* a new answer, a renewed one, or one dropped */
	SOURCE_FAILED,	/* a fetch failed; the answer in hand is kept */
	SOURCE_SAME,	/* a fetch confirmed the answer in hand */
};

typedef void source_event_fn(struct source *s, enum source_event e, void *arg);

/* Section idx of d->cf, asked through d->backends[idx]. */
struct source *source_new(
    struct tsnssd *d, size_t idx, source_event_fn *fn, void *arg);
void source_free(struct source *s);
const char *source_name(const struct source *s);

/* Fetch now, unless a fetch is under way. */
void source_fetch(struct source *s);
/* A lookup missed: fetch early, at most once per refresh_on_miss. */
void source_on_miss(struct source *s);
/* Whether a first fetch has ended, either way. */
int source_tried(const struct source *s);

/* The last good answer and when it was given, or NULL. */
const struct idlist *source_answer(const struct source *s, time_t *at);
/* Until when the answer may be served (0: no limit, or none). */
time_t source_serve_until(const struct source *s);
/*
 * A build reads the answer in hand until source_unpin(): a newer one
 * meanwhile does not free it.
 */
const struct idlist *source_pin(struct source *s);
void source_unpin(struct source *s);
/* The answer persisted in the cache directory, if not past max_stale. */
int source_restore(struct source *s, char *err, size_t errlen);
/* After SIGHUP: what `from` (the same section, before) knew. */
void source_inherit(struct source *s, struct source *from);
/* For tsnssctl status: one block. */
void source_describe(const struct source *s, struct evbuffer *b);

#endif
