/* SPDX-License-Identifier: ISC */
/*
 * Internals shared by jobfile.c (YAML to a positioned JSON tree),
 * jobfile-syntax.c (libyaml's errors), jobfile-schema.c (the YAML checks
 * of the tree) and jobfile-jobs.c (the tree to jobs).
 */
#ifndef JOBFILE_INT_H
#define JOBFILE_INT_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <yaml.h>

#include "jobfile.h"

#define JF_PLAIN 0x1 /* an unquoted scalar: RAW holds its text */
#define JF_ALIAS 0x2 /* reached through an alias */

struct jf_pos {
	const cJSON *node;
	int line; /* 1-based */
	int col;  /* 1-based */
	unsigned flags;
	char *raw;
	int kline; /* a map value: where its key is (0: not a map value) */
	int kcol;
};

struct jf_anchor {
	char *name;
	cJSON *node;
};

/* A map or list being read: which of its values the parser is in. */
struct jf_step {
	char *key; /* a map's key, NULL while a key is read or in a list */
	int index; /* a list's item; -1 in a map */
};

/* Parsing state of one file. */
struct jf {
	struct jobfile *out;
	const char *text;
	size_t len;
	yaml_parser_t *parser;
	struct jf_pos *pos;
	size_t npos, cpos;
	size_t *index; /* open addressing: node pointer to pos index + 1 */
	size_t nindex; /* slots, a power of two */
	struct jf_anchor *anchors;
	size_t nanchors;
	size_t nodes;
	/* The maps and lists open, outermost first: depths 0 to the most. */
	struct jf_step steps[JOBFILE_MAX_DEPTH + 1];
	int nsteps;
	int flags; /* JOBFILE_* */
	/*
	 * Members of maps taken out because they were at fault (kept here so
	 * that no new node takes a freed one's address and its position),
	 * and how many errors went with them.
	 */
	cJSON *pruned;
	size_t npruned;
};

/* Adds "PATH:LINE:COL: message" (AT NULL: 1:1) to the file's errors. */
void jf_error(struct jf *jf, const struct jf_pos *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Where NODE was written; NULL for nodes made after parsing. */
const struct jf_pos *jf_pos(const struct jf *jf, const cJSON *node);
void jf_pos_move(struct jf *jf, const cJSON *old, const cJSON *new);
cJSON *jf_dup(struct jf *jf, const cJSON *src, const struct jf_pos *at);
/* 1 for the keys (env, limits...) whose maps merge with defaults key by key. */
int jf_merged_key(const char *k);
/* DEFAULTS (NULL for none) with JOB's keys laid over them; positions kept. */
cJSON *jf_merge_defaults(
    struct jf *jf, const cJSON *defaults, const cJSON *job);
/* Puts the file's errors FROM.. in the order of their line and column. */
void jf_sort_errors(struct jobfile *out, size_t from);
int jf_sexagesimal(const char *s);
int jf_yaml11_bool(const char *s);
cJSON *jf_read_document(struct jf *jf, int *failed);

/* jobfile-syntax.c: reports the error libyaml's parser stopped at. */
void jf_syntax_error(struct jf *jf);

/* The keys of a job found at fault before its fields are read. */
struct jf_badkeys {
	char **v; /* NULL-ended */
	size_t n;
};

/* jobfile-schema.c: the YAML checks of the tree. */
void jf_badkeys_add(struct jf_badkeys *bad, const char *key);
void jf_badkeys_free(struct jf_badkeys *bad);
int jf_badkeys_listed(const struct jf_badkeys *bad, const char *key);
/* Where N was written, else DFLT. */
const struct jf_pos *jf_pos_or(
    const struct jf *jf, const cJSON *n, const struct jf_pos *dflt);
/*
 * Checks MAP's keys and values as a job's, named PREFIX.KEY; BAD (if
 * set) gets the keys at fault, but KEPT (if set) those whose errors were
 * all in members taken out of their map: what is left is still to read.
 */
void jf_check_job(struct jf *jf, const char *prefix, cJSON *map,
    const struct jf_pos *at, struct jf_badkeys *bad, struct jf_badkeys *kept);
/* Reports the keys of ROOT other than jobs: and defaults:. */
void jf_check_top(struct jf *jf, const cJSON *root, const struct jf_pos *at);

/* jobfile-jobs.c: the document's jobs into jf->out. */
void jf_schema_document(struct jf *jf, cJSON *root, int flags);

#endif
