/* log.h - one place that decides where messages go: stderr or syslog. */
#ifndef TSNSS_LOG_H
#define TSNSS_LOG_H

#include <syslog.h>

void log_open(int foreground, int debug);
int log_debug_enabled(void);
void log_msg(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                         \
	do {                                                                   \
		if (log_debug_enabled())                                       \
			log_msg(LOG_DEBUG, __VA_ARGS__);                       \
	} while (0)

#endif
