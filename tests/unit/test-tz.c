/* SPDX-License-Identifier: ISC */
/*
 * Time zones. Every TZif zone on the system is compared with glibc's
 * localtime_r (the oracle; only this test sets TZ) at each change and on a
 * stride from 1970 to 2100, and past the rule expansion up to 2900. Then
 * known gaps and repeats, changes, and names that are unknown or try to
 * leave the zone directory. Zone files written for the test (footers,
 * damage) are in test-tz-file.c.
 */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "civil.h"
#include "tz.h"
#include "tz-check.h"

#define FAR_STRIDE ((int64_t)5000017)
#define MAX_REPORTS 20

static int reports;

static void report(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Prints the first few mismatches; the caller counts them all. */
static void
report(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (reports++ >= MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	print_message("# %s\n", buf);
}

static int64_t
utc(int64_t year, int mon, int mday, int hour, int min, int sec)
{
	struct civil c = { year, mon, mday, hour, min, sec, 0, 0 };

	return civil_to_seconds(&c);
}

/* Makes glibc's localtime_r use TZ value SPEC. */
static void
oracle_set(const char *spec)
{
	setenv("TZ", spec, 1);
	tzset();
}

static int
oracle_offset(int64_t t, int *isdst, const char **abbr)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	if (isdst != NULL)
		*isdst = tm.tm_isdst;
	if (abbr != NULL)
		*abbr = tm.tm_zone;
	return (int)tm.tm_gmtoff;
}

/* Checks that instant T is among the answers for its own wall time. */
static int
check_resolve(const struct tz *tz, int64_t t)
{
	int64_t out[2];
	int n, off = tz_offset(tz, t, NULL, NULL);

	n = tz_resolve(tz, t + off, out);
	if ((n >= 1 && out[0] == t) ||
	    (n == 2 && out[1] == t && out[0] < out[1]))
		return 0;
	report("%s: resolve(%lld + %d) = %d [%lld %lld], lacks %lld",
	    tz_name(tz), (long long)t, off, n, (long long)out[0],
	    (long long)(n == 2 ? out[1] : 0), (long long)t);
	return 1;
}

/* Compares one instant with the oracle: offset, isdst and abbreviation. */
static int
check_instant(const struct tz *tz, int64_t t, int strict, int *glibc)
{
	const char *abbr, *gabbr;
	int off, isdst, goff, gisdst, bad = 0;

	off = tz_offset(tz, t, &isdst, &abbr);
	goff = oracle_offset(t, &gisdst, &gabbr);
	if (glibc != NULL)
		*glibc = goff;
	if (off != goff || off != tz_offset(tz, t, NULL, NULL) ||
	    (strict && (isdst != gisdst || strcmp(abbr, gabbr) != 0))) {
		report("%s at %lld: offset %d %s dst %d, glibc %d %s dst %d",
		    tz_name(tz), (long long)t, off, abbr, isdst, goff, gabbr,
		    gisdst);
		bad = 1;
	}
	return bad + check_resolve(tz, t);
}

/* Walks the changes the library reports in [from, to) against glibc. */
static int
check_changes(const struct tz *tz, int64_t from, int64_t to, int strict)
{
	int64_t c, p;
	int b, a, pb, pa, bad = 0;

	for (c = tz_next_change(tz, from, &b, &a); c < to;
	     c = tz_next_change(tz, c, &b, &a)) {
		if (b == a || b != oracle_offset(c - 1, NULL, NULL) ||
		    a != oracle_offset(c, NULL, NULL)) {
			report("%s: change at %lld %d -> %d, glibc %d -> %d",
			    tz_name(tz), (long long)c, b, a,
			    oracle_offset(c - 1, NULL, NULL),
			    oracle_offset(c, NULL, NULL));
			bad++;
		}
		p = tz_prev_change(tz, c, &pb, &pa);
		if (p != c || pb != b || pa != a ||
		    tz_prev_change(tz, c - 1, NULL, NULL) >= c) {
			report("%s: prev_change(%lld) = %lld", tz_name(tz),
			    (long long)c, (long long)p);
			bad++;
		}
		bad += check_instant(tz, c - 1, strict, NULL);
		bad += check_instant(tz, c, strict, NULL);
		bad += check_instant(tz, c + 1, strict, NULL);
	}
	return bad;
}

/*
 * Samples [from, to) on STEP against glibc; where glibc's offset moves
 * between two samples, the library must report a change there that glibc
 * agrees with.
 */
static int
check_stride(
    const struct tz *tz, int64_t from, int64_t to, int64_t step, int strict)
{
	int64_t t, c, prev = from;
	int g, pg = oracle_offset(from, NULL, NULL), b, a, bad = 0;

	for (t = from; t < to; t += step) {
		bad += check_instant(tz, t, strict, &g);
		if (g != pg) {
			c = tz_next_change(tz, prev, &b, &a);
			if (c > t || b != oracle_offset(c - 1, NULL, NULL) ||
			    a != oracle_offset(c, NULL, NULL)) {
				report("%s: glibc changes in (%lld, %lld], "
				       "library at %lld",
				    tz_name(tz), (long long)prev, (long long)t,
				    (long long)c);
				bad++;
			}
		}
		pg = g;
		prev = t;
	}
	return bad;
}

/* Zones found by the walk. */
static char **zones;
static size_t nzones;

/* 1 if PATH is a TZif file without leap second records. */
static int
is_plain_tzif(const char *path)
{
	unsigned char h[44];
	int fd, ok = 0;

	if ((fd = open(path, O_RDONLY)) == -1)
		return 0;
	if (read(fd, h, sizeof h) == (ssize_t)sizeof h &&
	    memcmp(h, "TZif", 4) == 0 && (h[28] | h[29] | h[30] | h[31]) == 0)
		ok = 1;
	close(fd);
	return ok;
}

static int
collect_zone(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	const char *name = path + strlen(ZONEINFO) + 1;

	(void)sb;
	(void)ftw;
	if (flag != FTW_F || strncmp(name, "posix/", 6) == 0 ||
	    strncmp(name, "right/", 6) == 0 || !is_plain_tzif(path))
		return 0;
	zones = realloc(zones, (nzones + 1) * sizeof *zones);
	assert_non_null(zones);
	zones[nzones] = strdup(name);
	assert_non_null(zones[nzones]);
	nzones++;
	return 0;
}

int
check_zone(const char *name, const char *spec, int strict)
{
	const struct tz *tz;
	char *cause = NULL;
	int bad;

	tz = tz_find(name, &cause);
	if (tz == NULL) {
		report("%s: %s", name, cause);
		free(cause);
		return 1;
	}
	oracle_set(spec);
	bad = check_stride(tz, Y1970, Y2100, STRIDE, strict);
	bad += check_changes(tz, Y1970 - 1, Y2100, strict);
	/* Past the table and the expanded rule, where instants fold. */
	if (tz_next_change(tz, Y2100, NULL, NULL) != INT64_MAX) {
		bad += check_stride(tz, Y2100, Y2900, FAR_STRIDE, strict);
		bad += check_changes(tz, utc(2436, 1, 1, 0, 0, 0),
		    utc(2446, 1, 1, 0, 0, 0), strict);
		bad +=
		    check_changes(tz, utc(2896, 1, 1, 0, 0, 0), Y2900, strict);
	}
	return bad;
}

static void
test_all_zones(void **state)
{
	char spec[1024];
	size_t i;
	int bad = 0;

	(void)state;
	unsetenv("TZDIR");
	assert_int_equal(nftw(ZONEINFO, collect_zone, 16, 0), 0);
	print_message("# %zu zones under %s\n", nzones, ZONEINFO);
	assert_true(nzones > 300);
	for (i = 0; i < nzones; i++) {
		snprintf(spec, sizeof spec, "%s/%s", ZONEINFO, zones[i]);
		bad += check_zone(zones[i], spec, 1);
		free(zones[i]);
	}
	free(zones);
	assert_int_equal(bad, 0);
}

/* Known gaps and repeats ------------------------------------------------ */

static const struct {
	const char *zone;
	int64_t year;
	int mon, mday, hour, min;
	int n;
	int64_t out[2]; /* UTC as year*1e8 + mon*1e6 + mday*1e4 + hh*100 + mm */
} resolve_cases[] = {
	{ "America/New_York", 2024, 3, 10, 2, 30, 0, { 202403100700 } },
	{ "America/New_York", 2024, 3, 10, 3, 0, 1, { 202403100700 } },
	{ "America/New_York", 2024, 3, 10, 1, 59, 1, { 202403100659 } },
	{ "America/New_York", 2024, 11, 3, 1, 30, 2,
	    { 202411030530, 202411030630 } },
	{ "America/New_York", 2024, 11, 3, 2, 0, 1, { 202411030700 } },
	{ "America/New_York", 2024, 11, 3, 0, 59, 1, { 202411030459 } },
	{ "America/New_York", 2024, 7, 1, 12, 0, 1, { 202407011600 } },
	{ "America/New_York", 2999, 3, 10, 2, 30, 0, { 299903100700 } },
	{ "America/New_York", 2999, 11, 3, 1, 30, 2,
	    { 299911030530, 299911030630 } },
	{ "Europe/London", 2024, 3, 31, 1, 30, 0, { 202403310100 } },
	{ "Europe/London", 2024, 10, 27, 1, 30, 2,
	    { 202410270030, 202410270130 } },
	{ "Europe/Berlin", 2023, 10, 29, 2, 0, 2,
	    { 202310290000, 202310290100 } },
	{ "Europe/Lisbon", 2024, 3, 31, 1, 30, 0, { 202403310100 } },
	{ "Europe/Lisbon", 2024, 10, 27, 1, 30, 2,
	    { 202410270030, 202410270130 } },
	{ "Australia/Lord_Howe", 2024, 10, 6, 2, 15, 0, { 202410051530 } },
	{ "Australia/Lord_Howe", 2024, 4, 7, 1, 45, 2,
	    { 202404061445, 202404061515 } },
	{ "Pacific/Chatham", 2024, 9, 29, 3, 0, 0, { 202409281400 } },
	{ "Pacific/Chatham", 2024, 4, 7, 3, 0, 2,
	    { 202404061315, 202404061415 } },
	{ "America/Sao_Paulo", 2014, 10, 19, 0, 30, 0, { 201410190300 } },
	{ "America/Sao_Paulo", 2015, 2, 21, 23, 30, 2,
	    { 201502220130, 201502220230 } },
	{ "Australia/Sydney", 2024, 10, 6, 2, 30, 0, { 202410051600 } },
	{ "Australia/Sydney", 2024, 4, 7, 2, 30, 2,
	    { 202404061530, 202404061630 } },
	{ "UTC", 2024, 3, 10, 2, 30, 1, { 202403100230 } },
};

static int64_t
packed_utc(int64_t p)
{
	return utc(p / 100000000, p / 1000000 % 100, p / 10000 % 100,
	    p / 100 % 100, p % 100, 0);
}

static void
test_resolve_cases(void **state)
{
	const struct tz *tz;
	char *cause = NULL;
	int64_t out[2];
	size_t i;
	int n, j;

	(void)state;
	for (i = 0; i < sizeof resolve_cases / sizeof resolve_cases[0]; i++) {
		tz = tz_find(resolve_cases[i].zone, &cause);
		assert_non_null(tz);
		n = tz_resolve(tz,
		    utc(resolve_cases[i].year, resolve_cases[i].mon,
		        resolve_cases[i].mday, resolve_cases[i].hour,
		        resolve_cases[i].min, 0),
		    out);
		print_message("# %s %04lld-%02d-%02d %02d:%02d: %d\n",
		    resolve_cases[i].zone, (long long)resolve_cases[i].year,
		    resolve_cases[i].mon, resolve_cases[i].mday,
		    resolve_cases[i].hour, resolve_cases[i].min, n);
		assert_int_equal(n, resolve_cases[i].n);
		for (j = 0; j < (n == 0 ? 1 : n); j++)
			assert_int_equal(
			    out[j], packed_utc(resolve_cases[i].out[j]));
	}
}

static const struct {
	const char *zone;
	int64_t from; /* packed UTC as above */
	int64_t next;
	int before, after;
} change_cases[] = {
	{ "America/New_York", 202401010000, 202403100700, -18000, -14400 },
	{ "America/New_York", 202403100700, 202411030600, -14400, -18000 },
	{ "America/New_York", 299901010000, 299903100700, -18000, -14400 },
	/* 1968-10-27 British Standard Time: isdst changes, offset not. */
	{ "Europe/London", 196806010000, 197110310200, 3600, 0 },
	/* 1992-09-27 WEST to CET: the same. */
	{ "Europe/Lisbon", 199206010000, 199303280100, 3600, 7200 },
	{ "Australia/Lord_Howe", 202401010000, 202404061500, 39600, 37800 },
};

static void
test_changes(void **state)
{
	const struct tz *tz;
	char *cause = NULL;
	int64_t from, next;
	size_t i;
	int b, a;

	(void)state;
	for (i = 0; i < sizeof change_cases / sizeof change_cases[0]; i++) {
		tz = tz_find(change_cases[i].zone, &cause);
		assert_non_null(tz);
		from = packed_utc(change_cases[i].from);
		next = tz_next_change(tz, from, &b, &a);
		assert_int_equal(next, packed_utc(change_cases[i].next));
		assert_int_equal(b, change_cases[i].before);
		assert_int_equal(a, change_cases[i].after);
		assert_int_equal(tz_prev_change(tz, next, &b, &a), next);
		assert_int_equal(b, change_cases[i].before);
		assert_int_equal(a, change_cases[i].after);
		assert_true(tz_prev_change(tz, next - 1, NULL, NULL) <= from);
	}
}

static void
test_isdst_only_change(void **state)
{
	const struct tz *tz = tz_find("Europe/London", NULL);
	int64_t t = packed_utc(196810270000);
	const char *abbr;
	int isdst;

	(void)state;
	assert_non_null(tz);
	assert_int_equal(tz_offset(tz, t - 86400, &isdst, &abbr), 3600);
	assert_int_equal(isdst, 1);
	assert_string_equal(abbr, "BST");
	assert_int_equal(tz_offset(tz, t + 86400, &isdst, &abbr), 3600);
	assert_int_equal(isdst, 0);
	assert_string_equal(abbr, "BST");
}

/* Instants at the ends of int64 must answer, not overflow. */
static void
test_extremes(void **state)
{
	static const char *names[] = { "America/New_York", "UTC",
		"Australia/Lord_Howe" };
	static const int64_t ts[] = { INT64_MIN, INT64_MIN + 1, -Y2900,
		INT64_MAX - 100000, INT64_MAX };
	const struct tz *tz;
	int64_t out[2], c;
	size_t i, j;
	int off, n;

	(void)state;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		tz = tz_find(names[i], NULL);
		assert_non_null(tz);
		for (j = 0; j < sizeof ts / sizeof ts[0]; j++) {
			off = tz_offset(tz, ts[j], NULL, NULL);
			assert_true(off > -86400 && off < 86400);
			n = tz_resolve(tz, ts[j], out);
			assert_true(n >= 0 && n <= 2);
			c = tz_next_change(tz, ts[j], NULL, NULL);
			assert_true(c > ts[j] || c == INT64_MAX);
			c = tz_prev_change(tz, ts[j], NULL, NULL);
			assert_true(c <= ts[j]);
		}
	}
	tz = tz_find("UTC", NULL);
	assert_int_equal(tz_next_change(tz, 0, NULL, NULL), INT64_MAX);
	assert_int_equal(tz_prev_change(tz, 0, NULL, NULL), INT64_MIN);
}

/*
 * "right/" zones count leap seconds in their times; read as POSIX instants
 * they must change at the same moments as the plain zone, up to the end of
 * their table (they carry no footer, as leap seconds cannot be foreseen).
 */
static void
test_right_zones(void **state)
{
	static const char *names[] = { "America/New_York", "Europe/London",
		"Australia/Lord_Howe", "Pacific/Chatham", "America/Sao_Paulo",
		"Europe/Lisbon", "Asia/Tokyo", "Africa/Casablanca" };
	const struct tz *plain, *right;
	char rname[64];
	int64_t p, r, last;
	size_t i;
	int n;

	(void)state;
	if (access(ZONEINFO "/right", F_OK) != 0)
		skip();
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(rname, sizeof rname, "right/%s", names[i]);
		plain = tz_find(names[i], NULL);
		right = tz_find(rname, NULL);
		assert_non_null(plain);
		assert_non_null(right);
		last = tz_prev_change(right, INT64_MAX, NULL, NULL);
		p = r = Y1970;
		for (n = 0; r < last; n++) {
			p = tz_next_change(plain, p, NULL, NULL);
			r = tz_next_change(right, r, NULL, NULL);
			assert_int_equal(p, r);
		}
		print_message("# %s: %d changes from 1970 agree\n", rname, n);
	}
}

/* Names ----------------------------------------------------------------- */

static void
test_names(void **state)
{
	/* Names that could leave the directory, and how causes show them. */
	static const char *invalid[][2] = {
		{ "../etc/passwd", "../etc/passwd" },
		{ "/etc/passwd", "/etc/passwd" },
		{ "Europe/../../etc/passwd", "Europe/../../etc/passwd" },
		{ "..", ".." },
		{ "Europe/Berlin\n", "Europe/Berlin\\x0A" },
		{ "Europe Berlin", "Europe Berlin" },
		{ "a..b", "a..b" },
		{ ".hidden", ".hidden" },
		{ "Europe/Berlin.gz", "Europe/Berlin.gz" },
		{ "Europe\\Berlin", "Europe\\\\Berlin" },
		{ "Europe/Ber\"lin", "Europe/Ber\\\"lin" },
	};
	const struct tz *tz, *local;
	char *cause = NULL, want[128];
	size_t i;
	int64_t t;

	(void)state;
	tz = tz_find("Europe/Berln", &cause);
	assert_null(tz);
	assert_string_equal(cause, "unknown time zone \"Europe/Berln\"");
	free(cause);
	tz = tz_find("America", &cause);
	assert_null(tz);
	assert_string_equal(cause, "unknown time zone \"America\"");
	free(cause);
	for (i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		cause = NULL;
		assert_null(tz_find(invalid[i][0], &cause));
		snprintf(want, sizeof want,
		    "invalid time zone name \"%s\": expected a name such as "
		    "\"Europe/Berlin\"",
		    invalid[i][1]);
		assert_non_null(cause);
		assert_string_equal(cause, want);
		free(cause);
	}

	tz = tz_find("Europe/Berlin", NULL);
	assert_non_null(tz);
	assert_ptr_equal(tz, tz_find("Europe/Berlin", NULL));
	assert_string_equal(tz_name(tz), "Europe/Berlin");
	for (i = 0; i < 2; i++) {
		tz = tz_find(i == 0 ? "UTC" : "Etc/UTC", NULL);
		assert_non_null(tz);
		assert_int_equal(tz_offset(tz, 1700000000, NULL, NULL), 0);
	}

	local = tz_find(NULL, NULL);
	assert_non_null(local);
	assert_ptr_equal(local, tz_find("", NULL));
	assert_ptr_equal(local, tz_find("localtime", NULL));
	assert_string_equal(tz_name(local), "localtime");
	oracle_set(
	    access("/etc/localtime", F_OK) == 0 ? "/etc/localtime" : "UTC0");
	for (t = Y1970; t < Y2100; t += STRIDE * 11)
		assert_int_equal(tz_offset(local, t, NULL, NULL),
		    oracle_offset(t, NULL, NULL));
}

/* Threads --------------------------------------------------------------- */

#define NTHREADS 6

static const char *thread_zones[] = { "Asia/Tokyo", "America/Chicago",
	"Europe/Paris", "Africa/Cairo", "America/Santiago", "Asia/Kolkata",
	"Pacific/Auckland", "America/Havana" };
#define NTZONES (sizeof thread_zones / sizeof thread_zones[0])

static void *
thread_main(void *arg)
{
	const struct tz **found = arg;
	int64_t t;
	size_t i;
	int sum = 0;

	for (i = 0; i < NTZONES; i++) {
		found[i] = tz_find(thread_zones[i], NULL);
		if (found[i] == NULL)
			continue;
		for (t = Y1970; t < Y2100; t += STRIDE)
			sum += tz_offset(found[i], t, NULL, NULL) != 0;
	}
	return sum > 0 ? arg : NULL;
}

static void
test_threads(void **state)
{
	const struct tz *found[NTHREADS][NTZONES];
	pthread_t th[NTHREADS];
	void *ret;
	size_t i, j;

	(void)state;
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(
		    pthread_create(&th[i], NULL, thread_main, found[i]), 0);
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_ptr_equal(ret, found[i]);
	}
	for (j = 0; j < NTZONES; j++) {
		assert_non_null(found[0][j]);
		for (i = 1; i < NTHREADS; i++)
			assert_ptr_equal(found[i][j], found[0][j]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_resolve_cases),
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_isdst_only_change),
		cmocka_unit_test(test_extremes),
		cmocka_unit_test(test_all_zones),
		cmocka_unit_test(test_right_zones),
		cmocka_unit_test_setup_teardown(
		    test_footer_rules, setup_tzdir, teardown_tzdir),
		cmocka_unit_test_setup_teardown(
		    test_footer_all_year_dst, setup_tzdir, teardown_tzdir),
		cmocka_unit_test_setup_teardown(
		    test_truncated, setup_tzdir, teardown_tzdir),
		cmocka_unit_test_setup_teardown(
		    test_bad_contents, setup_tzdir, teardown_tzdir),
		cmocka_unit_test_setup_teardown(
		    test_random_damage, setup_tzdir, teardown_tzdir),
		cmocka_unit_test_setup_teardown(
		    test_version1, setup_tzdir, teardown_tzdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
