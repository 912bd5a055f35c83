/* SPDX-License-Identifier: ISC */
/*
 * cronq show and cronq history: a job's fields as words (durations as
 * "10min", commands as a shell would write them), one per line, and what
 * each of its versions changed.
 */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "add-sandbox.h"
#include "cli.h"
#include "client.h"
#include "xmalloc.h"

static int cmd_show_exec(const struct cli_opts *, int, char **);
static int cmd_history_exec(const struct cli_opts *, int, char **);

const struct cli_cmd cmd_show = { "show", "show NAME",
	"show every field of a job", cmd_show_exec };
const struct cli_cmd cmd_history = { "history", "history NAME",
	"list a job's versions and what each changed", cmd_history_exec };

/* The value of KEY in JOB as `show` prints it. */
static void
cmd_show_value(char *buf, size_t len, const cJSON *job, const cJSON *v)
{
	static const char *const spans[] = { "timeout", "kill_grace",
		"retry_backoff", "retry_backoff_max", "jitter", "late_after",
		"expected_duration", NULL };
	const char *key = v->string;
	const cJSON *e;
	const struct passwd *pw;
	char t[64];
	long long n;
	size_t i;

	if (strcmp(key, "command") == 0 && cJSON_IsArray(v)) {
		buf[0] = '\0';
		cJSON_ArrayForEach(e, v)
		{
			if (e != v->child)
				strlcat(buf, " ", len);
			cmd_jobs_quote(
			    buf, len, cJSON_IsString(e) ? e->valuestring : "");
		}
		return;
	}
	if (cJSON_IsObject(v) && v->child == NULL) {
		strlcpy(buf, "-", len);
		return;
	}
	/* The environment as it would be typed after --env. */
	if (strcmp(key, "env") == 0 && cJSON_IsObject(v)) {
		buf[0] = '\0';
		cJSON_ArrayForEach(e, v)
		{
			if (e != v->child)
				strlcat(buf, " ", len);
			strlcat(buf, e->string, len);
			strlcat(buf, "=", len);
			cmd_jobs_quote(
			    buf, len, cJSON_IsString(e) ? e->valuestring : "");
		}
		return;
	}
	/*
	 * Maps of words, as a job file lists them: on_exit as "75: retry,
	 * 3: skip", dst as "gap next, repeat first".
	 */
	if ((strcmp(key, "on_exit") == 0 || strcmp(key, "dst") == 0) &&
	    cJSON_IsObject(v)) {
		buf[0] = '\0';
		cJSON_ArrayForEach(e, v)
		{
			if (e != v->child)
				strlcat(buf, ", ", len);
			strlcat(buf, e->string, len);
			strlcat(
			    buf, strcmp(key, "on_exit") == 0 ? ": " : " ", len);
			print_value(t, sizeof t, e);
			strlcat(buf, t, len);
		}
		return;
	}
	if (show_ext_line(buf, len, v) == 0)
		return;
	if (strcmp(key, "last_run") == 0 && cJSON_IsObject(v)) {
		print_time(t, sizeof t, print_json_time(v, "started_at"));
		print_int(v, "id", &n);
		snprintf(buf, len, "run %lld %s, %s", n,
		    print_str(v, "state", "?"), t);
		if (print_int(v, "exit_code", &n) == 0)
			snprintf(buf + strlen(buf), len - strlen(buf),
			    " (exit %lld)", n);
		return;
	}
	if ((strcmp(key, "next_run") == 0 || strcmp(key, "created_at") == 0 ||
	        strcmp(key, "updated_at") == 0) &&
	    cJSON_IsString(v)) {
		print_time(buf, len, print_json_time(job, key));
		return;
	}
	/* The name too, as ls -l would; a uid unknown here stays bare. */
	if (strcmp(key, "owner") == 0 && print_int(job, key, &n) == 0) {
		if ((pw = getpwuid((uid_t)n)) != NULL)
			snprintf(buf, len, "%lld (%s)", n, pw->pw_name);
		else
			snprintf(buf, len, "%lld", n);
		return;
	}
	/* A zone the job does not set is the daemon's, and may change. */
	if (strcmp(key, "timezone") == 0 && cJSON_IsString(v) &&
	    cJSON_IsFalse(
	        cJSON_GetObjectItemCaseSensitive(job, "timezone_set"))) {
		snprintf(buf, len, "%s (the daemon's)", v->valuestring);
		return;
	}
	/*
	 * A timeout of 0 is none at all, not an instant one; an http request
	 * still ends after its own default (httpjob.c).
	 */
	if (strcmp(key, "timeout") == 0 && print_int(job, key, &n) == 0 &&
	    n == 0) {
		strlcpy(buf,
		    strcmp(print_str(job, "kind", ""), "http") == 0
		        ? "none (the request's own: 5min)"
		        : "none",
		    len);
		return;
	}
	for (i = 0; spans[i] != NULL; i++)
		if (strcmp(key, spans[i]) == 0 &&
		    print_int(job, key, &n) == 0) {
			print_span(buf, len, n);
			return;
		}
	if (strcmp(key, "max_output") == 0 && print_int(job, key, &n) == 0) {
		print_size(buf, len, n);
		return;
	}
	print_value(buf, len, v);
}

/* The lines of show, kept until the widest key is known. */
struct show_lines {
	char **key, **value;
	size_t n, size;
};

static void
show_add(void *arg, const char *key, const char *value)
{
	struct show_lines *sl = arg;

	if (sl->n == sl->size) {
		sl->size = sl->size ? sl->size * 2 : 64;
		sl->key = xreallocarray(sl->key, sl->size, sizeof *sl->key);
		sl->value =
		    xreallocarray(sl->value, sl->size, sizeof *sl->value);
	}
	xasprintf(&sl->key[sl->n], "%s:", key);
	sl->value[sl->n++] = xstrdup(value);
}

/*
 * Prints the lines, the values in one column past the widest key (and
 * never left of where the common fields put it).
 */
static void
show_print(struct show_lines *sl)
{
	size_t i, w = 19;

	for (i = 0; i < sl->n; i++)
		if (strlen(sl->key[i]) > w)
			w = strlen(sl->key[i]);
	for (i = 0; i < sl->n; i++) {
		printf("%-*s %s\n", (int)w, sl->key[i], sl->value[i]);
		free(sl->key[i]);
		free(sl->value[i]);
	}
	free(sl->key);
	free(sl->value);
}

/*
 * After "no job named NAME": a job that was removed still has its
 * versions, and rollback brings it back; say so.
 */
static void
show_removed_hint(const struct cli_opts *opts, const char *name)
{
	struct client *c;
	cJSON *resp = NULL;
	char *path, *e, *cause = NULL;
	int rc;

	if ((c = cli_connect(opts, &rc)) == NULL)
		return;
	e = client_escape(name);
	xasprintf(&path, "/jobs/%s/versions", e);
	if (client_call(c, "GET", path, NULL, &resp, NULL, &cause) ==
	        CQ_EXIT_OK &&
	    cJSON_GetArraySize(
	        cJSON_GetObjectItemCaseSensitive(resp, "versions")) > 0)
		cli_error("hint: it was removed; cronq history %s shows its "
		          "versions, cronq rollback %s brings it back",
		    name, name);
	free(cause);
	cJSON_Delete(resp);
	free(path);
	free(e);
	client_free(c);
}

static int
cmd_show_exec(const struct cli_opts *opts, int argc, char **argv)
{
	/* The fields people look for first, then the rest as they come. */
	static const char *const first[] = { "name", "kind", "command",
		"schedules", "timezone", "paused", "next_run", "last_run",
		"user", "workdir", NULL };
	struct show_lines sl = { 0 };
	const char *name;
	const cJSON *v;
	char buf[4096];
	cJSON *job;
	size_t i;
	int rc, pass;

	if ((rc = cmd_jobs_name(&cmd_show, argc, argv, &name, NULL)) != -1)
		return rc;
	rc = cmd_jobs_simple(opts, "GET", name, "", "show", &job);
	if (rc == CQ_EXIT_FAIL)
		show_removed_hint(opts, name);
	if (rc != CQ_EXIT_OK || opts->json) {
		if (rc == CQ_EXIT_OK)
			print_json(job);
		cJSON_Delete(job);
		return rc;
	}
	for (i = 0; first[i] != NULL; i++) {
		if ((v = cJSON_GetObjectItemCaseSensitive(job, first[i])) ==
		    NULL)
			continue;
		cmd_show_value(buf, sizeof buf, job, v);
		show_add(&sl, v->string, buf);
	}
	cJSON_ArrayForEach(v, job)
	{
		for (pass = 1, i = 0; first[i] != NULL; i++)
			if (strcmp(v->string, first[i]) == 0)
				pass = 0;
		/* Said on the timezone line. */
		if (strcmp(v->string, "timezone_set") == 0)
			pass = 0;
		if (!pass || add_sandbox_show(v, show_add, &sl) ||
		    show_ext(v, show_add, &sl))
			continue;
		cmd_show_value(buf, sizeof buf, job, v);
		show_add(&sl, v->string, buf);
	}
	show_print(&sl);
	cJSON_Delete(job);
	return CQ_EXIT_OK;
}

/* Fields that change on every version and say nothing about the edit. */
static int
cmd_history_volatile(const char *key)
{
	return strcmp(key, "version") == 0 || strcmp(key, "updated_at") == 0 ||
	    strcmp(key, "created_at") == 0 || strcmp(key, "next_run") == 0 ||
	    strcmp(key, "last_run") == 0;
}

/* A value of a version as `show` prints it; "-" for an absent one. */
static void
cmd_history_value(char *buf, size_t len, const cJSON *job, const cJSON *v)
{
	if (v == NULL)
		strlcpy(buf, "-", len);
	else
		cmd_show_value(buf, len, job, v);
}

/*
 * Prints "  key: old -> new" for each field that differs, or a line
 * saying that none does: a job file renamed or the job moved to another
 * file (ACTION "file"), or a save an older cronq kept.
 */
static void
cmd_history_diff(const cJSON *older, const cJSON *newer, const char *action)
{
	char a[1024], b[1024];
	const cJSON *v, *o;
	int n = 0;

	if (!cJSON_IsObject(older) || !cJSON_IsObject(newer))
		return;
	cJSON_ArrayForEach(v, newer)
	{
		if (cmd_history_volatile(v->string))
			continue;
		o = cJSON_GetObjectItemCaseSensitive(older, v->string);
		if (o != NULL && cJSON_Compare(o, v, 1))
			continue;
		cmd_history_value(a, sizeof a, older, o);
		cmd_show_value(b, sizeof b, newer, v);
		printf("  %s: %s -> %s\n", v->string, a, b);
		n++;
	}
	cJSON_ArrayForEach(o, older)
	{
		if (cmd_history_volatile(o->string) ||
		    cJSON_GetObjectItemCaseSensitive(newer, o->string) != NULL)
			continue;
		cmd_show_value(a, sizeof a, older, o);
		printf("  %s: %s -> -\n", o->string, a);
		n++;
	}
	if (n == 0 && strcmp(action, "file") == 0)
		printf("  (moved to this file)\n");
	else if (n == 0)
		printf("  (no change)\n");
}

static int
cmd_history_exec(const struct cli_opts *opts, int argc, char **argv)
{
	const cJSON *vers, *v, *older;
	const char *name;
	char when[64], by[128];
	long long n;
	cJSON *resp;
	int rc;

	if ((rc = cmd_jobs_name(&cmd_history, argc, argv, &name, NULL)) != -1)
		return rc;
	rc = cmd_jobs_simple(
	    opts, "GET", name, "/versions", "show history of", &resp);
	if (rc != CQ_EXIT_OK || opts->json) {
		if (rc == CQ_EXIT_OK)
			print_json(resp);
		cJSON_Delete(resp);
		return rc;
	}
	vers = cJSON_GetObjectItemCaseSensitive(resp, "versions");
	cJSON_ArrayForEach(v, vers)
	{
		if (print_int(v, "version", &n) == -1)
			n = 0;
		print_time(when, sizeof when, print_json_time(v, "created_at"));
		print_value(
		    by, sizeof by, cJSON_GetObjectItemCaseSensitive(v, "by"));
		printf("version %lld  %s  by %s  %s\n", n, when, by,
		    print_str(v, "action", "-"));
		/* The list is newest first: the next entry is the older. */
		older = v->next;
		if (strcmp(print_str(v, "action", ""), "delete") == 0)
			printf("  (job removed)\n");
		else if (older != NULL &&
		    strcmp(print_str(older, "action", ""), "delete") == 0)
			printf("  (job made again)\n");
		else if (older != NULL)
			cmd_history_diff(
			    cJSON_GetObjectItemCaseSensitive(older, "job"),
			    cJSON_GetObjectItemCaseSensitive(v, "job"),
			    print_str(v, "action", ""));
	}
	cJSON_Delete(resp);
	return rc;
}
