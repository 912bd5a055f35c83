/* SPDX-License-Identifier: ISC */
/*
 * The job-file schema: the fields a job has, which YAML scalars a field
 * takes literally, where the YAML 1.1 traps matter, and unknown keys with
 * a suggestion. What the schema leaves is read by job_from_json, the one
 * set of field rules the API uses too (jobfile-jobs.c).
 */
#include "config.h"

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

const struct jf_pos *
jf_pos_or(const struct jf *jf, const cJSON *n, const struct jf_pos *dflt)
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
	const struct jf_pos *p = jf_pos_or(jf, n, at);
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
	const struct jf_pos *p = jf_pos_or(jf, n, at);
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

void
jf_badkeys_add(struct jf_badkeys *bad, const char *key)
{
	bad->v = xreallocarray(bad->v, bad->n + 2, sizeof *bad->v);
	bad->v[bad->n++] = xstrdup(key);
	bad->v[bad->n] = NULL;
}

void
jf_badkeys_free(struct jf_badkeys *bad)
{
	size_t i;

	for (i = 0; i < bad->n; i++)
		free(bad->v[i]);
	free(bad->v);
}

int
jf_badkeys_listed(const struct jf_badkeys *bad, const char *key)
{
	size_t i;

	for (i = 0; i < bad->n; i++) {
		if (strcmp(bad->v[i], key) == 0)
			return 1;
	}
	return 0;
}

/*
 * Checks MAP's keys against TABLE; BAD (if set) gets those at fault, but
 * KEPT (if set) those whose errors were all in members taken out of their
 * map (check_sub): what is left of them is still to be read.
 */
static void
check_map(struct jf *jf, const char *prefix, const struct field *table,
    cJSON *map, const struct jf_pos *at, struct jf_badkeys *bad,
    struct jf_badkeys *kept)
{
	const struct field *f;
	const char *hint;
	char name[96];
	cJSON *e, *next;
	struct jf_pos kb;
	char hint_key[32];
	size_t before, pruned, len;

	at = jf_pos_or(jf, map, at);
	if (!cJSON_IsObject(map)) {
		jf_error(jf, at, "%s: expected a map of keys", prefix);
		return;
	}
	for (e = map->child; e != NULL; e = next) {
		next = e->next;
		before = jf->out->nerrors;
		pruned = jf->npruned;
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
					jf_badkeys_add(bad, hint_key);
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
		if (bad == NULL || jf->out->nerrors == before)
			continue;
		if (kept != NULL &&
		    jf->out->nerrors - before == jf->npruned - pruned)
			jf_badkeys_add(kept, name);
		else
			jf_badkeys_add(bad, name);
	}
}

/*
 * Checks map N of field NAME against TABLE, then takes its members at
 * fault out, so that job_from_json reads the others and reports their own
 * errors too, rather than the whole map standing for its first mistake.
 */
static void
check_sub(struct jf *jf, const char *name, const struct field *table, cJSON *n,
    const struct jf_pos *p)
{
	struct jf_badkeys bad = { NULL, 0 }, kept = { NULL, 0 };
	size_t before = jf->out->nerrors, pruned = jf->npruned, i;
	size_t len = strlen(name);
	cJSON *e;

	check_map(jf, name, table, n, p, &bad, &kept);
	if (cJSON_IsObject(n)) {
		for (i = 0; i < bad.n; i++) {
			if (strncmp(bad.v[i], name, len) != 0 ||
			    bad.v[i][len] != '.')
				continue;
			e = cJSON_DetachItemFromObjectCaseSensitive(
			    n, bad.v[i] + len + 1);
			if (e != NULL)
				cJSON_AddItemToArray(jf->pruned, e);
		}
		jf->npruned = pruned + (jf->out->nerrors - before);
	}
	jf_badkeys_free(&bad);
	jf_badkeys_free(&kept);
}

static void
check_value(struct jf *jf, const char *name, const struct field *f,
    cJSON *parent, cJSON *n, const struct jf_pos *at)
{
	const struct jf_pos *p = jf_pos_or(jf, n, at);
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
		/* Else job_from_json names what was given instead. */
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
		check_sub(jf, name, f->sub, n, p);
		break;
	case F_SUBLIST:
		if (!cJSON_IsArray(n))
			break; /* job_from_json names the type */
		/* "notify[1].url", as job_from_json names it too. */
		i = 0;
		cJSON_ArrayForEach(e, n)
		{
			snprintf(iname, sizeof iname, "%s[%zu]", name, i++);
			check_sub(jf, iname, f->sub, e, p);
		}
		break;
	}
}

void
jf_check_job(struct jf *jf, const char *prefix, cJSON *map,
    const struct jf_pos *at, struct jf_badkeys *bad, struct jf_badkeys *kept)
{
	check_map(jf, prefix, job_fields, map, at, bad, kept);
}

void
jf_check_top(struct jf *jf, const cJSON *root, const struct jf_pos *at)
{
	static const struct field top[] = { { "jobs", F_STR, NULL },
		{ "defaults", F_STR, NULL }, { NULL, F_STR, NULL } };
	const cJSON *e;
	const char *hint;
	struct jf_pos kb;

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
}
