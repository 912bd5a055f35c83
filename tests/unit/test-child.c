/* SPDX-License-Identifier: ISC */
/*
 * Real children: exit statuses, signals, the environment, descriptors,
 * limits, exec failures, and ending a job with everything it started.
 * Every wait is on an event (poll on the pidfd or the pipes).
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"
#include "output.h"

struct text {
	char *buf;
	size_t len;
};

static char test_dir[] = "/tmp/test-child.XXXXXX";
static char test_log[128];

static int
text_sink(void *arg, const void *buf, size_t len)
{
	struct text *t = arg;

	t->buf = realloc(t->buf, t->len + len + 1);
	assert_non_null(t->buf);
	memcpy(t->buf + t->len, buf, len);
	t->len += len;
	t->buf[t->len] = '\0';
	return 0;
}

/* The log as plain text; the caller frees. */
static char *
log_text(int flags)
{
	struct text t = { NULL, 0 };
	char *cause = NULL;

	/* A run that prints nothing leaves no file: the empty log. */
	if (access(test_log, F_OK) == -1 && errno == ENOENT)
		return calloc(1, 1);
	assert_int_equal(
	    output_render(test_log, flags, text_sink, &t, NULL, &cause), 0);
	return t.buf != NULL ? t.buf : calloc(1, 1);
}

/* A spec for a shell command as the current user. */
static void
spec_init(struct child_spec *s, const char *command)
{
	memset(s, 0, sizeof *s);
	s->run_id = 42;
	s->job = "test-job";
	s->attempt = 1;
	s->command = command;
	s->umask = 022;
	s->uid = geteuid();
	s->gid = getegid();
	s->user = "tester";
	s->home = test_dir;
	s->shell = "/bin/sh";
	s->log_path = test_log;
	s->log_cap = 1 << 20;
}

/*
 * Drives C as the daemon's loop would: drains output while watching the
 * pidfd, and reaps once it is readable. Waits at most TIMEOUT_MS for the
 * exit; returns 0 when reaped, -1 on timeout.
 */
static int
drive(struct child *c, struct child_result *res, int timeout_ms)
{
	struct pollfd pfd[3];
	int n, i;

	for (;;) {
		pfd[0].fd = child_pidfd(c);
		pfd[1].fd = child_out_fd(c);
		pfd[2].fd = child_err_fd(c);
		for (i = 0; i < 3; i++)
			pfd[i].events = POLLIN;
		n = poll(pfd, 3, timeout_ms);
		assert_true(n >= 0);
		if (n == 0)
			return -1;
		if (pfd[1].revents)
			child_drain(c, CHILD_OUT);
		if (pfd[2].revents)
			child_drain(c, CHILD_ERR);
		if (pfd[0].revents) {
			assert_int_equal(child_reap(c, res), 0);
			return 0;
		}
	}
}

/* Starts S and waits until it has executed: NULL with *CAUSE if not. */
static struct child *
spawn(const struct child_spec *s, char **cause)
{
	struct child *c;

	if ((c = child_spawn(s, cause)) == NULL)
		return NULL;
	if (child_wait_started(c, cause) == -1) {
		child_free(c);
		return NULL;
	}
	return c;
}

/* Runs SPEC to its end and returns its rendered log (caller frees). */
static char *
run(const struct child_spec *s, struct child_result *res)
{
	char *cause = NULL;
	struct child *c;

	c = spawn(s, &cause);
	if (c == NULL)
		fail_msg("spawn failed: %s", cause);
	assert_int_equal(drive(c, res, 30000), 0);
	child_free(c);
	return log_text(0);
}

static char *
run_command(const char *command, struct child_result *res)
{
	struct child_spec s;

	spec_init(&s, command);
	return run(&s, res);
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(test_dir) == NULL)
		return -1;
	snprintf(test_log, sizeof test_log, "%s/run.log", test_dir);
	/* Orphans of the jobs come back to us, as they do to the daemon. */
	return child_become_subreaper();
}

static int
teardown(void **state)
{
	(void)state;
	unlink(test_log);
	return rmdir(test_dir);
}

static void
test_exit_codes(void **state)
{
	struct child_result res;
	char *out;

	(void)state;
	out = run_command("echo hello; echo oops >&2; exit 3", &res);
	assert_string_equal(out, "hello\noops\n");
	assert_int_equal(res.exited, 1);
	assert_int_equal(res.exit_code, 3);
	assert_int_equal(res.signal, 0);
	assert_int_equal(res.leftovers, 0);
	assert_int_equal(res.output_total, 11);
	assert_int_equal(res.output_kept, 11);
	free(out);

	out = run_command("true", &res);
	assert_int_equal(res.exit_code, 0);
	assert_string_equal(out, "");
	assert_int_equal(res.output_total, 0);
	/* Silent runs create no log file at all. */
	assert_int_equal(access(test_log, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	free(out);
}

static void
test_signal_and_rusage(void **state)
{
	struct child_result res;
	char *out;

	(void)state;
	out = run_command("i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; "
	                  "kill -USR1 $$",
	    &res);
	assert_int_equal(res.exited, 0);
	assert_int_equal(res.exit_code, -1);
	assert_int_equal(res.signal, SIGUSR1);
	assert_true(res.user_usec + res.sys_usec > 0);
	assert_true(res.maxrss_kb > 0);
	free(out);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_environment(void **state)
{
	char *const argv[] = { "env", NULL };
	char *const env[] = { "FOO=bar baz", "LANG=de_DE.UTF-8",
		"PATH=/opt/tool/bin:/usr/bin:/bin", NULL };
	char *lines[32], *out, *p, want[256];
	struct child_result res;
	struct child_spec s;
	size_t n = 0, i;
	const char *expect[] = { "CRONQ_ATTEMPT=1", "CRONQ_JOB=test-job",
		"CRONQ_RUN_ID=42", "FOO=bar baz", "HOME=", "LANG=de_DE.UTF-8",
		"LOGNAME=tester", "PATH=/opt/tool/bin:/usr/bin:/bin",
		"SHELL=/bin/sh", "USER=tester" };

	(void)state;
	setenv("CRONQ_LEAK", "daemon environment must not leak", 1);
	spec_init(&s, NULL);
	s.argv = argv;
	s.env = env;
	out = run(&s, &res);
	assert_int_equal(res.exit_code, 0);
	for (p = strtok(out, "\n"); p != NULL && n < 32; p = strtok(NULL, "\n"))
		lines[n++] = p;
	qsort(lines, n, sizeof *lines, cmp_str);
	assert_int_equal(n, sizeof expect / sizeof expect[0]);
	for (i = 0; i < n; i++) {
		if (strcmp(expect[i], "HOME=") == 0) {
			snprintf(want, sizeof want, "HOME=%s", test_dir);
			assert_string_equal(lines[i], want);
		} else
			assert_string_equal(lines[i], expect[i]);
	}
	free(out);

	/* Without job env: the documented defaults. */
	spec_init(&s, "printf '%s|%s\\n' \"$LANG\" \"$PATH\"");
	out = run(&s, &res);
	assert_string_equal(out,
	    geteuid() == 0
	        ? "C.UTF-8|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
	          "/sbin:/bin\n"
	        : "C.UTF-8|/usr/local/bin:/usr/bin:/bin\n");
	free(out);
	unsetenv("CRONQ_LEAK");
}

static void
test_descriptors_and_state(void **state)
{
	struct child_result res;
	struct child_spec s;
	sigset_t block, old;
	char *out;
	int leak;

	(void)state;
	/* A descriptor without close-on-exec, an ignored and a blocked signal.
	 */
	leak = dup(2);
	assert_true(leak > 2);
	signal(SIGINT, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, &old);

	spec_init(&s,
	    "ls /proc/self/fd; readlink /proc/self/fd/0; "
	    "grep -E '^(SigBlk|SigIgn|NoNewPrivs)' /proc/self/status; "
	    "[ \"$(ps -o sid= -p $$)\" -eq $$ ] && echo own-session");
	out = run(&s, &res);
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGINT, SIG_DFL);
	close(leak);

	/* ls shows its own directory descriptor as 3. */
	assert_string_equal(out,
	    "0\n1\n2\n3\n/dev/null\n"
	    "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"
	    "NoNewPrivs:\t1\nown-session\n");
	assert_int_equal(res.exit_code, 0);
	free(out);
}

static void
test_workdir_umask(void **state)
{
	struct child_result res;
	struct child_spec s;
	char *out, want[256];

	(void)state;
	spec_init(&s, "pwd; umask");
	s.workdir = "/usr";
	s.umask = 027;
	out = run(&s, &res);
	assert_string_equal(out, "/usr\n0027\n");
	free(out);

	/* No workdir: the home directory. */
	spec_init(&s, "pwd");
	out = run(&s, &res);
	snprintf(want, sizeof want, "%s\n", test_dir);
	assert_string_equal(out, want);
	free(out);
}

static void
test_rlimits(void **state)
{
	struct child_result res;
	struct child_spec s;
	char *out, cmd[256];

	(void)state;
	/* Soft limits as the kernel shows them, whatever the shell's units. */
	spec_init(&s,
	    "awk '/^Max (open files|core file size)/ "
	    "{ print $(NF - 2) }' /proc/self/limits");
	s.limits.nofile = 64;
	s.limits.core = 4096 * 1024;
	out = run(&s, &res);
	assert_string_equal(out, "4194304\n64\n");
	free(out);

	/* Past fsize the kernel sends SIGXFSZ. */
	snprintf(cmd, sizeof cmd, "exec head -c 100000 /dev/zero > %s/big",
	    test_dir);
	spec_init(&s, cmd);
	s.limits.fsize = 8192;
	out = run(&s, &res);
	assert_int_equal(res.signal, SIGXFSZ);
	free(out);
	snprintf(cmd, sizeof cmd, "%s/big", test_dir);
	unlink(cmd);
}

static void
test_exec_failures(void **state)
{
	char *const missing[] = { "no-such-program-cq", NULL };
	char *const notexec[] = { "/etc/passwd", NULL };
	char *const bad_env[] = { "NOEQUALS", NULL };
	char *const reserved[] = { "CRONQ_JOB=other", NULL };
	struct child_result res;
	struct child_spec s;
	char *cause = NULL, *out;

	(void)state;
	spec_init(&s, NULL);
	s.argv = missing;
	assert_null(spawn(&s, &cause));
	assert_string_equal(cause,
	    "cannot execute \"no-such-program-cq\": No such file or directory");
	free(cause);

	s.argv = notexec;
	assert_null(spawn(&s, &cause));
	assert_string_equal(
	    cause, "cannot execute \"/etc/passwd\": Permission denied");
	free(cause);

	spec_init(&s, "true");
	s.workdir = "/nope";
	assert_null(spawn(&s, &cause));
	assert_string_equal(
	    cause, "cannot chdir to /nope: No such file or directory");
	free(cause);

	spec_init(&s, "true");
	s.env = bad_env;
	assert_null(spawn(&s, &cause));
	assert_string_equal(cause, "env entry \"NOEQUALS\" is not KEY=VALUE");
	free(cause);
	s.env = reserved;
	assert_null(spawn(&s, &cause));
	assert_string_equal(
	    cause, "env CRONQ_JOB: names starting CRONQ_ are reserved");
	free(cause);

	/* Through the shell, a missing program is the shell's 127. */
	out = run_command("no-such-program-cq", &res);
	assert_int_equal(res.exit_code, 127);
	assert_non_null(strstr(out, "not found"));
	free(out);

	/* Nothing was left behind by the failed spawns. */
	assert_int_equal(child_reap_orphans(), 0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/*
 * Waits (on the event) for PID, a reparented orphan, to exit, and checks
 * that child_reap_orphans leaves no zombie. child_reap may have reaped it
 * already if it had died by then.
 */
static void
wait_orphan_gone(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof si);
	if (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0) {
		assert_int_equal(si.si_pid, pid);
		assert_true(child_reap_orphans() >= 1);
	} else
		assert_int_equal(errno, ECHILD);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static void
test_background_grandchild(void **state)
{
	struct child_result res;
	char *out;
	long gpid;

	(void)state;
	/* BUG-16: the grandchild keeps both pipes open. */
	out = run_command("sleep 1000 & echo $!; exit 0", &res);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.leftovers, 1);
	gpid = atol(out);
	assert_true(gpid > 0);
	wait_orphan_gone(gpid);
	free(out);
}

static void
test_escaped_grandchild(void **state)
{
	struct child_result res;
	char *out, cmd[512];
	long gpid;

	(void)state;
	/*
	 * A setsid grandchild leaves the process group and keeps the pipes;
	 * the run still ends with its main process, keeps its output, and
	 * the escapee dies with the run.
	 */
	snprintf(cmd, sizeof cmd,
	    "setsid sh -c 'echo $$ > %s/pid; "
	    "exec sleep 1000' & while [ ! -s %s/pid ]; do :; done; "
	    "cat %s/pid; rm %s/pid; echo spawned",
	    test_dir, test_dir, test_dir, test_dir);
	out = run_command(cmd, &res);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.leftovers, 1);
	gpid = atol(out);
	assert_true(gpid > 0);
	assert_non_null(strstr(out, "\nspawned\n"));
	wait_orphan_gone(gpid);
	free(out);
}

/* 1 if a process other than us carries CRONQ_RUN_ID=RUN_ID. */
static int
run_has_processes(int64_t run_id)
{
	char path[300], want[64], buf[8192];
	struct dirent *de;
	int found = 0, fd;
	ssize_t n, i;
	DIR *d;

	snprintf(want, sizeof want, "CRONQ_RUN_ID=%lld", (long long)run_id);
	d = opendir("/proc");
	assert_non_null(d);
	while ((de = readdir(d)) != NULL && !found) {
		snprintf(path, sizeof path, "/proc/%s/environ", de->d_name);
		fd = open(path, O_RDONLY);
		if (fd == -1)
			continue;
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		for (i = 0; i < n; i += strlen(buf + i) + 1) {
			buf[n] = '\0';
			if (strcmp(buf + i, want) == 0)
				found = 1;
		}
	}
	closedir(d);
	return found;
}

static void
test_bug16_setsid_spawner(void **state)
{
	struct child_result res;
	struct child_spec s;
	siginfo_t si;
	char *out;

	(void)state;
	/* Field case BUG-16, verbatim. */
	spec_init(&s, "(setsid sleep 600 &); echo spawned");
	s.run_id = 16016;
	out = run(&s, &res);
	assert_string_equal(out, "spawned\n");
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.leftovers, 1);

	/* The killed sleep is our zombie until reaped: wait for that event. */
	memset(&si, 0, sizeof si);
	if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) == 0)
		assert_true(child_reap_orphans() >= 1);
	else
		assert_int_equal(errno, ECHILD);
	assert_int_equal(run_has_processes(16016), 0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	free(out);
}

static void
test_stop_ignoring_sigterm(void **state)
{
	struct child_result res;
	struct child_spec s;
	struct pollfd pfd;
	char *cause = NULL, *out = NULL;
	struct child *c;
	long gpid = 0;

	(void)state;
	spec_init(&s, "trap '' TERM; sleep 1000 & echo $!; wait");
	c = spawn(&s, &cause);
	assert_non_null(c);

	/* The pid line arrives once the job is set up. */
	pfd.fd = child_out_fd(c);
	pfd.events = POLLIN;
	while (gpid == 0) {
		assert_int_equal(poll(&pfd, 1, 10000), 1);
		child_drain(c, CHILD_OUT);
		free(out);
		out = log_text(0);
		if (strchr(out, '\n') != NULL)
			gpid = atol(out);
	}
	free(out);

	/* The main process is not readable before it exits. */
	pfd.fd = child_pidfd(c);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(child_reap(c, &res), -1);
	assert_int_equal(errno, EAGAIN);

	/* SIGTERM is ignored: the grace period passes without an exit. */
	assert_int_equal(child_signal(c, SIGTERM), 0);
	assert_int_equal(poll(&pfd, 1, 300), 0);
	assert_int_equal(kill(gpid, 0), 0);

	assert_int_equal(child_signal(c, SIGKILL), 0);
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	assert_int_equal(child_reap(c, &res), 0);
	assert_int_equal(res.signal, SIGKILL);
	child_free(c);
	wait_orphan_gone(gpid);
}

static void
test_huge_output(void **state)
{
	struct rusage before, after;
	struct child_result res;
	struct child_spec s;
	char *cause = NULL, *out;
	struct child *c;
	struct stat sb;

	(void)state;
	spec_init(&s,
	    "head -c 10485760 /dev/zero | tr '\\0' x; echo; "
	    "echo after-long-line; yes | head -c 1G; echo done >&2");
	getrusage(RUSAGE_SELF, &before);
	c = spawn(&s, &cause);
	assert_non_null(c);
	assert_int_equal(drive(c, &res, 60000), 0);
	child_free(c);
	getrusage(RUSAGE_SELF, &after);
	out = log_text(0);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(
	    res.output_total, 10485760ULL + 1 + 16 + (1ULL << 30) + 5);
	assert_true(res.output_kept <= 1 << 20);
	assert_int_equal(stat(test_log, &sb), 0);
	assert_true(sb.st_size <= 1 << 20);
	assert_memory_equal(out, "xxxxxxxx", 8);
	assert_non_null(strstr(out, " bytes dropped]\n"));
	assert_string_equal(out + strlen(out) - 9, "\ny\ny\ndone\n" + 1);
	/* The daemon's memory does not follow the job's output. */
	assert_true(after.ru_maxrss - before.ru_maxrss < 16 * 1024);
	free(out);
}

static void
test_other_user(void **state)
{
	struct child_result res;
	struct child_spec s;
	char *out, *cause = NULL;

	(void)state;
	if (geteuid() != 0) {
		/* Unprivileged: only the daemon's own uid. */
		spec_init(&s, "true");
		s.uid = 0;
		assert_null(spawn(&s, &cause));
		assert_non_null(strstr(cause, "not root"));
		free(cause);
		return;
	}
	spec_init(&s, "id -u; id -g; id -G");
	s.uid = 65534;
	s.gid = 65534;
	s.user = "nobody";
	s.home = "/";
	out = run(&s, &res);
	assert_string_equal(out, "65534\n65534\n65534\n");
	free(out);
}

/* Waits on C's report pipe for child_started's answer. */
static int
started(struct child *c, char **cause)
{
	struct pollfd pfd;
	int rc;

	while ((rc = child_started(c, cause)) == 1) {
		pfd.fd = child_report_fd(c);
		pfd.events = POLLIN;
		assert_int_equal(poll(&pfd, 1, 20000), 1);
	}
	return rc;
}

/*
 * The child executes while the caller goes on: what the spec pointed to
 * may be gone by then, and a failure in the child, which shares our
 * memory, must not touch our errno (it is thread-local, and the child
 * runs on our thread's storage).
 */
static void
test_start_in_parallel(void **state)
{
	char *const missing[] = { "no-such-program-cq", NULL };
	struct child_result res;
	struct child_spec s;
	struct pollfd pfd;
	struct child *c;
	char *cause = NULL, *cmd, *dir, *out;

	(void)state;
	cmd = strdup("pwd; echo copied");
	dir = strdup("/tmp");
	assert_non_null(cmd);
	assert_non_null(dir);
	spec_init(&s, cmd);
	s.workdir = dir;
	c = child_spawn(&s, &cause);
	assert_non_null(c);
	memset(cmd, 'x', strlen(cmd));
	memset(dir, 'x', strlen(dir));
	free(cmd);
	free(dir);
	assert_int_equal(started(c, &cause), 0);
	assert_int_equal(child_report_fd(c), -1);
	assert_int_equal(child_started(c, &cause), 0);
	assert_int_equal(drive(c, &res, 30000), 0);
	child_free(c);
	assert_int_equal(res.exit_code, 0);
	out = log_text(0);
	assert_string_equal(out, "/tmp\ncopied\n");
	free(out);

	spec_init(&s, NULL);
	s.argv = missing;
	c = child_spawn(&s, &cause);
	assert_non_null(c);
	/* The failed execve calls all come before the report. */
	errno = 4242;
	pfd.fd = child_report_fd(c);
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 20000), 1);
	assert_int_equal(errno, 4242);
	assert_int_equal(started(c, &cause), -1);
	assert_string_equal(cause,
	    "cannot execute \"no-such-program-cq\": No such file or directory");
	free(cause);
	/* Reaped already: nothing is left to signal. */
	assert_int_equal(child_signal(c, SIGTERM), -1);
	child_free(c);
	(void)unlink(test_log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_signal_and_rusage),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_descriptors_and_state),
		cmocka_unit_test(test_workdir_umask),
		cmocka_unit_test(test_rlimits),
		cmocka_unit_test(test_exec_failures),
		cmocka_unit_test(test_start_in_parallel),
		cmocka_unit_test(test_background_grandchild),
		cmocka_unit_test(test_escaped_grandchild),
		cmocka_unit_test(test_bug16_setsid_spawner),
		cmocka_unit_test(test_stop_ignoring_sigterm),
		cmocka_unit_test(test_huge_output),
		cmocka_unit_test(test_other_user),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
