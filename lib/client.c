/* SPDX-License-Identifier: ISC */
/*
 * The API client over libcurl. A Unix socket is reached with
 * CURLOPT_UNIX_SOCKET_PATH and a dummy host name; a remote daemon through
 * its base URL with certificate verification always on. Answers are
 * bounded before they are kept, and this file never prints or exits.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <cjson/cJSON.h>

#include "client.h"
#include "cronq.h"
#include "xmalloc.h"

/* An answer larger than this is not one the API sends; refuse it. */
#define CLIENT_BODY_MAX (64UL * 1024 * 1024)
#define CLIENT_CONNECT_TIMEOUT 10L
#define CLIENT_TIMEOUT 120L

struct client {
	CURL *curl;
	char *base;  /* "http://localhost" or the host URL, no final '/' */
	char *where; /* the socket path or URL, for messages */
	char *socket;
	char *cacert;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
};

/* A body being received: kept in memory, or copied to a stream on 2xx. */
struct client_body {
	struct client *c;
	char *data;
	size_t len;
	size_t size;
	FILE *out;
	int too_large;
	int write_failed;
};

static int client_curl_ready;

struct client *
client_create(const struct client_target *t, char **cause)
{
	struct client *c;
	char *h;
	size_t n;

	if (!client_curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			*cause = xstrdup("cannot initialise libcurl");
			return NULL;
		}
		client_curl_ready = 1;
	}
	c = xcalloc(1, sizeof *c);
	if ((c->curl = curl_easy_init()) == NULL) {
		*cause = xstrdup("cannot initialise libcurl");
		free(c);
		return NULL;
	}
	if (t->host != NULL) {
		c->base = xstrdup(t->host);
		n = strlen(c->base);
		while (n > 0 && c->base[n - 1] == '/')
			c->base[--n] = '\0';
		c->where = xstrdup(c->base);
		if (t->token != NULL) {
			xasprintf(&h, "Authorization: Bearer %s", t->token);
			c->headers = curl_slist_append(c->headers, h);
			free(h);
		}
		if (t->cacert != NULL)
			c->cacert = xstrdup(t->cacert);
	} else {
		c->base = xstrdup("http://localhost");
		c->socket = xstrdup(t->socket);
		c->where = xstrdup(t->socket);
	}
	c->headers = curl_slist_append(c->headers, "Accept: application/json");
	c->headers = curl_slist_append(
	    c->headers, "Content-Type: application/json; charset=utf-8");
	/* curl's "Expect: 100-continue" only adds a round trip here. */
	c->headers = curl_slist_append(c->headers, "Expect:");
	return c;
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->headers);
	free(c->base);
	free(c->where);
	free(c->socket);
	free(c->cacert);
	free(c);
}

const char *
client_where(const struct client *c)
{
	return c->where;
}

char *
client_escape(const char *s)
{
	char *e, *r;

	if ((e = curl_easy_escape(NULL, s, 0)) == NULL)
		return xstrdup(s);
	r = xstrdup(e);
	curl_free(e);
	return r;
}

static int
client_keep(struct client_body *b, const char *p, size_t n)
{
	size_t want;

	if (n > CLIENT_BODY_MAX - b->len) {
		b->too_large = 1;
		return -1;
	}
	if (b->len + n + 1 > b->size) {
		want = b->size ? b->size : 4096;
		while (want < b->len + n + 1)
			want *= 2;
		b->data = xreallocarray(b->data, want, 1);
		b->size = want;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

static size_t
client_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct client_body *b = arg;
	size_t n = size * nmemb;
	long code = 0;

	if (b->out != NULL) {
		curl_easy_getinfo(b->c->curl, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 200 && code < 300) {
			if (fwrite(p, 1, n, b->out) != n ||
			    fflush(b->out) != 0) {
				b->write_failed = errno ? errno : EIO;
				return 0;
			}
			return n;
		}
	}
	if (client_keep(b, p, n) == -1)
		return 0;
	return n;
}

/* Resets the handle and sets what every request shares. */
static void
client_prepare(struct client *c, CURL *h, char *errbuf, const char *method,
    const char *path, const char *body, struct client_body *b, int streaming)
{
	char *url;

	curl_easy_reset(h);
	if (strncmp(path, "//", 2) == 0)
		xasprintf(&url, "%s%s", c->base, path + 1);
	else
		xasprintf(&url, "%s%s%s", c->base, CQ_API_PREFIX, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	free(url);
	if (c->socket != NULL)
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket);
	if (c->cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(
	    h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CLIENT_CONNECT_TIMEOUT);
	if (!streaming)
		curl_easy_setopt(h, CURLOPT_TIMEOUT, CLIENT_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "cronq/" PACKAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, client_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL || strcmp(method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(
		    h, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
	}
	errbuf[0] = '\0';
}

/* Words for a transfer on H that got no answer. */
static char *
client_unreachable(struct client *c, CURL *h, const char *errbuf, CURLcode res)
{
	long oserr = 0;
	const char *why;
	char *cause;

	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
	if (res == CURLE_COULDNT_CONNECT && oserr != 0)
		why = strerror((int)oserr);
	else if (errbuf[0] != '\0')
		why = errbuf;
	else
		why = curl_easy_strerror(res);
	/*
	 * Plain HTTP to a TLS listener gets no answer it can read, and
	 * curl's words for that ("Empty reply from server") do not say
	 * why; the likely cause is the scheme of --host.
	 */
	if (c->socket == NULL && strncasecmp(c->base, "http://", 7) == 0 &&
	    (res == CURLE_GOT_NOTHING || res == CURLE_RECV_ERROR ||
	        res == CURLE_SEND_ERROR ||
	        (res == CURLE_UNSUPPORTED_PROTOCOL &&
	            strstr(why, "HTTP/0.9") != NULL)))
		xasprintf(&cause,
		    "cannot reach cronq-agentd at %s: %s (is the server "
		    "speaking https?)",
		    c->where, why);
	else
		xasprintf(&cause, "cannot reach cronq-agentd at %s: %s",
		    c->where, why);
	return cause;
}

/* Turns an error answer into its message and the exit status. */
static int
client_error(long status, const char *text, char **cause)
{
	cJSON *j, *e, *m;
	const char *nl;

	j = text ? cJSON_Parse(text) : NULL;
	e = cJSON_GetObjectItemCaseSensitive(j, "error");
	m = cJSON_GetObjectItemCaseSensitive(e, "message");
	if (cJSON_IsString(m))
		*cause = xstrdup(m->valuestring);
	else if (text != NULL && *text != '\0') {
		nl = strchr(text, '\n');
		*cause = nl ? xstrndup(text, nl - text) : xstrdup(text);
	} else
		xasprintf(cause, "HTTP status %ld", status);
	cJSON_Delete(j);
	if (status == 401 || status == 403)
		return CQ_EXIT_DENIED;
	return CQ_EXIT_FAIL;
}

static int
client_perform(struct client *c, const char *method, const char *path,
    const char *body, FILE *out, struct client_body *b, long *status,
    char **cause)
{
	CURLcode res;

	memset(b, 0, sizeof *b);
	b->c = c;
	b->out = out;
	*status = 0;
	client_prepare(
	    c, c->curl, c->errbuf, method, path, body, b, out != NULL);
	errno = 0;
	res = curl_easy_perform(c->curl);
	if (b->write_failed) {
		xasprintf(cause, "cannot write output: %s",
		    strerror(b->write_failed));
		return CQ_EXIT_FAIL;
	}
	if (b->too_large) {
		xasprintf(cause, "the answer from %s is over %lu bytes",
		    c->where, CLIENT_BODY_MAX);
		return CQ_EXIT_FAIL;
	}
	if (res != CURLE_OK) {
		*cause = client_unreachable(c, c->curl, c->errbuf, res);
		return CQ_EXIT_UNREACHABLE;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	if (*status < 200 || *status > 299)
		return client_error(*status, b->data, cause);
	return CQ_EXIT_OK;
}

int
client_call(struct client *c, const char *method, const char *path,
    const cJSON *body, cJSON **resp, long *status, char **cause)
{
	struct client_body b;
	char *text = NULL;
	long st;
	int rc;

	*resp = NULL;
	if (body != NULL && (text = cJSON_PrintUnformatted(body)) == NULL) {
		*cause = xstrdup("cannot encode the request as JSON");
		return CQ_EXIT_FAIL;
	}
	rc = client_perform(c, method, path, text, NULL, &b, &st, cause);
	cJSON_free(text);
	if (status != NULL)
		*status = st;
	if (rc == CQ_EXIT_OK) {
		*resp = cJSON_ParseWithLength(b.data ? b.data : "", b.len);
		if (*resp == NULL) {
			xasprintf(
			    cause, "the answer from %s is not JSON", c->where);
			rc = CQ_EXIT_FAIL;
		}
	}
	free(b.data);
	return rc;
}

int
client_stream(struct client *c, const char *path, FILE *out, char **cause)
{
	struct client_body b;
	long st;
	int rc;

	rc = client_perform(c, "GET", path, NULL, out, &b, &st, cause);
	free(b.data);
	return rc;
}

/*
 * The event feed: GET PATH on its own easy handle inside a multi handle,
 * so the caller's loop can wait on it together with its own descriptors.
 * Server-Sent Events are cut into (type, id, data) here; a comment line
 * (the daemon's heartbeat) only proves the stream alive.
 */
#define CLIENT_FEED_LINE_MAX (4UL * 1024 * 1024)
#define CLIENT_FEED_IDLE 45L /* seconds without a byte: the peer is gone */

struct client_feed {
	struct client *c;
	CURL *easy;
	CURLM *multi;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	client_event_cb cb;
	void *arg;
	int ok;                  /* the answer is a 2xx event stream */
	struct client_body err;  /* the body of an error answer */
	struct client_body line; /* the line being received */
	struct client_body data; /* the data lines of the event so far */
	char type[64];
	char id[32];
	int done;
	int rc;
	char *cause;
};

/* Dispatches the event gathered so far, when it has data. */
static void
client_feed_dispatch(struct client_feed *f)
{
	if (f->data.len > 0) {
		if (f->data.data[f->data.len - 1] == '\n')
			f->data.data[--f->data.len] = '\0';
		f->cb(f->type[0] != '\0' ? f->type : "message", f->id,
		    f->data.data, f->arg);
	}
	f->data.len = 0;
	f->type[0] = '\0';
}

/* Handles one line of the stream (without its end of line). */
static void
client_feed_line(struct client_feed *f, char *line)
{
	char *v;

	if (*line == '\0') {
		client_feed_dispatch(f);
		return;
	}
	if (*line == ':')
		return;
	if ((v = strchr(line, ':')) != NULL) {
		*v++ = '\0';
		if (*v == ' ')
			v++;
	} else
		v = line + strlen(line);
	if (strcmp(line, "event") == 0)
		strlcpy(f->type, v, sizeof f->type);
	else if (strcmp(line, "id") == 0)
		strlcpy(f->id, v, sizeof f->id);
	else if (strcmp(line, "data") == 0) {
		if (client_keep(&f->data, v, strlen(v)) == -1 ||
		    client_keep(&f->data, "\n", 1) == -1)
			f->data.len = 0;
	}
}

static size_t
client_feed_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct client_feed *f = arg;
	size_t n = size * nmemb, i, start = 0;
	long code = 0;

	curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299)
		return client_keep(&f->err, p, n) == -1 ? 0 : n;
	f->ok = 1;
	for (i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (client_keep(&f->line, p + start, i - start) == -1)
			return 0;
		if (f->line.len > 0 && f->line.data[f->line.len - 1] == '\r')
			f->line.data[--f->line.len] = '\0';
		client_feed_line(f, f->line.data);
		f->line.len = 0;
		start = i + 1;
	}
	if (start < n && client_keep(&f->line, p + start, n - start) == -1)
		return 0;
	if (f->line.len > CLIENT_FEED_LINE_MAX)
		return 0;
	return n;
}

struct client_feed *
client_feed_start(struct client *c, const char *path, const char *last_id,
    client_event_cb cb, void *arg, char **cause)
{
	struct client_feed *f;
	struct curl_slist *s;
	char *h;

	f = xcalloc(1, sizeof *f);
	f->c = c;
	f->cb = cb;
	f->arg = arg;
	f->easy = curl_easy_init();
	f->multi = curl_multi_init();
	if (f->easy == NULL || f->multi == NULL) {
		*cause = xstrdup("cannot initialise libcurl");
		client_feed_free(f);
		return NULL;
	}
	client_prepare(c, f->easy, f->errbuf, "GET", path, NULL, NULL, 1);
	for (s = c->headers; s != NULL; s = s->next) {
		if (strncmp(s->data, "Accept:", 7) != 0)
			f->headers = curl_slist_append(f->headers, s->data);
	}
	f->headers = curl_slist_append(f->headers, "Accept: text/event-stream");
	if (last_id != NULL && *last_id != '\0') {
		xasprintf(&h, "Last-Event-ID: %s", last_id);
		f->headers = curl_slist_append(f->headers, h);
		free(h);
	}
	curl_easy_setopt(f->easy, CURLOPT_HTTPHEADER, f->headers);
	curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, client_feed_write);
	curl_easy_setopt(f->easy, CURLOPT_WRITEDATA, f);
	/* The daemon sends a comment every 15 s; silence means it is gone. */
	curl_easy_setopt(f->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(f->easy, CURLOPT_LOW_SPEED_TIME, CLIENT_FEED_IDLE);
	curl_multi_add_handle(f->multi, f->easy);
	return f;
}

/* Notes how the transfer ended, once. */
static void
client_feed_finish(struct client_feed *f, CURLcode res)
{
	long status = 0;

	f->done = 1;
	curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &status);
	if (res != CURLE_OK && !(f->ok && res == CURLE_WRITE_ERROR)) {
		f->rc = CQ_EXIT_UNREACHABLE;
		f->cause = client_unreachable(f->c, f->easy, f->errbuf, res);
	} else if (status < 200 || status > 299)
		f->rc = client_error(status, f->err.data, &f->cause);
	else {
		f->rc = CQ_EXIT_UNREACHABLE;
		xasprintf(&f->cause,
		    "cronq-agentd at %s closed the event stream", f->c->where);
	}
}

int
client_feed_wait(
    struct client_feed *f, struct pollfd *fds, int nfds, int timeout_ms)
{
	struct curl_waitfd wfd[8];
	CURLMsg *m;
	int i, running, left;

	if (f->done) {
		if (poll(fds, (nfds_t)nfds, timeout_ms) == -1 && errno != EINTR)
			return -1;
		return 0;
	}
	if (nfds > (int)(sizeof wfd / sizeof wfd[0]))
		nfds = (int)(sizeof wfd / sizeof wfd[0]);
	for (i = 0; i < nfds; i++) {
		wfd[i].fd = fds[i].fd;
		wfd[i].events = (short)fds[i].events;
		wfd[i].revents = 0;
	}
	if (curl_multi_wait(f->multi, wfd, (unsigned)nfds, timeout_ms, NULL) !=
	    CURLM_OK)
		return -1;
	for (i = 0; i < nfds; i++)
		fds[i].revents = (short)wfd[i].revents;
	curl_multi_perform(f->multi, &running);
	while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
		if (m->msg == CURLMSG_DONE)
			client_feed_finish(f, m->data.result);
	}
	return f->done ? 0 : 1;
}

int
client_feed_result(const struct client_feed *f, char **cause)
{
	*cause = f->cause != NULL ? xstrdup(f->cause) : NULL;
	return f->rc;
}

void
client_feed_free(struct client_feed *f)
{
	if (f == NULL)
		return;
	if (f->multi != NULL && f->easy != NULL)
		curl_multi_remove_handle(f->multi, f->easy);
	curl_easy_cleanup(f->easy);
	curl_multi_cleanup(f->multi);
	curl_slist_free_all(f->headers);
	free(f->err.data);
	free(f->line.data);
	free(f->data.data);
	free(f->cause);
	free(f);
}
