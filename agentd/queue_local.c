/* SPDX-License-Identifier: ISC */
/*
 * The local queue backend, the default: the runs the supervisor keeps in
 * SQLite start as children of this daemon. It has nothing to connect to,
 * so it is always ready and leaves take() to the supervisor.
 */
#include "config.h"

#include "queue.h"

static void
local_status(struct queue *q, cJSON *o)
{
	(void)q;
	cJSON_AddStringToObject(o, "state", "ready");
}

const struct queue_ops queue_local_ops = {
	.name = "local",
	.status = local_status,
};
