#!/bin/sh
# e2e-state-limit.sh - issue 17, hole 5 (second half): idstore_save wrote
# answers of any size while recfile_read took back at most 64 MiB, so a
# large tailnet was served until the next start and then silently
# unloadable.  Now one bound, max_state_bytes, holds for the writer and the
# reader of every persisted file: an answer over it is refused when it is
# written, and the last good snapshot is kept.  Here at a small bound; the
# 100k-user case is in make bench (tests/bench.sh).
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"
ctl="$top_builddir/src/tsnssctl"

python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--user "101:alice@example.com:Alice"
start_fake_tailscaled "$T/tailnet.json"
write_config --daemon "max_state_bytes = 4096" "ttl = 5"
check "tsnssd -t accepts max_state_bytes" \
	"$top_builddir/src/tsnssd" -t -c "$T/tailscale-nss.conf"
start_tsnssd
check "a small tailnet is served" getent passwd alice
wait_for test -s "$T/cache/identities.tailscale"
size=$(wc -c <"$T/cache/identities.tailscale")
check "its answer is persisted, within the bound ($size bytes)" test "$size" -le 4096

# the tailnet grows past what may be persisted
python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--user "101:alice@example.com:Alice" --user "102:bob@example.com:Bob" \
	--random 300
wait_for grep -q "over max_state_bytes" "$T/tsnssd.log"
like "$(cat "$T/tsnssd.log")" \
	"[0-9]+ bytes, over max_state_bytes \(4096\)[;)]? *refused" \
	"an answer too large to persist is refused when written, and says why"
is "$(getent passwd bob)" "" "and is not served either"
check "the last good snapshot still is" getent passwd alice
size=$(wc -c <"$T/cache/identities.tailscale")
check "nothing over the bound was written ($size bytes)" test "$size" -le 4096
for f in "$T/cache"/*; do
	n=$(wc -c <"$f")
	[ "$n" -le 4096 ] || fail "$f is $n bytes, over the bound"
done
stop_tsnssd

# every file on disk is read back at the next start
stop_fake_tailscaled
start_tsnssd
check "after a restart, the persisted answer is served" getent passwd alice
if grep -q "rejected" "$T/tsnssd.log"; then
	fail "nothing persisted is rejected at the next start"
	_lib_tail "$T/tsnssd.log"
else
	pass "nothing persisted is rejected at the next start"
fi
stop_tsnssd

# claims that would outgrow the bound: the build that would add to them is
# refused (the newcomer gets nothing), never claims lost at the next start
python3 - "$T/cache/claims" <<'PY'
import sys
body = "".join("uid %d gone%04d@example.com\n" % (200000 + i, i) for i in range(125))
h = 14695981039346656037
for c in body.encode():
    h = ((h ^ c) * 1099511628211) % (1 << 64)
with open(sys.argv[1], "w") as f:
    f.write("tsnssd-claims-1 %d %016x\n%s" % (len(body), h, body))
PY
python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--user "101:alice@example.com:Alice" --user "103:carol@example.com:Carol"
start_fake_tailscaled "$T/tailnet.json"
start_tsnssd
wait_for grep -q "claims: refused" "$T/tsnssd.log"
like "$(cat "$T/tsnssd.log")" "claims: refused: [0-9]+ bytes, over max_state_bytes \(4096\)" \
	"claims that would outgrow the bound are refused when written"
is "$(getent passwd carol)" "" "and the newcomer they were for is not served"
wait_for sh -c "'$ctl' status | grep -q 'claims: *untrusted'"
like "$("$ctl" status)" "claims: *untrusted" "the claims are held closed until root acts"
stop_tsnssd
stop_fake_tailscaled
check "the claims on disk are still readable" grep -q "gone0124@example.com" "$T/cache/claims"
rm -f "$T/cache/claims"

# a file over the bound (written by another config) is refused on reading
write_config --daemon "max_state_bytes = 4096" "ttl = 5"
head -c 5000 /dev/zero >"$T/cache/claims"
start_tsnssd
like "$(cat "$T/tsnssd.log")" "claims: rejected: 5000 bytes \(max_state_bytes is 4096\)" \
	"a claims file over the bound is refused on reading"
stop_tsnssd
done_testing
