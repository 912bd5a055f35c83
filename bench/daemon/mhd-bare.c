/* SPDX-License-Identifier: ISC */
/*
 * The baseline of the API benchmark: libmicrohttpd in the daemon's mode
 * (MHD_USE_EPOLL, no thread of its own, driven by an outer epoll loop on
 * MHD's epoll fd) on a Unix socket, answering every request with the same
 * body. The body is read from a file, so the script can hand it exactly
 * what cronq-agentd answers for the job it asks for.
 *
 *   mhd-bare SOCKET BODYFILE     serves until SIGTERM or SIGINT
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

static struct MHD_Response *bare_resp;
static volatile sig_atomic_t bare_stop;
static char bare_marker;

static void
bare_on_signal(int sig)
{
	(void)sig;
	bare_stop = 1;
}

static enum MHD_Result
bare_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **con_cls)
{
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)data;
	/*
	 * Answering on the first call closes the connection in 0.9.75 (the
	 * request is not fully read yet); the daemon waits, so do the same.
	 */
	if (*con_cls == NULL) {
		*con_cls = &bare_marker;
		return MHD_YES;
	}
	*size = 0;
	return MHD_queue_response(conn, MHD_HTTP_OK, bare_resp);
}

static char *
bare_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) < 0) {
		perror(path);
		exit(1);
	}
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	struct epoll_event ev;
	struct MHD_Daemon *mhd;
	const union MHD_DaemonInfo *di;
	MHD_UNSIGNED_LONG_LONG to;
	char *body;
	size_t len;
	int fd, ep, mfd, timeout;

	if (argc != 3) {
		fprintf(stderr, "usage: mhd-bare socket bodyfile\n");
		return 2;
	}
	body = bare_slurp(argv[2], &len);
	bare_resp =
	    MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(
	    bare_resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof sun.sun_path) {
		fprintf(stderr, "mhd-bare: socket path too long\n");
		return 2;
	}
	strcpy(sun.sun_path, argv[1]);
	unlink(argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(fd, 128) == -1) {
		perror(argv[1]);
		return 1;
	}
	mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    bare_access, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_END);
	if (mhd == NULL) {
		fprintf(stderr, "mhd-bare: cannot start the server\n");
		return 1;
	}
	di = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_EPOLL_FD);
	mfd = di->epoll_fd;
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.fd = mfd;
	if (ep == -1 || epoll_ctl(ep, EPOLL_CTL_ADD, mfd, &ev) == -1) {
		perror("epoll");
		return 1;
	}
	signal(SIGTERM, bare_on_signal);
	signal(SIGINT, bare_on_signal);
	while (!bare_stop) {
		timeout = -1;
		if (MHD_get_timeout(mhd, &to) == MHD_YES)
			timeout = to > 60000 ? 60000 : (int)to;
		if (epoll_wait(ep, &ev, 1, timeout) == -1 && errno != EINTR)
			break;
		MHD_run(mhd);
	}
	MHD_stop_daemon(mhd);
	MHD_destroy_response(bare_resp);
	unlink(argv[1]);
	return 0;
}
