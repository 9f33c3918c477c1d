#!/usr/bin/env python3
"""fake-tailscaled.py - a stand-in for tailscaled's LocalAPI, for tests.

    fake-tailscaled.py --socket PATH --tailnet FILE
                       [--mode-file FILE] [--log FILE] [--verbose]

Serves GET /localapi/v0/status on a unix socket the way tailscaled (a Go
net/http server) does, byte for byte where it matters to a client:

  * HTTP/1.1 with keep-alive, one thread per connection; HTTP/1.0 too.
  * A request without "Sec-Tailscale: localapi" gets 403 and the body the
    strict builds send (tsnet's localSecHandler): missing 'Sec-Tailscale:
    localapi' header.  An HTTP/1.1 request without Host gets Go's own
    "400 Bad Request: missing required Host header"; a Host other than
    local-tailscaled.sock (or empty), or any Referer or Origin, gets the
    LocalAPI's 403 "invalid localapi request".  Unknown paths get Go's 404
    "404 page not found".
  * status is re-read from --tailnet on every request (tests rename a new
    file over it) and encoded like Go's json.Encoder with SetIndent("", "\t"):
    tab indent, keys of the Peer and User maps sorted, <, > and & escaped,
    a trailing newline.  ?peers=false gives "Peer": null and keeps in User
    only the owner of Self, as tailscaled >= 1.100 does (older ones gave
    "User": null as well).
  * Framing as in net/http: a body of at most 2048 bytes (the response
    writer's buffer) goes out with Content-Length, a bigger one with
    Transfer-Encoding: chunked - as one chunk, because json.Encoder hands
    the whole document to one Write.
  * Only GET is answered on status (405 "only GET allowed" otherwise).
    tailscaled itself does not check the method of status; the stand-in is
    stricter so that a client sending anything else is caught.

Faults: --mode-file holds one word, read on every status request (a missing
or empty file means normal):
  normal      as above
  hang        read the request, never answer, keep the connection open
  slow        a correct answer, dripped out over about 2 seconds
  http500     500 with a text body
  garbage     200 with the body "<html>not json"
  truncated   chunked, half the body, then close without the last chunk
  badchunk    a chunk-size line that is not hex
  huge        a chunked 200 of 64 MiB of JSON-like filler (stops when the
              client goes away)
  close       close the connection right after reading the request
  notrunning  BackendState NeedsLogin, "Peer": null, User holds only the
              owner of Self
  loggedout   what a tailscaled with no netmap at all says: NeedsLogin, no
              addresses, no tailnet, "Peer": null, "User": null

The IPN bus, GET /localapi/v0/watch-ipn-bus?mask=N, as watch-ipn-bus.md
describes it (tests/fixtures has its example): mask parsed as a decimal
uint64 (400 "bad mask" otherwise; on 1.102+ also the 400s for mask 65536
and for 256 with the new bits), headers flushed at once, then one compact
JSON Notify per line, one chunk each.  The dialect follows the tailnet
document's Version:
  >= 1.100  first message per mask: InitialStatus (16384), State and
            SessionID (2), NetMap (8).  Then, with 4096, a UserProfiles
            message before the peers that need it, then PeersChanged and
            PeersRemoved (NodeIDs, derived from the node key when the
            document has none: they exceed 2^53).
  <  1.100  first message State (2) and NetMap (8); then a whole NetMap on
            every change.
The document is watched every 50 ms.  While the status mode is notrunning
or loggedout only {"State":2} is sent, and on the way back {"State":6} and
a full SelfChange resync.  --bus-file holds a word read on every tick:
  normal      as above
  nobus       new subscriptions get 404, as from a build without the bus
  rebuild     changes go out as full SelfChange resyncs, not deltas
  cut TOKEN   (a new TOKEN each time) send half of a full resync line and
              drop the connection
  behind TOKEN  send the "fell behind" ErrMessage and end the stream
  stall TOKEN send half of a full resync line, then nothing more
  trickle TOKEN  send a full resync line a byte every 0.1 s (never whole
              within a bus_stall_ms of less than its length / 10 s)
  silent      new subscriptions get their headers and then nothing
A connection acts on a cut or behind TOKEN only if it was not already
there when it subscribed.

--log gets one line per request, written before the answer, including
those net/http itself refuses (no Host, malformed):
  METHOD TARGET sec-tailscale=yes|no host=HOST mode=MODE code=CODE
(mode is "-" but for status requests that pass the checks; code is "-" for
hang and close).

The socket is made mode 0666 and appears only once it accepts connections
(bound under a temporary name, then renamed), so "the socket exists" means
"ready".  SIGTERM or SIGINT: remove the socket and exit 0.  Prints nothing
unless --verbose or something is wrong.
"""

import argparse
import email.utils
import hashlib
import json
import os
import random
import re
import signal
import socket
import socketserver
import sys
import threading
import time
import urllib.parse

LOCALAPI_HOST = "local-tailscaled.sock"  # what tailscale's clients send
STATUS_PATH = "/localapi/v0/status"
WATCH_PATH = "/localapi/v0/watch-ipn-bus"
GO_BUFFER = 2048  # net/http's bufferBeforeChunkingSize
MAX_HEADER_BYTES = (1 << 20) + 4096  # net/http's DefaultMaxHeaderBytes + slack
HUGE_BYTES = 64 << 20
DEFAULT_VERSION = "1.76.6-t1234abcd-g5678ef90"
CAP_VERSION = "106"  # tailcfg.CurrentCapabilityVersion of 1.76

MODES = ("normal", "hang", "slow", "http500", "garbage", "truncated",
         "badchunk", "huge", "close", "notrunning", "loggedout")

STATUS_TEXT = {
    200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 431: "Request Header Fields Too Large",
    500: "Internal Server Error", 501: "Not Implemented",
    505: "HTTP Version Not Supported",
}

opts = None
log_lock = threading.Lock()


def warn(msg):
    sys.stderr.write("fake-tailscaled: %s\n" % msg)
    sys.stderr.flush()


# --- Go's encoding/json, as tailscaled uses it -------------------------------

def go_json(doc):
    """Encode like json.NewEncoder(w) with SetIndent("", "\\t")."""
    doc = dict(doc)
    for key in ("Peer", "User"):
        # Go sorts map keys (as strings, integer keys included); struct
        # fields keep their declared order, which the file already has.
        if isinstance(doc.get(key), dict):
            doc[key] = {k: doc[key][k] for k in sorted(doc[key])}
    text = json.dumps(doc, indent="\t", ensure_ascii=False)
    # Go's Encoder escapes HTML-special characters and the JS line
    # separators; Python emits them as they are.  None of them can occur
    # outside a string in JSON, so replacing them everywhere is safe.
    for ch, esc in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return (text + "\n").encode("utf-8")


def go_bool(s, default):
    """strconv.ParseBool, with a default on a parse error (tailscale's defBool)."""
    if s in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if s in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    return default


# --- what status says ---------------------------------------------------------

def self_owner_only(users, self_node):
    uid = (self_node or {}).get("UserID")
    if not isinstance(users, dict) or uid is None:
        return None
    up = users.get(str(uid))
    return {str(uid): up} if up is not None else {}


def without_peers(doc):
    doc = dict(doc)
    doc["Peer"] = None
    doc["User"] = self_owner_only(doc.get("User"), doc.get("Self"))
    return doc


def not_running(doc):
    """Logged out, but the profile still knows who it was."""
    doc = without_peers(doc)
    doc["BackendState"] = "NeedsLogin"
    return doc


def logged_out(doc):
    """No netmap at all: tailscaled knows nothing about any tailnet."""
    old = doc.get("Self") or {}
    return {
        "Version": doc.get("Version", DEFAULT_VERSION),
        "TUN": doc.get("TUN", True),
        "BackendState": "NeedsLogin",
        "AuthURL": "",
        "TailscaleIPs": None,
        "Self": {
            "ID": "",
            "PublicKey": "nodekey:" + "0" * 64,
            "HostName": old.get("HostName", "localhost"),
            "DNSName": "",
            "OS": old.get("OS", "linux"),
            "UserID": 0,
            "TailscaleIPs": None,
            "Online": False,
            "Active": False,
            "InNetworkMap": False,
            "InMagicSock": False,
            "InEngine": False,
        },
        "Health": ["You are logged out."],
        "MagicDNSSuffix": "",
        "CurrentTailnet": None,
        "CertDomains": None,
        "Peer": None,
        "User": None,
        "ClientVersion": None,
    }


def read_mode():
    if not opts.mode_file:
        return "normal"
    try:
        with open(opts.mode_file, encoding="utf-8") as f:
            words = f.read().split()
    except FileNotFoundError:
        return "normal"
    return words[0] if words else "normal"


def read_tailnet():
    with open(opts.tailnet, encoding="utf-8") as f:
        return json.load(f)


# --- the wire -------------------------------------------------------------------

class BadRequest(Exception):
    """A request net/http refuses before any handler sees it."""

    def __init__(self, code, text):
        super().__init__(text)
        self.code = code
        self.text = text


class Request:
    def __init__(self, method, target, minor, headers):
        self.method = method
        self.target = target
        self.minor = minor  # HTTP/1.<minor>
        self.headers = headers  # lower-case name -> [values]
        parts = urllib.parse.urlsplit(target)
        self.path = parts.path
        self.query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)

    def get(self, name):
        """http.Header.Get: the first value, or ''."""
        vals = self.headers.get(name.lower())
        return vals[0] if vals else ""

    def has_token(self, name, token):
        for v in self.headers.get(name.lower(), []):
            for t in v.split(","):
                if t.strip().lower() == token:
                    return True
        return False


class Reply:
    """A response in net/http's terms: code, handler headers, body."""

    def __init__(self, code, body=b"", headers=None, content_type=None):
        self.code = code
        self.body = body
        self.headers = dict(headers or {})
        if content_type:
            self.headers["Content-Type"] = content_type

    def wire(self, req, chunks=None):
        """The bytes on the wire, and whether the connection closes after.

        chunks: split a chunked body into this many chunks (default: one,
        as tailscaled's single Write gives)."""
        minor = req.minor if req else 1
        close = req is None or self._close_after(req)
        small = len(self.body) <= GO_BUFFER
        chunked = not small and minor >= 1
        if not small and not chunked:
            close = True  # HTTP/1.0 and length unknown: end marks the body
        head = ["HTTP/1.%d %d %s" % (minor, self.code, STATUS_TEXT[self.code])]
        for k in sorted(self.headers):  # http.Header.Write sorts
            head.append("%s: %s" % (k, self.headers[k]))
        head.append("Date: " + email.utils.formatdate(usegmt=True))
        if small:
            head.append("Content-Length: %d" % len(self.body))
        if "Content-Type" not in self.headers and self.body:
            head.append("Content-Type: " + sniff(self.body))
        if close and minor >= 1:
            head.append("Connection: close")
        elif not close and minor == 0:
            head.append("Connection: keep-alive")
        if chunked:
            head.append("Transfer-Encoding: chunked")
        out = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if req is not None and req.method == "HEAD":
            return out, close
        if chunked:
            n = max(1, chunks or 1)
            step = -(-len(self.body) // n)
            for i in range(0, len(self.body), step):
                piece = self.body[i:i + step]
                out += b"%x\r\n%s\r\n" % (len(piece), piece)
            out += b"0\r\n\r\n"
        else:
            out += self.body
        return out, close

    @staticmethod
    def _close_after(req):
        if req.minor >= 1:
            return req.has_token("Connection", "close")
        return not req.has_token("Connection", "keep-alive")


class Fault:
    """A status answer that breaks the rules; run() sends it and says
    whether the connection lives on.  code is what the log shows."""

    def __init__(self, code, run):
        self.code = code
        self.run = run


def sniff(body):
    """The two answers http.DetectContentType gives for our bodies."""
    if body.lstrip().lower().startswith(b"<html"):
        return "text/html; charset=utf-8"
    return "text/plain; charset=utf-8"


def http_error(code, text, headers=None):
    """http.Error: text/plain, nosniff, the message and a newline."""
    h = dict(headers or {})
    h["Content-Type"] = "text/plain; charset=utf-8"
    h["X-Content-Type-Options"] = "nosniff"
    return Reply(code, (text + "\n").encode(), h)


def localapi_headers(version):
    return {
        "Tailscale-Version": version,
        "Tailscale-Cap": CAP_VERSION,
        "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; "
        "script-src 'none'; script-src-elem 'none'; script-src-attr 'none'",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
    }


# --- one connection -------------------------------------------------------------

class Handler(socketserver.StreamRequestHandler):
    rbufsize = 65536

    def handle(self):
        while True:
            try:
                req = self.read_request()
            except BadRequest as e:
                # net/http writes these itself, in this exact form, and closes
                method, target, headers = self.seen
                self.log("%s %s sec-tailscale=%s host=%s mode=- code=%d" % (
                    method, target,
                    "yes" if headers.get("sec-tailscale") == ["localapi"] else "no",
                    (headers.get("host") or ["-"])[0] or "-", e.code))
                status = "%d %s" % (e.code, STATUS_TEXT[e.code])
                if e.text:
                    status += ": " + e.text
                self.send(("HTTP/1.1 %s\r\nContent-Type: text/plain; "
                           "charset=utf-8\r\nConnection: close\r\n\r\n%s"
                           % (status, status)).encode())
                return
            except (OSError, ValueError):
                return
            if req is None:
                return
            if not self.serve(req):
                return

    def send(self, data):
        try:
            self.request.sendall(data)
            return True
        except OSError:
            return False

    def readline(self, budget):
        line = self.rfile.readline(budget + 1)
        if len(line) > budget:
            raise BadRequest(431, "")
        return line

    def read_request(self):
        self.seen = ("-", "-", {})  # what the log can say of a bad request
        budget = MAX_HEADER_BYTES
        line = self.readline(budget)
        if not line:
            return None  # the client closed an idle connection
        budget -= len(line)
        try:
            text = line.decode("latin-1").rstrip("\r\n")
            method, rest = text.split(" ", 1)
            target, proto = rest.split(" ", 1)
        except ValueError:
            raise BadRequest(400, "") from None
        if not method or not target:
            raise BadRequest(400, "")
        headers = {}
        self.seen = (method, target, headers)
        m = re.fullmatch(r"HTTP/(\d)\.(\d)", proto)
        if not m:
            raise BadRequest(400, "")  # "malformed HTTP version"
        if m.group(1) != "1":
            raise BadRequest(505, "unsupported protocol version")
        minor = int(m.group(2))
        while True:
            line = self.readline(budget)
            if not line:
                raise OSError("eof in headers")
            budget -= len(line)
            text = line.decode("latin-1").rstrip("\r\n")
            if text == "":
                break
            name, sep, value = text.partition(":")
            if not sep or not name or name != name.strip():
                raise BadRequest(400, "")
            headers.setdefault(name.lower(), []).append(value.strip())
        hosts = headers.get("host")
        if hosts is None and minor >= 1:
            raise BadRequest(400, "missing required Host header")
        if hosts is not None and len(hosts) > 1:
            raise BadRequest(400, "too many Host headers")
        req = Request(method, target, minor, headers)
        try:
            self.discard_body(req)
        except ValueError:
            raise BadRequest(400, "") from None  # a bad length or chunk size
        return req

    def discard_body(self, req):
        te = [t.strip().lower() for v in req.headers.get("transfer-encoding", [])
              for t in v.split(",")]
        if te:
            if te != ["chunked"]:
                raise BadRequest(501, "unsupported transfer encoding")
            while True:
                size = self.rfile.readline(1024).split(b";")[0].strip()
                n = int(size, 16)
                if n == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return
                self.rfile.read(n + 2)
        cl = req.get("Content-Length")
        if cl:
            n = int(cl)
            while n > 0:
                got = self.rfile.read(min(n, 65536))
                if not got:
                    raise OSError("eof in body")
                n -= len(got)

    # -- what tailscaled answers ----------------------------------------------

    def serve(self, req):
        """Answer one request; False when the connection must close."""
        sec = req.get("Sec-Tailscale") == "localapi"
        mode = "-"
        if not sec:
            # tsnet's localSecHandler: WriteHeader(403) + io.WriteString,
            # so Go sniffs the Content-Type and there is no newline.
            reply = Reply(403, b"missing 'Sec-Tailscale: localapi' header")
        elif req.path.startswith("/localapi/"):
            host = req.headers.get("host", [""])[0]
            if req.get("Referer") or req.get("Origin") or host not in ("", LOCALAPI_HOST):
                reply = http_error(403, "invalid localapi request")
            elif req.path == WATCH_PATH:
                return self.watch(req)
            elif req.path != STATUS_PATH:
                reply = http_error(404, "404 page not found", localapi_headers(DEFAULT_VERSION))
            else:
                mode = read_mode()
                reply = self.status(req, mode)
        elif req.path == "/":
            reply = Reply(200, b"<html><title>Tailscale</title><body><h1>Tailscale</h1>"
                          b"This is the local Tailscale daemon.\n")
        else:
            reply = http_error(404, "404 page not found")

        code = reply.code if reply.code is not None else "-"
        self.log("%s %s sec-tailscale=%s host=%s mode=%s code=%s" % (
            req.method, req.target, "yes" if sec else "no",
            req.get("Host") or "-", mode, code))

        if isinstance(reply, Fault):
            return reply.run()  # it does its own talking
        data, close = reply.wire(req)
        return self.send(data) and not close

    # -- the IPN bus --------------------------------------------------------------

    def watch(self, req):
        ctl = read_bus_ctl()
        try:
            doc = read_tailnet()
        except (OSError, ValueError) as e:
            return self.finish_watch(req, http_error(500, "cannot read tailnet: %s" % e))
        version = doc.get("Version") or DEFAULT_VERSION
        raw = (req.query.get("mask") or [""])[0]
        if ctl == "nobus":
            return self.finish_watch(req, http_error(404, "404 page not found"))
        why = bad_mask(raw, version)
        if why:
            return self.finish_watch(req, http_error(400, why))
        mask = int(raw or "0")
        self.log("%s %s sec-tailscale=yes host=%s mode=bus code=200" % (
            req.method, req.target, req.get("Host") or "-"))
        head = Reply(200, b"", localapi_headers(version), "application/json")
        head_bytes, _ = head.wire(req)
        # force the chunked form: the body's length is unknown
        head_bytes = head_bytes.replace(b"Content-Length: 0\r\n",
                                        b"Transfer-Encoding: chunked\r\n")
        if not self.send(head_bytes):
            return False
        if ctl == "silent":
            return self.hang()
        return self.stream(mask, ctl)

    def finish_watch(self, req, reply):
        self.log("%s %s sec-tailscale=yes host=%s mode=bus code=%d" % (
            req.method, req.target, req.get("Host") or "-", reply.code))
        data, close = reply.wire(req)
        return self.send(data) and not close

    def chunk(self, data):
        return self.send(b"%x\r\n%s\r\n" % (len(data), data))

    def stream(self, mask, seen_ctl):
        mode, stamp = read_mode(), doc_stamp()
        view = View(read_tailnet(), mode)
        sent_profiles = dict(view.profiles) if mask & M_INITIAL_STATUS else {}
        if not self.chunk(first_message(view, mask)):
            return False
        new_style = version_tuple(view.version) >= (1, 100)
        deltas_on = new_style and mask & (M_PEER_CHANGES | M_PEER_PATCHES)
        while True:
            time.sleep(0.05)
            ctl = read_bus_ctl()
            if ctl != seen_ctl and ctl.startswith("cut "):
                line = resync(view, {})
                self.send(b"%x\r\n%s" % (len(line), line[:len(line) // 2]))
                return False
            if ctl != seen_ctl and ctl.startswith("stall "):
                line = resync(view, {})
                self.send(b"%x\r\n%s" % (len(line), line[:len(line) // 2]))
                return self.hang()
            if ctl != seen_ctl and ctl.startswith("trickle "):
                return self.trickle(resync(view, {}))
            if ctl != seen_ctl and ctl.startswith("behind "):
                self.chunk(notify(view.version, ErrMessage=(
                    "IPN bus consumer fell behind; closing watch")))
                self.send(b"0\r\n\r\n")
                return False
            seen_ctl = ctl
            if (read_mode(), doc_stamp()) == (mode, stamp):
                continue
            mode, stamp = read_mode(), doc_stamp()
            try:
                new = View(read_tailnet(), mode)
            except (OSError, ValueError):
                continue
            for line in self.changes(view, new, sent_profiles, ctl, deltas_on, new_style):
                if not self.chunk(line):
                    return False
            if new.state == 6 or view.state != 6:
                view = new
            else:
                view.state = new.state  # logged out: the peers stay as they were

    def changes(self, old, new, sent_profiles, ctl, deltas_on, new_style):
        out = []
        if new.state != old.state:
            out.append(notify(new.version, State=new.state))
        if new.state != 6:
            return out  # no peers while not Running
        if not new_style:
            if old.state != 6 or old.peers != new.peers or old.profiles != new.profiles:
                out.append(notify(new.version, NetMap=new.netmap()))
            return out
        if not deltas_on:
            return out
        if old.state != 6 or ctl == "rebuild":
            out.append(resync(new, sent_profiles))
        else:
            out.extend(deltas(old, new, sent_profiles))
        return out

    def log(self, line):
        if opts.verbose:
            warn(line)
        if opts.log:
            with log_lock, open(opts.log, "a", encoding="utf-8") as f:
                f.write(line + "\n")

    def status(self, req, mode):
        if mode not in MODES:
            warn("unknown mode %r in %s" % (mode, opts.mode_file))
            return http_error(500, "fake-tailscaled: unknown mode %r" % mode)
        if req.method != "GET":
            return http_error(405, "only GET allowed")
        if mode == "hang":
            return Fault(None, self.hang)
        if mode == "close":
            return Fault(None, lambda: False)
        if mode == "http500":
            # a LocalAPI 500 as tailscaled words it
            return http_error(500, "server has no local backend")
        if mode == "garbage":
            return Reply(200, b"<html>not json", content_type="application/json")
        if mode == "huge":
            return Fault(200, lambda: self.huge(req))

        try:
            doc = read_tailnet()
        except (OSError, ValueError) as e:
            warn("cannot read tailnet %s: %s" % (opts.tailnet, e))
            return http_error(500, "fake-tailscaled: cannot read tailnet: %s" % e)
        if mode == "notrunning":
            doc = not_running(doc)
        elif mode == "loggedout":
            doc = logged_out(doc)
        elif not go_bool((req.query.get("peers") or [""])[0], True):
            doc = without_peers(doc)
        headers = localapi_headers(doc.get("Version") or DEFAULT_VERSION)
        reply = Reply(200, go_json(doc), headers, "application/json")

        if mode == "slow":
            return Fault(200, lambda: self.drip(reply, req))
        if mode == "truncated":
            return Fault(200, lambda: self.truncated(reply, req))
        if mode == "badchunk":
            return Fault(200, lambda: self.badchunk(reply, req))
        return reply

    # -- faults -------------------------------------------------------------------

    def trickle(self, line):
        # One chunk, its bytes one by one: each arrives on its own.
        if not self.send(b"%x\r\n" % len(line)):
            return False
        for i in range(len(line)):
            time.sleep(0.1)
            if not self.send(line[i:i + 1]):
                return False
        return self.send(b"\r\n")

    def hang(self):
        # Keep reading (and ignoring) so the connection stays open until the
        # client gives up; then close.
        try:
            while self.request.recv(65536):
                pass
        except OSError:
            pass
        return False

    def drip(self, reply, req):
        data, close = reply.wire(req, chunks=10)
        step = -(-len(data) // 20)
        for i in range(0, len(data), step):
            if not self.send(data[i:i + step]):
                return False
            time.sleep(0.1)
        return not close

    def chunked_head(self, reply, req):
        # Force the chunked form even for a small document.
        big = Reply(reply.code, b"x" * (GO_BUFFER + 1), reply.headers)
        data, _ = big.wire(req)
        return data[:data.index(b"\r\n\r\n") + 4]

    def truncated(self, reply, req):
        half = reply.body[:len(reply.body) // 2]
        self.send(self.chunked_head(reply, req) + b"%x\r\n%s\r\n" % (len(half), half))
        return False

    def badchunk(self, reply, req):
        body = reply.body
        first, rest = body[:len(body) // 3], body[len(body) // 3:]
        self.send(self.chunked_head(reply, req)
                  + b"%x\r\n%s\r\n" % (len(first), first)
                  + b"zz%d\r\n%s\r\n0\r\n\r\n" % (len(rest), rest))
        return False

    def huge(self, req):
        head = Reply(200, b"", localapi_headers(DEFAULT_VERSION), "application/json")
        if not self.send(self.chunked_head(head, req)):
            return False

        def chunk(data):
            return self.send(b"%x\r\n%s\r\n" % (len(data), data))

        start = ('{\n\t"Version": "%s",\n\t"BackendState": "Running",\n'
                 '\t"Peer": {\n' % DEFAULT_VERSION).encode()
        sent, n = 0, 0
        if not chunk(start):
            return False
        sent += len(start)
        while sent < HUGE_BYTES:
            parts = []
            size = 0
            while size < 65536:
                p = ('\t\t"nodekey:%064x": {\n\t\t\t"HostName": "filler-%d",\n'
                     '\t\t\t"UserID": %d,\n\t\t\t"Online": true\n\t\t},\n'
                     % (n, n, 6000000000000000 + n)).encode()
                parts.append(p)
                size += len(p)
                n += 1
            if not chunk(b"".join(parts)):
                return False  # the client went away: stop
            sent += size
        end = ('\t\t"nodekey:%064x": {}\n\t}\n}\n' % n).encode()
        return chunk(end) and self.send(b"0\r\n\r\n")



# --- the IPN bus ---------------------------------------------------------------

M_INITIAL_STATE, M_INITIAL_NETMAP, M_RATE_LIMIT = 2, 8, 256
M_PEER_CHANGES, M_NO_NETMAP, M_INITIAL_STATUS, M_PEER_PATCHES = 4096, 8192, 16384, 32768
M_IN_PROCESS = 65536
STATES = {"NoState": 0, "InUseOtherUser": 1, "NeedsLogin": 2, "NeedsMachineAuth": 3,
          "Stopped": 4, "Starting": 5, "Running": 6}
NOTIFY_ORDER = ("Version", "SessionID", "ErrMessage", "LoginFinished", "State",
                "Prefs", "SelfChange", "InitialStatus", "NetMap", "PeersChanged",
                "PeersRemoved", "UserProfiles", "Engine", "BrowseToURL", "DriveShares")
ALWAYS = ("ErrMessage", "LoginFinished", "State", "Prefs", "NetMap", "Engine",
          "BrowseToURL", "DriveShares")  # no omit tag: null when unset


def version_tuple(v):
    m = re.match(r"(\d+)\.(\d+)", v or "")
    return (int(m.group(1)), int(m.group(2))) if m else (1, 102)


def go_line(obj):
    """json.Encoder.Encode: compact, HTML escaped, one newline."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return (text + "\n").encode("utf-8")


def notify(version, **fields):
    out = {}
    for k in NOTIFY_ORDER:
        if k == "Version":
            out[k] = version
        elif k in fields:
            out[k] = fields[k]
        elif k in ALWAYS:
            out[k] = None
    return go_line(out)


def node_id(ps, key):
    """PeerStatus.NodeID, or one derived from the node key (> 2^53 mostly)."""
    if isinstance(ps.get("NodeID"), int):
        return ps["NodeID"]
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:7], "big") + 1


def to_node(nid, ps):
    """A tailcfg.Node in the shape the bus carries it."""
    addrs = [ip + ("/128" if ":" in ip else "/32") for ip in ps.get("TailscaleIPs") or []]
    n = {"ID": nid, "StableID": ps.get("ID", ""), "Name": ps.get("DNSName", ""),
         "User": ps.get("UserID", 0), "Key": ps.get("PublicKey", ""),
         "Addresses": addrs, "AllowedIPs": addrs}
    if ps.get("Tags"):
        n["Tags"] = ps["Tags"]
    n["Online"] = bool(ps.get("Online"))
    n["MachineAuthorized"] = True
    n["ComputedName"] = ps.get("HostName", "")
    return n


class View:
    """What a watcher has been told: state, peers by NodeID, profiles."""

    def __init__(self, doc, mode):
        if mode == "notrunning":
            doc = not_running(doc)
        elif mode == "loggedout":
            doc = logged_out(doc)
        self.doc = doc
        self.version = doc.get("Version") or DEFAULT_VERSION
        self.state = STATES.get(doc.get("BackendState"), 0)
        self.self_node = to_node(node_id(doc.get("Self") or {}, "self"),
                                 doc.get("Self") or {})
        self.peers = {}
        for key, ps in (doc.get("Peer") or {}).items():
            nid = node_id(ps, key)
            self.peers[nid] = to_node(nid, ps)
        self.profiles = {k: v for k, v in (doc.get("User") or {}).items()}

    def initial_status(self):
        doc = dict(self.doc)
        peers = {}
        for key, ps in (doc.get("Peer") or {}).items():
            ps = dict(ps)
            ps["NodeID"] = node_id(ps, key)
            peers[key] = ps
        doc["Peer"] = {k: peers[k] for k in sorted(peers)} if doc.get("Peer") is not None else None
        if isinstance(doc.get("User"), dict):
            doc["User"] = {k: doc["User"][k] for k in sorted(doc["User"])}
        return doc

    def netmap(self):
        return {"SelfNode": self.self_node,
                "Peers": [self.peers[k] for k in sorted(self.peers)],
                "UserProfiles": {k: self.profiles[k] for k in sorted(self.profiles)},
                "Domain": (self.doc.get("CurrentTailnet") or {}).get("Name", "")}


def first_message(view, mask):
    f = {}
    if mask & M_INITIAL_STATE:
        f["SessionID"] = "%016x" % random.getrandbits(64)
        f["State"] = view.state
    if mask & M_INITIAL_NETMAP and view.doc.get("Peer") is not None:
        if version_tuple(view.version) >= (1, 100):
            f["SelfChange"] = view.self_node
        f["NetMap"] = view.netmap()
    if mask & M_INITIAL_STATUS and version_tuple(view.version) >= (1, 100):
        f["InitialStatus"] = view.initial_status()
    return notify(view.version, **f)


def resync(view, sent_profiles):
    """The one message of a full netmap rebuild (SelfChange)."""
    ups = {k: v for k, v in sorted(view.profiles.items()) if sent_profiles.get(k) != v}
    sent_profiles.update(ups)
    f = {"SelfChange": view.self_node,
         "PeersChanged": [view.peers[k] for k in sorted(view.peers)]}
    if ups:
        f["UserProfiles"] = ups
    return notify(view.version, **f)


def deltas(old, new, sent_profiles):
    """UserProfiles first, then PeersChanged/PeersRemoved."""
    out = []
    ups = {k: v for k, v in sorted(new.profiles.items()) if sent_profiles.get(k) != v}
    if ups:
        sent_profiles.update(ups)
        out.append(notify(new.version, UserProfiles=ups))
    changed = [n for k, n in sorted(new.peers.items()) if old.peers.get(k) != n]
    removed = [k for k in sorted(old.peers) if k not in new.peers]
    f = {}
    if changed:
        f["PeersChanged"] = changed
    if removed:
        f["PeersRemoved"] = removed
    if f:
        out.append(notify(new.version, **f))
    return out


def read_bus_ctl():
    if not opts.bus_file:
        return "normal"
    try:
        with open(opts.bus_file, encoding="utf-8") as f:
            return " ".join(f.read().split()) or "normal"
    except FileNotFoundError:
        return "normal"


def bad_mask(raw, version):
    """The 400 a mask gets, or None."""
    if raw == "":
        return None
    if not raw.isdigit() or int(raw) >= 1 << 64:
        return "bad mask"
    m = int(raw)
    if version_tuple(version) >= (1, 102):
        if m & M_IN_PROCESS:
            return ("NotifyInProcessNoDisconnect is only valid for in-process "
                    "IPN bus subscribers")
        new = m & (M_PEER_CHANGES | M_NO_NETMAP | M_INITIAL_STATUS | M_PEER_PATCHES)
        if m & M_RATE_LIMIT and new:
            return "NotifyRateLimit is incompatible with new-style IPN bus subscription bits"
    return None


def doc_stamp():
    try:
        st = os.stat(opts.tailnet)
        return (st.st_ino, st.st_mtime_ns, st.st_size)
    except OSError:
        return None


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True  # hung connections must not keep us alive
    request_queue_size = 128


# --- main ------------------------------------------------------------------------

def main():
    global opts
    ap = argparse.ArgumentParser(description="A stand-in for tailscaled's LocalAPI.")
    ap.add_argument("--socket", required=True, help="unix socket to listen on")
    ap.add_argument("--tailnet", required=True, help="status document (JSON), re-read per request")
    ap.add_argument("--mode-file", help="file holding the fault mode, re-read per request")
    ap.add_argument("--log", help="append one line per request here")
    ap.add_argument("--bus-file", help="file holding the IPN bus control word")
    ap.add_argument("--verbose", action="store_true", help="log requests to stderr")
    opts = ap.parse_args()

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    # Bind under a temporary name and rename once listening, so a client that
    # sees the socket can connect at once.
    tmp = "%s.%d.tmp" % (opts.socket, os.getpid())
    srv = Server(tmp, Handler, bind_and_activate=False)
    ino = None
    try:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        srv.server_bind()
        os.chmod(tmp, 0o666)
        srv.server_activate()
        os.rename(tmp, opts.socket)
        ino = os.stat(opts.socket).st_ino
        if opts.verbose:
            warn("listening on %s" % opts.socket)
        srv.serve_forever()
    except OSError as e:
        warn("%s: %s" % (opts.socket, e))
        return 1
    finally:
        srv.server_close()
        for path in (tmp, opts.socket):
            try:
                if path == tmp or os.stat(path).st_ino == ino:
                    os.unlink(path)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
