#!/bin/sh
# e2e-localgroups.sh - [group NAME] with extend = yes: tailnet users in a
# group of /etc/group (docker, sudo), through real glibc NSS with
# `group: files [SUCCESS=merge] tailscale`: id shows the local gid,
# getent lists local and tailnet members together, leaving the tailnet
# group takes it away within 2 s (IPN bus), the gid follows /etc/group,
# a local account is never added; tsnssd -t lists and refuses, --explain
# shows.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"

DOCKER=4790
# a docker group of our own, with a local member, and a local account
# carol whose name a tailnet login also wants
grep -v '^docker:' /etc/group >"$T/group"
echo "docker:x:$DOCKER:localbob" >>"$T/group"
echo "zerogrp:x:0:" >>"$T/group"
grep -q '^sudo:' "$T/group" || echo "sudo:x:27:" >>"$T/group"
mount --bind "$T/group" /etc/group
cp /etc/passwd "$T/passwd"
echo "carol:x:4791:4791:Local Carol:/nonexistent:/usr/sbin/nologin" >>"$T/passwd"
mount --bind "$T/passwd" /etc/passwd
SUDO=$(awk -F: '$1 == "sudo" { print $3 }' /etc/group)

cat >"$T/nsswitch.conf" <<-EOF2
	passwd: files tailscale
	group: files [SUCCESS=merge] tailscale
	shadow: files
	hosts: files
EOF2



write_tailnet "101:alice@example.com:Alice" "102:bob@example.com:Bob" \
	"103:carol@example.com:Carol" --groups=101:group:eng \
	--groups=103:group:eng
start_fake_tailscaled "$T/tailnet.json"
write_config "ttl = 3600" "refresh_on_miss = 0" \
	"[group docker]" "extend = yes" "members = group:eng" \
	"[group sudo]" "extend = yes" "members = bob@example.com, carol"
start_tsnssd
check "alice resolves" getent passwd alice
like "$(getent passwd carol)" "^carol:x:4791:" "carol is the local account"

# --- membership ------------------------------------------------------------
like "$(id alice)" "groups=.*$DOCKER\\(docker\\)" \
	"id alice: the local docker gid (initgroups)"
is "$(getent group docker)" "docker:x:$DOCKER:localbob,alice" \
	"getent group docker: local and tailnet members merged"
is "$(getent group $DOCKER)" "docker:x:$DOCKER:localbob,alice" \
	"and by gid"
is "$(getent -s tailscale group docker)" "docker:*:$DOCKER:alice" \
	"tsnssd's own answer holds only its users"
like "$(id bob)" "groups=.*$SUDO\\(sudo\\)" "bob is in sudo, named by login"
like "$(id alice)" "^(?!.*\\(sudo\\))" "alice is not in sudo"
is "$(getent -s tailscale group sudo)" "sudo:*:$SUDO:bob" \
	"a member naming the local account carol is never added"
like "$(id carol)" "^(?!.*\\((docker|sudo)\\))" \
	"local carol gets neither group, though carol@ is in group:eng"

# --- -t and --explain ----------------------------------------------------
out=$("$top_builddir/src/tsnssd" -t --config "$T/tailscale-nss.conf" 2>&1)
like "$out" "extended local group docker \\(gid $DOCKER\\) PRIVILEGED \\([^)]*\\), members: group:eng" \
	"-t lists docker, marked privileged, and who may join"
like "$out" "extended local group sudo \\(gid $SUDO\\) PRIVILEGED \\(sudo to root\\), members: bob\\@example.com carol" \
	"-t lists sudo, marked privileged"
out=$("$top_builddir/src/tsnssd" -c "$T/tailscale-nss.conf" --explain alice@example.com 2>&1)
like "$out" "extended local groups: docker\\($DOCKER\\)\\[privileged\\]" \
	"--explain shows alice's extended groups"

# tsnssd -t refuses what cannot be extended
refused() { # WHAT REGEX SECTION-LINES...
	_what=$1
	_re=$2
	shift 2
	cp "$T/tailscale-nss.conf" "$T/good.conf"
	printf '%s\n' "$@" >>"$T/tailscale-nss.conf"
	_out=$("$top_builddir/src/tsnssd" -t --config "$T/tailscale-nss.conf" 2>&1)
	_rc=$?
	mv "$T/good.conf" "$T/tailscale-nss.conf"
	if [ "$_rc" -ne 0 ]; then
		like "$_out" "$_re" "-t refuses $_what"
	else
		fail "-t refuses $_what"
		diag "$_out"
	fi
}
refused "extend on a group /etc/group lacks" "nosuch.*no such group" \
	"[group nosuch]" "extend = yes" "members = *"
refused "extend on a local group of gid 0" "zerogrp.*gid in /etc/group is 0" \
	"[group zerogrp]" "extend = yes" "members = *"
refused "extend of the root group" "root group is never extended" \
	"[group root]" "extend = yes" "members = *"
refused "extend with a gid" "takes no gid" \
	"[group adm]" "extend = yes" "gid = 5000"

# --- revocation ----------------------------------------------------------
write_tailnet "101:alice@example.com:Alice" "102:bob@example.com:Bob" \
	"103:carol@example.com:Carol" --groups=103:group:eng
within 2 sh -c "id alice | grep -q groups= && ! id alice | grep -q '(docker)'"
is "$took" "${took#timeout}" \
	"leaving group:eng drops docker from id alice within 2 s (${took} ms)"
is "$(getent group docker)" "docker:x:$DOCKER:localbob" \
	"and from getent group docker"
write_tailnet "101:alice@example.com:Alice" "103:carol@example.com:Carol"
within 2 sh -c "! getent -s tailscale group sudo | grep -q bob"
is "$took" "${took#timeout}" \
	"leaving the tailnet drops bob from sudo within 2 s (${took} ms)"

# --- the gid follows /etc/group ------------------------------------------
write_tailnet "101:alice@example.com:Alice" --groups=101:group:eng
within 2 sh -c "id alice | grep -q '$DOCKER(docker)'"
is "$took" "${took#timeout}" "alice is back in docker (${took} ms)"
sed "s/^docker:x:$DOCKER:/docker:x:4799:/" "$T/group" >"$T/group.new"
cat "$T/group.new" >"$T/group" # in place: the bind mount stays
within 5 sh -c "id alice | grep -q '4799(docker)'"
is "$took" "${took#timeout}" "a new gid in /etc/group is followed (${took} ms)"

stop_tsnssd
done_testing
