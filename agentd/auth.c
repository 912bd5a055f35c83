/* SPDX-License-Identifier: ISC */
/*
 * Bearer credentials on the TCP listeners. An API token ("cq_...") is
 * found by its first characters and accepted when the SHA-256 of the
 * whole matches the stored one, compared in constant time; the token
 * itself is never stored or logged. Anything else is taken for a JWT of
 * the configured issuer: its algorithm is read from the header and must
 * be the configured one before the signature is checked with the
 * configured key (no "none", no HMAC keyed with an RSA public key), then
 * iss, aud, exp and nbf are checked with the configured leeway.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <jwt.h>
#include <nettle/base64.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>

#include "dlib.h"
#include "remote.h"
#include "util.h"
#include "xmalloc.h"

#define AUTH_ADMIN_GROUP "cronq"
#define AUTH_TOKEN_BYTES 32
#define AUTH_CRED_MAX 8192 /* longer bearer credentials are malformed */

void
auth_scopes_format(unsigned int scopes, char *buf, size_t len)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < UTIL_NSCOPES; i++) {
		if (!(scopes & (1U << i)))
			continue;
		if (buf[0] != '\0')
			strlcat(buf, ",", len);
		strlcat(buf, util_scopes[i], len);
	}
}

void
auth_token_hash(const char *token, unsigned char *hash)
{
	struct sha256_ctx ctx;

	sha256_init(&ctx);
	sha256_update(&ctx, strlen(token), (const uint8_t *)token);
	sha256_digest(&ctx, AUTH_HASH_LEN, hash);
}

void
auth_token_new(char *token, char *prefix, unsigned char *hash)
{
	unsigned char raw[AUTH_TOKEN_BYTES];
	struct base64_encode_ctx ctx;
	size_t n;

	arc4random_buf(raw, sizeof raw);
	memcpy(token, "cq_", 3);
	base64url_encode_init(&ctx);
	n = base64_encode_update(&ctx, token + 3, sizeof raw, raw);
	n += base64_encode_final(&ctx, token + 3 + n);
	/* Padding is no use in a token and awkward in a shell. */
	while (n > 0 && token[3 + n - 1] == '=')
		n--;
	token[3 + n] = '\0';
	explicit_bzero(raw, sizeof raw);
	strlcpy(prefix, token, AUTH_PREFIX_LEN + 1);
	auth_token_hash(token, hash);
}

enum token_state
auth_token_state(const struct token_row *t, int64_t now)
{
	/* Revoked first: an operator's act says more than a date. */
	if (t->revoked_at != 0)
		return TOKEN_REVOKED;
	if (t->expires_at != 0 && t->expires_at <= now)
		return TOKEN_EXPIRED;
	return TOKEN_LIVE;
}

const char *
auth_token_state_name(enum token_state state)
{
	switch (state) {
	case TOKEN_REVOKED:
		return "revoked";
	case TOKEN_EXPIRED:
		return "expired";
	case TOKEN_LIVE:
		break;
	}
	return "live";
}

int
auth_uid_admin(uid_t uid)
{
	struct passwd *pw;
	struct group *gr;
	gid_t groups[256];
	int ngroups = 256, i;

	if (uid == 0 || uid == geteuid())
		return 1;
	if ((gr = getgrnam(AUTH_ADMIN_GROUP)) == NULL ||
	    (pw = getpwuid(uid)) == NULL)
		return 0;
	if (pw->pw_gid == gr->gr_gid)
		return 1;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &ngroups) == -1)
		return 0;
	for (i = 0; i < ngroups; i++) {
		if (groups[i] == gr->gr_gid)
			return 1;
	}
	return 0;
}

static int
auth_check_token(struct agentd *ad, const char *cred, int64_t now,
    struct auth_result *res, char **cause)
{
	struct token_row t;
	unsigned char hash[AUTH_HASH_LEN];
	char prefix[AUTH_PREFIX_LEN + 1];

	if (strlen(cred) != AUTH_TOKEN_LEN) {
		xasprintf(cause, "malformed API token");
		return -1;
	}
	strlcpy(prefix, cred, sizeof prefix);
	auth_token_hash(cred, hash);
	if (store_token_find(ad->store, prefix, &t) == -1 ||
	    !memeql_sec(hash, t.hash, AUTH_HASH_LEN)) {
		xasprintf(cause, "unknown API token");
		return -1;
	}
	/*
	 * From here the caller holds the token itself (its hash matched),
	 * so even a refusal may be put down to it: that is the name an
	 * operator looks for in the audit log.
	 */
	res->token_id = t.id;
	snprintf(res->name, sizeof res->name, "token:%lld", (long long)t.id);
	switch (auth_token_state(&t, now)) {
	case TOKEN_REVOKED:
		xasprintf(cause, "API token %lld was revoked", (long long)t.id);
		return -1;
	case TOKEN_EXPIRED:
		xasprintf(cause, "API token %lld has expired", (long long)t.id);
		return -1;
	case TOKEN_LIVE:
		break;
	}
	res->uid = t.owner;
	res->admin = auth_uid_admin(t.owner);
	res->scopes = t.scopes;
	if (t.last_used_at < now - 60)
		store_token_used(ad->store, t.id, now);
	return 0;
}

/* 1 if the aud claim (a string or a list of them) holds WANT. */
static int
auth_jwt_audience(jwt_t *jwt, const char *want)
{
	const char *s;
	char *json;
	cJSON *aud, *e;
	int found = 0;

	if ((s = jwt_get_grant(jwt, "aud")) != NULL)
		return strcmp(s, want) == 0;
	if ((json = jwt_get_grants_json(jwt, "aud")) == NULL)
		return 0;
	aud = cJSON_Parse(json);
	free(json);
	cJSON_ArrayForEach(e, aud)
	{
		if (cJSON_IsString(e) && strcmp(e->valuestring, want) == 0)
			found = 1;
	}
	cJSON_Delete(aud);
	return found;
}

/* The principal of a valid JWT: a local user by UID_CLAIM, or a name. */
static int
auth_jwt_principal(const struct jwt_conf *jc, jwt_t *jwt,
    struct auth_result *res, char **cause)
{
	const char *sub, *user, *scope;
	struct passwd *pw;
	char *copy, *w, *save = NULL;
	size_t i;

	if ((sub = jwt_get_grant(jwt, "sub")) == NULL || *sub == '\0') {
		xasprintf(cause, "JWT has no sub claim");
		return -1;
	}
	scope = jwt_get_grant(jwt, "scope");
	res->scopes = 0;
	if (scope != NULL) {
		/* Scopes other services define are not ours to refuse. */
		copy = xstrdup(scope);
		for (w = strtok_r(copy, " ", &save); w != NULL;
		     w = strtok_r(NULL, " ", &save)) {
			for (i = 0; i < UTIL_NSCOPES; i++) {
				if (strcmp(w, util_scopes[i]) == 0)
					res->scopes |= 1U << i;
			}
		}
		free(copy);
	}
	snprintf(res->name, sizeof res->name, "jwt:%.80s", sub);
	user = jc->uid_claim != NULL ? jwt_get_grant(jwt, jc->uid_claim) : NULL;
	if (user != NULL) {
		if ((pw = getpwnam(user)) == NULL) {
			xasprintf(cause, "JWT claim %s names no local user",
			    jc->uid_claim);
			return -1;
		}
		res->uid = pw->pw_uid;
		res->admin = auth_uid_admin(pw->pw_uid);
		return 0;
	}
	/* A named principal owns nothing; admin scope sees everything. */
	pw = getpwnam("nobody");
	res->uid = pw != NULL ? pw->pw_uid : (uid_t)65534;
	res->admin = (res->scopes & SCOPE_ADMIN) != 0;
	return 0;
}

static int
auth_check_jwt(struct agentd *ad, const char *cred, int64_t now,
    struct auth_result *res, char **cause)
{
	const struct jwt_conf *jc = &ad->config->jwt;
	jwt_t *jwt = NULL;
	const char *iss, *alg;
	long exp, nbf;
	int rc = -1;

	if (!jc->enabled) {
		xasprintf(
		    cause, "unknown credential (no JWT issuer is set up)");
		return -1;
	}
	if (dlib_jwt_load(cause) == -1)
		return -1;
	/* Read the header unverified only to pin the algorithm. */
	if (jwt_decode(&jwt, cred, NULL, 0) != 0 || jwt == NULL) {
		xasprintf(cause, "malformed bearer token");
		return -1;
	}
	/* Without a key libjwt reports "none": ask the header itself. */
	alg = jwt_get_header(jwt, "alg");
	if (alg == NULL || strcmp(alg, jwt_alg_str((jwt_alg_t)jc->alg)) != 0) {
		xasprintf(cause, "JWT algorithm %.16s refused (expected %s)",
		    alg != NULL ? alg : "(none)",
		    jwt_alg_str((jwt_alg_t)jc->alg));
		goto out;
	}
	jwt_free(jwt);
	jwt = NULL;
	if (jwt_decode(&jwt, cred, jc->key, (int)jc->keylen) != 0 ||
	    jwt == NULL || jwt_get_alg(jwt) != (jwt_alg_t)jc->alg) {
		xasprintf(cause, "JWT signature does not verify");
		goto out;
	}
	if ((iss = jwt_get_grant(jwt, "iss")) == NULL ||
	    strcmp(iss, jc->issuer) != 0) {
		xasprintf(cause, "JWT issuer is not %s", jc->issuer);
		goto out;
	}
	if (!auth_jwt_audience(jwt, jc->audience)) {
		xasprintf(
		    cause, "JWT audience does not include %s", jc->audience);
		goto out;
	}
	errno = 0;
	exp = jwt_get_grant_int(jwt, "exp");
	if (errno == ENOENT) {
		xasprintf(cause, "JWT has no exp claim");
		goto out;
	}
	if ((int64_t)exp + jc->leeway <= now) {
		xasprintf(cause, "JWT has expired");
		goto out;
	}
	errno = 0;
	nbf = jwt_get_grant_int(jwt, "nbf");
	if (errno != ENOENT && (int64_t)nbf - jc->leeway > now) {
		xasprintf(cause, "JWT is not valid yet (nbf)");
		goto out;
	}
	rc = auth_jwt_principal(jc, jwt, res, cause);
out:
	jwt_free(jwt);
	return rc;
}

int
auth_check(struct agentd *ad, const char *cred, int64_t now,
    struct auth_result *res, char **cause)
{
	memset(res, 0, sizeof *res);
	if (strlen(cred) > AUTH_CRED_MAX) {
		xasprintf(cause, "malformed bearer token");
		return -1;
	}
	if (strncmp(cred, "cq_", 3) == 0)
		return auth_check_token(ad, cred, now, res, cause);
	return auth_check_jwt(ad, cred, now, res, cause);
}
