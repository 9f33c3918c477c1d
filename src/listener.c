/*
 * listener.c - accept clients and walk each through its states:
 *
 *   READING  wait for a whole header and key (bounded: the read watermark
 *            never lets more than one request's worth in)
 *   WRITING  the reply is queued; close once it has drained
 *
 * A connection that sends garbage gets BADREQ and is closed; one that is
 * silent or reads too slowly is closed by the timeout.  At max_clients the
 * oldest connection still waiting for its request is closed to make room:
 * idle sockets cannot lock out a client that has something to ask.  Only
 * when every slot is busy writing is the new connection refused.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/queue.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "config.h"
#include "control.h"
#include "listener.h"
#include "log.h"
#include "protocol.h"
#include "refresh.h"
#include "request.h"
#include "tsnssd.h"
#include "xmalloc.h"

enum conn_state { CONN_READING, CONN_WRITING };

struct conn {
	struct listener *l;
	struct bufferevent *bev;
	enum conn_state state;
	TAILQ_ENTRY(conn) entry; /* in l->conns, oldest first */
};

struct listener {
	struct tsnssd *d;
	struct evconnlistener *ev;
	char *path;
	unsigned n_clients;
	TAILQ_HEAD(, conn) conns; /* every open connection, oldest first */
};

static void
conn_free(struct conn *c)
{
	TAILQ_REMOVE(&c->l->conns, c, entry);
	c->l->n_clients--;
	bufferevent_free(c->bev);
	free(c);
}

static void
conn_reply(struct conn *c)
{
	c->state = CONN_WRITING;
	bufferevent_disable(c->bev, EV_READ);
}

/* Make room for one more client; -1 if every slot is busy writing. */
static int
make_room(struct listener *l)
{
	struct conn *oldest;

	if (l->n_clients < l->d->cf->max_clients)
		return 0;
	TAILQ_FOREACH(oldest, &l->conns, entry)
		if (oldest->state == CONN_READING)
			break;
	if (oldest == NULL)
		return -1;
	l->d->stats.clients_evicted++;
	conn_free(oldest);
	return 0;
}

/* The caller's uid; anything unknown counts as nobody. */
static uid_t
peer_uid(struct bufferevent *bev)
{
	struct ucred cred;
	socklen_t n = sizeof cred;

	if (getsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_PEERCRED, &cred,
		&n) != 0)
		return (uid_t)-1;
	return cred.uid;
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
		if (request_is_name(&h, key))
			refresh_on_miss(c->l->d->refresh);
		conn_free(c);
		return;
	}
	c->l->d->stats.requests++;
	if (control_is_control(&h)) {
		control_answer(c->l->d, &h, peer_uid(bev), out);
		conn_reply(c);
		return;
	}
	if (request_answer(c->l->d->snap, &h, key, c->l->d->cf->enumerate,
		out) == TSNSS_NOTFOUND &&
	    request_is_name(&h, key))
		refresh_on_miss(c->l->d->refresh);
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

static void
on_accept(struct evconnlistener *ev, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct listener *l = arg;
	struct tsnssd *d = l->d;
	unsigned ms = d->cf->client_timeout_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	struct conn *c;

	if (make_room(l) != 0) {
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
	TAILQ_INSERT_TAIL(&l->conns, c, entry);
	bufferevent_setwatermark(
	    c->bev, EV_READ, 0, sizeof(struct tsnss_header) + TSNSS_MAX_KEY);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
on_accept_error(struct evconnlistener *ev, void *arg)
{
	/* EMFILE and friends: log, keep listening; libevent retries. */
	log_warn("accept: %s", strerror(errno));
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
make_parent_dir(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int rc = 0;

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			rc = -1;
	}
	free(dir);
	return rc;
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
	if (make_parent_dir(path) != 0) {
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
listener_new(struct tsnssd *d, char *err, size_t errlen)
{
	struct listener *l;
	int fd;

	fd = bind_socket(d->cf->socket_path, err, errlen);
	if (fd < 0)
		return NULL;
	l = xcalloc(1, sizeof *l);
	l->d = d;
	l->path = xstrdup(d->cf->socket_path);
	TAILQ_INIT(&l->conns);
	l->ev = evconnlistener_new(d->base, on_accept, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 128, fd);
	if (l->ev == NULL) {
		snprintf(
		    err, errlen, "%s: listen: %s", l->path, strerror(errno));
		close(fd);
		unlink(l->path);
		free(l->path);
		free(l);
		return NULL;
	}
	evconnlistener_set_error_cb(l->ev, on_accept_error);
	log_info("listening on %s", l->path);
	return l;
}

void
listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	evconnlistener_free(l->ev);
	while (!TAILQ_EMPTY(&l->conns))
		conn_free(TAILQ_FIRST(&l->conns));
	unlink(l->path);
	free(l->path);
	free(l);
}
