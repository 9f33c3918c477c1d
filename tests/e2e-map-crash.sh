#!/bin/sh
# e2e-map-crash.sh - the published map when tsnssd did not stop cleanly or
# its runtime directory is not what it expects: a fresh /run, a SIGKILL
# (which cannot mark the map superseded) followed by a fresh runtime
# directory as systemd's RuntimeDirectory= makes one, a killed tsnssd's map
# left in place, and a directory that cannot be published into for a while.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"
run=$(dirname "$TSNSSD_SOCKET_PATH")
map="$run/snapshot"
ALICE=346538631
BOB=908245498
LOCALBOB=64001

requests() {
	"$top_builddir/src/tsnssctl" status | sed -n 's/^requests: //p'
}

# The superseded flag of a snapshot file (common/snapfile.h: offset 136,
# which a static assertion in common/snapfile.c keeps).
superseded() {
	od -An -t u4 -j 136 -N 4 "$1" | tr -d ' '
}

python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--self alice@example.com --user "101:alice@example.com:Alice" \
	--user "102:bob@example.com:Bob"
start_fake_tailscaled "$T/tailnet.json"
write_config
printf '[group eng]\ngid = 70001\nmembers = bob@example.com\n' \
	>>"$T/tailscale-nss.conf"

start_tsnssd
wait_for test -f "$map"

# --- a long-running process ----------------------------------------------------
# It looks up bob's uid and the groups of a user named bob twenty times a
# second, as cron, logind or PID 1 would, and writes what it sees to a file.
cat >"$T/watch.py" <<-EOF
	import os, pwd, sys, time
	out = sys.argv[1]
	while True:
	    try:
	        name = pwd.getpwuid($BOB).pw_name
	    except KeyError:
	        name = "-"
	    groups = sorted(set(os.getgrouplist("bob", $LOCALBOB)))
	    with open(out + ".tmp", "w") as f:
	        f.write("%s %s\n" % (name, ",".join(map(str, groups))))
	    os.rename(out + ".tmp", out)
	    time.sleep(0.05)
EOF
python3 "$T/watch.py" "$T/seen" &
watcher=$!
track_pid $watcher
wait_for test -s "$T/seen"
like "$(cat "$T/seen")" "^bob ([0-9]+,)*70001(,|\$)" \
	"a long-running process sees bob and his group eng"
before=$(requests)
sleep 0.5
is "$(requests)" "$((before + 1))" "from the map (one request: status)"

# --- SIGKILL, then a fresh runtime directory ------------------------------------
# The killed tsnssd cannot mark its map superseded, and the next one cannot
# either: the directory (and the old file with it) is gone.  Meanwhile bob
# leaves the tailnet and a local account named bob is made.
kill -KILL "$tsnssd_pid"
wait "$tsnssd_pid" 2>/dev/null
tsnssd_pid=
python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--self alice@example.com --user "101:alice@example.com:Alice"
cp /etc/passwd "$T/passwd"
echo "bob:x:$LOCALBOB:$LOCALBOB::/nonexistent:/usr/sbin/nologin" >>"$T/passwd"
mount --bind "$T/passwd" /etc/passwd || bail "cannot bind-mount a passwd"
rm -rf "$run"
mkdir -m 755 "$run"
start_tsnssd
wait_for sh -c "[ -z \"\$(getent passwd $BOB)\" ]"
is "$(getent passwd $BOB)" "" "a new process: bob has left"
i=0
while [ "$(cat "$T/seen")" != "- $LOCALBOB" ] && [ $i -lt 20 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "$(cat "$T/seen")" "- $LOCALBOB" \
	"within 2 s the long-running process sees bob gone, and the local bob gets no tailnet group"

# --- SIGKILL with the old map left in place ------------------------------------
kill -KILL "$tsnssd_pid"
wait "$tsnssd_pid" 2>/dev/null
tsnssd_pid=
ln "$map" "$run/killed" # another name for the old file, to read its flag
is "$(superseded "$run/killed")" 0 "the killed tsnssd's map is not superseded"
start_tsnssd
marked() { [ "$(superseded "$1")" = 1 ]; }
wait_for marked "$run/killed"
is "$(superseded "$run/killed")" 1 \
	"the next tsnssd marks the map it finds superseded"
rm -f "$run/killed"

# --- a fresh /run: no runtime directory, no persisted snapshot ------------
stop_tsnssd
rm -rf "$run" "$T/cache"
mkdir "$T/cache"
start_tsnssd # returns once the socket is there: after the first snapshot
i=0
while [ ! -f "$map" ] && [ $i -lt 10 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "a fresh /run: the map is published within 1 s of the first snapshot" \
	test -f "$map"
is "$(stat -c '%a %U %F' "$run")" "755 root directory" \
	"tsnssd made its runtime directory, 0755, its own user's"
before=$(requests)
getent passwd alice bob "$ALICE" >/dev/null
id alice >/dev/null
is "$(requests)" "$((before + 1))" \
	"and lookups are served from it (one request: status)"

# --- a runtime directory that cannot be made for a while ------------------------
# The socket elsewhere, so tsnssd comes up; a file where its runtime
# directory goes, so every publish fails until it is removed.
stop_tsnssd
rm -rf "$run"
: >"$run"
mkdir "$T/sock"
write_config --daemon "socket = $T/sock/socket"
printf '[group eng]\ngid = 70001\nmembers = bob@example.com\n' \
	>>"$T/tailscale-nss.conf"
compiled_socket=$TSNSSD_SOCKET_PATH
TSNSSD_SOCKET_PATH=$T/sock/socket
start_tsnssd
TSNSSD_SOCKET_PATH=$compiled_socket
sleep 2.5
rm -f "$run"
wait_for test -f "$map"
check "a publish that failed is tried again until it works" test -f "$map"
is "$(timeout 5 getent passwd alice | cut -d: -f3)" "$ALICE" \
	"and alice resolves from the map (the socket is elsewhere)"
is "$(grep -c 'map is not in use' "$T/tsnssd.log")" 1 \
	"the map not in use is logged once, however many tries failed"
stop_tsnssd

done_testing
