/* SPDX-License-Identifier: ISC */
/*
 * The gateway's MHD servers: one per listener (the Unix socket, and the
 * TCP addresses of agentd.yaml with TLS), each driven from the event loop
 * through its epoll fd and a timer for the work no fd announces.
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

void
gateway_before_sleep(struct gateway *gw)
{
	int resumed = gw->resumed;
	size_t i;

	gw->resumed = 0;
	for (i = 0; i < gw->nlisteners; i++)
		gateway_listener_before_sleep(&gw->listeners[i], resumed);
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
gateway_listener_stop(struct gw_listener *l)
{
	loop_del_fd(l->gw->loop, l->epoll_fd);
	if (l->timer != NULL)
		loop_timer_cancel(l->gw->loop, l->timer);
	/* MHD closes the listening socket it was handed. */
	MHD_stop_daemon(l->mhd);
	free(l->cert_pem);
	if (l->key_pem != NULL)
		explicit_bzero(l->key_pem, l->key_len);
	free(l->key_pem);
}

/*
 * Starts an MHD server on LISTEN_FD (taken on success) on the loop; with
 * CERT_PEM and KEY_PEM (taken) it speaks TLS. REMOTE: bearer credentials.
 */
static int
gateway_listener_start(struct gateway *gw, int listen_fd, int remote,
    char *cert_pem, char *key_pem, char **cause)
{
	struct gw_listener *l = &gw->listeners[gw->nlisteners];
	const union MHD_DaemonInfo *di;
	unsigned int flags;

	memset(l, 0, sizeof *l);
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
		return -1;
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
	gw->nlisteners++;
	return 0;

fail:
	/* Quiesced first so that MHD leaves the socket to the caller. */
	MHD_quiesce_daemon(l->mhd);
	MHD_stop_daemon(l->mhd);
	return -1;
}

int
gateway_add_tcp(
    struct gateway *gw, const struct listener_conf *conf, char **cause)
{
	char *cert = NULL, *key = NULL;
	int fd;

	if (gw->nlisteners == GW_LISTENERS_MAX) {
		xasprintf(cause, "%s: more than %d listeners", conf->where,
		    GW_LISTENERS_MAX - 1);
		return -1;
	}
	if (conf->cert != NULL && !MHD_is_feature_supported(MHD_FEATURE_TLS)) {
		xasprintf(cause, "%s: this libmicrohttpd has no TLS support",
		    conf->where);
		return -1;
	}
	if (conf->cert != NULL &&
	    gateway_tls_files(conf, &cert, &key, cause) == -1)
		return -1;
	if ((fd = gateway_listen_tcp(conf, cause)) == -1)
		goto fail;
	if (gateway_listener_start(gw, fd, 1, cert, key, cause) == -1) {
		close(fd);
		goto fail;
	}
	return 0;

fail:
	free(cert);
	if (key != NULL)
		explicit_bzero(key, strlen(key));
	free(key);
	return -1;
}

struct gateway *
gateway_create(struct agentd *ad, int listen_fd, char **cause)
{
	struct gateway *gw;

	gw = xcalloc(1, sizeof *gw);
	gw->loop = ad->loop;
	gw->ad = ad;
	if (gateway_listener_start(gw, listen_fd, 0, NULL, NULL, cause) == -1) {
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
		gateway_listener_stop(&gw->listeners[i]);
	gateway_events_free(gw->events);
	metrics_free(gw->metrics);
	ratelimit_free(gw->rl);
	free(gw->counters);
	free(gw);
}
