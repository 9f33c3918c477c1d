#!/bin/sh
# e2e-stub.sh - the stub facing a tsnssd that lies, hangs or dies, and
# in the awkward places it gets loaded: after fork(), inside the daemon,
# behind "tailscale files".  Through real glibc NSS.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"
probe="$top_builddir/tests/nss-probe"
ALICE=346538631

# A broken daemon on the stub's socket, one way at a time.
for mode in garbage truncated oversized badmagic badstring hang close; do
	python3 "$top_srcdir/tests/fake-tsnssd.py" "$TSNSSD_SOCKET_PATH" \
		"$mode" &
	fake=$!
	track_pid $fake
	wait_for test -S "$TSNSSD_SOCKET_PATH"
	out=$(timeout 5 "$probe" pwnam alice 4096)
	is "$?" 0 "$mode: the caller survives and returns"
	# glibc says "not found" as result NULL with 0 or ENOENT
	like "$out" '^(NOTFOUND|ERROR No such file or directory)$' \
		"$mode: no entry, nothing half-filled"
	is "$(timeout 5 getent passwd root | cut -d: -f3)" 0 \
		"$mode: files users still resolve"
	kill $fake
	wait $fake 2>/dev/null
	rm -f "$TSNSSD_SOCKET_PATH"
done

# The recursion guard: a process that is itself the listener (as tsnssd
# is when libcurl or glibc looks a user up inside it) is not asked.
is "$("$probe" self "$TSNSSD_SOCKET_PATH" alice)" "did not ask itself" \
	"a lookup from inside the listening process does not ask itself"

python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--self alice@example.com --user "101:alice@example.com:Alice" \
	--user "104:root@example.com:Root Impostor"
start_fake_tailscaled "$T/tailnet.json"
write_config
start_tsnssd
is "$("$probe" fork alice $ALICE)" "ok before, in and after fork" \
	"lookups work before, in and after fork()"

# Even with tailscale listed before files, no local account is shadowed.
printf 'passwd: tailscale files\ngroup: tailscale files\n' >"$T/nsswitch.conf"
is "$(getent passwd root | cut -d: -f3)" 0 \
	"tailscale before files: root is still uid 0"
is "$(getent passwd alice | cut -d: -f3)" "$ALICE" \
	"tailscale before files: alice still resolves"
printf 'passwd: files tailscale\ngroup: files tailscale\n' >"$T/nsswitch.conf"

# A bad config on SIGHUP is refused and the running one kept.
cp "$T/tailscale-nss.conf" "$T/good.conf"
printf '[tailscale]\nsocket = %s\n' "$T/tailscaled.sock" >"$T/tailscale-nss.conf"
kill -HUP "$tsnssd_pid"
wait_for grep -q 'reload refused' "$T/tsnssd.log"
like "$(cat "$T/tsnssd.log")" "reload refused, keeping the running config: .*needs 'domain'" \
	"SIGHUP with a bad config: refused, with the reason"
is "$(getent passwd alice | cut -d: -f3)" "$ALICE" "and alice still resolves"
cp "$T/good.conf" "$T/tailscale-nss.conf"
kill -HUP "$tsnssd_pid"
wait_for grep -q 'configuration reloaded' "$T/tsnssd.log"
like "$(cat "$T/tsnssd.log")" "configuration reloaded" "SIGHUP with a good config reloads"

# a narrower policy applies at once on SIGHUP, even with tailscaled down
stop_fake_tailscaled
sed 's/^domain = .*/domain = example.org/' "$T/good.conf" >"$T/tailscale-nss.conf"
kill -HUP "$tsnssd_pid"
wait_for sh -c '! getent passwd alice'
if getent passwd alice >/dev/null; then
	fail "SIGHUP narrowing domain: alice is gone at once"
else
	pass "SIGHUP narrowing domain: alice is gone at once"
fi
cp "$T/good.conf" "$T/tailscale-nss.conf"
kill -HUP "$tsnssd_pid"
wait_for getent passwd alice
check "SIGHUP widening it again: alice is back without tailscaled" \
	getent passwd alice

stop_tsnssd

# No root needed: as a uid of its own, with its socket and cache dirs its
# own.  Not nobody: other services share that uid (it is refused below).
start_fake_tailscaled "$T/tailnet.json"
chown 64321:64321 "$(dirname "$TSNSSD_SOCKET_PATH")" "$T/cache"
rm -f "$T/cache/snapshot"
TSNSSD_WRAPPER="setpriv --reuid=64321 --regid=64321 --clear-groups $TSNSSD_WRAPPER" \
	start_tsnssd
is "$(ps -o uid= -p "$tsnssd_pid" | tr -d ' ')" 64321 \
	"tsnssd runs as an unprivileged uid"
is "$(getent passwd alice | cut -d: -f3)" "$ALICE" \
	"and serves alice, read from tailscaled without root"
settled "$T/cache/snapshot"
is "$(stat -c %u "$T/cache/snapshot")" 64321 "and persists its snapshot"
stop_tsnssd
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$top_builddir/src/tsnssd" -f -c "$T/tailscale-nss.conf" 2>&1)
is "$?" 1 "tsnssd refuses to run as nobody"
like "$out" "refusing to run as uid 65534 \\(nobody\\)" "and says why"
done_testing
