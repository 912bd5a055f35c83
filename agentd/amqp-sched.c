/* SPDX-License-Identifier: ISC */
/*
 * The amqp queue backend, scheduler side of the reply queue. The scheduler
 * is the one writer of the database, so it is also the one judge of who
 * runs a run: a worker that receives a run claims it and starts it only
 * when the scheduler answers "go" on the worker's control queue. The first
 * claim of a queued run wins and names the worker in the run's host; any
 * later claim (a second copy published before a crash, a redelivery while
 * the first worker still runs it) is answered "drop". The same control
 * queue carries "stop" for `cronq stop` and the replace policy.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amqp-int.h"
#include "log.h"
#include "output.h"
#include "xmalloc.h"

static void
text(const cJSON *o, const char *k, char *buf, size_t len)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, k);

	buf[0] = '\0';
	if (cJSON_IsString(e))
		strlcpy(buf, e->valuestring, len);
}

static struct amqp_suspect **
suspect_find(struct amqp_q *aq, int64_t id)
{
	struct amqp_suspect **pp;

	for (pp = &aq->suspects; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->run_id == id)
			return pp;
	}
	return NULL;
}

static void
suspect_clear(struct amqp_q *aq, int64_t id)
{
	struct amqp_suspect **pp, *s;

	if ((pp = suspect_find(aq, id)) == NULL)
		return;
	s = *pp;
	*pp = s->next;
	free(s);
}

/* Remembers where worker HOST takes orders (its newest control queue). */
static void
peer_note(struct amqp_q *aq, const char *host, const char *ctl)
{
	struct amqp_peer *p;

	if (*host == '\0' || *ctl == '\0')
		return;
	for (p = aq->peers; p != NULL; p = p->next) {
		if (strcmp(p->host, host) == 0)
			break;
	}
	if (p == NULL) {
		p = xcalloc(1, sizeof *p);
		strlcpy(p->host, host, sizeof p->host);
		p->next = aq->peers;
		aq->peers = p;
	}
	strlcpy(p->ctl, ctl, sizeof p->ctl);
}

static const char *
peer_ctl(struct amqp_q *aq, const char *host)
{
	struct amqp_peer *p;

	for (p = aq->peers; p != NULL; p = p->next) {
		if (strcmp(p->host, host) == 0)
			return p->ctl;
	}
	return NULL;
}

/* Sends order TYPE (go, drop, stop) about run ID to control queue CTL. */
static void
order(struct amqp_q *aq, const char *ctl, const char *type, int64_t id,
    const char *why)
{
	char msgid[48], *body, *cause = NULL;
	cJSON *o;

	if (!aq->up)
		return;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddNumberToObject(o, "run", (double)id);
	cJSON_AddStringToObject(o, "why", why);
	body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	snprintf(msgid, sizeof msgid, "%lld.%s", (long long)id, type);
	if (amqp_conn_publish(&aq->pub, ctl, msgid, type, body, &cause) == -1) {
		amqp_q_fail(aq, cause);
		free(cause);
	}
	free(body);
}

/* Keeps the tail of a remote run's output as its log here. */
static void
write_tail(struct agentd *ad, int64_t id, const char *tail)
{
	struct output *o;
	char *path, *cause = NULL;

	xasprintf(&path, "%s/%lld.log", ad->log_dir, (long long)id);
	if ((o = output_open(path, OUTPUT_CAP_MIN, &cause)) == NULL) {
		log_warnx("amqp: %s", cause);
		free(cause);
	} else {
		output_write(o, OUTPUT_STDOUT, tail, strlen(tail));
		output_close(o);
	}
	free(path);
}

/* A worker's state report: the run row is updated from it. */
static void
apply_state(struct amqp_q *aq, const cJSON *msg)
{
	struct agentd *ad = aq->q->ad;
	const cJSON *tail;
	struct run in, cur;
	int retry;

	if (amqp_run_from_json(
	        cJSON_GetObjectItemCaseSensitive(msg, "run"), &in) == -1) {
		log_warnx("amqp: dropped a malformed report");
		return;
	}
	suspect_clear(aq, in.id);
	if (store_run_load(ad->store, in.id, &cur) == -1) {
		log_warnx(
		    "amqp: report for unknown run=%lld", (long long)in.id);
		return;
	}
	if (run_state_final(cur.state)) {
		log_info("amqp: run=%lld already %s, report ignored",
		    (long long)in.id, run_state_name(cur.state));
		return;
	}
	/* Only the worker whose claim won speaks for the run. */
	if (cur.state == RUN_RUNNING && strcmp(cur.host, in.host) != 0) {
		log_warnx("amqp: run=%lld belongs to %s, report of %s ignored",
		    (long long)in.id, cur.host, in.host);
		return;
	}
	cur.state = in.state;
	cur.started_at = in.started_at;
	cur.finished_at = in.finished_at;
	cur.pid = in.pid;
	cur.exit_code = in.exit_code;
	cur.signal = in.signal;
	cur.output_bytes = in.output_bytes;
	strlcpy(cur.host, in.host, sizeof cur.host);
	strlcpy(cur.boot_id, in.boot_id, sizeof cur.boot_id);
	strlcpy(cur.message, in.message, sizeof cur.message);
	aq->reports++;
	supervisor_record(ad->sup, &cur);
	if (!run_state_final(cur.state))
		return;
	tail = cJSON_GetObjectItemCaseSensitive(msg, "tail");
	if (cJSON_IsString(tail))
		write_tail(ad, cur.id, tail->valuestring);
	retry = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "retry"));
	if (retry)
		supervisor_retry(ad->sup, &cur, agentd_now());
}

/*
 * A redelivered run claimed by another worker, or by HOST before it died:
 * its worker must show it is alive within AMQP_SUSPECT_SECS.
 */
static void
suspect_add(struct amqp_q *aq, int64_t id, const char *host)
{
	struct amqp_suspect *s;

	if (suspect_find(aq, id) != NULL)
		return;
	log_notice("amqp: run=%lld redelivered to %s; waiting %ds for "
	           "its worker",
	    (long long)id, host, AMQP_SUSPECT_SECS);
	s = xcalloc(1, sizeof *s);
	s->run_id = id;
	s->deadline = agentd_now() + AMQP_SUSPECT_SECS;
	s->next = aq->suspects;
	aq->suspects = s;
}

/*
 * Worker HOST (control queue CTL) asks to run run ID. The first claim of a
 * waiting run wins and makes it running there; the winner may claim again
 * while it has not reported the start (its "go" went with an old
 * connection). Everything else is dropped, so a run runs once however many
 * copies the broker holds.
 */
static void
apply_claim(struct amqp_q *aq, const cJSON *msg, const char *host)
{
	struct agentd *ad = aq->q->ad;
	const cJSON *e;
	struct run cur;
	char ctl[256], why[128];
	int64_t id;
	int redelivered;

	e = cJSON_GetObjectItemCaseSensitive(msg, "run");
	text(msg, "ctl", ctl, sizeof ctl);
	if (!cJSON_IsNumber(e) || *ctl == '\0' || *host == '\0') {
		log_warnx("amqp: dropped a malformed claim");
		return;
	}
	id = (int64_t)e->valuedouble;
	redelivered =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "redelivered"));
	peer_note(aq, host, ctl);
	if (store_run_load(ad->store, id, &cur) == -1) {
		order(aq, ctl, "drop", id, "unknown run");
		return;
	}
	if (run_state_final(cur.state)) {
		snprintf(
		    why, sizeof why, "already %s", run_state_name(cur.state));
		log_info("amqp: run=%lld claimed by %s but %s", (long long)id,
		    host, why);
		order(aq, ctl, "drop", id, why);
		return;
	}
	/*
	 * Claimed: running on HOST, started_at 0 until the worker reports
	 * the start. Its winner may claim again until then.
	 */
	if (cur.state != RUN_RUNNING ||
	    (cur.started_at == 0 && strcmp(cur.host, host) == 0)) {
		cur.state = RUN_RUNNING;
		cur.started_at = 0;
		strlcpy(cur.host, host, sizeof cur.host);
		snprintf(
		    cur.message, sizeof cur.message, "claimed by %s", host);
		supervisor_record(ad->sup, &cur);
		/* The claim is on disk before the worker acts on it. */
		store_flush(ad->store);
		order(aq, ctl, "go", id, "");
		return;
	}
	snprintf(
	    why, sizeof why, "%s by %s", run_state_name(cur.state), cur.host);
	log_notice("amqp: run=%lld claimed by %s but %s; dropped there",
	    (long long)id, host, why);
	order(aq, ctl, "drop", id, why);
	if (redelivered)
		suspect_add(aq, id, host);
}

void
amqp_sched_message(struct amqp_q *aq, const amqp_envelope_t *env)
{
	const cJSON *t, *e, *runs;
	cJSON *msg;
	char host[64], ctl[160];
	struct run cur;

	msg = cJSON_ParseWithLength(
	    env->message.body.bytes, env->message.body.len);
	t = cJSON_GetObjectItemCaseSensitive(msg, "type");
	text(msg, "host", host, sizeof host);
	text(msg, "ctl", ctl, sizeof ctl);
	if (!cJSON_IsString(t))
		log_warnx("amqp: dropped a reply without a type");
	else if (strcmp(t->valuestring, "claim") == 0)
		apply_claim(aq, msg, host);
	else if (strcmp(t->valuestring, "state") == 0)
		apply_state(aq, msg);
	else if (strcmp(t->valuestring, "heartbeat") == 0) {
		peer_note(aq, host, ctl);
		runs = cJSON_GetObjectItemCaseSensitive(msg, "runs");
		cJSON_ArrayForEach(e, runs)
		{
			if (cJSON_IsNumber(e))
				suspect_clear(aq, (int64_t)e->valuedouble);
		}
	} else if (strcmp(t->valuestring, "redelivered") == 0) {
		/* From a worker of the previous version: it did not run it. */
		e = cJSON_GetObjectItemCaseSensitive(msg, "run");
		if (cJSON_IsNumber(e) &&
		    store_run_load(
		        aq->q->ad->store, (int64_t)e->valuedouble, &cur) == 0 &&
		    !run_state_final(cur.state))
			suspect_add(aq, cur.id, host);
	}
	cJSON_Delete(msg);
}

/* No worker showed run ID alive in time: publish it again, or lose it. */
static void
suspect_due(struct amqp_q *aq, int64_t id, int64_t now)
{
	struct agentd *ad = aq->q->ad;
	struct run cur;

	if (store_run_load(ad->store, id, &cur) == -1 ||
	    run_state_final(cur.state))
		return;
	if (cur.state == RUN_RUNNING && cur.started_at == 0) {
		/*
		 * Granted but never started: its worker went with the go,
		 * and the worker it was redelivered to dropped the broker's
		 * copy. It never ran, so it goes out again.
		 */
		log_notice("amqp: run=%lld never started on %s; publishing "
		           "it again",
		    (long long)cur.id, cur.host);
		cur.state = cur.attempt > 1 ? RUN_RETRYING : RUN_QUEUED;
		cur.published_at = 0;
		cur.host[0] = '\0';
		snprintf(cur.message, sizeof cur.message,
		    "its worker went before starting it; queued again");
		supervisor_record(ad->sup, &cur);
		supervisor_enqueue(ad->sup, &cur);
		return;
	}
	if (cur.started_at == 0)
		cur.started_at = now;
	cur.state = RUN_LOST;
	cur.finished_at = now;
	snprintf(cur.message, sizeof cur.message,
	    "the worker %s stopped while it ran",
	    cur.host[0] != '\0' ? cur.host : "?");
	log_notice("amqp: run lost job=%s run=%lld host=%s", cur.job,
	    (long long)cur.id, cur.host);
	supervisor_record(ad->sup, &cur);
	supervisor_retry(ad->sup, &cur, now);
}

void
amqp_sched_tick(struct amqp_q *aq, int64_t now)
{
	struct amqp_suspect **pp, *s;

	pp = &aq->suspects;
	while ((s = *pp) != NULL) {
		if (s->deadline > now) {
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		suspect_due(aq, s->run_id, now);
		free(s);
	}
}

int
amqp_sched_cancel(struct amqp_q *aq, int64_t id, const char *why)
{
	struct agentd *ad = aq->q->ad;
	const char *ctl;
	struct run cur;

	if (store_run_load(ad->store, id, &cur) == -1 ||
	    run_state_final(cur.state) ||
	    (cur.state != RUN_RUNNING && cur.published_at == 0)) {
		errno = ENOENT;
		return -1;
	}
	if (cur.state != RUN_RUNNING) {
		/* Published, not claimed: a claim of it is dropped. */
		cur.state = RUN_CANCELLED;
		cur.finished_at = agentd_now();
		strlcpy(cur.message, why, sizeof cur.message);
		supervisor_record(ad->sup, &cur);
		store_flush(ad->store);
		return 0;
	}
	ctl = peer_ctl(aq, cur.host);
	if (ctl == NULL || !aq->up) {
		log_warnx("amqp: cannot stop run=%lld: no way to reach %s yet",
		    (long long)id, cur.host);
		errno = ENOENT;
		return -1;
	}
	log_notice("amqp: stopping job=%s run=%lld on %s: %s", cur.job,
	    (long long)id, cur.host, why);
	order(aq, ctl, "stop", id, why);
	return 0;
}

void
amqp_sched_free(struct amqp_q *aq)
{
	struct amqp_suspect *s;
	struct amqp_peer *p;

	while ((s = aq->suspects) != NULL) {
		aq->suspects = s->next;
		free(s);
	}
	while ((p = aq->peers) != NULL) {
		aq->peers = p->next;
		free(p);
	}
}
