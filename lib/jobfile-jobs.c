/* SPDX-License-Identifier: ISC */
/*
 * From a checked job file to jobs: `defaults:` checked once and laid
 * under each job, each job read by job_from_json (the one set of field
 * rules the API uses too) with its errors placed at their fields, and
 * the checks that stand apart (a local user, a name given twice).
 */
#include "config.h"

#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <yaml.h>

#include "jobfile-int.h"
#include "jobfile.h"
#include "tz.h"
#include "xmalloc.h"

/*
 * Looks up field path FIELD ("limits.memory") in JOB for its position;
 * AT, the job's own, when FIELD is absent. Not JOB's: a job merged with
 * `defaults:` has the position of the defaults.
 */
static const struct jf_pos *
field_pos(const struct jf *jf, const cJSON *job, const char *field,
    const struct jf_pos *at)
{
	const struct jf_pos *best = at != NULL ? at : jf_pos(jf, job);
	const cJSON *n = job;
	char buf[96], *part, *save = NULL;

	if (field == NULL)
		return best;
	strlcpy(buf, field, sizeof buf);
	for (part = strtok_r(buf, ".", &save); part != NULL;
	     part = strtok_r(NULL, ".", &save)) {
		const cJSON *c;
		char *bracket = strchr(part, '[');
		long index = -1;

		/* "notify[0]": the key, then the element. */
		if (bracket != NULL) {
			*bracket = '\0';
			index = strtol(bracket + 1, NULL, 10);
		}
		c = cJSON_GetObjectItemCaseSensitive(n, part);
		if (c == NULL && strcmp(part, "schedules") == 0)
			c = cJSON_GetObjectItemCaseSensitive(n, "schedule");
		if (c != NULL && index >= 0 && index <= INT_MAX) {
			best = jf_pos_or(jf, c, best);
			c = cJSON_IsArray(c) ? cJSON_GetArrayItem(c, (int)index)
			                     : NULL;
		}
		if (c == NULL)
			break;
		n = c;
		best = jf_pos_or(jf, n, best);
	}
	return best;
}

/* What a job's field errors need to be placed in the file. */
struct placing {
	struct jf *jf;
	const cJSON *merged;
	const struct jf_pos *at;
	int name_failed, user_failed; /* so as not to check them again */
};

static int
place_error(void *arg, const char *field, char *cause)
{
	struct placing *pl = arg;

	if (field != NULL && strcmp(field, "name") == 0)
		pl->name_failed = 1;
	if (field != NULL && strcmp(field, "user") == 0)
		pl->user_failed = 1;
	jf_error(
	    pl->jf, field_pos(pl->jf, pl->merged, field, pl->at), "%s", cause);
	free(cause);
	return 0;
}

/*
 * What the jobs of one file share: `defaults:` without the keys found at
 * fault (each reported once, as defaults.KEY, not again by every job that
 * would inherit it), and the job names seen so far.
 */
struct shared {
	cJSON *defaults; /* a copy; NULL for none */
	struct jf_badkeys bad;
	struct jf_badkeys names;
};

/* The local account named in a job or `defaults:`, on hosts that run it. */
static void
check_user(struct jf *jf, const cJSON *map, const struct jf_pos *at,
    const char *prefix)
{
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(map, "user");

	if (!(jf->flags & JOBFILE_LOCAL_USERS) || !cJSON_IsString(u) ||
	    getpwnam(u->valuestring) != NULL)
		return;
	jf_error(jf, field_pos(jf, map, "user", at),
	    "%suser: no user named \"%s\" on this host", prefix,
	    u->valuestring);
}

/*
 * Checks DEFAULTS once: the YAML checks, then each value by the job
 * model's own rules, as "defaults.FIELD". SH gets the copy the jobs merge
 * with, without the keys at fault, and those keys.
 */
static void
check_defaults(
    struct jf *jf, cJSON *defaults, const struct jf_pos *at, struct shared *sh)
{
	struct jobfile *out = jf->out;
	const struct tz *tz;
	const cJSON *e;
	const char *field;
	char *cause, *why = NULL;
	struct job *scratch;
	size_t before = out->nerrors, i;

	jf_check_job(jf, "defaults", defaults, at, &sh->bad, NULL);
	/* They are named as written: "defaults.timeout". */
	for (i = 0; i < sh->bad.n; i++) {
		if (strncmp(sh->bad.v[i], "defaults.", 9) == 0)
			memmove(sh->bad.v[i], sh->bad.v[i] + 9,
			    strlen(sh->bad.v[i] + 9) + 1);
	}
	if (!cJSON_IsObject(defaults))
		return;
	if ((e = cJSON_GetObjectItemCaseSensitive(defaults, "name")) != NULL) {
		jf_error(jf, jf_pos_or(jf, e, at),
		    "defaults.name: every job needs its own name");
		jf_badkeys_add(&sh->bad, "name");
	}
	scratch = job_create();
	cJSON_ArrayForEach(e, defaults)
	{
		if (jf_badkeys_listed(&sh->bad, e->string))
			continue;
		cause = NULL;
		if (job_read_field(scratch, e, &field, &cause) == -1) {
			jf_error(jf, field_pos(jf, defaults, field, at),
			    "defaults.%s", cause);
			free(cause);
			jf_badkeys_add(&sh->bad, e->string);
		}
	}
	job_free(scratch);
	e = cJSON_GetObjectItemCaseSensitive(defaults, "timezone");
	if (cJSON_IsString(e) && !jf_badkeys_listed(&sh->bad, "timezone") &&
	    (tz = tz_find(e->valuestring, &why)) == NULL) {
		jf_error(jf, jf_pos_or(jf, e, at), "defaults.timezone: %s",
		    why != NULL ? why : "invalid");
		free(why);
		jf_badkeys_add(&sh->bad, "timezone");
	}
	if (!jf_badkeys_listed(&sh->bad, "user")) {
		i = out->nerrors;
		check_user(jf, defaults, at, "defaults.");
		if (out->nerrors != i)
			jf_badkeys_add(&sh->bad, "user");
	}
	jf_sort_errors(out, before);
	sh->defaults = jf_dup(jf, defaults, NULL);
	for (i = 0; i < sh->bad.n; i++)
		cJSON_DeleteItemFromObjectCaseSensitive(
		    sh->defaults, sh->bad.v[i]);
}

/*
 * The keys to read but take as failed: those of `defaults:` at fault that
 * SPEC inherits, the maps merged key by key that it has, which lack the
 * wrong part, and KEPT, SPEC's own maps that lost members at fault.
 * NULL-ended, in SH's and KEPT's strings.
 */
static const char **
inherited_bad(
    const struct shared *sh, const cJSON *spec, const struct jf_badkeys *kept)
{
	const char **v = xcalloc(sh->bad.n + kept->n + 1, sizeof *v);
	size_t i, n = 0;

	for (i = 0; i < kept->n; i++)
		v[n++] = kept->v[i];

	for (i = 0; i < sh->bad.n; i++) {
		if (cJSON_GetObjectItemCaseSensitive(spec, sh->bad.v[i]) ==
		        NULL ||
		    jf_merged_key(sh->bad.v[i]))
			v[n++] = sh->bad.v[i];
	}
	return v;
}

/*
 * Checks job SPEC, and builds and keeps it when right. Every error of the
 * job is reported: a key the YAML checks found at fault is not read
 * again, so that it gives one error, not two; the checks that stand
 * apart (a local user, a name used twice) are made whatever else failed.
 */
static void
add_job(struct jf *jf, struct shared *sh, cJSON *spec, size_t index)
{
	const struct jf_pos *at = jf_pos(jf, spec);
	const cJSON *name;
	struct jf_pos here;
	struct jobfile *out = jf->out;
	struct jf_badkeys bad = { NULL, 0 }, kept = { NULL, 0 };
	struct placing pl = { jf, NULL, NULL, 0, 0 };
	struct job_each each;
	struct jobfile_pos name_at = { 1, 1 };
	const struct jf_pos *np;
	const char **failed;
	struct job *job;
	cJSON *merged;
	size_t before = out->nerrors;

	/* Merging adds positions and may move jf->pos: keep a copy. */
	if (at != NULL) {
		here = *at;
		at = &here;
	}
	if (!cJSON_IsObject(spec)) {
		jf_error(
		    jf, at, "jobs[%zu]: expected a map of job fields", index);
		return;
	}
	jf_check_job(jf, "", spec, at, &bad, &kept);
	merged = jf_merge_defaults(jf, sh->defaults, spec);
	failed = inherited_bad(sh, spec, &kept);
	pl.merged = merged;
	pl.at = at;
	each.error = place_error;
	each.skip = (const char *const *)bad.v;
	each.failed = failed;
	each.arg = &pl;
	job = job_from_json_each(merged, NULL, &each);
	if (!jf_badkeys_listed(&bad, "user") && !pl.user_failed)
		check_user(jf, merged, at, "");
	name = cJSON_GetObjectItemCaseSensitive(merged, "name");
	if (!jf_badkeys_listed(&bad, "name") && !pl.name_failed &&
	    cJSON_IsString(name)) {
		if (jf_badkeys_listed(&sh->names, name->valuestring))
			jf_error(jf, field_pos(jf, merged, "name", at),
			    "name: job \"%s\" is defined twice in this file",
			    name->valuestring);
		else
			jf_badkeys_add(&sh->names, name->valuestring);
	}
	/* Copied: jf->pos may move, and merged goes. */
	if ((np = field_pos(jf, merged, "name", at)) != NULL) {
		name_at.line = np->line;
		name_at.col = np->col;
	}
	free(failed);
	jf_badkeys_free(&bad);
	jf_badkeys_free(&kept);
	cJSON_Delete(merged);
	jf_sort_errors(out, before);
	if (job == NULL)
		return;
	if (out->nerrors != before) {
		job_free(job);
		return;
	}
	free(job->origin);
	job->origin = xstrdup(out->path);
	out->jobs = xreallocarray(out->jobs, out->njobs + 1, sizeof *out->jobs);
	out->names =
	    xreallocarray(out->names, out->njobs + 1, sizeof *out->names);
	out->names[out->njobs] = name_at;
	out->jobs[out->njobs++] = job;
}

void
jf_schema_document(struct jf *jf, cJSON *root, int flags)
{
	const struct jf_pos *at = jf_pos(jf, root);
	cJSON *jobs, *defaults, *e;
	struct shared sh = { NULL, { NULL, 0 }, { NULL, 0 } };
	size_t i = 0;

	if (root == NULL || cJSON_IsNull(root))
		return; /* an empty file defines no jobs */
	if (!cJSON_IsObject(root)) {
		jf_error(jf, at, "expected a map with a jobs: list");
		return;
	}
	if ((flags & JOBFILE_ONE_JOB) &&
	    cJSON_GetObjectItemCaseSensitive(root, "jobs") == NULL) {
		add_job(jf, &sh, root, 0);
		jf_badkeys_free(&sh.names);
		return;
	}
	jf_check_top(jf, root, at);
	defaults = cJSON_GetObjectItemCaseSensitive(root, "defaults");
	if (defaults != NULL && cJSON_IsNull(defaults))
		defaults = NULL;
	if (defaults != NULL)
		check_defaults(jf, defaults, at, &sh);
	jobs = cJSON_GetObjectItemCaseSensitive(root, "jobs");
	if (jobs != NULL && !cJSON_IsNull(jobs) && !cJSON_IsArray(jobs))
		jf_error(jf, jf_pos_or(jf, jobs, at),
		    "jobs: expected a list of jobs (- name: ...)");
	else if (jobs != NULL && !cJSON_IsNull(jobs)) {
		cJSON_ArrayForEach(e, jobs)
		{
			add_job(jf, &sh, e, i++);
		}
	}
	cJSON_Delete(sh.defaults);
	jf_badkeys_free(&sh.bad);
	jf_badkeys_free(&sh.names);
}
