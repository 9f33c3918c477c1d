/*
 * test-jscan.c - the structural scanner on its own: what it captures is
 * the same however the stream is cut, its fast paths (strings eight bytes
 * at a time, digits, blanks) see every quote, backslash and control byte
 * wherever it falls, and a container read member by member is bounded.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"
#include "tap.h"

#define MAX_VALUE 64

/* What a scan saw: the values captured, one after another, and closes. */
struct seen {
	char caps[4096];
	size_t len;
	int closes;
	enum jscan_want want; /* for the members of the top-level object */
};

static enum jscan_want
on_select(const struct jscan_path *p, char first, void *arg)
{
	struct seen *s = arg;

	(void)first;
	if (p->depth == 1)
		return s->want;
	/* "x" is skipped, unseen: only the bound can stop it */
	return strcmp(p->key[p->depth - 1] ? p->key[p->depth - 1] : "", "x") ==
		       0
		   ? JSCAN_SKIP
		   : JSCAN_CAPTURE;
}

static int
on_value(const struct jscan_path *p, const char *buf, size_t len, void *arg)
{
	struct seen *s = arg;

	(void)p;
	if (strlen(buf) != len || s->len + len + 1 >= sizeof s->caps)
		return -1;
	memcpy(s->caps + s->len, buf, len);
	s->len += len;
	s->caps[s->len++] = '|';
	s->caps[s->len] = '\0';
	return 0;
}

static int
on_close(const struct jscan_path *p, void *arg)
{
	(void)p;
	((struct seen *)arg)->closes++;
	return 0;
}

static const struct jscan_ops ops = {on_select, on_value, NULL, on_close};

/*
 * Scan doc (len bytes, from an exact heap copy so that ASan sees any
 * read past it), cut at cut (0: whole) and then fed step bytes at a time
 * (0: the rest at once); 0, or -1 with the error in err.
 */
static int
scan(const char *doc, size_t len, size_t cut, size_t step, enum jscan_want want,
    struct seen *seen, char *err, size_t errlen)
{
	struct jscan *s = jscan_new(&ops, seen, MAX_VALUE);
	char *copy = malloc(len ? len : 1);
	size_t i = 0, n;
	int rc = 0;

	memcpy(copy, doc, len);
	memset(seen, 0, sizeof *seen);
	seen->want = want;
	err[0] = '\0';
	jscan_limit(s, 16, 1);
	if (cut > 0)
		rc = jscan_feed(s, copy, cut, err, errlen);
	for (i = cut; i < len && rc == 0; i += n) {
		n = step == 0 || len - i < step ? len - i : step;
		rc = jscan_feed(s, copy + i, n, err, errlen);
	}
	if (rc == 0 && !jscan_ended(s)) {
		snprintf(err, errlen, "not ended");
		rc = -1;
	}
	jscan_free(s);
	free(copy);
	return rc;
}

/* doc scanned whole, cut in two at every byte, and a byte at a time. */
static void
same_every_cut(const char *doc, enum jscan_want want, const char *what)
{
	struct seen whole, part;
	size_t len = strlen(doc), cut, differ = 0;
	char err[256];

	if (!ok(scan(doc, len, 0, 0, want, &whole, err, sizeof err) == 0,
		"%s: scanned (%s)", what, err))
		return;
	for (cut = 1; cut < len; cut++)
		if (scan(doc, len, cut, 0, want, &part, err, sizeof err) < 0 ||
		    strcmp(part.caps, whole.caps) != 0 ||
		    part.closes != whole.closes)
			differ++;
	if (scan(doc, len, 0, 1, want, &part, err, sizeof err) < 0 ||
	    strcmp(part.caps, whole.caps) != 0)
		differ++;
	is_int(differ, 0, "... the same values cut anywhere, a byte at a time");
}

static void
test_cuts(void)
{
	same_every_cut(
	    "{\"a\":\"x\\\"y\\u00e9z\\\\w\\/\",\"bb\":[\"p\",\"q\\n\","
	    "\"\\uD83D\\ude00\"],\"c\":-12.5e+3,\"d\":true,\"e\":null,"
	    "\"f\":\"0123456789abcdefghij\\t0123456789\"}",
	    JSCAN_CAPTURE, "escapes, numbers, words, long strings");
	same_every_cut("{ \"a\" : { \"k\" : \"v\" , \"n\" : 1234567890 } ,\n"
		       "\t\"b\" : [ 0 , -0.0 , 1E9 , false ] }",
	    JSCAN_DESCEND, "blanks everywhere, members one by one");
}

/* A string of n plain bytes with c at position at: what the scanner says. */
static int
string_with(size_t n, size_t at, char c, struct seen *seen, char *err)
{
	char doc[128];
	size_t i;

	memcpy(doc, "{\"s\":\"", 6);
	for (i = 0; i < n; i++)
		doc[6 + i] = (char)('a' + i % 26);
	if (at < n)
		doc[6 + at] = c;
	memcpy(doc + 6 + n, "\"}", 2);
	return scan(doc, 6 + n + 2, 0, 0, JSCAN_CAPTURE, seen, err, 256);
}

/*
 * A control byte, a stray quote or backslash, or a high byte, at every
 * place of strings of 0 to 40 bytes: the eight-byte loop misses none.
 */
static void
test_string_bytes(void)
{
	static const char ctl[] = {'\0', '\x01', '\t', '\n', '\x1f'};
	size_t n, at, i, wrong = 0;
	struct seen seen;
	char err[256];

	for (n = 1; n <= 40; n++)
		for (at = 0; at < n; at++) {
			for (i = 0; i < sizeof ctl; i++)
				if (string_with(n, at, ctl[i], &seen, err) ==
					0 ||
				    strstr(err, "control byte") == NULL)
					wrong++;
			/* a quote ends the string early: what follows is junk
			 */
			if (at + 1 < n &&
			    string_with(n, at, '"', &seen, err) == 0)
				wrong++;
			/* a backslash escapes the next letter: mostly bad */
			if (string_with(n, at, '\\', &seen, err) == 0 &&
			    (at + 1 >= n ||
				strchr("bfnrt", 'a' + (at + 1) % 26) == NULL))
				wrong++;
			/* bytes past 0x7f are text (UTF-8 is not checked here)
			 */
			if (string_with(n, at, (char)0xa2, &seen, err) < 0 ||
			    string_with(n, at, (char)0xdc, &seen, err) < 0 ||
			    string_with(n, at, (char)0xa0, &seen, err) < 0 ||
			    seen.len != n + 3)
				wrong++;
		}
	is_int(wrong, 0,
	    "controls refused, quotes and backslashes seen, high bytes kept, "
	    "at every place of 1..40-byte strings");
}

static void
test_literals(void)
{
	static const char *const bad[] = {"01", "1.", "1.e5", "1e", "1e+", "-",
	    "--1", "+1", "0x1", "tru", "truex", "nul", "1.5.5", "1e5e5", "00",
	    "-01"};
	static const char *const good[] = {"0", "-0", "10", "1234567890123",
	    "-0.5e+10", "1E9", "2.25", "1e-0", "true", "false", "null"};
	char doc[64], err[256];
	struct seen seen;
	size_t i, wrong = 0;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(doc, sizeof doc, "{\"n\":%s}", bad[i]);
		if (scan(doc, strlen(doc), 0, 0, JSCAN_SKIP, &seen, err,
			sizeof err) == 0) {
			printf("#   accepted %s\n", bad[i]);
			wrong++;
		}
	}
	for (i = 0; i < sizeof good / sizeof *good; i++) {
		snprintf(doc, sizeof doc, "{\"n\":[%s,%s]}", good[i], good[i]);
		if (scan(doc, strlen(doc), 0, 1, JSCAN_SKIP, &seen, err,
			sizeof err) < 0) {
			printf("#   refused %s: %s\n", good[i], err);
			wrong++;
		}
	}
	is_int(wrong, 0, "broken literals refused, good ones a byte at a time");
}

/* {"o":{"x":"aaa..."}} of exactly len bytes for the object at "o". */
static size_t
bounded_doc(char *doc, size_t size, size_t len)
{
	/* the object is {"x":"..."}: 8 bytes and the filling */
	size_t head = strlen("{\"o\":{\"x\":\""), fill = len - 8;

	if (head + fill + 10 > size)
		return 0;
	memcpy(doc, "{\"o\":{\"x\":\"", head);
	memset(doc + head, 'a', fill);
	memcpy(doc + head + fill, "\"},\"p\":{}}", 10);
	return head + fill + 10;
}

static void
test_bounded(void)
{
	char doc[256], err[256];
	struct seen seen;
	size_t len;

	len = bounded_doc(doc, sizeof doc, MAX_VALUE);
	ok(scan(doc, len, 0, 0, JSCAN_DESCEND_BOUNDED, &seen, err,
	       sizeof err) == 0 &&
		seen.closes == 2,
	    "an object of max_value bytes read member by member (%s)", err);
	len = bounded_doc(doc, sizeof doc, MAX_VALUE + 1);
	ok(scan(doc, len, 0, 0, JSCAN_DESCEND_BOUNDED, &seen, err, sizeof err) <
		    0 &&
		strstr(err, "longer than 64 bytes") != NULL,
	    "one byte more is refused (%s)", err);
	ok(scan(doc, len, 0, 1, JSCAN_DESCEND_BOUNDED, &seen, err, sizeof err) <
		    0 &&
		strstr(err, "longer than") != NULL,
	    "... fed a byte at a time too (%s)", err);
	ok(scan(doc, len, 0, 0, JSCAN_DESCEND, &seen, err, sizeof err) == 0,
	    "a plain DESCEND is not bounded (%s)", err);
	len = bounded_doc(doc, sizeof doc, 200);
	ok(scan(doc, len, 0, 0, JSCAN_DESCEND_BOUNDED, &seen, err, sizeof err) <
		0,
	    "nor is the bound lost in a long skipped string (%s)", err);
	snprintf(doc, sizeof doc,
	    "{\"o\":{\"x\":\"%040d\"},\"p\":{\"x\":\"%040d\"},"
	    "\"q\":{\"x\":\"%040d\"}}",
	    0, 0, 0);
	ok(scan(doc, strlen(doc), 0, 0, JSCAN_DESCEND_BOUNDED, &seen, err,
	       sizeof err) == 0 &&
		seen.closes == 3,
	    "each object has a bound of its own (%s)", err);
}

int
main(void)
{
	test_cuts();
	test_string_bytes();
	test_literals();
	test_bounded();
	return done_testing();
}
