#!/bin/sh
# e2e-policy.sh - the identity policy through real glibc NSS: several
# domains, name and UID clashes, local accounts, overrides, groups,
# enumeration off, --explain (of a login and of a local name) and the
# range warnings of -t.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"
ALICE=346538631

# A host with its own accounts: svc holds alice's hashed UID, and a local
# group names alice as a member.
cp /etc/passwd "$T/passwd"
cp /etc/group "$T/group"
echo "svc:x:$ALICE:$ALICE::/nonexistent:/usr/sbin/nologin" >>"$T/passwd"
echo "svc:x:$ALICE:" >>"$T/group"
echo "devs:x:4000:alice,frank" >>"$T/group"
mount --bind "$T/passwd" /etc/passwd
mount --bind "$T/group" /etc/group

python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--self frank@example.com \
	--user "101:alice@example.com:Alice" \
	--user "102:carol@example.com:Carol A" \
	--user "103:carol@example.org:Carol B" \
	--user "104:dave@example.org:Dave" \
	--user "105:frank@example.com:Frank" \
	--user "106:grace@example.com:Grace" \
	--user "107:Bad Name@example.com:Bad" \
	--user "108:-dash@example.com:Dash" \
	--user "109:svc@example.com:Service Impostor" \
	--user "110:heidi@example.com:Heidi A" \
	--user "111:heidi@example.org:Heidi B"
start_fake_tailscaled "$T/tailnet.json"
write_config "domain = example.com example.org" \
	"[user grace@example.com]" "name = gmh" "uid = 777777" \
	"shell = /bin/sh" "home = /srv/%u" \
	"[user heidi@example.org]" "name = heidib" \
	"[group tailnet]" "gid = 50000" "members = *" \
	"[group admins]" "gid = 50001" "members = frank@example.com, root"
start_tsnssd

fuid=$(getent passwd frank | cut -d: -f3)
check "two domains: dave@example.org is a user" getent passwd dave
is "$(getent passwd carol | cut -d: -f5)" "Carol A" \
	"a name clash: the domain listed first (example.com) keeps the name"
is "$(getent passwd carolb)" "" "nor is the name mangled for the other"
is "$(getent passwd heidib | cut -d: -f5)" "Heidi B" \
	"a [user] name override resolves a clash: one gets the new name"
is "$(getent passwd heidi | cut -d: -f5)" "Heidi A" \
	"and the other keeps the rule's name"
is "$(getent passwd 346538631 | cut -d: -f1)" "svc" \
	"a local account's UID is never handed to a tailnet user"
is "$(getent passwd alice)" "" "alice, whose UID is taken locally, is refused"
is "$(getent passwd svc | cut -d: -f5)" "" \
	"svc@example.com does not shadow the local svc"
is "$(getent passwd gmh)" "gmh:*:777777:777777:Grace:/srv/gmh:/bin/sh" \
	"[user] overrides name, uid, shell and home"
is "$(getent passwd grace)" "" "and the rule's name is not served as well"
is "$(getent group tailnet | cut -d: -f1,3)" "tailnet:50000" \
	"a static group"
like "$(getent group tailnet | cut -d: -f4)" "^carol,dave,frank,gmh,heidi,heidib$" \
	"members = * lists every tailnet user"
is "$(getent group admins | cut -d: -f4)" "frank,root" \
	"members by login and by local name"
is "$(getent group 50001 | cut -d: -f1)" "admins" "static group by gid"
like "$(id frank)" "groups=$fuid\(frank\).*50000\(tailnet\)" \
	"id shows the all-users group"
like "$(id frank)" "50001\(admins\)" "id shows a static group"
like "$(id frank)" "4000\(devs\)" "a local group naming a tailnet user works"
is "$(getent passwd 'bad name')" "" "an invalid name is refused"
is "$(getent passwd -- -dash)" "" "a name starting with '-' is refused"
like "$(cat "$T/tsnssd.log")" "bad name@example.com.*refused.*not a valid user name" \
	"the refusal says which rule"
like "$(cat "$T/tsnssd.log")" "carol@example.org.*refused.*is carol@example.com's" \
	"the clash is logged"

# --explain
out=$("$top_builddir/src/tsnssd" -c "$T/tailscale-nss.conf" --explain frank@example.com)
like "$out" "passwd:  frank:\*:$fuid:$fuid:Frank:/home/frank:/bin/bash" \
	"--explain prints the passwd line"
like "$out" "groups:  frank\($fuid\) tailnet\(50000\) admins\(50001\)" \
	"--explain prints the groups"
out=$("$top_builddir/src/tsnssd" -c "$T/tailscale-nss.conf" --explain alice@example.com)
like "$out" "refused: uid $ALICE belongs to a local account" \
	"--explain prints the rule that refused"
out=$("$top_builddir/src/tsnssd" -c "$T/tailscale-nss.conf" --explain frank)
like "$out" "name:    frank is frank@example.com's\n[\s\S]*passwd:  frank:\*:$fuid:" \
	"--explain takes a local name: the login holding it, and what it becomes"
out=$("$top_builddir/src/tsnssd" -c "$T/tailscale-nss.conf" --explain root)
like "$?:$out" "^1:name:    root is a local account" \
	"--explain of a local account's name says so"
out=$("$top_builddir/src/tsnssd" -c "$T/tailscale-nss.conf" --explain nobody-here)
like "$?:$out" "^1:name:    no login has the name nobody-here" \
	"--explain of a name nobody has says so"
stop_tsnssd

# enumeration off
write_config --daemon "enumerate = no"
start_tsnssd
is "$(getent passwd | grep -c ':/home/')" \
	"$(grep -c ':/home/' /etc/passwd)" "enumerate = no: getent passwd lists only local users"
check "enumerate = no: lookups by name still work" getent passwd frank
stop_tsnssd

# A UID clash on two hosts that see the tailnet in different orders:
# u1 and u3 hash to the same UID in a range of two.
for order in "1 2 3" "3 2 1"; do
	set --
	for i in $order; do
		set -- "$@" --user "10$i:u$i@example.com:U$i"
	done
	python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" "$@"
	rm -rf "$T/cache" # another host: its own claims
	write_config "uid_base = 500000" "uid_max = 500001"
	start_tsnssd
	echo "$order: $(getent passwd u1 u2 u3 | cut -d: -f1,3 | tr '\n' ' ')" \
		>>"$T/clash"
	stop_tsnssd
done
is "$(cut -d: -f2- "$T/clash" | uniq | wc -l)" 1 \
	"both orders give the same users and UIDs"
like "$(head -n1 "$T/clash")" "u1:500000 u2:500001 $" \
	"the smaller Tailscale user id keeps the UID; u3 is refused"

# tsnssd -t warns where the range meets /etc/subuid and systemd's ranges
echo "builder:100000:65536" >"$T/subuid"
mount --bind "$T/subuid" /etc/subuid 2>/dev/null ||
	{ touch /etc/subuid && mount --bind "$T/subuid" /etc/subuid; }
write_config
out=$("$top_builddir/src/tsnssd" -t -c "$T/tailscale-nss.conf" 2>&1)
like "$out" "warning: \\[tailscale\\]: uid range 100000-2147483646 overlaps builder's range in /etc/subuid" \
	"-t warns about an overlap with /etc/subuid"
like "$out" "is OK" "and the config is still OK"
# nspawn's range only where nspawn or machined could hand it out.
if [ -e /usr/bin/systemd-nspawn ] || [ -e /usr/lib/systemd/systemd-machined ]; then
	skip "-t: no nspawn warning without nspawn" "systemd-nspawn is installed here"
else
	is "$(printf '%s\n' "$out" | grep -c nspawn)" 0 \
		"-t: no nspawn warning where neither systemd-nspawn nor machined is installed"
fi
mkdir "$T/sd-upper" "$T/sd-work"
if mount -t overlay tsnssd-test -o "lowerdir=/usr/lib/systemd,upperdir=$T/sd-upper,workdir=$T/sd-work" \
	/usr/lib/systemd 2>/dev/null; then
	touch /usr/lib/systemd/systemd-machined
	like "$("$top_builddir/src/tsnssd" -t -c "$T/tailscale-nss.conf" 2>&1)" \
		"overlaps systemd-nspawn container UID ranges" \
		"-t warns about nspawn's range where systemd-machined is installed"
	umount /usr/lib/systemd
else
	skip "-t warns about nspawn's range with machined" "cannot mount an overlay on /usr/lib/systemd"
fi

done_testing
