/* SPDX-License-Identifier: ISC */
/*
 * The API client: one libcurl handle that speaks HTTP/1.1 to cronq-agentd,
 * either over its Unix socket or to an https:// base URL with a bearer
 * token. It returns statuses and parsed JSON; it never prints, so the
 * caller decides how a failure reads.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <poll.h>
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

/*
 * A Server-Sent Events stream (GET /events) read alongside the caller's
 * own descriptors, so a screen loop can wait on keys and events at once.
 * It uses its own connection; client_call() stays usable meanwhile.
 */
struct client_feed;

/* One event: TYPE ("message" when the frame names none), its ID ("" when
 * none) and DATA (the data lines joined by newlines), all borrowed. */
typedef void (*client_event_cb)(
    const char *type, const char *id, const char *data, void *arg);

/*
 * Starts GET PATH (as client_call() names paths) asking for an event
 * stream, resuming after LAST_ID when it is not NULL. Nothing is sent
 * until client_feed_wait(). Returns NULL with *cause set (caller frees)
 * when libcurl cannot be set up.
 */
struct client_feed *client_feed_start(struct client *c, const char *path,
    const char *last_id, client_event_cb cb, void *arg, char **cause);

/*
 * Waits at most TIMEOUT_MS for the stream or for one of the NFDS
 * descriptors in FDS (their revents are set, as poll(2) does), then moves
 * the transfer on, calling the callback for each whole event. Returns 1
 * while the stream is open, 0 once it has ended (see client_feed_result),
 * -1 if waiting failed.
 */
int client_feed_wait(
    struct client_feed *f, struct pollfd *fds, int nfds, int timeout_ms);

/*
 * Why an ended stream ended, as a cq_exit value with *cause set (caller
 * frees): the daemon's error answer, or CQ_EXIT_UNREACHABLE when it could
 * not be reached or went away.
 */
int client_feed_result(const struct client_feed *f, char **cause);
void client_feed_free(struct client_feed *f);

/* Escapes S for one path segment; caller frees. */
char *client_escape(const char *s);

#endif
