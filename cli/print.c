/* SPDX-License-Identifier: ISC */
/*
 * What the commands put on stdout: aligned tables, local times, spans such
 * as "4min 10s", values taken from the API's JSON, and --json output. No
 * colour and no terminal tricks, so the output reads the same in a pipe;
 * on a terminal a table may only cut its last column to the width.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "xmalloc.h"

struct table {
	int ncols;
	size_t nrows;
	char **cells; /* nrows * ncols, the header first */
	size_t width; /* lines are cut to this many bytes; 0: never */
};

/* Creates a table with NCOLS column titles given as strings. */
struct table *
table_create(int ncols, ...)
{
	struct table *t;
	va_list ap;
	int i;

	t = xcalloc(1, sizeof *t);
	t->ncols = ncols;
	t->cells = xreallocarray(NULL, ncols, sizeof *t->cells);
	va_start(ap, ncols);
	for (i = 0; i < ncols; i++)
		t->cells[i] = xstrdup(va_arg(ap, const char *));
	va_end(ap);
	t->nrows = 1;
	return t;
}

/* Adds a row of ncols strings (copied). */
void
table_add(struct table *t, ...)
{
	va_list ap;
	size_t base;
	int i;

	t->cells = xreallocarray(
	    t->cells, (t->nrows + 1) * t->ncols, sizeof *t->cells);
	base = t->nrows * t->ncols;
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++)
		t->cells[base + i] = xstrdup(va_arg(ap, const char *));
	va_end(ap);
	t->nrows++;
}

/*
 * Cuts the last column of the lines to WIDTH when FP is a terminal of
 * known width, so one long cell does not wrap under the others; a pipe
 * keeps every byte.
 */
void
table_fit(struct table *t, FILE *fp)
{
	struct winsize ws;
	const char *cols;
	long n;

	t->width = 0;
	if (!isatty(fileno(fp)))
		return;
	if (ioctl(fileno(fp), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		t->width = ws.ws_col;
	else if ((cols = getenv("COLUMNS")) != NULL &&
	    (n = strtol(cols, NULL, 10)) > 0)
		t->width = (size_t)n;
}

/* Prints CELL, the last of a line that starts at column AT, cut to fit. */
static void
table_print_last(struct table *t, FILE *fp, const char *cell, size_t at)
{
	size_t n = strlen(cell), room;

	/* Cut only when some of the cell can still be read. */
	if (t->width == 0 || at + n <= t->width || t->width < at + 8) {
		fprintf(fp, "%s\n", cell);
		return;
	}
	room = t->width - at - 3;
	/* Not inside a UTF-8 sequence. */
	while (room > 0 && ((unsigned char)cell[room] & 0xc0) == 0x80)
		room--;
	fprintf(fp, "%.*s...\n", (int)room, cell);
}

/* Prints the columns two spaces apart; the last one is not padded. */
void
table_print(struct table *t, FILE *fp)
{
	size_t *w, r, n, at;
	int i;

	w = xcalloc(t->ncols, sizeof *w);
	for (r = 0; r < t->nrows; r++)
		for (i = 0; i < t->ncols; i++) {
			n = strlen(t->cells[r * t->ncols + i]);
			if (n > w[i])
				w[i] = n;
		}
	for (r = 0; r < t->nrows; r++) {
		for (at = 0, i = 0; i < t->ncols; i++) {
			if (i == t->ncols - 1)
				table_print_last(
				    t, fp, t->cells[r * t->ncols + i], at);
			else {
				fprintf(fp, "%-*s  ", (int)w[i],
				    t->cells[r * t->ncols + i]);
				at += w[i] + 2;
			}
		}
	}
	free(w);
}

void
table_free(struct table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

/* Prints J indented, one document per call, for --json. */
void
print_json(const cJSON *j)
{
	char *s;

	if ((s = cJSON_Print(j)) == NULL)
		return;
	printf("%s\n", s);
	cJSON_free(s);
}

/*
 * Parses the API's RFC 3339 times ("2025-01-28T03:00:00Z", an offset or
 * fractional seconds allowed) and, for what users type, a local wall time
 * "YYYY-MM-DD HH:MM[:SS]" or "YYYY-MM-DDTHH:MM[:SS]". Returns 0 or -1.
 */
int
print_parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	int y, mo, d, h, mi, sec = 0, oh, om, n = 0, k;
	const char *p;
	char sign;
	time_t t;

	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2d%*1[T ]%2d:%2d%n", &y, &mo, &d, &h, &mi,
	        &n) != 5 ||
	    n == 0)
		return -1;
	p = s + n;
	if (*p == ':') {
		if (sscanf(p, ":%2d%n", &sec, &k) != 1)
			return -1;
		p += k;
		if (*p == '.')
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (*p == '\0') {
		tm.tm_isdst = -1;
		if ((t = mktime(&tm)) == (time_t)-1)
			return -1;
		*out = t;
		return 0;
	}
	if (strcmp(p, "Z") == 0 || strcmp(p, "z") == 0) {
		*out = timegm(&tm);
		return 0;
	}
	if (sscanf(p, "%c%2d:%2d%n", &sign, &oh, &om, &k) != 3 ||
	    (sign != '+' && sign != '-') || p[k] != '\0')
		return -1;
	*out = timegm(&tm) - (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	return 0;
}

/* The time in OBJ[KEY], or -1 when it is null, absent or unreadable. */
int64_t
print_json_time(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	int64_t t;

	if (!cJSON_IsString(v) || print_parse_time(v->valuestring, &t) == -1)
		return -1;
	return t;
}

/* "Tue 2025-01-28 03:00:00 UTC" in local time, "-" for no time. */
void
print_time(char *buf, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t < 0 || localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%a %Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		strlcpy(buf, "-", len);
}

/* "58s", "4min 10s", "2h 5min", "3 days 2h": two units at most. */
void
print_span(char *buf, size_t len, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 3600) {
		if (s % 60)
			snprintf(buf, len, "%lldmin %llds", (long long)s / 60,
			    (long long)s % 60);
		else
			snprintf(buf, len, "%lldmin", (long long)s / 60);
	} else if (s < 86400) {
		if (s % 3600 / 60)
			snprintf(buf, len, "%lldh %lldmin", (long long)s / 3600,
			    (long long)s % 3600 / 60);
		else
			snprintf(buf, len, "%lldh", (long long)s / 3600);
	} else {
		if (s % 86400 / 3600)
			snprintf(buf, len, "%lld day%s %lldh",
			    (long long)s / 86400, s < 172800 ? "" : "s",
			    (long long)s % 86400 / 3600);
		else
			snprintf(buf, len, "%lld day%s", (long long)s / 86400,
			    s < 172800 ? "" : "s");
	}
}

void
print_size(char *buf, size_t len, int64_t bytes)
{
	static const char units[] = "KMGT";
	int i;

	/* The largest unit that keeps the number whole, as people write
	 * sizes in job files. */
	for (i = 3; i >= 0; i--) {
		int64_t u = (int64_t)1 << (10 * (i + 1));

		if (bytes > 0 && bytes % u == 0) {
			snprintf(buf, len, "%lld%c", (long long)(bytes / u),
			    units[i]);
			return;
		}
	}
	snprintf(buf, len, "%lld", (long long)bytes);
}

/*
 * A JSON value as one line for people: strings bare, null and "" as "-",
 * arrays of strings joined by ", ", anything else as compact JSON.
 */
void
print_value(char *buf, size_t len, const cJSON *v)
{
	const cJSON *e;
	char *s;
	int all = 1;

	if (v == NULL || cJSON_IsNull(v)) {
		strlcpy(buf, "-", len);
		return;
	}
	if (cJSON_IsString(v)) {
		strlcpy(
		    buf, *v->valuestring != '\0' ? v->valuestring : "-", len);
		return;
	}
	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(e, v) all &= cJSON_IsString(e);
		if (all) {
			buf[0] = '\0';
			cJSON_ArrayForEach(e, v)
			{
				if (e != v->child)
					strlcat(buf, ", ", len);
				strlcat(buf, e->valuestring, len);
			}
			if (v->child == NULL)
				strlcpy(buf, "-", len);
			return;
		}
	}
	if ((s = cJSON_PrintUnformatted(v)) == NULL) {
		strlcpy(buf, "?", len);
		return;
	}
	strlcpy(buf, s, len);
	cJSON_free(s);
}

/* The string OBJ[KEY], or DFLT when absent, null or not a string. */
const char *
print_str(const cJSON *obj, const char *key, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : dflt;
}

/* The number OBJ[KEY] in *OUT; returns 0, or -1 when it is not one. */
int
print_int(const cJSON *obj, const char *key, long long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(v))
		return -1;
	*out = (long long)v->valuedouble;
	return 0;
}

/* `cronq CMD -h`: the synopsis and summary on stdout, exit 0. */
int
print_usage(const struct cli_cmd *cmd)
{
	printf("usage: cronq %s\n%s\n", cmd->usage, cmd->summary);
	return CQ_EXIT_OK;
}

/* Reports what getopt (with opterr off and ':' first) stumbled on. */
int
print_badopt(const struct cli_cmd *cmd, int ch, char **argv)
{
	char opt[3] = { '-', (char)optopt, '\0' };
	const char *name = argv[optind - 1];

	/* A long option as typed ("--retries"), not its short letter. */
	if (optopt && strncmp(name, "--", 2) != 0)
		name = opt;

	if (ch == ':')
		return cli_usage(cmd, "option \"%s\" needs a value", name);
	return cli_usage(cmd, "unknown option \"%s\"", name);
}

void
print_run_detail(char *buf, size_t len, const cJSON *run)
{
	const char *msg = print_str(run, "message", "");
	char said[64];
	long long n;

	said[0] = '\0';
	if (print_int(run, "exit_code", &n) == 0)
		snprintf(said, sizeof said, "exit %lld", n);
	else if (print_int(run, "signal", &n) == 0)
		snprintf(said, sizeof said, "killed by signal %lld", n);
	else if (print_int(run, "http_status", &n) == 0)
		snprintf(said, sizeof said, "HTTP %lld", n);
	if (*msg == '\0' || strcmp(msg, said) == 0)
		strlcpy(buf, "-", len);
	else
		strlcpy(buf, msg, len);
}
