/*
 * test-status.c - the LocalAPI status parser on the fixture and on broken,
 * hostile and odd documents.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jdoc.h"
#include "status.h"
#include "tap.h"

#define HEAD "{\"BackendState\":\"Running\",\"User\":{"

/* Parse from an exactly sized heap copy, so ASan sees any over-read. */
static struct ts_status *
parse_n(const char *doc, size_t len, char *err, size_t errlen)
{
	char *copy = malloc(len ? len : 1);
	struct ts_status *st;

	memcpy(copy, doc, len);
	err[0] = '\0';
	if (ts_status_parse(copy, len, &st, err, errlen) < 0)
		st = NULL;
	free(copy);
	return st;
}

static struct ts_status *
parse(const char *doc, char *err, size_t errlen)
{
	return parse_n(doc, strlen(doc), err, errlen);
}

static void
bad_n(const char *doc, size_t len, const char *want, const char *what)
{
	char err[256];
	struct ts_status *st = parse_n(doc, len, err, sizeof err);

	if (!ok(st == NULL && strstr(err, want) != NULL, "refused: %s", what))
		printf("#   error was \"%s\", want \"%s\"\n", err, want);
	ts_status_free(st);
}

static void
bad(const char *doc, const char *want, const char *what)
{
	bad_n(doc, strlen(doc), want, what);
}

/* A document that parses; returns it for more checks, NULL if refused. */
static struct ts_status *
good(const char *doc, const char *what)
{
	char err[256];
	struct ts_status *st = parse(doc, err, sizeof err);

	ok(st != NULL, "accepted: %s (%s)", what, err);
	return st;
}

static void
check_user(const struct ts_status *st, size_t i, int64_t id, const char *login,
    const char *display)
{
	char what[64];

	if (!ok(i < st->n_users, "user %zu exists", i))
		return;
	snprintf(what, sizeof what, "user %zu id", i);
	is_int(st->users[i].id, id, what);
	snprintf(what, sizeof what, "user %zu login", i);
	is_str(st->users[i].login, login, what);
	snprintf(what, sizeof what, "user %zu display name", i);
	is_str(st->users[i].display_name, display, what);
}

static void
test_fixture(const char *doc, size_t len)
{
	char err[256];
	struct ts_status *st = parse_n(doc, len, err, sizeof err);

	if (!ok(st != NULL, "fixture parses (%s)", err))
		return;
	is_str(st->backend_state, "Running", "fixture BackendState");
	is_str(st->tailnet, "example.com", "fixture CurrentTailnet.Name");
	is_int(st->n_users, 6, "fixture has 6 profiles, tagged-devices too");
	is_int(st->n_skipped, 0, "fixture: nothing skipped");
	/* sorted by id */
	check_user(st, 0, 2147455555, "tagged-devices", "Tagged Devices");
	check_user(st, 1, INT64_C(6012345678901234), "alice@example.com",
	    "Alice Liddell");
	check_user(st, 2, INT64_C(6012345678905555), "jose.nunez@example.com",
	    "Jos\xc3\xa9 N\xc3\xba\xc3\xb1"
	    "ez");
	check_user(
	    st, 3, INT64_C(6012345678907777), "octocat@github", "The Octocat");
	check_user(
	    st, 4, INT64_C(6012345678909999), "Bob@Example.com", "Bob Builder");
	check_user(st, 5, INT64_C(7000000000000042), "carol@partner.org",
	    "Carol (partner)");
	ts_status_free(st);
}

/*
 * Every prefix that stops before the closing brace must fail, cleanly
 * (ASan watches), with "truncated" or "empty"; the ones that only drop
 * trailing whitespace are whole documents.
 */
static void
test_truncated(const char *doc, size_t len)
{
	size_t n, end = len, fails = 0, first_bad = (size_t)-1;
	char err[256];
	struct ts_status *st;

	while (end > 0 && doc[end - 1] != '}')
		end--;
	for (n = 0; n < len; n++) {
		st = parse_n(doc, n, err, sizeof err);
		if (n < end && st == NULL &&
		    (strstr(err, "truncated") || strstr(err, "empty")))
			fails++;
		else if (n >= end && st != NULL)
			fails++;
		else if (first_bad == (size_t)-1)
			first_bad = n;
		ts_status_free(st);
	}
	if (!ok(fails == len, "each of %zu truncations of the fixture refused",
		end))
		printf(
		    "#   first wrong at length %zu: \"%s\"\n", first_bad, err);
}

static void
test_trailing(const char *doc, size_t len)
{
	char *buf = malloc(len + 8);
	struct ts_status *st;
	char err[256];

	memcpy(buf, doc, len);
	memcpy(buf + len, "x", 1);
	bad_n(buf, len + 1, "trailing data", "fixture followed by 'x'");
	memcpy(buf + len, "{}", 2);
	bad_n(buf, len + 2, "trailing data", "fixture followed by '{}'");
	memcpy(buf + len, "\0", 1);
	bad_n(buf, len + 1, "trailing data", "fixture followed by a NUL");
	memcpy(buf + len, " \t\r\n", 4);
	st = parse_n(buf, len + 4, err, sizeof err);
	ok(st != NULL, "trailing whitespace is fine (%s)", err);
	ts_status_free(st);
	free(buf);
}

static void
test_syntax(void)
{
	bad("", "empty", "empty document");
	bad(" \n", "empty", "whitespace only");
	bad("{", "truncated", "lone {");
	bad("{\"BackendState\":\"Running\",}", "bad JSON", "trailing comma");
	bad("[]", "not an object", "top-level array");
	bad("\"Running\"", "not an object", "top-level string");
	bad("{\"BackendState\":\"Run\xff\"}", "bad JSON", "invalid UTF-8");
	bad_n("{\"BackendState\":\"Ru\0ning\"}", 26, "bad JSON",
	    "raw NUL in a string");
	/* the peers are skipped, not parsed, but checked all the same */
	bad("{\"BackendState\":\"Running\",\"Peer\":{\"k\":{\"A\":tru}}}",
	    "bad JSON", "a broken literal in a skipped peer");
	bad("{\"BackendState\":\"Running\",\"Peer\":{\"k\":{\"A\":01}}}",
	    "bad JSON", "a leading zero in a skipped peer");
	bad("{\"BackendState\":\"Running\",\"Peer\":{\"k\":{\"A\":\"\\q\"}}}",
	    "bad JSON", "a bad escape in a skipped peer");
}

static void
test_deep(void)
{
	const char *head = "{\"BackendState\":\"Running\",\"X\":";
	size_t depth = 10000, hl = strlen(head), i;
	char *doc = malloc(hl + 2 * depth + 2);

	memcpy(doc, head, hl);
	for (i = 0; i < depth; i++) {
		doc[hl + i] = '[';
		doc[hl + depth + i] = ']';
	}
	doc[hl + 2 * depth] = '}';
	doc[hl + 2 * depth + 1] = '\0';
	bad(doc, "too deep", "arrays nested 10000 deep");
	free(doc);
}

static void
test_state(void)
{
	struct ts_status *st;

	bad("{\"User\":{}}", "no BackendState", "missing BackendState");
	bad("{\"BackendState\":null}", "no BackendState", "null BackendState");
	bad("{\"BackendState\":1}", "not a string", "numeric BackendState");
	st = good("{\"BackendState\":\"NeedsLogin\",\"User\":null,"
		  "\"Peer\":null,\"CurrentTailnet\":null}",
	    "NeedsLogin with null maps");
	if (st != NULL) {
		is_str(st->backend_state, "NeedsLogin", "state reported");
		is_int(st->n_users, 0, "no users");
		ok(st->tailnet == NULL, "no tailnet");
	}
	ts_status_free(st);
	st = good("{\"BackendState\":\"Stopped\",\"Peer\":{\"k\":{}}}",
	    "not Running: peers without users do not matter");
	ts_status_free(st);
	st =
	    good("{\"BackendState\":\"Running\"}", "Running, no User, no Peer");
	if (st != NULL)
		is_int(st->n_users, 0, "no users");
	ts_status_free(st);
	ts_status_free(good("{\"BackendState\":\"Running\",\"Peer\":{}}",
	    "Running, no User, empty Peer"));
	bad("{\"BackendState\":\"Running\",\"Peer\":{\"nodekey:1\":{}}}",
	    "User is missing but Peer lists 1", "Running, peers, no User");
	bad("{\"BackendState\":\"Running\",\"Peer\":[]}", "Peer is a array",
	    "Running, no User, Peer an array");
	bad("{\"BackendState\":\"Running\",\"User\":[]}", "not an object",
	    "User an array");
	bad("{\"BackendState\":\"Running\",\"User\":\"x\"}", "not an object",
	    "User a string");
	bad(HEAD "\"1\":[]}}", "User[\"1\"] is not an object",
	    "a profile that is an array");
}

static void
test_ids(void)
{
	struct ts_status *st;

	bad(HEAD "\"1500\":{\"ID\":1.5e3,\"LoginName\":\"a@b\"}}}",
	    "User[\"1500\"].ID is a double", "ID as a double");
	bad(HEAD "\"1500\":{\"ID\":\"1500\",\"LoginName\":\"a@b\"}}}",
	    "User[\"1500\"].ID is a string", "ID as a string");
	bad(HEAD "\"1\":{\"ID\":true,\"LoginName\":\"a@b\"}}}",
	    "User[\"1\"].ID is a boolean", "ID as a boolean");
	bad(HEAD "\"1\":{\"LoginName\":\"a@b\"}}}", "User[\"1\"] has no ID",
	    "ID missing");
	bad(HEAD "\"9223372036854775808\":{\"ID\":9223372036854775808,"
		 "\"LoginName\":\"a@b\"}}}",
	    "User[\"9223372036854775808\"].ID is out of range", "ID 2^63");
	bad(HEAD "\"9223372036854775807\":{\"ID\":99999999999999999999999,"
		 "\"LoginName\":\"a@b\"}}}",
	    "out of range", "ID far beyond int64, key at INT64_MAX");
	bad(HEAD "\"-9223372036854775808\":{\"ID\":-9223372036854775809,"
		 "\"LoginName\":\"a@b\"}}}",
	    "out of range", "ID below int64");
	bad(HEAD "\"0\":{\"ID\":0,\"LoginName\":\"a@b\"}}}", "not positive",
	    "ID 0");
	bad(HEAD "\"-5\":{\"ID\":-5,\"LoginName\":\"a@b\"}}}", "not positive",
	    "negative ID");
	bad(HEAD "\"1\":{\"ID\":2,\"LoginName\":\"a@b\"}}}",
	    "User[\"1\"] holds the profile of ID 2", "key and ID differ");
	bad(HEAD "\"01\":{\"ID\":1,\"LoginName\":\"a@b\"}}}",
	    "holds the profile of ID 1", "key with a leading zero");
	bad(HEAD "\"x\\\"\\n12345678901234567890123456789\":{\"ID\":1,"
		 "\"LoginName\":\"a@b\"}}}",
	    "User[\"x??123456789012345678901...\"]", "odd key quoted safely");
	st = good(HEAD "\"9007199254740993\":{\"ID\":9007199254740993,"
		       "\"LoginName\":\"big@example.com\"}}}",
	    "ID 2^53+1");
	if (st != NULL && ok(st->n_users == 1, "one user"))
		ok(st->users[0].id == INT64_C(9007199254740993),
		    "ID 2^53+1 round-trips exactly (%" PRId64 ")",
		    st->users[0].id);
	ts_status_free(st);
	st = good(HEAD "\"9223372036854775806\":{\"ID\":9223372036854775806,"
		       "\"LoginName\":\"max@example.com\"}}}",
	    "ID INT64_MAX-1");
	ts_status_free(st);
	st = parse(HEAD "\"1\\u0000x\":{\"ID\":1,\"LoginName\":\"a@b\"},"
			"\"1\":{\"ID\":1,\"LoginName\":\"c@d\"}}}",
	    (char[256]){0}, 256);
	ok(st == NULL || st->n_users == 1, "a key hiding a NUL never "
					   "yields a duplicate id");
	ts_status_free(st);
}

/* One profile with the given LoginName JSON, next to a good one. */
static void
skipped(const char *login_json, const char *why, const char *what)
{
	char doc[1024];
	struct ts_status *st;

	snprintf(doc, sizeof doc,
	    HEAD "\"7\":{\"ID\":7%s},\"8\":{\"ID\":8,\"LoginName\":\"ok@x\"}}}",
	    login_json);
	st = good(doc, what);
	if (st == NULL)
		return;
	is_int(st->n_users, 1, "the odd profile is dropped");
	is_int(st->n_skipped, 1, "and counted");
	if (!ok(st->skip_reason && strstr(st->skip_reason, why),
		"with a reason naming it"))
		printf("#   reason \"%s\", want \"%s\"\n",
		    st->skip_reason ? st->skip_reason : "(null)", why);
	if (st->n_users == 1)
		is_str(st->users[0].login, "ok@x", "the good one stays");
	ts_status_free(st);
}

static void
test_logins(void)
{
	char login[300], doc[1024];
	struct ts_status *st;

	skipped("", "User[\"7\"] has no LoginName", "LoginName missing");
	skipped(",\"LoginName\":null", "has no LoginName", "LoginName null");
	skipped(",\"LoginName\":42", "not a string", "LoginName a number");
	skipped(",\"LoginName\":[\"a\"]", "not a string", "LoginName array");
	skipped(",\"LoginName\":\"\"", "empty", "LoginName empty");
	skipped(",\"LoginName\":\"a\\nb@x\"", "control", "newline in login");
	skipped(",\"LoginName\":\"a\\u0000@x\"", "control", "NUL in login");
	memset(login, 'a', 257);
	login[257] = '\0';
	snprintf(doc, sizeof doc, ",\"LoginName\":\"%s\"", login);
	skipped(doc, "longer than 256", "LoginName of 257 bytes");

	login[256] = '\0';
	snprintf(doc, sizeof doc,
	    HEAD "\"7\":{\"ID\":7,\"LoginName\":\"%s\"}}}", login);
	st = good(doc, "LoginName of 256 bytes");
	if (st != NULL && ok(st->n_users == 1, "kept"))
		is_int(strlen(st->users[0].login), 256, "whole");
	ts_status_free(st);
}

static void
test_display_and_unknown(void)
{
	struct ts_status *st;

	st = good("{\"Future\":{\"x\":[1,2,{\"y\":null}]},\"BackendState\":"
		  "\"Running\",\"User\":{\"3\":{\"ID\":3,\"LoginName\":"
		  "\"a@b\",\"Roles\":[\"admin\"],\"New\":1.5},\"2\":{\"ID\":2,"
		  "\"LoginName\":\"c@d\",\"DisplayName\":7},\"1\":{\"ID\":1,"
		  "\"LoginName\":\"e@f\",\"DisplayName\":\"E\\u0000F\"}},"
		  "\"CurrentTailnet\":{\"Name\":5}}",
	    "unknown fields everywhere");
	if (st != NULL && ok(st->n_users == 3, "three users")) {
		check_user(st, 0, 1, "e@f", "E");
		check_user(st, 1, 2, "c@d", "");
		check_user(st, 2, 3, "a@b", "");
		ok(st->tailnet == NULL, "non-string tailnet name ignored");
	}
	ts_status_free(st);
}

/* Feed doc in pieces of at most step bytes: the parsed answer or NULL. */
static struct ts_status *
parse_pieces(const char *doc, size_t len, size_t step, char *err, size_t errlen)
{
	struct jdoc *sp = ts_status_parser_new();
	struct ts_status *st = NULL;
	size_t i, n;
	int rc = 0;

	err[0] = '\0';
	for (i = 0; i < len && rc == 0; i += n) {
		n = len - i < step ? len - i : step;
		rc = jdoc_feed(sp, doc + i, n, err, errlen);
	}
	if (rc == 0 && ts_status_parser_finish(sp, &st, err, errlen) < 0)
		st = NULL;
	jdoc_free(sp);
	return st;
}

static int
same_users(const struct ts_status *a, const struct ts_status *b)
{
	size_t i;

	if (a->n_users != b->n_users || a->n_skipped != b->n_skipped ||
	    strcmp(a->backend_state, b->backend_state) != 0)
		return 0;
	for (i = 0; i < a->n_users; i++)
		if (a->users[i].id != b->users[i].id ||
		    strcmp(a->users[i].login, b->users[i].login) != 0 ||
		    strcmp(a->users[i].display_name,
			b->users[i].display_name) != 0 ||
		    a->users[i].n_groups != b->users[i].n_groups)
			return 0;
	return 1;
}

/*
 * The answer arrives in pieces cut anywhere (inside a key, a string, an
 * escape, a number, a UTF-8 sequence): the same users whatever the cuts.
 */
static void
test_pieces(const char *doc, size_t len)
{
	static const size_t steps[] = {1, 2, 3, 7, 64, 4096};
	struct ts_status *whole, *st;
	size_t i, cut, differ = 0;
	char err[256];

	whole = parse_n(doc, len, err, sizeof err);
	if (!ok(whole != NULL, "the fixture parses whole (%s)", err))
		return;
	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		st = parse_pieces(doc, len, steps[i], err, sizeof err);
		if (!ok(st != NULL && same_users(st, whole),
			"fed %zu bytes at a time: the same users", steps[i]))
			printf("#   %s\n", err);
		ts_status_free(st);
	}
	for (cut = 1; cut < len; cut++) {
		struct jdoc *sp = ts_status_parser_new();

		st = NULL;
		if (jdoc_feed(sp, doc, cut, err, sizeof err) < 0 ||
		    jdoc_feed(sp, doc + cut, len - cut, err, sizeof err) < 0 ||
		    ts_status_parser_finish(sp, &st, err, sizeof err) < 0 ||
		    !same_users(st, whole))
			differ++;
		ts_status_free(st);
		jdoc_free(sp);
	}
	is_int(differ, 0, "cut in two at every byte: the same users");
	ts_status_free(whole);
}

/* Refusals that only show across pieces: trailing data, depth, twice. */
static void
test_pieces_hostile(void)
{
	struct jdoc *sp = ts_status_parser_new();
	const char *doc = "{\"BackendState\":\"Running\"}";
	char err[256];
	size_t i;
	int rc = 0;

	ok(jdoc_feed(sp, doc, strlen(doc), err, sizeof err) == 0,
	    "a whole document");
	ok(jdoc_feed(sp, " \n", 2, err, sizeof err) == 0,
	    "then blanks in a piece of their own");
	ok(jdoc_feed(sp, "{", 1, err, sizeof err) < 0 &&
		strstr(err, "trailing data") != NULL,
	    "then a second document in the next piece is refused (%s)", err);
	jdoc_free(sp);

	sp = ts_status_parser_new();
	jdoc_feed(sp, "{\"X\":", 5, err, sizeof err);
	for (i = 0; i < 100000 && rc == 0; i++)
		rc = jdoc_feed(sp, "[", 1, err, sizeof err);
	ok(rc < 0 && i <= TS_STATUS_MAX_DEPTH && strstr(err, "too deep"),
	    "'[' a byte at a time: refused at depth %zu (%s)", i, err);
	jdoc_free(sp);

	bad(HEAD "\"1\":{\"ID\":1,\"LoginName\":\"a@b\"}},\"User\":{\"2\":"
		 "{\"ID\":2,\"LoginName\":\"c@d\"}}}",
	    "User or Peer twice", "two User maps");
	bad("{\"BackendState\":\"Running\",\"Peer\":{},\"Peer\":{\"k\":{}}}",
	    "User or Peer twice", "two Peer maps");
	/* found while selecting, not lost to a value captured after it */
	bad("{\"Peer\":\"x\",\"Peer\":{},\"BackendState\":\"Running\"}",
	    "User or Peer twice", "Peer twice, then a value in the same piece");
	bad(HEAD "\"1\":5,\"2\":{\"ID\":3,\"LoginName\":\"a@b\"}}}",
	    "User[\"1\"] is not an object",
	    "a profile no object, then one wrong otherwise");
}

/* One profile past TS_STATUS_MAX_VALUE: refused, not grown without end. */
static void
test_huge_value(void)
{
	size_t n = TS_STATUS_MAX_VALUE + 64,
	       hl = strlen(HEAD "\"1\":{\"X\":\"");
	char *doc = malloc(n + hl + 64), err[256];
	struct ts_status *st;

	memcpy(doc, HEAD "\"1\":{\"X\":\"", hl);
	memset(doc + hl, 'a', n);
	strcpy(doc + hl + n, "\",\"ID\":1,\"LoginName\":\"a@b\"}}}");
	st = parse_pieces(doc, strlen(doc), 65536, err, sizeof err);
	ok(st == NULL && strstr(err, "longer than"),
	    "a profile of %zu bytes is refused (%s)", n, err);
	ts_status_free(st);
	free(doc);
}

/*
 * The peers (most of the answer) are skipped as they pass: parsing 20000
 * of them, 14 MB, never holds more than a few pieces of them.
 */
static void
test_peers_not_kept(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
	struct jdoc *sp = ts_status_parser_new();
	const char *head = "{\"BackendState\":\"Running\",\"Peer\":{";
	const char *tail =
	    "},\"User\":{\"1\":{\"ID\":1,\"LoginName\":\"a@b\"}}}";
	char peer[800], err[256] = "";
	size_t i, base, most = 0, used;
	struct ts_status *st = NULL;
	int rc;

	rc = jdoc_feed(sp, head, strlen(head), err, sizeof err);
	base = mallinfo2().uordblks;
	for (i = 0; i < 20000 && rc == 0; i++) {
		snprintf(peer, sizeof peer,
		    "%s\"nodekey:%064zx\":{\"UserID\":1,\"HostName\":\"h%zu\","
		    "\"Tags\":null,\"Filler\":\"%0600d\"}",
		    i ? "," : "", i, i, 0);
		rc = jdoc_feed(sp, peer, strlen(peer), err, sizeof err);
		used = mallinfo2().uordblks;
		if (used > base && used - base > most)
			most = used - base;
	}
	if (rc == 0)
		rc = jdoc_feed(sp, tail, strlen(tail), err, sizeof err);
	ok(rc == 0 && ts_status_parser_finish(sp, &st, err, sizeof err) == 0 &&
		st->n_users == 1,
	    "20000 peers and a user parse (%s)", err);
	ok(most < 64 * 1024, "the parser grew by %zu bytes at most", most);
	ts_status_free(st);
	jdoc_free(sp);
#else
	ok(1, "# SKIP no mallinfo2() here");
#endif
}

/*
 * A profile is read member by member: keys and strings decoded as json-c
 * would, the last of duplicates counting, its strings checked for UTF-8.
 */
static void
test_profile_members(void)
{
	struct ts_status *st;

	st = good(HEAD
	    "\"1\":{\"\\u0049D\":1,\"Login\\u004eame\":\"a@b\","
	    "\"Groups\":[\"g1\",\"g\\u0032\",7,\"\",null,\"g\\u0000\"]},"
	    "\"2\":{\"ID\":\"x\",\"ID\":2,\"LoginName\":7,"
	    "\"LoginName\":\"c@d\",\"DisplayName\":\"X\","
	    "\"DisplayName\":null,\"Groups\":[\"old\"],\"Groups\":null}}}",
	    "escaped keys, odd groups, duplicate members");
	if (st != NULL && ok(st->n_users == 2, "two users")) {
		check_user(st, 0, 1, "a@b", "");
		if (ok(st->users[0].n_groups == 2, "two groups of six kept"))
			ok(strcmp(st->users[0].groups[0], "g1") == 0 &&
				strcmp(st->users[0].groups[1], "g2") == 0,
			    "decoded");
		check_user(st, 1, 2, "c@d", "");
		is_int(st->users[1].n_groups, 0, "the last Groups counts");
	}
	ts_status_free(st);
	bad(HEAD "\"1\":{\"ID\":1,\"LoginName\":\"a\xff@b\"}}}", "bad JSON",
	    "invalid UTF-8 in a LoginName");
	bad(HEAD "\"1\":{\"ID\":1,\"LoginName\":\"a@b\",\"Groups\":["
		 "\"\xc0\xaf\"]}}}",
	    "bad JSON", "an overlong UTF-8 sequence in a group");
	bad(HEAD "\"1\":null}}", "User[\"1\"] is not an object",
	    "a profile that is null");
	bad(HEAD "\"1\":{\"ID\":1,\"ID\":null,\"LoginName\":\"a@b\"}}}",
	    "has no ID", "a second ID that is null");
}

int
main(void)
{
	const char *dir = getenv("fixtures");
	char path[4096];
	char *doc;
	size_t len = 0;

	snprintf(path, sizeof path, "%s/localapi-status.json",
	    dir ? dir : "tests/fixtures");
	doc = tap_slurp(path, &len);
	if (!ok(doc != NULL, "read %s", path))
		return done_testing();
	test_fixture(doc, len);
	test_truncated(doc, len);
	test_trailing(doc, len);
	test_pieces(doc, len);
	free(doc);
	test_pieces_hostile();
	test_huge_value();
	test_peers_not_kept();
	test_syntax();
	test_deep();
	test_state();
	test_ids();
	test_logins();
	test_display_and_unknown();
	test_profile_members();
	return done_testing();
}
