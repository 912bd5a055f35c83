/* SPDX-License-Identifier: ISC */
/*
 * Job files from the command line: `cronq validate` checks them offline
 * (no daemon), `cronq add -f` sends one job written in YAML, and
 * `cronq rollback` brings back an earlier version of a job.
 */
#include "config.h"

#include <sys/stat.h>

#include <sys/types.h>

#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "client.h"
#include "cronexpr.h"
#include "jobfile.h"
#include "pathnames.h"
#include "util.h"
#include "xmalloc.h"

static int cmd_validate_exec(const struct cli_opts *, int, char **);
static int cmd_rollback_exec(const struct cli_opts *, int, char **);

const struct cli_cmd cmd_validate = { "validate",
	"validate [--dir DIR] [FILE ...]",
	"check job files offline and show when each job fires next",
	cmd_validate_exec };
const struct cli_cmd cmd_rollback = { "rollback",
	"rollback [--detach] NAME [VERSION]",
	"restore an earlier version of a job (or a removed job)",
	cmd_rollback_exec };

const char *
cli_jobs_dir(void)
{
	const char *env = getenv("CRONQ_JOBS_DIR");

	return env != NULL && *env != '\0' ? env : CQ_PATH_JOBS_DIR;
}

/*
 * Prints each job of JF with the next fire of its schedules, or adds
 * {"name", "next", "fires"} to JOBS when that is not NULL.
 */
static void
print_next(const struct jobfile *jf, int64_t now, cJSON *jobs)
{
	const struct job *job;
	const char *fires;
	char when[64], where[PATH_MAX + 80];
	int64_t next, best;
	size_t i, k;
	cJSON *o;
	int reboot, every;

	for (i = 0; i < jf->njobs; i++) {
		job = jf->jobs[i];
		best = 0;
		reboot = every = 0;
		for (k = 0; k < job->nschedules; k++) {
			snprintf(where, sizeof where, "%s: %s: ", jf->path,
			    job->name);
			cli_expr_notes(where, job->schedules[k]);
			reboot |= job->exprs[k].kind == CRON_REBOOT;
			every |= job->exprs[k].kind == CRON_EVERY;
			if (cronexpr_next(&job->exprs[k], job->tz, now, &next,
			        NULL) == 0 &&
			    (best == 0 || next < best))
				best = next;
		}
		if (best != 0) {
			util_format_time(when, sizeof when, best, job->tz);
			fires = "schedule";
		} else if (reboot) {
			strlcpy(when, "at daemon start-up", sizeof when);
			fires = "start-up";
		} else if (every) {
			/* The series starts when the daemon saves the job. */
			strlcpy(when, "one interval after the daemon saves it",
			    sizeof when);
			fires = "interval";
		} else if (job->nschedules == 0) {
			strlcpy(when, "only when triggered", sizeof when);
			fires = "trigger";
		} else {
			strlcpy(when, "never (no next time)", sizeof when);
			fires = "never";
		}
		if (jobs == NULL) {
			printf("%s: %s: next %s\n", jf->path, job->name, when);
			continue;
		}
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", job->name);
		if (best != 0)
			cJSON_AddStringToObject(o, "next", when);
		else
			cJSON_AddNullToObject(o, "next");
		cJSON_AddStringToObject(o, "fires", fires);
		cJSON_AddItemToArray(jobs, o);
	}
}

/*
 * One error line of a job file, "PATH:LINE:COL: field: message" (or
 * "PATH: message"), as {"file", "line", "col", "field", "message"}; what a
 * line lacks is null.
 */
static cJSON *
validate_error_json(const char *path, const char *text)
{
	cJSON *o = cJSON_CreateObject();
	size_t plen = strlen(path), flen;
	const char *p = text, *colon;
	int line, col, used = 0;

	cJSON_AddStringToObject(o, "file", path);
	if (strncmp(p, path, plen) == 0 && p[plen] == ':')
		p += plen + 1;
	if (sscanf(p, "%d:%d:%n", &line, &col, &used) == 2 && used > 0) {
		cJSON_AddNumberToObject(o, "line", line);
		cJSON_AddNumberToObject(o, "col", col);
		p += used;
	} else {
		cJSON_AddNullToObject(o, "line");
		cJSON_AddNullToObject(o, "col");
	}
	p += strspn(p, " ");
	/* A field is one word (jobs[0].name, schedule) before ": ". */
	colon = strstr(p, ": ");
	flen = colon != NULL ? (size_t)(colon - p) : 0;
	if (flen > 0 && strcspn(p, " ") >= flen) {
		char *field = xstrndup(p, flen);

		cJSON_AddStringToObject(o, "field", field);
		free(field);
		p = colon + 2;
	} else
		cJSON_AddNullToObject(o, "field");
	cJSON_AddStringToObject(o, "message", p);
	return o;
}

/*
 * The jobs of the files of a directory read so far, and their files: the
 * daemon refuses a later file with a name an earlier one has.
 */
struct seen {
	char **names, **origins;
	size_t n;
};

static void
seen_free(struct seen *sn)
{
	size_t i;

	for (i = 0; i < sn->n; i++) {
		free(sn->names[i]);
		free(sn->origins[i]);
	}
	free(sn->names);
	free(sn->origins);
}

/*
 * The daemon's error for the first job of JF that SN has from another
 * file (caller frees), else NULL, after adding JF's jobs to SN.
 */
static char *
seen_conflict(struct seen *sn, const struct jobfile *jf)
{
	size_t i, k;

	for (i = 0; i < jf->njobs; i++) {
		for (k = 0; k < sn->n; k++) {
			if (strcmp(sn->names[k], jf->jobs[i]->name) != 0)
				continue;
			return jobfile_name_error(jf, i,
			    "already exists (from %s); drop it from this file "
			    "or rename one of them",
			    sn->origins[k]);
		}
	}
	/* A refused file loads no jobs, so only a clean one is added. */
	for (i = 0; i < jf->njobs; i++) {
		sn->names =
		    xreallocarray(sn->names, sn->n + 1, sizeof *sn->names);
		sn->origins =
		    xreallocarray(sn->origins, sn->n + 1, sizeof *sn->origins);
		sn->names[sn->n] = xstrdup(jf->jobs[i]->name);
		sn->origins[sn->n++] = xstrdup(jf->path);
	}
	return NULL;
}

/*
 * Validates PATH; SEEN (for a directory): refuse it as the daemon would,
 * for its owner or a job name an earlier file has. Prints the result, or
 * adds {"file", "valid", "errors", "jobs"} to FILES when that is not
 * NULL. Returns 1 when the file is invalid, else 0.
 */
static int
validate_one(const char *path, struct seen *seen, int64_t now, cJSON *files)
{
	struct jobfile *jf = NULL;
	cJSON *o = NULL, *errs = NULL, *jobs = NULL;
	char *cause = NULL;
	struct stat sb;
	size_t i;
	int bad;

	if (files != NULL) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "file", path);
		cJSON_AddItemToArray(files, o);
		errs = cJSON_CreateArray();
		jobs = cJSON_CreateArray();
	}
	if (seen != NULL && jobfile_check_owner(path, geteuid(), &cause) == -1)
		goto refused;
	/* "validate /etc/cronq.d" means the directory's check. */
	if (seen == NULL && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		xasprintf(&cause,
		    "%s: is a directory; cronq validate --dir %s checks the "
		    "files in it as the daemon reads them",
		    path, path);
		goto refused;
	}
	jf = jobfile_load(path, JOBFILE_LOCAL_USERS);
	for (i = 0; i < jf->nerrors; i++)
		if (errs != NULL)
			cJSON_AddItemToArray(
			    errs, validate_error_json(path, jf->errors[i]));
		else
			printf("%s\n", jf->errors[i]);
	if (jf->nerrors == 0 && seen != NULL &&
	    (cause = seen_conflict(seen, jf)) != NULL) {
		jobfile_free(jf);
		goto refused;
	}
	print_next(jf, now, jobs);
	bad = jf->nerrors > 0;
	jobfile_free(jf);
	goto out;
refused:
	if (errs != NULL)
		cJSON_AddItemToArray(errs, validate_error_json(path, cause));
	else
		printf("%s\n", cause);
	free(cause);
	bad = 1;
out:
	if (o != NULL) {
		cJSON_AddBoolToObject(o, "valid", !bad);
		cJSON_AddItemToObject(o, "errors", errs);
		cJSON_AddItemToObject(o, "jobs", jobs);
	}
	return bad;
}

static int
names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
validate_dir(const char *dir, int64_t now, int *nfiles, cJSON *files)
{
	struct seen seen = { NULL, NULL, 0 };
	struct dirent *de;
	char **names = NULL, *path;
	size_t n = 0, i;
	int bad = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		cli_error("cannot open %s: %m", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!jobfile_name_ok(de->d_name))
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, names_cmp);
	for (i = 0; i < n; i++) {
		xasprintf(&path, "%s/%s", dir, names[i]);
		bad += validate_one(path, &seen, now, files);
		free(path);
		free(names[i]);
	}
	seen_free(&seen);
	free(names);
	*nfiles = (int)n;
	return bad;
}

static int
cmd_validate_exec(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = { { "dir", required_argument,
		                                      NULL, 'd' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *dir = NULL;
	int ch, bad = 0, nfiles = 0, i;
	int64_t now = (int64_t)time(NULL);
	cJSON *out = NULL, *files = NULL;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":d:h", longopts, NULL)) != -1) {
		if (ch == 'd')
			dir = optarg;
		else if (ch == 'h')
			return print_usage(&cmd_validate);
		else
			return print_badopt(&cmd_validate, ch, argv);
	}
	if (optind < argc && dir != NULL)
		return cli_usage(
		    &cmd_validate, "give --dir or files, not both");
	if (opts->json) {
		out = cJSON_CreateObject();
		files = cJSON_AddArrayToObject(out, "files");
	}
	if (optind == argc) {
		bad = validate_dir(
		    dir != NULL ? dir : cli_jobs_dir(), now, &nfiles, files);
		if (bad == -1) {
			if (dir == NULL && geteuid() != 0)
				cli_error("validate: a daemon run with "
				          "--state-dir DIR reads DIR/cronq.d; "
				          "give it as --dir");
			cJSON_Delete(out);
			return CQ_EXIT_INVALID;
		}
	} else {
		for (i = optind; i < argc; i++)
			bad += validate_one(argv[i], NULL, now, files);
		nfiles = argc - optind;
	}
	if (out != NULL) {
		cJSON_AddNumberToObject(out, "invalid", bad);
		print_json(out);
		cJSON_Delete(out);
	}
	if (bad > 0) {
		fprintf(stderr, "cronq: %d of %d file%s invalid\n", bad, nfiles,
		    nfiles == 1 ? "" : "s");
		return CQ_EXIT_INVALID;
	}
	return CQ_EXIT_OK;
}

const char *
cli_add_path(int flags)
{
	if (flags & CLI_ADD_DETACH)
		return "/jobs?replace=1&detach=1";
	return flags & CLI_ADD_REPLACE ? "/jobs?replace=1" : "/jobs";
}

int
cli_add_file(const struct cli_opts *opts, const char *path, int replace)
{
	struct jobfile *jf;
	struct client *c;
	cJSON *body, *resp = NULL;
	size_t i;
	int rc = CQ_EXIT_OK;

	jf = jobfile_load(path, JOBFILE_ONE_JOB);
	/* Errors here, unlike validate's report, are the command failing. */
	for (i = 0; i < jf->nerrors; i++)
		cli_error("%s", jf->errors[i]);
	if (jf->nerrors > 0) {
		jobfile_free(jf);
		return CQ_EXIT_INVALID;
	}
	if ((c = cli_connect(opts, &rc)) == NULL) {
		jobfile_free(jf);
		return rc;
	}
	for (i = 0; i < jf->njobs && rc == CQ_EXIT_OK; i++) {
		body = job_to_json(jf->jobs[i], 1);
		rc = cli_add_post(c, replace, body, &resp, jf->jobs[i]->name);
		if (rc == CQ_EXIT_OK && opts->json)
			print_json(resp);
		cJSON_Delete(resp);
		resp = NULL;
		cJSON_Delete(body);
	}
	client_free(c);
	jobfile_free(jf);
	return rc;
}

static int
cmd_rollback_exec(const struct cli_opts *opts, int argc, char **argv)
{
	struct client *c;
	cJSON *body, *resp = NULL;
	const char *name;
	long long version = 0, n;
	char *end, *path;
	int rc, detach = 0;

	if (argc >= 2 &&
	    (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))
		return print_usage(&cmd_rollback);
	/* --detach first: a job whose file is still there becomes the API's. */
	if (argc >= 2 && strcmp(argv[1], "--detach") == 0) {
		detach = 1;
		argc--;
		argv++;
	}
	if (argc < 2 || argc > 3)
		return cli_usage(&cmd_rollback, "expected NAME [VERSION]");
	name = argv[1];
	if (argc == 3) {
		version = strtoll(argv[2], &end, 10);
		if (*argv[2] == '\0' || *end != '\0' || version < 1)
			return cli_usage(&cmd_rollback,
			    "version \"%s\": expected a number from 1",
			    argv[2]);
	}
	if ((c = cli_connect(opts, &rc)) == NULL)
		return rc;
	xasprintf(
	    &path, "/jobs/%s/rollback%s", name, detach ? "?detach=1" : "");
	body = cJSON_CreateObject();
	if (version > 0)
		cJSON_AddNumberToObject(body, "version", (double)version);
	rc =
	    cli_api(c, "POST", path, body, &resp, "roll back job \"%s\"", name);
	if (rc == CQ_EXIT_OK) {
		if (opts->json)
			print_json(resp);
		else if (print_int(resp, "version", &n) == 0 &&
		    cJSON_IsTrue(
		        cJSON_GetObjectItemCaseSensitive(resp, "unchanged")))
			printf("%s: version %lld already holds that spec, "
			       "nothing changed\n",
			    name, n);
		else if (print_int(resp, "version", &n) == 0)
			printf("%s: now version %lld\n", name, n);
	}
	cJSON_Delete(resp);
	cJSON_Delete(body);
	free(path);
	client_free(c);
	return rc;
}
