/* SPDX-License-Identifier: ISC */
/*
 * The four endpoints of the original gateway sketch (DESIGN.md section
 * 5), kept with their exact shapes for clients written against it: a
 * "task" is a job name, a "task_id" a run id as a string, statuses are
 * the sketch's words. The gateway adds {"status": "error", "message"}
 * beside the error object of these routes.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gateway.h"
#include "util.h"

static const char *const no_params[] = { NULL };

static cJSON *
legacy_success(const char *message)
{
	cJSON *json = cJSON_CreateObject();

	cJSON_AddStringToObject(json, "status", "success");
	cJSON_AddStringToObject(json, "message", message);
	return json;
}

/* Parses the body as an object with no members outside ALLOWED. */
static int
legacy_parse(struct api_request *req, const char *const *allowed, cJSON **body,
    struct api_response *resp)
{
	*body = NULL;
	if (api_params_check(req, no_params, resp) == -1 ||
	    api_body_object(req, 0, body, resp) == -1 ||
	    api_fields_check(*body, allowed, resp) == -1)
		return -1;
	return 0;
}

/* The body's required string member KEY. */
static int
legacy_string(const cJSON *body, const char *key, const char **out,
    struct api_response *resp)
{
	const cJSON *item;

	item = cJSON_GetObjectItemCaseSensitive(body, key);
	if (item == NULL) {
		api_error(resp, 422, key, "%s: missing", key);
		return -1;
	}
	if (!cJSON_IsString(item) || *item->valuestring == '\0') {
		api_error(
		    resp, 422, key, "%s: expected a non-empty string", key);
		return -1;
	}
	*out = item->valuestring;
	return 0;
}

static int
legacy_task(const char *task, struct api_response *resp)
{
	if (util_valid_name(task))
		return 0;
	api_error(resp, 404, "task", "task \"%s\" does not exist", task);
	return -1;
}

/* Adds the expression to the job's schedules unless it is there. */
void
handle_legacy_schedule(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = { "cron_expression", "task",
		NULL };
	struct agentd_error err;
	const char *expr, *task;
	cJSON *body = NULL, *job = NULL, *scheds, *s, *patch = NULL;
	cJSON *out = NULL;

	if (legacy_parse(req, allowed, &body, resp) == -1 ||
	    legacy_string(body, "cron_expression", &expr, resp) == -1 ||
	    legacy_string(body, "task", &task, resp) == -1 ||
	    legacy_task(task, resp) == -1)
		goto out;
	memset(&err, 0, sizeof err);
	if (ops_job_get(req->ad, &req->principal, task, &job, &err) == -1) {
		if (err.code == AGENTD_NOT_FOUND)
			api_error(resp, 404, "task",
			    "task \"%s\" does not exist", task);
		else
			api_agentd_error(resp, &err);
		goto out;
	}
	scheds = cJSON_GetObjectItemCaseSensitive(job, "schedules");
	cJSON_ArrayForEach(s, scheds)
	{
		if (cJSON_IsString(s) && strcmp(s->valuestring, expr) == 0) {
			api_json(resp, 200,
			    legacy_success("Cron job scheduled successfully"));
			goto out;
		}
	}
	patch = cJSON_CreateObject();
	scheds = cJSON_AddArrayToObject(patch, "schedules");
	cJSON_ArrayForEach(
	    s, cJSON_GetObjectItemCaseSensitive(job, "schedules"))
	    cJSON_AddItemToArray(scheds, cJSON_Duplicate(s, 1));
	cJSON_AddItemToArray(scheds, cJSON_CreateString(expr));
	if (ops_job_patch(req->ad, &req->principal, task, patch, &out, &err) ==
	    -1) {
		/* The new schedule is the one at fault, whatever ops says. */
		if (strncmp(err.field, "schedule", 8) == 0)
			strlcpy(err.field, "cron_expression", sizeof err.field);
		api_agentd_error(resp, &err);
		goto out;
	}
	api_json(resp, 200, legacy_success("Cron job scheduled successfully"));

out:
	cJSON_Delete(out);
	cJSON_Delete(patch);
	cJSON_Delete(job);
	cJSON_Delete(body);
}

/* The sketch's word for a run state. */
static const char *
legacy_state(const char *state)
{
	if (strcmp(state, "queued") == 0 || strcmp(state, "retrying") == 0)
		return "pending";
	if (strcmp(state, "running") == 0)
		return "running";
	if (strcmp(state, "succeeded") == 0 || strcmp(state, "skipped") == 0)
		return "completed";
	if (strcmp(state, "cancelled") == 0)
		return "cancelled";
	return "failed";
}

/* One entry of cron-jobs/status for the job named NAME. */
static int
legacy_status_entry(struct api_request *req, const char *name, cJSON *list,
    struct agentd_error *err)
{
	struct run_filter f;
	cJSON *out = NULL, *entry, *run, *v;
	char id[32];

	memset(&f, 0, sizeof f);
	f.job = name;
	f.state = -1;
	f.limit = 1;
	if (ops_run_list(req->ad, &req->principal, &f, &out, err) == -1)
		return -1;
	run = cJSON_GetArrayItem(
	    cJSON_GetObjectItemCaseSensitive(out, "runs"), 0);
	entry = cJSON_CreateObject();
	if (run == NULL) {
		cJSON_AddNullToObject(entry, "id");
		cJSON_AddStringToObject(entry, "task", name);
		cJSON_AddStringToObject(entry, "status", "pending");
		cJSON_AddNullToObject(entry, "last_run");
	} else {
		v = cJSON_GetObjectItemCaseSensitive(run, "id");
		snprintf(id, sizeof id, "%.0f",
		    cJSON_IsNumber(v) ? v->valuedouble : 0.0);
		cJSON_AddStringToObject(entry, "id", id);
		cJSON_AddStringToObject(entry, "task", name);
		v = cJSON_GetObjectItemCaseSensitive(run, "state");
		cJSON_AddStringToObject(entry, "status",
		    legacy_state(cJSON_IsString(v) ? v->valuestring : ""));
		v = cJSON_GetObjectItemCaseSensitive(run, "started_at");
		if (cJSON_IsString(v))
			cJSON_AddStringToObject(
			    entry, "last_run", v->valuestring);
		else
			cJSON_AddNullToObject(entry, "last_run");
	}
	cJSON_AddItemToArray(list, entry);
	cJSON_Delete(out);
	return 0;
}

void
handle_legacy_status(struct api_request *req, struct api_response *resp)
{
	struct agentd_error err;
	cJSON *jobs = NULL, *job, *name, *out, *list;

	if (api_params_check(req, no_params, resp) == -1)
		return;
	memset(&err, 0, sizeof err);
	if (ops_job_list(req->ad, &req->principal, &jobs, &err) == -1) {
		api_agentd_error(resp, &err);
		return;
	}
	out = cJSON_CreateObject();
	list = cJSON_AddArrayToObject(out, "cron_jobs");
	cJSON_ArrayForEach(job, cJSON_GetObjectItemCaseSensitive(jobs, "jobs"))
	{
		name = cJSON_GetObjectItemCaseSensitive(job, "name");
		if (!cJSON_IsString(name))
			continue;
		if (legacy_status_entry(req, name->valuestring, list, &err) ==
		    -1) {
			cJSON_Delete(out);
			cJSON_Delete(jobs);
			api_agentd_error(resp, &err);
			return;
		}
	}
	cJSON_Delete(jobs);
	api_json(resp, 200, out);
}

void
handle_legacy_trigger(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = { "task", NULL };
	struct agentd_error err;
	const char *task;
	cJSON *body = NULL, *out = NULL, *json, *id;
	char buf[32];

	if (legacy_parse(req, allowed, &body, resp) == -1 ||
	    legacy_string(body, "task", &task, resp) == -1 ||
	    legacy_task(task, resp) == -1)
		goto out;
	memset(&err, 0, sizeof err);
	if (ops_job_trigger(req->ad, &req->principal, task, &out, &err) == -1) {
		if (err.code == AGENTD_NOT_FOUND)
			api_error(resp, 404, "task",
			    "task \"%s\" does not exist", task);
		else
			api_agentd_error(resp, &err);
		goto out;
	}
	json = legacy_success("Cron job triggered successfully");
	id = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(out, "run"), "id");
	if (cJSON_IsNumber(id)) {
		snprintf(buf, sizeof buf, "%.0f", id->valuedouble);
		cJSON_AddStringToObject(json, "id", buf);
	}
	api_json(resp, 200, json);

out:
	cJSON_Delete(out);
	cJSON_Delete(body);
}

void
handle_legacy_stop(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = { "task_id", NULL };
	struct agentd_error err;
	const char *text;
	const cJSON *item;
	cJSON *body = NULL, *out = NULL;
	int64_t id;
	char *end;
	long long v;

	if (legacy_parse(req, allowed, &body, resp) == -1)
		goto out;
	/* The sketch sends the id as a string; a number is accepted too. */
	item = cJSON_GetObjectItemCaseSensitive(body, "task_id");
	if (cJSON_IsNumber(item) && item->valuedouble >= 1 &&
	    item->valuedouble < 9e15)
		id = (int64_t)item->valuedouble;
	else if (legacy_string(body, "task_id", &text, resp) == -1)
		goto out;
	else {
		errno = 0;
		v = strtoll(text, &end, 10);
		if (*text < '0' || *text > '9' || *end != '\0' || errno != 0 ||
		    v < 1) {
			api_error(
			    resp, 422, "task_id", "task_id: expected a run id");
			goto out;
		}
		id = v;
	}
	memset(&err, 0, sizeof err);
	if (ops_run_stop(req->ad, &req->principal, id, &out, &err) == -1) {
		api_agentd_error(resp, &err);
		goto out;
	}
	api_json(resp, 200, legacy_success("Cron job stopped successfully"));

out:
	cJSON_Delete(out);
	cJSON_Delete(body);
}
