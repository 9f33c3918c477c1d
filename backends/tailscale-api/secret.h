/*
 * secret.h - reading a secret (an API key, an OAuth client secret) from
 * a file only its owner can read, and forgetting it again.
 */
#ifndef TSNSS_API_SECRET_H
#define TSNSS_API_SECRET_H

#include <stddef.h>

#pragma GCC visibility push(hidden)

#define SECRET_MAX 4096 /* a token is ~100 bytes; a file is no bigger */

/*
 * The file's one line (trailing white space dropped) into a fresh buffer
 * at *out, which secret_free() wipes.  value is the file's path or
 * "credential:NAME", the systemd credential (common/credential.h).  The file
 * must be a regular file owned by root or by our effective user, with no group
 * or other permission bits.  key names the setting in errors; on error returns
 * -1 and err names the file and the fix, never its content.
 */
int secret_read(
    const char *key, const char *value, char **out, char *err, size_t errlen);

/* Wipe and free (NULL is fine). */
void secret_free(char *s);

/* Wipe len bytes so a later core dump does not hold them. */
void secret_wipe(void *p, size_t len);

#pragma GCC visibility pop

#endif
