/* SPDX-License-Identifier: ISC */
/*
 * Cron expressions, part two: fire times. The search first works in wall
 * time (local civil seconds, no zone) with bit scans over the compact sets,
 * jumping whole months and days, then maps wall times to instants by
 * walking the zone's stretches of constant offset (DESIGN.md section 2):
 *
 * - interval schedules fire at every instant whose wall time matches, so a
 *   wall time in a gap never happens and a repeated one happens twice;
 * - fixed-time schedules fire once per matching wall time, at its first
 *   occurrence; one in a gap fires at the transition (or not, with
 *   gap=skip); with repeat=both a repeated one fires in both passes.
 *
 * Every loop is bounded: 400 Gregorian years repeat the calendar exactly,
 * so a search that passes that span proves there is no answer.
 */
#include "config.h"

#include <stddef.h>

#include "civil.h"
#include "cronexpr.h"

/* Past this the search gives up (a little over one 400-year cycle). */
#define CRON_SPAN_YEARS 401
/* Wall times are kept within years 1-99999 so the arithmetic never wraps. */
#define CRON_WALL_MIN (-62135596800LL)
#define CRON_WALL_MAX (3093527980800LL)

/* The lowest bit of SET at or above V, or -1. */
static int
cron_bit_up(uint64_t set, int v)
{
	if (v > 63)
		return -1;
	set &= ~0ULL << v;
	return set == 0 ? -1 : __builtin_ctzll(set);
}

/* The highest bit of SET at or below V, or -1. */
static int
cron_bit_down(uint64_t set, int v)
{
	if (v < 0)
		return -1;
	if (v < 63)
		set &= (2ULL << v) - 1;
	return set == 0 ? -1 : 63 - __builtin_clzll(set);
}

static uint32_t
cron_days_of(const struct cronexpr *ce, int64_t y, int m)
{
	int dim = civil_days_in_month(y, m);
	int wd1 = civil_weekday(civil_days_from_date(y, m, 1));

	return cronexpr_month_days(ce, dim, wd1);
}

int64_t
cronexpr_wall_next(const struct cronexpr *ce, int64_t wall)
{
	int64_t days, rem, y, limit;
	int mo, d, h, mi, s, v;
	uint32_t dmask;

	if (wall < CRON_WALL_MIN)
		wall = CRON_WALL_MIN;
	if (wall > CRON_WALL_MAX)
		return INT64_MAX;
	days = civil_floordiv(wall, 86400);
	rem = wall - days * 86400;
	civil_date_from_days(days, &y, &mo, &d);
	h = (int)(rem / 3600);
	mi = (int)(rem / 60 % 60);
	s = (int)(rem % 60);
	limit = y + CRON_SPAN_YEARS;
	for (;;) {
		if ((v = cron_bit_up(ce->mon, mo)) != mo) {
			if (v < 0) {
				y++;
				v = cron_bit_up(ce->mon, 1);
			}
			if (v < 0 || y > limit)
				return INT64_MAX;
			mo = v;
			d = 1;
			h = mi = s = 0;
		}
		dmask = cron_days_of(ce, y, mo);
		if ((v = cron_bit_up(dmask, d)) < 0) {
			if (++mo > 12) {
				mo = 1;
				y++;
			}
			d = 1;
			h = mi = s = 0;
			continue;
		}
		if (v != d) {
			d = v;
			h = mi = s = 0;
		}
		if ((v = cron_bit_up(ce->hour, h)) < 0) {
			d++;
			h = mi = s = 0;
			continue;
		}
		if (v != h) {
			h = v;
			mi = s = 0;
		}
		if ((v = cron_bit_up(ce->min, mi)) < 0) {
			h++;
			mi = s = 0;
			if (h > 23) {
				d++;
				h = 0;
			}
			continue;
		}
		if (v != mi) {
			mi = v;
			s = 0;
		}
		if ((v = cron_bit_up(ce->sec, s)) < 0) {
			mi++;
			s = 0;
			if (mi > 59) {
				h++;
				mi = 0;
				if (h > 23) {
					d++;
					h = 0;
				}
			}
			continue;
		}
		s = v;
		return civil_days_from_date(y, mo, d) * 86400 + h * 3600 +
		    mi * 60 + s;
	}
}

/* The last matching wall time at or before WALL, or INT64_MIN. */
static int64_t
cron_wall_prev(const struct cronexpr *ce, int64_t wall)
{
	int64_t days, rem, y, limit;
	int mo, d, h, mi, s, v;
	uint32_t dmask;

	if (wall > CRON_WALL_MAX)
		wall = CRON_WALL_MAX;
	if (wall < CRON_WALL_MIN)
		return INT64_MIN;
	days = civil_floordiv(wall, 86400);
	rem = wall - days * 86400;
	civil_date_from_days(days, &y, &mo, &d);
	h = (int)(rem / 3600);
	mi = (int)(rem / 60 % 60);
	s = (int)(rem % 60);
	limit = y - CRON_SPAN_YEARS;
	for (;;) {
		if ((v = cron_bit_down(ce->mon, mo)) != mo) {
			if (v < 1) {
				y--;
				v = cron_bit_down(ce->mon, 12);
			}
			if (v < 1 || y < limit)
				return INT64_MIN;
			mo = v;
			d = 31;
			h = 23;
			mi = s = 59;
		}
		dmask = cron_days_of(ce, y, mo);
		if ((v = cron_bit_down(dmask, d)) < 1) {
			if (--mo < 1) {
				mo = 12;
				y--;
			}
			d = 31;
			h = 23;
			mi = s = 59;
			continue;
		}
		if (v != d) {
			d = v;
			h = 23;
			mi = s = 59;
		}
		if ((v = cron_bit_down(ce->hour, h)) < 0) {
			d--;
			h = 23;
			mi = s = 59;
			continue;
		}
		if (v != h) {
			h = v;
			mi = s = 59;
		}
		if ((v = cron_bit_down(ce->min, mi)) < 0) {
			h--;
			mi = s = 59;
			if (h < 0) {
				d--;
				h = 23;
			}
			continue;
		}
		if (v != mi) {
			mi = v;
			s = 59;
		}
		if ((v = cron_bit_down(ce->sec, s)) < 0) {
			mi--;
			s = 59;
			if (mi < 0) {
				h--;
				mi = 59;
				if (h < 0) {
					d--;
					h = 23;
				}
			}
			continue;
		}
		s = v;
		return civil_days_from_date(y, mo, d) * 86400 + h * 3600 +
		    mi * 60 + s;
	}
}

/*
 * One stretch of constant offset: instants [start, end) have offset off.
 * The change at start went from prev_off, the one at end goes to next_off.
 */
struct cron_seg {
	int64_t start, end;
	int off, prev_off, next_off;
};

/* The stretch that holds instant T. */
static void
cron_seg_at(const struct tz *tz, int64_t t, struct cron_seg *sg)
{
	int before, after;

	sg->start = tz_prev_change(tz, t, &before, &after);
	if (sg->start == INT64_MIN) {
		sg->off = tz_offset(tz, t, NULL, NULL);
		sg->prev_off = sg->off;
	} else {
		sg->off = after;
		sg->prev_off = before;
	}
	sg->end = tz_next_change(tz, t, &before, &after);
	sg->next_off = sg->end == INT64_MAX ? sg->off : after;
}

/*
 * The first wall time of a stretch that is not a second pass: after a
 * backward change, walls below start + prev_off were already lived once.
 */
static int64_t
cron_seg_first_pass(const struct cron_seg *sg)
{
	if (sg->start == INT64_MIN || sg->prev_off <= sg->off)
		return INT64_MIN;
	return sg->start + sg->prev_off;
}

static unsigned
cron_repeat_notes(const struct cron_seg *sg, int64_t w)
{
	if (sg->end != INT64_MAX && sg->next_off < sg->off &&
	    w >= sg->end + sg->next_off)
		return CRON_NOTE_REPEATED;
	if (w < cron_seg_first_pass(sg))
		return CRON_NOTE_REPEATED | CRON_NOTE_SECOND_PASS;
	return 0;
}

static int
cron_both_passes(const struct cronexpr *ce)
{
	return ce->interval || ce->repeat == CRON_REPEAT_BOTH;
}

int
cronexpr_next(const struct cronexpr *ce, const struct tz *tz, int64_t after,
    int64_t *next, unsigned *notes)
{
	struct cron_seg sg;
	int64_t t, w, lo, limit;
	unsigned acc = 0;

	if (ce->kind != CRON_CALENDAR || after >= CRON_WALL_MAX)
		return -1;
	t = after + 1;
	limit = t + (int64_t)CRON_SPAN_YEARS * 31622400;
	while (t < limit) {
		cron_seg_at(tz, t, &sg);
		/*
		 * AFTER was the last second before a forward change: the
		 * stretch starts at T, and the gap's walls come before it.
		 */
		if (t == after + 1 && sg.start == t && sg.prev_off < sg.off &&
		    cronexpr_wall_next(ce, t + sg.prev_off) < t + sg.off) {
			if (!ce->interval && ce->gap == CRON_GAP_NEXT) {
				*next = t;
				if (notes != NULL)
					*notes = CRON_NOTE_GAP_MOVED;
				return 0;
			}
			acc |= CRON_NOTE_GAP_SKIPPED;
		}
		lo = t + sg.off;
		if (!cron_both_passes(ce) && cron_seg_first_pass(&sg) > lo)
			lo = cron_seg_first_pass(&sg);
		w = cronexpr_wall_next(ce, lo);
		if (w == INT64_MAX)
			return -1;
		if (sg.end == INT64_MAX || w - sg.off < sg.end) {
			*next = w - sg.off;
			if (notes != NULL)
				*notes = acc | cron_repeat_notes(&sg, w);
			return 0;
		}
		/*
		 * A forward change: its gap holds walls [end+off, end+next).
		 * An interval expression passes over them, noted all the same.
		 */
		if (sg.next_off > sg.off && w < sg.end + sg.next_off) {
			if (!ce->interval && ce->gap == CRON_GAP_NEXT) {
				*next = sg.end;
				if (notes != NULL)
					*notes = acc | CRON_NOTE_GAP_MOVED;
				return 0;
			}
			acc |= CRON_NOTE_GAP_SKIPPED;
		}
		t = sg.end;
	}
	return -1;
}

int
cronexpr_prev(const struct cronexpr *ce, const struct tz *tz, int64_t before,
    int64_t *prev, unsigned *notes)
{
	struct cron_seg sg;
	int64_t t, w, lo, limit, g;

	if (ce->kind != CRON_CALENDAR || before <= CRON_WALL_MIN)
		return -1;
	t = before - 1;
	limit = t - (int64_t)CRON_SPAN_YEARS * 31622400;
	while (t > limit) {
		cron_seg_at(tz, t, &sg);
		lo = sg.start == INT64_MIN ? INT64_MIN : sg.start + sg.off;
		if (!cron_both_passes(ce) && cron_seg_first_pass(&sg) > lo)
			lo = cron_seg_first_pass(&sg);
		w = cron_wall_prev(ce, t + sg.off);
		if (w == INT64_MIN)
			return -1;
		if (w >= lo) {
			*prev = w - sg.off;
			if (notes != NULL)
				*notes = cron_repeat_notes(&sg, w);
			return 0;
		}
		if (sg.start == INT64_MIN)
			return -1;
		/* The gap of a forward change at start fires at start. */
		if (!ce->interval && ce->gap == CRON_GAP_NEXT &&
		    sg.off > sg.prev_off) {
			g = cronexpr_wall_next(ce, sg.start + sg.prev_off);
			if (g < sg.start + sg.off) {
				*prev = sg.start;
				if (notes != NULL)
					*notes = CRON_NOTE_GAP_MOVED;
				return 0;
			}
		}
		t = sg.start - 1;
	}
	return -1;
}

int64_t
cronexpr_every_next(const struct cronexpr *ce, int64_t anchor, int64_t after)
{
	int64_t k;

	if (ce->every <= 0)
		return INT64_MAX;
	if (after < anchor)
		return anchor + ce->every;
	k = (after - anchor) / ce->every + 1;
	if (k > (INT64_MAX - anchor) / ce->every)
		return INT64_MAX;
	return anchor + k * ce->every;
}
