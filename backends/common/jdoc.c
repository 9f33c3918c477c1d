/*
 * jdoc.c - a streamed JSON answer; see jdoc.h.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jdoc.h"

struct jdoc *
jdoc_new(const struct jdoc_spec *spec, void *state)
{
	struct jdoc *d = calloc(1, sizeof *d);

	if (d == NULL)
		return NULL;
	d->spec = spec;
	d->own = state == NULL;
	d->state = state ? state : calloc(1, spec->size ? spec->size : 1);
	if (spec->result_size > 0 &&
	    (d->result = calloc(1, spec->result_size)) == NULL) {
		jdoc_free(d);
		return NULL;
	}
	d->scan = jscan_new(&spec->ops, d, spec->max_value);
	d->tok = json_tokener_new_ex((int)spec->max_depth);
	if (d->state == NULL || d->scan == NULL || d->tok == NULL) {
		jdoc_free(d);
		return NULL;
	}
	jscan_limit(d->scan, spec->max_depth, !spec->stream);
	jscan_stop_on(d->scan, d->err);
	json_tokener_set_flags(d->tok, spec->tok_flags);
	return d;
}

/* The first byte that is not a blank: a JSON value that is no object? */
static void
note_start(struct jdoc *d, const char *data, size_t len)
{
	size_t i = 0;

	while (i < len && strchr(" \t\r\n", data[i]) != NULL && data[i] != '\0')
		i++;
	if (i >= len)
		return;
	d->begun = 1;
	if (d->spec->not_object != NULL && data[i] != '\0' &&
	    strchr("[\"-0123456789tfn", data[i]) != NULL)
		snprintf(d->err, sizeof d->err, "%s", d->spec->not_object);
}

int
jdoc_feed(
    struct jdoc *d, const char *data, size_t len, char *err, size_t errlen)
{
	char why[200];

	if (!d->begun)
		note_start(d, data, len);
	d->fed += len;
	if (d->err[0] == '\0' &&
	    jscan_feed(d->scan, data, len, why, sizeof why) == 0 &&
	    d->err[0] == '\0')
		return 0;
	if (d->err[0] != '\0')
		snprintf(err, errlen, "%s", d->err);
	else
		snprintf(err, errlen, "%s%s",
		    d->spec->prefix ? d->spec->prefix : "", why);
	return -1;
}

int
jdoc_ended(const struct jdoc *d, char *err, size_t errlen)
{
	if (jscan_ended(d->scan))
		return 1;
	if (!d->begun)
		snprintf(err, errlen, "empty answer");
	else
		snprintf(err, errlen,
		    "truncated JSON: the document is incomplete after %zu "
		    "bytes",
		    d->fed);
	return 0;
}

struct json_object *
jdoc_value(struct jdoc *d, const char *buf, size_t len, const char *what)
{
	struct json_object *o;
	enum json_tokener_error e;

	d->err[0] = '\0';
	json_tokener_reset(d->tok);
	o = json_tokener_parse_ex(d->tok, buf, (int)len + 1);
	e = json_tokener_get_error(d->tok);
	if (o == NULL && e != json_tokener_success)
		snprintf(d->err, sizeof d->err, "%s: %s", what,
		    json_tokener_error_desc(e));
	return o;
}

void
jdoc_key(struct jdoc *d, const char *raw, char *out, size_t len)
{
	char quoted[JSCAN_KEY_MAX + 4];
	struct json_object *o;

	snprintf(out, len, "%s", raw);
	if (strchr(raw, '\\') == NULL)
		return;
	snprintf(quoted, sizeof quoted, "\"%s\"", raw);
	json_tokener_reset(d->tok);
	o = json_tokener_parse_ex(d->tok, quoted, (int)strlen(quoted) + 1);
	snprintf(out, len, "%s",
	    json_object_is_type(o, json_type_string) ? json_object_get_string(o)
						     : "\1");
	json_object_put(o);
}

const char *
jdoc_string(struct jdoc *d, const char *buf, size_t len, size_t *n,
    struct json_object **o)
{
	*o = NULL;
	if (memchr(buf, '\\', len) == NULL) {
		*n = len - 2;
		return buf + 1;
	}
	*o = jdoc_value(d, buf, len, "bad JSON");
	if (*o == NULL || !json_object_is_type(*o, json_type_string))
		return NULL;
	*n = (size_t)json_object_get_string_len(*o);
	return json_object_get_string(*o);
}

int
jdoc_room(void *array, size_t *cap, size_t n, size_t size)
{
	size_t want = *cap ? *cap * 2 : 64;
	void *old, *grown;

	if (n < *cap)
		return 0;
	memcpy(&old, array, sizeof old);
	if (want > SIZE_MAX / size ||
	    (grown = realloc(old, want * size)) == NULL)
		return -1;
	memcpy(array, &grown, sizeof grown);
	*cap = want;
	return 0;
}

int
jdoc_key_is_id(const char *key, int64_t id)
{
	char want[24], *p = want + sizeof want - 1;
	uint64_t v = (uint64_t)id;

	if (id < 0)
		return 0;
	*p = '\0';
	do /* from the last digit back: no snprintf in a loop per profile */
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return strcmp(key, p) == 0;
}

void
jdoc_reset(struct jdoc *d)
{
	jscan_reset(d->scan);
	if (d->spec->state_clear != NULL)
		d->spec->state_clear(d->state);
	d->fed = 0;
	d->begun = 0;
	d->err[0] = '\0';
}

void *
jdoc_take(struct jdoc *d)
{
	void *r = d->result;

	d->result = NULL;
	return r;
}

void
jdoc_free(struct jdoc *d)
{
	if (d == NULL)
		return;
	jscan_free(d->scan);
	if (d->tok != NULL)
		json_tokener_free(d->tok);
	if (d->result != NULL)
		d->spec->result_free(d->result);
	if (d->spec->state_clear != NULL && d->state != NULL)
		d->spec->state_clear(d->state);
	if (d->own)
		free(d->state);
	free(d);
}
