/*
 * variants.h - login variants: [variant -host] makes alice-host another
 * name for alice, with alice's UID and GID and the section's own home and
 * shell.  A variant is a name like any other: valid, nobody else's, and
 * found by name only, so getpwuid, ls -l and ps keep saying alice.
 */
#ifndef TSNSS_VARIANTS_H
#define TSNSS_VARIANTS_H

#include "localdb.h"
#include "policy.h"

struct claims;

/*
 * r's variants, for who[i] (the local names [variant] i is for; sorted),
 * with a refusal noted in r for each name that cannot be given.
 */
void variants_add(const struct policy_config *pc, const struct localdb *local,
    const struct claims *cl, const struct policy_group *who,
    struct policy_result *r);
/* The variant called name, or NULL. */
const struct policy_variant *variants_find(
    const struct policy_result *r, const char *name);

#endif
