/* SPDX-License-Identifier: ISC */
/*
 * Notifications of run events to a job's `notify:` targets (notify.c).
 * The supervisor and the scheduler call these; every delivery then
 * proceeds on its own on the loop and is recorded in the store.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include "agentd.h"

struct notifier *notifier_create(struct agentd *ad);
/* Abandons deliveries in flight (a command target is killed). */
void notifier_free(struct notifier *nf);

/* RUN of JOB started: pings' /start, a late start, the long-run watch. */
void notify_run_started(
    struct agentd *ad, const struct job *job, const struct run *run);
/*
 * RUN of JOB ended. FINAL is 0 when a retry follows, so that failure is
 * told once, after the last attempt.
 */
void notify_run_ended(
    struct agentd *ad, const struct job *job, const struct run *run, int final);
/* A slot of JOB was not run (decision D: overlap, outside catch-up). */
void notify_missed(
    struct agentd *ad, const struct job *job, const struct decision *d);
/* Deliveries in progress (waiting for a retry included). */
int notifier_count(const struct notifier *nf);

#endif
