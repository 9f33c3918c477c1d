/*
 * request.h - one client request, checked and answered from a snapshot.
 * Pure: no sockets here, so the parser can be fuzzed on its own.
 */
#ifndef TSNSS_REQUEST_H
#define TSNSS_REQUEST_H

#include <stddef.h>

#include "protocol.h"

struct evbuffer;
struct snapshot;

/* 0 if the header is one we answer; then *keylen is the key to wait for. */
int request_check_header(const struct tsnss_header *h, size_t *keylen);

/*
 * Append the reply to a request whose header passed the check and whose
 * key is complete.  s may be NULL (nothing in hand: UNAVAIL).  Without
 * enumerate, getpwent/getgrent see an empty list.  Returns the status sent.
 */
int request_answer(const struct snapshot *s, const struct tsnss_header *h,
    const unsigned char *key, int enumerate, struct evbuffer *out);

/* Is this a lookup of a well-formed user name (that could be new)? */
int request_is_name(const struct tsnss_header *h, const unsigned char *key);

/* A reply with no payload, e.g. BADREQ before closing. */
void request_reply_status(struct evbuffer *out, unsigned status);

#endif
