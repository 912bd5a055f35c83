/* SPDX-License-Identifier: ISC */
/*
 * Time zones read from the system's TZif files (v1-v3, POSIX TZ footer for
 * instants past the table). Zones are loaded once, cached for the life of
 * the process and immutable after loading, so lookups are thread-safe. The
 * TZ environment variable is never read or changed.
 *
 * "Wall" seconds are local civil time expressed as if it were UTC: an
 * instant t in a zone whose offset is off has wall time t + off.
 */
#ifndef TZ_H
#define TZ_H

#include <stdint.h>

struct tz;

/*
 * Finds the zone NAME ("Europe/Berlin", "UTC"), loading it on first use
 * from $TZDIR or /usr/share/zoneinfo. NULL, "" or "localtime" give the
 * system zone (/etc/localtime, UTC when absent). On failure returns NULL
 * and sets *cause (caller frees) to a sentence such as
 * `unknown time zone "Europe/Berln"`.
 */
const struct tz *tz_find(const char *name, char **cause);

/* The name the zone was found by ("UTC", "Europe/Berlin", "localtime"). */
const char *tz_name(const struct tz *tz);

/* Offset from UTC in seconds east at instant t; isdst and abbr optional. */
int tz_offset(const struct tz *tz, int64_t t, int *isdst, const char **abbr);

/*
 * The instants whose wall time is WALL, in increasing order. Returns 1
 * (one instant), 2 (a repeated wall time after a backward change) or 0 (the
 * wall time falls in a gap; out[0] is then the instant the gap ends, the
 * transition itself).
 */
int tz_resolve(const struct tz *tz, int64_t wall, int64_t out[2]);

/*
 * The first offset change strictly after T: returns its instant and sets
 * the offsets before and after it, or returns INT64_MAX if the zone never
 * changes again (both offsets are then the one in force at T). Changes of
 * only isdst or the abbreviation are not offset changes.
 */
int64_t tz_next_change(const struct tz *tz, int64_t t, int *before, int *after);

/* The last offset change at or before T, or INT64_MIN if none. */
int64_t tz_prev_change(const struct tz *tz, int64_t t, int *before, int *after);

#endif
