/*
 * test-keysort.c - the key sorts (src/keysort.c) order as the stable
 * qsort they replace did, names by strcmp (bytes unsigned, short names
 * first) and ties by index; the claims (src/claims.c), sorted in a
 * batch at a time, find every claim and are saved in name and uid order;
 * and the map by address (src/ptrmap.c) finds what it was given, and
 * only that, through its growth.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "claims.h"
#include "keysort.h"
#include "policy.h"
#include "ptrmap.h"
#include "tap.h"

#define N 5000

static const char *const pieces[] = {"", "a", "ab", "abcdefg", "abcdefgh",
    "abcdefghi", "abcdefgh\xc3\xa9", "\xc3\xa9", "z", "zz", "-", "~",
    "abcdefghijklmno", "abcdefghijklmnop", "abcdefghijklmnopq",
    "abcdefghijklmnop\xff"};

/* The order the old sorts gave: strcmp, then place in the input. */
struct ref {
	const char *name;
	size_t at;
};

static int
ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->at < y->at ? -1 : x->at > y->at;
}

static void
names(void)
{
	static char buf[N][48];
	struct name_key *k = calloc(N, sizeof *k);
	struct ref *r = calloc(N, sizeof *r);
	size_t i, bad = 0;

	srand(7);
	for (i = 0; i < N; i++) {
		snprintf(buf[i], sizeof buf[i], "%s%s",
		    pieces[rand() % (int)(sizeof pieces / sizeof *pieces)],
		    pieces[rand() % (int)(sizeof pieces / sizeof *pieces)]);
		name_key_set(&k[i], buf[i], i);
		r[i] = (struct ref){buf[i], i};
	}
	name_keys_sort(k, N);
	qsort(r, N, sizeof *r, ref_cmp);
	for (i = 0; i < N; i++)
		bad += k[i].at != r[i].at;
	ok(bad == 0, "names in strcmp's order, alike ones by index (%zu off)",
	    bad);
	name_keys_sort(k, N); /* sorted already: merges skipped */
	for (i = 0, bad = 0; i < N; i++)
		bad += k[i].at != r[i].at;
	ok(bad == 0, "sorted input stays as it is (%zu off)", bad);
	for (i = 0; i < N / 2; i++) {
		struct name_key t = k[i];

		k[i] = k[N - 1 - i];
		k[N - 1 - i] = t;
	}
	name_keys_sort(k, N);
	for (i = 0, bad = 0; i < N; i++)
		bad += k[i].at != r[i].at;
	ok(bad == 0, "reversed input sorted the same (%zu off)", bad);
	free(k);
	free(r);
}

static void
ids(void)
{
	struct id_key *k = calloc(N, sizeof *k);
	size_t i, bad = 0;

	srand(8);
	for (i = 0; i < N; i++) {
		/* many alike, spread over all four bytes */
		k[i].id = (uint32_t)(rand() % 50) * 0x01010101u;
		k[i].at = (uint32_t)i;
	}
	id_keys_sort(k, N);
	for (i = 1; i < N; i++)
		bad += k[i - 1].id > k[i].id ||
		       (k[i - 1].id == k[i].id && k[i - 1].at > k[i].at);
	ok(bad == 0, "ids in order, alike ones by index (%zu off)", bad);
	free(k);
}

/* n users u<first>..., uid 100000 + their number, in a shuffled order. */
static struct policy_result *
users(size_t first, size_t n)
{
	struct policy_result *r = calloc(1, sizeof *r);
	char s[64];
	size_t i, j;

	r->users = calloc(n, sizeof *r->users);
	r->n_users = n;
	for (i = 0; i < n; i++) {
		j = first + (i * 7919) % n;
		snprintf(s, sizeof s, "u%zu", j);
		r->users[i].name = strdup(s);
		snprintf(s, sizeof s, "u%zu@example.com", j);
		r->users[i].login = strdup(s);
		r->users[i].uid = (uint32_t)(100000 + (j * 104729) % 900000);
	}
	return r;
}

static void
free_users(struct policy_result *r)
{
	size_t i;

	for (i = 0; i < r->n_users; i++) {
		free(r->users[i].name);
		free(r->users[i].login);
	}
	free(r->users);
	free(r);
}

/* Every user of r owns its name and uid; what they own is in order. */
static size_t
missing(const struct claims *c, const struct policy_result *r)
{
	size_t i, miss = 0;
	const char *a, *b;

	for (i = 0; i < r->n_users; i++) {
		a = claims_name_owner(c, r->users[i].name);
		b = claims_uid_owner(c, r->users[i].uid);
		miss += !a || !b || strcmp(a, r->users[i].login) ||
			strcmp(b, r->users[i].login);
	}
	return miss;
}

/* The saved file's name lines, then uid lines, each in order. */
static int
saved_in_order(const char *dir)
{
	char path[512], *text, *line, *save = NULL, last[128] = "";
	unsigned long uid, last_uid = 0;
	int ordered = 1, uids = 0;
	size_t len;

	snprintf(path, sizeof path, "%s/%s", dir, CLAIMS_FILE);
	if ((text = tap_slurp(path, &len)) == NULL)
		return 0;
	strtok_r(text, "\n", &save); /* the header */
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		if (strncmp(line, "name ", 5) == 0) {
			ordered &= !uids && strcmp(last, line + 5) < 0;
			snprintf(last, sizeof last, "%s", line + 5);
		} else if (sscanf(line, "uid %lu", &uid) == 1) {
			ordered &= !uids || last_uid < uid;
			uids = 1;
			last_uid = uid;
		}
	}
	free(text);
	return ordered && uids;
}

static void
claims(void)
{
	char dir[] = "/tmp/test-keysort.XXXXXX", err[512], path[600];
	struct policy_result *a = users(0, 3000), *b = users(2000, 3000);
	struct claims *c = claims_new(), *back;

	ok(claims_take(c, a) == 6000, "3000 users: 6000 claims");
	ok(missing(c, a) == 0, "each found");
	ok(claims_take(c, b) == 4000, "3000 of which 2000 new: 4000 claims");
	ok(missing(c, a) == 0 && missing(c, b) == 0, "each found, old and new");
	ok(claims_take(c, b) == 0, "none again");
	ok(claims_forget(c, "u2500@example.com") == 2 &&
		claims_name_owner(c, "u2500") == NULL,
	    "one forgotten");
	ok(claims_take(c, b) == 2 && missing(c, a) == 0 && missing(c, b) == 0,
	    "taken again, and the others' strings intact");
	if (mkdtemp(dir) == NULL)
		exit(99);
	ok(claims_save(c, dir, 1 << 24, err, sizeof err) == 0, "saved");
	ok(saved_in_order(dir), "names, then uids, each in order");
	back = claims_load(dir, 1 << 24, err, sizeof err);
	ok(!claims_untrusted(back) && missing(back, a) == 0 &&
		missing(back, b) == 0,
	    "loaded back whole");
	claims_free(back);
	claims_free(c);
	free_users(a);
	free_users(b);
	snprintf(path, sizeof path, "%s/%s", dir, CLAIMS_FILE);
	unlink(path);
	rmdir(dir);
}

static void
ptrs(void)
{
	static char cell[N];
	struct ptrmap *m = ptrmap_new(0);
	size_t i, bad = 0;

	for (i = 0; i < N; i += 2)
		ptrmap_put(m, &cell[i], (uint32_t)i);
	ptrmap_put(m, &cell[0], 7); /* replaced */
	for (i = 0; i < N; i++)
		bad += ptrmap_get(m, &cell[i]) != (i == 0     ? 7
						      : i % 2 ? PTRMAP_NONE
							      : (uint32_t)i);
	ok(bad == 0, "each address its number, others none (%zu off)", bad);
	ptrmap_free(m);
}

int
main(void)
{
	names();
	ptrs();
	ids();
	claims();
	return done_testing();
}
