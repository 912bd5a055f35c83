/* SPDX-License-Identifier: ISC */
/*
 * The job model: defaults, JSON in and out, validation. Every rejection
 * names the field at fault and what was expected, because it reaches the
 * user verbatim through the API and the CLI. No I/O except zone loading.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cronexpr.h"
#include "job.h"
#include "jobfile.h"
#include "util.h"
#include "xmalloc.h"

#define JOB_LIMIT_MAX ((int64_t)1 << 62)
/*
 * Durations as numbers end where util_parse_duration ends text ones;
 * the daemon adds them as milliseconds to the clock, so they must stay
 * far from INT64_MAX / 1000.
 */
#define JOB_DURATION_MAX ((int64_t)1 << 40)

static const char *concurrency_names[] = { "allow", "forbid", "replace" };
static const char *catchup_names[] = { "skip", "once", "all" };
static const char *outcome_names[] = { "default", "retry", "fail", "success",
	"skip" };

/* The fields of docs/api.md; read-only ones are accepted and ignored. */
static const char *readonly_fields[] = { "owner", "origin", "version",
	"created_at", "updated_at", "next_run", "last_run", "id",
	"timezone_set", NULL };

struct job *
job_create(void)
{
	struct job *job;

	job = xcalloc(1, sizeof *job);
	job->kind = JOB_COMMAND;
	job->umask = 022;
	job->kill_grace = 10;
	job->retry_backoff = 10;
	job->retry_backoff_max = 3600;
	job->concurrency = JOB_FORBID;
	job->catchup = JOB_CATCHUP_SKIP;
	job->catchup_max = 100;
	job->dst_gap = CRON_GAP_NEXT;
	job->dst_repeat = CRON_REPEAT_FIRST;
	job->max_output = 1048576;
	job->limits.cpu = job->limits.memory = job->limits.nofile = -1;
	job->limits.nproc = job->limits.fsize = job->limits.core = -1;
	job_sandbox_init(&job->sandbox);
	job->origin = xstrdup("api");
	job->description = xstrdup("");
	return job;
}

static void
env_free(struct job_env *env, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(env[i].key);
		free(env[i].value);
	}
	free(env);
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
job_free(struct job *job)
{
	if (job == NULL)
		return;
	strv_free(job->schedules, job->nschedules);
	free(job->exprs);
	free(job->timezone);
	free(job->command);
	strv_free(job->argv, job->argc);
	job_ext_free(job);
	free(job->user);
	free(job->workdir);
	env_free(job->env, job->nenv);
	free(job->retry_on);
	free(job->on_exit);
	job_sandbox_clear(&job->sandbox);
	free(job->description);
	job_labels_free(job->labels, job->nlabels);
	free(job->origin);
	free(job);
}

static char *
dup_or_null(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

/* A copy of V, NULL-terminated so that argv can be passed to exec. */
static char **
strv_dup(char *const *v, size_t n)
{
	char **out;
	size_t i;

	if (v == NULL)
		return NULL;
	out = xcalloc(n + 1, sizeof *out);
	for (i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

static struct job_env *
env_dup(const struct job_env *env, size_t n)
{
	struct job_env *out;
	size_t i;

	if (n == 0)
		return NULL;
	out = xcalloc(n, sizeof *out);
	for (i = 0; i < n; i++) {
		out[i].key = xstrdup(env[i].key);
		out[i].value = xstrdup(env[i].value);
	}
	return out;
}

static void *
mem_dup(const void *p, size_t nmemb, size_t size)
{
	void *out;

	if (nmemb == 0 || p == NULL)
		return NULL;
	out = xreallocarray(NULL, nmemb, size);
	memcpy(out, p, nmemb * size);
	return out;
}

struct job *
job_dup(const struct job *job)
{
	struct job *d;

	d = xmalloc(sizeof *d);
	*d = *job;
	d->schedules = strv_dup(job->schedules, job->nschedules);
	d->exprs = mem_dup(job->exprs, job->nschedules, sizeof *job->exprs);
	d->timezone = dup_or_null(job->timezone);
	d->command = dup_or_null(job->command);
	d->argv = strv_dup(job->argv, job->argc);
	job_ext_dup(d, job);
	d->user = dup_or_null(job->user);
	d->workdir = dup_or_null(job->workdir);
	d->env = env_dup(job->env, job->nenv);
	d->retry_on = mem_dup(job->retry_on, job->nretry_on, sizeof(int));
	d->on_exit = mem_dup(job->on_exit, job->non_exit, sizeof *job->on_exit);
	job_sandbox_copy(&d->sandbox, &job->sandbox);
	d->description = dup_or_null(job->description);
	d->labels = job_labels_dup(job->labels, job->nlabels);
	d->origin = dup_or_null(job->origin);
	return d;
}

/* Parsing state: the field being read, for every message. */
struct jp {
	const char *field;
	char **cause;
};

static int
get_string(struct jp *jp, const cJSON *v, char **out, int empty_ok)
{
	if (!cJSON_IsString(v))
		return job_fail_type(jp->cause, jp->field, "a string", v);
	if (!empty_ok && v->valuestring[0] == '\0')
		return job_fail(jp->cause, jp->field, "must not be empty");
	free(*out);
	*out = xstrdup(v->valuestring);
	return 0;
}

static int
get_duration(struct jp *jp, const cJSON *v, int64_t *out)
{
	char *why = NULL;
	int64_t s;

	if (cJSON_IsNumber(v))
		return job_get_int(
		    jp->cause, jp->field, v, 0, JOB_DURATION_MAX, out);
	if (!cJSON_IsString(v))
		return job_fail_type(
		    jp->cause, jp->field, "a duration (seconds or \"5m\")", v);
	if (util_parse_duration(v->valuestring, &s, &why) == -1) {
		job_fail(jp->cause, jp->field, "%s",
		    why != NULL ? why : "bad duration");
		free(why);
		return -1;
	}
	if (s < 0)
		return job_fail(jp->cause, jp->field, "must not be negative");
	*out = s;
	return 0;
}

static int
get_size(struct jp *jp, const cJSON *v, int64_t *out)
{
	char *why = NULL;
	uint64_t b;

	if (cJSON_IsNumber(v))
		return job_get_int(
		    jp->cause, jp->field, v, 0, JOB_LIMIT_MAX, out);
	if (!cJSON_IsString(v))
		return job_fail_type(
		    jp->cause, jp->field, "a size (bytes or \"512K\")", v);
	if (util_parse_size(v->valuestring, &b, &why) == -1) {
		job_fail(
		    jp->cause, jp->field, "%s", why != NULL ? why : "bad size");
		free(why);
		return -1;
	}
	if (b > (uint64_t)JOB_LIMIT_MAX)
		return job_fail(jp->cause, jp->field, "too large");
	*out = (int64_t)b;
	return 0;
}

static int
get_enum(struct jp *jp, const cJSON *v, const char **names, size_t n, int *out)
{
	size_t i;

	if (!cJSON_IsString(v))
		return job_fail_type(jp->cause, jp->field, "a string", v);
	for (i = 0; i < n; i++) {
		if (strcmp(v->valuestring, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	if (n == 2)
		return job_fail(jp->cause, jp->field, "\"%s\" is not %s or %s",
		    v->valuestring, names[0], names[1]);
	return job_fail(jp->cause, jp->field, "\"%s\" is not one of %s, %s, %s",
	    v->valuestring, names[0], names[1], names[2]);
}

static int
get_schedules(struct jp *jp, struct job *job, const cJSON *v)
{
	const cJSON *e;
	size_t n = 0, i = 0;
	char what[JOB_WHAT_MAX];

	if (cJSON_IsString(v)) {
		strv_free(job->schedules, job->nschedules);
		job->schedules = xcalloc(1, sizeof *job->schedules);
		job->schedules[0] = xstrdup(v->valuestring);
		job->nschedules = 1;
		return 0;
	}
	if (!cJSON_IsArray(v))
		return job_fail_type(jp->cause, jp->field,
		    "a cron expression or a list of them", v);
	cJSON_ArrayForEach(e, v)
	{
		if (!cJSON_IsString(e))
			return job_fail(jp->cause, jp->field,
			    "element %zu: expected a string, not %s", n,
			    job_what(e, what, sizeof what));
		n++;
	}
	if (n > 64)
		return job_fail(jp->cause, jp->field, "at most 64 schedules");
	strv_free(job->schedules, job->nschedules);
	job->schedules = xcalloc(n + 1, sizeof *job->schedules);
	cJSON_ArrayForEach(e, v) job->schedules[i++] = xstrdup(e->valuestring);
	job->nschedules = n;
	return 0;
}

static int
get_command(struct jp *jp, struct job *job, const cJSON *v)
{
	const cJSON *e;
	size_t n = 0, i = 0;
	char what[JOB_WHAT_MAX];

	if (cJSON_IsString(v)) {
		if (v->valuestring[0] == '\0')
			return job_fail(
			    jp->cause, jp->field, "must not be empty");
		strv_free(job->argv, job->argc);
		job->argv = NULL;
		job->argc = 0;
		free(job->command);
		job->command = xstrdup(v->valuestring);
		return 0;
	}
	if (!cJSON_IsArray(v))
		return job_fail_type(
		    jp->cause, jp->field, "a string or a list of strings", v);
	cJSON_ArrayForEach(e, v)
	{
		if (!cJSON_IsString(e))
			return job_fail(jp->cause, jp->field,
			    "element %zu: expected a string, not %s", n,
			    job_what(e, what, sizeof what));
		n++;
	}
	if (n == 0)
		return job_fail(jp->cause, jp->field, "must not be empty");
	strv_free(job->argv, job->argc);
	free(job->command);
	job->command = NULL;
	job->argv = xcalloc(n + 1, sizeof *job->argv);
	cJSON_ArrayForEach(e, v) job->argv[i++] = xstrdup(e->valuestring);
	job->argc = n;
	return 0;
}

static int
get_env(struct jp *jp, const cJSON *v, struct job_env **out, size_t *nout,
    int env_names)
{
	const cJSON *e;
	struct job_env *env;
	size_t n = 0, i = 0;
	char what[JOB_WHAT_MAX];

	if (!cJSON_IsObject(v))
		return job_fail_type(jp->cause, jp->field, JOB_WANT_STRMAP, v);
	cJSON_ArrayForEach(e, v)
	{
		if (!cJSON_IsString(e))
			return job_fail(jp->cause, jp->field,
			    "\"%.40s\": expected a string, not %s", e->string,
			    job_what(e, what, sizeof what));
		if (e->string[0] == '\0' || strchr(e->string, '=') != NULL ||
		    (env_names &&
		        strspn(e->string,
		            "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		            "abcdefghijklmnopqrstuvwxyz0123456789_") !=
		            strlen(e->string)))
			return job_fail(jp->cause, jp->field,
			    "\"%s\" is not a valid name", e->string);
		n++;
	}
	env = n == 0 ? NULL : xcalloc(n, sizeof *env);
	cJSON_ArrayForEach(e, v)
	{
		env[i].key = xstrdup(e->string);
		env[i].value = xstrdup(e->valuestring);
		i++;
	}
	env_free(*out, *nout);
	*out = env;
	*nout = n;
	return 0;
}

static int
get_umask(struct jp *jp, struct job *job, const cJSON *v)
{
	const char *s;
	char *end;
	long m;

	if (!cJSON_IsString(v))
		return job_fail_type(
		    jp->cause, jp->field, "an octal string such as \"022\"", v);
	s = v->valuestring;
	errno = 0;
	m = strtol(s, &end, 8);
	if (*s == '\0' || *end != '\0' || errno != 0 || m < 0 || m > 0777)
		return job_fail(jp->cause, jp->field,
		    "\"%s\" is not an octal mode 000..777", s);
	job->umask = (mode_t)m;
	return 0;
}

static int
get_retry_on(struct jp *jp, struct job *job, const cJSON *v)
{
	const cJSON *e;
	size_t n = 0;
	int64_t code;
	int *codes;

	if (!cJSON_IsArray(v))
		return job_fail_type(
		    jp->cause, jp->field, "a list of exit codes", v);
	codes = xcalloc(cJSON_GetArraySize(v) + 1, sizeof *codes);
	cJSON_ArrayForEach(e, v)
	{
		if (job_get_int(jp->cause, jp->field, e, 0, 255, &code) == -1) {
			free(codes);
			return -1;
		}
		codes[n++] = (int)code;
	}
	free(job->retry_on);
	job->retry_on = codes;
	job->nretry_on = n;
	return 0;
}

static int
get_on_exit(struct jp *jp, struct job *job, const cJSON *v)
{
	const cJSON *e;
	struct job_exit_rule *rules;
	size_t n = 0;
	char *end;
	long code;
	int o;

	if (!cJSON_IsObject(v))
		return job_fail_type(
		    jp->cause, jp->field, "a map of exit codes to outcomes", v);
	rules = xcalloc(cJSON_GetArraySize(v) + 1, sizeof *rules);
	cJSON_ArrayForEach(e, v)
	{
		errno = 0;
		code = strtol(e->string, &end, 10);
		if (e->string[0] == '\0' || *end != '\0' || code < 0 ||
		    code > 255) {
			free(rules);
			return job_fail(jp->cause, jp->field,
			    "\"%s\" is not an exit code 0..255", e->string);
		}
		if (!cJSON_IsString(e))
			o = -1;
		else {
			for (o = 1; o < 5; o++) {
				if (strcmp(e->valuestring, outcome_names[o]) ==
				    0)
					break;
			}
		}
		if (o < 1 || o >= 5) {
			free(rules);
			return job_fail(jp->cause, jp->field,
			    "\"%s\": expected retry, fail, "
			    "success or skip",
			    e->string);
		}
		rules[n].code = (int)code;
		rules[n].outcome = (enum job_outcome)o;
		n++;
	}
	free(job->on_exit);
	job->on_exit = rules;
	job->non_exit = n;
	return 0;
}

static int
get_dst(struct jp *jp, struct job *job, const cJSON *v)
{
	static const char *gaps[] = { "next", "skip" };
	static const char *repeats[] = { "first", "both" };
	const cJSON *e;
	int x;

	if (!cJSON_IsObject(v))
		return job_fail_type(
		    jp->cause, jp->field, "a map of gap and repeat", v);
	cJSON_ArrayForEach(e, v)
	{
		if (strcmp(e->string, "gap") == 0) {
			jp->field = "dst.gap";
			if (get_enum(jp, e, gaps, 2, &x) == -1)
				return -1;
			job->dst_gap = (enum cron_dst_gap)x;
		} else if (strcmp(e->string, "repeat") == 0) {
			jp->field = "dst.repeat";
			if (get_enum(jp, e, repeats, 2, &x) == -1)
				return -1;
			job->dst_repeat = (enum cron_dst_repeat)x;
		} else
			return job_fail(jp->cause, jp->field,
			    "unknown key \"%s\" (expected gap "
			    "or repeat)",
			    e->string);
	}
	return 0;
}

static int
get_limits(struct jp *jp, struct job *job, const cJSON *v)
{
	const cJSON *e;
	static _Thread_local char field[48];

	if (!cJSON_IsObject(v))
		return job_fail_type(
		    jp->cause, jp->field, "a map of limits", v);
	cJSON_ArrayForEach(e, v)
	{
		snprintf(field, sizeof field, "limits.%.30s", e->string);
		jp->field = field;
		if (strcmp(e->string, "cpu") == 0) {
			if (get_duration(jp, e, &job->limits.cpu) == -1)
				return -1;
		} else if (strcmp(e->string, "memory") == 0) {
			if (get_size(jp, e, &job->limits.memory) == -1)
				return -1;
		} else if (strcmp(e->string, "fsize") == 0) {
			if (get_size(jp, e, &job->limits.fsize) == -1)
				return -1;
		} else if (strcmp(e->string, "core") == 0) {
			if (get_size(jp, e, &job->limits.core) == -1)
				return -1;
		} else if (strcmp(e->string, "nofile") == 0) {
			if (job_get_int(jp->cause, jp->field, e, 0, 1 << 30,
			        &job->limits.nofile))
				return -1;
		} else if (strcmp(e->string, "nproc") == 0) {
			if (job_get_int(jp->cause, jp->field, e, 0, 1 << 30,
			        &job->limits.nproc))
				return -1;
		} else {
			jp->field = "limits";
			return job_fail(jp->cause, jp->field,
			    "unknown limit \"%s\" (expected cpu, "
			    "memory, nofile, nproc, fsize or core)",
			    e->string);
		}
	}
	return 0;
}

static int
is_readonly(const char *key)
{
	size_t i;

	for (i = 0; readonly_fields[i] != NULL; i++) {
		if (strcmp(key, readonly_fields[i]) == 0)
			return 1;
	}
	return 0;
}

/* Reads one field E into JOB; -1 with the message in jp. */
static int
job_set_field(struct jp *jp, struct job *job, const cJSON *e)
{
	static _Thread_local char field[64];
	const char *k = e->string;
	const char *hint;
	char *msg;
	int64_t n;
	int x;

	/* A copy: the caller may free JSON before reading *field. */
	strlcpy(field, k, sizeof field);
	jp->field = field;
	if (strcmp(k, "name") == 0) {
		if (!cJSON_IsString(e) || !util_valid_name(e->valuestring))
			return job_fail(jp->cause, jp->field,
			    "expected [A-Za-z0-9._-]{1,64}");
		strlcpy(job->name, e->valuestring, sizeof job->name);
	} else if (strcmp(k, "schedules") == 0 || strcmp(k, "schedule") == 0)
		return get_schedules(jp, job, e);
	else if (strcmp(k, "timezone") == 0) {
		if (cJSON_IsNull(e)) {
			free(job->timezone);
			job->timezone = NULL;
			return 0;
		}
		return get_string(jp, e, &job->timezone, 0);
	} else if (strcmp(k, "kind") == 0) {
		static const char *kinds[] = { "command", "http" };

		if (get_enum(jp, e, kinds, 2, &x) == -1)
			return -1;
		job->kind = (enum job_kind)x;
	} else if (strcmp(k, "command") == 0)
		return get_command(jp, job, e);
	else if (strcmp(k, "user") == 0) {
		if (cJSON_IsNull(e)) {
			free(job->user);
			job->user = NULL;
			return 0;
		}
		return get_string(jp, e, &job->user, 0);
	} else if (strcmp(k, "workdir") == 0) {
		if (cJSON_IsNull(e)) {
			free(job->workdir);
			job->workdir = NULL;
			return 0;
		}
		if (get_string(jp, e, &job->workdir, 0) == -1)
			return -1;
		if (job->workdir[0] != '/')
			return job_fail(
			    jp->cause, jp->field, "expected an absolute path");
	} else if (strcmp(k, "env") == 0)
		return get_env(jp, e, &job->env, &job->nenv, 1);
	else if (strcmp(k, "umask") == 0)
		return get_umask(jp, job, e);
	else if (strcmp(k, "timeout") == 0)
		return get_duration(jp, e, &job->timeout);
	else if (strcmp(k, "kill_grace") == 0)
		return get_duration(jp, e, &job->kill_grace);
	else if (strcmp(k, "retries") == 0) {
		if (job_get_int(jp->cause, jp->field, e, 0, 100, &n) == -1)
			return -1;
		job->retries = (int)n;
	} else if (strcmp(k, "retry_backoff") == 0)
		return get_duration(jp, e, &job->retry_backoff);
	else if (strcmp(k, "retry_backoff_max") == 0)
		return get_duration(jp, e, &job->retry_backoff_max);
	else if (strcmp(k, "retry_on") == 0)
		return get_retry_on(jp, job, e);
	else if (strcmp(k, "on_exit") == 0)
		return get_on_exit(jp, job, e);
	else if (strcmp(k, "concurrency") == 0) {
		if (get_enum(jp, e, concurrency_names, 3, &x) == -1)
			return -1;
		job->concurrency = (enum job_concurrency)x;
	} else if (strcmp(k, "catchup") == 0) {
		if (get_enum(jp, e, catchup_names, 3, &x) == -1)
			return -1;
		job->catchup = (enum job_catchup)x;
	} else if (strcmp(k, "catchup_max") == 0) {
		if (job_get_int(jp->cause, jp->field, e, 1, 100000, &n) == -1)
			return -1;
		job->catchup_max = (int)n;
	} else if (strcmp(k, "jitter") == 0)
		return get_duration(jp, e, &job->jitter);
	else if (strcmp(k, "dst") == 0)
		return get_dst(jp, job, e);
	else if (strcmp(k, "max_output") == 0)
		return get_size(jp, e, &job->max_output);
	else if (strcmp(k, "limits") == 0)
		return get_limits(jp, job, e);
	else if (strcmp(k, "sandbox") == 0)
		return job_sandbox_parse(
		    e, &job->sandbox, &jp->field, jp->cause);
	else if (strcmp(k, "paused") == 0)
		return job_get_bool(jp->cause, jp->field, e, &job->paused);
	else if (strcmp(k, "description") == 0)
		return get_string(jp, e, &job->description, 1);
	else if (strcmp(k, "labels") == 0) {
		if (job_labels_from_json(
		        e, &job->labels, &job->nlabels, &msg) == -1) {
			job_fail(jp->cause, jp->field, "%s", msg);
			free(msg);
			return -1;
		}
	} else if ((x = job_ext_field(job, e, &jp->field, jp->cause)) != 0)
		return x < 0 ? -1 : 0;
	else if (!is_readonly(k)) {
		/* The hint job files give, so the API and files read alike. */
		if ((hint = jobfile_suggest(k)) != NULL)
			return job_fail(jp->cause, jp->field,
			    "unknown field; did you mean %s?", hint);
		return job_fail(jp->cause, jp->field, "unknown field");
	}
	return 0;
}

/* job_set_field without the parsing state, for job-from.c. */
int
job_read_field(
    struct job *job, const cJSON *e, const char **field, char **cause)
{
	struct jp jp = { "", cause };

	if (job_set_field(&jp, job, e) == -1) {
		*field = jp.field;
		return -1;
	}
	return 0;
}

enum job_outcome
job_exit_outcome(const struct job *job, int code)
{
	size_t i;

	for (i = 0; i < job->non_exit; i++) {
		if (job->on_exit[i].code == code)
			return job->on_exit[i].outcome;
	}
	return JOB_OUTCOME_DEFAULT;
}

const char *
job_outcome_name(enum job_outcome o)
{
	return outcome_names[o];
}

const char *
job_concurrency_name(enum job_concurrency c)
{
	return concurrency_names[c];
}

const char *
job_catchup_name(enum job_catchup c)
{
	return catchup_names[c];
}
