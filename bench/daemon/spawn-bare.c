/* SPDX-License-Identifier: ISC */
/*
 * The baselines of the burst and dispatch benchmarks: what a bare C
 * program takes to start children, with none of the daemon's work.
 *
 *   spawn-bare burst N PROG ARG   starts N children of PROG ARG at once
 *                                 (all started before any is waited for),
 *                                 prints the CLOCK_REALTIME it began at
 *   spawn-bare loop N PROG        runs PROG N times, each waited for
 *                                 before the next, prints runs/second
 *   spawn-bare tick N PROG ARG    N times: sleeps on a CLOCK_REALTIME
 *                                 timerfd until the next whole second,
 *                                 starts PROG ARG; prints each due second
 *                                 (what a scheduler with nothing else to
 *                                 do can reach: the fire-latency floor)
 *
 * posix_spawn is glibc's clone(CLONE_VM|CLONE_VFORK), the cheapest way to
 * start a child and the one the daemon uses, so the ratio measures the
 * daemon's own overhead rather than a different way of forking.
 */
#include <sys/timerfd.h>
#include <sys/wait.h>

#include <errno.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double
now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pid_t
spawn_one(char **argv)
{
	pid_t pid;
	int e;

	e = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
	if (e != 0) {
		fprintf(stderr, "spawn-bare: %s: %s\n", argv[0], strerror(e));
		exit(1);
	}
	return pid;
}

static int
tick(long n, char **argv)
{
	struct itimerspec its;
	struct timespec ts;
	uint64_t ticks;
	long i;
	int fd, st;

	fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
	if (fd == -1) {
		perror("timerfd_create");
		return 1;
	}
	for (i = 0; i < n; i++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		memset(&its, 0, sizeof its);
		its.it_value.tv_sec = ts.tv_sec + 1;
		if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) == -1 ||
		    read(fd, &ticks, sizeof ticks) != sizeof ticks) {
			perror("timerfd");
			return 1;
		}
		waitpid(spawn_one(argv), &st, 0);
		printf("%lld\n", (long long)its.it_value.tv_sec);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	long i, n;
	double t0;
	int st;

	if (argc < 4 || (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: spawn-bare burst|loop N prog [arg]\n");
		return 2;
	}
	if (strcmp(argv[1], "burst") == 0) {
		t0 = now_s(CLOCK_REALTIME);
		for (i = 0; i < n; i++)
			spawn_one(argv + 3);
		while (wait(&st) > 0)
			;
		printf("%.9f\n", t0);
		return 0;
	}
	if (strcmp(argv[1], "loop") == 0) {
		t0 = now_s(CLOCK_MONOTONIC);
		for (i = 0; i < n; i++) {
			if (waitpid(spawn_one(argv + 3), &st, 0) == -1) {
				perror("waitpid");
				return 1;
			}
		}
		printf("%.1f\n", (double)n / (now_s(CLOCK_MONOTONIC) - t0));
		return 0;
	}
	if (strcmp(argv[1], "tick") == 0)
		return tick(n, argv + 3);
	fprintf(stderr, "spawn-bare: unknown mode %s\n", argv[1]);
	return 2;
}
