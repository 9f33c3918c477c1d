#!/bin/sh
# e2e-variants.sh - [program] and [variant] through real sshd logins:
# sshd gives alice a container shell while a shell's getent shows the
# usual one, alice-host escapes to a host shell with alice's own UID, and
# neither argv[0] nor a name clash gets anyone an entry that is not theirs.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"

cp /etc/passwd "$T/passwd"
echo "bob-host:x:4343:4343:Bob Local:/home/bob-host:/bin/sh" >>"$T/passwd"
mount --bind "$T/passwd" /etc/passwd
mount -t tmpfs -o mode=755 tsnssd-homes /home # pam_mkhomedir writes here

# the "container" shell: it says so, then runs what sshd asked for
mkdir -m 755 /run/views
cat >/run/views/ctr-shell <<-'EOS'
	#!/bin/sh
	echo "in the container as $(id -un)"
	exec /bin/sh "$@"
EOS
chmod 755 /run/views/ctr-shell
cp "$(command -v getent)" /run/views/getent-ctr

ALICE=346538631
python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--self alice@example.com \
	--user "101:alice@example.com:Alice" \
	--user "102:bob@example.com:Bob" \
	--user "103:carol@example.com:Carol"
start_fake_tailscaled "$T/tailnet.json"
write_config "[group tailnet]" "gid = 50000" "members = *" \
	"[program /usr/sbin/sshd]" "shell = /run/views/ctr-shell" \
	"[program /run/views/getent-ctr]" "shell = /run/views/ctr-shell" \
	"home = /containers/%u" \
	"[variant -host]" "shell = /bin/sh" "members = alice, bob"
start_tsnssd
start_sshd alice alice-host carol-host

# [program]: sshd's lookups, and nobody else's
is "$(login alice 'echo ran')" "in the container as alice
ran" "ssh alice@host runs the [program /usr/sbin/sshd] shell"
is "$(getent passwd alice)" \
	"alice:*:$ALICE:$ALICE:Alice:/home/alice:/bin/bash" \
	"getent passwd alice from a shell: the usual entry"
is "$(/run/views/getent-ctr passwd alice)" \
	"alice:*:$ALICE:$ALICE:Alice:/containers/alice:/run/views/ctr-shell" \
	"the executable /proc/self/exe names gets its section's home and shell"
is "$(/run/views/getent-ctr passwd $ALICE)" \
	"alice:*:$ALICE:$ALICE:Alice:/containers/alice:/run/views/ctr-shell" \
	"by uid too"
is "$(bash -c 'exec -a sshd getent passwd alice')" \
	"alice:*:$ALICE:$ALICE:Alice:/home/alice:/bin/bash" \
	"argv[0] sshd changes nothing"
is "$(bash -c 'exec -a /run/views/getent-ctr getent passwd alice')" \
	"alice:*:$ALICE:$ALICE:Alice:/home/alice:/bin/bash" \
	"nor does argv[0] naming a [program] path"

# [variant]: another name, alice's UID, the section's shell
is "$(login alice-host 'id -un; id -u; echo $SHELL')" "alice
$ALICE
/bin/sh" "ssh alice-host@host: a host shell as alice's UID; id -un says alice"
is "$(getent passwd alice-host)" \
	"alice-host:*:$ALICE:$ALICE:Alice:/home/alice:/bin/sh" \
	"getent passwd alice-host: her UID and home, the variant's shell"
is "$(/run/views/getent-ctr passwd alice-host)" \
	"alice-host:*:$ALICE:$ALICE:Alice:/home/alice:/bin/sh" \
	"a [program] leaves a variant alone: it is the escape"
is "$(id -G alice-host)" "$(id -G alice)" \
	"alice-host has exactly alice's groups"
is "$(getent passwd $ALICE | cut -d: -f1)" alice "by uid she is alice"
is "$(getent passwd | grep -c -- '-host:')" 1 \
	"enumeration lists no variant (only the local bob-host)"
is "$(getent passwd bob-host)" \
	"bob-host:x:4343:4343:Bob Local:/home/bob-host:/bin/sh" \
	"bob-host is a local account: the variant is refused"
check "tsnssd says why" grep -q "bob-host: refused:.*local account" \
	"$T/tsnssd.log"
explain() { "$top_builddir/src/tsnssd" -c "$T/tailscale-nss.conf" --explain "$1" 2>&1; }
like "$(explain alice-host)" \
	"variant: alice-host is another name for alice \(alice@example.com\), from \[variant -host\]" \
	"--explain alice-host: whose name it is, and from where"
like "$(explain alice@example.com)" "variant: alice-host \(\[variant -host\]\)" \
	"--explain alice@example.com lists her variants"
like "$(explain bob-host)" "variant of bob@example.com \(\[variant -host\]\) refused: 'bob-host' is a local account" \
	"--explain bob-host: why bob has no variant"
check "carol is not a member: no carol-host" sh -c '! getent passwd carol-host'
is "$(login carol-host true; echo $?)" 255 "ssh carol-host@host is refused"

# without the map, the socket answers: variants yes, [program] no
rm -f "$(dirname "$TSNSSD_SOCKET_PATH")/snapshot"
is "$(getent passwd alice-host)" \
	"alice-host:*:$ALICE:$ALICE:Alice:/home/alice:/bin/sh" \
	"no map: tsnssd's socket answers alice-host too"
is "$(id -G alice-host)" "$(id -G alice)" "and her groups"
is "$(/run/views/getent-ctr passwd alice)" \
	"alice:*:$ALICE:$ALICE:Alice:/home/alice:/bin/bash" \
	"no map: [program] does not apply (as documented)"

stop_tsnssd
done_testing
