/*
 * idstore.c - see idstore.h.  One line per identity: id, login and
 * display name, each escaped by recfile_put; the first line is the time.
 */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idstore.h"
#include "recfile.h"
#include "xmalloc.h"

#define IDSTORE_MAGIC "tsnssd-identities-1"

/* The lines for ids, appended to *buf (grown as recfile_put does). */
static void
encode(const struct tsnss_identity *ids, size_t n, time_t at, char **buf,
    size_t *len, size_t *cap)
{
	char num[32];
	size_t i;

	snprintf(num, sizeof num, "%lld\n", (long long)at);
	recfile_put(buf, len, cap, num, 0);
	for (i = 0; i < n; i++) {
		snprintf(num, sizeof num, "%" PRId64 " ", ids[i].id);
		recfile_put(buf, len, cap, num, 0);
		recfile_put(buf, len, cap, ids[i].login, 1);
		recfile_put(buf, len, cap, " ", 0);
		/* "" would vanish between two spaces: "-" stands for it */
		recfile_put(buf, len, cap,
		    ids[i].display_name && *ids[i].display_name
			? ids[i].display_name
			: "-",
		    1);
		recfile_put(buf, len, cap, "\n", 0);
	}
}

int
idstore_save(const char *dir, const struct tsnss_identity *ids, size_t n,
    time_t at, char *err, size_t errlen)
{
	char *body = NULL, *old, why[256];
	const char *was, *now;
	size_t len = 0, cap = 0, oldlen;
	int rc = 0;

	encode(ids, n, at, &body, &len, &cap);
	old = recfile_read(dir, IDSTORE_FILE, IDSTORE_MAGIC, IDSTORE_MAX_BYTES,
	    &oldlen, why, sizeof why);
	/*
	 * The same answer again: skip the write, unless the time on disk is
	 * old enough to matter to max_stale after a restart.
	 */
	was = old ? strchr(old, '\n') : NULL;
	now = strchr(body, '\n');
	if (was == NULL || now == NULL || strcmp(was, now) != 0 ||
	    at - (time_t)strtoll(old, NULL, 10) >= IDSTORE_REWRITE_AFTER)
		rc = recfile_write(
		    dir, IDSTORE_FILE, IDSTORE_MAGIC, body, len, err, errlen);
	free(old);
	free(body);
	return rc;
}

static int
parse_line(char *line, struct tsnss_identity *id)
{
	char *save = NULL, *num, *login, *display, *end;
	long long v;

	num = strtok_r(line, " ", &save);
	login = strtok_r(NULL, " ", &save);
	display = strtok_r(NULL, " ", &save);
	if (num == NULL || login == NULL || display == NULL ||
	    strtok_r(NULL, " ", &save) != NULL || recfile_unescape(login) ||
	    recfile_unescape(display))
		return -1;
	errno = 0;
	v = strtoll(num, &end, 10);
	if (*end != '\0' || errno != 0)
		return -1;
	id->id = v;
	id->login = xstrdup(login);
	id->display_name = xstrdup(strcmp(display, "-") == 0 ? "" : display);
	return 0;
}

static void
free_ids(struct tsnss_identity *ids, size_t n)
{
	while (n-- > 0) {
		free((char *)ids[n].login);
		free((char *)ids[n].display_name);
	}
	free(ids);
}

int
idstore_load(const char *dir, struct tsnss_identity **ids, size_t *n,
    time_t *at, char *err, size_t errlen)
{
	char *body, *line, *save = NULL, *end;
	size_t len, cap = 0;
	int rc = 0;

	body = recfile_read(dir, IDSTORE_FILE, IDSTORE_MAGIC, IDSTORE_MAX_BYTES,
	    &len, err, errlen);
	if (body == NULL)
		return -1;
	*ids = NULL;
	*n = 0;
	line = strtok_r(body, "\n", &save);
	*at = line ? (time_t)strtoll(line, &end, 10) : 0;
	if (line == NULL || *end != '\0' || *at <= 0)
		rc = -1;
	while (rc == 0 && (line = strtok_r(NULL, "\n", &save)) != NULL) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*ids = xreallocarray(*ids, cap, sizeof **ids);
		}
		if (parse_line(line, &(*ids)[*n]) != 0)
			rc = -1;
		else
			(*n)++;
	}
	free(body);
	if (rc != 0) {
		snprintf(err, errlen, "%s/%s: rejected: a malformed line", dir,
		    IDSTORE_FILE);
		free_ids(*ids, *n);
		*ids = NULL;
		*n = 0;
	}
	return rc;
}
