/*
 * claims.h - sticky ownership on this host.  Once tsnssd has given a UID
 * (and with it the private GID) or a name to a login, that login owns it
 * here: no other login gets it, not after the first one leaves the
 * tailnet, not after a restart, not after the snapshot is lost.  Only
 * "tsnssctl forget LOGIN" (root) releases a login's claims.
 *
 * Tailnet groups own their name and gid the same way, under the key
 * "group:NAME" (tailnet-groups.h) in place of a login; "tsnssctl forget
 * group:NAME" releases them.
 *
 * The record is CLAIMS_FILE under the cache directory (see recfile.h).
 */
#ifndef TSNSS_CLAIMS_H
#define TSNSS_CLAIMS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CLAIMS_FILE "claims"

struct claims;
struct policy_result;

struct claims *claims_new(void);
/*
 * The claims on disk; an empty set if there are none.  A file that cannot
 * be trusted (corrupt, over max bytes, unreadable, not ours, writable by
 * others) gives an untrusted set, and err says so: claims fail closed.
 */
struct claims *claims_load(
    const char *dir, size_t max, char *err, size_t errlen);
/* Nothing may be handed out: claims_load could not trust the file. */
int claims_untrusted(const struct claims *c);
/* What is in hand differs from the file, which cannot take it: the same. */
void claims_distrust(struct claims *c);
/* Refused (-1) for an untrusted set, or over max bytes. */
int claims_save(const struct claims *c, const char *dir, size_t max, char *err,
    size_t errlen);
/*
 * tsnssctl forget --all: no claims, trusted again; the old file is kept
 * as CLAIMS_FILE.old-TIME.
 */
int claims_reset(
    struct claims *c, const char *dir, size_t max, char *err, size_t errlen);
void claims_free(struct claims *c);

/* The login that owns name or uid here, or NULL. */
const char *claims_name_owner(const struct claims *c, const char *name);
const char *claims_uid_owner(const struct claims *c, uint32_t uid);
/* Record what each user and tailnet group in r was given; how many
 * claims are new. */
size_t claims_take(struct claims *c, const struct policy_result *r);
void claims_forget_all(struct claims *c);
/* Drop every claim of login; how many there were. */
size_t claims_forget(struct claims *c, const char *login);
/* "name alice, uid 346538631", or "none on this host". */
void claims_describe(const struct claims *c, const char *login, FILE *out);

#endif
