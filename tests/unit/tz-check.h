/* SPDX-License-Identifier: ISC */
/*
 * Shared by the two halves of the time zone test: test-tz.c (the system's
 * zones against glibc, gaps, repeats and names) and test-tz-file.c (zone
 * files written to a private $TZDIR: footers and damaged files).
 */
#ifndef TZ_CHECK_H
#define TZ_CHECK_H

#define ZONEINFO "/usr/share/zoneinfo"
#define Y1970 ((int64_t)0)
#define Y2100 ((int64_t)4102444800)
#define Y2900 ((int64_t)29349388800)
/* An odd stride (5d 7h 13m 7s) so samples land at every time of day. */
#define STRIDE ((int64_t)457987)

/* test-tz.c */
/*
 * Compares zone NAME with glibc reading TZ value SPEC (a path or a POSIX
 * TZ string); STRICT also compares isdst and abbreviations. Returns the
 * number of mismatches, reporting the first few.
 */
int check_zone(const char *name, const char *spec, int strict);

/* test-tz-file.c */
int setup_tzdir(void **state);
int teardown_tzdir(void **state);
void test_footer_rules(void **state);
void test_footer_all_year_dst(void **state);
void test_truncated(void **state);
void test_bad_contents(void **state);
void test_random_damage(void **state);
void test_version1(void **state);

#endif
