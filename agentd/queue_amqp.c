/* SPDX-License-Identifier: ISC */
/*
 * The amqp queue backend, scheduler side: the one active scheduler holds
 * an exclusive queue on the broker as its lock, publishes each committed
 * run (message id = run id) with publisher confirms, and records what the
 * workers report on the reply queue, staying the one writer of the
 * database. While the broker is away runs stay queued in SQLite and go
 * out when it returns. The worker side is amqp-worker.c, the handling of
 * the reply queue amqp-sched.c.
 *
 * Recovery, on start and after the broker returns, is the pending list:
 * every queued run whose runs.published_at is 0 (committed, never
 * confirmed) is published again under its run id; one marked published,
 * or claimed by a worker meanwhile, is left to the broker. A copy too many
 * is harmless: workers run a run only when the scheduler grants their
 * claim, and it grants one claim per run.
 *
 * librabbitmq blocks, so its sockets sit in the daemon's epoll set and are
 * only read when readable, with zero timeouts; publishing waits for its
 * confirm at most AMQP_CONN_TIMEOUT seconds.
 */
#include "config.h"

#include <sys/epoll.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "amqp-int.h"
#include "dlib.h"
#include "log.h"
#include "output.h"
#include "xmalloc.h"

/* role all runs both sides, each with its own connections. */
struct amqp_pair {
	struct amqp_q *sched;
	struct amqp_q *work;
};

static int connect_side(struct amqp_q *aq, char **cause);

void
amqp_q_route(const struct queue_config *cfg, char *const *labels,
    size_t nlabels, char *name, size_t len)
{
	size_t i;

	strlcpy(name, cfg->queue, len);
	for (i = 0; i < nlabels; i++) {
		strlcat(name, i == 0 ? "." : "+", len);
		strlcat(name, labels[i], len);
	}
}

cJSON *
amqp_run_to_json(const struct run *run)
{
	cJSON *o;

	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)run->id);
	cJSON_AddNumberToObject(o, "job_id", (double)run->job_id);
	cJSON_AddStringToObject(o, "job", run->job);
	cJSON_AddNumberToObject(o, "owner", (double)run->owner);
	cJSON_AddNumberToObject(o, "attempt", run->attempt);
	cJSON_AddNumberToObject(o, "first_run_id", (double)run->first_run_id);
	cJSON_AddNumberToObject(o, "trigger", run->trigger);
	cJSON_AddNumberToObject(o, "schedule", run->schedule);
	cJSON_AddNumberToObject(o, "scheduled_at", (double)run->scheduled_at);
	cJSON_AddNumberToObject(o, "queued_at", (double)run->queued_at);
	cJSON_AddNumberToObject(o, "started_at", (double)run->started_at);
	cJSON_AddNumberToObject(o, "finished_at", (double)run->finished_at);
	cJSON_AddNumberToObject(o, "pid", run->pid);
	cJSON_AddNumberToObject(o, "exit_code", run->exit_code);
	cJSON_AddNumberToObject(o, "signal", run->signal);
	cJSON_AddNumberToObject(o, "state", run->state);
	cJSON_AddNumberToObject(o, "output_bytes", (double)run->output_bytes);
	cJSON_AddStringToObject(o, "host", run->host);
	cJSON_AddStringToObject(o, "boot_id", run->boot_id);
	cJSON_AddStringToObject(o, "message", run->message);
	cJSON_AddStringToObject(o, "triggered_by", run->triggered_by);
	return o;
}

static int
num(const cJSON *o, const char *k, int64_t *v)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsNumber(e))
		return -1;
	*v = (int64_t)e->valuedouble;
	return 0;
}

static int
str(const cJSON *o, const char *k, char *buf, size_t len)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsString(e))
		return -1;
	strlcpy(buf, e->valuestring, len);
	return 0;
}

int
amqp_run_from_json(const cJSON *o, struct run *run)
{
	int64_t v[13];
	static const char *keys[13] = { "id", "job_id", "owner", "attempt",
		"first_run_id", "trigger", "schedule", "scheduled_at",
		"queued_at", "started_at", "finished_at", "pid", "state" };
	int64_t x[4];
	size_t i;

	memset(run, 0, sizeof *run);
	for (i = 0; i < 13; i++) {
		if (num(o, keys[i], &v[i]) == -1)
			return -1;
	}
	if (num(o, "exit_code", &x[0]) == -1 || num(o, "signal", &x[1]) ||
	    num(o, "output_bytes", &x[2]) == -1 ||
	    str(o, "job", run->job, sizeof run->job) == -1 ||
	    str(o, "host", run->host, sizeof run->host) == -1 ||
	    str(o, "boot_id", run->boot_id, sizeof run->boot_id) == -1 ||
	    str(o, "message", run->message, sizeof run->message) == -1 ||
	    str(o, "triggered_by", run->triggered_by,
	        sizeof run->triggered_by) == -1)
		return -1;
	if (v[0] <= 0 || v[12] < RUN_QUEUED || v[12] > RUN_SKIPPED ||
	    v[5] < TRIGGER_SCHEDULE || v[5] > TRIGGER_RETRY)
		return -1;
	run->id = v[0];
	run->job_id = v[1];
	run->owner = (uid_t)v[2];
	run->attempt = (int)v[3];
	run->first_run_id = v[4];
	run->trigger = (enum run_trigger)v[5];
	run->schedule = (int)v[6];
	run->scheduled_at = v[7];
	run->queued_at = v[8];
	run->started_at = v[9];
	run->finished_at = v[10];
	run->pid = (pid_t)v[11];
	run->state = (enum run_state)v[12];
	run->exit_code = (int)x[0];
	run->signal = (int)x[1];
	run->output_bytes = x[2];
	return 0;
}

/* ---- connections ---- */

static void on_readable(int fd, uint32_t events, void *arg);

static void
side_close(struct amqp_q *aq)
{
	struct loop *loop = aq->q->ad->loop;

	if (aq->pub.c != NULL)
		loop_del_fd(loop, aq->pub.fd);
	if (aq->sub.c != NULL)
		loop_del_fd(loop, aq->sub.fd);
	amqp_conn_close(&aq->pub);
	amqp_conn_close(&aq->sub);
	aq->ndeclared = 0;
}

static void
retry_connect(void *arg)
{
	struct amqp_q *aq = arg;
	char *cause = NULL;

	aq->retry_timer = NULL;
	if (connect_side(aq, &cause) == 0)
		return;
	if (aq->locked_out)
		fatalx("amqp: another scheduler took the lock while the "
		       "broker was away; exiting to stand by");
	amqp_q_fail(aq, cause);
	free(cause);
}

void
amqp_q_fail(struct amqp_q *aq, const char *why)
{
	int64_t now_ms = loop_now_ms();

	side_close(aq);
	if (aq->up) {
		log_warnx("amqp: broker link lost (%s), reconnecting", why);
		aq->down_since = agentd_now();
		aq->backoff_ms = AMQP_BACKOFF_MIN_MS;
	} else if (strcmp(aq->error, why) != 0)
		log_warnx("amqp: cannot reach the broker: %s", why);
	aq->up = 0;
	strlcpy(aq->error, why, sizeof aq->error);
	if (aq->retry_timer == NULL)
		aq->retry_timer = loop_timer_add(aq->q->ad->loop,
		    now_ms + aq->backoff_ms, retry_connect, aq);
	aq->backoff_ms = aq->backoff_ms * 2 > AMQP_BACKOFF_MAX_MS
	    ? AMQP_BACKOFF_MAX_MS
	    : aq->backoff_ms * 2;
}

/* Takes the scheduler lock on PUB: 0, 1 when another scheduler has it. */
static int
take_lock(struct amqp_q *aq, char **cause)
{
	char name[192];
	int locked;

	snprintf(name, sizeof name, "%s.scheduler-lock", aq->q->cfg.queue);
	if (amqp_conn_declare(&aq->pub, name, 1, 0, NULL, &locked, cause) == 0)
		return 0;
	return locked ? 1 : -1;
}

/* Connects one side; for a scheduler, fails if another took the lock. */
static int
connect_side(struct amqp_q *aq, char **cause)
{
	struct queue *q = aq->q;
	int rc;

	aq->locked_out = 0;
	if (amqp_conn_open(&aq->pub, &q->cfg, 1, cause) == -1)
		return -1;
	if (aq->last_heartbeat_ms < 0) { /* the scheduler side */
		rc = take_lock(aq, cause);
		if (rc == 1) {
			aq->locked_out = 1;
			free(*cause);
			*cause = xstrdup("another scheduler holds the lock");
		}
		if (rc != 0)
			goto fail;
	}
	if (amqp_conn_open(&aq->sub, &q->cfg, 0, cause) == -1)
		goto fail;
	if (amqp_conn_declare(&aq->sub, aq->replies, 0, 0, NULL, NULL, cause) ==
	    -1)
		goto fail;
	if (aq->last_heartbeat_ms < 0) {
		if (amqp_conn_consume(&aq->sub, aq->replies, 256, cause) == -1)
			goto fail;
	} else if (amqp_worker_connected(aq, cause) == -1)
		goto fail;
	loop_add_fd(q->ad->loop, aq->pub.fd, EPOLLIN, on_readable, aq);
	loop_add_fd(q->ad->loop, aq->sub.fd, EPOLLIN, on_readable, aq);
	if (!aq->up && aq->down_since != 0)
		log_notice("amqp: broker link back after %llds",
		    (long long)(agentd_now() - aq->down_since));
	aq->up = 1;
	aq->down_since = 0;
	aq->error[0] = '\0';
	aq->backoff_ms = AMQP_BACKOFF_MIN_MS;
	aq->reconnects++;
	return 0;

fail:
	side_close(aq);
	return -1;
}

/* ---- the loop's side ---- */

static void
on_readable(int fd, uint32_t events, void *arg)
{
	struct amqp_q *aq = arg;
	struct amqp_conn *a = fd == aq->pub.fd ? &aq->pub : &aq->sub;
	amqp_envelope_t env;
	char *cause = NULL;
	int rc;

	(void)events;
	while (a->c != NULL && (rc = amqp_conn_read(a, &env, &cause)) == 1) {
		if (aq->last_heartbeat_ms < 0) {
			amqp_sched_message(aq, &env);
			/* Recorded (group commit) before it is acked. */
			store_flush(aq->q->ad->store);
			/* An answer failed: the reply comes again later. */
			if (a->c == NULL)
				rc = -1;
			else if (amqp_conn_ack(a, env.delivery_tag, &cause) ==
			    -1)
				rc = -1;
		} else
			amqp_worker_delivery(aq, &env);
		amqp_destroy_envelope(&env);
		if (rc == -1 || cause != NULL)
			break;
	}
	if (cause != NULL) {
		amqp_q_fail(aq, cause);
		free(cause);
	}
}

static void
on_tick(void *arg)
{
	struct amqp_q *aq = arg;

	aq->tick_timer = loop_timer_add(
	    aq->q->ad->loop, loop_now_ms() + AMQP_HEARTBEAT_MS, on_tick, aq);
	if (aq->up) {
		/* Keeps librabbitmq's heartbeats flowing on idle links. */
		on_readable(aq->pub.fd, 0, aq);
		if (aq->up)
			on_readable(aq->sub.fd, 0, aq);
	}
	if (aq->last_heartbeat_ms < 0)
		amqp_sched_tick(aq, agentd_now());
	else
		amqp_worker_tick(aq);
}

static struct amqp_q *
side_new(struct queue *q, int scheduler)
{
	struct amqp_q *aq;

	aq = xcalloc(1, sizeof *aq);
	aq->q = q;
	aq->backoff_ms = AMQP_BACKOFF_MIN_MS;
	aq->last_heartbeat_ms = scheduler ? -1 : 0;
	snprintf(aq->replies, sizeof aq->replies, "%s.replies", q->cfg.queue);
	return aq;
}

/* The scheduler waits here, as a standby, until it holds the lock. */
static int
sched_start(struct amqp_q *aq, char **cause)
{
	int said = 0;
	char *why = NULL;

	while (connect_side(aq, &why) == -1) {
		if (!said)
			log_notice("amqp: standby: %s; retrying every second",
			    why != NULL ? why : "the lock is taken");
		said = 1;
		free(why);
		why = NULL;
		sleep(1);
	}
	(void)cause;
	log_notice("amqp: this scheduler holds the lock on %s", aq->q->cfg.url);
	return 0;
}

static int
amqp_start(struct queue *q, char **cause)
{
	struct amqp_pair *p;
	char *why = NULL;

	if (dlib_amqp_load(cause) == -1)
		return -1;
	p = xcalloc(1, sizeof *p);
	q->priv = p;
	if (q->cfg.role != QUEUE_ROLE_WORKER) {
		p->sched = side_new(q, 1);
		if (sched_start(p->sched, cause) == -1)
			return -1;
		p->sched->tick_timer = loop_timer_add(
		    q->ad->loop, loop_now_ms() + 1000, on_tick, p->sched);
	}
	if (q->cfg.role != QUEUE_ROLE_SCHEDULER) {
		p->work = side_new(q, 0);
		if (connect_side(p->work, &why) == -1) {
			amqp_q_fail(p->work, why);
			free(why);
		}
		p->work->tick_timer = loop_timer_add(q->ad->loop,
		    loop_now_ms() + AMQP_HEARTBEAT_MS, on_tick, p->work);
	}
	return 0;
}

static int
amqp_ready(struct queue *q)
{
	struct amqp_pair *p = q->priv;

	return p->sched == NULL || p->sched->up;
}

/* Declares queue NAME once per connection (durable, survives restarts). */
static int
declare_once(struct amqp_q *aq, const char *name, char **cause)
{
	int i;

	for (i = 0; i < aq->ndeclared; i++) {
		if (strcmp(aq->declared[i], name) == 0)
			return 0;
	}
	if (amqp_conn_declare(&aq->pub, name, 0, 0, NULL, NULL, cause) == -1)
		return -1;
	if (aq->ndeclared < 32)
		strlcpy(aq->declared[aq->ndeclared++], name,
		    sizeof aq->declared[0]);
	return 0;
}

/*
 * 1 when RUN is already out on the broker: confirmed before a restart, a
 * failover or a broker outage, or claimed by a worker (a claim can come
 * before the confirm's mark when the scheduler died in between), or over.
 */
static int
out_there(struct agentd *ad, const struct run *run)
{
	struct run cur;

	if (run->published_at != 0)
		return 1;
	if (store_run_load(ad->store, run->id, &cur) == -1)
		return 0;
	return cur.published_at != 0 || run_state_final(cur.state) ||
	    cur.state == RUN_RUNNING;
}

static int
amqp_take(
    struct queue *q, const struct run *run, const struct job *job, int64_t now)
{
	struct amqp_pair *p = q->priv;
	struct amqp_q *aq = p->sched;
	struct run pub;
	char name[160], id[32], *body, *cause = NULL;
	cJSON *o;

	if (aq == NULL || !aq->up)
		return -1;
	if (out_there(q->ad, run)) {
		log_debug("amqp: run=%lld already out, left to the broker",
		    (long long)run->id);
		return 0;
	}
	/* Committed before it is published: a crash cannot orphan it. */
	if (store_flush(q->ad->store) == -1)
		return -1;
	amqp_q_route(&q->cfg, job->labels, job->nlabels, name, sizeof name);
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "run", amqp_run_to_json(run));
	cJSON_AddItemToObject(o, "job", job_to_json(job, 1));
	body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	snprintf(id, sizeof id, "%lld", (long long)run->id);
	if (declare_once(aq, name, &cause) == -1 ||
	    amqp_conn_publish(&aq->pub, name, id, run->job, body, &cause) ==
	        -1) {
		free(body);
		amqp_q_fail(aq, cause);
		free(cause);
		return -1;
	}
	free(body);
	/*
	 * Test only (tests/amqp/amqp.bats): die between the broker's confirm
	 * and the mark, the one window where a run is published twice.
	 */
	if (getenv("CRONQ_TEST_CRASH_AFTER_PUBLISH") != NULL) {
		log_warnx("amqp: CRONQ_TEST_CRASH_AFTER_PUBLISH: dying now");
		raise(SIGKILL);
	}
	aq->published++;
	pub = *run;
	pub.published_at = now > 0 ? now : 1;
	snprintf(pub.message, sizeof pub.message, "published to %s", name);
	supervisor_record(q->ad->sup, &pub);
	return 0;
}

static int
amqp_cancel(struct queue *q, int64_t id, const char *why)
{
	struct amqp_pair *p = q->priv;

	if (p->sched == NULL) {
		errno = ENOENT;
		return -1;
	}
	return amqp_sched_cancel(p->sched, id, why);
}

static int
amqp_report(struct queue *q, const struct run *run, int final, int retry)
{
	struct amqp_pair *p = q->priv;

	if (p->work == NULL)
		return 0;
	return amqp_worker_report(p->work, run, final, retry);
}

static void
side_status(struct amqp_q *aq, cJSON *o)
{
	cJSON_AddStringToObject(o, "state",
	    aq->up ? "connected"
	           : (aq->locked_out ? "standby" : "reconnecting"));
	if (!aq->up) {
		cJSON_AddStringToObject(o, "error", aq->error);
		cJSON_AddNumberToObject(
		    o, "down_since", (double)aq->down_since);
	}
	cJSON_AddNumberToObject(o, "reconnects",
	    aq->reconnects > 0 ? (double)(aq->reconnects - 1) : 0);
}

static void
amqp_status(struct queue *q, cJSON *o)
{
	struct amqp_pair *p = q->priv;
	cJSON *s;

	cJSON_AddStringToObject(o, "queue", q->cfg.queue);
	if (p->sched != NULL) {
		s = cJSON_AddObjectToObject(o, "scheduler");
		side_status(p->sched, s);
		cJSON_AddNumberToObject(
		    s, "published", (double)p->sched->published);
		cJSON_AddNumberToObject(
		    s, "reports", (double)p->sched->reports);
		cJSON_AddNumberToObject(s, "out_on_workers",
		    store_run_count_inflight(q->ad->store, 0));
		cJSON_AddNumberToObject(s, "waiting_for_broker",
		    p->sched->up ? 0 : supervisor_count_queued(q->ad->sup));
		if (!p->sched->up)
			cJSON_AddStringToObject(s, "note",
			    "runs stay queued here and are published when "
			    "the broker returns");
	}
	if (p->work != NULL) {
		s = cJSON_AddObjectToObject(o, "worker");
		side_status(p->work, s);
		amqp_worker_status(p->work, s);
	}
}

/* Per route: queued runs and the age of the oldest, from the database. */
struct route_stat {
	char name[160];
	int count;
	int64_t oldest;
};

static void
amqp_metrics(struct queue *q, FILE *out)
{
	struct amqp_pair *p = q->priv;
	struct route_stat st[32];
	struct run *runs;
	struct job *job;
	char name[160];
	size_t n, i;
	int nst = 0, k;
	int64_t now = agentd_now();
	uint32_t depth;
	char *cause = NULL;

	if (p->sched == NULL ||
	    store_run_list_state(q->ad->store, RUN_QUEUED, &runs, &n) == -1)
		return;
	for (i = 0; i < n; i++) {
		if ((job = store_job_load(q->ad->store, runs[i].job_id)) ==
		    NULL)
			continue;
		amqp_q_route(
		    &q->cfg, job->labels, job->nlabels, name, sizeof name);
		job_free(job);
		for (k = 0; k < nst && strcmp(st[k].name, name) != 0; k++)
			;
		if (k == nst) {
			if (nst == 32)
				continue;
			strlcpy(st[nst].name, name, sizeof st[0].name);
			st[nst].count = 0;
			st[nst].oldest = runs[i].queued_at;
			nst++;
		}
		st[k].count++;
		if (runs[i].queued_at < st[k].oldest)
			st[k].oldest = runs[i].queued_at;
	}
	free(runs);
	fprintf(out,
	    "# HELP cronq_queue_runs Runs queued and not yet started, "
	    "per broker queue.\n# TYPE cronq_queue_runs gauge\n");
	for (k = 0; k < nst; k++)
		fprintf(out, "cronq_queue_runs{queue=\"%s\"} %d\n", st[k].name,
		    st[k].count);
	fprintf(out,
	    "# HELP cronq_queue_oldest_seconds Age of the oldest "
	    "queued run, per broker queue.\n"
	    "# TYPE cronq_queue_oldest_seconds gauge\n");
	for (k = 0; k < nst; k++)
		fprintf(out, "cronq_queue_oldest_seconds{queue=\"%s\"} %lld\n",
		    st[k].name, (long long)(now - st[k].oldest));
	if (!p->sched->up)
		return;
	fprintf(out,
	    "# HELP cronq_broker_messages Messages ready in the "
	    "broker, per queue.\n# TYPE cronq_broker_messages gauge\n");
	for (k = 0; k < p->sched->ndeclared; k++) {
		if (amqp_conn_declare(&p->sched->pub, p->sched->declared[k], 0,
		        1, &depth, NULL, &cause) == -1) {
			amqp_q_fail(p->sched, cause);
			free(cause);
			return;
		}
		fprintf(out, "cronq_broker_messages{queue=\"%s\"} %u\n",
		    p->sched->declared[k], depth);
	}
}

static void
side_free(struct amqp_q *aq)
{
	struct loop *loop = aq->q->ad->loop;

	side_close(aq);
	if (aq->retry_timer != NULL)
		loop_timer_cancel(loop, aq->retry_timer);
	if (aq->tick_timer != NULL)
		loop_timer_cancel(loop, aq->tick_timer);
	amqp_sched_free(aq);
	amqp_worker_free(aq);
	free(aq);
}

static void
amqp_stop(struct queue *q)
{
	struct amqp_pair *p = q->priv;

	if (p == NULL)
		return;
	if (p->sched != NULL)
		side_free(p->sched);
	if (p->work != NULL)
		side_free(p->work);
	free(p);
	q->priv = NULL;
}

const struct queue_ops queue_amqp_ops = {
	.name = "amqp",
	.start = amqp_start,
	.ready = amqp_ready,
	.take = amqp_take,
	.report = amqp_report,
	.cancel = amqp_cancel,
	.status = amqp_status,
	.metrics = amqp_metrics,
	.stop = amqp_stop,
};
