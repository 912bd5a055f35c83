/* SPDX-License-Identifier: ISC */
/*
 * cronq: global options, command lookup and the exit status. The commands
 * themselves live in cmd-*.c.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cli_cmd *const cli_cmds[] = {
	&cmd_next,
};

#define NCMDS (sizeof(cli_cmds) / sizeof(cli_cmds[0]))

const struct cli_cmd *
cli_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cli_cmds[i]->name, name) == 0)
			return cli_cmds[i];
	return NULL;
}

static void
cli_help(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: cronq [--json] [--socket PATH | --host URL] "
		    "[--token T] [--cacert FILE] COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(fp, "  %-10s %s\n", cli_cmds[i]->name,
		    cli_cmds[i]->summary);
	fprintf(fp, "\n`cronq help COMMAND` shows a command's usage; "
		    "see cronq(1).\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "host", required_argument, NULL, 'H' },
		{ "token", required_argument, NULL, 't' },
		{ "cacert", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts opts = { 0 };
	const struct cli_cmd *cmd;
	int ch;

	opts.socket = getenv("CRONQ_SOCKET");
	opts.host = getenv("CRONQ_HOST");
	opts.token = getenv("CRONQ_TOKEN");

	/* "+" stops at the command name so its own options stay its own. */
	while ((ch = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			opts.socket = optarg;
			break;
		case 'H':
			opts.host = optarg;
			break;
		case 't':
			opts.token = optarg;
			break;
		case 'c':
			opts.cacert = optarg;
			break;
		case 'j':
			opts.json = 1;
			break;
		case 'h':
			cli_help(stdout);
			return CQ_EXIT_OK;
		case 'V':
			printf("cronq %s\n", PACKAGE_VERSION);
			return CQ_EXIT_OK;
		default:
			cli_help(stderr);
			return CQ_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		cli_help(stderr);
		return CQ_EXIT_USAGE;
	}
	if (strcmp(argv[0], "help") == 0) {
		if (argc < 2) {
			cli_help(stdout);
			return CQ_EXIT_OK;
		}
		if ((cmd = cli_find(argv[1])) == NULL) {
			cli_error("help: unknown command \"%s\"", argv[1]);
			return CQ_EXIT_USAGE;
		}
		printf("usage: cronq %s\n%s\n", cmd->usage, cmd->summary);
		return CQ_EXIT_OK;
	}
	if ((cmd = cli_find(argv[0])) == NULL) {
		cli_error("unknown command \"%s\"; see cronq --help", argv[0]);
		return CQ_EXIT_USAGE;
	}
	optind = 1;
	return cmd->exec(&opts, argc, argv);
}
