#!/bin/sh
# e2e-attack-secrets.sh - issue 17, hole 8 (secrets): uid_key_file could
# be group-readable while API secrets must be 0600, and tsnssd, which
# holds those secrets, could dump core or be read through /proc by
# another process of its uid.  Now uid_key_file is held to the API
# secrets' rules and tsnssd is not dumpable (PR_SET_DUMPABLE 0).
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"

python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--user "101:alice@example.com:Alice"
start_fake_tailscaled "$T/tailnet.json"

# --- uid_key_file: 0600 and ours, as api_key_file --------------------------------
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/uid.key"
write_config "uid_key_file = $T/uid.key"
for mode in 640 604 620 660; do
	chmod "$mode" "$T/uid.key"
	out=$("$top_builddir/src/tsnssd" -t -c "$T/tailscale-nss.conf" 2>&1)
	rc=$?
	like "$rc:$out" "^1:.*uid\\.key.*chmod 600" \
		"a uid_key_file of mode $mode is refused, and the fix named"
done
chmod 600 "$T/uid.key"
like "$("$top_builddir/src/tsnssd" -t -c "$T/tailscale-nss.conf" 2>&1)" "is OK" \
	"a uid_key_file of mode 600 is accepted"
chown 64321 "$T/uid.key"
out=$("$top_builddir/src/tsnssd" -t -c "$T/tailscale-nss.conf" 2>&1)
like "$?:$out" "^1:.*owned by uid 64321" "a uid_key_file of another user is refused"
chown 0 "$T/uid.key"

# --- not dumpable: another process of its uid cannot read its memory ---------------
write_config
chown 64321:64321 "$(dirname "$TSNSSD_SOCKET_PATH")" "$T/cache"
TSNSSD_WRAPPER="setpriv --reuid=64321 --regid=64321 --clear-groups $TSNSSD_WRAPPER" \
	start_tsnssd
check "tsnssd runs as uid 64321 and serves alice" getent passwd alice
is "$(stat -c %u "/proc/$tsnssd_pid/environ")" 0 \
	"its /proc files are root's: it is not dumpable"
if setpriv --reuid=64321 --regid=64321 --clear-groups \
	cat "/proc/$tsnssd_pid/environ" >/dev/null 2>&1; then
	fail "a process of its own uid cannot read its environment"
else
	pass "a process of its own uid cannot read its environment"
fi
stop_tsnssd
done_testing
