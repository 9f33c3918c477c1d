/*
 * plugin.h - the ABI between tsnssd and its backend plugins.
 *
 * A backend is a dlopen()ed module that exports one object,
 * `const struct tsnss_plugin tsnss_plugin`, whose abi_version must equal
 * TSNSS_PLUGIN_ABI_VERSION.  Bump the version on any change to this file.
 *
 * A backend only reports identities (a stable id, a login and a display
 * name).  Turning them into UNIX users and groups is the daemon's identity
 * policy, the same for every backend.
 *
 * The daemon owns the libevent loop and hands it to the plugin; a plugin
 * never blocks it.
 */
#ifndef TSNSS_PLUGIN_H
#define TSNSS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#define TSNSS_PLUGIN_ABI_VERSION 1u
#define TSNSS_PLUGIN_SYMBOL "tsnss_plugin"

struct event_base;

/* One `key = value` line of the plugin's config section. */
struct tsnss_setting {
	const char *key;
	const char *value;
	unsigned line;
};

/* What the daemon lends the plugin for its lifetime. */
struct tsnss_host {
	struct event_base *base;
	/* syslog priorities (LOG_ERR ... LOG_DEBUG); printf-style */
	void (*log)(int priority, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
};

struct tsnss_identity {
	int64_t id;		  /* stable, unique within the backend */
	const char *login;	  /* e.g. "alice@example.com" */
	const char *display_name; /* free UTF-8 text, may be "" */
};

enum tsnss_fetch_status {
	TSNSS_FETCH_OK = 0,	   /* ids is the complete list */
	TSNSS_FETCH_NOT_READY = 1, /* the source cannot tell right now */
	TSNSS_FETCH_ERROR = 2,	   /* transport, HTTP or parse failure */
};

struct tsnss_fetch_result {
	enum tsnss_fetch_status status;
	const char *detail; /* why not OK; a short human sentence */
	const struct tsnss_identity *ids;
	size_t n_ids;
};

/*
 * Called exactly once per started fetch, from the event loop, never from
 * inside fetch() itself.  The result and everything it points to are only
 * valid during the call.
 */
typedef void tsnss_fetch_done_fn(
    const struct tsnss_fetch_result *result, void *arg);

struct tsnss_plugin {
	uint32_t abi_version;
	const char *name;

	/*
	 * Check the settings and set up.  Does no I/O, so `tsnssd -t` may call
	 * it.  On error returns NULL and writes "line N: why" into err.
	 */
	void *(*init)(const struct tsnss_host *host,
	    const struct tsnss_setting *settings, size_t n_settings, char *err,
	    size_t errlen);

	/* Start one fetch.  Returns 0, or -1 if one is already under way. */
	int (*fetch)(void *state, tsnss_fetch_done_fn *done, void *arg);

	/* Cancel any fetch under way (done is not called) and free state. */
	void (*free)(void *state);
};

#endif
