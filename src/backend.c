#include "autoconfig.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "config.h"
#include "log.h"
#include "xmalloc.h"

struct backend {
	unsigned ttl;
	void *dl;
	const struct tsnss_plugin *plugin;
	void *state;
	struct tsnss_host host;
	tsnss_fetch_done_fn *push; /* where pushed answers go, once set */
	void *push_arg;
};

/* The plugin may push before anyone listens: such answers are dropped. */
static void
on_push(const struct tsnss_fetch_result *res, void *arg)
{
	struct backend *b = arg;

	if (b->push != NULL)
		b->push(res, b->push_arg);
}

/* The plugin says "line N: why"; the admin wants "FILE:N: why". */
static void
plugin_error(const struct config *cf, const char *section, const char *perr,
    char *err, size_t errlen)
{
	unsigned line;
	int used = 0;

	if (sscanf(perr, "line %u: %n", &line, &used) == 1 && used > 0)
		snprintf(err, errlen, "%s:%u: %s", cf->path, line, perr + used);
	else
		snprintf(err, errlen, "%s: [%s]: %s", cf->path, section, perr);
}

static const struct tsnss_plugin *
find_plugin(void *dl, const char *path, char *err, size_t errlen)
{
	const struct tsnss_plugin *p = dlsym(dl, TSNSS_PLUGIN_SYMBOL);

	if (p == NULL) {
		snprintf(err, errlen, "%s: no '%s' symbol: not a tsnssd plugin",
		    path, TSNSS_PLUGIN_SYMBOL);
		return NULL;
	}
	if (p->abi_version != TSNSS_PLUGIN_ABI_VERSION) {
		snprintf(err, errlen,
		    "%s: plugin ABI version %u, this tsnssd needs %u; "
		    "install the plugin built with this tsnssd",
		    path, p->abi_version, TSNSS_PLUGIN_ABI_VERSION);
		return NULL;
	}
	if (!TSNSS_HAS(p, struct tsnss_plugin, size)) {
		snprintf(err, errlen, "%s: plugin descriptor too short", path);
		return NULL;
	}
	if (p->init == NULL || p->fetch == NULL || p->free == NULL) {
		snprintf(err, errlen, "%s: plugin lacks a function", path);
		return NULL;
	}
	return p;
}

/* The section's ttl, else the plugin's; max_stale must still cover it. */
static int
pick_ttl(struct backend *b, const struct config *cf,
    const struct backend_config *bc, char *err, size_t errlen)
{
	b->ttl = bc->ttl;
	if (b->ttl == 0 &&
	    TSNSS_HAS(b->plugin, struct tsnss_plugin, default_ttl))
		b->ttl = b->plugin->default_ttl;
	if (b->ttl == 0)
		b->ttl = CONFIG_DEFAULT_TTL;
	if (bc->max_stale != 0 && bc->max_stale < b->ttl) {
		snprintf(err, errlen,
		    "%s:%u: [%s]: max_stale (%u s) is less than the ttl (%u "
		    "s)",
		    cf->path, bc->line, bc->name, bc->max_stale, b->ttl);
		return -1;
	}
	return 0;
}

struct backend *
backend_load(const struct config *cf, size_t i, struct event_base *base,
    char *err, size_t errlen)
{
	const struct backend_config *bc = &cf->backends[i];
	struct backend *b = xcalloc(1, sizeof *b);
	char path[PATH_MAX], perr[512] = "";

	snprintf(path, sizeof path, "%s/%s.so", cf->plugin_dir, bc->name);
	b->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (b->dl == NULL) {
		snprintf(err, errlen, "cannot load backend [%s]: %s", bc->name,
		    dlerror());
		goto fail;
	}
	b->plugin = find_plugin(b->dl, path, err, errlen);
	if (b->plugin == NULL || pick_ttl(b, cf, bc, err, errlen) != 0)
		goto fail;
	b->host.size = sizeof b->host;
	b->host.base = base;
	b->host.log = log_msg;
	b->host.push = on_push;
	b->host.push_arg = b;
	b->state = b->plugin->init(
	    &b->host, bc->settings, bc->n_settings, perr, sizeof perr);
	if (b->state == NULL) {
		plugin_error(cf, bc->name,
		    perr[0] ? perr : "initialisation failed", err, errlen);
		goto fail;
	}
	return b;
fail:
	backend_free(b);
	return NULL;
}

struct backend **
backend_load_all(
    const struct config *cf, struct event_base *base, char *err, size_t errlen)
{
	struct backend **b = xcalloc(cf->n_backends, sizeof *b);
	size_t i;

	for (i = 0; i < cf->n_backends; i++)
		if ((b[i] = backend_load(cf, i, base, err, errlen)) == NULL) {
			backend_free_all(b, i);
			return NULL;
		}
	return b;
}

void
backend_free_all(struct backend **b, size_t n)
{
	size_t i;

	for (i = 0; b != NULL && i < n; i++)
		backend_free(b[i]);
	free(b);
}

unsigned
backend_ttl(const struct backend *b)
{
	return b->ttl;
}

int
backend_costly(const struct backend *b)
{
	return TSNSS_HAS(b->plugin, struct tsnss_plugin, default_ttl) &&
	       b->plugin->default_ttl != 0;
}

int
backend_fetch(struct backend *b, tsnss_fetch_done_fn *done, void *arg)
{
	return b->plugin->fetch(b->state, done, arg);
}

void
backend_on_push(struct backend *b, tsnss_fetch_done_fn *fn, void *arg)
{
	b->push = fn;
	b->push_arg = arg;
}

void
backend_describe(const struct backend *b, char *buf, size_t len)
{
	buf[0] = '\0';
	if (TSNSS_HAS(b->plugin, struct tsnss_plugin, describe) &&
	    b->plugin->describe != NULL)
		b->plugin->describe(b->state, buf, len);
}

int
backend_result_usable(const struct tsnss_fetch_result *res)
{
	return TSNSS_HAS(res, struct tsnss_fetch_result, id_size) &&
	       (res->n_ids == 0 ||
		   res->id_size >= offsetof(struct tsnss_identity, groups));
}

const struct tsnss_identity *
backend_identity(
    const struct tsnss_fetch_result *res, size_t i, struct tsnss_identity *tmp)
{
	const char *p = (const char *)res->ids + i * res->id_size;

	memset(tmp, 0, sizeof *tmp);
	memcpy(tmp, p, res->id_size < sizeof *tmp ? res->id_size : sizeof *tmp);
	return tmp;
}

void
backend_free(struct backend *b)
{
	if (b == NULL)
		return;
	if (b->state != NULL)
		b->plugin->free(b->state);
	if (b->dl != NULL)
		dlclose(b->dl);
	free(b);
}
