/* SPDX-License-Identifier: ISC */
/*
 * cronq: global options, command lookup and the exit status. The commands
 * themselves live in cmd-*.c.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "xmalloc.h"

/* The system daemon's socket, used when no other is named or found. */
#define CLI_SOCKET_SYSTEM "/run/cronq/cronq.sock"

static const struct cli_cmd *const cli_cmds[] = {
	&cmd_add,
	&cmd_rm,
	&cmd_ls,
	&cmd_show,
	&cmd_pause,
	&cmd_resume,
	&cmd_history,
	&cmd_edit,
	&cmd_rollback,
	&cmd_validate,
	&cmd_import,
	&cmd_trigger,
	&cmd_stop,
	&cmd_runs,
	&cmd_logs,
	&cmd_notifications,
	&cmd_why,
	&cmd_next,
	&cmd_groups,
	&cmd_status,
	&cmd_top,
	&cmd_token,
	&cmd_audit,
	&cmd_version,
};

#define NCMDS (sizeof(cli_cmds) / sizeof(cli_cmds[0]))

const struct cli_cmd *
cli_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cli_cmds[i]->name, name) == 0)
			return cli_cmds[i];
	return NULL;
}

static void
cli_help(FILE *fp)
{
	size_t i, w = 0;

	for (i = 0; i < NCMDS; i++)
		if (strlen(cli_cmds[i]->name) > w)
			w = strlen(cli_cmds[i]->name);
	fprintf(fp,
	    "usage: cronq [--json] [--socket PATH | --host URL] "
	    "[--token T] [--cacert FILE] COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(fp, "  %-*s %s\n", (int)w, cli_cmds[i]->name,
		    cli_cmds[i]->summary);
	fprintf(fp,
	    "\n`cronq help COMMAND` shows a command's usage; "
	    "see cronq(1).\n");
}

/* The line after a global usage error: where the full help is. */
static int
cli_hint(void)
{
	fprintf(stderr,
	    "usage: cronq [OPTIONS] COMMAND [ARGS]; "
	    "see cronq --help\n");
	return CQ_EXIT_USAGE;
}

/* Settings read from the config file; they live until the process ends. */
struct cli_config {
	char *socket;
	char *host;
	char *token;
	char *cacert;
};

static char *
cli_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * As ssh does with its keys: a config file others may change could send
 * the CLI, and its token, to another server, and one others may read
 * gives the token away. Refused, naming the fix.
 */
static int
cli_config_mode(FILE *fp, const char *path, int has_token)
{
	struct stat sb;
	mode_t bad;

	if (fstat(fileno(fp), &sb) == -1) {
		cli_error("cannot stat %s: %s", path, strerror(errno));
		return CQ_EXIT_FAIL;
	}
	if (sb.st_uid != getuid() && sb.st_uid != 0) {
		cli_error("%s belongs to uid %u, not to you; not used", path,
		    (unsigned)sb.st_uid);
		return CQ_EXIT_FAIL;
	}
	/* The bits at fault: writing first, then reading a token. */
	bad = sb.st_mode & 022;
	if (bad == 0 && has_token)
		bad = sb.st_mode & 044;
	if (bad != 0) {
		cli_error("%s is mode %04o: %s may %s; chmod %s %s", path,
		    (unsigned)(sb.st_mode & 07777),
		    (bad & 006) != 0 ? "others" : "its group",
		    (sb.st_mode & 022) != 0 ? "change it" : "read its token",
		    has_token ? "600" : "go-w", path);
		return CQ_EXIT_FAIL;
	}
	return CQ_EXIT_OK;
}

/*
 * Reads "key = value" lines from ~/.config/cronq/config (or under
 * $XDG_CONFIG_HOME). A missing file is no error. Returns a cq_exit value,
 * after printing the reason when it is not CQ_EXIT_OK.
 */
static int
cli_config_load(struct cli_config *cfg)
{
	const char *home, *xdg;
	char *path, line[4096], *k, *v, **slot;
	unsigned int n = 0;
	FILE *fp;
	int rc = CQ_EXIT_OK;

	if ((xdg = getenv("XDG_CONFIG_HOME")) != NULL && *xdg == '/')
		xasprintf(&path, "%s/cronq/config", xdg);
	else if ((home = getenv("HOME")) != NULL && *home != '\0')
		xasprintf(&path, "%s/.config/cronq/config", home);
	else
		return CQ_EXIT_OK;
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno != ENOENT) {
			cli_error("cannot read %s: %s", path, strerror(errno));
			rc = CQ_EXIT_FAIL;
		}
		free(path);
		return rc;
	}
	while (fgets(line, sizeof line, fp) != NULL) {
		n++;
		k = cli_trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		if ((v = strchr(k, '=')) == NULL) {
			cli_error("%s:%u: expected \"key = value\"", path, n);
			rc = CQ_EXIT_USAGE;
			break;
		}
		*v++ = '\0';
		k = cli_trim(k);
		v = cli_trim(v);
		if (strcmp(k, "socket") == 0)
			slot = &cfg->socket;
		else if (strcmp(k, "host") == 0)
			slot = &cfg->host;
		else if (strcmp(k, "token") == 0)
			slot = &cfg->token;
		else if (strcmp(k, "cacert") == 0)
			slot = &cfg->cacert;
		else {
			cli_error("%s:%u: unknown key \"%s\" (expected socket, "
			          "host, token or cacert)",
			    path, n, k);
			rc = CQ_EXIT_USAGE;
			break;
		}
		free(*slot);
		*slot = xstrdup(v);
	}
	if (rc == CQ_EXIT_OK)
		rc = cli_config_mode(fp, path, cfg->token != NULL);
	fclose(fp);
	free(path);
	return rc;
}

/* $XDG_RUNTIME_DIR/cronq.sock when it exists (a user's own daemon), else
 * the system daemon's socket. */
static const char *
cli_default_socket(void)
{
	static char *user;
	const char *run;
	struct stat sb;

	if ((run = getenv("XDG_RUNTIME_DIR")) != NULL && *run == '/') {
		free(user);
		xasprintf(&user, "%s/cronq.sock", run);
		if (stat(user, &sb) == 0)
			return user;
	}
	return CLI_SOCKET_SYSTEM;
}

/* The socket cli_connect chose, NULL for a host: what a failure names. */
static const char *cli_socket;

void
cli_unreachable(const char *cause)
{
	struct stat sb;

	cli_error("%s", cause);
	/*
	 * No socket at all most often means a daemon listening somewhere
	 * else, such as a private one a user started, so say how to name
	 * it; a refused connection is a daemon that died, and needs none.
	 */
	if (cli_socket == NULL || stat(cli_socket, &sb) == 0 || errno != ENOENT)
		return;
	cli_error("hint: name another daemon's socket with --socket PATH or "
	          "CRONQ_SOCKET");
	cli_error("hint: one started with --state-dir DIR listens on "
	          "$XDG_RUNTIME_DIR/cronq.sock, else DIR/cronq.sock");
}

struct client *
cli_connect(const struct cli_opts *opts, int *rc)
{
	static struct cli_config cfg;
	struct client_target t = { 0 };
	struct client *c;
	char *cause;

	t.socket = opts->socket;
	t.host = opts->host;
	t.token = opts->token;
	t.cacert = opts->cacert;
	if ((*rc = cli_config_load(&cfg)) != CQ_EXIT_OK)
		return NULL;
	if (t.socket == NULL && t.host == NULL) {
		t.socket = cfg.socket;
		if (t.socket == NULL)
			t.host = cfg.host;
	}
	if (t.token == NULL)
		t.token = cfg.token;
	if (t.cacert == NULL)
		t.cacert = cfg.cacert;
	if (t.socket == NULL && t.host == NULL)
		t.socket = cli_default_socket();
	cli_socket = t.socket;
	if (t.host != NULL && strncmp(t.host, "https://", 8) != 0 &&
	    strncmp(t.host, "http://", 7) != 0) {
		cli_error(
		    "cannot use host \"%s\": expected an https:// URL", t.host);
		*rc = CQ_EXIT_USAGE;
		return NULL;
	}
	if ((c = client_create(&t, &cause)) == NULL) {
		cli_error("%s", cause);
		free(cause);
		*rc = CQ_EXIT_FAIL;
	}
	return c;
}

int
cli_api(struct client *c, const char *method, const char *path,
    const cJSON *body, cJSON **resp, const char *what, ...)
{
	char *cause, *verb;
	va_list ap;
	int rc;

	rc = client_call(c, method, path, body, resp, NULL, &cause);
	if (rc == CQ_EXIT_OK)
		return rc;
	if (rc == CQ_EXIT_UNREACHABLE)
		cli_unreachable(cause);
	else {
		va_start(ap, what);
		verb = xvasprintf(what, ap);
		va_end(ap);
		cli_error("cannot %s: %s", verb, cause);
		free(verb);
	}
	free(cause);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "host", required_argument, NULL, 'H' },
		{ "token", required_argument, NULL, 't' },
		{ "cacert", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts opts = { 0 };
	const struct cli_cmd *cmd;
	int ch, cmdline_socket = 0, cmdline_host = 0;

	/* The environment sits between the command line and the config
	 * file; a socket named there wins over a host named there. */
	opts.socket = getenv("CRONQ_SOCKET");
	if (opts.socket != NULL && *opts.socket == '\0')
		opts.socket = NULL;
	if (opts.socket == NULL && (opts.host = getenv("CRONQ_HOST")) != NULL &&
	    *opts.host == '\0')
		opts.host = NULL;
	opts.token = getenv("CRONQ_TOKEN");
	opts.cacert = getenv("CRONQ_CACERT");

	/* "+" stops at the command name so its own options stay its own;
	 * ":" and opterr = 0 let the messages below be the only ones. */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (cmdline_host) {
				cli_error("--socket and --host exclude each "
				          "other");
				return CQ_EXIT_USAGE;
			}
			opts.socket = optarg;
			opts.host = NULL;
			cmdline_socket = 1;
			break;
		case 'H':
			if (cmdline_socket) {
				cli_error("--socket and --host exclude each "
				          "other");
				return CQ_EXIT_USAGE;
			}
			opts.host = optarg;
			opts.socket = NULL;
			cmdline_host = 1;
			break;
		case 't':
			opts.token = optarg;
			break;
		case 'c':
			opts.cacert = optarg;
			break;
		case 'j':
			opts.json = 1;
			break;
		case 'h':
			cli_help(stdout);
			return CQ_EXIT_OK;
		case 'V':
			printf("cronq %s\n", PACKAGE_VERSION);
			return CQ_EXIT_OK;
		case ':':
			cli_error(
			    "option \"%s\" needs a value", argv[optind - 1]);
			return cli_hint();
		default:
			if (optopt != 0)
				cli_error("unknown option \"-%c\"", optopt);
			else
				cli_error(
				    "unknown option \"%s\"", argv[optind - 1]);
			return cli_hint();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		cli_help(stderr);
		return CQ_EXIT_USAGE;
	}
	if (strcmp(argv[0], "help") == 0) {
		if (argc < 2) {
			cli_help(stdout);
			return CQ_EXIT_OK;
		}
		if ((cmd = cli_find(argv[1])) == NULL) {
			cli_error("help: unknown command \"%s\"", argv[1]);
			return CQ_EXIT_USAGE;
		}
		printf("usage: cronq %s\n%s\n", cmd->usage, cmd->summary);
		if (cmd == &cmd_next)
			printf("%s\n", NEXT_SYNTAX_SEE);
		return CQ_EXIT_OK;
	}
	if ((cmd = cli_find(argv[0])) == NULL) {
		cli_error("unknown command \"%s\"; see cronq --help", argv[0]);
		return CQ_EXIT_USAGE;
	}
	/* 0, not 1: glibc then forgets the "+" above and permutes again. */
	optind = 0;
	return cmd->exec(&opts, argc, argv);
}
