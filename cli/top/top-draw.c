/* SPDX-License-Identifier: ISC */
/*
 * The screen of cronq top, htop's way: a header of meters, the jobs
 * panel (only the visible rows are drawn, so 10,000 jobs cost what 30
 * do), the pane of the selected job, a status line and a bar of keys. It
 * only reads the model. Without colours (NO_COLOR, --no-color, a terminal
 * without them) the same places use bold, dim and reverse.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curses.h>

#include "cli.h"
#include "client.h"
#include "top.h"

/* The narrowest DETAIL of a run worth a column: "stopped by uid 0". */
#define TOP_RUN_DETAIL_MIN 16

enum top_pair {
	TOP_PAIR_HEAD = 1,
	TOP_PAIR_RUN,
	TOP_PAIR_FAIL,
	TOP_PAIR_METER,
	TOP_PAIR_KEY
};

static int top_color;

void
top_draw_init(struct top *t)
{
	top_color = t->color;
	if (!top_color)
		return;
	start_color();
	use_default_colors();
	init_pair(TOP_PAIR_HEAD, COLOR_BLACK, COLOR_GREEN);
	init_pair(TOP_PAIR_RUN, COLOR_GREEN, -1);
	init_pair(TOP_PAIR_FAIL, COLOR_RED, -1);
	init_pair(TOP_PAIR_METER, COLOR_CYAN, -1);
	init_pair(TOP_PAIR_KEY, COLOR_BLACK, COLOR_CYAN);
}

/* An attribute: the colour pair when colours are on, else FALLBACK. */
static attr_t
top_attr(enum top_pair p, attr_t fallback)
{
	return top_color ? COLOR_PAIR(p) : fallback;
}

/* Writes S at (Y, X), cut to W columns and padded to W when PAD. */
static void
top_put(int y, int x, int w, const char *s, int pad)
{
	int n;

	if (w <= 0 || x >= COLS)
		return;
	if (x + w > COLS)
		w = COLS - x;
	n = (int)strlen(s);
	mvaddnstr(y, x, s, n < w ? n : w);
	if (pad)
		for (; n < w; n++)
			addch(' ');
}

static void
top_draw_header(struct top *t, int64_t now)
{
	struct top_model *m = t->m;
	struct top_counts k;
	char line[512], a[32], b[32], clock[16];
	int bar, fill, i;
	long max;

	top_model_counts(m, now, &k);
	print_span(a, sizeof a, m->started_at >= 0 ? now - m->started_at : 0);
	top_fmt_clock(clock, sizeof clock, now, now);
	snprintf(line, sizeof line, "cronq-agentd %s  up %s  at %s",
	    m->version[0] ? m->version : "?", a, client_where(t->c));
	attron(A_BOLD);
	top_put(0, 0, COLS, line, 1);
	attroff(A_BOLD);
	if (!t->connected) {
		snprintf(line, sizeof line, "disconnected, retrying%s%s",
		    t->why[0] ? ": " : "", t->why);
		attron(top_attr(TOP_PAIR_FAIL, A_REVERSE) | A_BOLD);
		top_put(0, COLS / 3, COLS - COLS / 3 - 9, line, 0);
		attroff(top_attr(TOP_PAIR_FAIL, A_REVERSE) | A_BOLD);
	}
	top_put(0, COLS - 8, 8, clock, 0);

	snprintf(a, sizeof a, ", %zu retrying", k.retrying);
	snprintf(line, sizeof line,
	    "Jobs: %zu active, %zu paused, %zu failing   Runs: %zu running, "
	    "%zu queued%s   Load ",
	    k.active, k.paused, k.failing, k.running, k.queued,
	    k.retrying > 0 ? a : "");
	top_put(1, 0, COLS, line, 1);
	max = m->max_running;
	if (max > 0)
		snprintf(a, sizeof a, "] %zu/%ld", k.running, max);
	else
		snprintf(a, sizeof a, "] %zu/no limit", k.running);
	/* The meter shrinks to what the line leaves; below 3 places only
	 * its numbers stay. */
	bar = COLS - (int)strlen(line) - 1 - (int)strlen(a);
	if (bar > 20)
		bar = 20;
	if (bar >= 3) {
		fill = max > 0 ? (int)(((long)k.running * bar + max - 1) / max)
		               : 0;
		if (fill > bar)
			fill = bar;
		move(1, (int)strlen(line));
		addch('[');
		attron(top_attr(TOP_PAIR_METER, A_BOLD));
		for (i = 0; i < bar; i++)
			addch(i < fill ? '|' : ' ');
		attroff(top_attr(TOP_PAIR_METER, A_BOLD));
		addstr(a);
	} else
		top_put(
		    1, (int)strlen(line), COLS - (int)strlen(line), a + 2, 0);

	if (k.next != NULL) {
		top_fmt_clock(a, sizeof a, k.next->next_run, now);
		top_fmt_span(b, sizeof b, k.next->next_run - now);
	}
	snprintf(line, sizeof line,
	    "Last 1h: %s%zu runs, %zu failed   24h: %s%zu runs, %zu failed   "
	    "Next: %s%s%s%s%s",
	    m->done_partial ? ">=" : "", k.runs_1h, k.failed_1h,
	    m->done_partial ? ">=" : "", k.runs_24h, k.failed_24h,
	    k.next ? a : "none", k.next ? " " : "", k.next ? k.next->name : "",
	    k.next ? " in " : "", k.next ? b : "");
	top_put(2, 0, COLS, line, 1);
}

static void
top_draw_row(
    int y, const int *w, const struct top_job *j, int64_t now, int selected)
{
	char cell[TOP_COL_COUNT][TOP_CELL], line[TOP_COL_COUNT * TOP_CELL];
	attr_t at = A_NORMAL;

	top_cells(cell, j, now, 0);
	if (strcmp(j->active_state, "running") == 0)
		at = top_attr(TOP_PAIR_RUN, A_BOLD) | A_BOLD;
	else if (j->active_state[0] == '\0' && top_state_failed(j->last_state))
		at = top_attr(TOP_PAIR_FAIL, A_UNDERLINE);
	else if (j->paused)
		at = A_DIM;
	if (selected)
		at |= A_REVERSE;
	attrset(at);
	top_put(
	    y, 0, COLS, top_line(line, sizeof line, w, cell, TOP_COL_COUNT), 1);
	attrset(A_NORMAL);
}

static void
top_draw_jobs(struct top *t, int y0, int rows, int64_t now)
{
	struct top_model *m = t->m;
	char cell[TOP_COL_COUNT][TOP_CELL], line[TOP_COL_COUNT * TOP_CELL];
	int w[TOP_COL_COUNT], i;
	size_t r;

	top_layout(COLS, 0, w);
	for (i = 0; i < TOP_COL_COUNT; i++)
		snprintf(cell[i], TOP_CELL, "%s%s", top_col_title(i),
		    strcmp(top_sort_name(m->sort), top_col_title(i)) == 0
		        ? (m->reverse ? "^" : "v")
		        : "");
	attrset(top_attr(TOP_PAIR_HEAD, A_REVERSE));
	top_put(y0, 0, COLS,
	    top_line(line, sizeof line, w, cell, TOP_COL_COUNT), 1);
	attrset(A_NORMAL);

	/* Keep the selection in sight, scrolling as little as needed. */
	t->rows = rows > 0 ? (size_t)rows : 0;
	if (t->sel < t->first)
		t->first = t->sel;
	if (rows > 0 && t->sel >= t->first + (size_t)rows)
		t->first = t->sel - (size_t)rows + 1;
	if (t->first + (size_t)rows > m->nview)
		t->first =
		    m->nview > (size_t)rows ? m->nview - (size_t)rows : 0;
	for (i = 0; i < rows; i++) {
		r = t->first + (size_t)i;
		if (r >= m->nview)
			break;
		top_draw_row(y0 + 1 + i, w, m->view[r], now, r == t->sel);
	}
	if (m->nview == 0)
		top_put(y0 + 2, 2, COLS - 2,
		    m->filter[0] ? "no job matches the filter"
		                 : "no jobs (add one with cronq add)",
		    0);
}

/* The last LINES lines of TEXT, one per row from Y. */
static void
top_draw_tail(const char *text, int y, int lines)
{
	const char *p, *e;
	char buf[512];
	int n = 0;

	if (text == NULL || lines <= 0)
		return;
	p = text + strlen(text);
	if (p > text && p[-1] == '\n')
		p--;
	while (p > text && n < lines) {
		p--;
		if (*p == '\n')
			n++;
	}
	if (*p == '\n')
		p++;
	for (n = 0; *p != '\0' && n < lines; n++) {
		e = strchr(p, '\n');
		snprintf(buf, sizeof buf, "%.*s",
		    (int)(e ? e - p : (long)strlen(p)), p);
		for (char *c = buf; *c; c++)
			if ((unsigned char)*c < ' ')
				*c = ' ';
		top_put(y + n, 1, COLS - 1, buf, 0);
		if (e == NULL)
			break;
		p = e + 1;
	}
}

/* Narrows W (N widths) from the right until they fit COLS with spaces. */
static void
top_fit(int *w, int n, int cols)
{
	int i, total = 0;

	for (i = 0; i < n; i++)
		total += w[i] + 1;
	for (i = n - 1; i >= 0 && total > cols; i--) {
		int cut = total - cols < w[i] - 1 ? total - cols : w[i] - 1;

		w[i] -= cut;
		total -= cut;
	}
}

static void
top_draw_detail(struct top *t, int y0, int h, int64_t now)
{
	static const char *const rt[] = { "RUN", "TRIGGER", "STARTED",
		"DURATION", "RESULT", "DETAIL" };
	static const char *const dt[] = { "SLOT", "OUTCOME", "DETAIL" };
	struct top_job *j = top_model_find(t->m, t->detail_name);
	const cJSON *o;
	char line[512], cell[6][TOP_CELL];
	int rw[6] = { 6, 9, 10, 8, 9, 0 }, dw[3] = { 10, 15, 0 };
	int left, y, lim, i, spare;
	int64_t st, fin;

	attrset(top_attr(TOP_PAIR_HEAD, A_REVERSE));
	if (j != NULL)
		snprintf(line, sizeof line, " %s: %s (%s)%s", j->name,
		    j->schedule, j->human, j->paused ? ", paused" : "");
	else
		strlcpy(line, " no job selected", sizeof line);
	top_put(y0, 0, COLS, line, 1);
	attrset(A_NORMAL);
	if (j == NULL || h < 3)
		return;
	/* The runs take what their columns need, the decisions the rest. */
	left = COLS / 2 > 47 ? COLS / 2 : 47;
	if (left > COLS - 20)
		left = COLS / 2;
	top_fit(rw, 5, left);
	/*
	 * The room left goes to the run's DETAIL (why it ended, as in
	 * cronq runs) when that can hold a message such as "stopped by uid
	 * 0"; a narrower one would show only its start, so RESULT keeps it.
	 */
	spare = left - (rw[0] + rw[1] + rw[2] + rw[3] + rw[4] + 5);
	if (spare - 1 >= TOP_RUN_DETAIL_MIN)
		rw[5] = spare - 1;
	else
		rw[4] += spare;
	dw[2] = COLS - left - dw[0] - dw[1] - 3;
	if (dw[2] < 1)
		dw[2] = 1;
	top_fit(dw, 3, COLS - left);
	lim = h > 10 ? 6 : h / 2;
	attron(A_BOLD);
	for (i = 0; i < 6; i++)
		strlcpy(cell[i], rt[i], TOP_CELL);
	top_put(y0 + 1, 0, left, top_line(line, sizeof line, rw, cell, 6), 0);
	for (i = 0; i < 3; i++)
		strlcpy(cell[i], dt[i], TOP_CELL);
	top_put(y0 + 1, left, COLS - left,
	    top_line(line, sizeof line, dw, cell, 3), 0);
	attroff(A_BOLD);
	y = y0 + 2;
	cJSON_ArrayForEach(
	    o, cJSON_GetObjectItemCaseSensitive(t->detail_runs, "runs"))
	{
		if (y >= y0 + 1 + lim)
			break;
		st = print_json_time(o, "started_at");
		fin = print_json_time(o, "finished_at");
		snprintf(cell[0], TOP_CELL, "%.0f",
		    cJSON_GetNumberValue(
		        cJSON_GetObjectItemCaseSensitive(o, "id")));
		strlcpy(cell[1], print_str(o, "trigger", "-"), TOP_CELL);
		top_fmt_clock(cell[2], TOP_CELL, st, now);
		if (st >= 0)
			top_fmt_span(
			    cell[3], TOP_CELL, (fin >= 0 ? fin : now) - st);
		else
			strlcpy(cell[3], "-", TOP_CELL);
		strlcpy(cell[4], print_str(o, "state", "-"), TOP_CELL);
		print_run_detail(cell[5], TOP_CELL, o);
		top_put(
		    y++, 0, left, top_line(line, sizeof line, rw, cell, 6), 0);
	}
	y = y0 + 2;
	cJSON_ArrayForEach(o,
	    cJSON_GetObjectItemCaseSensitive(t->detail_decisions, "decisions"))
	{
		if (y >= y0 + 1 + lim)
			break;
		top_fmt_clock(
		    cell[0], TOP_CELL, print_json_time(o, "slot"), now);
		strlcpy(cell[1], print_str(o, "outcome", "-"), TOP_CELL);
		strlcpy(cell[2], print_str(o, "detail", ""), TOP_CELL);
		top_put(y++, left, COLS - left,
		    top_line(line, sizeof line, dw, cell, 3), 0);
	}
	y = y0 + 2 + lim;
	if (y < y0 + h) {
		snprintf(line, sizeof line, "log of run %lld",
		    (long long)(j->active_id ? j->active_id : j->last_id));
		attron(A_BOLD);
		top_put(y - 1 + 0, 0, COLS,
		    j->last_id || j->active_id ? line : "no log yet", 1);
		attroff(A_BOLD);
		top_draw_tail(t->detail_log, y, y0 + h - y);
	}
}

static void
top_draw_help(void)
{
	static const char *const lines[] = {
		"cronq top keys",
		"",
		"  Up, Down, j, K    move (k is stop, as in top)",
		"  PgUp, PgDn, g, G  page, first, last",
		"  /                 filter by name (Enter keeps, Esc drops)",
		"  s, r              next sort column, reverse the order",
		"  t                 trigger the selected job now",
		"  k                 stop the selected job's running run",
		"  p                 pause or resume the selected job",
		"  l                 show the last log in $PAGER",
		"  ?                 this help",
		"  q                 quit",
		"",
		"press any key",
	};
	int n = (int)(sizeof lines / sizeof lines[0]), i, y, x, w = 62;

	y = (LINES - n - 2) / 2;
	x = (COLS - w) / 2;
	if (y < 0)
		y = 0;
	if (x < 0)
		x = 0;
	for (i = -1; i <= n; i++) {
		attrset(A_REVERSE);
		top_put(y + 1 + i, x, w, i >= 0 && i < n ? lines[i] : "", 1);
	}
	attrset(A_NORMAL);
}

static void
top_draw_footer(struct top *t)
{
	static const char *const keys[][2] = { { "t", "Trigger" },
		{ "k", "Stop" }, { "p", "Pause" }, { "l", "Log" },
		{ "/", "Filter" }, { "s", "Sort" }, { "?", "Help" },
		{ "q", "Quit" } };
	char line[320];
	size_t i;

	if (t->mode == TOP_MODE_FILTER)
		snprintf(line, sizeof line, "filter: %s_", t->m->filter);
	else if (t->msg[0] != '\0' && top_now_ms() < t->msg_until_ms)
		strlcpy(line, t->msg, sizeof line);
	else if (t->m->filter[0] != '\0')
		snprintf(line, sizeof line, "filter: %s (%zu of %zu jobs)",
		    t->m->filter, t->m->nview, t->m->njobs);
	else
		snprintf(line, sizeof line, "%zu jobs, sorted by %s%s",
		    t->m->njobs, top_sort_name(t->m->sort),
		    t->m->reverse ? " (reversed)" : "");
	attron(A_BOLD);
	top_put(LINES - 2, 0, COLS, line, 1);
	attroff(A_BOLD);
	move(LINES - 1, 0);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		attrset(A_BOLD);
		printw("%s", keys[i][0]);
		attrset(top_attr(TOP_PAIR_KEY, A_REVERSE));
		printw("%-8s", keys[i][1]);
		attrset(A_NORMAL);
		addch(' ');
	}
	clrtoeol();
}

void
top_draw(struct top *t)
{
	int64_t now = (int64_t)time(NULL);
	int rows, detail;

	erase();
	if (LINES < 8 || COLS < 40) {
		top_put(0, 0, COLS, "cronq top: the window is too small", 0);
		refresh();
		return;
	}
	top_draw_header(t, now);
	/* The pane takes a third of a tall screen, nothing of a short one. */
	detail = LINES >= 20 ? LINES / 3 : 0;
	if (detail > 16)
		detail = 16;
	rows = LINES - 4 - 2 - detail;
	top_draw_jobs(t, 3, rows, now);
	if (detail > 0)
		top_draw_detail(t, 4 + rows, detail, now);
	top_draw_footer(t);
	if (t->mode == TOP_MODE_HELP)
		top_draw_help();
	refresh();
	t->redraw = 0;
}
