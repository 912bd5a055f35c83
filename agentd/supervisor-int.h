/* SPDX-License-Identifier: ISC */
/*
 * Private to supervisor.c (the queue, dispatch, start and stop of runs)
 * and supervisor-end.c (how runs end: outcomes, retries, recovery): the
 * supervisor's state and the few functions both halves call.
 */
#ifndef SUPERVISOR_INT_H
#define SUPERVISOR_INT_H

#include <stdint.h>

#include "agentd.h"
#include "child.h"
#include "sandbox.h"

enum stop_why { STOP_NONE, STOP_CANCEL, STOP_TIMEOUT };

struct srun {
	struct run run;
	struct job *job; /* while running */
	struct child *child;
	struct sandbox_run sbx; /* its isolation, kept until it ends */
	struct httpjob *http;   /* kind http: the request in flight */
	enum stop_why stop;
	char stop_msg[128];
	struct loop_timer *timer; /* timeout, then the SIGKILL grace */
	int64_t started_ms;
	char group[CQ_NAME_MAX + 1]; /* "" until it waits for its group */
	int held;     /* remote: waits for its job's run out on a worker */
	int waits;    /* its message says it waits for another run of its job */
	int starting; /* its child has not executed yet */
	struct supervisor *sup;
	struct srun *next;
};

struct supervisor {
	struct agentd *ad;
	struct srun *pending; /* queued and retrying, by id */
	struct srun *running;
	int nrunning;
	int npending;
	int remote_full; /* remote: max_running runs are out on workers */
};

/* supervisor.c */
/* Frees SR, its child, sandbox, request and job, and cancels its timer. */
void srun_free(struct srun *sr);
/* Saves RUN and tells the listeners. */
void run_changed(struct supervisor *sup, const struct run *run);
/* Adds a copy of RUN to the pending list, kept in id order. */
void pending_add(struct supervisor *sup, const struct run *run);
/* Cancels pending SR (never started, off the list) with WHY; frees it. */
void pending_cancel(
    struct supervisor *sup, struct srun *sr, const char *why, int64_t now);
/* SR waits for its group: said once, in a decision and its message. */
void group_hold(struct supervisor *sup, struct srun *sr, int64_t now);

/* supervisor-remote.c */
/* Hands due pending runs to the remote backend; returns how many. */
int dispatch_remote(struct supervisor *sup, int64_t now);

/* supervisor-end.c */
/* Sets SR's final state from RES; 1 if a failure should be retried. */
int run_outcome(struct srun *sr, const struct child_result *res);
/* Sets SR's CPU time and peak memory from its cgroup or RES. */
void run_usage(struct srun *sr, const struct child_result *res);
/* SR (off every list) ended at NOW: record it, maybe retry, free it. */
void srun_end(struct supervisor *sup, struct srun *sr, int retry, int64_t now);
/* RUN of JOB ended: record it (or report it) and retry when RETRY. */
void run_ended(struct supervisor *sup, const struct job *job,
    const struct run *run, int retry, int64_t now);

#endif
