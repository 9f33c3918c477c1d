#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "backend.h"
#include "claims.h"
#include "config.h"
#include "explain.h"
#include "localdb.h"
#include "policy.h"
#include "tsnssd.h"
#include "xmalloc.h"

struct explain {
	struct tsnssd *d;
	const char *login; /* lower-cased */
	FILE *out;
	int rc;
};

static void
print_groups(
    const struct policy_result *r, const struct policy_user *u, FILE *out)
{
	size_t i, j;

	fprintf(out, "groups: ");
	for (i = 0; i < r->n_groups; i++) {
		const struct policy_group *g = &r->groups[i];
		int in = g->gid == u->gid;

		for (j = 0; j < g->n_members && !in; j++)
			in = strcmp(g->members[j], u->name) == 0;
		if (in)
			fprintf(out, " %s(%" PRIu32 ")", g->name, g->gid);
	}
	fprintf(out, "\n");
}

static void
judge(struct explain *e, const struct tsnss_identity *ids, size_t n)
{
	struct localdb *local = localdb_load("/etc/passwd", "/etc/group");
	char err[512];
	struct claims *cl = claims_load(e->d->cf->cache_dir, err, sizeof err);
	struct policy_result *r =
	    policy_apply_claimed(&e->d->cf->policy, local, cl, ids, n);
	const struct policy_user *u = policy_find_user(r, e->login);
	size_t i;

	fprintf(e->out, "login:   %s\n", e->login);
	if (err[0] != '\0')
		fprintf(e->out, "note:    %s\n", err);
	claims_describe(cl, e->login, e->out);
	for (i = 0; i < r->n_decisions; i++)
		if (strcmp(r->decisions[i].login, e->login) == 0)
			fprintf(e->out, "result:  %s: %s\n",
			    r->decisions[i].accepted ? "accepted" : "refused",
			    r->decisions[i].why);
	if (u != NULL) {
		fprintf(e->out,
		    "passwd:  %s:*:%" PRIu32 ":%" PRIu32 ":%s:%s:%s\n", u->name,
		    u->uid, u->gid, u->gecos, u->home, u->shell);
		print_groups(r, u, e->out);
	}
	e->rc = u != NULL ? 0 : 1;
	policy_result_free(r);
	claims_free(cl);
	localdb_free(local);
}

/* The tailnet as it is, plus the login if the tailnet lacks it. */
static void
fetched(const struct tsnss_fetch_result *res, void *arg)
{
	struct explain *e = arg;
	struct tsnss_identity *ids, tmp;
	size_t i, n = 0;
	int present = 0;

	if (res->status != TSNSS_FETCH_OK)
		fprintf(e->out,
		    "backend: %s; judging the login alone, so "
		    "clashes with other logins cannot show\n",
		    res->detail ? res->detail : "no answer");
	ids = xcalloc(res->n_ids + 1, sizeof *ids);
	for (i = 0; res->status == TSNSS_FETCH_OK && i < res->n_ids; i++) {
		ids[n++] = *backend_identity(res, i, &tmp);
		present |= strcasecmp(tmp.login, e->login) == 0;
	}
	if (!present) {
		if (res->status == TSNSS_FETCH_OK)
			fprintf(e->out, "note:    not in the tailnet as "
					"tailscaled sees it now; judged as if "
					"it joined\n");
		ids[n++] = (struct tsnss_identity){
		    .id = INT64_MAX, .login = e->login, .display_name = ""};
	}
	judge(e, ids, n);
	free(ids);
	event_base_loopexit(e->d->base, NULL);
}

int
explain_login(struct tsnssd *d, const char *login, FILE *out)
{
	char *lower = xstrdup(login);
	struct explain e = {d, lower, out, 1};

	for (char *c = lower; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	if (backend_fetch(d->backend, fetched, &e) != 0) {
		fprintf(out, "backend: cannot start a fetch\n");
		free(lower);
		return 1;
	}
	event_base_dispatch(d->base);
	free(lower);
	return e.rc;
}
