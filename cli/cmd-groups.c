/* SPDX-License-Identifier: ISC */
/*
 * groups [ls]|set|reset: the concurrency groups jobs share, with their
 * limits and how many of their runs run and wait now. Anyone may list
 * them; the daemon lets only admins change a limit, since a limit holds
 * back every owner's runs, and says so when it refuses.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "util.h"
#include "xmalloc.h"

/* What PUT /groups/NAME accepts (agentd/handlers-groups.c). */
#define GROUPS_LIMIT_MAX 100000

static int cmd_groups_exec(const struct cli_opts *, int, char **);

const struct cli_cmd cmd_groups = { "groups",
	"groups [ls] | groups set NAME LIMIT | groups reset NAME",
	"list concurrency groups; set or reset a group's limit (admins)",
	cmd_groups_exec };

static void
groups_print(const cJSON *resp)
{
	const cJSON *g, *list;
	struct table *t;
	char limit[24], running[24], queued[24];
	long long n;

	list = cJSON_GetObjectItemCaseSensitive(resp, "groups");
	if (cJSON_GetArraySize(list) == 0) {
		cli_note("no groups: no job names one and none has a limit");
		return;
	}
	t = table_create(5, "NAME", "LIMIT", "SOURCE", "RUNNING", "QUEUED");
	cJSON_ArrayForEach(g, list)
	{
		snprintf(limit, sizeof limit, "%lld",
		    print_int(g, "limit", &n) == 0 ? n : 0);
		snprintf(running, sizeof running, "%lld",
		    print_int(g, "running", &n) == 0 ? n : 0);
		snprintf(queued, sizeof queued, "%lld",
		    print_int(g, "queued", &n) == 0 ? n : 0);
		table_add(t, print_str(g, "name", "?"), limit,
		    print_str(g, "source", "?"), running, queued);
	}
	table_print(t, stdout);
	table_free(t);
}

static int
groups_ls(const struct cli_opts *opts, int argc, char **argv)
{
	struct client *c;
	cJSON *resp;
	int rc;

	if (argc > 1)
		return cli_usage(
		    &cmd_groups, "unexpected argument \"%s\"", argv[1]);
	if ((c = cli_connect(opts, &rc)) == NULL)
		return rc;
	rc = cli_api(c, "GET", "/groups", NULL, &resp, "list the groups");
	client_free(c);
	if (rc != CQ_EXIT_OK)
		return rc;
	if (opts->json)
		print_json(resp);
	else
		groups_print(resp);
	cJSON_Delete(resp);
	return rc;
}

/*
 * PUT (LIMIT above 0) or DELETE /groups/NAME; prints the group with
 * --json only, as other commands that change something do.
 */
static int
groups_change(const struct cli_opts *opts, const char *name, long long limit)
{
	struct client *c;
	cJSON *body = NULL, *resp;
	char *path, *esc;
	int rc;

	if ((c = cli_connect(opts, &rc)) == NULL)
		return rc;
	esc = client_escape(name);
	xasprintf(&path, "/groups/%s", esc);
	free(esc);
	if (limit > 0) {
		body = cJSON_CreateObject();
		cJSON_AddNumberToObject(body, "limit", (double)limit);
		rc = cli_api(c, "PUT", path, body, &resp,
		    "set the limit of group \"%s\"", name);
	} else
		rc = cli_api(c, "DELETE", path, NULL, &resp,
		    "reset the limit of group \"%s\"", name);
	cJSON_Delete(body);
	free(path);
	client_free(c);
	if (rc != CQ_EXIT_OK)
		return rc;
	if (opts->json)
		print_json(resp);
	cJSON_Delete(resp);
	return rc;
}

/* NAME as the daemon takes it, or a usage error saying what is wrong. */
static int
groups_name(const char *sub, const char *name)
{
	if (util_valid_name(name))
		return -1;
	return cli_usage(&cmd_groups,
	    "%s: group name \"%s\": expected 1-64 of A-Z a-z 0-9 . _ -", sub,
	    name);
}

static int
groups_set(const struct cli_opts *opts, int argc, char **argv)
{
	long long limit;
	int rc;

	if (argc < 2)
		return cli_usage(&cmd_groups, "set: missing group name");
	if (argc < 3)
		return cli_usage(&cmd_groups, "set: missing limit");
	if (argc > 3)
		return cli_usage(
		    &cmd_groups, "unexpected argument \"%s\"", argv[3]);
	if ((rc = groups_name("set", argv[1])) != -1)
		return rc;
	limit = runs_parse_id(argv[2]);
	if (limit < 1 || limit > GROUPS_LIMIT_MAX)
		return cli_usage(&cmd_groups,
		    "set: limit \"%s\": expected a number from 1 to %d "
		    "(runs of the group at once)",
		    argv[2], GROUPS_LIMIT_MAX);
	return groups_change(opts, argv[1], limit);
}

static int
groups_reset(const struct cli_opts *opts, int argc, char **argv)
{
	int rc;

	if (argc < 2)
		return cli_usage(&cmd_groups, "reset: missing group name");
	if (argc > 2)
		return cli_usage(
		    &cmd_groups, "unexpected argument \"%s\"", argv[2]);
	if ((rc = groups_name("reset", argv[1])) != -1)
		return rc;
	return groups_change(opts, argv[1], 0);
}

static int
cmd_groups_exec(const struct cli_opts *opts, int argc, char **argv)
{
	if (argc < 2)
		return groups_ls(opts, argc, argv);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		return print_usage(&cmd_groups);
	if (strcmp(argv[1], "ls") == 0 || strcmp(argv[1], "list") == 0)
		return groups_ls(opts, argc - 1, argv + 1);
	if (strcmp(argv[1], "set") == 0)
		return groups_set(opts, argc - 1, argv + 1);
	if (strcmp(argv[1], "reset") == 0)
		return groups_reset(opts, argc - 1, argv + 1);
	return cli_usage(&cmd_groups,
	    "unknown subcommand \"%s\" (expected ls, set or reset)", argv[1]);
}
