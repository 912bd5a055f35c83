/* SPDX-License-Identifier: ISC */
/*
 * The API client: one libcurl handle that speaks HTTP/1.1 to cronq-agentd,
 * either over its Unix socket or to an https:// base URL with a bearer
 * token. It returns statuses and parsed JSON; it never prints, so the
 * caller decides how a failure reads.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <stdio.h>

#include <cjson/cJSON.h>

/* Where the daemon listens and how to prove who we are. */
struct client_target {
	const char *socket; /* a Unix socket path, or NULL */
	const char *host;   /* an http(s):// base URL, or NULL */
	const char *token;  /* bearer token, sent to a host only */
	const char *cacert; /* CA bundle for the host's certificate */
};

struct client;

/*
 * Creates a client for TARGET (exactly one of socket and host set).
 * Nothing is connected yet. Returns NULL with *cause set (caller frees)
 * when libcurl cannot be set up.
 */
struct client *client_create(const struct client_target *target, char **cause);
void client_free(struct client *c);
/* The socket path or base URL, for messages. */
const char *client_where(const struct client *c);

/*
 * Sends METHOD PATH (below /api/v1 unless it starts with "//", which is
 * taken from the root) with BODY as JSON (NULL for none). Returns a
 * cq_exit value:
 * - CQ_EXIT_OK: a 2xx answer; *resp is its parsed JSON (caller frees).
 * - CQ_EXIT_FAIL or CQ_EXIT_DENIED (401, 403): the API's error; *cause is
 *   its message.
 * - CQ_EXIT_UNREACHABLE: no answer; *cause reads "cannot reach
 *   cronq-agentd at WHERE: why".
 * STATUS, when not NULL, gets the HTTP status (0 without an answer).
 * *cause is allocated on failure and the caller frees it.
 */
int client_call(struct client *c, const char *method, const char *path,
    const cJSON *body, cJSON **resp, long *status, char **cause);

/*
 * GETs PATH and copies a 2xx body to OUT as it arrives (flushing each
 * chunk, so a followed log reads live). Returns as client_call().
 */
int client_stream(struct client *c, const char *path, FILE *out, char **cause);

/* Escapes S for one path segment; caller frees. */
char *client_escape(const char *s);

#endif
