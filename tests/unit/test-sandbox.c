/* SPDX-License-Identifier: ISC */
/*
 * The sandbox map of a job (parsing, errors naming the field, JSON round
 * trip) and real children under a sandbox: the seccomp filter built in
 * the parent and loaded by the child, priorities and, as root, the mount
 * and network namespaces. Tests that need what this machine refuses skip.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"
#include "idcache.h"
#include "job.h"
#include "output.h"
#include "sandbox-int.h"
#include "sandbox.h"

static char test_dir[] = "/tmp/test-sandbox.XXXXXX";
static char test_log[128];

static struct job *
parse(const char *text, const char **field, char **cause)
{
	struct job *job;
	cJSON *json;

	json = cJSON_Parse(text);
	assert_non_null(json);
	*cause = NULL;
	*field = NULL;
	job = job_from_json(json, NULL, field, cause);
	cJSON_Delete(json);
	return job;
}

static void
test_defaults(void **state)
{
	const char *field;
	char *cause;
	struct job *job;

	(void)state;
	job = parse("{\"name\": \"a\", \"command\": \"true\"}", &field, &cause);
	assert_non_null(job);
	assert_int_equal(job->sandbox.nice, JOB_NICE_UNSET);
	assert_int_equal(job->sandbox.seccomp_default, JOB_SECCOMP_DENY_LIST);
	assert_int_equal(job->sandbox.seccomp_action, JOB_SECCOMP_ERRNO);
	assert_int_equal(job->sandbox.network, 1);
	assert_int_equal(job->sandbox.memory_max, -1);
	assert_false(job_sandbox_wants_namespaces(&job->sandbox));
	assert_false(job_sandbox_wants_cgroup(&job->sandbox));
	job_free(job);
}

static const char full[] =
    "{\"name\": \"a\", \"command\": \"true\", \"sandbox\": {\"nice\": -5,"
    " \"ioprio\": \"best-effort:2\", \"seccomp\": {\"default\": \"none\","
    " \"action\": \"kill\", \"deny\": [\"unshare\", \"chroot\"],"
    " \"allow\": [\"ptrace\"]}, \"private_tmp\": true,"
    " \"protect_system\": true, \"network\": false,"
    " \"read_only_paths\": [\"/srv\"], \"read_write_paths\": [\"/srv/x\"],"
    " \"memory_max\": \"64M\", \"pids_max\": 50, \"cpu_max\": \"150%\"}}";

static void
test_full_round_trip(void **state)
{
	const char *field;
	char *cause, *a, *b;
	struct job *job, *again, *dup;
	cJSON *o;

	(void)state;
	job = parse(full, &field, &cause);
	if (job == NULL)
		fail_msg("%s", cause);
	assert_int_equal(job->sandbox.nice, -5);
	assert_int_equal(job->sandbox.ioprio_class, JOB_IOPRIO_BEST_EFFORT);
	assert_int_equal(job->sandbox.ioprio_level, 2);
	assert_int_equal(job->sandbox.seccomp_action, JOB_SECCOMP_KILL);
	assert_int_equal(job->sandbox.nseccomp_deny, 2);
	assert_string_equal(job->sandbox.seccomp_allow[0], "ptrace");
	assert_int_equal(job->sandbox.memory_max, 64 << 20);
	assert_int_equal(job->sandbox.cpu_max, 150);
	assert_true(job_sandbox_wants_namespaces(&job->sandbox));
	assert_true(job_sandbox_wants_cgroup(&job->sandbox));

	/* What job_to_json writes parses back to the same thing. */
	o = job_to_json(job, 1);
	a = cJSON_PrintUnformatted(o);
	again = job_from_json(o, NULL, &field, &cause);
	assert_non_null(again);
	cJSON_Delete(o);
	dup = job_dup(again);
	o = job_to_json(dup, 1);
	b = cJSON_PrintUnformatted(o);
	assert_string_equal(a, b);
	cJSON_Delete(o);
	free(a);
	free(b);
	job_free(dup);
	job_free(again);
	job_free(job);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *sandbox, *field, *message;
	} cases[] = {
		{ "[]", "sandbox", "sandbox: expected a map, not a list" },
		{ "{\"nice\": 20}", "sandbox.nice",
		    "sandbox.nice: 20 is outside -20..19" },
		{ "{\"ioprio\": \"idle:3\"}", "sandbox.ioprio",
		    "sandbox.ioprio: \"idle:3\" is not idle, "
		    "best-effort[:0-7] or realtime[:0-7]" },
		{ "{\"seccomp\": {\"action\": \"trap\"}}",
		    "sandbox.seccomp.action",
		    "sandbox.seccomp.action: expected errno or kill" },
		{ "{\"seccomp\": {\"deny\": [\"Mount\"]}}",
		    "sandbox.seccomp.deny",
		    "sandbox.seccomp.deny: \"Mount\" is not a system call "
		    "name" },
		{ "{\"seccomp\": {\"later\": 1}}", "sandbox.seccomp",
		    "sandbox.seccomp: unknown key \"later\" (expected "
		    "default, action, deny or allow)" },
		{ "{\"read_only_paths\": [\"srv\"]}", "sandbox.read_only_paths",
		    "sandbox.read_only_paths: \"srv\" is not an absolute path "
		    "below /" },
		{ "{\"read_write_paths\": [\"/\"]}", "sandbox.read_write_paths",
		    "sandbox.read_write_paths: \"/\" is not an absolute path "
		    "below /" },
		{ "{\"cpu_max\": \"fast\"}", "sandbox.cpu_max",
		    "sandbox.cpu_max: \"fast\" is not a percentage "
		    "1%-100000%" },
		{ "{\"memory_max\": 0}", "sandbox.memory_max",
		    "sandbox.memory_max: 0 is outside 1..4611686018427387904" },
		{ "{\"network\": \"no\"}", "sandbox.network",
		    "sandbox.network: expected true or false, not the string "
		    "\"no\"" },
		{ "{\"tmp\": true}", "sandbox", NULL },
	};
	const char *field;
	char text[512], *cause;
	struct job *job;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(text, sizeof text,
		    "{\"name\": \"a\", \"command\": \"true\", \"sandbox\": %s}",
		    cases[i].sandbox);
		job = parse(text, &field, &cause);
		assert_null(job);
		assert_string_equal(field, cases[i].field);
		if (cases[i].message != NULL)
			assert_string_equal(cause, cases[i].message);
		else
			assert_non_null(strstr(cause, "unknown key \"tmp\""));
		free(cause);
	}
}

static int
text_sink(void *arg, const void *buf, size_t len)
{
	char **t = arg;
	size_t old = *t != NULL ? strlen(*t) : 0;

	*t = realloc(*t, old + len + 1);
	assert_non_null(*t);
	memcpy(*t + old, buf, len);
	(*t)[old + len] = '\0';
	return 0;
}

/*
 * Runs COMMAND as this user under the sandbox of the job JSON; returns
 * its output (caller frees), or NULL with *cause when it could not start.
 */
static char *
run_sandboxed(const char *json, struct child_result *res, char **cause)
{
	struct sandbox_run sr;
	struct child_spec s;
	struct pollfd pfd;
	struct child *c;
	const char *field;
	struct job *job;
	char *out = NULL;

	job = parse(json, &field, cause);
	if (job == NULL)
		fail_msg("%s", *cause);
	memset(&sr, 0, sizeof sr);
	memset(&s, 0, sizeof s);
	s.run_id = 7;
	s.job = "sb";
	s.attempt = 1;
	s.command = job->command;
	s.umask = 022;
	s.uid = geteuid();
	s.gid = getegid();
	s.user = "root";
	s.home = test_dir;
	s.workdir = "/"; /* test_dir is hidden by private_tmp */
	s.log_path = test_log;
	s.log_cap = 1 << 20;
	if (sandbox_run_prepare(&sr, job, 7, cause) == -1)
		goto out;
	s.sandbox = &sr.cs;
	if ((c = child_spawn(&s, cause)) == NULL)
		goto out;
	if (child_wait_started(c, cause) == -1) {
		child_free(c);
		goto out;
	}
	pfd.fd = child_pidfd(c);
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 20000), 1);
	assert_int_equal(child_reap(c, res), 0);
	child_free(c);
	/* A run that printed nothing leaves no file: the empty log. */
	if (access(test_log, F_OK) == 0)
		assert_int_equal(
		    output_render(test_log, 0, text_sink, &out, NULL, cause),
		    0);
	if (out == NULL)
		out = calloc(1, 1);
out:
	sandbox_run_free(&sr);
	job_free(job);
	return out;
}

static void
test_seccomp_errno(void **state)
{
	struct child_result res;
	char *cause = NULL, *out;

	(void)state;
	if (!sandbox_caps.seccomp)
		skip();
	out = run_sandboxed("{\"name\": \"a\", \"command\": \"mkdir "
	                    "/tmp/test-sandbox-denied 2>&1; echo rc=$?\","
	                    " \"sandbox\": {\"seccomp\": {\"default\": "
	                    "\"none\", \"deny\": [\"mkdir\", \"mkdirat\"]}}}",
	    &res, &cause);
	if (out == NULL)
		fail_msg("%s", cause);
	assert_non_null(strstr(out, "Operation not permitted"));
	assert_non_null(strstr(out, "rc=1"));
	free(out);
}

static void
test_seccomp_kill(void **state)
{
	struct child_result res;
	char *cause = NULL, *out;

	(void)state;
	if (!sandbox_caps.seccomp)
		skip();
	out = run_sandboxed("{\"name\": \"a\", \"command\": \"exec mkdir "
	                    "/tmp/test-sandbox-killed\", \"sandbox\":"
	                    " {\"seccomp\": {\"action\": \"kill\", \"deny\":"
	                    " [\"mkdir\", \"mkdirat\"]}}}",
	    &res, &cause);
	if (out == NULL)
		fail_msg("%s", cause);
	assert_int_equal(res.exited, 0);
	assert_int_equal(res.signal, SIGSYS);
	free(out);
}

static void
test_priority(void **state)
{
	struct child_result res;
	char *cause = NULL, *out;

	(void)state;
	out = run_sandboxed("{\"name\": \"a\", \"command\": \"nice; ionice\","
	                    " \"sandbox\": {\"nice\": 5, \"ioprio\": "
	                    "\"best-effort:6\"}}",
	    &res, &cause);
	if (out == NULL)
		fail_msg("%s", cause);
	assert_string_equal(out, "5\nbest-effort: prio 6\n");
	free(out);
}

static void
test_namespaces(void **state)
{
	struct child_result res;
	char *cause = NULL, *out;

	(void)state;
	if (!sandbox_caps.ns)
		skip();
	out = run_sandboxed(
	    "{\"name\": \"a\", \"command\": \"touch /tmp/in-private && "
	    "touch /usr/x 2>&1; tail -n +3 /proc/net/dev | cut -d: -f1\","
	    " \"sandbox\": {\"private_tmp\": true, \"protect_system\": true,"
	    " \"network\": false}}",
	    &res, &cause);
	if (out == NULL)
		fail_msg("%s", cause);
	assert_non_null(strstr(out, "Read-only file system"));
	assert_non_null(strstr(out, "    lo\n"));
	assert_int_equal(access("/tmp/in-private", F_OK), -1);
	free(out);
}

static void
test_refused_without_namespaces(void **state)
{
	struct child_result res;
	char *cause = NULL, *out;
	int saved = sandbox_caps.ns;

	(void)state;
	sandbox_caps.ns = 0;
	strcpy(sandbox_caps.ns_why, "the daemon does not run as root");
	out = run_sandboxed("{\"name\": \"a\", \"command\": \"true\","
	                    " \"sandbox\": {\"private_tmp\": true}}",
	    &res, &cause);
	sandbox_caps.ns = saved;
	assert_null(out);
	assert_string_equal(cause,
	    "sandbox.private_tmp: needs namespaces, which this daemon cannot "
	    "create (the daemon does not run as root)");
	free(cause);
}

static void
test_missing_path(void **state)
{
	struct child_result res;
	char *cause = NULL, *out;

	(void)state;
	if (!sandbox_caps.ns)
		skip();
	out = run_sandboxed("{\"name\": \"a\", \"command\": \"true\","
	                    " \"sandbox\": {\"read_only_paths\": "
	                    "[\"/no/such/cronq\"]}}",
	    &res, &cause);
	assert_null(out);
	assert_string_equal(cause,
	    "sandbox.read_only_paths: /no/such/cronq: "
	    "No such file or directory");
	free(cause);
}

static int
setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(test_dir));
	snprintf(test_log, sizeof test_log, "%s/run.log", test_dir);
	/* No cgroup root: leaves are the daemon tests' business. */
	sandbox_init("/nonexistent");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(test_log);
	rmdir(test_dir);
	return 0;
}

/* The passwd cache answers as the database does, and copies it. */
static void
test_idcache(void **state)
{
	const struct id_user *u;
	struct passwd *pw;
	char name[64];
	gid_t g;

	(void)state;
	pw = getpwuid(getuid());
	assert_non_null(pw);
	snprintf(name, sizeof name, "%s", pw->pw_name);
	g = pw->pw_gid;
	u = idcache_by_uid(getuid());
	assert_non_null(u);
	assert_string_equal(u->name, name);
	assert_int_equal(u->gid, g);
	assert_true(u->ngroups >= 1);
	/* The same entry again, by name, while getpw* change their buffer. */
	assert_non_null(getpwuid(0));
	assert_ptr_equal(idcache_by_name(name), u);
	assert_string_equal(u->name, name);
	assert_null(idcache_by_name("no-such-user-cronq-test"));
	assert_int_equal(errno, ENOENT);
	idcache_flush();
	u = idcache_by_name(name);
	assert_non_null(u);
	assert_int_equal(u->uid, getuid());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_round_trip),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_seccomp_errno),
		cmocka_unit_test(test_seccomp_kill),
		cmocka_unit_test(test_priority),
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_refused_without_namespaces),
		cmocka_unit_test(test_missing_path),
		cmocka_unit_test(test_idcache),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
