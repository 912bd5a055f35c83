/* SPDX-License-Identifier: ISC */
/*
 * The bridge between libcurl's multi interface and loop.c: each socket
 * curl wants watched becomes a loop fd, curl's one timer becomes a loop
 * timer, and finished transfers are handed to their owners' callbacks.
 */
#include "config.h"

#include <sys/epoll.h>

#include <stdlib.h>

#include <curl/curl.h>

#include "curlloop.h"
#include "log.h"
#include "xmalloc.h"

struct curlloop {
	struct loop *loop;
	CURLM *multi;
	struct loop_timer *timer;
	int count;
	int dispatching; /* check_done is running: do not recurse */
	int failed;      /* libcurl could not be set up: do not retry */
};

/* What CURLINFO_PRIVATE points at while a transfer runs. */
struct transfer {
	curlloop_done_cb done;
	void *arg;
};

/* Hands every finished transfer to its owner. */
static void
check_done(struct curlloop *cl)
{
	struct transfer *t;
	CURLMsg *msg;
	CURLcode rc;
	CURL *easy;
	int left;

	if (cl->dispatching)
		return;
	cl->dispatching = 1;
	while ((msg = curl_multi_info_read(cl->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		easy = msg->easy_handle;
		rc = msg->data.result;
		t = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
		curl_multi_remove_handle(cl->multi, easy);
		cl->count--;
		if (t != NULL) {
			curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
			t->done(easy, rc, t->arg);
			free(t);
		}
	}
	cl->dispatching = 0;
}

static void
on_socket(int fd, uint32_t events, void *arg)
{
	struct curlloop *cl = arg;
	int mask = 0, running;

	if (events & EPOLLIN)
		mask |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		mask |= CURL_CSELECT_ERR;
	curl_multi_socket_action(cl->multi, fd, mask, &running);
	check_done(cl);
}

static void
on_timer(void *arg)
{
	struct curlloop *cl = arg;
	int running;

	cl->timer = NULL;
	curl_multi_socket_action(cl->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(cl);
}

/* CURLMOPT_SOCKETFUNCTION: watch S as curl asks. */
static int
sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct curlloop *cl = userp;
	uint32_t ev = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (socketp != NULL) {
			loop_del_fd(cl->loop, s);
			curl_multi_assign(cl->multi, s, NULL);
		}
		return 0;
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= EPOLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= EPOLLOUT;
	if (socketp != NULL) {
		if (loop_mod_fd(cl->loop, s, ev) == -1)
			log_warn("curl: cannot watch fd %d", (int)s);
		return 0;
	}
	if (loop_add_fd(cl->loop, s, ev, on_socket, cl) == -1) {
		log_warn("curl: cannot watch fd %d", (int)s);
		return -1;
	}
	/* Any non-NULL pointer marks the socket as watched. */
	curl_multi_assign(cl->multi, s, cl);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: one timer, replaced each time. */
static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct curlloop *cl = userp;

	(void)multi;
	if (cl->timer != NULL) {
		loop_timer_cancel(cl->loop, cl->timer);
		cl->timer = NULL;
	}
	if (timeout_ms >= 0)
		cl->timer = loop_timer_add(
		    cl->loop, loop_now_ms() + timeout_ms, on_timer, cl);
	return 0;
}

struct curlloop *
curlloop_create(struct loop *loop)
{
	struct curlloop *cl;

	cl = xcalloc(1, sizeof *cl);
	cl->loop = loop;
	return cl;
}

/*
 * libcurl and the TLS libraries under it are set up on the first request,
 * not at start: their initialisation touches some 5 MiB of library pages
 * that a daemon without HTTP jobs or webhooks never needs.
 */
static int
curlloop_start(struct curlloop *cl)
{
	if (cl->multi != NULL)
		return 0;
	if (cl->failed || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (cl->multi = curl_multi_init()) == NULL) {
		if (!cl->failed)
			log_warnx("curl: libcurl failed to start");
		cl->failed = 1;
		return -1;
	}
	curl_multi_setopt(cl->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(cl->multi, CURLMOPT_SOCKETDATA, cl);
	curl_multi_setopt(cl->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(cl->multi, CURLMOPT_TIMERDATA, cl);
	return 0;
}

void
curlloop_free(struct curlloop *cl)
{
	if (cl == NULL)
		return;
	if (cl->timer != NULL)
		loop_timer_cancel(cl->loop, cl->timer);
	if (cl->multi != NULL)
		curl_multi_cleanup(cl->multi);
	free(cl);
}

int
curlloop_add(struct curlloop *cl, CURL *easy, curlloop_done_cb done, void *arg)
{
	struct transfer *t;

	t = xcalloc(1, sizeof *t);
	t->done = done;
	t->arg = arg;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
	if (curl_multi_add_handle(cl->multi, easy) != CURLM_OK) {
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		free(t);
		return -1;
	}
	cl->count++;
	return 0;
}

void
curlloop_remove(struct curlloop *cl, CURL *easy)
{
	struct transfer *t = NULL;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
	if (t == NULL)
		return;
	curl_multi_remove_handle(cl->multi, easy);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
	free(t);
	cl->count--;
}

int
curlloop_count(const struct curlloop *cl)
{
	return cl->count;
}

CURL *
curlloop_easy(struct curlloop *cl)
{
	CURL *easy;

	if (curlloop_start(cl) == -1 || (easy = curl_easy_init()) == NULL)
		return NULL;
	if (curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") !=
	        CURLE_OK ||
	    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") !=
	        CURLE_OK) {
		curl_easy_cleanup(easy);
		return NULL;
	}
	/* No proxy from the daemon's environment: it could point anywhere,
	 * a Unix socket included. */
	curl_easy_setopt(easy, CURLOPT_PROXY, "");
	curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 30000L);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "cronq-agentd/" VERSION);
	return easy;
}
