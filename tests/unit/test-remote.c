/* SPDX-License-Identifier: ISC */
/*
 * The remote-control parts that need no network: agentd.yaml (values,
 * refusals with file:line:column, a bad reload leaving the settings
 * alone), token buckets with injected time, and the token and audit
 * tables in a real SQLite file, including one from before they were in
 * the numbered migrations (tests/data/store-v3.sql).
 */
#include "config.h"

#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "agentd.h"
#include "queue.h"
#include "remote.h"
#include "store-sql.h"
#include "util.h"

static char dir[] = "/tmp/cronq-test-remote.XXXXXX";

static const char *
write_file(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

static void
agentd_init(struct agentd *ad)
{
	memset(ad, 0, sizeof *ad);
	ad->settings.retention_days = 30;
	ad->settings.retention_runs = 1000;
	ad->settings.max_running = 64;
}

/* Loads TEXT as agentd.yaml; the cause (caller frees) or NULL. */
static char *
load(struct agentd *ad, const char *text)
{
	char *cause = NULL;
	const char *path = write_file("agentd.yaml", text, 0644);

	if (config_load(ad, path, &cause) == 0)
		return NULL;
	assert_non_null(cause);
	return cause;
}

static void
assert_cause(struct agentd *ad, const char *text, const char *want)
{
	char *cause = load(ad, text);
	char where[300];

	if (cause == NULL)
		fail_msg("accepted: %s", text);
	snprintf(where, sizeof where, "%s/%s", dir, want);
	if (strstr(cause, where) == NULL)
		fail_msg("want \"%s\" in \"%s\"", where, cause);
	free(cause);
}

static void
test_config_values(void **state)
{
	struct agentd ad;
	struct agentd_config *defaults;
	char text[1024];
	const char *key;

	(void)state;
	agentd_init(&ad);
	key = write_file("k.pem", "-----BEGIN PRIVATE KEY-----\n", 0600);
	snprintf(text, sizeof text,
	    "max_running: 4\n"
	    "retention_days: 7\n"
	    "listen:\n"
	    "  - {address: '::1', port: 8443, cert: /x.pem, key: %s}\n"
	    "  - {address: 127.0.0.2, port: 8080, insecure_http: true}\n"
	    "rate_limits:\n"
	    "  trigger: {per_minute: 6, burst: 2}\n"
	    "  exempt_local_root: false\n"
	    "jobs_dir: /srv/cronq.d\n"
	    "groups: {db-heavy: 2}\n"
	    "queue: {backend: local}\n",
	    key);
	assert_null(load(&ad, text));
	assert_int_equal(ad.settings.max_running, 4);
	assert_int_equal(ad.settings.retention_days, 7);
	assert_int_equal(ad.settings.retention_runs, 1000);
	assert_int_equal(ad.config->nlisteners, 2);
	assert_string_equal(ad.config->listeners[0].address, "::1");
	assert_int_equal(ad.config->listeners[1].insecure_http, 1);
	assert_true(ad.config->rates[RATE_TRIGGER].rate == 0.1);
	assert_true(ad.config->rates[RATE_TRIGGER].burst == 2);
	/* Untouched buckets keep their defaults. */
	assert_true(ad.config->rates[RATE_READ].burst == 100);
	assert_false(ad.config->exempt_local_root);
	defaults = config_defaults();
	assert_true(defaults->exempt_local_root);
	config_free(defaults);
	assert_false(ad.config->jwt.enabled);
	assert_string_equal(ad.jobs_dir, "/srv/cronq.d");
	free(ad.jobs_dir);
	config_free(ad.config);
}

static void
test_config_refusals(void **state)
{
	struct agentd ad;
	char text[512];
	const char *open_key;

	(void)state;
	agentd_init(&ad);
	assert_cause(&ad, "max_running: four\n",
	    "agentd.yaml:1:14: \"max_running\" must be a whole number");
	assert_cause(&ad, "rate_limits: {exempt_local_root: 0}\n",
	    "agentd.yaml:1:34: \"exempt_local_root\" must be true or false");
	assert_cause(&ad,
	    "listen:\n  - address: 10.0.0.1\n    port: 80\n"
	    "    insecure_http: true\n",
	    "agentd.yaml:2:5: plain HTTP on 10.0.0.1 refused");
	assert_cause(&ad, "listen:\n  - {address: 127.0.0.1, port: 80}\n",
	    "agentd.yaml:2:5: listener 127.0.0.1 port 80 has no cert");
	assert_cause(&ad, "listen:\n  - {address: localhost, port: 80}\n",
	    "agentd.yaml:2:15: address \"localhost\" is not a numeric");
	assert_cause(&ad, "rate_limits:\n  reads: {per_minute: 1}\n",
	    "agentd.yaml:2:3: unknown key \"reads\" in rate_limits; did you "
	    "mean read?");
	assert_cause(&ad, "max_runing: 4\n",
	    "agentd.yaml:1:1: unknown key \"max_runing\" in agentd.yaml; did "
	    "you mean max_running?");
	assert_cause(&ad, "listen:\n  - {adress: 127.0.0.1}\n",
	    "agentd.yaml:2:6: unknown key \"adress\" in listen; did you mean "
	    "address?");
	assert_cause(&ad, "auth:\n  jwt: {issuer: a, audience: b}\n",
	    "agentd.yaml:2:8: jwt needs issuer, audience, algorithm");
	assert_cause(&ad, "auth:\n  jwt: {algorithm: PS256}\n",
	    "agentd.yaml:2:20: algorithm must be HS256, RS256 or ES256");
	assert_cause(&ad, "key: [\n", "agentd.yaml:2:1: ");
	assert_cause(&ad, "groups: {db: many}\n",
	    "agentd.yaml:1:14: \"db\" must be a whole number");
	assert_cause(&ad, "jobs_dir: relative\n",
	    "agentd.yaml:1:11: jobs_dir must be an absolute path");
	open_key = write_file("open.secret", "s3cret\n", 0640);
	snprintf(text, sizeof text, "auth:\n  jwt:\n    secret_file: %s\n",
	    open_key);
	assert_cause(&ad, text, "agentd.yaml:3:18: secret_file: ");
	assert_cause(&ad, "max_running: 4\nretention_days: 2\nmax_running: 5\n",
	    "agentd.yaml:3:1: key \"max_running\" is given twice (first on "
	    "line 1)");
	assert_cause(&ad, "rate_limits:\n  read: {burst: 1, burst: 2}\n",
	    "agentd.yaml:2:20: key \"burst\" is given twice (first on line 2)");
	assert_cause(&ad, "queue:\n  backend: local\n  backend: amqp\n",
	    "agentd.yaml:3:3: key \"backend\" is given twice (first on line 2)");
	/* Nothing of the refused files was applied. */
	assert_null(ad.config);
	assert_int_equal(ad.settings.max_running, 64);
}

/* queue: is read by queue.c; its errors point at file:line:col too. */
static void
assert_queue_cause(const char *text, const char *want)
{
	struct queue_config cfg;
	const char *path = write_file("agentd.yaml", text, 0644);
	char *cause = NULL, where[300];

	queue_config_init(&cfg);
	if (queue_config_load(&cfg, path, &cause) == 0)
		fail_msg("accepted: %s", text);
	snprintf(where, sizeof where, "%s/%s", dir, want);
	if (strstr(cause, where) == NULL)
		fail_msg("want \"%s\" in \"%s\"", where, cause);
	free(cause);
	queue_config_clear(&cfg);
}

static void
test_queue_config_refusals(void **state)
{
	(void)state;
	assert_queue_cause("queue: {backend: lokal}\n",
	    "agentd.yaml:1:18: queue.backend: expected local or amqp, not "
	    "\"lokal\"");
	assert_queue_cause("max_running: 2\nqueue:\n  verify: yes\n",
	    "agentd.yaml:3:11: queue.verify: expected true or false");
	assert_queue_cause("queue:\n  backend: amqp\n  urll: amqp://h\n",
	    "agentd.yaml:3:3: queue: unknown key \"urll\"");
	assert_queue_cause("queue:\n  backend: amqp\n",
	    "agentd.yaml:1:1: queue.url: required with backend amqp");
}

static void
test_config_jwt(void **state)
{
	struct agentd ad;
	char text[512];
	const char *secret;

	(void)state;
	agentd_init(&ad);
	secret = write_file("hs.secret", "s3cret\n", 0600);
	snprintf(text, sizeof text,
	    "auth:\n  jwt:\n    issuer: https://id\n    audience: cronq\n"
	    "    algorithm: HS256\n    secret_file: %s\n    leeway: 1m\n",
	    secret);
	assert_null(load(&ad, text));
	assert_int_equal(ad.config->jwt.enabled, 1);
	/* The final newline is not part of the secret. */
	assert_int_equal(ad.config->jwt.keylen, 6);
	assert_int_equal(ad.config->jwt.leeway, 60);
	config_free(ad.config);
}

static void
test_ratelimit(void **state)
{
	struct ratelimit *rl = ratelimit_create();
	struct rate_conf c = { 0.5, 2 }; /* one every 2 s, two at once */

	(void)state;
	assert_int_equal(ratelimit_take(rl, RATE_TRIGGER, "a", &c, 1000), 0);
	assert_int_equal(ratelimit_take(rl, RATE_TRIGGER, "a", &c, 1000), 0);
	assert_int_equal(ratelimit_take(rl, RATE_TRIGGER, "a", &c, 1000), 2);
	/* Another key and another bucket are apart. */
	assert_int_equal(ratelimit_take(rl, RATE_TRIGGER, "b", &c, 1000), 0);
	assert_int_equal(ratelimit_take(rl, RATE_READ, "a", &c, 1000), 0);
	/* 1.5 s later half a token is missing: wait 1 s. */
	assert_int_equal(ratelimit_peek(rl, RATE_TRIGGER, "a", &c, 2500), 1);
	assert_int_equal(ratelimit_take(rl, RATE_TRIGGER, "a", &c, 3000), 0);
	assert_int_equal(ratelimit_rejected(rl, RATE_TRIGGER), 1);
	/* Peeking takes nothing. */
	assert_int_equal(ratelimit_peek(rl, RATE_READ, "new", &c, 3000), 0);
	ratelimit_free(rl);
}

/* The number of audit records F selects. */
static int
audit_count(struct store *st, const struct audit_filter *f)
{
	cJSON *out;
	int n;

	assert_int_equal(store_audit_list(st, f, &out), 0);
	n = cJSON_GetArraySize(cJSON_GetObjectItem(out, "records"));
	cJSON_Delete(out);
	return n;
}

/* The "state" of token T's API object at NOW. */
static const char *
token_state_at(const struct token_row *t, int64_t now)
{
	static char buf[16];
	cJSON *obj = store_token_to_json(t, now);
	const cJSON *v = cJSON_GetObjectItem(obj, "state");

	assert_true(cJSON_IsString(v));
	strlcpy(buf, v->valuestring, sizeof buf);
	cJSON_Delete(obj);
	return buf;
}

static void
test_store_tokens_audit(void **state)
{
	struct store *st;
	struct token_row t, got;
	struct audit_row a;
	struct audit_filter f;
	char path[256], *cause = NULL;
	cJSON *out;

	(void)state;
	snprintf(path, sizeof path, "%s/cronq.db", dir);
	st = store_open(path, &cause);
	assert_non_null(st);
	memset(&t, 0, sizeof t);
	strlcpy(t.prefix, "cq_abcdefgh", sizeof t.prefix);
	memset(t.hash, 0x5a, sizeof t.hash);
	t.owner = 1000;
	strlcpy(t.name, "ci", sizeof t.name);
	t.scopes = SCOPE_READ | SCOPE_TRIGGER;
	t.created_at = 100;
	assert_int_equal(store_token_insert(st, &t), 0);
	assert_int_equal(store_token_find(st, "cq_abcdefgh", &got), 0);
	assert_memory_equal(got.hash, t.hash, sizeof t.hash);
	assert_int_equal(got.scopes, SCOPE_READ | SCOPE_TRIGGER);
	assert_int_equal(got.expires_at, 0);
	assert_int_equal(store_token_find(st, "cq_nothere", &got), -1);
	assert_int_equal(store_token_revoke(st, t.id, 200), 0);
	assert_int_equal(store_token_load(st, t.id, &got), 0);
	assert_int_equal(got.revoked_at, 200);
	assert_int_equal(store_token_list(st, 1001, 0, 300, &out), 0);
	assert_int_equal(
	    cJSON_GetArraySize(cJSON_GetObjectItem(out, "tokens")), 0);
	cJSON_Delete(out);
	assert_string_equal(token_state_at(&got, 300), "revoked");

	/* A token past its expiry says so, from that very second on. */
	got.revoked_at = 0;
	got.expires_at = 400;
	assert_string_equal(token_state_at(&got, 399), "live");
	assert_string_equal(token_state_at(&got, 400), "expired");
	got.revoked_at = 200;
	assert_string_equal(token_state_at(&got, 400), "revoked");
	got.revoked_at = got.expires_at = 0;
	assert_string_equal(token_state_at(&got, 1LL << 40), "live");

	memset(&a, 0, sizeof a);
	a.principal = "token:1";
	a.source = "127.0.0.1";
	a.method = "POST";
	a.path = "/api/v1/jobs/x/trigger";
	a.job = "x";
	a.run = 7;
	for (a.at = 10; a.at <= 30; a.at += 10) {
		a.status = a.at == 20 ? 429 : 202;
		assert_int_equal(store_audit_add(st, &a), 0);
	}
	memset(&f, 0, sizeof f);
	f.since = 15;
	assert_int_equal(store_audit_list(st, &f, &out), 0);
	assert_int_equal(
	    cJSON_GetArraySize(cJSON_GetObjectItem(out, "records")), 2);
	cJSON_Delete(out);
	f.status_min = f.status_max = 429;
	assert_int_equal(store_audit_list(st, &f, &out), 0);
	assert_int_equal(
	    cJSON_GetArraySize(cJSON_GetObjectItem(out, "records")), 1);
	cJSON_Delete(out);
	/* A class, "denied" and a time range [since, until). */
	memset(&f, 0, sizeof f);
	f.status_min = 200;
	f.status_max = 299;
	assert_int_equal(audit_count(st, &f), 2);
	f.until = 30;
	assert_int_equal(audit_count(st, &f), 1);
	memset(&f, 0, sizeof f);
	f.denied = 1;
	assert_int_equal(audit_count(st, &f), 1);
	f.since = 21;
	assert_int_equal(audit_count(st, &f), 0);
	memset(&f, 0, sizeof f);
	f.principal = "token:2";
	assert_int_equal(audit_count(st, &f), 0);
	f.principal = "token:1";
	f.job = "x";
	assert_int_equal(audit_count(st, &f), 3);
	assert_int_equal(store_audit_prune(st, 25), 2);
	store_close(st);
}

static void
test_auth_tokens(void **state)
{
	struct agentd ad;
	struct token_row t;
	struct auth_result res;
	char path[256], token[AUTH_TOKEN_LEN + 1], *cause = NULL;
	char bad[AUTH_TOKEN_LEN + 1], scopes[64], want[32];
	unsigned int bits;

	(void)state;
	agentd_init(&ad);
	ad.config = config_defaults();
	snprintf(path, sizeof path, "%s/auth.db", dir);
	ad.store = store_open(path, &cause);
	assert_non_null(ad.store);

	memset(&t, 0, sizeof t);
	auth_token_new(token, t.prefix, t.hash);
	assert_int_equal(strlen(token), AUTH_TOKEN_LEN);
	assert_memory_equal(token, "cq_", 3);
	t.owner = 4242;
	t.scopes = SCOPE_READ;
	t.created_at = 1000;
	t.expires_at = 2000;
	assert_int_equal(store_token_insert(ad.store, &t), 0);
	assert_int_equal(auth_check(&ad, token, 1500, &res, &cause), 0);
	assert_int_equal(res.uid, 4242);
	assert_int_equal(res.scopes, SCOPE_READ);
	assert_int_equal(res.token_id, t.id);

	/* Same prefix, another tail: the hash decides. */
	strlcpy(bad, token, sizeof bad);
	bad[AUTH_TOKEN_LEN - 1] = bad[AUTH_TOKEN_LEN - 1] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_check(&ad, bad, 1500, &res, &cause), -1);
	assert_non_null(strstr(cause, "unknown API token"));
	assert_string_equal(res.name, "");
	free(cause);
	/* A refused genuine token is named, for the audit log. */
	assert_int_equal(auth_check(&ad, token, 2000, &res, &cause), -1);
	assert_non_null(strstr(cause, "expired"));
	snprintf(want, sizeof want, "token:%lld", (long long)t.id);
	assert_string_equal(res.name, want);
	assert_int_equal(res.scopes, 0);
	free(cause);
	assert_int_equal(auth_check(&ad, "cq_short", 1500, &res, &cause), -1);
	assert_non_null(strstr(cause, "malformed"));
	free(cause);
	/* Not a token and no issuer set up: refused, not parsed. */
	assert_int_equal(auth_check(&ad, "a.b.c", 1500, &res, &cause), -1);
	assert_non_null(strstr(cause, "no JWT issuer"));
	free(cause);
	assert_int_equal(store_token_revoke(ad.store, t.id, 1600), 0);
	assert_int_equal(auth_check(&ad, token, 1700, &res, &cause), -1);
	assert_non_null(strstr(cause, "revoked"));
	assert_string_equal(res.name, want);
	free(cause);

	assert_int_equal(util_parse_scopes("trigger, read", &bits, &cause), 0);
	auth_scopes_format(bits, scopes, sizeof scopes);
	assert_string_equal(scopes, "read,trigger");
	assert_int_equal(util_parse_scopes("read,root", &bits, &cause), -1);
	assert_non_null(strstr(cause, "unknown scope \"root\""));
	free(cause);
	store_close(ad.store);
	config_free(ad.config);
}

/* The text of FILE under the source tree (top_srcdir, else "."). */
static char *
read_source(const char *file)
{
	const char *top = getenv("top_srcdir");
	char path[512], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof path, "%s/%s", top != NULL ? top : ".", file);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot read %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int64_t
raw_int(const char *db_path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/*
 * A database left by a daemon of schema 3, whose token and audit tables
 * were made outside the migrations, upgrades to the current schema with
 * its rows intact and its token still good.
 */
static void
test_store_upgrade_v3(void **state)
{
	struct agentd ad;
	struct auth_result res;
	struct audit_row a;
	struct audit_filter f;
	char path[256], *sql, *msg = NULL, *cause = NULL;
	sqlite3 *db;
	cJSON *out;

	(void)state;
	snprintf(path, sizeof path, "%s/v3.db", dir);
	sql = read_source("tests/data/store-v3.sql");
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("fixture: %s", msg);
	sqlite3_close(db);
	free(sql);
	assert_int_equal(
	    raw_int(path, "SELECT max(version) FROM schema_version"), 3);

	agentd_init(&ad);
	ad.config = config_defaults();
	ad.store = store_open(path, &cause);
	if (ad.store == NULL)
		fail_msg("%s", cause);
	assert_int_equal(
	    store_schema_version(ad.store), (int)store_nmigrations);
	assert_true(store_nmigrations >= 4);
	/* The old rows: three audit records, the token, the job's run. */
	memset(&f, 0, sizeof f);
	assert_int_equal(store_audit_list(ad.store, &f, &out), 0);
	assert_int_equal(
	    cJSON_GetArraySize(cJSON_GetObjectItem(out, "records")), 3);
	assert_string_equal(
	    cJSON_GetObjectItem(
	        cJSON_GetArrayItem(cJSON_GetObjectItem(out, "records"), 1),
	        "job")
	        ->valuestring,
	    "nightly");
	cJSON_Delete(out);
	assert_int_equal(
	    auth_check(&ad, "cq_3FDTWu5MztooWRRPvMn-Y1lh5xByvws-kn0DTTu7rPM",
	        1796324400, &res, &cause),
	    0);
	assert_int_equal(res.uid, 0);
	assert_int_equal(res.scopes, SCOPE_READ | SCOPE_TRIGGER);
	/* New records go on after the old ones. */
	memset(&a, 0, sizeof a);
	a.at = 1796324500;
	a.principal = "uid:0";
	a.source = "unix";
	a.method = "DELETE";
	a.path = "/api/v1/jobs/nightly";
	a.status = 200;
	a.job = "nightly";
	assert_int_equal(store_audit_add(ad.store, &a), 0);
	store_close(ad.store);
	config_free(ad.config);
	assert_int_equal(raw_int(path, "SELECT max(id) FROM audit"), 4);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM runs"), 1);
	assert_int_equal(raw_int(path,
	                     "SELECT count(*) FROM sqlite_master WHERE "
	                     "name = 'audit_principal'"),
	    1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_values),
		cmocka_unit_test(test_config_refusals),
		cmocka_unit_test(test_queue_config_refusals),
		cmocka_unit_test(test_config_jwt),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_store_tokens_audit),
		cmocka_unit_test(test_auth_tokens),
		cmocka_unit_test(test_store_upgrade_v3),
	};
	char cmd[300];
	int rc;

	if (mkdtemp(dir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
