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

/* [user LOGIN]: what one login gets instead of the rule's answer. */
struct user_override {
	char *login;	    /* lower-cased */
	char *name;	    /* NULL: the rule's */
	uint32_t uid;	    /* 0: the rule's */
	char *shell, *home; /* NULL: the policy's */
	unsigned line;
};

/* [group NAME]: a group tsnssd serves besides the private ones. */
struct static_group {
	char *name;
	uint32_t gid;
	char **members; /* logins or local names */
	size_t n_members;
	int all_users; /* members = *: every tailnet user */
	unsigned line;
};

/* clash_names: the name a later domain's login gets instead of none. */
struct clash_name {
	char *domain;
	char *tmpl; /* %n: the login's local part; %% */
};

/* The identity policy: how a backend's logins become UNIX users. */
struct policy_config {
	char **domains; /* lower-case, in priority order */
	size_t n_domains;
	char **open_domains; /* listed as open to anyone's sign-up */
	size_t n_open_domains;
	struct clash_name *clash_names;
	size_t n_clash_names;
	char *uid_key_file;	/* NULL: FNV-1a UIDs */
	unsigned char *uid_key; /* read by config_load, not config_parse */
	size_t uid_key_len;
	uint32_t uid_base;
	uint32_t uid_max;
	char *shell;
	char *home;	     /* template: %u %l %d %U %% */
	char *primary_group; /* NULL: a private group per user */
	char *group_prefix;  /* before each tailnet group's name; NULL: none */
	struct user_override *overrides;
	size_t n_overrides;
	struct static_group *groups;
	size_t n_groups;
};

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

	/* the backend section */
	char *backend;
	unsigned ttl;		  /* seconds a snapshot counts as fresh */
	unsigned max_stale;	  /* seconds a stale snapshot is still served */
	unsigned refresh_on_miss; /* least seconds between early refreshes */
	struct policy_config policy;
	struct tsnss_setting *settings; /* what the plugin itself reads */
	size_t n_settings;
};

struct config *config_load(const char *path, char *err, size_t errlen);
struct config *config_parse(
    const char *path, const char *text, size_t len, char *err, size_t errlen);
void config_free(struct config *cf);

#endif
