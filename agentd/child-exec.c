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
/*
 * Stacks of children that have executed are kept for the next ones: a
 * burst of runs would otherwise map and unmap one per run, and each unmap
 * of memory the child had shared flushes the other cores' TLBs. Few are
 * in use at once (a child holds its stack only until it executes), so a
 * short list covers a burst; the pages a child touched stay resident,
 * at most STACK_POOL times a few KiB.
 */
#define STACK_POOL 16

static void *stack_pool[STACK_POOL];
static int stack_pooled;

/*
 * The child makes its system calls without glibc's syscall(2) where it
 * can: that wrapper sets errno on failure, and errno lives in the
 * parent's thread-local storage, which the child shares. On those
 * architectures the parent does not wait for the child to execute
 * (CHILD_ASYNC): it prepares the next run while this one starts, which
 * is most of what a burst of runs costs. Elsewhere the parent waits
 * (CLONE_VFORK) and the wrapper's errno is harmless.
 */
#if defined(__x86_64__)
#define CHILD_ASYNC 1
__attribute__((no_sanitize("address", "undefined"))) static inline long
child_sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile(
	    "syscall"
	    : "=a"(ret)
	    : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
	    : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
#define CHILD_ASYNC 1
__attribute__((no_sanitize("address", "undefined"))) static inline long
child_sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc 0"
	                 : "+r"(x0)
	                 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
	                 : "memory");
	return x0;
}
#else
#define CHILD_ASYNC 0
__attribute__((no_sanitize("address", "undefined"))) static long
child_sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret = syscall(nr, a, b, c, d, e, f);

	return ret == -1 ? -errno : ret;
}
#endif

/* A system call in the child: the result, or minus the error number. */
#define csys(...) csys_(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)
#define csys_(nr, a, b, c, d, e, f, ...)                                       \
	child_sys6((long)(nr), (long)(a), (long)(b), (long)(c), (long)(d),     \
	    (long)(e), (long)(f))
#define CHILD_IOPRIO_WHO_PROCESS 1
#define CHILD_PATH_ROOT                                                        \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define CHILD_PATH_USER "/usr/local/bin:/usr/bin:/bin"

/*
 * Priority and namespaces, as root before the user change: a lower nice
 * value and the mounts need privileges the job's user lacks. Returns 0,
 * or minus the error number with REP's step and index set.
 */
__attribute__((no_sanitize("address", "undefined"))) static long
child_isolate(const struct child_sandbox *sb, struct child_report *rep)
{
	const struct child_mount *m;
	size_t i;
	long r;

	if (sb->nice_set &&
	    (r = csys(SYS_setpriority, PRIO_PROCESS, 0, sb->nice)) < 0) {
		rep->step = STEP_NICE;
		return r;
	}
	if (sb->ioprio != 0 &&
	    (r = csys(SYS_ioprio_set, CHILD_IOPRIO_WHO_PROCESS, 0,
	         sb->ioprio)) < 0) {
		rep->step = STEP_IOPRIO;
		return r;
	}
	if (sb->unshare_flags != 0 &&
	    (r = csys(SYS_unshare, sb->unshare_flags)) < 0) {
		rep->step = STEP_UNSHARE;
		return r;
	}
	for (i = 0; i < sb->nmounts; i++) {
		m = &sb->mounts[i];
		if ((r = csys(SYS_mount, m->source, m->target, m->fstype,
		         m->flags, m->data)) < 0) {
			rep->step = STEP_MOUNT;
			rep->index = (int)i;
			return r;
		}
	}
	return 0;
}

/*
 * The child between clone and exec. It shares the parent's memory, and
 * the parent may be running (CHILD_ASYNC), so it only reads X, writes
 * only its own stack and makes raw system calls: glibc's setuid and
 * friends would signal the parent's threads, errno is the parent's, and
 * sanitizer interceptors keep per-thread state.
 */
__attribute__((no_sanitize("address", "undefined"))) static int
child_main(void *arg)
{
	const struct child_exec *x = arg;
	struct child_report rep = { 0, 0, 0 };
	struct {
		unsigned long handler, flags, restorer, mask;
	} ksa = { 0, 0, 0, 0 }; /* the kernel's sigaction: SIG_DFL */
	unsigned long empty = 0;
	long parent = csys(SYS_getppid), r;
	char *const *p;
	int sig, i;

	for (sig = 1; sig < 65; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP)
			csys(SYS_rt_sigaction, sig, &ksa, NULL, 8);
	}
	if ((r = csys(SYS_rt_sigprocmask, SIG_SETMASK, &empty, NULL, 8)) < 0) {
		rep.step = STEP_SIGNALS;
		goto fail;
	}
	if ((r = csys(SYS_setsid)) < 0) {
		rep.step = STEP_SETSID;
		goto fail;
	}
	if ((r = csys(SYS_dup3, x->fd_in, 0, 0)) < 0 ||
	    (r = csys(SYS_dup3, x->fd_out, 1, 0)) < 0 ||
	    (r = csys(SYS_dup3, x->fd_err, 2, 0)) < 0 ||
	    (r = csys(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC)) < 0) {
		rep.step = STEP_FDS;
		goto fail;
	}
	/* First, so that everything the job starts is in its leaf. */
	if (x->sb != NULL && x->sb->cgroup_procs_fd != -1 &&
	    (r = csys(SYS_write, x->sb->cgroup_procs_fd, "0", 1)) != 1) {
		if (r >= 0)
			r = -EIO;
		rep.step = STEP_CGROUP;
		goto fail;
	}
	for (i = 0; i < x->nlimits; i++) {
		if ((r = csys(SYS_prlimit64, 0, x->limits[i].resource,
		         &x->limits[i].rl, NULL)) < 0) {
			rep.step = STEP_RLIMIT;
			rep.index = i;
			goto fail;
		}
	}
	if (x->sb != NULL && (r = child_isolate(x->sb, &rep)) < 0)
		goto fail;
	csys(SYS_umask, x->umask);
	if (x->switch_user) {
		if ((r = csys(SYS_setgroups, x->ngroups, x->groups)) < 0) {
			rep.step = STEP_GROUPS;
			goto fail;
		}
		if ((r = csys(SYS_setresgid, x->gid, x->gid, x->gid)) < 0) {
			rep.step = STEP_SETGID;
			goto fail;
		}
		if ((r = csys(SYS_setresuid, x->uid, x->uid, x->uid)) < 0) {
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
	if ((r = csys(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)) < 0 ||
	    (r = csys(SYS_getppid)) != parent) {
		if (r >= 0)
			r = -ESRCH;
		rep.step = STEP_PDEATHSIG;
		goto fail;
	}
	/* After the user change, so the user's own access rights apply. */
	if ((r = csys(SYS_chdir, x->workdir)) < 0) {
		rep.step = STEP_CHDIR;
		goto fail;
	}
	if ((r = csys(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) < 0) {
		rep.step = STEP_NO_NEW_PRIVS;
		goto fail;
	}
	/* Last: the filter may deny calls made above, never execve. */
	if (x->sb != NULL && x->sb->seccomp != NULL &&
	    (r = csys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0,
	         x->sb->seccomp)) < 0) {
		rep.step = STEP_SECCOMP;
		goto fail;
	}

	/* As execvp: a permission error is kept if nothing else is found. */
	rep.step = STEP_EXEC;
	rep.err = ENOENT;
	for (p = x->paths; *p != NULL; p++) {
		r = csys(SYS_execve, *p, x->argv, x->envp);
		if (r == -EACCES)
			rep.err = EACCES;
		else if (r != -ENOENT && r != -ENOTDIR) {
			rep.err = (int)-r;
			break;
		}
	}
	goto report;

fail:
	rep.err = (int)-r;
report:
	csys(SYS_write, x->fd_report, &rep, sizeof rep);
	csys(SYS_exit, 127);
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
 * With CHILD_ASYNC this returns as soon as the child exists; the stack
 * and X stay until child_exec_free, which the caller calls only once the
 * child has executed or ended. Returns the pid with *PIDFD set, or -1
 * with errno.
 */
pid_t
child_exec_clone(struct child_exec *x, int *pidfd)
{
	sigset_t all, old;
	pid_t pid;
	int saved, flags = CLONE_VM | CLONE_PIDFD | SIGCHLD;

	if (!CHILD_ASYNC)
		flags |= CLONE_VFORK;
	if (stack_pooled > 0)
		x->stack = stack_pool[--stack_pooled];
	else {
		x->stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (x->stack == MAP_FAILED) {
			x->stack = NULL;
			return -1;
		}
	}
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid =
	    clone(child_main, (char *)x->stack + CHILD_STACK, flags, x, pidfd);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return pid;
}

void
child_exec_free(struct child_exec *x)
{
	if (x->stack != NULL && stack_pooled < STACK_POOL)
		stack_pool[stack_pooled++] = x->stack;
	else if (x->stack != NULL)
		munmap(x->stack, CHILD_STACK);
	x->stack = NULL;
	child_strv_free(x->argv);
	child_strv_free(x->envp);
	child_strv_free(x->paths);
	free(x->workdir);
	free(x->groups);
	x->argv = x->envp = x->paths = NULL;
	x->workdir = NULL;
	x->groups = NULL;
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

	/* Copies: the child may read them after the caller's spec is gone. */
	if (spec->command != NULL) {
		x->argv = xcalloc(4, sizeof *x->argv);
		x->argv[0] = xstrdup("/bin/sh");
		x->argv[1] = xstrdup("-c");
		x->argv[2] = xstrdup(spec->command);
	} else {
		for (n = 0; spec->argv[n] != NULL; n++)
			;
		x->argv = xcalloc(n + 1, sizeof *x->argv);
		for (n = 0; spec->argv[n] != NULL; n++)
			x->argv[n] = xstrdup(spec->argv[n]);
	}
	x->paths = child_build_paths(x->argv[0], x->envp);

	x->workdir =
	    xstrdup(spec->workdir != NULL ? spec->workdir : spec->home);
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
