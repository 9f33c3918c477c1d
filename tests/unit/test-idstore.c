/*
 * test-idstore.c - the persisted answers (src/idstore.c): groups named
 * once and then by number, read back the same; version 2 files still
 * read; a reference to a group not yet named, or not a number, refused.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idlist.h"
#include "idstore.h"
#include "recfile.h"
#include "tap.h"

#define MAX (1u << 20)
static char dir[] = "/tmp/test-idstore.XXXXXX";

static const char *eng_ops[] = {"group:eng", "group:ops"};
static const char *ops_eng[] = {"group:ops", "group:eng", "#0"};

static const struct tsnss_identity ids[] = {
    {1, "alice@example.com", "Alice", eng_ops, 2, NULL, 0},
    {2, "bob@example.com", "Bob B", ops_eng, 3, NULL, 0},
    {3, "carol@example.com", "", NULL, 0, NULL, 0},
};

/* A file of ours with this magic and body, as recfile writes it. */
static void
put(const char *magic, const char *body)
{
	char err[256];

	if (recfile_write(dir, IDSTORE_FILE ".t", magic, body, strlen(body),
		MAX, err, sizeof err) != 0) {
		printf("# %s\n", err);
		exit(99);
	}
}

static struct idlist *
load(void)
{
	char err[512];
	time_t at;

	return idstore_load(dir, "t", MAX, &at, err, sizeof err);
}

static int
same_groups(const struct tsnss_identity *x, const struct tsnss_identity *y)
{
	size_t i;

	if (x->n_groups != y->n_groups)
		return 0;
	for (i = 0; i < x->n_groups; i++)
		if (strcmp(x->groups[i], y->groups[i]) != 0)
			return 0;
	return 1;
}

static void
round_trip(void)
{
	char err[512], path[512], *text;
	struct idlist *l;
	size_t len;

	ok(idstore_save(dir, "t", ids, 3, 1000, MAX, err, sizeof err) == 0,
	    "saved");
	snprintf(path, sizeof path, "%s/%s.t", dir, IDSTORE_FILE);
	text = tap_slurp(path, &len);
	ok(text != NULL && strstr(text, " #1 #0 =#0") != NULL,
	    "a group named before is written by number; '#0' itself as '=#0'");
	free(text);
	l = load();
	ok(l != NULL && l->n == 3, "read back");
	ok(l != NULL && same_groups(&l->ids[0], &ids[0]) &&
		same_groups(&l->ids[1], &ids[1]) && l->ids[2].n_groups == 0,
	    "with the same groups, in order");
	ok(l != NULL && strcmp(l->ids[1].display_name, "Bob B") == 0,
	    "and the rest");
	idlist_free(l);
}

/*
 * The bytes of a field and of a number, exactly as older tsnssd wrote
 * them: the same answer must compare equal to the file on disk (no
 * rewrite), and older tsnssd must read what this one writes.
 */
static void
encoding(void)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;

	recfile_put(&buf, &len, &cap, "", 0);
	ok(buf != NULL && len == 0 && buf[0] == '\0', "an empty buffer");
	recfile_put(&buf, &len, &cap, "a b%c\t\x7f\xc3\xa9z", 1);
	recfile_put(&buf, &len, &cap, " %", 0);
	recfile_put_num(&buf, &len, &cap, -9223372036854775807 - 1);
	recfile_put(&buf, &len, &cap, " ", 0);
	recfile_put_num(&buf, &len, &cap, 0);
	recfile_put(&buf, &len, &cap, " ", 0);
	recfile_put_num(&buf, &len, &cap, 4294967295);
	ok(buf != NULL &&
		strcmp(buf, "a%20b%25c%09%7f\xc3\xa9z %-9223372036854775808 "
			    "0 4294967295") == 0 &&
		len == strlen(buf),
	    "escapes and numbers as before: %s", buf ? buf : "(null)");
	len = 0;
	/* past eight bytes: escapes found inside a word, UTF-8 left be */
	recfile_put(&buf, &len, &cap,
	    "abcdefgh%ijklmnop "
	    "qrstuvw\x7fxy\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\x01",
	    1);
	ok(strcmp(buf, "abcdefgh%25ijklmnop%20qrstuvw%7fxy\xc3\xa9\xc3\xa9\xc3"
		       "\xa9\xc3\xa9%01") == 0 &&
		len == strlen(buf),
	    "a long field escaped as before: %s", buf);
	free(buf);
}

static void
bad_input(void)
{
	struct idlist *l;

	put("tsnssd-identities-2", "1000\n1 =a@x =A 2 =g:a =g:b 0\n");
	l = load();
	ok(l != NULL && l->n == 1 && l->ids[0].n_groups == 2,
	    "a version 2 file is read");
	idlist_free(l);
	put("tsnssd-identities-2", "1000\n1 =a@x =A 2 =g:a #0 0\n");
	ok(load() == NULL, "version 2 has no #N");
	put("tsnssd-identities-3", "1000\n1 =a@x =A 2 =g:a #1 0\n");
	ok(load() == NULL, "#N past the groups named so far");
	put("tsnssd-identities-3", "1000\n1 =a@x =A 1 #0 0\n");
	ok(load() == NULL, "#0 before any group");
	put("tsnssd-identities-3", "1000\n1 =a@x =A 2 =g:a #x 0\n");
	ok(load() == NULL, "#x");
	put("tsnssd-identities-3", "1000\n1 =a@x =A 2 =g:a #-0 0\n");
	ok(load() == NULL, "#-0");
	put("tsnssd-identities-3",
	    "1000\n1 =a@x =A 2 =g:a #99999999999999999999999 0\n");
	ok(load() == NULL, "a number past 64 bits");
	put("tsnssd-identities-3", "1000\n1 =a@x =A 2 =g:a #0x 0\n");
	ok(load() == NULL, "#0x");
	put("tsnssd-identities-3", "1000\n1 =a@x =A 2 =g:a #0 0\n"
				   "2 =b@x =B 1 #0 0\n");
	l = load();
	ok(l != NULL && l->n == 2 && strcmp(l->ids[1].groups[0], "g:a") == 0,
	    "#0 on a later line is the first group of the file");
	idlist_free(l);
}

int
main(void)
{
	char path[512];

	if (mkdtemp(dir) == NULL)
		return 99;
	round_trip();
	encoding();
	bad_input();
	snprintf(path, sizeof path, "%s/%s.t", dir, IDSTORE_FILE);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
