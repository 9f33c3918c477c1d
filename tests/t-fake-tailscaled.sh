#!/bin/sh
# t-fake-tailscaled.sh - the tailscaled stand-in speaks the LocalAPI as
# tailscaled does (the daemon's tests are only as good as it is), and
# tailnet.py writes what the tests ask for.  Talks to it with curl.
. "$top_srcdir/tests/lib.sh"
command -v curl >/dev/null 2>&1 || skip_all "curl is not installed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
setup_tmpdir

tailnet="$T/tailnet.json"
tailnet_py() { python3 "$top_srcdir/tests/tailnet.py" "$@"; }
# json EXPR [FILE]: evaluate a Python expression over the JSON document d
# (FILE, by default the last body fetched); prints the result.
json() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[2])); print(eval(sys.argv[1]))' \
		"$1" "${2:-$T/body}"
}

URL=http://local-tailscaled.sock/localapi/v0/status
SEC="Sec-Tailscale: localapi"
asked=0 # status requests made, to compare with the stand-in's log

# get [CURL ARGS]: one request; the body lands in $T/body, the headers in
# $T/headers, and $code is the HTTP status ("000": no answer), $rc curl's.
get() {
	code=$(curl -sS --max-time 10 --unix-socket "$T/tailscaled.sock" \
		-o "$T/body" -D "$T/headers" -w '%{http_code}' "$@" 2>"$T/curl.err")
	rc=$?
}
# header NAME: the value of a response header ("" if absent).
header() {
	tr -d '\r' <"$T/headers" | sed -n "s/^$1: //Ip" | head -n 1
}

cp "$fixtures/localapi-status.json" "$tailnet"
start_fake_tailscaled "$tailnet"

is "$(stat -c %a "$T/tailscaled.sock")" 666 "the socket is mode 0666"

# --- the anti-CSRF and host checks -------------------------------------------
get "$URL"
asked=$((asked + 1))
is "$code" 403 "no Sec-Tailscale header: 403"
is "$(cat "$T/body")" "missing 'Sec-Tailscale: localapi' header" \
	"and the body the strict tailscaled builds send"

get -H "$SEC" http://localhost/localapi/v0/status
asked=$((asked + 1))
is "$code:$(cat "$T/body")" "403:invalid localapi request" \
	"a Host other than local-tailscaled.sock: 403, as tailscaled"

get -H "$SEC" -H "Host:" "$URL"
asked=$((asked + 1))
is "$code" 400 "no Host header at all: 400, as Go's net/http"
is "$(cat "$T/body")" "400 Bad Request: missing required Host header" \
	"with Go's wording"

get -H "$SEC" http://local-tailscaled.sock/localapi/v0/nosuch
is "$code:$(cat "$T/body")" "404:404 page not found" "an unknown path: Go's 404"

get -H "$SEC" -X POST "$URL"
asked=$((asked + 1))
is "$code" 405 "POST on status: 405"

# --- a normal answer -----------------------------------------------------------
get -H "$SEC" "$URL"
asked=$((asked + 1))
is "$code" 200 "with Sec-Tailscale: 200"
is "$(header Content-Type)" application/json "Content-Type: application/json"
like "$(header Date)" '^[A-Z][a-z][a-z], [0-9][0-9] [A-Z][a-z][a-z] [0-9]{4} [0-9:]{8} GMT$' \
	"a Date header"
is "$(json 'sorted(u["LoginName"] for u in d["User"].values())')" \
	"$(json 'sorted(u["LoginName"] for u in d["User"].values())' "$tailnet")" \
	"the body is JSON with the fixture's users"
is "$(json 'len(d["Peer"])')" 7 "and its peers"
like "$(head -n 3 "$T/body")" '^\{
	"Version": "1[^"]*",
	"TUN": true,$' "encoded as tailscaled does: tab indent, fields in order"
check "user ids stay JSON integers" grep -q '"ID": 6012345678901234,$' "$T/body"
is "$(json 'list(d["Peer"]) == sorted(d["Peer"]) and list(d["User"]) == sorted(d["User"])')" \
	True "map keys sorted, as Go's encoding/json does"
is "$(tail -c 1 "$T/body" | od -An -c | tr -d ' ')" '\n' "a trailing newline"

# --- framing ---------------------------------------------------------------------
tailnet_py -o "$tailnet" --random 500 --seed 7
get -H "$SEC" "$URL"
asked=$((asked + 1))
is "$(header Transfer-Encoding)" chunked "a big tailnet comes chunked"
is "$(header Content-Length)" "" "without Content-Length"
is "$(json 'len(d["User"])')" 501 "all of it (500 users and tagged-devices)"

raw=$(curl -sS --raw --max-time 10 --unix-socket "$T/tailscaled.sock" -H "$SEC" \
	"$URL" 2>/dev/null | tr -d '\r' | head -n 1)
asked=$((asked + 1))
like "$raw" '^[0-9a-f]+$' "the wire carries chunk-size lines"

tailnet_py -o "$tailnet"
get -H "$SEC" "$URL"
asked=$((asked + 1))
is "$(header Transfer-Encoding)" "" "a tiny tailnet is not chunked"
is "$(header Content-Length)" "$(wc -c <"$T/body" | tr -d ' ')" \
	"but has a right Content-Length"

# --- tailnet.py ------------------------------------------------------------------
tailnet_py -o "$tailnet" --self alice@example.com \
	--user "101:alice@example.com:Alice <Liddell> & co" \
	--user "9223372036854775807:max@example.com:Max Int" \
	--tagged 3 --sharee "7000000000000042:carol@partner.org:Carol"
get -H "$SEC" "$URL"
asked=$((asked + 1))
is "$(json 'd["User"][str(d["Self"]["UserID"])]["LoginName"]')" alice@example.com \
	"--self: this node belongs to alice"
check "an int64 id above 2^53 survives exactly" \
	grep -q '"ID": 9223372036854775807,$' "$T/body"
check "<, > and & escaped as Go does" \
	grep -qF 'Alice \u003cLiddell\u003e \u0026 co' "$T/body"
is "$(json 'sum(1 for p in d["Peer"].values() if p["UserID"] == 2147455555 and p.get("Tags"))')" \
	3 "--tagged 3: three tagged peers of tagged-devices"
is "$(json '[p["DNSName"] for p in d["Peer"].values() if p.get("ShareeNode")]')" \
	"['carol-box.tail9876.ts.net.']" "--sharee: a ShareeNode peer"
is "$(json 'sorted(d["User"])')" \
	"['101', '2147455555', '7000000000000042', '9223372036854775807']" \
	"User holds exactly the owners of visible devices"

# --- peers=false, and the tailnet changing under it ---------------------------------
get -H "$SEC" "$URL?peers=false"
asked=$((asked + 1))
is "$(json 'd["Peer"]')" None "peers=false: no Peer"
is "$(json 'sorted(d["User"])')" "['101']" "and User holds only Self's owner"

tailnet_py -o "$tailnet" --user "106:carol@example.com:Carol"
get -H "$SEC" "$URL"
asked=$((asked + 1))
is "$(json 'sorted(u["LoginName"] for u in d["User"].values())')" \
	"['carol@example.com', 'tagged-devices']" \
	"a new tailnet file shows on the next request"

# --- keep-alive and concurrency -------------------------------------------------------
curl -sS -v --max-time 10 --unix-socket "$T/tailscaled.sock" -H "$SEC" \
	-o /dev/null -o /dev/null "$URL" "$URL" 2>"$T/curl.err"
asked=$((asked + 2))
like "$(cat "$T/curl.err")" "Re-using existing connection" \
	"two requests on one keep-alive connection"

set_mode hang
curl -sS --max-time 3 --unix-socket "$T/tailscaled.sock" -H "$SEC" \
	-o /dev/null "$URL" 2>/dev/null &
hung=$!
asked=$((asked + 1))
wait_for grep -q mode=hang "$T/ts.log"
set_mode normal
get -H "$SEC" "$URL"
asked=$((asked + 1))
is "$code" 200 "another client is served while one hangs"
wait "$hung"
is "$?" 28 "hang: the client times out (curl status 28)"

# --- faults ------------------------------------------------------------------------
tailnet_py -o "$tailnet" --random 50
for m in notrunning loggedout; do
	set_mode $m
	get -H "$SEC" "$URL"
	asked=$((asked + 1))
	is "$code:$(json 'd["BackendState"]'):$(json 'd["Peer"]')" "200:NeedsLogin:None" \
		"$m: BackendState NeedsLogin, no Peer"
done
set_mode notrunning
get -H "$SEC" "$URL"
asked=$((asked + 1))
is "$(json 'list(d["User"]) == [str(d["Self"]["UserID"])]')" True \
	"notrunning: User holds only Self's owner"

set_mode http500
get -H "$SEC" "$URL"
asked=$((asked + 1))
is "$code" 500 "http500: 500"
like "$(cat "$T/body")" '^[a-z].*[a-z]$' "with a text body"

set_mode garbage
get -H "$SEC" "$URL"
asked=$((asked + 1))
is "$code:$(cat "$T/body")" "200:<html>not json" "garbage: 200 and not JSON"

set_mode truncated
get -H "$SEC" "$URL"
asked=$((asked + 1))
is "$code:$rc" "200:18" "truncated: the body ends early (curl status 18)"

set_mode badchunk
get -H "$SEC" "$URL"
asked=$((asked + 1))
is "$code:$rc" "200:56" "badchunk: a bad chunk-size line (curl status 56)"

set_mode close
get -H "$SEC" "$URL"
asked=$((asked + 1))
is "$code:$rc" "000:52" "close: no answer at all (curl status 52)"

set_mode slow
start=$(date +%s.%N)
get -H "$SEC" "$URL"
asked=$((asked + 1))
took=$(awk "BEGIN { print $(date +%s.%N) - $start }")
is "$code:$(json 'len(d["User"])')" "200:51" "slow: the whole answer in the end"
like "$took" '^(1\.[5-9]|[2-9]\.|[1-9][0-9])' "slow: over about 2 s"

set_mode huge
n=$(curl -sS --max-time 20 --unix-socket "$T/tailscaled.sock" -H "$SEC" "$URL" \
	2>/dev/null | head -c 3000000 | wc -c)
asked=$((asked + 1))
is "$n" 3000000 "huge: megabytes of body, until the client goes away"
set_mode normal
get -H "$SEC" "$URL"
asked=$((asked + 1))
is "$code" 200 "and the stand-in still answers afterwards"

set_mode bogus
get -H "$SEC" "$URL"
asked=$((asked + 1))
is "$code" 500 "an unknown mode is an error, not silently normal"
set_mode normal

# --- the IPN bus -----------------------------------------------------------------
BUS=http://local-tailscaled.sock/localapi/v0/watch-ipn-bus
# watch MASK SECONDS: the stream for that long, into $T/bus.out
watch() {
	curl -sS -N --max-time "$2" --unix-socket "$T/tailscaled.sock" -H "$SEC" \
		-D "$T/bus.headers" "$BUS?mask=$1" >"$T/bus.out" 2>/dev/null
}
# line N EXPR: a Python expression over message N (from 1) of $T/bus.out
line() {
	python3 -c 'import json, sys
lines = open(sys.argv[3], "rb").read().split(b"\n")
d = json.loads(lines[int(sys.argv[1]) - 1])
print(eval(sys.argv[2]))' "$1" "$2" "$T/bus.out"
}
tailnet_py -o "$tailnet" --version 1.102.3 --self alice@example.com \
	--user "101:alice@example.com:Alice" --groups 101:group:eng --tagged 1
watch 20480 1
is "$(tr -d '\r' <"$T/bus.headers" | sed -n 's/^Transfer-Encoding: //p')" chunked \
	"bus: a chunked 200, headers at once"
is "$(line 1 '(d["State"], "SessionID" in d, d["InitialStatus"]["BackendState"], d["NetMap"])')" \
	"(None, False, 'Running', None)" "bus mask 20480: InitialStatus, State null"
is "$(line 1 'sorted(p["NodeID"] > 0 for p in d["InitialStatus"]["Peer"].values())')" \
	"[True, True]" "and each peer has its int64 NodeID"
is "$(line 1 'd["InitialStatus"]["User"]["101"]["Groups"]')" "['group:eng']" \
	"and profiles carry Groups"
watch 20482 1
is "$(line 1 '(d["State"], len(d["SessionID"]))')" "(6, 16)" \
	"bus mask 20482: State and SessionID too"
watch 10 1
is "$(line 1 '("InitialStatus" in d, len(d["NetMap"]["Peers"]), "SelfChange" in d)')" \
	"(False, 2, True)" "bus mask 10 on 1.102: a NetMap and SelfChange"
for m in abc 65536 4352; do
	get -H "$SEC" "$BUS?mask=$m"
	like "$code:$(cat "$T/body")" "^400:(bad mask|NotifyInProcessNoDisconnect|NotifyRateLimit)" \
		"bus mask $m: 400 as tailscaled 1.102"
done
( watch 20482 3 ) &
wpid=$!
sleep 1
tailnet_py -o "$tailnet" --version 1.102.3 --self alice@example.com \
	--user "101:alice@example.com:Alice" --user "103:carol@example.com:Carol" \
	--groups 101:group:eng --tagged 1
wait $wpid
is "$(line 2 'list(k for k in d if k in ("UserProfiles", "PeersChanged", "PeersRemoved"))')" \
	"['UserProfiles']" "bus: a new user's profile comes alone, first"
is "$(line 2 'list(d["UserProfiles"])')" "['103']" "only the new profile"
is "$(line 3 '[p["User"] for p in d["PeersChanged"] if p["User"] == 103]')" "[103]" \
	"then the peer that needs it"
( watch 20482 3 ) &
wpid=$!
sleep 1
set_bus rebuild
tailnet_py -o "$tailnet" --version 1.102.3 --self alice@example.com \
	--user "101:alice@example.com:Alice" --tagged 1
sleep 0.5
set_mode notrunning
wait $wpid
is "$(line 2 '("SelfChange" in d, len(d["PeersChanged"]), "PeersRemoved" in d)')" \
	"(True, 2, False)" "bus rebuild: SelfChange with every peer, no PeersRemoved"
is "$(line 3 'd["State"]')" 2 "bus: logging out sends State 2"
set_mode normal
set_bus normal
( watch 20482 3 ) &
wpid=$!
sleep 1
set_bus cut 1
wait $wpid
is "$(python3 -c 'import sys; b = open(sys.argv[1], "rb").read(); print(b.count(b"\n"), b.endswith(b"\n"), len(b.split(b"\n")[-1]) > 100)' "$T/bus.out")" \
	"1 False True" "bus cut: the first message, then half a line, then the end"
set_bus nobus
get -H "$SEC" "$BUS?mask=20482"
is "$code:$(cat "$T/body")" "404:404 page not found" \
	"bus nobus: 404 as a build without the IPN bus"
set_bus normal

# --- the request log, and SIGTERM ------------------------------------------------------
is "$(ts_requests)" "$asked" "the request log counts every status request"
like "$(cat "$T/ts.log")" "
GET /localapi/v0/status sec-tailscale=yes host=local-tailscaled.sock mode=normal code=200
" "one line per request: method, path, Sec-Tailscale, host, mode, code"

kill -TERM "$ts_pid"
wait "$ts_pid"
is "$?" 0 "SIGTERM: exit status 0"
ts_pid=
check "and the socket is gone" test ! -e "$T/tailscaled.sock"
is "$(grep -v "unknown mode 'bogus'" "$T/fake-tailscaled.log")" "" \
	"it printed nothing but the warning about the bogus mode"

done_testing
