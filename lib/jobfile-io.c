/* SPDX-License-Identifier: ISC */
/*
 * Job files on disk: reading one, which names in a directory count, who
 * may own them, and writing jobs back out as YAML (for `cronq edit` and
 * `cronq import`).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <yaml.h>

#include "jobfile-int.h"
#include "jobfile.h"
#include "xmalloc.h"

struct jobfile *
jobfile_parse(const char *path, const char *text, size_t len, int flags)
{
	struct jobfile *out;
	yaml_parser_t parser;
	struct jf jf;
	cJSON *root;
	size_t i;
	int failed;

	out = xcalloc(1, sizeof *out);
	out->path = xstrdup(path);
	memset(&jf, 0, sizeof jf);
	jf.out = out;
	jf.text = text;
	jf.len = len;
	jf.parser = &parser;
	jf.flags = flags;
	if (len > JOBFILE_MAX_SIZE) {
		jf_error(&jf, NULL, "file is larger than %d bytes",
		    JOBFILE_MAX_SIZE);
		return out;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	root = jf_read_document(&jf, &failed);
	yaml_parser_delete(&parser);
	jf.pruned = cJSON_CreateArray();
	if (!failed)
		jf_schema_document(&jf, root, flags);
	cJSON_Delete(root);
	cJSON_Delete(jf.pruned);
	for (i = 0; i < jf.npos; i++)
		free(jf.pos[i].raw);
	free(jf.pos);
	free(jf.index);
	for (i = 0; i < jf.nanchors; i++)
		free(jf.anchors[i].name);
	free(jf.anchors);
	if (out->nerrors > 0) {
		for (i = 0; i < out->njobs; i++)
			job_free(out->jobs[i]);
		free(out->jobs);
		free(out->names);
		out->jobs = NULL;
		out->names = NULL;
		out->njobs = 0;
	}
	return out;
}

static struct jobfile *
one_error(const char *path, const char *why)
{
	struct jobfile *out;

	out = xcalloc(1, sizeof *out);
	out->path = xstrdup(path);
	out->errors = xcalloc(1, sizeof *out->errors);
	xasprintf(&out->errors[0], "%s: cannot read: %s", path, why);
	out->nerrors = 1;
	return out;
}

struct jobfile *
jobfile_load(const char *path, int flags)
{
	struct jobfile *out;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return one_error(path, strerror(errno));
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 8192 : cap * 2;
			buf = xreallocarray(buf, cap, 1);
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len > JOBFILE_MAX_SIZE)
			break;
	}
	if (n == -1) {
		out = one_error(path, strerror(errno));
		len = 0;
	} else
		out = jobfile_parse(path, buf, len, flags);
	if (fd != STDIN_FILENO)
		close(fd);
	free(buf);
	return out;
}

void
jobfile_free(struct jobfile *jf)
{
	size_t i;

	if (jf == NULL)
		return;
	for (i = 0; i < jf->njobs; i++)
		job_free(jf->jobs[i]);
	free(jf->jobs);
	free(jf->names);
	for (i = 0; i < jf->nerrors; i++)
		free(jf->errors[i]);
	free(jf->errors);
	free(jf->path);
	free(jf);
}

char *
jobfile_name_error(const struct jobfile *jf, size_t i, const char *fmt, ...)
{
	va_list ap;
	char *msg, *out;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	xasprintf(&out, "%s:%d:%d: name: job \"%s\" %s", jf->path,
	    jf->names[i].line, jf->names[i].col, jf->jobs[i]->name, msg);
	free(msg);
	return out;
}

int
jobfile_name_ok(const char *name)
{
	static const char *skip[] = { ".*", "*~", "*.swp", "*.swx", "*.tmp",
		"*.bak", "*.dpkg-*", "*.rpm*", "#*#", NULL };
	size_t i;

	if (fnmatch("*.yaml", name, 0) != 0 && fnmatch("*.yml", name, 0) != 0)
		return 0;
	for (i = 0; skip[i] != NULL; i++) {
		if (fnmatch(skip[i], name, FNM_PERIOD) == 0 ||
		    (name[0] == '.' && i == 0))
			return 0;
	}
	return 1;
}

int
jobfile_check_owner(const char *path, uid_t uid, char **cause)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		xasprintf(cause, "%s: cannot stat: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		xasprintf(cause, "%s: refused: not a regular file", path);
		return -1;
	}
	if (st.st_uid != uid) {
		xasprintf(cause,
		    "%s: refused: owned by uid %u, must be owned by uid %u%s",
		    path, (unsigned)st.st_uid, (unsigned)uid,
		    uid == 0 ? " (root)" : " (the daemon's user)");
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		xasprintf(cause,
		    "%s: refused: mode %04o is writable by %s; chmod "
		    "go-w %s",
		    path, (unsigned)(st.st_mode & 07777),
		    (st.st_mode & S_IWOTH) ? "others" : "its group", path);
		return -1;
	}
	return 0;
}

/* Fields always written, even when they hold the default. */
static int
always(const char *k)
{
	return strcmp(k, "name") == 0 || strcmp(k, "schedules") == 0 ||
	    strcmp(k, "command") == 0 || strcmp(k, "http") == 0;
}

static void
write_scalar(FILE *fp, const cJSON *v)
{
	char *s;

	if (cJSON_IsString(v)) {
		/* A JSON string is a YAML double-quoted scalar. */
		s = cJSON_PrintUnformatted(v);
		fputs(s, fp);
		free(s);
	} else if (cJSON_IsBool(v))
		fputs(cJSON_IsTrue(v) ? "true" : "false", fp);
	else if (cJSON_IsNumber(v))
		fprintf(fp, "%.17g", v->valuedouble);
	else
		fputs("null", fp);
}

static void
write_key(FILE *fp, const char *k)
{
	cJSON *tmp;
	char *s;

	if (k[0] != '\0' &&
	    strspn(k,
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
	        "rstuvwxyz_") == strlen(k)) {
		fputs(k, fp);
		return;
	}
	tmp = cJSON_CreateString(k);
	s = cJSON_PrintUnformatted(tmp);
	fputs(s, fp);
	free(s);
	cJSON_Delete(tmp);
}

static void write_value(FILE *fp, const cJSON *v, int indent);

void
jobfile_write_map(FILE *fp, const cJSON *o, int indent)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, o)
	{
		fprintf(fp, "%*s", indent, "");
		write_key(fp, e->string);
		fputc(':', fp);
		write_value(fp, e, indent);
	}
}

/* Whether array A holds a map or a list, which a flow list cannot. */
static int
has_compound(const cJSON *a)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, a)
	{
		if (cJSON_IsObject(e) || cJSON_IsArray(e))
			return 1;
	}
	return 0;
}

/*
 * Array A as a block list under a key at INDENT: each map item starts on
 * its "- " line and its other keys line up under the first.
 */
static void
write_block_list(FILE *fp, const cJSON *a, int indent)
{
	const cJSON *e, *m;

	fputc('\n', fp);
	cJSON_ArrayForEach(e, a)
	{
		fprintf(fp, "%*s-", indent + 2, "");
		if (!cJSON_IsObject(e) || e->child == NULL) {
			write_value(fp, e, indent + 2);
			continue;
		}
		cJSON_ArrayForEach(m, e)
		{
			if (m == e->child)
				fputc(' ', fp);
			else
				fprintf(fp, "%*s", indent + 4, "");
			write_key(fp, m->string);
			fputc(':', fp);
			write_value(fp, m, indent + 4);
		}
	}
}

static void
write_value(FILE *fp, const cJSON *v, int indent)
{
	const cJSON *e;

	if (cJSON_IsArray(v) && has_compound(v)) {
		write_block_list(fp, v, indent);
		return;
	}
	if (cJSON_IsObject(v)) {
		if (v->child == NULL) {
			fputs(" {}\n", fp);
			return;
		}
		fputc('\n', fp);
		jobfile_write_map(fp, v, indent + 2);
	} else if (cJSON_IsArray(v)) {
		if (v->child == NULL) {
			fputs(" []\n", fp);
			return;
		}
		fputs(" [", fp);
		cJSON_ArrayForEach(e, v)
		{
			write_scalar(fp, e);
			if (e->next != NULL)
				fputs(", ", fp);
		}
		fputs("]\n", fp);
	} else {
		fputc(' ', fp);
		write_scalar(fp, v);
		fputc('\n', fp);
	}
}

void
jobfile_write(FILE *fp, struct job *const *jobs, size_t njobs)
{
	struct job *def;
	cJSON *dj, *o, *out, *e, *d;
	size_t i;

	def = job_create();
	dj = job_to_json(def, 1);
	job_free(def);
	fputs("jobs:\n", fp);
	for (i = 0; i < njobs; i++) {
		o = job_to_json(jobs[i], 1);
		out = cJSON_CreateObject();
		cJSON_ArrayForEach(e, o)
		{
			d = cJSON_GetObjectItemCaseSensitive(dj, e->string);
			if (strcmp(e->string, "name") == 0)
				continue;
			if (!always(e->string) && d != NULL &&
			    cJSON_Compare(d, e, 1))
				continue;
			if (strcmp(e->string, "schedules") == 0 &&
			    cJSON_GetArraySize(e) == 1)
				cJSON_AddItemToObject(out, "schedule",
				    cJSON_Duplicate(e->child, 1));
			else
				cJSON_AddItemToObject(
				    out, e->string, cJSON_Duplicate(e, 1));
		}
		fputs("  - name: ", fp);
		write_scalar(fp, cJSON_GetObjectItemCaseSensitive(o, "name"));
		fputc('\n', fp);
		jobfile_write_map(fp, out, 4);
		cJSON_Delete(out);
		cJSON_Delete(o);
	}
	cJSON_Delete(dj);
}
