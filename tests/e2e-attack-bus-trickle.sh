#!/bin/sh
# e2e-attack-bus-trickle.sh - issue 17, hole 8 (the IPN bus): the stall
# timer restarted on every chunk, so a tailscaled (or whatever holds its
# socket) trickling a byte at a time held a half message, and the memory
# for it, forever.  A message must now be whole within bus_stall_ms of its
# first byte.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"

python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--user "101:alice@example.com:Alice" --user "102:bob@example.com:Bob" \
	--version 1.100.0
start_fake_tailscaled "$T/tailnet.json"
write_config "ttl = 3600" "refresh_on_miss = 0" "bus_stall_ms = 1000"
start_tsnssd
wait_for grep -q "following tailscaled's IPN bus" "$T/tsnssd.log"
check "the bus is followed" grep -q "following tailscaled's IPN bus" "$T/tsnssd.log"
set_bus trickle 1
# a resync line is hundreds of bytes: trickled, tens of seconds
wait_for grep -q "stalled half-way for 1000 ms" "$T/tsnssd.log"
like "$(cat "$T/tsnssd.log")" \
	"IPN bus down: a message on the IPN bus stalled half-way for 1000 ms; reconnecting" \
	"a message trickled a byte at a time ends the stream after bus_stall_ms"
set_bus normal
check "alice still resolves" getent passwd alice
stop_tsnssd
done_testing
