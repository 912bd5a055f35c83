/* SPDX-License-Identifier: ISC */
/*
 * Time zones. Every TZif zone on the system is compared with glibc's
 * localtime_r (the oracle; only this test sets TZ) at each change and on a
 * stride from 1970 to 2100, and past the rule expansion up to 2900; POSIX
 * footers are compared with glibc reading the same TZ string. Then known
 * gaps and repeats, names that are unknown or try to leave the zone
 * directory, and truncated or damaged files in a private $TZDIR.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
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

#define ZONEINFO "/usr/share/zoneinfo"
#define Y1970 ((int64_t)0)
#define Y2100 ((int64_t)4102444800)
#define Y2900 ((int64_t)29349388800)
/* An odd stride (5d 7h 13m 7s) so samples land at every time of day. */
#define STRIDE ((int64_t)457987)
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

static int
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

/* Private zone files ---------------------------------------------------- */

static char tzdir[64];

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Writes BUF as zone NAME under the private $TZDIR. */
static void
write_zone(const char *name, const void *buf, size_t len)
{
	char path[256], *slash;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tzdir, name);
	if ((slash = strrchr(path, '/')) != NULL) {
		*slash = '\0';
		if (mkdir(path, 0700) == -1)
			assert_int_equal(errno, EEXIST);
		*slash = '/';
	}
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/*
 * A version 2 file with no transitions and one "LMT" type, so that FOOTER
 * alone governs every instant (RFC 8536 section 3.3).
 */
static size_t
make_footer_zone(unsigned char *buf, size_t cap, const char *footer)
{
	static const unsigned char block[10] = { 0, 0, 0, 0, 0, 0, 'L', 'M',
		'T', 0 };
	size_t len = 0, flen = strlen(footer);
	int i;

	assert_true(cap >= 2 * (44 + sizeof block) + flen + 2);
	for (i = 0; i < 2; i++) {
		memset(buf + len, 0, 44);
		memcpy(buf + len, "TZif2", 5);
		put32(buf + len + 36, 1);
		put32(buf + len + 40, 4);
		len += 44;
		memcpy(buf + len, block, sizeof block);
		len += sizeof block;
	}
	buf[len++] = '\n';
	memcpy(buf + len, footer, flen);
	len += flen;
	buf[len++] = '\n';
	return len;
}

static int
setup_tzdir(void **state)
{
	(void)state;
	strlcpy(tzdir, "/tmp/test-tz.XXXXXX", sizeof tzdir);
	if (mkdtemp(tzdir) == NULL)
		return -1;
	return setenv("TZDIR", tzdir, 1);
}

static int
remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown_tzdir(void **state)
{
	(void)state;
	unsetenv("TZDIR");
	return nftw(tzdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Footers: every rule form, compared with glibc reading the same string. */
static void
test_footer_rules(void **state)
{
	static const char *specs[] = {
		"EST5EDT,M3.2.0,M11.1.0",
		"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
		"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
		"CET-1CEST,M3.5.0,M10.5.0/3",
		"NZST-12NZDT,M9.5.0,M4.1.0/3",
		"IST-1GMT0,M10.5.0,M3.5.0/1",
		"<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
		"<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
		"XST3XDT,J60/1,J300/25",
		"YST-2YDT,59/-1,300/26",
		"AAA3BBB,J1/167,J365/-167",
		"ZST-3:30ZDT-4:30:15,M1.2.0/0,M12.4.6/23:59:59",
		"<+0330>-3:30",
		"<-00>0",
	};
	unsigned char buf[512];
	char name[32];
	size_t i, len;
	int bad = 0;

	(void)state;
	for (i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		len = make_footer_zone(buf, sizeof buf, specs[i]);
		snprintf(name, sizeof name, "Rule/r%zu", i);
		write_zone(name, buf, len);
		bad += check_zone(name, specs[i], 1);
	}
	assert_int_equal(bad, 0);
}

/*
 * All-year daylight time (RFC 8536's "EST5EDT4,0/0,J365/25"): the end of
 * one year's period meets the start of the next, so the clock never moves.
 * glibc shows standard time for a few hours at each UTC new year here, so
 * it cannot be the oracle.
 */
static void
test_footer_all_year_dst(void **state)
{
	unsigned char buf[512];
	const struct tz *tz;
	const char *abbr;
	char *cause = NULL;
	int64_t t;
	int isdst;
	size_t len;

	(void)state;
	len = make_footer_zone(buf, sizeof buf, "EST5EDT4,0/0,J365/25");
	write_zone("Rule/alldst", buf, len);
	tz = tz_find("Rule/alldst", &cause);
	assert_non_null(tz);
	for (t = -Y2100; t < Y2900; t += STRIDE / 3) {
		assert_int_equal(tz_offset(tz, t, &isdst, &abbr), -4 * 3600);
		assert_int_equal(isdst, 1);
		assert_string_equal(abbr, "EDT");
	}
	assert_int_equal(tz_next_change(tz, 0, NULL, NULL), INT64_MAX);
	assert_int_equal(tz_prev_change(tz, Y2100, NULL, NULL), INT64_MIN);
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

/* Names ----------------------------------------------------------------- */

static void
test_names(void **state)
{
	static const char *invalid[] = { "../etc/passwd", "/etc/passwd",
		"Europe/../../etc/passwd", "..", "Europe/Berlin\n",
		"Europe Berlin", "a..b", ".hidden", "Europe/Berlin.gz",
		"Europe\\Berlin" };
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
		assert_null(tz_find(invalid[i], &cause));
		snprintf(want, sizeof want, "invalid time zone name \"%s\"",
		    invalid[i]);
		assert_non_null(cause);
		assert_memory_equal(cause, want, strlen(want));
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

/* Damaged files --------------------------------------------------------- */

static unsigned char *
read_whole(const char *path, size_t *len)
{
	unsigned char *buf;
	struct stat st;
	FILE *f;

	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fstat(fileno(f), &st), 0);
	buf = malloc(st.st_size);
	assert_non_null(buf);
	*len = fread(buf, 1, st.st_size, f);
	assert_int_equal(*len, (size_t)st.st_size);
	fclose(f);
	return buf;
}

/* Loads NAME from the private directory and expects a corrupt-file cause. */
static void
expect_corrupt(const char *name, const char *why)
{
	char *cause = NULL, want[256];
	int len;

	assert_null(tz_find(name, &cause));
	assert_non_null(cause);
	len = snprintf(want, sizeof want, "corrupt time zone file %s/%s: %s",
	    tzdir, name, why != NULL ? why : "");
	if (why != NULL)
		assert_string_equal(cause, want);
	else
		assert_memory_equal(cause, want, len);
	free(cause);
}

static void
test_truncated(void **state)
{
	unsigned char *buf;
	size_t len, cut;

	(void)state;
	buf = read_whole(ZONEINFO "/America/New_York", &len);
	for (cut = 0; cut < len; cut++) {
		write_zone("Bad/trunc", buf, cut);
		expect_corrupt("Bad/trunc", NULL);
	}
	write_zone("Bad/trunc", buf, 20);
	expect_corrupt("Bad/trunc", "header truncated");
	write_zone("Bad/trunc", buf, 100);
	expect_corrupt("Bad/trunc", "data block truncated");
	write_zone("Bad/trunc", buf, len - 1);
	expect_corrupt("Bad/trunc", "footer missing or too long");
	free(buf);
}

static void
test_bad_contents(void **state)
{
	static const uint32_t huge[] = { 0xffffffff, 0x80000000, 0x10000000 };
	unsigned char *buf, text[64], zone[512];
	size_t len, v1, i, j, k, hdr;

	(void)state;
	memset(text, 'x', sizeof text);
	write_zone("Bad/text", text, sizeof text);
	expect_corrupt("Bad/text", "no TZif magic");
	len = make_footer_zone(zone, sizeof zone, "EST5EDT,M13.1.0,M11.1.0");
	write_zone("Bad/footer", zone, len);
	expect_corrupt("Bad/footer", "bad TZ string in footer");
	len = make_footer_zone(zone, sizeof zone, "EST5EDT,M3.2.0");
	write_zone("Bad/footer", zone, len);
	expect_corrupt("Bad/footer", "bad TZ string in footer");

	/* Every count in either header, blown up. */
	buf = read_whole(ZONEINFO "/America/New_York", &len);
	v1 = 44 + (size_t)buf[35] * 5 + buf[39] * 6 + buf[43] + buf[27] +
	    buf[23];
	for (i = 0; i < 2; i++) {
		hdr = i == 0 ? 0 : v1;
		for (j = 0; j < 6; j++) {
			for (k = 0; k < sizeof huge / sizeof huge[0]; k++) {
				unsigned char save[4];

				memcpy(save, buf + hdr + 20 + j * 4, 4);
				put32(buf + hdr + 20 + j * 4, huge[k]);
				write_zone("Bad/count", buf, len);
				expect_corrupt("Bad/count", NULL);
				memcpy(buf + hdr + 20 + j * 4, save, 4);
			}
		}
	}
	free(buf);
}

/*
 * Random damage with a fixed seed: each file either loads, and then must
 * answer every lookup, or is refused with a corrupt-file cause.
 */
static void
test_random_damage(void **state)
{
	unsigned char *buf, *copy;
	const struct tz *tz;
	char name[32], *cause;
	size_t len, pos;
	int64_t out[2], t;
	int i, j, loaded = 0;

	(void)state;
	srandom(1);
	buf = read_whole(ZONEINFO "/Europe/Berlin", &len);
	copy = malloc(len);
	assert_non_null(copy);
	for (i = 0; i < 400; i++) {
		memcpy(copy, buf, len);
		for (j = random() % 4; j >= 0; j--) {
			pos = random() % (random() % 2 ? len : 100);
			copy[pos] = (unsigned char)random();
		}
		snprintf(name, sizeof name, "Fuzz/f%d", i);
		write_zone(name, copy, len);
		cause = NULL;
		if ((tz = tz_find(name, &cause)) == NULL) {
			assert_non_null(cause);
			assert_memory_equal(
			    cause, "corrupt time zone file ", 23);
			free(cause);
			continue;
		}
		loaded++;
		for (t = -Y2900; t < Y2900; t += Y2100 / 7) {
			tz_offset(tz, t, NULL, NULL);
			assert_true(tz_resolve(tz, t, out) <= 2);
			assert_true(tz_next_change(tz, t, NULL, NULL) > t);
			assert_true(tz_prev_change(tz, t, NULL, NULL) <= t);
		}
	}
	print_message("# %d of 400 damaged files still loaded\n", loaded);
	free(copy);
	free(buf);
}

/* A version 1 file: the 32-bit block alone, no footer. */
static void
test_version1(void **state)
{
	const struct tz *v1, *full;
	unsigned char *buf;
	size_t len, v1len;
	int64_t t;

	(void)state;
	buf = read_whole(ZONEINFO "/America/New_York", &len);
	v1len = 44 + (size_t)buf[35] * 5 + buf[39] * 6 + buf[43] + buf[27] +
	    buf[23];
	assert_true(buf[32] == 0 && buf[36] == 0 && buf[40] == 0);
	buf[4] = 0;
	write_zone("Old/v1", buf, v1len);
	free(buf);
	v1 = tz_find("Old/v1", NULL);
	full = tz_find("America/New_York", NULL);
	assert_non_null(v1);
	assert_non_null(full);
	for (t = INT32_MIN; t < INT32_MAX; t += STRIDE)
		assert_int_equal(tz_offset(v1, t, NULL, NULL),
		    tz_offset(full, t, NULL, NULL));
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
