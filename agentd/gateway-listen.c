/* SPDX-License-Identifier: ISC */
/*
 * The gateway's MHD servers: one per listener (the Unix socket, and the
 * TCP addresses of agentd.yaml with TLS), each driven from the event loop
 * through its epoll fd and a timer for the work no fd announces. On
 * SIGHUP the TCP listeners follow agentd.yaml again: everything new is
 * read, checked and bound first, so a bad certificate or a taken port
 * changes nothing; a listener whose files changed hands its socket to a
 * new server and finishes its own connections (GW_DRAIN_MS at most).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/epoll.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "gateway-int.h"
#include "gateway.h"
#include "log.h"
#include "loop.h"
#include "remote.h"
#include "xmalloc.h"

static void
gateway_run(struct gw_listener *l)
{
	if (MHD_run(l->mhd) != MHD_YES)
		log_warnx("gateway: MHD_run failed");
}

static void
gateway_on_epoll(int fd, uint32_t events, void *arg)
{
	(void)fd;
	(void)events;
	gateway_run(arg);
}

static void
gateway_on_timer(void *arg)
{
	struct gw_listener *l = arg;

	l->timer = NULL;
	gateway_run(l);
}

/*
 * Before the loop sleeps: MHD may have work that no fd will announce
 * (data already buffered, a resumed connection, an idle timeout), which
 * MHD_get_timeout reports. Zero means "run now"; a few rounds settle it.
 */
static void
gateway_listener_before_sleep(struct gw_listener *l, int resumed)
{
	struct gateway *gw = l->gw;
	MHD_UNSIGNED_LONG_LONG ms = 0;
	int64_t at;
	int round;

	/* In external polling mode no fd announces a resumed connection. */
	if (resumed)
		gateway_run(l);
	for (round = 0; round < 4; round++) {
		if (MHD_get_timeout(l->mhd, &ms) != MHD_YES) {
			if (l->timer != NULL)
				loop_timer_cancel(gw->loop, l->timer);
			l->timer = NULL;
			return;
		}
		if (ms > 0)
			break;
		gateway_run(l);
	}
	at = loop_now_ms() + (int64_t)ms;
	if (l->timer != NULL && l->timer_at == at)
		return;
	if (l->timer != NULL)
		loop_timer_cancel(gw->loop, l->timer);
	l->timer_at = at;
	l->timer = loop_timer_add(gw->loop, at, gateway_on_timer, l);
}

static void gateway_listener_free(struct gw_listener *l);

/* 1 once retired listener L has no connection left or its time is up. */
static int
gateway_drained(struct gw_listener *l)
{
	const union MHD_DaemonInfo *di;

	if (l->drain_until == 0)
		return 0;
	if (loop_now_ms() >= l->drain_until)
		return 1;
	di = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return di != NULL && di->num_connections == 0;
}

void
gateway_before_sleep(struct gateway *gw)
{
	int resumed = gw->resumed;
	size_t i;

	gw->resumed = 0;
	for (i = 0; i < gw->nlisteners; i++) {
		if (gateway_drained(gw->listeners[i])) {
			log_info("gateway: retired listener address=%s "
			         "port=%d closed",
			    gw->listeners[i]->address, gw->listeners[i]->port);
			gateway_listener_free(gw->listeners[i]);
			gw->listeners[i--] = gw->listeners[--gw->nlisteners];
			continue;
		}
		gateway_listener_before_sleep(gw->listeners[i], resumed);
	}
}

static void
gateway_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_debug("gateway: mhd: %s", msg);
}

static void
gateway_pem_free(char *pem)
{
	if (pem != NULL)
		explicit_bzero(pem, strlen(pem));
	free(pem);
}

/* Stops L's server, its streams first (MHD refuses suspended ones). */
static void
gateway_listener_free(struct gw_listener *l)
{
	struct gateway *gw = l->gw;
	struct gw_conn *c, *next;

	for (c = gw->waiting; c != NULL; c = next) {
		next = c->next;
		if (c->l != l)
			continue;
		gateway_waiting_remove(gw, c);
		c->suspended = 0;
		MHD_resume_connection(c->conn);
	}
	loop_del_fd(gw->loop, l->epoll_fd);
	if (l->timer != NULL)
		loop_timer_cancel(gw->loop, l->timer);
	/* MHD closes the listening socket it was handed, if not quiesced. */
	MHD_stop_daemon(l->mhd);
	free(l->cert_pem);
	gateway_pem_free(l->key_pem);
	free(l);
}

/*
 * Starts an MHD server on LISTEN_FD (taken on success) on the loop; with
 * CERT_PEM and KEY_PEM (taken) it speaks TLS. REMOTE: bearer credentials.
 */
static struct gw_listener *
gateway_listener_start(struct gateway *gw, int listen_fd, int remote,
    char *cert_pem, char *key_pem, char **cause)
{
	struct gw_listener *l;
	const union MHD_DaemonInfo *di;
	unsigned int flags;

	if (gw->nlisteners == GW_SLOTS) {
		xasprintf(cause, "too many listeners still draining");
		return NULL;
	}
	l = xcalloc(1, sizeof *l);
	l->gw = gw;
	l->remote = remote;
	l->cert_pem = cert_pem;
	l->key_pem = key_pem;
	l->key_len = key_pem != NULL ? strlen(key_pem) : 0;
	flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (cert_pem != NULL)
		flags |= MHD_USE_TLS;
	/* The logger first, so MHD reports nothing on stderr itself. */
	l->mhd = MHD_start_daemon(flags, 0, NULL, NULL, gateway_access, l,
	    MHD_OPTION_EXTERNAL_LOGGER, gateway_mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, listen_fd, MHD_OPTION_NOTIFY_COMPLETED,
	    gateway_completed, l, MHD_OPTION_NOTIFY_CONNECTION,
	    gateway_connection, l, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)GW_IDLE_TIMEOUT, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)GW_MAX_CONNECTIONS,
	    cert_pem != NULL ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
	    cert_pem, MHD_OPTION_HTTPS_MEM_KEY, key_pem,
	    MHD_OPTION_HTTPS_PRIORITIES, GW_TLS_PRIORITIES, MHD_OPTION_END);
	if (l->mhd == NULL) {
		xasprintf(cause, "cannot start the HTTP%s server",
		    cert_pem != NULL ? "S" : "");
		free(l);
		return NULL;
	}
	di = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (di == NULL) {
		xasprintf(cause, "the HTTP server has no epoll fd");
		goto fail;
	}
	l->epoll_fd = di->epoll_fd;
	if (loop_add_fd(gw->loop, l->epoll_fd, EPOLLIN, gateway_on_epoll, l) ==
	    -1) {
		xasprintf(
		    cause, "cannot watch the HTTP server: %s", strerror(errno));
		goto fail;
	}
	gw->listeners[gw->nlisteners++] = l;
	return l;

fail:
	/* Quiesced first so that MHD leaves the socket to the caller. */
	MHD_quiesce_daemon(l->mhd);
	MHD_stop_daemon(l->mhd);
	free(l);
	return NULL;
}

/* What a reload means for one listener of agentd.yaml. */
struct gw_plan {
	const struct listener_conf *conf;
	struct gw_listener *old; /* serving the same address and port */
	char *cert;              /* TLS: the PEM files as read now */
	char *key;
	int fd;   /* a new address: its listening socket; else -1 */
	int same; /* OLD serves these very files already */
};

/* The last thing MHD said, for a refused certificate's message. */
static void
gateway_mhd_keep(void *cls, const char *fmt, va_list ap)
{
	char *msg = cls;
	size_t n;

	vsnprintf(msg, 256, fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '.'))
		msg[--n] = '\0';
}

/*
 * Checks that GnuTLS takes the pair CERT and KEY (a certificate, a key
 * that matches it) with a server that listens nowhere, so that a bad
 * pair is refused before the serving one is touched.
 */
static int
gateway_tls_check(const struct listener_conf *conf, const char *cert,
    const char *key, char **cause)
{
	struct MHD_Daemon *mhd;
	char msg[256] = "";

	mhd = MHD_start_daemon(
	    MHD_USE_NO_LISTEN_SOCKET | MHD_USE_TLS | MHD_USE_ERROR_LOG, 0, NULL,
	    NULL, gateway_access, NULL, MHD_OPTION_EXTERNAL_LOGGER,
	    gateway_mhd_keep, msg, MHD_OPTION_HTTPS_MEM_CERT, cert,
	    MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_PRIORITIES,
	    GW_TLS_PRIORITIES, MHD_OPTION_END);
	if (mhd == NULL) {
		xasprintf(cause,
		    "%s: TLS refuses cert %s with key %s (not a certificate "
		    "and its matching key?)%s%s",
		    conf->where, conf->cert, conf->key,
		    msg[0] != '\0' ? ": " : "", msg);
		return -1;
	}
	MHD_stop_daemon(mhd);
	return 0;
}

static struct gw_listener *
gateway_find_tcp(struct gateway *gw, const struct listener_conf *conf)
{
	struct gw_listener *l;
	size_t i;

	for (i = 0; i < gw->nlisteners; i++) {
		l = gw->listeners[i];
		if (l->remote && l->drain_until == 0 && l->port == conf->port &&
		    strcmp(l->address, conf->address) == 0)
			return l;
	}
	return NULL;
}

static int
gateway_pem_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
gateway_plans_free(struct gw_plan *plans, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (plans[i].fd != -1)
			close(plans[i].fd);
		free(plans[i].cert);
		gateway_pem_free(plans[i].key);
	}
	free(plans);
}

/* Reads, checks and binds what listener CONF needs, touching nothing. */
static int
gateway_plan(struct gateway *gw, const struct listener_conf *conf,
    struct gw_plan *p, char **cause)
{
	p->conf = conf;
	p->fd = -1;
	p->old = gateway_find_tcp(gw, conf);
	if (conf->cert != NULL) {
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			xasprintf(cause,
			    "%s: this libmicrohttpd has no TLS support",
			    conf->where);
			return -1;
		}
		if (gateway_tls_files(conf, &p->cert, &p->key, cause) == -1 ||
		    gateway_tls_check(conf, p->cert, p->key, cause) == -1)
			return -1;
	}
	if (p->old != NULL) {
		p->same = gateway_pem_same(p->old->cert_pem, p->cert) &&
		    gateway_pem_same(p->old->key_pem, p->key);
		return 0;
	}
	return (p->fd = gateway_listen_tcp(conf, cause)) == -1 ? -1 : 0;
}

/*
 * Stops L taking connections; those it has may finish for GW_DRAIN_MS.
 * Returns its listening socket.
 */
static int
gateway_retire(struct gw_listener *l)
{
	l->drain_until = loop_now_ms() + GW_DRAIN_MS;
	return MHD_quiesce_daemon(l->mhd);
}

/* Serves plan P: on its new socket, or on the socket of the one it
 * replaces. A failure here leaves the old server in place. */
static void
gateway_apply(struct gateway *gw, struct gw_plan *p)
{
	const struct listener_conf *conf = p->conf;
	struct gw_listener *l;
	char *cause = NULL, *old_cert, *old_key;
	int fd;

	if (p->old != NULL && p->same)
		return;
	fd = p->fd;
	if (p->old != NULL)
		fd = gateway_retire(p->old);
	p->fd = -1;
	l = gateway_listener_start(gw, fd, 1, p->cert, p->key, &cause);
	if (l != NULL) {
		p->cert = p->key = NULL;
		strlcpy(l->address, conf->address, sizeof l->address);
		l->port = conf->port;
		log_notice("gateway: listening address=%s port=%d tls=%s%s",
		    l->address, l->port,
		    l->cert_pem != NULL ? "yes"
		                        : "no (loopback, insecure_http)",
		    p->old != NULL ? " (files reloaded)" : "");
		return;
	}
	log_warnx("%s: %s", conf->where, cause);
	free(cause);
	cause = NULL;
	if (p->old == NULL) {
		close(fd);
		return;
	}
	/* The old files served until now: they serve on. */
	old_cert = p->old->cert_pem != NULL ? xstrdup(p->old->cert_pem) : NULL;
	old_key = p->old->key_pem != NULL ? xstrdup(p->old->key_pem) : NULL;
	l = gateway_listener_start(gw, fd, 1, old_cert, old_key, &cause);
	if (l == NULL) {
		log_warnx("gateway: address=%s port=%d lost: %s", conf->address,
		    conf->port, cause);
		free(cause);
		free(old_cert);
		gateway_pem_free(old_key);
		close(fd);
		return;
	}
	strlcpy(l->address, conf->address, sizeof l->address);
	l->port = conf->port;
}

int
gateway_tcp_configure(
    struct gateway *gw, const struct agentd_config *cfg, char **cause)
{
	struct gw_plan *plans;
	struct gw_listener *l;
	size_t i, j, n = cfg != NULL ? cfg->nlisteners : 0;
	int fd, wanted;

	if (n > GW_LISTENERS_MAX - 1) {
		xasprintf(cause, "%s: more than %d listeners",
		    cfg->listeners[GW_LISTENERS_MAX - 1].where,
		    GW_LISTENERS_MAX - 1);
		return -1;
	}
	plans = xcalloc(n + 1, sizeof *plans);
	for (i = 0; i < n; i++) {
		plans[i].fd = -1;
		for (j = 0; j < i; j++) {
			if (plans[j].conf->port == cfg->listeners[i].port &&
			    strcmp(plans[j].conf->address,
			        cfg->listeners[i].address) == 0) {
				xasprintf(cause,
				    "%s: address %s port %d is "
				    "listed twice",
				    cfg->listeners[i].where,
				    cfg->listeners[i].address,
				    cfg->listeners[i].port);
				gateway_plans_free(plans, i);
				return -1;
			}
		}
		if (gateway_plan(gw, &cfg->listeners[i], &plans[i], cause) ==
		    -1) {
			gateway_plans_free(plans, i + 1);
			return -1;
		}
	}
	/* All of it can be done: listeners no longer wanted go first. */
	for (i = 0; i < gw->nlisteners; i++) {
		l = gw->listeners[i];
		if (!l->remote || l->drain_until != 0)
			continue;
		for (wanted = 0, j = 0; j < n && !wanted; j++)
			wanted = plans[j].old == l;
		if (wanted)
			continue;
		log_notice("gateway: listener address=%s port=%d removed",
		    l->address, l->port);
		if ((fd = gateway_retire(l)) != -1)
			close(fd);
	}
	for (i = 0; i < n; i++)
		gateway_apply(gw, &plans[i]);
	gateway_plans_free(plans, n);
	return 0;
}

struct gateway *
gateway_create(struct agentd *ad, int listen_fd, char **cause)
{
	struct gateway *gw;

	gw = xcalloc(1, sizeof *gw);
	gw->loop = ad->loop;
	gw->ad = ad;
	if (gateway_listener_start(gw, listen_fd, 0, NULL, NULL, cause) ==
	    NULL) {
		free(gw);
		return NULL;
	}
	gw->events = gateway_events_create(gw, gw->loop);
	gw->metrics = metrics_create();
	gw->rl = ratelimit_create();
	return gw;
}

void
gateway_free(struct gateway *gw)
{
	struct gw_conn *c;
	size_t i;

	if (gw == NULL)
		return;
	/* MHD must not be stopped with suspended connections. */
	while ((c = gw->waiting) != NULL) {
		gateway_waiting_remove(gw, c);
		c->suspended = 0;
		MHD_resume_connection(c->conn);
	}
	for (i = 0; i < gw->nlisteners; i++)
		gateway_listener_free(gw->listeners[i]);
	gateway_events_free(gw->events);
	metrics_free(gw->metrics);
	ratelimit_free(gw->rl);
	free(gw->counters);
	free(gw);
}
