/*
 * nss-tailscale.h - the NSS stub's internals.  Nothing here is exported:
 * the stub's only public symbols are the _nss_tailscale_* entry points.
 */
#ifndef NSS_TAILSCALE_H
#define NSS_TAILSCALE_H

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

#pragma GCC visibility push(hidden)

/*
 * Everything one lookup may take, connect to last byte.  The stub runs
 * inside sshd and login: a hung tsnssd must cost a login this, no more.
 */
#define TSNSS_TIMEOUT_MS 500

struct tsnss_reply {
	unsigned char *payload; /* malloc'd, len bytes; NULL if len is 0 */
	size_t len;
};

/*
 * Ask tsnssd.  SUCCESS hands over the payload (free it); any other
 * status has set *errnop and left nothing to free.
 */
enum nss_status tsnss_ask(uint32_t action, const void *key, size_t keylen,
    struct tsnss_reply *reply, int *errnop);

/*
 * Turn a payload into the caller's struct, every string inside
 * (buf, buflen).  0, ERANGE (buffer too small) or EINVAL (malformed; the
 * struct is then untouched).  Pure, for the unit test and the fuzzer.
 */
int tsnss_unpack_passwd(const unsigned char *p, size_t len, struct passwd *pw,
    char *buf, size_t buflen);
int tsnss_unpack_group(const unsigned char *p, size_t len, struct group *gr,
    char *buf, size_t buflen);
/* A gids payload: 0 and *count, or EINVAL; gid i is tsnss_gid_at(p, i). */
int tsnss_unpack_gids(const unsigned char *p, size_t len, uint32_t *count);
uint32_t tsnss_gid_at(const unsigned char *p, uint32_t i);

/* Map an unpack result to the NSS status, setting *errnop. */
enum nss_status tsnss_unpack_status(int rc, int *errnop);

#pragma GCC visibility pop

#endif
