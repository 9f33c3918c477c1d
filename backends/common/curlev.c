/*
 * curlev.c - libcurl multi on libevent.
 *
 * libcurl tells us which sockets to watch (on_curl_socket) and when to
 * wake it (on_curl_timer); libevent tells libcurl when either happens
 * (drive).  Finished transfers are collected after every such call and
 * reported there, outside libcurl, so a done callback may start a
 * transfer or free everything: `depth` counts our own calls on the
 * stack, and freeing inside them only marks curlev `doomed`.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stdlib.h>
#include <sys/queue.h>

#include <event2/event.h>

#include "curlev.h"

/* A socket libcurl asked us to watch. */
struct watch {
	LIST_ENTRY(watch) entry;
	curl_socket_t fd;
	struct event *ev;
};

/* A transfer under way: the multi handle cannot list them for us. */
struct xfer {
	LIST_ENTRY(xfer) entry;
	CURL *easy;
};

struct curlev {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	curlev_done_fn *done;
	void (*turn)(void *arg);
	void *arg;
	LIST_HEAD(, watch) watches;
	LIST_HEAD(, xfer) xfers;
	int depth;  /* > 0 while we are on the stack: freeing must wait */
	int doomed; /* curlev_free() was called meanwhile */
	int global; /* we hold a curl_global_init() reference */
};

static void destroy(struct curlev *cl);

/* --- transfers ----------------------------------------------------------- */

static struct xfer *
find(struct curlev *cl, CURL *easy)
{
	struct xfer *x;

	LIST_FOREACH(x, &cl->xfers, entry)
	if (x->easy == easy)
		return x;
	return NULL;
}

/* Out of the multi handle and our list; the handle is the owner's. */
static void
take_out(struct curlev *cl, struct xfer *x)
{
	LIST_REMOVE(x, entry);
	curl_multi_remove_handle(cl->multi, x->easy);
	free(x);
}

int
curlev_add(struct curlev *cl, CURL *easy)
{
	struct xfer *x;

	if (cl->doomed || (x = calloc(1, sizeof *x)) == NULL)
		return -1;
	x->easy = easy;
	if (curl_multi_add_handle(cl->multi, easy) != CURLM_OK) {
		free(x);
		return -1;
	}
	LIST_INSERT_HEAD(&cl->xfers, x, entry);
	return 0;
}

void
curlev_cancel(struct curlev *cl, CURL *easy)
{
	struct xfer *x = find(cl, easy);

	if (x != NULL)
		take_out(cl, x);
}

static void
end(struct curlev *cl, struct xfer *x, CURLcode code, const char *why)
{
	CURL *easy = x->easy;

	take_out(cl, x);
	cl->done(easy, code, why, cl->arg);
}

static void
reap(struct curlev *cl)
{
	struct xfer *x;
	CURLMsg *m;
	int left;

	while (!cl->doomed &&
	       (m = curl_multi_info_read(cl->multi, &left)) != NULL) {
		if (m->msg == CURLMSG_DONE &&
		    (x = find(cl, m->easy_handle)) != NULL)
			end(cl, x, m->data.result, NULL);
	}
}

/*
 * libcurl can no longer be trusted to finish what it has: end every
 * transfer now rather than leave an owner waiting for ever.
 */
static void
fail_all(struct curlev *cl, CURLMcode mc)
{
	struct xfer *x;

	while (!cl->doomed && (x = LIST_FIRST(&cl->xfers)) != NULL)
		end(cl, x,
		    mc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY
					      : CURLE_FAILED_INIT,
		    curl_multi_strerror(mc));
}

static void
enter(struct curlev *cl)
{
	cl->depth++;
	if (cl->turn != NULL)
		cl->turn(cl->arg);
}

static void
leave(struct curlev *cl)
{
	cl->depth--;
	if (cl->depth == 0 && cl->doomed)
		destroy(cl);
}

static void
drive(struct curlev *cl, curl_socket_t fd, int action)
{
	CURLMcode mc;
	int running;

	enter(cl);
	mc = curl_multi_socket_action(cl->multi, fd, action, &running);
	reap(cl);
	if (mc != CURLM_OK)
		fail_all(cl, mc);
	leave(cl);
}

void
curlev_unpause(struct curlev *cl, CURL *easy)
{
	enter(cl);
	curl_easy_pause(easy, CURLPAUSE_CONT); /* may end it: reap after */
	reap(cl);
	leave(cl);
}

static void
on_socket(evutil_socket_t fd, short events, void *arg)
{
	int action = 0;

	if (events & EV_READ)
		action |= CURL_CSELECT_IN;
	if (events & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	drive(arg, fd, action);
}

static void
on_timer(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	drive(arg, CURL_SOCKET_TIMEOUT, 0);
}

/* --- what libcurl asks of the loop --------------------------------------- */

static void
watch_free(struct watch *w)
{
	LIST_REMOVE(w, entry);
	event_free(w->ev);
	free(w);
}

static struct watch *
watch_new(struct curlev *cl, curl_socket_t fd)
{
	struct watch *w = calloc(1, sizeof *w);

	if (w == NULL)
		return NULL;
	w->fd = fd;
	w->ev = event_new(cl->base, fd, 0, on_socket, cl);
	if (w->ev == NULL || curl_multi_assign(cl->multi, fd, w) != CURLM_OK) {
		if (w->ev != NULL)
			event_free(w->ev);
		free(w);
		return NULL;
	}
	LIST_INSERT_HEAD(&cl->watches, w, entry);
	return w;
}

static int
on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct curlev *cl = arg;
	struct watch *w = sockp;
	short events = EV_PERSIST;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (w != NULL)
			watch_free(w);
		return 0;
	}
	if (w == NULL && (w = watch_new(cl, fd)) == NULL)
		return -1;
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	/* event_assign() must not touch a pending event. */
	event_del(w->ev);
	if (event_assign(w->ev, cl->base, fd, events, on_socket, cl) < 0)
		return -1;
	return event_add(w->ev, NULL) < 0 ? -1 : 0;
}

/*
 * Never call back into libcurl from here: a zero timeout only arms the
 * timer, which fires on the next turn of the loop.
 */
static int
on_curl_timer(CURLM *multi, long timeout_ms, void *arg)
{
	struct curlev *cl = arg;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(cl->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(cl->timer, &tv) < 0 ? -1 : 0;
}

/* --- life and death ------------------------------------------------------ */

static int
setup_multi(struct curlev *cl)
{
	CURLM *m = cl->multi;

	return curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_curl_socket) ||
	       curl_multi_setopt(m, CURLMOPT_SOCKETDATA, cl) ||
	       curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_curl_timer) ||
	       curl_multi_setopt(m, CURLMOPT_TIMERDATA, cl);
}

/*
 * curl_global_init() is reference-counted, and thread-safe since 7.84;
 * the daemon is single-threaded anyway.  Each curlev holds one
 * reference, so libcurl is set up once and torn down with the last user.
 */
struct curlev *
curlev_new(struct event_base *base, curlev_done_fn *done,
    void (*turn)(void *arg), void *arg)
{
	struct curlev *cl = calloc(1, sizeof *cl);

	if (cl == NULL)
		return NULL;
	cl->base = base;
	cl->done = done;
	cl->turn = turn;
	cl->arg = arg;
	LIST_INIT(&cl->watches);
	LIST_INIT(&cl->xfers);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(cl);
		return NULL;
	}
	cl->global = 1;
	cl->timer = evtimer_new(base, on_timer, cl);
	cl->multi = curl_multi_init();
	if (cl->timer == NULL || cl->multi == NULL || setup_multi(cl) != 0) {
		destroy(cl);
		return NULL;
	}
	return cl;
}

static void
destroy(struct curlev *cl)
{
	struct watch *w;
	struct xfer *x;

	if (cl->multi != NULL) {
		while ((x = LIST_FIRST(&cl->xfers)) != NULL)
			take_out(cl, x);
		/* Sockets still open (a kept-alive connection) are libcurl's.
		 */
		while ((w = LIST_FIRST(&cl->watches)) != NULL) {
			curl_multi_assign(cl->multi, w->fd, NULL);
			watch_free(w);
		}
		curl_multi_cleanup(cl->multi);
	}
	if (cl->timer != NULL)
		event_free(cl->timer);
	if (cl->global)
		curl_global_cleanup();
	free(cl);
}

void
curlev_free(struct curlev *cl)
{
	struct xfer *x;

	if (cl == NULL)
		return;
	if (cl->depth == 0) {
		destroy(cl);
		return;
	}
	/* Inside a done callback: drive() finishes the job on its way out. */
	while ((x = LIST_FIRST(&cl->xfers)) != NULL)
		take_out(cl, x);
	cl->doomed = 1;
}
