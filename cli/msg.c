/* SPDX-License-Identifier: ISC */
/*
 * One place for what cronq says on stderr: "cronq: what failed: why", and
 * usage errors as the reason followed by the command's synopsis.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cronexpr.h"
#include "util.h"

static void
cli_vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "cronq: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmsg("", fmt, ap);
	va_end(ap);
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void
cli_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmsg("", fmt, ap);
	va_end(ap);
}

int
cli_usage(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		fprintf(stderr, "cronq: %s: ", cmd->name);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	/*
	 * After an error a usage of many lines buries it: point to the
	 * command's help instead, which prints it whole.
	 */
	if (fmt != NULL && strlen(cmd->usage) > 160)
		fprintf(stderr, "usage: cronq %s ...; see cronq help %s\n",
		    cmd->name, cmd->name);
	else
		fprintf(stderr, "usage: cronq %s\n", cmd->usage);
	return CQ_EXIT_USAGE;
}

void
cli_expr_notes(const char *where, const char *text)
{
	char notes[4][CRON_NOTE_MAX], esc[128], *cause = NULL;
	struct cronexpr ce;
	size_t n, i;

	/* A schedule that does not parse gets its error elsewhere. */
	if (cronexpr_parse(&ce, text, NULL, &cause) == -1) {
		free(cause);
		return;
	}
	n = cronexpr_notes(&ce, notes, 4);
	util_escape(esc, sizeof esc, text);
	for (i = 0; i < n; i++)
		fprintf(stderr, "cronq: %snotice: \"%s\": %s\n", where, esc,
		    notes[i]);
}

void
cli_job_warnings(const char *name, const cJSON *job)
{
	const cJSON *w;

	cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(job, "warnings"))
	{
		if (cJSON_IsString(w))
			cli_warn("job \"%s\" was saved but its runs will "
			         "fail here: %s",
			    name, w->valuestring);
	}
}
