/* SPDX-License-Identifier: ISC */
/*
 * token create|ls|revoke (API tokens for remote control) and audit (the
 * daemon's record of changes and refusals). The token itself is printed
 * once, by create, and never again: the daemon keeps only its hash.
 */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "client.h"
#include "util.h"
#include "xmalloc.h"

static int cmd_token_exec(const struct cli_opts *, int, char **);
static int cmd_audit_exec(const struct cli_opts *, int, char **);

const struct cli_cmd cmd_token = { "token",
	"token create --scope SCOPES [--expires DUR] [--name NAME] | "
	"token ls | token revoke ID",
	"manage API tokens for --host (scopes: read,trigger,write,admin)",
	cmd_token_exec };
const struct cli_cmd cmd_audit = { "audit",
	"audit [--since TIME] [--until TIME] [--job JOB] [--principal WHO] "
	"[--status N|Nxx|denied] [--limit N]",
	"show the audit log of changes and refused requests (admins)",
	cmd_audit_exec };

/*
 * The values of --scope and --expires, which the command line can judge
 * as well as the daemon: a mistake there is the user's, named by option.
 * Returns CQ_EXIT_OK, or CQ_EXIT_USAGE after saying why.
 */
static int
token_check(const char *scope, const char *expires)
{
	unsigned int bits;
	int64_t secs;
	char *cause = NULL;
	int rc;

	if (util_parse_scopes(scope, &bits, &cause) == -1) {
		rc = cli_usage(&cmd_token, "create: --scope: %s", cause);
		free(cause);
		return rc;
	}
	if (expires != NULL &&
	    (util_parse_duration(expires, &secs, NULL) == -1 || secs <= 0 ||
	        secs > CQ_TOKEN_EXPIRES_MAX))
		return cli_usage(&cmd_token,
		    "create: --expires \"%s\": expected a duration from 1s "
		    "to %lldd, such as 12h, 30d or 2w (a bare number is "
		    "seconds)",
		    expires, CQ_TOKEN_EXPIRES_MAX / 86400);
	return CQ_EXIT_OK;
}

static int
token_create(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "scope", required_argument, NULL, 's' },
		{ "expires", required_argument, NULL, 'e' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *scope = NULL, *expires = NULL, *name = NULL;
	struct client *c;
	cJSON *body, *resp;
	int ch, rc;

	opterr = 0;
	while (
	    (ch = getopt_long(argc, argv, ":s:e:n:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			scope = optarg;
			break;
		case 'e':
			expires = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'h':
			return print_usage(&cmd_token);
		default:
			return print_badopt(&cmd_token, ch, argv);
		}
	}
	if (scope == NULL)
		return cli_usage(&cmd_token, "create: missing --scope");
	if (optind < argc)
		return cli_usage(
		    &cmd_token, "unexpected argument \"%s\"", argv[optind]);
	if ((rc = token_check(scope, expires)) != CQ_EXIT_OK)
		return rc;
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "scopes", scope);
	if (expires != NULL)
		cJSON_AddStringToObject(body, "expires_in", expires);
	if (name != NULL)
		cJSON_AddStringToObject(body, "name", name);
	if ((c = cli_connect(opts, &rc)) == NULL) {
		cJSON_Delete(body);
		return rc;
	}
	rc = cli_api(c, "POST", "/tokens", body, &resp, "create a token");
	client_free(c);
	cJSON_Delete(body);
	if (rc != CQ_EXIT_OK)
		return rc;
	if (opts->json)
		print_json(resp);
	else
		printf("%s\n", print_str(resp, "token", ""));
	cJSON_Delete(resp);
	return rc;
}

static void
token_when(
    char *buf, size_t len, const cJSON *obj, const char *key, const char *none)
{
	int64_t t = print_json_time(obj, key);

	if (t < 0)
		strlcpy(buf, none, len);
	else
		print_time(buf, len, t);
}

/*
 * The daemon's word for a token's state. A daemon from before it said
 * one gives only the times, read here against this host's clock.
 */
static void
token_state(char *buf, size_t len, const cJSON *tok)
{
	const char *said = print_str(tok, "state", NULL);
	int64_t expires = print_json_time(tok, "expires_at");

	if (said != NULL)
		strlcpy(buf, said, len);
	else if (print_json_time(tok, "revoked_at") >= 0)
		strlcpy(buf, "revoked", len);
	else if (expires >= 0 && expires <= (int64_t)time(NULL))
		strlcpy(buf, "expired", len);
	else
		strlcpy(buf, "live", len);
}

static int
token_ls(const struct cli_opts *opts, int argc, char **argv)
{
	struct client *c;
	struct table *t;
	cJSON *resp;
	const cJSON *tok, *list;
	char id[32], owner[32], created[64], expires[64], state[16];
	long long n;
	int rc;

	if (argc > 1)
		return cli_usage(
		    &cmd_token, "unexpected argument \"%s\"", argv[1]);
	if ((c = cli_connect(opts, &rc)) == NULL)
		return rc;
	rc = cli_api(c, "GET", "/tokens", NULL, &resp, "list the tokens");
	client_free(c);
	if (rc != CQ_EXIT_OK)
		return rc;
	if (opts->json) {
		print_json(resp);
		cJSON_Delete(resp);
		return rc;
	}
	list = cJSON_GetObjectItemCaseSensitive(resp, "tokens");
	if (cJSON_GetArraySize(list) == 0) {
		/* As ls and runs: the note on stderr, stdout empty. */
		cli_note("no tokens");
		cJSON_Delete(resp);
		return rc;
	}
	t = table_create(8, "ID", "NAME", "PREFIX", "OWNER", "SCOPES",
	    "CREATED", "EXPIRES", "STATE");
	cJSON_ArrayForEach(tok, list)
	{
		snprintf(id, sizeof id, "%lld",
		    print_int(tok, "id", &n) == 0 ? n : 0);
		snprintf(owner, sizeof owner, "%lld",
		    print_int(tok, "owner", &n) == 0 ? n : -1);
		token_when(created, sizeof created, tok, "created_at", "-");
		token_when(expires, sizeof expires, tok, "expires_at", "never");
		token_state(state, sizeof state, tok);
		table_add(t, id, print_str(tok, "name", ""),
		    print_str(tok, "prefix", ""), owner,
		    print_str(tok, "scopes", ""), created, expires, state);
	}
	table_print(t, stdout);
	table_free(t);
	cJSON_Delete(resp);
	return rc;
}

static int
token_revoke(const struct cli_opts *opts, int argc, char **argv)
{
	struct client *c;
	cJSON *resp;
	char *path;
	int rc;

	if (argc < 2)
		return cli_usage(&cmd_token, "revoke: missing token id");
	if (argc > 2)
		return cli_usage(
		    &cmd_token, "unexpected argument \"%s\"", argv[2]);
	if (!isdigit((unsigned char)argv[1][0]) ||
	    strspn(argv[1], "0123456789") != strlen(argv[1]))
		return cli_usage(&cmd_token,
		    "revoke: \"%s\" is not a token id (see cronq token ls)",
		    argv[1]);
	if ((c = cli_connect(opts, &rc)) == NULL)
		return rc;
	xasprintf(&path, "/tokens/%s", argv[1]);
	rc =
	    cli_api(c, "DELETE", path, NULL, &resp, "revoke token %s", argv[1]);
	free(path);
	client_free(c);
	if (rc != CQ_EXIT_OK)
		return rc;
	if (opts->json)
		print_json(resp);
	cJSON_Delete(resp);
	return rc;
}

static int
cmd_token_exec(const struct cli_opts *opts, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(&cmd_token, "missing create, ls or revoke");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		return print_usage(&cmd_token);
	if (strcmp(argv[1], "create") == 0)
		return token_create(opts, argc - 1, argv + 1);
	if (strcmp(argv[1], "ls") == 0 || strcmp(argv[1], "list") == 0)
		return token_ls(opts, argc - 1, argv + 1);
	if (strcmp(argv[1], "revoke") == 0)
		return token_revoke(opts, argc - 1, argv + 1);
	return cli_usage(&cmd_token,
	    "unknown subcommand \"%s\" (expected create, ls or revoke)",
	    argv[1]);
}

/* Appends "&KEY=VALUE" (escaped) to *Q. */
static void
audit_param(char **q, const char *key, const char *value)
{
	char *esc, *next;

	if (value == NULL)
		return;
	esc = client_escape(value);
	xasprintf(
	    &next, "%s%c%s=%s", *q, strchr(*q, '?') ? '&' : '?', key, esc);
	free(esc);
	free(*q);
	*q = next;
}

static void
audit_print(const cJSON *resp)
{
	const cJSON *rec;
	struct table *t;
	char at[64], status[16], run[32];
	long long n;

	if (cJSON_GetArraySize(
	        cJSON_GetObjectItemCaseSensitive(resp, "records")) == 0) {
		cli_note("no audit records");
		return;
	}
	t = table_create(8, "TIME", "PRINCIPAL", "SOURCE", "METHOD", "PATH",
	    "STATUS", "JOB", "RUN");
	cJSON_ArrayForEach(
	    rec, cJSON_GetObjectItemCaseSensitive(resp, "records"))
	{
		token_when(at, sizeof at, rec, "at", "-");
		snprintf(status, sizeof status, "%lld",
		    print_int(rec, "status", &n) == 0 ? n : 0);
		if (print_int(rec, "run", &n) == 0)
			snprintf(run, sizeof run, "%lld", n);
		else
			strlcpy(run, "-", sizeof run);
		table_add(t, at, print_str(rec, "principal", "?"),
		    print_str(rec, "source", "?"),
		    print_str(rec, "method", "?"), print_str(rec, "path", "?"),
		    status, print_str(rec, "job", "-"), run);
	}
	table_print(t, stdout);
	table_free(t);
}

/*
 * Judges the syntax of time VALUE of option OPT; CQ_EXIT_OK, or a usage
 * error naming OPT. The daemon reads a wall time in its own zone, which
 * need not be this host's, so the text goes as given and any zone does
 * for the check.
 */
static int
audit_check_time(const char *opt, const char *value)
{
	const struct tz *utc;
	char *cause = NULL;
	int64_t t;
	int rc;

	if (value == NULL)
		return CQ_EXIT_OK;
	if ((utc = tz_find("UTC", &cause)) == NULL) {
		/* No zone to check with: the daemon will judge. */
		free(cause);
		return CQ_EXIT_OK;
	}
	if (util_parse_time(value, utc, &t, &cause) == 0)
		return CQ_EXIT_OK;
	rc = cli_usage(&cmd_audit, "%s: %s", opt, cause);
	free(cause);
	return rc;
}

static int
cmd_audit_exec(const struct cli_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "job", required_argument, NULL, 'j' },
		{ "principal", required_argument, NULL, 'p' },
		{ "status", required_argument, NULL, 'S' },
		{ "limit", required_argument, NULL, 'n' },
		{ "until", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *v[6] = { NULL, NULL, NULL, NULL, NULL, NULL };
	static const char *const keys[6] = { "since", "job", "principal",
		"status", "limit", "until" };
	struct client *c;
	cJSON *resp;
	char *path;
	int ch, rc, i;

	opterr = 0;
	while ((ch = getopt_long(
	            argc, argv, ":s:j:p:S:n:u:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			v[0] = optarg;
			break;
		case 'j':
			v[1] = optarg;
			break;
		case 'p':
			v[2] = optarg;
			break;
		case 'S':
			v[3] = optarg;
			break;
		case 'n':
			v[4] = optarg;
			break;
		case 'u':
			v[5] = optarg;
			break;
		case 'h':
			return print_usage(&cmd_audit);
		default:
			return print_badopt(&cmd_audit, ch, argv);
		}
	}
	if (optind < argc)
		return cli_usage(
		    &cmd_audit, "unexpected argument \"%s\"", argv[optind]);
	if ((rc = audit_check_time("--since", v[0])) != CQ_EXIT_OK ||
	    (rc = audit_check_time("--until", v[5])) != CQ_EXIT_OK)
		return rc;
	path = xstrdup("/audit");
	for (i = 0; i < 6; i++)
		audit_param(&path, keys[i], v[i]);
	if ((c = cli_connect(opts, &rc)) == NULL) {
		free(path);
		return rc;
	}
	rc = cli_api(c, "GET", path, NULL, &resp, "read the audit log");
	free(path);
	client_free(c);
	if (rc != CQ_EXIT_OK)
		return rc;
	if (opts->json)
		print_json(resp);
	else
		audit_print(resp);
	cJSON_Delete(resp);
	return rc;
}
