/*
 * listener.h - the unix socket clients connect to, and each connection's
 * short life: read one request, write one reply, close.
 */
#ifndef TSNSS_LISTENER_H
#define TSNSS_LISTENER_H

#include <stddef.h>

struct tsnssd;
struct listener;

struct listener *listener_new(struct tsnssd *d, char *err, size_t errlen);
void listener_free(struct listener *l);

#endif
