/* SPDX-License-Identifier: ISC */
/*
 * The /jobs routes. Each checks what HTTP gave it (query parameters, the
 * body's shape) and hands the rest to ops.c, which owns the rules about
 * jobs and who may touch them.
 */
#include "config.h"

#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gateway.h"
#include "util.h"

static const char *const no_params[] = { NULL };
static const char *const detach_params[] = { "detach", NULL };

/* ?detach=1: the caller may change a job that came from a job file. */
static int
jobs_detach(struct api_request *req, struct api_response *resp)
{
	int64_t v = 0;

	if (api_param_int(req, "detach", 0, 1, &v, resp) == -1)
		return -1;
	req->principal.detach = (int)v;
	return 0;
}

/* Job names in paths: a bad one cannot exist, so it is simply absent. */
static int
jobs_name_ok(const char *name, struct api_response *resp)
{
	if (util_valid_name(name))
		return 0;
	api_error(resp, 404, NULL,
	    "no job \"%s\" (names are 1-64 of A-Z a-z 0-9 . _ -)", name);
	return -1;
}

/*
 * The routes that change the job in their path take ?detach only, and a
 * name that could exist; 0, or -1 with the error response set.
 */
static int
jobs_change_check(struct api_request *req, struct api_response *resp)
{
	if (api_params_check(req, detach_params, resp) == -1 ||
	    jobs_detach(req, resp) == -1 ||
	    jobs_name_ok(req->args[0], resp) == -1)
		return -1;
	return 0;
}

void
handle_jobs_list(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = { "mine", NULL };
	struct agentd_error err;
	struct principal own;
	cJSON *out = NULL;
	int64_t mine = 0;
	int rc;

	if (api_params_check(req, allowed, resp) == -1 ||
	    api_param_int(req, "mine", 0, 1, &mine, resp) == -1)
		return;
	/* An admin's own jobs, as cronq edit wants: the others are not its. */
	own = req->principal;
	if (mine)
		own.admin = 0;
	memset(&err, 0, sizeof err);
	rc = ops_job_list(req->ad, &own, &out, &err);
	api_ops_result(resp, rc, 200, out, &err);
}

void
handle_jobs_create(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = { "replace", "detach", NULL };
	struct agentd_error err;
	cJSON *body, *out = NULL;
	int64_t replace = 0;
	int rc, created = 0;

	if (api_params_check(req, allowed, resp) == -1 ||
	    api_param_int(req, "replace", 0, 1, &replace, resp) == -1 ||
	    jobs_detach(req, resp) == -1 ||
	    api_body_object(req, 0, &body, resp) == -1)
		return;
	memset(&err, 0, sizeof err);
	rc = ops_job_create(
	    req->ad, &req->principal, body, (int)replace, &out, &created, &err);
	cJSON_Delete(body);
	api_ops_result(resp, rc, created ? 201 : 200, out, &err);
}

void
handle_jobs_apply(struct api_request *req, struct api_response *resp)
{
	struct agentd_error err;
	cJSON *body, *out = NULL;
	int rc;

	if (api_params_check(req, detach_params, resp) == -1 ||
	    jobs_detach(req, resp) == -1 ||
	    api_body_object(req, 0, &body, resp) == -1)
		return;
	memset(&err, 0, sizeof err);
	rc = ops_jobs_apply(req->ad, &req->principal, body, &out, &err);
	cJSON_Delete(body);
	api_ops_result(resp, rc, 200, out, &err);
}

void
handle_job_get(struct api_request *req, struct api_response *resp)
{
	struct agentd_error err;

	if (api_params_check(req, no_params, resp) == -1 ||
	    jobs_name_ok(req->args[0], resp) == -1)
		return;
	memset(&err, 0, sizeof err);
	/* Printed without cJSON: the read clients poll (ops.c). */
	if (ops_job_get_text(req->ad, &req->principal, req->args[0],
	        &resp->text, &resp->text_len, &err) == -1) {
		api_agentd_error(resp, &err);
		return;
	}
	resp->status = 200;
	resp->content_type = "application/json; charset=utf-8";
}

/* PUT and PATCH: a body naming another job is a mistake, not a rename. */
static int
jobs_body_name(
    const struct api_request *req, const cJSON *body, struct api_response *resp)
{
	const cJSON *name;

	name = cJSON_GetObjectItemCaseSensitive(body, "name");
	if (name == NULL)
		return 0;
	if (!cJSON_IsString(name) ||
	    strcmp(name->valuestring, req->args[0]) != 0) {
		api_error(resp, 422, "name",
		    "name: must match the job in the path (\"%s\")",
		    req->args[0]);
		return -1;
	}
	return 0;
}

/* ops_job_replace or ops_job_patch: the job in the path edited by BODY. */
typedef int (*jobs_edit_fn)(struct agentd *, const struct principal *,
    const char *, const cJSON *, cJSON **, struct agentd_error *);

/* PUT and PATCH differ only in what ops.c does with the body. */
static void
jobs_edit(struct api_request *req, struct api_response *resp, jobs_edit_fn edit)
{
	struct agentd_error err;
	cJSON *body, *out = NULL;
	int rc;

	if (jobs_change_check(req, resp) == -1 ||
	    api_body_object(req, 0, &body, resp) == -1)
		return;
	if (jobs_body_name(req, body, resp) == -1) {
		cJSON_Delete(body);
		return;
	}
	memset(&err, 0, sizeof err);
	rc = edit(req->ad, &req->principal, req->args[0], body, &out, &err);
	cJSON_Delete(body);
	api_ops_result(resp, rc, 200, out, &err);
}

void
handle_job_put(struct api_request *req, struct api_response *resp)
{
	jobs_edit(req, resp, ops_job_replace);
}

void
handle_job_patch(struct api_request *req, struct api_response *resp)
{
	jobs_edit(req, resp, ops_job_patch);
}

void
handle_job_delete(struct api_request *req, struct api_response *resp)
{
	struct agentd_error err;
	cJSON *out = NULL;
	int rc;

	if (jobs_change_check(req, resp) == -1)
		return;
	memset(&err, 0, sizeof err);
	rc = ops_job_delete(req->ad, &req->principal, req->args[0], &out, &err);
	api_ops_result(resp, rc, 200, out, &err);
}

/*
 * A trigger starts the stored definition and nothing else: a body may
 * only say {"wait": bool}, never a command, user or environment.
 */
void
handle_job_trigger(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = { "wait", NULL };
	struct agentd_error err;
	cJSON *body, *out = NULL, *wait;
	int rc;

	if (api_params_check(req, no_params, resp) == -1 ||
	    jobs_name_ok(req->args[0], resp) == -1 ||
	    api_body_object(req, 1, &body, resp) == -1)
		return;
	if (body != NULL) {
		/* A trigger starts the stored definition: a body that would
		 * change it (command, user, env) is refused, never merged. */
		cJSON_ArrayForEach(wait, body)
		{
			if (strcmp(wait->string, allowed[0]) == 0)
				continue;
			api_error(resp, 400, wait->string,
			    "a trigger runs the stored definition; \"%s\" "
			    "cannot be given",
			    wait->string);
			cJSON_Delete(body);
			return;
		}
		wait = cJSON_GetObjectItemCaseSensitive(body, "wait");
		if (wait != NULL && !cJSON_IsBool(wait)) {
			cJSON_Delete(body);
			api_error(
			    resp, 422, "wait", "wait: expected a boolean");
			return;
		}
		cJSON_Delete(body);
	}
	memset(&err, 0, sizeof err);
	rc =
	    ops_job_trigger(req->ad, &req->principal, req->args[0], &out, &err);
	api_ops_result(resp, rc, 202, out, &err);
}

static void
jobs_pause(struct api_request *req, struct api_response *resp, int paused)
{
	struct agentd_error err;
	cJSON *body, *out = NULL;
	int rc;

	if (jobs_change_check(req, resp) == -1 ||
	    api_body_object(req, 1, &body, resp) == -1)
		return;
	if (body != NULL && cJSON_GetArraySize(body) > 0) {
		api_error(resp, 422, body->child->string,
		    "unknown field \"%s\"", body->child->string);
		cJSON_Delete(body);
		return;
	}
	cJSON_Delete(body);
	memset(&err, 0, sizeof err);
	rc = ops_job_pause(
	    req->ad, &req->principal, req->args[0], paused, &out, &err);
	api_ops_result(resp, rc, 200, out, &err);
}

void
handle_job_pause(struct api_request *req, struct api_response *resp)
{
	jobs_pause(req, resp, 1);
}

void
handle_job_resume(struct api_request *req, struct api_response *resp)
{
	jobs_pause(req, resp, 0);
}

void
handle_job_versions(struct api_request *req, struct api_response *resp)
{
	struct agentd_error err;
	cJSON *out = NULL;
	int rc;

	if (api_params_check(req, no_params, resp) == -1 ||
	    jobs_name_ok(req->args[0], resp) == -1)
		return;
	memset(&err, 0, sizeof err);
	rc = ops_job_versions(
	    req->ad, &req->principal, req->args[0], &out, &err);
	api_ops_result(resp, rc, 200, out, &err);
}

void
handle_job_rollback(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = { "version", NULL };
	struct agentd_error err;
	cJSON *body, *out = NULL, *v;
	int64_t version = 0;
	int rc;

	if (jobs_change_check(req, resp) == -1 ||
	    api_body_object(req, 1, &body, resp) == -1)
		return;
	if (body != NULL) {
		if (api_fields_check(body, allowed, resp) == -1) {
			cJSON_Delete(body);
			return;
		}
		v = cJSON_GetObjectItemCaseSensitive(body, "version");
		if (v != NULL &&
		    (!cJSON_IsNumber(v) ||
		        util_double_int(v->valuedouble, 1, INT64_MAX / 2,
		            &version) == -1)) {
			cJSON_Delete(body);
			api_error(resp, 422, "version",
			    "version: expected a positive integer");
			return;
		}
		cJSON_Delete(body);
	}
	memset(&err, 0, sizeof err);
	rc = ops_job_rollback(
	    req->ad, &req->principal, req->args[0], version, &out, &err);
	api_ops_result(resp, rc, 200, out, &err);
}

void
handle_job_decisions(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = { "limit", "before", NULL };
	struct agentd_error err;
	cJSON *out = NULL;
	int64_t limit = 50, before = 0;
	int rc;

	if (api_params_check(req, allowed, resp) == -1 ||
	    jobs_name_ok(req->args[0], resp) == -1 ||
	    api_param_int(req, "limit", 1, 1000, &limit, resp) == -1 ||
	    api_param_int(req, "before", 1, INT64_MAX, &before, resp) == -1)
		return;
	memset(&err, 0, sizeof err);
	rc = ops_decision_list(req->ad, &req->principal, req->args[0],
	    (int)limit, before, &out, &err);
	api_ops_result(resp, rc, 200, out, &err);
}
