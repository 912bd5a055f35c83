/* SPDX-License-Identifier: ISC */
/*
 * The /groups routes: concurrency group limits, listed for everyone and
 * changed by admins only, since a limit holds back every owner's runs.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gateway.h"
#include "log.h"
#include "util.h"

static const char *const no_params[] = { NULL };

void
handle_groups_list(struct api_request *req, struct api_response *resp)
{
	if (api_params_check(req, no_params, resp) == -1)
		return;
	api_json(resp, 200, groups_to_json(req->ad));
}

/* The group name of the path, checked; -1 after answering. */
static int
group_name(struct api_request *req, struct api_response *resp)
{
	if (api_params_check(req, no_params, resp) == -1)
		return -1;
	if (!util_valid_name(req->args[0])) {
		api_error(resp, 400, "name",
		    "name: expected a group name of 1-64 A-Z a-z 0-9 . _ -");
		return -1;
	}
	return 0;
}

void
handle_group_get(struct api_request *req, struct api_response *resp)
{
	if (group_name(req, resp) == -1)
		return;
	api_json(resp, 200, groups_one_json(req->ad, req->args[0]));
}

/* PUT {"limit": N}: N from 1; DELETE: back to agentd.yaml's or 1. */
static void
group_change(struct api_request *req, struct api_response *resp, int del)
{
	const cJSON *limit, *e;
	cJSON *body = NULL;
	int n = 0;

	if (group_name(req, resp) == -1)
		return;
	if (!req->principal.admin) {
		api_error(resp, 403, NULL,
		    "only root or members of group cronq may change group "
		    "limits");
		return;
	}
	if (!del) {
		if (api_body_object(req, 0, &body, resp) == -1)
			return;
		cJSON_ArrayForEach(e, body)
		{
			if (strcmp(e->string, "limit") != 0 &&
			    strcmp(e->string, "name") != 0) {
				api_error(resp, 422, e->string,
				    "unknown field \"%s\" (expected limit)",
				    e->string);
				cJSON_Delete(body);
				return;
			}
		}
		limit = cJSON_GetObjectItemCaseSensitive(body, "limit");
		if (!cJSON_IsNumber(limit) || limit->valuedouble < 1 ||
		    limit->valuedouble > 100000 ||
		    limit->valuedouble != (double)(int)limit->valuedouble) {
			api_error(resp, 422, "limit",
			    "limit: expected an integer 1..100000");
			cJSON_Delete(body);
			return;
		}
		n = limit->valueint;
		cJSON_Delete(body);
	}
	if (groups_api_set(req->ad, req->args[0], n) == -1) {
		api_error(resp, 500, NULL, "cannot save the group limit");
		return;
	}
	log_notice("groups: limit group=%s limit=%d by uid=%u", req->args[0],
	    groups_limit(req->ad, req->args[0]), (unsigned)req->principal.uid);
	api_json(resp, 200, groups_one_json(req->ad, req->args[0]));
}

void
handle_group_put(struct api_request *req, struct api_response *resp)
{
	group_change(req, resp, 0);
}

void
handle_group_delete(struct api_request *req, struct api_response *resp)
{
	group_change(req, resp, 1);
}
