/* SPDX-License-Identifier: ISC */
/* The store against a real SQLite file in a temporary directory. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "agentd.h"
#include "store-sql.h"
#include "xmalloc.h"

static char dir[] = "/tmp/test-store.XXXXXX";
static char path[128];

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test-store.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/cronq.db", dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct store *
open_store(void)
{
	struct store *st;
	char *cause = NULL;

	st = store_open(path, &cause);
	if (st == NULL)
		fail_msg("%s", cause);
	return st;
}

static struct job *
make_job(const char *name, uid_t owner)
{
	char text[256];
	cJSON *json;
	struct job *job;
	char *cause = NULL;

	snprintf(text, sizeof text,
	    "{\"name\": \"%s\", \"command\": \"true\","
	    " \"schedule\": \"*/5 * * * *\", \"timezone\": \"UTC\"}",
	    name);
	json = cJSON_Parse(text);
	job = job_from_json(json, NULL, NULL, &cause);
	cJSON_Delete(json);
	assert_non_null(job);
	job->owner = owner;
	return job;
}

static void
run_init(struct run *r, const struct job *job, int64_t now)
{
	memset(r, 0, sizeof *r);
	r->job_id = job->id;
	strcpy(r->job, job->name);
	r->owner = job->owner;
	r->attempt = 1;
	r->trigger = TRIGGER_SCHEDULE;
	r->scheduled_at = r->queued_at = r->not_before = now;
	r->exit_code = -1;
	r->state = RUN_QUEUED;
}

/* Runs SQL directly on the file, as another process would. */
static void
raw_sql(const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int
raw_count(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int n = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static void
test_migrations(void **state)
{
	struct store *st;

	(void)state;
	st = open_store();
	assert_int_equal(store_schema_version(st), (int)store_nmigrations);
	store_close(st);
	st = open_store();
	assert_int_equal(store_schema_version(st), (int)store_nmigrations);
	store_close(st);
	assert_int_equal(raw_count("SELECT count(*) FROM schema_version"),
	    (int)store_nmigrations);
	assert_int_equal(raw_count("PRAGMA journal_mode = WAL"), 0);

	/* A database from a newer daemon is refused, not damaged. */
	raw_sql("INSERT INTO schema_version VALUES (99)");
	{
		char *cause = NULL;

		assert_null(store_open(path, &cause));
		assert_non_null(strstr(cause, "schema 99 is newer"));
		free(cause);
	}
}

static void
test_jobs_and_versions(void **state)
{
	struct store *st;
	struct job *job, *got, **list;
	size_t n;
	cJSON *versions;

	(void)state;
	st = open_store();
	job = make_job("backup", 1000);
	assert_int_equal(
	    store_job_insert(st, job, "create", "uid:1000", 100), 0);
	assert_true(job->id > 0);
	assert_int_equal(job->version, 1);

	/* Same name, same owner: conflict; another owner: fine. */
	got = make_job("backup", 1000);
	assert_int_equal(store_job_insert(st, got, "create", "x", 100), -1);
	job_free(got);
	got = make_job("backup", 0);
	assert_int_equal(store_job_insert(st, got, "create", "x", 100), 0);
	job_free(got);

	job->timeout = 42;
	assert_int_equal(
	    store_job_update(st, job, "patch", "uid:1000", 200), 0);
	assert_int_equal(job->version, 2);
	got = store_job_find(st, 1000, "backup");
	assert_non_null(got);
	assert_int_equal(got->timeout, 42);
	assert_int_equal(got->version, 2);
	assert_int_equal(got->created_at, 100);
	assert_int_equal(got->updated_at, 200);
	job_free(got);

	assert_int_equal(store_job_list(st, 1000, 0, &list, &n), 0);
	assert_int_equal(n, 1);
	store_job_list_free(list, n);
	assert_int_equal(store_job_list(st, 0, 1, &list, &n), 0);
	assert_int_equal(n, 2);
	store_job_list_free(list, n);

	/* Deleting keeps the history; version 0 is the last live one. */
	assert_int_equal(store_job_delete(st, job, "uid:1000", 300), 0);
	assert_null(store_job_find(st, 1000, "backup"));
	assert_int_equal(store_version_list(st, 1000, "backup", &versions), 0);
	assert_int_equal(cJSON_GetArraySize(versions), 3);
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(versions, 0), "action")
	        ->valuestring,
	    "delete");
	cJSON_Delete(versions);
	got = store_version_load(st, 1000, "backup", 0);
	assert_non_null(got);
	assert_int_equal(got->timeout, 42);
	job_free(got);
	got = store_version_load(st, 1000, "backup", 1);
	assert_non_null(got);
	assert_int_equal(got->timeout, 0);
	job_free(got);
	job_free(job);
	store_close(st);
}

static void
test_runs_group_commit_and_reopen(void **state)
{
	struct store *st;
	struct job *job;
	struct run r, got, *list;
	struct run_filter f = { .state = -1, .any_owner = 1 };
	size_t n;

	(void)state;
	st = open_store();
	job = make_job("r", 0);
	assert_int_equal(store_job_insert(st, job, "create", "x", 1), 0);
	run_init(&r, job, 1000);
	assert_int_equal(store_run_insert(st, &r), 0);
	assert_int_equal(r.first_run_id, r.id);

	/* Not visible to another connection until the group commits. */
	assert_int_equal(raw_count("SELECT count(*) FROM runs"), 0);
	assert_int_equal(store_flush(st), 0);
	assert_int_equal(raw_count("SELECT count(*) FROM runs"), 1);

	r.state = RUN_FAILED;
	r.exit_code = 3;
	r.started_at = 1001;
	r.finished_at = 1002;
	strcpy(r.message, "exit 3");
	assert_int_equal(store_run_update(st, &r), 0);
	store_close(st);

	st = open_store();
	assert_int_equal(store_run_load(st, r.id, &got), 0);
	assert_int_equal(got.state, RUN_FAILED);
	assert_int_equal(got.exit_code, 3);
	assert_int_equal(got.signal, 0);
	assert_int_equal(got.pid, 0);
	assert_string_equal(got.message, "exit 3");
	f.job = "r";
	assert_int_equal(store_run_list(st, &f, &list, &n), 0);
	assert_int_equal(n, 1);
	free(list);
	f.state = RUN_QUEUED;
	assert_int_equal(store_run_list(st, &f, &list, &n), 0);
	assert_int_equal(n, 0);
	free(list);
	job_free(job);
	store_close(st);
}

static void
test_fire_is_atomic(void **state)
{
	struct store *st;
	struct job *job;
	struct run r;
	struct decision d;
	int64_t last, next;

	(void)state;
	st = open_store();
	job = make_job("f", 0);
	assert_int_equal(store_job_insert(st, job, "create", "x", 1), 0);
	store_close(st);

	/* Make the decision insert fail: nothing of the fire may remain. */
	raw_sql("CREATE TRIGGER no_decisions BEFORE INSERT ON decisions"
	        " BEGIN SELECT RAISE(ABORT, 'refused'); END");
	st = open_store();
	run_init(&r, job, 600);
	memset(&d, 0, sizeof d);
	d.job_id = job->id;
	strcpy(d.job, job->name);
	d.slot = 600;
	d.outcome = DECISION_FIRED;
	assert_int_equal(store_fire(st, &r, &d, 0, 600, 900), -1);
	assert_int_equal(r.id, 0);
	store_close(st);
	assert_int_equal(raw_count("SELECT count(*) FROM runs"), 0);
	assert_int_equal(raw_count("SELECT count(*) FROM schedules"), 0);

	/* Without the trigger the same fire stores all three. */
	raw_sql("DROP TRIGGER no_decisions");
	st = open_store();
	assert_int_equal(store_fire(st, &r, &d, 0, 600, 900), 0);
	assert_true(r.id > 0);
	assert_int_equal(d.run_id, r.id);
	store_close(st);
	assert_int_equal(raw_count("SELECT count(*) FROM runs"), 1);
	assert_int_equal(raw_count("SELECT count(*) FROM decisions"
	                           " WHERE run_id IS NOT NULL"),
	    1);
	st = open_store();
	assert_int_equal(store_sched_load(st, job->id, 0, &last, &next), 0);
	assert_int_equal(last, 600);
	assert_int_equal(next, 900);
	job_free(job);
	store_close(st);
}

static int pruned;

static void
count_pruned(int64_t id, void *arg)
{
	(void)id;
	(void)arg;
	pruned++;
}

static void
test_prune(void **state)
{
	struct store *st;
	struct job *job;
	struct run r;
	int i;

	(void)state;
	st = open_store();
	job = make_job("p", 0);
	assert_int_equal(store_job_insert(st, job, "create", "x", 1), 0);
	for (i = 0; i < 10; i++) {
		run_init(&r, job, 1000 + i);
		r.state = i == 9 ? RUN_QUEUED : RUN_SUCCEEDED;
		r.finished_at = i < 2 ? 50 : 1000 + i;
		assert_int_equal(store_run_insert(st, &r), 0);
	}
	/* Two are too old, and only the newest 5 per job are kept. */
	pruned = 0;
	assert_int_equal(store_prune(st, 100, 5, count_pruned, NULL), 5);
	assert_int_equal(pruned, 5);
	assert_int_equal(store_run_count_state(st, RUN_SUCCEEDED), 4);
	assert_int_equal(store_run_count_state(st, RUN_QUEUED), 1);
	job_free(job);
	store_close(st);
}

/* The schema as it was before the first migration that mentions MARKER. */
static void
migrate_before(const char *marker)
{
	char *sql;
	size_t i;

	raw_sql("CREATE TABLE schema_version (version INTEGER NOT NULL)");
	for (i = 0; strstr(store_migrations[i], marker) == NULL; i++) {
		raw_sql(store_migrations[i]);
		xasprintf(
		    &sql, "INSERT INTO schema_version VALUES (%zu)", i + 1);
		raw_sql(sql);
		free(sql);
	}
}

/*
 * A job id is never given twice: a job made after the newest one was
 * removed once took over its id, runs and decisions included. A removed
 * job brought back by a rollback gets its own id again.
 */
static void
test_job_ids_not_reused(void **state)
{
	struct store *st;
	struct job *a, *b, *back;
	int64_t id;

	(void)state;
	st = open_store();
	a = make_job("a", 0);
	assert_int_equal(store_job_insert(st, a, "create", "x", 100), 0);
	id = a->id;
	assert_int_equal(store_job_delete(st, a, "x", 200), 0);
	b = make_job("b", 0);
	assert_int_equal(store_job_insert(st, b, "create", "x", 300), 0);
	assert_int_equal(b->id, id + 1);
	back = store_version_load(st, 0, "a", 0);
	assert_non_null(back);
	assert_int_equal(store_job_insert(st, back, "rollback", "x", 400), 0);
	assert_int_equal(back->id, id);
	assert_int_equal(back->version, 3);
	job_free(back);

	/*
	 * A database from before the fix where a live job took a removed
	 * one's id: bringing the removed one back takes a new id rather
	 * than failing on the taken one.
	 */
	assert_int_equal(store_job_delete(st, b, "x", 500), 0);
	raw_sql("UPDATE jobs SET name = 'c' WHERE name = 'a'");
	back = store_version_load(st, 0, "b", 0);
	assert_non_null(back);
	assert_int_equal(
	    raw_count("SELECT count(*) FROM jobs WHERE id = (SELECT"
	              " max(job_id) FROM job_versions WHERE name ="
	              " 'b')"),
	    0);
	raw_sql("UPDATE jobs SET id = (SELECT max(job_id) FROM job_versions"
	        " WHERE name = 'b') WHERE name = 'c'");
	assert_int_equal(store_job_insert(st, back, "rollback", "x", 600), 0);
	assert_int_equal(back->id, id + 2);
	job_free(back);
	job_free(b);
	job_free(a);
	store_close(st);
}

/* The migration starts above every id a table still holds. */
static void
test_job_id_migration(void **state)
{
	struct store *st;
	struct job *job;

	(void)state;
	migrate_before("job_id_high");
	raw_sql("INSERT INTO jobs (id, owner, name, paused, origin, version,"
	        " created_at, updated_at, spec) VALUES"
	        " (3, 0, 'live', 0, 'api', 1, 1, 1, '{}')");
	raw_sql("INSERT INTO runs (id, job_id, job, owner, attempt, trigger,"
	        " schedule, state) VALUES"
	        " (1, 9, 'gone', 0, 1, 'manual', -1, 'succeeded')");
	st = open_store();
	job = make_job("new", 0);
	assert_int_equal(store_job_insert(st, job, "create", "x", 100), 0);
	assert_int_equal(job->id, 10);
	job_free(job);
	store_close(st);
}

/*
 * A migration gives the amqp "published" mark its own column and carries
 * over runs marked the old way, in their message; counting runs out on
 * workers reads it.
 */
static void
test_published_column(void **state)
{
	struct store *st;
	struct job *job;
	struct run r;

	(void)state;
	migrate_before("published_at");
	raw_sql("INSERT INTO runs (id, job_id, job, owner, attempt, trigger,"
	        " schedule, queued_at, state, message) VALUES"
	        " (1, 7, 'a', 0, 1, 'manual', -1, 1000, 'queued',"
	        " 'published to cron-jobs-queue'),"
	        " (2, 7, 'a', 0, 1, 'manual', -1, 1000, 'queued', NULL)");
	st = open_store();
	assert_int_equal(store_run_load(st, 1, &r), 0);
	assert_int_equal(r.published_at, 1000);
	assert_string_equal(r.message, "");
	assert_int_equal(store_run_load(st, 2, &r), 0);
	assert_int_equal(r.published_at, 0);
	assert_int_equal(store_run_count_inflight(st, 7), 1);
	assert_int_equal(store_run_count_inflight(st, 0), 1);
	assert_int_equal(store_run_count_inflight(st, 8), 0);

	/* Written and read back like every other field. */
	job = make_job("b", 0);
	assert_int_equal(store_job_insert(st, job, "create", "x", 100), 0);
	run_init(&r, job, 2000);
	r.published_at = 2001;
	assert_int_equal(store_run_insert(st, &r), 0);
	assert_int_equal(store_run_count_inflight(st, job->id), 1);
	r.state = RUN_SUCCEEDED;
	assert_int_equal(store_run_update(st, &r), 0);
	assert_int_equal(store_run_count_inflight(st, job->id), 0);
	assert_int_equal(store_run_load(st, r.id, &r), 0);
	assert_int_equal(r.published_at, 2001);
	job_free(job);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_migrations, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_jobs_and_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_runs_group_commit_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_fire_is_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_published_column, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_job_ids_not_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_job_id_migration, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
