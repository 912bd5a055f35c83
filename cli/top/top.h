/* SPDX-License-Identifier: ISC */
/*
 * cronq top: the live view. The model (top-model.c) is fed from the API
 * and the event stream and knows nothing of the screen; the screen
 * (top-draw.c) only reads the model; keys (top-keys.c) turn into model
 * changes or API calls; top.c owns the loop, the connection and the
 * terminal. Only the files in this directory include <curses.h>.
 */
#ifndef TOP_H
#define TOP_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "cronexpr.h"
#include "cronq.h"

struct client;
struct client_feed;
struct cli_opts;

#define TOP_TREND 8 /* outcomes kept per job for the trend column */
#define TOP_FILTER_MAX 64
#define TOP_STATE_MAX 12
#define TOP_CHECK_MAX 16 /* job events looked up one by one */

enum top_sort {
	TOP_SORT_NAME,
	TOP_SORT_NEXT,
	TOP_SORT_LAST,
	TOP_SORT_RESULT,
	TOP_SORT_DURATION,
	TOP_SORT_OWNER,
	TOP_SORT_COUNT
};

/* One job as the view shows it. */
struct top_job {
	char name[CQ_NAME_MAX + 1];
	char *schedule; /* the schedules joined by ", "; "manual" if none */
	/* A short reading of the first schedule, "+N" when there are N
	 * more, so a job is never summed up by one of several. */
	char human[40];
	int vague; /* the reading loses the expression ("custom") */
	unsigned int owner;
	int paused;
	int64_t next_run; /* -1 for none */
	int64_t last_id;  /* 0 when it never ran */
	char last_state[TOP_STATE_MAX];
	int last_exit; /* -1 for none */
	int64_t last_started, last_finished;
	int64_t active_id; /* a queued, running or retrying run, or 0 */
	char active_state[TOP_STATE_MAX];
	int64_t active_started;
	char trend[TOP_TREND + 1]; /* outcome letters, newest first */
	int seen;                  /* found by the current full load */
	/* The calendar schedules, to move NEXT on when a slot passes
	 * before the daemon's update arrives. */
	struct cronexpr *exprs;
	size_t nexprs;
	const struct tz *tz;
};

/* A finished run of the last 24 hours, for the header's counts. */
struct top_done {
	int64_t id;
	int64_t finished;
	int failed;
};

/* What the header shows, counted from the model. */
struct top_counts {
	size_t active, paused, failing;
	size_t running, queued, retrying; /* queued leaves retrying out */
	size_t runs_1h, failed_1h, runs_24h, failed_24h;
	const struct top_job *next; /* the job that fires next, or NULL */
};

struct top_model {
	struct top_job **jobs; /* sorted by name */
	size_t njobs;
	size_t jobs_size;
	struct top_job **view; /* filtered and sorted for the screen */
	size_t nview;
	int dirty; /* the view must be rebuilt */
	enum top_sort sort;
	int reverse;
	char filter[TOP_FILTER_MAX];

	char version[32];
	int64_t started_at;
	long max_running;   /* -1 when the daemon does not say */
	int64_t advance_at; /* the earliest NEXT that may pass; 0: unknown */

	struct top_done *done; /* by finish time, oldest first */
	size_t ndone;
	size_t done_size;
	int done_partial; /* older runs not fetched: counts are at least */
};

/* top-model.c */
struct top_model *top_model_create(void);
void top_model_free(struct top_model *m);
struct top_job *top_model_find(const struct top_model *m, const char *name);
void top_model_status(struct top_model *m, const cJSON *st);
void top_model_load_jobs(struct top_model *m, const cJSON *jobs);
void top_model_job_event(struct top_model *m, const cJSON *job);
void top_model_remove(struct top_model *m, const char *name);
void top_model_clear_runs(struct top_model *m, int active_only);
int64_t top_model_load_runs(
    struct top_model *m, const cJSON *runs, int64_t since);
void top_model_run_event(struct top_model *m, const cJSON *run, int64_t now);
void top_model_refresh(struct top_model *m);
/* Moves each passed NEXT to its schedules' next fire after NOW. */
void top_model_advance(struct top_model *m, int64_t now);
void top_model_counts(
    const struct top_model *m, int64_t now, struct top_counts *out);
const char *top_sort_name(enum top_sort s);
int top_state_failed(const char *state);
char top_state_letter(const char *state);

/* The table's columns, in order. */
enum top_col {
	TOP_COL_NAME,
	TOP_COL_SCHED,
	TOP_COL_NEXT,
	TOP_COL_LEFT,
	TOP_COL_LAST,
	TOP_COL_RESULT,
	TOP_COL_DUR,
	TOP_COL_TREND,
	TOP_COL_OWNER,
	TOP_COL_COUNT
};

#define TOP_CELL 160 /* bytes of one cell's text */
#define TOP_CUT '~'  /* ends a cell cut to its column */

/* top-text.c: words for the columns, shared by the screen and -b. */
const char *top_col_title(enum top_col c);
/*
 * Chooses the column widths W for a COLS-wide table (PLAIN: the plain
 * listing's shorter SCHEDULE): columns that do not fit are dropped
 * (width 0), the least needed first; NAME always stays. The widths plus
 * one space between columns never pass COLS (from 40 up).
 */
void top_layout(int cols, int plain, int *w);
/* The row's cells; PLAIN puts the reading alone in SCHEDULE. */
void top_cells(
    char cell[][TOP_CELL], const struct top_job *j, int64_t now, int plain);
/*
 * Lays N cells out in BUF: each cut to its width W[i] (ending in TOP_CUT
 * when cut), padded, and followed by one space; a width of 0 skips the
 * cell. Trailing blanks are dropped. Returns BUF.
 */
char *top_line(char *buf, size_t len, const int *w,
    const char (*cell)[TOP_CELL], size_t n);
void top_human(char *buf, size_t len, const char *expr, const char *name);
void top_fmt_clock(char *buf, size_t len, int64_t t, int64_t now);
void top_fmt_span(char *buf, size_t len, int64_t s);
void top_fmt_owner(char *buf, size_t len, unsigned int uid);
void top_fmt_result(char *buf, size_t len, const struct top_job *j);
void top_fmt_duration(
    char *buf, size_t len, const struct top_job *j, int64_t now);
void top_fmt_trend(char *buf, size_t len, const struct top_job *j);
/* The plain listing at COLS columns. */
void top_text_print(
    const struct top_model *m, int64_t now, const char *where, int cols);

/* The live session: connection, model and screen state. */
enum top_mode {
	TOP_MODE_NORMAL,
	TOP_MODE_FILTER,
	TOP_MODE_CONFIRM,
	TOP_MODE_HELP
};

struct top {
	struct client *c;
	struct client_feed *feed;
	struct top_model *m;
	int connected;
	char why[256];        /* why the daemon is not reachable */
	int64_t retry_ms;     /* when to reconnect */
	int64_t full_ms;      /* when the safety-net reload is due */
	int64_t jobs_ms;      /* too many jobs changed: reload then (0: no) */
	int64_t full_cost_ms; /* how long the last reload took */
	/* Jobs an event named: each is looked up, since a deleted job's
	 * event reads like any other change. */
	char check[TOP_CHECK_MAX][CQ_NAME_MAX + 1];
	size_t ncheck;

	int color;
	int quit;
	int redraw;
	enum top_mode mode;
	size_t sel;                     /* index into the view */
	char sel_name[CQ_NAME_MAX + 1]; /* the selection across re-sorts */
	size_t first;                   /* the first visible row */
	size_t rows;                    /* job rows on screen */
	char msg[256];                  /* the status line */
	int64_t msg_until_ms;
	/* The run the status line speaks of (0: none): its end rewrites
	 * the line, which would otherwise say "running" after it ended. */
	int64_t msg_run;
	char msg_job[CQ_NAME_MAX + 1];
	int msg_key; /* the action that named it: 't' or 'k' */
	char old_filter[TOP_FILTER_MAX]; /* restored when a filter is cancelled
	                                  */
	int confirm_key;                 /* the action waiting for y */
	char confirm_job[CQ_NAME_MAX + 1];
	int64_t confirm_run;

	/* The detail pane of the selected job. */
	char detail_name[CQ_NAME_MAX + 1];
	int64_t detail_ms; /* when to fetch it (0: up to date) */
	cJSON *detail_runs;
	cJSON *detail_decisions;
	char *detail_log;
};

/* top.c (cmd_top itself is declared in cli.h) */
int64_t top_now_ms(void);
void top_message(struct top *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void top_detail_due(struct top *t, int64_t delay_ms);
/* Points the status line just set at run RUN of JOB, asked for by KEY. */
void top_message_follow(struct top *t, int key, const char *job, int64_t run);

/* top-draw.c */
void top_draw_init(struct top *t);
void top_draw(struct top *t);

/* top-keys.c */
void top_keys_handle(struct top *t, int ch);
void top_keys_select(struct top *t);

#endif
