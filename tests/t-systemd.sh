#!/bin/sh
# t-systemd.sh - the shipped unit passes systemd-analyze verify, and
# tsnssd tells systemd it is ready (sd_notify) once it has users.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"
unit="$top_builddir/conf/tsnssd.service"

# the unit as installed, but pointing at this build's binary
sed "s|^\(Exec[A-Za-z]*=\)[^ ]*/tsnssd|\1$top_builddir/src/tsnssd|" \
	"$unit" >"$T/tsnssd.service"
for d in "Type=notify" "After=tailscaled.service" \
	"Before=nss-user-lookup.target" "RuntimeDirectory=tsnssd" \
	"CacheDirectory=tsnssd" "NoNewPrivileges=yes" "DynamicUser=yes" \
	"ProtectSystem=strict" "LimitCORE=0" \
	"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"; do
	check "the unit has $d" grep -qx "$d" "$T/tsnssd.service"
done
if command -v systemd-analyze >/dev/null; then
	check "systemd-analyze verify accepts the unit" \
		systemd-analyze verify --man=no "$T/tsnssd.service"
else
	diag "systemd-analyze is not installed: unit not verified"
fi

if ! grep -q 'HAVE_LIBSYSTEMD 1' "$top_builddir/autoconfig.h"; then
	diag "built without libsystemd: no readiness to check"
	done_testing
fi
# a NOTIFY_SOCKET like systemd's, recording what tsnssd sends
cat >"$T/notify.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        out.write(s.recv(4096).decode() + "\n")
        out.flush()
PY
python3 "$T/notify.py" "$T/notify" "$T/notified" &
track_pid $!
wait_for test -S "$T/notify"
python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--self alice@example.com --user "101:alice@example.com:Alice"
start_fake_tailscaled "$T/tailnet.json"
write_config
NOTIFY_SOCKET="$T/notify" start_tsnssd
wait_for grep -q READY=1 "$T/notified"
check "tsnssd sends READY=1 once it has users" grep -q READY=1 "$T/notified"
like "$(cat "$T/notified")" "STATUS=serving 1 users" "and a STATUS line"
stop_tsnssd
done_testing
