#!/bin/sh
# e2e-attack-output-hoard.sh - attack 5 of issue 10: any local user keeps
# more connections than max_clients open, each asking for a large group and
# never reading (reopening those closed).  Writers could not be evicted and
# queued output had no total cap: lookups failed and tsnssd's memory grew
# with every connection.  Here max_clients is 200 and the user holds 300.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"

# 15000 users in one group: a reply of about 230 KB
python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--user "101:alice@example.com:Alice" --random 15000 --domain example.com
start_fake_tailscaled "$T/tailnet.json"
# the map elsewhere: the stub asks the socket, the path under attack
write_config --daemon "max_clients = 200" --daemon "map = $T/elsewhere.map" \
	"timeout_ms = 10000" "[group everyone]" "gid = 50000" "members = *"
start_tsnssd
size=$(getent group everyone | wc -c)
like "$size" '^[0-9]{6}$' "the group everyone is large ($size bytes)"
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$tsnssd_pid/status"; }
rss0=$(rss)

mkfifo "$T/hold"
# /usr/bin/python3: nobody cannot read an interpreter under root's home
setpriv --reuid=65534 --regid=65534 --clear-groups \
	/usr/bin/python3 "$top_srcdir/tests/hostile-client.py" "$TSNSSD_SOCKET_PATH" \
	hoard 300 everyone <"$T/hold" >"$T/hoard.out" 2>&1 &
hoard_pid=$!
track_pid $hoard_pid
exec 9>"$T/hold"
wait_for grep -q hoarding "$T/hoard.out"
sleep 1
diag "$(cat "$T/hoard.out")"
# The module gives a lookup 500 ms.  Slowed down by valgrind or ASan,
# tsnssd cannot build its replies that fast while 300 writers take their
# turns: there, ask with tsnssctl, which waits 10 s.  The question is the
# same: is a client that reads served while others hoard?
if [ -z "$TSNSSD_WRAPPER$TSNSSD_SANITIZED" ]; then
	name=$(timeout 5 getent passwd alice | cut -d: -f5)
else
	name=$("$top_builddir/src/tsnssctl" lookup alice |
		sed -n 's/^passwd: *//p' | cut -d: -f5)
fi
is "$name" "Alice" "with 300 connections hoarding replies, alice resolves"
if [ -z "$TSNSSD_WRAPPER$TSNSSD_SANITIZED" ]; then
	got=$(timeout 5 getent group everyone | wc -c)
else
	got=$("$top_builddir/src/tsnssctl" lookup everyone |
		sed -n 's/^group: *//p' | wc -c)
fi
is "$got" "$size" "and so does the large group itself"
rss1=$(rss)
diag "tsnssd RSS: ${rss0} kB before, ${rss1} kB during the hoard"
# (under valgrind on a loaded machine one status request may time out)
wait_for sh -c '"$1" status | grep -q "^queued output:"' - "$top_builddir/src/tsnssctl"
status=$("$top_builddir/src/tsnssctl" status)
peak=$(printf '%s\n' "$status" | sed -n 's/^queued output: *[0-9]* bytes, peak \([0-9]*\), cap \([0-9]*\).*/\1 \2/p')
like "$peak" '^[0-9]+ [0-9]+$' "tsnssctl status shows queued output and its cap"
set -- $peak
if [ -n "${1-}" ] && [ "$1" -le "$2" ]; then
	pass "queued output never went past its cap ($1 <= $2)"
else
	fail "queued output never went past its cap"
	diag "$status"
fi
like "$status" "writers evicted, not reading their replies: [1-9]" "writers that do not read were evicted"
exec 9>&-
wait $hoard_pid
diag "$(cat "$T/hoard.out")"
stop_tsnssd
done_testing
