#!/usr/bin/env bats
# The daemon itself: a scheduled job runs, the state directory is locked,
# SIGTERM exits cleanly, and kill -9 in the middle of a burst loses no run.
# The real cronq-agentd on a private state directory and socket.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	T=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/daemon.XXXXXX")
	SOCK="$T/agentd.sock"
	DB="$T/state/cronq.db"
	: "${CRONQ_AGENTD:=${top_builddir:-.}/cronq-agentd}"
}

teardown() {
	local f
	agentd_stop KILL
	# */agentd.pid: daemons that forked, out of agentd_start's reach.
	for f in "$T"/*/agentd.pid "$T"/*/*/*/agentd.pid; do
		[ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	return 0
}

api() {
	curl -sS --unix-socket "$SOCK" -X "$1" "http://x/api/v1$2" \
	    ${3:+--data-binary "$3"}
}

@test "a scheduled job runs, decisions are kept, SIGTERM exits 0" {
	agentd_start
	run api POST /jobs '{"name":"tick","schedule":"* * * * * *","command":"echo tick"}'
	[[ "$output" == *'"name":"tick"'* ]]
	wait_for "SELECT count(*) > 0 FROM runs WHERE job = 'tick'
	    AND state = 'succeeded'" 1
	[ "$(sql "SELECT count(*) > 0 FROM decisions WHERE outcome = 'fired'")" = 1 ]
	id=$(sql "SELECT min(id) FROM runs WHERE state = 'succeeded'")
	run api GET "/runs/$id/log"
	[ "$output" = tick ]
	kill -TERM "$(cat "$T/agentd.pid")"
	# wait, not run wait: only this shell is the daemon's parent.
	rc=0
	wait "$(cat "$T/agentd.pid")" || rc=$?
	[ "$rc" -eq 0 ]
	grep -q 'agentd: stopped' "$T/agentd.out"
	grep -q 'supervisor: run started job=tick' "$T/agentd.out"
}

@test "a second daemon on the same state directory exits 1 naming the pid" {
	agentd_start
	run "$CRONQ_AGENTD" -f --state-dir "$T/state" --socket "$T/other.sock"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is in use by another cronq-agentd (pid $(cat "$T/agentd.pid"))"* ]]
	[ "$(stat -c %a "$T/state")" = 700 ]
}

@test "kill -9 during a burst: restart loses nothing and doubles nothing" {
	agentd_start --max-running 2
	api POST /jobs "{\"name\":\"burst\",\"concurrency\":\"allow\",\"retries\":1,\"retry_backoff\":1,\"command\":\"sleep 3\"}"
	for _ in 1 2 3 4 5 6; do
		api POST /jobs/burst/trigger >/dev/null
	done
	wait_for "SELECT count(*) FROM runs WHERE state = 'running'" 2
	kill -9 "$(cat "$T/agentd.pid")"
	# Six runs recorded before the crash: two running, four queued.
	[ "$(sql "SELECT count(*) FROM runs")" = 6 ]
	# The running children die with the daemon (PR_SET_PDEATHSIG), not
	# only when the next daemon finds them: well before their 3 s end.
	for pid in $(sql "SELECT pid FROM runs WHERE state = 'running'"); do
		for _ in $(seq 15); do
			st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
			[ -z "$st" ] || [ "$st" = Z ] && break
			sleep 0.1
		done
		st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
		[ -z "$st" ] || [ "$st" = Z ]
	done

	agentd_start --max-running 2
	# The children of the dead daemon were ended, not left running
	# beside their retries.
	wait_for "SELECT count(*) FROM runs WHERE state = 'lost'" 2 5
	for pid in $(sql "SELECT pid FROM runs WHERE state = 'lost'"); do
		! kill -0 "$pid" 2>/dev/null
	done
	wait_for "SELECT count(*) FROM runs WHERE state IN
	    ('queued', 'running', 'retrying')" 0 30
	# The two that were running are lost and retried once each; the
	# four queued ones ran; nothing ran twice.
	[ "$(sql "SELECT count(*) FROM runs WHERE state = 'lost'")" = 2 ]
	[ "$(sql "SELECT count(*) FROM runs WHERE state = 'succeeded'")" = 6 ]
	[ "$(sql "SELECT count(*) FROM runs WHERE trigger = 'retry'
	    AND first_run_id IN (SELECT id FROM runs WHERE state = 'lost')")" = 2 ]
	[ "$(sql "SELECT count(*) FROM runs")" = 8 ]
}

@test "--help and --version go to stdout and exit 0; a bad option exits 2" {
	run --separate-stderr "$CRONQ_AGENTD" --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: cronq-agentd [-dfhVv] "* ]]
	[[ "$output" == *"0 for no limit"* ]]
	# The root defaults do not follow the configure prefix.
	[[ "$output" == *"(default as root: /run/cronq/cronq.sock)"* ]]
	[[ "$output" == *"(default as root: /var/lib/cronq)"* ]]
	[ -z "$stderr" ]
	run --separate-stderr "$CRONQ_AGENTD" --version
	[ "$status" -eq 0 ]
	[[ "$output" == "cronq-agentd "[0-9]* ]]
	# -V as for cronq(1).
	run --separate-stderr "$CRONQ_AGENTD" -V
	[ "$status" -eq 0 ]
	[[ "$output" == "cronq-agentd "[0-9]* ]]
	run --separate-stderr "$CRONQ_AGENTD" --bogus
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"usage: cronq-agentd [-dfhVv] "* ]]
}

@test "--state-dir creates missing parents like mkdir -p" {
	local agentd
	agentd=$(realpath "$CRONQ_AGENTD")
	cd "$T"
	# Relative: the forked daemon leaves the working directory.
	run "$agentd" --state-dir new/state/cronq --socket "$SOCK"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a new new/state)" = "755
755" ]
	[ "$(stat -c %a new/state/cronq)" = 700 ]
	[ -s new/state/cronq/cronq.db ]
	curl -sf --unix-socket "$SOCK" http://x/healthz
}

@test "a state directory that cannot be made is named with the reason" {
	: >"$T/file"
	run "$CRONQ_AGENTD" -f --state-dir "$T/file/state" --socket "$SOCK"
	[ "$status" -eq 1 ]
	[ "$output" = "cronq-agentd: --state-dir $T/file/state: cannot create $T/file: Not a directory" ]
	[ ! -e "$SOCK" ]
	# A directory the user may not write: the directory is the error,
	# not the agentd.yaml that cannot be read inside it. Under /tmp: the
	# user must be able to reach it, and bats's own directories are 0700.
	[ "$(id -u)" = 0 ] || skip "needs root to run as another user"
	d=$(mktemp -d /tmp/cronq-closed.XXXXXX)
	chmod 711 "$d"
	mkdir -m 700 "$d/closed"
	run runuser -u nobody -- "$CRONQ_AGENTD" -f --state-dir "$d/closed/state" \
	    --socket "$d/nobody.sock"
	rm -rf "$d"
	[ "$status" -eq 1 ]
	[ "$output" = "cronq-agentd: --state-dir $d/closed/state: cannot create $d/closed/state: Permission denied" ]
}

@test "without -f: exits 0 once listening; a second one on the socket exits 1" {
	run "$CRONQ_AGENTD" --state-dir "$T/one" --socket "$SOCK" \
	    --max-running 0
	[ "$status" -eq 0 ]
	# No polling: the daemon listens by the time its parent exits.
	run api GET /status
	[[ "$output" == *'"max_running":0,'* ]]
	run --separate-stderr "$CRONQ_AGENTD" --state-dir "$T/two" \
	    --socket "$SOCK"
	[ "$status" -eq 1 ]
	[ "$stderr" = "cronq-agentd: another daemon listens on $SOCK" ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	# The first one still serves.
	curl -sf --unix-socket "$SOCK" http://x/healthz
}

@test "a clean stop removes the pid file; a killed daemon's is reused" {
	agentd_start
	[ "$(cat "$T/state/agentd.pid")" = "$(cat "$T/agentd.pid")" ]
	kill -TERM "$(cat "$T/agentd.pid")"
	rc=0
	wait "$(cat "$T/agentd.pid")" || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -e "$T/state/agentd.pid" ]
	# After kill -9 the file stays behind, stale; the next daemon takes
	# it over and leaves nothing after its own clean stop.
	agentd_start
	kill -9 "$(cat "$T/agentd.pid")"
	wait "$(cat "$T/agentd.pid")" || true
	[ -e "$T/state/agentd.pid" ]
	agentd_start
	[ "$(cat "$T/state/agentd.pid")" = "$(cat "$T/agentd.pid")" ]
	kill -INT "$(cat "$T/agentd.pid")"
	wait "$(cat "$T/agentd.pid")" || true
	[ ! -e "$T/state/agentd.pid" ]
}

@test "the pid file is removed only if it is still the daemon's" {
	agentd_start
	# Another file in its place (moved aside and recreated by hand).
	mv "$T/state/agentd.pid" "$T/state/old.pid"
	echo 12345 >"$T/state/agentd.pid"
	kill -TERM "$(cat "$T/agentd.pid")"
	wait "$(cat "$T/agentd.pid")" || true
	[ "$(cat "$T/state/agentd.pid")" = 12345 ]
}

@test "a failed start leaves no pid file, with or without -f" {
	run "$CRONQ_AGENTD" --state-dir "$T/one" --socket "$SOCK"
	[ "$status" -eq 0 ]
	run --separate-stderr "$CRONQ_AGENTD" --state-dir "$T/two" \
	    --socket "$SOCK"
	[ "$status" -eq 1 ]
	[ ! -e "$T/two/agentd.pid" ]
	run "$CRONQ_AGENTD" -f --state-dir "$T/three" --socket "$SOCK"
	[ "$status" -eq 1 ]
	[[ "$output" == *"another daemon listens on $SOCK"* ]]
	[ ! -e "$T/three/agentd.pid" ]
	# The running daemon's own file is untouched.
	[ -s "$T/one/agentd.pid" ]
}

@test "a refused SIGHUP reload is a problem in status until a good one" {
	printf 'max_running: 3\n' >"$T/ag.yaml"
	agentd_start --config "$T/ag.yaml"
	printf 'max_running: 4\nmax_running: 5\n' >"$T/ag.yaml"
	kill -HUP "$(cat "$T/agentd.pid")"
	for _ in $(seq 100); do
		run api GET /status
		[[ "$output" == *'"problems":[]'* ]] || break
		sleep 0.05
	done
	[[ "$output" == *'"max_running":3,'* ]]
	CRONQ_SOCKET="$SOCK" run "$CRONQ" status
	[ "$status" -eq 0 ]
	[[ "$output" == *"problems:"$'\n'"  $T/ag.yaml:2:1: key \"max_running\" is given twice (first on line 1) (reload refused; the previous settings stay)"* ]] ||
	    { echo "$output"; false; }
	printf 'max_running: 5\n' >"$T/ag.yaml"
	kill -HUP "$(cat "$T/agentd.pid")"
	for _ in $(seq 100); do
		run api GET /status
		[[ "$output" == *'"problems":[]'* ]] && break
		sleep 0.05
	done
	[[ "$output" == *'"max_running":5,'*'"problems":[]'* ]]
}
