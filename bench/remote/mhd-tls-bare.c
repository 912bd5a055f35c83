/* SPDX-License-Identifier: ISC */
/*
 * The TLS baseline of the remote-control benchmark: libmicrohttpd with
 * GnuTLS on 127.0.0.1:PORT, the same TLS priorities as cronq-agentd, one
 * thread (as the daemon has one loop), answering every request with the
 * same body read from a file.
 *
 *   mhd-tls-bare PORT CERT KEY BODYFILE     serves until SIGTERM or SIGINT
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

static struct MHD_Response *bare_resp;
static char bare_marker;

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
	/* As the daemon: answer once the request is read, not on call one. */
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
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

int
main(int argc, char **argv)
{
	struct MHD_Daemon *mhd;
	sigset_t set;
	char *cert, *key, *body;
	size_t len, klen, clen;
	int sig;

	if (argc != 5) {
		fprintf(stderr, "usage: mhd-tls-bare port cert key bodyfile\n");
		return 2;
	}
	cert = bare_slurp(argv[2], &clen);
	key = bare_slurp(argv[3], &klen);
	body = bare_slurp(argv[4], &len);
	bare_resp =
	    MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(bare_resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/json; charset=utf-8");
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	mhd = MHD_start_daemon(MHD_USE_TLS | MHD_USE_EPOLL |
	        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
	    (uint16_t)atoi(argv[1]), NULL, NULL, bare_access, NULL,
	    MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
	    MHD_OPTION_HTTPS_PRIORITIES,
	    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	    MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_END);
	if (mhd == NULL) {
		fprintf(stderr, "mhd-tls-bare: cannot start the server\n");
		return 1;
	}
	sigwait(&set, &sig);
	MHD_stop_daemon(mhd);
	return 0;
}
