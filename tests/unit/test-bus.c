/*
 * test-bus.c - the IPN bus delta logic: the fixture's message sequence,
 * full rebuilds, removals by int64 NodeID, chunking, and bad streams.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "tap.h"

/* The users as "login[groups] login[groups]", and whether they changed. */
static const char *
users(struct bus *b, int *changed)
{
	static char out[4096];
	const struct tsnss_identity *ids;
	size_t n, i, j, o = 0;
	int ch;

	ids = bus_users(b, &n, &ch);
	if (changed != NULL)
		*changed = ch;
	out[0] = '\0';
	for (i = 0; ids != NULL && i < n; i++) {
		o += (size_t)snprintf(out + o, sizeof out - o, "%s%s[",
		    i ? " " : "", ids[i].login);
		for (j = 0; j < ids[i].n_groups; j++)
			o += (size_t)snprintf(out + o, sizeof out - o, "%s%s",
			    j ? "," : "", ids[i].groups[j]);
		o += (size_t)snprintf(out + o, sizeof out - o, "]");
	}
	return out;
}

static int
feed(struct bus *b, const char *s)
{
	char err[256] = "";
	int rc = bus_feed(b, s, strlen(s), err, sizeof err);

	if (rc < 0)
		printf("# feed: %s\n", err);
	return rc;
}

/* The n-th line (from 1) of doc, with its newline. */
static char *
line(const char *doc, int n)
{
	const char *p = doc, *e;

	while (--n > 0 && (p = strchr(p, '\n')) != NULL)
		p++;
	e = strchr(p, '\n');
	return strndup(p, (size_t)(e - p + 1));
}

static void
test_fixture(const char *doc)
{
	struct bus *b = bus_new(NULL, NULL);
	char *l;
	int ch, i;

	l = line(doc, 1);
	is_int(feed(b, l), 0, "fixture line 1 (InitialStatus) is accepted");
	free(l);
	ok(bus_ready(b), "the first message is a full picture");
	is_str(
	    bus_state(b), "Running", "state from InitialStatus.BackendState");
	is_str(users(b, &ch),
	    "alice@example.com[group:eng] "
	    "bob@example.com[group:eng,group:ops]",
	    "owners of untagged peers, with groups; not tagged-devices");
	ok(ch, "the first picture is a change");
	is_str(bus_version(b), "1.102.3-t53a0d659a-g8d1f2c3b4", "version");
	for (i = 2; i <= 3; i++) {
		l = line(doc, i);
		feed(b, l);
		free(l);
	}
	is_str(users(b, &ch),
	    "alice@example.com[group:eng] "
	    "bob@example.com[group:eng,group:ops] "
	    "carol@example.com[group:design]",
	    "carol joins: profile first, then her peer");
	ok(ch, "a join is a change");
	l = line(doc, 4);
	feed(b, l);
	free(l);
	users(b, &ch);
	ok(!ch, "alice going offline changes no user");
	l = line(doc, 5);
	feed(b, l);
	free(l);
	is_str(users(b, &ch),
	    "alice@example.com[group:eng] "
	    "carol@example.com[group:design]",
	    "bob's only peer removed: bob leaves (his profile stays unused)");
	ok(ch, "a removal is a change");
	l = line(doc, 6);
	feed(b, l);
	free(l);
	is_str(bus_state(b), "NeedsLogin", "State 2 is NeedsLogin");
	is_str(users(b, &ch),
	    "alice@example.com[group:eng] "
	    "carol@example.com[group:design]",
	    "a state change keeps the peers");
	ok(!ch, "and is no user change");
	bus_free(b);
}

/* Byte by byte: a line may span any number of chunks. */
static void
test_chunks(const char *doc)
{
	struct bus *b = bus_new(NULL, NULL);
	char err[256];
	size_t i, len = strlen(doc);
	int rc = 0, mid = 0;

	for (i = 0; i < len && rc == 0; i++) {
		rc = bus_feed(b, doc + i, 1, err, sizeof err);
		if (doc[i] != '\n' && bus_mid_message(b))
			mid = 1;
	}
	is_int(rc, 0, "the fixture fed one byte at a time");
	ok(mid, "mid-message is seen between chunks");
	ok(!bus_mid_message(b), "and not after the last line");
	is_str(users(b, NULL),
	    "alice@example.com[group:eng] "
	    "carol@example.com[group:design]",
	    "same users as fed by lines");
	bus_free(b);
}

#define PROFILE(id, login, name)                                               \
	"\"" #id "\":{\"ID\":" #id ",\"LoginName\":\"" login                   \
	"\",\"DisplayName\":\"" name "\"}"
#define NODE(id, user) "{\"ID\":" #id ",\"User\":" #user "}"
#define TAGGED(id, user)                                                       \
	"{\"ID\":" #id ",\"User\":" #user ",\"Tags\":[\"tag:x\"]}"

static struct bus *
three_users(void)
{
	struct bus *b = bus_new(NULL, NULL);

	feed(b, "{\"Version\":\"1.102.3\",\"State\":6,\"InitialStatus\":{"
		"\"BackendState\":\"Running\",\"Self\":{\"UserID\":9,\"Tags\":["
		"\"tag:server\"]},\"Peer\":{\"nodekey:a\":{\"NodeID\":"
		"9007199254740992,\"UserID\":11},\"nodekey:b\":{\"NodeID\":"
		"9007199254740993,\"UserID\":12},\"nodekey:c\":{\"NodeID\":3,"
		"\"UserID\":13},\"nodekey:d\":{\"NodeID\":4,\"UserID\":14,"
		"\"Tags\":[\"tag:ci\"]}},\"User\":{" PROFILE(
		    11, "dave@example.com", "Dave") "," PROFILE(12,
		    "erin@example.com", "Erin") "," PROFILE(13,
		    "frank@example.com", "Frank") "," PROFILE(14,
		    "gina@example.com", "Gina") "," PROFILE(9, "tagged-devices",
		    "Tagged Devices") "}},"
				      "\"NetMap\":null}\n");
	return b;
}

static void
test_ids_and_rebuild(void)
{
	struct bus *b = three_users();
	int ch;

	is_str(users(b, &ch),
	    "dave@example.com[] erin@example.com[] "
	    "frank@example.com[]",
	    "a peer with Tags makes nobody a user, nor does a tagged self");
	feed(b, "{\"PeersRemoved\":[9007199254740993]}\n");
	is_str(users(b, &ch), "dave@example.com[] frank@example.com[]",
	    "PeersRemoved by a NodeID above 2^53 removes that peer only");
	feed(b, "{\"PeersChanged\":[" NODE(9007199254740993, 12) "]}\n");
	is_str(users(b, &ch),
	    "dave@example.com[] erin@example.com[] "
	    "frank@example.com[]",
	    "the peer comes back; its profile was kept");
	feed(b, "{\"PeersChanged\":[" TAGGED(3, 13) "]}\n");
	is_str(users(b, &ch), "dave@example.com[] erin@example.com[]",
	    "a peer replaced with a tagged one: its owner leaves");
	feed(b, "{\"SelfChange\":{\"ID\":1,\"User\":9,\"Tags\":[\"tag:s\"]},"
		"\"NetMap\":null,\"PeersChanged\":[" NODE(9007199254740992,
		    11) "," NODE(5, 13) "],\"UserProfiles\":{}}\n");
	is_str(users(b, &ch), "dave@example.com[] frank@example.com[]",
	    "SelfChange is a full rebuild: peers not listed are gone");
	ok(ch, "and that is a change");
	feed(b, "{\"UserProfiles\":{" PROFILE(
		    11, "dave@example.com", "David") "}}\n");
	users(b, &ch);
	ok(ch, "a display name change is a change");
	feed(b, "{\"UserProfiles\":{" PROFILE(
		    11, "dave@example.com", "David") "}}\n");
	users(b, &ch);
	ok(!ch, "the same profile again is not");
	feed(b, "{\"PeersChanged\":[" NODE(77, 88) "]}\n");
	is_str(users(b, &ch), "dave@example.com[] frank@example.com[]",
	    "a peer whose owner has no profile yet is left out");
	bus_free(b);
}

/* A peer's members: only ID, User and Tags count, the last of each. */
static void
test_peer_members(void)
{
	struct bus *b = three_users();
	struct bus_counts c;
	uint64_t skipped;
	int ch;

	feed(b,
	    "{\"PeersChanged\":[{\"ID\":3,\"Tags\":[ ],\"User\":13,"
	    "\"X\":{\"User\":12,\"Tags\":[\"t\"]},\"Y\":[-1.5e+3,true]}]}\n");
	is_str(users(b, &ch),
	    "dave@example.com[] erin@example.com[] frank@example.com[]",
	    "empty Tags are untagged; nested members are not the peer's");
	feed(b, "{\"PeersChanged\":[{\"ID\":4,\"User\":12,\"User\":14,"
		"\"Tags\":[\"tag:a\"],\"Tags\":null}]}\n");
	is_str(users(b, &ch),
	    "dave@example.com[] erin@example.com[] frank@example.com[] "
	    "gina@example.com[]",
	    "the last of duplicate members counts");
	bus_counts(b, &c);
	skipped = c.skipped;
	feed(b, "{\"PeersChanged\":[{\"ID\":3,\"User\":\"13\"},{\"User\":13},"
		"{\"ID\":1.0,\"User\":13},{\"ID\":9223372036854775807,"
		"\"User\":13},[],\"x\",7,null]}\n");
	bus_counts(b, &c);
	ok(c.skipped == skipped + 7,
	    "peers with a bad id or owner, or not objects, are skipped; "
	    "null is absent (%" PRIu64 ")",
	    c.skipped - skipped);
	is_str(users(b, &ch),
	    "dave@example.com[] erin@example.com[] frank@example.com[] "
	    "gina@example.com[]",
	    "and change nothing");
	bus_free(b);
}

/* Group names are kept once for every profile: one change moves no other. */
static void
test_shared_groups(void)
{
	struct bus *b = three_users();
	const struct tsnss_identity *ids;
	size_t n;
	int ch;

	feed(b, "{\"UserProfiles\":{"
		"\"11\":{\"ID\":11,\"LoginName\":\"dave@example.com\","
		"\"Groups\":[\"group:eng\",\"group:ops\"]},"
		"\"12\":{\"ID\":12,\"LoginName\":\"erin@example.com\","
		"\"Groups\":[\"group:eng\"]}}}\n");
	is_str(users(b, &ch),
	    "dave@example.com[group:eng,group:ops] erin@example.com[group:eng] "
	    "frank@example.com[]",
	    "two profiles naming the same group");
	ids = bus_users(b, &n, &ch);
	ok(n >= 2 && ids[0].groups[0] == ids[1].groups[0],
	    "the name is held once for both");
	feed(b, "{\"UserProfiles\":{"
		"\"11\":{\"ID\":11,\"LoginName\":\"dave@example.com\","
		"\"Groups\":[\"group:ops\"]}}}\n");
	is_str(users(b, &ch),
	    "dave@example.com[group:ops] erin@example.com[group:eng] "
	    "frank@example.com[]",
	    "dave leaves eng: erin keeps it");
	ok(ch, "and that is a change");
	bus_free(b);
}

/*
 * A profile's members are read as they pass: escapes are decoded, the
 * last of duplicates counts, what is no string is absent or bad.
 */
static void
test_profile_members(void)
{
	struct bus *b = three_users();
	const struct tsnss_identity *ids;
	size_t n;
	int ch;

	feed(b, "{\"UserProfiles\":{\"11\":{\"ID\":11,\"LoginName\":"
		"\"d\\u0061ve@example.com\",\"DisplayName\":\"D\\u00e9\\\"\","
		"\"Groups\":[\"group:\\u0065ng\",\"\",5,null,\"a\\u0000b\","
		"[\"x\"],\"group:ops\"],\"Extra\":{\"Groups\":[\"no\"]}},"
		"\"12\":{\"ID\":12,\"LoginName\":\"erin@example.com\","
		"\"Groups\":[\"group:x\"],\"DisplayName\":\"Erin\","
		"\"DisplayName\":7,\"Groups\":\"none\"}}}\n");
	is_str(users(b, &ch),
	    "dave@example.com[group:eng,group:ops] erin@example.com[] "
	    "frank@example.com[]",
	    "escapes decoded; a bad group, a second Groups left out");
	ids = bus_users(b, &n, &ch);
	ok(n == 3 && strcmp(ids[0].display_name, "D\xc3\xa9\"") == 0 &&
		strcmp(ids[1].display_name, "") == 0,
	    "a display name decoded; one that is no string is empty");
	feed(b, "{\"UserProfiles\":{\"11\":{\"ID\":11,\"LoginName\":"
		"\"dave@example.com\",\"LoginName\":5},\"12\":{\"ID\":13,"
		"\"LoginName\":\"erin@example.com\"},\"13\":{\"ID\":13,"
		"\"LoginName\":\"fr\\nank@example.com\"}}}\n");
	is_str(users(b, &ch), "erin@example.com[]",
	    "a second LoginName no string, a control character: gone; an ID "
	    "not its key takes that ID's profile away");
	feed(b, "{\"UserProfiles\":{\"11\":{\"ID\":11,\"ID\":1.5,"
		"\"LoginName\":\"dave@example.com\"},\"12\":7,\"13\":{\"ID\":"
		"13,\"LoginName\":\"frank@example.com\",\"Groups\":[\"g\"],"
		"\"Groups\":[]}}}\n");
	is_str(users(b, &ch), "erin@example.com[] frank@example.com[]",
	    "a second ID no integer: no profile; one no object changes "
	    "nothing; the last Groups counts");
	feed(b, "{\"UserProfiles\":{\"11\":{\"I\\u0044\":11,"
		"\"LoginName\\u0000x\":\"dave@example.com\"}}}\n");
	is_str(users(b, &ch),
	    "dave@example.com[] erin@example.com[] frank@example.com[]",
	    "a key is read decoded, up to a NUL");
	feed(b, "{\"UserProfiles\":{\"11\":{\"ID\":11,\"LoginName\":"
		"\"dave@example.com\",\"Groups\":[\"group:abcdefgh1\","
		"\"group:abcdefgh2\",\"group:abcdefgh1\"]}}}\n");
	is_str(users(b, &ch),
	    "dave@example.com[group:abcdefgh1,group:abcdefgh2,group:abcdefgh1] "
	    "erin@example.com[] frank@example.com[]",
	    "names that differ past their first eight bytes are two");
	feed(b, "{\"UserProfiles\":{\"11\":{\"ID\":11,\"LoginName\":"
		"\"dave@example.com\",\"Groups\":[\"group:abcdefgh1\","
		"\"group:abcdefgh2\",\"group:abcdefgh3\"]}}}\n");
	users(b, &ch);
	ok(ch, "and a change there is a change");
	bus_free(b);
}

static void
test_cut_and_state(void)
{
	struct bus *b = three_users();
	const char *half =
	    "{\"SelfChange\":{\"ID\":1,\"User\":9},\"PeersChanged\":"
	    "[" NODE(3, 13);
	int ch;

	feed(b, half);
	ok(bus_mid_message(b), "a line cut short is mid-message");
	is_str(users(b, &ch),
	    "dave@example.com[] erin@example.com[] "
	    "frank@example.com[]",
	    "a rebuild cut mid-line changes nothing");
	bus_reset(b);
	ok(!bus_ready(b) && !bus_mid_message(b), "reset: a new session");
	feed(b,
	    "{\"NetMap\":{\"SelfNode\":{\"ID\":1,\"User\":11},\"Peers\":[" NODE(
		2, 12) "],\"UserProfiles\":{" PROFILE(11, "dave@example.com",
		"Dave") "," PROFILE(12, "erin@example.com",
		"Erin") "}},"
			"\"State\":6}\n");
	ok(bus_ready(b), "an old daemon's NetMap is a full picture");
	is_str(users(b, &ch), "dave@example.com[] erin@example.com[]",
	    "NetMap: peers' owners and this node's untagged owner");
	ok(ch, "compared with the last session: frank is gone, a change");
	feed(b, "{\"ErrMessage\":\"IPN bus consumer fell behind; closing "
		"watch\",\"State\":null}\n");
	ok(bus_fell_behind(b), "the fell-behind message is noticed");
	bus_free(b);
}

static void
test_bad(void)
{
	static const char *const bad[] = {
	    "<html>\n",
	    "[1,2]\n",
	    "{\"a\":1,}\n",
	    "{\"a\" 1}\n",
	    "{\"a\":1}}\n",
	    "{\"a\":\"x\ny\"}\n",
	    "{\"PeersChanged\":[{\"ID\":1,\"User\":2,}]}\n",
	    "{\"PeersRemoved\":[tru]}\n",
	    /* peers are not parsed whole, but checked as strictly */
	    "{\"PeersChanged\":[{\"ID\":1,\"User\":2,\"X\":tru}]}\n",
	    "{\"PeersChanged\":[{\"ID\":1,\"User\":2,\"X\":\"\\x\"}]}\n",
	    "{\"PeersChanged\":[{\"ID\":01,\"User\":2}]}\n",
	    "{\"PeersChanged\":[{\"ID\":1,\"User\":-}]}\n",
	    "{\"PeersChanged\":[{\"ID\":1 \"User\":2}]}\n",
	    /* nor is what no one reads let through unchecked */
	    "{\"Unknown\":[nul]}\n",
	    "{\"Unknown\":[truex]}\n",
	    "{\"Unknown\":[1.]}\n",
	    "{\"Unknown\":[1e]}\n",
	    "{\"Unknown\":[-0x1]}\n",
	    "{\"Unknown\":[1.5e+]}\n",
	    "{\"Unknown\":\"\\u12G4\"}\n",
	    "{\"Unknown\":\"\\a\"}\n",
	    "{\"PeersChanged\":[{\"ID\":1,\"User\":2,\"Tags\":[tag]}]}\n",
	};
	struct bus *b;
	char err[256], *deep, *big;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		b = bus_new(NULL, NULL);
		ok(bus_feed(b, bad[i], strlen(bad[i]), err, sizeof err) < 0,
		    "refused: %.*s", (int)strcspn(bad[i], "\n"), bad[i]);
		bus_free(b);
	}
	b = bus_new(NULL, NULL);
	deep = malloc(2000);
	strcpy(deep, "{\"x\":");
	memset(deep + 5, '[', 1000);
	deep[1005] = '\0';
	ok(bus_feed(b, deep, strlen(deep), err, sizeof err) < 0,
	    "nesting without end is refused (%s)", err);
	free(deep);
	bus_free(b);
	b = bus_new(NULL, NULL);
	/* a peer's Tags are the one member of it that is kept whole */
	big = malloc(BUS_MAX_VALUE + 64);
	strcpy(big, "{\"PeersChanged\":[{\"Tags\":[\"");
	memset(big + 27, 'a', BUS_MAX_VALUE);
	strcpy(big + 27 + BUS_MAX_VALUE, "\"]}]}\n");
	ok(bus_feed(b, big, strlen(big), err, sizeof err) < 0,
	    "a value over the bound is refused (%s)", err);
	free(big);
	feed(b, "");
	bus_free(b);
	b = bus_new(NULL, NULL);
	ok(feed(b, "{\"Unknown\":{\"deep\":[[[{\"a\":\"\\\"}\"}]]]},"
		   "\"Engine\":null}\n{}\n") == 0,
	    "unknown fields and empty messages are fine");
	bus_free(b);
}

int
main(void)
{
	const char *dir = getenv("fixtures");
	char path[4096];
	char *doc;
	size_t len = 0;

	snprintf(path, sizeof path, "%s/watch-ipn-bus.example.jsonl",
	    dir ? dir : "tests/fixtures");
	doc = tap_slurp(path, &len);
	if (!ok(doc != NULL, "read %s", path))
		return done_testing();
	test_fixture(doc);
	test_chunks(doc);
	free(doc);
	test_ids_and_rebuild();
	test_peer_members();
	test_shared_groups();
	test_profile_members();
	test_cut_and_state();
	test_bad();
	return done_testing();
}
