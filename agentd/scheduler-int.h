/* SPDX-License-Identifier: ISC */
/*
 * Private to scheduler*.c: the scheduler's state and its indexes
 * (scheduler-heap.c). Nothing else includes this.
 */
#ifndef SCHEDULER_INT_H
#define SCHEDULER_INT_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "cronexpr.h"

struct sched_state {
	int64_t last_slot; /* the latest slot considered; 0 none */
	int64_t next;      /* the next fire; 0 none */
	unsigned notes;
};

/*
 * What scheduling needs of a job, and no more: with 100,000 jobs a whole
 * struct job each was most of the daemon's memory. The full job is loaded
 * (through the store's cache) only when one of its slots comes due.
 */
struct sjob {
	int64_t id;
	int64_t created_at; /* anchors @every series before the first fire */
	const struct tz *tz;
	struct cronexpr *exprs; /* parsed, DST policy applied */
	struct sched_state *ss; /* one per schedule */
	uint32_t nschedules;
	uint32_t gen;
	uid_t owner;
	int paused;
};

struct heap_entry {
	int64_t due;
	int64_t job_id;
	int idx;
	uint32_t gen;
};

struct scheduler {
	struct agentd *ad;
	int booted; /* scheduler_boot ran: this boot's @reboot slots are past */
	struct sjob **jobs;
	size_t njobs, jobscap;
	/*
	 * Job id to position in jobs (plus one; 0 = empty): open addressing
	 * with linear probing, at most half full. Every heap pop and every
	 * API read of next_run looks a job up; a scan was O(jobs) each.
	 */
	size_t *index;
	size_t indexcap; /* a power of two */
	struct heap_entry *heap;
	size_t nheap, heapcap;
	uint32_t gen;
	int64_t step; /* a forward clock step (seconds) not yet acted on */
	/*
	 * A tick's fires share one transaction (a hundred jobs due in the
	 * same second are one commit, not a hundred); the runs wait here
	 * and reach the supervisor only once the commit has made them
	 * durable.
	 */
	int batch;
	struct run *fired;
	size_t nfired, firedcap;
};

/* scheduler-heap.c */
void heap_push(
    struct scheduler *s, int64_t due, int64_t job_id, int idx, uint32_t gen);
void heap_pop(struct scheduler *s);
/* Drops stale entries; the top is then valid, or NULL when empty. */
struct heap_entry *heap_top(struct scheduler *s);
/* Job ID, with *POS its place in s->jobs when POS is not NULL; or NULL. */
struct sjob *sjob_find(struct scheduler *s, int64_t id, size_t *pos);
void sjob_add(struct scheduler *s, struct sjob *sj);
void sjob_remove(struct scheduler *s, size_t pos);
/* Builds the id table anew for s->jobs (after a reload of them all). */
void index_rebuild(struct scheduler *s);

#endif
