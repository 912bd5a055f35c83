/* SPDX-License-Identifier: ISC */
/*
 * util.c: RFC 3339 in and out (with and without offsets, in zones with
 * clock changes), durations, sizes, job names and escaping for logs.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tz.h"
#include "util.h"

static const struct tz *
zone(const char *name)
{
	char *cause = NULL;
	const struct tz *tz = tz_find(name, &cause);

	if (tz == NULL)
		fail_msg("%s: %s", name, cause);
	return tz;
}

static void
test_format(void **state)
{
	char buf[64];

	(void)state;
	util_format_time(buf, sizeof buf, 0, zone("UTC"));
	assert_string_equal(buf, "1970-01-01T00:00:00+00:00");
	util_format_utc(buf, sizeof buf, 1741514400);
	assert_string_equal(buf, "2025-03-09T10:00:00Z");
	util_format_time(
	    buf, sizeof buf, 1741514400, zone("America/Los_Angeles"));
	assert_string_equal(buf, "2025-03-09T03:00:00-07:00");
	util_format_time(buf, sizeof buf, 1727534700, zone("Pacific/Chatham"));
	assert_string_equal(buf, "2024-09-29T04:30:00+13:45");
	util_format_time(buf, sizeof buf, -1, zone("UTC"));
	assert_string_equal(buf, "1969-12-31T23:59:59+00:00");
}

struct time_case {
	const char *in;
	const char *zone;
	int64_t want;
};

static const struct time_case time_cases[] = {
	{ "2025-03-09T01:58:00-08:00", "UTC", 1741514280 },
	{ "2025-03-09T09:58:00Z", "UTC", 1741514280 },
	{ "2025-03-09t09:58:00z", "UTC", 1741514280 },
	{ "2025-03-09T09:58:00.123Z", "UTC", 1741514280 },
	{ "2025-03-09T15:28:00+0530", "UTC", 1741514280 },
	{ "2025-03-09T01:58", "America/Los_Angeles", 1741514280 },
	{ "2025-03-09 01:58:00", "America/Los_Angeles", 1741514280 },
	{ "2025-03-09", "UTC", 1741478400 },
	/* In the spring gap: the gap's end, 03:00 PDT. */
	{ "2025-03-09T02:30", "America/Los_Angeles", 1741514400 },
	/* Repeated: the first occurrence, 01:30 PDT. */
	{ "2025-11-02T01:30", "America/Los_Angeles", 1762072200 },
	{ "2024-02-29T00:00:00Z", "UTC", 1709164800 },
};

static const char *const bad_times[] = { "", "yesterday", "2025-13-01",
	"2025-02-29T00:00Z", "2025-03-09T24:00Z", "2025-03-09T01:60Z",
	"2025-03-09T01:58:00+25:00", "2025-03-09T01:58:00+", "2025-03-09T1:58",
	"2025-03-09T01:58:00Zjunk", "2025-03-09T01:58:00.Z" };

/* The hand-written UTC path against gmtime_r and strftime, 1900-2200
 * in steps that cross every field, plus the edges where it falls back. */
static void
test_format_utc_sweep(void **state)
{
	char got[40], want[40];
	struct tm tm;
	time_t t;
	int64_t s;

	(void)state;
	for (s = -2208988800LL; s < 7258118400LL; s += 86400 * 3 + 3661) {
		t = (time_t)s;
		assert_non_null(gmtime_r(&t, &tm));
		strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
		util_format_utc(got, sizeof got, s);
		assert_string_equal(got, want);
	}
	util_format_utc(got, sizeof got, 253402300799LL);
	assert_string_equal(got, "9999-12-31T23:59:59Z");
	util_format_utc(got, sizeof got, 253402300800LL);
	assert_string_equal(got, "10000-01-01T00:00:00Z");
	util_format_utc(got, 8, 0);
	assert_string_equal(got, "1970-01");
}

static void
test_parse_time(void **state)
{
	char *cause;
	int64_t t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof time_cases / sizeof time_cases[0]; i++) {
		cause = NULL;
		if (util_parse_time(time_cases[i].in, zone(time_cases[i].zone),
		        &t, &cause) != 0)
			fail_msg("%s: %s", time_cases[i].in, cause);
		if (t != time_cases[i].want)
			fail_msg("%s: %lld, want %lld", time_cases[i].in,
			    (long long)t, (long long)time_cases[i].want);
	}
	for (i = 0; i < sizeof bad_times / sizeof bad_times[0]; i++) {
		cause = NULL;
		if (util_parse_time(bad_times[i], zone("UTC"), &t, &cause) == 0)
			fail_msg("\"%s\" was accepted", bad_times[i]);
		assert_non_null(cause);
		assert_non_null(strstr(cause, "time \""));
		free(cause);
	}
}

static void
test_duration(void **state)
{
	static const struct {
		const char *in;
		int64_t want;
	} ok[] = { { "90s", 90 }, { "5m", 300 }, { "2h30m", 9000 },
		{ "1d", 86400 }, { "30", 30 }, { "1w", 604800 },
		{ "1d2h3m4s", 93784 } };
	static const char *const bad[] = { "", "5x", "m", "-5s", "5m30", "1.5h",
		"99999999999999999999s" };
	char *cause = NULL, buf[32];
	int64_t s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		assert_int_equal(util_parse_duration(ok[i].in, &s, &cause), 0);
		assert_int_equal(s, ok[i].want);
	}
	for (i = 1; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		if (util_parse_duration(bad[i], &s, &cause) == 0)
			fail_msg("\"%s\" was accepted", bad[i]);
		free(cause);
	}
	assert_int_equal(util_parse_duration("", &s, &cause), -1);
	assert_string_equal(
	    cause, "duration \"\" is not like 90s, 5m, 2h30m or 1d");
	free(cause);
	util_format_duration(buf, sizeof buf, 9000);
	assert_string_equal(buf, "2h30m");
	util_format_duration(buf, sizeof buf, 45);
	assert_string_equal(buf, "45s");
	util_format_duration(buf, sizeof buf, 93600);
	assert_string_equal(buf, "1d2h");
	util_format_duration(buf, sizeof buf, 0);
	assert_string_equal(buf, "0s");
	util_format_duration(buf, sizeof buf, -60);
	assert_string_equal(buf, "-1m");
}

static void
test_size(void **state)
{
	char *cause = NULL;
	uint64_t b;

	(void)state;
	assert_int_equal(util_parse_size("512", &b, &cause), 0);
	assert_int_equal(b, 512);
	assert_int_equal(util_parse_size("64K", &b, &cause), 0);
	assert_int_equal(b, 65536);
	assert_int_equal(util_parse_size("512M", &b, &cause), 0);
	assert_int_equal(b, 512ULL << 20);
	assert_int_equal(util_parse_size("2G", &b, &cause), 0);
	assert_int_equal(b, 2ULL << 30);
	assert_int_equal(util_parse_size("2GiB", &b, &cause), 0);
	assert_int_equal(b, 2ULL << 30);
	assert_int_equal(util_parse_size("2Q", &b, &cause), -1);
	assert_string_equal(
	    cause, "size \"2Q\" is not like 512, 64K, 512M or 2G");
	free(cause);
	cause = NULL;
	assert_int_equal(util_parse_size("", &b, &cause), -1);
	free(cause);
}

static void
test_names(void **state)
{
	char long_name[70];

	(void)state;
	assert_true(util_valid_name("backup"));
	assert_true(util_valid_name("db-dump.v2_x"));
	assert_false(util_valid_name(""));
	assert_false(util_valid_name("a b"));
	assert_false(util_valid_name("a/b"));
	assert_false(util_valid_name("caf\xc3\xa9"));
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	assert_true(util_valid_name(long_name));
	long_name[64] = 'a';
	long_name[65] = '\0';
	assert_false(util_valid_name(long_name));
}

static void
test_escape(void **state)
{
	char buf[16];

	(void)state;
	util_escape(buf, sizeof buf, "plain");
	assert_string_equal(buf, "plain");
	util_escape(buf, sizeof buf, "a\"b\\c");
	assert_string_equal(buf, "a\\\"b\\\\c");
	util_escape(buf, sizeof buf, "\x01\xc3");
	assert_string_equal(buf, "\\x01\\xC3");
	util_escape(buf, sizeof buf, "0123456789abcdefghij");
	assert_string_equal(buf, "0123456789ab...");
	util_escape(buf, sizeof buf, "0123456789abcde");
	assert_string_equal(buf, "0123456789abcde");
}

/* JSON numbers to integers: whole and in range, never a wild cast. */
static void
test_double_int(void **state)
{
	int64_t v = 7;

	(void)state;
	assert_int_equal(util_double_int(42, 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(util_double_int(-1, 0, 100, &v), -1);
	assert_int_equal(util_double_int(101, 0, 100, &v), -1);
	assert_int_equal(util_double_int(1.5, 0, 100, &v), -1);
	assert_int_equal(util_double_int(1e20, 0, INT64_MAX / 2, &v), -1);
	assert_int_equal(util_double_int(-1e300, INT64_MIN / 2, 0, &v), -1);
	assert_int_equal(v, 42);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_utc_sweep),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_double_int),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
