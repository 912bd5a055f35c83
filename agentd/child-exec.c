/* SPDX-License-Identifier: ISC */
/*
 * The spawning half of child.c. Everything the new process needs is built
 * here in the parent first; child_main, which runs in the child before
 * exec, makes raw system calls only, because it shares the daemon's memory
 * and must not touch malloc, stdio, locks or sanitizer state.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <linux/seccomp.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child-exec.h"
#include "xmalloc.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define CHILD_STACK (64 * 1024)
#define CHILD_IOPRIO_WHO_PROCESS 1
#define CHILD_PATH_ROOT                                                        \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define CHILD_PATH_USER "/usr/local/bin:/usr/bin:/bin"

/*
 * Priority and namespaces, as root before the user change: a lower nice
 * value and the mounts need privileges the job's user lacks. Returns 0,
 * or -1 with REP's step and index set (errno is the cause).
 */
__attribute__((no_sanitize("address", "undefined"))) static int
child_isolate(const struct child_sandbox *sb, struct child_report *rep)
{
	const struct child_mount *m;
	size_t i;

	if (sb->nice_set &&
	    syscall(SYS_setpriority, PRIO_PROCESS, 0, sb->nice) == -1) {
		rep->step = STEP_NICE;
		return -1;
	}
	if (sb->ioprio != 0 &&
	    syscall(SYS_ioprio_set, CHILD_IOPRIO_WHO_PROCESS, 0, sb->ioprio) ==
	        -1) {
		rep->step = STEP_IOPRIO;
		return -1;
	}
	if (sb->unshare_flags != 0 &&
	    syscall(SYS_unshare, sb->unshare_flags) == -1) {
		rep->step = STEP_UNSHARE;
		return -1;
	}
	for (i = 0; i < sb->nmounts; i++) {
		m = &sb->mounts[i];
		if (syscall(SYS_mount, m->source, m->target, m->fstype,
		        m->flags, m->data) == -1) {
			rep->step = STEP_MOUNT;
			rep->index = (int)i;
			return -1;
		}
	}
	return 0;
}

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
	long parent = syscall(SYS_getppid);
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
	/* First, so that everything the job starts is in its leaf. */
	if (x->sb != NULL && x->sb->cgroup_procs_fd != -1 &&
	    syscall(SYS_write, x->sb->cgroup_procs_fd, "0", 1) != 1) {
		rep.step = STEP_CGROUP;
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
	if (x->sb != NULL && child_isolate(x->sb, &rep) == -1)
		goto fail;
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
	/*
	 * If the daemon dies (kill -9, a crash), the run dies with it: a
	 * worker's run is then redelivered and retried elsewhere, and a
	 * restarted daemon retries a lost run, so it must not go on beside
	 * its retry. After the user change, which would clear it; the
	 * parent may have died before, hence the second look.
	 */
	if (syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
	    syscall(SYS_getppid) != parent) {
		rep.step = STEP_PDEATHSIG;
		goto fail;
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
	/* Last: the filter may deny calls made above, never execve. */
	if (x->sb != NULL && x->sb->seccomp != NULL &&
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, x->sb->seccomp) ==
	        -1) {
		rep.step = STEP_SECCOMP;
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

	/* First, so that child.c finds the run id early in /proc/PID/environ.
	 */
	xasprintf(&s, "CRONQ_JOB=%s", spec->job);
	child_strv_add(&v, &n, s);
	xasprintf(&s, "CRONQ_RUN_ID=%" PRId64, spec->run_id);
	child_strv_add(&v, &n, s);
	xasprintf(&s, "CRONQ_ATTEMPT=%d", spec->attempt);
	child_strv_add(&v, &n, s);
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
		/* CRONQ_NOTIFY_*: a notify command's, from notify.c. */
		if (strncmp(*e, "CRONQ_", 6) == 0 &&
		    strncmp(*e, "CRONQ_NOTIFY_", 13) != 0) {
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
		/* A second of grace, so SIGXCPU comes before SIGKILL. */
		if (l[i].resource == RLIMIT_CPU)
			x->limits[x->nlimits].rl.rlim_max = l[i].value + 1;
		x->nlimits++;
	}
}

/* The user's supplementary groups, as initgroups would set them. */
static int
child_build_groups(
    const struct child_spec *spec, struct child_exec *x, char **cause)
{
	int n = 16, want;

	if (spec->groups != NULL && spec->ngroups >= 0) {
		x->groups = xreallocarray(
		    x->groups, spec->ngroups + 1, sizeof *x->groups);
		memcpy(x->groups, spec->groups,
		    (size_t)spec->ngroups * sizeof *x->groups);
		x->ngroups = spec->ngroups;
		return 0;
	}
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

char *
child_exec_cause(const struct child_exec *x, const struct child_report *rep)
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
	case STEP_PDEATHSIG:
		xasprintf(
		    &cause, "cannot tie the run to the daemon's life: %s", err);
		break;
	case STEP_CGROUP:
		xasprintf(&cause, "cannot enter the run's cgroup: %s", err);
		break;
	case STEP_NICE:
		xasprintf(&cause, "cannot set nice %d: %s", x->sb->nice, err);
		break;
	case STEP_IOPRIO:
		xasprintf(&cause, "cannot set the I/O priority: %s", err);
		break;
	case STEP_UNSHARE:
		xasprintf(&cause, "cannot create namespaces: %s", err);
		break;
	case STEP_MOUNT:
		xasprintf(&cause, "cannot mount %s: %s",
		    rep->index >= 0 && (size_t)rep->index < x->sb->nmounts
		        ? x->sb->mounts[rep->index].target
		        : "?",
		    err);
		break;
	case STEP_SECCOMP:
		xasprintf(&cause, "cannot install the seccomp filter: %s", err);
		break;
	default:
		xasprintf(&cause, "cannot execute \"%s\": %s", x->argv[0], err);
		break;
	}
	return cause;
}

/*
 * Runs child_main on its own stack with every signal blocked, so that no
 * handler of the daemon can run in the child while it shares our memory.
 * Returns the pid with *PIDFD set, or -1 with errno.
 */
pid_t
child_exec_clone(struct child_exec *x, int *pidfd)
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

void
child_exec_free(struct child_exec *x)
{
	free(x->argv);
	child_strv_free(x->envp);
	child_strv_free(x->paths);
	free(x->groups);
}

/* Fills X from SPEC, everything but the descriptors. */
int
child_exec_prepare(
    const struct child_spec *spec, struct child_exec *x, char **cause)
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
	x->sb = spec->sandbox;
	child_build_limits(spec, x);
	/*
	 * As root the groups are always set, even for a job of root's own:
	 * the daemon's supplementary groups are not the job's.
	 */
	if (euid == 0) {
		x->switch_user = 1;
		x->uid = spec->uid;
		x->gid = spec->gid;
		if (child_build_groups(spec, x, cause) == -1)
			return -1;
	}
	return 0;
}
