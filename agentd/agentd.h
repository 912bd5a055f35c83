/* SPDX-License-Identifier: ISC */
/*
 * cronq-agentd's private vocabulary: the daemon state, runs and decisions,
 * and one block of prototypes per .c file. Everything here runs on the one
 * loop thread; nothing is thread-safe.
 */
#ifndef AGENTD_H
#define AGENTD_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "cronq.h"
#include "job.h"
#include "loop.h"

struct agentd_config;
struct store;
struct scheduler;
struct supervisor;
struct files;
struct queue;
struct curlloop;
struct groups;
struct notifier;

enum run_state {
	RUN_QUEUED,
	RUN_RUNNING,
	RUN_RETRYING,
	RUN_SUCCEEDED,
	RUN_FAILED,
	RUN_TIMED_OUT,
	RUN_CANCELLED,
	RUN_LOST,
	RUN_SKIPPED
};

enum run_trigger {
	TRIGGER_SCHEDULE,
	TRIGGER_MANUAL,
	TRIGGER_CATCHUP,
	TRIGGER_RETRY
};

/* A run row (docs/api.md "Run object"). Times are Unix seconds, 0 = null. */
struct run {
	int64_t id;
	int64_t job_id;
	char job[CQ_NAME_MAX + 1];
	uid_t owner;
	int attempt;
	int64_t first_run_id;
	enum run_trigger trigger;
	int schedule; /* index of the schedule that fired it, -1 otherwise */
	int64_t scheduled_at;
	int64_t queued_at;
	int64_t not_before;
	int64_t started_at;
	int64_t finished_at;
	pid_t pid;       /* 0 = null */
	int exit_code;   /* -1 = null */
	int signal;      /* 0 = null */
	int http_status; /* 0 = null */
	enum run_state state;
	int64_t output_bytes;
	char triggered_by[64];
	char host[64];
	int64_t missed_count;
	char boot_id[40]; /* the boot it ran in, to tell lost runs */
	char message[256];
	int64_t cpu_usec;     /* CPU time of the run's processes, 0 = null */
	int64_t peak_memory;  /* bytes (cgroup peak or max RSS), 0 = null */
	int64_t published_at; /* amqp: when the broker confirmed it; 0 = not */
};

/* Filters for store_run_list / ops_run_list; zero/NULL = any. */
struct run_filter {
	const char *job;
	int64_t job_id;
	int state;      /* an enum run_state, or -1 for any */
	int limit;      /* 50 when 0, at most 1000 */
	int64_t before; /* run id; 0 = newest */
	uid_t owner;
	int any_owner;
};

enum decision_outcome {
	DECISION_FIRED,
	DECISION_SKIPPED_OVERLAP,
	DECISION_PAUSED,
	DECISION_OUTSIDE_CATCHUP,
	DECISION_CAUGHT_UP,
	DECISION_DST_MOVED,
	DECISION_DST_SKIPPED,
	DECISION_REPLACED,
	DECISION_EXPIRED,
	DECISION_HELD_BY_GROUP /* waits for a free place in its group */
};

struct decision {
	int64_t id;
	int64_t job_id;
	char job[CQ_NAME_MAX + 1];
	int64_t slot;
	int64_t decided_at;
	enum decision_outcome outcome;
	int64_t run_id; /* 0 = null */
	char detail[256];
};

/* Errors handed to the gateway: it maps the code to an HTTP status. */
enum agentd_errcode {
	AGENTD_OK,
	AGENTD_INVALID,     /* 422 */
	AGENTD_NOT_FOUND,   /* 404 */
	AGENTD_CONFLICT,    /* 409 */
	AGENTD_FORBIDDEN,   /* 403 */
	AGENTD_BAD_REQUEST, /* 400 */
	AGENTD_INTERNAL     /* 500 */
};

struct agentd_error {
	enum agentd_errcode code;
	char field[64];    /* "" unless one field is at fault */
	char message[256]; /* one line */
};

/* Who asks: the peer uid; admin = root or a member of group cronq. */
struct principal {
	uid_t uid;
	int admin;
	int detach; /* ?detach=1: may change a job from a file (it becomes api)
	             */
};

/*
 * Called after a job or run changed: TYPE is "job" or "run", OWNER the
 * job's owner (to filter what each client may see), OBJ the object as the
 * API shows it (borrowed: copy it to keep it).
 */
typedef void (*agentd_event_cb)(
    const char *type, uid_t owner, const cJSON *obj, void *arg);
/*
 * The same for a run, handed over as the struct (borrowed): a listener
 * that keeps events prints them when a client asks, not per change.
 */
typedef void (*agentd_run_event_cb)(const struct run *run, void *arg);

struct agentd_settings {
	int retention_days;    /* runs and logs older than this are pruned */
	int retention_runs;    /* per job */
	int max_running;       /* global limit on running children */
	char cgroup_root[256]; /* "": the daemon's own cgroup (sandbox.c) */
};

/* The daemon: one per process, owned by main(). */
struct agentd {
	struct loop *loop;
	struct store *store;
	struct scheduler *sched;
	struct supervisor *sup;
	struct files *files;   /* NULL without a jobs directory */
	struct queue *queue;   /* where due runs go (queue.h); NULL = local */
	struct curlloop *curl; /* http runs and notifications (curlloop.c) */
	struct groups *groups; /* concurrency group limits (groups.c) */
	struct notifier *notifier; /* notification deliveries (notify.c) */

	char *state_dir;
	char *jobs_dir;
	char *db_path;
	char *log_dir; /* state_dir/logs: RUNID.log */
	char *socket_path;
	char *config_path;
	const struct tz *tz; /* the daemon's zone */
	char boot_id[40];
	char host[64];
	int64_t started_at;
	int root;   /* running as root: may run jobs as other users */
	int system; /* on the system state directory: system paths too */
	int stopping;
	struct agentd_settings settings;
	struct agentd_config *config; /* remote.h: listeners, auth, limits */
	char *config_problem; /* why the last SIGHUP kept the old settings */

	agentd_event_cb event_cb;
	void *event_arg;
	agentd_run_event_cb run_event_cb; /* NULL: runs go to event_cb */
};

/* state.c: helpers on struct agentd shared by every part. */
/* Wall-clock seconds now; the one place the daemon reads CLOCK_REALTIME. */
int64_t agentd_now(void);
void agentd_set_event_cb(struct agentd *ad, agentd_event_cb cb, void *arg);
/* Runs then go to CB (same ARG as the event callback's), or NULL. */
void agentd_set_run_event_cb(struct agentd *ad, agentd_run_event_cb cb);
/*
 * Appends each current problem (a string) to ARR for GET /status: a
 * refused reload of agentd.yaml, then the job files' (files_problems).
 */
void agentd_problems(struct agentd *ad, cJSON *arr);
/* Tells the gateway's listener (if any) that OBJ of TYPE changed. */
void agentd_emit(
    struct agentd *ad, const char *type, uid_t owner, const cJSON *obj);
/* ... that RUN changed; its JSON is built only if the listener wants it. */
void agentd_emit_run(struct agentd *ad, const struct run *run);
void agentd_error_set(struct agentd_error *err, enum agentd_errcode code,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * gateway.c (the gateway engineer's): listens on ad->socket_path using
 * ad->loop; returns 0 or -1 with *cause. main() calls it after the store,
 * scheduler and supervisor are up, and gateway_stop before they go.
 */
int gateway_start(struct agentd *ad, char **cause);
void gateway_stop(struct agentd *ad);
/* SIGHUP: the TCP listeners and TLS files of the reloaded AD->config. */
void gateway_reload(struct agentd *ad);

/* run.c: names as the API and the store spell them; parse returns -1. */
const char *run_state_name(enum run_state s);
int run_state_parse(const char *s);
/* 1 for the states a run never leaves. */
int run_state_final(enum run_state s);
const char *run_trigger_name(enum run_trigger t);
int run_trigger_parse(const char *s);
const char *decision_outcome_name(enum decision_outcome o);
int decision_outcome_parse(const char *s);

/* ops.c: what the API does, for the gateway. Each returns 0, or -1 with
 * *err filled. Objects returned in *out are the caller's (cJSON_Delete). */
int ops_job_create(struct agentd *ad, const struct principal *p,
    const cJSON *body, int replace, cJSON **out, int *created,
    struct agentd_error *err);
int ops_job_replace(struct agentd *ad, const struct principal *p,
    const char *name, const cJSON *body, cJSON **out, struct agentd_error *err);
int ops_job_patch(struct agentd *ad, const struct principal *p,
    const char *name, const cJSON *body, cJSON **out, struct agentd_error *err);
/* *out = {"deleted": name, "version": N}. */
int ops_job_delete(struct agentd *ad, const struct principal *p,
    const char *name, cJSON **out, struct agentd_error *err);
int ops_job_get(struct agentd *ad, const struct principal *p, const char *name,
    cJSON **out, struct agentd_error *err);
/*
 * The same job object printed as the gateway prints ops_job_get's, with a
 * final newline, in *text (the caller's), without building it in cJSON.
 */
int ops_job_get_text(struct agentd *ad, const struct principal *p,
    const char *name, char **text, size_t *len, struct agentd_error *err);
/* *out = {"jobs": [...]} sorted by name. */
int ops_job_list(struct agentd *ad, const struct principal *p, cJSON **out,
    struct agentd_error *err);
/* *out = {"versions": [...]} newest first; works for deleted jobs. */
int ops_job_versions(struct agentd *ad, const struct principal *p,
    const char *name, cJSON **out, struct agentd_error *err);
/* VERSION 0: the one before the current. */
int ops_job_rollback(struct agentd *ad, const struct principal *p,
    const char *name, int64_t version, cJSON **out, struct agentd_error *err);
int ops_job_pause(struct agentd *ad, const struct principal *p,
    const char *name, int paused, cJSON **out, struct agentd_error *err);
/* *out = {"run": run}. */
int ops_job_trigger(struct agentd *ad, const struct principal *p,
    const char *name, cJSON **out, struct agentd_error *err);
/* *out = {"decisions": [...]} newest first; LIMIT 0 = 50; BEFORE an id. */
int ops_decision_list(struct agentd *ad, const struct principal *p,
    const char *name, int limit, int64_t before, cJSON **out,
    struct agentd_error *err);
int ops_run_get(struct agentd *ad, const struct principal *p, int64_t id,
    cJSON **out, struct agentd_error *err);
/* *out = {"runs": [...]} newest first. F->owner/any_owner are ignored. */
int ops_run_list(struct agentd *ad, const struct principal *p,
    const struct run_filter *f, cJSON **out, struct agentd_error *err);
/* The same printed, with its final newline, into *TEXT (caller frees). */
int ops_run_list_text(struct agentd *ad, const struct principal *p,
    const struct run_filter *f, char **text, size_t *len,
    struct agentd_error *err);
int ops_run_stop(struct agentd *ad, const struct principal *p, int64_t id,
    cJSON **out, struct agentd_error *err);
/*
 * The log file of run ID (caller frees *path) and whether the run is
 * still going (*live), for GET /runs/{id}/log.
 */
int ops_run_log(struct agentd *ad, const struct principal *p, int64_t id,
    char **path, int *live, struct agentd_error *err);
/* Adds KEY: T as UTC text, or null when T is 0 (ops.c). */
void ops_add_time(cJSON *o, const char *key, int64_t t);
/* The job NAME as P may see it (ops.c); NULL with *err otherwise. */
struct job *ops_job_lookup(struct agentd *ad, const struct principal *p,
    const char *name, struct agentd_error *err);
/*
 * Checks that P may change OLD (a job from a file only with detach; OLD's
 * origin then becomes api) and that JOB may run as its user. Either may
 * be NULL.
 */
int ops_job_check(struct agentd *ad, const struct principal *p, struct job *old,
    const struct job *job, struct agentd_error *err);
/*
 * ops-bulk.c, PUT /jobs: BODY {"jobs": [...], "delete": [names]} creates,
 * replaces and deletes P's jobs in one transaction: all of it or none.
 * *out = {"changed": [jobs], "deleted": [names], "unchanged": N}.
 */
int ops_jobs_apply(struct agentd *ad, const struct principal *p,
    const cJSON *body, cJSON **out, struct agentd_error *err);
/* GET /status without "socket"-independent parts missing. */
int ops_status(struct agentd *ad, const struct principal *p, cJSON **out);
/* Objects as the API shows them; caller frees. */
cJSON *ops_run_to_json(const struct run *run);
cJSON *ops_decision_to_json(const struct decision *d);
cJSON *ops_job_to_json(struct agentd *ad, const struct job *job);

/*
 * files.c: jobs from the job-file directory. files_start watches DIR and
 * loads it; files_reload reads it again (SIGHUP); files_problems appends
 * each current error (a string) to ARR for GET /status.
 */
int files_start(struct agentd *ad, const char *dir);
void files_reload(struct agentd *ad);
/* Reads the directory again once the current request is over. */
void files_recheck(struct agentd *ad);
void files_problems(struct agentd *ad, cJSON *arr);
void files_stop(struct agentd *ad);

/* store.c: the only file that speaks SQL. */
/* Opens (creating and migrating) the database at PATH. NULL + *cause. */
struct store *store_open(const char *path, char **cause);
void store_close(struct store *st);
/* Commits the lazily opened group transaction, if any (before sleep). */
int store_flush(struct store *st);
/* Explicit transactions (firing): flushes the group one first. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);
/*
 * Inserts JOB (id, version, created/updated set from NOW) and its first
 * job_versions row with ACTION ("create") and BY. -1 with errno EEXIST if
 * the owner already has a job of that name.
 */
int store_job_insert(struct store *st, struct job *job, const char *action,
    const char *by, int64_t now);
/* Bumps JOB's version, saves it and a job_versions row. */
int store_job_update(struct store *st, struct job *job, const char *action,
    const char *by, int64_t now);
/* Deletes the job (runs and versions stay); a "delete" version row. */
int store_job_delete(
    struct store *st, struct job *job, const char *by, int64_t now);
/*
 * File jobs removed through the API with --detach (store-detached.c): add
 * records that ORIGIN still names NAME; names lists those of ORIGIN
 * (caller frees each and the array); drop forgets one.
 */
int store_detached_add(struct store *st, uid_t owner, const char *name,
    const char *origin, int64_t now);
int store_detached_names(struct store *st, uid_t owner, const char *origin,
    char ***names, size_t *n);
int store_detached_drop(struct store *st, uid_t owner, const char *name);
/* Lookups: NULL when absent (errno ENOENT) or on error. Caller frees. */
struct job *store_job_find(struct store *st, uid_t owner, const char *name);
/* Any owner, the lowest uid first (admins naming a job). */
struct job *store_job_find_any(struct store *st, const char *name);
struct job *store_job_load(struct store *st, int64_t id);
/*
 * OWNER's job NAME as job_to_json(job, 0) prints it, without the final
 * '}' so that fields can follow, and its id; the text is borrowed until
 * the next store call. 0, or -1 when there is no such job.
 */
int store_job_text(struct store *st, uid_t owner, const char *name, int64_t *id,
    const char **text, size_t *len);
/* All jobs (ANY_OWNER) or OWNER's, sorted by name; caller frees each. */
int store_job_list(struct store *st, uid_t owner, int any_owner,
    struct job ***jobs, size_t *njobs);
void store_job_list_free(struct job **jobs, size_t njobs);
/* Versions of OWNER's job NAME, newest first, as the API's objects. */
int store_version_list(
    struct store *st, uid_t owner, const char *name, cJSON **out);
/* The job as it was at VERSION (0: the one before the newest); NULL. */
struct job *store_version_load(
    struct store *st, uid_t owner, const char *name, int64_t version);
int store_run_insert(struct store *st, struct run *run);
int store_run_update(struct store *st, const struct run *run);
/* 0, or -1 with errno ENOENT. */
int store_run_load(struct store *st, int64_t id, struct run *run);
int store_run_list(struct store *st, const struct run_filter *f,
    struct run **runs, size_t *nruns);
/*
 * The same runs printed as the body of GET /runs, {"runs":[...]} and a
 * newline, into *TEXT (caller frees); finished runs come from a cache of
 * their printed text. Returns 0 or -1.
 */
int store_run_list_text(
    struct store *st, const struct run_filter *f, char **text, size_t *len);
/* Runs in STATE (oldest first); caller frees *runs. */
int store_run_list_state(
    struct store *st, enum run_state state, struct run **runs, size_t *nruns);
int store_run_count_state(struct store *st, enum run_state state);
/*
 * Runs out on worker agents (published or running) of JOB_ID, or of every
 * job when 0; -1 on error.
 */
int store_run_count_inflight(struct store *st, int64_t job_id);
/* The job id of each run out on a worker agent; caller frees *JOB_IDS. */
int store_run_inflight_jobs(struct store *st, int64_t **job_ids, size_t *n);
/* JOB_ID's queued, running and retrying runs, oldest first. */
int store_run_list_active(
    struct store *st, int64_t job_id, struct run **runs, size_t *nruns);
/* The newest run of JOB_ID; -1 with ENOENT if none. */
int store_run_last(struct store *st, int64_t job_id, struct run *run);
int store_decision_add(struct store *st, struct decision *d);
int store_decision_list(struct store *st, int64_t job_id, int limit,
    int64_t before, struct decision **ds, size_t *nds);
/* Per job and schedule: the last slot considered (0 = none yet). */
int store_sched_load(struct store *st, int64_t job_id, int idx,
    int64_t *last_slot, int64_t *next_fire);
int store_sched_save(struct store *st, int64_t job_id, int idx,
    int64_t last_slot, int64_t next_fire);
/*
 * Firing, in one transaction of its own: inserts RUN (its id set), the
 * decision D (run_id set) and advances schedule IDX of the run's job to
 * LAST_SLOT/NEXT_FIRE. Either all of it is stored or none.
 */
int store_fire(struct store *st, struct run *run, struct decision *d, int idx,
    int64_t last_slot, int64_t next_fire);
/* Settings: *value is the caller's; -1 with ENOENT when unset. */
int store_setting_get(struct store *st, const char *key, char **value);
int store_setting_set(struct store *st, const char *key, const char *value);
/*
 * Deletes finished runs older than BEFORE or beyond KEEP per job, calling
 * CB with each deleted run id (to remove its log). Returns the count.
 */
int store_prune(struct store *st, int64_t before, int keep,
    void (*cb)(int64_t id, void *arg), void *arg);
int store_schema_version(struct store *st);

/* store-notify.c: one row per notification delivery attempt. */
struct notify_row {
	int64_t id;
	int64_t run_id; /* 0: none (a missed slot) */
	int64_t job_id;
	char job[CQ_NAME_MAX + 1];
	uid_t owner;
	int target; /* index in the job's notify list */
	char kind[16];
	char dest[512]; /* the URL or the command */
	char event[16];
	int attempt;
	char status[16]; /* "delivered" or "failed" */
	int code;        /* HTTP status or exit code; -1 none */
	char error[256];
	int64_t created_at;
	int64_t duration_ms;
};
int store_notify_add(struct store *st, struct notify_row *row);
/* The newest LIMIT rows of RUN_ID (or, RUN_ID 0, of OWNER's job JOB),
 * oldest first, as JSON {"notifications": [...]}. */
int store_notify_list(struct store *st, int64_t run_id, const char *job,
    uid_t owner, int limit, cJSON **out);

/* scheduler.c: when schedules fire. Time is passed in, never read. */
struct scheduler *scheduler_create(struct agentd *ad);
void scheduler_free(struct scheduler *s);
/* (Re)computes every job's next fire from NOW; after start and clock steps. */
int scheduler_load(struct scheduler *s, int64_t now);
/* A job was created, changed or deleted (JOB NULL + id): reschedule. */
void scheduler_job_changed(
    struct scheduler *s, int64_t job_id, const struct job *job, int64_t now);
/*
 * Fires what is due at NOW (decisions recorded, runs queued), at most a
 * few slots per call: while scheduler_next_due is still NOW or earlier,
 * the caller ticks again. Returns the number of runs queued.
 */
int scheduler_tick(struct scheduler *s, int64_t now);
/*
 * The wall clock was stepped by DELTA seconds (positive: forward):
 * recompute every next fire from NOW; a forward step of under three hours
 * makes the fixed-time slots it skipped run once at the next tick.
 */
void scheduler_clock_stepped(struct scheduler *s, int64_t delta, int64_t now);
/* Fills RUN as a queued first attempt of JOB (manual triggers too). */
void scheduler_run_init(struct agentd *ad, struct run *run,
    const struct job *job, enum run_trigger trigger, int idx, int64_t slot,
    int64_t now);
/* The next instant anything is due, or INT64_MAX. */
int64_t scheduler_next_due(struct scheduler *s);
/* The next fire of JOB_ID (0 when none), for next_run. */
int64_t scheduler_job_next(struct scheduler *s, int64_t job_id);
/* How many jobs it holds: all (ANY_OWNER) or OWNER's. */
size_t scheduler_job_count(struct scheduler *s, uid_t owner, int any_owner);
/* @reboot schedules: fire once per boot id. */
int scheduler_boot(struct scheduler *s, int64_t now);

/*
 * supervisor.c: the run state machine, queue and children; supervisor-end.c:
 * how runs end (outcomes, retries, lost runs).
 */
struct supervisor *supervisor_create(struct agentd *ad);
void supervisor_free(struct supervisor *sup);
/* Start-up: runs left running become lost (and retried); queues reload. */
int supervisor_recover(struct supervisor *sup, int64_t now);
/*
 * A run was inserted as queued (or retrying): start it when allowed.
 * JOB is borrowed.
 */
void supervisor_enqueue(struct supervisor *sup, const struct run *run);
/* Starts what may start at NOW; returns how many started. */
int supervisor_dispatch(struct supervisor *sup, int64_t now);
/* The next not_before or timeout deadline, or INT64_MAX. */
int64_t supervisor_next_due(struct supervisor *sup);
/* Handles timeouts and retries due at NOW. */
void supervisor_tick(struct supervisor *sup, int64_t now);
/* 1 if JOB_ID has a live (running) run; its id in *run_id. */
int supervisor_job_running(
    struct supervisor *sup, int64_t job_id, int64_t *run_id);
/* Stops run ID (cancelled); queued runs are cancelled at once. */
int supervisor_stop_run(struct supervisor *sup, int64_t id, const char *why);
/* Shutdown: SIGTERM every child, SIGKILL after GRACE seconds, mark them. */
void supervisor_shutdown(struct supervisor *sup, int64_t grace);
int supervisor_count_running(struct supervisor *sup);
int supervisor_count_queued(struct supervisor *sup);
/* Of the queued, those waiting out a retry's delay. */
int supervisor_count_retrying(struct supervisor *sup);
/*
 * For the queue backends (queue.h). A worker starts RUN of JOB (both
 * borrowed) now, whatever the limits: the broker's prefetch bounds them.
 */
void supervisor_start_job(struct supervisor *sup, const struct run *run,
    const struct job *job, int64_t now);
/* The scheduler records RUN as a worker reported it. */
void supervisor_record(struct supervisor *sup, const struct run *run);
/* ... and queues the next attempt of the failed RUN if its job allows. */
void supervisor_retry(
    struct supervisor *sup, const struct run *run, int64_t now);

/* Runs of group NAME running now, and waiting in the queue. */
int supervisor_group_running(struct supervisor *sup, const char *name);
int supervisor_group_queued(struct supervisor *sup, const char *name);

/*
 * groups.c: concurrency group limits. A limit set through the API (kept
 * in the store) wins over agentd.yaml's `groups:`; a group named by a job
 * but limited nowhere allows one run at a time.
 */
#define GROUP_DEFAULT_LIMIT 1
struct groups *groups_create(void);
void groups_free(struct groups *g);
/* agentd.yaml: forget the file's limits before reading it again. */
void groups_config_reset(struct groups *g);
void groups_config_set(struct groups *g, const char *name, int limit);
/* The limit in force for group NAME. */
int groups_limit(struct agentd *ad, const char *name);
/* API: LIMIT >= 1 sets NAME's limit, 0 removes the API's; 0 or -1. */
int groups_api_set(struct agentd *ad, const char *name, int limit);
/* {"groups": [{"name", "limit", "source", "running", "queued"}]}. */
cJSON *groups_to_json(struct agentd *ad);
/* One group as groups_to_json shows it. */
cJSON *groups_one_json(struct agentd *ad, const char *name);

#endif
