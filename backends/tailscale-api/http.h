/*
 * http.h - HTTPS requests to the control-plane API with libcurl's multi
 * interface on the daemon's libevent loop.  Nothing here blocks: a
 * request is only queued, and its callback runs later from the loop,
 * exactly once, unless http_free() cancels it first.
 */
#ifndef TSNSS_API_HTTP_H
#define TSNSS_API_HTTP_H

#include <stddef.h>

#pragma GCC visibility push(hidden)

struct event_base;
struct http;

struct http_reply {
	int curl_code;	  /* CURLcode, 0 when a whole answer came back */
	long status;	  /* HTTP status, 0 if there was no answer */
	const char *body; /* NUL-terminated, never NULL */
	size_t len;
	/* NULL for a 2xx answer; else a sentence naming the URL, no secret */
	const char *error;
};

typedef void http_done_fn(const struct http_reply *reply, void *arg);

struct http_request {
	const char *url;
	const char *bearer; /* sent as Authorization: Bearer; or NULL */
	/* POSTed as x-www-form-urlencoded, or NULL; its answer is wiped too */
	const char *form;
	const char *what; /* the URL as errors name it, without a query */
};

/*
 * timeout_ms bounds a whole request, connect_ms its connection,
 * max_bytes its body.  Returns NULL if out of memory.  Does no I/O.
 */
struct http *http_new(struct event_base *base, long timeout_ms, long connect_ms,
    size_t max_bytes);

/*
 * Start a request; the bearer token and form are copied and wiped when
 * the request ends.  Returns 0, or -1 (then done is never called).
 */
int http_start(struct http *h, const struct http_request *req,
    http_done_fn *done, void *arg);

/* Cancel whatever is under way and free; safe inside a done callback. */
void http_free(struct http *h);

#pragma GCC visibility pop

#endif
