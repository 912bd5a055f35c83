/* SPDX-License-Identifier: ISC */
/*
 * The queue backend's configuration (agentd.yaml `queue:`) and the thin
 * calls the daemon makes into whichever backend it configured.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "agentd.h"
#include "queue.h"
#include "xmalloc.h"

void
queue_config_init(struct queue_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	strlcpy(cfg->backend, "local", sizeof cfg->backend);
	strlcpy(cfg->queue, QUEUE_NAME_DEFAULT, sizeof cfg->queue);
	cfg->verify = 1;
	cfg->role = QUEUE_ROLE_ALL;
}

void
queue_config_clear(struct queue_config *cfg)
{
	size_t i;

	free(cfg->url);
	free(cfg->cacert);
	for (i = 0; i < cfg->nlabels; i++)
		free(cfg->labels[i]);
	queue_config_init(cfg);
}

int
queue_role_parse(const char *s)
{
	if (strcmp(s, "all") == 0)
		return QUEUE_ROLE_ALL;
	if (strcmp(s, "scheduler") == 0)
		return QUEUE_ROLE_SCHEDULER;
	if (strcmp(s, "worker") == 0)
		return QUEUE_ROLE_WORKER;
	return -1;
}

const char *
queue_role_name(enum queue_role r)
{
	switch (r) {
	case QUEUE_ROLE_SCHEDULER:
		return "scheduler";
	case QUEUE_ROLE_WORKER:
		return "worker";
	default:
		return "all";
	}
}

int
queue_config_add_label(
    struct queue_config *cfg, const char *label, char **cause)
{
	size_t i;

	if (!job_label_valid(label)) {
		xasprintf(cause,
		    "--label: \"%s\" is not a label (1 to %d of a-z, 0-9, "
		    "- and _)",
		    label, JOB_LABEL_MAX);
		return -1;
	}
	for (i = 0; i < cfg->nlabels; i++) {
		if (strcmp(cfg->labels[i], label) == 0)
			return 0;
	}
	if (cfg->nlabels == QUEUE_MAX_LABELS) {
		xasprintf(cause, "--label: at most %d labels per worker",
		    QUEUE_MAX_LABELS);
		return -1;
	}
	cfg->labels[cfg->nlabels++] = xstrdup(label);
	return 0;
}

/* Where a queue: error points: file:line:col, as config.c's errors do. */
static char *
at(const char *file, yaml_mark_t m)
{
	char *s;

	xasprintf(&s, "%s:%zu:%zu", file, m.line + 1, m.column + 1);
	return s;
}

/*
 * Sets KEY of the queue mapping to the scalar EV; -1 with *cause pointing
 * at the value (or at KM, the key, if the key is unknown).
 */
static int
config_set(struct queue_config *cfg, const char *file, const char *key,
    yaml_mark_t km, const yaml_event_t *ev, char **cause)
{
	const char *value = (const char *)ev->data.scalar.value;
	char *where = at(file, ev->start_mark);
	int rc = -1;

	if (strcmp(key, "backend") == 0) {
		if (strcmp(value, "local") != 0 && strcmp(value, "amqp") != 0) {
			xasprintf(cause,
			    "%s: queue.backend: expected local or amqp, "
			    "not \"%s\"",
			    where, value);
			goto out;
		}
		strlcpy(cfg->backend, value, sizeof cfg->backend);
	} else if (strcmp(key, "url") == 0) {
		free(cfg->url);
		cfg->url = xstrdup(value);
	} else if (strcmp(key, "queue") == 0) {
		if (*value == '\0' || strlen(value) >= sizeof cfg->queue - 40) {
			xasprintf(cause,
			    "%s: queue.queue: expected a name of 1 to %zu "
			    "characters",
			    where, sizeof cfg->queue - 41);
			goto out;
		}
		strlcpy(cfg->queue, value, sizeof cfg->queue);
	} else if (strcmp(key, "cacert") == 0) {
		free(cfg->cacert);
		cfg->cacert = xstrdup(value);
	} else if (strcmp(key, "verify") == 0) {
		if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0) {
			xasprintf(cause,
			    "%s: queue.verify: expected true or false", where);
			goto out;
		}
		cfg->verify = strcmp(value, "true") == 0;
	} else {
		free(where);
		where = at(file, km);
		xasprintf(cause, "%s: queue: unknown key \"%s\"", where, key);
		goto out;
	}
	rc = 0;
out:
	free(where);
	return rc;
}

int
queue_config_load(struct queue_config *cfg, const char *file, char **cause)
{
	yaml_parser_t p;
	yaml_event_t ev;
	yaml_mark_t km = { 0, 0, 0 }, qm = { 0, 0, 0 };
	FILE *f;
	char key[64] = "", top[64] = "", *where;
	int depth = 0, done = 0, want_key = 1, rc = 0;

	if ((f = fopen(file, "r")) == NULL)
		return 0; /* agentd.c reports unreadable files */
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			where = at(file, p.problem_mark);
			xasprintf(cause, "%s: %s", where,
			    p.problem != NULL ? p.problem : "not YAML");
			free(where);
			rc = -1;
			break;
		}
		switch (ev.type) {
		case YAML_MAPPING_START_EVENT:
			depth++;
			want_key = 1;
			break;
		case YAML_MAPPING_END_EVENT:
			if (--depth == 1)
				top[0] = '\0';
			want_key = 1;
			break;
		case YAML_SCALAR_EVENT:
			if (depth == 1 && want_key) {
				strlcpy(top, (char *)ev.data.scalar.value,
				    sizeof top);
				if (strcmp(top, "queue") == 0)
					qm = ev.start_mark;
			} else if (depth == 2 && strcmp(top, "queue") == 0) {
				if (want_key) {
					strlcpy(key,
					    (char *)ev.data.scalar.value,
					    sizeof key);
					km = ev.start_mark;
				} else
					rc = config_set(
					    cfg, file, key, km, &ev, cause);
			}
			want_key = !want_key;
			break;
		default:
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	fclose(f);
	if (rc == 0 && strcmp(cfg->backend, "amqp") == 0 && cfg->url == NULL) {
		where = at(file, qm);
		xasprintf(
		    cause, "%s: queue.url: required with backend amqp", where);
		free(where);
		rc = -1;
	}
	return rc;
}

struct queue *
queue_create(struct agentd *ad, struct queue_config *cfg, char **cause)
{
	struct queue *q;

	if (strcmp(cfg->backend, "local") == 0 && cfg->role != QUEUE_ROLE_ALL) {
		xasprintf(cause,
		    "--role %s needs a shared queue (queue: {backend: "
		    "amqp, ...} in agentd.yaml)",
		    queue_role_name(cfg->role));
		return NULL;
	}
	q = xcalloc(1, sizeof *q);
	q->ad = ad;
	q->cfg = *cfg;
	memset(cfg, 0, sizeof *cfg);
	q->ops = strcmp(q->cfg.backend, "amqp") == 0 ? &queue_amqp_ops
	                                             : &queue_local_ops;
	if (q->ops->start != NULL && q->ops->start(q, cause) == -1) {
		queue_free(q);
		return NULL;
	}
	return q;
}

void
queue_free(struct queue *q)
{
	if (q == NULL)
		return;
	if (q->ops->stop != NULL)
		q->ops->stop(q);
	queue_config_clear(&q->cfg);
	free(q);
}

int
queue_ready(struct queue *q)
{
	return q == NULL || q->ops->ready == NULL || q->ops->ready(q);
}

int
queue_remote(struct queue *q)
{
	return q != NULL && q->ops->take != NULL;
}

int
queue_take(
    struct queue *q, const struct run *run, const struct job *job, int64_t now)
{
	return q->ops->take(q, run, job, now);
}

int
queue_report(struct queue *q, const struct run *run, int final, int retry)
{
	if (q == NULL || q->ops->report == NULL)
		return 0;
	return q->ops->report(q, run, final, retry);
}

int
queue_cancel(struct queue *q, int64_t id, const char *why)
{
	if (q == NULL || q->ops->cancel == NULL) {
		errno = ENOENT;
		return -1;
	}
	return q->ops->cancel(q, id, why);
}

void
queue_status(struct queue *q, cJSON *o)
{
	cJSON *qo;

	if (q == NULL)
		return;
	qo = cJSON_AddObjectToObject(o, "queue");
	cJSON_AddStringToObject(qo, "backend", q->ops->name);
	cJSON_AddStringToObject(qo, "role", queue_role_name(q->cfg.role));
	if (q->ops->status != NULL)
		q->ops->status(q, qo);
}

void
queue_metrics(struct queue *q, FILE *out)
{
	if (q != NULL && q->ops->metrics != NULL)
		q->ops->metrics(q, out);
}
