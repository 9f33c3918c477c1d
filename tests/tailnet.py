#!/usr/bin/env python3
"""tailnet.py - write a tailscaled status document for tests.

    tailnet.py [-o FILE] [--state STATE] [--self LOGIN] [--self-host NAME]
               [--user ID:LOGIN:DISPLAY]... [--tagged N]
               [--sharee ID:LOGIN:DISPLAY]... [--random N] [--seed S]
               [--devices AVG] [--random-groups N[:POOL]]
               [--domain DOMAIN] [--suffix SUFFIX] [--tailnet-name NAME]

The document has the shape of tests/fixtures/localapi-status.json (what
GET /localapi/v0/status answers): Version, TUN, BackendState, HaveNodeKey,
AuthURL, TailscaleIPs, Self, Health, MagicDNSSuffix, CurrentTailnet,
CertDomains, Peer (keyed by "nodekey:<hex>"), User (keyed by the decimal
user id) and ClientVersion.

  --user ID:LOGIN:DISPLAY   a user with one device (a peer).  Give the same
                            ID again for a second device.  DISPLAY may hold
                            colons; ID is an int64, written as a JSON integer.
  --self LOGIN              this node belongs to LOGIN (one of the --user
                            logins, or a user of its own that has no other
                            device).  Without it this node is a tagged server,
                            as in the fixture.
  --tagged N                N tagged devices, owned by the "tagged-devices"
                            pseudo-user (id 2147455555).
  --sharee ID:LOGIN:DISPLAY a device shared into this tailnet (ShareeNode).
  --random N                N generated users with a device each, logins
                            first.lastK@DOMAIN; about one id in five is above
                            2^53, to catch parsers that use doubles.
  --devices AVG             the --random users have AVG devices each on
                            average (default 1): each gets between 1 and
                            2*AVG-1, as real tailnets have a laptop, a phone
                            and some servers (2 to 3 a user).
  --random-groups N[:POOL]  each --random user is in N tailnet groups
                            (UserProfile.Groups), drawn from POOL SCIM-style
                            groups teamK@DOMAIN (default POOL 1000), as a
                            SCIM-synced organisation reports them.
  --seed S                  seed of everything random (default 1): the same
                            command line gives the same document.
  --groups ID:G1,G2,...      UserProfile.Groups of user ID (tailscaled >= 1.98
                            with the visible-groups node attribute).
  --version V               tailscaled's Version (default 1.76.6); the
                            stand-in speaks the IPN bus of that version.
  --state STATE             BackendState (default Running); the peers stay,
                            so a test can check that a non-Running answer is
                            not trusted.

Writes to stdout, or to FILE atomically (a temporary file renamed over it),
so a process reading FILE sees the old document or the new one, never half.
"""

import argparse
import hashlib
import ipaddress
import json
import os
import random
import re
import sys

VERSION = "1.76.6-t1234abcd-g5678ef90"
TAGGED_ID = 2147455555  # the fixture's tagged-devices pseudo-user
INT64_MAX = (1 << 63) - 1
V4_BASE = int(ipaddress.IPv4Address("100.101.102.0"))
V6_BASE = int(ipaddress.IPv6Address("fd7a:115c:a1e0::"))
SHAREE_V4_BASE = int(ipaddress.IPv4Address("100.88.1.0"))
SHAREE_SUFFIX = "tail9876.ts.net"

# (OS, what the device is called after its owner)
DEVICE_KINDS = [("macOS", "laptop"), ("linux", "desktop"), ("iOS", "phone"),
                ("windows", "pc"), ("android", "pixel")]
TAGGED_KINDS = [("ci-runner", ["tag:ci", "tag:server"]), ("db", ["tag:server"]),
                ("web", ["tag:prod", "tag:web"]), ("k8s-node", ["tag:k8s"]),
                ("backup", ["tag:server"])]
# (login form, display form)
FIRST = [("alice", "Alice"), ("bob", "Bob"), ("jose", "José"), ("zoe", "Zoë"),
         ("soren", "Søren"), ("mei", "Mei"), ("olu", "Olúwaseun"), ("anna", "Anna"),
         ("ivan", "Иван"), ("priya", "Priya"), ("liam", "Liam"), ("noor", "Noor"),
         ("chen", "Chen"), ("fatima", "Fatima"), ("kai", "Kai"), ("eva", "Eva")]
LAST = [("smith", "Smith"), ("nunez", "Núñez"), ("muller", "Müller"),
        ("nguyen", "Nguyễn"), ("okafor", "Okafor"), ("tanaka", "Tanaka"),
        ("oconnor", "O'Connor"), ("garcia", "García"), ("kowalski", "Kowalski"),
        ("haddad", "Haddad"), ("lindqvist", "Lindqvist"), ("patel", "Patel")]


def die(msg):
    sys.exit("tailnet.py: " + msg)


def parse_user(spec, flag):
    parts = spec.split(":", 2)
    if len(parts) != 3 or not parts[1]:
        die("%s wants ID:LOGIN:DISPLAY, not %r" % (flag, spec))
    try:
        uid = int(parts[0], 10)
    except ValueError:
        die("%s: user id %r is not a decimal integer" % (flag, parts[0]))
    if not 0 < uid <= INT64_MAX:
        die("%s: user id %d is not a positive int64" % (flag, uid))
    return uid, parts[1], parts[2]


class Tailnet:
    def __init__(self, args):
        self.rng = random.Random(args.seed)
        self.suffix = args.suffix
        self.users = {}  # id -> profile, in order of appearance
        self.peers = {}
        self.dns_names = set()
        self.next_ip = 11  # Self is .10, as in the fixture
        self.next_sharee_ip = 2
        self.kinds = {}  # user id -> devices so far

    def add_user(self, uid, login, display, pic=""):
        old = self.users.get(uid)
        if old is not None:
            if old["LoginName"] != login:
                die("user id %d given to both %s and %s" % (uid, old["LoginName"], login))
            return
        self.users[uid] = {"ID": uid, "LoginName": login, "DisplayName": display,
                           "ProfilePicURL": pic, "Roles": []}

    def hexkey(self):
        return "%064x" % self.rng.getrandbits(256)

    def stable_id(self):
        alnum = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
        return "n" + "".join(self.rng.choice(alnum) for _ in range(10)) + "CNTRL"

    def dns_name(self, host, suffix):
        # Tailscale makes a clashing name unique with -1, -2, ...
        name, n = host, 0
        while "%s.%s" % (name, suffix) in self.dns_names:
            n += 1
            name = "%s-%d" % (host, n)
        full = "%s.%s" % (name, suffix)
        self.dns_names.add(full)
        return full + "."

    def ips(self):
        k = self.next_ip
        self.next_ip += 1
        return [str(ipaddress.IPv4Address(V4_BASE + k)),
                str(ipaddress.IPv6Address(V6_BASE + k))]

    def node(self, host, os_name, uid, ips, tags=None, sharee=False,
             online=True, suffix=None):
        key = "nodekey:" + self.hexkey()
        n = {"ID": self.stable_id(), "PublicKey": key, "HostName": host,
             "DNSName": self.dns_name(host, suffix or self.suffix), "OS": os_name,
             "UserID": uid, "TailscaleIPs": ips}
        if tags:
            n["Tags"] = list(tags)
        n["Online"] = online
        n["Active"] = False
        if not online:
            n["LastSeen"] = "2026-11-%02dT%02d:%02d:%02dZ" % (
                self.rng.randint(1, 21), self.rng.randint(0, 23),
                self.rng.randint(0, 59), self.rng.randint(0, 59))
        if sharee:
            n["ShareeNode"] = True
        n.update({"InNetworkMap": True, "InMagicSock": True, "InEngine": True})
        return key, n

    def add_peer(self, *a, **kw):
        key, n = self.node(*a, **kw)
        self.peers[key] = n

    def user_device(self, uid, login, online=True):
        i = self.kinds.get(uid, 0)
        self.kinds[uid] = i + 1
        os_name, kind = DEVICE_KINDS[(len(self.kinds) - 1 + i) % len(DEVICE_KINDS)]
        base = re.sub(r"[^a-z0-9]+", "-", login.split("@")[0].lower()).strip("-")
        self.add_peer("%s-%s" % (base or "device", kind), os_name, uid, self.ips(),
                      online=online)

    def devices(self, avg):
        """How many devices the next user has: AVG on average, at least 1."""
        if avg == 1:
            return 1  # no draw: the documents of older command lines stay
        x = self.rng.uniform(1, 2 * avg - 1)
        return int(x) + (self.rng.random() < x - int(x))

    def random_users(self, n, domain, avg=1, groups=0, pool=1000):
        taken = set(self.users)
        for k in range(n):
            fl, fd = self.rng.choice(FIRST)
            ll, ld = self.rng.choice(LAST)
            while True:
                if self.rng.random() < 0.2:
                    uid = self.rng.randrange(1 << 53, INT64_MAX)
                else:
                    uid = self.rng.randrange(10 ** 15, 1 << 53)
                if uid not in taken:
                    break
            taken.add(uid)
            login = "%s.%s%d@%s" % (fl, ll, k, domain)
            self.add_user(uid, login, "%s %s" % (fd, ld))
            if groups:
                self.users[uid]["Groups"] = sorted(
                    "team%d@%s" % (g, domain)
                    for g in self.rng.sample(range(pool), groups))
            for _ in range(self.devices(avg)):
                self.user_device(uid, login, online=self.rng.random() < 0.8)


def build(args):
    t = Tailnet(args)
    users = [parse_user(s, "--user") for s in args.user]
    sharees = [parse_user(s, "--sharee") for s in args.sharee]

    # Self first, as tailscaled has it; its owner is always in User.
    if args.self_login:
        owner = next((u for u in users if u[1] == args.self_login), None)
        if owner is None:
            h = hashlib.sha256(args.self_login.encode()).digest()
            owner = (6000000000000000 + int.from_bytes(h[:6], "big") % 10 ** 12,
                     args.self_login, args.self_login.split("@")[0])
        self_uid, tags = owner[0], None
        t.add_user(*owner)
    else:
        self_uid, tags = TAGGED_ID, ["tag:server"]
        t.add_user(TAGGED_ID, "tagged-devices", "Tagged Devices")
    self_ips = [str(ipaddress.IPv4Address(V4_BASE + 10)),
                str(ipaddress.IPv6Address(V6_BASE + 10))]
    _, self_node = t.node(args.self_host, "linux", self_uid, self_ips, tags=tags)
    self_node["InMagicSock"] = self_node["InEngine"] = False  # as tailscaled says of Self

    for uid, login, display in users:
        t.add_user(uid, login, display)
        t.user_device(uid, login)
    for i in range(args.tagged):
        kind, tags = TAGGED_KINDS[i % len(TAGGED_KINDS)]
        t.add_user(TAGGED_ID, "tagged-devices", "Tagged Devices")
        t.add_peer("%s-%d" % (kind, i // len(TAGGED_KINDS) + 1), "linux", TAGGED_ID,
                   t.ips(), tags=tags)
    for uid, login, display in sharees:
        t.add_user(uid, login, display)
        base = re.sub(r"[^a-z0-9]+", "-", login.split("@")[0].lower()).strip("-")
        ip = str(ipaddress.IPv4Address(SHAREE_V4_BASE + t.next_sharee_ip))
        t.next_sharee_ip += 1
        t.add_peer("%s-box" % (base or "shared"), "linux", uid, [ip], sharee=True,
                   suffix=SHAREE_SUFFIX)
    if args.random:
        domain = args.domain
        t.random_users(args.random, domain, args.devices, *args.random_groups)

    for spec in args.groups:
        uid, _, names = spec.partition(":")
        up = t.users.get(int(uid))
        if up is None:
            die("--groups: no user %s" % uid)
        up["Groups"] = sorted(n for n in names.split(",") if n)
    return {
        "Version": args.version,
        "TUN": True,
        "BackendState": args.state,
        "HaveNodeKey": True,
        "AuthURL": "",
        "TailscaleIPs": self_ips,
        "Self": self_node,
        "Health": [],
        "MagicDNSSuffix": args.suffix,
        "CurrentTailnet": {"Name": args.tailnet_name or args.domain,
                           "MagicDNSSuffix": args.suffix, "MagicDNSEnabled": True},
        "CertDomains": ["%s.%s" % (args.self_host, args.suffix)],
        "Peer": t.peers,
        "User": {str(uid): up for uid, up in t.users.items()},
        "ClientVersion": {"RunningLatest": True},
    }


def write(text, path):
    if path is None or path == "-":
        sys.stdout.write(text)
        return
    tmp = "%s.tmp.%d" % (path, os.getpid())
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fchmod(f.fileno(), 0o644)
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        die(str(e))


def main():
    ap = argparse.ArgumentParser(
        description="Write a tailscaled status document for tests.",
        epilog="See the top of this file for what each option makes.")
    ap.add_argument("-o", "--output", metavar="FILE", help="write here (atomically)")
    ap.add_argument("--state", default="Running", help="BackendState")
    ap.add_argument("--version", default=VERSION, help="tailscaled's Version")
    ap.add_argument("--groups", action="append", default=[], metavar="ID:G1,G2")
    ap.add_argument("--self", dest="self_login", metavar="LOGIN",
                    help="owner of this node (default: a tagged node)")
    ap.add_argument("--self-host", default="build-01", metavar="NAME")
    ap.add_argument("--user", action="append", default=[], metavar="ID:LOGIN:DISPLAY")
    ap.add_argument("--tagged", type=int, default=0, metavar="N")
    ap.add_argument("--sharee", action="append", default=[], metavar="ID:LOGIN:DISPLAY")
    ap.add_argument("--random", type=int, default=0, metavar="N")
    ap.add_argument("--devices", type=float, default=1, metavar="AVG")
    ap.add_argument("--random-groups", default="0", metavar="N[:POOL]")
    ap.add_argument("--seed", default="1", metavar="S")
    ap.add_argument("--domain", default=None,
                    help="domain of --random logins (default: that of --self, "
                         "else example.com)")
    ap.add_argument("--suffix", default="tail1234.ts.net", help="MagicDNS suffix")
    ap.add_argument("--tailnet-name", default=None,
                    help="CurrentTailnet.Name (default: the domain)")
    args = ap.parse_args()
    if args.domain is None:
        if args.self_login and "@" in args.self_login:
            args.domain = args.self_login.rsplit("@", 1)[1].lower()
        else:
            args.domain = "example.com"
    if args.tagged < 0 or args.random < 0:
        die("counts must not be negative")
    if args.devices < 1:
        die("--devices: a user has at least one device")
    try:
        n, _, pool = args.random_groups.partition(":")
        args.random_groups = (int(n), int(pool or 1000))
    except ValueError:
        die("--random-groups wants N or N:POOL, not %r" % args.random_groups)
    if not 0 <= args.random_groups[0] <= args.random_groups[1]:
        die("--random-groups: N must be between 0 and POOL")
    doc = build(args)
    write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", args.output)


if __name__ == "__main__":
    main()
