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
"""
import os
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
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
