/*
 * url.c - the base URL and escaping.  libcurl's URL parser reads the
 * URL, so the host checked here is the host libcurl will connect to.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "url.h"

/* Plain http is only for a stand-in on this host: nothing can sniff it. */
static int
is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (host[0] == '[' && strlen(host) < 64) {
		char buf[64];

		snprintf(buf, sizeof buf, "%s", host + 1);
		if (strlen(buf) > 0 && buf[strlen(buf) - 1] == ']')
			buf[strlen(buf) - 1] = '\0';
		return inet_pton(AF_INET6, buf, &a6) == 1 &&
		       IN6_IS_ADDR_LOOPBACK(&a6);
	}
	return 0;
}

static int
has_part(CURLU *u, CURLUPart part)
{
	char *s = NULL;
	int has = curl_url_get(u, part, &s, 0) == CURLUE_OK && s != NULL;

	curl_free(s);
	return has;
}

static int
check_parts(CURLU *u, const char *url, char *err, size_t errlen)
{
	char *scheme = NULL, *host = NULL;
	int rc = -1;

	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		snprintf(err, errlen, "url '%s' has no scheme or host", url);
	else if (has_part(u, CURLUPART_USER) || has_part(u, CURLUPART_PASSWORD))
		snprintf(err, errlen,
		    "url must not hold a user name or password: use "
		    "api_key_file or the oauth keys");
	else if (has_part(u, CURLUPART_QUERY) ||
		 has_part(u, CURLUPART_FRAGMENT))
		snprintf(err, errlen,
		    "url '%s' must not have a query or "
		    "fragment",
		    url);
	else if (strcmp(scheme, "https") == 0)
		rc = 0;
	else if (strcmp(scheme, "http") != 0)
		snprintf(err, errlen, "url '%s' must start with https://", url);
	else if (!is_loopback(host))
		snprintf(err, errlen,
		    "url '%s': plain http is only allowed to a loopback "
		    "address (127.0.0.0/8, [::1], localhost); use https://",
		    url);
	else
		rc = 0;
	curl_free(scheme);
	curl_free(host);
	return rc;
}

char *
api_url_check(const char *url, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *copy = NULL;
	size_t n;

	if (u == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		snprintf(err, errlen, "url '%s' must start with https://", url);
	else if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		snprintf(err, errlen, "url '%s' is not a valid URL", url);
	else if (check_parts(u, url, err, errlen) == 0 &&
		 (copy = strdup(url)) == NULL)
		snprintf(err, errlen, "out of memory");
	curl_url_cleanup(u);
	if (copy != NULL)
		for (n = strlen(copy); n > 0 && copy[n - 1] == '/'; n--)
			copy[n - 1] = '\0';
	return copy;
}

char *
api_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0, n = strlen(s);
	char *out = malloc(3 * n + 1);

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}
