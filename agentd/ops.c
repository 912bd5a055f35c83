/* SPDX-License-Identifier: ISC */
/*
 * What each API operation does, independent of HTTP: ownership checks,
 * the store change with its version row, rescheduling, and the objects the
 * API returns. The gateway maps struct agentd_error to a status.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agentd.h"
#include "queue.h"
#include "log.h"
#include "sandbox.h"
#include "util.h"
#include "xmalloc.h"

void
ops_add_time(cJSON *o, const char *key, int64_t t)
{
	char buf[32];

	if (t == 0) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	util_format_utc(buf, sizeof buf, t);
	cJSON_AddStringToObject(o, key, buf);
}

static void
add_int_or_null(cJSON *o, const char *key, int64_t v, int null)
{
	if (null)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, (double)v);
}

cJSON *
ops_run_to_json(const struct run *r)
{
	cJSON *o;

	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)r->id);
	cJSON_AddStringToObject(o, "job", r->job);
	cJSON_AddNumberToObject(o, "attempt", r->attempt);
	cJSON_AddNumberToObject(o, "first_run_id",
	    (double)(r->first_run_id != 0 ? r->first_run_id : r->id));
	cJSON_AddStringToObject(o, "trigger", run_trigger_name(r->trigger));
	ops_add_time(o, "scheduled_at", r->scheduled_at);
	ops_add_time(o, "queued_at", r->queued_at);
	ops_add_time(o, "not_before", r->not_before);
	ops_add_time(o, "started_at", r->started_at);
	ops_add_time(o, "finished_at", r->finished_at);
	add_int_or_null(o, "pid", r->pid, r->pid == 0);
	add_int_or_null(o, "exit_code", r->exit_code, r->exit_code < 0);
	add_int_or_null(o, "signal", r->signal, r->signal == 0);
	add_int_or_null(o, "http_status", r->http_status, r->http_status == 0);
	cJSON_AddStringToObject(o, "state", run_state_name(r->state));
	cJSON_AddNumberToObject(o, "output_bytes", (double)r->output_bytes);
	cJSON_AddStringToObject(o, "triggered_by", r->triggered_by);
	cJSON_AddStringToObject(o, "host", r->host);
	cJSON_AddNumberToObject(o, "missed_count", (double)r->missed_count);
	cJSON_AddStringToObject(o, "message", r->message);
	add_int_or_null(o, "cpu_usec", r->cpu_usec, r->cpu_usec == 0);
	add_int_or_null(o, "peak_memory", r->peak_memory, r->peak_memory == 0);
	return o;
}

cJSON *
ops_decision_to_json(const struct decision *d)
{
	cJSON *o;

	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)d->id);
	cJSON_AddStringToObject(o, "job", d->job);
	ops_add_time(o, "slot", d->slot);
	ops_add_time(o, "decided_at", d->decided_at);
	cJSON_AddStringToObject(
	    o, "outcome", decision_outcome_name(d->outcome));
	add_int_or_null(o, "run_id", d->run_id, d->run_id == 0);
	cJSON_AddStringToObject(o, "detail", d->detail);
	return o;
}

cJSON *
ops_job_to_json(struct agentd *ad, const struct job *job)
{
	cJSON *o, *lr;
	struct run r;

	o = job_to_json(job, 0);
	ops_add_time(o, "next_run",
	    ad->sched != NULL ? scheduler_job_next(ad->sched, job->id) : 0);
	if (store_run_last(ad->store, job->id, &r) == 0) {
		lr = cJSON_AddObjectToObject(o, "last_run");
		cJSON_AddNumberToObject(lr, "id", (double)r.id);
		cJSON_AddStringToObject(lr, "state", run_state_name(r.state));
		add_int_or_null(lr, "exit_code", r.exit_code, r.exit_code < 0);
		ops_add_time(lr, "started_at", r.started_at);
		ops_add_time(lr, "finished_at", r.finished_at);
	} else
		cJSON_AddNullToObject(o, "last_run");
	return o;
}

/*
 * Jobs from a job file belong to the file: the API changes them only when
 * asked to detach them (?detach=1), and then they are the API's.
 */
static int
job_check_origin(struct agentd *ad, const struct principal *p, struct job *job,
    struct agentd_error *err)
{
	if (job->origin == NULL || job->origin[0] != '/')
		return 0;
	if (!p->detach) {
		agentd_error_set(err, AGENTD_CONFLICT, NULL,
		    "job \"%s\" comes from %s: edit that file, or use "
		    "--detach (API: ?detach=1) to manage it through the "
		    "API from now on",
		    job->name, job->origin);
		return -1;
	}
	free(job->origin);
	job->origin = xstrdup("api");
	/* The file still names the job: say so now, not at the next reload. */
	files_recheck(ad);
	return 0;
}

/* The job NAME as P may see it; NULL with *err (not_found) otherwise. */
struct job *
ops_job_lookup(struct agentd *ad, const struct principal *p, const char *name,
    struct agentd_error *err)
{
	struct job *job;

	job = store_job_find(ad->store, p->uid, name);
	if (job == NULL && p->admin)
		job = store_job_find_any(ad->store, name);
	if (job == NULL)
		agentd_error_set(
		    err, AGENTD_NOT_FOUND, NULL, "no job named \"%s\"", name);
	return job;
}

/*
 * The job NAME for a change by P: found and, if it came from a job file,
 * detached (job_check_origin); NULL with *err otherwise.
 */
static struct job *
job_lookup_editable(struct agentd *ad, const struct principal *p,
    const char *name, struct agentd_error *err)
{
	struct job *job;

	if ((job = ops_job_lookup(ad, p, name, err)) == NULL)
		return NULL;
	if (job_check_origin(ad, p, job, err) == -1) {
		job_free(job);
		return NULL;
	}
	return job;
}

/* PUT and PATCH never rename: BODY may only repeat the path's NAME. */
static int
body_keeps_name(const cJSON *body, const char *name)
{
	const cJSON *n;

	n = cJSON_GetObjectItemCaseSensitive(body, "name");
	return n == NULL ||
	    (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0);
}

static void
by_text(const struct principal *p, char *buf, size_t len)
{
	snprintf(buf, len, "uid:%u", (unsigned)p->uid);
}

/*
 * Checks who JOB runs as: non-root owners run as themselves, and `user`
 * may only name them (forbidden otherwise).
 */
static int
job_check_user(
    struct agentd *ad, const struct job *job, struct agentd_error *err)
{
	struct passwd *pw;
	const char *field = NULL;
	char *cause = NULL;

	if (sandbox_check_job(job, &field, &cause) == -1) {
		agentd_error_set(err, AGENTD_INVALID, field, "%s", cause);
		free(cause);
		return -1;
	}
	if (job->user == NULL)
		return 0;
	if ((pw = getpwnam(job->user)) == NULL) {
		agentd_error_set(err, AGENTD_INVALID, "user",
		    "user: no user named \"%s\"", job->user);
		return -1;
	}
	if (job->owner != 0 && pw->pw_uid != job->owner) {
		agentd_error_set(err, AGENTD_FORBIDDEN, "user",
		    "user: jobs of uid %u run as that uid, not as \"%s\"",
		    (unsigned)job->owner, job->user);
		return -1;
	}
	if (!ad->root && pw->pw_uid != getuid()) {
		agentd_error_set(err, AGENTD_FORBIDDEN, "user",
		    "user: this daemon runs as uid %u and cannot run jobs as "
		    "\"%s\"",
		    (unsigned)getuid(), job->user);
		return -1;
	}
	return 0;
}

static struct job *
job_parse(struct agentd *ad, const cJSON *body, const struct job *base,
    struct agentd_error *err)
{
	struct job *job;
	const char *field = NULL;
	char *cause = NULL;

	job = job_from_json(body, base, &field, &cause);
	if (job == NULL) {
		agentd_error_set(err,
		    cJSON_IsObject(body) ? AGENTD_INVALID : AGENTD_BAD_REQUEST,
		    field, "%s", cause);
		free(cause);
		return NULL;
	}
	(void)ad;
	return job;
}

static void
job_announce(struct agentd *ad, const struct job *job, const char *what)
{
	cJSON *o;

	log_notice("ops: job %s job=%s owner=%u version=%lld", what, job->name,
	    (unsigned)job->owner, (long long)job->version);
	o = ops_job_to_json(ad, job);
	agentd_emit(ad, "job", job->owner, o);
	cJSON_Delete(o);
}

/*
 * The answer to a saved job: the job, with "warnings" when it was saved
 * but cannot run here as declared, so the client can say so at once.
 */
static cJSON *
job_saved_json(struct agentd *ad, const struct job *job)
{
	cJSON *o = ops_job_to_json(ad, job), *w;
	char *why;

	if ((why = sandbox_job_warning(job)) != NULL) {
		w = cJSON_AddArrayToObject(o, "warnings");
		cJSON_AddItemToArray(w, cJSON_CreateString(why));
		free(why);
	}
	return o;
}

/*
 * 1 if JOB is what is stored under its id already, origin included: a save
 * that changes nothing (a deploy tool's replace, a second pause) adds no
 * version, so history lists only real changes.
 */
static int
job_unchanged(struct agentd *ad, const struct job *job)
{
	struct job *cur;
	int same;

	if ((cur = store_job_load(ad->store, job->id)) == NULL)
		return 0;
	same = strcmp(cur->origin, job->origin) == 0 && job_same_spec(cur, job);
	job_free(cur);
	return same;
}

/*
 * Saves JOB as a new version of OLD (same id), reschedules, returns it.
 * An unchanged JOB is answered as it stands.
 */
static int
job_save(struct agentd *ad, const struct principal *p, struct job *job,
    const char *action, cJSON **out, struct agentd_error *err)
{
	char by[32];
	int64_t now = agentd_now();

	if (job_check_user(ad, job, err) == -1)
		return -1;
	if (job_unchanged(ad, job)) {
		*out = job_saved_json(ad, job);
		cJSON_AddTrueToObject(*out, "unchanged");
		return 0;
	}
	by_text(p, by, sizeof by);
	if (store_job_update(ad->store, job, action, by, now) == -1) {
		agentd_error_set(err,
		    errno == EEXIST ? AGENTD_CONFLICT : AGENTD_INTERNAL, NULL,
		    "cannot save job \"%s\"", job->name);
		return -1;
	}
	if (ad->sched != NULL)
		scheduler_job_changed(ad->sched, job->id, job, now);
	job_announce(ad, job, action);
	*out = job_saved_json(ad, job);
	return 0;
}

/* Carries the identity of OLD into the freshly parsed JOB. */
static void
job_keep_identity(struct job *job, const struct job *old)
{
	job->id = old->id;
	job->owner = old->owner;
	job->version = old->version;
	job->created_at = old->created_at;
	free(job->origin);
	job->origin = xstrdup(old->origin);
}

/*
 * A replace that does not say "paused" leaves a paused job paused: an
 * update of its command must not start it again unasked.
 */
static void
keep_pause(struct job *job, const struct job *old, const cJSON *body)
{
	if (cJSON_GetObjectItemCaseSensitive(body, "paused") == NULL)
		job->paused = old->paused;
}

/* ops_job_create, with ACTION the new version's ("create", "rollback"). */
static int
job_add(struct agentd *ad, const struct principal *p, const cJSON *body,
    int replace, const char *action, cJSON **out, int *created,
    struct agentd_error *err)
{
	struct job *job, *old;
	char by[32];
	int rc = -1;
	int64_t now = agentd_now();

	*created = 0;
	if ((job = job_parse(ad, body, NULL, err)) == NULL)
		return -1;
	job->owner = p->uid;
	old = store_job_find(ad->store, p->uid, job->name);
	if (old != NULL) {
		if (!replace && old->origin[0] == '/') {
			agentd_error_set(err, AGENTD_CONFLICT, "name",
			    "job \"%s\" already exists (from %s)", job->name,
			    old->origin);
			goto out;
		}
		if (!replace) {
			agentd_error_set(err, AGENTD_CONFLICT, "name",
			    "job \"%s\" already exists", job->name);
			goto out;
		}
		if (job_check_origin(ad, p, old, err) == -1)
			goto out;
		job_keep_identity(job, old);
		keep_pause(job, old, body);
		rc = job_save(ad, p, job, "replace", out, err);
		goto out;
	}
	if (job_check_user(ad, job, err) == -1)
		goto out;
	by_text(p, by, sizeof by);
	if (store_job_insert(ad->store, job, action, by, now) == -1) {
		agentd_error_set(err,
		    errno == EEXIST ? AGENTD_CONFLICT : AGENTD_INTERNAL, "name",
		    "cannot create job \"%s\"", job->name);
		goto out;
	}
	if (ad->sched != NULL)
		scheduler_job_changed(ad->sched, job->id, job, now);
	job_announce(ad, job, "created");
	*out = job_saved_json(ad, job);
	*created = 1;
	rc = 0;
out:
	job_free(old);
	job_free(job);
	return rc;
}

int
ops_job_create(struct agentd *ad, const struct principal *p, const cJSON *body,
    int replace, cJSON **out, int *created, struct agentd_error *err)
{
	return job_add(ad, p, body, replace, "create", out, created, err);
}

int
ops_job_replace(struct agentd *ad, const struct principal *p, const char *name,
    const cJSON *body, cJSON **out, struct agentd_error *err)
{
	struct job *old, *job;
	int rc;

	if ((old = job_lookup_editable(ad, p, name, err)) == NULL)
		return -1;
	if (!body_keeps_name(body, name)) {
		agentd_error_set(err, AGENTD_INVALID, "name",
		    "name: must match the job in the path (\"%s\")", name);
		job_free(old);
		return -1;
	}
	if ((job = job_parse(ad, body, NULL, err)) == NULL &&
	    cJSON_GetObjectItemCaseSensitive(body, "name") == NULL &&
	    strcmp(err->field, "name") == 0) {
		/* The body may omit the name: take it from the path. */
		cJSON *copy = cJSON_Duplicate(body, 1);

		cJSON_AddStringToObject(copy, "name", name);
		job = job_parse(ad, copy, NULL, err);
		cJSON_Delete(copy);
	}
	if (job == NULL) {
		job_free(old);
		return -1;
	}
	job_keep_identity(job, old);
	keep_pause(job, old, body);
	rc = job_save(ad, p, job, "replace", out, err);
	job_free(job);
	job_free(old);
	return rc;
}

int
ops_job_patch(struct agentd *ad, const struct principal *p, const char *name,
    const cJSON *body, cJSON **out, struct agentd_error *err)
{
	struct job *old, *job;
	int rc;

	if ((old = job_lookup_editable(ad, p, name, err)) == NULL)
		return -1;
	if (!body_keeps_name(body, name)) {
		agentd_error_set(err, AGENTD_INVALID, "name",
		    "name: cannot be changed by PATCH");
		job_free(old);
		return -1;
	}
	if ((job = job_parse(ad, body, old, err)) == NULL) {
		job_free(old);
		return -1;
	}
	rc = job_save(ad, p, job, "patch", out, err);
	job_free(job);
	job_free(old);
	return rc;
}

int
ops_job_delete(struct agentd *ad, const struct principal *p, const char *name,
    cJSON **out, struct agentd_error *err)
{
	struct job *job;
	char by[32], *file = NULL;
	int rc;

	if ((job = ops_job_lookup(ad, p, name, err)) == NULL)
		return -1;
	if (job->origin != NULL && job->origin[0] == '/')
		file = xstrdup(job->origin);
	if (job_check_origin(ad, p, job, err) == -1) {
		free(file);
		job_free(job);
		return -1;
	}
	by_text(p, by, sizeof by);
	/*
	 * One transaction: the record that keeps the file from bringing the
	 * job back at its next reading goes with the removal, or neither.
	 */
	if ((rc = store_begin(ad->store)) == 0) {
		rc = store_job_delete(ad->store, job, by, agentd_now());
		if (rc == 0 && file != NULL)
			rc = store_detached_add(ad->store, job->owner,
			    job->name, file, agentd_now());
		if (rc == 0)
			rc = store_commit(ad->store);
		else
			store_rollback(ad->store);
	}
	free(file);
	if (rc == -1) {
		agentd_error_set(err, AGENTD_INTERNAL, NULL,
		    "cannot delete job \"%s\"", name);
		job_free(job);
		return -1;
	}
	if (ad->sched != NULL)
		scheduler_job_changed(ad->sched, job->id, NULL, agentd_now());
	job_announce(ad, job, "deleted");
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "deleted", job->name);
	cJSON_AddNumberToObject(*out, "version", (double)job->version);
	job_free(job);
	return 0;
}

int
ops_job_get(struct agentd *ad, const struct principal *p, const char *name,
    cJSON **out, struct agentd_error *err)
{
	struct job *job;

	if ((job = ops_job_lookup(ad, p, name, err)) == NULL)
		return -1;
	*out = ops_job_to_json(ad, job);
	job_free(job);
	return 0;
}

/* Appends S at *POS in BUF, truncating at CAP - 1. */
static void
text_put(char *buf, size_t *pos, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (n > cap - 1 - *pos)
		n = cap - 1 - *pos;
	memcpy(buf + *pos, s, n);
	*pos += n;
	buf[*pos] = '\0';
}

/* Appends `,"KEY":"TIME"` or `,"KEY":null` at *POS in BUF. */
static void
text_time(char *buf, size_t *pos, size_t cap, const char *key, int64_t t)
{
	char tb[32];

	text_put(buf, pos, cap, ",\"");
	text_put(buf, pos, cap, key);
	if (t == 0) {
		text_put(buf, pos, cap, "\":null");
		return;
	}
	util_format_utc(tb, sizeof tb, t);
	text_put(buf, pos, cap, "\":\"");
	text_put(buf, pos, cap, tb);
	text_put(buf, pos, cap, "\"");
}

/*
 * GET /jobs/NAME is the read clients poll: the job's own fields come
 * printed from the store's cache, and only next_run and last_run, which
 * change without the job changing, are printed per request, in the order
 * and form ops_job_to_json gives them.
 */
int
ops_job_get_text(struct agentd *ad, const struct principal *p, const char *name,
    char **text, size_t *len, struct agentd_error *err)
{
	const char *spec;
	size_t slen, pos, cap;
	int64_t id;
	struct run r;
	cJSON *out;
	char *buf;

	if (store_job_text(ad->store, p->uid, name, &id, &spec, &slen) == -1) {
		/* Someone else's job, seen by an admin: the general way. */
		if (ops_job_get(ad, p, name, &out, err) == -1)
			return -1;
		buf = cJSON_PrintUnformatted(out);
		cJSON_Delete(out);
		if (buf == NULL)
			fatalx("ops: out of memory printing a job");
		slen = strlen(buf);
		buf = xreallocarray(buf, 1, slen + 2);
		buf[slen++] = '\n';
		buf[slen] = '\0';
		*text = buf;
		*len = slen;
		return 0;
	}
	cap = slen + 256;
	buf = xmalloc(cap);
	memcpy(buf, spec, slen);
	pos = slen;
	text_time(buf, &pos, cap, "next_run",
	    ad->sched != NULL ? scheduler_job_next(ad->sched, id) : 0);
	if (store_run_last(ad->store, id, &r) == 0) {
		pos += (size_t)snprintf(buf + pos, cap - pos,
		    ",\"last_run\":{\"id\":%lld,\"state\":\"%s\"",
		    (long long)r.id, run_state_name(r.state));
		if (r.exit_code < 0)
			pos += (size_t)snprintf(
			    buf + pos, cap - pos, ",\"exit_code\":null");
		else
			pos += (size_t)snprintf(buf + pos, cap - pos,
			    ",\"exit_code\":%d", r.exit_code);
		text_time(buf, &pos, cap, "started_at", r.started_at);
		text_time(buf, &pos, cap, "finished_at", r.finished_at);
		text_put(buf, &pos, cap, "}");
	} else
		text_put(buf, &pos, cap, ",\"last_run\":null");
	text_put(buf, &pos, cap, "}\n");
	*text = buf;
	*len = pos;
	return 0;
}

int
ops_job_list(struct agentd *ad, const struct principal *p, cJSON **out,
    struct agentd_error *err)
{
	struct job **jobs;
	cJSON *arr;
	size_t n, i;

	if (store_job_list(ad->store, p->uid, p->admin, &jobs, &n) == -1) {
		agentd_error_set(
		    err, AGENTD_INTERNAL, NULL, "cannot list jobs");
		return -1;
	}
	*out = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(*out, "jobs");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, ops_job_to_json(ad, jobs[i]));
	store_job_list_free(jobs, n);
	return 0;
}

int
ops_job_versions(struct agentd *ad, const struct principal *p, const char *name,
    cJSON **out, struct agentd_error *err)
{
	cJSON *arr;
	struct job *job;
	uid_t owner = p->uid;

	/* An admin naming another owner's live job sees its history. */
	if (p->admin && (job = ops_job_lookup(ad, p, name, NULL)) != NULL) {
		owner = job->owner;
		job_free(job);
	}
	if (store_version_list(ad->store, owner, name, &arr) == -1) {
		agentd_error_set(err, AGENTD_NOT_FOUND, NULL,
		    "no job named \"%s\", now or before", name);
		return -1;
	}
	*out = cJSON_CreateObject();
	cJSON_AddItemToObject(*out, "versions", arr);
	return 0;
}

int
ops_job_rollback(struct agentd *ad, const struct principal *p, const char *name,
    int64_t version, cJSON **out, struct agentd_error *err)
{
	struct job *old, *job;
	uid_t owner = p->uid;
	int created, rc;
	cJSON *spec;

	old = ops_job_lookup(ad, p, name, NULL);
	if (old != NULL)
		owner = old->owner;
	/* A file's job is refused as such, whatever its versions. */
	if (old != NULL && job_check_origin(ad, p, old, err) == -1) {
		job_free(old);
		return -1;
	}
	job = store_version_load(ad->store, owner, name, version);
	if (job == NULL) {
		cJSON *any = NULL;

		if (old == NULL &&
		    store_version_list(ad->store, owner, name, &any) == -1)
			agentd_error_set(err, AGENTD_NOT_FOUND, NULL,
			    "no job named \"%s\", now or before", name);
		else
			agentd_error_set(err, AGENTD_NOT_FOUND, "version",
			    version == 0 ? "job \"%s\" has no earlier version"
			                 : "job \"%s\" has no version %lld",
			    name, (long long)version);
		cJSON_Delete(any);
		job_free(old);
		return -1;
	}
	if (old != NULL) {
		job_keep_identity(job, old);
		rc = job_save(ad, p, job, "rollback", out, err);
	} else {
		/* A deleted job comes back as a new row with its history. */
		struct principal as = { owner, 0, 0 };

		spec = job_to_json(job, 1);
		rc = job_add(ad, &as, spec, 0, "rollback", out, &created, err);
		cJSON_Delete(spec);
	}
	job_free(job);
	job_free(old);
	return rc;
}

int
ops_job_pause(struct agentd *ad, const struct principal *p, const char *name,
    int paused, cJSON **out, struct agentd_error *err)
{
	struct job *job;
	int rc;

	if ((job = job_lookup_editable(ad, p, name, err)) == NULL)
		return -1;
	job->paused = paused;
	rc = job_save(ad, p, job, paused ? "pause" : "resume", out, err);
	job_free(job);
	return rc;
}

/* For ops-bulk.c and files.c: the checks every single-job save makes. */
int
ops_job_check(struct agentd *ad, const struct principal *p, struct job *old,
    const struct job *job, struct agentd_error *err)
{
	if (old != NULL && job_check_origin(ad, p, old, err) == -1)
		return -1;
	return job != NULL ? job_check_user(ad, job, err) : 0;
}
