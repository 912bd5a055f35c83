/* SPDX-License-Identifier: ISC */
/*
 * cronq next: the next fire times of an expression, computed locally with
 * the same engine the daemon uses. Needs no daemon. Output is one RFC 3339
 * time per line and nothing else, so scripts can read it (or with --json an
 * array of {"time", "notes"}).
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "civil.h"
#include "cli.h"
#include "cronexpr.h"
#include "tz.h"
#include "util.h"
#include "xmalloc.h"

#define NEXT_COUNT_MAX 100000

static int next_exec(const struct cli_opts *, int, char **);

const struct cli_cmd cmd_next = {
	"next",
	"next [--explain] [--tz ZONE] [--from TIME] [-n N] [--] EXPRESSION",
	"print the next fire times of a cron expression",
	next_exec,
};

#define NEXT_NOTES_MAX 3
#define NEXT_NOTE_LEN 128

/*
 * The wall times in [W, END) that CE matches, as "02:00, 02:30" (three at
 * most, then " and more") in BUF; returns how many there are.
 */
static int
gap_walls(
    const struct cronexpr *ce, int64_t w, int64_t end, char *buf, size_t len)
{
	char one[16];
	int k = 0, more = 0;

	buf[0] = '\0';
	for (w = cronexpr_wall_next(ce, w); w < end;
	     w = cronexpr_wall_next(ce, w + 1)) {
		struct civil c;

		if (k == 3) {
			more++;
			continue;
		}
		civil_from_seconds(w, &c);
		if (c.sec != 0 || ce->has_sec)
			snprintf(one, sizeof one, "%02d:%02d:%02d", c.hour,
			    c.min, c.sec);
		else
			snprintf(one, sizeof one, "%02d:%02d", c.hour, c.min);
		if (k++ > 0)
			strlcat(buf, ", ", len);
		strlcat(buf, one, len);
	}
	if (more > 0)
		strlcat(buf, " and more", len);
	return k + more;
}

/*
 * The latest forward clock change after PREV and at or before T, its wall
 * gap in *LO and *HI; -1 if there is none.
 */
static int
gap_before(
    const struct tz *tz, int64_t prev, int64_t t, int64_t *lo, int64_t *hi)
{
	int64_t c = t;
	int before, after;

	while ((c = tz_prev_change(tz, c, &before, &after)) != INT64_MIN &&
	    c > prev) {
		if (after > before) {
			*lo = c + before;
			*hi = c + after;
			return 0;
		}
		c--;
	}
	return -1;
}

/*
 * The notes on fire time T, the first after PREV (clock changes), each in
 * NOTE[i]; returns how many. --explain prints them after the time, --json
 * lists them.
 */
static int
next_notes(const struct cronexpr *ce, const struct tz *tz, int64_t prev,
    int64_t t, unsigned notes, char note[NEXT_NOTES_MAX][NEXT_NOTE_LEN])
{
	char times[48];
	int64_t lo, hi;
	int n = 0, k;

	if (notes & CRON_NOTE_GAP_MOVED) {
		/*
		 * Every wall time of the gap the fields match becomes this one
		 * run: name them all, not the first alone.
		 */
		k = gap_walls(ce, t + tz_offset(tz, t - 1, NULL, NULL),
		    t + tz_offset(tz, t, NULL, NULL), times, sizeof times);
		snprintf(note[n++], sizeof note[0],
		    "moved: %s %s not exist (clock change)",
		    k > 0 ? times : "a time", k > 1 ? "do" : "does");
	}
	if (notes & CRON_NOTE_REPEATED)
		snprintf(note[n++], sizeof note[0], "repeated hour: %s pass",
		    notes & CRON_NOTE_SECOND_PASS ? "second" : "first");
	if (notes & CRON_NOTE_GAP_SKIPPED) {
		k = gap_before(tz, prev, t, &lo, &hi) == 0
		    ? gap_walls(ce, lo, hi, times, sizeof times)
		    : 0;
		if (k > 0)
			snprintf(note[n++], sizeof note[0],
			    "skipped before this: %s %s not exist (clock "
			    "change)",
			    times, k > 1 ? "do" : "does");
		else
			snprintf(note[n++], sizeof note[0],
			    "skipped: times in a clock change gap before this");
	}
	return n;
}

/* Joins the expression words with single spaces. Caller frees. */
static char *
next_join(int argc, char **argv)
{
	size_t len = 1;
	char *s;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = xmalloc(len);
	s[0] = '\0';
	for (i = 0; i < argc; i++) {
		if (i > 0)
			strlcat(s, " ", len);
		strlcat(s, argv[i], len);
	}
	return s;
}

static int
next_count(const char *s, long *n)
{
	char *end;

	*n = strtol(s, &end, 10);
	return *s != '\0' && *end == '\0' && *n >= 1 && *n <= NEXT_COUNT_MAX
	    ? 0
	    : -1;
}

/*
 * Prints COUNT fire times from FROM: one per line (with EXPLAIN, their
 * notes after "  # "), or with JSON an array of {"time", "notes"}.
 */
static int
next_print(const struct cronexpr *ce, const struct tz *tz, int64_t from,
    long count, int explain, int json, const char *text)
{
	char buf[64], esc[128], note[NEXT_NOTES_MAX][NEXT_NOTE_LEN];
	cJSON *arr = NULL, *o, *ns;
	unsigned notes;
	int64_t t = from, prev;
	long i;
	int k, n, rc = CQ_EXIT_OK;

	if (json)
		arr = cJSON_CreateArray();
	for (i = 0; i < count; i++) {
		prev = t;
		if (cronexpr_next(ce, tz, t, &t, &notes) != 0) {
			util_escape(esc, sizeof esc, text);
			fflush(stdout);
			cli_error("next: \"%s\" has no fire time after %s", esc,
			    i == 0 ? "the start" : "the last one printed");
			rc = CQ_EXIT_NONE;
			break;
		}
		util_format_time(buf, sizeof buf, t, tz);
		n = explain || json ? next_notes(ce, tz, prev, t, notes, note)
		                    : 0;
		if (json) {
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "time", buf);
			ns = cJSON_AddArrayToObject(o, "notes");
			for (k = 0; k < n; k++)
				cJSON_AddItemToArray(
				    ns, cJSON_CreateString(note[k]));
			cJSON_AddItemToArray(arr, o);
			continue;
		}
		fputs(buf, stdout);
		for (k = 0; k < n; k++)
			printf("%s%s", k == 0 ? "  # " : "; ", note[k]);
		putchar('\n');
	}
	/* The times found before a dead end still print, as in text. */
	if (arr != NULL) {
		print_json(arr);
		cJSON_Delete(arr);
	}
	if (fflush(stdout) != 0 && rc == CQ_EXIT_OK)
		rc = CQ_EXIT_FAIL;
	return rc;
}

static int
next_exec(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tz", required_argument, NULL, 'z' },
		{ "from", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'n' },
		{ "explain", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *zone = NULL, *from = NULL;
	const struct tz *tz;
	struct cronexpr ce;
	char *text, *cause = NULL, esc[128];
	int64_t start;
	long count = 1;
	int ch, explain = 0, rc;

	/* Reinitialise getopt: options may follow the expression words. */
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":hn:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'z':
			zone = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 'n':
			if (next_count(optarg, &count) != 0)
				return cli_usage(&cmd_next,
				    "-n \"%s\" is not "
				    "a count from 1 to %d",
				    optarg, NEXT_COUNT_MAX);
			break;
		case 'e':
			explain = 1;
			break;
		case 'h':
			printf("usage: cronq %s\n%s\n", cmd_next.usage,
			    NEXT_SYNTAX_SEE);
			return CQ_EXIT_OK;
		case ':':
			return cli_usage(
			    &cmd_next, "%s needs a value", argv[optind - 1]);
		default:
			return cli_usage(&cmd_next, "unknown option \"%s\"",
			    argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage(&cmd_next, "missing expression");
	if ((tz = tz_find(zone, &cause)) == NULL) {
		cli_error("next: %s%s", zone != NULL ? "--tz: " : "", cause);
		free(cause);
		return CQ_EXIT_FAIL;
	}
	if (from == NULL)
		start = (int64_t)time(NULL);
	else if (util_parse_time(from, tz, &start, &cause) != 0) {
		cli_error("next: --from: %s", cause);
		free(cause);
		return CQ_EXIT_FAIL;
	}
	text = next_join(argc - optind, argv + optind);
	util_escape(esc, sizeof esc, text);
	if (cronexpr_parse(&ce, text, NULL, &cause) != 0) {
		/* "cronq next backup" asks about a job, which next is not. */
		if (argc - optind == 1 && util_valid_name(text))
			cli_error("next: %s; cronq next takes a cron "
			          "expression, not a job name",
			    cause);
		else
			cli_error("next: %s", cause);
		rc = CQ_EXIT_FAIL;
	} else if (ce.kind == CRON_REBOOT) {
		cli_error("next: \"%s\" has no calendar: it fires once at "
		          "daemon start-up",
		    esc);
		rc = CQ_EXIT_FAIL;
	} else if (ce.kind == CRON_EVERY) {
		char dur[32];

		util_format_duration(dur, sizeof dur, ce.every);
		cli_error("next: \"%s\" has no calendar: it fires every %s "
		          "after the job's previous run",
		    esc, dur);
		rc = CQ_EXIT_FAIL;
	} else {
		cli_expr_notes("next: ", text);
		rc = next_print(
		    &ce, tz, start, count, explain, opts->json, text);
	}
	free(cause);
	free(text);
	return rc;
}
