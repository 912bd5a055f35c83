/* SPDX-License-Identifier: ISC */
/*
 * When schedules fire. Each job's schedules keep the last slot considered
 * (persisted) and the next fire (computed); a min-heap orders the next
 * fires. Every slot the scheduler considers leaves a decision row. The
 * current time is always passed in, never read here, so tests can drive
 * the scheduler through DST changes, downtime and clock steps.
 *
 * Catch-up work never grows with the number of missed slots: the latest
 * missed slot comes from cronexpr_prev, the count is capped, and `all`
 * walks back at most catchup_max slots.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd.h"
#include "log.h"
#include "notify.h"
#include "util.h"
#include "xmalloc.h"
#include "scheduler-int.h"

/* Missed slots are counted up to this many; beyond, the count is capped. */
#define SCHED_COUNT_CAP 100000
/* A slot at most this late is on time, not missed (loop latency, load). */
#define SCHED_LATE_GRACE 60
/* Clock steps under this follow the Debian cron rule for fixed times. */
#define SCHED_STEP_RULE (3 * 3600)
/*
 * Slots one tick takes at most. Many jobs due in the same second fire in
 * chunks, each one transaction: the daemon's loop starts a chunk's runs
 * before it fires the next, so their children get going on the other
 * cores instead of all waiting for the last fire of the second. The loop
 * ticks again at once while slots are due (scheduler_next_due).
 */
#define SCHED_TICK_MAX 8

/* The scheduling part of JOB. */
static struct sjob *
sjob_create(const struct job *job)
{
	struct sjob *sj;

	sj = xcalloc(1, sizeof *sj);
	sj->id = job->id;
	sj->created_at = job->created_at;
	sj->tz = job->tz;
	sj->nschedules = (uint32_t)job->nschedules;
	sj->exprs = xcalloc(
	    job->nschedules > 0 ? job->nschedules : 1, sizeof *sj->exprs);
	if (job->nschedules > 0)
		memcpy(
		    sj->exprs, job->exprs, job->nschedules * sizeof *sj->exprs);
	sj->owner = job->owner;
	sj->paused = job->paused;
	return sj;
}

static void
sjob_free(struct sjob *sj)
{
	if (sj == NULL)
		return;
	free(sj->exprs);
	free(sj->ss);
	free(sj);
}

struct scheduler *
scheduler_create(struct agentd *ad)
{
	struct scheduler *s;

	s = xcalloc(1, sizeof *s);
	s->ad = ad;
	return s;
}

void
scheduler_free(struct scheduler *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->njobs; i++)
		sjob_free(s->jobs[i]);
	free(s->jobs);
	free(s->index);
	free(s->heap);
	free(s->fired);
	free(s);
}

/* The first fire of schedule IDX strictly after AFTER, or 0. */
static int64_t
sched_next_after(struct sjob *sj, int idx, int64_t after, unsigned *notes)
{
	const struct cronexpr *ce = &sj->exprs[idx];
	int64_t next;

	*notes = 0;
	switch (ce->kind) {
	case CRON_REBOOT:
		return 0;
	case CRON_EVERY:
		/* The series is anchored at the last fire (or creation). */
		return cronexpr_every_next(ce,
		    sj->ss[idx].last_slot != 0 ? sj->ss[idx].last_slot
		                               : sj->created_at,
		    after);
	case CRON_CALENDAR:
		break;
	}
	if (cronexpr_next(ce, sj->tz, after, &next, notes) == -1)
		return 0;
	return next;
}

/*
 * Sets the next fire of schedule IDX from its last slot and NOW. After a
 * backward step (last slot in the future) wildcard schedules follow the
 * new clock at once; fixed-time ones do not repeat slots already fired
 * unless the step exceeds three hours (the Debian cron rule, BUG-13).
 */
static void
sched_compute(struct scheduler *s, struct sjob *sj, int idx, int64_t now)
{
	struct sched_state *ss = &sj->ss[idx];
	const struct cronexpr *ce = &sj->exprs[idx];
	int64_t after;

	if (ss->last_slot == 0)
		ss->last_slot = now;
	after = ss->last_slot;
	if (ss->last_slot > now &&
	    (ce->kind == CRON_EVERY || ce->interval ||
	        ss->last_slot - now > SCHED_STEP_RULE)) {
		after = now;
		ss->last_slot = now;
	}
	ss->next = sched_next_after(sj, idx, after, &ss->notes);
	if (ss->next != 0)
		heap_push(s, ss->next, sj->id, idx, sj->gen);
}

static void
sjob_schedule(struct scheduler *s, struct sjob *sj, int64_t now)
{
	struct store *st = s->ad->store;
	int64_t last, next;
	size_t i;

	sj->gen = ++s->gen;
	sj->ss =
	    xcalloc(sj->nschedules > 0 ? sj->nschedules : 1, sizeof *sj->ss);
	for (i = 0; i < sj->nschedules; i++) {
		if (store_sched_load(st, sj->id, (int)i, &last, &next) == 0)
			sj->ss[i].last_slot = last;
		else
			store_sched_save(st, sj->id, (int)i, now, 0);
		sched_compute(s, sj, (int)i, now);
	}
}

int
scheduler_load(struct scheduler *s, int64_t now)
{
	struct job **jobs;
	struct sjob *sj;
	size_t n, i;

	for (i = 0; i < s->njobs; i++)
		sjob_free(s->jobs[i]);
	free(s->jobs);
	s->jobs = NULL;
	s->njobs = s->jobscap = 0;
	s->nheap = 0;
	if (store_job_list(s->ad->store, 0, 1, &jobs, &n) == -1) {
		index_rebuild(s);
		return -1;
	}
	s->jobscap = n + 1;
	s->jobs = xcalloc(s->jobscap, sizeof *s->jobs);
	for (i = 0; i < n; i++) {
		sj = sjob_create(jobs[i]);
		job_free(jobs[i]);
		s->jobs[s->njobs++] = sj;
	}
	free(jobs);
	index_rebuild(s);
	for (i = 0; i < s->njobs; i++)
		sjob_schedule(s, s->jobs[i], now);
	return 0;
}

/* The setting that holds the boot an @reboot schedule last fired in. */
static void
reboot_key(char *key, size_t len, int64_t job_id, size_t k)
{
	snprintf(key, len, "reboot.%lld.%zu", (long long)job_id, k);
}

/*
 * A job that gains an @reboot schedule after this boot's start was handled
 * waits for the next boot: otherwise a mere restart of the daemon, such
 * as an upgrade, would run it as if the host had just come up.
 */
static void
reboot_mark_seen(struct scheduler *s, const struct sjob *sj)
{
	char key[64], *seen;
	size_t k;

	for (k = 0; k < sj->nschedules; k++) {
		if (sj->exprs[k].kind != CRON_REBOOT)
			continue;
		reboot_key(key, sizeof key, sj->id, k);
		if (store_setting_get(s->ad->store, key, &seen) == 0) {
			free(seen);
			continue;
		}
		store_setting_set(s->ad->store, key, s->ad->boot_id);
	}
}

void
scheduler_job_changed(
    struct scheduler *s, int64_t job_id, const struct job *job, int64_t now)
{
	struct sjob *sj;
	size_t pos;

	sj = sjob_find(s, job_id, &pos);
	if (sj != NULL) {
		sjob_remove(s, pos);
		sjob_free(sj);
	}
	if (job == NULL)
		return;
	sj = sjob_create(job);
	sjob_add(s, sj);
	sjob_schedule(s, sj, now);
	if (s->booted)
		reboot_mark_seen(s, sj);
}

void
scheduler_clock_stepped(struct scheduler *s, int64_t delta, int64_t now)
{
	size_t i, k;

	if (delta > 0)
		s->step = delta;
	s->nheap = 0;
	for (i = 0; i < s->njobs; i++) {
		s->jobs[i]->gen = ++s->gen;
		for (k = 0; k < s->jobs[i]->nschedules; k++)
			sched_compute(s, s->jobs[i], (int)k, now);
	}
}

int64_t
scheduler_next_due(struct scheduler *s)
{
	struct heap_entry *e;

	e = heap_top(s);
	return e == NULL ? INT64_MAX : e->due;
}

int64_t
scheduler_job_next(struct scheduler *s, int64_t job_id)
{
	struct sjob *sj;
	int64_t best = 0;
	size_t i;

	sj = sjob_find(s, job_id, NULL);
	if (sj == NULL || sj->paused)
		return 0;
	for (i = 0; i < sj->nschedules; i++) {
		if (sj->ss[i].next != 0 && (best == 0 || sj->ss[i].next < best))
			best = sj->ss[i].next;
	}
	return best;
}

size_t
scheduler_job_count(struct scheduler *s, uid_t owner, int any_owner)
{
	size_t i, n = 0;

	if (any_owner)
		return s->njobs;
	for (i = 0; i < s->njobs; i++) {
		if (s->jobs[i]->owner == owner)
			n++;
	}
	return n;
}

/* A decision for JOB at SLOT, the detail formatted. */
static void decision_init(struct decision *d, const struct job *job,
    int64_t slot, enum decision_outcome outcome, int64_t now, const char *fmt,
    ...) __attribute__((format(printf, 6, 7)));

static void
decision_init(struct decision *d, const struct job *job, int64_t slot,
    enum decision_outcome outcome, int64_t now, const char *fmt, ...)
{
	va_list ap;

	memset(d, 0, sizeof *d);
	d->job_id = job->id;
	strlcpy(d->job, job->name, sizeof d->job);
	d->slot = slot;
	d->outcome = outcome;
	d->decided_at = now;
	va_start(ap, fmt);
	vsnprintf(d->detail, sizeof d->detail, fmt, ap);
	va_end(ap);
}

/* A queued run of JOB for SLOT. */
void
scheduler_run_init(struct agentd *ad, struct run *run, const struct job *job,
    enum run_trigger trigger, int idx, int64_t slot, int64_t now)
{
	memset(run, 0, sizeof *run);
	run->job_id = job->id;
	strlcpy(run->job, job->name, sizeof run->job);
	run->owner = job->owner;
	run->attempt = 1;
	run->trigger = trigger;
	run->schedule = idx;
	run->scheduled_at = slot;
	run->queued_at = now;
	run->not_before = now;
	if (job->jitter > 0)
		run->not_before += arc4random_uniform(
		    (uint32_t)(job->jitter > 86400 ? 86400 : job->jitter) + 1);
	run->exit_code = -1;
	run->state = RUN_QUEUED;
	strlcpy(run->triggered_by, trigger == TRIGGER_MANUAL ? "" : "schedule",
	    sizeof run->triggered_by);
	strlcpy(run->host, ad->host, sizeof run->host);
	strlcpy(run->boot_id, ad->boot_id, sizeof run->boot_id);
}

/* Tells the supervisor and the event listeners about a new run. */
static void
run_announce(struct scheduler *s, const struct run *run)
{
	char buf[32];

	util_format_utc(buf, sizeof buf, run->scheduled_at);
	log_debug("scheduler: run queued job=%s run=%lld due=%s", run->job,
	    (long long)run->id, buf);
	if (s->ad->sup != NULL)
		supervisor_enqueue(s->ad->sup, run);
	agentd_emit_run(s->ad, run);
}

/* A run just recorded: announced now, or when the tick's batch commits. */
static void
run_queued(struct scheduler *s, const struct run *run)
{
	if (!s->batch) {
		run_announce(s, run);
		return;
	}
	if (s->nfired == s->firedcap) {
		s->firedcap = s->firedcap ? s->firedcap * 2 : 16;
		s->fired =
		    xreallocarray(s->fired, s->firedcap, sizeof *s->fired);
	}
	s->fired[s->nfired++] = *run;
}

static void
batch_begin(struct scheduler *s)
{
	s->batch = store_begin(s->ad->store) == 0;
}

/*
 * Commits the tick's fires and hands their runs on. If the commit fails
 * none of them was recorded, so none may start: each is logged as lost,
 * as a single failed fire is.
 */
static void
batch_end(struct scheduler *s)
{
	size_t i;
	int ok;

	if (!s->batch)
		return;
	s->batch = 0;
	if (!(ok = store_commit(s->ad->store) == 0))
		store_rollback(s->ad->store);
	for (i = 0; i < s->nfired; i++) {
		if (ok)
			run_announce(s, &s->fired[i]);
		else
			log_warnx("scheduler: cannot record the fire of job=%s "
			          "due=%lld, not run",
			    s->fired[i].job,
			    (long long)s->fired[i].scheduled_at);
	}
	s->nfired = 0;
}

/*
 * What the active run R is doing, for a skipped slot's decision: "still
 * active" read as a running process when the run was a retry waiting out
 * its delay.
 */
static void
active_words(const struct run *r, int64_t now, char *buf, size_t len)
{
	/* A retry is a run of its own: name the attempt that failed too. */
	int64_t first = r->first_run_id != r->id ? r->first_run_id : 0;
	int retry =
	    r->state == RUN_RETRYING || (r->attempt > 1 && r->not_before > now);

	if (r->state == RUN_RUNNING)
		snprintf(
		    buf, len, "run %lld is still running", (long long)r->id);
	else if (retry && first > 0 && r->attempt == 2)
		snprintf(buf, len,
		    "run %lld failed; its retry, run %lld, waits to start",
		    (long long)first, (long long)r->id);
	else if (retry && first > 0)
		snprintf(buf, len,
		    "run %lld, attempt %d of run %lld, waits to start after "
		    "attempt %d failed",
		    (long long)r->id, r->attempt, (long long)first,
		    r->attempt - 1);
	else if (retry)
		snprintf(buf, len,
		    "run %lld (attempt %d) waits out its retry delay",
		    (long long)r->id, r->attempt);
	else
		snprintf(buf, len, "run %lld is queued and has not started",
		    (long long)r->id);
}

/*
 * Applies the concurrency policy before a new run of JOB: 1 if the slot
 * must be skipped (forbid, a run is active, described in WHY), 0 to go
 * on; with replace the active runs are stopped and *replaced names one of
 * them.
 */
static int
sched_overlap(struct scheduler *s, const struct job *job, int64_t now,
    char *why, size_t whylen, int64_t *replaced)
{
	struct run *runs;
	size_t n, i;

	*replaced = 0;
	if (job->concurrency == JOB_ALLOW)
		return 0;
	if (store_run_list_active(s->ad->store, job->id, &runs, &n) == -1)
		return 0;
	if (n == 0) {
		free(runs);
		return 0;
	}
	active_words(&runs[0], now, why, whylen);
	if (job->concurrency == JOB_FORBID) {
		free(runs);
		return 1;
	}
	/* A run fired earlier in this tick is told before it is stopped. */
	if (s->batch && s->nfired > 0) {
		batch_end(s);
		batch_begin(s);
	}
	for (i = 0; i < n; i++) {
		*replaced = runs[i].id;
		if (s->ad->sup != NULL)
			supervisor_stop_run(
			    s->ad->sup, runs[i].id, "replaced by a newer run");
		else {
			runs[i].state = RUN_CANCELLED;
			strlcpy(runs[i].message, "replaced by a newer run",
			    sizeof runs[i].message);
			store_run_update(s->ad->store, &runs[i]);
		}
	}
	free(runs);
	return 0;
}

/*
 * Fires schedule IDX of SJ (whose full job is JOB) for SLOT, advancing its
 * state to LAST/NEXT in the same transaction. MISSED > 0 makes it a catch-up
 * run.
 */
static int
sched_fire(struct scheduler *s, struct sjob *sj, const struct job *job, int idx,
    int64_t slot, int64_t missed, int overlap_check, int64_t now)
{
	struct sched_state *ss = &sj->ss[idx];
	struct decision d;
	struct run run;
	int64_t replaced;
	enum decision_outcome outcome;
	char why[160], what[64];

	if (job->paused) {
		decision_init(
		    &d, job, slot, DECISION_PAUSED, now, "job is paused");
		return store_fire(
		    s->ad->store, NULL, &d, idx, ss->last_slot, ss->next);
	}
	if (overlap_check &&
	    sched_overlap(s, job, now, why, sizeof why, &replaced)) {
		decision_init(
		    &d, job, slot, DECISION_SKIPPED_OVERLAP, now, "%s", why);
		log_info("scheduler: slot skipped job=%s: %s", job->name, why);
		notify_missed(s->ad, job, &d);
		return store_fire(
		    s->ad->store, NULL, &d, idx, ss->last_slot, ss->next);
	} else if (!overlap_check)
		replaced = 0;
	if (ss->notes & CRON_NOTE_GAP_SKIPPED) {
		decision_init(&d, job, slot, DECISION_DST_SKIPPED, now, "%s",
		    sj->exprs[idx].interval
		        ? "times in a DST gap before this one do not exist; "
		          "an interval schedule passes over them"
		        : "slots in a DST gap were skipped before this one "
		          "(dst.gap skip)");
		store_decision_add(s->ad->store, &d);
	}
	scheduler_run_init(s->ad, &run, job,
	    missed > 0 ? TRIGGER_CATCHUP : TRIGGER_SCHEDULE, idx, slot, now);
	run.missed_count = missed;
	outcome = missed > 0 ? DECISION_CAUGHT_UP : DECISION_FIRED;
	if (ss->notes & CRON_NOTE_GAP_MOVED)
		outcome = DECISION_DST_MOVED;
	if (missed > 0)
		snprintf(what, sizeof what,
		    "catch-up run, %lld slot%s missed in all",
		    (long long)missed, missed == 1 ? "" : "s");
	decision_init(&d, job, slot, outcome, now, "%s%s%s",
	    missed > 0 ? what : "on schedule",
	    ss->notes & CRON_NOTE_GAP_MOVED ? ", moved to the end of a DST gap"
	                                    : "",
	    replaced != 0 ? ", replacing an active run" : "");
	if (store_fire(s->ad->store, &run, &d, idx, ss->last_slot, ss->next) ==
	    -1) {
		log_warn(
		    "scheduler: cannot record the fire of job=%s", job->name);
		return -1;
	}
	run_queued(s, &run);
	return 1;
}

/* The number of slots of schedule IDX in [FROM, TO], capped. */
static int64_t
sched_count(struct sjob *sj, int idx, int64_t from, int64_t to)
{
	const struct cronexpr *ce = &sj->exprs[idx];
	int64_t n = 0, t = from;
	unsigned notes;

	if (from > to)
		return 0;
	if (ce->kind == CRON_EVERY)
		return ce->every > 0 ? (to - from) / ce->every + 1 : 1;
	while (t != 0 && t <= to && n < SCHED_COUNT_CAP) {
		n++;
		if (cronexpr_next(ce, sj->tz, t, &t, &notes) == -1)
			break;
	}
	return n;
}

/* The latest slot of schedule IDX at or before NOW (FIRST is one). */
static int64_t
sched_latest(struct sjob *sj, int idx, int64_t first, int64_t now)
{
	const struct cronexpr *ce = &sj->exprs[idx];
	int64_t prev;
	unsigned notes;

	if (ce->kind == CRON_EVERY)
		return ce->every > 0
		    ? first + (now - first) / ce->every * ce->every
		    : first;
	if (cronexpr_prev(ce, sj->tz, now + 1, &prev, &notes) == -1 ||
	    prev < first)
		return first;
	return prev;
}

/* Fires up to catchup_max of the latest missed slots, oldest first. */
static int
sched_catchup_all(struct scheduler *s, struct sjob *sj, const struct job *job,
    int idx, int64_t first, int64_t latest, int64_t missed, int64_t now)
{
	const struct cronexpr *ce = &sj->exprs[idx];
	struct decision d;
	int64_t *slots, t = latest;
	int k = 0, i, fired = 0, max = job->catchup_max;
	unsigned notes;

	slots = xcalloc((size_t)max, sizeof *slots);
	while (k < max && t >= first) {
		slots[k++] = t;
		if (ce->kind == CRON_EVERY)
			t -= ce->every > 0 ? ce->every : (latest - first + 1);
		else if (cronexpr_prev(ce, sj->tz, t, &t, &notes) == -1)
			break;
	}
	if (missed > k) {
		decision_init(&d, job, first, DECISION_OUTSIDE_CATCHUP, now,
		    "%lld missed slots beyond catchup_max %d not run",
		    (long long)(missed - k), max);
		store_fire(s->ad->store, NULL, &d, -1, 0, 0);
		notify_missed(s->ad, job, &d);
	}
	for (i = k - 1; i >= 0; i--) {
		if (sched_fire(s, sj, job, idx, slots[i], missed, 0, now) == 1)
			fired++;
	}
	free(slots);
	return fired;
}

/*
 * Handles schedule IDX of SJ, due at or before NOW: an on-time slot fires;
 * missed slots (downtime, a forward clock step) follow the job's catch-up
 * policy, except that fixed-time slots skipped by a forward step of under
 * three hours run once right after it (the Debian cron rule, BUG-13).
 */
static int
sched_due(struct scheduler *s, struct sjob *sj, int idx, int64_t now)
{
	struct sched_state *ss = &sj->ss[idx];
	const struct cronexpr *ce = &sj->exprs[idx];
	struct job *job;
	struct decision d;
	enum job_catchup policy;
	int64_t first = ss->next, latest, missed;
	char since[32];
	unsigned notes;
	int fired = 0;

	latest = sched_latest(sj, idx, first, now);
	ss->last_slot = latest;
	ss->next = sched_next_after(sj, idx, latest, &notes);
	if ((job = store_job_load(s->ad->store, sj->id)) == NULL) {
		/* Advanced all the same, or the slot would come due forever. */
		log_warn("scheduler: cannot load job %lld, slot not fired",
		    (long long)sj->id);
		ss->notes = notes;
		return 0;
	}
	policy = job->catchup;
	if (latest == first && now - first <= SCHED_LATE_GRACE) {
		fired = sched_fire(s, sj, job, idx, first, 0, 1, now);
		ss->notes = notes;
		job_free(job);
		return fired > 0 ? fired : 0;
	}
	missed = sched_count(sj, idx, first, latest);
	if (s->step > 0 && s->step < SCHED_STEP_RULE &&
	    ce->kind == CRON_CALENDAR && !ce->interval)
		policy = JOB_CATCHUP_ONCE;
	ss->notes = 0;
	switch (policy) {
	case JOB_CATCHUP_SKIP:
		util_format_utc(since, sizeof since, first);
		decision_init(&d, job, latest, DECISION_OUTSIDE_CATCHUP, now,
		    "%lld missed slot%s since %s not run (catchup skip)",
		    (long long)missed, missed == 1 ? "" : "s", since);
		store_fire(
		    s->ad->store, NULL, &d, idx, ss->last_slot, ss->next);
		log_notice("scheduler: missed slots skipped job=%s missed=%lld",
		    job->name, (long long)missed);
		notify_missed(s->ad, job, &d);
		break;
	case JOB_CATCHUP_ONCE:
		fired = sched_fire(s, sj, job, idx, latest, missed, 1, now);
		break;
	case JOB_CATCHUP_ALL:
		fired = sched_catchup_all(
		    s, sj, job, idx, first, latest, missed, now);
		break;
	}
	ss->notes = notes;
	job_free(job);
	return fired > 0 ? fired : 0;
}

int
scheduler_tick(struct scheduler *s, int64_t now)
{
	struct heap_entry *e, ent;
	struct sjob *sj;
	int n = 0, seen = 0;

	if ((e = heap_top(s)) != NULL && e->due <= now)
		batch_begin(s);
	while ((e = heap_top(s)) != NULL && e->due <= now) {
		if (seen++ == SCHED_TICK_MAX) {
			/* The rest in the next tick; a step still applies. */
			batch_end(s);
			return n;
		}
		ent = *e;
		heap_pop(s);
		sj = sjob_find(s, ent.job_id, NULL);
		n += sched_due(s, sj, ent.idx, now);
		if (sj->ss[ent.idx].next != 0)
			heap_push(
			    s, sj->ss[ent.idx].next, sj->id, ent.idx, sj->gen);
	}
	batch_end(s);
	s->step = 0;
	return n;
}

int
scheduler_boot(struct scheduler *s, int64_t now)
{
	struct decision d;
	struct run run;
	struct sjob *sj;
	struct job *job;
	char key[64], *seen;
	size_t i, k;
	int n = 0, same;

	for (i = 0; i < s->njobs; i++) {
		sj = s->jobs[i];
		for (k = 0; k < sj->nschedules; k++) {
			if (sj->exprs[k].kind != CRON_REBOOT)
				continue;
			reboot_key(key, sizeof key, sj->id, k);
			same = 0;
			if (store_setting_get(s->ad->store, key, &seen) == 0) {
				same = strcmp(seen, s->ad->boot_id) == 0;
				free(seen);
			}
			if (same)
				continue;
			if ((job = store_job_load(s->ad->store, sj->id)) ==
			    NULL) {
				log_warn("scheduler: cannot load job %lld, "
				         "@reboot not fired",
				    (long long)sj->id);
				continue;
			}
			store_setting_set(s->ad->store, key, s->ad->boot_id);
			if (job->paused) {
				decision_init(&d, job, now, DECISION_PAUSED,
				    now, "@reboot: job is paused");
				store_fire(s->ad->store, NULL, &d, -1, 0, 0);
				job_free(job);
				continue;
			}
			scheduler_run_init(s->ad, &run, job, TRIGGER_SCHEDULE,
			    (int)k, now, now);
			decision_init(&d, job, now, DECISION_FIRED, now,
			    "@reboot: first start in this boot");
			if (store_fire(s->ad->store, &run, &d, -1, 0, 0) == 0) {
				run_queued(s, &run);
				n++;
			}
			job_free(job);
		}
	}
	s->booted = 1;
	return n;
}
