#!/usr/bin/env bats
# Remote control end to end over real TLS: a CA and a server certificate
# made here with openssl, the real cronq-agentd with a TCP listener on
# 127.0.0.1 and a free port, curl and `cronq --host`. API tokens, JWTs
# (signed here with python3 and openssl), scopes, rate limits, the audit
# log, SSE over TLS, /metrics through a strict text-format parser, the
# OpenAPI document against the route table, and agentd.yaml refusals.

setup_file() {
	T=$(mktemp -d /tmp/cronq-remote.XXXXXX)
	export T SOCK="$T/agentd.sock"
	: "${CRONQ_AGENTD:=${top_builddir:-.}/cronq-agentd}"
	: "${top_srcdir:=$BATS_TEST_DIRNAME/../..}"
	export CRONQ_AGENTD top_srcdir
	cd "$T" || return 1
	# EC keys: quick to make, and what a modern deployment uses.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout ca.key -out ca.pem -days 2 \
	    -subj "/CN=cronq test CA" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' >ext.cnf
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -out server.pem -days 2 -extfile ext.cnf 2>/dev/null
	chmod 600 server.key
	openssl genrsa -out rsa.key 2048 2>/dev/null
	openssl rsa -in rsa.key -pubout -out rsa.pub 2>/dev/null
	openssl genrsa -out other.key 2048 2>/dev/null
	PORT=$(free_port)
	export PORT URL="https://127.0.0.1:$PORT"
	cat >agentd.yaml <<-EOF
	retention_days: 7
	listen:
	  - address: 127.0.0.1
	    port: $PORT
	    cert: $T/server.pem
	    key: $T/server.key
	auth:
	  jwt:
	    issuer: https://id.test
	    audience: cronq
	    algorithm: RS256
	    public_key_file: $T/rsa.pub
	    leeway: 5s
	rate_limits:
	  read: {per_minute: 6000, burst: 200}
	  write: {per_minute: 600, burst: 50}
	  trigger: {per_minute: 6, burst: 3}
	  auth_failures: {per_minute: 3, burst: 25}
	EOF
	agentd_launch --config "$T/agentd.yaml"
	agentd_wait --cacert "$T/ca.pem" "$URL/healthz"
}

teardown_file() {
	agentd_stop
	rm -rf "$T"
}

load helpers

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# remote METHOD PATH [TOKEN [BODY [CURL-ARGS...]]]: over TLS; sets $code
# and $body, headers in $T/headers. TOKEN "-" sends no Authorization.
remote() {
	local method=$1 path=$2 token=${3:--} data=${4-}
	shift 4 2>/dev/null || shift $#
	local args=(-sS --cacert "$T/ca.pem" -X "$method" -D "$T/headers"
	    -o "$T/body" -w '%{http_code}' "$@")
	[ "$token" = - ] || args+=(-H "Authorization: Bearer $token")
	[ -z "$data" ] || args+=(-H 'Content-Type: application/json' \
	    --data-binary "$data")
	case $path in
	/healthz | /metrics) code=$(curl "${args[@]}" "$URL$path") ;;
	*) code=$(curl "${args[@]}" "$URL/api/v1$path") ;;
	esac
	body=$(cat "$T/body")
}

# local_api METHOD PATH [BODY]: as root over the Unix socket.
local_api() {
	local args=(-sS --unix-socket "$SOCK" -X "$1" -o "$T/body"
	    -w '%{http_code}')
	[ $# -lt 3 ] || args+=(-H 'Content-Type: application/json' \
	    --data-binary "$3")
	code=$(curl "${args[@]}" "http://cronq/api/v1$2")
	body=$(cat "$T/body")
}

jv() {
	python3 -c '
import json, sys
d = json.loads(sys.argv[2])
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$body"
}

header() {
	tr -d '\r' <"$T/headers" | sed -n "s/^$1: //Ip"
}

# new_token SCOPES [EXPIRES]: made by root over the socket; prints it.
new_token() {
	local b="{\"scopes\":\"$1\"${2:+,\"expires_in\":\"$2\"}}"
	local_api POST /tokens "$b"
	[ "$code" = 201 ] || { echo "token: $code $body" >&2; return 1; }
	jv 'd["token"]'
}

# jwt ALG KEYFILE CLAIMS-JSON: exp/nbf/iat given as strings are offsets
# from now. RS256 is signed with openssl; HS256 with the key file's bytes.
jwt() {
	python3 - "$@" <<-'EOF'
	import base64, hashlib, hmac, json, subprocess, sys, time
	def b64(b):
	    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
	alg, key, claims = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
	now = int(time.time())
	for k in ("exp", "nbf", "iat"):
	    if isinstance(claims.get(k), str):
	        claims[k] = now + int(claims[k])
	msg = (b64(json.dumps({"alg": alg, "typ": "JWT"}).encode()) + "." +
	       b64(json.dumps(claims).encode())).encode()
	def raw(der):  # ECDSA: DER (r, s) to the 64 bytes a JWT carries
	    i, out = 2 if der[1] < 0x80 else 3, b""
	    for _ in range(2):
	        n = der[i + 1]
	        out += der[i + 2:i + 2 + n].lstrip(b"\0").rjust(32, b"\0")
	        i += 2 + n
	    return out
	if alg == "none":
	    sig = b""
	elif alg == "HS256":
	    sig = hmac.new(open(key, "rb").read().rstrip(b"\n"), msg,
	                   hashlib.sha256).digest()
	else:
	    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
	                         input=msg, capture_output=True,
	                         check=True).stdout
	    if alg == "ES256":
	        sig = raw(sig)
	print(msg.decode() + "." + b64(sig))
	EOF
}

claims() {
	printf '{"iss":"https://id.test","aud":"cronq","sub":"alice","exp":"300","scope":"%s"%s}' \
	    "${1:-read}" "${2:-}"
}

# expect STATUS CODE: the answer's status and error code.
expect() {
	[ "$code" = "$1" ] || { echo "want $1, got $code: $body"; return 1; }
	[ $# -lt 2 ] || [ "$(jv 'd["error"]["code"]')" = "$2" ] ||
	    { echo "$body"; return 1; }
}

# audit_has FILTER-EXPR: a record of root's audit log matches.
audit_has() {
	local_api GET "/audit?limit=1000"
	python3 -c '
import json, sys
recs = json.loads(sys.argv[2])["records"]
sys.exit(0 if any(eval(sys.argv[1]) for r in recs) else 1)' "$1" "$body" ||
	    { echo "no audit record with $1" >&2; return 1; }
}

@test "tls: healthz is public and tells nothing; TLS 1.1 and plain HTTP are refused" {
	remote GET /healthz
	[ "$code" = 200 ]
	[ "$body" = ok ]
	run curl -sS --cacert "$T/ca.pem" --tlsv1.1 --tls-max 1.1 "$URL/healthz"
	[ "$status" -ne 0 ]
	run curl -sS --max-time 5 "http://127.0.0.1:$PORT/healthz"
	[ "$status" -ne 0 ] || [[ "$output" != ok ]]
	# cronq says what is likely wrong with an http:// URL of a TLS port.
	cq --host "http://127.0.0.1:$PORT" --token cq_x ls
	assert_status 3
	[[ "$stderr" == "cronq: cannot reach cronq-agentd at http://127.0.0.1:$PORT: "*" (is the server speaking https?)" ]] || { echo "$stderr"; false; }
	# The certificate is checked: without the CA curl refuses.
	run curl -sS "$URL/healthz"
	[ "$status" -ne 0 ]
}

@test "tokens: missing and malformed credentials get 401 with a challenge" {
	remote GET /jobs
	expect 401 unauthorized
	[ "$(header WWW-Authenticate)" = 'Bearer realm="cronq"' ]
	remote GET /jobs cq_short
	expect 401 unauthorized
	[ "$(header WWW-Authenticate)" = 'Bearer realm="cronq", error="invalid_token"' ]
	remote GET /jobs/unknown-token-job "cq_$(printf 'A%.0s' $(seq 43))"
	expect 401
	[[ "$(jv 'd["error"]["message"]')" == *"unknown API token"* ]]
	# A token the daemon does not know names no one.
	audit_has 'r["status"] == 401 and r["job"] == "unknown-token-job" and r["principal"] == "anonymous"'
	code=$(curl -sS --cacert "$T/ca.pem" -o "$T/body" -w '%{http_code}' \
	    -H 'Authorization: Basic cm9vdDpyb290' "$URL/api/v1/jobs")
	[ "$code" = 401 ]
	audit_has 'r["status"] == 401 and r["principal"] == "anonymous" and r["source"] == "127.0.0.1"'
}

@test "tokens: cronq token create, remote cronq with --host, ls, revoke" {
	cq --socket "$SOCK" token create --scope read,trigger --expires 30d --name ci
	assert_status 0
	tok=$output
	[[ "$tok" == cq_* ]]
	[ ${#tok} -eq 46 ]
	cq --socket "$SOCK" add report -s '0 3 * * *' -- 'echo report'
	assert_status 0
	cq --host "$URL" --cacert "$T/ca.pem" --token "$tok" ls
	assert_status 0
	[[ "$output" == *report* ]]
	cq --host "$URL" --cacert "$T/ca.pem" --token "$tok" trigger report
	assert_status 0
	# Read and trigger only: adding a job is refused, exit 4 (denied).
	cq --host "$URL" --cacert "$T/ca.pem" --token "$tok" add other -- true
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"lacks the write scope"* ]]
	cq --socket "$SOCK" token ls
	assert_status 0
	[[ "$output" == *"${tok:0:11}"*"read,trigger"*live* ]]
	# Only the hash is stored: the token is nowhere in the database.
	# -F -e: a base64url token may start with "-", which grep would
	# otherwise take for an option (one run in 64 failed that way).
	run sh -c 'cat "$1"/cronq.db* | grep -c -F -e "$2"' sh "$T/state" "${tok:11}"
	[ "$output" = 0 ]
	id=$(cq --socket "$SOCK" --json token ls && python3 -c '
import json, sys
print([t["id"] for t in json.loads(sys.argv[1])["tokens"] if t["name"] == "ci"][0])' "$output")
	cq --socket "$SOCK" token revoke "$id"
	assert_status 0
	remote GET /jobs "$tok"
	expect 401
	[[ "$(jv 'd["error"]["message"]')" == *revoked* ]]
	# The refusal is recorded under the token it names, as the daemon's
	# log and the client's error name it.
	audit_has "r['status'] == 401 and r['path'] == '/api/v1/jobs' and r['principal'] == 'token:$id'"
	audit_has "r['method'] == 'DELETE' and r['path'] == '/api/v1/tokens/$id' and r['status'] == 200"
}

@test "tokens: expired token is 401; wrong scope is 403; no token outranks its maker" {
	# Whole seconds: 2s leaves at least one second of life to use.
	short=$(new_token read 2s)
	remote GET /jobs "$short"
	[ "$code" = 200 ]
	sleep 2.1
	remote GET /jobs "$short"
	expect 401
	[[ "$(jv 'd["error"]["message"]')" == *expired* ]]
	local_api GET /tokens
	sid=$(jv "[t['id'] for t in d['tokens'] if t['prefix'] == '${short:0:11}'][0]")
	audit_has "r['status'] == 401 and r['principal'] == 'token:$sid'"

	rtok=$(new_token read)
	remote POST /jobs "$rtok" '{"name":"x","command":"true"}'
	expect 403 forbidden
	remote POST /tokens "$rtok" '{"scopes":"read"}'
	expect 403
	atok=$(new_token read,admin)
	remote POST /tokens "$atok" '{"scopes":"read,write"}'
	expect 403 forbidden
	remote POST /tokens "$atok" '{"scopes":"read","name":"child"}'
	[ "$code" = 201 ]
	audit_has "r['status'] == 403 and r['method'] == 'POST' and r['path'] == '/api/v1/jobs' and r['principal'].startswith('token:')"
}

@test "BUG-26: logs need read; trigger runs only the stored definition" {
	local_api POST /jobs '{"name":"bug26","command":"echo stored"}'
	[ "$code" = 201 ]
	local_api POST /jobs/bug26/trigger
	[ "$code" = 202 ]
	rid=$(jv 'd["run"]["id"]')
	remote GET "/runs/$rid/log"
	expect 401
	remote GET "/runs/999999/log"
	expect 401
	ttok=$(new_token trigger)
	remote GET "/runs/$rid/log" "$ttok"
	expect 403
	[[ "$body" != *stored* ]]
	remote POST /jobs/bug26/trigger "$ttok"
	[ "$code" = 202 ]
	local_api GET '/runs?job=bug26'
	before=$(jv 'len(d["runs"])')
	# A fresh token: its trigger bucket holds exactly these three.
	ttok=$(new_token trigger)
	for b in '{"command":"id"}' '{"user":"root"}' \
	    '{"env":{"LD_PRELOAD":"/tmp/x.so"}}'; do
		remote POST /jobs/bug26/trigger "$ttok" "$b"
		expect 400 bad_request
	done
	local_api GET '/runs?job=bug26'
	[ "$(jv 'len(d["runs"])')" = "$before" ]
	audit_has "r['job'] == 'bug26' and r['status'] == 202 and r['run'] is not None and r['principal'].startswith('token:')"
	audit_has "r['job'] == 'bug26' and r['status'] == 400"
}

@test "jwt: a valid RS256 token reads; scope comes from the scope claim" {
	tok=$(jwt RS256 "$T/rsa.key" "$(claims 'openid read')")
	remote GET /jobs "$tok"
	[ "$code" = 200 ]
	remote POST /jobs/report/trigger "$tok"
	expect 403
	audit_has "r['principal'] == 'jwt:alice' and r['status'] == 403"
}

@test "jwt: expired, not yet valid, wrong aud, wrong iss, none, HS/RS confusion, bad signature" {
	check() {
		remote GET /jobs "$1"
		expect 401 unauthorized || return 1
		[ "$(header WWW-Authenticate)" = 'Bearer realm="cronq", error="invalid_token"' ] ||
		    return 1
		[[ "$(jv 'd["error"]["message"]')" == *"$2"* ]] ||
		    { echo "want $2: $body"; return 1; }
	}
	check "$(jwt RS256 "$T/rsa.key" '{"iss":"https://id.test","aud":"cronq","sub":"a","exp":"-60","scope":"read"}')" expired
	check "$(jwt RS256 "$T/rsa.key" '{"iss":"https://id.test","aud":"cronq","sub":"a","exp":"600","nbf":"120","scope":"read"}')" "not valid yet"
	check "$(jwt RS256 "$T/rsa.key" '{"iss":"https://id.test","aud":"other","sub":"a","exp":"600","scope":"read"}')" audience
	check "$(jwt RS256 "$T/rsa.key" '{"iss":"https://evil.test","aud":"cronq","sub":"a","exp":"600","scope":"read"}')" issuer
	check "$(jwt none x "$(claims)")" "algorithm none"
	# HMAC keyed with the RSA public key, which an attacker has.
	check "$(jwt HS256 "$T/rsa.pub" "$(claims)")" "algorithm HS256"
	check "$(jwt RS256 "$T/other.key" "$(claims)")" signature
	check "not.a-jwt" malformed
	# Leeway: expired 3 s ago is still within the 5 s configured.
	remote GET /jobs "$(jwt RS256 "$T/rsa.key" '{"iss":"https://id.test","aud":"cronq","sub":"a","exp":"-3","scope":"read"}')"
	[ "$code" = 200 ]
}

@test "rate limits: trigger bucket shared by REST and the sketch, 429 with Retry-After" {
	tok=$(new_token read,trigger)
	remote POST /jobs/report/trigger "$tok"
	[ "$code" = 202 ]
	remote POST /cron-jobs/trigger "$tok" '{"task":"report"}'
	[ "$code" = 200 ] || [ "$code" = 202 ]
	remote POST /jobs/report/trigger "$tok"
	[ "$code" = 202 ]
	remote POST /cron-jobs/trigger "$tok" '{"task":"report"}'
	expect 429 rate_limited
	[ "$(jv 'd["status"]')" = error ]
	ra=$(header Retry-After)
	[ "$ra" -ge 1 ] && [ "$ra" -le 10 ]
	remote POST /jobs/report/trigger "$tok"
	expect 429
	# Reads have their own bucket.
	remote GET /jobs "$tok"
	[ "$code" = 200 ]
	audit_has "r['status'] == 429 and r['path'] == '/api/v1/cron-jobs/trigger' and r['job'] == 'report'"
}

@test "rate limits: failed authentication is limited per source address" {
	tok=$(new_token read)
	for i in $(seq 25); do
		remote GET /jobs "cq_bad$i" '' --interface 127.0.0.2
		[ "$code" = 401 ] || { echo "try $i: $code"; false; }
	done
	remote GET /jobs "cq_bad26" '' --interface 127.0.0.2
	expect 429
	[ "$(header Retry-After)" -ge 1 ]
	# Even a good token waits from that address, not from others.
	remote GET /jobs "$tok" '' --interface 127.0.0.2
	expect 429
	remote GET /jobs "$tok"
	[ "$code" = 200 ]
	audit_has "r['status'] == 429 and r['source'] == '127.0.0.2'"
}

@test "rate limits: the Unix socket limits per peer uid; root is exempt by default" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to act as another user"
	chmod 755 "$T"
	mkdir -p "$T/nobody"
	chown 65534:65534 "$T/nobody"
	# Root: the trigger bucket (burst 3) does not apply.
	for i in 1 2 3 4 5; do
		local_api POST /jobs/no-such-job/trigger
		[ "$code" = 404 ] || { echo "root try $i: $code $body"; false; }
	done
	# Another user draws from its own buckets, as a token would.
	for i in 1 2 3 4; do
		code=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		    curl -sS --unix-socket "$SOCK" -X POST -D "$T/nobody/h" \
		    -o "$T/nobody/body" -w '%{http_code}' \
		    http://cronq/api/v1/jobs/no-such-job/trigger)
		body=$(cat "$T/nobody/body")
		[ "$i" -eq 4 ] || [ "$code" = 404 ] || { echo "try $i: $code"; false; }
	done
	expect 429 rate_limited
	ra=$(tr -d '\r' <"$T/nobody/h" | sed -n 's/^Retry-After: //Ip')
	[ "$ra" -ge 1 ] && [ "$ra" -le 10 ]
	# Reads are another bucket.
	code=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	    curl -sS --unix-socket "$SOCK" -o /dev/null -w '%{http_code}' \
	    http://cronq/api/v1/jobs)
	[ "$code" = 200 ]
	audit_has "r['status'] == 429 and r['principal'] == 'uid:65534' and r['source'] == 'unix'"
}

@test "audit: cronq audit filters by job and limit; only admins read it" {
	cq --socket "$SOCK" audit --job bug26 --limit 2
	assert_status 0
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 3 ]
	[[ "$output" == *PRINCIPAL* ]]
	cq --socket "$SOCK" --json audit --job bug26
	assert_status 0
	python3 -c '
import json, sys
recs = json.loads(sys.argv[1])["records"]
assert recs and all(r["job"] == "bug26" for r in recs), recs' "$output"
	remote GET '/audit?status=429' "$(new_token read,admin)"
	[ "$code" = 200 ]
	[ "$(jv 'all(r["status"] == 429 for r in d["records"])')" = true ]
	remote GET '/audit' "$(new_token read)"
	expect 403
	remote GET '/audit?since=yesterday' "$(new_token read,admin)"
	expect 400
}

@test "audit: filters by principal, denied, status class and time range" {
	tok=$(new_token read)
	local_api GET /tokens
	id=$(jv "[t['id'] for t in d['tokens'] if t['prefix'] == '${tok:0:11}'][0]")
	remote POST /jobs/report/pause "$tok"
	expect 403
	remote GET /jobs cq_not_a_token
	expect 401
	cq --socket "$SOCK" --json audit --principal "token:$id" --status denied
	assert_status 0
	python3 -c '
import json, sys
recs = json.loads(sys.argv[1])["records"]
assert len(recs) == 1 and recs[0]["status"] == 403, recs
assert recs[0]["path"] == "/api/v1/jobs/report/pause", recs' "$output"
	# Denied: 401, 403 and 429 only, from everyone.
	cq --socket "$SOCK" --json audit --status denied --limit 1000
	python3 -c '
import json, sys
recs = json.loads(sys.argv[1])["records"]
st = {r["status"] for r in recs}
assert st <= {401, 403, 429} and {401, 403} <= st, st' "$output"
	local_api GET '/audit?status=2xx&limit=1000'
	[ "$code" = 200 ]
	[ "$(jv 'len(d["records"]) > 0 and all(200 <= r["status"] < 300 for r in d["records"])')" = true ]
	# [since, until): an hour ago to an hour ahead holds it; a range
	# that ends an hour ago holds nothing.
	ago=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
	ahead=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
	cq --socket "$SOCK" --json audit --principal "token:$id" --since "$ago" --until "$ahead"
	[ "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["records"]))' "$output")" = 1 ]
	cq --socket "$SOCK" --json audit --principal "token:$id" --until "$ago"
	[ "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["records"]))' "$output")" = 0 ]
	local_api GET "/audit?since=$ahead&until=$ago"
	expect 400
	local_api GET '/audit?status=6xx'
	expect 400
	[[ "$(jv 'd["error"]["message"]')" == *"4xx, or denied"* ]]
}

@test "events: SSE over TLS with a token, reconnect with Last-Event-ID" {
	tok=$(new_token read)
	python3 - "$PORT" "$T/ca.pem" "$tok" "$SOCK" <<-'EOF'
	import http.client, json, socket, ssl, sys
	port, ca, tok, sock = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
	ctx = ssl.create_default_context(cafile=ca)
	def stream(last=None):
	    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx,
	                                    timeout=10)
	    h = {"Authorization": "Bearer " + tok}
	    if last is not None:
	        h["Last-Event-ID"] = str(last)
	    c.request("GET", "/api/v1/events", headers=h)
	    r = c.getresponse()
	    assert r.status == 200, r.status
	    return c, r
	def trigger():
	    s = socket.socket(socket.AF_UNIX)
	    s.connect(sock)
	    s.sendall(b"POST /api/v1/jobs/bug26/trigger HTTP/1.1\r\n"
	              b"Host: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	    data = b""
	    while chunk := s.recv(4096):
	        data += chunk
	    return json.loads(data.split(b"\r\n\r\n", 1)[1])["run"]["id"]
	def until(r, run, state):
	    ev = {}
	    while True:
	        line = r.readline().decode().rstrip("\n")
	        if line.startswith("id:"):
	            ev["id"] = int(line[3:])
	        elif line.startswith("data:"):
	            ev["data"] = json.loads(line[5:])
	        elif line == "" and "data" in ev:
	            d = ev["data"].get("run", ev["data"])
	            if d.get("id") == run and d.get("state") == state:
	                return ev["id"]
	            ev = {}
	c, r = stream()
	first = until(r, trigger(), "succeeded")
	c.close()
	missed = trigger()  # while nobody listens
	c, r = stream(first)
	until(r, missed, "succeeded")
	c.close()
	print("replayed after", first)
	EOF
}

# A strict reader of the Prometheus text format (version 0.0.4).
@test "metrics: strict text-format parse; histograms, lag, retries, 429s" {
	remote GET /metrics
	expect 401
	remote GET /metrics "$(new_token read)"
	[ "$code" = 200 ]
	printf '%s\n' "$body" >"$T/metrics"
	python3 - "$T/metrics" <<-'EOF'
	import math, re, sys
	NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
	LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
	SAMPLE = re.compile(r"^(%s)(?:\{((?:%s)(?:,%s)*)?,?\})? (\S+)(?: (-?\d+))?$"
	                    % (NAME, LABEL, LABEL))
	types, helps, seen_done, samples = {}, {}, set(), []
	current = None
	text = open(sys.argv[1]).read()
	assert text.endswith("\n"), "no final newline"
	for n, line in enumerate(text.splitlines(), 1):
	    where = "line %d: %r" % (n, line)
	    if line.startswith("#"):
	        m = re.match(r"^# (HELP|TYPE) (%s) (.*)$" % NAME, line)
	        assert m, where
	        kind, name, rest = m.groups()
	        if kind == "TYPE":
	            assert rest in ("counter", "gauge", "histogram", "summary",
	                            "untyped"), where
	            assert name not in types, "second TYPE " + where
	            types[name] = rest
	        else:
	            assert name not in helps, "second HELP " + where
	            helps[name] = rest
	        continue
	    assert line != "", "blank line " + where
	    m = SAMPLE.match(line)
	    assert m, "bad sample " + where
	    name = m.group(1)
	    rest = line[len(name):]
	    if rest.startswith("{"):
	        inner, _, tail = rest[1:].rpartition("} ")
	        labels = dict(re.findall(LABEL, inner))
	        assert len(labels) == len(re.findall(LABEL, inner)), "repeated label " + where
	    else:
	        labels, tail = {}, rest[1:]
	    value = tail.split()[0]
	    if value not in ("+Inf", "-Inf", "NaN"):
	        float(value)
	    family = re.sub(r"_(bucket|sum|count|total)$", "", name)
	    fam = name if name in types else family if family in types else None
	    assert fam is not None, "sample before its TYPE " + where
	    if fam != current:
	        assert fam not in seen_done, "family split " + where
	        if current:
	            seen_done.add(current)
	        current = fam
	    samples.append((fam, name, labels, float(value)))
	# Histograms: cumulative buckets ending in +Inf equal to _count.
	for fam, kind in types.items():
	    if kind != "histogram":
	        continue
	    series = {}
	    for f, name, labels, v in samples:
	        if f != fam:
	            continue
	        key = tuple(sorted((k, x) for k, x in labels.items() if k != "le"))
	        s = series.setdefault(key, {"b": [], "sum": None, "count": None})
	        if name.endswith("_bucket"):
	            s["b"].append((float(labels["le"]), v))
	        elif name.endswith("_sum"):
	            s["sum"] = v
	        elif name.endswith("_count"):
	            s["count"] = v
	    for key, s in series.items():
	        les = [le for le, _ in s["b"]]
	        assert les == sorted(les) and les[-1] == math.inf, (fam, key)
	        counts = [c for _, c in s["b"]]
	        assert counts == sorted(counts), ("not cumulative", fam, key)
	        assert s["count"] == counts[-1] and s["sum"] is not None, (fam, key)
	need = {"cronq_runs_total": "counter", "cronq_run_duration_seconds": "histogram",
	        "cronq_schedule_lag_seconds": "histogram", "cronq_retries_total": "counter",
	        "cronq_decisions": "gauge", "cronq_queue_depth": "gauge",
	        "cronq_running": "gauge", "cronq_http_requests_total": "counter",
	        "cronq_rate_limited_total": "counter"}
	for k, v in need.items():
	    assert types.get(k) == v, (k, types.get(k))
	vals = {(n, tuple(sorted(l.items()))): v for _, n, l, v in samples}
	assert vals[("cronq_rate_limited_total", (("bucket", "trigger"),))] >= 2
	assert vals[("cronq_rate_limited_total", (("bucket", "auth_failures"),))] >= 1
	assert any(n == "cronq_run_duration_seconds_count" and dict(l).get("job") == "bug26" and v >= 1
	           for (n, l), v in vals.items()), "no duration of bug26"
	EOF
}

@test "openapi: every served route is documented and every documented one served" {
	remote GET /openapi.json
	[ "$code" = 200 ]
	python3 - "$top_srcdir/agentd/gateway.c" "$top_srcdir/docs/openapi.json" "$body" <<-'EOF'
	import json, re, sys
	src = open(sys.argv[1]).read()
	table = src[src.index("gw_routes[] = {"):]
	table = table[:table.index("\n};")]
	served = set()
	for method, pattern in re.findall(r'\{ "([A-Z]+)", "([^"]+)"', table):
	    served.add((method, pattern))
	doc = json.load(open(sys.argv[2]))
	assert json.loads(sys.argv[3]) == doc, "served document differs from docs/openapi.json"
	documented = set()
	for path, item in doc["paths"].items():
	    for method in item:
	        if method == "parameters":
	            continue
	        full = path if path in ("/healthz", "/metrics") else "/api/v1" + path
	        documented.add((method.upper(), re.sub(r"\{[^}]+\}", "{}", full)))
	assert served, "no routes found in gateway.c"
	missing, extra = served - documented, documented - served
	assert not missing and not extra, ("undocumented", sorted(missing), "not served", sorted(extra))
	EOF
}

# agentd.yaml refusals: each names file:line:column and says why, and
# the daemon exits before it listens.
@test "config: plain HTTP off loopback, no insecure_http, open key, unknown key" {
	bad() {
		printf '%s\n' "$1" >"$T/bad.yaml"
		run "$CRONQ_AGENTD" -f --state-dir "$T/bad-state" \
		    --socket "$T/bad.sock" --config "$T/bad.yaml"
		[ "$status" -eq 1 ] || { echo "exit $status: $output"; return 1; }
		[[ "$output" == *"$2"* ]] || { echo "want $2: $output"; return 1; }
	}
	bad "listen:
  - address: 0.0.0.0
    port: 8080
    insecure_http: true" "bad.yaml:2:5: plain HTTP on 0.0.0.0 refused: it is not a loopback address"
	bad "listen:
  - {address: 127.0.0.1, port: 8080}" "bad.yaml:2:5: listener 127.0.0.1 port 8080 has no cert and key"
	cp "$T/server.key" "$T/open.key"
	chmod 644 "$T/open.key"
	bad "listen:
  - address: 127.0.0.1
    port: 8443
    cert: $T/server.pem
    key: $T/open.key" "bad.yaml:5:10: key: $T/open.key has mode 0644"
	bad "max_running: 4
retention: 3" 'bad.yaml:2:1: unknown key "retention" in agentd.yaml'
	bad "auth:
  jwt: {issuer: x, audience: y, algorithm: HS256, public_key_file: $T/rsa.pub}" "algorithm HS256 needs secret_file"
	bad "listen: [{address: 127.0.0.1, port: 99999}]" "bad.yaml:1:37: \"port\" must be a whole number from 1 to 65535"
	bad "listen: [" "bad.yaml:"
}

# jwt_daemon NAME AUTH-LINES: a second daemon on plain loopback HTTP with
# its own jwt settings; sets $jport and $jpid.
jwt_daemon() {
	jport=$(free_port)
	cat >"$T/$1.yaml" <<-EOF
	listen:
	  - {address: 127.0.0.1, port: $jport, insecure_http: true}
	auth:
	  jwt: {issuer: https://id.test, audience: cronq, $2}
	EOF
	"$CRONQ_AGENTD" -f --state-dir "$T/$1-state" --socket "$T/$1.sock" \
	    --config "$T/$1.yaml" >"$T/$1.out" 2>&1 &
	jpid=$!
	for _ in $(seq 100); do
		curl -sf -o /dev/null "http://127.0.0.1:$jport/healthz" && return 0
		sleep 0.1
	done
	cat "$T/$1.out" >&2
	return 1
}

# jget TOKEN: GET /jobs on the second daemon; sets $code and $body.
jget() {
	code=$(curl -sS -o "$T/body" -w '%{http_code}' \
	    -H "Authorization: Bearer $1" "http://127.0.0.1:$jport/api/v1/jobs")
	body=$(cat "$T/body")
}

@test "jwt: HS256 secret file; uid_claim maps to a local user, else a named principal" {
	head -c 32 /dev/urandom | base64 >"$T/hs.secret"
	chmod 600 "$T/hs.secret"
	jwt_daemon hs "algorithm: HS256, secret_file: $T/hs.secret, uid_claim: user"
	curl -sS --unix-socket "$T/hs.sock" -o /dev/null -H 'Content-Type: application/json' \
	    --data-binary '{"name":"rootjob","command":"true"}' http://x/api/v1/jobs
	good=$(jwt HS256 "$T/hs.secret" "$(claims read ',"user":"root"')")
	jget "$good"
	r1=$code:$(jv '[j["name"] for j in d["jobs"]]')
	# No uid claim: jwt:alice owns nothing and, without admin, sees nothing.
	jget "$(jwt HS256 "$T/hs.secret" "$(claims read)")"
	r2=$code:$(jv 'len(d["jobs"])')
	jget "$(jwt HS256 "$T/hs.secret" "$(claims 'read admin')")"
	r3=$code:$(jv 'len(d["jobs"])')
	jget "$(jwt HS256 "$T/hs.secret" "$(claims read ',"user":"no-such-user-x"')")"
	r4=$code
	jget "$(jwt RS256 "$T/rsa.key" "$(claims read)")"
	r5=$code:$(jv 'd["error"]["message"]')
	kill "$jpid"
	wait "$jpid" || true
	[ "$r1" = '200:["rootjob"]' ] || { echo "$r1"; cat "$T/hs.out"; false; }
	[ "$r2" = 200:0 ]
	[ "$r3" = 200:1 ]
	[ "$r4" = 401 ]
	[[ "$r5" == "401:JWT algorithm RS256 refused"* ]]
	# Neither the token nor the secret appears in the daemon's log.
	! grep -q "${good##*.}" "$T/hs.out"
	! grep -qF "$(cat "$T/hs.secret")" "$T/hs.out"
}

@test "jwt: ES256 with a public key file; other algorithms refused" {
	openssl ecparam -name prime256v1 -genkey -noout -out "$T/ec.key" 2>/dev/null
	openssl ec -in "$T/ec.key" -pubout -out "$T/ec.pub" 2>/dev/null
	jwt_daemon es "algorithm: ES256, public_key_file: $T/ec.pub"
	jget "$(jwt ES256 "$T/ec.key" "$(claims read)")"
	r1=$code
	jget "$(jwt HS256 "$T/ec.pub" "$(claims read)")"
	r2=$code
	openssl ecparam -name prime256v1 -genkey -noout -out "$T/ec2.key" 2>/dev/null
	jget "$(jwt ES256 "$T/ec2.key" "$(claims read)")"
	r3=$code:$(jv 'd["error"]["message"]')
	kill "$jpid"
	wait "$jpid" || true
	[ "$r1" = 200 ] || { cat "$T/body" "$T/es.out"; false; }
	[ "$r2" = 401 ]
	[ "$r3" = "401:JWT signature does not verify" ]
}

# served_cert: the serial and subject the TLS listener presents now.
served_cert() {
	openssl s_client -connect "127.0.0.1:$PORT" -servername 127.0.0.1 \
	    </dev/null 2>/dev/null | openssl x509 -noout -serial -subject
}

cert_is() {
	[ "$(served_cert)" = "$1" ]
}

refusals_over() {
	[ "$(grep -c "listeners not changed" "$T/agentd.out")" -gt "$1" ]
}

# reload_until CMD...: sends SIGHUP, then waits (5 s at most) for CMD.
reload_until() {
	kill -HUP "$(cat "$T/agentd.pid")"
	for _ in $(seq 50); do
		"$@" && return 0
		sleep 0.1
	done
	echo "after SIGHUP, still not: $*" >&2
	tail -5 "$T/agentd.out" >&2
	return 1
}

@test "reload: SIGHUP rotates the certificate; a bad one or a taken port changes nothing" {
	before=$(served_cert)
	[[ "$before" == *"CN = 127.0.0.1"* ]]
	# A new key and certificate from the same CA, written over the old.
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -keyout new.key -out new.csr -subj "/O=rotated/CN=127.0.0.1" \
	    2>/dev/null
	openssl x509 -req -in new.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -out new.pem -days 2 -extfile ext.cnf 2>/dev/null
	chmod 600 new.key
	cp server.pem old.pem
	cp -p server.key old.key
	mv new.key server.key
	mv new.pem server.pem
	want=$(openssl x509 -in server.pem -noout -serial -subject)
	reload_until cert_is "$want"
	remote GET /healthz
	[ "$code" = 200 ]
	grep -q "port=$PORT tls=yes (files reloaded)" "$T/agentd.out"

	# A key that is not the certificate's: refused, the new pair serves on.
	cp -p server.key good.key
	cp other.key server.key
	chmod 600 server.key
	reload_until grep -q "listeners not changed" "$T/agentd.out"
	grep "listeners not changed" "$T/agentd.out" | tail -1 |
	    grep -q "agentd.yaml:3:5: TLS refuses cert $T/server.pem with key $T/server.key"
	[ "$(served_cert)" = "$want" ]
	remote GET /healthz
	[ "$code" = 200 ]
	mv good.key server.key

	# A listener added on a taken port: the whole change is refused.
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(30)' >taken.port &
	holder=$!
	for _ in $(seq 50); do [ -s taken.port ] && break; sleep 0.1; done
	taken=$(cat taken.port)
	cp agentd.yaml orig.yaml
	printf '  - {address: 127.0.0.1, port: %s, insecure_http: true}\n' \
	    "$taken" >listen.add
	sed -i '/^listen:$/r listen.add' agentd.yaml
	n=$(grep -c "listeners not changed" "$T/agentd.out")
	reload_until refusals_over "$n"
	grep "listeners not changed" "$T/agentd.out" | tail -1 |
	    grep -q "agentd.yaml:3:5: cannot listen on 127.0.0.1 port $taken"
	# status says so too, until a reload that works.
	local_api GET /status
	[[ "$body" == *"agentd.yaml:3:5: cannot listen on 127.0.0.1 port $taken"*"(listeners not changed; the old ones serve on)"* ]] || { echo "$body"; false; }
	kill "$holder"
	wait "$holder" || true
	remote GET /healthz
	[ "$code" = 200 ]

	# Added on a free port it serves; taken out again it is gone.
	extra=$(free_port)
	sed -i "s/port: $taken,/port: $extra,/" agentd.yaml
	reload_until curl -sf -o /dev/null "http://127.0.0.1:$extra/healthz"
	local_api GET /status
	[[ "$body" == *'"problems":[]'* ]] || { echo "$body"; false; }
	cp orig.yaml agentd.yaml
	reload_until grep -q "address=127.0.0.1 port=$extra removed" "$T/agentd.out"
	run curl -sS -o /dev/null "http://127.0.0.1:$extra/healthz"
	[ "$status" -ne 0 ]
	remote GET /healthz
	[ "$code" = 200 ]
}

# nobody_api METHOD PATH [BODY]: as uid 65534 over the Unix socket; sets
# $code and $body like local_api.
nobody_api() {
	local args=(-sS --unix-socket "$SOCK" -X "$1" -o "$T/nobody/body"
	    -w '%{http_code}') url=http://cronq/api/v1$2
	[ $# -lt 3 ] || args+=(-H 'Content-Type: application/json' \
	    --data-binary "$3")
	[ "$2" != /metrics ] || url=http://cronq/metrics
	code=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	    curl "${args[@]}" "$url")
	body=$(cat "$T/nobody/body")
}

# nobody_setup: lets uid 65534 reach the socket; prints a read,trigger
# token it made for itself.
nobody_setup() {
	chmod 755 "$T"
	mkdir -p "$T/nobody"
	chown 65534:65534 "$T/nobody"
	nobody_api POST /tokens '{"scopes":"read,trigger","name":"mine"}'
	[ "$code" = 201 ] || { echo "token: $code $body" >&2; return 1; }
	jv 'd["token"]'
}

# run_done ID: waits until run ID (any owner's) has ended.
run_done() {
	for _ in $(seq 100); do
		local_api GET "/runs/$1"
		case $(jv 'd["state"]') in
		succeeded | failed | timed_out | cancelled | lost) return 0 ;;
		esac
		sleep 0.1
	done
	echo "run $1 did not end: $body" >&2
	return 1
}

@test "metrics: per-job series only for the jobs the reader may see" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to act as another user"
	ntok=$(nobody_setup)
	# Two owners, one job name: the other owner's outcome must not show.
	local_api POST /jobs '{"name":"shared","command":"false","workdir":"/"}'
	[ "$code" = 201 ]
	local_api POST /jobs '{"name":"rootonly","command":"true","workdir":"/"}'
	[ "$code" = 201 ]
	nobody_api POST /jobs '{"name":"shared","command":"true","workdir":"/"}'
	[ "$code" = 201 ] || { echo "$code $body"; false; }
	local_api POST /jobs/rootonly/trigger
	run_done "$(jv 'd["run"]["id"]')"
	remote POST /jobs/shared/trigger "$(new_token read,trigger)"
	[ "$code" = 202 ] || { echo "$code $body"; false; }
	run_done "$(jv 'd["run"]["id"]')"
	remote POST /jobs/shared/trigger "$ntok"
	[ "$code" = 202 ] || { echo "$code $body"; false; }
	run_done "$(jv 'd["run"]["id"]')"

	for how in token socket; do
		if [ $how = token ]; then
			remote GET /metrics "$ntok"
		else
			nobody_api GET /metrics
		fi
		[ "$code" = 200 ]
		[[ "$body" == *'cronq_runs_total{job="shared",outcome="succeeded"} 1'* ]]
		[[ "$body" == *'cronq_run_duration_seconds_count{job="shared",outcome="succeeded"} 1'* ]]
		[[ "$body" != *'job="rootonly"'* ]] || { echo "$how: $body"; false; }
		[[ "$body" != *'job="shared",outcome="failed"'* ]]
		# Host-wide aggregates stay.
		[[ "$body" == *'cronq_queue_depth '* ]]
		[[ "$body" == *'cronq_http_requests_total{'* ]]
	done
	# An admin (a root-owned token, whatever its scopes) sees both owners.
	remote GET /metrics "$(new_token read)"
	[[ "$body" == *'cronq_runs_total{job="rootonly",outcome="succeeded"} 1'* ]]
	[[ "$body" == *'cronq_runs_total{job="shared",outcome="succeeded"} 1'* ]]
	[[ "$body" == *'cronq_runs_total{job="shared",outcome="failed"} 1'* ]]
}

@test "status: host problems for admins only; remote non-admins get no paths" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to act as another user"
	ntok=$(nobody_setup)
	printf 'jobs:\n  - name: broken\n    bogus: 1\n' >"$T/state/cronq.d/broken.yaml"
	for _ in $(seq 100); do
		local_api GET /status
		[ "$(jv 'len(d["problems"])')" = 0 ] || break
		sleep 0.1
	done
	[[ "$(jv 'd["problems"]')" == *broken.yaml* ]]
	[ "$(jv 'd["state_dir"]')" = "$T/state" ]
	nobody_api GET /status
	[ "$code" = 200 ]
	[ "$(jv 'd["problems"]')" = '[]' ]
	# A local peer knows the socket it came through and can see the pid.
	[ "$(jv 'd["socket"]')" = "$SOCK" ]
	[ "$(jv '"pid" in d')" = true ]
	remote GET /status "$ntok"
	[ "$code" = 200 ]
	[ "$(jv 'd["problems"]')" = '[]' ]
	[ "$(jv '[k for k in ("pid", "state_dir", "socket") if k in d]')" = '[]' ]
	[ "$(jv 'd["version"] != "" and "jobs" in d and "running" in d')" = true ]
	cq --host "$URL" --cacert "$T/ca.pem" --token "$ntok" status
	assert_status 0
	[[ "$output" != *broken.yaml* ]]
	[[ "$output" != *"$T/state"* ]]
	# An admin's token sees it all, over TLS too.
	remote GET /status "$(new_token read)"
	[[ "$(jv 'd["problems"]')" == *broken.yaml* ]]
	[ "$(jv 'd["state_dir"]')" = "$T/state" ]
	rm "$T/state/cronq.d/broken.yaml"
	for _ in $(seq 100); do
		local_api GET /status
		[ "$(jv 'len(d["problems"])')" = 0 ] && break
		sleep 0.1
	done
	[ "$(jv 'd["problems"]')" = '[]' ]
}

@test "tokens: a non-admin on the socket cannot mint an admin token" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to act as another user"
	ntok=$(nobody_setup)
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
	    env HOME="$T/nobody" "$CRONQ" --socket "$SOCK" token create \
	    --scope read,admin
	[ "$status" -eq 4 ]
	[[ "$output" == *'scopes: "admin" refused: the token would act for uid 65534, which is not an admin'* ]] || { echo "$output"; false; }
	[[ "$output" != *cq_* ]]
	nobody_api POST /tokens '{"scopes":"admin"}'
	expect 403 forbidden
	[ "$(jv 'd["error"]["field"]')" = scopes ]
	# The scopes a non-admin does have are still theirs to give.
	nobody_api POST /tokens '{"scopes":"read,trigger,write"}'
	[ "$code" = 201 ]
	audit_has "r['status'] == 403 and r['path'] == '/api/v1/tokens' and r['principal'] == 'uid:65534'"
	# Root, an admin, still can.
	local_api POST /tokens '{"scopes":"read,admin"}'
	[ "$code" = 201 ]
}

@test "audit: POST /jobs records the job it made, or was refused" {
	local_api POST /jobs '{"name":"audited","command":"true","workdir":"/"}'
	[ "$code" = 201 ]
	audit_has "r['method'] == 'POST' and r['path'] == '/api/v1/jobs' and r['status'] == 201 and r['job'] == 'audited'"
	remote POST /jobs "$(new_token write)" '{"name":"audited2","command":"true"}'
	[ "$code" = 201 ]
	audit_has "r['path'] == '/api/v1/jobs' and r['status'] == 201 and r['job'] == 'audited2' and r['principal'].startswith('token:')"
	remote POST /jobs "$(new_token read)" '{"name":"refusedjob","command":"true"}'
	expect 403 forbidden
	audit_has "r['path'] == '/api/v1/jobs' and r['status'] == 403 and r['job'] == 'refusedjob'"
	cq --socket "$SOCK" audit --job audited
	assert_status 0
	[[ "$output" == *"POST"*"/api/v1/jobs"*"201"* ]]
}

@test "tokens: a JWT without a user cannot mint an admin token, which would act for nobody" {
	# jwt:alice is an admin by its scope, but a token acts for a uid,
	# and hers would be nobody's: admin would be of no use to it.
	tok=$(jwt RS256 "$T/rsa.key" "$(claims 'read write admin')")
	remote POST /tokens "$tok" '{"scopes":"read,admin","name":"alice-admin"}'
	expect 403 forbidden
	[ "$(jv 'd["error"]["field"]')" = scopes ]
	[[ "$(jv 'd["error"]["message"]')" == 'scopes: "admin" refused: the token would act for uid '*', which is not an admin'* ]] || { echo "$body"; false; }
	[[ "$body" != *cq_* ]]
	audit_has "r['status'] == 403 and r['path'] == '/api/v1/tokens' and r['principal'] == 'jwt:alice'"
	# What nobody can use is still hers to give.
	remote POST /tokens "$tok" '{"scopes":"read,write","name":"alice-rw"}'
	[ "$code" = 201 ]
	# A credential still cannot give a scope it lacks, and says which.
	rtok=$(jwt RS256 "$T/rsa.key" "$(claims 'read admin')")
	remote POST /tokens "$rtok" '{"scopes":"read,trigger,write"}'
	expect 403 forbidden
	[[ "$(jv 'd["error"]["message"]')" == 'scopes: this credential lacks trigger,write; '* ]] || { echo "$body"; false; }
}
