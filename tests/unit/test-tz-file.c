/* SPDX-License-Identifier: ISC */
/*
 * Zone files written for the test into a private $TZDIR: footers of every
 * POSIX rule form (against glibc reading the same TZ string), truncated,
 * damaged and version 1 files.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tz.h"
#include "tz-check.h"

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

int
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

int
teardown_tzdir(void **state)
{
	(void)state;
	unsetenv("TZDIR");
	return nftw(tzdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Footers: every rule form, compared with glibc reading the same string. */
void
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
void
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

void
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

void
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
void
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
void
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
