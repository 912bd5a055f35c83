/* SPDX-License-Identifier: ISC */
/*
 * The schema and every statement the store runs, in one place so that a
 * reader sees the whole database at a glance.
 */
#include "config.h"

#include "store-sql.h"

/* Applied in order, each in its own transaction; never edit a past one. */
const char *const store_migrations[] = {
	"CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE jobs (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL,"
	" name TEXT NOT NULL, paused INTEGER NOT NULL, origin TEXT NOT NULL,"
	" version INTEGER NOT NULL, created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL, spec TEXT NOT NULL,"
	" UNIQUE (owner, name));"
	"CREATE TABLE job_versions (id INTEGER PRIMARY KEY,"
	" job_id INTEGER NOT NULL, owner INTEGER NOT NULL, name TEXT NOT NULL,"
	" version INTEGER NOT NULL, action TEXT NOT NULL, by TEXT NOT NULL,"
	" created_at INTEGER NOT NULL, spec TEXT NOT NULL);"
	"CREATE INDEX job_versions_name ON job_versions (owner, name, version);"
	"CREATE TABLE schedules (job_id INTEGER NOT NULL"
	" REFERENCES jobs (id) ON DELETE CASCADE, idx INTEGER NOT NULL,"
	" last_slot INTEGER NOT NULL, next_fire INTEGER NOT NULL,"
	" PRIMARY KEY (job_id, idx));"
	"CREATE TABLE runs (id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL,"
	" job TEXT NOT NULL, owner INTEGER NOT NULL, attempt INTEGER NOT NULL,"
	" first_run_id INTEGER, trigger TEXT NOT NULL,"
	" schedule INTEGER NOT NULL, scheduled_at INTEGER, queued_at INTEGER,"
	" not_before INTEGER, started_at INTEGER, finished_at INTEGER,"
	" pid INTEGER, exit_code INTEGER, signal INTEGER, http_status INTEGER,"
	" state TEXT NOT NULL, output_bytes INTEGER NOT NULL DEFAULT 0,"
	" triggered_by TEXT, host TEXT, missed_count INTEGER NOT NULL DEFAULT 0,"
	" boot_id TEXT, message TEXT);"
	"CREATE INDEX runs_job ON runs (job_id, id);"
	"CREATE INDEX runs_state ON runs (state);"
	"CREATE TABLE decisions (id INTEGER PRIMARY KEY,"
	" job_id INTEGER NOT NULL, job TEXT NOT NULL, slot INTEGER NOT NULL,"
	" outcome TEXT NOT NULL, run_id INTEGER, detail TEXT,"
	" decided_at INTEGER NOT NULL);"
	"CREATE INDEX decisions_job ON decisions (job_id, id);",
	/* Notification delivery attempts (store-notify.c). */
	"CREATE TABLE notifications (id INTEGER PRIMARY KEY,"
	" run_id INTEGER, job_id INTEGER NOT NULL, job TEXT NOT NULL,"
	" owner INTEGER NOT NULL, target INTEGER NOT NULL, kind TEXT NOT NULL,"
	" dest TEXT NOT NULL, event TEXT NOT NULL, attempt INTEGER NOT NULL,"
	" status TEXT NOT NULL, code INTEGER, error TEXT,"
	" created_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL);"
	"CREATE INDEX notifications_run ON notifications (run_id, id);"
	"CREATE INDEX notifications_job ON notifications (owner, job, id);",
	/* What a run used (sandbox.c, supervisor.c). */
	"ALTER TABLE runs ADD COLUMN cpu_usec INTEGER;"
	"ALTER TABLE runs ADD COLUMN peak_memory INTEGER;",
	/*
	 * Remote control (store-auth.c): API tokens, of which only a hash
	 * is kept, and the audit log. Daemons before this migration made
	 * these two tables outside the sequence, at version 3: hence IF NOT
	 * EXISTS, so their rows are kept as they are.
	 */
	"CREATE TABLE IF NOT EXISTS api_tokens (id INTEGER PRIMARY KEY,"
	" prefix TEXT NOT NULL UNIQUE, hash BLOB NOT NULL,"
	" owner INTEGER NOT NULL, name TEXT NOT NULL, scopes INTEGER NOT NULL,"
	" created_at INTEGER NOT NULL, expires_at INTEGER,"
	" revoked_at INTEGER, last_used_at INTEGER);"
	"CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY,"
	" at INTEGER NOT NULL, principal TEXT NOT NULL, source TEXT NOT NULL,"
	" method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL,"
	" job TEXT, run INTEGER);"
	"CREATE INDEX IF NOT EXISTS audit_at ON audit (at);"
	"CREATE INDEX IF NOT EXISTS audit_principal ON audit (principal, at);",
	/*
	 * When the broker confirmed a run's message (queue_amqp.c); 0 = not
	 * yet. Runs marked the old way, in their message, move over.
	 */
	"ALTER TABLE runs ADD COLUMN published_at INTEGER NOT NULL DEFAULT 0;"
	"UPDATE runs SET published_at = coalesce(queued_at, 1), message = NULL"
	" WHERE state = 'queued' AND message LIKE 'published%';",
	/* File jobs removed with --detach (store-detached.c). */
	"CREATE TABLE detached (owner INTEGER NOT NULL, name TEXT NOT NULL,"
	" origin TEXT NOT NULL, at INTEGER NOT NULL,"
	" PRIMARY KEY (owner, name));",
	/*
	 * The highest job id ever given out. SQLite hands a new row the
	 * largest id plus one, so a job made after the newest one was removed
	 * took over its id, and with it the removed job's runs and decisions
	 * (store_job_insert). Ids are now never given twice.
	 */
	"CREATE TABLE job_id_high (high INTEGER NOT NULL);"
	"INSERT INTO job_id_high SELECT max("
	" coalesce((SELECT max(id) FROM jobs), 0),"
	" coalesce((SELECT max(job_id) FROM job_versions), 0),"
	" coalesce((SELECT max(job_id) FROM runs), 0),"
	" coalesce((SELECT max(job_id) FROM decisions), 0),"
	" coalesce((SELECT max(job_id) FROM notifications), 0));",
};
const size_t store_nmigrations =
    sizeof store_migrations / sizeof store_migrations[0];

#define JOB_COLS                                                               \
	"id, owner, name, paused, origin, version, created_at, "               \
	"updated_at, spec"
#define RUN_COLS                                                               \
	"id, job_id, job, owner, attempt, first_run_id, trigger, "             \
	"schedule, scheduled_at, queued_at, not_before, started_at, "          \
	"finished_at, pid, exit_code, signal, http_status, state, "            \
	"output_bytes, triggered_by, host, missed_count, boot_id, message, "   \
	"cpu_usec, peak_memory, published_at"
#define FINAL_STATES                                                           \
	"('succeeded', 'failed', 'timed_out', 'cancelled', "                   \
	"'lost', 'skipped')"

const char *const store_sql[STMT_COUNT] = {
	[STMT_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
	[STMT_SETTING_SET] =
	    "INSERT INTO settings (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[STMT_JOB_INSERT] = "INSERT INTO jobs (owner, name, paused, origin,"
	                    " version, created_at, updated_at, spec, id)"
	                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[STMT_JOB_ID_NEXT] =
	    "UPDATE job_id_high SET high = high + 1 RETURNING high",
	[STMT_JOB_ID_LAST] =
	    "SELECT job_id FROM (SELECT job_id FROM job_versions"
	    " WHERE owner = ?1 AND name = ?2 ORDER BY version DESC LIMIT 1)"
	    " WHERE job_id NOT IN (SELECT id FROM jobs)",
	[STMT_JOB_UPDATE] =
	    "UPDATE jobs SET owner = ?1, name = ?2,"
	    " paused = ?3, origin = ?4, version = ?5, created_at = ?6,"
	    " updated_at = ?7, spec = ?8 WHERE id = ?9",
	[STMT_JOB_DELETE] = "DELETE FROM jobs WHERE id = ?1",
	[STMT_JOB_FIND] = "SELECT " JOB_COLS " FROM jobs"
	                  " WHERE owner = ?1 AND name = ?2",
	[STMT_JOB_FIND_ANY] = "SELECT " JOB_COLS " FROM jobs WHERE name = ?1"
	                      " ORDER BY owner LIMIT 1",
	[STMT_JOB_LOAD] = "SELECT " JOB_COLS " FROM jobs WHERE id = ?1",
	[STMT_JOB_LIST] = "SELECT " JOB_COLS " FROM jobs"
	                  " WHERE ?1 OR owner = ?2 ORDER BY name, owner",
	[STMT_VERSION_INSERT] = "INSERT INTO job_versions (job_id, owner, name,"
	                        " version, action, by, created_at, spec)"
	                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[STMT_VERSION_MAX] = "SELECT max(version) FROM job_versions"
	                     " WHERE owner = ?1 AND name = ?2",
	[STMT_VERSION_LIST] =
	    "SELECT version, created_at, by, action, spec"
	    " FROM job_versions WHERE owner = ?1 AND name = ?2"
	    " ORDER BY version DESC, id DESC",
	[STMT_RUN_INSERT] =
	    "INSERT INTO runs (job_id, job, owner, attempt,"
	    " first_run_id, trigger, schedule, scheduled_at, queued_at,"
	    " not_before, started_at, finished_at, pid, exit_code, signal,"
	    " http_status, state, output_bytes, triggered_by, host,"
	    " missed_count, boot_id, message, cpu_usec, peak_memory,"
	    " published_at) VALUES (?2, ?3, ?4, ?5, ?6, ?7,"
	    " ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,"
	    " ?21, ?22, ?23, ?24, ?25, ?26, ?27)",
	[STMT_RUN_UPDATE] =
	    "UPDATE runs SET job_id = ?2, job = ?3, owner = ?4,"
	    " attempt = ?5, first_run_id = ?6, trigger = ?7, schedule = ?8,"
	    " scheduled_at = ?9, queued_at = ?10, not_before = ?11,"
	    " started_at = ?12, finished_at = ?13, pid = ?14, exit_code = ?15,"
	    " signal = ?16, http_status = ?17, state = ?18, output_bytes = ?19,"
	    " triggered_by = ?20, host = ?21, missed_count = ?22,"
	    " boot_id = ?23, message = ?24, cpu_usec = ?25,"
	    " peak_memory = ?26, published_at = ?27 WHERE id = ?1",
	[STMT_RUN_LOAD] = "SELECT " RUN_COLS " FROM runs WHERE id = ?1",
#define RUN_LIST_WHERE                                                         \
	" WHERE (?1 IS NULL OR job = ?1) AND (?2 = 0 OR job_id = ?2)"          \
	" AND (?3 IS NULL OR state = ?3) AND (?4 = 0 OR id < ?4)"              \
	" AND (?5 OR owner = ?6) ORDER BY id DESC LIMIT ?7"
	[STMT_RUN_LIST] = "SELECT " RUN_COLS " FROM runs" RUN_LIST_WHERE,
	[STMT_RUN_LIST_IDS] = "SELECT id FROM runs" RUN_LIST_WHERE,
	[STMT_RUN_LIST_STATE] = "SELECT " RUN_COLS " FROM runs"
	                        " WHERE state = ?1 ORDER BY id",
	[STMT_RUN_COUNT_STATE] = "SELECT count(*) FROM runs WHERE state = ?1",
	/* The last run is the last one that started: a retry waiting
	 * for its time has done nothing yet. */
	[STMT_RUN_LAST] =
	    "SELECT " RUN_COLS " FROM runs WHERE job_id = ?1"
	    " AND started_at IS NOT NULL ORDER BY id DESC LIMIT 1",
	[STMT_RUN_ACTIVE] =
	    "SELECT " RUN_COLS " FROM runs WHERE job_id = ?1"
	    " AND state IN ('queued', 'running', 'retrying') ORDER BY id",
	[STMT_RUN_INFLIGHT] =
	    "SELECT count(*) FROM runs WHERE (?1 = 0 OR job_id = ?1)"
	    " AND (state = 'running' OR (state IN ('queued', 'retrying')"
	    " AND published_at > 0))",
	[STMT_RUN_INFLIGHT_JOBS] =
	    "SELECT job_id FROM runs WHERE state = 'running'"
	    " OR (state IN ('queued', 'retrying') AND published_at > 0)",
	[STMT_DECISION_INSERT] = "INSERT INTO decisions (job_id, job, slot,"
	                         " outcome, run_id, detail, decided_at)"
	                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[STMT_DECISION_LIST] =
	    "SELECT id, job_id, job, slot, outcome, run_id,"
	    " detail, decided_at FROM decisions WHERE job_id = ?1"
	    " AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3",
	[STMT_SCHED_LOAD] = "SELECT last_slot, next_fire FROM schedules"
	                    " WHERE job_id = ?1 AND idx = ?2",
	[STMT_SCHED_SAVE] =
	    "INSERT INTO schedules (job_id, idx, last_slot,"
	    " next_fire) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (job_id, idx)"
	    " DO UPDATE SET last_slot = excluded.last_slot,"
	    " next_fire = excluded.next_fire",
	[STMT_PRUNE_SELECT] =
	    "SELECT id FROM (SELECT id, state, finished_at,"
	    " row_number() OVER (PARTITION BY job_id ORDER BY id DESC) AS rn"
	    " FROM runs) WHERE state IN " FINAL_STATES
	    " AND (finished_at < ?1 OR rn > ?2)",
	[STMT_PRUNE_RUN] = "DELETE FROM runs WHERE id = ?1",
	[STMT_PRUNE_DECISIONS] = "DELETE FROM decisions WHERE decided_at < ?1",
	/* Per request: a token on every remote call, an audit record on
	 * every change. The rest of store-auth.c prepares per call. */
	[STMT_TOKEN_FIND] = "SELECT id, prefix, hash, owner, name, scopes,"
	                    " created_at, expires_at, revoked_at, last_used_at"
	                    " FROM api_tokens WHERE prefix = ?1",
	[STMT_TOKEN_USED] =
	    "UPDATE api_tokens SET last_used_at = ?1 WHERE id = ?2",
	[STMT_AUDIT_INSERT] =
	    "INSERT INTO audit (at, principal, source, method, path, status,"
	    " job, run) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* Transaction control, run at least once per fire: parsing each
	 * one anew was a tenth of the scheduler's time in a burst. */
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_SAVEPOINT_FIRE] = "SAVEPOINT fire",
	[STMT_RELEASE_FIRE] = "RELEASE fire",
	[STMT_ROLLBACK_FIRE] = "ROLLBACK TO fire",
};
