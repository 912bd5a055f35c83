/* SPDX-License-Identifier: ISC */
/*
 * Job files: YAML in, jobs or errors out. Every error message is checked
 * whole, with its line and column, because that text is the interface.
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

#include "jobfile.h"

static struct jobfile *
parse(const char *text)
{
	return jobfile_parse("t.yaml", text, strlen(text), 0);
}

/* TEXT must give exactly the errors given, in order, and no jobs. */
static void
expect_errors(const char *text, ...)
{
	struct jobfile *jf = parse(text);
	const char *want;
	size_t i = 0;
	va_list ap;

	va_start(ap, text);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (i >= jf->nerrors)
			fail_msg("missing error: %s", want);
		assert_string_equal(jf->errors[i], want);
		i++;
	}
	va_end(ap);
	if (i != jf->nerrors)
		fail_msg("unexpected error: %s", jf->errors[i]);
	assert_int_equal(jf->njobs, 0);
	jobfile_free(jf);
}

static void
test_full_job(void **state)
{
	struct jobfile *jf;
	struct job *j;

	(void)state;
	jf = parse("defaults:\n"
	           "  timezone: Europe/Paris\n"
	           "  env: {A: '1', REGION: NO}\n"
	           "  limits: {memory: 512M}\n"
	           "jobs:\n"
	           "  - name: gen\n"
	           "    schedule: 0 0 * * SUN\n"
	           "    command: [\"/bin/echo\", 5, yes]\n"
	           "    env: {DEBUG: yes, A: \"2\", EMPTY: }\n"
	           "    timeout: 2h30m\n"
	           "    kill_grace: 90\n"
	           "    retries: 3\n"
	           "    retry_on: [75]\n"
	           "    on_exit: {3: skip}\n"
	           "    umask: 027\n"
	           "    paused: true\n"
	           "    limits: {cpu: 5m}\n"
	           "    dst: {gap: skip}\n"
	           "  - name: web\n"
	           "    kind: http\n"
	           "    schedules: ['@hourly', \"*/5 * * * *\"]\n"
	           "    timezone: UTC\n"
	           "    http: {url: 'http://localhost/x', method: POST}\n");
	if (jf->nerrors > 0)
		fail_msg("%s", jf->errors[0]);
	assert_int_equal(jf->njobs, 2);
	j = jf->jobs[0];
	assert_string_equal(j->name, "gen");
	assert_string_equal(j->origin, "t.yaml");
	assert_string_equal(j->schedules[0], "0 0 * * SUN");
	assert_string_equal(j->timezone, "Europe/Paris");
	assert_int_equal(j->argc, 3);
	assert_string_equal(j->argv[1], "5");
	assert_string_equal(j->argv[2], "yes");
	assert_int_equal(j->nenv, 4);
	assert_string_equal(j->env[0].key, "A");
	assert_string_equal(j->env[0].value, "2");
	assert_string_equal(j->env[1].value, "NO");
	assert_string_equal(j->env[2].value, "yes");
	assert_string_equal(j->env[3].key, "EMPTY");
	assert_string_equal(j->env[3].value, "");
	assert_int_equal(j->timeout, 9000);
	assert_int_equal(j->kill_grace, 90);
	assert_int_equal(j->retries, 3);
	assert_int_equal(j->umask, 027);
	assert_true(j->paused);
	assert_int_equal(j->limits.memory, 512 * 1024 * 1024);
	assert_int_equal(j->limits.cpu, 300);
	assert_int_equal(j->dst_gap, CRON_GAP_SKIP);
	assert_int_equal(j->on_exit[0].code, 3);
	j = jf->jobs[1];
	assert_int_equal(j->kind, JOB_HTTP);
	assert_int_equal(j->nschedules, 2);
	assert_string_equal(j->http.method, "POST");
	assert_string_equal(j->timezone, "UTC");
	jobfile_free(jf);
}

static void
test_empty_and_one_job(void **state)
{
	struct jobfile *jf;

	(void)state;
	jf = parse("");
	assert_int_equal(jf->nerrors + jf->njobs, 0);
	jobfile_free(jf);
	jf = parse("# nothing yet\njobs:\n");
	assert_int_equal(jf->nerrors + jf->njobs, 0);
	jobfile_free(jf);
	jf = jobfile_parse(
	    "one.yaml", "name: x\ncommand: true\n", 22, JOBFILE_ONE_JOB);
	assert_int_equal(jf->nerrors, 0);
	assert_int_equal(jf->njobs, 1);
	jobfile_free(jf);
	expect_errors("name: x\ncommand: true\n",
	    "t.yaml:1:1: name: unknown key (a job file holds jobs: and "
	    "defaults:)",
	    "t.yaml:2:1: command: unknown key (a job file holds jobs: and "
	    "defaults:)",
	    NULL);
}

static void
test_schedule_traps(void **state)
{
	(void)state;
	expect_errors("jobs:\n- name: a\n  schedule: */5 * * * *\n",
	    "t.yaml:3:13: schedule: quote this value (\"*/5 * * * *\"): YAML "
	    "reads a leading * as an alias",
	    NULL);
	expect_errors("jobs:\n- name: a\n  schedules:\n  - @daily\n",
	    "t.yaml:4:5: schedules: quote this value (\"@daily\"): YAML reads "
	    "a leading @ or ` as reserved",
	    NULL);
	expect_errors("jobs:\n- name: a\n  schedule: *5 * * * *\n",
	    "t.yaml:3:13: yaml: *5 is an alias to no anchor; a value "
	    "starting with * must be quoted",
	    NULL);
	expect_errors("x: &s '@daily'\njobs:\n- name: a\n  schedule: *s\n"
	              "  command: x\n",
	    "t.yaml:1:1: x: unknown key (a job file holds jobs: and "
	    "defaults:)",
	    "t.yaml:4:13: schedule: an alias (*name) is not a schedule; "
	    "quote the expression",
	    NULL);
	expect_errors("jobs:\n- name: a\n  schedule: true\n  command: x\n",
	    "t.yaml:3:13: schedule: YAML reads true as a boolean, not a cron "
	    "expression; quote it (\"...\")",
	    NULL);
	expect_errors("jobs:\n- name: a\n  schedules: [\"@daily\", 1.5]\n"
	              "  command: x\n",
	    "t.yaml:3:25: schedules: YAML reads 1.5 as a number, not a cron "
	    "expression; quote it (\"...\")",
	    NULL);
	expect_errors("jobs:\n- name: a\n  schedule: 09:00\n  command: x\n",
	    "t.yaml:3:13: schedule: 09:00 is not a cron expression (YAML 1.1 "
	    "reads it as a base-60 number); for a daily time write \"M H * * "
	    "*\"",
	    NULL);
	expect_errors("jobs:\n- name: a\n  schedule: \"61 * * * *\"\n"
	              "  command: x\n",
	    "t.yaml:3:13: schedule: minute \"61\" is outside 0..59", NULL);
}

/*
 * An unquoted * or @ stops the parser: the error names the field being
 * read, as the other errors do (an item by its list, like the schedules'
 * other errors), and quotes the value alone, not the rest of the line.
 */
static void
test_quote_hint_names_field(void **state)
{
	(void)state;
	expect_errors("jobs:\n- name: a\n  schedules:\n  - */5 * * * *\n",
	    "t.yaml:4:5: schedules: quote this value (\"*/5 * * * *\"): YAML "
	    "reads a leading * as an alias",
	    NULL);
	expect_errors("jobs:\n- name: a\n  schedules: [*/5 * * * *]\n",
	    "t.yaml:3:15: schedules: quote this value (\"*/5 * * * *\"): YAML "
	    "reads a leading * as an alias",
	    NULL);
	expect_errors("jobs:\n- name: a\n"
	              "  schedules: [\"@daily\", */5 * * * *, \"@hourly\"]\n",
	    "t.yaml:3:25: schedules: quote this value (\"*/5 * * * *\"): YAML "
	    "reads a leading * as an alias",
	    NULL);
	expect_errors("jobs:\n- name: a\n  schedule: */5 * * * *  # often\n",
	    "t.yaml:3:13: schedule: quote this value (\"*/5 * * * *\"): YAML "
	    "reads a leading * as an alias",
	    NULL);
	expect_errors("defaults:\n  schedule: @daily\njobs: []\n",
	    "t.yaml:2:13: defaults.schedule: quote this value (\"@daily\"): "
	    "YAML reads a leading @ or ` as reserved",
	    NULL);
	expect_errors("jobs:\n- name: a\n  command: x\n  notify:\n"
	              "  - kind: webhook\n    url: @hook\n",
	    "t.yaml:6:10: notify[0].url: quote this value (\"@hook\"): YAML "
	    "reads a leading @ or ` as reserved",
	    NULL);
	expect_errors("jobs:\n- name: a\n  command: [ls, `x`]\n",
	    "t.yaml:3:17: command: quote this value (\"`x`\"): YAML reads a "
	    "leading @ or ` as reserved",
	    NULL);
	expect_errors("jobs:\n- name: a\n  @x: 1\n",
	    "t.yaml:3:3: yaml: quote this value (\"@x\"): YAML reads a leading "
	    "@ or ` as reserved",
	    NULL);
}

static void
test_yaml11_traps(void **state)
{
	(void)state;
	expect_errors("jobs:\n- name: a\n  command: x\n  paused: On\n",
	    "t.yaml:4:11: paused: write true or false, not On (YAML 1.1 "
	    "would read it as a boolean, YAML 1.2 as a string)",
	    NULL);
	expect_errors("jobs:\n- name: a\n  command: x\n  paused: 'true'\n",
	    "t.yaml:4:11: paused: expected true or false, not the string "
	    "\"true\"",
	    NULL);
	expect_errors("jobs:\n- name: a\n  command: x\n  retries: 1:30\n",
	    "t.yaml:4:12: retries: 1:30 is a base-60 number in YAML 1.1; "
	    "write a plain number",
	    NULL);
	expect_errors("jobs:\n- name: a\n  command: x\n  timeout: yes\n",
	    "t.yaml:4:12: timeout: duration \"yes\" is not like 90s, 5m, "
	    "2h30m or 1d",
	    NULL);
	expect_errors("jobs:\n\t- name: a\n",
	    "t.yaml:2:1: yaml: tab used for indentation; YAML allows only "
	    "spaces",
	    NULL);
	expect_errors("jobs:\n- name: a\n  command: x\n  command: y\n",
	    "t.yaml:4:3: command: duplicate key (first at line 3)", NULL);
	expect_errors("jobs: []\n---\njobs: []\n",
	    "t.yaml:2:1: yaml: one document per file (a second starts here)",
	    NULL);
	expect_errors("jobs:\n- name: !!str a\n",
	    "t.yaml:2:9: yaml: tags (tag:yaml.org,2002:str) are not "
	    "supported; quote the value for a string",
	    NULL);
	expect_errors("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	              "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	              "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	              "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	              "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
	    "t.yaml:5:8: yaml: the document expands to more than 20000 nodes "
	    "(aliases?)",
	    NULL);
}

/*
 * True, TRUE, False and FALSE are booleans in YAML 1.1 and 1.2 alike, so
 * a boolean field takes them; a string field keeps them as written. Only
 * yes, no, on, off, y and n (in YAML 1.1's spellings) differ between the
 * two, and other spellings are strings in both.
 */
static void
test_booleans(void **state)
{
	struct jobfile *jf;

	(void)state;
	jf = parse("jobs:\n- name: a\n  command: [echo, True, FALSE]\n"
	           "  paused: TRUE\n  env: {A: False}\n"
	           "  sandbox: {network: False}\n"
	           "- name: b\n  command: x\n  paused: False\n");
	if (jf->nerrors > 0)
		fail_msg("%s", jf->errors[0]);
	assert_int_equal(jf->njobs, 2);
	assert_true(jf->jobs[0]->paused);
	assert_string_equal(jf->jobs[0]->argv[1], "True");
	assert_string_equal(jf->jobs[0]->argv[2], "FALSE");
	assert_string_equal(jf->jobs[0]->env[0].value, "False");
	assert_false(jf->jobs[0]->sandbox.network);
	assert_false(jf->jobs[1]->paused);
	jobfile_free(jf);
	expect_errors("jobs:\n- name: a\n  command: x\n  paused: Y\n"
	              "- name: b\n  command: x\n  paused: OFF\n"
	              "- name: c\n  command: x\n  paused: tRUE\n"
	              "- name: d\n  command: x\n  paused: yEs\n",
	    "t.yaml:4:11: paused: write true or false, not Y (YAML 1.1 would "
	    "read it as a boolean, YAML 1.2 as a string)",
	    "t.yaml:7:11: paused: write true or false, not OFF (YAML 1.1 would "
	    "read it as a boolean, YAML 1.2 as a string)",
	    "t.yaml:10:11: paused: expected true or false, not the string "
	    "\"tRUE\"",
	    "t.yaml:13:11: paused: expected true or false, not the string "
	    "\"yEs\"",
	    NULL);
	expect_errors("jobs:\n- name: a\n  command: x\n  schedule: False\n"
	              "  retries: TRUE\n  notify:\n"
	              "  - {kind: webhook, url: 'http://h/', on: True}\n",
	    "t.yaml:4:13: schedule: YAML reads False as a boolean, not a cron "
	    "expression; quote it (\"...\")",
	    "t.yaml:5:12: retries: expected a number, not TRUE",
	    "t.yaml:7:43: notify[0].on: True is a boolean, not an event; "
	    "write one of failure, success, missed, late or long_running",
	    NULL);
}

/*
 * Bytes that are not text are placed where they are: libyaml gives a byte
 * offset for them, not a line and column. A broken UTF-8 sequence is
 * placed at its first byte, columns count characters, and CR LF ends a
 * line as LF does.
 */
static void
test_bad_bytes(void **state)
{
	static const char utf16[] = "\xff\xfej\0o\0b\0s\0:\0 \0[\0]\0\n\0"
	                            "#\0 \0\0\xdc";
	struct jobfile *jf;

	(void)state;
	expect_errors("jobs:\n- name: a\n  command: x\n"
	              "  description: \"caf\xe9\"\n",
	    "t.yaml:4:20: yaml: invalid trailing UTF-8 octet; save the file "
	    "as UTF-8",
	    NULL);
	expect_errors("jobs:\r\n- name: a\r\n"
	              "  description: \"\xc3\xa9t\xc3\xa9 \x01\"\r\n",
	    "t.yaml:3:21: yaml: control characters are not allowed (found "
	    "U+0001)",
	    NULL);
	expect_errors("jobs: []\n# caf\xc3",
	    "t.yaml:2:6: yaml: incomplete UTF-8 octet sequence; save the file "
	    "as UTF-8",
	    NULL);
	expect_errors("\xef\xbb\xbfjobs: []\n\xff\n",
	    "t.yaml:2:1: yaml: invalid leading UTF-8 octet; save the file as "
	    "UTF-8",
	    NULL);
	/* libyaml also reads UTF-16 after a byte order mark. */
	jf = jobfile_parse("t.yaml", utf16, sizeof utf16 - 1, 0);
	assert_int_equal(jf->nerrors, 1);
	assert_string_equal(jf->errors[0],
	    "t.yaml:2:3: yaml: unexpected low surrogate area (found U+DC00)");
	jobfile_free(jf);
}

static void
test_unknown_keys(void **state)
{
	(void)state;
	expect_errors("job:\n- name: a\n",
	    "t.yaml:1:1: job: unknown key; did you mean jobs?", NULL);
	expect_errors("jobs:\n- name: a\n  comand: x\n  enabled: false\n"
	              "  cron: x\n  limits: {memroy: 5}\n  http: {uri: x}\n",
	    "t.yaml:3:3: comand: unknown field; did you mean command?",
	    "t.yaml:4:3: enabled: unknown field; did you mean paused "
	    "(paused: false)?",
	    "t.yaml:5:3: cron: unknown field; did you mean schedule?",
	    "t.yaml:6:12: limits.memroy: unknown field; did you mean memory?",
	    "t.yaml:7:10: http.uri: unknown field; did you mean url?", NULL);
	expect_errors("jobs:\n- name: a\n  xyzzy: 1\n  command: x\n",
	    "t.yaml:3:3: xyzzy: unknown field", NULL);
	expect_errors("defaults:\n  name: x\njobs:\n- name: a\n  command: x\n",
	    "t.yaml:2:9: defaults.name: every job needs its own name", NULL);
}

static void
test_field_rules(void **state)
{
	(void)state;
	expect_errors("jobs:\n- name: a\n- command: x\n- 5\n",
	    "t.yaml:2:3: command: is required", "t.yaml:3:3: name: is required",
	    "t.yaml:4:3: jobs[2]: expected "
	    "a map of job fields",
	    NULL);
	expect_errors("jobs:\n- name: a b\n  command: x\n",
	    "t.yaml:2:9: name: expected [A-Za-z0-9._-]{1,64}", NULL);
	expect_errors("jobs:\n- name: a\n  command: x\n  limits:\n"
	              "    memory: lots\n",
	    "t.yaml:5:13: limits.memory: size \"lots\" is not like 512, 64K, "
	    "512M or 2G",
	    NULL);
	expect_errors("jobs:\n- name: a\n  command: x\n"
	              "- name: a\n  command: y\n",
	    "t.yaml:4:9: name: job \"a\" is defined twice in this file", NULL);
	expect_errors("jobs:\n- name: a\n  command: x\n  timezone: Mars/Base\n",
	    "t.yaml:4:13: timezone: unknown time zone \"Mars/Base\"", NULL);
	expect_errors("jobs: {a: 1}\n",
	    "t.yaml:1:7: jobs: expected a list of jobs (- name: ...)", NULL);
}

/* Every independent field error of a job at once, in file order. */
static void
test_all_field_errors(void **state)
{
	(void)state;
	expect_errors("jobs:\n- name: a\n  schedule: '@daily'\n"
	              "  command: x\n  concurrency: sometimes\n"
	              "  catchup: yes\n  umask: 999\n  workdir: tmp\n"
	              "  max_output: lots\n  jitter: -5s\n",
	    "t.yaml:5:16: concurrency: \"sometimes\" is not one of allow, "
	    "forbid, replace",
	    "t.yaml:6:12: catchup: \"yes\" is not one of skip, once, all",
	    "t.yaml:7:10: umask: \"999\" is not an octal mode 000..777",
	    "t.yaml:8:12: workdir: expected an absolute path",
	    "t.yaml:9:15: max_output: size \"lots\" is not like 512, 64K, "
	    "512M or 2G",
	    "t.yaml:10:11: jitter: duration \"-5s\" is not like 90s, 5m, "
	    "2h30m or 1d",
	    NULL);
	/* YAML traps and field rules together; defaults do not reorder. */
	expect_errors("defaults:\n  timeout: 5m\n  umask: '022'\njobs:\n"
	              "- name: a\n  command: x\n  umask: 999\n"
	              "  paused: no\n  timeout: forever\n",
	    "t.yaml:7:10: umask: \"999\" is not an octal mode 000..777",
	    "t.yaml:8:11: paused: write true or false, not no (YAML 1.1 "
	    "would read it as a boolean, YAML 1.2 as a string)",
	    "t.yaml:9:12: timeout: duration \"forever\" is not like 90s, "
	    "5m, 2h30m or 1d",
	    NULL);
	/* Inside a map, each bad member, also in a map of a map. */
	expect_errors("jobs:\n- name: a\n  command: x\n"
	              "  limits: {nofile: -1, nproc: x, core: 5}\n"
	              "  sandbox:\n    memory_max: lots\n"
	              "    seccomp: {default: none, action: explode}\n"
	              "  http: {method: 5, url: 'ftp://x'}\n",
	    "t.yaml:4:20: limits.nofile: -1 is outside 0..1073741824",
	    "t.yaml:4:31: limits.nproc: expected an integer, not the string "
	    "\"x\"",
	    "t.yaml:6:17: sandbox.memory_max: size \"lots\" is not like 512, "
	    "64K, 512M or 2G",
	    "t.yaml:7:38: sandbox.seccomp.action: expected errno or kill",
	    "t.yaml:8:18: http.method: \"5\" is not a method such as GET or "
	    "POST (upper case)",
	    "t.yaml:8:26: http.url: \"ftp://x\" is not an http:// or "
	    "https:// URL",
	    NULL);
	/* A misspelt member does not hide the other members' errors. */
	expect_errors("jobs:\n- name: a\n  command: x\n"
	              "  limits: {memroy: 5, nofile: -1}\n"
	              "  sandbox: {seccomp: {actoin: kill, default: x}}\n",
	    "t.yaml:4:12: limits.memroy: unknown field; did you mean memory?",
	    "t.yaml:4:31: limits.nofile: -1 is outside 0..1073741824",
	    "t.yaml:5:23: sandbox.seccomp.actoin: unknown field; did you mean "
	    "action?",
	    "t.yaml:5:46: sandbox.seccomp.default: expected deny-list or none",
	    NULL);
	/* A missing name is its own error, at the job's first line. */
	expect_errors("defaults:\n  retries: 1\njobs:\n- command: x\n"
	              "  retries: 1000\n",
	    "t.yaml:4:3: name: is required",
	    "t.yaml:5:12: retries: 1000 is outside 0..100", NULL);
}

/*
 * A value of the wrong type is named with what was given, in words that
 * suit YAML as well as the API's JSON (a map, a list, not an object).
 */
static void
test_wrong_type_says_what(void **state)
{
	(void)state;
	expect_errors("jobs:\n- name: a\n  command: x\n  retries: \"3\"\n"
	              "  env: [A, B]\n",
	    "t.yaml:4:12: retries: expected an integer, not the string \"3\"",
	    "t.yaml:5:8: env: expected a map of names to strings, not a list",
	    NULL);
	expect_errors("jobs:\n- name: a\n  command: {run: x}\n"
	              "  umask: [1]\n",
	    "t.yaml:3:12: command: expected a string or a list of strings, "
	    "not a map",
	    "t.yaml:4:10: umask: expected an octal string such as \"022\", "
	    "not a list",
	    NULL);
}

/* A rule joining fields is not checked when one of them failed. */
static void
test_no_consequent_errors(void **state)
{
	(void)state;
	/* Not "command: is required": the kind may have meant http. */
	expect_errors("jobs:\n- name: a\n  kind: htp\n",
	    "t.yaml:3:9: kind: \"htp\" is not command or http", NULL);
	expect_errors("jobs:\n- name: a\n  kind: http\n"
	              "  http: {url: ftp://x}\n",
	    "t.yaml:4:15: http.url: \"ftp://x\" is not an http:// or "
	    "https:// URL",
	    NULL);
	expect_errors("jobs:\n- name: a\n  command: x\n"
	              "  retry_backoff: soon\n  retry_backoff_max: 5\n",
	    "t.yaml:4:18: retry_backoff: duration \"soon\" is not like 90s, "
	    "5m, 2h30m or 1d",
	    NULL);
	expect_errors("jobs:\n- name: a\n  comand: x\n  timeout: x\n",
	    "t.yaml:3:3: comand: unknown field; did you mean command?",
	    "t.yaml:4:12: timeout: duration \"x\" is not like 90s, 5m, "
	    "2h30m or 1d",
	    NULL);
	expect_errors("jobs:\n- name: a\n  command: x\n"
	              "  retry_backoff: 100\n  retry_backoff_max: 5\n"
	              "  timezone: Mars/Base\n",
	    "t.yaml:5:22: retry_backoff_max: must not be less than "
	    "retry_backoff",
	    "t.yaml:6:13: timezone: unknown time zone \"Mars/Base\"", NULL);
}

/* notify's on: the bad event named, at the value; one event alone. */
static void
test_notify_on(void **state)
{
	struct jobfile *jf;

	(void)state;
	expect_errors(
	    "jobs:\n  - name: a\n    schedule: \"@daily\"\n"
	    "    command: \"true\"\n    notify:\n"
	    "      - kind: webhook\n        url: http://127.0.0.1:9/h\n"
	    "        on: [failure, explode]\n",
	    "t.yaml:8:13: notify[0].on: unknown event \"explode\"; expected "
	    "failure, success, missed, late or long_running",
	    NULL);
	expect_errors("jobs:\n- name: a\n  command: x\n  notify:\n"
	              "  - {kind: ping, url: 'http://h/'}\n"
	              "  - {kind: webhook, url: 'http://h/', on: yes}\n"
	              "  - {kind: webhook, url: 'http://h/', on: [late, No]}\n"
	              "  - {kind: webhook, url: 'http://h/', on: true}\n"
	              "  - {kind: webhook, url: 'http://h/', kinde: x}\n",
	    "t.yaml:6:43: notify[1].on: yes is a boolean in YAML 1.1, not an "
	    "event; write one of failure, success, missed, late or "
	    "long_running",
	    "t.yaml:7:50: notify[2].on: No is a boolean in YAML 1.1, not an "
	    "event; write one of failure, success, missed, late or "
	    "long_running",
	    "t.yaml:8:43: notify[3].on: true is a boolean, not an event; "
	    "write one of failure, success, missed, late or long_running",
	    "t.yaml:9:39: notify[4].kinde: unknown field; did you mean kind?",
	    NULL);
	jf = parse("jobs:\n- name: a\n  command: x\n  notify:\n"
	           "  - kind: webhook\n    url: http://h/\n    on: missed\n");
	if (jf->nerrors > 0)
		fail_msg("%s", jf->errors[0]);
	assert_int_equal(jf->jobs[0]->notify[0].on, NOTIFY_ON_MISSED);
	jobfile_free(jf);
}

/* A job's list or map replaces a default of another shape whole. */
static void
test_defaults_override(void **state)
{
	struct jobfile *jf;

	(void)state;
	jf = parse("defaults:\n  retry_on: [3]\n  command: [a, b]\n"
	           "  env: {A: x}\njobs:\n"
	           "- name: a\n  retry_on: [75, 76]\n  command: c\n"
	           "- name: b\n  env: [1]\n");
	assert_int_equal(jf->nerrors, 1);
	assert_string_equal(jf->errors[0],
	    "t.yaml:10:8: env: expected a map of names to strings, not a list");
	jobfile_free(jf);
	jf = parse("defaults:\n  retry_on: [3]\n  command: [a, b]\njobs:\n"
	           "- name: a\n  retry_on: [75, 76]\n  command: c\n");
	if (jf->nerrors > 0)
		fail_msg("%s", jf->errors[0]);
	assert_int_equal(jf->jobs[0]->nretry_on, 2);
	assert_string_equal(jf->jobs[0]->command, "c");
	assert_null(jf->jobs[0]->argv);
	jobfile_free(jf);
}

static void
test_names(void **state)
{
	(void)state;
	assert_true(jobfile_name_ok("app.yaml"));
	assert_true(jobfile_name_ok("db.example.com.yml"));
	assert_false(jobfile_name_ok(".app.yaml"));
	assert_false(jobfile_name_ok(".app.yaml.swp"));
	assert_false(jobfile_name_ok("app.yaml~"));
	assert_false(jobfile_name_ok("app.yaml.dpkg-old"));
	assert_false(jobfile_name_ok("app.yaml.rpmnew"));
	assert_false(jobfile_name_ok("app.yaml.bak"));
	assert_false(jobfile_name_ok("app.tmp.yaml.tmp"));
	assert_false(jobfile_name_ok("app.json"));
	assert_false(jobfile_name_ok("#app.yaml#"));
}

/* What jobfile_write emits parses back to the same jobs. */
static void
test_write_round_trip(void **state)
{
	struct jobfile *a, *b;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *fp;

	(void)state;
	a = parse(
	    "jobs:\n"
	    "- name: a\n"
	    "  schedule: '@daily'\n"
	    "  command: \"printf '%s\\\\n' \\\"x: y\\\" # not a comment\"\n"
	    "  env: {'K': \"v\\nw\", N: no}\n"
	    "  limits: {memory: 1G}\n"
	    "  description: \"\\u00e9t\\u00e9\"\n"
	    "- name: b\n"
	    "  schedules: [\"1 * * * *\", \"2 * * * *\"]\n"
	    "  command: [a, 'b c', '*']\n"
	    "- name: c\n"
	    "  command: true\n"
	    "  notify:\n"
	    "  - kind: webhook\n"
	    "    url: https://example.com/hook\n"
	    "    on: [failure, late]\n"
	    "    timeout: 5s\n"
	    "  - kind: command\n"
	    "    command: logger done\n"
	    "    retries: 1\n");
	if (a->nerrors > 0)
		fail_msg("%s", a->errors[0]);
	fp = open_memstream(&buf, &len);
	jobfile_write(fp, a->jobs, a->njobs);
	fclose(fp);
	b = jobfile_parse("w.yaml", buf, len, 0);
	if (b->nerrors > 0)
		fail_msg("%s\n%s", b->errors[0], buf);
	assert_int_equal(b->njobs, 3);
	for (i = 0; i < 3; i++) {
		cJSON *ja = job_to_json(a->jobs[i], 1);
		cJSON *jb = job_to_json(b->jobs[i], 1);

		assert_true(cJSON_Compare(ja, jb, 1));
		cJSON_Delete(ja);
		cJSON_Delete(jb);
	}
	free(buf);
	jobfile_free(a);
	jobfile_free(b);
}

/*
 * A user that this host lacks is an error with its position only when the
 * jobs run here; a file sent to another daemon is checked by that daemon.
 */
static void
test_local_users(void **state)
{
	static const char text[] = "jobs:\n"
	                           "- name: a\n"
	                           "  schedule: '@daily'\n"
	                           "  command: id\n"
	                           "  user: cronq-no-such-user\n"
	                           "- name: b\n"
	                           "  schedule: '@daily'\n"
	                           "  command: id\n"
	                           "  user: root\n";
	struct jobfile *jf;

	(void)state;
	jf = jobfile_parse("t.yaml", text, strlen(text), JOBFILE_LOCAL_USERS);
	assert_int_equal(jf->nerrors, 1);
	assert_string_equal(jf->errors[0],
	    "t.yaml:5:9: user: no user named \"cronq-no-such-user\" on this "
	    "host");
	assert_int_equal(jf->njobs, 0);
	jobfile_free(jf);
	jf = parse(text);
	assert_int_equal(jf->nerrors, 0);
	assert_int_equal(jf->njobs, 2);
	assert_string_equal(jf->jobs[0]->user, "cronq-no-such-user");
	jobfile_free(jf);
}

/*
 * A default at fault is one error, defaults.FIELD, used or not; the jobs
 * are still checked, and those inheriting it do not repeat it.
 */
static void
test_defaults_errors(void **state)
{
	static const char users[] = "defaults:\n"
	                            "  user: cronq-no-such-user\n"
	                            "jobs:\n"
	                            "- name: a\n  command: x\n"
	                            "- name: b\n  command: x\n";
	struct jobfile *jf;

	(void)state;
	expect_errors("defaults:\n  paused: no\njobs:\n"
	              "- name: a\n  command: x\n  timeout: 2q\n",
	    "t.yaml:2:11: defaults.paused: write true or false, not no (YAML "
	    "1.1 would read it as a boolean, YAML 1.2 as a string)",
	    "t.yaml:6:12: timeout: duration \"2q\" is not like 90s, 5m, "
	    "2h30m or 1d",
	    NULL);
	expect_errors("defaults:\n  colour: red\njobs:\n"
	              "- name: a\n  command: x\n  timeout: 2q\n",
	    "t.yaml:2:3: defaults.colour: unknown field",
	    "t.yaml:6:12: timeout: duration \"2q\" is not like 90s, 5m, "
	    "2h30m or 1d",
	    NULL);
	expect_errors("defaults:\n  timeout: 5x\njobs:\n"
	              "- name: a\n  command: x\n"
	              "- name: b\n  command: x\n  catchup: never\n"
	              "- name: c\n  command: x\n  timeout: 1m\n",
	    "t.yaml:2:12: defaults.timeout: duration \"5x\" is not like 90s, "
	    "5m, 2h30m or 1d",
	    "t.yaml:8:12: catchup: \"never\" is not one of skip, once, all",
	    NULL);
	expect_errors("defaults:\n  timeout: 5x\njobs: []\n",
	    "t.yaml:2:12: defaults.timeout: duration \"5x\" is not like 90s, "
	    "5m, 2h30m or 1d",
	    NULL);
	/* Job a's http lacks the url left out: no "http.url: is required". */
	expect_errors("defaults:\n  kind: http\n  http: {url: \"ftp://x\"}\n"
	              "jobs:\n- name: a\n  http: {method: POST}\n",
	    "t.yaml:3:15: defaults.http.url: \"ftp://x\" is not an http:// or "
	    "https:// URL",
	    NULL);
	expect_errors("defaults:\n  comand: x\njobs:\n- name: a\n"
	              "- name: b\n  command: y\n  retries: -1\n",
	    "t.yaml:2:3: defaults.comand: unknown field; did you mean command?",
	    "t.yaml:7:12: retries: -1 is outside 0..100", NULL);
	expect_errors("defaults:\n  timezone: Mars/Base\njobs:\n"
	              "- name: a\n  command: x\n"
	              "- name: b\n  command: x\n  timezone: Moon/X\n",
	    "t.yaml:2:13: defaults.timezone: unknown time zone \"Mars/Base\"",
	    "t.yaml:8:13: timezone: unknown time zone \"Moon/X\"", NULL);
	jf = jobfile_parse("t.yaml", users, strlen(users), JOBFILE_LOCAL_USERS);
	assert_int_equal(jf->nerrors, 1);
	assert_string_equal(jf->errors[0],
	    "t.yaml:2:9: defaults.user: no user named \"cronq-no-such-user\" "
	    "on this host");
	jobfile_free(jf);
}

/* A local user and a name used twice are checked whatever else failed. */
static void
test_standalone_checks(void **state)
{
	static const char text[] = "jobs:\n"
	                           "- name: a\n"
	                           "  command: id\n"
	                           "  user: cronq-no-such-user\n"
	                           "  timeout: 2q\n";
	struct jobfile *jf;

	(void)state;
	jf = jobfile_parse("t.yaml", text, strlen(text), JOBFILE_LOCAL_USERS);
	assert_int_equal(jf->nerrors, 2);
	assert_string_equal(jf->errors[0],
	    "t.yaml:4:9: user: no user named \"cronq-no-such-user\" on this "
	    "host");
	assert_string_equal(jf->errors[1],
	    "t.yaml:5:12: timeout: duration \"2q\" is not like 90s, 5m, 2h30m "
	    "or 1d");
	jobfile_free(jf);
	expect_errors("jobs:\n- name: a\n  command: x\n  timeout: 2q\n"
	              "- name: a\n  command: x\n  retries: -1\n",
	    "t.yaml:4:12: timeout: duration \"2q\" is not like 90s, 5m, "
	    "2h30m or 1d",
	    "t.yaml:5:9: name: job \"a\" is defined twice in this file",
	    "t.yaml:7:12: retries: -1 is outside 0..100", NULL);
}

/*
 * A job's name keeps its place, for the errors found after the file is
 * read (a name another file or the API has): those are placed too.
 */
static void
test_name_positions(void **state)
{
	struct jobfile *jf;
	char *msg;

	(void)state;
	jf = parse("defaults:\n  command: x\njobs:\n- name: a\n"
	           "- schedule: '@daily'\n  name:   \"b\"\n");
	if (jf->nerrors > 0)
		fail_msg("%s", jf->errors[0]);
	assert_int_equal(jf->njobs, 2);
	assert_int_equal(jf->names[0].line, 4);
	assert_int_equal(jf->names[0].col, 9);
	assert_int_equal(jf->names[1].line, 6);
	assert_int_equal(jf->names[1].col, 11);
	msg = jobfile_name_error(jf, 1, "already exists (from %s)", "the API");
	assert_string_equal(
	    msg, "t.yaml:6:11: name: job \"b\" already exists (from the API)");
	free(msg);
	jobfile_free(jf);
	jf = jobfile_parse(
	    "one.yaml", "command: x\nname: c\n", 18, JOBFILE_ONE_JOB);
	assert_int_equal(jf->njobs, 1);
	assert_int_equal(jf->names[0].line, 2);
	assert_int_equal(jf->names[0].col, 7);
	jobfile_free(jf);
}

/* schedules: [] beside schedule: adds nothing, as cronq edit writes it. */
static void
test_schedule_empty_list(void **state)
{
	struct jobfile *jf;

	(void)state;
	jf = parse("jobs:\n- name: a\n  schedules: []\n"
	           "  schedule: \"0 9 * * *\"\n  command: x\n"
	           "- name: b\n  schedule: \"0 9 * * *\"\n"
	           "  schedules: []\n  command: x\n");
	if (jf->nerrors > 0)
		fail_msg("%s", jf->errors[0]);
	assert_int_equal(jf->njobs, 2);
	assert_int_equal(jf->jobs[0]->nschedules, 1);
	assert_string_equal(jf->jobs[0]->schedules[0], "0 9 * * *");
	assert_int_equal(jf->jobs[1]->nschedules, 1);
	jobfile_free(jf);
	expect_errors("jobs:\n- name: a\n  schedule: \"61 * * * *\"\n"
	              "  schedules: []\n  command: x\n",
	    "t.yaml:3:13: schedule: minute \"61\" is outside 0..59", NULL);
	expect_errors("jobs:\n- name: a\n  schedule: \"1 * * * *\"\n"
	              "  schedules: [\"2 * * * *\"]\n  command: x\n",
	    "t.yaml:3:13: schedule: give schedule or schedules, not both",
	    NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_job),
		cmocka_unit_test(test_empty_and_one_job),
		cmocka_unit_test(test_schedule_traps),
		cmocka_unit_test(test_quote_hint_names_field),
		cmocka_unit_test(test_yaml11_traps),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_bad_bytes),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_field_rules),
		cmocka_unit_test(test_all_field_errors),
		cmocka_unit_test(test_wrong_type_says_what),
		cmocka_unit_test(test_no_consequent_errors),
		cmocka_unit_test(test_notify_on),
		cmocka_unit_test(test_defaults_override),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_write_round_trip),
		cmocka_unit_test(test_local_users),
		cmocka_unit_test(test_defaults_errors),
		cmocka_unit_test(test_standalone_checks),
		cmocka_unit_test(test_schedule_empty_list),
		cmocka_unit_test(test_name_positions),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
