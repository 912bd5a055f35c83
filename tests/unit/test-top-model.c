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
#include <time.h>
#include <unistd.h>

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

/* A job of several schedules is not read as its first one alone. */
static void
test_several_schedules_read(void **state)
{
	struct top_model *m;
	struct top_job *j;

	(void)state;
	m = load("{\"jobs\": [{\"name\": \"n\", \"schedules\": "
	         "[\"0 12 * * *\", \"@hourly\"], \"timezone\": \"UTC\", "
	         "\"paused\": false, \"next_run\": null}, "
	         "{\"name\": \"s\", \"schedules\": [\"*/10 * * * * *\"], "
	         "\"timezone\": \"UTC\", \"paused\": false, "
	         "\"next_run\": null}, "
	         "{\"name\": \"o\", \"schedules\": [\"0 12 * * *\"], "
	         "\"timezone\": \"UTC\", \"paused\": false, "
	         "\"next_run\": null}]}");
	j = top_model_find(m, "n");
	assert_string_equal(j->human, "daily 12:00 +1");
	assert_string_equal(j->schedule, "0 12 * * *, @hourly");
	assert_false(j->vague);
	assert_string_equal(top_model_find(m, "o")->human, "daily 12:00");
	assert_true(top_model_find(m, "s")->vague);
	top_model_free(m);
}

static void
test_line_cuts_and_spaces(void **state)
{
	char cell[3][TOP_CELL] = { "abcdefgh", "2026-12-11", "117d04h" };
	int w[3] = { 5, 9, 7 }, w0[3] = { 5, 0, 7 };
	char buf[64];

	(void)state;
	assert_string_equal(
	    top_line(buf, sizeof buf, w, cell, 3), "abcd~ 2026-12-~ 117d04h");
	assert_string_equal(
	    top_line(buf, sizeof buf, w0, cell, 3), "abcd~ 117d04h");
	w[0] = 8;
	assert_string_equal(top_line(buf, sizeof buf, w, cell, 3),
	    "abcdefgh 2026-12-~ 117d04h");
	/* A buffer too small ends at a whole cell. */
	assert_string_equal(top_line(buf, 12, w, cell, 3), "abcdefgh");
}

/*
 * At each width a row of wide cells fits, every column starts where its
 * title does and the place before it is a blank: no cell runs into the
 * next.
 */
static void
test_rows_fit_each_width(void **state)
{
	static const int widths[] = { 40, 80, 100, 120, 200 };
	struct top_model *m;
	char cell[TOP_COL_COUNT][TOP_CELL], title[TOP_COL_COUNT][TOP_CELL];
	char head[TOP_COL_COUNT * TOP_CELL], row[TOP_COL_COUNT * TOP_CELL];
	int w[TOP_COL_COUNT], c, x, plain, total;
	size_t i, k;

	(void)state;
	m = load("{\"jobs\": [{\"name\": "
	         "\"a-very-long-job-name-that-goes-on-and-on\", "
	         "\"schedules\": [\"0 12 * * *\", \"@hourly\", "
	         "\"30 9 * * 1-5\"], \"timezone\": \"UTC\", "
	         "\"paused\": false, "
	         "\"next_run\": \"2026-12-11T04:00:00Z\"}]}");
	for (k = 0; k < TOP_COL_COUNT; k++)
		strlcpy(title[k], top_col_title((enum top_col)k), TOP_CELL);
	for (plain = 0; plain <= 1; plain++) {
		for (i = 0; i < sizeof widths / sizeof widths[0]; i++) {
			top_layout(widths[i], plain, w);
			total = 0;
			for (k = 0; k < TOP_COL_COUNT; k++)
				total += w[k] ? w[k] + 1 : 0;
			assert_true(total <= widths[i]);
			assert_true(w[TOP_COL_NAME] > 0);
			assert_true(w[TOP_COL_NEXT] >= 10 || widths[i] < 60);
			/* A month away: NEXT holds the whole date. */
			top_cells(cell, m->jobs[0], T0 + 300 * 86400, plain);
			assert_string_equal(cell[TOP_COL_NEXT], "2026-12-11");
			top_line(head, sizeof head, w, title, TOP_COL_COUNT);
			top_line(row, sizeof row, w, cell, TOP_COL_COUNT);
			assert_true(strlen(row) <= (size_t)widths[i]);
			x = 0;
			for (c = 0; c < TOP_COL_COUNT; c++) {
				if (w[c] == 0)
					continue;
				if (x > 0) {
					assert_int_equal(row[x - 1], ' ');
					assert_int_equal(head[x - 1], ' ');
				}
				assert_memory_equal(
				    head + x, title[c], strlen(title[c]));
				x += w[c] + 1;
			}
			/* The long name, where cut, says so. */
			if (strlen(cell[TOP_COL_NAME]) >
			    (size_t)w[TOP_COL_NAME])
				assert_int_equal(
				    row[w[TOP_COL_NAME] - 1], TOP_CUT);
			else
				assert_memory_equal(row, cell[TOP_COL_NAME],
				    strlen(cell[TOP_COL_NAME]));
		}
	}
	top_model_free(m);
}

/* While a run goes, LAST, RESULT and DURATION are all about it. */
static void
test_running_row(void **state)
{
	char cell[TOP_COL_COUNT][TOP_CELL];
	struct top_model *m;
	struct top_job *j;

	(void)state;
	m = load("{\"jobs\": [{\"name\": \"r\", \"schedules\": "
	         "[\"0 * * * *\"], \"timezone\": \"UTC\", "
	         "\"paused\": false, \"next_run\": null}]}");
	j = top_model_find(m, "r");
	assert_non_null(j);
	j->last_started = T0 + 10;
	j->last_finished = T0 + 15;
	strcpy(j->last_state, "succeeded");
	strcpy(j->active_state, "running");
	j->active_started = T0 + 3600;
	top_cells(cell, j, T0 + 3602, 0);
	assert_string_equal(cell[TOP_COL_LAST], "01:00:00");
	assert_string_equal(cell[TOP_COL_RESULT], "running");
	assert_string_equal(cell[TOP_COL_DUR], "2s");
	/* Ended: the last run's own again. */
	j->active_state[0] = '\0';
	top_cells(cell, j, T0 + 3602, 0);
	assert_string_equal(cell[TOP_COL_LAST], "00:00:10");
	assert_string_equal(cell[TOP_COL_DUR], "5s");
	top_model_free(m);
}

/* The plain header's uptime reads as cronq status writes it. */
static void
test_header_uptime(void **state)
{
	struct top_model *m = top_model_create();
	char buf[512];
	FILE *f;
	int saved;

	(void)state;
	strcpy(m->version, "1.0");
	m->started_at = T0;
	f = tmpfile();
	assert_non_null(f);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fileno(f), STDOUT_FILENO);
	top_text_print(m, T0 + 139, "/run/cronq.sock", 200);
	top_text_print(m, T0 + 2 * 86400 + 3600 + 120, "/run/cronq.sock", 200);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(f);
	assert_non_null(fgets(buf, sizeof buf, f));
	assert_string_equal(
	    buf, "cronq-agentd 1.0 at /run/cronq.sock, up 2min 19s\n");
	while (fgets(buf, sizeof buf, f) != NULL &&
	    strncmp(buf, "cronq-agentd", 12) != 0)
		;
	assert_string_equal(
	    buf, "cronq-agentd 1.0 at /run/cronq.sock, up 2 days 1h\n");
	fclose(f);
	top_model_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passed_slot_moves_on),
		cmocka_unit_test(test_zone_and_several_schedules),
		cmocka_unit_test(test_left_alone),
		cmocka_unit_test(test_several_schedules_read),
		cmocka_unit_test(test_line_cuts_and_spaces),
		cmocka_unit_test(test_rows_fit_each_width),
		cmocka_unit_test(test_header_uptime),
		cmocka_unit_test(test_running_row),
	};

	/* The clock columns read local time. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
