/* SPDX-License-Identifier: ISC */
/*
 * The scheduler with injected time over a real store: on-time firing, the
 * DST field cases, catch-up after downtime, clock steps and concurrency.
 * No supervisor: runs stay queued unless a test finishes them.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "agentd.h"
#include "util.h"

static char dir[64];
static struct agentd ad;
static int auto_finish;

static int64_t
utc(const char *s)
{
	int64_t t;
	char *cause = NULL;

	if (util_parse_time(s, NULL, &t, &cause) == -1)
		fail_msg("%s: %s", s, cause);
	return t;
}

static int
setup(void **state)
{
	char path[128], *cause = NULL;

	(void)state;
	strcpy(dir, "/tmp/test-scheduler.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/cronq.db", dir);
	memset(&ad, 0, sizeof ad);
	ad.store = store_open(path, &cause);
	if (ad.store == NULL)
		return -1;
	strcpy(ad.boot_id, "boot-1");
	strcpy(ad.host, "test");
	ad.sched = scheduler_create(&ad);
	auto_finish = 1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	scheduler_free(ad.sched);
	store_close(ad.store);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int64_t
add_job(const char *json_text, int64_t now)
{
	cJSON *json;
	struct job *job;
	char *cause = NULL;
	int64_t id;

	json = cJSON_Parse(json_text);
	assert_non_null(json);
	job = job_from_json(json, NULL, NULL, &cause);
	cJSON_Delete(json);
	if (job == NULL)
		fail_msg("%s", cause);
	assert_int_equal(
	    store_job_insert(ad.store, job, "create", "t", now), 0);
	scheduler_job_changed(ad.sched, job->id, job, now);
	id = job->id;
	job_free(job);
	return id;
}

/* Ends every queued run as succeeded, as a supervisor would. */
static void
finish_all(int64_t now)
{
	struct run *runs;
	size_t n, i;

	assert_int_equal(
	    store_run_list_state(ad.store, RUN_QUEUED, &runs, &n), 0);
	for (i = 0; i < n; i++) {
		runs[i].state = RUN_SUCCEEDED;
		runs[i].started_at = runs[i].finished_at = now;
		runs[i].exit_code = 0;
		store_run_update(ad.store, &runs[i]);
	}
	free(runs);
}

/* Wakes at every due time up to TO, as the loop's timer would. */
static void
drive(int64_t to)
{
	int64_t t;
	int guard = 0;

	while ((t = scheduler_next_due(ad.sched)) <= to) {
		scheduler_tick(ad.sched, t);
		if (auto_finish)
			finish_all(t);
		assert_true(++guard < 100000);
	}
}

/* The runs of job NAME, oldest first (caller frees). */
static size_t
runs_of(const char *name, struct run **out)
{
	struct run_filter f = {
		.job = name, .state = -1, .limit = 1000, .any_owner = 1
	};
	struct run *runs, t;
	size_t n, i;

	assert_int_equal(store_run_list(ad.store, &f, &runs, &n), 0);
	for (i = 0; i < n / 2; i++) {
		t = runs[i];
		runs[i] = runs[n - 1 - i];
		runs[n - 1 - i] = t;
	}
	*out = runs;
	return n;
}

static size_t
decisions_of(
    int64_t job_id, enum decision_outcome outcome, struct decision *last)
{
	struct decision *ds;
	size_t n, i, k = 0;

	assert_int_equal(
	    store_decision_list(ad.store, job_id, 1000, 0, &ds, &n), 0);
	for (i = 0; i < n; i++) {
		if (ds[i].outcome != outcome)
			continue;
		if (k++ == 0 && last != NULL)
			*last = ds[i];
	}
	free(ds);
	return k;
}

static void
test_on_time(void **state)
{
	struct run *runs;
	int64_t t0 = utc("2025-06-01T00:00:10Z");
	size_t n, i;

	(void)state;
	add_job("{\"name\": \"five\", \"schedule\": \"*/5 * * * *\","
	        " \"timezone\": \"UTC\", \"command\": \"true\"}",
	    t0);
	assert_int_equal(
	    scheduler_next_due(ad.sched), utc("2025-06-01T00:05:00Z"));
	drive(utc("2025-06-01T00:30:00Z"));
	n = runs_of("five", &runs);
	assert_int_equal(n, 6);
	for (i = 0; i < n; i++) {
		assert_int_equal(
		    runs[i].scheduled_at, t0 - 10 + 300 * (int64_t)(i + 1));
		assert_int_equal(runs[i].trigger, TRIGGER_SCHEDULE);
		assert_int_equal(runs[i].attempt, 1);
	}
	free(runs);
	assert_int_equal(
	    scheduler_next_due(ad.sched), utc("2025-06-01T00:35:00Z"));
}

/* BUG-01: the repeated autumn hour must not run a 02:00 job twice. */
static void
test_bug01_fall_back(void **state)
{
	struct run *runs;
	size_t n;

	(void)state;
	add_job("{\"name\": \"nightly-db-check\", \"schedule\": \"0 2 * * *\","
	        " \"timezone\": \"Europe/Berlin\", \"command\": \"true\"}",
	    utc("2023-10-28T23:50:00Z"));
	drive(utc("2023-10-29T03:00:00Z"));
	n = runs_of("nightly-db-check", &runs);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0].scheduled_at, utc("2023-10-29T00:00:00Z"));
	free(runs);
}

/* BUG-02: 02:00 in the spring gap runs once, at the end of the gap. */
static void
test_bug02_spring_gap(void **state)
{
	struct run *runs;
	struct decision d;
	int64_t id;
	size_t n;

	(void)state;
	id = add_job(
	    "{\"name\": \"la\", \"schedule\": \"0 2 * * *\","
	    " \"timezone\": \"America/Los_Angeles\", \"command\": \"true\"}",
	    utc("2025-03-09T09:58:00Z"));
	drive(utc("2025-03-10T00:00:00Z"));
	n = runs_of("la", &runs);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0].scheduled_at, utc("2025-03-09T10:00:00Z"));
	free(runs);
	assert_int_equal(decisions_of(id, DECISION_DST_MOVED, &d), 1);
	assert_int_equal(d.slot, utc("2025-03-09T10:00:00Z"));
}

/*
 * A job saved in the last second before the spring gap still gets its
 * moved run; an interval job records the gap times it passes over.
 */
static void
test_spring_gap_edge(void **state)
{
	struct run *runs;
	struct decision d;
	int64_t id;
	size_t n;

	(void)state;
	id = add_job(
	    "{\"name\": \"edge\", \"schedule\": \"30 2 * * *\","
	    " \"timezone\": \"America/Los_Angeles\", \"command\": \"true\"}",
	    utc("2025-03-09T09:59:59Z"));
	drive(utc("2025-03-09T12:00:00Z"));
	n = runs_of("edge", &runs);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0].scheduled_at, utc("2025-03-09T10:00:00Z"));
	free(runs);
	assert_int_equal(decisions_of(id, DECISION_DST_MOVED, &d), 1);

	id = add_job(
	    "{\"name\": \"half\", \"schedule\": \"*/30 * * * *\","
	    " \"timezone\": \"America/Los_Angeles\", \"command\": \"true\"}",
	    utc("2025-03-09T09:40:00Z"));
	drive(utc("2025-03-09T10:10:00Z"));
	n = runs_of("half", &runs);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0].scheduled_at, utc("2025-03-09T10:00:00Z"));
	free(runs);
	assert_int_equal(decisions_of(id, DECISION_DST_SKIPPED, &d), 1);
	assert_int_equal(d.slot, utc("2025-03-09T10:00:00Z"));
	assert_string_equal(d.detail,
	    "times in a DST gap before this one do not exist; an interval "
	    "schedule passes over them");
}

/* BUG-05: UTC jobs are not swallowed by the host's repeated hour. */
static void
test_bug05_utc_jobs(void **state)
{
	static const char *exprs[] = { "59 0 * * *", "0 1 * * *", "1 1 * * *",
		"30 1 * * *", "59 1 * * *", "0 2 * * *" };
	static const char *want[] = { "2022-10-30T00:59:00Z",
		"2022-10-30T01:00:00Z", "2022-10-30T01:01:00Z",
		"2022-10-30T01:30:00Z", "2022-10-30T01:59:00Z",
		"2022-10-30T02:00:00Z" };
	struct run *runs;
	char json[256], name[16];
	size_t i;

	(void)state;
	for (i = 0; i < 6; i++) {
		snprintf(json, sizeof json,
		    "{\"name\": \"utc%zu\", \"schedule\":"
		    " \"%s\", \"timezone\": \"UTC\", \"command\": \"true\"}",
		    i, exprs[i]);
		add_job(json, utc("2022-10-29T23:50:00Z"));
	}
	drive(utc("2022-10-30T03:00:00Z"));
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof name, "utc%zu", i);
		assert_int_equal(runs_of(name, &runs), 1);
		assert_int_equal(runs[0].scheduled_at, utc(want[i]));
		free(runs);
	}
}

/* The daemon starts again at AT: a new scheduler on the same store. */
static void
restart_at(int64_t at)
{
	scheduler_free(ad.sched);
	ad.sched = scheduler_create(&ad);
	assert_int_equal(scheduler_load(ad.sched, at), 0);
	scheduler_tick(ad.sched, at);
}

/*
 * BUG-11: minutely job, daemon down from after the 18:00 run until
 * 06:00:30 the next day. The restart is a new scheduler on the same store.
 */
static int64_t
downtime(const char *catchup, const char *extra, int64_t restart)
{
	char json[256];
	int64_t id;

	snprintf(json, sizeof json,
	    "{\"name\": \"minutely-sync\", \"schedule\":"
	    " \"* * * * *\", \"timezone\": \"UTC\", \"catchup\": \"%s\","
	    " \"concurrency\": \"forbid\", \"command\": \"true\"%s}",
	    catchup, extra);
	id = add_job(json, utc("2025-06-01T17:58:30Z"));
	drive(utc("2025-06-01T18:00:00Z"));
	restart_at(restart);
	return id;
}

static void
test_bug11_catchup_once(void **state)
{
	struct run *runs;
	struct decision d;
	int64_t id, restart = utc("2025-06-02T06:00:30Z");
	size_t n;

	(void)state;
	id = downtime("once", "", restart);
	n = runs_of("minutely-sync", &runs);
	assert_int_equal(n, 3);
	assert_int_equal(runs[2].trigger, TRIGGER_CATCHUP);
	assert_int_equal(runs[2].scheduled_at, utc("2025-06-02T06:00:00Z"));
	assert_int_equal(runs[2].missed_count, 720);
	free(runs);
	assert_int_equal(decisions_of(id, DECISION_CAUGHT_UP, &d), 1);
	assert_string_equal(d.detail, "catch-up run, 720 slots missed in all");
	assert_int_equal(
	    scheduler_next_due(ad.sched), utc("2025-06-02T06:01:00Z"));
}

static void
test_bug11_catchup_skip(void **state)
{
	struct run *runs;
	struct decision d;
	int64_t id, restart = utc("2025-06-02T06:00:30Z");

	(void)state;
	id = downtime("skip", "", restart);
	assert_int_equal(runs_of("minutely-sync", &runs), 2);
	free(runs);
	assert_int_equal(decisions_of(id, DECISION_OUTSIDE_CATCHUP, &d), 1);
	assert_string_equal(d.detail,
	    "720 missed slots since 2025-06-01T18:01:00Z not run (catchup "
	    "skip)");
	assert_int_equal(
	    scheduler_next_due(ad.sched), utc("2025-06-02T06:01:00Z"));
}

/*
 * A restart within a minute of the one slot it missed runs that slot as
 * scheduled; a minute and more late, the slot is missed and skipped.
 */
static int64_t
short_downtime(int64_t restart)
{
	int64_t id;

	id = add_job("{\"name\": \"five\", \"schedule\": \"*/5 * * * *\","
	             " \"timezone\": \"UTC\", \"command\": \"true\"}",
	    utc("2025-06-01T18:00:30Z"));
	restart_at(restart);
	return id;
}

static void
test_late_grace(void **state)
{
	struct run *runs;
	struct decision d;
	int64_t id;

	(void)state;
	short_downtime(utc("2025-06-01T18:06:00Z"));
	assert_int_equal(runs_of("five", &runs), 1);
	assert_int_equal(runs[0].trigger, TRIGGER_SCHEDULE);
	assert_int_equal(runs[0].scheduled_at, utc("2025-06-01T18:05:00Z"));
	assert_int_equal(runs[0].missed_count, 0);
	free(runs);
	assert_int_equal(teardown(NULL), 0);
	assert_int_equal(setup(NULL), 0);
	id = short_downtime(utc("2025-06-01T18:06:01Z"));
	assert_int_equal(runs_of("five", &runs), 0);
	free(runs);
	assert_int_equal(decisions_of(id, DECISION_OUTSIDE_CATCHUP, &d), 1);
	assert_string_equal(d.detail,
	    "1 missed slot since 2025-06-01T18:05:00Z not run (catchup skip)");
}

static void
test_bug11_catchup_all(void **state)
{
	struct run *runs;
	struct decision d;
	int64_t id, restart = utc("2025-06-02T06:00:30Z");
	size_t n, i;

	(void)state;
	id = downtime("all", ", \"catchup_max\": 5", restart);
	n = runs_of("minutely-sync", &runs);
	assert_int_equal(n, 2 + 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(runs[2 + i].scheduled_at,
		    utc("2025-06-02T05:56:00Z") + 60 * (int64_t)i);
		assert_int_equal(runs[2 + i].trigger, TRIGGER_CATCHUP);
	}
	free(runs);
	assert_int_equal(decisions_of(id, DECISION_OUTSIDE_CATCHUP, &d), 1);
	assert_non_null(strstr(d.detail, "715 missed slots"));
	assert_int_equal(decisions_of(id, DECISION_CAUGHT_UP, NULL), 5);
}

/* A year of downtime: one run, and start-up in well under a second. */
static void
test_bug11_one_year(void **state)
{
	struct run *runs;
	int64_t restart = utc("2026-06-02T06:00:30Z");
	struct timespec a, b;
	double secs;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	downtime("once", "", restart);
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	assert_true(secs < 1.0);
	assert_int_equal(runs_of("minutely-sync", &runs), 3);
	assert_int_equal(runs[2].scheduled_at, utc("2026-06-02T06:00:00Z"));
	assert_true(runs[2].missed_count >= 100000);
	free(runs);
}

/* BUG-13 A: a forward step of one hour. */
static void
test_bug13_step_forward(void **state)
{
	struct run *runs;
	int64_t t = utc("2025-06-01T10:10:00Z");
	size_t n;

	(void)state;
	add_job("{\"name\": \"every-minute\", \"schedule\": \"* * * * *\","
	        " \"timezone\": \"UTC\", \"catchup\": \"once\","
	        " \"command\": \"true\"}",
	    utc("2025-06-01T10:00:30Z"));
	add_job("{\"name\": \"daily-1030\", \"schedule\": \"30 10 * * *\","
	        " \"timezone\": \"UTC\", \"command\": \"true\"}",
	    utc("2025-06-01T10:00:30Z"));
	drive(t);
	assert_int_equal(runs_of("every-minute", &runs), 10);
	free(runs);

	/* The wall clock jumps to 11:10:00. */
	t += 3600;
	scheduler_clock_stepped(ad.sched, 3600, t);
	scheduler_tick(ad.sched, t);
	finish_all(t);
	n = runs_of("every-minute", &runs);
	assert_int_equal(n, 11);
	assert_int_equal(runs[10].scheduled_at, t);
	free(runs);
	assert_int_equal(runs_of("daily-1030", &runs), 1);
	assert_int_equal(runs[0].scheduled_at, utc("2025-06-01T10:30:00Z"));
	free(runs);

	drive(t + 120);
	n = runs_of("every-minute", &runs);
	assert_int_equal(n, 13);
	assert_int_equal(runs[11].scheduled_at, t + 60);
	assert_int_equal(runs[12].scheduled_at, t + 120);
	free(runs);
	assert_int_equal(runs_of("daily-1030", &runs), 1);
	free(runs);
}

/* BUG-13 B: the clock was two hours ahead and is stepped back. */
static void
test_bug13_step_back(void **state)
{
	struct run *runs;
	int64_t wrong = utc("2025-06-01T17:00:00Z");
	int64_t right = utc("2025-06-01T15:00:30Z");
	size_t n;

	(void)state;
	add_job("{\"name\": \"every-minute\", \"schedule\": \"* * * * *\","
	        " \"timezone\": \"UTC\", \"command\": \"true\"}",
	    utc("2025-06-01T15:50:30Z"));
	add_job("{\"name\": \"daily-1600\", \"schedule\": \"0 16 * * *\","
	        " \"timezone\": \"UTC\", \"command\": \"true\"}",
	    utc("2025-06-01T15:50:30Z"));
	drive(wrong);
	assert_int_equal(runs_of("daily-1600", &runs), 1);
	free(runs);
	n = runs_of("every-minute", &runs);
	free(runs);

	scheduler_clock_stepped(ad.sched, right - wrong, right);
	assert_int_equal(
	    scheduler_next_due(ad.sched), utc("2025-06-01T15:01:00Z"));
	drive(utc("2025-06-01T16:30:00Z"));
	assert_int_equal(runs_of("daily-1600", &runs), 1);
	free(runs);
	assert_int_equal(runs_of("every-minute", &runs), n + 90);
	free(runs);
}

/* BUG-15: forbid skips slots while a run is active, and records it. */
static void
test_bug15_forbid(void **state)
{
	struct run *runs;
	int64_t id, t0 = utc("2025-06-01T00:00:00Z");

	(void)state;
	auto_finish = 0;
	id = add_job("{\"name\": \"slow-export\", \"schedule\": \"* * * * *\","
	             " \"timezone\": \"UTC\", \"concurrency\": \"forbid\","
	             " \"command\": \"sleep 150\"}",
	    t0 - 30);
	drive(t0);
	drive(t0 + 120);
	assert_int_equal(runs_of("slow-export", &runs), 1);
	free(runs);
	assert_int_equal(decisions_of(id, DECISION_FIRED, NULL), 1);
	assert_int_equal(decisions_of(id, DECISION_SKIPPED_OVERLAP, NULL), 2);

	/* The run ends at 00:02:30: 00:03 fires again. */
	finish_all(t0 + 150);
	drive(t0 + 180);
	assert_int_equal(runs_of("slow-export", &runs), 2);
	assert_int_equal(runs[1].scheduled_at, t0 + 180);
	free(runs);
}

/* A skipped slot says what the earlier run is doing, not just "active". */
static void
test_forbid_says_why(void **state)
{
	struct run *runs;
	struct decision d;
	int64_t id, t0 = utc("2025-06-01T00:00:00Z");

	(void)state;
	auto_finish = 0;
	id = add_job("{\"name\": \"f\", \"schedule\": \"* * * * *\","
	             " \"timezone\": \"UTC\", \"concurrency\": \"forbid\","
	             " \"command\": \"true\"}",
	    t0 - 30);
	drive(t0);
	drive(t0 + 60);
	assert_int_equal(decisions_of(id, DECISION_SKIPPED_OVERLAP, &d), 1);
	assert_string_equal(d.detail, "run 1 is queued and has not started");

	assert_int_equal(runs_of("f", &runs), 1);
	runs[0].state = RUN_RUNNING;
	runs[0].started_at = t0;
	store_run_update(ad.store, &runs[0]);
	drive(t0 + 120);
	assert_int_equal(decisions_of(id, DECISION_SKIPPED_OVERLAP, &d), 2);
	assert_string_equal(d.detail, "run 1 is still running");

	/* A second attempt waiting out its backoff is not "running". */
	runs[0].state = RUN_QUEUED;
	runs[0].attempt = 2;
	runs[0].not_before = t0 + 600;
	store_run_update(ad.store, &runs[0]);
	drive(t0 + 180);
	assert_int_equal(decisions_of(id, DECISION_SKIPPED_OVERLAP, &d), 3);
	assert_string_equal(
	    d.detail, "run 1 (attempt 2) waits out its retry delay");

	/* A retry names the run that failed, not only itself. */
	runs[0].first_run_id = 7;
	store_run_update(ad.store, &runs[0]);
	drive(t0 + 240);
	assert_int_equal(decisions_of(id, DECISION_SKIPPED_OVERLAP, &d), 4);
	assert_string_equal(
	    d.detail, "run 7 failed; its retry, run 1, waits to start");
	runs[0].attempt = 3;
	store_run_update(ad.store, &runs[0]);
	drive(t0 + 300);
	assert_int_equal(decisions_of(id, DECISION_SKIPPED_OVERLAP, &d), 5);
	assert_string_equal(d.detail,
	    "run 1, attempt 3 of run 7, waits to start after attempt 2 "
	    "failed");
	free(runs);
}

static void
test_replace(void **state)
{
	struct run *runs;
	struct decision d;
	int64_t id, t0 = utc("2025-06-01T00:00:00Z");

	(void)state;
	auto_finish = 0;
	id = add_job("{\"name\": \"rep\", \"schedule\": \"* * * * *\","
	             " \"timezone\": \"UTC\", \"concurrency\": \"replace\","
	             " \"command\": \"sleep 150\"}",
	    t0 - 30);
	drive(t0 + 60);
	assert_int_equal(runs_of("rep", &runs), 2);
	assert_int_equal(runs[0].state, RUN_CANCELLED);
	assert_non_null(strstr(runs[0].message, "replaced"));
	assert_int_equal(runs[1].state, RUN_QUEUED);
	free(runs);
	assert_int_equal(decisions_of(id, DECISION_FIRED, &d), 2);
	assert_non_null(strstr(d.detail, "replacing"));
}

/* Runs of job NAME as another connection to the file sees them. */
static int
committed_runs(const char *name)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char path[128];
	int n = -1;

	snprintf(path, sizeof path, "%s/cronq.db", dir);
	assert_int_equal(
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(
	        db, "SELECT count(*) FROM runs WHERE job = ?", -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/*
 * Jobs due in the same second fire in one transaction; each fire is a
 * savepoint, so one that fails (here a trigger refuses its run) leaves the
 * others recorded, and all are committed when the tick returns.
 */
static void
test_same_second_batch(void **state)
{
	sqlite3 *db;
	char name[32], json[256], path[128], *err = NULL;
	int64_t t0 = utc("2025-06-01T00:00:00Z");
	int i, n, done;

	(void)state;
	auto_finish = 0;
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "b%02d", i);
		snprintf(json, sizeof json,
		    "{\"name\": \"%s\", \"schedule\": \"0 * * * *\","
		    " \"timezone\": \"UTC\", \"command\": \"true\"}",
		    name);
		add_job(json, t0 - 30);
	}
	assert_int_equal(store_flush(ad.store), 0);
	snprintf(path, sizeof path, "%s/cronq.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                     "CREATE TRIGGER refuse BEFORE INSERT ON runs "
	                     "WHEN NEW.job = 'b17' BEGIN "
	                     "SELECT RAISE(ABORT, 'refused'); END",
	                     NULL, NULL, &err),
	    SQLITE_OK);
	sqlite3_close(db);

	/* A tick takes a chunk; the loop ticks again while slots are due. */
	n = scheduler_tick(ad.sched, t0);
	assert_true(n > 0 && n < 39);
	assert_true(scheduler_next_due(ad.sched) <= t0);
	for (i = 0, done = 0; i < 40; i++) {
		snprintf(name, sizeof name, "b%02d", i);
		done += committed_runs(name);
	}
	assert_int_equal(done, n);
	while (scheduler_next_due(ad.sched) <= t0)
		n += scheduler_tick(ad.sched, t0);
	assert_int_equal(n, 39);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "b%02d", i);
		assert_int_equal(committed_runs(name), i == 17 ? 0 : 1);
	}
	/* The refused slot moved on all the same: no endless retry. */
	assert_int_equal(scheduler_tick(ad.sched, t0 + 1), 0);
	assert_int_equal(scheduler_next_due(ad.sched), t0 + 3600);
}

/* Two schedules of a replace job due together: the second stops the first. */
static void
test_replace_same_tick(void **state)
{
	struct run *runs;
	int64_t t0 = utc("2025-06-01T00:00:00Z");

	(void)state;
	auto_finish = 0;
	add_job("{\"name\": \"twice\", \"schedules\": [\"0 * * * *\","
	        " \"0 0 * * *\"], \"timezone\": \"UTC\","
	        " \"concurrency\": \"replace\", \"command\": \"true\"}",
	    t0 - 30);
	assert_int_equal(scheduler_tick(ad.sched, t0), 2);
	assert_int_equal(runs_of("twice", &runs), 2);
	assert_int_equal(runs[0].state, RUN_CANCELLED);
	assert_int_equal(runs[1].state, RUN_QUEUED);
	free(runs);
	assert_int_equal(committed_runs("twice"), 2);
}

static void
test_paused(void **state)
{
	int64_t id, t0 = utc("2025-06-01T00:00:00Z");
	struct run *runs;

	(void)state;
	id = add_job(
	    "{\"name\": \"p\", \"schedule\": \"* * * * *\","
	    " \"timezone\": \"UTC\", \"paused\": true, \"command\": \"true\"}",
	    t0 - 30);
	drive(t0 + 120);
	assert_int_equal(runs_of("p", &runs), 0);
	free(runs);
	assert_int_equal(decisions_of(id, DECISION_PAUSED, NULL), 3);
	assert_int_equal(scheduler_job_next(ad.sched, id), 0);
}

static void
test_reboot_once_per_boot(void **state)
{
	struct run *runs;
	int64_t t0 = utc("2025-06-01T00:00:00Z");

	(void)state;
	add_job("{\"name\": \"boot\", \"schedule\": \"@reboot\","
	        " \"command\": \"true\"}",
	    t0);
	assert_int_equal(scheduler_boot(ad.sched, t0), 1);
	assert_int_equal(scheduler_boot(ad.sched, t0 + 5), 0);
	strcpy(ad.boot_id, "boot-2");
	assert_int_equal(scheduler_boot(ad.sched, t0 + 10), 1);
	assert_int_equal(runs_of("boot", &runs), 2);
	free(runs);

	/*
	 * A job made after this boot's start waits for the next boot, not
	 * for the next start of the daemon.
	 */
	add_job("{\"name\": \"late\", \"schedule\": \"@reboot\","
	        " \"command\": \"true\"}",
	    t0 + 20);
	assert_int_equal(scheduler_boot(ad.sched, t0 + 30), 0);
	strcpy(ad.boot_id, "boot-3");
	assert_int_equal(scheduler_boot(ad.sched, t0 + 40), 2);
	assert_int_equal(runs_of("late", &runs), 1);
	free(runs);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_on_time),
		T(test_bug01_fall_back),
		T(test_bug02_spring_gap),
		T(test_spring_gap_edge),
		T(test_bug05_utc_jobs),
		T(test_bug11_catchup_once),
		T(test_bug11_catchup_skip),
		T(test_late_grace),
		T(test_bug11_catchup_all),
		T(test_bug11_one_year),
		T(test_bug13_step_forward),
		T(test_bug13_step_back),
		T(test_bug15_forbid),
		T(test_forbid_says_why),
		T(test_replace),
		T(test_same_second_batch),
		T(test_replace_same_tick),
		T(test_paused),
		T(test_reboot_once_per_boot),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
