/* SPDX-License-Identifier: ISC */
/*
 * cronq import: a crontab (user format, or the system format of
 * /etc/crontab and /etc/cron.d with its user column) turned into a job
 * file on stdout. What cron would have done differently, or what has no
 * equivalent, becomes a comment (and a warning on stderr), never a guess.
 */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cronexpr.h"
#include "jobfile.h"
#include "xmalloc.h"

static int cmd_import_exec(const struct cli_opts *, int, char **);

const struct cli_cmd cmd_import = { "import", "import [--system] [FILE|-]",
	"turn a crontab into a job file on stdout", cmd_import_exec };

struct import {
	const char *src;
	int system;
	int njobs;
	cJSON *env; /* the env lines seen so far */
	char *tz;   /* CRON_TZ */
	FILE *out;
};

/*
 * Writes S as a `# ` comment and warns on stderr with LINE. Every comment
 * after "jobs:" is indented as the list items are, so each reads as part
 * of the list rather than as a new top-level section.
 */
static void note(struct import *im, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
note(struct import *im, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	fprintf(im->out, "  # note (line %d): %s\n", line, msg);
	fprintf(stderr, "cronq: %s:%d: %s\n", im->src, line, msg);
	free(msg);
}

/*
 * A system crontab read as a user one puts its user column into every
 * command ("root run-parts ..."), which then fails at each run: say so
 * when a command's first word is a user of this host and no program.
 */
static void
user_column_note(struct import *im, int lineno, const char *cmd)
{
	char word[64], *path, *dirs, *dir, *save = NULL;
	size_t n = strcspn(cmd, " \t");
	int found;

	if (n == 0 || n >= sizeof word || cmd[n] == '\0')
		return;
	memcpy(word, cmd, n);
	word[n] = '\0';
	if (strchr(word, '/') != NULL || getpwnam(word) == NULL)
		return;
	found = 0;
	dirs =
	    xstrdup(getenv("PATH") != NULL ? getenv("PATH") : "/usr/bin:/bin");
	for (dir = strtok_r(dirs, ":", &save); dir != NULL && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		xasprintf(&path, "%s/%s", dir, word);
		found = access(path, X_OK) == 0;
		free(path);
	}
	free(dirs);
	if (!found)
		note(im, lineno,
		    "the command starts with \"%s\", a user of this host: "
		    "if this is a system crontab (with a user column), import "
		    "it with --system",
		    word);
}

static char *
next_word(char **s)
{
	char *w;

	*s += strspn(*s, " \t");
	if (**s == '\0')
		return NULL;
	w = *s;
	*s += strcspn(*s, " \t");
	if (**s != '\0')
		*(*s)++ = '\0';
	return w;
}

/* Appends S single-quoted for sh to BUF. */
static void
sh_quote(char **buf, const char *s)
{
	char *old = *buf, *q;
	size_t n = 2, i, j = 0;

	for (i = 0; s[i] != '\0'; i++)
		n += s[i] == '\'' ? 4 : 1;
	q = xmalloc(n + 1);
	q[j++] = '\'';
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\'') {
			memcpy(q + j, "'\\''", 4);
			j += 4;
		} else
			q[j++] = s[i];
	}
	q[j++] = '\'';
	q[j] = '\0';
	xasprintf(buf, "%s %s", old, q);
	free(old);
	free(q);
}

/*
 * Applies crontab(5)'s % rules to CMD: \% is a literal %, the first bare
 * % ends the command and the rest, with each % a newline, is stdin. The
 * result feeds that stdin through printf; *cut is set when it did.
 */
static char *
percent_command(const char *cmd, int *cut)
{
	char *head, *rest = NULL, *out, *line, *save = NULL;
	size_t i, j = 0, n = strlen(cmd);
	int in_rest = 0;

	head = xcalloc(1, n + 1);
	*cut = 0;
	for (i = 0; i < n; i++) {
		if (cmd[i] == '\\' && cmd[i + 1] == '%') {
			(in_rest ? rest : head)[j++] = '%';
			i++;
		} else if (cmd[i] == '%') {
			if (!in_rest) {
				head[j] = '\0';
				in_rest = 1;
				rest = xcalloc(1, n + 1);
				j = 0;
			} else
				rest[j++] = '\n';
		} else
			(in_rest ? rest : head)[j++] = cmd[i];
	}
	(in_rest ? rest : head)[j] = '\0';
	if (!in_rest)
		return head;
	*cut = 1;
	out = xstrdup("printf '%s\\n'");
	if (rest[0] == '\0')
		sh_quote(&out, "");
	for (line = strtok_r(rest, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		sh_quote(&out, line);
	{
		char *full;

		xasprintf(&full, "%s | (%s)", out, head);
		free(out);
		out = full;
	}
	free(head);
	free(rest);
	return out;
}

/* A job name from the command's first word and the job count. */
static void
job_name(char *buf, size_t len, const char *cmd, int n)
{
	char word[40];
	const char *w = cmd + strspn(cmd, " \t("), *c, *end;
	size_t k = 0;

	end = w + strcspn(w, " \t;|&)");
	for (c = w; c < end; c++) {
		if (*c == '/')
			w = c + 1;
	}
	for (; w + k < end && k < sizeof word - 1; k++)
		word[k] = isalnum((unsigned char)w[k]) || w[k] == '.' ||
		        w[k] == '_' || w[k] == '-'
		    ? w[k]
		    : '-';
	word[k] = '\0';
	snprintf(buf, len, "%s-%d", k > 0 ? word : "job", n);
}

static void
put_str(FILE *fp, const char *key, const char *v)
{
	cJSON *s = cJSON_CreateString(v);
	char *t = cJSON_PrintUnformatted(s);

	fprintf(fp, "    %s: %s\n", key, t);
	free(t);
	cJSON_Delete(s);
}

static void
env_line(struct import *im, int lineno, char *line)
{
	char *eq = strchr(line, '='), *k = line, *v, *end;
	size_t vl;

	*eq = '\0';
	end = eq;
	while (end > k && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	v = eq + 1 + strspn(eq + 1, " \t");
	vl = strlen(v);
	while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		v[--vl] = '\0';
	if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
		v[vl - 1] = '\0';
		v++;
	}
	if (strcmp(k, "CRON_TZ") == 0 || strcmp(k, "TZ") == 0) {
		free(im->tz);
		im->tz = xstrdup(v);
		return;
	}
	if (strcmp(k, "MAILTO") == 0 || strcmp(k, "MAILFROM") == 0) {
		fprintf(im->out,
		    "  # line %d: %s=%s not carried over: cronq keeps output in "
		    "its run logs (cronq logs) and sends no mail\n",
		    lineno, k, v);
		return;
	}
	if (strcmp(k, "SHELL") == 0 && strcmp(v, "/bin/sh") != 0) {
		fprintf(im->out,
		    "  # line %d: SHELL=%s not carried over: string commands "
		    "run with /bin/sh -c\n",
		    lineno, v);
		return;
	}
	if (strcmp(k, "RANDOM_DELAY") == 0) {
		fprintf(im->out,
		    "  # line %d: RANDOM_DELAY=%s: use jitter: on each job\n",
		    lineno, v);
		return;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(im->env, k);
	cJSON_AddStringToObject(im->env, k, v);
}

static void
job_line(struct import *im, int lineno, char *line, int last_no_nl)
{
	char sched[CQ_EXPR_MAX], name[80], *p = line, *w, *user = NULL;
	char *cmd, *why = NULL, *whole;
	struct cronexpr ce;
	int i, cut;

	/* The words are cut out of LINE in place; a skipped line is quoted. */
	whole = xstrdup(line);

	if (*p == '@') {
		w = next_word(&p);
		strlcpy(sched, w, sizeof sched);
	} else {
		sched[0] = '\0';
		for (i = 0; i < 5; i++) {
			if ((w = next_word(&p)) == NULL)
				break;
			if (i > 0)
				strlcat(sched, " ", sizeof sched);
			strlcat(sched, w, sizeof sched);
		}
	}
	if (im->system)
		user = next_word(&p);
	p += strspn(p, " \t");
	if (*p == '\0' || (im->system && user == NULL)) {
		fprintf(im->out,
		    "  # line %d: not carried over (no command): %s\n", lineno,
		    whole);
		fprintf(stderr, "cronq: %s:%d: no command; line skipped\n",
		    im->src, lineno);
		free(whole);
		return;
	}
	free(whole);
	if (cronexpr_parse(&ce, sched, "x", &why) == -1) {
		fprintf(im->out, "  # line %d: not carried over: %s\n", lineno,
		    why);
		fprintf(stderr, "cronq: %s:%d: %s; line skipped\n", im->src,
		    lineno, why);
		free(why);
		return;
	}
	if (!im->system)
		user_column_note(im, lineno, p);
	cmd = percent_command(p, &cut);
	job_name(name, sizeof name, p, ++im->njobs);
	if (cut)
		note(im, lineno,
		    "the command was cut at its first unescaped %%; the text "
		    "after it is fed to standard input through printf, as "
		    "cron did");
	if (last_no_nl)
		note(im, lineno,
		    "the last line had no newline; cron would have ignored "
		    "it, cronq runs it");
	fprintf(im->out, "  - name: \"%s\"\n", name);
	put_str(im->out, "schedule", sched);
	put_str(im->out, "command", cmd);
	if (user != NULL)
		put_str(im->out, "user", user);
	if (im->tz != NULL)
		put_str(im->out, "timezone", im->tz);
	if (im->env->child != NULL) {
		fputs("    env:\n", im->out);
		jobfile_write_map(im->out, im->env, 6);
	}
	free(cmd);
}

static int
is_env_line(const char *s)
{
	size_t n;

	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	n = strspn(s,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
	s += n;
	s += strspn(s, " \t");
	return *s == '=';
}

static int
cmd_import_exec(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = { { "system", no_argument, NULL,
		                                      'S' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct import im;
	char *line = NULL, *s;
	size_t cap = 0;
	ssize_t n;
	int ch, lineno = 0, no_nl;
	FILE *in;

	(void)opts;
	memset(&im, 0, sizeof im);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":Sh", longopts, NULL)) != -1) {
		if (ch == 'S')
			im.system = 1;
		else if (ch == 'h')
			return print_usage(&cmd_import);
		else
			return print_badopt(&cmd_import, ch, argv);
	}
	if (argc - optind > 1)
		return cli_usage(&cmd_import, "one crontab at a time");
	im.src = optind < argc ? argv[optind] : "-";
	if (strcmp(im.src, "-") == 0)
		in = stdin;
	else if ((in = fopen(im.src, "r")) == NULL) {
		cli_error("cannot read %s: %m", im.src);
		return CQ_EXIT_FAIL;
	}
	if (strcmp(im.src, "/etc/crontab") == 0 ||
	    strncmp(im.src, "/etc/cron.d/", 12) == 0)
		im.system = 1;
	im.out = stdout;
	im.env = cJSON_CreateObject();
	printf("# Imported by cronq import from %s (%s crontab format).\n",
	    strcmp(im.src, "-") == 0 ? "standard input" : im.src,
	    im.system ? "system" : "user");
	printf("jobs:\n");
	while ((n = getline(&line, &cap, in)) != -1) {
		lineno++;
		no_nl = n == 0 || line[n - 1] != '\n';
		line[strcspn(line, "\r\n")] = '\0';
		s = line + strspn(line, " \t");
		if (*s == '\0')
			continue;
		if (*s == '#') {
			printf("  #%s\n", s + 1);
			continue;
		}
		if (is_env_line(s))
			env_line(&im, lineno, s);
		else
			job_line(&im, lineno, s, no_nl);
	}
	if (im.njobs == 0)
		printf("  []\n");
	free(line);
	free(im.tz);
	cJSON_Delete(im.env);
	if (in != stdin)
		fclose(in);
	return CQ_EXIT_OK;
}
