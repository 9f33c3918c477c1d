/*
 * plugin.h - the ABI between tsnssd and its backend plugins, version 2.
 *
 * A backend is a dlopen()ed module that exports one object,
 * `const struct tsnss_plugin tsnss_plugin`, whose abi_version must equal
 * TSNSS_PLUGIN_ABI_VERSION.  A plugin built for version 1 is refused at
 * load time with a message that names both versions: version 1 could not
 * carry group names and had no size fields, so there is nothing safe to
 * guess about its structs.
 *
 * Growing without a version 3: every struct that crosses the boundary
 * starts with its size as the side that filled it was built.  A field
 * past that size is absent (use TSNSS_HAS()).  New fields are only ever
 * appended, and new functions are optional (NULL when absent), so an
 * older plugin keeps working with a newer daemon and the other way round.
 * Bump the version only for a change that cannot be expressed that way.
 *
 * A backend only reports identities (a stable id, a login, a display name,
 * and optionally the group names and attributes its source gives).
 * Turning them into UNIX users and groups is the daemon's identity policy,
 * the same for every backend.
 *
 * The daemon owns the libevent loop and hands it to the plugin; a plugin
 * never blocks it.
 */
#ifndef TSNSS_PLUGIN_H
#define TSNSS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#define TSNSS_PLUGIN_ABI_VERSION 2u
#define TSNSS_PLUGIN_SYMBOL "tsnss_plugin"

/* Whether the struct at p, of the size it declares, holds field. */
#define TSNSS_HAS(p, type, field)                                              \
	((p)->size >= offsetof(type, field) + sizeof((p)->field))

struct event_base;
struct tsnss_fetch_result;

/* One `key = value` line of the plugin's config section. */
struct tsnss_setting {
	const char *key;
	const char *value;
	unsigned line;
};

/*
 * Called with a complete answer, from the event loop.  The result and
 * everything it points to are only valid during the call.
 */
typedef void tsnss_fetch_done_fn(
    const struct tsnss_fetch_result *result, void *arg);

/* What the daemon lends the plugin for its lifetime. */
struct tsnss_host {
	size_t size; /* sizeof (struct tsnss_host) in the daemon */
	struct event_base *base;
	/* syslog priorities (LOG_ERR ... LOG_DEBUG); printf-style */
	void (*log)(int priority, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
	/*
	 * A plugin whose source pushes changes (tailscaled's IPN bus) calls
	 * push(result, push_arg) whenever its answer changed, without being
	 * asked, at most once per turn of the loop, never from inside one
	 * of its own ABI functions.  NULL: the daemon only polls.
	 */
	tsnss_fetch_done_fn *push;
	void *push_arg;
};

/* An attribute of an identity, such as role = admin or status = active. */
struct tsnss_attr {
	const char *key;   /* lower-case ASCII word */
	const char *value; /* UTF-8 */
};

struct tsnss_identity {
	int64_t id;		  /* stable, unique within the backend */
	const char *login;	  /* e.g. "alice@example.com" */
	const char *display_name; /* free UTF-8 text, may be "" */
	/* group names as the source spells them ("group:eng"), or none */
	const char *const *groups;
	size_t n_groups;
	const struct tsnss_attr *attrs; /* or none */
	size_t n_attrs;
};

enum tsnss_fetch_status {
	TSNSS_FETCH_OK = 0,	   /* ids is the complete list */
	TSNSS_FETCH_NOT_READY = 1, /* the source cannot tell right now */
	TSNSS_FETCH_ERROR = 2,	   /* transport, HTTP or parse failure */
	TSNSS_FETCH_UNCHANGED = 3, /* same list as this plugin's last OK */
};

struct tsnss_fetch_result {
	size_t size; /* sizeof (struct tsnss_fetch_result) in the plugin */
	enum tsnss_fetch_status status;
	const char *detail; /* why not OK; a short human sentence */
	/*
	 * ids[i] lives at (const char *)ids + i * id_size: a plugin built
	 * with a longer struct tsnss_identity than the daemon's still works,
	 * and a shorter one leaves the fields past id_size absent.
	 */
	const struct tsnss_identity *ids;
	size_t n_ids;
	size_t id_size; /* sizeof (struct tsnss_identity) in the plugin */
};

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

	/*
	 * Start one fetch; done is called exactly once, from the event loop,
	 * never from inside fetch() itself.  Returns 0, or -1 if one is
	 * already under way.
	 */
	int (*fetch)(void *state, tsnss_fetch_done_fn *done, void *arg);

	/* Cancel any fetch under way (done is not called) and free state. */
	void (*free)(void *state);

	size_t size; /* sizeof (struct tsnss_plugin) in the plugin */

	/*
	 * Optional: lines for `tsnssctl status` (connection state, counters),
	 * each ending in a newline, written into buf.  No secrets.
	 */
	void (*describe)(void *state, char *buf, size_t len);

	/*
	 * Optional (0: the daemon's default of 60): seconds between fetches
	 * when the section sets no `ttl`, for a source that is costly to ask
	 * or limits how often it may be asked.
	 */
	unsigned default_ttl;
};

#endif
