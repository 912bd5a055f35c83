/* SPDX-License-Identifier: ISC */
/*
 * Cron expressions: parsing into a compact form and computing fire times in
 * a time zone (DESIGN.md section 2). No I/O, no global state.
 */
#ifndef CRONEXPR_H
#define CRONEXPR_H

#include <stdint.h>

#include "tz.h"

enum cron_kind {
	CRON_CALENDAR, /* fields, macros */
	CRON_EVERY,    /* @every DURATION: relative to an anchor */
	CRON_REBOOT    /* @reboot: at daemon start-up, once per boot */
};

/* What a fixed-time schedule does at clock changes (`dst:` of a job). */
enum cron_dst_gap { CRON_GAP_NEXT, CRON_GAP_SKIP };
enum cron_dst_repeat { CRON_REPEAT_FIRST, CRON_REPEAT_BOTH };

/* Notes on one computed fire time, for --explain and the decision log. */
/* The wall time was in a gap; the fire moved to the gap's end. */
#define CRON_NOTE_GAP_MOVED 0x01
/* The wall time occurs twice; this fire is one pass of it. */
#define CRON_NOTE_REPEATED 0x02
/* Slots in a gap were dropped before this fire (dst skip, or an interval). */
#define CRON_NOTE_GAP_SKIPPED 0x04
#define CRON_NOTE_SECOND_PASS 0x08 /* with REPEATED: the later occurrence */

/* Longest expression text accepted (bytes). */
#define CRON_TEXT_MAX 1024

/*
 * The compact form. Bit i of a set means value i is allowed. The engine
 * owns the meaning of the flag fields; callers only parse, copy and query.
 */
struct cronexpr {
	enum cron_kind kind;
	uint64_t sec;       /* bits 0-59 */
	uint64_t min;       /* bits 0-59 */
	uint32_t hour;      /* bits 0-23 */
	uint32_t dom;       /* bits 1-31 */
	uint16_t mon;       /* bits 1-12 */
	uint8_t dow;        /* bits 0-6, Sunday 0 */
	uint8_t dow_last;   /* weekdays with L (5L: last Friday) */
	uint8_t dow_nth[7]; /* per weekday, bit n-1 for #n (1-5) */
	uint32_t dom_w;     /* days with W (nearest weekday) */
	int16_t dom_last; /* -1 none; else days before the last (L=0, L-3=3) */
	uint8_t dom_lw;   /* LW: last weekday of the month */
	uint8_t dom_star; /* day-of-month text starts with '*' or '?' */
	uint8_t dow_star; /* day-of-week text starts with '*' or '?' */
	uint8_t interval; /* seconds, minute or hour field starts with '*' */
	uint8_t has_sec;  /* six-field form */
	enum cron_dst_gap gap;
	enum cron_dst_repeat repeat;
	int64_t every; /* CRON_EVERY: period in seconds */
};

/*
 * Parses TEXT. HASH_KEY (the job's name; may be NULL, then "") seeds the
 * stable value of each `H`. Returns 0, or -1 with *cause set (caller frees)
 * to one line naming the field, the text and the reason, e.g.
 * `minute "61" is outside 0-59`. A calendar expression that can never fire
 * is rejected. The DST policy starts as next/first.
 */
int cronexpr_parse(
    struct cronexpr *ce, const char *text, const char *hash_key, char **cause);

/*
 * The first fire time strictly after AFTER in zone TZ. Returns 0 and sets
 * *next (and *notes if not NULL), or -1 when there is none (a calendar
 * expression past every occurrence, @reboot, or @every without anchor).
 * Bounded: never loops without end.
 */
int cronexpr_next(const struct cronexpr *ce, const struct tz *tz, int64_t after,
    int64_t *next, unsigned *notes);

/* The last fire time strictly before BEFORE; -1 if none. */
int cronexpr_prev(const struct cronexpr *ce, const struct tz *tz,
    int64_t before, int64_t *prev, unsigned *notes);

/*
 * @every: the first fire strictly after AFTER of the series that starts at
 * ANCHOR (the job's creation or last run) with period ce->every.
 */
int64_t cronexpr_every_next(
    const struct cronexpr *ce, int64_t anchor, int64_t after);

/*
 * The first wall time (local civil seconds, see tz.h) at or after WALL
 * that the fields match, ignoring time zones; INT64_MAX if none within 400
 * years. Used to say which wall time a clock change moved.
 */
int64_t cronexpr_wall_next(const struct cronexpr *ce, int64_t wall);

/*
 * The days (bit d for day d) of a month with DIM days whose first day is
 * weekday WD1 (0 = Sunday) that the day fields match.
 */
uint32_t cronexpr_month_days(const struct cronexpr *ce, int dim, int wd1);

/* Parses "dst" policy words: "next"/"skip" and "first"/"both". */
int cronexpr_set_dst(
    struct cronexpr *ce, const char *gap, const char *repeat, char **cause);

/*
 * Notices for an expression that is valid but often misread: a day field
 * that starts with '*' but is not a bare '*' beside a restricted one
 * (ANDed, as in Vixie cron), and a day-of-month step (restarts monthly).
 * Fills up to MAX lines into NOTES and returns how many.
 */
#define CRON_NOTE_MAX 200
size_t cronexpr_notes(
    const struct cronexpr *ce, char notes[][CRON_NOTE_MAX], size_t max);

#endif
