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

/*
 * The SCHEDULE column of the listing: the short reading, or the expression
 * itself where the reading would lose it (a seconds field, "custom").
 */
static const char *
top_text_schedule(const struct top_job *j)
{
	size_t n = strlen(j->human);

	if ((n >= 7 && strcmp(j->human + n - 7, "seconds") == 0) ||
	    (n >= 6 && strcmp(j->human + n - 6, "custom") == 0))
		return j->schedule;
	return j->human;
}

/* The plain listing: the header's numbers and one line per job. */
void
top_text_print(const struct top_model *m, int64_t now, const char *where)
{
	struct top_counts k;
	const struct top_job *j;
	char next[32], left[32], last[32], res[32], dur[32], tr[16], own[32];
	char up[32];
	size_t i;

	top_model_counts(m, now, &k);
	top_fmt_span(
	    up, sizeof up, m->started_at >= 0 ? now - m->started_at : 0);
	printf("cronq-agentd %s at %s, up %s\n", m->version, where, up);
	printf("jobs: %zu active, %zu paused, %zu failing; runs: %zu running, "
	       "%zu queued\n",
	    k.active, k.paused, k.failing, k.running, k.queued);
	printf("last 1h: %zu runs, %zu failed; last 24h: %zu runs, %zu "
	       "failed\n",
	    k.runs_1h, k.failed_1h, k.runs_24h, k.failed_24h);
	printf("%-24s %-16s %-9s %-9s %-9s %-12s %-8s %-8s %s\n", "NAME",
	    "SCHEDULE", "NEXT", "LEFT", "LAST", "RESULT", "DURATION", "TREND",
	    "OWNER");
	for (i = 0; i < m->nview; i++) {
		j = m->view[i];
		top_fmt_clock(next, sizeof next, j->next_run, now);
		if (j->next_run >= 0)
			top_fmt_span(left, sizeof left, j->next_run - now);
		else
			strlcpy(left, "-", sizeof left);
		top_fmt_clock(last, sizeof last, j->last_started, now);
		top_fmt_result(res, sizeof res, j);
		top_fmt_duration(dur, sizeof dur, j, now);
		top_fmt_trend(tr, sizeof tr, j);
		top_fmt_owner(own, sizeof own, j->owner);
		printf("%-24s %-16s %-9s %-9s %-9s %-12s %-8s %-8s %s\n",
		    j->name, top_text_schedule(j), next, left, last, res, dur,
		    tr, own);
	}
	fflush(stdout);
}
