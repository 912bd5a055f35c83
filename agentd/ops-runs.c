/* SPDX-License-Identifier: ISC */
/*
 * The API operations on runs: triggering one, listing, stopping, logs,
 * the decisions behind a job's slots, and the daemon's status. The job
 * operations are in ops.c.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agentd.h"
#include "queue.h"
#include "log.h"
#include "sandbox.h"
#include "util.h"
#include "xmalloc.h"

/*
 * A manual run of a replace job stops the active ones as a due slot would:
 * "run it now" means this run, not one more waiting behind the old.
 */
static void
trigger_replace(struct agentd *ad, const struct job *job, int64_t new_id)
{
	struct run *runs;
	char why[64];
	size_t n, i;

	if (ad->sup == NULL ||
	    store_run_list_active(ad->store, job->id, &runs, &n) == -1)
		return;
	snprintf(why, sizeof why, "replaced by run %lld (manual)",
	    (long long)new_id);
	for (i = 0; i < n; i++) {
		if (runs[i].id != new_id)
			supervisor_stop_run(ad->sup, runs[i].id, why);
	}
	free(runs);
}

int
ops_job_trigger(struct agentd *ad, const struct principal *p, const char *name,
    cJSON **out, struct agentd_error *err)
{
	struct job *job;
	struct run run;
	int64_t now = agentd_now();

	if ((job = ops_job_lookup(ad, p, name, err)) == NULL)
		return -1;
	scheduler_run_init(ad, &run, job, TRIGGER_MANUAL, -1, now, now);
	run.not_before = now;
	snprintf(run.triggered_by, sizeof run.triggered_by, "uid:%u",
	    (unsigned)p->uid);
	if (store_run_insert(ad->store, &run) == -1 ||
	    store_flush(ad->store) == -1) {
		agentd_error_set(err, AGENTD_INTERNAL, NULL,
		    "cannot queue a run of \"%s\"", name);
		job_free(job);
		return -1;
	}
	log_info("ops: run triggered job=%s run=%lld by=%s", job->name,
	    (long long)run.id, run.triggered_by);
	if (job->concurrency == JOB_REPLACE)
		trigger_replace(ad, job, run.id);
	if (ad->sup != NULL)
		supervisor_enqueue(ad->sup, &run);
	*out = cJSON_CreateObject();
	cJSON_AddItemToObject(*out, "run", ops_run_to_json(&run));
	agentd_emit_run(ad, &run);
	job_free(job);
	return 0;
}

int
ops_decision_list(struct agentd *ad, const struct principal *p,
    const char *name, int limit, int64_t before, cJSON **out,
    struct agentd_error *err)
{
	struct decision *ds;
	struct job *job;
	cJSON *arr;
	size_t n, i;

	if ((job = ops_job_lookup(ad, p, name, err)) == NULL)
		return -1;
	if (store_decision_list(ad->store, job->id, limit, before, &ds, &n) ==
	    -1) {
		agentd_error_set(
		    err, AGENTD_INTERNAL, NULL, "cannot list decisions");
		job_free(job);
		return -1;
	}
	*out = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(*out, "decisions");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, ops_decision_to_json(&ds[i]));
	free(ds);
	job_free(job);
	return 0;
}

/* Loads run ID if P may see it. */
static int
run_lookup(struct agentd *ad, const struct principal *p, int64_t id,
    struct run *r, struct agentd_error *err)
{
	if (store_run_load(ad->store, id, r) == -1 ||
	    (!p->admin && r->owner != p->uid)) {
		agentd_error_set(
		    err, AGENTD_NOT_FOUND, NULL, "no run %lld", (long long)id);
		return -1;
	}
	return 0;
}

int
ops_run_get(struct agentd *ad, const struct principal *p, int64_t id,
    cJSON **out, struct agentd_error *err)
{
	struct run r;

	if (run_lookup(ad, p, id, &r, err) == -1)
		return -1;
	*out = ops_run_to_json(&r);
	return 0;
}

int
ops_run_list(struct agentd *ad, const struct principal *p,
    const struct run_filter *f, cJSON **out, struct agentd_error *err)
{
	struct run_filter rf = *f;
	struct run *runs;
	cJSON *arr;
	size_t n, i;

	rf.owner = p->uid;
	rf.any_owner = p->admin;
	if (store_run_list(ad->store, &rf, &runs, &n) == -1) {
		agentd_error_set(
		    err, AGENTD_INTERNAL, NULL, "cannot list runs");
		return -1;
	}
	*out = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(*out, "runs");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, ops_run_to_json(&runs[i]));
	free(runs);
	return 0;
}

int
ops_run_list_text(struct agentd *ad, const struct principal *p,
    const struct run_filter *f, char **text, size_t *len,
    struct agentd_error *err)
{
	struct run_filter rf = *f;

	rf.owner = p->uid;
	rf.any_owner = p->admin;
	if (store_run_list_text(ad->store, &rf, text, len) == -1) {
		agentd_error_set(
		    err, AGENTD_INTERNAL, NULL, "cannot list runs");
		return -1;
	}
	return 0;
}

int
ops_run_stop(struct agentd *ad, const struct principal *p, int64_t id,
    cJSON **out, struct agentd_error *err)
{
	struct run r;
	char why[64];

	if (run_lookup(ad, p, id, &r, err) == -1)
		return -1;
	if (run_state_final(r.state)) {
		agentd_error_set(err, AGENTD_CONFLICT, NULL,
		    "run %lld already ended (%s)", (long long)id,
		    run_state_name(r.state));
		return -1;
	}
	snprintf(why, sizeof why, "stopped by uid %u", (unsigned)p->uid);
	if (ad->sup == NULL || supervisor_stop_run(ad->sup, id, why) == -1) {
		agentd_error_set(err, AGENTD_CONFLICT, NULL,
		    "run %lld is not active", (long long)id);
		return -1;
	}
	store_run_load(ad->store, id, &r);
	*out = ops_run_to_json(&r);
	return 0;
}

int
ops_run_log(struct agentd *ad, const struct principal *p, int64_t id,
    char **path, int *live, struct agentd_error *err)
{
	struct run r;

	if (run_lookup(ad, p, id, &r, err) == -1)
		return -1;
	xasprintf(path, "%s/%lld.log", ad->log_dir, (long long)id);
	*live = !run_state_final(r.state);
	return 0;
}

int
ops_status(struct agentd *ad, const struct principal *p, cJSON **out)
{
	struct job **jobs;
	cJSON *o;
	size_t n = 0;

	/*
	 * The scheduler holds every job that loads, the ones the list
	 * would count: parsing them all made each status read (clients
	 * poll it) cost time in proportion to the number of jobs.
	 */
	if (ad->sched != NULL)
		n = scheduler_job_count(ad->sched, p->uid, p->admin);
	else if (store_job_list(ad->store, p->uid, p->admin, &jobs, &n) == 0)
		store_job_list_free(jobs, n);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "version", PACKAGE_VERSION);
	cJSON_AddNumberToObject(o, "pid", (double)getpid());
	ops_add_time(o, "started_at", ad->started_at);
	cJSON_AddStringToObject(o, "state_dir", ad->state_dir);
	cJSON_AddStringToObject(
	    o, "socket", ad->socket_path != NULL ? ad->socket_path : "");
	cJSON_AddNumberToObject(o, "jobs", (double)n);
	cJSON_AddNumberToObject(o, "running",
	    ad->sup != NULL ? supervisor_count_running(ad->sup) : 0);
	cJSON_AddNumberToObject(o, "queued",
	    ad->sup != NULL ? supervisor_count_queued(ad->sup) : 0);
	cJSON_AddNumberToObject(o, "retrying",
	    ad->sup != NULL ? supervisor_count_retrying(ad->sup) : 0);
	cJSON_AddNumberToObject(o, "max_running", ad->settings.max_running);
	/*
	 * Job-file and config problems are the host's, not the caller's:
	 * others get an empty list, as their job count leaves out the jobs
	 * those files define for other users.
	 */
	if (p->admin)
		agentd_problems(ad, cJSON_AddArrayToObject(o, "problems"));
	else
		cJSON_AddArrayToObject(o, "problems");
	queue_status(ad->queue, o);
	sandbox_status(o);
	*out = o;
	return 0;
}
