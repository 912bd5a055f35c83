/* SPDX-License-Identifier: ISC */
/*
 * Reading zones: TZif files (RFC 8536 and 9636, versions 1 to 4) and
 * their POSIX TZ footers. Every count in a header is checked against the
 * file's size before anything is read, and zone names are confined to the
 * zone directory. The footer rule is expanded into transitions 400 years
 * past the table, after which tz.c folds instants by the 400-year cycle.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "civil.h"
#include "tz.h"
#include "tz-int.h"
#include "util.h"
#include "xmalloc.h"

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"
#define TZ_LOCALTIME_PATH "/etc/localtime"
#define TZ_FILE_MAX (1024 * 1024)
#define TZ_NAME_MAX 255
/* RFC 9636 says offsets stay within -25:59:59 to +25:59:59. */
#define TZ_OFF_LIMIT 93599
/* Years of rule transitions expanded past the table (one period + slack). */
#define TZ_RULE_YEARS 405

/* One end of a POSIX daylight saving period. */
struct tz_rule {
	int kind; /* 'J' (1-365, no Feb 29), 'D' (0-365), 'M' (month rule) */
	int day;  /* J and D: the day; M: the weekday 0-6 */
	int mon;
	int week;
	int32_t secs; /* local time of day; v3 allows -167h to 167h */
};

struct tz_posix {
	struct tz_type std;
	struct tz_type dst;
	int hasdst;
	struct tz_rule start;
	struct tz_rule end;
};

/* A transition while building: instant and type index. */
struct tz_trans {
	int64_t t;
	size_t type;
	int isdst;
};

static void tz_set_cause(char **, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
tz_set_cause(char **cause, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	*cause = xstrdup(buf);
}

/* POSIX TZ strings ------------------------------------------------------ */

static const char *
tz_posix_num(const char *s, int max, int *out)
{
	int n = 0;

	if (!isdigit((unsigned char)*s))
		return NULL;
	while (isdigit((unsigned char)*s)) {
		n = n * 10 + (*s++ - '0');
		if (n > max)
			return NULL;
	}
	*out = n;
	return s;
}

/* [+-]hh[:mm[:ss]] as seconds, hours at most MAXH. */
static const char *
tz_posix_secs(const char *s, int maxh, int32_t *out)
{
	int sign = 1, h, m = 0, sec = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if ((s = tz_posix_num(s, maxh, &h)) == NULL)
		return NULL;
	if (*s == ':') {
		if ((s = tz_posix_num(s + 1, 59, &m)) == NULL)
			return NULL;
		if (*s == ':' && (s = tz_posix_num(s + 1, 59, &sec)) == NULL)
			return NULL;
	}
	*out = sign * (h * 3600 + m * 60 + sec);
	return s;
}

/* An abbreviation: three or more letters, or <...> of [A-Za-z0-9+-]. */
static const char *
tz_posix_name(const char *s, char *buf)
{
	const char *start = s;
	size_t len;

	if (*s == '<') {
		start = ++s;
		while (isalnum((unsigned char)*s) || *s == '+' || *s == '-')
			s++;
		if (*s != '>' || s == start)
			return NULL;
		len = s++ - start;
	} else {
		while (isalpha((unsigned char)*s))
			s++;
		if (s - start < 3)
			return NULL;
		len = s - start;
	}
	if (len >= TZ_ABBR_MAX)
		len = TZ_ABBR_MAX - 1;
	memcpy(buf, start, len);
	buf[len] = '\0';
	return s;
}

static const char *
tz_posix_date(const char *s, struct tz_rule *r)
{
	r->kind = *s;
	if (*s == 'J')
		s = tz_posix_num(s + 1, 365, &r->day);
	else if (*s == 'M') {
		if ((s = tz_posix_num(s + 1, 12, &r->mon)) == NULL ||
		    *s != '.' ||
		    (s = tz_posix_num(s + 1, 5, &r->week)) == NULL ||
		    *s != '.' || (s = tz_posix_num(s + 1, 6, &r->day)) == NULL)
			return NULL;
		if (r->mon < 1 || r->week < 1)
			return NULL;
	} else {
		r->kind = 'D';
		s = tz_posix_num(s, 365, &r->day);
	}
	if (s == NULL || (r->kind == 'J' && r->day < 1))
		return NULL;
	r->secs = 2 * 3600;
	if (*s == '/')
		s = tz_posix_secs(s + 1, 167, &r->secs);
	return s;
}

/* Parses a TZ string such as "EST5EDT,M3.2.0,M11.1.0". Returns 0 or -1. */
static int
tz_posix_parse(const char *s, struct tz_posix *p)
{
	int32_t secs;

	memset(p, 0, sizeof *p);
	if ((s = tz_posix_name(s, p->std.abbr)) == NULL ||
	    (s = tz_posix_secs(s, 24, &secs)) == NULL)
		return -1;
	p->std.off = -secs;
	if (*s == '\0')
		return 0;
	if ((s = tz_posix_name(s, p->dst.abbr)) == NULL)
		return -1;
	p->hasdst = 1;
	p->dst.isdst = 1;
	p->dst.off = p->std.off + 3600;
	if (*s != ',' && *s != '\0') {
		if ((s = tz_posix_secs(s, 24, &secs)) == NULL)
			return -1;
		p->dst.off = -secs;
	}
	if (*s == '\0') {
		/* No rule: the US rules, as POSIX implementations assume. */
		s = ",M3.2.0,M11.1.0";
	}
	if (*s != ',' || (s = tz_posix_date(s + 1, &p->start)) == NULL ||
	    *s != ',' || (s = tz_posix_date(s + 1, &p->end)) == NULL ||
	    *s != '\0')
		return -1;
	return 0;
}

/* The day number on which rule R falls in YEAR. */
static int64_t
tz_rule_day(const struct tz_rule *r, int64_t year)
{
	int64_t first, last, d;

	switch (r->kind) {
	case 'J':
		d = civil_days_from_date(year, 1, 1) + r->day - 1;
		if (r->day >= 60 && civil_is_leap(year))
			d++;
		return d;
	case 'D':
		return civil_days_from_date(year, 1, 1) + r->day;
	default:
		first = civil_days_from_date(year, r->mon, 1);
		last = first + civil_days_in_month(year, r->mon) - 1;
		d = first + (r->day - civil_weekday(first) + 7) % 7 +
		    (int64_t)(r->week - 1) * 7;
		while (d > last)
			d -= 7;
		return d;
	}
}

/* TZif files ------------------------------------------------------------ */

struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static uint32_t
tzif_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
tzif_i64(const unsigned char *p)
{
	uint64_t v = (uint64_t)tzif_u32(p) << 32 | tzif_u32(p + 4);

	return (int64_t)v;
}

/* A transition or leap time of TIMESIZE (4 or 8) bytes. */
static int64_t
tzif_time(const unsigned char *p, int timesize)
{
	if (timesize == 8)
		return tzif_i64(p);
	return (int32_t)tzif_u32(p);
}

/*
 * Reads the header at OFF and checks that its data block (times of
 * TIMESIZE bytes) fits in LEN; returns the block's size or 0 with *why.
 */
static size_t
tzif_header(const unsigned char *buf, size_t len, size_t off, int timesize,
    struct tzif_counts *c, const char **why)
{
	const unsigned char *p = buf + off;
	uint64_t need;

	if (len < 44 || off > len - 44) {
		*why = "header truncated";
		return 0;
	}
	if (memcmp(p, "TZif", 4) != 0) {
		*why = "no TZif magic";
		return 0;
	}
	c->isut = tzif_u32(p + 20);
	c->isstd = tzif_u32(p + 24);
	c->leap = tzif_u32(p + 28);
	c->time = tzif_u32(p + 32);
	c->type = tzif_u32(p + 36);
	c->chars = tzif_u32(p + 40);
	need = (uint64_t)c->time * (timesize + 1) + (uint64_t)c->type * 6 +
	    c->chars + (uint64_t)c->leap * (timesize + 4) + c->isstd + c->isut;
	if (need > len - off - 44) {
		*why = "data block truncated";
		return 0;
	}
	if (c->type == 0 || c->type > 256 || c->chars == 0) {
		*why = "no local time types";
		return 0;
	}
	if ((c->isut != 0 && c->isut != c->type) ||
	    (c->isstd != 0 && c->isstd != c->type)) {
		*why = "indicator counts differ from type count";
		return 0;
	}
	return need;
}

/* Parses one data block into the builder's transitions and types. */
static int
tzif_block(const unsigned char *p, const struct tzif_counts *c, int timesize,
    struct tz_trans **trans, struct tz_type **types, const char **why)
{
	const unsigned char *idx = p + (size_t)c->time * timesize;
	const unsigned char *tp = idx + c->time;
	const char *chars = (const char *)tp + (size_t)c->type * 6;
	const unsigned char *leap = (const unsigned char *)chars + c->chars;
	struct tz_type *ty;
	int64_t t, occ, prev = 0;
	int32_t corr = 0;
	size_t i, j, len;

	*trans = xreallocarray(NULL, c->time + 1, sizeof **trans);
	*types = ty = xreallocarray(NULL, c->type + 2, sizeof **types);
	for (i = 0; i < c->type; i++, tp += 6) {
		ty[i].off = (int32_t)tzif_u32(tp);
		ty[i].isdst = tp[4];
		if (ty[i].off < -TZ_OFF_LIMIT || ty[i].off > TZ_OFF_LIMIT) {
			*why = "UTC offset out of range";
			return -1;
		}
		if (tp[4] > 1 || tp[5] >= c->chars) {
			*why = "bad local time type";
			return -1;
		}
		len = strnlen(chars + tp[5], c->chars - tp[5]);
		if (len == c->chars - tp[5]) {
			*why = "unterminated abbreviation";
			return -1;
		}
		if (len >= TZ_ABBR_MAX)
			len = TZ_ABBR_MAX - 1;
		memcpy(ty[i].abbr, chars + tp[5], len);
		ty[i].abbr[len] = '\0';
	}
	/*
	 * Files with leap second records ("right/" zones) count leap seconds
	 * in their times and POSIX instants do not, so each transition loses
	 * the correction in force at it.
	 */
	for (j = 0; j < c->leap; j++) {
		occ = tzif_time(leap + j * (timesize + 4), timesize);
		if (j > 0 && occ <= prev) {
			*why = "leap second records out of order";
			return -1;
		}
		prev = occ;
	}
	for (i = 0, j = 0; i < c->time; i++) {
		t = tzif_time(p + (size_t)i * timesize, timesize);
		while (j < c->leap &&
		    tzif_time(leap + j * (timesize + 4), timesize) <= t) {
			corr = (int32_t)tzif_u32(
			    leap + j * (timesize + 4) + timesize);
			j++;
		}
		if (__builtin_sub_overflow(t, (int64_t)corr, &t) ||
		    (i > 0 && t <= (*trans)[i - 1].t)) {
			*why = "transition times out of order";
			return -1;
		}
		if (idx[i] >= c->type) {
			*why = "transition names a missing type";
			return -1;
		}
		(*trans)[i].t = t;
		(*trans)[i].type = idx[i];
		(*trans)[i].isdst = ty[idx[i]].isdst;
	}
	return 0;
}

/* Loading --------------------------------------------------------------- */

static size_t
tz_type_add(struct tz_type *types, size_t *n, const struct tz_type *ty)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (types[i].off == ty->off && types[i].isdst == ty->isdst &&
		    strcmp(types[i].abbr, ty->abbr) == 0)
			return i;
	}
	types[*n] = *ty;
	return (*n)++;
}

static int
tz_trans_cmp(const void *a, const void *b)
{
	const struct tz_trans *x = a, *y = b;

	/* At equal instants the daylight type goes last and so wins. */
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->isdst - y->isdst;
}

/*
 * Appends the footer rule's transitions from the year before the table's
 * last one for TZ_RULE_YEARS years, and sets up folding beyond them.
 */
static void
tz_expand_rule(
    struct tz *tz, const struct tz_posix *p, struct tz_trans **trans, size_t *n)
{
	struct tz_trans *gen, *all;
	size_t si, di, ng = 0, i, first = *n;
	int64_t y, ya, yend, day, cut;
	struct civil c;

	si = tz_type_add(tz->types, &tz->ntypes, &p->std);
	di = tz_type_add(tz->types, &tz->ntypes, &p->dst);
	if (*n > 0) {
		civil_from_seconds((*trans)[*n - 1].t, &c);
		ya = c.year - 1;
	} else
		ya = 1968;
	if (ya < -100000 || ya > 100000)
		return;
	yend = ya + 1 + TZ_RULE_YEARS;
	gen = xreallocarray(NULL, (size_t)(yend - ya + 1) * 2, sizeof *gen);
	for (y = ya; y <= yend; y++) {
		day = tz_rule_day(&p->start, y);
		gen[ng].t = day * 86400 + p->start.secs - p->std.off;
		gen[ng].type = di;
		gen[ng++].isdst = 1;
		day = tz_rule_day(&p->end, y);
		gen[ng].t = day * 86400 + p->end.secs - p->dst.off;
		gen[ng].type = si;
		gen[ng++].isdst = 0;
	}
	qsort(gen, ng, sizeof *gen, tz_trans_cmp);

	/*
	 * The last year's transitions lack the next year's partners; cut
	 * where no later year's transition can fall (a rule instant lies
	 * within 193 hours of its own year: 167 hours of v3 time of day and
	 * 26 of offset).
	 */
	cut = (civil_days_from_date(yend + 1, 1, 1) - 9) * 86400;
	all = xreallocarray(*trans, *n + ng, sizeof *all);
	for (i = 0; i < ng; i++) {
		if ((first > 0 && gen[i].t <= all[first - 1].t) ||
		    gen[i].t >= cut)
			continue;
		if (*n > first && gen[i].t == all[*n - 1].t)
			all[*n - 1] = gen[i];
		else
			all[(*n)++] = gen[i];
	}
	free(gen);
	*trans = all;
	/*
	 * A zone that is all rule starts each year in the state the year
	 * before ended in, so that is the state before the first transition.
	 */
	if (first == 0 && *n > 0)
		tz->type0 = all[*n - 1].type;

	tz->periodic = 1;
	tz->fold_below = first == 0;
	tz->fold_lo = civil_days_from_date(ya + 3, 1, 1) * 86400;
	tz->fold_hi = civil_days_from_date(yend - 1, 1, 1) * 86400;
}

/* Fills the lookup arrays from the merged transitions; takes TRANS. */
static void
tz_build(struct tz *tz, struct tz_trans *trans, size_t n)
{
	size_t i, cur;
	int32_t off;

	tz->tt = xreallocarray(NULL, n, sizeof *tz->tt);
	tz->ti = xreallocarray(NULL, n, sizeof *tz->ti);
	tz->ct = xreallocarray(NULL, n, sizeof *tz->ct);
	tz->coff = xreallocarray(NULL, n, sizeof *tz->coff);
	cur = tz->type0;
	off = tz->off0 = tz->types[cur].off;
	for (i = 0; i < n; i++) {
		if (trans[i].type != cur) {
			tz->tt[tz->nt] = trans[i].t;
			tz->ti[tz->nt++] = (uint16_t)trans[i].type;
			cur = trans[i].type;
		}
		if (tz->types[cur].off != off) {
			off = tz->types[cur].off;
			tz->ct[tz->nc] = trans[i].t;
			tz->coff[tz->nc++] = off;
		}
	}
	free(trans);

	/* Folding only matters when the rule really moves the clock. */
	i = tz_count_le(tz->ct, tz->nc, tz->fold_lo - 1);
	if (i == tz->nc || tz->ct[i] >= tz->fold_hi)
		tz->periodic = 0;
}

/* Builds the zone from a whole TZif file; returns -1 with *why. */
static int
tz_parse(struct tz *tz, const unsigned char *buf, size_t len, const char **why)
{
	struct tzif_counts c;
	struct tz_trans *trans = NULL;
	struct tz_posix posix;
	size_t off = 0, blk, end;
	const unsigned char *nl;
	char footer[256];
	int timesize = 4, hasfooter = 0;

	if ((blk = tzif_header(buf, len, 0, 4, &c, why)) == 0)
		return -1;
	if (buf[4] >= '2') {
		/* Skip the 32-bit block for the 64-bit one that follows. */
		off = 44 + blk;
		timesize = 8;
		if ((blk = tzif_header(buf, len, off, 8, &c, why)) == 0)
			return -1;
	}
	if (tzif_block(buf + off + 44, &c, timesize, &trans, &tz->types, why) ==
	    -1)
		goto fail;
	tz->ntypes = c.type;

	if (timesize == 8) {
		end = off + 44 + blk;
		nl = end < len ? memchr(buf + end + 1, '\n', len - end - 1)
		               : NULL;
		if (end >= len || buf[end] != '\n' || nl == NULL ||
		    (size_t)(nl - buf) - end - 1 >= sizeof footer) {
			*why = "footer missing or too long";
			goto fail;
		}
		memcpy(footer, buf + end + 1, nl - buf - end - 1);
		footer[nl - buf - end - 1] = '\0';
		if (footer[0] != '\0') {
			if (tz_posix_parse(footer, &posix) == -1) {
				*why = "bad TZ string in footer";
				goto fail;
			}
			hasfooter = 1;
		}
	}

	len = c.time;
	if (hasfooter && len == 0)
		tz->type0 = tz_type_add(tz->types, &tz->ntypes, &posix.std);
	if (hasfooter && posix.hasdst)
		tz_expand_rule(tz, &posix, &trans, &len);
	tz_build(tz, trans, len);
	return 0;

fail:
	free(trans);
	return -1;
}

static void
tz_free(struct tz *tz)
{
	if (tz == NULL)
		return;
	free(tz->name);
	free(tz->types);
	free(tz->tt);
	free(tz->ti);
	free(tz->ct);
	free(tz->coff);
	free(tz);
}

static struct tz *
tz_create_utc(const char *name)
{
	struct tz *tz = xcalloc(1, sizeof *tz);

	tz->name = xstrdup(name);
	tz->types = xcalloc(1, sizeof *tz->types);
	tz->ntypes = 1;
	strlcpy(tz->types[0].abbr, "UTC", sizeof tz->types[0].abbr);
	tz_build(tz, NULL, 0);
	return tz;
}

/*
 * Reads PATH whole. Returns 0, -1 with errno for open failures (the caller
 * decides whether absence means "unknown"), or -2 with *cause set.
 */
static int
tz_read_file(
    const char *path, unsigned char **out, size_t *outlen, char **cause)
{
	struct stat st;
	unsigned char *buf;
	size_t len = 0;
	ssize_t r;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		saved = errno;
	else if (!S_ISREG(st.st_mode))
		saved = EISDIR;
	else
		saved = 0;
	if (saved != 0) {
		close(fd);
		errno = saved;
		return -1;
	}
	if (st.st_size > TZ_FILE_MAX) {
		close(fd);
		tz_set_cause(
		    cause, "corrupt time zone file %s: too large", path);
		return -2;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (len <= (size_t)st.st_size) {
		r = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			saved = errno;
			close(fd);
			free(buf);
			tz_set_cause(cause, "cannot read time zone file %s: %s",
			    path, strerror(saved));
			return -2;
		}
		if (r == 0)
			break;
		len += r;
	}
	close(fd);
	*out = buf;
	*outlen = len;
	return 0;
}

/* 1 if NAME is a plain relative zone name that cannot leave the tree. */
static int
tz_valid_name(const char *name)
{
	const char *p;

	if (name[0] == '/' || strlen(name) > TZ_NAME_MAX)
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
			return 0;
	}
	return 1;
}

struct tz *
tz_load(const char *name, char **cause)
{
	const char *dir, *why = NULL;
	unsigned char *buf;
	char path[4096], esc[80];
	struct tz *tz;
	size_t len;
	int r, islocal, isutc;

	islocal = strcmp(name, "localtime") == 0;
	isutc = strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0;
	if (islocal)
		strlcpy(path, TZ_LOCALTIME_PATH, sizeof path);
	else {
		if (!tz_valid_name(name)) {
			util_escape(esc, sizeof esc, name);
			tz_set_cause(cause,
			    "invalid time zone name \"%s\": "
			    "expected a name such as \"Europe/Berlin\"",
			    esc);
			return NULL;
		}
		if ((dir = getenv("TZDIR")) == NULL || *dir == '\0')
			dir = TZ_DEFAULT_DIR;
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >=
		    sizeof path) {
			tz_set_cause(cause, "unknown time zone \"%s\"", name);
			return NULL;
		}
	}

	if ((r = tz_read_file(path, &buf, &len, cause)) == -2)
		return NULL;
	if (r == -1) {
		if ((islocal || isutc) && (errno == ENOENT || errno == ENOTDIR))
			return tz_create_utc(name);
		if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR ||
		    errno == ELOOP || errno == ENAMETOOLONG)
			tz_set_cause(cause, "unknown time zone \"%s\"", name);
		else
			tz_set_cause(cause, "cannot read time zone file %s: %s",
			    path, strerror(errno));
		return NULL;
	}

	tz = xcalloc(1, sizeof *tz);
	tz->name = xstrdup(name);
	if (tz_parse(tz, buf, len, &why) == -1) {
		tz_set_cause(cause, "corrupt time zone file %s: %s", path, why);
		tz_free(tz);
		tz = NULL;
	}
	free(buf);
	return tz;
}
