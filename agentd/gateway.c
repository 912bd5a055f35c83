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

#include "gateway.h"
#include "log.h"
#include "loop.h"
#include "util.h"
#include "xmalloc.h"

#define GW_IDLE_TIMEOUT 120 /* seconds a kept-alive connection may idle */
#define GW_MAX_CONNECTIONS 256
#define GW_STREAM_BLOCK 4096

/* Route flags. */
#define ROUTE_LEGACY 0x1 /* the original sketch: errors carry "status" */

struct route {
	const char *method;
	const char *pattern; /* "{}" segments are path parameters */
	api_handler handler;
	int flags;
};

static const struct route gw_routes[] = {
	{ "GET", "/healthz", handle_healthz, 0 },
	{ "GET", "/metrics", handle_metrics, 0 },
	{ "GET", "/api/v1/openapi.json", handle_openapi, 0 },
	{ "GET", "/api/v1/status", handle_status, 0 },
	{ "GET", "/api/v1/events", handle_events, 0 },
	{ "GET", "/api/v1/jobs", handle_jobs_list, 0 },
	{ "POST", "/api/v1/jobs", handle_jobs_create, 0 },
	{ "PUT", "/api/v1/jobs", handle_jobs_apply, 0 },
	{ "GET", "/api/v1/jobs/{}", handle_job_get, 0 },
	{ "PUT", "/api/v1/jobs/{}", handle_job_put, 0 },
	{ "PATCH", "/api/v1/jobs/{}", handle_job_patch, 0 },
	{ "DELETE", "/api/v1/jobs/{}", handle_job_delete, 0 },
	{ "POST", "/api/v1/jobs/{}/trigger", handle_job_trigger, 0 },
	{ "POST", "/api/v1/jobs/{}/pause", handle_job_pause, 0 },
	{ "POST", "/api/v1/jobs/{}/resume", handle_job_resume, 0 },
	{ "GET", "/api/v1/jobs/{}/versions", handle_job_versions, 0 },
	{ "POST", "/api/v1/jobs/{}/rollback", handle_job_rollback, 0 },
	{ "GET", "/api/v1/jobs/{}/decisions", handle_job_decisions, 0 },
	{ "GET", "/api/v1/runs", handle_runs_list, 0 },
	{ "GET", "/api/v1/runs/{}", handle_run_get, 0 },
	{ "POST", "/api/v1/runs/{}/stop", handle_run_stop, 0 },
	{ "GET", "/api/v1/runs/{}/log", handle_run_log, 0 },
	{ "GET", "/api/v1/runs/{}/notifications", handle_run_notifications, 0 },
	{ "GET", "/api/v1/jobs/{}/notifications", handle_job_notifications, 0 },
	{ "GET", "/api/v1/groups", handle_groups_list, 0 },
	{ "GET", "/api/v1/groups/{}", handle_group_get, 0 },
	{ "PUT", "/api/v1/groups/{}", handle_group_put, 0 },
	{ "DELETE", "/api/v1/groups/{}", handle_group_delete, 0 },
	{ "POST", "/api/v1/cron-schedule", handle_legacy_schedule,
	    ROUTE_LEGACY },
	{ "GET", "/api/v1/cron-jobs/status", handle_legacy_status,
	    ROUTE_LEGACY },
	{ "POST", "/api/v1/cron-jobs/trigger", handle_legacy_trigger,
	    ROUTE_LEGACY },
	{ "POST", "/api/v1/cron-jobs/stop", handle_legacy_stop, ROUTE_LEGACY },
};
#define GW_NROUTES (sizeof gw_routes / sizeof gw_routes[0])
#define GW_ROUTE_NONE ((int)GW_NROUTES) /* metrics slot for no route */

/* One counter of HTTP requests by route and status, for /metrics. */
struct gw_counter {
	int route;
	int status;
	uint64_t count;
};

/* State of one request, from its first byte to its completion. */
struct gw_conn {
	struct gateway *gw;
	struct MHD_Connection *conn;
	char *body;
	size_t len;
	size_t cap;
	int too_large;
	struct api_stream stream;
	int suspended;
	struct gw_conn *next; /* on gw->waiting while suspended */
	struct gw_conn *prev;
};

struct gateway {
	struct loop *loop;
	struct agentd *ad;
	struct MHD_Daemon *mhd;
	int listen_fd;
	int epoll_fd;
	struct loop_timer *timer;
	int64_t timer_at;
	struct gw_conn *waiting; /* suspended streams */
	int resumed;             /* MHD_run owed for resumed streams */
	struct gw_counter *counters;
	size_t ncounters;
	struct gw_events *events;
	struct metrics *metrics;
};

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

/* The caller: the peer credentials of the connection's socket. */
static int
gateway_principal(struct MHD_Connection *conn, struct api_request *req)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return -1;
	return gateway_peer(
	    ci->connect_fd, &req->principal, &req->gid, &req->pid);
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
}

static void
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

/* Routes a fully received request and queues its response. */
static enum MHD_Result
gateway_dispatch(struct gw_conn *c, const char *url, const char *method)
{
	struct gateway *gw = c->gw;
	struct api_request req;
	struct api_response resp;
	char scratch[PATH_MAX], allow[64];
	int route;
	enum MHD_Result ret;

	memset(&req, 0, sizeof req);
	memset(&resp, 0, sizeof resp);
	req.ad = gw->ad;
	req.gw = gw;
	req.method = method;
	req.path = url;
	route = gateway_route(method, url, req.args, scratch, sizeof scratch,
	    allow, sizeof allow);
	if (gateway_principal(c->conn, &req) == -1) {
		log_warn("gateway: cannot read peer credentials");
		api_error(&resp, 403, NULL, "cannot identify the caller");
	} else if (route == -1)
		api_error(&resp, 404, NULL, "no such endpoint: %s", url);
	else if (route == -2) {
		resp.allow = allow;
		api_error(&resp, 405, NULL,
		    "%s is not allowed on %s (allowed: %s)", method, url,
		    allow);
	} else if (c->too_large)
		api_error(&resp, 413, NULL, "request body exceeds %d bytes",
		    API_BODY_MAX);
	else {
		MHD_get_connection_values(c->conn, MHD_GET_ARGUMENT_KIND,
		    gateway_collect_param, &req);
		req.last_event_id = MHD_lookup_connection_value(
		    c->conn, MHD_HEADER_KIND, "Last-Event-ID");
		req.body = c->len > 0 ? c->body : NULL;
		req.body_len = c->len;
		if (req.too_many_params)
			api_error(&resp, 400, NULL,
			    "more than %d query parameters", API_PARAMS_MAX);
		else
			gw_routes[route].handler(&req, &resp);
		if (resp.status == 0)
			api_error(
			    &resp, 500, NULL, "the handler gave no answer");
	}
	log_debug("gateway: %s %s uid=%u status=%d", method, url,
	    (unsigned)req.principal.uid, resp.status);
	ret = gateway_queue(c, route, &resp);
	gateway_response_clear(&resp);
	return ret;
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
static enum MHD_Result
gateway_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct gw_conn *c = *con_cls;

	(void)version;
	if (c == NULL) {
		c = xcalloc(1, sizeof *c);
		c->gw = cls;
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

static void
gateway_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct gateway *gw = cls;
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

static void
gateway_run(struct gateway *gw)
{
	if (MHD_run(gw->mhd) != MHD_YES)
		log_warnx("gateway: MHD_run failed");
}

static void
gateway_on_epoll(int fd, uint32_t events, void *arg)
{
	(void)fd;
	(void)events;
	gateway_run(arg);
}

static void
gateway_on_timer(void *arg)
{
	struct gateway *gw = arg;

	gw->timer = NULL;
	gateway_run(gw);
}

/*
 * Before the loop sleeps: MHD may have work that no fd will announce
 * (data already buffered, a resumed connection, an idle timeout), which
 * MHD_get_timeout reports. Zero means "run now"; a few rounds settle it.
 */
void
gateway_before_sleep(struct gateway *gw)
{
	MHD_UNSIGNED_LONG_LONG ms = 0;
	int64_t at;
	int round;

	/* In external polling mode no fd announces a resumed connection. */
	if (gw->resumed) {
		gw->resumed = 0;
		gateway_run(gw);
	}
	for (round = 0; round < 4; round++) {
		if (MHD_get_timeout(gw->mhd, &ms) != MHD_YES) {
			if (gw->timer != NULL)
				loop_timer_cancel(gw->loop, gw->timer);
			gw->timer = NULL;
			return;
		}
		if (ms > 0)
			break;
		gateway_run(gw);
	}
	at = loop_now_ms() + (int64_t)ms;
	if (gw->timer != NULL && gw->timer_at == at)
		return;
	if (gw->timer != NULL)
		loop_timer_cancel(gw->loop, gw->timer);
	gw->timer_at = at;
	gw->timer = loop_timer_add(gw->loop, at, gateway_on_timer, gw);
}

static void
gateway_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_debug("gateway: mhd: %s", msg);
}

struct gateway *
gateway_create(struct agentd *ad, int listen_fd, char **cause)
{
	struct gateway *gw;
	struct loop *loop = ad->loop;
	const union MHD_DaemonInfo *di;

	gw = xcalloc(1, sizeof *gw);
	gw->loop = loop;
	gw->ad = ad;
	gw->listen_fd = listen_fd;
	/* The logger first, so MHD reports nothing on stderr itself. */
	gw->mhd = MHD_start_daemon(
	    MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0,
	    NULL, NULL, gateway_access, gw, MHD_OPTION_EXTERNAL_LOGGER,
	    gateway_mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET, listen_fd,
	    MHD_OPTION_NOTIFY_COMPLETED, gateway_completed, gw,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)GW_IDLE_TIMEOUT,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)GW_MAX_CONNECTIONS,
	    MHD_OPTION_END);
	if (gw->mhd == NULL) {
		xasprintf(cause, "cannot start the HTTP server");
		goto fail;
	}
	di = MHD_get_daemon_info(gw->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (di == NULL) {
		xasprintf(cause, "the HTTP server has no epoll fd");
		goto fail;
	}
	gw->epoll_fd = di->epoll_fd;
	if (loop_add_fd(loop, gw->epoll_fd, EPOLLIN, gateway_on_epoll, gw) ==
	    -1) {
		xasprintf(
		    cause, "cannot watch the HTTP server: %s", strerror(errno));
		goto fail;
	}
	gw->events = gateway_events_create(gw, loop);
	gw->metrics = metrics_create();
	return gw;

fail:
	/* Quiesced first so that MHD leaves the socket to the caller. */
	if (gw->mhd != NULL) {
		MHD_quiesce_daemon(gw->mhd);
		MHD_stop_daemon(gw->mhd);
	}
	free(gw);
	return NULL;
}

void
gateway_free(struct gateway *gw)
{
	struct gw_conn *c;

	if (gw == NULL)
		return;
	/* MHD must not be stopped with suspended connections. */
	while ((c = gw->waiting) != NULL) {
		gateway_waiting_remove(gw, c);
		c->suspended = 0;
		MHD_resume_connection(c->conn);
	}
	loop_del_fd(gw->loop, gw->epoll_fd);
	if (gw->timer != NULL)
		loop_timer_cancel(gw->loop, gw->timer);
	/* MHD closes the listening socket it was handed. */
	MHD_stop_daemon(gw->mhd);
	gateway_events_free(gw->events);
	metrics_free(gw->metrics);
	free(gw->counters);
	free(gw);
}
