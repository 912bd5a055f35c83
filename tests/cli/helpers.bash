# Small helpers shared by the bats files. Sourced with `load helpers`.

# The binary under test: $CRONQ from make check, else the in-tree build.
: "${CRONQ:=${BATS_TEST_DIRNAME}/../../cronq}"

# Runs cronq with stdout and stderr kept apart: $output is stdout only,
# $stderr holds what went to stderr and $status the exit status.
cq() {
	local errf="${BATS_TEST_TMPDIR:-/tmp}/stderr.$$"

	# bats' run merges the streams, so split them in a child shell.
	run sh -c 'f=$1; shift; exec "$@" 2>"$f"' sh "$errf" "$CRONQ" "$@"
	stderr=$(cat "$errf")
	rm -f "$errf"
}

# Fails with both streams shown unless $output equals the argument lines.
assert_lines() {
	local want
	want=$(printf '%s\n' "$@")
	if [ "$output" != "$want" ]; then
		printf 'want stdout:\n%s\ngot stdout:\n%s\nstderr:\n%s\n' \
		    "$want" "$output" "$stderr" >&2
		return 1
	fi
}

assert_status() {
	if [ "$status" -ne "$1" ]; then
		printf 'want exit %s, got %s; stderr: %s\n' "$1" "$status" \
		    "$stderr" >&2
		return 1
	fi
}

assert_stderr() {
	if [ "$stderr" != "$1" ]; then
		printf 'want stderr:\n%s\ngot stderr:\n%s\n' "$1" "$stderr" >&2
		return 1
	fi
}

# The real daemon for the end-to-end files. Each caller sets $T (its
# private directory), $SOCK (the socket path) and $CRONQ_AGENTD; the
# daemon keeps its state in $T/state, appends its output to $T/agentd.out
# and its pid goes to $T/agentd.pid, where tests send it signals.

# agentd_launch [ARGS...]: starts cronq-agentd in the foreground with the
# extra ARGS and returns at once; agentd_wait says when it is up.
agentd_launch() {
	# 3>&-: bats waits for whatever holds its fd 3 open, so a daemon
	# that kept it would hang the run.
	"$CRONQ_AGENTD" -f --state-dir "$T/state" --socket "$SOCK" "$@" \
	    >>"$T/agentd.out" 2>&1 3>&- &
	echo $! >"$T/agentd.pid"
}

# agentd_wait [CURL_ARGS... URL]: waits (at most 10 s) until GET URL
# answers 2xx, by default /healthz on $SOCK; if it does not, or the
# daemon exits first, shows the daemon's output and fails.
agentd_wait() {
	local pid

	pid=$(cat "$T/agentd.pid")
	if [ $# -eq 0 ]; then
		set -- --unix-socket "$SOCK" http://cronq/healthz
	fi
	for _ in $(seq 100); do
		curl -sf -o /dev/null "$@" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "cronq-agentd (pid $pid) is not up:" >&2
	cat "$T/agentd.out" >&2
	return 1
}

# agentd_start [ARGS...]: agentd_launch ARGS, then agentd_wait.
agentd_start() {
	agentd_launch "$@"
	agentd_wait
}

# agentd_stop [SIGNAL]: sends SIGNAL (TERM by default) to the daemon of
# $T/agentd.pid, if one was started, reaps it and forgets the pid (so a
# second call cannot hit a reused one). Never fails: fit for teardown.
agentd_stop() {
	local pid

	[ -s "$T/agentd.pid" ] || return 0
	pid=$(cat "$T/agentd.pid")
	kill "-${1:-TERM}" "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$T/agentd.pid"
}

# sql QUERY: one value from the daemon's database $DB (WAL: safe to read
# while it runs).
sql() {
	sqlite3 -cmd '.timeout 5000' "$DB" "$1"
}

# wait_for QUERY WANT [SECONDS]: polls (15 s by default) until QUERY
# yields WANT; else shows the last value and the daemon's output, fails.
wait_for() {
	local i
	for i in $(seq $((${3:-15} * 10))); do
		[ "$(sql "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "waited for [$1] = $2, got $(sql "$1")" >&2
	cat "$T/agentd.out" >&2
	return 1
}
