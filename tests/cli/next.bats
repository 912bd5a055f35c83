#!/usr/bin/env bats
# cronq next: the command-line surface (exact stdout, exit status and the
# stderr line). The engine's own cases live in tests/unit/test-cronexpr.c.

load helpers

@test "next: one time by default, UTC offset as +00:00" {
	cq next --tz UTC --from 2024-01-01T00:00:00Z '*/5 * * * *'
	assert_status 0
	assert_lines 2024-01-01T00:05:00+00:00
	assert_stderr ""
}

@test "next: -n prints N times, expression as several words" {
	cq next --tz UTC --from 2024-01-01T00:00:00Z -n 3 0 2 '*' '*' '*'
	assert_status 0
	assert_lines 2024-01-01T02:00:00+00:00 2024-01-02T02:00:00+00:00 \
	    2024-01-03T02:00:00+00:00
}

@test "next: options may follow the expression, --count is -n" {
	cq next '0 2 * * *' --tz Europe/Berlin \
	    --from 2023-10-28T12:00:00+02:00 --count 3
	assert_status 0
	assert_lines 2023-10-29T02:00:00+02:00 2023-10-30T02:00:00+01:00 \
	    2023-10-31T02:00:00+01:00
}

@test "next: --from without offset is wall time in the zone" {
	cq next --tz America/Los_Angeles --from 2025-03-08T12:00 -n 2 \
	    '0 2 * * *'
	assert_status 0
	assert_lines 2025-03-09T03:00:00-07:00 2025-03-10T02:00:00-07:00
}

@test "next: hourly across the New York spring change (BUG-04)" {
	cq next --tz America/New_York --from 2022-03-12T22:00:30-05:00 -n 5 \
	    '0 * * * *'
	assert_status 0
	assert_lines 2022-03-12T23:00:00-05:00 2022-03-13T00:00:00-05:00 \
	    2022-03-13T01:00:00-05:00 2022-03-13T03:00:00-04:00 \
	    2022-03-13T04:00:00-04:00
}

@test "next: --explain marks moved and repeated times" {
	cq next --explain --tz America/New_York \
	    --from 2024-03-09T12:00:00-05:00 -n 2 '30 2 * * *'
	assert_status 0
	assert_lines \
	    "2024-03-10T03:00:00-04:00  # moved: 02:30 does not exist (clock change)" \
	    2024-03-11T02:30:00-04:00
	# Two times of the gap become one run: both are named.
	cq next --explain --tz America/New_York \
	    --from 2024-03-09T12:00:00-05:00 -n 1 '0,30 2 * * *'
	assert_lines \
	    "2024-03-10T03:00:00-04:00  # moved: 02:00, 02:30 do not exist (clock change)"
	# An interval expression passes over the gap, and says which times.
	cq next --explain --tz America/New_York \
	    --from 2024-03-10T01:30:00-05:00 -n 2 '*/30 * * * *'
	assert_lines \
	    "2024-03-10T03:00:00-04:00  # skipped before this: 02:00, 02:30 do not exist (clock change)" \
	    2024-03-10T03:30:00-04:00
	cq next --explain --tz America/New_York \
	    --from 2024-11-03T00:50:00-04:00 -n 3 '*/30 1 * * *'
	assert_status 0
	assert_lines \
	    "2024-11-03T01:00:00-04:00  # repeated hour: first pass" \
	    "2024-11-03T01:30:00-04:00  # repeated hour: first pass" \
	    "2024-11-03T01:00:00-05:00  # repeated hour: second pass"
}

@test "next: -- lets an expression start with a dash (then rejects it)" {
	cq next --tz UTC --from 2024-01-01T00:00:00Z -- '-1-5 * * * *'
	assert_status 1
	assert_lines ""
	assert_stderr 'cronq: next: minute "-1-5" starts with "-"'
}

@test "next: a bad expression exits 1 with one line naming the field" {
	cq next --tz UTC '61 * * * *'
	assert_status 1
	assert_stderr 'cronq: next: minute "61" is outside 0..59'
	cq next --tz UTC '0 0 30 2 *'
	assert_status 1
	assert_stderr 'cronq: next: day-of-month "30" never occurs in February'
	cq next --tz UTC '0 0 31 4,6,9,11 *'
	assert_status 1
	assert_stderr 'cronq: next: day-of-month "31" never occurs in April, June, September or November'
}

@test "next: one word that is no expression says next wants no job name" {
	cq next --tz UTC six
	assert_status 1
	assert_stderr 'cronq: next: expected 5 fields (minute hour day-of-month month day-of-week) or 6 with leading seconds, got 1 in "six"; cronq next takes a cron expression, not a job name'
	# Not for a word that is no name, nor for several words.
	cq next --tz UTC '*/5'
	assert_status 1
	[[ "$stderr" != *"job name"* ]]
	cq next --tz UTC six seven
	assert_status 1
	[[ "$stderr" != *"job name"* ]]
}

@test "next: @every and @reboot have no calendar" {
	cq next --tz UTC '@every 5m'
	assert_status 1
	assert_lines ""
	assert_stderr 'cronq: next: "@every 5m" has no calendar: it fires every 5m after the job'"'"'s previous run'
	cq next --tz UTC '@reboot'
	assert_status 1
	assert_stderr 'cronq: next: "@reboot" has no calendar: it fires once at daemon start-up'
}

@test "next: unknown zone and bad --from exit 1" {
	cq next --tz Europe/Berln '* * * * *'
	assert_status 1
	[[ "$stderr" == 'cronq: next: '*'"Europe/Berln"'* ]]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	cq next --tz UTC --from yesterday '* * * * *'
	assert_status 1
	assert_stderr 'cronq: next: --from: time "yesterday" is not a valid RFC 3339 time (2025-03-09T01:58:00-08:00, or without an offset as wall time)'
}

@test "next: usage errors exit 2 with the synopsis" {
	local usage='usage: cronq next [--explain] [--tz ZONE] [--from TIME] [-n N] [--] EXPRESSION'

	cq next
	assert_status 2
	assert_stderr "cronq: next: missing expression
$usage"
	cq next -n 0 '* * * * *'
	assert_status 2
	assert_stderr "cronq: next: -n \"0\" is not a count from 1 to 100000
$usage"
	cq next --bogus '* * * * *'
	assert_status 2
	assert_stderr "cronq: next: unknown option \"--bogus\"
$usage"
	cq next '* * * * *' --tz
	assert_status 2
	assert_stderr "cronq: next: --tz needs a value
$usage"
}

@test "next: --help and cronq help next print the usage on stdout" {
	cq next --help
	assert_status 0
	assert_lines 'usage: cronq next [--explain] [--tz ZONE] [--from TIME] [-n N] [--] EXPRESSION' \
	    'the expression syntax is in cronq.d(5), section CRON EXPRESSIONS'
	cq help next
	assert_status 0
	[[ "$output" == *$'\nthe expression syntax is in cronq.d(5), section CRON EXPRESSIONS' ]]
	# The section exists where it says.
	grep -q '^\.SH CRON EXPRESSIONS' "${top_srcdir:-$BATS_TEST_DIRNAME/../..}/man/cronq.d.5"
}

@test "next: without --from it starts now and prints a future time" {
	cq next --tz UTC '* * * * *'
	assert_status 0
	now=$(date -u +%s)
	got=$(date -u -d "$output" +%s)
	[ "$got" -gt "$now" ] && [ "$got" -le $((now + 60)) ]
}

@test "next: the system zone is the default" {
	TZDIR= run env -u TZ "$CRONQ" next --from 2024-01-01T00:00:00Z '0 0 1 1 *'
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^2025-01-01T00:00:00[+-][0-9][0-9]:[0-9][0-9]$ ]] ||
	    [[ "$output" =~ ^2024-01-01T00:00:00[+-][0-9][0-9]:[0-9][0-9]$ ]]
}

@test "next --json: an array of times with their notes" {
	cq --json next --tz Europe/Berlin --from 2026-03-29T00:00:00Z -n 2 \
	    '30 2 * * *'
	assert_status 0
	run python3 -c 'import json,sys
a=json.loads(sys.argv[1])
print(a[0]["time"], a[0]["notes"][0]); print(a[1]["time"], len(a[1]["notes"]))' "$output"
	[ "${lines[0]}" = "2026-03-29T03:00:00+02:00 moved: 02:30 does not exist (clock change)" ]
	[ "${lines[1]}" = "2026-03-30T02:30:00+02:00 0" ]
}

@test "next: a rejected expression or zone is exit 1 with one line" {
	cq next '61 * * * *'
	assert_status 1
	assert_stderr 'cronq: next: minute "61" is outside 0..59'
	cq next '0 0 30 2 *'
	assert_status 1
	cq next --tz Mars/Olympus '* * * * *'
	assert_status 1
	assert_stderr 'cronq: next: --tz: unknown time zone "Mars/Olympus"'
	[ -z "$output" ]
}

@test "next: BUG-06/07 notices on stderr, times unchanged on stdout" {
	cq next --tz UTC --from 2024-12-31T23:59:00Z -n 2 '0 0 */2 * 1'
	assert_status 0
	assert_lines 2025-01-13T00:00:00+00:00 2025-01-27T00:00:00+00:00
	assert_stderr "cronq: next: notice: \"0 0 */2 * 1\": day-of-month starts with '*', so it counts as unrestricted and both day fields must match (as in Vixie cron); schedulers that OR the day fields read it differently
cronq: next: notice: \"0 0 */2 * 1\": a day-of-month step starts again on the 1st of each month: it is not every 2 days across month ends"
	cq next --tz UTC --from 2020-03-27T12:00:00Z -n 2 '0 0 */7 * *'
	assert_lines 2020-03-29T00:00:00+00:00 2020-04-01T00:00:00+00:00
	assert_stderr "cronq: next: notice: \"0 0 */7 * *\": a day-of-month step starts again on the 1st of each month: it is not every 7 days across month ends"
	cq next --tz UTC --from 2016-11-01T00:00:00Z '0 16 4 * 5'
	assert_stderr ""
}
