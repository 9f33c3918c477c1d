/*
 * control.h - the operator's requests (tsnssctl): status, refresh, forget.
 */
#ifndef TSNSS_CONTROL_H
#define TSNSS_CONTROL_H

#include <sys/types.h>

struct evbuffer;
struct tsnss_header;
struct tsnssd;

int control_is_control(const struct tsnss_header *h);
/*
 * Append the reply to a request with its key (h->len bytes); peer_uid is
 * the caller's, from SO_PEERCRED.
 */
void control_answer(struct tsnssd *d, const struct tsnss_header *h,
    const unsigned char *key, uid_t peer_uid, struct evbuffer *out);

#endif
