/* SPDX-License-Identifier: ISC */
/*
 * Remote control: what agentd.yaml says (config.c), who a bearer
 * credential names (auth.c), token buckets (ratelimit.c) and the token and
 * audit tables (store-auth.c). The gateway asks these before any handler
 * runs; on the Unix socket only the rate limits and the audit apply.
 */
#ifndef REMOTE_H
#define REMOTE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "agentd.h"

/*
 * Scopes of a credential; a Unix socket peer has all of them. Bit 1 << i
 * is util_scopes[i], which util_parse_scopes reads (lib/util.h).
 */
#define SCOPE_READ 0x1
#define SCOPE_TRIGGER 0x2
#define SCOPE_WRITE 0x4
#define SCOPE_ADMIN 0x8
#define SCOPE_ALL 0xf

/* What a route does, for its scope and its rate-limit bucket. */
enum action_class {
	ACTION_READ,
	ACTION_TRIGGER, /* trigger, schedule: the tightest bucket */
	ACTION_WRITE,
	ACTION_ADMIN, /* tokens, audit: admin scope; the write bucket */
	ACTION_PUBLIC /* /healthz: no credential asked for */
};

/* A bucket: RATE tokens a second up to BURST. */
struct rate_conf {
	double rate;
	double burst;
};

enum rate_bucket {
	RATE_READ,
	RATE_TRIGGER,
	RATE_WRITE,
	RATE_AUTH_FAIL, /* failed authentication, per source address */
	RATE_NBUCKETS
};

struct listener_conf {
	char address[64]; /* numeric IPv4 or IPv6 */
	int port;
	char *cert; /* TLS: PEM files; NULL for plain HTTP */
	char *key;
	int insecure_http; /* plain HTTP asked for by name */
	char where[300];   /* "file:line:column" for messages */
};

struct jwt_conf {
	int enabled;
	char *issuer;
	char *audience;
	int alg; /* a jwt_alg_t: HS256, RS256 or ES256, pinned */
	unsigned char *key;
	size_t keylen;
	int64_t leeway;  /* seconds allowed on exp and nbf */
	char *uid_claim; /* a claim naming a local user or uid, or NULL */
};

struct agentd_config {
	struct listener_conf *listeners;
	size_t nlisteners;
	struct jwt_conf jwt;
	struct rate_conf rates[RATE_NBUCKETS];
	/* Unix socket peers uid 0 and the daemon's uid skip the buckets. */
	int exempt_local_root;
};

/* config.c */
/*
 * Reads FILE (agentd.yaml) into AD->settings and a new AD->config (the old
 * one freed). A missing file gives the defaults. Returns 0, or -1 with
 * *cause "FILE:LINE:COLUMN: what is wrong" and AD untouched.
 */
int config_load(struct agentd *ad, const char *file, char **cause);
void config_free(struct agentd_config *cfg);
/* The defaults of an absent file (no listeners, no JWT issuer). */
struct agentd_config *config_defaults(void);

/* Who a request is, once authenticated. */
struct auth_result {
	uid_t uid;
	int admin;
	unsigned int scopes;
	char name[96];    /* "uid:1000", "token:7", "jwt:alice" for the audit */
	int64_t token_id; /* 0 unless an API token */
};

/* auth.c */
/* SCOPES as "read,trigger" into BUF. */
void auth_scopes_format(unsigned int scopes, char *buf, size_t len);
/*
 * A new API token: "cq_" then 43 base64url characters from 32 random
 * bytes, in TOKEN (at least AUTH_TOKEN_LEN + 1 bytes); its lookup prefix
 * (the first AUTH_PREFIX_LEN characters) and SHA-256 in PREFIX and HASH.
 */
#define AUTH_TOKEN_LEN 46
#define AUTH_PREFIX_LEN 11
#define AUTH_HASH_LEN 32
void auth_token_new(char *token, char *prefix, unsigned char *hash);
/* The SHA-256 of TOKEN. */
void auth_token_hash(const char *token, unsigned char *hash);
/* 1 if uid UID is an admin (root, the daemon's user, group cronq). */
int auth_uid_admin(uid_t uid);
struct token_row;
enum token_state { TOKEN_LIVE, TOKEN_EXPIRED, TOKEN_REVOKED };
/* Whether token T is usable at NOW; revoked wins over expired. */
enum token_state auth_token_state(const struct token_row *t, int64_t now);
/* "live", "expired" or "revoked", as the API spells STATE. */
const char *auth_token_state_name(enum token_state state);
/*
 * Checks the bearer credential CRED (an API token or a JWT) at NOW.
 * Returns 0 with *res filled, or -1 with *cause (caller frees) saying why
 * it is refused: the caller answers 401 and never shows CRED. On -1,
 * res->name is "token:ID" when CRED is a genuine API token refused as
 * revoked or expired (its hash matched), else empty; nothing else in
 * *res is granted.
 */
int auth_check(struct agentd *ad, const char *cred, int64_t now,
    struct auth_result *res, char **cause);

/* ratelimit.c */
struct ratelimit;
struct ratelimit *ratelimit_create(void);
void ratelimit_free(struct ratelimit *rl);
/*
 * Takes one token from bucket B of KEY (a principal or an address) at
 * NOW_MS under CONF. Returns 0, or the seconds until one is due (>= 1).
 */
int ratelimit_take(struct ratelimit *rl, enum rate_bucket b, const char *key,
    const struct rate_conf *conf, int64_t now_ms);
/* As ratelimit_take, but only looks: nothing is taken or counted. */
int ratelimit_peek(struct ratelimit *rl, enum rate_bucket b, const char *key,
    const struct rate_conf *conf, int64_t now_ms);
/* Counts a rejection the caller made after ratelimit_peek. */
void ratelimit_count(struct ratelimit *rl, enum rate_bucket b);
/* Rejections so far per bucket, for /metrics. */
uint64_t ratelimit_rejected(const struct ratelimit *rl, enum rate_bucket b);
const char *ratelimit_bucket_name(enum rate_bucket b);

/* store-auth.c: the tokens and audit tables. */
struct token_row {
	int64_t id;
	char prefix[AUTH_PREFIX_LEN + 1];
	unsigned char hash[AUTH_HASH_LEN];
	uid_t owner;
	char name[65];
	unsigned int scopes;
	int64_t created_at;
	int64_t expires_at; /* 0 = never */
	int64_t revoked_at; /* 0 = live */
	int64_t last_used_at;
};

struct audit_row {
	int64_t at;
	const char *principal;
	const char *source;
	const char *method;
	const char *path;
	int status;
	const char *job; /* NULL when none */
	int64_t run;     /* 0 when none */
};

struct audit_filter {
	int64_t since;
	int64_t until; /* records before this time; 0 = no bound */
	const char *principal;
	const char *job;
	int status_min; /* statuses from MIN to MAX; 0 = any */
	int status_max;
	int denied; /* only refusals: 401, 403 and 429 */
	int limit;
};

int store_token_insert(struct store *st, struct token_row *t);
/* The token with PREFIX; -1 with errno ENOENT when none. */
int store_token_find(struct store *st, const char *prefix, struct token_row *t);
/*
 * Tokens of OWNER (all when ANY_OWNER) as API objects, newest first, each
 * with its state at NOW.
 */
int store_token_list(
    struct store *st, uid_t owner, int any_owner, int64_t now, cJSON **out);
/* Loads token ID; -1 with ENOENT. */
int store_token_load(struct store *st, int64_t id, struct token_row *t);
int store_token_revoke(struct store *st, int64_t id, int64_t now);
int store_token_used(struct store *st, int64_t id, int64_t now);
int store_audit_add(struct store *st, const struct audit_row *a);
/* {"records": [...]} newest first. */
int store_audit_list(
    struct store *st, const struct audit_filter *f, cJSON **out);
/* Decisions by outcome, for /metrics: calls CB once per outcome. */
int store_decision_counts(struct store *st,
    void (*cb)(const char *outcome, int64_t n, void *arg), void *arg);
/* Drops audit records older than BEFORE; the count. */
int store_audit_prune(struct store *st, int64_t before);
/* Token T as an API object, with its state at NOW. */
cJSON *store_token_to_json(const struct token_row *t, int64_t now);

#endif
