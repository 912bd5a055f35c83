/* SPDX-License-Identifier: ISC */
/*
 * A job's `sandbox` map (cronq.d(5) SANDBOX): scheduling priority, the
 * seccomp filter, namespaces and cgroup limits. Parsed and formatted here;
 * the daemon's sandbox.c decides what the machine can enforce.
 */
#ifndef JOB_SANDBOX_H
#define JOB_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define JOB_NICE_UNSET 100

enum job_seccomp_default {
	JOB_SECCOMP_DENY_LIST, /* the built-in list, then deny/allow */
	JOB_SECCOMP_NONE       /* only the job's own deny list */
};

enum job_seccomp_action {
	JOB_SECCOMP_ERRNO, /* the call fails with EPERM */
	JOB_SECCOMP_KILL   /* the process dies of SIGSYS */
};

enum job_ioprio_class {
	JOB_IOPRIO_UNSET,
	JOB_IOPRIO_REALTIME,
	JOB_IOPRIO_BEST_EFFORT,
	JOB_IOPRIO_IDLE
};

struct job_sandbox {
	int nice; /* -20..19, or JOB_NICE_UNSET */
	enum job_ioprio_class ioprio_class;
	int ioprio_level; /* 0-7 (best-effort and realtime) */

	enum job_seccomp_default seccomp_default;
	enum job_seccomp_action seccomp_action;
	char **seccomp_deny; /* extra system call names */
	size_t nseccomp_deny;
	char **seccomp_allow; /* names taken off the list */
	size_t nseccomp_allow;

	/* Namespaces: need a root daemon. */
	int private_tmp;
	int protect_system;
	int network; /* 0: a network namespace with only lo, down */
	char **read_only_paths;
	size_t nread_only_paths;
	char **read_write_paths;
	size_t nread_write_paths;

	/* A cgroup v2 leaf; -1 when not set. */
	int64_t memory_max; /* bytes */
	int64_t pids_max;
	int64_t cpu_max; /* percent of one CPU */
};

void job_sandbox_init(struct job_sandbox *sb);
void job_sandbox_clear(struct job_sandbox *sb);
void job_sandbox_copy(struct job_sandbox *dst, const struct job_sandbox *src);

/*
 * Updates SB from the JSON object V (keys not given keep their values,
 * lists given replace the old ones). Returns 0, or -1 with *cause (caller
 * frees) naming the field ("sandbox.nice: ...") and *field set to that
 * name (static, per thread).
 */
int job_sandbox_parse(
    const cJSON *v, struct job_sandbox *sb, const char **field, char **cause);

/* The map as JSON (caller frees); it parses back to the same values. */
cJSON *job_sandbox_to_json(const struct job_sandbox *sb);

/* 1 if SB asks for a namespace (needs a root daemon). */
int job_sandbox_wants_namespaces(const struct job_sandbox *sb);
/* 1 if SB sets a cgroup limit (needs a cgroup v2 leaf). */
int job_sandbox_wants_cgroup(const struct job_sandbox *sb);

const char *job_ioprio_class_name(enum job_ioprio_class c);

#endif
