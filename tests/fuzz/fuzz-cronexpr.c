/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the cron engine: parse any bytes, and for what
 * parses, walk a few next() and prev() steps in UTC and a zone with clock
 * changes, checking that times strictly increase (or decrease) and that
 * prev() undoes next(). A crash, sanitizer report or abort is a finding.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cronexpr.h"
#include "tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *zones[] = { "UTC", "America/New_York",
		"Australia/Lord_Howe" };
	struct cronexpr ce;
	char text[300], *cause = NULL;
	int64_t t, n, p, start;
	size_t i;
	int k;

	if (size >= sizeof text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cronexpr_parse(&ce, text, "fuzz", &cause) != 0) {
		if (cause == NULL || strchr(cause, '\n') != NULL)
			abort();
		free(cause);
		return 0;
	}
	if (ce.kind != CRON_CALENDAR)
		return 0;
	/* Start near the 2024 changes of all three zones, varied by input. */
	start = 1711000000 + (int64_t)(size * 7919) % 31536000;
	for (i = 0; i < sizeof zones / sizeof zones[0]; i++) {
		const struct tz *tz = tz_find(zones[i], &cause);

		if (tz == NULL) {
			free(cause);
			cause = NULL;
			continue;
		}
		ce.repeat = (size & 1) ? CRON_REPEAT_BOTH : CRON_REPEAT_FIRST;
		ce.gap = (size & 2) ? CRON_GAP_SKIP : CRON_GAP_NEXT;
		t = start;
		for (k = 0; k < 4; k++) {
			if (cronexpr_next(&ce, tz, t, &n, NULL) != 0)
				break;
			if (n <= t)
				abort();
			if (cronexpr_prev(&ce, tz, n, &p, NULL) == 0 && p >= n)
				abort();
			/* prev(next(t)) is the last fire at or before t. */
			if (p > t)
				abort();
			t = n;
		}
	}
	return 0;
}
