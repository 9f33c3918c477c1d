#!/bin/sh
# e2e-attack-local-miss-refresh.sh - attack 6 of issue 10: every
# initgroups of a local user (id root, su, cron, sshd) missed in tsnssd and
# counted as a possibly new tailnet user, so it made tsnssd ask tailscaled
# again; and tsnssctl refresh had no limit at all.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"

python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--user "101:alice@example.com:Alice"
start_fake_tailscaled "$T/tailnet.json"
# Without a map the stub asks the socket, where every initgroups of a
# local user used to miss and count.
# ipn_bus = no: every refresh is a status request the stand-in counts.
write_config --daemon "map = $T/elsewhere.map" "ttl = 600" \
	"refresh_on_miss = 1" "ipn_bus = no"
start_tsnssd
check "alice resolves" getent passwd alice

before=$(ts_requests)
i=0
while [ $i -lt 16 ]; do
	id root >/dev/null
	id daemon >/dev/null
	getent group adm >/dev/null
	sleep 0.25
	i=$((i + 1))
done
after=$(ts_requests)
is "$((after - before))" 0 \
	"through the socket, 4 s of id root, id daemon: no request to tailscaled"
stop_tsnssd

# With the map, a passwd miss sends tsnssd a hint: adm, a local group
# but no user, misses in files and in the map alike.
write_config "ttl = 600" "refresh_on_miss = 1" "ipn_bus = no"
# tsnssd may serve the persisted answer before its first fetch: let that
# fetch happen before counting
first=$(ts_requests)
start_tsnssd
wait_for getent passwd alice
wait_for sh -c "[ \$(awk '\$2 ~ /status/ { n++ } END { print n + 0 }' '$T/ts.log') -gt $first ]"
before=$(ts_requests)
i=0
while [ $i -lt 8 ]; do
	getent passwd adm >/dev/null
	sleep 0.25
	i=$((i + 1))
done
after=$(ts_requests)
is "$((after - before))" 0 \
	"2 s of getent passwd adm (the local group's name): no hinted refresh"

# a name nobody has still counts (someone may just have joined)
before=$(ts_requests)
getent passwd nosuchuser >/dev/null
wait_for sh -c "[ \$(awk '\$2 ~ /status/ { n++ } END { print n + 0 }' '$T/ts.log') -gt $before ]"
is "$(($(ts_requests) - before))" 1 "an unknown name still refreshes early"

# tsnssctl refresh, as fast as a loop can ask
sleep 1.1
before=$(ts_requests)
i=0
while [ $i -lt 200 ]; do
	"$top_builddir/src/tsnssctl" refresh >/dev/null 2>&1
	i=$((i + 1))
done
after=$(ts_requests)
like "$((after - before))" '^[12]$' \
	"200 tsnssctl refresh cost tailscaled at most 2 requests ($((after - before)))"
like "$("$top_builddir/src/tsnssctl" refresh)" "held back" \
	"tsnssctl refresh says when it is held back"
stop_tsnssd
done_testing
