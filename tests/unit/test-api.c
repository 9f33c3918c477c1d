/*
 * test-api.c - the tailscale-api backend's readers of untrusted bytes
 * and files: the users answer, the OAuth token answer, the base URL, and
 * secret files.  Hostile input: every truncation, wrong types, ids as
 * strings and numbers, out-of-range values, unknown members.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jdoc.h"
#include "oauth.h"
#include "secret.h"
#include "tap.h"
#include "url.h"
#include "users.h"

#define SPEC_USER                                                              \
	"{\"id\":\"123456\",\"displayName\":\"Some User\",\"loginName\":"      \
	"\"someuser@example.com\",\"profilePicUrl\":\"\",\"tailnetId\":"       \
	"\"example.com\",\"created\":\"2022-12-01T05:23:30Z\",\"type\":"       \
	"\"member\",\"role\":\"admin\",\"status\":\"active\",\"deviceCount\":" \
	"4,\"lastSeen\":\"2022-12-01T05:23:30Z\",\"currentlyConnected\":true}"

/* Parse from an exactly sized heap copy, so ASan sees any over-read. */
static struct api_users *
parse_n(const char *doc, size_t len, char *err, size_t errlen)
{
	char *copy = malloc(len ? len : 1);
	struct api_users *u;

	memcpy(copy, doc, len);
	err[0] = '\0';
	if (api_users_parse(copy, len, &u, err, errlen) < 0)
		u = NULL;
	free(copy);
	return u;
}

static struct api_users *
parse(const char *doc)
{
	char err[256];
	struct api_users *u = parse_n(doc, strlen(doc), err, sizeof err);

	if (u == NULL)
		printf("#   refused: %s\n", err);
	return u;
}

static void
refused(const char *doc, const char *want, const char *what)
{
	char err[256];
	struct api_users *u = parse_n(doc, strlen(doc), err, sizeof err);

	if (!ok(u == NULL && strstr(err, want) != NULL, "refused: %s", what))
		printf("#   error \"%s\", want \"%s\"\n", err, want);
	api_users_free(u);
}

/* One user entry in an envelope: how many count, and how many are odd. */
static void
one(const char *entry, size_t want_n, size_t want_odd, const char *what)
{
	char doc[4096];
	struct api_users *u;

	snprintf(doc, sizeof doc, "{\"users\":[%s]}", entry);
	u = parse(doc);
	if (!ok(u != NULL && u->n == want_n && u->n_odd == want_odd, "%s",
		what) &&
	    u != NULL)
		printf("#   n %zu odd %zu (%s)\n", u->n, u->n_odd,
		    u->odd_reason ? u->odd_reason : "-");
	api_users_free(u);
}

static void
test_spec_example(void)
{
	struct api_users *u = parse("{\"users\":[" SPEC_USER "]}\n");

	if (!ok(u != NULL && u->n == 1, "the spec's example parses")) {
		api_users_free(u);
		return;
	}
	is_int(u->users[0].id, 123456, "id from a string of digits");
	is_str(u->users[0].login, "someuser@example.com", "loginName");
	is_str(u->users[0].display_name, "Some User", "displayName");
	is_str(u->users[0].role, "admin", "role");
	is_str(u->users[0].status, "active", "status");
	is_str(u->users[0].type, "member", "type");
	api_users_free(u);
}

/* Every proper prefix of a good answer is refused, none crashes. */
static void
test_truncations(void)
{
	const char *doc = "{\"users\":[" SPEC_USER "," SPEC_USER "]}";
	size_t len = strlen(doc), cut, accepted = 0;
	char err[256];

	for (cut = 0; cut < len; cut++) {
		struct api_users *u = parse_n(doc, cut, err, sizeof err);

		accepted += u != NULL;
		api_users_free(u);
	}
	is_int(accepted, 0, "every truncation of an answer is refused");
}

static void
test_ids(void)
{
	one("{\"id\":\"9223372036854775807\",\"loginName\":\"a@x\","
	    "\"status\":\"active\"}",
	    1, 0, "id INT64_MAX as a string");
	one("{\"id\":\"9223372036854775808\",\"loginName\":\"a@x\","
	    "\"status\":\"active\"}",
	    0, 1, "id past INT64_MAX is odd");
	one("{\"id\":\"00000000000000000000001\",\"loginName\":\"a@x\","
	    "\"status\":\"active\"}",
	    0, 1, "id of more than 19 digits is odd");
	one("{\"id\":42,\"loginName\":\"a@x\",\"status\":\"active\"}", 1, 0,
	    "id as a JSON number");
	one("{\"id\":99999999999999999999999,\"loginName\":\"a@x\","
	    "\"status\":\"active\"}",
	    0, 1, "a number past int64 is odd, not saturated");
	one("{\"id\":-5,\"loginName\":\"a@x\",\"status\":\"active\"}", 0, 1,
	    "a negative id is odd");
	one("{\"id\":1.5,\"loginName\":\"a@x\",\"status\":\"active\"}", 0, 1,
	    "a fractional id is odd");
	one("{\"id\":1e30,\"loginName\":\"a@x\",\"status\":\"active\"}", 0, 1,
	    "an id in exponent form is odd");
	one("{\"id\":\"-5\",\"loginName\":\"a@x\",\"status\":\"active\"}", 0, 1,
	    "a signed id string is odd");
	one("{\"id\":\" 5\",\"loginName\":\"a@x\",\"status\":\"active\"}", 0, 1,
	    "an id string with a space is odd");
	one("{\"id\":\"12a\",\"loginName\":\"a@x\",\"status\":\"active\"}", 0,
	    1, "an id string with a letter is odd");
	one("{\"id\":\"\",\"loginName\":\"a@x\",\"status\":\"active\"}", 0, 1,
	    "an empty id is odd");
	one("{\"id\":true,\"loginName\":\"a@x\",\"status\":\"active\"}", 0, 1,
	    "a boolean id is odd");
	one("{\"id\":null,\"loginName\":\"a@x\",\"status\":\"active\"}", 0, 1,
	    "a null id is odd");
	one("{\"loginName\":\"a@x\",\"status\":\"active\"}", 0, 1,
	    "no id is odd");
	one("{\"id\":\"0\",\"loginName\":\"a@x\",\"status\":\"active\"}", 0, 1,
	    "id 0 is odd");
	one("{\"id\":0,\"loginName\":\"a@x\",\"status\":\"active\"}", 0, 1,
	    "id 0 as a number is odd");
	one("{\"id\":\"1\",\"loginName\":\"a@x\",\"status\":\"active\"},"
	    "{\"id\":\"1\",\"loginName\":\"b@x\",\"status\":\"active\"},"
	    "{\"id\":\"2\",\"loginName\":\"c@x\",\"status\":\"active\"}",
	    1, 2, "two users with one id are both odd; the third stays");
}

static void
test_status(void)
{
	one("{\"id\":\"1\",\"loginName\":\"a@x\",\"status\":\"idle\"}", 1, 0,
	    "idle users count");
	one("{\"id\":\"1\",\"loginName\":\"a@x\",\"status\":\"suspended\"},"
	    "{\"id\":\"2\",\"loginName\":\"b@x\",\"status\":\"needs-approval\"}"
	    ","
	    "{\"id\":\"3\",\"loginName\":\"c@x\","
	    "\"status\":\"over-billing-limit\"}",
	    0, 0, "suspended, needs-approval, over-billing-limit do not count");
	one("{\"id\":\"1\",\"loginName\":\"a@x\",\"status\":\"Active\"}", 0, 1,
	    "an unknown status is odd");
	one("{\"id\":\"1\",\"loginName\":\"a@x\"}", 0, 1, "no status is odd");
	one("{\"id\":\"2147455555\",\"loginName\":\"tagged-devices\","
	    "\"status\":\"active\"}",
	    0, 0, "the tagged-devices pseudo-user is left out");
}

static void
test_types(void)
{
	one("{\"id\":\"1\",\"loginName\":7,\"status\":\"active\"}", 0, 1,
	    "a numeric loginName is odd");
	one("{\"id\":\"1\",\"loginName\":\"\",\"status\":\"active\"}", 0, 1,
	    "an empty loginName is odd");
	one("{\"id\":\"1\",\"loginName\":\"a\\u0000b@x\",\"status\":"
	    "\"active\"}",
	    0, 1, "a loginName holding a NUL is odd");
	one("{\"id\":\"1\",\"loginName\":\"a\\nb@x\",\"status\":"
	    "\"active\"}",
	    0, 1, "a loginName with a newline is odd");
	one("{\"id\":\"1\",\"loginName\":\"a@x\",\"status\":\"active\","
	    "\"role\":\"admin\\u001b[31m\"}",
	    0, 1, "a role with an escape byte is odd");
	one("{\"id\":\"1\",\"loginName\":\"a@x\",\"status\":\"active\","
	    "\"displayName\":\"tab\\there\"}",
	    1, 0, "a display name may hold a tab (free text)");
	one("{\"id\":\"1\",\"loginName\":\"a@x\",\"status\":\"active\","
	    "\"displayName\":[1]}",
	    0, 1, "an array displayName is odd");
	one("{\"id\":\"1\",\"loginName\":\"a@x\",\"status\":\"active\","
	    "\"role\":{}}",
	    0, 1, "an object role is odd");
	one("{\"id\":\"1\",\"loginName\":\"a@x\",\"status\":\"active\","
	    "\"displayName\":null,\"role\":null}",
	    1, 0, "null optional members are absent");
	one("17", 0, 1, "a number in users is odd");
	one("{\"id\":\"1\",\"loginName\":\"a@x\",\"status\":\"active\","
	    "\"future\":{\"a\":[1,2,{\"b\":null}]},\"deviceCount\":\"x\"}",
	    1, 0, "unknown and mistyped unused members are ignored");
	one("{\"i\\u0064\":\"1\",\"login\\u004eame\":\"a@x\","
	    "\"status\":\"\\u0061ctive\"}",
	    1, 0, "escaped keys and strings are read decoded");
	one("{\"id\":true,\"id\":\"1\",\"loginName\":7,\"loginName\":\"a@x\","
	    "\"status\":\"active\"}",
	    1, 0, "the last of duplicate members counts");
	one("{\"id\":\"1\",\"loginName\":\"a@x\",\"status\":\"active\","
	    "\"loginName\":null}",
	    0, 1, "... even when it is null");
	refused("[]", "no \"users\" array", "a top-level array");
	refused("{\"users\":{}}", "no \"users\" array", "users as an object");
	refused("{\"users\":null}", "no \"users\" array", "users null");
	refused("{}", "no \"users\" array", "no users member");
	refused("", "empty answer", "an empty body");
	refused("<html>not json", "", "garbage");
	refused("{\"users\":[]} x", "data after", "data after the document");
	refused("{\"users\":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]}", "",
	    "nesting past the depth bound");
}

static void
test_long_login(void)
{
	char entry[1024], login[300];

	memset(login, 'a', 256 - 2);
	memcpy(login + 254, "@x", 3);
	snprintf(entry, sizeof entry,
	    "{\"id\":\"1\",\"loginName\":\"%s\",\"status\":\"active\"}", login);
	one(entry, 1, 0, "a login of 256 bytes counts");
	memset(login, 'a', 257 - 2);
	memcpy(login + 255, "@x", 3);
	snprintf(entry, sizeof entry,
	    "{\"id\":\"1\",\"loginName\":\"%s\",\"status\":\"active\"}", login);
	one(entry, 0, 1, "a login of 257 bytes is odd");
}

static void
test_empty_and_large(void)
{
	size_t n = 20000, i, len;
	char *doc = malloc(n * 96 + 32), err[256];
	struct api_users *u = parse("{\"users\":[]}");

	ok(u != NULL && u->n == 0, "an empty list parses to no users");
	api_users_free(u);
	len = (size_t)sprintf(doc, "{\"users\":[");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(doc + len,
		    "%s{\"id\":\"%zu\",\"loginName\":\"u%zu@example.com\","
		    "\"status\":\"active\"}",
		    i ? "," : "", i + 1, i);
	len += (size_t)sprintf(doc + len, "]}");
	u = parse_n(doc, len, err, sizeof err);
	ok(u != NULL && u->n == n, "20000 users parse");
	api_users_free(u);
	free(doc);
}

/* Feed doc in pieces of at most step bytes: the parsed answer or NULL. */
static struct api_users *
parse_pieces(const char *doc, size_t len, size_t step, char *err, size_t errlen)
{
	struct jdoc *p = api_users_parser_new();
	struct api_users *u = NULL;
	size_t i, n;
	int rc = 0;

	err[0] = '\0';
	for (i = 0; i < len && rc == 0; i += n) {
		n = len - i < step ? len - i : step;
		rc = jdoc_feed(p, doc + i, n, err, errlen);
	}
	if (rc == 0 && api_users_parser_finish(p, &u, err, errlen) < 0)
		u = NULL;
	jdoc_free(p);
	return u;
}

static int
same(const struct api_users *a, const struct api_users *b)
{
	size_t i;

	if (a->n != b->n || a->n_odd != b->n_odd ||
	    a->n_inactive != b->n_inactive || a->n_pseudo != b->n_pseudo)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->users[i].id != b->users[i].id ||
		    strcmp(a->users[i].login, b->users[i].login) != 0 ||
		    strcmp(a->users[i].display_name,
			b->users[i].display_name) != 0)
			return 0;
	return 1;
}

/* The answer arrives in pieces cut anywhere: the same users. */
static void
test_pieces(void)
{
	const char *doc =
	    "{\"users\":[" SPEC_USER ",{\"id\":7,\"loginName\":\"b\\u00e9@x\","
	    "\"status\":\"idle\",\"displayName\":\"B \\\"q\\\"\"},"
	    "{\"id\":\"2147455555\",\"loginName\":\"tagged-devices\","
	    "\"status\":\"active\"},17,{\"id\":\"9\",\"loginName\":\"s@x\","
	    "\"status\":\"suspended\"}],\"nextCursor\":null}\n";
	size_t len = strlen(doc), step, differ = 0;
	struct api_users *whole = parse(doc), *u;
	char err[256];

	if (!ok(whole != NULL && whole->n == 2 && whole->n_odd == 1 &&
		    whole->n_pseudo == 1 && whole->n_inactive == 1,
		"a mixed answer parses whole"))
		return;
	for (step = 1; step < len; step++) {
		u = parse_pieces(doc, len, step, err, sizeof err);
		differ += u == NULL || !same(u, whole);
		api_users_free(u);
	}
	ok(differ == 0,
	    "fed 1 to %zu bytes at a time: the same users (%zu differ)",
	    len - 1, differ);
	api_users_free(whole);
}

/* Refusals of what only a stream can send: no end, no bound. */
static void
test_pieces_hostile(void)
{
	struct jdoc *p = api_users_parser_new();
	char err[256], *doc;
	size_t i, n = 100000;
	int rc;

	rc = jdoc_feed(p, "{\"users\":[", 10, err, sizeof err);
	for (i = 0; i < n && rc == 0; i++)
		rc = jdoc_feed(p, "[", 1, err, sizeof err);
	ok(rc < 0 && i < 20 && strstr(err, "too deep"),
	    "'[' a byte at a time: refused at once (%zu, %s)", i, err);
	jdoc_free(p);

	doc = malloc(n + 64);
	strcpy(doc, "{\"users\":[{\"loginName\":\"");
	memset(doc + strlen(doc), 'a', n);
	strcpy(doc + 24 + n, "\"}]}");
	ok(parse_pieces(doc, strlen(doc), 4096, err, sizeof err) == NULL &&
		strstr(err, "longer than"),
	    "one entry of 100000 bytes is refused (%s)", err);

	strcpy(doc, "{\"users\":[{\"x\":\"");
	memset(doc + strlen(doc), 'a', n);
	strcpy(doc + 16 + n, "\"}]}");
	ok(parse_pieces(doc, strlen(doc), 4096, err, sizeof err) == NULL &&
		strstr(err, "longer than"),
	    "one entry of 100000 bytes of a member not read is refused (%s)",
	    err);
	free(doc);

	refused(
	    "{\"users\":[],\"users\":[]}", "two \"users\"", "two users arrays");
	refused("{\"users\":[]}{\"users\":[]}", "data after", "two documents");
	refused("{\"users\":[{\"id\":\"1\",\"loginName\":\"a@x\","
		"\"status\":\"active\"},tru]}",
	    "", "a broken literal among the entries");
}

static void
test_oauth(void)
{
	char err[256], *tok = NULL, *form;
	long exp = 0;
	const char *good = "{\"access_token\":\"EXAMPLE-tok\",\"token_type\":"
			   "\"Bearer\",\"expires_in\":3600,\"scope\":\"x\"}";
	const char *bad[] = {"", "{\"access_token\":\"a", "[]", "{}",
	    "{\"access_token\":5}", "{\"access_token\":\"\"}",
	    "{\"access_token\":\"a b\"}",
	    "{\"access_token\":\"a\",\"token_type\":\"mac\"}",
	    "{\"access_token\":\"a\",\"expires_in\":\"60\"}",
	    "{\"access_token\":\"a\",\"expires_in\":0}",
	    "{\"access_token\":\"a\",\"expires_in\":-3}"};
	const char *huge = "{\"access_token\":\"t\",\"expires_in\":"
			   "99999999999999}";
	const char *bare = "{\"access_token\":\"t\"}";
	size_t i, refused_n = 0;

	ok(oauth_parse(good, strlen(good), &tok, &exp, err, sizeof err) == 0,
	    "a token answer parses");
	is_str(tok, "EXAMPLE-tok", "the access token");
	is_int(exp, 3600, "expires_in");
	secret_free(tok);
	ok(oauth_parse(bare, strlen(bare), &tok, &exp, err, sizeof err) == 0 &&
		exp == OAUTH_DEFAULT_EXPIRY,
	    "no expires_in: the documented hour");
	secret_free(tok);
	ok(oauth_parse(huge, strlen(huge), &tok, &exp, err, sizeof err) == 0 &&
		exp == 86400 * 366,
	    "a huge expires_in is capped");
	secret_free(tok);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tok = NULL;
		refused_n += oauth_parse(bad[i], strlen(bad[i]), &tok, &exp,
				 err, sizeof err) < 0 &&
			     tok == NULL;
	}
	is_int(refused_n, sizeof bad / sizeof bad[0],
	    "bad token answers are refused");
	form = oauth_form("id 1", "s&e=c+r/t");
	is_str(form,
	    "grant_type=client_credentials&client_id=id%201&client_secret="
	    "s%26e%3Dc%2Br%2Ft",
	    "the form escapes both values");
	secret_free(form);
}

static void
url_ok(const char *url, const char *want)
{
	char err[256], *got = api_url_check(url, err, sizeof err);

	if (!ok(got != NULL && strcmp(got, want) == 0, "url %s accepted", url))
		printf("#   %s\n", got ? got : err);
	free(got);
}

static void
url_bad(const char *url, const char *want)
{
	char err[256], *got = api_url_check(url, err, sizeof err);

	if (!ok(got == NULL && strstr(err, want) != NULL, "url %s refused",
		url))
		printf("#   %s\n", got ? got : err);
	free(got);
}

static void
test_urls(void)
{
	char *e;

	url_ok("https://api.tailscale.com", "https://api.tailscale.com");
	url_ok("https://hs.example.com:8443/base/",
	    "https://hs.example.com:8443/base");
	url_ok("http://127.0.0.1:8080", "http://127.0.0.1:8080");
	url_ok("http://127.9.9.9", "http://127.9.9.9");
	url_ok("http://[::1]:99", "http://[::1]:99");
	url_ok("http://localhost:1/", "http://localhost:1");
	url_bad("http://api.tailscale.com", "loopback");
	url_bad("http://127.0.0.1.example.com", "loopback");
	url_bad("http://10.0.0.1", "loopback");
	url_bad("http://[::2]", "loopback");
	url_bad("ftp://example.com", "https://");
	url_bad("api.tailscale.com", "https://");
	url_bad("https://tskey:secret@api.example.com", "user name");
	url_bad("https://api.example.com/?x=1", "query");
	e = api_escape("my tailnet/é");
	is_str(e, "my%20tailnet%2F%C3%A9", "a tailnet is path-escaped");
	free(e);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, text, strlen(text)) < 0 || fchmod(fd, mode) < 0)
		printf("#   cannot write %s\n", path);
	if (fd >= 0)
		close(fd);
}

static void
secret_case(const char *path, const char *text, mode_t mode, const char *want,
    const char *what)
{
	char err[512], *s = NULL;
	int rc;

	write_file(path, text, mode);
	rc = secret_read("api_key_file", path, &s, err, sizeof err);
	if (want == NULL) {
		if (!ok(rc == 0 && s && strcmp(s, "tskey-api-k123") == 0, "%s",
			what))
			printf("#   %s\n", rc == 0 ? s : err);
	} else if (!ok(rc < 0 && s == NULL && strstr(err, want) != NULL &&
			   strstr(err, "tskey-api") == NULL,
		       "%s", what)) {
		printf("#   %s\n", rc == 0 ? "accepted" : err);
	}
	secret_free(s);
}

static void
test_secrets(void)
{
	char dir[] = "/tmp/test-api.XXXXXX", path[64], err[256], *s = NULL;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof path, "%s/key", dir);
	secret_case(path, "tskey-api-k123\n", 0600, NULL,
	    "a 0600 key file is read, its newline dropped");
	secret_case(path, "tskey-api-k123", 0400, NULL, "a 0400 key file too");
	secret_case(path, "tskey-api-k123\n", 0644, "chmod 600",
	    "a key file others can read is refused with the fix");
	secret_case(path, "tskey-api-k123\n", 0620, "chmod 600",
	    "a key file the group can write is refused");
	secret_case(path, "\n", 0600, "is empty", "an empty key file");
	secret_case(path, "tskey-api-k123 extra\n", 0600, "one token",
	    "two words are refused");
	if (geteuid() == 0) {
		write_file(path, "tskey-api-k123\n", 0600);
		if (chown(path, 65534, 65534) < 0)
			printf("#   chown failed\n");
		ok(secret_read("api_key_file", path, &s, err, sizeof err) < 0 &&
			strstr(err, "chown root") != NULL,
		    "a key file owned by another user is refused");
	} else {
		printf("ok %d - # SKIP owner check needs root\n", ++tap_n);
	}
	unlink(path);
	ok(secret_read("api_key_file", path, &s, err, sizeof err) < 0 &&
		strstr(err, path) != NULL,
	    "a missing key file is named");
	ok(secret_read("api_key_file", dir, &s, err, sizeof err) < 0,
	    "a directory is refused");
	rmdir(dir);
}

/* credential:NAME reads $CREDENTIALS_DIRECTORY/NAME, or says why not. */
static void
test_credentials(void)
{
	char dir[] = "/tmp/test-api.XXXXXX", path[64], err[512], *s = NULL;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof path, "%s/tsapi-key", dir);
	write_file(path, "tskey-api-k123\n", 0400);
	unsetenv("CREDENTIALS_DIRECTORY");
	ok(secret_read("api_key_file", "credential:tsapi-key", &s, err,
	       sizeof err) < 0 &&
		s == NULL && strstr(err, "CREDENTIALS_DIRECTORY") != NULL &&
		strstr(err, "LoadCredential=tsapi-key:") != NULL,
	    "credential: without $CREDENTIALS_DIRECTORY says to use "
	    "LoadCredential=");
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	if (!ok(secret_read("api_key_file", "credential:tsapi-key", &s, err,
		    sizeof err) == 0 &&
		    s && strcmp(s, "tskey-api-k123") == 0,
		"credential:NAME reads $CREDENTIALS_DIRECTORY/NAME"))
		printf("#   %s\n", err);
	secret_free(s);
	s = NULL;
	ok(secret_read("api_key_file", "credential:../tsapi-key", &s, err,
	       sizeof err) < 0 &&
		strstr(err, "credential name") != NULL,
	    "a credential name with '/' is refused");
	ok(secret_read("api_key_file", "credential:", &s, err, sizeof err) < 0,
	    "an empty credential name is refused");
	ok(secret_read(
	       "api_key_file", "credential:other", &s, err, sizeof err) < 0 &&
		strstr(err, "other") != NULL,
	    "a credential systemd did not pass is named");
	unsetenv("CREDENTIALS_DIRECTORY");
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	test_spec_example();
	test_truncations();
	test_ids();
	test_status();
	test_types();
	test_long_login();
	test_empty_and_large();
	test_pieces();
	test_pieces_hostile();
	test_oauth();
	test_urls();
	test_secrets();
	test_credentials();
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
