#!/bin/sh
# build-debs.sh SRCDIR OUTDIR [BUILDDIR] - "make deb": build the Debian packages
# tsnssd and libnss-tailscale with dpkg-buildpackage -us -uc -b from a
# clean copy of SRCDIR, and put the .debs (and the .changes and .buildinfo
# lintian and dput read) in OUTDIR.
#
# The clean copy is what git tracks, as it is in the work tree now (edits
# included; build output and untracked files left out), or, outside git,
# what "make distdir" in BUILDDIR puts in the release tarball. The build
# runs in a temporary directory: SRCDIR and its build are never touched.
#
# DEB_BUILD_OPTIONS is passed on (default: "noautodbgsym parallel=<cpus>").
set -eu

die() {
	echo "build-debs: $*" >&2
	exit 1
}

[ $# -eq 2 ] || [ $# -eq 3 ] || die "usage: build-debs.sh SRCDIR OUTDIR [BUILDDIR]"
src=$1
out=$2
build=${3-}
for tool in dpkg-buildpackage dpkg-parsechangelog dh dh_installnss; do
	command -v "$tool" >/dev/null ||
		die "$tool not found; on Debian: apt-get install dpkg-dev debhelper dh-nss"
done

# make distdir and dpkg-buildpackage run their own make; none of the
# caller's may leak into them.
unset MAKEFLAGS MFLAGS MAKELEVEL

version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
work=$(mktemp -d "${TMPDIR:-/tmp}/tsnssd-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
copy=$work/tsnssd-${version%-*}
mkdir "$copy"

if git -C "$src" -c safe.directory="$src" rev-parse --show-toplevel \
	>/dev/null 2>&1; then
	# A tracked file deleted in the work tree is left out, with a warning.
	git -C "$src" -c safe.directory="$src" ls-files -z |
		(cd "$src" && tar --null --ignore-failed-read -T - -cf -) |
		tar -C "$copy" -xf -
elif [ -n "$build" ]; then
	rmdir "$copy"
	make -C "$build" distdir distdir="$copy" top_distdir="$copy" >/dev/null ||
		die "make distdir failed in $build"
else
	die "$src is not a git checkout: give the build directory, for make distdir"
fi

DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS-noautodbgsym parallel=$(nproc)}
export DEB_BUILD_OPTIONS
(cd "$copy" && dpkg-buildpackage -us -uc -b) ||
	die "dpkg-buildpackage failed (missing build dependencies? as root: apt-get build-dep $src)"

mkdir -p "$out"
rm -f "$out"/tsnssd_*.deb "$out"/libnss-tailscale_*.deb \
	"$out"/tsnssd-dbgsym_*.deb "$out"/libnss-tailscale-dbgsym_*.deb \
	"$out"/tsnssd_*.changes "$out"/tsnssd_*.buildinfo
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
echo
echo "build-debs: in $out:"
(cd "$out" && ls -1 -- *.deb *.changes)
echo "build-debs: install with: apt install $out/tsnssd_${version}_*.deb $out/libnss-tailscale_${version}_*.deb"
