/* SPDX-License-Identifier: ISC */
/*
 * The start-up cost of a sandboxed run against a bare fork and exec of
 * /bin/true, measured in the same process one after the other so that
 * both see the same machine load. Each sample is the wall time from
 * "start it" to "reaped", so it includes everything the daemon pays per
 * run: preparing the sandbox (seccomp BPF, mounts plan, cgroup leaf),
 * the clone, the child's set-up, exec, exit, reap and cleanup.
 *
 * usage: sandbox-bench [-n RUNS] [-c CGROUP_ROOT]
 */
#include "config.h"

#include <sys/wait.h>

#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "child.h"
#include "job.h"
#include "log.h"
#include "sandbox.h"

static char dir[] = "/tmp/sandbox-bench.XXXXXX";
static char logpath[128];

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One bare fork, exec and wait. */
static void
bare_once(void)
{
	char *const argv[] = { (char *)"/bin/true", NULL };
	int status;
	pid_t pid;

	pid = fork();
	if (pid == -1)
		err(1, "fork");
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1 || status != 0)
		errx(1, "/bin/true failed");
}

/* One run of JOB through the daemon's own path (sandbox may be NULL). */
static void
cronq_once(const struct job *job, int sandboxed, long id)
{
	char *const argv[] = { (char *)"/bin/true", NULL };
	struct child_result res;
	struct sandbox_run sr;
	struct child_spec s;
	struct pollfd pfd;
	struct child *c;
	int64_t cpu, peak;
	char *cause = NULL;

	memset(&sr, 0, sizeof sr);
	memset(&s, 0, sizeof s);
	s.run_id = id;
	s.job = "bench";
	s.attempt = 1;
	s.argv = argv;
	s.umask = 022;
	s.uid = geteuid();
	s.gid = getegid();
	s.user = "root";
	s.home = "/";
	s.log_path = logpath;
	s.log_cap = 1 << 20;
	if (sandboxed) {
		if (sandbox_run_prepare(&sr, job, id, &cause) == -1)
			errx(1, "%s", cause);
		s.sandbox = &sr.cs;
	}
	if ((c = child_spawn(&s, &cause)) == NULL ||
	    child_wait_started(c, &cause) == -1)
		errx(1, "%s", cause);
	pfd.fd = child_pidfd(c);
	pfd.events = POLLIN;
	poll(&pfd, 1, -1);
	if (child_reap(c, &res) == -1 || !res.exited || res.exit_code != 0)
		errx(1, "the run failed");
	child_free(c);
	if (sandboxed)
		sandbox_run_finish(&sr, &cpu, &peak);
	sandbox_run_free(&sr);
}

static void
report(const char *name, double *t, int n, double base)
{
	double sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += t[i];
	qsort(t, n, sizeof *t, cmp_double);
	printf("%-28s %9.0f %9.0f %9.0f %9.0f", name, sum / n, t[n / 2],
	    t[n * 9 / 10], t[n * 99 / 100]);
	if (base > 0)
		printf("   %+8.0f", t[n / 2] - base);
	printf("\n");
}

int
main(int argc, char **argv)
{
	static const char full[] =
	    "{\"name\": \"bench\", \"command\": \"true\", \"sandbox\":"
	    " {\"nice\": 5, \"ioprio\": \"idle\", \"private_tmp\": true,"
	    " \"protect_system\": true, \"network\": false}}";
	static const char plain[] =
	    "{\"name\": \"bench\", \"command\": \"true\","
	    " \"sandbox\": {\"seccomp\": {\"default\":"
	    " \"none\"}}}";
	const char *cgroot = NULL, *field;
	struct job *jfull, *jseccomp, *jplain;
	double *t[4];
	char *cause = NULL;
	cJSON *o;
	int n = 500, ch, i, k;

	while ((ch = getopt(argc, argv, "n:c:")) != -1) {
		switch (ch) {
		case 'n':
			n = atoi(optarg);
			break;
		case 'c':
			cgroot = optarg;
			break;
		default:
			fprintf(stderr,
			    "usage: sandbox-bench [-n RUNS] "
			    "[-c CGROUP_ROOT]\n");
			return 2;
		}
	}
	if (n < 10)
		n = 10;
	if (mkdtemp(dir) == NULL)
		err(1, "mkdtemp");
	snprintf(logpath, sizeof logpath, "%s/run.log", dir);
	log_init(1, 0, "sandbox-bench");
	sandbox_init(cgroot);

	o = cJSON_Parse(full);
	if ((jfull = job_from_json(o, NULL, &field, &cause)) == NULL)
		errx(1, "%s", cause);
	cJSON_Delete(o);
	o = cJSON_Parse(plain);
	if ((jplain = job_from_json(o, NULL, &field, &cause)) == NULL)
		errx(1, "%s", cause);
	cJSON_Delete(o);
	o = cJSON_Parse("{\"name\": \"bench\", \"command\": \"true\"}");
	jseccomp = job_from_json(o, NULL, &field, &cause);
	cJSON_Delete(o);

	for (k = 0; k < 4; k++)
		t[k] = calloc(n, sizeof **t);
	/* Interleaved, so drift in machine load hits every variant alike. */
	for (i = 0; i < n; i++) {
		double a = now_us();

		bare_once();
		t[0][i] = now_us() - a;
		a = now_us();
		cronq_once(jplain, 1, i + 1);
		t[1][i] = now_us() - a;
		a = now_us();
		cronq_once(jseccomp, 1, i + 1);
		t[2][i] = now_us() - a;
		a = now_us();
		cronq_once(jfull, 1, i + 1);
		t[3][i] = now_us() - a;
	}
	o = cJSON_CreateObject();
	sandbox_status(o);
	printf("runs: %d; times in microseconds; sandbox: %s\n", n,
	    cJSON_PrintUnformatted(cJSON_GetObjectItem(o, "sandbox")));
	cJSON_Delete(o);
	printf("%-28s %9s %9s %9s %9s   %8s\n", "variant", "mean", "median",
	    "p90", "p99", "+median");
	report("bare fork+exec /bin/true", t[0], n, 0);
	{
		double base = t[0][n / 2];

		report("cronq child, no filter", t[1], n, base);
		report("cronq + default seccomp", t[2], n, base);
		report("cronq full sandbox", t[3], n, base);
	}
	for (k = 0; k < 4; k++)
		free(t[k]);
	job_free(jfull);
	job_free(jplain);
	job_free(jseccomp);
	unlink(logpath);
	rmdir(dir);
	return 0;
}
