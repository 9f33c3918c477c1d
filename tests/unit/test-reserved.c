/*
 * test-reserved.c - the readers of the names and ids the host reserves
 * (src/reserved.c): what they take from units, sysusers.d and subuid
 * files, and that hostile files (huge, binary, endless lines, a FIFO,
 * malformed ranges) are left out and counted without hiding good ones;
 * and the subuid reader they share with subid.c and rangecheck.c.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reserved.h"
#include "subidfile.h"
#include "tap.h"

static char dir[] = "/tmp/test-reserved-XXXXXX";

static void
put(const char *name, const char *body, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	fwrite(body, 1, len, f);
	fclose(f);
}

static void
put_s(const char *name, const char *body)
{
	put(name, body, strlen(body));
}

static void
test_units(void)
{
	const char *const dirs[] = {dir, NULL};
	struct reserved *r;
	size_t big = RESERVED_MAX_FILE + 1;
	char *huge = malloc(big), line[RESERVED_MAX_LINE + 64];

	put_s("web.service", "[Service]\nDynamicUser=yes\nUser=webapp\n");
	put_s("self.service", "[Service]\n DynamicUser = on \n");
	put_s("plain.service", "[Service]\nUser=plainsvc\n");
	put_s("unit.service", "[Unit]\nDynamicUser=yes\nUser=nope\n");
	put_s("tmpl@.service", "[Service]\nDynamicUser=yes\n");
	put_s("spec.service", "[Service]\nDynamicUser=yes\nUser=%i-x\n");
	put_s("u.conf", "# c\nu metricsd - \"M\"\ng \"ingest\" -\nm a b\n");
	memset(huge, 'x', big);
	memcpy(huge, "[Service]\nDynamicUser=yes\nUser=huge\n", 37);
	put("huge.service", huge, big);
	memset(line, 'y', sizeof line);
	memcpy(line, "[Service]\nDynamicUser=yes\n", 26);
	line[sizeof line - 1] = '\n';
	put("long.service", line, sizeof line);
	put("nul.service", "[Service]\nDynamicUser=yes\nUser=n\0ul\n", 36);
	free(huge);
	{
		char fifo[512];

		snprintf(fifo, sizeof fifo, "%s/fifo.service", dir);
		ok(mkfifo(fifo, 0600) == 0, "a FIFO among the units");
	}
	r = reserved_load_from(dirs, dirs, NULL, NULL);
	ok(reserved_name(r, "webapp") != NULL &&
		strstr(reserved_name(r, "webapp"), "web.service") != NULL,
	    "User= of a DynamicUser=yes unit, with its unit in why");
	ok(reserved_name(r, "self") != NULL,
	    "without User=, the unit's own name");
	ok(reserved_name(r, "plainsvc") == NULL,
	    "User= without DynamicUser= is a real account's business");
	ok(reserved_name(r, "nope") == NULL, "only [Service] counts");
	ok(reserved_name(r, "tmpl@") == NULL &&
		reserved_name(r, "tmpl") == NULL,
	    "a template unit reserves no fixed name");
	ok(reserved_name(r, "%i-x") == NULL, "a specifier is no name");
	ok(reserved_name(r, "metricsd") != NULL && reserved_name(r, "ingest"),
	    "u and g lines of sysusers.d, quotes taken off");
	ok(reserved_name(r, "a") == NULL, "m lines reserve nothing");
	ok(reserved_name(r, "huge") == NULL,
	    "a unit over the size bound is not read in part");
	ok(reserved_name(r, "n") == NULL, "a line holding a NUL is left out");
	ok(reserved_skipped(r) >= 3, "and each is counted (%zu)",
	    reserved_skipped(r));
	ok(reserved_name(r, "postgres") != NULL &&
		reserved_name(NULL, "www-data") != NULL,
	    "the built-in list holds with or without files");
	ok(reserved_name(r, "alice") == NULL, "anything else is free");
	reserved_free(r);
}

/* reserved_name() searches the built-in list by halves: it must be sorted. */
static void
test_builtin(void)
{
	const char *const *b = reserved_builtin();
	size_t i, unsorted = 0, missed = 0;

	for (i = 0; b[i] != NULL; i++) {
		unsorted += i > 0 && strcmp(b[i - 1], b[i]) >= 0;
		missed += reserved_name(NULL, b[i]) == NULL;
	}
	ok(i > 50 && unsorted == 0, "the built-in list is sorted, each once");
	ok(missed == 0, "each of its %zu names is reserved", i);
	ok(reserved_name(NULL, "bi") == NULL &&
		reserved_name(NULL, "binx") == NULL &&
		reserved_name(NULL, "") == NULL &&
		reserved_name(NULL, "zzz") == NULL &&
		reserved_name(NULL, "_") == NULL,
	    "prefixes, extensions and the ends of the list are free");
}

static void
test_subid(void)
{
	char path[512];
	struct reserved *r;

	put_s("subuid", "carol:100000:65536\ndave:165536:65536\n"
			"erin:120000:10\n# c\nbad\nx:1:0\ny:zz:5\n"
			"z:4294967295:4294967295\nw:-1:5\n");
	snprintf(path, sizeof path, "%s/subuid", dir);
	r = reserved_load_from(NULL, NULL, path, NULL);
	ok(reserved_id(r, 99999) == NULL, "below the first range: free");
	ok(reserved_id(r, 100000) != NULL &&
		strstr(reserved_id(r, 100000), "carol's") != NULL,
	    "the first id of carol's range, with her name in why");
	ok(reserved_id(r, 120005) != NULL, "an id in two overlapping ranges");
	ok(reserved_id(r, 231071) != NULL, "the last id of dave's range");
	ok(reserved_id(r, 231072) == NULL, "one past it: free");
	ok(reserved_id(r, 1) == NULL, "a range of 0 ids holds nothing");
	is_int(reserved_skipped(r), 4, "malformed lines are counted");
	reserved_free(r);
	ok(reserved_id(NULL, 100000) == NULL, "no ranges read: none held");
}

/* The one reader of subuid files (src/subidfile.c), for its bounds. */
static int
count_range(const struct subidfile_range *r, void *arg)
{
	int *n = arg;

	(*n)++;
	return strcmp(r->owner, "stop") == 0;
}

static void
test_subidfile(void)
{
	char path[512], *big;
	size_t skipped;
	int n = 0;

	snprintf(path, sizeof path, "%s/subid-hostile", dir);
	big = malloc(SUBIDFILE_MAX_LINE + 100);
	memset(big, '1', SUBIDFILE_MAX_LINE + 99);
	big[0] = 'a', big[1] = ':', big[SUBIDFILE_MAX_LINE + 99] = '\0';
	{
		FILE *f = fopen(path, "w");

		fprintf(f, "crlf:200000:10\r\n%s:5\nafter:300000:10\n", big);
		fprintf(f, "%0*d:1:1\nnul\n", SUBIDFILE_MAX_OWNER + 1, 7);
		fclose(f);
	}
	free(big);
	skipped = subidfile_each(path, count_range, &n);
	is_int(n, 2, "a CRLF line and the line after an endless one are read");
	is_int((int)skipped, 3,
	    "the endless line, a too-long owner and a bare word are skipped");

	n = 0;
	put_s("subid-stop", "a:1:1\nstop:2:2\nc:3:3\n");
	snprintf(path, sizeof path, "%s/subid-stop", dir);
	subidfile_each(path, count_range, &n);
	is_int(n, 2, "the caller stops the walk");

	snprintf(path, sizeof path, "%s/subid-fifo", dir);
	n = 0;
	ok(mkfifo(path, 0600) == 0, "a FIFO in the file's place");
	is_int((int)subidfile_each(path, count_range, &n), 1,
	    "a FIFO is not read (and does not hang): one skipped");
	is_int(n, 0, "and gives no range");
	snprintf(path, sizeof path, "%s/none", dir);
	is_int((int)subidfile_each(path, count_range, &n), 0,
	    "a missing file: nothing skipped");
}

int
main(void)
{
	char cmd[600];

	if (mkdtemp(dir) == NULL)
		return 99;
	test_units();
	test_builtin();
	test_subid();
	test_subidfile();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", dir);
	return done_testing();
}
