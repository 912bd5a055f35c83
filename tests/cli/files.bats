#!/usr/bin/env bats
# Job files (cronq.d(5)): the daemon loading a directory of them, atomic
# reloads, names and permissions; cronq validate's errors with line:col;
# cronq import on real crontab formats. The real cronq-agentd, running
# unprivileged, so its files must be owned by the test's own uid.

load helpers

setup() {
	T=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/files.XXXXXX")
	SOCK="$T/agentd.sock"
	DIR="$T/cronq.d"
	mkdir "$DIR"
	: "${CRONQ_AGENTD:=${top_builddir:-.}/cronq-agentd}"
	: "${top_srcdir:=${BATS_TEST_DIRNAME}/../..}"
	export CRONQ_SOCKET="$SOCK"
	export TZ=UTC
}

teardown() {
	agentd_stop KILL
}

# start [ARGS...]: the daemon on the job directory $DIR, API up.
start() {
	agentd_start --jobs-dir "$DIR" "$@"
}

api() {
	curl -sS --unix-socket "$SOCK" -X "$1" "http://x/api/v1$2" \
	    ${3:+--data-binary "$3"}
}

# wait_api PATH PATTERN: polls GET PATH until its body matches PATTERN.
wait_api() {
	local body
	for _ in $(seq 100); do
		body=$(api GET "$1")
		[[ "$body" == $2 ]] && return 0
		sleep 0.05
	done
	echo "GET $1 never matched $2; last: $body" >&2
	cat "$T/agentd.out" >&2
	return 1
}

job() { # NAME SCHEDULE COMMAND
	printf '  - name: %s\n    schedule: "%s"\n    command: "%s"\n' "$@"
}

@test "validate: the job files the man pages show are valid" {
	cd "$T"
	# Each example block, out of roff; the job files start with jobs:.
	awk '/^\.EX$/ { n++; f = FILENAME "." n ".yaml"; sub(".*/", "", f); next }
	    /^\.EE$/ { f = ""; next }
	    f != "" { print > f }' \
	    "$top_srcdir/man/cronq.d.5" "$top_srcdir/man/cronq.1"
	sed -i -e 's/\\-/-/g' -e 's/\\(dq/"/g' -e 's/\\(ga/`/g' *.yaml
	local files=$(awk 'FNR == 1 && /^(jobs|defaults):$/ { print FILENAME }' \
	    *.yaml)
	[ "$(echo $files | wc -w)" -ge 4 ] || { echo "$files"; false; }
	# The sandbox example's user need not exist on this machine.
	sed -i 's/^    user: reports$/    user: root/' $files
	cq validate $files
	assert_status 0
	[[ "$output" == *"warm-cache: next"* ]]
	[[ "$output" == *"nightly-report: next"* ]]
	[[ "$output" == *"send_notifications: next"* ]]
	[[ "$output" == *"report: next"* ]]
}

@test "validate: every YAML trap is an error with file:line:col" {
	cd "$T"
	printf 'jobs:\n  - name: a\n    schedule: */5 * * * *\n    command: x\n' >star.yaml
	printf 'jobs:\n  - name: a\n    schedule: @daily\n    command: x\n' >at.yaml
	printf 'jobs:\n  - name: a\n    schedule: 09:00\n    command: x\n' >sexa.yaml
	printf 'jobs:\n  - name: a\n    schedule: 5\n    command: x\n' >num.yaml
	printf 'jobs:\n  - name: a\n    schedule: "@daily"\n    command: x\n    paused: no\n' >no.yaml
	printf 'jobs:\n  - name: a\n    schedule: "@daily"\n    command: x\n    paused: off\n    enabled: true\n' >off.yaml
	printf 'jobs:\n\t- name: a\n' >tab.yaml
	printf 'jobs:\n  - name: a\n    name: b\n' >dup.yaml
	printf 'jobs:\n  - name: a\n    schedule: "@daily"\n    comand: x\n    timeout: 1:30\n' >typo.yaml
	printf 'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n' >bomb.yaml
	printf 'jobs:\n  - name: a\n    schedule: "0 0 30 2 *"\n    command: x\n' >feb30.yaml
	cq validate star.yaml
	assert_status 5
	assert_lines 'star.yaml:3:15: schedule: quote this value ("*/5 * * * *"): YAML reads a leading * as an alias'
	cq validate at.yaml
	assert_lines 'at.yaml:3:15: schedule: quote this value ("@daily"): YAML reads a leading @ or ` as reserved'
	cq validate sexa.yaml
	assert_lines 'sexa.yaml:3:15: schedule: 09:00 is not a cron expression (YAML 1.1 reads it as a base-60 number); for a daily time write "M H * * *"'
	cq validate num.yaml
	assert_lines 'num.yaml:3:15: schedule: YAML reads 5 as a number, not a cron expression; quote it ("...")'
	cq validate no.yaml
	assert_lines 'no.yaml:5:13: paused: write true or false, not no (YAML 1.1 would read it as a boolean, YAML 1.2 as a string)'
	cq validate off.yaml
	assert_lines 'off.yaml:5:13: paused: write true or false, not off (YAML 1.1 would read it as a boolean, YAML 1.2 as a string)' \
	    'off.yaml:6:5: enabled: unknown field; did you mean paused (paused: false)?'
	cq validate tab.yaml
	assert_lines 'tab.yaml:2:1: yaml: tab used for indentation; YAML allows only spaces'
	cq validate dup.yaml
	assert_lines 'dup.yaml:3:5: name: duplicate key (first at line 2)'
	cq validate typo.yaml
	assert_lines 'typo.yaml:4:5: comand: unknown field; did you mean command?' \
	    'typo.yaml:5:14: timeout: 1:30 is a base-60 number in YAML 1.1; write a duration such as "90s" or "1h30m"'
	cq validate bomb.yaml
	assert_lines 'bomb.yaml:5:5: yaml: the document expands to more than 20000 nodes (aliases?)'
	cq validate feb30.yaml
	assert_lines 'feb30.yaml:3:15: schedule: day-of-month "30" never occurs in February'
	# All of them at once: every file's errors, one exit status.
	cq validate star.yaml no.yaml typo.yaml
	assert_status 5
	[ "${#lines[@]}" -eq 4 ]
	[ "$stderr" = "cronq: 3 of 3 files invalid" ]
}

@test "validate: literal strings, defaults, the shipped examples" {
	cd "$T"
	cat >ok.yaml <<-'EOF'
	defaults:
	  timezone: UTC
	  env: {REGION: NO}
	jobs:
	  - name: plain
	    schedule: 0 0 * * *
	    command: date +%Y
	    env: { DEBUG: yes, PORT: 8080 }
	    limits: {memory: 512M}
	    timeout: 2h30m
	EOF
	cq validate ok.yaml
	assert_status 0
	assert_lines 'ok.yaml: plain: next '"$(date -u -d tomorrow +%Y-%m-%d)"'T00:00:00+00:00'
	cq validate "$top_srcdir"/examples/cronq.d/*.yaml
	assert_status 0
	[[ "$output" == *"schedule_generation: next"* ]]
	[[ "$output" == *"send_notifications: next"* ]]
	[[ "$output" == *"generate_reports: next"* ]]
	[[ "$output" == *"sync_member_data: next"* ]]
	# The literal texts reach the job (through the daemon's own rules).
	start
	cp ok.yaml "$DIR/ok.yaml"
	kill -HUP "$(cat "$T/agentd.pid")"
	wait_api /jobs/plain '*"REGION":"NO"*'
	run api GET /jobs/plain
	[[ "$output" == *'"DEBUG":"yes"'* ]]
	[[ "$output" == *'"PORT":"8080"'* ]]
	[[ "$output" == *'"command":"date +%Y"'* ]]
	[[ "$output" == *'"memory":536870912'* ]]
	[[ "$output" == *'"timeout":9000'* ]]
	[[ "$output" == *"\"origin\":\"$DIR/ok.yaml\""* ]]
}

@test "daemon: a broken edit changes nothing and shows in status" {
	start
	{ echo 'jobs:'; job a "0 1 * * *" "echo one"; } >"$DIR/app.yaml"
	wait_api /jobs/a '*"version":1*'
	# In place, broken: job a keeps running as version 1.
	{ echo 'jobs:'; job a "0 2 * * *" "echo two"; echo '    bogus: 1'; } >"$DIR/app.yaml"
	wait_api /status '*app.yaml:5:5: bogus: unknown field*'
	run api GET /jobs/a
	[[ "$output" == *'"schedules":["0 1 * * *"]'* ]]
	[[ "$output" == *'"version":1'* ]]
	cq status
	[[ "$output" == *"app.yaml:5:5: bogus: unknown field"* ]]
	# Fixed by renaming a new file over it (how editors and CM save).
	{ echo 'jobs:'; job a "0 3 * * *" "echo three"; job b "0 4 * * *" "echo b"; } >"$DIR/.app.yaml.tmp"
	mv "$DIR/.app.yaml.tmp" "$DIR/app.yaml"
	wait_api /jobs/b '*"version":1*'
	run api GET /jobs/a
	[[ "$output" == *'"schedules":["0 3 * * *"]'* ]]
	[[ "$output" == *'"version":2'* ]]
	wait_api /status '*"problems":[]*'
	# The file's change is a version with its diff.
	cq history a
	[[ "$output" == *"by file:$DIR/app.yaml"* ]]
	[[ "$output" == *'schedules: 0 1 * * * -> 0 3 * * *'* ]]
	# A file job is the file's: the API says which file, unless detached.
	run api PATCH /jobs/a '{"timeout":5}'
	[[ "$output" == *"comes from $DIR/app.yaml"* ]]
	run api PATCH '/jobs/b?detach=1' '{"timeout":5}'
	[[ "$output" == *'"origin":"api"'* ]]
	# Removing the file removes its jobs; the detached one stays.
	rm "$DIR/app.yaml"
	wait_api /jobs '*"jobs":[{"name":"b"*'
	run api GET /jobs/a
	[[ "$output" == *'no job named'* ]]
	# ...and a removed job can be restored from its history.
	cq rollback a
	assert_status 0
	run api GET /jobs/a
	[[ "$output" == *'"schedules":["0 3 * * *"]'* ]]
	[[ "$output" == *'"origin":"api"'* ]]
	# history says it came back by a rollback, not as a new job.
	cq history a
	[[ "${lines[0]}" == *rollback* ]] || { echo "$output"; false; }
}

@test "daemon: editor leftovers ignored, unsafe modes refused" {
	start
	{ echo 'jobs:'; job real "@daily" "true"; } >"$DIR/db.example.com.yaml"
	for f in .app.yaml.swp app.yaml~ app.yaml.dpkg-old app.yaml.rpmnew \
	    .hidden.yaml app.yaml.bak notes.txt; do
		{ echo 'jobs:'; job ghost "@daily" "true"; } >"$DIR/$f"
	done
	{ echo 'jobs:'; job loose "@daily" "true"; } >"$DIR/loose.yaml"
	chmod 0666 "$DIR/loose.yaml"
	kill -HUP "$(cat "$T/agentd.pid")"
	wait_api /status '*loose.yaml: refused: mode 0666 is writable by others*'
	run api GET /jobs
	[[ "$output" == *'"name":"real"'* ]]
	[[ "$output" != *'"name":"ghost"'* ]]
	[[ "$output" != *'"name":"loose"'* ]]
	# validate checks the directory as the daemon does.
	cq validate --dir "$DIR"
	assert_status 5
	[[ "$output" == *"$DIR/loose.yaml: refused: mode 0666 is writable by others; chmod go-w $DIR/loose.yaml"* ]]
	[[ "$output" == *"db.example.com.yaml: real: next"* ]]
	[[ "$output" != *ghost* ]]
	chmod 0644 "$DIR/loose.yaml"
	CRONQ_JOBS_DIR="$DIR" cq validate
	assert_status 0
	wait_api /jobs/loose '*"version":1*'
	# Logged once, not on every reload.
	kill -HUP "$(cat "$T/agentd.pid")"
	wait_api /status '*"problems":[]*'
	[ "$(grep -c 'refused: mode 0666' "$T/agentd.out")" -eq 1 ]
}

@test "import: a system crontab read as a user one is pointed out" {
	cd "$T"
	printf '17 * * * * root cd / && run-parts /etc/cron.hourly\n0 3 * * * date\n' >sys.cron
	cq import sys.cron
	assert_status 0
	assert_stderr 'cronq: sys.cron:1: the command starts with "root", a user of this host: if this is a system crontab (with a user column), import it with --system'
	cq import --system sys.cron
	assert_status 0
	[[ "$output" == *'user: "root"'* ]] || { echo "$output"; false; }
}

@test "import: a line that is not a job is quoted whole in its comment" {
	cd "$T"
	printf 'garbage line here\n0 3 * * * echo hi\n' >bad.cron
	cq import bad.cron
	assert_status 0
	assert_stderr 'cronq: bad.cron:1: no command; line skipped'
	grep -qx '  # line 1: not carried over (no command): garbage line here' <<<"$output" ||
		{ echo "$output"; false; }
	[[ "$output" == *'command: "echo hi"'* ]]
}

@test "import: Debian, cronie and system crontabs become valid job files" {
	cd "$T"
	D="$top_srcdir/tests/data/crontabs"
	for f in debian-user cronie-user legacy; do
		cq import "$D/$f.crontab"
		assert_status 0
		printf '%s\n' "$output" >"$f.yaml"
		cq validate "$f.yaml"
		assert_status 0
	done
	cq import --system "$D/system.crontab"
	printf '%s\n' "$output" >system.yaml
	cq validate system.yaml
	assert_status 0
	[ "$(grep -c 'user: "root"' system.yaml)" -eq 4 ]
	grep -q 'user: "www-data"' system.yaml
	grep -q '^  # line [0-9]*: MAILTO=ops@example.com not carried over' debian-user.yaml
	# Inside the jobs list every comment is indented like its items.
	for f in debian-user cronie-user legacy system; do
		[ -z "$(sed '1,/^jobs:$/d' "$f.yaml" | grep '^#')" ]
	done
	grep -q 'schedule: "@reboot"' debian-user.yaml
	grep -q 'BACKUP_DIR: "/srv/backup"' debian-user.yaml
	grep -q 'timezone: "Europe/Berlin"' cronie-user.yaml
	grep -q 'command: "echo 100% done"' cronie-user.yaml
	# BUG-22: \% is a literal %, a bare % starts stdin, the last line
	# without a newline is kept with a warning.
	grep -q 'command: "touch /tmp/stamp-$(date +%Y%m%d)"' legacy.yaml
	grep -q "printf '%s\\\\\\\\n' 'first body line' 'second body line' | (mail -s report ops)" legacy.yaml
	grep -q 'echo last-line' legacy.yaml
	cq import "$D/legacy.crontab"
	[[ "$stderr" == *"legacy.crontab:3: the last line had no newline"* ]]
	[[ "$stderr" == *"legacy.crontab:2: the command was cut at its first unescaped %"* ]]
	# The fed stdin is what cron would have given the command.
	cmd=$(sed -n 's/^    command: "\(printf.*\)"$/\1/p' legacy.yaml | sed 's/\\\\/\\/g; s/(mail -s report ops)/cat/')
	[ "$(sh -c "$cmd")" = "$(printf 'first body line\nsecond body line')" ]
}

@test "edit: scripted editor, errors re-open, one transaction" {
	start
	api POST /jobs '{"name":"a","schedule":"0 1 * * *","command":"echo a"}' >/dev/null
	api POST /jobs '{"name":"b","schedule":"0 2 * * *","command":"echo b"}' >/dev/null
	{ echo 'jobs:'; job fromfile "@daily" "true"; } >"$DIR/f.yaml"
	kill -HUP "$(cat "$T/agentd.pid")"
	wait_api /jobs/fromfile '*"version":1*'
	# Round 1 saves an error; round 2 sees it on top and fixes the file:
	# a changed, b removed, c added.
	cat >"$T/editor" <<-EOS
	#!/bin/sh
	n=\$(cat "$T/rounds" 2>/dev/null || echo 0)
	echo \$((n + 1)) >"$T/rounds"
	cp "\$1" "$T/seen.\$n"
	if [ "\$n" = 0 ]; then
		printf 'jobs:\n  - name: a\n    schedule: */5 * * * *\n' >"\$1"
	else
		printf 'jobs:\n  - name: a\n    schedule: "*/5 * * * *"\n    command: echo a\n  - name: c\n    schedule: "@hourly"\n    command: [echo, c]\n' >"\$1"
	fi
	EOS
	chmod +x "$T/editor"
	EDITOR="$T/editor" VISUAL= cq edit
	assert_status 0
	assert_lines '2 jobs saved, 1 deleted'
	[ "$(cat "$T/rounds")" = 2 ]
	grep -q 'name: "a"' "$T/seen.0"
	grep -q 'name: "b"' "$T/seen.0"
	! grep -q fromfile "$T/seen.0"
	# One error comment on top pushes the key from line 3 to line 4.
	grep -q '^# error: edit.yaml:4:15: schedule: quote this value' "$T/seen.1"
	run api GET /jobs
	[[ "$output" == *'"name":"a"'*'"schedules":["*/5 * * * *"]'* ]]
	[[ "$output" == *'"name":"c"'* ]]
	[[ "$output" != *'"name":"b"'* ]]
	[[ "$output" == *'"name":"fromfile"'* ]]
	# Saving the same errors again gives up with nothing changed.
	printf '#!/bin/sh\nprintf "jobs: [\\n" >"$1"\n' >"$T/editor2"
	chmod +x "$T/editor2"
	EDITOR="$T/editor2" cq edit a
	assert_status 5
	[[ "$stderr" == *"the file still has errors; nothing was changed"* ]]
	# No edit at all: no request.
	EDITOR=true cq edit c
	assert_lines 'no changes'
	# Editing a file's job is refused with the file named.
	EDITOR=true cq edit fromfile
	assert_status 1
	[[ "$stderr" == *"comes from $DIR/f.yaml"* ]]
}

@test "edit: a job without a zone keeps following the daemon's" {
	start
	api POST /jobs '{"name":"z","schedule":"0 1 * * *","command":"echo z"}' >/dev/null
	run api GET /jobs/z
	[[ "$output" == *'"timezone_set":false'* ]]
	# The editor changes the schedule line and nothing else.
	printf '#!/bin/sh\ncp "$1" "%s/seen"\nsed -i "s/0 1 \\* \\* \\*/0 2 * * */" "$1"\n' \
		"$T" >"$T/editor"
	chmod +x "$T/editor"
	EDITOR="$T/editor" VISUAL= cq edit z
	assert_status 0
	! grep -q timezone "$T/seen"
	run api GET /jobs/z
	[[ "$output" == *'"schedules":["0 2 * * *"]'* ]]
	[[ "$output" == *'"timezone_set":false'* ]]
	cq history z
	[[ "$output" != *timezone* ]]
	# A zone of its own is kept, and shown as set.
	api PATCH /jobs/z '{"timezone":"UTC"}' >/dev/null
	EDITOR="$T/editor" VISUAL= cq edit z
	grep -q 'timezone: "UTC"' "$T/seen"
	run api GET /jobs/z
	[[ "$output" == *'"timezone":"UTC"'*'"timezone_set":true'* ]]
}

@test "edit --detach NAME takes over a job from a file" {
	{ echo 'jobs:'; job f "0 1 * * *" "echo f"; } >"$DIR/f.yaml"
	start
	wait_api /jobs/f '*"origin":"/*'
	printf '#!/bin/sh\nsed -i "s/0 1 \\* \\* \\*/0 2 * * */" "$1"\n' >"$T/editor"
	chmod +x "$T/editor"
	EDITOR="$T/editor" VISUAL= cq edit f
	assert_status 1
	assert_stderr "cronq: job \"f\" comes from $DIR/f.yaml: edit that file, or use --detach to take it over"
	EDITOR="$T/editor" VISUAL= cq edit --detach f
	assert_status 0
	wait_api /jobs/f '*"schedules":?"0 2 ? ? ?"?*"origin":"api"*'
}

@test "edit: a change the daemon refuses reopens the editor with its reason" {
	{ echo 'jobs:'; job f "0 1 * * *" "echo f"; } >"$DIR/f.yaml"
	start
	wait_api /jobs/f '*"origin":"/*'
	api POST /jobs '{"name":"a","schedule":"0 1 * * *","command":"echo a"}' >/dev/null
	# Round 0 renames a to f, which the file holds; round 1 sees the
	# daemon's reason and names it g instead.
	cat >"$T/editor" <<-EOS
	#!/bin/sh
	n=\$(cat "$T/rounds" 2>/dev/null || echo 0)
	echo \$((n + 1)) >"$T/rounds"
	cp "\$1" "$T/seen.\$n"
	case \$n in
	0) sed -i 's/name: "a"/name: "f"/' "\$1" ;;
	1) sed -i 's/name: "f"/name: "g"/' "\$1" ;;
	esac
	EOS
	chmod +x "$T/editor"
	EDITOR="$T/editor" VISUAL= cq edit
	assert_status 0
	[ "$(cat "$T/rounds")" = 2 ]
	grep -q "^# error: the daemon refused it: .*f.yaml" "$T/seen.1"
	wait_api /jobs/g '*"command":"echo a"*'
	run api GET /jobs/a
	[[ "$output" == *'no job named'* ]]
	# Saving the refused file unchanged gives up, changing nothing.
	rm "$T/rounds"
	cat >"$T/editor" <<-EOS
	#!/bin/sh
	sed -i 's/name: "g"/name: "f"/' "\$1"
	EOS
	EDITOR="$T/editor" VISUAL= cq edit g
	assert_status 1
	[[ "$stderr" == *'cannot apply the edited jobs: '* ]] || { echo "$stderr"; false; }
	run api GET /jobs/g
	[[ "$output" == *'"version":1'* ]]
}

@test "PUT /jobs: one bad job changes nothing" {
	start
	api POST /jobs '{"name":"a","schedule":"0 1 * * *","command":"echo a"}' >/dev/null
	run api PUT /jobs '{"jobs":[{"name":"a","schedule":"0 9 * * *","command":"x"},{"name":"n","schedule":"61 * * * *","command":"x"}],"delete":[]}'
	[[ "$output" == *'jobs[1]: schedules: minute \"61\" is outside 0..59'* ]]
	run api GET /jobs/a
	[[ "$output" == *'"schedules":["0 1 * * *"]'* ]]
	run api GET /jobs/n
	[[ "$output" == *'no job named'* ]]
	run api PUT /jobs '{"jobs":[{"name":"n","schedule":"0 3 * * *","command":"x"}],"delete":["a"]}'
	[[ "$output" == *'"deleted":["a"]'* ]]
	[[ "$output" == *'"unchanged":0'* ]]
	run api PUT /jobs '{"delete":["zz"]}'
	[[ "$output" == *'delete: no job named \"zz\"'* ]]
}

@test "daemon: a file present at start drives jobs, @reboot included" {
	{ echo 'jobs:'; job boot "@reboot" "echo booted >$T/booted"
	  job later "0 0 1 1 *" "echo later"; } >"$DIR/boot.yaml"
	start
	for _ in $(seq 100); do
		[ -s "$T/booted" ] && break
		sleep 0.05
	done
	[ "$(cat "$T/booted")" = booted ]
	run api GET /jobs/later
	[[ "$output" == *'"next_run":"'*'-01-01T00:00:00Z"'* ]]
	# A file job can still be triggered by hand: it is the file's spec.
	run api POST /jobs/later/trigger
	[[ "$output" == *'"trigger":"manual"'* ]]
}

@test "validate: http, group, labels and notify keys of other job kinds" {
	cat >"$T/ext.yaml" <<'Y'
jobs:
  - name: grouped
    schedule: "*/5 * * * *"
    command: "echo hi"
    group: db-heavy
    labels: [gpu]
    late_after: 30s
    expected_duration: 5m
    notify:
      - kind: webhook
        url: "http://127.0.0.1:9/hook"
        on: [failure, late]
  - name: web
    kind: http
    http:
      url: "https://example.invalid/ping"
      expect_status: [200]
      follow_redirects: true
Y
	run "$CRONQ" validate "$T/ext.yaml"
	[ "$status" -eq 0 ]
	sed -i 's/kind: webhook/kinde: webhook/' "$T/ext.yaml"
	run "$CRONQ" validate "$T/ext.yaml"
	[ "$status" -eq 5 ]
	[[ "$output" == *"ext.yaml:10:9: notify[0].kinde: unknown field; did you mean kind?"* ]]
}

@test "validate and the daemon refuse a user this host does not have" {
	cat >"$DIR/who.yaml" <<'Y'
jobs:
  - name: who
    schedule: "@daily"
    command: id
    user: cronq-no-such-user
Y
	cq validate "$DIR/who.yaml"
	assert_status 5
	assert_lines "$DIR/who.yaml:5:11: user: no user named \"cronq-no-such-user\" on this host"
	start
	wait_api /status '*who.yaml:5:11: user: no user named*'
	run api GET /jobs/who
	[[ "$output" == *'no job named'* ]]
	sed -i "s/cronq-no-such-user/$(id -un)/" "$DIR/who.yaml"
	cq validate "$DIR/who.yaml"
	assert_status 0
	kill -HUP "$(cat "$T/agentd.pid")"
	wait_api /jobs/who '*"version":1*'
}

@test "--detach lets rm, pause, resume and add --replace change a file job" {
	{ echo 'jobs:'; job a "0 0 1 1 *" "echo a"; job b "0 0 1 1 *" "echo b"
	  job c "0 0 1 1 *" "echo c"; } >"$DIR/d.yaml"
	start
	wait_api /jobs/c '*"origin":"/*'
	cq pause a
	assert_status 1
	[[ "$stderr" == *'comes from '*'d.yaml: edit that file, or use --detach'* ]]
	cq pause --detach a
	assert_status 0
	wait_api /jobs/a '*"paused":true*"origin":"api"*'
	# The file still defines a: the conflict shows at once, no reload.
	wait_api /status '*d.yaml:2:11: name: job ?"a?" already exists (from the API)*'
	cq resume a
	assert_status 0
	cq rm b
	assert_status 1
	cq rm --detach b
	assert_status 0
	cq add c -s '0 1 * * *' -- true
	assert_status 1
	assert_stderr "cronq: cannot add job \"c\": job \"c\" already exists (from $DIR/d.yaml) (edit that file, or use --replace --detach to take it over)"
	cq add --detach c -- true
	assert_status 2
	[[ "$stderr" == *'--detach needs --replace'* ]]
	cq add --replace c -s '0 1 * * *' -- true
	assert_status 1
	cq add --replace --detach c -s '0 1 * * *' -- true
	assert_status 0
	wait_api /jobs/c '*"origin":"api"*'
	cq show --detach c
	assert_status 2
}

@test "validate --json: errors with file, line, col and field; next fires" {
	cd "$T"
	{ echo 'jobs:'; job bad "61 * * * *" "true"; } >bad.yaml
	{ echo 'jobs:'; job boot "@reboot" "true"; job d "0 3 * * *" "true"; } \
	    >good.yaml
	cq validate good.yaml
	assert_status 0
	[ "${lines[0]}" = "good.yaml: boot: next at daemon start-up" ]
	{ echo 'jobs:'; job e "@every 5m" "true"; } >every.yaml
	cq validate every.yaml
	assert_lines "every.yaml: e: next one interval after the daemon saves it"
	cq --json validate every.yaml
	[[ "$output" == *'"fires":'*'"interval"'* ]]
	cq --json validate bad.yaml good.yaml
	assert_status 5
	run python3 -c 'import json,sys
o=json.loads(sys.argv[1]); b,g=o["files"]
e=b["errors"][0]
print(o["invalid"], b["valid"], e["file"], e["line"], e["col"], e["field"], e["message"])
print(g["valid"], [(j["name"], j["fires"], j["next"] is None) for j in g["jobs"]])' "$output"
	[ "${lines[0]}" = '1 False bad.yaml 3 15 schedule minute "61" is outside 0..59' ]
	[ "${lines[1]}" = "True [('boot', 'start-up', True), ('d', 'schedule', False)]" ]
}

@test "rm --detach of a file job: the file is refused until it drops the job" {
	{ echo 'jobs:'; job keep "0 0 1 1 *" "echo k"; job gone "0 0 1 1 *" "echo g"; } >"$DIR/r.yaml"
	start
	wait_api /jobs/gone '*"origin":"/*'
	cq rm --detach gone
	assert_status 0
	wait_api /status '*r.yaml:5:11: name: job ?"gone?" was removed with --detach; drop it from this file*'
	# Another reading of the directory does not bring it back.
	{ echo 'jobs:'; job other "0 0 1 1 *" "echo o"; } >"$DIR/o.yaml"
	wait_api /jobs/other '*"origin":"/*'
	run api GET /jobs/gone
	[[ "$output" == *'no job named'* ]]
	# Dropping it from the file clears the record: adding it again later
	# is a new job of the file.
	{ echo 'jobs:'; job keep "0 0 1 1 *" "echo k"; } >"$DIR/r.yaml"
	wait_api /status '*"problems":[]*'
	{ echo 'jobs:'; job keep "0 0 1 1 *" "echo k"; job gone "0 0 1 1 *" "echo g2"; } >"$DIR/r.yaml"
	wait_api /jobs/gone '*"command":"echo g2"*"origin":"/*'
}

@test "validate: every wrong value of a job at once, in file order" {
	cd "$T"
	{ echo 'jobs:'; job a "@daily" "true"
	  printf '    concurrency: sometimes\n    catchup: yes\n    umask: 999\n'
	  printf '    workdir: tmp\n    paused: no\n    max_output: lots\n    jitter: -5s\n'
	  printf '  - name: b\n    kind: htp\n'; } >many.yaml
	cq validate many.yaml
	assert_status 5
	assert_lines 'many.yaml:5:18: concurrency: "sometimes" is not one of allow, forbid, replace' \
	    'many.yaml:6:14: catchup: "yes" is not one of skip, once, all' \
	    'many.yaml:7:12: umask: "999" is not an octal mode 000..777' \
	    'many.yaml:8:14: workdir: expected an absolute path' \
	    'many.yaml:9:13: paused: write true or false, not no (YAML 1.1 would read it as a boolean, YAML 1.2 as a string)' \
	    'many.yaml:10:17: max_output: size "lots" is not like 512, 64K, 512M or 2G' \
	    'many.yaml:11:13: jitter: duration "-5s" is not like 90s, 5m, 2h30m or 1d' \
	    'many.yaml:13:11: kind: "htp" is not command or http'
	# The daemon lists them all too, and keeps none of the file.
	cp many.yaml "$DIR/many.yaml"
	start
	wait_api /status '*many.yaml:13:11: kind*'
	cq status
	[[ "$output" == *"many.yaml:5:18: concurrency"* ]]
	[[ "$output" == *"many.yaml:11:13: jitter"* ]]
	run api GET /jobs/a
	[[ "$output" == *'"error"'* ]]
}

@test "validate: notify on names the bad event at its line, takes one event alone" {
	cd "$T"
	{ echo 'jobs:'; job a "@daily" "true"
	  printf '    notify:\n      - kind: webhook\n        url: http://127.0.0.1:9/h\n'
	  printf '        on: [failure, explode]\n'; } >on.yaml
	cq validate on.yaml
	assert_status 5
	assert_lines 'on.yaml:8:13: notify[0].on: unknown event "explode"; expected failure, success, missed, late or long_running'
	sed -i 's/on: .*/on: yes/' on.yaml
	cq validate on.yaml
	assert_status 5
	assert_lines 'on.yaml:8:13: notify[0].on: yes is a boolean in YAML 1.1, not an event; write one of failure, success, missed, late or long_running'
	sed -i 's/on: .*/on: late/' on.yaml
	cq validate on.yaml
	assert_status 0
	# The daemon keeps the one event as a list of one.
	cp on.yaml "$DIR/on.yaml"
	start
	wait_api /jobs/a '*"on":\["late"\]*'
}

# Fails unless each "# error: edit.yaml:L:C: KEY: ..." comment atop file
# $1 points at KEY in that same file, and there are $2 of them.
errors_point_at_keys() {
	python3 - "$1" "$2" <<-'EOP'
	import re, sys
	lines = open(sys.argv[1]).read().split("\n")
	errs = [m for m in (re.match(r"# error: edit\.yaml:(\d+):(\d+): ([a-z_]+):", l) for l in lines) if m]
	assert len(errs) == int(sys.argv[2]), lines
	for m in errs:
	    line, col, key = int(m[1]), int(m[2]), m[3]
	    assert lines[line - 1][col - 1:].startswith(key + ":"), (m[0], lines[line - 1])
	EOP
}

@test "edit: error comments give positions in the file the editor shows" {
	start
	api POST /jobs '{"name":"a","schedule":"0 1 * * *","command":"echo a"}' >/dev/null
	# Round 0 writes two errors, round 1 keeps the file (comments and
	# all) and fixes one, round 2 sees the other, round 3 gives up.
	cat >"$T/editor" <<-EOS
	#!/bin/sh
	n=\$(cat "$T/rounds" 2>/dev/null || echo 0)
	echo \$((n + 1)) >"$T/rounds"
	cp "\$1" "$T/seen.\$n"
	case \$n in
	0) printf 'jobs:\n  - name: a\n    schedul: "0 1 * * *"\n    command: echo a\n  - name: b\n    command: echo b\n    timout: 5\n' >"\$1" ;;
	1) sed -i 's/schedul:/schedule:/' "\$1" ;;
	esac
	EOS
	chmod +x "$T/editor"
	EDITOR="$T/editor" VISUAL= cq edit a
	assert_status 5
	[ "$(cat "$T/rounds")" = 3 ]
	errors_point_at_keys "$T/seen.1" 2
	errors_point_at_keys "$T/seen.2" 1
	grep -q '^# error: edit.yaml:8:5: timout: ' "$T/seen.2"
	# The give-up lines carry the positions of the file last shown.
	assert_stderr "$(printf '%s\n' \
	    "cronq: $(sed -n 's/^# error: //p' "$T/seen.2")" \
	    'cronq: the file still has errors; nothing was changed')"
}

@test "edit: an editor that fails or is missing exits 1, changing nothing" {
	start
	api POST /jobs '{"name":"a","schedule":"0 1 * * *","command":"echo a"}' >/dev/null
	EDITOR=false VISUAL= cq edit a
	assert_status 1
	assert_stderr 'cronq: the editor "false" exited with status 1; nothing was changed'
	EDITOR="$T/no-such-editor" VISUAL= cq edit a
	assert_status 1
	[[ "$stderr" == *$'\n''cronq: cannot run the editor "'"$T"'/no-such-editor"; nothing was changed' ]] || { echo "$stderr"; false; }
	run api GET /jobs/a
	[[ "$output" == *'"version":1'* ]]
}

@test "status lists every name conflict of a file, each to drop or rename" {
	{ echo 'jobs:'; job a "0 0 1 1 *" "echo a"; job b "0 0 1 1 *" "echo b"
	  job c "0 0 1 1 *" "echo c"; } >"$DIR/two.yaml"
	start
	wait_api /jobs/c '*"origin":"/*'
	cq add --replace --detach a -s '0 1 * * *' -- true
	assert_status 0
	cq rm --detach c
	assert_status 0
	wait_api /status '*two.yaml:8:11: name: job ?"c?" was removed*'
	cq status
	assert_status 0
	local p=$(printf '%s\n' "$output" | grep -F "$DIR/two.yaml:")
	[ "$p" = "$(printf '  %s\n' \
	    "$DIR/two.yaml:2:11: name: job \"a\" already exists (from the API); drop it from this file or rename one of them" \
	    "$DIR/two.yaml:8:11: name: job \"c\" was removed with --detach; drop it from this file")" ] ||
	    { echo "$output"; false; }
	# b is still the file's, untouched while the file is refused.
	run api GET /jobs/b
	[[ "$output" == *'"origin":"/'* ]]
	{ echo 'jobs:'; job b "0 0 1 1 *" "echo b"; } >"$DIR/two.yaml"
	wait_api /status '*"problems":[]*'
}

@test "validate: defaults' errors come once, and every job is still checked" {
	cd "$T"
	printf 'defaults:\n  paused: no\n  timeout: 5x\njobs:\n  - name: a\n    command: x\n  - name: b\n    command: x\n    timeout: 1m\n    catchup: never\n' >d.yaml
	cq validate d.yaml
	assert_status 5
	assert_lines \
	    'd.yaml:2:11: defaults.paused: write true or false, not no (YAML 1.1 would read it as a boolean, YAML 1.2 as a string)' \
	    'd.yaml:3:12: defaults.timeout: duration "5x" is not like 90s, 5m, 2h30m or 1d' \
	    'd.yaml:10:14: catchup: "never" is not one of skip, once, all'
	# A default no job uses is still wrong.
	printf 'defaults:\n  timeout: 5x\njobs: []\n' >unused.yaml
	cq validate unused.yaml
	assert_status 5
	assert_lines 'unused.yaml:2:12: defaults.timeout: duration "5x" is not like 90s, 5m, 2h30m or 1d'
}

@test "validate: a missing user and a name used twice show beside other errors" {
	cd "$T"
	printf 'jobs:\n  - name: a\n    command: x\n    user: cronq-no-such-user\n    timeout: 2q\n  - name: a\n    command: x\n' >u.yaml
	cq validate u.yaml
	assert_status 5
	assert_lines \
	    'u.yaml:4:11: user: no user named "cronq-no-such-user" on this host' \
	    'u.yaml:5:14: timeout: duration "2q" is not like 90s, 5m, 2h30m or 1d' \
	    'u.yaml:6:11: name: job "a" is defined twice in this file'
}

@test "validate --dir: a name an earlier file defines is refused, as the daemon does" {
	{ echo 'jobs:'; job a "@reboot" "echo 1"; } >"$DIR/a1.yaml"
	{ echo 'jobs:'; job a "@reboot" "echo 2"; } >"$DIR/a2.yaml"
	cq validate --dir "$DIR"
	assert_status 5
	assert_lines \
	    "$DIR/a1.yaml: a: next at daemon start-up" \
	    "$DIR/a2.yaml:2:11: name: job \"a\" already exists (from $DIR/a1.yaml); drop it from this file or rename one of them"
	[ "$stderr" = 'cronq: 1 of 2 files invalid' ]
	# The name's place is known, so --json gives its line and column.
	cq --json validate --dir "$DIR"
	run python3 -c 'import json,sys
e=json.loads(sys.argv[1])["files"][1]["errors"][0]
print(e["line"], e["col"], e["field"])' "$output"
	[ "$output" = "2 11 name" ]
	start
	wait_api /status "*a2.yaml:2:11: name: job ?\"a?\" already exists (from $DIR/a1.yaml); drop it from this file or rename one of them*"
	# Files named on the command line are checked one by one.
	cq validate "$DIR/a1.yaml" "$DIR/a2.yaml"
	assert_status 0
	# A directory named as a file points at --dir.
	cq validate "$DIR"
	assert_status 5
	assert_lines "$DIR: is a directory; cronq validate --dir $DIR checks the files in it as the daemon reads them"
}

@test "validate: schedule: beside an empty schedules: [] is that one schedule" {
	cd "$T"
	printf 'jobs:\n  - name: m\n    schedules: []\n    schedule: "@reboot"\n    command: x\n' >m.yaml
	cq validate m.yaml
	assert_status 0
	assert_lines 'm.yaml: m: next at daemon start-up'
	# With the rule's fields right or not, one mistake is one error.
	printf 'jobs:\n  - name: m\n    schedule: "61 * * * *"\n    schedules: []\n    command: x\n' >bad.yaml
	cq validate bad.yaml
	assert_status 5
	assert_lines 'bad.yaml:3:15: schedule: minute "61" is outside 0..59'
}

@test "a jobs directory made after the daemon started is watched at once" {
	rmdir "$DIR"
	start
	mkdir "$DIR"
	{ echo 'jobs:'; job late "0 0 1 1 *" "echo late"; } >"$DIR/late.yaml"
	wait_api /jobs/late '*"origin":"/*'
	# Removed and made again: still watched, without a SIGHUP.
	rm -r "$DIR"
	wait_api /jobs/late '*no job named*'
	mkdir "$DIR"
	{ echo 'jobs:'; job again "0 0 1 1 *" "echo again"; } >"$DIR/again.yaml"
	wait_api /jobs/again '*"origin":"/*'
}

@test "edit: notification targets come back as a list of maps and stay" {
	start
	api POST /jobs '{"name":"n","command":"true","notify":[
	    {"kind":"webhook","url":"http://127.0.0.1:1/hook","on":["failure","late"]},
	    {"kind":"command","command":"logger done","retries":1}]}' >/dev/null
	# Saved unchanged: nothing to do, where the file once failed its check.
	EDITOR=true cq edit n
	assert_status 0
	assert_lines 'no changes'
	# A change inside the second target lands and keeps the first.
	printf '#!/bin/sh\ncp "$1" "%s/seen"\nsed -i "s/retries: 1/retries: 3/" "$1"\n' \
		"$T" >"$T/editor"
	chmod +x "$T/editor"
	EDITOR="$T/editor" VISUAL= cq edit n
	assert_status 0
	grep -q '^      - kind: "webhook"$' "$T/seen"
	run api GET /jobs/n
	python3 -c 'import json, sys
n = json.loads(sys.argv[1])["notify"]
assert [(t["kind"], t["retries"]) for t in n] == [("webhook", 2), ("command", 3)], n
assert n[0]["on"] == ["failure", "late"], n' "$output"
}

@test "a job file renamed with mv keeps its jobs, ids and runs" {
	start
	{ echo 'jobs:'; job keep "0 1 * * *" "echo kept"; } >"$DIR/r1.yaml"
	wait_api /jobs/keep '*"version":1*'
	id=$(api GET /jobs/keep | jq .id)
	"$CRONQ" trigger --wait keep >/dev/null
	mv "$DIR/r1.yaml" "$DIR/r0.yaml"
	wait_api /jobs/keep "*\"origin\":\"$DIR/r0.yaml\"*"
	[ "$(api GET /jobs/keep | jq .id)" = "$id" ]
	[ "$(api GET /jobs/keep | jq -r .last_run.state)" = succeeded ]
	wait_api /status '*"problems":[]*'
	cq history keep
	[[ "${lines[0]}" == "version 2 "*" by file:$DIR/r0.yaml  file" ]] || { echo "$output"; false; }
	[ "${lines[1]}" = "  (moved to this file)" ]
	# Into a file that already holds jobs, and to a name that sorts after.
	{ echo 'jobs:'; job other "0 2 * * *" "echo other"; } >"$DIR/z.yaml"
	wait_api /jobs/other '*"version":1*'
	{ echo 'jobs:'; job other "0 2 * * *" "echo other"; job keep "0 1 * * *" "echo kept"; } >"$DIR/z.yaml.new"
	# Whether the daemon reads these two changes apart or together.
	mv "$DIR/z.yaml.new" "$DIR/z.yaml"
	rm "$DIR/r0.yaml"
	wait_api /jobs/keep "*\"origin\":\"$DIR/z.yaml\"*"
	[ "$(api GET /jobs/keep | jq .id)" = "$id" ]
	wait_api /status '*"problems":[]*'
	# Cut from a file that stays and pasted into another, in one change,
	# either way round in name order.
	for to in a.yaml zz.yaml; do
		from=$(api GET /jobs/keep | jq -r .origin)
		{ echo 'jobs:'; job keep "0 1 * * *" "echo kept"; } >"$T/$to"
		if [ "$from" = "$DIR/z.yaml" ]; then
			{ echo 'jobs:'; job other "0 2 * * *" "echo other"; } >"$T/rest"
		else
			echo 'jobs: []' >"$T/rest"
		fi
		# Pasted first: read apart, the paste waits for the cut.
		mv "$T/$to" "$DIR/$to"
		mv "$T/rest" "$from"
		wait_api /jobs/keep "*\"origin\":\"$DIR/$to\"*"
		[ "$(api GET /jobs/keep | jq .id)" = "$id" ]
		wait_api /status '*"problems":[]*'
	done
	cq history keep
	[[ "$output" != *"delete"* ]] || { echo "$output"; false; }
	[ "$(grep -c ' create$' <<<"$output")" = 1 ] || { echo "$output"; false; }
}

@test "daemon: a file job the API would refuse is refused, the file named" {
	start
	{ echo 'jobs:'; job fine "0 1 * * *" "true"; } >"$DIR/a.yaml"
	{ echo 'jobs:'; job sc "0 1 * * *" "true"
	  echo '    sandbox: {seccomp: {deny: [nosuchcall]}}'; } >"$DIR/b.yaml"
	wait_api /status "*$DIR/b.yaml: job *sc*: sandbox.seccomp.deny*"
	[ "$(api GET /status | jq -r '.problems[]')" = "$DIR/b.yaml: job \"sc\": sandbox.seccomp.deny: no system call named \"nosuchcall\"" ]
	wait_api /jobs/fine '*"version":1*'
	run api GET /jobs/sc
	[[ "$output" == *'no job named'* ]]

	# A daemon that is not root cannot run a file's job as root.
	[ "$(id -u)" = 0 ] || skip "needs root to run a daemon as another user"
	d=$(mktemp -d /tmp/cronq-nobody.XXXXXX)
	chmod 711 "$d"
	mkdir "$d/jobs" "$d/st"
	{ echo 'jobs:'; job asroot "0 1 * * *" "id"; echo '    user: root'; } >"$d/jobs/j.yaml"
	chown -R nobody "$d/jobs" "$d/st"
	runuser -u nobody -- "$CRONQ_AGENTD" --state-dir "$d/st" \
	    --socket "$d/st/s.sock" --jobs-dir "$d/jobs"
	run curl -sS --unix-socket "$d/st/s.sock" http://x/api/v1/status
	kill "$(cat "$d/st/agentd.pid")"
	rm -rf "$d"
	[ "$(jq -r '.problems[]' <<<"$output")" = "$d/jobs/j.yaml: job \"asroot\": user: jobs of uid 65534 run as that uid, not as \"root\"" ] || { echo "$output"; false; }
}

@test "edit: an admin edits its own jobs, not other users'" {
	[ "$(id -u)" = 0 ] || skip "needs root to act as another user"
	# A socket another user can reach: bats's own directories are 0700.
	pub=$(mktemp -d /tmp/cronq-edit.XXXXXX)
	chmod 755 "$pub"
	SOCK="$pub/s.sock"
	export CRONQ_SOCKET="$SOCK"
	start
	api POST /jobs '{"name":"mine","command":"echo root"}' >/dev/null
	runuser -u nobody -- env CRONQ_SOCKET="$SOCK" "$CRONQ" add theirs \
	    --workdir /tmp -- echo nobody
	cat >"$T/editor" <<-EOS
	#!/bin/sh
	cp "\$1" "$T/seen"
	sed -i 's/echo root/echo changed/' "\$1"
	EOS
	chmod +x "$T/editor"
	EDITOR="$T/editor" VISUAL= cq edit
	assert_status 0
	assert_lines '1 job saved, 0 deleted'
	grep -q 'name: "mine"' "$T/seen"
	! grep -q theirs "$T/seen"
	# Theirs is untouched, and not copied to root.
	[ "$(api GET /jobs | jq -c '[.jobs[] | [.name, .owner]]')" = '[["mine",0],["theirs",65534]]' ]
	# ls names the owners when it lists more than one's.
	cq ls
	[[ "${lines[0]}" =~ ^NEXT\ .*\ JOB\ +OWNER\ +SCHEDULE$ ]]
	[[ "${lines[1]}" =~ \ mine\ +root\ +manual$ ]]
	[[ "${lines[2]}" =~ \ theirs\ +nobody\ +manual$ ]]
	run runuser -u nobody -- env CRONQ_SOCKET="$SOCK" "$CRONQ" ls
	[[ "${lines[0]}" =~ ^NEXT\ .*\ JOB\ +SCHEDULE$ ]]
	EDITOR="$T/editor" VISUAL= cq edit theirs
	assert_status 1
	assert_stderr 'cronq: no job named "theirs" among your jobs (cronq edit changes only your own)'
	agentd_stop
	rm -rf "$pub"
}

@test "edit: a job changed while the editor was open is not overwritten" {
	start
	api POST /jobs '{"name":"a","schedule":"0 1 * * *","command":"echo a"}' >/dev/null
	api POST /jobs '{"name":"b","schedule":"0 2 * * *","command":"echo b"}' >/dev/null
	# While the editor is open someone replaces a; the edit changes a's
	# schedule and removes b, and saving it unchanged then gives up.
	cat >"$T/editor" <<-EOS
	#!/bin/sh
	n=\$(cat "$T/rounds" 2>/dev/null || echo 0)
	echo \$((n + 1)) >"$T/rounds"
	cp "\$1" "$T/seen.\$n"
	if [ "\$n" = 0 ]; then
		CRONQ_SOCKET="$SOCK" "$CRONQ" add --replace a -s '0 1 * * *' -- echo other
		sed -i 's/0 1 \* \* \*/0 3 * * */' "\$1"
		sed -i '/name: "b"/,\$d' "\$1"
	fi
	EOS
	chmod +x "$T/editor"
	EDITOR="$T/editor" VISUAL= cq edit
	assert_status 1
	grep -q '^# error: the daemon refused it: job "a" changed since it was read (version 1, now 2); read the jobs again' "$T/seen.1"
	# Nothing of the edit went in: the other change stands, b is there.
	run api GET /jobs/a
	[[ "$output" == *'"command":["echo","other"]'* ]] || { echo "$output"; false; }
	[[ "$output" == *'"schedules":["0 1 * * *"]'* ]]
	wait_api /jobs/b '*"version":1*'
	# A name made meanwhile is a conflict too, not a silent replace.
	run api PUT /jobs '{"jobs":[{"name":"c","command":"true"}],"versions":{"c":0}}'
	[[ "$output" == *'"version":1'* ]]
	run api PUT /jobs '{"jobs":[{"name":"c","command":"false"}],"versions":{"c":0}}'
	[[ "$output" == *'job \"c\" was made (version 1) since the jobs were read; read them again'* ]] || { echo "$output"; false; }
	# ...and so is one removed meanwhile, which the save would bring back.
	api DELETE /jobs/c >/dev/null
	run api PUT /jobs '{"jobs":[{"name":"c","command":"false"}],"versions":{"c":1}}'
	[[ "$output" == *'job \"c\" was removed since it was read; read the jobs again'* ]] || { echo "$output"; false; }
	run api GET /jobs/c
	[[ "$output" == *'no job named'* ]]
	# versions must map names to version numbers.
	run api PUT /jobs '{"jobs":[],"versions":{"c":"1"}}'
	[[ "$output" == *'versions: \"c\": expected a version number (0: no such job)'* ]] || { echo "$output"; false; }
	run api PUT /jobs '{"jobs":[],"versions":[1]}'
	[[ "$output" == *'versions: expected an object of job name: version'* ]] || { echo "$output"; false; }
}
