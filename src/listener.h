/*
 * listener.h - the unix socket clients connect to, and each connection's
 * short life: read one request, write one reply, close.
 */
#ifndef TSNSS_LISTENER_H
#define TSNSS_LISTENER_H

#include <stddef.h>
#include <sys/types.h>

struct evbuffer;
struct tsnss_header;
struct tsnssd;
struct listener;

/* Replies queued for all clients together never pass this. */
#define LISTENER_MAX_QUEUED (32u << 20)

/*
 * Answers an operator's request (tsnssctl) with its key into out and
 * returns 1, or returns 0 if h is none.  The caller names it (main.c:
 * control_handle), so the listener does not depend on control.c, which
 * reports on the listener.
 */
typedef int (*listener_control_fn)(struct tsnssd *d,
    const struct tsnss_header *h, const unsigned char *key, uid_t peer_uid,
    struct evbuffer *out);

struct listener *listener_new(
    struct tsnssd *d, listener_control_fn control, char *err, size_t errlen);
/* For tsnssctl status: queued output, its peak and cap (l may be NULL). */
void listener_describe(const struct listener *l, struct evbuffer *b);
void listener_free(struct listener *l);

#endif
