#!/bin/sh
# demo.sh SRCDIR BUILDDIR - `make demo`: tsnssd answering real getent for
# the sample tailnet in tests/fixtures, in a private mount namespace (so
# nothing on this machine changes), against the tailscaled stand-in.
top_srcdir=$1
top_builddir=$2
export top_srcdir top_builddir
if [ "$(id -u)" != 0 ]; then
	echo "make demo needs root: it uses a private mount namespace (unshare -m)"
	echo "to point this machine's glibc at tsnssd without changing anything."
	exit 1
fi
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"

show() {
	printf '\n$ %s\n' "$*"
	"$@" 2>&1
}

echo "== a sample tailnet: tailscaled's status answer in tests/fixtures"
python3 - "$fixtures/localapi-status.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for u in d["User"].values():
    print("   %-26s %s" % (u["LoginName"], u["DisplayName"]))
PY
start_fake_tailscaled "$fixtures/localapi-status.json"
write_config
echo
echo "== /etc/tailscale-nss.conf"
sed 's/^/   /' "$T/tailscale-nss.conf"
start_tsnssd
echo
echo "== what tsnssd decided (tsnssd --foreground --debug)"
grep -E 'accepted|refused' "$T/tsnssd.log" | sed 's/^tsnssd: debug: /   /'
echo
echo "== and glibc now sees, with nsswitch.conf saying 'passwd: files tailscale':"
show getent passwd alice
show getent passwd bob
show id alice
touch "$T/report.txt"
chown alice:alice "$T/report.txt"
show ls -l "$T/report.txt"
printf '\n$ getent passwd | tail -n 4\n'
getent passwd | tail -n 4
show getent passwd carol
echo "   (carol@partner.org is from another domain: not a user here)"
stop_tsnssd >/dev/null
