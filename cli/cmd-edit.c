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
/* The file's name in its errors. */
#define EDIT_NAME "edit.yaml"

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

/*
 * Runs the user's editor on PATH; 0 if it exited 0, else -1 after saying
 * why.
 */
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
	if ((pid = fork()) == -1) {
		cli_error("cannot start the editor: %m; nothing was changed");
		return -1;
	}
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", ed, path,
		    (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1) {
		if (errno != EINTR) {
			cli_error("cannot wait for the editor: %m; nothing "
			          "was changed");
			return -1;
		}
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	/* The shell's 127 is an editor that is not there to run. */
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		cli_error(
		    "cannot run the editor \"%s\"; nothing was changed", ed);
	else if (WIFEXITED(st))
		cli_error("the editor \"%s\" exited with status %d; nothing "
		          "was changed",
		    ed, WEXITSTATUS(st));
	else
		cli_error("the editor \"%s\" was killed by signal %d; nothing "
		          "was changed",
		    ed, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return -1;
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

/*
 * ERR, an error of the file parsed as EDIT_NAME without its comments on
 * top, with its line moved down by SHIFT, the comments now above it, so
 * that it points where the user's editor shows the key.
 */
static char *
edit_error(const char *err, size_t shift)
{
	const char *p = err + strlen(EDIT_NAME);
	char *end, *out, *nl;
	long line;

	if (strncmp(err, EDIT_NAME ":", strlen(EDIT_NAME) + 1) != 0 ||
	    (line = strtol(p + 1, &end, 10)) < 1 || *end != ':')
		out = xstrdup(err);
	else
		xasprintf(&out, "%s:%ld%s", EDIT_NAME, line + (long)shift, end);
	/* One comment line per error, or the count above is wrong. */
	while ((nl = strchr(out, '\n')) != NULL)
		*nl = ' ';
	return out;
}

/* JF's errors placed for a file with one comment line per error on top. */
static char **
edit_errors(const struct jobfile *jf)
{
	char **errs;
	size_t i;

	errs = xcalloc(jf->nerrors + 1, sizeof *errs);
	for (i = 0; i < jf->nerrors; i++)
		errs[i] = edit_error(jf->errors[i], jf->nerrors);
	return errs;
}

static void
edit_errors_free(char **errs)
{
	size_t i;

	for (i = 0; errs[i] != NULL; i++)
		free(errs[i]);
	free(errs);
}

/* Rewrites PATH as ERRS (as comments) above BODY. */
static int
write_with_errors(const char *path, const char *body, char **errs)
{
	size_t i;
	FILE *fp;

	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	for (i = 0; errs[i] != NULL; i++)
		fprintf(fp, "%s%s\n", EDIT_ERROR_MARK, errs[i]);
	fputs(body, fp);
	return fclose(fp);
}

/*
 * The jobs of RESP that are the API's (and named NAME, if given); with
 * DETACH, job NAME also when it comes from a file, to be taken over.
 */
static int
load_jobs(
    cJSON *resp, const char *name, int detach, struct job ***jobs, size_t *n)
{
	cJSON *e;
	const cJSON *origin, *nm;
	const char *field;
	char *cause = NULL;
	struct job *j;
	long long version;

	*jobs = NULL;
	*n = 0;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(resp, "jobs"))
	{
		origin = cJSON_GetObjectItemCaseSensitive(e, "origin");
		nm = cJSON_GetObjectItemCaseSensitive(e, "name");
		if (!cJSON_IsString(nm) ||
		    (name != NULL && strcmp(nm->valuestring, name) != 0))
			continue;
		if (cJSON_IsString(origin) && origin->valuestring[0] == '/' &&
		    !(detach && name != NULL)) {
			if (name != NULL) {
				cli_error(
				    "job \"%s\" comes from %s: edit that "
				    "file, or use --detach to take it over",
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
		/* What the save is based on: a change made meanwhile is 409. */
		if (print_int(e, "version", &version) == 0)
			j->version = version;
		*jobs = xreallocarray(*jobs, *n + 1, sizeof **jobs);
		(*jobs)[(*n)++] = j;
	}
	if (name != NULL && *n == 0) {
		cli_error("no job named \"%s\" among your jobs (cronq edit "
		          "changes only your own)",
		    name);
		return -1;
	}
	return 0;
}

/* The PUT /jobs body turning BEFORE into AFTER; NULL when they agree. */
static cJSON *
diff_body(struct job **before, size_t nb, const struct jobfile *after)
{
	cJSON *body, *jobs, *del, *vers, *a, *b;
	const char *name;
	size_t i, k;
	int64_t v;
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
	/*
	 * The version each named job had when it was read, 0 for a name
	 * that had none: the daemon refuses the save if one moved since.
	 */
	vers = cJSON_AddObjectToObject(body, "versions");
	cJSON_ArrayForEach(a, jobs)
	{
		name = cJSON_GetObjectItemCaseSensitive(a, "name")->valuestring;
		for (k = 0, v = 0; k < nb; k++) {
			if (strcmp(before[k]->name, name) == 0)
				v = before[k]->version;
		}
		cJSON_AddNumberToObject(vers, name, (double)v);
	}
	cJSON_ArrayForEach(a, del)
	{
		for (k = 0; k < nb; k++) {
			if (strcmp(before[k]->name, a->valuestring) == 0)
				cJSON_AddNumberToObject(vers, a->valuestring,
				    (double)before[k]->version);
		}
	}
	return body;
}

/*
 * Edits PATH until it is valid; the parsed file, or NULL with *RC set:
 * CQ_EXIT_INVALID when the user gave up on errors, CQ_EXIT_FAIL when the
 * editor did not run to its end.
 */
static struct jobfile *
edit_loop(const char *path, int *rc)
{
	struct jobfile *jf;
	char *text, *last = NULL, **errs;
	const char *body;
	size_t len, i;

	for (;;) {
		*rc = CQ_EXIT_FAIL;
		if (run_editor(path) == -1) {
			free(last);
			return NULL;
		}
		if ((text = read_all(path, &len)) == NULL) {
			cli_error("cannot read %s back: %m", path);
			free(last);
			return NULL;
		}
		*rc = CQ_EXIT_INVALID;
		/*
		 * The last round's error comments are dropped before parsing,
		 * so positions count from the body and edit_errors can place
		 * them below this round's comments.
		 */
		body = skip_errors(text);
		jf = jobfile_parse(
		    EDIT_NAME, body, len - (size_t)(body - text), 0);
		if (jf->nerrors == 0) {
			free(text);
			free(last);
			return jf;
		}
		errs = edit_errors(jf);
		jobfile_free(jf);
		/* Saved again without a change: the user gives up. */
		if (last != NULL && strcmp(skip_errors(last), body) == 0) {
			for (i = 0; errs[i] != NULL; i++)
				cli_error("%s", errs[i]);
			cli_error("the file still has errors; nothing was "
			          "changed");
			edit_errors_free(errs);
			free(text);
			free(last);
			return NULL;
		}
		write_with_errors(path, body, errs);
		edit_errors_free(errs);
		free(text);
		free(last);
		last = read_all(path, &len);
	}
}

/*
 * Edits PATH and sends the result until the daemon takes it. A change the
 * daemon refuses (a name a job file holds, a user the job may not run as)
 * reopens the editor with the daemon's message on top, as a file error
 * does, rather than throwing the edits away; saving that unchanged gives
 * up. Returns the last file parsed (NULL when the editor or the user gave
 * up) with *RC and, on success, *RESP; *RESP stays NULL for "no changes".
 */
static struct jobfile *
edit_apply(struct client *c, const char *path, int detach, struct job **jobs,
    size_t n, cJSON **resp, int *rc)
{
	struct jobfile *jf;
	cJSON *body;
	char *cause = NULL, *refused = NULL, *text, *errs[2] = { NULL, NULL };
	size_t len;
	long status;

	for (;;) {
		if ((jf = edit_loop(path, rc)) == NULL)
			break;
		if ((body = diff_body(jobs, n, jf)) == NULL) {
			printf("no changes\n");
			*rc = CQ_EXIT_OK;
			break;
		}
		*rc = client_call(c, "PUT", detach ? "/jobs?detach=1" : "/jobs",
		    body, resp, &status, &cause);
		cJSON_Delete(body);
		if (*rc == CQ_EXIT_OK)
			break;
		text = read_all(path, &len);
		if (*rc == CQ_EXIT_UNREACHABLE || status < 400 ||
		    status >= 500 || text == NULL ||
		    (refused != NULL &&
		        strcmp(refused, skip_errors(text)) == 0)) {
			if (*rc == CQ_EXIT_UNREACHABLE)
				cli_unreachable(cause);
			else
				cli_error(
				    "cannot apply the edited jobs: %s", cause);
			free(text);
			jobfile_free(jf);
			jf = NULL;
			break;
		}
		free(refused);
		refused = xstrdup(skip_errors(text));
		xasprintf(&errs[0], "the daemon refused it: %s", cause);
		write_with_errors(path, refused, errs);
		free(errs[0]);
		free(text);
		free(cause);
		cause = NULL;
		jobfile_free(jf);
	}
	free(refused);
	free(cause);
	return jf;
}

static int
cmd_edit_exec(const struct cli_opts *opts, int argc, char **argv)
{
	char path[] = "/tmp/cronq-edit-XXXXXX.yaml";
	struct jobfile *jf = NULL;
	struct job **jobs = NULL;
	struct client *c;
	cJSON *resp = NULL;
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
	/* Only the caller's: PUT /jobs saves and deletes its own jobs. */
	rc = cli_api(c, "GET", "/jobs?mine=1", NULL, &resp, "list jobs");
	if (rc != CQ_EXIT_OK)
		goto out;
	if (load_jobs(resp, name, detach, &jobs, &n) == -1) {
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
	if ((jf = edit_apply(c, path, detach, jobs, n, &resp, &rc)) == NULL ||
	    resp == NULL)
		goto out;
	if (opts->json)
		print_json(resp);
	else {
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
	cJSON_Delete(resp);
	client_free(c);
	return rc;
}
