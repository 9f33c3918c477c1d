/* test-config.c - good and bad configuration files. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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
	is_str(cf->backend, "tailscale", "backend from section name");
	is_int(cf->policy.n_domains, 1, "one domain");
	is_int(cf->policy.uid_base, 100000, "default uid_base");
	is_str(cf->policy.shell, "/bin/bash", "default shell");
	is_str(cf->policy.home, "/home/%u", "default home");
	is_int(cf->ttl, 60, "default ttl");
	is_str(cf->socket_path, TSNSSD_SOCKET_PATH, "default socket");
	is_int(cf->n_settings, 0, "no plugin settings");
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
	is_int(cf->policy.uid_base, 200000, "uid_base");
	is_int(cf->n_settings, 2, "plugin keys passed on");
	is_str(cf->settings[0].key, "socket", "plugin key name");
	is_str(cf->settings[0].value, "/x/ts.sock", "plugin key value");
	is_int(cf->settings[0].line, 9, "plugin key line");
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
	bad("[tailscale]\ndomain=x\n[other]\n", "t.conf:3: a second backend",
	    "two backends");
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

int
main(void)
{
	test_good();
	test_bad();
	test_load();
	return done_testing();
}
