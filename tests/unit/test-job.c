/* SPDX-License-Identifier: ISC */
/* The job model: every field parsed, defaults, and errors naming fields. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "job.h"

static struct job *
parse(
    const char *text, const struct job *base, const char **field, char **cause)
{
	cJSON *json;
	struct job *job;

	json = cJSON_Parse(text);
	assert_non_null(json);
	*cause = NULL;
	job = job_from_json(json, base, field, cause);
	cJSON_Delete(json);
	return job;
}

static void
test_defaults(void **state)
{
	struct job *job;
	const char *field;
	char *cause;

	(void)state;
	job = parse(
	    "{\"name\": \"a\", \"command\": \"true\"}", NULL, &field, &cause);
	assert_non_null(job);
	assert_int_equal(job->nschedules, 0);
	assert_int_equal(job->kind, JOB_COMMAND);
	assert_int_equal(job->umask, 022);
	assert_int_equal(job->timeout, 0);
	assert_int_equal(job->kill_grace, 10);
	assert_int_equal(job->retries, 0);
	assert_int_equal(job->retry_backoff, 10);
	assert_int_equal(job->retry_backoff_max, 3600);
	assert_int_equal(job->concurrency, JOB_FORBID);
	assert_int_equal(job->catchup, JOB_CATCHUP_SKIP);
	assert_int_equal(job->catchup_max, 100);
	assert_int_equal(job->max_output, 1048576);
	assert_int_equal(job->limits.memory, -1);
	assert_int_equal(job->dst_gap, CRON_GAP_NEXT);
	assert_int_equal(job->dst_repeat, CRON_REPEAT_FIRST);
	assert_string_equal(job->origin, "api");
	assert_null(job->timezone);
	assert_non_null(job->tz);
	job_free(job);
}

static const char full_job[] =
    "{"
    "\"name\": \"db-dump.nightly_2\", \"schedules\": [\"0 2 * * *\","
    " \"@every 90m\"], \"timezone\": \"Europe/Berlin\","
    " \"command\": [\"/usr/bin/pg_dump\", \"-Fc\"], \"user\": \"root\","
    " \"workdir\": \"/var/tmp\", \"env\": {\"PGHOST\": \"db\", \"A_1\": \"x\"},"
    " \"umask\": \"027\", \"timeout\": \"2h30m\", \"kill_grace\": 5,"
    " \"retries\": 3, \"retry_backoff\": \"30s\", \"retry_backoff_max\": \"1h\","
    " \"retry_on\": [1, 75], \"on_exit\": {\"75\": \"retry\", \"3\": \"skip\","
    " \"4\": \"success\", \"5\": \"fail\"}, \"concurrency\": \"replace\","
    " \"catchup\": \"all\", \"catchup_max\": 7, \"jitter\": \"1m\","
    " \"dst\": {\"gap\": \"skip\", \"repeat\": \"both\"},"
    " \"max_output\": \"64K\", \"limits\": {\"cpu\": 60, \"memory\": \"512M\","
    " \"nofile\": 1024, \"nproc\": 64, \"fsize\": \"1G\", \"core\": 0},"
    " \"paused\": true, \"description\": \"nightly dump\","
    " \"owner\": 1000, \"version\": 9, \"origin\": \"x\","
    " \"next_run\": null, \"last_run\": null}";

static void
test_every_field(void **state)
{
	struct job *job;
	const char *field;
	char *cause;

	(void)state;
	job = parse(full_job, NULL, &field, &cause);
	if (job == NULL)
		fail_msg("%s", cause);
	assert_string_equal(job->name, "db-dump.nightly_2");
	assert_int_equal(job->nschedules, 2);
	assert_int_equal(job->exprs[1].kind, CRON_EVERY);
	assert_int_equal(job->exprs[0].gap, CRON_GAP_SKIP);
	assert_int_equal(job->exprs[0].repeat, CRON_REPEAT_BOTH);
	assert_string_equal(job->timezone, "Europe/Berlin");
	assert_null(job->command);
	assert_int_equal(job->argc, 2);
	assert_string_equal(job->argv[1], "-Fc");
	assert_null(job->argv[2]);
	assert_string_equal(job->user, "root");
	assert_string_equal(job->workdir, "/var/tmp");
	assert_int_equal(job->nenv, 2);
	assert_string_equal(job->env[0].key, "PGHOST");
	assert_string_equal(job->env[0].value, "db");
	assert_int_equal(job->umask, 027);
	assert_int_equal(job->timeout, 9000);
	assert_int_equal(job->kill_grace, 5);
	assert_int_equal(job->retries, 3);
	assert_int_equal(job->retry_backoff, 30);
	assert_int_equal(job->retry_backoff_max, 3600);
	assert_int_equal(job->nretry_on, 2);
	assert_int_equal(job->retry_on[1], 75);
	assert_int_equal(job_exit_outcome(job, 75), JOB_OUTCOME_RETRY);
	assert_int_equal(job_exit_outcome(job, 3), JOB_OUTCOME_SKIP);
	assert_int_equal(job_exit_outcome(job, 4), JOB_OUTCOME_SUCCESS);
	assert_int_equal(job_exit_outcome(job, 5), JOB_OUTCOME_FAIL);
	assert_int_equal(job_exit_outcome(job, 0), JOB_OUTCOME_DEFAULT);
	assert_int_equal(job->concurrency, JOB_REPLACE);
	assert_int_equal(job->catchup, JOB_CATCHUP_ALL);
	assert_int_equal(job->catchup_max, 7);
	assert_int_equal(job->jitter, 60);
	assert_int_equal(job->max_output, 65536);
	assert_int_equal(job->limits.cpu, 60);
	assert_int_equal(job->limits.memory, 512 * 1024 * 1024);
	assert_int_equal(job->limits.nofile, 1024);
	assert_int_equal(job->limits.nproc, 64);
	assert_int_equal(job->limits.fsize, 1024 * 1024 * 1024);
	assert_int_equal(job->limits.core, 0);
	assert_true(job->paused);
	assert_string_equal(job->description, "nightly dump");
	/* Read-only fields in the body are ignored. */
	assert_int_equal(job->owner, 0);
	assert_int_equal(job->version, 0);
	assert_string_equal(job->origin, "api");
	job_free(job);
}

/* to_json then from_json gives the same spec back. */
static void
test_round_trip(void **state)
{
	struct job *job, *again;
	const char *field;
	char *cause, *a, *b;
	cJSON *o;

	(void)state;
	job = parse(full_job, NULL, &field, &cause);
	assert_non_null(job);
	o = job_to_json(job, 1);
	a = cJSON_PrintUnformatted(o);
	again = job_from_json(o, NULL, &field, &cause);
	assert_non_null(again);
	cJSON_Delete(o);
	o = job_to_json(again, 1);
	b = cJSON_PrintUnformatted(o);
	assert_string_equal(a, b);
	cJSON_Delete(o);
	free(a);
	free(b);
	job_free(again);
	job_free(job);
}

static void
test_patch_keeps_base(void **state)
{
	struct job *base, *job;
	const char *field;
	char *cause;

	(void)state;
	base = parse(full_job, NULL, &field, &cause);
	assert_non_null(base);
	job = parse("{\"timeout\": 7, \"schedule\": \"*/5 * * * *\"}", base,
	    &field, &cause);
	assert_non_null(job);
	assert_int_equal(job->timeout, 7);
	assert_int_equal(job->nschedules, 1);
	assert_string_equal(job->schedules[0], "*/5 * * * *");
	assert_int_equal(job->retries, 3);
	assert_string_equal(job->name, base->name);
	job_free(job);
	job_free(base);
}

/* Bad input: the field reported, and the message starting with it. */
static const struct {
	const char *json;
	const char *field;
	const char *fragment;
} bad[] = {
	{ "{\"command\": \"x\"}", "name", "is required" },
	{ "{\"name\": \"a b\", \"command\": \"x\"}", "name", "[A-Za-z0-9._-]" },
	{ "{\"name\": \"a\", \"comand\": \"x\"}", "comand",
	    "unknown field; did you mean command?" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"zzzz\": 1}", "zzzz",
	    "unknown field" },
	{ "{\"name\": \"a\"}", "command", "is required" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"labels\": \"gpu\"}",
	    "labels", "expected a list of label names, not the string" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"labels\": [\"GPU\"]}",
	    "labels", "element 0: expected a label" },
	{ "{\"name\": \"a\", \"command\": \"x\", "
	  "\"labels\": [\"gpu\", \"gpu\"]}",
	    "labels", "\"gpu\" is given twice" },
	{ "{\"name\": \"a\", \"command\": \"\"}", "command", "empty" },
	{ "{\"name\": \"a\", \"command\": 3}", "command", "string" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"schedules\": [\"61 * * * *\"]}",
	    "schedules", "61" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"schedules\": [1]}",
	    "schedules", "element 0" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"schedule\": \"* * * * *\","
	  " \"schedules\": [\"1 * * * *\"]}",
	    "schedule", "not both" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"timezone\": \"Mars/Base\"}",
	    "timezone", "Mars/Base" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"kind\": \"ftp\"}", "kind",
	    "\"ftp\" is not command or http" },
	{ "{\"name\": \"a\", \"kind\": \"http\"}", "http.url", "is required" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"timeout\": \"5 parsecs\"}",
	    "timeout", "" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"timeout\": -1}", "timeout",
	    "outside" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"timeout\": 4611686018427387904}",
	    "timeout", "outside 0..1099511627776" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"kill_grace\": true}",
	    "kill_grace", "duration" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"retries\": 1.5}", "retries",
	    "integer" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"retries\": 1000}", "retries",
	    "outside 0..100" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"retry_backoff\": 60,"
	  " \"retry_backoff_max\": 10}",
	    "retry_backoff_max", "less" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"retry_on\": [256]}",
	    "retry_on", "outside 0..255" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"on_exit\": {\"x\": \"retry\"}}",
	    "on_exit", "exit code" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"on_exit\": {\"3\": \"maybe\"}}",
	    "on_exit", "retry, fail, success or skip" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"concurrency\": \"never\"}",
	    "concurrency", "allow, forbid, replace" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"catchup\": \"none\"}",
	    "catchup", "skip, once, all" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"catchup_max\": 0}",
	    "catchup_max", "outside" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"jitter\": \"1y\"}", "jitter",
	    "" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"dst\": {\"gap\": \"back\"}}",
	    "dst.gap", "next or skip" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"dst\": {\"when\": 1}}",
	    "dst", "unknown key" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"max_output\": \"lots\"}",
	    "max_output", "" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"limits\": {\"memory\": \"1Q\"}}",
	    "limits.memory", "" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"limits\": {\"stack\": 1}}",
	    "limits", "unknown limit" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"umask\": \"999\"}", "umask",
	    "octal" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"umask\": 18}", "umask",
	    "octal" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"env\": {\"A=B\": \"1\"}}",
	    "env", "not a valid name" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"env\": {\"A\": 1}}", "env",
	    "expected a string" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"workdir\": \"tmp\"}",
	    "workdir", "absolute" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"paused\": \"yes\"}",
	    "paused", "true or false" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"description\": 5}",
	    "description", "string" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"user\": \"\"}", "user",
	    "empty" },
};

static void
test_errors_name_the_field(void **state)
{
	struct job *job;
	const char *field;
	char *cause;
	size_t i, fl;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		field = NULL;
		job = parse(bad[i].json, NULL, &field, &cause);
		if (job != NULL)
			fail_msg("accepted: %s", bad[i].json);
		assert_non_null(cause);
		if (field == NULL || strcmp(field, bad[i].field) != 0)
			fail_msg("%s: field %s, expected %s", bad[i].json,
			    field != NULL ? field : "(null)", bad[i].field);
		fl = strlen(bad[i].field);
		if (strncmp(cause, bad[i].field, fl) != 0 ||
		    strncmp(cause + fl, ": ", 2) != 0 ||
		    strstr(cause, bad[i].fragment) == NULL)
			fail_msg("%s: message \"%s\"", bad[i].json, cause);
		free(cause);
	}
}

/* Labels come back sorted and survive the spec round trip (the store's). */
static void
test_labels(void **state)
{
	struct job *job, *again, *dup;
	const char *field;
	char *cause, *text;
	cJSON *o;

	(void)state;
	job = parse("{\"name\": \"a\", \"command\": \"x\", "
	            "\"labels\": [\"ssd\", \"gpu\"]}",
	    NULL, &field, &cause);
	assert_non_null(job);
	assert_int_equal(job->nlabels, 2);
	assert_string_equal(job->labels[0], "gpu");
	assert_string_equal(job->labels[1], "ssd");
	o = job_to_json(job, 1);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	again = parse(text, NULL, &field, &cause);
	free(text);
	assert_non_null(again);
	assert_int_equal(again->nlabels, 2);
	assert_string_equal(again->labels[1], "ssd");
	dup = job_dup(again);
	assert_string_equal(dup->labels[0], "gpu");
	job_free(dup);
	job_free(again);
	job_free(job);
}

static void
test_not_an_object(void **state)
{
	cJSON *json;
	const char *field = "x";
	char *cause = NULL;

	(void)state;
	json = cJSON_Parse("[1, 2]");
	assert_null(job_from_json(json, NULL, &field, &cause));
	assert_null(field);
	assert_string_equal(cause, "expected a JSON object");
	free(cause);
	cJSON_Delete(json);
}

/*
 * A value of the wrong type: the message says what was given, in words
 * that read right in an API body and in a YAML job file alike.
 */
static void
test_wrong_type_says_what(void **state)
{
	static const struct {
		const char *json, *cause;
	} cases[] = {
		{ "\"retries\": \"3\"",
		    "retries: expected an integer, not the string \"3\"" },
		{ "\"env\": [\"A\", \"B\"]",
		    "env: expected a map of names to strings, not a list" },
		{ "\"env\": {\"A\": 1}",
		    "env: \"A\": expected a string, not the number 1" },
		{ "\"paused\": null",
		    "paused: expected true or false, not null" },
		{ "\"timeout\": [5]",
		    "timeout: expected a duration (seconds or \"5m\"), not a "
		    "list" },
		{ "\"schedules\": {}",
		    "schedules: expected a cron expression or a list of them, "
		    "not a map" },
		{ "\"retry_on\": 1",
		    "retry_on: expected a list of exit codes, "
		    "not the number 1" },
		{ "\"limits\": true",
		    "limits: expected a map of limits, not true" },
		{ "\"http\": {\"headers\": [\"X: y\"]}",
		    "http.headers: expected a map of names to strings, not a "
		    "list" },
		{ "\"notify\": [\"http://h/\"]",
		    "notify[0]: expected a map, not the string \"http://h/\"" },
		/* Cut at 40 bytes, but not inside the é. */
		{ "\"retries\": "
		  "\"012345678901234567890123456789012345678\\u00e9x\"",
		    "retries: expected an integer, not the string "
		    "\"012345678901234567890123456789012345678...\"" },
	};
	char text[256], *cause;
	const char *field;
	struct job *job;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(text, sizeof text,
		    "{\"name\": \"a\", \"command\": \"x\", %s}", cases[i].json);
		cause = NULL;
		job = parse(text, NULL, &field, &cause);
		if (job != NULL)
			fail_msg("accepted: %s", text);
		assert_non_null(cause);
		assert_string_equal(cause, cases[i].cause);
		free(cause);
	}
}

/* The helpers job.c, job-sandbox.c and job-ext.c share. */
static void
test_shared_helpers(void **state)
{
	cJSON *v;
	char *cause = NULL;
	int64_t n = 0;
	int b = 0;

	(void)state;
	assert_int_equal(job_fail(&cause, "a.b", "%d is %s", 7, "odd"), -1);
	assert_string_equal(cause, "a.b: 7 is odd");
	free(cause);
	v = cJSON_CreateNumber(20);
	assert_int_equal(job_get_int(&cause, "x", v, -20, 19, &n), -1);
	assert_string_equal(cause, "x: 20 is outside -20..19");
	free(cause);
	assert_int_equal(job_get_int(&cause, "x", v, 0, 20, &n), 0);
	assert_int_equal(n, 20);
	assert_int_equal(job_get_bool(&cause, "y", v, &b), -1);
	assert_string_equal(
	    cause, "y: expected true or false, not the number 20");
	free(cause);
	cJSON_Delete(v);
	v = cJSON_CreateNumber(1.5);
	assert_int_equal(job_get_int(&cause, "x", v, 0, 20, &n), -1);
	assert_string_equal(cause, "x: expected an integer, not 1.5");
	free(cause);
	cJSON_Delete(v);
	v = cJSON_CreateTrue();
	assert_int_equal(job_get_bool(&cause, "y", v, &b), 0);
	assert_int_equal(b, 1);
	cJSON_Delete(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_field),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_patch_keeps_base),
		cmocka_unit_test(test_errors_name_the_field),
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_wrong_type_says_what),
		cmocka_unit_test(test_shared_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
