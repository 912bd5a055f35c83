/* SPDX-License-Identifier: ISC */
/*
 * A small cache of parsed jobs in front of the jobs table. Loading a job
 * means parsing its stored JSON spec and every schedule expression, which
 * was most of the cost of each API read and of each run started; the
 * same few jobs are asked for again and again (a job triggered many
 * times, a dashboard polling one job). The cache holds at most
 * CACHE_SLOTS jobs, so memory stays flat with 100,000 jobs, and it is
 * dropped for a job whenever the store writes it and wholly on a rollback,
 * so it never shows what the database does not hold.
 *
 * Beside it, the JSON text of recently listed runs that are over: a
 * finished run does not change, and printing twenty of them through cJSON
 * was most of the cost of GET /runs. Slots are direct-mapped by run id
 * (ids grow by one, so the latest RUNTEXT_SLOTS runs never collide), each
 * dropped when the store writes or deletes that run, all on a rollback.
 *
 * And the last few whole listings (`cronq top` and dashboards ask for the
 * same page every second), each valid while no run has been written since:
 * every run write bumps a generation that a listing must match.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agentd.h"
#include "store-sql.h"
#include "xmalloc.h"

#define CACHE_SLOTS 64
#define RUNTEXT_SLOTS 512
#define LIST_SLOTS 8

struct cache_slot {
	struct job *job; /* NULL: free */
	char *text;      /* job_to_json(job, 0) without its final '}' */
	size_t textlen;
	uint64_t used;     /* the tick of the last hit, for eviction */
	int last_state;    /* last_run below: 0 unknown, 1 none, 2 known */
	uint64_t last_gen; /* ... as of this run generation */
	struct run last_run;
};

struct runtext_slot {
	int64_t id; /* 0: free */
	char *text; /* ops_run_to_json(run), printed */
	size_t len;
};

struct list_slot {
	char *text; /* NULL: free */
	size_t len;
	struct run_filter f; /* f.job points at job */
	char job[CQ_NAME_MAX + 1];
	uint64_t gen;
	uint64_t used;
};

struct store_cache {
	struct cache_slot slots[CACHE_SLOTS];
	uint64_t tick;
	struct runtext_slot runs[RUNTEXT_SLOTS];
	struct list_slot lists[LIST_SLOTS];
	uint64_t runs_gen; /* bumped by every write of a run */
};

static void
slot_clear(struct cache_slot *sl)
{
	job_free(sl->job);
	free(sl->text);
	memset(sl, 0, sizeof *sl);
}

static struct store_cache *
cache_get(struct store *st)
{
	if (st->cache == NULL)
		st->cache = xcalloc(1, sizeof *st->cache);
	return st->cache;
}

void
store_cache_free(struct store *st)
{
	store_cache_clear(st);
	free(st->cache);
	st->cache = NULL;
}

void
store_cache_clear(struct store *st)
{
	size_t i;

	/* Flat: store-auth.c keeps no pointers in it. */
	free(st->tokens);
	st->tokens = NULL;
	if (st->cache == NULL)
		return;
	for (i = 0; i < CACHE_SLOTS; i++)
		slot_clear(&st->cache->slots[i]);
	for (i = 0; i < LIST_SLOTS; i++) {
		free(st->cache->lists[i].text);
		memset(&st->cache->lists[i], 0, sizeof st->cache->lists[i]);
	}
	for (i = 0; i < RUNTEXT_SLOTS; i++) {
		free(st->cache->runs[i].text);
		memset(&st->cache->runs[i], 0, sizeof st->cache->runs[i]);
	}
	st->cache->runs_gen++;
}

void
store_cache_forget(struct store *st, int64_t id)
{
	size_t i;

	if (st->cache == NULL)
		return;
	for (i = 0; i < CACHE_SLOTS; i++) {
		if (st->cache->slots[i].job != NULL &&
		    st->cache->slots[i].job->id == id)
			slot_clear(&st->cache->slots[i]);
	}
}

static struct cache_slot *
slot_hit(struct store_cache *c, struct cache_slot *sl)
{
	sl->used = ++c->tick;
	return sl;
}

static struct cache_slot *
cache_find_id(struct store *st, int64_t id)
{
	struct store_cache *c = st->cache;
	size_t i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < CACHE_SLOTS; i++) {
		if (c->slots[i].job != NULL && c->slots[i].job->id == id)
			return slot_hit(c, &c->slots[i]);
	}
	return NULL;
}

static struct cache_slot *
cache_find_name(struct store *st, uid_t owner, const char *name)
{
	struct store_cache *c = st->cache;
	size_t i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < CACHE_SLOTS; i++) {
		if (c->slots[i].job != NULL &&
		    c->slots[i].job->owner == owner &&
		    strcmp(c->slots[i].job->name, name) == 0)
			return slot_hit(c, &c->slots[i]);
	}
	return NULL;
}

/* Keeps JOB (the cache's now), evicting the least recently used. */
static struct cache_slot *
cache_put(struct store *st, struct job *job)
{
	struct store_cache *c = cache_get(st);
	struct cache_slot *sl = &c->slots[0];
	size_t i;

	store_cache_forget(st, job->id);
	for (i = 0; i < CACHE_SLOTS; i++) {
		if (c->slots[i].job == NULL) {
			sl = &c->slots[i];
			break;
		}
		if (c->slots[i].used < sl->used)
			sl = &c->slots[i];
	}
	slot_clear(sl);
	sl->job = job;
	return slot_hit(c, sl);
}

struct job *
store_cache_by_id(struct store *st, int64_t id)
{
	struct cache_slot *sl;

	sl = cache_find_id(st, id);
	return sl != NULL ? job_dup(sl->job) : NULL;
}

struct job *
store_cache_by_name(struct store *st, uid_t owner, const char *name)
{
	struct cache_slot *sl;

	sl = cache_find_name(st, owner, name);
	return sl != NULL ? job_dup(sl->job) : NULL;
}

void
store_cache_add(struct store *st, const struct job *job)
{
	if (job != NULL)
		cache_put(st, job_dup(job));
}

int
store_job_text(struct store *st, uid_t owner, const char *name, int64_t *id,
    const char **text, size_t *len)
{
	struct cache_slot *sl;
	struct job *job;
	cJSON *o;

	if ((sl = cache_find_name(st, owner, name)) == NULL) {
		/* store_job_find fills the cache. */
		if ((job = store_job_find(st, owner, name)) == NULL)
			return -1;
		job_free(job);
		if ((sl = cache_find_name(st, owner, name)) == NULL)
			return -1;
	}
	if (sl->text == NULL) {
		o = job_to_json(sl->job, 0);
		sl->text = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		if (sl->text == NULL)
			return -1;
		sl->textlen = strlen(sl->text);
		/* An object ends in '}': drop it so fields can follow. */
		if (sl->textlen < 2 || sl->text[sl->textlen - 1] != '}') {
			free(sl->text);
			sl->text = NULL;
			return -1;
		}
		sl->text[--sl->textlen] = '\0';
	}
	*id = sl->job->id;
	*text = sl->text;
	*len = sl->textlen;
	return 0;
}

static struct runtext_slot *
runtext_slot(struct store_cache *c, int64_t id)
{
	return &c->runs[(uint64_t)id % RUNTEXT_SLOTS];
}

const char *
store_runtext_get(struct store *st, int64_t id, size_t *len)
{
	struct runtext_slot *sl;

	if (st->cache == NULL)
		return NULL;
	sl = runtext_slot(st->cache, id);
	if (sl->id != id)
		return NULL;
	*len = sl->len;
	return sl->text;
}

void
store_runtext_put(struct store *st, int64_t id, char *text, size_t len)
{
	struct runtext_slot *sl;

	sl = runtext_slot(cache_get(st), id);
	free(sl->text);
	sl->id = id;
	sl->text = text;
	sl->len = len;
}

void
store_runtext_forget(struct store *st, int64_t id)
{
	struct runtext_slot *sl;

	if (st->cache == NULL)
		return;
	st->cache->runs_gen++;
	sl = runtext_slot(st->cache, id);
	if (sl->id != id)
		return;
	free(sl->text);
	memset(sl, 0, sizeof *sl);
}

static int
filter_equal(const struct run_filter *a, const struct run_filter *b)
{
	if ((a->job == NULL) != (b->job == NULL) ||
	    (a->job != NULL && strcmp(a->job, b->job) != 0))
		return 0;
	return a->job_id == b->job_id && a->state == b->state &&
	    a->limit == b->limit && a->before == b->before &&
	    a->owner == b->owner && a->any_owner == b->any_owner;
}

const char *
store_runlist_get(struct store *st, const struct run_filter *f, size_t *len)
{
	struct store_cache *c = st->cache;
	struct list_slot *sl;
	size_t i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < LIST_SLOTS; i++) {
		sl = &c->lists[i];
		if (sl->text != NULL && sl->gen == c->runs_gen &&
		    filter_equal(&sl->f, f)) {
			sl->used = ++c->tick;
			*len = sl->len;
			return sl->text;
		}
	}
	return NULL;
}

void
store_runlist_put(
    struct store *st, const struct run_filter *f, const char *text, size_t len)
{
	struct store_cache *c = cache_get(st);
	struct list_slot *sl = &c->lists[0];
	size_t i;

	if (f->job != NULL && strlen(f->job) > CQ_NAME_MAX)
		return;
	for (i = 0; i < LIST_SLOTS; i++) {
		if (c->lists[i].text == NULL ||
		    c->lists[i].gen != c->runs_gen) {
			sl = &c->lists[i];
			break;
		}
		if (c->lists[i].used < sl->used)
			sl = &c->lists[i];
	}
	free(sl->text);
	sl->text = xmalloc(len);
	memcpy(sl->text, text, len);
	sl->len = len;
	sl->f = *f;
	if (f->job != NULL) {
		strlcpy(sl->job, f->job, sizeof sl->job);
		sl->f.job = sl->job;
	}
	sl->gen = c->runs_gen;
	sl->used = ++c->tick;
}

int
store_cache_last_run(struct store *st, int64_t job_id, struct run *run)
{
	struct cache_slot *sl;

	if ((sl = cache_find_id(st, job_id)) == NULL ||
	    sl->last_gen != st->cache->runs_gen || sl->last_state == 0)
		return 0;
	if (sl->last_state == 1)
		return -1;
	*run = sl->last_run;
	return 1;
}

void
store_cache_last_run_put(
    struct store *st, int64_t job_id, const struct run *run)
{
	struct cache_slot *sl;

	if ((sl = cache_find_id(st, job_id)) == NULL)
		return;
	sl->last_gen = st->cache->runs_gen;
	sl->last_state = run != NULL ? 2 : 1;
	if (run != NULL)
		sl->last_run = *run;
}
