/* SPDX-License-Identifier: ISC */
/*
 * cronq edit: the user's API jobs (or one) as a job file in $VISUAL or
 * $EDITOR. On save the file is checked with the same rules as cronq.d;
 * errors go back to the editor as comments at the top, and a clean file
 * is applied with one PUT /jobs, so either every change lands or none.
 */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "client.h"
#include "jobfile.h"
#include "xmalloc.h"

static int cmd_edit_exec(const struct cli_opts *, int, char **);

const struct cli_cmd cmd_edit = { "edit", "edit [--detach] [NAME]",
	"edit your jobs (or one) as YAML and apply the result at once",
	cmd_edit_exec };

#define EDIT_ERROR_MARK "# error: "

static const char edit_header[] =
    "# cronq edit: change, add or remove jobs below, then save and quit.\n"
    "# The whole file is applied at once; a job removed here is deleted.\n"
    "# Format: man 5 cronq.d. Quit without saving to change nothing.\n";

static char *
read_all(const char *path, size_t *len)
{
	char *buf = NULL;
	FILE *fp;

	*len = 0;
	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	buf = xmalloc(JOBFILE_MAX_SIZE + 1);
	*len = fread(buf, 1, JOBFILE_MAX_SIZE, fp);
	buf[*len] = '\0';
	fclose(fp);
	return buf;
}

/* Runs the user's editor on PATH; 0 if it exited 0. */
static int
run_editor(const char *path)
{
	const char *ed = getenv("VISUAL");
	pid_t pid;
	int st;

	if (ed == NULL || *ed == '\0')
		ed = getenv("EDITOR");
	if (ed == NULL || *ed == '\0')
		ed = "vi";
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", ed, path,
		    (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* TEXT after the error comments a previous round put on top. */
static const char *
skip_errors(const char *text)
{
	const char *nl;

	while (strncmp(text, EDIT_ERROR_MARK, strlen(EDIT_ERROR_MARK)) == 0) {
		nl = strchr(text, '\n');
		text = nl != NULL ? nl + 1 : text + strlen(text);
	}
	return text;
}

/* Rewrites PATH as ERRORS (as comments) above TEXT without old ones. */
static int
write_with_errors(const char *path, const char *text, const struct jobfile *jf)
{
	const char *body = skip_errors(text);
	size_t i;
	FILE *fp;

	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	for (i = 0; jf != NULL && i < jf->nerrors; i++)
		fprintf(fp, "%s%s\n", EDIT_ERROR_MARK, jf->errors[i]);
	fputs(body, fp);
	return fclose(fp);
}

/* The jobs of RESP that are the API's (and named NAME, if given). */
static int
load_jobs(cJSON *resp, const char *name, struct job ***jobs, size_t *n)
{
	cJSON *e;
	const cJSON *origin, *nm;
	const char *field;
	char *cause = NULL;
	struct job *j;

	*jobs = NULL;
	*n = 0;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(resp, "jobs"))
	{
		origin = cJSON_GetObjectItemCaseSensitive(e, "origin");
		nm = cJSON_GetObjectItemCaseSensitive(e, "name");
		if (!cJSON_IsString(nm) ||
		    (name != NULL && strcmp(nm->valuestring, name) != 0))
			continue;
		if (cJSON_IsString(origin) && origin->valuestring[0] == '/') {
			if (name != NULL) {
				cli_error("job \"%s\" comes from %s: edit that "
				          "file instead",
				    name, origin->valuestring);
				return -1;
			}
			continue;
		}
		/* The daemon's zone, shown for a job without one: not kept. */
		if (cJSON_IsFalse(
		        cJSON_GetObjectItemCaseSensitive(e, "timezone_set")))
			cJSON_DeleteItemFromObjectCaseSensitive(e, "timezone");
		if ((j = job_from_json(e, NULL, &field, &cause)) == NULL) {
			cli_error("job \"%s\": %s", nm->valuestring, cause);
			free(cause);
			return -1;
		}
		*jobs = xreallocarray(*jobs, *n + 1, sizeof **jobs);
		(*jobs)[(*n)++] = j;
	}
	if (name != NULL && *n == 0) {
		cli_error("no job named \"%s\"", name);
		return -1;
	}
	return 0;
}

/* The PUT /jobs body turning BEFORE into AFTER; NULL when they agree. */
static cJSON *
diff_body(struct job **before, size_t nb, const struct jobfile *after)
{
	cJSON *body, *jobs, *del, *a, *b;
	size_t i, k;
	int found, changes = 0;

	body = cJSON_CreateObject();
	jobs = cJSON_AddArrayToObject(body, "jobs");
	del = cJSON_AddArrayToObject(body, "delete");
	for (i = 0; i < after->njobs; i++) {
		a = job_to_json(after->jobs[i], 1);
		found = 0;
		for (k = 0; k < nb; k++) {
			if (strcmp(before[k]->name, after->jobs[i]->name) != 0)
				continue;
			b = job_to_json(before[k], 1);
			found = cJSON_Compare(a, b, 1);
			cJSON_Delete(b);
		}
		if (found)
			cJSON_Delete(a);
		else {
			cJSON_AddItemToArray(jobs, a);
			changes++;
		}
	}
	for (k = 0; k < nb; k++) {
		found = 0;
		for (i = 0; i < after->njobs; i++)
			found |=
			    strcmp(before[k]->name, after->jobs[i]->name) == 0;
		if (!found) {
			cJSON_AddItemToArray(
			    del, cJSON_CreateString(before[k]->name));
			changes++;
		}
	}
	if (changes == 0) {
		cJSON_Delete(body);
		return NULL;
	}
	return body;
}

/* Edits PATH until it is valid; the parsed file, or NULL to give up. */
static struct jobfile *
edit_loop(const char *path)
{
	struct jobfile *jf;
	char *text, *last = NULL;
	size_t len;

	for (;;) {
		if (run_editor(path) == -1) {
			cli_error("the editor failed; nothing was changed");
			free(last);
			return NULL;
		}
		if ((text = read_all(path, &len)) == NULL) {
			cli_error("cannot read %s back: %m", path);
			free(last);
			return NULL;
		}
		jf = jobfile_parse("edit.yaml", text, len, 0);
		if (jf->nerrors == 0) {
			free(text);
			free(last);
			return jf;
		}
		/* Saved again without a change: the user gives up. */
		if (last != NULL &&
		    strcmp(skip_errors(last), skip_errors(text)) == 0) {
			size_t i;

			for (i = 0; i < jf->nerrors; i++)
				cli_error("%s", jf->errors[i]);
			cli_error("the file still has errors; nothing was "
			          "changed");
			jobfile_free(jf);
			free(text);
			free(last);
			return NULL;
		}
		write_with_errors(path, text, jf);
		jobfile_free(jf);
		free(text);
		free(last);
		last = read_all(path, &len);
	}
}

static int
cmd_edit_exec(const struct cli_opts *opts, int argc, char **argv)
{
	char path[] = "/tmp/cronq-edit-XXXXXX.yaml";
	struct jobfile *jf = NULL;
	struct job **jobs = NULL;
	struct client *c;
	cJSON *resp = NULL, *body = NULL;
	const char *name = NULL;
	size_t n = 0, i;
	long long k;
	int rc, fd, i_arg, detach = 0;
	FILE *fp;

	for (i_arg = 1; i_arg < argc; i_arg++) {
		if (strcmp(argv[i_arg], "-h") == 0 ||
		    strcmp(argv[i_arg], "--help") == 0)
			return print_usage(&cmd_edit);
		if (strcmp(argv[i_arg], "--detach") == 0)
			detach = 1;
		else if (argv[i_arg][0] == '-')
			return cli_usage(
			    &cmd_edit, "unknown option \"%s\"", argv[i_arg]);
		else if (name != NULL)
			return cli_usage(&cmd_edit, "at most one job name");
		else
			name = argv[i_arg];
	}
	if ((c = cli_connect(opts, &rc)) == NULL)
		return rc;
	rc = cli_api(c, "GET", "/jobs", NULL, &resp, "list jobs");
	if (rc != CQ_EXIT_OK)
		goto out;
	if (load_jobs(resp, name, &jobs, &n) == -1) {
		rc = CQ_EXIT_FAIL;
		goto out;
	}
	cJSON_Delete(resp);
	resp = NULL;
	if ((fd = mkstemps(path, 5)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		cli_error("cannot create a file to edit: %m");
		rc = CQ_EXIT_FAIL;
		goto out;
	}
	fputs(edit_header, fp);
	jobfile_write(fp, jobs, n);
	fclose(fp);
	if ((jf = edit_loop(path)) == NULL) {
		rc = CQ_EXIT_INVALID;
		goto out;
	}
	if ((body = diff_body(jobs, n, jf)) == NULL) {
		printf("no changes\n");
		rc = CQ_EXIT_OK;
		goto out;
	}
	rc = cli_api(c, "PUT", detach ? "/jobs?detach=1" : "/jobs", body, &resp,
	    "apply the edited jobs");
	if (rc == CQ_EXIT_OK && opts->json)
		print_json(resp);
	else if (rc == CQ_EXIT_OK) {
		k = cJSON_GetArraySize(
		    cJSON_GetObjectItemCaseSensitive(resp, "changed"));
		printf("%lld job%s saved, ", k, k == 1 ? "" : "s");
		k = cJSON_GetArraySize(
		    cJSON_GetObjectItemCaseSensitive(resp, "deleted"));
		printf("%lld deleted\n", k);
	}
out:
	unlink(path);
	for (i = 0; i < n; i++)
		job_free(jobs[i]);
	free(jobs);
	jobfile_free(jf);
	cJSON_Delete(body);
	cJSON_Delete(resp);
	client_free(c);
	return rc;
}
