/* SPDX-License-Identifier: ISC */
/*
 * The store's runs, decisions, schedule state and retention. Run updates
 * go into the group transaction; firing is its own transaction.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "agentd.h"
#include "log.h"
#include "store-sql.h"
#include "xmalloc.h"

static void
bind_run(sqlite3_stmt *s, const struct run *r)
{
	if (r->id != 0)
		sqlite3_bind_int64(s, 1, r->id);
	sqlite3_bind_int64(s, 2, r->job_id);
	store_bind_text(s, 3, r->job);
	sqlite3_bind_int64(s, 4, r->owner);
	sqlite3_bind_int(s, 5, r->attempt);
	store_bind_time(s, 6, r->first_run_id);
	store_bind_text(s, 7, run_trigger_name(r->trigger));
	sqlite3_bind_int(s, 8, r->schedule);
	store_bind_time(s, 9, r->scheduled_at);
	store_bind_time(s, 10, r->queued_at);
	store_bind_time(s, 11, r->not_before);
	store_bind_time(s, 12, r->started_at);
	store_bind_time(s, 13, r->finished_at);
	store_bind_time(s, 14, r->pid);
	if (r->exit_code >= 0)
		sqlite3_bind_int(s, 15, r->exit_code);
	store_bind_time(s, 16, r->signal);
	store_bind_time(s, 17, r->http_status);
	store_bind_text(s, 18, run_state_name(r->state));
	sqlite3_bind_int64(s, 19, r->output_bytes);
	store_bind_text(s, 20, r->triggered_by);
	store_bind_text(s, 21, r->host);
	sqlite3_bind_int64(s, 22, r->missed_count);
	store_bind_text(s, 23, r->boot_id);
	store_bind_text(s, 24, r->message);
	store_bind_time(s, 25, r->cpu_usec);
	store_bind_time(s, 26, r->peak_memory);
	sqlite3_bind_int64(s, 27, r->published_at);
}

static void
run_from_row(sqlite3_stmt *s, struct run *r)
{
	int x;

	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(s, 0);
	r->job_id = sqlite3_column_int64(s, 1);
	strlcpy(r->job, store_col_text(s, 2), sizeof r->job);
	r->owner = (uid_t)sqlite3_column_int64(s, 3);
	r->attempt = sqlite3_column_int(s, 4);
	r->first_run_id = sqlite3_column_int64(s, 5);
	x = run_trigger_parse(store_col_text(s, 6));
	r->trigger = x < 0 ? TRIGGER_MANUAL : (enum run_trigger)x;
	r->schedule = sqlite3_column_int(s, 7);
	r->scheduled_at = sqlite3_column_int64(s, 8);
	r->queued_at = sqlite3_column_int64(s, 9);
	r->not_before = sqlite3_column_int64(s, 10);
	r->started_at = sqlite3_column_int64(s, 11);
	r->finished_at = sqlite3_column_int64(s, 12);
	r->pid = (pid_t)sqlite3_column_int64(s, 13);
	if (sqlite3_column_type(s, 14) == SQLITE_NULL)
		r->exit_code = -1;
	else
		r->exit_code = sqlite3_column_int(s, 14);
	r->signal = sqlite3_column_int(s, 15);
	r->http_status = sqlite3_column_int(s, 16);
	x = run_state_parse(store_col_text(s, 17));
	r->state = x < 0 ? RUN_LOST : (enum run_state)x;
	r->output_bytes = sqlite3_column_int64(s, 18);
	strlcpy(r->triggered_by, store_col_text(s, 19), sizeof r->triggered_by);
	strlcpy(r->host, store_col_text(s, 20), sizeof r->host);
	r->missed_count = sqlite3_column_int64(s, 21);
	strlcpy(r->boot_id, store_col_text(s, 22), sizeof r->boot_id);
	strlcpy(r->message, store_col_text(s, 23), sizeof r->message);
	r->cpu_usec = sqlite3_column_int64(s, 24);
	r->peak_memory = sqlite3_column_int64(s, 25);
	r->published_at = sqlite3_column_int64(s, 26);
}

/* Inserts without opening a transaction: the caller holds one. */
static int
run_insert(struct store *st, struct run *run)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STMT_RUN_INSERT)) == NULL)
		return -1;
	bind_run(s, run);
	if (store_step_done(st, s) == -1)
		return -1;
	run->id = sqlite3_last_insert_rowid(st->db);
	/* Without AUTOINCREMENT a pruned highest id comes back. */
	store_runtext_forget(st, run->id);
	if (run->first_run_id == 0) {
		run->first_run_id = run->id;
		return store_run_update(st, run);
	}
	return 0;
}

int
store_run_insert(struct store *st, struct run *run)
{
	if (store_write_begin(st) == -1)
		return -1;
	return run_insert(st, run);
}

int
store_run_update(struct store *st, const struct run *run)
{
	sqlite3_stmt *s;

	if (store_write_begin(st) == -1)
		return -1;
	if ((s = store_stmt(st, STMT_RUN_UPDATE)) == NULL)
		return -1;
	store_runtext_forget(st, run->id);
	bind_run(s, run);
	return store_step_done(st, s);
}

/* The one run that statement WHICH finds for KEY; -1 with ENOENT if none. */
static int
run_load_one(
    struct store *st, enum store_stmt which, int64_t key, struct run *run)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, which)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, key);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		errno = ENOENT;
		return -1;
	}
	run_from_row(s, run);
	sqlite3_reset(s);
	return 0;
}

int
store_run_load(struct store *st, int64_t id, struct run *run)
{
	return run_load_one(st, STMT_RUN_LOAD, id, run);
}

static int
run_collect(sqlite3_stmt *s, struct run **runs, size_t *nruns)
{
	struct run *v = NULL;
	size_t n = 0;

	while (sqlite3_step(s) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof *v);
		run_from_row(s, &v[n++]);
	}
	sqlite3_reset(s);
	*runs = v;
	*nruns = n;
	return 0;
}

/* The statement of store_run_list with F bound, or NULL. */
static sqlite3_stmt *
run_list_stmt(
    struct store *st, enum store_stmt which, const struct run_filter *f)
{
	sqlite3_stmt *s;
	int limit;

	if ((s = store_stmt(st, which)) == NULL)
		return NULL;
	if (f->job != NULL)
		store_bind_text(s, 1, f->job);
	sqlite3_bind_int64(s, 2, f->job_id);
	if (f->state >= 0)
		store_bind_text(s, 3, run_state_name((enum run_state)f->state));
	sqlite3_bind_int64(s, 4, f->before);
	sqlite3_bind_int(s, 5, f->any_owner);
	sqlite3_bind_int64(s, 6, f->owner);
	limit = f->limit <= 0 ? 50 : f->limit > 1000 ? 1000 : f->limit;
	sqlite3_bind_int(s, 7, limit);
	return s;
}

int
store_run_list(struct store *st, const struct run_filter *f, struct run **runs,
    size_t *nruns)
{
	sqlite3_stmt *s;

	if ((s = run_list_stmt(st, STMT_RUN_LIST, f)) == NULL)
		return -1;
	return run_collect(s, runs, nruns);
}

static void
text_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		while (*len + n + 1 > *cap)
			*cap *= 2;
		*buf = xreallocarray(*buf, 1, *cap);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/*
 * Appends run ID printed to the buffer: from the cache when it is over
 * and was printed before, else loaded and printed (and kept if over).
 */
static int
run_text_append(
    struct store *st, int64_t id, char **buf, size_t *n, size_t *cap)
{
	const char *t;
	struct run r;
	size_t tlen;
	cJSON *o;
	char *p;

	if ((t = store_runtext_get(st, id, &tlen)) != NULL) {
		text_append(buf, n, cap, t, tlen);
		return 0;
	}
	if (run_load_one(st, STMT_RUN_LOAD, id, &r) == -1)
		return -1;
	o = ops_run_to_json(&r);
	p = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (p == NULL)
		fatalx("store: out of memory printing a run");
	tlen = strlen(p);
	text_append(buf, n, cap, p, tlen);
	if (run_state_final(r.state))
		store_runtext_put(st, r.id, p, tlen);
	else
		free(p);
	return 0;
}

int
store_run_list_text(
    struct store *st, const struct run_filter *f, char **text, size_t *len)
{
	static const char head[] = "{\"runs\":[", tail[] = "]}\n";
	int64_t ids[1000];
	sqlite3_stmt *s;
	size_t cap = 8192, n = 0, nids = 0, i;
	const char *t;
	char *buf;

	if ((t = store_runlist_get(st, f, &n)) != NULL) {
		*text = xmalloc(n + 1);
		memcpy(*text, t, n);
		(*text)[n] = '\0';
		*len = n;
		return 0;
	}
	/* The ids first, then each run: most come from the cache, so only
	 * the missing ones are read in full. */
	if ((s = run_list_stmt(st, STMT_RUN_LIST_IDS, f)) == NULL)
		return -1;
	while (
	    nids < sizeof ids / sizeof ids[0] && sqlite3_step(s) == SQLITE_ROW)
		ids[nids++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	buf = xmalloc(cap);
	text_append(&buf, &n, &cap, head, sizeof head - 1);
	for (i = 0; i < nids; i++) {
		if (i > 0)
			text_append(&buf, &n, &cap, ",", 1);
		if (run_text_append(st, ids[i], &buf, &n, &cap) == -1) {
			free(buf);
			return -1;
		}
	}
	text_append(&buf, &n, &cap, tail, sizeof tail - 1);
	store_runlist_put(st, f, buf, n);
	*text = buf;
	*len = n;
	return 0;
}

int
store_run_list_state(
    struct store *st, enum run_state state, struct run **runs, size_t *nruns)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STMT_RUN_LIST_STATE)) == NULL)
		return -1;
	store_bind_text(s, 1, run_state_name(state));
	return run_collect(s, runs, nruns);
}

int
store_run_list_active(
    struct store *st, int64_t job_id, struct run **runs, size_t *nruns)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STMT_RUN_ACTIVE)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, job_id);
	return run_collect(s, runs, nruns);
}

int
store_run_count_state(struct store *st, enum run_state state)
{
	sqlite3_stmt *s;
	int n = 0;

	if ((s = store_stmt(st, STMT_RUN_COUNT_STATE)) == NULL)
		return -1;
	store_bind_text(s, 1, run_state_name(state));
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return n;
}

int
store_run_count_inflight(struct store *st, int64_t job_id)
{
	sqlite3_stmt *s;
	int n = 0;

	if ((s = store_stmt(st, STMT_RUN_INFLIGHT)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, job_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return n;
}

int
store_run_inflight_jobs(struct store *st, int64_t **job_ids, size_t *n)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc;

	*job_ids = NULL;
	*n = 0;
	if ((s = store_stmt(st, STMT_RUN_INFLIGHT_JOBS)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			*job_ids =
			    xreallocarray(*job_ids, cap, sizeof **job_ids);
		}
		(*job_ids)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(*job_ids);
		*job_ids = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int
store_run_last(struct store *st, int64_t job_id, struct run *run)
{
	switch (store_cache_last_run(st, job_id, run)) {
	case 1:
		return 0;
	case -1:
		errno = ENOENT;
		return -1;
	}
	if (run_load_one(st, STMT_RUN_LAST, job_id, run) == -1) {
		if (errno == ENOENT)
			store_cache_last_run_put(st, job_id, NULL);
		return -1;
	}
	store_cache_last_run_put(st, job_id, run);
	return 0;
}

static int
decision_insert(struct store *st, struct decision *d)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STMT_DECISION_INSERT)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, d->job_id);
	store_bind_text(s, 2, d->job);
	sqlite3_bind_int64(s, 3, d->slot);
	store_bind_text(s, 4, decision_outcome_name(d->outcome));
	store_bind_time(s, 5, d->run_id);
	store_bind_text(s, 6, d->detail);
	sqlite3_bind_int64(s, 7, d->decided_at);
	if (store_step_done(st, s) == -1)
		return -1;
	d->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_decision_add(struct store *st, struct decision *d)
{
	if (store_write_begin(st) == -1)
		return -1;
	return decision_insert(st, d);
}

int
store_decision_list(struct store *st, int64_t job_id, int limit, int64_t before,
    struct decision **ds, size_t *nds)
{
	sqlite3_stmt *s;
	struct decision *v = NULL, *d;
	size_t n = 0;
	int x;

	if ((s = store_stmt(st, STMT_DECISION_LIST)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, job_id);
	sqlite3_bind_int64(s, 2, before);
	sqlite3_bind_int(s, 3, limit <= 0 ? 50 : limit > 1000 ? 1000 : limit);
	while (sqlite3_step(s) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof *v);
		d = &v[n++];
		memset(d, 0, sizeof *d);
		d->id = sqlite3_column_int64(s, 0);
		d->job_id = sqlite3_column_int64(s, 1);
		strlcpy(d->job, store_col_text(s, 2), sizeof d->job);
		d->slot = sqlite3_column_int64(s, 3);
		x = decision_outcome_parse(store_col_text(s, 4));
		d->outcome =
		    x < 0 ? DECISION_EXPIRED : (enum decision_outcome)x;
		d->run_id = sqlite3_column_int64(s, 5);
		strlcpy(d->detail, store_col_text(s, 6), sizeof d->detail);
		d->decided_at = sqlite3_column_int64(s, 7);
	}
	sqlite3_reset(s);
	*ds = v;
	*nds = n;
	return 0;
}

int
store_sched_load(struct store *st, int64_t job_id, int idx, int64_t *last_slot,
    int64_t *next_fire)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STMT_SCHED_LOAD)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, job_id);
	sqlite3_bind_int(s, 2, idx);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		errno = ENOENT;
		return -1;
	}
	*last_slot = sqlite3_column_int64(s, 0);
	*next_fire = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	return 0;
}

static int
sched_save(struct store *st, int64_t job_id, int idx, int64_t last_slot,
    int64_t next_fire)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STMT_SCHED_SAVE)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, job_id);
	sqlite3_bind_int(s, 2, idx);
	sqlite3_bind_int64(s, 3, last_slot);
	sqlite3_bind_int64(s, 4, next_fire);
	return store_step_done(st, s);
}

int
store_sched_save(struct store *st, int64_t job_id, int idx, int64_t last_slot,
    int64_t next_fire)
{
	if (store_write_begin(st) == -1)
		return -1;
	return sched_save(st, job_id, idx, last_slot, next_fire);
}

/*
 * Inside an explicit transaction (the scheduler fires a whole tick in one)
 * each fire is a savepoint: one that fails leaves the others standing.
 */
int
store_fire(struct store *st, struct run *run, struct decision *d, int idx,
    int64_t last_slot, int64_t next_fire)
{
	int nested = st->in_explicit > 0;

	if ((nested ? store_exec_stmt(st, STMT_SAVEPOINT_FIRE)
	            : store_begin(st)) == -1)
		return -1;
	if (run != NULL) {
		if (run_insert(st, run) == -1)
			goto fail;
		d->run_id = run->id;
	}
	if (decision_insert(st, d) == -1)
		goto fail;
	if (idx >= 0 &&
	    sched_save(st, d->job_id, idx, last_slot, next_fire) == -1)
		goto fail;
	if ((nested ? store_exec_stmt(st, STMT_RELEASE_FIRE)
	            : store_commit(st)) == -1)
		goto fail;
	return 0;

fail:
	if (nested) {
		store_exec_stmt(st, STMT_ROLLBACK_FIRE);
		store_exec_stmt(st, STMT_RELEASE_FIRE);
		store_cache_clear(st);
	} else
		store_rollback(st);
	if (run != NULL)
		run->id = run->first_run_id = 0;
	d->run_id = 0;
	return -1;
}

int
store_prune(struct store *st, int64_t before, int keep,
    void (*cb)(int64_t id, void *arg), void *arg)
{
	sqlite3_stmt *s, *del;
	int64_t *ids = NULL;
	size_t n = 0, i;

	if ((s = store_stmt(st, STMT_PRUNE_SELECT)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_int(s, 2, keep);
	while (sqlite3_step(s) == SQLITE_ROW) {
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (store_write_begin(st) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		if ((del = store_stmt(st, STMT_PRUNE_RUN)) == NULL)
			goto fail;
		sqlite3_bind_int64(del, 1, ids[i]);
		store_runtext_forget(st, ids[i]);
		if (store_step_done(st, del) == -1)
			goto fail;
		if (cb != NULL)
			cb(ids[i], arg);
	}
	if ((del = store_stmt(st, STMT_PRUNE_DECISIONS)) == NULL)
		goto fail;
	sqlite3_bind_int64(del, 1, before);
	if (store_step_done(st, del) == -1)
		goto fail;
	free(ids);
	return (int)n;

fail:
	free(ids);
	return -1;
}
