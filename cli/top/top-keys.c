/* SPDX-License-Identifier: ISC */
/*
 * Keys of cronq top. Each mode (the list, the filter prompt, a question
 * waiting for y, the help) reads keys its own way; nothing here blocks,
 * so events keep arriving while a prompt is open. Actions that change the
 * daemon ask first and then show the API's answer on the status line.
 */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>

#include "cli.h"
#include "client.h"
#include "top.h"

#define TOP_CTRL(c) ((c)&0x1f)

/* Keeps the selection on the same job across re-sorts and filters. */
void
top_keys_select(struct top *t)
{
	struct top_model *m = t->m;
	size_t i;

	top_model_refresh(m);
	if (t->sel_name[0] != '\0' &&
	    (t->sel >= m->nview ||
	        strcmp(m->view[t->sel]->name, t->sel_name) != 0)) {
		for (i = 0; i < m->nview; i++) {
			if (strcmp(m->view[i]->name, t->sel_name) == 0) {
				t->sel = i;
				break;
			}
		}
	}
	if (t->sel >= m->nview)
		t->sel = m->nview > 0 ? m->nview - 1 : 0;
	if (m->nview == 0) {
		t->sel_name[0] = '\0';
		return;
	}
	strlcpy(t->sel_name, m->view[t->sel]->name, sizeof t->sel_name);
	if (strcmp(t->detail_name, t->sel_name) != 0) {
		strlcpy(t->detail_name, t->sel_name, sizeof t->detail_name);
		/* Let a held arrow key pass before asking for details. */
		t->detail_ms = 0;
		top_detail_due(t, 250);
	}
}

static void
top_keys_move(struct top *t, long delta)
{
	long n = (long)t->m->nview, s = (long)t->sel + delta;

	if (n == 0)
		return;
	if (s < 0)
		s = 0;
	if (s >= n)
		s = n - 1;
	t->sel = (size_t)s;
	strlcpy(t->sel_name, t->m->view[t->sel]->name, sizeof t->sel_name);
	t->redraw = 1;
}

static struct top_job *
top_keys_job(struct top *t)
{
	top_model_refresh(t->m);
	if (t->sel >= t->m->nview)
		return NULL;
	return t->m->view[t->sel];
}

/* Sends the confirmed action and shows what the API said. */
static void
top_keys_act(struct top *t)
{
	char path[160], *name, *cause;
	const char *verb;
	cJSON *resp;
	long long id;
	int rc;

	name = client_escape(t->confirm_job);
	switch (t->confirm_key) {
	case 't':
		verb = "trigger";
		snprintf(path, sizeof path, "/jobs/%s/trigger", name);
		break;
	case 'k':
		verb = "stop";
		snprintf(path, sizeof path, "/runs/%lld/stop",
		    (long long)t->confirm_run);
		break;
	case 'P':
		verb = "resume";
		snprintf(path, sizeof path, "/jobs/%s/resume", name);
		break;
	default:
		verb = "pause";
		snprintf(path, sizeof path, "/jobs/%s/pause", name);
		break;
	}
	free(name);
	rc = client_call(t->c, "POST", path, NULL, &resp, NULL, &cause);
	if (rc != CQ_EXIT_OK) {
		top_message(t, "cannot %s %s: %s", verb, t->confirm_job, cause);
		free(cause);
		return;
	}
	if (t->confirm_key == 't' &&
	    print_int(cJSON_GetObjectItemCaseSensitive(resp, "run"), "id",
	        &id) == 0) {
		top_message(
		    t, "triggered %s: run %lld queued", t->confirm_job, id);
		top_message_follow(t, 't', t->confirm_job, id);
	} else if (t->confirm_key == 'k') {
		top_message(t, "stopping run %lld of %s: %s",
		    (long long)t->confirm_run, t->confirm_job,
		    print_str(resp, "state", "asked"));
		top_message_follow(t, 'k', t->confirm_job, t->confirm_run);
	} else {
		top_message(t, "%s %s",
		    t->confirm_key == 'P' ? "resumed" : "paused",
		    t->confirm_job);
		top_model_job_event(t->m, resp);
	}
	cJSON_Delete(resp);
}

/* Asks before an action on the selected job. */
static void
top_keys_confirm(struct top *t, int key)
{
	struct top_job *j;

	if ((j = top_keys_job(t)) == NULL)
		return;
	if (!t->connected) {
		top_message(t, "not connected to cronq-agentd");
		return;
	}
	strlcpy(t->confirm_job, j->name, sizeof t->confirm_job);
	t->confirm_run = j->active_id;
	if (key == 'k' && j->active_id == 0) {
		top_message(t, "%s has no run to stop", j->name);
		return;
	}
	if (key == 'p' && j->paused)
		key = 'P';
	t->confirm_key = key;
	switch (key) {
	case 't':
		top_message(t, "trigger %s now? [y/N]", j->name);
		break;
	case 'k':
		top_message(t, "stop run %lld of %s? [y/N]",
		    (long long)j->active_id, j->name);
		break;
	case 'P':
		top_message(t, "resume %s? [y/N]", j->name);
		break;
	default:
		top_message(t, "pause %s? [y/N]", j->name);
		break;
	}
	t->msg_until_ms = INT64_MAX;
	t->mode = TOP_MODE_CONFIRM;
}

/* Shows the selected job's log in $PAGER, the screen put away meanwhile. */
static void
top_keys_pager(struct top *t)
{
	struct top_job *j;
	char path[64], file[] = "/tmp/cronq-top-XXXXXX", *cause;
	const char *pager;
	FILE *fp;
	pid_t pid;
	int fd, rc, status;

	if ((j = top_keys_job(t)) == NULL)
		return;
	if (j->last_id == 0 && j->active_id == 0) {
		top_message(t, "%s has no log yet", j->name);
		return;
	}
	snprintf(path, sizeof path, "/runs/%lld/log",
	    (long long)(j->active_id ? j->active_id : j->last_id));
	if ((fd = mkstemp(file)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		top_message(t, "cannot create %s: %s", file, strerror(errno));
		if (fd != -1)
			close(fd);
		return;
	}
	rc = client_stream(t->c, path, fp, &cause);
	fclose(fp);
	if (rc != CQ_EXIT_OK) {
		top_message(t, "cannot read the log of %s: %s", j->name, cause);
		free(cause);
		unlink(file);
		return;
	}
	if ((pager = getenv("PAGER")) == NULL || *pager == '\0')
		pager = "less";
	def_prog_mode();
	endwin();
	if ((pid = fork()) == 0) {
		signal(SIGINT, SIG_DFL);
		execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", pager, file,
		    (char *)NULL);
		_exit(127);
	}
	if (pid != -1) {
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
	}
	unlink(file);
	reset_prog_mode();
	clearok(stdscr, TRUE);
	t->redraw = 1;
	if (pid == -1)
		top_message(t, "cannot start %s: %s", pager, strerror(errno));
}

static void
top_keys_filter(struct top *t, int ch)
{
	struct top_model *m = t->m;
	size_t n = strlen(m->filter);

	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
		t->mode = TOP_MODE_NORMAL;
	else if (ch == 27 || ch == TOP_CTRL('g')) {
		strlcpy(m->filter, t->old_filter, sizeof m->filter);
		t->mode = TOP_MODE_NORMAL;
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == '\b') {
		if (n > 0)
			m->filter[n - 1] = '\0';
	} else if (ch == TOP_CTRL('u'))
		m->filter[0] = '\0';
	else if (ch >= ' ' && ch < 127 && n + 1 < sizeof m->filter) {
		m->filter[n] = (char)ch;
		m->filter[n + 1] = '\0';
	} else
		return;
	m->dirty = 1;
	t->sel = 0;
	t->sel_name[0] = '\0';
	t->redraw = 1;
}

static void
top_keys_normal(struct top *t, int ch)
{
	long page = t->rows > 1 ? (long)t->rows - 1 : 1;

	switch (ch) {
	case KEY_DOWN:
	case 'j':
	case TOP_CTRL('n'):
		top_keys_move(t, 1);
		break;
	case KEY_UP:
	case 'K':
	case TOP_CTRL('p'):
		top_keys_move(t, -1);
		break;
	case KEY_NPAGE:
	case ' ':
		top_keys_move(t, page);
		break;
	case KEY_PPAGE:
		top_keys_move(t, -page);
		break;
	case KEY_HOME:
	case 'g':
		top_keys_move(t, -(long)t->m->nview);
		break;
	case KEY_END:
	case 'G':
		top_keys_move(t, (long)t->m->nview);
		break;
	case '/':
		strlcpy(t->old_filter, t->m->filter, sizeof t->old_filter);
		t->mode = TOP_MODE_FILTER;
		break;
	case 's':
		t->m->sort = (t->m->sort + 1) % TOP_SORT_COUNT;
		t->m->dirty = 1;
		top_message(t, "sorted by %s", top_sort_name(t->m->sort));
		break;
	case 'r':
		t->m->reverse = !t->m->reverse;
		t->m->dirty = 1;
		break;
	case 't':
	case 'k':
	case 'p':
		top_keys_confirm(t, ch);
		break;
	case 'l':
		top_keys_pager(t);
		break;
	case '?':
	case 'h':
		t->mode = TOP_MODE_HELP;
		break;
	case 'q':
		t->quit = 1;
		break;
	case TOP_CTRL('l'):
		clearok(stdscr, TRUE);
		break;
	case 27:
		if (t->m->filter[0] != '\0') {
			t->m->filter[0] = '\0';
			t->m->dirty = 1;
		}
		break;
	default:
		return;
	}
	t->redraw = 1;
}

void
top_keys_handle(struct top *t, int ch)
{
	if (ch == KEY_RESIZE) {
		t->redraw = 1;
		return;
	}
	switch (t->mode) {
	case TOP_MODE_FILTER:
		top_keys_filter(t, ch);
		break;
	case TOP_MODE_CONFIRM:
		t->mode = TOP_MODE_NORMAL;
		t->msg[0] = '\0';
		if (ch == 'y' || ch == 'Y')
			top_keys_act(t);
		else
			top_message(t, "cancelled");
		break;
	case TOP_MODE_HELP:
		t->mode = TOP_MODE_NORMAL;
		t->redraw = 1;
		if (ch == 'q')
			t->quit = 1;
		break;
	case TOP_MODE_NORMAL:
		top_keys_normal(t, ch);
		break;
	}
}
