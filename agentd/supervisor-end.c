/* SPDX-License-Identifier: ISC */
/*
 * How runs end: the final state from a child's exit (on_exit, retry_on,
 * signals, timeouts, seccomp kills), its CPU time and memory, the record
 * and the notifications, and the next attempt with its backoff while the
 * retry policy allows. Also the runs a previous daemon left running, which
 * end as lost at start-up, and the runs worker agents report.
 */
#include "config.h"

#include <sys/types.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentd.h"
#include "child.h"
#include "notify.h"
#include "log.h"
#include "sandbox.h"
#include "queue.h"
#include "supervisor-int.h"

/* The delay before attempt ATTEMPT + 1: doubling, capped, +/-20%. */
static int64_t
retry_delay(const struct job *job, int attempt)
{
	int64_t d = job->retry_backoff, j;
	int i;

	for (i = 1; i < attempt && d < job->retry_backoff_max; i++)
		d *= 2;
	if (d > job->retry_backoff_max)
		d = job->retry_backoff_max;
	j = d / 5;
	if (j > 0)
		d += (int64_t)arc4random_uniform((uint32_t)(2 * j + 1)) - j;
	return d < 1 ? 1 : d;
}

/*
 * Queues the next attempt after the failed run FAILED of JOB when the
 * policy allows: attempts are bounded by 1 + retries (BUG-25). Returns 1
 * if it did.
 */
static int
retry_maybe(struct supervisor *sup, const struct job *job,
    const struct run *failed, int64_t now)
{
	struct run r;

	if (job == NULL || failed->attempt >= 1 + job->retries)
		return 0;
	r = *failed;
	r.id = 0;
	r.attempt = failed->attempt + 1;
	r.first_run_id =
	    failed->first_run_id != 0 ? failed->first_run_id : failed->id;
	r.trigger = TRIGGER_RETRY;
	r.queued_at = now;
	r.not_before = now + retry_delay(job, failed->attempt);
	r.started_at = r.finished_at = 0;
	r.pid = 0;
	r.exit_code = -1;
	r.signal = r.http_status = 0;
	r.output_bytes = 0;
	r.cpu_usec = r.peak_memory = 0;
	r.published_at = 0;
	r.state = RUN_RETRYING;
	r.message[0] = '\0';
	if (store_run_insert(sup->ad->store, &r) == -1) {
		log_warn("supervisor: cannot queue a retry of run=%lld",
		    (long long)failed->id);
		return 0;
	}
	log_info("supervisor: retry queued job=%s run=%lld attempt=%d "
	         "delay=%llds",
	    r.job, (long long)r.id, r.attempt, (long long)(r.not_before - now));
	pending_add(sup, &r);
	run_changed(sup, &r);
	return 1;
}

/* RUN of JOB ended: record it (or report it) and retry when RETRY. */
void
run_ended(struct supervisor *sup, const struct job *job, const struct run *run,
    int retry, int64_t now)
{
	if (queue_report(sup->ad->queue, run, 1, retry) == 1)
		return;
	run_changed(sup, run);
	if (retry)
		retry = retry_maybe(sup, job, run, now);
	notify_run_ended(sup->ad, job, run, !retry);
}

/* 1 if the code of a failed exit should be retried under JOB's retry_on. */
static int
retry_code(const struct job *job, int code)
{
	size_t i;

	if (job->nretry_on == 0)
		return 1;
	for (i = 0; i < job->nretry_on; i++) {
		if (job->retry_on[i] == code)
			return 1;
	}
	return 0;
}

/* SR's main process died of its seccomp filter: say which call, if known. */
static int
run_seccomp_killed(struct srun *sr)
{
	struct run *r = &sr->run;
	char *name;

	name = sandbox_seccomp_culprit(r->pid);
	r->state = RUN_FAILED;
	if (name != NULL)
		snprintf(r->message, sizeof r->message,
		    "killed by the seccomp filter (SIGSYS): system call %s is "
		    "denied (sandbox.seccomp)",
		    name);
	else
		snprintf(r->message, sizeof r->message,
		    "killed by the seccomp filter (SIGSYS): a denied system "
		    "call (sandbox.seccomp)");
	log_warnx("supervisor: seccomp killed job=%s run=%lld syscall=%s",
	    r->job, (long long)r->id, name != NULL ? name : "unknown");
	free(name);
	return sr->job->nretry_on == 0;
}

/* Decides the final state of SR from how its child ended. */
int
run_outcome(struct srun *sr, const struct child_result *res)
{
	struct run *r = &sr->run;
	int retry = 0;

	r->exit_code = res->exited ? res->exit_code : -1;
	r->signal = res->exited ? 0 : res->signal;
	r->output_bytes = (int64_t)res->output_total;
	if (sr->stop == STOP_CANCEL) {
		r->state = RUN_CANCELLED;
		strlcpy(r->message, sr->stop_msg, sizeof r->message);
		return 0;
	}
	if (sr->stop == STOP_TIMEOUT) {
		r->state = RUN_TIMED_OUT;
		snprintf(r->message, sizeof r->message, "timed out after %llds",
		    (long long)sr->job->timeout);
		return sr->job->nretry_on == 0;
	}
	if (!res->exited && sandbox_run_seccomp_killed(&sr->sbx, res->signal))
		return run_seccomp_killed(sr);
	if (!res->exited) {
		r->state = RUN_FAILED;
		snprintf(r->message, sizeof r->message, "killed by signal %d",
		    res->signal);
		return sr->job->nretry_on == 0;
	}
	switch (job_exit_outcome(sr->job, res->exit_code)) {
	case JOB_OUTCOME_SUCCESS:
		r->state = RUN_SUCCEEDED;
		break;
	case JOB_OUTCOME_SKIP:
		r->state = RUN_SKIPPED;
		snprintf(r->message, sizeof r->message,
		    "exit %d means skip (on_exit)", res->exit_code);
		break;
	case JOB_OUTCOME_FAIL:
		r->state = RUN_FAILED;
		snprintf(r->message, sizeof r->message,
		    "exit %d means fail without retry (on_exit)",
		    res->exit_code);
		break;
	case JOB_OUTCOME_RETRY:
		r->state = RUN_FAILED;
		snprintf(
		    r->message, sizeof r->message, "exit %d", res->exit_code);
		retry = 1;
		break;
	case JOB_OUTCOME_DEFAULT:
		if (res->exit_code == 0) {
			r->state = RUN_SUCCEEDED;
			break;
		}
		r->state = RUN_FAILED;
		snprintf(
		    r->message, sizeof r->message, "exit %d", res->exit_code);
		retry = retry_code(sr->job, res->exit_code);
		break;
	}
	return retry;
}

/*
 * CPU time and peak memory: the cgroup leaf's figures count every process
 * of the run; without one, what wait4 reports for the main process and
 * the children it waited for.
 */
void
run_usage(struct srun *sr, const struct child_result *res)
{
	int64_t cpu, peak;

	sandbox_run_finish(&sr->sbx, &cpu, &peak);
	if (cpu < 0)
		cpu = (int64_t)(res->user_usec + res->sys_usec);
	if (peak < 0)
		peak = (int64_t)res->maxrss_kb * 1024;
	sr->run.cpu_usec = cpu;
	sr->run.peak_memory = peak;
}

/* SR has ended with RETRY from its outcome: record it, maybe retry. */
void
srun_end(struct supervisor *sup, struct srun *sr, int retry, int64_t now)
{
	sr->run.finished_at = now;
	log_info("supervisor: run exited job=%s run=%lld state=%s status=%d "
	         "signal=%d http_status=%d elapsed=%.1fs",
	    sr->run.job, (long long)sr->run.id, run_state_name(sr->run.state),
	    sr->run.exit_code, sr->run.signal, sr->run.http_status,
	    (double)(loop_now_ms() - sr->started_ms) / 1000.0);
	run_ended(sup, sr->job, &sr->run, retry, now);
	srun_free(sr);
}

/*
 * 1 if PID is still the child of run ID, which the previous daemon
 * started: its environment carries CRONQ_RUN_ID (child.c sets it), which a
 * recycled pid would not.
 */
static int
pid_is_run(pid_t pid, int64_t id)
{
	char path[64], want[64], buf[65536];
	ssize_t n;
	size_t wl;
	int fd;
	char *p;

	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	wl = (size_t)snprintf(
	    want, sizeof want, "CRONQ_RUN_ID=%lld", (long long)id);
	for (p = buf; p < buf + n; p += strlen(p) + 1) {
		if (strncmp(p, want, wl) == 0 && p[wl] == '\0')
			return 1;
	}
	return 0;
}

int
supervisor_recover(struct supervisor *sup, int64_t now)
{
	static const enum run_state waiting[] = { RUN_QUEUED, RUN_RETRYING };
	struct run *runs;
	struct job *job;
	size_t n, i, k;

	/* Waiting runs first: the retries of lost runs are added below. */
	for (k = 0; k < 2; k++) {
		if (store_run_list_state(
		        sup->ad->store, waiting[k], &runs, &n) == -1)
			return -1;
		for (i = 0; i < n; i++)
			pending_add(sup, &runs[i]);
		free(runs);
	}
	/* Runs on worker agents go on; they report to whoever schedules. */
	if (queue_remote(sup->ad->queue))
		return 0;
	if (store_run_list_state(sup->ad->store, RUN_RUNNING, &runs, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		/*
		 * Its pipes died with the old daemon, so it cannot be
		 * followed: end what is left of it, or a retry would run
		 * next to it (BUG-25), and record it as lost.
		 */
		if (runs[i].pid > 0 &&
		    strcmp(runs[i].boot_id, sup->ad->boot_id) == 0 &&
		    pid_is_run(runs[i].pid, runs[i].id))
			kill(-runs[i].pid, SIGKILL);
		runs[i].state = RUN_LOST;
		runs[i].finished_at = now;
		strlcpy(runs[i].message, "the daemon stopped while it ran",
		    sizeof runs[i].message);
		log_notice("supervisor: run lost job=%s run=%lld", runs[i].job,
		    (long long)runs[i].id);
		run_changed(sup, &runs[i]);
		job = store_job_load(sup->ad->store, runs[i].job_id);
		notify_run_ended(sup->ad, job, &runs[i],
		    !retry_maybe(sup, job, &runs[i], now));
		job_free(job);
	}
	free(runs);
	return 0;
}

void
supervisor_record(struct supervisor *sup, const struct run *run)
{
	/*
	 * Not run_changed: this is the scheduler's record of a remote run,
	 * which a worker side in the same agent (role all) must not report
	 * back to the scheduler again.
	 */
	if (store_run_update(sup->ad->store, run) == -1)
		log_warn(
		    "supervisor: cannot save run=%lld", (long long)run->id);
	agentd_emit_run(sup->ad, run);
}

void
supervisor_retry(struct supervisor *sup, const struct run *run, int64_t now)
{
	struct job *job;

	job = store_job_load(sup->ad->store, run->job_id);
	retry_maybe(sup, job, run, now);
	job_free(job);
}
