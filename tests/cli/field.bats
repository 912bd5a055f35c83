#!/usr/bin/env bats
# Field cases of ../shared/data/field-cases.md against the real daemon:
# BUG-15 (forbid with a long job), BUG-17 (stop kills the whole tree),
# BUG-19 (one huge line within the output cap), BUG-20 (the documented
# environment, whatever the daemon's own) and BUG-25 (retries only after
# failures, bounded). Each test starts cronq-agentd on a private state
# directory and socket and waits on the database, not on fixed sleeps.

setup() {
	T=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/field.XXXXXX")
	SOCK="$T/agentd.sock"
	DB="$T/state/cronq.db"
	: "${CRONQ_AGENTD:=${top_builddir:-.}/cronq-agentd}"
	command -v sqlite3 >/dev/null || skip "needs sqlite3"
	command -v curl >/dev/null || skip "needs curl"
}

load helpers

teardown() {
	agentd_stop KILL
}

api() {
	curl -sS --unix-socket "$SOCK" -X "$1" "http://x/api/v1$2" \
	    ${3:+--data-binary "$3"}
}

# run_pids ID: pids of live processes whose environment names run ID.
run_pids() {
	grep -lsz "^CRONQ_RUN_ID=$1\$" /proc/[0-9]*/environ |
	    sed 's|/proc/\([0-9]*\)/environ|\1|'
}

@test "BUG-15: forbid skips and records the slots of a long run" {
	agentd_start
	api POST /jobs '{"name":"slow","schedule":"* * * * * *","concurrency":"forbid","command":"sleep 2.7"}' >/dev/null
	wait_for "SELECT count(*) >= 2 FROM decisions WHERE job = 'slow'
	    AND outcome = 'skipped_overlap'" 1
	# One live sleep in the process table, not only in the database.
	[ "$(pgrep -c -f '^sleep 2.7$')" -le 1 ]
	[ "$(sql "SELECT count(*) FROM runs WHERE job = 'slow'
	    AND state = 'running'")" = 1 ]
	# The next slot after it ends fires again.
	wait_for "SELECT count(*) >= 2 FROM runs WHERE job = 'slow'" 1 10
	api DELETE /jobs/slow >/dev/null
	wait_for "SELECT count(*) FROM runs WHERE job = 'slow'
	    AND state IN ('queued', 'running')" 0 10
	# No two runs of the job were ever alive together.
	[ "$(sql "SELECT count(*) FROM runs a, runs b
	    WHERE a.job = 'slow' AND b.job = 'slow' AND a.id < b.id
	    AND b.started_at < a.finished_at")" = 0 ]
	# Each skipped slot names the run that held it.
	[ "$(sql "SELECT count(*) FROM decisions WHERE job = 'slow'
	    AND outcome = 'skipped_overlap' AND detail = ''")" = 0 ]
}

@test "BUG-17: stop ends the whole tree, setsid and SIGTERM-proof parts too" {
	agentd_start
	api POST /jobs '{"name":"fanout","kill_grace":1,"command":"trap \"\" TERM; sleep 300 & sleep 301 & setsid sleep 302 & wait"}' >/dev/null
	id=$(api POST /jobs/fanout/trigger | sed 's/.*"run":{"id":\([0-9]*\).*/\1/')
	wait_for "SELECT state FROM runs WHERE id = $id" running
	# The shell, two sleeps and the setsid one carry the run's id.
	for _ in $(seq 50); do
		[ "$(run_pids "$id" | wc -l)" -ge 4 ] && break
		sleep 0.1
	done
	[ "$(run_pids "$id" | wc -l)" -ge 4 ]
	api POST "/runs/$id/stop" >/dev/null
	# Within kill_grace + 1 s nothing of the run is left.
	wait_for "SELECT state FROM runs WHERE id = $id" cancelled 3
	for _ in $(seq 20); do
		[ -z "$(run_pids "$id")" ] && break
		sleep 0.1
	done
	[ -z "$(run_pids "$id")" ]
}

@test "BUG-19: a 200 kB line is captured within the cap, later lines kept" {
	agentd_start
	api POST /jobs '{"name":"noisy","max_output":1048576,"command":"head -c 200000 /dev/zero | tr \"\\0\" x; echo; echo after-long-line; head -c 3000000 /dev/zero"}' >/dev/null
	id=$(api POST /jobs/noisy/trigger | sed 's/.*"run":{"id":\([0-9]*\).*/\1/')
	wait_for "SELECT state FROM runs WHERE id = $id" succeeded 30
	[ "$(sql "SELECT exit_code FROM runs WHERE id = $id")" = 0 ]
	# Everything was read (nothing blocked on a full pipe) ...
	[ "$(sql "SELECT output_bytes FROM runs WHERE id = $id")" = 3200017 ]
	# ... and at most the cap plus a one-line marker was kept.
	api GET "/runs/$id/log" >"$T/log"
	size=$(stat -c %s "$T/log")
	[ "$size" -le $((1048576 + 256)) ]
	[ "$size" -ge 1000000 ]
	grep -q '^after-long-line$' "$T/log"
	head -c 200000 "$T/log" | tr -d x | wc -c | grep -qx 0
}

@test "BUG-20: the child's LANG and PATH do not depend on the daemon's" {
	# The daemon itself starts with a different locale and PATH.
	LANG=en_US.UTF-8 PATH="/opt/nowhere/bin:$PATH" agentd_start
	api POST /jobs '{"name":"env-a","command":"printf \"%s|%s\\n\" \"$LANG\" \"$PATH\""}' >/dev/null
	api POST /jobs '{"name":"env-b","env":{"LANG":"de_DE.UTF-8","PATH":"/opt/tool/bin:/usr/bin:/bin"},"command":"printf \"%s|%s\\n\" \"$LANG\" \"$PATH\""}' >/dev/null
	a=$(api POST /jobs/env-a/trigger | sed 's/.*"run":{"id":\([0-9]*\).*/\1/')
	b=$(api POST /jobs/env-b/trigger | sed 's/.*"run":{"id":\([0-9]*\).*/\1/')
	wait_for "SELECT count(*) FROM runs WHERE id IN ($a, $b)
	    AND state = 'succeeded'" 2
	# The baseline of cronq-agentd(8).
	if [ "$(id -u)" = 0 ]; then
		want_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	else
		want_path=/usr/local/bin:/usr/bin:/bin
	fi
	[ "$(api GET "/runs/$a/log")" = "C.UTF-8|$want_path" ]
	[ "$(api GET "/runs/$b/log")" = "de_DE.UTF-8|/opt/tool/bin:/usr/bin:/bin" ]
}

@test "BUG-25: a success is never retried; failures stop after 1 + retries" {
	agentd_start
	api POST /jobs '{"name":"once","retries":1,"command":"exit 0"}' >/dev/null
	api POST /jobs '{"name":"flaky","retries":2,"retry_backoff":1,"concurrency":"allow","command":"false"}' >/dev/null
	api POST /jobs/once/trigger >/dev/null
	api POST /jobs/flaky/trigger >/dev/null
	wait_for "SELECT count(*) FROM runs WHERE job = 'flaky'
	    AND state = 'failed'" 3 20
	# Each retry row is inserted when the attempt before it fails, so
	# nothing queued after the third failure means the chain is over.
	[ "$(sql "SELECT count(*) FROM runs WHERE state IN
	    ('queued', 'running', 'retrying')")" = 0 ]
	[ "$(sql "SELECT group_concat(attempt) FROM (SELECT attempt FROM runs
	    WHERE job = 'flaky' ORDER BY id)")" = 1,2,3 ]
	[ "$(sql "SELECT count(DISTINCT first_run_id) FROM runs
	    WHERE job = 'flaky'")" = 1 ]
	[ "$(sql "SELECT count(*) || ':' || max(attempt) || ':' || min(state)
	    FROM runs WHERE job = 'once'")" = 1:1:succeeded ]
}
