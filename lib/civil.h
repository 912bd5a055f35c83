/* SPDX-License-Identifier: ISC */
/*
 * Proleptic Gregorian calendar arithmetic on 64-bit seconds since the
 * epoch. No time zones and no libc time functions: pure integer maths, safe
 * from any thread.
 */
#ifndef CIVIL_H
#define CIVIL_H

#include <stdint.h>

struct civil {
	int64_t year;
	int mon;  /* 1-12 */
	int mday; /* 1-31 */
	int hour; /* 0-23 */
	int min;  /* 0-59 */
	int sec;  /* 0-59 */
	int wday; /* 0-6, Sunday is 0 (output only) */
	int yday; /* 0-365 (output only) */
};

int civil_is_leap(int64_t year);
int civil_days_in_month(int64_t year, int mon);
/* Days since 1970-01-01 of a date; month and day must be in range. */
int64_t civil_days_from_date(int64_t year, int mon, int mday);
void civil_date_from_days(int64_t days, int64_t *year, int *mon, int *mday);
/* Weekday of a day number, 0 = Sunday. */
int civil_weekday(int64_t days);
/* Floor division helpers that behave for negative values. */
int64_t civil_floordiv(int64_t a, int64_t b);
/* Seconds <-> broken-down time, both in the same (zone-less) scale. */
void civil_from_seconds(int64_t s, struct civil *out);
int64_t civil_to_seconds(const struct civil *c);

#endif
