/* SPDX-License-Identifier: ISC */
/*
 * The cronq command-line client. Each command family lives in a cmd-*.c
 * file that exports entries for the table in cronq.c; commands other than
 * `next` and `validate` reach the daemon only through lib/client.c.
 */
#ifndef CLI_H
#define CLI_H

#include "cronq.h"

/* Options given before the command, shared by every command. */
struct cli_opts {
	const char *socket; /* --socket, CRONQ_SOCKET */
	const char *host;   /* --host, CRONQ_HOST */
	const char *token;  /* --token, CRONQ_TOKEN */
	const char *cacert; /* --cacert */
	int json;           /* --json */
};

struct cli_cmd {
	const char *name;
	const char *usage; /* the synopsis after "usage: cronq " */
	const char *summary;
	int (*exec)(const struct cli_opts *opts, int argc, char **argv);
};

/* msg.c: every message to stderr goes through here. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage(const struct cli_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const struct cli_cmd *cli_find(const char *name);

/* cmd-next.c */
extern const struct cli_cmd cmd_next;

#endif
