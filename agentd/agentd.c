/* SPDX-License-Identifier: ISC */
/*
 * cronq-agentd: start-up, the state directory and its lock, signals, the
 * wall-clock timer and shutdown. One thread runs one loop; it sleeps until
 * the next scheduled fire, retry, or housekeeping, never on a fixed tick.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "agentd.h"
#include "child.h"
#include "curlloop.h"
#include "idcache.h"
#include "log.h"
#include "remote.h"
#include "sandbox.h"
#include "notify.h"
#include "pathnames.h"
#include "queue.h"
#include "util.h"
#include "xmalloc.h"

/* Housekeeping (retention) runs at most this often. */
#define HOUSEKEEPING_SECS 3600
/* A jump of the wall clock against the monotonic one beyond this is a step. */
#define STEP_SLACK 5
/* Children get this long after SIGTERM at shutdown. */
#define SHUTDOWN_GRACE 10

#pragma weak gateway_start
#pragma weak gateway_stop
#pragma weak gateway_reload

struct daemon {
	struct agentd ad;
	int sigfd;
	int timerfd;
	int lockfd;
	int64_t armed;        /* wall time the timerfd is set for */
	int64_t offset;       /* realtime - monotonic at the last wake */
	int64_t housekeeping; /* wall time of the next retention pass */
};

static const char usage_line[] =
    "usage: cronq-agentd [-dfhVv] [--state-dir dir] [--socket path] "
    "[--config file]\n"
    "                    [--max-running n] [--jobs-dir dir] "
    "[--role all|scheduler|worker]\n"
    "                    [--label label]... [--name name] [--version]\n";

static void
usage(void)
{
	fputs(usage_line, stderr);
	exit(2);
}

static void
help(void)
{
	fputs(usage_line, stdout);
	fputs(
	    "\n"
	    "  -f, -d, --foreground  stay in the foreground, log to stderr\n"
	    "  -v, --verbose         log debug messages too\n"
	    "  --state-dir dir       database, run logs, agentd.yaml and "
	    "cronq.d\n"
	    "                        (default as root: " CQ_PATH_STATE_DIR ")\n"
	    "  --socket path         the API socket (default as root: " CQ_PATH_SOCKET
	    ")\n"
	    "  --config file         settings (default: " CQ_PATH_CONFIG
	    " without\n"
	    "                        --state-dir, else "
	    "state-dir/agentd.yaml, as root too)\n"
	    "  --max-running n       runs at once, 0 for no limit "
	    "(default 64)\n"
	    "  --jobs-dir dir        job files (default: " CQ_PATH_JOBS_DIR
	    " without --state-dir,\n"
	    "                        else state-dir/cronq.d, as root "
	    "too)\n"
	    "  --role role           all, scheduler or worker (with a shared "
	    "queue)\n"
	    "  --label label         a label this worker carries "
	    "(repeatable)\n"
	    "  --name name           the host name runs show\n"
	    "See cronq-agentd(8).\n",
	    stdout);
	exit(0);
}

static int64_t
clock_offset(void)
{
	struct timespec rt, mt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	return (int64_t)rt.tv_sec - (int64_t)mt.tv_sec;
}

/* Whether FD is the file at PATH now (not one unlinked under it). */
static int
same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Takes the state directory's lock; exits if another daemon holds it. */
static int
lock_state_dir(const char *dir)
{
	char *path, buf[32];
	ssize_t n;
	int fd;

	xasprintf(&path, "%s/agentd.pid", dir);
	for (;;) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd == -1)
			fatal("cannot open %s", path);
		if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
			n = read(fd, buf, sizeof buf - 1);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			fprintf(stderr,
			    "cronq-agentd: %s is in use by another "
			    "cronq-agentd (pid %s)\n",
			    dir, buf[0] != '\0' ? buf : "?");
			exit(1);
		}
		/*
		 * A daemon that stops unlinks the file while it holds the
		 * lock; one that opened it just before then locks a file no
		 * longer there, so it must open the path again.
		 */
		if (same_file(fd, path))
			break;
		close(fd);
	}
	free(path);
	return fd;
}

/* The pid file this process wrote and still holds the lock of. */
static char *pid_path;
static int pid_fd = -1;
static pid_t pid_writer;

/*
 * Removes the pid file, while its lock is still held, unless another file
 * has taken its place. Also runs from atexit, so that a daemon that fails
 * after writing it (fatal, a busy socket) leaves no dead pid behind; a
 * forked child that exits must leave its parent's file alone.
 */
static void
unlock_state_dir(void)
{
	if (pid_fd == -1 || getpid() != pid_writer)
		return;
	if (same_file(pid_fd, pid_path) && unlink(pid_path) == -1)
		log_warn("agentd: cannot remove %s", pid_path);
	close(pid_fd);
	pid_fd = -1;
	free(pid_path);
	pid_path = NULL;
}

static void
write_pid(const char *dir, int fd)
{
	char buf[32];
	int n;

	xasprintf(&pid_path, "%s/agentd.pid", dir);
	pid_fd = fd;
	pid_writer = getpid();
	if (atexit(unlock_state_dir) != 0)
		log_warnx("agentd: the pid file may outlive a failed start");
	n = snprintf(buf, sizeof buf, "%d\n", (int)pid_writer);
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n)
		log_warn("agentd: cannot write the pid file");
}

static void
read_boot_id(struct agentd *ad)
{
	FILE *f;

	strlcpy(ad->boot_id, "unknown", sizeof ad->boot_id);
	if ((f = fopen("/proc/sys/kernel/random/boot_id", "r")) == NULL)
		return;
	if (fgets(ad->boot_id, sizeof ad->boot_id, f) != NULL)
		ad->boot_id[strcspn(ad->boot_id, "\n")] = '\0';
	fclose(f);
}

static void
prune_log(int64_t id, void *arg)
{
	struct agentd *ad = arg;
	char *path;

	xasprintf(&path, "%s/%lld.log", ad->log_dir, (long long)id);
	unlink(path);
	free(path);
}

static void
housekeeping(struct daemon *d, int64_t now)
{
	struct agentd *ad = &d->ad;
	int n;

	d->housekeeping = now + HOUSEKEEPING_SECS;
	n = store_prune(ad->store,
	    now - (int64_t)ad->settings.retention_days * 86400,
	    ad->settings.retention_runs, prune_log, ad);
	if (n > 0)
		log_info("agentd: retention pruned runs=%d", n);
	n = store_audit_prune(
	    ad->store, now - (int64_t)ad->settings.retention_days * 86400);
	if (n > 0)
		log_info("agentd: retention pruned audit=%d", n);
}

/* Checks the wall clock against the monotonic one and acts on a step. */
static void
check_clock(struct daemon *d, int64_t now, int cancelled)
{
	int64_t off = clock_offset(), delta = off - d->offset;

	d->offset = off;
	if (!cancelled && delta <= STEP_SLACK && delta >= -STEP_SLACK)
		return;
	log_notice("agentd: wall clock stepped by %llds, rescheduling",
	    (long long)delta);
	scheduler_clock_stepped(d->ad.sched, delta, now);
}

static void
on_timer(int fd, uint32_t events, void *arg)
{
	struct daemon *d = arg;
	uint64_t ticks;
	int64_t now;
	int cancelled = 0;

	(void)events;
	if (read(fd, &ticks, sizeof ticks) == -1 && errno == ECANCELED)
		cancelled = 1;
	d->armed = 0;
	now = agentd_now();
	check_clock(d, now, cancelled);
	scheduler_tick(d->ad.sched, now);
	if (now >= d->housekeeping)
		housekeeping(d, now);
}

/* Before each sleep: start what may start, arm the timer, commit. */
static void
before_sleep(void *arg)
{
	struct daemon *d = arg;
	struct itimerspec its;
	int64_t now = agentd_now(), due;

	if (!d->ad.stopping)
		supervisor_dispatch(d->ad.sup, now);
	due = scheduler_next_due(d->ad.sched);
	if (supervisor_next_due(d->ad.sup) < due)
		due = supervisor_next_due(d->ad.sup);
	if (d->housekeeping < due)
		due = d->housekeeping;
	if (due <= now)
		due = now;
	if (due != d->armed) {
		memset(&its, 0, sizeof its);
		its.it_value.tv_sec = (time_t)due;
		if (timerfd_settime(d->timerfd,
		        TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its,
		        NULL) == -1)
			log_warn("agentd: cannot arm the timer");
		d->armed = due;
	}
	if (store_flush(d->ad.store) == -1)
		log_warnx("store: commit failed");
}

static void
shutdown_daemon(struct daemon *d)
{
	if (d->ad.stopping)
		return;
	d->ad.stopping = 1;
	log_notice("agentd: shutting down");
	if (gateway_stop != NULL)
		gateway_stop(&d->ad);
	supervisor_shutdown(d->ad.sup, SHUTDOWN_GRACE);
	loop_stop(d->ad.loop);
}

/*
 * SIGHUP: a bad file is reported and the running settings stay. The error
 * stays in cronq status until a good reload, so that the operator who sent
 * the signal sees it without reading syslog.
 */
static void
reload_config(struct agentd *ad)
{
	char *cause = NULL;

	/* A reload is where an operator expects user changes to show. */
	idcache_flush();
	free(ad->config_problem);
	ad->config_problem = NULL;
	if (config_load(ad, ad->config_path, &cause) == -1) {
		log_warnx("config: reload refused: %s", cause);
		xasprintf(&ad->config_problem,
		    "%s (reload refused; the previous settings stay)", cause);
		free(cause);
		return;
	}
	if (gateway_reload != NULL)
		gateway_reload(ad);
	log_notice("agentd: configuration reloaded from %s%s", ad->config_path,
	    ad->config_problem != NULL ? ", but for its listeners" : "");
}

static void
on_signal(int fd, uint32_t events, void *arg)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof si) == sizeof si) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			shutdown_daemon(d);
			return;
		case SIGHUP:
			reload_config(&d->ad);
			files_reload(&d->ad);
			break;
		case SIGCHLD:
			child_reap_orphans();
			break;
		}
	}
}

static void
make_dir(const char *path)
{
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		fatal("cannot create %s", path);
}

/*
 * Creates PATH with MODE and its missing parents with 0755, as mkdir -p
 * does. Exits with one line naming WHAT, the directory that failed and why.
 */
static void
make_dirs(const char *what, const char *path, mode_t mode)
{
	struct stat sb;
	char *p, *slash;
	int last;

	p = xstrdup(path);
	slash = p;
	do {
		slash = strchr(slash + 1, '/');
		last = slash == NULL;
		if (!last) {
			*slash = '\0';
			if (slash == p || slash[-1] == '/') {
				*slash = '/';
				continue;
			}
		}
		if (mkdir(p, last ? mode : 0755) == -1 &&
		    (errno != EEXIST || stat(p, &sb) == -1 ||
		        !S_ISDIR(sb.st_mode))) {
			if (errno == EEXIST)
				errno = ENOTDIR;
			fprintf(stderr,
			    "cronq-agentd: %s %s: cannot create %s: %s\n", what,
			    path, p, strerror(errno));
			exit(1);
		}
		if (!last)
			*slash = '/';
	} while (!last);
	free(p);
}

/* PATH made absolute against the working directory, which we leave. */
static char *
absolute(const char *path)
{
	char cwd[4096], *abs;

	if (path[0] == '/')
		return xstrdup(path);
	if (getcwd(cwd, sizeof cwd) == NULL)
		fatal("cannot get the working directory");
	xasprintf(&abs, "%s/%s", cwd, path);
	return abs;
}

/*
 * Forks the daemon. The parent stays until the child listens or fails: the
 * child's stderr is a pipe to it during start-up, so a failure shows on the
 * terminal as "cronq-agentd: ..." like the errors found before the fork
 * (log.c tees err and crit lines to it; the rest goes to syslog) and the
 * exit status says whether a daemon runs.
 * The child ends the start-up with a NUL byte (see report_ready); log text
 * never holds one.
 */
static void
daemonize(int verbose)
{
	char buf[512], *nul;
	ssize_t n;
	pid_t pid;
	int p[2], fd, st;

	fflush(NULL);
	if (pipe2(p, O_CLOEXEC) == -1 || (pid = fork()) == -1)
		fatal("cannot daemonize");
	if (pid == 0) {
		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		if (setsid() == -1 || chdir("/") == -1 ||
		    (fd = open("/dev/null", O_RDWR)) == -1)
			fatal("cannot daemonize");
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		close(fd);
		close(p[1]);
		log_init(0, verbose, "cronq-agentd");
		log_tee_errors(1);
		return;
	}
	close(p[1]);
	for (;;) {
		n = read(p[0], buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		nul = memchr(buf, '\0', (size_t)n);
		fwrite(buf, 1, nul != NULL ? (size_t)(nul - buf) : (size_t)n,
		    stderr);
		if (nul != NULL)
			_exit(0);
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (WIFSIGNALED(st))
		fprintf(stderr,
		    "cronq-agentd: the daemon was killed by signal %d "
		    "during start-up\n",
		    WTERMSIG(st));
	_exit(1);
}

/* Tells the waiting parent that we listen; errors go to syslog only now. */
static void
report_ready(int fg)
{
	int fd;

	if (fg)
		return;
	if (write(STDERR_FILENO, "", 1) != 1)
		log_debug("agentd: the starting parent is gone");
	if ((fd = open("/dev/null", O_WRONLY)) != -1) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	log_tee_errors(0);
}

/* Fills the paths from the options and who we run as. */
static void
set_paths(struct agentd *ad, const char *state_dir, const char *socket,
    const char *config)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	ad->root = geteuid() == 0;
	if (state_dir == NULL && !ad->root) {
		fprintf(stderr,
		    "cronq-agentd: --state-dir is required when "
		    "not running as root\n");
		exit(2);
	}
	ad->state_dir = state_dir != NULL ? absolute(state_dir)
	                                  : xstrdup(CQ_PATH_STATE_DIR);
	/* The system state directory, named or not, goes with the system
	 * socket, settings and job files; any other keeps all to itself. */
	ad->system = strcmp(ad->state_dir, CQ_PATH_STATE_DIR) == 0;
	if (socket != NULL)
		ad->socket_path = absolute(socket);
	else if (ad->system)
		ad->socket_path = xstrdup(CQ_PATH_SOCKET);
	else if (xdg != NULL && *xdg != '\0')
		xasprintf(&ad->socket_path, "%s/cronq.sock", xdg);
	else
		xasprintf(&ad->socket_path, "%s/cronq.sock", ad->state_dir);
	if (config != NULL)
		ad->config_path = absolute(config);
	else if (ad->system)
		ad->config_path = xstrdup(CQ_PATH_CONFIG);
	else
		xasprintf(&ad->config_path, "%s/agentd.yaml", ad->state_dir);
	xasprintf(&ad->db_path, "%s/cronq.db", ad->state_dir);
	xasprintf(&ad->log_dir, "%s/logs", ad->state_dir);
}

static int
setup_fds(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	d->timerfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->sigfd == -1 || d->timerfd == -1)
		return -1;
	if (loop_add_fd(d->ad.loop, d->sigfd, EPOLLIN, on_signal, d) == -1 ||
	    loop_add_fd(d->ad.loop, d->timerfd, EPOLLIN, on_timer, d) == -1)
		return -1;
	loop_before_sleep(d->ad.loop, before_sleep, d);
	return 0;
}

static void
start_parts(struct daemon *d)
{
	struct agentd *ad = &d->ad;
	char *cause = NULL;
	int64_t now = agentd_now();

	ad->curl = curlloop_create(ad->loop);
	ad->store = store_open(ad->db_path, &cause);
	if (ad->store == NULL)
		fatalx("%s", cause);
	if (store_setting_set(ad->store, "boot_id", ad->boot_id) == -1)
		fatalx("cannot write to %s", ad->db_path);
	ad->notifier = notifier_create(ad);
	ad->sched = scheduler_create(ad);
	ad->sup = supervisor_create(ad);
	if (supervisor_recover(ad->sup, now) == -1)
		fatalx("cannot recover the runs of %s", ad->db_path);
	/* Before the first load, so that @reboot jobs of a new file fire. */
	/*
	 * The system job directory goes with the system state directory
	 * only: a root daemon on a state directory of its own (a demo, a
	 * second instance) must not run the host's jobs a second time.
	 */
	if (ad->jobs_dir == NULL) {
		if (ad->root && ad->system)
			ad->jobs_dir = xstrdup(CQ_PATH_JOBS_DIR);
		else {
			xasprintf(&ad->jobs_dir, "%s/cronq.d", ad->state_dir);
			make_dir(ad->jobs_dir);
		}
	}
	files_start(ad, ad->jobs_dir);
	if (scheduler_load(ad->sched, now) == -1)
		fatalx("cannot load the jobs of %s", ad->db_path);
	scheduler_boot(ad->sched, now);
	scheduler_tick(ad->sched, now);
	if (gateway_start != NULL && gateway_start(ad, &cause) == -1)
		fatalx("%s", cause);
	d->offset = clock_offset();
	d->housekeeping = now;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = { { "foreground", no_argument, NULL,
		                                  'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "max-running", required_argument, NULL, 'm' },
		{ "jobs-dir", required_argument, NULL, 'J' },
		{ "role", required_argument, NULL, 'R' },
		{ "label", required_argument, NULL, 'L' },
		{ "name", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 } };
	struct daemon d;
	struct agentd *ad = &d.ad;
	const char *state_dir = NULL, *socket = NULL, *config = NULL;
	const char *name = NULL;
	int ch, fg = 0, verbose = 0, max_running = -1, role;
	struct queue_config qcfg;
	char *end, *cause = NULL;

	memset(&d, 0, sizeof d);
	queue_config_init(&qcfg);
	while ((ch = getopt_long(argc, argv, "dfhVv", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': /* the house spelling (STYLE.md 4.6) */
		case 'f':
			fg = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'S':
			state_dir = optarg;
			break;
		case 's':
			socket = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'J':
			free(ad->jobs_dir);
			ad->jobs_dir = absolute(optarg);
			break;
		case 'm':
			max_running = (int)strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' ||
			    max_running < 0) {
				fprintf(stderr,
				    "cronq-agentd: --max-running: "
				    "\"%s\" is not a count\n",
				    optarg);
				usage();
			}
			break;
		case 'R':
			if ((role = queue_role_parse(optarg)) == -1) {
				fprintf(stderr,
				    "cronq-agentd: --role: expected all, "
				    "scheduler or worker, not \"%s\"\n",
				    optarg);
				usage();
			}
			qcfg.role = (enum queue_role)role;
			break;
		case 'L':
			if (queue_config_add_label(&qcfg, optarg, &cause) ==
			    -1) {
				fprintf(stderr, "cronq-agentd: %s\n", cause);
				usage();
			}
			break;
		case 'N':
			if (*optarg == '\0' || strlen(optarg) >= 64) {
				fprintf(stderr,
				    "cronq-agentd: --name: expected 1 to 63 "
				    "characters\n");
				usage();
			}
			name = optarg;
			break;
		case 'h':
			help();
			break;
		case 'V':
			printf("cronq-agentd %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	set_paths(ad, state_dir, socket, config);
	/* Before daemon(): a bad file is told on the terminal. */
	ad->settings.retention_days = 30;
	ad->settings.retention_runs = 1000;
	ad->settings.max_running = 64;
	ad->groups = groups_create();
	/*
	 * First, so that a state directory the user cannot make is the error
	 * told, not the agentd.yaml that cannot be read inside it.
	 */
	make_dirs("--state-dir", ad->state_dir, 0700);
	if (config_load(ad, ad->config_path, &cause) == -1) {
		fprintf(stderr, "cronq-agentd: %s\n", cause);
		exit(1);
	}
	make_dir(ad->log_dir);
	/* As root, without systemd's RuntimeDirectory= to make it. */
	if (socket == NULL && state_dir == NULL)
		make_dirs("socket directory", CQ_PATH_RUN_DIR, 0755);
	/* On stderr until the start-up is over (see daemonize). */
	log_init(1, verbose, "cronq-agentd");
	if (queue_config_load(&qcfg, ad->config_path, &cause) == -1) {
		fprintf(stderr, "cronq-agentd: %s\n", cause);
		exit(1);
	}
	if (max_running >= 0)
		ad->settings.max_running = max_running;
	if (name != NULL)
		strlcpy(ad->host, name, sizeof ad->host);
	else if (gethostname(ad->host, sizeof ad->host) == -1)
		strlcpy(ad->host, "localhost", sizeof ad->host);
	/*
	 * Before the state directory's lock: a standby scheduler waits here
	 * for the broker's lock, then takes over the (shared) state.
	 */
	if ((ad->loop = loop_create()) == NULL)
		fatal("cannot set up the event loop");
	if ((ad->queue = queue_create(ad, &qcfg, &cause)) == NULL) {
		fprintf(stderr, "cronq-agentd: %s\n", cause);
		exit(1);
	}
	d.lockfd = lock_state_dir(ad->state_dir);
	if (!fg)
		daemonize(verbose);
	write_pid(ad->state_dir, d.lockfd);

	if (max_running >= 0)
		ad->settings.max_running = max_running;
	ad->tz = tz_find(NULL, NULL);
	ad->started_at = agentd_now();
	read_boot_id(ad);
	if (child_become_subreaper() == -1)
		log_warn("agentd: cannot become a subreaper");
	sandbox_init(ad->settings.cgroup_root[0] != '\0'
	        ? ad->settings.cgroup_root
	        : NULL);

	if (setup_fds(&d) == -1)
		fatal("cannot set up the event loop");
	start_parts(&d);
	report_ready(fg);
	log_notice("agentd: started pid=%d state_dir=%s socket=%s",
	    (int)getpid(), ad->state_dir, ad->socket_path);
	sd_notify(0, "READY=1");

	if (loop_run(ad->loop) == -1)
		fatal("event loop failed");
	sd_notify(0, "STOPPING=1");
	files_stop(ad);
	queue_free(ad->queue);
	store_close(ad->store);
	scheduler_free(ad->sched);
	supervisor_free(ad->sup);
	notifier_free(ad->notifier);
	curlloop_free(ad->curl);
	groups_free(ad->groups);
	free(ad->config_problem);
	loop_free(ad->loop);
	unlock_state_dir();
	log_notice("agentd: stopped");
	return 0;
}
