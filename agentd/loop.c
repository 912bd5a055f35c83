/* SPDX-License-Identifier: ISC */
/*
 * The event loop: epoll for descriptors, a binary min-heap of monotonic
 * timers whose earliest entry sets epoll_wait's timeout, and before-sleep
 * hooks. The loop never wakes without a reason: no periodic tick.
 */
#include "config.h"

#include <sys/epoll.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "xmalloc.h"

struct loop_fd {
	loop_fd_cb cb;
	void *arg;
	uint32_t gen; /* tells a stale epoll event from the fd's new owner */
	int used;
};

struct loop_timer {
	int64_t when;
	uint64_t seq; /* ties fire in insertion order */
	loop_cb cb;
	void *arg;
	size_t idx; /* position in the heap */
};

struct loop_hook {
	loop_cb cb;
	void *arg;
};

struct loop {
	int epfd;
	int stop;
	struct loop_fd *fds;
	size_t nfds;
	uint32_t gen;
	struct loop_timer **heap;
	size_t nheap, heapcap;
	uint64_t seq;
	struct loop_hook *hooks;
	size_t nhooks;
};

struct loop *
loop_create(void)
{
	struct loop *loop;

	loop = xcalloc(1, sizeof *loop);
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd == -1) {
		free(loop);
		return NULL;
	}
	return loop;
}

void
loop_free(struct loop *loop)
{
	size_t i;

	if (loop == NULL)
		return;
	for (i = 0; i < loop->nheap; i++)
		free(loop->heap[i]);
	free(loop->heap);
	free(loop->fds);
	free(loop->hooks);
	close(loop->epfd);
	free(loop);
}

int
loop_add_fd(struct loop *loop, int fd, uint32_t events, loop_fd_cb cb,
    void *arg)
{
	struct epoll_event ev;
	size_t n;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if ((size_t)fd >= loop->nfds) {
		n = (size_t)fd + 16;
		loop->fds = xreallocarray(loop->fds, n, sizeof *loop->fds);
		memset(loop->fds + loop->nfds, 0,
		    (n - loop->nfds) * sizeof *loop->fds);
		loop->nfds = n;
	}
	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.u64 = (uint64_t)(uint32_t)fd | (uint64_t)++loop->gen << 32;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		return -1;
	loop->fds[fd].cb = cb;
	loop->fds[fd].arg = arg;
	loop->fds[fd].gen = loop->gen;
	loop->fds[fd].used = 1;
	return 0;
}

int
loop_mod_fd(struct loop *loop, int fd, uint32_t events)
{
	struct epoll_event ev;

	if (fd < 0 || (size_t)fd >= loop->nfds || !loop->fds[fd].used) {
		errno = ENOENT;
		return -1;
	}
	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.u64 = (uint64_t)(uint32_t)fd | (uint64_t)loop->fds[fd].gen << 32;
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void
loop_del_fd(struct loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->nfds || !loop->fds[fd].used)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->fds[fd].used = 0;
	loop->fds[fd].cb = NULL;
}

int64_t
loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	if (a->when != b->when)
		return a->when < b->when;
	return a->seq < b->seq;
}

static void
heap_set(struct loop *loop, size_t i, struct loop_timer *t)
{
	loop->heap[i] = t;
	t->idx = i;
}

static void
heap_up(struct loop *loop, size_t i)
{
	struct loop_timer *t = loop->heap[i];

	while (i > 0 && timer_before(t, loop->heap[(i - 1) / 2])) {
		heap_set(loop, i, loop->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(loop, i, t);
}

static void
heap_down(struct loop *loop, size_t i)
{
	struct loop_timer *t = loop->heap[i];
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= loop->nheap)
			break;
		if (c + 1 < loop->nheap &&
		    timer_before(loop->heap[c + 1], loop->heap[c]))
			c++;
		if (!timer_before(loop->heap[c], t))
			break;
		heap_set(loop, i, loop->heap[c]);
		i = c;
	}
	heap_set(loop, i, t);
}

static void
heap_remove(struct loop *loop, size_t i)
{
	struct loop_timer *last;

	last = loop->heap[--loop->nheap];
	if (i == loop->nheap)
		return;
	heap_set(loop, i, last);
	heap_down(loop, i);
	heap_up(loop, last->idx);
}

struct loop_timer *
loop_timer_add(struct loop *loop, int64_t when_ms, loop_cb cb, void *arg)
{
	struct loop_timer *t;

	if (loop->nheap == loop->heapcap) {
		loop->heapcap = loop->heapcap == 0 ? 16 : loop->heapcap * 2;
		loop->heap = xreallocarray(loop->heap, loop->heapcap,
		    sizeof *loop->heap);
	}
	t = xcalloc(1, sizeof *t);
	t->when = when_ms;
	t->seq = loop->seq++;
	t->cb = cb;
	t->arg = arg;
	loop->heap[loop->nheap] = t;
	t->idx = loop->nheap++;
	heap_up(loop, t->idx);
	return t;
}

void
loop_timer_cancel(struct loop *loop, struct loop_timer *t)
{
	if (t == NULL)
		return;
	heap_remove(loop, t->idx);
	free(t);
}

void
loop_before_sleep(struct loop *loop, loop_cb cb, void *arg)
{
	loop->hooks = xreallocarray(loop->hooks, loop->nhooks + 1,
	    sizeof *loop->hooks);
	loop->hooks[loop->nhooks].cb = cb;
	loop->hooks[loop->nhooks].arg = arg;
	loop->nhooks++;
}

/* Fires due timers; returns the epoll timeout until the next one. */
static int
loop_run_timers(struct loop *loop)
{
	struct loop_timer *t;
	int64_t now, wait;

	now = loop_now_ms();
	while (loop->nheap > 0 && loop->heap[0]->when <= now && !loop->stop) {
		t = loop->heap[0];
		heap_remove(loop, 0);
		t->cb(t->arg);
		free(t);
	}
	if (loop->nheap == 0)
		return -1;
	wait = loop->heap[0]->when - loop_now_ms();
	if (wait < 0)
		return 0;
	return wait > INT_MAX ? INT_MAX : (int)wait;
}

int
loop_run(struct loop *loop)
{
	struct epoll_event evs[64];
	struct loop_fd *lf;
	size_t i;
	int n, k, fd, timeout;

	loop->stop = 0;
	while (!loop->stop) {
		timeout = loop_run_timers(loop);
		if (loop->stop)
			break;
		for (i = 0; i < loop->nhooks; i++)
			loop->hooks[i].cb(loop->hooks[i].arg);
		/* A hook may have added an earlier timer. */
		if (loop->nheap > 0) {
			int64_t w = loop->heap[0]->when - loop_now_ms();

			timeout = w < 0 ? 0 : w > INT_MAX ? INT_MAX : (int)w;
		}
		n = epoll_wait(loop->epfd, evs, 64, timeout);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (k = 0; k < n && !loop->stop; k++) {
			fd = (int)(uint32_t)evs[k].data.u64;
			lf = &loop->fds[fd];
			if (!lf->used ||
			    lf->gen != (uint32_t)(evs[k].data.u64 >> 32))
				continue;
			lf->cb(fd, evs[k].events, lf->arg);
		}
	}
	return 0;
}

void
loop_stop(struct loop *loop)
{
	loop->stop = 1;
}
