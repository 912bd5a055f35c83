/* SPDX-License-Identifier: ISC */
/*
 * The admin routes: API tokens (/tokens) and the audit log (/audit). A
 * token is shown once, in the answer that creates it; afterwards only
 * its id, name, prefix and scopes are. Everyone manages their own
 * tokens; admins see and revoke everyone's and read the audit log.
 */
#include "config.h"

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gateway.h"
#include "log.h"
#include "remote.h"
#include "util.h"
#include "xmalloc.h"

static const char *const no_params[] = { NULL };

void
handle_tokens_list(struct api_request *req, struct api_response *resp)
{
	cJSON *out = NULL;

	if (api_params_check(req, no_params, resp) == -1)
		return;
	if (store_token_list(req->ad->store, req->principal.uid,
	        req->principal.admin, agentd_now(), &out) == -1) {
		api_error(resp, 500, NULL, "cannot list the tokens");
		return;
	}
	api_json(resp, 200, out);
}

/* The scopes member: "read,trigger" or ["read", "trigger"]. */
static int
tokens_scopes(const cJSON *v, unsigned int *scopes, struct api_response *resp)
{
	const cJSON *e;
	char buf[128] = "", *cause = NULL;

	if (cJSON_IsString(v))
		strlcpy(buf, v->valuestring, sizeof buf);
	else if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(e, v)
		{
			if (!cJSON_IsString(e))
				break;
			strlcat(buf, e->valuestring, sizeof buf);
			strlcat(buf, ",", sizeof buf);
		}
		if (e != NULL)
			buf[0] = '\0';
	}
	if (buf[0] == '\0') {
		api_error(resp, 422, "scopes",
		    "scopes: expected a list of read, trigger, write, admin");
		return -1;
	}
	if (util_parse_scopes(buf, scopes, &cause) == -1) {
		api_error(resp, 422, "scopes", "scopes: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* The expires_in member: a duration ("30d") or seconds; 0 = never. */
static int
tokens_expires(const cJSON *v, int64_t *secs, struct api_response *resp)
{
	char *cause = NULL;

	*secs = 0;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsNumber(v)) {
		if (util_double_int(
		        v->valuedouble, 1, CQ_TOKEN_EXPIRES_MAX, secs) == -1)
			*secs = 0; /* refused below, with the range */
	} else if (!cJSON_IsString(v) ||
	    util_parse_duration(v->valuestring, secs, &cause) == -1) {
		api_error(resp, 422, "expires_in", "expires_in: %s",
		    cause != NULL ? cause : "expected a duration");
		free(cause);
		return -1;
	}
	if (*secs <= 0 || *secs > CQ_TOKEN_EXPIRES_MAX) {
		api_error(resp, 422, "expires_in",
		    "expires_in: expected a duration from 1s to %lldd",
		    CQ_TOKEN_EXPIRES_MAX / 86400);
		return -1;
	}
	return 0;
}

void
handle_tokens_create(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = { "scopes", "name", "expires_in",
		NULL };
	struct token_row t;
	char token[AUTH_TOKEN_LEN + 1];
	const cJSON *name;
	cJSON *body, *out;
	char lacked[64];
	int64_t expires;

	if (api_params_check(req, no_params, resp) == -1 ||
	    api_body_object(req, 0, &body, resp) == -1)
		return;
	memset(&t, 0, sizeof t);
	if (api_fields_check(body, allowed, resp) == -1 ||
	    tokens_scopes(cJSON_GetObjectItemCaseSensitive(body, "scopes"),
	        &t.scopes, resp) == -1 ||
	    tokens_expires(cJSON_GetObjectItemCaseSensitive(body, "expires_in"),
	        &expires, resp) == -1)
		goto out;
	name = cJSON_GetObjectItemCaseSensitive(body, "name");
	if (name != NULL &&
	    (!cJSON_IsString(name) || !util_valid_name(name->valuestring))) {
		api_error(resp, 422, "name",
		    "name: expected 1-64 of A-Z a-z 0-9 . _ -");
		goto out;
	}
	/* A credential cannot mint one stronger than itself. */
	if ((t.scopes & ~req->scopes) != 0) {
		auth_scopes_format(
		    t.scopes & ~req->scopes, lacked, sizeof lacked);
		api_error(resp, 403, "scopes",
		    "scopes: this credential lacks %s; a token may only get "
		    "scopes its creator has",
		    lacked);
		goto out;
	}
	/*
	 * Nor one with a scope it could never use. The token acts for the
	 * creator's uid, and admin rights go with the uid, not the scope:
	 * a non-admin peer on the socket holds every scope, and a JWT
	 * without a user is an admin by its scope while its tokens act for
	 * nobody. The rule is the one auth_check applies to the token.
	 */
	t.owner = req->principal.uid;
	if ((t.scopes & SCOPE_ADMIN) && !auth_uid_admin(t.owner)) {
		api_error(resp, 403, "scopes",
		    "scopes: \"admin\" refused: the token would act for uid "
		    "%u, which is not an admin (root, the daemon's user or a "
		    "member of group cronq), so it could never use it",
		    (unsigned)t.owner);
		goto out;
	}
	auth_token_new(token, t.prefix, t.hash);
	strlcpy(t.name, name != NULL ? name->valuestring : "", sizeof t.name);
	t.created_at = agentd_now();
	t.expires_at = expires != 0 ? t.created_at + expires : 0;
	if (store_token_insert(req->ad->store, &t) == -1) {
		api_error(resp, 500, NULL, "cannot store the token");
		goto out;
	}
	log_notice("gateway: token created id=%lld owner=%u by=%s",
	    (long long)t.id, (unsigned)t.owner, req->who);
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "token", token);
	cJSON_AddItemToObject(
	    out, "info", store_token_to_json(&t, t.created_at));
	explicit_bzero(token, sizeof token);
	api_json(resp, 201, out);
out:
	cJSON_Delete(body);
}

void
handle_token_revoke(struct api_request *req, struct api_response *resp)
{
	struct token_row t;
	char *end;
	long long id;

	if (api_params_check(req, no_params, resp) == -1)
		return;
	id = strtoll(req->args[0], &end, 10);
	if (*req->args[0] < '1' || *req->args[0] > '9' || *end != '\0' ||
	    store_token_load(req->ad->store, id, &t) == -1) {
		api_error(resp, 404, NULL, "no token \"%s\"", req->args[0]);
		return;
	}
	if (t.owner != req->principal.uid &&
	    !(req->principal.admin && req->scopes & SCOPE_ADMIN)) {
		api_error(resp, 403, NULL,
		    "token %lld belongs to uid %u; permission denied", id,
		    (unsigned)t.owner);
		return;
	}
	if (t.revoked_at == 0) {
		t.revoked_at = agentd_now();
		if (store_token_revoke(req->ad->store, t.id, t.revoked_at) ==
		    -1) {
			api_error(resp, 500, NULL, "cannot revoke the token");
			return;
		}
		log_notice(
		    "gateway: token revoked id=%lld by=%s", id, req->who);
	}
	api_json(resp, 200, store_token_to_json(&t, agentd_now()));
}

/*
 * The status filter: a status ("429"), a class ("4xx") or "denied"
 * (401, 403 and 429: what the gateway refused).
 */
static int
audit_status(const char *s, struct audit_filter *f)
{
	char *end;
	long v;

	if (strcmp(s, "denied") == 0) {
		f->denied = 1;
		return 0;
	}
	if (s[0] >= '1' && s[0] <= '5' && strcmp(s + 1, "xx") == 0) {
		f->status_min = (s[0] - '0') * 100;
		f->status_max = f->status_min + 99;
		return 0;
	}
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 100 || v > 599)
		return -1;
	f->status_min = f->status_max = (int)v;
	return 0;
}

/* Parses time parameter KEY into *OUT, if given; -1 after a 400. */
static int
audit_time(struct api_request *req, const char *key, int64_t *out,
    struct api_response *resp)
{
	const char *v = api_param(req, key);
	char *cause = NULL;

	if (v == NULL || util_parse_time(v, req->ad->tz, out, &cause) == 0)
		return 0;
	api_error(resp, 400, key, "%s: %s", key, cause);
	free(cause);
	return -1;
}

void
handle_audit_list(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = { "since", "until", "principal",
		"job", "status", "limit", NULL };
	struct audit_filter f;
	const char *status;
	int64_t limit = 100;
	cJSON *out = NULL;

	if (!req->principal.admin) {
		api_error(resp, 403, NULL, "the audit log is for admins");
		return;
	}
	memset(&f, 0, sizeof f);
	if (api_params_check(req, allowed, resp) == -1 ||
	    api_param_int(req, "limit", 1, 10000, &limit, resp) == -1 ||
	    audit_time(req, "since", &f.since, resp) == -1 ||
	    audit_time(req, "until", &f.until, resp) == -1)
		return;
	if ((status = api_param(req, "status")) != NULL &&
	    audit_status(status, &f) == -1) {
		api_error(resp, 400, "status",
		    "status: expected a status from 100 to 599, a class "
		    "such as 4xx, or denied; not \"%s\"",
		    status);
		return;
	}
	if (f.until != 0 && f.until <= f.since) {
		api_error(resp, 400, "until", "until must be after since");
		return;
	}
	f.principal = api_param(req, "principal");
	f.job = api_param(req, "job");
	f.limit = (int)limit;
	if (store_audit_list(req->ad->store, &f, &out) == -1) {
		api_error(resp, 500, NULL, "cannot read the audit log");
		return;
	}
	api_json(resp, 200, out);
}
