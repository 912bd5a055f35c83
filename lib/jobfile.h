/* SPDX-License-Identifier: ISC */
/*
 * Job files (cronq.d(5)): YAML documents holding `jobs:` and `defaults:`.
 * The YAML is turned into the JSON form of docs/api.md and checked by
 * job_from_json, so files and the API share one set of field rules; this
 * module adds what only YAML needs (line:column, YAML 1.1 traps, quoting
 * hints). The daemon, `cronq validate` and `cronq edit` all use it.
 */
#ifndef JOBFILE_H
#define JOBFILE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "job.h"

/* Files larger than this are refused before parsing. */
#define JOBFILE_MAX_SIZE (1024 * 1024)
/* Nodes a document may hold once aliases are expanded. */
#define JOBFILE_MAX_NODES 20000
/* Nesting depth of maps and lists. */
#define JOBFILE_MAX_DEPTH 32

/* jobfile_parse flags: a bare job map is accepted as a file of one job. */
#define JOBFILE_ONE_JOB 0x1
/*
 * The jobs run on this host: a user: must be in its password database.
 * Not for files sent to a daemon elsewhere, whose host has its own users.
 */
#define JOBFILE_LOCAL_USERS 0x2

/* A place in a job file. */
struct jobfile_pos {
	int line; /* 1-based */
	int col;  /* 1-based, in characters */
};

struct jobfile {
	char *path;
	struct job **jobs; /* validated, in file order; none if nerrors */
	/* Where each job's name is, for checks made after parsing. */
	struct jobfile_pos *names;
	size_t njobs;
	char **errors; /* "PATH:LINE:COL: field: message", file order */
	size_t nerrors;
};

/*
 * Parses LEN bytes of TEXT, a job file named PATH. Every error found is
 * collected, in file order: each unknown key and YAML trap, each field
 * with a wrong value (the first wrong sub-field of a map such as limits),
 * and each rule joining fields whose fields are right; jobs are kept only
 * when the file has no error at all. Never NULL; the caller frees with
 * jobfile_free.
 */
struct jobfile *jobfile_parse(
    const char *path, const char *text, size_t len, int flags);

/*
 * The field of a job closest to the unknown key KEY (a typo, or a name
 * other formats use, such as cmd for command), or NULL when none is close.
 */
const char *jobfile_suggest(const char *key);

/*
 * An error about the name of job I of JF found after parsing (a job of
 * that name is in another file or the store), in the form of the file's
 * own: "PATH:LINE:COL: name: job "NAME" " and the formatted message.
 * Caller frees.
 */
char *jobfile_name_error(const struct jobfile *jf, size_t i, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* Reads PATH and parses it; a file that cannot be read is one error. */
struct jobfile *jobfile_load(const char *path, int flags);
void jobfile_free(struct jobfile *jf);

/*
 * 1 if a directory entry NAME is a job file: ends in .yaml or .yml and is
 * not hidden, a backup or an editor or package manager leftover.
 */
int jobfile_name_ok(const char *name);

/*
 * Checks that PATH (followed through symlinks) is a regular file owned by
 * UID and not writable by group or others. Returns 0, or -1 with *cause
 * (caller frees) saying why the file is refused.
 */
int jobfile_check_owner(const char *path, uid_t uid, char **cause);

/*
 * Writes JOBS as a job file to FP: only the fields that differ from the
 * defaults, every string double-quoted so that YAML reads it back as
 * written.
 */
void jobfile_write(FILE *fp, struct job *const *jobs, size_t njobs);

/* Writes JSON object O's members as YAML keys at INDENT spaces. */
void jobfile_write_map(FILE *fp, const cJSON *o, int indent);

#endif
