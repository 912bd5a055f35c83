/* SPDX-License-Identifier: ISC */
/*
 * Job labels: the worker capabilities a job requires (`labels: [gpu]`).
 * Only a worker agent carrying every label of a job runs it when the queue
 * is shared through a broker; a local daemon ignores them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "xmalloc.h"

int
job_label_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > JOB_LABEL_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		        s[i] == '_'))
			return 0;
	}
	return 1;
}

static int
label_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
job_labels_from_json(
    const cJSON *v, char ***labels, size_t *nlabels, char **msg)
{
	const cJSON *e;
	char **out;
	size_t n = 0, i;
	char what[JOB_WHAT_MAX];

	if (!cJSON_IsArray(v)) {
		xasprintf(msg, "expected a list of label names, not %s",
		    job_what(v, what, sizeof what));
		return -1;
	}
	cJSON_ArrayForEach(e, v)
	{
		if (!cJSON_IsString(e) || !job_label_valid(e->valuestring)) {
			xasprintf(msg,
			    "element %zu: expected a label of 1 to %d "
			    "characters a-z, 0-9, - and _",
			    n, JOB_LABEL_MAX);
			return -1;
		}
		n++;
	}
	if (n > JOB_LABELS_MAX) {
		xasprintf(msg, "at most %d labels", JOB_LABELS_MAX);
		return -1;
	}
	out = n > 0 ? xcalloc(n, sizeof *out) : NULL;
	i = 0;
	cJSON_ArrayForEach(e, v) out[i++] = xstrdup(e->valuestring);
	if (n > 0)
		qsort(out, n, sizeof *out, label_cmp);
	for (i = 1; i < n; i++) {
		if (strcmp(out[i - 1], out[i]) == 0) {
			xasprintf(msg, "label \"%s\" is given twice", out[i]);
			job_labels_free(out, n);
			return -1;
		}
	}
	job_labels_free(*labels, *nlabels);
	*labels = out;
	*nlabels = n;
	return 0;
}

void
job_labels_free(char **labels, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(labels[i]);
	free(labels);
}

char **
job_labels_dup(char *const *labels, size_t n)
{
	char **out;
	size_t i;

	if (n == 0)
		return NULL;
	out = xcalloc(n, sizeof *out);
	for (i = 0; i < n; i++)
		out[i] = xstrdup(labels[i]);
	return out;
}

cJSON *
job_labels_to_json(char *const *labels, size_t n)
{
	cJSON *a;
	size_t i;

	a = cJSON_CreateArray();
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(labels[i]));
	return a;
}
