#!/bin/sh
# e2e-attack-reserved-names.sh - issue 17, hole 3: a tailnet user named
# like a service's DynamicUser= user (systemd reuses an existing user of
# that name: webapp@example.com then owned the service), like a name
# systemd-sysusers will create, or like a common system account a
# package creates later (postgres).  Defence: those names are reserved
# by the host and refused, with the reason in --explain.  The units and
# sysusers.d files go in /run, the private tmpfs of this test.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"
[ "$(findmnt -n -o SOURCE /run)" = tsnssd-test ] ||
	skip_all "needs the private tmpfs on /run (TSNSSD_SOCKET_PATH under /run)"
tsnssd="$top_builddir/src/tsnssd"

# a built-in system account name this host has no account of (yet)
sys=
for n in redis nginx memcached rabbitmq mongodb prometheus; do
	grep -q "^$n:" /etc/passwd /etc/group || { sys=$n; break; }
done
[ -n "$sys" ] || bail "every candidate system name is a local account here"

explain() { "$tsnssd" -c "$T/tailscale-nss.conf" --explain "$1"; }

mkdir -p /run/systemd/system /run/sysusers.d
printf '[Unit]\nDescription=web\n[Service]\nDynamicUser=yes\nUser=webapp\nExecStart=/bin/true\n' \
	>/run/systemd/system/web.service
printf '[Service]\nDynamicUser=true\nExecStart=/bin/true\n' \
	>/run/systemd/system/cachesvc.service
printf '[Service]\nUser=plainsvc\nExecStart=/bin/true\n' \
	>/run/systemd/system/plain.service
printf '# comment\nu metricsd - "Metrics" /var/lib/metricsd\ng ingest -\n' \
	>/run/sysusers.d/metrics.conf

tailnet_json --user "101:webapp@example.com:W" --user "102:cachesvc@example.com:C" \
	--user "103:metricsd@example.com:M" --user "104:ingest@example.com:I" \
	--user "105:$sys@example.com:P" --user "106:plainsvc@example.com:S" \
	--user "107:alice@example.com:Alice"
start_fake_tailscaled "$T/tailnet.json"
write_config
start_tsnssd
is "$(getent passwd alice | cut -d: -f1)" alice "alice is a user (the daemon works)"
is "$(getent passwd plainsvc | cut -d: -f1)" plainsvc \
	"User= of a unit without DynamicUser= reserves nothing"
for n in webapp cachesvc metricsd ingest $sys; do
	is "$(getent passwd $n)" "" "$n@example.com gets no user $n"
	is "$(getent group $n)" "" "nor a group $n"
done
like "$(explain webapp@example.com)" \
	"refused: 'webapp' is reserved by the host: the DynamicUser= of web.service in /run/systemd/system" \
	"--explain: User= of a DynamicUser= unit"
like "$(explain cachesvc@example.com)" \
	"refused: 'cachesvc' is reserved by the host: the DynamicUser= of cachesvc.service" \
	"--explain: a DynamicUser= unit without User= reserves its own name"
like "$(explain metricsd@example.com)" \
	"refused: 'metricsd' is reserved by the host: declared in /run/sysusers.d/metrics.conf" \
	"--explain: a u line of sysusers.d"
like "$(explain ingest@example.com)" "refused: 'ingest' is reserved by the host" \
	"--explain: a g line of sysusers.d"
like "$(explain $sys@example.com)" \
	"refused: '$sys' is reserved by the host: in the built-in list" \
	"--explain: the built-in list of system account names"

# a unit installed later is seen without a restart
printf '[Service]\nDynamicUser=1\nUser=alice\n' >/run/systemd/system/late.service
wait_for sh -c '! getent passwd alice'
is "$(getent passwd alice)" "" "a DynamicUser= unit installed later takes the name back"

# hostile files: huge, binary, a FIFO, long lines; the rest still counts
head -c 2000000 /dev/zero >/run/systemd/system/huge.service
printf '[Service]\nDynamicUser=yes\nUser=%s\n' "$(head -c 5000 /dev/zero | tr '\0' x)" \
	>/run/systemd/system/long.service
mkfifo /run/systemd/system/fifo.service
printf 'u \0bad\n' >/run/sysusers.d/nul.conf
out=$(explain webapp@example.com)
like "$out" "reserved by the host: the DynamicUser= of web.service" \
	"bad unit files beside it do not hide a good one (and do not hang tsnssd)"
like "$("$tsnssd" -t -c "$T/tailscale-nss.conf" 2>&1)" \
	"warning: [0-9]+ unit, sysusers.d or subuid/subgid files or lines were left out" \
	"tsnssd -t says what was left out"
printf '[user alice@example.com]\nname = webapp\n' >>"$T/tailscale-nss.conf"
like "$("$tsnssd" -t -c "$T/tailscale-nss.conf" 2>&1)" \
	"warning: .*\\[user alice@example.com\\]: name 'webapp' is reserved by the host" \
	"tsnssd -t warns of a [user] name the host reserves"
done_testing
