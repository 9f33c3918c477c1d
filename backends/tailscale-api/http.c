/*
 * http.c - the API's HTTPS client: libcurl multi on libevent, as
 * backends/tailscale/localapi.c does for the LocalAPI socket, with what
 * a request across the internet needs instead: TLS, a bearer token, a
 * POSTed form, and secrets wiped once the request is over.
 *
 * libcurl says which sockets to watch (on_curl_socket) and when to wake
 * it (on_curl_timer); libevent says when either happens (drive).  Done
 * callbacks run from drive(), outside libcurl, so one may start the next
 * request or free everything.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "http.h"
#include "secret.h"

#define BODY_FIRST 16384
#define EXCERPT 160

struct request {
	LIST_ENTRY(request) entry;
	struct http *h;
	CURL *easy;
	struct curl_slist *headers;
	char *form;
	char *what;
	http_done_fn *done;
	void *arg;
	char *body;
	size_t len, cap;
	int too_big, no_memory;
	int sensitive; /* the answer holds a secret: wipe it (a token) */
	char errbuf[CURL_ERROR_SIZE];
};

struct sock {
	LIST_ENTRY(sock) entry;
	curl_socket_t fd;
	struct event *ev;
};

struct http {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	long timeout_ms, connect_ms;
	size_t max_bytes;
	LIST_HEAD(, request) requests;
	LIST_HEAD(, sock) socks;
	int depth, doomed, global;
};

static void destroy(struct http *h);

/* --- requests ------------------------------------------------------------ */

static void
wipe_headers(struct curl_slist *l)
{
	for (; l != NULL; l = l->next)
		secret_wipe(l->data, strlen(l->data));
}

static void
request_free(struct request *r)
{
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	wipe_headers(r->headers);
	curl_slist_free_all(r->headers);
	secret_free(r->form);
	free(r->what);
	if (r->body != NULL && r->sensitive)
		secret_wipe(r->body, r->cap);
	free(r->body);
	free(r);
}

static int
grow(struct request *r, size_t need)
{
	size_t cap = r->cap ? r->cap : BODY_FIRST;
	char *p;

	while (cap < need)
		cap *= 2;
	if (cap > r->h->max_bytes + 1)
		cap = r->h->max_bytes + 1;
	if (cap <= r->cap)
		return 0;
	if (!r->sensitive)
		p = realloc(r->body, cap);
	else if ((p = malloc(cap)) != NULL && r->body != NULL) {
		/* realloc() could leave a copy of the secret behind */
		memcpy(p, r->body, r->len + 1);
		secret_wipe(r->body, r->cap);
		free(r->body);
	}
	if (p == NULL)
		return -1;
	r->body = p;
	r->cap = cap;
	return 0;
}

/* Less than given makes libcurl stop with CURLE_WRITE_ERROR. */
static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct request *r = arg;
	size_t n = size * nmemb;

	if (n > r->h->max_bytes - r->len) {
		r->too_big = 1;
		return 0;
	}
	if (grow(r, r->len + n + 1) < 0) {
		r->no_memory = 1;
		return 0;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static struct curl_slist *
add_header(struct curl_slist *l, const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 1;
	char *line = malloc(len);
	struct curl_slist *next = NULL;

	if (line != NULL) {
		snprintf(line, len, "%s%s", name, value);
		next = curl_slist_append(l, line);
		secret_wipe(line, len);
		free(line);
	}
	if (next == NULL) {
		wipe_headers(l);
		curl_slist_free_all(l);
	}
	return next;
}

static int
make_headers(struct request *r, const struct http_request *req)
{
	r->headers = add_header(NULL, "Accept: ", "application/json");
	if (r->headers != NULL && req->bearer != NULL)
		r->headers = add_header(
		    r->headers, "Authorization: Bearer ", req->bearer);
	return r->headers == NULL ? -1 : 0;
}

#define SET(opt, val)                                                          \
	do {                                                                   \
		if (rc == CURLE_OK)                                            \
			rc = curl_easy_setopt(e, opt, val);                    \
	} while (0)

static CURLcode
setup(struct request *r, const char *url)
{
	struct http *h = r->h;
	CURL *e = r->easy;
	CURLcode rc = CURLE_OK;

	SET(CURLOPT_URL, url);
	SET(CURLOPT_HTTPHEADER, r->headers);
	SET(CURLOPT_TIMEOUT_MS, h->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, h->connect_ms);
	SET(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* a redirect could carry the token elsewhere: none are followed */
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_bytes);
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_WRITEDATA, r);
	SET(CURLOPT_PRIVATE, r);
	SET(CURLOPT_ERRORBUFFER, r->errbuf);
	SET(CURLOPT_USERAGENT, "tsnssd");
	if (r->form != NULL) {
		SET(CURLOPT_POSTFIELDS, r->form);
		SET(CURLOPT_POSTFIELDSIZE, (long)strlen(r->form));
	}
	return rc;
}

#undef SET

int
http_start(struct http *h, const struct http_request *req, http_done_fn *done,
    void *arg)
{
	struct request *r;

	if (h->doomed || (r = calloc(1, sizeof *r)) == NULL)
		return -1;
	r->h = h;
	r->done = done;
	r->arg = arg;
	r->sensitive = req->form != NULL;
	if ((req->form != NULL && (r->form = strdup(req->form)) == NULL) ||
	    (r->what = strdup(req->what)) == NULL || make_headers(r, req) < 0 ||
	    (r->easy = curl_easy_init()) == NULL ||
	    setup(r, req->url) != CURLE_OK ||
	    curl_multi_add_handle(h->multi, r->easy) != CURLM_OK) {
		request_free(r);
		return -1;
	}
	LIST_INSERT_HEAD(&h->requests, r, entry);
	return 0;
}

/* --- what went wrong, in words ------------------------------------------- */

static void
excerpt(const char *body, size_t len, char out[EXCERPT + 4])
{
	size_t i, n = len < EXCERPT ? len : EXCERPT;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)body[i];

		out[i] = c < 0x20 || c >= 0x7f ? ' ' : (char)c;
	}
	while (i > 0 && out[i - 1] == ' ')
		i--;
	if (i == 0)
		strcpy(out, "(no body)");
	else
		strcpy(out + i, len > n ? "..." : "");
}

static const char *
describe(
    const struct request *r, CURLcode code, long status, char *msg, size_t len)
{
	char body[EXCERPT + 4];

	if (code == CURLE_OK && status >= 200 && status < 300)
		return NULL;
	if (code == CURLE_OPERATION_TIMEDOUT)
		snprintf(msg, len, "%s timed out after %ld ms", r->what,
		    r->h->timeout_ms);
	else if (r->too_big || code == CURLE_FILESIZE_EXCEEDED)
		snprintf(msg, len,
		    "answer from %s larger than %zu bytes (max_answer_bytes)",
		    r->what, r->h->max_bytes);
	else if (r->no_memory)
		snprintf(msg, len, "out of memory reading %s", r->what);
	else if (code != CURLE_OK)
		snprintf(msg, len, "request to %s failed: %s%s%s", r->what,
		    curl_easy_strerror(code), r->errbuf[0] ? ": " : "",
		    r->errbuf);
	else {
		excerpt(r->body != NULL ? r->body : "", r->len, body);
		snprintf(msg, len, "%s answered HTTP %ld: %s", r->what, status,
		    body);
	}
	return msg;
}

/* --- completion ---------------------------------------------------------- */

static void
finish(struct request *r, CURLcode code)
{
	struct http_reply reply = {0};
	char msg[512];

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &reply.status);
	reply.curl_code = (int)code;
	reply.body = r->body != NULL ? r->body : "";
	reply.len = r->len;
	reply.error = describe(r, code, reply.status, msg, sizeof msg);
	LIST_REMOVE(r, entry);
	curl_multi_remove_handle(r->h->multi, r->easy);
	r->done(&reply, r->arg);
	request_free(r);
}

static void
reap(struct http *h)
{
	CURLMsg *m;
	char *priv;
	int left;

	while (
	    !h->doomed && (m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		finish((struct request *)priv, m->data.result);
	}
}

/* libcurl cannot be trusted to finish what it has: end it all now. */
static void
fail_all(struct http *h, CURLMcode mc)
{
	struct request *r;

	while (!h->doomed && (r = LIST_FIRST(&h->requests)) != NULL) {
		snprintf(
		    r->errbuf, sizeof r->errbuf, "%s", curl_multi_strerror(mc));
		finish(r, CURLE_FAILED_INIT);
	}
}

static void
drive(struct http *h, curl_socket_t fd, int action)
{
	CURLMcode mc;
	int running;

	h->depth++;
	mc = curl_multi_socket_action(h->multi, fd, action, &running);
	reap(h);
	if (mc != CURLM_OK)
		fail_all(h, mc);
	h->depth--;
	if (h->depth == 0 && h->doomed)
		destroy(h);
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
sock_free(struct sock *s)
{
	LIST_REMOVE(s, entry);
	event_free(s->ev);
	free(s);
}

static struct sock *
sock_new(struct http *h, curl_socket_t fd)
{
	struct sock *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->fd = fd;
	s->ev = event_new(h->base, fd, 0, on_socket, h);
	if (s->ev == NULL || curl_multi_assign(h->multi, fd, s) != CURLM_OK) {
		if (s->ev != NULL)
			event_free(s->ev);
		free(s);
		return NULL;
	}
	LIST_INSERT_HEAD(&h->socks, s, entry);
	return s;
}

static int
on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct http *h = arg;
	struct sock *s = sockp;
	short events = EV_PERSIST;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL)
			sock_free(s);
		return 0;
	}
	if (s == NULL && (s = sock_new(h, fd)) == NULL)
		return -1;
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	event_del(s->ev); /* event_assign() must not touch a pending event */
	if (event_assign(s->ev, h->base, fd, events, on_socket, h) < 0)
		return -1;
	return event_add(s->ev, NULL) < 0 ? -1 : 0;
}

/* Only arms the timer: calling libcurl from here would re-enter it. */
static int
on_curl_timer(CURLM *multi, long timeout_ms, void *arg)
{
	struct http *h = arg;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(h->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(h->timer, &tv) < 0 ? -1 : 0;
}

/* --- life and death ------------------------------------------------------ */

struct http *
http_new(
    struct event_base *base, long timeout_ms, long connect_ms, size_t max_bytes)
{
	struct http *h = calloc(1, sizeof *h);

	if (h == NULL)
		return NULL;
	h->base = base;
	h->timeout_ms = timeout_ms;
	h->connect_ms = connect_ms;
	h->max_bytes = max_bytes;
	LIST_INIT(&h->requests);
	LIST_INIT(&h->socks);
	/* reference-counted: libcurl goes with its last user */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(h);
		return NULL;
	}
	h->global = 1;
	h->timer = evtimer_new(base, on_timer, h);
	h->multi = curl_multi_init();
	if (h->timer == NULL || h->multi == NULL ||
	    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION,
		on_curl_socket) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h) != CURLM_OK ||
	    curl_multi_setopt(
		h->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h) != CURLM_OK) {
		destroy(h);
		return NULL;
	}
	return h;
}

static void
cancel_all(struct http *h)
{
	struct request *r;

	while ((r = LIST_FIRST(&h->requests)) != NULL) {
		LIST_REMOVE(r, entry);
		curl_multi_remove_handle(h->multi, r->easy);
		request_free(r);
	}
}

static void
destroy(struct http *h)
{
	struct sock *s;

	if (h->multi != NULL) {
		cancel_all(h);
		while ((s = LIST_FIRST(&h->socks)) != NULL) {
			curl_multi_assign(h->multi, s->fd, NULL);
			sock_free(s);
		}
		curl_multi_cleanup(h->multi);
	}
	if (h->timer != NULL)
		event_free(h->timer);
	if (h->global)
		curl_global_cleanup();
	free(h);
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	if (h->depth == 0) {
		destroy(h);
		return;
	}
	if (!h->doomed)
		cancel_all(h);
	h->doomed = 1;
}
