#!/bin/sh
# e2e-attack-subid-range.sh - issue 17, hole 4: useradd delegates each
# new local user 65,536 ids from 100000 up in /etc/subuid and /etc/subgid,
# inside tsnssd's default UID range; a tailnet user hashed into one owned
# the files of that user's rootless containers.  Defence: an id inside a
# delegated range is never a tailnet uid or gid, and the files are
# watched like /etc/passwd.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"
[ -f /etc/subuid ] && [ -f /etc/subgid ] ||
	skip_all "no /etc/subuid and /etc/subgid to bind-mount over"
ALICE=346538631
ENG=1804101763
tsnssd="$top_builddir/src/tsnssd"

: >"$T/subuid"
: >"$T/subgid"
mount --bind "$T/subuid" /etc/subuid || bail "cannot bind-mount /etc/subuid"
mount --bind "$T/subgid" /etc/subgid || bail "cannot bind-mount /etc/subgid"

python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--user "500:alice@example.com:Alice" --user "501:bob@example.com:Bob" \
	--groups 501:group:eng
start_fake_tailscaled "$T/tailnet.json"
write_config
start_tsnssd
is "$(getent passwd alice | cut -d: -f3)" "$ALICE" "no ranges: alice has her UID"
is "$(getent group eng | cut -d: -f3)" "$ENG" "and eng its gid"

# a local user gets a range holding alice's UID, as useradd does
printf 'carol:%s:65536\n' $((ALICE - 1000)) >"$T/subuid"
wait_for sh -c '! getent passwd alice'
is "$(getent passwd alice)" "" "a subuid range holding her UID: alice is refused"
is "$(getent passwd $ALICE)" "" "nobody has UID $ALICE"
like "$("$tsnssd" -c "$T/tailscale-nss.conf" --explain alice@example.com)" \
	"refused: uid $ALICE is reserved by the host: inside carol's subordinate range $((ALICE - 1000))-$((ALICE + 64535)) in /etc/subuid" \
	"--explain names the range and its owner"

# a subgid range holding a tailnet group's gid
printf '# a comment\ndave:%s:10\n' $((ENG - 5)) >"$T/subgid"
wait_for sh -c '! getent group eng'
is "$(getent group eng)" "" "a subgid range holding eng's gid: the group is refused"
like "$(cat "$T/tsnssd.log")" "tailnet group eng: refused: gid $ENG: gid $ENG is reserved by the host: inside dave's" \
	"and the log says why"

# bad lines are left out, the good ones still count; nothing hangs
{
	printf 'x:notanumber:5\nnocolons\ny:1:0\nz:1:99999999999\n'
	head -c 6000 /dev/zero | tr '\0' 9
	printf '\ncarol:%s:65536\n' $((ALICE - 1000))
} >"$T/subuid"
: >"$T/subgid"
wait_for getent group eng
is "$(getent group eng | cut -d: -f3)" "$ENG" "the subgid range gone, eng is back"
is "$(getent passwd alice)" "" "malformed lines beside it do not hide carol's range"
like "$("$tsnssd" -c "$T/tailscale-nss.conf" --explain alice@example.com)" \
	"inside carol's subordinate range" "--explain still names it"

# a range file over the bound is not read in part
: >"$T/subuid"
wait_for getent passwd alice
is "$(getent passwd alice | cut -d: -f3)" "$ALICE" "the range gone, alice is back"
stop_tsnssd
done_testing
