#!/usr/bin/env bats
# HTTP jobs, concurrency groups and notifications against the real daemon
# on a private state directory, with tests/httpd.py on loopback standing in
# for the services it calls (it records every request it gets).

load helpers

setup() {
	T=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/httpjobs.XXXXXX")
	SOCK="$T/agentd.sock"
	DB="$T/state/cronq.db"
	REQ="$T/requests.jsonl"
	: "${CRONQ_AGENTD:=${top_builddir:-.}/cronq-agentd}"
	HTTPD="${top_srcdir:-$BATS_TEST_DIRNAME/../..}/tests/httpd.py"
	mkdir -m 700 "$T/state"
	python3 "$HTTPD" "$REQ" "$T/port" 3>&- &
	echo $! >"$T/httpd.pid"
	for _ in $(seq 50); do
		[ -f "$T/port" ] && break
		sleep 0.1
	done
	PORT=$(cat "$T/port")
	URL="http://127.0.0.1:$PORT"
}

teardown() {
	agentd_stop KILL
	kill "$(cat "$T/httpd.pid")" 2>/dev/null || true
}

api() {
	curl -sS --unix-socket "$SOCK" -X "$1" "http://x/api/v1$2" \
	    ${3:+--data-binary "$3"}
}

# req FILTER: a jq-less look at the recorded requests (python expression
# over r, one output line per request that matches).
req() {
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if eval(sys.argv[2]):
        print(eval(sys.argv[3]))' "$REQ" "$1" "$2"
}

# json EXPR: evaluates EXPR over the JSON object d read from stdin.
json() {
	python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

@test "http job: method, headers and body sent, body captured, status recorded" {
	agentd_start
	run api POST /jobs '{"name":"post","kind":"http","http":{"method":"PUT",
	    "url":"'"$URL"'/thing?body=hello-from-server","headers":{"X-Token":"s3cret"},
	    "body":"{\"a\":1}","expect_status":["2xx",304]}}'
	[[ "$output" == *'"expect_status":["2xx",304]'* ]]
	api POST /jobs/post/trigger
	wait_for "SELECT state || ' ' || http_status FROM runs WHERE job = 'post'" \
	    "succeeded 200"
	[ "$(req 'r["path"] == "/thing"' 'r["method"], r["headers"]["X-Token"], r["body"], r["headers"]["X-Cronq-Job"]')" = \
	    "('PUT', 's3cret', '{\"a\":1}', 'post')" ]
	run api GET /runs/1/log
	[ "$output" = hello-from-server ]
	[ "$(sql "SELECT output_bytes FROM runs WHERE id = 1")" = 17 ]
	[ "$(sql "SELECT pid IS NULL FROM runs WHERE id = 1")" = 1 ]
}

@test "http job failures: unexpected status, connection refused, timeout" {
	agentd_start
	api POST /jobs '{"name":"e500","kind":"http","http":{"url":"'"$URL"'/x?status=500"}}'
	api POST /jobs '{"name":"refused","kind":"http","http":{"url":"http://127.0.0.1:1/"}}'
	api POST /jobs '{"name":"slow","kind":"http","timeout":1,"http":{"url":"'"$URL"'/slow?delay=5"}}'
	for j in e500 refused slow; do api POST /jobs/$j/trigger >/dev/null; done
	wait_for "SELECT count(*) FROM runs WHERE finished_at IS NOT NULL" 3
	[ "$(sql "SELECT state || ' ' || http_status || ' ' || message FROM runs WHERE job = 'e500'")" = \
	    "failed 500 HTTP 500 is not an expected status" ]
	[ "$(sql "SELECT state FROM runs WHERE job = 'refused'")" = failed ]
	[[ "$(sql "SELECT message FROM runs WHERE job = 'refused'")" == *"onnect"* ]]
	[ "$(sql "SELECT state FROM runs WHERE job = 'slow'")" = timed_out ]
	[ "$(sql "SELECT finished_at - started_at < 3 FROM runs WHERE job = 'slow'")" = 1 ]
	# trigger --wait says "timed out" once, with libcurl's reason after.
	run "$CRONQ" --socket "$SOCK" trigger --wait slow
	[ "$status" -eq 1 ]
	[[ "$output" == *'timed out after 1s ('*')'* ]] || { echo "$output"; false; }
	[[ "$output" != *'(timed out:'* ]] || { echo "$output"; false; }
	id=$(sql "SELECT id FROM runs WHERE job = 'refused'")
	run api GET "/runs/$id/log"
	[[ "$output" == "cronq: http: "* ]]
}

@test "http job: a failed attempt is retried, then succeeds" {
	agentd_start
	api POST /jobs '{"name":"flaky","kind":"http","retries":2,"retry_backoff":1,
	    "http":{"url":"'"$URL"'/flaky?fail=1"}}'
	api POST /jobs/flaky/trigger
	wait_for "SELECT group_concat(attempt || ':' || state || ':' || http_status, ' ')
	    FROM runs WHERE job = 'flaky'" "1:failed:503 2:succeeded:200"
}

@test "http job: stop cancels the request in flight; bad URLs are refused" {
	agentd_start
	api POST /jobs '{"name":"hang","kind":"http","http":{"url":"'"$URL"'/hang?delay=20"}}'
	api POST /jobs/hang/trigger
	wait_for "SELECT state FROM runs WHERE id = 1" running
	api POST /runs/1/stop
	wait_for "SELECT state FROM runs WHERE id = 1" cancelled 3
	run api POST /jobs '{"name":"f","kind":"http","http":{"url":"file:///etc/passwd"}}'
	[[ "$output" == *'not an http:// or https:// URL'*'"field":"http.url"'* ]]
	run api POST /jobs '{"name":"f","kind":"http","http":{"url":"'"$URL"'","expect_status":["7xx"]}}'
	[[ "$output" == *'"field":"http.expect_status"'* ]]
	run api POST /jobs '{"name":"f","kind":"http","http":{"url":"'"$URL"'","headers":{"A":"b\r\nX: y"}}}'
	[[ "$output" == *'control characters are not allowed'* ]]
}

@test "a group of limit 1 runs its jobs one at a time, in queue order" {
	printf 'groups:\n  db-heavy: 1\n' >"$T/state/agentd.yaml"
	agentd_start
	for j in a b c; do
		api POST /jobs '{"name":"'$j'","group":"db-heavy",
		    "command":"echo '$j' start $(date +%s%N) >>'"$T"'/order; sleep 0.3; echo '$j' end $(date +%s%N) >>'"$T"'/order"}' >/dev/null
	done
	for j in a b c; do api POST /jobs/$j/trigger >/dev/null; done
	wait_for "SELECT count(*) FROM runs WHERE state = 'succeeded'" 3
	[ "$(cut -d' ' -f1,2 "$T/order" | tr '\n' ' ')" = \
	    "a start a end b start b end c start c end " ]
	[ "$(sql "SELECT group_concat(job, ' ') FROM (SELECT job FROM decisions
	    WHERE outcome = 'held_by_group' ORDER BY id)")" = "b c" ]
	run api GET /jobs/c/decisions
	[[ "$output" == *'"outcome":"held_by_group"'*'group db-heavy is at its limit of 1'* ]]
	run api GET /groups
	[ "$(echo "$output" | json 'd["groups"][0]')" = \
	    "{'name': 'db-heavy', 'limit': 1, 'source': 'config', 'running': 0, 'queued': 0}" ]
	run api PUT /groups/db-heavy '{"limit":2}'
	[ "$(echo "$output" | json 'd["limit"], d["source"]')" = "(2, 'api')" ]
	run api PUT /groups/db-heavy '{"limit":0}'
	[[ "$output" == *'limit: expected an integer 1..100000'* ]]
}

@test "failure is notified once, after the last retry, with its payload" {
	agentd_start
	api POST /jobs '{"name":"bad","command":"echo it broke; exit 3","retries":2,
	    "retry_backoff":1,"notify":[{"kind":"webhook","url":"'"$URL"'/hook"},
	    {"kind":"ping","url":"'"$URL"'/ping/bad"}]}'
	api POST /jobs/bad/trigger
	wait_for "SELECT count(*) FROM notifications WHERE event = 'failure'" 2
	[ "$(sql "SELECT count(*) FROM runs WHERE job = 'bad'")" = 3 ]
	[ "$(req 'r["path"] == "/hook"' 'r["method"]')" = POST ]
	p=$(req 'r["path"] == "/hook"' 'r["body"]')
	[ "$(echo "$p" | json 'd["event"], d["job"], d["state"], d["exit_code"], d["run"]["attempt"], d["log_tail"]')" = \
	    "('failure', 'bad', 'failed', 3, 3, 'it broke\\n')" ]
	# Pings: /start for each of the 3 attempts, /3 once with the log tail.
	[ "$(req 'r["path"].startswith("/ping/")' 'r["path"]' | sort | uniq -c | tr -s ' ')" = \
	    "$(printf ' 1 /ping/bad/3\n 3 /ping/bad/start')" ]
	[ "$(req 'r["path"] == "/ping/bad/3"' 'r["body"]')" = "it broke" ]
	id=$(sql "SELECT max(id) FROM runs")
	run api GET "/runs/$id/notifications"
	[[ "$output" == *'"event":"failure","attempt":1,"status":"delivered","code":200'* ]]
}

@test "success notifies webhook, ping and a command target with CRONQ_NOTIFY_*" {
	agentd_start
	api POST /jobs '{"name":"good","command":"echo fine","notify":[
	    {"kind":"webhook","url":"'"$URL"'/ok","on":["success"]},
	    {"kind":"ping","url":"'"$URL"'/ping/good/"},
	    {"kind":"command","command":"env | grep ^CRONQ_ | sort >'"$T"'/env","on":["success","failure"]}]}'
	api POST /jobs/good/trigger
	wait_for "SELECT count(*) FROM notifications WHERE status = 'delivered'" 4
	[ "$(req 'r["path"] == "/ok"' 'json.loads(r["body"])["event"]')" = success ]
	[ "$(req 'r["path"].startswith("/ping/")' 'r["path"]' | sort | tr '\n' ' ')" = \
	    "/ping/good/ /ping/good/start " ]
	grep -qx 'CRONQ_NOTIFY_EVENT=success' "$T/env"
	grep -qx 'CRONQ_NOTIFY_JOB=good' "$T/env"
	grep -qx 'CRONQ_NOTIFY_RUN_ID=1' "$T/env"
	grep -qx 'CRONQ_NOTIFY_EXIT_CODE=0' "$T/env"
	grep -qx 'CRONQ_NOTIFY_LOG_TAIL=fine' "$T/env"
	# The run told about, not the delivery: run 1, its first attempt.
	grep -qx 'CRONQ_NOTIFY_ATTEMPT=1' "$T/env"
	grep -qx 'CRONQ_RUN_ID=1' "$T/env"
	grep -qx 'CRONQ_ATTEMPT=1' "$T/env"
}

@test "missed, late and long_running are notified" {
	agentd_start
	# A run that outlasts its every-second schedule: the next slots are
	# skipped (missed) and it runs past expected_duration.
	api POST /jobs '{"name":"long","schedule":"* * * * * *","command":"sleep 2.5",
	    "expected_duration":1,"notify":[{"kind":"webhook","url":"'"$URL"'/long",
	    "on":["missed","long_running"]}]}'
	wait_for "SELECT count(*) > 0 FROM notifications WHERE event = 'long_running'" 1
	wait_for "SELECT count(*) > 0 FROM notifications WHERE event = 'missed'" 1
	api POST /jobs/long/pause >/dev/null
	[ "$(sql "SELECT count(*) FROM runs r JOIN notifications n ON n.run_id = r.id
	    WHERE n.event = 'long_running' AND n.created_at < r.finished_at + 0
	    OR (n.event = 'long_running' AND r.finished_at IS NULL)")" -ge 1 ]
	[ "$(req 'r["path"] == "/long" and json.loads(r["body"])["event"] == "missed"' \
	    'json.loads(r["body"])["run"]' | head -1)" = None ]
	# The keys of a run's event are there too, null.
	[ "$(req 'r["path"] == "/long" and json.loads(r["body"])["event"] == "missed"' \
	    '[json.loads(r["body"])[k] for k in ("state", "exit_code")]' | head -1)" = "[None, None]" ]
	[[ "$(req 'r["path"] == "/long" and json.loads(r["body"])["event"] == "missed"' \
	    'json.loads(r["body"])["detail"]' | head -1)" == *"is still running"* ]]
	# Late: a scheduled run held about 3 s by its group, late_after 1 s
	# (run times are whole seconds, so the margin is wide).
	api POST /jobs '{"name":"blocker","group":"one","command":"sleep 4"}'
	api POST /jobs/blocker/trigger
	wait_for "SELECT state FROM runs WHERE job = 'blocker'" running
	api POST /jobs '{"name":"tardy","group":"one","schedule":"* * * * * *",
	    "command":"true","late_after":1,"notify":[{"kind":"webhook",
	    "url":"'"$URL"'/late","on":["late"]}]}'
	wait_for "SELECT count(*) > 0 FROM notifications WHERE event = 'late'" 1
	api POST /jobs/tardy/pause >/dev/null
	[[ "$(req 'r["path"] == "/late"' 'json.loads(r["body"])["detail"]' | head -1)" == \
	    "started "*"s after its scheduled time (late_after 1s)" ]]
}

@test "a hanging webhook delays neither other runs nor the scheduler" {
	agentd_start
	api POST /jobs '{"name":"loud","command":"exit 1","notify":[{"kind":"webhook",
	    "url":"'"$URL"'/hang?delay=30","timeout":20}]}'
	api POST /jobs '{"name":"quick","command":"echo quick"}'
	api POST /jobs '{"name":"web","kind":"http","http":{"url":"'"$URL"'/fast"}}'
	api POST /jobs/loud/trigger
	for _ in $(seq 50); do
		[ "$(req 'r["path"] == "/hang"' 'r["path"]')" = /hang ] && break
		sleep 0.1
	done
	t0=$(date +%s%N)
	api POST /jobs/quick/trigger
	api POST /jobs/web/trigger
	wait_for "SELECT count(*) FROM runs WHERE job IN ('quick', 'web')
	    AND state = 'succeeded'" 2
	[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 3000 ]
	# The webhook is still waiting for its answer.
	[ "$(sql "SELECT count(*) FROM notifications")" = 0 ]
}

@test "a command target of a retried failure gets the last attempt's run" {
	agentd_start
	api POST /jobs '{"name":"bad","command":"exit 3","retries":1,
	    "retry_backoff":1,"notify":[
	    {"kind":"command","command":"env | grep ^CRONQ_ | sort >'"$T"'/env","on":["failure"]}]}'
	api POST /jobs/bad/trigger
	wait_for "SELECT count(*) FROM notifications WHERE status = 'delivered'" 1
	last=$(sql "SELECT max(id) FROM runs WHERE job = 'bad'")
	grep -qx "CRONQ_RUN_ID=$last" "$T/env"
	grep -qx 'CRONQ_ATTEMPT=2' "$T/env"
	grep -qx 'CRONQ_NOTIFY_ATTEMPT=2' "$T/env"
	grep -qx 'CRONQ_NOTIFY_EXIT_CODE=3' "$T/env"
}

@test "why shows a slot held by its group once, with how its run ended" {
	printf 'groups:\n  solo: 1\n' >"$T/state/agentd.yaml"
	agentd_start
	# Two jobs due together in a group of one: every second one of them
	# waits for the other.
	for j in a b; do
		api POST /jobs '{"name":"'$j'","group":"solo",
		    "schedule":"* * * * * *","command":"sleep 0.2"}' >/dev/null
	done
	wait_for "SELECT count(*) > 0 FROM decisions d JOIN runs r
	    ON r.id = d.run_id WHERE d.outcome = 'held_by_group'
	    AND r.state = 'succeeded'" 1
	api POST /jobs/a/pause >/dev/null
	api POST /jobs/b/pause >/dev/null
	IFS="|" read -r job id <<<"$(sql "SELECT d.job, d.run_id FROM decisions d
	    JOIN runs r ON r.id = d.run_id WHERE d.outcome = 'held_by_group'
	    AND r.state = 'succeeded' ORDER BY d.id LIMIT 1")"
	cq --socket "$SOCK" why -n 1000 "$job"
	assert_status 0
	lines=$(grep -E "\(run $id[:)]" <<<"$output")
	[ "$(wc -l <<<"$lines")" = 1 ] || { echo "$output"; false; }
	[[ "$lines" == *"ran (run $id: succeeded); held by group solo (limit 1) first" ]] ||
		{ echo "$output"; false; }
	# --json keeps the daemon's records as they are.
	cq --socket "$SOCK" --json why -n 1000 "$job"
	[ "$(echo "$output" | json "sorted(x['outcome'] for x in d['decisions'] if x['run_id'] == $id)")" = \
	    "['fired', 'held_by_group']" ]
	# A manual run has only the hold: its line says how the run ended.
	api POST /jobs/a/trigger >/dev/null
	api POST /jobs/b/trigger >/dev/null
	wait_for "SELECT count(*) FROM runs WHERE state NOT IN
	    ('succeeded', 'skipped')" 0
	id=$(sql "SELECT max(id) FROM runs WHERE job = 'b'")
	[ "$(sql "SELECT outcome FROM decisions WHERE run_id = $id")" = \
	    held_by_group ]
	cq --socket "$SOCK" why -n 1000 b
	lines=$(grep -E "run $id\b" <<<"$output")
	[ "$(wc -l <<<"$lines")" = 1 ] || { echo "$output"; false; }
	[[ "$lines" == *"  held by group solo (limit 1), then run $id: succeeded" ]] ||
		{ echo "$output"; false; }
}

@test "notifications lists a run's deliveries, a job's, and --json" {
	agentd_start
	api POST /jobs '{"name":"bad","command":"exit 3","notify":[
	    {"kind":"webhook","url":"'"$URL"'/hook"},
	    {"kind":"command","command":"exit 1","retries":1}]}' >/dev/null
	api POST /jobs '{"name":"quiet","command":"true"}' >/dev/null
	api POST /jobs/bad/trigger >/dev/null
	wait_for "SELECT count(*) FROM notifications" 3
	cq --socket "$SOCK" notifications 1
	assert_status 0
	[[ "${lines[0]}" =~ ^TIME\ {25}RUN\ \ EVENT\ {4}TARGET\ +ATTEMPT\ \ STATUS\ {5}CODE\ \ ERROR$ ]] ||
		{ echo "$output"; false; }
	[ "${#lines[@]}" = 4 ]
	when='[A-Z][a-z]{2} [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC'
	grep -Eqx "$when  1    failure  webhook $URL/hook +1        delivered  200   -" <<<"$output"
	grep -Eqx "$when  1    failure  command exit 1 +1        failed     1     exit 1" <<<"$output"
	grep -Eqx "$when  1    failure  command exit 1 +2        failed     1     exit 1" <<<"$output"
	# A job name: all of its runs' deliveries; --limit keeps the newest.
	cq --socket "$SOCK" notifications bad
	[ "${#lines[@]}" = 4 ]
	cq --socket "$SOCK" --json notifications --limit 1 bad
	assert_status 0
	[ "$(echo "$output" | json '[(n["kind"], n["attempt"], n["status"]) for n in d["notifications"]]')" = \
	    "$(sql "SELECT '[(''' || kind || ''', ' || attempt || ', ''' || status || ''')]'
	    FROM notifications ORDER BY id DESC LIMIT 1")" ]
	# The API's limit keeps the newest too, still oldest first.
	[ "$(api GET '/jobs/bad/notifications?limit=2' | json '[n["id"] for n in d["notifications"]]')" = \
	    "$(sql "SELECT '[' || group_concat(id, ', ') || ']' FROM
	    (SELECT id FROM (SELECT id FROM notifications ORDER BY id DESC
	    LIMIT 2) ORDER BY id)")" ]
	[ "$(api GET '/runs/1/notifications?limit=1' | json '[n["id"] for n in d["notifications"]]')" = \
	    "[$(sql "SELECT max(id) FROM notifications WHERE run_id = 1")]" ]
	# Nothing delivered is a note; an unknown run or job an error.
	api POST /jobs/quiet/trigger >/dev/null
	wait_for "SELECT state FROM runs WHERE job = 'quiet'" succeeded
	cq --socket "$SOCK" notifications quiet
	assert_status 0
	[ -z "$output" ]
	assert_stderr "cronq: no notifications"
	cq --socket "$SOCK" notifications 99
	assert_status 1
	assert_stderr "cronq: cannot list the notifications of run 99: no run 99"
	cq --socket "$SOCK" notifications nosuch
	assert_status 1
	assert_stderr 'cronq: cannot list the notifications of job "nosuch": no job named "nosuch"'
	cq --socket "$SOCK" notifications --limit 0 bad
	assert_status 2
	[ "${stderr%%$'\n'*}" = 'cronq: notifications: --limit "0": expected a number from 1 to 1000' ]
}

@test "groups lists limits, running and queued runs; set and reset change them" {
	printf 'groups:\n  db-heavy: 2\n' >"$T/state/agentd.yaml"
	agentd_start
	for j in l1 l2; do
		api POST /jobs '{"name":"'$j'","group":"lone","command":"sleep 30"}' >/dev/null
	done
	api POST /jobs/l1/trigger >/dev/null
	wait_for "SELECT state FROM runs WHERE job = 'l1'" running
	api POST /jobs/l2/trigger >/dev/null
	wait_for "SELECT message FROM runs WHERE job = 'l2'" "held by group lone (limit 1)"
	cq --socket "$SOCK" groups
	assert_status 0
	assert_lines "NAME      LIMIT  SOURCE   RUNNING  QUEUED" \
	    "db-heavy  2      config   0        0" \
	    "lone      1      default  1        1"
	# A higher limit lets the queued run start.
	cq --socket "$SOCK" groups set lone 3
	assert_status 0
	assert_lines ""
	assert_stderr ""
	wait_for "SELECT state FROM runs WHERE job = 'l2'" running
	cq --socket "$SOCK" groups ls
	assert_lines "NAME      LIMIT  SOURCE  RUNNING  QUEUED" \
	    "db-heavy  2      config  0        0" \
	    "lone      3      api     2        0"
	cq --socket "$SOCK" --json groups set db-heavy 4
	[ "$(echo "$output" | json 'd["name"], d["limit"], d["source"]')" = "('db-heavy', 4, 'api')" ]
	# reset drops the API's limit: back to agentd.yaml's, or 1.
	cq --socket "$SOCK" groups reset db-heavy
	assert_status 0
	cq --socket "$SOCK" groups reset lone
	cq --socket "$SOCK" --json groups
	[ "$(echo "$output" | json '[(g["name"], g["limit"], g["source"]) for g in d["groups"]]')" = \
	    "[('db-heavy', 2, 'config'), ('lone', 1, 'default')]" ]
	# Errors name the bad parameter and change nothing.
	cq --socket "$SOCK" groups set lone 0
	assert_status 2
	assert_stderr 'cronq: groups: set: limit "0": expected a number from 1 to 100000 (runs of the group at once)
usage: cronq groups [ls] | groups set NAME LIMIT | groups reset NAME'
	cq --socket "$SOCK" groups set lone 100001
	assert_status 2
	[ "${stderr%%$'\n'*}" = 'cronq: groups: set: limit "100001": expected a number from 1 to 100000 (runs of the group at once)' ]
	cq --socket "$SOCK" groups set lone two
	assert_status 2
	[ "${stderr%%$'\n'*}" = 'cronq: groups: set: limit "two": expected a number from 1 to 100000 (runs of the group at once)' ]
	cq --socket "$SOCK" groups set 'no/such' 2
	assert_status 2
	[ "${stderr%%$'\n'*}" = 'cronq: groups: set: group name "no/such": expected 1-64 of A-Z a-z 0-9 . _ -' ]
	cq --socket "$SOCK" groups set lone
	assert_status 2
	[ "${stderr%%$'\n'*}" = 'cronq: groups: set: missing limit' ]
	cq --socket "$SOCK" groups frob
	assert_status 2
	[ "${stderr%%$'\n'*}" = 'cronq: groups: unknown subcommand "frob" (expected ls, set or reset)' ]
	[ "$(sql "SELECT count(*) FROM runs WHERE state = 'running'")" = 2 ]
	for id in $(sql "SELECT id FROM runs WHERE state = 'running'"); do
		cq --socket "$SOCK" stop "$id"
	done
}
