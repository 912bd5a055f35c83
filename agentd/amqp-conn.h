/* SPDX-License-Identifier: ISC */
/*
 * One AMQP 0-9-1 connection with one channel (librabbitmq), as the queue
 * backend uses it: open from the configured URL (amqps:// over TLS),
 * declare queues, publish with publisher confirms, consume. Every call is
 * bounded by a timeout so the daemon's loop never waits for long.
 */
#ifndef AMQP_CONN_H
#define AMQP_CONN_H

#include <stdint.h>

#include <amqp.h>

#include "queue.h"

/* Seconds any one broker round trip may take before the link is dropped. */
#define AMQP_CONN_TIMEOUT 5

struct amqp_conn {
	amqp_connection_state_t c; /* NULL when closed */
	int fd;
	uint64_t seq; /* the last publish's confirm number */
};

/*
 * Connects to CFG->url, logs in and opens channel 1 (in confirm mode when
 * CONFIRM). -1 with *cause (one line, the caller's).
 */
int amqp_conn_open(struct amqp_conn *a, const struct queue_config *cfg,
    int confirm, char **cause);
void amqp_conn_close(struct amqp_conn *a);
/*
 * Declares queue NAME: durable or exclusive (auto-deleted with the
 * connection); PASSIVE only checks it and reads *COUNT (may be NULL).
 * -1 with *cause; *LOCKED set when an exclusive queue is someone else's.
 */
int amqp_conn_declare(struct amqp_conn *a, const char *name, int exclusive,
    int passive, uint32_t *count, int *locked, char **cause);
/*
 * Publishes BODY persistently to queue RKEY with MSGID and TYPE, then waits
 * for the broker's confirm. -1 with *cause when not confirmed.
 */
int amqp_conn_publish(struct amqp_conn *a, const char *rkey, const char *msgid,
    const char *type, const char *body, char **cause);
/* Consumes from NAME with manual acknowledgement, PREFETCH unacked. */
int amqp_conn_consume(
    struct amqp_conn *a, const char *name, int prefetch, char **cause);
/*
 * Reads whatever arrived without blocking: one delivery into *ENV (1;
 * free with amqp_destroy_envelope), nothing (0), or a broken link (-1
 * with *cause). Also keeps the heartbeats going.
 */
int amqp_conn_read(struct amqp_conn *a, amqp_envelope_t *env, char **cause);
int amqp_conn_ack(struct amqp_conn *a, uint64_t tag, char **cause);

#endif
