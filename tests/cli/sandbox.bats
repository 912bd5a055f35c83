#!/usr/bin/env bats
# Run isolation end to end (cronq.d(5) SANDBOX): the real daemon as root
# runs jobs as throwaway users made here with useradd, under rlimits, a
# seccomp filter, namespaces and, where the machine has one, a cgroup v2
# leaf. Each test that needs what this kernel or container refuses skips
# with the reason.

load helpers

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	T=$(mktemp -d /tmp/cronq-sb.XXXXXX)
	chmod 755 "$T"
	export T SOCK="$T/agentd.sock"
	U1=cqsb$$a
	G1=cqsbg$$
	export U1 G1
	groupadd "$G1"
	useradd -m -d "$T/home-$U1" -s /bin/sh -G "$G1" "$U1"
	mkdir -p "$T/state"
	# A hybrid hierarchy keeps cgroup2 at /sys/fs/cgroup/unified.
	if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] &&
	    [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]
	then
		echo "cgroup_root: /sys/fs/cgroup/unified" >"$T/state/agentd.yaml"
	fi
	: "${CRONQ_AGENTD:=${top_builddir:-.}/cronq-agentd}"
	agentd_start
}

teardown_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	agentd_stop
	pkill -KILL -u "$U1" 2>/dev/null || true
	userdel -r "$U1" 2>/dev/null || true
	groupdel "$G1" 2>/dev/null || true
	rm -rf "$T"
}

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}

api() {
	local method=$1 path=$2
	shift 2
	local args=(-sS --unix-socket "$SOCK" -X "$method" -o "$T/body"
	    -w '%{http_code}')
	if [ $# -gt 0 ]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$1")
	fi
	code=$(curl "${args[@]}" "http://cronq/api/v1$path")
	body=$(cat "$T/body")
}

jv() {
	python3 -c '
import json, sys
d = json.loads(sys.argv[2])
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$body"
}

# capability NAME: true if GET /status says the sandbox has NAME.
capability() {
	api GET /status
	[ "$(jv "d['sandbox']['$1']")" = true ]
}

# run_job NAME JOB-JSON-FIELDS: creates (or replaces) job NAME, triggers
# it and waits for the end. Sets $state, $message, $log and $run (JSON).
run_job() {
	local name=$1 id s
	api POST /jobs "{\"name\": \"$name\", $2}"
	[ "$code" != 409 ] || api PUT "/jobs/$name" "{\"name\": \"$name\", $2}"
	case $code in 200 | 201) ;; *) echo "save $code $body"; return 1 ;; esac
	api POST "/jobs/$name/trigger"
	[ "$code" = 202 ] || { echo "trigger $code $body"; return 1; }
	id=$(jv 'd["run"]["id"]')
	for _ in $(seq 400); do
		api GET "/runs/$id"
		s=$(jv 'd["state"]')
		case $s in
		succeeded | failed | timed_out | cancelled | lost | skipped)
			break ;;
		esac
		sleep 0.05
	done
	run=$body
	state=$s
	message=$(jv 'd["message"]')
	api GET "/runs/$id/log"
	log=$body
}

@test "a job runs as its user with that user's groups and environment" {
	run_job ident "\"user\": \"$U1\", \"command\": \"id -u; id -g; id -G; echo \$HOME \$USER \$LOGNAME \$SHELL\""
	[ "$state" = succeeded ] || { echo "$state $message $log"; false; }
	want=$(printf '%s\n%s\n%s\n%s' "$(id -u "$U1")" "$(id -g "$U1")" \
	    "$(id -G "$U1")" "$T/home-$U1 $U1 $U1 /bin/sh")
	[ "$log" = "$want" ] || { printf 'want %s\ngot %s\n' "$want" "$log"; false; }
	# A root job gets root's groups, not whatever the daemon holds.
	run_job identroot '"command": "id -G"'
	[ "$log" = "$(id -G root)" ]
}

@test "only root-owned jobs may name another user" {
	mkdir -p "$T/u1" && chown "$U1" "$T/u1"
	code=$(setpriv --reuid="$U1" --regid="$(id -g "$U1")" --clear-groups \
	    curl -sS --unix-socket "$SOCK" -o "$T/u1/body" -w '%{http_code}' \
	    -X POST -H 'Content-Type: application/json' \
	    --data-binary '{"name": "esc", "command": "id", "user": "root"}' \
	    http://cronq/api/v1/jobs)
	body=$(cat "$T/u1/body")
	[ "$code" = 403 ] || { echo "$code $body"; false; }
	[ "$(jv 'd["error"]["field"]')" = user ]
	# Running as itself is fine, and really is as itself.
	code=$(setpriv --reuid="$U1" --regid="$(id -g "$U1")" --clear-groups \
	    curl -sS --unix-socket "$SOCK" -o "$T/u1/body" -w '%{http_code}' \
	    -X POST -H 'Content-Type: application/json' \
	    --data-binary "{\"name\": \"self\", \"command\": \"id -u\", \"user\": \"$U1\"}" \
	    http://cronq/api/v1/jobs)
	[ "$code" = 201 ]
}

@test "limits.cpu stops a busy loop with SIGXCPU" {
	run_job cpu '"command": ["sh", "-c", "while :; do :; done"], "limits": {"cpu": 1}, "timeout": 20'
	[ "$state" = failed ]
	body=$run
	[ "$(jv 'd["signal"]')" = 24 ] || { echo "$run"; false; }
	[ "$(jv 'd["cpu_usec"] >= 500000')" = true ] || { echo "$run"; false; }
}

@test "limits.memory (address space) makes a large allocation fail" {
	run_job mem '"command": "python3 -c \"bytearray(512 << 20)\" 2>&1 | tail -1", "limits": {"memory": "256M"}'
	[[ "$log" == *MemoryError* ]] || { echo "$state $log"; false; }
}

@test "limits.nofile caps the descriptors" {
	run_job nofile '"command": "ulimit -n; exec 15</dev/null && echo opened", "limits": {"nofile": 12}'
	[ "${log%%$'\n'*}" = 12 ]
	[[ "$log" != *opened* ]]
}

@test "limits.nproc stops a fork bomb of the job's user" {
	run_job nproc "\"user\": \"$U1\", \"command\": \"i=0; while [ \$i -lt 40 ]; do sleep 30 & i=\$((i+1)); done; echo forked all\", \"limits\": {\"nproc\": 8}"
	[ "$state" = failed ] || { echo "$state $log"; false; }
	[[ "$log" != *"forked all"* ]]
	# The sleeps it did start died with the run.
	! pgrep -u "$U1" -x sleep
}

@test "limits.fsize and limits.core" {
	run_job fsize '"command": "ulimit -c; head -c 8192 /dev/zero > '"$T"'/big; echo rc=$?; stat -c %s '"$T"'/big", "limits": {"fsize": 4096, "core": 0}'
	# The shell also says "File size limit exceeded".
	[ "$(grep -v 'limit exceeded' <<<"$log")" = "$(printf '0\nrc=153\n4096')" ] || { echo "$log"; false; }
}

@test "nice and ioprio apply to the job" {
	run_job prio '"command": "nice; ionice", "sandbox": {"nice": 7, "ioprio": "idle"}'
	[ "$log" = "$(printf '7\nidle')" ] || { echo "$log"; false; }
}

@test "the default seccomp list denies mount with EPERM" {
	capability seccomp || skip "seccomp unavailable on this kernel"
	mkdir -p "$T/mnt"
	run_job scm "\"command\": \"mount -t tmpfs none $T/mnt; echo rc=\$?\""
	[[ "$log" == *"rc=32"* ]] || { echo "$log"; false; }
	[[ "$log" == *"ermission denied"* || "$log" == *"not permitted"* ]]
	! mountpoint -q "$T/mnt"
}

@test "seccomp action kill names the filter in the run's message" {
	capability seccomp || skip "seccomp unavailable on this kernel"
	run_job scmkill '"command": ["unshare", "-U", "true"], "sandbox": {"seccomp": {"action": "kill", "deny": ["unshare"]}}'
	[ "$state" = failed ]
	[[ "$message" == *"seccomp filter (SIGSYS)"* ]] || { echo "$message"; false; }
	grep -q "seccomp killed job=scmkill" "$T/agentd.out"
	# The kernel's audit record names the call, where it reaches kmsg.
	if dmesg 2>/dev/null | grep -q 'type=1326'; then
		[[ "$message" == *"system call unshare is denied"* ]] || { echo "$message"; false; }
	fi
}

@test "a seccomp allow entry takes a call off the default list" {
	capability seccomp || skip "seccomp unavailable on this kernel"
	run_job scmallow '"command": "unshare -n true && echo ok", "sandbox": {"seccomp": {"deny": ["unshare"], "allow": ["unshare"]}}'
	[ "$log" = ok ] || { echo "$log"; false; }
}

@test "an unknown system call name is refused when the job is saved" {
	api POST /jobs '{"name": "bad", "command": "true", "sandbox": {"seccomp": {"deny": ["no_such_call"]}}}'
	[ "$code" = 422 ] || { echo "$code $body"; false; }
	[ "$(jv 'd["error"]["field"]')" = sandbox.seccomp.deny ]
	api POST /jobs '{"name": "bad", "command": "true", "sandbox": {"nice": 40}}'
	[ "$code" = 422 ]
	[ "$(jv 'd["error"]["message"]')" = "sandbox.nice: 40 is outside -20..19" ]
}

@test "private_tmp gives the job its own /tmp and /var/tmp" {
	capability namespaces || skip "namespaces unavailable here"
	touch /tmp/cronq-sb-host.$$
	run_job ptmp '"command": "ls /tmp; touch /tmp/inside.'$$' /var/tmp/inside.'$$'; echo done", "sandbox": {"private_tmp": true}'
	rm -f /tmp/cronq-sb-host.$$
	[ "$log" = done ] || { echo "$log"; false; }
	[ ! -e /tmp/inside.$$ ] && [ ! -e /var/tmp/inside.$$ ]
}

@test "network: false leaves only a loopback that is down" {
	capability namespaces || skip "namespaces unavailable here"
	python3 -m http.server -b 127.0.0.1 0 >"$T/http.out" 2>&1 &
	srv=$!
	for _ in $(seq 50); do
		port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$T/http.out")
		[ -n "$port" ] && break
		sleep 0.1
	done
	cmd="python3 -c 'import socket; socket.create_connection((\\\"127.0.0.1\\\", $port), 2); print(\\\"connected\\\")' 2>&1 | tail -1; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"
	run_job neton "\"command\": \"$cmd\""
	[ "${log%%$'\n'*}" = connected ] || { kill $srv; echo "$log"; false; }
	run_job netoff "\"command\": \"$cmd\", \"sandbox\": {\"network\": false}"
	kill $srv
	[[ "$log" != connected* ]] || { echo "$log"; false; }
	[ "${log#*$'\n'}" = lo ] || { echo "$log"; false; }
}

@test "protect_system and read_only_paths are read-only; read_write_paths reopen" {
	capability namespaces || skip "namespaces unavailable here"
	mkdir -p "$T/ro/rw"
	run_job ro "\"command\": \"touch /etc/cronq-sb.$$ /usr/cronq-sb.$$ $T/ro/x 2>&1 | grep -c 'Read-only file system'; touch $T/ro/rw/y && echo rw-ok\", \"sandbox\": {\"protect_system\": true, \"read_only_paths\": [\"$T/ro\"], \"read_write_paths\": [\"$T/ro/rw\"]}"
	[ "$log" = "$(printf '3\nrw-ok')" ] || { echo "$state $message $log"; false; }
	[ ! -e /etc/cronq-sb.$$ ] && [ -e "$T/ro/rw/y" ]
	# A path that does not exist fails the run with the field named.
	run_job ro2 '"command": "true", "sandbox": {"read_only_paths": ["/nonexistent-cronq"]}'
	[ "$state" = failed ]
	[[ "$message" == "sandbox.read_only_paths: /nonexistent-cronq: No such file or directory" ]] || { echo "$message"; false; }
}

@test "stop leaves nothing behind, even a process that left the group and cleared its environment" {
	run_job dummy '"command": "true"'
	api POST /jobs '{"name": "escape", "command": "setsid env -i sleep 4712 & sleep 4713"}'
	api POST /jobs/escape/trigger
	id=$(jv 'd["run"]["id"]')
	for _ in $(seq 100); do
		pgrep -f "sleep 4712" >/dev/null && break
		sleep 0.05
	done
	api POST "/runs/$id/stop"
	for _ in $(seq 200); do
		api GET "/runs/$id"
		[ "$(jv 'd["state"]')" = cancelled ] && break
		sleep 0.05
	done
	[ "$(jv 'd["state"]')" = cancelled ]
	! pgrep -f "sleep 4713"
	if capability cgroup; then
		! pgrep -f "sleep 4712"
		api GET /status
		[ -z "$(ls "$(jv 'd["sandbox"]["cgroup_path"]')" | grep "run-.*-$id\$")" ]
	else
		pkill -f "sleep 4712" || true
		skip "no cgroup v2 here: a process that clears its environment escapes"
	fi
}

@test "a run records its CPU time and peak memory" {
	run_job usage '"command": "python3 -c \"x = bytearray(64 << 20); print(len(x))\""'
	[ "$state" = succeeded ]
	body=$run
	[ "$(jv 'd["peak_memory"] is not None and d["cpu_usec"] is not None')" = true ] || { echo "$run"; false; }
}

@test "pids_max stops a fork bomb in the cgroup" {
	capability pids_max || skip "no pids controller in this cgroup v2 hierarchy"
	run_job pidsmax '"command": "i=0; while [ $i -lt 40 ]; do sleep 30 & i=$((i+1)); done; echo forked all", "sandbox": {"pids_max": 8}'
	[[ "$log" != *"forked all"* ]] || { echo "$log"; false; }
}

@test "memory_max stops a memory hog" {
	capability memory_max || skip "no memory controller in this cgroup v2 hierarchy"
	run_job memmax '"command": ["python3", "-c", "x = bytearray(512 << 20); print(len(x))"], "sandbox": {"memory_max": "64M"}'
	[ "$state" = failed ]
	body=$run
	[ "$(jv 'd["signal"]')" = 9 ] || { echo "$run"; false; }
}

@test "a job needing an unavailable feature is refused, not run unprotected" {
	if capability memory_max; then
		skip "the memory controller is available here"
	fi
	run_job refuse '"command": "touch '"$T"'/ran", "sandbox": {"memory_max": "64M"}'
	[ "$state" = failed ]
	[[ "$message" == "sandbox.memory_max: needs a cgroup"* ]] || { echo "$message"; false; }
	[ ! -e "$T/ran" ]
}

# notes NAME N: waits (at most 15 s) until job NAME has N recorded
# notification attempts; $body is the last answer.
notes() {
	for _ in $(seq 300); do
		api GET "/jobs/$1/notifications"
		[ "$(jv 'len(d["notifications"])')" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "$body"
	return 1
}

@test "a notify command runs as the job's user inside the job's sandbox" {
	h="$T/home-$U1"
	run_job ncmd "\"user\": \"$U1\", \"command\": \"exit 3\", \"limits\": {\"nofile\": 13}, \"notify\": [{\"kind\": \"command\", \"command\": \"id -u >$h/n.out; id -G >>$h/n.out; ulimit -n >>$h/n.out; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status | tr -d '\\\\t' >>$h/n.out; echo \\\"\$CRONQ_NOTIFY_EVENT \$CRONQ_NOTIFY_EXIT_CODE\\\" >>$h/n.out\"}]"
	[ "$state" = failed ]
	notes ncmd 1
	[ "$(jv 'd["notifications"][0]["status"]')" = delivered ] || { echo "$body"; false; }
	want=$(printf '%s\n%s\n13\nNoNewPrivs:1\nSeccomp:2\nfailure 3' \
	    "$(id -u "$U1")" "$(id -G "$U1")")
	[ "$(cat "$h/n.out")" = "$want" ] || { printf 'want %s\ngot %s\n' "$want" "$(cat "$h/n.out")"; false; }
}

@test "a notify command that hangs is killed, group and all, at its timeout" {
	run_job nhang "\"user\": \"$U1\", \"command\": \"false\", \"notify\": [{\"kind\": \"command\", \"command\": \"sleep 4714 & sleep 4715\", \"timeout\": 1, \"retries\": 0}]"
	[ "$state" = failed ]
	notes nhang 1
	[ "$(jv 'd["notifications"][0]["status"]')" = failed ] || { echo "$body"; false; }
	[ "$(jv 'd["notifications"][0]["error"]')" = "killed by signal 9 (timeout)" ] || { echo "$body"; false; }
	[ "$(jv 'd["notifications"][0]["duration_ms"] < 5000')" = true ]
	! pgrep -f "sleep 471[45]"
	# The daemon kept answering while the command hung.
	grep -q "gave up job=nhang" "$T/agentd.out"
}

@test "a notify command is refused when the job's sandbox cannot be given" {
	capability memory_max && skip "the memory controller is available here"
	api POST /jobs "{\"name\": \"nref\", \"command\": \"false\", \"notify\": [{\"kind\": \"command\", \"command\": \"touch $T/nref\"}], \"sandbox\": {\"memory_max\": \"64M\"}}"
	api POST /jobs/nref/trigger
	notes nref 1
	[[ "$(jv 'd["notifications"][0]["error"]')" == "sandbox.memory_max: needs a cgroup"* ]] || { echo "$body"; false; }
	[ ! -e "$T/nref" ]
}

@test "status lists the sandbox and what it lacks" {
	api GET /status
	[ "$(jv 'd["sandbox"]["root"]')" = true ]
	[ "$(jv 'd["sandbox"]["seccomp"]')" = true ]
	if ! capability memory_max; then
		[[ "$(jv 'd["sandbox"]["unavailable"]')" == *"cgroup"* ]] || { echo "$body"; false; }
	fi
	: "${CRONQ:=${top_builddir:-.}/cronq}"
	run "$CRONQ" --socket "$SOCK" status
	[ "$status" -eq 0 ]
	[[ "$output" == *"sandbox:    seccomp namespaces"* ]] || { echo "$output"; false; }
}

@test "a job file declares a sandbox; a bad value points at its line" {
	: "${CRONQ:=${top_builddir:-.}/cronq}"
	cat >"$T/jobs.yaml" <<'YAML'
jobs:
  - name: rep
    command: /bin/true
    sandbox:
      nice: 10
      seccomp: {action: kill, deny: [unshare]}
      private_tmp: true
      read_only_paths: [/srv]
      memory_max: 1G
      cpu_max: "50%"
YAML
	run "$CRONQ" validate "$T/jobs.yaml"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	sed -i 's/nice: 10/nice: 99/' "$T/jobs.yaml"
	run "$CRONQ" validate "$T/jobs.yaml"
	[ "$status" -eq 5 ]
	[[ "$output" == *"jobs.yaml:5:13: sandbox.nice: 99 is outside -20..19"* ]] || { echo "$output"; false; }
}
