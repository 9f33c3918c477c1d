/*
 * http.c - the API's HTTPS client: libcurl multi on the daemon's loop
 * (common/curlev.c drives it, as for tailscale's LocalAPI client), with
 * what a request across the internet needs: TLS, a bearer token, a
 * POSTed form, and secrets wiped once the request is over.
 *
 * Done callbacks run from the loop, outside libcurl, so one may start
 * the next request or free everything.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <curl/curl.h>

#include "curlev.h"
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

struct http {
	struct curlev *cl;
	long timeout_ms, connect_ms;
	size_t max_bytes;
	LIST_HEAD(, request) requests;
};

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
	/* certificates are checked (libcurl's default); old TLS is not spoken
	 */
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
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

	if ((r = calloc(1, sizeof *r)) == NULL)
		return -1;
	r->h = h;
	r->done = done;
	r->arg = arg;
	r->sensitive = req->form != NULL;
	if ((req->form != NULL && (r->form = strdup(req->form)) == NULL) ||
	    (r->what = strdup(req->what)) == NULL || make_headers(r, req) < 0 ||
	    (r->easy = curl_easy_init()) == NULL ||
	    setup(r, req->url) != CURLE_OK || curlev_add(h->cl, r->easy) < 0) {
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

/* A transfer ended (curlev took it out): report it, then free it. */
static void
on_done(CURL *easy, CURLcode code, const char *why, void *arg)
{
	struct http_reply reply = {0};
	struct request *r;
	char msg[512], *priv;

	(void)arg;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
	r = (struct request *)priv;
	if (why != NULL)
		snprintf(r->errbuf, sizeof r->errbuf, "%s", why);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &reply.status);
	reply.curl_code = (int)code;
	reply.body = r->body != NULL ? r->body : "";
	reply.len = r->len;
	reply.error = describe(r, code, reply.status, msg, sizeof msg);
	LIST_REMOVE(r, entry);
	r->done(&reply, r->arg); /* may free h: r is ours alone now */
	request_free(r);
}

/* --- life and death ------------------------------------------------------ */

struct http *
http_new(
    struct event_base *base, long timeout_ms, long connect_ms, size_t max_bytes)
{
	struct http *h = calloc(1, sizeof *h);

	if (h == NULL)
		return NULL;
	h->timeout_ms = timeout_ms;
	h->connect_ms = connect_ms;
	h->max_bytes = max_bytes;
	LIST_INIT(&h->requests);
	if ((h->cl = curlev_new(base, on_done, NULL, h)) == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

/* Safe inside a done callback: curlev finishes its part on its way out. */
void
http_free(struct http *h)
{
	struct request *r;

	if (h == NULL)
		return;
	while ((r = LIST_FIRST(&h->requests)) != NULL) {
		LIST_REMOVE(r, entry);
		curlev_cancel(h->cl, r->easy);
		request_free(r);
	}
	curlev_free(h->cl);
	free(h);
}
