/* SPDX-License-Identifier: ISC */
/*
 * PUT /jobs: many job changes as one store transaction, for `cronq edit`.
 * Everything is parsed and checked before the store is touched, so a bad
 * job anywhere leaves every job as it was.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agentd.h"
#include "log.h"
#include "xmalloc.h"

struct change {
	struct job *job; /* the new spec; NULL for a delete */
	struct job *old; /* the stored job, or NULL for a create */
	int detached;    /* OLD came from a file and is now the API's */
	char *file;      /* then the file it came from */
};

static void
changes_free(struct change *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		job_free(c[i].job);
		job_free(c[i].old);
		free(c[i].file);
	}
	free(c);
}

/*
 * 1 (with *ERR) if job NAME, now OLD (NULL: none), is not at the version
 * VERS gives it: the client read it before someone else changed it, and
 * saving would undo that change unseen. A name VERS lacks is not checked.
 */
static int
stale(const struct job *old, const char *name, const cJSON *vers,
    struct agentd_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(vers, name);
	int64_t now = old != NULL ? old->version : 0;

	if (v == NULL || (int64_t)v->valuedouble == now)
		return 0;
	/* cronq edit lists no file jobs: the file's own check tells more. */
	if ((int64_t)v->valuedouble == 0 && old->origin[0] == '/')
		return 0;
	if (now == 0)
		agentd_error_set(err, AGENTD_CONFLICT, "versions",
		    "job \"%s\" was removed since it was read; read the jobs "
		    "again",
		    name);
	else if ((int64_t)v->valuedouble == 0)
		agentd_error_set(err, AGENTD_CONFLICT, "versions",
		    "job \"%s\" was made (version %lld) since the jobs were "
		    "read; read them again",
		    name, (long long)now);
	else
		agentd_error_set(err, AGENTD_CONFLICT, "versions",
		    "job \"%s\" changed since it was read (version %lld, now "
		    "%lld); read the jobs again",
		    name, (long long)v->valuedouble, (long long)now);
	return 1;
}

/* Parses and checks BODY into *CH; -1 with *err. */
static int
plan(struct agentd *ad, const struct principal *p, const cJSON *body,
    struct change **ch, size_t *n, struct agentd_error *err)
{
	const cJSON *jobs, *del, *vers, *e;
	const char *field = NULL;
	char *cause = NULL;
	struct change *c;
	size_t i = 0, k;

	jobs = cJSON_GetObjectItemCaseSensitive(body, "jobs");
	del = cJSON_GetObjectItemCaseSensitive(body, "delete");
	vers = cJSON_GetObjectItemCaseSensitive(body, "versions");
	cJSON_ArrayForEach(e, body)
	{
		if (strcmp(e->string, "jobs") != 0 &&
		    strcmp(e->string, "delete") != 0 &&
		    strcmp(e->string, "versions") != 0) {
			agentd_error_set(err, AGENTD_INVALID, e->string,
			    "%s: unknown field (expected jobs, delete and "
			    "versions)",
			    e->string);
			return -1;
		}
	}
	if ((jobs != NULL && !cJSON_IsArray(jobs)) ||
	    (del != NULL && !cJSON_IsArray(del))) {
		agentd_error_set(err, AGENTD_INVALID, NULL,
		    "jobs and delete must be arrays");
		return -1;
	}
	if (vers != NULL && !cJSON_IsObject(vers)) {
		agentd_error_set(err, AGENTD_INVALID, "versions",
		    "versions: expected an object of job name: version");
		return -1;
	}
	cJSON_ArrayForEach(e, vers)
	{
		if (!cJSON_IsNumber(e) || e->valuedouble < 0) {
			agentd_error_set(err, AGENTD_INVALID, "versions",
			    "versions: \"%s\": expected a version number (0: "
			    "no such job)",
			    e->string);
			return -1;
		}
	}
	c = xcalloc((size_t)cJSON_GetArraySize(jobs) +
	        (size_t)cJSON_GetArraySize(del) + 1,
	    sizeof *c);
	*ch = c;
	cJSON_ArrayForEach(e, jobs)
	{
		if ((c[i].job = job_from_json(e, NULL, &field, &cause)) ==
		    NULL) {
			agentd_error_set(err, AGENTD_INVALID, field,
			    "jobs[%zu]: %s", i, cause);
			free(cause);
			*n = i + 1;
			return -1;
		}
		c[i].job->owner = p->uid;
		c[i].old = store_job_find(ad->store, p->uid, c[i].job->name);
		*n = ++i;
	}
	cJSON_ArrayForEach(e, del)
	{
		if (!cJSON_IsString(e)) {
			agentd_error_set(err, AGENTD_INVALID, "delete",
			    "delete: expected job names");
			return -1;
		}
		c[i].old = store_job_find(ad->store, p->uid, e->valuestring);
		*n = ++i;
		if (c[i - 1].old == NULL) {
			agentd_error_set(err, AGENTD_NOT_FOUND, "delete",
			    "delete: no job named \"%s\"", e->valuestring);
			return -1;
		}
	}
	for (i = 0; i < *n; i++) {
		const char *name =
		    c[i].job != NULL ? c[i].job->name : c[i].old->name;

		for (k = 0; k < i; k++) {
			const char *other =
			    c[k].job != NULL ? c[k].job->name : c[k].old->name;

			if (strcmp(name, other) == 0) {
				agentd_error_set(err, AGENTD_INVALID, "name",
				    "job \"%s\" appears twice", name);
				return -1;
			}
		}
		if (stale(c[i].old, name, vers, err))
			return -1;
		c[i].detached = c[i].old != NULL && c[i].old->origin[0] == '/';
		if (c[i].detached)
			c[i].file = xstrdup(c[i].old->origin);
		if (ops_job_check(ad, p, c[i].old, c[i].job, err) == -1)
			return -1;
	}
	return 0;
}

int
ops_jobs_apply(struct agentd *ad, const struct principal *p, const cJSON *body,
    cJSON **out, struct agentd_error *err)
{
	struct change *c = NULL;
	cJSON *changed, *deleted;
	size_t n = 0, i;
	char by[32];
	int64_t now = agentd_now();
	int unchanged = 0, rc;

	if (plan(ad, p, body, &c, &n, err) == -1) {
		changes_free(c, n);
		return -1;
	}
	snprintf(by, sizeof by, "uid:%u", (unsigned)p->uid);
	if (store_begin(ad->store) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		struct job *j = c[i].job, *old = c[i].old;

		if (j == NULL) {
			rc = store_job_delete(ad->store, old, by, now);
			if (rc == 0 && c[i].file != NULL)
				rc = store_detached_add(ad->store, old->owner,
				    old->name, c[i].file, now);
		} else if (old == NULL)
			rc = store_job_insert(ad->store, j, "create", by, now);
		else if (job_same_spec(old, j) && !c[i].detached) {
			unchanged++;
			job_free(c[i].job);
			c[i].job = NULL;
			job_free(c[i].old);
			c[i].old = NULL;
			continue;
		} else {
			j->id = old->id;
			j->version = old->version;
			j->created_at = old->created_at;
			free(j->origin);
			j->origin = xstrdup(old->origin);
			rc = store_job_update(ad->store, j, "replace", by, now);
		}
		if (rc == -1) {
			store_rollback(ad->store);
			goto fail;
		}
	}
	if (store_commit(ad->store) == -1)
		goto fail;
	*out = cJSON_CreateObject();
	changed = cJSON_AddArrayToObject(*out, "changed");
	deleted = cJSON_AddArrayToObject(*out, "deleted");
	for (i = 0; i < n; i++) {
		if (c[i].job == NULL && c[i].old == NULL)
			continue;
		if (ad->sched != NULL)
			scheduler_job_changed(ad->sched,
			    c[i].job != NULL ? c[i].job->id : c[i].old->id,
			    c[i].job, now);
		if (c[i].job != NULL) {
			cJSON *o = ops_job_to_json(ad, c[i].job);

			agentd_emit(ad, "job", c[i].job->owner, o);
			cJSON_AddItemToArray(changed, o);
		} else
			cJSON_AddItemToArray(
			    deleted, cJSON_CreateString(c[i].old->name));
		log_notice("ops: job %s job=%s owner=%u (bulk)",
		    c[i].job != NULL ? "saved" : "deleted",
		    c[i].job != NULL ? c[i].job->name : c[i].old->name,
		    (unsigned)p->uid);
	}
	cJSON_AddNumberToObject(*out, "unchanged", unchanged);
	changes_free(c, n);
	return 0;
fail:
	agentd_error_set(err,
	    errno == EEXIST ? AGENTD_CONFLICT : AGENTD_INTERNAL, NULL,
	    "cannot save the jobs; nothing was changed");
	changes_free(c, n);
	return -1;
}
