/* SPDX-License-Identifier: ISC */
/*
 * Private to store*.c: the schema migrations, the statement texts and the
 * helpers the store files share. Nothing else includes this.
 */
#ifndef STORE_SQL_H
#define STORE_SQL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

enum store_stmt {
	STMT_SETTING_GET,
	STMT_SETTING_SET,
	STMT_JOB_INSERT,
	STMT_JOB_ID_NEXT,
	STMT_JOB_ID_LAST,
	STMT_JOB_UPDATE,
	STMT_JOB_DELETE,
	STMT_JOB_FIND,
	STMT_JOB_FIND_ANY,
	STMT_JOB_LOAD,
	STMT_JOB_LIST,
	STMT_VERSION_INSERT,
	STMT_VERSION_MAX,
	STMT_VERSION_LIST,
	STMT_RUN_INSERT,
	STMT_RUN_UPDATE,
	STMT_RUN_LOAD,
	STMT_RUN_LIST,
	STMT_RUN_LIST_IDS,
	STMT_RUN_LIST_STATE,
	STMT_RUN_COUNT_STATE,
	STMT_RUN_LAST,
	STMT_RUN_ACTIVE,
	STMT_RUN_INFLIGHT,
	STMT_RUN_INFLIGHT_JOBS,
	STMT_DECISION_INSERT,
	STMT_DECISION_LIST,
	STMT_SCHED_LOAD,
	STMT_SCHED_SAVE,
	STMT_PRUNE_SELECT,
	STMT_PRUNE_RUN,
	STMT_PRUNE_DECISIONS,
	STMT_TOKEN_FIND,
	STMT_TOKEN_USED,
	STMT_AUDIT_INSERT,
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_SAVEPOINT_FIRE,
	STMT_RELEASE_FIRE,
	STMT_ROLLBACK_FIRE,
	STMT_COUNT
};

extern const char *const store_sql[STMT_COUNT];
extern const char *const store_migrations[];
extern const size_t store_nmigrations;

struct run;
struct run_filter;

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmts[STMT_COUNT];
	int in_group;    /* the lazy group transaction is open */
	int in_explicit; /* store_begin was called: its nesting depth */
	int doomed;      /* an inner level rolled back: the outer must */
	struct store_cache *cache;   /* recently loaded jobs (store-cache.c) */
	struct store_tokens *tokens; /* recently found tokens (store-auth.c) */
};

/* store.c */
sqlite3_stmt *store_stmt(struct store *st, enum store_stmt id);
int store_step_done(struct store *st, sqlite3_stmt *s);
int store_write_begin(struct store *st);
/*
 * A statement prepared for one call (the cached ones are store_stmt's);
 * done steps it (no rows) and finalizes it, 0 or -1.
 */
sqlite3_stmt *store_prepare(struct store *st, const char *sql);
int store_done(struct store *st, sqlite3_stmt *s);
void store_bind_time(sqlite3_stmt *s, int i, int64_t t);
void store_bind_text(sqlite3_stmt *s, int i, const char *t);
const char *store_col_text(sqlite3_stmt *s, int i);

/*
 * store-cache.c: parsed jobs recently loaded. The by_ functions return the
 * caller's copy or NULL on a miss; add keeps a copy of JOB; forget and
 * clear drop what a write or a rollback made stale.
 */
/*
 * The printed JSON of finished runs (store-cache.c). get returns the text
 * kept for run ID (not NUL-terminated beyond LEN; valid until the next
 * store call) or NULL; put takes TEXT over; forget drops what a write of
 * run ID made stale.
 */
const char *store_runtext_get(struct store *st, int64_t id, size_t *len);
void store_runtext_put(struct store *st, int64_t id, char *text, size_t len);
void store_runtext_forget(struct store *st, int64_t id);
/*
 * Whole listings of store_run_list_text: get returns the text printed for
 * filter F if no run was written since, or NULL; put keeps a copy.
 */
const char *store_runlist_get(
    struct store *st, const struct run_filter *f, size_t *len);
void store_runlist_put(
    struct store *st, const struct run_filter *f, const char *text, size_t len);

struct job *store_cache_by_id(struct store *st, int64_t id);
/*
 * The last run of cached job JOB_ID as of the latest run write: 1 with
 * *RUN filled, -1 if it has none, 0 if not known. put records it (RUN
 * NULL: none).
 */
int store_cache_last_run(struct store *st, int64_t job_id, struct run *run);
void store_cache_last_run_put(
    struct store *st, int64_t job_id, const struct run *run);
struct job *store_cache_by_name(
    struct store *st, uid_t owner, const char *name);
void store_cache_add(struct store *st, const struct job *job);
void store_cache_forget(struct store *st, int64_t id);
void store_cache_clear(struct store *st);
/* Runs SQL without parameters (transaction control); logs a failure. */
int store_exec(struct store *st, const char *sql);
/* Runs cached statement ID, which returns no rows; 0, or -1 logged. */
int store_exec_stmt(struct store *st, enum store_stmt id);
void store_cache_free(struct store *st);

#endif
