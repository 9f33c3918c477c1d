#!/usr/bin/env python3
"""fake-tsnssd.py SOCKET MODE - a broken tsnssd, to prove the stub copes.

Listens on SOCKET and answers every request according to MODE:
  garbage     64 random bytes
  truncated   a header promising 100 bytes of payload, then 10, then close
  oversized   a header promising 2 GiB of payload, then a little
  badmagic    a well-formed reply with the wrong magic
  badstring   status OK with a passwd payload whose string overruns it
  hang        accept, read the request, never answer
  close       accept and close at once
  uid0        well-formed answers that hand out uid 0 and gid 0: a passwd
              entry root-like for any name, a group with gid 0, and
              initgroups with gids 0 and 5000
SIGTERM ends it.
"""
import os
import signal
import socket
import struct
import sys
import threading

MAGIC, VERSION = 0x54534E53, 1
HDR = struct.Struct("=IIII")


def ok(body):
    return HDR.pack(MAGIC, VERSION, 0, len(body)) + body


def string(b):
    return struct.pack("=I", len(b)) + b


def lie_uid0(req):
    """Answer the request as a tsnssd that hands out uid and gid 0."""
    if len(req) < HDR.size:
        return b""
    action = HDR.unpack_from(req)[2]
    name = req[HDR.size:] or b"alice"
    if action in (1, 2, 3):  # passwd
        body = struct.pack("=II", 0, 0) + b"".join(
            string(f) for f in (name, b"*", b"Root", b"/root", b"/bin/sh"))
    elif action in (4, 5, 6):  # group
        body = struct.pack("=II", 0, 1) + string(b"wheel") + string(b"*") \
            + string(b"alice")
    else:  # initgroups
        body = struct.pack("=III", 2, 0, 5000)
    return ok(body)


def answer(conn, mode):
    if mode == "close":
        conn.close()
        return
    try:
        req = conn.recv(4096)
        if mode == "uid0":
            conn.sendall(lie_uid0(req))
        elif mode == "garbage":
            conn.sendall(os.urandom(64))
        elif mode == "truncated":
            conn.sendall(HDR.pack(MAGIC, VERSION, 0, 100) + b"x" * 10)
        elif mode == "oversized":
            conn.sendall(HDR.pack(MAGIC, VERSION, 0, 1 << 31) + b"x" * 100)
        elif mode == "badmagic":
            conn.sendall(HDR.pack(0xDEADBEEF, VERSION, 1, 0))
        elif mode == "badstring":
            body = struct.pack("=III", 1000, 1000, 4000) + b"alice"
            conn.sendall(HDR.pack(MAGIC, VERSION, 0, len(body)) + body)
        elif mode == "hang":
            threading.Event().wait(30)
    except OSError:
        pass
    conn.close()


def main():
    path, mode = sys.argv[1], sys.argv[2]
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    os.chmod(path, 0o666)
    srv.listen(64)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=answer, args=(conn, mode), daemon=True).start()


if __name__ == "__main__":
    main()
