/* SPDX-License-Identifier: ISC */
/*
 * Private to gateway.c (requests) and gateway-listen.c (the MHD servers
 * and their place on the loop): the gateway's state.
 */
#ifndef GATEWAY_INT_H
#define GATEWAY_INT_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "gateway.h"

#define GW_IDLE_TIMEOUT 120 /* seconds a kept-alive connection may idle */
#define GW_MAX_CONNECTIONS 256
#define GW_LISTENERS_MAX 9 /* the Unix socket and eight TCP addresses */
/* Room for as many again that a reload retired and that still drain. */
#define GW_SLOTS (2 * GW_LISTENERS_MAX)
/* How long a retired listener may finish its connections, in ms. */
#define GW_DRAIN_MS (GW_IDLE_TIMEOUT * 1000)
/* TLS 1.2 and 1.3 only, GnuTLS's usual ciphers within them. */
#define GW_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* One counter of HTTP requests by route and status, for /metrics. */
struct gw_counter {
	int route;
	int status;
	uint64_t count;
};

/* One MHD server: the Unix socket, or a TCP address (TLS or loopback). */
struct gw_listener {
	struct gateway *gw;
	struct MHD_Daemon *mhd;
	int epoll_fd;
	struct loop_timer *timer;
	int64_t timer_at;
	int remote;     /* TCP: bearer credentials, not peer uids */
	char *cert_pem; /* TLS: kept for MHD's lifetime */
	char *key_pem;
	size_t key_len;
	char address[64]; /* TCP: what a reload compares */
	int port;
	int64_t drain_until; /* retired by a reload: ms; 0 while it listens */
};

/* State of one request, from its first byte to its completion. */
struct gw_conn {
	struct gateway *gw;
	struct gw_listener *l;
	struct MHD_Connection *conn;
	char *body;
	size_t len;
	size_t cap;
	int too_large;
	struct api_stream stream;
	int suspended;
	struct gw_conn *next; /* on gw->waiting while suspended */
	struct gw_conn *prev;
};

struct gateway {
	struct loop *loop;
	struct agentd *ad;
	struct gw_listener *listeners[GW_SLOTS]; /* the Unix socket first */
	size_t nlisteners;
	struct gw_conn *waiting; /* suspended streams */
	int resumed;             /* MHD_run owed for resumed streams */
	struct gw_counter *counters;
	size_t ncounters;
	struct gw_events *events;
	struct metrics *metrics;
	struct ratelimit *rl;
};

/* gateway.c: libmicrohttpd's callbacks; CLS is the gw_listener. */
enum MHD_Result gateway_access(void *cls, struct MHD_Connection *conn,
    const char *url, const char *method, const char *version,
    const char *upload_data, size_t *upload_data_size, void **con_cls);
void gateway_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe);
void gateway_connection(void *cls, struct MHD_Connection *conn,
    void **socket_context, enum MHD_ConnectionNotificationCode toe);
void gateway_waiting_remove(struct gateway *gw, struct gw_conn *c);

#endif
