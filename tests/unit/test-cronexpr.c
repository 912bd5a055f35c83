/* SPDX-License-Identifier: ISC */
/*
 * Cron expression engine: every syntax form, every error sentence, leap
 * years, month ends, clock changes in several zones, the field cases of
 * ../shared/data/field-cases.md, prev() as the inverse of next(), and
 * bounded searches. Table-driven: expression, zone, start, expected times.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cronexpr.h"
#include "tz.h"
#include "util.h"

#define MAXN 8

struct next_case {
	const char *expr;
	const char *zone;
	const char *from;
	const char *want[MAXN];
};

static const struct tz *
zone(const char *name)
{
	char *cause = NULL;
	const struct tz *tz = tz_find(name, &cause);

	if (tz == NULL)
		fail_msg("tz_find(%s): %s", name, cause);
	return tz;
}

static void
check_next(const struct next_case *c)
{
	const struct tz *tz = zone(c->zone);
	struct cronexpr ce;
	char *cause = NULL, buf[64];
	int64_t t;
	int i;

	if (cronexpr_parse(&ce, c->expr, "job", &cause) != 0)
		fail_msg("parse \"%s\": %s", c->expr, cause);
	if (util_parse_time(c->from, tz, &t, &cause) != 0)
		fail_msg("from %s: %s", c->from, cause);
	for (i = 0; i < MAXN && c->want[i] != NULL; i++) {
		int64_t prev = t;

		if (cronexpr_next(&ce, tz, t, &t, NULL) != 0)
			fail_msg(
			    "%s in %s: no time #%d", c->expr, c->zone, i + 1);
		util_format_time(buf, sizeof buf, t, tz);
		if (strcmp(buf, c->want[i]) != 0)
			fail_msg("%s in %s from %s: #%d is %s, want %s",
			    c->expr, c->zone, c->from, i + 1, buf, c->want[i]);
		assert_true(t > prev);
	}
}

static void
run_table(const struct next_case *tab, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		check_next(&tab[i]);
}

#define RUN(tab) run_table(tab, sizeof(tab) / sizeof(tab[0]))

/* Every syntax form, in UTC. */
static const struct next_case syntax_cases[] = {
	{ "*/5 * * * *", "UTC", "2024-01-01T00:00:00Z",
	    { "2024-01-01T00:05:00+00:00", "2024-01-01T00:10:00+00:00" } },
	{ "1-30/7 0 1 1 *", "UTC", "2024-01-01T00:00:00Z",
	    { "2024-01-01T00:01:00+00:00", "2024-01-01T00:08:00+00:00",
	        "2024-01-01T00:15:00+00:00", "2024-01-01T00:22:00+00:00",
	        "2024-01-01T00:29:00+00:00", "2025-01-01T00:01:00+00:00" } },
	{ "5/15 0 1 1 *", "UTC", "2024-01-01T00:00:00Z",
	    { "2024-01-01T00:05:00+00:00", "2024-01-01T00:20:00+00:00",
	        "2024-01-01T00:35:00+00:00", "2024-01-01T00:50:00+00:00",
	        "2025-01-01T00:05:00+00:00" } },
	{ "0 12 * JAN-mar SUN", "UTC", "2024-03-25T00:00:00Z",
	    { "2024-03-31T12:00:00+00:00", "2025-01-05T12:00:00+00:00" } },
	{ "0 0 * * 7", "UTC", "2024-06-01T00:00:00Z",
	    { "2024-06-02T00:00:00+00:00" } },
	{ "0 0 * * SAT-SUN", "UTC", "2024-06-03T00:00:00Z",
	    { "2024-06-08T00:00:00+00:00", "2024-06-09T00:00:00+00:00",
	        "2024-06-15T00:00:00+00:00" } },
	{ "0 0 * * 5-0", "UTC", "2024-06-03T00:00:00Z",
	    { "2024-06-07T00:00:00+00:00", "2024-06-08T00:00:00+00:00",
	        "2024-06-09T00:00:00+00:00", "2024-06-14T00:00:00+00:00" } },
	/* An open weekday step runs to 7, so 1/2 includes Sunday. */
	{ "0 0 * * 1/2", "UTC", "2024-06-01T00:00:00Z",
	    { "2024-06-02T00:00:00+00:00", "2024-06-03T00:00:00+00:00",
	        "2024-06-05T00:00:00+00:00", "2024-06-07T00:00:00+00:00",
	        "2024-06-09T00:00:00+00:00" } },
	{ "0 0 1,1,1 * *", "UTC", "2024-06-01T00:00:00Z",
	    { "2024-07-01T00:00:00+00:00", "2024-08-01T00:00:00+00:00" } },
	{ "0 0 ? * MON", "UTC", "2024-06-01T00:00:00Z",
	    { "2024-06-03T00:00:00+00:00" } },
	{ "30 0 0 1 1 *", "UTC", "2024-06-01T00:00:00Z",
	    { "2025-01-01T00:00:30+00:00" } },
	{ "@yearly", "UTC", "2024-06-01T00:00:00Z",
	    { "2025-01-01T00:00:00+00:00" } },
	{ "@ANNUALLY", "UTC", "2024-06-01T00:00:00Z",
	    { "2025-01-01T00:00:00+00:00" } },
	{ "@Monthly", "UTC", "2024-06-01T00:00:00Z",
	    { "2024-07-01T00:00:00+00:00" } },
	{ "@weekly", "UTC", "2024-06-01T00:00:00Z",
	    { "2024-06-02T00:00:00+00:00" } },
	{ "@daily", "UTC", "2024-06-01T00:00:00Z",
	    { "2024-06-02T00:00:00+00:00" } },
	{ "@midnight", "UTC", "2024-06-01T00:00:00Z",
	    { "2024-06-02T00:00:00+00:00" } },
	{ "@hourly", "UTC", "2024-06-01T00:00:00Z",
	    { "2024-06-01T01:00:00+00:00" } },
	{ "0 0 L * *", "UTC", "2024-01-31T00:00:00Z",
	    { "2024-02-29T00:00:00+00:00", "2024-03-31T00:00:00+00:00",
	        "2024-04-30T00:00:00+00:00" } },
	{ "0 0 L-2 * *", "UTC", "2023-02-01T00:00:00Z",
	    { "2023-02-26T00:00:00+00:00", "2023-03-29T00:00:00+00:00" } },
	{ "0 0 * * 5L", "UTC", "2024-06-01T00:00:00Z",
	    { "2024-06-28T00:00:00+00:00", "2024-07-26T00:00:00+00:00" } },
	{ "0 0 * * FRIL", "UTC", "2024-06-01T00:00:00Z",
	    { "2024-06-28T00:00:00+00:00" } },
	/* 2024-06-01 is a Saturday: 1W is Monday the 3rd, not May 31. */
	{ "0 0 1W * *", "UTC", "2024-05-15T00:00:00Z",
	    { "2024-06-03T00:00:00+00:00", "2024-07-01T00:00:00+00:00" } },
	/* 2024-06-30 is a Sunday: 30W is Friday the 28th. */
	{ "0 0 30W 6 *", "UTC", "2024-01-01T00:00:00Z",
	    { "2024-06-28T00:00:00+00:00" } },
	{ "0 0 LW * *", "UTC", "2024-06-01T00:00:00Z",
	    { "2024-06-28T00:00:00+00:00", "2024-07-31T00:00:00+00:00",
	        "2024-08-30T00:00:00+00:00" } },
	{ "0 0 * * MON#2", "UTC", "2024-06-01T00:00:00Z",
	    { "2024-06-10T00:00:00+00:00", "2024-07-08T00:00:00+00:00" } },
	{ "0 0 * * 1#5", "UTC", "2024-06-01T00:00:00Z",
	    { "2024-07-29T00:00:00+00:00", "2024-09-30T00:00:00+00:00" } },
	{ "15 10 L * *", "UTC", "2024-02-01T00:00:00Z",
	    { "2024-02-29T10:15:00+00:00", "2024-03-31T10:15:00+00:00" } },
	{ "0 9 1-7 * 1", "UTC", "2024-06-01T00:00:00Z",
	    { "2024-06-01T09:00:00+00:00", "2024-06-02T09:00:00+00:00",
	        "2024-06-03T09:00:00+00:00", "2024-06-04T09:00:00+00:00" } },
	{ "0\t0\t1\t1\t*", "UTC", "2024-06-01T00:00:00Z",
	    { "2025-01-01T00:00:00+00:00" } },
};

static void
test_syntax(void **state)
{
	(void)state;
	RUN(syntax_cases);
}

/* Leap years and month ends (2100 is not a leap year, 2400 is). */
static const struct next_case leap_cases[] = {
	{ "0 0 29 2 *", "UTC", "2023-03-01T00:00:00Z",
	    { "2024-02-29T00:00:00+00:00", "2028-02-29T00:00:00+00:00" } },
	{ "0 0 29 2 *", "UTC", "2096-03-01T00:00:00Z",
	    { "2104-02-29T00:00:00+00:00" } },
	{ "0 0 29 2 *", "UTC", "2396-03-01T00:00:00Z",
	    { "2400-02-29T00:00:00+00:00", "2404-02-29T00:00:00+00:00" } },
	{ "0 0 L 2 *", "UTC", "2099-03-01T00:00:00Z",
	    { "2100-02-28T00:00:00+00:00", "2101-02-28T00:00:00+00:00" } },
	{ "0 0 31 * *", "UTC", "2024-01-31T00:00:00Z",
	    { "2024-03-31T00:00:00+00:00", "2024-05-31T00:00:00+00:00",
	        "2024-07-31T00:00:00+00:00", "2024-08-31T00:00:00+00:00" } },
	{ "59 59 23 31 12 *", "UTC", "2024-06-01T00:00:00Z",
	    { "2024-12-31T23:59:59+00:00", "2025-12-31T23:59:59+00:00" } },
};

static void
test_leap(void **state)
{
	(void)state;
	RUN(leap_cases);
}

/* Clock changes, each zone with both directions. */
static const struct next_case dst_cases[] = {
	/* New York spring 2024-03-10 02:00 -> 03:00, fall 11-03 2 -> 1. */
	{ "30 2 * * *", "America/New_York", "2024-03-09T12:00:00-05:00",
	    { "2024-03-10T03:00:00-04:00", "2024-03-11T02:30:00-04:00" } },
	{ "30 1 * * *", "America/New_York", "2024-11-02T12:00:00-04:00",
	    { "2024-11-03T01:30:00-04:00", "2024-11-04T01:30:00-05:00" } },
	{ "*/30 * * * *", "America/New_York", "2024-11-03T00:45:00-04:00",
	    { "2024-11-03T01:00:00-04:00", "2024-11-03T01:30:00-04:00",
	        "2024-11-03T01:00:00-05:00", "2024-11-03T01:30:00-05:00",
	        "2024-11-03T02:00:00-05:00" } },
	{ "*/30 * * * *", "America/New_York", "2024-03-10T01:15:00-05:00",
	    { "2024-03-10T01:30:00-05:00", "2024-03-10T03:00:00-04:00" } },
	/* Several gap times collapse into one firing at the transition. */
	{ "0,15,30 2 * * *", "America/New_York", "2024-03-10T00:00:00-05:00",
	    { "2024-03-10T03:00:00-04:00", "2024-03-11T02:00:00-04:00" } },
	/* London: 01:00 -> 02:00 on 2025-03-30, 02:00 -> 01:00 on 10-26. */
	{ "30 1 * * *", "Europe/London", "2025-03-29T12:00:00Z",
	    { "2025-03-30T02:00:00+01:00", "2025-03-31T01:30:00+01:00" } },
	{ "30 1 * * *", "Europe/London", "2025-10-25T12:00:00+01:00",
	    { "2025-10-26T01:30:00+01:00", "2025-10-27T01:30:00+00:00" } },
	/* Lord Howe moves by 30 minutes: 02:00 -> 02:30, 02:00 -> 01:30. */
	{ "15 2 * * *", "Australia/Lord_Howe", "2024-10-05T12:00:00+10:30",
	    { "2024-10-06T02:30:00+11:00", "2024-10-07T02:15:00+11:00" } },
	{ "45 1 * * *", "Australia/Lord_Howe", "2024-04-06T12:00:00+11:00",
	    { "2024-04-07T01:45:00+11:00", "2024-04-08T01:45:00+10:30" } },
	{ "*/20 * * * *", "Australia/Lord_Howe", "2024-04-07T01:30:00+11:00",
	    { "2024-04-07T01:40:00+11:00", "2024-04-07T01:40:00+10:30",
	        "2024-04-07T02:00:00+10:30" } },
	/* Chatham: 02:45 -> 03:45 on 2024-09-29, 03:45 -> 02:45 2024-04-07. */
	{ "0 3 * * *", "Pacific/Chatham", "2024-09-28T12:00:00+12:45",
	    { "2024-09-29T03:45:00+13:45", "2024-09-30T03:00:00+13:45" } },
	{ "0 3 * * *", "Pacific/Chatham", "2024-04-06T12:00:00+13:45",
	    { "2024-04-07T03:00:00+13:45", "2024-04-08T03:00:00+12:45" } },
	/* Southern hemisphere: Sydney and the Sao Paulo midnight gap. */
	{ "30 2 * * *", "Australia/Sydney", "2024-10-05T12:00:00+10:00",
	    { "2024-10-06T03:00:00+11:00", "2024-10-07T02:30:00+11:00" } },
	{ "30 2 * * *", "Australia/Sydney", "2024-04-06T12:00:00+11:00",
	    { "2024-04-07T02:30:00+11:00", "2024-04-08T02:30:00+10:00" } },
	{ "0 0 * * *", "America/Sao_Paulo", "2014-10-18T12:00:00-03:00",
	    { "2014-10-19T01:00:00-02:00", "2014-10-20T00:00:00-02:00" } },
};

static void
test_dst(void **state)
{
	(void)state;
	RUN(dst_cases);
}

/* The calculation inputs of field cases BUG-01 to BUG-09. */
static const struct next_case field_cases[] = {
	/* BUG-01: a daily 02:00 job runs once on the fall-back night. */
	{ "0 2 * * *", "Europe/Berlin", "2023-10-28T12:00:00+02:00",
	    { "2023-10-29T02:00:00+02:00", "2023-10-30T02:00:00+01:00",
	        "2023-10-31T02:00:00+01:00" } },
	{ "*/30 * * * *", "Europe/Berlin", "2023-10-28T23:59:00Z",
	    { "2023-10-29T02:00:00+02:00", "2023-10-29T02:30:00+02:00",
	        "2023-10-29T02:00:00+01:00", "2023-10-29T02:30:00+01:00" } },
	/* BUG-02: a time in the spring gap runs right after it. */
	{ "0 2 * * *", "America/Los_Angeles", "2025-03-08T12:00:00-08:00",
	    { "2025-03-09T03:00:00-07:00", "2025-03-10T02:00:00-07:00" } },
	{ "0 1 30 3 *", "Europe/Lisbon", "2025-01-01T00:00:00Z",
	    { "2025-03-30T02:00:00+01:00", "2026-03-30T01:00:00+01:00" } },
	{ "0 0 * * *", "America/Sao_Paulo", "2014-10-18T12:00:00-03:00",
	    { "2014-10-19T01:00:00-02:00", "2014-10-20T00:00:00-02:00" } },
	/* BUG-04: hourly keeps its real-time cadence. */
	{ "0 * * * *", "America/New_York", "2022-03-12T22:00:30-05:00",
	    { "2022-03-12T23:00:00-05:00", "2022-03-13T00:00:00-05:00",
	        "2022-03-13T01:00:00-05:00", "2022-03-13T03:00:00-04:00",
	        "2022-03-13T04:00:00-04:00" } },
	/* BUG-05: a UTC job knows nothing of London's repeated hour. */
	{ "59 0 * * *", "UTC", "2022-10-29T23:50:00Z",
	    { "2022-10-30T00:59:00+00:00" } },
	{ "0 1 * * *", "UTC", "2022-10-29T23:50:00Z",
	    { "2022-10-30T01:00:00+00:00" } },
	{ "1 1 * * *", "UTC", "2022-10-29T23:50:00Z",
	    { "2022-10-30T01:01:00+00:00" } },
	{ "30 1 * * *", "UTC", "2022-10-29T23:50:00Z",
	    { "2022-10-30T01:30:00+00:00" } },
	{ "59 1 * * *", "UTC", "2022-10-29T23:50:00Z",
	    { "2022-10-30T01:59:00+00:00" } },
	{ "0 2 * * *", "UTC", "2022-10-29T23:50:00Z",
	    { "2022-10-30T02:00:00+00:00" } },
	/* BUG-06: OR when both day fields are restricted, AND after '*'. */
	{ "0 16 4 * 5", "UTC", "2016-11-01T00:00:00Z",
	    { "2016-11-04T16:00:00+00:00", "2016-11-11T16:00:00+00:00",
	        "2016-11-18T16:00:00+00:00", "2016-11-25T16:00:00+00:00",
	        "2016-12-02T16:00:00+00:00", "2016-12-04T16:00:00+00:00",
	        "2016-12-09T16:00:00+00:00" } },
	{ "0 0 */2 * 1", "UTC", "2024-12-31T23:59:00Z",
	    { "2025-01-13T00:00:00+00:00", "2025-01-27T00:00:00+00:00",
	        "2025-02-03T00:00:00+00:00", "2025-02-17T00:00:00+00:00" } },
	{ "0 0 15 * */3", "UTC", "2024-12-31T23:59:00Z",
	    { "2025-01-15T00:00:00+00:00", "2025-02-15T00:00:00+00:00",
	        "2025-03-15T00:00:00+00:00" } },
	/* BUG-07: a day-of-month step restarts each month. */
	{ "0 0 */3 * *", "UTC", "2020-03-27T12:00:00Z",
	    { "2020-03-28T00:00:00+00:00", "2020-03-31T00:00:00+00:00",
	        "2020-04-01T00:00:00+00:00", "2020-04-04T00:00:00+00:00",
	        "2020-04-07T00:00:00+00:00" } },
	{ "0 0 */7 * *", "UTC", "2020-03-27T12:00:00Z",
	    { "2020-03-29T00:00:00+00:00", "2020-04-01T00:00:00+00:00",
	        "2020-04-08T00:00:00+00:00", "2020-04-15T00:00:00+00:00" } },
};

/* The notices of BUG-06 (a '*'-led day field beside a restricted one)
 * and BUG-07 (a day-of-month step), and none where nothing is odd. */
static void
test_notes(void **state)
{
	static const struct {
		const char *expr;
		size_t n;
		const char *first; /* a word of the first notice */
	} cases[] = {
		{ "0 16 4 * 5", 0, NULL },
		{ "0 0 */2 * 1", 2, "day-of-month starts with '*'" },
		{ "0 0 15 * */3", 1, "day-of-week starts with '*'" },
		{ "0 0 */3 * *", 1, "every 3 days" },
		{ "0 0 */7 * *", 1, "every 7 days" },
		{ "0 0 1-31/10 * *", 1, "every 10 days" },
		{ "0 0 1,15 * *", 0, NULL },
		{ "*/5 * * * *", 0, NULL },
		{ "0 0 ? * MON", 0, NULL },
		{ "0 0 * * */2", 0, NULL },
		{ "@daily", 0, NULL },
		{ "@every 5m", 0, NULL },
	};
	char notes[4][CRON_NOTE_MAX], *cause = NULL;
	struct cronexpr ce;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(
		    cronexpr_parse(&ce, cases[i].expr, NULL, &cause), 0);
		n = cronexpr_notes(&ce, notes, 4);
		if (n != cases[i].n)
			fail_msg("%s: %zu notices, expected %zu", cases[i].expr,
			    n, cases[i].n);
		if (cases[i].first != NULL &&
		    strstr(notes[0], cases[i].first) == NULL)
			fail_msg("%s: \"%s\"", cases[i].expr, notes[0]);
	}
}

static void
test_field_cases(void **state)
{
	(void)state;
	RUN(field_cases);
}

struct err_case {
	const char *expr;
	const char *want;
};

static const struct err_case err_cases[] = {
	{ "61 * * * *", "minute \"61\" is outside 0..59" },
	{ "* 24 * * *", "hour \"24\" is outside 0..23" },
	{ "* * 0 * *", "day-of-month \"0\" is outside 1..31" },
	{ "* * * 13 *", "month \"13\" is outside 1..12" },
	{ "* * * * 8", "day-of-week \"8\" is outside 0..7" },
	{ "60 * * * * *", "second \"60\" is outside 0..59" },
	{ "* * * * 0-8", "day-of-week \"0-8\" is outside 0..7" },
	{ "1-60 * * * *", "minute \"1-60\" is outside 0..59" },
	{ "0 0 30 2 *", "day-of-month \"30\" never occurs in February" },
	{ "0 0 31 4,6,9,11 *",
	    "day-of-month \"31\" never occurs in April, June, September or "
	    "November" },
	{ "0 0 L-29 2 *", "day-of-month \"L-29\" never occurs in February" },
	{ "0 0 30 2 */2",
	    "day-of-month \"30\" never falls on day-of-week \"*/2\" in "
	    "February" },
	{ "1- * * * *", "minute \"1-\" is a range without an end" },
	{ "* * * * MON-", "day-of-week \"MON-\" is a range without an end" },
	{ "-1-5 * * * *", "minute \"-1-5\" starts with \"-\"" },
	{ "5-1 * * * *", "minute \"5-1\" runs backwards (ranges run upwards)" },
	{ "* * * * 7-1",
	    "day-of-week \"7-1\" runs backwards (ranges run upwards)" },
	{ "1-2-3 * * * *", "minute \"1-2-3\" has more than one \"-\"" },
	{ "*/5/2 * * * *", "minute \"*/5/2\" has more than one step" },
	{ "/5 * * * *",
	    "minute \"/5\" is a step without a start (*/s or a/s)" },
	{ "5-10/0 * * * *", "minute \"5-10/0\" has a step of 0" },
	{ "*/x * * * *", "minute \"*/x\" needs a whole number after \"/\"" },
	{ "1.5 * * * *",
	    "minute \"1.5\" is not a number, name, range or step" },
	{ "1,,2 * * * *", "minute \"1,,2\" has an empty list item" },
	{ "? * * * *",
	    "minute \"?\" uses \"?\", which only the day fields allow" },
	{ "MON * * * *", "minute \"MON\" is not a number" },
	{ "* * * FOO *", "month \"FOO\" is not a month number or name" },
	{ "* * * * FOO",
	    "day-of-week \"FOO\" is not a weekday number or name" },
	{ "* * * * #2",
	    "day-of-week \"#2\" has \"#\" without a weekday before "
	    "it" },
	{ "* * * * 1#0", "day-of-week \"1#0\" has a week number outside 1..5" },
	{ "* * * * 1#6", "day-of-week \"1#6\" has a week number outside 1..5" },
	{ "0 0 * * 1#2#3", "day-of-week \"1#2#3\" has more than one \"#\"" },
	{ "* * * * L",
	    "day-of-week \"L\" needs a weekday before L (5L: the last Friday)" },
	{ "* * 32W * *", "day-of-month \"32W\" is outside 1..31" },
	{ "* * L-31 * *",
	    "day-of-month \"L-31\" is more than 30 days before the end" },
	{ "* * LX * *", "day-of-month \"LX\" is not L, L-n, LW or nW" },
	{ "H(5-1) * * * *",
	    "minute \"H(5-1)\" runs backwards (ranges run upwards)" },
	{ "H(5 * * * *", "minute \"H(5\" needs H(a-b) with a range inside" },
	{ "\x01\x02 * * * *",
	    "minute \"\\x01\\x02\" contains a control "
	    "character" },
	{ "* * * * \xc3\xa9",
	    "day-of-week \"\\xC3\\xA9\" contains a "
	    "non-ASCII character" },
	{ "", "empty expression (expected 5 or 6 fields or a @macro)" },
	{ "   ", "empty expression (expected 5 or 6 fields or a @macro)" },
	{ "* * * *",
	    "expected 5 fields (minute hour day-of-month month day-of-week) or "
	    "6 with leading seconds, got 4 in \"* * * *\"" },
	{ "* * * * * * *",
	    "expected 5 fields (minute hour day-of-month month day-of-week) or "
	    "6 with leading seconds, got 7 in \"* * * * * * *\"" },
	{ "@daily 5", "macro \"@daily\" takes no fields, got \"5\"" },
	{ "@often",
	    "unknown macro \"@often\" (known: @yearly, @annually, @monthly, "
	    "@weekly, @daily, @midnight, @hourly, @reboot, @every DURATION)" },
	{ "@every", "@every needs a duration (@every 5m)" },
	{ "@every 5x",
	    "\"@every 5x\": duration \"5x\" is not like 90s, 5m, 2h30m or 1d" },
	{ "@every 0s", "\"@every 0s\": the period must be positive" },
};

static void
test_errors(void **state)
{
	struct cronexpr ce;
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
		cause = NULL;
		if (cronexpr_parse(&ce, err_cases[i].expr, "", &cause) == 0)
			fail_msg("\"%s\" was accepted", err_cases[i].expr);
		if (strcmp(cause, err_cases[i].want) != 0)
			fail_msg("\"%s\": got '%s', want '%s'",
			    err_cases[i].expr, cause, err_cases[i].want);
		free(cause);
	}
}

static void
test_kinds(void **state)
{
	struct cronexpr ce;
	char *cause = NULL;

	(void)state;
	assert_int_equal(cronexpr_parse(&ce, "@every 2h30m", NULL, &cause), 0);
	assert_int_equal(ce.kind, CRON_EVERY);
	assert_int_equal(ce.every, 9000);
	assert_int_equal(cronexpr_every_next(&ce, 1000, 1000), 10000);
	assert_int_equal(cronexpr_every_next(&ce, 1000, 10000), 19000);
	assert_int_equal(cronexpr_every_next(&ce, 1000, 0), 10000);
	assert_int_equal(
	    cronexpr_next(&ce, zone("UTC"), 0, &(int64_t){ 0 }, NULL), -1);
	assert_int_equal(cronexpr_parse(&ce, "@REBOOT", NULL, &cause), 0);
	assert_int_equal(ce.kind, CRON_REBOOT);
	assert_int_equal(cronexpr_parse(&ce, "*/5 * * * *", NULL, &cause), 0);
	assert_true(ce.interval);
	assert_int_equal(cronexpr_parse(&ce, "0 9 * * *", NULL, &cause), 0);
	assert_false(ce.interval);
	assert_int_equal(cronexpr_parse(&ce, "0 0 * * SUN", NULL, &cause), 0);
	assert_int_equal(ce.dow, 1);
	assert_int_equal(cronexpr_set_dst(&ce, "skip", "both", &cause), 0);
	assert_int_equal(ce.gap, CRON_GAP_SKIP);
	assert_int_equal(ce.repeat, CRON_REPEAT_BOTH);
	assert_int_equal(cronexpr_set_dst(&ce, "later", NULL, &cause), -1);
	assert_string_equal(cause,
	    "dst gap \"later\" is not \"next\" or "
	    "\"skip\"");
	free(cause);
}

/* H picks the same value for the same key and stays inside its range. */
static void
test_hash(void **state)
{
	struct cronexpr a, b;
	char *cause = NULL;
	int v, spread = 0;
	char key[16];

	(void)state;
	assert_int_equal(cronexpr_parse(&a, "H H * * *", "backup", &cause), 0);
	assert_int_equal(cronexpr_parse(&b, "H H * * *", "backup", &cause), 0);
	assert_true(a.min == b.min && a.hour == b.hour);
	assert_int_equal(__builtin_popcountll(a.min), 1);
	assert_int_equal(
	    cronexpr_parse(&a, "H(0-29)/10 * * * *", "x", &cause), 0);
	assert_int_equal(__builtin_popcountll(a.min), 3);
	assert_true(a.min < (1ULL << 30));
	assert_int_equal(cronexpr_parse(&a, "H/15 * * * *", "x", &cause), 0);
	assert_int_equal(__builtin_popcountll(a.min), 4);
	for (v = 0; v < 20; v++) {
		snprintf(key, sizeof key, "job%d", v);
		assert_int_equal(
		    cronexpr_parse(&a, "H * * * *", key, &cause), 0);
		if (a.min != 1)
			spread++;
	}
	assert_true(spread > 10);
}

/* prev() undoes next(), including around clock changes. */
static void
test_prev_inverse(void **state)
{
	static const char *exprs[] = { "*/7 * * * *", "30 2 * * *",
		"0 0 * * SUN", "15 10 L * *", "0 9 1-7 * 1", "0 1-3 * * *",
		"*/20 1-3 * * *", "0 0 29 2 *" };
	static const char *zones[] = { "UTC", "America/New_York",
		"Europe/London", "Australia/Lord_Howe", "Pacific/Chatham" };
	struct cronexpr ce;
	char *cause = NULL;
	int64_t t, p, seq[40];
	size_t i, j, k;

	(void)state;
	for (i = 0; i < sizeof exprs / sizeof exprs[0]; i++)
		for (j = 0; j < sizeof zones / sizeof zones[0]; j++) {
			const struct tz *tz = zone(zones[j]);

			assert_int_equal(
			    cronexpr_parse(&ce, exprs[i], NULL, &cause), 0);
			t = 1710000000; /* 2024-03-09, near the US change */
			for (k = 0; k < 40; k++) {
				assert_int_equal(
				    cronexpr_next(&ce, tz, t, &t, NULL), 0);
				seq[k] = t;
			}
			for (k = 39; k > 0; k--) {
				assert_int_equal(
				    cronexpr_prev(&ce, tz, seq[k], &p, NULL),
				    0);
				if (p != seq[k - 1])
					fail_msg("%s in %s: prev(%lld) = %lld,"
					         " want %lld",
					    exprs[i], zones[j],
					    (long long)seq[k], (long long)p,
					    (long long)seq[k - 1]);
			}
		}
}

/* DST policies other than the default, and the notes for --explain. */
static void
test_policy_notes(void **state)
{
	const struct tz *ny = zone("America/New_York");
	struct cronexpr ce;
	char *cause = NULL, buf[64];
	unsigned notes;
	int64_t t;

	(void)state;
	assert_int_equal(cronexpr_parse(&ce, "30 2 * * *", NULL, &cause), 0);
	assert_int_equal(
	    util_parse_time("2024-03-09T12:00", ny, &t, &cause), 0);
	assert_int_equal(cronexpr_next(&ce, ny, t, &t, &notes), 0);
	assert_int_equal(notes, CRON_NOTE_GAP_MOVED);
	assert_int_equal(cronexpr_set_dst(&ce, "skip", NULL, &cause), 0);
	assert_int_equal(
	    util_parse_time("2024-03-09T12:00", ny, &t, &cause), 0);
	assert_int_equal(cronexpr_next(&ce, ny, t, &t, &notes), 0);
	util_format_time(buf, sizeof buf, t, ny);
	assert_string_equal(buf, "2024-03-11T02:30:00-04:00");
	assert_true(notes & CRON_NOTE_GAP_SKIPPED);

	assert_int_equal(cronexpr_parse(&ce, "30 1 * * *", NULL, &cause), 0);
	assert_int_equal(cronexpr_set_dst(&ce, NULL, "both", &cause), 0);
	assert_int_equal(
	    util_parse_time("2024-11-02T12:00", ny, &t, &cause), 0);
	assert_int_equal(cronexpr_next(&ce, ny, t, &t, &notes), 0);
	util_format_time(buf, sizeof buf, t, ny);
	assert_string_equal(buf, "2024-11-03T01:30:00-04:00");
	assert_int_equal(notes, CRON_NOTE_REPEATED);
	assert_int_equal(cronexpr_next(&ce, ny, t, &t, &notes), 0);
	util_format_time(buf, sizeof buf, t, ny);
	assert_string_equal(buf, "2024-11-03T01:30:00-05:00");
	assert_int_equal(notes, CRON_NOTE_REPEATED | CRON_NOTE_SECOND_PASS);
	assert_int_equal(cronexpr_next(&ce, ny, t, &t, &notes), 0);
	util_format_time(buf, sizeof buf, t, ny);
	assert_string_equal(buf, "2024-11-04T01:30:00-05:00");
	assert_int_equal(notes, 0);
}

/*
 * From the last second before a forward change the gap still counts: a
 * fixed time in it moves to the change, and an interval expression notes
 * the times it passes over.
 */
static void
test_gap_at_the_edge(void **state)
{
	const struct tz *ny = zone("America/New_York");
	struct cronexpr ce;
	char *cause = NULL, buf[64];
	unsigned notes;
	int64_t t;

	(void)state;
	assert_int_equal(cronexpr_parse(&ce, "30 2 * * *", NULL, &cause), 0);
	assert_int_equal(
	    util_parse_time("2024-03-10T01:59:59", ny, &t, &cause), 0);
	assert_int_equal(cronexpr_next(&ce, ny, t, &t, &notes), 0);
	util_format_time(buf, sizeof buf, t, ny);
	assert_string_equal(buf, "2024-03-10T03:00:00-04:00");
	assert_int_equal(notes, CRON_NOTE_GAP_MOVED);

	assert_int_equal(cronexpr_parse(&ce, "* * * * * *", NULL, &cause), 0);
	assert_int_equal(
	    util_parse_time("2024-03-10T01:59:59", ny, &t, &cause), 0);
	assert_int_equal(cronexpr_next(&ce, ny, t, &t, &notes), 0);
	util_format_time(buf, sizeof buf, t, ny);
	assert_string_equal(buf, "2024-03-10T03:00:00-04:00");
	assert_int_equal(notes, CRON_NOTE_GAP_SKIPPED);

	/* Inside the stretch, as before: an interval notes what it skips. */
	assert_int_equal(cronexpr_parse(&ce, "*/30 * * * *", NULL, &cause), 0);
	assert_int_equal(
	    util_parse_time("2024-03-10T01:30:00", ny, &t, &cause), 0);
	assert_int_equal(cronexpr_next(&ce, ny, t, &t, &notes), 0);
	util_format_time(buf, sizeof buf, t, ny);
	assert_string_equal(buf, "2024-03-10T03:00:00-04:00");
	assert_int_equal(notes, CRON_NOTE_GAP_SKIPPED);
	assert_int_equal(cronexpr_next(&ce, ny, t, &t, &notes), 0);
	assert_int_equal(notes, 0);
	/* One whose fields match nothing in the gap notes nothing. */
	assert_int_equal(cronexpr_parse(&ce, "*/30 4 * * *", NULL, &cause), 0);
	assert_int_equal(
	    util_parse_time("2024-03-10T01:30:00", ny, &t, &cause), 0);
	assert_int_equal(cronexpr_next(&ce, ny, t, &t, &notes), 0);
	assert_int_equal(notes, 0);
}

/* A hand-made never-matching set must end quickly, not loop. */
static void
test_bounded(void **state)
{
	const char *zones[] = { "UTC", "America/New_York" };
	struct cronexpr ce;
	char *cause = NULL;
	clock_t c0;
	int64_t t;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		assert_int_equal(
		    cronexpr_parse(&ce, "0 0 29 2 *", NULL, &cause), 0);
		ce.dom = 1U << 30; /* Feb 30, bypassing the parser's check */
		c0 = clock();
		assert_int_equal(
		    cronexpr_next(&ce, zone(zones[i]), 0, &t, NULL), -1);
		assert_int_equal(
		    cronexpr_prev(&ce, zone(zones[i]), 0, &t, NULL), -1);
		assert_true(clock() - c0 < CLOCKS_PER_SEC);
	}
	assert_int_equal(cronexpr_wall_next(&ce, 0), INT64_MAX);
	/* The far future still works and stays in range. */
	assert_int_equal(cronexpr_parse(&ce, "0 0 1 1 *", NULL, &cause), 0);
	assert_int_equal(
	    cronexpr_next(&ce, zone("UTC"), INT64_MAX - 1, &t, NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_leap),
		cmocka_unit_test(test_dst),
		cmocka_unit_test(test_gap_at_the_edge),
		cmocka_unit_test(test_field_cases),
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_prev_inverse),
		cmocka_unit_test(test_policy_notes),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
