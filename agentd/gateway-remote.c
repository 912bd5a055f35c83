/* SPDX-License-Identifier: ISC */
/*
 * The TCP side of the gateway and what every request passes before its
 * handler: the listening sockets and TLS files, bearer authentication
 * (401 with WWW-Authenticate) and scopes (403) on TCP, the rate limits
 * per principal and action class and per source address for failed
 * authentication (429 with Retry-After), and the audit record of every
 * mutating or denied request. The Unix socket shares the per-principal
 * buckets, its principal being the peer uid ("uid:N"). Credentials never reach
 * a log line.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "gateway.h"
#include "log.h"
#include "loop.h"
#include "remote.h"
#include "util.h"
#include "xmalloc.h"

#define GW_PEM_MAX (256 * 1024)
#define GW_REALM "Bearer realm=\"cronq\""

static char *
gateway_read_pem(const char *where, const char *path, char **cause)
{
	FILE *f;
	char *buf;
	size_t n;

	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(cause, "%s: cannot read %s: %s", where, path,
		    strerror(errno));
		return NULL;
	}
	buf = xmalloc(GW_PEM_MAX + 1);
	n = fread(buf, 1, GW_PEM_MAX + 1, f);
	fclose(f);
	if (n == 0 || n > GW_PEM_MAX || strstr(buf, "-----BEGIN") == NULL) {
		free(buf);
		xasprintf(cause, "%s: %s is not a PEM file", where, path);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

int
gateway_tls_files(
    const struct listener_conf *conf, char **cert, char **key, char **cause)
{
	struct stat sb;

	/* Checked again at start: the file may have changed since. */
	if (stat(conf->key, &sb) == 0 && (sb.st_mode & (S_IRWXG | S_IRWXO))) {
		xasprintf(cause,
		    "%s: %s has mode %04o; a key must not be readable by "
		    "group or others (chmod 600)",
		    conf->where, conf->key, (unsigned)(sb.st_mode & 07777));
		return -1;
	}
	if ((*cert = gateway_read_pem(conf->where, conf->cert, cause)) == NULL)
		return -1;
	if ((*key = gateway_read_pem(conf->where, conf->key, cause)) == NULL) {
		free(*cert);
		*cert = NULL;
		return -1;
	}
	return 0;
}

int
gateway_listen_tcp(const struct listener_conf *conf, char **cause)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, on = 1;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, conf->address, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)conf->port);
		len = sizeof *sin;
	} else if (inet_pton(AF_INET6, conf->address, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)conf->port);
		len = sizeof *sin6;
	} else {
		xasprintf(
		    cause, "%s: bad address %s", conf->where, conf->address);
		return -1;
	}
	fd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		xasprintf(
		    cause, "%s: socket: %s", conf->where, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, 128) == -1) {
		xasprintf(cause, "%s: cannot listen on %s port %d: %s",
		    conf->where, conf->address, conf->port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static enum rate_bucket gateway_bucket(enum action_class class)
{
	switch (class) {
	case ACTION_TRIGGER:
		return RATE_TRIGGER;
	case ACTION_WRITE:
	case ACTION_ADMIN:
		return RATE_WRITE;
	default:
		return RATE_READ;
	}
}

static unsigned int gateway_scope(enum action_class class)
{
	switch (class) {
	case ACTION_TRIGGER:
		return SCOPE_TRIGGER;
	case ACTION_WRITE:
		return SCOPE_WRITE;
	case ACTION_ADMIN:
		return SCOPE_ADMIN;
	case ACTION_PUBLIC:
		return 0;
	default:
		return SCOPE_READ;
	}
}

static const char *
gateway_scope_name(unsigned int scope)
{
	switch (scope) {
	case SCOPE_TRIGGER:
		return "trigger";
	case SCOPE_WRITE:
		return "write";
	case SCOPE_ADMIN:
		return "admin";
	default:
		return "read";
	}
}

static void
gateway_retry_after(struct api_response *resp, int secs)
{
	snprintf(resp->retry_buf, sizeof resp->retry_buf, "%d", secs);
	resp->retry_after = resp->retry_buf;
}

/* A 401: the credential is missing or refused. */
static void
gateway_unauthorized(struct api_response *resp, int missing, const char *why)
{
	api_error(resp, 401, NULL, "%s", why);
	resp->www_authenticate =
	    missing ? GW_REALM : GW_REALM ", error=\"invalid_token\"";
}

/* Authenticates a TCP request from its Authorization header AUTHZ. */
static int
gateway_authenticate(struct gateway *gw, struct api_request *req,
    const char *authz, struct api_response *resp)
{
	struct agentd *ad = req->ad;
	const struct rate_conf *fail = &ad->config->rates[RATE_AUTH_FAIL];
	struct auth_result res;
	char *cause = NULL, path[256];
	int wait;

	memset(&res, 0, sizeof res);
	if (authz == NULL) {
		gateway_unauthorized(resp, 1,
		    "authentication required: send Authorization: Bearer "
		    "with an API token or a JWT");
		return -1;
	}
	/* An address that keeps failing is not heard until it waits. */
	if ((wait = ratelimit_peek(gateway_ratelimit(gw), RATE_AUTH_FAIL,
	         req->source, fail, loop_now_ms())) > 0) {
		ratelimit_count(gateway_ratelimit(gw), RATE_AUTH_FAIL);
		api_error(resp, 429, NULL,
		    "too many failed authentications from %s; retry in %ds",
		    req->source, wait);
		gateway_retry_after(resp, wait);
		return -1;
	}
	if (strncasecmp(authz, "Bearer ", 7) != 0 || authz[7] == '\0')
		cause = xstrdup("the Authorization header is not \"Bearer "
		                "TOKEN\"");
	else if (auth_check(ad, authz + 7, agentd_now(), &res, &cause) == 0) {
		req->principal.uid = res.uid;
		req->principal.admin = res.admin;
		req->scopes = res.scopes;
		req->token_id = res.token_id;
		strlcpy(req->who, res.name, sizeof req->who);
		return 0;
	}
	ratelimit_take(gateway_ratelimit(gw), RATE_AUTH_FAIL, req->source, fail,
	    loop_now_ms());
	/*
	 * A revoked or expired token is still named, for the audit record;
	 * the request gets no principal, scope or bucket of its own.
	 */
	strlcpy(req->who, res.name, sizeof req->who);
	util_escape(path, sizeof path, req->path);
	log_info("gateway: authentication failed source=%s path=\"%s\": %s",
	    req->source, path, cause);
	gateway_unauthorized(resp, 0, cause);
	free(cause);
	return -1;
}

int
gateway_admit(struct gateway *gw, struct api_request *req,
    enum action_class class, const char *authz, struct api_response *resp)
{
	struct agentd *ad = req->ad;
	unsigned int need = gateway_scope(class);
	enum rate_bucket b = gateway_bucket(class);
	int wait;

	if (class == ACTION_PUBLIC)
		return 0;
	if (!req->remote) {
		/* The peer uid is the principal; root and the daemon's
		 * own user may be let through (rate_limits.exempt_local_root):
		 * they could stop the daemon anyway. */
		if (ad->config->exempt_local_root &&
		    (req->principal.uid == 0 ||
		        req->principal.uid == geteuid()))
			return 0;
	} else if (gateway_authenticate(gw, req, authz, resp) == -1)
		return -1;
	if ((req->scopes & need) == 0) {
		api_error(resp, 403, NULL,
		    "this credential lacks the %s scope needed for %s %s",
		    gateway_scope_name(need), req->method, req->path);
		return -1;
	}
	wait = ratelimit_take(gateway_ratelimit(gw), b, req->who,
	    &ad->config->rates[b], loop_now_ms());
	if (wait > 0) {
		api_error(resp, 429, NULL,
		    "rate limit of %s requests reached; retry in %ds",
		    ratelimit_bucket_name(b), wait);
		gateway_retry_after(resp, wait);
		return -1;
	}
	return 0;
}

/* The job and run a request was about, from its path or its answer. */
static void
gateway_audit_subject(const struct api_request *req,
    const struct api_response *resp, const char **job, int64_t *run)
{
	const cJSON *obj, *v;
	char *end;

	*job = NULL;
	*run = 0;
	if (strncmp(req->path, "/api/v1/jobs/", 13) == 0)
		*job = req->args[0];
	else if (strncmp(req->path, "/api/v1/runs/", 13) == 0 &&
	    req->args[0] != NULL)
		*run = strtoll(req->args[0], &end, 10);
	/* A job made by POST /jobs is named in its answer, not its path. */
	if (strcmp(req->path, "/api/v1/jobs") == 0 &&
	    strcmp(req->method, "POST") == 0) {
		v = cJSON_GetObjectItemCaseSensitive(resp->json, "name");
		if (cJSON_IsString(v))
			*job = v->valuestring;
	}
	obj = cJSON_GetObjectItemCaseSensitive(resp->json, "run");
	if (cJSON_IsObject(obj)) {
		v = cJSON_GetObjectItemCaseSensitive(obj, "id");
		if (cJSON_IsNumber(v))
			*run = (int64_t)v->valuedouble;
		v = cJSON_GetObjectItemCaseSensitive(obj, "job");
		if (*job == NULL && cJSON_IsString(v))
			*job = v->valuestring;
	}
	if (*job == NULL && req->body_job[0] != '\0')
		*job = req->body_job;
}

void
gateway_audit(struct gateway *gw, struct api_request *req,
    const struct api_response *resp)
{
	struct audit_row a;
	char path[256];
	const cJSON *task;
	cJSON *body;
	int denied =
	    resp->status == 401 || resp->status == 403 || resp->status == 429;

	(void)gw;
	if (strcmp(req->method, "GET") == 0 && !denied)
		return;
	/*
	 * The sketch's endpoints name their job in the body, and so does a
	 * POST /jobs that was refused before it made one.
	 */
	if (req->body != NULL && (body = cJSON_Parse(req->body)) != NULL) {
		task = cJSON_GetObjectItemCaseSensitive(body,
		    strcmp(req->path, "/api/v1/jobs") == 0 ? "name" : "task");
		if (cJSON_IsString(task) && util_valid_name(task->valuestring))
			strlcpy(req->body_job, task->valuestring,
			    sizeof req->body_job);
		cJSON_Delete(body);
	}
	memset(&a, 0, sizeof a);
	a.at = agentd_now();
	a.principal = req->who[0] != '\0' ? req->who : "anonymous";
	a.source = req->source;
	a.method = req->method;
	a.path = req->path;
	a.status = resp->status;
	gateway_audit_subject(req, resp, &a.job, &a.run);
	if (store_audit_add(req->ad->store, &a) == -1) {
		util_escape(path, sizeof path, req->path);
		log_warnx("gateway: cannot write the audit record "
		          "method=%s path=\"%s\"",
		    req->method, path);
	}
}
