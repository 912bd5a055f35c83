/* SPDX-License-Identifier: ISC */
/*
 * Runs of `kind: http`: one request made by the daemon itself through
 * curlloop.c, on the event loop, with no child process. The response body
 * goes to the run's log through output.c exactly as a command's stdout
 * would (same cap); transport errors go to its stderr stream. The request
 * is hardened (curlloop_easy): only http and https, no proxy, no Unix
 * socket, so an owner cannot reach the daemon's own API socket with the
 * daemon's identity.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "agentd.h"
#include "curlloop.h"
#include "httpjob.h"
#include "log.h"
#include "output.h"
#include "xmalloc.h"

/* A request without a job timeout still ends: five minutes. */
#define HTTPJOB_DEFAULT_TIMEOUT 300

struct httpjob {
	struct agentd *ad;
	CURL *easy;
	struct curl_slist *headers;
	struct output *out;
	char errbuf[CURL_ERROR_SIZE];
	httpjob_done_cb done;
	void *arg;
	int64_t run_id;
};

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct httpjob *hj = arg;

	/* The counters advance even if the file cannot take it. */
	output_write(hj->out, OUTPUT_STDOUT, ptr, size * nmemb);
	return size * nmemb;
}

static void
on_done(CURL *easy, CURLcode rc, void *arg)
{
	struct httpjob *hj = arg;
	struct httpjob_result res;
	struct output_stats st;
	char line[CURL_ERROR_SIZE + 64];
	long status = 0;
	int n;

	memset(&res, 0, sizeof res);
	res.code = rc;
	if (rc == CURLE_OK) {
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
		res.status = (int)status;
	} else {
		res.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
		snprintf(res.error, sizeof res.error, "%s",
		    hj->errbuf[0] != '\0' ? hj->errbuf
		                          : curl_easy_strerror(rc));
		n = snprintf(line, sizeof line, "cronq: http: %s\n", res.error);
		if (n > 0)
			output_write(hj->out, OUTPUT_STDERR, line,
			    (size_t)n < sizeof line ? (size_t)n
			                            : sizeof line - 1);
	}
	output_get_stats(hj->out, &st);
	res.output_total = st.total;
	output_close(hj->out);
	hj->out = NULL;
	hj->done(hj, &res, hj->arg);
}

/* Sets the method and body of the request. */
static void
set_method(CURL *easy, const struct job_http *h)
{
	const char *m = h->method != NULL ? h->method : "GET";

	if (h->body != NULL || strcmp(m, "POST") == 0) {
		const char *b = h->body != NULL ? h->body : "";

		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)strlen(b));
		curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, b);
		if (strcmp(m, "POST") != 0)
			curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, m);
	} else if (strcmp(m, "HEAD") == 0)
		curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
	else if (strcmp(m, "GET") != 0)
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, m);
}

struct httpjob *
httpjob_start(struct agentd *ad, const struct job *job, int64_t run_id,
    httpjob_done_cb done, void *arg, char **cause)
{
	struct httpjob *hj;
	char *path, *h;
	int64_t timeout;
	size_t i;

	hj = xcalloc(1, sizeof *hj);
	hj->ad = ad;
	hj->done = done;
	hj->arg = arg;
	hj->run_id = run_id;
	xasprintf(&path, "%s/%lld.log", ad->log_dir, (long long)run_id);
	hj->out = output_open(path, (uint64_t)job->max_output, cause);
	free(path);
	if (hj->out == NULL)
		goto fail;
	if ((hj->easy = curlloop_easy(ad->curl)) == NULL) {
		*cause = xstrdup("libcurl is not available in this daemon");
		goto fail;
	}
	curl_easy_setopt(hj->easy, CURLOPT_URL, job->http.url);
	curl_easy_setopt(hj->easy, CURLOPT_ERRORBUFFER, hj->errbuf);
	curl_easy_setopt(hj->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(hj->easy, CURLOPT_WRITEDATA, hj);
	set_method(hj->easy, &job->http);
	for (i = 0; i < job->http.nheaders; i++) {
		xasprintf(&h, "%s: %s", job->http.headers[i].key,
		    job->http.headers[i].value);
		hj->headers = curl_slist_append(hj->headers, h);
		free(h);
	}
	xasprintf(&h, "X-Cronq-Run-Id: %lld", (long long)run_id);
	hj->headers = curl_slist_append(hj->headers, h);
	free(h);
	xasprintf(&h, "X-Cronq-Job: %s", job->name);
	hj->headers = curl_slist_append(hj->headers, h);
	free(h);
	curl_easy_setopt(hj->easy, CURLOPT_HTTPHEADER, hj->headers);
	timeout = job->timeout > 0 ? job->timeout : HTTPJOB_DEFAULT_TIMEOUT;
	curl_easy_setopt(hj->easy, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
	if (job->http.insecure_tls) {
		curl_easy_setopt(hj->easy, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(hj->easy, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (job->http.follow_redirects) {
		curl_easy_setopt(hj->easy, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(hj->easy, CURLOPT_MAXREDIRS, 10L);
	}
	if (curlloop_add(ad->curl, hj->easy, on_done, hj) == -1) {
		*cause = xstrdup("libcurl refused the request");
		goto fail;
	}
	return hj;

fail:
	httpjob_free(hj);
	return NULL;
}

void
httpjob_free(struct httpjob *hj)
{
	if (hj == NULL)
		return;
	if (hj->easy != NULL) {
		curlloop_remove(hj->ad->curl, hj->easy);
		curl_easy_cleanup(hj->easy);
	}
	curl_slist_free_all(hj->headers);
	output_close(hj->out);
	free(hj);
}

uint64_t
httpjob_output_total(const struct httpjob *hj)
{
	struct output_stats st;

	if (hj->out == NULL)
		return 0;
	output_get_stats(hj->out, &st);
	return st.total;
}
