/* SPDX-License-Identifier: ISC */
/*
 * The cronq command-line client. Each command family lives in a cmd-*.c
 * file that exports entries for the table in cronq.c; commands other than
 * `next` and `validate` reach the daemon only through lib/client.c.
 */
#ifndef CLI_H
#define CLI_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "cronq.h"

struct client;

/* Options given before the command, shared by every command. */
struct cli_opts {
	const char *socket; /* --socket, CRONQ_SOCKET */
	const char *host;   /* --host, CRONQ_HOST */
	const char *token;  /* --token, CRONQ_TOKEN */
	const char *cacert; /* --cacert */
	int json;           /* --json */
};

struct cli_cmd {
	const char *name;
	const char *usage; /* the synopsis after "usage: cronq " */
	const char *summary;
	int (*exec)(const struct cli_opts *opts, int argc, char **argv);
};

/* msg.c: every message to stderr goes through here. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A remark that is neither a result nor a failure, such as "no jobs". */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Prints cronexpr_notes for schedule TEXT, each line prefixed by WHERE
 * (e.g. "next: "); nothing if TEXT does not parse.
 */
void cli_expr_notes(const char *where, const char *text);
/* Prints the "warnings" of a saved JOB (the daemon's answer) as warnings. */
void cli_job_warnings(const char *name, const cJSON *job);
int cli_usage(const struct cli_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const struct cli_cmd *cli_find(const char *name);

/* cronq.c: the connection to the daemon, from the options and config. */
struct client *cli_connect(const struct cli_opts *opts, int *rc);
/*
 * Prints CAUSE, a client's "cannot reach" message, and when the socket
 * does not exist a hint on naming another one.
 */
void cli_unreachable(const char *cause);
int cli_api(struct client *c, const char *method, const char *path,
    const cJSON *body, cJSON **resp, const char *what, ...)
    __attribute__((format(printf, 6, 7)));

/* print.c: tables, times and JSON on stdout. */
struct table;
struct table *table_create(int ncols, ...);
void table_add(struct table *t, ...);
void table_fit(struct table *t, FILE *fp);
void table_print(struct table *t, FILE *fp);
void table_free(struct table *t);
void print_json(const cJSON *j);
int print_parse_time(const char *s, int64_t *out);
int64_t print_json_time(const cJSON *obj, const char *key);
void print_time(char *buf, size_t len, int64_t t);
void print_span(char *buf, size_t len, int64_t seconds);
/* A size as cronq.d(5) spells them: "1M", "512K", "1536M", "100". */
void print_size(char *buf, size_t len, int64_t bytes);
void print_value(char *buf, size_t len, const cJSON *v);
const char *print_str(const cJSON *obj, const char *key, const char *dflt);
int print_int(const cJSON *obj, const char *key, long long *out);
/*
 * A run's DETAIL (runs, top): its message, unless that only repeats how
 * the process ended ("exit 3"), so a run stopped or never started shows
 * why; "-" otherwise.
 */
void print_run_detail(char *buf, size_t len, const cJSON *run);
int print_usage(const struct cli_cmd *cmd);
int print_badopt(const struct cli_cmd *cmd, int ch, char **argv);

/* cmd-jobs.c */
extern const struct cli_cmd cmd_add, cmd_rm, cmd_ls, cmd_pause, cmd_resume;
/* Appends W to BUF quoted as a shell would need it, if it needs it. */
void cmd_jobs_quote(char *buf, size_t len, const char *w);
/*
 * The options of a command taking exactly one NAME (and --detach when
 * DETACH is not NULL): -1 with *NAME set, or the exit status to end with.
 */
int cmd_jobs_name(const struct cli_cmd *cmd, int argc, char **argv,
    const char **name, int *detach);
/* METHOD /jobs/NAME SUFFIX, its error said with VERB; a cq_exit. */
int cmd_jobs_simple(const struct cli_opts *opts, const char *method,
    const char *name, const char *suffix, const char *verb, cJSON **resp);

/* cmd-show.c */
extern const struct cli_cmd cmd_show, cmd_history;

/* show-ext.c */
/*
 * Hands V, a job's http block or notify list, to EMIT as show's
 * "key: value" lines, header values that look like credentials hidden.
 * Returns 1, or 0 when V is neither and nothing was emitted.
 */
int show_ext(const cJSON *v,
    void (*emit)(void *arg, const char *key, const char *value), void *arg);
/* The same lines joined into one, for history; -1 when V is neither. */
int show_ext_line(char *buf, size_t len, const cJSON *v);

/* cmd-files.c */
extern const struct cli_cmd cmd_validate, cmd_rollback, cmd_import;

/* cmd-edit.c */
extern const struct cli_cmd cmd_edit;
/* The job-file directory cronq validate reads: $CRONQ_JOBS_DIR or the
 * system one. */
const char *cli_jobs_dir(void);
/* cronq add flags: --replace, and --detach (a job from a file becomes the
 * API's). */
#define CLI_ADD_REPLACE 0x1
#define CLI_ADD_DETACH 0x2
/* The POST path for those FLAGS. */
const char *cli_add_path(int flags);
/*
 * POSTs the job BODY named NAME on C with FLAGS as above and prints a
 * failure, saying --replace when the name is taken. Returns a cq_exit.
 */
int cli_add_post(struct client *c, int flags, const cJSON *body, cJSON **resp,
    const char *name);
/* cronq add -f PATH: each job of a YAML file (or one bare job); FLAGS as
 * above. */
int cli_add_file(const struct cli_opts *opts, const char *path, int flags);

/* cmd-next.c */
extern const struct cli_cmd cmd_next;
/* Where `cronq help next` and `cronq next -h` send readers for syntax. */
#define NEXT_SYNTAX_SEE                                                        \
	"the expression syntax is in cronq.d(5), section CRON EXPRESSIONS"

/* cmd-runs.c */
extern const struct cli_cmd cmd_trigger, cmd_stop, cmd_runs, cmd_logs;
/* Parses a run id (or a count); returns it, or -1 when S is not one. */
long long runs_parse_id(const char *s);

/* cmd-why.c */
extern const struct cli_cmd cmd_why;

/* cmd-notify.c */
extern const struct cli_cmd cmd_notifications;

/* cmd-groups.c */
extern const struct cli_cmd cmd_groups;

/* cmd-token.c */
extern const struct cli_cmd cmd_token, cmd_audit;

/* cmd-status.c */
extern const struct cli_cmd cmd_status, cmd_version;

/* top/top.c */
extern const struct cli_cmd cmd_top;

#endif
