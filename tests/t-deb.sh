#!/bin/sh
# t-deb.sh - the packages, as an admin gets them:
#  - the versions in debian/changelog and nix/package.nix are configure.ac's;
#  - nix/package.nix and nix/module.nix parse, and evaluate offline against
#    a small stand-in for nixpkgs' lib (what the module wires when enabled);
#  - "make deb" builds tsnssd and libnss-tailscale from a clean copy of the
#    source, and lintian --fail-on error passes them;
#  - dpkg -i installs them into a throwaway root (an overlayfs over / in a
#    private mount namespace, entered with chroot, tmpfs on /run and /tmp):
#    nsswitch.conf gains "tailscale" right after "files" for passwd and
#    group and nothing else, no config is shipped, the unit is not enabled,
#    tsnssd runs, and getent finds a tailnet user through the installed
#    module and daemon (against the tailscaled stand-in);
#  - installing again changes nothing; dpkg --remove puts nsswitch.conf
#    back byte for byte, and dpkg --purge leaves no file of ours.
# Nothing on the host changes. Slow (it builds the packages), so it is not
# part of make check: make check-deb runs it, and .ci/run.
. "$top_srcdir/tests/lib.sh"

[ "${TSNSSD_CHECK_DEB-}" = yes ] ||
	skip_all "builds the packages, which takes a while: make check-deb runs it"
[ "$(id -u)" = 0 ] || skip_all "needs root (mount, chroot, dpkg -i)"
missing=
for tool in dpkg-buildpackage dpkg-checkbuilddeps dh dh_installnss lintian \
	unshare chroot python3; do
	command -v "$tool" >/dev/null || missing="$missing $tool"
done
[ -z "$missing" ] || skip_all "not installed:$missing (apt-get install dpkg-dev debhelper dh-nss lintian)"
if ! out=$(dpkg-checkbuilddeps "$top_srcdir/debian/control" 2>&1); then
	skip_all "build dependencies missing: $(printf '%s' "$out" | tr '\n' ' ')"
fi
for p in tsnssd libnss-tailscale; do
	dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^i' &&
		skip_all "$p is installed on this host: the throwaway root would start with it"
done
private_mounts "$@"
setup_tmpdir
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

# --- versions ------------------------------------------------------------------
version=$(sed -n 's/^AC_INIT(\[tsnssd\], *\[\([^]]*\)\].*/\1/p' \
	"$top_srcdir/configure.ac")
[ -n "$version" ] || bail "no version in AC_INIT of configure.ac"
debversion=$(dpkg-parsechangelog -l "$top_srcdir/debian/changelog" -S Version)
is "${debversion%-*}" "$version" \
	"debian/changelog's upstream version is configure.ac's ($version)"

# --- Nix -------------------------------------------------------------------------
# The stand-ins below give package.nix and module.nix only what they use;
# nixpkgs itself is not here (no network), so this checks their logic, not
# nixpkgs' option types.
cat >"$T/eval-package.nix" <<'EOF'
{ nixdir }:
let
  stub = name: { inherit name; };
  drv = import (nixdir + "/package.nix") {
    lib = { cleanSource = p: p; platforms.linux = [ "x86_64-linux" ]; };
    stdenv.mkDerivation = attrs: attrs;
    autoreconfHook = stub "autoreconfHook";
    pkg-config = stub "pkg-config";
    libevent = stub "libevent";
    json_c = stub "json-c";
    curl = stub "curl";
    openssl = stub "openssl";
    systemd = stub "systemd";
  };
in
"${drv.pname} ${drv.version} "
+ builtins.concatStringsSep "," (map (p: p.name) (drv.nativeBuildInputs ++ drv.buildInputs))
EOF
cat >"$T/eval-module.nix" <<'EOF'
{ nixdir, enable, createHome, mergeLocalGroups ? false }:
let
  lib = rec {
    mkOption = o: o;
    mkEnableOption = what: { type = "bool"; default = false; };
    literalExpression = t: t;
    mkIf = cond: v: if cond then v else { };
    mkDefault = v: v;
    toList = x: if builtins.isList x then x else [ x ];
    concatMapStringsSep = sep: f: l: builtins.concatStringsSep sep (map f l);
    mapAttrs = builtins.mapAttrs;
    mapAttrsToList = f: a: map (n: f n a.${n}) (builtins.attrNames a);
    hasPrefix = p: s: builtins.substring 0 (builtins.stringLength p) s == p;
    generators.mkValueStringDefault = _: v: toString v;
    generators.mkKeyValueDefault = _: sep: k: v: "${k}${sep}${toString v}";
    types = {
      package = "package"; bool = "bool"; str = "str";
      attrsOf = t: "attrsOf";
      listOf = t: "listOf";
      submodule = m: "submodule";
      coercedTo = a: f: b: "coercedTo";
    };
  };
  pkgs = {
    callPackage = path: args: "tsnssd-package";
    formats.ini = args: {
      type = "ini";
      generate = name: value: { store = name; inherit value; };
    };
  };
  cfg = {
    inherit enable createHome mergeLocalGroups;
    package = "tsnssd-package";
    credentials = { "tsapi-key" = "/etc/tsnssd/api.key"; };
    settings = {
      tailscale.domain = [ "example.com" ];
      "tailscale-api" = {
        domain = [ "example.com" ];
        shell = "/bin/sh";
        api_key_file = "credential:tsapi-key";
      };
      "group admins" = { gid = 5000; members = [ "role:admin" ]; };
    };
  };
  m = import (nixdir + "/module.nix") {
    inherit lib pkgs;
    config = { services.tsnssd = cfg; services.nscd.enable = true; };
  };
  c = m.config;
in
{
  options = builtins.attrNames m.options.services.tsnssd;
  nssModules = c.system.nssModules or [ ];
  passwd = c.system.nssDatabases.passwd or [ ];
  group = c.system.nssDatabases.group or [ ];
  etc = c.environment.etc."tailscale-nss.conf".source or null;
  unit = c.systemd.packages or [ ];
  wantedBy = c.systemd.services.tsnssd.wantedBy or [ ];
  loadCredential = c.systemd.services.tsnssd.serviceConfig.LoadCredential or [ ];
  mkhomedir = builtins.attrNames (c.security.pam.services or { });
  conf = c.environment.etc."tailscale-nss.conf".source.value or null;
}
EOF

if command -v nix-instantiate >/dev/null; then
	for f in package.nix module.nix; do
		check "nix-instantiate --parse nix/$f" \
			nix-instantiate --parse "$top_srcdir/nix/$f"
	done
	# No store is needed to evaluate; keep nix's state out of the host's.
	export NIX_STATE_DIR="$T/nix-state" NIX_LOG_DIR="$T/nix-log"
	export HOME="$T"
	nixeval() {
		nix-instantiate --eval --strict --json "$@" 2>&1
	}
	got=$(nixeval "$T/eval-package.nix" --arg nixdir "$top_srcdir/nix")
	is "$got" "\"tsnssd $version autoreconfHook,pkg-config,libevent,json-c,curl,openssl,systemd\"" \
		"nix/package.nix: version $version, built with autoreconfHook, pkg-config, libevent, json-c, curl, openssl, systemd"
	got=$(nixeval "$T/eval-module.nix" --arg nixdir "$top_srcdir/nix" \
		--arg enable true --arg createHome true)
	is "$got" '{"conf":{"group admins":{"gid":5000,"members":["role:admin"]},"tailscale":{"domain":["example.com"],"shell":"/run/current-system/sw/bin/bash"},"tailscale-api":{"api_key_file":"credential:tsapi-key","domain":["example.com"],"shell":"/bin/sh"}},"etc":{"store":"tailscale-nss.conf","value":{"group admins":{"gid":5000,"members":["role:admin"]},"tailscale":{"domain":["example.com"],"shell":"/run/current-system/sw/bin/bash"},"tailscale-api":{"api_key_file":"credential:tsapi-key","domain":["example.com"],"shell":"/bin/sh"}}},"group":["tailscale"],"loadCredential":["tsapi-key:/etc/tsnssd/api.key"],"mkhomedir":["login","sshd","su"],"nssModules":["tsnssd-package"],"options":["createHome","credentials","enable","mergeLocalGroups","package","settings"],"passwd":["tailscale"],"unit":["tsnssd-package"],"wantedBy":["multi-user.target"]}' \
		"nix/module.nix enabled: settings to /etc/tailscale-nss.conf, a shell NixOS has for a backend section without one (not for [group]), the module in nssModules, tailscale for passwd and group, the unit, its credentials as LoadCredential=, pam_mkhomedir"
	got=$(nixeval "$T/eval-module.nix" --arg nixdir "$top_srcdir/nix" \
		--arg enable true --arg createHome false)
	like "$got" '"mkhomedir":\[\]' "nix/module.nix: no pam_mkhomedir unless createHome"
	got=$(nixeval "$T/eval-module.nix" --arg nixdir "$top_srcdir/nix" \
		--arg enable true --arg createHome false --arg mergeLocalGroups true)
	like "$got" '"group":\["\[SUCCESS=merge\] tailscale"\]' \
		"nix/module.nix: mergeLocalGroups gives group: files [SUCCESS=merge] tailscale"
	got=$(nixeval "$T/eval-module.nix" --arg nixdir "$top_srcdir/nix" \
		--arg enable false --arg createHome true)
	like "$got" '"conf":null,.*"group":\[\],"loadCredential":\[\],"mkhomedir":\[\],"nssModules":\[\],.*"passwd":\[\],"unit":\[\],"wantedBy":\[\]' \
		"nix/module.nix disabled: wires nothing"
else
	for what in "parse nix/package.nix" "parse nix/module.nix" \
		"evaluate nix/package.nix" "evaluate nix/module.nix enabled" \
		"evaluate nix/module.nix without createHome" \
		"evaluate nix/module.nix with mergeLocalGroups" \
		"evaluate nix/module.nix disabled"; do
		skip "$what" "nix-instantiate not installed (apt-get install nix-bin)"
	done
fi

# --- build and lint ------------------------------------------------------------
# The documented command, from the build tree, into a directory of our own.
if ! env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
	make -C "$top_builddir" deb DEB_DIR="$T/deb" >"$T/build.log" 2>&1; then
	fail "make deb builds the packages"
	diag "$(tail -n 40 "$T/build.log")"
	bail "no packages to install"
fi
pass "make deb builds the packages"
lib_deb=$(ls "$T/deb/libnss-tailscale_${debversion}"_*.deb 2>/dev/null)
ts_deb=$(ls "$T/deb/tsnssd_${debversion}"_*.deb 2>/dev/null)
changes=$(ls "$T/deb/tsnssd_${debversion}"_*.changes 2>/dev/null)
[ -f "$lib_deb" ] && [ -f "$ts_deb" ] && [ -f "$changes" ] ||
	bail "make deb made no libnss-tailscale/tsnssd $debversion .debs: $(ls "$T/deb")"

if out=$(lintian --fail-on error --show-overrides "$changes" 2>&1); then
	pass "lintian --fail-on error passes both packages"
else
	fail "lintian --fail-on error passes both packages"
fi
diag "lintian:" "$out"
# Warnings too: each one left is fixed or overridden with its reason
# (debian/*.lintian-overrides).
check "lintian: no warnings either" \
	lintian --fail-on warning "$changes"

# --- a throwaway root --------------------------------------------------------------
# /run and /tmp are fresh, so no daemon of the host is seen.
root=$T/root
overlay_root "$root" || bail "cannot mount an overlayfs over /"
mount -t proc proc "$root/proc" || bail "cannot mount /proc in the root"
mount --rbind /dev "$root/dev" || bail "cannot bind /dev into the root"
mount -t tmpfs -o mode=755 tsnssd-deb "$root/run" || bail "no tmpfs on /run"
mount -t tmpfs -o mode=1777 tsnssd-deb "$root/tmp" || bail "no tmpfs on /tmp"
# $T at the same path inside, for the tailscaled stand-in's socket.
mkdir -p "$root$T" || bail "cannot make $root$T"
mount --bind "$T" "$root$T" || bail "cannot bind $T into the root"
inroot_env="PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C DEBIAN_FRONTEND=noninteractive"
inroot() {
	# shellcheck disable=SC2086 # a list of assignments
	env -i $inroot_env chroot "$root" "$@"
}
# man-db's trigger would index every manual page of the host.
echo "man-db man-db/auto-update boolean false" |
	inroot debconf-set-selections 2>/dev/null
cp -p "$root/etc/nsswitch.conf" "$T/nsswitch.before"
# What dh_installnss should make of it: "tailscale" right after "files".
perl -pe 's/^((?:passwd|group):\s(?:.*?\s)?files)(\s|$)/$1 tailscale$2/' \
	"$T/nsswitch.before" >"$T/nsswitch.want"

# --- install ------------------------------------------------------------------------
check "dpkg -i installs both packages" inroot dpkg -i "$lib_deb" "$ts_deb"
for db in passwd group; do
	is "$(grep "^$db:" "$root/etc/nsswitch.conf")" \
		"$(grep "^$db:" "$T/nsswitch.want")" \
		"nsswitch.conf: tailscale right after files for $db"
done
check "nsswitch.conf: no other change" cmp "$T/nsswitch.want" "$root/etc/nsswitch.conf"
[ -e "$T/nsswitch.want" ] && ! cmp -s "$T/nsswitch.want" "$root/etc/nsswitch.conf" &&
	diag "$(diff "$T/nsswitch.want" "$root/etc/nsswitch.conf")"
inroot dpkg -L libnss-tailscale tsnssd >"$T/files" 2>&1
for f in "/usr/lib/$arch/libnss_tailscale.so.2" \
	"/usr/lib/$arch/libsubid_tailscale.so" /usr/sbin/tsnssd \
	/usr/sbin/tsnssctl "/usr/lib/$arch/tsnssd/tailscale.so" \
	/lib/systemd/system/tsnssd.service /usr/share/man/man8/nss_tailscale.8.gz \
	/usr/share/man/man8/tsnssd.8.gz /usr/share/man/man5/tailscale-nss.conf.5.gz \
	/usr/share/doc/tsnssd/tailscale-nss.conf \
	/usr/share/doc/tsnssd/pam-sshd.example /usr/share/doc/tsnssd/README.Debian; do
	check "installed: $f" grep -qx "$f" "$T/files"
done
check "no /etc/tailscale-nss.conf is installed" test ! -e "$root/etc/tailscale-nss.conf"
enabled=$(find "$root/etc/systemd" -name 'tsnssd*' 2>/dev/null)
is "$enabled" "" "the unit is not enabled"
check "the unit runs the installed tsnssd" grep -qx \
	'ExecStart=/usr/sbin/tsnssd --foreground' "$root/lib/systemd/system/tsnssd.service"
cp -p "$root/etc/nsswitch.conf" "$T/nsswitch.installed"
# The README's command, this time: apt install of the two files.
check "installing again with apt install (as an upgrade would) is accepted" \
	inroot apt-get install -y -q --reinstall \
	"$lib_deb" "$ts_deb"
check "and leaves nsswitch.conf as it was" \
	cmp "$T/nsswitch.installed" "$root/etc/nsswitch.conf"
like "$(inroot tsnssd --version 2>&1)" "$version" "tsnssd --version runs, and says $version"

# --- the installed module and daemon answer getent ------------------------------------
python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--self alice@example.com --user "101:alice@example.com:Alice"
start_fake_tailscaled "$T/tailnet.json"
# All defaults but the backend's socket: the plugin from the package's
# directory, the socket where the stub looks, the cache in /var/cache.
printf '[tailscale]\nsocket = %s\ndomain = example.com\n' \
	"$T/tailscaled.sock" >"$root/tmp/tailscale-nss.conf"
chmod 644 "$root/tmp/tailscale-nss.conf"
mkdir -p "$root/run/tsnssd" "$root/var/cache/tsnssd" # the unit's directories
# Not through inroot: $! must be tsnssd (env and chroot exec it), not a
# subshell running a function.
# shellcheck disable=SC2086 # a list of assignments
env -i $inroot_env chroot "$root" tsnssd --foreground --debug \
	--config /tmp/tailscale-nss.conf </dev/null >"$T/tsnssd.log" 2>&1 &
tsnssd_pid=$!
track_pid "$tsnssd_pid"
wait_for test -S "$root/run/tsnssd/socket" ||
	diag "no socket; tsnssd's log:" "$(tail -n 20 "$T/tsnssd.log")"
like "$(inroot getent passwd alice 2>&1)" '^alice:\*:[0-9]+:[0-9]+:Alice:/home/alice:/bin/bash$' \
	"getent passwd alice: through the installed module and daemon"
like "$(inroot getent group alice 2>&1)" '^alice:\*?:[0-9]+:' \
	"getent group alice: likewise"
check "tsnssctl status answers" inroot tsnssctl status
stop_tsnssd
stop_fake_tailscaled
rm -f "$root/tmp/tailscale-nss.conf"

# --- remove, purge -----------------------------------------------------------------------
check "dpkg --remove removes both packages" \
	inroot dpkg --remove tsnssd libnss-tailscale
check "remove restores nsswitch.conf byte for byte" \
	cmp "$T/nsswitch.before" "$root/etc/nsswitch.conf"
check "dpkg --purge purges both packages" \
	inroot dpkg --purge tsnssd libnss-tailscale
check "and nsswitch.conf stays as it was before the install" \
	cmp "$T/nsswitch.before" "$root/etc/nsswitch.conf"
left=
while read -r f; do
	# dpkg -L puts a blank line between packages; a directory the host has
	# too (/usr/sbin) is not ours
	[ -n "$f" ] && [ -e "$root$f" ] && [ ! -e "$f" ] && left="$left $f"
done <"$T/files"
is "$left" "" "no file the packages installed is left"
# Anything else of ours the root gained: the cache, dpkg's and systemd's
# records, dh_installnss's marker.
left=$(cd "$T/ov/upper" && find . \( -name '*tsnssd*' -o -name '*tailscale*' \) |
	sed 's|^\.||')
is "$left" "" "nothing named for tsnssd or tailscale is left in the root"
done_testing
