/* SPDX-License-Identifier: ISC */
/*
 * The amqp queue backend's private state, shared by its scheduler side
 * (queue_amqp.c) and its worker side (amqp-worker.c).
 */
#ifndef AMQP_INT_H
#define AMQP_INT_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "agentd.h"
#include "amqp-conn.h"
#include "queue.h"

/* A worker reports each running run this often; silence means it died. */
#define AMQP_HEARTBEAT_MS 1000
/* How long the scheduler waits for a redelivered run's worker to speak. */
#define AMQP_SUSPECT_SECS 5
/* Reconnect backoff bounds. */
#define AMQP_BACKOFF_MIN_MS 250
#define AMQP_BACKOFF_MAX_MS 5000
/* Bytes of a run's output tail sent back with its result. */
#define AMQP_TAIL_BYTES 4096

/* A run the scheduler heard was redelivered: decided at DEADLINE. */
struct amqp_suspect {
	int64_t run_id;
	int64_t deadline;
	struct amqp_suspect *next;
};

/*
 * A run delivered to this worker, and the delivery to acknowledge. It
 * starts only when the scheduler grants the claim ("go"), so a message
 * published twice, or redelivered, never runs twice.
 */
struct amqp_wrun {
	int64_t run_id;
	uint64_t tag; /* 0: the delivery is gone with an old connection */
	int started;
	struct run run;  /* until started */
	struct job *job; /* until started */
	struct amqp_wrun *next;
};

/* A worker the scheduler heard from, and its control queue. */
struct amqp_peer {
	char host[64];
	char ctl[256];
	struct amqp_peer *next;
};

/* A report not yet confirmed by the broker (it was away). */
struct amqp_outbox {
	char *body;
	char msgid[32];
	struct amqp_outbox *next;
};

struct amqp_q {
	struct queue *q;
	struct amqp_conn pub; /* publishes with confirms; the lock */
	struct amqp_conn sub; /* consumes: replies or work */
	int up;
	int locked_out; /* the scheduler lock is another scheduler's */
	char error[256];
	int64_t down_since; /* wall seconds; 0 while up */
	int backoff_ms;
	struct loop_timer *retry_timer;
	struct loop_timer *tick_timer;
	char replies[160]; /* the reply queue's name */
	uint64_t published;
	uint64_t reports;
	uint64_t reconnects;

	/* scheduler */
	char declared[32][160];
	int ndeclared;
	struct amqp_suspect *suspects;
	struct amqp_peer *peers;

	/* worker */
	struct amqp_wrun *wruns;
	struct amqp_outbox *outbox;
	int64_t last_heartbeat_ms;
	char ctl[256]; /* this worker's control queue: go, drop, stop */
};

/* queue_amqp.c */
/* Drops both connections and schedules a reconnect; WHY is logged. */
void amqp_q_fail(struct amqp_q *aq, const char *why);
/* The queue name runs requiring LABELS go to (NAME of size LEN). */
void amqp_q_route(const struct queue_config *cfg, char *const *labels,
    size_t nlabels, char *name, size_t len);
cJSON *amqp_run_to_json(const struct run *run);
/* Fills RUN from O (the fields a report carries); -1 if malformed. */
int amqp_run_from_json(const cJSON *o, struct run *run);

/* amqp-sched.c */
/* One message on the reply queue: a claim, a state report, a heartbeat. */
void amqp_sched_message(struct amqp_q *aq, const amqp_envelope_t *env);
/*
 * Once a second: a redelivered run whose worker stayed silent is lost (and
 * retried by policy), or published again if it never started.
 */
void amqp_sched_tick(struct amqp_q *aq, int64_t now);
/*
 * Stops run ID, published or running on a worker: 0 when it is cancelled
 * or its worker was told; -1 with errno ENOENT when it is not out there.
 */
int amqp_sched_cancel(struct amqp_q *aq, int64_t id, const char *why);
void amqp_sched_free(struct amqp_q *aq);

/* amqp-worker.c */
/* After (re)connecting: declare and consume the worker's queues. */
int amqp_worker_connected(struct amqp_q *aq, char **cause);
void amqp_worker_delivery(struct amqp_q *aq, const amqp_envelope_t *env);
int amqp_worker_report(
    struct amqp_q *aq, const struct run *run, int final, int retry);
void amqp_worker_tick(struct amqp_q *aq);
void amqp_worker_free(struct amqp_q *aq);
void amqp_worker_status(struct amqp_q *aq, cJSON *o);

#endif
