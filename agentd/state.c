/* SPDX-License-Identifier: ISC */
/*
 * Small helpers on the daemon state that every part uses: the clock, the
 * event hook for the gateway and error filling. Kept apart from main() so
 * the unit tests link the daemon's parts without it.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agentd.h"

int64_t
agentd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

void
agentd_problems(struct agentd *ad, cJSON *arr)
{
	if (ad->config_problem != NULL)
		cJSON_AddItemToArray(
		    arr, cJSON_CreateString(ad->config_problem));
	files_problems(ad, arr);
}

void
agentd_set_event_cb(struct agentd *ad, agentd_event_cb cb, void *arg)
{
	ad->event_cb = cb;
	ad->event_arg = arg;
}

void
agentd_set_run_event_cb(struct agentd *ad, agentd_run_event_cb cb)
{
	ad->run_event_cb = cb;
}

void
agentd_emit(struct agentd *ad, const char *type, uid_t owner, const cJSON *obj)
{
	if (ad->event_cb != NULL)
		ad->event_cb(type, owner, obj, ad->event_arg);
}

void
agentd_emit_run(struct agentd *ad, const struct run *run)
{
	cJSON *o;

	if (ad->run_event_cb != NULL) {
		ad->run_event_cb(run, ad->event_arg);
		return;
	}
	if (ad->event_cb == NULL)
		return;
	o = ops_run_to_json(run);
	agentd_emit(ad, "run", run->owner, o);
	cJSON_Delete(o);
}

void
agentd_error_set(struct agentd_error *err, enum agentd_errcode code,
    const char *field, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->code = code;
	strlcpy(err->field, field != NULL ? field : "", sizeof err->field);
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
}
