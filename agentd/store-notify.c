/* SPDX-License-Identifier: ISC */
/*
 * The notifications table: one row per delivery attempt of a notify
 * target, so an operator sees what was sent, when, and why it failed.
 * Statements are prepared per call: notifications are rare.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "agentd.h"
#include "log.h"
#include "store-sql.h"
#include "util.h"

#define NOTIFY_COLS                                                            \
	"id, run_id, job_id, job, owner, target, kind, dest, event, "          \
	"attempt, status, code, error, created_at, duration_ms"

int
store_notify_add(struct store *st, struct notify_row *r)
{
	sqlite3_stmt *s;
	int rc;

	if (store_write_begin(st) == -1 ||
	    sqlite3_prepare_v2(st->db,
	        "INSERT INTO notifications (run_id, job_id, job, owner,"
	        " target, kind, dest, event, attempt, status, code, error,"
	        " created_at, duration_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
	        " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
	        -1, &s, NULL) != SQLITE_OK)
		return -1;
	store_bind_time(s, 1, r->run_id);
	sqlite3_bind_int64(s, 2, r->job_id);
	store_bind_text(s, 3, r->job);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)r->owner);
	sqlite3_bind_int(s, 5, r->target);
	store_bind_text(s, 6, r->kind);
	store_bind_text(s, 7, r->dest);
	store_bind_text(s, 8, r->event);
	sqlite3_bind_int(s, 9, r->attempt);
	store_bind_text(s, 10, r->status);
	if (r->code < 0)
		sqlite3_bind_null(s, 11);
	else
		sqlite3_bind_int(s, 11, r->code);
	store_bind_text(s, 12, r->error);
	sqlite3_bind_int64(s, 13, r->created_at);
	sqlite3_bind_int64(s, 14, r->duration_ms);
	rc = store_step_done(st, s);
	if (rc == 0)
		r->id = sqlite3_last_insert_rowid(st->db);
	sqlite3_finalize(s);
	return rc;
}

static cJSON *
row_json(sqlite3_stmt *s)
{
	char buf[32];
	cJSON *o;

	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(s, 0));
	if (sqlite3_column_type(s, 1) == SQLITE_NULL)
		cJSON_AddNullToObject(o, "run_id");
	else
		cJSON_AddNumberToObject(
		    o, "run_id", (double)sqlite3_column_int64(s, 1));
	cJSON_AddStringToObject(o, "job", store_col_text(s, 3));
	cJSON_AddNumberToObject(o, "target", sqlite3_column_int(s, 5));
	cJSON_AddStringToObject(o, "kind", store_col_text(s, 6));
	cJSON_AddStringToObject(o, "dest", store_col_text(s, 7));
	cJSON_AddStringToObject(o, "event", store_col_text(s, 8));
	cJSON_AddNumberToObject(o, "attempt", sqlite3_column_int(s, 9));
	cJSON_AddStringToObject(o, "status", store_col_text(s, 10));
	if (sqlite3_column_type(s, 11) == SQLITE_NULL)
		cJSON_AddNullToObject(o, "code");
	else
		cJSON_AddNumberToObject(o, "code", sqlite3_column_int(s, 11));
	cJSON_AddStringToObject(o, "error", store_col_text(s, 12));
	util_format_utc(buf, sizeof buf, sqlite3_column_int64(s, 13));
	cJSON_AddStringToObject(o, "created_at", buf);
	cJSON_AddNumberToObject(
	    o, "duration_ms", (double)sqlite3_column_int64(s, 14));
	return o;
}

int
store_notify_list(struct store *st, int64_t run_id, const char *job,
    uid_t owner, int limit, cJSON **out)
{
	sqlite3_stmt *s;
	cJSON *a;
	int rc;

	if (sqlite3_prepare_v2(st->db,
	        "SELECT * FROM (SELECT " NOTIFY_COLS " FROM notifications"
	        " WHERE (?1 != 0 AND run_id = ?1)"
	        " OR (?1 = 0 AND job = ?2 AND owner = ?3)"
	        " ORDER BY id DESC LIMIT ?4) ORDER BY id",
	        -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, run_id);
	store_bind_text(s, 2, job != NULL ? job : "");
	sqlite3_bind_int64(s, 3, (sqlite3_int64)owner);
	sqlite3_bind_int(s, 4, limit > 0 ? limit : 1000);
	*out = cJSON_CreateObject();
	a = cJSON_AddArrayToObject(*out, "notifications");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cJSON_AddItemToArray(a, row_json(s));
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		cJSON_Delete(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}
