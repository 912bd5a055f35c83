/* SPDX-License-Identifier: ISC */
/*
 * Token buckets, one per key (a principal or a source address) and
 * bucket class, refilled lazily from the elapsed time when a request
 * asks. The table is small and searched linearly; buckets that have been
 * full for a while are dropped so a flood of addresses cannot grow it
 * without bound (RL_MAX is the hard cap: past it the stalest goes).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remote.h"
#include "xmalloc.h"

#define RL_MAX 4096
#define RL_KEY_MAX 96

struct rl_bucket {
	enum rate_bucket b;
	char key[RL_KEY_MAX];
	double tokens;
	int64_t at_ms; /* when TOKENS was right */
};

struct ratelimit {
	struct rl_bucket *buckets;
	size_t n;
	uint64_t rejected[RATE_NBUCKETS];
};

static const char *const rl_names[RATE_NBUCKETS] = {
	[RATE_READ] = "read",
	[RATE_TRIGGER] = "trigger",
	[RATE_WRITE] = "write",
	[RATE_AUTH_FAIL] = "auth_failures",
};

const char *
ratelimit_bucket_name(enum rate_bucket b)
{
	return rl_names[b];
}

struct ratelimit *
ratelimit_create(void)
{
	return xcalloc(1, sizeof(struct ratelimit));
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->buckets);
	free(rl);
}

static struct rl_bucket *
ratelimit_find(struct ratelimit *rl, enum rate_bucket b, const char *key,
    const struct rate_conf *conf, int64_t now_ms)
{
	struct rl_bucket *k;
	size_t i, stalest = 0;

	for (i = 0; i < rl->n; i++) {
		k = &rl->buckets[i];
		if (k->b == b && strcmp(k->key, key) == 0)
			return k;
		if (k->at_ms < rl->buckets[stalest].at_ms)
			stalest = i;
	}
	if (rl->n == RL_MAX)
		k = &rl->buckets[stalest];
	else {
		rl->buckets =
		    xreallocarray(rl->buckets, rl->n + 1, sizeof *rl->buckets);
		k = &rl->buckets[rl->n++];
	}
	k->b = b;
	strlcpy(k->key, key, sizeof k->key);
	k->tokens = conf->burst;
	k->at_ms = now_ms;
	return k;
}

/* Refills K for the time since it was last right. */
static void
ratelimit_refill(
    struct rl_bucket *k, const struct rate_conf *conf, int64_t now_ms)
{
	if (now_ms <= k->at_ms)
		return;
	k->tokens += conf->rate * (double)(now_ms - k->at_ms) / 1000.0;
	if (k->tokens > conf->burst)
		k->tokens = conf->burst;
	k->at_ms = now_ms;
}

static int
ratelimit_wait(const struct rl_bucket *k, const struct rate_conf *conf)
{
	double wait = (1.0 - k->tokens) / conf->rate;

	return wait < 1.0 ? 1 : (int)(wait + 0.999);
}

int
ratelimit_peek(struct ratelimit *rl, enum rate_bucket b, const char *key,
    const struct rate_conf *conf, int64_t now_ms)
{
	size_t i;

	if (conf->rate <= 0)
		return 0;
	for (i = 0; i < rl->n; i++) {
		if (rl->buckets[i].b == b &&
		    strcmp(rl->buckets[i].key, key) == 0) {
			ratelimit_refill(&rl->buckets[i], conf, now_ms);
			return rl->buckets[i].tokens >= 1.0
			    ? 0
			    : ratelimit_wait(&rl->buckets[i], conf);
		}
	}
	return 0;
}

int
ratelimit_take(struct ratelimit *rl, enum rate_bucket b, const char *key,
    const struct rate_conf *conf, int64_t now_ms)
{
	struct rl_bucket *k;

	if (conf->rate <= 0)
		return 0;
	k = ratelimit_find(rl, b, key, conf, now_ms);
	ratelimit_refill(k, conf, now_ms);
	if (k->tokens >= 1.0) {
		k->tokens -= 1.0;
		return 0;
	}
	rl->rejected[b]++;
	return ratelimit_wait(k, conf);
}

void
ratelimit_count(struct ratelimit *rl, enum rate_bucket b)
{
	rl->rejected[b]++;
}

uint64_t
ratelimit_rejected(const struct ratelimit *rl, enum rate_bucket b)
{
	return rl->rejected[b];
}
