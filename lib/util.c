/* SPDX-License-Identifier: ISC */
/*
 * Text helpers shared by both programs. Times go through civil.c and tz.c
 * only, never through the C library's zone functions or TZ.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "util.h"
#include "xmalloc.h"

/* Writes V as exactly N decimal digits at BUF (no terminator). */
static void
put_digits(char *buf, int64_t v, int n)
{
	while (n-- > 0) {
		buf[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

static void
util_format_offset(char *buf, size_t len, int64_t t, int off, char *zone)
{
	struct civil c;
	int a = off < 0 ? -off : off;

	civil_from_seconds(t + off, &c);
	if (zone != NULL)
		snprintf(zone, 8, "%c%02d:%02d", off < 0 ? '-' : '+',
		    a / 3600 % 100, a / 60 % 60);
	if (zone == NULL && c.year >= 0 && c.year <= 9999 && len >= 21) {
		/* The API prints a UTC time for every run it lists: by hand,
		 * since snprintf was most of the cost of reading one job. */
		put_digits(buf, c.year, 4);
		buf[4] = '-';
		put_digits(buf + 5, c.mon, 2);
		buf[7] = '-';
		put_digits(buf + 8, c.mday, 2);
		buf[10] = 'T';
		put_digits(buf + 11, c.hour, 2);
		buf[13] = ':';
		put_digits(buf + 14, c.min, 2);
		buf[16] = ':';
		put_digits(buf + 17, c.sec, 2);
		buf[19] = 'Z';
		buf[20] = '\0';
		return;
	}
	snprintf(buf, len, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d%s", c.year,
	    c.mon, c.mday, c.hour, c.min, c.sec, zone != NULL ? zone : "Z");
}

void
util_format_time(char *buf, size_t len, int64_t t, const struct tz *tz)
{
	char zone[8];

	util_format_offset(buf, len, t, tz_offset(tz, t, NULL, NULL), zone);
}

void
util_format_utc(char *buf, size_t len, int64_t t)
{
	util_format_offset(buf, len, t, 0, NULL);
}

/* Reads exactly N digits at *S into *V. */
static int
util_digits(const char **s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return -1;
		*v = *v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	return 0;
}

static int
util_time_fail(const char *s, const char *why, char **cause)
{
	char esc[80];

	util_escape(esc, sizeof esc, s);
	if (cause != NULL)
		xasprintf(cause, "time \"%s\" %s", esc, why);
	return -1;
}

/* The date and time of day part: fills C and moves *P past it. */
static int
util_parse_civil(const char **p, struct civil *c)
{
	const char *s = *p;
	int y;

	memset(c, 0, sizeof *c);
	if (util_digits(&s, 4, &y) != 0 || *s++ != '-' ||
	    util_digits(&s, 2, &c->mon) != 0 || *s++ != '-' ||
	    util_digits(&s, 2, &c->mday) != 0)
		return -1;
	c->year = y;
	if (c->mon < 1 || c->mon > 12 || c->mday < 1 ||
	    c->mday > civil_days_in_month(c->year, c->mon))
		return -1;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (util_digits(&s, 2, &c->hour) != 0 || *s++ != ':' ||
		    util_digits(&s, 2, &c->min) != 0)
			return -1;
		if (*s == ':') {
			s++;
			if (util_digits(&s, 2, &c->sec) != 0)
				return -1;
			if (*s == '.' || *s == ',') {
				s++;
				if (!isdigit((unsigned char)*s))
					return -1;
				while (isdigit((unsigned char)*s))
					s++;
			}
		}
		if (c->hour > 23 || c->min > 59 || c->sec > 59)
			return -1;
	}
	*p = s;
	return 0;
}

int
util_parse_time(const char *s, const struct tz *tz, int64_t *out, char **cause)
{
	const char *p = s;
	struct civil c;
	int64_t wall, at[2];
	int sign, oh, om;

	if (util_parse_civil(&p, &c) != 0)
		return util_time_fail(s,
		    "is not a valid RFC 3339 time "
		    "(2025-03-09T01:58:00-08:00, or without an offset as wall "
		    "time)",
		    cause);
	wall = civil_to_seconds(&c);
	if (*p == '\0') {
		if (tz == NULL)
			return util_time_fail(s, "needs an offset", cause);
		tz_resolve(tz, wall, at);
		*out = at[0];
		return 0;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		*out = wall;
		return 0;
	}
	if (*p != '+' && *p != '-')
		return util_time_fail(
		    s, "has trailing text after the time", cause);
	sign = *p++ == '-' ? -1 : 1;
	if (util_digits(&p, 2, &oh) == 0 && *p == ':')
		p++;
	if (p[-1] == '+' || p[-1] == '-' || util_digits(&p, 2, &om) != 0 ||
	    *p != '\0' || oh > 23 || om > 59)
		return util_time_fail(
		    s, "has an offset that is not +HH:MM", cause);
	*out = wall - sign * (oh * 3600 + om * 60);
	return 0;
}

int
util_parse_duration(const char *s, int64_t *seconds, char **cause)
{
	const char *p = s;
	int64_t total = 0, n, unit;
	char esc[64];

	if (*p == '\0')
		goto bad;
	while (*p != '\0') {
		const char *start = p;

		if (!isdigit((unsigned char)*p))
			goto bad;
		for (n = 0; isdigit((unsigned char)*p); p++) {
			n = n * 10 + (*p - '0');
			if (n > (int64_t)1 << 40)
				goto big;
		}
		switch (*p) {
		case '\0':
			/* A bare number is seconds, but "5m30" is a typo. */
			if (start != s)
				goto bad;
			unit = 1;
			break;
		case 's':
			unit = 1;
			break;
		case 'm':
			unit = 60;
			break;
		case 'h':
			unit = 3600;
			break;
		case 'd':
			unit = 86400;
			break;
		case 'w':
			unit = 7 * 86400;
			break;
		default:
			goto bad;
		}
		if (*p != '\0')
			p++;
		total += n * unit;
		if (total > (int64_t)1 << 40)
			goto big;
	}
	*seconds = total;
	return 0;
bad:
	util_escape(esc, sizeof esc, s);
	if (cause != NULL)
		xasprintf(cause,
		    "duration \"%s\" is not like 90s, 5m, 2h30m "
		    "or 1d",
		    esc);
	return -1;
big:
	util_escape(esc, sizeof esc, s);
	if (cause != NULL)
		xasprintf(cause, "duration \"%s\" is too long", esc);
	return -1;
}

int
util_parse_size(const char *s, uint64_t *bytes, char **cause)
{
	const char *p = s;
	uint64_t n = 0;
	int shift = 0;
	char esc[64];

	if (!isdigit((unsigned char)*p))
		goto bad;
	for (; isdigit((unsigned char)*p); p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > (uint64_t)1 << 40)
			goto bad;
	}
	switch (toupper((unsigned char)*p)) {
	case '\0':
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	default:
		goto bad;
	}
	if (*p != '\0') {
		p++;
		if (*p == 'i' && p[1] == 'B')
			p += 2;
		else if (*p == 'B' || *p == 'b')
			p++;
	}
	if (*p != '\0' || (shift > 0 && n > (UINT64_MAX >> shift)))
		goto bad;
	*bytes = n << shift;
	return 0;
bad:
	util_escape(esc, sizeof esc, s);
	if (cause != NULL)
		xasprintf(
		    cause, "size \"%s\" is not like 512, 64K, 512M or 2G", esc);
	return -1;
}

void
util_format_duration(char *buf, size_t len, int64_t seconds)
{
	static const struct {
		char unit;
		int64_t secs;
	} parts[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 } };
	size_t i, used = 0;
	uint64_t left;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (seconds == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	if (seconds < 0) {
		used += (size_t)snprintf(buf, len, "-");
		left = (uint64_t)0 - (uint64_t)seconds;
	} else
		left = (uint64_t)seconds;
	for (i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		uint64_t n = left / (uint64_t)parts[i].secs;

		if (n == 0 || used >= len)
			continue;
		used += (size_t)snprintf(
		    buf + used, len - used, "%" PRIu64 "%c", n, parts[i].unit);
		left -= n * (uint64_t)parts[i].secs;
	}
}

const char *const util_scopes[UTIL_NSCOPES] = { "read", "trigger", "write",
	"admin" };

int
util_parse_scopes(const char *s, unsigned int *scopes, char **cause)
{
	char word[32], esc[128];
	size_t n, i;

	*scopes = 0;
	while (*s != '\0') {
		n = strcspn(s, ", ");
		if (n == 0) {
			s++;
			continue;
		}
		if (n >= sizeof word) {
			memcpy(word, s, sizeof word - 1);
			word[sizeof word - 1] = '\0';
			util_escape(esc, sizeof esc, word);
			xasprintf(cause, "scope \"%s...\" is too long", esc);
			return -1;
		}
		memcpy(word, s, n);
		word[n] = '\0';
		for (i = 0; i < UTIL_NSCOPES; i++) {
			if (strcmp(word, util_scopes[i]) == 0)
				break;
		}
		if (i == UTIL_NSCOPES) {
			util_escape(esc, sizeof esc, word);
			xasprintf(cause,
			    "unknown scope \"%s\" (expected read, trigger, "
			    "write or admin)",
			    esc);
			return -1;
		}
		*scopes |= 1U << i;
		s += n;
	}
	if (*scopes == 0) {
		xasprintf(cause, "no scope given");
		return -1;
	}
	return 0;
}

int
util_valid_name(const char *name)
{
	size_t n;

	for (n = 0; name[n] != '\0'; n++) {
		unsigned char c = (unsigned char)name[n];

		if (n >= 64 ||
		    !(isalnum(c) || c == '.' || c == '_' || c == '-') ||
		    c >= 0x80)
			return 0;
	}
	return n > 0;
}

static size_t
util_escape_piece(unsigned char c, char piece[5])
{
	if (c == '"' || c == '\\')
		snprintf(piece, 5, "\\%c", c);
	else if (c < 0x20 || c >= 0x7f)
		snprintf(piece, 5, "\\x%02X", c);
	else
		snprintf(piece, 5, "%c", c);
	return strlen(piece);
}

void
util_escape(char *buf, size_t len, const char *s)
{
	size_t o = 0, need, total = 0;
	const char *q;
	char piece[5];

	if (len == 0)
		return;
	for (q = s; *q != '\0'; q++)
		total += util_escape_piece((unsigned char)*q, piece);
	for (; *s != '\0'; s++) {
		need = util_escape_piece((unsigned char)*s, piece);
		/* When it will not all fit, keep room for "...". */
		if (o + need + (total < len ? 0 : 3) >= len) {
			if (o + 3 < len) {
				memcpy(buf + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(buf + o, piece, need);
		o += need;
	}
	buf[o] = '\0';
}

size_t
util_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, tmp;
	size_t row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < cur)
				cur = row[j] + 1;
			if (row[j - 1] + 1 < cur)
				cur = row[j - 1] + 1;
			tmp = row[j];
			row[j] = cur;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *
util_nearest(const char *key, const char *const *names)
{
	const char *best = NULL;
	size_t d, bestd = 3, i;

	for (i = 0; names != NULL && names[i] != NULL; i++) {
		d = util_distance(key, names[i]);
		if (d < bestd) {
			bestd = d;
			best = names[i];
		}
	}
	return best;
}

int
util_double_int(double d, int64_t min, int64_t max, int64_t *out)
{
	if (!(d >= (double)min && d <= (double)max) || d != (double)(int64_t)d)
		return -1;
	*out = (int64_t)d;
	return 0;
}
