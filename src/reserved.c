/* reserved.c - see reserved.h. */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reserved.h"
#include "subidfile.h"
#include "xmalloc.h"

#define MAX_NAME 64 /* longer is no account name systemd or useradd take */

struct rname {
	char *name;
	char *why;
};

/* [start, end) of one delegated range, merged with its overlaps. */
struct rrange {
	uint64_t start, end;
	char *why;
};

struct reserved {
	struct rname *names;
	size_t n_names;
	struct rrange *ranges;
	size_t n_ranges;
	size_t skipped;
};

/*
 * System accounts Debian, Ubuntu and Fedora packages commonly create (or
 * sudoers and sshd configs commonly name), and the ones every host has.
 */
/* Sorted by strcmp, for the binary search (test-reserved checks it). */
static const char *const builtin[] = {"_apt", "adm", "admin", "apache", "avahi",
    "backup", "bin", "bind", "chrony", "clamav", "daemon", "dnsmasq", "docker",
    "dovecot", "elasticsearch", "exim", "ftp", "games", "git", "gitlab",
    "grafana", "haproxy", "httpd", "influxdb", "irc", "jenkins", "kvm",
    "libvirt", "list", "lp", "mail", "man", "mariadb", "memcached",
    "messagebus", "mongodb", "mysql", "named", "news", "nginx", "nobody",
    "nogroup", "ntp", "operator", "polkitd", "postdrop", "postfix", "postgres",
    "prometheus", "proxy", "rabbitmq", "redis", "root", "shadow", "sshd",
    "staff", "sudo", "sync", "sys", "systemd-network", "systemd-resolve",
    "systemd-timesync", "tcpdump", "tomcat", "tss", "unbound", "users", "uucp",
    "uuidd", "wheel", "www-data", NULL};

const char *const *
reserved_builtin(void)
{
	return builtin;
}

const char *const *
reserved_watch_paths(void)
{
	static const char *const paths[] = {RESERVED_UNIT_DIRS,
	    RESERVED_SYSUSERS_DIRS, RESERVED_SUBUID, RESERVED_SUBGID, NULL};

	return paths;
}

/*
 * A whole regular file of at most max bytes, NUL-terminated, or NULL.
 * O_NONBLOCK: a FIFO put in its place must not hang the reader.
 */
static char *
slurp(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	size_t got = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > max)
		goto out;
	buf = xmalloc(max + 2);
	while (got <= max && (n = read(fd, buf + got, max + 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += (size_t)n;
	}
	if (got > max || n < 0) { /* grew past the bound, or unreadable */
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[got] = '\0';
	*len = got;
out:
	close(fd);
	return buf;
}

/*
 * Calls fn for each line of buf (NUL-terminated, without its newline);
 * a line over RESERVED_MAX_LINE or holding a NUL is skipped and counted.
 */
static void
each_line(struct reserved *r, char *buf, size_t len,
    void (*fn)(struct reserved *r, char *line, void *arg), void *arg)
{
	char *p = buf, *end = buf + len, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl : end;
		*nl = '\0';
		if ((size_t)(nl - p) > RESERVED_MAX_LINE ||
		    strlen(p) != (size_t)(nl - p))
			r->skipped++;
		else
			fn(r, p, arg);
		p = nl + 1;
	}
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static void
add_name(struct reserved *r, const char *name, size_t len, char *why)
{
	if (len == 0 || len > MAX_NAME || memchr(name, '%', len) ||
	    r->n_names >= RESERVED_MAX_NAMES) {
		r->skipped += len != 0;
		free(why);
		return;
	}
	r->names = xreallocarray(r->names, r->n_names + 1, sizeof *r->names);
	r->names[r->n_names].name = xstrndup(name, len);
	r->names[r->n_names++].why = why;
}

/* What one unit file says about its service's user. */
struct unit {
	int in_service, dynamic;
	char user[MAX_NAME + 1];
	int user_too_long;
};

static int
yes(const char *v)
{
	return strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
	       strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0;
}

static void
unit_line(struct reserved *r, char *line, void *arg)
{
	struct unit *u = arg;
	char *eq;

	(void)r;
	line = trim(line);
	if (*line == '[') {
		u->in_service = strcmp(line, "[Service]") == 0;
		return;
	}
	if (!u->in_service || (eq = strchr(line, '=')) == NULL)
		return;
	*eq = '\0';
	if (strcmp(trim(line), "DynamicUser") == 0)
		u->dynamic = yes(trim(eq + 1));
	else if (strcmp(trim(line), "User") == 0) {
		u->user_too_long = strlen(trim(eq + 1)) > MAX_NAME;
		snprintf(u->user, sizeof u->user, "%s", trim(eq + 1));
	}
}

static void
read_unit(struct reserved *r, const char *dir, const char *file)
{
	char path[4096], *buf, *why;
	size_t len, n = strlen(file);
	struct unit u = {0, 0, "", 0};
	const char *name = u.user;

	if (n <= 8 || strcmp(file + n - 8, ".service") != 0)
		return;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	if ((buf = slurp(path, RESERVED_MAX_FILE, &len)) == NULL) {
		r->skipped++;
		return;
	}
	each_line(r, buf, len, unit_line, &u);
	free(buf);
	if (!u.dynamic)
		return;
	if (u.user_too_long) {
		r->skipped++;
		return;
	}
	if (*name == '\0') /* systemd names the user after the unit */
		name = file, n -= 8;
	else
		n = strlen(name);
	if (memchr(name, '@', n) != NULL) /* a template: the name varies */
		return;
	xasprintf(&why, "the DynamicUser= of %s in %s", file, dir);
	add_name(r, name, n, why);
}

/* "u NAME ..." or "g NAME ...": systemd-sysusers will create NAME. */
static void
sysusers_line(struct reserved *r, char *line, void *arg)
{
	const char *path = arg;
	char *save = NULL, *type, *name, *why;
	size_t n;

	type = strtok_r(line, " \t", &save);
	name = strtok_r(NULL, " \t", &save);
	if (type == NULL || *type == '#' || name == NULL ||
	    (strcmp(type, "u") != 0 && strcmp(type, "u!") != 0 &&
		strcmp(type, "g") != 0))
		return;
	n = strlen(name);
	if (n >= 2 && name[0] == '"' && name[n - 1] == '"')
		name++, n -= 2;
	xasprintf(&why, "declared in %s for systemd-sysusers", path);
	add_name(r, name, n, why);
}

static void
read_sysusers(struct reserved *r, const char *dir, const char *file)
{
	char path[4096], *buf;
	size_t len, n = strlen(file);

	if (n <= 5 || strcmp(file + n - 5, ".conf") != 0)
		return;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	if ((buf = slurp(path, RESERVED_MAX_FILE, &len)) == NULL) {
		r->skipped++;
		return;
	}
	each_line(r, buf, len, sysusers_line, path);
	free(buf);
}

/* Whether dir is one of seen[0..*n) (/lib is /usr/lib on merged-/usr
 * systems); if not, it is added. */
static int
seen_before(const char *dir, struct stat *seen, size_t *n, size_t max)
{
	struct stat st;
	size_t i;

	if (stat(dir, &st) != 0)
		return 1; /* missing: nothing to read */
	for (i = 0; i < *n; i++)
		if (seen[i].st_dev == st.st_dev && seen[i].st_ino == st.st_ino)
			return 1;
	if (*n < max)
		seen[(*n)++] = st;
	return 0;
}

/* Each entry of dir, at most RESERVED_MAX_FILES; a missing dir is empty. */
static void
read_dir(struct reserved *r, const char *dir,
    void (*fn)(struct reserved *r, const char *dir, const char *file))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n++ == RESERVED_MAX_FILES) {
			r->skipped++;
			break;
		}
		fn(r, dir, e->d_name);
	}
	closedir(d);
}

/* "OWNER:START:COUNT"; a malformed line is counted, not guessed at. */
struct subid_read {
	struct reserved *r;
	const char *path;
};

/* A range delegated to a local user: its ids are not the tailnet's. */
static int
add_range(const struct subidfile_range *sr, void *arg)
{
	const struct subid_read *sr_arg = arg;
	struct reserved *r = sr_arg->r;
	struct rrange *g;

	if (r->n_ranges >= RESERVED_MAX_RANGES) {
		r->skipped++;
		return 1;
	}
	r->ranges =
	    xreallocarray(r->ranges, r->n_ranges + 1, sizeof *r->ranges);
	g = &r->ranges[r->n_ranges++];
	g->start = sr->start;
	g->end = (uint64_t)sr->start + sr->count;
	xasprintf(&g->why,
	    "inside %s's subordinate range %" PRIu64 "-%" PRIu64 " in %s",
	    sr->owner, g->start, g->end - 1, sr_arg->path);
	return 0;
}

static void
read_subid(struct reserved *r, const char *path)
{
	struct subid_read arg = {r, path};

	r->skipped += subidfile_each(path, add_range, &arg);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(
	    ((const struct rname *)a)->name, ((const struct rname *)b)->name);
}

static int
by_start(const void *a, const void *b)
{
	const struct rrange *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Overlapping ranges become one (with the first's reason): bsearch-able. */
static void
merge_ranges(struct reserved *r)
{
	size_t i, o = 0;

	if (r->n_ranges == 0)
		return;
	qsort(r->ranges, r->n_ranges, sizeof *r->ranges, by_start);
	for (i = 1; i < r->n_ranges; i++) {
		if (r->ranges[i].start < r->ranges[o].end) {
			if (r->ranges[i].end > r->ranges[o].end)
				r->ranges[o].end = r->ranges[i].end;
			free(r->ranges[i].why);
		} else {
			r->ranges[++o] = r->ranges[i];
		}
	}
	r->n_ranges = o + 1;
}

struct reserved *
reserved_load_from(const char *const *unit_dirs,
    const char *const *sysusers_dirs, const char *subuid, const char *subgid)
{
	struct reserved *r = xcalloc(1, sizeof *r);
	struct stat seen[16];
	size_t n_seen = 0;

	for (; unit_dirs && *unit_dirs; unit_dirs++)
		if (!seen_before(*unit_dirs, seen, &n_seen, 16))
			read_dir(r, *unit_dirs, read_unit);
	for (n_seen = 0; sysusers_dirs && *sysusers_dirs; sysusers_dirs++)
		if (!seen_before(*sysusers_dirs, seen, &n_seen, 16))
			read_dir(r, *sysusers_dirs, read_sysusers);
	if (subuid != NULL)
		read_subid(r, subuid);
	if (subgid != NULL)
		read_subid(r, subgid);
	if (r->n_names > 0)
		qsort(r->names, r->n_names, sizeof *r->names, by_name);
	merge_ranges(r);
	return r;
}

struct reserved *
reserved_load(void)
{
	static const char *const units[] = {RESERVED_UNIT_DIRS, NULL};
	static const char *const sysusers[] = {RESERVED_SYSUSERS_DIRS, NULL};

	return reserved_load_from(
	    units, sysusers, RESERVED_SUBUID, RESERVED_SUBGID);
}

void
reserved_free(struct reserved *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n_names; i++) {
		free(r->names[i].name);
		free(r->names[i].why);
	}
	for (i = 0; i < r->n_ranges; i++)
		free(r->ranges[i].why);
	free(r->names);
	free(r->ranges);
	free(r);
}

static int
by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Every user and group name the build judges is looked up here: a
 * binary search, not seventy strcmp.
 */
static int
builtin_name(const char *name)
{
	size_t n = sizeof builtin / sizeof *builtin - 1; /* the NULL */

	return bsearch(&name, builtin, n, sizeof *builtin, by_str) != NULL;
}

const char *
reserved_name(const struct reserved *r, const char *name)
{
	struct rname key = {(char *)name, NULL}, *hit;

	if (r != NULL && r->n_names > 0 &&
	    (hit = bsearch(&key, r->names, r->n_names, sizeof key, by_name)) !=
		NULL)
		return hit->why;
	if (builtin_name(name))
		return "in the built-in list of system account names";
	return NULL;
}

const char *
reserved_file_name(const struct reserved *r, size_t i)
{
	return r != NULL && i < r->n_names ? r->names[i].name : NULL;
}

const char *
reserved_id(const struct reserved *r, uint32_t id)
{
	size_t lo = 0, hi, mid;

	if (r == NULL)
		return NULL;
	hi = r->n_ranges;
	while (lo < hi) { /* the last range starting at or below id */
		mid = lo + (hi - lo) / 2;
		if (r->ranges[mid].start <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && id < r->ranges[lo - 1].end)
		return r->ranges[lo - 1].why;
	return NULL;
}

size_t
reserved_skipped(const struct reserved *r)
{
	return r ? r->skipped : 0;
}
