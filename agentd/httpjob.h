/* SPDX-License-Identifier: ISC */
/*
 * One run of an `http` job: the request in flight on the daemon's loop
 * (httpjob.c). The supervisor starts it and gets one callback at the end.
 */
#ifndef HTTPJOB_H
#define HTTPJOB_H

#include <stdint.h>

#include "job.h"

struct agentd;
struct httpjob;

struct httpjob_result {
	int code;              /* the CURLcode: 0 when a response came */
	int status;            /* the HTTP status when code is 0 */
	int timed_out;         /* the job's timeout ended it */
	char error[256];       /* curl's words when code is not 0 */
	uint64_t output_total; /* bytes of response body */
};

/* Called once with the result; the httpjob is still the caller's. */
typedef void (*httpjob_done_cb)(
    struct httpjob *hj, const struct httpjob_result *res, void *arg);

/*
 * Starts the request of JOB (kind http) for run RUN_ID, its body going to
 * the run's log. Returns NULL with *cause (caller frees) if it cannot.
 */
struct httpjob *httpjob_start(struct agentd *ad, const struct job *job,
    int64_t run_id, httpjob_done_cb done, void *arg, char **cause);
/* Frees HJ; a request still in flight is abandoned without a callback. */
void httpjob_free(struct httpjob *hj);
/* Body bytes received so far. */
uint64_t httpjob_output_total(const struct httpjob *hj);

#endif
