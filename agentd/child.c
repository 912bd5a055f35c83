/* SPDX-License-Identifier: ISC */
/*
 * Children of runs: output capture through non-blocking pipes into
 * output.c, reaping, and ending the whole process group. How the process
 * is started lives in child-exec.c.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child-exec.h"
#include "child.h"
#include "output.h"
#include "xmalloc.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define CHILD_READ 16384              /* bytes per read from a pipe */
#define CHILD_DRAIN_READS 16          /* reads per child_drain call */
#define CHILD_FINAL_MAX (1024 * 1024) /* read after exit, per stream */

struct child {
	int64_t run_id;
	pid_t pid;
	int pidfd;
	int fd[3];  /* indexed by enum child_stream */
	int eof[3]; /* stream ended */
	int reaped;
	int cgfd;      /* the run's cgroup leaf, or -1 */
	int report_fd; /* until the child has executed or failed, else -1 */
	struct child_exec x; /* what the child reads until then */
	struct output *log;
	int log_errno;
	LIST_ENTRY(child) entry;
};

static int child_sweep_run(int64_t, int);

/* Kills everything in C's cgroup leaf at once; nothing can fork away. */
static int
child_cgroup_kill(struct child *c)
{
	int fd, rc;

	if (c->cgfd == -1)
		return -1;
	fd = openat(c->cgfd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	rc = write(fd, "1", 1) == 1 ? 0 : -1;
	close(fd);
	return rc;
}

/* 1 if C's leaf holds a process other than the main one. */
static int
child_cgroup_others(struct child *c)
{
	char buf[256], *p, *end;
	ssize_t n;
	long pid;
	int fd, found = 0;

	if (c->cgfd == -1)
		return 0;
	fd = openat(c->cgfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (p = buf; *p != '\0'; p = end) {
		pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid != c->pid)
			found = 1;
	}
	return found;
}

static LIST_HEAD(, child) child_live = LIST_HEAD_INITIALIZER(child_live);

/*
 * Moves *FD above the standard descriptors, so that the child's dup3 calls
 * onto 0, 1 and 2 never overwrite a descriptor still to be copied.
 */
static int
child_fd_high(int *fd)
{
	int nfd;

	if (*fd > 2)
		return 0;
	nfd = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
	if (nfd == -1)
		return -1;
	close(*fd);
	*fd = nfd;
	return 0;
}

static void
child_fd_close(int *fd)
{
	if (*fd != -1) {
		close(*fd);
		*fd = -1;
	}
}

/*
 * /dev/null for every child's standard input, opened once: each child
 * gets a copy of the descriptor table, so it can dup3 this one, and the
 * daemon keeps it open for the next.
 */
static int child_devnull = -1;

/*
 * Pipes and /dev/null for the child. Parent ends are non-blocking; all are
 * close-on-exec (the child's dup3 clears it on 0, 1 and 2). FDS: stdout
 * read, stdout write, stderr read, stderr write, report read, report
 * write.
 */
static int
child_open_fds(int fds[6])
{
	int i;

	for (i = 0; i < 6; i++)
		fds[i] = -1;
	if (child_devnull == -1) {
		child_devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (child_devnull == -1)
			return -1;
		if (child_fd_high(&child_devnull) == -1) {
			child_fd_close(&child_devnull);
			return -1;
		}
	}
	if (pipe2(fds, O_CLOEXEC) == -1 || pipe2(fds + 2, O_CLOEXEC) == -1 ||
	    pipe2(fds + 4, O_CLOEXEC) == -1)
		return -1;
	for (i = 0; i < 6; i++) {
		if (child_fd_high(&fds[i]) == -1)
			return -1;
	}
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(fds[2], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(fds[4], F_SETFL, O_NONBLOCK) == -1)
		return -1;
	return 0;
}

/*
 * Starts the process; on success the descriptors the child got are
 * closed, and whether it executed is for child_started to tell.
 */
static int
child_start(struct child *c, int fds[6], char **cause)
{
	c->x.fd_out = fds[1];
	c->x.fd_err = fds[3];
	c->x.fd_report = fds[5];
	c->x.fd_in = child_devnull;
	c->pid = child_exec_clone(&c->x, &c->pidfd);
	if (c->pid == -1) {
		xasprintf(cause, "cannot start a process: %s", strerror(errno));
		return -1;
	}
	child_fd_close(&fds[1]);
	child_fd_close(&fds[3]);
	child_fd_close(&fds[5]);
	c->report_fd = fds[4];
	fds[4] = -1;
	return 0;
}

struct child *
child_spawn(const struct child_spec *spec, char **cause)
{
	struct child *c;
	int fds[6], i;

	c = xcalloc(1, sizeof *c);
	c->pidfd = -1;
	c->cgfd = -1;
	c->report_fd = -1;
	for (i = 0; i < 6; i++)
		fds[i] = -1;
	if (child_exec_prepare(spec, &c->x, cause) == -1)
		goto fail;
	if (spec->sandbox != NULL && spec->sandbox->cgroup_dir_fd != -1) {
		c->cgfd =
		    fcntl(spec->sandbox->cgroup_dir_fd, F_DUPFD_CLOEXEC, 3);
		if (c->cgfd == -1) {
			xasprintf(cause, "cannot keep the run's cgroup: %s",
			    strerror(errno));
			goto fail;
		}
	}
	if (child_open_fds(fds) == -1) {
		xasprintf(cause, "cannot create pipes: %s", strerror(errno));
		goto fail;
	}
	c->log = output_open(spec->log_path, spec->log_cap, cause);
	if (c->log == NULL)
		goto fail;
	if (child_start(c, fds, cause) == -1)
		goto fail;

	c->fd[0] = -1;
	c->fd[CHILD_OUT] = fds[0];
	c->fd[CHILD_ERR] = fds[2];
	c->run_id = spec->run_id;
	LIST_INSERT_HEAD(&child_live, c, entry);
	return c;

fail:
	for (i = 0; i < 6; i++)
		child_fd_close(&fds[i]);
	if (c->log != NULL) {
		output_close(c->log);
		unlink(spec->log_path);
	}
	child_fd_close(&c->cgfd);
	child_exec_free(&c->x);
	free(c);
	return NULL;
}

int
child_report_fd(const struct child *c)
{
	return c->report_fd;
}

/*
 * End of file on the report pipe comes when the child's copy of its write
 * end closes: at exec, or when the child ends. Either way the child no
 * longer uses our memory (the kernel lets go of it before it closes
 * descriptors), so its stack and what it read can go.
 */
int
child_started(struct child *c, char **cause)
{
	struct child_report rep;
	siginfo_t si;
	ssize_t n;

	if (c->report_fd == -1)
		return 0;
	do
		n = read(c->report_fd, &rep, sizeof rep);
	while (n == -1 && errno == EINTR);
	if (n == -1 && errno == EAGAIN)
		return 1;
	child_fd_close(&c->report_fd);
	if (n != sizeof rep) {
		child_exec_free(&c->x);
		return 0;
	}
	*cause = child_exec_cause(&c->x, &rep);
	/* It exits right after its report: the wait is short. */
	while (waitid(P_PIDFD, c->pidfd, &si, WEXITED) == -1 && errno == EINTR)
		;
	c->reaped = 1;
	LIST_REMOVE(c, entry);
	child_exec_free(&c->x);
	return -1;
}

int
child_wait_started(struct child *c, char **cause)
{
	struct pollfd pfd;
	int rc;

	while ((rc = child_started(c, cause)) == 1) {
		pfd.fd = c->report_fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			break;
	}
	return rc == 1 ? 0 : rc;
}

pid_t
child_pid(const struct child *c)
{
	return c->pid;
}

int
child_pidfd(const struct child *c)
{
	return c->pidfd;
}

int
child_out_fd(const struct child *c)
{
	return c->eof[CHILD_OUT] ? -1 : c->fd[CHILD_OUT];
}

int
child_err_fd(const struct child *c)
{
	return c->eof[CHILD_ERR] ? -1 : c->fd[CHILD_ERR];
}

/* Reads at most MAXREADS chunks; returns as child_drain. */
static int
child_read(struct child *c, enum child_stream which, size_t maxreads)
{
	char buf[CHILD_READ];
	ssize_t n;
	size_t i;

	if (c->eof[which] || c->fd[which] == -1)
		return 1;
	for (i = 0; i < maxreads; i++) {
		n = read(c->fd[which], buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			c->eof[which] = 1;
			return n == 0 ? 1 : -1;
		}
		/* A full disk must not stop the draining: the job would block.
		 */
		if (output_write(c->log,
		        which == CHILD_OUT ? OUTPUT_STDOUT : OUTPUT_STDERR, buf,
		        n) == -1 &&
		    c->log_errno == 0)
			c->log_errno = errno;
	}
	return 0;
}

int
child_drain(struct child *c, enum child_stream which)
{
	if (which != CHILD_OUT && which != CHILD_ERR) {
		errno = EINVAL;
		return -1;
	}
	return child_read(c, which, CHILD_DRAIN_READS);
}

int
child_signal(struct child *c, int sig)
{
	int a, b;

	if (c->reaped) {
		errno = ESRCH;
		return -1;
	}

	/*
	 * The leader is not reaped yet, so its pid (the group id) cannot
	 * have been reused: kill(-pgid) reaches only this run's group.
	 */
	a = syscall(SYS_pidfd_send_signal, c->pidfd, sig, NULL, 0);
	b = kill(-c->pid, sig);
	if (sig == SIGKILL && child_cgroup_kill(c) == 0)
		b = 0;

	/* Processes that left the group with setsid but came back to us. */
	child_sweep_run(c->run_id, sig);
	return a == 0 || b == 0 ? 0 : -1;
}

int
child_reap(struct child *c, struct child_result *res)
{
	struct rusage ru;
	siginfo_t si;
	int status, w, others;

	if (c->reaped) {
		errno = EINVAL;
		return -1;
	}
	memset(&si, 0, sizeof si);
	if (waitid(P_PIDFD, c->pidfd, &si, WEXITED | WNOHANG | WNOWAIT) == -1)
		return -1;
	if (si.si_pid == 0) {
		errno = EAGAIN;
		return -1;
	}

	/* Leftovers die while the zombie leader still holds the group id. */
	others = child_cgroup_others(c);
	kill(-c->pid, SIGKILL);
	child_cgroup_kill(c);
	do
		w = wait4(c->pid, &status, 0, &ru);
	while (w == -1 && errno == EINTR);
	if (w == -1)
		return -1;
	c->reaped = 1;
	LIST_REMOVE(c, entry);

	memset(res, 0, sizeof *res);
	/*
	 * Group members are dying now; those that escaped the group with
	 * setsid are our children by now (the kernel reparents them before
	 * the pidfd turns readable), so sweep the ended run's orphans too.
	 */
	res->leftovers = others || kill(-c->pid, 0) == 0;
	if (child_sweep_run(-1, SIGKILL) > 0)
		res->leftovers = 1;
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->exit_code = WEXITSTATUS(status);
	} else {
		res->exit_code = -1;
		res->signal = WTERMSIG(status);
		res->core_dumped = WCOREDUMP(status) != 0;
	}
	res->user_usec = ru.ru_utime.tv_sec * 1000000ULL + ru.ru_utime.tv_usec;
	res->sys_usec = ru.ru_stime.tv_sec * 1000000ULL + ru.ru_stime.tv_usec;
	res->maxrss_kb = ru.ru_maxrss;

	/*
	 * What is already in the pipes belongs to the run. A writer that
	 * escaped the group (setsid) could go on for ever, so read a bounded
	 * amount and never wait for end of file.
	 */
	child_read(c, CHILD_OUT, CHILD_FINAL_MAX / CHILD_READ);
	child_read(c, CHILD_ERR, CHILD_FINAL_MAX / CHILD_READ);
	child_fd_close(&c->fd[CHILD_OUT]);
	child_fd_close(&c->fd[CHILD_ERR]);
	c->eof[CHILD_OUT] = c->eof[CHILD_ERR] = 1;
	res->output_total = res->output_kept = 0;
	if (c->log != NULL) {
		struct output_stats st;

		output_get_stats(c->log, &st);
		res->output_total = st.total;
		res->output_kept = st.kept;
		if (output_close(c->log) == -1 && c->log_errno == 0)
			c->log_errno = errno;
		c->log = NULL;
	}
	res->output_error = c->log_errno;
	return 0;
}

void
child_free(struct child *c)
{
	siginfo_t si;

	if (c == NULL)
		return;
	if (!c->reaped) {
		/* SIGKILL cannot be caught: the wait is short. */
		child_signal(c, SIGKILL);
		while (waitid(P_PIDFD, c->pidfd, &si, WEXITED) == -1 &&
		    errno == EINTR)
			;
		LIST_REMOVE(c, entry);
	}
	child_fd_close(&c->fd[CHILD_OUT]);
	child_fd_close(&c->fd[CHILD_ERR]);
	child_fd_close(&c->pidfd);
	child_fd_close(&c->cgfd);
	child_fd_close(&c->report_fd);
	child_exec_free(&c->x);
	output_close(c->log);
	free(c);
}

int
child_become_subreaper(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

static int
child_is_live(pid_t pid)
{
	struct child *c;

	LIST_FOREACH(c, &child_live, entry)
	{
		if (c->pid == pid)
			return 1;
	}
	return 0;
}

static int
child_run_is_live(int64_t run_id)
{
	struct child *c;

	LIST_FOREACH(c, &child_live, entry)
	{
		if (c->run_id == run_id)
			return 1;
	}
	return 0;
}

/*
 * The CRONQ_RUN_ID in PID's environment, or -1. child-exec.c puts it
 * first, so a small read finds it unless the process replaced its
 * environment.
 */
static int64_t
child_env_run_id(pid_t pid)
{
	char path[64], buf[4096], *p, *end;
	ssize_t n;
	int fd, tries;

	/*
	 * A process in the middle of execve shows an empty environment for
	 * a moment (the new image's is set up after the switch), so an
	 * empty read is retried a bounded number of times.
	 */
	snprintf(path, sizeof path, "/proc/%ld/environ", (long)pid);
	for (tries = 0;; tries++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd == -1)
			return -1;
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n != 0 || tries == 1000)
			break;
		sched_yield();
	}
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (p = buf; p < buf + n; p += strlen(p) + 1) {
		if (strncmp(p, "CRONQ_RUN_ID=", 13) == 0) {
			end = NULL;
			return strtoll(p + 13, &end, 10);
		}
	}
	return -1;
}

/*
 * One child of ours that child_spawn did not start, so an orphan of some
 * job reparented to this subreaper. It is reaped if it has exited. If it
 * still runs it is signalled when it carries the run id SW->run_id, or,
 * with SW->run_id -1, the id of any run that has ended: a job ends with
 * its main process and nothing it started outlives it. Its pid cannot be
 * reused before we reap it, so kill() is safe here.
 */
struct child_sweep {
	int64_t run_id;
	int sig;
	int reaped;
	int signalled;
};

static void
child_sweep_one(pid_t pid, struct child_sweep *sw)
{
	siginfo_t si;
	int64_t run;

	if (pid <= 0 || child_is_live(pid))
		return;
	memset(&si, 0, sizeof si);
	if (waitid(P_PID, pid, &si, WEXITED | WNOHANG) == -1)
		return;
	if (si.si_pid != 0) {
		sw->reaped++;
		return;
	}
	run = child_env_run_id(pid);
	if (run < 0)
		return;
	if (sw->run_id >= 0 ? run != sw->run_id : child_run_is_live(run))
		return;
	if (kill(pid, sw->sig) == 0)
		sw->signalled++;
}

/* The parent pid from /proc/PID/stat, or -1. */
static pid_t
child_ppid_of(const char *pid)
{
	char path[300], buf[512], *p;
	ssize_t n;
	int fd;
	long ppid;

	snprintf(path, sizeof path, "/proc/%s/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command may hold spaces and parentheses: the last ')' ends it. */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %*c %ld", &ppid) != 1)
		return -1;
	return ppid;
}

/* Calls child_sweep_one for each of this process's children. */
static void
child_sweep(struct child_sweep *sw)
{
	char path[64], buf[4096], *p, *end;
	struct dirent *de;
	ssize_t n;
	DIR *d;
	long pid;
	int fd;

	/*
	 * The kernel's list of our children, when it has one; a list longer
	 * than the buffer is finished by the next SIGCHLD.
	 */
	snprintf(
	    path, sizeof path, "/proc/self/task/%ld/children", (long)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd != -1) {
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n >= 0) {
			buf[n] = '\0';
			for (p = buf; *p != '\0'; p = end) {
				pid = strtol(p, &end, 10);
				if (end == p)
					break;
				child_sweep_one(pid, sw);
			}
			return;
		}
	}

	d = opendir("/proc");
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (child_ppid_of(de->d_name) == getpid())
			child_sweep_one(atol(de->d_name), sw);
	}
	closedir(d);
}

/* Signals the orphans of run RUN_ID (-1: of every ended run). */
static int
child_sweep_run(int64_t run_id, int sig)
{
	struct child_sweep sw = { run_id, sig, 0, 0 };

	child_sweep(&sw);
	return sw.signalled;
}

int
child_reap_orphans(void)
{
	struct child_sweep sw = { -1, SIGKILL, 0, 0 };

	child_sweep(&sw);
	return sw.reaped;
}
