/* SPDX-License-Identifier: ISC */
/*
 * The run state machine: queued and retrying runs wait here until their
 * not-before time, a free slot under the global limit and a place in their
 * group, then start as children (child.c) or HTTP requests (httpjob.c);
 * runs stop here on cancel, timeout and daemon shutdown. How a run ends
 * (its final state, retries and backoff, lost runs) is supervisor-end.c.
 * Every state change is written to the store (group-committed) and
 * announced to the event hook.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentd.h"
#include "child.h"
#include "httpjob.h"
#include "notify.h"
#include "log.h"
#include "sandbox.h"
#include "queue.h"
#include "xmalloc.h"

#include "supervisor-int.h"

struct supervisor *
supervisor_create(struct agentd *ad)
{
	struct supervisor *sup;

	sup = xcalloc(1, sizeof *sup);
	sup->ad = ad;
	return sup;
}

void
srun_free(struct srun *sr)
{
	if (sr == NULL)
		return;
	if (sr->timer != NULL)
		loop_timer_cancel(sr->sup->ad->loop, sr->timer);
	child_free(sr->child);
	sandbox_run_free(&sr->sbx);
	httpjob_free(sr->http);
	job_free(sr->job);
	free(sr);
}

void
supervisor_free(struct supervisor *sup)
{
	struct srun *sr, *next;

	if (sup == NULL)
		return;
	for (sr = sup->pending; sr != NULL; sr = next) {
		next = sr->next;
		srun_free(sr);
	}
	for (sr = sup->running; sr != NULL; sr = next) {
		next = sr->next;
		srun_free(sr);
	}
	free(sup);
}

/* Saves RUN and tells the listeners. */
void
run_changed(struct supervisor *sup, const struct run *run)
{
	/* A worker's runs are recorded by the scheduler (queue_amqp.c). */
	if (!run_state_final(run->state) &&
	    queue_report(sup->ad->queue, run, 0, 0) == 1)
		return;
	if (store_run_update(sup->ad->store, run) == -1)
		log_warn(
		    "supervisor: cannot save run=%lld", (long long)run->id);
	agentd_emit_run(sup->ad, run);
}

void
pending_add(struct supervisor *sup, const struct run *run)
{
	struct srun *sr, **pp;

	sr = xcalloc(1, sizeof *sr);
	sr->run = *run;
	sr->sup = sup;
	for (pp = &sup->pending; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->run.id > run->id)
			break;
	}
	sr->next = *pp;
	*pp = sr;
	sup->npending++;
}

void
supervisor_enqueue(struct supervisor *sup, const struct run *run)
{
	pending_add(sup, run);
}

static void
running_remove(struct supervisor *sup, struct srun *sr)
{
	struct srun **pp;

	for (pp = &sup->running; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == sr) {
			*pp = sr->next;
			sup->nrunning--;
			return;
		}
	}
}

static void
child_gone(int fd, uint32_t events, void *arg)
{
	struct srun *sr = arg;
	struct supervisor *sup = sr->sup;
	struct loop *loop = sup->ad->loop;
	struct child_result res;
	int64_t now = agentd_now();
	int retry;

	(void)fd;
	(void)events;
	if (sr->starting) {
		loop_del_fd(loop, child_report_fd(sr->child));
		sr->starting = 0;
	}
	loop_del_fd(loop, child_pidfd(sr->child));
	loop_del_fd(loop, child_out_fd(sr->child));
	loop_del_fd(loop, child_err_fd(sr->child));
	if (child_reap(sr->child, &res) == -1)
		return;
	running_remove(sup, sr);
	run_usage(sr, &res);
	retry = run_outcome(sr, &res);
	srun_end(sup, sr, retry, now);
}

/* An http run's request is over: its outcome from the status. */
static void
http_done(struct httpjob *hj, const struct httpjob_result *res, void *arg)
{
	struct srun *sr = arg;
	struct run *r = &sr->run;

	(void)hj;
	running_remove(sr->sup, sr);
	r->http_status = res->status;
	r->output_bytes = (int64_t)res->output_total;
	if (res->code == 0 && job_http_status_ok(sr->job, res->status)) {
		r->state = RUN_SUCCEEDED;
		snprintf(r->message, sizeof r->message, "HTTP %d", res->status);
	} else if (res->code == 0) {
		r->state = RUN_FAILED;
		snprintf(r->message, sizeof r->message,
		    "HTTP %d is not an expected status", res->status);
	} else if (res->timed_out) {
		r->state = RUN_TIMED_OUT;
		snprintf(r->message, sizeof r->message, "timed out: %.200s",
		    res->error);
	} else {
		r->state = RUN_FAILED;
		snprintf(r->message, sizeof r->message, "%s", res->error);
	}
	srun_end(sr->sup, sr, r->state != RUN_SUCCEEDED, agentd_now());
}

/* Stops http run SR at once: there is nothing to wait for. */
static void
http_cancel(struct srun *sr, const char *why)
{
	running_remove(sr->sup, sr);
	sr->run.state = RUN_CANCELLED;
	strlcpy(sr->run.message, why, sizeof sr->run.message);
	srun_end(sr->sup, sr, 0, agentd_now());
}

static void
child_output(int fd, uint32_t events, void *arg)
{
	struct srun *sr = arg;
	enum child_stream which;

	(void)events;
	which = fd == child_out_fd(sr->child) ? CHILD_OUT : CHILD_ERR;
	if (child_drain(sr->child, which) != 0)
		loop_del_fd(sr->sup->ad->loop, fd);
}

static void
kill_now(void *arg)
{
	struct srun *sr = arg;

	sr->timer = NULL;
	log_warnx("supervisor: still running after kill_grace job=%s "
	          "run=%lld, sending SIGKILL",
	    sr->run.job, (long long)sr->run.id);
	child_signal(sr->child, SIGKILL);
}

/* SIGTERM to the group now, SIGKILL after kill_grace. */
static void
srun_terminate(struct srun *sr, enum stop_why why)
{
	struct loop *loop = sr->sup->ad->loop;

	if (sr->stop != STOP_NONE)
		return;
	if (sr->http != NULL) {
		http_cancel(sr, sr->stop_msg);
		return;
	}
	sr->stop = why;
	if (sr->timer != NULL)
		loop_timer_cancel(loop, sr->timer);
	child_signal(sr->child, SIGTERM);
	sr->timer = loop_timer_add(
	    loop, loop_now_ms() + sr->job->kill_grace * 1000, kill_now, sr);
}

static void
timed_out(void *arg)
{
	struct srun *sr = arg;

	sr->timer = NULL;
	log_warnx("supervisor: timeout job=%s run=%lld after=%llds, sending "
	          "SIGTERM",
	    sr->run.job, (long long)sr->run.id, (long long)sr->job->timeout);
	srun_terminate(sr, STOP_TIMEOUT);
}

/* Starts SR's child; -1 with *cause. */
static int
srun_spawn(struct supervisor *sup, struct srun *sr, char **cause)
{
	const struct job *job = sr->job;
	struct child_spec spec;
	char **env, *log_path;
	size_t i;
	int rc = -1;

	memset(&spec, 0, sizeof spec);
	if (sandbox_spec_identity(sup->ad->root, job, &spec, cause) == -1)
		return -1;
	if (sandbox_run_prepare(&sr->sbx, job, sr->run.id, cause) == -1)
		return -1;
	spec.sandbox = &sr->sbx.cs;
	spec.run_id = sr->run.id;
	spec.job = job->name;
	spec.attempt = sr->run.attempt;
	spec.command = job->command;
	spec.argv = job->argv;
	env = xcalloc(job->nenv + 1, sizeof *env);
	for (i = 0; i < job->nenv; i++)
		xasprintf(&env[i], "%s=%s", job->env[i].key, job->env[i].value);
	spec.env = env;
	spec.workdir = job->workdir;
	xasprintf(
	    &log_path, "%s/%lld.log", sup->ad->log_dir, (long long)sr->run.id);
	spec.log_path = log_path;
	spec.log_cap = (uint64_t)job->max_output;
	sr->child = child_spawn(&spec, cause);
	if (sr->child != NULL)
		rc = 0;
	for (i = 0; i < job->nenv; i++)
		free(env[i]);
	free(env);
	free(log_path);
	return rc;
}

/* SR could not start at NOW, for CAUSE (taken): it ends failed. */
static void
srun_start_failed(
    struct supervisor *sup, struct srun *sr, char *cause, int64_t now)
{
	sr->run.state = RUN_FAILED;
	sr->run.finished_at = now;
	strlcpy(sr->run.message, cause, sizeof sr->run.message);
	log_warnx("supervisor: run failed to start job=%s run=%lld: %s",
	    sr->run.job, (long long)sr->run.id, cause);
	free(cause);
	run_ended(sup, sr->job, &sr->run, 1, now);
	srun_free(sr);
}

/* SR's child has executed its program, or its request is out. */
static void
srun_running(struct supervisor *sup, struct srun *sr)
{
	struct loop *loop = sup->ad->loop;

	sr->run.state = RUN_RUNNING;
	if (sr->child != NULL)
		sr->run.pid = child_pid(sr->child);
	strlcpy(sr->run.boot_id, sup->ad->boot_id, sizeof sr->run.boot_id);
	sr->started_ms = loop_now_ms();
	if (sr->child != NULL) {
		loop_add_fd(
		    loop, child_pidfd(sr->child), EPOLLIN, child_gone, sr);
		loop_add_fd(
		    loop, child_out_fd(sr->child), EPOLLIN, child_output, sr);
		loop_add_fd(
		    loop, child_err_fd(sr->child), EPOLLIN, child_output, sr);
	}
	/*
	 * An http run's timeout is the request's own (httpjob.c); a run
	 * stopped while it was starting has its SIGKILL timer already.
	 */
	if (sr->job->timeout > 0 && sr->child != NULL && sr->stop == STOP_NONE)
		sr->timer = loop_timer_add(loop,
		    sr->started_ms + sr->job->timeout * 1000, timed_out, sr);
	log_info("supervisor: run started job=%s run=%lld attempt=%d pid=%d",
	    sr->run.job, (long long)sr->run.id, sr->run.attempt,
	    (int)sr->run.pid);
	run_changed(sup, &sr->run);
	notify_run_started(sup->ad, sr->job, &sr->run);
}

/* The report pipe of SR's starting child: executed, or failed to. */
static void
child_exec_done(int fd, uint32_t events, void *arg)
{
	struct srun *sr = arg;
	struct supervisor *sup = sr->sup;
	char *cause = NULL;
	int rc;

	(void)events;
	if ((rc = child_started(sr->child, &cause)) == 1)
		return;
	loop_del_fd(sup->ad->loop, fd);
	sr->starting = 0;
	if (rc == 0) {
		srun_running(sup, sr);
		return;
	}
	running_remove(sup, sr);
	srun_start_failed(sup, sr, cause, agentd_now());
}

/*
 * Starts SR. A child is running once it has executed its program, which
 * the loop hears from child_exec_done: in the meantime this goes on to
 * the next run, so a burst of due runs starts in parallel with the loop.
 * A starting run counts as running for the limits and the policies.
 */
static void
srun_start(struct supervisor *sup, struct srun *sr, int64_t now)
{
	char *cause = NULL;
	int rc = 0;

	sr->run.started_at = now;
	if (sr->job->kind == JOB_HTTP) {
		sr->http = httpjob_start(
		    sup->ad, sr->job, sr->run.id, http_done, sr, &cause);
		if (sr->http == NULL) {
			srun_start_failed(sup, sr, cause, now);
			return;
		}
	} else if (srun_spawn(sup, sr, &cause) == -1 ||
	    (rc = child_started(sr->child, &cause)) == -1) {
		srun_start_failed(sup, sr, cause, now);
		return;
	}
	sr->next = sup->running;
	sup->running = sr;
	sup->nrunning++;
	if (rc == 1) {
		sr->starting = 1;
		loop_add_fd(sup->ad->loop, child_report_fd(sr->child), EPOLLIN,
		    child_exec_done, sr);
		return;
	}
	srun_running(sup, sr);
}

static int
job_is_running(struct supervisor *sup, int64_t job_id, int64_t *run_id)
{
	struct srun *sr;

	for (sr = sup->running; sr != NULL; sr = sr->next) {
		if (sr->run.job_id == job_id) {
			if (run_id != NULL)
				*run_id = sr->run.id;
			return 1;
		}
	}
	return 0;
}

int
supervisor_job_running(struct supervisor *sup, int64_t job_id, int64_t *run_id)
{
	return job_is_running(sup, job_id, run_id);
}

void
pending_cancel(
    struct supervisor *sup, struct srun *sr, const char *why, int64_t now)
{
	sr->run.state = RUN_CANCELLED;
	sr->run.finished_at = now;
	strlcpy(sr->run.message, why, sizeof sr->run.message);
	run_changed(sup, &sr->run);
	srun_free(sr);
}

int
supervisor_group_running(struct supervisor *sup, const char *name)
{
	struct srun *sr;
	int n = 0;

	for (sr = sup->running; sr != NULL; sr = sr->next) {
		if (sr->job != NULL && sr->job->group != NULL &&
		    strcmp(sr->job->group, name) == 0)
			n++;
	}
	return n;
}

int
supervisor_group_queued(struct supervisor *sup, const char *name)
{
	struct srun *sr;
	int n = 0;

	for (sr = sup->pending; sr != NULL; sr = sr->next) {
		if (strcmp(sr->group, name) == 0)
			n++;
	}
	return n;
}

/* 1 if SR (its job loaded) must wait for a place in its group. */
static int
group_full(struct supervisor *sup, struct srun *sr)
{
	return sr->job->group != NULL &&
	    supervisor_group_running(sup, sr->job->group) >=
	    groups_limit(sup->ad, sr->job->group);
}

/*
 * Says once, in the run's message (runs' DETAIL), that SR waits for run
 * OTHER of the same job, as a run held by its group says so.
 */
static void
job_wait(struct supervisor *sup, struct srun *sr, int64_t other)
{
	if (sr->run.message[0] != '\0')
		return;
	snprintf(sr->run.message, sizeof sr->run.message,
	    "waits for run %lld of this job (concurrency %s)", (long long)other,
	    job_concurrency_name(sr->job->concurrency));
	sr->waits = 1;
	run_changed(sup, &sr->run);
}

/*
 * SR waits for its group: the first time, say so in the decision log and
 * the run's message. Pending runs are kept in id order, so the group's
 * places go to its runs first come, first served.
 */
void
group_hold(struct supervisor *sup, struct srun *sr, int64_t now)
{
	struct decision d;
	int limit;

	if (sr->group[0] != '\0')
		return;
	strlcpy(sr->group, sr->job->group, sizeof sr->group);
	limit = groups_limit(sup->ad, sr->group);
	memset(&d, 0, sizeof d);
	d.job_id = sr->run.job_id;
	strlcpy(d.job, sr->run.job, sizeof d.job);
	d.slot = sr->run.scheduled_at != 0 ? sr->run.scheduled_at : now;
	d.decided_at = now;
	d.outcome = DECISION_HELD_BY_GROUP;
	d.run_id = sr->run.id;
	snprintf(d.detail, sizeof d.detail,
	    "group %s is at its limit of %d running; run %lld waits in the "
	    "queue",
	    sr->group, limit, (long long)sr->run.id);
	if (store_decision_add(sup->ad->store, &d) == -1)
		log_warnx("supervisor: cannot record a decision of job=%s",
		    sr->run.job);
	snprintf(sr->run.message, sizeof sr->run.message,
	    "held by group %s (limit %d)", sr->group, limit);
	log_info("supervisor: run held job=%s run=%lld group=%s limit=%d",
	    sr->run.job, (long long)sr->run.id, sr->group, limit);
	run_changed(sup, &sr->run);
}

int
supervisor_dispatch(struct supervisor *sup, int64_t now)
{
	struct srun **pp, *sr;
	int started = 0, max = sup->ad->settings.max_running;
	int64_t other;

	if (queue_remote(sup->ad->queue))
		return dispatch_remote(sup, now);
	pp = &sup->pending;
	while ((sr = *pp) != NULL) {
		if (sup->ad->stopping || (max > 0 && sup->nrunning >= max))
			break;
		if (sr->run.not_before > now) {
			pp = &sr->next;
			continue;
		}
		/* Still held: its group is full, no need to load the job. */
		if (sr->group[0] != '\0' &&
		    supervisor_group_running(sup, sr->group) >=
		        groups_limit(sup->ad, sr->group)) {
			pp = &sr->next;
			continue;
		}
		sr->job = store_job_load(sup->ad->store, sr->run.job_id);
		if (sr->job != NULL && sr->job->concurrency != JOB_ALLOW &&
		    job_is_running(sup, sr->run.job_id, &other)) {
			/* One at a time: it waits for the running one. */
			job_wait(sup, sr, other);
			job_free(sr->job);
			sr->job = NULL;
			pp = &sr->next;
			continue;
		}
		if (sr->job != NULL && group_full(sup, sr)) {
			group_hold(sup, sr, now);
			job_free(sr->job);
			sr->job = NULL;
			pp = &sr->next;
			continue;
		}
		if (sr->group[0] != '\0' || sr->waits)
			sr->run.message[0] = '\0';
		*pp = sr->next;
		sup->npending--;
		if (sr->job == NULL) {
			pending_cancel(sup, sr, "the job was deleted", now);
			continue;
		}
		srun_start(sup, sr, now);
		started++;
	}
	return started;
}

int64_t
supervisor_next_due(struct supervisor *sup)
{
	struct srun *sr;
	int64_t best = INT64_MAX;

	if (!queue_ready(sup->ad->queue))
		return INT64_MAX;
	if (sup->ad->settings.max_running > 0 &&
	    sup->nrunning >= sup->ad->settings.max_running &&
	    !queue_remote(sup->ad->queue))
		return INT64_MAX;
	/* Held for runs out on workers: their reports wake the loop. */
	if (queue_remote(sup->ad->queue) && sup->remote_full)
		return INT64_MAX;
	for (sr = sup->pending; sr != NULL; sr = sr->next) {
		if (sr->held)
			continue;
		/* Held by its group: the end of a run wakes it. */
		if (sr->group[0] != '\0' &&
		    supervisor_group_running(sup, sr->group) >=
		        groups_limit(sup->ad, sr->group))
			continue;
		if (sr->run.not_before < best &&
		    !job_is_running(sup, sr->run.job_id, NULL))
			best = sr->run.not_before;
	}
	return best;
}

void
supervisor_tick(struct supervisor *sup, int64_t now)
{
	supervisor_dispatch(sup, now);
}

int
supervisor_stop_run(struct supervisor *sup, int64_t id, const char *why)
{
	struct srun **pp, *sr;

	for (pp = &sup->pending; (sr = *pp) != NULL; pp = &sr->next) {
		if (sr->run.id == id) {
			*pp = sr->next;
			sup->npending--;
			pending_cancel(sup, sr, why, agentd_now());
			return 0;
		}
	}
	for (sr = sup->running; sr != NULL; sr = sr->next) {
		if (sr->run.id == id) {
			strlcpy(sr->stop_msg, why, sizeof sr->stop_msg);
			log_notice("supervisor: stopping job=%s run=%lld: %s",
			    sr->run.job, (long long)id, why);
			srun_terminate(sr, STOP_CANCEL);
			return 0;
		}
	}
	/* Out on a worker agent: the queue backend tells it. */
	return queue_cancel(sup->ad->queue, id, why);
}

/* Waits up to MS for every running child's pidfd; returns how many left. */
static int
wait_children(struct supervisor *sup, int64_t ms)
{
	struct pollfd pfd[256];
	struct srun *sr;
	int64_t end = loop_now_ms() + ms;
	int n, left;

	for (;;) {
		n = left = 0;
		for (sr = sup->running; sr != NULL && n < 256; sr = sr->next) {
			pfd[n].fd = child_pidfd(sr->child);
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
		}
		if (n == 0 || poll(pfd, (nfds_t)n, 0) < 0)
			return 0;
		for (left = 0; left < n; left++) {
			if (!(pfd[left].revents & POLLIN))
				break;
		}
		if (left == n || loop_now_ms() >= end)
			return n - left;
		poll(pfd, (nfds_t)n, 100);
	}
}

void
supervisor_shutdown(struct supervisor *sup, int64_t grace)
{
	struct srun *sr, *next;

	for (sr = sup->running; sr != NULL; sr = next) {
		next = sr->next;
		if (sr->http != NULL)
			http_cancel(sr, "stopped at daemon shutdown");
	}

	for (sr = sup->running; sr != NULL; sr = sr->next) {
		sr->stop = STOP_CANCEL;
		strlcpy(sr->stop_msg, "stopped at daemon shutdown",
		    sizeof sr->stop_msg);
		child_signal(sr->child, SIGTERM);
	}
	if (wait_children(sup, grace * 1000) > 0) {
		for (sr = sup->running; sr != NULL; sr = sr->next)
			child_signal(sr->child, SIGKILL);
		wait_children(sup, 5000);
	}
	while ((sr = sup->running) != NULL)
		child_gone(child_pidfd(sr->child), 0, sr);
}

int
supervisor_count_running(struct supervisor *sup)
{
	return sup->nrunning;
}

int
supervisor_count_queued(struct supervisor *sup)
{
	return sup->npending;
}

int
supervisor_count_retrying(struct supervisor *sup)
{
	const struct srun *sr;
	int n = 0;

	for (sr = sup->pending; sr != NULL; sr = sr->next)
		if (sr->run.state == RUN_RETRYING)
			n++;
	return n;
}

void
supervisor_start_job(struct supervisor *sup, const struct run *run,
    const struct job *job, int64_t now)
{
	struct srun *sr;

	sr = xcalloc(1, sizeof *sr);
	sr->run = *run;
	sr->sup = sup;
	sr->job = job_dup(job);
	srun_start(sup, sr, now);
}
