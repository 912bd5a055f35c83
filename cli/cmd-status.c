/* SPDX-License-Identifier: ISC */
/*
 * status (the daemon's summary) and version (ours, and the daemon's when
 * it answers). version works without a daemon: it is what people run
 * first when something is wrong.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "client.h"

static int cmd_status_exec(const struct cli_opts *, int, char **);
static int cmd_version_exec(const struct cli_opts *, int, char **);

const struct cli_cmd cmd_status = { "status", "status",
	"summarise the daemon: version, uptime, jobs, runs and problems",
	cmd_status_exec };
const struct cli_cmd cmd_version = { "version", "version",
	"print the versions of cronq and of the daemon it reaches",
	cmd_version_exec };

static int
status_no_args(const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (ch == 'h')
			return print_usage(cmd);
		return print_badopt(cmd, ch, argv);
	}
	if (optind < argc)
		return cli_usage(
		    cmd, "unexpected argument \"%s\"", argv[optind]);
	return -1;
}

/*
 * Starts a line with KEY, a colon and blanks to the value column: every
 * key of status lowercase, with its colon, the values aligned.
 */
static void
status_key(const char *key)
{
	printf("%s:%*s", key, (int)(11 - strlen(key)), "");
}

/* One line: which isolation features the daemon enforces ("-" if not). */
static void
status_sandbox(const cJSON *sb)
{
	static const char *const names[] = { "seccomp", "namespaces", "cgroup",
		"memory_max", "pids_max", "cpu_max", NULL };
	const cJSON *v;
	char buf[256];
	int i;

	if (!cJSON_IsObject(sb))
		return;
	status_key("sandbox");
	for (i = 0; names[i] != NULL; i++) {
		v = cJSON_GetObjectItemCaseSensitive(sb, names[i]);
		printf("%s%s%s", i > 0 ? " " : "", cJSON_IsTrue(v) ? "" : "-",
		    names[i]);
	}
	printf("\n");
	cJSON_ArrayForEach(
	    v, cJSON_GetObjectItemCaseSensitive(sb, "unavailable"))
	{
		print_value(buf, sizeof buf, v);
		printf("  %s\n", buf);
	}
}

/* The queue backend, and with a broker how each side's link is doing. */
static void
status_queue(const cJSON *q)
{
	static const char *const sides[] = { "scheduler", "worker", NULL };
	static const char *const counts[] = { "published", "out_on_workers",
		"waiting_for_broker", "running", "reports_waiting", NULL };
	const cJSON *s;
	long long n;
	int i, k;

	if (!cJSON_IsObject(q))
		return;
	status_key("queue");
	printf("%s, role %s\n", print_str(q, "backend", "-"),
	    print_str(q, "role", "-"));
	for (i = 0; sides[i] != NULL; i++) {
		s = cJSON_GetObjectItemCaseSensitive(q, sides[i]);
		if (!cJSON_IsObject(s))
			continue;
		printf("  %-9s %s", sides[i], print_str(s, "state", "-"));
		for (k = 0; counts[k] != NULL; k++) {
			if (print_int(s, counts[k], &n) == 0)
				printf(", %s %lld", counts[k], n);
		}
		if (cJSON_IsString(
		        cJSON_GetObjectItemCaseSensitive(s, "error")))
			printf(" (%s)", print_str(s, "error", ""));
		printf("\n");
	}
}

static int
cmd_status_exec(const struct cli_opts *opts, int argc, char **argv)
{
	const cJSON *problems, *p;
	struct client *c;
	char buf[256];
	cJSON *st;
	int64_t started;
	long long n, retrying;
	int rc;

	if ((rc = status_no_args(&cmd_status, argc, argv)) != -1)
		return rc;
	if ((c = cli_connect(opts, &rc)) == NULL)
		return rc;
	rc = cli_api(c, "GET", "/status", NULL, &st, "get the daemon status");
	client_free(c);
	if (rc != CQ_EXIT_OK)
		return rc;
	if (opts->json) {
		print_json(st);
		cJSON_Delete(st);
		return rc;
	}
	status_key("version");
	printf("%s\n", print_str(st, "version", "-"));
	if (print_int(st, "pid", &n) == 0) {
		status_key("pid");
		printf("%lld\n", n);
	}
	if ((started = print_json_time(st, "started_at")) >= 0) {
		print_span(buf, sizeof buf, time(NULL) - started);
		status_key("uptime");
		printf("%s\n", buf);
	}
	status_key("state dir");
	printf("%s\n", print_str(st, "state_dir", "-"));
	status_key("socket");
	printf("%s\n", print_str(st, "socket", "-"));
	if (print_int(st, "jobs", &n) == 0) {
		status_key("jobs");
		printf("%lld\n", n);
	}
	if (print_int(st, "running", &n) == 0) {
		status_key("running");
		printf("%lld\n", n);
	}
	/*
	 * The daemon's queued counts the runs waiting out a retry too;
	 * shown apart, queued matches what runs --state queued lists.
	 */
	if (print_int(st, "retrying", &retrying) != 0)
		retrying = -1;
	if (print_int(st, "queued", &n) == 0) {
		status_key("queued");
		printf(
		    "%lld\n", retrying > 0 && n >= retrying ? n - retrying : n);
	}
	if (retrying >= 0) {
		status_key("retrying");
		printf("%lld\n", retrying);
	}
	status_queue(cJSON_GetObjectItemCaseSensitive(st, "queue"));
	status_sandbox(cJSON_GetObjectItemCaseSensitive(st, "sandbox"));
	problems = cJSON_GetObjectItemCaseSensitive(st, "problems");
	if (cJSON_GetArraySize(problems) == 0) {
		status_key("problems");
		printf("none\n");
	} else {
		printf("problems:\n");
		cJSON_ArrayForEach(p, problems)
		{
			print_value(buf, sizeof buf, p);
			printf("  %s\n", buf);
		}
	}
	cJSON_Delete(st);
	return rc;
}

static int
cmd_version_exec(const struct cli_opts *opts, int argc, char **argv)
{
	const char *daemon = NULL;
	struct client *c;
	cJSON *st = NULL, *out;
	char *cause = NULL;
	int rc;

	if ((rc = status_no_args(&cmd_version, argc, argv)) != -1)
		return rc;
	if ((c = cli_connect(opts, &rc)) == NULL)
		return rc;
	if (client_call(c, "GET", "/status", NULL, &st, NULL, &cause) ==
	    CQ_EXIT_OK)
		daemon = print_str(st, "version", NULL);
	client_free(c);
	if (opts->json) {
		out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "client", PACKAGE_VERSION);
		if (daemon != NULL)
			cJSON_AddStringToObject(out, "daemon", daemon);
		else
			cJSON_AddNullToObject(out, "daemon");
		print_json(out);
		cJSON_Delete(out);
	} else {
		printf("cronq %s\n", PACKAGE_VERSION);
		if (daemon != NULL)
			printf("cronq-agentd %s\n", daemon);
	}
	/* Not reaching the daemon is worth a word, not a failure here. */
	if (daemon == NULL && cause != NULL)
		cli_warn("%s", cause);
	free(cause);
	cJSON_Delete(st);
	return CQ_EXIT_OK;
}
