/* test-config.c - good and bad configuration files. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static struct config *
parse(const char *text, char *err, size_t errlen)
{
	err[0] = '\0';
	return config_parse("t.conf", text, strlen(text), err, errlen);
}

static void
bad(const char *text, const char *want, const char *what)
{
	char err[512];
	struct config *cf = parse(text, err, sizeof err);

	if (!ok(cf == NULL && strstr(err, want) != NULL, "refused: %s", what))
		printf("#   error was \"%s\", want \"%s\"\n", err, want);
	config_free(cf);
}

static void
test_good(void)
{
	char err[512];
	struct config *cf;

	cf = parse(
	    "# comment\n[tailscale]\ndomain = example.com\n", err, sizeof err);
	ok(cf != NULL, "minimal config accepted (%s)", err);
	if (cf == NULL)
		return;
	is_int(cf->n_backends, 1, "one backend");
	is_str(cf->backends[0].name, "tailscale", "backend from section name");
	is_int(cf->policy.n_domains, 1, "one domain");
	is_int(cf->policy.sources[0].uid_base, 100000, "default uid_base");
	is_str(cf->policy.sources[0].shell, "/bin/bash", "default shell");
	is_str(cf->policy.sources[0].home, "/home/%u", "default home");
	is_int(cf->backends[0].ttl, 0, "ttl unset: the plugin's default");
	is_int(cf->backends[0].max_stale, 7 * 86400, "default max_stale");
	is_str(cf->socket_path, TSNSSD_SOCKET_PATH, "default socket");
	is_int(cf->backends[0].n_settings, 0, "no plugin settings");
	config_free(cf);

	cf = parse("[daemon]\n  socket = /tmp/s  # inline comment\n"
		   "max_clients=10\n[tailscale]\r\n"
		   "domain = Example.COM example.org, github\n"
		   "uid_base = 200000\nshell=/bin/zsh\n"
		   "home = /srv/home/%d/%u\nsocket = /x/ts.sock\n"
		   "timeout_ms = 100\n",
	    err, sizeof err);
	ok(cf != NULL, "full config accepted (%s)", err);
	if (cf == NULL)
		return;
	is_str(cf->socket_path, "/tmp/s", "inline comment stripped");
	is_int(cf->max_clients, 10, "max_clients");
	is_int(cf->policy.n_domains, 3, "three domains");
	is_str(cf->policy.domains[0], "example.com", "domain lower-cased");
	is_str(cf->policy.domains[2], "github", "bare word domain");
	is_int(cf->policy.sources[0].uid_base, 200000, "uid_base");
	is_int(cf->backends[0].n_settings, 2, "plugin keys passed on");
	is_str(cf->backends[0].settings[0].key, "socket", "plugin key name");
	is_str(cf->backends[0].settings[0].value, "/x/ts.sock",
	    "plugin key value");
	is_int(cf->backends[0].settings[0].line, 9, "plugin key line");
	config_free(cf);
}

static void
test_bad(void)
{
	bad("[tailscale]\n", "needs 'domain'", "missing domain");
	bad("", "no backend section", "empty file");
	bad("[tailscale]\ndomain = \n", "t.conf:2: 'domain' has no value",
	    "empty domain");
	bad("[tailscale]\ndomain = a..b\x01\n", "t.conf:2:", "bad domain");
	bad("domain = x\n", "t.conf:1: 'domain' is outside", "no section");
	bad("[daemon]\nfrobnicate = 1\n[tailscale]\ndomain=x\n",
	    "t.conf:2: unknown key 'frobnicate' in [daemon]", "unknown key");
	bad("[Weird Section]\n", "t.conf:1: unknown section", "bad section");
	bad("[tailscale]\ndomain=x\n[other]\n",
	    "t.conf:3: [other] needs 'domain'",
	    "a second backend needs its own domain");
	bad("[tailscale]\ndomain=x\n[tailscale]\ndomain=y\n",
	    "t.conf:3: [tailscale] is given twice", "one backend twice");
	bad("[policy]\n[tailscale]\ndomain=x\n[policy]\n",
	    "t.conf:4: [policy] is given twice", "[policy] twice");
	bad("[policy]\ndomain=x\n[tailscale]\ndomain=x\n",
	    "t.conf:2: unknown key 'domain' in [policy]",
	    "a backend's key in [policy]");
	bad("[tailscale\n", "t.conf:1: malformed section", "unclosed section");
	bad("[tailscale]\ndomain=x\njunk\n", "t.conf:3: expected 'key = value'",
	    "line without =");
	bad("[tailscale]\ndomain=x\nuid_base = 0\n", "t.conf:3: uid_base",
	    "uid_base 0");
	bad("[tailscale]\ndomain=x\nuid_base = 12abc\n",
	    "t.conf:3:", "uid_base junk");
	bad("[tailscale]\ndomain=x\nuid_base = 99999999999999999999\n",
	    "t.conf:3:", "uid_base overflow");
	bad("[tailscale]\ndomain=x\nuid_base = -5\n",
	    "t.conf:3:", "negative uid_base");
	bad("[tailscale]\ndomain=x\ndomain=y\n",
	    "t.conf:3: 'domain' is given twice", "repeated key");
	bad("[tailscale]\ndomain=x\nsocket=/a\nsocket=/b\n",
	    "t.conf:4: 'socket' is given twice", "repeated plugin key");
	bad("[tailscale]\ndomain=x\nshell=bash\n", "absolute path",
	    "relative shell");
	bad("[tailscale]\ndomain=x\nhome=/home/%q\n", "home", "bad escape");
	bad("[tailscale]\ndomain=x\nhome=/a:b\n", "':'", "colon in home");
	bad("[tailscale]\ndomain=x\nclash_names=y:%n_y\n", "not listed",
	    "clash_names for an unlisted domain");
	bad("[tailscale]\ndomain=x y\nclash_names=y:%u_y\n", "%n and %%",
	    "clash_names with an unknown escape");
	bad("[tailscale]\ndomain=x y\nclash_names=y\n", "DOMAIN:TEMPLATE",
	    "clash_names without a template");
	bad("[tailscale]\ndomain=x\nopen_domain=y\n", "not listed",
	    "open_domain for an unlisted domain");
	bad("[tailscale]\ndomain=x\nuid_key_file=key\n", "absolute",
	    "a relative uid_key_file");
	bad("[tailscale]\ndomain=x\nuid_key_file=credential:a/b\n",
	    "not a credential name", "a credential name with '/'");
	bad("[tailscale]\ndomain=x\nuid_base=100000\nuid_max=100000\n",
	    "uid_max must be greater", "empty uid range");
	static char longline[CONFIG_MAX_LINE + 20];
	memset(longline, 'a', sizeof longline - 1);
	bad(longline, "longer than", "overlong line");
	char nul[] = "[tailscale]\ndomain=x\0y\n";
	char err[128];
	struct config *cf =
	    config_parse("t.conf", nul, sizeof nul - 1, err, sizeof err);
	ok(cf == NULL && strstr(err, "t.conf:2: NUL"), "NUL byte refused");
	config_free(cf);
}

static void
test_multi(void)
{
	char err[512], text[4096];
	struct config *cf;
	size_t i, o = 0;

	cf = parse("[tailscale]\ndomain = example.com\nttl = 30\n"
		   "[tailscale-api]\ndomain = example.com corp.example\n"
		   "shell = /bin/zsh\nmax_stale = 600\ntailnet = t\n"
		   "[policy]\nprimary_group = staff\n"
		   "[group staff]\ngid = 5000\nmembers = role:admin, bob\n",
	    err, sizeof err);
	ok(cf != NULL, "two backends and [policy] accepted (%s)", err);
	if (cf == NULL)
		return;
	is_int(cf->n_backends, 2, "two backend sections");
	is_str(cf->backends[1].name, "tailscale-api", "in file order");
	is_int(cf->backends[0].ttl, 30, "ttl of the first");
	is_int(cf->backends[1].ttl, 0, "the second's ttl: its plugin's");
	is_int(cf->backends[1].max_stale, 600, "max_stale per section");
	is_str(cf->policy.sources[0].shell, "/bin/bash", "shell per section");
	is_str(cf->policy.sources[1].shell, "/bin/zsh", "shell per section");
	is_int(cf->backends[1].n_settings, 1, "the plugin's own key");
	is_int(cf->policy.n_domains, 2, "domains once each, ranked");
	is_str(cf->policy.domains[1], "corp.example", "in order first listed");
	is_str(cf->policy.primary_group, "staff", "primary_group in [policy]");
	is_str(cf->policy.groups[0].members[0], "role:admin",
	    "members = role:admin");
	config_free(cf);

	bad("[tailscale]\ndomain=x\n[tailscale-api]\ndomain=x\n"
	    "uid_base=200000\n",
	    "[tailscale] and [tailscale-api] both list x with other uid_base",
	    "one domain, two UID ranges");
	bad("[tailscale]\ndomain=x\nprimary_group=g\n[tailscale-api]\n"
	    "domain=y\n[group g]\ngid=5000\n",
	    "t.conf:3: 'primary_group' is daemon-wide",
	    "a daemon-wide key in one of two backend sections");
	bad("[tailscale]\ndomain=x\n[policy]\ngroup_prefix=a\n"
	    "[tailscale-api]\ndomain=y\ngroup_prefix=b\n",
	    "'group_prefix' is given twice", "a daemon-wide key twice");
	bad("[tailscale]\ndomain=x\n[group g]\ngid=5000\nmembers=role:\n",
	    "member 'role:'", "KEY: without a value");
	bad("[tailscale]\ndomain=x\n[group g]\ngid=5000\nmembers=:admin\n",
	    "member ':admin'", ":VALUE without a key");
	bad("[a]\ndomain=x\nttl=600\nmax_stale=60\n",
	    "[a]: max_stale must be 0 or at least ttl", "max_stale < ttl");
	for (i = 0; i <= POLICY_MAX_SOURCES; i++)
		o += (size_t)snprintf(
		    text + o, sizeof text - o, "[b%zu]\ndomain=x\n", i);
	bad(text, "more than 16 backend sections", "17 backend sections");
}

static void
test_load(void)
{
	char err[512];
	struct config *cf;

	cf = config_load("/nonexistent/tailscale-nss.conf", err, sizeof err);
	ok(cf == NULL && strstr(err, "No such file"), "missing file: %s", err);
	FILE *f = fopen("/tmp/tsnss-test-perm.conf", "w");
	fputs("[tailscale]\ndomain = example.com\n", f);
	fclose(f);
	chmod("/tmp/tsnss-test-perm.conf", 0666);
	cf = config_load("/tmp/tsnss-test-perm.conf", err, sizeof err);
	ok(cf == NULL && strstr(err, "writable by group or others"),
	    "world-writable config refused");
	chmod("/tmp/tsnss-test-perm.conf", 0644);
	cf = config_load("/tmp/tsnss-test-perm.conf", err, sizeof err);
	ok(cf != NULL, "0644 config accepted");
	config_free(cf);
	remove("/tmp/tsnss-test-perm.conf");
}

/* uid_key_file = credential:NAME: systemd's copy, or a clear error. */
static void
test_credential(void)
{
	const char *conf = "/tmp/tsnss-test-cred.conf";
	char dir[] = "/tmp/tsnss-test-cred.XXXXXX", key[64], err[512];
	struct config *cf;
	FILE *f = fopen(conf, "w");

	fputs("[tailscale]\ndomain = example.com\n"
	      "uid_key_file = credential:uidkey\n",
	    f);
	fclose(f);
	chmod(conf, 0644);
	unsetenv("CREDENTIALS_DIRECTORY");
	cf = config_load(conf, err, sizeof err);
	ok(cf == NULL && strstr(err, "CREDENTIALS_DIRECTORY is not set") &&
		strstr(err, "LoadCredential=uidkey:"),
	    "credential: outside systemd: %s", err);
	if (mkdtemp(dir) != NULL) {
		snprintf(key, sizeof key, "%s/uidkey", dir);
		f = fopen(key, "w");
		fputs("0123456789abcdef0123456789abcdef\n", f);
		fclose(f);
		chmod(key, 0400);
		setenv("CREDENTIALS_DIRECTORY", dir, 1);
		cf = config_load(conf, err, sizeof err);
		ok(cf != NULL && cf->policy.uid_key_len == 32,
		    "uid_key_file = credential:uidkey reads "
		    "$CREDENTIALS_DIRECTORY/uidkey");
		config_free(cf);
		unsetenv("CREDENTIALS_DIRECTORY");
		remove(key);
		rmdir(dir);
	}
	remove(conf);
}

/* [program PATH] and [variant SUFFIX]. */
static void
test_views(void)
{
	static const char base[] = "[tailscale]\ndomain = example.com\n";
	char text[512], err[512];
	struct config *cf;

	snprintf(text, sizeof text,
	    "%s[program /usr/sbin/sshd]\nshell = /usr/local/bin/ctr %%u\n"
	    "[variant -host]\nshell = /bin/bash\n"
	    "[variant .nonfs]\nhome = /var/tmp/%%u\nmembers = bob, "
	    "role:admin\n",
	    base);
	cf = parse(text, err, sizeof err);
	ok(cf != NULL, "[program] and [variant] accepted (%s)", err);
	if (cf != NULL) {
		is_int(cf->policy.n_programs, 1, "one program");
		is_str(
		    cf->policy.programs[0].path, "/usr/sbin/sshd", "its path");
		ok(cf->policy.programs[0].home == NULL, "home left alone");
		is_int(cf->policy.n_variants, 2, "two variants");
		is_str(cf->policy.variants[1].suffix, ".nonfs", "a suffix");
		is_int(cf->policy.variants[1].who.n_members, 2, "its members");
		is_int(cf->policy.variants[0].who.n_members, 0,
		    "no members: everyone");
	}
	config_free(cf);
	snprintf(
	    text, sizeof text, "%s[program sshd]\nshell = /bin/sh\n", base);
	bad(text, "an absolute path is needed", "a relative [program]");
	snprintf(text, sizeof text, "%s[program /usr/sbin/sshd]\n", base);
	bad(text, "sets neither shell nor home", "an empty [program]");
	snprintf(text, sizeof text,
	    "%s[program /bin/x]\nshell=/bin/sh\n[program /bin/x]\n", base);
	bad(text, "is given twice", "a [program] twice");
	snprintf(
	    text, sizeof text, "%s[program /bin/x]\nshell = /b/%%z\n", base);
	bad(text, "know only", "an unknown escape in a [program]");
	snprintf(
	    text, sizeof text, "%s[program /bin/x]\nmembers = bob\n", base);
	bad(text, "unknown key 'members' in [program", "members in [program]");
	snprintf(text, sizeof text, "%s[variant -Host]\n", base);
	bad(text, "a suffix is 1 to", "an upper-case suffix");
	snprintf(text, sizeof text, "%s[variant a:b]\n", base);
	bad(text, "a suffix is 1 to", "a ':' in a suffix");
	snprintf(text, sizeof text, "%s[variant -abcdefghijklmnopq]\n", base);
	bad(text, "a suffix is 1 to", "a suffix of 17 bytes");
	snprintf(text, sizeof text, "%s[variant -h]\n[variant -h]\n", base);
	bad(text, "is given twice", "a [variant] twice");
	snprintf(text, sizeof text, "%s[variant -h]\nmembers = 9lives\n", base);
	bad(text, "is neither a login", "bad members in a [variant]");
}

/* extend = yes and the subid_* keys. */
static void
test_host_groups(void)
{
	char err[512];
	struct config *cf;

	cf = parse("[tailscale]\ndomain = x\nuid_max = 1879048191\n"
		   "[policy]\nsubid_members = group:eng, bob@x\n"
		   "subid_range = 1879048192-2147483647\n"
		   "[group docker]\nextend = yes\nmembers = group:eng\n",
	    err, sizeof err);
	if (!ok(cf != NULL, "extend and subid keys parse"))
		printf("#   %s\n", err);
	if (cf != NULL) {
		is_int(cf->policy.groups[0].extend, 1, "extend = yes");
		is_int(cf->policy.groups[0].gid, 0,
		    "an extended group has no gid");
		is_int(cf->policy.subid.n_members, 2, "subid_members");
		is_int(cf->policy.subid_count, 65536, "subid_count default");
		is_int(cf->policy.subid_range[0], 1879048192u, "range first");
		is_int(cf->policy.subid_range[1], 2147483647u, "range last");
	}
	config_free(cf);
	bad("[tailscale]\ndomain=x\n[group adm]\nextend = yes\ngid = 5000\n",
	    "takes no gid", "extend with a gid");
	bad("[tailscale]\ndomain=x\n[group root]\nextend = yes\n",
	    "never extended", "extend of root");
	bad("[tailscale]\ndomain=x\nprimary_group = docker\n"
	    "[group docker]\nextend = yes\n",
	    "is an extended local group", "an extended primary group");
	bad("[tailscale]\ndomain=x\nsubid_members = *\n", "needs subid_range",
	    "subid_members without subid_range");
	bad("[tailscale]\ndomain=x\nsubid_range = 1-2\n", "needs subid_members",
	    "subid_range alone");
	bad("[tailscale]\ndomain=x\nsubid_members = *\n"
	    "subid_range = 1879048192-2147483647\n",
	    "overlaps the UID range 100000-2147483646", "over the UID range");
	bad("[tailscale]\ndomain=x\nuid_max = 1879048191\nsubid_members = *\n"
	    "subid_range = 1879048192-2147483648\n",
	    "from 1 to 2147483647", "from 2^31 up");
	bad("[tailscale]\ndomain=x\nuid_max = 1879048191\nsubid_members = *\n"
	    "subid_range = 2000000000-1900000000\n",
	    "must be FIRST-LAST", "backwards");
	bad("[tailscale]\ndomain=x\nuid_max = 1879048191\nsubid_members = *\n"
	    "subid_range = 1879048192-1879048200\n",
	    "no room for one range", "smaller than subid_count");
	bad("[tailscale]\ndomain=x\nuid_max = 1879048191\nsubid_members = *\n"
	    "subid_range = 1879048192 - 2147483647\n",
	    "must be FIRST-LAST", "spaces in a range");
}

int
main(void)
{
	test_good();
	test_bad();
	test_host_groups();
	test_multi();
	test_load();
	test_credential();
	test_views();
	return done_testing();
}
