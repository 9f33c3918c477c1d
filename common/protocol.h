/*
 * protocol.h - the wire protocol between libnss_tailscale.so.2 and tsnssd.
 *
 * Shared by the stub (which links libc only) and the daemon, so it holds
 * nothing but constants and fixed-size headers.  Integers travel in host
 * byte order: both ends always run on the same host.
 *
 * One request per connection.  A request is a header followed by `len`
 * bytes of key; a reply is a header followed by `len` bytes of payload.
 * common/wire.c encodes and decodes the payloads for both ends.
 *
 *   key of *_BYNAME, INITGROUPS   the name, without a terminating NUL
 *   key of *_BYID, *_BYINDEX      one uint32_t
 *
 *   passwd payload  u32 uid, u32 gid, then five strings:
 *                   name, passwd, gecos, dir, shell
 *   group payload   u32 gid, u32 nmembers, then strings:
 *                   name, passwd, member[0] ... member[nmembers-1]
 *   gids payload    u32 count, then count u32 gids
 *
 * A string is a u32 length followed by that many bytes, no NUL; it never
 * contains a NUL byte.  Each side checks every length against the limits
 * below and against the bytes actually received.
 */
#ifndef TSNSS_PROTOCOL_H
#define TSNSS_PROTOCOL_H

#include <stdint.h>

#define TSNSS_MAGIC 0x54534e53u /* "TSNS" */
#define TSNSS_VERSION 1u

enum tsnss_action {
	TSNSS_PW_BYNAME = 1,
	TSNSS_PW_BYUID = 2,
	TSNSS_PW_BYINDEX = 3, /* getpwent: the index-th entry */
	TSNSS_GR_BYNAME = 4,
	TSNSS_GR_BYGID = 5,
	TSNSS_GR_BYINDEX = 6, /* getgrent: the index-th entry */
	TSNSS_INITGROUPS = 7, /* supplementary gids of a user */
	/*
	 * A name missed in the mapped snapshot: its owner may have just
	 * joined.  No reply; tsnssd may refresh early, rate-limited.
	 */
	TSNSS_HINT = 8,
	/* tsnssctl; no key.  The reply payload is text. */
	TSNSS_CTL_STATUS = 100,	 /* what tsnssd is doing; anyone may ask */
	TSNSS_CTL_REFRESH = 101, /* refresh now; root or tsnssd's own user */
	TSNSS_CTL_FORGET = 102,	 /* key: a login; release its claims; root */
};

enum tsnss_status {
	TSNSS_OK = 0,
	TSNSS_NOTFOUND = 1, /* a clean miss, or the end of an enumeration */
	TSNSS_UNAVAIL = 2,  /* no snapshot to answer from */
	TSNSS_BADREQ = 3,   /* the request was malformed */
	TSNSS_DENIED = 4,   /* not for this caller */
};

struct tsnss_header {
	uint32_t magic;
	uint32_t version;
	uint32_t
	    code; /* enum tsnss_action in a request, tsnss_status in a reply */
	uint32_t len; /* bytes that follow */
};

#define TSNSS_MAX_KEY 256u	   /* longest request key */
/*
 * The socket is the fallback when there is no usable map, so a group of
 * every user of a 100k-user tailnet (some 2 MB) must still fit.
 */
#define TSNSS_MAX_REPLY (64u << 20) /* longest reply payload */
#define TSNSS_MAX_STRING 4096u	    /* longest single string in a reply */
#define TSNSS_MAX_MEMBERS (1u << 22) /* most members of one group */

#endif
