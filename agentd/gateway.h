/* SPDX-License-Identifier: ISC */
/*
 * The API server: gateway.c speaks HTTP (libmicrohttpd on the event loop),
 * the handlers-*.c files answer one route each without knowing about the
 * transport. A handler reads a struct api_request and fills a struct
 * api_response: a status and a JSON object, a text body, or a stream.
 */
#ifndef GATEWAY_H
#define GATEWAY_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "agentd.h"
#include "remote.h"

struct gateway;

#define API_BODY_MAX (1024 * 1024) /* request bodies beyond are 413 */
#define API_PARAMS_MAX 16          /* query parameters kept per request */
#define API_ARGS_MAX 2             /* {name}/{id} parts of a route */

struct api_param {
	const char *key;
	const char *value; /* NULL for "?key" without "=" */
};

struct api_request {
	struct agentd *ad;
	struct gateway *gw;
	const char *method;
	const char *path;
	const char *args[API_ARGS_MAX]; /* path parameters, in order */
	struct api_param params[API_PARAMS_MAX];
	int nparams;
	int too_many_params;
	const char *body; /* NUL-terminated; NULL when empty */
	size_t body_len;
	const char *last_event_id; /* the Last-Event-ID header or NULL */

	/* The peer of the Unix socket; admin: root, the daemon's own user
	 * or a member of group cronq. */
	struct principal principal;
	gid_t gid;
	pid_t pid;

	/* Set by the gateway before the handler runs (gateway-remote.c). */
	int remote;          /* came over TCP with a bearer credential */
	unsigned int scopes; /* SCOPE_ bits; all of them on the socket */
	int64_t token_id;    /* the API token used, or 0 */
	char who[96];        /* "uid:0", "token:3", "jwt:SUB" */
	char source[64];     /* "unix" or the client's address */
	char body_job[CQ_NAME_MAX + 1]; /* the sketch's "task", for audit */
};

/*
 * A streamed body. READ copies up to MAX bytes into BUF and returns how
 * many; 0 means "nothing now, wake me when KEY on CHANNEL changes"; -1
 * ends the body. FREE releases ARG when the request is over.
 */
enum api_channel {
	API_CHANNEL_LOG,    /* KEY is a run id: its output grew or it ended */
	API_CHANNEL_EVENTS, /* KEY unused: an event was published */
};

struct api_stream {
	ssize_t (*read)(void *arg, char *buf, size_t max);
	void (*free)(void *arg);
	void *arg;
	enum api_channel channel;
	int64_t key;
};

struct api_response {
	int status;
	cJSON *json; /* owned; printed as the body */
	char *text;  /* owned; used when json is NULL */
	size_t text_len;
	const char *content_type; /* default: JSON, or text/plain for text */
	const char *allow;        /* the Allow header of a 405 */
	const char *retry_after;
	const char *www_authenticate; /* the challenge of a 401 */
	char retry_buf[16];           /* room for retry_after */
	struct api_stream stream;     /* stream.read != NULL: a streamed body */
};

typedef void (*api_handler)(struct api_request *, struct api_response *);

/* gateway-unix.c */
/*
 * Creates, binds and listens on the Unix socket PATH with MODE (the umask
 * is tightened around bind so the socket never exists with looser bits).
 * A stale socket left by a dead daemon is replaced; a live one is an
 * error. Returns the listening fd (non-blocking, close-on-exec) or -1
 * with *cause set (caller frees).
 */
int gateway_listen_unix(const char *path, mode_t mode, char **cause);
/*
 * Names the peer of connected socket FD: its uid, and admin when it is
 * root, the daemon's own user or in group cronq (primary or
 * supplementary). Returns 0, or -1 with errno.
 */
int gateway_peer(int fd, struct principal *p, gid_t *gid, pid_t *pid);

/* gateway.c */
/*
 * Serves the API on LISTEN_FD (taken: closed by gateway_free) from AD's
 * loop thread; AD is passed to every handler. gateway_start (agentd.h)
 * is this on ad->socket_path. Returns NULL with *cause set.
 */
struct gateway *gateway_create(struct agentd *ad, int listen_fd, char **cause);
/* Ends every stream, closes every connection and the socket. */
void gateway_free(struct gateway *gw);
/* Runs MHD's pending work and arms its timeout; before each sleep. */
void gateway_before_sleep(struct gateway *gw);
/* Wakes the streams waiting on CHANNEL/KEY (a run's log, the events). */
void gateway_wake(struct gateway *gw, enum api_channel channel, int64_t key);
/* Writes the HTTP request counters to OUT in Prometheus text format. */
void gateway_metrics(struct gateway *gw, FILE *out);

/* gateway-listen.c: the TCP listeners. */
/*
 * Makes GW's TCP listeners those of CFG: new addresses are bound, gone
 * ones stop taking connections, and one whose TLS files changed serves
 * the new ones on the same socket. Everything is read, checked (the
 * certificate and key by GnuTLS) and bound before anything changes, so
 * on -1 (*cause "FILE:LINE:COLUMN: why") the old listeners serve on.
 */
int gateway_tcp_configure(
    struct gateway *gw, const struct agentd_config *cfg, char **cause);
/* gateway.c */
struct ratelimit *gateway_ratelimit(struct gateway *gw);

/* gateway-remote.c */
/* Reads the PEM files of CONF (caller frees *cert and *key). */
int gateway_tls_files(
    const struct listener_conf *conf, char **cert, char **key, char **cause);
/* Binds and listens on CONF's address; the fd, or -1 with *cause. */
int gateway_listen_tcp(const struct listener_conf *conf, char **cause);
/*
 * Lets REQ through to a route of CLASS, or fills RESP (401, 403, 429)
 * and returns -1. On TCP it authenticates AUTHZ (the Authorization
 * header), checks the scope and takes from the rate-limit buckets.
 */
int gateway_admit(struct gateway *gw, struct api_request *req,
    enum action_class class, const char *authz, struct api_response *resp);
/* Records REQ and its answer when it changed something or was denied. */
void gateway_audit(struct gateway *gw, struct api_request *req,
    const struct api_response *resp);

/* gateway-events.c: the event ring behind GET /events. */
struct gw_events;
struct gw_events *gateway_events_create(struct gateway *gw, struct loop *loop);
void gateway_events_free(struct gw_events *e);
/* The gateway's event ring (gateway.c). */
struct gw_events *gateway_events(struct gateway *gw);
/*
 * Publishes an event of TYPE ("run" or "job") about a job of OWNER with
 * DATA (not taken) to the /events streams allowed to see it; the last few
 * hundred are kept so a client that reconnects with Last-Event-ID misses
 * nothing recent. A run event also wakes the followers of its log.
 */
void gateway_publish(
    struct gateway *gw, const char *type, uid_t owner, const cJSON *data);
/* The same for RUN (copied), printed only when a stream reaches it. */
void gateway_publish_run(struct gateway *gw, const struct run *run);
/* Sets up RESP to stream events after LAST_ID (or from now when NULL)
 * that principal P may see. */
void gateway_events_stream(struct gateway *gw, const struct principal *p,
    const char *last_id, struct api_response *resp);
/*
 * Watches the log file PATH of run RUN_ID for writes, waking its
 * followers on each; balanced by gateway_unwatch_log. Returns 0 or -1.
 */
int gateway_watch_log(struct gateway *gw, int64_t run_id, const char *path);
void gateway_unwatch_log(struct gateway *gw, int64_t run_id);

/* handlers.c: helpers shared by the route functions. */
/* Sets an error response: {"error": {"code", "message", "field"?}}. */
void api_error(struct api_response *resp, int status, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The error code word for STATUS ("not_found" for 404). */
const char *api_error_code(int status);
/* Sets a JSON body (taken) with STATUS. */
void api_json(struct api_response *resp, int status, cJSON *json);
/* Value of query parameter KEY, or NULL (also for "?KEY"). */
const char *api_param(const struct api_request *req, const char *key);
/*
 * Fails with 400 naming the first query parameter not in the
 * NULL-terminated list ALLOWED. Returns 0 when all are known.
 */
int api_params_check(const struct api_request *req, const char *const *allowed,
    struct api_response *resp);
/*
 * Parses query parameter KEY as an integer in [MIN, MAX] into *OUT (left
 * alone when absent). Returns 0, or -1 with a 400 naming KEY in RESP.
 */
int api_param_int(const struct api_request *req, const char *key, int64_t min,
    int64_t max, int64_t *out, struct api_response *resp);
/*
 * Parses the request body as a JSON object. An empty body gives NULL when
 * OPTIONAL, else an error. Returns 0 with *out set (caller frees), or -1
 * with a 400 in RESP.
 */
int api_body_object(const struct api_request *req, int optional, cJSON **out,
    struct api_response *resp);
/*
 * Fails with 422 naming the first member of OBJ not in ALLOWED (a
 * NULL-terminated list). Returns 0 when all are known.
 */
int api_fields_check(
    const cJSON *obj, const char *const *allowed, struct api_response *resp);
/* Sets the error response for ERR from an ops_* call. */
void api_agentd_error(
    struct api_response *resp, const struct agentd_error *err);
/*
 * Takes the result of an ops_* call: on RC 0 a STATUS response with OUT,
 * otherwise the error.
 */
void api_ops_result(struct api_response *resp, int rc, int status, cJSON *out,
    const struct agentd_error *err);
/* Parses a run id path parameter; -1 with a 404 in RESP when bad. */
int api_run_id(const char *text, int64_t *id, struct api_response *resp);

/* metrics.c */
struct metrics;
struct metrics *metrics_create(void);
void metrics_free(struct metrics *m);
/*
 * Counts the run RUN (as the API shows it) of a job of OWNER if it just
 * reached its end.
 */
void metrics_run_event(struct metrics *m, uid_t owner, const cJSON *run);
/* The same from the daemon's own run row. */
void metrics_run_count(struct metrics *m, const struct run *run);
/*
 * Writes the run counters and gauges in Prometheus text format; per-job
 * series only for the jobs P may see.
 */
void metrics_write(
    struct metrics *m, struct agentd *ad, const struct principal *p, FILE *out);
/* Histograms (durations, schedule lag), retries and decisions. */
void metrics_write_more(
    struct metrics *m, struct agentd *ad, const struct principal *p, FILE *out);
/* The gateway's metrics (gateway.c). */
struct metrics *gateway_metrics_get(struct gateway *gw);

/* The route functions, one per method and path (handlers-*.c). */
void handle_healthz(struct api_request *, struct api_response *);
void handle_metrics(struct api_request *, struct api_response *);
void handle_openapi(struct api_request *, struct api_response *);
void handle_status(struct api_request *, struct api_response *);
void handle_events(struct api_request *, struct api_response *);

void handle_jobs_list(struct api_request *, struct api_response *);
void handle_jobs_create(struct api_request *, struct api_response *);
void handle_jobs_apply(struct api_request *, struct api_response *);
void handle_job_get(struct api_request *, struct api_response *);
void handle_job_put(struct api_request *, struct api_response *);
void handle_job_patch(struct api_request *, struct api_response *);
void handle_job_delete(struct api_request *, struct api_response *);
void handle_job_trigger(struct api_request *, struct api_response *);
void handle_job_pause(struct api_request *, struct api_response *);
void handle_job_resume(struct api_request *, struct api_response *);
void handle_job_versions(struct api_request *, struct api_response *);
void handle_job_rollback(struct api_request *, struct api_response *);
void handle_job_decisions(struct api_request *, struct api_response *);

void handle_runs_list(struct api_request *, struct api_response *);
void handle_run_get(struct api_request *, struct api_response *);
void handle_run_stop(struct api_request *, struct api_response *);
void handle_run_log(struct api_request *, struct api_response *);

/* handlers-admin.c */
void handle_tokens_list(struct api_request *, struct api_response *);
void handle_tokens_create(struct api_request *, struct api_response *);
void handle_token_revoke(struct api_request *, struct api_response *);
void handle_audit_list(struct api_request *, struct api_response *);
/* handlers-groups.c */
void handle_groups_list(struct api_request *, struct api_response *);
void handle_group_get(struct api_request *, struct api_response *);
void handle_group_put(struct api_request *, struct api_response *);
void handle_group_delete(struct api_request *, struct api_response *);
/* handlers-notify.c */
void handle_run_notifications(struct api_request *, struct api_response *);
void handle_job_notifications(struct api_request *, struct api_response *);

void handle_legacy_schedule(struct api_request *, struct api_response *);
void handle_legacy_status(struct api_request *, struct api_response *);
void handle_legacy_trigger(struct api_request *, struct api_response *);
void handle_legacy_stop(struct api_request *, struct api_response *);

/* The OpenAPI document, generated from docs/openapi.json at build time. */
extern const char api_openapi_json[];

#endif
