#!/bin/sh
# e2e-attack-uid-collision.sh - attack 1 of issue 10: a login chosen so
# that its FNV-1a hash lands on alice's UID.  The search takes a second
# (tests/fnv-collide.py).  Defences: ownership of a UID is sticky on each
# host (a record under the cache directory, surviving restarts and a lost
# snapshot), and uid_key_file makes UIDs a keyed hash nobody can aim at.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"
ALICE=346538631
ctl="$top_builddir/src/tsnssctl"

evil=$(python3 "$top_srcdir/tests/fnv-collide.py" alice@example.com github)
like "$evil" '^[a-z][a-z0-9]{6}@github$' "a colliding github login is found ($evil)"


# alice uses this host first
tailnet_json --user "500:alice@example.com:Alice"
start_fake_tailscaled "$T/tailnet.json"
write_config "domain = example.com github"
start_tsnssd
is "$(getent passwd alice | cut -d: -f3)" "$ALICE" "alice has her UID"

# alice has no device left; the attacker, with an older Tailscale id, joins
tailnet_json --user "100:$evil:Mallory"
rebuilt
evil_name=${evil%@github}
is "$(getent passwd "$evil_name" | cut -d: -f3)" "" \
	"the colliding login does not get alice's UID after she leaves"
is "$(getent passwd $ALICE)" "" "nobody holds UID $ALICE meanwhile"
like "$(cat "$T/tsnssd.log")" "$evil.*refused.*uid $ALICE.*alice@example.com" \
	"the log says the UID belongs to alice@example.com on this host"

# both visible: the older attacker id no longer wins
tailnet_json --user "100:$evil:Mallory" --user "500:alice@example.com:Alice"
rebuilt
is "$(getent passwd alice | cut -d: -f3)" "$ALICE" \
	"alice keeps her UID although the attacker's id is older"
is "$(getent passwd "$evil_name")" "" "and the attacker is refused"

# across a restart, and with the snapshot lost
stop_tsnssd
rm -f "$T/cache/snapshot"
tailnet_json --user "100:$evil:Mallory"
start_tsnssd
is "$(getent passwd "$evil_name" | cut -d: -f3)" "" \
	"sticky across a restart with the snapshot lost"
like "$("$top_builddir/src/tsnssd" -c "$T/tailscale-nss.conf" --explain alice@example.com)" \
	"claims: +name alice, uid $ALICE" "--explain shows alice's claims"
# root releases the claim on purpose
is "$("$ctl" forget alice@example.com)" "forget: released alice@example.com" \
	"tsnssctl forget releases a login's claims"
setpriv --reuid=65534 --regid=65534 --clear-groups "$ctl" forget "$evil" \
	>/dev/null 2>&1
is "$?" 2 "tsnssctl forget as nobody is refused"
wait_for getent passwd "$evil_name"
is "$(getent passwd "$evil_name" | cut -d: -f3)" "$ALICE" \
	"after forget, the UID is free to be handed out again"
stop_tsnssd

# keyed UIDs: the collision is useless, and one key gives one answer
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/uid.key"
chmod 600 "$T/uid.key"
tailnet_json --user "100:$evil:Mallory" --user "500:alice@example.com:Alice"
for host in one two; do
	rm -rf "$T/cache"
	write_config "domain = example.com github" "uid_key_file = $T/uid.key"
	start_tsnssd
	getent passwd alice "$evil_name" | cut -d: -f1,3 >"$T/uids.$host"
	stop_tsnssd
done
is "$(wc -l <"$T/uids.one")" 2 "with a key, alice and the attacker are both users"
like "$(cat "$T/uids.one")" "^alice:[0-9]+\n$evil_name:[0-9]+$" "each with a UID"
if grep -q ":$ALICE\$" "$T/uids.one"; then
	fail "with a key, nobody gets the FNV UID"
else
	pass "with a key, nobody gets the FNV UID"
fi
is "$(cut -d: -f2 "$T/uids.one" | sort -u | wc -l)" 2 "the two UIDs differ"
is "$(cat "$T/uids.two")" "$(cat "$T/uids.one")" \
	"two daemons with one key give the same UIDs"

# the key file must not be readable by others
chmod 644 "$T/uid.key"
out=$("$top_builddir/src/tsnssd" -t -c "$T/tailscale-nss.conf" 2>&1)
is "$?" 1 "tsnssd -t refuses a key file others can read"
like "$out" "uid\.key.*readable by others" "and says why"
chmod 600 "$T/uid.key"
like "$("$top_builddir/src/tsnssd" -t -c "$T/tailscale-nss.conf" 2>&1)" "is OK" \
	"a key file of mode 600 is accepted"
write_config "domain = example.com github"
like "$("$top_builddir/src/tsnssd" -t -c "$T/tailscale-nss.conf" 2>&1)" \
	"warning: .*github.*anyone can sign up.*uid_key_file" \
	"-t warns about an open-signup domain without a key"
done_testing
