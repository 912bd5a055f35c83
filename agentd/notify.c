/* SPDX-License-Identifier: ISC */
/*
 * Notifications: a job's `notify:` targets told about a final failure, a
 * success, a missed slot, a late start or a run past its expected
 * duration. Targets are a webhook (POST of a JSON body), a command (a
 * child run as the job's user in the job's sandbox, rlimits and umask,
 * details in CRONQ_NOTIFY_*) or a
 * healthchecks-style ping URL (URL/start, URL, URL/fail or URL/CODE).
 *
 * Every delivery is asynchronous on the loop (curlloop.c for HTTP, a
 * pidfd for commands), bounded by the target's timeout, retried with a
 * doubling delay up to the target's retries, and each attempt is written
 * to the notifications table. Nothing here ever waits, so a slow or dead
 * target cannot hold up the scheduler or other runs.
 */
#include "config.h"

#include <sys/epoll.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "agentd.h"
#include "child.h"
#include "curlloop.h"
#include "dlib.h"
#include "log.h"
#include "notify.h"
#include "output.h"
#include "sandbox.h"
#include "util.h"
#include "xmalloc.h"

#define LOG_TAIL_MAX 4096  /* bytes of the run's log sent along */
#define RETRY_DELAY_MAX 60 /* seconds between attempts at most */
#define COMMAND_LOG_CAP 65536

struct delivery {
	struct notifier *nf;
	struct notify_row row; /* what the next attempt records */
	struct job_notify target;
	char *url;       /* webhook/ping: where to send */
	char *payload;   /* webhook: JSON; ping: the log tail or "" */
	char **env;      /* command: CRONQ_NOTIFY_* */
	struct job *job; /* command: whose identity and sandbox it gets */
	int run_attempt; /* command: the run's attempt (CRONQ_ATTEMPT), or 0 */
	struct sandbox_run sbx;

	CURL *easy;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	struct child *child;
	char *log_path;
	struct loop_timer *timer; /* timeout of a command, or retry wait */
	int64_t started_ms;
	struct delivery *next;
};

/* A run with an expected_duration, watched until it ends. */
struct watch {
	int64_t run_id;
	int64_t job_id;
	struct loop_timer *timer;
	struct notifier *nf;
	struct watch *next;
};

struct notifier {
	struct agentd *ad;
	struct delivery *active;
	struct watch *watches;
	unsigned seq;
};

static void delivery_start(struct delivery *dv);

struct notifier *
notifier_create(struct agentd *ad)
{
	struct notifier *nf;

	nf = xcalloc(1, sizeof *nf);
	nf->ad = ad;
	return nf;
}

static void
delivery_free(struct delivery *dv)
{
	struct delivery **pp;
	size_t i;

	for (pp = &dv->nf->active; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == dv) {
			*pp = dv->next;
			break;
		}
	}
	if (dv->timer != NULL)
		loop_timer_cancel(dv->nf->ad->loop, dv->timer);
	if (dv->easy != NULL) {
		if (dv->nf->ad->curl != NULL)
			curlloop_remove(dv->nf->ad->curl, dv->easy);
		curl_easy_cleanup(dv->easy);
	}
	curl_slist_free_all(dv->headers);
	if (dv->child != NULL) {
		loop_del_fd(dv->nf->ad->loop, child_pidfd(dv->child));
		loop_del_fd(dv->nf->ad->loop, child_out_fd(dv->child));
		loop_del_fd(dv->nf->ad->loop, child_err_fd(dv->child));
		child_signal(dv->child, SIGKILL);
		child_free(dv->child);
	}
	sandbox_run_free(&dv->sbx);
	job_free(dv->job);
	if (dv->log_path != NULL) {
		unlink(dv->log_path);
		free(dv->log_path);
	}
	for (i = 0; dv->env != NULL && dv->env[i] != NULL; i++)
		free(dv->env[i]);
	free(dv->env);
	free(dv->target.url);
	free(dv->target.command);
	free(dv->url);
	free(dv->payload);
	free(dv);
}

void
notifier_free(struct notifier *nf)
{
	struct watch *w, *next;

	if (nf == NULL)
		return;
	while (nf->active != NULL)
		delivery_free(nf->active);
	for (w = nf->watches; w != NULL; w = next) {
		next = w->next;
		loop_timer_cancel(nf->ad->loop, w->timer);
		free(w);
	}
	free(nf);
}

static void
retry_due(void *arg)
{
	struct delivery *dv = arg;

	dv->timer = NULL;
	delivery_start(dv);
}

/* Records the attempt that just ended; retries or lets go of DV. */
static void
delivery_end(struct delivery *dv, int ok, int code, const char *error)
{
	struct agentd *ad = dv->nf->ad;
	int64_t delay;

	dv->row.code = code;
	strlcpy(
	    dv->row.status, ok ? "delivered" : "failed", sizeof dv->row.status);
	strlcpy(
	    dv->row.error, error != NULL ? error : "", sizeof dv->row.error);
	dv->row.created_at = agentd_now();
	dv->row.duration_ms = loop_now_ms() - dv->started_ms;
	dv->row.id = 0;
	if (store_notify_add(ad->store, &dv->row) == -1)
		log_warnx(
		    "notify: cannot record a delivery of job=%s", dv->row.job);
	if (ok) {
		log_info("notify: delivered job=%s run=%lld event=%s kind=%s "
		         "attempt=%d",
		    dv->row.job, (long long)dv->row.run_id, dv->row.event,
		    dv->row.kind, dv->row.attempt);
		delivery_free(dv);
		return;
	}
	if (dv->row.attempt > dv->target.retries) {
		log_warnx("notify: gave up job=%s run=%lld event=%s kind=%s "
		          "after %d attempts: %s",
		    dv->row.job, (long long)dv->row.run_id, dv->row.event,
		    dv->row.kind, dv->row.attempt, dv->row.error);
		delivery_free(dv);
		return;
	}
	delay =
	    (int64_t)1 << (dv->row.attempt - 1 < 6 ? dv->row.attempt - 1 : 6);
	if (delay > RETRY_DELAY_MAX)
		delay = RETRY_DELAY_MAX;
	log_notice("notify: attempt failed job=%s event=%s kind=%s "
	           "attempt=%d retry_in=%llds: %s",
	    dv->row.job, dv->row.event, dv->row.kind, dv->row.attempt,
	    (long long)delay, dv->row.error);
	dv->timer = loop_timer_add(
	    ad->loop, loop_now_ms() + delay * 1000, retry_due, dv);
}

static void
http_done(CURL *easy, CURLcode rc, void *arg)
{
	struct delivery *dv = arg;
	long status = 0;
	char msg[64];

	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(easy);
	dv->easy = NULL;
	curl_slist_free_all(dv->headers);
	dv->headers = NULL;
	if (rc != CURLE_OK) {
		delivery_end(dv, 0, -1,
		    dv->errbuf[0] != '\0' ? dv->errbuf
		                          : curl_easy_strerror(rc));
		return;
	}
	snprintf(msg, sizeof msg, "HTTP %ld", status);
	delivery_end(dv, status >= 200 && status <= 299, (int)status,
	    status >= 200 && status <= 299 ? "" : msg);
}

static size_t
discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * nmemb;
}

/* A webhook or ping attempt; -1 with the reason recorded. */
static int
http_start(struct delivery *dv)
{
	struct agentd *ad = dv->nf->ad;

	dv->errbuf[0] = '\0';
	if ((dv->easy = curlloop_easy(ad->curl)) == NULL) {
		delivery_end(dv, 0, -1, curlloop_cause(ad->curl));
		return -1;
	}
	curl_easy_setopt(dv->easy, CURLOPT_URL, dv->url);
	curl_easy_setopt(dv->easy, CURLOPT_ERRORBUFFER, dv->errbuf);
	curl_easy_setopt(
	    dv->easy, CURLOPT_TIMEOUT_MS, (long)(dv->target.timeout * 1000));
	/* The answer does not matter beyond its status. */
	curl_easy_setopt(dv->easy, CURLOPT_WRITEFUNCTION, discard);
	if (dv->payload != NULL) {
		curl_easy_setopt(
		    dv->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(dv->payload));
		curl_easy_setopt(dv->easy, CURLOPT_COPYPOSTFIELDS, dv->payload);
		dv->headers = curl_slist_append(dv->headers,
		    dv->target.kind == NOTIFY_WEBHOOK
		        ? "Content-Type: application/json"
		        : "Content-Type: text/plain; charset=utf-8");
		curl_easy_setopt(dv->easy, CURLOPT_HTTPHEADER, dv->headers);
	}
	if (curlloop_add(ad->curl, dv->easy, http_done, dv) == -1) {
		curl_easy_cleanup(dv->easy);
		dv->easy = NULL;
		delivery_end(dv, 0, -1, "libcurl refused the request");
		return -1;
	}
	return 0;
}

static void
command_gone(int fd, uint32_t events, void *arg)
{
	struct delivery *dv = arg;
	struct loop *loop = dv->nf->ad->loop;
	struct child_result res;
	int64_t cpu, peak;
	char msg[64];

	(void)fd;
	(void)events;
	loop_del_fd(loop, child_pidfd(dv->child));
	loop_del_fd(loop, child_out_fd(dv->child));
	loop_del_fd(loop, child_err_fd(dv->child));
	if (child_reap(dv->child, &res) == -1)
		return;
	child_free(dv->child);
	dv->child = NULL;
	/* What left the process group dies with the leaf. */
	sandbox_run_finish(&dv->sbx, &cpu, &peak);
	sandbox_run_free(&dv->sbx);
	if (dv->timer != NULL) {
		loop_timer_cancel(loop, dv->timer);
		dv->timer = NULL;
	}
	if (res.exited && res.exit_code == 0) {
		delivery_end(dv, 1, 0, "");
		return;
	}
	if (res.exited)
		snprintf(msg, sizeof msg, "exit %d", res.exit_code);
	else
		snprintf(msg, sizeof msg, "killed by signal %d%s", res.signal,
		    res.signal == SIGKILL ? " (timeout)" : "");
	delivery_end(dv, 0, res.exited ? res.exit_code : -1, msg);
}

static void
command_output(int fd, uint32_t events, void *arg)
{
	struct delivery *dv = arg;

	(void)events;
	if (child_drain(dv->child,
	        fd == child_out_fd(dv->child) ? CHILD_OUT : CHILD_ERR) != 0)
		loop_del_fd(dv->nf->ad->loop, fd);
}

static void
command_timeout(void *arg)
{
	struct delivery *dv = arg;

	dv->timer = NULL;
	child_signal(dv->child, SIGKILL);
}

/*
 * One attempt of a command target: the job's user, groups, rlimits,
 * umask and sandbox (seccomp, namespaces, a cgroup leaf of its own), in a
 * process group of its own that the timeout kills whole. A job whose
 * sandbox this machine cannot give fails the delivery, as it fails runs.
 */
static int
command_start(struct delivery *dv)
{
	struct agentd *ad = dv->nf->ad;
	struct loop *loop = ad->loop;
	struct child_spec spec;
	char *cause = NULL;

	memset(&spec, 0, sizeof spec);
	sandbox_run_free(&dv->sbx);
	dv->sbx.cg_prefix = "notify";
	if (sandbox_spec_identity(ad->root, dv->job, &spec, &cause) == -1 ||
	    sandbox_run_prepare(&dv->sbx, dv->job, ++dv->nf->seq, &cause) ==
	        -1) {
		/* The same answer the next time: no retries. */
		dv->target.retries = 0;
		delivery_end(dv, 0, -1, cause);
		free(cause);
		return -1;
	}
	spec.sandbox = &dv->sbx.cs;
	spec.run_id = dv->row.run_id;
	spec.job = dv->row.job;
	/*
	 * CRONQ_RUN_ID and CRONQ_ATTEMPT name the run told about, as the
	 * CRONQ_NOTIFY_ ones do, not this delivery's attempt.
	 */
	spec.attempt = dv->run_attempt;
	spec.command = dv->target.command;
	spec.env = dv->env;
	if (dv->log_path == NULL)
		xasprintf(&dv->log_path, "%s/notify-%u.log", ad->log_dir,
		    dv->nf->seq);
	spec.log_path = dv->log_path;
	spec.log_cap = COMMAND_LOG_CAP;
	/* Rare and small: waiting for the exec keeps this path simple. */
	if ((dv->child = child_spawn(&spec, &cause)) == NULL ||
	    child_wait_started(dv->child, &cause) == -1) {
		child_free(dv->child);
		dv->child = NULL;
		delivery_end(dv, 0, -1, cause);
		free(cause);
		return -1;
	}
	loop_add_fd(loop, child_pidfd(dv->child), EPOLLIN, command_gone, dv);
	loop_add_fd(loop, child_out_fd(dv->child), EPOLLIN, command_output, dv);
	loop_add_fd(loop, child_err_fd(dv->child), EPOLLIN, command_output, dv);
	dv->timer = loop_timer_add(loop,
	    loop_now_ms() + dv->target.timeout * 1000, command_timeout, dv);
	return 0;
}

static void
delivery_start(struct delivery *dv)
{
	dv->row.attempt++;
	dv->started_ms = loop_now_ms();
	if (dv->target.kind == NOTIFY_COMMAND)
		command_start(dv);
	else
		http_start(dv);
}

/* Keeps the last LOG_TAIL_MAX bytes rendered. */
struct tail {
	char *buf;
	size_t len;
};

static int
tail_sink(void *arg, const void *buf, size_t len)
{
	struct tail *t = arg;

	t->buf = xreallocarray(t->buf, t->len + len + 1, 1);
	memcpy(t->buf + t->len, buf, len);
	t->len += len;
	if (t->len > 2 * LOG_TAIL_MAX) {
		memmove(t->buf, t->buf + t->len - LOG_TAIL_MAX, LOG_TAIL_MAX);
		t->len = LOG_TAIL_MAX;
	}
	return 0;
}

/* The end of run ID's log as text (caller frees), "" without one. */
static char *
log_tail(struct agentd *ad, int64_t id)
{
	struct tail t = { NULL, 0 };
	char *path, *cause = NULL, *out;

	if (id == 0)
		return xstrdup("");
	xasprintf(&path, "%s/%lld.log", ad->log_dir, (long long)id);
	if (output_render(path, 0, tail_sink, &t, NULL, &cause) == -1)
		free(cause);
	free(path);
	if (t.len > LOG_TAIL_MAX) {
		out = xstrndup(t.buf + t.len - LOG_TAIL_MAX, LOG_TAIL_MAX);
		free(t.buf);
		return out;
	}
	out = xstrndup(t.buf != NULL ? t.buf : "", t.len);
	free(t.buf);
	return out;
}

static void
env_add(char **env, size_t *n, const char *key, const char *value)
{
	xasprintf(&env[(*n)++], "CRONQ_NOTIFY_%s=%s", key, value);
}

static void
env_time(char **env, size_t *n, const char *key, int64_t t)
{
	char buf[32] = "";

	if (t != 0)
		util_format_utc(buf, sizeof buf, t);
	env_add(env, n, key, buf);
}

/* CRONQ_NOTIFY_* for a command target. */
static char **
command_env(const char *event, const struct job *job, const struct run *run,
    const char *detail, const char *tail)
{
	char **env, buf[32];
	size_t n = 0;

	env = xcalloc(16, sizeof *env);
	env_add(env, &n, "EVENT", event);
	env_add(env, &n, "JOB", job->name);
	env_add(env, &n, "DETAIL", detail);
	env_add(env, &n, "LOG_TAIL", tail);
	if (run == NULL)
		return env;
	snprintf(buf, sizeof buf, "%lld", (long long)run->id);
	env_add(env, &n, "RUN_ID", buf);
	snprintf(buf, sizeof buf, "%d", run->attempt);
	env_add(env, &n, "ATTEMPT", buf);
	env_add(env, &n, "STATE", run_state_name(run->state));
	snprintf(buf, sizeof buf, "%d", run->exit_code);
	env_add(env, &n, "EXIT_CODE", run->exit_code >= 0 ? buf : "");
	snprintf(buf, sizeof buf, "%d", run->http_status);
	env_add(env, &n, "HTTP_STATUS", run->http_status > 0 ? buf : "");
	env_add(env, &n, "MESSAGE", run->message);
	env_time(env, &n, "SCHEDULED_AT", run->scheduled_at);
	env_time(env, &n, "STARTED_AT", run->started_at);
	env_time(env, &n, "FINISHED_AT", run->finished_at);
	return env;
}

/* The JSON body of a webhook. */
static char *
webhook_body(struct agentd *ad, const char *event, const struct job *job,
    const struct run *run, const char *detail, const char *tail)
{
	cJSON *o, *r;
	char *text;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", event);
	cJSON_AddStringToObject(o, "job", job->name);
	cJSON_AddStringToObject(o, "host", ad->host);
	cJSON_AddStringToObject(o, "detail", detail);
	if (run != NULL) {
		r = ops_run_to_json(run);
		cJSON_AddStringToObject(o, "state", run_state_name(run->state));
		cJSON_AddItemToObject(o, "exit_code",
		    run->exit_code >= 0 ? cJSON_CreateNumber(run->exit_code)
		                        : cJSON_CreateNull());
		cJSON_AddItemToObject(o, "run", r);
	} else {
		/* A missed slot has no run: the same keys, null. */
		cJSON_AddNullToObject(o, "state");
		cJSON_AddNullToObject(o, "exit_code");
		cJSON_AddNullToObject(o, "run");
	}
	cJSON_AddStringToObject(o, "log_tail", tail);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

/* The URL of a ping for EVENT: healthchecks.io's conventions. */
static char *
ping_url(const char *base, unsigned event, const struct run *run)
{
	size_t n = strlen(base);
	const char *sep = n > 0 && base[n - 1] == '/' ? "" : "/";
	char *u;

	if (event == NOTIFY_ON_START)
		xasprintf(&u, "%s%sstart", base, sep);
	else if (event == NOTIFY_ON_SUCCESS)
		u = xstrdup(base);
	else if (run != NULL && run->exit_code > 0)
		xasprintf(&u, "%s%s%d", base, sep, run->exit_code);
	else
		xasprintf(&u, "%s%sfail", base, sep);
	return u;
}

/*
 * Sends EVENT of JOB (RUN when there is one) to every target that wants
 * it. DETAIL says what happened in words.
 */
static void
notify_event(struct agentd *ad, const struct job *job, const struct run *run,
    unsigned event, const char *detail)
{
	struct notifier *nf = ad->notifier;
	struct delivery *dv;
	const struct job_notify *t;
	const char *name = job_notify_event_name(event);
	char *tail = NULL;
	size_t i;

	if (nf == NULL || job == NULL)
		return;
	for (i = 0; i < job->nnotify; i++) {
		t = &job->notify[i];
		if (event == NOTIFY_ON_START ? t->kind != NOTIFY_PING
		                             : !(t->on & event))
			continue;
		if (tail == NULL)
			tail = event == NOTIFY_ON_START
			    ? xstrdup("")
			    : log_tail(ad, run != NULL ? run->id : 0);
		dv = xcalloc(1, sizeof *dv);
		dv->nf = nf;
		dv->target = *t;
		dv->target.url = t->url != NULL ? xstrdup(t->url) : NULL;
		dv->target.command =
		    t->command != NULL ? xstrdup(t->command) : NULL;
		dv->row.run_id = run != NULL ? run->id : 0;
		dv->row.job_id = job->id;
		strlcpy(dv->row.job, job->name, sizeof dv->row.job);
		dv->row.owner = job->owner;
		dv->row.target = (int)i;
		strlcpy(dv->row.kind, job_notify_kind_name(t->kind),
		    sizeof dv->row.kind);
		strlcpy(dv->row.dest, t->url != NULL ? t->url : t->command,
		    sizeof dv->row.dest);
		strlcpy(dv->row.event, name, sizeof dv->row.event);
		dv->next = nf->active;
		nf->active = dv;
		switch (t->kind) {
		case NOTIFY_WEBHOOK:
			dv->url = xstrdup(t->url);
			dv->payload =
			    webhook_body(ad, name, job, run, detail, tail);
			break;
		case NOTIFY_PING:
			dv->url = ping_url(t->url, event, run);
			dv->payload =
			    event == NOTIFY_ON_START ? NULL : xstrdup(tail);
			break;
		case NOTIFY_COMMAND:
			dv->job = job_dup(job);
			dv->env = command_env(name, job, run, detail, tail);
			dv->run_attempt = run != NULL ? run->attempt : 0;
			break;
		}
		delivery_start(dv);
	}
	free(tail);
}

static void
watch_remove(struct notifier *nf, int64_t run_id)
{
	struct watch **pp, *w;

	for (pp = &nf->watches; (w = *pp) != NULL; pp = &w->next) {
		if (w->run_id == run_id) {
			*pp = w->next;
			if (w->timer != NULL)
				loop_timer_cancel(nf->ad->loop, w->timer);
			free(w);
			return;
		}
	}
}

/* expected_duration has passed and the run is still going. */
static void
watch_due(void *arg)
{
	struct watch *w = arg;
	struct notifier *nf = w->nf;
	struct job *job;
	struct run run;
	char detail[128];

	w->timer = NULL;
	job = store_job_load(nf->ad->store, w->job_id);
	if (job != NULL &&
	    store_run_load(nf->ad->store, w->run_id, &run) == 0 &&
	    run.state == RUN_RUNNING) {
		snprintf(detail, sizeof detail,
		    "still running after the expected %llds",
		    (long long)job->expected_duration);
		log_notice("notify: run long job=%s run=%lld", run.job,
		    (long long)run.id);
		notify_event(nf->ad, job, &run, NOTIFY_ON_LONG_RUNNING, detail);
	}
	job_free(job);
	watch_remove(nf, w->run_id);
}

void
notify_run_started(
    struct agentd *ad, const struct job *job, const struct run *run)
{
	struct notifier *nf = ad->notifier;
	struct watch *w;
	char detail[128];
	int64_t late;

	if (nf == NULL || job == NULL || job->nnotify == 0)
		return;
	notify_event(ad, job, run, NOTIFY_ON_START, "started");
	late = run->started_at - run->scheduled_at;
	if (job->late_after > 0 && run->attempt == 1 &&
	    (run->trigger == TRIGGER_SCHEDULE ||
	        run->trigger == TRIGGER_CATCHUP) &&
	    late > job->late_after) {
		snprintf(detail, sizeof detail,
		    "started %llds after its scheduled time (late_after %llds)",
		    (long long)late, (long long)job->late_after);
		notify_event(ad, job, run, NOTIFY_ON_LATE, detail);
	}
	if (job->expected_duration > 0) {
		w = xcalloc(1, sizeof *w);
		w->nf = nf;
		w->run_id = run->id;
		w->job_id = job->id;
		w->timer = loop_timer_add(ad->loop,
		    loop_now_ms() + job->expected_duration * 1000, watch_due,
		    w);
		w->next = nf->watches;
		nf->watches = w;
	}
}

void
notify_run_ended(
    struct agentd *ad, const struct job *job, const struct run *run, int final)
{
	if (ad->notifier == NULL || job == NULL)
		return;
	watch_remove(ad->notifier, run->id);
	if (job->nnotify == 0)
		return;
	if (run->state == RUN_SUCCEEDED)
		notify_event(ad, job, run, NOTIFY_ON_SUCCESS, "succeeded");
	else if (final &&
	    (run->state == RUN_FAILED || run->state == RUN_TIMED_OUT ||
	        run->state == RUN_LOST))
		notify_event(ad, job, run, NOTIFY_ON_FAILURE, run->message);
}

void
notify_missed(
    struct agentd *ad, const struct job *job, const struct decision *d)
{
	if (job == NULL || job->nnotify == 0)
		return;
	notify_event(ad, job, NULL, NOTIFY_ON_MISSED, d->detail);
}

int
notifier_count(const struct notifier *nf)
{
	const struct delivery *dv;
	int n = 0;

	for (dv = nf->active; dv != NULL; dv = dv->next)
		n++;
	return n;
}
