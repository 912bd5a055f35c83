/* SPDX-License-Identifier: ISC */
/*
 * cronq top: the loop, the connection and the terminal. The loop waits
 * once for keys, signals and the event stream together (the stream's
 * descriptors through libcurl's multi interface), applies what came, and
 * draws. Nothing polls: /status is read once per connection (the
 * uptime counts here), and all jobs are reloaded only as a safety net,
 * at least TOP_FULL_MS apart and further when a reload is slow (10,000
 * jobs take the daemon seconds), so the screen never stalls often.
 * Every way out (q, an error, SIGINT, SIGTERM, SIGHUP) restores the
 * terminal before anything is printed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "cli.h"
#include "client.h"
#include "top.h"
#include "xmalloc.h"

#define TOP_FULL_MS 15000  /* the safety-net reload of jobs and runs */
#define TOP_FULL_FACTOR 30 /* reload no more than 1/30 of the time */
#define TOP_RETRY_MS 1000  /* reconnect attempts while disconnected */
#define TOP_RUN_PAGES 10   /* pages of 1000 runs read for the 24h counts */

static int cmd_top_exec(const struct cli_opts *, int, char **);

const struct cli_cmd cmd_top = { "top",
	"top [-b] [--no-color] [-d SECONDS] [-n COUNT]",
	"watch and steer the daemon live: jobs, runs, decisions and logs",
	cmd_top_exec };

static volatile sig_atomic_t top_signal;
static int top_sigpipe[2] = { -1, -1 };
static int top_screen_on;

int64_t
top_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
top_message(struct top *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof t->msg, fmt, ap);
	va_end(ap);
	t->msg_until_ms = top_now_ms() + 8000;
	t->msg_run = 0;
	t->redraw = 1;
}

void
top_message_follow(struct top *t, int key, const char *job, int64_t run)
{
	t->msg_run = run;
	t->msg_key = key;
	strlcpy(t->msg_job, job, sizeof t->msg_job);
}

/*
 * Rewrites the status line once the run it speaks of has ended, seen in
 * the model whether an event or a reload brought the end. Only while the
 * line still shows: an end long after would pop up unasked.
 */
static void
top_message_update(struct top *t)
{
	const struct top_job *j;
	struct top_job last;
	int64_t run = t->msg_run;
	char res[TOP_CELL];

	if (run == 0)
		return;
	if (top_now_ms() >= t->msg_until_ms) {
		t->msg_run = 0;
		return;
	}
	/* last_id is this run only once it ended and no later run did. */
	j = top_model_find(t->m, t->msg_job);
	if (j == NULL || j->active_id == run || j->last_id != run)
		return;
	if (t->msg_key == 'k' && strcmp(j->last_state, "cancelled") == 0)
		top_message(t, "run %lld of %s stopped (cancelled)",
		    (long long)run, j->name);
	else {
		/* Worded as RESULT words the job's last run: "failed(3)". */
		last = *j;
		last.active_state[0] = '\0';
		top_fmt_result(res, sizeof res, &last);
		top_message(t, "run %lld of %s ended: %s", (long long)run,
		    j->name, res);
	}
}

void
top_detail_due(struct top *t, int64_t delay_ms)
{
	int64_t at = top_now_ms() + delay_ms;

	if (t->detail_ms == 0 || at < t->detail_ms)
		t->detail_ms = at;
}

/* Gives the terminal back; safe to call twice and from atexit. */
static void
top_screen_end(void)
{
	if (!top_screen_on)
		return;
	top_screen_on = 0;
	endwin();
}

/* The signal only writes a byte: the loop ends curses outside it. */
static void
top_on_signal(int sig)
{
	int saved = errno;

	top_signal = sig;
	if (top_sigpipe[1] != -1)
		(void)write(top_sigpipe[1], "", 1);
	errno = saved;
}

static int
top_signals(void)
{
	struct sigaction sa;
	int i;

	if (pipe(top_sigpipe) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		fcntl(top_sigpipe[i], F_SETFL, O_NONBLOCK);
		fcntl(top_sigpipe[i], F_SETFD, FD_CLOEXEC);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = top_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	return 0;
}

/* Asks for JSON; on failure notes the reason and drops the connection. */
static cJSON *
top_get(struct top *t, const char *path)
{
	cJSON *resp;
	char *cause;
	int rc;

	rc = client_call(t->c, "GET", path, NULL, &resp, NULL, &cause);
	if (rc == CQ_EXIT_OK)
		return resp;
	if (rc == CQ_EXIT_UNREACHABLE) {
		t->connected = 0;
		t->retry_ms = top_now_ms() + TOP_RETRY_MS;
	}
	strlcpy(t->why, cause, sizeof t->why);
	free(cause);
	return NULL;
}

/* Reloads jobs and the runs now queued or running. */
static int
top_reload_jobs(struct top *t)
{
	static const char *const active[] = { "queued", "running", "retrying" };
	int64_t start = top_now_ms(), gap;
	char path[64];
	cJSON *r;
	size_t i;

	if ((r = top_get(t, "/jobs")) == NULL)
		return -1;
	top_model_load_jobs(t->m, r);
	cJSON_Delete(r);
	top_model_clear_runs(t->m, 1);
	for (i = 0; i < sizeof active / sizeof active[0]; i++) {
		snprintf(
		    path, sizeof path, "/runs?state=%s&limit=1000", active[i]);
		if ((r = top_get(t, path)) == NULL)
			return -1;
		top_model_load_runs(t->m, r, 0);
		cJSON_Delete(r);
	}
	t->full_cost_ms = top_now_ms() - start;
	gap = t->full_cost_ms * TOP_FULL_FACTOR;
	t->full_ms = top_now_ms() + (gap > TOP_FULL_MS ? gap : TOP_FULL_MS);
	t->jobs_ms = 0;
	t->ncheck = 0;
	t->redraw = 1;
	return 0;
}

/* Reads the last 24 hours of runs, a bounded number of pages. */
static int
top_reload_runs(struct top *t)
{
	int64_t since = (int64_t)time(NULL) - 86400, before = 0;
	char path[96];
	cJSON *r;
	int page;

	top_model_clear_runs(t->m, 0);
	for (page = 0; page < TOP_RUN_PAGES; page++) {
		if (before > 0)
			snprintf(path, sizeof path,
			    "/runs?limit=1000&before=%lld", (long long)before);
		else
			strlcpy(path, "/runs?limit=1000", sizeof path);
		if ((r = top_get(t, path)) == NULL)
			return -1;
		before = top_model_load_runs(t->m, r, since);
		if (cJSON_GetArraySize(
		        cJSON_GetObjectItemCaseSensitive(r, "runs")) < 1000)
			before = 0;
		cJSON_Delete(r);
		if (before == 0)
			return 0;
	}
	t->m->done_partial = 1;
	return 0;
}

static int
top_reload_status(struct top *t)
{
	cJSON *r;

	if ((r = top_get(t, "/status")) == NULL)
		return -1;
	top_model_status(t->m, r);
	cJSON_Delete(r);
	return 0;
}

/* Notes a job to look up; too many at once make one reload instead. */
static void
top_check_add(struct top *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->ncheck; i++) {
		if (strcmp(t->check[i], name) == 0)
			return;
	}
	if (t->ncheck < TOP_CHECK_MAX)
		strlcpy(t->check[t->ncheck++], name, sizeof t->check[0]);
	else if (t->jobs_ms == 0)
		t->jobs_ms = top_now_ms() + 1000;
}

/* Looks up the jobs events named: a 404 means the job was deleted. */
static void
top_check_jobs(struct top *t)
{
	char path[CQ_NAME_MAX * 3 + 16], *name, *cause;
	cJSON *r;
	long status;
	int rc;

	while (t->ncheck > 0 && t->connected) {
		name = client_escape(t->check[--t->ncheck]);
		snprintf(path, sizeof path, "/jobs/%s", name);
		free(name);
		rc = client_call(t->c, "GET", path, NULL, &r, &status, &cause);
		if (rc == CQ_EXIT_OK)
			cJSON_Delete(r);
		else {
			if (status == 404)
				top_model_remove(t->m, t->check[t->ncheck]);
			else if (rc == CQ_EXIT_UNREACHABLE)
				t->connected = 0;
			free(cause);
		}
		t->redraw = 1;
	}
}

static void
top_on_event(const char *type, const char *id, const char *data, void *arg)
{
	struct top *t = arg;
	const char *job;
	cJSON *o;

	(void)id;
	if ((o = cJSON_Parse(data)) == NULL)
		return;
	if (strcmp(type, "run") == 0)
		top_model_run_event(t->m, o, (int64_t)time(NULL));
	else if (strcmp(type, "job") == 0) {
		top_model_job_event(t->m, o);
		top_check_add(t, print_str(o, "name", ""));
	}
	job = strcmp(type, "run") == 0 ? print_str(o, "job", "")
	                               : print_str(o, "name", "");
	if (strcmp(job, t->detail_name) == 0)
		top_detail_due(t, 1000);
	cJSON_Delete(o);
	t->redraw = 1;
}

/* Connects: status, everything, then the event stream. */
static void
top_connect(struct top *t)
{
	char *cause;

	client_feed_free(t->feed);
	t->feed = NULL;
	t->connected = 1;
	if (top_reload_status(t) == -1 || top_reload_jobs(t) == -1 ||
	    top_reload_runs(t) == -1) {
		t->connected = 0;
		t->retry_ms = top_now_ms() + TOP_RETRY_MS;
		t->redraw = 1;
		return;
	}
	t->feed =
	    client_feed_start(t->c, "/events", NULL, top_on_event, t, &cause);
	if (t->feed == NULL) {
		strlcpy(t->why, cause, sizeof t->why);
		free(cause);
		t->connected = 0;
		t->retry_ms = top_now_ms() + TOP_RETRY_MS;
	}
	t->why[0] = '\0';
	top_detail_due(t, 0);
	t->redraw = 1;
}

/* Fetches what the detail pane shows for the selected job. */
static void
top_detail_fetch(struct top *t)
{
	struct top_job *j;
	char path[160], *name, *cause, *buf = NULL;
	size_t len = 0;
	FILE *fp;

	t->detail_ms = 0;
	cJSON_Delete(t->detail_runs);
	cJSON_Delete(t->detail_decisions);
	free(t->detail_log);
	t->detail_runs = t->detail_decisions = NULL;
	t->detail_log = NULL;
	t->redraw = 1;
	if (!t->connected || (j = top_model_find(t->m, t->detail_name)) == NULL)
		return;
	name = client_escape(j->name);
	snprintf(path, sizeof path, "/runs?job=%s&limit=6", name);
	t->detail_runs = top_get(t, path);
	snprintf(path, sizeof path, "/jobs/%s/decisions?limit=6", name);
	t->detail_decisions = top_get(t, path);
	free(name);
	if (j->last_id == 0 && j->active_id == 0)
		return;
	snprintf(path, sizeof path, "/runs/%lld/log",
	    (long long)(j->active_id ? j->active_id : j->last_id));
	if ((fp = open_memstream(&buf, &len)) == NULL)
		return;
	if (client_stream(t->c, path, fp, &cause) != CQ_EXIT_OK)
		free(cause);
	fclose(fp);
	t->detail_log = buf;
}

/* Runs the timers that are due. */
static void
top_tick(struct top *t)
{
	int64_t now = top_now_ms();

	if (!t->connected) {
		if (now >= t->retry_ms)
			top_connect(t);
		return;
	}
	if (now >= t->full_ms || (t->jobs_ms != 0 && now >= t->jobs_ms))
		top_reload_jobs(t);
	if (t->connected && t->ncheck > 0)
		top_check_jobs(t);
	if (t->connected && t->detail_ms != 0 && now >= t->detail_ms)
		top_detail_fetch(t);
}

/* Waits for keys, a signal or the stream, at most until the next second. */
static void
top_wait(struct top *t)
{
	struct pollfd fds[2];
	char *cause;
	int64_t now = top_now_ms();
	int ms = (int)(1000 - now % 1000), rc;
	char drain[16];

	if (t->detail_ms != 0 && t->detail_ms - now < ms)
		ms = t->detail_ms > now ? (int)(t->detail_ms - now) : 0;
	fds[0].fd = STDIN_FILENO;
	fds[0].events = POLLIN;
	fds[1].fd = top_sigpipe[0];
	fds[1].events = POLLIN;
	if (t->feed != NULL) {
		if (client_feed_wait(t->feed, fds, 2, ms) == 0) {
			rc = client_feed_result(t->feed, &cause);
			strlcpy(t->why, cause ? cause : "", sizeof t->why);
			free(cause);
			client_feed_free(t->feed);
			t->feed = NULL;
			t->connected = 0;
			t->retry_ms = top_now_ms() + TOP_RETRY_MS;
			t->redraw = 1;
			(void)rc;
		}
	} else
		poll(fds, 2, ms);
	while (read(top_sigpipe[0], drain, sizeof drain) > 0)
		;
}

static void
top_free(struct top *t)
{
	client_feed_free(t->feed);
	top_model_free(t->m);
	cJSON_Delete(t->detail_runs);
	cJSON_Delete(t->detail_decisions);
	free(t->detail_log);
}

static int
top_screen_start(struct top *t, int no_color)
{
	if (initscr() == NULL)
		return -1;
	top_screen_on = 1;
	atexit(top_screen_end);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	t->color = !no_color && getenv("NO_COLOR") == NULL && has_colors();
	top_draw_init(t);
	return 0;
}

/* The screen loop; returns the exit status. */
static int
top_run_screen(struct top *t, int no_color)
{
	int ch, sig;

	if (top_screen_start(t, no_color) == -1) {
		cli_error("top: cannot start the screen");
		return CQ_EXIT_FAIL;
	}
	t->redraw = 1;
	while (!t->quit && !top_signal) {
		top_tick(t);
		top_model_advance(t->m, (int64_t)time(NULL));
		top_message_update(t);
		top_keys_select(t);
		top_draw(t);
		top_wait(t);
		while (!t->quit && (ch = getch()) != ERR)
			top_keys_handle(t, ch);
	}
	top_screen_end();
	if ((sig = top_signal) != 0) {
		/* Die of the signal, as the shell expects. */
		top_free(t);
		signal(sig, SIG_DFL);
		raise(sig);
		return 128 + sig;
	}
	return CQ_EXIT_OK;
}

/*
 * The plain listing's width: COLUMNS, else the terminal's, else 120 (the
 * width that keeps every column).
 */
static int
top_text_cols(void)
{
	const char *e = getenv("COLUMNS");
	struct winsize ws;
	char *end;
	long v;

	if (e != NULL && *e != '\0') {
		v = strtol(e, &end, 10);
		if (*end == '\0' && v > 0)
			return v < 40 ? 40 : v > 1000 ? 1000 : (int)v;
	}
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col < 40  ? 40
		    : ws.ws_col > 1000 ? 1000
		                       : ws.ws_col;
	return 120;
}

/* The plain listing: -b, TERM=dumb or no terminal. */
static int
top_run_text(struct top *t, int count, int delay)
{
	int i, rc = CQ_EXIT_OK;

	for (i = 0; (count == 0 || i < count) && !top_signal; i++) {
		if (i > 0) {
			poll(NULL, 0, delay * 1000);
			printf("\n");
		}
		t->connected = 1;
		if (top_reload_status(t) == -1 || top_reload_jobs(t) == -1 ||
		    top_reload_runs(t) == -1) {
			cli_error("%s", t->why);
			rc = CQ_EXIT_UNREACHABLE;
			if (count != 0)
				break;
			continue;
		}
		top_model_advance(t->m, (int64_t)time(NULL));
		top_model_refresh(t->m);
		top_text_print(t->m, (int64_t)time(NULL), client_where(t->c),
		    top_text_cols());
	}
	return rc;
}

static int
cmd_top_exec(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "no-color", no_argument, NULL, 'C' },
		{ "delay", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct top t = { 0 };
	const char *term;
	int ch, batch = 0, no_color = 0, delay = 2, count = 0, rc;
	char *end;
	long v;

	opterr = 0;
	while (
	    (ch = getopt_long(argc, argv, ":bCd:n:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			batch = 1;
			break;
		case 'C':
			no_color = 1;
			break;
		case 'd':
		case 'n':
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 0 ||
			    v > 86400 || (ch == 'd' && v < 1))
				return cli_usage(&cmd_top,
				    "-%c: expected a whole number%s, not "
				    "\"%s\"",
				    ch, ch == 'd' ? " of seconds from 1" : "",
				    optarg);
			if (ch == 'd')
				delay = (int)v;
			else
				count = (int)v;
			break;
		case 'h':
			return print_usage(&cmd_top);
		default:
			return print_badopt(&cmd_top, ch, argv);
		}
	}
	if (optind < argc)
		return cli_usage(
		    &cmd_top, "unexpected argument \"%s\"", argv[optind]);
	if ((t.c = cli_connect(opts, &rc)) == NULL)
		return rc;
	t.m = top_model_create();
	if (top_signals() == -1) {
		cli_error("top: cannot set up signals: %s", strerror(errno));
		rc = CQ_EXIT_FAIL;
		goto out;
	}
	term = getenv("TERM");
	if (!batch && count == 0 &&
	    (term == NULL || strcmp(term, "dumb") == 0) &&
	    isatty(STDOUT_FILENO)) {
		cli_warn("top: the terminal (TERM=%s) cannot show the screen; "
		         "printing a plain listing every %ds",
		    term ? term : "", delay);
		batch = 1;
	} else if (!batch && count == 0 &&
	    (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		count = 1;
	if (batch || count != 0)
		rc = top_run_text(&t, count, delay);
	else
		rc = top_run_screen(&t, no_color);
out:
	top_free(&t);
	client_free(t.c);
	return rc;
}
