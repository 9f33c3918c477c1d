/*
 * config.h - /etc/tailscale-nss.conf: an INI file with a [daemon] section,
 * one section per backend, named after its plugin ([tailscale],
 * [tailscale-api]), an optional [policy] section for the daemon-wide
 * identity settings, and [user LOGIN] and [group NAME] sections.
 */
#ifndef TSNSS_CONFIG_H
#define TSNSS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"
#include "policy-config.h"

#define CONFIG_MAX_BYTES (1u << 20)
#define CONFIG_MAX_LINE 4096

/* How one backend section is asked; its identity rules are in policy. */
struct backend_config {
	char *name; /* the section, and so PLUGIN_DIR/NAME.so */
	unsigned line;
	unsigned ttl;	    /* s an answer is fresh; 0: the plugin's */
	unsigned max_stale; /* s an old answer is still served */
	/* least s between early refreshes; CONFIG_UNSET: see source.c */
	unsigned refresh_on_miss;
	struct tsnss_setting *settings; /* what the plugin itself reads */
	size_t n_settings;
};

#define CONFIG_DEFAULT_TTL 60	 /* for a plugin that suggests none */
#define CONFIG_UNSET 0xffffffffu /* a key the file does not set */
#define CONFIG_DEFAULT_REFRESH_ON_MISS 5
#define CONFIG_DEFAULT_MAX_STATE (256u << 20)

struct config {
	char *path;

	/* [daemon] */
	char *socket_path;
	char *map_path; /* the snapshot published for the NSS module */
	char *cache_dir;
	char *plugin_dir;
	unsigned max_clients;
	unsigned client_timeout_ms;
	unsigned enumerate; /* answer getpwent/getgrent */
	/* the bound on every file under cache_dir, for writer and reader */
	unsigned max_state_bytes;

	/* the backend sections, in file order; policy.sources[i] is the
	 * identity part of backends[i] */
	struct backend_config *backends;
	size_t n_backends;
	struct policy_config policy;
};

struct config *config_load(const char *path, char *err, size_t errlen);
struct config *config_parse(
    const char *path, const char *text, size_t len, char *err, size_t errlen);
void config_free(struct config *cf);

#endif
