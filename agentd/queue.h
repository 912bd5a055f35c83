/* SPDX-License-Identifier: ISC */
/*
 * Where due runs go: the queue backend. The local backend (the default)
 * starts them as children of this daemon; the amqp backend publishes them
 * to RabbitMQ for worker agents and records what the workers report. The
 * supervisor keeps the queued runs either way; a backend only decides what
 * "start" means. Everything runs on the loop thread.
 */
#ifndef QUEUE_H
#define QUEUE_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

struct agentd;
struct job;
struct run;

enum queue_role { QUEUE_ROLE_ALL, QUEUE_ROLE_SCHEDULER, QUEUE_ROLE_WORKER };

#define QUEUE_NAME_DEFAULT "cron-jobs-queue"
#define QUEUE_MAX_LABELS 4

/* agentd.yaml `queue:` and the command line (--role, --label, --name). */
struct queue_config {
	char backend[16]; /* "local" or "amqp" */
	char *url;        /* amqp[s]://user:pass@host:port/vhost */
	char queue[128];  /* the work queue's name */
	char *cacert;     /* amqps: CA file; NULL = the system's */
	int verify;       /* amqps: check the broker's certificate */
	enum queue_role role;
	char *labels[QUEUE_MAX_LABELS]; /* a worker's labels */
	size_t nlabels;
};

struct queue;

struct queue_ops {
	const char *name;
	/* Connects (or takes the scheduler lock); -1 with *cause. */
	int (*start)(struct queue *q, char **cause);
	/* 1 when a due run may be handed to take() now. */
	int (*ready)(struct queue *q);
	/*
	 * Hands the committed queued run RUN of JOB (both borrowed) to the
	 * backend: 0 when it is on its way, -1 to keep it queued here.
	 * NULL: the supervisor starts it as a local child.
	 */
	int (*take)(struct queue *q, const struct run *run,
	    const struct job *job, int64_t now);
	/*
	 * A run this process executes changed state; FINAL with RETRY set
	 * when the job's policy wants another attempt. 1 when the backend
	 * reports it elsewhere (a worker: the scheduler records it), 0 to
	 * record it here.
	 */
	int (*report)(
	    struct queue *q, const struct run *run, int final, int retry);
	/*
	 * Stops run ID that this process handed out (take) and no longer
	 * holds: 0 when it is cancelled or on its way to stop, -1 with errno
	 * ENOENT otherwise. NULL: every run is here.
	 */
	int (*cancel)(struct queue *q, int64_t id, const char *why);
	/* Fills GET /status's "queue" object. */
	void (*status)(struct queue *q, cJSON *o);
	/* Appends Prometheus lines to GET /metrics. */
	void (*metrics)(struct queue *q, FILE *out);
	void (*stop)(struct queue *q);
};

struct queue {
	const struct queue_ops *ops;
	struct agentd *ad;
	struct queue_config cfg;
	void *priv; /* the backend's */
};

/* queue.c: the configuration and the calls the daemon makes. */
void queue_config_init(struct queue_config *cfg);
void queue_config_clear(struct queue_config *cfg);
/*
 * Reads the `queue:` mapping of agentd.yaml FILE into CFG (a missing file
 * or key leaves the defaults); -1 with *cause naming the bad key.
 */
int queue_config_load(struct queue_config *cfg, const char *file, char **cause);
/* "all", "scheduler" or "worker"; -1 otherwise. */
int queue_role_parse(const char *s);
const char *queue_role_name(enum queue_role r);
/* Adds a worker label (--label); -1 with *cause. */
int queue_config_add_label(
    struct queue_config *cfg, const char *label, char **cause);
/* The backend CFG names, bound to AD (CFG is moved); NULL + *cause. */
struct queue *queue_create(
    struct agentd *ad, struct queue_config *cfg, char **cause);
void queue_free(struct queue *q);
int queue_ready(struct queue *q);
int queue_remote(struct queue *q);
int queue_take(
    struct queue *q, const struct run *run, const struct job *job, int64_t now);
int queue_report(struct queue *q, const struct run *run, int final, int retry);
int queue_cancel(struct queue *q, int64_t id, const char *why);
void queue_status(struct queue *q, cJSON *o);
void queue_metrics(struct queue *q, FILE *out);

/* queue_local.c and queue_amqp.c */
extern const struct queue_ops queue_local_ops;
extern const struct queue_ops queue_amqp_ops;

#endif
