/*
 * control.h - the operator's requests (tsnssctl): status, refresh, forget.
 */
#ifndef TSNSS_CONTROL_H
#define TSNSS_CONTROL_H

#include <sys/types.h>

struct evbuffer;
struct tsnss_header;
struct tsnssd;

/*
 * If h is an operator's request, append the reply to it and its key
 * (h->len bytes) and return 1; else return 0.  peer_uid is the caller's,
 * from SO_PEERCRED.  The listener's listener_control_fn.
 */
int control_handle(struct tsnssd *d, const struct tsnss_header *h,
    const unsigned char *key, uid_t peer_uid, struct evbuffer *out);

#endif
