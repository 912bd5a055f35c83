/* SPDX-License-Identifier: ISC */
/*
 * The job-file schema: which YAML scalars a field takes literally, where
 * the YAML 1.1 traps matter, unknown keys with a suggestion, `defaults:`,
 * and then job_from_json, the one set of field rules the API uses too.
 */
#include "config.h"

#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <yaml.h>

#include "cronexpr.h"
#include "jobfile-int.h"
#include "jobfile.h"
#include "util.h"
#include "xmalloc.h"

enum ftype {
	F_STR,     /* literal text; a plain null stays null */
	F_SCHED,   /* a string or a list: never a number, bool or alias */
	F_CMD,     /* a string or a list of literal strings */
	F_BOOL,    /* true or false only */
	F_INT,     /* a number */
	F_DUR,     /* a number or "5m" */
	F_STRMAP,  /* a map of literal strings (env, headers) */
	F_INTLIST, /* a list of numbers */
	F_OUTMAP,  /* on_exit: code to literal outcome */
	F_EVENTS,  /* notify's on: an event or a list, never a boolean */
	F_SUB,     /* a map with its own table */
	F_SUBLIST  /* a list of maps sharing one table (notify) */
};

struct field {
	const char *name;
	enum ftype type;
	const struct field *sub;
};

static const struct field http_fields[] = { { "method", F_STR, NULL },
	{ "url", F_STR, NULL }, { "headers", F_STRMAP, NULL },
	{ "body", F_STR, NULL }, { "expect_status", F_INT, NULL },
	{ "insecure_tls", F_BOOL, NULL }, { "follow_redirects", F_BOOL, NULL },
	{ NULL, F_STR, NULL } };
static const struct field notify_fields[] = { { "kind", F_STR, NULL },
	{ "url", F_STR, NULL }, { "command", F_CMD, NULL },
	{ "on", F_EVENTS, NULL }, { "timeout", F_DUR, NULL },
	{ "retries", F_INT, NULL }, { NULL, F_STR, NULL } };
static const struct field dst_fields[] = { { "gap", F_STR, NULL },
	{ "repeat", F_STR, NULL }, { NULL, F_STR, NULL } };
static const struct field limit_fields[] = { { "cpu", F_DUR, NULL },
	{ "memory", F_DUR, NULL }, { "nofile", F_INT, NULL },
	{ "nproc", F_INT, NULL }, { "fsize", F_DUR, NULL },
	{ "core", F_DUR, NULL }, { NULL, F_STR, NULL } };

static const struct field seccomp_fields[] = { { "default", F_STR, NULL },
	{ "action", F_STR, NULL }, { "deny", F_CMD, NULL },
	{ "allow", F_CMD, NULL }, { NULL, F_STR, NULL } };
static const struct field sandbox_fields[] = { { "nice", F_INT, NULL },
	{ "ioprio", F_STR, NULL }, { "seccomp", F_SUB, seccomp_fields },
	{ "private_tmp", F_BOOL, NULL }, { "protect_system", F_BOOL, NULL },
	{ "network", F_BOOL, NULL }, { "read_only_paths", F_CMD, NULL },
	{ "read_write_paths", F_CMD, NULL }, { "memory_max", F_DUR, NULL },
	{ "pids_max", F_INT, NULL }, { "cpu_max", F_DUR, NULL },
	{ NULL, F_STR, NULL } };

static const struct field job_fields[] = { { "name", F_STR, NULL },
	{ "schedule", F_SCHED, NULL }, { "schedules", F_SCHED, NULL },
	{ "timezone", F_STR, NULL }, { "kind", F_STR, NULL },
	{ "command", F_CMD, NULL }, { "http", F_SUB, http_fields },
	{ "user", F_STR, NULL }, { "workdir", F_STR, NULL },
	{ "env", F_STRMAP, NULL }, { "umask", F_STR, NULL },
	{ "timeout", F_DUR, NULL }, { "kill_grace", F_DUR, NULL },
	{ "retries", F_INT, NULL }, { "retry_backoff", F_DUR, NULL },
	{ "retry_backoff_max", F_DUR, NULL }, { "retry_on", F_INTLIST, NULL },
	{ "on_exit", F_OUTMAP, NULL }, { "concurrency", F_STR, NULL },
	{ "catchup", F_STR, NULL }, { "catchup_max", F_INT, NULL },
	{ "jitter", F_DUR, NULL }, { "dst", F_SUB, dst_fields },
	{ "max_output", F_DUR, NULL }, { "limits", F_SUB, limit_fields },
	{ "sandbox", F_SUB, sandbox_fields }, { "group", F_STR, NULL },
	{ "labels", F_CMD, NULL }, { "notify", F_SUBLIST, notify_fields },
	{ "late_after", F_DUR, NULL }, { "expected_duration", F_DUR, NULL },
	{ "paused", F_BOOL, NULL }, { "description", F_STR, NULL },
	{ NULL, F_STR, NULL } };

/* Names people reach for, and what this format calls them. */
static const char *hints[][2] = { { "enabled", "paused (paused: false)" },
	{ "disabled", "paused" }, { "cmd", "command" }, { "cron", "schedule" },
	{ "tz", "timezone" }, { "environment", "env" }, { "cwd", "workdir" },
	{ "dir", "workdir" }, { "args", "command (as a list)" },
	{ "<<", "defaults: (merge keys are not supported)" }, { NULL, NULL } };

/* The known name closest to KEY, or NULL when nothing is close. */
static const char *
suggest(const char *key, const struct field *table)
{
	const char *best = NULL;
	size_t d, bestd = 3, i;

	for (i = 0; hints[i][0] != NULL; i++) {
		if (strcasecmp(key, hints[i][0]) == 0 && table == job_fields)
			return hints[i][1];
	}
	for (i = 0; table[i].name != NULL; i++) {
		d = util_distance(key, table[i].name);
		if (d < bestd) {
			bestd = d;
			best = table[i].name;
		}
	}
	return best;
}

/*
 * The job field a user probably meant by KEY, an unknown key of a job
 * (the API's JSON bodies share it with job files), or NULL.
 */
const char *
jobfile_suggest(const char *key)
{
	return suggest(key, job_fields);
}

static const struct field *
field_find(const struct field *table, const char *key)
{
	size_t i;

	for (i = 0; table[i].name != NULL; i++) {
		if (strcmp(table[i].name, key) == 0)
			return &table[i];
	}
	return NULL;
}

static const struct jf_pos *
pos_or(const struct jf *jf, const cJSON *n, const struct jf_pos *dflt)
{
	const struct jf_pos *p = jf_pos(jf, n);

	return p != NULL ? p : dflt;
}

/* Where the key of map value N is, else where N is, else DFLT. */
static const struct jf_pos *
key_or(const struct jf *jf, const cJSON *n, const struct jf_pos *dflt,
    struct jf_pos *buf)
{
	const struct jf_pos *p = jf_pos(jf, n);

	if (p == NULL)
		return dflt;
	if (p->kline == 0)
		return p;
	*buf = *p;
	buf->line = p->kline;
	buf->col = p->kcol;
	return buf;
}

/* A plain scalar read as a number, boolean or null: RAW, else NULL. */
static const char *
plain_nonstring(const struct jf *jf, const cJSON *n)
{
	const struct jf_pos *p = jf_pos(jf, n);

	if (p == NULL || !(p->flags & JF_PLAIN) || cJSON_IsString(n))
		return NULL;
	return p->raw;
}

/* Puts NEW in OLD's place in PARENT, under the same key and position. */
static void
replace_node(struct jf *jf, cJSON *parent, cJSON *old, cJSON *new)
{
	if (old->string != NULL)
		new->string = xstrdup(old->string);
	jf_pos_move(jf, old, new);
	cJSON_ReplaceItemViaPointer(parent, old, new);
}

/* Replaces plain scalar N of PARENT by the string it was written as. */
static void
make_literal(struct jf *jf, cJSON *parent, cJSON *n, int keep_null)
{
	const char *raw = plain_nonstring(jf, n);
	cJSON *s;

	if (raw == NULL || (keep_null && cJSON_IsNull(n)))
		return;
	s = cJSON_CreateString(raw);
	replace_node(jf, parent, n, s);
}

static void
check_sched_one(
    struct jf *jf, const char *name, const cJSON *n, const struct jf_pos *at)
{
	const struct jf_pos *p = pos_or(jf, n, at);
	const char *raw = plain_nonstring(jf, n);
	struct cronexpr ce;
	char *why = NULL;

	if (p != NULL && (p->flags & JF_ALIAS)) {
		jf_error(jf, p,
		    "%s: an alias (*name) is not a schedule; quote the "
		    "expression",
		    name);
		return;
	}
	if (raw != NULL) {
		jf_error(jf, p,
		    "%s: YAML reads %s as a %s, not a cron expression; quote "
		    "it (\"...\")",
		    name, raw,
		    cJSON_IsBool(n) ? "boolean"
		                    : (cJSON_IsNull(n) ? "null" : "number"));
		return;
	}
	if (!cJSON_IsString(n)) {
		jf_error(jf, p, "%s: expected a quoted cron expression", name);
		return;
	}
	if ((p->flags & JF_PLAIN) && jf_sexagesimal(n->valuestring)) {
		jf_error(jf, p,
		    "%s: %s is not a cron expression (YAML 1.1 reads it as a "
		    "base-60 number); for a daily time write \"M H * * *\"",
		    name, n->valuestring);
		return;
	}
	if (cronexpr_parse(&ce, n->valuestring, "x", &why) == -1) {
		jf_error(jf, p, "%s: %s", name, why != NULL ? why : "invalid");
		free(why);
	}
}

/*
 * One event of notify's on. `on: yes` or `[failure, no]` reads as a
 * boolean in YAML 1.1, and was meant as some event: say so rather than
 * "unknown event".
 */
static void
check_event(struct jf *jf, const char *name, cJSON *parent, cJSON *n,
    const struct jf_pos *at)
{
	const struct jf_pos *p = pos_or(jf, n, at);
	const char *raw = plain_nonstring(jf, n);

	if (cJSON_IsBool(n) && raw != NULL)
		jf_error(jf, p,
		    "%s: %s is a boolean, not an event; write one of " NOTIFY_EVENTS,
		    name, raw);
	else if (cJSON_IsString(n) && p != NULL && (p->flags & JF_PLAIN) &&
	    p->raw != NULL && jf_yaml11_bool(p->raw))
		jf_error(jf, p,
		    "%s: %s is a boolean in YAML 1.1, not an event; write "
		    "one of " NOTIFY_EVENTS,
		    name, p->raw);
	else
		make_literal(jf, parent, n, 0);
}

static void check_value(struct jf *jf, const char *name, const struct field *f,
    cJSON *parent, cJSON *n, const struct jf_pos *at);

/* The keys of a job found at fault before its fields are read. */
struct badkeys {
	char **v; /* NULL-ended */
	size_t n;
};

static void
badkeys_add(struct badkeys *bad, const char *key)
{
	bad->v = xreallocarray(bad->v, bad->n + 2, sizeof *bad->v);
	bad->v[bad->n++] = xstrdup(key);
	bad->v[bad->n] = NULL;
}

static void
badkeys_free(struct badkeys *bad)
{
	size_t i;

	for (i = 0; i < bad->n; i++)
		free(bad->v[i]);
	free(bad->v);
}

/* Checks MAP's keys against TABLE; BAD (if set) gets those at fault. */
static void
check_map(struct jf *jf, const char *prefix, const struct field *table,
    cJSON *map, const struct jf_pos *at, struct badkeys *bad)
{
	const struct field *f;
	const char *hint;
	char name[96];
	cJSON *e, *next;
	struct jf_pos kb;
	char hint_key[32];
	size_t before, len;

	at = pos_or(jf, map, at);
	if (!cJSON_IsObject(map)) {
		jf_error(jf, at, "%s: expected a map of keys", prefix);
		return;
	}
	for (e = map->child; e != NULL; e = next) {
		next = e->next;
		before = jf->out->nerrors;
		if (*prefix != '\0')
			snprintf(name, sizeof name, "%s.%s", prefix, e->string);
		else
			snprintf(name, sizeof name, "%s", e->string);
		if ((f = field_find(table, e->string)) == NULL) {
			hint = suggest(e->string, table);
			/*
			 * "comand: unknown field" is the whole story: do not
			 * add "command: is required" when the job lacks it.
			 */
			if (bad != NULL && hint != NULL &&
			    (len = strspn(
			         hint, "abcdefghijklmnopqrstuvwxyz_")) <
			        sizeof hint_key) {
				memcpy(hint_key, hint, len);
				hint_key[len] = '\0';
				if (cJSON_GetObjectItemCaseSensitive(
				        map, hint_key) == NULL)
					badkeys_add(bad, hint_key);
			}
			if (hint != NULL)
				jf_error(jf, key_or(jf, e, at, &kb),
				    "%s: unknown field; did you mean %s?", name,
				    hint);
			else
				jf_error(jf, key_or(jf, e, at, &kb),
				    "%s: unknown field", name);
		} else
			check_value(jf, name, f, map, e, at);
		/* NAME, not e->string: check_value may have replaced E. */
		if (bad != NULL && jf->out->nerrors != before)
			badkeys_add(bad, name);
	}
}

static void
check_value(struct jf *jf, const char *name, const struct field *f,
    cJSON *parent, cJSON *n, const struct jf_pos *at)
{
	const struct jf_pos *p = pos_or(jf, n, at);
	const char *raw = plain_nonstring(jf, n);
	cJSON *e, *next;
	char iname[112];
	size_t i;

	switch (f->type) {
	case F_STR:
		make_literal(jf, parent, n, 1);
		break;
	case F_SCHED:
		if (cJSON_IsArray(n)) {
			cJSON_ArrayForEach(e, n)
			    check_sched_one(jf, name, e, p);
		} else
			check_sched_one(jf, name, n, p);
		break;
	case F_CMD:
		if (cJSON_IsArray(n)) {
			for (e = n->child; e != NULL; e = next) {
				next = e->next;
				make_literal(jf, n, e, 0);
			}
		} else
			make_literal(jf, parent, n, 1);
		break;
	case F_BOOL:
		if (p != NULL && (p->flags & JF_PLAIN) && p->raw != NULL &&
		    jf_yaml11_bool(p->raw))
			jf_error(jf, p,
			    "%s: write true or false, not %s (YAML 1.1 would "
			    "read it as a boolean, YAML 1.2 as a string)",
			    name, p->raw);
		else if (!cJSON_IsBool(n))
			jf_error(jf, p, "%s: expected true or false", name);
		break;
	case F_INT:
	case F_DUR:
		if (cJSON_IsString(n) && p != NULL && (p->flags & JF_PLAIN) &&
		    jf_sexagesimal(n->valuestring))
			jf_error(jf, p,
			    "%s: %s is a base-60 number in YAML 1.1; write "
			    "%s",
			    name, n->valuestring,
			    f->type == F_DUR ? "a duration such as \"90s\" or "
			                       "\"1h30m\""
			                     : "a plain number");
		else if (cJSON_IsBool(n) || (raw != NULL && cJSON_IsNull(n)))
			jf_error(jf, p, "%s: expected a %s, not %s", name,
			    f->type == F_DUR ? "duration or size" : "number",
			    raw != NULL ? raw : "a boolean");
		break;
	case F_STRMAP:
	case F_OUTMAP:
		if (!cJSON_IsObject(n))
			break; /* job_from_json names the type */
		for (e = n->child; e != NULL; e = next) {
			next = e->next;
			if (cJSON_IsNull(e) && plain_nonstring(jf, e) != NULL &&
			    *plain_nonstring(jf, e) == '\0') {
				replace_node(jf, n, e, cJSON_CreateString(""));
			} else
				make_literal(jf, n, e, 0);
		}
		break;
	case F_INTLIST:
		break;
	case F_EVENTS:
		if (cJSON_IsArray(n)) {
			for (e = n->child; e != NULL; e = next) {
				next = e->next;
				check_event(jf, name, n, e, p);
			}
		} else
			check_event(jf, name, parent, n, p);
		break;
	case F_SUB:
		check_map(jf, name, f->sub, n, p, NULL);
		break;
	case F_SUBLIST:
		if (!cJSON_IsArray(n))
			break; /* job_from_json names the type */
		/* "notify[1].url", as job_from_json names it too. */
		i = 0;
		cJSON_ArrayForEach(e, n)
		{
			snprintf(iname, sizeof iname, "%s[%zu]", name, i++);
			check_map(jf, iname, f->sub, e, p, NULL);
		}
		break;
	}
}

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
			best = pos_or(jf, c, best);
			c = cJSON_IsArray(c) ? cJSON_GetArrayItem(c, (int)index)
			                     : NULL;
		}
		if (c == NULL)
			break;
		n = c;
		best = pos_or(jf, n, best);
	}
	return best;
}

/* Object keys whose maps a job merges with `defaults:` key by key. */
static int
merged_key(const char *k)
{
	return strcmp(k, "env") == 0 || strcmp(k, "limits") == 0 ||
	    strcmp(k, "dst") == 0 || strcmp(k, "http") == 0;
}

/* DEFAULTS with JOB's keys laid over them; positions kept. */
static cJSON *
merge_defaults(struct jf *jf, const cJSON *defaults, const cJSON *job)
{
	cJSON *m, *cur, *sub;
	const cJSON *e, *s;

	m = defaults != NULL ? jf_dup(jf, defaults, NULL)
	                     : cJSON_CreateObject();
	if (cJSON_GetObjectItemCaseSensitive(job, "schedule") != NULL ||
	    cJSON_GetObjectItemCaseSensitive(job, "schedules") != NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(m, "schedule");
		cJSON_DeleteItemFromObjectCaseSensitive(m, "schedules");
	}
	cJSON_ArrayForEach(e, job)
	{
		cur = cJSON_GetObjectItemCaseSensitive(m, e->string);
		if (cur != NULL && merged_key(e->string) &&
		    cJSON_IsObject(cur) && cJSON_IsObject(e)) {
			cJSON_ArrayForEach(s, e)
			{
				cJSON *was = cJSON_GetObjectItemCaseSensitive(
				    cur, s->string);
				cJSON *now = jf_dup(jf, s, NULL);

				if (was != NULL) {
					free(now->string);
					now->string = xstrdup(s->string);
					cJSON_ReplaceItemViaPointer(
					    cur, was, now);
				} else
					cJSON_AddItemToObject(
					    cur, s->string, now);
			}
			continue;
		}
		sub = jf_dup(jf, e, NULL);
		if (cur != NULL) {
			free(sub->string);
			sub->string = xstrdup(e->string);
			cJSON_ReplaceItemViaPointer(m, cur, sub);
		} else
			cJSON_AddItemToObject(m, e->string, sub);
	}
	return m;
}

/* What a job's field errors need to be placed in the file. */
struct placing {
	struct jf *jf;
	const cJSON *merged;
	const struct jf_pos *at;
};

static int
place_error(void *arg, const char *field, char *cause)
{
	struct placing *pl = arg;

	jf_error(
	    pl->jf, field_pos(pl->jf, pl->merged, field, pl->at), "%s", cause);
	free(cause);
	return 0;
}

/* The line and column of error S, "PATH:LINE:COL: ...", as one number. */
static long long
error_place(const struct jobfile *out, const char *s)
{
	char *end;
	long long line, col;

	line = strtoll(s + strlen(out->path) + 1, &end, 10);
	col = strtoll(end + 1, NULL, 10);
	return line << 32 | col;
}

/*
 * Puts errors FROM.. in file order. A job's errors come from the YAML
 * checks, then from its fields in the order of its map merged with
 * `defaults:`, where a key the job overrides keeps the default's place.
 */
static void
sort_errors(struct jobfile *out, size_t from)
{
	size_t i, j;
	char *e;

	for (i = from + 1; i < out->nerrors; i++) {
		e = out->errors[i];
		for (j = i; j > from &&
		     error_place(out, out->errors[j - 1]) > error_place(out, e);
		     j--)
			out->errors[j] = out->errors[j - 1];
		out->errors[j] = e;
	}
}

/*
 * Checks job SPEC, and unless BAD_DEFAULTS, builds and keeps it. Every
 * error of the job is reported: a key the YAML checks found at fault is
 * not read again, so that it gives one error, not two.
 */
static void
add_job(struct jf *jf, const cJSON *defaults, int bad_defaults, cJSON *spec,
    size_t index)
{
	const struct jf_pos *at = jf_pos(jf, spec);
	struct jf_pos here;
	struct jobfile *out = jf->out;
	struct badkeys bad = { NULL, 0 };
	struct placing pl;
	struct job_each each;
	struct job *job;
	cJSON *merged;
	size_t before = out->nerrors, i;

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
	check_map(jf, "", job_fields, spec, at, &bad);
	if (bad_defaults) {
		badkeys_free(&bad);
		return;
	}
	merged = merge_defaults(jf, defaults, spec);
	pl.jf = jf;
	pl.merged = merged;
	pl.at = at;
	each.error = place_error;
	each.skip = (const char *const *)bad.v;
	each.arg = &pl;
	job = job_from_json_each(merged, NULL, &each);
	badkeys_free(&bad);
	if (job == NULL) {
		sort_errors(out, before);
		cJSON_Delete(merged);
		return;
	}
	if ((jf->flags & JOBFILE_LOCAL_USERS) && job->user != NULL &&
	    getpwnam(job->user) == NULL) {
		jf_error(jf, field_pos(jf, merged, "user", at),
		    "user: no user named \"%s\" on this host", job->user);
		job_free(job);
		cJSON_Delete(merged);
		return;
	}
	for (i = 0; i < out->njobs; i++) {
		if (strcmp(out->jobs[i]->name, job->name) == 0) {
			jf_error(jf, field_pos(jf, merged, "name", at),
			    "name: job \"%s\" is defined twice in this file",
			    job->name);
			job_free(job);
			cJSON_Delete(merged);
			return;
		}
	}
	cJSON_Delete(merged);
	free(job->origin);
	job->origin = xstrdup(out->path);
	out->jobs = xreallocarray(out->jobs, out->njobs + 1, sizeof *out->jobs);
	out->jobs[out->njobs++] = job;
}

void
jf_schema_document(struct jf *jf, cJSON *root, int flags)
{
	static const struct field top[] = { { "jobs", F_STR, NULL },
		{ "defaults", F_STR, NULL }, { NULL, F_STR, NULL } };
	const struct jf_pos *at = jf_pos(jf, root);
	cJSON *jobs, *defaults, *e;
	const char *hint;
	struct jf_pos kb;
	size_t i = 0, before;
	int bad_defaults;

	if (root == NULL || cJSON_IsNull(root))
		return; /* an empty file defines no jobs */
	if (!cJSON_IsObject(root)) {
		jf_error(jf, at, "expected a map with a jobs: list");
		return;
	}
	if ((flags & JOBFILE_ONE_JOB) &&
	    cJSON_GetObjectItemCaseSensitive(root, "jobs") == NULL) {
		add_job(jf, NULL, 0, root, 0);
		return;
	}
	cJSON_ArrayForEach(e, root)
	{
		if (field_find(top, e->string) != NULL)
			continue;
		if ((hint = suggest(e->string, top)) != NULL)
			jf_error(jf, key_or(jf, e, at, &kb),
			    "%s: unknown key; did you mean %s?", e->string,
			    hint);
		else
			jf_error(jf, key_or(jf, e, at, &kb),
			    "%s: unknown key (a job file holds jobs: and "
			    "defaults:)",
			    e->string);
	}
	defaults = cJSON_GetObjectItemCaseSensitive(root, "defaults");
	if (defaults != NULL && cJSON_IsNull(defaults))
		defaults = NULL;
	before = jf->out->nerrors;
	if (defaults != NULL) {
		check_map(jf, "defaults", job_fields, defaults, at, NULL);
		if (cJSON_GetObjectItemCaseSensitive(defaults, "name") != NULL)
			jf_error(jf,
			    pos_or(jf,
			        cJSON_GetObjectItemCaseSensitive(
			            defaults, "name"),
			        at),
			    "defaults.name: every job needs its own name");
	}
	bad_defaults = jf->out->nerrors != before;
	jobs = cJSON_GetObjectItemCaseSensitive(root, "jobs");
	if (jobs == NULL || cJSON_IsNull(jobs))
		return;
	if (!cJSON_IsArray(jobs)) {
		jf_error(jf, pos_or(jf, jobs, at),
		    "jobs: expected a list of jobs (- name: ...)");
		return;
	}
	cJSON_ArrayForEach(e, jobs)
	{
		add_job(jf, defaults, bad_defaults, e, i++);
	}
}
