/*
 * jpick.c - read a few members of one JSON object; see jpick.h.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <string.h>

#include "jpick.h"

#define MAX_DEPTH 64 /* as the bus's json-c tokener */

struct cur {
	const char *p, *end;
};

static const char *value(struct cur *c, int depth);

static void
blanks(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
				    *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int
eat(struct cur *c, char ch)
{
	blanks(c);
	if (c->p >= c->end || *c->p != ch)
		return 0;
	c->p++;
	return 1;
}

static int
hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F');
}

/* A string at c->p ('"'); its raw bytes between the quotes in *s, *n. */
static int
string(struct cur *c, const char **s, size_t *n)
{
	const char *p = c->p + 1;

	*s = p;
	while (p < c->end && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return -1;
		if (*p++ != '\\')
			continue;
		if (p >= c->end)
			return -1;
		if (*p == 'u') {
			if (c->end - p < 5 || !hex(p[1]) || !hex(p[2]) ||
			    !hex(p[3]) || !hex(p[4]))
				return -1;
			p += 5;
		} else if (strchr("\"\\/bfnrt", *p) != NULL && *p != '\0')
			p++;
		else
			return -1;
	}
	if (p >= c->end)
		return -1;
	*n = (size_t)(p - *s);
	c->p = p + 1;
	return 0;
}

static int
digits(struct cur *c)
{
	const char *s = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > s;
}

/* A number; 1 if it is an integer (no fraction or exponent). */
static int
number(struct cur *c)
{
	int integer = 1;

	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (!digits(c))
		return -1;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		integer = 0;
		if (!digits(c))
			return -1;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		integer = 0;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!digits(c))
			return -1;
	}
	return integer;
}

static int
literal(struct cur *c, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return -1;
	c->p += n;
	return 0;
}

/* Members or elements up to close; -1 if malformed. */
static int
members(struct cur *c, char close, int depth)
{
	const char *s;
	size_t n;

	if (eat(c, close))
		return 0;
	do {
		blanks(c);
		if (close == '}' && (c->p >= c->end || *c->p != '"' ||
					string(c, &s, &n) < 0 || !eat(c, ':')))
			return -1;
		if (value(c, depth) == NULL)
			return -1;
	} while (eat(c, ','));
	return eat(c, close) ? 0 : -1;
}

/* Any value at c->p; its first byte, or NULL if malformed. */
static const char *
value(struct cur *c, int depth)
{
	const char *start, *s;
	size_t n;

	blanks(c);
	if (c->p >= c->end || depth > MAX_DEPTH)
		return NULL;
	start = c->p;
	switch (*c->p) {
	case '{':
	case '[':
		c->p++;
		return members(c, *start == '{' ? '}' : ']', depth + 1) < 0
			   ? NULL
			   : start;
	case '"':
		return string(c, &s, &n) < 0 ? NULL : start;
	case 't':
		return literal(c, "true") < 0 ? NULL : start;
	case 'f':
		return literal(c, "false") < 0 ? NULL : start;
	case 'n':
		return literal(c, "null") < 0 ? NULL : start;
	default:
		return number(c) < 0 ? NULL : start;
	}
}

/* The id in [s, e), an integer literal, as ts_json_id accepts it. */
static int
to_id(const char *s, const char *e, int64_t *id)
{
	uint64_t v = 0;

	if (s >= e || *s == '-')
		return -1;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return -1; /* a fraction or an exponent */
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v >= (uint64_t)INT64_MAX)
			return -1; /* json-c clamps there: not an id */
	}
	if (v < 1)
		return -1;
	*id = (int64_t)v;
	return 0;
}

static void
pick(struct jpick *p, const char *start, const char *end)
{
	struct cur c = {start + 1, end};

	p->found = 0;
	if (p->kind == JPICK_ID)
		p->found = to_id(start, end, &p->id) == 0;
	else
		p->found = *start == '[' && !eat(&c, ']');
}

int
jpick_object(const char *buf, size_t len, struct jpick *picks, size_t n)
{
	struct cur c = {buf, buf + len};
	const char *key, *start;
	size_t klen, i;

	for (i = 0; i < n; i++)
		picks[i].found = 0;
	blanks(&c);
	if (c.p >= c.end || *c.p != '{') {
		if (value(&c, 0) == NULL)
			return -1;
		blanks(&c);
		return c.p == c.end ? 1 : -1;
	}
	c.p++;
	if (!eat(&c, '}')) {
		do {
			blanks(&c);
			if (c.p >= c.end || *c.p != '"' ||
			    string(&c, &key, &klen) < 0 || !eat(&c, ':') ||
			    (start = value(&c, 1)) == NULL)
				return -1;
			for (i = 0; i < n; i++)
				if (strncmp(picks[i].key, key, klen) == 0 &&
				    picks[i].key[klen] == '\0')
					pick(&picks[i], start, c.p);
		} while (eat(&c, ','));
		if (!eat(&c, '}'))
			return -1;
	}
	blanks(&c);
	return c.p == c.end ? 0 : -1;
}
