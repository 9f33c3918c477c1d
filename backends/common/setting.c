/*
 * setting.c - plugin settings: numbers and yes/no, strictly (no sign, no
 * spaces, no suffix), so a typo is an error rather than a surprise.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "setting.h"

static int
parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int
setting_long(const struct tsnss_setting *s, long lo, long hi, long *out,
    char *err, size_t errlen)
{
	if (parse_long(s->value, lo, hi, out) == 0)
		return 0;
	snprintf(err, errlen, "line %u: %s must be an integer from %ld to %ld",
	    s->line, s->key, lo, hi);
	return -1;
}

int
setting_size(const struct tsnss_setting *s, long lo, long hi, size_t *out,
    char *err, size_t errlen)
{
	long v;

	if (setting_long(s, lo, hi, &v, err, errlen) < 0)
		return -1;
	*out = (size_t)v;
	return 0;
}

int
setting_bool(const struct tsnss_setting *s, int *out, char *err, size_t errlen)
{
	if (strcmp(s->value, "yes") == 0 || strcmp(s->value, "no") == 0) {
		*out = strcmp(s->value, "yes") == 0;
		return 0;
	}
	snprintf(err, errlen, "line %u: %s must be yes or no", s->line, s->key);
	return -1;
}

/* A copy of the value, replacing the last one. */
int
setting_text(const struct setting_key *k, const struct tsnss_setting *s,
    char *err, size_t errlen)
{
	char **to = k->to, *copy;

	if (s->value[0] == '\0' ||
	    (k->type == SETTING_PATH && s->value[0] != '/')) {
		snprintf(err, errlen, "line %u: %s must be %s", s->line, s->key,
		    k->type == SETTING_PATH ? "an absolute path"
					    : "given a value");
		return -1;
	}
	if (k->hi > 0 && strlen(s->value) >= (size_t)k->hi) {
		snprintf(err, errlen, "line %u: %s is longer than %ld bytes",
		    s->line, s->key, k->hi - 1);
		return -1;
	}
	if ((copy = strdup(s->value)) == NULL) {
		snprintf(err, errlen, "line %u: out of memory", s->line);
		return -1;
	}
	free(*to);
	*to = copy;
	return 0;
}

static int
apply_one(const struct setting_key *k, const struct tsnss_setting *s, char *err,
    size_t errlen)
{
	switch (k->type) {
	case SETTING_LONG:
		return setting_long(s, k->lo, k->hi, k->to, err, errlen);
	case SETTING_SIZE:
		return setting_size(s, k->lo, k->hi, k->to, err, errlen);
	case SETTING_BOOL:
		return setting_bool(s, k->to, err, errlen);
	case SETTING_TEXT:
	case SETTING_PATH:
		return setting_text(k, s, err, errlen);
	case SETTING_CALL:
	case SETTING_CALL_TEXT:
		return k->call(k->to, s, err, errlen);
	}
	return -1;
}

int
settings_apply(const struct setting_key *keys, size_t n_keys,
    const char *section, const struct tsnss_setting *settings, size_t n,
    char *err, size_t errlen)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n_keys; j++)
			if (strcmp(settings[i].key, keys[j].key) == 0)
				break;
		if (j == n_keys) {
			snprintf(err, errlen,
			    "line %u: unknown key '%s' in [%s]",
			    settings[i].line, settings[i].key, section);
			return -1;
		}
		if (apply_one(&keys[j], &settings[i], err, errlen) < 0)
			return -1;
	}
	return 0;
}

void
settings_free(const struct setting_key *keys, size_t n_keys)
{
	size_t i;

	for (i = 0; i < n_keys; i++)
		if (keys[i].type == SETTING_TEXT ||
		    keys[i].type == SETTING_PATH ||
		    keys[i].type == SETTING_CALL_TEXT) {
			free(*(char **)keys[i].to);
			*(char **)keys[i].to = NULL;
		}
}
