/* SPDX-License-Identifier: ISC */
/*
 * The model behind cronq top: every job the daemon shows us, kept in an
 * array sorted by name (bsearch for events), and a view of pointers into
 * it, filtered and sorted only when something changed, never per frame:
 * with 10,000 jobs a frame must cost only the rows it draws. The finished
 * runs of the last 24 hours are kept for the header's counts.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "top.h"
#include "tz.h"
#include "xmalloc.h"

#define TOP_DAY 86400

struct top_model *
top_model_create(void)
{
	struct top_model *m;

	m = xcalloc(1, sizeof *m);
	m->max_running = -1;
	m->started_at = -1;
	return m;
}

static void
top_job_free(struct top_job *j)
{
	if (j == NULL)
		return;
	free(j->schedule);
	free(j->exprs);
	free(j);
}

void
top_model_free(struct top_model *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->njobs; i++)
		top_job_free(m->jobs[i]);
	free(m->jobs);
	free(m->view);
	free(m->done);
	free(m);
}

/* The index of NAME in the jobs array, or where it would go (*found 0). */
static size_t
top_model_index(const struct top_model *m, const char *name, int *found)
{
	size_t lo = 0, hi = m->njobs, mid;
	int c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(m->jobs[mid]->name, name);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct top_job *
top_model_find(const struct top_model *m, const char *name)
{
	size_t i;
	int found;

	i = top_model_index(m, name, &found);
	return found ? m->jobs[i] : NULL;
}

int
top_state_failed(const char *state)
{
	return strcmp(state, "failed") == 0 ||
	    strcmp(state, "timed_out") == 0 || strcmp(state, "lost") == 0;
}

static int
top_state_active(const char *state)
{
	return strcmp(state, "queued") == 0 || strcmp(state, "running") == 0 ||
	    strcmp(state, "retrying") == 0;
}

/* One letter per outcome for the trend column. */
char
top_state_letter(const char *state)
{
	if (strcmp(state, "succeeded") == 0)
		return '+';
	if (strcmp(state, "failed") == 0)
		return 'x';
	if (strcmp(state, "timed_out") == 0)
		return 't';
	if (strcmp(state, "cancelled") == 0)
		return 'c';
	if (strcmp(state, "lost") == 0)
		return 'l';
	if (strcmp(state, "skipped") == 0)
		return '-';
	return '?';
}

void
top_model_status(struct top_model *m, const cJSON *st)
{
	long long n;

	strlcpy(m->version, print_str(st, "version", "?"), sizeof m->version);
	m->started_at = print_json_time(st, "started_at");
	m->max_running = print_int(st, "max_running", &n) == 0 ? (long)n : -1;
}

/*
 * Parses the job's calendar schedules (with its zone and dst policy) so
 * NEXT can move on locally; @every, @reboot and anything that does not
 * parse are left to the daemon's updates.
 */
static void
top_job_exprs(struct top_job *j, const cJSON *o)
{
	const cJSON *s, *e, *dst;
	struct cronexpr ce;
	char *cause = NULL;

	j->nexprs = 0;
	j->tz = tz_find(print_str(o, "timezone", NULL), &cause);
	free(cause);
	cause = NULL;
	if (j->tz == NULL)
		return;
	dst = cJSON_GetObjectItemCaseSensitive(o, "dst");
	s = cJSON_GetObjectItemCaseSensitive(o, "schedules");
	j->exprs = xreallocarray(
	    j->exprs, (size_t)cJSON_GetArraySize(s) + 1, sizeof *j->exprs);
	cJSON_ArrayForEach(e, s)
	{
		if (!cJSON_IsString(e) ||
		    cronexpr_parse(&ce, e->valuestring, j->name, &cause) ==
		        -1 ||
		    ce.kind != CRON_CALENDAR ||
		    cronexpr_set_dst(&ce, print_str(dst, "gap", "next"),
		        print_str(dst, "repeat", "first"), &cause) == -1) {
			free(cause);
			cause = NULL;
			continue;
		}
		j->exprs[j->nexprs++] = ce;
	}
}

void
top_model_advance(struct top_model *m, int64_t now)
{
	int64_t best, t, soonest = INT64_MAX;
	struct top_job *j;
	size_t i, k;

	/* Most frames nothing has passed: one comparison, not a scan. */
	if (m->advance_at != 0 && now < m->advance_at)
		return;
	for (i = 0; i < m->njobs; i++) {
		j = m->jobs[i];
		if (j->paused || j->next_run < 0 || j->nexprs == 0)
			continue;
		if (j->next_run <= now) {
			best = -1;
			for (k = 0; k < j->nexprs; k++)
				if (cronexpr_next(&j->exprs[k], j->tz, now, &t,
				        NULL) == 0 &&
				    (best < 0 || t < best))
					best = t;
			if (best >= 0) {
				j->next_run = best;
				m->dirty = 1;
			}
		}
		if (j->next_run > now && j->next_run < soonest)
			soonest = j->next_run;
	}
	m->advance_at = soonest;
}

/* Copies the fields of JSON job J into the row. */
static void
top_job_set(struct top_job *j, const cJSON *o)
{
	const cJSON *s, *e, *lr;
	char buf[1024];
	long long n;

	s = cJSON_GetObjectItemCaseSensitive(o, "schedules");
	print_value(buf, sizeof buf, s);
	free(j->schedule);
	j->schedule = xstrdup(cJSON_GetArraySize(s) > 0 ? buf : "manual");
	e = cJSON_GetArrayItem(s, 0);
	j->vague = 0;
	if (cJSON_IsString(e)) {
		top_human(j->human, sizeof j->human, e->valuestring, j->name);
		n = (long long)strlen(j->human);
		j->vague =
		    (n >= 7 && strcmp(j->human + n - 7, "seconds") == 0) ||
		    (n >= 6 && strcmp(j->human + n - 6, "custom") == 0) ||
		    strcmp(j->human, "?") == 0;
		/* A job of several schedules is not its first one alone. */
		if (cJSON_GetArraySize(s) > 1) {
			n = (long long)strlen(j->human);
			snprintf(j->human + n, sizeof j->human - (size_t)n,
			    " +%d", cJSON_GetArraySize(s) - 1);
		}
	} else
		strlcpy(j->human, "manual only", sizeof j->human);
	j->owner = print_int(o, "owner", &n) == 0 ? (unsigned int)n : 0;
	j->paused = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "paused"));
	j->next_run = print_json_time(o, "next_run");
	top_job_exprs(j, o);
	lr = cJSON_GetObjectItemCaseSensitive(o, "last_run");
	if (!cJSON_IsObject(lr))
		return;
	/* The job's summary may lag an event we already applied. */
	if (print_int(lr, "id", &n) == 0 && n < j->last_id)
		return;
	j->last_id = print_int(lr, "id", &n) == 0 ? n : 0;
	strlcpy(
	    j->last_state, print_str(lr, "state", ""), sizeof j->last_state);
	j->last_exit = print_int(lr, "exit_code", &n) == 0 ? (int)n : -1;
	j->last_started = print_json_time(lr, "started_at");
	j->last_finished = print_json_time(lr, "finished_at");
}

/* The row for JSON job O, created if new. */
static struct top_job *
top_model_upsert(struct top_model *m, const cJSON *o)
{
	const char *name = print_str(o, "name", NULL);
	struct top_job *j;
	size_t i;
	int found;

	if (name == NULL || strlen(name) > CQ_NAME_MAX)
		return NULL;
	i = top_model_index(m, name, &found);
	if (found)
		j = m->jobs[i];
	else {
		if (m->njobs == m->jobs_size) {
			m->jobs_size = m->jobs_size ? m->jobs_size * 2 : 64;
			m->jobs = xreallocarray(
			    m->jobs, m->jobs_size, sizeof *m->jobs);
		}
		memmove(m->jobs + i + 1, m->jobs + i,
		    (m->njobs - i) * sizeof *m->jobs);
		j = xcalloc(1, sizeof *j);
		strlcpy(j->name, name, sizeof j->name);
		j->last_exit = -1;
		j->next_run = j->last_started = j->last_finished = -1;
		m->jobs[i] = j;
		m->njobs++;
	}
	top_job_set(j, o);
	j->seen = 1;
	m->dirty = 1;
	m->advance_at = 0;
	return j;
}

void
top_model_load_jobs(struct top_model *m, const cJSON *resp)
{
	const cJSON *o;
	size_t i, k;

	for (i = 0; i < m->njobs; i++)
		m->jobs[i]->seen = 0;
	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(resp, "jobs"))
	    top_model_upsert(m, o);

	/* What the daemon no longer lists is gone. */
	for (i = k = 0; i < m->njobs; i++) {
		if (m->jobs[i]->seen)
			m->jobs[k++] = m->jobs[i];
		else
			top_job_free(m->jobs[i]);
	}
	m->njobs = k;
	m->dirty = 1;
}

void
top_model_job_event(struct top_model *m, const cJSON *job)
{
	top_model_upsert(m, job);
}

void
top_model_remove(struct top_model *m, const char *name)
{
	size_t i;
	int found;

	i = top_model_index(m, name, &found);
	if (!found)
		return;
	top_job_free(m->jobs[i]);
	memmove(
	    m->jobs + i, m->jobs + i + 1, (m->njobs - i - 1) * sizeof *m->jobs);
	m->njobs--;
	m->dirty = 1;
}

void
top_model_clear_runs(struct top_model *m, int active_only)
{
	size_t i;

	for (i = 0; i < m->njobs; i++) {
		m->jobs[i]->active_id = 0;
		m->jobs[i]->active_state[0] = '\0';
		if (!active_only)
			m->jobs[i]->trend[0] = '\0';
	}
	if (!active_only) {
		m->ndone = 0;
		m->done_partial = 0;
	}
	m->dirty = 1;
}

/* Counts a finished run once, keeping the list in finish order. */
static void
top_model_add_done(struct top_model *m, int64_t id, int64_t fin, int failed)
{
	size_t i, lo;

	lo = m->ndone > 256 ? m->ndone - 256 : 0;
	for (i = m->ndone; i > lo; i--) {
		if (m->done[i - 1].id == id)
			return;
	}
	if (m->ndone == m->done_size) {
		m->done_size = m->done_size ? m->done_size * 2 : 256;
		m->done = xreallocarray(m->done, m->done_size, sizeof *m->done);
	}
	for (i = m->ndone; i > 0 && m->done[i - 1].finished > fin; i--)
		m->done[i] = m->done[i - 1];
	m->done[i].id = id;
	m->done[i].finished = fin;
	m->done[i].failed = failed;
	m->ndone++;
}

/* Applies one run seen in a listing (newest first) or an event. */
static void
top_model_run(struct top_model *m, const cJSON *r, int listing)
{
	const char *state = print_str(r, "state", "");
	struct top_job *j;
	int64_t fin;
	long long id;
	size_t n;

	if (print_int(r, "id", &id) == -1)
		return;
	j = top_model_find(m, print_str(r, "job", ""));
	if (top_state_active(state)) {
		if (j == NULL || (listing && j->active_id > id))
			return;
		j->active_id = id;
		strlcpy(j->active_state, state, sizeof j->active_state);
		j->active_started = print_json_time(r, "started_at");
		m->dirty = 1;
		return;
	}
	fin = print_json_time(r, "finished_at");
	if (fin >= 0 && strcmp(state, "skipped") != 0)
		top_model_add_done(m, id, fin, top_state_failed(state));
	if (j == NULL)
		return;
	n = strlen(j->trend);
	if (listing) {
		/* Newest first: later entries are older. */
		if (n < TOP_TREND) {
			j->trend[n] = top_state_letter(state);
			j->trend[n + 1] = '\0';
		}
	} else if (id > j->last_id) {
		memmove(j->trend + 1, j->trend, n < TOP_TREND ? n + 1 : n);
		j->trend[0] = top_state_letter(state);
		j->trend[TOP_TREND] = '\0';
	}
	if (j->active_id == id) {
		j->active_id = 0;
		j->active_state[0] = '\0';
	}
	if (id >= j->last_id) {
		j->last_id = id;
		strlcpy(j->last_state, state, sizeof j->last_state);
		j->last_exit =
		    print_int(r, "exit_code", &id) == 0 ? (int)id : -1;
		j->last_started = print_json_time(r, "started_at");
		j->last_finished = fin;
	}
	m->dirty = 1;
}

/*
 * Applies a page of GET /runs (newest first). Returns the id of its
 * oldest run when the next page is still inside SINCE (so the caller asks
 * for runs before it), or 0 when the listing reached past SINCE or ended.
 */
int64_t
top_model_load_runs(struct top_model *m, const cJSON *resp, int64_t since)
{
	const cJSON *runs, *r;
	int64_t t, oldest = 0;
	long long id;

	runs = cJSON_GetObjectItemCaseSensitive(resp, "runs");
	cJSON_ArrayForEach(r, runs)
	{
		top_model_run(m, r, 1);
		t = print_json_time(r, "queued_at");
		if (since > 0 && t >= 0 && t < since)
			return 0;
		if (print_int(r, "id", &id) == 0)
			oldest = id;
	}
	return oldest;
}

void
top_model_run_event(struct top_model *m, const cJSON *run, int64_t now)
{
	size_t i;

	top_model_run(m, run, 0);

	/* Forget what fell out of the 24 hour window. */
	for (i = 0; i < m->ndone && m->done[i].finished < now - TOP_DAY; i++)
		;
	if (i > 0) {
		memmove(m->done, m->done + i, (m->ndone - i) * sizeof *m->done);
		m->ndone -= i;
	}
}

const char *
top_sort_name(enum top_sort s)
{
	static const char *const names[TOP_SORT_COUNT] = { "NAME", "NEXT",
		"LAST", "RESULT", "DURATION", "OWNER" };

	return names[s];
}

/* A time for sorting: none goes last. */
static int64_t
top_key_time(int64_t t)
{
	return t < 0 ? INT64_MAX : t;
}

static int64_t
top_key_duration(const struct top_job *j)
{
	if (j->last_started < 0 || j->last_finished < j->last_started)
		return -1;
	return j->last_finished - j->last_started;
}

static int
top_cmp_int(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static enum top_sort top_qsort_key;
static int top_qsort_reverse;

static int
top_cmp(const void *pa, const void *pb)
{
	const struct top_job *a = *(struct top_job *const *)pa;
	const struct top_job *b = *(struct top_job *const *)pb;
	int c = 0;

	switch (top_qsort_key) {
	case TOP_SORT_NEXT:
		c = top_cmp_int(
		    top_key_time(a->next_run), top_key_time(b->next_run));
		break;
	case TOP_SORT_LAST:
		/* Most recent first reads best. */
		c = top_cmp_int(b->last_started, a->last_started);
		break;
	case TOP_SORT_RESULT:
		c = strcmp(a->active_state[0] ? a->active_state : a->last_state,
		    b->active_state[0] ? b->active_state : b->last_state);
		break;
	case TOP_SORT_DURATION:
		c = top_cmp_int(top_key_duration(b), top_key_duration(a));
		break;
	case TOP_SORT_OWNER:
		c = top_cmp_int(a->owner, b->owner);
		break;
	case TOP_SORT_NAME:
	case TOP_SORT_COUNT:
		break;
	}
	if (c == 0)
		c = strcmp(a->name, b->name);
	return top_qsort_reverse ? -c : c;
}

/* Rebuilds the view when the jobs, the filter or the sort changed. */
void
top_model_refresh(struct top_model *m)
{
	size_t i;

	if (!m->dirty)
		return;
	m->view = xreallocarray(m->view, m->njobs + 1, sizeof *m->view);
	m->nview = 0;
	for (i = 0; i < m->njobs; i++) {
		if (m->filter[0] != '\0' &&
		    strcasestr(m->jobs[i]->name, m->filter) == NULL)
			continue;
		m->view[m->nview++] = m->jobs[i];
	}
	top_qsort_key = m->sort;
	top_qsort_reverse = m->reverse;
	if (m->sort != TOP_SORT_NAME || m->reverse)
		qsort(m->view, m->nview, sizeof *m->view, top_cmp);
	m->dirty = 0;
}

void
top_model_counts(const struct top_model *m, int64_t now, struct top_counts *o)
{
	const struct top_job *j;
	size_t i;

	memset(o, 0, sizeof *o);
	for (i = 0; i < m->njobs; i++) {
		j = m->jobs[i];
		if (j->paused)
			o->paused++;
		else
			o->active++;
		if (top_state_failed(j->last_state))
			o->failing++;
		if (strcmp(j->active_state, "running") == 0)
			o->running++;
		else if (strcmp(j->active_state, "retrying") == 0)
			o->retrying++;
		else if (j->active_state[0] != '\0')
			o->queued++;
		if (j->next_run >= 0 &&
		    (o->next == NULL || j->next_run < o->next->next_run))
			o->next = j;
	}
	for (i = m->ndone; i > 0; i--) {
		if (m->done[i - 1].finished < now - TOP_DAY)
			break;
		o->runs_24h++;
		o->failed_24h += m->done[i - 1].failed;
		if (m->done[i - 1].finished >= now - 3600) {
			o->runs_1h++;
			o->failed_1h += m->done[i - 1].failed;
		}
	}
}
