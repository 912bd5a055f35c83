#!/usr/bin/env bats
# cronq top end to end: the real daemon on a private socket, the real
# screen in a detached tmux, read back with capture-pane. Every wait is on
# what the screen or the API shows, bounded, never a fixed sleep.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	: "${CRONQ:=$top_builddir/cronq}"
	: "${CRONQ_AGENTD:=$top_builddir/cronq-agentd}"
	command -v tmux >/dev/null || skip "needs tmux"
	export TZ=UTC LC_ALL=C
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	unset CRONQ_HOST CRONQ_TOKEN CRONQ_CACERT XDG_CONFIG_HOME NO_COLOR
	export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/run"
	mkdir -p "$XDG_RUNTIME_DIR"
	export CRONQ_SOCKET="$BATS_TEST_TMPDIR/s.sock"
	T=$BATS_TEST_TMPDIR
	SOCK=$CRONQ_SOCKET
	TMUX_L="cqtop-$$-$BATS_TEST_NUMBER"
	SOCAT_PID=
}

teardown() {
	tmux -L "$TMUX_L" kill-server 2>/dev/null || true
	[ -z "$SOCAT_PID" ] || kill "$SOCAT_PID" 2>/dev/null || true
	agentd_stop
}

# Starts cronq top in a 160x40 tmux window, with extra top options.
start_top() {
	tmux -L "$TMUX_L" new-session -d -x 160 -y 40 \
		-e CRONQ_SOCKET="$CRONQ_SOCKET" -e TERM=xterm-256color \
		-e TZ=UTC -e HOME="$HOME" \
		"$CRONQ top $*; echo top-exited-\$?; sleep 60"
	wait_screen "^NAME"
}

screen() {
	tmux -L "$TMUX_L" capture-pane -p
}

# Waits (at most 5s) until a screen line matches the extended regex $1.
wait_screen() {
	for _ in $(seq 100); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.05
	done
	echo "screen never matched /$1/:" >&2
	screen >&2
	return 1
}

keys() {
	tmux -L "$TMUX_L" send-keys "$@"
}

# The JSON field $2 of job $1 from the API.
job_field() {
	"$CRONQ" --json show "$1" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}

@test "top shows the jobs, their schedules and next fire" {
	agentd_start
	"$CRONQ" add backup -s "0 3 * * *" -- true >/dev/null
	"$CRONQ" add tick -s "*/5 * * * *" -- true >/dev/null
	start_top
	wait_screen "^backup +0 3 \* \* \* \(daily 03:00\) +03:00:00 "
	wait_screen "^tick +\*/5 \* \* \* \* \(every 5 min\) +[0-9:]{8} "
	wait_screen "^Jobs: 2 active, 0 paused, 0 failing"
	wait_screen "Next: [0-9:]{8} tick in "
	keys q
	wait_screen "^top-exited-0"
}

@test "a run started elsewhere shows as running within a second" {
	agentd_start
	"$CRONQ" add slow -- sleep 30 >/dev/null
	start_top
	"$CRONQ" trigger slow >/dev/null
	for _ in $(seq 20); do
		screen | grep -Eq "^slow .* running " && break
		sleep 0.05
	done
	screen | grep -Eq "^slow .* running "
	wait_screen "Runs: 1 running"
}

@test "trigger, stop and pause act and show the API's answer" {
	agentd_start
	"$CRONQ" add slow -- sleep 30 >/dev/null
	start_top
	keys t
	wait_screen "trigger slow now\? \[y/N\]"
	keys y
	wait_screen "triggered slow: run 1 queued"
	wait_screen "^slow .* running "
	[ "$("$CRONQ" --json runs slow | python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["state"])')" = running ]

	keys k
	wait_screen "stop run 1 of slow\? \[y/N\]"
	keys y
	wait_screen "^slow .* cancelled "
	[ "$("$CRONQ" --json runs slow | python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["state"])')" = cancelled ]

	keys p
	wait_screen "pause slow\? \[y/N\]"
	keys n
	wait_screen "cancelled$"
	[ "$(job_field slow paused)" = False ]
	keys p y
	wait_screen "^paused slow"
	wait_screen "^Jobs: 0 active, 1 paused"
	[ "$(job_field slow paused)" = True ]
	keys p
	wait_screen "resume slow\? \[y/N\]"
	keys y
	wait_screen "^Jobs: 1 active, 0 paused"
	[ "$(job_field slow paused)" = False ]
}

@test "the filter narrows the list and the sort column changes" {
	agentd_start
	"$CRONQ" add alpha -s "0 5 * * *" -- true >/dev/null
	"$CRONQ" add beta -s "0 1 * * *" -- true >/dev/null
	"$CRONQ" add gamma -s "0 3 * * *" -- true >/dev/null
	start_top
	keys / e t
	wait_screen "^filter: et_"
	[ "$(screen | grep -Ec '^(alpha|beta|gamma) ')" -eq 1 ]
	screen | grep -Eq '^beta '
	keys Escape
	wait_screen "^gamma "
	[ "$(screen | grep -Ec '^(alpha|beta|gamma) ')" -eq 3 ]
	# By name: alpha, beta, gamma; by next fire: beta (01:00), gamma, alpha.
	[ "$(screen | grep -Eo '^(alpha|beta|gamma)' | tr '\n' ' ')" = "alpha beta gamma " ]
	keys s
	wait_screen "sorted by NEXT"
	[ "$(screen | grep -Eo '^(alpha|beta|gamma)' | tr '\n' ' ')" = "beta gamma alpha " ]
}

@test "a daemon restart shows the disconnected state, then recovers" {
	agentd_start
	"$CRONQ" add backup -s "0 3 * * *" -- true >/dev/null
	start_top
	agentd_stop
	wait_screen "disconnected, retrying"
	agentd_start
	"$CRONQ" add second -s "0 4 * * *" -- true >/dev/null
	wait_screen "^second "
	! screen | grep -q "disconnected"
}

@test "a resize redraws the screen at the new size" {
	agentd_start
	"$CRONQ" add backup -s "0 3 * * *" -- true >/dev/null
	start_top
	wait_screen "OWNER"
	tmux -L "$TMUX_L" resize-window -x 90 -y 25
	wait_screen "^NAME.*RESULT *$"
	! screen | grep -q OWNER
	[ "$(screen | awk '{ if (length($0) > 90) n++ } END { print n + 0 }')" -eq 0 ]
	tmux -L "$TMUX_L" resize-window -x 160 -y 40
	wait_screen "OWNER"
	keys q
	wait_screen "^top-exited-0"
}

@test "top without a screen prints a plain listing" {
	agentd_start
	"$CRONQ" add backup -s "0 3 * * *" -- true >/dev/null
	run --separate-stderr "$CRONQ" top -b -n 1
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "cronq-agentd "*" at $CRONQ_SOCKET, up "* ]]
	[ "${lines[1]}" = "jobs: 1 active, 0 paused, 0 failing; runs: 0 running, 0 queued" ]
	[[ "${lines[4]}" =~ ^backup\ +daily\ 03:00\ +03:00:00\  ]]
	# A seconds field keeps its expression rather than a vague word.
	"$CRONQ" add tick -s "*/10 * * * * *" -- true >/dev/null
	run --separate-stderr "$CRONQ" top -b -n 1
	[[ "${lines[5]}" =~ ^tick\ +\*/10\ \*\ \*\ \*\ \*\ \*\ + ]]
	run --separate-stderr "$CRONQ" top -d 0
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = 'cronq: top: -d: expected a whole number of seconds from 1, not "0"' ]
}

@test "TERM=dumb falls back to the plain listing with a note" {
	agentd_start
	"$CRONQ" add backup -s "0 3 * * *" -- true >/dev/null
	tmux -L "$TMUX_L" new-session -d -x 160 -y 40 \
		-e CRONQ_SOCKET="$CRONQ_SOCKET" \
		"TERM=dumb $CRONQ top -d 1; sleep 60"
	wait_screen "TERM=dumb.*plain listing"
	wait_screen "^backup +daily 03:00"
}

@test "SIGTERM restores the terminal" {
	agentd_start
	start_top
	[ "$(tmux -L "$TMUX_L" display -p '#{alternate_on}')" = 1 ]
	shell=$(tmux -L "$TMUX_L" display -p '#{pane_pid}')
	kill -TERM "$(pgrep -P "$shell" -x cronq)"
	wait_screen "^top-exited-143"
	# The alternate screen is gone: the shell's own lines show again.
	[ "$(tmux -L "$TMUX_L" display -p '#{alternate_on}')" = 0 ]
}

@test "top works over --host, and a deleted job leaves the list" {
	command -v socat >/dev/null || skip "needs socat"
	agentd_start
	"$CRONQ" add slow -- sleep 30 >/dev/null
	"$CRONQ" add gone -s "0 3 * * *" -- true >/dev/null
	port=$((20000 + RANDOM % 20000))
	socat TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork \
		UNIX-CONNECT:"$CRONQ_SOCKET" &
	SOCAT_PID=$!
	for _ in $(seq 50); do
		"$CRONQ" --host "http://127.0.0.1:$port" status >/dev/null 2>&1 && break
		sleep 0.1
	done
	tmux -L "$TMUX_L" new-session -d -x 160 -y 40 -e TZ=UTC \
		"$CRONQ --host http://127.0.0.1:$port top; sleep 60"
	wait_screen "at http://127.0.0.1:$port"
	wait_screen "^gone "
	"$CRONQ" trigger slow >/dev/null
	wait_screen "^slow .* running "
	"$CRONQ" rm gone >/dev/null
	for _ in $(seq 60); do
		screen | grep -q "^gone " || break
		sleep 0.05
	done
	! screen | grep -q "^gone "
}
