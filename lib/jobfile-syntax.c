/* SPDX-License-Identifier: ISC */
/*
 * libyaml's errors in a job file, reported in cronq's terms: each at the
 * line and column of the text at fault, and the usual causes of a syntax
 * error (a tab in the indentation, an unquoted value starting with * or
 * @) with a message that says what to write instead. Only reports; the
 * reading itself is jobfile.c's.
 */
#include "config.h"

#include <stdio.h>
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

/* The byte of LINE where its 1-based character column COL starts. */
static size_t
col_byte(const char *line, int col)
{
	size_t i = 0;

	for (; line[i] != '\0' && col > 1; col--) {
		i++;
		while (((unsigned char)line[i] & 0xc0) == 0x80)
			i++;
	}
	return i;
}

/*
 * 1 if the text of LINE before byte END leaves a [ or { open: a value
 * there ends at ", " or the bracket, as YAML ends it in a flow list.
 */
static int
in_flow(const char *line, size_t end)
{
	size_t i;
	char quote = '\0';
	int depth = 0;

	for (i = 0; i < end; i++) {
		if (quote != '\0') {
			if (line[i] == quote)
				quote = '\0';
		} else if ((line[i] == '"' || line[i] == '\'') &&
		    (i == 0 || strchr(" [{,:", line[i - 1]) != NULL))
			quote = line[i];
		else if (line[i] == '[' || line[i] == '{')
			depth++;
		else if (line[i] == ']' || line[i] == '}')
			depth--;
	}
	return depth > 0;
}

/*
 * The field the parser was in when it stopped, into BUF, named as the
 * schema names fields: a job's own as they are ("schedule",
 * "notify[1].url"), others from the top ("defaults.timeout"), and an
 * item by its list, as the other errors about schedules are. 0 when no
 * field is being read.
 */
static int
field_name(const struct jf *jf, char *buf, size_t size)
{
	const struct jf_step *st = jf->steps;
	char index[24];
	int i = 0, n = jf->nsteps;

	buf[0] = '\0';
	if (n > 2 && st[0].key != NULL && strcmp(st[0].key, "jobs") == 0)
		i = 2;
	for (; i < n; i++) {
		if (st[i].index >= 0 && i < n - 1) {
			snprintf(index, sizeof index, "[%d]", st[i].index);
			strlcat(buf, index, size);
		} else if (st[i].key != NULL) {
			if (buf[0] != '\0')
				strlcat(buf, ".", size);
			strlcat(buf, st[i].key, size);
		} else
			break;
	}
	return buf[0] != '\0';
}

/* Tabs in the indentation up to MARK: YAML allows only spaces there. */
static int
explain_tab(struct jf *jf, const yaml_mark_t *mark)
{
	struct jf_pos at = { NULL, 0, 0, 0, NULL, 0, 0 };
	char *text, *v;
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
	return 0;
}

/*
 * A value starting with *, @ or `, which YAML reads as an alias or keeps
 * reserved: names the field and quotes the value for the user to copy.
 * The parser stops at the token that starts there (an alias's error is
 * the byte after its *, but the context is the * itself).
 */
static int
explain_quote(struct jf *jf)
{
	yaml_parser_t *p = jf->parser;
	struct jf_pos at = { NULL, 0, 0, 0, NULL, 0, 0 };
	char *text, *v, *end, name[128];
	size_t n;

	if (p->error != YAML_SCANNER_ERROR)
		return 0;
	at.line = (int)p->context_mark.line + 1;
	at.col = (int)p->context_mark.column + 1;
	if ((text = line_of(jf, at.line)) == NULL)
		return 0;
	v = text + col_byte(text, at.col);
	if (*v != '*' && *v != '@' && *v != '`') {
		free(text);
		return 0;
	}
	n = strlen(v);
	if (in_flow(text, (size_t)(v - text))) {
		for (n = 0; v[n] != '\0' && v[n] != ']' && v[n] != '}'; n++) {
			if (v[n] == ',' &&
			    (v[n + 1] == ' ' || v[n + 1] == '\0'))
				break;
		}
	}
	v[n] = '\0';
	if ((end = strstr(v, " #")) != NULL)
		*end = '\0';
	/* A key is quoted alone, not with its value. */
	if (jf->nsteps > 0 && jf->steps[jf->nsteps - 1].index < 0 &&
	    jf->steps[jf->nsteps - 1].key == NULL &&
	    (end = strstr(v, ": ")) != NULL)
		*end = '\0';
	/* A flow list's comma at the end of a line is not the value's. */
	for (n = strlen(v); n > 0 && strchr(" \t\r,", v[n - 1]) != NULL; n--)
		v[n - 1] = '\0';
	jf_error(jf, &at,
	    "%s: quote this value (\"%s\"): YAML reads a leading %s",
	    field_name(jf, name, sizeof name) ? name : "yaml", v,
	    *v == '*' ? "* as an alias" : "@ or ` as reserved");
	free(text);
	return 1;
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
	if (explain_tab(jf, &p->problem_mark) || explain_quote(jf))
		return;
	at.line = (int)p->problem_mark.line + 1;
	at.col = (int)p->problem_mark.column + 1;
	jf_error(jf, &at, "yaml: %s%s%s",
	    p->problem != NULL ? p->problem : "syntax error",
	    p->context != NULL ? " " : "",
	    p->context != NULL ? p->context : "");
}
