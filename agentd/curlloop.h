/* SPDX-License-Identifier: ISC */
/*
 * libcurl's multi interface driven by the daemon's event loop: curl tells
 * us which sockets to watch and when to wake it (CURLMOPT_SOCKETFUNCTION,
 * CURLMOPT_TIMERFUNCTION) and loop.c does the waiting, so HTTP jobs and
 * webhook deliveries never block the loop, fork or start a thread.
 */
#ifndef CURLLOOP_H
#define CURLLOOP_H

#include <curl/curl.h>

#include "loop.h"

struct curlloop;

/*
 * Called once when EASY is over (RC is its result). EASY has been taken
 * out of the multi handle: the callback owns it again and may clean it up.
 */
typedef void (*curlloop_done_cb)(CURL *easy, CURLcode rc, void *arg);

/* Never fails; libcurl itself is set up by the first curlloop_easy. */
struct curlloop *curlloop_create(struct loop *loop);
/* Drops every transfer without calling back; the easy handles leak to
 * their owners, who must have removed them first. */
void curlloop_free(struct curlloop *cl);

/*
 * Starts the transfer EASY; DONE(EASY, rc, ARG) follows from the loop,
 * never from inside this call. Returns 0, or -1 if curl refused it.
 */
int curlloop_add(
    struct curlloop *cl, CURL *easy, curlloop_done_cb done, void *arg);

/* Abandons EASY (still the caller's) without calling DONE. */
void curlloop_remove(struct curlloop *cl, CURL *easy);

/* Transfers in progress. */
int curlloop_count(const struct curlloop *cl);

/*
 * A new easy handle with the options every request of the daemon carries
 * whoever asked for it: only http and https (for redirects too), no proxy
 * from the environment, no signals, no Unix sockets. NULL if libcurl
 * cannot be set up (logged once).
 */
CURL *curlloop_easy(struct curlloop *cl);

#endif
