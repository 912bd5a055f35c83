/* SPDX-License-Identifier: ISC */
/*
 * cronq top's model: NEXT moves on to the schedule's following fire as
 * soon as a slot passes, before the daemon's update arrives, and only for
 * the calendar schedules it can compute.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"
#include "top.h"

/* 2026-01-01T00:00:00Z */
#define T0 INT64_C(1767225600)

static struct top_model *
load(const char *json)
{
	struct top_model *m = top_model_create();
	cJSON *resp = cJSON_Parse(json);

	assert_non_null(resp);
	top_model_load_jobs(m, resp);
	cJSON_Delete(resp);
	return m;
}

static void
test_passed_slot_moves_on(void **state)
{
	struct top_model *m;
	struct top_job *j;

	(void)state;
	m = load("{\"jobs\": [{\"name\": \"s\", \"schedules\": "
	         "[\"*/5 * * * * *\"], \"timezone\": \"UTC\", "
	         "\"paused\": false, "
	         "\"next_run\": \"2026-01-01T00:00:05Z\"}]}");
	j = top_model_find(m, "s");
	assert_non_null(j);
	assert_int_equal(j->next_run, T0 + 5);
	top_model_advance(m, T0 + 4);
	assert_int_equal(j->next_run, T0 + 5);
	top_model_advance(m, T0 + 5);
	assert_int_equal(j->next_run, T0 + 10);
	/* Several slots behind: the first one after now, not the next. */
	top_model_advance(m, T0 + 23);
	assert_int_equal(j->next_run, T0 + 25);
	top_model_free(m);
}

static void
test_zone_and_several_schedules(void **state)
{
	struct top_model *m;
	struct top_job *j;

	(void)state;
	/* 03:00 and 01:30 in Berlin (UTC+1 in January). */
	m = load("{\"jobs\": [{\"name\": \"b\", \"schedules\": "
	         "[\"0 3 * * *\", \"30 1 * * *\"], "
	         "\"timezone\": \"Europe/Berlin\", \"paused\": false, "
	         "\"next_run\": \"2026-01-01T00:30:00Z\"}]}");
	j = top_model_find(m, "b");
	top_model_advance(m, T0 + 1800);
	assert_int_equal(j->next_run, T0 + 2 * 3600);
	top_model_free(m);
}

static void
test_left_alone(void **state)
{
	struct top_model *m;

	(void)state;
	m = load("{\"jobs\": ["
	         "{\"name\": \"p\", \"schedules\": [\"* * * * *\"], "
	         "\"timezone\": \"UTC\", \"paused\": true, "
	         "\"next_run\": \"2026-01-01T00:01:00Z\"}, "
	         "{\"name\": \"e\", \"schedules\": [\"@every 1h\"], "
	         "\"timezone\": \"UTC\", \"paused\": false, "
	         "\"next_run\": \"2026-01-01T00:01:00Z\"}, "
	         "{\"name\": \"m\", \"schedules\": [], \"timezone\": \"UTC\", "
	         "\"paused\": false, \"next_run\": null}]}");
	top_model_advance(m, T0 + 3600);
	assert_int_equal(top_model_find(m, "p")->next_run, T0 + 60);
	assert_int_equal(top_model_find(m, "e")->next_run, T0 + 60);
	assert_int_equal(top_model_find(m, "m")->next_run, -1);
	top_model_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passed_slot_moves_on),
		cmocka_unit_test(test_zone_and_several_schedules),
		cmocka_unit_test(test_left_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
