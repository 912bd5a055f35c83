/* SPDX-License-Identifier: ISC */
/*
 * Starting a run's process, capturing its output and ending it together
 * with everything it started. Driven entirely by file descriptors that the
 * caller watches in its own loop: no threads, no blocking waits, no loop
 * here. Nothing in this module blocks except disk writes to the run's log.
 *
 * Life of a child, as the daemon drives it:
 *
 *	c = child_spawn(&spec, &cause);          NULL: cause says why
 *	watch child_report_fd(c) for input, then child_started(c, &cause):
 *	    1 not yet, 0 executed (stop watching it), -1 failed (cause; the
 *	    process is reaped, child_free(c) is all that is left);
 *	    or child_wait_started(c, &cause) blocks for the answer;
 *	watch child_pidfd(c), child_out_fd(c), child_err_fd(c) for input;
 *	on out/err readable: child_drain(c, CHILD_OUT or CHILD_ERR);
 *	    it returns 1 at end of stream: stop watching that fd (it stays
 *	    open until child_reap, so deregistering it is always safe);
 *	to stop: child_signal(c, SIGTERM), later child_signal(c, SIGKILL);
 *	on pidfd readable: stop watching all three fds, then
 *	    child_reap(c, &result);              kills leftovers, closes log
 *	child_free(c);
 *
 * The job ends when its main process ends (field case BUG-16): a
 * background process still holding the pipes is killed with the process
 * group by child_reap(), and what is left in the pipes is read without
 * waiting for their writers.
 *
 * Zombies and escapees: the daemon should be a child subreaper
 * (child_become_subreaper) so that processes a job orphaned come back to
 * it rather than to init, and it must call child_reap_orphans() whenever
 * SIGCHLD arrives (e.g. from a signalfd). child_reap_orphans() only reaps
 * processes that are not live children of this module, so it never steals
 * a child_reap() status. Such a reparented process that still runs and
 * whose environment carries the CRONQ_RUN_ID of a run that has ended is
 * killed: this catches what left the process group with setsid (field
 * cases BUG-16, BUG-17). A process that also replaced its environment
 * escapes this; only a cgroup contains that.
 */
#ifndef CHILD_H
#define CHILD_H

#include <sys/types.h>

#include <stdint.h>

/* Resource limits; 0 leaves the daemon's limit unchanged. */
struct child_limits {
	uint64_t cpu;    /* seconds of CPU time (SIGXCPU) */
	uint64_t memory; /* bytes of address space (RLIMIT_AS) */
	uint64_t nofile; /* open files */
	uint64_t nproc;  /* processes of the job's user */
	uint64_t fsize;  /* bytes per file written (SIGXFSZ) */
	uint64_t core;   /* bytes of core dump */
};

/*
 * One mount(2) call the child makes in its own mount namespace, in order
 * (sandbox.c builds the list: make / private, tmpfs on /tmp, read-only
 * binds). INDEX names the job's path in a failure report.
 */
struct child_mount {
	const char *source;
	const char *target;
	const char *fstype;
	unsigned long flags;
	const char *data;
};

/*
 * The isolation of sandbox.c, prepared in the parent: the child applies it
 * with system calls only. Borrowed until child_started() says 0 or -1.
 */
struct child_sandbox {
	int nice_set;
	int nice;
	int ioprio;        /* the ioprio_set(2) value, or 0 to keep */
	int unshare_flags; /* CLONE_NEWNS, CLONE_NEWNET */
	const struct child_mount *mounts;
	size_t nmounts;
	const void *seccomp; /* a struct sock_fprog, or NULL */
	int cgroup_procs_fd; /* the leaf's cgroup.procs, or -1 */
	int cgroup_dir_fd;   /* the leaf itself (kill, census), or -1 */
};

/*
 * What to run. Strings are borrowed for the duration of child_spawn() only.
 * Exactly one of command and argv is set. The user fields name who the job
 * runs as; the daemon fills them from the password database. When the
 * daemon is not root, uid must be the daemon's own uid.
 */
struct child_spec {
	int64_t run_id;
	const char *job;
	int attempt;

	const char *command; /* run as /bin/sh -c COMMAND */
	char *const *argv;   /* NULL-terminated; argv[0] is searched in PATH */
	char *const *env;    /* NULL-terminated "KEY=VALUE", or NULL */
	const char *workdir; /* NULL: home, then "/" */
	mode_t umask;        /* the documented default is 022 */

	uid_t uid;
	gid_t gid;
	const char *user;  /* USER and LOGNAME, supplementary groups */
	const char *home;  /* HOME */
	const char *shell; /* SHELL; NULL: /bin/sh */
	/* The supplementary groups when known (NULL: looked up for user). */
	const gid_t *groups;
	int ngroups;

	struct child_limits limits;
	const struct child_sandbox *sandbox; /* NULL: none */

	const char *log_path; /* the run's log (see output.h) */
	uint64_t log_cap;     /* bytes, the job's max_output */
};

enum child_stream {
	CHILD_OUT = 1, /* stdout */
	CHILD_ERR = 2  /* stderr */
};

struct child_result {
	int exited;      /* 1: exit_code is valid; 0: killed by signal */
	int exit_code;   /* 0-255, or -1 when signalled */
	int signal;      /* terminating signal, or 0 */
	int core_dumped; /* 1 if the signal dumped core */
	int leftovers;   /* 1 if other processes remained and were killed
	                    (exact when the caller is a subreaper) */
	uint64_t user_usec;
	uint64_t sys_usec;
	uint64_t maxrss_kb;
	uint64_t output_total; /* bytes the job printed */
	uint64_t output_kept;  /* bytes the log keeps */
	int output_error;      /* errno of the first log write failure, or 0 */
};

struct child;

/*
 * Starts SPEC's process in a new session and process group with stdin on
 * /dev/null, stdout and stderr on pipes, only fds 0-2 open, a clean
 * environment (HOME, USER, LOGNAME, SHELL, PATH, LANG=C.UTF-8 unless the
 * job's env sets it, the job's env, then CRONQ_JOB, CRONQ_RUN_ID and
 * CRONQ_ATTEMPT), the workdir, umask, rlimits, the user's groups and ids,
 * no_new_privs, default signal handlers and an empty signal mask.
 *
 * The cost does not depend on the daemon's size: the child shares the
 * parent's memory until it executes (clone with CLONE_VM), everything it
 * needs is prepared beforehand and it makes system calls only. On x86-64
 * and arm64 child_spawn() returns as soon as the process exists and the
 * child prepares and executes while the caller goes on (elsewhere it
 * also waits, with CLONE_VFORK). child_spawn() returns NULL with *cause
 * set (caller frees) for what fails in the parent; what fails in the
 * child before the program runs comes from child_started(), for example
 * "cannot chdir to /nope: No such file or directory" or
 * "cannot execute \"foo\": No such file or directory". A command run
 * through /bin/sh reports a missing program as exit status 127 instead.
 * SPEC's sandbox must outlive the child's start; everything else in SPEC
 * is copied.
 */
struct child *child_spawn(const struct child_spec *spec, char **cause);

/*
 * Readable once the child has executed or failed to; -1 once
 * child_started() has said which.
 */
int child_report_fd(const struct child *c);
/*
 * Whether the child has executed its program: 1 not known yet, 0 yes (or
 * it ended before it could say: its pidfd tells the rest), -1 no, with
 * *cause set (caller frees) and the process already reaped.
 */
int child_started(struct child *c, char **cause);
/* As child_started(), waiting for the answer: 0 or -1. */
int child_wait_started(struct child *c, char **cause);

pid_t child_pid(const struct child *c);
/* Readable once the main process has exited; valid until child_free. */
int child_pidfd(const struct child *c);
/* Readable when output or end of stream is available; -1 once ended. */
int child_out_fd(const struct child *c);
int child_err_fd(const struct child *c);

/*
 * Reads what is available on WHICH into the log without blocking (at most
 * a bounded amount per call, so one chatty job cannot starve the loop; a
 * level-triggered poll calls again). Returns 0 while the stream is open, 1
 * at its end (the fd stays open until child_reap so that the caller can
 * still deregister it), -1 with errno on a read error (treated as the end).
 */
int child_drain(struct child *c, enum child_stream which);

/*
 * Call once child_pidfd() is readable. Kills whatever is left in the
 * process group, reaps the main process, reads what remains in the pipes
 * without waiting, closes them and finishes the log. Fills RES. Returns 0,
 * or -1 with errno if the main process has not exited yet (nothing done).
 */
int child_reap(struct child *c, struct child_result *res);

/*
 * Sends SIG to the main process (through its pidfd, so a recycled pid is
 * never hit), to its whole process group and to reparented orphans that
 * carry the run's id. Returns 0, or -1 with errno if neither the main
 * process nor the group could be signalled (ESRCH: everything is gone).
 */
int child_signal(struct child *c, int sig);

/* Frees C (accepts NULL); a still running child is killed and reaped. */
void child_free(struct child *c);

/* Makes this process the reaper of orphaned descendants. 0 or -1/errno. */
int child_become_subreaper(void);

/*
 * Reaps exited children that are not live children of this module
 * (processes a job orphaned that were reparented to the subreaper).
 * Never blocks. Returns how many were reaped.
 */
int child_reap_orphans(void);

#endif
