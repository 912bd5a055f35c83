#!/usr/bin/env bats
# End-to-end tests of the cronq client against the real cronq-agentd,
# started per test on a private socket with a temporary state directory.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	: "${CRONQ:=$top_builddir/cronq}"
	: "${CRONQ_AGENTD:=$top_builddir/cronq-agentd}"
	export TZ=UTC LC_ALL=C
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	unset CRONQ_HOST CRONQ_TOKEN CRONQ_CACERT XDG_CONFIG_HOME
	export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/run"
	mkdir -p "$XDG_RUNTIME_DIR"
	export CRONQ_SOCKET="$BATS_TEST_TMPDIR/s.sock"
	T=$BATS_TEST_TMPDIR
	SOCK=$CRONQ_SOCKET
}

teardown() {
	agentd_stop
}

# Waits (at most 10s) until run $1 is in state $2.
wait_state() {
	for _ in $(seq 100); do
		"$CRONQ" --json runs --limit 1000 |
			python3 -c 'import json,sys
r=[x for x in json.load(sys.stdin)["runs"] if x["id"]==int(sys.argv[1])]
sys.exit(0 if r and r[0]["state"]==sys.argv[2] else 1)' "$1" "$2" &&
			return 0
		sleep 0.1
	done
	return 1
}

@test "usage errors exit 2 with the reason and the synopsis" {
	run --separate-stderr "$CRONQ" add
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "cronq: add: missing job name" ]
	[[ "${stderr_lines[1]}" == "usage: cronq add "* ]]
	[ -z "$output" ]

	run --separate-stderr "$CRONQ" add job1 -s '* * * * *'
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = 'cronq: add: missing command for job "job1"' ]

	# A schedule where the command goes: -s was forgotten.
	run --separate-stderr "$CRONQ" add job1 '*/5 * * * *' -- true
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = 'cronq: add: "*/5 * * * *" is a schedule, not a command: give it with -s before the command' ]
	run --separate-stderr "$CRONQ" add job1 @daily true
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = 'cronq: add: "@daily" is a schedule, not a command: give it with -s before the command' ]

	run --separate-stderr "$CRONQ" add job1 --concurrency maybe true
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = 'cronq: add: --concurrency "maybe": expected allow, forbid or replace' ]

	run --separate-stderr "$CRONQ" runs --state sleeping
	[ "$status" -eq 2 ]
	[[ "${stderr_lines[0]}" == 'cronq: runs: --state "sleeping": expected '* ]]

	run --separate-stderr "$CRONQ" stop abc
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = 'cronq: stop: run "abc": expected a run id (a positive number)' ]

	run --separate-stderr "$CRONQ" ls --bogus
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = 'cronq: ls: unknown option "--bogus"' ]

	run --separate-stderr "$CRONQ" frobnicate
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = 'cronq: unknown command "frobnicate"; see cronq --help' ]

	# A global option: the reason and a one-line hint, not the help.
	run --separate-stderr "$CRONQ" --bogus ls
	[ "$status" -eq 2 ]
	[ "${#stderr_lines[@]}" -eq 2 ]
	[ "${stderr_lines[0]}" = 'cronq: unknown option "--bogus"' ]
	[ "${stderr_lines[1]}" = 'usage: cronq [OPTIONS] COMMAND [ARGS]; see cronq --help' ]
	run --separate-stderr "$CRONQ" --host
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = 'cronq: option "--host" needs a value' ]
}

@test "add -f checks the YAML job before reaching the daemon" {
	run --separate-stderr "$CRONQ" add -f "$BATS_TEST_TMPDIR/none.yaml"
	[ "$status" -eq 5 ]
	[[ "${stderr_lines[0]}" == *"none.yaml: cannot read: No such file or directory" ]]
	printf 'name: x\nschedule: @daily\ncommand: true\n' >"$BATS_TEST_TMPDIR/j.yaml"
	run --separate-stderr "$CRONQ" add -f "$BATS_TEST_TMPDIR/j.yaml"
	[ "$status" -eq 5 ]
	[[ "${stderr_lines[0]}" == *'j.yaml:2:11: schedule: quote this value ("@daily"): YAML reads a leading @ or ` as reserved' ]]
}

@test "help goes to stdout with exit 0" {
	run --separate-stderr "$CRONQ" help trigger
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: cronq trigger [--wait] NAME" ]
	[ -z "$stderr" ]

	run --separate-stderr "$CRONQ" logs -h
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: cronq logs [-f] RUN|JOB" ]
}

@test "an absent daemon is one line and exit 3, with a hint when its socket is missing" {
	run --separate-stderr "$CRONQ" --socket "$BATS_TEST_TMPDIR/none.sock" ls
	[ "$status" -eq 3 ]
	[ "${#stderr_lines[@]}" -eq 3 ]
	[ "${stderr_lines[0]}" = "cronq: cannot reach cronq-agentd at $BATS_TEST_TMPDIR/none.sock: No such file or directory" ]
	[ "${stderr_lines[1]}" = "cronq: hint: name another daemon's socket with --socket PATH or CRONQ_SOCKET" ]
	[ "${stderr_lines[2]}" = 'cronq: hint: one started with --state-dir DIR listens on $XDG_RUNTIME_DIR/cronq.sock, else DIR/cronq.sock' ]
	[ -z "$output" ]
	# logs streams through its own call: the same words.
	run --separate-stderr "$CRONQ" --socket "$BATS_TEST_TMPDIR/none.sock" logs 1
	[ "$status" -eq 3 ]
	[ "${#stderr_lines[@]}" -eq 3 ]

	# A socket nobody listens on.
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
		"$BATS_TEST_TMPDIR/dead.sock"
	run --separate-stderr "$CRONQ" --socket "$BATS_TEST_TMPDIR/dead.sock" status
	[ "$status" -eq 3 ]
	[ "$stderr" = "cronq: cannot reach cronq-agentd at $BATS_TEST_TMPDIR/dead.sock: Connection refused" ]

	run --separate-stderr env -u CRONQ_SOCKET "$CRONQ" trigger --wait x
	[ "$status" -eq 3 ]
	[ "${stderr_lines[0]}" = "cronq: cannot reach cronq-agentd at /run/cronq/cronq.sock: No such file or directory" ]
	[ "${stderr_lines[1]}" = "cronq: hint: name another daemon's socket with --socket PATH or CRONQ_SOCKET" ]
}

@test "version works without a daemon" {
	run --separate-stderr "$CRONQ" --socket "$BATS_TEST_TMPDIR/none.sock" version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^cronq\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	[ "$stderr" = "cronq: warning: cannot reach cronq-agentd at $BATS_TEST_TMPDIR/none.sock: No such file or directory" ]
}

@test "ls with no jobs says so on stderr only" {
	agentd_start
	run --separate-stderr "$CRONQ" ls
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$stderr" = "cronq: no jobs" ]
	run --separate-stderr "$CRONQ" --json ls
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(printf '%s' "$output" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["jobs"]))')" = 0 ]
}

@test "add, ls, show and rm round trip" {
	agentd_start
	run --separate-stderr "$CRONQ" add backup -s '0 3 * * *' --timeout 90s -- 'echo hi'
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]

	run --separate-stderr "$CRONQ" ls
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" =~ ^NEXT\ +LEFT\ +LAST\ +PASSED\ +RESULT\ +JOB\ +SCHEDULE$ ]]
	[[ "${lines[1]}" =~ ^[A-Z][a-z][a-z]\ [0-9-]+\ 03:00:00\ UTC\ +[0-9a-z\ ]+\ left\ +-\ +-\ +-\ +backup\ +0\ 3\ \*\ \*\ \*$ ]]

	run --separate-stderr "$CRONQ" show backup
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "name:               backup" ]
	[[ "$output" == *$'\ncommand:            echo hi\n'* ]]
	[[ "$output" == *$'\nschedules:          0 3 * * *\n'* ]]
	[[ "$output" == *$'\npaused:             false\n'* ]]
	[[ "$output" == *$'\ntimeout:            1min 30s'* ]]
	# No zone of its own: the daemon's, said on the same line.
	[[ "$output" =~ $'\n'timezone:\ +[^$'\n']+\ \(the\ daemon\'s\)$'\n' ]] || { echo "$output"; false; }
	[[ "$output" != *timezone_set* ]]

	run --separate-stderr "$CRONQ" rm backup
	[ "$status" -eq 0 ]
	[ -z "$output" ]

	run --separate-stderr "$CRONQ" ls
	[ "$status" -eq 0 ]
	[ -z "$output" ]

	run --separate-stderr "$CRONQ" show backup
	[ "$status" -eq 1 ]
	[[ "$stderr" == 'cronq: cannot show job "backup": '* ]]
	# Removed, it keeps its versions: the way back is named.
	[ "${stderr_lines[1]}" = 'cronq: hint: it was removed; cronq history backup shows its versions, cronq rollback backup brings it back' ]
	[ "${#stderr_lines[@]}" -eq 2 ]
	run --separate-stderr "$CRONQ" show nosuch
	[ "$status" -eq 1 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "several command words make an argv; none of -s makes a manual job" {
	agentd_start
	run "$CRONQ" add argv -- printf '%s\n' "a b" c
	[ "$status" -eq 0 ]
	run --separate-stderr "$CRONQ" show argv
	[[ "$output" == *$'\ncommand:            printf \'%s\\n\' \'a b\' c\n'* ]]
	run --separate-stderr "$CRONQ" ls
	[[ "${lines[1]}" =~ ^-\ +-\ +-\ +-\ +-\ +argv\ +manual$ ]]
	run --separate-stderr "$CRONQ" --json show argv
	[ "$(printf '%s' "$output" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["command"]))')" = '["printf", "%s\\n", "a b", "c"]' ]
}

@test "adding an existing name fails unless --replace" {
	agentd_start
	"$CRONQ" add dup -s '@daily' -- true
	run --separate-stderr "$CRONQ" add dup -s '@hourly' -- true
	[ "$status" -eq 1 ]
	[ "$stderr" = 'cronq: cannot add job "dup": job "dup" already exists (use --replace to change it)' ]

	run --separate-stderr "$CRONQ" add --replace dup -s '@hourly' -- true
	[ "$status" -eq 0 ]
	run "$CRONQ" show dup
	[[ "$output" == *$'\nschedules:          @hourly\n'* ]]
}

@test "show prints env, on_exit and dst as words, empty maps as -" {
	agentd_start
	"$CRONQ" add plain -- true
	run --separate-stderr "$CRONQ" show plain
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\nenv:                -\n'* ]]
	[[ "$output" == *$'\non_exit:            -\n'* ]]
	[[ "$output" == *$'\ndst:                gap next, repeat first\n'* ]]
	[[ "$output" == *$'\nlimits:             -\n'* ]]

	curl -sf --unix-socket "$CRONQ_SOCKET" -H 'Content-Type: application/json' \
		-d '{"name":"maps","command":"true","env":{"A":"1","B":"x y"},"on_exit":{"75":"retry","3":"skip"},"dst":{"gap":"skip","repeat":"both"}}' \
		http://localhost/api/v1/jobs >/dev/null
	run --separate-stderr "$CRONQ" show maps
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\nenv:                A=1 B=\'x y\'\n'* ]]
	[[ "$output" == *$'\non_exit:            75: retry, 3: skip\n'* ]]
	[[ "$output" == *$'\ndst:                gap skip, repeat both\n'* ]]
}

@test "show prints http and notify as words, credential headers hidden" {
	agentd_start
	curl -sf --unix-socket "$CRONQ_SOCKET" -H 'Content-Type: application/json' \
		-d '{"name":"web","kind":"http","http":{"method":"POST",
		"url":"https://example.com/ping","headers":{"Authorization":"Bearer s3cret",
		"X-Api-Key":"k3y","Cookie":"sid=1","Accept":"text/plain"},
		"body":"{\"a\":1}\nend","expect_status":["2xx",304],"follow_redirects":true},
		"notify":[{"kind":"webhook","url":"http://h/hook","on":["failure","late"]},
		{"kind":"ping","url":"http://h/p"},
		{"kind":"command","command":"mail -s x root","timeout":30,"retries":0}]}' \
		http://localhost/api/v1/jobs >/dev/null
	cq show web
	assert_status 0
	output=$(printf '%s\n' "$output" | grep -E '^(http|notify)')
	assert_lines \
		'http:                  POST https://example.com/ping' \
		'http.header:           Authorization: (hidden)' \
		'http.header:           X-Api-Key: (hidden)' \
		'http.header:           Cookie: (hidden)' \
		'http.header:           Accept: text/plain' \
		'http.body:             {"a":1}\nend' \
		'http.expect_status:    2xx, 304' \
		'http.follow_redirects: true' \
		'notify:                webhook http://h/hook on failure, late' \
		'notify:                ping http://h/p on failure, success' \
		"notify:                command 'mail -s x root' on failure (timeout 30s, retries 0)"

	# --json stays the API's object, secrets and all, for scripts and edit.
	cq --json show web
	assert_status 0
	[ "$(printf '%s' "$output" | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["http"]["headers"]["Authorization"], d["notify"][0])')" = \
		"Bearer s3cret {'kind': 'webhook', 'url': 'http://h/hook', 'on': ['failure', 'late'], 'timeout': 10, 'retries': 2}" ]

	# A job with neither, and history, which writes them on one line.
	curl -sf --unix-socket "$CRONQ_SOCKET" -X PUT -H 'Content-Type: application/json' \
		-d '{"name":"web","kind":"http","http":{"url":"https://example.com/x",
		"headers":{"X-Token":"t"}}}' \
		http://localhost/api/v1/jobs/web >/dev/null
	cq show web
	assert_status 0
	output=$(printf '%s\n' "$output" | grep -E '^(http|notify)')
	assert_lines \
		'http:               GET https://example.com/x' \
		'http.header:        X-Token: (hidden)' \
		'http.expect_status: 2xx'
	cq history web
	assert_status 0
	[[ "$output" == *$'\n  http: POST https://example.com/ping; header Authorization: (hidden); header X-Api-Key: (hidden); header Cookie: (hidden); header Accept: text/plain; body {"a":1}\\nend; expect_status 2xx, 304; follow_redirects true -> GET https://example.com/x; header X-Token: (hidden); expect_status 2xx\n'* ]]
	[[ "$output" == *$'\n  notify: webhook http://h/hook on failure, late; ping http://h/p on failure, success; command \'mail -s x root\' on failure (timeout 30s, retries 0) -> -\n'* ]]
	[[ "$output" != *s3cret* && "$output" != *k3y* ]]
}

@test "trigger --wait on a succeeding job exits 0; logs and runs show it" {
	agentd_start
	"$CRONQ" add ok -- 'echo hello from ok'
	run --separate-stderr "$CRONQ" trigger --wait ok
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9]+$ ]]
	[ -z "$stderr" ]
	id=$output

	run --separate-stderr "$CRONQ" logs "$id"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from ok" ]
	run --separate-stderr "$CRONQ" logs ok
	[ "$status" -eq 0 ]
	[ "$output" = "hello from ok" ]

	run --separate-stderr "$CRONQ" runs ok
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^ID\ +JOB\ +ATTEMPT\ +TRIGGER\ +STATE\ +EXIT\ +STARTED\ +DURATION\ +DETAIL$ ]]
	[[ "${lines[1]}" =~ ^$id\ +ok\ +1\ +manual\ +succeeded\ +0\ + ]]

	run --separate-stderr "$CRONQ" ls
	[[ "${lines[1]}" =~ \ ago\ +succeeded\ +ok\ +manual$ ]]
}

@test "trigger --wait on a timed-out run says after how long" {
	agentd_start
	"$CRONQ" add slow --timeout 1 -- sleep 30
	run --separate-stderr "$CRONQ" trigger --wait slow
	[ "$status" -eq 1 ]
	[ "$stderr" = "cronq: run $output of job \"slow\" timed out after 1s (killed by signal 15, Terminated)" ]
}

@test "logs of a run that printed nothing: empty, exit 0" {
	agentd_start
	"$CRONQ" add quiet -- true
	run --separate-stderr "$CRONQ" trigger --wait quiet
	[ "$status" -eq 0 ]
	id=$output
	# No output, so no log file was ever created.
	[ ! -e "$BATS_TEST_TMPDIR/state/logs/$id.log" ]
	run --separate-stderr "$CRONQ" logs "$id"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	run --separate-stderr "$CRONQ" logs quiet
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "a run that fails before its command: logs and runs say why" {
	agentd_start
	"$CRONQ" add nowd --workdir "$T/nope" -- 'echo hi'
	run --separate-stderr "$CRONQ" trigger --wait nowd
	[ "$status" -eq 1 ]
	id=$output
	why="cannot chdir to $T/nope: No such file or directory"
	# stdout stays the (empty) log; the reason is on stderr; exit 0.
	for arg in "$id" nowd; do
		run --separate-stderr "$CRONQ" logs "$arg"
		[ "$status" -eq 0 ]
		[ -z "$output" ]
		[ "$stderr" = "cronq: run $id failed: $why (no output)" ]
	done

	run --separate-stderr "$CRONQ" runs nowd
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" =~ ^$id\ +nowd\ +1\ +manual\ +failed\ +-\ +.*\ \ "$why"$ ]]
	# A message that only repeats EXIT is not said twice.
	"$CRONQ" add three -- 'echo x; exit 3'
	"$CRONQ" trigger --wait three >/dev/null || true
	run --separate-stderr "$CRONQ" runs three
	[[ "${lines[1]}" =~ \ failed\ +3\ +.*\ -$ ]]
	# On a terminal the detail is cut to its width; a pipe keeps it all.
	run script -qec "stty cols 100; $CRONQ runs nowd" /dev/null
	line=$(printf '%s\n' "$output" | tr -d '\r' | sed -n 2p)
	[ "${#line}" -eq 100 ]
	[[ "$line" == *"  cannot chdir"*... ]]
}

@test "a job without workdir starts in its user's home directory" {
	agentd_start
	"$CRONQ" add where -- pwd
	"$CRONQ" trigger --wait where >/dev/null
	run --separate-stderr "$CRONQ" logs where
	[ "$output" = "$(getent passwd "$(id -un)" | cut -d: -f6)" ]
}

@test "trigger --wait on a failing job exits 1 with the reason" {
	agentd_start
	"$CRONQ" add bad -- 'echo oops; exit 3'
	run --separate-stderr "$CRONQ" trigger --wait bad
	[ "$status" -eq 1 ]
	[[ "$output" =~ ^[0-9]+$ ]]
	[ "$stderr" = "cronq: run $output of job \"bad\" failed: exit status 3" ]

	run --separate-stderr "$CRONQ" runs --state failed
	[[ "${lines[1]}" =~ ^[0-9]+\ +bad\ +1\ +manual\ +failed\ +3\ + ]]
	run "$CRONQ" logs bad
	[ "$output" = "oops" ]
}

@test "trigger --wait follows retries to the last attempt" {
	agentd_start
	# No CLI flag sets the backoff, so this job goes in through the API.
	curl -sf --unix-socket "$CRONQ_SOCKET" -H 'Content-Type: application/json' \
		-d '{"name":"flaky","command":"exit 4","retries":1,"retry_backoff":1}' \
		http://localhost/api/v1/jobs >/dev/null
	run --separate-stderr "$CRONQ" trigger --wait flaky
	[ "$status" -eq 1 ]
	[[ "$output" =~ ^[0-9]+$ ]]
	# One line per attempt as it ends, then the last one's verdict.
	[ "${#stderr_lines[@]}" -eq 2 ]
	[[ "${stderr_lines[0]}" =~ ^cronq:\ run\ $output\ of\ job\ \"flaky\"\ \(attempt\ 1\)\ failed:\ exit\ status\ 4\;\ retrying\ in\ [0-9]+s$ ]]
	[[ "${stderr_lines[1]}" =~ ^cronq:\ run\ [0-9]+\ of\ job\ \"flaky\"\ \(attempt\ 2\)\ failed:\ exit\ status\ 4$ ]]
	run "$CRONQ" runs flaky
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[1]}" =~ ^[0-9]+\ +flaky\ +2\ +retry\ +failed\ +4\ + ]]
}

@test "stop cancels a running run" {
	agentd_start
	"$CRONQ" add slow -- 'sleep 30'
	id=$("$CRONQ" trigger slow)
	wait_state "$id" running
	run --separate-stderr "$CRONQ" stop "$id"
	[ "$status" -eq 0 ]
	wait_state "$id" cancelled
}

@test "pause and resume" {
	agentd_start
	"$CRONQ" add nightly -s '0 3 * * *' -- true
	run --separate-stderr "$CRONQ" pause nightly
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$CRONQ" show nightly
	[[ "$output" == *$'\npaused:             true\n'* ]]
	run "$CRONQ" ls
	[[ "${lines[1]}" =~ ^-\ +paused\ + ]]

	run --separate-stderr "$CRONQ" resume nightly
	[ "$status" -eq 0 ]
	run "$CRONQ" show nightly
	[[ "$output" == *$'\npaused:             false\n'* ]]

	run --separate-stderr "$CRONQ" pause nosuchjob
	[ "$status" -eq 1 ]
	[[ "$stderr" == 'cronq: cannot pause job "nosuchjob": '* ]]
}

@test "history shows what each version changed" {
	agentd_start
	"$CRONQ" add h -s '0 3 * * *' -- true
	"$CRONQ" add --replace h -s '0 4 * * *' -- true
	run --separate-stderr "$CRONQ" history h
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^version\ 2\ \  ]]
	[ "${lines[1]}" = "  schedules: 0 3 * * * -> 0 4 * * *" ]
	[[ "${lines[2]}" =~ ^version\ 1\ \  ]]

	# Durations and argv as show prints them.
	"$CRONQ" add --replace h -s '0 4 * * *' --timeout 600 -- /bin/echo nightly 'a b'
	run --separate-stderr "$CRONQ" history h
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "  command: true -> /bin/echo nightly 'a b'" ]
	[ "${lines[2]}" = "  timeout: none -> 10min" ]

	# A save that changes nothing adds no version: a rollback to what the
	# job holds, the same replace again, a second pause.
	run --separate-stderr "$CRONQ" rollback h 3
	[ "$status" -eq 0 ]
	[ "$output" = "h: version 3 already holds that spec, nothing changed" ]
	"$CRONQ" add --replace h -s '0 4 * * *' --timeout 600 -- /bin/echo nightly 'a b'
	run --separate-stderr "$CRONQ" --json show h
	[ "$(jq .version <<<"$output")" = 3 ]
	"$CRONQ" pause h
	"$CRONQ" pause h
	"$CRONQ" resume h
	run --separate-stderr "$CRONQ" history h
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^version\ 5\ .*\ resume$ ]]
	[[ "${lines[2]}" =~ ^version\ 4\ .*\ pause$ ]]
	[[ "${lines[4]}" =~ ^version\ 3\ \  ]]
	# Over the API the answer says nothing was saved.
	run curl -sS --unix-socket "$CRONQ_SOCKET" -X PATCH \
	    -d '{"timeout": "10m"}' http://localhost/api/v1/jobs/h
	[ "$(jq -c '[.version, .unchanged]' <<<"$output")" = "[5,true]" ]
	run curl -sS --unix-socket "$CRONQ_SOCKET" -X PATCH \
	    -d '{"timeout": "11m"}' http://localhost/api/v1/jobs/h
	[ "$(jq -c '[.version, .unchanged]' <<<"$output")" = "[6,null]" ]

	# A replace that does not say paused keeps a paused job paused.
	"$CRONQ" pause h
	"$CRONQ" add --replace h -s '0 5 * * *' -- true
	[ "$("$CRONQ" --json show h | jq .paused)" = true ]
	run curl -sS --unix-socket "$CRONQ_SOCKET" -X PUT \
	    -d '{"command": "true", "paused": false}' http://localhost/api/v1/jobs/h
	[ "$(jq .paused <<<"$output")" = false ]

	# A removal and a re-creation say so rather than "(no change)".
	"$CRONQ" rm h
	"$CRONQ" add h -- true
	run --separate-stderr "$CRONQ" history h
	[[ "${lines[0]}" =~ ^version\ 11\ .*\ create$ ]]
	[ "${lines[1]}" = "  (job made again)" ]
	[[ "${lines[2]}" =~ ^version\ 10\ .*\ delete$ ]]
	[ "${lines[3]}" = "  (job removed)" ]
	# rollback of a name that never was says so.
	run --separate-stderr "$CRONQ" rollback neverwas
	[ "$status" -eq 1 ]
	[ "$stderr" = 'cronq: cannot roll back job "neverwas": no job named "neverwas", now or before' ]
}

@test "nothing to show is a line on stdout and exit 0, for why and logs" {
	agentd_start
	"$CRONQ" add idle -- true
	run --separate-stderr "$CRONQ" logs idle
	[ "$status" -eq 0 ]
	[ "$output" = 'job "idle" has not run yet: no log to show' ]
	[ -z "$stderr" ]
	run --separate-stderr "$CRONQ" why idle
	[ "$status" -eq 0 ]
	[ "$output" = 'job "idle" has no schedule decisions recorded' ]
	[ -z "$stderr" ]
	# A job that does not exist is still an error.
	run --separate-stderr "$CRONQ" logs nosuch
	[ "$status" -eq 1 ]
	[[ "$stderr" == 'cronq: cannot show the log of job "nosuch": '* ]]
	run --separate-stderr "$CRONQ" why nosuch
	[ "$status" -eq 1 ]
}

@test "why does not repeat the outcome in its detail" {
	agentd_start
	"$CRONQ" add every -s '* * * * * *' -- true
	"$CRONQ" pause every
	for _ in $(seq 50); do
		run "$CRONQ" why every
		[[ "$output" == *skipped* ]] && break
		sleep 0.1
	done
	[[ "$output" == *"skipped: the job was paused"* ]]
	[[ "$output" != *"job is paused"* ]]
}

@test "why says how each slot's run ended, retries included" {
	agentd_start
	"$CRONQ" add okay -s '* * * * * *' -- true >/dev/null
	"$CRONQ" add flaky -s '* * * * * *' --retries 1 -- false >/dev/null
	for _ in $(seq 100); do
		run "$CRONQ" why -n 50 okay
		[[ "$output" == *"ran (run "*": succeeded)"* ]] && break
		sleep 0.1
	done
	[[ "$output" == *"ran (run "*": succeeded)"* ]] || { echo "$output"; false; }
	# A failed first attempt names its retry: waiting, or ended.
	for _ in $(seq 100); do
		run "$CRONQ" why -n 50 flaky
		[[ "$output" =~ ran\ \(run\ [0-9]+:\ (retrying|failed|queued|running)\ at\ attempt\ 2,\ run\ [0-9]+\) ]] && break
		sleep 0.1
	done
	[[ "$output" =~ ran\ \(run\ [0-9]+:\ (retrying|failed|queued|running)\ at\ attempt\ 2,\ run\ [0-9]+\) ]] || { echo "$output"; false; }
}

@test "show words late_after, expected_duration and an http job's timeout" {
	agentd_start
	printf 'name: watched\nschedule: "@daily"\ncommand: "true"\nlate_after: 5m\nexpected_duration: 1h\n' >"$BATS_TEST_TMPDIR/w.yaml"
	"$CRONQ" add -f "$BATS_TEST_TMPDIR/w.yaml"
	run --separate-stderr "$CRONQ" show watched
	[[ "$output" == *$'\nlate_after:         5min\n'* ]] || { echo "$output"; false; }
	[[ "$output" == *$'\nexpected_duration:  1h\n'* ]] || { echo "$output"; false; }
	printf 'name: ping\nkind: http\nhttp: {url: "http://127.0.0.1:9/"}\n' >"$BATS_TEST_TMPDIR/p.yaml"
	"$CRONQ" add -f "$BATS_TEST_TMPDIR/p.yaml"
	run --separate-stderr "$CRONQ" show ping
	[[ "$output" == *$'\ntimeout:            none (the request\'s own: 5min)\n'* ]] || { echo "$output"; false; }
}

@test "--json output parses" {
	agentd_start
	"$CRONQ" add j -s '*/5 * * * *' -- true
	"$CRONQ" trigger --wait j >/dev/null
	for args in "ls" "show j" "runs" "runs j --limit 1" "status" "version" \
		"history j" "trigger j" "why j"; do
		run --separate-stderr "$CRONQ" --json $args
		[ "$status" -eq 0 ]
		printf '%s\n' "$output" | python3 -m json.tool >/dev/null
	done
	[ "$("$CRONQ" --json ls | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["name"])')" = j ]
}

@test "status summarises the daemon" {
	agentd_start
	run --separate-stderr "$CRONQ" status
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^version:\ +[0-9] ]]
	[[ "$output" == *$'\nsocket:     '"$CRONQ_SOCKET"$'\n'* ]]
	[[ "$output" == *$'\njobs:       0\nrunning:    0\nqueued:     0\nretrying:   0\n'* ]]
	# Every key lowercase, with its colon, the values in one column.
	for l in "${lines[@]}"; do
		[[ "$l" == " "* ]] && continue
		[[ "$l" =~ ^[a-z][a-z\ ]*:(\ +[^ ]|$) ]] || { echo "bad: $l"; false; }
		[[ "$l" == *: ]] || [ "${l:12:1}" != " " ] || { echo "misaligned: $l"; false; }
		[[ "$l" == *: ]] || [ "${l:11:1}" = " " ] || { echo "misaligned: $l"; false; }
	done
}

@test "the config file names the socket" {
	agentd_start
	mkdir -p "$HOME/.config/cronq"
	printf '# mine\nsocket = %s\n' "$CRONQ_SOCKET" >"$HOME/.config/cronq/config"
	run --separate-stderr env -u CRONQ_SOCKET "$CRONQ" ls
	[ "$status" -eq 0 ]

	printf 'sockt = x\n' >"$HOME/.config/cronq/config"
	run --separate-stderr env -u CRONQ_SOCKET "$CRONQ" ls
	[ "$status" -eq 2 ]
	[ "$stderr" = "cronq: $HOME/.config/cronq/config:1: unknown key \"sockt\" (expected socket, host, token or cacert)" ]

	# One others may change is not used; with a token, nor one they may read.
	f="$HOME/.config/cronq/config"
	printf 'socket = %s\n' "$CRONQ_SOCKET" >"$f"
	chmod 666 "$f"
	run --separate-stderr env -u CRONQ_SOCKET "$CRONQ" ls
	[ "$status" -eq 1 ]
	[ "$stderr" = "cronq: $f is mode 0666: others may change it; chmod go-w $f" ]
	printf 'socket = %s\ntoken = cq_x\n' "$CRONQ_SOCKET" >"$f"
	chmod 644 "$f"
	run --separate-stderr env -u CRONQ_SOCKET "$CRONQ" ls
	[ "$status" -eq 1 ]
	[ "$stderr" = "cronq: $f is mode 0644: others may read its token; chmod 600 $f" ]
	chmod 640 "$f"
	run --separate-stderr env -u CRONQ_SOCKET "$CRONQ" ls
	[ "$stderr" = "cronq: $f is mode 0640: its group may read its token; chmod 600 $f" ]
	chmod 600 "$f"
	run --separate-stderr env -u CRONQ_SOCKET "$CRONQ" ls
	[ "$status" -eq 0 ]
	# Nor one that another user owns (and so could rewrite).
	[ "$(id -u)" = 0 ] || skip "needs root to give the file away"
	chown nobody "$f"
	run --separate-stderr env -u CRONQ_SOCKET "$CRONQ" ls
	[ "$status" -eq 1 ]
	[ "$stderr" = "cronq: $f belongs to uid 65534, not to you; not used" ]
}

@test "the socket in XDG_RUNTIME_DIR is the default when it exists" {
	CRONQ_SOCKET="$XDG_RUNTIME_DIR/cronq.sock"
	SOCK=$CRONQ_SOCKET
	agentd_start
	run --separate-stderr env -u CRONQ_SOCKET "$CRONQ" ls
	[ "$status" -eq 0 ]
}

@test "logs JOB and last_run skip a retry that waits for its turn" {
	agentd_start
	printf '%s\n' 'name: flaky' 'command: ["sh", "-c", "echo attempt one; exit 3"]' \
	    'retries: 2' 'retry_backoff: 1h' >"$T/flaky.yaml"
	"$CRONQ" add -f "$T/flaky.yaml"
	run --separate-stderr "$CRONQ" trigger flaky
	[ "$status" -eq 0 ]
	first=$output
	wait_state "$first" failed
	# The retry row exists and waits an hour.
	run --separate-stderr "$CRONQ" --json runs flaky
	[ "$(printf '%s' "$output" | python3 -c 'import json,sys; print(" ".join(r["state"] for r in json.load(sys.stdin)["runs"]))')" = "retrying failed" ]
	run --separate-stderr "$CRONQ" logs flaky
	[ "$status" -eq 0 ]
	[ "$output" = "attempt one" ]
	# status tells the waiting retry apart from the queued runs, which
	# runs --state queued lists (none).
	run --separate-stderr "$CRONQ" status
	[[ "$output" == *$'\nqueued:     0\nretrying:   1\n'* ]]
	[ -z "$("$CRONQ" runs --state queued)" ]
	run --separate-stderr "$CRONQ" --json status
	[ "$(printf '%s' "$output" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["queued"], d["retrying"])')" = "1 1" ]
	run --separate-stderr "$CRONQ" --json show flaky
	[ "$(printf '%s' "$output" | python3 -c 'import json,sys; r=json.load(sys.stdin)["last_run"]; print(r["id"], r["state"])')" = "$first failed" ]
}

@test "runs: an unknown job is an error, no runs a note on stderr" {
	agentd_start
	cq runs nosuch
	assert_status 1
	assert_lines
	assert_stderr 'cronq: cannot list the runs of job "nosuch": no job named "nosuch"'
	cq --json runs nosuch
	assert_status 1
	"$CRONQ" add quiet -- true
	cq runs quiet
	assert_status 0
	assert_lines
	assert_stderr 'cronq: no runs'
	cq runs --state failed
	assert_status 0
	assert_stderr 'cronq: no runs'
	# --json keeps its shape: an empty list, nothing on stderr.
	cq --json runs quiet
	assert_status 0
	[ "$(printf '%s' "$output" | python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"])')" = "[]" ]
	assert_stderr ''
}

@test "show names the owner's user beside the uid" {
	agentd_start
	"$CRONQ" add owned -- true
	cq show owned
	assert_status 0
	uid=$(id -u)
	name=$(id -un)
	[[ "$output" == *$'\n'"owner:              $uid ($name)"$'\n'* ]] || { echo "$output"; false; }
}

@test "add -f errors start with cronq: like every other error" {
	cq add -f "$BATS_TEST_TMPDIR/none.yaml"
	assert_status 5
	assert_stderr "cronq: $BATS_TEST_TMPDIR/none.yaml: cannot read: No such file or directory"
	printf 'name: x\nschedul: "@daily"\ncommand: true\n' >"$BATS_TEST_TMPDIR/j.yaml"
	cq add -f "$BATS_TEST_TMPDIR/j.yaml"
	assert_status 5
	[[ "$stderr" == "cronq: $BATS_TEST_TMPDIR/j.yaml:2:1: schedul: "* ]] || { echo "$stderr"; false; }
	# validate's report stays the tool's output, without the prefix.
	cq validate "$BATS_TEST_TMPDIR/j.yaml"
	assert_status 5
	[[ "$output" == "$BATS_TEST_TMPDIR/j.yaml:1:1: name: "* ]] || { echo "$output"; false; }
}

@test "the man pages' footers name the version cronq prints" {
	for page in cronq.1 cronq-agentd.8 cronq.d.5; do
		th=$(sed -n 's/^\.TH [^ ]* [0-9] //p' "$top_srcdir/man/$page")
		[[ "$th" =~ ^[0-9]{4}-[0-9]{2}\ \"(.*)\"\ \" ]] || { echo "$page: $th"; false; }
		[ "${BASH_REMATCH[1]}" = "$("$CRONQ" --version)" ] || { echo "$page: $th"; false; }
	done
}

@test "a job made after one was removed has none of its runs; a rolled back one has its own" {
	agentd_start
	"$CRONQ" add a -- echo A
	run "$CRONQ" trigger --wait a
	[ "$status" -eq 0 ]
	"$CRONQ" rm a
	"$CRONQ" add b -- echo B
	run --separate-stderr "$CRONQ" show b
	[[ "$output" == *$'\nlast_run:           -\n'* ]] || { echo "$output"; false; }
	run --separate-stderr "$CRONQ" runs b
	[ -z "$output" ]
	# Brought back, a's run is its last again.
	"$CRONQ" rollback a
	run --separate-stderr "$CRONQ" show a
	[[ "$output" == *$'\nlast_run:           run 1 succeeded'* ]] || { echo "$output"; false; }
}

@test "token ls and audit with nothing to list say so on stderr" {
	agentd_start
	run --separate-stderr "$CRONQ" token ls
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$stderr" = "cronq: no tokens" ]
	run --separate-stderr "$CRONQ" audit
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$stderr" = "cronq: no audit records" ]
}

# token_states: "NAME=STATE ..." of every token, from cronq --json token ls.
token_states() {
	"$CRONQ" --json token ls | python3 -c 'import json, sys
print(" ".join(sorted("%s=%s" % (t["name"], t.get("state"))
    for t in json.load(sys.stdin)["tokens"])))'
}

@test "token ls says expired once a token's expiry has passed" {
	agentd_start
	cq token create --scope read --expires 1s --name short
	assert_status 0
	cq token create --scope read --expires 30d --name long
	assert_status 0
	# Expiry is whole seconds from creation: wait for it to pass (5 s
	# at most) instead of sleeping a fixed time.
	for _ in $(seq 50); do
		[ "$(token_states)" = "long=live short=expired" ] && break
		sleep 0.1
	done
	[ "$(token_states)" = "long=live short=expired" ] || { token_states; false; }
	cq token ls
	assert_status 0
	[[ "$output" == *$'\n'*" short "*" expired"* ]] || { echo "$output"; false; }
	[[ "$output" == *$'\n'*" long "*" live"* ]] || { echo "$output"; false; }
	# Revoked says more than expired; the API answer of revoke says it too.
	id=$("$CRONQ" --json token ls | python3 -c 'import json, sys
print([t["id"] for t in json.load(sys.stdin)["tokens"] if t["name"] == "short"][0])')
	cq --json token revoke "$id"
	assert_status 0
	[ "$(python3 -c 'import json, sys
print(json.loads(sys.argv[1])["state"])' "$output")" = revoked ]
	[ "$(token_states)" = "long=live short=revoked" ]
}

@test "token create and audit: a bad option value is a usage error naming the option" {
	agentd_start
	run --separate-stderr "$CRONQ" token create --scope reed
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = 'cronq: token: create: --scope: unknown scope "reed" (expected read, trigger, write or admin)' ]
	[[ "${stderr_lines[1]}" == "usage: cronq token create "* ]]
	run --separate-stderr "$CRONQ" token create --scope read,
	[ "$status" -eq 0 ]
	run --separate-stderr "$CRONQ" token create --scope ,
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = 'cronq: token: create: --scope: no scope given' ]
	for bad in 30x 0 3661d 5m30; do
		run --separate-stderr "$CRONQ" token create --scope read --expires "$bad"
		[ "$status" -eq 2 ] || { echo "$bad: $status $stderr"; false; }
		[ "${stderr_lines[0]}" = "cronq: token: create: --expires \"$bad\": expected a duration from 1s to 3660d, such as 12h, 30d or 2w (a bare number is seconds)" ]
	done
	# The bounds themselves are good, in the daemon's judgement too.
	run --separate-stderr "$CRONQ" token create --scope 'read trigger' --expires 3660d
	[ "$status" -eq 0 ]
	run --separate-stderr "$CRONQ" token create --scope read --expires 1
	[ "$status" -eq 0 ]
	# None of the refused ones reached the daemon.
	[ "$("$CRONQ" --json token ls | python3 -c 'import json, sys
print(len(json.load(sys.stdin)["tokens"]))')" = 3 ]

	run --separate-stderr "$CRONQ" audit --since yesterday
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = 'cronq: audit: --since: time "yesterday" is not a valid RFC 3339 time (2025-03-09T01:58:00-08:00, or without an offset as wall time)' ]
	[[ "${stderr_lines[1]}" == "usage: cronq audit "* ]]
	run --separate-stderr "$CRONQ" audit --until 2025-03-09T01:58+25:00
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = 'cronq: audit: --until: time "2025-03-09T01:58+25:00" has an offset that is not +HH:MM' ]
	# A wall time is the daemon's to place in its zone: it passes.
	run --separate-stderr "$CRONQ" audit --since 2025-03-09T01:58 --until 2099-01-01T00:00:00Z
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
}
