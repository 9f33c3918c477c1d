#!/bin/sh
# e2e-faults.sh - a hung, absent or lying tailscaled, a dead or stopped
# tsnssd, hostile clients: users keep resolving from the last good
# snapshot and nothing hangs.  Through real glibc NSS.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"

ALICE=346538631
python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--self alice@example.com --user "101:alice@example.com:Alice Liddell"
start_fake_tailscaled "$T/tailnet.json"
# The faults are those of a polled status answer (the IPN bus has its own,
# in e2e-bus.sh): poll only.  timeout_ms: the hang and slow faults must end
# well within wait_for's time.
write_config --daemon "max_clients = 100" "ttl = 60" "refresh_on_miss = 1" \
	"timeout_ms = 250" "ipn_bus = no"
start_tsnssd
is "$(getent passwd alice | cut -d: -f3)" "$ALICE" "alice resolves"

# SIGHUP makes tsnssd re-read its config and refresh at once.
refresh_and_wait() {
	before=$(ts_requests)
	kill -HUP "$tsnssd_pid"
	wait_for sh -c "[ \$(grep -c 'refresh failed' '$T/tsnssd.log') -gt $1 ]"
}

for mode in hang slow http500 garbage truncated badchunk huge close \
	notrunning loggedout; do
	set_mode "$mode"
	n=$(grep -c 'refresh failed' "$T/tsnssd.log")
	refresh_and_wait "$n"
	like "$(tail -n 5 "$T/tsnssd.log")" "refresh failed" \
		"$mode: the refresh fails and says so"
	is "$(timeout 5 getent passwd alice | cut -d: -f3)" "$ALICE" \
		"$mode: alice still resolves from the last good snapshot"
done
like "$(grep -c 'warning: \[tailscale\]: refresh failed' "$T/tsnssd.log")" '^([5-9]|10)$' \
	"each change of error is logged once as a warning"

# the same error again is not another warning
set_mode http500
refresh_and_wait "$(grep -c 'refresh failed' "$T/tsnssd.log")"
w1=$(grep -c 'warning: \[tailscale\]: refresh failed' "$T/tsnssd.log")
refresh_and_wait "$(grep -c 'refresh failed' "$T/tsnssd.log")"
w2=$(grep -c 'warning: \[tailscale\]: refresh failed' "$T/tsnssd.log")
is "$w2" "$w1" "a repeated error is not logged again as a warning"

# a flood of misses costs tailscaled at most one request a period
set_mode normal
sleep 1.2
before=$(ts_requests)
i=0
while [ $i -lt 200 ]; do
	getent passwd "nosuch$i" >/dev/null
	i=$((i + 1))
done
after=$(ts_requests)
like "$((after - before))" '^[0-3]$' \
	"200 unknown names cost at most a few requests ($((after - before)))"

# persisted snapshot: tailscaled down, tsnssd restarted
stop_tsnssd
stop_fake_tailscaled
start_tsnssd
is "$(getent passwd alice | cut -d: -f3)" "$ALICE" \
	"after a restart with tailscaled down, alice resolves from disk"
like "$(cat "$T/tsnssd.log")" "\\[tailscale\\]: 1 persisted identities" \
	"the log says the users came from disk, through today's policy"

# the persisted snapshot is published before the backends are loaded: a
# tsnssd that then cannot load one stops, and withdraws what it published
stop_tsnssd
mkdir -p "$T/noplugins"
write_config --daemon "max_clients = 100" --daemon "plugin_dir = $T/noplugins" \
	"ttl = 60" "refresh_on_miss = 1" "timeout_ms = 250" "ipn_bus = no"
# shellcheck disable=SC2086 # the wrapper is a command line
$TSNSSD_WRAPPER "$top_builddir/src/tsnssd" --foreground \
	--config "$T/tailscale-nss.conf" </dev/null >"$T/noplugin.log" 2>&1
is "$?" 1 "without its backend's plugin, tsnssd exits 1"
like "$(cat "$T/noplugin.log")" "loaded 1 users from the persisted snapshot" \
	"after it had published the persisted snapshot"
check "and it withdrew the map" -- \
	test ! -e "$(dirname "$TSNSSD_SOCKET_PATH")/snapshot"
is "$(getent passwd alice)" "" "so alice does not resolve from it"
write_config --daemon "max_clients = 100" "ttl = 60" "refresh_on_miss = 1" \
	"timeout_ms = 250" "ipn_bus = no"
start_tsnssd

# an upgrade from a tsnssd of one backend: its record had no suffix
stop_tsnssd
mv "$T/cache/identities.tailscale" "$T/cache/identities"
rm -f "$T/cache/snapshot"
start_tsnssd
is "$(getent passwd alice | cut -d: -f3)" "$ALICE" \
	"after an upgrade, alice resolves from the record of the one backend"

# a snapshot built under another policy is not served after a restart
stop_tsnssd
write_config --daemon "max_clients = 100" "domain = example.org"
start_tsnssd
if getent passwd alice >/dev/null; then
	fail "a cache from before a policy change is not served"
else
	pass "a cache from before a policy change is not served"
fi
like "$(cat "$T/tsnssd.log")" "alice@example.com.*refused: domain 'example.com' is not listed" \
	"and the log says why: the persisted answer went through the new policy"
# The faults are those of a polled status answer (the IPN bus has its own,
# in e2e-bus.sh): poll only.  timeout_ms: the hang and slow faults must end
# well within wait_for's time.
write_config --daemon "max_clients = 100" "ttl = 60" "refresh_on_miss = 1" \
	"timeout_ms = 250" "ipn_bus = no"

# corrupt cache files are rejected, not trusted
stop_tsnssd
printf 'TSSN this is not a snapshot' >"$T/cache/snapshot"
printf 'tsnssd-identities-1 5 0000000000000000\n1 x\n' >"$T/cache/identities.tailscale"
start_tsnssd
if getent passwd alice >/dev/null; then
	fail "a corrupt cache is not trusted"
else
	pass "a corrupt cache is not trusted"
fi
like "$(cat "$T/tsnssd.log")" "snapshot: rejected" "and the log says so"
like "$(cat "$T/tsnssd.log")" "identities.tailscale: rejected" \
	"so does a corrupt record of the last backend answer"

# tsnssd gone, or stopped: lookups return promptly, files users work
start_fake_tailscaled "$T/tailnet.json"
stop_tsnssd
start_tsnssd
kill -STOP "$tsnssd_pid"
is "$(timeout 5 getent passwd alice | cut -d: -f3)" "$ALICE" \
	"tsnssd stopped: alice still resolves, from the published map"
mv "$(dirname "$TSNSSD_SOCKET_PATH")/snapshot" "$T/snapshot.moved"
timeout 5 getent passwd alice >/dev/null
is "$?" 2 "tsnssd stopped, no map: getent passwd alice gives up (not killed by timeout)"
is "$(timeout 5 getent passwd root | cut -d: -f1)" root \
	"tsnssd stopped: root still resolves"
kill -CONT "$tsnssd_pid"
stop_tsnssd
timeout 5 getent passwd alice >/dev/null
is "$?" 2 "tsnssd absent: a clean miss"
is "$(timeout 5 getent passwd root | cut -d: -f1)" root \
	"tsnssd absent: root still resolves"

# hostile clients
start_tsnssd
hc="python3 $top_srcdir/tests/hostile-client.py $TSNSSD_SOCKET_PATH"
is "$($hc badversion)" "status=3 len=0" "a foreign protocol version gets BADREQ"
is "$($hc oversized)" "status=3 len=0" "an oversized key gets BADREQ"
like "$($hc garbage)" "^(status=3 len=0|closed)$" "garbage gets BADREQ"
like "$($hc truncated)" "^closed$" "a truncated request is closed"
like "$($hc silent)" "^closed after [0-9.]+s$" "a silent client is closed"
$hc slowread 3 >/dev/null &
track_pid $!
mkfifo "$T/hold"
$hc hold 300 <"$T/hold" >"$T/hold.out" &
hold_pid=$!
track_pid $hold_pid
exec 9>"$T/hold"
wait_for grep -q holding "$T/hold.out"
is "$(timeout 5 getent passwd alice | cut -d: -f3)" "$ALICE" \
	"with 300 idle connections open, alice still resolves"
exec 9>&-
wait $hold_pid
kill -USR1 "$tsnssd_pid"
wait_for grep -q 'stats:' "$T/tsnssd.log"
like "$(grep 'stats:' "$T/tsnssd.log")" "bad requests: [1-9]" \
	"bad requests are counted"
like "$(grep 'stats:' "$T/tsnssd.log")" "idle clients evicted at max_clients: [1-9]" \
	"idle connections past max_clients are closed and counted"

# past max_stale a failing backend's old snapshot is dropped
stop_tsnssd
write_config "ttl = 5" "max_stale = 5" "ipn_bus = no"
start_fake_tailscaled "$T/tailnet.json"
start_tsnssd
check "max_stale: alice resolves while fresh" getent passwd alice
set_mode http500
wait_for grep -q "past max_stale\|past its serve-until" "$T/tsnssd.log"
wait_for grep -q "past max_stale\|past its serve-until" "$T/tsnssd.log"
# (under valgrind the restart itself may take longer than max_stale: then
#  the persisted answer is refused at once and the snapshot goes instead)
like "$(cat "$T/tsnssd.log")" \
	"past max_stale \(5 s\); dropping it|past its serve-until time and no backend answers; dropping it" \
	"max_stale: the stale snapshot is dropped, and it says so"
if getent passwd alice >/dev/null; then
	fail "max_stale: alice no longer resolves from a snapshot that old"
else
	pass "max_stale: alice no longer resolves from a snapshot that old"
fi
is "$(getent passwd root | cut -d: -f3)" 0 "max_stale: files users unaffected"
set_mode normal
wait_for getent passwd alice
check "once tailscaled answers again, alice is back" getent passwd alice

# many threads at once through the stub
is "$("$top_builddir/tests/nss-probe" threads 16 1000 alice $ALICE)" \
	"32000 lookups, 0 wrong" "16 threads x 1000 lookups, every answer right"

stop_tsnssd
done_testing
