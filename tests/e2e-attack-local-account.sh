#!/bin/sh
# e2e-attack-local-account.sh - attack 3 of issue 10: a local account
# created while tailscaled is down inherited the tailnet user's groups
# (through initgroups) until max_stale, and across a restart.  tsnssd now
# watches /etc/passwd and /etc/group and re-applies the policy to the last
# good answer within seconds, and at start to the persisted identities.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"

private_accounts

tailnet_json \
	--user "101:alice@example.com:Alice" --user "102:carol@example.com:Carol Tailnet"
start_fake_tailscaled "$T/tailnet.json"
write_config "[group admins]" "gid = 50001" "members = carol@example.com, alice@example.com"
start_tsnssd
like "$(id carol)" "50001\(admins\)" "the tailnet carol is in admins"
stop_fake_tailscaled

# tailscaled is down; the admin adds a local carol
echo "carol:x:4242:4242:Carol Local:/home/lcarol:/bin/sh" >>/etc/passwd
echo "carol:x:4242:" >>/etc/group
sleep 5
is "$(getent passwd carol)" "carol:x:4242:4242:Carol Local:/home/lcarol:/bin/sh" \
	"getent passwd carol: only the local account, within 5 s"
is "$(getent passwd | grep -c '^carol:')" 1 "getent passwd lists one carol"
like "$(id carol)" "^uid=4242\(carol\) gid=4242\(carol\) groups=4242\(carol\)$" \
	"id carol: the local carol has none of the tailnet carol's groups"
is "$(getent group admins | cut -d: -f4)" "alice" \
	"the tailnet carol's memberships are gone"
check "alice is still served while tailscaled is down" getent passwd alice

# across a restart, tailscaled still down
stop_tsnssd
start_tsnssd
is "$(getent passwd | grep -c '^carol:')" 1 "after a restart: still one carol"
like "$(id carol)" "groups=4242\(carol\)$" "after a restart: id carol has no admins"
is "$(getent group admins | cut -d: -f4)" "alice" "after a restart: admins is alice alone"

# a local account whose file is replaced (rename), as useradd does
stop_tsnssd
start_tsnssd
cp /etc/passwd "$T/passwd.new"
echo "alice:x:4243:4243:Alice Local:/home/lalice:/bin/sh" >>"$T/passwd.new"
cat "$T/passwd.new" >/etc/passwd
sleep 5
is "$(getent passwd alice | cut -d: -f5)" "Alice Local" \
	"a rewritten /etc/passwd is seen too"
is "$(getent group admins | cut -d: -f4)" "" "and admins loses the tailnet alice"
stop_tsnssd
done_testing
