#!/bin/sh
# e2e-subid.sh - subordinate ids through shadow's real tools with
# `subid: tailscale`: getsubids, and newuidmap/newgidmap (setuid) mapping
# a tailnet user's range into a user namespace she made, and refusing a
# range that is not hers; /etc/subuid still served for local users;
# ranges sticky across a restart without the snapshot, released only by
# tsnssctl forget; tsnssd -t refusing what may not be.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"
command -v getsubids >/dev/null && command -v newuidmap >/dev/null ||
	skip_all "getsubids/newuidmap missing (Debian package uidmap)"

ctl="$top_builddir/src/tsnssctl"
FIRST=1879048192
# a local user with a range of the files
cp /etc/passwd "$T/passwd"
echo "localsub:x:4792:4792::/nonexistent:/usr/sbin/nologin" >>"$T/passwd"
mount --bind "$T/passwd" /etc/passwd
echo "localsub:300000:65536" >"$T/subuid"
echo "localsub:300000:65536" >"$T/subgid"
mount --bind "$T/subuid" /etc/subuid 2>/dev/null ||
	{ touch /etc/subuid && mount --bind "$T/subuid" /etc/subuid; } ||
	bail "cannot bind-mount /etc/subuid"
mount --bind "$T/subgid" /etc/subgid 2>/dev/null ||
	{ touch /etc/subgid && mount --bind "$T/subgid" /etc/subgid; } ||
	bail "cannot bind-mount /etc/subgid"

cat >"$T/nsswitch.conf" <<-EOF2
	passwd: files tailscale
	group: files tailscale
	shadow: files
	hosts: files
	subid: tailscale
EOF2
# newuidmap is setuid: it ignores LD_LIBRARY_PATH, and finds both modules
# through the loader's cache only.  A cache of our own, naming $T/lib.
mkdir -p "$T/lib"
cp "$top_builddir/nss/.libs/libsubid_tailscale.so" \
	"$top_builddir/nss/.libs/libnss_tailscale.so.2" "$T/lib/"
chmod -R a+rX "$T/lib"
{
	echo "$T/lib"
	cat /etc/ld.so.conf.d/*.conf 2>/dev/null
} >"$T/ld.so.conf"
ldconfig -X -C "$T/ld.so.cache" -f "$T/ld.so.conf" ||
	bail "ldconfig cannot write a cache"
mount --bind "$T/ld.so.cache" /etc/ld.so.cache ||
	bail "cannot bind-mount the loader cache"


write_tailnet "101:alice@example.com:Alice" "102:bob@example.com:Bob" \
	--groups=101:group:eng
start_fake_tailscaled "$T/tailnet.json"
write_config "ttl = 3600" "refresh_on_miss = 0" "uid_max = 1879048191" \
	"subid_members = group:eng" "subid_range = $FIRST-2147483647"
start_tsnssd
check "alice resolves" getent passwd alice
ALICE=$(id -u alice)

# --- getsubids -------------------------------------------------------------
is "$(runuser -u alice -- getsubids alice 2>&1)" "0: alice $FIRST 65536" \
	"getsubids alice, as alice: her range"
is "$(runuser -u alice -- getsubids -g alice 2>&1)" "0: alice $FIRST 65536" \
	"getsubids -g alice: the same gids"
is "$(getsubids localsub 2>&1)" "0: localsub 300000 65536" \
	"a local user keeps the range of /etc/subuid"
like "$(getsubids bob 2>&1)" "^(?!.*[0-9]: bob)" \
	"bob, not in group:eng, has none"

# --- newuidmap / newgidmap -------------------------------------------------
# Where unprivileged users may not make user namespaces (a sysctl), there
# is nothing for newuidmap to map into: those checks are skipped, named.
# refused MSG CMD...: ok if CMD fails
refused() {
	_msg=$1
	shift
	if "$@" >>"$T/refused.out" 2>&1; then
		fail "$_msg"
	else
		pass "$_msg"
	fi
}
maps() {
	mkdir -m 1777 "$T/run"
	# userns FILE: a user namespace alice makes, in the background, its pid
	# in FILE
	userns() {
		rm -f "$1"
		runuser -u alice -- unshare --user -- \
			sh -c "echo \$\$ >$1.tmp; mv $1.tmp $1; exec sleep 60" \
			</dev/null >/dev/null 2>&1 &
		track_pid $!
		wait_for test -s "$1"
	}
	userns "$T/run/ns1"
	pid=$(cat "$T/run/ns1")
	check "newuidmap, as alice, maps her range into her namespace" \
		runuser -u alice -- newuidmap "$pid" 0 "$ALICE" 1 1 $FIRST 65536
	is "$(awk '{ print $1, $2, $3 }' "/proc/$pid/uid_map" | tr '\n' ';')" \
		"0 $ALICE 1;1 $FIRST 65536;" "and /proc/PID/uid_map says so"
	GID=$(id -g alice)
	check "newgidmap, as alice, maps her gids" \
		runuser -u alice -- newgidmap "$pid" 0 "$GID" 1 1 $FIRST 65536
	is "$(awk '{ print $1, $2, $3 }' "/proc/$pid/gid_map" | tr '\n' ';')" \
		"0 $GID 1;1 $FIRST 65536;" "and /proc/PID/gid_map says so"
	userns "$T/run/ns2"
	pid2=$(cat "$T/run/ns2")
	refused "newuidmap refuses localsub's range to alice" \
		runuser -u alice -- newuidmap "$pid2" 0 "$ALICE" 1 1 300000 65536
	refused "newuidmap refuses an id past her range" \
		runuser -u alice -- newuidmap "$pid2" 0 "$ALICE" 1 1 $((FIRST + 65536)) 1
	is "$(cat "/proc/$pid2/uid_map")" "" "nothing was mapped"
}
if runuser -u alice -- unshare --user true 2>/dev/null; then
	maps
else
	for what in "newuidmap maps her range" "uid_map" "newgidmap maps her gids" \
		"gid_map" "newuidmap refuses another's range" \
		"newuidmap refuses an id past her range" "nothing mapped"; do
		skip "$what" "unprivileged user namespaces are disabled here"
	done
fi

# --- sticky --------------------------------------------------------------
write_tailnet "101:alice@example.com:Alice" "102:bob@example.com:Bob" \
	"103:carol@example.com:Carol" --groups=101:group:eng \
	--groups=103:group:eng
wait_for sh -c "getsubids carol | grep -q carol"
is "$(getsubids carol 2>&1)" "0: carol $((FIRST + 65536)) 65536" \
	"carol, joining group:eng, gets the next range"
write_tailnet "102:bob@example.com:Bob" "103:carol@example.com:Carol" \
	"104:dave@example.com:Dave" --groups=103:group:eng \
	--groups=104:group:eng
wait_for sh -c "getsubids dave | grep -q dave"
is "$(getsubids dave 2>&1)" "0: dave $((FIRST + 131072)) 65536" \
	"alice left: her range is not given to dave"
stop_tsnssd
rm -f "$T/cache/snapshot"
start_tsnssd
# The first build is of the persisted answers, which still have alice in
# group:eng; forgetting her before the bus answers would give her a range
# again (she is a member then), so wait for the bus's build.
wait_for grep -q "snapshot 2:" "$T/tsnssd.log"
wait_for sh -c "getsubids carol | grep -q carol"
is "$(getsubids carol 2>&1)" "0: carol $((FIRST + 65536)) 65536" \
	"after a restart without the snapshot, carol's range is hers"
like "$(cat "$T/cache/subids")" "alice\\@example.com $FIRST 65536" \
	"alice's claim stays while she is away"
check "tsnssctl forget alice@example.com" "$ctl" forget alice@example.com
like "$(cat "$T/cache/subids")" "^(?!.*alice)" "forget releases her range"

# --- running out -----------------------------------------------------------
# Room for three ranges: alice's, free again, and carol's and dave's.
stop_tsnssd
write_config "ttl = 3600" "refresh_on_miss = 0" "uid_max = 1879048191" \
	"subid_members = group:eng" \
	"subid_range = $FIRST-$((FIRST + 3 * 65536 - 1))"
write_tailnet "102:bob@example.com:Bob" "103:carol@example.com:Carol" \
	"104:dave@example.com:Dave" "105:eve@example.com:Eve" \
	"106:frank@example.com:Frank" --groups=103:group:eng \
	--groups=104:group:eng --groups=105:group:eng --groups=106:group:eng
start_tsnssd
# twice the usual wait: under valgrind the first build of a new config
# can take longer than one
wait_for sh -c "getsubids eve | grep -q eve" ||
	wait_for sh -c "getsubids eve | grep -q eve"
is "$(getsubids eve 2>&1)" "0: eve $FIRST 65536" "eve gets the range alice left"
like "$(getsubids frank 2>&1)" "^(?!.*[0-9]: frank)" "the range is full: frank gets none"
write_tailnet "102:bob@example.com:Bob" "103:carol@example.com:Carol" \
	"104:dave@example.com:Dave" "105:eve@example.com:Eve" \
	"106:frank@example.com:Frank Other" --groups=103:group:eng \
	--groups=104:group:eng --groups=105:group:eng --groups=106:group:eng
wait_for sh -c "getent passwd frank | grep -q 'Frank Other'"
is "$(grep -c 'is full' "$T/tsnssd.log")" 1 "tsnssd logs it once, over two builds"

# --- tsnssd -t -----------------------------------------------------------
out=$("$top_builddir/src/tsnssd" -t --config "$T/tailscale-nss.conf" 2>&1)
like "$out" "room for 3 ranges of 65536" \
	"-t warns that more members are possible than ranges"
bad() { # WHAT REGEX LINE...
	_what=$1
	_re=$2
	shift 2
	write_config "$@"
	_out=$("$top_builddir/src/tsnssd" -t --config "$T/tailscale-nss.conf" 2>&1)
	if [ $? -ne 0 ]; then
		like "$_out" "$_re" "-t refuses $_what"
	else
		fail "-t refuses $_what"
		diag "$_out"
	fi
}
bad "a range overlapping the UID range" "overlaps the UID range" \
	"subid_members = *" "subid_range = $FIRST-2147483647"
bad "a range from 2^31 up" "subid_range must be FIRST-LAST" \
	"uid_max = 1879048191" "subid_members = *" \
	"subid_range = $FIRST-2147483648"
bad "a range overlapping /etc/subuid" "overlaps 300000-365535 in /etc/subuid" \
	"uid_base = 500000" "uid_max = 1000000" "subid_members = *" \
	"subid_range = 290000-400000"
bad "subid_members without subid_range" "needs subid_range" \
	"subid_members = *"

stop_tsnssd
done_testing
