/* SPDX-License-Identifier: ISC */
/*
 * The child of the fire-latency and burst benchmarks: reads CLOCK_REALTIME
 * before anything else, then appends "RUN_ID JOB SEC.NSEC" to the file
 * named by its argument. Linked statically so that the instant is as close
 * to exec as a program can get (no dynamic loader runs before main).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct timespec ts;
	const char *id, *job;
	char line[256];
	int fd, n;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (argc != 2) {
		fprintf(stderr, "usage: stamp file\n");
		return 2;
	}
	id = getenv("CRONQ_RUN_ID");
	job = getenv("CRONQ_JOB");
	n = snprintf(line, sizeof line, "%s %s %lld.%09ld\n",
	    id != NULL ? id : "-", job != NULL ? job : "-",
	    (long long)ts.tv_sec, ts.tv_nsec);
	/* One write with O_APPEND: concurrent stamps never interleave. */
	fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd == -1 || write(fd, line, (size_t)n) != n) {
		perror(argv[1]);
		return 1;
	}
	close(fd);
	return 0;
}
