/*
 * Logging for the ccbus daemons, after OpenBSD's log.c: one line per event
 * on stderr, "PROGNAME[PID]: warning: what happened". The boss collects the
 * daemons' stderr, so there is no syslog here.
 *
 * Verbosity: 0 prints warnings and fatal errors, 1 adds log_info(), 2 adds
 * log_debug(). fatal() and fatalx() are for broken invariants and
 * unrecoverable start-up errors: they print and exit(1).
 */
#ifndef CCBUS_LOG_H
#define CCBUS_LOG_H

#include <stdarg.h>

#define LOG_ATTR_PRINTF(f, a)	__attribute__((__format__(__printf__, f, a)))

/* Set the name printed in front of every line and the verbosity. */
void	log_init(const char *progname, int verbose);
void	log_setverbose(int verbose);
int	log_getverbose(void);

/* log_warn() appends ": strerror(errno)"; log_warnx() does not. */
void	log_warn(const char *fmt, ...) LOG_ATTR_PRINTF(1, 2);
void	log_warnx(const char *fmt, ...) LOG_ATTR_PRINTF(1, 2);
void	log_info(const char *fmt, ...) LOG_ATTR_PRINTF(1, 2);
void	log_debug(const char *fmt, ...) LOG_ATTR_PRINTF(1, 2);
void	vlog(int level, const char *fmt, va_list ap) LOG_ATTR_PRINTF(2, 0);

/* Print "fatal: ..." (fatal() with strerror(errno)) and exit(1). */
void	fatal(const char *fmt, ...) LOG_ATTR_PRINTF(1, 2)
	    __attribute__((__noreturn__));
void	fatalx(const char *fmt, ...) LOG_ATTR_PRINTF(1, 2)
	    __attribute__((__noreturn__));

enum log_level {
	LOG_LEVEL_FATAL,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

#endif
