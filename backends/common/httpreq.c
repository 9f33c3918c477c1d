/*
 * httpreq.c - HTTP requests on curlev: the requests under way, their
 * bodies, streams and replies, once for every backend's client.
 *
 * A request is on its client's list while libcurl has it; curlev takes
 * it out of the multi handle before reporting its end, we take it off
 * the list before calling done, and free it after: done may free the
 * client, so nothing of the client is touched once done has run.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/event.h>

#include "curlev.h"
#include "httpreq.h"

#define BODY_FIRST 16384 /* first allocation for a body */

struct httpreq {
	LIST_ENTRY(httpreq) entry;
	struct httpreq_client *c;
	CURL *easy;
	httpreq_done_fn *done;
	void *arg;
	struct curl_slist *headers; /* wiped: they may hold a token */
	char *post;		    /* wiped likewise */
	char *what;
	char *want;	       /* the answer's header to report, or NULL */
	httpreq_sink_fn *sink; /* a stream: where a 200's body goes */
	int bounded;	       /* the sink gets max_bytes at most */
	size_t given;	       /* bytes the sink got */
	struct event *resume;  /* a paused stream goes on at the next turn */
	char *body;	       /* NUL-terminated */
	size_t len, cap;
	int secret; /* the body holds a secret: wipe it, never realloc() it */
	int failed; /* setting it up failed: httpreq_start() says so */
	int too_big, no_memory, sink_refused;
	char header[64]; /* the value of want */
	char errbuf[CURL_ERROR_SIZE];
};

struct httpreq_client {
	struct event_base *base;
	struct curlev *cl;
	struct httpreq_limits lim;
	httpreq_describe_fn *describe;
	void *arg;
	LIST_HEAD(, httpreq) requests;
	size_t turn_used; /* given to sinks in this turn of the loop */
};

static void
wipe(void *p, size_t len)
{
	if (p != NULL)
		explicit_bzero(p, len);
}

static void
free_headers(struct curl_slist *l)
{
	struct curl_slist *h;

	for (h = l; h != NULL; h = h->next)
		wipe(h->data, strlen(h->data));
	curl_slist_free_all(l);
}

static void
request_free(struct httpreq *r)
{
	if (r->resume != NULL)
		event_free(r->resume);
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	free_headers(r->headers);
	if (r->post != NULL)
		wipe(r->post, strlen(r->post));
	free(r->post);
	free(r->what);
	free(r->want);
	if (r->secret)
		wipe(r->body, r->cap);
	free(r->body);
	free(r);
}

/* --- the answer ---------------------------------------------------------- */

static int
grow(struct httpreq *r, size_t need)
{
	size_t cap = r->cap ? r->cap : BODY_FIRST;
	size_t most = r->c->lim.max_bytes + 1;
	char *p;

	while (cap < need)
		cap *= 2;
	if (cap > most)
		cap = most;
	if (cap <= r->cap)
		return 0;
	if (!r->secret)
		p = realloc(r->body, cap);
	else if ((p = malloc(cap)) != NULL && r->body != NULL) {
		/* realloc() could leave a copy of the secret behind */
		memcpy(p, r->body, r->len + 1);
		wipe(r->body, r->cap);
		free(r->body);
	}
	if (p == NULL)
		return -1;
	r->body = p;
	r->cap = cap;
	return 0;
}

/* Returning less than given makes libcurl stop with CURLE_WRITE_ERROR. */
static size_t
keep(struct httpreq *r, const char *data, size_t n)
{
	if (n > r->c->lim.max_bytes - r->len) {
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

/*
 * A sink that parses what it is given (a 100k-user initial status)
 * would hold the loop for as long as libcurl keeps reading: past the
 * client's share for this turn the transfer pauses until the next one.
 */
static size_t
give(struct httpreq *r, const char *data, size_t n)
{
	struct httpreq_client *c = r->c;

	if (c->lim.turn_bytes > 0 && c->turn_used >= c->lim.turn_bytes) {
		struct timeval now = {0, 0};

		evtimer_add(r->resume, &now);
		return CURL_WRITEFUNC_PAUSE; /* given again on resume */
	}
	if (r->bounded && n > c->lim.max_bytes - r->given) {
		r->too_big = 1;
		return 0;
	}
	c->turn_used += n;
	r->given += n;
	if (r->sink(data, n, r->arg) == 0)
		return n;
	r->sink_refused = 1;
	return 0;
}

static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct httpreq *r = arg;
	size_t n = size * nmemb;
	long status = 0;

	if (r->sink != NULL) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status == 200)
			return give(r, data, n);
	}
	return keep(r, data, n);
}

/* Only the header asked for is kept, printable and bounded. */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct httpreq *r = arg;
	size_t n = size * nmemb, i = strlen(r->want), o = 0;

	if (n <= i || strncasecmp(data, r->want, i) != 0 || data[i] != ':')
		return n;
	i++;
	while (i < n && (data[i] == ' ' || data[i] == '\t'))
		i++;
	while (i < n && o + 1 < sizeof r->header &&
	       (unsigned char)data[i] > 0x20 && (unsigned char)data[i] < 0x7f)
		r->header[o++] = data[i++];
	r->header[o] = '\0';
	return n;
}

/* --- a request ----------------------------------------------------------- */

CURL *
httpreq_easy(struct httpreq *r)
{
	return r->easy;
}

void
httpreq_check(struct httpreq *r, CURLcode rc)
{
	if (rc != CURLE_OK)
		r->failed = 1;
}

void
httpreq_header(struct httpreq *r, const char *start, const char *rest)
{
	size_t len = strlen(start) + strlen(rest) + 1;
	char *line = malloc(len);
	struct curl_slist *next = NULL;

	if (line != NULL) {
		snprintf(line, len, "%s%s", start, rest);
		next = curl_slist_append(r->headers, line);
		wipe(line, len);
		free(line);
	}
	if (next == NULL)
		r->failed = 1;
	else
		r->headers = next;
}

static void on_resume(evutil_socket_t fd, short events, void *arg);

static int
copy_spec(struct httpreq *r, const struct httpreq_spec *spec)
{
	r->sink = spec->sink;
	r->bounded = spec->bounded;
	r->secret = spec->secret;
	r->what = strdup(spec->what != NULL ? spec->what : spec->url);
	if (r->what == NULL)
		return -1;
	if (spec->header != NULL && (r->want = strdup(spec->header)) == NULL)
		return -1;
	if (spec->post != NULL && (r->post = strdup(spec->post)) == NULL)
		return -1;
	if (spec->sink != NULL &&
	    (r->resume = evtimer_new(r->c->base, on_resume, r)) == NULL)
		return -1;
	return 0;
}

struct httpreq *
httpreq_new(struct httpreq_client *c, const struct httpreq_spec *spec,
    httpreq_done_fn *done, void *arg)
{
	struct httpreq *r = calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	r->c = c;
	r->done = done;
	r->arg = arg;
	if (copy_spec(r, spec) < 0 || (r->easy = curl_easy_init()) == NULL) {
		request_free(r);
		return NULL;
	}
	HTTPREQ_SET(r, CURLOPT_URL, spec->url); /* libcurl copies it */
#if LIBCURL_VERSION_NUM >= 0x075500
	HTTPREQ_SET(
	    r, CURLOPT_PROTOCOLS_STR, spec->https ? "http,https" : "http");
#else
	HTTPREQ_SET(r, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | (spec->https ? CURLPROTO_HTTPS : 0)));
#endif
	/* certificates are checked (libcurl's default); old TLS is not */
	if (spec->https)
		HTTPREQ_SET(
		    r, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	return r;
}

/* What every request has; the owner's own options are already set. */
static void
setup(struct httpreq *r)
{
	const struct httpreq_limits *lim = &r->c->lim;

	if (r->headers != NULL)
		HTTPREQ_SET(r, CURLOPT_HTTPHEADER, r->headers);
	/* a stream has no end to bound: its reader watches it instead */
	if (lim->timeout_ms > 0)
		HTTPREQ_SET(r, CURLOPT_TIMEOUT_MS, lim->timeout_ms);
	HTTPREQ_SET(r, CURLOPT_CONNECTTIMEOUT_MS, lim->connect_ms);
	HTTPREQ_SET(r, CURLOPT_NOSIGNAL, 1L);
	/* a redirect could carry the request, or a token, elsewhere */
	HTTPREQ_SET(r, CURLOPT_FOLLOWLOCATION, 0L);
	/* Refuses a too-long Content-Length before reading any of it. */
	if (r->sink == NULL || r->bounded)
		HTTPREQ_SET(
		    r, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)lim->max_bytes);
	if (r->want != NULL) {
		HTTPREQ_SET(r, CURLOPT_HEADERFUNCTION, on_header);
		HTTPREQ_SET(r, CURLOPT_HEADERDATA, r);
	}
	HTTPREQ_SET(r, CURLOPT_WRITEFUNCTION, on_data);
	HTTPREQ_SET(r, CURLOPT_WRITEDATA, r);
	HTTPREQ_SET(r, CURLOPT_PRIVATE, r);
	HTTPREQ_SET(r, CURLOPT_ERRORBUFFER, r->errbuf);
	HTTPREQ_SET(r, CURLOPT_USERAGENT, "tsnssd");
	if (r->post != NULL) {
		HTTPREQ_SET(r, CURLOPT_POSTFIELDS, r->post);
		HTTPREQ_SET(r, CURLOPT_POSTFIELDSIZE, (long)strlen(r->post));
	}
}

int
httpreq_start(struct httpreq *r)
{
	setup(r);
	if (r->failed || curlev_add(r->c->cl, r->easy) < 0) {
		request_free(r);
		return -1;
	}
	LIST_INSERT_HEAD(&r->c->requests, r, entry);
	return 0;
}

/* --- its end ------------------------------------------------------------- */

/* A transfer ended (curlev took it out): report it, then free it. */
static void
on_done(CURL *easy, CURLcode code, const char *why, void *arg)
{
	struct httpreq_client *c = arg;
	struct httpreq_reply reply = {0};
	struct httpreq *r;
	char msg[512], *priv;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
	r = (struct httpreq *)priv;
	if (why != NULL)
		snprintf(r->errbuf, sizeof r->errbuf, "%s", why);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &reply.status);
	reply.code = code;
	reply.body = r->body != NULL ? r->body : "";
	reply.len = r->len;
	reply.received = r->len + r->given;
	reply.header = r->header;
	reply.limits = &c->lim;
	reply.what = r->what;
	reply.curl_error = r->errbuf;
	reply.easy = easy;
	reply.too_big = r->too_big || code == CURLE_FILESIZE_EXCEEDED;
	reply.no_memory = r->no_memory;
	reply.sink_refused = r->sink_refused;
	reply.error = c->describe(&reply, c->arg, msg, sizeof msg);
	LIST_REMOVE(r, entry);
	r->done(&reply, r->arg); /* may free c: r is ours alone now */
	request_free(r);
}

/* Each call into libcurl is a new turn: sinks get their share again. */
static void
on_turn(void *arg)
{
	struct httpreq_client *c = arg;

	c->turn_used = 0;
}

/* A new turn: the paused stream may have its next share. */
static void
on_resume(evutil_socket_t fd, short events, void *arg)
{
	struct httpreq *r = arg;

	(void)fd;
	(void)events;
	curlev_unpause(r->c->cl, r->easy); /* may end r */
}

void
httpreq_excerpt(
    const struct httpreq_reply *reply, size_t max, char *out, size_t size)
{
	size_t i, n = reply->len < max ? reply->len : max;

	if (size == 0)
		return;
	if (n + 4 > size)
		n = size > 4 ? size - 4 : 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)reply->body[i];

		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		out[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	while (i > 0 && out[i - 1] == ' ')
		i--;
	if (i == 0)
		snprintf(out, size, "(no body)");
	else
		snprintf(out + i, size - i, "%s", reply->len > n ? "..." : "");
}

/* --- the client ---------------------------------------------------------- */

struct httpreq_client *
httpreq_client_new(struct event_base *base, const struct httpreq_limits *limits,
    httpreq_describe_fn *describe, void *arg)
{
	struct httpreq_client *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	c->base = base;
	c->lim = *limits;
	c->describe = describe;
	c->arg = arg;
	LIST_INIT(&c->requests);
	if ((c->cl = curlev_new(base, on_done, on_turn, c)) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

/*
 * Safe inside a done callback: curlev finishes its own part on its way
 * out, and the request being reported is no longer on our list.
 */
void
httpreq_client_free(struct httpreq_client *c)
{
	struct httpreq *r;

	if (c == NULL)
		return;
	while ((r = LIST_FIRST(&c->requests)) != NULL) {
		LIST_REMOVE(r, entry);
		curlev_cancel(c->cl, r->easy);
		request_free(r);
	}
	curlev_free(c->cl);
	free(c);
}
