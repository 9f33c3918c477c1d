/*
 * control.h - the operator's requests (tsnssctl): status and refresh.
 */
#ifndef TSNSS_CONTROL_H
#define TSNSS_CONTROL_H

#include <sys/types.h>

struct evbuffer;
struct tsnss_header;
struct tsnssd;

int control_is_control(const struct tsnss_header *h);
/* Append the reply; peer_uid is the caller's, from SO_PEERCRED. */
void control_answer(struct tsnssd *d, const struct tsnss_header *h,
    uid_t peer_uid, struct evbuffer *out);

#endif
