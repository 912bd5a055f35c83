/* SPDX-License-Identifier: ISC */
/*
 * libyaml's errors in a job file, reported in cronq's terms: each at the
 * line and column of the text at fault, and the usual causes of a syntax
 * error (a tab in the indentation, an unquoted value starting with * or
 * @) with a message that says what to write instead. Only reports; the
 * reading itself is jobfile.c's.
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

/* A code unit of the text: a byte of UTF-8, or half a UTF-16 pair. */
static unsigned
unit_at(const unsigned char *s, size_t i, size_t width, int big_endian)
{
	if (width == 1)
		return s[i];
	return big_endian ? (unsigned)s[i] << 8 | s[i + 1]
	                  : (unsigned)s[i + 1] << 8 | s[i];
}

/* How many bytes a UTF-8 sequence that starts with byte C claims. */
static size_t
utf8_len(unsigned char c)
{
	if ((c & 0xe0) == 0xc0)
		return 2;
	if ((c & 0xf0) == 0xe0)
		return 3;
	if ((c & 0xf8) == 0xf0)
		return 4;
	return c < 0x80 ? 1 : 0;
}

/*
 * The first byte of the character that the unit at OFF belongs to. A
 * reader error's offset can be the second byte of a broken UTF-8
 * sequence (the first one promised more) or the half after a UTF-16 high
 * surrogate; the user looks for the character, not for that byte.
 */
static size_t
char_start(const unsigned char *s, size_t from, size_t off, size_t width,
    int big_endian)
{
	size_t k;

	if (width == 2) {
		if (off >= from + 2 &&
		    (unit_at(s, off - 2, 2, big_endian) & 0xfc00) == 0xd800)
			return off - 2;
		return off;
	}
	for (k = 1; k <= 3 && off >= from + k; k++) {
		if ((s[off - k] & 0xc0) != 0x80)
			return utf8_len(s[off - k]) > k ? off - k : off;
	}
	return off;
}

/*
 * AT for byte OFF of the text, counted as libyaml counts its marks: a
 * line ends at LF, CR LF or CR, a column is a character, and the byte
 * order mark is no character. libyaml reads UTF-16 too when such a mark
 * says so.
 */
static void
offset_pos(const struct jf *jf, size_t off, struct jf_pos *at)
{
	const unsigned char *s = (const unsigned char *)jf->text;
	size_t i = 0, width = 1, len = jf->len;
	unsigned u, next;
	int be = 0;

	if (len >= 2 &&
	    (memcmp(s, "\xff\xfe", 2) == 0 || memcmp(s, "\xfe\xff", 2) == 0)) {
		be = s[0] == 0xfe;
		i = width = 2;
	} else if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	off = char_start(s, i, off < len ? off : len, width, be);
	memset(at, 0, sizeof *at);
	at->line = at->col = 1;
	for (; i + width <= off; i += width) {
		u = unit_at(s, i, width, be);
		next =
		    i + 2 * width <= len ? unit_at(s, i + width, width, be) : 0;
		if (u == '\n' || (u == '\r' && next != '\n')) {
			at->line++;
			at->col = 1;
		} else if (u != '\r' &&
		    (width == 1 ? (u & 0xc0) != 0x80 : (u & 0xfc00) != 0xdc00))
			at->col++;
	}
}

/*
 * A reader error: bytes that are not text in the file's encoding. The
 * reader decodes ahead of the parser and has no mark, only the offset of
 * the byte at fault, so that is where the error is placed.
 */
static void
reader_error(struct jf *jf)
{
	yaml_parser_t *p = jf->parser;
	const char *problem = p->problem != NULL ? p->problem : "bad input";
	struct jf_pos at;

	offset_pos(jf, p->problem_offset, &at);
	/* A UTF-8 error's value is a byte, not a character worth naming. */
	if (strstr(problem, "UTF-8") != NULL)
		jf_error(jf, &at, "yaml: %s; save the file as UTF-8", problem);
	else if (p->problem_value >= 0)
		jf_error(jf, &at, "yaml: %s (found U+%04X)", problem,
		    (unsigned)p->problem_value);
	else
		jf_error(jf, &at, "yaml: %s", problem);
}

void
jf_syntax_error(struct jf *jf)
{
	yaml_parser_t *p = jf->parser;
	struct jf_pos at;

	if (p->error == YAML_READER_ERROR) {
		reader_error(jf);
		return;
	}
	if (explain_syntax(jf, &p->problem_mark))
		return;
	at.line = (int)p->problem_mark.line + 1;
	at.col = (int)p->problem_mark.column + 1;
	jf_error(jf, &at, "yaml: %s%s%s",
	    p->problem != NULL ? p->problem : "syntax error",
	    p->context != NULL ? " " : "",
	    p->context != NULL ? p->context : "");
}
