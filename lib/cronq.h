/* SPDX-License-Identifier: ISC */
/*
 * Types and limits shared by cronq (the CLI) and cronq-agentd (the daemon).
 * Nothing here owns state; it is the vocabulary both programs speak.
 */
#ifndef CRONQ_H
#define CRONQ_H

#include <stdint.h>

#define CQ_NAME_MAX 64   /* job names: [A-Za-z0-9._-]{1,64} */
#define CQ_EXPR_MAX 1024 /* longest cron expression accepted */
#define CQ_API_PREFIX "/api/v1"
/* The longest life an API token may be given: 3660 days. */
#define CQ_TOKEN_EXPIRES_MAX (10LL * 366 * 86400)

/* Exit statuses of cronq(1); documented in cronq.1 EXIT STATUS. */
enum cq_exit {
	CQ_EXIT_OK = 0,
	CQ_EXIT_FAIL = 1,  /* the daemon refused, or the operation failed */
	CQ_EXIT_USAGE = 2, /* bad command line */
	CQ_EXIT_UNREACHABLE = 3, /* no daemon listening */
	CQ_EXIT_DENIED = 4,      /* permission denied */
	CQ_EXIT_INVALID = 5,     /* invalid job file */
	CQ_EXIT_NONE = 6         /* a query had no answer (never fires) */
};

#endif
