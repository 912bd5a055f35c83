/* SPDX-License-Identifier: ISC */
/*
 * Words for cronq top's columns, shared by the screen and by the plain
 * listing (-b, TERM=dumb): a short human reading of a cron expression,
 * clock times, spans, results and trends. No curses here.
 */
#include "config.h"

#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cronexpr.h"
#include "top.h"

static int
top_bits(uint64_t v)
{
	return __builtin_popcountll(v);
}

static int
top_low(uint64_t v)
{
	return v ? __builtin_ctzll(v) : -1;
}

/* The step when SET is exactly 0, step, 2*step, ... below MAX; else 0. */
static int
top_step(uint64_t set, int max)
{
	int step, v;
	uint64_t want = 0;

	if (!(set & 1) || top_bits(set) < 2)
		return 0;
	step = top_low(set & ~(uint64_t)1);
	for (v = 0; v < max; v += step)
		want |= (uint64_t)1 << v;
	return want == set ? step : 0;
}

/* Which days: "" for every day, else a few words ending in a space. */
static void
top_days(char *buf, size_t len, const struct cronexpr *ce)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	int all_dom = ce->dom_star || ce->dom == 0xfffffffeU;
	int all_dow = ce->dow_star || ce->dow == 0x7f;

	buf[0] = '\0';
	if (ce->mon != 0x1ffe || ce->dom_last != -1 || ce->dom_w || ce->dom_lw)
		strlcpy(buf, "some days ", len);
	else if (all_dom && all_dow)
		return;
	else if (all_dom && ce->dow == 0x3e)
		strlcpy(buf, "weekdays ", len);
	else if (all_dom && top_bits(ce->dow) == 1)
		snprintf(buf, len, "%s ", wd[top_low(ce->dow)]);
	else if (all_dow && top_bits(ce->dom) == 1)
		snprintf(buf, len, "day %d ", top_low(ce->dom));
	else
		strlcpy(buf, "some days ", len);
}

/* A short reading of EXPR: "every 5 min", "daily 03:00", "Sun 00:00". */
void
top_human(char *buf, size_t len, const char *expr, const char *name)
{
	struct cronexpr ce;
	char *cause = NULL, days[32], span[32];
	int step, all_hours;

	if (cronexpr_parse(&ce, expr, name, &cause) == -1) {
		free(cause);
		strlcpy(buf, "?", len);
		return;
	}
	if (ce.kind == CRON_REBOOT) {
		strlcpy(buf, "at boot", len);
		return;
	}
	if (ce.kind == CRON_EVERY) {
		print_span(span, sizeof span, ce.every);
		snprintf(buf, len, "every %s", span);
		return;
	}
	top_days(days, sizeof days, &ce);
	all_hours = ce.hour == 0xffffff;
	if (ce.has_sec && ce.sec != 1)
		snprintf(buf, len, "%sseconds", days);
	else if (all_hours && ce.min == (((uint64_t)1 << 60) - 1))
		snprintf(buf, len, "%severy min", days);
	else if (all_hours && (step = top_step(ce.min, 60)) != 0)
		snprintf(buf, len, "%severy %d min", days, step);
	else if (all_hours && top_bits(ce.min) == 1)
		snprintf(buf, len, "%shourly :%02d", days, top_low(ce.min));
	else if (top_bits(ce.min) == 1 && top_bits(ce.hour) == 1)
		snprintf(buf, len, "%s%02d:%02d", days[0] ? days : "daily ",
		    top_low(ce.hour), top_low(ce.min));
	else if (top_bits(ce.min) == 1 && (step = top_step(ce.hour, 24)) != 0)
		snprintf(
		    buf, len, "%severy %dh :%02d", days, step, top_low(ce.min));
	else
		snprintf(buf, len, "%scustom", days);
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == ' ')
		buf[len - 1] = '\0';
}

/* "14:05:00" today, "Tue 14:05" this week, "2025-02-01" beyond. */
void
top_fmt_clock(char *buf, size_t len, int64_t t, int64_t now)
{
	time_t tt = (time_t)t;
	struct tm tm;
	size_t n;

	if (t < 0 || localtime_r(&tt, &tm) == NULL) {
		strlcpy(buf, "-", len);
		return;
	}
	if (t > now - 43200 && t < now + 43200)
		n = strftime(buf, len, "%H:%M:%S", &tm);
	else if (t > now - 6 * 86400 && t < now + 6 * 86400)
		n = strftime(buf, len, "%a %H:%M", &tm);
	else
		n = strftime(buf, len, "%Y-%m-%d", &tm);
	if (n == 0)
		strlcpy(buf, "-", len);
}

/* A compact span: "42s", "3m05s", "2h10m", "3d04h". */
void
top_fmt_span(char *buf, size_t len, int64_t s)
{
	long long v = s < 0 ? 0 : (long long)s;

	if (v < 60)
		snprintf(buf, len, "%llds", v);
	else if (v < 3600)
		snprintf(buf, len, "%lldm%02llds", v / 60, v % 60);
	else if (v < 86400)
		snprintf(buf, len, "%lldh%02lldm", v / 3600, v % 3600 / 60);
	else
		snprintf(buf, len, "%lldd%02lldh", v / 86400, v % 86400 / 3600);
}

/* The owner's login name, remembering the last one looked up. */
void
top_fmt_owner(char *buf, size_t len, unsigned int uid)
{
	static unsigned int last_uid = (unsigned int)-1;
	static char last[32];
	struct passwd *pw;

	if (uid != last_uid) {
		if ((pw = getpwuid((uid_t)uid)) != NULL)
			strlcpy(last, pw->pw_name, sizeof last);
		else
			snprintf(last, sizeof last, "%u", uid);
		last_uid = uid;
	}
	strlcpy(buf, last, len);
}

void
top_fmt_result(char *buf, size_t len, const struct top_job *j)
{
	if (j->active_state[0] != '\0')
		strlcpy(buf, j->active_state, len);
	else if (j->last_state[0] == '\0')
		strlcpy(buf, j->paused ? "paused" : "-", len);
	else if (strcmp(j->last_state, "failed") == 0 && j->last_exit >= 0)
		snprintf(buf, len, "failed(%d)", j->last_exit);
	else
		strlcpy(buf, j->last_state, len);
}

/* The last run's duration, or the running run's elapsed time. */
void
top_fmt_duration(char *buf, size_t len, const struct top_job *j, int64_t now)
{
	if (strcmp(j->active_state, "running") == 0 && j->active_started >= 0)
		top_fmt_span(buf, len, now - j->active_started);
	else if (j->last_started >= 0 && j->last_finished >= j->last_started)
		top_fmt_span(buf, len, j->last_finished - j->last_started);
	else
		strlcpy(buf, "-", len);
}

/* The trend, oldest on the left as in a sparkline. */
void
top_fmt_trend(char *buf, size_t len, const struct top_job *j)
{
	size_t n = strlen(j->trend), i;

	if (len == 0)
		return;
	for (i = 0; i < n && i + 1 < len; i++)
		buf[i] = j->trend[n - 1 - i];
	buf[i] = '\0';
	if (n == 0)
		strlcpy(buf, "-", len);
}

static const struct {
	const char *title;
	int want;
	int prio; /* lower stays longer on a narrow screen */
} top_cols[TOP_COL_COUNT] = {
	{ "NAME", 20, 0 },
	{ "SCHEDULE", 30, 5 },
	{ "NEXT", 10, 1 }, /* "2026-12-11" */
	{ "LEFT", 7, 3 },  /* "117d04h" */
	{ "LAST", 10, 4 },
	{ "RESULT", 11, 2 }, /* "failed(127)" */
	{ "DURATION", 8, 6 },
	{ "TREND", 8, 7 },
	{ "OWNER", 8, 8 },
};

const char *
top_col_title(enum top_col c)
{
	return top_cols[c].title;
}

static int
top_layout_total(const int *w)
{
	int i, total = 0;

	for (i = 0; i < TOP_COL_COUNT; i++)
		total += w[i] ? w[i] + 1 : 0;
	return total;
}

void
top_layout(int cols, int plain, int *w)
{
	int i, total, drop, worst, left;

	for (i = 0; i < TOP_COL_COUNT; i++)
		w[i] = top_cols[i].want;
	/* The listing's SCHEDULE holds the reading alone. */
	if (plain)
		w[TOP_COL_SCHED] = 16;
	while ((total = top_layout_total(w)) > cols) {
		drop = -1;
		worst = -1;
		for (i = 0; i < TOP_COL_COUNT; i++) {
			if (w[i] && top_cols[i].prio > worst) {
				worst = top_cols[i].prio;
				drop = i;
			}
		}
		if (drop <= 0)
			break;
		w[drop] = 0;
	}
	/* Only NAME left and still too wide: it takes what there is. */
	if (total > cols) {
		w[TOP_COL_NAME] = cols > 2 ? cols - 1 : 1;
		return;
	}
	/* What is left goes to the schedule, then to the name. */
	left = cols - total;
	if (w[TOP_COL_SCHED]) {
		w[TOP_COL_SCHED] += left / 2;
		w[TOP_COL_NAME] += left - left / 2;
	} else
		w[TOP_COL_NAME] += left;
}

void
top_cells(
    char cell[][TOP_CELL], const struct top_job *j, int64_t now, int plain)
{
	strlcpy(cell[TOP_COL_NAME], j->name, TOP_CELL);
	if (strcmp(j->schedule, "manual") == 0)
		strlcpy(cell[TOP_COL_SCHED], "manual only", TOP_CELL);
	else if (plain)
		/* Where the reading would lose the expression, the
		 * expression itself. */
		strlcpy(cell[TOP_COL_SCHED], j->vague ? j->schedule : j->human,
		    TOP_CELL);
	else
		snprintf(cell[TOP_COL_SCHED], TOP_CELL, "%s (%s)", j->schedule,
		    j->human);
	top_fmt_clock(cell[TOP_COL_NEXT], TOP_CELL, j->next_run, now);
	if (j->next_run >= 0)
		top_fmt_span(cell[TOP_COL_LEFT], TOP_CELL, j->next_run - now);
	else
		strlcpy(cell[TOP_COL_LEFT], "-", TOP_CELL);
	/* While a run goes, LAST is its start, as RESULT and DURATION are its.
	 */
	top_fmt_clock(cell[TOP_COL_LAST], TOP_CELL,
	    strcmp(j->active_state, "running") == 0 && j->active_started >= 0
	        ? j->active_started
	        : j->last_started,
	    now);
	top_fmt_result(cell[TOP_COL_RESULT], TOP_CELL, j);
	top_fmt_duration(cell[TOP_COL_DUR], TOP_CELL, j, now);
	top_fmt_trend(cell[TOP_COL_TREND], TOP_CELL, j);
	top_fmt_owner(cell[TOP_COL_OWNER], TOP_CELL, j->owner);
}

char *
top_line(
    char *buf, size_t len, const int *w, const char (*cell)[TOP_CELL], size_t n)
{
	size_t i, at = 0, sl;
	int k;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (w[i] <= 0)
			continue;
		if (at + (size_t)w[i] + 2 > len)
			break;
		sl = strlen(cell[i]);
		if (sl > (size_t)w[i]) {
			/* Cut, and say so in the last place. */
			memcpy(buf + at, cell[i], (size_t)w[i] - 1);
			buf[at + (size_t)w[i] - 1] = TOP_CUT;
		} else {
			memcpy(buf + at, cell[i], sl);
			for (k = (int)sl; k < w[i]; k++)
				buf[at + (size_t)k] = ' ';
		}
		at += (size_t)w[i];
		buf[at++] = ' ';
	}
	while (at > 0 && buf[at - 1] == ' ')
		at--;
	buf[at] = '\0';
	return buf;
}

/*
 * Prints S cut to COLS bytes, the last one TOP_CUT as a cell's would be,
 * so a long socket path or a busy count line does not wrap on a narrow
 * terminal. The cut backs off to the start of a UTF-8 character.
 */
static void
top_text_put(const char *s, int cols)
{
	size_t n = strlen(s), at;

	if (cols < 1 || n <= (size_t)cols) {
		printf("%s\n", s);
		return;
	}
	at = (size_t)cols - 1;
	while (at > 0 && ((unsigned char)s[at] & 0xc0) == 0x80)
		at--;
	printf("%.*s%c\n", (int)at, s, TOP_CUT);
}

/* The plain listing: the header's numbers and one line per job. */
void
top_text_print(
    const struct top_model *m, int64_t now, const char *where, int cols)
{
	struct top_counts k;
	char cell[TOP_COL_COUNT][TOP_CELL], line[TOP_COL_COUNT * TOP_CELL];
	char up[32], head[1024];
	int w[TOP_COL_COUNT];
	size_t i;

	top_model_counts(m, now, &k);
	/* Written as cronq status writes it: the compact form is for columns.
	 */
	print_span(up, sizeof up, m->started_at >= 0 ? now - m->started_at : 0);
	snprintf(head, sizeof head, "cronq-agentd %s at %s, up %s", m->version,
	    where, up);
	top_text_put(head, cols);
	snprintf(head, sizeof head,
	    "jobs: %zu active, %zu paused, %zu failing; runs: %zu running, "
	    "%zu queued",
	    k.active, k.paused, k.failing, k.running, k.queued);
	if (k.retrying > 0)
		snprintf(head + strlen(head), sizeof head - strlen(head),
		    ", %zu retrying", k.retrying);
	top_text_put(head, cols);
	snprintf(head, sizeof head,
	    "last 1h: %zu runs, %zu failed; last 24h: %zu runs, %zu failed",
	    k.runs_1h, k.failed_1h, k.runs_24h, k.failed_24h);
	top_text_put(head, cols);
	top_layout(cols, 1, w);
	for (i = 0; i < TOP_COL_COUNT; i++)
		strlcpy(cell[i], top_cols[i].title, TOP_CELL);
	top_text_put(top_line(line, sizeof line, w, cell, TOP_COL_COUNT), cols);
	for (i = 0; i < m->nview; i++) {
		top_cells(cell, m->view[i], now, 1);
		top_text_put(
		    top_line(line, sizeof line, w, cell, TOP_COL_COUNT), cols);
	}
	fflush(stdout);
}
