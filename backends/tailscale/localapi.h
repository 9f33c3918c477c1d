/*
 * localapi.h - GET requests to tailscaled's LocalAPI over its unix socket,
 * with libcurl's multi interface driven by the caller's libevent loop
 * (common/httpreq.h).
 *
 * Nothing here blocks: localapi_get() only queues the transfer, and the
 * callback runs later from the event loop, exactly once per request that
 * localapi_get() accepted, unless localapi_free() cancels it first.
 */
#ifndef TSNSS_TS_LOCALAPI_H
#define TSNSS_TS_LOCALAPI_H

#include <stddef.h>

#include "httpreq.h"

/* Internal to the plugin: only tsnss_plugin leaves the module. */
#pragma GCC visibility push(hidden)

struct event_base;
struct localapi;

/*
 * done gets a struct httpreq_reply: error is NULL if the transfer ended
 * well with HTTP 200, else a sentence for the admin, which names the
 * socket or quotes the start of the body; header is the answer's
 * Tailscale-Version, or "".
 */

/*
 * socket: tailscaled's unix socket; timeout_ms bounds a whole request (0:
 * no bound, for streams); connect_ms bounds the connection; max_bytes
 * bounds a body that is kept (not a streamed one).  Returns NULL when out
 * of memory or when libcurl cannot start.  Does no I/O.
 */
struct localapi *localapi_new(struct event_base *base, const char *socket,
    long timeout_ms, long connect_ms, size_t max_bytes);

/*
 * Start GET path (e.g. "/localapi/v0/status").  Returns 0, or -1 when the
 * request could not even be set up (then done is never called).
 */
int localapi_get(
    struct localapi *la, const char *path, httpreq_done_fn *done, void *arg);

/*
 * As localapi_get(), but a 200 body goes to sink as it arrives, bounded
 * by max_bytes as a kept one is, and is not kept: for a large answer
 * that is parsed as it comes.
 */
int localapi_get_sunk(struct localapi *la, const char *path,
    httpreq_sink_fn *sink, httpreq_done_fn *done, void *arg);

/*
 * Start a GET whose 200 body goes to sink as it arrives, at most 256 KiB
 * a turn of the loop (any other answer's body is kept, for the error);
 * done is called at its end.
 */
int localapi_stream(struct localapi *la, const char *path,
    httpreq_sink_fn *sink, httpreq_done_fn *done, void *arg);

/*
 * Cancel every request under way (their callbacks are not called) and
 * free.  Safe to call from inside a done callback.
 */
void localapi_free(struct localapi *la);

#pragma GCC visibility pop

#endif
