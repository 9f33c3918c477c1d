/*
 * backend.h - load a backend plugin (dlopen) and check it speaks our ABI.
 */
#ifndef TSNSS_BACKEND_H
#define TSNSS_BACKEND_H

#include <stddef.h>

#include "plugin.h"

struct config;
struct event_base;

struct backend;

/*
 * The plugin of backend section i of cf.  base may be NULL when only
 * checking the config (tsnssd -t).
 */
struct backend *backend_load(const struct config *cf, size_t i,
    struct event_base *base, char *err, size_t errlen);
/* Every backend section's, or NULL (err says which failed). */
struct backend **backend_load_all(
    const struct config *cf, struct event_base *base, char *err, size_t errlen);
void backend_free_all(struct backend **b, size_t n);
/* Seconds between fetches: the section's ttl, else the plugin's. */
unsigned backend_ttl(const struct backend *b);
/* The plugin names a default ttl: a source that is costly to ask. */
int backend_costly(const struct backend *b);
int backend_fetch(struct backend *b, tsnss_fetch_done_fn *done, void *arg);
/* Answers the plugin pushes unasked go to fn(result, arg). */
void backend_on_push(struct backend *b, tsnss_fetch_done_fn *fn, void *arg);
/* The plugin's own lines for tsnssctl status; "" when it has none. */
void backend_describe(const struct backend *b, char *buf, size_t len);
/* Whether a result carries what this daemon needs to read its ids. */
int backend_result_usable(const struct tsnss_fetch_result *res);
/*
 * ids[i] of a result, read with the plugin's stride; fields the plugin's
 * struct lacks are zero.  Returns tmp.
 */
const struct tsnss_identity *backend_identity(
    const struct tsnss_fetch_result *res, size_t i, struct tsnss_identity *tmp);
void backend_free(struct backend *b);

#endif
