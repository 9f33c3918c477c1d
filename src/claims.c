/*
 * claims.c - see claims.h.  Two sorted arrays, one by name and one by
 * UID, so the policy asks in O(log n) per login on a large tailnet.
 */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "claims.h"
#include "keysort.h"
#include "policy.h"
#include "recfile.h"
#include "xmalloc.h"

/*
 * Version 2: an owner may be a tailnet group's key (group:eng) as well as
 * a login.  Version 1 files (logins only) are read as they are; an older
 * tsnssd rejects a version 2 file rather than misread it.
 */
#define CLAIMS_MAGIC "tsnssd-claims-2"
#define CLAIMS_MAGIC_V1 "tsnssd-claims-1"

struct name_claim {
	char *name;
	char *login;
};

struct uid_claim {
	uint32_t uid;
	char *login;
};

/*
 * The claims' strings, in blocks: three mallocs a user (name, and the
 * login twice) were a third of claims_take at 100k users, and as many
 * frees.  A user's name claim and uid claim share one copy of the login.
 * Only claims_forget_all frees them; what claims_forget drops stays
 * until then (or the next start): root's forgetting is rare, and small.
 */
struct block {
	struct block *next;
	size_t used, size;
	char text[];
};

#define BLOCK_SIZE 65536

struct claims {
	struct name_claim *names;
	size_t n_names, cap_names; /* allocated: grown by half, not by one */
	struct uid_claim *uids;
	size_t n_uids, cap_uids;
	int untrusted; /* the file failed its check: fail closed */
	struct block *text;
};

static char *
copy(struct claims *c, const char *s)
{
	size_t n = strlen(s) + 1;
	struct block *b = c->text;
	char *p;

	if (b == NULL || b->size - b->used < n) {
		size_t size = n > BLOCK_SIZE ? n : BLOCK_SIZE;

		b = xmalloc(sizeof *b + size);
		b->next = c->text;
		b->used = 0;
		b->size = size;
		c->text = b;
	}
	p = b->text + b->used;
	memcpy(p, s, n);
	b->used += n;
	return p;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct name_claim *)a)->name,
	    ((const struct name_claim *)b)->name);
}

static int
by_uid(const void *a, const void *b)
{
	uint32_t x = ((const struct uid_claim *)a)->uid;
	uint32_t y = ((const struct uid_claim *)b)->uid;

	return x < y ? -1 : x > y;
}

struct claims *
claims_new(void)
{
	return xcalloc(1, sizeof(struct claims));
}

void
claims_free(struct claims *c)
{
	if (c == NULL)
		return;
	claims_forget_all(c);
	free(c->names);
	free(c->uids);
	free(c);
}

const char *
claims_name_owner(const struct claims *c, const char *name)
{
	struct name_claim key = {(char *)name, NULL}, *hit;

	if (c == NULL || c->n_names == 0)
		return NULL;
	hit = bsearch(&key, c->names, c->n_names, sizeof key, by_name);
	return hit ? hit->login : NULL;
}

const char *
claims_uid_owner(const struct claims *c, uint32_t uid)
{
	struct uid_claim key = {uid, NULL}, *hit;

	if (c == NULL || c->n_uids == 0)
		return NULL;
	hit = bsearch(&key, c->uids, c->n_uids, sizeof key, by_uid);
	return hit ? hit->login : NULL;
}

/* login: a copy of c's own (copy()). */
static void
add_name(struct claims *c, const char *name, char *login)
{
	if (c->n_names == c->cap_names) {
		c->cap_names += c->cap_names / 2 + 64;
		c->names =
		    xreallocarray(c->names, c->cap_names, sizeof *c->names);
	}
	c->names[c->n_names].name = copy(c, name);
	c->names[c->n_names++].login = login;
}

static void
add_uid(struct claims *c, uint32_t uid, char *login)
{
	if (c->n_uids == c->cap_uids) {
		c->cap_uids += c->cap_uids / 2 + 64;
		c->uids = xreallocarray(c->uids, c->cap_uids, sizeof *c->uids);
	}
	c->uids[c->n_uids].uid = uid;
	c->uids[c->n_uids++].login = login;
}

/* The first of the n sorted names after name (n if none). */
static size_t
names_after(const struct name_claim *v, size_t n, const char *name)
{
	size_t lo = 0, mid;

	while (lo < n) {
		mid = lo + (n - lo) / 2;
		if (strcmp(v[mid].name, name) <= 0)
			lo = mid + 1;
		else
			n = mid;
	}
	return lo;
}

static size_t
uids_after(const struct uid_claim *v, size_t n, uint32_t uid)
{
	size_t lo = 0, mid;

	while (lo < n) {
		mid = lo + (n - lo) / 2;
		if (v[mid].uid <= uid)
			lo = mid + 1;
		else
			n = mid;
	}
	return lo;
}

/*
 * The names from old on were appended since the last sort: sort them
 * alone, then slide each into place among the sorted ones from the end,
 * a binary search and one move of a block each.  Sorting all again cost
 * a qsort of every claim at each build that added one; the first build
 * of a large tailnet, which adds them all, now sorts keys (keysort.h).
 * Alike names keep their order, older first, as qsort kept them.
 */
static void
settle_names(struct claims *c, size_t old)
{
	size_t k = c->n_names - old, end = c->n_names, hi = old, lo, i;
	struct name_key *key = xcalloc(k + 1, sizeof *key);
	struct name_claim *add = xcalloc(k + 1, sizeof *add);

	for (i = 0; i < k; i++)
		name_key_set(&key[i], c->names[old + i].name, old + i);
	name_keys_sort(key, k);
	for (i = 0; i < k; i++)
		add[i] = c->names[key[i].at];
	while (k > 0) {
		lo = names_after(c->names, hi, add[k - 1].name);
		end -= hi - lo;
		memmove(&c->names[end], &c->names[lo],
		    (hi - lo) * sizeof *c->names);
		c->names[--end] = add[--k];
		hi = lo;
	}
	free(add);
	free(key);
}

static void
settle_uids(struct claims *c, size_t old)
{
	size_t k = c->n_uids - old, end = c->n_uids, hi = old, lo, i;
	struct id_key *key = xcalloc(k + 1, sizeof *key);
	struct uid_claim *add = xcalloc(k + 1, sizeof *add);

	for (i = 0; i < k; i++) {
		key[i].id = c->uids[old + i].uid;
		key[i].at = (uint32_t)i;
	}
	id_keys_sort(key, k);
	for (i = 0; i < k; i++)
		add[i] = c->uids[old + key[i].at];
	while (k > 0) {
		lo = uids_after(c->uids, hi, add[k - 1].uid);
		end -= hi - lo;
		memmove(
		    &c->uids[end], &c->uids[lo], (hi - lo) * sizeof *c->uids);
		c->uids[--end] = add[--k];
		hi = lo;
	}
	free(add);
	free(key);
}

/* What was appended since the arrays held old_names and old_uids, sorted in. */
static void
sort_claims(struct claims *c, size_t old_names, size_t old_uids)
{
	if (c->n_names > old_names)
		settle_names(c, old_names);
	if (c->n_uids > old_uids)
		settle_uids(c, old_uids);
}

/*
 * Tailnet groups own their name and gid as users do, under their key
 * ("group:eng"): what a group held first, no later user takes.
 */
static size_t
take_groups(struct claims *c, const struct policy_result *r)
{
	char *need = xcalloc(r->n_groups + 1, 1);
	size_t i, added = 0;

	for (i = 0; i < r->n_groups; i++) {
		const struct policy_group *g = &r->groups[i];

		if (g->owner != NULL)
			need[i] = (claims_name_owner(c, g->name) == NULL) |
				  (claims_uid_owner(c, g->gid) == NULL) << 1;
	}
	for (i = 0; i < r->n_groups; i++) {
		char *owner = need[i] ? copy(c, r->groups[i].owner) : NULL;

		if (need[i] & 1)
			add_name(c, r->groups[i].name, owner);
		if (need[i] & 2)
			add_uid(c, r->groups[i].gid, owner);
		added += (need[i] & 1) + (need[i] >> 1);
	}
	free(need);
	return added;
}

/* A variant's name is its user's login's, as the user's own name is. */
static size_t
take_variants(struct claims *c, const struct policy_result *r)
{
	char *need = xcalloc(r->n_variants + 1, 1);
	size_t i, added = 0;

	for (i = 0; i < r->n_variants; i++)
		need[i] = claims_name_owner(c, r->variants[i].name) == NULL;
	for (i = 0; i < r->n_variants; i++)
		if (need[i]) {
			add_name(c, r->variants[i].name,
			    copy(c, r->users[r->variants[i].user].login));
			added++;
		}
	free(need);
	return added;
}

size_t
claims_take(struct claims *c, const struct policy_result *r)
{
	char *need = xcalloc(r->n_users + 1, 1);
	size_t i, added = 0, old_names = c->n_names, old_uids = c->n_uids;

	/* look up first: appending unsorts the arrays bsearch needs */
	for (i = 0; i < r->n_users; i++) {
		const struct policy_user *u = &r->users[i];

		need[i] = (claims_name_owner(c, u->name) == NULL) |
			  (claims_uid_owner(c, u->uid) == NULL) << 1;
	}
	for (i = 0; i < r->n_users; i++) {
		char *login = need[i] ? copy(c, r->users[i].login) : NULL;

		if (need[i] & 1)
			add_name(c, r->users[i].name, login);
		if (need[i] & 2)
			add_uid(c, r->users[i].uid, login);
		added += (need[i] & 1) + (need[i] >> 1);
	}
	free(need);
	added += take_variants(c, r);
	sort_claims(c, old_names, old_uids);
	old_names = c->n_names;
	old_uids = c->n_uids;
	i = take_groups(c, r);
	sort_claims(c, old_names, old_uids);
	return added + i;
}

void
claims_forget_all(struct claims *c)
{
	struct block *b;

	while ((b = c->text) != NULL) {
		c->text = b->next;
		free(b);
	}
	c->n_names = c->n_uids = 0;
}

size_t
claims_forget(struct claims *c, const char *login)
{
	size_t i, o, gone = 0;

	for (i = o = 0; i < c->n_names; i++) {
		if (strcmp(c->names[i].login, login) == 0) {
			gone++; /* its strings stay until forget_all */
		} else {
			c->names[o++] = c->names[i];
		}
	}
	c->n_names = o;
	for (i = o = 0; i < c->n_uids; i++) {
		if (strcmp(c->uids[i].login, login) == 0) {
			gone++;
		} else {
			c->uids[o++] = c->uids[i];
		}
	}
	c->n_uids = o;
	return gone;
}

void
claims_describe(const struct claims *c, const char *login, FILE *out)
{
	const char *sep = "";
	size_t i;

	fprintf(out, "claims: ");
	for (i = 0; c != NULL && i < c->n_names; i++)
		if (strcmp(c->names[i].login, login) == 0) {
			fprintf(out, "%s name %s", sep, c->names[i].name);
			sep = ",";
		}
	for (i = 0; c != NULL && i < c->n_uids; i++)
		if (strcmp(c->uids[i].login, login) == 0) {
			fprintf(out, "%s uid %" PRIu32, sep, c->uids[i].uid);
			sep = ",";
		}
	fprintf(out, "%s\n", *sep ? "" : " none on this host");
}

int
claims_untrusted(const struct claims *c)
{
	return c->untrusted;
}

void
claims_distrust(struct claims *c)
{
	c->untrusted = 1;
}

int
claims_save(const struct claims *c, const char *dir, size_t max, char *err,
    size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, i;
	int rc;

	if (c->untrusted) { /* the file is for root to repair or reset */
		snprintf(err, errlen, "%s/%s is untrusted; not written over",
		    dir, CLAIMS_FILE);
		return -1;
	}

	recfile_put(&buf, &len, &cap, "", 0);
	for (i = 0; i < c->n_names; i++) {
		recfile_putn(&buf, &len, &cap, "name ", 5);
		recfile_put(&buf, &len, &cap, c->names[i].name, 1);
		recfile_putn(&buf, &len, &cap, " ", 1);
		recfile_put(&buf, &len, &cap, c->names[i].login, 1);
		recfile_putn(&buf, &len, &cap, "\n", 1);
	}
	for (i = 0; i < c->n_uids; i++) {
		recfile_putn(&buf, &len, &cap, "uid ", 4);
		recfile_put_num(&buf, &len, &cap, c->uids[i].uid);
		recfile_putn(&buf, &len, &cap, " ", 1);
		recfile_put(&buf, &len, &cap, c->uids[i].login, 1);
		recfile_putn(&buf, &len, &cap, "\n", 1);
	}
	rc = recfile_write(
	    dir, CLAIMS_FILE, CLAIMS_MAGIC, buf, len, max, err, errlen);
	free(buf);
	return rc;
}

/* A login (alice@example.com) or a tailnet group's key (group:eng). */
static int
claims_owner_valid(const char *owner)
{
	if (strchr(owner, '@') != NULL)
		return 1;
	return strncmp(owner, "group:", 6) == 0 && owner[6] != '\0';
}

/* One "name NAME LOGIN" or "uid UID LOGIN" line; -1 if malformed. */
static int
parse_line(struct claims *c, char *line)
{
	char *kind, *what, *login, *save = NULL, *end;
	unsigned long uid;

	kind = strtok_r(line, " ", &save);
	what = strtok_r(NULL, " ", &save);
	login = strtok_r(NULL, " ", &save);
	if (kind == NULL || what == NULL || login == NULL ||
	    strtok_r(NULL, " ", &save) != NULL || recfile_unescape(what) ||
	    recfile_unescape(login) || !claims_owner_valid(login))
		return -1;
	if (strcmp(kind, "name") == 0 && policy_valid_name(what)) {
		add_name(c, what, copy(c, login));
		return 0;
	}
	errno = 0;
	uid = strtoul(what, &end, 10);
	if (strcmp(kind, "uid") != 0 || *end != '\0' || errno != 0 ||
	    uid == 0 || uid > UINT32_MAX)
		return -1;
	add_uid(c, (uint32_t)uid, copy(c, login));
	return 0;
}

/*
 * Without its claims tsnssd cannot tell whose a name or UID is: none is
 * handed out until root repairs the file or resets it.  It stays where
 * it is, so that a restart is no way around that.
 */
static struct claims *
untrusted(struct claims *c, char *err, size_t errlen)
{
	size_t n = strlen(err);

	claims_free(c);
	c = claims_new();
	c->untrusted = 1;
	snprintf(err + n, errlen - n,
	    "; no new name or uid is handed out until root repairs it or "
	    "resets it (tsnssctl forget --all)");
	return c;
}

/* The body of a version 2 file, or else of a version 1 file. */
static char *
read_versioned(
    const char *dir, size_t max, size_t *len, char *err, size_t errlen)
{
	char *body =
	    recfile_read(dir, CLAIMS_FILE, CLAIMS_MAGIC, max, len, err, errlen);
	char err1[512];

	/* no file is no error; any other failure may be an older version */
	if (body != NULL || err[0] == '\0')
		return body;
	body = recfile_read(
	    dir, CLAIMS_FILE, CLAIMS_MAGIC_V1, max, len, err1, sizeof err1);
	if (body != NULL)
		err[0] = '\0';
	return body;
}

struct claims *
claims_load(const char *dir, size_t max, char *err, size_t errlen)
{
	struct claims *c = claims_new();
	char *body, *line, *save = NULL;
	size_t len;

	body = read_versioned(dir, max, &len, err, errlen);
	if (body == NULL)
		return *err != '\0' ? untrusted(c, err, errlen) : c;
	for (line = strtok_r(body, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (parse_line(c, line) != 0) {
			snprintf(err, errlen,
			    "%s/%s: rejected: a malformed line", dir,
			    CLAIMS_FILE);
			c = untrusted(c, err, errlen);
			break;
		}
	}
	free(body);
	sort_claims(c, 0, 0);
	return c;
}

int
claims_reset(
    struct claims *c, const char *dir, size_t max, char *err, size_t errlen)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct claims empty = {0};

	/* the old file, for a human who wants to see what was there */
	snprintf(from, sizeof from, "%s/%s", dir, CLAIMS_FILE);
	snprintf(to, sizeof to, "%s/%s.old-%lld", dir, CLAIMS_FILE,
	    (long long)time(NULL));
	(void)rename(from, to);
	claims_forget_all(c);
	c->untrusted = 0;
	return claims_save(&empty, dir, max, err, errlen);
}
