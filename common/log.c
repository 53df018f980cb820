/*
 * Logging for the ccbus daemons (see log.h). Like OpenBSD's log.c this
 * file keeps its two settings in statics: they are set once by main()
 * and read everywhere, which is the one place a daemon's globals live
 * outside main.c.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const char	*log_progname = "ccbus";
static int		 log_verbose;

static const char *const log_tags[] = {
	[LOG_LEVEL_FATAL] = "fatal: ",
	[LOG_LEVEL_WARN] = "warning: ",
	[LOG_LEVEL_INFO] = "",
	[LOG_LEVEL_DEBUG] = "debug: ",
};

void
log_init(const char *progname, int verbose)
{
	const char *slash;

	if (progname != NULL) {
		slash = strrchr(progname, '/');
		log_progname = slash != NULL ? slash + 1 : progname;
	}
	log_verbose = verbose;
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return log_verbose;
}

/*
 * One fprintf per line, so that lines of processes sharing a stderr do not
 * interleave mid-line.
 */
void
vlog(int level, const char *fmt, va_list ap)
{
	char msg[1024];

	if (level == LOG_LEVEL_INFO && log_verbose < 1)
		return;
	if (level == LOG_LEVEL_DEBUG && log_verbose < 2)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "%s[%ld]: %s%s\n", log_progname, (long)getpid(),
	    log_tags[level], msg);
}

static void
vlog_errno(int level, int saved_errno, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "%s[%ld]: %s%s: %s\n", log_progname, (long)getpid(),
	    log_tags[level], msg, strerror(saved_errno));
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved_errno = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_LEVEL_WARN, saved_errno, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_WARN, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved_errno = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_LEVEL_FATAL, saved_errno, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_FATAL, fmt, ap);
	va_end(ap);
	exit(1);
}
