#!/bin/sh
# run.sh SRCDIR BUILDDIR SECONDS - build every libFuzzer target with clang
# (ASan+UBSan) and run each for SECONDS.  Exits non-zero on any finding.
# Seeds come from corpus/NAME; new inputs go to a scratch directory so the
# source tree stays as it is.
set -eu
src=$1 build=$2 secs=$3
CC=${CLANG:-clang}
out=$build/tests/fuzz
mkdir -p "$out"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-I$build -I$src/common -I$src/src -I$src/nss -I$src/backends/tailscale
	-I$src/backends/tailscale-api -I$src/backends/common
	-DTSNSSD_SOCKET_PATH=\"/run/tsnssd/socket\"
	-DTSNSSD_MAP_PATH=\"/run/tsnssd/snapshot\"
	-DTSNSSD_CONFIG_PATH=\"/etc/tailscale-nss.conf\"
	-DTSNSSD_CACHE_DIR=\"/var/cache/tsnssd\" -DTSNSSD_PLUGIN_DIR=\"/\""
daemon="$src/src/xmalloc.c $src/src/log.c"
# what the policy needs: keyed UIDs and the claims it consults
policy="$src/src/policy.c $src/src/policy-config.c $src/src/uidkey.c \
	$src/common/snapfile.c $src/common/template.c $src/common/credential.c \
	$src/src/claims.c $src/src/localgroups.c $src/src/variants.c \
	$src/src/idspace.c $src/src/reserved.c $src/src/subid.c \
	$src/src/subidfile.c $src/src/strmap.c $src/src/u32map.c \
	$src/src/recfile.c $src/src/fileio.c $src/src/localdb.c \
	$src/src/keysort.c $src/src/ptrmap.c \
	$(pkg-config --libs libcrypto)"

build_one() {
	name=$1
	shift
	# shellcheck disable=SC2086
	$CC $flags -o "$out/fuzz-$name" "$src/tests/fuzz/fuzz-$name.c" "$@"
}

build_one config $src/src/config.c $policy $src/src/tailnet-groups.c $daemon
build_one request $src/src/request.c $src/src/snapshot.c $policy \
	$src/src/tailnet-groups.c $src/common/wire.c \
	$daemon $(pkg-config --libs libevent_core)
build_one status $src/backends/tailscale/status.c $src/backends/common/jdoc.c \
	$src/backends/common/jscan.c \
	$(pkg-config --cflags --libs json-c)
build_one unpack $src/nss/fill.c $src/common/wire.c
build_one snapfile $src/common/snapfile.c
ts=$src/backends/tailscale
build_one bus $ts/bus.c $src/backends/common/jscan.c $src/backends/common/jdoc.c $ts/i64map.c $ts/status.c \
	$(pkg-config --cflags --libs json-c)
api=$src/backends/tailscale-api
build_one api $api/users.c $src/backends/common/jscan.c $src/backends/common/jdoc.c $api/oauth.c $api/url.c $api/secret.c \
	$src/common/credential.c \
	$(pkg-config --cflags --libs json-c libcurl)

rc=0
for name in config request status unpack snapfile bus api; do
	scratch=$(mktemp -d)
	echo "fuzz-$name: ${secs}s"
	if ! "$out/fuzz-$name" -max_total_time="$secs" -print_final_stats=1 \
		"$scratch" "$src/tests/fuzz/corpus/$name" \
		>"$out/fuzz-$name.log" 2>&1; then
		echo "fuzz-$name: FINDING, see $out/fuzz-$name.log"
		tail -n 40 "$out/fuzz-$name.log"
		rc=1
	else
		grep -E '^Done [0-9]+ runs' "$out/fuzz-$name.log" || true
	fi
	rm -rf "$scratch"
done
exit $rc
