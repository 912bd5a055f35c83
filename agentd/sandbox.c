/* SPDX-License-Identifier: ISC */
/*
 * What the machine can enforce, and each run's isolation built in the
 * parent: the seccomp filter compiled with libseccomp and exported as BPF
 * (the cloned child only hands it to seccomp(2)), and the list of mount
 * calls for its namespaces. The cgroup side is in sandbox-cgroup.c. No
 * libseccomp call ever happens in a child.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "idcache.h"
#include "log.h"
#include "loop.h"
#include "sandbox-int.h"
#include "sandbox.h"
#include "xmalloc.h"

const char *const sandbox_deny_list[] = { "init_module", "finit_module",
	"delete_module", "kexec_load", "kexec_file_load", "reboot", "mount",
	"umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick",
	"move_mount", "open_tree", "swapon", "swapoff", "ptrace",
	"process_vm_readv", "process_vm_writev", "keyctl", "add_key",
	"request_key", "bpf", "perf_event_open", "open_by_handle_at",
	"userfaultfd", "iopl", "ioperm", "acct", "quotactl", "uselib", NULL };

/* How long a seccomp kill waits for its audit record at most. */
#define KMSG_WAIT_MS 100

struct sandbox_caps sandbox_caps;

/* 0 if a forked child can create mount and network namespaces. */
static int
probe_namespaces(char *why, size_t len)
{
	pid_t pid;
	int status;

	pid = fork();
	if (pid == -1) {
		snprintf(why, len, "cannot fork to probe: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (unshare(CLONE_NEWNS | CLONE_NEWNET) == -1)
			_exit(1);
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
		    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
		        "mode=1777") == -1)
			_exit(2);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	snprintf(why, len, "%s",
	    WIFEXITED(status) && WEXITSTATUS(status) == 2
	        ? "mounts in a new mount namespace are refused"
	        : "unshare(CLONE_NEWNS | CLONE_NEWNET) is refused");
	return -1;
}

static void
probe_seccomp(void)
{
	unsigned int act = SECCOMP_RET_KILL_PROCESS;

	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == -1 && errno == EINVAL)
		snprintf(sandbox_caps.seccomp_why,
		    sizeof sandbox_caps.seccomp_why,
		    "the kernel has no seccomp support");
	else if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &act) == -1)
		snprintf(sandbox_caps.seccomp_why,
		    sizeof sandbox_caps.seccomp_why,
		    "the kernel cannot kill a process from a filter");
	else
		sandbox_caps.seccomp = 1;
}

void
sandbox_init(const char *cgroup_root)
{
	memset(&sandbox_caps, 0, sizeof sandbox_caps);
	sandbox_caps.root = geteuid() == 0;
	probe_seccomp();
	if (!sandbox_caps.seccomp)
		log_warnx("sandbox: seccomp unavailable: %s; jobs run without "
		          "the default deny list",
		    sandbox_caps.seccomp_why);
	if (!sandbox_caps.root)
		snprintf(sandbox_caps.ns_why, sizeof sandbox_caps.ns_why,
		    "the daemon does not run as root");
	else if (probe_namespaces(
	             sandbox_caps.ns_why, sizeof sandbox_caps.ns_why) == 0)
		sandbox_caps.ns = 1;
	if (!sandbox_caps.ns)
		log_warnx("sandbox: namespaces unavailable: %s; jobs asking "
		          "for private_tmp, protect_system, read_only_paths, "
		          "read_write_paths or network: false are refused",
		    sandbox_caps.ns_why);
	sandbox_cgroup_init(cgroup_root);
	sandbox_caps.probed = 1;
}

static void
add_missing(cJSON *list, const char *what, const char *why)
{
	char buf[512];

	snprintf(buf, sizeof buf, "%s: %s", what, why);
	cJSON_AddItemToArray(list, cJSON_CreateString(buf));
}

void
sandbox_status(cJSON *status)
{
	cJSON *o, *missing;

	o = cJSON_AddObjectToObject(status, "sandbox");
	cJSON_AddBoolToObject(o, "root", sandbox_caps.root);
	cJSON_AddBoolToObject(o, "seccomp", sandbox_caps.seccomp);
	cJSON_AddBoolToObject(o, "namespaces", sandbox_caps.ns);
	cJSON_AddBoolToObject(o, "cgroup", sandbox_caps.cgroup);
	if (sandbox_caps.cgroup)
		cJSON_AddStringToObject(
		    o, "cgroup_path", sandbox_caps.cg_parent);
	cJSON_AddBoolToObject(o, "memory_max", sandbox_caps.memory);
	cJSON_AddBoolToObject(o, "pids_max", sandbox_caps.pids);
	cJSON_AddBoolToObject(o, "cpu_max", sandbox_caps.cpu);
	/*
	 * Not "problems": a machine without cgroup v2 is not at fault until
	 * a job asks for a limit, and then that run fails and says so.
	 */
	missing = cJSON_AddArrayToObject(o, "unavailable");
	if (!sandbox_caps.seccomp)
		add_missing(missing, "seccomp", sandbox_caps.seccomp_why);
	if (!sandbox_caps.ns)
		add_missing(missing, "namespaces", sandbox_caps.ns_why);
	if (!sandbox_caps.cgroup)
		add_missing(missing, "cgroup", sandbox_caps.cg_why);
	else if (!sandbox_caps.memory || !sandbox_caps.pids ||
	    !sandbox_caps.cpu)
		add_missing(
		    missing, "cgroup controllers", sandbox_caps.ctl_why);
}

/* The first field of SB that needs namespaces, or NULL. */
static const char *
ns_field(const struct job_sandbox *sb)
{
	if (sb->private_tmp)
		return "sandbox.private_tmp";
	if (sb->protect_system)
		return "sandbox.protect_system";
	if (!sb->network)
		return "sandbox.network";
	if (sb->nread_only_paths > 0)
		return "sandbox.read_only_paths";
	if (sb->nread_write_paths > 0)
		return "sandbox.read_write_paths";
	return NULL;
}

/*
 * Why the machine cannot give SB what it asks, or NULL: *FIELD names the
 * first field at fault.
 */
static char *
sandbox_missing(const struct job_sandbox *sb, const char **field)
{
	char *why;

	if ((*field = ns_field(sb)) != NULL && !sandbox_caps.ns) {
		xasprintf(&why,
		    "%s: needs namespaces, which this daemon "
		    "cannot create (%s)",
		    *field, sandbox_caps.ns_why);
		return why;
	}
	if ((*field = sandbox_cgroup_missing(sb, &why)) != NULL)
		return why;
	*field = "sandbox.seccomp";
	if (!sandbox_caps.seccomp &&
	    (sb->nseccomp_deny > 0 || sb->seccomp_action == JOB_SECCOMP_KILL)) {
		xasprintf(&why,
		    "%s: the kernel cannot filter system calls (%s)", *field,
		    sandbox_caps.seccomp_why);
		return why;
	}
	*field = NULL;
	return NULL;
}

int
sandbox_check_job(const struct job *job, const char **field, char **cause)
{
	const struct job_sandbox *sb = &job->sandbox;
	char *why;
	size_t i;

	*field = "sandbox.seccomp.deny";
	for (i = 0; i < sb->nseccomp_deny; i++) {
		if (seccomp_syscall_resolve_name(sb->seccomp_deny[i]) ==
		    __NR_SCMP_ERROR) {
			xasprintf(cause, "%s: no system call named \"%s\"",
			    *field, sb->seccomp_deny[i]);
			return -1;
		}
	}
	*field = "sandbox.seccomp.allow";
	for (i = 0; i < sb->nseccomp_allow; i++) {
		if (seccomp_syscall_resolve_name(sb->seccomp_allow[i]) ==
		    __NR_SCMP_ERROR) {
			xasprintf(cause, "%s: no system call named \"%s\"",
			    *field, sb->seccomp_allow[i]);
			return -1;
		}
	}
	if ((why = sandbox_job_warning(job)) != NULL) {
		log_warnx("sandbox: job=%s will be refused when it runs: %s",
		    job->name, why);
		free(why);
	}
	*field = NULL;
	return 0;
}

/*
 * A command job without a workdir starts in its user's home; a user such
 * as nobody has none (/nonexistent), and every run would fail to chdir.
 */
static char *
home_missing(const struct job *job)
{
	const struct id_user *pw;
	struct stat st;
	char *why;

	if (job->kind != JOB_COMMAND || job->workdir != NULL)
		return NULL;
	pw = job->user != NULL ? idcache_by_name(job->user)
	                       : idcache_by_uid(job->owner);
	if (pw == NULL || (stat(pw->dir, &st) == 0 && S_ISDIR(st.st_mode)))
		return NULL;
	xasprintf(&why,
	    "workdir: not set, and the home directory %s of user \"%s\" "
	    "does not exist",
	    pw->dir, pw->name);
	return why;
}

char *
sandbox_job_warning(const struct job *job)
{
	const char *field;
	char *why;

	if (sandbox_caps.probed &&
	    (why = sandbox_missing(&job->sandbox, &field)) != NULL)
		return why;
	return home_missing(job);
}

int
sandbox_spec_identity(
    int root, const struct job *job, struct child_spec *spec, char **cause)
{
	const int64_t *lim[] = { &job->limits.cpu, &job->limits.memory,
		&job->limits.nofile, &job->limits.nproc, &job->limits.fsize,
		&job->limits.core };
	uint64_t *to[] = { &spec->limits.cpu, &spec->limits.memory,
		&spec->limits.nofile, &spec->limits.nproc, &spec->limits.fsize,
		&spec->limits.core };
	const struct id_user *pw;
	uid_t uid;
	size_t i;

	uid = root ? job->owner : getuid();
	if (job->user != NULL) {
		if ((pw = idcache_by_name(job->user)) == NULL) {
			xasprintf(
			    cause, "user: no user named \"%s\"", job->user);
			return -1;
		}
		/*
		 * Checked when the job was saved, but the password database
		 * may have changed since: never run as someone else.
		 */
		if (root && job->owner != 0 && pw->uid != job->owner) {
			xasprintf(cause,
			    "user: jobs of uid %u run as that uid, "
			    "not as \"%s\"",
			    (unsigned)job->owner, job->user);
			return -1;
		}
		if (!root && pw->uid != uid) {
			xasprintf(cause,
			    "user: this daemon runs as uid %u and "
			    "cannot run jobs as \"%s\"",
			    (unsigned)uid, job->user);
			return -1;
		}
		uid = pw->uid;
	}
	if ((pw = idcache_by_uid(uid)) == NULL) {
		xasprintf(cause, "uid %u has no passwd entry", (unsigned)uid);
		return -1;
	}
	/* The entry stays put until the next idcache call, past the spawn. */
	spec->uid = pw->uid;
	spec->gid = pw->gid;
	spec->user = pw->name;
	spec->home = pw->dir;
	spec->shell = pw->shell;
	spec->groups = pw->groups;
	spec->ngroups = pw->ngroups;
	spec->umask = job->umask;
	/* -1 (not set) keeps the daemon's own limit. */
	for (i = 0; i < sizeof lim / sizeof lim[0]; i++)
		*to[i] = *lim[i] < 0 ? 0 : (uint64_t)*lim[i];
	return 0;
}

static int
in_list(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(v[i], s) == 0)
			return 1;
	}
	return 0;
}

/* Adds a rule for NAME unless the job allows it; -1 only for bad names. */
static int
filter_add(scmp_filter_ctx ctx, uint32_t act, const struct job_sandbox *sb,
    const char *name, int strict, char **cause)
{
	int nr;

	if (in_list(sb->seccomp_allow, sb->nseccomp_allow, name))
		return 0;
	nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR) {
		if (!strict)
			return 0; /* not on this architecture */
		xasprintf(cause,
		    "sandbox.seccomp.deny: no system call named "
		    "\"%s\"",
		    name);
		return -1;
	}
	if (seccomp_rule_add(ctx, act, nr, 0) < 0 && strict) {
		xasprintf(
		    cause, "sandbox.seccomp.deny: cannot filter \"%s\"", name);
		return -1;
	}
	return 0;
}

/* Reads the exported program back from the memfd FD into SR. */
static int
filter_load(struct sandbox_run *sr, int fd, char **cause)
{
	struct sock_fprog *prog;
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) == -1 || st.st_size <= 0 ||
	    st.st_size % sizeof(struct sock_filter) != 0 ||
	    st.st_size > 65536 * (off_t)sizeof(struct sock_filter)) {
		xasprintf(cause, "cannot export the seccomp filter");
		return -1;
	}
	sr->filter = xmalloc(st.st_size);
	n = pread(fd, sr->filter, st.st_size, 0);
	if (n != st.st_size) {
		xasprintf(cause, "cannot read the seccomp filter back");
		return -1;
	}
	prog = xcalloc(1, sizeof *prog);
	prog->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	prog->filter = sr->filter;
	sr->prog = prog;
	sr->cs.seccomp = prog;
	return 0;
}

/*
 * Compiles the filter of SB into SR. Other architectures the CPU can run
 * (i386 and x32 on x86-64) get the same rules, or a 32-bit call would
 * pass.
 */
static int
filter_compile(
    struct sandbox_run *sr, const struct job_sandbox *sb, char **cause)
{
	scmp_filter_ctx ctx;
	uint32_t act;
	size_t i;
	int fd = -1, rc = -1;

	act = sb->seccomp_action == JOB_SECCOMP_KILL ? SCMP_ACT_KILL_PROCESS
	                                             : SCMP_ACT_ERRNO(EPERM);
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		xasprintf(cause, "cannot create a seccomp filter");
		return -1;
	}
	if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
		seccomp_arch_add(ctx, SCMP_ARCH_X86);
		seccomp_arch_add(ctx, SCMP_ARCH_X32);
	}
	/*
	 * A binary tree over the syscall numbers instead of libseccomp's
	 * default chain: the kernel runs the filter once per syscall number
	 * and architecture when each child attaches it (its action cache),
	 * which made attaching the longest part of starting a run.
	 */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0)
		log_debug("sandbox: libseccomp cannot sort the filter");
	for (i = 0; sb->seccomp_default == JOB_SECCOMP_DENY_LIST &&
	     sandbox_deny_list[i] != NULL;
	     i++) {
		if (filter_add(ctx, act, sb, sandbox_deny_list[i], 0, cause))
			goto out;
	}
	for (i = 0; i < sb->nseccomp_deny; i++) {
		if (filter_add(ctx, act, sb, sb->seccomp_deny[i], 1, cause))
			goto out;
	}
	fd = memfd_create("cronq-seccomp", MFD_CLOEXEC);
	if (fd == -1 || seccomp_export_bpf(ctx, fd) < 0) {
		xasprintf(cause, "cannot export the seccomp filter: %s",
		    strerror(errno));
		goto out;
	}
	rc = filter_load(sr, fd, cause);
out:
	if (fd != -1)
		close(fd);
	seccomp_release(ctx);
	return rc;
}

/*
 * The job's filter. Most jobs use the plain default list, whose two
 * variants (errno, kill) are compiled once and shared: compiling costs
 * about a millisecond per run otherwise.
 */
static int
filter_build(struct sandbox_run *sr, const struct job_sandbox *sb, char **cause)
{
	static struct sandbox_run shared[2];
	int k = sb->seccomp_action == JOB_SECCOMP_KILL;

	sr->seccomp_kills = k;
	if (sb->seccomp_default == JOB_SECCOMP_NONE && sb->nseccomp_deny == 0)
		return 0;
	if (!sandbox_caps.seccomp)
		return 0; /* sandbox_missing refused what was asked for */
	if (sb->seccomp_default != JOB_SECCOMP_DENY_LIST ||
	    sb->nseccomp_deny > 0 || sb->nseccomp_allow > 0)
		return filter_compile(sr, sb, cause);
	if (shared[k].prog == NULL &&
	    filter_compile(&shared[k], sb, cause) == -1)
		return -1;
	sr->cs.seccomp = shared[k].prog;
	return 0;
}

static void
mount_add(struct sandbox_run *sr, size_t *cap, const char *source,
    const char *target, const char *fstype, unsigned long flags,
    const char *data)
{
	struct child_mount *m;

	if (sr->cs.nmounts == *cap) {
		*cap = *cap == 0 ? 8 : *cap * 2;
		sr->mounts = xreallocarray(sr->mounts, *cap, sizeof *m);
		sr->cs.mounts = sr->mounts;
	}
	m = &sr->mounts[sr->cs.nmounts++];
	m->source = source;
	m->target = target;
	m->fstype = fstype;
	m->flags = flags;
	m->data = data;
}

static const char *
path_keep(struct sandbox_run *sr, const char *p)
{
	sr->paths = xreallocarray(sr->paths, sr->npaths + 1, sizeof *sr->paths);
	sr->paths[sr->npaths] = xstrdup(p);
	return sr->paths[sr->npaths++];
}

/*
 * A bind of P onto itself, then a remount read-only (or read-write) that
 * keeps the flags P already has: a bare remount would drop nosuid, nodev
 * and noexec.
 */
static int
mount_bind(struct sandbox_run *sr, size_t *cap, const char *field,
    const char *p, int ro, char **cause)
{
	struct statvfs sv;
	unsigned long keep = 0;
	const char *t;

	if (statvfs(p, &sv) == -1) {
		xasprintf(cause, "%s: %s: %s", field, p, strerror(errno));
		return -1;
	}
	if (sv.f_flag & ST_NOSUID)
		keep |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		keep |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		keep |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		keep |= MS_NOATIME;
	if (sv.f_flag & ST_RELATIME)
		keep |= MS_RELATIME;
	t = path_keep(sr, p);
	mount_add(sr, cap, t, t, NULL, MS_BIND | MS_REC, NULL);
	mount_add(sr, cap, NULL, t, NULL,
	    MS_REMOUNT | MS_BIND | keep | (ro ? MS_RDONLY : 0), NULL);
	return 0;
}

static int
mounts_build(struct sandbox_run *sr, const struct job_sandbox *sb, char **cause)
{
	static const char *const system[] = { "/usr", "/boot", "/etc", NULL };
	struct stat st;
	size_t cap = 0, i;

	if (!sb->network)
		sr->cs.unshare_flags |= CLONE_NEWNET;
	if (!sb->private_tmp && !sb->protect_system &&
	    sb->nread_only_paths == 0 && sb->nread_write_paths == 0)
		return 0;
	sr->cs.unshare_flags |= CLONE_NEWNS;
	/* Nothing done inside may propagate back to the daemon's mounts. */
	mount_add(sr, &cap, NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	if (sb->private_tmp) {
		mount_add(sr, &cap, "tmpfs", "/tmp", "tmpfs",
		    MS_NOSUID | MS_NODEV, "mode=1777");
		if (stat("/var/tmp", &st) == 0)
			mount_add(sr, &cap, "tmpfs", "/var/tmp", "tmpfs",
			    MS_NOSUID | MS_NODEV, "mode=1777");
	}
	for (i = 0; sb->protect_system && system[i] != NULL; i++) {
		if (stat(system[i], &st) == 0 &&
		    mount_bind(sr, &cap, "sandbox.protect_system", system[i], 1,
		        cause) == -1)
			return -1;
	}
	for (i = 0; i < sb->nread_only_paths; i++) {
		if (mount_bind(sr, &cap, "sandbox.read_only_paths",
		        sb->read_only_paths[i], 1, cause) == -1)
			return -1;
	}
	for (i = 0; i < sb->nread_write_paths; i++) {
		if (mount_bind(sr, &cap, "sandbox.read_write_paths",
		        sb->read_write_paths[i], 0, cause) == -1)
			return -1;
	}
	return 0;
}

int
sandbox_run_prepare(
    struct sandbox_run *sr, const struct job *job, int64_t run_id, char **cause)
{
	const struct job_sandbox *sb = &job->sandbox;
	const char *field;

	sr->cs.cgroup_procs_fd = sr->cs.cgroup_dir_fd = -1;
	if ((*cause = sandbox_missing(sb, &field)) != NULL)
		return -1;
	if (sb->nice != JOB_NICE_UNSET) {
		sr->cs.nice_set = 1;
		sr->cs.nice = sb->nice;
	}
	if (sb->ioprio_class != JOB_IOPRIO_UNSET)
		sr->cs.ioprio = (int)sb->ioprio_class << 13 |
		    (sb->ioprio_class == JOB_IOPRIO_IDLE ? 0
		                                         : sb->ioprio_level);
	if (filter_build(sr, sb, cause) == -1 ||
	    mounts_build(sr, sb, cause) == -1)
		return -1;
	return sandbox_cgroup_create(sr, sb, run_id, cause);
}

/* Parses one kmsg record; the call's name if it is PID's seccomp kill. */
static char *
culprit_of(const char *rec, pid_t pid)
{
	char want[32];
	const char *p;
	unsigned int arch;
	int nr;

	if (strstr(rec, "type=1326") == NULL)
		return NULL;
	snprintf(want, sizeof want, " pid=%ld ", (long)pid);
	if (strstr(rec, want) == NULL || (p = strstr(rec, " arch=")) == NULL ||
	    sscanf(p, " arch=%x", &arch) != 1 ||
	    (p = strstr(rec, " syscall=")) == NULL ||
	    sscanf(p, " syscall=%d", &nr) != 1)
		return NULL;
	return seccomp_syscall_resolve_num_arch(arch, nr);
}

char *
sandbox_seccomp_culprit(pid_t pid)
{
	struct pollfd pfd;
	char buf[8192], *name = NULL, *found;
	int64_t deadline;
	ssize_t n;
	int fd, wait;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return NULL;
	/*
	 * One record per read; the last match is the newest. kauditd prints
	 * the record from its own thread, so it may come a little after the
	 * process died: wait for it, briefly (a kill by the filter is rare,
	 * and the record may never come when audit goes elsewhere).
	 */
	deadline = loop_now_ms() + KMSG_WAIT_MS;
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		n = read(fd, buf, sizeof buf - 1);
		if (n == -1 && errno == EPIPE)
			continue; /* overwritten while we read */
		if (n > 0) {
			buf[n] = '\0';
			if ((found = culprit_of(buf, pid)) != NULL) {
				free(name);
				name = found;
			}
			continue;
		}
		wait = (int)(deadline - loop_now_ms());
		if (name != NULL || n == 0 || errno != EAGAIN || wait <= 0 ||
		    poll(&pfd, 1, wait) <= 0)
			break;
	}
	close(fd);
	return name;
}

int
sandbox_run_seccomp_killed(const struct sandbox_run *sr, int sig)
{
	return sig == SIGSYS && sr->seccomp_kills && sr->cs.seccomp != NULL;
}

void
sandbox_run_free(struct sandbox_run *sr)
{
	size_t i;

	if (sr == NULL)
		return;
	sandbox_cgroup_close(sr);
	for (i = 0; i < sr->npaths; i++)
		free(sr->paths[i]);
	free(sr->paths);
	free(sr->mounts);
	free(sr->prog);
	free(sr->filter);
	memset(sr, 0, sizeof *sr);
	sr->cs.cgroup_procs_fd = sr->cs.cgroup_dir_fd = -1;
}
