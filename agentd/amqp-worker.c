/* SPDX-License-Identifier: ISC */
/*
 * The amqp queue backend, worker side: consume the work queues this
 * worker's labels qualify it for, run each run with the ordinary
 * supervisor (sandbox, timeouts, output capture), and report every state
 * change, with the output's tail at the end, on the reply queue. Each
 * delivery is first claimed from the scheduler (amqp-sched.c), which
 * answers go or drop on this worker's control queue, so a run published
 * twice or redelivered runs at most once. A delivery is acknowledged only
 * once its final report is confirmed, so a worker that dies mid-run has
 * its run redelivered; the scheduler then knows whether it finished and
 * otherwise applies the job's retry policy.
 */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "amqp-int.h"
#include "log.h"
#include "output.h"
#include "xmalloc.h"

static struct amqp_wrun **
wrun_find(struct amqp_q *aq, int64_t id)
{
	struct amqp_wrun **pp;

	for (pp = &aq->wruns; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->run_id == id)
			return pp;
	}
	return NULL;
}

/* Publishes BODY on the reply queue, or keeps it for after a reconnect. */
static int
send_reply(struct amqp_q *aq, const char *msgid, char *body)
{
	struct amqp_outbox *o, **pp;
	char *cause = NULL;

	if (aq->up &&
	    amqp_conn_publish(
	        &aq->pub, aq->replies, msgid, "report", body, &cause) == 0) {
		free(body);
		return 0;
	}
	if (cause != NULL) {
		amqp_q_fail(aq, cause);
		free(cause);
	}
	o = xcalloc(1, sizeof *o);
	o->body = body;
	strlcpy(o->msgid, msgid, sizeof o->msgid);
	for (pp = &aq->outbox; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = o;
	return -1;
}

/* The routes a worker with LABELS serves: every subset of them. */
static int
consume_all(struct amqp_q *aq, char **cause)
{
	const struct queue_config *cfg = &aq->q->cfg;
	char *sub[QUEUE_MAX_LABELS], *sorted[QUEUE_MAX_LABELS], *t, name[160];
	size_t n = cfg->nlabels, i, j, k;
	unsigned mask;
	int prefetch = aq->q->ad->settings.max_running;

	if (prefetch <= 0 || prefetch > 65535)
		prefetch = 64;
	for (i = 0; i < n; i++)
		sorted[i] = cfg->labels[i];
	for (i = 1; i < n; i++) {
		for (j = i; j > 0 && strcmp(sorted[j - 1], sorted[j]) > 0;
		     j--) {
			t = sorted[j];
			sorted[j] = sorted[j - 1];
			sorted[j - 1] = t;
		}
	}
	for (mask = 0; mask < (1u << n); mask++) {
		for (i = k = 0; i < n; i++) {
			if (mask & (1u << i))
				sub[k++] = sorted[i];
		}
		amqp_q_route(cfg, sub, k, name, sizeof name);
		if (amqp_conn_declare(
		        &aq->sub, name, 0, 0, NULL, NULL, cause) == -1 ||
		    amqp_conn_consume(&aq->sub, name, prefetch, cause) == -1)
			return -1;
	}
	return 0;
}

int
amqp_worker_connected(struct amqp_q *aq, char **cause)
{
	struct amqp_outbox *o;
	struct amqp_wrun *w;

	/* Deliveries of the old connection cannot be acknowledged now. */
	for (w = aq->wruns; w != NULL; w = w->next)
		w->tag = 0;
	if (aq->ctl[0] == '\0')
		snprintf(aq->ctl, sizeof aq->ctl, "%.120s.ctl.%.64s.%ld",
		    aq->q->cfg.queue, aq->q->ad->host, (long)getpid());
	/* Exclusive: it goes with this connection, and orders with it. */
	if (amqp_conn_declare(&aq->sub, aq->ctl, 1, 0, NULL, NULL, cause) ==
	        -1 ||
	    amqp_conn_consume(&aq->sub, aq->ctl, 64, cause) == -1)
		return -1;
	while ((o = aq->outbox) != NULL) {
		if (amqp_conn_publish(&aq->pub, aq->replies, o->msgid, "report",
		        o->body, cause) == -1)
			return -1;
		aq->outbox = o->next;
		free(o->body);
		free(o);
	}
	return consume_all(aq, cause);
}

static void
ack(struct amqp_q *aq, uint64_t tag)
{
	char *cause = NULL;

	if (tag == 0 || !aq->up)
		return;
	if (amqp_conn_ack(&aq->sub, tag, &cause) == -1) {
		amqp_q_fail(aq, cause);
		free(cause);
	}
}

static void
wrun_free(struct amqp_wrun *w)
{
	job_free(w->job);
	free(w);
}

/* Asks the scheduler for W's run; its answer comes on the control queue. */
static void
claim(struct amqp_q *aq, struct amqp_wrun *w, int redelivered)
{
	char msgid[32], *body;
	cJSON *o;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "claim");
	cJSON_AddStringToObject(o, "host", aq->q->ad->host);
	cJSON_AddStringToObject(o, "ctl", aq->ctl);
	cJSON_AddNumberToObject(o, "run", (double)w->run_id);
	cJSON_AddBoolToObject(o, "redelivered", redelivered);
	body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	snprintf(msgid, sizeof msgid, "%lld.claim", (long long)w->run_id);
	send_reply(aq, msgid, body);
}

/* The scheduler's answer or order (go, drop, stop) about one run. */
static void
order(struct amqp_q *aq, const amqp_envelope_t *env)
{
	struct agentd *ad = aq->q->ad;
	struct amqp_wrun **pp, *w;
	const cJSON *t, *e, *why;
	struct job *job;
	struct run run;
	cJSON *msg;

	msg = cJSON_ParseWithLength(
	    env->message.body.bytes, env->message.body.len);
	t = cJSON_GetObjectItemCaseSensitive(msg, "type");
	e = cJSON_GetObjectItemCaseSensitive(msg, "run");
	why = cJSON_GetObjectItemCaseSensitive(msg, "why");
	ack(aq, env->delivery_tag);
	if (!cJSON_IsString(t) || !cJSON_IsNumber(e) || !cJSON_IsString(why) ||
	    (pp = wrun_find(aq, (int64_t)e->valuedouble)) == NULL) {
		cJSON_Delete(msg);
		return;
	}
	w = *pp;
	if (strcmp(t->valuestring, "go") == 0 && !w->started) {
		/*
		 * Test only (tests/amqp/amqp.bats): die between the grant
		 * and the start, the window a granted run can be lost in.
		 */
		if (getenv("CRONQ_TEST_CRASH_ON_GO") != NULL)
			raise(SIGKILL);
		/* Starting may end it at once (and free W): copy first. */
		w->started = 1;
		run = w->run;
		job = w->job;
		w->job = NULL;
		supervisor_start_job(ad->sup, &run, job, agentd_now());
		job_free(job);
	} else if (strcmp(t->valuestring, "stop") == 0 && w->started) {
		log_notice("amqp: the scheduler stops run=%lld: %s",
		    (long long)w->run_id, why->valuestring);
		supervisor_stop_run(ad->sup, w->run_id, why->valuestring);
	} else if (!w->started &&
	    (strcmp(t->valuestring, "drop") == 0 ||
	        strcmp(t->valuestring, "stop") == 0)) {
		log_notice("amqp: run=%lld not run here: %s",
		    (long long)w->run_id, why->valuestring);
		*pp = w->next;
		ack(aq, w->tag);
		wrun_free(w);
	}
	cJSON_Delete(msg);
}

void
amqp_worker_delivery(struct amqp_q *aq, const amqp_envelope_t *env)
{
	struct agentd *ad = aq->q->ad;
	struct amqp_wrun **pp, *w;
	struct job *job = NULL;
	struct run run;
	const char *field;
	char *cause = NULL;
	cJSON *msg;

	if (env->routing_key.len == strlen(aq->ctl) &&
	    memcmp(env->routing_key.bytes, aq->ctl, env->routing_key.len) ==
	        0) {
		order(aq, env);
		return;
	}
	msg = cJSON_ParseWithLength(
	    env->message.body.bytes, env->message.body.len);
	if (amqp_run_from_json(
	        cJSON_GetObjectItemCaseSensitive(msg, "run"), &run) == -1 ||
	    (job = job_from_json(cJSON_GetObjectItemCaseSensitive(msg, "job"),
	         NULL, &field, &cause)) == NULL) {
		log_warnx("amqp: dropped a malformed run message: %s",
		    cause != NULL ? cause : "bad run");
		free(cause);
		cJSON_Delete(msg);
		ack(aq, env->delivery_tag);
		return;
	}
	cJSON_Delete(msg);
	job->id = run.job_id;
	job->owner = run.owner;
	if ((pp = wrun_find(aq, run.id)) != NULL) {
		w = *pp;
		job_free(job);
		if (w->tag != 0) {
			/* A second copy while this one holds the first. */
			log_info("amqp: run=%lld delivered twice, copy dropped",
			    (long long)run.id);
			ack(aq, env->delivery_tag);
			return;
		}
		/* Ours, back after a reconnect: ack this copy at the end. */
		w->tag = env->delivery_tag;
		if (!w->started)
			claim(aq, w, 1);
		return;
	}
	w = xcalloc(1, sizeof *w);
	w->run_id = run.id;
	w->tag = env->delivery_tag;
	w->run = run;
	strlcpy(w->run.host, ad->host, sizeof w->run.host);
	w->run.message[0] = '\0';
	w->job = job;
	w->next = aq->wruns;
	aq->wruns = w;
	if (env->redelivered)
		log_notice("amqp: run=%lld redelivered, asking the scheduler",
		    (long long)run.id);
	claim(aq, w, env->redelivered);
}

/* Keeps the newest AMQP_TAIL_BYTES of rendered text. */
struct tail {
	char buf[AMQP_TAIL_BYTES + 1];
	size_t len;
};

static int
tail_sink(void *arg, const void *p, size_t len)
{
	struct tail *t = arg;
	size_t keep;

	if (len >= AMQP_TAIL_BYTES) {
		memcpy(t->buf, (const char *)p + len - AMQP_TAIL_BYTES,
		    AMQP_TAIL_BYTES);
		t->len = AMQP_TAIL_BYTES;
		return 0;
	}
	if (t->len + len > AMQP_TAIL_BYTES) {
		keep = AMQP_TAIL_BYTES - len;
		memmove(t->buf, t->buf + t->len - keep, keep);
		t->len = keep;
	}
	memcpy(t->buf + t->len, p, len);
	t->len += len;
	return 0;
}

/* The last AMQP_TAIL_BYTES of run ID's output as text; caller frees. */
static char *
read_tail(struct agentd *ad, int64_t id)
{
	struct tail *t;
	char *path, *cause = NULL, *out;

	xasprintf(&path, "%s/%lld.log", ad->log_dir, (long long)id);
	t = xcalloc(1, sizeof *t);
	if (output_render(path, 0, tail_sink, t, NULL, &cause) == -1) {
		free(cause);
		t->len = 0;
	}
	free(path);
	t->buf[t->len] = '\0';
	out = xstrdup(t->buf);
	free(t);
	return out;
}

int
amqp_worker_report(
    struct amqp_q *aq, const struct run *run, int final, int retry)
{
	struct amqp_wrun **pp, *w;
	char msgid[32], *body, *tail;
	cJSON *o;
	int sent;

	/* Not delivered here: the scheduler side of role all records it. */
	if (wrun_find(aq, run->id) == NULL)
		return 0;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "state");
	cJSON_AddStringToObject(o, "host", aq->q->ad->host);
	cJSON_AddItemToObject(o, "run", amqp_run_to_json(run));
	if (final) {
		cJSON_AddBoolToObject(o, "retry", retry);
		tail = read_tail(aq->q->ad, run->id);
		cJSON_AddStringToObject(o, "tail", tail);
		free(tail);
	}
	body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	snprintf(msgid, sizeof msgid, "%lld.%s", (long long)run->id,
	    run_state_name(run->state));
	sent = send_reply(aq, msgid, body);
	if (!final || (pp = wrun_find(aq, run->id)) == NULL)
		return 1;
	w = *pp;
	*pp = w->next;
	/* Unconfirmed: the broker redelivers it and the scheduler decides. */
	if (sent == 0)
		ack(aq, w->tag);
	wrun_free(w);
	return 1;
}

void
amqp_worker_tick(struct amqp_q *aq)
{
	struct amqp_wrun *w;
	char *body, *cause = NULL;
	cJSON *o, *a;

	if (aq->wruns == NULL || !aq->up)
		return;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "heartbeat");
	cJSON_AddStringToObject(o, "host", aq->q->ad->host);
	cJSON_AddStringToObject(o, "ctl", aq->ctl);
	a = cJSON_AddArrayToObject(o, "runs");
	for (w = aq->wruns; w != NULL; w = w->next) {
		if (w->started)
			cJSON_AddItemToArray(
			    a, cJSON_CreateNumber((double)w->run_id));
	}
	body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	aq->last_heartbeat_ms = loop_now_ms();
	/* A lost heartbeat is not worth keeping: the next one follows. */
	if (amqp_conn_publish(&aq->pub, aq->replies, "heartbeat", "heartbeat",
	        body, &cause) == -1) {
		amqp_q_fail(aq, cause);
		free(cause);
	}
	free(body);
}

void
amqp_worker_free(struct amqp_q *aq)
{
	struct amqp_wrun *w;
	struct amqp_outbox *o;

	while ((w = aq->wruns) != NULL) {
		aq->wruns = w->next;
		wrun_free(w);
	}
	while ((o = aq->outbox) != NULL) {
		aq->outbox = o->next;
		free(o->body);
		free(o);
	}
}

void
amqp_worker_status(struct amqp_q *aq, cJSON *o)
{
	struct amqp_wrun *w;
	struct amqp_outbox *b;
	int n = 0, m = 0;
	size_t i;
	cJSON *a;

	for (w = aq->wruns; w != NULL; w = w->next)
		n++;
	for (b = aq->outbox; b != NULL; b = b->next)
		m++;
	cJSON_AddNumberToObject(o, "running", n);
	cJSON_AddNumberToObject(o, "reports_waiting", m);
	a = cJSON_AddArrayToObject(o, "labels");
	for (i = 0; i < aq->q->cfg.nlabels; i++)
		cJSON_AddItemToArray(
		    a, cJSON_CreateString(aq->q->cfg.labels[i]));
}
