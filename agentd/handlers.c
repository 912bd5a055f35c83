/* SPDX-License-Identifier: ISC */
/*
 * The route functions of the API that belong to no family (health,
 * metrics, the OpenAPI document, status, events) and the helpers every
 * route uses: error bodies, query parameters, request bodies. Nothing
 * here knows about HTTP connections; see gateway.c for that.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gateway.h"
#include "log.h"
#include "xmalloc.h"

const char *
api_error_code(int status)
{
	switch (status) {
	case 400:
		return "bad_request";
	case 401:
		return "unauthorized";
	case 403:
		return "forbidden";
	case 404:
		return "not_found";
	case 405:
		return "method_not_allowed";
	case 409:
		return "conflict";
	case 413:
		return "too_large";
	case 422:
		return "invalid";
	case 429:
		return "rate_limited";
	case 503:
		return "unavailable";
	default:
		return "internal";
	}
}

void
api_error(struct api_response *resp, int status, const char *field,
    const char *fmt, ...)
{
	cJSON *json, *err;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);

	json = cJSON_CreateObject();
	err = cJSON_AddObjectToObject(json, "error");
	cJSON_AddStringToObject(err, "code", api_error_code(status));
	cJSON_AddStringToObject(err, "message", msg);
	if (field != NULL && *field != '\0')
		cJSON_AddStringToObject(err, "field", field);
	free(msg);
	api_json(resp, status, json);
}

void
api_json(struct api_response *resp, int status, cJSON *json)
{
	cJSON_Delete(resp->json);
	resp->json = json;
	resp->status = status;
}

void
api_agentd_error(struct api_response *resp, const struct agentd_error *err)
{
	int status;

	switch (err->code) {
	case AGENTD_INVALID:
		status = 422;
		break;
	case AGENTD_NOT_FOUND:
		status = 404;
		break;
	case AGENTD_CONFLICT:
		status = 409;
		break;
	case AGENTD_FORBIDDEN:
		status = 403;
		break;
	case AGENTD_BAD_REQUEST:
		status = 400;
		break;
	default:
		status = 500;
		break;
	}
	api_error(resp, status, err->field, "%s",
	    err->message[0] != '\0' ? err->message : "internal error");
}

void
api_ops_result(struct api_response *resp, int rc, int status, cJSON *out,
    const struct agentd_error *err)
{
	if (rc == 0) {
		api_json(resp, status, out);
		return;
	}
	cJSON_Delete(out);
	api_agentd_error(resp, err);
}

const char *
api_param(const struct api_request *req, const char *key)
{
	int i;

	for (i = 0; i < req->nparams; i++) {
		if (strcmp(req->params[i].key, key) == 0)
			return req->params[i].value;
	}
	return NULL;
}

int
api_params_check(const struct api_request *req, const char *const *allowed,
    struct api_response *resp)
{
	const char *const *a;
	int i;

	for (i = 0; i < req->nparams; i++) {
		for (a = allowed; *a != NULL; a++) {
			if (strcmp(req->params[i].key, *a) == 0)
				break;
		}
		if (*a == NULL) {
			api_error(resp, 400, req->params[i].key,
			    "unknown query parameter \"%s\"",
			    req->params[i].key);
			return -1;
		}
	}
	return 0;
}

int
api_param_int(const struct api_request *req, const char *key, int64_t min,
    int64_t max, int64_t *out, struct api_response *resp)
{
	const char *s;
	char *end;
	long long v;
	int i;

	/* A repeated parameter is ambiguous: refuse it rather than guess. */
	for (i = 0, s = NULL; i < req->nparams; i++) {
		if (strcmp(req->params[i].key, key) != 0)
			continue;
		if (s != NULL) {
			api_error(
			    resp, 400, key, "%s: given more than once", key);
			return -1;
		}
		s = req->params[i].value != NULL ? req->params[i].value : "";
	}
	if (s == NULL)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		api_error(resp, 400, key,
		    "%s: expected an integer from %" PRId64 " to %" PRId64, key,
		    min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
api_body_object(const struct api_request *req, int optional, cJSON **out,
    struct api_response *resp)
{
	const char *end = NULL;
	cJSON *json;

	*out = NULL;
	if (req->body == NULL ||
	    strspn(req->body, " \t\r\n") == req->body_len) {
		if (optional)
			return 0;
		api_error(resp, 400, NULL, "a JSON object body is required");
		return -1;
	}
	if (strlen(req->body) != req->body_len) {
		api_error(resp, 400, NULL, "malformed JSON: NUL byte in body");
		return -1;
	}
	/* cJSON wants the terminator inside LENGTH to check for trailing
	 * garbage; the gateway always NUL-terminates bodies. */
	json = cJSON_ParseWithLengthOpts(req->body, req->body_len + 1, &end, 1);
	if (json == NULL) {
		api_error(resp, 400, NULL, "malformed JSON at byte %td",
		    end != NULL ? end - req->body : (ptrdiff_t)0);
		return -1;
	}
	if (!cJSON_IsObject(json)) {
		cJSON_Delete(json);
		api_error(resp, 400, NULL, "the body must be a JSON object");
		return -1;
	}
	*out = json;
	return 0;
}

int
api_fields_check(
    const cJSON *obj, const char *const *allowed, struct api_response *resp)
{
	const cJSON *item;
	const char *const *a;

	cJSON_ArrayForEach(item, obj)
	{
		for (a = allowed; *a != NULL; a++) {
			if (strcmp(item->string, *a) == 0)
				break;
		}
		if (*a == NULL) {
			api_error(resp, 422, item->string,
			    "unknown field \"%s\"", item->string);
			return -1;
		}
	}
	return 0;
}

int
api_run_id(const char *text, int64_t *id, struct api_response *resp)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (*text < '0' || *text > '9' || *end != '\0' || errno != 0 ||
	    v <= 0) {
		api_error(resp, 404, NULL, "no run \"%s\"", text);
		return -1;
	}
	*id = v;
	return 0;
}

void
handle_healthz(struct api_request *req, struct api_response *resp)
{
	(void)req;
	resp->status = 200;
	resp->text = xstrdup("ok\n");
	resp->text_len = 3;
}

void
handle_openapi(struct api_request *req, struct api_response *resp)
{
	(void)req;
	resp->status = 200;
	resp->text = xstrdup(api_openapi_json);
	resp->text_len = strlen(resp->text);
	resp->content_type = "application/json; charset=utf-8";
}

void
handle_metrics(struct api_request *req, struct api_response *resp)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0;

	if ((f = open_memstream(&buf, &len)) == NULL)
		fatal("handlers: open_memstream");
	metrics_write(
	    gateway_metrics_get(req->gw), req->ad, &req->principal, f);
	metrics_write_more(
	    gateway_metrics_get(req->gw), req->ad, &req->principal, f);
	gateway_metrics(req->gw, f);
	if (fclose(f) != 0)
		fatal("handlers: writing metrics");
	resp->status = 200;
	resp->text = buf;
	resp->text_len = len;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

void
handle_status(struct api_request *req, struct api_response *resp)
{
	cJSON *out = NULL;

	if (ops_status(req->ad, &req->principal, &out) == -1 || out == NULL) {
		cJSON_Delete(out);
		api_error(resp, 503, NULL, "the daemon's state is unreadable");
		return;
	}
	if (cJSON_GetObjectItemCaseSensitive(out, "socket") == NULL)
		cJSON_AddStringToObject(out, "socket",
		    req->ad->socket_path != NULL ? req->ad->socket_path : "");
	/*
	 * Where the daemon keeps its files and which process it is are of
	 * use to whoever runs the host; a local peer can see them anyway
	 * (ps, the socket it came through), a remote non-admin cannot.
	 */
	if (req->remote && !req->principal.admin) {
		cJSON_DeleteItemFromObjectCaseSensitive(out, "pid");
		cJSON_DeleteItemFromObjectCaseSensitive(out, "state_dir");
		cJSON_DeleteItemFromObjectCaseSensitive(out, "socket");
	}
	api_json(resp, 200, out);
}

void
handle_events(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = { NULL };

	if (api_params_check(req, allowed, resp) == -1)
		return;
	gateway_events_stream(
	    req->gw, &req->principal, req->last_event_id, resp);
}
