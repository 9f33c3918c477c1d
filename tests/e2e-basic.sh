#!/bin/sh
# e2e-basic.sh - the whole path, through real glibc NSS: tailscaled's
# peer list -> tsnssd -> libnss_tailscale.so.2 -> getent, id, ls.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"

# UIDs by the documented rule: 100000 + fnv1a32(login) mod 2147383647
ALICE=346538631
BOB=908245498

python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--self alice@example.com \
	--user "101:alice@example.com:Alice Liddell" \
	--user "102:Bob@Example.com:Builder, Bob" \
	--user "103:mallory@evil.example:Mallory" \
	--user "104:root@example.com:Root Impostor" \
	--user "105:octocat@github:The Octocat" \
	--tagged 2
start_fake_tailscaled "$T/tailnet.json"
write_config "ttl = 5"
start_tsnssd

is "$(getent passwd alice)" \
	"alice:*:$ALICE:$ALICE:Alice Liddell:/home/alice:/bin/bash" \
	"getent passwd alice"
is "$(getent passwd $ALICE)" \
	"alice:*:$ALICE:$ALICE:Alice Liddell:/home/alice:/bin/bash" \
	"getent passwd by uid"
is "$(getent passwd bob)" "bob:*:$BOB:$BOB:Builder Bob:/home/bob:/bin/bash" \
	"mixed-case login, comma in display name"
is "$(getent group alice)" "alice:*:$ALICE:" "getent group alice"
is "$(getent group $ALICE)" "alice:*:$ALICE:" "getent group by gid"
is "$(id alice)" "uid=$ALICE(alice) gid=$ALICE(alice) groups=$ALICE(alice)" \
	"id alice"

touch "$T/owned"
chown "$ALICE:$ALICE" "$T/owned"
is "$(ls -l "$T/owned" | awk '{print $3 ":" $4}')" "alice:alice" \
	"ls -l shows the owner by name"

pw=$(getent passwd)
like "$pw" "
alice:\*:$ALICE:" "enumeration lists alice"
like "$pw" "
bob:\*:$BOB:" "enumeration lists bob"
is "$(getent passwd | grep -c '^root:')" 1 "root listed once, from files"
gr=$(getent group)
like "$gr" "
alice:\*:$ALICE:" "group enumeration lists alice"

check_fails() {
	msg=$1
	shift
	if "$@" >/dev/null 2>&1; then fail "$msg"; else pass "$msg"; fi
}
check_fails "a foreign-domain user is not a user" getent passwd mallory
check_fails "tagged devices are not a user" getent passwd tagged-devices
check_fails "@github login without 'github' in domain" getent passwd octocat
is "$(getent passwd root | cut -d: -f3)" 0 "root@example.com does not shadow root"
check_fails "an unknown name is a clean miss" getent passwd nosuchuser
check_fails "an unknown uid is a clean miss" getent passwd 4242424
check_fails "no uid 0 from tsnssd" sh -c \
	"getent passwd | grep -v '^root:' | cut -d: -f3 | grep -qx 0"

# glibc retries with a bigger buffer on ERANGE; prove each step of it
probe="$top_builddir/tests/nss-probe"
is "$("$probe" pwnam alice 8)" "ERANGE" "a tiny buffer gives ERANGE"
is "$("$probe" pwnam alice 4096)" \
	"alice:*:$ALICE:$ALICE:Alice Liddell:/home/alice:/bin/bash" \
	"a big enough buffer gives the entry"
is "$("$probe" pwnam nosuchuser 4096)" "NOTFOUND" "probe sees a clean miss"

# a user who joins the tailnet shows up without restarting tsnssd
python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--self alice@example.com \
	--user "101:alice@example.com:Alice Liddell" \
	--user "106:carol@example.com:Carol"
wait_for getent passwd carol
check "a new tailnet user appears while tsnssd runs" getent passwd carol
check_fails "a user who left is gone after the refresh" getent passwd bob
like "$(cat "$T/tsnssd.log")" "mallory@evil.example.*refused" \
	"--debug log says why a login was refused"
like "$(cat "$T/tsnssd.log")" "alice@example.com.*accepted: local user alice, uid $ALICE" \
	"--debug log says what each login became"

# the operator's view
ctl="$top_builddir/src/tsnssctl"
out=$("$ctl" status)
like "$out" "snapshot: +2 users, 2 groups" "tsnssctl status: the snapshot"
like "$out" "state: +ok" "tsnssctl status: the refresh state"
like "$out" "requests: +[1-9]" "tsnssctl status: the counters"
is "$("$ctl" lookup carol)" \
	"passwd: carol:*:$("$top_builddir/tests/nss-probe" pwnam carol 4096 | cut -d: -f3):$(getent group carol | cut -d: -f3):Carol:/home/carol:/bin/bash
group:  carol:*:$(getent group carol | cut -d: -f3):" "tsnssctl lookup carol"
like "$("$ctl" dump)" "passwd: alice:.*
passwd: carol:.*
group:  alice:" "tsnssctl dump lists users, then groups"
"$ctl" lookup nosuchuser >/dev/null
is "$?" 1 "tsnssctl lookup: exit 1 for a name not served"
is "$("$ctl" refresh)" "refresh: started" "tsnssctl refresh, as root"
setpriv --reuid=65534 --regid=65534 --clear-groups "$ctl" refresh \
	>/dev/null 2>&1
is "$?" 2 "tsnssctl refresh as nobody is refused"

stop_tsnssd
"$ctl" status >/dev/null 2>&1
is "$?" 2 "tsnssctl status: exit 2 when tsnssd is not running"
done_testing
