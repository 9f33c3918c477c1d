#!/usr/bin/env python3
"""hostile-client.py SOCKET MODE [N] - misbehave towards tsnssd's socket.

Modes (each prints one line saying what it saw, for the test to check):
  garbage     send 64 random bytes; print the reply status or "closed"
  oversized   a valid header announcing a 1 GiB key; reply status
  badversion  a header of protocol version 99; reply status
  truncated   half a header, then close our side for writing; "closed"
              or the reply status
  silent      connect, send nothing, wait up to 10 s; print how it ended
  slowread    ask for a name, never read; hold N seconds
  hold        open N connections, send nothing, keep them until stdin
              closes (the test writes a line when done)
  hoard       keep N connections open, each asking for the group named by
              the 4th argument and reading nothing, opening a new one for
              each that tsnssd closes, until stdin closes
  flood       open connections that send nothing as fast as it can for N
              seconds, keeping at most 200 of its own open
"""
import os
import resource
import select
import socket
import struct
import sys
import time

MAGIC, VERSION = 0x54534E53, 1
HDR = struct.Struct("=IIII")


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s


def reply_status(s):
    try:
        data = b""
        while len(data) < HDR.size:
            chunk = s.recv(HDR.size - len(data))
            if not chunk:
                return "closed"
            data += chunk
    except socket.timeout:
        return "timeout"
    except ConnectionResetError:
        return "closed"
    magic, version, code, length = HDR.unpack(data)
    return "status=%d len=%d" % (code, length)


def hoard_one(path, req):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    s.settimeout(10)
    try:
        s.connect(path)
        s.sendall(req)
    except OSError:
        s.close()
        return None
    return s


def hoard(path, n, group):
    """Keep n connections open, each with a large reply it never reads;
    one that tsnssd closes is opened again at once."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    req = HDR.pack(MAGIC, VERSION, 4, len(group)) + group.encode()
    socks = {}
    poller = select.poll()
    poller.register(sys.stdin.fileno(), select.POLLIN | select.POLLHUP)
    told = False
    reopened = 0
    while True:
        while len(socks) < n:
            s = hoard_one(path, req)
            if s is None:
                break
            socks[s.fileno()] = s
            poller.register(s, select.POLLRDHUP)
        if not told:
            print("hoarding %d" % len(socks), flush=True)
            told = True
        for fd, ev in poller.poll(200):
            if fd == sys.stdin.fileno():
                print("reopened %d" % reopened, flush=True)
                return
            poller.unregister(fd)
            socks.pop(fd).close()
            reopened += 1


def flood(path, seconds):
    socks = []
    end = time.monotonic() + seconds
    made = 0
    while time.monotonic() < end:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect(path)
            socks.append(s)
            made += 1
        except OSError:
            s.close()
        if len(socks) > 200:
            socks.pop(0).close()
    print("flooded %d" % made, flush=True)


def main():
    path, mode = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    if mode == "garbage":
        s = connect(path)
        s.sendall(os.urandom(64))
        print(reply_status(s))
    elif mode == "oversized":
        s = connect(path)
        s.sendall(HDR.pack(MAGIC, VERSION, 1, 1 << 30) + b"a" * 4096)
        print(reply_status(s))
    elif mode == "badversion":
        s = connect(path)
        s.sendall(HDR.pack(MAGIC, 99, 1, 5) + b"alice")
        print(reply_status(s))
    elif mode == "truncated":
        s = connect(path)
        s.sendall(HDR.pack(MAGIC, VERSION, 1, 5)[:8])
        s.shutdown(socket.SHUT_WR)
        print(reply_status(s))
    elif mode == "silent":
        s = connect(path)
        start = time.monotonic()
        r = reply_status(s)
        print("%s after %.1fs" % (r, time.monotonic() - start))
    elif mode == "slowread":
        s = connect(path)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        s.sendall(HDR.pack(MAGIC, VERSION, 1, 5) + b"alice")
        time.sleep(n)
        print("held")
    elif mode == "hold":
        socks = []
        for _ in range(n):
            try:
                socks.append(connect(path))
            except OSError as e:
                print("connect failed: %s" % e)
                break
        print("holding %d" % len(socks), flush=True)
        sys.stdin.readline()
    elif mode == "hoard":
        hoard(path, n, sys.argv[4])
    elif mode == "flood":
        flood(path, n)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
