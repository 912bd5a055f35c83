/* SPDX-License-Identifier: ISC */
/*
 * How the job model says no: the one shape of a rejection ("FIELD:
 * message"), and the readers of plain values that job.c, job-ext.c and
 * job-sandbox.c share, so that a wrong integer or boolean is told alike
 * in every field, to the API and in job files.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "job.h"
#include "xmalloc.h"

int
job_fail(char **cause, const char *field, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	xasprintf(cause, "%s: %s", field, msg);
	free(msg);
	return -1;
}

int
job_get_int(char **cause, const char *field, const cJSON *v, int64_t min,
    int64_t max, int64_t *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return job_fail_type(cause, field, "an integer", v);
	d = v->valuedouble;
	/*
	 * The range first: converting a double past int64_t is undefined,
	 * and "1e+20 is outside 0..100" says more than "not an integer".
	 */
	if (!(d >= (double)min && d <= (double)max))
		return job_fail(cause, field, "%.15g is outside %lld..%lld", d,
		    (long long)min, (long long)max);
	if (d != (double)(int64_t)d)
		return job_fail(cause, field, "expected an integer, not %g", d);
	*out = (int64_t)d;
	return 0;
}

int
job_get_bool(char **cause, const char *field, const cJSON *v, int *out)
{
	if (!cJSON_IsBool(v))
		return job_fail_type(cause, field, "true or false", v);
	*out = cJSON_IsTrue(v);
	return 0;
}

const char *
job_what(const cJSON *v, char *buf, size_t size)
{
	const char *s;
	size_t n;

	if (cJSON_IsString(v)) {
		s = v->valuestring;
		/* Long text is cut, on a character's first byte. */
		if ((n = strlen(s)) <= 40) {
			snprintf(buf, size, "the string \"%s\"", s);
			return buf;
		}
		for (n = 40; n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80; n--)
			;
		snprintf(buf, size, "the string \"%.*s...\"", (int)n, s);
		return buf;
	}
	if (cJSON_IsNumber(v)) {
		snprintf(buf, size, "the number %g", v->valuedouble);
		return buf;
	}
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v) ? "true" : "false";
	if (cJSON_IsNull(v))
		return "null";
	return cJSON_IsArray(v) ? "a list" : "a map";
}

int
job_fail_type(char **cause, const char *field, const char *want, const cJSON *v)
{
	char buf[JOB_WHAT_MAX];

	return job_fail(cause, field, "expected %s, not %s", want,
	    job_what(v, buf, sizeof buf));
}
