#!/usr/bin/env bats
# cronq over RabbitMQ: one scheduler and two worker agents on this machine
# (separate state directories) around a private rabbitmq-server on
# loopback. Runs spread over the workers, a worker killed mid-run has its
# run redelivered and retried, a broker restart loses and doubles nothing,
# and a standby scheduler takes over without firing a slot twice.

load broker

setup_file() {
	broker_init "$BATS_FILE_TMPDIR/broker"
	broker_start
}

teardown_file() {
	[ -n "${BROKER_DIR:-}" ] && broker_kill
	return 0
}

setup() {
	T=$(mktemp -d "$BATS_TEST_TMPDIR/amqp.XXXXXX")
	: "${CRONQ_AGENTD:=${top_builddir:-.}/cronq-agentd}"
	Q="cronq-test-$BATS_TEST_NUMBER"
	cat >"$T/agentd.yaml" <<-EOY
	queue:
	  backend: amqp
	  url: $BROKER_URL
	  queue: $Q
	EOY
}

teardown() {
	local f
	for f in "$T"/*.pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	return 0
}

# agent NAME ARGS...: starts an agent with state dir $T/NAME (no wait).
agent() {
	local name=$1
	shift
	"$CRONQ_AGENTD" -f --state-dir "$T/${STATE:-$name}" \
	    --socket "$T/$name.sock" --config "$T/agentd.yaml" --name "$name" \
	    "$@" >>"$T/$name.out" 2>&1 &
	echo $! >"$T/$name.pid"
}

# wait_api NAME: waits (15 s) for agent NAME's API.
wait_api() {
	local i
	for i in $(seq 150); do
		curl -sf --unix-socket "$T/$1.sock" -o /dev/null http://x/healthz &&
		    return 0
		sleep 0.1
	done
	cat "$T/$1.out" >&2
	return 1
}

api() {
	curl -sS --unix-socket "$T/sched.sock" -X "$1" "http://x/api/v1$2" \
	    ${3:+--data-binary "$3"}
}

sql() {
	sqlite3 -cmd '.timeout 5000' "$T/${DBDIR:-sched}/cronq.db" "$1"
}

# wait_for QUERY WANT [SECONDS]
wait_for() {
	local i
	for i in $(seq $((${3:-20} * 10))); do
		[ "$(sql "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "waited for [$1] = $2, got $(sql "$1")" >&2
	tail -5 "$T"/*.out >&2
	return 1
}

three_agents() {
	agent sched --role scheduler
	wait_api sched
	agent w1 --role worker
	agent w2 --role worker
	wait_api w1
	wait_api w2
}

@test "runs spread over two workers and show the worker as host" {
	three_agents
	run api POST /jobs '{"name":"spread","command":"sleep 0.3; echo hi $CRONQ_RUN_ID","concurrency":"allow"}'
	[[ "$output" == *'"name":"spread"'* ]]
	for i in $(seq 12); do
		api POST /jobs/spread/trigger >/dev/null
	done
	wait_for "SELECT count(*) FROM runs WHERE job='spread' AND state='succeeded'" 12
	[ "$(sql "SELECT count(DISTINCT host) FROM runs WHERE job='spread'")" = 2 ]
	[ "$(sql "SELECT group_concat(DISTINCT host) FROM runs WHERE job='spread' ORDER BY host")" != "" ]
	id=$(sql "SELECT min(id) FROM runs WHERE job='spread'")
	run api GET "/runs/$id/log"
	[[ "$output" == *"hi $id"* ]]
	run api GET /status
	[[ "$output" == *'"backend":"amqp"'* ]]
	[[ "$output" == *'"state":"connected"'* ]]
	run curl -sS --unix-socket "$T/sched.sock" http://x/metrics
	[[ "$output" == *'cronq_broker_messages{queue="'"$Q"'"} 0'* ]]
}

@test "jobs with labels go only to workers carrying them" {
	agent sched --role scheduler
	wait_api sched
	agent w1 --role worker --label gpu
	agent w2 --role worker
	wait_api w1
	wait_api w2
	api POST /jobs '{"name":"g","command":"true","labels":["gpu"],"concurrency":"allow"}' >/dev/null
	for i in $(seq 4); do
		api POST /jobs/g/trigger >/dev/null
	done
	wait_for "SELECT count(*) FROM runs WHERE job='g' AND state='succeeded'" 4
	[ "$(sql "SELECT group_concat(DISTINCT host) FROM runs WHERE job='g'")" = w1 ]
}

@test "a worker killed mid-run: the run is redelivered, lost, retried once" {
	three_agents
	api POST /jobs '{"name":"slow","command":"sleep 2","retries":1,"retry_backoff":1}' >/dev/null
	api POST /jobs/slow/trigger >/dev/null
	wait_for "SELECT state FROM runs WHERE job='slow' AND attempt=1" running
	victim=$(sql "SELECT host FROM runs WHERE job='slow' AND attempt=1")
	kill -9 "$(cat "$T/$victim.pid")"
	rm -f "$T/$victim.pid"
	wait_for "SELECT state FROM runs WHERE job='slow' AND attempt=1" lost
	wait_for "SELECT state FROM runs WHERE job='slow' AND attempt=2" succeeded
	[ "$(sql "SELECT count(*) FROM runs WHERE job='slow'")" = 2 ]
	[ "$(sql "SELECT host FROM runs WHERE job='slow' AND attempt=2")" != "$victim" ]
	grep -q 'redelivered' "$T/sched.out"
}

@test "the broker restarted during a burst: nothing lost or doubled" {
	three_agents
	api POST /jobs "{\"name\":\"burst\",\"command\":\"echo \$CRONQ_RUN_ID >> $T/done; sleep 0.2\",\"concurrency\":\"allow\"}" >/dev/null
	for i in $(seq 20); do
		api POST /jobs/burst/trigger >/dev/null
	done
	broker_stop
	run api GET /status
	[[ "$output" == *'"state":"reconnecting"'* ]]
	for i in $(seq 20); do
		api POST /jobs/burst/trigger >/dev/null
	done
	broker_start
	wait_for "SELECT count(*) FROM runs WHERE job='burst' AND state='succeeded'" 40 60
	[ "$(sql "SELECT count(*) FROM runs WHERE job='burst'")" = 40 ]
	[ "$(wc -l <"$T/done")" = 40 ]
	[ "$(sort -u "$T/done" | wc -l)" = 40 ]
	grep -q 'broker link back' "$T/sched.out"
}

@test "a standby scheduler takes over and fires no slot twice" {
	STATE=shared agent sched --role scheduler
	wait_api sched
	STATE=shared agent standby --role scheduler
	agent w1 --role worker
	wait_api w1
	DBDIR=shared
	api POST /jobs '{"name":"tick","schedule":"* * * * * *","command":"true"}' >/dev/null
	DBDIR=shared wait_for "SELECT count(*) >= 3 FROM runs WHERE job='tick' AND state='succeeded'" 1
	grep -q 'standby' "$T/standby.out"
	killed=$(date +%s)
	kill -9 "$(cat "$T/sched.pid")"
	rm -f "$T/sched.pid"
	wait_api standby
	DBDIR=shared wait_for "SELECT count(*) > 0 FROM runs WHERE job='tick' AND scheduled_at > $killed AND state='succeeded'" 1
	sleep 2
	[ "$(DBDIR=shared sql "SELECT count(*) FROM (SELECT slot FROM decisions WHERE job='tick' GROUP BY slot HAVING count(*) > 1)")" = 0 ]
	[ "$(DBDIR=shared sql "SELECT count(*) FROM (SELECT scheduled_at FROM runs WHERE job='tick' AND attempt=1 GROUP BY scheduled_at HAVING count(*) > 1)")" = 0 ]
	first=$(DBDIR=shared sql "SELECT min(queued_at) FROM runs WHERE job='tick' AND queued_at > $killed")
	echo "# failover gap: $((first - killed))s" >&3
	[ $((first - killed)) -le 5 ]
}

@test "bad queue settings and options get one-line errors" {
	printf 'queue:\n  backend: kafka\n' >"$T/bad.yaml"
	run "$CRONQ_AGENTD" -f --state-dir "$T/x" --config "$T/bad.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *'queue.backend: expected local or amqp, not "kafka"'* ]]
	printf 'queue:\n  backend: amqp\n' >"$T/bad.yaml"
	run "$CRONQ_AGENTD" -f --state-dir "$T/x" --config "$T/bad.yaml"
	[[ "$output" == *'queue.url: required with backend amqp'* ]]
	run "$CRONQ_AGENTD" -f --state-dir "$T/x" --role worker
	[ "$status" -eq 1 ]
	[[ "$output" == *'--role worker needs a shared queue'* ]]
	run "$CRONQ_AGENTD" -f --state-dir "$T/x" --label GPU
	[ "$status" -eq 2 ]
	[[ "$output" == *'--label: "GPU" is not a label'* ]]
}
