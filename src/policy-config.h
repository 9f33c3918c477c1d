/*
 * policy-config.h - the settings of the identity policy, apart from the
 * file they are read from (config.c fills them) and from the code that
 * applies them (policy.c).  Each can be read and tested alone.
 *
 * Some settings belong to a backend section (which domains it may make
 * users of, their UID range, shell and home); the rest are daemon-wide.
 */
#ifndef TSNSS_POLICY_CONFIG_H
#define TSNSS_POLICY_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define POLICY_MAX_NAME 32
#define POLICY_MAX_SOURCES 16 /* backend sections in one config */

/* [user LOGIN]: what one login gets instead of the rule's answer. */
struct user_override {
	char *login;	    /* lower-cased */
	char *name;	    /* NULL: the rule's */
	uint32_t uid;	    /* 0: the rule's */
	char *shell, *home; /* NULL: the source's */
	unsigned line;
};

/*
 * [group NAME]: a group tsnssd serves besides the private ones.  A member
 * is a login, a local name, `*` (every user), or KEY:VALUE, every user a
 * backend gives that attribute (role:admin).
 */
struct static_group {
	char *name;
	uint32_t gid;
	char **members; /* logins, local names or KEY:VALUE */
	size_t n_members;
	int all_users; /* members = *: every tailnet user */
	unsigned line;
	/*
	 * extend = yes: NAME is a group in /etc/group, gid stays 0 here and
	 * is the local group's (localgroups.h); only tsnssd users are added.
	 */
	unsigned extend;
};

/* [program PATH]: what users look like to one executable. */
struct program_rule {
	char *path;
	char *shell, *home; /* templates; NULL: left alone */
	unsigned line;
};

#define POLICY_MAX_VARIANTS 16
#define POLICY_MAX_SUFFIX 16

/* [variant SUFFIX]: alice-host, another name for alice. */
struct variant_rule {
	char *suffix;
	char *shell, *home;	 /* templates; NULL: the user's own */
	struct static_group who; /* members; none given: every user */
	unsigned line;
};

/* clash_names: the name a later domain's login gets instead of none. */
struct clash_name {
	char *domain;
	char *tmpl; /* %n: the login's local part; %% */
};

/* What one backend section ([tailscale]) says about its logins. */
struct policy_source {
	char *name;	/* the section, and so the plugin */
	char **domains; /* lower-case, in the order listed */
	size_t n_domains;
	uint32_t uid_base;
	uint32_t uid_max;
	char *shell;
	char *home; /* template: %u %l %d %U %% */
	unsigned line;
};

struct policy_config {
	/* the backend sections, in the order of the file */
	struct policy_source *sources;
	size_t n_sources;
	/*
	 * Every source's domains, each once, in the order first listed: a
	 * domain's place here settles a name two domains want.  Made by
	 * policy_config_finish().
	 */
	char **domains;
	size_t n_domains;
	char **open_domains; /* listed as open to anyone's sign-up */
	size_t n_open_domains;
	struct clash_name *clash_names;
	size_t n_clash_names;
	char *uid_key_file;	/* NULL: FNV-1a UIDs */
	unsigned char *uid_key; /* read by config_load, not config_parse */
	size_t uid_key_len;
	char *primary_group; /* NULL: a private group per user */
	char *group_prefix;  /* before each tailnet group's name; NULL: none */
	struct user_override *overrides;
	size_t n_overrides;
	struct static_group *groups;
	size_t n_groups;
	struct program_rule *programs;
	size_t n_programs;
	struct variant_rule *variants;
	size_t n_variants;
	/*
	 * Subordinate ids (subid.h): who gets a range (subid_members, its
	 * name unused; none given: nobody), how many ids each, and the
	 * span they come from (subid_range = FIRST-LAST; 0 0 unset).
	 */
	struct static_group subid;
	uint32_t subid_count;
	uint32_t subid_range[2];
};

/* Whether subid_members names anyone. */
#define POLICY_SUBIDS_ON(pc)                                                   \
	((pc)->subid.n_members > 0 || (pc)->subid.all_users)

/*
 * The names useradd accepts by default, plus dots: a lower-case letter or
 * '_' first, then lower-case letters, digits, '_', '-' and '.', at most
 * POLICY_MAX_NAME bytes.
 */
int policy_valid_name(const char *name);

/*
 * Derive `domains` from the sources and check what sources must agree
 * on: a domain two sections list must have one UID range in both, or one
 * login would get two UIDs.  -1 with err set ("[b] lists ...").
 */
int policy_config_finish(struct policy_config *pc, char *err, size_t errlen);
/* The section whose UID rule a domain follows (the first listing it). */
const struct policy_source *policy_source_of(
    const struct policy_config *pc, const char *domain);
/* Whether source lists domain. */
int policy_source_lists(const struct policy_source *s, const char *domain);
/* Frees what pc holds, not pc. */
void policy_config_clear(struct policy_config *pc);

#endif
