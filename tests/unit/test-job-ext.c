/* SPDX-License-Identifier: ISC */
/*
 * The job fields of job-ext.c: the http request, expect_status ranges,
 * groups and notify targets, their round trip through JSON and the errors
 * that name the field at fault.
 */
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
parse(const char *text, const char **field, char **cause)
{
	cJSON *json;
	struct job *job;

	json = cJSON_Parse(text);
	assert_non_null(json);
	*cause = NULL;
	*field = NULL;
	job = job_from_json(json, NULL, field, cause);
	cJSON_Delete(json);
	return job;
}

static void
test_http_fields(void **state)
{
	struct job *job;
	const char *field;
	char *cause;

	(void)state;
	job = parse("{\"name\": \"h\", \"kind\": \"http\", \"http\": {"
	            "\"method\": \"DELETE\", \"url\": \"https://x.test/a\","
	            "\"headers\": {\"X-A\": \"b\"}, \"body\": \"\","
	            "\"expect_status\": [\"2xx\", 304, \"400-404\"],"
	            "\"insecure_tls\": true, \"follow_redirects\": true}}",
	    &field, &cause);
	assert_non_null(job);
	assert_string_equal(job->http.method, "DELETE");
	assert_string_equal(job->http.url, "https://x.test/a");
	assert_int_equal(job->http.nheaders, 1);
	assert_string_equal(job->http.body, "");
	assert_int_equal(job->http.nexpect, 3);
	assert_true(job->http.insecure_tls);
	assert_true(job->http.follow_redirects);
	assert_true(job_http_status_ok(job, 200));
	assert_true(job_http_status_ok(job, 299));
	assert_true(job_http_status_ok(job, 304));
	assert_true(job_http_status_ok(job, 404));
	assert_false(job_http_status_ok(job, 301));
	assert_false(job_http_status_ok(job, 405));
	assert_false(job_http_status_ok(job, 500));
	job_free(job);

	/* No expect_status: any 2xx, nothing else. */
	job = parse("{\"name\": \"h\", \"kind\": \"http\", \"http\": "
	            "{\"url\": \"http://x.test/\", \"expect_status\": 204}}",
	    &field, &cause);
	assert_non_null(job);
	assert_true(job_http_status_ok(job, 204));
	assert_false(job_http_status_ok(job, 200));
	job_free(job);
	job = parse("{\"name\": \"h\", \"kind\": \"http\", \"http\": "
	            "{\"url\": \"http://x.test/\"}}",
	    &field, &cause);
	assert_non_null(job);
	assert_true(job_http_status_ok(job, 201));
	assert_false(job_http_status_ok(job, 302));
	job_free(job);
}

static void
test_notify_fields(void **state)
{
	struct job *job;
	const char *field;
	char *cause;

	(void)state;
	job =
	    parse("{\"name\": \"n\", \"command\": \"true\", \"group\": \"db\","
	          "\"late_after\": \"2m\", \"expected_duration\": 90,"
	          "\"notify\": [{\"kind\": \"webhook\", \"url\": "
	          "\"http://h.test/x\", \"on\": [\"failure\", \"missed\", "
	          "\"late\", \"long_running\"]}, {\"kind\": \"ping\", "
	          "\"url\": \"https://hc.test/u\"}, {\"kind\": \"command\", "
	          "\"command\": \"logger x\", \"on\": [\"success\"], "
	          "\"timeout\": \"30s\", \"retries\": 0}]}",
	        &field, &cause);
	assert_non_null(job);
	assert_string_equal(job->group, "db");
	assert_int_equal(job->late_after, 120);
	assert_int_equal(job->expected_duration, 90);
	assert_int_equal(job->nnotify, 3);
	assert_int_equal(job->notify[0].kind, NOTIFY_WEBHOOK);
	assert_int_equal(job->notify[0].on,
	    NOTIFY_ON_FAILURE | NOTIFY_ON_MISSED | NOTIFY_ON_LATE |
	        NOTIFY_ON_LONG_RUNNING);
	assert_int_equal(job->notify[0].timeout, 10);
	assert_int_equal(job->notify[0].retries, 2);
	assert_int_equal(job->notify[1].kind, NOTIFY_PING);
	assert_int_equal(
	    job->notify[1].on, NOTIFY_ON_FAILURE | NOTIFY_ON_SUCCESS);
	assert_int_equal(job->notify[2].kind, NOTIFY_COMMAND);
	assert_string_equal(job->notify[2].command, "logger x");
	assert_int_equal(job->notify[2].timeout, 30);
	assert_int_equal(job->notify[2].retries, 0);
	job_free(job);
	/* One event alone is a list of one, as people write it. */
	job = parse("{\"name\": \"n\", \"command\": \"true\", \"notify\": "
	            "[{\"kind\": \"webhook\", \"url\": \"http://h.test/x\", "
	            "\"on\": \"late\"}]}",
	    &field, &cause);
	assert_non_null(job);
	assert_int_equal(job->notify[0].on, NOTIFY_ON_LATE);
	job_free(job);
}

/* job_to_json then job_from_json gives the same JSON again. */
static void
test_round_trip(void **state)
{
	struct job *job, *again, *copy;
	const char *field;
	char *cause, *a, *b;
	cJSON *o;

	(void)state;
	job = parse("{\"name\": \"r\", \"kind\": \"http\", \"group\": \"g\","
	            "\"http\": {\"method\": \"POST\", \"url\": "
	            "\"http://x.test/\", \"expect_status\": [\"5xx\", "
	            "\"200-201\", 204]}, \"notify\": [{\"kind\": \"ping\", "
	            "\"url\": \"http://p.test/\", \"on\": [\"success\"]}],"
	            "\"late_after\": 5}",
	    &field, &cause);
	assert_non_null(job);
	copy = job_dup(job);
	o = job_to_json(copy, 1);
	a = cJSON_PrintUnformatted(o);
	again = job_from_json(o, NULL, &field, &cause);
	cJSON_Delete(o);
	assert_non_null(again);
	o = job_to_json(again, 1);
	b = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	assert_string_equal(a, b);
	assert_non_null(
	    strstr(a, "\"expect_status\":[\"5xx\",\"200-201\",204]"));
	free(a);
	free(b);
	job_free(job);
	job_free(copy);
	job_free(again);
}

static const struct {
	const char *json;
	const char *field;
	const char *part;
} bad[] = {
	{ "{\"name\": \"a\", \"kind\": \"http\", \"http\": {\"url\": "
	  "\"file:///etc/passwd\"}}",
	    "http.url", "not an http:// or https:// URL" },
	{ "{\"name\": \"a\", \"kind\": \"http\", \"http\": {\"url\": "
	  "\"http://x/ y\"}}",
	    "http.url", "spaces" },
	{ "{\"name\": \"a\", \"kind\": \"http\", \"http\": {\"url\": "
	  "\"http://x/\", \"method\": \"get\"}}",
	    "http.method", "upper case" },
	{ "{\"name\": \"a\", \"kind\": \"http\", \"http\": {\"url\": "
	  "\"http://x/\", \"expect_status\": [\"6xx\"]}}",
	    "http.expect_status", "" },
	{ "{\"name\": \"a\", \"kind\": \"http\", \"http\": {\"url\": "
	  "\"http://x/\", \"expect_status\": [\"300-200\"]}}",
	    "http.expect_status", "low to high" },
	{ "{\"name\": \"a\", \"kind\": \"http\", \"http\": {\"url\": "
	  "\"http://x/\", \"headers\": {\"A: b\": \"c\"}}}",
	    "http.headers", "not a header name" },
	{ "{\"name\": \"a\", \"kind\": \"http\", \"http\": {\"url\": "
	  "\"http://x/\", \"headers\": {\"A\": \"b\\r\\nC: d\"}}}",
	    "http.headers", "control characters" },
	{ "{\"name\": \"a\", \"kind\": \"http\", \"http\": {\"url\": "
	  "\"http://x/\", \"insecure_tls\": 1}}",
	    "http.insecure_tls", "true or false" },
	{ "{\"name\": \"a\", \"kind\": \"http\", \"http\": {\"uri\": \"x\"}}",
	    "http", "unknown key \"uri\"" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"group\": \"a b\"}", "group",
	    "group name" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"notify\": {}}", "notify",
	    "list of targets" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"notify\": [{\"kind\": "
	  "\"email\"}]}",
	    "notify[0].kind", "webhook, command or ping" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"notify\": [{\"kind\": "
	  "\"webhook\"}]}",
	    "notify[0]", "needs \"url\"" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"notify\": [{\"kind\": "
	  "\"webhook\", \"url\": \"http://h/\", \"on\": [\"sometimes\"]}]}",
	    "notify[0].on",
	    "unknown event \"sometimes\"; expected failure, success, missed" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"notify\": [{\"kind\": "
	  "\"webhook\", \"url\": \"http://h/\", \"on\": \"explode\"}]}",
	    "notify[0].on", "unknown event \"explode\"" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"notify\": [{\"kind\": "
	  "\"webhook\", \"url\": \"http://h/\", \"on\": []}]}",
	    "notify[0].on", "expected an event or a list of events" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"notify\": [{\"kind\": "
	  "\"webhook\", \"url\": \"http://h/\", \"on\": [true]}]}",
	    "notify[0].on", "expected event names" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"notify\": [{\"kind\": "
	  "\"ping\", \"url\": \"http://h/\", \"on\": [\"late\"]}]}",
	    "notify[0]", "only failure and success" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"notify\": [{\"kind\": "
	  "\"command\", \"url\": \"http://h/\"}]}",
	    "notify[0].url", "unknown key for a command target" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"notify\": [{\"kind\": "
	  "\"command\", \"command\": \"x\", \"retries\": 11}]}",
	    "notify[0].retries", "0..10" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"notify\": [{\"kind\": "
	  "\"command\", \"command\": \"x\", \"retries\": 1e20}]}",
	    "notify[0].retries", "0..10" },
	{ "{\"name\": \"a\", \"kind\": \"http\", \"command\": \"x\","
	  " \"http\": {\"url\": \"http://h/\"}}",
	    "command", "runs no command" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"late_after\": 1e20}",
	    "late_after", "1e+20 is outside" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"late_after\": \"soon\"}",
	    "late_after", "" },
	{ "{\"name\": \"a\", \"command\": \"x\", \"expected_duration\": -5}",
	    "expected_duration", "outside" },
};

static void
test_errors_name_the_field(void **state)
{
	struct job *job;
	const char *field;
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		job = parse(bad[i].json, &field, &cause);
		if (job != NULL || field == NULL ||
		    strcmp(field, bad[i].field) != 0 ||
		    strstr(cause, bad[i].part) == NULL)
			fail_msg("%s: field %s, cause %s", bad[i].json,
			    field != NULL ? field : "(null)",
			    cause != NULL ? cause : "(null)");
		free(cause);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_fields),
		cmocka_unit_test(test_notify_fields),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_errors_name_the_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
