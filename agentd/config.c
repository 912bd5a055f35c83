/* SPDX-License-Identifier: ISC */
/*
 * agentd.yaml: limits, retention, the jobs directory, concurrency
 * groups, the TCP listeners, the JWT issuer and the rate limits (the
 * queue: section is queue.c's). The file is read whole (libyaml's document API)
 * so every error names file:line:column, and it is applied only when all of it
 * is valid: a bad reload leaves the running settings alone. Key and secret
 * files are refused when group or others may read them.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jwt.h>
#include <yaml.h>

#include "dlib.h"
#include "remote.h"
#include "util.h"
#include "xmalloc.h"

#define CONFIG_KEY_MAX (64 * 1024) /* a JWT key or secret file */

/* The reading of one file. */
struct config_group {
	char name[CQ_NAME_MAX + 1];
	int limit;
};

struct config_read {
	const char *file;
	yaml_document_t *doc;
	struct agentd_settings settings;
	struct agentd_config *cfg;
	char *jobs_dir;
	struct config_group *groups; /* `groups:`, applied when all is valid */
	size_t ngroups;
	char *cause;
};

static int config_fail(struct config_read *r, const yaml_node_t *n,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
config_fail(struct config_read *r, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	xasprintf(&r->cause, "%s:%zu:%zu: %s", r->file, n->start_mark.line + 1,
	    n->start_mark.column + 1, msg);
	free(msg);
	return -1;
}

static const char *
config_scalar(struct config_read *r, yaml_node_t *n, const char *key)
{
	if (n->type != YAML_SCALAR_NODE) {
		config_fail(r, n, "\"%s\" must be a single value", key);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

/* A plain (unquoted) scalar as an integer in [MIN, MAX]. */
static int
config_int(struct config_read *r, yaml_node_t *n, const char *key, long min,
    long max, long *out)
{
	const char *s;
	char *end;
	long v;

	if ((s = config_scalar(r, n, key)) == NULL)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return config_fail(r, n,
		    "\"%s\" must be a whole number from %ld to %ld, "
		    "not \"%s\"",
		    key, min, max, s);
	*out = v;
	return 0;
}

static int
config_number(struct config_read *r, yaml_node_t *n, const char *key,
    double min, double *out)
{
	const char *s;
	char *end;
	double v;

	if ((s = config_scalar(r, n, key)) == NULL)
		return -1;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || !(v >= min) || v > 1e9)
		return config_fail(r, n,
		    "\"%s\" must be a number of at least %g, not \"%s\"", key,
		    min, s);
	*out = v;
	return 0;
}

static int
config_bool(struct config_read *r, yaml_node_t *n, const char *key, int *out)
{
	const char *s;

	if ((s = config_scalar(r, n, key)) == NULL)
		return -1;
	if (strcmp(s, "true") == 0)
		*out = 1;
	else if (strcmp(s, "false") == 0)
		*out = 0;
	else
		return config_fail(
		    r, n, "\"%s\" must be true or false, not \"%s\"", key, s);
	return 0;
}

static int
config_string(
    struct config_read *r, yaml_node_t *n, const char *key, char **out)
{
	const char *s;

	if ((s = config_scalar(r, n, key)) == NULL)
		return -1;
	if (*s == '\0')
		return config_fail(r, n, "\"%s\" must not be empty", key);
	free(*out);
	*out = xstrdup(s);
	return 0;
}

/*
 * Checks that PATH is a regular file that group and others cannot
 * read or write: private keys and shared secrets only.
 */
static int
config_private_file(
    struct config_read *r, yaml_node_t *n, const char *key, const char *path)
{
	struct stat sb;

	if (stat(path, &sb) == -1)
		return config_fail(
		    r, n, "%s: cannot read %s: %s", key, path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return config_fail(
		    r, n, "%s: %s is not a regular file", key, path);
	if (sb.st_mode & (S_IRWXG | S_IRWXO))
		return config_fail(r, n,
		    "%s: %s has mode %04o; a key must not be readable by "
		    "group or others (chmod 600)",
		    key, path, (unsigned)(sb.st_mode & 07777));
	return 0;
}

static int
config_read_file(struct config_read *r, yaml_node_t *n, const char *key,
    const char *path, unsigned char **buf, size_t *len)
{
	FILE *f;
	size_t got;

	if ((f = fopen(path, "r")) == NULL)
		return config_fail(
		    r, n, "%s: cannot read %s: %s", key, path, strerror(errno));
	*buf = xmalloc(CONFIG_KEY_MAX + 1);
	got = fread(*buf, 1, CONFIG_KEY_MAX + 1, f);
	fclose(f);
	if (got == 0 || got > CONFIG_KEY_MAX) {
		free(*buf);
		*buf = NULL;
		return config_fail(r, n, "%s: %s is empty or over %d bytes",
		    key, path, CONFIG_KEY_MAX);
	}
	(*buf)[got] = '\0';
	*len = got;
	return 0;
}

/*
 * YAML leaves a key given twice to the reader, and libyaml keeps both: the
 * second would silently win (or be ignored), so mapping N is refused.
 */
static int
config_no_dups(struct config_read *r, yaml_node_t *n)
{
	yaml_node_pair_t *p, *q;
	yaml_node_t *k, *first;

	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(r->doc, p->key);
		if (k == NULL || k->type != YAML_SCALAR_NODE)
			continue;
		for (q = n->data.mapping.pairs.start; q < p; q++) {
			first = yaml_document_get_node(r->doc, q->key);
			if (first == NULL || first->type != YAML_SCALAR_NODE ||
			    strcmp((const char *)first->data.scalar.value,
			        (const char *)k->data.scalar.value) != 0)
				continue;
			return config_fail(r, k,
			    "key \"%s\" is given twice (first on line %zu)",
			    (const char *)k->data.scalar.value,
			    first->start_mark.line + 1);
		}
	}
	return 0;
}

/* Calls FN for each key of mapping N; NAME is its key, for messages. */
typedef int (*config_member_fn)(
    struct config_read *, const char *, yaml_node_t *, void *);

/*
 * KNOWN (NULL-terminated, or NULL) names the keys FN takes, so that an
 * unknown one can be met with the key it is probably a typo of.
 */
static int
config_map(struct config_read *r, yaml_node_t *n, const char *name,
    config_member_fn fn, void *arg, const char *const *known)
{
	const char *key, *hint;

	yaml_node_pair_t *p;
	yaml_node_t *k, *v;

	if (n->type != YAML_MAPPING_NODE)
		return config_fail(r, n, "\"%s\" must be a mapping", name);
	if (config_no_dups(r, n) == -1)
		return -1;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(r->doc, p->key);
		v = yaml_document_get_node(r->doc, p->value);
		if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE)
			return config_fail(
			    r, n, "keys of \"%s\" must be words", name);
		key = (const char *)k->data.scalar.value;
		if (fn(r, key, v, arg) == -1) {
			if (r->cause != NULL)
				return -1;
			if ((hint = util_nearest(key, known)) != NULL)
				config_fail(r, k,
				    "unknown key \"%s\" in %s; did you mean "
				    "%s?",
				    key, name, hint);
			else
				config_fail(r, k, "unknown key \"%s\" in %s",
				    key, name);
			return -1;
		}
	}
	return 0;
}

static const char *const listen_keys[] = { "address", "port", "insecure_http",
	"cert", "key", NULL };
static const char *const jwt_keys[] = { "issuer", "audience", "uid_claim",
	"algorithm", "leeway", "secret_file", "public_key_file", NULL };
static const char *const auth_keys[] = { "jwt", NULL };
static const char *const rate_keys[] = { "per_minute", "burst", NULL };
static const char *const top_keys[] = { "max_running", "retention_days",
	"retention_runs", "jobs_dir", "cgroup_root", "groups", "queue",
	"listen", "auth", "rate_limits", NULL };

/* rate_limits: exempt_local_root and one map per bucket. */
static const char *const *
rates_keys(void)
{
	static const char *keys[RATE_NBUCKETS + 2];
	int b;

	keys[0] = "exempt_local_root";
	for (b = 0; b < RATE_NBUCKETS; b++)
		keys[b + 1] = ratelimit_bucket_name((enum rate_bucket)b);
	return keys;
}

static int
config_listener_member(
    struct config_read *r, const char *key, yaml_node_t *v, void *arg)
{
	struct listener_conf *l = arg;
	const char *s;
	long port;
	unsigned char buf[16];

	if (strcmp(key, "address") == 0) {
		if ((s = config_scalar(r, v, key)) == NULL)
			return -1;
		if (inet_pton(AF_INET, s, buf) != 1 &&
		    inet_pton(AF_INET6, s, buf) != 1)
			return config_fail(r, v,
			    "address \"%s\" is not a numeric IPv4 or IPv6 "
			    "address",
			    s);
		strlcpy(l->address, s, sizeof l->address);
		return 0;
	}
	if (strcmp(key, "port") == 0) {
		if (config_int(r, v, key, 1, 65535, &port) == -1)
			return -1;
		l->port = (int)port;
		return 0;
	}
	if (strcmp(key, "insecure_http") == 0)
		return config_bool(r, v, key, &l->insecure_http);
	if (strcmp(key, "cert") == 0)
		return config_string(r, v, key, &l->cert);
	if (strcmp(key, "key") == 0) {
		if (config_string(r, v, key, &l->key) == -1)
			return -1;
		return config_private_file(r, v, "key", l->key);
	}
	return -1;
}

/* 1 if ADDRESS is a loopback address (127/8 or ::1). */
static int
config_loopback(const char *address)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, address, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, address, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

static int
config_listener(struct config_read *r, yaml_node_t *n)
{
	struct agentd_config *cfg = r->cfg;
	struct listener_conf *l;

	cfg->listeners = xreallocarray(
	    cfg->listeners, cfg->nlisteners + 1, sizeof *cfg->listeners);
	l = &cfg->listeners[cfg->nlisteners++];
	memset(l, 0, sizeof *l);
	snprintf(l->where, sizeof l->where, "%s:%zu:%zu", r->file,
	    n->start_mark.line + 1, n->start_mark.column + 1);
	if (config_map(
	        r, n, "listen", config_listener_member, l, listen_keys) == -1)
		return -1;
	if (l->address[0] == '\0' || l->port == 0)
		return config_fail(
		    r, n, "a listener needs an address and a port");
	if ((l->cert == NULL) != (l->key == NULL))
		return config_fail(
		    r, n, "a TLS listener needs both cert and key (PEM files)");
	if (l->cert != NULL && l->insecure_http)
		return config_fail(
		    r, n, "insecure_http and cert/key exclude each other");
	if (l->cert == NULL && !l->insecure_http)
		return config_fail(r, n,
		    "listener %s port %d has no cert and key: plain HTTP "
		    "is served only on loopback with insecure_http: true",
		    l->address, l->port);
	if (l->cert == NULL && !config_loopback(l->address))
		return config_fail(r, n,
		    "plain HTTP on %s refused: it is not a loopback address, "
		    "and tokens would cross the network in clear; "
		    "configure cert and key",
		    l->address);
	return 0;
}

static int
config_listen(struct config_read *r, yaml_node_t *n)
{
	yaml_node_item_t *i;

	if (n->type != YAML_SEQUENCE_NODE)
		return config_fail(r, n, "\"listen\" must be a list");
	for (i = n->data.sequence.items.start; i < n->data.sequence.items.top;
	     i++) {
		if (config_listener(r, yaml_document_get_node(r->doc, *i)) ==
		    -1)
			return -1;
	}
	return 0;
}

static int
config_jwt_member(
    struct config_read *r, const char *key, yaml_node_t *v, void *arg)
{
	struct jwt_conf *j = arg;
	char *path = NULL, *cause = NULL;
	const char *s;
	int64_t secs;
	int rc;

	if (strcmp(key, "issuer") == 0)
		return config_string(r, v, key, &j->issuer);
	if (strcmp(key, "audience") == 0)
		return config_string(r, v, key, &j->audience);
	if (strcmp(key, "uid_claim") == 0)
		return config_string(r, v, key, &j->uid_claim);
	if (strcmp(key, "algorithm") == 0) {
		if ((s = config_scalar(r, v, key)) == NULL)
			return -1;
		if (strcmp(s, "HS256") == 0)
			j->alg = JWT_ALG_HS256;
		else if (strcmp(s, "RS256") == 0)
			j->alg = JWT_ALG_RS256;
		else if (strcmp(s, "ES256") == 0)
			j->alg = JWT_ALG_ES256;
		else
			return config_fail(r, v,
			    "algorithm must be HS256, RS256 or ES256, not "
			    "\"%s\"",
			    s);
		return 0;
	}
	if (strcmp(key, "leeway") == 0) {
		if ((s = config_scalar(r, v, key)) == NULL)
			return -1;
		if (util_parse_duration(s, &secs, &cause) == -1) {
			rc = config_fail(r, v, "leeway: %s", cause);
			free(cause);
			return rc;
		}
		j->leeway = secs;
		return 0;
	}
	if (strcmp(key, "secret_file") == 0 ||
	    strcmp(key, "public_key_file") == 0) {
		if (j->key != NULL)
			return config_fail(r, v,
			    "give one of secret_file and public_key_file");
		if (config_string(r, v, key, &path) == -1)
			return -1;
		rc = 0;
		if (strcmp(key, "secret_file") == 0)
			rc = config_private_file(r, v, key, path);
		if (rc == 0)
			rc = config_read_file(
			    r, v, key, path, &j->key, &j->keylen);
		/* A secret file's final newline is not part of it. */
		while (rc == 0 && strcmp(key, "secret_file") == 0 &&
		    j->keylen > 0 && j->key[j->keylen - 1] == '\n')
			j->key[--j->keylen] = '\0';
		j->enabled = strcmp(key, "secret_file") == 0 ? 1 : 2;
		free(path);
		return rc;
	}
	return -1;
}

static int
config_jwt(struct config_read *r, yaml_node_t *n)
{
	struct jwt_conf *j = &r->cfg->jwt;
	char *cause;
	int rc;

	j->alg = JWT_ALG_NONE;
	if (config_map(r, n, "jwt", config_jwt_member, j, jwt_keys) == -1)
		return -1;
	if (j->issuer == NULL || j->audience == NULL ||
	    j->alg == JWT_ALG_NONE || j->key == NULL)
		return config_fail(r, n,
		    "jwt needs issuer, audience, algorithm and secret_file "
		    "or public_key_file");
	if (dlib_jwt_load(&cause) == -1) {
		rc = config_fail(r, n, "jwt: %s", cause);
		free(cause);
		return rc;
	}
	/* The key kind follows the algorithm: no HS/RS confusion. */
	if ((j->alg == JWT_ALG_HS256) != (j->enabled == 1))
		return config_fail(r, n, "algorithm %s needs %s",
		    jwt_alg_str((jwt_alg_t)j->alg),
		    j->alg == JWT_ALG_HS256 ? "secret_file"
		                            : "public_key_file");
	return 0;
}

static int
config_auth_member(
    struct config_read *r, const char *key, yaml_node_t *v, void *arg)
{
	(void)arg;
	if (strcmp(key, "jwt") == 0)
		return config_jwt(r, v);
	return -1;
}

static int
config_rate_member(
    struct config_read *r, const char *key, yaml_node_t *v, void *arg)
{
	struct rate_conf *c = arg;
	double per_minute;

	if (strcmp(key, "per_minute") == 0) {
		if (config_number(r, v, key, 0.001, &per_minute) == -1)
			return -1;
		c->rate = per_minute / 60.0;
		return 0;
	}
	if (strcmp(key, "burst") == 0)
		return config_number(r, v, key, 1, &c->burst);
	return -1;
}

static int
config_rates_member(
    struct config_read *r, const char *key, yaml_node_t *v, void *arg)
{
	enum rate_bucket b;

	(void)arg;
	if (strcmp(key, "exempt_local_root") == 0)
		return config_bool(r, v, key, &r->cfg->exempt_local_root);
	for (b = 0; b < RATE_NBUCKETS; b++) {
		if (strcmp(key, ratelimit_bucket_name(b)) == 0)
			return config_map(r, v, key, config_rate_member,
			    &r->cfg->rates[b], rate_keys);
	}
	return -1;
}

/* `groups: {name: limit}`: concurrency group limits (groups.c). */
static int
config_group_member(
    struct config_read *r, const char *key, yaml_node_t *v, void *arg)
{
	struct config_group *g;
	long n;

	(void)arg;
	if (!util_valid_name(key))
		return config_fail(r, v,
		    "groups: \"%s\" is not a group name (1-64 of A-Z a-z 0-9 "
		    ". _ -)",
		    key);
	if (config_int(r, v, key, 1, 100000, &n) == -1)
		return -1;
	r->groups = xreallocarray(r->groups, r->ngroups + 1, sizeof *r->groups);
	g = &r->groups[r->ngroups++];
	strlcpy(g->name, key, sizeof g->name);
	g->limit = (int)n;
	return 0;
}

/* cgroup_root: the cgroup2 directory under which runs get their leaves. */
static int
config_cgroup_root(struct config_read *r, yaml_node_t *v, const char *key)
{
	char *s = NULL;
	size_t n;

	if (config_string(r, v, key, &s) == -1)
		return -1;
	if (s[0] != '/') {
		free(s);
		return config_fail(
		    r, v, "cgroup_root must be an absolute path");
	}
	n = strlcpy(r->settings.cgroup_root, s, sizeof r->settings.cgroup_root);
	free(s);
	if (n >= sizeof r->settings.cgroup_root)
		return config_fail(r, v, "cgroup_root is too long");
	return 0;
}

static int
config_top_member(
    struct config_read *r, const char *key, yaml_node_t *v, void *arg)
{
	long n;

	(void)arg;
	if (strcmp(key, "max_running") == 0) {
		if (config_int(r, v, key, 0, 100000, &n) == -1)
			return -1;
		r->settings.max_running = (int)n;
		return 0;
	}
	if (strcmp(key, "retention_days") == 0) {
		if (config_int(r, v, key, 1, 100000, &n) == -1)
			return -1;
		r->settings.retention_days = (int)n;
		return 0;
	}
	if (strcmp(key, "retention_runs") == 0) {
		if (config_int(r, v, key, 1, 100000000, &n) == -1)
			return -1;
		r->settings.retention_runs = (int)n;
		return 0;
	}
	if (strcmp(key, "jobs_dir") == 0) {
		if (config_string(r, v, key, &r->jobs_dir) == -1)
			return -1;
		if (r->jobs_dir[0] != '/')
			return config_fail(
			    r, v, "jobs_dir must be an absolute path");
		return 0;
	}
	if (strcmp(key, "cgroup_root") == 0)
		return config_cgroup_root(r, v, key);
	if (strcmp(key, "groups") == 0)
		return config_map(r, v, key, config_group_member, NULL, NULL);
	/* queue.c reads and checks its own section, but not for repeats. */
	if (strcmp(key, "queue") == 0)
		return v->type == YAML_MAPPING_NODE
		    ? config_no_dups(r, v)
		    : config_fail(r, v, "\"queue\" must be a mapping");
	if (strcmp(key, "listen") == 0)
		return config_listen(r, v);
	if (strcmp(key, "auth") == 0)
		return config_map(
		    r, v, key, config_auth_member, NULL, auth_keys);
	if (strcmp(key, "rate_limits") == 0)
		return config_map(
		    r, v, key, config_rates_member, NULL, rates_keys());
	return -1;
}

struct agentd_config *
config_defaults(void)
{
	struct agentd_config *cfg;

	cfg = xcalloc(1, sizeof *cfg);
	/* Reads are cheap; a trigger starts a process; a failed
	 * authentication is someone guessing. */
	cfg->rates[RATE_READ] = (struct rate_conf){ 20.0, 100 };
	cfg->rates[RATE_TRIGGER] = (struct rate_conf){ 1.0, 10 };
	cfg->rates[RATE_WRITE] = (struct rate_conf){ 2.0, 20 };
	cfg->rates[RATE_AUTH_FAIL] = (struct rate_conf){ 0.2, 10 };
	/* Root can stop the daemon; limiting it only breaks its scripts. */
	cfg->exempt_local_root = 1;
	return cfg;
}

void
config_free(struct agentd_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nlisteners; i++) {
		free(cfg->listeners[i].cert);
		free(cfg->listeners[i].key);
	}
	free(cfg->listeners);
	free(cfg->jwt.issuer);
	free(cfg->jwt.audience);
	free(cfg->jwt.uid_claim);
	if (cfg->jwt.key != NULL)
		explicit_bzero(cfg->jwt.key, cfg->jwt.keylen);
	free(cfg->jwt.key);
	free(cfg);
}

static int
config_parse(struct config_read *r, FILE *f)
{
	yaml_parser_t p;
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = -1;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	if (!yaml_parser_load(&p, &doc)) {
		xasprintf(&r->cause, "%s:%zu:%zu: %s", r->file,
		    p.problem_mark.line + 1, p.problem_mark.column + 1,
		    p.problem != NULL ? p.problem : "not YAML");
		yaml_parser_delete(&p);
		return -1;
	}
	r->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL)
		rc = 0; /* an empty file */
	else
		rc = config_map(
		    r, root, "agentd.yaml", config_top_member, NULL, top_keys);
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	return rc;
}

int
config_load(struct agentd *ad, const char *file, char **cause)
{
	struct config_read r;
	FILE *f;
	size_t i;

	memset(&r, 0, sizeof r);
	r.file = file;
	r.settings = ad->settings;
	r.cfg = config_defaults();
	if ((f = fopen(file, "r")) == NULL && errno != ENOENT) {
		xasprintf(cause, "cannot read %s: %s", file, strerror(errno));
		config_free(r.cfg);
		return -1;
	}
	if (f != NULL) {
		if (config_parse(&r, f) == -1) {
			fclose(f);
			config_free(r.cfg);
			free(r.jobs_dir);
			free(r.groups);
			*cause = r.cause;
			return -1;
		}
		fclose(f);
	}
	ad->settings = r.settings;
	config_free(ad->config);
	ad->config = r.cfg;
	/* Read at start only: --jobs-dir wins, and a reload keeps it. */
	if (ad->jobs_dir == NULL)
		ad->jobs_dir = r.jobs_dir;
	else
		free(r.jobs_dir);
	if (ad->groups != NULL) {
		groups_config_reset(ad->groups);
		for (i = 0; i < r.ngroups; i++)
			groups_config_set(
			    ad->groups, r.groups[i].name, r.groups[i].limit);
	}
	free(r.groups);
	return 0;
}
