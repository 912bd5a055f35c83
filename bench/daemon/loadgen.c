/* SPDX-License-Identifier: ISC */
/*
 * A small HTTP/1.1 load generator for Unix sockets (wrk speaks TCP only):
 * one thread, epoll, C keep-alive connections, each with one request in
 * flight. "%d" in the path or body is replaced by a sequence number, so
 * the same tool loads 100,000 distinct jobs and hammers one of them.
 *
 *   loadgen -s SOCKET [-c CONNS] [-d SECONDS | -n COUNT] [-m METHOD]
 *           [-b BODY] PATH
 *
 * Prints "requests N errors N seconds S rate R" on stdout. A response
 * that is not 2xx counts as an error (the first one is shown on stderr);
 * a connection the server closes is an error too and is reopened.
 */
#define _GNU_SOURCE /* strcasestr */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LG_OUT 16384
#define LG_IN 262144
#define LG_MAXCONN 1024

struct lg_conn {
	int fd;
	int busy;
	size_t outlen, outoff;
	size_t inlen;
	char out[LG_OUT];
	char in[LG_IN];
};

struct lg {
	const char *sock, *method, *path, *body;
	int nconn;
	double seconds;
	long count;
	long seq, sent, done, errors;
	int ep;
	int shown;
	struct lg_conn *conns;
};

static double
lg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Copies TMPL into DST replacing each "%d" with N; returns the length. */
static size_t
lg_fill(char *dst, size_t size, const char *tmpl, long n)
{
	size_t len = 0;
	char num[32];
	const char *p;

	snprintf(num, sizeof num, "%ld", n);
	for (p = tmpl; *p != '\0' && len + sizeof num < size; p++) {
		if (p[0] == '%' && p[1] == 'd') {
			len +=
			    (size_t)snprintf(dst + len, size - len, "%s", num);
			p++;
		} else
			dst[len++] = *p;
	}
	dst[len] = '\0';
	return len;
}

static void
lg_connect(struct lg *g, struct lg_conn *c)
{
	struct sockaddr_un sun;
	struct epoll_event ev;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", g->sock);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd == -1 ||
	    connect(c->fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		fprintf(stderr, "loadgen: %s: %s\n", g->sock, strerror(errno));
		exit(1);
	}
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	epoll_ctl(g->ep, EPOLL_CTL_ADD, c->fd, &ev);
	c->busy = 0;
	c->inlen = 0;
}

/* Queues the next request on C, or leaves it idle when the run is over. */
static void
lg_next(struct lg *g, struct lg_conn *c, int more)
{
	char path[1024], body[LG_OUT / 2];
	size_t blen = 0;
	struct epoll_event ev;

	c->busy = 0;
	if (!more || (g->count > 0 && g->sent >= g->count))
		return;
	g->seq++;
	lg_fill(path, sizeof path, g->path, g->seq);
	if (g->body != NULL)
		blen = lg_fill(body, sizeof body, g->body, g->seq);
	c->outlen = (size_t)snprintf(c->out, sizeof c->out,
	    "%s %s HTTP/1.1\r\nHost: localhost\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n"
	    "%s",
	    g->method, path, blen, g->body != NULL ? body : "");
	c->outoff = 0;
	c->busy = 1;
	g->sent++;
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	epoll_ctl(g->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* 1 when a whole response sits in C->in (consumed), 0 if not yet. */
static int
lg_response(struct lg *g, struct lg_conn *c)
{
	char *end, *cl;
	size_t hdr, total;
	int status;

	c->in[c->inlen] = '\0';
	if ((end = strstr(c->in, "\r\n\r\n")) == NULL)
		return 0;
	hdr = (size_t)(end - c->in) + 4;
	cl = strcasestr(c->in, "\r\nContent-Length:");
	if (cl == NULL || cl > end) {
		fprintf(stderr, "loadgen: response without Content-Length\n");
		exit(1);
	}
	total = hdr + strtoul(cl + 17, NULL, 10);
	if (c->inlen < total)
		return 0;
	status = atoi(c->in + 9);
	if (status < 200 || status > 299) {
		g->errors++;
		if (!g->shown++)
			fprintf(
			    stderr, "loadgen: %.*s\n", (int)c->inlen, c->in);
	}
	memmove(c->in, c->in + total, c->inlen - total);
	c->inlen -= total;
	g->done++;
	return 1;
}

static void
lg_usage(void)
{
	fprintf(stderr,
	    "usage: loadgen -s socket [-c conns] [-d secs | "
	    "-n count] [-m method] [-b body] path\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct lg g;
	struct epoll_event evs[64];
	struct lg_conn *c;
	double t0, t1, stop_at;
	ssize_t n;
	int ch, i, k, more, active;

	memset(&g, 0, sizeof g);
	g.nconn = 50;
	g.method = "GET";
	while ((ch = getopt(argc, argv, "s:c:d:n:m:b:")) != -1) {
		switch (ch) {
		case 's':
			g.sock = optarg;
			break;
		case 'c':
			g.nconn = atoi(optarg);
			break;
		case 'd':
			g.seconds = atof(optarg);
			break;
		case 'n':
			g.count = atol(optarg);
			break;
		case 'm':
			g.method = optarg;
			break;
		case 'b':
			g.body = optarg;
			break;
		default:
			lg_usage();
		}
	}
	if (optind != argc - 1 || g.sock == NULL || g.nconn < 1 ||
	    g.nconn > LG_MAXCONN || (g.seconds <= 0 && g.count <= 0))
		lg_usage();
	g.path = argv[optind];
	if (g.count > 0 && g.nconn > g.count)
		g.nconn = (int)g.count;
	g.ep = epoll_create1(EPOLL_CLOEXEC);
	g.conns = calloc((size_t)g.nconn, sizeof *g.conns);
	if (g.ep == -1 || g.conns == NULL)
		return 1;
	for (i = 0; i < g.nconn; i++)
		lg_connect(&g, &g.conns[i]);
	t0 = lg_now();
	stop_at = g.seconds > 0 ? t0 + g.seconds : 0;
	for (i = 0; i < g.nconn; i++)
		lg_next(&g, &g.conns[i], 1);
	for (;;) {
		more = stop_at == 0 || lg_now() < stop_at;
		active = 0;
		for (i = 0; i < g.nconn; i++)
			active += g.conns[i].busy;
		if (active == 0)
			break;
		k = epoll_wait(g.ep, evs, 64, 1000);
		for (i = 0; i < k; i++) {
			c = evs[i].data.ptr;
			if (!c->busy)
				continue;
			if (c->outoff < c->outlen &&
			    (evs[i].events & EPOLLOUT)) {
				n = write(c->fd, c->out + c->outoff,
				    c->outlen - c->outoff);
				if (n > 0)
					c->outoff += (size_t)n;
				if (c->outoff == c->outlen) {
					struct epoll_event ev;

					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(
					    g.ep, EPOLL_CTL_MOD, c->fd, &ev);
				}
			}
			if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			n = read(c->fd, c->in + c->inlen,
			    sizeof c->in - 1 - c->inlen);
			if (n <= 0) {
				/* Closed by the server: count, reopen. */
				g.errors++;
				close(c->fd);
				lg_connect(&g, c);
				g.sent--;
				lg_next(&g, c, more);
				continue;
			}
			c->inlen += (size_t)n;
			if (lg_response(&g, c))
				lg_next(&g, c, more);
		}
	}
	t1 = lg_now();
	printf("requests %ld errors %ld seconds %.3f rate %.1f\n", g.done,
	    g.errors, t1 - t0, (double)g.done / (t1 - t0));
	return g.errors > 0 && g.done == 0;
}
