/* SPDX-License-Identifier: ISC */
/*
 * GET /metrics, apart from the HTTP counters the gateway keeps: runs that
 * ended since the daemon started, by job and outcome (counted from the
 * run events the daemon emits), and the queue and running gauges. The
 * counters live in memory; Prometheus copes with the reset at restart.
 *
 * The per-job series are kept per owner, since two owners may each have a
 * job of the same name, and each reader gets only the jobs they may see
 * (admins: all), as the job list does. The label set stays {job, outcome}:
 * an admin sees same-named jobs of different owners summed into one
 * series, as before, rather than two series with the same labels, which
 * the text format forbids.
 */
#include "config.h"

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "gateway.h"
#include "remote.h"
#include "queue.h"
#include "xmalloc.h"

#define METRICS_SEEN 1024 /* recently counted run ids, against doubles */
#define METRICS_NBUCKETS 9

/* Upper bounds of the histogram buckets, in seconds (+Inf implied). */
static const double metrics_duration_le[METRICS_NBUCKETS] = { 1, 5, 15, 60, 300,
	900, 3600, 14400, 86400 };
static const double metrics_lag_le[METRICS_NBUCKETS] = { 0, 1, 2, 5, 10, 30, 60,
	300, 3600 };

struct metrics_hist {
	uint64_t buckets[METRICS_NBUCKETS]; /* not cumulative here */
	uint64_t count;
	double sum;
};

struct metrics_count {
	uid_t owner;
	char job[CQ_NAME_MAX + 1];
	char outcome[16];
	uint64_t count;
	struct metrics_hist duration; /* runs of this job and outcome */
};

struct metrics {
	struct metrics_count *counts;
	size_t ncounts;
	int64_t seen[METRICS_SEEN]; /* a run emits its final state once,
	                             * but a later update may repeat it */
	size_t nseen;
	int64_t started[METRICS_SEEN]; /* runs whose start lag is counted */
	size_t nstarted;
	struct metrics_hist lag; /* scheduled fire to process start */
	uint64_t retries;        /* attempts after the first, queued */
};

struct metrics *
metrics_create(void)
{
	return xcalloc(1, sizeof(struct metrics));
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	free(m->counts);
	free(m);
}

/* 1 if ID is in the ring SEEN (of *N so far); else adds it. */
static int
metrics_seen(int64_t *seen, size_t *nseen, int64_t id)
{
	size_t i, n;

	n = *nseen < METRICS_SEEN ? *nseen : METRICS_SEEN;
	for (i = 0; i < n; i++) {
		if (seen[i] == id)
			return 1;
	}
	seen[(*nseen)++ % METRICS_SEEN] = id;
	return 0;
}

static void
metrics_observe(struct metrics_hist *h, const double *le, double v)
{
	size_t i;

	for (i = 0; i < METRICS_NBUCKETS; i++) {
		if (v <= le[i]) {
			h->buckets[i]++;
			break;
		}
	}
	h->count++;
	h->sum += v;
}

/* MEMBER of RUN, an API time ("2025-01-29T00:00:00Z"), or -1. */
static int64_t
metrics_time(const cJSON *run, const char *member)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(run, member);
	struct tm tm;
	int n = 0;

	memset(&tm, 0, sizeof tm);
	if (!cJSON_IsString(v) ||
	    sscanf(v->valuestring, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year,
	        &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	        &n) != 6 ||
	    n == 0)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon--;
	return (int64_t)timegm(&tm);
}

/* A run started: how late after its scheduled fire, once per run. */
static void
metrics_run_started(struct metrics *m, const struct run *run)
{
	if ((run->trigger != TRIGGER_SCHEDULE &&
	        run->trigger != TRIGGER_CATCHUP) ||
	    run->scheduled_at <= 0 || run->started_at <= 0 ||
	    metrics_seen(m->started, &m->nstarted, run->id))
		return;
	metrics_observe(&m->lag, metrics_lag_le,
	    (double)(run->started_at > run->scheduled_at
	            ? run->started_at - run->scheduled_at
	            : 0));
}

void
metrics_run_event(struct metrics *m, uid_t owner, const cJSON *obj)
{
	const cJSON *id, *job, *state, *trigger;
	struct run run;
	int s, t;

	id = cJSON_GetObjectItemCaseSensitive(obj, "id");
	job = cJSON_GetObjectItemCaseSensitive(obj, "job");
	state = cJSON_GetObjectItemCaseSensitive(obj, "state");
	trigger = cJSON_GetObjectItemCaseSensitive(obj, "trigger");
	if (!cJSON_IsNumber(id) || !cJSON_IsString(job) ||
	    !cJSON_IsString(state) ||
	    (s = run_state_parse(state->valuestring)) == -1)
		return;
	memset(&run, 0, sizeof run);
	run.id = (int64_t)id->valuedouble;
	run.owner = owner;
	strlcpy(run.job, job->valuestring, sizeof run.job);
	run.state = (enum run_state)s;
	t = cJSON_IsString(trigger) ? run_trigger_parse(trigger->valuestring)
	                            : -1;
	run.trigger = t == -1 ? TRIGGER_MANUAL : (enum run_trigger)t;
	run.scheduled_at = metrics_time(obj, "scheduled_at");
	run.started_at = metrics_time(obj, "started_at");
	run.finished_at = metrics_time(obj, "finished_at");
	metrics_run_count(m, &run);
}

void
metrics_run_count(struct metrics *m, const struct run *run)
{
	const char *outcome = run_state_name(run->state);
	struct metrics_count *k = NULL;
	size_t i;

	if (run->state == RUN_RUNNING)
		metrics_run_started(m, run);
	if (!run_state_final(run->state) ||
	    metrics_seen(m->seen, &m->nseen, run->id))
		return;
	if (run->trigger == TRIGGER_RETRY)
		m->retries++;
	for (i = 0; i < m->ncounts && k == NULL; i++) {
		if (m->counts[i].owner == run->owner &&
		    strcmp(m->counts[i].job, run->job) == 0 &&
		    strcmp(m->counts[i].outcome, outcome) == 0)
			k = &m->counts[i];
	}
	if (k == NULL) {
		m->counts =
		    xreallocarray(m->counts, m->ncounts + 1, sizeof *m->counts);
		k = &m->counts[m->ncounts++];
		memset(k, 0, sizeof *k);
		k->owner = run->owner;
		strlcpy(k->job, run->job, sizeof k->job);
		strlcpy(k->outcome, outcome, sizeof k->outcome);
	}
	k->count++;
	if (run->started_at > 0 && run->finished_at >= run->started_at)
		metrics_observe(&k->duration, metrics_duration_le,
		    (double)(run->finished_at - run->started_at));
}

/* 1 if P may see the jobs of OWNER, as in the job list. */
static int
metrics_visible(const struct principal *p, uid_t owner)
{
	return p->admin || p->uid == owner;
}

static int
metrics_count_cmp(const void *a, const void *b)
{
	const struct metrics_count *x = a, *y = b;
	int c = strcmp(x->job, y->job);

	return c != 0 ? c : strcmp(x->outcome, y->outcome);
}

/*
 * The counters P may see, same job and outcome of different owners summed
 * into one (sorted, then merged side by side: a scrape stays n log n with
 * many jobs). Returns how many, in *OUT (caller frees).
 */
static size_t
metrics_view(const struct metrics *m, const struct principal *p,
    struct metrics_count **out)
{
	struct metrics_count *v, *last;
	size_t n = 0, i, k = 0, b;

	v = xcalloc(m->ncounts + 1, sizeof *v);
	for (i = 0; i < m->ncounts; i++)
		if (metrics_visible(p, m->counts[i].owner))
			v[n++] = m->counts[i];
	qsort(v, n, sizeof *v, metrics_count_cmp);
	for (i = 0; i < n; i++) {
		last = k > 0 ? &v[k - 1] : NULL;
		if (last == NULL || metrics_count_cmp(last, &v[i]) != 0) {
			v[k++] = v[i];
			continue;
		}
		last->count += v[i].count;
		for (b = 0; b < METRICS_NBUCKETS; b++)
			last->duration.buckets[b] += v[i].duration.buckets[b];
		last->duration.count += v[i].duration.count;
		last->duration.sum += v[i].duration.sum;
	}
	*out = v;
	return k;
}

/* One histogram's series, LABELS ("" or "job=\"x\",") before le. */
static void
metrics_hist_write(FILE *out, const char *name, const char *labels,
    const struct metrics_hist *h, const double *le)
{
	uint64_t cum = 0;
	size_t i;

	for (i = 0; i < METRICS_NBUCKETS; i++) {
		cum += h->buckets[i];
		fprintf(out, "%s_bucket{%sle=\"%g\"} %llu\n", name, labels,
		    le[i], (unsigned long long)cum);
	}
	fprintf(out, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, labels,
	    (unsigned long long)h->count);
	if (labels[0] != '\0') {
		/* "job=\"x\"," becomes {job="x"} for sum and count. */
		fprintf(out, "%s_sum{%.*s} %g\n%s_count{%.*s} %llu\n", name,
		    (int)strlen(labels) - 1, labels, h->sum, name,
		    (int)strlen(labels) - 1, labels,
		    (unsigned long long)h->count);
	} else
		fprintf(out, "%s_sum %g\n%s_count %llu\n", name, h->sum, name,
		    (unsigned long long)h->count);
}

static void
metrics_decision(const char *outcome, int64_t n, void *arg)
{
	fprintf(arg, "cronq_decisions{outcome=\"%s\"} %lld\n", outcome,
	    (long long)n);
}

void
metrics_write_more(
    struct metrics *m, struct agentd *ad, const struct principal *p, FILE *out)
{
	struct metrics_count *v;
	char labels[128];
	size_t i, n;

	fprintf(out,
	    "# HELP cronq_run_duration_seconds How long runs that ended took, "
	    "by job and outcome.\n"
	    "# TYPE cronq_run_duration_seconds histogram\n");
	n = metrics_view(m, p, &v);
	for (i = 0; i < n; i++) {
		snprintf(labels, sizeof labels, "job=\"%s\",outcome=\"%s\",",
		    v[i].job, v[i].outcome);
		metrics_hist_write(out, "cronq_run_duration_seconds", labels,
		    &v[i].duration, metrics_duration_le);
	}
	free(v);
	fprintf(out,
	    "# HELP cronq_schedule_lag_seconds From a scheduled fire to "
	    "its process start (next-fire lag).\n"
	    "# TYPE cronq_schedule_lag_seconds histogram\n");
	metrics_hist_write(
	    out, "cronq_schedule_lag_seconds", "", &m->lag, metrics_lag_le);
	fprintf(out,
	    "# HELP cronq_retries_total Retry attempts that ended since the "
	    "daemon started.\n"
	    "# TYPE cronq_retries_total counter\n"
	    "cronq_retries_total %llu\n",
	    (unsigned long long)m->retries);
	fprintf(out,
	    "# HELP cronq_decisions Schedule decisions kept in the "
	    "database, by outcome (skipped ones included).\n"
	    "# TYPE cronq_decisions gauge\n");
	if (ad->store != NULL)
		store_decision_counts(ad->store, metrics_decision, out);
}

void
metrics_write(
    struct metrics *m, struct agentd *ad, const struct principal *p, FILE *out)
{
	struct metrics_count *v;
	size_t i, n;

	/* Job names are [A-Za-z0-9._-]: no label escaping is needed. */
	fprintf(out,
	    "# HELP cronq_runs_total Runs that ended since the "
	    "daemon started, by job and outcome.\n"
	    "# TYPE cronq_runs_total counter\n");
	n = metrics_view(m, p, &v);
	for (i = 0; i < n; i++)
		fprintf(out,
		    "cronq_runs_total{job=\"%s\",outcome=\"%s\"} %llu\n",
		    v[i].job, v[i].outcome, (unsigned long long)v[i].count);
	free(v);
	fprintf(out,
	    "# HELP cronq_queue_depth Runs waiting to start.\n"
	    "# TYPE cronq_queue_depth gauge\n"
	    "cronq_queue_depth %d\n"
	    "# HELP cronq_running Runs whose process is running.\n"
	    "# TYPE cronq_running gauge\n"
	    "cronq_running %d\n"
	    "# HELP cronq_start_time_seconds When the daemon started.\n"
	    "# TYPE cronq_start_time_seconds gauge\n"
	    "cronq_start_time_seconds %lld\n",
	    ad->sup != NULL ? supervisor_count_queued(ad->sup) : 0,
	    ad->sup != NULL ? supervisor_count_running(ad->sup) : 0,
	    (long long)ad->started_at);
	queue_metrics(ad->queue, out);
}
