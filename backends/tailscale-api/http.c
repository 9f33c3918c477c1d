/*
 * http.c - the API's HTTPS client on common/httpreq.c (libcurl multi on
 * the daemon's loop, as for tailscale's LocalAPI client), with what a
 * request across the internet needs: TLS, a bearer token, a POSTed
 * form, secrets wiped once the request is over, and errors that name
 * the URL but never a secret.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stdio.h>

#include "http.h"

#define EXCERPT 160
/*
 * A streamed answer's bytes handed to its sink in one turn of the loop,
 * at most, as for the LocalAPI: 100k users are tens of MB to parse.
 */
#define TURN_BYTES (256u * 1024)

int
http_start(struct httpreq_client *client, const struct http_request *req,
    httpreq_done_fn *done, void *arg)
{
	struct httpreq_spec spec = {
	    .url = req->url,
	    .what = req->what,
	    .header = req->header,
	    .post = req->form,
	    .secret = req->form != NULL, /* the answer is a token */
	    .https = 1,
	    .sink = req->sink,
	    .bounded = 1,
	};
	struct httpreq *r = httpreq_new(client, &spec, done, arg);

	if (r == NULL)
		return -1;
	httpreq_header(r, "Accept: ", "application/json");
	if (req->bearer != NULL)
		httpreq_header(r, "Authorization: Bearer ", req->bearer);
	/* the user list is tens of MB: a turn's share a read, not 16 KiB */
	if (req->sink != NULL)
		HTTPREQ_SET(r, CURLOPT_BUFFERSIZE, (long)TURN_BYTES);
	return httpreq_start(r);
}

static const char *
describe(const struct httpreq_reply *reply, void *arg, char *msg, size_t len)
{
	char body[EXCERPT + 4];

	(void)arg;
	if (reply->code == CURLE_OK && reply->status >= 200 &&
	    reply->status < 300)
		return NULL;
	if (reply->code == CURLE_OPERATION_TIMEDOUT)
		snprintf(msg, len, "%s timed out after %ld ms", reply->what,
		    reply->limits->timeout_ms);
	else if (reply->too_big)
		snprintf(msg, len,
		    "answer from %s larger than %zu bytes (max_answer_bytes)",
		    reply->what, reply->limits->max_bytes);
	else if (reply->no_memory)
		snprintf(msg, len, "out of memory reading %s", reply->what);
	else if (reply->code != CURLE_OK)
		snprintf(msg, len, "request to %s failed: %s%s%s", reply->what,
		    curl_easy_strerror(reply->code),
		    reply->curl_error[0] ? ": " : "", reply->curl_error);
	else {
		httpreq_excerpt(reply, EXCERPT, body, sizeof body);
		snprintf(msg, len, "%s answered HTTP %ld: %s", reply->what,
		    reply->status, body);
	}
	return msg;
}

struct httpreq_client *
http_new(
    struct event_base *base, long timeout_ms, long connect_ms, size_t max_bytes)
{
	struct httpreq_limits lim = {
	    .timeout_ms = timeout_ms,
	    .connect_ms = connect_ms,
	    .max_bytes = max_bytes,
	    .turn_bytes = TURN_BYTES,
	};

	return httpreq_client_new(base, &lim, describe, NULL);
}
