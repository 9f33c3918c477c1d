#!/bin/sh
# e2e-sshd.sh - a real login: Debian's sshd on loopback, a key, PAM with
# pam_mkhomedir, and tsnssd as the only source of the user.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"
sshd=/usr/sbin/sshd
[ -x "$sshd" ] || skip_all "openssh-server is not installed"
command -v ssh >/dev/null || skip_all "openssh-client is not installed"

# sshd gives the session a clean environment (no LD_LIBRARY_PATH), so put
# the stub where glibc looks by default - an overlay seen only in here.
libc=$(ldd /bin/true | awk '/libc.so.6/ { print $3 }')
libdir=$(dirname "$(readlink -f "$libc")")
mkdir "$T/nsslib"
cp "$top_builddir/nss/.libs/libnss_tailscale.so.2" "$T/nsslib/"
mount -t overlay overlay -o "lowerdir=$T/nsslib:$libdir" "$libdir" ||
	bail "cannot overlay the stub onto $libdir"
mount -t tmpfs -o mode=755 tsnssd-homes /home # pam_mkhomedir writes here

ALICE=346538631
python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--self alice@example.com \
	--user "101:alice@example.com:Alice Liddell" \
	--user "102:bob@example.com:Bob" \
	--user "103:mallory@evil.example:Mallory" \
	--tagged 1
start_fake_tailscaled "$T/tailnet.json"
write_config "[group tailnet]" "gid = 50000" "members = *"
start_tsnssd

# A PAM stack like Debian's, with the pam_mkhomedir line that
# conf/pam-sshd.example tells admins to add.
{
	echo "auth     required pam_unix.so"
	echo "account  required pam_unix.so"
	grep -v '^#' "$top_srcdir/conf/pam-sshd.example" | grep .
	echo "session  required pam_unix.so"
} >"$T/pam-sshd"
mount --bind "$T/pam-sshd" /etc/pam.d/sshd

mkdir -p /run/sshd "$T/keys"
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$T/id"
for u in alice bob mallory tagged-devices; do
	cp "$T/id.pub" "$T/keys/$u"
done
port=$((20000 + $$ % 20000))
cat >"$T/sshd_config" <<-EOT
	Port $port
	ListenAddress 127.0.0.1
	HostKey $T/hostkey
	PidFile $T/sshd.pid
	AuthorizedKeysFile $T/keys/%u
	StrictModes no
	UsePAM yes
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	PermitRootLogin no
	LogLevel VERBOSE
EOT
"$sshd" -D -e -f "$T/sshd_config" 2>"$T/sshd.log" &
track_pid $!
wait_for grep -q "Server listening" "$T/sshd.log" ||
	{ _lib_tail "$T/sshd.log"; bail "sshd did not start"; }

login() {
	timeout 20 ssh -q -i "$T/id" -p "$port" -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		"$1@127.0.0.1" "$2" 2>>"$T/ssh.err"
}

is "$(login alice id)" \
	"uid=$ALICE(alice) gid=$ALICE(alice) groups=$ALICE(alice),50000(tailnet)" \
	"ssh alice@host id: her UID and groups"
is "$(stat -c '%U:%G %a' /home/alice 2>&1)" "alice:alice 700" \
	"her home was made at first login, hers, mode 700"
is "$(login alice 'echo $HOME; pwd')" "/home/alice
/home/alice" "the session starts in it"
is "$(login bob whoami)" "bob" "bob can log in"

python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--self alice@example.com --user "101:alice@example.com:Alice Liddell"
kill -HUP "$tsnssd_pid"
wait_for sh -c '! getent passwd bob'
is "$(login bob whoami)" "" "bob, removed from the tailnet, can no longer log in"
is "$(login mallory whoami)" "" "a foreign-domain user never can"
is "$(login tagged-devices whoami)" "" "tagged devices' pseudo-user never can"
like "$(cat "$T/sshd.log")" "Invalid user bob from 127.0.0.1" \
	"sshd says bob is no user"
check "alice still can" login alice true

stop_tsnssd
done_testing
