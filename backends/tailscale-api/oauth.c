/*
 * oauth.c - the client-credentials form and the token answer.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "oauth.h"
#include "secret.h"
#include "url.h"

#define FORM_HEAD "grant_type=client_credentials&client_id="
#define FORM_MID "&client_secret="

char *
oauth_form(const char *client_id, const char *client_secret)
{
	char *id = api_escape(client_id), *sec = api_escape(client_secret);
	char *form = NULL;
	size_t len;

	if (id != NULL && sec != NULL) {
		len = sizeof FORM_HEAD + sizeof FORM_MID + strlen(id) +
		      strlen(sec);
		if ((form = malloc(len)) != NULL)
			snprintf(
			    form, len, FORM_HEAD "%s" FORM_MID "%s", id, sec);
	}
	free(id);
	secret_free(sec);
	return form;
}

static int
token_ok(struct json_object *t)
{
	const char *s;
	size_t i, n;

	if (t == NULL || !json_object_is_type(t, json_type_string))
		return 0;
	s = json_object_get_string(t);
	n = (size_t)json_object_get_string_len(t);
	if (n == 0 || n > OAUTH_TOKEN_MAX || strlen(s) != n)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* Absent: the documented hour.  Present: a positive integer, capped. */
static int
read_expiry(struct json_object *doc, long *out)
{
	struct json_object *e;
	int64_t v;

	*out = OAUTH_DEFAULT_EXPIRY;
	if (!json_object_object_get_ex(doc, "expires_in", &e) || e == NULL)
		return 0;
	if (!json_object_is_type(e, json_type_int))
		return -1;
	errno = 0;
	v = json_object_get_int64(e);
	if (errno != 0 || v <= 0)
		return -1;
	*out = v > 86400 * 366 ? 86400 * 366 : (long)v;
	return 0;
}

static int
check_doc(struct json_object *doc, long *expires_in, char *err, size_t errlen)
{
	struct json_object *t = NULL, *type = NULL;

	if (!json_object_is_type(doc, json_type_object)) {
		snprintf(err, errlen, "the token answer is not a JSON object");
		return -1;
	}
	json_object_object_get_ex(doc, "access_token", &t);
	if (!token_ok(t)) {
		snprintf(err, errlen,
		    "the token answer has no usable "
		    "access_token");
		return -1;
	}
	if (json_object_object_get_ex(doc, "token_type", &type) &&
	    type != NULL &&
	    (!json_object_is_type(type, json_type_string) ||
		strcasecmp(json_object_get_string(type), "bearer") != 0)) {
		snprintf(err, errlen,
		    "the token answer's token_type is not "
		    "Bearer");
		return -1;
	}
	if (read_expiry(doc, expires_in) < 0) {
		snprintf(err, errlen,
		    "the token answer's expires_in is not a "
		    "positive integer");
		return -1;
	}
	return 0;
}

int
oauth_parse(const char *body, size_t len, char **token, long *expires_in,
    char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new_ex(8);
	struct json_object *doc = NULL, *t;
	int rc = -1;

	*token = NULL;
	if (tok == NULL || len > 65536) {
		snprintf(err, errlen, "the token answer is too large");
		goto out;
	}
	doc = json_tokener_parse_ex(tok, body, (int)len);
	if (doc == NULL ||
	    json_tokener_get_error(tok) != json_tokener_success) {
		snprintf(err, errlen, "the token answer is not JSON");
		goto out;
	}
	if (check_doc(doc, expires_in, err, errlen) < 0)
		goto out;
	json_object_object_get_ex(doc, "access_token", &t);
	if ((*token = strdup(json_object_get_string(t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	/* json-c's copy of the token goes with doc; it is not wiped */
	json_object_put(doc);
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}
