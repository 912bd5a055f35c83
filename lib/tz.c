/* SPDX-License-Identifier: ISC */
/*
 * Time zone lookups and the process-wide zone cache. A zone (read by
 * tz-load.c) holds two sorted arrays: every transition, for isdst and the
 * abbreviation, and the subset that moves the UTC offset, for offsets, wall
 * time resolution and the next or previous change. The footer rule is
 * expanded 400 years past the table; the Gregorian calendar repeats
 * exactly every 400 years, so any later instant, or any instant at all for
 * a zone that is all rule, is folded into that span. Lookups are binary
 * searches over immutable data: no allocation and no lock. No libc time
 * function and no TZ variable are used, so nothing depends on the
 * process's own zone.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "tz.h"
#include "tz-int.h"

/* Wider than any offset, so all instants of a wall time lie within it. */
#define TZ_WINDOW (2 * 86400)

/*
 * Guards the list, and is held while a zone loads so each is read once;
 * zones are immutable once on the list, so lookups never take it.
 */
static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tz *tz_list;

static int64_t
tz_sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/*
 * Maps T into the expanded rule span when it lies beyond it, so the arrays
 * answer for any instant; *k is the number of 400-year periods removed.
 */
static int64_t
tz_fold(const struct tz *tz, int64_t t, int64_t *k)
{
	int64_t qt, rt, qs, rs;

	*k = 0;
	if (!tz->periodic ||
	    (t < tz->fold_hi && (!tz->fold_below || t >= tz->fold_lo)))
		return t;
	qt = t / TZ_PERIOD;
	rt = t % TZ_PERIOD;
	if (rt < 0) {
		rt += TZ_PERIOD;
		qt--;
	}
	qs = tz->fold_lo / TZ_PERIOD;
	rs = tz->fold_lo % TZ_PERIOD;
	if (rs < 0) {
		rs += TZ_PERIOD;
		qs--;
	}
	*k = qt - qs;
	if (rt < rs) {
		rt += TZ_PERIOD;
		(*k)--;
	}
	return tz->fold_lo + (rt - rs);
}

/* Undoes tz_fold for a result X; saturates where int64 ends. */
static int64_t
tz_unfold(int64_t x, int64_t k)
{
	int64_t d;

	if (k == 0)
		return x;
	if (__builtin_mul_overflow(k, TZ_PERIOD, &d))
		return k > 0 ? INT64_MAX : INT64_MIN;
	return tz_sat_add(x, d);
}

const char *
tz_name(const struct tz *tz)
{
	return tz->name;
}

int
tz_offset(const struct tz *tz, int64_t t, int *isdst, const char **abbr)
{
	const struct tz_type *type;
	int64_t k;
	size_t i;

	t = tz_fold(tz, t, &k);
	if (isdst == NULL && abbr == NULL) {
		i = tz_count_le(tz->ct, tz->nc, t);
		return i == 0 ? tz->off0 : tz->coff[i - 1];
	}
	i = tz_count_le(tz->tt, tz->nt, t);
	type = &tz->types[i == 0 ? tz->type0 : tz->ti[i - 1]];
	if (isdst != NULL)
		*isdst = type->isdst;
	if (abbr != NULL)
		*abbr = type->abbr;
	return type->off;
}

int
tz_resolve(const struct tz *tz, int64_t wall, int64_t out[2])
{
	int64_t k, w, hi, t, start, gap = 0;
	int32_t off;
	size_t i;
	int n = 0, havegap = 0;

	/*
	 * Walk the offset segments around the wall time; an instant belongs
	 * to the answer when wall - offset falls in that offset's segment.
	 */
	w = tz_fold(tz, wall, &k);
	hi = tz_sat_add(w, TZ_WINDOW);
	i = tz_count_le(tz->ct, tz->nc, tz_sat_add(w, -TZ_WINDOW));
	off = i == 0 ? tz->off0 : tz->coff[i - 1];
	start = i == 0 ? INT64_MIN : tz->ct[i - 1];
	for (;;) {
		if (!__builtin_sub_overflow(w, (int64_t)off, &t) &&
		    t >= start && (i == tz->nc || t < tz->ct[i]) && n < 2)
			out[n++] = tz_unfold(t, k);
		if (i == tz->nc || tz->ct[i] > hi)
			break;
		if (off < tz->coff[i] && w >= tz_sat_add(tz->ct[i], off) &&
		    w < tz_sat_add(tz->ct[i], tz->coff[i])) {
			gap = tz->ct[i];
			havegap = 1;
		}
		off = tz->coff[i];
		start = tz->ct[i];
		i++;
	}
	if (n == 0) {
		if (havegap)
			out[0] = tz_unfold(gap, k);
		else
			out[0] = tz_unfold(tz_sat_add(w, -(int64_t)off), k);
	}
	return n;
}

int64_t
tz_next_change(const struct tz *tz, int64_t t, int *before, int *after)
{
	int64_t k, r;
	size_t i;
	int32_t cur;

	t = tz_fold(tz, t, &k);
	i = tz_count_le(tz->ct, tz->nc, t);
	cur = i == 0 ? tz->off0 : tz->coff[i - 1];
	if (i == tz->nc || (r = tz_unfold(tz->ct[i], k)) == INT64_MAX) {
		if (before != NULL)
			*before = cur;
		if (after != NULL)
			*after = cur;
		return INT64_MAX;
	}
	if (before != NULL)
		*before = cur;
	if (after != NULL)
		*after = tz->coff[i];
	return r;
}

int64_t
tz_prev_change(const struct tz *tz, int64_t t, int *before, int *after)
{
	int64_t k, r;
	size_t i;
	int32_t cur;

	t = tz_fold(tz, t, &k);
	i = tz_count_le(tz->ct, tz->nc, t);
	cur = i == 0 ? tz->off0 : tz->coff[i - 1];
	if (i == 0 || (r = tz_unfold(tz->ct[i - 1], k)) == INT64_MIN) {
		if (before != NULL)
			*before = cur;
		if (after != NULL)
			*after = cur;
		return INT64_MIN;
	}
	if (before != NULL)
		*before = i >= 2 ? tz->coff[i - 2] : tz->off0;
	if (after != NULL)
		*after = cur;
	return r;
}

const struct tz *
tz_find(const char *name, char **cause)
{
	struct tz *tz;

	if (name == NULL || *name == '\0')
		name = "localtime";
	pthread_mutex_lock(&tz_lock);
	for (tz = tz_list; tz != NULL; tz = tz->next) {
		if (strcmp(tz->name, name) == 0)
			break;
	}
	if (tz == NULL && (tz = tz_load(name, cause)) != NULL) {
		tz->next = tz_list;
		tz_list = tz;
	}
	pthread_mutex_unlock(&tz_lock);
	return tz;
}
