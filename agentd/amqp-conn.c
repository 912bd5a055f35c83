/* SPDX-License-Identifier: ISC */
/*
 * librabbitmq wrapped for the queue backend: one connection, channel 1,
 * every wait bounded (AMQP_CONN_TIMEOUT), every failure one line.
 */
#include "config.h"

#include <sys/time.h>

#include <time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amqp.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>

#include "amqp-conn.h"
#include "dlib.h"
#include "xmalloc.h"

#define CHANNEL 1
#define HEARTBEAT_SECS 10

/* 0 if R is a normal reply; -1 with *cause naming WHAT otherwise. */
static int
reply_check(amqp_rpc_reply_t r, const char *what, char **cause)
{
	const amqp_channel_close_t *ch;
	const amqp_connection_close_t *co;

	switch (r.reply_type) {
	case AMQP_RESPONSE_NORMAL:
		return 0;
	case AMQP_RESPONSE_NONE:
		xasprintf(cause, "%s: no reply from the broker", what);
		break;
	case AMQP_RESPONSE_LIBRARY_EXCEPTION:
		xasprintf(
		    cause, "%s: %s", what, amqp_error_string2(r.library_error));
		break;
	case AMQP_RESPONSE_SERVER_EXCEPTION:
		if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
			ch = r.reply.decoded;
			xasprintf(cause, "%s: %u %.*s", what, ch->reply_code,
			    (int)ch->reply_text.len,
			    (char *)ch->reply_text.bytes);
		} else if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
			co = r.reply.decoded;
			xasprintf(cause, "%s: %u %.*s", what, co->reply_code,
			    (int)co->reply_text.len,
			    (char *)co->reply_text.bytes);
		} else
			xasprintf(
			    cause, "%s: broker error 0x%08x", what, r.reply.id);
		break;
	}
	return -1;
}

int
amqp_conn_open(struct amqp_conn *a, const struct queue_config *cfg, int confirm,
    char **cause)
{
	struct amqp_connection_info ci;
	struct timeval tv = { AMQP_CONN_TIMEOUT, 0 };
	amqp_socket_t *s;
	char *url;
	int rc;

	memset(a, 0, sizeof *a);
	a->fd = -1;
	url = xstrdup(cfg->url);
	amqp_default_connection_info(&ci);
	if (amqp_parse_url(url, &ci) != AMQP_STATUS_OK) {
		xasprintf(cause,
		    "queue.url: expected amqp[s]://user:pass@host:port/vhost");
		free(url);
		return -1;
	}
	a->c = amqp_new_connection();
	if (ci.ssl) {
		s = amqp_ssl_socket_new(a->c);
		if (s != NULL && cfg->cacert != NULL &&
		    amqp_ssl_socket_set_cacert(s, cfg->cacert) !=
		        AMQP_STATUS_OK) {
			xasprintf(
			    cause, "queue.cacert: cannot load %s", cfg->cacert);
			goto fail;
		}
		if (s != NULL) {
			amqp_ssl_socket_set_verify_peer(s, cfg->verify);
			amqp_ssl_socket_set_verify_hostname(s, cfg->verify);
		}
	} else
		s = amqp_tcp_socket_new(a->c);
	if (s == NULL) {
		xasprintf(cause, "cannot create a socket for the broker");
		goto fail;
	}
	amqp_set_handshake_timeout(a->c, &tv);
	amqp_set_rpc_timeout(a->c, &tv);
	rc = amqp_socket_open_noblock(s, ci.host, ci.port, &tv);
	if (rc != AMQP_STATUS_OK) {
		xasprintf(cause, "cannot connect to %s:%d: %s", ci.host,
		    ci.port, amqp_error_string2(rc));
		goto fail;
	}
	if (reply_check(amqp_login(a->c, ci.vhost, 0, 131072, HEARTBEAT_SECS,
	                    AMQP_SASL_METHOD_PLAIN, ci.user, ci.password),
	        "login", cause) == -1)
		goto fail;
	amqp_channel_open(a->c, CHANNEL);
	if (reply_check(amqp_get_rpc_reply(a->c), "channel.open", cause) == -1)
		goto fail;
	if (confirm) {
		amqp_confirm_select(a->c, CHANNEL);
		if (reply_check(amqp_get_rpc_reply(a->c), "confirm.select",
		        cause) == -1)
			goto fail;
	}
	a->fd = amqp_get_sockfd(a->c);
	free(url);
	return 0;

fail:
	free(url);
	amqp_conn_close(a);
	return -1;
}

void
amqp_conn_close(struct amqp_conn *a)
{
	if (a->c == NULL)
		return;
	/* No orderly close: the link may be dead, and waiting would block. */
	amqp_destroy_connection(a->c);
	a->c = NULL;
	a->fd = -1;
	a->seq = 0;
}

int
amqp_conn_declare(struct amqp_conn *a, const char *name, int exclusive,
    int passive, uint32_t *count, int *locked, char **cause)
{
	amqp_queue_declare_ok_t *ok;
	amqp_rpc_reply_t r;
	const amqp_channel_close_t *ch;

	if (locked != NULL)
		*locked = 0;
	ok = amqp_queue_declare(a->c, CHANNEL, amqp_cstring_bytes(name),
	    passive, !exclusive, exclusive, exclusive, amqp_empty_table);
	r = amqp_get_rpc_reply(a->c);
	if (ok == NULL || r.reply_type != AMQP_RESPONSE_NORMAL) {
		if (locked != NULL &&
		    r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
		    r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
			ch = r.reply.decoded;
			*locked = ch->reply_code == AMQP_RESOURCE_LOCKED;
		}
		if (reply_check(r, name, cause) == 0)
			xasprintf(cause, "%s: no declare-ok", name);
		return -1;
	}
	if (count != NULL)
		*count = ok->message_count;
	return 0;
}

int
amqp_conn_publish(struct amqp_conn *a, const char *rkey, const char *msgid,
    const char *type, const char *body, char **cause)
{
	amqp_basic_properties_t props;
	struct timeval tv = { AMQP_CONN_TIMEOUT, 0 };
	amqp_frame_t f;
	const amqp_basic_ack_t *ack;
	struct timespec end, now;
	long long left;
	int rc;

	memset(&props, 0, sizeof props);
	props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG |
	    AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG |
	    AMQP_BASIC_TYPE_FLAG;
	props.content_type = amqp_cstring_bytes("application/json");
	props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
	props.message_id = amqp_cstring_bytes(msgid);
	props.type = amqp_cstring_bytes(type);
	rc = amqp_basic_publish(a->c, CHANNEL, amqp_empty_bytes,
	    amqp_cstring_bytes(rkey), 0, 0, &props, amqp_cstring_bytes(body));
	if (rc != AMQP_STATUS_OK) {
		xasprintf(cause, "publish: %s", amqp_error_string2(rc));
		return -1;
	}
	a->seq++;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += AMQP_CONN_TIMEOUT;
	for (;;) {
		/* Other frames do not extend the wait: one deadline. */
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec)) {
			xasprintf(cause, "publish confirm: timed out");
			return -1;
		}
		left = (end.tv_sec - now.tv_sec) * 1000000 +
		    (end.tv_nsec - now.tv_nsec) / 1000;
		tv.tv_sec = left / 1000000;
		tv.tv_usec = left % 1000000;
		amqp_maybe_release_buffers(a->c);
		rc = amqp_simple_wait_frame_noblock(a->c, &f, &tv);
		if (rc != AMQP_STATUS_OK) {
			xasprintf(cause, "publish confirm: %s",
			    amqp_error_string2(rc));
			return -1;
		}
		if (f.frame_type != AMQP_FRAME_METHOD)
			continue;
		if (f.payload.method.id == AMQP_BASIC_ACK_METHOD) {
			ack = f.payload.method.decoded;
			if (ack->delivery_tag >= a->seq)
				return 0;
			continue;
		}
		if (f.payload.method.id == AMQP_BASIC_NACK_METHOD) {
			xasprintf(cause, "publish: the broker refused it");
			return -1;
		}
		if (f.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
		    f.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD) {
			xasprintf(cause,
			    "publish: the broker closed the "
			    "channel");
			return -1;
		}
	}
}

int
amqp_conn_consume(
    struct amqp_conn *a, const char *name, int prefetch, char **cause)
{
	amqp_basic_qos(a->c, CHANNEL, 0, (uint16_t)prefetch, 0);
	if (reply_check(amqp_get_rpc_reply(a->c), "basic.qos", cause) == -1)
		return -1;
	amqp_basic_consume(a->c, CHANNEL, amqp_cstring_bytes(name),
	    amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
	return reply_check(amqp_get_rpc_reply(a->c), name, cause);
}

int
amqp_conn_read(struct amqp_conn *a, amqp_envelope_t *env, char **cause)
{
	struct timeval zero = { 0, 0 };
	amqp_rpc_reply_t r;
	amqp_frame_t f;
	int rc;

	amqp_maybe_release_buffers(a->c);
	r = amqp_consume_message(a->c, env, &zero, 0);
	if (r.reply_type == AMQP_RESPONSE_NORMAL)
		return 1;
	if (r.reply_type != AMQP_RESPONSE_LIBRARY_EXCEPTION)
		return reply_check(r, "consume", cause);
	if (r.library_error == AMQP_STATUS_TIMEOUT)
		return 0;
	if (r.library_error != AMQP_STATUS_UNEXPECTED_STATE)
		return reply_check(r, "consume", cause);
	/* Not a delivery: a confirm (ignored) or the broker closing. */
	rc = amqp_simple_wait_frame_noblock(a->c, &f, &zero);
	if (rc == AMQP_STATUS_TIMEOUT)
		return 0;
	if (rc != AMQP_STATUS_OK) {
		xasprintf(cause, "read: %s", amqp_error_string2(rc));
		return -1;
	}
	if (f.frame_type == AMQP_FRAME_METHOD &&
	    (f.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
	        f.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD)) {
		xasprintf(cause, "the broker closed the connection");
		return -1;
	}
	return 0;
}

int
amqp_conn_ack(struct amqp_conn *a, uint64_t tag, char **cause)
{
	int rc;

	rc = amqp_basic_ack(a->c, CHANNEL, tag, 0);
	if (rc != AMQP_STATUS_OK) {
		xasprintf(cause, "ack: %s", amqp_error_string2(rc));
		return -1;
	}
	return 0;
}
