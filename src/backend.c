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
	void *dl;
	const struct tsnss_plugin *plugin;
	void *state;
	struct tsnss_host host;
};

/* The plugin says "line N: why"; the admin wants "FILE:N: why". */
static void
plugin_error(
    const struct config *cf, const char *perr, char *err, size_t errlen)
{
	unsigned line;
	int used = 0;

	if (sscanf(perr, "line %u: %n", &line, &used) == 1 && used > 0)
		snprintf(err, errlen, "%s:%u: %s", cf->path, line, perr + used);
	else
		snprintf(
		    err, errlen, "%s: [%s]: %s", cf->path, cf->backend, perr);
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
	if (p->init == NULL || p->fetch == NULL || p->free == NULL) {
		snprintf(err, errlen, "%s: plugin lacks a function", path);
		return NULL;
	}
	return p;
}

struct backend *
backend_load(
    const struct config *cf, struct event_base *base, char *err, size_t errlen)
{
	struct backend *b = xcalloc(1, sizeof *b);
	char path[PATH_MAX], perr[512] = "";

	snprintf(path, sizeof path, "%s/%s.so", cf->plugin_dir, cf->backend);
	b->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (b->dl == NULL) {
		snprintf(err, errlen, "cannot load backend [%s]: %s",
		    cf->backend, dlerror());
		goto fail;
	}
	b->plugin = find_plugin(b->dl, path, err, errlen);
	if (b->plugin == NULL)
		goto fail;
	b->host.base = base;
	b->host.log = log_msg;
	b->state = b->plugin->init(
	    &b->host, cf->settings, cf->n_settings, perr, sizeof perr);
	if (b->state == NULL) {
		plugin_error(
		    cf, perr[0] ? perr : "initialisation failed", err, errlen);
		goto fail;
	}
	return b;
fail:
	backend_free(b);
	return NULL;
}

int
backend_fetch(struct backend *b, tsnss_fetch_done_fn *done, void *arg)
{
	return b->plugin->fetch(b->state, done, arg);
}

const char *
backend_name(const struct backend *b)
{
	return b->plugin->name;
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
