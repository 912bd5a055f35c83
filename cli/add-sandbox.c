/* SPDX-License-Identifier: ISC */
/*
 * The isolation flags of `cronq add`, and --retries. Each value is checked
 * here by the job model itself (lib/job.c, lib/job-sandbox.c) on a
 * one-field job, so the flag, the job file and the daemon accept exactly
 * the same texts and a bad value is reported under the flag's name before
 * anything is sent.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "add-sandbox.h"
#include "cli.h"
#include "job.h"
#include "xmalloc.h"

enum shape {
	SHAPE_VALUE, /* the text, a number when it is a whole number */
	SHAPE_TRUE,  /* a switch that sets true */
	SHAPE_FALSE, /* a switch that sets false */
	SHAPE_LIST,  /* repeatable: appended to a list */
	SHAPE_KEYVAL /* repeatable NAME=VALUE: the map's NAME */
};

static const struct flag {
	int ch;
	const char *name; /* without the "--" */
	const char *map;  /* "limits", "sandbox", or NULL: the job itself */
	const char *sub;  /* a map inside it, or NULL */
	const char *key;  /* NULL for SHAPE_KEYVAL */
	enum shape shape;
} flags[] = {
	{ 'r', "retries", NULL, NULL, "retries", SHAPE_VALUE },
	{ ADD_SB_NICE, "nice", "sandbox", NULL, "nice", SHAPE_VALUE },
	{ ADD_SB_IOPRIO, "ioprio", "sandbox", NULL, "ioprio", SHAPE_VALUE },
	{ ADD_SB_RLIMIT, "rlimit", "limits", NULL, NULL, SHAPE_KEYVAL },
	{ ADD_SB_PRIVATE_TMP, "private-tmp", "sandbox", NULL, "private_tmp",
	    SHAPE_TRUE },
	{ ADD_SB_PROTECT_SYSTEM, "protect-system", "sandbox", NULL,
	    "protect_system", SHAPE_TRUE },
	{ ADD_SB_NO_NETWORK, "no-network", "sandbox", NULL, "network",
	    SHAPE_FALSE },
	{ ADD_SB_RO_PATH, "read-only-path", "sandbox", NULL, "read_only_paths",
	    SHAPE_LIST },
	{ ADD_SB_RW_PATH, "read-write-path", "sandbox", NULL,
	    "read_write_paths", SHAPE_LIST },
	{ ADD_SB_MEMORY_MAX, "memory-max", "sandbox", NULL, "memory_max",
	    SHAPE_VALUE },
	{ ADD_SB_PIDS_MAX, "pids-max", "sandbox", NULL, "pids_max",
	    SHAPE_VALUE },
	{ ADD_SB_CPU_MAX, "cpu-max", "sandbox", NULL, "cpu_max", SHAPE_VALUE },
	{ ADD_SB_SECCOMP_DEFAULT, "seccomp-default", "sandbox", "seccomp",
	    "default", SHAPE_VALUE },
	{ ADD_SB_SECCOMP_ACTION, "seccomp-action", "sandbox", "seccomp",
	    "action", SHAPE_VALUE },
	{ ADD_SB_SECCOMP_DENY, "seccomp-deny", "sandbox", "seccomp", "deny",
	    SHAPE_LIST },
	{ ADD_SB_SECCOMP_ALLOW, "seccomp-allow", "sandbox", "seccomp", "allow",
	    SHAPE_LIST },
};

/* What `show` leaves out: the values of a job that sets nothing. */
static const char show_defaults[] =
    "{\"private_tmp\": false, \"protect_system\": false, \"network\": true,"
    " \"seccomp\": {\"default\": \"deny-list\", \"action\": \"errno\"}}";

/* ARG as JSON: a whole number goes as a number, the rest as text. */
static cJSON *
value_of(const char *arg)
{
	char *end;
	long long n;

	n = strtoll(arg, &end, 10);
	if (*arg == '\0' || *end != '\0')
		return cJSON_CreateString(arg);
	if (n > -(1LL << 53) && n < 1LL << 53)
		return cJSON_CreateNumber((double)n);
	/* Too big to be exact, but a number: the range error names it. */
	return cJSON_CreateNumber(strtod(arg, NULL));
}

/* PARENT[NAME] as an object, made when absent. */
static cJSON *
object_in(cJSON *parent, const char *name)
{
	cJSON *o;

	o = cJSON_GetObjectItemCaseSensitive(parent, name);
	if (!cJSON_IsObject(o)) {
		cJSON_DeleteItemFromObjectCaseSensitive(parent, name);
		o = cJSON_AddObjectToObject(parent, name);
	}
	return o;
}

/* Stores VAL (taken) at F's place in BODY under KEY. */
static void
store(cJSON *body, const struct flag *f, const char *key, cJSON *val)
{
	cJSON *o, *list;

	o = f->map != NULL ? object_in(body, f->map) : body;
	if (f->sub != NULL)
		o = object_in(o, f->sub);
	if (f->shape != SHAPE_LIST) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, key);
		cJSON_AddItemToObject(o, key, val);
		return;
	}
	list = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsArray(list))
		list = cJSON_AddArrayToObject(o, key);
	cJSON_AddItemToArray(list, val);
}

/* The job model's verdict on VAL at F's place; NULL or the message. */
static char *
check(const struct flag *f, const char *key, const cJSON *val)
{
	struct job *job;
	const char *field = NULL;
	char *cause = NULL, *msg;
	cJSON *probe;
	size_t n;

	probe = cJSON_CreateObject();
	cJSON_AddStringToObject(probe, "name", "cli-check");
	cJSON_AddStringToObject(probe, "command", "true");
	store(probe, f, key, cJSON_Duplicate(val, 1));
	job = job_from_json(probe, NULL, &field, &cause);
	cJSON_Delete(probe);
	if (job != NULL) {
		job_free(job);
		return NULL;
	}
	/* The flag names the field already: keep what follows it. */
	n = field != NULL ? strlen(field) : 0;
	if (cause != NULL && n > 0 && strncmp(cause, field, n) == 0 &&
	    strncmp(cause + n, ": ", 2) == 0) {
		msg = xstrdup(cause + n + 2);
		free(cause);
		return msg;
	}
	return cause != NULL ? cause : xstrdup("invalid");
}

int
add_sandbox_option(int ch, const char *arg, cJSON *body)
{
	const struct flag *f = NULL;
	const char *key, *eq = NULL;
	char *name = NULL, *why;
	cJSON *val;
	size_t i;
	int rc = -1;

	for (i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		if (flags[i].ch == ch)
			f = &flags[i];
	}
	if (f == NULL)
		return cli_usage(&cmd_add, "unknown option");
	key = f->key;
	switch (f->shape) {
	case SHAPE_TRUE:
	case SHAPE_FALSE:
		store(body, f, key, cJSON_CreateBool(f->shape == SHAPE_TRUE));
		return -1;
	case SHAPE_KEYVAL:
		if ((eq = strchr(arg, '=')) == NULL || eq == arg)
			return cli_usage(&cmd_add,
			    "--%s \"%s\": expected NAME=VALUE (NAME one of "
			    "cpu, memory, nofile, nproc, fsize, core)",
			    f->name, arg);
		key = name = xstrndup(arg, eq - arg);
		val = value_of(eq + 1);
		break;
	case SHAPE_LIST:
		val = cJSON_CreateString(arg);
		break;
	default:
		val = value_of(arg);
		break;
	}
	if ((why = check(f, key, val)) != NULL) {
		rc = cli_usage(&cmd_add, "--%s \"%s\": %s", f->name, arg, why);
		free(why);
		cJSON_Delete(val);
	} else
		store(body, f, key, val);
	free(name);
	return rc;
}

/* E, the field KEY ("limits.cpu") of a map, in the units people use. */
static void
show_value(char *buf, size_t len, const char *key, const cJSON *e)
{
	static const char *const sizes[] = { "limits.memory", "limits.fsize",
		"limits.core", "sandbox.memory_max", NULL };
	size_t i;

	if (cJSON_IsNumber(e) && strcmp(key, "limits.cpu") == 0) {
		print_span(buf, len, (int64_t)e->valuedouble);
		return;
	}
	for (i = 0; cJSON_IsNumber(e) && sizes[i] != NULL; i++)
		if (strcmp(key, sizes[i]) == 0) {
			print_size(buf, len, (int64_t)e->valuedouble);
			return;
		}
	print_value(buf, len, e);
}

/* Hands the fields of V below PREFIX that differ from DFLT to EMIT. */
static int
show_map(const char *prefix, const cJSON *v, const cJSON *dflt,
    void (*emit)(void *, const char *, const char *), void *arg)
{
	const cJSON *e, *d;
	char key[96], buf[4096];
	int n = 0;

	cJSON_ArrayForEach(e, v)
	{
		snprintf(key, sizeof key, "%s.%s", prefix, e->string);
		d = cJSON_GetObjectItemCaseSensitive(dflt, e->string);
		if (cJSON_IsObject(e)) {
			n += show_map(key, e, d, emit, arg);
			continue;
		}
		if ((d != NULL && cJSON_Compare(e, d, 1)) ||
		    (cJSON_IsArray(e) && e->child == NULL) || cJSON_IsNull(e))
			continue;
		show_value(buf, sizeof buf, key, e);
		emit(arg, key, buf);
		n++;
	}
	return n;
}

int
add_sandbox_show(const cJSON *v,
    void (*emit)(void *arg, const char *key, const char *value), void *arg)
{
	cJSON *dflt;
	int n;

	if (!cJSON_IsObject(v) ||
	    (strcmp(v->string, "limits") != 0 &&
	        strcmp(v->string, "sandbox") != 0))
		return 0;
	dflt = cJSON_Parse(show_defaults);
	n = show_map(v->string, v, dflt, emit, arg);
	cJSON_Delete(dflt);
	if (n == 0)
		emit(arg, v->string, "-");
	return 1;
}
