/*
 * config.h - /etc/tailscale-nss.conf: an INI file with a [daemon] section
 * and one section per backend, named after the plugin ([tailscale]).
 */
#ifndef TSNSS_CONFIG_H
#define TSNSS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"

#define CONFIG_MAX_BYTES (1u << 20)
#define CONFIG_MAX_LINE 4096

/* The identity policy: how a backend's logins become UNIX users. */
struct policy_config {
	char **domains; /* lower-case */
	size_t n_domains;
	uint32_t uid_base;
	uint32_t uid_max;
	char *shell;
	char *home; /* template: %u %l %d %U %% */
};

struct config {
	char *path;

	/* [daemon] */
	char *socket_path;
	char *cache_dir;
	char *plugin_dir;
	unsigned max_clients;
	unsigned client_timeout_ms;

	/* the backend section */
	char *backend;
	unsigned ttl;       /* seconds a snapshot counts as fresh */
	unsigned max_stale; /* seconds a stale snapshot is still served */
	unsigned refresh_on_miss; /* least seconds between early refreshes */
	struct policy_config policy;
	struct tsnss_setting *settings; /* what the plugin itself reads */
	size_t n_settings;
};

struct config *config_load(const char *path, char *err, size_t errlen);
struct config *config_parse(const char *path, const char *text, size_t len,
    char *err, size_t errlen);
void config_free(struct config *cf);

#endif
