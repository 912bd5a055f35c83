/* SPDX-License-Identifier: ISC */
/*
 * The job commands: add, rm, ls, show, pause, resume and history. Each
 * builds one API request; the daemon validates the job, so the only
 * checks here are the ones a command line can answer without it.
 */
#include "config.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "add-sandbox.h"
#include "cli.h"
#include "client.h"
#include "cronexpr.h"
#include "util.h"
#include "xmalloc.h"

/* The longest duration util_parse_duration accepts, for its message. */
#define CLI_DURATION_MAX ((int64_t)1 << 40)

static int cmd_add_exec(const struct cli_opts *, int, char **);
/* cronq add -f: the file given, read after the options. */
static const char *add_file;
static int cmd_rm_exec(const struct cli_opts *, int, char **);
static int cmd_ls_exec(const struct cli_opts *, int, char **);
static int cmd_pause_exec(const struct cli_opts *, int, char **);
static int cmd_resume_exec(const struct cli_opts *, int, char **);

const struct cli_cmd cmd_add = { "add",
	"add [--replace [--detach]] NAME [-s SCHEDULE ...] [--tz ZONE] [--timeout DUR] "
	"[--retries N] [--concurrency allow|forbid|replace] "
	"[--catchup skip|once|all] [--user USER] [--env K=V ...] "
	"[--workdir DIR] [--nice N] [--ioprio CLASS[:N]] "
	"[--rlimit NAME=VALUE ...] [--private-tmp] [--protect-system] "
	"[--no-network] [--read-only-path PATH ...] "
	"[--read-write-path PATH ...] [--memory-max SIZE] [--pids-max N] "
	"[--cpu-max PERCENT] [--seccomp-default deny-list|none] "
	"[--seccomp-action errno|kill] [--seccomp-deny CALL ...] "
	"[--seccomp-allow CALL ...] [--] COMMAND [ARG ...] | "
	"add [--replace [--detach]] -f FILE",
	"add a job (no -s: run only when triggered)", cmd_add_exec };
const struct cli_cmd cmd_rm = { "rm", "rm [--detach] NAME", "remove a job",
	cmd_rm_exec };
const struct cli_cmd cmd_ls = { "ls", "ls",
	"list jobs with their next and last runs", cmd_ls_exec };
const struct cli_cmd cmd_pause = { "pause", "pause [--detach] NAME",
	"stop scheduling a job until it is resumed", cmd_pause_exec };
const struct cli_cmd cmd_resume = { "resume", "resume [--detach] NAME",
	"schedule a paused job again", cmd_resume_exec };

/*
 * Parses the options of a command that takes exactly one NAME and, when
 * DETACH is not NULL, --detach (set *DETACH to 1). Returns -1 with NAME
 * set, or the exit status to end with.
 */
int
cmd_jobs_name(const struct cli_cmd *cmd, int argc, char **argv,
    const char **name, int *detach)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "detach", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (ch == 'h')
			return print_usage(cmd);
		if (ch == 'D' && detach != NULL) {
			*detach = 1;
			continue;
		}
		if (ch == 'D')
			return cli_usage(cmd, "unknown option \"--detach\"");
		return print_badopt(cmd, ch, argv);
	}
	if (optind >= argc)
		return cli_usage(cmd, "missing job name");
	if (optind + 1 < argc)
		return cli_usage(
		    cmd, "unexpected argument \"%s\"", argv[optind + 1]);
	*name = argv[optind];
	return -1;
}

/* Parses one add option into BODY; returns -1, or the exit status. */
static int
cmd_add_option(int ch, const char *arg, cJSON *body, cJSON *sched, cJSON *env,
    int *replace)
{
	const char *eq;
	char *end;
	int64_t secs;

	switch (ch) {
	case 's':
		cJSON_AddItemToArray(sched, cJSON_CreateString(arg));
		cli_expr_notes("add: ", arg);
		break;
	case 'z':
		cJSON_AddStringToObject(body, "timezone", arg);
		break;
	case 'T':
		/*
		 * Read here, not by the daemon, so a huge number cannot reach
		 * it as a double; the bound is util_parse_duration's.
		 */
		if (util_parse_duration(arg, &secs, NULL) == -1)
			return cli_usage(&cmd_add,
			    "--timeout \"%s\": expected a duration from 0 to "
			    "%lldd, such as 90s, 5m, 2h30m, 1d or 2w (a bare "
			    "number is seconds)",
			    arg, (long long)(CLI_DURATION_MAX / 86400));
		cJSON_AddNumberToObject(body, "timeout", (double)secs);
		break;
	case 'C':
		if (strcmp(arg, "allow") != 0 && strcmp(arg, "forbid") != 0 &&
		    strcmp(arg, "replace") != 0)
			return cli_usage(&cmd_add,
			    "--concurrency \"%s\": expected allow, forbid or "
			    "replace",
			    arg);
		cJSON_AddStringToObject(body, "concurrency", arg);
		break;
	case 'c':
		if (strcmp(arg, "skip") != 0 && strcmp(arg, "once") != 0 &&
		    strcmp(arg, "all") != 0)
			return cli_usage(&cmd_add,
			    "--catchup \"%s\": expected skip, once or all",
			    arg);
		cJSON_AddStringToObject(body, "catchup", arg);
		break;
	case 'u':
		cJSON_AddStringToObject(body, "user", arg);
		break;
	case 'e':
		if ((eq = strchr(arg, '=')) == NULL || eq == arg)
			return cli_usage(
			    &cmd_add, "--env \"%s\": expected NAME=VALUE", arg);
		end = xstrndup(arg, eq - arg);
		cJSON_DeleteItemFromObjectCaseSensitive(env, end);
		cJSON_AddStringToObject(env, end, eq + 1);
		free(end);
		break;
	case 'w':
		cJSON_AddStringToObject(body, "workdir", arg);
		break;
	case 'R':
		*replace |= CLI_ADD_REPLACE;
		break;
	case 'D':
		*replace |= CLI_ADD_DETACH;
		break;
	case 'f':
		add_file = arg;
		return -1;
	default:
		return add_sandbox_option(ch, arg, body);
	}
	return -1;
}

int
cli_add_post(struct client *c, int flags, const cJSON *body, cJSON **resp,
    const char *name)
{
	char *cause;
	long status;
	int rc;

	rc = client_call(
	    c, "POST", cli_add_path(flags), body, resp, &status, &cause);
	if (rc == CQ_EXIT_OK) {
		cli_job_warnings(name, *resp);
		return rc;
	}
	/*
	 * Without --replace a conflict is the name in use (ops.c); a job of
	 * a job file takes --detach too.
	 */
	if (status == 409 && !(flags & CLI_ADD_REPLACE))
		cli_error("cannot add job \"%s\": %s (%s)", name, cause,
		    strstr(cause, "(from /") != NULL
		        ? "edit that file, or use --replace --detach to take "
		          "it over"
		        : "use --replace to change it");
	else if (rc == CQ_EXIT_UNREACHABLE)
		cli_unreachable(cause);
	else
		cli_error("cannot add job \"%s\": %s", name, cause);
	free(cause);
	return rc;
}

/* Whether WORD, the first word of a command, parses as a schedule. */
static int
cmd_add_looks_scheduled(const char *word, const char *name)
{
	struct cronexpr ce;
	char *cause = NULL;

	if (word[0] != '@' && strchr(word, ' ') == NULL)
		return 0;
	if (cronexpr_parse(&ce, word, name, &cause) == 0)
		return 1;
	free(cause);
	return 0;
}

static int
cmd_add_exec(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "schedule", required_argument, NULL, 's' },
		{ "tz", required_argument, NULL, 'z' },
		{ "timezone", required_argument, NULL, 'z' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "retries", required_argument, NULL, 'r' },
		{ "concurrency", required_argument, NULL, 'C' },
		{ "catchup", required_argument, NULL, 'c' },
		{ "user", required_argument, NULL, 'u' },
		{ "env", required_argument, NULL, 'e' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "replace", no_argument, NULL, 'R' },
		{ "detach", no_argument, NULL, 'D' },
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		ADD_SANDBOX_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL;
	cJSON *body, *sched, *env, *cmdv, *resp = NULL;
	struct client *c;
	int ch, rc = -1, replace = 0, i;

	body = cJSON_CreateObject();
	sched = cJSON_CreateArray();
	env = cJSON_CreateObject();

	/*
	 * "+" stops at the first word that is not an option, so the
	 * command's own options stay its own; the first such word is NAME
	 * and options may follow it.
	 */
	opterr = 0;
	while (optind < argc && rc == -1) {
		ch = getopt_long(argc, argv, "+:s:f:u:e:w:h", longopts, NULL);
		if (ch == -1) {
			if (name != NULL || strcmp(argv[optind - 1], "--") == 0)
				break;
			name = argv[optind++];
			continue;
		}
		if (ch == 'h')
			rc = print_usage(&cmd_add);
		else if (ch == '?' || ch == ':')
			rc = print_badopt(&cmd_add, ch, argv);
		else
			rc = cmd_add_option(
			    ch, optarg, body, sched, env, &replace);
	}
	if (rc != -1)
		goto out;
	if (replace == CLI_ADD_DETACH) {
		rc = cli_usage(&cmd_add, "--detach needs --replace");
		goto out;
	}
	if (add_file != NULL) {
		if (name != NULL || optind < argc)
			rc = cli_usage(&cmd_add, "-f FILE takes no NAME");
		else
			rc = cli_add_file(opts, add_file, replace);
		goto out;
	}
	if (name == NULL && optind < argc)
		name = argv[optind++];
	if (name == NULL) {
		rc = cli_usage(&cmd_add, "missing job name");
		goto out;
	}
	if (optind >= argc) {
		rc =
		    cli_usage(&cmd_add, "missing command for job \"%s\"", name);
		goto out;
	}

	/*
	 * A schedule given where the command goes would make a manual job
	 * that runs the schedule's text: almost surely -s was forgotten.
	 */
	if (cJSON_GetArraySize(sched) == 0 &&
	    cmd_add_looks_scheduled(argv[optind], name)) {
		rc = cli_usage(&cmd_add,
		    "\"%s\" is a schedule, not a command: give it with -s "
		    "before the command",
		    argv[optind]);
		goto out;
	}

	/* One word is a shell command line; several are an argv. */
	if (argc - optind == 1)
		cmdv = cJSON_CreateString(argv[optind]);
	else {
		cmdv = cJSON_CreateArray();
		for (i = optind; i < argc; i++)
			cJSON_AddItemToArray(cmdv, cJSON_CreateString(argv[i]));
	}
	cJSON_AddItemToObject(body, "command", cmdv);
	cJSON_AddItemToObject(body, "schedules", sched);
	sched = NULL;
	if (env->child != NULL) {
		cJSON_AddItemToObject(body, "env", env);
		env = NULL;
	}
	cJSON_AddStringToObject(body, "name", name);

	if ((c = cli_connect(opts, &rc)) == NULL)
		goto out;
	rc = cli_add_post(c, replace, body, &resp, name);
	if (rc == CQ_EXIT_OK && opts->json)
		print_json(resp);
	client_free(c);
out:
	cJSON_Delete(resp);
	cJSON_Delete(env);
	cJSON_Delete(sched);
	cJSON_Delete(body);
	return rc;
}

/*
 * The shared shape of rm, pause, resume and show: METHOD on the job's
 * path plus SUFFIX; *RESP gets the answer.
 */
int
cmd_jobs_simple(const struct cli_opts *opts, const char *method,
    const char *name, const char *suffix, const char *verb, cJSON **resp)
{
	struct client *c;
	char *path, *e;
	int rc;

	*resp = NULL;
	if ((c = cli_connect(opts, &rc)) == NULL)
		return rc;
	e = client_escape(name);
	/* SUFFIX may carry the query (?detach=1) after the path part. */
	xasprintf(&path, "/jobs/%s%s", e, suffix);
	rc = cli_api(c, method, path, NULL, resp, "%s job \"%s\"", verb, name);
	free(path);
	free(e);
	client_free(c);
	return rc;
}

static int
cmd_jobs_act(const struct cli_cmd *cmd, const struct cli_opts *opts, int argc,
    char **argv, const char *method, const char *suffix, const char *verb)
{
	const char *name;
	cJSON *resp;
	char *path;
	int rc, detach = 0;

	if ((rc = cmd_jobs_name(cmd, argc, argv, &name, &detach)) != -1)
		return rc;
	xasprintf(&path, "%s%s", suffix, detach ? "?detach=1" : "");
	rc = cmd_jobs_simple(opts, method, name, path, verb, &resp);
	if (rc == CQ_EXIT_OK && opts->json)
		print_json(resp);
	cJSON_Delete(resp);
	free(path);
	return rc;
}

static int
cmd_rm_exec(const struct cli_opts *opts, int argc, char **argv)
{
	return cmd_jobs_act(&cmd_rm, opts, argc, argv, "DELETE", "", "remove");
}

static int
cmd_pause_exec(const struct cli_opts *opts, int argc, char **argv)
{
	return cmd_jobs_act(
	    &cmd_pause, opts, argc, argv, "POST", "/pause", "pause");
}

static int
cmd_resume_exec(const struct cli_opts *opts, int argc, char **argv)
{
	return cmd_jobs_act(
	    &cmd_resume, opts, argc, argv, "POST", "/resume", "resume");
}

/* One word of an argv as a shell would need it written. */
void
cmd_jobs_quote(char *buf, size_t len, const char *w)
{
	const char *p;
	char one[2] = { 0, 0 };

	if (*w != '\0' &&
	    strspn(w,
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
	        "nopqrstuvwxyz0123456789_./=:,+@%-") == strlen(w)) {
		strlcat(buf, w, len);
		return;
	}
	strlcat(buf, "'", len);
	for (p = w; *p != '\0'; p++) {
		if (*p == '\'')
			strlcat(buf, "'\\''", len);
		else {
			one[0] = *p;
			strlcat(buf, one, len);
		}
	}
	strlcat(buf, "'", len);
}

/* 1 if JOBS hold more than one owner's (an admin's listing). */
static int
cmd_ls_owners(const cJSON *jobs)
{
	const cJSON *job;
	long long first = -1, o;

	cJSON_ArrayForEach(job, jobs)
	{
		if (print_int(job, "owner", &o) != 0)
			continue;
		if (first == -1)
			first = o;
		else if (o != first)
			return 1;
	}
	return 0;
}

/* One `ls` row from a job object; with OWNERS, its owner's name too. */
static void
cmd_ls_row(struct table *t, const cJSON *job, int owners, int64_t now)
{
	char next[64], left[64], last[64], passed[64], result[64], sched[1024];
	char owner[64];
	const cJSON *lr, *paused, *sc;
	struct passwd *pw;
	int64_t tn, tl;
	long long code;

	tn = print_json_time(job, "next_run");
	print_time(next, sizeof next, tn);
	paused = cJSON_GetObjectItemCaseSensitive(job, "paused");
	if (cJSON_IsTrue(paused))
		strlcpy(left, "paused", sizeof left);
	else if (tn < 0)
		strlcpy(left, "-", sizeof left);
	else {
		print_span(left, sizeof left, tn - now);
		strlcat(left, " left", sizeof left);
	}
	lr = cJSON_GetObjectItemCaseSensitive(job, "last_run");
	tl = print_json_time(lr, "started_at");
	print_time(last, sizeof last, tl);
	if (tl < 0)
		strlcpy(passed, "-", sizeof passed);
	else {
		print_span(passed, sizeof passed, now - tl);
		strlcat(passed, " ago", sizeof passed);
	}
	strlcpy(result, print_str(lr, "state", "-"), sizeof result);
	if (print_int(lr, "exit_code", &code) == 0 && code != 0)
		snprintf(result + strlen(result),
		    sizeof result - strlen(result), " (exit %lld)", code);
	sc = cJSON_GetObjectItemCaseSensitive(job, "schedules");
	if (cJSON_IsArray(sc) && sc->child != NULL)
		print_value(sched, sizeof sched, sc);
	else
		strlcpy(sched, "manual", sizeof sched);
	if (!owners) {
		table_add(t, next, left, last, passed, result,
		    print_str(job, "name", "?"), sched);
		return;
	}
	/* A uid this host does not know (a remote daemon's) stays bare. */
	if (print_int(job, "owner", &code) != 0)
		strlcpy(owner, "-", sizeof owner);
	else if ((pw = getpwuid((uid_t)code)) != NULL)
		strlcpy(owner, pw->pw_name, sizeof owner);
	else
		snprintf(owner, sizeof owner, "%lld", code);
	table_add(t, next, left, last, passed, result,
	    print_str(job, "name", "?"), owner, sched);
}

static int
cmd_ls_exec(const struct cli_opts *opts, int argc, char **argv)
{
	const cJSON *jobs, *job;
	struct client *c;
	struct table *t;
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	cJSON *resp;
	int rc, owners;

	opterr = 0;
	while ((rc = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (rc == 'h')
			return print_usage(&cmd_ls);
		return print_badopt(&cmd_ls, rc, argv);
	}
	if (optind < argc)
		return cli_usage(
		    &cmd_ls, "unexpected argument \"%s\"", argv[optind]);
	if ((c = cli_connect(opts, &rc)) == NULL)
		return rc;
	rc = cli_api(c, "GET", "/jobs", NULL, &resp, "list jobs");
	client_free(c);
	if (rc != CQ_EXIT_OK)
		return rc;
	if (opts->json) {
		print_json(resp);
		cJSON_Delete(resp);
		return rc;
	}
	jobs = cJSON_GetObjectItemCaseSensitive(resp, "jobs");
	if (cJSON_GetArraySize(jobs) > 0) {
		owners = cmd_ls_owners(jobs);
		if (owners)
			t = table_create(8, "NEXT", "LEFT", "LAST", "PASSED",
			    "RESULT", "JOB", "OWNER", "SCHEDULE");
		else
			t = table_create(7, "NEXT", "LEFT", "LAST", "PASSED",
			    "RESULT", "JOB", "SCHEDULE");
		cJSON_ArrayForEach(job, jobs)
		    cmd_ls_row(t, job, owners, time(NULL));
		table_print(t, stdout);
		table_free(t);
	} else
		/* Said on stderr so a script reading stdout still sees an
		 * empty list, while a person sees that nothing went wrong. */
		cli_note("no jobs");
	cJSON_Delete(resp);
	return rc;
}
