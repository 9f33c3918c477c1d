/*
 * subid.c - see subid.h.  The claims are a small sorted array, the
 * spans of /etc/subuid and /etc/subgid another; a build walks the
 * candidate ranges of subid_range once, upwards, past what is taken.
 */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "localdb.h"
#include "policy.h"
#include "recfile.h"
#include "subid.h"
#include "subidfile.h"
#include "xmalloc.h"

#define SUBID_MAGIC "tsnssd-subids-1"
#define SUBID_MAX_SPANS 100000 /* lines taken from /etc/subuid + subgid */

struct subid_claim {
	char *login;
	uint32_t start, count;
};

struct subid_claims {
	struct subid_claim *v; /* sorted by login */
	size_t n;
	/*
	 * The file on disk failed its check: hand out no new range (one may
	 * be someone's whose line was lost) and never overwrite the file,
	 * until root repairs it or forgets everything (state fails closed).
	 */
	int untrusted;
};

/* A range of /etc/subuid or /etc/subgid, or a claimed one. */
struct span {
	uint64_t first, last;
};

struct subid_spans {
	struct span *v; /* sorted by first */
	size_t n;
};

static int
by_login(const void *a, const void *b)
{
	return strcmp(((const struct subid_claim *)a)->login,
	    ((const struct subid_claim *)b)->login);
}

static int
by_first(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

struct subid_claims *
subid_claims_new(void)
{
	return xcalloc(1, sizeof(struct subid_claims));
}

void
subid_claims_free(struct subid_claims *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		free(c->v[i].login);
	free(c->v);
	free(c);
}

static const struct subid_claim *
find(const struct subid_claims *c, const char *login)
{
	struct subid_claim key = {(char *)login, 0, 0};

	if (c == NULL || c->n == 0)
		return NULL;
	return bsearch(&key, c->v, c->n, sizeof key, by_login);
}

static void
add(struct subid_claims *c, const char *login, uint32_t start, uint32_t count)
{
	c->v = xreallocarray(c->v, c->n + 1, sizeof *c->v);
	c->v[c->n].login = xstrdup(login);
	c->v[c->n].start = start;
	c->v[c->n++].count = count;
}

size_t
subid_claims_forget(struct subid_claims *c, const char *login)
{
	size_t i, o, gone = 0;

	for (i = o = 0; i < c->n; i++) {
		if (strcmp(c->v[i].login, login) == 0) {
			free(c->v[i].login);
			gone++;
		} else {
			c->v[o++] = c->v[i];
		}
	}
	c->n = o;
	return gone;
}

void
subid_claims_describe(
    const struct subid_claims *c, const char *login, FILE *out)
{
	const struct subid_claim *k = find(c, login);

	if (k != NULL)
		fprintf(out,
		    "subids:  %" PRIu32 "-%" PRIu32 " (%" PRIu32
		    " uids and gids), claimed on this host\n",
		    k->start, k->start + k->count - 1, k->count);
}

int
subid_claims_save(const struct subid_claims *c, const char *dir, size_t max,
    char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, i;
	int rc;

	if (c->untrusted) {
		snprintf(err, errlen, "%s/%s failed its check: not overwritten",
		    dir, SUBID_CLAIMS_FILE);
		return -1;
	}

	recfile_put(&buf, &len, &cap, "", 0);
	for (i = 0; i < c->n; i++) {
		recfile_put(&buf, &len, &cap, c->v[i].login, 1);
		recfile_put(&buf, &len, &cap, " ", 0);
		recfile_put_num(&buf, &len, &cap, c->v[i].start);
		recfile_put(&buf, &len, &cap, " ", 0);
		recfile_put_num(&buf, &len, &cap, c->v[i].count);
		recfile_put(&buf, &len, &cap, "\n", 0);
	}
	rc = recfile_write(
	    dir, SUBID_CLAIMS_FILE, SUBID_MAGIC, buf, len, max, err, errlen);
	free(buf);
	return rc;
}

/* "LOGIN START COUNT", a range inside [1, 2^31); -1 if malformed. */
static int
parse_claim(struct subid_claims *c, char *line)
{
	char *login, *a, *b, *save = NULL, *end;
	unsigned long start, count;

	login = strtok_r(line, " ", &save);
	a = strtok_r(NULL, " ", &save);
	b = strtok_r(NULL, " ", &save);
	if (login == NULL || a == NULL || b == NULL ||
	    strtok_r(NULL, " ", &save) != NULL || recfile_unescape(login) ||
	    strchr(login, '@') == NULL || find(c, login) != NULL)
		return -1;
	errno = 0;
	start = strtoul(a, &end, 10);
	if (*end != '\0' || errno != 0)
		return -1;
	count = strtoul(b, &end, 10);
	if (*end != '\0' || errno != 0 || start == 0 || count == 0 ||
	    start > 2147483647ul || count > 2147483648ul - start)
		return -1;
	add(c, login, (uint32_t)start, (uint32_t)count);
	qsort(c->v, c->n, sizeof *c->v, by_login);
	return 0;
}

int
subid_claims_reset(struct subid_claims *c, const char *dir, size_t max,
    char *err, size_t errlen)
{
	char from[PATH_MAX], to[PATH_MAX];
	size_t i;

	/* the old file, for a human who wants to see what was there */
	snprintf(from, sizeof from, "%s/%s", dir, SUBID_CLAIMS_FILE);
	snprintf(to, sizeof to, "%s/%s.old-%lld", dir, SUBID_CLAIMS_FILE,
	    (long long)time(NULL));
	(void)rename(from, to);
	for (i = 0; i < c->n; i++)
		free(c->v[i].login);
	c->n = 0;
	c->untrusted = 0;
	return subid_claims_save(c, dir, max, err, errlen);
}

struct subid_claims *
subid_claims_load(const char *dir, size_t max, char *err, size_t errlen)
{
	struct subid_claims *c = subid_claims_new();
	char *body, *line, *save = NULL;
	size_t len;

	if (errlen > 0)
		err[0] = '\0';
	body = recfile_read(
	    dir, SUBID_CLAIMS_FILE, SUBID_MAGIC, max, &len, err, errlen);
	if (body == NULL) {
		c->untrusted = errlen > 0 && err[0] != '\0';
		return c;
	}
	for (line = strtok_r(body, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		if (parse_claim(c, line) != 0) {
			snprintf(err, errlen,
			    "%s/%s: rejected: a malformed line", dir,
			    SUBID_CLAIMS_FILE);
			c->untrusted = 1;
			break;
		}
	free(body);
	return c;
}

/* --- /etc/subuid and /etc/subgid ------------------------------------------ */

/* Lines past SUBID_MAX_SPANS are not taken: a bound on what a build walks. */
static int
add_span(const struct subidfile_range *r, void *arg)
{
	struct subid_spans *s = arg;

	if (s->n >= SUBID_MAX_SPANS)
		return 1;
	s->v = xreallocarray(s->v, s->n + 1, sizeof *s->v);
	s->v[s->n].first = r->start;
	s->v[s->n++].last = (uint64_t)r->start + r->count - 1;
	return 0;
}

struct subid_spans *
subid_spans_load(const char *subuid, const char *subgid)
{
	struct subid_spans *s = xcalloc(1, sizeof *s);

	subidfile_each(subuid, add_span, s);
	subidfile_each(subgid, add_span, s);
	if (s->n > 0)
		qsort(s->v, s->n, sizeof *s->v, by_first);
	return s;
}

void
subid_spans_free(struct subid_spans *s)
{
	if (s == NULL)
		return;
	free(s->v);
	free(s);
}

int
subid_spans_overlap(const struct subid_spans *s, uint64_t first, uint64_t last,
    char *line, size_t linelen)
{
	size_t i;

	for (i = 0; s != NULL && i < s->n && s->v[i].first <= last; i++)
		if (s->v[i].last >= first) {
			snprintf(line, linelen, "%" PRIu64 "-%" PRIu64,
			    s->v[i].first, s->v[i].last);
			return 1;
		}
	return 0;
}

/* --- assigning ------------------------------------------------------------ */

static const struct policy_user *
user_named(const struct policy_result *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_users; i++)
		if (strcmp(r->users[i].name, name) == 0)
			return &r->users[i];
	return NULL;
}

/* Whether a claimed range is still one tsnssd may hand out here. */
static int
still_fits(const struct policy_config *pc, const struct localdb *local,
    const struct subid_spans *etc, const struct subid_claim *k)
{
	char line[64];
	uint64_t last = (uint64_t)k->start + k->count - 1;

	return k->count == pc->subid_count && k->start >= pc->subid_range[0] &&
	       last <= pc->subid_range[1] &&
	       !localdb_any_id_in(local, k->start, (uint32_t)last) &&
	       !subid_spans_overlap(etc, k->start, last, line, sizeof line);
}

static void
put(struct policy_result *r, const struct policy_user *u, uint32_t start,
    uint32_t count)
{
	struct policy_subid *s = &r->subids[r->n_subids++];

	s->name = xstrdup(u->name);
	s->login = xstrdup(u->login);
	s->uid = u->uid;
	s->start = start;
	s->count = count;
}

/* Every claimed range and every range of the files, sorted. */
static struct span *
taken_spans(
    const struct subid_claims *c, const struct subid_spans *etc, size_t *n)
{
	struct span *t = xcalloc(c->n + etc->n + 1, sizeof *t);
	size_t i;

	for (i = 0; i < c->n; i++) {
		t[i].first = c->v[i].start;
		t[i].last = (uint64_t)c->v[i].start + c->v[i].count - 1;
	}
	memcpy(t + c->n, etc->v, etc->n * sizeof *t);
	*n = c->n + etc->n;
	if (*n > 0)
		qsort(t, *n, sizeof *t, by_first);
	return t;
}

/*
 * The next free range at or after *cur (a multiple of subid_count from
 * the range's start), or 0 when subid_range is full.  The walk only goes
 * up, so one build costs one pass over the range.
 */
static uint32_t
next_free(const struct policy_config *pc, const struct localdb *local,
    const struct span *t, size_t nt, uint64_t *cur)
{
	uint64_t count = pc->subid_count, base = pc->subid_range[0], last;
	size_t i;

	for (;;) {
		last = *cur + count - 1;
		if (last > pc->subid_range[1])
			return 0;
		for (i = 0; i < nt && t[i].first <= last; i++)
			if (t[i].last >= *cur)
				break;
		if (i < nt && t[i].first <= last) {
			*cur = base +
			       ((t[i].last + 1 - base + count - 1) / count) *
				   count;
			continue;
		}
		if (localdb_any_id_in(local, (uint32_t)*cur, (uint32_t)last)) {
			*cur += count;
			continue;
		}
		*cur += count;
		return (uint32_t)(*cur - count);
	}
}

static int
by_subid_name(const void *a, const void *b)
{
	return strcmp(((const struct policy_subid *)a)->name,
	    ((const struct policy_subid *)b)->name);
}

size_t
subid_assign(const struct policy_config *pc, const struct localdb *local,
    const struct subid_spans *etc, struct subid_claims *c,
    struct policy_result *r, size_t *added)
{
	const struct policy_group *m = &r->subid_members;
	const struct policy_user **fresh =
	    xcalloc(m->n_members + 1, sizeof *fresh);
	const struct subid_claim *k;
	const struct policy_user *u;
	size_t i, nf = 0, nt, full = 0;
	struct span *t = taken_spans(c, etc, &nt);
	uint64_t cur = pc->subid_range[0];
	uint32_t start;

	*added = 0;
	r->subids = xcalloc(m->n_members + 1, sizeof *r->subids);
	for (i = 0; i < m->n_members; i++) {
		if ((u = user_named(r, m->members[i])) == NULL)
			continue;
		if ((k = find(c, u->login)) == NULL)
			fresh[nf++] = u;
		else if (still_fits(pc, local, etc, k))
			put(r, u, k->start, k->count);
	}
	if (c->untrusted) /* fails closed: see struct subid_claims */
		nf = 0;
	for (i = 0; i < nf; i++) { /* looked up above: add() unsorts */
		if ((start = next_free(pc, local, t, nt, &cur)) == 0) {
			full++;
			continue;
		}
		put(r, fresh[i], start, pc->subid_count);
		add(c, fresh[i]->login, start, pc->subid_count);
		(*added)++;
	}
	if (*added > 0)
		qsort(c->v, c->n, sizeof *c->v, by_login);
	if (r->n_subids > 0)
		qsort(r->subids, r->n_subids, sizeof *r->subids, by_subid_name);
	free(t);
	free(fresh);
	return full;
}

/* --- tsnssd -t ------------------------------------------------------------ */

int
subid_check(const struct policy_config *pc, const struct subid_spans *etc,
    void (*warn)(const char *msg, void *arg), void *arg, char *err,
    size_t errlen)
{
	char line[64], msg[512];
	uint64_t room;
	size_t i, open = pc->subid.all_users;

	if (!POLICY_SUBIDS_ON(pc))
		return 0;
	if (subid_spans_overlap(etc, pc->subid_range[0], pc->subid_range[1],
		line, sizeof line)) {
		snprintf(err, errlen,
		    "subid_range %" PRIu32 "-%" PRIu32
		    " overlaps %s in /etc/subuid or /etc/subgid",
		    pc->subid_range[0], pc->subid_range[1], line);
		return -1;
	}
	room = ((uint64_t)pc->subid_range[1] - pc->subid_range[0] + 1) /
	       pc->subid_count;
	for (i = 0; i < pc->subid.n_members; i++)
		open |= strchr(pc->subid.members[i], ':') != NULL;
	if (open || pc->subid.n_members > room) {
		snprintf(msg, sizeof msg,
		    "subid_range has room for %" PRIu64 " ranges of %" PRIu32
		    "; subid_members may name more, who would get none",
		    room, pc->subid_count);
		warn(msg, arg);
	}
	return 0;
}
