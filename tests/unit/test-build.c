/*
 * test-build.c - the build worker (src/build.c) and the order it
 * persists in: the claims are on disk before the map the NSS module
 * reads is published; a build whose files would be over max_state_bytes
 * is neither published nor claimed; the copies kept for restarts (the
 * snapshot in cache_dir, the answers) are written after the hand-over,
 * whole, and a second build's never before the first's.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "build.h"
#include "cache.h"
#include "claims.h"
#include "idstore.h"
#include "publish.h"
#include "snapshot.h"
#include "tap.h"

#define MAX (1u << 20)

static char *domains[] = {"example.com"};
static struct policy_source src = {.name = "tailscale",
    .domains = domains,
    .n_domains = 1,
    .uid_base = 100000,
    .uid_max = 2147483646,
    .shell = "/bin/sh",
    .home = "/home/%u"};
static struct policy_config pc = {
    .sources = &src, .n_sources = 1, .domains = domains, .n_domains = 1};

static const struct tsnss_identity two[] = {
    {1, "alice@example.com", "Alice", NULL, 0, NULL, 0},
    {2, "bob@example.com", "Bob", NULL, 0, NULL, 0},
};

static struct snapshot *got;
static int calls;

static void
done(struct snapshot *s, void *arg)
{
	(void)arg;
	calls++;
	snapshot_free(got);
	got = s;
}

static struct build_input
input(const char *dir, struct claims *c, struct publisher *p,
    const struct tsnss_identity *ids, size_t n, uint64_t generation, size_t max)
{
	struct build_input in = {.pc = &pc,
	    .meta = {.created = 1700000000, .generation = generation},
	    .cache_dir = dir,
	    .max_state = max,
	    .claims = c,
	    .pub = p,
	    .passwd = "/dev/null",
	    .group = "/dev/null"};

	in.in[0] = (struct policy_input){ids, n};
	in.at[0] = 1700000000;
	return in;
}

static int
exists(const char *dir, const char *name, struct stat *st)
{
	char path[512];
	struct stat tmp;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, st ? st : &tmp) == 0;
}

static int
not_after(const struct stat *a, const struct stat *b)
{
	return a->st_mtim.tv_sec < b->st_mtim.tv_sec ||
	       (a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
		   a->st_mtim.tv_nsec <= b->st_mtim.tv_nsec);
}

static void
cleanup(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

/* One build: served, its claims on disk first, its copies after. */
static void
in_order(struct event_base *base)
{
	char dir[] = "/tmp/test-build.XXXXXX", map[600], err[512];
	struct claims *c = claims_new(), *back;
	struct publisher *p;
	struct builder *b = builder_new(base, done, NULL);
	struct build_input in;
	struct snapshot *s;
	struct stat cl, pub;

	if (mkdtemp(dir) == NULL || b == NULL)
		exit(99);
	snprintf(map, sizeof map, "%s/run/snapshot", dir);
	p = publisher_new(map);
	in = input(dir, c, p, two, 2, 1, MAX);
	calls = 0;
	ok(builder_start(b, &in) == 0, "a build starts");
	builder_wait(b);
	ok(calls == 1 && got != NULL && got->h->n_users == 2,
	    "handed over: two users");
	ok(exists(dir, "run/snapshot", &pub) && exists(dir, CLAIMS_FILE, &cl),
	    "published, and claimed");
	ok(not_after(&cl, &pub), "the claims were on disk before the map");
	back = claims_load(dir, MAX, err, sizeof err);
	ok(claims_name_owner(back, "alice") != NULL &&
		claims_name_owner(back, "bob") != NULL,
	    "both own their names on disk");
	claims_free(back);

	/* a second build at once: its files after the first's tail */
	in = input(dir, c, p, two, 1, 2, MAX);
	ok(builder_start(b, &in) == 0, "a second build starts at once");
	builder_wait(b);
	ok(got != NULL && got->h->generation == 2, "the second handed over");
	builder_free(b); /* waits for the tail */
	s = cache_load(dir, 0, MAX, err, sizeof err);
	ok(s != NULL && s->h->generation == 2 && s->h->n_users == 1,
	    "the copy in cache_dir is the second build's, whole");
	ok(s != NULL && s->h->superseded == 0, "and says it is current");
	snapshot_free(s);
	ok(exists(dir, IDSTORE_FILE ".tailscale", NULL),
	    "the answer is persisted");
	snapshot_free(got);
	got = NULL;
	publisher_free(p);
	claims_free(c);
	cleanup(dir);
}

/* The answer would be over max_state_bytes: nothing served or claimed. */
static void
too_large(struct event_base *base)
{
	char dir[] = "/tmp/test-build.XXXXXX", map[600];
	static char big[24000];
	struct tsnss_attr attr = {"note", big};
	struct tsnss_identity one = {
	    1, "alice@example.com", "Alice", NULL, 0, &attr, 1};
	struct claims *c = claims_new();
	struct publisher *p;
	struct builder *b = builder_new(base, done, NULL);
	struct build_input in;

	if (mkdtemp(dir) == NULL || b == NULL)
		exit(99);
	memset(big, 'x', sizeof big - 1);
	snprintf(map, sizeof map, "%s/run/snapshot", dir);
	p = publisher_new(map);
	in = input(dir, c, p, &one, 1, 1, 16384);
	calls = 0;
	ok(builder_start(b, &in) == 0, "a build over the bound starts");
	builder_wait(b);
	builder_free(b);
	ok(calls == 1 && got == NULL, "it is refused");
	ok(!exists(dir, "run/snapshot", NULL), "nothing is published");
	ok(!exists(dir, CLAIMS_FILE, NULL) &&
		claims_name_owner(c, "alice") == NULL,
	    "nothing is claimed");
	ok(!exists(dir, "snapshot", NULL) &&
		!exists(dir, IDSTORE_FILE ".tailscale", NULL),
	    "nothing is kept for a restart");
	publisher_free(p);
	claims_free(c);
	cleanup(dir);
}

int
main(void)
{
	struct event_base *base = event_base_new();

	if (base == NULL)
		return 99;
	in_order(base);
	too_large(base);
	event_base_free(base);
	return done_testing();
}
