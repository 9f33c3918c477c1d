/*
 * template.c - see template.h.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <string.h>

#include "template.h"

/* The decimal digits of v, into num (11 bytes); returns num. */
static const char *
decimal(uint32_t v, char *num)
{
	char *p = num + 10;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return p;
}

static const char *
escape(char c, const struct tsnss_template_args *a, char *num)
{
	switch (c) {
	case 'u':
		return a->name;
	case 'l':
		return a->login;
	case 'd':
		return a->domain;
	case 'U':
		return decimal(a->uid, num);
	case '%':
		return "%";
	default:
		return NULL;
	}
}

static int
usable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == ':' || *s == 0x7f)
			return 0;
	return 1;
}

int
tsnss_template_expand(const char *tmpl, const struct tsnss_template_args *a,
    char *out, size_t outlen)
{
	char num[11];
	const char *add;
	size_t o = 0, n;

	if (outlen == 0)
		return -1;
	for (; *tmpl != '\0'; tmpl++) {
		char one[2] = {*tmpl, '\0'};

		add = one;
		if (*tmpl == '%' && (add = escape(*++tmpl, a, num)) == NULL)
			return -1;
		n = strlen(add);
		if (o + n >= outlen)
			return -1;
		memcpy(out + o, add, n);
		o += n;
	}
	out[o] = '\0';
	return usable(out) ? 0 : -1;
}

int
tsnss_template_valid(const char *tmpl)
{
	static const struct tsnss_template_args none = {"", "", "", 0};
	char num[11];

	for (; *tmpl != '\0'; tmpl++)
		if (*tmpl == '%' && escape(*++tmpl, &none, num) == NULL)
			return 0;
	return 1;
}
