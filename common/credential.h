/*
 * credential.h - a secret setting written "credential:NAME" names a
 * systemd credential (LoadCredential=NAME:FILE in the unit), which
 * systemd hands the service as $CREDENTIALS_DIRECTORY/NAME: a copy only
 * the service's (dynamic) user can read, which a root-owned file under
 * /etc is not.  Shared by the daemon (uid_key_file) and the tailscale-api
 * plugin (api_key_file, oauth_secret_file).  Libc only.
 */
#ifndef TSNSS_CREDENTIAL_H
#define TSNSS_CREDENTIAL_H

#include <stddef.h>

#pragma GCC visibility push(hidden)

#define TSNSS_CREDENTIAL_PREFIX "credential:"

/* Whether value is written "credential:..." (valid or not). */
int tsnss_is_credential(const char *value);

/*
 * Whether NAME after the prefix is one systemd accepts as a credential
 * name: not empty, at most 255 bytes, no '/', not "." or "..".
 */
int tsnss_credential_name_ok(const char *value);

/*
 * The file to read for a setting's value: value itself, or for
 * "credential:NAME" $CREDENTIALS_DIRECTORY/NAME, in a fresh string at
 * *path (free() it).  key names the setting in errors.  On error returns
 * -1 with err saying what to do (run under systemd with LoadCredential=).
 */
int tsnss_credential_path(
    const char *key, const char *value, char **path, char *err, size_t errlen);

#pragma GCC visibility pop

#endif
