#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "notify.h"

void
notify_ready(void)
{
#ifdef HAVE_LIBSYSTEMD
	sd_notify(0, "READY=1");
#endif
}

void
notify_status(const char *fmt, ...)
{
#ifdef HAVE_LIBSYSTEMD
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", msg);
#else
	(void)fmt;
#endif
}
