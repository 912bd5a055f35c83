/* SPDX-License-Identifier: ISC */
/*
 * The /runs routes: listing with filters, one run, stopping it, and its
 * log, whole or followed. A followed log is a stream that renders the log
 * file again whenever the file changes (the gateway watches it) and sends
 * what is new, until the run is over.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "gateway.h"
#include "log.h"
#include "output.h"
#include "util.h"
#include "xmalloc.h"

static const char *const no_params[] = { NULL };

void
handle_runs_list(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = { "job", "state", "limit",
		"before", NULL };
	struct run_filter f;
	struct agentd_error err;
	const char *job, *state;
	int64_t limit = 50, before = 0;

	memset(&f, 0, sizeof f);
	f.state = -1;
	if (api_params_check(req, allowed, resp) == -1 ||
	    api_param_int(req, "limit", 1, 1000, &limit, resp) == -1 ||
	    api_param_int(req, "before", 1, INT64_MAX, &before, resp) == -1)
		return;
	f.limit = (int)limit;
	f.before = before;
	if ((job = api_param(req, "job")) != NULL) {
		if (!util_valid_name(job)) {
			api_error(resp, 400, "job",
			    "job: expected a name of 1-64 A-Z a-z 0-9 . _ -");
			return;
		}
		f.job = job;
	}
	if ((state = api_param(req, "state")) != NULL) {
		if ((f.state = run_state_parse(state)) == -1) {
			api_error(resp, 400, "state",
			    "state: expected one of queued, running, retrying, "
			    "succeeded, failed, timed_out, cancelled, lost, "
			    "skipped");
			return;
		}
	}
	memset(&err, 0, sizeof err);
	/* Printed without a cJSON tree: the read dashboards poll. */
	if (ops_run_list_text(req->ad, &req->principal, &f, &resp->text,
	        &resp->text_len, &err) == -1) {
		api_agentd_error(resp, &err);
		return;
	}
	resp->status = 200;
	resp->content_type = "application/json; charset=utf-8";
}

void
handle_run_get(struct api_request *req, struct api_response *resp)
{
	struct agentd_error err;
	cJSON *out = NULL;
	int64_t id;
	int rc;

	if (api_params_check(req, no_params, resp) == -1 ||
	    api_run_id(req->args[0], &id, resp) == -1)
		return;
	memset(&err, 0, sizeof err);
	rc = ops_run_get(req->ad, &req->principal, id, &out, &err);
	api_ops_result(resp, rc, 200, out, &err);
}

void
handle_run_stop(struct api_request *req, struct api_response *resp)
{
	struct agentd_error err;
	cJSON *out = NULL, *body;
	int64_t id;
	int rc;

	if (api_params_check(req, no_params, resp) == -1 ||
	    api_run_id(req->args[0], &id, resp) == -1 ||
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
	rc = ops_run_stop(req->ad, &req->principal, id, &out, &err);
	api_ops_result(resp, rc, 200, out, &err);
}

static int
log_sink(void *arg, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, arg) == len ? 0 : -1;
}

/*
 * Renders the log at PATH into *text. A log that does not exist yet (a
 * queued run) is empty. Returns 0, or -1 with *cause set.
 */
static int
log_render(const char *path, char **text, size_t *len, struct output_stats *st,
    char **cause)
{
	FILE *f;
	int rc = 0;

	memset(st, 0, sizeof *st);
	*text = NULL;
	*len = 0;
	if ((f = open_memstream(text, len)) == NULL)
		fatal("handlers: open_memstream");
	if (access(path, F_OK) == 0)
		rc = output_render(path, 0, log_sink, f, st, cause);
	if (fclose(f) != 0)
		fatal("handlers: rendering a log");
	return rc;
}

/* A followed log: what was sent so far, and what is waiting to be. */
struct log_follow {
	struct gateway *gw;
	struct agentd *ad;
	struct principal principal;
	int64_t id;
	char *path;
	uint64_t sent; /* payload bytes (output_stats.total) sent */
	char *pending;
	size_t plen;
	size_t poff;
	int done;
};

/*
 * Queues what the log gained since the last look. Without drops the text
 * is the payload itself; once the middle was dropped the newest bytes are
 * the end of the text, and a gap wider than the kept tail is marked.
 */
static void
log_follow_fill(struct log_follow *lf, const char *text, size_t len,
    const struct output_stats *st)
{
	uint64_t fresh;
	char *gap = NULL;
	size_t glen = 0;

	if (st->total <= lf->sent)
		return;
	fresh = st->total - lf->sent;
	if (st->dropped == 0 && lf->sent <= len) {
		text += lf->sent;
		len -= lf->sent;
	} else if (fresh <= len) {
		text += len - fresh;
		len = fresh;
	} else
		glen = (size_t)xasprintf(&gap, "[cronq: %llu bytes dropped]\n",
		    (unsigned long long)(fresh - len));
	lf->pending = xmalloc(glen + len + 1);
	if (glen > 0)
		memcpy(lf->pending, gap, glen);
	memcpy(lf->pending + glen, text, len);
	lf->plen = glen + len;
	lf->poff = 0;
	lf->sent = st->total;
	free(gap);
}

static ssize_t
log_follow_read(void *arg, char *buf, size_t max)
{
	struct log_follow *lf = arg;
	struct agentd_error err;
	struct output_stats st;
	char *text, *cause = NULL, *path = NULL;
	size_t len, n;
	int live = 0;

	if (lf->pending == NULL && !lf->done) {
		if (log_render(lf->path, &text, &len, &st, &cause) == -1) {
			log_warnx("gateway: log run=%lld: %s",
			    (long long)lf->id, cause);
			free(cause);
			lf->done = 1;
		} else
			log_follow_fill(lf, text, len, &st);
		free(text);
		/* Nothing new: wait if the run goes on, else end. */
		memset(&err, 0, sizeof err);
		if (lf->pending == NULL && !lf->done &&
		    (ops_run_log(lf->ad, &lf->principal, lf->id, &path, &live,
		         &err) == -1 ||
		        !live))
			lf->done = 1;
		free(path);
	}
	if (lf->pending == NULL)
		return lf->done ? -1 : 0;
	n = lf->plen - lf->poff;
	if (n > max)
		n = max;
	memcpy(buf, lf->pending + lf->poff, n);
	lf->poff += n;
	if (lf->poff == lf->plen) {
		free(lf->pending);
		lf->pending = NULL;
	}
	return (ssize_t)n;
}

static void
log_follow_free(void *arg)
{
	struct log_follow *lf = arg;

	gateway_unwatch_log(lf->gw, lf->id);
	free(lf->pending);
	free(lf->path);
	free(lf);
}

void
handle_run_log(struct api_request *req, struct api_response *resp)
{
	static const char *const allowed[] = { "follow", NULL };
	struct agentd_error err;
	struct output_stats st;
	struct log_follow *lf;
	char *path = NULL, *cause = NULL;
	int64_t id, follow = 0;
	int live = 0;

	if (api_params_check(req, allowed, resp) == -1 ||
	    api_param_int(req, "follow", 0, 1, &follow, resp) == -1 ||
	    api_run_id(req->args[0], &id, resp) == -1)
		return;
	memset(&err, 0, sizeof err);
	if (ops_run_log(req->ad, &req->principal, id, &path, &live, &err) ==
	    -1) {
		api_agentd_error(resp, &err);
		return;
	}
	resp->status = 200;
	resp->content_type = "text/plain; charset=utf-8";
	if (!follow) {
		if (log_render(path, &resp->text, &resp->text_len, &st,
		        &cause) == -1) {
			free(resp->text);
			resp->text = NULL;
			api_error(resp, 503, NULL,
			    "cannot read the log of run "
			    "%lld: %s",
			    (long long)id, cause);
			free(cause);
		}
		free(path);
		return;
	}

	lf = xcalloc(1, sizeof *lf);
	lf->gw = req->gw;
	lf->ad = req->ad;
	lf->principal = req->principal;
	lf->id = id;
	lf->path = path;
	if (gateway_watch_log(req->gw, id, path) == -1)
		log_warn(
		    "gateway: cannot watch the log of run %lld", (long long)id);
	resp->stream.read = log_follow_read;
	resp->stream.free = log_follow_free;
	resp->stream.arg = lf;
	resp->stream.channel = API_CHANNEL_LOG;
	resp->stream.key = id;
}
