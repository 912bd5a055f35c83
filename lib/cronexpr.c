/* SPDX-License-Identifier: ISC */
/*
 * Cron expressions, part one: parsing text into the compact form of
 * cronexpr.h and deciding which days of a month match. Searching for fire
 * times lives in cronexpr-next.c. No I/O, no global state, no libc time
 * functions; the only allocation is the error sentence.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "civil.h"
#include "cronexpr.h"
#include "util.h"
#include "xmalloc.h"

enum cron_field { F_SEC, F_MIN, F_HOUR, F_DOM, F_MON, F_DOW, F_COUNT };

struct cron_fdesc {
	const char *name;
	int lo, hi;
};

static const struct cron_fdesc cron_fields[F_COUNT] = {
	{ "second", 0, 59 },
	{ "minute", 0, 59 },
	{ "hour", 0, 23 },
	{ "day-of-month", 1, 31 },
	{ "month", 1, 12 },
	{ "day-of-week", 0, 7 },
};

static const char *const cron_mon_names[12] = { "JAN", "FEB", "MAR", "APR",
	"MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC" };
static const char *const cron_dow_names[7] = { "SUN", "MON", "TUE", "WED",
	"THU", "FRI", "SAT" };
static const char *const cron_mon_long[12] = { "January", "February", "March",
	"April", "May", "June", "July", "August", "September", "October",
	"November", "December" };

static const struct {
	const char *name;
	const char *fields;
} cron_macros[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* State of one parse: where to put the error and how to name the text. */
struct cron_parse {
	struct cronexpr *ce;
	uint32_t hash;
	char **cause;
};

static int
cron_fail(struct cron_parse *p, enum cron_field f, const char *text, size_t len,
    const char *why)
{
	char esc[96];

	if (p->cause == NULL)
		return -1;
	{
		char *t = xstrndup(text, len);

		util_escape(esc, sizeof esc, t);
		free(t);
	}
	xasprintf(p->cause, "%s \"%s\" %s", cron_fields[f].name, esc, why);
	return -1;
}

/* FNV-1a: a stable spread for `H` that does not change between releases. */
static uint32_t
cron_hash(const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)*key;
		h *= 16777619u;
	}
	return h;
}

static void
cron_set(struct cronexpr *ce, enum cron_field f, int v)
{
	switch (f) {
	case F_SEC:
		ce->sec |= 1ULL << v;
		break;
	case F_MIN:
		ce->min |= 1ULL << v;
		break;
	case F_HOUR:
		ce->hour |= 1U << v;
		break;
	case F_DOM:
		ce->dom |= 1U << v;
		break;
	case F_MON:
		ce->mon |= (uint16_t)(1U << v);
		break;
	default:
		ce->dow |= (uint8_t)(1U << (v % 7));
		break;
	}
}

/*
 * Reads a number or, in the month and weekday fields, a name at *S. Sets
 * *v and advances *s; returns 0, or -1 when there is neither.
 */
static int
cron_value(enum cron_field f, const char **s, int *v)
{
	const char *q = *s;
	long n = 0;
	int i;

	if (isdigit((unsigned char)*q)) {
		for (; isdigit((unsigned char)*q); q++)
			if ((n = n * 10 + (*q - '0')) > 1000)
				n = 1000;
		*v = (int)n;
		*s = q;
		return 0;
	}
	if (f != F_MON && f != F_DOW)
		return -1;
	for (i = 0; i < (f == F_MON ? 12 : 7); i++) {
		const char *nm =
		    f == F_MON ? cron_mon_names[i] : cron_dow_names[i];

		if (strncasecmp(q, nm, 3) == 0 &&
		    !isalpha((unsigned char)q[3])) {
			*v = f == F_MON ? i + 1 : i;
			*s = q + 3;
			return 0;
		}
	}
	return -1;
}

static int
cron_range_check(
    struct cron_parse *p, enum cron_field f, const char *t, size_t len, int v)
{
	char b[32];

	if (v >= cron_fields[f].lo && v <= cron_fields[f].hi)
		return 0;
	snprintf(b, sizeof b, "is outside %d..%d", cron_fields[f].lo,
	    cron_fields[f].hi);
	return cron_fail(p, f, t, len, b);
}

/* The day-of-month forms L, L-n, LW and nW. */
static int
cron_dom_ext(struct cron_parse *p, const char *t, size_t len)
{
	struct cronexpr *ce = p->ce;
	const char *q = t;
	int v;

	if (len == 2 && strncasecmp(t, "LW", 2) == 0) {
		ce->dom_lw = 1;
		return 0;
	}
	if (*q == 'L' || *q == 'l') {
		q++;
		v = 0;
		if (*q == '-') {
			q++;
			if (!isdigit((unsigned char)*q) ||
			    cron_value(F_DOM, &q, &v) != 0 || q != t + len)
				return cron_fail(p, F_DOM, t, len,
				    "needs a number of days after L-");
			if (v > 30)
				return cron_fail(p, F_DOM, t, len,
				    "is more than 30 days before the end");
		} else if (q != t + len)
			return cron_fail(
			    p, F_DOM, t, len, "is not L, L-n, LW or nW");
		if (ce->dom_last >= 0 && ce->dom_last != v)
			return cron_fail(p, F_DOM, t, len,
			    "is a second L form in one field");
		ce->dom_last = (int16_t)v;
		return 0;
	}
	if (cron_value(F_DOM, &q, &v) != 0 || q + 1 != t + len)
		return cron_fail(p, F_DOM, t, len, "is not L, L-n, LW or nW");
	if (cron_range_check(p, F_DOM, t, len, v) != 0)
		return -1;
	ce->dom_w |= 1U << v;
	return 0;
}

/* The day-of-week forms nL (last) and n#k (k-th). */
static int
cron_dow_ext(struct cron_parse *p, const char *t, size_t len)
{
	struct cronexpr *ce = p->ce;
	const char *q = t;
	int v, k;

	if (*q == '#')
		return cron_fail(
		    p, F_DOW, t, len, "has \"#\" without a weekday before it");
	if (*q == 'L' || *q == 'l')
		return cron_fail(p, F_DOW, t, len,
		    "needs a weekday before L (5L: the last Friday)");
	if (len == 4 && (t[3] == 'L' || t[3] == 'l')) {
		/* FRIL: a name directly followed by L. */
		char name[4] = { t[0], t[1], t[2], '\0' };
		const char *nq = name;

		if (cron_value(F_DOW, &nq, &v) == 0 && *nq == '\0') {
			ce->dow_last |= (uint8_t)(1U << v);
			return 0;
		}
	}
	if (cron_value(F_DOW, &q, &v) != 0)
		return cron_fail(
		    p, F_DOW, t, len, "is not a weekday number or name");
	if (cron_range_check(p, F_DOW, t, len, v) != 0)
		return -1;
	v %= 7;
	if ((*q == 'L' || *q == 'l') && q + 1 == t + len) {
		ce->dow_last |= (uint8_t)(1U << v);
		return 0;
	}
	if (*q != '#')
		return cron_fail(
		    p, F_DOW, t, len, "is not a weekday, nL or n#k");
	q++;
	if (memchr(q, '#', (size_t)(t + len - q)) != NULL)
		return cron_fail(p, F_DOW, t, len, "has more than one \"#\"");
	if (!isdigit((unsigned char)*q) || cron_value(F_DOM, &q, &k) != 0 ||
	    q != t + len)
		return cron_fail(
		    p, F_DOW, t, len, "needs a week number 1..5 after \"#\"");
	if (k < 1 || k > 5)
		return cron_fail(
		    p, F_DOW, t, len, "has a week number outside 1..5");
	ce->dow_nth[v] |= (uint8_t)(1U << (k - 1));
	return 0;
}

/* H, H(a-b): a stable value in the range picked by the job's hash. */
static int
cron_hashed(struct cron_parse *p, enum cron_field f, const char *t, size_t len,
    const char **q, int *lo, int *hi)
{
	const char *s = *q + 1;

	*lo = cron_fields[f].lo;
	*hi = f == F_DOW ? 6 : f == F_DOM ? 28 : cron_fields[f].hi;
	if (*s == '(') {
		s++;
		if (cron_value(f, &s, lo) != 0 || *s++ != '-' ||
		    cron_value(f, &s, hi) != 0 || *s++ != ')')
			return cron_fail(
			    p, f, t, len, "needs H(a-b) with a range inside");
		if (cron_range_check(p, f, t, len, *lo) != 0 ||
		    cron_range_check(p, f, t, len, *hi) != 0)
			return -1;
		if (*lo > *hi)
			return cron_fail(p, f, t, len,
			    "runs backwards (ranges run upwards)");
	}
	*q = s;
	return 0;
}

static int
cron_step(struct cron_parse *p, enum cron_field f, const char *t, size_t len,
    const char *q, int *step)
{
	if (*q == '\0' || q == t + len) {
		*step = 0;
		return 0;
	}
	if (*q != '/')
		return cron_fail(
		    p, f, t, len, "is not a number, name, range or step");
	q++;
	if (memchr(q, '/', (size_t)(t + len - q)) != NULL)
		return cron_fail(p, f, t, len, "has more than one step");
	if (!isdigit((unsigned char)*q) || cron_value(F_SEC, &q, step) != 0 ||
	    q != t + len)
		return cron_fail(
		    p, f, t, len, "needs a whole number after \"/\"");
	if (*step == 0)
		return cron_fail(p, f, t, len, "has a step of 0");
	return 0;
}

/* One item of a comma list: *, ?, H, a, a-b, any of them with /s. */
static int
cron_item(struct cron_parse *p, enum cron_field f, const char *t, size_t len)
{
	const char *q = t, *end = t + len;
	int lo, hi, step, hashed = 0, v;

	if (*t == '-')
		return cron_fail(p, f, t, len, "starts with \"-\"");
	if (*t == '/')
		return cron_fail(
		    p, f, t, len, "is a step without a start (*/s or a/s)");
	if (f == F_DOM && memchr(t, '/', len) == NULL &&
	    (memchr(t, 'L', len) != NULL || memchr(t, 'l', len) != NULL ||
	        memchr(t, 'W', len) != NULL || memchr(t, 'w', len) != NULL))
		return cron_dom_ext(p, t, len);
	if (f == F_DOW && memchr(t, '/', len) == NULL &&
	    (memchr(t, '#', len) != NULL ||
	        ((t[len - 1] == 'L' || t[len - 1] == 'l') &&
	            (len == 1 || isdigit((unsigned char)t[len - 2]) ||
	                (len == 4 && isalpha((unsigned char)t[0]))))))
		return cron_dow_ext(p, t, len);
	if (*q == '*' || *q == '?') {
		if (*q == '?' && f != F_DOM && f != F_DOW)
			return cron_fail(p, f, t, len,
			    "uses \"?\", which only the day fields allow");
		lo = cron_fields[f].lo;
		hi = cron_fields[f].hi;
		q++;
	} else if (*q == 'H' || *q == 'h') {
		if (cron_hashed(p, f, t, len, &q, &lo, &hi) != 0)
			return -1;
		hashed = 1;
	} else {
		if (cron_value(f, &q, &lo) != 0)
			return cron_fail(p, f, t, len,
			    f == F_MON       ? "is not a month number or name"
			        : f == F_DOW ? "is not a weekday number or name"
			                     : "is not a number");
		if (cron_range_check(p, f, t, len, lo) != 0)
			return -1;
		hi = lo;
		if (*q == '-') {
			q++;
			if (q == end || *q == '/')
				return cron_fail(
				    p, f, t, len, "is a range without an end");
			if (cron_value(f, &q, &hi) != 0)
				return cron_fail(p, f, t, len,
				    "has a range end that is not a value");
			if (*q == '-')
				return cron_fail(
				    p, f, t, len, "has more than one \"-\"");
			if (cron_range_check(p, f, t, len, hi) != 0)
				return -1;
			/* cronie: a weekday range ending in Sunday (0). */
			if (f == F_DOW && hi == 0 && lo > 0)
				hi = 7;
			if (hi < lo)
				return cron_fail(p, f, t, len,
				    "runs backwards (ranges run upwards)");
		} else if (*q == '/')
			hi = cron_fields[f].hi;
	}
	if (cron_step(p, f, t, len, q, &step) != 0)
		return -1;
	if (hashed) {
		uint32_t span = (uint32_t)(hi - lo + 1);
		uint32_t h = p->hash * 31 + (uint32_t)f;

		h ^= h >> 15;
		h *= 2246822519u;
		h ^= h >> 13;
		if (step == 0) {
			lo += (int)(h % span);
			hi = lo;
		} else
			lo += (int)(h %
			    ((uint32_t)step < span ? (uint32_t)step : span));
	}
	if (step == 0)
		step = 1;
	for (v = lo; v <= hi; v += step)
		cron_set(p->ce, f, v);
	return 0;
}

static int
cron_field_parse(
    struct cron_parse *p, enum cron_field f, const char *t, size_t len)
{
	const char *s = t, *comma;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c >= 0x80)
			return cron_fail(
			    p, f, t, len, "contains a non-ASCII character");
		if (c < 0x20 || c == 0x7f)
			return cron_fail(
			    p, f, t, len, "contains a control character");
		if (!isalnum(c) && strchr("*?,-/#()", c) == NULL)
			return cron_fail(p, f, t, len,
			    "is not a number, name, range or step");
	}
	if (f == F_DOM)
		p->ce->dom_star = *t == '*' || *t == '?';
	if (f == F_DOW)
		p->ce->dow_star = *t == '*' || *t == '?';
	if ((f == F_SEC || f == F_MIN || f == F_HOUR) && *t == '*')
		p->ce->interval = 1;
	while (s <= t + len) {
		comma = memchr(s, ',', (size_t)(t + len - s));
		if (comma == NULL)
			comma = t + len;
		if (comma == s)
			return cron_fail(
			    p, f, t, len, "has an empty list item");
		if (cron_item(p, f, s, (size_t)(comma - s)) != 0) {
			/* Name the whole field when the item is all of it. */
			return -1;
		}
		s = comma + 1;
	}
	return 0;
}

static void
cron_init(struct cronexpr *ce)
{
	memset(ce, 0, sizeof *ce);
	ce->kind = CRON_CALENDAR;
	ce->dom_last = -1;
	ce->gap = CRON_GAP_NEXT;
	ce->repeat = CRON_REPEAT_FIRST;
}

/* "February", "April, June or November": the months set in MON. */
static void
cron_month_list(char *buf, size_t len, unsigned mon)
{
	int m, n = 0, total = __builtin_popcount(mon);

	buf[0] = '\0';
	for (m = 1; m <= 12; m++) {
		if (!(mon & (1U << m)))
			continue;
		if (n > 0)
			strlcat(buf, n == total - 1 ? " or " : ", ", len);
		strlcat(buf, cron_mon_long[m - 1], len);
		n++;
	}
}

/*
 * Rejects an expression no day of any month can match. A month's matching
 * days depend only on its length and the weekday of its first day, and
 * every such pair for every month occurs in the 400-year Gregorian cycle,
 * so trying them all is exact.
 */
static int
cron_check_fires(struct cron_parse *p, const char *domt, size_t doml,
    const char *dowt, size_t dowl)
{
	struct cronexpr *ce = p->ce;
	char months[96], both[200];
	int m, wd, leap;

	for (m = 1; m <= 12; m++) {
		if (!(ce->mon & (1U << m)))
			continue;
		for (leap = 0; leap <= (m == 2); leap++)
			for (wd = 0; wd < 7; wd++) {
				int dim = m == 2 ? 28 + leap
				                 : civil_days_in_month(2001, m);

				if (cronexpr_month_days(ce, dim, wd) != 0)
					return 0;
			}
	}
	cron_month_list(months, sizeof months, ce->mon);
	if (ce->dow_star && ce->dow == 0x7f) {
		snprintf(both, sizeof both, "never occurs in %s", months);
		return cron_fail(p, F_DOM, domt, doml, both);
	}
	{
		char esc[64], *w = xstrndup(dowt, dowl);

		util_escape(esc, sizeof esc, w);
		free(w);
		snprintf(both, sizeof both,
		    "never falls on day-of-week \"%s\" in %s", esc, months);
	}
	return cron_fail(p, F_DOM, domt, doml, both);
}

static int
cron_parse_every(
    struct cronexpr *ce, const char *arg, const char *text, char **cause)
{
	char *why = NULL, esc[96];

	if (util_parse_duration(arg, &ce->every, &why) != 0 || ce->every <= 0) {
		util_escape(esc, sizeof esc, text);
		if (cause != NULL)
			xasprintf(cause, "\"%s\": %s", esc,
			    why != NULL ? why : "the period must be positive");
		free(why);
		return -1;
	}
	ce->kind = CRON_EVERY;
	return 0;
}

static int
cron_parse_macro(
    struct cronexpr *ce, const char *text, const char *hash_key, char **cause)
{
	const char *end = text, *rest;
	char esc[96], name[64], raw[32];
	size_t i, n;

	while (*end != '\0' && !isspace((unsigned char)*end))
		end++;
	n = (size_t)(end - text);
	for (rest = end; isspace((unsigned char)*rest); rest++)
		;
	if (n == 6 && strncasecmp(text, "@every", 6) == 0) {
		if (*rest == '\0') {
			if (cause != NULL)
				xasprintf(cause,
				    "@every needs a duration "
				    "(@every 5m)");
			return -1;
		}
		return cron_parse_every(ce, rest, text, cause);
	}
	snprintf(raw, sizeof raw, "%.*s", (int)(n < 31 ? n : 31), text);
	util_escape(name, sizeof name, raw);
	if (*rest != '\0') {
		util_escape(esc, sizeof esc, rest);
		if (cause != NULL)
			xasprintf(cause,
			    "macro \"%s\" takes no fields, "
			    "got \"%s\"",
			    name, esc);
		return -1;
	}
	util_escape(esc, sizeof esc, text);
	if (n == 7 && strncasecmp(text, "@reboot", 7) == 0) {
		ce->kind = CRON_REBOOT;
		return 0;
	}
	for (i = 0; i < sizeof cron_macros / sizeof cron_macros[0]; i++)
		if (strlen(cron_macros[i].name) == n &&
		    strncasecmp(text, cron_macros[i].name, n) == 0)
			return cronexpr_parse(
			    ce, cron_macros[i].fields, hash_key, cause);
	if (cause != NULL)
		xasprintf(cause,
		    "unknown macro \"%s\" (known: @yearly, "
		    "@annually, @monthly, @weekly, @daily, @midnight, @hourly, "
		    "@reboot, @every DURATION)",
		    esc);
	return -1;
}

int
cronexpr_parse(
    struct cronexpr *ce, const char *text, const char *hash_key, char **cause)
{
	struct cron_parse p = { ce, 0, cause };
	const char *f[F_COUNT + 3], *s;
	size_t fl[F_COUNT + 3];
	int n = 0, i, base;
	char esc[96];

	cron_init(ce);
	p.hash = cron_hash(hash_key != NULL ? hash_key : "");
	if (strlen(text) > CRON_TEXT_MAX) {
		if (cause != NULL)
			xasprintf(cause, "expression is longer than %d bytes",
			    CRON_TEXT_MAX);
		return -1;
	}
	for (s = text; *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r';)
		s++;
	if (*s == '\0') {
		if (cause != NULL)
			xasprintf(cause,
			    "empty expression (expected 5 or 6 "
			    "fields or a @macro)");
		return -1;
	}
	if (*s == '@')
		return cron_parse_macro(ce, s, hash_key, cause);
	while (*s != '\0') {
		const char *b = s;

		while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\n' &&
		    *s != '\r')
			s++;
		if (n < F_COUNT + 2) {
			f[n] = b;
			fl[n] = (size_t)(s - b);
		}
		n++;
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
	}
	if (n != 5 && n != 6) {
		util_escape(esc, sizeof esc, text);
		if (cause != NULL)
			xasprintf(cause,
			    "expected 5 fields (minute hour "
			    "day-of-month month day-of-week) or 6 with leading "
			    "seconds, got %d in \"%s\"",
			    n, esc);
		return -1;
	}
	base = n == 6 ? 0 : 1;
	ce->has_sec = n == 6;
	if (n == 5)
		ce->sec = 1;
	for (i = 0; i < n; i++)
		if (cron_field_parse(
		        &p, (enum cron_field)(i + base), f[i], fl[i]) != 0)
			return -1;
	return cron_check_fires(
	    &p, f[3 - base], fl[3 - base], f[5 - base], fl[5 - base]);
}

int
cronexpr_set_dst(
    struct cronexpr *ce, const char *gap, const char *repeat, char **cause)
{
	char esc[64];

	if (gap != NULL) {
		if (strcmp(gap, "next") == 0)
			ce->gap = CRON_GAP_NEXT;
		else if (strcmp(gap, "skip") == 0)
			ce->gap = CRON_GAP_SKIP;
		else {
			util_escape(esc, sizeof esc, gap);
			if (cause != NULL)
				xasprintf(cause,
				    "dst gap \"%s\" is not "
				    "\"next\" or \"skip\"",
				    esc);
			return -1;
		}
	}
	if (repeat != NULL) {
		if (strcmp(repeat, "first") == 0)
			ce->repeat = CRON_REPEAT_FIRST;
		else if (strcmp(repeat, "both") == 0)
			ce->repeat = CRON_REPEAT_BOTH;
		else {
			util_escape(esc, sizeof esc, repeat);
			if (cause != NULL)
				xasprintf(cause,
				    "dst repeat \"%s\" is not "
				    "\"first\" or \"both\"",
				    esc);
			return -1;
		}
	}
	return 0;
}

/* Bits 1-7 of every seventh day of a month, starting at day 1. */
#define CRON_WEEKLY 0x10204081ULL

uint32_t
cronexpr_month_days(const struct cronexpr *ce, int dim, int wd1)
{
	uint64_t all = ((1ULL << dim) - 1) << 1, dom, dow = 0, wbits;
	int w, d, k;

	dom = ce->dom & all;
	if (ce->dom_last >= 0 && dim - ce->dom_last >= 1)
		dom |= 1ULL << (dim - ce->dom_last);
	if (ce->dom_lw) {
		int wl = (wd1 + dim - 1) % 7;

		d = dim - (wl == 6 ? 1 : wl == 0 ? 2 : 0);
		dom |= 1ULL << d;
	}
	for (wbits = ce->dom_w & all; wbits != 0; wbits &= wbits - 1) {
		d = __builtin_ctzll(wbits);
		w = (wd1 + d - 1) % 7;
		if (w == 6)
			k = d == 1 ? 3 : d - 1;
		else if (w == 0)
			k = d == dim ? d - 2 : d + 1;
		else
			k = d;
		dom |= 1ULL << k;
	}
	if (ce->dow == 0x7f)
		dow = all;
	for (w = 0; w < 7 && dow != all; w++) {
		/* The first day of the month that falls on weekday w. */
		int first = (w - wd1 + 7) % 7 + 1;
		uint64_t days = (CRON_WEEKLY << first) & all;

		if (ce->dow & (1U << w))
			dow |= days;
		if (ce->dow_last & (1U << w))
			dow |= 1ULL << (63 - __builtin_clzll(days));
		for (k = 0; ce->dow_nth[w] != 0 && k < 5; k++)
			if ((ce->dow_nth[w] & (1U << k)) &&
			    first + 7 * k <= dim)
				dow |= 1ULL << (first + 7 * k);
	}
	if (ce->dom_star || ce->dow_star)
		return (uint32_t)(dom & dow);
	return (uint32_t)(dom | dow);
}
