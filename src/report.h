/*
 * report.h - what tsnssd is doing, as text: one formatter for
 * `tsnssctl status` and for the log line SIGUSR1 asks for.
 */
#ifndef TSNSS_REPORT_H
#define TSNSS_REPORT_H

struct evbuffer;
struct tsnssd;

void report_status(const struct tsnssd *d, struct evbuffer *b);

#endif
