/* SPDX-License-Identifier: ISC */
/*
 * The scheduler's two indexes: a min-heap of next fires, whose stale
 * entries (a job changed or removed since) are dropped lazily at the top,
 * and an open-addressing table from job id to its place in the job list.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentd.h"
#include "xmalloc.h"
#include "scheduler-int.h"

static void
heap_swap(struct scheduler *s, size_t a, size_t b)
{
	struct heap_entry t = s->heap[a];

	s->heap[a] = s->heap[b];
	s->heap[b] = t;
}

void
heap_push(
    struct scheduler *s, int64_t due, int64_t job_id, int idx, uint32_t gen)
{
	size_t i;

	if (s->nheap == s->heapcap) {
		s->heapcap = s->heapcap == 0 ? 64 : s->heapcap * 2;
		s->heap = xreallocarray(s->heap, s->heapcap, sizeof *s->heap);
	}
	i = s->nheap++;
	s->heap[i].due = due;
	s->heap[i].job_id = job_id;
	s->heap[i].idx = idx;
	s->heap[i].gen = gen;
	while (i > 0 && s->heap[(i - 1) / 2].due > s->heap[i].due) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

void
heap_pop(struct scheduler *s)
{
	size_t i = 0, c;

	s->heap[0] = s->heap[--s->nheap];
	for (;;) {
		c = 2 * i + 1;
		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && s->heap[c + 1].due < s->heap[c].due)
			c++;
		if (s->heap[i].due <= s->heap[c].due)
			break;
		heap_swap(s, i, c);
		i = c;
	}
}

static size_t
index_home(const struct scheduler *s, int64_t id)
{
	/* Fibonacci hashing: ids are sequential, spread them. */
	return (size_t)(((uint64_t)id * 0x9e3779b97f4a7c15ULL) >> 32) &
	    (s->indexcap - 1);
}

/* The slot holding ID, or the empty slot where it would go. */
static size_t
index_slot(const struct scheduler *s, int64_t id)
{
	size_t i = index_home(s, id);

	while (s->index[i] != 0 && s->jobs[s->index[i] - 1]->id != id)
		i = (i + 1) & (s->indexcap - 1);
	return i;
}

void
index_rebuild(struct scheduler *s)
{
	size_t i;

	s->indexcap = 64;
	while (s->indexcap < 2 * (s->njobs + 1))
		s->indexcap *= 2;
	free(s->index);
	s->index = xcalloc(s->indexcap, sizeof *s->index);
	for (i = 0; i < s->njobs; i++)
		s->index[index_slot(s, s->jobs[i]->id)] = i + 1;
}

/* Empties SLOT, moving later entries of its probe run back into it. */
static void
index_delete(struct scheduler *s, size_t slot)
{
	size_t mask = s->indexcap - 1, i = slot, j = slot, k;

	for (;;) {
		j = (j + 1) & mask;
		if (s->index[j] == 0)
			break;
		k = index_home(s, s->jobs[s->index[j] - 1]->id);
		/* An entry whose home lies cyclically in (i, j] stays. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		s->index[i] = s->index[j];
		i = j;
	}
	s->index[i] = 0;
}

struct sjob *
sjob_find(struct scheduler *s, int64_t id, size_t *pos)
{
	size_t slot;

	if (s->index == NULL)
		return NULL;
	slot = index_slot(s, id);
	if (s->index[slot] == 0)
		return NULL;
	if (pos != NULL)
		*pos = s->index[slot] - 1;
	return s->jobs[s->index[slot] - 1];
}

/* Appends SJ to the jobs and the index. */
void
sjob_add(struct scheduler *s, struct sjob *sj)
{
	if (s->njobs == s->jobscap) {
		s->jobscap = s->jobscap < 64 ? 64 : s->jobscap * 2;
		s->jobs = xreallocarray(s->jobs, s->jobscap, sizeof *s->jobs);
	}
	s->jobs[s->njobs++] = sj;
	if (2 * (s->njobs + 1) > s->indexcap)
		index_rebuild(s);
	else
		s->index[index_slot(s, sj->id)] = s->njobs;
}

/* Takes the job at POS out of the jobs and the index (not freed). */
void
sjob_remove(struct scheduler *s, size_t pos)
{
	struct sjob *last;

	index_delete(s, index_slot(s, s->jobs[pos]->id));
	last = s->jobs[--s->njobs];
	if (pos != s->njobs) {
		s->jobs[pos] = last;
		s->index[index_slot(s, last->id)] = pos + 1;
	}
}

/* Drops stale heap entries from the top; the top is then valid or none. */
struct heap_entry *
heap_top(struct scheduler *s)
{
	struct sjob *sj;

	while (s->nheap > 0) {
		sj = sjob_find(s, s->heap[0].job_id, NULL);
		if (sj != NULL && sj->gen == s->heap[0].gen &&
		    sj->ss[s->heap[0].idx].next == s->heap[0].due)
			return &s->heap[0];
		heap_pop(s);
	}
	return NULL;
}
