/* SPDX-License-Identifier: ISC */
/*
 * The `sandbox` map of a job: defaults, JSON in and out, and the checks
 * that need no knowledge of the machine (system call names are checked
 * for shape here and resolved by the daemon). Every rejection names the
 * field, as job.c does.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "job-sandbox.h"
#include "job.h"
#include "util.h"
#include "xmalloc.h"

#define SB_LIST_MAX 256
#define SB_PATH_MAX 4096

static const char *ioprio_names[] = { "", "realtime", "best-effort", "idle" };

/* The field being read, for every message. */
struct sbp {
	char field[64];
	char **cause;
};

static void
strv_clear(char ***v, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
}

static char **
strv_copy(char *const *v, size_t n)
{
	char **out;
	size_t i;

	if (n == 0)
		return NULL;
	out = xcalloc(n + 1, sizeof *out);
	for (i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

void
job_sandbox_init(struct job_sandbox *sb)
{
	memset(sb, 0, sizeof *sb);
	sb->nice = JOB_NICE_UNSET;
	sb->network = 1;
	sb->memory_max = sb->pids_max = sb->cpu_max = -1;
}

void
job_sandbox_clear(struct job_sandbox *sb)
{
	strv_clear(&sb->seccomp_deny, &sb->nseccomp_deny);
	strv_clear(&sb->seccomp_allow, &sb->nseccomp_allow);
	strv_clear(&sb->read_only_paths, &sb->nread_only_paths);
	strv_clear(&sb->read_write_paths, &sb->nread_write_paths);
}

void
job_sandbox_copy(struct job_sandbox *dst, const struct job_sandbox *src)
{
	*dst = *src;
	dst->seccomp_deny = strv_copy(src->seccomp_deny, src->nseccomp_deny);
	dst->seccomp_allow = strv_copy(src->seccomp_allow, src->nseccomp_allow);
	dst->read_only_paths =
	    strv_copy(src->read_only_paths, src->nread_only_paths);
	dst->read_write_paths =
	    strv_copy(src->read_write_paths, src->nread_write_paths);
}

/* A system call name: lower-case letters, digits and underscores. */
static int
syscall_name_ok(const char *s)
{
	return s[0] != '\0' && strlen(s) < 64 &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

/* KIND 0: system call names; 1: absolute paths. */
static int
get_list(struct sbp *p, const cJSON *v, int kind, char ***out, size_t *nout)
{
	const cJSON *e;
	char **list;
	size_t n = 0, i = 0;
	char what[JOB_WHAT_MAX];

	if (!cJSON_IsArray(v))
		return job_fail_type(p->cause, p->field,
		    kind == 0 ? "a list of system call names"
		              : "a list of absolute paths",
		    v);
	cJSON_ArrayForEach(e, v)
	{
		if (!cJSON_IsString(e))
			return job_fail(p->cause, p->field,
			    "element %zu: expected a string, not %s", n,
			    job_what(e, what, sizeof what));
		if (kind == 0 && !syscall_name_ok(e->valuestring))
			return job_fail(p->cause, p->field,
			    "\"%s\" is not a system call name", e->valuestring);
		if (kind == 1 &&
		    (e->valuestring[0] != '/' ||
		        strlen(e->valuestring) >= SB_PATH_MAX ||
		        strstr(e->valuestring, "/../") != NULL ||
		        strcmp(e->valuestring, "/") == 0))
			return job_fail(p->cause, p->field,
			    "\"%s\" is not an absolute path below /",
			    e->valuestring);
		n++;
	}
	if (n > SB_LIST_MAX)
		return job_fail(
		    p->cause, p->field, "at most %d entries", SB_LIST_MAX);
	list = xcalloc(n + 1, sizeof *list);
	cJSON_ArrayForEach(e, v) list[i++] = xstrdup(e->valuestring);
	strv_clear(out, nout);
	*out = list;
	*nout = n;
	return 0;
}

/* "idle", "best-effort", "best-effort:4", "realtime:0". */
static int
get_ioprio(struct sbp *p, const cJSON *v, struct job_sandbox *sb)
{
	const char *s, *colon;
	size_t len;
	int c;

	if (!cJSON_IsString(v))
		return job_fail(p->cause, p->field,
		    "expected \"idle\", \"best-effort[:0-7]\" "
		    "or \"realtime[:0-7]\"");
	s = v->valuestring;
	colon = strchr(s, ':');
	len = colon != NULL ? (size_t)(colon - s) : strlen(s);
	for (c = 1; c < 4; c++) {
		if (strlen(ioprio_names[c]) == len &&
		    strncmp(s, ioprio_names[c], len) == 0)
			break;
	}
	if (c == 4 ||
	    (colon != NULL &&
	        (c == JOB_IOPRIO_IDLE || colon[1] < '0' || colon[1] > '7' ||
	            colon[2] != '\0')))
		return job_fail(p->cause, p->field,
		    "\"%s\" is not idle, best-effort[:0-7] or "
		    "realtime[:0-7]",
		    s);
	sb->ioprio_class = (enum job_ioprio_class)c;
	sb->ioprio_level = colon != NULL ? colon[1] - '0' : 4;
	return 0;
}

static int
get_seccomp(struct sbp *p, const cJSON *v, struct job_sandbox *sb)
{
	const cJSON *e;

	if (!cJSON_IsObject(v))
		return job_fail_type(p->cause, p->field, "a map", v);
	cJSON_ArrayForEach(e, v)
	{
		snprintf(p->field, sizeof p->field, "sandbox.seccomp.%.30s",
		    e->string);
		if (strcmp(e->string, "default") == 0) {
			if (!cJSON_IsString(e) ||
			    (strcmp(e->valuestring, "deny-list") != 0 &&
			        strcmp(e->valuestring, "none") != 0))
				return job_fail(p->cause, p->field,
				    "expected deny-list or none");
			sb->seccomp_default =
			    strcmp(e->valuestring, "none") == 0
			    ? JOB_SECCOMP_NONE
			    : JOB_SECCOMP_DENY_LIST;
		} else if (strcmp(e->string, "action") == 0) {
			if (!cJSON_IsString(e) ||
			    (strcmp(e->valuestring, "errno") != 0 &&
			        strcmp(e->valuestring, "kill") != 0))
				return job_fail(p->cause, p->field,
				    "expected errno or kill");
			sb->seccomp_action = strcmp(e->valuestring, "kill") == 0
			    ? JOB_SECCOMP_KILL
			    : JOB_SECCOMP_ERRNO;
		} else if (strcmp(e->string, "deny") == 0) {
			if (get_list(p, e, 0, &sb->seccomp_deny,
			        &sb->nseccomp_deny) == -1)
				return -1;
		} else if (strcmp(e->string, "allow") == 0) {
			if (get_list(p, e, 0, &sb->seccomp_allow,
			        &sb->nseccomp_allow) == -1)
				return -1;
		} else {
			strlcpy(p->field, "sandbox.seccomp", sizeof p->field);
			return job_fail(p->cause, p->field,
			    "unknown key \"%s\" (expected default, "
			    "action, deny or allow)",
			    e->string);
		}
	}
	return 0;
}

/* cpu_max: a percentage of one CPU, 150 or "150%". */
static int
get_cpu_max(struct sbp *p, const cJSON *v, int64_t *out)
{
	char *end;
	long n;

	if (cJSON_IsNumber(v))
		return job_get_int(p->cause, p->field, v, 1, 100000, out);
	if (!cJSON_IsString(v))
		return job_fail(p->cause, p->field,
		    "expected a percentage such as \"50%%\"");
	n = strtol(v->valuestring, &end, 10);
	if (end == v->valuestring || strcmp(end, "%") != 0 || n < 1 ||
	    n > 100000)
		return job_fail(p->cause, p->field,
		    "\"%s\" is not a percentage 1%%-100000%%", v->valuestring);
	*out = n;
	return 0;
}

static int
get_size_field(struct sbp *p, const cJSON *v, int64_t *out)
{
	char *why = NULL;
	uint64_t b;

	if (cJSON_IsNumber(v))
		return job_get_int(
		    p->cause, p->field, v, 1, (int64_t)1 << 62, out);
	if (!cJSON_IsString(v))
		return job_fail(
		    p->cause, p->field, "expected a size (bytes or \"512M\")");
	if (util_parse_size(v->valuestring, &b, &why) == -1) {
		job_fail(
		    p->cause, p->field, "%s", why != NULL ? why : "bad size");
		free(why);
		return -1;
	}
	if (b == 0 || b > (uint64_t)1 << 62)
		return job_fail(
		    p->cause, p->field, "must be between 1 byte and 4E");
	*out = (int64_t)b;
	return 0;
}

static int
sandbox_set(struct sbp *p, const cJSON *e, struct job_sandbox *sb)
{
	const char *k = e->string;
	int64_t n;

	snprintf(p->field, sizeof p->field, "sandbox.%.40s", k);
	if (strcmp(k, "nice") == 0) {
		if (job_get_int(p->cause, p->field, e, -20, 19, &n) == -1)
			return -1;
		sb->nice = (int)n;
	} else if (strcmp(k, "ioprio") == 0)
		return get_ioprio(p, e, sb);
	else if (strcmp(k, "seccomp") == 0)
		return get_seccomp(p, e, sb);
	else if (strcmp(k, "private_tmp") == 0)
		return job_get_bool(p->cause, p->field, e, &sb->private_tmp);
	else if (strcmp(k, "protect_system") == 0)
		return job_get_bool(p->cause, p->field, e, &sb->protect_system);
	else if (strcmp(k, "network") == 0)
		return job_get_bool(p->cause, p->field, e, &sb->network);
	else if (strcmp(k, "read_only_paths") == 0)
		return get_list(
		    p, e, 1, &sb->read_only_paths, &sb->nread_only_paths);
	else if (strcmp(k, "read_write_paths") == 0)
		return get_list(
		    p, e, 1, &sb->read_write_paths, &sb->nread_write_paths);
	else if (strcmp(k, "memory_max") == 0)
		return get_size_field(p, e, &sb->memory_max);
	else if (strcmp(k, "pids_max") == 0)
		return job_get_int(
		    p->cause, p->field, e, 1, 4194304, &sb->pids_max);
	else if (strcmp(k, "cpu_max") == 0)
		return get_cpu_max(p, e, &sb->cpu_max);
	else {
		strlcpy(p->field, "sandbox", sizeof p->field);
		return job_fail(p->cause, p->field,
		    "unknown key \"%s\" (expected nice, ioprio, seccomp, "
		    "private_tmp, protect_system, network, read_only_paths, "
		    "read_write_paths, memory_max, pids_max or cpu_max)",
		    k);
	}
	return 0;
}

int
job_sandbox_parse(
    const cJSON *v, struct job_sandbox *sb, const char **field, char **cause)
{
	static _Thread_local struct sbp p;
	const cJSON *e;

	p.cause = cause;
	strlcpy(p.field, "sandbox", sizeof p.field);
	*field = p.field;
	if (cJSON_IsNull(v)) {
		job_sandbox_clear(sb);
		job_sandbox_init(sb);
		return 0;
	}
	if (!cJSON_IsObject(v))
		return job_fail_type(p.cause, p.field, "a map", v);
	cJSON_ArrayForEach(e, v)
	{
		if (sandbox_set(&p, e, sb) == -1)
			return -1;
	}
	return 0;
}

static cJSON *
strv_to_json(char *const *v, size_t n)
{
	cJSON *a;
	size_t i;

	a = cJSON_CreateArray();
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

cJSON *
job_sandbox_to_json(const struct job_sandbox *sb)
{
	cJSON *o, *s;
	char buf[32];

	o = cJSON_CreateObject();
	if (sb->nice != JOB_NICE_UNSET)
		cJSON_AddNumberToObject(o, "nice", sb->nice);
	if (sb->ioprio_class == JOB_IOPRIO_IDLE)
		cJSON_AddStringToObject(o, "ioprio", "idle");
	else if (sb->ioprio_class != JOB_IOPRIO_UNSET) {
		snprintf(buf, sizeof buf, "%s:%d",
		    ioprio_names[sb->ioprio_class], sb->ioprio_level);
		cJSON_AddStringToObject(o, "ioprio", buf);
	}
	s = cJSON_AddObjectToObject(o, "seccomp");
	cJSON_AddStringToObject(s, "default",
	    sb->seccomp_default == JOB_SECCOMP_NONE ? "none" : "deny-list");
	cJSON_AddStringToObject(s, "action",
	    sb->seccomp_action == JOB_SECCOMP_KILL ? "kill" : "errno");
	cJSON_AddItemToObject(
	    s, "deny", strv_to_json(sb->seccomp_deny, sb->nseccomp_deny));
	cJSON_AddItemToObject(
	    s, "allow", strv_to_json(sb->seccomp_allow, sb->nseccomp_allow));
	cJSON_AddBoolToObject(o, "private_tmp", sb->private_tmp);
	cJSON_AddBoolToObject(o, "protect_system", sb->protect_system);
	cJSON_AddBoolToObject(o, "network", sb->network);
	cJSON_AddItemToObject(o, "read_only_paths",
	    strv_to_json(sb->read_only_paths, sb->nread_only_paths));
	cJSON_AddItemToObject(o, "read_write_paths",
	    strv_to_json(sb->read_write_paths, sb->nread_write_paths));
	if (sb->memory_max >= 0)
		cJSON_AddNumberToObject(
		    o, "memory_max", (double)sb->memory_max);
	if (sb->pids_max >= 0)
		cJSON_AddNumberToObject(o, "pids_max", (double)sb->pids_max);
	if (sb->cpu_max >= 0)
		cJSON_AddNumberToObject(o, "cpu_max", (double)sb->cpu_max);
	return o;
}

int
job_sandbox_wants_namespaces(const struct job_sandbox *sb)
{
	return sb->private_tmp || sb->protect_system || !sb->network ||
	    sb->nread_only_paths > 0 || sb->nread_write_paths > 0;
}

int
job_sandbox_wants_cgroup(const struct job_sandbox *sb)
{
	return sb->memory_max >= 0 || sb->pids_max >= 0 || sb->cpu_max >= 0;
}

const char *
job_ioprio_class_name(enum job_ioprio_class c)
{
	return c == JOB_IOPRIO_UNSET ? "none" : ioprio_names[c];
}
