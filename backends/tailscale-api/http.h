/*
 * http.h - HTTPS requests to the control-plane API with libcurl's multi
 * interface on the daemon's libevent loop (common/httpreq.h).  Nothing
 * here blocks: a request is only queued, and its callback runs later
 * from the loop, exactly once, unless httpreq_client_free() cancels it
 * first.
 */
#ifndef TSNSS_API_HTTP_H
#define TSNSS_API_HTTP_H

#include <stddef.h>

#include "httpreq.h"

#pragma GCC visibility push(hidden)

struct event_base;

/*
 * done gets a struct httpreq_reply: error is NULL for a 2xx answer, else
 * a sentence naming the URL (what), never a secret.
 */

struct http_request {
	const char *url;
	const char *bearer; /* sent as Authorization: Bearer; or NULL */
	/* POSTed as x-www-form-urlencoded, or NULL; its answer is wiped too */
	const char *form;
	const char *what;   /* the URL as errors name it, without a query */
	const char *header; /* an answer's header to report, or NULL */
	/* a 200 answer's body goes here as it arrives, not kept; or NULL */
	httpreq_sink_fn *sink;
};

/*
 * timeout_ms bounds a whole request, connect_ms its connection,
 * max_bytes its body.  Returns NULL if out of memory.  Does no I/O.
 * httpreq_client_free() cancels whatever is under way and frees it,
 * safe inside a done callback.
 */
struct httpreq_client *http_new(struct event_base *base, long timeout_ms,
    long connect_ms, size_t max_bytes);

/*
 * Start a request; the bearer token and form are copied and wiped when
 * the request ends.  Returns 0, or -1 (then done is never called).
 */
int http_start(struct httpreq_client *client, const struct http_request *req,
    httpreq_done_fn *done, void *arg);

#pragma GCC visibility pop

#endif
