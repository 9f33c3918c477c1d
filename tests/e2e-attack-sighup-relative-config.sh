#!/bin/sh
# e2e-attack-sighup-relative-config.sh - attack 7 of issue 10: started as
# "tsnssd -c FILE" with a relative FILE, a daemonized tsnssd (which does
# chdir("/")) silently failed every SIGHUP and kept the old policy.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"

python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--user "101:alice@example.com:Alice" --user "102:bob@example.org:Bob"
start_fake_tailscaled "$T/tailnet.json"
write_config
name=conf-$(basename "$T")
cp "$T/tailscale-nss.conf" "$T/$name"
(cd "$T" && "$top_builddir/src/tsnssd" -c "$name") ||
	bail "tsnssd did not start in the background"
pid=$(pgrep -f "tsnssd -c $name")
like "$pid" '^[0-9]+$' "tsnssd runs in the background"
check "alice resolves" getent passwd alice
nope() { ! "$@" >/dev/null 2>&1; }
check "bob@example.org does not (domain example.com)" nope getent passwd bob

# the operator widens the domains and sends SIGHUP
sed 's/^domain = .*/domain = example.com example.org/' "$T/tailscale-nss.conf" >"$T/$name"
kill -HUP "$pid"
wait_for getent passwd bob
check "after SIGHUP the new config is in force: bob resolves" getent passwd bob
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "tsnssd exits on SIGTERM" nope kill -0 "$pid"
done_testing
