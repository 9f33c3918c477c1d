#!/bin/sh
# t-cli.sh - tsnssd's command line: -t, --version, --help, bad configs.
. "$top_srcdir/tests/lib.sh"
setup_tmpdir
tsnssd="$top_builddir/src/tsnssd"
plugins="$top_builddir/backends/tailscale/.libs"

conf() {
	printf '[daemon]\nplugin_dir = %s\n' "$plugins" >"$T/c.conf"
	printf '%s\n' "$@" >>"$T/c.conf"
	chmod 644 "$T/c.conf"
}

# run CMD..., leaving its exit status in $rc and its output in $out
run() {
	out=$("$@" 2>&1)
	rc=$?
}

conf "[tailscale]" "domain = example.com"
run "$tsnssd" -t -c "$T/c.conf"
is "$rc" 0 "-t accepts a good config"
like "$out" "configuration file .* is OK" "-t says the config is OK"

conf "[tailscale]" "# domain forgotten" "shell = /bin/sh"
run "$tsnssd" -t -c "$T/c.conf"
is "$rc" 1 "-t refuses a config without domain"
like "$out" "needs 'domain'" "-t says domain is missing"
run "$tsnssd" --foreground -c "$T/c.conf"
is "$rc" 1 "tsnssd refuses to start without domain"

# The shipped example, unedited: fails closed, and says what to set.
cp "$top_srcdir/conf/tailscale-nss.conf" "$T/example.conf"
chmod 644 "$T/example.conf"
run "$tsnssd" -t -c "$T/example.conf"
is "$rc" 1 "-t refuses the shipped example until domain is set"
like "$out" "\\[tailscale\\] needs 'domain'.*set it.*domain = example.com" \
	"and says what to set"
sed -e 's/^# domain   = example.com$/domain = example.com/' \
	-e "s|^\\[daemon\\]\$|&\\nplugin_dir = $plugins|" \
	"$T/example.conf" >"$T/edited.conf"
chmod 644 "$T/edited.conf"
run "$tsnssd" -t -c "$T/edited.conf"
is "$rc" 0 "with its domain line uncommented, -t accepts it"

conf "[tailscale]" "domain = example.com" "colour = blue"
run "$tsnssd" -t -c "$T/c.conf"
is "$rc" 1 "-t refuses an unknown backend key"
like "$out" "c.conf:5: .*colour" "the plugin's complaint has file:line"

conf "[tailscale]" "domain = example.com" "timeout_ms = soon"
run "$tsnssd" -t -c "$T/c.conf"
like "$out" "c.conf:5: .*timeout_ms" "a bad backend value has file:line"

conf "nonsense = 1" "[tailscale]" "domain = example.com"
run "$tsnssd" -t -c "$T/c.conf"
like "$out" "c.conf:3: unknown key 'nonsense'" "unknown daemon key has file:line"

conf "[tailscale]" "domain = example.com"
chmod 666 "$T/c.conf"
run "$tsnssd" -t -c "$T/c.conf"
like "$out" "writable by group or others" "a world-writable config is refused"

printf '[daemon]\nplugin_dir = %s\n[badabi]\ndomain = example.com\n' \
	"$top_builddir/tests/.libs" >"$T/c.conf"
chmod 644 "$T/c.conf"
run "$tsnssd" -t -c "$T/c.conf"
is "$rc" 1 "a plugin of ABI version 1 is refused"
like "$out" "plugin ABI version 1, this tsnssd needs 2" "and the message says why"

printf '[daemon]\nplugin_dir = %s\n[nosuch]\ndomain = example.com\n' \
	"$plugins" >"$T/c.conf"
chmod 644 "$T/c.conf"
run "$tsnssd" -t -c "$T/c.conf"
like "$out" "cannot load backend \[nosuch\]" "a missing plugin is named"

run "$tsnssd" -t -c "$T/missing.conf"
like "$out" "missing.conf: No such file" "a missing config file is named"
run "$tsnssd" --version
like "$out" "^tsnssd [0-9]" "--version"
run "$tsnssd" --help
like "$out" "--foreground" "--help lists the flags"
run "$tsnssd" --bogus
is "$rc" 2 "an unknown flag is a usage error"

done_testing
