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

/* base may be NULL when only checking the config (tsnssd -t). */
struct backend *backend_load(
    const struct config *cf, struct event_base *base, char *err, size_t errlen);
int backend_fetch(struct backend *b, tsnss_fetch_done_fn *done, void *arg);
const char *backend_name(const struct backend *b);
void backend_free(struct backend *b);

#endif
