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
