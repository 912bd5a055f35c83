/* SPDX-License-Identifier: ISC */
/*
 * A cgroup v2 leaf per run: PARENT/run-DAEMONPID-RUNID under a
 * "cronq.runs" directory in the daemon's own cgroup (or the configured
 * cgroup_root). The child enters it itself before anything else, so all
 * it forks is counted, limited and killed with it. Limits come from the
 * job's sandbox (memory.max, pids.max, cpu.max); after the run its CPU
 * time and peak memory are read, what is left is killed and the leaf
 * removed.
 *
 * Kernel interfaces, by version: cgroup.kill (5.14) kills the leaf in one
 * write, older kernels get cgroup.freeze (5.2) and a SIGKILL per pid of
 * cgroup.procs; memory.peak (5.19) gives the peak, older kernels leave
 * it to wait4's maxrss; memory.oom.group (4.19) makes an OOM kill take
 * the whole run. A cgroup with processes cannot hand controllers down
 * ("no internal processes"), so a daemon that sits in the cgroup it
 * delegates from moves itself into a leaf of its own first, as a
 * systemd service with Delegate=yes must.
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sandbox-int.h"
#include "xmalloc.h"

#define CG_MOUNT "/sys/fs/cgroup"
#define CG_RMDIR_TRIES 5  /* of 1ms: dying processes leave quickly */
#define CG_KILL_ROUNDS 20 /* of cgroup.procs, without cgroup.kill */

/* Leaves still busy when their run ended, removed at a later chance. */
static char **cg_pending;
static size_t cg_npending;

static void cg_pending_retry(void);

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
 * controllers down ("no internal processes"), so on EBUSY a daemon that
 * lives in BASE (OWN) moves itself into BASE/cronq.agentd and tries
 * again. A configured cgroup_root is not the daemon's: other processes
 * there are the operator's to move, and the daemon stays where it is.
 */
static int
cg_enable(const char *base, const char *ctl, int own)
{
	char *self;
	int rc;

	if (cg_write(base, "cgroup.subtree_control", ctl) == 0)
		return 0;
	if (errno != EBUSY || !own)
		return -1;
	xasprintf(&self, "%s/cronq.agentd", base);
	rc = -1;
	if ((mkdir(self, 0755) == 0 || errno == EEXIST) &&
	    cg_write(self, "cgroup.procs", "0") == 0) {
		log_info("sandbox: moved the daemon into %s to delegate "
		         "controllers",
		    self);
		rc = cg_write(base, "cgroup.subtree_control", ctl);
	}
	free(self);
	return rc;
}

/* 1 if the space-separated list LIST names WORD. */
static int
cg_listed(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)) != NULL; p += n) {
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
			return 1;
	}
	return 0;
}

/*
 * Which of memory, pids and cpu leaves under the parent get; for the
 * others, why not: not offered to BASE (on a hybrid hierarchy they are
 * bound to cgroup v1) or the kernel's refusal.
 */
static void
cg_controllers(const char *base, int own)
{
	static const char *const names[] = { "memory", "pids", "cpu" };
	int *flags[] = { &sandbox_caps.memory, &sandbox_caps.pids,
		&sandbox_caps.cpu };
	char offered[512] = "", absent[64] = "", refused[256] = "", on[32];
	char buf[80], *why;
	int dfd, i;

	dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1 ||
	    cg_read_at(dfd, "cgroup.controllers", offered, sizeof offered) < 0)
		offered[0] = '\0';
	if (dfd != -1)
		close(dfd);
	offered[strcspn(offered, "\n")] = '\0';
	for (i = 0; i < 3; i++) {
		snprintf(on, sizeof on, "+%s", names[i]);
		if (!cg_listed(offered, names[i])) {
			if (absent[0] != '\0')
				strlcat(absent, ", ", sizeof absent);
			strlcat(absent, names[i], sizeof absent);
		} else if (cg_enable(base, on, own) == -1 ||
		    cg_write(sandbox_caps.cg_parent, "cgroup.subtree_control",
		        on) == -1) {
			snprintf(buf, sizeof buf, "%s%s (%s)",
			    refused[0] != '\0' ? ", " : "", names[i],
			    strerror(errno));
			strlcat(refused, buf, sizeof refused);
		} else
			*flags[i] = 1;
	}
	if (absent[0] == '\0' && refused[0] == '\0')
		return;
	why = sandbox_caps.ctl_why;
	why[0] = '\0';
	if (absent[0] != '\0')
		snprintf(why, sizeof sandbox_caps.ctl_why,
		    "%s not offered by %s (its cgroup.controllers: %s)", absent,
		    base, offered[0] != '\0' ? offered : "none");
	if (refused[0] != '\0') {
		if (why[0] != '\0')
			strlcat(why, "; ", sizeof sandbox_caps.ctl_why);
		strlcat(why, "cannot enable ", sizeof sandbox_caps.ctl_why);
		strlcat(why, refused, sizeof sandbox_caps.ctl_why);
	}
	log_warnx("sandbox: cgroup controllers %s; jobs setting their limits "
	          "are refused",
	    sandbox_caps.ctl_why);
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
	cg_controllers(base, root == NULL);
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
		/* An OOM kill takes the whole run, not one process of it. */
		cg_write(path, "memory.oom.group", "1");
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
	cg_pending_retry();
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

/*
 * Kills every process of the leaf at DIRFD. cgroup.kill does it at once;
 * without it (before 5.14) the leaf is frozen, where the kernel has
 * cgroup.freeze, so that nothing forks between reading cgroup.procs and
 * signalling, and each pid gets SIGKILL (a frozen process still dies of
 * it) until the list is empty.
 */
static void
cg_kill(int dirfd, const char *path)
{
	char buf[8192], *p, *end;
	int fd, i, frozen = 0;
	long pid;

	fd = openat(dirfd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
	if (fd != -1) {
		if (write(fd, "1", 1) == -1)
			log_warn("sandbox: cannot kill cgroup %s", path);
		close(fd);
		return;
	}
	fd = openat(dirfd, "cgroup.freeze", O_WRONLY | O_CLOEXEC);
	if (fd != -1) {
		frozen = write(fd, "1", 1) == 1;
		close(fd);
	}
	for (i = 0; i < CG_KILL_ROUNDS; i++) {
		if (cg_read_at(dirfd, "cgroup.procs", buf, sizeof buf) <= 0)
			break;
		for (p = buf; *p != '\0'; p = end) {
			pid = strtol(p, &end, 10);
			if (end == p)
				break;
			if (pid > 0)
				kill((pid_t)pid, SIGKILL);
		}
	}
	if (frozen &&
	    (fd = openat(dirfd, "cgroup.freeze", O_WRONLY | O_CLOEXEC)) != -1) {
		if (write(fd, "0", 1) == -1)
			log_debug("sandbox: cannot thaw cgroup %s", path);
		close(fd);
	}
}

/* rmdir(PATH), a few times while its last processes exit: 0 or -1. */
static int
cg_rmdir(const char *path)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < CG_RMDIR_TRIES; i++) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		nanosleep(&ms, NULL);
	}
	return -1;
}

/*
 * Removes the leaves that were still busy when their run ended; called
 * before each new leaf, so nothing waits on a process that is slow to die
 * (one in uninterruptible sleep), and nothing is forgotten.
 */
static void
cg_pending_retry(void)
{
	size_t i, kept = 0;

	for (i = 0; i < cg_npending; i++) {
		if (rmdir(cg_pending[i]) == 0 || errno == ENOENT) {
			log_debug("sandbox: removed cgroup %s", cg_pending[i]);
			free(cg_pending[i]);
		} else
			cg_pending[kept++] = cg_pending[i];
	}
	cg_npending = kept;
}

/* Removes the leaf once its last process has gone, now or later. */
static void
cg_remove(struct sandbox_run *sr)
{
	if (cg_rmdir(sr->cg_path) == 0)
		return;
	if (errno != EBUSY) {
		log_warn("sandbox: cannot remove cgroup %s", sr->cg_path);
		return;
	}
	log_debug("sandbox: cgroup %s still busy; removed later", sr->cg_path);
	cg_pending =
	    xreallocarray(cg_pending, cg_npending + 1, sizeof *cg_pending);
	cg_pending[cg_npending++] = xstrdup(sr->cg_path);
}

void
sandbox_run_finish(
    struct sandbox_run *sr, int64_t *cpu_usec, int64_t *peak_memory)
{
	char buf[64];

	*cpu_usec = *peak_memory = -1;
	if (sr->cg_path == NULL || sr->cs.cgroup_dir_fd == -1)
		return;
	*cpu_usec = cg_keyed(sr->cs.cgroup_dir_fd, "cpu.stat", "usage_usec");
	if (cg_read_at(sr->cs.cgroup_dir_fd, "memory.peak", buf, sizeof buf) >
	    0)
		*peak_memory = strtoll(buf, NULL, 10);
	cg_kill(sr->cs.cgroup_dir_fd, sr->cg_path);
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
