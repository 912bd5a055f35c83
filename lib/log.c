/* SPDX-License-Identifier: ISC */
/*
 * The daemon's log sink. Callers pass already-escaped user text (see
 * util_escape); this file only adds the level, the time and the errno
 * string. Formatting is skipped for levels that are filtered out.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int log_foreground = 1;
static int log_verbose;
static int log_tee;
static const char *log_ident = "";

void
log_init(int foreground, int verbose, const char *ident)
{
	log_foreground = foreground;
	log_verbose = verbose;
	log_ident = ident;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_CRON);
}

void
log_tee_errors(int on)
{
	log_tee = on;
}

int
log_level_enabled(int prio)
{
	return prio != LOG_DEBUG || log_verbose;
}

static const char *
log_prio_name(int prio)
{
	switch (prio) {
	case LOG_CRIT:
		return "crit";
	case LOG_ERR:
		return "err";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

static void
log_vwrite(int prio, const char *fmt, va_list ap, int with_errno)
{
	char msg[2048];
	int saved = errno;
	size_t n;

	if (!log_level_enabled(prio))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	}
	/*
	 * A tee'd line ends on the terminal of whoever started the daemon,
	 * next to its other start-up errors: it reads like them, without
	 * the time and level a log line carries.
	 */
	if (!log_foreground && log_tee && prio <= LOG_ERR) {
		fprintf(stderr, "%s: %s\n", log_ident, msg);
		fflush(stderr);
	} else if (log_foreground) {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ %s %s\n", stamp,
		    ts.tv_nsec / 1000000, log_prio_name(prio), msg);
		fflush(stderr);
	}
	if (!log_foreground)
		syslog(prio, "%s", msg);
	errno = saved;
}

#define LOG_FN(name, prio, with_errno)                                         \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_vwrite(prio, fmt, ap, with_errno);                         \
		va_end(ap);                                                    \
	}

LOG_FN(log_warn, LOG_WARNING, 1)
LOG_FN(log_warnx, LOG_WARNING, 0)
LOG_FN(log_err, LOG_ERR, 0)
LOG_FN(log_notice, LOG_NOTICE, 0)
LOG_FN(log_info, LOG_INFO, 0)
LOG_FN(log_debug, LOG_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
