/* SPDX-License-Identifier: ISC */
/*
 * The durable state: one SQLite file in WAL mode. This is the only file
 * that speaks SQL; every statement is prepared once and cached. Ordinary
 * writes share a lazily opened transaction that the loop commits before it
 * sleeps (group commit); firing and job changes commit on their own, so a
 * crash neither loses nor doubles a scheduled run.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "agentd.h"
#include "log.h"
#include "store-sql.h"
#include "util.h"
#include "xmalloc.h"

int
store_exec(struct store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_warnx("store: statement failed: %s", msg);
		sqlite3_free(msg);
		errno = EIO;
		return -1;
	}
	return 0;
}

/* The cached statement ID, reset and unbound; NULL if it fails to prepare. */
sqlite3_stmt *
store_stmt(struct store *st, enum store_stmt id)
{
	sqlite3_stmt *s = st->stmts[id];

	if (s == NULL) {
		if (sqlite3_prepare_v3(st->db, store_sql[id], -1,
		        SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
			log_warnx("store: cannot prepare statement %d: %s",
			    (int)id, sqlite3_errmsg(st->db));
			errno = EIO;
			return NULL;
		}
		st->stmts[id] = s;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

int
store_exec_stmt(struct store *st, enum store_stmt id)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, id)) == NULL)
		return -1;
	if (sqlite3_step(s) != SQLITE_DONE) {
		log_warnx("store: statement failed: %s: %s", store_sql[id],
		    sqlite3_errmsg(st->db));
		sqlite3_reset(s);
		errno = EIO;
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

/* Steps a statement that returns no rows; 0 or -1. */
int
store_step_done(struct store *st, sqlite3_stmt *s)
{
	int rc;

	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_CONSTRAINT)
		errno = EEXIST;
	else
		errno = EIO;
	log_debug("store: step failed: %s", sqlite3_errmsg(st->db));
	return -1;
}

void
store_bind_time(sqlite3_stmt *s, int i, int64_t t)
{
	if (t == 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, t);
}

void
store_bind_text(sqlite3_stmt *s, int i, const char *t)
{
	sqlite3_bind_text(s, i, t, -1, SQLITE_TRANSIENT);
}

const char *
store_col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t == NULL ? "" : (const char *)t;
}

/* Opens the group transaction unless one is already open. */
sqlite3_stmt *
store_prepare(struct store *st, const char *sql)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		log_warnx("store: cannot prepare: %s", sqlite3_errmsg(st->db));
		errno = EIO;
		return NULL;
	}
	return s;
}

int
store_done(struct store *st, sqlite3_stmt *s)
{
	int rc = store_step_done(st, s);

	sqlite3_finalize(s);
	return rc;
}

int
store_write_begin(struct store *st)
{
	if (st->in_group || st->in_explicit)
		return 0;
	if (store_exec_stmt(st, STMT_BEGIN) == -1)
		return -1;
	st->in_group = 1;
	return 0;
}

int
store_flush(struct store *st)
{
	if (!st->in_group)
		return 0;
	st->in_group = 0;
	return store_exec_stmt(st, STMT_COMMIT);
}

/*
 * Explicit transactions nest: only the outermost begins and commits, and
 * an inner rollback makes the outermost roll back too (a job file applied
 * as one transaction around several job changes).
 */
int
store_begin(struct store *st)
{
	if (st->in_explicit > 0) {
		st->in_explicit++;
		return 0;
	}
	if (store_flush(st) == -1)
		return -1;
	if (store_exec_stmt(st, STMT_BEGIN) == -1)
		return -1;
	st->in_explicit = 1;
	st->doomed = 0;
	return 0;
}

int
store_commit(struct store *st)
{
	if (st->in_explicit > 1) {
		st->in_explicit--;
		return st->doomed ? -1 : 0;
	}
	st->in_explicit = 0;
	if (st->doomed) {
		store_exec_stmt(st, STMT_ROLLBACK);
		store_cache_clear(st);
		return -1;
	}
	if (store_exec_stmt(st, STMT_COMMIT) == -1) {
		store_cache_clear(st);
		return -1;
	}
	return 0;
}

void
store_rollback(struct store *st)
{
	if (st->in_explicit > 1) {
		st->in_explicit--;
		st->doomed = 1;
		return;
	}
	st->in_explicit = 0;
	store_exec_stmt(st, STMT_ROLLBACK);
	store_cache_clear(st);
}

int
store_schema_version(struct store *st)
{
	sqlite3_stmt *s;
	int v = 0;

	if (sqlite3_prepare_v2(st->db,
	        "SELECT max(version) FROM "
	        "schema_version",
	        -1, &s, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Applies every migration past the file's version, each in a transaction. */
static int
store_migrate(struct store *st, char **cause)
{
	int v;
	size_t i;

	if (store_exec(st,
	        "CREATE TABLE IF NOT EXISTS schema_version ("
	        "version INTEGER NOT NULL)") == -1)
		goto fail;
	v = store_schema_version(st);
	if (v > (int)store_nmigrations) {
		xasprintf(cause,
		    "database schema %d is newer than this "
		    "daemon's %zu",
		    v, store_nmigrations);
		return -1;
	}
	for (i = (size_t)v; i < store_nmigrations; i++) {
		char *sql;

		xasprintf(&sql,
		    "BEGIN IMMEDIATE; %s INSERT INTO "
		    "schema_version (version) VALUES (%zu); COMMIT;",
		    store_migrations[i], i + 1);
		if (store_exec(st, sql) == -1) {
			free(sql);
			store_exec_stmt(st, STMT_ROLLBACK);
			goto fail;
		}
		free(sql);
	}
	return 0;

fail:
	xasprintf(
	    cause, "cannot migrate the database: %s", sqlite3_errmsg(st->db));
	return -1;
}

struct store *
store_open(const char *path, char **cause)
{
	struct store *st;

	st = xcalloc(1, sizeof *st);
	if (sqlite3_open_v2(path, &st->db,
	        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	            SQLITE_OPEN_NOMUTEX,
	        NULL) != SQLITE_OK) {
		xasprintf(cause, "cannot open %s: %s", path,
		    st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (store_exec(st,
	        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	        " PRAGMA foreign_keys=ON;") == -1) {
		xasprintf(cause, "cannot set up %s: %s", path,
		    sqlite3_errmsg(st->db));
		goto fail;
	}
	if (store_migrate(st, cause) == -1)
		goto fail;
	return st;

fail:
	sqlite3_close(st->db);
	free(st);
	return NULL;
}

void
store_close(struct store *st)
{
	size_t i;

	if (st == NULL)
		return;
	store_flush(st);
	store_cache_free(st);
	for (i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(st->stmts[i]);
	sqlite3_close(st->db);
	free(st);
}

int
store_setting_get(struct store *st, const char *key, char **value)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STMT_SETTING_GET)) == NULL)
		return -1;
	store_bind_text(s, 1, key);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		errno = ENOENT;
		return -1;
	}
	*value = xstrdup(store_col_text(s, 0));
	sqlite3_reset(s);
	return 0;
}

int
store_setting_set(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *s;

	if (store_write_begin(st) == -1 ||
	    (s = store_stmt(st, STMT_SETTING_SET)) == NULL)
		return -1;
	store_bind_text(s, 1, key);
	store_bind_text(s, 2, value);
	return store_step_done(st, s);
}

/* Jobs. */

static char *
job_spec_text(const struct job *job)
{
	cJSON *o;
	char *text;

	o = job_to_json(job, 1);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (text == NULL)
		fatalx("store: out of memory");
	return text;
}

static int
version_insert(struct store *st, const struct job *job, const char *action,
    const char *by, int64_t now)
{
	sqlite3_stmt *s;
	char *spec;
	int rc;

	if ((s = store_stmt(st, STMT_VERSION_INSERT)) == NULL)
		return -1;
	spec = job_spec_text(job);
	sqlite3_bind_int64(s, 1, job->id);
	sqlite3_bind_int64(s, 2, job->owner);
	store_bind_text(s, 3, job->name);
	sqlite3_bind_int64(s, 4, job->version);
	store_bind_text(s, 5, action);
	store_bind_text(s, 6, by);
	sqlite3_bind_int64(s, 7, now);
	store_bind_text(s, 8, spec);
	rc = store_step_done(st, s);
	free(spec);
	return rc;
}

/* Binds the key columns and spec of JOB for insert and update. */
static void
bind_job(sqlite3_stmt *s, const struct job *job, char *spec)
{
	sqlite3_bind_int64(s, 1, job->owner);
	store_bind_text(s, 2, job->name);
	sqlite3_bind_int(s, 3, job->paused);
	store_bind_text(s, 4, job->origin != NULL ? job->origin : "api");
	sqlite3_bind_int64(s, 5, job->version);
	sqlite3_bind_int64(s, 6, job->created_at);
	sqlite3_bind_int64(s, 7, job->updated_at);
	store_bind_text(s, 8, spec);
}

/*
 * The id of new JOB: a removed job brought back by a rollback keeps its
 * last one, so that its runs are its own again; any other gets one never
 * given before. -1 on a database error.
 */
static int64_t
job_id_for(struct store *st, const struct job *job, const char *action)
{
	sqlite3_stmt *s;
	int64_t id = -1;

	if (strcmp(action, "rollback") == 0 &&
	    (s = store_stmt(st, STMT_JOB_ID_LAST)) != NULL) {
		sqlite3_bind_int64(s, 1, job->owner);
		store_bind_text(s, 2, job->name);
		if (sqlite3_step(s) == SQLITE_ROW)
			id = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		/* Free unless an older cronq gave it again. */
		if (id > 0)
			return id;
	}
	if ((s = store_stmt(st, STMT_JOB_ID_NEXT)) == NULL)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	else
		log_warnx(
		    "store: cannot take a job id: %s", sqlite3_errmsg(st->db));
	sqlite3_reset(s);
	return id > 0 ? id : -1;
}

int
store_job_insert(struct store *st, struct job *job, const char *action,
    const char *by, int64_t now)
{
	sqlite3_stmt *s;
	char *spec;
	int64_t last = 0;

	if (store_begin(st) == -1)
		return -1;

	/* A re-created name continues the numbering of its old versions. */
	if ((s = store_stmt(st, STMT_VERSION_MAX)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, job->owner);
	store_bind_text(s, 2, job->name);
	if (sqlite3_step(s) == SQLITE_ROW)
		last = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	job->version = last + 1;
	job->created_at = job->updated_at = now;
	if ((job->id = job_id_for(st, job, action)) == -1)
		goto fail;
	if ((s = store_stmt(st, STMT_JOB_INSERT)) == NULL)
		goto fail;
	spec = job_spec_text(job);
	bind_job(s, job, spec);
	sqlite3_bind_int64(s, 9, job->id);
	if (store_step_done(st, s) == -1) {
		free(spec);
		goto fail;
	}
	free(spec);
	if (version_insert(st, job, action, by, now) == -1)
		goto fail;
	return store_commit(st);

fail:
	store_rollback(st);
	return -1;
}

int
store_job_update(struct store *st, struct job *job, const char *action,
    const char *by, int64_t now)
{
	sqlite3_stmt *s;
	char *spec;

	if (store_begin(st) == -1)
		return -1;
	store_cache_forget(st, job->id);
	job->version++;
	job->updated_at = now;
	if ((s = store_stmt(st, STMT_JOB_UPDATE)) == NULL)
		goto fail;
	spec = job_spec_text(job);
	bind_job(s, job, spec);
	sqlite3_bind_int64(s, 9, job->id);
	if (store_step_done(st, s) == -1 || sqlite3_changes(st->db) != 1) {
		free(spec);
		goto fail;
	}
	free(spec);
	if (version_insert(st, job, action, by, now) == -1)
		goto fail;
	return store_commit(st);

fail:
	job->version--;
	store_rollback(st);
	return -1;
}

int
store_job_delete(struct store *st, struct job *job, const char *by, int64_t now)
{
	sqlite3_stmt *s;

	if (store_begin(st) == -1)
		return -1;
	store_cache_forget(st, job->id);
	job->version++;
	if (version_insert(st, job, "delete", by, now) == -1)
		goto fail;
	if ((s = store_stmt(st, STMT_JOB_DELETE)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, job->id);
	if (store_step_done(st, s) == -1)
		goto fail;
	return store_commit(st);

fail:
	store_rollback(st);
	return -1;
}

/* Builds a job from a row: id, owner, name, paused, origin, version,
 * created_at, updated_at, spec. NULL if the stored spec no longer parses. */
static struct job *
job_from_row(sqlite3_stmt *s)
{
	cJSON *json;
	struct job *job;
	char *cause = NULL;

	json = cJSON_Parse(store_col_text(s, 8));
	job = job_from_json(json, NULL, NULL, &cause);
	cJSON_Delete(json);
	if (job == NULL) {
		log_warnx("store: job %lld does not load: %s",
		    (long long)sqlite3_column_int64(s, 0), cause);
		free(cause);
		errno = EINVAL;
		return NULL;
	}
	job->id = sqlite3_column_int64(s, 0);
	job->owner = (uid_t)sqlite3_column_int64(s, 1);
	job->paused = sqlite3_column_int(s, 3);
	free(job->origin);
	job->origin = xstrdup(store_col_text(s, 4));
	job->version = sqlite3_column_int64(s, 5);
	job->created_at = sqlite3_column_int64(s, 6);
	job->updated_at = sqlite3_column_int64(s, 7);
	return job;
}

static struct job *
job_query_one(sqlite3_stmt *s)
{
	struct job *job;

	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		errno = ENOENT;
		return NULL;
	}
	job = job_from_row(s);
	sqlite3_reset(s);
	return job;
}

struct job *
store_job_find(struct store *st, uid_t owner, const char *name)
{
	sqlite3_stmt *s;
	struct job *job;

	if ((job = store_cache_by_name(st, owner, name)) != NULL)
		return job;
	if ((s = store_stmt(st, STMT_JOB_FIND)) == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, owner);
	store_bind_text(s, 2, name);
	job = job_query_one(s);
	store_cache_add(st, job);
	return job;
}

struct job *
store_job_find_any(struct store *st, const char *name)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STMT_JOB_FIND_ANY)) == NULL)
		return NULL;
	store_bind_text(s, 1, name);
	return job_query_one(s);
}

struct job *
store_job_load(struct store *st, int64_t id)
{
	sqlite3_stmt *s;
	struct job *job;

	if ((job = store_cache_by_id(st, id)) != NULL)
		return job;
	if ((s = store_stmt(st, STMT_JOB_LOAD)) == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	job = job_query_one(s);
	store_cache_add(st, job);
	return job;
}

int
store_job_list(struct store *st, uid_t owner, int any_owner, struct job ***jobs,
    size_t *njobs)
{
	sqlite3_stmt *s;
	struct job **v = NULL, *job;
	size_t n = 0;

	if ((s = store_stmt(st, STMT_JOB_LIST)) == NULL)
		return -1;
	sqlite3_bind_int(s, 1, any_owner);
	sqlite3_bind_int64(s, 2, owner);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if ((job = job_from_row(s)) == NULL)
			continue;
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n++] = job;
	}
	sqlite3_reset(s);
	*jobs = v;
	*njobs = n;
	return 0;
}

void
store_job_list_free(struct job **jobs, size_t njobs)
{
	size_t i;

	for (i = 0; i < njobs; i++)
		job_free(jobs[i]);
	free(jobs);
}

int
store_version_list(struct store *st, uid_t owner, const char *name, cJSON **out)
{
	sqlite3_stmt *s;
	cJSON *arr, *v, *spec;
	char buf[32];
	int n = 0;

	if ((s = store_stmt(st, STMT_VERSION_LIST)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, owner);
	store_bind_text(s, 2, name);
	arr = cJSON_CreateArray();
	while (sqlite3_step(s) == SQLITE_ROW) {
		v = cJSON_CreateObject();
		cJSON_AddNumberToObject(
		    v, "version", (double)sqlite3_column_int64(s, 0));
		util_format_utc(buf, sizeof buf, sqlite3_column_int64(s, 1));
		cJSON_AddStringToObject(v, "created_at", buf);
		cJSON_AddStringToObject(v, "by", store_col_text(s, 2));
		cJSON_AddStringToObject(v, "action", store_col_text(s, 3));
		spec = cJSON_Parse(store_col_text(s, 4));
		cJSON_AddItemToObject(
		    v, "job", spec != NULL ? spec : cJSON_CreateNull());
		cJSON_AddItemToArray(arr, v);
		n++;
	}
	sqlite3_reset(s);
	if (n == 0) {
		cJSON_Delete(arr);
		errno = ENOENT;
		return -1;
	}
	*out = arr;
	return 0;
}

struct job *
store_version_load(
    struct store *st, uid_t owner, const char *name, int64_t version)
{
	sqlite3_stmt *s;
	struct job *job;
	cJSON *json;
	char *cause = NULL;
	int found = 0;

	if ((s = store_stmt(st, STMT_VERSION_LIST)) == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, owner);
	store_bind_text(s, 2, name);
	json = NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(s, 0);

		/* Version 0: skip the newest row (and deletes) once. */
		if (version == 0 && found == 0) {
			found = 1;
			continue;
		}
		if ((version == 0 &&
		        strcmp(store_col_text(s, 3), "delete") != 0) ||
		    v == version) {
			json = cJSON_Parse(store_col_text(s, 4));
			break;
		}
	}
	sqlite3_reset(s);
	if (json == NULL) {
		errno = ENOENT;
		return NULL;
	}
	job = job_from_json(json, NULL, NULL, &cause);
	cJSON_Delete(json);
	if (job == NULL) {
		log_warnx("store: version %lld of %s does not load: %s",
		    (long long)version, name, cause);
		free(cause);
		errno = EINVAL;
	}
	return job;
}
