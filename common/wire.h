/*
 * wire.h - the field encoding of common/protocol.h, written once for both
 * ends: tsnssd encodes replies with it, the stub and tsnssctl decode them.
 *
 * Libc only.  Encoders write into a buffer the caller sized with the
 * matching _size function; decoders check every length against the
 * protocol's limits and the bytes there are, and fill nothing on error.
 */
#ifndef TSNSS_WIRE_H
#define TSNSS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "protocol.h"
#include "snapfile.h"

/* Bytes still to read. */
struct tsnss_cursor {
	const unsigned char *p;
	size_t left;
};

void tsnss_header_init(struct tsnss_header *h, uint32_t code, size_t len);

/* 0, or -1 when the bytes there are too few or break a limit. */
int tsnss_get_u32(struct tsnss_cursor *c, uint32_t *v);
int tsnss_get_str(struct tsnss_cursor *c, struct tsnss_str *s);

/*
 * passwd payload: u32 uid, u32 gid, then name, passwd, gecos, dir,
 * shell.  The passwd field is always "*": tsnssd holds no passwords.
 */
size_t tsnss_wire_pw_size(const struct tsnss_pw *pw);
void tsnss_wire_put_pw(unsigned char *p, const struct tsnss_pw *pw);
/* The whole payload, nothing after it; the name is not empty. */
int tsnss_wire_get_pw(const unsigned char *p, size_t len, struct tsnss_pw *pw);

/*
 * group payload: u32 gid, u32 nmembers, name, passwd ("*"), then the
 * members.  The group's fixed part is encoded first; each member after it.
 */
size_t tsnss_wire_gr_size(const struct tsnss_gr *gr, size_t members_bytes);
unsigned char *tsnss_wire_put_gr(unsigned char *p, const struct tsnss_gr *gr);
unsigned char *tsnss_wire_put_str(unsigned char *p, const struct tsnss_str *s);
unsigned char *tsnss_wire_put_u32(unsigned char *p, uint32_t v);
/*
 * Checks the whole payload; on success *members is at the first member,
 * and reading gr->n_members strings from it with tsnss_get_str succeeds.
 */
int tsnss_wire_get_gr(const unsigned char *p, size_t len, struct tsnss_gr *gr,
    struct tsnss_cursor *members);

/* gids payload: u32 count, then count u32 gids, read in place. */
int tsnss_wire_get_gids(const unsigned char *p, size_t len, uint32_t *count);
uint32_t tsnss_wire_gid_at(const unsigned char *p, uint32_t i);

#endif
