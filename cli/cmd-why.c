/* SPDX-License-Identifier: ISC */
/*
 * cronq why: what happened to a job's schedule slots, from the decisions
 * the scheduler records (GET /jobs/NAME/decisions), told in words.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "xmalloc.h"

static int cmd_why_exec(const struct cli_opts *, int, char **);

const struct cli_cmd cmd_why = { "why", "why [--at TIME] [-n N] JOB",
	"say what happened to a job's schedule slots and why", cmd_why_exec };

/* What a decision's outcome means, in words. */
static const char *
why_words(const char *outcome)
{
	static const struct {
		const char *outcome;
		const char *words;
	} w[] = {
		{ "fired", "ran" },
		{ "skipped_overlap", "skipped: an earlier run was not over" },
		{ "paused", "skipped: the job was paused" },
		{ "outside_catchup",
		    "skipped: missed while the daemon was "
		    "down, and the catch-up policy left it "
		    "out" },
		{ "caught_up", "ran late, to catch up after downtime" },
		{ "dst_moved",
		    "ran at a time moved by a daylight-saving "
		    "change" },
		{ "dst_skipped",
		    "skipped: a daylight-saving change took that "
		    "time away" },
		{ "replaced", "ran and stopped the run still going" },
		{ "expired", "skipped: it could not start in time" },
		{ "held_by_group", "held by its concurrency group" },
	};
	size_t i;

	for (i = 0; i < sizeof w / sizeof w[0]; i++)
		if (strcmp(outcome, w[i].outcome) == 0)
			return w[i].words;
	return outcome;
}

/*
 * The daemon's detail without what why_words already said for OUTCOME
 * ("paused" and "job is paused"), so a line does not repeat itself.
 */
static void
why_detail(char *buf, size_t len, const char *outcome, const char *detail)
{
	static const struct {
		const char *outcome;
		const char *said;
	} r[] = {
		{ "paused", "job is paused" },
		{ "fired", "on schedule" },
		{ "caught_up", "catch-up run" },
		{ "dst_moved", "on schedule" },
		{ "dst_moved", "catch-up run" },
	};
	const char *p, *rest;
	size_t i, n;

	strlcpy(buf, detail, len);
	for (i = 0; i < sizeof r / sizeof r[0]; i++) {
		if (strcmp(outcome, r[i].outcome) != 0 ||
		    (p = strstr(detail, r[i].said)) == NULL)
			continue;
		rest = p + strlen(r[i].said);
		rest += strspn(rest, ", ");
		n = (size_t)(p - detail);
		/* "@reboot: job is paused" keeps "@reboot". */
		while (*rest == '\0' && n > 0 &&
		    (detail[n - 1] == ' ' || detail[n - 1] == ':'))
			n--;
		snprintf(buf, len, "%.*s%s%s", (int)n, detail,
		    n > 0 && *rest != '\0' ? " " : "", rest);
		break;
	}
}

/*
 * How the run RUN_ID a slot started ended, retries included, from RUNS
 * (the job's recent runs): "run 26: succeeded", or "run 26: failed at
 * attempt 3, run 31"; just "run 26" once it has been pruned. Returns the
 * state of its last attempt, NULL when pruned.
 */
static const char *
why_run(char *buf, size_t len, long long run_id, const cJSON *runs)
{
	const cJSON *r, *last = NULL;
	long long first, attempt, best = 0, id;

	cJSON_ArrayForEach(r, runs)
	{
		if (print_int(r, "first_run_id", &first) == -1 ||
		    first != run_id || print_int(r, "attempt", &attempt) == -1)
			continue;
		if (attempt > best) {
			best = attempt;
			last = r;
		}
	}
	if (last == NULL) {
		snprintf(buf, len, "run %lld", run_id);
		return NULL;
	}
	if (best <= 1)
		snprintf(buf, len, "run %lld: %s", run_id,
		    print_str(last, "state", "?"));
	else {
		if (print_int(last, "id", &id) == -1)
			id = 0;
		snprintf(buf, len, "run %lld: %s at attempt %lld, run %lld",
		    run_id, print_str(last, "state", "?"), best, id);
	}
	return print_str(last, "state", "?");
}

/*
 * "held by group NAME (limit N)", the run's own message for it, from
 * HELD, a held_by_group decision; -1 when its detail is not the daemon's
 * usual one, so the caller keeps that detail whole.
 */
static int
why_held(char *buf, size_t len, const cJSON *held)
{
	char group[65];
	int limit;

	if (sscanf(print_str(held, "detail", ""),
	        "group %64[^ ] is at its limit of %d", group, &limit) != 2)
		return -1;
	snprintf(buf, len, "held by group %s (limit %d)", group, limit);
	return 0;
}

/*
 * The held_by_group decision about run RUN_ID in DECISIONS, when another
 * decision (the slot that started the run) names that run too: the two
 * are one slot, told on one line.
 */
static const cJSON *
why_held_of(const cJSON *decisions, long long run_id)
{
	const cJSON *d, *held = NULL;
	long long run;
	int other = 0;

	cJSON_ArrayForEach(d, decisions)
	{
		if (print_int(d, "run_id", &run) == -1 || run != run_id)
			continue;
		if (strcmp(print_str(d, "outcome", ""), "held_by_group") == 0)
			held = d;
		else
			other = 1;
	}
	return other ? held : NULL;
}

/*
 * The line of D, a run held by its group with no other decision about
 * it (a manual run): the hold, then how the run ended. Returns -1 when
 * the detail was not understood and is still to be added.
 */
static int
why_print_held(
    char *line, size_t len, const cJSON *d, long long run, const cJSON *runs)
{
	const char *state;
	char how[160];
	size_t n;

	if (why_held(line, len, d) == -1) {
		snprintf(line, len, "%s", why_words("held_by_group"));
		return -1;
	}
	n = strlen(line);
	state = why_run(how, sizeof how, run, runs);
	if (state == NULL)
		snprintf(line + n, len - n, " (%s)", how);
	else if (strcmp(state, "queued") == 0)
		snprintf(
		    line + n, len - n, ": run %lld waits in the queue", run);
	else
		snprintf(line + n, len - n, ", then %s", how);
	return 0;
}

/*
 * Prints the line of decision D, one of DECISIONS; returns 0 when D is
 * told on another's line. A run held by its group has two decisions, its
 * slot's and the hold: the slot's line says how the run ended and that
 * it was held first, so the slot appears once.
 */
static int
why_print(const cJSON *d, const cJSON *decisions, const cJSON *runs)
{
	char slot[64], line[1024], detail[512], how[160], said[160];
	const char *outcome = print_str(d, "outcome", "?");
	const cJSON *held = NULL;
	long long run;
	int has_run;

	has_run = print_int(d, "run_id", &run) == 0;
	if (has_run && strcmp(outcome, "held_by_group") == 0) {
		if (why_held_of(decisions, run) != NULL)
			return 0;
		*detail = '\0';
		if (why_print_held(line, sizeof line, d, run, runs) == -1)
			strlcpy(
			    detail, print_str(d, "detail", ""), sizeof detail);
	} else {
		strlcpy(line, why_words(outcome), sizeof line);
		if (has_run) {
			why_run(how, sizeof how, run, runs);
			snprintf(line + strlen(line),
			    sizeof line - strlen(line), " (%s)", how);
			held = why_held_of(decisions, run);
		}
		why_detail(
		    detail, sizeof detail, outcome, print_str(d, "detail", ""));
	}
	if (*detail != '\0')
		snprintf(line + strlen(line), sizeof line - strlen(line),
		    "; %s", detail);
	if (held != NULL) {
		if (why_held(said, sizeof said, held) == -1)
			strlcpy(said, why_words("held_by_group"), sizeof said);
		snprintf(line + strlen(line), sizeof line - strlen(line),
		    "; %s first", said);
	}
	print_time(slot, sizeof slot, print_json_time(d, "slot"));
	printf("%s  %s\n", slot, line);
	return 1;
}

static int
cmd_why_exec(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "at", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name;
	long long n = 10;
	int64_t at = -1, slot;
	cJSON *resp, *d, *out, *arr, *runs = NULL;
	const cJSON *list;
	struct client *c;
	char *path, *esc, *cause = NULL;
	int ch, rc, shown = 0;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":n:h", longopts, NULL)) != -1) {
		if (ch == 'a' && print_parse_time(optarg, &at) == -1)
			return cli_usage(&cmd_why,
			    "--at \"%s\": expected YYYY-MM-DD HH:MM[:SS] or "
			    "RFC 3339",
			    optarg);
		else if (ch == 'n' &&
		    ((n = runs_parse_id(optarg)) < 1 || n > 1000))
			return cli_usage(&cmd_why,
			    "-n \"%s\": expected a number from 1 to 1000",
			    optarg);
		else if (ch == 'h')
			return print_usage(&cmd_why);
		else if (ch != 'a' && ch != 'n')
			return print_badopt(&cmd_why, ch, argv);
	}
	if (optind >= argc)
		return cli_usage(&cmd_why, "missing job name");
	if (optind + 1 < argc)
		return cli_usage(
		    &cmd_why, "unexpected argument \"%s\"", argv[optind + 1]);
	name = argv[optind];

	if ((c = cli_connect(opts, &rc)) == NULL)
		return rc;
	esc = client_escape(name);
	/*
	 * With --at the slots before that time are picked out here. A run
	 * held by its group has two decisions told on one line, so N lines
	 * may take twice N decisions.
	 */
	xasprintf(&path, "/jobs/%s/decisions?limit=%lld", esc,
	    at < 0 && n <= 500 ? 2 * n : 1000);
	free(esc);
	rc = cli_api(c, "GET", path, NULL, &resp,
	    "explain the schedule of job \"%s\"", name);
	free(path);
	/*
	 * The runs say how each slot's run ended; without them (an old
	 * daemon, a refusal) the lines only name the run.
	 */
	if (rc == CQ_EXIT_OK && !opts->json) {
		esc = client_escape(name);
		xasprintf(&path, "/runs?job=%s&limit=1000", esc);
		free(esc);
		if (client_call(c, "GET", path, NULL, &runs, NULL, &cause) !=
		    CQ_EXIT_OK) {
			free(cause);
			runs = NULL;
		}
		free(path);
	}
	client_free(c);
	if (rc != CQ_EXIT_OK)
		return rc;
	out = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(out, "decisions");
	list = cJSON_GetObjectItemCaseSensitive(resp, "decisions");
	cJSON_ArrayForEach(d, list)
	{
		slot = print_json_time(d, "slot");
		if ((at >= 0 && slot > at) || shown >= n)
			continue;
		if (opts->json) {
			cJSON_AddItemToArray(arr, cJSON_Duplicate(d, 1));
			shown++;
		} else
			shown += why_print(d, list,
			    cJSON_GetObjectItemCaseSensitive(runs, "runs"));
	}
	if (opts->json)
		print_json(out);
	else if (shown == 0)
		printf("job \"%s\" has no schedule decisions recorded%s\n",
		    name, at >= 0 ? " at or before that time" : "");
	cJSON_Delete(out);
	cJSON_Delete(resp);
	cJSON_Delete(runs);
	return rc;
}
