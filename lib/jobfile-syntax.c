/* SPDX-License-Identifier: ISC */
/*
 * libyaml's errors in a job file, reported in cronq's terms: the usual
 * causes of a syntax error (a tab in the indentation, an unquoted value
 * starting with * or @) get a message that says what to write instead.
 * Only reports; the reading itself is jobfile.c's.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <yaml.h>

#include "jobfile-int.h"
#include "jobfile.h"
#include "xmalloc.h"

/* The line of TEXT that starts at 1-based LINE, copied (caller frees). */
static char *
line_of(const struct jf *jf, int line)
{
	const char *s = jf->text, *end = jf->text + jf->len, *nl;
	int i;

	for (i = 1; i < line && s < end; i++) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			return NULL;
		s = nl + 1;
	}
	nl = memchr(s, '\n', (size_t)(end - s));
	return xstrndup(s, (size_t)((nl != NULL ? nl : end) - s));
}

/*
 * After a YAML syntax error at MARK: explain the usual causes (a tab in
 * the indentation, an unquoted value starting with * or @) in our terms.
 * Returns 1 if it reported one.
 */
static int
explain_syntax(struct jf *jf, const yaml_mark_t *mark)
{
	struct jf_pos at = { NULL, 0, 0, 0, NULL, 0, 0 };
	char *text, *v, *colon;
	int line;

	for (line = 1; line <= (int)mark->line + 1; line++) {
		if ((text = line_of(jf, line)) == NULL)
			break;
		v = text + strspn(text, " ");
		if (*v == '\t') {
			at.line = line;
			at.col = (int)(v - text) + 1;
			jf_error(jf, &at,
			    "yaml: tab used for indentation; YAML allows only "
			    "spaces");
			free(text);
			return 1;
		}
		free(text);
	}
	if ((text = line_of(jf, (int)mark->line + 1)) == NULL)
		return 0;
	v = text + strspn(text, " ");
	if (v[0] == '-' && v[1] == ' ')
		v += 1 + strspn(v + 1, " ");
	colon = strstr(v, ": ");
	if (colon != NULL && (*v != '"' && *v != '\'')) {
		*colon = '\0';
		v = colon + 2 + strspn(colon + 2, " ");
	} else
		colon = NULL;
	if (*v == '*' || *v == '@' || *v == '`') {
		at.line = (int)mark->line + 1;
		at.col = (int)(v - text) + 1;
		jf_error(jf, &at,
		    "%s: quote this value (\"%s\"): YAML reads a leading %s",
		    colon != NULL ? text + strspn(text, " -") : "value", v,
		    *v == '*' ? "* as an alias" : "@ or ` as reserved");
		free(text);
		return 1;
	}
	free(text);
	return 0;
}

void
jf_syntax_error(struct jf *jf)
{
	yaml_parser_t *p = jf->parser;
	struct jf_pos at;

	if (explain_syntax(jf, &p->problem_mark))
		return;
	at.line = (int)p->problem_mark.line + 1;
	at.col = (int)p->problem_mark.column + 1;
	jf_error(jf, &at, "yaml: %s%s%s",
	    p->problem != NULL ? p->problem : "syntax error",
	    p->context != NULL ? " " : "",
	    p->context != NULL ? p->context : "");
}
