/*
 * test-httpreq.c - backends/common/httpreq.c against a small HTTP server
 * on a unix socket in the same event loop: what both backends' clients
 * now rely on.  A kept body and its cap (with and without a
 * Content-Length), the one reported header against hostile bytes, a
 * stream through a sink paused on a small per-turn budget, a sink that
 * refuses, a refused connection, freeing the client from inside done
 * with another request under way, and the excerpt of a hostile body.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "httpreq.h"
#include "tap.h"

/* --- the server: one canned answer per connection ------------------------ */

#define MAX_CONNS 64

struct server {
	struct evconnlistener *listener;
	const char *head; /* status line and headers, up to the blank line */
	size_t body_len;  /* that many bytes of body follow: 'a' to 'z' */
	int hold;	  /* answer nothing, close nothing */
	int connections;
	int accepted; /* a connection came since the test cleared it */
	struct bufferevent *open[MAX_CONNS]; /* freed at the end if still */
};

static struct server srv;
static char sock_path[108];

static void
conn_free(struct bufferevent *bev)
{
	int i;

	for (i = 0; i < MAX_CONNS; i++)
		if (srv.open[i] == bev)
			srv.open[i] = NULL;
	bufferevent_free(bev);
}

static void
on_drained(struct bufferevent *bev, void *arg)
{
	(void)arg;
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(bev);
}

/* The client went away (a cap, a refusing sink, a free). */
static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_free(bev);
}

static void
on_request(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	size_t i;

	(void)arg;
	if (end.pos < 0 || srv.hold)
		return;
	evbuffer_drain(in, evbuffer_get_length(in));
	bufferevent_write(bev, srv.head, strlen(srv.head));
	for (i = 0; i < srv.body_len; i++) {
		char c = (char)('a' + i % 26);

		bufferevent_write(bev, &c, 1);
	}
	bufferevent_setcb(bev, on_request, on_drained, on_event, NULL);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct bufferevent *bev;

	(void)sa;
	(void)salen;
	(void)arg;
	bev = bufferevent_socket_new(
	    evconnlistener_get_base(l), fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL || srv.connections >= MAX_CONNS) {
		printf("Bail out! too many connections\n");
		exit(1);
	}
	/* whole answers at once, so that the client has more than a turn's */
	bufferevent_set_max_single_write(bev, 1 << 20);
	srv.open[srv.connections++] = bev;
	srv.accepted = 1;
	bufferevent_setcb(bev, on_request, NULL, on_event, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static int
server_start(struct event_base *base, const char *dir)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	snprintf(sock_path, sizeof sock_path, "%s/s", dir);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sock_path);
	srv.listener = evconnlistener_new_bind(base, on_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE, 16, (struct sockaddr *)&sun, sizeof sun);
	return srv.listener != NULL ? 0 : -1;
}

static void
server_stop(void)
{
	int i;

	for (i = 0; i < MAX_CONNS; i++)
		if (srv.open[i] != NULL)
			bufferevent_free(srv.open[i]);
	evconnlistener_free(srv.listener);
}

/* Turns of the loop until *flag is set, or 10 s. */
static void
on_limit(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	*(int *)arg = 1;
}

static void
run_until(struct event_base *base, const int *flag, size_t *sunk, size_t *most)
{
	struct timeval ten = {10, 0};
	int late = 0;
	struct event *limit = evtimer_new(base, on_limit, &late);
	size_t before;

	evtimer_add(limit, &ten);
	while (!*flag && !late) {
		before = sunk != NULL ? *sunk : 0;
		event_base_loop(base, EVLOOP_ONCE);
		if (sunk != NULL && *sunk - before > *most)
			*most = *sunk - before;
	}
	if (late)
		ok(0, "the loop got there within 10 s");
	event_free(limit);
}

/* --- the client side ----------------------------------------------------- */

struct got {
	struct event_base *base;
	int calls;
	long status;
	CURLcode code;
	char body[256];
	size_t len;
	char header[80];
	char error[512];
	int too_big, sink_refused;
	size_t sunk;	  /* bytes given to the sink */
	size_t most_turn; /* the most of them in one turn of the loop */
	int sunk_bad;	  /* a byte out of order */
	size_t refuse_at; /* the sink refuses past this many; 0: never */
	int secret;	  /* ask for the answer to be wiped */
	int body_bad;	  /* a kept byte out of order */
	struct httpreq_client *free_me; /* freed from inside done */
};

/* The server's body is 'a' to 'z' over and over: is this part of it? */
static int
in_order(const char *data, size_t len, size_t from)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (data[i] != (char)('a' + (from + i) % 26))
			return 0;
	return 1;
}

static const char *
describe(const struct httpreq_reply *reply, void *arg, char *msg, size_t len)
{
	(void)arg;
	if (reply->code == CURLE_OK && reply->status == 200)
		return NULL;
	snprintf(msg, len, "failed: code %d status %ld%s%s", (int)reply->code,
	    reply->status, reply->too_big ? " too big" : "",
	    reply->sink_refused ? " refused" : "");
	return msg;
}

static void
on_done(const struct httpreq_reply *reply, void *arg)
{
	struct got *g = arg;

	g->calls++;
	g->status = reply->status;
	g->code = reply->code;
	snprintf(g->body, sizeof g->body, "%s", reply->body);
	g->len = reply->len;
	g->body_bad = !in_order(reply->body, reply->len, 0);
	snprintf(g->header, sizeof g->header, "%s", reply->header);
	snprintf(
	    g->error, sizeof g->error, "%s", reply->error ? reply->error : "");
	g->too_big = reply->too_big;
	g->sink_refused = reply->sink_refused;
	if (g->free_me != NULL)
		httpreq_client_free(g->free_me);
}

static int
on_sink(const char *data, size_t len, void *arg)
{
	struct got *g = arg;

	if (!in_order(data, len, g->sunk))
		g->sunk_bad = 1;
	g->sunk += len;
	return g->refuse_at != 0 && g->sunk > g->refuse_at;
}

static struct httpreq_client *
client(struct event_base *base, size_t max_bytes, size_t turn_bytes)
{
	struct httpreq_limits lim = {.timeout_ms = 5000,
	    .connect_ms = 2000,
	    .max_bytes = max_bytes,
	    .turn_bytes = turn_bytes};

	return httpreq_client_new(base, &lim, describe, NULL);
}

/* What the server answers next: head, then body_len bytes of body. */
static void
serve(const char *head, size_t body_len)
{
	srv.head = head;
	srv.body_len = body_len;
}

static void
fresh(struct got *g, struct event_base *base)
{
	memset(g, 0, sizeof *g);
	g->base = base;
}

/* One GET over the test socket; runs the loop until done. */
static int
get(struct httpreq_client *c, struct got *g, httpreq_sink_fn *sink,
    const char *path)
{
	struct httpreq_spec spec = {.url = "http://test/x",
	    .header = "X-Version",
	    .sink = sink,
	    .secret = g->secret};
	struct httpreq *r = httpreq_new(c, &spec, on_done, g);

	if (r == NULL)
		return -1;
	httpreq_header(r, "Host: ", "test");
	HTTPREQ_SET(r, CURLOPT_UNIX_SOCKET_PATH, path);
	if (httpreq_start(r) < 0)
		return -1;
	run_until(g->base, &g->calls, &g->sunk, &g->most_turn);
	return 0;
}

/* --- the tests ----------------------------------------------------------- */

static void
test_body(struct event_base *base)
{
	struct httpreq_client *c = client(base, 100, 0);
	struct got g = {.base = base};

	serve("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	      "X-Version: 1.2.3 trailing\r\n\r\n",
	    5);
	ok(get(c, &g, NULL, sock_path) == 0, "a request starts");
	is_int(g.calls, 1, "done is called once");
	is_int(g.status, 200, "the status");
	is_str(g.body, "abcde", "the body, kept");
	is_int(g.len, 5, "its length");
	is_str(g.header, "1.2.3", "the header asked for, to its first space");
	is_str(g.error, "", "no error on a 200");
	httpreq_client_free(c);
}

/* A secret answer grows by copy and wipe, never realloc(): still whole. */
static void
test_secret(struct event_base *base)
{
	struct httpreq_client *c = client(base, 200000, 0);
	struct got g = {.base = base, .secret = 1};

	serve("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", 150000);
	get(c, &g, NULL, sock_path);
	is_int(g.len, 150000, "a secret answer past several allocations");
	ok(!g.body_bad, "every byte in place");
	httpreq_client_free(c);
}

static void
test_caps(struct event_base *base)
{
	struct httpreq_client *c = client(base, 100, 0);
	struct got g = {.base = base};

	serve("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", 101);
	get(c, &g, NULL, sock_path);
	ok(g.too_big, "a body past max_bytes, no Content-Length: too big");
	ok(g.error[0] != '\0', "and an error");
	fresh(&g, base);
	serve("HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n", 101);
	get(c, &g, NULL, sock_path);
	ok(g.too_big, "a Content-Length past max_bytes: too big");
	is_int(g.len, 0, "and none of it read");
	fresh(&g, base);
	serve("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 100);
	get(c, &g, NULL, sock_path);
	ok(!g.too_big && g.len == 100, "exactly max_bytes is kept");
	httpreq_client_free(c);
}

static void
test_hostile_header(struct event_base *base)
{
	struct httpreq_client *c = client(base, 100, 0);
	struct got g = {.base = base};
	static char head[512];
	char big[200];

	serve("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
	      "X-Versionx: no\r\nX-Version:\t1.2\x01zz\r\n\r\n",
	    0);
	get(c, &g, NULL, sock_path);
	is_str(g.header, "1.2", "a control byte ends the value");
	memset(big, '9', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	snprintf(head, sizeof head,
	    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nx-version: %s\r\n\r\n",
	    big);
	serve(head, 0);
	fresh(&g, base);
	get(c, &g, NULL, sock_path);
	is_int(strlen(g.header), 63, "an overlong value is cut, any case");
	fresh(&g, base);
	serve("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0);
	get(c, &g, NULL, sock_path);
	is_str(g.header, "", "no such header: empty");
	httpreq_client_free(c);
}

static void
test_stream(struct event_base *base)
{
	struct httpreq_client *c = client(base, 100, 4096);
	struct got g = {.base = base};

	serve("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", 300000);
	get(c, &g, on_sink, sock_path);
	is_int(
	    g.sunk, 300000, "a stream past max_bytes goes whole to the sink");
	ok(!g.sunk_bad, "in order");
	ok(g.most_turn < 64 * 1024, "at most a share a turn (%zu bytes)",
	    g.most_turn);
	is_str(g.error, "", "without an error");
	is_int(g.len, 0, "and nothing kept");
	fresh(&g, base);
	g.refuse_at = 50000;
	get(c, &g, on_sink, sock_path);
	ok(g.sink_refused && g.error[0] != '\0', "a sink that refuses ends it");
	fresh(&g, base);
	serve("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n", 9);
	get(c, &g, on_sink, sock_path);
	ok(g.sunk == 0 && g.len == 9, "a stream's 404 body is kept, not sunk");
	is_int(g.status, 404, "with its status");
	httpreq_client_free(c);
}

static void
test_refused(struct event_base *base, const char *dir)
{
	struct httpreq_client *c = client(base, 100, 0);
	struct got g = {.base = base};
	char path[128];

	snprintf(path, sizeof path, "%s/none", dir);
	get(c, &g, NULL, path);
	is_int(g.calls, 1, "no server: done is called");
	is_int(g.code, CURLE_COULDNT_CONNECT, "couldn't connect");
	ok(g.error[0] != '\0', "with an error");
	httpreq_client_free(c);
}

/* done frees the client while a second request waits on a silent server. */
static void
test_free_inside(struct event_base *base, const char *dir)
{
	struct httpreq_client *c = client(base, 100, 0);
	struct httpreq_spec spec = {.url = "http://test/x"};
	struct got first = {.base = base, .free_me = c},
		   second = {.base = base};
	struct httpreq *r;
	char path[128];

	srv.hold = 1;
	srv.accepted = 0;
	r = httpreq_new(c, &spec, on_done, &second);
	HTTPREQ_SET(r, CURLOPT_UNIX_SOCKET_PATH, sock_path);
	ok(httpreq_start(r) == 0, "a request to a silent server starts");
	run_until(base, &srv.accepted, NULL, NULL);
	snprintf(path, sizeof path, "%s/none", dir);
	get(c, &first, NULL, path); /* fails; its done frees c */
	is_int(first.calls, 1, "the failing request is reported");
	is_int(second.calls, 0, "the other one, cancelled, never is");
	srv.hold = 0;
}

static void
test_setup_fails(struct event_base *base)
{
	struct httpreq_client *c = client(base, 100, 0);
	struct httpreq_spec spec = {.url = "http://test/x"};
	struct got g = {.base = base};
	struct httpreq *r = httpreq_new(c, &spec, on_done, &g);

	httpreq_check(r, CURLE_UNKNOWN_OPTION);
	ok(httpreq_start(r) == -1, "a failed option fails the start");
	is_int(g.calls, 0, "and done is never called");
	httpreq_client_free(c);
}

static void
excerpt(const char *body, size_t len, size_t max, size_t size, const char *want,
    const char *what)
{
	char *copy = malloc(len + 1), out[64];
	struct httpreq_reply reply = {.len = len};

	memcpy(copy, body, len);
	copy[len] = '\0';
	reply.body = copy;
	memset(out, 'X', sizeof out);
	httpreq_excerpt(&reply, max, out, size);
	is_str(out, want, what);
	free(copy);
}

static void
test_excerpt(void)
{
	excerpt("", 0, 10, 14, "(no body)", "an empty body");
	excerpt("  \n\t", 4, 10, 14, "(no body)", "white space only");
	excerpt("a\nb\x01\xff", 5, 10, 14, "a b??", "control and high bytes");
	excerpt("abcdefghijkl", 12, 10, 14, "abcdefghij...", "cut at max");
	excerpt("abcdefghijkl", 12, 10, 8, "abcd...", "cut to the buffer");
	excerpt("abc  ", 5, 10, 14, "abc", "trailing spaces dropped");
}

int
main(void)
{
	struct event_base *base = event_base_new();
	char dir[] = "/tmp/test-httpreq.XXXXXX";

	/* the server writes on after a client hung up, as tailscaled would */
	signal(SIGPIPE, SIG_IGN);
	if (base == NULL || mkdtemp(dir) == NULL ||
	    server_start(base, dir) < 0) {
		printf("Bail out! cannot set up the server\n");
		return 1;
	}
	test_body(base);
	test_caps(base);
	test_secret(base);
	test_hostile_header(base);
	test_stream(base);
	test_refused(base, dir);
	test_free_inside(base, dir);
	test_setup_fails(base);
	test_excerpt();
	server_stop();
	unlink(sock_path);
	rmdir(dir);
	event_base_free(base);
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
