#!/bin/sh
# e2e-attack-state-fail-open.sh - issue 17, hole 6: a claims file that
# failed its check was set aside and tsnssd went on with no claims, so
# every sticky name and UID was up for grabs; claims and identities.* got
# no owner or mode check.  Now a corrupt claims file keeps the last
# trusted snapshot served but hands out no new name or UID until root
# repairs it or resets it with tsnssctl forget --all; every state file is
# checked as the snapshot is.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"
ctl="$top_builddir/src/tsnssctl"
flip() { # flip FILE: one byte of its body
	python3 - "$1" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[-3] ^= 0x01
open(p, "wb").write(bytes(b))
PY
}

tailnet_json --user "101:alice@example.com:Alice"
start_fake_tailscaled "$T/tailnet.json"
write_config "ttl = 5"
start_tsnssd
check "alice resolves" getent passwd alice
check "the claims are on disk" grep -q "alice" "$T/cache/claims"
stop_tsnssd

# --- a corrupt claims file: no new name or UID ---------------------------------
flip "$T/cache/claims"
tailnet_json --user "101:alice@example.com:Alice" --user "102:bob@example.com:Bob"
start_tsnssd
check "corrupt claims: alice, from the trusted snapshot, still resolves" \
	getent passwd alice
sleep 2 # a fetch has come back by now
is "$(getent passwd bob)" "" "corrupt claims: the newcomer bob gets no name or UID"
like "$(cat "$T/tsnssd.log")" "claims.*rejected.*forget --all" \
	"the log says the claims are untrusted and how to reset them"
wait_for sh -c "'$ctl' status | grep -Eq 'claims: *untrusted'"
like "$("$ctl" status)" "claims: *untrusted" "tsnssctl status says so"
check "the corrupt claims file is kept where it is" test -s "$T/cache/claims"
setpriv --reuid=65534 --regid=65534 --clear-groups "$ctl" forget --all \
	>/dev/null 2>&1
is "$?" 2 "tsnssctl forget --all as nobody is refused"
is "$(getent passwd bob)" "" "and bob still has nothing"
like "$("$ctl" forget --all)" "forget: released every claim" \
	"root resets the claims with tsnssctl forget --all"
wait_for getent passwd bob
check "after the reset, bob resolves" getent passwd bob
check "the claims are whole again" grep -q "bob" "$T/cache/claims"
stop_tsnssd

# still closed across a restart: the bad file is not set aside
flip "$T/cache/claims"
start_tsnssd
sleep 2
wait_for sh -c "'$ctl' status | grep -Eq 'claims: *untrusted'"
like "$("$ctl" status)" "claims: *untrusted" "corrupt again: untrusted at start"
stop_tsnssd
is "$(ls "$T/cache" | grep -c '^claims\.bad')" 0 \
	"the corrupt claims are never set aside (a restart would fail open)"
"$ctl" forget --all >/dev/null 2>&1 # no daemon: nothing to do
rm -f "$T/cache/claims"

# --- others may write the claims: untrusted ------------------------------------
start_tsnssd
wait_for grep -q bob "$T/cache/claims"
stop_tsnssd
chmod 666 "$T/cache/claims"
tailnet_json --user "101:alice@example.com:Alice" --user "102:bob@example.com:Bob" \
	--user "103:carol@example.com:Carol"
start_tsnssd
sleep 2
is "$(getent passwd carol)" "" "claims others may write: no new name or UID"
like "$(cat "$T/tsnssd.log")" "claims: not a regular file of ours" \
	"and the log says why"
stop_tsnssd
chmod 644 "$T/cache/claims"

# --- others may write identities.*: not restored -----------------------------------
stop_fake_tailscaled
rm -f "$T/cache/snapshot"
chmod 666 "$T/cache/identities.tailscale"
start_tsnssd
is "$(getent passwd alice)" "" \
	"identities others may write are not served after a restart"
like "$(cat "$T/tsnssd.log")" "identities.tailscale: not a regular file of ours" \
	"and the log says why"
stop_tsnssd
done_testing
