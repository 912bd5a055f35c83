#!/usr/bin/env bats
# cronq over RabbitMQ: one scheduler and two worker agents on this machine
# (separate state directories) around a private rabbitmq-server on
# loopback. Runs spread over the workers, a worker killed mid-run has its
# run redelivered and retried, a broker restart loses and doubles nothing,
# and a standby scheduler takes over without firing a slot twice.

load broker

setup_file() {
	broker_init "$BATS_FILE_TMPDIR/broker"
	broker_tls
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
	tail -n 5 "$T"/*.out >&2
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
	[[ "$output" == *'"out_on_workers":0'* ]]
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
	run "${top_builddir:-.}/cronq" --socket "$T/sched.sock" status
	[[ "$output" == *'queue:      amqp, role scheduler'* ]]
	[[ "$output" == *'scheduler reconnecting'*'waiting_for_broker'* ]]
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

# broker_ready NAME: the scheduler's cronq_broker_messages for queue NAME.
broker_ready() {
	curl -sS --unix-socket "$T/sched.sock" http://x/metrics |
	    awk -v q="cronq_broker_messages{queue=\"$1\"}" '$1 == q { print $2 }'
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s.
wait_until() {
	local i n=$(($1 * 10))
	shift
	for i in $(seq "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	echo "waited for: $*" >&2
	tail -n 5 "$T"/*.out >&2
	return 1
}

@test "a scheduler killed between publish and mark: the run runs once" {
	CRONQ_TEST_CRASH_AFTER_PUBLISH=1 agent sched --role scheduler
	wait_api sched
	pid=$(cat "$T/sched.pid")
	api POST /jobs "{\"name\":\"once\",\"command\":\"echo \$CRONQ_RUN_ID >> $T/done\",\"concurrency\":\"allow\"}" >/dev/null
	api POST /jobs/once/trigger >/dev/null || true
	wait_until 10 eval '! kill -0 '"$pid"' 2>/dev/null'
	grep -q 'CRONQ_TEST_CRASH_AFTER_PUBLISH: dying now' "$T/sched.out"
	# Committed and in the broker, but not marked published.
	[ "$(sql "SELECT state || ' ' || published_at FROM runs WHERE job='once'")" = "queued 0" ]
	agent sched --role scheduler
	wait_api sched
	# Published again with the same id: two copies wait in the broker.
	wait_until 10 eval '[ "$(broker_ready "$Q")" = 2 ]'
	agent w1 --role worker
	agent w2 --role worker
	wait_for "SELECT state FROM runs WHERE job='once'" succeeded
	wait_until 10 eval 'grep -qE "not run here|delivered twice" "$T"/w1.out "$T"/w2.out'
	[ "$(broker_ready "$Q")" = 0 ]
	[ "$(wc -l <"$T/done")" = 1 ]
	[ "$(sql "SELECT count(*) FROM runs")" = 1 ]
	[ "$(sql "SELECT published_at > 0 FROM runs WHERE job='once'")" = 1 ]
}

@test "a worker gone between its claim and the start: the run goes out again" {
	agent sched --role scheduler
	wait_api sched
	CRONQ_TEST_CRASH_ON_GO=1 agent w1 --role worker
	wait_api w1
	pid=$(cat "$T/w1.pid")
	api POST /jobs "{\"name\":\"gone\",\"command\":\"echo \$CRONQ_RUN_ID >> $T/done\"}" >/dev/null
	api POST /jobs/gone/trigger >/dev/null
	wait_until 10 eval '! kill -0 '"$pid"' 2>/dev/null'
	[ "$(sql "SELECT state || ' ' || host FROM runs WHERE job='gone'")" = "running w1" ]
	agent w2 --role worker
	wait_for "SELECT state || ' ' || host FROM runs WHERE job='gone'" "succeeded w2" 15
	grep -q 'never started on w1; publishing it again' "$T/sched.out"
	[ "$(wc -l <"$T/done")" = 1 ]
	[ "$(sql "SELECT count(*) || ' ' || max(attempt) FROM runs")" = "1 1" ]
}

# The job's command for the overlap tests: fails loudly if two overlap.
lock_cmd() {
	echo "mkdir $T/lock || echo \$CRONQ_RUN_ID >> $T/overlap; sleep $1; rmdir $T/lock"
}

@test "forbid holds across two workers: slots skipped, triggers wait" {
	three_agents
	api POST /jobs "{\"name\":\"fb\",\"schedule\":\"* * * * * *\",\"command\":\"$(lock_cmd 1.5)\",\"concurrency\":\"forbid\"}" >/dev/null
	wait_for "SELECT count(*) > 0 FROM decisions WHERE job='fb' AND outcome='skipped_overlap'" 1
	api POST /jobs/fb/pause >/dev/null
	api POST /jobs "{\"name\":\"fm\",\"command\":\"$(lock_cmd 0.3)\",\"concurrency\":\"forbid\"}" >/dev/null
	wait_for "SELECT count(*) FROM runs WHERE job='fb' AND state IN ('queued', 'running')" 0
	for i in 1 2 3 4; do
		api POST /jobs/fm/trigger >/dev/null
	done
	wait_for "SELECT count(*) FROM runs WHERE job='fm' AND state='succeeded'" 4
	[ ! -e "$T/overlap" ]
	[ "$(sql "SELECT count(*) FROM runs WHERE state != 'succeeded'")" = 0 ]
}

@test "replace stops the run on its worker; cronq stop reaches workers" {
	three_agents
	api POST /jobs "{\"name\":\"rp\",\"schedule\":\"* * * * * *\",\"command\":\"$(lock_cmd 30)\",\"concurrency\":\"replace\",\"kill_grace\":1}" >/dev/null
	wait_for "SELECT count(*) >= 2 FROM runs WHERE job='rp' AND state='cancelled' AND message='replaced by a newer run'" 1
	api POST /jobs/rp/pause >/dev/null
	[ "$(sql "SELECT count(*) FROM runs WHERE job='rp' AND state='running'")" -le 1 ]
	# Each run started after the one it replaced had ended.
	[ "$(sql "SELECT count(*) FROM runs a JOIN runs b ON b.job='rp' AND b.id > a.id AND b.started_at < a.finished_at WHERE a.job='rp' AND a.state='cancelled'")" = 0 ]
	api POST /jobs '{"name":"long","command":"sleep 30","concurrency":"allow"}' >/dev/null
	api POST /jobs/long/trigger >/dev/null
	wait_for "SELECT state FROM runs WHERE job='long' AND started_at > 0" running
	id=$(sql "SELECT id FROM runs WHERE job='long'")
	run api POST "/runs/$id/stop"
	[[ "$output" == *'"id":'"$id"* ]]
	wait_for "SELECT state || ' ' || message FROM runs WHERE id=$id" "cancelled stopped by uid $(id -u)"
}

@test "max_running and group limits hold for runs out on workers" {
	printf 'groups: {gq: 1}\n' >>"$T/agentd.yaml"
	agent sched --role scheduler --max-running 2
	wait_api sched
	agent w1 --role worker
	agent w2 --role worker
	wait_api w1
	wait_api w2
	mkdir "$T/slots"
	api POST /jobs "{\"name\":\"mx\",\"command\":\"mkdir $T/slots/\$CRONQ_RUN_ID; ls $T/slots | wc -l >> $T/conc; sleep 0.4; rmdir $T/slots/\$CRONQ_RUN_ID\",\"concurrency\":\"allow\"}" >/dev/null
	for i in $(seq 6); do
		api POST /jobs/mx/trigger >/dev/null
	done
	wait_for "SELECT count(*) FROM runs WHERE job='mx' AND state='succeeded'" 6
	[ "$(sort -n "$T/conc" | tail -n 1)" -le 2 ]
	[ "$(sql "SELECT count(*) FROM runs WHERE job='mx' AND host IN ('w1', 'w2')")" = 6 ]
	api POST /jobs "{\"name\":\"gj\",\"command\":\"$(lock_cmd 0.3)\",\"concurrency\":\"allow\",\"group\":\"gq\"}" >/dev/null
	for i in 1 2 3; do
		api POST /jobs/gj/trigger >/dev/null
	done
	wait_for "SELECT count(*) FROM runs WHERE job='gj' AND state='succeeded'" 3
	[ ! -e "$T/overlap" ]
	[ "$(sql "SELECT count(*) > 0 FROM decisions WHERE job='gj' AND outcome='held_by_group'")" = 1 ]
}

@test "amqps: scheduler and worker over TLS, the broker checked by its CA" {
	cat >"$T/agentd.yaml" <<-EOY
	queue:
	  backend: amqp
	  url: $BROKER_TLS_URL
	  queue: $Q
	  cacert: $BROKER_CA
	EOY
	three_agents
	api POST /jobs '{"name":"tls","command":"echo over tls"}' >/dev/null
	api POST /jobs/tls/trigger >/dev/null
	wait_for "SELECT state FROM runs WHERE job='tls'" succeeded
	[[ "$(sql "SELECT host FROM runs WHERE job='tls'")" == w[12] ]]
	id=$(sql "SELECT id FROM runs WHERE job='tls'")
	run api GET "/runs/$id/log"
	[[ "$output" == *"over tls"* ]]
	# Without the CA the broker's certificate is refused.
	sed -i '/cacert:/d' "$T/agentd.yaml"
	agent w3 --role worker
	wait_api w3
	run curl -sS --unix-socket "$T/w3.sock" http://x/api/v1/status
	[[ "$output" == *'"state":"reconnecting"'* ]]
	[[ "$output" == *'"error":"cannot connect to 127.0.0.1:'* ]]
}

@test "--role all (the default) with the amqp backend runs its own runs" {
	agent sched
	wait_api sched
	api POST /jobs '{"name":"solo","command":"echo $CRONQ_RUN_ID"}' >/dev/null
	api POST /jobs/solo/trigger >/dev/null
	wait_for "SELECT state || ' ' || host FROM runs WHERE job='solo'" "succeeded sched"
	run api GET /status
	[[ "$output" == *'"scheduler":{"state":"connected"'* ]]
	[[ "$output" == *'"worker":{"state":"connected"'* ]]
	[ "$(sql "SELECT published_at > 0 FROM runs WHERE job='solo'")" = 1 ]
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
