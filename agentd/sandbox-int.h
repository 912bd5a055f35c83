/* SPDX-License-Identifier: ISC */
/*
 * Shared between sandbox.c and sandbox-cgroup.c only: what the probe at
 * start found, and the cgroup half of a run's preparation.
 */
#ifndef SANDBOX_INT_H
#define SANDBOX_INT_H

#include "sandbox.h"

struct sandbox_caps {
	int probed;
	int root;
	int seccomp;
	char seccomp_why[128];
	int ns;
	char ns_why[160];
	int cgroup;
	char cg_why[256];
	char *cg_parent; /* where run leaves go */
	int memory, pids, cpu;
	char ctl_why[512];
};

extern struct sandbox_caps sandbox_caps;

void sandbox_cgroup_init(const char *root);
/* The first cgroup field of SB this machine cannot enforce, with *why. */
const char *sandbox_cgroup_missing(const struct job_sandbox *sb, char **why);
int sandbox_cgroup_create(struct sandbox_run *sr, const struct job_sandbox *sb,
    int64_t run_id, char **cause);
void sandbox_cgroup_close(struct sandbox_run *sr);

#endif
