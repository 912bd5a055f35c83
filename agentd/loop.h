/* SPDX-License-Identifier: ISC */
/*
 * The daemon's single event loop (epoll): file descriptors, monotonic
 * timers and a hook run before each sleep. One thread owns it and
 * everything it calls back; nothing here is thread-safe by design.
 */
#ifndef LOOP_H
#define LOOP_H

#include <stdint.h>

struct loop;
struct loop_timer;

typedef void (*loop_fd_cb)(int fd, uint32_t events, void *arg);
typedef void (*loop_cb)(void *arg);

struct loop *loop_create(void);
void loop_free(struct loop *loop);

/* Watches FD for EVENTS (EPOLLIN, EPOLLOUT, ...). Returns 0 or -1/errno. */
int loop_add_fd(
    struct loop *loop, int fd, uint32_t events, loop_fd_cb cb, void *arg);
int loop_mod_fd(struct loop *loop, int fd, uint32_t events);
void loop_del_fd(struct loop *loop, int fd);

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t loop_now_ms(void);

/*
 * Calls CB once at monotonic time WHEN_MS (or soon after). The timer is
 * owned by the loop: it is freed after it fires or when cancelled.
 */
struct loop_timer *loop_timer_add(
    struct loop *loop, int64_t when_ms, loop_cb cb, void *arg);
void loop_timer_cancel(struct loop *loop, struct loop_timer *t);

/* Runs CB before every sleep (batching store writes, MHD bookkeeping). */
void loop_before_sleep(struct loop *loop, loop_cb cb, void *arg);

/* Runs until loop_stop; returns 0, or -1 if epoll itself failed. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);

#endif
