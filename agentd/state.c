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
agentd_set_event_cb(struct agentd *ad, agentd_event_cb cb, void *arg)
{
	ad->event_cb = cb;
	ad->event_arg = arg;
}

void
agentd_emit(struct agentd *ad, const char *type, uid_t owner,
    const cJSON *obj)
{
	if (ad->event_cb != NULL)
		ad->event_cb(type, owner, obj, ad->event_arg);
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
