/* SPDX-License-Identifier: ISC */
/*
 * Gregorian calendar arithmetic. The day-number conversions follow the
 * well-known era-based method (400-year eras of 146097 days), exact for
 * every int64 year a cron schedule can reach and free of libc time calls.
 */
#include "config.h"

#include "civil.h"

int64_t
civil_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int
civil_is_leap(int64_t year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int
civil_days_in_month(int64_t year, int mon)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };

	if (mon == 2 && civil_is_leap(year))
		return 29;
	return mdays[mon - 1];
}

int64_t
civil_days_from_date(int64_t year, int mon, int mday)
{
	int64_t y = mon <= 2 ? year - 1 : year;
	int64_t era = civil_floordiv(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (mon > 2 ? mon - 3 : mon + 9) + 2) / 5 + mday - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void
civil_date_from_days(int64_t days, int64_t *year, int *mon, int *mday)
{
	int64_t z = days + 719468;
	int64_t era = civil_floordiv(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);

	*mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	*mon = m;
	*year = yoe + era * 400 + (m <= 2);
}

int
civil_weekday(int64_t days)
{
	/* 1970-01-01 was a Thursday (4). */
	int64_t w = (days + 4) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

void
civil_from_seconds(int64_t s, struct civil *out)
{
	int64_t days = civil_floordiv(s, 86400);
	int64_t rem = s - days * 86400;

	civil_date_from_days(days, &out->year, &out->mon, &out->mday);
	out->hour = (int)(rem / 3600);
	out->min = (int)(rem / 60 % 60);
	out->sec = (int)(rem % 60);
	out->wday = civil_weekday(days);
	out->yday = (int)(days - civil_days_from_date(out->year, 1, 1));
}

int64_t
civil_to_seconds(const struct civil *c)
{
	return civil_days_from_date(c->year, c->mon, c->mday) * 86400 +
	    c->hour * 3600 + c->min * 60 + c->sec;
}
