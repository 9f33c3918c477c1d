#!/bin/sh
# e2e-attack-connection-flood.sh - attack 8 of issue 10: a local user
# floods tsnssd with connections that send nothing.  At max_clients the
# oldest connection still reading was closed, even one whose request had
# arrived but not been read yet: legitimate lookups failed.  Eviction now
# takes from the user holding the most connections, and never a
# connection whose request is waiting.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"

python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--user "101:alice@example.com:Alice"
start_fake_tailscaled "$T/tailnet.json"
# the map elsewhere: the stub asks the socket, the path under attack
write_config --daemon "max_clients = 20" --daemon "map = $T/elsewhere.map"
start_tsnssd
check "alice resolves" getent passwd alice

# /usr/bin/python3: nobody cannot read an interpreter under root's home
hc="/usr/bin/python3 $top_srcdir/tests/hostile-client.py $TSNSSD_SOCKET_PATH"
# niced: the flood shares two cores with tsnssd and getent, and what is
# tested is who tsnssd evicts, not who the scheduler runs
for i in 1 2 3 4; do
	nice -n 19 setpriv --reuid=65534 --regid=65534 --clear-groups $hc flood 30 \
		>"$T/flood.$i" 2>&1 &
	track_pid $!
done
sleep 1
bad=0
i=0
while [ $i -lt 200 ]; do
	[ "$(timeout 5 getent passwd alice | cut -d: -f5)" = Alice ] ||
		bad=$((bad + 1))
	i=$((i + 1))
done
# Eviction never takes a root connection here (the flood's user holds
# the most); what a busy machine can still do is keep the door, the listen
# backlog, full for all of the 500 ms a lookup waits.  Before the fix more
# than half the lookups failed.
if [ -n "$TSNSSD_WRAPPER$TSNSSD_SANITIZED" ]; then
	# valgrind, or ASan and UBSan, make tsnssd slower than the stub's
	# 500 ms deadline allows under a flood on two cores; what such a run
	# checks is memory, not speed
	skip "200 lookups during a connection flood ($bad failed)" \
		"tsnssd is slowed by ${TSNSSD_WRAPPER:-$TSNSSD_SANITIZED}"
else
	like "$bad" '^[0-2]$' \
		"200 lookups during a connection flood: at most 2 fail ($bad)"
fi
kill -USR1 "$tsnssd_pid"
wait_for grep -q 'stats:' "$T/tsnssd.log"
like "$(grep 'stats:' "$T/tsnssd.log")" "idle clients evicted at max_clients: [1-9]" \
	"the flood's connections were the ones evicted"
stop_tsnssd
done_testing
