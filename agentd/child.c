/* SPDX-License-Identifier: ISC */
/*
 * Children of runs: spawning with clone(CLONE_VM | CLONE_VFORK), output
 * capture through non-blocking pipes into output.c, and ending the whole
 * process group. Everything the new process needs is built here in the
 * parent first; the code that runs in the child before exec makes raw
 * system calls only, because it shares the daemon's memory and must not
 * touch malloc, stdio, locks or sanitizer state.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "output.h"
#include "xmalloc.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define CHILD_STACK (64 * 1024)
#define CHILD_READ 16384              /* bytes per read from a pipe */
#define CHILD_DRAIN_READS 16          /* reads per child_drain call */
#define CHILD_FINAL_MAX (1024 * 1024) /* read after exit, per stream */
#define CHILD_PATH_ROOT                                                        \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define CHILD_PATH_USER "/usr/local/bin:/usr/bin:/bin"

/* The step that failed in the child, reported through the report pipe. */
enum child_step {
	STEP_SIGNALS = 1,
	STEP_SETSID,
	STEP_FDS,
	STEP_RLIMIT,
	STEP_GROUPS,
	STEP_SETGID,
	STEP_SETUID,
	STEP_CHDIR,
	STEP_NO_NEW_PRIVS,
	STEP_EXEC
};

struct child_report {
	int step;
	int err;
	int index; /* which limit for STEP_RLIMIT */
};

struct child_rlimit {
	int resource;
	const char *name;
	struct rlimit rl;
};

/* Everything the cloned child reads: prepared in the parent. */
struct child_exec {
	char **argv;
	char **envp;
	char **paths; /* where argv[0] may be, tried in order */
	const char *workdir;
	mode_t umask;
	int switch_user;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	size_t ngroups;
	struct child_rlimit limits[6];
	int nlimits;
	int fd_in, fd_out, fd_err, fd_report;
};

struct child {
	pid_t pid;
	int pidfd;
	int fd[3];  /* indexed by enum child_stream */
	int eof[3]; /* stream ended */
	int reaped;
	struct output *log;
	int log_errno;
	LIST_ENTRY(child) entry;
};

static LIST_HEAD(, child) child_live = LIST_HEAD_INITIALIZER(child_live);

/*
 * The child between clone and exec. It shares the parent's memory (the
 * parent is suspended until exec or exit), so it only makes system calls
 * through syscall(2): glibc's setuid and friends would signal the
 * parent's threads, and sanitizer interceptors keep per-thread state.
 */
__attribute__((no_sanitize("address", "undefined"))) static int
child_main(void *arg)
{
	struct child_exec *x = arg;
	struct child_report rep = { 0, 0, 0 };
	struct {
		unsigned long handler, flags, restorer, mask;
	} ksa = { 0, 0, 0, 0 }; /* the kernel's sigaction: SIG_DFL */
	unsigned long empty = 0;
	char **p;
	int sig, i;

	for (sig = 1; sig < 65; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &ksa, NULL, 8);
	}
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty, NULL, 8) == -1) {
		rep.step = STEP_SIGNALS;
		goto fail;
	}
	if (syscall(SYS_setsid) == -1) {
		rep.step = STEP_SETSID;
		goto fail;
	}
	if (syscall(SYS_dup3, x->fd_in, 0, 0) == -1 ||
	    syscall(SYS_dup3, x->fd_out, 1, 0) == -1 ||
	    syscall(SYS_dup3, x->fd_err, 2, 0) == -1 ||
	    syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) == -1) {
		rep.step = STEP_FDS;
		goto fail;
	}
	for (i = 0; i < x->nlimits; i++) {
		if (syscall(SYS_prlimit64, 0, x->limits[i].resource,
		        &x->limits[i].rl, NULL) == -1) {
			rep.step = STEP_RLIMIT;
			rep.index = i;
			goto fail;
		}
	}
	syscall(SYS_umask, x->umask);
	if (x->switch_user) {
		if (syscall(SYS_setgroups, x->ngroups, x->groups) == -1) {
			rep.step = STEP_GROUPS;
			goto fail;
		}
		if (syscall(SYS_setresgid, x->gid, x->gid, x->gid) == -1) {
			rep.step = STEP_SETGID;
			goto fail;
		}
		if (syscall(SYS_setresuid, x->uid, x->uid, x->uid) == -1) {
			rep.step = STEP_SETUID;
			goto fail;
		}
	}
	/* After the user change, so the user's own access rights apply. */
	if (syscall(SYS_chdir, x->workdir) == -1) {
		rep.step = STEP_CHDIR;
		goto fail;
	}
	if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		rep.step = STEP_NO_NEW_PRIVS;
		goto fail;
	}

	/* As execvp: a permission error is kept if nothing else is found. */
	rep.step = STEP_EXEC;
	rep.err = ENOENT;
	for (p = x->paths; *p != NULL; p++) {
		syscall(SYS_execve, *p, x->argv, x->envp);
		if (errno == EACCES)
			rep.err = EACCES;
		else if (errno != ENOENT && errno != ENOTDIR) {
			rep.err = errno;
			break;
		}
	}
	goto report;

fail:
	rep.err = errno;
report:
	syscall(SYS_write, x->fd_report, &rep, sizeof rep);
	syscall(SYS_exit, 127);
	return 127;
}

static void
child_strv_free(char **v)
{
	char **p;

	if (v == NULL)
		return;
	for (p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

/* Appends S (taken) to the NULL-terminated vector *V of *N entries. */
static void
child_strv_add(char ***v, size_t *n, char *s)
{
	*v = xreallocarray(*v, *n + 2, sizeof **v);
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

/* Finds KEY (of length KLEN) in the environment vector V. */
static char **
child_env_find(char **v, const char *key, size_t klen)
{
	for (; v != NULL && *v != NULL; v++) {
		if (strncmp(*v, key, klen) == 0 && (*v)[klen] == '=')
			return v;
	}
	return NULL;
}

static int
child_build_env(
    const struct child_spec *spec, int root, char ***out, char **cause)
{
	char **v = NULL, **slot, *s;
	char *const *e;
	const char *eq;
	size_t n = 0, klen;

	xasprintf(&s, "HOME=%s", spec->home);
	child_strv_add(&v, &n, s);
	xasprintf(&s, "USER=%s", spec->user);
	child_strv_add(&v, &n, s);
	xasprintf(&s, "LOGNAME=%s", spec->user);
	child_strv_add(&v, &n, s);
	xasprintf(
	    &s, "SHELL=%s", spec->shell != NULL ? spec->shell : "/bin/sh");
	child_strv_add(&v, &n, s);
	xasprintf(&s, "PATH=%s", root ? CHILD_PATH_ROOT : CHILD_PATH_USER);
	child_strv_add(&v, &n, s);
	child_strv_add(&v, &n, xstrdup("LANG=C.UTF-8"));

	/* The job's env replaces a default of the same name. */
	for (e = spec->env; e != NULL && *e != NULL; e++) {
		eq = strchr(*e, '=');
		if (eq == NULL || eq == *e) {
			xasprintf(
			    cause, "env entry \"%s\" is not KEY=VALUE", *e);
			goto fail;
		}
		klen = eq - *e;
		if (strncmp(*e, "CRONQ_", 6) == 0) {
			xasprintf(cause,
			    "env %.*s: names starting CRONQ_ are "
			    "reserved",
			    (int)klen, *e);
			goto fail;
		}
		slot = child_env_find(v, *e, klen);
		if (slot != NULL) {
			free(*slot);
			*slot = xstrdup(*e);
		} else
			child_strv_add(&v, &n, xstrdup(*e));
	}

	xasprintf(&s, "CRONQ_JOB=%s", spec->job);
	child_strv_add(&v, &n, s);
	xasprintf(&s, "CRONQ_RUN_ID=%" PRId64, spec->run_id);
	child_strv_add(&v, &n, s);
	xasprintf(&s, "CRONQ_ATTEMPT=%d", spec->attempt);
	child_strv_add(&v, &n, s);
	*out = v;
	return 0;

fail:
	child_strv_free(v);
	return -1;
}

/* Candidate paths for NAME: itself if it has a slash, else each PATH dir. */
static char **
child_build_paths(const char *name, char **envp)
{
	char **v = NULL, **path, *s;
	const char *dir, *end;
	size_t n = 0;

	if (strchr(name, '/') != NULL) {
		child_strv_add(&v, &n, xstrdup(name));
		return v;
	}
	path = child_env_find(envp, "PATH", 4);
	dir = path != NULL ? *path + 5 : CHILD_PATH_USER;
	for (;;) {
		end = strchrnul(dir, ':');
		if (end == dir)
			xasprintf(&s, "./%s", name);
		else
			xasprintf(&s, "%.*s/%s", (int)(end - dir), dir, name);
		child_strv_add(&v, &n, s);
		if (*end == '\0')
			break;
		dir = end + 1;
	}
	return v;
}

static void
child_build_limits(const struct child_spec *spec, struct child_exec *x)
{
	const struct {
		int resource;
		const char *name;
		uint64_t value;
	} l[] = {
		{ RLIMIT_CPU, "cpu", spec->limits.cpu },
		{ RLIMIT_AS, "memory", spec->limits.memory },
		{ RLIMIT_NOFILE, "nofile", spec->limits.nofile },
		{ RLIMIT_NPROC, "nproc", spec->limits.nproc },
		{ RLIMIT_FSIZE, "fsize", spec->limits.fsize },
		{ RLIMIT_CORE, "core", spec->limits.core },
	};
	size_t i;

	for (i = 0; i < sizeof l / sizeof l[0]; i++) {
		if (l[i].value == 0)
			continue;
		x->limits[x->nlimits].resource = l[i].resource;
		x->limits[x->nlimits].name = l[i].name;
		x->limits[x->nlimits].rl.rlim_cur = l[i].value;
		x->limits[x->nlimits].rl.rlim_max = l[i].value;
		x->nlimits++;
	}
}

/* The user's supplementary groups, as initgroups would set them. */
static int
child_build_groups(
    const struct child_spec *spec, struct child_exec *x, char **cause)
{
	int n = 16, want;

	for (;;) {
		x->groups = xreallocarray(x->groups, n, sizeof *x->groups);
		want = n;
		if (getgrouplist(spec->user, spec->gid, x->groups, &want) != -1)
			break;
		if (want <= n || want > 65536) {
			xasprintf(cause, "cannot list the groups of user %s",
			    spec->user);
			return -1;
		}
		n = want;
	}
	x->ngroups = want;
	return 0;
}

static char *
child_cause(const struct child_exec *x, const struct child_report *rep,
    const char *program)
{
	const struct child_rlimit *l;
	const char *err = strerror(rep->err);
	char *cause;

	switch (rep->step) {
	case STEP_SIGNALS:
		xasprintf(&cause, "cannot reset signals: %s", err);
		break;
	case STEP_SETSID:
		xasprintf(&cause, "cannot start a new session: %s", err);
		break;
	case STEP_FDS:
		xasprintf(&cause, "cannot set up descriptors: %s", err);
		break;
	case STEP_RLIMIT:
		l = &x->limits[rep->index < x->nlimits ? rep->index : 0];
		xasprintf(&cause, "cannot set limit %s to %llu: %s", l->name,
		    (unsigned long long)l->rl.rlim_cur, err);
		break;
	case STEP_GROUPS:
		xasprintf(&cause, "cannot set supplementary groups: %s", err);
		break;
	case STEP_SETGID:
		xasprintf(&cause, "cannot set group id %u: %s",
		    (unsigned)x->gid, err);
		break;
	case STEP_SETUID:
		xasprintf(
		    &cause, "cannot set user id %u: %s", (unsigned)x->uid, err);
		break;
	case STEP_CHDIR:
		xasprintf(&cause, "cannot chdir to %s: %s", x->workdir, err);
		break;
	case STEP_NO_NEW_PRIVS:
		xasprintf(&cause, "cannot set no_new_privs: %s", err);
		break;
	default:
		xasprintf(&cause, "cannot execute \"%s\": %s", program, err);
		break;
	}
	return cause;
}

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
 * Pipes and /dev/null for the child. Parent ends are non-blocking; all are
 * close-on-exec (the child's dup3 clears it on 0, 1 and 2). FDS: stdout
 * read, stdout write, stderr read, stderr write, report read, report
 * write, /dev/null.
 */
static int
child_open_fds(int fds[7])
{
	int i;

	for (i = 0; i < 7; i++)
		fds[i] = -1;
	if (pipe2(fds, O_CLOEXEC) == -1 || pipe2(fds + 2, O_CLOEXEC) == -1 ||
	    pipe2(fds + 4, O_CLOEXEC) == -1)
		return -1;
	fds[6] = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fds[6] == -1)
		return -1;
	for (i = 0; i < 7; i++) {
		if (child_fd_high(&fds[i]) == -1)
			return -1;
	}
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(fds[2], F_SETFL, O_NONBLOCK) == -1)
		return -1;
	return 0;
}

/*
 * Runs child_main on its own stack with every signal blocked, so that no
 * handler of the daemon can run in the child while it shares our memory.
 * Returns the pid with *PIDFD set, or -1 with errno.
 */
static pid_t
child_clone(struct child_exec *x, int *pidfd)
{
	sigset_t all, old;
	void *stack;
	pid_t pid;
	int saved;

	stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return -1;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = clone(child_main, (char *)stack + CHILD_STACK,
	    CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, x, pidfd);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	munmap(stack, CHILD_STACK);
	errno = saved;
	return pid;
}

static void
child_exec_free(struct child_exec *x)
{
	free(x->argv);
	child_strv_free(x->envp);
	child_strv_free(x->paths);
	free(x->groups);
}

/* Fills X from SPEC, everything but the descriptors. */
static int
child_prepare(const struct child_spec *spec, struct child_exec *x, char **cause)
{
	uid_t euid = geteuid();
	size_t n;

	if ((spec->command == NULL) == (spec->argv == NULL) ||
	    (spec->argv != NULL &&
	        (spec->argv[0] == NULL || spec->argv[0][0] == '\0'))) {
		xasprintf(cause,
		    "cannot start job %s: give either a command "
		    "or a non-empty argv",
		    spec->job);
		return -1;
	}
	if (spec->user == NULL || spec->home == NULL) {
		xasprintf(
		    cause, "cannot start job %s: no user or home", spec->job);
		return -1;
	}
	if (euid != 0 && spec->uid != euid) {
		xasprintf(cause,
		    "cannot run job %s as uid %u: the daemon "
		    "runs as uid %u, not root",
		    spec->job, (unsigned)spec->uid, (unsigned)euid);
		return -1;
	}
	if (child_build_env(spec, spec->uid == 0, &x->envp, cause) == -1)
		return -1;

	if (spec->command != NULL) {
		x->argv = xcalloc(4, sizeof *x->argv);
		x->argv[0] = (char *)"/bin/sh";
		x->argv[1] = (char *)"-c";
		x->argv[2] = (char *)spec->command;
	} else {
		for (n = 0; spec->argv[n] != NULL; n++)
			;
		x->argv = xcalloc(n + 1, sizeof *x->argv);
		memcpy(x->argv, spec->argv, n * sizeof *x->argv);
	}
	x->paths = child_build_paths(x->argv[0], x->envp);

	x->workdir = spec->workdir != NULL ? spec->workdir : spec->home;
	x->umask = spec->umask & 0777;
	child_build_limits(spec, x);
	if (euid == 0 && (spec->uid != euid || spec->gid != getegid())) {
		x->switch_user = 1;
		x->uid = spec->uid;
		x->gid = spec->gid;
		if (child_build_groups(spec, x, cause) == -1)
			return -1;
	}
	return 0;
}

/* Starts the process; on success the descriptors the child got are closed. */
static int
child_start(struct child *c, struct child_exec *x, int fds[7], char **cause)
{
	struct child_report rep;
	siginfo_t si;
	ssize_t n;

	x->fd_out = fds[1];
	x->fd_err = fds[3];
	x->fd_report = fds[5];
	x->fd_in = fds[6];
	c->pid = child_clone(x, &c->pidfd);
	if (c->pid == -1) {
		xasprintf(cause, "cannot start a process: %s", strerror(errno));
		return -1;
	}
	child_fd_close(&fds[1]);
	child_fd_close(&fds[3]);
	child_fd_close(&fds[5]);
	child_fd_close(&fds[6]);

	/*
	 * CLONE_VFORK resumed us after exec or exit, so the report pipe
	 * already holds all it ever will: nothing on success.
	 */
	do
		n = read(fds[4], &rep, sizeof rep);
	while (n == -1 && errno == EINTR);
	if (n != sizeof rep)
		return 0;
	*cause = child_cause(x, &rep, x->argv[0]);
	waitid(P_PIDFD, c->pidfd, &si, WEXITED);
	close(c->pidfd);
	c->pidfd = -1;
	return -1;
}

struct child *
child_spawn(const struct child_spec *spec, char **cause)
{
	struct child_exec x;
	struct child *c;
	int fds[7], i;

	memset(&x, 0, sizeof x);
	c = xcalloc(1, sizeof *c);
	c->pidfd = -1;
	for (i = 0; i < 7; i++)
		fds[i] = -1;
	if (child_prepare(spec, &x, cause) == -1)
		goto fail;
	if (child_open_fds(fds) == -1) {
		xasprintf(cause, "cannot create pipes: %s", strerror(errno));
		goto fail;
	}
	c->log = output_open(spec->log_path, spec->log_cap, cause);
	if (c->log == NULL)
		goto fail;
	if (child_start(c, &x, fds, cause) == -1)
		goto fail;

	child_fd_close(&fds[4]);
	c->fd[0] = -1;
	c->fd[CHILD_OUT] = fds[0];
	c->fd[CHILD_ERR] = fds[2];
	LIST_INSERT_HEAD(&child_live, c, entry);
	child_exec_free(&x);
	return c;

fail:
	for (i = 0; i < 7; i++)
		child_fd_close(&fds[i]);
	if (c->log != NULL) {
		output_close(c->log);
		unlink(spec->log_path);
	}
	free(c);
	child_exec_free(&x);
	return NULL;
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
	return a == 0 || b == 0 ? 0 : -1;
}

int
child_reap(struct child *c, struct child_result *res)
{
	struct rusage ru;
	siginfo_t si;
	int status, w;

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
	kill(-c->pid, SIGKILL);
	do
		w = wait4(c->pid, &status, 0, &ru);
	while (w == -1 && errno == EINTR);
	if (w == -1)
		return -1;
	c->reaped = 1;
	LIST_REMOVE(c, entry);

	memset(res, 0, sizeof *res);
	res->leftovers = kill(-c->pid, 0) == 0;
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

/* Reaps PID if it is an exited child we do not track. */
static int
child_reap_one(pid_t pid)
{
	siginfo_t si;

	if (pid <= 0 || child_is_live(pid))
		return 0;
	memset(&si, 0, sizeof si);
	if (waitid(P_PID, pid, &si, WEXITED | WNOHANG) == -1)
		return 0;
	return si.si_pid != 0;
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
	/* The command name may hold spaces and parentheses: skip to the last.
	 */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %*c %ld", &ppid) != 1)
		return -1;
	return ppid;
}

int
child_reap_orphans(void)
{
	char path[64], buf[4096], *p, *end;
	struct dirent *de;
	ssize_t n;
	DIR *d;
	long pid;
	int fd, reaped = 0;

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
				reaped += child_reap_one(pid);
			}
			return reaped;
		}
	}

	d = opendir("/proc");
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (child_ppid_of(de->d_name) == getpid())
			reaped += child_reap_one(atol(de->d_name));
	}
	closedir(d);
	return reaped;
}
