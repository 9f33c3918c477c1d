/*
 * client.c - one request to tsnssd and its reply, under one deadline.
 *
 * The socket is non-blocking and close-on-exec, writes never raise SIGPIPE,
 * and every wait is a poll() bounded by what is left of TSNSS_TIMEOUT_MS.
 * Any failure is UNAVAIL with errno ENOENT, which tells glibc to go on to
 * the next source as if this one were not configured.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "nss-tailscale.h"

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline: 0 when ready, -1 otherwise. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int64_t left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -1;
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return 0;
		if (n == 0 || errno != EINTR)
			return -1;
	}
}

/*
 * tsnssd looking itself up (say libcurl calling getpwuid inside the
 * daemon) would wait on its own event loop until the deadline.  The
 * listening socket's credentials are those of the daemon, so one
 * getsockopt tells, without any state.
 */
static int
is_self(int fd)
{
	struct ucred cred;
	socklen_t n = sizeof cred;

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &n) == 0 &&
	       cred.pid == getpid();
}

static int
connect_daemon(int64_t deadline)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, err = 0;
	socklen_t n = sizeof err;

	if (sizeof TSNSSD_SOCKET_PATH > sizeof sun.sun_path)
		return -1;
	memcpy(sun.sun_path, TSNSSD_SOCKET_PATH, sizeof TSNSSD_SOCKET_PATH);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		/* EAGAIN: the backlog is full; no waiting in line for it */
		if (errno != EINPROGRESS ||
		    wait_fd(fd, POLLOUT, deadline) != 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &n) != 0 ||
		    err != 0)
			goto fail;
	}
	if (is_self(fd))
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
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
		} else if (n < 0 && errno == EAGAIN) {
			if (wait_fd(fd, POLLOUT, deadline) != 0)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

static int
recv_all(int fd, unsigned char *p, size_t len, int64_t deadline)
{
	ssize_t n;

	while (len > 0) {
		n = recv(fd, p, len, 0);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			if (wait_fd(fd, POLLIN, deadline) != 0)
				return -1;
		} else {
			return -1; /* EOF or error: a daemon killed mid-answer
				    */
		}
	}
	return 0;
}

static int
exchange(int fd, uint32_t action, const void *key, size_t keylen,
    struct tsnss_header *h, struct tsnss_reply *reply, int64_t deadline)
{
	unsigned char req[sizeof *h + TSNSS_MAX_KEY];
	struct tsnss_header rq = {
	    TSNSS_MAGIC, TSNSS_VERSION, action, (uint32_t)keylen};

	memcpy(req, &rq, sizeof rq);
	memcpy(req + sizeof rq, key, keylen);
	if (send_all(fd, req, sizeof rq + keylen, deadline) != 0 ||
	    recv_all(fd, (unsigned char *)h, sizeof *h, deadline) != 0)
		return -1;
	if (h->magic != TSNSS_MAGIC || h->version != TSNSS_VERSION ||
	    h->len > TSNSS_MAX_REPLY || (h->code == TSNSS_OK) != (h->len > 0))
		return -1;
	if (h->len == 0)
		return 0;
	reply->payload = malloc(h->len);
	if (reply->payload == NULL)
		return -1;
	if (recv_all(fd, reply->payload, h->len, deadline) != 0) {
		free(reply->payload);
		reply->payload = NULL;
		return -1;
	}
	reply->len = h->len;
	return 0;
}

enum nss_status
tsnss_ask(uint32_t action, const void *key, size_t keylen,
    struct tsnss_reply *reply, int *errnop)
{
	int64_t deadline = now_ms() + TSNSS_TIMEOUT_MS;
	struct tsnss_header h;
	int fd, saved = errno, rc;

	reply->payload = NULL;
	reply->len = 0;
	*errnop = ENOENT;
	if (keylen > TSNSS_MAX_KEY)
		return NSS_STATUS_NOTFOUND;
	fd = connect_daemon(deadline);
	if (fd < 0) {
		errno = saved;
		return NSS_STATUS_UNAVAIL;
	}
	rc = exchange(fd, action, key, keylen, &h, reply, deadline);
	close(fd);
	errno = saved;
	if (rc != 0)
		return NSS_STATUS_UNAVAIL;
	if (h.code == TSNSS_OK)
		return NSS_STATUS_SUCCESS;
	return h.code == TSNSS_NOTFOUND ? NSS_STATUS_NOTFOUND
					: NSS_STATUS_UNAVAIL;
}
