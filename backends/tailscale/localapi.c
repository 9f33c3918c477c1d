/*
 * localapi.c - GET requests to tailscaled's LocalAPI: libcurl's multi
 * interface on the daemon's libevent loop (common/curlev.c drives it).
 *
 * Finished transfers are reported from the loop, outside any libcurl
 * callback, so a callback may start a request or free everything.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "curlev.h"
#include "localapi.h"

/* tailscaled checks the Host header; the name is the one its CLI uses. */
#define LOCALAPI_HOST "local-tailscaled.sock"
#define BODY_FIRST 16384 /* first allocation for a body */
#define EXCERPT 200	 /* bytes of an error body quoted */
/*
 * A stream's bytes handed to its sink in one turn of the event loop, at
 * most: libcurl reads up to a hundred 16 KiB buffers per call, and a sink
 * that parses them (a 100k-user initial status) would hold the loop for
 * tens of milliseconds.  Past this the transfer pauses until the next
 * turn.
 */
#define TURN_BYTES (256u * 1024)

struct request {
	LIST_ENTRY(request) entry;
	struct localapi *la;
	CURL *easy;
	localapi_done_fn *done;
	void *arg;
	char *body; /* NUL-terminated */
	size_t len, cap;
	int too_big, no_memory;
	localapi_sink_fn *sink; /* a stream: where a 200's body goes */
	int sink_refused;
	struct event *resume; /* a paused stream goes on at the next turn */
	char version[64];     /* the Tailscale-Version header */
	char errbuf[CURL_ERROR_SIZE];
};

struct localapi {
	struct event_base *base;
	struct curlev *cl;
	struct curl_slist *headers;
	char *socket;
	long timeout_ms, connect_ms;
	size_t max_bytes;
	LIST_HEAD(, request) requests;
	size_t turn_bytes; /* given to sinks in this turn of the loop */
};

static void on_resume(evutil_socket_t fd, short events, void *arg);

/* --- requests ------------------------------------------------------------ */

static void
request_free(struct request *r)
{
	if (r->resume != NULL)
		event_free(r->resume);
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
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
	if (cap > r->la->max_bytes + 1)
		cap = r->la->max_bytes + 1;
	if (cap <= r->cap)
		return 0;
	p = realloc(r->body, cap);
	if (p == NULL)
		return -1;
	r->body = p;
	r->cap = cap;
	return 0;
}

static int
is_ok(struct request *r)
{
	long code = 0;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
	return code == 200;
}

/* Returning less than given makes libcurl stop with CURLE_WRITE_ERROR. */
static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct request *r = arg;
	size_t n = size * nmemb;

	if (r->sink != NULL && is_ok(r)) {
		if (r->la->turn_bytes >= TURN_BYTES) {
			struct timeval now = {0, 0};

			evtimer_add(r->resume, &now);
			return CURL_WRITEFUNC_PAUSE; /* given again on resume */
		}
		r->la->turn_bytes += n;
		if (r->sink(data, n, r->arg) == 0)
			return n;
		r->sink_refused = 1;
		return 0;
	}
	if (n > r->la->max_bytes - r->len) {
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

/* Headers: only Tailscale-Version matters, for choosing the bus mask. */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	static const char name[] = "tailscale-version:";
	struct request *r = arg;
	size_t n = size * nmemb, i = sizeof name - 1, o = 0;

	if (n < i || strncasecmp(data, name, i) != 0)
		return n;
	while (i < n && (data[i] == ' ' || data[i] == '\t'))
		i++;
	while (i < n && o + 1 < sizeof r->version &&
	       (unsigned char)data[i] > 0x20 && (unsigned char)data[i] < 0x7f)
		r->version[o++] = data[i++];
	r->version[o] = '\0';
	return n;
}

#define SET(opt, val)                                                          \
	do {                                                                   \
		if (rc == CURLE_OK)                                            \
			rc = curl_easy_setopt(e, opt, val);                    \
	} while (0)

static CURLcode
setup(struct request *r, const char *url)
{
	struct localapi *la = r->la;
	CURL *e = r->easy;
	CURLcode rc = CURLE_OK;

	SET(CURLOPT_URL, url);
	SET(CURLOPT_UNIX_SOCKET_PATH, la->socket);
	SET(CURLOPT_HTTPHEADER, la->headers);
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	/* a stream has no end to bound: its reader watches it instead */
	if (la->timeout_ms > 0)
		SET(CURLOPT_TIMEOUT_MS, la->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, la->connect_ms);
	SET(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http");
#else
	SET(CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTP);
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	/* http_proxy in our environment must not send this elsewhere. */
	SET(CURLOPT_NOPROXY, "*");
	/*
	 * One request per TTL gains nothing from keep-alive, and a closed
	 * connection leaves no idle socket behind for tailscaled to drop
	 * under us.
	 */
	SET(CURLOPT_FORBID_REUSE, 1L);
	/* Refuses a too-long Content-Length before reading any of it. */
	if (r->sink == NULL)
		SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)la->max_bytes);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, r);
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_WRITEDATA, r);
	SET(CURLOPT_PRIVATE, r);
	SET(CURLOPT_ERRORBUFFER, r->errbuf);
	SET(CURLOPT_USERAGENT, "tsnssd");
	return rc;
}

#undef SET

static int start(struct localapi *la, const char *path, localapi_sink_fn *sink,
    localapi_done_fn *done, void *arg);

int
localapi_get(
    struct localapi *la, const char *path, localapi_done_fn *done, void *arg)
{
	return start(la, path, NULL, done, arg);
}

int
localapi_stream(struct localapi *la, const char *path, localapi_sink_fn *sink,
    localapi_done_fn *done, void *arg)
{
	return start(la, path, sink, done, arg);
}

static int
start(struct localapi *la, const char *path, localapi_sink_fn *sink,
    localapi_done_fn *done, void *arg)
{
	size_t urllen = sizeof "http://" LOCALAPI_HOST + strlen(path);
	struct request *r;
	char *url;
	int rc = -1;

	if (path[0] != '/')
		return -1;
	r = calloc(1, sizeof *r);
	url = malloc(urllen);
	if (r == NULL || url == NULL)
		goto out;
	snprintf(url, urllen, "http://" LOCALAPI_HOST "%s", path);
	r->la = la;
	r->done = done;
	r->arg = arg;
	r->sink = sink;
	if (sink != NULL &&
	    (r->resume = evtimer_new(la->base, on_resume, r)) == NULL)
		goto out;
	r->easy = curl_easy_init();
	if (r->easy == NULL || setup(r, url) != CURLE_OK ||
	    curlev_add(la->cl, r->easy) < 0)
		goto out;
	LIST_INSERT_HEAD(&la->requests, r, entry);
	r = NULL;
	rc = 0;
out:
	if (r != NULL)
		request_free(r);
	free(url); /* libcurl keeps its own copy */
	return rc;
}

/* --- what went wrong, in words ------------------------------------------- */

/* The start of a body, safe to log: printable ASCII only. */
static void
excerpt(const char *body, size_t len, char out[EXCERPT + 4])
{
	size_t i, n = len < EXCERPT ? len : EXCERPT;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)body[i];

		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		out[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	while (i > 0 && out[i - 1] == ' ')
		i--;
	if (i == 0)
		strcpy(out, "(no body)");
	else
		strcpy(out + i, len > n ? "..." : "");
}

static void
describe_curl(const struct request *r, CURLcode code, char *msg, size_t len)
{
	const struct localapi *la = r->la;
	const char *why = curl_easy_strerror(code);
	long oserr = 0;

	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(msg, len, "tailscaled at %s timed out after %ld ms",
		    la->socket, la->timeout_ms);
		return;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &oserr);
		snprintf(msg, len, "cannot reach tailscaled at %s: %s%s%s%s",
		    la->socket, why, oserr ? " (" : "",
		    oserr ? strerror((int)oserr) : "", oserr ? ")" : "");
		return;
	default:
		break;
	}
	if (r->sink_refused)
		snprintf(msg, len,
		    "the stream from tailscaled at %s was "
		    "abandoned: its data was refused",
		    la->socket);
	else if (r->too_big || code == CURLE_FILESIZE_EXCEEDED)
		snprintf(msg, len,
		    "answer larger than %zu bytes from tailscaled at %s "
		    "(max_answer_bytes)",
		    la->max_bytes, la->socket);
	else if (r->no_memory)
		snprintf(msg, len, "out of memory reading tailscaled's answer");
	else
		snprintf(msg, len, "request to tailscaled at %s failed: %s%s%s",
		    la->socket, why, r->errbuf[0] ? ": " : "", r->errbuf);
}

static const char *
describe(
    const struct request *r, CURLcode code, long status, char *msg, size_t len)
{
	char body[EXCERPT + 4];

	if (code == CURLE_OK && status == 200)
		return NULL;
	if (code != CURLE_OK) {
		describe_curl(r, code, msg, len);
		return msg;
	}
	excerpt(r->body != NULL ? r->body : "", r->len, body);
	snprintf(msg, len, "tailscaled answered HTTP %ld: %s", status, body);
	return msg;
}

/* --- completion ---------------------------------------------------------- */

/* A transfer ended (curlev took it out): report it, then free it. */
static void
on_done(CURL *easy, CURLcode code, const char *why, void *arg)
{
	struct request *r;
	struct localapi_reply reply = {0};
	char msg[512], *priv;

	(void)arg;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
	r = (struct request *)priv;
	if (why != NULL)
		snprintf(r->errbuf, sizeof r->errbuf, "%s", why);
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &reply.http_status);
	reply.curl_code = (int)code;
	reply.body = r->body != NULL ? r->body : "";
	reply.len = r->len;
	reply.version = r->version;
	reply.error = describe(r, code, reply.http_status, msg, sizeof msg);
	LIST_REMOVE(r, entry);
	r->done(&reply, r->arg); /* may free la: r is ours alone now */
	request_free(r);
}

/* Each call into libcurl is a new turn: sinks get their share again. */
static void
on_turn(void *arg)
{
	struct localapi *la = arg;

	la->turn_bytes = 0;
}

/* A new turn: the paused stream may have its next share. */
static void
on_resume(evutil_socket_t fd, short events, void *arg)
{
	struct request *r = arg;

	(void)fd;
	(void)events;
	curlev_unpause(r->la->cl, r->easy); /* may end r */
}

/* --- life and death ------------------------------------------------------ */

static struct curl_slist *
make_headers(void)
{
	static const char *const lines[] = {
	    "Host: " LOCALAPI_HOST,
	    /* tailscaled's anti-CSRF check: browsers cannot send it */
	    "Sec-Tailscale: localapi",
	};
	struct curl_slist *list = NULL, *next;
	size_t i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		next = curl_slist_append(list, lines[i]);
		if (next == NULL) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = next;
	}
	return list;
}

struct localapi *
localapi_new(struct event_base *base, const char *socket, long timeout_ms,
    long connect_ms, size_t max_bytes)
{
	struct localapi *la = calloc(1, sizeof *la);

	if (la == NULL)
		return NULL;
	la->base = base;
	la->timeout_ms = timeout_ms;
	la->connect_ms = connect_ms;
	la->max_bytes = max_bytes;
	LIST_INIT(&la->requests);
	la->socket = strdup(socket);
	la->headers = make_headers();
	la->cl = curlev_new(base, on_done, on_turn, la);
	if (la->socket == NULL || la->headers == NULL || la->cl == NULL) {
		localapi_free(la);
		return NULL;
	}
	return la;
}

/*
 * Safe inside a done callback: curlev finishes its own part on its way
 * out, and the request being reported is no longer on our list.
 */
void
localapi_free(struct localapi *la)
{
	struct request *r;

	if (la == NULL)
		return;
	while ((r = LIST_FIRST(&la->requests)) != NULL) {
		LIST_REMOVE(r, entry);
		curlev_cancel(la->cl, r->easy);
		request_free(r);
	}
	curlev_free(la->cl);
	curl_slist_free_all(la->headers);
	free(la->socket);
	free(la);
}
