# tsnssd for Nix: callPackage ./package.nix { }
#
# Builds the daemon, tsnssctl, the Tailscale backend plugin, the NSS module
# ($out/lib/libnss_tailscale.so.2, for system.nssModules) and the systemd
# unit ($out/lib/systemd/system/tsnssd.service, for systemd.packages).
# nix/module.nix is the NixOS module that uses it.
{
  lib,
  stdenv,
  autoreconfHook,
  pkg-config,
  libevent,
  json_c,
  curl,
  openssl,
  systemd,
}:

stdenv.mkDerivation {
  pname = "tsnssd";
  # Keep in step with AC_INIT in configure.ac (tests/t-deb.sh checks).
  version = "0.1.0";

  src = lib.cleanSource ../.;

  nativeBuildInputs = [
    autoreconfHook
    pkg-config
  ];

  buildInputs = [
    libevent
    json_c
    curl
    openssl # libcrypto, for keyed UIDs (uid_key_file)
    systemd # libsystemd, for sd_notify readiness
  ];

  # The paths compiled in are the running system's, not the store's:
  # /etc/tailscale-nss.conf, /run/tsnssd/socket (where the stub looks),
  # /var/cache/tsnssd. The unit goes to $out, not to systemd's own output;
  # the programs to bin, as nixpkgs prefers (the unit follows).
  configureFlags = [
    "--sbindir=${placeholder "out"}/bin"
    "--sysconfdir=/etc"
    "--localstatedir=/var"
    "--runstatedir=/run"
    "--with-systemdsystemunitdir=${placeholder "out"}/lib/systemd/system"
  ];

  enableParallelBuilding = true;

  # The unit tests; the end-to-end tests need root and a private mount
  # namespace, which the build sandbox does not give.
  doCheck = true;
  checkFlags = [ "TESTS=$(unit_tests)" ];

  meta = {
    description = "Tailnet users as UNIX users: a caching NSS daemon for Tailscale";
    longDescription = ''
      tsnssd asks tailscaled's LocalAPI for the tailnet's users, turns them
      into users and groups with the same UID on every host, and answers
      glibc's NSS through libnss_tailscale.so.2.
    '';
    license = lib.licenses.mit;
    platforms = lib.platforms.linux;
    mainProgram = "tsnssd";
  };
}
