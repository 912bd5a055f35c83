/* SPDX-License-Identifier: ISC */
/*
 * A job from JSON: each field through job.c's rules, then the rules that
 * join fields (a command for the command kind, backoff order...). Apart
 * from job.c because job files want every error of a job at once while
 * the API answers with one, and both must come from the same code.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cronexpr.h"
#include "job.h"
#include "tz.h"
#include "xmalloc.h"

/*
 * The fields a cross-field rule reads. A rule is not checked when one of
 * its fields failed: "command: is required" after "kind: "htp" is not
 * command or http" would blame the wrong line.
 */
#define D_NAME 0x01
#define D_TZ 0x02
#define D_SCHED 0x04
#define D_KIND 0x08
#define D_COMMAND 0x10
#define D_HTTP 0x20
#define D_BACKOFF 0x40
#define D_BACKOFF_MAX 0x80

static const struct {
	const char *key;
	unsigned bit;
} deps[] = { { "name", D_NAME }, { "timezone", D_TZ }, { "schedule", D_SCHED },
	{ "schedules", D_SCHED }, { "kind", D_KIND }, { "command", D_COMMAND },
	{ "http", D_HTTP }, { "retry_backoff", D_BACKOFF },
	{ "retry_backoff_max", D_BACKOFF_MAX } };

/* One reading: who hears of errors, and which fields failed. */
struct from {
	const struct job_each *each;
	unsigned failed; /* D_* */
	size_t nerrors;
	int stop;
};

static void
mark_failed(struct from *f, const char *key)
{
	size_t i;

	for (i = 0; i < sizeof deps / sizeof deps[0]; i++) {
		if (strcmp(key, deps[i].key) == 0)
			f->failed |= deps[i].bit;
	}
}

/* Hands CAUSE over; the listener may ask to stop there. */
static void
report(struct from *f, const char *field, char *cause)
{
	f->nerrors++;
	if (f->each->error(f->each->arg, field, cause) == -1)
		f->stop = 1;
}

/* 1 if a rule reading the fields DEPS is to be checked. */
static int
rule(const struct from *f, unsigned deps_read)
{
	return !f->stop && (f->failed & deps_read) == 0;
}

static void
fail(struct from *f, const char *field, const char *msg)
{
	char *cause = NULL;

	job_fail(&cause, field, "%s", msg);
	report(f, field, cause);
}

/* The cross-field rules, in the order job_validate has always used. */
static void
validate(struct from *f, struct job *job)
{
	const struct tz *tz;
	const char *field;
	char *why = NULL, *cause = NULL;
	size_t i;

	if (rule(f, D_NAME) && job->name[0] == '\0')
		fail(f, "name", "is required");
	if (rule(f, D_TZ)) {
		if ((tz = tz_find(job->timezone, &why)) == NULL) {
			fail(f, "timezone", why != NULL ? why : "invalid");
			free(why);
			why = NULL;
		} else
			job->tz = tz;
	}
	if (rule(f, D_SCHED)) {
		free(job->exprs);
		job->exprs = xcalloc(job->nschedules + 1, sizeof *job->exprs);
		for (i = 0; i < job->nschedules; i++) {
			if (cronexpr_parse(&job->exprs[i], job->schedules[i],
			        job->name, &why) == -1) {
				fail(f, "schedules",
				    why != NULL ? why : "invalid");
				free(why);
				break;
			}
			job->exprs[i].gap = job->dst_gap;
			job->exprs[i].repeat = job->dst_repeat;
		}
	}
	if (rule(f, D_KIND | D_COMMAND) && job->kind == JOB_COMMAND &&
	    job->command == NULL && job->argv == NULL)
		fail(f, "command", "is required");
	/* Else the command would sit in the job, never run, unremarked. */
	if (rule(f, D_KIND | D_COMMAND) && job->kind == JOB_HTTP &&
	    (job->command != NULL || job->argv != NULL))
		fail(f, "command",
		    "a kind http job sends its http: request and runs no "
		    "command");
	if (rule(f, D_KIND | D_HTTP) &&
	    job_ext_validate(job, &field, &cause) == -1)
		report(f, field, cause);
	if (rule(f, D_BACKOFF | D_BACKOFF_MAX) &&
	    job->retry_backoff_max < job->retry_backoff)
		fail(f, "retry_backoff_max",
		    "must not be less than retry_backoff");
}

/* 1 if KEY is one of the NULL-ended KEYS. */
static int
listed(const char *const *keys, const char *key)
{
	size_t i;

	for (i = 0; keys != NULL && keys[i] != NULL; i++) {
		if (strcmp(keys[i], key) == 0)
			return 1;
	}
	return 0;
}

/* Marks the NULL-ended KEYS failed; how many there were. */
static size_t
mark_all(struct from *f, const char *const *keys)
{
	size_t i;

	for (i = 0; keys != NULL && keys[i] != NULL; i++)
		mark_failed(f, keys[i]);
	return i;
}

/*
 * 1 when JSON has both schedule and schedules, but schedules is an empty
 * list: "no more schedules", as cronq edit writes for a manual job, so a
 * schedule: added there is not "both".
 */
static int
empty_schedules(const cJSON *json)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(json, "schedules");

	return cJSON_IsArray(s) && s->child == NULL &&
	    cJSON_GetObjectItemCaseSensitive(json, "schedule") != NULL;
}

/* 1 if FIELD is PREFIX or names a part of it ("sandbox.seccomp.deny"). */
static int
field_under(const char *field, const char *prefix)
{
	size_t n = strlen(prefix);

	return field != NULL && strncmp(field, prefix, n) == 0 &&
	    (field[n] == '\0' || field[n] == '.' || field[n] == '[');
}

/* {PATH[0]: {PATH[1]: ... PATH[N-1]}}, the members copied; caller frees. */
static cJSON *
wrap_path(const cJSON *const *path, size_t n)
{
	cJSON *v = cJSON_Duplicate(path[n - 1], 1), *o;
	size_t i;

	for (i = n; i > 0; i--) {
		o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, path[i - 1]->string, v);
		v = o;
	}
	return v;
}

/* The maps nested deeper than this are reported as one. */
#define SPLIT_DEPTH 4

/*
 * After the map at PATH[N-1] failed as a whole (its first bad member
 * named), reads each member alone, so that every member at fault is
 * reported: "sandbox.memory_max" and "sandbox.seccomp.action" at once.
 * A member that fails inside a map of its own is split in turn. Errors
 * that only the members together cause are left out; returns how many
 * were reported (0: none, the caller reports the first as it was).
 */
static size_t
report_members(
    struct from *f, const struct job *job, const cJSON **path, size_t n)
{
	const cJSON *m;
	const char *field;
	char *cause, prefix[256];
	struct job *scratch;
	cJSON *one;
	size_t reported = 0, i;

	cJSON_ArrayForEach(m, path[n - 1])
	{
		if (f->stop)
			break;
		path[n] = m;
		prefix[0] = '\0';
		for (i = 0; i <= n; i++) {
			if (i > 0)
				strlcat(prefix, ".", sizeof prefix);
			strlcat(prefix, path[i]->string, sizeof prefix);
		}
		one = wrap_path(path, n + 1);
		scratch = job_dup(job);
		cause = NULL;
		if (job_read_field(scratch, one->child, &field, &cause) == 0 ||
		    !field_under(field, prefix))
			free(cause);
		else if (cJSON_IsObject(m) && cJSON_GetArraySize(m) > 1 &&
		    n + 1 < SPLIT_DEPTH && strcmp(field, prefix) != 0 &&
		    report_members(f, job, path, n + 1) > 0) {
			free(cause);
			reported++;
		} else {
			report(f, field, cause);
			reported++;
		}
		job_free(scratch);
		cJSON_Delete(one);
	}
	return reported;
}

/*
 * 1 if E, a map whose reading failed on FIELD inside it, was reported
 * member by member.
 */
static int
split_failed(
    struct from *f, const struct job *job, const cJSON *e, const char *field)
{
	const cJSON *path[SPLIT_DEPTH + 1];

	if (!cJSON_IsObject(e) || cJSON_GetArraySize(e) < 2 ||
	    !field_under(field, e->string) || strcmp(field, e->string) == 0)
		return 0;
	path[0] = e;
	return report_members(f, job, path, 1) > 0;
}

struct job *
job_from_json_each(
    const cJSON *json, const struct job *base, const struct job_each *each)
{
	struct from f = { each, 0, 0, 0 };
	const cJSON *e;
	const char *field;
	char *cause = NULL;
	struct job *job;
	size_t nmarked;
	int no_extra;

	if (!cJSON_IsObject(json)) {
		xasprintf(&cause, "expected a JSON object");
		report(&f, NULL, cause);
		return NULL;
	}
	nmarked = mark_all(&f, each->skip) + mark_all(&f, each->failed);
	job = base != NULL ? job_dup(base) : job_create();
	no_extra = empty_schedules(json);
	if (!no_extra &&
	    cJSON_GetObjectItemCaseSensitive(json, "schedule") != NULL &&
	    cJSON_GetObjectItemCaseSensitive(json, "schedules") != NULL) {
		fail(&f, "schedule", "give schedule or schedules, not both");
		f.failed |= D_SCHED;
	}
	/* A failed field leaves JOB as it was, so the next is read alike. */
	cJSON_ArrayForEach(e, json)
	{
		if (f.stop)
			break;
		if (listed(each->skip, e->string))
			continue;
		/* Read after schedule:, [] would leave the job without. */
		if (no_extra && strcmp(e->string, "schedules") == 0)
			continue;
		cause = NULL;
		if (job_read_field(job, e, &field, &cause) == -1) {
			mark_failed(&f, e->string);
			if (split_failed(&f, job, e, field))
				free(cause);
			else
				report(&f, field, cause);
		}
	}
	if (!f.stop)
		validate(&f, job);
	if (f.nerrors > 0 || nmarked > 0) {
		job_free(job);
		return NULL;
	}
	return job;
}

/* The first error, for the callers that answer with one. */
struct first {
	const char *field;
	char *cause;
};

static int
first_error(void *arg, const char *field, char *cause)
{
	struct first *fe = arg;

	fe->field = field;
	fe->cause = cause;
	return -1;
}

int
job_validate(struct job *job, const char **field, char **cause)
{
	struct first fe = { NULL, NULL };
	struct job_each each = { first_error, NULL, &fe, NULL };
	struct from f = { &each, 0, 0, 0 };

	validate(&f, job);
	if (f.nerrors == 0)
		return 0;
	if (field != NULL)
		*field = fe.field;
	*cause = fe.cause;
	return -1;
}

struct job *
job_from_json(
    const cJSON *json, const struct job *base, const char **field, char **cause)
{
	struct first fe = { NULL, NULL };
	struct job_each each = { first_error, NULL, &fe, NULL };
	struct job *job;

	job = job_from_json_each(json, base, &each);
	if (job == NULL) {
		if (field != NULL)
			*field = fe.field;
		*cause = fe.cause;
	}
	return job;
}
