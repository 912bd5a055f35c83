/* SPDX-License-Identifier: ISC */
/*
 * Jobs that came from a job file and were removed through the API with
 * --detach while the file still defines them. Without a record the next
 * reading of the directory would add them again, silently undoing the
 * removal; with it the file is refused with a message until it drops the
 * job (files.c). A row goes when its file no longer names the job.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "agentd.h"
#include "log.h"
#include "store-sql.h"
#include "xmalloc.h"

int
store_detached_add(struct store *st, uid_t owner, const char *name,
    const char *origin, int64_t now)
{
	sqlite3_stmt *s;

	if (store_write_begin(st) == -1)
		return -1;
	s = store_prepare(st,
	    "INSERT OR REPLACE INTO detached (owner, name, origin, at)"
	    " VALUES (?, ?, ?, ?)");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)owner);
	store_bind_text(s, 2, name);
	store_bind_text(s, 3, origin);
	sqlite3_bind_int64(s, 4, now);
	return store_done(st, s);
}

int
store_detached_names(
    struct store *st, uid_t owner, const char *origin, char ***names, size_t *n)
{
	sqlite3_stmt *s;
	int rc;

	*names = NULL;
	*n = 0;
	s = store_prepare(st,
	    "SELECT name FROM detached WHERE owner = ? AND origin = ?"
	    " ORDER BY name");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)owner);
	store_bind_text(s, 2, origin);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*names = xreallocarray(*names, *n + 1, sizeof **names);
		(*names)[(*n)++] = xstrdup(store_col_text(s, 0));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		log_warnx("store: cannot list detached jobs: %s",
		    sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

int
store_detached_drop(struct store *st, uid_t owner, const char *name)
{
	sqlite3_stmt *s;

	if (store_write_begin(st) == -1)
		return -1;
	s = store_prepare(
	    st, "DELETE FROM detached WHERE owner = ? AND name = ?");
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)owner);
	store_bind_text(s, 2, name);
	return store_done(st, s);
}
