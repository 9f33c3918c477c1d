/*
 * tsnssctl - ask tsnssd what it is doing, without reading its logs.
 *
 *   tsnssctl status        snapshot age and size, refresh state, counters,
 *                          and the published map as the NSS module sees it
 *   tsnssctl refresh       refresh now (root; once per 5 s per user)
 *   tsnssctl forget LOGIN  release the UID and name LOGIN owns on this
 *                          host, for another login to take (root)
 *   tsnssctl forget --all  release every claim, also an untrusted claims
 *                          file's, which holds back new users (root)
 *   tsnssctl lookup KEY    a user (and the group) by name or id, as the
 *                          NSS module sees it
 *   tsnssctl dump          every user and group tsnssd serves
 *
 * It speaks the stub's own protocol through the stub's own client code,
 * so what it shows is what glibc gets.
 */
#include "autoconfig.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nss-tailscale.h"

enum { EXIT_OK = 0, EXIT_NOTFOUND = 1, EXIT_UNAVAIL = 2, EXIT_USAGE = 64 };

static int
exit_code(enum nss_status st)
{
	if (st == NSS_STATUS_SUCCESS)
		return EXIT_OK;
	if (st == NSS_STATUS_NOTFOUND)
		return EXIT_NOTFOUND;
	fprintf(stderr, "tsnssctl: tsnssd does not answer on %s\n",
	    TSNSSD_SOCKET_PATH);
	return EXIT_UNAVAIL;
}

/* The published map, judged by the stub's own trust rules. */
static void
print_map(void)
{
	struct tsnss_snap_header h;
	char why[256];
	long long now = (long long)time(NULL);

	if (tsnss_snap_probe(&h, why, sizeof why) != 0) {
		printf("map:              not used: %s\n", why);
		return;
	}
	printf("map:              %s: generation %llu, %u users, %u groups, "
	       "%lld s old",
	    TSNSSD_MAP_PATH, (unsigned long long)h.generation, h.n_users,
	    h.n_groups, now - (long long)h.created);
	if (h.serve_until != 0)
		printf(", %s %lld s",
		    h.serve_until > now ? "served for" : "expired",
		    h.serve_until > now ? h.serve_until - now
					: now - h.serve_until);
	printf("%s\n", h.superseded ? ", superseded" : "");
}

/* status, refresh and forget: the payload is text. */
static int
control(uint32_t action, const char *key)
{
	struct tsnss_reply r;
	enum nss_status st;
	int err;

	st = tsnss_ask(action, key, strlen(key), &r, &err);
	if (action == TSNSS_CTL_STATUS)
		print_map();
	if (st == NSS_STATUS_SUCCESS) {
		fwrite(r.payload, 1, r.len, stdout);
		free(r.payload);
		return EXIT_OK;
	}
	if (action == TSNSS_CTL_REFRESH && st == NSS_STATUS_UNAVAIL) {
		fprintf(stderr, "tsnssctl: refresh refused (root only) or "
				"tsnssd is not running\n");
		return EXIT_UNAVAIL;
	}
	if (action == TSNSS_CTL_FORGET && st == NSS_STATUS_UNAVAIL) {
		fprintf(stderr, "tsnssctl: forget refused (root only), a bad "
				"login, or tsnssd is not running\n");
		return EXIT_UNAVAIL;
	}
	return exit_code(st);
}

static void
print_passwd(const struct passwd *pw)
{
	printf("passwd: %s:%s:%u:%u:%s:%s:%s\n", pw->pw_name, pw->pw_passwd,
	    (unsigned)pw->pw_uid, (unsigned)pw->pw_gid, pw->pw_gecos,
	    pw->pw_dir, pw->pw_shell);
}

static void
print_group(const struct group *gr)
{
	char **m;

	printf("group:  %s:%s:%u:", gr->gr_name, gr->gr_passwd,
	    (unsigned)gr->gr_gid);
	for (m = gr->gr_mem; *m != NULL; m++)
		printf("%s%s", *m, m[1] ? "," : "");
	printf("\n");
}

/* One entry by action and key into a big enough buffer. */
static enum nss_status
fetch_pw(uint32_t action, const void *key, size_t keylen, struct passwd *pw,
    char *buf, size_t buflen)
{
	struct tsnss_reply r;
	enum nss_status st;
	int err;

	st = tsnss_ask(action, key, keylen, &r, &err);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	st = tsnss_unpack_passwd(r.payload, r.len, pw, buf, buflen) == 0
		 ? NSS_STATUS_SUCCESS
		 : NSS_STATUS_UNAVAIL;
	free(r.payload);
	return st;
}

static enum nss_status
fetch_gr(uint32_t action, const void *key, size_t keylen, struct group *gr,
    char **buf, size_t *buflen)
{
	struct tsnss_reply r;
	enum nss_status st;
	int err, rc;

	st = tsnss_ask(action, key, keylen, &r, &err);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	while ((rc = tsnss_unpack_group(r.payload, r.len, gr, *buf, *buflen)) ==
	       ERANGE) {
		*buflen *= 2;
		*buf = realloc(*buf, *buflen);
		if (*buf == NULL)
			break;
	}
	free(r.payload);
	return rc == 0 ? NSS_STATUS_SUCCESS : NSS_STATUS_UNAVAIL;
}

static int
lookup(const char *key)
{
	char buf[16384], *gbuf = malloc(4096), *end;
	size_t glen = 4096;
	struct passwd pw;
	struct group gr;
	enum nss_status st;
	unsigned long id = strtoul(key, &end, 10);
	uint32_t id32 = (uint32_t)id;
	int numeric = *key != '\0' && *end == '\0';

	if (numeric)
		st = fetch_pw(
		    TSNSS_PW_BYUID, &id32, sizeof id32, &pw, buf, sizeof buf);
	else
		st = fetch_pw(
		    TSNSS_PW_BYNAME, key, strlen(key), &pw, buf, sizeof buf);
	if (st == NSS_STATUS_SUCCESS)
		print_passwd(&pw);
	if (numeric ? fetch_gr(TSNSS_GR_BYGID, &id32, sizeof id32, &gr, &gbuf,
			  &glen) == NSS_STATUS_SUCCESS
		    : fetch_gr(TSNSS_GR_BYNAME, key, strlen(key), &gr, &gbuf,
			  &glen) == NSS_STATUS_SUCCESS) {
		print_group(&gr);
		st = NSS_STATUS_SUCCESS;
	}
	free(gbuf);
	return exit_code(st);
}

static int
dump(void)
{
	char buf[16384], *gbuf = malloc(4096);
	size_t glen = 4096;
	struct passwd pw;
	struct group gr;
	enum nss_status st = NSS_STATUS_SUCCESS;
	uint32_t i;

	for (i = 0; st == NSS_STATUS_SUCCESS; i++)
		if ((st = fetch_pw(TSNSS_PW_BYINDEX, &i, sizeof i, &pw, buf,
			 sizeof buf)) == NSS_STATUS_SUCCESS)
			print_passwd(&pw);
	if (st != NSS_STATUS_NOTFOUND) {
		free(gbuf);
		return exit_code(st);
	}
	st = NSS_STATUS_SUCCESS;
	for (i = 0; st == NSS_STATUS_SUCCESS; i++)
		if ((st = fetch_gr(TSNSS_GR_BYINDEX, &i, sizeof i, &gr, &gbuf,
			 &glen)) == NSS_STATUS_SUCCESS)
			print_group(&gr);
	free(gbuf);
	return st == NSS_STATUS_NOTFOUND ? EXIT_OK : exit_code(st);
}

static int
usage(void)
{
	fprintf(stderr, "usage: tsnssctl status | refresh | lookup NAME|ID | "
			"dump | forget LOGIN|--all\n");
	return EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "status") == 0)
		return control(TSNSS_CTL_STATUS, "");
	if (argc == 2 && strcmp(argv[1], "refresh") == 0)
		return control(TSNSS_CTL_REFRESH, "");
	if (argc == 3 && strcmp(argv[1], "forget") == 0 && *argv[2] != '\0' &&
	    strlen(argv[2]) <= TSNSS_MAX_KEY)
		return control(TSNSS_CTL_FORGET, argv[2]);
	if (argc == 3 && strcmp(argv[1], "lookup") == 0)
		return lookup(argv[2]);
	if (argc == 2 && strcmp(argv[1], "dump") == 0)
		return dump();
	if (argc == 2 && strcmp(argv[1], "--version") == 0)
		return printf("tsnssctl %s\n", PACKAGE_VERSION), EXIT_OK;
	return usage();
}
