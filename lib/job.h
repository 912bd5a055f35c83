/* SPDX-License-Identifier: ISC */
/*
 * The job model of docs/api.md: one struct with every field, parsed from
 * and formatted to JSON, validated on the way in. No I/O beyond loading
 * time zones; the daemon stores jobs, the CLI shows them.
 */
#ifndef JOB_H
#define JOB_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "cronexpr.h"
#include "cronq.h"
#include "job-sandbox.h"
#include "tz.h"

enum job_kind { JOB_COMMAND, JOB_HTTP };
enum job_concurrency { JOB_ALLOW, JOB_FORBID, JOB_REPLACE };
enum job_catchup { JOB_CATCHUP_SKIP, JOB_CATCHUP_ONCE, JOB_CATCHUP_ALL };

/* What an exit code means, from `on_exit`. */
enum job_outcome {
	JOB_OUTCOME_DEFAULT, /* no rule: 0 succeeds, the rest fails */
	JOB_OUTCOME_RETRY,
	JOB_OUTCOME_FAIL,
	JOB_OUTCOME_SUCCESS,
	JOB_OUTCOME_SKIP
};

struct job_env {
	char *key;
	char *value;
};

struct job_exit_rule {
	int code;
	enum job_outcome outcome;
};

/* Resource limits; -1 means "not set" (inherit). */
struct job_limits {
	int64_t cpu;    /* seconds */
	int64_t memory; /* bytes (RLIMIT_AS) */
	int64_t nofile;
	int64_t nproc;
	int64_t fsize; /* bytes */
	int64_t core;  /* bytes */
};

/* An accepted range of HTTP statuses, both ends included. */
struct job_status_range {
	int lo;
	int hi;
};

/* The `http` kind (DESIGN.md section 3): one request made by the daemon. */
struct job_http {
	char *method; /* "GET" by default */
	char *url;
	struct job_env *headers;
	size_t nheaders;
	char *body;
	struct job_status_range *expect; /* none: any 2xx */
	size_t nexpect;
	int insecure_tls;     /* 1: skip TLS peer and host verification */
	int follow_redirects; /* 1: follow up to 10 redirects */
};

enum job_notify_kind { NOTIFY_WEBHOOK, NOTIFY_COMMAND, NOTIFY_PING };

/* The events of a notify target's `on` list, as bits. */
#define NOTIFY_ON_FAILURE 0x01
#define NOTIFY_ON_SUCCESS 0x02
#define NOTIFY_ON_MISSED 0x04
#define NOTIFY_ON_LATE 0x08
#define NOTIFY_ON_LONG_RUNNING 0x10
#define NOTIFY_ON_START 0x20 /* pings only; never written in `on` */
/* The events `on` takes, for messages: the API's and job files' alike. */
#define NOTIFY_EVENTS "failure, success, missed, late or long_running"

/* One `notify:` target. */
struct job_notify {
	enum job_notify_kind kind;
	char *url;       /* webhook and ping */
	char *command;   /* command: run with /bin/sh -c */
	unsigned on;     /* NOTIFY_ON_* */
	int64_t timeout; /* seconds per delivery attempt */
	int retries;     /* further attempts after a failed one */
};

struct job {
	int64_t id; /* the store's row id; 0 before it is stored */
	char name[CQ_NAME_MAX + 1];
	uid_t owner;

	char **schedules;       /* the texts as given */
	struct cronexpr *exprs; /* parsed, DST policy applied */
	size_t nschedules;
	char *timezone;      /* NULL: the daemon's zone */
	const struct tz *tz; /* resolved; the daemon's zone when NULL */

	enum job_kind kind;
	char *command; /* string form, run via /bin/sh -c; or NULL */
	char **argv;   /* array form, NULL-terminated; or NULL */
	size_t argc;
	struct job_http http;

	char *user;    /* NULL: the owner's user */
	char *workdir; /* NULL: the user's home */
	struct job_env *env;
	size_t nenv;
	mode_t umask;

	int64_t timeout;    /* seconds, 0 none */
	int64_t kill_grace; /* seconds */
	int retries;
	int64_t retry_backoff;
	int64_t retry_backoff_max;
	int *retry_on;
	size_t nretry_on;
	struct job_exit_rule *on_exit;
	size_t non_exit;

	enum job_concurrency concurrency;
	char *group; /* concurrency group, or NULL */
	enum job_catchup catchup;
	int catchup_max;
	int64_t jitter;
	enum cron_dst_gap dst_gap;
	enum cron_dst_repeat dst_repeat;
	int64_t max_output;
	struct job_limits limits;
	struct job_sandbox sandbox;
	int paused;
	char *description;
	char **labels; /* sorted, unique; a worker must carry all of them */
	size_t nlabels;

	struct job_notify *notify;
	size_t nnotify;
	int64_t late_after;        /* seconds; 0: never late */
	int64_t expected_duration; /* seconds; 0: never long-running */

	/* Read-only, set by the daemon. */
	char *origin; /* "api" or a file path */
	int64_t version;
	int64_t created_at;
	int64_t updated_at;
};

/* A job with every default of docs/api.md; caller frees with job_free. */
struct job *job_create(void);
void job_free(struct job *job);
/* A deep copy; caller frees. */
struct job *job_dup(const struct job *job);

/*
 * Builds a job from the JSON object JSON. With BASE NULL every absent field
 * takes its default (POST/PUT); with BASE set, absent fields keep BASE's
 * values (PATCH), read-only fields included. Unknown fields, wrong types
 * and bad values are rejected. Read-only fields (owner, origin, version,
 * created_at, updated_at, next_run, last_run) are accepted and ignored so a
 * GET body can be PUT back. `schedule: "..."` is accepted for one schedule.
 *
 * Returns the new job (caller frees), or NULL with *cause set to one line
 * naming the field and what was expected (caller frees), and *field (if
 * FIELD is not NULL) set to the field's name (static, per thread: valid
 * until the next call; do not free).
 */
struct job *job_from_json(const cJSON *json, const struct job *base,
    const char **field, char **cause);

/*
 * Hears of the errors of job_from_json_each: FIELD (static, valid during
 * the call; NULL when JSON is no object) and CAUSE, one line as
 * job_from_json gives it, which becomes the listener's to free. Returns 0
 * to go on reading, -1 to stop at this error.
 */
typedef int job_error_fn(void *arg, const char *field, char *cause);

struct job_each {
	job_error_fn *error;
	/*
	 * Top-level keys the caller has already found at fault (NULL-ended;
	 * NULL for none): not read, and taken as failed. A key JSON lacks
	 * may be given too: a required field written under a misspelt name.
	 */
	const char *const *skip;
	void *arg;
	/*
	 * Top-level keys read as usual but taken as failed (NULL-ended; NULL
	 * for none): a key whose value lost a part at fault elsewhere, such
	 * as a job's http: merged with a wrong defaults.http.url.
	 */
	const char *const *failed;
};

/*
 * As job_from_json, but every field that fails is handed to EACH->error
 * in the order of JSON's members, and reading goes on with the next
 * field: a failed field leaves the job as it was. The rules that join
 * fields (job_validate's) are checked after, each only when the fields it
 * reads were read without error, so that no error is the consequence of
 * another. Returns the job, or NULL when an error was reported or a key
 * skipped or taken as failed.
 */
struct job *job_from_json_each(
    const cJSON *json, const struct job *base, const struct job_each *each);
/* job.c: reads the one field E into JOB; -1 as job_from_json. */
int job_read_field(
    struct job *job, const cJSON *e, const char **field, char **cause);

/*
 * Re-checks a job's cross-field rules (schedules parse, zone exists, command
 * present for `command`, url for `http`). job_from_json calls it. Returns 0
 * or -1 with *field and *cause as above.
 */
int job_validate(struct job *job, const char **field, char **cause);

/*
 * The job as a JSON object (caller frees with cJSON_Delete). With SPEC set,
 * only the fields a client may write (what job_versions keeps); otherwise
 * the read-only ones too (owner, origin, version, times), but never
 * next_run/last_run, which the daemon adds.
 */
cJSON *job_to_json(const struct job *job, int spec);
/* 1 if A and B have the same spec: saving one over the other changes nothing.
 */
int job_same_spec(const struct job *a, const struct job *b);

/* job-labels.c: the labels a job requires of the worker that runs it. */
#define JOB_LABEL_MAX 32
#define JOB_LABELS_MAX 8
/* 1 if S is a label name: 1 to JOB_LABEL_MAX of [a-z0-9_-]. */
int job_label_valid(const char *s);
/*
 * Replaces *LABELS with the array V, sorted; -1 with *MSG (one line, the
 * caller's) on a non-array, a bad name, too many or a duplicate.
 */
int job_labels_from_json(
    const cJSON *v, char ***labels, size_t *nlabels, char **msg);
void job_labels_free(char **labels, size_t n);
char **job_labels_dup(char *const *labels, size_t n);
cJSON *job_labels_to_json(char *const *labels, size_t n);

/*
 * job-fail.c: sets *CAUSE (caller frees) to "FIELD: " and the formatted
 * message, the one shape of every rejection of the job model, and
 * returns -1.
 */
int job_fail(char **cause, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The longest text job_what writes, with its NUL. */
#define JOB_WHAT_MAX 64
/* What env and http.headers take, in words for JSON and YAML alike. */
#define JOB_WANT_STRMAP "a map of names to strings"
/*
 * What V is, for "expected X, not V": the string "3", the number 1.5,
 * true, null, a list, a map. Words that read right for an API body and
 * a YAML job file alike; a string past 40 bytes is cut. Returns BUF (of
 * at least JOB_WHAT_MAX) or a constant.
 */
const char *job_what(const cJSON *v, char *buf, size_t size);
/* job_fail with "expected WANT, not " what V is; returns -1. */
int job_fail_type(
    char **cause, const char *field, const char *want, const cJSON *v);
/* *OUT from the JSON integer V in MIN-MAX; -1 with *CAUSE as job_fail. */
int job_get_int(char **cause, const char *field, const cJSON *v, int64_t min,
    int64_t max, int64_t *out);
/* *OUT from the JSON true or false V; -1 with *CAUSE as job_fail. */
int job_get_bool(char **cause, const char *field, const cJSON *v, int *out);

/* The meaning of exit code CODE under the job's on_exit rules. */
enum job_outcome job_exit_outcome(const struct job *job, int code);

/*
 * job-ext.c: the fields of the http kind, concurrency groups and
 * notifications. job_ext_field reads field E when it is one of them:
 * 1 when it did, 0 when E is not its field, -1 with *field and *cause as
 * job_from_json. The others keep job.c's struct in step.
 */
int job_ext_field(
    struct job *job, const cJSON *e, const char **field, char **cause);
int job_ext_validate(const struct job *job, const char **field, char **cause);
void job_ext_free(struct job *job);
void job_ext_dup(struct job *d, const struct job *job);
void job_ext_to_json(cJSON *o, const struct job *job);
/* 1 if STATUS is one JOB's http.expect_status accepts. */
int job_http_status_ok(const struct job *job, int status);
/* The name of notify event bit BIT ("failure", ...). */
const char *job_notify_event_name(unsigned bit);
const char *job_notify_kind_name(enum job_notify_kind k);

/* Names of enum values, as in the API ("forbid", "once", "retry", ...). */
const char *job_outcome_name(enum job_outcome o);
const char *job_concurrency_name(enum job_concurrency c);
const char *job_catchup_name(enum job_catchup c);

#endif
