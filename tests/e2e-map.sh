#!/bin/sh
# e2e-map.sh - the published snapshot map, through real glibc NSS: lookups
# with no IPC while tsnssd is stopped or dead (until serve-until), a map
# replaced under many threads, maps the stub must not trust, a lying
# socket, exec, and a 100k-user tailnet.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"
probe="$top_builddir/tests/nss-probe"
run=$(dirname "$TSNSSD_SOCKET_PATH")
map="$run/snapshot"
ALICE=346538631
BOB=908245498

python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--self alice@example.com --user "101:alice@example.com:Alice" \
	--user "102:bob@example.com:Bob"
start_fake_tailscaled "$T/tailnet.json"
write_config "ttl = 5" "max_stale = 5"
start_tsnssd
wait_for test -f "$map"

# --- the file itself --------------------------------------------------------
is "$(stat -c '%a %U %F' "$map")" "644 root regular file" \
	"the map is a 0644 regular file of tsnssd's user"
is "$(getent passwd alice | cut -d: -f3)" "$ALICE" "alice resolves"

# --- no IPC: tsnssd's request counter does not move ---------------------------
requests() {
	"$top_builddir/src/tsnssctl" status | sed -n 's/^requests: //p'
}
before=$(requests)
for i in 1 2 3 4 5; do
	getent passwd alice bob "$ALICE" >/dev/null
	getent group alice >/dev/null
	id alice >/dev/null
	getent passwd nosuchuser >/dev/null
done
after=$(requests)
is "$after" "$((before + 1))" \
	"hits, misses, groups and id ask tsnssd nothing (one request: status)"

# --- a stopped tsnssd costs nothing -------------------------------------------
kill -STOP "$tsnssd_pid"
is "$(timeout 5 getent passwd bob | cut -d: -f3)" "$BOB" \
	"tsnssd stopped: bob resolves from the map"
is "$(timeout 5 id -u alice)" "$ALICE" "tsnssd stopped: id alice works"
timeout 5 getent passwd nosuchuser >/dev/null
is "$?" 2 "tsnssd stopped: a miss is a clean NOTFOUND, no timeout"
kill -CONT "$tsnssd_pid"

# --- a map replaced under 16 threads that keep looking up -------------------
i=0
while [ $i -lt 8 ]; do
	python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
		--self alice@example.com --user "101:alice@example.com:Alice $i" \
		--user "102:bob@example.com:Bob"
	"$top_builddir/src/tsnssctl" refresh >/dev/null
	sleep 0.2
	i=$((i + 1))
done &
changer=$!
out=$("$probe" threads 16 3000 alice "$ALICE")
wait $changer
is "$out" "96000 lookups, 0 wrong" \
	"16 threads x 3000 lookups while the map is replaced: all right"
like "$(getent passwd alice | cut -d: -f5)" '^Alice [0-9]$' \
	"and the last replacement is what lookups see"

# --- fork and exec --------------------------------------------------------------
is "$("$probe" fork alice $ALICE)" "ok before, in and after fork" \
	"lookups work before, in and after fork()"
is "$("$probe" cloexec alice)" "found
no descriptor leaks into exec" "nothing a lookup opened leaks into exec"

# --- killed: the map still answers, until serve-until ------------------------------
stop_fake_tailscaled
kill -KILL "$tsnssd_pid"
wait "$tsnssd_pid" 2>/dev/null
tsnssd_pid=
cp "$map" "$T/map.copy"
is "$(timeout 5 getent passwd alice | cut -d: -f3)" "$ALICE" \
	"tsnssd killed: alice still resolves from the map"
until_=$(od -An -t d8 -j 32 -N 8 "$map" | tr -d ' ')
now=$(date +%s)
ok_until=$((until_ - now))
if [ "$ok_until" -ge 0 ] && [ "$ok_until" -le 6 ]; then
	pass "serve-until is built + max_stale ($ok_until s from now)"
else
	fail "serve-until is built + max_stale (got $ok_until s from now)"
fi
while [ "$(date +%s)" -le "$until_" ]; do sleep 0.5; done
timeout 5 getent passwd alice >/dev/null
is "$?" 2 "past serve-until the map is not used"

# --- maps the stub must not trust ------------------------------------------------
# A fresh copy that would be valid for an hour: only its trust changes.
fresh_map() {
	rm -f "$map"
	python3 - "$T/map.copy" "$map" <<-'EOF'
		import struct, sys, time
		b = bytearray(open(sys.argv[1], "rb").read())
		struct.pack_into("=q", b, 32, int(time.time()) + 3600)
		open(sys.argv[2], "wb").write(b)
	EOF
	chmod 644 "$map"
	chown root:root "$map"
	chmod 755 "$run"
}
fresh_map
is "$(timeout 5 getent passwd alice | cut -d: -f3)" "$ALICE" \
	"a root-owned 0644 map with tsnssd gone: alice resolves"
fresh_map
chown nobody "$map"
timeout 5 getent passwd alice >/dev/null
is "$?" 2 "a map owned by another user is ignored"
fresh_map
chmod 664 "$map"
timeout 5 getent passwd alice >/dev/null
is "$?" 2 "a group-writable map is ignored"
fresh_map
chmod 777 "$run"
timeout 5 getent passwd alice >/dev/null
is "$?" 2 "a map in a world-writable directory is ignored"
fresh_map
mv "$map" "$T/map.real"
ln -s "$T/map.real" "$map"
timeout 5 getent passwd alice >/dev/null
is "$?" 2 "a symlink in place of the map is ignored"
rm -f "$map"
# A user's own tmpfs over the directory (made in a user namespace that
# root later enters): the directory and the map are the user's, which the
# ownership rules alone would accept.
mount -t tmpfs -o mode=755 forged "$run" || bail "cannot mount a tmpfs on $run"
fresh_map
chown nobody "$run" "$map"
timeout 5 getent passwd alice >/dev/null
is "$?" 2 "a map on a file system mounted over its directory is ignored"
umount "$run"
# The same with a bind mount of a directory on /run's own file system (a
# user's directory in a world-writable one, such as /run/screen on some
# hosts): same device, another mount.
mkdir -m 1777 /run/shared
mkdir -m 755 /run/shared/mine
mount --bind /run/shared/mine "$run" || bail "cannot bind-mount over $run"
fresh_map
chown nobody "$run" "$map"
timeout 5 getent passwd alice >/dev/null
is "$?" 2 "a map in a directory bind-mounted over its directory is ignored"
umount "$run"
rm -rf /run/shared

# --- a lying socket: never uid 0 or gid 0 ------------------------------------------
rm -f "$TSNSSD_SOCKET_PATH" # the killed tsnssd's, refusing connections
python3 "$top_srcdir/tests/fake-tsnssd.py" "$TSNSSD_SOCKET_PATH" uid0 &
liar=$!
track_pid $liar
wait_for test -S "$TSNSSD_SOCKET_PATH"
is "$(timeout 5 getent passwd mallory)" "" "a socket answering uid 0: no entry"
is "$(timeout 5 getent passwd 0 | cut -d: -f1)" "root" \
	"getent passwd 0 is still files' root"
is "$(timeout 5 getent group wheel-ts)" "" "a socket answering gid 0: no entry"
is "$(timeout 5 getent initgroups root2 | tr -s ' ')" "root2 5000" \
	"initgroups from a lying socket: gid 0 dropped, 5000 kept"
kill $liar 2>/dev/null
wait $liar 2>/dev/null
rm -f "$TSNSSD_SOCKET_PATH"

# --- 100k users: enumeration and a group of everyone ----------------------------
# Built by tsnssd's own policy (tests/snapgen) and persisted, then served
# by a tsnssd whose tailscaled is absent: it loads and publishes it.
N=100000
write_config "socket = $T/absent.sock"
printf '[group everyone]\ngid = 70000\nmembers = *\n' >>"$T/tailscale-nss.conf"
# without the last backend answer too: tsnssd would rebuild from that
rm -f "$T/cache/snapshot" "$T/cache/identities"*
made=$("$top_builddir/tests/snapgen" "$T/tailscale-nss.conf" $N)
# among 100k logins a few FNV uids clash: the policy refuses the later ones
users=${made%% users*}
like "$made" "^9999[0-9] users" "a persisted snapshot of $N logins: $made"
start_tsnssd
wait_for test -f "$map"
local_users=$(wc -l </etc/passwd)
is "$(getent passwd | wc -l)" "$((local_users + users))" \
	"getent passwd lists every local and all $users tailnet users"
is "$(getent passwd u100000 | cut -d: -f1)" u100000 "the last one by name"
is "$(getent group everyone | cut -d: -f4 | tr ',' '\n' | wc -l)" "$users" \
	"getent group everyone lists all $users members"
is "$(id -Gn u000001)" "u000001 everyone" "and initgroups finds it"
stop_tsnssd
test -e "$map"
is "$?" 1 "a clean stop takes the map away"
timeout 5 getent passwd u000001 >/dev/null
is "$?" 2 "and its users with it"

done_testing
