# lib.sh - sourced by the shell tests (POSIX sh: dash runs them).
#
# The tests speak TAP to automake's tap-driver: one "ok N - msg" or
# "not ok N - msg" per check, "1..N" at the end (done_testing), or
# "1..0 # SKIP reason" alone when the test cannot run here (skip_all).
#
# Environment, from the Makefile's TESTS_ENVIRONMENT:
#   top_srcdir, top_builddir  absolute; the source tree may be read-only
#                             (make distcheck), so nothing is written there
#   fixtures                  holds localapi-status.json
#   TSNSSD_SOCKET_PATH        the daemon socket compiled into the stub
#   TSNSSD_WRAPPER            optional command tsnssd runs under (valgrind)
#   TSNSSD_SANITIZED          the sanitizer flags tsnssd was built with, if any
#
# Functions, in the order below:
#   TAP:     pass MSG | fail MSG | check MSG [--] CMD... | is GOT WANT MSG
#            like GOT REGEX MSG | diag TEXT... | done_testing | bail MSG
#            skip MSG REASON | skip_all REASON
#   setup:   setup_tmpdir | private_mounts "$@" | enter_namespace "$@"
#            track_pid PID
#   helpers: start_fake_tailscaled FILE [ARGS] | stop_fake_tailscaled
#            set_mode WORD | set_bus WORD | ts_requests | bus_requests
#            start_fake_tsapi USERS_FILE [ARGS] | api_requests REGEX
#            write_config [--section NAME] [--daemon LINE] [LINE]...
#            start_tsnssd [ARGS] | stop_tsnssd | wait_for CMD...
#            write_tailnet ARG... | within SECONDS CMD...
#
# Variables a test may read: T (its private directory), tsnssd_pid, ts_pid.
# Names this file uses for itself start with _lib_, so a test can use any
# other name freely.

: "${top_srcdir:?top_srcdir is not set (make check sets it)}"
: "${top_builddir:=$top_srcdir}"
: "${fixtures:=$top_srcdir/tests/fixtures}"
: "${TSNSSD_SOCKET_PATH:=/run/tsnssd/socket}"
: "${TSNSSD_WRAPPER:=}"
: "${TSNSSD_SANITIZED:=}"

_lib_n=0         # TAP points so far
_lib_failed=0    # of which failed
_lib_pids=       # processes to end when the test exits
tsnssd_pid=
ts_pid=

# A wrapper such as valgrind makes everything several times slower.
if [ -n "$TSNSSD_WRAPPER" ]; then _lib_slow=6; else _lib_slow=1; fi

# --- TAP --------------------------------------------------------------------

# diag TEXT...: each line of each argument as a TAP comment.
diag() {
	for _lib_d in "$@"; do
		printf '%s\n' "$_lib_d" | sed 's/^/# /'
	done
}

# A newline in a message would end the TAP line early.
_lib_point() {
	_lib_n=$((_lib_n + 1))
	printf '%s %d - %s\n' "$1" "$_lib_n" "$(printf '%s' "$2" | tr '\n' ' ')"
}

pass() { _lib_point ok "$*"; }

fail() {
	_lib_failed=$((_lib_failed + 1))
	_lib_point "not ok" "$*"
}

# check MSG [--] CMD...: ok if CMD exits 0; its output is shown only on failure.
check() {
	_lib_msg=$1
	shift
	[ "${1-}" = -- ] && shift
	if _lib_out=$("$@" 2>&1); then
		pass "$_lib_msg"
	else
		_lib_rc=$?
		fail "$_lib_msg"
		diag "command: $*" "exit status: $_lib_rc"
		[ -z "$_lib_out" ] || diag "$_lib_out"
	fi
}

# is GOT WANT MSG: string equality.
is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3"
		diag "  got: '$1'" " want: '$2'"
	fi
}

# like GOT REGEX MSG: GOT matches the Perl regular expression REGEX (an ERE
# plus Perl's extensions; perl is part of every Debian).  GOT is taken
# whole: ^ and $ anchor at its ends, . does not match a newline, and a
# newline in REGEX matches one in GOT (so "<newline>bob:" is a line, not
# the first, starting with bob:).  GOT goes through a pipe, so it may be
# larger than the environment allows.
like() {
	if printf '%s' "$1" | _lib_re=$2 perl -e \
		'local $/; my $s = <STDIN> // ""; exit($s =~ /$ENV{_lib_re}/ ? 0 : 1)'; then
		pass "$3"
	else
		fail "$3"
		diag "  got: '$1'" " want: /$2/"
	fi
}

# done_testing: the plan; a failed check makes the exit status 1.
done_testing() {
	echo "1..$_lib_n"
	[ "$_lib_failed" -eq 0 ] || exit 1
	exit 0
}

# bail MSG: stop the whole test now; the driver reports an error.
bail() {
	echo "Bail out! $*"
	exit 1
}

# skip_all REASON: the test cannot run here; only valid before any check.
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# skip MSG REASON: one check that cannot run here; the driver counts it as
# skipped, never as passed.
skip() {
	_lib_point ok "$1 # SKIP $2"
}

# --- processes and the private directory ---------------------------------------

# track_pid PID: end PID (a child of this shell) when the test exits.
track_pid() {
	_lib_pids="$_lib_pids $1"
}

# Whether PID still runs: a child that exited but is not reaped yet is a
# zombie, which kill -0 still finds.
_lib_alive() {
	[ -r "/proc/$1/stat" ] &&
		! sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | grep -q '^Z'
}

# _lib_end SECONDS PID...: TERM, up to SECONDS for them to go, then KILL;
# reaps them.
_lib_end() {
	_lib_secs=$1
	shift
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null
	_lib_i=$((_lib_secs * 10))
	while [ "$_lib_i" -gt 0 ]; do
		_lib_any=
		for _lib_p in "$@"; do
			_lib_alive "$_lib_p" && _lib_any=1
		done
		[ -n "$_lib_any" ] || break
		sleep 0.1
		_lib_i=$((_lib_i - 1))
	done
	kill -KILL "$@" 2>/dev/null
	wait "$@" 2>/dev/null
	return 0
}

_lib_cleanup() {
	_lib_status=$?
	trap - EXIT
	# shellcheck disable=SC2086 # a list of pids
	_lib_end 5 $_lib_pids
	# A test's mounts under $T go first, deepest first, and rm stays on
	# $T's own file system in case one could not: a bind mount of /dev or
	# an overlay of / must never be emptied.
	awk -v t="$T" '$2 == t || index($2, t "/") == 1 { print $2 }' \
		/proc/self/mounts | sort -r | while read -r _lib_m; do
		umount -l "$_lib_m" 2>/dev/null
	done
	if [ -n "${TSNSSD_KEEP_TMP-}" ]; then
		echo "# kept $T"
	else
		rm -rf --one-file-system "$T"
	fi
	exit "$_lib_status"
}

# setup_tmpdir: make $T, a private directory removed at exit together with
# every process started through this file (or given to track_pid).  Set
# TSNSSD_KEEP_TMP=1 to keep $T for a post-mortem.  Not under /run, which
# enter_namespace hides.
setup_tmpdir() {
	T=$(mktemp -d /tmp/tsnssd-test.XXXXXX) || bail "mktemp failed"
	chmod 755 "$T" # tests may run commands as other users
	trap _lib_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# private_mounts "$@": run the rest of the test in a private mount
# namespace (skip it if not root): re-exec this script under unshare -m;
# exec keeps the pid, which is how the second pass knows it is inside.
private_mounts() {
	[ "$(id -u)" = 0 ] || skip_all "needs root for unshare -m"
	if [ "${_TSNSSD_TEST_NS-}" != "$$" ]; then
		unshare -m --propagation private true 2>/dev/null ||
			skip_all "unshare -m does not work here"
		_TSNSSD_TEST_NS=$$
		export _TSNSSD_TEST_NS
		exec unshare -m --propagation private /bin/sh "$0" "$@"
	fi
}

# enter_namespace "$@": run the rest of the test in a private mount
# namespace where glibc's NSS goes files -> tailscale (our stub) and nowhere
# else, with nothing changed on the host:
#  - private_mounts (not root: skip the test);
#  - inside: $T, a fresh tmpfs on /run (so the daemon socket directory starts
#    empty, and nscd's socket is hidden: glibc would otherwise ask nscd,
#    which knows nothing of our nsswitch.conf), our nsswitch.conf
#    bind-mounted over /etc/nsswitch.conf, and LD_LIBRARY_PATH pointing at
#    the freshly built libnss_tailscale.so.2.  Setuid programs ignore
#    LD_LIBRARY_PATH, so they do not see the stub.
enter_namespace() {
	private_mounts "$@"
	setup_tmpdir
	_lib_sockdir=$(dirname "$TSNSSD_SOCKET_PATH")
	_lib_top=$(dirname "$_lib_sockdir")
	if [ "$(readlink -f "$_lib_top")" = /run ]; then
		mount -t tmpfs -o mode=755 tsnssd-test /run ||
			bail "cannot mount a tmpfs on /run"
	else
		# Somewhere else: hide the socket directory's parent, not the
		# directory itself: the stub does not trust a map whose
		# directory is a mount point.
		mkdir -p "$_lib_top" || bail "cannot create $_lib_top"
		mount -t tmpfs -o mode=755 tsnssd-test "$_lib_top" ||
			bail "cannot mount a tmpfs on $_lib_top"
	fi
	mkdir -p "$_lib_sockdir" || bail "cannot create $_lib_sockdir"

	cat >"$T/nsswitch.conf" <<-EOF
		passwd: files tailscale
		group: files tailscale
		shadow: files
		hosts: files
	EOF
	mount --bind "$T/nsswitch.conf" /etc/nsswitch.conf ||
		bail "cannot bind-mount $T/nsswitch.conf on /etc/nsswitch.conf"

	# libtool's build puts the stub here under the name glibc dlopen()s.
	LD_LIBRARY_PATH="$top_builddir/nss/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	export LD_LIBRARY_PATH
	[ -e "$top_builddir/nss/.libs/libnss_tailscale.so.2" ] ||
		bail "$top_builddir/nss/.libs/libnss_tailscale.so.2 is not built"
}

# _lib_wait_socket PATH TENTHS PID: until PATH is a socket; fails early if
# PID is gone.
_lib_wait_socket() {
	_lib_i=$2
	while [ "$_lib_i" -gt 0 ]; do
		[ -S "$1" ] && return 0
		_lib_alive "$3" || return 1
		sleep 0.1
		_lib_i=$((_lib_i - 1))
	done
	[ -S "$1" ]
}

# _lib_tail FILE: its last lines, as TAP comments.
_lib_tail() {
	if [ -s "$1" ]; then
		diag "last lines of $1:"
		tail -n 30 "$1" | sed 's/^/#   /'
	else
		diag "$1 is empty"
	fi
}

# --- the tailscaled stand-in ----------------------------------------------------

# start_fake_tailscaled TAILNET_FILE [ARGS]: serve TAILNET_FILE (re-read on
# every request) on $T/tailscaled.sock; faults come from $T/mode (set_mode),
# the IPN bus's control word from $T/bus (set_bus),
# requests are logged to $T/ts.log, its stderr goes to $T/fake-tailscaled.log.
start_fake_tailscaled() {
	_lib_tailnet=$1
	shift
	rm -f "$T/tailscaled.sock"
	python3 "$top_srcdir/tests/fake-tailscaled.py" \
		--socket "$T/tailscaled.sock" --tailnet "$_lib_tailnet" \
		--mode-file "$T/mode" --bus-file "$T/bus" --log "$T/ts.log" "$@" \
		</dev/null >>"$T/fake-tailscaled.log" 2>&1 &
	ts_pid=$!
	track_pid "$ts_pid"
	# it creates the socket only once it accepts connections
	if ! _lib_wait_socket "$T/tailscaled.sock" 50 "$ts_pid"; then
		_lib_tail "$T/fake-tailscaled.log"
		bail "the tailscaled stand-in did not start"
	fi
}

# stop_fake_tailscaled: SIGTERM; it removes its socket.
stop_fake_tailscaled() {
	[ -n "$ts_pid" ] || return 0
	_lib_end 5 "$ts_pid"
	ts_pid=
}

# set_mode WORD: the stand-in's answer from its next status request on
# (normal, hang, slow, http500, garbage, truncated, badchunk, huge, close,
# notrunning, loggedout; see fake-tailscaled.py).
set_mode() {
	printf '%s\n' "$1" >"$T/mode.tmp" && mv -f "$T/mode.tmp" "$T/mode"
}

# set_bus WORD...: the stand-in's IPN bus control (normal, nobus, rebuild,
# cut TOKEN, behind TOKEN; see fake-tailscaled.py).
set_bus() {
	printf '%s\n' "$*" >"$T/bus.tmp" && mv -f "$T/bus.tmp" "$T/bus"
}

# bus_requests: how many IPN bus subscriptions the stand-in has had so far.
bus_requests() {
	if [ -f "$T/ts.log" ]; then
		awk '$2 ~ /^\/localapi\/v0\/watch-ipn-bus/ { n++ } END { print n + 0 }' \
			"$T/ts.log"
	else
		echo 0
	fi
}

# ts_requests: how many status requests the stand-in has had so far.
ts_requests() {
	if [ -f "$T/ts.log" ]; then
		awk '$2 ~ /^\/localapi\/v0\/status([?]|$)/ { n++ } END { print n + 0 }' \
			"$T/ts.log"
	else
		echo 0
	fi
}

# --- the control-plane API stand-in ----------------------------------------------

# start_fake_tsapi USERS_FILE [ARGS]: the API on 127.0.0.1 at a free port,
# serving USERS_FILE (re-read on every request); api_url is its base URL.
# Faults come from $T/api-mode (set_api_mode), requests are logged to
# $T/api.log, its stderr goes to $T/fake-tsapi.log.
start_fake_tsapi() {
	_lib_users=$1
	shift
	rm -f "$T/api.port"
	python3 "$top_srcdir/tests/fake-tsapi.py" --port-file "$T/api.port" \
		--users "$_lib_users" --mode-file "$T/api-mode" --log "$T/api.log" \
		"$@" </dev/null >>"$T/fake-tsapi.log" 2>&1 &
	api_pid=$!
	track_pid "$api_pid"
	_lib_i=50
	while [ ! -s "$T/api.port" ] && [ "$_lib_i" -gt 0 ] &&
		_lib_alive "$api_pid"; do
		sleep 0.1
		_lib_i=$((_lib_i - 1))
	done
	if [ ! -s "$T/api.port" ]; then
		_lib_tail "$T/fake-tsapi.log"
		bail "the API stand-in did not start"
	fi
	api_url="http://127.0.0.1:$(cat "$T/api.port")"
}

stop_fake_tsapi() {
	[ -n "${api_pid-}" ] || return 0
	_lib_end 5 "$api_pid"
	api_pid=
}

# set_api_mode WORD: the API stand-in's answer to users requests from the
# next on (normal, 401, 403, 429, 500, hang, garbage, truncated, huge,
# revoke; see fake-tsapi.py).
set_api_mode() {
	printf '%s\n' "$1" >"$T/api-mode.tmp" && mv -f "$T/api-mode.tmp" "$T/api-mode"
}

# api_requests REGEX: how many lines of the stand-in's log match REGEX.
api_requests() {
	if [ -f "$T/api.log" ]; then
		grep -c -E "$1" "$T/api.log"
	else
		echo 0
	fi
}

# --- tsnssd ----------------------------------------------------------------------

# _lib_section EXTRA DEFAULT...: the default lines whose key EXTRA (lines)
# does not set, then EXTRA.
_lib_section() {
	_lib_x=$1
	shift
	for _lib_l in "$@"; do
		printf '%s' "$_lib_x" |
			grep -q "^[[:space:]]*${_lib_l%% *}[[:space:]]*=" ||
			printf '%s\n' "$_lib_l"
	done
	printf '%s' "$_lib_x"
}

# write_config [--section NAME] [--daemon LINE]... [LINE]...:
# $T/tailscale-nss.conf for a tsnssd that listens on $TSNSSD_SOCKET_PATH,
# caches in $T/cache, loads the plugin from the build tree and asks the
# stand-in.  Each LINE is added to the backend section, [tailscale] unless
# --section names another (its plugin from backends/NAME), each --daemon
# LINE to [daemon]; a line whose key is one of the defaults (socket,
# domain, cache_dir, ...) replaces it:
#   write_config "ttl = 5" "domain = example.com, github"
write_config() {
	_lib_dx=
	_lib_bx=
	_lib_sec=tailscale
	while [ $# -gt 0 ]; do
		if [ "$1" = --section ] && [ $# -ge 2 ]; then
			_lib_sec=$2
			shift 2
		elif [ "$1" = --daemon ] && [ $# -ge 2 ]; then
			_lib_dx="$_lib_dx$2
"
			shift 2
		else
			_lib_bx="$_lib_bx$1
"
			shift
		fi
	done
	mkdir -p "$T/cache"
	{
		echo "[daemon]"
		_lib_section "$_lib_dx" "socket = $TSNSSD_SOCKET_PATH" \
			"cache_dir = $T/cache" \
			"plugin_dir = $top_builddir/backends/$_lib_sec/.libs"
		echo "[$_lib_sec]"
		if [ "$_lib_sec" = tailscale ]; then
			_lib_section "$_lib_bx" "socket = $T/tailscaled.sock" \
				"domain = example.com"
		else
			_lib_section "$_lib_bx" "domain = example.com"
		fi
	} >"$T/tailscale-nss.conf"
	chmod 644 "$T/tailscale-nss.conf" # tsnssd refuses a writable config
}

# start_tsnssd [ARGS]: tsnssd in the foreground with --debug, under
# $TSNSSD_WRAPPER if set, its output in $T/tsnssd.log (an earlier run's
# moves to $T/tsnssd.log.old).  Returns once the daemon socket exists:
# tsnssd listens only when it has something to answer (a cached snapshot
# or the end of its first refresh).  Bails out if it does not come up.
start_tsnssd() {
	rm -f "$TSNSSD_SOCKET_PATH"
	if [ -s "$T/tsnssd.log" ]; then
		cat "$T/tsnssd.log" >>"$T/tsnssd.log.old"
	fi
	: >"$T/tsnssd.log"
	# shellcheck disable=SC2086 # the wrapper is a command line
	$TSNSSD_WRAPPER "$top_builddir/src/tsnssd" --foreground --debug \
		--config "$T/tailscale-nss.conf" "$@" \
		</dev/null >>"$T/tsnssd.log" 2>&1 &
	tsnssd_pid=$!
	track_pid "$tsnssd_pid"
	if ! _lib_wait_socket "$TSNSSD_SOCKET_PATH" $((100 * _lib_slow)) \
		"$tsnssd_pid"; then
		_lib_alive "$tsnssd_pid" || diag "tsnssd exited"
		_lib_tail "$T/tsnssd.log"
		bail "tsnssd did not start: no socket $TSNSSD_SOCKET_PATH"
	fi
}

# stop_tsnssd: SIGTERM, and one TAP point: it must exit with status 0
# within 10 s (longer under a wrapper), which also catches a crash earlier
# on and, under valgrind --error-exitcode, any memory error.
stop_tsnssd() {
	[ -n "$tsnssd_pid" ] || return 0
	kill -TERM "$tsnssd_pid" 2>/dev/null
	_lib_i=$((100 * _lib_slow))
	while [ "$_lib_i" -gt 0 ] && _lib_alive "$tsnssd_pid"; do
		sleep 0.1
		_lib_i=$((_lib_i - 1))
	done
	if _lib_alive "$tsnssd_pid"; then
		kill -KILL "$tsnssd_pid" 2>/dev/null
		wait "$tsnssd_pid" 2>/dev/null
		fail "tsnssd stops on SIGTERM"
		diag "it did not exit in time and was killed"
		_lib_tail "$T/tsnssd.log"
	else
		wait "$tsnssd_pid"
		_lib_rc=$?
		if [ "$_lib_rc" -eq 0 ]; then
			pass "tsnssd stops cleanly on SIGTERM"
		else
			fail "tsnssd stops cleanly on SIGTERM"
			diag "exit status $_lib_rc"
			_lib_tail "$T/tsnssd.log"
		fi
	fi
	tsnssd_pid=
}

# start_sshd USER...: Debian's sshd on 127.0.0.1 with a PAM stack like
# Debian's (with conf/pam-sshd.example's pam_mkhomedir line), key logins
# for each USER, and the stub where glibc looks by default (sshd gives
# the session a clean environment, without LD_LIBRARY_PATH): an overlay
# seen only in this namespace.  Then `login USER CMD` runs CMD over ssh.
start_sshd() {
	[ -x /usr/sbin/sshd ] || skip_all "openssh-server is not installed"
	command -v ssh >/dev/null || skip_all "openssh-client is not installed"
	_lib_libc=$(ldd /bin/true | awk '/libc.so.6/ { print $3 }')
	_lib_libdir=$(dirname "$(readlink -f "$_lib_libc")")
	mkdir "$T/nsslib" "$T/keys"
	cp "$top_builddir/nss/.libs/libnss_tailscale.so.2" "$T/nsslib/"
	mount -t overlay overlay -o "lowerdir=$T/nsslib:$_lib_libdir" \
		"$_lib_libdir" || bail "cannot overlay the stub onto $_lib_libdir"
	{
		echo "auth     required pam_unix.so"
		echo "account  required pam_unix.so"
		grep -v '^#' "$top_srcdir/conf/pam-sshd.example" | grep .
		echo "session  required pam_unix.so"
	} >"$T/pam-sshd"
	mount --bind "$T/pam-sshd" /etc/pam.d/sshd
	mkdir -p /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
	ssh-keygen -q -t ed25519 -N '' -f "$T/id"
	for _lib_u in "$@"; do
		cp "$T/id.pub" "$T/keys/$_lib_u"
	done
	sshd_port=$((20000 + $$ % 20000))
	cat >"$T/sshd_config" <<-EOT
		Port $sshd_port
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
	/usr/sbin/sshd -D -e -f "$T/sshd_config" 2>"$T/sshd.log" &
	track_pid $!
	wait_for grep -q "Server listening" "$T/sshd.log" ||
		{ _lib_tail "$T/sshd.log"; bail "sshd did not start"; }
}

login() {
	timeout 20 ssh -q -i "$T/id" -p "$sshd_port" -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		"$1@127.0.0.1" "$2" 2>>"$T/ssh.err"
}

# wait_for CMD...: until CMD succeeds (its output discarded), polling every
# 0.1 s for up to 10 s (longer under a wrapper); the status is CMD's last.
wait_for() {
	_lib_i=$((100 * _lib_slow))
	while [ "$_lib_i" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_lib_i=$((_lib_i - 1))
	done
	"$@" >/dev/null 2>&1
}

# settled FILE: until FILE exists and is not replaced for a while (0.3 s,
# longer under a wrapper).  The worker writes the copies it keeps for
# restarts (cache_dir's snapshot, identities.*) just after it hands a
# snapshot over, so a lookup can be answered before they are on disk.
settled() {
	wait_for test -e "$1" || return 1
	_lib_nap=$(awk -v s="$_lib_slow" 'BEGIN { print 0.3 * s }')
	_lib_k=20
	_lib_st=$(stat -c %i.%s "$1" 2>/dev/null)
	while [ "$_lib_k" -gt 0 ]; do
		sleep "$_lib_nap"
		_lib_now=$(stat -c %i.%s "$1" 2>/dev/null)
		[ "$_lib_now" != "$_lib_st" ] || return 0
		_lib_st=$_lib_now
		_lib_k=$((_lib_k - 1))
	done
	return 1
}

# overlay_root DIR: a throwaway root at DIR, an overlay of / whose writes
# land in a tmpfs under $T (an overlay's upper layer may not be on
# overlayfs, and / may be).  Returns non-zero if overlayfs cannot do it.
overlay_root() {
	mkdir -p "$T/ov" "$1" || bail "cannot create $1"
	mount -t tmpfs -o mode=755 tsnssd-root "$T/ov" || bail "cannot mount a tmpfs"
	mkdir "$T/ov/upper" "$T/ov/work"
	mount -t overlay tsnssd-root \
		-o "lowerdir=/,upperdir=$T/ov/upper,workdir=$T/ov/work" "$1"
}

# --- tailnets and deadlines --------------------------------------------------

# write_tailnet ARG...: $T/tailnet.json for the stand-in, tailscaled
# 1.102.3 owned by alice@example.com; each ARG a user ID:LOGIN:DISPLAY or
# --groups=ID:G1,G2 (that user's tailnet groups).
write_tailnet() {
	_lib_args=
	for _lib_u in "$@"; do
		case $_lib_u in
		--groups=*) _lib_args="$_lib_args '$_lib_u'" ;;
		*) _lib_args="$_lib_args --user '$_lib_u'" ;;
		esac
	done
	eval python3 "\"$top_srcdir/tests/tailnet.py\"" -o "\"$T/tailnet.json\"" \
		--version 1.102.3 --self alice@example.com $_lib_args
}

# tailnet_json ARG...: $T/tailnet.json from tests/tailnet.py's own
# arguments (--user ID:LOGIN:DISPLAY, --groups ID:G1,G2, --self ...).
tailnet_json() {
	python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" "$@"
}

# fnv_id NAME: the unkeyed id tsnssd derives for NAME (a login or a
# tailnet group such as group:admins) in the default range, by the rule
# of tailscale-nss.conf(5): 100000 + fnv1a32(NAME) mod (2^31 - 100000).
fnv_id() {
	python3 - "$1" <<-'PY'
		import sys
		h = 2166136261
		for c in sys.argv[1].encode():
		    h = ((h ^ c) * 16777619) % 2**32
		print(100000 + h % (2147483646 + 1 - 100000))
	PY
}

# rebuilt: SIGHUP tsnssd, wait until it has applied one more fresh backend
# answer (a poll's "fetched" or a new bus subscription, then a build or
# "unchanged"), then until its log has been quiet for half a second: the
# stand-in may push the change it was just given a moment later.
_lib_applied() {
	awk '/fetched [0-9]+ bytes|following tailscaled.s IPN bus/ { f = 1 }
	     /snapshot [0-9]+: .* from .* identities|backend answer unchanged/ && f {
		n++; f = 0 }
	     END { print n + 0 }' "$T/tsnssd.log"
}
_lib_applied_more() { [ "$(_lib_applied)" -gt "$1" ]; }
_lib_quiet() {
	_lib_q=$(wc -c <"$T/tsnssd.log")
	sleep "$((5 * _lib_slow / 10)).$((5 * _lib_slow % 10))"
	[ "$(wc -c <"$T/tsnssd.log")" = "$_lib_q" ]
}
rebuilt() {
	_lib_was=$(_lib_applied)
	kill -HUP "$tsnssd_pid"
	wait_for _lib_applied_more "$_lib_was" || return 1
	_lib_k=$((20 * _lib_slow))
	until _lib_quiet; do
		_lib_k=$((_lib_k - 1))
		[ "$_lib_k" -gt 0 ] || return 1
	done
}

# private_accounts: /etc/passwd and /etc/group become copies in $T
# ($T/passwd, $T/group) that the test may change, bind-mounted over the
# host's inside the namespace.
private_accounts() {
	cp /etc/passwd "$T/passwd" && cp /etc/group "$T/group" ||
		bail "cannot copy the local accounts"
	mount --bind "$T/passwd" /etc/passwd &&
		mount --bind "$T/group" /etc/group ||
		bail "cannot bind-mount the copies of the local accounts"
}

# within SECONDS CMD...: CMD succeeds within SECONDS (a correctness bound,
# stretched under a wrapper); $took says how long it took in ms, or
# "timeout".
within() {
	_lib_secs=$1
	shift
	_lib_t0=$(date +%s%N)
	_lib_end=$((_lib_t0 + _lib_secs * _lib_slow * 1000000000))
	while :; do
		if "$@" >/dev/null 2>&1; then
			took=$((($(date +%s%N) - _lib_t0) / 1000000))
			return 0
		fi
		[ "$(date +%s%N)" -lt "$_lib_end" ] || break
		sleep 0.05
	done
	took=timeout
	return 1
}
