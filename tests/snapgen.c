/*
 * snapgen.c - a persisted snapshot of N made-up users, built by tsnssd's
 * own policy and builder, for tests and the benchmark that need a large
 * tailnet without waiting for one to be fetched.
 *
 *   snapgen CONFIG N [G]  users u000001 ... (logins u000001@DOMAIN, the
 *                       config's first domain) into the config's
 *                       cache_dir, as tsnssd would have persisted them;
 *                       with G, each in G tailnet groups of 100, and their
 *                       answer persisted too (identities), so that the
 *                       size of a large tailnet's state can be measured
 *                       against max_state_bytes
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "config.h"
#include "idstore.h"
#include "localdb.h"
#include "policy.h"
#include "snapshot.h"

#define SNAPGEN_GROUPS 100 /* in the tailnet, of which each user has g */

static const char **
make_groups(size_t i, size_t g)
{
	static char names[SNAPGEN_GROUPS][16];
	const char **groups = calloc(g + 1, sizeof *groups);
	size_t k;

	for (k = 0; k < SNAPGEN_GROUPS; k++)
		snprintf(names[k], sizeof names[k], "group:g%02zu", k);
	for (k = 0; groups != NULL && k < g; k++)
		groups[k] = names[(i + k) % SNAPGEN_GROUPS];
	return groups;
}

static struct tsnss_identity *
make_ids(const char *domain, size_t n, size_t g)
{
	struct tsnss_identity *ids = calloc(n, sizeof *ids);
	char login[320], display[64];
	size_t i;

	for (i = 0; ids != NULL && i < n; i++) {
		snprintf(login, sizeof login, "u%06zu@%s", i + 1, domain);
		snprintf(display, sizeof display, "User %zu", i + 1);
		ids[i].id = (int64_t)i + 1;
		ids[i].login = strdup(login);
		ids[i].display_name = strdup(display);
		if (g > 0) {
			ids[i].groups = make_groups(i, g);
			ids[i].n_groups = g;
		}
	}
	return ids;
}

/* The answer itself, as tsnssd persists it next to the snapshot. */
static int
save_answer(const struct config *cf, const struct tsnss_identity *ids, size_t n,
    time_t now)
{
	char err[1024];

	if (idstore_save(cf->cache_dir, cf->backends[0].name, ids, n, now,
		cf->max_state_bytes, err, sizeof err) != 0) {
		fprintf(stderr, "snapgen: %s\n", err);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct tsnss_identity *ids;
	struct policy_result *r;
	struct snapshot *s;
	struct localdb *local;
	struct config *cf;
	char err[1024];
	size_t n, g = 0;
	time_t now = time(NULL);

	if ((argc != 3 && argc != 4) || (n = strtoul(argv[2], NULL, 10)) == 0 ||
	    (argc == 4 && (g = strtoul(argv[3], NULL, 10)) > SNAPGEN_GROUPS)) {
		fprintf(stderr, "usage: snapgen CONFIG N [G]\n");
		return 2;
	}
	if ((cf = config_load(argv[1], err, sizeof err)) == NULL) {
		fprintf(stderr, "snapgen: %s\n", err);
		return 1;
	}
	ids = make_ids(cf->policy.domains[0], n, g);
	local = localdb_load("/etc/passwd", "/etc/group");
	r = policy_apply(&cf->policy, local, ids, n);
	s = snapshot_build(r,
	    &(struct snap_meta){now,
		cf->backends[0].max_stale ? now + cf->backends[0].max_stale : 0,
		1, policy_fingerprint(&cf->policy), 0,
		localdb_files_hash("/etc/passwd", "/etc/group")});
	if (s == NULL || cache_save(cf->cache_dir, s, cf->max_state_bytes, err,
			     sizeof err) != 0) {
		fprintf(stderr, "snapgen: %s\n", s ? err : "build failed");
		return 1;
	}
	if (g > 0 && save_answer(cf, ids, n, now) != 0)
		return 1;
	printf("%zu users, %zu groups, %zu bytes\n", r->n_users, r->n_groups,
	    s->len);
	return 0;
}
