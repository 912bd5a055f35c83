/* SPDX-License-Identifier: ISC */
/*
 * The API client over libcurl. A Unix socket is reached with
 * CURLOPT_UNIX_SOCKET_PATH and a dummy host name; a remote daemon through
 * its base URL with certificate verification always on. Answers are
 * bounded before they are kept, and this file never prints or exits.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
client_prepare(struct client *c, const char *method, const char *path,
    const char *body, struct client_body *b, int streaming)
{
	CURL *h = c->curl;
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
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
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
	c->errbuf[0] = '\0';
}

/* Words for a transfer that got no answer. */
static char *
client_unreachable(struct client *c, CURLcode res)
{
	long oserr = 0;
	const char *why;
	char *cause;

	curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &oserr);
	if (res == CURLE_COULDNT_CONNECT && oserr != 0)
		why = strerror((int)oserr);
	else if (c->errbuf[0] != '\0')
		why = c->errbuf;
	else
		why = curl_easy_strerror(res);
	xasprintf(&cause, "cannot reach cronq-agentd at %s: %s", c->where, why);
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
	client_prepare(c, method, path, body, b, out != NULL);
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
		*cause = client_unreachable(c, res);
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
