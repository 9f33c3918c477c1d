#!/bin/sh
# e2e-sshd.sh - a real login: Debian's sshd on loopback, a key, PAM with
# pam_mkhomedir, and tsnssd as the only source of the user.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"
mount -t tmpfs -o mode=755 tsnssd-homes /home # pam_mkhomedir writes here

ALICE=346538631
python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--self alice@example.com \
	--user "101:alice@example.com:Alice Liddell" \
	--user "102:bob@example.com:Bob" \
	--user "103:mallory@evil.example:Mallory" \
	--tagged 1
start_fake_tailscaled "$T/tailnet.json"
write_config "[group tailnet]" "gid = 50000" "members = *"
start_tsnssd

start_sshd alice bob mallory tagged-devices

is "$(login alice id)" \
	"uid=$ALICE(alice) gid=$ALICE(alice) groups=$ALICE(alice),50000(tailnet)" \
	"ssh alice@host id: her UID and groups"
is "$(stat -c '%U:%G %a' /home/alice 2>&1)" "alice:alice 700" \
	"her home was made at first login, hers, mode 700"
is "$(login alice 'echo $HOME; pwd')" "/home/alice
/home/alice" "the session starts in it"
is "$(login bob whoami)" "bob" "bob can log in"

python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--self alice@example.com --user "101:alice@example.com:Alice Liddell"
kill -HUP "$tsnssd_pid"
wait_for sh -c '! getent passwd bob'
is "$(login bob whoami)" "" "bob, removed from the tailnet, can no longer log in"
is "$(login mallory whoami)" "" "a foreign-domain user never can"
is "$(login tagged-devices whoami)" "" "tagged devices' pseudo-user never can"
like "$(cat "$T/sshd.log")" "Invalid user bob from 127.0.0.1" \
	"sshd says bob is no user"
check "alice still can" login alice true

stop_tsnssd
done_testing
