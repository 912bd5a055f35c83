#!/usr/bin/env bats
# The HTTP API end to end: the real cronq-agentd on a private state
# directory and socket, driven with curl --unix-socket. Every route's
# happy path, every error class, keep-alive, the original sketch's four
# endpoints, logs (whole and followed) and the event stream.

load helpers

setup_file() {
	# Under /tmp rather than bats' own (mode 0700) directory, so that
	# another user can reach the socket in the principals test.
	T=$(mktemp -d /tmp/cronq-api.XXXXXX)
	chmod 755 "$T"
	export T SOCK="$T/agentd.sock"
	: "${CRONQ_AGENTD:=${top_builddir:-.}/cronq-agentd}"
	agentd_start
}

teardown_file() {
	agentd_stop
	rm -rf "$T"
}

# api METHOD PATH [BODY]: sets $code (HTTP status) and $body; headers go
# to $T/headers.
api() {
	local method=$1 path=$2
	shift 2
	local args=(-sS --unix-socket "$SOCK" -X "$method" -D "$T/headers"
	    -o "$T/body" -w '%{http_code}')
	if [ $# -gt 0 ]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$1")
	fi
	case $path in
	/healthz | /metrics) code=$(curl "${args[@]}" "http://cronq$path") ;;
	*) code=$(curl "${args[@]}" "http://cronq/api/v1$path") ;;
	esac
	body=$(cat "$T/body")
}

# jv EXPR: evaluates the Python expression EXPR on the JSON $body (as d)
# and prints the result (JSON for lists, dicts and null).
jv() {
	python3 -c '
import json, sys
d = json.loads(sys.argv[2])
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$body"
}

# expect_error STATUS CODE [FIELD]
expect_error() {
	[ "$code" = "$1" ] || { echo "status $code, body $body"; return 1; }
	[ "$(jv 'd["error"]["code"]')" = "$2" ] || { echo "$body"; return 1; }
	[ -n "$(jv 'd["error"]["message"]')" ]
	if [ $# -gt 2 ]; then
		[ "$(jv 'd["error"]["field"]')" = "$3" ] || { echo "$body"; return 1; }
	fi
}

# Waits until run $1 is in a final state; prints it.
wait_run() {
	local s
	for _ in $(seq 200); do
		api GET "/runs/$1"
		s=$(jv 'd["state"]')
		case $s in
		succeeded | failed | timed_out | cancelled | lost | skipped)
			echo "$s"
			return 0
			;;
		esac
		sleep 0.05
	done
	echo "run $1 still $s" >&2
	return 1
}

@test "healthz answers ok and the OpenAPI document lists every route" {
	api GET /healthz
	[ "$code" = 200 ]
	[ "$body" = ok ]
	api GET /openapi.json
	[ "$code" = 200 ]
	[ "$(jv 'd["openapi"]')" = 3.1.0 ]
	for p in /jobs /jobs/{name} /jobs/{name}/trigger /jobs/{name}/pause \
	    /jobs/{name}/resume /jobs/{name}/versions /jobs/{name}/rollback \
	    /jobs/{name}/decisions /runs /runs/{id} /runs/{id}/stop \
	    /runs/{id}/log /events /status /cron-schedule /cron-jobs/status \
	    /cron-jobs/trigger /cron-jobs/stop /healthz /metrics; do
		[ "$(jv "'$p' in d['paths']")" = true ] || { echo "$p"; false; }
	done
}

@test "jobs: create, conflict, replace, list, get, put, patch" {
	api POST /jobs '{"name":"alpha","schedules":["0 3 * * *"],"command":"true"}'
	[ "$code" = 201 ]
	[ "$(jv 'd["name"]')" = alpha ]
	[ "$(jv 'd["schedules"]')" = '["0 3 * * *"]' ]
	[ "$(jv 'd["owner"]')" = "$(id -u)" ]
	[ "$(jv 'd["version"]')" = 1 ]

	api POST /jobs '{"name":"alpha","command":"true"}'
	expect_error 409 conflict

	api POST '/jobs?replace=1' '{"name":"alpha","schedule":"0 4 * * *","command":"echo a"}'
	[ "$code" = 200 ]
	[ "$(jv 'd["schedules"]')" = '["0 4 * * *"]' ]

	api POST /jobs '{"name":"aardvark","command":["echo","x"]}'
	[ "$code" = 201 ]
	api GET /jobs
	[ "$code" = 200 ]
	[ "$(jv '[j["name"] for j in d["jobs"]]')" = '["aardvark", "alpha"]' ]

	api GET /jobs/alpha
	[ "$code" = 200 ]
	[ "$(jv 'd["command"]')" = "echo a" ]

	api PUT /jobs/alpha '{"command":"echo put","timeout":"5m"}'
	[ "$code" = 200 ]
	[ "$(jv 'd["timeout"]')" = 300 ]
	[ "$(jv 'd["schedules"]')" = '[]' ]

	api PUT /jobs/alpha '{"name":"other","command":"true"}'
	expect_error 422 invalid name

	api PATCH /jobs/alpha '{"description":"patched"}'
	[ "$code" = 200 ]
	[ "$(jv 'd["description"]')" = patched ]
	[ "$(jv 'd["command"]')" = "echo put" ]

	api PUT /jobs/nosuch '{"command":"true"}'
	expect_error 404 not_found
}

@test "jobs: pause, resume, versions, rollback, decisions, delete" {
	api POST /jobs '{"name":"beta","schedules":["*/5 * * * *"],"command":"true"}'
	[ "$code" = 201 ]
	api POST /jobs/beta/pause
	[ "$code" = 200 ]
	[ "$(jv 'd["paused"]')" = true ]
	[ "$(jv 'd["next_run"]')" = null ]
	api POST /jobs/beta/resume
	[ "$code" = 200 ]
	[ "$(jv 'd["paused"]')" = false ]

	api PATCH /jobs/beta '{"command":"echo v4"}'
	[ "$code" = 200 ]
	api GET /jobs/beta/versions
	[ "$code" = 200 ]
	[ "$(jv 'len(d["versions"])')" -ge 4 ]
	[ "$(jv 'd["versions"][0]["version"] > d["versions"][1]["version"]')" = true ]

	api POST /jobs/beta/rollback '{"version":1}'
	[ "$code" = 200 ]
	[ "$(jv 'd["command"]')" = true ]
	api POST /jobs/beta/rollback '{"version":"one"}'
	expect_error 422 invalid version

	api GET '/jobs/beta/decisions?limit=5'
	[ "$code" = 200 ]
	[ "$(jv 'type(d["decisions"]).__name__')" = list ]
	api GET '/jobs/beta/decisions?limit=0'
	expect_error 400 bad_request limit

	api DELETE /jobs/beta
	[ "$code" = 200 ]
	[ "$(jv 'd["deleted"]')" = beta ]
	api GET /jobs/beta
	expect_error 404 not_found
	api GET /jobs/beta/versions
	[ "$code" = 200 ]
	[ "$(jv 'd["versions"][0]["action"]')" = delete ]
}

@test "errors: malformed JSON, unknown field, bad name, bad schedule" {
	api POST /jobs '{"name":"x",'
	expect_error 400 bad_request
	api POST /jobs '["not", "an", "object"]'
	expect_error 400 bad_request
	api POST /jobs '{"name":"x","command":"true","comand":"typo"}'
	expect_error 422 invalid comand
	# The API suggests the field as job files do.
	api POST /jobs '{"name":"x","command":"true","timeuot":"5s"}'
	expect_error 422 invalid timeuot
	[ "$(jv 'd["error"]["message"]')" = \
	    "timeuot: unknown field; did you mean timeout?" ]
	api POST /jobs '{"name":"bad name!","command":"true"}'
	expect_error 422 invalid name
	api POST /jobs '{"name":"x","schedules":["61 * * * *"],"command":"true"}'
	[ "$code" = 422 ]
	[ "$(jv 'd["error"]["field"].startswith("schedule")')" = true ]
	[[ "$(jv 'd["error"]["message"]')" == *61* ]]
	# BUG-26: a trigger never takes job fields; 400, not a merge.
	api POST /jobs/x/trigger '{"command":"id"}'
	expect_error 400 bad_request command
}

@test "errors: body too large, unknown job, unknown route, wrong method" {
	python3 -c 'print("{\"name\":\"big\",\"description\":\"" + "x" * 1100000 + "\"}")' \
	    >"$T/big.json"
	code=$(curl -sS --unix-socket "$SOCK" -o "$T/body" -w '%{http_code}' \
	    -H 'Content-Type: application/json' --data-binary @"$T/big.json" \
	    http://cronq/api/v1/jobs)
	body=$(cat "$T/body")
	expect_error 413 too_large

	api GET /jobs/ghost
	expect_error 404 not_found
	api POST /jobs/ghost/trigger
	expect_error 404 not_found
	api GET /runs/999999
	expect_error 404 not_found
	api GET /runs/abc
	expect_error 404 not_found
	api GET /nowhere
	expect_error 404 not_found

	api DELETE /jobs
	expect_error 405 method_not_allowed
	grep -qi '^Allow: GET, POST' "$T/headers"
	api GET /jobs/x/trigger
	expect_error 405 method_not_allowed
	grep -qi '^Allow: POST' "$T/headers"
}

@test "runs: query parameters are validated one by one" {
	api GET '/runs?limit=abc'
	expect_error 400 bad_request limit
	api GET '/runs?limit=1001'
	expect_error 400 bad_request limit
	api GET '/runs?before=-3'
	expect_error 400 bad_request before
	api GET '/runs?state=finished'
	expect_error 400 bad_request state
	api GET '/runs?job=no%20spaces'
	expect_error 400 bad_request job
	api GET '/runs?colour=red'
	expect_error 400 bad_request colour
	api GET '/runs?limit=2&state=succeeded'
	[ "$code" = 200 ]
}

@test "keep-alive: one curl reuses one connection for several requests" {
	run curl -sS --unix-socket "$SOCK" -o /dev/null -o /dev/null \
	    -o /dev/null -w '%{http_code} %{num_connects}\n' \
	    http://cronq/healthz http://cronq/api/v1/jobs \
	    http://cronq/api/v1/status
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "200 1" ]
	[ "${lines[1]}" = "200 0" ]
	[ "${lines[2]}" = "200 0" ]

	# With bodies too: two POSTs and an error on one connection.
	api POST /jobs '{"name":"ka","command":"true"}'
	[ "$code" = 201 ]
	run curl -sS --unix-socket "$SOCK" -o /dev/null -o /dev/null \
	    -o /dev/null -w '%{http_code} %{num_connects}\n' \
	    -H 'Content-Type: application/json' -d '{"wait":false}' \
	    http://cronq/api/v1/jobs/ka/trigger \
	    http://cronq/api/v1/jobs/ka/trigger \
	    http://cronq/api/v1/jobs/nope/trigger
	[ "${lines[0]}" = "202 1" ]
	[ "${lines[1]}" = "202 0" ]
	[ "${lines[2]}" = "404 0" ]
}

@test "trigger: the run completes, its log is fetched, runs are listed" {
	api POST /jobs '{"name":"hello","command":"echo hello from cronq; echo to err >&2"}'
	[ "$code" = 201 ]
	api POST /jobs/hello/trigger '{"wait":false}'
	[ "$code" = 202 ]
	id=$(jv 'd["run"]["id"]')
	[ "$(jv 'd["run"]["job"]')" = hello ]
	[ "$(jv 'd["run"]["trigger"]')" = manual ]

	[ "$(wait_run "$id")" = succeeded ]
	api GET "/runs/$id"
	[ "$(jv 'd["exit_code"]')" = 0 ]
	[[ "$(jv 'd["finished_at"]')" == *Z ]]

	api GET "/runs/$id/log"
	[ "$code" = 200 ]
	grep -qi '^Content-Type: text/plain' "$T/headers"
	[[ "$body" == *"hello from cronq"* ]]
	[[ "$body" == *"to err"* ]]

	api GET "/runs?job=hello&state=succeeded&limit=1"
	[ "$code" = 200 ]
	[ "$(jv '[r["id"] for r in d["runs"]]')" = "[$id]" ]
	api GET "/runs?before=$id&job=hello"
	[ "$(jv 'd["runs"]')" = '[]' ]
}

@test "log follow streams until the run ends" {
	api POST /jobs '{"name":"slow","command":"echo first; sleep 1; echo second"}'
	[ "$code" = 201 ]
	api POST /jobs/slow/trigger
	id=$(jv 'd["run"]["id"]')
	start=$(date +%s%N)
	run curl -sS -N --max-time 20 --unix-socket "$SOCK" \
	    "http://cronq/api/v1/runs/$id/log?follow=1"
	end=$(date +%s%N)
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = first ]
	[ "${lines[1]}" = second ]
	# It ended with the run, not with the time limit.
	[ $(((end - start) / 1000000)) -lt 15000 ]
	api GET "/runs/$id"
	[ "$(jv 'd["state"]')" = succeeded ]
	api GET "/runs/$id/log?follow=yes"
	expect_error 400 bad_request follow
}

@test "a run that prints nothing has an empty log and no log file" {
	api POST /jobs '{"name":"silent","command":"true"}'
	[ "$code" = 201 ]
	api POST /jobs/silent/trigger
	id=$(jv 'd["run"]["id"]')
	[ "$(wait_run "$id")" = succeeded ]
	[ ! -e "$T/state/logs/$id.log" ]
	api GET "/runs/$id/log"
	[ "$code" = 200 ]
	grep -qi '^Content-Type: text/plain' "$T/headers"
	[ -z "$body" ]
	# Following the finished run ends at once, empty.
	run curl -sS -N --max-time 10 --unix-socket "$SOCK" \
	    "http://cronq/api/v1/runs/$id/log?follow=1"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "events: SSE delivers run events with increasing ids, and replays" {
	api POST /jobs '{"name":"ev","command":"true"}'
	[ "$code" = 201 ]
	curl -sS -N --max-time 20 --unix-socket "$SOCK" \
	    http://cronq/api/v1/events >"$T/sse" 2>&1 &
	sse=$!
	for _ in $(seq 100); do
		grep -q 'cronq events' "$T/sse" && break
		sleep 0.05
	done
	api POST /jobs/ev/trigger
	id=$(jv 'd["run"]["id"]')
	for _ in $(seq 200); do
		grep -q '"state":"succeeded"' "$T/sse" && break
		sleep 0.05
	done
	kill "$sse" 2>/dev/null || true
	wait "$sse" 2>/dev/null || true
	grep -q '^event: run$' "$T/sse"
	grep -q "^data: {.*\"id\":$id,.*\"state\":\"succeeded\"" "$T/sse"
	python3 - "$T/sse" <<'EOF'
import sys
ids = [int(l[4:]) for l in open(sys.argv[1]) if l.startswith("id: ")]
assert ids and ids == sorted(ids) and len(set(ids)) == len(ids), ids
EOF
	first=$(sed -n 's/^id: //p' "$T/sse" | head -1)

	# Reconnecting with Last-Event-ID replays what came after it.
	curl -sS -N --max-time 1 --unix-socket "$SOCK" \
	    -H "Last-Event-ID: $first" http://cronq/api/v1/events \
	    >"$T/sse2" 2>/dev/null || true
	grep -q "^id: $((first + 1))$" "$T/sse2"
	! grep -q "^id: $first$" "$T/sse2"
}

@test "status and metrics" {
	api GET /status
	[ "$code" = 200 ]
	[ "$(jv 'd["pid"]')" = "$(cat "$T/agentd.pid")" ]
	[ "$(jv 'd["socket"]')" = "$SOCK" ]
	[ "$(jv 'type(d["problems"]).__name__')" = list ]

	api GET /metrics
	[ "$code" = 200 ]
	grep -qi '^Content-Type: text/plain; version=0.0.4' "$T/headers"
	[[ "$body" == *'cronq_runs_total{job="hello",outcome="succeeded"} 1'* ]]
	[[ "$body" == *'cronq_queue_depth '* ]]
	[[ "$body" == *'cronq_running '* ]]
	[[ "$body" == *'cronq_http_requests_total{method="GET",route="/api/v1/jobs/{}",status="404"}'* ]]
}

@test "original sketch: cron-schedule and cron-jobs/status shapes" {
	api POST /jobs '{"name":"schedule_generation","command":"echo gen"}'
	[ "$code" = 201 ]
	api POST /cron-schedule '{"cron_expression":"0 0 * * SUN","task":"schedule_generation"}'
	[ "$code" = 200 ]
	[ "$(jv 'd')" = '{"status": "success", "message": "Cron job scheduled successfully"}' ]
	api POST /cron-schedule '{"cron_expression":"0 0 * * SUN","task":"schedule_generation"}'
	[ "$code" = 200 ]
	api GET /jobs/schedule_generation
	[ "$(jv 'd["schedules"]')" = '["0 0 * * SUN"]' ]

	api POST /cron-schedule '{"cron_expression":"0 0 * * SUN","task":"no_such_task"}'
	expect_error 404 not_found
	[ "$(jv 'd["status"]')" = error ]
	[ "$(jv 'd["message"]')" = "$(jv 'd["error"]["message"]')" ]
	api POST /cron-schedule '{"cron_expression":"0 0 31 2 *","task":"schedule_generation"}'
	[ "$code" = 422 ]
	[ "$(jv 'd["status"]')" = error ]
	api POST /cron-schedule '{"cron_expression":"0 0 * * SUN"'
	[ "$code" = 400 ]
	[ "$(jv 'd["status"]')" = error ]

	api GET /cron-jobs/status
	[ "$code" = 200 ]
	python3 - "$body" <<'EOF'
import json, re, sys
d = json.loads(sys.argv[1])
jobs = {j["task"]: j for j in d["cron_jobs"]}
g = jobs["schedule_generation"]
assert g == {"id": None, "task": "schedule_generation", "status": "pending",
	     "last_run": None}, g
h = jobs["hello"]
assert isinstance(h["id"], str) and h["id"].isdigit(), h
assert h["status"] == "completed", h
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", h["last_run"]), h
for j in d["cron_jobs"]:
	assert j["status"] in ("pending", "running", "completed", "failed",
			       "cancelled"), j
EOF
}

@test "original sketch: cron-jobs/trigger and cron-jobs/stop" {
	api POST /jobs '{"name":"send_notifications","command":"sleep 30"}'
	[ "$code" = 201 ]
	api POST /cron-jobs/trigger '{"task":"send_notifications"}'
	[ "$code" = 200 ]
	[ "$(jv 'd["status"]')" = success ]
	[ "$(jv 'd["message"]')" = "Cron job triggered successfully" ]
	id=$(jv 'd["id"]')
	[[ "$id" =~ ^[0-9]+$ ]]

	api POST /cron-jobs/trigger '{"task":"nope"}'
	expect_error 404 not_found
	[ "$(jv 'd["status"]')" = error ]
	api POST /cron-jobs/trigger '{"job":"send_notifications"}'
	[ "$code" = 422 ]
	[ "$(jv 'd["status"]')" = error ]

	api POST /cron-jobs/stop "{\"task_id\":\"$id\"}"
	[ "$code" = 200 ]
	[ "$(jv 'd')" = '{"status": "success", "message": "Cron job stopped successfully"}' ]
	[ "$(wait_run "$id")" = cancelled ]
	api GET /cron-jobs/status
	[ "$(jv '[j["status"] for j in d["cron_jobs"] if j["task"] == "send_notifications"]')" = '["cancelled"]' ]

	api POST /cron-jobs/stop '{"task_id":"987654"}'
	expect_error 404 not_found
	[ "$(jv 'd["status"]')" = error ]
	api POST /cron-jobs/stop '{"task_id":"twelve"}'
	expect_error 422 invalid task_id
}

@test "runs: stop a running run through the v1 route" {
	api POST /jobs '{"name":"sleeper","command":"sleep 30"}'
	api POST /jobs/sleeper/trigger
	id=$(jv 'd["run"]["id"]')
	api POST "/runs/$id/stop"
	[ "$code" = 200 ]
	[ "$(wait_run "$id")" = cancelled ]
}

@test "trigger: a replace job's manual run stops the running one" {
	api POST /jobs '{"name":"swap","command":"sleep 30","concurrency":"replace"}'
	api POST /jobs/swap/trigger
	old=$(jv 'd["run"]["id"]')
	for _ in $(seq 200); do
		api GET "/runs/$old"
		[ "$(jv 'd["state"]')" = running ] && break
		sleep 0.05
	done
	api POST /jobs/swap/trigger
	new=$(jv 'd["run"]["id"]')
	[ "$(wait_run "$old")" = cancelled ]
	api GET "/runs/$old"
	[ "$(jv 'd["message"]')" = "replaced by run $new (manual)" ]
	for _ in $(seq 200); do
		api GET "/runs/$new"
		[ "$(jv 'd["state"]')" = running ] && break
		sleep 0.05
	done
	[ "$(jv 'd["state"]')" = running ]
	api POST "/runs/$new/stop"
	[ "$(wait_run "$new")" = cancelled ]
}

@test "principals: another user sees only their own jobs" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to act as another user"
	mkdir -p "$T/nobody"
	chown 65534:65534 "$T/nobody"
	as_nobody() {
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		    curl -sS --unix-socket "$SOCK" -o "$T/nobody/body" \
		    -w '%{http_code}' "$@"
		cp "$T/nobody/body" "$T/body"
	}
	code=$(as_nobody http://cronq/api/v1/jobs)
	body=$(cat "$T/body")
	[ "$code" = 200 ]
	[ "$(jv 'd["jobs"]')" = '[]' ]
	code=$(as_nobody http://cronq/api/v1/jobs/hello)
	body=$(cat "$T/body")
	expect_error 404 not_found
	code=$(as_nobody -X POST http://cronq/api/v1/jobs/hello/trigger)
	body=$(cat "$T/body")
	expect_error 404 not_found
	code=$(as_nobody -H 'Content-Type: application/json' \
	    -d '{"name":"mine","command":"id -u","workdir":"/"}' http://cronq/api/v1/jobs)
	body=$(cat "$T/body")
	[ "$code" = 201 ]
	[ "$(jv 'd["owner"]')" = 65534 ]
	# Root, an admin, sees it too.
	api GET /jobs
	[ "$(jv '"mine" in [j["name"] for j in d["jobs"]]')" = true ]

	# The job runs as its owner.
	code=$(as_nobody -X POST http://cronq/api/v1/jobs/mine/trigger)
	body=$(cat "$T/body")
	[ "$code" = 202 ]
	id=$(jv 'd["run"]["id"]')
	[ "$(wait_run "$id")" = succeeded ]
	code=$(as_nobody "http://cronq/api/v1/runs/$id/log")
	[ "$code" = 200 ]
	[ "$(cat "$T/body")" = 65534 ]
}

@test "principals: metrics and status show another user only their own" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to act as another user"
	# After the principals test: uid 65534 owns "mine", which ran once.
	as_nobody() {
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		    curl -sS --unix-socket "$SOCK" -o "$T/nobody/body" \
		    -w '%{http_code}' "$@"
		cp "$T/nobody/body" "$T/body"
	}
	code=$(as_nobody http://cronq/metrics)
	body=$(cat "$T/body")
	[ "$code" = 200 ]
	[[ "$body" == *'cronq_runs_total{job="mine",outcome="succeeded"} 1'* ]]
	[[ "$body" != *'job="hello"'* ]]
	[[ "$body" == *'cronq_running '* ]]
	api GET /metrics
	[[ "$body" == *'cronq_runs_total{job="mine",outcome="succeeded"} 1'* ]]
	[[ "$body" == *'cronq_runs_total{job="hello",outcome="succeeded"}'* ]]
	code=$(as_nobody http://cronq/api/v1/status)
	body=$(cat "$T/body")
	[ "$code" = 200 ]
	[ "$(jv 'd["jobs"]')" = 1 ]
	[ "$(jv 'd["problems"]')" = '[]' ]
}

@test "runs: a run queued behind its own job's run says so" {
	api POST /jobs '{"name":"one","command":"sleep 30","concurrency":"forbid"}'
	api POST /jobs/one/trigger
	first=$(jv 'd["run"]["id"]')
	api POST /jobs/one/trigger
	second=$(jv 'd["run"]["id"]')
	for _ in $(seq 200); do
		api GET "/runs/$second"
		[ "$(jv 'd["message"]')" = "waits for run $first of this job (concurrency forbid)" ] && break
		sleep 0.05
	done
	[ "$(jv 'd["message"]')" = "waits for run $first of this job (concurrency forbid)" ]
	[ "$(jv 'd["state"]')" = queued ]
	# Once it starts, the wait is over and the message with it.
	api POST "/runs/$first/stop"
	for _ in $(seq 200); do
		api GET "/runs/$second"
		[ "$(jv 'd["state"]')" = running ] && break
		sleep 0.05
	done
	[ "$(jv 'd["state"]')" = running ]
	[ "$(jv 'd["message"]')" = "" ]
	api POST "/runs/$second/stop"
	[ "$(wait_run "$second")" = cancelled ]
}

@test "cronq groups: anyone lists the groups, only an admin sets a limit" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to act as another user"
	mkdir -p "$T/nobody"
	chown 65534:65534 "$T/nobody"
	# cronq as uid 65534: sets $status and $out, its stderr in $err.
	cq_nobody() {
		status=0
		out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		    env HOME="$T/nobody" "$CRONQ" --socket "$SOCK" "$@" \
		    2>"$T/nobody/err") || status=$?
		err=$(cat "$T/nobody/err")
	}
	cq_nobody groups set shared 5
	[ "$status" -eq 4 ]
	[ "$err" = 'cronq: cannot set the limit of group "shared": only root or members of group cronq may change group limits' ]
	cq_nobody groups reset shared
	[ "$status" -eq 4 ]
	[ "$err" = 'cronq: cannot reset the limit of group "shared": only root or members of group cronq may change group limits' ]
	"$CRONQ" --socket "$SOCK" groups set shared 5
	cq_nobody groups
	[ "$status" -eq 0 ]
	[ -z "$err" ]
	grep -Eqx 'shared +5 +api +0 +0' <<<"$out"
	"$CRONQ" --socket "$SOCK" groups reset shared
}
