/*
 * listener.h - the unix socket clients connect to, and each connection's
 * short life: read one request, write one reply, close.
 */
#ifndef TSNSS_LISTENER_H
#define TSNSS_LISTENER_H

#include <stddef.h>

struct evbuffer;
struct tsnssd;
struct listener;

/* Replies queued for all clients together never pass this. */
#define LISTENER_MAX_QUEUED (32u << 20)

struct listener *listener_new(struct tsnssd *d, char *err, size_t errlen);
/* For tsnssctl status: queued output, its peak and cap (l may be NULL). */
void listener_describe(const struct listener *l, struct evbuffer *b);
void listener_free(struct listener *l);

#endif
