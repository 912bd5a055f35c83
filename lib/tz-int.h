/* SPDX-License-Identifier: ISC */
/*
 * The inside of a zone, shared by tz.c (lookups and the cache) and
 * tz-load.c (reading TZif files). Nothing outside these two includes it.
 */
#ifndef TZ_INT_H
#define TZ_INT_H

#include <stddef.h>
#include <stdint.h>

#define TZ_ABBR_MAX 16
/* 400 Gregorian years: 146097 days, a whole number of weeks. */
#define TZ_PERIOD ((int64_t)146097 * 86400)

struct tz_type {
	int32_t off;
	int isdst;
	char abbr[TZ_ABBR_MAX];
};

struct tz {
	struct tz *next;
	char *name;

	struct tz_type *types;
	size_t ntypes;
	size_t type0; /* in effect before the first transition */

	int64_t *tt; /* every transition, ascending */
	uint16_t *ti;
	size_t nt;

	int64_t *ct; /* the transitions that change the offset */
	int32_t *coff;
	size_t nc;
	int32_t off0;

	/* Instants at or past fold_hi (or below fold_lo if fold_below) fold. */
	int periodic;
	int fold_below;
	int64_t fold_lo;
	int64_t fold_hi;
};

/*
 * Reads zone NAME ("localtime" for /etc/localtime) from $TZDIR or the
 * system directory. Returns a new zone, or NULL with *cause set (caller
 * frees). The caller serializes calls.
 */
struct tz *tz_load(const char *name, char **cause);

/* Number of elements of the ascending A[0..n) that are <= T. */
static inline size_t
tz_count_le(const int64_t *a, size_t n, int64_t t)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (a[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#endif
