/* SPDX-License-Identifier: ISC */
/*
 * Dispatch to a remote queue backend (RabbitMQ): the scheduler hands due
 * runs to worker agents instead of starting them, and keeps the global,
 * group and per-job limits across all the workers.
 */
#include "config.h"

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "agentd.h"
#include "queue.h"

#include "supervisor-int.h"

/* Runs of jobs in concurrency group NAME out on worker agents. */
static int
remote_group_out(struct supervisor *sup, const char *name)
{
	struct job *job;
	int64_t *ids;
	size_t n, i;
	int out = 0;

	if (store_run_inflight_jobs(sup->ad->store, &ids, &n) == -1)
		return 0;
	for (i = 0; i < n; i++) {
		if ((job = store_job_load(sup->ad->store, ids[i])) == NULL)
			continue;
		if (job->group != NULL && strcmp(job->group, name) == 0)
			out++;
		job_free(job);
	}
	free(ids);
	return out;
}

/*
 * Hands every due pending run to the remote queue backend, oldest first,
 * until the backend cannot take more (the broker is away). The scheduler
 * knows every run out on a worker, so the limits hold there too: at most
 * max_running runs out at once, at most a concurrency group's limit of its
 * runs, and a job whose policy is not allow waits while a run of it is out.
 */
int
dispatch_remote(struct supervisor *sup, int64_t now)
{
	struct store *st = sup->ad->store;
	struct srun **pp, *sr;
	int taken = 0, max = sup->ad->settings.max_running, out = 0;

	if (max > 0 && sup->pending != NULL)
		out = store_run_count_inflight(st, 0);
	sup->remote_full = max > 0 && out >= max;
	pp = &sup->pending;
	while ((sr = *pp) != NULL && !sup->ad->stopping &&
	    queue_ready(sup->ad->queue)) {
		sr->held = 0;
		if (sr->run.not_before > now) {
			pp = &sr->next;
			continue;
		}
		sr->job = store_job_load(st, sr->run.job_id);
		if (sr->job != NULL && sr->run.published_at == 0 &&
		    (sup->remote_full ||
		        (sr->job->concurrency != JOB_ALLOW &&
		            store_run_count_inflight(st, sr->run.job_id) >
		                0))) {
			sr->held = 1;
			job_free(sr->job);
			sr->job = NULL;
			pp = &sr->next;
			continue;
		}
		if (sr->job != NULL && sr->run.published_at == 0 &&
		    sr->job->group != NULL &&
		    remote_group_out(sup, sr->job->group) >=
		        groups_limit(sup->ad, sr->job->group)) {
			group_hold(sup, sr, now);
			sr->held = 1;
			job_free(sr->job);
			sr->job = NULL;
			pp = &sr->next;
			continue;
		}
		if (sr->job != NULL &&
		    queue_take(sup->ad->queue, &sr->run, sr->job, now) == -1)
			break;
		*pp = sr->next;
		sup->npending--;
		if (sr->job == NULL) {
			pending_cancel(sup, sr, "the job was deleted", now);
			continue;
		}
		srun_free(sr);
		taken++;
		sup->remote_full = max > 0 && ++out >= max;
	}
	return taken;
}
