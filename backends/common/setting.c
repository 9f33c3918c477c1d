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
