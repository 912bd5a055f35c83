/* SPDX-License-Identifier: ISC */
/*
 * Small text helpers shared by both programs: RFC 3339 times, durations,
 * sizes, job names and escaping for logs.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "tz.h"

/* Formats instant T in zone TZ as 2025-03-09T03:00:00-07:00 (Z for UTC
 * zones with offset 0 is not used; +00:00 is). BUF needs 32 bytes. */
void util_format_time(char *buf, size_t len, int64_t t, const struct tz *tz);
/* Same, always in UTC with a trailing Z. */
void util_format_utc(char *buf, size_t len, int64_t t);

/*
 * Parses RFC 3339 ("2025-03-09T01:58:00-08:00", "...Z", fractional seconds
 * ignored) or, without an offset, a wall time in zone TZ ("2025-03-09T01:58",
 * "2025-03-09 01:58:00"); a wall time in a gap maps to the gap's end, a
 * repeated one to its first occurrence. Returns 0 or -1 with *cause set.
 */
int util_parse_time(
    const char *s, const struct tz *tz, int64_t *out, char **cause);

/*
 * D as a whole number within MIN..MAX in *OUT: 0, or -1 when D is not
 * whole or out of range (checked before any conversion, which would be
 * undefined for a double past int64_t).
 */
int util_double_int(double d, int64_t min, int64_t max, int64_t *out);

/* Edit distance of two short words (99 past 62 characters). */
size_t util_distance(const char *a, const char *b);
/*
 * The entry of the NULL-terminated NAMES within two edits of KEY (a typo),
 * the closest first, or NULL.
 */
const char *util_nearest(const char *key, const char *const *names);

/* "90s", "5m", "2h30m", "1d", plain seconds "30". Returns 0 or -1. */
int util_parse_duration(const char *s, int64_t *seconds, char **cause);
/* "512", "64K", "512M", "2G" (powers of 1024). Returns 0 or -1. */
int util_parse_size(const char *s, uint64_t *bytes, char **cause);
/* "2h30m", "45s", "1d2h" for display. */
void util_format_duration(char *buf, size_t len, int64_t seconds);

/*
 * The scopes of an API token. Bit 1 << i of a set of them is
 * util_scopes[i], the order of the daemon's SCOPE_ bits (agentd/remote.h).
 */
#define UTIL_NSCOPES 4
extern const char *const util_scopes[UTIL_NSCOPES];
/*
 * "read,trigger" or "read trigger" into a set of scopes in *SCOPES.
 * Returns 0, or -1 with *cause (caller frees) naming the word refused.
 */
int util_parse_scopes(const char *s, unsigned int *scopes, char **cause);

/* 1 if NAME matches [A-Za-z0-9._-]{1,64}. */
int util_valid_name(const char *name);

/*
 * Copies S into BUF for a log line: printable ASCII kept, quotes and
 * backslashes escaped, control and non-ASCII bytes as \xHH, truncated
 * with "..." to fit.
 */
void util_escape(char *buf, size_t len, const char *s);

#endif
