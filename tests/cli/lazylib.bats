#!/usr/bin/env bats
# libcurl, librabbitmq and libjwt are loaded by cronq-agentd when a feature
# needs them (agentd/dlib.c), not linked: /proc/PID/maps of the real daemon
# shows which are mapped. Broken copies of a library, found first through
# LD_LIBRARY_PATH, show what happens when one cannot be loaded.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	T=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/lazylib.XXXXXX")
	SOCK="$T/agentd.sock"
	DB="$T/state/cronq.db"
	: "${CRONQ_AGENTD:=${top_builddir:-.}/cronq-agentd}"
	mkdir -m 700 "$T/state"
}

teardown() {
	agentd_stop KILL
}

api() {
	curl -sS --unix-socket "$SOCK" -X "$1" "http://x/api/v1$2" \
	    ${3:+--data-binary "$3"}
}

# mapped: which of the three the daemon has mapped (libcurl, ...), one a
# line.
mapped() {
	grep -oE '/lib(curl|rabbitmq|jwt)\.so' \
	    "/proc/$(cat "$T/agentd.pid")/maps" | sed 's|^/||; s|\.so$||' |
	    sort -u
}

@test "cronq-agentd links none of libcurl, librabbitmq, libjwt" {
	run ldd "$CRONQ_AGENTD"
	[ "$status" -eq 0 ]
	[[ "$output" != *libcurl* ]]
	[[ "$output" != *librabbitmq* ]]
	[[ "$output" != *libjwt* ]]
	[[ "$output" != *libcrypto* ]]
}

@test "command runs map none of the three; the first http job maps libcurl" {
	agentd_start
	api POST /jobs '{"name":"cmd","command":["/bin/true"]}' >/dev/null
	api POST /jobs/cmd/trigger >/dev/null
	wait_for "SELECT state FROM runs WHERE job = 'cmd'" succeeded
	[ -z "$(mapped)" ]

	# Nothing listens on port 1: the run fails, but libcurl did the work.
	api POST /jobs '{"name":"web","kind":"http","http":{"url":"http://127.0.0.1:1/"}}' >/dev/null
	api POST /jobs/web/trigger >/dev/null
	wait_for "SELECT state FROM runs WHERE job = 'web'" failed
	[[ "$(sql "SELECT message FROM runs WHERE job = 'web'")" == *onnect* ]]
	[ "$(mapped)" = libcurl ]
}

@test "a jwt issuer in agentd.yaml maps libjwt at start" {
	printf 'sekrit\n' >"$T/hs.secret"
	chmod 600 "$T/hs.secret"
	printf 'auth:\n  jwt: {issuer: i, audience: a, algorithm: HS256, secret_file: %s}\n' \
	    "$T/hs.secret" >"$T/agentd.yaml"
	agentd_start --config "$T/agentd.yaml"
	[ "$(mapped)" = libjwt ]
}

@test "a library that cannot be loaded: jwt and amqp refused, http runs fail" {
	mkdir "$T/lib"
	echo 'not a library' >"$T/lib/libjwt.so.0"
	echo 'not a library' >"$T/lib/libcurl.so.4"
	printf 'sekrit\n' >"$T/hs.secret"
	chmod 600 "$T/hs.secret"
	printf 'auth:\n  jwt: {issuer: i, audience: a, algorithm: HS256, secret_file: %s}\n' \
	    "$T/hs.secret" >"$T/agentd.yaml"
	run -1 env LD_LIBRARY_PATH="$T/lib" "$CRONQ_AGENTD" -f \
	    --state-dir "$T/state" --socket "$SOCK" --config "$T/agentd.yaml"
	[[ "$output" == *"agentd.yaml:2:8: jwt: cannot load libjwt: $T/lib/libjwt.so.0: file too short (install the Debian package libjwt0)"* ]]

	# The amqp backend fails start-up before it tries the broker.
	echo 'not a library' >"$T/lib/librabbitmq.so.4"
	printf 'queue: {backend: amqp, url: "amqp://127.0.0.1:1/"}\n' \
	    >"$T/amqp.yaml"
	run -1 env LD_LIBRARY_PATH="$T/lib" "$CRONQ_AGENTD" -f \
	    --state-dir "$T/state" --socket "$SOCK" --config "$T/amqp.yaml"
	[ "$output" = "cronq-agentd: cannot load librabbitmq: $T/lib/librabbitmq.so.4: file too short (install the Debian package librabbitmq4)" ]

	# Without jwt the daemon runs; http runs fail with the reason, which
	# the curl subsystem logs once. (Only the daemon gets LD_LIBRARY_PATH: the test's
	# curl would find the broken libcurl too.)
	LD_LIBRARY_PATH="$T/lib" agentd_launch
	agentd_wait
	api POST /jobs '{"name":"web","kind":"http","http":{"url":"http://127.0.0.1:1/"}}' >/dev/null
	api POST /jobs/web/trigger >/dev/null
	wait_for "SELECT count(*) FROM runs WHERE job = 'web' AND state = 'failed'" 1
	api POST /jobs/web/trigger >/dev/null
	wait_for "SELECT count(*) FROM runs WHERE job = 'web' AND state = 'failed'" 2
	[ "$(sql "SELECT DISTINCT message FROM runs WHERE job = 'web'")" = \
	    "cannot load libcurl: $T/lib/libcurl.so.4: file too short (install the Debian package libcurl4)" ]
	[ "$(grep -c 'warning curl: cannot load libcurl' "$T/agentd.out")" = 1 ]
	[ -z "$(mapped)" ]
}

@test "a library without a function the daemon calls is refused by name" {
	command -v "${CC:-cc}" >/dev/null || skip "needs a C compiler"
	mkdir "$T/lib"
	"${CC:-cc}" -shared -o "$T/lib/libjwt.so.0" -x c /dev/null
	printf 'sekrit\n' >"$T/hs.secret"
	chmod 600 "$T/hs.secret"
	printf 'auth:\n  jwt: {issuer: i, audience: a, algorithm: HS256, secret_file: %s}\n' \
	    "$T/hs.secret" >"$T/agentd.yaml"
	run -1 env LD_LIBRARY_PATH="$T/lib" "$CRONQ_AGENTD" -f \
	    --state-dir "$T/state" --socket "$SOCK" --config "$T/agentd.yaml"
	[[ "$output" == *"jwt: cannot load libjwt.so.0: it has no function jwt_alg_str (install a current Debian package libjwt0)"* ]]
}
