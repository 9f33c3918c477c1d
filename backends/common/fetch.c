/*
 * fetch.c - one fetch at a time, its end reported once; see fetch.h.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif

#include <event2/event.h>

#include "fetch.h"

static void
quiet(int priority, const char *fmt, ...)
{
	(void)priority;
	(void)fmt;
}

void
fetch_host(struct tsnss_host *to, const struct tsnss_host *from)
{
	*to = *from;
	if (to->log == NULL)
		to->log = quiet;
}

int
fetch_begin(struct fetch *f, struct event_base *base, tsnss_fetch_done_fn *done,
    void *arg)
{
	if (f->busy || base == NULL)
		return -1;
	f->base = base;
	f->done = done;
	f->done_arg = arg;
	f->busy = 1;
	return 0;
}

static void
on_defer(evutil_socket_t fd, short events, void *arg)
{
	struct fetch *f = arg;

	(void)fd;
	(void)events;
	fetch_end(f, TSNSS_FETCH_ERROR, f->why, NULL, 0);
}

/* The event is ours, not event_base_once()'s, so fetch_clear() can cancel it.
 */
int
fetch_fail_soon(struct fetch *f)
{
	struct timeval now = {0, 0};

	if (f->defer == NULL)
		f->defer = evtimer_new(f->base, on_defer, f);
	if (f->defer != NULL && evtimer_add(f->defer, &now) == 0)
		return 0;
	f->busy = 0;
	return -1;
}

struct tsnss_fetch_result
fetch_result(enum tsnss_fetch_status status, const char *detail,
    const struct tsnss_identity *ids, size_t n)
{
	struct tsnss_fetch_result res = {.size = sizeof res,
	    .status = status,
	    .detail = detail,
	    .ids = ids,
	    .n_ids = n,
	    .id_size = sizeof(struct tsnss_identity)};

	return res;
}

void
fetch_end(struct fetch *f, enum tsnss_fetch_status status, const char *detail,
    const struct tsnss_identity *ids, size_t n)
{
	struct tsnss_fetch_result res = fetch_result(status, detail, ids, n);

	f->busy = 0;
	f->done(&res, f->done_arg);
}

void
fetch_clear(struct fetch *f)
{
	if (f->defer != NULL)
		event_free(f->defer);
	f->defer = NULL;
}

void
fetch_trim(void)
{
#ifdef HAVE_MALLOC_TRIM
	malloc_trim(0);
#endif
}

void
fetch_fail(struct fetch *f, const char *why)
{
	fetch_end(f, TSNSS_FETCH_ERROR, why, NULL, 0);
	fetch_trim(); /* f may be gone: touched no more */
}
