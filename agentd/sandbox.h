/* SPDX-License-Identifier: ISC */
/*
 * Run isolation beyond what child-exec.c does on its own: what the machine
 * can enforce (probed once at start), the seccomp filter compiled in the
 * parent, the mount plan for the child's namespaces and a cgroup v2 leaf
 * per run. A job that asks for something unavailable is refused, never
 * run with less protection than it declared.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "child.h"
#include "job.h"

/*
 * Probes the machine once and logs each unavailable feature. CGROUP_ROOT
 * is a cgroup2 directory to create run leaves under (NULL: the daemon's
 * own cgroup when /sys/fs/cgroup is cgroup2).
 */
void sandbox_init(const char *cgroup_root);

/* Adds "sandbox" to STATUS: what runs can be given, and why not the rest. */
void sandbox_status(cJSON *status);

/*
 * Checks a job's sandbox when it is saved: unknown system call names are
 * rejected (-1 with *field and *cause, caller frees the cause); features
 * this machine lacks are only logged, since the job is refused when it
 * runs.
 */
int sandbox_check_job(const struct job *job, const char **field, char **cause);
/*
 * Why JOB's runs would fail on this machine, or NULL: isolation it cannot
 * give (each run would be refused), or no working directory to start in.
 * The caller frees it.
 */
char *sandbox_job_warning(const struct job *job);

/*
 * Fills SPEC's identity (uid, gid, user, home, shell from the password
 * database), umask and rlimits from JOB, as a run of JOB gets them; ROOT
 * says the daemon runs as root. A non-root daemon runs everything as
 * itself; a job owned by another uid runs as that uid, whatever its
 * `user` says. The strings borrow getpw*'s buffer: call child_spawn()
 * before the next password database lookup. Returns 0, or -1 with *cause
 * ("user: no user named \"x\"").
 */
int sandbox_spec_identity(
    int root, const struct job *job, struct child_spec *spec, char **cause);

/* One run's isolation, owned by the supervisor's run. */
struct sandbox_run {
	struct child_sandbox cs; /* what child_spawn applies */
	struct child_mount *mounts;
	char **paths; /* targets the mounts borrow */
	size_t npaths;
	void *prog;            /* struct sock_fprog */
	void *filter;          /* its instructions */
	const char *cg_prefix; /* the leaf's name: "run" when NULL */
	char *cg_path;
	int seccomp_kills; /* 1 when the filter kills (SIGSYS) */
};

/*
 * Prepares the isolation of JOB's run RUN_ID into SR (zeroed by the
 * caller). Returns 0, or -1 with *cause naming what is missing or broken,
 * e.g. "sandbox.memory_max: needs a cgroup v2 leaf, but /sys/fs/cgroup is
 * not cgroup2". Call sandbox_run_free(SR) either way.
 */
int sandbox_run_prepare(struct sandbox_run *sr, const struct job *job,
    int64_t run_id, char **cause);

/*
 * After the child is reaped: the leaf's CPU time and peak memory (-1 when
 * unknown). Then kills what may remain and removes the leaf.
 */
void sandbox_run_finish(
    struct sandbox_run *sr, int64_t *cpu_usec, int64_t *peak_memory);
void sandbox_run_free(struct sandbox_run *sr);

/* 1 if a run killed by SIGSYS died of this run's seccomp filter. */
int sandbox_run_seccomp_killed(const struct sandbox_run *sr, int sig);

/*
 * The name of the system call the filter killed process PID for, from the
 * kernel's audit record in /dev/kmsg (caller frees), or NULL when the
 * record cannot be read (not root, audit sent elsewhere, rate-limited).
 * The record is printed by kauditd a moment after the death: this waits
 * for it up to 100 ms.
 */
char *sandbox_seccomp_culprit(pid_t pid);

/* The built-in deny list, NULL-terminated (for docs and tests). */
extern const char *const sandbox_deny_list[];

#endif
