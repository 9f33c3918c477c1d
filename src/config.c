/*
 * config.c - parse /etc/tailscale-nss.conf.
 *
 * Every problem is reported as "FILE:LINE: why" and makes the whole file
 * invalid: a daemon that guesses at a half-understood config could turn
 * the wrong people into users.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "credential.h"
#include "snapfile.h"
#include "template.h"
#include "uidkey.h"
#include "xmalloc.h"

static struct config *load_path(const char *path, char *err, size_t errlen);

enum key_type {
	K_PATH,
	K_STRING,
	K_UINT,
	K_DOMAINS,
	K_BOOL,
	K_NAME,
	K_MEMBERS,
	K_OPEN,
	K_CLASH,
	K_SECRET, /* an absolute path or credential:NAME */
	K_RANGE
};

struct key_spec {
	const char *name;
	enum key_type type;
	size_t offset; /* into the struct the table is for */
	unsigned long min, max;
};

#define OFF(field) offsetof(struct config, field)
#define BOFF(field) offsetof(struct backend_config, field)
#define SOFF(field) offsetof(struct policy_source, field)
#define POFF(field) offsetof(struct policy_config, field)

static const struct key_spec daemon_keys[] = {
    {"socket", K_PATH, OFF(socket_path), 0, 0},
    {"map", K_PATH, OFF(map_path), 0, 0},
    {"cache_dir", K_PATH, OFF(cache_dir), 0, 0},
    {"plugin_dir", K_PATH, OFF(plugin_dir), 0, 0},
    {"max_clients", K_UINT, OFF(max_clients), 1, 65536},
    {"client_timeout_ms", K_UINT, OFF(client_timeout_ms), 10, 60000},
    {"enumerate", K_BOOL, OFF(enumerate), 0, 1},
    {"max_state_bytes", K_UINT, OFF(max_state_bytes), 4096, 1u << 30},
    {NULL, 0, 0, 0, 0},
};

/* How a backend section is asked: struct backend_config. */
static const struct key_spec backend_keys[] = {
    {"ttl", K_UINT, BOFF(ttl), 5, 86400},
    {"max_stale", K_UINT, BOFF(max_stale), 0, 31536000},
    {"refresh_on_miss", K_UINT, BOFF(refresh_on_miss), 0, 86400},
    {NULL, 0, 0, 0, 0},
};

/* What a backend section's logins become: struct policy_source. */
static const struct key_spec source_keys[] = {
    {"domain", K_DOMAINS, 0, 0, 0},
    {"uid_base", K_UINT, SOFF(uid_base), 1000, 2000000000},
    {"uid_max", K_UINT, SOFF(uid_max), 1000, 2147483646},
    {"shell", K_PATH, SOFF(shell), 0, 0},
    {"home", K_PATH, SOFF(home), 0, 0},
    {NULL, 0, 0, 0, 0},
};

/*
 * The daemon-wide identity settings: [policy], or the backend section of
 * a config that has only one (where they were before there could be two).
 */
static const struct key_spec policy_keys[] = {
    {"primary_group", K_NAME, POFF(primary_group), 0, 0},
    {"group_prefix", K_NAME, POFF(group_prefix), 0, 0},
    {"uid_key_file", K_SECRET, POFF(uid_key_file), 0, 0},
    {"open_domain", K_OPEN, 0, 0, 0},
    {"clash_names", K_CLASH, 0, 0, 0},
    {"subid_members", K_MEMBERS, POFF(subid), 0, 0},
    {"subid_count", K_UINT, POFF(subid_count), 1, 1u << 30},
    {"subid_range", K_RANGE, POFF(subid_range), 1, 2147483647},
    {NULL, 0, 0, 0, 0},
};

/*
 * [user LOGIN] and [group NAME] keys: offsets into the section's own
 * struct, which current_target() finds.
 */
#define UOFF(field) offsetof(struct user_override, field)
#define GOFF(field) offsetof(struct static_group, field)

static const struct key_spec user_keys[] = {
    {"name", K_NAME, UOFF(name), 0, 0},
    {"uid", K_UINT, UOFF(uid), 1000, 2147483646},
    {"shell", K_PATH, UOFF(shell), 0, 0},
    {"home", K_PATH, UOFF(home), 0, 0},
    {NULL, 0, 0, 0, 0},
};

static const struct key_spec group_keys[] = {
    {"gid", K_UINT, GOFF(gid), 1000, 2147483646},
    {"members", K_MEMBERS, 0, 0, 0},
    {"extend", K_BOOL, GOFF(extend), 0, 1},
    {NULL, 0, 0, 0, 0},
};

#define ROFF(field) offsetof(struct program_rule, field)
#define VOFF(field) offsetof(struct variant_rule, field)

static const struct key_spec program_keys[] = {
    {"shell", K_PATH, ROFF(shell), 0, 0},
    {"home", K_PATH, ROFF(home), 0, 0},
    {NULL, 0, 0, 0, 0},
};

static const struct key_spec variant_keys[] = {
    {"shell", K_PATH, VOFF(shell), 0, 0},
    {"home", K_PATH, VOFF(home), 0, 0},
    {"members", K_MEMBERS, VOFF(who), 0, 0},
    {NULL, 0, 0, 0, 0},
};

struct parser {
	struct config *cf;
	const char *path;
	unsigned line;
	enum {
		SEC_NONE,
		SEC_DAEMON,
		SEC_POLICY,
		SEC_BACKEND,
		SEC_USER,
		SEC_GROUP,
		SEC_PROGRAM,
		SEC_VARIANT
	} section;
	/* keys already given, to refuse repeats */
	char daemon_seen[16], policy_seen[16];
	char sec_seen[16]; /* of the current backend, [user] or [group] */
	int daemon_given, policy_given;
	/* a daemon-wide key in a backend section: fine while it is alone */
	unsigned policy_in_backend_line;
	const char *policy_in_backend_key;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 2, 3)))
fail(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (p->line)
		snprintf(p->err, p->errlen, "%s:%u: %s", p->path, p->line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->path, msg);
	return -1;
}

static void
set_defaults(struct config *cf)
{
	cf->socket_path = xstrdup(TSNSSD_SOCKET_PATH);
	cf->map_path = xstrdup(TSNSSD_MAP_PATH);
	cf->cache_dir = xstrdup(TSNSSD_CACHE_DIR);
	cf->plugin_dir = xstrdup(TSNSSD_PLUGIN_DIR);
	cf->max_clients = 1024;
	cf->client_timeout_ms = 2000;
	cf->enumerate = 1;
	cf->max_state_bytes = CONFIG_DEFAULT_MAX_STATE;
	cf->policy.subid_count = 65536;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* A '#' at the start or after white space begins a comment. */
static void
strip_comment(char *s)
{
	char *c;

	for (c = s; *c != '\0'; c++) {
		if (*c == '#' && (c == s || c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			return;
		}
	}
}

static int
parse_uint(
    struct parser *p, void *base, const struct key_spec *k, const char *v)
{
	unsigned long n;
	char *end;

	if (!isdigit((unsigned char)v[0]))
		return fail(p, "%s must be a whole number", k->name);
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < k->min || n > k->max)
		return fail(p, "%s must be a whole number from %lu to %lu",
		    k->name, k->min, k->max);
	*(unsigned *)((char *)base + k->offset) = (unsigned)n;
	return 0;
}

/* FIRST-LAST, both within the key's bounds, FIRST <= LAST. */
static int
parse_range(
    struct parser *p, void *base, const struct key_spec *k, const char *v)
{
	uint32_t *slot = (uint32_t *)((char *)base + k->offset);
	unsigned long a, b;
	char *end;

	errno = 0;
	a = strtoul(v, &end, 10);
	if (!isdigit((unsigned char)v[0]) || *end != '-' ||
	    !isdigit((unsigned char)end[1]))
		return fail(p, "%s must be FIRST-LAST", k->name);
	b = strtoul(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || a < k->min || b > k->max || a > b)
		return fail(p, "%s must be FIRST-LAST, from %lu to %lu",
		    k->name, k->min, k->max);
	slot[0] = (uint32_t)a;
	slot[1] = (uint32_t)b;
	return 0;
}

static int
parse_bool(
    struct parser *p, void *base, const struct key_spec *k, const char *v)
{
	static const char *yes[] = {"yes", "true", "on", "1"};
	static const char *no[] = {"no", "false", "off", "0"};
	unsigned *slot = (unsigned *)((char *)base + k->offset);
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcmp(v, yes[i]) == 0)
			return *slot = 1, 0;
		if (strcmp(v, no[i]) == 0)
			return *slot = 0, 0;
	}
	return fail(p, "%s must be yes or no", k->name);
}

/* KEY:VALUE, an attribute a backend reports: a word, then a value. */
static int
attr_member_ok(const char *tok)
{
	const char *c = tok;

	while (islower((unsigned char)*c) || *c == '_')
		c++;
	return c > tok && *c == ':' && c[1] != '\0';
}

static int
parse_members(struct parser *p, struct static_group *g, char *v)
{
	char *save = NULL, *tok, *c;

	for (tok = strtok_r(v, " \t,", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t,", &save)) {
		for (c = tok; *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
		if (strcmp(tok, "*") == 0) {
			g->all_users = 1;
			continue;
		}
		if (strchr(tok, ':') != NULL
			? !attr_member_ok(tok)
			: strchr(tok, '@') == NULL && !policy_valid_name(tok))
			return fail(p,
			    "member '%s' is neither a login, a valid user "
			    "name, nor KEY:VALUE (role:admin)",
			    tok);
		g->members = xreallocarray(
		    g->members, g->n_members + 1, sizeof *g->members);
		g->members[g->n_members++] = xstrdup(tok);
	}
	return 0;
}

static int
valid_domain(const char *d)
{
	size_t n = strlen(d);

	if (n == 0 || n > 253 || d[0] == '.' || d[0] == '-' || d[n - 1] == '.')
		return 0;
	for (; *d != '\0'; d++)
		if (!isalnum((unsigned char)*d) && *d != '.' && *d != '-')
			return 0;
	return 1;
}

static int
parse_domains(
    struct parser *p, const char *key, char *v, char ***list, size_t *n)
{
	char *save = NULL, *tok, *c;

	for (tok = strtok_r(v, " \t,", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t,", &save)) {
		for (c = tok; *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
		if (!valid_domain(tok))
			return fail(p, "'%s' is not a domain name", tok);
		*list = xreallocarray(*list, *n + 1, sizeof **list);
		(*list)[(*n)++] = xstrdup(tok);
	}
	if (*n == 0)
		return fail(p, "%s needs at least one domain name", key);
	return 0;
}

/* Only the escapes a clash name knows: %n (the local part) and %%. */
static int
clash_template_ok(const char *t)
{
	for (; *t != '\0'; t++)
		if (*t == '%' && *++t != 'n' && *t != '%')
			return 0;
	return 1;
}

/* clash_names = DOMAIN:TEMPLATE ... */
static int
parse_clash_names(struct parser *p, char *v)
{
	struct policy_config *pc = &p->cf->policy;
	char *save = NULL, *tok, *colon, *c;

	for (tok = strtok_r(v, " \t,", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t,", &save)) {
		colon = strchr(tok, ':');
		if (colon == NULL || colon == tok || colon[1] == '\0')
			return fail(
			    p, "clash_names: '%s' is not DOMAIN:TEMPLATE", tok);
		*colon = '\0';
		for (c = tok; *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
		if (!valid_domain(tok))
			return fail(p, "'%s' is not a domain name", tok);
		if (!clash_template_ok(colon + 1))
			return fail(p, "clash_names: a template knows only "
				       "%%n and %%%%");
		pc->clash_names = xreallocarray(pc->clash_names,
		    pc->n_clash_names + 1, sizeof *pc->clash_names);
		pc->clash_names[pc->n_clash_names].domain = xstrdup(tok);
		pc->clash_names[pc->n_clash_names++].tmpl = xstrdup(colon + 1);
	}
	if (pc->n_clash_names == 0)
		return fail(p, "clash_names needs DOMAIN:TEMPLATE");
	return 0;
}

static int
set_value(struct parser *p, void *base, const struct key_spec *k, char *v)
{
	char **slot = (char **)((char *)base + k->offset);

	switch (k->type) {
	case K_UINT:
		return parse_uint(p, base, k, v);
	case K_BOOL:
		return parse_bool(p, base, k, v);
	case K_DOMAINS:
		return parse_domains(p, k->name, v,
		    &((struct policy_source *)base)->domains,
		    &((struct policy_source *)base)->n_domains);
	case K_OPEN:
		return parse_domains(p, k->name, v, &p->cf->policy.open_domains,
		    &p->cf->policy.n_open_domains);
	case K_CLASH:
		return parse_clash_names(p, v);
	case K_MEMBERS:
		return parse_members(
		    p, (struct static_group *)((char *)base + k->offset), v);
	case K_RANGE:
		return parse_range(p, base, k, v);
	case K_NAME:
		if (!policy_valid_name(v))
			return fail(
			    p, "'%s' is not a valid user or group name", v);
		free(*slot);
		*slot = xstrdup(v);
		return 0;
	case K_SECRET:
		if (tsnss_is_credential(v)) {
			if (!tsnss_credential_name_ok(v))
				return fail(p,
				    "%s: '%s' is not a credential name systemd "
				    "accepts (1 to 255 bytes, no '/')",
				    k->name,
				    v + strlen(TSNSS_CREDENTIAL_PREFIX));
			free(*slot);
			*slot = xstrdup(v);
			return 0;
		}
		/* FALLTHROUGH */
	case K_PATH:
		if (v[0] != '/')
			return fail(p, "%s must be an absolute path", k->name);
		if (strlen(v) > PATH_MAX / 4)
			return fail(p, "%s is too long", k->name);
		/* FALLTHROUGH */
	case K_STRING:
		if (strchr(v, ':') != NULL)
			return fail(p, "%s must not contain ':'", k->name);
		free(*slot);
		*slot = xstrdup(v);
		return 0;
	}
	return 0;
}

static const struct key_spec *
find_key(const struct key_spec *table, const char *name, size_t *idx)
{
	for (*idx = 0; table[*idx].name != NULL; (*idx)++)
		if (strcmp(table[*idx].name, name) == 0)
			return &table[*idx];
	return NULL;
}

static int
add_setting(struct parser *p, const char *key, const char *value)
{
	struct backend_config *bc = &p->cf->backends[p->cf->n_backends - 1];
	struct tsnss_setting *s;
	size_t i;

	/* The plugin checks its own keys when it is initialised. */
	for (i = 0; i < bc->n_settings; i++)
		if (strcmp(bc->settings[i].key, key) == 0)
			return fail(p, "'%s' is given twice", key);
	bc->settings = xreallocarray(
	    bc->settings, bc->n_settings + 1, sizeof *bc->settings);
	s = &bc->settings[bc->n_settings++];
	s->key = xstrdup(key);
	s->value = xstrdup(value);
	s->line = p->line;
	return 0;
}

static const char *
section_label(const struct parser *p)
{
	switch (p->section) {
	case SEC_DAEMON:
		return "[daemon]";
	case SEC_POLICY:
		return "[policy]";
	case SEC_USER:
		return "[user ...]";
	case SEC_PROGRAM:
		return "[program ...]";
	case SEC_VARIANT:
		return "[variant ...]";
	default:
		return "[group ...]";
	}
}

/*
 * The table a key of the current section belongs to, the struct its
 * offsets point into, and where to note that it was given.
 */
static const struct key_spec *
lookup(struct parser *p, const char *key, void **base, char **seen)
{
	struct policy_config *pc = &p->cf->policy;
	const struct key_spec *k = NULL;
	size_t i;

	*base = NULL;
	switch (p->section) {
	case SEC_DAEMON:
		if ((k = find_key(daemon_keys, key, &i)) != NULL)
			*base = p->cf, *seen = &p->daemon_seen[i];
		break;
	case SEC_BACKEND:
		if ((k = find_key(backend_keys, key, &i)) != NULL)
			*base = &p->cf->backends[p->cf->n_backends - 1],
			*seen = &p->sec_seen[i];
		else if ((k = find_key(source_keys, key, &i)) != NULL)
			*base = &pc->sources[pc->n_sources - 1],
			*seen = &p->sec_seen[8 + i];
		else if ((k = find_key(policy_keys, key, &i)) != NULL) {
			*base = pc, *seen = &p->policy_seen[i];
			if (p->policy_in_backend_line == 0)
				p->policy_in_backend_line = p->line,
				p->policy_in_backend_key = k->name;
		}
		break;
	case SEC_POLICY:
		if ((k = find_key(policy_keys, key, &i)) != NULL)
			*base = pc, *seen = &p->policy_seen[i];
		break;
	case SEC_USER:
		if ((k = find_key(user_keys, key, &i)) != NULL)
			*base = &pc->overrides[pc->n_overrides - 1],
			*seen = &p->sec_seen[i];
		break;
	case SEC_GROUP:
		if ((k = find_key(group_keys, key, &i)) != NULL)
			*base = &pc->groups[pc->n_groups - 1],
			*seen = &p->sec_seen[i];
		break;
	case SEC_PROGRAM:
		if ((k = find_key(program_keys, key, &i)) != NULL)
			*base = &pc->programs[pc->n_programs - 1],
			*seen = &p->sec_seen[i];
		break;
	case SEC_VARIANT:
		if ((k = find_key(variant_keys, key, &i)) != NULL)
			*base = &pc->variants[pc->n_variants - 1],
			*seen = &p->sec_seen[i];
		break;
	default:
		break;
	}
	return k;
}

static int
handle_key(struct parser *p, char *key, char *value)
{
	const struct key_spec *k;
	char *seen = NULL;
	void *base;

	if (p->section == SEC_NONE)
		return fail(p, "'%s' is outside any [section]", key);
	k = lookup(p, key, &base, &seen);
	if (k == NULL && p->section == SEC_BACKEND)
		return add_setting(p, key, value);
	if (k == NULL)
		return fail(p, "unknown key '%s' in %s", key, section_label(p));
	if (*seen)
		return fail(p, "'%s' is given twice", key);
	*seen = 1;
	if (*value == '\0')
		return fail(p, "'%s' has no value", key);
	return set_value(p, base, k, value);
}

static int
valid_section_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) &&
		    !isdigit((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

static int
start_user(struct parser *p, char *login)
{
	struct policy_config *pc = &p->cf->policy;
	struct user_override *u;
	size_t i;

	for (char *c = login; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	if (strchr(login, '@') == NULL || strchr(login, ' ') != NULL)
		return fail(
		    p, "[user %s]: a login like name@domain is needed", login);
	for (i = 0; i < pc->n_overrides; i++)
		if (strcmp(pc->overrides[i].login, login) == 0)
			return fail(p, "[user %s] is given twice", login);
	pc->overrides = xreallocarray(
	    pc->overrides, pc->n_overrides + 1, sizeof *pc->overrides);
	u = &pc->overrides[pc->n_overrides++];
	memset(u, 0, sizeof *u);
	u->login = xstrdup(login);
	u->line = p->line;
	p->section = SEC_USER;
	return 0;
}

static int
start_group(struct parser *p, char *name)
{
	struct policy_config *pc = &p->cf->policy;
	struct static_group *g;
	size_t i;

	if (!policy_valid_name(name))
		return fail(p, "[group %s]: not a valid group name", name);
	for (i = 0; i < pc->n_groups; i++)
		if (strcmp(pc->groups[i].name, name) == 0)
			return fail(p, "[group %s] is given twice", name);
	pc->groups =
	    xreallocarray(pc->groups, pc->n_groups + 1, sizeof *pc->groups);
	g = &pc->groups[pc->n_groups++];
	memset(g, 0, sizeof *g);
	g->name = xstrdup(name);
	g->line = p->line;
	p->section = SEC_GROUP;
	return 0;
}

/* [program PATH]: the executable as the kernel names it, absolute. */
static int
start_program(struct parser *p, const char *path)
{
	struct policy_config *pc = &p->cf->policy;
	struct program_rule *r;
	size_t i;

	if (path[0] != '/' || strlen(path) > PATH_MAX / 4 ||
	    strpbrk(path, " \t:") != NULL)
		return fail(
		    p, "[program %s]: an absolute path is needed", path);
	for (i = 0; i < pc->n_programs; i++)
		if (strcmp(pc->programs[i].path, path) == 0)
			return fail(p, "[program %s] is given twice", path);
	if (pc->n_programs == TSNSS_SNAP_MAX_PROGRAMS)
		return fail(p, "more than %u [program] sections",
		    TSNSS_SNAP_MAX_PROGRAMS);
	pc->programs = xreallocarray(
	    pc->programs, pc->n_programs + 1, sizeof *pc->programs);
	r = &pc->programs[pc->n_programs++];
	memset(r, 0, sizeof *r);
	r->path = xstrdup(path);
	r->line = p->line;
	p->section = SEC_PROGRAM;
	return 0;
}

/* [variant SUFFIX]: what follows a user's name, as in alice-host. */
static int
start_variant(struct parser *p, const char *suffix)
{
	struct policy_config *pc = &p->cf->policy;
	struct variant_rule *r;
	size_t i, n = strlen(suffix);

	if (n == 0 || n > POLICY_MAX_SUFFIX ||
	    strspn(suffix, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != n)
		return fail(p,
		    "[variant %s]: a suffix is 1 to %d of a-z 0-9 _ . -",
		    suffix, POLICY_MAX_SUFFIX);
	for (i = 0; i < pc->n_variants; i++)
		if (strcmp(pc->variants[i].suffix, suffix) == 0)
			return fail(p, "[variant %s] is given twice", suffix);
	if (pc->n_variants == POLICY_MAX_VARIANTS)
		return fail(
		    p, "more than %d [variant] sections", POLICY_MAX_VARIANTS);
	pc->variants = xreallocarray(
	    pc->variants, pc->n_variants + 1, sizeof *pc->variants);
	r = &pc->variants[pc->n_variants++];
	memset(r, 0, sizeof *r);
	r->suffix = xstrdup(suffix);
	r->line = p->line;
	p->section = SEC_VARIANT;
	return 0;
}

static int
start_once(struct parser *p, int *given, int section, const char *name)
{
	if (*given)
		return fail(p, "[%s] is given twice", name);
	*given = 1;
	p->section = section;
	return 0;
}

/* [NAME]: a backend, PLUGIN_DIR/NAME.so, with its own identity rules. */
static int
start_backend(struct parser *p, const char *name)
{
	struct config *cf = p->cf;
	struct policy_config *pc = &cf->policy;
	struct policy_source *src;
	struct backend_config *bc;
	size_t i;

	for (i = 0; i < cf->n_backends; i++)
		if (strcmp(cf->backends[i].name, name) == 0)
			return fail(p, "[%s] is given twice", name);
	if (cf->n_backends == POLICY_MAX_SOURCES)
		return fail(
		    p, "more than %d backend sections", POLICY_MAX_SOURCES);
	cf->backends = xreallocarray(
	    cf->backends, cf->n_backends + 1, sizeof *cf->backends);
	bc = &cf->backends[cf->n_backends++];
	memset(bc, 0, sizeof *bc);
	bc->name = xstrdup(name);
	bc->line = p->line;
	bc->max_stale = 7 * 86400;
	bc->refresh_on_miss = CONFIG_UNSET;
	pc->sources =
	    xreallocarray(pc->sources, pc->n_sources + 1, sizeof *pc->sources);
	src = &pc->sources[pc->n_sources++];
	memset(src, 0, sizeof *src);
	src->name = xstrdup(name);
	src->line = p->line;
	src->uid_base = 100000;
	src->uid_max = 2147483646;
	src->shell = xstrdup("/bin/bash");
	src->home = xstrdup("/home/%u");
	p->section = SEC_BACKEND;
	return 0;
}

static int
handle_section(struct parser *p, char *line)
{
	char *end = strchr(line, ']'), *name;

	if (end == NULL || *trim(end + 1) != '\0')
		return fail(p, "malformed section header");
	*end = '\0';
	name = trim(line + 1);
	memset(p->sec_seen, 0, sizeof p->sec_seen);
	if (strncmp(name, "user ", 5) == 0)
		return start_user(p, trim(name + 5));
	if (strncmp(name, "group ", 6) == 0)
		return start_group(p, trim(name + 6));
	if (strncmp(name, "program ", 8) == 0)
		return start_program(p, trim(name + 8));
	if (strncmp(name, "variant ", 8) == 0)
		return start_variant(p, trim(name + 8));
	if (strcmp(name, "daemon") == 0)
		return start_once(p, &p->daemon_given, SEC_DAEMON, name);
	if (strcmp(name, "policy") == 0)
		return start_once(p, &p->policy_given, SEC_POLICY, name);
	if (!valid_section_name(name))
		return fail(p, "unknown section [%s]", name);
	return start_backend(p, name);
}

static int
handle_line(struct parser *p, char *line)
{
	char *eq, *key, *value;

	strip_comment(line);
	line = trim(line);
	if (*line == '\0')
		return 0;
	if (*line == '[')
		return handle_section(p, line);
	eq = strchr(line, '=');
	if (eq == NULL)
		return fail(p, "expected 'key = value'");
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (*key == '\0')
		return fail(p, "missing key before '='");
	return handle_key(p, key, value);
}

static const struct static_group *
find_group(const struct policy_config *pc, const char *name)
{
	size_t i;

	for (i = 0; i < pc->n_groups; i++)
		if (strcmp(pc->groups[i].name, name) == 0)
			return &pc->groups[i];
	return NULL;
}

static int
listed(const struct policy_config *pc, const char *domain)
{
	size_t i;

	for (i = 0; i < pc->n_domains; i++)
		if (strcmp(pc->domains[i], domain) == 0)
			return 1;
	return 0;
}

static int
templates_ok(const char *home, const char *shell)
{
	return (home == NULL || tsnss_template_valid(home)) &&
	       (shell == NULL || tsnss_template_valid(shell));
}

/* [program] and [variant] sections. */
static int
check_login_views(struct parser *p)
{
	const struct policy_config *pc = &p->cf->policy;
	size_t i;

	for (i = 0; i < pc->n_programs; i++) {
		const struct program_rule *r = &pc->programs[i];

		p->line = r->line;
		if (r->shell == NULL && r->home == NULL)
			return fail(p,
			    "[program %s] sets neither shell nor home",
			    r->path);
		if (!templates_ok(r->home, r->shell))
			return fail(p, "home and shell know only %%u %%l %%d "
				       "%%U %%%%");
	}
	for (i = 0; i < pc->n_variants; i++) {
		const struct variant_rule *r = &pc->variants[i];

		p->line = r->line;
		if (!templates_ok(r->home, r->shell))
			return fail(p, "home and shell know only %%u %%l %%d "
				       "%%U %%%%");
	}
	return 0;
}

/*
 * Subordinate ids need a range of their own: below 2^31 (systemd's
 * UIDS-GIDS: setfsuid() and devpts break above), apart from every
 * backend's UIDs, with room for one range at least.
 */
static int
check_subids(struct parser *p)
{
	const struct policy_config *pc = &p->cf->policy;
	const uint32_t *r = pc->subid_range;
	size_t i;

	p->line = 0;
	if (!POLICY_SUBIDS_ON(pc))
		return r[1] == 0 ? 0
				 : fail(p, "subid_range needs subid_members");
	if (r[1] == 0)
		return fail(p, "subid_members needs subid_range (no default: "
			       "see tailscale-nss.conf(5))");
	if ((uint64_t)r[1] - r[0] + 1 < pc->subid_count)
		return fail(p,
		    "subid_range %u-%u has no room for one range of "
		    "subid_count %u",
		    r[0], r[1], pc->subid_count);
	for (i = 0; i < pc->n_sources; i++)
		if (r[0] <= pc->sources[i].uid_max &&
		    pc->sources[i].uid_base <= r[1])
			return fail(p,
			    "subid_range %u-%u overlaps the UID range %u-%u "
			    "of [%s]",
			    r[0], r[1], pc->sources[i].uid_base,
			    pc->sources[i].uid_max, pc->sources[i].name);
	return 0;
}

/*
 * An extended local group takes its gid from /etc/group (tsnssd -t and
 * the policy check that it is local); root is never extended, whatever
 * its gid.
 */
static int
check_extended(struct parser *p, const struct static_group *g)
{
	if (g->gid != 0)
		return fail(p,
		    "[group %s]: extend = yes takes no gid (it is the local "
		    "group's)",
		    g->name);
	if (strcmp(g->name, "root") == 0)
		return fail(
		    p, "[group root]: the root group is never extended");
	return 0;
}

/* What [user] and [group] sections need of each other and of the rest. */
static int
check_sections(struct parser *p)
{
	const struct policy_config *pc = &p->cf->policy;
	size_t i, j;

	for (i = 0; i < pc->n_groups; i++) {
		p->line = pc->groups[i].line;
		if (pc->groups[i].extend) {
			if (check_extended(p, &pc->groups[i]) != 0)
				return -1;
			continue;
		}
		if (pc->groups[i].gid == 0)
			return fail(
			    p, "[group %s] needs a gid", pc->groups[i].name);
		for (j = 0; j < i; j++)
			if (pc->groups[j].gid == pc->groups[i].gid)
				return fail(p,
				    "gid %u is given to [group %s] "
				    "too",
				    pc->groups[i].gid, pc->groups[j].name);
	}
	for (i = 0; i < pc->n_overrides; i++) {
		const struct user_override *u = &pc->overrides[i];

		p->line = u->line;
		if (!templates_ok(u->home, u->shell))
			return fail(p, "home and shell know only %%u %%l %%d "
				       "%%U %%%%");
	}
	if (check_login_views(p) != 0)
		return -1;
	p->line = 0;
	for (i = 0; i < pc->n_open_domains; i++)
		if (!listed(pc, pc->open_domains[i]))
			return fail(p,
			    "open_domain '%s' is not listed in "
			    "'domain'",
			    pc->open_domains[i]);
	for (i = 0; i < pc->n_clash_names; i++)
		if (!listed(pc, pc->clash_names[i].domain))
			return fail(p,
			    "clash_names: '%s' is not listed in "
			    "'domain'",
			    pc->clash_names[i].domain);
	if (pc->primary_group && find_group(pc, pc->primary_group) == NULL)
		return fail(p, "primary_group '%s' has no [group %s] section",
		    pc->primary_group, pc->primary_group);
	if (check_subids(p) != 0)
		return -1;
	if (pc->primary_group && find_group(pc, pc->primary_group)->extend)
		return fail(p,
		    "primary_group '%s' is an extended local group; "
		    "a primary group must be tsnssd's own",
		    pc->primary_group);
	return 0;
}

/* What one backend section needs, at the line it starts. */
static int
check_backend(struct parser *p, size_t i)
{
	const struct backend_config *bc = &p->cf->backends[i];
	const struct policy_source *src = &p->cf->policy.sources[i];

	p->line = bc->line;
	if (src->n_domains == 0)
		return fail(p,
		    "[%s] needs 'domain': without it none of its users "
		    "can become a local user; set it to your logins' domain "
		    "(domain = example.com makes alice@example.com \"alice\")",
		    bc->name);
	if (!tsnss_template_valid(src->home) ||
	    !tsnss_template_valid(src->shell))
		return fail(p,
		    "[%s]: home and shell know only %%u %%l %%d "
		    "%%U %%%%",
		    bc->name);
	if (src->uid_max <= src->uid_base)
		return fail(
		    p, "[%s]: uid_max must be greater than uid_base", bc->name);
	if (bc->ttl != 0 && bc->max_stale != 0 && bc->max_stale < bc->ttl)
		return fail(
		    p, "[%s]: max_stale must be 0 or at least ttl", bc->name);
	return 0;
}

static int
check_whole(struct parser *p)
{
	struct config *cf = p->cf;
	char why[512];
	size_t i;

	p->line = 0;
	if (cf->n_backends == 0)
		return fail(p, "no backend section (such as [tailscale])");
	for (i = 0; i < cf->n_backends; i++)
		if (check_backend(p, i) != 0)
			return -1;
	if (cf->n_backends > 1 && p->policy_in_backend_line != 0) {
		p->line = p->policy_in_backend_line;
		return fail(p,
		    "'%s' is daemon-wide: with several backend sections it "
		    "belongs in [policy]",
		    p->policy_in_backend_key);
	}
	p->line = 0;
	if (policy_config_finish(&cf->policy, why, sizeof why) != 0)
		return fail(p, "%s", why);
	return check_sections(p);
}

struct config *
config_parse(
    const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	struct parser p = {0};
	const char *s = text, *end = text + len, *nl;
	char buf[CONFIG_MAX_LINE + 1];
	size_t n;

	p.cf = xcalloc(1, sizeof *p.cf);
	p.path = path;
	p.err = err;
	p.errlen = errlen;
	p.cf->path = xstrdup(path);
	set_defaults(p.cf);
	while (s < end) {
		p.line++;
		nl = memchr(s, '\n', (size_t)(end - s));
		n = (size_t)((nl ? nl : end) - s);
		if (n > CONFIG_MAX_LINE) {
			fail(&p, "line longer than %d bytes", CONFIG_MAX_LINE);
			goto bad;
		}
		if (memchr(s, '\0', n) != NULL) {
			fail(&p, "NUL byte in line");
			goto bad;
		}
		memcpy(buf, s, n);
		buf[n] = '\0';
		if (handle_line(&p, buf) != 0)
			goto bad;
		s += n + 1;
	}
	if (check_whole(&p) != 0)
		goto bad;
	return p.cf;
bad:
	config_free(p.cf);
	return NULL;
}

/*
 * The config decides who may log in, so only root (or the user running
 * the daemon, for tests and unprivileged trials) may be able to write it.
 */
static int
check_owner(const char *path, const struct stat *st, char *err, size_t errlen)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(err, errlen,
		    "%s: owned by uid %u; must be owned by root", path,
		    (unsigned)st->st_uid);
		return -1;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen,
		    "%s: writable by group or others (mode %03o); "
		    "run: chmod go-w %s",
		    path, (unsigned)(st->st_mode & 0777), path);
		return -1;
	}
	return 0;
}

/* uid_key_file is read here, not in config_parse, which stays pure. */
static int
load_key(struct config *cf, char *err, size_t errlen)
{
	struct policy_config *pc = &cf->policy;

	if (pc->uid_key_file == NULL)
		return 0;
	return uidkey_load(
	    pc->uid_key_file, &pc->uid_key, &pc->uid_key_len, err, errlen);
}

/*
 * The path is made absolute first: a daemon chdir()s to / and must still
 * find its config on SIGHUP.
 */
struct config *
config_load(const char *relpath, char *err, size_t errlen)
{
	char *path = realpath(relpath, NULL);
	struct config *cf;

	err[0] = '\0';
	if (path == NULL) {
		snprintf(err, errlen, "%s: %s", relpath, strerror(errno));
		return NULL;
	}
	cf = load_path(path, err, errlen);
	free(path);
	return cf;
}

static struct config *
load_path(const char *path, char *err, size_t errlen)
{
	struct config *cf = NULL;
	struct stat st;
	char *text;
	ssize_t n;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || check_owner(path, &st, err, errlen) != 0) {
		if (*err == '\0')
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (st.st_size > CONFIG_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %u bytes", path,
		    CONFIG_MAX_BYTES);
		close(fd);
		return NULL;
	}
	text = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size &&
	       (n = read(fd, text + got, (size_t)st.st_size - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		got += (size_t)n;
	}
	cf = config_parse(path, text, got, err, errlen);
	if (cf != NULL && load_key(cf, err, errlen) != 0) {
		config_free(cf);
		cf = NULL;
	}
out:
	free(text);
	close(fd);
	return cf;
}

void
config_free(struct config *cf)
{
	size_t i, j;

	if (cf == NULL)
		return;
	free(cf->path);
	free(cf->socket_path);
	free(cf->map_path);
	free(cf->cache_dir);
	free(cf->plugin_dir);
	for (i = 0; i < cf->n_backends; i++) {
		free(cf->backends[i].name);
		for (j = 0; j < cf->backends[i].n_settings; j++) {
			free((char *)cf->backends[i].settings[j].key);
			free((char *)cf->backends[i].settings[j].value);
		}
		free(cf->backends[i].settings);
	}
	free(cf->backends);
	policy_config_clear(&cf->policy);
	free(cf);
}
