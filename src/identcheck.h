/*
 * identcheck.h - what tsnssd -t says about the identity rules on this
 * host, beyond the syntax config_parse checks, and who tsnssd must not
 * run as.
 */
#ifndef TSNSS_IDENTCHECK_H
#define TSNSS_IDENTCHECK_H

#include <stddef.h>
#include <sys/types.h>

struct config;
struct localdb;

/*
 * Warnings through warn(); -1 with err set for what makes the config
 * unusable here (a primary_group no tailnet user may get).
 */
int identcheck(const struct config *cf, const struct localdb *local,
    void (*warn)(const char *msg, void *arg), void *arg, char *err,
    size_t errlen);
/*
 * Is uid one that other services share (nobody)?  A daemon running as it
 * could be stopped or traced by any of them.  name gets its name.
 */
int identcheck_shared_uid(
    uid_t uid, const char *passwd_path, char *name, size_t namelen);

#endif
