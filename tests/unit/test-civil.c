/* SPDX-License-Identifier: ISC */
/*
 * Gregorian arithmetic: day numbers against known dates, round trips over
 * a wide range of days either side of the epoch, leap years, weekdays and
 * month lengths.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "civil.h"

/* Known dates, their day numbers and weekdays (0 = Sunday). */
static const struct {
	int64_t year;
	int mon, mday;
	int64_t days;
	int wday;
} known[] = {
	{ 1970, 1, 1, 0, 4 },
	{ 1969, 12, 31, -1, 3 },
	{ 2000, 3, 1, 11017, 3 },
	{ 2024, 2, 29, 19782, 4 },
	{ 1900, 1, 1, -25567, 1 },
	{ 1582, 10, 15, -141427, 5 },
	{ 2038, 1, 19, 24855, 2 },
	{ 1, 1, 1, -719162, 1 },
	{ 9999, 12, 31, 2932896, 5 },
	{ 2100, 3, 1, 47541, 1 },
	{ 2400, 2, 29, 157113, 2 },
};

static void
test_known_dates(void **state)
{
	int64_t year;
	size_t i;
	int mon, mday;

	(void)state;
	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		assert_int_equal(civil_days_from_date(known[i].year,
		                     known[i].mon, known[i].mday),
		    known[i].days);
		civil_date_from_days(known[i].days, &year, &mon, &mday);
		assert_int_equal(year, known[i].year);
		assert_int_equal(mon, known[i].mon);
		assert_int_equal(mday, known[i].mday);
		assert_int_equal(civil_weekday(known[i].days), known[i].wday);
	}
}

/*
 * Walks three million consecutive days (about 4,100 years each side of
 * 1970): each must be the day after the previous one in the calendar and
 * convert back to its own number.
 */
static void
test_round_trip(void **state)
{
	int64_t d, year, pyear;
	int mon, mday, pmon, pmday;

	(void)state;
	civil_date_from_days(-1500001, &pyear, &pmon, &pmday);
	for (d = -1500000; d <= 1500000; d++) {
		civil_date_from_days(d, &year, &mon, &mday);
		assert_int_equal(civil_days_from_date(year, mon, mday), d);
		assert_true(mon >= 1 && mon <= 12);
		assert_true(
		    mday >= 1 && mday <= civil_days_in_month(year, mon));
		if (mday > 1) {
			assert_int_equal(mday, pmday + 1);
			assert_int_equal(mon, pmon);
		} else {
			assert_int_equal(
			    pmday, civil_days_in_month(pyear, pmon));
			assert_int_equal(mon, pmon == 12 ? 1 : pmon + 1);
			assert_int_equal(year, pmon == 12 ? pyear + 1 : pyear);
		}
		assert_int_equal(
		    civil_weekday(d), (civil_weekday(d - 1) + 1) % 7);
		pyear = year;
		pmon = mon;
		pmday = mday;
	}
}

static void
test_far_years(void **state)
{
	static const int64_t years[] = { -1000000000, -400, -1, 0, 1,
		1000000000 };
	int64_t year, d;
	size_t i;
	int mon, mday;

	(void)state;
	for (i = 0; i < sizeof years / sizeof years[0]; i++) {
		d = civil_days_from_date(years[i], 2, 28);
		civil_date_from_days(d, &year, &mon, &mday);
		assert_int_equal(year, years[i]);
		assert_int_equal(mon, 2);
		assert_int_equal(mday, 28);
		/* 400 Gregorian years are exactly 146097 days. */
		assert_int_equal(
		    civil_days_from_date(years[i] + 400, 2, 28) - d, 146097);
	}
}

static void
test_leap_years(void **state)
{
	static const struct {
		int64_t year;
		int leap;
	} cases[] = {
		{ 2024, 1 },
		{ 2023, 0 },
		{ 2100, 0 },
		{ 2400, 1 },
		{ 2000, 1 },
		{ 1900, 0 },
		{ 0, 1 },
		{ -4, 1 },
		{ -100, 0 },
		{ -400, 1 },
		{ -1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(civil_is_leap(cases[i].year), cases[i].leap);
		assert_int_equal(civil_days_in_month(cases[i].year, 2),
		    cases[i].leap ? 29 : 28);
		assert_int_equal(civil_days_from_date(cases[i].year + 1, 1, 1) -
		        civil_days_from_date(cases[i].year, 1, 1),
		    cases[i].leap ? 366 : 365);
	}
}

static void
test_days_in_month(void **state)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int mon;

	(void)state;
	for (mon = 1; mon <= 12; mon++) {
		assert_int_equal(
		    civil_days_in_month(2023, mon), mdays[mon - 1]);
		assert_int_equal(civil_days_in_month(2024, mon),
		    mon == 2 ? 29 : mdays[mon - 1]);
	}
}

static void
test_seconds(void **state)
{
	static const struct {
		int64_t s;
		int64_t year;
		int mon, mday, hour, min, sec, wday, yday;
	} cases[] = {
		{ 0, 1970, 1, 1, 0, 0, 0, 4, 0 },
		{ -1, 1969, 12, 31, 23, 59, 59, 3, 364 },
		{ 951782400, 2000, 2, 29, 0, 0, 0, 2, 59 },
		{ 1710054000, 2024, 3, 10, 7, 0, 0, 0, 69 },
		{ 4102444799, 2099, 12, 31, 23, 59, 59, 4, 364 },
		{ -2208988801, 1899, 12, 31, 23, 59, 59, 0, 364 },
	};
	struct civil c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		civil_from_seconds(cases[i].s, &c);
		assert_int_equal(c.year, cases[i].year);
		assert_int_equal(c.mon, cases[i].mon);
		assert_int_equal(c.mday, cases[i].mday);
		assert_int_equal(c.hour, cases[i].hour);
		assert_int_equal(c.min, cases[i].min);
		assert_int_equal(c.sec, cases[i].sec);
		assert_int_equal(c.wday, cases[i].wday);
		assert_int_equal(c.yday, cases[i].yday);
		assert_int_equal(civil_to_seconds(&c), cases[i].s);
	}
}

static void
test_floordiv(void **state)
{
	static const int64_t cases[][3] = {
		{ 7, 2, 3 },
		{ -7, 2, -4 },
		{ 7, -2, -4 },
		{ -7, -2, 3 },
		{ -8, 2, -4 },
		{ 0, 5, 0 },
		{ -1, 86400, -1 },
		{ -86400, 86400, -1 },
		{ -86401, 86400, -2 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_int_equal(
		    civil_floordiv(cases[i][0], cases[i][1]), cases[i][2]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_dates),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_far_years),
		cmocka_unit_test(test_leap_years),
		cmocka_unit_test(test_days_in_month),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_floordiv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
