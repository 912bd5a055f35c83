/* SPDX-License-Identifier: ISC */
/*
 * Logging for the daemon: one line per event, "subsystem: event key=value".
 * To stderr with a timestamp in the foreground, to syslog (LOG_CRON)
 * otherwise. Only this file and xmalloc.c may end the process in lib/.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <syslog.h>

void log_init(int foreground, int verbose, const char *ident);
/*
 * While ON, err and crit lines also go to stderr as "IDENT: message" when
 * logging to syslog.
 */
void log_tee_errors(int on);
int log_level_enabled(int prio);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
