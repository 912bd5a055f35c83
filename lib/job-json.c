/* SPDX-License-Identifier: ISC */
/*
 * Jobs as JSON objects for the API, the CLI and the store's job_versions:
 * the same field names and units as docs/api.md (durations in seconds,
 * sizes in bytes, times in RFC 3339 UTC).
 */
#include "config.h"

#include <stdio.h>

#include <cjson/cJSON.h>

#include "job.h"
#include "util.h"

static void
add_time(cJSON *o, const char *key, int64_t t)
{
	char buf[32];

	if (t == 0) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	util_format_utc(buf, sizeof buf, t);
	cJSON_AddStringToObject(o, key, buf);
}

static cJSON *
env_to_json(const struct job_env *env, size_t n)
{
	cJSON *o;
	size_t i;

	o = cJSON_CreateObject();
	for (i = 0; i < n; i++)
		cJSON_AddStringToObject(o, env[i].key, env[i].value);
	return o;
}

static void
add_limits(cJSON *o, const struct job_limits *l)
{
	cJSON *lo;

	lo = cJSON_AddObjectToObject(o, "limits");
	if (l->cpu >= 0)
		cJSON_AddNumberToObject(lo, "cpu", (double)l->cpu);
	if (l->memory >= 0)
		cJSON_AddNumberToObject(lo, "memory", (double)l->memory);
	if (l->nofile >= 0)
		cJSON_AddNumberToObject(lo, "nofile", (double)l->nofile);
	if (l->nproc >= 0)
		cJSON_AddNumberToObject(lo, "nproc", (double)l->nproc);
	if (l->fsize >= 0)
		cJSON_AddNumberToObject(lo, "fsize", (double)l->fsize);
	if (l->core >= 0)
		cJSON_AddNumberToObject(lo, "core", (double)l->core);
}

static void
add_policy(cJSON *o, const struct job *job)
{
	cJSON *a, *d;
	char code[16];
	size_t i;

	cJSON_AddNumberToObject(o, "timeout", (double)job->timeout);
	cJSON_AddNumberToObject(o, "kill_grace", (double)job->kill_grace);
	cJSON_AddNumberToObject(o, "retries", job->retries);
	cJSON_AddNumberToObject(o, "retry_backoff", (double)job->retry_backoff);
	cJSON_AddNumberToObject(
	    o, "retry_backoff_max", (double)job->retry_backoff_max);
	a = cJSON_AddArrayToObject(o, "retry_on");
	for (i = 0; i < job->nretry_on; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(job->retry_on[i]));
	d = cJSON_AddObjectToObject(o, "on_exit");
	for (i = 0; i < job->non_exit; i++) {
		snprintf(code, sizeof code, "%d", job->on_exit[i].code);
		cJSON_AddStringToObject(
		    d, code, job_outcome_name(job->on_exit[i].outcome));
	}
	cJSON_AddStringToObject(
	    o, "concurrency", job_concurrency_name(job->concurrency));
	cJSON_AddStringToObject(o, "catchup", job_catchup_name(job->catchup));
	cJSON_AddNumberToObject(o, "catchup_max", job->catchup_max);
	cJSON_AddNumberToObject(o, "jitter", (double)job->jitter);
	d = cJSON_AddObjectToObject(o, "dst");
	cJSON_AddStringToObject(
	    d, "gap", job->dst_gap == CRON_GAP_SKIP ? "skip" : "next");
	cJSON_AddStringToObject(d, "repeat",
	    job->dst_repeat == CRON_REPEAT_BOTH ? "both" : "first");
}

cJSON *
job_to_json(const struct job *job, int spec)
{
	cJSON *o, *a;
	char mask[8];
	size_t i;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", job->name);
	if (!spec)
		cJSON_AddNumberToObject(o, "owner", job->owner);
	a = cJSON_AddArrayToObject(o, "schedules");
	for (i = 0; i < job->nschedules; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(job->schedules[i]));
	if (job->timezone != NULL)
		cJSON_AddStringToObject(o, "timezone", job->timezone);
	else if (!spec && job->tz != NULL)
		cJSON_AddStringToObject(o, "timezone", tz_name(job->tz));
	/*
	 * A client that sends a job back (cronq edit) must not pin the
	 * daemon's zone into a job that only follows it.
	 */
	if (!spec)
		cJSON_AddBoolToObject(o, "timezone_set", job->timezone != NULL);
	cJSON_AddStringToObject(
	    o, "kind", job->kind == JOB_HTTP ? "http" : "command");
	if (job->command != NULL)
		cJSON_AddStringToObject(o, "command", job->command);
	else if (job->argv != NULL) {
		a = cJSON_AddArrayToObject(o, "command");
		for (i = 0; i < job->argc; i++)
			cJSON_AddItemToArray(
			    a, cJSON_CreateString(job->argv[i]));
	}
	job_ext_to_json(o, job);
	if (job->user != NULL)
		cJSON_AddStringToObject(o, "user", job->user);
	if (job->workdir != NULL)
		cJSON_AddStringToObject(o, "workdir", job->workdir);
	cJSON_AddItemToObject(o, "env", env_to_json(job->env, job->nenv));
	snprintf(mask, sizeof mask, "%03o", (unsigned)job->umask);
	cJSON_AddStringToObject(o, "umask", mask);
	add_policy(o, job);
	cJSON_AddNumberToObject(o, "max_output", (double)job->max_output);
	add_limits(o, &job->limits);
	cJSON_AddItemToObject(o, "sandbox", job_sandbox_to_json(&job->sandbox));
	cJSON_AddBoolToObject(o, "paused", job->paused);
	cJSON_AddStringToObject(
	    o, "description", job->description != NULL ? job->description : "");
	if (job->nlabels > 0)
		cJSON_AddItemToObject(
		    o, "labels", job_labels_to_json(job->labels, job->nlabels));
	if (spec)
		return o;
	cJSON_AddStringToObject(
	    o, "origin", job->origin != NULL ? job->origin : "api");
	cJSON_AddNumberToObject(o, "version", (double)job->version);
	add_time(o, "created_at", job->created_at);
	add_time(o, "updated_at", job->updated_at);
	return o;
}

int
job_same_spec(const struct job *a, const struct job *b)
{
	cJSON *ja = job_to_json(a, 1), *jb = job_to_json(b, 1);
	int same = cJSON_Compare(ja, jb, 1);

	cJSON_Delete(ja);
	cJSON_Delete(jb);
	return same;
}
