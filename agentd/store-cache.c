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
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agentd.h"
#include "store-sql.h"
#include "xmalloc.h"

#define CACHE_SLOTS 64

struct cache_slot {
	struct job *job; /* NULL: free */
	char *text;      /* job_to_json(job, 0) without its final '}' */
	size_t textlen;
	uint64_t used; /* the tick of the last hit, for eviction */
};

struct store_cache {
	struct cache_slot slots[CACHE_SLOTS];
	uint64_t tick;
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

	if (st->cache == NULL)
		return;
	for (i = 0; i < CACHE_SLOTS; i++)
		slot_clear(&st->cache->slots[i]);
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
