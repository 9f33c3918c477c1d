/*
 * republish.c - a map that failed to publish is no map at all: every
 * lookup then goes over the socket (a hundred times slower, and a hung
 * tsnssd costs each process a timeout).  So a failed publish is tried
 * again on a timer rather than only when the users next change, waiting
 * longer each time so that a lasting failure (a full /run) costs little;
 * and the log says once that the map is not in use, and once that it is
 * again, not once per try.
 */
#include "autoconfig.h"

#include <stdlib.h>

#include <event2/event.h>

#include "log.h"
#include "publish.h"
#include "republish.h"
#include "snapshot.h"
#include "tsnssd.h"
#include "xmalloc.h"

/* The first wait after a failure, and the longest. */
#define RETRY_FIRST_MS 500
#define RETRY_MAX_MS 30000

struct republisher {
	struct tsnssd *d;
	struct event *ev;
	unsigned wait_ms; /* before the next try */
};

/* rc of a publish after `failed` failures, in the log: rc again. */
static int
log_outcome(int rc, unsigned failed, const char *err)
{
	if (rc > 0)
		return rc;
	if (rc < 0) {
		if (failed == 0)
			log_warn("the NSS module's map is not in use: cannot "
				 "publish the snapshot: %s; lookups go over "
				 "the socket until it works, trying again",
			    err);
		else
			log_debug(
			    "publishing the snapshot failed again: %s", err);
		return -1;
	}
	if (failed > 0)
		log_info("the snapshot is published after %u failed "
			 "tries: the NSS module's map is in use again",
		    failed);
	return 0;
}

int
publish_logged(struct publisher *p, struct snapshot *s)
{
	unsigned failed = 0;
	char err[512];
	int rc = publisher_publish(p, s, &failed, err, sizeof err);

	return log_outcome(rc, failed, err);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct republisher *r = arg;
	struct tsnssd *d = r->d;
	unsigned failed = 0;
	char err[512];
	int rc = 1;

	(void)fd;
	(void)what;
	if (d->snap != NULL) {
		rc = publisher_republish(
		    d->pub, d->snap, &failed, err, sizeof err);
		rc = log_outcome(rc, failed, err);
	}
	/* done, nothing to publish, or busy: the worker's publish decides */
	if (rc >= 0) {
		r->wait_ms = RETRY_FIRST_MS;
		return;
	}
	r->wait_ms =
	    r->wait_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : r->wait_ms * 2;
	republisher_arm(r);
}

struct republisher *
republisher_new(struct tsnssd *d)
{
	struct republisher *r = xcalloc(1, sizeof *r);

	r->d = d;
	r->wait_ms = RETRY_FIRST_MS;
	r->ev = evtimer_new(d->base, on_retry, r);
	if (r->ev == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void
republisher_arm(struct republisher *r)
{
	struct timeval tv;

	if (r == NULL || r->d->snap == NULL || evtimer_pending(r->ev, NULL) ||
	    !publisher_failing(r->d->pub))
		return;
	tv.tv_sec = r->wait_ms / 1000;
	tv.tv_usec = (r->wait_ms % 1000) * 1000;
	evtimer_add(r->ev, &tv);
}

void
republisher_free(struct republisher *r)
{
	if (r == NULL)
		return;
	event_free(r->ev);
	free(r);
}
