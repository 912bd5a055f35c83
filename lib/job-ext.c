/* SPDX-License-Identifier: ISC */
/*
 * The job fields beyond running a command: the `http` kind's request,
 * the concurrency `group` and `notify` targets with their `late_after` and
 * `expected_duration` triggers. Kept apart from job.c so each file stays
 * readable; job.c hands every field it does not know to job_ext_field.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "job.h"
#include "util.h"
#include "xmalloc.h"

#define NOTIFY_MAX 16
#define EXPECT_MAX 32

static const char *notify_kinds[] = { "webhook", "command", "ping" };
static const struct {
	const char *name;
	unsigned bit;
} notify_events[] = {
	{ "failure", NOTIFY_ON_FAILURE },
	{ "success", NOTIFY_ON_SUCCESS },
	{ "missed", NOTIFY_ON_MISSED },
	{ "late", NOTIFY_ON_LATE },
	{ "long_running", NOTIFY_ON_LONG_RUNNING },
	{ "start", NOTIFY_ON_START },
};
#define NEVENTS (sizeof notify_events / sizeof notify_events[0])

/* The field being read, for messages: "http.url", "notify[2].on". */
static _Thread_local char ext_field[64];

/* 1 if S holds a byte that would split a header or a request line. */
static int
has_ctl(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	}
	return 0;
}

/* An http(s) URL without spaces or control bytes; -1 with *cause. */
static int
check_url(const char *url, char **cause)
{
	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0)
		return job_fail(cause, ext_field,
		    "\"%.80s\" is not an http:// or https:// URL", url);
	if (has_ctl(url) || strchr(url, ' ') != NULL)
		return job_fail(cause, ext_field,
		    "spaces and control characters are "
		    "not allowed in a URL");
	return 0;
}

static int
get_str(const cJSON *v, char **out, int empty_ok, char **cause)
{
	if (!cJSON_IsString(v))
		return job_fail_type(cause, ext_field, "a string", v);
	if (!empty_ok && v->valuestring[0] == '\0')
		return job_fail(cause, ext_field, "must not be empty");
	free(*out);
	*out = xstrdup(v->valuestring);
	return 0;
}

static int
get_secs(const cJSON *v, int64_t max, int64_t *out, char **cause)
{
	char *why = NULL;
	int64_t s;

	if (cJSON_IsNumber(v)) {
		if (util_double_int(v->valuedouble, 0, max, &s) == -1 &&
		    v->valuedouble >= 0 && v->valuedouble <= (double)max)
			return job_fail(
			    cause, ext_field, "expected whole seconds");
		if (util_double_int(v->valuedouble, 0, max, &s) == -1)
			return job_fail(cause, ext_field,
			    "%.15g is outside 0..%lld seconds", v->valuedouble,
			    (long long)max);
	} else if (cJSON_IsString(v)) {
		if (util_parse_duration(v->valuestring, &s, &why) == -1) {
			job_fail(cause, ext_field, "%s",
			    why != NULL ? why : "invalid");
			free(why);
			return -1;
		}
	} else
		return job_fail(cause, ext_field,
		    "expected a duration (seconds or "
		    "\"5m\")");
	if (s < 0 || s > max)
		return job_fail(cause, ext_field,
		    "%lld is outside 0..%lld seconds", (long long)s,
		    (long long)max);
	*out = s;
	return 0;
}

/* One expect_status element: 204, "204", "2xx" or "200-299". */
static int
get_range(const cJSON *v, struct job_status_range *r, char **cause)
{
	const char *s;
	char *end;
	long lo, hi;

	if (cJSON_IsNumber(v)) {
		lo = hi = (long)v->valuedouble;
		if (v->valuedouble != (double)lo)
			return job_fail(
			    cause, ext_field, "expected a status code");
	} else if (cJSON_IsString(v)) {
		s = v->valuestring;
		if (strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' &&
		    tolower((unsigned char)s[1]) == 'x' &&
		    tolower((unsigned char)s[2]) == 'x') {
			lo = (s[0] - '0') * 100;
			hi = lo + 99;
		} else {
			lo = strtol(s, &end, 10);
			hi = lo;
			if (*end == '-')
				hi = strtol(end + 1, &end, 10);
			if (s[0] < '0' || s[0] > '9' || *end != '\0')
				return job_fail(cause, ext_field,
				    "\"%.20s\" is not a status, a class such "
				    "as \"2xx\" or a range such as \"200-299\"",
				    s);
		}
	} else
		return job_fail(cause, ext_field,
		    "expected a status code, \"2xx\" or \"200-299\"");
	if (lo < 100 || hi > 599 || lo > hi)
		return job_fail(cause, ext_field,
		    "statuses must be within 100..599, low to high");
	r->lo = (int)lo;
	r->hi = (int)hi;
	return 0;
}

static int
get_expect(struct job_http *h, const cJSON *v, char **cause)
{
	struct job_status_range *r;
	const cJSON *e;
	size_t n = 0;

	if (!cJSON_IsArray(v)) {
		r = xcalloc(1, sizeof *r);
		if (get_range(v, r, cause) == -1) {
			free(r);
			return -1;
		}
		n = 1;
	} else {
		/* [] is the default, any 2xx: what job_to_json writes. */
		if (cJSON_GetArraySize(v) > EXPECT_MAX)
			return job_fail(cause, ext_field, "at most %d statuses",
			    EXPECT_MAX);
		r = xcalloc((size_t)cJSON_GetArraySize(v) + 1, sizeof *r);
		cJSON_ArrayForEach(e, v)
		{
			if (get_range(e, &r[n], cause) == -1) {
				free(r);
				return -1;
			}
			n++;
		}
	}
	free(h->expect);
	h->expect = r;
	h->nexpect = n;
	return 0;
}

static int
get_headers(struct job_http *h, const cJSON *v, char **cause)
{
	struct job_env *hs;
	const cJSON *e;
	size_t n = 0, i;
	char what[JOB_WHAT_MAX];

	if (!cJSON_IsObject(v))
		return job_fail_type(cause, ext_field, JOB_WANT_STRMAP, v);
	cJSON_ArrayForEach(e, v)
	{
		if (!cJSON_IsString(e))
			return job_fail(cause, ext_field,
			    "\"%.40s\": expected a string, not %s", e->string,
			    job_what(e, what, sizeof what));
		if (e->string[0] == '\0' || has_ctl(e->string) ||
		    strpbrk(e->string, ": ") != NULL)
			return job_fail(cause, ext_field,
			    "\"%.40s\" is not a header name", e->string);
		if (has_ctl(e->valuestring))
			return job_fail(cause, ext_field,
			    "\"%.40s\": control characters are not allowed",
			    e->string);
		n++;
	}
	hs = n == 0 ? NULL : xcalloc(n, sizeof *hs);
	n = 0;
	cJSON_ArrayForEach(e, v)
	{
		hs[n].key = xstrdup(e->string);
		hs[n].value = xstrdup(e->valuestring);
		n++;
	}
	for (i = 0; i < h->nheaders; i++) {
		free(h->headers[i].key);
		free(h->headers[i].value);
	}
	free(h->headers);
	h->headers = hs;
	h->nheaders = n;
	return 0;
}

static int
get_http(struct job *job, const cJSON *v, char **cause)
{
	struct job_http *h = &job->http;
	const cJSON *e;
	const char *k;

	if (!cJSON_IsObject(v))
		return job_fail_type(cause, ext_field, "a map", v);
	cJSON_ArrayForEach(e, v)
	{
		k = e->string;
		snprintf(ext_field, sizeof ext_field, "http.%.40s", k);
		if (strcmp(k, "method") == 0) {
			if (get_str(e, &h->method, 0, cause) == -1)
				return -1;
			if (strspn(h->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
			        strlen(h->method) ||
			    strlen(h->method) > 16)
				return job_fail(cause, ext_field,
				    "\"%.20s\" is not a method such as GET or "
				    "POST (upper case)",
				    h->method);
		} else if (strcmp(k, "url") == 0) {
			if (get_str(e, &h->url, 0, cause) == -1 ||
			    check_url(h->url, cause) == -1)
				return -1;
		} else if (strcmp(k, "body") == 0) {
			if (get_str(e, &h->body, 1, cause) == -1)
				return -1;
		} else if (strcmp(k, "headers") == 0) {
			if (get_headers(h, e, cause) == -1)
				return -1;
		} else if (strcmp(k, "expect_status") == 0) {
			if (get_expect(h, e, cause) == -1)
				return -1;
		} else if (strcmp(k, "insecure_tls") == 0) {
			if (job_get_bool(
			        cause, ext_field, e, &h->insecure_tls) == -1)
				return -1;
		} else if (strcmp(k, "follow_redirects") == 0) {
			if (job_get_bool(cause, ext_field, e,
			        &h->follow_redirects) == -1)
				return -1;
		} else {
			strlcpy(ext_field, "http", sizeof ext_field);
			return job_fail(cause, ext_field,
			    "unknown key \"%.40s\" (expected method, url, "
			    "headers, body, expect_status, insecure_tls or "
			    "follow_redirects)",
			    k);
		}
	}
	return 0;
}

/* The bit of event E, one element of `on`; -1 with *cause naming E. */
static int
get_event(const cJSON *e, unsigned *bit, char **cause)
{
	size_t i;

	if (!cJSON_IsString(e))
		return job_fail(cause, ext_field,
		    "expected event names (" NOTIFY_EVENTS ")");
	/* Not start: pings get it by themselves, nothing asks for it. */
	for (i = 0; i < NEVENTS - 1; i++) {
		if (strcmp(e->valuestring, notify_events[i].name) == 0) {
			*bit = notify_events[i].bit;
			return 0;
		}
	}
	return job_fail(cause, ext_field,
	    "unknown event \"%.40s\"; expected " NOTIFY_EVENTS, e->valuestring);
}

/* A list of events, or one written alone, as people write `on: failure`. */
static int
get_on(struct job_notify *t, const cJSON *v, char **cause)
{
	const cJSON *e;
	unsigned on = 0, bit;

	if (cJSON_IsString(v)) {
		if (get_event(v, &bit, cause) == -1)
			return -1;
		t->on = bit;
		return 0;
	}
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
		return job_fail(cause, ext_field,
		    "expected an event or a list of events (" NOTIFY_EVENTS
		    ")");
	cJSON_ArrayForEach(e, v)
	{
		if (get_event(e, &bit, cause) == -1)
			return -1;
		on |= bit;
	}
	t->on = on;
	return 0;
}

static void
notify_free(struct job_notify *ts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(ts[i].url);
		free(ts[i].command);
	}
	free(ts);
}

/* One target of `notify`, index I. */
static int
get_target(struct job_notify *t, size_t i, const cJSON *v, char **cause)
{
	const cJSON *e, *kind;
	int64_t n;
	size_t k;

	snprintf(ext_field, sizeof ext_field, "notify[%zu]", i);
	if (!cJSON_IsObject(v))
		return job_fail_type(cause, ext_field, "a map", v);
	kind = cJSON_GetObjectItemCaseSensitive(v, "kind");
	for (k = 0; k < 3 && cJSON_IsString(kind); k++) {
		if (strcmp(kind->valuestring, notify_kinds[k]) == 0)
			break;
	}
	if (!cJSON_IsString(kind) || k == 3) {
		snprintf(ext_field, sizeof ext_field, "notify[%zu].kind", i);
		return job_fail(
		    cause, ext_field, "expected webhook, command or ping");
	}
	t->kind = (enum job_notify_kind)k;
	t->on = t->kind == NOTIFY_PING ? NOTIFY_ON_FAILURE | NOTIFY_ON_SUCCESS
	                               : NOTIFY_ON_FAILURE;
	t->timeout = 10;
	t->retries = 2;
	cJSON_ArrayForEach(e, v)
	{
		snprintf(ext_field, sizeof ext_field, "notify[%zu].%.30s", i,
		    e->string);
		if (strcmp(e->string, "kind") == 0)
			continue;
		if (strcmp(e->string, "url") == 0 &&
		    t->kind != NOTIFY_COMMAND) {
			if (get_str(e, &t->url, 0, cause) == -1 ||
			    check_url(t->url, cause) == -1)
				return -1;
		} else if (strcmp(e->string, "command") == 0 &&
		    t->kind == NOTIFY_COMMAND) {
			if (get_str(e, &t->command, 0, cause) == -1)
				return -1;
		} else if (strcmp(e->string, "on") == 0) {
			if (get_on(t, e, cause) == -1)
				return -1;
		} else if (strcmp(e->string, "timeout") == 0) {
			if (get_secs(e, 3600, &t->timeout, cause) == -1)
				return -1;
			if (t->timeout == 0)
				return job_fail(
				    cause, ext_field, "must be at least 1s");
		} else if (strcmp(e->string, "retries") == 0) {
			if (!cJSON_IsNumber(e) ||
			    util_double_int(e->valuedouble, 0, 10, &n) == -1)
				return job_fail(
				    cause, ext_field, "expected 0..10");
			t->retries = (int)n;
		} else
			return job_fail(cause, ext_field,
			    "unknown key for a %s target", notify_kinds[k]);
	}
	snprintf(ext_field, sizeof ext_field, "notify[%zu]", i);
	if (t->kind == NOTIFY_COMMAND && t->command == NULL)
		return job_fail(
		    cause, ext_field, "a command target needs \"command\"");
	if (t->kind != NOTIFY_COMMAND && t->url == NULL)
		return job_fail(cause, ext_field, "a %s target needs \"url\"",
		    notify_kinds[k]);
	if (t->kind == NOTIFY_PING &&
	    (t->on & ~(NOTIFY_ON_FAILURE | NOTIFY_ON_SUCCESS)) != 0)
		return job_fail(cause, ext_field,
		    "a ping target takes only failure and "
		    "success in \"on\"");
	return 0;
}

static int
get_notify(struct job *job, const cJSON *v, char **cause)
{
	struct job_notify *ts;
	const cJSON *e;
	size_t n = 0;

	if (!cJSON_IsArray(v))
		return job_fail_type(cause, ext_field, "a list of targets", v);
	if (cJSON_GetArraySize(v) > NOTIFY_MAX)
		return job_fail(
		    cause, ext_field, "at most %d targets", NOTIFY_MAX);
	ts = xcalloc((size_t)cJSON_GetArraySize(v) + 1, sizeof *ts);
	cJSON_ArrayForEach(e, v)
	{
		if (get_target(&ts[n], n, e, cause) == -1) {
			notify_free(ts, n + 1);
			return -1;
		}
		n++;
	}
	notify_free(job->notify, job->nnotify);
	job->notify = ts;
	job->nnotify = n;
	return 0;
}

int
job_ext_field(struct job *job, const cJSON *e, const char **field, char **cause)
{
	const char *k = e->string;
	int rc;

	strlcpy(ext_field, k, sizeof ext_field);
	if (strcmp(k, "http") == 0)
		rc = get_http(job, e, cause);
	else if (strcmp(k, "group") == 0) {
		if (cJSON_IsNull(e)) {
			free(job->group);
			job->group = NULL;
			return 1;
		}
		if (!cJSON_IsString(e) || !util_valid_name(e->valuestring))
			rc = job_fail(cause, ext_field,
			    "expected a group name "
			    "[A-Za-z0-9._-]{1,64} or null");
		else
			rc = get_str(e, &job->group, 0, cause);
	} else if (strcmp(k, "notify") == 0)
		rc = get_notify(job, e, cause);
	else if (strcmp(k, "late_after") == 0)
		rc = get_secs(e, 86400 * 366, &job->late_after, cause);
	else if (strcmp(k, "expected_duration") == 0)
		rc = get_secs(e, 86400 * 366, &job->expected_duration, cause);
	else
		return 0;
	if (rc == -1) {
		*field = ext_field;
		return -1;
	}
	return 1;
}

int
job_ext_validate(const struct job *job, const char **field, char **cause)
{
	if (job->kind == JOB_HTTP && job->http.url == NULL) {
		strlcpy(ext_field, "http.url", sizeof ext_field);
		if (field != NULL)
			*field = ext_field;
		return job_fail(cause, ext_field, "is required");
	}
	return 0;
}

void
job_ext_free(struct job *job)
{
	size_t i;

	free(job->http.method);
	free(job->http.url);
	for (i = 0; i < job->http.nheaders; i++) {
		free(job->http.headers[i].key);
		free(job->http.headers[i].value);
	}
	free(job->http.headers);
	free(job->http.body);
	free(job->http.expect);
	free(job->group);
	notify_free(job->notify, job->nnotify);
}

static char *
dup_or_null(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

void
job_ext_dup(struct job *d, const struct job *job)
{
	size_t i;

	d->http.method = dup_or_null(job->http.method);
	d->http.url = dup_or_null(job->http.url);
	d->http.body = dup_or_null(job->http.body);
	d->http.headers = NULL;
	if (job->http.nheaders > 0) {
		d->http.headers =
		    xcalloc(job->http.nheaders, sizeof *d->http.headers);
		for (i = 0; i < job->http.nheaders; i++) {
			d->http.headers[i].key =
			    xstrdup(job->http.headers[i].key);
			d->http.headers[i].value =
			    xstrdup(job->http.headers[i].value);
		}
	}
	d->http.expect = NULL;
	if (job->http.nexpect > 0) {
		d->http.expect =
		    xcalloc(job->http.nexpect, sizeof *d->http.expect);
		memcpy(d->http.expect, job->http.expect,
		    job->http.nexpect * sizeof *d->http.expect);
	}
	d->group = dup_or_null(job->group);
	d->notify = NULL;
	if (job->nnotify > 0) {
		d->notify = xcalloc(job->nnotify, sizeof *d->notify);
		for (i = 0; i < job->nnotify; i++) {
			d->notify[i] = job->notify[i];
			d->notify[i].url = dup_or_null(job->notify[i].url);
			d->notify[i].command =
			    dup_or_null(job->notify[i].command);
		}
	}
}

static void
add_http(cJSON *o, const struct job_http *h)
{
	cJSON *ho, *a, *hd;
	char buf[16];
	size_t i;

	ho = cJSON_AddObjectToObject(o, "http");
	cJSON_AddStringToObject(
	    ho, "method", h->method != NULL ? h->method : "GET");
	if (h->url != NULL)
		cJSON_AddStringToObject(ho, "url", h->url);
	hd = cJSON_AddObjectToObject(ho, "headers");
	for (i = 0; i < h->nheaders; i++)
		cJSON_AddStringToObject(
		    hd, h->headers[i].key, h->headers[i].value);
	if (h->body != NULL)
		cJSON_AddStringToObject(ho, "body", h->body);
	a = cJSON_AddArrayToObject(ho, "expect_status");
	for (i = 0; i < h->nexpect; i++) {
		if (h->expect[i].lo == h->expect[i].hi)
			cJSON_AddItemToArray(
			    a, cJSON_CreateNumber(h->expect[i].lo));
		else {
			if (h->expect[i].lo % 100 == 0 &&
			    h->expect[i].hi == h->expect[i].lo + 99)
				snprintf(buf, sizeof buf, "%dxx",
				    h->expect[i].lo / 100);
			else
				snprintf(buf, sizeof buf, "%d-%d",
				    h->expect[i].lo, h->expect[i].hi);
			cJSON_AddItemToArray(a, cJSON_CreateString(buf));
		}
	}
	cJSON_AddBoolToObject(ho, "insecure_tls", h->insecure_tls);
	cJSON_AddBoolToObject(ho, "follow_redirects", h->follow_redirects);
}

static void
add_notify(cJSON *o, const struct job *job)
{
	cJSON *a, *t, *on;
	size_t i, k;

	a = cJSON_AddArrayToObject(o, "notify");
	for (i = 0; i < job->nnotify; i++) {
		const struct job_notify *n = &job->notify[i];

		t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "kind", notify_kinds[n->kind]);
		if (n->url != NULL)
			cJSON_AddStringToObject(t, "url", n->url);
		if (n->command != NULL)
			cJSON_AddStringToObject(t, "command", n->command);
		on = cJSON_AddArrayToObject(t, "on");
		for (k = 0; k < NEVENTS; k++) {
			if (n->on & notify_events[k].bit)
				cJSON_AddItemToArray(on,
				    cJSON_CreateString(notify_events[k].name));
		}
		cJSON_AddNumberToObject(t, "timeout", (double)n->timeout);
		cJSON_AddNumberToObject(t, "retries", n->retries);
		cJSON_AddItemToArray(a, t);
	}
}

void
job_ext_to_json(cJSON *o, const struct job *job)
{
	if (job->kind == JOB_HTTP)
		add_http(o, &job->http);
	if (job->group != NULL)
		cJSON_AddStringToObject(o, "group", job->group);
	if (job->nnotify > 0)
		add_notify(o, job);
	if (job->late_after > 0)
		cJSON_AddNumberToObject(
		    o, "late_after", (double)job->late_after);
	if (job->expected_duration > 0)
		cJSON_AddNumberToObject(
		    o, "expected_duration", (double)job->expected_duration);
}

int
job_http_status_ok(const struct job *job, int status)
{
	size_t i;

	if (job->http.nexpect == 0)
		return status >= 200 && status <= 299;
	for (i = 0; i < job->http.nexpect; i++) {
		if (status >= job->http.expect[i].lo &&
		    status <= job->http.expect[i].hi)
			return 1;
	}
	return 0;
}

const char *
job_notify_event_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < NEVENTS; i++) {
		if (notify_events[i].bit == bit)
			return notify_events[i].name;
	}
	return "unknown";
}

const char *
job_notify_kind_name(enum job_notify_kind k)
{
	return notify_kinds[k];
}
