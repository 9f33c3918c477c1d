/*
 * curlev.h - libcurl's multi interface driven by a libevent loop, for the
 * backends (tailscale's LocalAPI client, tailscale-api's HTTPS client).
 *
 * The owner sets up easy handles and hands them to curlev_add(); curlev
 * watches the sockets and the timer libcurl asks for, and when a
 * transfer ends calls done(easy, code, why, arg) from the loop, outside
 * any libcurl callback, after taking the handle out of the multi handle:
 * the owner then cleans the handle up.  done may add transfers or call
 * curlev_free(); freeing waits until curlev is out of its own call, and
 * no done follows it.  Nothing here blocks.
 */
#ifndef TSNSS_CURLEV_H
#define TSNSS_CURLEV_H

#include <curl/curl.h>

#pragma GCC visibility push(hidden)

struct event_base;
struct curlev;

/*
 * A transfer ended with code; why is NULL, or what libcurl's multi
 * handle said when it failed as a whole (every transfer then ends).
 */
typedef void curlev_done_fn(
    CURL *easy, CURLcode code, const char *why, void *arg);

/*
 * turn, if not NULL, is called before each call into libcurl: a new turn
 * of the loop for whatever the owner counts per turn.  Returns NULL when
 * out of memory or when libcurl cannot start.
 */
struct curlev *curlev_new(struct event_base *base, curlev_done_fn *done,
    void (*turn)(void *arg), void *arg);

/* Start a transfer.  Returns 0, or -1 (then done is never called). */
int curlev_add(struct curlev *cl, CURL *easy);

/* Take a transfer out without calling done; the handle is the owner's. */
void curlev_cancel(struct curlev *cl, CURL *easy);

/* Go on with a paused transfer (it may end: done is called). */
void curlev_unpause(struct curlev *cl, CURL *easy);

/*
 * Cancel every transfer (no done) and free.  Safe from inside done.
 * The easy handles stay the owner's: cancel and clean them up first.
 */
void curlev_free(struct curlev *cl);

#pragma GCC visibility pop

#endif
