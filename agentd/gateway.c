/* SPDX-License-Identifier: ISC */
/*
 * The HTTP transport of the API: libmicrohttpd serving the daemon's Unix
 * socket from the event loop thread (MHD's epoll fd is one of the loop's
 * fds; MHD has no thread of its own), the route table, request bodies,
 * peer credentials, error bodies and the plumbing of streamed responses.
 * What a route means lives in handlers-*.c; this file never looks inside
 * a job or a run, and never logs a request body.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "gateway-int.h"
#include "gateway.h"
#include "log.h"
#include "loop.h"
#include "remote.h"
#include "util.h"
#include "xmalloc.h"

#define GW_STREAM_BLOCK 4096

/* Route flags. */
#define ROUTE_LEGACY 0x1 /* the original sketch: errors carry "status" */

/*
 * CLASS is what the route does: the scope a bearer credential needs and
 * the rate-limit bucket it draws from (admin routes draw from write).
 * The original sketch's four endpoints are in the classes of the REST
 * routes that do the same, so switching routes gains nothing.
 */
struct route {
	const char *method;
	const char *pattern; /* "{}" segments are path parameters */
	api_handler handler;
	int flags;
	enum action_class class;
};

/* tests/cli/remote.bats reads this table: keep one route a line. */
/* clang-format off */
static const struct route gw_routes[] = {
	{ "GET", "/healthz", handle_healthz, 0, ACTION_PUBLIC },
	{ "GET", "/metrics", handle_metrics, 0, ACTION_READ },
	{ "GET", "/api/v1/openapi.json", handle_openapi, 0, ACTION_PUBLIC },
	{ "GET", "/api/v1/status", handle_status, 0, ACTION_READ },
	{ "GET", "/api/v1/events", handle_events, 0, ACTION_READ },
	{ "GET", "/api/v1/jobs", handle_jobs_list, 0, ACTION_READ },
	{ "POST", "/api/v1/jobs", handle_jobs_create, 0, ACTION_WRITE },
	{ "PUT", "/api/v1/jobs", handle_jobs_apply, 0, ACTION_WRITE },
	{ "GET", "/api/v1/jobs/{}", handle_job_get, 0, ACTION_READ },
	{ "PUT", "/api/v1/jobs/{}", handle_job_put, 0, ACTION_WRITE },
	{ "PATCH", "/api/v1/jobs/{}", handle_job_patch, 0, ACTION_WRITE },
	{ "DELETE", "/api/v1/jobs/{}", handle_job_delete, 0, ACTION_WRITE },
	{ "POST", "/api/v1/jobs/{}/trigger", handle_job_trigger, 0, ACTION_TRIGGER },
	{ "POST", "/api/v1/jobs/{}/pause", handle_job_pause, 0, ACTION_WRITE },
	{ "POST", "/api/v1/jobs/{}/resume", handle_job_resume, 0, ACTION_WRITE },
	{ "GET", "/api/v1/jobs/{}/versions", handle_job_versions, 0, ACTION_READ },
	{ "POST", "/api/v1/jobs/{}/rollback", handle_job_rollback, 0, ACTION_WRITE },
	{ "GET", "/api/v1/jobs/{}/decisions", handle_job_decisions, 0, ACTION_READ },
	{ "GET", "/api/v1/runs", handle_runs_list, 0, ACTION_READ },
	{ "GET", "/api/v1/runs/{}", handle_run_get, 0, ACTION_READ },
	{ "POST", "/api/v1/runs/{}/stop", handle_run_stop, 0, ACTION_TRIGGER },
	{ "GET", "/api/v1/runs/{}/log", handle_run_log, 0, ACTION_READ },
	{ "GET", "/api/v1/runs/{}/notifications", handle_run_notifications, 0, ACTION_READ },
	{ "GET", "/api/v1/jobs/{}/notifications", handle_job_notifications, 0, ACTION_READ },
	{ "GET", "/api/v1/groups", handle_groups_list, 0, ACTION_READ },
	{ "GET", "/api/v1/groups/{}", handle_group_get, 0, ACTION_READ },
	{ "PUT", "/api/v1/groups/{}", handle_group_put, 0, ACTION_ADMIN },
	{ "DELETE", "/api/v1/groups/{}", handle_group_delete, 0, ACTION_ADMIN },
	{ "GET", "/api/v1/tokens", handle_tokens_list, 0, ACTION_READ },
	{ "POST", "/api/v1/tokens", handle_tokens_create, 0, ACTION_ADMIN },
	{ "DELETE", "/api/v1/tokens/{}", handle_token_revoke, 0, ACTION_WRITE },
	{ "GET", "/api/v1/audit", handle_audit_list, 0, ACTION_ADMIN },
	{ "POST", "/api/v1/cron-schedule", handle_legacy_schedule, ROUTE_LEGACY, ACTION_WRITE },
	{ "GET", "/api/v1/cron-jobs/status", handle_legacy_status, ROUTE_LEGACY, ACTION_READ },
	{ "POST", "/api/v1/cron-jobs/trigger", handle_legacy_trigger, ROUTE_LEGACY, ACTION_TRIGGER },
	{ "POST", "/api/v1/cron-jobs/stop", handle_legacy_stop, ROUTE_LEGACY, ACTION_TRIGGER },
};
/* clang-format on */
#define GW_NROUTES (sizeof gw_routes / sizeof gw_routes[0])
#define GW_ROUTE_NONE ((int)GW_NROUTES) /* metrics slot for no route */

/*
 * Matches PATH against PATTERN segment by segment; "{}" takes any one
 * non-empty segment into ARGS. Returns 1 on a match.
 */
static int
gateway_match(const char *pattern, const char *path, const char **args,
    char *scratch, size_t scratchlen)
{
	const char *p = pattern, *s = path;
	size_t n, used = 0;
	int nargs = 0;

	while (*p != '\0' && *s != '\0') {
		if (*p != '/' || *s != '/')
			return 0;
		p++;
		s++;
		n = strcspn(s, "/");
		if (strncmp(p, "{}", 2) == 0 && (p[2] == '/' || p[2] == '\0')) {
			if (n == 0 || nargs == API_ARGS_MAX ||
			    used + n + 1 > scratchlen)
				return 0;
			memcpy(scratch + used, s, n);
			scratch[used + n] = '\0';
			args[nargs++] = scratch + used;
			used += n + 1;
			p += 2;
		} else {
			if (strncmp(p, s, n) != 0 ||
			    (p[n] != '/' && p[n] != '\0'))
				return 0;
			p += n;
		}
		s += n;
	}
	return *p == '\0' && *s == '\0';
}

/*
 * Finds the route for METHOD and PATH. Returns its index, or -1 when no
 * route has the path (404), or -2 when the path exists under other
 * methods, listed in ALLOW (405).
 */
static int
gateway_route(const char *method, const char *path, const char **args,
    char *scratch, size_t scratchlen, char *allow, size_t allowlen)
{
	const char *tmp[API_ARGS_MAX];
	size_t i;
	int found = -1;

	allow[0] = '\0';
	for (i = 0; i < GW_NROUTES; i++) {
		if (!gateway_match(
		        gw_routes[i].pattern, path, tmp, scratch, scratchlen))
			continue;
		if (strcmp(gw_routes[i].method, method) == 0) {
			memcpy(args, tmp, sizeof tmp);
			return (int)i;
		}
		if (allow[0] != '\0')
			strlcat(allow, ", ", allowlen);
		strlcat(allow, gw_routes[i].method, allowlen);
		found = -2;
	}
	return found;
}

/* Who is at the other end of a Unix socket connection. */
struct gw_peer {
	int known; /* gateway_peer succeeded */
	struct principal principal;
	gid_t gid;
	pid_t pid;
};

/*
 * MHD's connection hook: the peer of a Unix socket is named once, when it
 * connects. SO_PEERCRED gives the credentials of connect() time anyway,
 * and the group lookups behind the admin check cost more than the rest of
 * a cached read.
 */
void
gateway_connection(void *cls, struct MHD_Connection *conn,
    void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	struct gw_listener *l = cls;
	const union MHD_ConnectionInfo *ci;
	struct gw_peer *peer;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		free(*socket_context);
		*socket_context = NULL;
		return;
	}
	if (l->remote)
		return;
	peer = xcalloc(1, sizeof *peer);
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci != NULL &&
	    gateway_peer(
	        ci->connect_fd, &peer->principal, &peer->gid, &peer->pid) == 0)
		peer->known = 1;
	*socket_context = peer;
}

/* The caller: the peer credentials of the connection's socket. */
static int
gateway_principal(struct MHD_Connection *conn, struct api_request *req)
{
	const union MHD_ConnectionInfo *ci;
	const struct gw_peer *peer;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci == NULL || (peer = ci->socket_context) == NULL || !peer->known)
		return -1;
	req->principal = peer->principal;
	req->gid = peer->gid;
	req->pid = peer->pid;
	return 0;
}

static enum MHD_Result
gateway_collect_param(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct api_request *req = cls;

	(void)kind;
	if (req->nparams == API_PARAMS_MAX) {
		req->too_many_params = 1;
		return MHD_NO;
	}
	req->params[req->nparams].key = key;
	req->params[req->nparams].value = value;
	req->nparams++;
	return MHD_YES;
}

static void
gateway_count(struct gateway *gw, int route, int status)
{
	size_t i;

	for (i = 0; i < gw->ncounters; i++) {
		if (gw->counters[i].route == route &&
		    gw->counters[i].status == status) {
			gw->counters[i].count++;
			return;
		}
	}
	gw->counters = xreallocarray(
	    gw->counters, gw->ncounters + 1, sizeof *gw->counters);
	gw->counters[gw->ncounters].route = route;
	gw->counters[gw->ncounters].status = status;
	gw->counters[gw->ncounters].count = 1;
	gw->ncounters++;
}

void
gateway_metrics(struct gateway *gw, FILE *out)
{
	const struct gw_counter *k;
	enum rate_bucket b;
	size_t i;

	fprintf(out,
	    "# HELP cronq_http_requests_total HTTP requests served, "
	    "by route and status.\n"
	    "# TYPE cronq_http_requests_total counter\n");
	for (i = 0; i < gw->ncounters; i++) {
		k = &gw->counters[i];
		fprintf(out,
		    "cronq_http_requests_total{method=\"%s\",route=\"%s\","
		    "status=\"%d\"} %llu\n",
		    k->route == GW_ROUTE_NONE ? "other"
		                              : gw_routes[k->route].method,
		    k->route == GW_ROUTE_NONE ? "none"
		                              : gw_routes[k->route].pattern,
		    k->status, (unsigned long long)k->count);
	}
	fprintf(out,
	    "# HELP cronq_rate_limited_total Requests refused with 429, "
	    "by bucket.\n"
	    "# TYPE cronq_rate_limited_total counter\n");
	for (b = 0; b < RATE_NBUCKETS; b++)
		fprintf(out, "cronq_rate_limited_total{bucket=\"%s\"} %llu\n",
		    ratelimit_bucket_name(b),
		    (unsigned long long)ratelimit_rejected(gw->rl, b));
}

void
gateway_waiting_remove(struct gateway *gw, struct gw_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else if (gw->waiting == c)
		gw->waiting = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
}

/*
 * MHD asks for more of a streamed body. When the stream has nothing now
 * the connection is suspended (so the loop does not spin on it) until
 * gateway_wake names its channel and key.
 */
static ssize_t
gateway_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct gw_conn *c = cls;
	struct gateway *gw = c->gw;
	ssize_t n;

	(void)pos;
	n = c->stream.read(c->stream.arg, buf, max);
	if (n > 0)
		return n;
	if (n < 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	c->suspended = 1;
	c->prev = NULL;
	c->next = gw->waiting;
	if (gw->waiting != NULL)
		gw->waiting->prev = c;
	gw->waiting = c;
	MHD_suspend_connection(c->conn);
	return 0;
}

struct gw_events *
gateway_events(struct gateway *gw)
{
	return gw->events;
}

struct metrics *
gateway_metrics_get(struct gateway *gw)
{
	return gw->metrics;
}

void
gateway_wake(struct gateway *gw, enum api_channel channel, int64_t key)
{
	struct gw_conn *c, *next;

	for (c = gw->waiting; c != NULL; c = next) {
		next = c->next;
		if (c->stream.channel != channel ||
		    (channel == API_CHANNEL_LOG && c->stream.key != key))
			continue;
		gateway_waiting_remove(gw, c);
		c->suspended = 0;
		gw->resumed = 1;
		MHD_resume_connection(c->conn);
	}
}

/* Adds {"status": "error", "message": ...} beside the error object. */
static void
gateway_legacy_error(cJSON *json)
{
	cJSON *err, *msg;

	err = cJSON_GetObjectItemCaseSensitive(json, "error");
	msg = cJSON_GetObjectItemCaseSensitive(err, "message");
	if (!cJSON_IsString(msg) ||
	    cJSON_GetObjectItemCaseSensitive(json, "status") != NULL)
		return;
	cJSON_AddStringToObject(json, "status", "error");
	cJSON_AddStringToObject(json, "message", msg->valuestring);
}

static enum MHD_Result
gateway_queue(struct gw_conn *c, int route, struct api_response *resp)
{
	struct MHD_Response *r;
	const char *type;
	char *text;
	size_t len;
	enum MHD_Result ret;

	if (resp->stream.read != NULL) {
		c->stream = resp->stream;
		resp->stream.read = NULL;
		resp->stream.arg = NULL;
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
		    GW_STREAM_BLOCK, gateway_stream_read, c, NULL);
		type = resp->content_type;
	} else if (resp->json != NULL) {
		if (route >= 0 && route != GW_ROUTE_NONE &&
		    (gw_routes[route].flags & ROUTE_LEGACY) &&
		    resp->status >= 400)
			gateway_legacy_error(resp->json);
		text = cJSON_PrintUnformatted(resp->json);
		if (text == NULL)
			fatalx("gateway: out of memory printing JSON");
		/* A final newline keeps curl output readable in a shell. */
		len = strlen(text);
		text = xreallocarray(text, 1, len + 2);
		text[len++] = '\n';
		text[len] = '\0';
		r = MHD_create_response_from_buffer(
		    len, text, MHD_RESPMEM_MUST_FREE);
		type = "application/json; charset=utf-8";
	} else {
		text = resp->text;
		len = resp->text_len;
		resp->text = NULL;
		if (text == NULL)
			text = xstrdup("");
		r = MHD_create_response_from_buffer(
		    len, text, MHD_RESPMEM_MUST_FREE);
		type = resp->content_type != NULL ? resp->content_type
		                                  : "text/plain; charset=utf-8";
	}
	if (r == NULL)
		fatalx("gateway: cannot create a response");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (resp->allow != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
	if (resp->www_authenticate != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    resp->www_authenticate);
	if (resp->retry_after != NULL)
		MHD_add_response_header(
		    r, MHD_HTTP_HEADER_RETRY_AFTER, resp->retry_after);
	if (c->stream.read != NULL)
		MHD_add_response_header(
		    r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	ret = MHD_queue_response(c->conn, (unsigned int)resp->status, r);
	MHD_destroy_response(r);
	gateway_count(c->gw, route < 0 ? GW_ROUTE_NONE : route, resp->status);
	return ret;
}

static void
gateway_response_clear(struct api_response *resp)
{
	cJSON_Delete(resp->json);
	free(resp->text);
	if (resp->stream.free != NULL && resp->stream.arg != NULL)
		resp->stream.free(resp->stream.arg);
}

/*
 * Who asks: on the Unix socket the peer's uid with every scope; on TCP
 * the source address now and the credential in gateway_admit.
 */
static int
gateway_caller(struct gw_conn *c, struct api_request *req)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	char host[INET6_ADDRSTRLEN];

	req->remote = c->l->remote;
	if (!req->remote) {
		strlcpy(req->source, "unix", sizeof req->source);
		if (gateway_principal(c->conn, req) == -1)
			return -1;
		req->scopes = SCOPE_ALL;
		snprintf(req->who, sizeof req->who, "uid:%u",
		    (unsigned)req->principal.uid);
		return 0;
	}
	strlcpy(req->source, "?", sizeof req->source);
	ci = MHD_get_connection_info(
	    c->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    host, sizeof host);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, host,
		    sizeof host);
	else
		return 0;
	strlcpy(req->source, host, sizeof req->source);
	return 0;
}

/* Answers an admitted request: its route, or why there is none. */
static void
gateway_handle(struct gw_conn *c, struct api_request *req,
    struct api_response *resp, int route, char *allow)
{
	if (route == -1) {
		api_error(resp, 404, NULL, "no such endpoint: %s", req->path);
		return;
	}
	if (route == -2) {
		resp->allow = allow;
		api_error(resp, 405, NULL,
		    "%s is not allowed on %s (allowed: %s)", req->method,
		    req->path, allow);
		return;
	}
	if (c->too_large) {
		api_error(resp, 413, NULL, "request body exceeds %d bytes",
		    API_BODY_MAX);
		return;
	}
	MHD_get_connection_values(
	    c->conn, MHD_GET_ARGUMENT_KIND, gateway_collect_param, req);
	req->last_event_id = MHD_lookup_connection_value(
	    c->conn, MHD_HEADER_KIND, "Last-Event-ID");
	req->body = c->len > 0 ? c->body : NULL;
	req->body_len = c->len;
	if (req->too_many_params)
		api_error(resp, 400, NULL, "more than %d query parameters",
		    API_PARAMS_MAX);
	else
		gw_routes[route].handler(req, resp);
	if (resp->status == 0)
		api_error(resp, 500, NULL, "the handler gave no answer");
}

/* Routes a fully received request and queues its response. */
static enum MHD_Result
gateway_dispatch(struct gw_conn *c, const char *url, const char *method)
{
	struct gateway *gw = c->gw;
	struct api_request req;
	struct api_response resp;
	char scratch[PATH_MAX], allow[64], logpath[256];
	int route;
	enum action_class class;
	enum MHD_Result ret;

	memset(&req, 0, sizeof req);
	memset(&resp, 0, sizeof resp);
	req.ad = gw->ad;
	req.gw = gw;
	req.method = method;
	req.path = url;
	route = gateway_route(method, url, req.args, scratch, sizeof scratch,
	    allow, sizeof allow);
	/* Authentication before lookup: an unknown path tells nothing. */
	class = route >= 0 ? gw_routes[route].class : ACTION_READ;
	if (gateway_caller(c, &req) == -1) {
		log_warn("gateway: cannot read peer credentials");
		api_error(&resp, 403, NULL, "cannot identify the caller");
	} else if (gateway_admit(gw, &req, class,
	               MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND,
	                   MHD_HTTP_HEADER_AUTHORIZATION),
	               &resp) == 0)
		gateway_handle(c, &req, &resp, route, allow);
	req.body = c->len > 0 ? c->body : NULL;
	gateway_audit(gw, &req, &resp);
	if (log_level_enabled(LOG_DEBUG)) {
		util_escape(logpath, sizeof logpath, url);
		log_debug("gateway: %s \"%s\" who=%s source=%s status=%d",
		    method, logpath, req.who[0] != '\0' ? req.who : "anonymous",
		    req.source, resp.status);
	}
	ret = gateway_queue(c, route, &resp);
	gateway_response_clear(&resp);
	return ret;
}

struct ratelimit *
gateway_ratelimit(struct gateway *gw)
{
	return gw->rl;
}

/* Keeps up to API_BODY_MAX bytes of the body; the rest is read and
 * dropped so the connection stays usable for the 413 answer. */
static void
gateway_body_append(struct gw_conn *c, const char *data, size_t len)
{
	size_t want;

	if (c->too_large || len > API_BODY_MAX - c->len) {
		c->too_large = 1;
		return;
	}
	want = c->len + len + 1;
	if (want > c->cap) {
		c->cap = c->cap == 0 ? 4096 : c->cap;
		while (c->cap < want)
			c->cap *= 2;
		c->body = xreallocarray(c->body, 1, c->cap);
	}
	memcpy(c->body + c->len, data, len);
	c->len += len;
	c->body[c->len] = '\0';
}

/*
 * MHD's access handler. libmicrohttpd closes the connection when a
 * response is queued on the first call, before the request has been
 * read, so the first call only sets up state; the body arrives on the
 * middle calls; the answer is queued on the last call.
 */
enum MHD_Result
gateway_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct gw_conn *c = *con_cls;

	(void)version;
	if (c == NULL) {
		c = xcalloc(1, sizeof *c);
		c->l = cls;
		c->gw = c->l->gw;
		c->conn = conn;
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		gateway_body_append(c, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	return gateway_dispatch(c, url, method);
}

void
gateway_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct gw_listener *l = cls;
	struct gateway *gw = l->gw;
	struct gw_conn *c = *con_cls;

	(void)conn;
	(void)toe;
	if (c == NULL)
		return;
	if (c->suspended)
		gateway_waiting_remove(gw, c);
	if (c->stream.free != NULL)
		c->stream.free(c->stream.arg);
	free(c->body);
	free(c);
	*con_cls = NULL;
}
