/* SPDX-License-Identifier: ISC */
/*
 * GET /metrics, apart from the HTTP counters the gateway keeps: runs that
 * ended since the daemon started, by job and outcome (counted from the
 * run events the daemon emits), and the queue and running gauges. The
 * counters live in memory; Prometheus copes with the reset at restart.
 */
#include "config.h"

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gateway.h"
#include "queue.h"
#include "xmalloc.h"

#define METRICS_SEEN 1024 /* recently counted run ids, against doubles */

struct metrics_count {
	char job[CQ_NAME_MAX + 1];
	char outcome[16];
	uint64_t count;
};

struct metrics {
	struct metrics_count *counts;
	size_t ncounts;
	int64_t seen[METRICS_SEEN]; /* a run emits its final state once,
	                             * but a later update may repeat it */
	size_t nseen;
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

static int
metrics_seen(struct metrics *m, int64_t id)
{
	size_t i, n;

	n = m->nseen < METRICS_SEEN ? m->nseen : METRICS_SEEN;
	for (i = 0; i < n; i++) {
		if (m->seen[i] == id)
			return 1;
	}
	m->seen[m->nseen++ % METRICS_SEEN] = id;
	return 0;
}

void
metrics_run_event(struct metrics *m, const cJSON *run)
{
	const cJSON *id, *job, *state;
	int s;

	id = cJSON_GetObjectItemCaseSensitive(run, "id");
	job = cJSON_GetObjectItemCaseSensitive(run, "job");
	state = cJSON_GetObjectItemCaseSensitive(run, "state");
	if (!cJSON_IsNumber(id) || !cJSON_IsString(job) ||
	    !cJSON_IsString(state) ||
	    (s = run_state_parse(state->valuestring)) == -1)
		return;
	metrics_run_count(
	    m, (int64_t)id->valuedouble, job->valuestring, (enum run_state)s);
}

void
metrics_run_count(
    struct metrics *m, int64_t id, const char *job, enum run_state state)
{
	const char *outcome = run_state_name(state);
	size_t i;

	if (!run_state_final(state) || metrics_seen(m, id))
		return;
	for (i = 0; i < m->ncounts; i++) {
		if (strcmp(m->counts[i].job, job) == 0 &&
		    strcmp(m->counts[i].outcome, outcome) == 0) {
			m->counts[i].count++;
			return;
		}
	}
	m->counts = xreallocarray(m->counts, m->ncounts + 1, sizeof *m->counts);
	memset(&m->counts[m->ncounts], 0, sizeof *m->counts);
	strlcpy(m->counts[m->ncounts].job, job, sizeof m->counts[0].job);
	strlcpy(m->counts[m->ncounts].outcome, outcome,
	    sizeof m->counts[0].outcome);
	m->counts[m->ncounts].count = 1;
	m->ncounts++;
}

void
metrics_write(struct metrics *m, struct agentd *ad, FILE *out)
{
	size_t i;

	/* Job names are [A-Za-z0-9._-]: no label escaping is needed. */
	fprintf(out,
	    "# HELP cronq_runs_total Runs that ended since the "
	    "daemon started, by job and outcome.\n"
	    "# TYPE cronq_runs_total counter\n");
	for (i = 0; i < m->ncounts; i++)
		fprintf(out,
		    "cronq_runs_total{job=\"%s\",outcome=\"%s\"} "
		    "%llu\n",
		    m->counts[i].job, m->counts[i].outcome,
		    (unsigned long long)m->counts[i].count);
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
