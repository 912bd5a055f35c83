/* SPDX-License-Identifier: ISC */
/*
 * How `cronq show` and `cronq history` write a job's http request and its
 * notify targets: as words, one line per part, not as the API's JSON.
 * Header values that look like credentials read "(hidden)": the daemon
 * hands them back whole (edit and --json need them to round-trip), but a
 * screen or a pasted `show` should not carry them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

typedef void (*show_emit)(void *arg, const char *key, const char *value);

/*
 * 1 if a header called NAME usually carries a credential: the auth and
 * cookie headers and the X-Api-Key, X-Auth-Token, X-Secret kind.
 */
static int
show_secret_header(const char *name)
{
	static const char *const words[] = { "auth", "cookie", "token",
		"secret", "key", "pass", "session", "signature", NULL };
	size_t i, j, n;

	for (i = 0; words[i] != NULL; i++) {
		n = strlen(words[i]);
		for (j = 0; name[j] != '\0'; j++)
			if (strncasecmp(name + j, words[i], n) == 0)
				return 1;
	}
	return 0;
}

/* Appends S with newlines, tabs and other controls escaped, C style. */
static void
show_cat_escaped(char *buf, size_t len, const char *s)
{
	char one[8];

	for (; *s != '\0'; s++) {
		if (*s == '\n')
			strlcpy(one, "\\n", sizeof one);
		else if (*s == '\t')
			strlcpy(one, "\\t", sizeof one);
		else if (*s == '\\')
			strlcpy(one, "\\\\", sizeof one);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			snprintf(one, sizeof one, "\\x%02x", (unsigned char)*s);
		else {
			one[0] = *s;
			one[1] = '\0';
		}
		strlcat(buf, one, len);
	}
}

/* The http block: the request line, then one line per part set. */
static void
show_http(const cJSON *v, show_emit emit, void *arg)
{
	const cJSON *e, *list;
	char buf[4096];

	snprintf(buf, sizeof buf, "%s %s", print_str(v, "method", "GET"),
	    print_str(v, "url", "-"));
	emit(arg, "http", buf);
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(v, "headers"))
	{
		snprintf(buf, sizeof buf, "%s: ", e->string);
		if (show_secret_header(e->string))
			strlcat(buf, "(hidden)", sizeof buf);
		else
			show_cat_escaped(buf, sizeof buf,
			    cJSON_IsString(e) ? e->valuestring : "");
		emit(arg, "http.header", buf);
	}
	e = cJSON_GetObjectItemCaseSensitive(v, "body");
	if (cJSON_IsString(e) && *e->valuestring != '\0') {
		buf[0] = '\0';
		show_cat_escaped(buf, sizeof buf, e->valuestring);
		emit(arg, "http.body", buf);
	}
	/* No list is the daemon's default, which takes any 2xx. */
	list = cJSON_GetObjectItemCaseSensitive(v, "expect_status");
	buf[0] = '\0';
	cJSON_ArrayForEach(e, list)
	{
		if (buf[0] != '\0')
			strlcat(buf, ", ", sizeof buf);
		if (cJSON_IsNumber(e))
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
			    "%d", e->valueint);
		else if (cJSON_IsString(e))
			strlcat(buf, e->valuestring, sizeof buf);
	}
	emit(arg, "http.expect_status", buf[0] != '\0' ? buf : "2xx");
	/* Like the sandbox switches, only a switch turned on is worth a line.
	 */
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "insecure_tls")))
		emit(arg, "http.insecure_tls", "true");
	if (cJSON_IsTrue(
	        cJSON_GetObjectItemCaseSensitive(v, "follow_redirects")))
		emit(arg, "http.follow_redirects", "true");
}

/*
 * One notify target: "webhook URL on failure, late", the command quoted
 * as a shell would; timeout and retries only when not the defaults (10s,
 * 2), in parentheses so their commas do not run into the events.
 */
static void
show_target(char *buf, size_t len, const cJSON *t)
{
	const char *kind = print_str(t, "kind", "?");
	char span[64];
	long long n;
	int extra = 0;

	strlcpy(buf, kind, len);
	strlcat(buf, " ", len);
	if (strcmp(kind, "command") == 0)
		cmd_jobs_quote(buf, len, print_str(t, "command", ""));
	else
		strlcat(buf, print_str(t, "url", "-"), len);
	strlcat(buf, " on ", len);
	print_value(
	    span, sizeof span, cJSON_GetObjectItemCaseSensitive(t, "on"));
	strlcat(buf, span, len);
	if (print_int(t, "timeout", &n) == 0 && n != 10) {
		print_span(span, sizeof span, n);
		strlcat(buf, " (timeout ", len);
		strlcat(buf, span, len);
		extra = 1;
	}
	if (print_int(t, "retries", &n) == 0 && n != 2) {
		snprintf(span, sizeof span, "%sretries %lld",
		    extra ? ", " : " (", n);
		strlcat(buf, span, len);
		extra = 1;
	}
	if (extra)
		strlcat(buf, ")", len);
}

int
show_ext(const cJSON *v, show_emit emit, void *arg)
{
	const cJSON *t;
	char buf[4096];

	if (strcmp(v->string, "http") == 0 && cJSON_IsObject(v)) {
		show_http(v, emit, arg);
		return 1;
	}
	if (strcmp(v->string, "notify") != 0 || !cJSON_IsArray(v))
		return 0;
	if (v->child == NULL)
		emit(arg, "notify", "-");
	cJSON_ArrayForEach(t, v)
	{
		show_target(buf, sizeof buf, t);
		emit(arg, "notify", buf);
	}
	return 1;
}

struct show_join {
	char *buf;
	size_t len;
};

/*
 * Joins the lines with "; ", each after the part of its key past the
 * field's own name: "POST URL; header Accept: x; expect_status 2xx".
 */
static void
show_join_add(void *arg, const char *key, const char *value)
{
	struct show_join *j = arg;
	const char *dot;

	if (j->buf[0] != '\0')
		strlcat(j->buf, "; ", j->len);
	if ((dot = strchr(key, '.')) != NULL) {
		strlcat(j->buf, dot + 1, j->len);
		strlcat(j->buf, " ", j->len);
	}
	strlcat(j->buf, value, j->len);
}

int
show_ext_line(char *buf, size_t len, const cJSON *v)
{
	struct show_join j = { buf, len };

	buf[0] = '\0';
	return show_ext(v, show_join_add, &j) ? 0 : -1;
}
