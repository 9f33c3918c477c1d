/*
 * url.h - the API's base URL, checked, and the pieces put into it.
 */
#ifndef TSNSS_API_URL_H
#define TSNSS_API_URL_H

#include <stddef.h>

#pragma GCC visibility push(hidden)

/*
 * Check a base URL: https://HOST[:PORT][/PATH], or plain http:// only to
 * a loopback address (127.0.0.0/8, [::1], localhost), with no user
 * name, password, query or fragment.  Returns a copy without trailing
 * slashes, or NULL with the reason in err.
 */
char *api_url_check(const char *url, char *err, size_t errlen);

/*
 * Percent-encode s for a path segment or a form value: everything but
 * RFC 3986's unreserved characters.  Returns a fresh string, or NULL.
 */
char *api_escape(const char *s);

#pragma GCC visibility pop

#endif
