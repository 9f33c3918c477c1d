#!/bin/sh
# e2e-attack-primary-group.sh - attack 4 of issue 10: a [group] refused
# because a local group holds its gid still handed that gid out as every
# tailnet user's primary group (the local group devs), and -t said OK.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"

cp /etc/group "$T/group"
echo "devs:x:5000:" >>"$T/group"
mount --bind "$T/group" /etc/group

python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--user "101:alice@example.com:Alice"
start_fake_tailscaled "$T/tailnet.json"
write_config "primary_group = tsusers" "[group tsusers]" "gid = 5000" "members = *"
out=$("$top_builddir/src/tsnssd" -t -c "$T/tailscale-nss.conf" 2>&1)
is "$?" 1 "tsnssd -t fails when primary_group's [group] is refused"
like "$out" "primary_group 'tsusers'.*gid 5000.*local group" "and says why"
start_tsnssd
if getent passwd alice | cut -d: -f4 | grep -qx 5000; then
	fail "no tailnet user gets the local group devs as primary group"
else
	pass "no tailnet user gets the local group devs as primary group"
fi
is "$(getent group 5000 | cut -d: -f1)" "devs" "gid 5000 stays the local devs"
like "$(cat "$T/tsnssd.log")" "alice@example.com.*refused.*primary_group 'tsusers'" \
	"the log says why alice is refused"
stop_tsnssd

# the same [group] with a free gid is fine
write_config "primary_group = tsusers" "[group tsusers]" "gid = 5001" "members = *"
like "$("$top_builddir/src/tsnssd" -t -c "$T/tailscale-nss.conf" 2>&1)" "is OK" \
	"with a free gid, -t says OK"
start_tsnssd
is "$(getent passwd alice | cut -d: -f4)" 5001 "and it is alice's primary group"
stop_tsnssd
done_testing
