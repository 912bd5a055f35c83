/* SPDX-License-Identifier: ISC */
/*
 * The run commands: trigger, stop, runs and logs. A retried run is a
 * chain of runs that share first_run_id, so waiting for a trigger means
 * following that chain until no further attempt is due.
 */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "client.h"
#include "xmalloc.h"

/* How often --wait asks, and how long it waits for a due retry to show. */
#define RUNS_POLL_NS (200L * 1000 * 1000)
#define RUNS_RETRY_GRACE 50 /* polls */

static int cmd_trigger_exec(const struct cli_opts *, int, char **);
static int cmd_stop_exec(const struct cli_opts *, int, char **);
static int cmd_runs_exec(const struct cli_opts *, int, char **);
static int cmd_logs_exec(const struct cli_opts *, int, char **);

const struct cli_cmd cmd_trigger = { "trigger", "trigger [--wait] NAME",
	"start a run of a job now (--wait: until its last attempt ends)",
	cmd_trigger_exec };
const struct cli_cmd cmd_stop = { "stop", "stop RUN",
	"stop a run and everything it started", cmd_stop_exec };
const struct cli_cmd cmd_runs = { "runs",
	"runs [--state STATE] [--limit N] [JOB]", "list runs, newest first",
	cmd_runs_exec };
const struct cli_cmd cmd_logs = { "logs", "logs [-f] RUN|JOB",
	"print a run's output (a job name means its latest run)",
	cmd_logs_exec };

static const char *const runs_states[] = { "queued", "running", "retrying",
	"succeeded", "failed", "timed_out", "cancelled", "lost", "skipped",
	NULL };

long long
runs_parse_id(const char *s)
{
	char *end;
	long long n;

	if (!isdigit((unsigned char)*s))
		return -1;
	n = strtoll(s, &end, 10);
	if (*end != '\0' || n <= 0)
		return -1;
	return n;
}

/* Options for commands with no options but -h; returns -1 to go on. */
static int
runs_no_options(const struct cli_cmd *cmd, int argc, char **argv,
    const char *optstr, const struct option *longopts, int *flag)
{
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstr, longopts, NULL)) != -1) {
		if (ch == 'h')
			return print_usage(cmd);
		if (ch == 'w' || ch == 'f')
			*flag = 1;
		else
			return print_badopt(cmd, ch, argv);
	}
	if (optind >= argc)
		return cli_usage(cmd, "missing %s",
		    cmd == &cmd_stop       ? "run id"
		        : cmd == &cmd_logs ? "run id or job name"
		                           : "job name");
	if (optind + 1 < argc)
		return cli_usage(
		    cmd, "unexpected argument \"%s\"", argv[optind + 1]);
	return -1;
}

static int
runs_is_final(const char *state)
{
	return strcmp(state, "queued") != 0 && strcmp(state, "running") != 0 &&
	    strcmp(state, "retrying") != 0;
}

/*
 * Whether the job's policy gives RUN (a finished failure) another
 * attempt, judged from the job's retries, retry_on and on_exit.
 */
static int
runs_retry_due(const cJSON *job, const cJSON *run)
{
	const char *state = print_str(run, "state", "");
	const cJSON *on, *e;
	long long retries = 0, attempt = 1, code;
	const char *o;
	char key[32];
	int has_code, listed = 0;

	if (strcmp(state, "failed") != 0 && strcmp(state, "timed_out") != 0)
		return 0;
	print_int(job, "retries", &retries);
	print_int(run, "attempt", &attempt);
	if (attempt > retries)
		return 0;
	has_code = print_int(run, "exit_code", &code) == 0;
	if (has_code) {
		snprintf(key, sizeof key, "%lld", code);
		on = cJSON_GetObjectItemCaseSensitive(job, "on_exit");
		if ((o = print_str(on, key, NULL)) != NULL)
			return strcmp(o, "retry") == 0;
	}
	on = cJSON_GetObjectItemCaseSensitive(job, "retry_on");
	if (cJSON_GetArraySize(on) == 0)
		return 1;
	cJSON_ArrayForEach(e, on) if (has_code && cJSON_IsNumber(e) &&
	    (long long)e->valuedouble == code) listed = 1;
	return listed;
}

/* The attempt after RUN in its chain, from the job's recent runs. */
static cJSON *
runs_next_attempt(struct client *c, const char *name, const cJSON *run, int *rc)
{
	long long first = 0, attempt = 1, f, a, best = 0;
	const cJSON *e, *pick = NULL;
	cJSON *resp, *r = NULL;
	char *path, *esc;

	print_int(run, "first_run_id", &first);
	if (first == 0)
		print_int(run, "id", &first);
	print_int(run, "attempt", &attempt);
	esc = client_escape(name);
	xasprintf(&path, "/runs?job=%s&limit=100", esc);
	*rc = cli_api(c, "GET", path, NULL, &resp, "follow job \"%s\"", name);
	free(path);
	free(esc);
	if (*rc != CQ_EXIT_OK)
		return NULL;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(resp, "runs"))
	{
		if (print_int(e, "first_run_id", &f) == -1 || f != first ||
		    print_int(e, "attempt", &a) == -1 || a <= attempt)
			continue;
		if (pick == NULL || a < best) {
			pick = e;
			best = a;
		}
	}
	if (pick != NULL)
		r = cJSON_Duplicate(pick, 1);
	cJSON_Delete(resp);
	return r;
}

/*
 * A timed-out run as "timed out after 2s": the limit of JOB (may be
 * NULL) when it has one, else the time the run took.
 */
static void
runs_timed_out(char *buf, size_t len, const cJSON *run, const cJSON *job)
{
	int64_t st, fin;
	long long n;
	char span[32];

	st = print_json_time(run, "started_at");
	fin = print_json_time(run, "finished_at");
	if (job != NULL && print_int(job, "timeout", &n) == 0 && n > 0)
		print_span(span, sizeof span, n);
	else if (st >= 0 && fin >= st)
		print_span(span, sizeof span, fin - st);
	else {
		strlcpy(buf, "timed out", len);
		return;
	}
	snprintf(buf, len, "timed out after %s", span);
}

/* How a finished run of JOB (may be NULL) ended, in words. */
static void
runs_describe(char *buf, size_t len, const cJSON *run, const cJSON *job)
{
	const char *state = print_str(run, "state", "?"), *msg;
	char head[64];
	long long n;

	/* A timeout first, then what ended the process in brackets. */
	if (strcmp(state, "timed_out") == 0) {
		runs_timed_out(head, sizeof head, run, job);
		if (print_int(run, "exit_code", &n) == 0)
			snprintf(buf, len, "%s (exit status %lld)", head, n);
		else if (print_int(run, "signal", &n) == 0)
			snprintf(buf, len, "%s (killed by signal %lld, %s)",
			    head, n, strsignal((int)n));
		else if (*(msg = print_str(run, "message", "")) != '\0') {
			/* An http run's own "timed out: ..." says it twice. */
			if (strncmp(msg, "timed out: ", 11) == 0)
				msg += 11;
			snprintf(buf, len, "%s (%s)", head, msg);
		} else
			strlcpy(buf, head, len);
		return;
	}
	/* The message only when the state and status say too little. */
	if (print_int(run, "exit_code", &n) == 0)
		snprintf(buf, len, "%s: exit status %lld", state, n);
	else if (print_int(run, "signal", &n) == 0)
		snprintf(buf, len, "%s: killed by signal %lld (%s)", state, n,
		    strsignal((int)n));
	else if (*print_str(run, "message", "") != '\0')
		snprintf(
		    buf, len, "%s: %s", state, print_str(run, "message", ""));
	else
		snprintf(buf, len, "%s", state);
}

/*
 * One stderr line as attempt RUN (id ID) of job NAME ends without success,
 * so stdout keeps only the run id. NEXT is the retry now due, or NULL
 * after the last attempt; both say the same words up to the "; retrying".
 */
static void
runs_say_end(const cJSON *run, const cJSON *job, const cJSON *next,
    const char *name, long long id)
{
	char what[256], attempt[32] = "", delay[32];
	long long n = 1;
	int64_t due, ended;

	runs_describe(what, sizeof what, run, job);
	/* A run with no retry before or after it is the whole story. */
	if (print_int(run, "attempt", &n) == 0 && (n > 1 || next != NULL))
		snprintf(attempt, sizeof attempt, " (attempt %lld)", n);
	if (next == NULL) {
		cli_error(
		    "run %lld of job \"%s\"%s %s", id, name, attempt, what);
		return;
	}
	due = print_json_time(next, "not_before");
	ended = print_json_time(run, "finished_at");
	if (due > 0 && ended > 0)
		print_span(delay, sizeof delay, due > ended ? due - ended : 0);
	else
		strlcpy(delay, "a moment", sizeof delay);
	cli_error("run %lld of job \"%s\"%s %s; retrying in %s", id, name,
	    attempt, what, delay);
}

/* Follows run ID of job NAME through its retries; returns the exit. */
static int
runs_wait(const struct cli_opts *opts, struct client *c, const char *name,
    long long id)
{
	const struct timespec poll = { 0, RUNS_POLL_NS };
	cJSON *job = NULL, *run = NULL, *next;
	char *path, *esc;
	int rc, grace = 0;

	esc = client_escape(name);
	xasprintf(&path, "/jobs/%s", esc);
	free(esc);
	rc = cli_api(c, "GET", path, NULL, &job, "follow job \"%s\"", name);
	free(path);
	while (rc == CQ_EXIT_OK) {
		cJSON_Delete(run);
		xasprintf(&path, "/runs/%lld", id);
		rc = cli_api(c, "GET", path, NULL, &run, "follow run %lld", id);
		free(path);
		if (rc != CQ_EXIT_OK)
			break;
		if (!runs_is_final(print_str(run, "state", "queued"))) {
			nanosleep(&poll, NULL);
			continue;
		}
		next = runs_next_attempt(c, name, run, &rc);
		if (next != NULL) {
			runs_say_end(run, job, next, name, id);
			print_int(next, "id", &id);
			cJSON_Delete(next);
			grace = 0;
			continue;
		}
		/* The retry is written when the attempt ends; allow a lag. */
		if (rc == CQ_EXIT_OK && runs_retry_due(job, run) &&
		    grace++ < RUNS_RETRY_GRACE) {
			nanosleep(&poll, NULL);
			continue;
		}
		break;
	}
	if (rc == CQ_EXIT_OK) {
		if (opts->json)
			print_json(run);
		if (strcmp(print_str(run, "state", ""), "succeeded") != 0) {
			runs_say_end(run, job, NULL, name, id);
			rc = CQ_EXIT_FAIL;
		}
	}
	cJSON_Delete(run);
	cJSON_Delete(job);
	return rc;
}

static int
cmd_trigger_exec(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "wait", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct client *c;
	cJSON *resp;
	const char *name;
	char *path, *esc;
	long long id = 0;
	int rc, wait = 0;

	if ((rc = runs_no_options(
	         &cmd_trigger, argc, argv, ":wh", longopts, &wait)) != -1)
		return rc;
	name = argv[optind];
	if ((c = cli_connect(opts, &rc)) == NULL)
		return rc;
	esc = client_escape(name);
	xasprintf(&path, "/jobs/%s/trigger", esc);
	free(esc);
	rc = cli_api(c, "POST", path, NULL, &resp, "trigger job \"%s\"", name);
	free(path);
	if (rc == CQ_EXIT_OK) {
		print_int(
		    cJSON_GetObjectItemCaseSensitive(resp, "run"), "id", &id);
		if (opts->json && !wait)
			print_json(resp);
		else if (!opts->json) {
			printf("%lld\n", id);
			fflush(stdout);
		}
		if (wait)
			rc = runs_wait(opts, c, name, id);
	}
	cJSON_Delete(resp);
	client_free(c);
	return rc;
}

static int
cmd_stop_exec(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct client *c;
	cJSON *resp;
	long long id;
	char *path;
	int rc, unused = 0;

	if ((rc = runs_no_options(
	         &cmd_stop, argc, argv, ":h", longopts, &unused)) != -1)
		return rc;
	if ((id = runs_parse_id(argv[optind])) == -1)
		return cli_usage(&cmd_stop,
		    "run \"%s\": expected a run id (a positive number)",
		    argv[optind]);
	if ((c = cli_connect(opts, &rc)) == NULL)
		return rc;
	xasprintf(&path, "/runs/%lld/stop", id);
	rc = cli_api(c, "POST", path, NULL, &resp, "stop run %lld", id);
	free(path);
	if (rc == CQ_EXIT_OK && opts->json)
		print_json(resp);
	cJSON_Delete(resp);
	client_free(c);
	return rc;
}

/* The EXIT column: a code, a signal, an HTTP status, or "-". */
static void
runs_exit_cell(char *buf, size_t len, const cJSON *run)
{
	long long n;

	if (print_int(run, "exit_code", &n) == 0)
		snprintf(buf, len, "%lld", n);
	else if (print_int(run, "signal", &n) == 0)
		snprintf(buf, len, "SIG%s",
		    sigabbrev_np((int)n) ? sigabbrev_np((int)n) : "?");
	else if (print_int(run, "http_status", &n) == 0)
		snprintf(buf, len, "HTTP %lld", n);
	else
		strlcpy(buf, "-", len);
}

static void
runs_row(struct table *t, const cJSON *run, int64_t now)
{
	char id[32], attempt[32], exitc[32], started[64], dur[64], detail[512];
	int64_t ts, tf;
	long long n;

	print_int(run, "id", &n);
	snprintf(id, sizeof id, "%lld", n);
	if (print_int(run, "attempt", &n) == -1)
		n = 1;
	snprintf(attempt, sizeof attempt, "%lld", n);
	runs_exit_cell(exitc, sizeof exitc, run);
	ts = print_json_time(run, "started_at");
	tf = print_json_time(run, "finished_at");
	print_time(started, sizeof started, ts);
	if (ts < 0)
		strlcpy(dur, "-", sizeof dur);
	else
		print_span(dur, sizeof dur, (tf < 0 ? now : tf) - ts);
	print_run_detail(detail, sizeof detail, run);
	table_add(t, id, print_str(run, "job", "?"), attempt,
	    print_str(run, "trigger", "-"), print_str(run, "state", "?"), exitc,
	    started, dur, detail);
}

/*
 * Asks the daemon for job NAME, so that its "no job named" is the error;
 * WHAT says what failed. Returns a cq_exit.
 */
static int
runs_job_exists(struct client *c, const char *name, const char *what)
{
	cJSON *resp = NULL;
	char *path, *esc;
	int rc;

	esc = client_escape(name);
	xasprintf(&path, "/jobs/%s", esc);
	free(esc);
	rc = cli_api(c, "GET", path, NULL, &resp, "%s \"%s\"", what, name);
	free(path);
	cJSON_Delete(resp);
	return rc;
}

static int
cmd_runs_exec(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 'S' },
		{ "limit", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state = NULL, *job = NULL;
	long long limit = 0;
	const cJSON *e, *run;
	struct client *c;
	struct table *t;
	char *path, *q, *esc;
	cJSON *resp;
	int ch, rc, i, ok;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":n:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'S':
			for (ok = 0, i = 0; runs_states[i] != NULL; i++)
				ok |= strcmp(optarg, runs_states[i]) == 0;
			if (!ok)
				return cli_usage(&cmd_runs,
				    "--state \"%s\": expected queued, running, "
				    "retrying, succeeded, failed, timed_out, "
				    "cancelled, lost or skipped",
				    optarg);
			state = optarg;
			break;
		case 'n':
			limit = runs_parse_id(optarg);
			if (limit < 1 || limit > 1000)
				return cli_usage(&cmd_runs,
				    "--limit \"%s\": expected a number from 1 "
				    "to 1000",
				    optarg);
			break;
		case 'h':
			return print_usage(&cmd_runs);
		default:
			return print_badopt(&cmd_runs, ch, argv);
		}
	}
	if (optind < argc)
		job = argv[optind++];
	if (optind < argc)
		return cli_usage(
		    &cmd_runs, "unexpected argument \"%s\"", argv[optind]);

	xasprintf(&path, "/runs?limit=%lld", limit ? limit : 50);
	if (job != NULL) {
		esc = client_escape(job);
		xasprintf(&q, "%s&job=%s", path, esc);
		free(esc);
		free(path);
		path = q;
	}
	if (state != NULL) {
		xasprintf(&q, "%s&state=%s", path, state);
		free(path);
		path = q;
	}
	if ((c = cli_connect(opts, &rc)) == NULL) {
		free(path);
		return rc;
	}
	rc = cli_api(c, "GET", path, NULL, &resp, "list runs");
	free(path);
	e = cJSON_GetObjectItemCaseSensitive(resp, "runs");
	/*
	 * The daemon lists no runs for a job that does not exist; ask for
	 * the job, so a misspelt name is an error as it is for logs.
	 */
	if (rc == CQ_EXIT_OK && job != NULL && cJSON_GetArraySize(e) == 0)
		rc = runs_job_exists(c, job, "list the runs of job");
	client_free(c);
	if (rc != CQ_EXIT_OK) {
		cJSON_Delete(resp);
		return rc;
	}
	if (opts->json)
		print_json(resp);
	else if (cJSON_GetArraySize(e) > 0) {
		t = table_create(9, "ID", "JOB", "ATTEMPT", "TRIGGER", "STATE",
		    "EXIT", "STARTED", "DURATION", "DETAIL");
		table_fit(t, stdout);
		cJSON_ArrayForEach(run, e) runs_row(t, run, time(NULL));
		table_print(t, stdout);
		table_free(t);
	} else
		cli_note("no runs");
	cJSON_Delete(resp);
	return rc;
}

/*
 * The latest run of job NAME that is not waiting (a retry waiting for
 * its turn has no log yet), or -1: with *RC CQ_EXIT_OK when there is none
 * (said on stdout), else after the error was printed.
 */
static long long
runs_latest(struct client *c, const char *name, int *rc)
{
	const cJSON *runs, *r, *state;
	char *path, *esc;
	cJSON *resp;
	long long id = -1;

	esc = client_escape(name);
	xasprintf(&path, "/runs?job=%s&limit=20", esc);
	free(esc);
	*rc = cli_api(
	    c, "GET", path, NULL, &resp, "show the log of job \"%s\"", name);
	free(path);
	if (*rc != CQ_EXIT_OK)
		return -1;
	runs = cJSON_GetObjectItemCaseSensitive(resp, "runs");
	cJSON_ArrayForEach(r, runs)
	{
		state = cJSON_GetObjectItemCaseSensitive(r, "state");
		if (cJSON_IsString(state) &&
		    strcmp(state->valuestring, "queued") != 0 &&
		    strcmp(state->valuestring, "retrying") != 0 &&
		    print_int(r, "id", &id) == 0)
			break;
		id = -1;
	}
	if (id == -1 && cJSON_GetArraySize(runs) > 0) {
		printf("job \"%s\": its latest runs are waiting to start: no "
		       "log to show yet\n",
		    name);
	} else if (id == -1) {
		/* Nothing to show is no failure, but a job that does not
		 * exist is. */
		*rc = runs_job_exists(c, name, "show the log of job");
		if (*rc == CQ_EXIT_OK)
			printf("job \"%s\" has not run yet: no log to show\n",
			    name);
	}
	cJSON_Delete(resp);
	return id;
}

/*
 * After the log of run ID: a run that ended badly without printing a
 * byte, such as one whose workdir is missing, would otherwise show an
 * empty log and no reason, which is kept in its message. That goes to
 * stderr so stdout stays the log; the exit stays 0, as the log was shown.
 */
static void
runs_say_silent(struct client *c, long long id)
{
	char *path, *cause, what[640];
	const char *state;
	long long bytes;
	cJSON *run;

	xasprintf(&path, "/runs/%lld", id);
	if (client_call(c, "GET", path, NULL, &run, NULL, &cause) !=
	    CQ_EXIT_OK) {
		free(path);
		free(cause);
		return;
	}
	free(path);
	state = print_str(run, "state", "queued");
	if (runs_is_final(state) && strcmp(state, "succeeded") != 0 &&
	    print_int(run, "output_bytes", &bytes) == 0 && bytes == 0 &&
	    *print_str(run, "message", "") != '\0') {
		runs_describe(what, sizeof what, run, NULL);
		cli_error("run %lld %s (no output)", id, what);
	}
	cJSON_Delete(run);
}

static int
cmd_logs_exec(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct client *c;
	char *path, *cause;
	long long id;
	int rc, follow = 0;

	if ((rc = runs_no_options(
	         &cmd_logs, argc, argv, ":fh", longopts, &follow)) != -1)
		return rc;
	if ((c = cli_connect(opts, &rc)) == NULL)
		return rc;
	if ((id = runs_parse_id(argv[optind])) == -1 &&
	    (id = runs_latest(c, argv[optind], &rc)) == -1) {
		client_free(c);
		return rc;
	}
	xasprintf(&path, "/runs/%lld/log%s", id, follow ? "?follow=1" : "");
	rc = client_stream(c, path, stdout, &cause);
	free(path);
	if (rc == CQ_EXIT_UNREACHABLE)
		cli_unreachable(cause);
	else if (rc != CQ_EXIT_OK)
		cli_error("cannot show the log of run %lld: %s", id, cause);
	if (rc != CQ_EXIT_OK)
		free(cause);
	else
		runs_say_silent(c, id);
	client_free(c);
	return rc;
}
