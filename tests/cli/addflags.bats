#!/usr/bin/env bats
# The isolation flags of `cronq add` against the real daemon: each flag
# lands in the stored job under its cronq.d(5) name (GET /jobs/NAME), and
# `cronq show` prints it back; a bad value of each kind is refused before
# anything is sent, with the flag named. Needs no root: the daemon only
# stores the job here.

bats_require_minimum_version 1.5.0

load helpers

setup_file() {
	T=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/addflags.XXXXXX")
	export T SOCK="$T/s.sock" CRONQ_SOCKET="$T/s.sock"
	mkdir -m 700 "$T/state"
	: "${CRONQ_AGENTD:=${top_builddir:-.}/cronq-agentd}"
	agentd_start
}

teardown_file() {
	agentd_stop
}

# stored NAME EXPR: EXPR (python, over the job object j) of the stored job.
stored() {
	curl -sS --unix-socket "$SOCK" "http://cronq/api/v1/jobs/$1" |
	    python3 -c 'import json, sys
j = json.load(sys.stdin)
print(json.dumps(eval(sys.argv[1]), sort_keys=True))' "$2"
}

@test "every isolation flag maps to its field of the stored job" {
	cq add full --nice 7 --ioprio best-effort:2 \
	    --rlimit cpu=90 --rlimit memory=256M --rlimit nofile=64 \
	    --rlimit nproc=32 --rlimit fsize=1M --rlimit core=0 \
	    --private-tmp --protect-system --no-network \
	    --read-only-path /srv --read-only-path /opt \
	    --read-write-path /srv/spool \
	    --memory-max 64M --pids-max 50 --cpu-max 150% \
	    --seccomp-default none --seccomp-action kill \
	    --seccomp-deny unshare --seccomp-deny ptrace --seccomp-allow mount \
	    -- /bin/true
	assert_status 0
	[ "$(stored full 'j["limits"]')" = '{"core": 0, "cpu": 90, "fsize": 1048576, "memory": 268435456, "nofile": 64, "nproc": 32}' ]
	want='{"cpu_max": 150, "ioprio": "best-effort:2", "memory_max": 67108864, "network": false, "nice": 7, "pids_max": 50, "private_tmp": true, "protect_system": true, "read_only_paths": ["/srv", "/opt"], "read_write_paths": ["/srv/spool"], "seccomp": {"action": "kill", "allow": ["mount"], "default": "none", "deny": ["unshare", "ptrace"]}}'
	got=$(stored full 'j["sandbox"]')
	[ "$got" = "$want" ] || { printf 'want %s\ngot  %s\n' "$want" "$got"; false; }
}

@test "a flag given again replaces a value and extends a list" {
	cq add again --nice 3 --nice -5 --cpu-max 20 --rlimit nofile=10 \
	    --rlimit nofile=20 --read-write-path /a --read-write-path /b true
	assert_status 0
	[ "$(stored again '[j["sandbox"]["nice"], j["sandbox"]["cpu_max"], j["limits"]["nofile"], j["sandbox"]["read_write_paths"]]')" = '[-5, 20, 20, ["/a", "/b"]]' ]
}

@test "show prints the limits and sandbox fields that are set" {
	cq add shown --nice 7 --rlimit nofile=64 --no-network \
	    --seccomp-deny unshare --seccomp-deny ptrace --memory-max 1G true
	assert_status 0
	cq show shown
	assert_status 0
	# The values line up past the longest key, sandbox.seccomp.deny.
	grep -qx 'name:                 shown' <<<"$output"
	grep -qx 'limits.nofile:        64' <<<"$output"
	grep -qx 'sandbox.nice:         7' <<<"$output"
	grep -qx 'sandbox.network:      false' <<<"$output"
	grep -qx 'sandbox.seccomp.deny: unshare, ptrace' <<<"$output"
	# Sizes, spans and "no timeout" as people write them.
	grep -qx 'sandbox.memory_max:   1G' <<<"$output"
	grep -qx 'max_output:           1M' <<<"$output"
	grep -qx 'timeout:              none' <<<"$output"
	cq add --replace shown --rlimit cpu=300 --rlimit fsize=1000 \
	    --private-tmp true
	cq show shown
	grep -qx 'limits.cpu:          5min' <<<"$output"
	grep -qx 'limits.fsize:        1000' <<<"$output"
	grep -qx 'sandbox.private_tmp: true' <<<"$output"
	# Defaults stay out.
	! grep -q 'private_tmp\|seccomp.action\|seccomp.default' <<<"$output"
	cq add plain true
	cq show plain
	grep -qx 'sandbox:            -' <<<"$output"
	grep -qx 'limits:             -' <<<"$output"
}

@test "a bad value of each kind names the flag and sends nothing" {
	bad() {
		cq add bad "$@" true
		assert_status 2
		[ "${stderr%%$'\n'*}" = "cronq: add: $want" ] || { echo "$stderr"; false; }
	}
	want='--nice "40": 40 is outside -20..19' bad --nice 40
	want='--ioprio "loud": "loud" is not idle, best-effort[:0-7] or realtime[:0-7]' bad --ioprio loud
	want='--rlimit "nofile": expected NAME=VALUE (NAME one of cpu, memory, nofile, nproc, fsize, core)' bad --rlimit nofile
	want='--rlimit "stack=1": unknown limit "stack" (expected cpu, memory, nofile, nproc, fsize or core)' bad --rlimit stack=1
	want='--rlimit "nofile=many": expected an integer, not the string "many"' bad --rlimit nofile=many
	want='--rlimit "cpu=1x": duration "1x" is not like 90s, 5m, 2h30m or 1d' bad --rlimit cpu=1x
	want='--read-only-path "srv": "srv" is not an absolute path below /' bad --read-only-path srv
	want='--read-write-path "/": "/" is not an absolute path below /' bad --read-write-path /
	want='--memory-max "12Q": size "12Q" is not like 512, 64K, 512M or 2G' bad --memory-max 12Q
	want='--pids-max "0": 0 is outside 1..4194304' bad --pids-max 0
	want='--cpu-max "0%": "0%" is not a percentage 1%-100000%' bad --cpu-max 0%
	want='--seccomp-default "some": expected deny-list or none' bad --seccomp-default some
	want='--seccomp-action "stop": expected errno or kill' bad --seccomp-action stop
	want='--seccomp-deny "Mount": "Mount" is not a system call name' bad --seccomp-deny Mount
	want='--seccomp-allow "a-b": "a-b" is not a system call name' bad --seccomp-allow a-b
	run curl -sS --unix-socket "$SOCK" http://cronq/api/v1/jobs/bad
	[[ "$output" == *not_found* || "$output" == *"no job"* ]] || { echo "$output"; false; }
}

@test "a system call the daemon does not know is refused by the daemon" {
	cq add nosuch --seccomp-deny no_such_call true
	assert_status 1
	[[ "$stderr" == *'sandbox.seccomp.deny: no system call named "no_such_call"'* ]] || { echo "$stderr"; false; }
}

@test "add warns at once when this machine cannot give the isolation asked" {
	have=$(curl -sS --unix-socket "$SOCK" http://cronq/api/v1/status |
	    python3 -c 'import json,sys; print(json.load(sys.stdin)["sandbox"]["memory_max"])')
	run --separate-stderr "${CRONQ:-$top_builddir/cronq}" add warned --memory-max 64M -- true
	[ "$status" -eq 0 ]
	if [ "$have" = True ]; then
		# Where the limit is available the job is saved silently.
		[ -z "$stderr" ]
		return
	fi
	[[ "$stderr" == 'cronq: warning: job "warned" was saved but its runs will fail here: sandbox.memory_max: '* ]]
	# The daemon's answer carries it too, for API clients.
	run --separate-stderr "${CRONQ:-$top_builddir/cronq}" --json add --replace warned --memory-max 64M -- true
	[[ "$output" == *'"warnings":'* ]]
}

@test "--retries takes what the daemon takes, 0 to 100, and says so" {
	cq add r100 --retries 100 -- true
	assert_status 0
	[ "$(stored r100 'j["retries"]')" = 100 ]
	for v in -1 101; do
		cq add rbad --retries "$v" -- true
		assert_status 2
		[ "${stderr%%$'\n'*}" = "cronq: add: --retries \"$v\": $v is outside 0..100" ] || { echo "$stderr"; false; }
	done
	cq add rbad --retries many -- true
	assert_status 2
	[ "${stderr%%$'\n'*}" = 'cronq: add: --retries "many": expected an integer, not the string "many"' ]
	# Past what a double holds exactly, still a range error, not "many".
	cq add rbad --retries 99999999999999999999 -- true
	assert_status 2
	[ "${stderr%%$'\n'*}" = 'cronq: add: --retries "99999999999999999999": 1e+20 is outside 0..100' ]
}

@test "--timeout reads s, m, h, d and w, and names its range when out of it" {
	cq add tw --timeout 1w -- true
	assert_status 0
	[ "$(stored tw 'j["timeout"]')" = 604800 ]
	cq add tw2 --timeout 1d2h30s -- true
	assert_status 0
	[ "$(stored tw2 'j["timeout"]')" = 93630 ]
	msg='expected a duration from 0 to 12725829d, such as 90s, 5m, 2h30m, 1d or 2w (a bare number is seconds)'
	for v in 99999999999999999999 12725830d 5x -5; do
		cq add tbad --timeout "$v" -- true
		assert_status 2
		[ "${stderr%%$'\n'*}" = "cronq: add: --timeout \"$v\": $msg" ] || { echo "$stderr"; false; }
	done
}

@test "add's usage names the -f FILE form too" {
	cq add -h
	assert_status 0
	[[ "$output" == *'[--] COMMAND [ARG ...] | add [--replace [--detach]] -f FILE'* ]] || { echo "$output"; false; }
	# After an error the long synopsis gives way to a pointer to it.
	cq add
	assert_status 2
	assert_stderr "$(printf '%s\n' 'cronq: add: missing job name' \
	    'usage: cronq add ...; see cronq help add')"
	cq help add
	[[ "$output" == *'| add [--replace [--detach]] -f FILE'* ]] || { echo "$output"; false; }
	cq add x --retries
	assert_status 2
	[ "${stderr%%$'\n'*}" = 'cronq: add: option "--retries" needs a value' ]
}

@test "add's other value errors name their flag with its dashes too" {
	cq add bad --catchup later true
	assert_status 2
	[ "${stderr%%$'\n'*}" = 'cronq: add: --catchup "later": expected skip, once or all' ]
	cq add bad --env NOEQUALS true
	assert_status 2
	[ "${stderr%%$'\n'*}" = 'cronq: add: --env "NOEQUALS": expected NAME=VALUE' ]
}

@test "add warns when the job's user has no home to start in and no workdir" {
	[ "$(id -u)" = 0 ] || skip "as root only: jobs run as nobody"
	home=$(getent passwd nobody | cut -d: -f6)
	[ ! -d "$home" ] || skip "nobody has a home directory here ($home)"
	cq add homeless --user nobody -- true
	assert_status 0
	assert_stderr "cronq: warning: job \"homeless\" was saved but its runs will fail here: workdir: not set, and the home directory $home of user \"nobody\" does not exist"
	# With a workdir the job is saved silently.
	cq add --replace homeless --user nobody --workdir / -- true
	assert_status 0
	[ -z "$stderr" ]
}
