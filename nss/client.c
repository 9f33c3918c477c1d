/*
 * client.c - one request to tsnssd and its reply, under one deadline.
 *
 * The socket is non-blocking and close-on-exec, sends never raise SIGPIPE,
 * and every wait is a poll() bounded by what is left of TSNSS_TIMEOUT_MS,
 * so a hung or half-dead tsnssd costs a lookup that much at worst.  After
 * a timeout or a refusal the whole process remembers, for TSNSS_DOWN_MS,
 * that tsnssd is down and answers UNAVAIL at once, as glibc's own nscd
 * client does: a hung tsnssd costs one timeout per process, not one per
 * lookup.  That moment and the hint rate limit are the only state here,
 * each a single atomic: fork() and threads need no care.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* struct ucred */
#endif

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "nss-tailscale.h"

#ifndef TSNSSD_SOCKET_PATH
#error "TSNSSD_SOCKET_PATH must be defined (the Makefile passes it)"
#endif

_Static_assert(
    sizeof TSNSSD_SOCKET_PATH <= sizeof(((struct sockaddr_un *)0)->sun_path),
    "TSNSSD_SOCKET_PATH does not fit in sun_path");

/* Until when tsnssd counts as down (CLOCK_MONOTONIC ms); 0: not down. */
static int64_t down_until_ms;
/* When the last miss hint went (CLOCK_MONOTONIC ms). */
static int64_t last_hint_ms;

int64_t
tsnss_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before the deadline; 0 once it has passed. */
static int
left_ms(int64_t deadline)
{
	int64_t left = deadline - tsnss_now_ms();

	return left > 0 ? (int)left : 0;
}

/*
 * Wait for events on fd until the deadline: 0 when poll says ready (an
 * error or hangup included: the next call reports it), -1 on timeout.
 */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int left, n;

	while ((left = left_ms(deadline)) > 0) {
		n = poll(&pfd, 1, left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
	return -1;
}

/* Sleep a little, doubling each time, but never past the deadline. */
static int
nap(int *ms, int64_t deadline)
{
	int left = left_ms(deadline);

	if (left == 0)
		return -1;
	(void)poll(NULL, 0, left < *ms ? left : *ms); /* EINTR: just sooner */
	if (*ms < 64)
		*ms *= 2;
	return 0;
}

/*
 * A unix socket connects at once or not at all.  EAGAIN means tsnssd's
 * backlog is full and leaves the socket unconnected (polling it would
 * only report a hangup), so that is tried again after a nap.
 * EINPROGRESS and EINTR mean the connection goes on by itself: wait for
 * it and read the outcome from SO_ERROR.
 */
static int
connect_fd(int fd, int64_t deadline)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	socklen_t n = sizeof(int);
	int err = 0, ms = 1;

	memcpy(sun.sun_path, TSNSSD_SOCKET_PATH, sizeof TSNSSD_SOCKET_PATH);
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
			return 0;
		if (errno != EAGAIN)
			break;
		if (nap(&ms, deadline) != 0)
			return -1;
	}
	if (errno != EINPROGRESS && errno != EINTR)
		return -1; /* ENOENT, ECONNREFUSED, EACCES: nobody there */
	if (wait_fd(fd, POLLOUT, deadline) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &n) != 0 || err != 0)
		return -1;
	return 0;
}

/* Who may answer: root, or whoever owns the socket's directory. */
static int
trusted_uid(uid_t uid)
{
	char path[] = TSNSSD_SOCKET_PATH, *slash = strrchr(path, '/');
	struct stat st;

	if (uid == 0)
		return 1;
	if (slash == NULL)
		return 0;
	*(slash == path ? slash + 1 : slash) = '\0';
	return stat(path, &st) == 0 && st.st_uid == uid;
}

/*
 * The listening socket carries the daemon's credentials, so one
 * getsockopt tells both whether the right user answers and whether this
 * is tsnssd looking itself up (libcurl or glibc calling getpwuid inside
 * the daemon), which would wait on its own event loop until the deadline.
 */
static int
peer_ok(int fd)
{
	struct ucred cred;
	socklen_t n = sizeof cred;

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &n) == 0 &&
	       cred.pid != getpid() && trusted_uid(cred.uid);
}

static int
open_socket(void)
{
	return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

static int
connect_daemon(int64_t deadline)
{
	int fd;

	if ((fd = open_socket()) < 0)
		return -1;
	if (connect_fd(fd, deadline) != 0 || !peer_ok(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const unsigned char *p, size_t len, int64_t deadline)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(fd, POLLOUT, deadline) != 0)
				return -1;
		} else {
			return -1; /* EPIPE: tsnssd closed on us */
		}
	}
	return 0;
}

static int
recv_all(int fd, void *buf, size_t len, int64_t deadline)
{
	unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = recv(fd, p, len, 0);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(fd, POLLIN, deadline) != 0)
				return -1;
		} else {
			return -1; /* EOF: tsnssd died or cut us off mid-reply
				    */
		}
	}
	return 0;
}

/*
 * One request per connection, so nothing may follow the reply.  Bytes
 * already waiting past it mean the two ends disagree on the framing;
 * EOF or nothing yet is fine (tsnssd may not have closed its end).
 */
static int
nothing_more(int fd)
{
	unsigned char c;
	ssize_t n;

	do
		n = recv(fd, &c, 1, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n <= 0;
}

/* Header and key in one buffer, so they go in one send. */
static size_t
make_request(
    unsigned char *req, uint32_t action, const void *key, size_t keylen)
{
	struct tsnss_header h;

	tsnss_header_init(&h, action, keylen);
	memcpy(req, &h, sizeof h);
	if (keylen > 0)
		memcpy(req + sizeof h, key, keylen);
	return sizeof h + keylen;
}

static int
send_request(
    int fd, uint32_t action, const void *key, size_t keylen, int64_t deadline)
{
	unsigned char req[sizeof(struct tsnss_header) + TSNSS_MAX_KEY];

	return send_all(
	    fd, req, make_request(req, action, key, keylen), deadline);
}

/*
 * The reply after its header.  UNAVAIL for anything the protocol does
 * not allow; the payload is handed over only once it is all in.
 */
static enum nss_status
read_reply(int fd, const struct tsnss_header *h, struct tsnss_reply *reply,
    int64_t deadline, int *err)
{
	unsigned char *p;

	if (h->magic != TSNSS_MAGIC || h->version != TSNSS_VERSION ||
	    h->len > TSNSS_MAX_REPLY)
		return NSS_STATUS_UNAVAIL;
	switch (h->code) {
	case TSNSS_OK:
		break;
	case TSNSS_NOTFOUND:
	case TSNSS_UNAVAIL:
	case TSNSS_BADREQ:
		if (h->len != 0 || !nothing_more(fd))
			return NSS_STATUS_UNAVAIL;
		return h->code == TSNSS_NOTFOUND ? NSS_STATUS_NOTFOUND
						 : NSS_STATUS_UNAVAIL;
	default: /* DENIED carries text for tsnssctl; no use to us */
		return NSS_STATUS_UNAVAIL;
	}
	if (h->len == 0)
		return nothing_more(fd) ? NSS_STATUS_SUCCESS
					: NSS_STATUS_UNAVAIL;
	if ((p = malloc(h->len)) == NULL) {
		*err = ENOMEM;
		return NSS_STATUS_TRYAGAIN;
	}
	if (recv_all(fd, p, h->len, deadline) != 0 || !nothing_more(fd)) {
		free(p);
		return NSS_STATUS_UNAVAIL;
	}
	reply->payload = p;
	reply->len = h->len;
	return NSS_STATUS_SUCCESS;
}

static int
is_down(void)
{
	int64_t until = __atomic_load_n(&down_until_ms, __ATOMIC_RELAXED);

	return until != 0 && tsnss_now_ms() < until;
}

static void
mark_down(void)
{
	__atomic_store_n(
	    &down_until_ms, tsnss_now_ms() + TSNSS_DOWN_MS, __ATOMIC_RELAXED);
}

static enum nss_status
ask(uint32_t action, const void *key, size_t keylen, struct tsnss_reply *reply,
    int *err)
{
	int64_t deadline = tsnss_now_ms() + TSNSS_TIMEOUT_MS;
	enum nss_status st = NSS_STATUS_UNAVAIL;
	struct tsnss_header h;
	int fd;

	if (is_down())
		return NSS_STATUS_UNAVAIL;
	if ((fd = connect_daemon(deadline)) < 0) {
		mark_down(); /* nobody there, the wrong user, or a timeout */
		return NSS_STATUS_UNAVAIL;
	}
	if (send_request(fd, action, key, keylen, deadline) == 0 &&
	    recv_all(fd, &h, sizeof h, deadline) == 0)
		st = read_reply(fd, &h, reply, deadline, err);
	else
		mark_down(); /* it took the connection but did not answer */
	close(fd);
	return st;
}

enum nss_status
tsnss_ask(uint32_t action, const void *key, size_t keylen,
    struct tsnss_reply *reply, int *errnop)
{
	enum nss_status st = NSS_STATUS_NOTFOUND;
	int saved = errno, err = ENOENT;

	reply->payload = NULL;
	reply->len = 0;
	if (keylen <= TSNSS_MAX_KEY)
		st = ask(action, key, keylen, reply, &err);
	/* glibc passes &errno as errnop: restore first, then report */
	errno = saved;
	if (st != NSS_STATUS_SUCCESS)
		*errnop = err;
	return st;
}

/* One hint per TSNSS_HINT_MS per process: the first thread to claim it. */
static int
claim_hint(void)
{
	int64_t now = tsnss_now_ms();
	int64_t last = __atomic_load_n(&last_hint_ms, __ATOMIC_RELAXED);

	if (last != 0 && now - last < TSNSS_HINT_MS)
		return 0;
	return __atomic_compare_exchange_n(
	    &last_hint_ms, &last, now, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

void
tsnss_hint_miss(const char *name, size_t len)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	unsigned char req[sizeof(struct tsnss_header) + TSNSS_MAX_KEY];
	int saved = errno, fd;

	if (len > TSNSS_MAX_KEY || is_down() || !claim_hint())
		return;
	memcpy(sun.sun_path, TSNSSD_SOCKET_PATH, sizeof TSNSSD_SOCKET_PATH);
	if ((fd = open_socket()) < 0)
		return;
	/* a unix socket connects at once or not at all: never waited on */
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0 &&
	    peer_ok(fd))
		(void)send(fd, req, make_request(req, TSNSS_HINT, name, len),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	errno = saved;
}
