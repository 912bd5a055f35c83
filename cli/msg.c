/* SPDX-License-Identifier: ISC */
/*
 * One place for what cronq says on stderr: "cronq: what failed: why", and
 * usage errors as the reason followed by the command's synopsis.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

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
	fprintf(stderr, "usage: cronq %s\n", cmd->usage);
	return CQ_EXIT_USAGE;
}
