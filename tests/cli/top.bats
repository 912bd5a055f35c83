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

# An hour two hours from now, so that its next fire is always within the
# half day that top prints as a clock time ("05:00:00", not "Sat 05:00").
soon_hour() {
	printf '%02d' $(((10#$(date -u +%H) + 2) % 24))
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
	h=$(soon_hour)
	"$CRONQ" add backup -s "0 $((10#$h)) * * *" -- true >/dev/null
	"$CRONQ" add tick -s "*/5 * * * *" -- true >/dev/null
	start_top
	wait_screen "^backup +0 $((10#$h)) \* \* \* \(daily $h:00\) +$h:00:00 "
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
	h=$(soon_hour)
	"$CRONQ" add backup -s "0 $((10#$h)) * * *" -- true >/dev/null
	run --separate-stderr "$CRONQ" top -b -n 1
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "cronq-agentd "*" at $CRONQ_SOCKET, up "* ]]
	[ "${lines[1]}" = "jobs: 1 active, 0 paused, 0 failing; runs: 0 running, 0 queued" ]
	[[ "${lines[4]}" =~ ^backup\ +daily\ $h:00\ +$h:00:00\  ]]
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

# check_columns COLS: reads a table (from its NAME title line on, until a
# blank line) on stdin and fails unless every line fits COLS and each
# column, where its title starts, follows a blank in every row.
check_columns() {
	awk -v cols="$1" '
	/^NAME/ { head = $0; n = 0
		for (i = 2; i <= length(head); i++)
			if (substr(head, i - 1, 1) == " " && substr(head, i, 1) != " ")
				at[++n] = i
		next }
	head == "" { next }
	/^ *$/ { exit }
	{ rows++
	  if (length($0) > cols) { print "too wide: " $0; bad = 1 }
	  for (k = 1; k <= n; k++)
		if (length($0) >= at[k] && substr($0, at[k] - 1, 1) != " ") {
			print "no blank before column " k ": " $0; bad = 1 } }
	END { if (head == "" || rows == 0) { print "no table"; bad = 1 }
	      exit bad }'
}

add_wide_jobs() {
	"$CRONQ" add noon -s "0 12 * * *" -s "@hourly" -- true >/dev/null
	"$CRONQ" add standup-reminder-for-the-whole-team \
		-s "30 9 * * 1-5" -- true >/dev/null
	# Fifteen days ahead: always past the week that top prints as a day.
	"$CRONQ" add newyear -s "$(date -u -d '+15 days' '+0 0 %-d %-m *')" \
		-- true >/dev/null
	"$CRONQ" add fri -s "30 14 * * 5" -- true >/dev/null
}

@test "the plain listing keeps its columns apart at any width" {
	agentd_start
	add_wide_jobs
	for c in 80 100 120 200; do
		run --separate-stderr env COLUMNS=$c "$CRONQ" top -b -n 1
		[ "$status" -eq 0 ]
		printf '%s\n' "${lines[@]}" | check_columns "$c"
		# Several schedules are not read as the first one alone.
		printf '%s\n' "${lines[@]}" | grep -Eq '^noon +daily 12:00 \+1 '
		# A long name is cut, and says so.
		[ "$c" -eq 200 ] ||
			printf '%s\n' "${lines[@]}" | grep -Eq '^standup-reminder-fo[a-z-]*~ '
		# A fire a month away shows its whole date.
		printf '%s\n' "${lines[@]}" | grep -Eq '^newyear .* 20[0-9]{2}-[01][0-9]-[0-3][0-9] '
	done
	run --separate-stderr env COLUMNS=80 "$CRONQ" top -b -n 1
	! printf '%s\n' "${lines[@]}" | grep -q OWNER
	run --separate-stderr env COLUMNS=120 "$CRONQ" top -b -n 1
	printf '%s\n' "${lines[@]}" | grep -q OWNER
}

@test "the plain listing cuts its summary lines to COLUMNS too" {
	agentd_start
	add_wide_jobs
	run --separate-stderr env COLUMNS=40 "$CRONQ" top -b -n 1
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 8 ]
	for l in "${lines[@]}"; do
		if [ "${#l}" -gt 40 ]; then
			echo "wider than 40: $l" >&2
			return 1
		fi
	done
	# The socket path under the test's directory is always too long.
	[[ "${lines[0]}" == "cronq-agentd "*" at ${CRONQ_SOCKET:0:10}"*"~" ]]
	[ "${#lines[0]}" -eq 40 ]
	[ "${lines[1]}" = "jobs: 4 active, 0 paused, 0 failing; ru~" ]
	[ "${lines[2]}" = "last 1h: 0 runs, 0 failed; last 24h: 0 ~" ]
	[[ "${lines[3]}" =~ ^NAME\ +NEXT$ ]]
	# A width that holds them leaves them whole.
	run --separate-stderr env COLUMNS=200 "$CRONQ" top -b -n 1
	[ "${lines[1]}" = "jobs: 4 active, 0 paused, 0 failing; runs: 0 running, 0 queued" ]
	[[ "${lines[0]}" == "cronq-agentd "*" at $CRONQ_SOCKET, up "* ]]
}

@test "the screen keeps its columns apart at 80 and 120 columns" {
	agentd_start
	add_wide_jobs
	"$CRONQ" trigger fri --wait >/dev/null
	base=$TMUX_L
	for c in 80 120; do
		tmux -L "$TMUX_L" kill-server 2>/dev/null || true
		# A server of its own per width: a session started on a server
		# that is still shutting down fails ("server exited").
		TMUX_L="$base-$c"
		tmux -L "$TMUX_L" new-session -d -x "$c" -y 30 \
			-e CRONQ_SOCKET="$CRONQ_SOCKET" -e TERM=xterm-256color \
			-e TZ=UTC -e HOME="$HOME" "$CRONQ top; sleep 60"
		wait_screen "^standup"
		screen | check_columns "$c"
		# The pane's titles and a run's row stay apart too.
		wait_screen "^RUN +TRIGGER +STARTED +DURATION +RESULT +SLOT "
		keys g
		wait_screen "^1 +manual +[0-9:]{8} +[0-9]+s +succeeded( |$)"
		[ "$(screen | awk -v c="$c" 'length($0) > c' | wc -l)" -eq 0 ]
	done
	wait_screen "^noon +0 12 \* \* \*, @hourly \(daily 12:00 "
	# A paused row is dim, as cronq(1) says, in colour too.
	"$CRONQ" pause newyear >/dev/null
	for _ in $(seq 100); do
		tmux -L "$TMUX_L" capture-pane -p -e |
			grep -Eq $'^\e\\[(0;)?2m(\e\\[[0-9;]*m)*newyear ' && break
		sleep 0.05
	done
	tmux -L "$TMUX_L" capture-pane -p -e |
		grep -Eq $'^\e\\[(0;)?2m(\e\\[[0-9;]*m)*newyear '
}

@test "off a terminal -b keeps printing without -n; plain top prints once" {
	agentd_start
	"$CRONQ" add backup -s "0 3 * * *" -- true >/dev/null
	# -b -d 1 for a bit over two seconds: a listing at 0, 1 and 2s.
	run --separate-stderr timeout 2.5 "$CRONQ" top -b -d 1
	[ "$status" -eq 124 ]
	[ "$(printf '%s\n' "$output" | grep -c '^cronq-agentd ')" -ge 2 ]
	[ "$(printf '%s\n' "$output" | grep -c '^$')" -ge 1 ]
	# Without -b or -n, off a terminal: one listing, then exit 0.
	run --separate-stderr timeout 5 "$CRONQ" top </dev/null
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | grep -c '^cronq-agentd ')" -eq 1 ]
	# The plain header has no clock, Load or Next, unlike the screen.
	[[ "$output" != *Load* && "$output" != *Next:* ]]
	[ "${lines[2]}" = "last 1h: 0 runs, 0 failed; last 24h: 0 runs, 0 failed" ]
}

@test "a run stopped from top: the status line and DETAIL say how it ended" {
	agentd_start
	"$CRONQ" add slow -- sleep 30 >/dev/null
	start_top
	keys t y
	wait_screen "^slow .* running "
	keys k
	wait_screen "stop run 1 of slow\? \[y/N\]"
	keys y
	# The line follows the run to its end rather than staying "running".
	wait_screen "^run 1 of slow stopped \(cancelled\)$"
	! screen | grep -q "stopping run"
	# The pane's run row says who stopped it, as cronq runs does.
	wait_screen "^RUN +TRIGGER +STARTED +DURATION +RESULT +DETAIL +SLOT "
	wait_screen "^1 +manual +[0-9:]{8} +[0-9]+s +cancelled +stopped by uid $(id -u)( |$)"
	"$CRONQ" runs slow | grep -Eq " stopped by uid $(id -u)$"
}

@test "a run triggered from top: the status line says how it ended" {
	agentd_start
	"$CRONQ" add quick -- sh -c 'exit 3' >/dev/null
	start_top
	keys t
	wait_screen "trigger quick now\? \[y/N\]"
	keys y
	wait_screen "^run 1 of quick ended: failed\(3\)$"
	# An exit status is the RESULT's to say: DETAIL does not repeat it.
	wait_screen "^1 +manual +[0-9:]{8} +[0-9]+s +failed +-( |$)"
}
