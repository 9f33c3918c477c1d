/*
 * listener.c - accept clients and walk each through its states:
 *
 *   READING  wait for a whole header and key (bounded: the read watermark
 *            never lets more than one request's worth in)
 *   WRITING  the reply is queued; close once it has drained
 *
 * A connection that sends garbage gets BADREQ and is closed; one that is
 * silent or reads too slowly is closed by the timeout.  Two limits keep
 * one local user from holding everyone else down:
 *
 *  - at max_clients a connection is closed to make room, taken from the
 *    user (SO_PEERCRED uid) holding the most: first one that has sent
 *    nothing, then one whose reply is still unread, and a connection whose
 *    request has arrived only as a last resort;
 *  - replies queued for all clients together stay under
 *    LISTENER_MAX_QUEUED: past it, the oldest unread replies of the user
 *    with the most queued bytes are dropped with their connections, and a
 *    user holding half of it gets no new reply until it reads.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/queue.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "config.h"
#include "fileio.h"
#include "listener.h"
#include "log.h"
#include "protocol.h"
#include "refresh.h"
#include "request.h"
#include "tsnssd.h"
#include "xmalloc.h"

/*
 * Room for a flood's connections and the real clients behind them: while
 * the backlog is full a client's connect() fails, and the stub's lookup
 * waits out its deadline.  The kernel caps it at net.core.somaxconn.
 */
#define LISTEN_BACKLOG 1024

enum conn_state { CONN_READING, CONN_WRITING };

struct conn {
	struct listener *l;
	struct bufferevent *bev;
	struct evbuffer_cb_entry *out_cb;
	enum conn_state state;
	uid_t uid;		 /* the peer's, (uid_t)-1 if unknown */
	size_t queued;		 /* reply bytes not yet taken by the kernel */
	TAILQ_ENTRY(conn) entry; /* in l->conns, oldest first */
};

struct listener {
	struct tsnssd *d;
	listener_control_fn control;
	struct event *ev; /* the listening socket is readable */
	int fd;
	char *path;
	unsigned n_clients;
	size_t queued, queued_peak; /* over every connection */
	TAILQ_HEAD(, conn) conns;   /* every open connection, oldest first */
};

static void
conn_free(struct conn *c)
{
	evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->out_cb);
	c->l->queued -= c->queued;
	TAILQ_REMOVE(&c->l->conns, c, entry);
	c->l->n_clients--;
	bufferevent_free(c->bev);
	free(c);
}

/* Keep count of every reply byte queued, to cap the total. */
static void
on_output(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn *c = arg;

	c->queued += info->n_added;
	c->queued -= info->n_deleted;
	c->l->queued += info->n_added;
	c->l->queued -= info->n_deleted;
}

/* Bytes of a request waiting, in our buffer or the kernel's. */
static size_t
pending(struct conn *c)
{
	int n = 0;

	if (ioctl(bufferevent_getfd(c->bev), FIONREAD, &n) != 0 || n < 0)
		n = 0;
	return evbuffer_get_length(bufferevent_get_input(c->bev)) + (size_t)n;
}

struct weight {
	uid_t uid;
	size_t w;
};

static int
by_uid(const void *a, const void *b)
{
	uid_t x = ((const struct weight *)a)->uid;
	uid_t y = ((const struct weight *)b)->uid;

	return x < y ? -1 : x > y;
}

/*
 * The uid with the most connections, or with the most queued bytes.
 * Sorted, not compared pairwise: it runs on every accept at max_clients,
 * which a flood makes the common case.
 */
static uid_t
heaviest(struct listener *l, int by_bytes)
{
	struct weight *v = xcalloc(l->n_clients + 1, sizeof *v);
	struct conn *c;
	size_t n = 0, i, sum = 0, best = 0;
	uid_t who = (uid_t)-1;

	TAILQ_FOREACH(c, &l->conns, entry)
	{
		v[n].uid = c->uid;
		v[n++].w = by_bytes ? c->queued : 1;
	}
	qsort(v, n, sizeof *v, by_uid);
	for (i = 0; i < n; i++) {
		sum = (i > 0 && v[i].uid == v[i - 1].uid ? sum : 0) + v[i].w;
		if (sum > best) {
			best = sum;
			who = v[i].uid;
		}
	}
	free(v);
	return who;
}

/*
 * A user whose unread replies fill half the cap gets no more until it
 * reads: its next request is closed unanswered, before any reply is built.
 */
static int
over_share(struct listener *l, uid_t uid)
{
	struct conn *c;
	size_t sum = 0;

	if (l->queued < LISTENER_MAX_QUEUED / 2)
		return 0;
	TAILQ_FOREACH(c, &l->conns, entry)
	if (c->uid == uid)
		sum += c->queued;
	return sum >= LISTENER_MAX_QUEUED / 2;
}

/* Drop the oldest unread replies of the heaviest user until under cap. */
static void
cap_output(struct listener *l)
{
	struct conn *c;
	uid_t who;

	while (l->queued > LISTENER_MAX_QUEUED) {
		who = heaviest(l, 1);
		TAILQ_FOREACH(c, &l->conns, entry)
		if (c->uid == who && c->state == CONN_WRITING && c->queued > 0)
			break;
		if (c == NULL)
			break;
		l->d->stats.writers_evicted++;
		conn_free(c);
	}
	if (l->queued > l->queued_peak)
		l->queued_peak = l->queued;
}

void
listener_describe(const struct listener *l, struct evbuffer *b)
{
	if (l == NULL)
		return;
	evbuffer_add_printf(b,
	    "queued output:    %zu bytes, peak %zu, cap %u\n", l->queued,
	    l->queued_peak, LISTENER_MAX_QUEUED);
}

/* The reply is queued; c may be gone afterwards (the output cap). */
static void
conn_reply(struct conn *c)
{
	c->state = CONN_WRITING;
	bufferevent_disable(c->bev, EV_READ);
	cap_output(c->l);
}

/*
 * Make room for one more client, of uid: a connection of the user holding
 * the most, one that sent nothing first, then an unread reply, then any.
 * If uid itself holds the most and none of its connections is idle, the
 * newcomer is the one refused: a user cannot churn through the others'
 * slots, nor make tsnssd build reply after reply for it.
 */
static int
make_room(struct listener *l, uid_t uid)
{
	struct conn *c, *idle = NULL, *writer = NULL, *any = NULL;
	uid_t who;

	if (l->n_clients < l->d->cf->max_clients)
		return 0;
	who = heaviest(l, 0);
	TAILQ_FOREACH(c, &l->conns, entry)
	{
		if (c->uid != who)
			continue;
		if (c->state == CONN_WRITING)
			writer = writer ? writer : c;
		else if (pending(c) == 0)
			idle = c;
		else
			any = any ? any : c;
		if (idle != NULL)
			break;
	}
	c = idle ? idle : writer ? writer : any;
	if (c == NULL || (idle == NULL && who == uid))
		return -1;
	if (c == writer && c != idle)
		l->d->stats.writers_evicted++;
	else
		l->d->stats.clients_evicted++;
	conn_free(c);
	return 0;
}

/* The caller's uid; anything unknown counts as nobody. */
static uid_t
peer_uid(evutil_socket_t fd)
{
	struct ucred cred;
	socklen_t n = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &n) != 0)
		return (uid_t)-1;
	return cred.uid;
}

/* A name looked up in vain (or a stub's hint): maybe someone new. */
static void
missed(struct tsnssd *d, const struct tsnss_header *h, const unsigned char *key)
{
	char name[TSNSS_MAX_KEY + 1];

	if (!request_is_name(h, key))
		return;
	memcpy(name, key, h->len);
	name[h->len] = '\0';
	refresh_on_miss(d->refresh, name);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *out = bufferevent_get_output(bev);
	struct tsnss_header h;
	unsigned char key[TSNSS_MAX_KEY];
	size_t keylen;

	if (c->state != CONN_READING ||
	    evbuffer_copyout(in, &h, sizeof h) < (ssize_t)sizeof h)
		return;
	if (request_check_header(&h, &keylen) != 0) {
		c->l->d->stats.bad_requests++;
		request_reply_status(out, TSNSS_BADREQ);
		conn_reply(c);
		return;
	}
	if (evbuffer_get_length(in) < sizeof h + keylen)
		return;
	evbuffer_drain(in, sizeof h);
	evbuffer_remove(in, key, keylen);
	if (h.code == TSNSS_HINT) {
		/* the stub does not wait for an answer: none is sent */
		c->l->d->stats.hints++;
		missed(c->l->d, &h, key);
		conn_free(c);
		return;
	}
	c->l->d->stats.requests++;
	if (over_share(c->l, c->uid)) {
		c->l->d->stats.writers_evicted++;
		conn_free(c);
		return;
	}
	if (c->l->control(c->l->d, &h, key, c->uid, out)) {
		conn_reply(c);
		return;
	}
	if (request_answer(c->l->d->snap, &h, key, c->l->d->cf->enumerate,
		out) == TSNSS_NOTFOUND)
		missed(c->l->d, &h, key);
	conn_reply(c);
}

static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->state == CONN_WRITING)
		conn_free(c);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	if (what & BEV_EVENT_TIMEOUT)
		c->l->d->stats.client_timeouts++;
	conn_free(c);
}

/*
 * A user holding half of max_clients makes room for its next connection
 * from its own: its oldest that sent nothing goes (0), or, with none
 * such, the newcomer is refused (-1).  Checked first and without sorting,
 * so a flood's connections cost microseconds each and the backlog drains
 * fast enough for the clients queued behind it.  1: under the quota.
 */
static int
own_room(struct listener *l, uid_t uid)
{
	unsigned half = l->d->cf->max_clients / 2, n = 0;
	struct conn *c, *idle = NULL;

	if (l->n_clients < half)
		return 1;
	TAILQ_FOREACH(c, &l->conns, entry)
	{
		if (c->uid != uid)
			continue;
		n++;
		if (idle == NULL && c->state == CONN_READING && pending(c) == 0)
			idle = c;
	}
	if (n < half)
		return 1;
	if (idle == NULL)
		return -1;
	l->d->stats.clients_evicted++;
	conn_free(idle);
	return 0;
}

static void
accept_one(struct listener *l, evutil_socket_t fd)
{
	struct tsnssd *d = l->d;
	unsigned ms = d->cf->client_timeout_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	struct conn *c;
	uid_t uid = peer_uid(fd);
	int own = own_room(l, uid);

	if (own < 0 || (own > 0 && make_room(l, uid) != 0)) {
		d->stats.clients_refused++;
		evutil_closesocket(fd);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->l = l;
	c->bev = bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	l->n_clients++;
	c->uid = uid;
	c->out_cb =
	    evbuffer_add_cb(bufferevent_get_output(c->bev), on_output, c);
	TAILQ_INSERT_TAIL(&l->conns, c, entry);
	bufferevent_setwatermark(
	    c->bev, EV_READ, 0, sizeof(struct tsnss_header) + TSNSS_MAX_KEY);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/*
 * At most ACCEPT_BATCH new connections per turn of the event loop: a
 * flood that keeps the backlog full must not keep the loop from reading
 * the requests already accepted (libevent's listener accepts until the
 * backlog is empty), yet the backlog must drain fast enough that a real
 * client queued behind a flood is reached within its deadline: a flood's
 * connections past its quota cost microseconds each.  The event is
 * level-triggered, so the rest of the backlog is taken on the next turn.
 */
#define ACCEPT_BATCH 128

static void
on_listen(evutil_socket_t lfd, short what, void *arg)
{
	struct listener *l = arg;
	int i, fd;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			accept_one(l, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_warn("accept: %s", strerror(errno));
		return;
	}
}

/* Refuse to steal the socket of a tsnssd that is still answering. */
static int
socket_in_use(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int used;

	if (fd < 0)
		return 0;
	used = connect(fd, (const struct sockaddr *)sun, sizeof *sun) == 0;
	close(fd);
	return used;
}

static int
bind_socket(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if (fileio_make_parent(path) != 0) {
		snprintf(err, errlen, "cannot create the directory of %s: %s",
		    path, strerror(errno));
		return -1;
	}
	if (socket_in_use(&sun)) {
		snprintf(
		    err, errlen, "%s: another tsnssd is answering there", path);
		return -1;
	}
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0 ||
	    chmod(path, 0666) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

struct listener *
listener_new(
    struct tsnssd *d, listener_control_fn control, char *err, size_t errlen)
{
	struct listener *l;
	int fd;

	fd = bind_socket(d->cf->socket_path, err, errlen);
	if (fd < 0)
		return NULL;
	l = xcalloc(1, sizeof *l);
	l->d = d;
	l->control = control;
	l->path = xstrdup(d->cf->socket_path);
	TAILQ_INIT(&l->conns);
	l->fd = fd;
	l->ev = event_new(d->base, fd, EV_READ | EV_PERSIST, on_listen, l);
	if (listen(fd, LISTEN_BACKLOG) != 0 || l->ev == NULL ||
	    event_add(l->ev, NULL) != 0) {
		snprintf(
		    err, errlen, "%s: listen: %s", l->path, strerror(errno));
		if (l->ev != NULL)
			event_free(l->ev);
		close(fd);
		unlink(l->path);
		free(l->path);
		free(l);
		return NULL;
	}
	log_info("listening on %s", l->path);
	return l;
}

void
listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	event_free(l->ev);
	close(l->fd);
	while (!TAILQ_EMPTY(&l->conns))
		conn_free(TAILQ_FIRST(&l->conns));
	unlink(l->path);
	free(l->path);
	free(l);
}
