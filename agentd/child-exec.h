/* SPDX-License-Identifier: ISC */
/*
 * Preparing and starting a child's process for child.c: the environment,
 * argv and PATH candidates, limits and groups are built in the parent,
 * and the cloned child only makes system calls before it executes.
 */
#ifndef CHILD_EXEC_H
#define CHILD_EXEC_H

#include <sys/resource.h>
#include <sys/types.h>

#include <stddef.h>

#include "child.h"

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
	STEP_PDEATHSIG,
	STEP_EXEC,
	STEP_CGROUP,
	STEP_NICE,
	STEP_IOPRIO,
	STEP_UNSHARE,
	STEP_MOUNT,
	STEP_SECCOMP
};

struct child_report {
	int step;
	int err;
	int index; /* which limit or mount (STEP_RLIMIT, STEP_MOUNT) */
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
	char *workdir;
	mode_t umask;
	int switch_user;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	size_t ngroups;
	struct child_rlimit limits[6];
	int nlimits;
	const struct child_sandbox *sb; /* NULL: none */
	int fd_in, fd_out, fd_err, fd_report;
	void *stack; /* the child's, until it has executed or ended */
};

/*
 * Fills X (zeroed by the caller) from SPEC, everything but the four
 * descriptors. Returns 0, or -1 with *cause set (caller frees). Call
 * child_exec_free(X) either way.
 */
int child_exec_prepare(
    const struct child_spec *spec, struct child_exec *x, char **cause);
void child_exec_free(struct child_exec *x);

/*
 * Starts the child on its own stack with CLONE_VM | CLONE_PIDFD. Where
 * the child makes raw system calls (x86-64, arm64) it returns at once and
 * the child goes on in parallel: X must stay untouched until the report
 * pipe has reached end of file (executed) or a report (failed). Elsewhere
 * it also uses CLONE_VFORK and returns once the child has executed or
 * failed. Returns the pid with *PIDFD set, or -1 with errno.
 */
pid_t child_exec_clone(struct child_exec *x, int *pidfd);

/* The sentence for a failure the child reported (caller frees). */
char *child_exec_cause(
    const struct child_exec *x, const struct child_report *rep);

#endif
