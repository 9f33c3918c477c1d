#!/bin/sh
# bench.sh SRCDIR BUILDDIR - `make bench`: figures, not assertions.
# A 10000-user tailnet through the real stack: refresh cost, snapshot size,
# daemon memory, lookup rate through glibc, enumeration time, and how fast
# the stub gives up when tsnssd is absent.
top_srcdir=$1
top_builddir=$2
export top_srcdir top_builddir
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"
probe="$top_builddir/tests/nss-probe"
N=${BENCH_USERS:-10000}

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--self alice@example.com --user "101:alice@example.com:Alice" \
	--random "$N"
start_fake_tailscaled "$T/tailnet.json"
write_config "timeout_ms = 5000"
t0=$(date +%s%N)
start_tsnssd
echo "tailnet:            $N users, $(wc -c <"$T/tailnet.json") bytes of status JSON"
echo "first refresh:      $(ms "$t0") ms from start to socket (fetch, parse, policy, snapshot, persist)"
echo "snapshot on disk:   $(wc -c <"$T/cache/snapshot") bytes"
echo "tsnssd memory:      $(awk '/VmRSS/ { print $2, $3 }' /proc/"$tsnssd_pid"/status) resident"

uid=$(getent passwd alice | cut -d: -f3)
t0=$(date +%s%N)
"$probe" threads 1 20000 alice "$uid" >/dev/null
t=$(ms "$t0")
echo "lookups, 1 thread:  40000 in $t ms ($((40000 * 1000 / (t + 1))) per second, getpwnam_r + getpwuid_r through glibc)"
t0=$(date +%s%N)
"$probe" threads 8 5000 alice "$uid" >/dev/null
t=$(ms "$t0")
echo "lookups, 8 threads: 80000 in $t ms ($((80000 * 1000 / (t + 1))) per second)"
t0=$(date +%s%N)
n=$(getent passwd | wc -l)
echo "getent passwd:      $n lines in $(ms "$t0") ms"
echo "tsnssd memory:      $(awk '/VmRSS/ { print $2, $3 }' /proc/"$tsnssd_pid"/status) resident after the load"
stop_tsnssd >/dev/null

t0=$(date +%s%N)
i=0
while [ $i -lt 1000 ]; do "$probe" pwnam alice 4096 >/dev/null; i=$((i + 1)); done
echo "tsnssd absent:      1000 lookups (process start included) in $(ms "$t0") ms"
