#!/bin/sh
# e2e-bus.sh - push updates from tailscaled's IPN bus, through real glibc
# NSS, with ttl = 3600 so that no poll can be what brings a change: joins,
# removals and profile changes show within 2 s; full rebuilds, logout, a
# stream cut mid-line, "fell behind", a tailscaled restart, an old
# daemon's NetMap bus, and polling where there is no bus.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"

ctl="$top_builddir/src/tsnssctl"
V=1.102.3-t53a0d659a-g8d1f2c3b4

# tailnet [--version V] USER...: the document, users as ID:LOGIN:DISPLAY,
# or --groups=ID:G1,G2 for a user's tailnet groups
tailnet() {
	_v=$V
	if [ "$1" = --version ]; then
		_v=$2
		shift 2
	fi
	_args=
	for _u in "$@"; do
		case $_u in
		--groups=*) _args="$_args '$_u'" ;;
		*) _args="$_args --user '$_u'" ;;
		esac
	done
	eval python3 "\"$top_srcdir/tests/tailnet.py\"" -o "\"$T/tailnet.json\"" \
		--version "$_v" --self alice@example.com --tagged 1 $_args
}

gone() { ! getent passwd "$1"; }
# builds: snapshots built so far, as --debug logs them
builds() { grep -cE 'snapshot [0-9]+: [0-9]+ users' "$T/tsnssd.log"; }
gecos_is() { [ "$(getent passwd "$1" | cut -d: -f5)" = "$2" ]; }

ENG=1804101763 # 100000 + fnv1a32("group:eng") mod (2147483646 + 1 - 100000)
tailnet "101:alice@example.com:Alice Liddell" "102:bob@example.com:Bob" \
	--groups=101:group:eng,group:root
start_fake_tailscaled "$T/tailnet.json"
write_config "ttl = 3600" "refresh_on_miss = 0"
start_tsnssd
check "alice resolves" getent passwd alice
check "bob resolves" getent passwd bob
wait_for grep -q "following tailscaled's IPN bus" "$T/tsnssd.log"
like "$(cat "$T/ts.log")" "watch-ipn-bus\\?mask=20498 " \
	"tailscaled 1.102: mask InitialState|NoPrivateKeys|PeerChanges|InitialStatus"
st=$("$ctl" status)
like "$st" "ipn bus: +connected since [0-9-]+ [0-9:]+ UTC \\([0-9]+ s\\), mask 20498" \
	"tsnssctl status: connected since when, the mask"
like "$st" "tailscaled: +$V, state Running" "tsnssctl status: tailscaled's version"
like "$st" "bus messages: +[1-9][0-9]*, [1-9][0-9]* full rebuilds" \
	"tsnssctl status: messages and rebuilds seen"

is "$(getent group eng)" "eng:*:$ENG:alice" "a tailnet group is a UNIX group"
is "$(getent group $ENG)" "eng:*:$ENG:alice" "found by gid too"
like "$(id alice)" "groups=.*$ENG\\(eng\\)" "and in alice's groups (initgroups)"
like "$(getent group)" "
eng:\\*:$ENG:alice" "and enumerated"
is "$(getent group root | cut -d: -f3)" 0 "group:root does not shadow root"
like "$(cat "$T/tsnssd.log")" "warning: tailnet group root: refused: gid [0-9]+: its name or gid is local" \
	"a tailnet group with a local name is refused, and logged"

polls=$(ts_requests)
tailnet "101:alice@example.com:Alice Liddell" "102:bob@example.com:Bob" \
	--groups=101:group:eng,group:root --groups=102:group:eng
within 2 sh -c "getent group eng | grep -qx 'eng:\*:$ENG:alice,bob'"
is "$took" "${took#timeout}" "a group change shows in getent within 2 s (${took} ms)"
like "$(id bob)" "groups=.*$ENG\\(eng\\)" "and in id bob"
tailnet "101:alice@example.com:Alice Liddell" "102:bob@example.com:Bob" \
	"103:carol@example.com:Carol"
within 2 getent passwd carol
is "$took" "${took#timeout}" "a join shows in getent within 2 s (${took} ms)"
like "$(cat "$T/tsnssd.log")" "tailscale: tailnet: carol@example.com joined" \
	"--debug says who joined"

tailnet "101:alice@example.com:Alice Liddell" "103:carol@example.com:Carol"
within 2 gone bob
is "$took" "${took#timeout}" "a removal shows within 2 s (${took} ms)"
like "$(cat "$T/tsnssd.log")" "tailscale: tailnet: bob@example.com left" \
	"--debug says who left"

tailnet "101:alice@example.com:Alice Pleasance" "103:carol@example.com:Carol"
within 2 gecos_is alice "Alice Pleasance"
is "$took" "${took#timeout}" "a display-name change shows within 2 s (${took} ms)"
is "$(ts_requests)" "$polls" "none of it came from polling status"

# a peer going offline changes no user: nothing is rebuilt or persisted
snaps=$(builds)
like "$snaps" '^[1-9][0-9]*$' "each build is logged (so the count below means something)"
msgs=$("$ctl" status | sed -n 's/^ *bus messages: *\([0-9]*\),.*/\1/p')
like "$msgs" '^[0-9]+$' "tsnssctl status counts bus messages"
check "the last build's copy is on disk" settled "$T/cache/snapshot"
cache_before=$(stat -c %i.%Y.%s "$T/cache/snapshot")
python3 - "$T/tailnet.json" <<'PY'
import json, os, sys
doc = json.load(open(sys.argv[1]))
for p in doc["Peer"].values():
    p["Online"] = not p.get("Online", True)
json.dump(doc, open(sys.argv[1] + ".new", "w"))
os.replace(sys.argv[1] + ".new", sys.argv[1])
PY
# each message counts once it is applied: wait for the peers' message
wait_for sh -c "[ \$($ctl status | sed -n 's/^ *bus messages: *\([0-9]*\),.*/\1/p') -gt $msgs ]"
is "$(builds)" "$snaps" "online/offline changes: the snapshot is not rebuilt"
is "$(stat -c %i.%Y.%s "$T/cache/snapshot")" "$cache_before" \
	"and not persisted again"

# a full rebuild (SelfChange) that no longer lists carol's device
set_bus rebuild
tailnet "101:alice@example.com:Alice Pleasance" "104:dave@example.com:Dave"
within 2 gone carol
is "$took" "${took#timeout}" "a rebuild that drops a user: gone within 2 s (${took} ms)"
check "and the rebuild's new user is there" getent passwd dave
set_bus normal

# logout: tailscaled says NeedsLogin and nothing about peers
set_mode notrunning
wait_for grep -q "tailscaled's state: NeedsLogin" "$T/tsnssd.log"
check "logged out: alice still resolves" getent passwd alice
check "logged out: dave still resolves" getent passwd dave
set_mode normal
wait_for grep -q "refresh works again" "$T/tsnssd.log"
check "logged in again: dave resolves" getent passwd dave

# a stream cut mid-line: reconnect from a fresh initial status
subs=$(bus_requests)
set_bus cut 1
wait_for sh -c "[ \$(grep -c 'watch-ipn-bus' '$T/ts.log') -gt $subs ]"
like "$(cat "$T/tsnssd.log")" "IPN bus down: .*reconnecting" "a cut stream is noticed"
check "after the cut, dave still resolves" getent passwd dave
wait_for sh -c "[ \$(grep -c 'watch-ipn-bus' '$T/ts.log') -gt $((subs + 0)) ] &&
	$ctl status | grep -q 'ipn bus: *connected'"
tailnet "101:alice@example.com:Alice Pleasance" "104:dave@example.com:Dave" \
	"105:erin@example.com:Erin"
within 2 getent passwd erin
is "$took" "${took#timeout}" "after reconnecting, a join shows within 2 s (${took} ms)"

# the "fell behind" message ends the stream; tsnssd reconnects
subs=$(bus_requests)
set_bus behind 1
wait_for sh -c "grep -q 'fell behind' '$T/tsnssd.log'"
like "$(cat "$T/tsnssd.log")" "IPN bus down: tailscaled closed the IPN bus: this reader fell behind" \
	"the fell-behind message is understood"
wait_for sh -c "[ \$(grep -c 'watch-ipn-bus' '$T/ts.log') -gt $subs ]"
pass "and tsnssd subscribes again"

# tailscaled restarts: the stream ends, tsnssd reconnects when it is back
stop_fake_tailscaled
wait_for grep -q "IPN bus down: .*" "$T/tsnssd.log"
check "tailscaled down: erin still resolves" getent passwd erin
tailnet "101:alice@example.com:Alice Pleasance" "105:erin@example.com:Erin"
start_fake_tailscaled "$T/tailnet.json"
wait_for gone dave
check "after tailscaled's restart, the tailnet's changes arrive" gone dave
stop_tsnssd

# an old tailscaled (1.76): NetMap masks, a whole NetMap per change
tailnet --version 1.76.6-t1234abcd-g5678ef90 "101:alice@example.com:Alice" \
	"102:bob@example.com:Bob"
: >"$T/ts.log"
start_tsnssd
wait_for grep -q "following tailscaled's IPN bus" "$T/tsnssd.log"
like "$(cat "$T/ts.log")" "watch-ipn-bus\\?mask=26 " \
	"tailscaled 1.76: mask InitialState|InitialNetMap|NoPrivateKeys"
tailnet --version 1.76.6-t1234abcd-g5678ef90 "101:alice@example.com:Alice"
within 2 gone bob
is "$took" "${took#timeout}" "old daemon: a removal shows within 2 s (${took} ms)"
stop_tsnssd

# no bus (404): poll status as before
set_bus nobus
tailnet "101:alice@example.com:Alice" "102:bob@example.com:Bob"
write_config "ttl = 5"
start_tsnssd
wait_for getent passwd bob
check "no bus: users come from polling" getent passwd bob
wait_for sh -c "$ctl status | grep -q 'not used, polling status'"
like "$("$ctl" status)" "ipn bus: +not used, polling status: tailscaled has no IPN bus for us \\(tailscaled answered HTTP 404" \
	"tsnssctl status says why it polls"
tailnet "101:alice@example.com:Alice"
wait_for gone bob
check "no bus: a removal arrives with the next poll" gone bob
stop_tsnssd

# the stream's bounds: a line that stalls half-way, a tailscaled that stops
# answering while the stream is silent, and a first message that never comes
set_bus normal
tailnet "101:alice@example.com:Alice" "102:bob@example.com:Bob"
write_config "ttl = 3600" "refresh_on_miss = 0" "bus_idle_s = 1" \
	"bus_stall_ms = 500" "bus_first_ms = 1000"
start_tsnssd
wait_for grep -q "following tailscaled's IPN bus" "$T/tsnssd.log"
set_bus stall 1
wait_for grep -q "stalled half-way for 500 ms" "$T/tsnssd.log"
like "$(cat "$T/tsnssd.log")" "IPN bus down: a message on the IPN bus stalled half-way for 500 ms; reconnecting" \
	"a line stalled half-way ends the stream (bus_stall_ms)"
set_bus normal
wait_for sh -c "$ctl status | grep -q 'ipn bus: *connected'"
probes=$(ts_requests)
sleep 2.5
like "$(($(ts_requests) - probes))" '^[1-9]' \
	"a silent stream is checked with status?peers=false (bus_idle_s)"
set_mode hang
wait_for grep -q "tailscaled does not answer" "$T/tsnssd.log"
like "$(cat "$T/tsnssd.log")" "IPN bus down: tailscaled does not answer: .*timed out" \
	"a tailscaled that stops answering ends the stream"
check "meanwhile bob still resolves" getent passwd bob
set_mode normal
stop_tsnssd
set_bus silent
# nothing on disk to serve from: tsnssd waits for its first answer
rm -f "$T/cache/snapshot" "$T/cache/identities"*
start_tsnssd
like "$(cat "$T/tsnssd.log")" "no whole first message on the IPN bus within 1000 ms" \
	"a first message that never comes ends the stream (bus_first_ms)"
check "and the first answer comes from polling instead" getent passwd bob
stop_tsnssd
set_bus normal

# an unchanged answer renews the snapshot (and the map the stub reads, which
# expires max_stale after its answer) once half of max_stale has passed
write_config "ttl = 5" "refresh_on_miss = 0" "max_stale = 10"
start_tsnssd
wait_for grep -q "following tailscaled's IPN bus" "$T/tsnssd.log"
# the start's own build (of the persisted answer) first: under valgrind it
# can end after the bus's first, unchanged, answer
wait_for grep -qE 'snapshot [0-9]+: [0-9]+ users' "$T/tsnssd.log"
b0=$(builds)
wait_for grep -q "backend answer unchanged" "$T/tsnssd.log"
is "$(builds)" "$b0" "an unchanged answer early on builds nothing"
wait_for sh -c "[ \$(grep -cE 'snapshot [0-9]+: [0-9]+ users' '$T/tsnssd.log') -gt $b0 ]"
like "$(builds)" "^$((b0 + 1))\$|^$((b0 + 2))\$" \
	"past half of max_stale an unchanged answer renews the snapshot"
stop_tsnssd

# tsnssd -t warns when nscd would hide all this behind its own TTLs (the
# file must exist to be bind-mounted over)
if [ -e /etc/nscd.conf ]; then
	printf 'enable-cache passwd yes\npositive-time-to-live passwd 600\nenable-cache group no\n' \
		>"$T/nscd.conf"
	mount --bind "$T/nscd.conf" /etc/nscd.conf
	out=$("$top_builddir/src/tsnssd" -t -c "$T/tailscale-nss.conf" 2>&1)
	like "$out" "warning: /etc/nscd.conf: nscd caches passwd for 600 s .*enable-cache passwd no" \
		"tsnssd -t warns that nscd caches passwd"
	if printf '%s' "$out" | grep -q 'caches group'; then
		fail "tsnssd -t: no warning for a map nscd does not cache"
	else
		pass "tsnssd -t: no warning for a map nscd does not cache"
	fi
	umount /etc/nscd.conf
else
	diag "no /etc/nscd.conf here to bind-mount a test one over: not checked"
fi
done_testing
