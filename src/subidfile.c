/* subidfile.c - see subidfile.h. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "subidfile.h"

/* A decimal id of at most 32 bits that ends at stop, or -1. */
static int
parse_id(const char *s, char stop, const char **end, uint32_t *out)
{
	unsigned long long v;
	char *e;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno != 0 || *e != stop || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	*end = e;
	return 0;
}

/* One line without its newline: 0 and *r, or -1. */
static int
parse_line(char *line, struct subidfile_range *r)
{
	char *colon = strchr(line, ':');
	const char *end;
	size_t len = strlen(line);

	if (len > 0 && line[len - 1] == '\r')
		line[len - 1] = '\0';
	if (colon == NULL || colon == line ||
	    (size_t)(colon - line) > SUBIDFILE_MAX_OWNER)
		return -1;
	*colon = '\0';
	if (parse_id(colon + 1, ':', &end, &r->start) != 0 ||
	    parse_id(end + 1, '\0', &end, &r->count) != 0 || r->count == 0)
		return -1;
	r->owner = line;
	return 0;
}

/* The rest of a line too long for the buffer: how many bytes. */
static size_t
skip_rest(FILE *f)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n')
		n++;
	return n;
}

static FILE *
open_regular(const char *path, size_t *skipped)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	FILE *f;

	if (fd < 0) {
		*skipped += errno != ENOENT;
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > SUBIDFILE_MAX_BYTES ||
	    (f = fdopen(fd, "r")) == NULL) {
		close(fd);
		(*skipped)++;
		return NULL;
	}
	return f;
}

size_t
subidfile_each(const char *path,
    int (*fn)(const struct subidfile_range *r, void *arg), void *arg)
{
	char line[SUBIDFILE_MAX_LINE + 2];
	struct subidfile_range r;
	size_t skipped = 0, taken = 0, len;
	FILE *f = open_regular(path, &skipped);

	if (f == NULL)
		return skipped;
	while (fgets(line, sizeof line, f) != NULL) {
		len = strlen(line);
		/* it may have grown since fstat: the bound holds anyway */
		if ((taken += len) > SUBIDFILE_MAX_BYTES) {
			skipped++;
			break;
		}
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f)) {
			taken += skip_rest(f);
			skipped++;
			continue;
		}
		if (len == 0 || line[0] == '#')
			continue;
		if (parse_line(line, &r) != 0)
			skipped++;
		else if (fn(&r, arg) != 0)
			break;
	}
	fclose(f);
	return skipped;
}
