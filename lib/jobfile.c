/* SPDX-License-Identifier: ISC */
/*
 * Job files: YAML to the JSON of docs/api.md, with the position of every
 * node kept so that each error names FILE:LINE:COL. libyaml hands plain
 * scalars over unresolved, so the types are decided here by our own
 * schema: the booleans are those of YAML 1.2's core schema (true, True,
 * TRUE and the three false), which YAML 1.1 reads the same; string fields
 * keep the literal text, and whatever YAML 1.1 would have read otherwise
 * than 1.2 (yes, off, 09:00) is an error in the fields where the
 * difference matters.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <yaml.h>

#include "cronexpr.h"
#include "jobfile-int.h"
#include "jobfile.h"
#include "xmalloc.h"

void
jf_error(struct jf *jf, const struct jf_pos *at, const char *fmt, ...)
{
	struct jobfile *out = jf->out;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	out->errors =
	    xreallocarray(out->errors, out->nerrors + 1, sizeof *out->errors);
	xasprintf(&out->errors[out->nerrors++], "%s:%d:%d: %s", out->path,
	    at != NULL ? at->line : 1, at != NULL ? at->col : 1, msg);
	free(msg);
}

static size_t
slot_of(const void *node, size_t n)
{
	uintptr_t h = (uintptr_t)node;

	h ^= h >> 17;
	h *= (uintptr_t)0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 7) & (n - 1);
}

/* Points NODE at pos[IDX] in the index, growing it when half full. */
static void
index_put(struct jf *jf, const cJSON *node, size_t idx)
{
	size_t i, n, *old, oldn;

	if (jf->npos * 2 >= jf->nindex) {
		old = jf->index;
		oldn = jf->nindex;
		jf->nindex = oldn == 0 ? 256 : oldn * 2;
		jf->index = xcalloc(jf->nindex, sizeof *jf->index);
		for (i = 0; i < oldn; i++) {
			if (old[i] != 0 && jf->pos[old[i] - 1].node != NULL)
				index_put(
				    jf, jf->pos[old[i] - 1].node, old[i] - 1);
		}
		free(old);
	}
	n = jf->nindex;
	for (i = slot_of(node, n);; i = (i + 1) & (n - 1)) {
		if (jf->index[i] == 0 ||
		    jf->pos[jf->index[i] - 1].node == node ||
		    jf->pos[jf->index[i] - 1].node == NULL) {
			jf->index[i] = idx + 1;
			return;
		}
	}
}

const struct jf_pos *
jf_pos(const struct jf *jf, const cJSON *node)
{
	size_t i, n = jf->nindex;

	if (n == 0 || node == NULL)
		return NULL;
	for (i = slot_of(node, n); jf->index[i] != 0; i = (i + 1) & (n - 1)) {
		if (jf->pos[jf->index[i] - 1].node == node)
			return &jf->pos[jf->index[i] - 1];
	}
	return NULL;
}

static struct jf_pos *
pos_add(struct jf *jf, const cJSON *node, const yaml_mark_t *m)
{
	struct jf_pos *p, *stale;

	/* A freed node's address may come back: forget the old entry. */
	if ((stale = (struct jf_pos *)jf_pos(jf, node)) != NULL)
		stale->node = NULL;
	if (jf->npos == jf->cpos) {
		jf->cpos = jf->cpos == 0 ? 64 : jf->cpos * 2;
		jf->pos = xreallocarray(jf->pos, jf->cpos, sizeof *jf->pos);
	}
	p = &jf->pos[jf->npos++];
	memset(p, 0, sizeof *p);
	p->node = node;
	p->line = (int)m->line + 1;
	p->col = (int)m->column + 1;
	index_put(jf, node, jf->npos - 1);
	return p;
}

/* Re-points the position of OLD at NEW (a node replaced in place). */
void
jf_pos_move(struct jf *jf, const cJSON *old, const cJSON *new)
{
	struct jf_pos *p, *stale;

	if ((stale = (struct jf_pos *)jf_pos(jf, new)) != NULL)
		stale->node = NULL;
	if ((p = (struct jf_pos *)jf_pos(jf, old)) == NULL)
		return;
	p->node = new;
	index_put(jf, new, (size_t)(p - jf->pos));
}

/*
 * A copy of SRC whose nodes keep SRC's positions, or those of AT (an
 * alias) when AT is not NULL.
 */
cJSON *
jf_dup(struct jf *jf, const cJSON *src, const struct jf_pos *at)
{
	const struct jf_pos *p = at != NULL ? at : jf_pos(jf, src);
	struct jf_pos copy, *np;
	const cJSON *e;
	cJSON *d, *c;
	yaml_mark_t m = { 0, 0, 0 };
	int known = p != NULL;

	/* A copy: adding the children's positions may move jf->pos. */
	if (known)
		copy = *p;
	if (cJSON_IsArray(src) || cJSON_IsObject(src)) {
		d = cJSON_IsArray(src) ? cJSON_CreateArray()
		                       : cJSON_CreateObject();
		cJSON_ArrayForEach(e, src)
		{
			c = jf_dup(jf, e, at);
			if (cJSON_IsObject(src))
				cJSON_AddItemToObject(d, e->string, c);
			else
				cJSON_AddItemToArray(d, c);
		}
	} else
		d = cJSON_Duplicate(src, 0);
	if (known) {
		np = pos_add(jf, d, &m);
		*np = copy;
		np->node = d;
		if (at != NULL)
			np->flags |= JF_ALIAS;
		if (copy.raw != NULL)
			np->raw = xstrdup(copy.raw);
	}
	return d;
}

static size_t
count_nodes(const cJSON *n)
{
	const cJSON *e;
	size_t c = 1;

	if (cJSON_IsArray(n) || cJSON_IsObject(n)) {
		cJSON_ArrayForEach(e, n) c += count_nodes(e);
	}
	return c;
}

static int
match_int(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (!isdigit((unsigned char)*s))
		return 0;
	while (isdigit((unsigned char)*s))
		s++;
	return *s == '\0';
}

static int
match_float(const char *s)
{
	int digits = 0;

	if (*s == '-' || *s == '+')
		s++;
	while (isdigit((unsigned char)*s)) {
		s++;
		digits++;
	}
	if (*s != '.')
		return 0;
	s++;
	while (isdigit((unsigned char)*s)) {
		s++;
		digits++;
	}
	if (digits == 0)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

/* YAML 1.1 base-60 numbers: 1:30, 09:00, 190:20:30. */
int
jf_sexagesimal(const char *s)
{
	const char *c;

	if (*s == '-' || *s == '+')
		s++;
	if (!isdigit((unsigned char)*s) || strchr(s, ':') == NULL)
		return 0;
	for (c = s; *c != '\0'; c++) {
		if (!isdigit((unsigned char)*c) && *c != ':' && *c != '.')
			return 0;
	}
	return strstr(s, "::") == NULL && c[-1] != ':';
}

/*
 * The words YAML 1.1 reads as booleans and YAML 1.2 as strings, in the
 * spellings 1.1 has (yEs is a string in both).
 */
int
jf_yaml11_bool(const char *s)
{
	static const char *words[] = { "y", "Y", "yes", "Yes", "YES", "n", "N",
		"no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", NULL };
	size_t i;

	for (i = 0; words[i] != NULL; i++) {
		if (strcmp(s, words[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * A plain scalar resolved by YAML 1.2's core schema, except that null is
 * only null, ~ or nothing.
 */
static cJSON *
plain_scalar(const char *s)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0)
		return cJSON_CreateTrue();
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "FALSE") == 0)
		return cJSON_CreateFalse();
	if (*s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0)
		return cJSON_CreateNull();
	if ((match_int(s) && strlen(s) < 16) || match_float(s))
		return cJSON_CreateNumber(strtod(s, NULL));
	return cJSON_CreateString(s);
}

static int next_event(struct jf *jf, yaml_event_t *ev);
static cJSON *build(struct jf *jf, yaml_event_t *ev, int depth);

static void
anchor_add(struct jf *jf, const yaml_char_t *name, cJSON *node)
{
	if (name == NULL)
		return;
	jf->anchors =
	    xreallocarray(jf->anchors, jf->nanchors + 1, sizeof *jf->anchors);
	jf->anchors[jf->nanchors].name = xstrdup((const char *)name);
	jf->anchors[jf->nanchors].node = node;
	jf->nanchors++;
}

static int
count(struct jf *jf, size_t n, const yaml_mark_t *m)
{
	struct jf_pos at;

	jf->nodes += n;
	if (jf->nodes <= JOBFILE_MAX_NODES)
		return 0;
	at.line = (int)m->line + 1;
	at.col = (int)m->column + 1;
	jf_error(jf, &at,
	    "yaml: the document expands to more than %d nodes (aliases?)",
	    JOBFILE_MAX_NODES);
	return -1;
}

static cJSON *
build_scalar(struct jf *jf, yaml_event_t *ev)
{
	const char *text = (const char *)ev->data.scalar.value;
	struct jf_pos *p, at;
	cJSON *n;
	int plain;

	at.line = (int)ev->start_mark.line + 1;
	at.col = (int)ev->start_mark.column + 1;
	if (strlen(text) != ev->data.scalar.length) {
		jf_error(jf, &at, "yaml: NUL characters are not allowed");
		return NULL;
	}
	if (ev->data.scalar.tag != NULL) {
		jf_error(jf, &at,
		    "yaml: tags (%s) are not supported; quote the value "
		    "for a string",
		    (const char *)ev->data.scalar.tag);
		return NULL;
	}
	plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	n = plain ? plain_scalar(text) : cJSON_CreateString(text);
	p = pos_add(jf, n, &ev->start_mark);
	if (plain) {
		p->flags |= JF_PLAIN;
		p->raw = xstrdup(text);
	}
	anchor_add(jf, ev->data.scalar.anchor, n);
	return n;
}

static cJSON *
build_alias(struct jf *jf, yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct jf_pos at;
	size_t i;

	at.line = (int)ev->start_mark.line + 1;
	at.col = (int)ev->start_mark.column + 1;
	at.flags = 0;
	at.raw = NULL;
	at.node = NULL;
	at.kline = at.kcol = 0;
	for (i = jf->nanchors; i-- > 0;) {
		if (strcmp(jf->anchors[i].name, name) != 0)
			continue;
		if (count(jf, count_nodes(jf->anchors[i].node),
		        &ev->start_mark) == -1)
			return NULL;
		return jf_dup(jf, jf->anchors[i].node, &at);
	}
	jf_error(jf, &at,
	    "yaml: *%s is an alias to no anchor; a value starting with * "
	    "must be quoted",
	    name);
	return NULL;
}

/* Notes where the key of map value V was written. */
static void
key_pos(struct jf *jf, const cJSON *v, const struct jf_pos *at)
{
	size_t i;

	for (i = jf->npos; i-- > 0;) {
		if (jf->pos[i].node == v) {
			jf->pos[i].kline = at->line;
			jf->pos[i].kcol = at->col;
			return;
		}
	}
}

static cJSON *
build_mapping(struct jf *jf, yaml_event_t *ev, int depth)
{
	struct jf_step *step = &jf->steps[jf->nsteps - 1];
	yaml_event_t kev, vev;
	const cJSON *old;
	cJSON *map, *v;
	struct jf_pos at;
	char *key;

	map = cJSON_CreateObject();
	pos_add(jf, map, &ev->start_mark);
	for (;;) {
		free(step->key);
		step->key = NULL;
		if (next_event(jf, &kev) == -1)
			goto fail;
		if (kev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&kev);
			break;
		}
		at.line = (int)kev.start_mark.line + 1;
		at.col = (int)kev.start_mark.column + 1;
		if (kev.type != YAML_SCALAR_EVENT ||
		    strlen((char *)kev.data.scalar.value) !=
		        kev.data.scalar.length) {
			jf_error(jf, &at, "yaml: keys must be plain text");
			yaml_event_delete(&kev);
			goto fail;
		}
		key = xstrdup((const char *)kev.data.scalar.value);
		yaml_event_delete(&kev);
		if ((old = cJSON_GetObjectItemCaseSensitive(map, key)) !=
		    NULL) {
			const struct jf_pos *first = jf_pos(jf, old);

			jf_error(jf, &at,
			    "%s: duplicate key (first at line %d)", key,
			    first != NULL ? first->line : 0);
			free(key);
			goto fail;
		}
		step->key = xstrdup(key);
		if (next_event(jf, &vev) == -1) {
			free(key);
			goto fail;
		}
		v = build(jf, &vev, depth + 1);
		if (v == NULL) {
			free(key);
			goto fail;
		}
		cJSON_AddItemToObject(map, key, v);
		free(key);
		key_pos(jf, v, &at);
	}
	anchor_add(jf, ev->data.mapping_start.anchor, map);
	return map;
fail:
	cJSON_Delete(map);
	return NULL;
}

static cJSON *
build_sequence(struct jf *jf, yaml_event_t *ev, int depth)
{
	struct jf_step *step = &jf->steps[jf->nsteps - 1];
	yaml_event_t iev;
	cJSON *seq, *v;

	seq = cJSON_CreateArray();
	pos_add(jf, seq, &ev->start_mark);
	for (step->index = 0;; step->index++) {
		if (next_event(jf, &iev) == -1)
			goto fail;
		if (iev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&iev);
			break;
		}
		if ((v = build(jf, &iev, depth + 1)) == NULL)
			goto fail;
		cJSON_AddItemToArray(seq, v);
	}
	anchor_add(jf, ev->data.sequence_start.anchor, seq);
	return seq;
fail:
	cJSON_Delete(seq);
	return NULL;
}

/* Builds the node that starts with EV, which it deletes. NULL on error. */
static cJSON *
build(struct jf *jf, yaml_event_t *ev, int depth)
{
	struct jf_pos at;
	cJSON *n = NULL;

	at.line = (int)ev->start_mark.line + 1;
	at.col = (int)ev->start_mark.column + 1;
	if (depth > JOBFILE_MAX_DEPTH) {
		jf_error(jf, &at, "yaml: nested more than %d levels deep",
		    JOBFILE_MAX_DEPTH);
		yaml_event_delete(ev);
		return NULL;
	}
	if (count(jf, 1, &ev->start_mark) == -1) {
		yaml_event_delete(ev);
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = build_scalar(jf, ev);
		break;
	case YAML_ALIAS_EVENT:
		n = build_alias(jf, ev);
		break;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		/* Where the reading is, should the parser stop inside. */
		jf->steps[jf->nsteps].key = NULL;
		jf->steps[jf->nsteps++].index = -1;
		if (ev->type == YAML_MAPPING_START_EVENT)
			n = build_mapping(jf, ev, depth);
		else
			n = build_sequence(jf, ev, depth);
		free(jf->steps[--jf->nsteps].key);
		break;
	default:
		jf_error(jf, &at, "yaml: unexpected event");
		break;
	}
	yaml_event_delete(ev);
	return n;
}

static int
next_event(struct jf *jf, yaml_event_t *ev)
{
	if (yaml_parser_parse(jf->parser, ev))
		return 0;
	jf_syntax_error(jf);
	return -1;
}

/*
 * The document's root node, NULL for an empty file; *failed is set on a
 * syntax error (already reported).
 */
cJSON *
jf_read_document(struct jf *jf, int *failed)
{
	yaml_event_t ev;
	cJSON *root = NULL;

	*failed = 1;
	for (;;) {
		if (next_event(jf, &ev) == -1) {
			cJSON_Delete(root);
			return NULL;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			*failed = 0;
			return root;
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			yaml_event_delete(&ev);
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (root != NULL) {
				struct jf_pos at = { NULL,
					(int)ev.start_mark.line + 1,
					(int)ev.start_mark.column + 1, 0, NULL,
					0, 0 };

				jf_error(jf, &at,
				    "yaml: one document per file (a second "
				    "starts here)");
				yaml_event_delete(&ev);
				cJSON_Delete(root);
				return NULL;
			}
			yaml_event_delete(&ev);
			if (next_event(jf, &ev) == -1)
				return NULL;
			if ((root = build(jf, &ev, 0)) == NULL)
				return NULL;
			break;
		default:
			yaml_event_delete(&ev);
			break;
		}
	}
}

/* Object keys whose maps a job merges with `defaults:` key by key. */
int
jf_merged_key(const char *k)
{
	return strcmp(k, "env") == 0 || strcmp(k, "limits") == 0 ||
	    strcmp(k, "dst") == 0 || strcmp(k, "http") == 0;
}

/* DEFAULTS with JOB's keys laid over them; positions kept. */
cJSON *
jf_merge_defaults(struct jf *jf, const cJSON *defaults, const cJSON *job)
{
	cJSON *m, *cur, *sub;
	const cJSON *e, *s;

	m = defaults != NULL ? jf_dup(jf, defaults, NULL)
	                     : cJSON_CreateObject();
	if (cJSON_GetObjectItemCaseSensitive(job, "schedule") != NULL ||
	    cJSON_GetObjectItemCaseSensitive(job, "schedules") != NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(m, "schedule");
		cJSON_DeleteItemFromObjectCaseSensitive(m, "schedules");
	}
	cJSON_ArrayForEach(e, job)
	{
		cur = cJSON_GetObjectItemCaseSensitive(m, e->string);
		if (cur != NULL && jf_merged_key(e->string) &&
		    cJSON_IsObject(cur) && cJSON_IsObject(e)) {
			cJSON_ArrayForEach(s, e)
			{
				cJSON *was = cJSON_GetObjectItemCaseSensitive(
				    cur, s->string);
				cJSON *now = jf_dup(jf, s, NULL);

				if (was != NULL) {
					free(now->string);
					now->string = xstrdup(s->string);
					cJSON_ReplaceItemViaPointer(
					    cur, was, now);
				} else
					cJSON_AddItemToObject(
					    cur, s->string, now);
			}
			continue;
		}
		sub = jf_dup(jf, e, NULL);
		if (cur != NULL) {
			free(sub->string);
			sub->string = xstrdup(e->string);
			cJSON_ReplaceItemViaPointer(m, cur, sub);
		} else
			cJSON_AddItemToObject(m, e->string, sub);
	}
	return m;
}

/* The line and column of error S, "PATH:LINE:COL: ...", as one number. */
static long long
error_place(const struct jobfile *out, const char *s)
{
	char *end;
	long long line, col;

	line = strtoll(s + strlen(out->path) + 1, &end, 10);
	col = strtoll(end + 1, NULL, 10);
	return line << 32 | col;
}

/*
 * Puts errors FROM.. in file order. A job's errors come from the YAML
 * checks, then from its fields in the order of its map merged with
 * `defaults:`, where a key the job overrides keeps the default's place.
 */
void
jf_sort_errors(struct jobfile *out, size_t from)
{
	size_t i, j;
	char *e;

	for (i = from + 1; i < out->nerrors; i++) {
		e = out->errors[i];
		for (j = i; j > from &&
		     error_place(out, out->errors[j - 1]) > error_place(out, e);
		     j--)
			out->errors[j] = out->errors[j - 1];
		out->errors[j] = e;
	}
}
