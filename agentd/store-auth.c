/* SPDX-License-Identifier: ISC */
/*
 * The remote-control tables: API tokens (only their SHA-256 is kept, with
 * a short prefix to find the row) and the audit log, both made by the
 * store's numbered migrations (store-sql.c). The statements of every
 * request (token lookup and use, audit insert) are the store's cached
 * ones; the rest are prepared per call.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "log.h"
#include "remote.h"
#include "store-sql.h"
#include "util.h"
#include "xmalloc.h"

#define TOKEN_COLS                                                             \
	"id, prefix, hash, owner, name, scopes, created_at, expires_at,"       \
	" revoked_at, last_used_at"

/*
 * The last few tokens found by prefix: every remote request looks its
 * token up, and the lookup was a fifth of the daemon's CPU per request.
 * Any write of a token drops them all (as does a rollback, through
 * store_cache_clear), so a revoked token is never served from here.
 */
#define TOKEN_SLOTS 8

struct store_tokens {
	struct token_row rows[TOKEN_SLOTS];
	size_t n, next;
};

static void
store_tokens_drop(struct store *st)
{
	free(st->tokens);
	st->tokens = NULL;
}

int
store_token_insert(struct store *st, struct token_row *t)
{
	sqlite3_stmt *s;

	store_tokens_drop(st);
	if (store_write_begin(st) == -1)
		return -1;
	s = store_prepare(st,
	    "INSERT INTO api_tokens (prefix, hash, owner, name, scopes,"
	    " created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (s == NULL)
		return -1;
	store_bind_text(s, 1, t->prefix);
	sqlite3_bind_blob(s, 2, t->hash, AUTH_HASH_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, (int64_t)t->owner);
	store_bind_text(s, 4, t->name);
	sqlite3_bind_int(s, 5, (int)t->scopes);
	sqlite3_bind_int64(s, 6, t->created_at);
	store_bind_time(s, 7, t->expires_at);
	if (store_done(st, s) == -1)
		return -1;
	t->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static void
store_token_row(sqlite3_stmt *s, struct token_row *t)
{
	const void *hash = sqlite3_column_blob(s, 2);

	memset(t, 0, sizeof *t);
	t->id = sqlite3_column_int64(s, 0);
	strlcpy(t->prefix, store_col_text(s, 1), sizeof t->prefix);
	if (hash != NULL && sqlite3_column_bytes(s, 2) == AUTH_HASH_LEN)
		memcpy(t->hash, hash, AUTH_HASH_LEN);
	t->owner = (uid_t)sqlite3_column_int64(s, 3);
	strlcpy(t->name, store_col_text(s, 4), sizeof t->name);
	t->scopes = (unsigned int)sqlite3_column_int(s, 5);
	t->created_at = sqlite3_column_int64(s, 6);
	t->expires_at = sqlite3_column_int64(s, 7);
	t->revoked_at = sqlite3_column_int64(s, 8);
	t->last_used_at = sqlite3_column_int64(s, 9);
}

/* Runs S (its parameters bound) for one token row. */
static int
store_token_one(sqlite3_stmt *s, struct token_row *t)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		store_token_row(s, t);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	errno = rc == SQLITE_DONE ? ENOENT : EIO;
	return -1;
}

int
store_token_find(struct store *st, const char *prefix, struct token_row *t)
{
	struct store_tokens *c = st->tokens;
	sqlite3_stmt *s;
	size_t i;
	int rc;

	for (i = 0; c != NULL && i < c->n; i++) {
		if (strcmp(c->rows[i].prefix, prefix) == 0) {
			*t = c->rows[i];
			return 0;
		}
	}
	if ((s = store_stmt(st, STMT_TOKEN_FIND)) == NULL)
		return -1;
	store_bind_text(s, 1, prefix);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		store_token_row(s, t);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		errno = rc == SQLITE_DONE ? ENOENT : EIO;
		return -1;
	}
	if ((c = st->tokens) == NULL)
		c = st->tokens = xcalloc(1, sizeof *c);
	c->rows[c->next] = *t;
	c->next = (c->next + 1) % TOKEN_SLOTS;
	if (c->n < TOKEN_SLOTS)
		c->n++;
	return 0;
}

int
store_token_load(struct store *st, int64_t id, struct token_row *t)
{
	sqlite3_stmt *s;

	s = store_prepare(
	    st, "SELECT " TOKEN_COLS " FROM api_tokens WHERE id = ?1");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	return store_token_one(s, t);
}

static void
store_json_time(cJSON *obj, const char *key, int64_t t)
{
	char buf[64];

	if (t == 0) {
		cJSON_AddNullToObject(obj, key);
		return;
	}
	util_format_utc(buf, sizeof buf, t);
	cJSON_AddStringToObject(obj, key, buf);
}

cJSON *
store_token_to_json(const struct token_row *t, int64_t now)
{
	cJSON *obj;
	char scopes[64];

	obj = cJSON_CreateObject();
	cJSON_AddNumberToObject(obj, "id", (double)t->id);
	cJSON_AddStringToObject(obj, "name", t->name);
	cJSON_AddStringToObject(obj, "prefix", t->prefix);
	cJSON_AddNumberToObject(obj, "owner", (double)t->owner);
	auth_scopes_format(t->scopes, scopes, sizeof scopes);
	cJSON_AddStringToObject(obj, "scopes", scopes);
	store_json_time(obj, "created_at", t->created_at);
	store_json_time(obj, "expires_at", t->expires_at);
	store_json_time(obj, "revoked_at", t->revoked_at);
	store_json_time(obj, "last_used_at", t->last_used_at);
	/*
	 * Said outright, so no client has to compare expires_at with a
	 * clock of its own (which may not be the daemon's).
	 */
	cJSON_AddStringToObject(
	    obj, "state", auth_token_state_name(auth_token_state(t, now)));
	return obj;
}

int
store_token_list(
    struct store *st, uid_t owner, int any_owner, int64_t now, cJSON **out)
{
	sqlite3_stmt *s;
	struct token_row t;
	cJSON *list;
	int rc;

	s = store_prepare(st,
	    "SELECT " TOKEN_COLS " FROM api_tokens WHERE ?1 OR owner = ?2"
	    " ORDER BY id DESC");
	if (s == NULL)
		return -1;
	sqlite3_bind_int(s, 1, any_owner);
	sqlite3_bind_int64(s, 2, (int64_t)owner);
	*out = cJSON_CreateObject();
	list = cJSON_AddArrayToObject(*out, "tokens");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_token_row(s, &t);
		cJSON_AddItemToArray(list, store_token_to_json(&t, now));
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return 0;
	cJSON_Delete(*out);
	*out = NULL;
	errno = EIO;
	return -1;
}

static int
store_token_set_time(struct store *st, const char *sql, int64_t id, int64_t now)
{
	sqlite3_stmt *s;

	store_tokens_drop(st);
	if (store_write_begin(st) == -1)
		return -1;
	if ((s = store_prepare(st, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, id);
	return store_done(st, s);
}

int
store_token_revoke(struct store *st, int64_t id, int64_t now)
{
	return store_token_set_time(st,
	    "UPDATE api_tokens SET revoked_at = ?1 WHERE id = ?2"
	    " AND revoked_at IS NULL",
	    id, now);
}

int
store_token_used(struct store *st, int64_t id, int64_t now)
{
	sqlite3_stmt *s;

	store_tokens_drop(st);
	if (store_write_begin(st) == -1 ||
	    (s = store_stmt(st, STMT_TOKEN_USED)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, id);
	return store_step_done(st, s);
}

int
store_audit_add(struct store *st, const struct audit_row *a)
{
	sqlite3_stmt *s;

	if (store_write_begin(st) == -1)
		return -1;
	if ((s = store_stmt(st, STMT_AUDIT_INSERT)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, a->at);
	store_bind_text(s, 2, a->principal);
	store_bind_text(s, 3, a->source);
	store_bind_text(s, 4, a->method);
	store_bind_text(s, 5, a->path);
	sqlite3_bind_int(s, 6, a->status);
	if (a->job != NULL)
		store_bind_text(s, 7, a->job);
	store_bind_time(s, 8, a->run);
	return store_step_done(st, s);
}

int
store_audit_list(struct store *st, const struct audit_filter *f, cJSON **out)
{
	sqlite3_stmt *s;
	cJSON *list, *rec;
	int rc;

	s = store_prepare(st,
	    "SELECT id, at, principal, source, method, path, status, job, run"
	    " FROM audit WHERE at >= ?1 AND (?2 IS NULL OR principal = ?2)"
	    " AND (?3 IS NULL OR job = ?3)"
	    " AND (?4 = 0 OR status BETWEEN ?4 AND ?6)"
	    " AND (?7 = 0 OR at < ?7)"
	    " AND (?8 = 0 OR status IN (401, 403, 429))"
	    " ORDER BY id DESC LIMIT ?5");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, f->since);
	if (f->principal != NULL)
		store_bind_text(s, 2, f->principal);
	if (f->job != NULL)
		store_bind_text(s, 3, f->job);
	sqlite3_bind_int(s, 4, f->status_min);
	sqlite3_bind_int(s, 5, f->limit > 0 ? f->limit : 100);
	sqlite3_bind_int(s, 6, f->status_max);
	sqlite3_bind_int64(s, 7, f->until);
	sqlite3_bind_int(s, 8, f->denied);
	*out = cJSON_CreateObject();
	list = cJSON_AddArrayToObject(*out, "records");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		rec = cJSON_CreateObject();
		cJSON_AddNumberToObject(
		    rec, "id", (double)sqlite3_column_int64(s, 0));
		store_json_time(rec, "at", sqlite3_column_int64(s, 1));
		cJSON_AddStringToObject(rec, "principal", store_col_text(s, 2));
		cJSON_AddStringToObject(rec, "source", store_col_text(s, 3));
		cJSON_AddStringToObject(rec, "method", store_col_text(s, 4));
		cJSON_AddStringToObject(rec, "path", store_col_text(s, 5));
		cJSON_AddNumberToObject(
		    rec, "status", sqlite3_column_int(s, 6));
		if (sqlite3_column_type(s, 7) == SQLITE_NULL)
			cJSON_AddNullToObject(rec, "job");
		else
			cJSON_AddStringToObject(
			    rec, "job", store_col_text(s, 7));
		if (sqlite3_column_type(s, 8) == SQLITE_NULL)
			cJSON_AddNullToObject(rec, "run");
		else
			cJSON_AddNumberToObject(
			    rec, "run", (double)sqlite3_column_int64(s, 8));
		cJSON_AddItemToArray(list, rec);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return 0;
	cJSON_Delete(*out);
	*out = NULL;
	errno = EIO;
	return -1;
}

int
store_audit_prune(struct store *st, int64_t before)
{
	sqlite3_stmt *s;

	if (store_write_begin(st) == -1)
		return -1;
	if ((s = store_prepare(st, "DELETE FROM audit WHERE at < ?1")) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, before);
	if (store_done(st, s) == -1)
		return -1;
	return sqlite3_changes(st->db);
}

int
store_decision_counts(struct store *st,
    void (*cb)(const char *outcome, int64_t n, void *arg), void *arg)
{
	sqlite3_stmt *s;
	int rc;

	s = store_prepare(st,
	    "SELECT outcome, count(*) FROM decisions GROUP BY outcome"
	    " ORDER BY outcome");
	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cb(store_col_text(s, 0), sqlite3_column_int64(s, 1), arg);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}
