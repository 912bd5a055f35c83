/* SPDX-License-Identifier: ISC */
/*
 * A cgroup v2 leaf per run: PARENT/run-DAEMONPID-RUNID under a
 * "cronq.runs" directory in the daemon's own cgroup (or the configured
 * cgroup_root). The child enters it itself before anything else, so all
 * it forks is counted, limited and killed with it. Limits come from the
 * job's sandbox (memory.max, pids.max, cpu.max); after the run its CPU
 * time and peak memory are read and the leaf removed.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/vfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sandbox-int.h"
#include "xmalloc.h"

#define CG_MOUNT "/sys/fs/cgroup"
#define CG_RMDIR_TRIES 200 /* of 1ms: dying processes leave quickly */

/* Writes S to DIR/FILE; 0 or -1 with errno. */
static int
cg_write(const char *dir, const char *file, const char *s)
{
	char path[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	n = write(fd, s, strlen(s));
	if (n == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

/* Reads DIR/FILE (or the file at DIRFD) into BUF; length or -1. */
static ssize_t
cg_read_at(int dirfd, const char *file, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if ((fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static int
cg_is_cgroup2(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

/* The daemon's own cgroup directory, or NULL with caps.cg_why set. */
static char *
cg_own_dir(void)
{
	char line[4096], *path = NULL, *nl;
	FILE *f;

	if (!cg_is_cgroup2(CG_MOUNT)) {
		snprintf(sandbox_caps.cg_why, sizeof sandbox_caps.cg_why,
		    "%s is not a cgroup2 mount (cgroup v1 or hybrid); set "
		    "cgroup_root in agentd.yaml to a cgroup2 directory",
		    CG_MOUNT);
		return NULL;
	}
	if ((f = fopen("/proc/self/cgroup", "re")) == NULL) {
		snprintf(sandbox_caps.cg_why, sizeof sandbox_caps.cg_why,
		    "cannot read /proc/self/cgroup");
		return NULL;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		xasprintf(&path, "%s%s", CG_MOUNT,
		    strcmp(line + 3, "/") == 0 ? "" : line + 3);
		break;
	}
	fclose(f);
	if (path == NULL)
		snprintf(sandbox_caps.cg_why, sizeof sandbox_caps.cg_why,
		    "the daemon is in no cgroup v2 group");
	return path;
}

/*
 * Enables CTL below BASE. A non-root cgroup with processes cannot hand
 * controllers down ("no internal processes"), so on EBUSY the daemon
 * moves itself into BASE/cronq.agentd first.
 */
static int
cg_enable(const char *base, const char *ctl)
{
	char *self;
	int rc;

	if (cg_write(base, "cgroup.subtree_control", ctl) == 0)
		return 0;
	if (errno != EBUSY)
		return -1;
	xasprintf(&self, "%s/cronq.agentd", base);
	rc = -1;
	if ((mkdir(self, 0755) == 0 || errno == EEXIST) &&
	    cg_write(self, "cgroup.procs", "0") == 0)
		rc = cg_write(base, "cgroup.subtree_control", ctl);
	free(self);
	return rc;
}

/* Which of memory, pids and cpu leaves under the parent get. */
static void
cg_controllers(const char *base)
{
	static const char *const names[] = { "memory", "pids", "cpu" };
	int *flags[] = { &sandbox_caps.memory, &sandbox_caps.pids,
		&sandbox_caps.cpu };
	char buf[512], on[32], *missing = NULL, *t;
	int dfd, i;

	for (i = 0; i < 3; i++) {
		snprintf(on, sizeof on, "+%s", names[i]);
		if (cg_enable(base, on) == -1 ||
		    cg_write(sandbox_caps.cg_parent, "cgroup.subtree_control",
		        on) == -1) {
			xasprintf(&t, "%s%s%s", missing ? missing : "",
			    missing ? ", " : "", names[i]);
			free(missing);
			missing = t;
			continue;
		}
		*flags[i] = 1;
	}
	dfd = open(sandbox_caps.cg_parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd != -1 &&
	    cg_read_at(dfd, "cgroup.subtree_control", buf, sizeof buf) > 0)
		log_debug("sandbox: cgroup %s hands down: %s",
		    sandbox_caps.cg_parent, buf);
	if (dfd != -1)
		close(dfd);
	if (missing != NULL) {
		snprintf(sandbox_caps.ctl_why, sizeof sandbox_caps.ctl_why,
		    "controllers %s cannot be enabled under %s", missing,
		    sandbox_caps.cg_parent);
		log_warnx("sandbox: %s; jobs setting their limits are refused",
		    sandbox_caps.ctl_why);
		free(missing);
	}
}

/*
 * Removes the empty leaves a daemon that died left behind. rmdir fails on
 * a leaf that still has processes, so another daemon's live runs under
 * the same parent are never touched.
 */
static void
cg_sweep(void)
{
	struct dirent *de;
	char *p;
	DIR *d;

	if ((d = opendir(sandbox_caps.cg_parent)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "run-", 4) != 0 &&
		    strncmp(de->d_name, "notify-", 7) != 0)
			continue;
		xasprintf(&p, "%s/%s", sandbox_caps.cg_parent, de->d_name);
		if (rmdir(p) == 0)
			log_debug("sandbox: removed stale cgroup %s", p);
		free(p);
	}
	closedir(d);
}

void
sandbox_cgroup_init(const char *root)
{
	char *base;

	free(sandbox_caps.cg_parent);
	sandbox_caps.cg_parent = NULL;
	if (root != NULL) {
		if (!cg_is_cgroup2(root)) {
			snprintf(sandbox_caps.cg_why,
			    sizeof sandbox_caps.cg_why,
			    "cgroup_root %s is not a cgroup2 directory", root);
			goto off;
		}
		base = xstrdup(root);
	} else if ((base = cg_own_dir()) == NULL)
		goto off;
	xasprintf(&sandbox_caps.cg_parent, "%s/cronq.runs", base);
	if (mkdir(sandbox_caps.cg_parent, 0755) == -1 && errno != EEXIST) {
		snprintf(sandbox_caps.cg_why, sizeof sandbox_caps.cg_why,
		    "cannot create %s: %s", sandbox_caps.cg_parent,
		    strerror(errno));
		free(base);
		free(sandbox_caps.cg_parent);
		sandbox_caps.cg_parent = NULL;
		goto off;
	}
	sandbox_caps.cgroup = 1;
	cg_sweep();
	cg_controllers(base);
	free(base);
	log_info("sandbox: run cgroups under %s", sandbox_caps.cg_parent);
	return;

off:
	log_warnx("sandbox: cgroup v2 unavailable: %s; jobs setting "
	          "memory_max, pids_max or cpu_max are refused",
	    sandbox_caps.cg_why);
}

const char *
sandbox_cgroup_missing(const struct job_sandbox *sb, char **why)
{
	const struct {
		const char *field;
		int want, have;
	} need[] = {
		{ "sandbox.memory_max", sb->memory_max >= 0,
		    sandbox_caps.memory },
		{ "sandbox.pids_max", sb->pids_max >= 0, sandbox_caps.pids },
		{ "sandbox.cpu_max", sb->cpu_max >= 0, sandbox_caps.cpu },
	};
	size_t i;

	for (i = 0; i < sizeof need / sizeof need[0]; i++) {
		if (!need[i].want || (sandbox_caps.cgroup && need[i].have))
			continue;
		if (!sandbox_caps.cgroup)
			xasprintf(why, "%s: needs a cgroup v2 leaf (%s)",
			    need[i].field, sandbox_caps.cg_why);
		else
			xasprintf(why, "%s: needs a cgroup controller (%s)",
			    need[i].field, sandbox_caps.ctl_why);
		return need[i].field;
	}
	*why = NULL;
	return NULL;
}

/* Writes the job's limits into the new leaf at PATH. */
static int
cg_limits(const char *path, const struct job_sandbox *sb, char **cause)
{
	char v[64];

	if (sb->memory_max >= 0) {
		snprintf(v, sizeof v, "%" PRId64, sb->memory_max);
		if (cg_write(path, "memory.max", v) == -1)
			goto fail;
		/* Without swap the limit is the limit; absent if no swap. */
		cg_write(path, "memory.swap.max", "0");
	}
	if (sb->pids_max >= 0) {
		snprintf(v, sizeof v, "%" PRId64, sb->pids_max);
		if (cg_write(path, "pids.max", v) == -1)
			goto fail;
	}
	if (sb->cpu_max >= 0) {
		snprintf(v, sizeof v, "%" PRId64 " 100000", sb->cpu_max * 1000);
		if (cg_write(path, "cpu.max", v) == -1)
			goto fail;
	}
	return 0;

fail:
	xasprintf(cause, "cannot set the limits of cgroup %s: %s", path,
	    strerror(errno));
	return -1;
}

int
sandbox_cgroup_create(struct sandbox_run *sr, const struct job_sandbox *sb,
    int64_t run_id, char **cause)
{
	if (!sandbox_caps.cgroup)
		return 0;
	xasprintf(&sr->cg_path, "%s/%s-%ld-%" PRId64, sandbox_caps.cg_parent,
	    sr->cg_prefix != NULL ? sr->cg_prefix : "run", (long)getpid(),
	    run_id);
	if (mkdir(sr->cg_path, 0755) == -1) {
		xasprintf(cause, "cannot create cgroup %s: %s", sr->cg_path,
		    strerror(errno));
		free(sr->cg_path);
		sr->cg_path = NULL;
		return -1;
	}
	if (cg_limits(sr->cg_path, sb, cause) == -1)
		return -1;
	sr->cs.cgroup_dir_fd =
	    open(sr->cg_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sr->cs.cgroup_dir_fd != -1)
		sr->cs.cgroup_procs_fd = openat(
		    sr->cs.cgroup_dir_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (sr->cs.cgroup_procs_fd == -1) {
		xasprintf(cause, "cannot open cgroup %s: %s", sr->cg_path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* The value of KEY in a flat-keyed file such as cpu.stat, or -1. */
static int64_t
cg_keyed(int dirfd, const char *file, const char *key)
{
	char buf[2048], *p;
	size_t kl = strlen(key);

	if (cg_read_at(dirfd, file, buf, sizeof buf) <= 0)
		return -1;
	for (p = buf; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
			return strtoll(p + kl + 1, NULL, 10);
	}
	return -1;
}

/* Removes the leaf once its last process has gone. */
static void
cg_remove(struct sandbox_run *sr)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < CG_RMDIR_TRIES; i++) {
		if (rmdir(sr->cg_path) == 0 || errno == ENOENT)
			return;
		if (errno != EBUSY)
			break;
		nanosleep(&ms, NULL);
	}
	log_warn("sandbox: cannot remove cgroup %s", sr->cg_path);
}

void
sandbox_run_finish(
    struct sandbox_run *sr, int64_t *cpu_usec, int64_t *peak_memory)
{
	char buf[64];
	int fd;

	*cpu_usec = *peak_memory = -1;
	if (sr->cg_path == NULL || sr->cs.cgroup_dir_fd == -1)
		return;
	*cpu_usec = cg_keyed(sr->cs.cgroup_dir_fd, "cpu.stat", "usage_usec");
	if (cg_read_at(sr->cs.cgroup_dir_fd, "memory.peak", buf, sizeof buf) >
	    0)
		*peak_memory = strtoll(buf, NULL, 10);
	fd = openat(sr->cs.cgroup_dir_fd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
	if (fd != -1) {
		if (write(fd, "1", 1) == -1)
			log_warn("sandbox: cannot kill cgroup %s", sr->cg_path);
		close(fd);
	}
	sandbox_cgroup_close(sr);
}

void
sandbox_cgroup_close(struct sandbox_run *sr)
{
	if (sr->cs.cgroup_procs_fd > 0)
		close(sr->cs.cgroup_procs_fd);
	if (sr->cs.cgroup_dir_fd > 0)
		close(sr->cs.cgroup_dir_fd);
	sr->cs.cgroup_procs_fd = sr->cs.cgroup_dir_fd = -1;
	if (sr->cg_path != NULL) {
		cg_remove(sr);
		free(sr->cg_path);
		sr->cg_path = NULL;
	}
}
