/* SPDX-License-Identifier: ISC */
/*
 * Names of run states, triggers and decision outcomes as the API and the
 * store spell them. One table each, so the two can never disagree.
 */
#include "config.h"

#include <string.h>

#include "agentd.h"

static const char *state_names[] = { "queued", "running", "retrying",
	"succeeded", "failed", "timed_out", "cancelled", "lost", "skipped" };
static const char *trigger_names[] = { "schedule", "manual", "catchup",
	"retry" };
static const char *outcome_names[] = { "fired", "skipped_overlap", "paused",
	"outside_catchup", "caught_up", "dst_moved", "dst_skipped", "replaced",
	"expired", "held_by_group" };

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

static int
lookup(const char **names, size_t n, const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(names[i], s) == 0)
			return (int)i;
	}
	return -1;
}

const char *
run_state_name(enum run_state s)
{
	return state_names[s];
}

int
run_state_parse(const char *s)
{
	return lookup(state_names, NITEMS(state_names), s);
}

int
run_state_final(enum run_state s)
{
	return s != RUN_QUEUED && s != RUN_RUNNING && s != RUN_RETRYING;
}

const char *
run_trigger_name(enum run_trigger t)
{
	return trigger_names[t];
}

int
run_trigger_parse(const char *s)
{
	return lookup(trigger_names, NITEMS(trigger_names), s);
}

const char *
decision_outcome_name(enum decision_outcome o)
{
	return outcome_names[o];
}

int
decision_outcome_parse(const char *s)
{
	return lookup(outcome_names, NITEMS(outcome_names), s);
}
