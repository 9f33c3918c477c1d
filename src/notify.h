/*
 * notify.h - tell systemd (Type=notify) we are ready and what we do.
 * Without libsystemd these do nothing.
 */
#ifndef TSNSS_NOTIFY_H
#define TSNSS_NOTIFY_H

void notify_ready(void);
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
