/*
 * localapi.c - GET requests to tailscaled's LocalAPI over its unix
 * socket, on common/httpreq.c (libcurl's multi interface on the
 * daemon's libevent loop).  What is the LocalAPI's own is here: the
 * socket, the headers tailscaled checks, no proxy and no keep-alive,
 * and error sentences that name the socket.
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

#include "localapi.h"

/* tailscaled checks the Host header; the name is the one its CLI uses. */
#define LOCALAPI_HOST "local-tailscaled.sock"
#define EXCERPT 200 /* bytes of an error body quoted */
/*
 * A stream's bytes handed to its sink in one turn of the event loop, at
 * most: libcurl reads up to a hundred 16 KiB buffers per call, and a sink
 * that parses them (a 100k-user initial status) would hold the loop for
 * tens of milliseconds.  Past this the transfer pauses until the next
 * turn.
 */
#define TURN_BYTES (256u * 1024)

struct localapi {
	struct httpreq_client *client;
	char *socket;
};

static void
setup(const struct localapi *la, struct httpreq *r)
{
	httpreq_header(r, "Host: ", LOCALAPI_HOST);
	/* tailscaled's anti-CSRF check: browsers cannot send it */
	httpreq_header(r, "Sec-Tailscale: ", "localapi");
	HTTPREQ_SET(r, CURLOPT_UNIX_SOCKET_PATH, la->socket);
	HTTPREQ_SET(r, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	/* http_proxy in our environment must not send this elsewhere. */
	HTTPREQ_SET(r, CURLOPT_NOPROXY, "*");
	/*
	 * One request per TTL gains nothing from keep-alive, and a closed
	 * connection leaves no idle socket behind for tailscaled to drop
	 * under us.
	 */
	HTTPREQ_SET(r, CURLOPT_FORBID_REUSE, 1L);
}

static int
start(struct localapi *la, const char *path, httpreq_sink_fn *sink, int bounded,
    httpreq_done_fn *done, void *arg)
{
	size_t urllen = sizeof "http://" LOCALAPI_HOST + strlen(path);
	/* Tailscale-Version: for choosing the bus mask */
	struct httpreq_spec spec = {
	    .header = "Tailscale-Version", .sink = sink, .bounded = bounded};
	struct httpreq *r;
	char *url;

	if (path[0] != '/' || (url = malloc(urllen)) == NULL)
		return -1;
	snprintf(url, urllen, "http://" LOCALAPI_HOST "%s", path);
	spec.url = url;
	r = httpreq_new(la->client, &spec, done, arg);
	free(url); /* copied */
	if (r == NULL)
		return -1;
	setup(la, r);
	/*
	 * A status or the bus's first message is 100+ MB: read it a turn's
	 * share at a time, not in libcurl's 16 KiB, for a tenth of the recv
	 * calls (and of tailscaled's wake-ups as the socket drains).
	 */
	if (sink != NULL)
		HTTPREQ_SET(r, CURLOPT_BUFFERSIZE, (long)TURN_BYTES);
	return httpreq_start(r);
}

int
localapi_get(
    struct localapi *la, const char *path, httpreq_done_fn *done, void *arg)
{
	return start(la, path, NULL, 0, done, arg);
}

int
localapi_get_sunk(struct localapi *la, const char *path, httpreq_sink_fn *sink,
    httpreq_done_fn *done, void *arg)
{
	return start(la, path, sink, 1, done, arg);
}

int
localapi_stream(struct localapi *la, const char *path, httpreq_sink_fn *sink,
    httpreq_done_fn *done, void *arg)
{
	return start(la, path, sink, 0, done, arg);
}

/* --- what went wrong, in words ------------------------------------------- */

static void
describe_curl(const struct localapi *la, const struct httpreq_reply *reply,
    char *msg, size_t len)
{
	const char *why = curl_easy_strerror(reply->code);
	long oserr = 0;

	switch (reply->code) {
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(msg, len, "tailscaled at %s timed out after %ld ms",
		    la->socket, reply->limits->timeout_ms);
		return;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(reply->easy, CURLINFO_OS_ERRNO, &oserr);
		snprintf(msg, len, "cannot reach tailscaled at %s: %s%s%s%s",
		    la->socket, why, oserr ? " (" : "",
		    oserr ? strerror((int)oserr) : "", oserr ? ")" : "");
		return;
	default:
		break;
	}
	if (reply->sink_refused)
		snprintf(msg, len,
		    "the stream from tailscaled at %s was "
		    "abandoned: its data was refused",
		    la->socket);
	else if (reply->too_big)
		snprintf(msg, len,
		    "answer larger than %zu bytes from tailscaled at %s "
		    "(max_answer_bytes)",
		    reply->limits->max_bytes, la->socket);
	else if (reply->no_memory)
		snprintf(msg, len, "out of memory reading tailscaled's answer");
	else
		snprintf(msg, len, "request to tailscaled at %s failed: %s%s%s",
		    la->socket, why, reply->curl_error[0] ? ": " : "",
		    reply->curl_error);
}

static const char *
describe(const struct httpreq_reply *reply, void *arg, char *msg, size_t len)
{
	const struct localapi *la = arg;
	char body[EXCERPT + 4];

	if (reply->code == CURLE_OK && reply->status == 200)
		return NULL;
	if (reply->code != CURLE_OK) {
		describe_curl(la, reply, msg, len);
		return msg;
	}
	httpreq_excerpt(reply, EXCERPT, body, sizeof body);
	snprintf(
	    msg, len, "tailscaled answered HTTP %ld: %s", reply->status, body);
	return msg;
}

/* --- life and death ------------------------------------------------------ */

struct localapi *
localapi_new(struct event_base *base, const char *socket, long timeout_ms,
    long connect_ms, size_t max_bytes)
{
	struct httpreq_limits lim = {
	    .timeout_ms = timeout_ms,
	    .connect_ms = connect_ms,
	    .max_bytes = max_bytes,
	    .turn_bytes = TURN_BYTES,
	};
	struct localapi *la = calloc(1, sizeof *la);

	if (la == NULL)
		return NULL;
	la->socket = strdup(socket);
	la->client = httpreq_client_new(base, &lim, describe, la);
	if (la->socket == NULL || la->client == NULL) {
		localapi_free(la);
		return NULL;
	}
	return la;
}

/* Safe inside a done callback, as httpreq_client_free() is. */
void
localapi_free(struct localapi *la)
{
	if (la == NULL)
		return;
	httpreq_client_free(la->client);
	free(la->socket);
	free(la);
}
