/* SPDX-License-Identifier: ISC */
/*
 * Notices on day fields that are valid but often read wrongly (field
 * cases BUG-06 and BUG-07 of the shared data): the expression means what
 * Vixie cron makes of it, and the notice says so, because other schedulers
 * resolve the same text differently and users expect "every N days".
 */
#include "config.h"

#include <stdio.h>

#include "cronexpr.h"

#define DOM_ALL 0xfffffffeU /* days 1-31 */
#define DOW_ALL 0x7fU

/*
 * If the days of DOM are s, s+N, s+2N, ... up to the last that fits in 31
 * (at least two, N >= 2), returns N; else 0.
 */
static int
dom_step(uint32_t dom)
{
	int first = 0, step = 0, d, prev = 0;

	for (d = 1; d <= 31; d++) {
		if (!(dom & (1U << d)))
			continue;
		if (first == 0)
			first = d;
		else if (step == 0)
			step = d - first;
		else if (d - prev != step)
			return 0;
		prev = d;
	}
	if (step < 2 || prev + step <= 31)
		return 0;
	return step;
}

size_t
cronexpr_notes(
    const struct cronexpr *ce, char notes[][CRON_NOTE_MAX], size_t max)
{
	int dom_wild, dow_wild, dom_bare, dow_bare, step;
	size_t n = 0;

	if (ce->kind != CRON_CALENDAR || max == 0)
		return 0;
	dom_bare = ce->dom_star && ce->dom == DOM_ALL && ce->dom_last < 0 &&
	    ce->dom_w == 0 && !ce->dom_lw;
	dow_bare = ce->dow_star && ce->dow == DOW_ALL && ce->dow_last == 0;
	dom_wild = ce->dom_star;
	dow_wild = ce->dow_star;
	if (dom_wild && !dom_bare && !dow_wild && n < max)
		snprintf(notes[n++], CRON_NOTE_MAX,
		    "day-of-month starts with '*', so it counts as unrestricted "
		    "and both day fields must match (as in Vixie cron); "
		    "schedulers that OR the day fields read it differently");
	else if (dow_wild && !dow_bare && !dom_wild && n < max)
		snprintf(notes[n++], CRON_NOTE_MAX,
		    "day-of-week starts with '*', so it counts as unrestricted "
		    "and both day fields must match (as in Vixie cron); "
		    "schedulers that OR the day fields read it differently");
	if ((step = dom_step(ce->dom)) != 0 && ce->dom_last < 0 &&
	    ce->dom_w == 0 && n < max)
		snprintf(notes[n++], CRON_NOTE_MAX,
		    "a day-of-month step starts again on the 1st of each "
		    "month: it is not every %d days across month ends",
		    step);
	return n;
}
