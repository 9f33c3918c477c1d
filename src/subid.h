/*
 * subid.h - subordinate ids for rootless containers: each user that
 * subid_members names gets one range of subid_count uids (and the same
 * gids) from subid_range, which libsubid_tailscale.so serves to shadow's
 * getsubids, newuidmap and newgidmap from the published snapshot.
 *
 * A range never overlaps a backend's UIDs (config.c refuses that), a
 * local uid or gid, a range in /etc/subuid or /etc/subgid, or another
 * login's range.  It is sticky: once given, the login owns it on this
 * host (SUBID_CLAIMS_FILE under the cache directory), so files in a
 * container keep their owner across restarts and snapshot loss; only
 * "tsnssctl forget LOGIN" releases it.  When subid_range is full, later
 * members get none.
 */
#ifndef TSNSS_SUBID_H
#define TSNSS_SUBID_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SUBID_CLAIMS_FILE "subids"

struct localdb;
struct policy_config;
struct policy_result;
struct subid_claims;

struct subid_claims *subid_claims_new(void);
/*
 * The claims on disk (at most max bytes); none if absent.  A file that
 * fails its check (err says) leaves the set untrusted: no new range is
 * handed out, and it is never saved over, until root repairs the file or
 * runs tsnssctl forget --all.
 */
struct subid_claims *subid_claims_load(
    const char *dir, size_t max, char *err, size_t errlen);
int subid_claims_save(const struct subid_claims *c, const char *dir,
    size_t max, char *err, size_t errlen);
/* Release every range (tsnssctl forget --all); the old file is kept aside. */
int subid_claims_reset(struct subid_claims *c, const char *dir, size_t max,
    char *err, size_t errlen);
void subid_claims_free(struct subid_claims *c);
/* Drop login's range; 1 if it had one. */
size_t subid_claims_forget(struct subid_claims *c, const char *login);
/* "subid 1879048192+65536" or nothing, for --explain. */
void subid_claims_describe(
    const struct subid_claims *c, const char *login, FILE *out);

/* The ranges of /etc/subuid and /etc/subgid (bounded reads). */
struct subid_spans;
struct subid_spans *subid_spans_load(const char *subuid, const char *subgid);
void subid_spans_free(struct subid_spans *s);
/* Whether [first, last] overlaps one of them; *line gets its text. */
int subid_spans_overlap(const struct subid_spans *s, uint64_t first,
    uint64_t last, char *line, size_t linelen);

/*
 * Give each of r->subid_members its range (r->subids, sorted by name),
 * claimed in c.  *added: how many claims are new; returns how many
 * members got none because subid_range is full.
 */
size_t subid_assign(const struct policy_config *pc, const struct localdb *local,
    const struct subid_spans *etc, struct subid_claims *c,
    struct policy_result *r, size_t *added);

/*
 * tsnssd -t: -1 with err set if subid_range overlaps /etc/subuid or
 * /etc/subgid; a warning through warn when more members are possible
 * than ranges fit.
 */
int subid_check(const struct policy_config *pc, const struct subid_spans *etc,
    void (*warn)(const char *msg, void *arg), void *arg, char *err,
    size_t errlen);

#endif
