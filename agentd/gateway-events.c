/* SPDX-License-Identifier: ISC */
/*
 * The live side of the API: GET /events as Server-Sent Events. Every
 * published event gets the next id and is kept, as its whole frame, in a
 * ring of the last GW_RING, so a client reconnecting with Last-Event-ID
 * gets what it missed. A stream with nothing to send is suspended by the
 * gateway and woken by the next publish or heartbeat: nothing polls.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/inotify.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "gateway.h"
#include "log.h"
#include "loop.h"
#include "xmalloc.h"

#define GW_RING 256 /* events kept for Last-Event-ID */
#define GW_HELLO ": cronq events\nretry: 2000\n\n"
#define GW_PING ": ping\n\n"
#define GW_BEAT_MS 15000 /* SSE comment so dead clients are noticed */

/*
 * One published event, kept as its whole SSE frame; a run event keeps the
 * run instead until a stream first reaches it, so that a daemon nobody
 * watches never prints one.
 */
struct gw_event {
	uint64_t id;
	uid_t owner; /* of the job: who may see the event */
	char *frame;
	size_t len;
	struct run *run; /* frame == NULL: the run to print */
};

struct gw_events {
	struct gateway *gw;
	struct loop *loop;
	struct gw_event ring[GW_RING]; /* by id modulo GW_RING */
	uint64_t last;                 /* id of the newest event */
	unsigned int nsse;             /* open /events streams */
	unsigned int beat;             /* heartbeat generation */
	struct loop_timer *beat_timer;

	/* Log followers: one inotify watch on the log directory while
	 * anyone follows; a write to RUNID.log wakes that run's. */
	int ino_fd;
	int ino_wd;
	unsigned int nfollow;
};

/* The state of one /events stream. */
struct gw_sse {
	struct gw_events *e;
	struct principal principal;
	uint64_t next;     /* id of the next event to send */
	unsigned int beat; /* heartbeat generation already sent */
	char *pending;     /* part of a frame MHD had no room for */
	size_t plen;
	size_t poff;
};

struct gw_events *
gateway_events_create(struct gateway *gw, struct loop *loop)
{
	struct gw_events *e;

	e = xcalloc(1, sizeof *e);
	e->gw = gw;
	e->loop = loop;
	e->ino_fd = -1;
	e->ino_wd = -1;
	return e;
}

void
gateway_events_free(struct gw_events *e)
{
	size_t i;

	if (e == NULL)
		return;
	if (e->beat_timer != NULL)
		loop_timer_cancel(e->loop, e->beat_timer);
	for (i = 0; i < GW_RING; i++) {
		free(e->ring[i].frame);
		free(e->ring[i].run);
	}
	if (e->ino_fd != -1) {
		loop_del_fd(e->loop, e->ino_fd);
		close(e->ino_fd);
	}
	free(e);
}

void
gateway_publish(
    struct gateway *gw, const char *type, uid_t owner, const cJSON *data)
{
	struct gw_events *e = gateway_events(gw);
	struct gw_event *ev;
	const cJSON *id;
	char *json;

	json = cJSON_PrintUnformatted(data);
	if (json == NULL)
		fatalx("gateway: out of memory printing an event");
	e->last++;
	ev = &e->ring[e->last % GW_RING];
	free(ev->frame);
	free(ev->run);
	ev->run = NULL;
	ev->id = e->last;
	ev->owner = owner;
	ev->len =
	    (size_t)xasprintf(&ev->frame, "id: %llu\nevent: %s\ndata: %s\n\n",
	        (unsigned long long)ev->id, type, json);
	free(json);
	gateway_wake(gw, API_CHANNEL_EVENTS, 0);

	/* A run that changed state may have ended: its followers look. */
	id = cJSON_GetObjectItemCaseSensitive(data, "id");
	if (strcmp(type, "run") == 0 && cJSON_IsNumber(id))
		gateway_wake(gw, API_CHANNEL_LOG, (int64_t)id->valuedouble);
}

void
gateway_publish_run(struct gateway *gw, const struct run *run)
{
	struct gw_events *e = gateway_events(gw);
	struct gw_event *ev;

	e->last++;
	ev = &e->ring[e->last % GW_RING];
	free(ev->frame);
	ev->frame = NULL;
	ev->len = 0;
	if (ev->run == NULL)
		ev->run = xmalloc(sizeof *ev->run);
	*ev->run = *run;
	ev->id = e->last;
	ev->owner = run->owner;
	gateway_wake(gw, API_CHANNEL_EVENTS, 0);
	/* A run that changed state may have ended: its followers look. */
	gateway_wake(gw, API_CHANNEL_LOG, run->id);
}

/* Prints EV's frame if it was kept as a run. */
static void
gateway_event_frame(struct gw_event *ev)
{
	cJSON *o;
	char *json;

	if (ev->frame != NULL || ev->run == NULL)
		return;
	o = ops_run_to_json(ev->run);
	json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (json == NULL)
		fatalx("gateway: out of memory printing an event");
	ev->len =
	    (size_t)xasprintf(&ev->frame, "id: %llu\nevent: run\ndata: %s\n\n",
	        (unsigned long long)ev->id, json);
	free(json);
	free(ev->run);
	ev->run = NULL;
}

/* Copies what fits of the pending frame; returns the bytes copied. */
static size_t
gateway_sse_drain(struct gw_sse *s, char *buf, size_t max)
{
	size_t n = s->plen - s->poff;

	if (n > max)
		n = max;
	memcpy(buf, s->pending + s->poff, n);
	s->poff += n;
	if (s->poff == s->plen) {
		free(s->pending);
		s->pending = NULL;
		s->plen = s->poff = 0;
	}
	return n;
}

static void
gateway_sse_set(struct gw_sse *s, const char *text, size_t len)
{
	s->pending = xstrndup(text, len);
	s->plen = len;
	s->poff = 0;
}

static ssize_t
gateway_sse_read(void *arg, char *buf, size_t max)
{
	struct gw_sse *s = arg;
	struct gw_events *e = s->e;
	struct gw_event *ev;
	uint64_t oldest;

	oldest = e->last >= GW_RING ? e->last - GW_RING + 1 : 1;
	if (s->next < oldest)
		s->next = oldest;
	while (s->pending == NULL && s->next <= e->last) {
		ev = &e->ring[s->next % GW_RING];
		s->next++;
		if (s->principal.admin || ev->owner == s->principal.uid) {
			gateway_event_frame(ev);
			gateway_sse_set(s, ev->frame, ev->len);
		}
	}
	if (s->pending == NULL && s->beat != e->beat) {
		s->beat = e->beat;
		gateway_sse_set(s, GW_PING, strlen(GW_PING));
	}
	if (s->pending == NULL)
		return 0;
	return (ssize_t)gateway_sse_drain(s, buf, max);
}

static void
gateway_sse_free(void *arg)
{
	struct gw_sse *s = arg;

	s->e->nsse--;
	free(s->pending);
	free(s);
}

static void
gateway_on_beat(void *arg)
{
	struct gw_events *e = arg;

	e->beat_timer = NULL;
	if (e->nsse == 0)
		return;
	e->beat++;
	gateway_wake(e->gw, API_CHANNEL_EVENTS, 0);
	e->beat_timer = loop_timer_add(
	    e->loop, loop_now_ms() + GW_BEAT_MS, gateway_on_beat, e);
}

void
gateway_events_stream(struct gateway *gw, const struct principal *p,
    const char *last_id, struct api_response *resp)
{
	struct gw_events *e = gateway_events(gw);
	struct gw_sse *s;
	unsigned long long id;
	char *end;

	s = xcalloc(1, sizeof *s);
	s->e = e;
	s->principal = *p;
	s->beat = e->beat;
	s->next = e->last + 1;
	if (last_id != NULL) {
		errno = 0;
		id = strtoull(last_id, &end, 10);
		if (errno == 0 && *end == '\0' && end != last_id &&
		    id <= e->last)
			s->next = id + 1;
	}
	/* A first comment gets the headers to the client at once. */
	gateway_sse_set(s, GW_HELLO, strlen(GW_HELLO));
	e->nsse++;
	if (e->beat_timer == NULL)
		e->beat_timer = loop_timer_add(
		    e->loop, loop_now_ms() + GW_BEAT_MS, gateway_on_beat, e);

	resp->status = 200;
	resp->content_type = "text/event-stream";
	resp->stream.read = gateway_sse_read;
	resp->stream.free = gateway_sse_free;
	resp->stream.arg = s;
	resp->stream.channel = API_CHANNEL_EVENTS;
}

/* Wakes the followers of each RUNID.log the directory reports. */
static void
gateway_on_inotify(int fd, uint32_t events, void *arg)
{
	struct gw_events *e = arg;
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ie;
	ssize_t n;
	char *p, *end;
	long long id;

	(void)events;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (p = buf; p < buf + n; p += sizeof *ie + ie->len) {
			ie = (const struct inotify_event *)p;
			if (ie->len == 0)
				continue;
			errno = 0;
			id = strtoll(ie->name, &end, 10);
			if (errno == 0 && id > 0 && strcmp(end, ".log") == 0)
				gateway_wake(e->gw, API_CHANNEL_LOG, id);
		}
	}
}

int
gateway_watch_log(struct gateway *gw, int64_t run_id, const char *path)
{
	struct gw_events *e = gateway_events(gw);
	char *dir, *slash;

	(void)run_id;
	if (e->nfollow++ > 0 && e->ino_wd != -1)
		return 0;
	if (e->ino_fd == -1) {
		e->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (e->ino_fd == -1)
			return -1;
		if (loop_add_fd(e->loop, e->ino_fd, EPOLLIN, gateway_on_inotify,
		        e) == -1) {
			close(e->ino_fd);
			e->ino_fd = -1;
			return -1;
		}
	}
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	e->ino_wd = inotify_add_watch(e->ino_fd, slash != NULL ? dir : ".",
	    IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE);
	free(dir);
	return e->ino_wd == -1 ? -1 : 0;
}

void
gateway_unwatch_log(struct gateway *gw, int64_t run_id)
{
	struct gw_events *e = gateway_events(gw);

	(void)run_id;
	if (e->nfollow == 0 || --e->nfollow > 0)
		return;
	if (e->ino_wd != -1)
		inotify_rm_watch(e->ino_fd, e->ino_wd);
	e->ino_wd = -1;
}
