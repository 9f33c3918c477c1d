#!/bin/sh
# e2e-attack-restart-unchecked.sh - issue 17, hole 5: at start, when the
# local accounts had changed and the persisted answers (identities.*)
# were unusable, tsnssd fell back to the persisted snapshot unchecked, so
# a local carol created meanwhile got the tailnet carol's groups.  Now the
# persisted snapshot is served only if it passes the local-accounts check;
# otherwise nothing is served from disk until a backend answers.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"

private_accounts

tailnet_json \
	--user "101:alice@example.com:Alice" --user "102:carol@example.com:Carol Tailnet"
start_fake_tailscaled "$T/tailnet.json"
write_config "[group admins]" "gid = 50001" "members = carol@example.com, alice@example.com"
start_tsnssd
like "$(id carol)" "50001\(admins\)" "the tailnet carol is in admins"
stop_tsnssd
stop_fake_tailscaled

ids=$(ls "$T/cache/" | grep '^identities' | head -n 1)
check "an identities file was persisted ($ids)" test -s "$T/cache/$ids"
cp "$T/cache/$ids" "$T/identities.good"

# tsnssd and tailscaled are down; the admin adds a local carol
echo "carol:x:4242:4242:Carol Local:/home/lcarol:/bin/sh" >>/etc/passwd
echo "carol:x:4242:" >>/etc/group

restart_with() { # restart_with WHAT: start tsnssd, check carol
	start_tsnssd
	is "$(getent passwd | grep -c '^carol:')" 1 "$1: getent passwd lists one carol"
	like "$(id carol)" "^uid=4242\(carol\) gid=4242\(carol\) groups=4242\(carol\)$" \
		"$1: the local carol has none of the tailnet carol's groups"
	unlike_admins=$(getent group admins | cut -d: -f4)
	is "$unlike_admins" "" "$1: no tailnet admins served from disk"
	like "$(cat "$T/tsnssd.log")" \
		"serving nothing from disk until a backend answers" \
		"$1: tsnssd says it serves nothing from disk"
	stop_tsnssd
}

# one flipped byte in the body: the checksum fails
python3 - "$T/cache/$ids" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[-3] ^= 0x01
open(p, "wb").write(bytes(b))
PY
restart_with "identities with a flipped byte"

# no persisted answer at all
rm -f "$T/cache/$ids"
restart_with "identities gone"

# identities over the bound on what tsnssd reads back (max_state_bytes)
cp "$T/identities.good" "$T/cache/$ids"
head -c 5000 /dev/zero | tr '\0' ' ' >>"$T/cache/$ids"
write_config --daemon "max_state_bytes = 4096" "[group admins]" "gid = 50001" \
	"members = carol@example.com, alice@example.com"
restart_with "identities too large"
like "$(cat "$T/tsnssd.log")" "$ids: rejected: [0-9]+ bytes \(max_state_bytes is 4096\)" \
	"identities too large: the log says why"
write_config "[group admins]" "gid = 50001" "members = carol@example.com, alice@example.com"

# and once a backend answers, carol is still the local one and alice is back
cp "$T/identities.good" "$T/cache/$ids"
start_fake_tailscaled "$T/tailnet.json"
start_tsnssd
wait_for getent passwd alice
check "with the backend back, alice is served" getent passwd alice
like "$(id carol)" "groups=4242\(carol\)$" "with the backend back, carol is local"
stop_tsnssd
done_testing
