/*
 * idstore.c - see idstore.h.  The first line is the time; then one line
 * per identity: id, login, display name, the number of groups and each
 * group, the number of attributes and each key and value.  Every string
 * field starts with '=' (so an empty one is "=") and is escaped by
 * recfile_put.
 *
 * Version 3: a group named earlier in the file is "#N", the N-th group
 * (from 0) written out in full: 100k users in 30 groups each name a
 * thousand groups three million times, 60 MB written at every build as
 * version 2 spelled them.  Version 2 files are read as they are; an
 * older tsnssd rejects a version 3 file rather than misread it.
 */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "idlist.h"
#include "idstore.h"
#include "ptrmap.h"
#include "recfile.h"
#include "strmap.h"
#include "xmalloc.h"

#define IDSTORE_MAGIC "tsnssd-identities-3"
#define IDSTORE_MAGIC_V2 "tsnssd-identities-2"
#define IDSTORE_MAX_LIST 65536 /* groups or attributes of one identity */

struct sink {
	char *buf;
	size_t len, cap;
	struct strmap *groups; /* each group written out: its number */
	size_t n_groups;
	/*
	 * The same by the string's address: an answer's group names are
	 * each copied once (idlist.c), so most references are found here
	 * without hashing the name (3M of them at 100k users in 30 groups).
	 */
	struct ptrmap *seen;
	/* " #N" for each number given so far, made once */
	struct ref {
		char s[24];
		unsigned char n;
	} * refs;
};

static void
put_str(struct sink *k, const char *s)
{
	recfile_putn(&k->buf, &k->len, &k->cap, " =", 2);
	recfile_put(&k->buf, &k->len, &k->cap, s ? s : "", 1);
}

/* A number, after a space unless it starts the line. */
static void
put_num(struct sink *k, int64_t v, int first)
{
	char num[32], *p = recfile_num(num + sizeof num, v);

	if (!first)
		*--p = ' ';
	recfile_putn(
	    &k->buf, &k->len, &k->cap, p, (size_t)(num + sizeof num - p));
}

/*
 * Number no was just given to a group: its reference, " #N", made now
 * once rather than at each of its (three million, at 100k users in 30
 * groups) uses.
 */
static void
new_ref(struct sink *k, size_t no)
{
	struct ref *r;
	char *p;

	if ((no & (no - 1)) == 0) /* 0, 1, 2, 4...: grown by doubling */
		k->refs = xreallocarray(k->refs, no ? 2 * no : 1, sizeof *r);
	r = &k->refs[no];
	p = recfile_num(r->s + sizeof r->s, (int64_t)no);
	*--p = '#';
	*--p = ' ';
	r->n = (unsigned char)(r->s + sizeof r->s - p);
	memmove(r->s, p, r->n);
}

/* A group in full the first time, by its number after (" #N"). */
static void
put_group(struct sink *k, const char *g)
{
	uint32_t hit = g ? ptrmap_get(k->seen, g) : PTRMAP_NONE;
	size_t no = hit, *at;
	struct ref *r;
	int added;

	if (hit == PTRMAP_NONE) {
		at = strmap_put(k->groups, g ? g : "", &added);
		if (added) {
			*at = k->n_groups++;
			put_str(k, g);
			new_ref(k, *at);
			return;
		}
		no = *at;
		if (g != NULL && no < PTRMAP_NONE)
			ptrmap_put(k->seen, g, (uint32_t)no);
	}
	r = &k->refs[no];
	recfile_putn(&k->buf, &k->len, &k->cap, r->s, r->n);
}

static void
encode_one(struct sink *k, const struct tsnss_identity *t)
{
	size_t i;

	put_num(k, t->id, 1);
	put_str(k, t->login);
	put_str(k, t->display_name);
	put_num(k, t->groups ? (int64_t)t->n_groups : 0, 0);
	for (i = 0; t->groups && i < t->n_groups; i++)
		put_group(k, t->groups[i]);
	put_num(k, t->attrs ? (int64_t)t->n_attrs : 0, 0);
	for (i = 0; t->attrs && i < t->n_attrs; i++) {
		put_str(k, t->attrs[i].key);
		put_str(k, t->attrs[i].value);
	}
	recfile_putn(&k->buf, &k->len, &k->cap, "\n", 1);
}

/* "identities.NAME"; NULL: the file of a tsnssd with one backend. */
static void
file_name(const char *name, char *out, size_t len)
{
	if (name == NULL)
		snprintf(out, len, "%s", IDSTORE_FILE);
	else
		snprintf(out, len, "%s.%s", IDSTORE_FILE, name);
}

struct idstore_out {
	char file[128];
	char *buf; /* the time's line, then the identities' */
	size_t len;
	time_t at;
};

struct idstore_out *
idstore_encode(
    const char *name, const struct tsnss_identity *ids, size_t n, time_t at)
{
	struct sink k = {NULL, 0, 0, strmap_new(0), 0, ptrmap_new(0), NULL};
	struct idstore_out *o = xcalloc(1, sizeof *o);
	size_t i;

	put_num(&k, (int64_t)at, 1);
	recfile_put(&k.buf, &k.len, &k.cap, "\n", 0);
	for (i = 0; i < n; i++)
		encode_one(&k, &ids[i]);
	strmap_free(k.groups);
	ptrmap_free(k.seen);
	free(k.refs);
	file_name(name, o->file, sizeof o->file);
	o->buf = k.buf;
	o->len = k.len;
	o->at = at;
	return o;
}

int
idstore_check(const struct idstore_out *o, const char *dir, size_t max,
    char *err, size_t errlen)
{
	return recfile_check(
	    dir, o->file, IDSTORE_MAGIC, o->len, max, err, errlen);
}

int
idstore_write(const struct idstore_out *o, const char *dir, size_t max,
    char *err, size_t errlen)
{
	char *old, why[256];
	const char *was, *now;
	size_t oldlen;
	int rc = 0;

	old = recfile_read(
	    dir, o->file, IDSTORE_MAGIC, max, &oldlen, why, sizeof why);
	/*
	 * The same answer again: skip the write, unless the time on disk is
	 * old enough to matter to max_stale after a restart.
	 */
	was = old ? strchr(old, '\n') : NULL;
	now = strchr(o->buf, '\n');
	if (was == NULL || now == NULL || strcmp(was, now) != 0 ||
	    o->at - (time_t)strtoll(old, NULL, 10) >= IDSTORE_REWRITE_AFTER)
		rc = recfile_write(dir, o->file, IDSTORE_MAGIC, o->buf, o->len,
		    max, err, errlen);
	free(old);
	return rc;
}

void
idstore_out_free(struct idstore_out *o)
{
	if (o == NULL)
		return;
	free(o->buf);
	free(o);
}

int
idstore_save(const char *dir, const char *name,
    const struct tsnss_identity *ids, size_t n, time_t at, size_t max,
    char *err, size_t errlen)
{
	struct idstore_out *o = idstore_encode(name, ids, n, at);
	int rc = idstore_write(o, dir, max, err, errlen);

	idstore_out_free(o);
	return rc;
}

/* The next field of a line, without its '=', unescaped; NULL if bad. */
static char *
take_str(char **save)
{
	char *f = strtok_r(NULL, " ", save);

	if (f == NULL || f[0] != '=' || recfile_unescape(f + 1) != 0)
		return NULL;
	return f + 1;
}

/*
 * The groups written out in full so far, in a version 3 file (names
 * NULL: a version 2 file, where "#N" is no field).
 */
struct seen {
	const char **names;
	size_t n, cap;
	int v3;
};

/* A group: a string field, or in version 3 "#N" for an earlier one. */
static const char *
take_group(char **save, struct seen *sn)
{
	char *f = strtok_r(NULL, " ", save), *end;
	unsigned long long no;

	if (f != NULL && f[0] == '#' && sn->v3) {
		if (f[1] < '0' || f[1] > '9')
			return NULL;
		errno = 0;
		no = strtoull(f + 1, &end, 10);
		return *end != '\0' || errno != 0 || no >= sn->n
			   ? NULL
			   : sn->names[no];
	}
	if (f == NULL || f[0] != '=' || recfile_unescape(f + 1) != 0)
		return NULL;
	if (sn->v3) {
		if (sn->n == sn->cap) {
			sn->cap = sn->cap ? 2 * sn->cap : 64;
			sn->names = xreallocarray(
			    sn->names, sn->cap, sizeof *sn->names);
		}
		sn->names[sn->n++] = f + 1;
	}
	return f + 1;
}

static int
take_num(char **save, int64_t *v, int64_t max)
{
	char *f = strtok_r(NULL, " ", save), *end;

	if (f == NULL)
		return -1;
	errno = 0;
	*v = strtoll(f, &end, 10);
	return *end != '\0' || errno != 0 || *v < 0 || *v > max ? -1 : 0;
}

/* Pointers into line (borrowed until the idlist copies them). */
static int
parse_line(char *line, struct tsnss_identity *t, struct seen *sn)
{
	char *save = NULL, *first = strtok_r(line, " ", &save), *end;
	const char **groups;
	struct tsnss_attr *attrs;
	int64_t ng, na, i;

	if (first == NULL)
		return -1;
	errno = 0;
	t->id = strtoll(first, &end, 10);
	if (*end != '\0' || errno != 0 ||
	    (t->login = take_str(&save)) == NULL ||
	    (t->display_name = take_str(&save)) == NULL ||
	    take_num(&save, &ng, IDSTORE_MAX_LIST) != 0)
		return -1;
	t->groups = groups = xcalloc((size_t)ng + 1, sizeof *groups);
	t->n_groups = (size_t)ng;
	for (i = 0; i < ng; i++)
		if ((groups[i] = take_group(&save, sn)) == NULL)
			return -1;
	if (take_num(&save, &na, IDSTORE_MAX_LIST) != 0)
		return -1;
	t->attrs = attrs = xcalloc((size_t)na + 1, sizeof *attrs);
	t->n_attrs = (size_t)na;
	for (i = 0; i < na; i++)
		if ((attrs[i].key = take_str(&save)) == NULL ||
		    (attrs[i].value = take_str(&save)) == NULL)
			return -1;
	return strtok_r(NULL, " ", &save) == NULL ? 0 : -1;
}

static void
free_parsed(struct tsnss_identity *ids, size_t n)
{
	while (n-- > 0) {
		free((void *)ids[n].groups);
		free((void *)ids[n].attrs);
	}
	free(ids);
}

/* Every line after the first; -1 on the first bad one. */
static int
parse_all(char *body, int v3, struct tsnss_identity **ids, size_t *n)
{
	char *line, *save = NULL;
	struct seen sn = {NULL, 0, 0, v3};
	size_t cap = 0;
	int rc = 0;

	*ids = NULL;
	*n = 0;
	strtok_r(body, "\n", &save);
	while (rc == 0 && (line = strtok_r(NULL, "\n", &save)) != NULL) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*ids = xreallocarray(*ids, cap, sizeof **ids);
		}
		memset(&(*ids)[*n], 0, sizeof **ids);
		rc = parse_line(line, &(*ids)[(*n)++], &sn);
	}
	free(sn.names);
	return rc;
}

/* The body of a version 3 file, or else of a version 2 file. */
static char *
read_versioned(const char *dir, const char *file, size_t max, size_t *len,
    int *v3, char *err, size_t errlen)
{
	char *body =
	    recfile_read(dir, file, IDSTORE_MAGIC, max, len, err, errlen);
	char err2[512];

	*v3 = 1;
	/* no file is no error; any other failure may be an older version */
	if (body != NULL || err[0] == '\0')
		return body;
	body = recfile_read(
	    dir, file, IDSTORE_MAGIC_V2, max, len, err2, sizeof err2);
	if (body != NULL)
		err[0] = '\0';
	*v3 = 0;
	return body;
}

struct idlist *
idstore_load(const char *dir, const char *name, size_t max, time_t *at,
    char *err, size_t errlen)
{
	struct tsnss_fetch_result res = {sizeof res, TSNSS_FETCH_OK, NULL, NULL,
	    0, sizeof(struct tsnss_identity)};
	struct tsnss_identity *ids = NULL;
	struct idlist *l = NULL;
	char *body, *end, file[128];
	size_t len, n = 0;
	int v3;

	file_name(name, file, sizeof file);
	body = read_versioned(dir, file, max, &len, &v3, err, errlen);
	if (body == NULL)
		return NULL;
	*at = (time_t)strtoll(body, &end, 10);
	if (end == body || *end != '\n' || *at <= 0 ||
	    parse_all(body, v3, &ids, &n) != 0) {
		snprintf(err, errlen, "%s/%s: rejected: a malformed line", dir,
		    file);
	} else {
		res.ids = ids;
		res.n_ids = n;
		l = idlist_from_result(&res);
	}
	free_parsed(ids, n);
	free(body);
	return l;
}
