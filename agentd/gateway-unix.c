/* SPDX-License-Identifier: ISC */
/*
 * The Unix socket side of the gateway: creating the listening socket,
 * naming the caller from its peer credentials, and the daemon's entry
 * points gateway_start/gateway_stop. Authentication on this transport
 * is the peer uid alone; the socket's mode only keeps strangers off an
 * unprivileged daemon.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "gateway.h"
#include "log.h"
#include "loop.h"
#include "xmalloc.h"

#define GW_ADMIN_GROUP "cronq"

/* The daemon's one gateway, for the loop hook and gateway_stop. */
static struct gateway *gateway_current;

int
gateway_listen_unix(const char *path, mode_t mode, char **cause)
{
	struct sockaddr_un sun;
	struct stat sb;
	mode_t old;
	int fd, probe;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof sun.sun_path) >=
	    sizeof sun.sun_path) {
		xasprintf(cause, "socket path too long: %s", path);
		return -1;
	}

	/* Replace a socket only if nobody answers on it. */
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			xasprintf(cause, "%s exists and is not a socket", path);
			return -1;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe != -1 &&
		    connect(probe, (struct sockaddr *)&sun, sizeof sun) == 0) {
			close(probe);
			xasprintf(cause, "another daemon listens on %s", path);
			return -1;
		}
		if (probe != -1)
			close(probe);
		if (unlink(path) == -1 && errno != ENOENT) {
			xasprintf(cause, "cannot remove stale socket %s: %s",
			    path, strerror(errno));
			return -1;
		}
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		umask(old);
		xasprintf(cause, "cannot bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, mode) == -1 || listen(fd, 64) == -1) {
		xasprintf(
		    cause, "cannot listen on %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	return fd;
}

int
gateway_peer(int fd, struct principal *p, gid_t *gid, pid_t *pid)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	struct passwd *pw;
	struct group *gr;
	gid_t groups[256];
	int ngroups = 256, i;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return -1;
	p->uid = cred.uid;
	*gid = cred.gid;
	*pid = cred.pid;
	p->admin = cred.uid == 0 || cred.uid == geteuid();
	if (p->admin || (gr = getgrnam(GW_ADMIN_GROUP)) == NULL)
		return 0;
	if (cred.gid == gr->gr_gid) {
		p->admin = 1;
		return 0;
	}
	if ((pw = getpwuid(cred.uid)) == NULL)
		return 0;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &ngroups) == -1)
		return 0;
	for (i = 0; i < ngroups; i++) {
		if (groups[i] == gr->gr_gid)
			p->admin = 1;
	}
	return 0;
}

/* The loop's hooks cannot be removed: this one outlives any gateway. */
static void
gateway_hook(void *arg)
{
	(void)arg;
	if (gateway_current != NULL)
		gateway_before_sleep(gateway_current);
}

/* The daemon's changes, to /events, /metrics and log followers. */
static void
gateway_on_event(const char *type, uid_t owner, const cJSON *obj, void *arg)
{
	struct gateway *gw = arg;

	if (strcmp(type, "run") == 0)
		metrics_run_event(gateway_metrics_get(gw), owner, obj);
	gateway_publish(gw, type, owner, obj);
}

/* The TCP listeners of agentd.yaml, at start and on each SIGHUP. */
static int
gateway_start_tcp(struct agentd *ad, struct gateway *gw, char **cause)
{
	return gateway_tcp_configure(gw, ad->config, cause);
}

void
gateway_reload(struct agentd *ad)
{
	char *cause = NULL;

	if (gateway_current == NULL)
		return;
	if (gateway_tcp_configure(gateway_current, ad->config, &cause) == -1) {
		log_warnx("gateway: listeners not changed, the old ones "
		          "serve on: %s",
		    cause);
		/* In status too, until a reload that works: as for a refusal.
		 */
		free(ad->config_problem);
		xasprintf(&ad->config_problem,
		    "%s (listeners not changed; the old ones serve on)", cause);
		free(cause);
	}
}

static void
gateway_on_run(const struct run *run, void *arg)
{
	struct gateway *gw = arg;

	metrics_run_count(gateway_metrics_get(gw), run);
	gateway_publish_run(gw, run);
}

int
gateway_start(struct agentd *ad, char **cause)
{
	static int hooked;
	struct gateway *gw;
	mode_t mode;
	int fd;

	/* As root the socket is open to all: the peer uid decides. */
	mode = ad->root ? 0666 : 0600;
	if ((fd = gateway_listen_unix(ad->socket_path, mode, cause)) == -1)
		return -1;
	if ((gw = gateway_create(ad, fd, cause)) == NULL) {
		close(fd);
		unlink(ad->socket_path);
		return -1;
	}
	if (gateway_start_tcp(ad, gw, cause) == -1) {
		gateway_free(gw);
		unlink(ad->socket_path);
		return -1;
	}
	if (!hooked)
		loop_before_sleep(ad->loop, gateway_hook, NULL);
	hooked = 1;
	gateway_current = gw;
	agentd_set_event_cb(ad, gateway_on_event, gw);
	agentd_set_run_event_cb(ad, gateway_on_run);
	log_notice("gateway: listening socket=%s mode=%04o", ad->socket_path,
	    (unsigned)mode);
	return 0;
}

void
gateway_stop(struct agentd *ad)
{
	if (gateway_current == NULL)
		return;
	agentd_set_event_cb(ad, NULL, NULL);
	agentd_set_run_event_cb(ad, NULL);
	gateway_free(gateway_current);
	gateway_current = NULL;
	if (ad->socket_path != NULL)
		unlink(ad->socket_path);
}
