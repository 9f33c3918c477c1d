#!/bin/sh
# e2e-attack-status-memory.sh - a polled status answer far larger than
# what it tells (60000 tagged devices, ~37 MB, two users) is read as it
# arrives: tsnssd's peak memory stays below the answer's size.  Held
# whole and turned into a json-c tree, as it was, it took several times
# that: a tailnet's size, not its users, decided whether tsnssd fit.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"

python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--self alice@example.com --user "101:alice@example.com:Alice"
python3 "$top_srcdir/tests/tailnet.py" -o "$T/big.json" \
	--self alice@example.com --user "101:alice@example.com:Alice" \
	--user "102:bob@example.com:Bob" --tagged 60000
start_fake_tailscaled "$T/tailnet.json"
write_config "ipn_bus = no" "timeout_ms = 120000" "ttl = 86400"
start_tsnssd
is "$(getent passwd alice | cut -d: -f1)" alice "alice resolves"

size=$(wc -c <"$T/big.json")
mv "$T/big.json" "$T/tailnet.json"
kill -HUP "$tsnssd_pid"
# up to two minutes (more under a wrapper): the stand-in writes 37 MB
i=$((1200 * _lib_slow))
until getent passwd bob >/dev/null || [ "$i" -le 0 ]; do
	sleep 0.1
	i=$((i - 1))
done
is "$(getent passwd bob | cut -d: -f1)" bob \
	"bob, from the $size-byte answer, resolves"
like "$(grep 'fetched' "$T/tsnssd.log" | tail -n 1)" \
	"fetched [0-9]{8,} bytes .* 3 user profiles" \
	"the whole answer was read"

peak=$(awk '$1 == "VmHWM:" { print $2 * 1024 }' "/proc/$tsnssd_pid/status")
if [ -n "$TSNSSD_WRAPPER$TSNSSD_SANITIZED" ]; then
	skip "peak memory below the answer's size" \
		"tsnssd's memory is ${TSNSSD_WRAPPER:-$TSNSSD_SANITIZED}'s"
elif [ "$peak" -lt "$size" ]; then
	pass "peak memory $peak bytes, below the answer's $size"
else
	fail "peak memory $peak bytes, below the answer's $size"
fi
stop_tsnssd
done_testing
