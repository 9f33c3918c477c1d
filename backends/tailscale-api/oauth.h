/*
 * oauth.h - the OAuth client-credentials grant: the form we POST to
 * {url}/api/v2/oauth/token and the token in its answer (RFC 6749 4.4).
 */
#ifndef TSNSS_API_OAUTH_H
#define TSNSS_API_OAUTH_H

#include <stddef.h>

#pragma GCC visibility push(hidden)

#define OAUTH_TOKEN_MAX 4096
#define OAUTH_DEFAULT_EXPIRY 3600 /* the documented lifetime */

/*
 * grant_type=client_credentials&client_id=..&client_secret=.., escaped:
 * the body form Tailscale's examples and x/oauth2 both produce.  Free
 * with secret_free().
 */
char *oauth_form(const char *client_id, const char *client_secret);

/*
 * The token answer: access_token (a printable string), expires_in
 * (seconds; absent: the documented hour), token_type (absent or Bearer).
 * Returns 0 with a fresh *token (free with secret_free) and *expires_in,
 * or -1 with a reason in err that never quotes the token.
 */
int oauth_parse(const char *body, size_t len, char **token, long *expires_in,
    char *err, size_t errlen);

#pragma GCC visibility pop

#endif
