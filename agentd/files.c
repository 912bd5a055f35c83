/* SPDX-License-Identifier: ISC */
/*
 * Jobs from the job-file directory (cronq.d(5)). The directory is watched
 * with inotify and read again on SIGHUP; each file is applied as one store
 * transaction, so a file with any error changes nothing and its jobs keep
 * running as before. Errors are logged once per change and kept for
 * GET /status. A removed file removes its jobs; their runs finish.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agentd.h"
#include "jobfile.h"
#include "log.h"
#include "xmalloc.h"

/* Events settle this long before the directory is read again. */
#define FILES_SETTLE_MS 100

/* What a watch on the directory reports. */
#define FILES_EVENTS                                                           \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |            \
	    IN_CREATE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

struct files {
	struct agentd *ad;
	char *dir;
	int ifd;
	int wd;        /* the watch on dir, or -1 while it does not exist */
	int parent_wd; /* meanwhile, the watch on its parent, or -1 */
	struct loop_timer *timer;
	char **problems; /* every current error, in file order */
	size_t nproblems;
};

static void
problems_clear(struct files *f)
{
	size_t i;

	for (i = 0; i < f->nproblems; i++)
		free(f->problems[i]);
	free(f->problems);
	f->problems = NULL;
	f->nproblems = 0;
}

/* Keeps MSG for /status; logs it only if it is new since the last pass. */
static void
problem(struct files *f, char **old, size_t nold, const char *msg)
{
	size_t i;
	int seen = 0;

	for (i = 0; i < nold; i++)
		seen |= strcmp(old[i], msg) == 0;
	if (!seen)
		log_warnx("files: %s", msg);
	f->problems =
	    xreallocarray(f->problems, f->nproblems + 1, sizeof *f->problems);
	f->problems[f->nproblems++] = xstrdup(msg);
}

/* One reading of the directory: each file and what it holds now. */
struct scan {
	char **paths;
	struct jobfile **jfs; /* NULL: refused before reading */
	size_t n;
};

/* 1 if the file at I of SC was read without error and names job NAME. */
static int
scan_names(const struct scan *sc, size_t i, const char *name)
{
	size_t k;

	if (sc->jfs[i] == NULL || sc->jfs[i]->nerrors > 0)
		return 0;
	for (k = 0; k < sc->jfs[i]->njobs; k++) {
		if (strcmp(sc->jfs[i]->jobs[k]->name, name) == 0)
			return 1;
	}
	return 0;
}

/*
 * 1 if job NAME of file ORIGIN is free to go to another file: ORIGIN left
 * the directory (renamed with mv), or was read without error and no
 * longer names it (cut from one file, pasted into another). The job
 * moves with its id and history.
 */
static int
origin_gone(const char *origin, const char *name, const struct scan *sc)
{
	size_t i;

	if (origin[0] != '/')
		return 0;
	for (i = 0; i < sc->n; i++) {
		if (strcmp(sc->paths[i], origin) == 0)
			return sc->jfs[i] != NULL && sc->jfs[i]->nerrors == 0 &&
			    !scan_names(sc, i, name);
	}
	return 1;
}

/* 1 if a file of SC other than PATH names job NAME: it takes the job. */
static int
claimed(const char *name, const char *path, const struct scan *sc)
{
	size_t i;

	for (i = 0; i < sc->n; i++) {
		if (strcmp(sc->paths[i], path) != 0 && scan_names(sc, i, name))
			return 1;
	}
	return 0;
}

/*
 * Makes the stored jobs of origin PATH be exactly the jobs of JF (none
 * when NULL: the file is gone), in one transaction; SC is the directory
 * as read now. Returns 0, or -1 after reporting every reason
 * as a problem (nothing changed): all name conflicts of the file show at
 * once, each at its name's line, so they can be fixed in one edit rather
 * than found one reload at a time.
 */
static int
apply(struct files *f, const char *path, const struct jobfile *jf,
    const struct scan *sc, char **oldp, size_t nold)
{
	struct agentd *ad = f->ad;
	struct job **jobs = jf != NULL ? jf->jobs : NULL;
	struct job **have = NULL, *old, **changed = NULL;
	size_t njobs = jf != NULL ? jf->njobs : 0;
	size_t nhave = 0, nchanged = 0, i, k;
	uid_t owner = geteuid();
	int64_t now = agentd_now(), *gone = NULL;
	size_t ngone = 0;
	char by[300], **removed = NULL, *cause = NULL;
	struct agentd_error err;
	size_t nremoved = 0;
	int rc = -1, found, conflicts = 0;

	snprintf(by, sizeof by, "file:%s", path);
	if (store_detached_names(ad->store, owner, path, &removed, &nremoved) ==
	    -1) {
		xasprintf(&cause, "%s: cannot read the store", path);
		goto out;
	}
	for (i = 0; i < njobs; i++) {
		found = 0;
		for (k = 0; k < nremoved && !found; k++)
			found = strcmp(removed[k], jobs[i]->name) == 0;
		if (found) {
			cause = jobfile_name_error(jf, i,
			    "was removed with --detach; drop it from this "
			    "file");
			problem(f, oldp, nold, cause);
			free(cause);
			cause = NULL;
			conflicts++;
			continue;
		}
		/* What the API refuses to save, a file may not bring in. */
		jobs[i]->owner = owner;
		if (ops_job_check(ad, NULL, NULL, jobs[i], &err) == -1) {
			xasprintf(&cause, "%s: job \"%s\": %s", path,
			    jobs[i]->name, err.message);
			problem(f, oldp, nold, cause);
			free(cause);
			cause = NULL;
			conflicts++;
			continue;
		}
		old = store_job_find(ad->store, owner, jobs[i]->name);
		if (old != NULL && strcmp(old->origin, path) != 0 &&
		    !origin_gone(old->origin, jobs[i]->name, sc)) {
			/* Also read right for a job detached from this file. */
			cause = jobfile_name_error(jf, i,
			    "already exists (from %s); drop it from this file "
			    "or rename one of them",
			    strcmp(old->origin, "api") == 0 ? "the API"
			                                    : old->origin);
			problem(f, oldp, nold, cause);
			free(cause);
			cause = NULL;
			conflicts++;
		}
		job_free(old);
	}
	if (conflicts > 0)
		goto out;
	if (store_job_list(ad->store, owner, 0, &have, &nhave) == -1 ||
	    store_begin(ad->store) == -1) {
		xasprintf(&cause, "%s: cannot read the store", path);
		goto out;
	}
	/* The file dropped a removed job: its record has done its work. */
	for (k = 0; k < nremoved; k++) {
		if (store_detached_drop(ad->store, owner, removed[k]) == -1)
			goto fail;
	}
	changed = xcalloc(njobs + 1, sizeof *changed);
	gone = xcalloc(nhave + 1, sizeof *gone);
	for (i = 0; i < njobs; i++) {
		struct job *j = jobs[i];

		j->owner = owner;
		free(j->origin);
		j->origin = xstrdup(path);
		old = NULL;
		for (k = 0; k < nhave; k++) {
			if (strcmp(have[k]->name, j->name) == 0)
				old = have[k];
		}
		if (old == NULL) {
			if (store_job_insert(ad->store, j, "create", by, now) ==
			    -1)
				goto fail;
		} else {
			if (job_same_spec(old, j) &&
			    strcmp(old->origin, path) == 0)
				continue;
			if (strcmp(old->origin, path) != 0)
				log_notice("files: job %s moves from %s to %s",
				    j->name, old->origin, path);
			j->id = old->id;
			j->version = old->version;
			j->created_at = old->created_at;
			if (store_job_update(ad->store, j, "file", by, now) ==
			    -1)
				goto fail;
		}
		changed[nchanged++] = j;
	}
	for (k = 0; k < nhave; k++) {
		if (strcmp(have[k]->origin, path) != 0)
			continue;
		found = 0;
		for (i = 0; i < njobs; i++)
			found |= strcmp(have[k]->name, jobs[i]->name) == 0;
		/* Pasted into another file: that one moves it. */
		if (found || claimed(have[k]->name, path, sc))
			continue;
		if (store_job_delete(ad->store, have[k], by, now) == -1)
			goto fail;
		gone[ngone++] = have[k]->id;
	}
	if (store_commit(ad->store) == -1) {
		xasprintf(&cause, "%s: cannot save its jobs", path);
		goto out;
	}
	for (i = 0; i < nchanged; i++) {
		if (ad->sched != NULL)
			scheduler_job_changed(
			    ad->sched, changed[i]->id, changed[i], now);
		log_notice("files: job %s from %s version=%lld",
		    changed[i]->name, path, (long long)changed[i]->version);
	}
	for (i = 0; i < ngone; i++) {
		if (ad->sched != NULL)
			scheduler_job_changed(ad->sched, gone[i], NULL, now);
		log_notice("files: job id=%lld removed with %s",
		    (long long)gone[i], path);
	}
	rc = 0;
	goto out;
fail:
	store_rollback(ad->store);
	xasprintf(&cause, "%s: cannot save its jobs", path);
out:
	if (cause != NULL) {
		problem(f, oldp, nold, cause);
		free(cause);
	}
	free(changed);
	free(gone);
	store_job_list_free(have, nhave);
	for (k = 0; k < nremoved; k++)
		free(removed[k]);
	free(removed);
	return rc;
}

/* Origins of stored jobs that are files no longer in the directory. */
static void
remove_missing(struct files *f, const struct scan *sc, char **old, size_t nold)
{
	struct job **have = NULL;
	size_t nhave = 0, i, k;
	int found;

	if (store_job_list(f->ad->store, geteuid(), 0, &have, &nhave) == -1)
		return;
	for (i = 0; i < nhave; i++) {
		if (have[i]->origin[0] != '/')
			continue;
		found = 0;
		for (k = 0; k < sc->n; k++)
			found |= strcmp(sc->paths[k], have[i]->origin) == 0;
		if (found)
			continue;
		/* Gone: apply an empty file (one transaction per file). */
		(void)apply(f, have[i]->origin, NULL, sc, old, nold);
		/* apply removed all of that origin: refresh the list. */
		store_job_list_free(have, nhave);
		if (store_job_list(f->ad->store, geteuid(), 0, &have, &nhave) ==
		    -1)
			return;
		i = (size_t)-1;
	}
	store_job_list_free(have, nhave);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Watches the directory, or, while it does not exist, its parent for it
 * to appear: a daemon started before /etc/cronq.d was made must notice
 * the directory and the files put in it, not only after a SIGHUP.
 */
static void
watch_dir(struct files *f)
{
	char *parent, *slash;

	if (f->ifd == -1 || f->wd != -1)
		return;
	f->wd = inotify_add_watch(f->ifd, f->dir, FILES_EVENTS | IN_ONLYDIR);
	if (f->wd != -1) {
		if (f->parent_wd != -1)
			inotify_rm_watch(f->ifd, f->parent_wd);
		f->parent_wd = -1;
		return;
	}
	if (errno != ENOENT) {
		log_warn(
		    "files: cannot watch %s (SIGHUP still reloads)", f->dir);
		return;
	}
	if (f->parent_wd != -1)
		return;
	parent = xstrdup(f->dir);
	if ((slash = strrchr(parent, '/')) != NULL)
		*(slash == parent ? slash + 1 : slash) = '\0';
	f->parent_wd = inotify_add_watch(
	    f->ifd, parent, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
	if (f->parent_wd == -1)
		log_warn(
		    "files: cannot watch %s for %s to appear", parent, f->dir);
	else
		log_info("files: %s does not exist; waiting for it", f->dir);
	free(parent);
}

void
files_reload(struct agentd *ad)
{
	struct files *f = ad->files;
	struct scan sc;
	struct dirent *de;
	char **paths = NULL, **old, *cause = NULL;
	size_t npaths = 0, nold, i, k;
	DIR *d;

	if (f == NULL)
		return;
	watch_dir(f);
	old = f->problems;
	nold = f->nproblems;
	f->problems = NULL;
	f->nproblems = 0;
	if ((d = opendir(f->dir)) == NULL) {
		if (errno != ENOENT) {
			xasprintf(&cause, "%s: cannot read: %s", f->dir,
			    strerror(errno));
			problem(f, old, nold, cause);
			free(cause);
			goto done;
		}
	} else {
		while ((de = readdir(d)) != NULL) {
			if (!jobfile_name_ok(de->d_name))
				continue;
			paths = xreallocarray(paths, npaths + 1, sizeof *paths);
			xasprintf(
			    &paths[npaths++], "%s/%s", f->dir, de->d_name);
		}
		closedir(d);
	}
	qsort(paths, npaths, sizeof *paths, cmp_str);
	/* All read first: a job may move from any file to any other. */
	sc.paths = paths;
	sc.n = npaths;
	sc.jfs = xcalloc(npaths + 1, sizeof *sc.jfs);
	for (i = 0; i < npaths; i++) {
		if (jobfile_check_owner(paths[i], geteuid(), &cause) == -1) {
			problem(f, old, nold, cause);
			free(cause);
			continue;
		}
		sc.jfs[i] = jobfile_load(paths[i], JOBFILE_LOCAL_USERS);
		for (k = 0; k < sc.jfs[i]->nerrors; k++)
			problem(f, old, nold, sc.jfs[i]->errors[k]);
	}
	for (i = 0; i < npaths; i++) {
		if (sc.jfs[i] != NULL && sc.jfs[i]->nerrors == 0)
			(void)apply(f, paths[i], sc.jfs[i], &sc, old, nold);
	}
	remove_missing(f, &sc, old, nold);
	for (i = 0; i < npaths; i++) {
		jobfile_free(sc.jfs[i]);
		free(paths[i]);
	}
	free(sc.jfs);
	free(paths);
done:
	for (i = 0; i < nold; i++)
		free(old[i]);
	free(old);
	if (store_flush(ad->store) == -1)
		log_warnx("files: store commit failed");
}

static void
on_settled(void *arg)
{
	struct files *f = arg;

	f->timer = NULL;
	files_reload(f->ad);
}

static void
on_inotify(int fd, uint32_t events, void *arg)
{
	struct files *f = arg;
	const struct inotify_event *ev;
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n, off;

	(void)events;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (off = 0; off < n; off += (ssize_t)(sizeof *ev + ev->len)) {
			ev = (const struct inotify_event *)(buf + off);
			/* The directory went away: wait for it again. */
			if (ev->wd == f->wd && (ev->mask & IN_IGNORED))
				f->wd = -1;
		}
	}
	watch_dir(f);
	if (f->timer == NULL)
		f->timer = loop_timer_add(f->ad->loop,
		    loop_now_ms() + FILES_SETTLE_MS, on_settled, f);
}

void
files_recheck(struct agentd *ad)
{
	struct files *f = ad->files;

	if (f != NULL && f->timer == NULL)
		f->timer =
		    loop_timer_add(f->ad->loop, loop_now_ms(), on_settled, f);
}

int
files_start(struct agentd *ad, const char *dir)
{
	struct files *f;

	f = xcalloc(1, sizeof *f);
	f->ad = ad;
	f->dir = xstrdup(dir);
	ad->files = f;
	f->wd = f->parent_wd = -1;
	f->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (f->ifd == -1 ||
	    loop_add_fd(ad->loop, f->ifd, EPOLLIN, on_inotify, f) == -1) {
		log_warn("files: cannot watch %s (SIGHUP still reloads)", dir);
		if (f->ifd != -1)
			close(f->ifd);
		f->ifd = -1;
	}
	log_info("files: jobs directory %s", dir);
	watch_dir(f);
	files_reload(ad);
	return 0;
}

void
files_problems(struct agentd *ad, cJSON *arr)
{
	size_t i;

	if (ad->files == NULL)
		return;
	for (i = 0; i < ad->files->nproblems; i++)
		cJSON_AddItemToArray(
		    arr, cJSON_CreateString(ad->files->problems[i]));
}

void
files_stop(struct agentd *ad)
{
	struct files *f = ad->files;

	if (f == NULL)
		return;
	if (f->timer != NULL)
		loop_timer_cancel(ad->loop, f->timer);
	if (f->ifd != -1) {
		loop_del_fd(ad->loop, f->ifd);
		close(f->ifd);
	}
	problems_clear(f);
	free(f->dir);
	free(f);
	ad->files = NULL;
}
