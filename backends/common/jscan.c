/*
 * jscan.c - a structural JSON scanner for streams; see jscan.h.
 *
 * One byte at a time (strings in runs), with a stack of open containers
 * that says what may come next in each.  Nothing is allocated per value
 * but the capture buffer, which is reused.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"

#define MAX_DEPTH 512 /* nesting the scanner follows at all */

enum expect {
	OBJ_FIRST, /* after '{': a key or '}' */
	OBJ_KEY,   /* after ',' */
	OBJ_COLON,
	OBJ_VALUE,
	ARR_FIRST, /* after '[': a value or ']' */
	ARR_VALUE, /* after ',' */
	NEXT,	   /* ',' or the closing bracket */
};

/* A number, RFC 8259's grammar: where it is so far. */
enum num { N_MINUS, N_ZERO, N_INT, N_DOT, N_FRAC, N_E, N_ESIGN, N_EXP };

struct level {
	unsigned char expect;
	unsigned char array;
	unsigned char descend; /* members are offered to select() */
};

struct jscan {
	struct jscan_ops ops;
	void *arg;
	size_t max_value;
	size_t max_depth; /* at most MAX_DEPTH */
	int one_doc;	  /* a single document: nothing but blanks after it */
	const char *stop; /* nonzero after a select(): stop (jscan_stop_on) */
	int doc_done;	  /* ... and it has ended */
	unsigned long long docs; /* documents ended */
	struct level lv[MAX_DEPTH];
	size_t depth; /* open containers */
	char keys[JSCAN_MAX_PATH][JSCAN_KEY_MAX + 1];
	struct jscan_path path;
	/* lexer */
	int in_str, esc, str_is_key, in_lit;
	int hex_left;	  /* hex digits still due in a \u escape */
	const char *word; /* the literal under way is this word, or a number */
	size_t lit_len;	  /* bytes of it so far */
	int num;	  /* where a number is in its grammar (enum num) */
	int want_descend; /* what select() said of the value just begun */
	int want_bound;	  /* ... and whether to bound it (DESCEND_BOUNDED) */
	size_t bound_depth;	      /* of the bounded container open, or 0 */
	unsigned long long bound_end; /* offset its bytes may not pass */
	size_t key_len;
	int key_cut;
	/* capture */
	int capturing;
	size_t cap_depth; /* depth at which the captured value began */
	char *cap;
	size_t cap_len, cap_size;
	unsigned long long offset; /* bytes fed so far, for errors */
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 2, 3)))
fail(struct jscan *s, const char *fmt, ...)
{
	va_list ap;
	char msg[160];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(s->err, s->errlen, "%s at byte %llu", msg, s->offset);
	return -1;
}

struct jscan *
jscan_new(const struct jscan_ops *ops, void *arg, size_t max_value)
{
	struct jscan *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->ops = *ops;
	s->arg = arg;
	s->max_value = max_value;
	s->max_depth = MAX_DEPTH;
	s->bound_end = ~0ull;
	return s;
}

void
jscan_limit(struct jscan *s, size_t max_depth, int one_document)
{
	s->max_depth = max_depth < MAX_DEPTH ? max_depth : MAX_DEPTH;
	s->one_doc = one_document;
}

void
jscan_stop_on(struct jscan *s, const char *flag)
{
	s->stop = flag;
}

void
jscan_reset(struct jscan *s)
{
	s->depth = 0;
	s->in_str = s->esc = s->str_is_key = s->in_lit = 0;
	s->hex_left = 0;
	s->doc_done = 0;
	s->docs = 0;
	s->capturing = 0;
	s->cap_len = 0;
	s->offset = 0;
	s->bound_depth = 0;
	s->bound_end = ~0ull;
}

int
jscan_mid_document(const struct jscan *s)
{
	return s->depth > 0 || s->in_lit || s->in_str;
}

int
jscan_ended(const struct jscan *s)
{
	return s->docs > 0 && !jscan_mid_document(s);
}

void
jscan_free(struct jscan *s)
{
	if (s == NULL)
		return;
	free(s->cap);
	free(s);
}

static int
append(struct jscan *s, const char *p, size_t n)
{
	size_t size;
	char *q;

	if (n > s->max_value - s->cap_len)
		return fail(s, "a value longer than %zu bytes", s->max_value);
	if (s->cap_len + n + 1 > s->cap_size) {
		size = s->cap_size ? s->cap_size : 4096;
		while (size < s->cap_len + n + 1)
			size *= 2;
		q = realloc(s->cap, size);
		if (q == NULL)
			return fail(s, "out of memory");
		s->cap = q;
		s->cap_size = size;
	}
	memcpy(s->cap + s->cap_len, p, n);
	s->cap_len += n;
	s->cap[s->cap_len] = '\0';
	return 0;
}

/*
 * The path of a value about to begin at the current depth: its keys are
 * set as containers open (open_container), so only the depth changes.
 */
static const struct jscan_path *
path_here(struct jscan *s)
{
	s->path.depth = s->depth;
	return &s->path;
}

/* A value just ended at the current depth. */
static int
value_end(struct jscan *s)
{
	int rc = 0;

	if (s->capturing && s->depth == s->cap_depth) {
		s->capturing = 0;
		rc = s->ops.value(path_here(s), s->cap, s->cap_len, s->arg);
		s->cap_len = 0;
		if (rc != 0)
			return fail(s, "the value was refused");
	}
	if (s->depth > 0)
		return 0;
	s->docs++;
	s->doc_done = s->one_doc;
	if (s->ops.end != NULL && s->ops.end(s->arg) != 0)
		return fail(s, "the document was refused");
	return 0;
}

/* Where a value may begin, and what follows it there. */
static int
value_allowed(struct jscan *s)
{
	struct level *l;

	if (s->depth == 0)
		return 1;
	l = &s->lv[s->depth - 1];
	if (l->expect != OBJ_VALUE && l->expect != ARR_FIRST &&
	    l->expect != ARR_VALUE)
		return 0;
	l->expect = NEXT;
	return 1;
}

static int
begin_value(struct jscan *s, char c)
{
	enum jscan_want want = JSCAN_SKIP;
	const struct jscan_path *p;

	if (!value_allowed(s))
		return fail(s, "unexpected '%c'", c);
	if (s->depth == 0 && c != '{')
		return fail(s, "a document that is not an object");
	if (s->capturing)
		return append(s, &c, 1);
	if (s->depth == 0)
		want = JSCAN_DESCEND;
	else if (s->lv[s->depth - 1].descend) {
		p = path_here(s);
		want = s->ops.select(p, c, s->arg);
		if (s->stop != NULL && *s->stop != '\0')
			return fail(s, "the value was refused");
	}
	if (want == JSCAN_CAPTURE) {
		s->capturing = 1;
		s->cap_depth = s->depth;
		s->cap_len = 0;
		return append(s, &c, 1);
	}
	s->want_descend =
	    want == JSCAN_DESCEND || want == JSCAN_DESCEND_BOUNDED;
	s->want_bound = want == JSCAN_DESCEND_BOUNDED && s->bound_depth == 0;
	return 0;
}

static int
open_container(struct jscan *s, char c)
{
	int descend;
	struct level *l;

	if (begin_value(s, c) < 0)
		return -1;
	descend = !s->capturing && s->want_descend;
	if (s->depth >= s->max_depth)
		return fail(s, "JSON nested too deep (more than %zu levels)",
		    s->max_depth);
	l = &s->lv[s->depth++];
	l->array = c == '[';
	l->expect = c == '[' ? ARR_FIRST : OBJ_FIRST;
	l->descend = (unsigned char)descend;
	if (s->depth <= JSCAN_MAX_PATH) {
		s->keys[s->depth - 1][0] = '\0';
		s->path.key[s->depth - 1] =
		    l->array ? NULL : s->keys[s->depth - 1];
	}
	if (descend && s->want_bound) {
		/* offset is this bracket's: it and max_value - 1 more */
		s->bound_depth = s->depth;
		s->bound_end = s->offset + s->max_value;
	}
	return 0;
}

static int
close_container(struct jscan *s, char c)
{
	struct level *l;

	if (s->depth == 0)
		return fail(s, "unexpected '%c'", c);
	l = &s->lv[s->depth - 1];
	if (l->array != (c == ']') ||
	    (l->expect != NEXT && l->expect != OBJ_FIRST &&
		l->expect != ARR_FIRST))
		return fail(s, "unexpected '%c'", c);
	if (s->capturing && append(s, &c, 1) < 0)
		return -1;
	if (s->bound_depth == s->depth) {
		/* this bracket is its last byte: jscan_feed() checks no more */
		if (s->offset >= s->bound_end)
			return fail(
			    s, "a value longer than %zu bytes", s->max_value);
		s->bound_depth = 0;
		s->bound_end = ~0ull;
	}
	s->depth--;
	if (l->descend && s->depth > 0 && s->ops.close != NULL &&
	    s->ops.close(path_here(s), s->arg) != 0)
		return fail(s, "the value was refused");
	return value_end(s);
}

static int
punctuation(struct jscan *s, char c)
{
	struct level *l = s->depth ? &s->lv[s->depth - 1] : NULL;

	if (l == NULL)
		return fail(s, "unexpected '%c'", c);
	if (c == ':' && l->expect == OBJ_COLON)
		l->expect = OBJ_VALUE;
	else if (c == ',' && l->expect == NEXT)
		l->expect = l->array ? ARR_VALUE : OBJ_KEY;
	else
		return fail(s, "unexpected '%c'", c);
	return s->capturing ? append(s, &c, 1) : 0;
}

static int
begin_string(struct jscan *s)
{
	struct level *l = s->depth ? &s->lv[s->depth - 1] : NULL;

	s->in_str = 1;
	s->esc = 0;
	if (l != NULL && (l->expect == OBJ_FIRST || l->expect == OBJ_KEY)) {
		l->expect = OBJ_COLON;
		s->str_is_key = 1;
		s->key_len = 0;
		s->key_cut = 0;
		return s->capturing ? append(s, "\"", 1) : 0;
	}
	s->str_is_key = 0;
	return begin_value(s, '"');
}

/* A run of a key's bytes, as they are (escapes and all), kept if short. */
static void
key_bytes(struct jscan *s, const char *p, size_t n)
{
	size_t room = JSCAN_KEY_MAX - s->key_len;

	if (s->depth > JSCAN_MAX_PATH)
		return;
	if (n > room) {
		s->key_cut = 1;
		n = room;
	}
	memcpy(s->keys[s->depth - 1] + s->key_len, p, n);
	s->key_len += n;
}

static int
end_string(struct jscan *s)
{
	s->in_str = 0;
	if (s->capturing && append(s, "\"", 1) < 0)
		return -1;
	if (!s->str_is_key)
		return value_end(s);
	if (s->depth <= JSCAN_MAX_PATH) {
		/* a cut key must match nothing: no name we look for has \1 */
		if (s->key_cut)
			s->keys[s->depth - 1][0] = '\1';
		s->keys[s->depth - 1][s->key_cut ? 1 : s->key_len] = '\0';
	}
	return 0;
}

static int
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* The byte after a backslash, or one of a \u escape's four digits. */
static int
escape_byte(struct jscan *s, unsigned char c)
{
	if (s->hex_left > 0) {
		s->hex_left--;
		return is_hex(c) ? 0 : -1;
	}
	s->esc = 0;
	if (c == 'u')
		s->hex_left = 4;
	else if (c == '\0' || strchr("\"\\/bfnrt", c) == NULL)
		return -1;
	return 0;
}

/*
 * What a byte is to the loops that skip runs of one kind: one that ends a
 * string's plain run (a quote, a backslash, a control byte), one that may
 * continue a literal, a blank.
 */
enum { C_STOP = 1, C_LIT = 2, C_BLANK = 4 };
/* clang-format off */
static const unsigned char cls[256] = {
	[0 ... 8] = C_STOP, ['\t'] = C_BLANK | C_STOP,
	['\n'] = C_BLANK | C_STOP, [0x0b ... 0x0c] = C_STOP,
	['\r'] = C_BLANK | C_STOP, [0x0e ... 0x1f] = C_STOP,
	['"'] = C_STOP, ['\\'] = C_STOP, [' '] = C_BLANK,
	['0' ... '9'] = C_LIT, ['a' ... 'z'] = C_LIT, ['A' ... 'Z'] = C_LIT,
	['.'] = C_LIT, ['+'] = C_LIT, ['-'] = C_LIT,
};
/* clang-format on */

#define ONES 0x0101010101010101ull
/* whether a byte of w is zero (exact as a whole, not per byte) */
#define ZERO_BYTE(w) (((w)-ONES) & ~(w) & (ONES * 0x80))

/*
 * The length of the plain run at p, eight bytes at a time: most of an
 * answer is strings.  The lowest byte a mask flags is a true one (a borrow
 * only runs upwards from one), so on a little-endian machine it is where
 * the run ends; elsewhere the bytes are looked at again one by one.
 */
static size_t
plain_len(const char *p, size_t n)
{
	size_t i = 0;
	uint64_t w, m;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		m = ZERO_BYTE(w ^ (ONES * '"')) | ZERO_BYTE(w ^ (ONES * '\\')) |
		    ((w - ONES * 0x20) & ~w & (ONES * 0x80));
		if (m == 0)
			continue;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		return i + (size_t)__builtin_ctzll(m) / 8;
#else
		break;
#endif
	}
	while (i < n && !(cls[(unsigned char)p[i]] & C_STOP))
		i++;
	return i;
}

/*
 * Inside a string: consume a run; returns bytes used or -1.  The loop is
 * the scanner's hottest (most of an answer is strings): it only looks
 * for the end, escapes and control bytes, and the run is kept after.
 */
static long
string_run(struct jscan *s, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (s->esc || s->hex_left > 0) {
			if (escape_byte(s, (unsigned char)p[i]) < 0) {
				s->offset += i;
				return fail(s, "a bad escape in a string");
			}
			i++;
			continue;
		}
		i += plain_len(p + i, n - i);
		if (i == n || p[i] == '"')
			break;
		if (p[i] != '\\') {
			s->offset += i;
			return fail(s, "a control byte in a string");
		}
		s->esc = 1;
		i++;
	}
	if (s->str_is_key)
		key_bytes(s, p, i);
	if (s->capturing && append(s, p, i) < 0)
		return -1;
	if (i < n && end_string(s) < 0)
		return -1;
	return (long)(i < n ? i + 1 : i);
}

static int
is_lit(char c)
{
	return cls[(unsigned char)c] & C_LIT;
}

static int
is_blank(char c)
{
	return cls[(unsigned char)c] & C_BLANK;
}

/*
 * Blanks between tokens mean nothing, even in a captured value (a literal
 * they end has ended already): skipped as a run, never captured.
 */
static long
blank_run(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && is_blank(p[i]))
		i++;
	return (long)i;
}

/* A number's next byte: its new place in the grammar, or -1. */
static int
num_next(int at, char c)
{
	int digit = c >= '0' && c <= '9', e = c == 'e' || c == 'E';

	switch (at) {
	case N_MINUS:
		return c == '0' ? N_ZERO : digit ? N_INT : -1;
	case N_ZERO:
		return c == '.' ? N_DOT : e ? N_E : -1;
	case N_INT:
		return digit ? N_INT : c == '.' ? N_DOT : e ? N_E : -1;
	case N_DOT:
		return digit ? N_FRAC : -1;
	case N_FRAC:
		return digit ? N_FRAC : e ? N_E : -1;
	case N_E:
		return digit ? N_EXP : c == '+' || c == '-' ? N_ESIGN : -1;
	default: /* N_ESIGN, N_EXP */
		return digit ? N_EXP : -1;
	}
}

/*
 * Literals are checked as they come, so that a value skipped unseen is
 * still JSON: a word, or a number with no leading zero, bare dot or sign.
 */
static void
lit_begin(struct jscan *s, char c)
{
	s->in_lit = 1;
	s->lit_len = 1;
	s->word = c == 't'   ? "true"
		  : c == 'f' ? "false"
		  : c == 'n' ? "null"
			     : NULL;
	s->num = c == '-' ? N_MINUS : c == '0' ? N_ZERO : N_INT;
}

static int
lit_more(struct jscan *s, char c)
{
	if (s->word != NULL) {
		if (s->word[s->lit_len] != c)
			return -1;
		s->lit_len++;
		return 0;
	}
	return (s->num = num_next(s->num, c)) < 0 ? -1 : 0;
}

static int
lit_complete(const struct jscan *s)
{
	if (s->word != NULL)
		return s->word[s->lit_len] == '\0';
	return s->num == N_ZERO || s->num == N_INT || s->num == N_FRAC ||
	       s->num == N_EXP;
}

/* Inside a literal: the bytes that continue it; bytes used or -1. */
static long
lit_run(struct jscan *s, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && is_lit(p[i])) {
		/* the digits of an integer, fraction or exponent: a tight loop
		 */
		if (s->word == NULL &&
		    (s->num == N_INT || s->num == N_FRAC || s->num == N_EXP) &&
		    (unsigned char)(p[i] - '0') < 10) {
			while (++i < n && (unsigned char)(p[i] - '0') < 10)
				;
			continue;
		}
		if (lit_more(s, p[i]) < 0) {
			s->offset += i;
			return fail(s, "a bad literal");
		}
		i++;
	}
	if (s->capturing && append(s, p, i) < 0)
		return -1;
	return (long)i;
}

static int
byte(struct jscan *s, char c)
{
	if (s->in_lit) {
		s->in_lit = 0;
		if (!lit_complete(s))
			return fail(s, "a bad literal");
		if (value_end(s) < 0)
			return -1;
	}
	switch (c) {
	case ' ':
	case '\t':
	case '\n':
	case '\r':
		return s->capturing ? append(s, &c, 1) : 0;
	default:
		if (s->doc_done)
			return fail(s, "trailing data after the JSON document");
		break;
	}
	switch (c) {
	case '{':
	case '[':
		return open_container(s, c);
	case '}':
	case ']':
		return close_container(s, c);
	case ':':
	case ',':
		return punctuation(s, c);
	case '"':
		return begin_string(s);
	default:
		break;
	}
	if (c != '-' && !(c >= '0' && c <= '9') && c != 't' && c != 'f' &&
	    c != 'n')
		return fail(s, "unexpected byte 0x%02x", (unsigned char)c);
	if (begin_value(s, c) < 0)
		return -1;
	lit_begin(s, c);
	return 0;
}

/* One step: a string's run, a literal's, blanks, or one byte; used or -1. */
static long
step(struct jscan *s, const char *p, size_t n)
{
	if (s->in_str)
		return string_run(s, p, n);
	if (s->in_lit && is_lit(*p))
		return lit_run(s, p, n);
	if (!s->in_lit && is_blank(*p))
		return blank_run(
		    p, n); /* indentation: most of a pretty answer */
	return byte(s, *p) < 0 ? -1 : 1;
}

int
jscan_feed(
    struct jscan *s, const char *data, size_t len, char *err, size_t errlen)
{
	size_t i = 0;
	long used;

	s->err = err;
	s->errlen = errlen;
	while (i < len) {
		if ((used = step(s, data + i, len - i)) < 0)
			return -1;
		i += (size_t)used;
		s->offset += (unsigned long long)used;
		/* a value read member by member is bounded as captured ones */
		if (s->offset > s->bound_end)
			return fail(
			    s, "a value longer than %zu bytes", s->max_value);
	}
	return 0;
}
