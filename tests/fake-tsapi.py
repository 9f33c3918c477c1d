#!/usr/bin/env python3
"""fake-tsapi.py - a stand-in for the Tailscale control-plane API, for tests.

    fake-tsapi.py --port-file FILE --users FILE [--tailnet NAME]
                  [--api-key KEY] [--client-id ID --client-secret SECRET]
                  [--token-expiry SECONDS] [--mode-file FILE] [--log FILE]

Listens on 127.0.0.1 on a free port and writes the port to --port-file
once it accepts connections.  It speaks what
shared/fixtures/tailscale-api.md records of the real API:

  GET /api/v2/tailnet/{tailnet}/users[?type=member|shared|all]
      {tailnet} is "-" or --tailnet (else 404 with the spec's message);
      type defaults to member, as in the spec; any other value is a 400.
      The answer is {"users":[...]} with every field of the spec's User
      object; --users (a JSON array of user objects, re-read on every
      request so a test can change it) needs only loginName and id, the
      rest gets the spec example's values (type member, role member,
      status active).  An "id" given as a number is sent as one: tests of
      a client's tolerance need that.
  POST /api/v2/oauth/token
      client credentials, form-encoded, in either body form the fixtures
      record: client_id and client_secret as fields (grant_type optional,
      as in Tailscale's curl example) or in a Basic header with
      grant_type=client_credentials (x/oauth2).  Answers
      {"access_token","token_type":"Bearer","expires_in"}; a token dies
      after --token-expiry seconds (default 3600).  Wrong credentials: 401
      {"error":"invalid_client"}.
  Auth on users: "Authorization: Bearer KEY" or "Basic base64(KEY:)" with
  the --api-key, or "Bearer TOKEN" with a live access token; else 401
  {"message":"unauthorized"}.

Faults: --mode-file holds one word, read on every users request (missing
or empty: normal): 401, 403, 429, 500 (that status, the spec's error body
{"message": ...}), hang (never answer), garbage (200, "<html>not json"),
truncated (a Content-Length the body never reaches, then close), huge (a
chunked 200 of JSON that is well-formed so far and never ends, until the
client goes away, at most 256 MiB), revoke (every access token issued so far stops working, as if
revoked, before the request is checked - once per writing of the mode
file; then a normal answer), "429 SECONDS" (a 429 with Retry-After:
SECONDS).

--log gets one line per request: METHOD PATH STATUS AUTH, where AUTH is
key, token, expired, basic-form, body-form, bad or none; a token request
that succeeds adds issued=TOKEN, so a test can look for the token where
it must not be.
"""

import argparse
import base64
import json
import os
import secrets
import socketserver
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

ARGS = None
TOKENS = {}  # access token -> monotonic expiry
LOCK = threading.Lock()
REVOKED = None  # the mode file's mtime at the last revoke

DEFAULTS = {
    "displayName": "",
    "profilePicUrl": "",
    "tailnetId": "example.com",
    "created": "2022-12-01T05:23:30Z",
    "type": "member",
    "role": "member",
    "status": "active",
    "deviceCount": 1,
    "lastSeen": "2022-12-01T05:23:30Z",
    "currentlyConnected": False,
}


def read_word(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip() or "normal"
    except (OSError, TypeError):
        return "normal"


def read_users():
    with open(ARGS.users, encoding="utf-8") as f:
        users = json.load(f)
    out = []
    for u in users:
        full = dict(DEFAULTS)
        full.update(u)
        out.append(full)
    return out


def log(line):
    if ARGS.log:
        with LOCK, open(ARGS.log, "a", encoding="utf-8") as f:
            f.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-tsapi"

    def log_message(self, fmt, *args):  # quiet: --log says what matters
        pass

    def reply(self, code, doc, auth, headers=None):
        body = json.dumps(doc).encode() if not isinstance(doc, bytes) else doc
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        log(f"{self.command} {self.path} {code} {auth}")

    def auth_kind(self):
        h = self.headers.get("Authorization", "")
        if h.startswith("Bearer "):
            t = h[len("Bearer "):]
            if ARGS.api_key and t == ARGS.api_key:
                return "key"
            with LOCK:
                exp = TOKENS.get(t)
            if exp is None:
                return "bad"
            return "token" if time.monotonic() < exp else "expired"
        if h.startswith("Basic "):
            try:
                user, _, pw = base64.b64decode(h[6:]).decode().partition(":")
            except ValueError:
                return "bad"
            return "key" if ARGS.api_key and user == ARGS.api_key and not pw \
                else "bad"
        return "none"

    def do_GET(self):
        global REVOKED
        if read_word(ARGS.mode_file) == "revoke":
            stamp = os.stat(ARGS.mode_file).st_mtime_ns
            with LOCK:
                if stamp != REVOKED:  # once per writing of the mode file
                    TOKENS.clear()
                    REVOKED = stamp
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.split("/")
        if len(parts) != 6 or parts[1:4] != ["api", "v2", "tailnet"] \
                or parts[5] != "users":
            return self.reply(404, {"message": "not found"}, "-")
        auth = self.auth_kind()
        if auth not in ("key", "token"):
            return self.reply(401, {"message": "unauthorized"}, auth)
        tailnet = urllib.parse.unquote(parts[4])
        if tailnet not in ("-", ARGS.tailnet):
            return self.reply(404, {"message": "Tailnet not found, or user "
                                    "does not have access to read users."},
                              auth)
        q = urllib.parse.parse_qs(url.query)
        kind = q.get("type", ["member"])[0]
        if kind not in ("member", "shared", "all"):
            return self.reply(400, {"message": "invalid type"}, auth)
        self.users(kind, auth)

    def users(self, kind, auth):
        mode = read_word(ARGS.mode_file)
        if mode.startswith("429 "):
            return self.reply(429, {"message": "rate limited"}, auth,
                              {"Retry-After": mode.split()[1]})
        if mode in ("401", "403", "429", "500"):
            msgs = {"401": "unauthorized", "403": "calling actor does not "
                    "have enough permissions to perform this function",
                    "429": "rate limited", "500": "internal error"}
            return self.reply(int(mode), {"message": msgs[mode]}, auth)
        if mode == "hang":
            log(f"GET {self.path} hang {auth}")
            time.sleep(3600)
            return None
        if mode == "garbage":
            return self.reply(200, b"<html>not json", auth)
        if mode == "huge":
            return self.huge(auth)
        users = [u for u in read_users()
                 if kind == "all" or u.get("type") == kind]
        body = json.dumps({"users": users}).encode()
        if mode == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            log(f"GET {self.path} truncated {auth}")
            return None
        return self.reply(200, body, auth)

    def huge(self, auth):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        log(f"GET {self.path} huge {auth}")
        # JSON that is well-formed so far and never ends (a string that
        # does not close): only a bound on size stops it, and a streaming
        # reader passes over it at once
        chunk = b"x" * 65536
        try:
            self.wfile.write(b"16\r\n{\"users\":[],\"filler\":\"\r\n")
            for _ in range((256 << 20) // len(chunk)):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass
        self.close_connection = True

    def form_credentials(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(min(n, 65536)).decode())
        grant = form.get("grant_type", ["client_credentials"])[0]
        h = self.headers.get("Authorization", "")
        if h.startswith("Basic "):
            cid, _, sec = base64.b64decode(h[6:]).decode().partition(":")
            cid, sec = urllib.parse.unquote(cid), urllib.parse.unquote(sec)
            how = "basic-form"
        else:
            cid = form.get("client_id", [""])[0]
            sec = form.get("client_secret", [""])[0]
            how = "body-form"
        return grant, cid, sec, how

    def do_POST(self):
        if urllib.parse.urlsplit(self.path).path != "/api/v2/oauth/token":
            return self.reply(404, {"message": "not found"}, "-")
        grant, cid, sec, how = self.form_credentials()
        if grant != "client_credentials":
            return self.reply(400, {"error": "unsupported_grant_type"}, how)
        if not ARGS.client_id or cid != ARGS.client_id \
                or sec != ARGS.client_secret:
            return self.reply(401, {"error": "invalid_client",
                                    "error_description":
                                    "invalid client credentials"}, "bad")
        token = "EXAMPLE-access-" + secrets.token_hex(16)
        with LOCK:
            TOKENS[token] = time.monotonic() + ARGS.token_expiry
        return self.reply(200, {"access_token": token, "token_type": "Bearer",
                                "expires_in": ARGS.token_expiry},
                          f"{how} issued={token}",
                          {"Cache-Control": "no-store"})


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--users", required=True)
    p.add_argument("--tailnet", default="example.com")
    p.add_argument("--api-key")
    p.add_argument("--client-id")
    p.add_argument("--client-secret")
    p.add_argument("--token-expiry", type=int, default=3600)
    p.add_argument("--mode-file")
    p.add_argument("--log")
    ARGS = p.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{srv.server_address[1]}\n")
    os.rename(tmp, ARGS.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
