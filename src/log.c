/*
 * log.c - messages to stderr (--foreground) or syslog.
 *
 * The two settings here are written once in main() before the loop starts
 * and are the only file-level state outside the daemon's context: plugins
 * log through a plain function pointer that has no context to carry.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "log.h"

static int to_stderr = 1;
static int debug_on;

void
log_open(int foreground, int debug)
{
	to_stderr = foreground;
	debug_on = debug;
	if (!foreground)
		openlog("tsnssd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int
log_debug_enabled(void)
{
	return debug_on;
}

static const char *
priority_name(int priority)
{
	switch (priority) {
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_INFO:
		return "info";
	case LOG_DEBUG:
		return "debug";
	default:
		return "notice";
	}
}

void
log_msg(int priority, const char *fmt, ...)
{
	va_list ap;

	if (priority == LOG_DEBUG && !debug_on)
		return;
	va_start(ap, fmt);
	if (to_stderr) {
		fprintf(stderr, "tsnssd: %s: ", priority_name(priority));
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(priority, fmt, ap);
	}
	va_end(ap);
}
