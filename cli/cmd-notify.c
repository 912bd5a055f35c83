/* SPDX-License-Identifier: ISC */
/*
 * cronq notifications: the deliveries the daemon made about a run, or
 * about all of a job's runs and missed slots, one row per attempt. The
 * daemon answers oldest first and cuts its list at the limit from the
 * oldest end, so the newest are asked for by taking its whole list.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "xmalloc.h"

/* The most GET .../notifications gives (agentd/handlers-notify.c). */
#define NOTIFY_API_MAX 1000
/* A target's URL or command past this many bytes is cut in the table. */
#define NOTIFY_DEST_MAX 48

static int cmd_notifications_exec(const struct cli_opts *, int, char **);

const struct cli_cmd cmd_notifications = { "notifications",
	"notifications [--limit N] RUN|JOB",
	"list the notifications delivered about a run or a job",
	cmd_notifications_exec };

/* "webhook https://...", the URL or command cut to NOTIFY_DEST_MAX. */
static void
notify_target(char *buf, size_t len, const cJSON *n)
{
	const char *dest = print_str(n, "dest", "");
	size_t cut = strlen(dest);

	if (cut > NOTIFY_DEST_MAX) {
		cut = NOTIFY_DEST_MAX - 3;
		/* Not inside a UTF-8 sequence. */
		while (cut > 0 && ((unsigned char)dest[cut] & 0xc0) == 0x80)
			cut--;
	}
	snprintf(buf, len, "%s %.*s%s", print_str(n, "kind", "?"), (int)cut,
	    dest, cut < strlen(dest) ? "..." : "");
}

/* The rows of LIST, oldest first as the daemon sent them. */
static void
notify_print(const cJSON *list)
{
	const cJSON *n;
	struct table *t;
	char at[64], run[24], target[NOTIFY_DEST_MAX + 32], attempt[24];
	char code[24];
	const char *err;
	long long v;

	t = table_create(8, "TIME", "RUN", "EVENT", "TARGET", "ATTEMPT",
	    "STATUS", "CODE", "ERROR");
	table_fit(t, stdout);
	cJSON_ArrayForEach(n, list)
	{
		print_time(at, sizeof at, print_json_time(n, "created_at"));
		if (print_int(n, "run_id", &v) == 0)
			snprintf(run, sizeof run, "%lld", v);
		else
			strlcpy(run, "-", sizeof run);
		notify_target(target, sizeof target, n);
		snprintf(attempt, sizeof attempt, "%lld",
		    print_int(n, "attempt", &v) == 0 ? v : 0);
		if (print_int(n, "code", &v) == 0)
			snprintf(code, sizeof code, "%lld", v);
		else
			strlcpy(code, "-", sizeof code);
		err = print_str(n, "error", "");
		table_add(t, at, run, print_str(n, "event", "?"), target,
		    attempt, print_str(n, "status", "?"), code,
		    *err != '\0' ? err : "-");
	}
	table_print(t, stdout);
	table_free(t);
}

/*
 * GETs the newest LIMIT notifications of ARG, a run id or a job name,
 * into *RESP; a cq_exit, the error printed.
 */
static int
notify_get(
    const struct cli_opts *opts, const char *arg, int limit, cJSON **resp)
{
	struct client *c;
	long long id;
	char *path, *esc;
	int rc;

	if ((c = cli_connect(opts, &rc)) == NULL)
		return rc;
	if ((id = runs_parse_id(arg)) > 0) {
		xasprintf(
		    &path, "/runs/%lld/notifications?limit=%d", id, limit);
		rc = cli_api(c, "GET", path, NULL, resp,
		    "list the notifications of run %lld", id);
	} else {
		esc = client_escape(arg);
		xasprintf(&path, "/jobs/%s/notifications?limit=%d", esc, limit);
		free(esc);
		rc = cli_api(c, "GET", path, NULL, resp,
		    "list the notifications of job \"%s\"", arg);
	}
	free(path);
	client_free(c);
	return rc;
}

static int
cmd_notifications_exec(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_cmd *cmd = &cmd_notifications;
	long long limit = 50;
	cJSON *resp, *list;
	int ch, rc;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":n:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			limit = runs_parse_id(optarg);
			if (limit < 1 || limit > NOTIFY_API_MAX)
				return cli_usage(cmd,
				    "--limit \"%s\": expected a number from 1 "
				    "to %d",
				    optarg, NOTIFY_API_MAX);
			break;
		case 'h':
			return print_usage(cmd);
		default:
			return print_badopt(cmd, ch, argv);
		}
	}
	if (optind >= argc)
		return cli_usage(cmd, "missing run id or job name");
	if (optind + 1 < argc)
		return cli_usage(
		    cmd, "unexpected argument \"%s\"", argv[optind + 1]);

	if ((rc = notify_get(opts, argv[optind], (int)limit, &resp)) !=
	    CQ_EXIT_OK)
		return rc;
	list = cJSON_GetObjectItemCaseSensitive(resp, "notifications");
	if (opts->json)
		print_json(resp);
	else if (cJSON_GetArraySize(list) > 0)
		notify_print(list);
	else
		cli_note("no notifications");
	cJSON_Delete(resp);
	return rc;
}
