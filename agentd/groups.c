/* SPDX-License-Identifier: ISC */
/*
 * Concurrency group limits: how many runs of all the jobs naming a group
 * may run at once. Limits come from agentd.yaml (`groups: {name: N}`) and
 * from the API; the API's are kept in the store's settings (one JSON
 * object under "group_limits") so that they outlive a restart, and win
 * over the file's. The supervisor asks groups_limit before each start.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agentd.h"
#include "log.h"
#include "xmalloc.h"

#define GROUPS_SETTING "group_limits"

struct group {
	char name[CQ_NAME_MAX + 1];
	int config; /* from agentd.yaml, or -1 */
	int api;    /* from the API, or -1 */
};

struct groups {
	struct group *v;
	size_t n;
	int loaded; /* the API's limits were read from the store */
};

struct groups *
groups_create(void)
{
	return xcalloc(1, sizeof(struct groups));
}

void
groups_free(struct groups *g)
{
	if (g == NULL)
		return;
	free(g->v);
	free(g);
}

static struct group *
group_find(struct groups *g, const char *name, int create)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		if (strcmp(g->v[i].name, name) == 0)
			return &g->v[i];
	}
	if (!create)
		return NULL;
	g->v = xreallocarray(g->v, g->n + 1, sizeof *g->v);
	memset(&g->v[g->n], 0, sizeof g->v[g->n]);
	strlcpy(g->v[g->n].name, name, sizeof g->v[g->n].name);
	g->v[g->n].config = g->v[g->n].api = -1;
	return &g->v[g->n++];
}

void
groups_config_reset(struct groups *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		g->v[i].config = -1;
}

void
groups_config_set(struct groups *g, const char *name, int limit)
{
	group_find(g, name, 1)->config = limit;
}

/* Reads the API's limits once, when the store is there. */
static void
groups_load(struct agentd *ad)
{
	struct groups *g = ad->groups;
	cJSON *o, *e;
	char *text = NULL;

	if (g->loaded || ad->store == NULL)
		return;
	g->loaded = 1;
	if (store_setting_get(ad->store, GROUPS_SETTING, &text) == -1)
		return;
	if ((o = cJSON_Parse(text)) == NULL) {
		log_warnx("groups: the stored limits are not JSON; ignored");
		free(text);
		return;
	}
	cJSON_ArrayForEach(e, o)
	{
		if (cJSON_IsNumber(e) && e->valueint >= 1 &&
		    strlen(e->string) <= CQ_NAME_MAX)
			group_find(g, e->string, 1)->api = e->valueint;
	}
	cJSON_Delete(o);
	free(text);
}

int
groups_limit(struct agentd *ad, const char *name)
{
	struct group *gr;

	if (ad->groups == NULL)
		return GROUP_DEFAULT_LIMIT;
	groups_load(ad);
	if ((gr = group_find(ad->groups, name, 0)) == NULL)
		return GROUP_DEFAULT_LIMIT;
	if (gr->api >= 1)
		return gr->api;
	if (gr->config >= 1)
		return gr->config;
	return GROUP_DEFAULT_LIMIT;
}

int
groups_api_set(struct agentd *ad, const char *name, int limit)
{
	struct groups *g = ad->groups;
	cJSON *o;
	char *text;
	size_t i;
	int rc;

	groups_load(ad);
	group_find(g, name, 1)->api = limit >= 1 ? limit : -1;
	o = cJSON_CreateObject();
	for (i = 0; i < g->n; i++) {
		if (g->v[i].api >= 1)
			cJSON_AddNumberToObject(o, g->v[i].name, g->v[i].api);
	}
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	rc = store_setting_set(ad->store, GROUPS_SETTING, text);
	free(text);
	return rc;
}

cJSON *
groups_one_json(struct agentd *ad, const char *name)
{
	struct group *gr;
	const char *source = "default";
	cJSON *o;

	groups_load(ad);
	if ((gr = group_find(ad->groups, name, 0)) != NULL) {
		if (gr->api >= 1)
			source = "api";
		else if (gr->config >= 1)
			source = "config";
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddNumberToObject(o, "limit", groups_limit(ad, name));
	cJSON_AddStringToObject(o, "source", source);
	cJSON_AddNumberToObject(
	    o, "running", supervisor_group_running(ad->sup, name));
	cJSON_AddNumberToObject(
	    o, "queued", supervisor_group_queued(ad->sup, name));
	return o;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

cJSON *
groups_to_json(struct agentd *ad)
{
	struct job **jobs = NULL;
	size_t njobs = 0, nnames = 0, i, k;
	char **names;
	cJSON *o, *a;

	groups_load(ad);
	if (store_job_list(ad->store, 0, 1, &jobs, &njobs) == -1)
		njobs = 0;
	names = xcalloc(ad->groups->n + njobs + 1, sizeof *names);
	for (i = 0; i < ad->groups->n; i++) {
		if (ad->groups->v[i].api >= 1 || ad->groups->v[i].config >= 1)
			names[nnames++] = ad->groups->v[i].name;
	}
	for (i = 0; i < njobs; i++) {
		if (jobs[i]->group == NULL)
			continue;
		for (k = 0; k < nnames; k++) {
			if (strcmp(names[k], jobs[i]->group) == 0)
				break;
		}
		if (k == nnames)
			names[nnames++] = jobs[i]->group;
	}
	qsort(names, nnames, sizeof *names, name_cmp);
	o = cJSON_CreateObject();
	a = cJSON_AddArrayToObject(o, "groups");
	for (i = 0; i < nnames; i++)
		cJSON_AddItemToArray(a, groups_one_json(ad, names[i]));
	free(names);
	store_job_list_free(jobs, njobs);
	return o;
}
