# services.tsnssd: tailnet users as UNIX users on NixOS.
#
#   imports = [ ./path/to/tsnssd/nix/module.nix ];
#   services.tsnssd = {
#     enable = true;
#     settings.tailscale.domain = "example.com";
#     createHome = true;
#   };
#
# On NixOS glibc loads NSS modules only inside nscd (nsncd by default), so
# it is there, not in each program, that libnss_tailscale.so.2 runs and
# asks tsnssd; system.nssModules puts it on nscd's library path.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.services.tsnssd;

  # tailscale-nss.conf(5): "key = value" under [section] headers; lists
  # (domain, members) are comma separated; tsnssd reads true and false as
  # yes and no.
  settingsFormat = pkgs.formats.ini {
    listToValue = lib.concatMapStringsSep ", " (lib.generators.mkValueStringDefault { });
    mkKeyValue = lib.generators.mkKeyValueDefault { } " = ";
  };
  # tsnssd's default shell, /bin/bash, does not exist on NixOS: each
  # backend section ([tailscale], [tailscale-api], ...) that names none
  # gets the system's bash.
  shell = "/run/current-system/sw/bin/bash";
  notBackend =
    name:
    builtins.elem name [
      "daemon"
      "policy"
    ]
    || lib.hasPrefix "user " name
    || lib.hasPrefix "group " name;
  withShell = lib.mapAttrs (name: sec: if notBackend name then sec else { inherit shell; } // sec);
  configFile = settingsFormat.generate "tailscale-nss.conf" (withShell cfg.settings);
  loadCredential = lib.mapAttrsToList (name: path: "${name}:${path}") cfg.credentials;
in
{
  options.services.tsnssd = {
    enable = lib.mkEnableOption "tsnssd, which makes the people of a Tailscale tailnet into UNIX users";

    package = lib.mkOption {
      type = lib.types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = lib.literalExpression "pkgs.callPackage ./package.nix { }";
      description = "The tsnssd package to use.";
    };

    settings = lib.mkOption {
      type = lib.types.submodule {
        freeformType = settingsFormat.type;
        options.tailscale.domain = lib.mkOption {
          type = with lib.types; coercedTo str lib.toList (listOf str);
          example = [
            "example.com"
            "github"
          ];
          description = ''
            The login domains whose people become local users:
            `alice@example.com` becomes `alice`. Without it tsnssd refuses
            to start, so that no tailnet peer becomes a user by accident.
          '';
        };
      };
      default = { };
      example = lib.literalExpression ''
        {
          daemon.enumerate = false;
          tailscale = {
            domain = [ "example.com" ];
            shell = "/run/current-system/sw/bin/bash";
          };
          "group admins" = {
            gid = 50001;
            members = [ "bob@example.com" ];
          };
        }
      '';
      description = ''
        Configuration of tsnssd, written to {file}`/etc/tailscale-nss.conf`.
        Sections and keys are those of {manpage}`tailscale-nss.conf(5)`:
        `daemon`, the backend sections `tailscale` and `"tailscale-api"`,
        `policy`, `"user LOGIN"` and `"group NAME"`.
        A backend section's `shell` defaults to
        `/run/current-system/sw/bin/bash` here, since NixOS has no
        `/bin/bash`.
      '';
    };

    credentials = lib.mkOption {
      # str, not path: a path literal could end up copied into the store.
      type = with lib.types; attrsOf str;
      default = { };
      example = {
        "tsapi-key" = "/run/keys/tsnssd-api-key";
      };
      description = ''
        Secret files handed to tsnssd as systemd credentials
        (`LoadCredential=NAME:PATH`): the unit runs as a dynamic user,
        which cannot read a root-only file. Refer to one in `settings` as
        `"credential:NAME"`, for example
        `settings."tailscale-api".api_key_file = "credential:tsapi-key"`
        (also `oauth_secret_file`, and `policy.uid_key_file`). The file
        stays root-owned, mode 0600, outside the Nix store (give its path
        as a string).
      '';
    };

    mergeLocalGroups = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = ''
        Whether the group line reads `files [SUCCESS=merge] tailscale`, so
        that `getent group docker` lists a local group's own members and
        the tailnet users a `"group docker"` section with `extend = true`
        adds (tailscale-nss.conf(5)). initgroups gives them the gid
        either way.
      '';
    };

    createHome = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = ''
        Whether to create a tailnet user's home directory at first login
        (pam_mkhomedir for sshd and login). Tailscale SSH starts its
        sessions through login or su, whose PAM stacks this covers too.
      '';
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion = config.services.nscd.enable;
        message = "services.tsnssd needs services.nscd.enable: on NixOS, NSS modules are loaded by nscd.";
      }
    ];

    environment.systemPackages = [ cfg.package ]; # tsnssctl, tsnssd -t, the man pages

    environment.etc."tailscale-nss.conf".source = configFile;

    system.nssModules = [ cfg.package ];
    # After "files" (mkBefore in nsswitch.nix) and before "systemd" (mkAfter):
    # a local account always wins a name.
    system.nssDatabases = {
      passwd = [ "tailscale" ];
      group = [ (if cfg.mergeLocalGroups then "[SUCCESS=merge] tailscale" else "tailscale") ];
    };

    # The package's unit, as tailscale.nix uses tailscaled's: Type=notify,
    # DynamicUser, RuntimeDirectory and CacheDirectory, ProtectSystem=strict,
    # AF_UNIX (and AF_INET/AF_INET6 for tailscale-api); it wants and is
    # ordered after tailscaled.service, and comes before
    # nss-user-lookup.target.
    systemd.packages = [ cfg.package ];
    systemd.services.tsnssd = {
      wantedBy = [ "multi-user.target" ];
      # tsnssd re-reads its config on SIGHUP (the unit's ExecReload) and
      # keeps the running one if the new one is bad.
      reloadTriggers = [ configFile ];
      # A credential is copied in when the service starts, not on reload.
      restartTriggers = [ (builtins.concatStringsSep " " loadCredential) ];
      serviceConfig.LoadCredential = loadCredential;
    };

    security.pam.services = lib.mkIf cfg.createHome {
      sshd.makeHomeDir = true;
      login.makeHomeDir = true;
      su.makeHomeDir = true;
    };
  };
}
