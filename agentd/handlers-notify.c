/* SPDX-License-Identifier: ISC */
/*
 * The notification records: GET /runs/{id}/notifications for the
 * deliveries about one run, GET /jobs/{name}/notifications for all of a
 * job's (missed slots have no run). Visible to whoever may see the run or
 * the job.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gateway.h"

static const char *const limit_param[] = { "limit", NULL };

void
handle_run_notifications(struct api_request *req, struct api_response *resp)
{
	struct agentd_error err;
	cJSON *run = NULL, *out = NULL;
	int64_t id, limit = 100;

	if (api_params_check(req, limit_param, resp) == -1 ||
	    api_param_int(req, "limit", 1, 1000, &limit, resp) == -1 ||
	    api_run_id(req->args[0], &id, resp) == -1)
		return;
	memset(&err, 0, sizeof err);
	/* The run's own check decides who may see it. */
	if (ops_run_get(req->ad, &req->principal, id, &run, &err) == -1) {
		api_agentd_error(resp, &err);
		return;
	}
	cJSON_Delete(run);
	if (store_notify_list(req->ad->store, id, NULL, 0, (int)limit, &out) ==
	    -1) {
		api_error(resp, 500, NULL, "cannot read the notifications");
		return;
	}
	api_json(resp, 200, out);
}

void
handle_job_notifications(struct api_request *req, struct api_response *resp)
{
	struct agentd_error err;
	cJSON *job = NULL, *out = NULL;
	const cJSON *owner;
	int64_t limit = 100;

	if (api_params_check(req, limit_param, resp) == -1 ||
	    api_param_int(req, "limit", 1, 1000, &limit, resp) == -1)
		return;
	memset(&err, 0, sizeof err);
	if (ops_job_get(req->ad, &req->principal, req->args[0], &job, &err) ==
	    -1) {
		api_agentd_error(resp, &err);
		return;
	}
	owner = cJSON_GetObjectItemCaseSensitive(job, "owner");
	if (store_notify_list(req->ad->store, 0, req->args[0],
	        cJSON_IsNumber(owner) ? (uid_t)owner->valuedouble : 0,
	        (int)limit, &out) == -1) {
		cJSON_Delete(job);
		api_error(resp, 500, NULL, "cannot read the notifications");
		return;
	}
	cJSON_Delete(job);
	api_json(resp, 200, out);
}
