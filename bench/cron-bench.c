/* SPDX-License-Identifier: ISC */
/*
 * The cronq side of bench/compare: times chains of successive
 * cronexpr_next() calls, each step fed the previous fire time, and prints
 * the best rate over several repetitions with every chain's last fire time
 * so the script can compare them with the peers' (the scripts in
 * bench/peers print the same lines). Reads no clock but CLOCK_MONOTONIC and
 * does no I/O inside the timed loop.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cronexpr.h"
#include "tz.h"

#define BENCH_MAX_LIST 64
#define BENCH_MAX_STARTS 10000

struct bench_opts {
	long steps;
	long reps;
	long trace; /* chain whose every fire time is printed, or -1 */
	const char *zones[BENCH_MAX_LIST];
	int nzones;
	const char *exprs[BENCH_MAX_LIST];
	int nexprs;
	int64_t starts[BENCH_MAX_STARTS];
	int nstarts;
};

static void __attribute__((noreturn)) bench_usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "cron-bench: %s\n", why);
	fprintf(stderr,
	    "usage: cron-bench [-n steps] [-r reps] [-t chain] "
	    "-z zone ... -e expr ... start ...\n");
	exit(2);
}

static long
bench_parse_long(const char *s, const char *what, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < min) {
		fprintf(stderr,
		    "cron-bench: %s \"%s\" is not an integer >= %ld\n", what, s,
		    min);
		exit(2);
	}
	return v;
}

static void
bench_parse_args(int argc, char **argv, struct bench_opts *o)
{
	int c;

	o->steps = 1000;
	o->reps = 5;
	o->trace = -1;
	while ((c = getopt(argc, argv, "n:r:t:z:e:")) != -1) {
		switch (c) {
		case 'n':
			o->steps = bench_parse_long(optarg, "steps", 1);
			break;
		case 'r':
			o->reps = bench_parse_long(optarg, "reps", 1);
			break;
		case 't':
			o->trace = bench_parse_long(optarg, "trace chain", 0);
			break;
		case 'z':
			if (o->nzones == BENCH_MAX_LIST)
				bench_usage("too many zones");
			o->zones[o->nzones++] = optarg;
			break;
		case 'e':
			if (o->nexprs == BENCH_MAX_LIST)
				bench_usage("too many expressions");
			o->exprs[o->nexprs++] = optarg;
			break;
		default:
			bench_usage(NULL);
		}
	}
	for (; optind < argc; optind++) {
		if (o->nstarts == BENCH_MAX_STARTS)
			bench_usage("too many chain starts");
		o->starts[o->nstarts++] =
		    bench_parse_long(argv[optind], "chain start", 0);
	}
	if (o->nzones == 0 || o->nexprs == 0 || o->nstarts == 0)
		bench_usage("need at least one zone, expression and start");
	if (o->trace >= o->nstarts)
		bench_usage("trace chain is past the last start");
}

static double
bench_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1) {
		perror("cron-bench: clock_gettime");
		exit(1);
	}
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Runs every chain once. FINALS gets each chain's last fire time, or -1
 * when the expression ran out of fire times before the chain's end.
 */
static void
bench_run_chains(const struct cronexpr *ce, const struct tz *tz,
    const struct bench_opts *o, int64_t *finals)
{
	int64_t t;
	long s;
	int i;

	for (i = 0; i < o->nstarts; i++) {
		t = o->starts[i];
		for (s = 0; s < o->steps; s++) {
			if (cronexpr_next(ce, tz, t, &t, NULL) == -1) {
				t = -1;
				break;
			}
		}
		finals[i] = t;
	}
}

static void
bench_print_trace(const struct cronexpr *ce, const struct tz *tz,
    const struct bench_opts *o, const char *zone, const char *expr)
{
	int64_t t = o->starts[o->trace];
	long s;

	printf("trace\t%s\t%s\t%ld\t", zone, expr, o->trace);
	for (s = 0; s < o->steps; s++) {
		if (cronexpr_next(ce, tz, t, &t, NULL) == -1) {
			printf("%snone", s == 0 ? "" : " ");
			break;
		}
		printf("%s%" PRId64, s == 0 ? "" : " ", t);
	}
	printf("\n");
}

static void
bench_case(const struct bench_opts *o, const char *zone, const char *expr,
    int64_t *finals)
{
	struct cronexpr ce;
	const struct tz *tz;
	char *cause = NULL;
	double best = 0, t0, dt;
	long r;
	int i;

	if ((tz = tz_find(zone, &cause)) == NULL ||
	    cronexpr_parse(&ce, expr, NULL, &cause) == -1) {
		printf("case\t%s\t%s\terror\t%s\n", zone, expr, cause);
		free(cause);
		return;
	}
	for (r = 0; r < o->reps; r++) {
		t0 = bench_now();
		bench_run_chains(&ce, tz, o, finals);
		dt = bench_now() - t0;
		if (r == 0 || dt < best)
			best = dt;
	}
	printf("case\t%s\t%s\t%.0f\t", zone, expr,
	    (double)o->nstarts * (double)o->steps / best);
	for (i = 0; i < o->nstarts; i++) {
		if (finals[i] == -1)
			printf("%snone", i == 0 ? "" : " ");
		else
			printf("%s%" PRId64, i == 0 ? "" : " ", finals[i]);
	}
	printf("\n");
	if (o->trace >= 0)
		bench_print_trace(&ce, tz, o, zone, expr);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	static struct bench_opts o;
	static int64_t finals[BENCH_MAX_STARTS];
	int z, e;

	bench_parse_args(argc, argv, &o);
	for (z = 0; z < o.nzones; z++)
		for (e = 0; e < o.nexprs; e++)
			bench_case(&o, o.zones[z], o.exprs[e], finals);
	return 0;
}
