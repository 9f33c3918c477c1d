/*
 * uidkey.h - keyed UIDs: HMAC-SHA-256 of the lower-cased login under a
 * secret key (uid_key_file), so nobody can choose a login that lands on
 * someone else's UID.  The same key on every host gives the same UIDs.
 */
#ifndef TSNSS_UIDKEY_H
#define TSNSS_UIDKEY_H

#include <stddef.h>
#include <stdint.h>

#define UIDKEY_MIN_BYTES 16
#define UIDKEY_MAX_BYTES 4096

/*
 * Read the key at path (or, written "credential:NAME", the systemd
 * credential: common/credential.h) into *key (malloc'd, *len bytes; trailing
 * white space dropped).  The file must be a regular file owned by root or by
 * the user running tsnssd, not writable by its group and not readable,
 * writable or searchable by others.  -1 with err set otherwise.
 */
int uidkey_load(const char *value, unsigned char **key, size_t *len, char *err,
    size_t errlen);
/* The first 32 bits (big-endian) of HMAC-SHA-256(key, s). */
uint32_t uidkey_hash(const unsigned char *key, size_t keylen, const char *s);

#endif
